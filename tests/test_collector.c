/* test_collector.c: the real survey-collector process over real ZeroMQ
 * sockets (ipc:// in a private directory, and tcp on 127.0.0.1 with a port
 * chosen by the kernel), storing in a real LMDB environment. */
#include "harness.h"
#include "utf8.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>
#include <lmdb.h>

#define SURVEY "shoman-jiritsu-r6"
#define TIMEOUT 10000

/* ---- building submissions -------------------------------------------- */

typedef struct {
    Survey__V1__Answer items[64];
    Survey__V1__Answer *ptrs[64];
    Survey__V1__Choices choices[64];
    char *options[64][8];
    size_t n;
    Survey__V1__Submission sub;
    Survey__V1__Request req;
} form;

static Survey__V1__Answer *add(form *f, const char *question)
{
    assert_true(f->n < 64);
    Survey__V1__Answer *a = &f->items[f->n];
    survey__v1__answer__init(a);
    a->question = (char *)question;
    f->ptrs[f->n] = a;
    f->n++;
    f->sub.answers = f->ptrs;
    f->sub.n_answers = f->n;
    return a;
}

static void add_choice(form *f, const char *question, const char *option)
{
    Survey__V1__Answer *a = add(f, question);
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = (char *)option;
}

static void add_int(form *f, const char *question, int64_t v)
{
    Survey__V1__Answer *a = add(f, question);
    a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    a->integer = v;
}

static void add_text(form *f, const char *question, const char *text)
{
    Survey__V1__Answer *a = add(f, question);
    a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    a->text = (char *)text;
}

static void add_choices(form *f, const char *question, size_t n, ...)
{
    Survey__V1__Answer *a = add(f, question);
    size_t k = f->n - 1;
    survey__v1__choices__init(&f->choices[k]);
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n && i < 8; i++)
        f->options[k][i] = va_arg(ap, char *);
    va_end(ap);
    f->choices[k].options = f->options[k];
    f->choices[k].n_options = n;
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    a->choices = &f->choices[k];
}

/* A complete answer set: no program run, so nothing else is relevant. */
static void init_form(form *f, const char *respondent, const char *id,
                      uint64_t base)
{
    memset(f, 0, sizeof *f);
    survey__v1__submission__init(&f->sub);
    survey__v1__request__init(&f->req);
    f->sub.survey = SURVEY;
    f->sub.respondent = (char *)respondent;
    f->sub.submission_id = (char *)id;
    f->sub.base_revision = base;
    f->sub.note = "test";
    f->req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    f->req.submit = &f->sub;
    add_int(f, "holders", 100);
    add_choice(f, "consult", "no");
    add_choice(f, "supporter", "no");
    add_choice(f, "fact_finding", "no");
    add_choice(f, "care_support", "no");
    add_choice(f, "peer_exchange", "no");
    add_choice(f, "employment", "no");
    add_choice(f, "carer_support", "no");
    add_choice(f, "other_support", "no");
}

static Survey__V1__Answer *find_answer(form *f, const char *question)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->items[i].question, question) == 0)
            return &f->items[i];
    }
    return NULL;
}

/* ---- calling ----------------------------------------------------------- */

static Survey__V1__Reply *call(const char *endpoint,
                               const Survey__V1__Request *req)
{
    Survey__V1__Reply *reply = NULL;
    assert_int_equal(sv_harness_call(endpoint, req, &reply, TIMEOUT), 0);
    assert_non_null(reply);
    return reply;
}

static Survey__V1__Reply *submit(const char *endpoint, form *f)
{
    return call(endpoint, &f->req);
}

static Survey__V1__Ack *expect_ack(Survey__V1__Reply *reply)
{
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR)
        fprintf(stderr, "unexpected error: %s\n", reply->error->message);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ACK);
    return reply->ack;
}

static Survey__V1__Error *expect_error(Survey__V1__Reply *reply,
                                       Survey__V1__Error__Code code)
{
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
    if (reply->error->code != code)
        fprintf(stderr, "error: %s\n", reply->error->message);
    assert_int_equal(reply->error->code, code);
    assert_true(strlen(reply->error->message) > 0);
    return reply->error;
}

