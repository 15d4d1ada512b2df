/* test_auth.c: CURVE authentication and roles on the real collector: no key
 * or an unknown key gets no service, a wrong server key no connection; a
 * respondent acts only for itself; administrators correct (with a note)
 * and rerun; the history records the authenticated submitter; the key
 * registry reloads on SIGHUP; plain mode only on loopback. */
#include "harness.h"
#include "keyfile.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#define SURVEY "shoman-jiritsu-r6"
#define A_CODE "010006"
#define B_CODE "020001"
#define NO_REPLY_MS 1500

typedef struct {
    char pub[SV_Z85_KEY_LEN + 1];
    char sec[SV_Z85_KEY_LEN + 1];
} keypair;

typedef struct {
    sv_harness h;
    char keys[200];
    char registry[260];
    keypair server, a, b, admin, stranger;
} fixture;

static void load_pair(const char *dir, const char *name, keypair *k)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s.secret", dir, name);
    assert_int_equal(sv_keyfile_read(path, k->pub, k->sec, NULL), SV_OK);
}

static void make_pair(const char *dir, const char *name, keypair *k)
{
    sv_error err = {{0}};
    if (sv_keyfile_generate(dir, name, NULL, &err) != SV_OK)
        fail_msg("keygen: %s", err.msg);
    load_pair(dir, name, k);
}

static void write_registry(fixture *f, bool with_stranger)
{
    FILE *out = fopen(f->registry, "w");
    assert_non_null(out);
    fprintf(out, "# identity role public-key\n");
    fprintf(out, "%s respondent %s\n", A_CODE, f->a.pub);
    fprintf(out, "%s respondent %s\n", B_CODE, f->b.pub);
    fprintf(out, "tanaka admin %s\n", f->admin.pub);
    if (with_stranger)
        fprintf(out, "030007 respondent %s\n", f->stranger.pub);
    assert_int_equal(fclose(out), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->keys, sizeof f->keys, "/tmp/sv-keys-XXXXXX");
    if (mkdtemp(f->keys) == NULL)
        return -1;
    make_pair(f->keys, "server", &f->server);
    make_pair(f->keys, A_CODE, &f->a);
    make_pair(f->keys, B_CODE, &f->b);
    make_pair(f->keys, "tanaka", &f->admin);
    make_pair(f->keys, "stranger", &f->stranger);
    snprintf(f->registry, sizeof f->registry, "%s/clients.txt", f->keys);
    write_registry(f, false);

    char secret[300];
    snprintf(secret, sizeof secret, "%s/server.secret", f->keys);
    const char *const extra[] = {"--server-secret", secret, "--clients",
                                 f->registry, NULL};
    f->h.auth = true;
    if (sv_harness_start(&f->h, extra) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sv_harness_cleanup(&f->h);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->keys);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->keys);
    free(f);
    return 0;
}

/* Sends req on sock and returns its reply (NULL when none came). */
static Survey__V1__Reply *exchange(void *sock, const Survey__V1__Request *req)
{
    size_t len = survey__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(len + 1);
    Survey__V1__Reply *reply = NULL;
    zmq_msg_t msg;

    assert_non_null(buf);
    survey__v1__request__pack(req, buf);
    assert_int_equal(zmq_send(sock, buf, len, 0), (int)len);
    free(buf);
    assert_int_equal(zmq_msg_init(&msg), 0);
    if (zmq_msg_recv(&msg, sock, 0) >= 0)
        reply = survey__v1__reply__unpack(NULL, zmq_msg_size(&msg),
                                          zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    return reply;
}

/* Waits up to 5 s for needle in the collector's log; whether it came. */
static bool wait_for_log(fixture *f, const char *needle)
{
    for (int i = 0; i < 50; i++) {
        if (sv_harness_log_contains(&f->h, needle))
            return true;
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    return sv_harness_log_contains(&f->h, needle);
}

/* One request over a CURVE REQ socket (client == NULL: plain). Returns
 * the reply or NULL when none came in timeout_ms. */
static Survey__V1__Reply *call_as(const char *endpoint, const keypair *client,
                                  const char *server_pub,
                                  const Survey__V1__Request *req,
                                  int timeout_ms)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(
        zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms), 0);
    if (client != NULL) {
        assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server_pub,
                                        SV_Z85_KEY_LEN),
                         0);
        assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, client->pub,
                                        SV_Z85_KEY_LEN),
                         0);
        assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, client->sec,
                                        SV_Z85_KEY_LEN),
                         0);
    }
    assert_int_equal(zmq_connect(sock, endpoint), 0);
    Survey__V1__Reply *reply = exchange(sock, req);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return reply;
}

