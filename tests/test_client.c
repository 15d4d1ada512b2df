/* test_client.c: the `survey` client. Pure parts (JSON <-> wire answers,
 * reply texts, history diffs, name-based ids), the transport against a
 * scripted ZeroMQ peer in a child process (lazy pirate, pipeline), and the
 * real `survey` binary end to end against the real collector. */
#include "answers_json.h"
#include "harness.h"
#include "history.h"
#include "load.h"
#include "outcome.h"
#include "rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#define SURVEY_BIN SV_BINARY_DIR "/clients/survey"

/* ---- fixtures ---------------------------------------------------------- */

typedef struct {
    Survey__V1__Question q[4];
    Survey__V1__Question *qp[4];
    Survey__V1__Questionnaire qn;
} form;

/* holders: integer, consult: select_one, channel: select_multiple,
 * content: text. */
static void form_init(form *f)
{
    static const char *const names[] = {"holders", "consult", "channel",
                                        "content"};
    static const Survey__V1__Question__Type types[] = {
        SURVEY__V1__QUESTION__TYPE__INTEGER,
        SURVEY__V1__QUESTION__TYPE__SELECT_ONE,
        SURVEY__V1__QUESTION__TYPE__SELECT_MULTIPLE,
        SURVEY__V1__QUESTION__TYPE__TEXT};
    survey__v1__questionnaire__init(&f->qn);
    for (size_t i = 0; i < 4; i++) {
        survey__v1__question__init(&f->q[i]);
        f->q[i].name = (char *)names[i];
        f->q[i].type = types[i];
        f->qp[i] = &f->q[i];
    }
    f->qn.survey = "s";
    f->qn.n_questions = 4;
    f->qn.questions = f->qp;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    return doc;
}

/* Converts text; asserts success. */
static Survey__V1__Submission *convert(const char *text, const form *f)
{
    json_t *doc = parse(text);
    Survey__V1__Submission *sub = NULL;
    sv_error err = {""};
    sv_status st = sv_json_to_submission(doc, "dflt", f != NULL ? &f->qn : NULL,
                                         &sub, &err);
    json_decref(doc);
    if (st != SV_OK)
        fail_msg("conversion failed: %s", err.msg);
    return sub;
}

/* Converts text; asserts SV_ERR_INVALID and returns the message. */
static void convert_fails(const char *text, const form *f, sv_error *err)
{
    json_t *doc = parse(text);
    Survey__V1__Submission *sub = NULL;
    sv_status st = sv_json_to_submission(doc, "dflt", f != NULL ? &f->qn : NULL,
                                         &sub, err);
    json_decref(doc);
    assert_int_equal(st, SV_ERR_INVALID);
    assert_null(sub);
}

/* Captures what is written to *f into *buf (see capture_end). */
static void capture_begin(FILE **f, char **buf, size_t *len)
{
    *f = open_memstream(buf, len);
    assert_non_null(*f);
}

/* Closes f and returns the captured text (*buf, valid only now). */
static char *capture_end(FILE *f, char **buf)
{
    assert_int_equal(fclose(f), 0);
    return *buf;
}

/* ---- JSON -> Submission ------------------------------------------------ */