/* A DEALER socket connected to endpoint, with a receive timeout. */
static void *open_dealer(void *ctx, const char *endpoint)
{
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0, timeout = TIMEOUT;
    assert_non_null(dealer);
    assert_int_equal(zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(
        zmq_setsockopt(dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_connect(dealer, endpoint), 0);
    return dealer;
}

/* Sends the submission of respondent (submission id prefix-i, request id
 * base + i) on dealer without waiting for the reply. */
static void send_submission(void *dealer, const char *respondent,
                            const char *prefix, int i, uint64_t base)
{
    char id[32];
    uint8_t buf[4096];
    form f;

    snprintf(id, sizeof id, "%s-%d", prefix, i);
    init_form(&f, respondent, id, 0);
    f.req.request_id = base + (uint64_t)i;
    size_t len = survey__v1__request__get_packed_size(&f.req);
    assert_true(len <= sizeof buf);
    survey__v1__request__pack(&f.req, buf);
    assert_int_equal(zmq_send(dealer, buf, len, 0), (int)len);
}

/* The next reply on dealer (free with free_reply). */
static Survey__V1__Reply *receive_reply(void *dealer)
{
    uint8_t buf[65536];
    int n = zmq_recv(dealer, buf, sizeof buf, 0);
    assert_true(n > 0);
    Survey__V1__Reply *reply = survey__v1__reply__unpack(NULL, (size_t)n, buf);
    assert_non_null(reply);
    return reply;
}

static Survey__V1__Reply *get(const char *endpoint, const char *respondent)
{
    Survey__V1__GetRequest g = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    g.survey = SURVEY;
    g.respondent = (char *)respondent;
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &g;
    return call(endpoint, &req);
}

static Survey__V1__Reply *history(const char *endpoint, const char *respondent)
{
    Survey__V1__HistoryRequest h = SURVEY__V1__HISTORY_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    h.survey = SURVEY;
    h.respondent = (char *)respondent;
    req.body_case = SURVEY__V1__REQUEST__BODY_HISTORY;
    req.history = &h;
    return call(endpoint, &req);
}

static Survey__V1__Reply *questionnaire(const char *endpoint)
{
    Survey__V1__QuestionnaireRequest q =
        SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
    req.questionnaire = &q; /* empty survey: the only one served */
    return call(endpoint, &req);
}

static void free_reply(Survey__V1__Reply *reply)
{
    survey__v1__reply__free_unpacked(reply, NULL);
}

/* ---- fixtures ------------------------------------------------------------ */

static int setup(void **state)
{
    sv_harness *h = calloc(1, sizeof *h);
    if (h == NULL || sv_harness_start(h, NULL) != 0) {
        free(h);
        return -1;
    }
    *state = h;
    return 0;
}

static int teardown(void **state)
{
    sv_harness *h = *state;
    sv_harness_cleanup(h);
    free(h);
    return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_submit_then_get(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "010006", "id-submit-1", 0);
    Survey__V1__Reply *reply = submit(h->endpoint, &f);
    Survey__V1__Ack *ack = expect_ack(reply);
    assert_string_equal(ack->respondent, "010006");
    assert_string_equal(ack->survey, SURVEY);
    assert_string_equal(ack->submission_id, "id-submit-1");
    assert_int_equal(ack->revision, 1);
    assert_true(ack->sequence >= 1);
    assert_false(ack->duplicate);
    assert_int_equal(ack->n_missing, 0);
    free_reply(reply);

    reply = get(h->endpoint, "010006");
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_RESPONSE);
    Survey__V1__Revision *cur = reply->response->current;
    assert_non_null(cur);
    assert_int_equal(cur->revision, 1);
    assert_int_equal(cur->n_answers, f.n);
    assert_string_equal(cur->answers[0]->question, "holders");
    assert_int_equal(cur->answers[0]->integer, 100);
    assert_string_equal(cur->note, "test");
    assert_string_equal(cur->submission_id, "id-submit-1");
    /* the submitter comes from the transport, not from the request: over
       ipc://, libzmq's "localhost:UID:GID:PID" without the PID */
    char anonymous[96];
    snprintf(anonymous, sizeof anonymous, "anonymous@localhost:%u:%u",
             (unsigned)getuid(), (unsigned)getgid());
    assert_string_equal(cur->submitter, anonymous);
    assert_true(cur->time_ms > 1700000000000LL);
    free_reply(reply);
}

static void test_incomplete_is_accepted_with_missing(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "020001", "id-incomplete", 0);
    find_answer(&f, "consult")->choice = "yes";
    add_choice(&f, "consult_window", "health_center");
    Survey__V1__Reply *reply = submit(h->endpoint, &f);
    Survey__V1__Ack *ack = expect_ack(reply);
    assert_int_equal(ack->revision, 1);
    /* consult_content, consult_channel, consult_funding are required and
     * relevant now; peer_counselors is not (no peer_counseling chosen) */
    assert_int_equal(ack->n_missing, 3);
    assert_string_equal(ack->missing[0], "consult_content");
    assert_string_equal(ack->missing[1], "consult_channel");
    assert_string_equal(ack->missing[2], "consult_funding");
    free_reply(reply);

    /* the next sitting completes it */
    init_form(&f, "020001", "id-incomplete-2", 1);
    find_answer(&f, "consult")->choice = "yes";
    add_choice(&f, "consult_window", "health_center");
    add_choices(&f, "consult_content", 2, "care_guidance", "peer_counseling");
    add_choices(&f, "peer_counselors", 1, "experienced_parent");
    add_choices(&f, "consult_channel", 2, "counter", "phone");
    add_choices(&f, "consult_funding", 1, "national_subsidy");
    reply = submit(h->endpoint, &f);
    ack = expect_ack(reply);
    assert_int_equal(ack->revision, 2);
    assert_int_equal(ack->n_missing, 0);
    free_reply(reply);
}

static void test_duplicate_retry(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "030007", "id-retry", 0);
    Survey__V1__Reply *first = submit(h->endpoint, &f);
    Survey__V1__Ack *a1 = expect_ack(first);
    Survey__V1__Reply *second = submit(h->endpoint, &f);
    Survey__V1__Ack *a2 = expect_ack(second);
    assert_true(a2->duplicate);
    assert_int_equal(a2->revision, a1->revision);
    assert_int_equal(a2->sequence, a1->sequence);
    free_reply(first);
    free_reply(second);

    Survey__V1__Reply *hist = history(h->endpoint, "030007");
    assert_int_equal(hist->body_case, SURVEY__V1__REPLY__BODY_HISTORY);
    assert_int_equal(hist->history->n_revisions, 1);
    free_reply(hist);

    /* the same id with other content is a conflict, not a duplicate */
    find_answer(&f, "holders")->integer = 101;
    Survey__V1__Reply *other = submit(h->endpoint, &f);
    Survey__V1__Error *e =
        expect_error(other, SURVEY__V1__ERROR__CODE__CONFLICT);
    assert_non_null(strstr(e->message, "id-retry"));
    free_reply(other);
}

static void test_correction_and_conflict(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "040002", "id-c1", 0);
    free_reply(submit(h->endpoint, &f));
    init_form(&f, "040002", "id-c2", 1);
    find_answer(&f, "holders")->integer = 1233;
    f.sub.note = "受給者数の訂正";
    Survey__V1__Reply *reply = submit(h->endpoint, &f);
    assert_int_equal(expect_ack(reply)->revision, 2);
    free_reply(reply);

    /* a stale base is refused with the revision to build on */
    init_form(&f, "040002", "id-c3", 1);
    reply = submit(h->endpoint, &f);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__CONFLICT);
    assert_int_equal(e->current_revision, 2);
    free_reply(reply);

    reply = history(h->endpoint, "040002");
    assert_int_equal(reply->history->n_revisions, 2);
    Survey__V1__Revision *r1 = reply->history->revisions[0];
    Survey__V1__Revision *r2 = reply->history->revisions[1];
    assert_int_equal(r1->revision, 1);
    assert_int_equal(r1->answers[0]->integer, 100);
    assert_int_equal(r2->revision, 2);
    assert_int_equal(r2->base_revision, 1);
    assert_int_equal(r2->answers[0]->integer, 1233);
    assert_string_equal(r2->note, "受給者数の訂正");
    assert_true(r2->sequence > r1->sequence);
    free_reply(reply);
}