/* A complete answer set: nothing run, nothing else relevant. */
typedef struct {
    Survey__V1__Answer items[9];
    Survey__V1__Answer *ptrs[9];
    Survey__V1__Submission sub;
    Survey__V1__Request req;
} form;

static void init_form(form *f, const char *respondent, const char *id,
                      uint64_t base, const char *note)
{
    static const char *const programs[8] = {
        "consult",       "supporter",  "fact_finding",  "care_support",
        "peer_exchange", "employment", "carer_support", "other_support"};
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < 9; i++) {
        survey__v1__answer__init(&f->items[i]);
        f->ptrs[i] = &f->items[i];
    }
    f->items[0].question = "holders";
    f->items[0].value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    f->items[0].integer = 10;
    for (size_t i = 0; i < 8; i++) {
        f->items[i + 1].question = (char *)programs[i];
        f->items[i + 1].value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
        f->items[i + 1].choice = "no";
    }
    survey__v1__submission__init(&f->sub);
    f->sub.survey = SURVEY;
    f->sub.respondent = (char *)respondent;
    f->sub.submission_id = (char *)id;
    f->sub.base_revision = base;
    f->sub.note = (char *)note;
    f->sub.answers = f->ptrs;
    f->sub.n_answers = 9;
    survey__v1__request__init(&f->req);
    f->req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    f->req.submit = &f->sub;
}

static Survey__V1__Request history_req(Survey__V1__HistoryRequest *h,
                                       const char *code)
{
    survey__v1__history_request__init(h);
    h->survey = SURVEY;
    h->respondent = (char *)code;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_HISTORY;
    req.history = h;
    return req;
}

static void expect_code(Survey__V1__Reply *reply, Survey__V1__Error__Code code)
{
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
    if (reply->error->code != code)
        fprintf(stderr, "error: %s\n", reply->error->message);
    assert_int_equal(reply->error->code, code);
    survey__v1__reply__free_unpacked(reply, NULL);
}

