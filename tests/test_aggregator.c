/* test_aggregator.c: survey-collector and survey-aggregator as real
 * processes on one LMDB environment: the seed report's figures from the
 * 137 loaded responses, a correction reaching the next snapshot while the
 * previous one stays pullable, rerun == incremental, restart from the
 * watermark, and lost notices. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define SURVEY "shoman-jiritsu-r6"
#define TIMEOUT 10000
#define HOKKAIDO "010006"
#define HIRAKATA "272108"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void free_reply(Survey__V1__Reply *reply)
{
    survey__v1__reply__free_unpacked(reply, NULL);
}

static Survey__V1__Reply *call(const char *endpoint,
                               const Survey__V1__Request *req)
{
    Survey__V1__Reply *reply = NULL;
    assert_int_equal(sv_harness_call(endpoint, req, &reply, TIMEOUT), 0);
    assert_non_null(reply);
    return reply;
}

/* Snapshot `version` (0 = latest); NULL when there is none yet. */
static Survey__V1__Reply *snapshot(const char *endpoint, uint64_t version,
                                   bool header_only)
{
    Survey__V1__SnapshotRequest r = SURVEY__V1__SNAPSHOT_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    r.version = version;
    r.header_only = header_only;
    req.body_case = SURVEY__V1__REQUEST__BODY_SNAPSHOT;
    req.snapshot = &r;
    Survey__V1__Reply *reply = call(endpoint, &req);
    if (reply->body_case != SURVEY__V1__REPLY__BODY_SNAPSHOT) {
        assert_int_equal(reply->error->code,
                         SURVEY__V1__ERROR__CODE__NOT_FOUND);
        free_reply(reply);
        return NULL;
    }
    return reply;
}

/* Waits until the latest snapshot reflects sequence >= seq; returns it
 * (full). */
static Survey__V1__Reply *wait_snapshot(const char *endpoint, uint64_t seq)
{
    for (int waited = 0; waited < 30000; waited += 50) {
        Survey__V1__Reply *reply = snapshot(endpoint, 0, true);
        if (reply != NULL && reply->snapshot->sequence >= seq) {
            uint64_t version = reply->snapshot->version;
            free_reply(reply);
            return snapshot(endpoint, version, false);
        }
        if (reply != NULL)
            free_reply(reply);
        sleep_ms(50);
    }
    fail_msg("no snapshot reached sequence %llu", (unsigned long long)seq);
    return NULL;
}

static uint64_t log_sequence(const char *endpoint)
{
    Survey__V1__StatusRequest r = SURVEY__V1__STATUS_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_STATUS;
    req.status = &r;
    Survey__V1__Reply *reply = call(endpoint, &req);
    assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_STATUS);
    uint64_t seq = reply->status->log_sequence;
    free_reply(reply);
    return seq;
}

static void load_seed(const sv_harness *h)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "'%s' --endpoint '%s' load '%s' > '%s/load.out' 2>&1",
             SV_BINARY_DIR "/clients/survey", h->endpoint,
             SV_SOURCE_DIR "/data/r6/responses.jsonl", h->dir);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 0);
}

static const Survey__V1__Figure *figure(Survey__V1__Figure **figures, size_t n,
                                        const char *type)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(figures[i]->respondent_type, type) == 0)
            return figures[i];
    }
    fail_msg("no figure for %s", type);
    return NULL;
}

static const Survey__V1__Figure *rate(const Survey__V1__Snapshot *s,
                                      const char *question)
{
    for (size_t i = 0; i < s->n_rates; i++) {
        if (strcmp(s->rates[i]->question, question) == 0)
            return figure(s->rates[i]->figures, s->rates[i]->n_figures, "all");
    }
    fail_msg("no rate for %s", question);
    return NULL;
}

static const Survey__V1__Figure *frequency(const Survey__V1__Snapshot *s,
                                           const char *question,
                                           const char *option)
{
    for (size_t i = 0; i < s->n_frequencies; i++) {
        const Survey__V1__Frequency *f = s->frequencies[i];
        if (strcmp(f->question, question) != 0)
            continue;
        for (size_t k = 0; k < f->n_options; k++) {
            if (strcmp(f->options[k]->option, option) == 0)
                return figure(f->options[k]->figures, f->options[k]->n_figures,
                              "all");
        }
    }
    fail_msg("no frequency %s=%s", question, option);
    return NULL;
}

static int64_t holders_total(const Survey__V1__Snapshot *s)
{
    for (size_t i = 0; i < s->matrix->n_totals; i++) {
        const Survey__V1__MatrixTotal *t = s->matrix->totals[i];
        if (strcmp(t->question, "holders") == 0 &&
            strcmp(t->respondent_type, "all") == 0)
            return t->sum;
    }
    fail_msg("no holders total");
    return -1;
}