static void test_invalid_reports_every_problem(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "050008", "id-invalid", 0);
    find_answer(&f, "holders")->integer = -1;
    find_answer(&f, "consult")->choice = "maybe";
    add_choice(&f, "supporter_outsourced", "yes"); /* supporter = no */
    add_text(&f, "no_such_question", "x");
    Survey__V1__Reply *reply = submit(h->endpoint, &f);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__INVALID);
    assert_int_equal(e->n_problems, 4);
    int seen = 0;
    for (size_t i = 0; i < e->n_problems; i++) {
        Survey__V1__Problem *p = e->problems[i];
        if (strcmp(p->question, "holders") == 0) {
            assert_int_equal(p->rule, SURVEY__V1__PROBLEM__RULE__CONSTRAINT);
            assert_string_equal(p->value, "-1");
            seen |= 1;
        } else if (strcmp(p->question, "consult") == 0) {
            assert_int_equal(p->rule,
                             SURVEY__V1__PROBLEM__RULE__UNKNOWN_OPTION);
            assert_string_equal(p->value, "maybe");
            seen |= 2;
        } else if (strcmp(p->question, "supporter_outsourced") == 0) {
            assert_int_equal(p->rule, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT);
            seen |= 4;
        } else if (strcmp(p->question, "no_such_question") == 0) {
            assert_int_equal(p->rule,
                             SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION);
            seen |= 8;
        }
        assert_true(strlen(p->message) > 0);
    }
    assert_int_equal(seen, 15);
    free_reply(reply);

    /* nothing was written */
    reply = get(h->endpoint, "050008");
    expect_error(reply, SURVEY__V1__ERROR__CODE__NOT_FOUND);
    free_reply(reply);
    assert_true(sv_harness_log_contains(h, "INVALID"));
}

static void test_unknown_survey_and_respondent(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "999999", "id-unknown-r", 0);
    Survey__V1__Reply *reply = submit(h->endpoint, &f);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT);
    assert_non_null(strstr(e->message, "999999"));
    free_reply(reply);

    init_form(&f, "010006", "id-unknown-s", 0);
    f.sub.survey = "shoman-jiritsu-r5";
    reply = submit(h->endpoint, &f);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__UNKNOWN_SURVEY);
    assert_non_null(strstr(e->message, "shoman-jiritsu-r5"));
    free_reply(reply);
}

static void test_questionnaire(void **state)
{
    sv_harness *h = *state;
    Survey__V1__Reply *reply = questionnaire(h->endpoint);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
    Survey__V1__Questionnaire *q = reply->questionnaire;
    assert_string_equal(q->survey, SURVEY);
    assert_true(q->n_questions > 40);
    assert_string_equal(q->questions[0]->name, "holders");
    assert_int_equal(q->questions[0]->type,
                     SURVEY__V1__QUESTION__TYPE__INTEGER);
    assert_string_equal(q->questions[1]->name, "consult");
    assert_int_equal(q->questions[1]->n_options, 2);
    assert_string_equal(q->questions[1]->options[0], "yes");
    free_reply(reply);
}

/* Garbage, several frames, an empty body: each gets MALFORMED, and the
 * collector goes on serving. */
static void test_malformed_requests(void **state)
{
    sv_harness *h = *state;
    Survey__V1__Reply *reply = NULL;
    const char garbage[] = "\xff\xff\xff\xff this is not protobuf";
    assert_int_equal(sv_harness_call_raw(h->endpoint, garbage,
                                         sizeof garbage - 1, &reply, TIMEOUT),
                     0);
    expect_error(reply, SURVEY__V1__ERROR__CODE__MALFORMED);
    free_reply(reply);

    Survey__V1__Request empty = SURVEY__V1__REQUEST__INIT;
    empty.request_id = 77;
    reply = call(h->endpoint, &empty);
    expect_error(reply, SURVEY__V1__ERROR__CODE__MALFORMED);
    assert_int_equal(reply->request_id, 77);
    free_reply(reply);

    /* two frames in one request */
    void *ctx = zmq_ctx_new();
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0, timeout = TIMEOUT;
    assert_int_equal(zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(
        zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_connect(req, h->endpoint), 0);
    assert_int_equal(zmq_send(req, "a", 1, ZMQ_SNDMORE), 1);
    assert_int_equal(zmq_send(req, "b", 1, 0), 1);
    char buf[4096];
    int n = zmq_recv(req, buf, sizeof buf, 0);
    assert_true(n > 0);
    reply = survey__v1__reply__unpack(NULL, (size_t)n, (uint8_t *)buf);
    assert_non_null(reply);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__MALFORMED);
    assert_non_null(strstr(e->message, "one frame"));
    free_reply(reply);
    zmq_close(req);
    zmq_ctx_term(ctx);

    reply = questionnaire(h->endpoint);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
    free_reply(reply);
    assert_true(sv_harness_log_contains(h, "MALFORMED"));
}

/* Request.check: validated as a submit would be, nothing stored: an ack
 * marked checked (revision and sequence 0), or the submit's error. */
static void test_check_stores_nothing(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "131229", "", 0);
    f.req.body_case = SURVEY__V1__REQUEST__BODY_CHECK;
    f.req.check = &f.sub;
    Survey__V1__Reply *reply = call(h->endpoint, &f.req);
    Survey__V1__Ack *ack = expect_ack(reply);
    assert_true(ack->checked);
    assert_int_equal(ack->revision, 0);
    assert_int_equal(ack->sequence, 0);
    assert_string_equal(ack->respondent, "131229");
    free_reply(reply);
    reply = get(h->endpoint, "131229");
    expect_error(reply, SURVEY__V1__ERROR__CODE__NOT_FOUND);
    free_reply(reply);

    /* what a submit would be refused for, the check is refused for */
    add_int(&f, "holders", -5);
    reply = call(h->endpoint, &f.req);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__INVALID);
    assert_true(e->n_problems >= 1);
    free_reply(reply);
    reply = get(h->endpoint, "131229");
    expect_error(reply, SURVEY__V1__ERROR__CODE__NOT_FOUND);
    free_reply(reply);
}