static void test_json_typed_answers(void **state)
{
    (void)state;
    form f;
    form_init(&f);
    Survey__V1__Submission *sub =
        convert("{\"survey\": \"s\", \"respondent\": \"010006\","
                " \"answers\": {\"consult\": \"yes\","
                " \"channel\": [\"counter\", \"phone\"], \"holders\": 2203,"
                " \"content\": \"支援内容\"},"
                " \"base_revision\": 2, \"note\": \"fix\","
                " \"submission_id\": \"abc\"}",
                &f);
    assert_string_equal(sub->survey, "s");
    assert_string_equal(sub->respondent, "010006");
    assert_string_equal(sub->note, "fix");
    assert_string_equal(sub->submission_id, "abc");
    assert_int_equal(sub->base_revision, 2);
    assert_int_equal(sub->n_answers, 4);
    /* the file's order, not the questionnaire's */
    assert_string_equal(sub->answers[0]->question, "consult");
    assert_int_equal(sub->answers[0]->value_case,
                     SURVEY__V1__ANSWER__VALUE_CHOICE);
    assert_string_equal(sub->answers[0]->choice, "yes");
    assert_string_equal(sub->answers[1]->question, "channel");
    assert_int_equal(sub->answers[1]->value_case,
                     SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(sub->answers[1]->choices->n_options, 2);
    assert_string_equal(sub->answers[1]->choices->options[0], "counter");
    assert_string_equal(sub->answers[1]->choices->options[1], "phone");
    assert_string_equal(sub->answers[2]->question, "holders");
    assert_int_equal(sub->answers[2]->value_case,
                     SURVEY__V1__ANSWER__VALUE_INTEGER);
    assert_int_equal(sub->answers[2]->integer, 2203);
    assert_string_equal(sub->answers[3]->question, "content");
    assert_int_equal(sub->answers[3]->value_case,
                     SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(sub->answers[3]->text, "支援内容");
    survey__v1__submission__free_unpacked(sub, NULL);
}

/* Values that do not fit go in their closest wire form, unrepaired. */
static void test_json_misfits_are_sent_as_they_are(void **state)
{
    (void)state;
    form f;
    form_init(&f);
    Survey__V1__Submission *sub =
        convert("{\"respondent\": \"010006\", \"answers\": {"
                "\"zzz\": \"v\", \"holders\": \"-1\","
                " \"consult\": [\"yes\", \"no\"], \"content\": [\"x\"],"
                " \"channel\": \"counter\", \"yyy\": 7, \"consult2\": [],"
                " \"content \": 3}}",
                &f);
    assert_string_equal(sub->survey, "dflt");
    assert_int_equal(sub->base_revision, 0);
    assert_string_equal(sub->submission_id, "");
    assert_int_equal(sub->n_answers, 8);
    Survey__V1__Answer **a = sub->answers;
    assert_string_equal(a[0]->question, "zzz");
    assert_int_equal(a[0]->value_case, SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(a[0]->text, "v");
    assert_string_equal(a[1]->question, "holders");
    assert_int_equal(a[1]->value_case, SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(a[1]->text, "-1");
    assert_int_equal(a[2]->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(a[2]->choices->n_options, 2);
    assert_int_equal(a[3]->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_string_equal(a[3]->choices->options[0], "x");
    assert_string_equal(a[4]->question, "channel");
    assert_int_equal(a[4]->value_case, SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_int_equal(a[5]->value_case, SURVEY__V1__ANSWER__VALUE_INTEGER);
    assert_int_equal(a[5]->integer, 7);
    assert_int_equal(a[6]->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(a[6]->choices->n_options, 0);
    assert_string_equal(a[7]->question, "content ");
    assert_int_equal(a[7]->value_case, SURVEY__V1__ANSWER__VALUE_INTEGER);
    survey__v1__submission__free_unpacked(sub, NULL);

    /* without a questionnaire every question is unknown: strings -> text */
    sub = convert("{\"respondent\": \"1\", \"answers\": {\"consult\": "
                  "\"yes\"}}",
                  NULL);
    assert_int_equal(sub->answers[0]->value_case,
                     SURVEY__V1__ANSWER__VALUE_TEXT);
    survey__v1__submission__free_unpacked(sub, NULL);
}

static void test_json_values_without_wire_form(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        const char *shown;
    } cases[] = {
        {"null", "null"},     {"{\"a\": 1}", "{\"a\":1}"},
        {"1.5", "1.5"},       {"true", "true"},
        {"[1, 2]", "[1,2]"},  {"[\"a\", null]", "[\"a\",null]"},
        {"2203.0", "2203.0"}, {"[[\"a\"]]", "[[\"a\"]]"},
    };
    form f;
    form_init(&f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[200];
        sv_error err = {""};
        snprintf(text, sizeof text,
                 "{\"respondent\": \"010006\", \"answers\": {"
                 "\"consult\": \"yes\", \"holders\": %s}}",
                 cases[i].value);
        convert_fails(text, &f, &err);
        char want[100];
        snprintf(want, sizeof want, "answer \"holders\": %s is not",
                 cases[i].shown);
        if (strstr(err.msg, want) == NULL)
            fail_msg("case %s: message '%s' lacks '%s'", cases[i].value,
                     err.msg, want);
    }
}

static void test_json_envelope(void **state)
{
    (void)state;
    sv_error err = {""};
    convert_fails("{\"answers\": {}}", NULL, &err);
    assert_string_equal(err.msg, "\"respondent\" is missing");
    convert_fails("{\"respondent\": 10006, \"answers\": {}}", NULL, &err);
    assert_string_equal(err.msg, "\"respondent\" is not a string");
    convert_fails("{\"respondent\": \"1\"}", NULL, &err);
    assert_string_equal(err.msg, "\"answers\" is missing");
    convert_fails("{\"respondent\": \"1\", \"answers\": []}", NULL, &err);
    assert_string_equal(err.msg, "\"answers\" is not an object");
    convert_fails("{\"respondent\": \"1\", \"answers\": {}, \"answer\": {}}",
                  NULL, &err);
    assert_string_equal(err.msg, "unknown key \"answer\"");
    convert_fails("{\"respondent\": \"1\", \"answers\": {},"
                  " \"base_revision\": -1}",
                  NULL, &err);
    assert_string_equal(err.msg, "\"base_revision\" is not an integer >= 0");
    convert_fails("{\"respondent\": \"1\", \"answers\": {}, \"survey\": 6}",
                  NULL, &err);
    assert_string_equal(err.msg, "\"survey\" is not a string");
    convert_fails("[1]", NULL, &err);
    assert_string_equal(err.msg, "a submission must be a JSON object");

    /* the output of `survey get`: revision stands for base_revision, the
     * informative keys are ignored */
    Survey__V1__Submission *sub =
        convert("{\"survey\": \"s\", \"respondent\": \"1\", \"revision\": 4,"
                " \"sequence\": 9, \"time\": \"x\", \"submitter\": \"a\","
                " \"note\": \"n\", \"answers\": {}, \"missing\": [\"q\"]}",
                NULL);
    assert_int_equal(sub->base_revision, 4);
    assert_int_equal(sub->n_answers, 0);
    assert_int_equal(sv_submission_set_id(sub, "id-1"), SV_OK);
    assert_string_equal(sub->submission_id, "id-1");
    assert_int_equal(sv_submission_set_id(sub, "id-2"), SV_OK);
    assert_string_equal(sub->submission_id, "id-2");
    survey__v1__submission__free_unpacked(sub, NULL);
    sub = convert("{\"respondent\": \"1\", \"answers\": {}, \"revision\": 4,"
                  " \"base_revision\": 2}",
                  NULL);
    assert_int_equal(sub->base_revision, 2);
    survey__v1__submission__free_unpacked(sub, NULL);
}

/* ---- Revision -> JSON -------------------------------------------------- */

typedef struct {
    Survey__V1__Answer a[4];
    Survey__V1__Answer *ap[4];
    Survey__V1__Choices choices;
    char *options[2];
    char *missing[2];
    Survey__V1__Revision rev;
} sample_revision;

static void sample_init(sample_revision *s)
{
    for (size_t i = 0; i < 4; i++) {
        survey__v1__answer__init(&s->a[i]);
        s->ap[i] = &s->a[i];
    }
    s->a[0].question = "consult";
    s->a[0].value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    s->a[0].choice = "yes";
    s->a[1].question = "channel";
    s->a[1].value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    survey__v1__choices__init(&s->choices);
    s->options[0] = "counter";
    s->options[1] = "phone";
    s->choices.options = s->options;
    s->choices.n_options = 2;
    s->a[1].choices = &s->choices;
    s->a[2].question = "holders";
    s->a[2].value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    s->a[2].integer = 2203;
    s->a[3].question = "content";
    s->a[3].value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    s->a[3].text = "窓口で \"相談\"";
    s->missing[0] = "peer_counselors";
    s->missing[1] = "consult_funding";
    survey__v1__revision__init(&s->rev);
    s->rev.revision = 2;
    s->rev.sequence = 18;
    s->rev.time_ms = 1795557600123LL;
    s->rev.submitter = "alice";
    s->rev.note = "補正";
    s->rev.submission_id = "u-1";
    s->rev.base_revision = 1;
    s->rev.answers = s->ap;
    s->rev.n_answers = 4;
    s->rev.missing = s->missing;
    s->rev.n_missing = 2;
}

static void test_revision_to_json(void **state)
{
    (void)state;
    sample_revision s;
    sample_init(&s);
    json_t *j = sv_revision_to_json("shoman-jiritsu-r6", "010006", &s.rev, 0);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(
        text, "{\"survey\":\"shoman-jiritsu-r6\",\"respondent\":\"010006\","
              "\"revision\":2,\"sequence\":18,"
              "\"time\":\"2026-11-24T22:00:00.123Z\",\"submitter\":\"alice\","
              "\"note\":\"補正\",\"answers\":{\"consult\":\"yes\","
              "\"channel\":[\"counter\",\"phone\"],\"holders\":2203,"
              "\"content\":\"窓口で \\\"相談\\\"\"},"
              "\"missing\":[\"peer_counselors\",\"consult_funding\"]}");
    free(text);
    json_decref(j);

    j = sv_revision_to_json("s", "r", &s.rev, 1);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "submission_id")),
                        "u-1");
    assert_int_equal(json_integer_value(json_object_get(j, "base_revision")),
                     1);
    json_decref(j);
}

/* What `survey get` prints can be submitted again and means the same. */
static void test_get_output_round_trips(void **state)
{
    (void)state;
    sample_revision s;
    form f;
    sample_init(&s);
    form_init(&f);
    json_t *j = sv_revision_to_json("s", "010006", &s.rev, 0);
    assert_non_null(j);
    Survey__V1__Submission *sub = NULL;
    sv_error err = {""};
    assert_int_equal(sv_json_to_submission(j, "", &f.qn, &sub, &err), SV_OK);
    json_decref(j);
    assert_int_equal(sub->base_revision, 2);
    assert_string_equal(sub->survey, "s");
    assert_int_equal(sub->n_answers, 4);
    for (size_t i = 0; i < 4; i++) {
        const Survey__V1__Answer *want = s.ap[i];
        const Survey__V1__Answer *got = sub->answers[i];
        uint8_t wb[256], gb[256];
        assert_true(survey__v1__answer__get_packed_size(want) < sizeof wb);
        size_t wl = survey__v1__answer__pack(want, wb);
        size_t gl = survey__v1__answer__pack(got, gb);
        assert_int_equal(wl, gl);
        assert_memory_equal(wb, gb, wl);
    }
    survey__v1__submission__free_unpacked(sub, NULL);
}

static void test_format_time(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(sv_format_time(0, buf, sizeof buf),
                        "1970-01-01T00:00:00.000Z");
    assert_string_equal(sv_format_time(-1, buf, sizeof buf),
                        "1969-12-31T23:59:59.999Z");
    assert_string_equal(sv_format_time(1795557600123LL, buf, sizeof buf),
                        "2026-11-24T22:00:00.123Z");
}

/* ---- reply texts ------------------------------------------------------- */

static void test_ack_line(void **state)
{
    (void)state;
    char *missing[10] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    Survey__V1__Ack ack = SURVEY__V1__ACK__INIT;
    ack.respondent = "010006";
    ack.revision = 1;
    ack.sequence = 17;
    FILE *f;
    char *buf;
    size_t len;

    capture_begin(&f, &buf, &len);
    sv_outcome_ack(f, &ack);
    assert_string_equal(capture_end(f, &buf),
                        "accepted 010006 revision 1 sequence 17");
    free(buf);

    ack.duplicate = 1;
    ack.missing = missing;
    ack.n_missing = 10;
    capture_begin(&f, &buf, &len);
    sv_outcome_ack(f, &ack);
    assert_string_equal(capture_end(f, &buf),
                        "accepted 010006 revision 1 sequence 17 (duplicate); "
                        "incomplete: 10 required questions missing: "
                        "a, b, c, d, e, f, g, h, …");
    free(buf);

    ack.duplicate = 0;
    ack.n_missing = 1;
    capture_begin(&f, &buf, &len);
    sv_outcome_ack(f, &ack);
    assert_string_equal(capture_end(f, &buf),
                        "accepted 010006 revision 1 sequence 17; "
                        "incomplete: 1 required question missing: a");
    free(buf);
}

static void test_error_lines(void **state)
{
    (void)state;
    Survey__V1__Problem p1 = SURVEY__V1__PROBLEM__INIT;
    Survey__V1__Problem p2 = SURVEY__V1__PROBLEM__INIT;
    Survey__V1__Problem *problems[2] = {&p1, &p2};
    p1.question = "holders";
    p1.value = "-1";
    p1.rule = SURVEY__V1__PROBLEM__RULE__CONSTRAINT;
    p1.message = ". >= 0";
    p2.question = "note\"x";
    p2.value = "a\"b\\c\n";
    p2.rule = SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION;
    Survey__V1__Error e = SURVEY__V1__ERROR__INIT;
    e.code = SURVEY__V1__ERROR__CODE__CONFLICT;
    e.message = "stale base revision 0";
    e.current_revision = 3;
    FILE *f;
    char *buf;
    size_t len;

    capture_begin(&f, &buf, &len);
    sv_outcome_error(f, &e);
    assert_string_equal(capture_end(f, &buf), "CONFLICT: stale base revision 0 "
                                              "(current revision 3)");
    free(buf);

    capture_begin(&f, &buf, &len);
    sv_outcome_problem(f, &p1);
    assert_string_equal(capture_end(f, &buf),
                        "holders = \"-1\": CONSTRAINT: . >= 0");
    free(buf);

    e.code = SURVEY__V1__ERROR__CODE__INVALID;
    e.message = "2 problems";
    e.problems = problems;
    e.n_problems = 2;
    capture_begin(&f, &buf, &len);
    sv_outcome_error_brief(f, &e);
    assert_string_equal(capture_end(f, &buf),
                        "INVALID: holders = \"-1\": CONSTRAINT: . >= 0; "
                        "note\"x = \"a\\\"b\\\\c\\n\": UNKNOWN_QUESTION");
    free(buf);

    e.code = (Survey__V1__Error__Code)42;
    e.n_problems = 0;
    capture_begin(&f, &buf, &len);
    sv_outcome_error_brief(f, &e);
    assert_string_equal(capture_end(f, &buf), "CODE_42: 2 problems");
    free(buf);
}

/* ---- history ----------------------------------------------------------- */

static void set_choice(Survey__V1__Answer *a, char *q, char *v)
{
    survey__v1__answer__init(a);
    a->question = q;
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = v;
}

static void set_integer(Survey__V1__Answer *a, char *q, int64_t v)
{
    survey__v1__answer__init(a);
    a->question = q;
    a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    a->integer = v;
}

static void test_history_text(void **state)
{
    (void)state;
    Survey__V1__Answer r1a[2], r2a[3], r3a[2];
    Survey__V1__Answer *r1p[2] = {&r1a[0], &r1a[1]};
    Survey__V1__Answer *r2p[3] = {&r2a[0], &r2a[1], &r2a[2]};
    Survey__V1__Answer *r3p[2] = {&r3a[0], &r3a[1]};
    Survey__V1__Choices ch = SURVEY__V1__CHOICES__INIT;
    char *opts[2] = {"counter", "phone"};
    ch.options = opts;
    ch.n_options = 2;
    set_choice(&r1a[0], "consult", "yes");
    set_integer(&r1a[1], "holders", 10);
    set_integer(&r2a[0], "holders", 12);
    set_choice(&r2a[1], "consult", "yes");
    survey__v1__answer__init(&r2a[2]);
    r2a[2].question = "channel";
    r2a[2].value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    r2a[2].choices = &ch;
    r3a[0] = r2a[0];
    r3a[1] = r2a[2];
    Survey__V1__Revision revs[4];
    Survey__V1__Revision *revp[4] = {&revs[0], &revs[1], &revs[2], &revs[3]};
    Survey__V1__Answer **answers[4] = {r1p, r2p, r3p, r3p};
    size_t counts[4] = {2, 3, 2, 2};
    for (size_t i = 0; i < 4; i++) {
        survey__v1__revision__init(&revs[i]);
        revs[i].revision = i + 1;
        revs[i].sequence = 16 + i;
        revs[i].time_ms = 1795557600123LL + (int64_t)i * 1000;
        revs[i].submitter = i == 3 ? "" : "alice";
        revs[i].note = i == 1 ? "fix holders" : "";
        revs[i].answers = answers[i];
        revs[i].n_answers = counts[i];
    }
    Survey__V1__History h = SURVEY__V1__HISTORY__INIT;
    h.revisions = revp;
    h.n_revisions = 4;
    FILE *f;
    char *buf;
    size_t len;
    sv_error err;
    capture_begin(&f, &buf, &len);
    assert_int_equal(sv_history_print(f, &h, &err), SV_OK);
    assert_string_equal(
        capture_end(f, &buf),
        "revision 1  2026-11-24T22:00:00.123Z  by alice  seq 16\n"
        "  + consult = \"yes\"\n"
        "  + holders = 10\n"
        "revision 2  2026-11-24T22:00:01.123Z  by alice  seq 17"
        "  note: fix holders\n"
        "  ~ holders: 10 -> 12\n"
        "  + channel = [\"counter\",\"phone\"]\n"
        "revision 3  2026-11-24T22:00:02.123Z  by alice  seq 18\n"
        "  - consult (was \"yes\")\n"
        "revision 4  2026-11-24T22:00:03.123Z  by (unknown)  seq 19\n"
        "  (no changes)\n");
    free(buf);
}

/* ---- name-based ids ---------------------------------------------------- */

static void test_load_line_id(void **state)
{
    (void)state;
    char a[37], b[37], c[37];
    sv_load_line_id("{\"x\": 1}", 8, a);
    sv_load_line_id("{\"x\": 1}", 8, b);
    sv_load_line_id("{\"x\": 2}", 8, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '5'); /* version 5: name-based, SHA-1 */
}

/* ---- transport against a scripted peer ---------------------------------- */

#define STOP_ID UINT64_MAX
#define PEER_MAX_IDS 64

/* How the scripted peer treats requests. */
typedef enum {
    PEER_LAZY,  /* ignore the first send of every request */
    PEER_FORMS, /* answer questionnaire requests only */
    PEER_PIPE   /* ignore the first send of ids divisible by 3, never
                  answer id 7, and send junk before the first reply */
} peer_mode;

typedef struct {
    uint64_t id;
    uint8_t *bytes;
    size_t len;
    int count;
} peer_seen;

/* Sends reply to the peer named by ident, in the request's envelope. */
static int peer_reply(void *sock, zmq_msg_t *ident, bool delimited,
                      const Survey__V1__Reply *reply)
{
    uint8_t buf[256];
    if (survey__v1__reply__get_packed_size(reply) > sizeof buf)
        return -1;
    size_t len = survey__v1__reply__pack(reply, buf);
    zmq_msg_t copy;
    if (zmq_msg_init(&copy) != 0 || zmq_msg_copy(&copy, ident) != 0)
        return -1;
    if (zmq_msg_send(&copy, sock, ZMQ_SNDMORE) < 0)
        return -1;
    if (delimited && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
        return -1;
    return zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
}

/* An Ack whose revision is the request id. */
static int peer_send(void *sock, zmq_msg_t *ident, bool delimited, uint64_t id)
{
    Survey__V1__Ack ack = SURVEY__V1__ACK__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    ack.respondent = "r";
    ack.revision = id;
    reply.body_case = SURVEY__V1__REPLY__BODY_ACK;
    reply.ack = &ack;
    reply.request_id = id;
    return peer_reply(sock, ident, delimited, &reply);
}

/* A questionnaire "s" with one integer question, holders. */
static int peer_send_form(void *sock, zmq_msg_t *ident, bool delimited,
                          uint64_t id)
{
    Survey__V1__Question q = SURVEY__V1__QUESTION__INIT;
    Survey__V1__Question *qp = &q;
    Survey__V1__Questionnaire qn = SURVEY__V1__QUESTIONNAIRE__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    q.name = "holders";
    q.type = SURVEY__V1__QUESTION__TYPE__INTEGER;
    qn.survey = "s";
    qn.questions = &qp;
    qn.n_questions = 1;
    reply.body_case = SURVEY__V1__REPLY__BODY_QUESTIONNAIRE;
    reply.questionnaire = &qn;
    reply.request_id = id;
    return peer_reply(sock, ident, delimited, &reply);
}

/* Runs in a child: serves until STOP_ID, exits 0 if every resend carried
 * the same bytes as the first send (and, in PEER_PIPE, id 7 came twice). */
/* Sends an undecodable frame and a reply for an id nobody asked for. */
static int peer_junk(void *sock, zmq_msg_t *ident, bool delimited)
{
    zmq_msg_t copy;
    if (zmq_msg_init(&copy) != 0 || zmq_msg_copy(&copy, ident) != 0 ||
        zmq_msg_send(&copy, sock, ZMQ_SNDMORE) < 0)
        return -1;
    if (delimited && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
        return -1;
    if (zmq_send(sock, "\xff\xff\xff", 3, 0) < 0)
        return -1;
    return peer_send(sock, ident, delimited, 999);
}

/* Remembers the first bytes of each id; counts resends that differ. */
static int peer_note(peer_seen *seen, size_t *n_seen, uint64_t id,
                     const zmq_msg_t *part, int *bad)
{
    size_t k = 0;
    while (k < *n_seen && seen[k].id != id)
        k++;
    size_t len = zmq_msg_size((zmq_msg_t *)part);
    const void *data = zmq_msg_data((zmq_msg_t *)part);
    if (k == *n_seen) {
        if (k == PEER_MAX_IDS)
            return -1;
        seen[k].id = id;
        seen[k].len = len;
        seen[k].bytes = malloc(len + 1);
        if (seen[k].bytes == NULL)
            return -1;
        memcpy(seen[k].bytes, data, len);
        seen[k].count = 0;
        (*n_seen)++;
    } else if (seen[k].len != len || memcmp(seen[k].bytes, data, len) != 0) {
        (*bad)++;
    }
    return ++seen[k].count;
}

/* Runs in a child: serves until STOP_ID, exits 0 if every resend carried
 * the same bytes as the first send (and, in PEER_PIPE, id 7 came twice).
 * Exits through _exit: what it allocates dies with it. */
static int peer_run(const char *endpoint, peer_mode mode)
{
    void *ctx = zmq_ctx_new();
    void *sock = ctx != NULL ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    if (sock == NULL || zmq_bind(sock, endpoint) != 0)
        return 10;
    peer_seen seen[PEER_MAX_IDS];
    size_t n_seen = 0;
    int bad = 0;
    bool junk_sent = false;
    for (;;) {
        zmq_msg_t ident, part;
        if (zmq_msg_init(&ident) != 0 || zmq_msg_init(&part) != 0)
            return 11;
        if (zmq_msg_recv(&ident, sock, 0) < 0 ||
            zmq_msg_recv(&part, sock, 0) < 0)
            return 12;
        bool delimited = zmq_msg_size(&part) == 0;
        if (delimited && zmq_msg_recv(&part, sock, 0) < 0)
            return 13;
        Survey__V1__Request *req = survey__v1__request__unpack(
            NULL, zmq_msg_size(&part), zmq_msg_data(&part));
        if (req == NULL)
            return 14;
        uint64_t id = req->request_id;
        bool form = req->body_case == SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
        survey__v1__request__free_unpacked(req, NULL);
        if (id == STOP_ID) {
            if (peer_send(sock, &ident, delimited, id) != 0)
                return 15;
            break;
        }
        int count = 0; /* questionnaire requests are not noted */
        if (form && mode == PEER_FORMS) {
            if (peer_send_form(sock, &ident, delimited, id) != 0)
                return 17;
        } else {
            count = peer_note(seen, &n_seen, id, &part, &bad);
            if (count < 0)
                return 16;
        }
        bool answer = mode == PEER_LAZY ? count >= 2
                                        : mode == PEER_PIPE && id != 7 &&
                                              (id % 3 != 0 || count >= 2);
        if (mode == PEER_PIPE && !junk_sent) {
            if (peer_junk(sock, &ident, delimited) != 0)
                return 17;
            junk_sent = true;
        }
        if (answer && peer_send(sock, &ident, delimited, id) != 0)
            return 18;
        if (zmq_msg_close(&ident) != 0 || zmq_msg_close(&part) != 0)
            return 19;
    }
    for (size_t k = 0; mode == PEER_PIPE && k < n_seen; k++) {
        if (seen[k].id == 7 && seen[k].count != 2)
            bad++;
    }
    if (zmq_close(sock) != 0 || zmq_ctx_term(ctx) != 0)
        return 19;
    return bad == 0 ? 0 : 20 + bad;
}

static pid_t peer_start(const char *endpoint, peer_mode mode)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60); /* never outlive a failed test for long */
        _exit(peer_run(endpoint, mode));
    }
    return pid;
}

/* Stops the peer with a STOP_ID request; returns its exit status. */
static int peer_stop(const char *endpoint, pid_t pid)
{
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.request_id = STOP_ID;
    Survey__V1__Reply *reply = NULL;
    assert_int_equal(sv_harness_call(endpoint, &req, &reply, 5000), 0);
    survey__v1__reply__free_unpacked(reply, NULL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void temp_endpoint(char *dir, size_t dsize, char *ep, size_t esize)
{
    char tmpl[] = "/tmp/sv-client-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    snprintf(dir, dsize, "%s", tmpl);
    snprintf(ep, esize, "ipc://%s/peer.sock", tmpl);
}

static void remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_rpc_times_out(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    sv_rpc *rpc = NULL;
    sv_error err = {""};
    assert_int_equal(sv_rpc_new(&rpc, ep, 60, 2, &err), SV_OK);
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    Survey__V1__Reply *reply = NULL;
    int64_t t0 = clock_ms();
    assert_int_equal(sv_rpc_call(rpc, &req, &reply, &err), SV_ERR_TIMEOUT);
    int64_t took = clock_ms() - t0;
    assert_null(reply);
    assert_true(took >= 180);
    char want[200];
    snprintf(want, sizeof want, "no reply from %s after 3 attempts", ep);
    assert_string_equal(err.msg, want);
    sv_rpc_destroy(&rpc);
    assert_null(rpc);

    assert_int_equal(sv_rpc_new(&rpc, "nonsense://x", 60, 0, &err), SV_OK);
    assert_int_equal(sv_rpc_call(rpc, &req, &reply, &err), SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "cannot connect to nonsense://x"));
    sv_rpc_destroy(&rpc);
    remove_dir(dir);
}

static void test_rpc_lazy_pirate_resends_same_bytes(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = peer_start(ep, PEER_LAZY);
    sv_rpc *rpc = NULL;
    sv_error err = {""};
    assert_int_equal(sv_rpc_new(&rpc, ep, 300, 3, &err), SV_OK);
    Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    get.respondent = "010006";
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &get;
    for (int round = 0; round < 2; round++) {
        Survey__V1__Reply *reply = NULL;
        sv_status st = sv_rpc_call(rpc, &req, &reply, &err);
        if (st != SV_OK)
            fail_msg("call %d: %s", round, err.msg);
        assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ACK);
        /* the rpc numbers its calls; the peer echoes the number */
        assert_int_equal(reply->ack->revision, round + 1);
        survey__v1__reply__free_unpacked(reply, NULL);
    }
    sv_rpc_destroy(&rpc);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

typedef struct {
    int calls[21];
    int answered[21];
} pipe_log;

static void on_pipe_reply(void *arg, size_t index,
                          const Survey__V1__Reply *reply)
{
    pipe_log *log = arg;
    log->calls[index]++;
    if (reply != NULL && reply->body_case == SURVEY__V1__REPLY__BODY_ACK &&
        reply->ack->revision == index + 1 && reply->request_id == index + 1)
        log->answered[index]++;
}

static void test_rpc_pipeline(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = peer_start(ep, PEER_PIPE);
    uint8_t bufs[20][64];
    sv_rpc_item items[20];
    for (size_t i = 0; i < 20; i++) {
        Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
        Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
        get.respondent = "010006";
        req.body_case = SURVEY__V1__REQUEST__BODY_GET;
        req.get = &get;
        req.request_id = i + 1;
        items[i].id = i + 1;
        items[i].len = survey__v1__request__pack(&req, bufs[i]);
        items[i].data = bufs[i];
    }
    sv_rpc *rpc = NULL;
    sv_error err = {""};
    pipe_log log;
    memset(&log, 0, sizeof log);
    assert_int_equal(sv_rpc_new(&rpc, ep, 250, 1, &err), SV_OK);
    sv_status st =
        sv_rpc_pipeline(rpc, items, 20, 4, on_pipe_reply, &log, &err);
    if (st != SV_OK)
        fail_msg("pipeline: %s", err.msg);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(log.calls[i], 1);
        assert_int_equal(log.answered[i], i + 1 == 7 ? 0 : 1);
    }
    /* ids must increase */
    items[1].id = 1;
    assert_int_equal(
        sv_rpc_pipeline(rpc, items, 2, 4, on_pipe_reply, &log, &err),
        SV_ERR_INVALID);
    sv_rpc_destroy(&rpc);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

/* ---- the survey binary --------------------------------------------------- */

typedef struct {
    int code; /* exit code, or -1 */
    char *out;
    char *err;
} run_result;

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    char chunk[4096];
    for (;;) {
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got == 0)
            break;
        assert_int_equal(fwrite(chunk, 1, got, m), got);
    }
    assert_int_equal(ferror(f), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(fclose(m), 0);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Starts survey with args (NULL-terminated) in the background, stdout and
 * stderr to files in dir. */
static pid_t survey_spawn(const char *dir, const char *const *args)
{
    char out[256], err[256];
    snprintf(out, sizeof out, "%s/survey.out", dir);
    snprintf(err, sizeof err, "%s/survey.err", dir);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = SURVEY_BIN;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
            dup2(in, 0) < 0)
            _exit(126);
        unsetenv("SURVEY_ENDPOINT");
        unsetenv("SURVEY_ID");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static run_result survey_wait(const char *dir, pid_t pid)
{
    run_result r = {-1, NULL, NULL};
    int status;
    pid_t got;
    do {
        got = waitpid(pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    assert_int_equal(got, pid);
    if (WIFEXITED(status))
        r.code = WEXITSTATUS(status);
    char path[256];
    snprintf(path, sizeof path, "%s/survey.out", dir);
    r.out = slurp_file(path);
    snprintf(path, sizeof path, "%s/survey.err", dir);
    r.err = slurp_file(path);
    return r;
}

static run_result survey_run(const char *dir, const char *const *args)
{
    return survey_wait(dir, survey_spawn(dir, args));
}

static void result_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static void expect_contains(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, text);
}

static void test_cli_usage(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    run_result r = survey_run(dir, (const char *[]){"--help", NULL});
    assert_int_equal(r.code, 0);
    static const char *const words[] = {"--endpoint",   "--survey",
                                        "--timeout",    "--retries",
                                        "--window",     "--json",
                                        "--help",       "submit",
                                        "load",         "get",
                                        "history",      "SURVEY_ENDPOINT",
                                        "SURVEY_ID",    "tcp://127.0.0.1:5555",
                                        "  0  success", "  1  rejected",
                                        "  2  usage",   "  3  no reply"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    result_free(&r);

    r = survey_run(dir, (const char *[]){"load", "--help", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "survey [OPTIONS] load FILE.jsonl");
    expect_contains(r.out, "--window");
    expect_contains(r.out, "--retries");
    expect_contains(r.out, "  3  no reply");
    result_free(&r);

    const char *const *bad[] = {
        (const char *[]){NULL},
        (const char *[]){"frob", "x", NULL},
        (const char *[]){"get", NULL},
        (const char *[]){"get", "a", "b", NULL},
        (const char *[]){"--timeout", "0", "get", "a", NULL},
        (const char *[]){"--retries", "x", "get", "a", NULL},
        (const char *[]){"--window", "4", "get", "a", NULL},
        (const char *[]){"get", "--json", "a", NULL},
        (const char *[]){"--bogus", "get", "a", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = survey_run(dir, bad[i]);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        assert_true(strlen(r.err) > 0);
        assert_int_equal(strlen(r.out), 0);
        result_free(&r);
    }

    /* unreadable or malformed input: exit 2 before any network traffic */
    r = survey_run(dir, (const char *[]){"--endpoint", ep, "submit",
                                         "/nonexistent.json", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "/nonexistent.json");
    result_free(&r);
    r = survey_run(dir, (const char *[]){"--endpoint", ep, "load",
                                         "/nonexistent.jsonl", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "cannot open /nonexistent.jsonl");
    result_free(&r);

    /* nobody there: exit 3 after 1 + retries attempts */
    r = survey_run(dir,
                   (const char *[]){"--endpoint", ep, "--timeout", "50",
                                    "--retries", "2", "get", "010006", NULL});
    assert_int_equal(r.code, 3);
    char want[200];
    snprintf(want, sizeof want, "survey: no reply from %s after 3 attempts\n",
             ep);
    assert_string_equal(r.err, want);
    result_free(&r);
    remove_dir(dir);
}

/* A load whose submissions all go unanswered: every line is listed,
 * exit 3. The peer answers the questionnaire request only. */
static void test_cli_load_unanswered(void **state)
{
    (void)state;
    char dir[64], ep[128], path[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = peer_start(ep, PEER_FORMS);
    snprintf(path, sizeof path, "%s/l.jsonl", dir);
    write_file(path,
               "{\"respondent\": \"010006\", \"answers\": {\"holders\": 1}}\n"
               "{\"respondent\": \"020001\", \"answers\": {\"holders\": 2}}\n");
    run_result r =
        survey_run(dir, (const char *[]){"-e", ep, "--timeout", "100",
                                         "--retries", "1", "load", path, NULL});
    assert_int_equal(r.code, 3);
    assert_string_equal(r.out,
                        "loaded 2 submissions: 0 accepted (0 incomplete), "
                        "0 duplicates, 0 rejected, 2 unanswered\n"
                        "  line 1 (010006): no reply after 2 attempts\n"
                        "  line 2 (020001): no reply after 2 attempts\n");
    assert_string_equal(r.err, "");
    result_free(&r);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

#ifdef SV_HAVE_COLLECTOR

/* A collector of its own for each test, stopped and removed even when the
 * test fails. */
static int collector_up(void **state)
{
    sv_harness *h = calloc(1, sizeof *h);
    if (h == NULL)
        return -1;
    if (sv_harness_start(h, NULL) != 0) {
        sv_harness_cleanup(h);
        free(h);
        return -1;
    }
    *state = h;
    return 0;
}

static int collector_down(void **state)
{
    sv_harness *h = *state;
    if (h != NULL) {
        sv_harness_cleanup(h);
        free(h);
    }
    return 0;
}

static const char first_answers[] =
    "{\"respondent\": \"010006\", \"note\": \"first\", \"answers\": {"
    "\"holders\": 2203, \"consult\": \"yes\", \"supporter\": \"no\","
    " \"consult_channel\": [\"counter\", \"phone\"]}}\n";

static void test_cli_submit_get_history(void **state)
{
    sv_harness *h = *state;
    char path[300], path2[300];
    snprintf(path, sizeof path, "%s/first.json", h->dir);
    write_file(path, first_answers);

    run_result r =
        survey_run(h->dir, (const char *[]){"--endpoint", h->endpoint, "submit",
                                            path, NULL});
    if (r.code != 0)
        fail_msg("submit: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 1 sequence ", 36);
    expect_contains(r.out, "; incomplete: ");
    expect_contains(r.out, " required questions missing: ");
    assert_non_null(strchr(r.out, '\n'));
    assert_ptr_equal(strchr(r.out, '\n'), r.out + strlen(r.out) - 1);
    assert_string_equal(r.err, "");
    result_free(&r);

    /* the same content under a new random id builds on revision 0 */
    r = survey_run(h->dir, (const char *[]){"submit", path, "--endpoint",
                                            h->endpoint, NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: CONFLICT: ");
    expect_contains(r.err, "current revision 1");
    result_free(&r);

    /* a fixed submission_id sent twice: the second is a duplicate */
    snprintf(path2, sizeof path2, "%s/second.json", h->dir);
    write_file(path2, "{\"respondent\": \"010006\", \"base_revision\": 1,"
                      " \"submission_id\": \"fixed-id-1\", \"note\": \"more\","
                      " \"answers\": {\"holders\": 2210, \"consult\": \"yes\","
                      " \"supporter\": \"no\"}}");
    for (int i = 0; i < 2; i++) {
        r = survey_run(
            h->dir, (const char *[]){"-e", h->endpoint, "submit", path2, NULL});
        if (r.code != 0)
            fail_msg("second submit %d: exit %d: %s", i, r.code, r.err);
        assert_memory_equal(r.out, "accepted 010006 revision 2 sequence ", 36);
        if (i == 1)
            expect_contains(r.out, " (duplicate)");
        else
            assert_null(strstr(r.out, "duplicate"));
        result_free(&r);
    }

    /* get prints JSON that can be edited and submitted again */
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "get", "010006", NULL});
    assert_int_equal(r.code, 0);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    if (doc == NULL)
        fail_msg("get output is not JSON: %s\n%s", jerr.text, r.out);
    assert_string_equal(json_string_value(json_object_get(doc, "survey")),
                        "shoman-jiritsu-r6");
    assert_int_equal(json_integer_value(json_object_get(doc, "revision")), 2);
    assert_string_equal(json_string_value(json_object_get(doc, "note")),
                        "more");
    json_t *answers = json_object_get(doc, "answers");
    assert_int_equal(json_integer_value(json_object_get(answers, "holders")),
                     2210);
    assert_string_equal(json_string_value(json_object_get(answers, "consult")),
                        "yes");
    assert_true(json_array_size(json_object_get(doc, "missing")) > 0);
    const char *when = json_string_value(json_object_get(doc, "time"));
    assert_non_null(when);
    assert_int_equal(strlen(when), 24);
    assert_int_equal(when[23], 'Z');
    assert_int_equal(
        json_object_set_new(answers, "holders", json_integer(2300)), 0);
    assert_int_equal(json_object_set_new(answers, "consult_channel",
                                         json_pack("[s]", "email")),
                     0);
    assert_int_equal(json_object_set_new(doc, "note", json_string("edited")),
                     0);
    assert_int_equal(json_dump_file(doc, path2, JSON_INDENT(2)), 0);
    json_decref(doc);
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", path2, NULL});
    if (r.code != 0)
        fail_msg("resubmitting get output: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 3 sequence ", 36);
    result_free(&r);

    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", "010006", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "revision 1  ");
    expect_contains(r.out, "  note: first\n  + holders = 2203\n"
                           "  + consult = \"yes\"\n  + supporter = \"no\"\n"
                           "  + consult_channel = [\"counter\",\"phone\"]\n");
    expect_contains(r.out, "  note: more\n  ~ holders: 2203 -> 2210\n"
                           "  - consult_channel (was [\"counter\",\"phone\"])"
                           "\n");
    expect_contains(r.out, "  note: edited\n  ~ holders: 2210 -> 2300\n"
                           "  + consult_channel = [\"email\"]\n");
    assert_int_equal(strncmp(r.out, "revision 1  ", 12), 0);
    result_free(&r);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "history",
                                            "--json", "010006", NULL});
    assert_int_equal(r.code, 0);
    doc = json_loads(r.out, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_array_size(doc), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(doc, 1), "submission_id")),
                        "fixed-id-1");
    json_decref(doc);
    result_free(&r);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "get", "020001", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: NOT_FOUND");
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    result_free(&r);
}

static void test_cli_submit_invalid(void **state)
{
    sv_harness *h = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/bad.json", h->dir);
    write_file(path, "{\"respondent\": \"010006\", \"answers\": {"
                     "\"holders\": -1, \"consult\": \"maybe\","
                     " \"no_such_question\": \"x\", \"supporter\": 3}}");
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: INVALID");
    expect_contains(r.err, "\n  holders = \"-1\": CONSTRAINT");
    expect_contains(r.err, "\n  consult = \"maybe\": UNKNOWN_OPTION");
    expect_contains(r.err, "\n  no_such_question = \"x\": UNKNOWN_QUESTION");
    expect_contains(r.err, "\n  supporter = \"3\": WRONG_TYPE");
    result_free(&r);

    /* no wire form: refused here, naming the question and the value */
    write_file(path, "{\"respondent\": \"010006\", \"answers\": {"
                     "\"holders\": null}}");
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", "-", NULL});
    assert_int_equal(r.code, 2); /* stdin is /dev/null: no JSON */
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "answer \"holders\": null is not an answer");
    result_free(&r);

    /* an unknown survey */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "-s", "nope",
                                            "submit", path, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "survey: rejected: UNKNOWN_SURVEY");
    result_free(&r);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static size_t count_lines_starting(const char *text, const char *prefix)
{
    size_t n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, prefix, len) == 0)
            n++;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return n;
}

static void test_cli_lazy_pirate(void **state)
{
    sv_harness *h = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/p.json", h->dir);
    write_file(path, "{\"respondent\": \"030007\", \"answers\": "
                     "{\"holders\": 5}}");
    assert_int_equal(kill(h->pid, SIGSTOP), 0);
    pid_t pid = survey_spawn(
        h->dir, (const char *[]){"-e", h->endpoint, "submit", "--timeout",
                                 "300", "--retries", "10", path, NULL});
    sleep_ms(1000);
    assert_int_equal(kill(h->pid, SIGCONT), 0);
    run_result r = survey_wait(h->dir, pid);
    if (r.code != 0)
        fail_msg("submit through a stopped collector: exit %d: %s", r.code,
                 r.err);
    assert_memory_equal(r.out, "accepted 030007 revision 1 sequence ", 36);
    result_free(&r);
    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", "030007", NULL});
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines_starting(r.out, "revision "), 1);
    result_free(&r);
}

static void test_cli_load_lines(void **state)
{
    sv_harness *h = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/mixed.jsonl", h->dir);
    write_file(path,
               "{\"respondent\": \"010006\", \"answers\": {\"holders\": 1}}\n"
               "{\"respondent\": \"020001\", \"answers\": {\n"
               "{\"respondent\": \"030007\", \"answers\": {\"holders\": "
               "null}}\n"
               "   \r\n"
               "{\"respondent\": \"040002\", \"answers\": {\"holders\": -5}}\n"
               "{\"respondent\": \"999999\", \"answers\": {}}\n"
               "{\"respondent\": \"050008\", \"answers\": {\"holders\": 7}}");
    const char *const args[] = {"-e", h->endpoint, "load", "--window",
                                "2",  path,        NULL};
    run_result r = survey_run(h->dir, args);
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "loaded 6 submissions: 2 accepted (2 incomplete), "
                           "0 duplicates, 4 rejected, 0 unanswered\n");
    expect_contains(r.out, "\n  line 2: bad JSON: ");
    expect_contains(r.out, "\n  line 3 (030007): answer \"holders\": null "
                           "is not an answer");
    expect_contains(r.out, "\n  line 5 (040002): INVALID: holders = \"-5\": "
                           "CONSTRAINT");
    expect_contains(r.out, "\n  line 6 (999999): UNKNOWN_RESPONDENT");
    result_free(&r);

    /* again: the same lines get the same ids, so duplicates */
    r = survey_run(h->dir, args);
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "loaded 6 submissions: 0 accepted (0 incomplete), "
                           "2 duplicates, 4 rejected, 0 unanswered\n");
    result_free(&r);

    /* nobody there: no questionnaire, exit 3 */
    r = survey_run(h->dir,
                   (const char *[]){"-e", "ipc:///nonexistent/x.sock",
                                    "--timeout", "100", "load", path, NULL});
    assert_int_equal(r.code, 3);
    expect_contains(r.err, "no reply from ipc:///nonexistent/x.sock");
    result_free(&r);
}

static void test_cli_load_responses(void **state)
{
    sv_harness *h = *state;
    const char *file = SV_SOURCE_DIR "/data/r6/responses.jsonl";
    const char *const args[] = {"--endpoint", h->endpoint, "load", file, NULL};
    run_result r = survey_run(h->dir, args);
    if (r.code != 0)
        fail_msg("load: exit %d\n%.2000s%s", r.code, r.out, r.err);
    assert_memory_equal(r.out, "loaded 137 submissions: 137 accepted (", 38);
    expect_contains(r.out, "), 0 duplicates, 0 rejected, 0 unanswered\n");
    assert_string_equal(r.err, ""); /* no progress bar: not a terminal */
    result_free(&r);
    r = survey_run(h->dir, args);
    if (r.code != 0)
        fail_msg("load again: exit %d\n%.2000s%s", r.code, r.out, r.err);
    assert_string_equal(r.out,
                        "loaded 137 submissions: 0 accepted (0 incomplete), "
                        "137 duplicates, 0 rejected, 0 unanswered\n");
    result_free(&r);
}

#endif /* SV_HAVE_COLLECTOR */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_typed_answers),
        cmocka_unit_test(test_json_misfits_are_sent_as_they_are),
        cmocka_unit_test(test_json_values_without_wire_form),
        cmocka_unit_test(test_json_envelope),
        cmocka_unit_test(test_revision_to_json),
        cmocka_unit_test(test_get_output_round_trips),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_ack_line),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_history_text),
        cmocka_unit_test(test_load_line_id),
        cmocka_unit_test(test_rpc_times_out),
        cmocka_unit_test(test_rpc_lazy_pirate_resends_same_bytes),
        cmocka_unit_test(test_rpc_pipeline),
        cmocka_unit_test(test_cli_usage),
        cmocka_unit_test(test_cli_load_unanswered),
#ifdef SV_HAVE_COLLECTOR
        cmocka_unit_test_setup_teardown(test_cli_submit_get_history,
                                        collector_up, collector_down),
        cmocka_unit_test_setup_teardown(test_cli_submit_invalid, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_lazy_pirate, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_load_lines, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_load_responses, collector_up,
                                        collector_down),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