static const Survey__V1__RespondentStatus *
respondent_status(const Survey__V1__Snapshot *s, const char *code)
{
    for (size_t i = 0; i < s->completeness->n_respondents; i++) {
        if (strcmp(s->completeness->respondents[i]->respondent, code) == 0)
            return s->completeness->respondents[i];
    }
    fail_msg("no status for %s", code);
    return NULL;
}

static bool same_digest(const Survey__V1__Snapshot *a,
                        const Survey__V1__Snapshot *b)
{
    return a->digest.len == 32 && b->digest.len == 32 &&
           memcmp(a->digest.data, b->digest.data, 32) == 0;
}

/* Resubmits the respondent's current answers with holders changed. */
static uint64_t correct_holders(const char *endpoint, const char *code,
                                int64_t holders, const char *id)
{
    Survey__V1__GetRequest g = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    g.survey = SURVEY;
    g.respondent = (char *)code;
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &g;
    Survey__V1__Reply *cur = call(endpoint, &req);
    assert_int_equal(cur->body_case, SURVEY__V1__REPLY__BODY_RESPONSE);
    Survey__V1__Revision *rev = cur->response->current;
    assert_string_equal(rev->answers[0]->question, "holders");
    rev->answers[0]->integer = holders;

    Survey__V1__Submission sub = SURVEY__V1__SUBMISSION__INIT;
    sub.survey = SURVEY;
    sub.respondent = (char *)code;
    sub.submission_id = (char *)id;
    sub.base_revision = rev->revision;
    sub.answers = rev->answers;
    sub.n_answers = rev->n_answers;
    sub.note = "受給者証保有者数の訂正";
    Survey__V1__Request put = SURVEY__V1__REQUEST__INIT;
    put.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    put.submit = &sub;
    Survey__V1__Reply *ack = call(endpoint, &put);
    assert_int_equal(ack->body_case, SURVEY__V1__REPLY__BODY_ACK);
    uint64_t seq = ack->ack->sequence;
    free_reply(ack);
    free_reply(cur);
    return seq;
}