/* f packed, with every `from` (a marker of the same length that packing
 * leaves alone) replaced by `to`: bytes protobuf-c's packer cannot make. */
static uint8_t *pack_with(form *f, const char *from, const char *to, size_t n,
                          size_t *len)
{
    *len = survey__v1__request__get_packed_size(&f->req);
    uint8_t *b = malloc(*len);
    assert_non_null(b);
    assert_int_equal(survey__v1__request__pack(&f->req, b), *len);
    size_t hits = 0;
    for (size_t i = 0; i + n <= *len; i++) {
        if (memcmp(b + i, from, n) == 0) {
            memcpy(b + i, to, n);
            hits++;
        }
    }
    assert_true(hits > 0);
    return b;
}

/* Bytes protobuf-c would take but the service refuses, each with a
 * MALFORMED that names the field, the request's id, and nothing stored:
 * a NUL inside the note (C code would have kept only "why"), a respondent
 * that is not UTF-8, a field this build does not define inside an answer
 * (the store could not have read it back). Echoed text stays valid UTF-8
 * on one line. */
static void test_refused_bytes(void **state)
{
    sv_harness *h = *state;
    Survey__V1__Reply *reply = NULL;
    Survey__V1__Error *e;
    form f;
    size_t len;
    uint8_t *b;

    init_form(&f, "131237", "nul-note", 0);
    f.sub.note = "why_X_hidden part";
    f.req.request_id = 4242;
    b = pack_with(&f, "_X_", "\0X\0", 3, &len);
    assert_int_equal(sv_harness_call_raw(h->endpoint, b, len, &reply, TIMEOUT),
                     0);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__MALFORMED);
    assert_non_null(strstr(e->message, "submit.note"));
    assert_non_null(strstr(e->message, "NUL"));
    assert_int_equal(reply->request_id, 4242);
    free_reply(reply);
    free(b);

    init_form(&f, "ZZ0001", "bad-utf8", 0);
    b = pack_with(&f, "ZZ0001",
                  "\xff\xfe"
                  "0001",
                  6, &len);
    assert_int_equal(sv_harness_call_raw(h->endpoint, b, len, &reply, TIMEOUT),
                     0);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__MALFORMED);
    assert_non_null(strstr(e->message, "submit.respondent"));
    assert_non_null(strstr(e->message, "UTF-8"));
    free_reply(reply);
    free(b);

    /* field 20 inside the first answer, packed by protobuf-c itself */
    init_form(&f, "131237", "unknown-field", 0);
    ProtobufCMessageUnknownField extra = {.tag = 20,
                                          .wire_type =
                                              PROTOBUF_C_WIRE_TYPE_VARINT,
                                          .len = 1,
                                          .data = (uint8_t *)"\x01"};
    f.items[0].base.n_unknown_fields = 1;
    f.items[0].base.unknown_fields = &extra;
    reply = submit(h->endpoint, &f);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__MALFORMED);
    assert_non_null(strstr(e->message, "submit.answers[0]"));
    assert_non_null(strstr(e->message, "field 20"));
    free_reply(reply);

    /* none of them was stored */
    const char *const ids[] = {"131237", "ZZ0001"};
    for (size_t i = 0; i < 2; i++) {
        reply = get(h->endpoint, ids[i]);
        expect_error(reply, i == 0
                                ? SURVEY__V1__ERROR__CODE__NOT_FOUND
                                : SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT);
        free_reply(reply);
    }

    /* a code whose leading zero a spreadsheet dropped: the reply names
       the code it would have been */
    reply = get(h->endpoint, "10006");
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT);
    assert_non_null(strstr(e->message, "did you mean \"010006\"?"));
    free_reply(reply);
    reply = get(h->endpoint, "99999"); /* 099999 is no code either */
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT);
    assert_null(strstr(e->message, "did you mean"));
    free_reply(reply);

    /* an unknown respondent echoed: a newline stays in the line */
    init_form(&f, "010006\nFAKE stopped cleanly", "newline", 0);
    reply = submit(h->endpoint, &f);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT);
    assert_null(strchr(e->message, '\n'));
    assert_non_null(strstr(e->message, "010006\\nFAKE"));
    free_reply(reply);
    assert_true(sv_harness_log_contains(h, "010006\\nFAKE stopped"));
    assert_false(sv_harness_log_contains(h, "\nFAKE stopped"));

    /* an unknown survey of 400 kana: cut at a character, still UTF-8 */
    char *kana = malloc(400 * 3 + 1);
    assert_non_null(kana);
    for (int i = 0; i < 400; i++)
        memcpy(kana + 3 * i, "\xe3\x81\x82", 3);
    kana[1200] = '\0';
    init_form(&f, "460001", "long-survey", 0);
    f.sub.survey = kana;
    reply = submit(h->endpoint, &f);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__UNKNOWN_SURVEY);
    assert_true(sv_utf8_valid(e->message, strlen(e->message)));
    assert_true(strlen(e->message) < 1024);
    free_reply(reply);
    free(kana);
}

/* Over --max-request: TOO_LARGE. Over 4x that: the connection is dropped
 * without a reply. Either way the collector keeps serving others. */
static void test_oversized_frames(void **state)
{
    (void)state;
    sv_harness h = {0};
    const char *const extra[] = {"--max-request", "64K", NULL};
    assert_int_equal(sv_harness_start(&h, extra), 0);

    size_t big = 100 * 1024;
    char *data = malloc(4 * big);
    assert_non_null(data);
    memset(data, 'x', 4 * big);
    Survey__V1__Reply *reply = NULL;
    assert_int_equal(
        sv_harness_call_raw(h.endpoint, data, big, &reply, TIMEOUT), 0);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__TOO_LARGE);
    assert_non_null(strstr(e->message, "65536"));
    free_reply(reply);

    /* a request over the limit gets its own request_id back */
    form f;
    init_form(&f, "460001", "too-large", 0);
    f.sub.note = data;
    data[big] = '\0';
    f.req.request_id = 4243;
    reply = submit(h.endpoint, &f);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__TOO_LARGE);
    assert_int_equal(reply->request_id, 4243);
    free_reply(reply);
    memset(data, 'x', 4 * big);

    reply = NULL;
    assert_int_equal(
        sv_harness_call_raw(h.endpoint, data, 4 * big, &reply, 1500), -1);
    assert_null(reply);
    free(data);

    reply = questionnaire(h.endpoint);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
    free_reply(reply);
    sv_harness_cleanup(&h);
}