static void test_no_key_no_service(void **state)
{
    fixture *f = *state;
    /* with keys, the ZAP handler runs on a thread of its own */
    assert_true(sv_harness_has_thread(&f->h, "sv-zap"));
    Survey__V1__QuestionnaireRequest q =
        SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
    req.questionnaire = &q;
    /* plain client */
    assert_null(call_as(f->h.endpoint, NULL, NULL, &req, NO_REPLY_MS));
    /* a key the registry does not know */
    assert_null(
        call_as(f->h.endpoint, &f->stranger, f->server.pub, &req, NO_REPLY_MS));
    assert_true(sv_harness_log_contains(&f->h, "not in the registry"));
    /* a known client key, but the wrong server key */
    assert_null(
        call_as(f->h.endpoint, &f->a, f->stranger.pub, &req, NO_REPLY_MS));
    /* the right keys are served */
    Survey__V1__Reply *reply =
        call_as(f->h.endpoint, &f->a, f->server.pub, &req, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
    survey__v1__reply__free_unpacked(reply, NULL);
}

static void test_respondent_acts_only_for_itself(void **state)
{
    fixture *f = *state;
    form x;
    /* A submitting as B: forbidden, nothing written */
    init_form(&x, B_CODE, "a-as-b", 0, "");
    expect_code(call_as(f->h.endpoint, &f->a, f->server.pub, &x.req, 10000),
                SURVEY__V1__ERROR__CODE__FORBIDDEN);
    Survey__V1__HistoryRequest h;
    Survey__V1__Request hist = history_req(&h, B_CODE);
    expect_code(call_as(f->h.endpoint, &f->admin, f->server.pub, &hist, 10000),
                SURVEY__V1__ERROR__CODE__NOT_FOUND);
    assert_true(sv_harness_log_contains(&f->h, "FORBIDDEN"));

    /* A for itself: stored, with the authenticated submitter */
    init_form(&x, A_CODE, "a-own", 0, "");
    Survey__V1__Reply *reply =
        call_as(f->h.endpoint, &f->a, f->server.pub, &x.req, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ACK);
    survey__v1__reply__free_unpacked(reply, NULL);

    /* A may read its own history, not B's */
    expect_code(call_as(f->h.endpoint, &f->a, f->server.pub, &hist, 10000),
                SURVEY__V1__ERROR__CODE__FORBIDDEN);
    hist = history_req(&h, A_CODE);
    reply = call_as(f->h.endpoint, &f->a, f->server.pub, &hist, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_HISTORY);
    assert_string_equal(reply->history->revisions[0]->submitter,
                        "respondent:" A_CODE);
    survey__v1__reply__free_unpacked(reply, NULL);

    /* administrator-only: rerun */
    Survey__V1__RerunRequest r = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request rerun = SURVEY__V1__REQUEST__INIT;
    r.full = true;
    rerun.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    rerun.rerun = &r;
    reply = call_as(f->h.endpoint, &f->a, f->server.pub, &rerun, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
    assert_non_null(strstr(reply->error->message, "may not ask for a rerun"));
    expect_code(reply, SURVEY__V1__ERROR__CODE__FORBIDDEN);
    /* snapshot --new asks for a snapshot, and is told so */
    r.full = false;
    reply = call_as(f->h.endpoint, &f->a, f->server.pub, &rerun, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
    assert_non_null(
        strstr(reply->error->message, "may not ask for a new snapshot"));
    expect_code(reply, SURVEY__V1__ERROR__CODE__FORBIDDEN);
    r.full = true;
    reply = call_as(f->h.endpoint, &f->admin, f->server.pub, &rerun, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_QUEUED);
    survey__v1__reply__free_unpacked(reply, NULL);

    /* the published aggregate is readable by every identity: no snapshot
     * exists here (no aggregator), which is NOT_FOUND, not FORBIDDEN */
    Survey__V1__SnapshotRequest sr = SURVEY__V1__SNAPSHOT_REQUEST__INIT;
    Survey__V1__Request snap = SURVEY__V1__REQUEST__INIT;
    snap.body_case = SURVEY__V1__REQUEST__BODY_SNAPSHOT;
    snap.snapshot = &sr;
    expect_code(call_as(f->h.endpoint, &f->b, f->server.pub, &snap, 10000),
                SURVEY__V1__ERROR__CODE__NOT_FOUND);
}

static void test_admin_corrects_with_a_note(void **state)
{
    fixture *f = *state;
    form x;
    init_form(&x, B_CODE, "b-own", 0, "");
    Survey__V1__Reply *reply =
        call_as(f->h.endpoint, &f->b, f->server.pub, &x.req, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ACK);
    survey__v1__reply__free_unpacked(reply, NULL);

    init_form(&x, B_CODE, "admin-no-note", 1, "");
    reply = call_as(f->h.endpoint, &f->admin, f->server.pub, &x.req, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
    assert_non_null(strstr(reply->error->message, "needs a note"));
    expect_code(reply, SURVEY__V1__ERROR__CODE__FORBIDDEN);
    /* what is wrong with what was sent comes first: an unknown respondent
       is not called a missing note */
    init_form(&x, "999999", "admin-no-note-2", 0, "");
    expect_code(call_as(f->h.endpoint, &f->admin, f->server.pub, &x.req, 10000),
                SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT);
    init_form(&x, B_CODE, "admin-fix", 1, "受給者数の訂正（県からの連絡）");
    x.items[0].integer = 11;
    reply = call_as(f->h.endpoint, &f->admin, f->server.pub, &x.req, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ACK);
    assert_int_equal(reply->ack->revision, 2);
    survey__v1__reply__free_unpacked(reply, NULL);

    Survey__V1__HistoryRequest h;
    Survey__V1__Request hist = history_req(&h, B_CODE);
    reply = call_as(f->h.endpoint, &f->b, f->server.pub, &hist, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->history->n_revisions, 2);
    assert_string_equal(reply->history->revisions[0]->submitter,
                        "respondent:" B_CODE);
    assert_string_equal(reply->history->revisions[1]->submitter,
                        "admin:tanaka");
    assert_string_equal(reply->history->revisions[1]->note,
                        "受給者数の訂正（県からの連絡）");
    survey__v1__reply__free_unpacked(reply, NULL);
}

static void test_registry_reloads_on_sighup(void **state)
{
    fixture *f = *state;
    Survey__V1__QuestionnaireRequest q =
        SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
    req.questionnaire = &q;
    assert_null(
        call_as(f->h.endpoint, &f->stranger, f->server.pub, &req, NO_REPLY_MS));
    write_registry(f, true);
    assert_int_equal(kill(f->h.pid, SIGHUP), 0);
    Survey__V1__Reply *reply = NULL;
    for (int i = 0; i < 50 && reply == NULL; i++) {
        if (sv_harness_log_contains(&f->h, "registry reloaded"))
            reply = call_as(f->h.endpoint, &f->stranger, f->server.pub, &req,
                            10000);
        else {
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
        }
    }
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_QUESTIONNAIRE);
    survey__v1__reply__free_unpacked(reply, NULL);

    /* a broken registry is refused and the old one stays */
    FILE *out = fopen(f->registry, "a");
    assert_non_null(out);
    fprintf(out, "tanaka superuser %s\n", f->admin.pub);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(kill(f->h.pid, SIGHUP), 0);
    (void)wait_for_log(f, "the old one stays");
    assert_true(sv_harness_log_contains(&f->h, "superuser"));
    reply = call_as(f->h.endpoint, &f->stranger, f->server.pub, &req, 10000);
    assert_non_null(reply);
    survey__v1__reply__free_unpacked(reply, NULL);
}

/* A key a reload takes out of the registry is refused from its next
 * request on, on the connection it made before as on a new one; the
 * other keys go on. */
static void test_revoked_key_on_open_connection(void **state)
{
    fixture *f = *state;
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0, timeout = 10000;
    form fm;

    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(
        zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, f->server.pub,
                                    SV_Z85_KEY_LEN),
                     0);
    assert_int_equal(
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, f->a.pub, SV_Z85_KEY_LEN), 0);
    assert_int_equal(
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, f->a.sec, SV_Z85_KEY_LEN), 0);
    assert_int_equal(zmq_connect(sock, f->h.endpoint), 0);
    Survey__V1__HistoryRequest h;
    Survey__V1__Request hreq = history_req(&h, A_CODE);
    Survey__V1__Reply *reply = exchange(sock, &hreq);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_HISTORY);
    size_t before = reply->history->n_revisions;
    survey__v1__reply__free_unpacked(reply, NULL);

    /* A's key taken out */
    FILE *out = fopen(f->registry, "w");
    assert_non_null(out);
    fprintf(out, "%s respondent %s\n", B_CODE, f->b.pub);
    fprintf(out, "tanaka admin %s\n", f->admin.pub);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(kill(f->h.pid, SIGHUP), 0);
    assert_true(wait_for_log(f, "registry reloaded: 2 keys"));

    init_form(&fm, A_CODE, "revoke-2", before, "after the reload");
    reply = exchange(sock, &fm.req);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
    assert_int_equal(reply->error->code, SURVEY__V1__ERROR__CODE__FORBIDDEN);
    assert_non_null(strstr(reply->error->message, "no longer in the registry"));
    survey__v1__reply__free_unpacked(reply, NULL);
    zmq_close(sock);
    zmq_ctx_term(ctx);

    /* nothing of it was stored */
    reply = call_as(f->h.endpoint, &f->admin, f->server.pub, &hreq, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_HISTORY);
    assert_int_equal(reply->history->n_revisions, before);
    survey__v1__reply__free_unpacked(reply, NULL);
    /* B goes on */
    Survey__V1__Request breq = history_req(&h, B_CODE);
    reply = call_as(f->h.endpoint, &f->b, f->server.pub, &breq, 10000);
    assert_non_null(reply);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_HISTORY);
    survey__v1__reply__free_unpacked(reply, NULL);
}