static int setup(void **state)
{
    sv_harness *h = calloc(1, sizeof *h);
    const char *const agg[] = {"--debounce", "50", NULL};
    if (h == NULL || sv_harness_start(h, NULL) != 0 ||
        sv_harness_start_aggregator(h, agg) != 0) {
        if (h != NULL)
            sv_harness_cleanup(h);
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

static void test_empty_snapshot_at_start(void **state)
{
    sv_harness *h = *state;
    Survey__V1__Reply *reply = wait_snapshot(h->endpoint, 0);
    const Survey__V1__Snapshot *s = reply->snapshot;
    assert_int_equal(s->version, 1);
    assert_int_equal(s->sequence, 0);
    assert_string_equal(s->survey, SURVEY);
    const Survey__V1__CompletenessFigure *all = s->completeness->figures[0];
    assert_string_equal(all->respondent_type, "all");
    assert_int_equal(all->expected, 137);
    assert_int_equal(all->not_started, 137);
    free_reply(reply);
}

static void test_seed_figures(void **state)
{
    sv_harness *h = *state;
    load_seed(h);
    uint64_t seq = log_sequence(h->endpoint);
    assert_int_equal(seq, 137);
    Survey__V1__Reply *reply = wait_snapshot(h->endpoint, seq);
    const Survey__V1__Snapshot *s = reply->snapshot;
    static const char *const programs[8] = {
        "consult",       "supporter",  "fact_finding",  "care_support",
        "peer_exchange", "employment", "carer_support", "other_support"};
    static const char *const percents[8] = {"97", "98", "64", "12",
                                            "53", "15", "11", "30"};
    for (int i = 0; i < 8; i++) {
        const Survey__V1__Figure *f = rate(s, programs[i]);
        assert_string_equal(f->percent, percents[i]);
        assert_int_equal(f->n, 137);
    }
    const Survey__V1__Figure *f = frequency(s, "supporter_outsourced", "yes");
    assert_int_equal(f->count, 50);
    assert_int_equal(f->n, 134);
    assert_string_equal(f->percent, "37");
    f = frequency(s, "fact_finding_outsourced", "yes");
    assert_int_equal(f->count, 12);
    assert_int_equal(f->n, 88);
    assert_string_equal(f->percent, "14");
    assert_int_equal(s->matrix->n_rows, 137);
    assert_int_equal(holders_total(s), 109419);

    const Survey__V1__RespondentStatus *hirakata =
        respondent_status(s, HIRAKATA);
    assert_string_equal(hirakata->name, "枚方市");
    assert_int_equal(hirakata->state,
                     SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE);
    bool other = false;
    for (size_t i = 0; i < hirakata->n_missing; i++)
        other |= strcmp(hirakata->missing[i], "other_support_background") == 0;
    assert_true(other);
    free_reply(reply);
}

/* A correction shows up in the next snapshot; the previous one is
 * unchanged and still pullable. Then a rerun gives the same digest. */
static void test_correction_then_rerun(void **state)
{
    sv_harness *h = *state;
    Survey__V1__Reply *before = wait_snapshot(h->endpoint, 137);
    uint64_t old_version = before->snapshot->version;

    uint64_t seq = correct_holders(h->endpoint, HOKKAIDO, 2204, "fix-1");
    Survey__V1__Reply *after = wait_snapshot(h->endpoint, seq);
    assert_true(after->snapshot->version > old_version);
    assert_int_equal(holders_total(after->snapshot), 109420);
    assert_false(same_digest(before->snapshot, after->snapshot));

    Survey__V1__Reply *again = snapshot(h->endpoint, old_version, false);
    assert_non_null(again);
    assert_int_equal(holders_total(again->snapshot), 109419);
    assert_true(same_digest(before->snapshot, again->snapshot));
    free_reply(again);

    /* rerun: a full recompute reaches the same tables */
    Survey__V1__RerunRequest r = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    r.full = true;
    req.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    req.rerun = &r;
    Survey__V1__Reply *queued = call(h->endpoint, &req);
    assert_int_equal(queued->body_case, SURVEY__V1__REPLY__BODY_QUEUED);
    uint64_t rerun_seq = queued->queued->sequence;
    assert_true(rerun_seq > seq);
    free_reply(queued);
    Survey__V1__Reply *rerun = wait_snapshot(h->endpoint, rerun_seq);
    assert_string_equal(rerun->snapshot->trigger, "rerun");
    assert_true(rerun->snapshot->version > after->snapshot->version);
    assert_true(same_digest(after->snapshot, rerun->snapshot));
    free_reply(rerun);
    free_reply(after);
    free_reply(before);
}

/* Stopped aggregator, more changes, restart: it resumes from its
 * watermark and the versions go on. */
static void test_restart_from_watermark(void **state)
{
    sv_harness *h = *state;
    Survey__V1__Reply *before = wait_snapshot(h->endpoint, 0);
    uint64_t version = before->snapshot->version;
    free_reply(before);
    int status = sv_harness_stop_aggregator(h, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    uint64_t seq = correct_holders(h->endpoint, HOKKAIDO, 2205, "fix-2");
    /* a rerun asked for while the aggregator is down is not lost */
    Survey__V1__RerunRequest r = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    r.full = true;
    req.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    req.rerun = &r;
    Survey__V1__Reply *queued = call(h->endpoint, &req);
    assert_int_equal(queued->body_case, SURVEY__V1__REPLY__BODY_QUEUED);
    assert_true(queued->queued->sequence > seq);
    seq = queued->queued->sequence;
    free_reply(queued);

    const char *const agg[] = {"--debounce", "50", NULL};
    assert_int_equal(sv_harness_start_aggregator(h, agg), 0);
    Survey__V1__Reply *after = wait_snapshot(h->endpoint, seq);
    assert_int_equal(after->snapshot->version, version + 1);
    assert_int_equal(holders_total(after->snapshot), 109421);
    assert_string_equal(after->snapshot->trigger, "rerun");
    free_reply(after);
}

/* Without notices (--notify none) the aggregator still follows the log. */
static void test_lost_notices(void **state)
{
    sv_harness *h = *state;
    assert_int_equal(sv_harness_stop_aggregator(h, 0) >= 0, 1);
    const char *const agg[] = {"--debounce", "50",  "--notify", "none",
                               "--poll",     "100", NULL};
    assert_int_equal(sv_harness_start_aggregator(h, agg), 0);
    uint64_t seq = correct_holders(h->endpoint, HOKKAIDO, 2203, "fix-3");
    Survey__V1__Reply *after = wait_snapshot(h->endpoint, seq);
    assert_int_equal(holders_total(after->snapshot), 109419);
    free_reply(after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_snapshot_at_start),
        cmocka_unit_test(test_seed_figures),
        cmocka_unit_test(test_correction_then_rerun),
        cmocka_unit_test(test_restart_from_watermark),
        cmocka_unit_test(test_lost_notices),
    };
    return cmocka_run_group_tests_name("aggregator", tests, setup, teardown);
}