/* A DEALER client with many requests in flight, no delimiter frame, and
 * replies matched by request_id. */
static void test_dealer_pipeline(void **state)
{
    sv_harness *h = *state;
    enum { N = 40 };
    void *ctx = zmq_ctx_new();
    void *dealer = open_dealer(ctx, h->endpoint);

    /* the roster's first codes after the ones other tests use */
    static const char *const codes[N] = {
        "060003", "070009", "080004", "090000", "100005", "110001", "120006",
        "130001", "140007", "150002", "160008", "170003", "180009", "190004",
        "200000", "210005", "220001", "230006", "240001", "250007", "260002",
        "270008", "280003", "290009", "300004", "310000", "320005", "330001",
        "340006", "350001", "360007", "370002", "380008", "390003", "400009",
        "410004", "420000", "430005", "440001", "450006"};
    for (int i = 0; i < N; i++)
        send_submission(dealer, codes[i], "dealer", i, 1000);
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        Survey__V1__Reply *reply = receive_reply(dealer);
        Survey__V1__Ack *ack = expect_ack(reply);
        uint64_t k = reply->request_id - 1000;
        assert_true(k < N);
        assert_string_equal(ack->respondent, codes[k]);
        seen[k]++;
        free_reply(reply);
    }
    for (int i = 0; i < N; i++)
        assert_int_equal(seen[i], 1);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
}

/* A full LMDB map: UNAVAILABLE, nothing half-written, reads still served,
 * and the collector starts again on the same environment. */
static void test_map_full(void **state)
{
    (void)state;
    sv_harness h = {0};
    const char *const extra[] = {"--map-size", "256K", NULL};
    assert_int_equal(sv_harness_start(&h, extra), 0);

    /* texts that do not compress (revisions are stored compressed) */
    static char text[7001];
    uint32_t x = 137;
    int stored = 0, unavailable = 0;
    char first_failed[16] = "";
    for (int i = 0; i < 137 && unavailable == 0; i++) {
        char respondent[16], id[32];
        /* any roster code: prefectures are 010006..470007 */
        static const char *const codes[] = {
            "010006", "020001", "030007", "040002", "050008", "060003",
            "070009", "080004", "090000", "100005", "110001", "120006",
            "130001", "140007", "150002", "160008", "170003", "180009",
            "190004", "200000", "210005", "220001", "230006", "240001",
            "250007", "260002", "270008", "280003", "290009", "300004"};
        if ((size_t)i >= sizeof codes / sizeof codes[0])
            break;
        snprintf(respondent, sizeof respondent, "%s", codes[i]);
        snprintf(id, sizeof id, "full-%d", i);
        for (size_t j = 0; j + 1 < sizeof text; j++) {
            x = x * 1664525u + 1013904223u;
            text[j] = (char)('a' + (x >> 24) % 26);
        }
        form f;
        init_form(&f, respondent, id, 0);
        find_answer(&f, "care_support")->choice = "yes";
        add_text(&f, "care_support_background", text);
        add_text(&f, "care_support_target", text);
        add_text(&f, "care_support_content", text);
        add_choices(&f, "care_support_funding", 1, "national_subsidy");
        Survey__V1__Reply *reply = submit(h.endpoint, &f);
        if (reply->body_case == SURVEY__V1__REPLY__BODY_ACK) {
            stored++;
        } else {
            expect_error(reply, SURVEY__V1__ERROR__CODE__UNAVAILABLE);
            snprintf(first_failed, sizeof first_failed, "%s", respondent);
            unavailable++;
        }
        free_reply(reply);
    }
    assert_true(stored >= 1);
    assert_int_equal(unavailable, 1);

    /* nothing of the failed one; the stored ones are intact */
    Survey__V1__Reply *reply = get(h.endpoint, first_failed);
    assert_non_null(
        strstr(expect_error(reply, SURVEY__V1__ERROR__CODE__NOT_FOUND)->message,
               "no answers stored for"));
    assert_non_null(strstr(reply->error->message, first_failed));
    free_reply(reply);
    reply = history(h.endpoint, first_failed);
    assert_non_null(
        strstr(expect_error(reply, SURVEY__V1__ERROR__CODE__NOT_FOUND)->message,
               first_failed));
    free_reply(reply);
    reply = get(h.endpoint, "010006");
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_RESPONSE);
    assert_int_equal(reply->response->current->revision, 1);
    free_reply(reply);
    assert_true(sv_harness_log_contains(&h, "UNAVAILABLE"));

    /* a restart with a bigger map stores what failed */
    assert_int_equal(sv_harness_stop(&h, 0), 0);
    const char *const bigger[] = {"--map-size", "64M", NULL};
    assert_int_equal(sv_harness_start(&h, bigger), 0);
    form f;
    init_form(&f, first_failed, "after-full", 0);
    reply = submit(h.endpoint, &f);
    assert_int_equal(expect_ack(reply)->revision, 1);
    free_reply(reply);
    sv_harness_cleanup(&h);
}

/* A write that fails inside the writing thread's transaction (here: a
 * revision record in the way, as in a store whose history is out of step)
 * breaks the batch; the collector writes the batch again, each request on
 * its own, so only that request gets an error and the others are acked. */