static int run_collector(const char *const *args)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_plain_mode_only_on_loopback(void **state)
{
    (void)state;
    const char *bin = SV_BINARY_DIR "/collector/survey-collector";
    const char *const anywhere[] = {
        bin,      "--no-auth",     "--endpoint", "tcp://0.0.0.0:5999",
        "--data", "/tmp/sv-never", NULL};
    assert_int_equal(run_collector(anywhere), 2);
    const char *const no_keys[] = {
        bin,      "--endpoint",    "tcp://127.0.0.1:*",
        "--data", "/tmp/sv-never", NULL};
    assert_int_equal(run_collector(no_keys), 2);
    struct stat sb;
    assert_int_not_equal(stat("/tmp/sv-never", &sb), 0);
}

/* Limits past what their arithmetic holds are refused at the start
 * (--max-request near SIZE_MAX/4 turned ZeroMQ's frame limit off), as is
 * 0; nothing is created. */
static void test_option_limits(void **state)
{
    (void)state;
    const char *bin = SV_BINARY_DIR "/collector/survey-collector";
    const char *const bad[][2] = {{"--max-request", "100G"},
                                  {"--max-request", "0"},
                                  {"--max-in-flight", "3000000000"},
                                  {"--batch", "1000000"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const args[] = {
            bin,      "--no-auth",     "--endpoint", "ipc:///tmp/sv-never.sock",
            "--data", "/tmp/sv-never", bad[i][0],    bad[i][1],
            NULL};
        assert_int_equal(run_collector(args), 2);
    }
    struct stat sb;
    assert_int_not_equal(stat("/tmp/sv-never", &sb), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_key_no_service),
        cmocka_unit_test(test_respondent_acts_only_for_itself),
        cmocka_unit_test(test_admin_corrects_with_a_note),
        cmocka_unit_test(test_registry_reloads_on_sighup),
        cmocka_unit_test(test_revoked_key_on_open_connection),
        cmocka_unit_test(test_plain_mode_only_on_loopback),
        cmocka_unit_test(test_option_limits),
    };
    return cmocka_run_group_tests_name("auth", tests, setup, teardown);
}