static void test_broken_batch_is_redone(void **state)
{
    (void)state;
    enum { N = 12, BAD = 5 };
    static const char *const codes[N] = {
        "010006", "020001", "030007", "040002", "050008", "060003",
        "070009", "080004", "090000", "100005", "110001", "120006"};
    sv_harness h = {0};
    assert_int_equal(sv_harness_start(&h, NULL), 0);
    assert_int_equal(sv_harness_stop(&h, 0), 0);

    /* revisions: survey NUL respondent NUL be64(1) (storage/README.md) */
    char key[64] = {0};
    size_t klen = strlen(SURVEY) + 1 + 6 + 1 + 8;
    memcpy(key, SURVEY, strlen(SURVEY));
    memcpy(key + strlen(SURVEY) + 1, codes[BAD], 6);
    key[klen - 1] = 1;
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {klen, key}, v = {2, "\x08\x07"};
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_set_mapsize(env, 64 << 20), 0);
    assert_int_equal(mdb_env_open(env, h.data, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "revisions", 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    assert_int_equal(sv_harness_start(&h, NULL), 0);

    void *ctx = zmq_ctx_new();
    void *dealer = open_dealer(ctx, h.endpoint);
    for (int i = 0; i < N; i++)
        send_submission(dealer, codes[i], "broken", i, 2000);
    int acked = 0, failed = 0;
    for (int i = 0; i < N; i++) {
        Survey__V1__Reply *reply = receive_reply(dealer);
        uint64_t at = reply->request_id - 2000;
        assert_true(at < N);
        if (at == BAD) {
            Survey__V1__Error *e =
                expect_error(reply, SURVEY__V1__ERROR__CODE__INTERNAL);
            assert_non_null(strstr(e->message, "corrupt record in revisions"));
            assert_non_null(strstr(e->message, "nothing was written"));
            failed++;
        } else {
            assert_int_equal(expect_ack(reply)->revision, 1);
            acked++;
        }
        free_reply(reply);
    }
    assert_int_equal(acked, N - 1);
    assert_int_equal(failed, 1);
    zmq_close(dealer);
    zmq_ctx_term(ctx);
    assert_true(sv_harness_log_contains(&h, "broke the batch"));

    /* what was acked is stored; nothing of the failed one */
    for (int i = 0; i < N; i++) {
        Survey__V1__Reply *reply = get(h.endpoint, codes[i]);
        if (i == BAD) {
            expect_error(reply, SURVEY__V1__ERROR__CODE__NOT_FOUND);
        } else {
            assert_int_equal(reply->body_case,
                             SURVEY__V1__REPLY__BODY_RESPONSE);
            assert_int_equal(reply->response->current->revision, 1);
        }
        free_reply(reply);
    }
    sv_harness_cleanup(&h);
}

/* Reads the collector's "commits: ..." and "slowest: ..." lines
 * (collector/main.c, log_stats): per commit the mean writing, committing
 * and flush times, the longest commit and flush, the threshold and how
 * many commits and flushes were over it. */
static bool read_log_stats(const sv_harness *h, double *per_write,
                           double *per_commit, double *per_flush,
                           double *max_commit, double *max_flush, int *over_ms,
                           unsigned long long *slow_commits,
                           unsigned long long *slow_flushes)
{
    char line[1024];
    int found = 0;
    FILE *f = fopen(h->log, "r");
    if (f == NULL)
        return false;
    while (fgets(line, sizeof line, f) != NULL) {
        const char *at = strstr(line, "commits: ");
        unsigned long long n, r, fl;
        double each;
        if (at != NULL &&
            sscanf(at,
                   "commits: %llu of %llu requests (%lf each), per commit "
                   "%lf ms writing and %lf ms committing; flushes: %llu, "
                   "%lf ms each",
                   &n, &r, &each, per_write, per_commit, &fl, per_flush) == 7)
            found |= 1;
        at = strstr(line, "slowest: ");
        if (at != NULL &&
            sscanf(at,
                   "slowest: commit %lf ms (writing and committing), flush "
                   "%lf ms; over %d ms: %llu commits, %llu flushes",
                   max_commit, max_flush, over_ms, slow_commits,
                   slow_flushes) == 5)
            found |= 2;
    }
    fclose(f);
    return found == 3;
}

/* SIGTERM: clean exit 0; the data survives a restart. */
static void test_sigterm_and_restart(void **state)
{
    (void)state;
    sv_harness h = {0};
    assert_int_equal(sv_harness_start(&h, NULL), 0);
    form f;
    init_form(&f, "140007", "id-before-restart", 0);
    free_reply(submit(h.endpoint, &f));
    init_form(&f, "130001", "id-restart", 0);
    free_reply(submit(h.endpoint, &f));
    int status = sv_harness_stop(&h, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(sv_harness_log_contains(&h, "stopped cleanly"));
    /* one request at a time: each was a group commit of its own */
    assert_true(
        sv_harness_log_contains(&h, "commits: 2 of 2 requests (1.0 each)"));
    /* the slowest commit and flush: at least the mean of the two, and at
       most both of them slow */
    double per_write = -1, per_commit = -1, per_flush = -1;
    double max_commit = -1, max_flush = -1;
    unsigned long long slow_commits = 99, slow_flushes = 99;
    int over_ms = 0;
    assert_true(read_log_stats(&h, &per_write, &per_commit, &per_flush,
                               &max_commit, &max_flush, &over_ms, &slow_commits,
                               &slow_flushes));
    assert_int_equal(over_ms, 10);
    assert_true(max_commit > 0 && max_flush > 0);
    assert_true(max_commit >= per_write + per_commit - 0.002);
    assert_true(max_flush >= per_flush - 0.002);
    assert_true(slow_commits <= 2 && slow_flushes <= 2);
    assert_true((slow_commits > 0) == (max_commit > 10.0));
    assert_true((slow_flushes > 0) == (max_flush > 10.0));
    /* and where the two spent their time: both answered, none lost */
    assert_true(
        sv_harness_log_contains(&h, "requests: 2 answered, on average "));
    assert_true(sv_harness_log_contains(&h, " ms until the reply was sent"));

    assert_int_equal(sv_harness_start(&h, NULL), 0);
    Survey__V1__Reply *reply = get(h.endpoint, "130001");
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_RESPONSE);
    assert_string_equal(reply->response->current->submission_id, "id-restart");
    free_reply(reply);
    sv_harness_cleanup(&h);
}

/* TCP on loopback, IPv4 and IPv6, with a port the kernel picks; the ready
 * line says it. A host name is refused with a hint (ZeroMQ binds to
 * addresses and interfaces). */
static void test_tcp_loopback(void **state)
{
    (void)state;
    static const char *const hosts[] = {"tcp://127.0.0.1:", "tcp://[::1]:"};
    for (size_t i = 0; i < 2; i++) {
        sv_harness h = {0};
        char ep[64];
        snprintf(ep, sizeof ep, "%s*", hosts[i]);
        /* the later --endpoint wins over the harness's ipc one */
        const char *const extra[] = {"--endpoint", ep, NULL};
        assert_int_equal(sv_harness_start(&h, extra), 0);
        FILE *log = fopen(h.log, "r");
        assert_non_null(log);
        char line[1024], endpoint[256] = "", ready[64];
        snprintf(ready, sizeof ready, "ready on %s", hosts[i]);
        while (fgets(line, sizeof line, log) != NULL) {
            char *p = strstr(line, ready);
            if (p != NULL && sscanf(p, "ready on %255s", endpoint) != 1)
                endpoint[0] = '\0';
        }
        fclose(log);
        size_t n = strlen(hosts[i]);
        assert_true(strncmp(endpoint, hosts[i], n) == 0);
        assert_true(atoi(endpoint + n) > 0);
        Survey__V1__Reply *reply = questionnaire(endpoint);
        assert_int_equal(reply->body_case,
                         SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
        free_reply(reply);
        sv_harness_cleanup(&h);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "d=$(mktemp -d) && { %s --no-auth --data \"$d/data\" "
             "--endpoint tcp://localhost:1 2>&1 | grep -q 'cannot bind "
             "tcp://localhost:1: No such device (ZeroMQ binds to an IP "
             "address or an interface name, not a host name'; r=$?; "
             "rm -rf \"$d\"; exit $r; }",
             SV_BINARY_DIR "/collector/survey-collector");
    assert_int_equal(system(cmd), 0);
}

/* The collector names its threads, so that `top -H` and the bench's CPU
 * per thread say which does what. */
static void test_thread_names(void **state)
{
    (void)state;
    sv_harness h = {0};
    assert_int_equal(sv_harness_start(&h, NULL), 0);
    assert_true(sv_harness_has_thread(&h, "sv-write"));
    assert_true(sv_harness_has_thread(&h, "sv-prepare"));
    assert_true(sv_harness_has_thread(&h, "sv-flush"));
    assert_false(sv_harness_has_thread(&h, "sv-zap")); /* --no-auth */
    assert_false(sv_harness_has_thread(&h, "sv-nothing"));
    sv_harness_cleanup(&h);
}

/* The writing and flush threads run at --commit-nice (default -10) when the
 * collector may lower their nice value, and say so in the log when not;
 * the other threads keep the process's. A value out of -20..19 is
 * refused. */
static void test_commit_nice(void **state)
{
    (void)state;
    int before = getpriority(PRIO_PROCESS, 0);
    for (int i = 0; i < 2; i++) {
        sv_harness h = {0};
        const char *const extra[] = {"--commit-nice", "-5", NULL};
        int want = i == 0 ? -10 : -5; /* the default, --help */
        int nice = 1;
        /* whether this user may (root, CAP_SYS_NICE or RLIMIT_NICE) */
        bool may = setpriority(PRIO_PROCESS, 0, want) == 0;
        if (may)
            assert_int_equal(setpriority(PRIO_PROCESS, 0, before), 0);
        assert_int_equal(sv_harness_start(&h, i == 0 ? NULL : extra), 0);
        assert_true(sv_harness_thread_nice(&h, "sv-write", &nice));
        assert_int_equal(nice, may ? want : before);
        assert_true(sv_harness_thread_nice(&h, "sv-flush", &nice));
        assert_int_equal(nice, may ? want : before);
        assert_true(sv_harness_thread_nice(&h, "sv-prepare", &nice));
        assert_int_equal(nice, before);
        assert_int_equal(
            sv_harness_log_contains(&h, "cannot give the sv-write thread"),
            !may);
        sv_harness_cleanup(&h);
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "%s --no-auth --commit-nice 20 2>&1 | grep -q 'not a nice value "
             "from -20 to 19: 20'",
             SV_BINARY_DIR "/collector/survey-collector");
    assert_int_equal(system(cmd), 0);
}

/* Limits: answers per submission and text length are named problems. */
static void test_submission_limits(void **state)
{
    sv_harness *h = *state;
    form f;
    init_form(&f, "460001", "too-long", 0);
    find_answer(&f, "care_support")->choice = "yes";
    static char text[8002];
    memset(text, 'x', sizeof text - 1);
    add_text(&f, "care_support_background", text);
    Survey__V1__Reply *reply = submit(h->endpoint, &f);
    Survey__V1__Error *e =
        expect_error(reply, SURVEY__V1__ERROR__CODE__INVALID);
    assert_int_equal(e->n_problems, 1);
    assert_int_equal(e->problems[0]->rule, SURVEY__V1__PROBLEM__RULE__TOO_LONG);
    assert_string_equal(e->problems[0]->question, "care_support_background");
    free_reply(reply);

    /* 1001 answers */
    Survey__V1__Answer *many = calloc(1001, sizeof *many);
    Survey__V1__Answer **ptrs = calloc(1001, sizeof *ptrs);
    assert_non_null(many);
    assert_non_null(ptrs);
    for (size_t i = 0; i < 1001; i++) {
        survey__v1__answer__init(&many[i]);
        many[i].question = "holders";
        many[i].value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
        many[i].integer = 1;
        ptrs[i] = &many[i];
    }
    init_form(&f, "460001", "too-many", 0);
    f.sub.answers = ptrs;
    f.sub.n_answers = 1001;
    reply = submit(h->endpoint, &f);
    e = expect_error(reply, SURVEY__V1__ERROR__CODE__INVALID);
    assert_int_equal(e->n_problems, 1);
    assert_int_equal(e->problems[0]->rule,
                     SURVEY__V1__PROBLEM__RULE__TOO_MANY_ANSWERS);
    free_reply(reply);
    free(ptrs);
    free(many);
}

typedef struct {
    const char *endpoint;
    int sent;
    int received;
    volatile int done; /* set by the main thread */
} flood;

/* Sends get requests as fast as the socket takes them, reading replies on
 * the side, until told to stop. */
static void *flooder(void *arg)
{
    flood *fl = arg;
    void *ctx = zmq_ctx_new();
    void *dealer = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(dealer, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(dealer, fl->endpoint) != 0)
        return NULL;
    Survey__V1__GetRequest g = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    g.survey = SURVEY;
    g.respondent = "010006";
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &g;
    uint8_t buf[256], in[65536];
    size_t len = survey__v1__request__get_packed_size(&req);
    survey__v1__request__pack(&req, buf);
    while (!fl->done && fl->sent < 200000) {
        zmq_pollitem_t items[] = {{dealer, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0}};
        if (zmq_poll(items, 1, 10) < 0)
            break;
        if (items[0].revents & ZMQ_POLLOUT &&
            zmq_send(dealer, buf, len, ZMQ_DONTWAIT) >= 0)
            fl->sent++;
        while (zmq_recv(dealer, in, sizeof in, ZMQ_DONTWAIT) >= 0)
            fl->received++;
    }
    zmq_close(dealer);
    zmq_ctx_term(ctx);
    return NULL;
}

/* A flood from one client does not stall the others. */
static void test_flood_does_not_stall_others(void **state)
{
    sv_harness *h = *state;
    flood fl = {.endpoint = h->endpoint};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, flooder, &fl), 0);
    while (fl.received < 2000) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < 20; i++) {
        Survey__V1__Reply *reply = NULL;
        Survey__V1__QuestionnaireRequest q =
            SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
        Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
        req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
        req.questionnaire = &q;
        assert_int_equal(sv_harness_call(h->endpoint, &req, &reply, 5000), 0);
        assert_int_equal(reply->body_case,
                         SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
        free_reply(reply);
    }
    int flooding = fl.sent - fl.received;
    fl.done = 1;
    assert_int_equal(pthread_join(t, NULL), 0);
    /* the flood was real: requests were still queued while we were served */
    assert_true(fl.sent > 2000);
    fprintf(stderr, "flood: %d sent, %d answered, %d in flight at the end\n",
            fl.sent, fl.received, flooding);
}

/* A client that sends many requests before it reads a reply: once its
 * queue of replies is full (--max-in-flight 20 here), the collector holds
 * the rest and sends them as the client reads, acks of stored
 * submissions among them; none is lost. */
static void test_slow_reader_gets_every_reply(void **state)
{
    (void)state;
    sv_harness h = {0};
    const char *const extra[] = {"--max-in-flight", "20", NULL};
    assert_int_equal(sv_harness_start(&h, extra), 0);
    void *ctx = zmq_ctx_new();
    void *dealer = open_dealer(ctx, h.endpoint);
    int hwm = 10;
    assert_int_equal(zmq_setsockopt(dealer, ZMQ_RCVHWM, &hwm, sizeof hwm), 0);
    enum { READS = 150, SUBMITS = 10 };
    uint8_t buf[64];
    Survey__V1__QuestionnaireRequest q =
        SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
    req.questionnaire = &q;
    for (int i = 0; i < READS; i++) {
        req.request_id = 1000 + (uint64_t)i;
        size_t len = survey__v1__request__pack(&req, buf);
        assert_int_equal(zmq_send(dealer, buf, len, 0), (int)len);
    }
    const char *codes[SUBMITS] = {"010006", "020001", "030007", "040002",
                                  "050008", "060003", "070009", "080004",
                                  "090000", "100005"};
    for (int i = 0; i < SUBMITS; i++)
        send_submission(dealer, codes[i], "slow", i, 5000);
    /* nothing read for a while: the questionnaires (tens of KB each) fill
       the socket and the client's queue; the collector holds the rest */
    struct timespec ts = {1, 0};
    nanosleep(&ts, NULL);
    int questionnaires = 0, acks = 0;
    for (int i = 0; i < READS + SUBMITS; i++) {
        uint8_t *big = malloc(1 << 20);
        assert_non_null(big);
        int n = zmq_recv(dealer, big, 1 << 20, 0);
        if (n <= 0)
            fail_msg("reply %d of %d did not come", i + 1, READS + SUBMITS);
        Survey__V1__Reply *reply =
            survey__v1__reply__unpack(NULL, (size_t)n, big);
        free(big);
        assert_non_null(reply);
        if (reply->body_case == SURVEY__V1__REPLY__BODY_QUESTIONNAIRE)
            questionnaires++;
        else if (reply->body_case == SURVEY__V1__REPLY__BODY_ACK)
            acks++;
        free_reply(reply);
    }
    assert_int_equal(questionnaires, READS);
    assert_int_equal(acks, SUBMITS);
    /* and they were held on the way (the case this is about) */
    assert_true(sv_harness_log_contains(&h, "held"));
    assert_false(sv_harness_log_contains(&h, "not sent"));
    assert_false(sv_harness_log_contains(&h, "dropped"));
    zmq_close(dealer);
    zmq_ctx_term(ctx);
    sv_harness_cleanup(&h);
}

int main(void)
{
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_submit_then_get),
        cmocka_unit_test(test_incomplete_is_accepted_with_missing),
        cmocka_unit_test(test_duplicate_retry),
        cmocka_unit_test(test_correction_and_conflict),
        cmocka_unit_test(test_invalid_reports_every_problem),
        cmocka_unit_test(test_unknown_survey_and_respondent),
        cmocka_unit_test(test_questionnaire),
        cmocka_unit_test(test_malformed_requests),
        cmocka_unit_test(test_refused_bytes),
        cmocka_unit_test(test_check_stores_nothing),
        cmocka_unit_test(test_dealer_pipeline),
        cmocka_unit_test(test_submission_limits),
        cmocka_unit_test(test_flood_does_not_stall_others),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test(test_oversized_frames),
        cmocka_unit_test(test_map_full),
        cmocka_unit_test(test_broken_batch_is_redone),
        cmocka_unit_test(test_sigterm_and_restart),
        cmocka_unit_test(test_tcp_loopback),
        cmocka_unit_test(test_thread_names),
        cmocka_unit_test(test_commit_nice),
        cmocka_unit_test(test_slow_reader_gets_every_reply),
    };
    int failed =
        cmocka_run_group_tests_name("collector", shared, setup, teardown);
    failed +=
        cmocka_run_group_tests_name("collector_lifecycle", own, NULL, NULL);
    return failed;
}
