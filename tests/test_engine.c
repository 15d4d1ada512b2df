/* test_engine.c: the aggregator's engine on a real LMDB environment:
 * random sequences of submissions and corrections, followed incrementally
 * at random moments, give the same tables (equal digests) as a full rerun
 * and as following the whole log from the start; snapshots are numbered on
 * from the persisted watermark. */
#include "compact.h"
#include "engine.h"
#include "questionnaire.h"
#include "store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N_ANSWERS 32

typedef struct {
    sv_questionnaire *q;
    sv_store *store;
    char dir[64];
} fixture;

/* A small deterministic generator (xorshift64*), seeded per test. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 2685821657736338717ULL;
}

static int pick(uint64_t *rng, int n)
{
    return (int)(next_random(rng) % (uint64_t)n);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/sv-engine-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    sv_error err = {{0}};
    if (sv_questionnaire_load(&f->q, SV_SOURCE_DIR "/data/r6", &err) != SV_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    char data[128];
    snprintf(data, sizeof data, "%s/data", f->dir);
    sv_store_options opt = {.map_size = 64u << 20};
    if (sv_store_open(&f->store, data, &opt, &err) != SV_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sv_store_destroy(&f->store);
    sv_questionnaire_destroy(&f->q);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
    return 0;
}

/* One random answer set that the questionnaire accepts. */
typedef struct {
    Survey__V1__Answer items[N_ANSWERS];
    Survey__V1__Answer *ptrs[N_ANSWERS];
    Survey__V1__Choices choices[N_ANSWERS];
    char *options[N_ANSWERS][8];
    size_t n;
} answers;

static Survey__V1__Answer *add(answers *a, const char *question)
{
    assert_true(a->n < N_ANSWERS);
    Survey__V1__Answer *x = &a->items[a->n];
    survey__v1__answer__init(x);
    x->question = (char *)question;
    a->ptrs[a->n] = x;
    a->n++;
    return x;
}

static void add_choice(answers *a, const char *question, const char *option)
{
    Survey__V1__Answer *x = add(a, question);
    x->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    x->choice = (char *)option;
}

static void random_answers(answers *a, uint64_t *rng)
{
    static const char *const yn[2] = {"yes", "no"};
    static const char *const programs[] = {
        "consult",       "supporter",  "fact_finding",  "care_support",
        "peer_exchange", "employment", "carer_support", "other_support"};
    static const char *const windows[] = {"head_office", "health_center",
                                          "contractor", "other"};
    static const char *const channels[] = {"counter", "visit", "phone",
                                           "email"};
    memset(a, 0, sizeof *a);
    Survey__V1__Answer *h = add(a, "holders");
    h->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    h->integer = pick(rng, 5000);
    for (size_t i = 0; i < 8; i++) {
        /* leave some unanswered: incomplete responses count too */
        if (pick(rng, 10) == 0)
            continue;
        const char *v = yn[pick(rng, 2)];
        add_choice(a, programs[i], v);
        if (i == 1 && strcmp(v, "yes") == 0 && pick(rng, 4) != 0)
            add_choice(a, "supporter_outsourced", yn[pick(rng, 2)]);
        if (i == 2 && strcmp(v, "yes") == 0 && pick(rng, 4) != 0)
            add_choice(a, "fact_finding_outsourced", yn[pick(rng, 2)]);
        if (i == 0 && strcmp(v, "yes") == 0) {
            add_choice(a, "consult_window", windows[pick(rng, 4)]);
            size_t k = a->n;
            Survey__V1__Answer *c = add(a, "consult_channel");
            survey__v1__choices__init(&a->choices[k]);
            size_t m = 0;
            for (int j = 0; j < 4; j++) {
                if (pick(rng, 2) == 0 || (j == 3 && m == 0))
                    a->options[k][m++] = (char *)channels[j];
            }
            a->choices[k].options = a->options[k];
            a->choices[k].n_options = m;
            c->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
            c->choices = &a->choices[k];
        }
    }
}

/* Submits one answer set through the storage layer exactly as the
 * collector does: validate, relevance, compact record, put. */
static uint64_t submit(fixture *f, const char *respondent, uint64_t base,
                       const answers *a, int serial)
{
    sv_value values[128];
    bool relevant[128];
    uint8_t compact[512];
    assert_true(sv_questionnaire_count(f->q) <= 128);
    assert_true(sv_compact_size(f->q) <= sizeof compact);
    sv_verdict verdict = {0};
    assert_int_equal(sv_questionnaire_validate(
                         f->q, (const Survey__V1__Answer *const *)a->ptrs, a->n,
                         values, &verdict),
                     SV_OK);
    if (verdict.n_problems > 0)
        fail_msg("generated answers rejected: %s %s",
                 verdict.problems[0].question, verdict.problems[0].message);
    sv_questionnaire_relevance(f->q, values, relevant);
    sv_compact_encode(f->q, values, relevant, compact);

    char id[32];
    snprintf(id, sizeof id, "engine-%d", serial);
    Survey__V1__Submission sub = SURVEY__V1__SUBMISSION__INIT;
    sub.survey = (char *)sv_questionnaire_id(f->q);
    sub.respondent = (char *)respondent;
    sub.submission_id = id;
    sub.base_revision = base;
    sub.answers = (Survey__V1__Answer **)a->ptrs;
    sub.n_answers = a->n;
    sv_put put = {.sub = &sub,
                  .submitter = "test",
                  .time_ms = 1,
                  .missing = verdict.missing,
                  .n_missing = verdict.n_missing,
                  .compact = compact,
                  .compact_len = sv_compact_size(f->q)};
    sv_batch *batch = NULL;
    sv_put_result res = {0};
    sv_error err = {{0}};
    assert_int_equal(sv_batch_begin(f->store, &batch, &err), SV_OK);
    sv_status st = sv_batch_put(batch, &put, &res, &err);
    if (st != SV_OK)
        fail_msg("put: %s", err.msg);
    assert_int_equal(sv_batch_commit(&batch, &err), SV_OK);
    sv_verdict_clear(&verdict);
    uint64_t revision = res.revision;
    sv_put_result_clear(&res);
    return revision;
}

static void digest(sv_engine *e, char hex[65])
{
    sv_error err = {{0}};
    if (sv_engine_digest(e, hex, &err) != SV_OK)
        fail_msg("digest: %s", err.msg);
}

static void test_incremental_equals_rerun(void **state)
{
    fixture *f = *state;
    sv_error err = {{0}};
    sv_engine *live = NULL;
    assert_int_equal(sv_engine_new(&live, f->store, f->q, 0, &err), SV_OK);
    assert_int_equal(sv_engine_rerun(live, &err), SV_OK);

    uint64_t rng = 0x5eed5eedULL;
    size_t roster = sv_questionnaire_roster_count(f->q);
    uint64_t *revision = calloc(roster, sizeof *revision);
    assert_non_null(revision);
    for (int step = 0; step < 400; step++) {
        size_t who = (size_t)pick(&rng, 40); /* corrections are common */
        answers a;
        random_answers(&a, &rng);
        const sv_respondent *r = sv_questionnaire_respondent(f->q, who);
        revision[who] = submit(f, r->code, revision[who], &a, step);
        if (pick(&rng, 7) == 0) {
            sv_engine_events ev;
            assert_int_equal(sv_engine_follow(live, &ev, &err), SV_OK);
            assert_true(ev.answers > 0);
        }
    }
    sv_engine_events ev;
    assert_int_equal(sv_engine_follow(live, &ev, &err), SV_OK);
    char incremental[65], full[65], replayed[65];
    digest(live, incremental);

    sv_engine *rerun = NULL;
    assert_int_equal(sv_engine_new(&rerun, f->store, f->q, 0, &err), SV_OK);
    assert_int_equal(sv_engine_rerun(rerun, &err), SV_OK);
    assert_true(sv_engine_rerun_read_mirror(rerun)); /* both halves */
    digest(rerun, full);
    assert_string_equal(incremental, full);
    assert_int_equal(sv_engine_position(rerun), sv_engine_position(live));

    /* following the whole log from position 0 reaches the same tables */
    sv_engine *replay = NULL;
    assert_int_equal(sv_engine_new(&replay, f->store, f->q, 0, &err), SV_OK);
    assert_int_equal(sv_engine_follow(replay, &ev, &err), SV_OK);
    assert_int_equal(ev.answers, 400);
    digest(replay, replayed);
    assert_string_equal(replayed, full);

    /* and a further correction changes the digest (the check can fail) */
    answers a;
    random_answers(&a, &rng);
    Survey__V1__Answer *h = &a.items[0];
    h->integer = 99999;
    const sv_respondent *r0 = sv_questionnaire_respondent(f->q, 0);
    revision[0] = submit(f, r0->code, revision[0], &a, 1000);
    assert_int_equal(sv_engine_follow(live, &ev, &err), SV_OK);
    assert_int_equal(ev.answers, 1);
    digest(live, incremental);
    assert_string_not_equal(incremental, full);

    free(revision);
    sv_engine_destroy(&replay);
    sv_engine_destroy(&rerun);
    sv_engine_destroy(&live);
}

static void test_snapshots_continue_from_watermark(void **state)
{
    fixture *f = *state;
    sv_error err = {{0}};
    sv_engine *e = NULL;
    assert_int_equal(sv_engine_new(&e, f->store, f->q, 0, &err), SV_OK);
    assert_int_equal(sv_engine_snapshot_version(e), 0);
    assert_int_equal(sv_engine_rerun(e, &err), SV_OK);
    Survey__V1__Snapshot *s1 = NULL, *s2 = NULL;
    assert_int_equal(sv_engine_snapshot(e, "changes", &s1, &err), SV_OK);
    assert_int_equal(s1->version, 1);

    uint64_t rng = 42;
    answers a;
    random_answers(&a, &rng);
    submit(f, sv_questionnaire_respondent(f->q, 5)->code, 0, &a, 1);
    sv_engine_destroy(&e); /* a restart */

    assert_int_equal(sv_engine_new(&e, f->store, f->q, 0, &err), SV_OK);
    assert_int_equal(sv_engine_snapshot_version(e), 1);
    assert_int_equal(sv_engine_snapshot_sequence(e), 0);
    assert_int_equal(sv_engine_rerun(e, &err), SV_OK);
    assert_int_equal(sv_engine_position(e), 1);
    assert_int_equal(sv_engine_snapshot(e, "changes", &s2, &err), SV_OK);
    assert_int_equal(s2->version, 2);
    assert_int_equal(s2->sequence, 1);
    assert_int_equal(s2->digest.len, 32);
    assert_memory_not_equal(s1->digest.data, s2->digest.data, 32);

    /* both versions stay readable, unchanged */
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(sv_store_snapshot(f->store, sv_questionnaire_id(f->q), 1,
                                       &data, &len, &err),
                     SV_OK);
    Survey__V1__Snapshot *back = survey__v1__snapshot__unpack(NULL, len, data);
    assert_non_null(back);
    assert_memory_equal(back->digest.data, s1->digest.data, 32);
    survey__v1__snapshot__free_unpacked(back, NULL);
    free(data);
    survey__v1__snapshot__free_unpacked(s1, NULL);
    survey__v1__snapshot__free_unpacked(s2, NULL);
    sv_engine_destroy(&e);
}

/* An answer set with care support and its listed content text. */
static void care_answers(answers *a, const char *content)
{
    static const char *const programs[] = {
        "consult",       "supporter",  "fact_finding",  "care_support",
        "peer_exchange", "employment", "carer_support", "other_support"};
    memset(a, 0, sizeof *a);
    Survey__V1__Answer *h = add(a, "holders");
    h->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    h->integer = 10;
    for (size_t i = 0; i < 8; i++)
        add_choice(a, programs[i], i == 3 ? "yes" : "no");
    Survey__V1__Answer *t = add(a, "care_support_content");
    t->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    t->text = (char *)content;
}

static const char *listed_text(const Survey__V1__Snapshot *s, const char *q)
{
    for (size_t k = 0; k < s->n_listings; k++)
        if (strcmp(s->listings[k]->question, q) == 0)
            return s->listings[k]->n_entries == 1
                       ? s->listings[k]->entries[0]->text
                       : NULL;
    return NULL;
}

/* A snapshot's listing texts are those of the revisions its tallies
 * followed, also when a newer revision was stored since (they used to
 * come from whatever was current when the snapshot was built). */
static void test_listing_texts_of_the_followed_revision(void **state)
{
    fixture *f = *state;
    sv_error err = {{0}};
    sv_engine *e = NULL;
    sv_engine_events ev;
    answers a;
    const char *code = sv_questionnaire_respondent(f->q, 0)->code;
    Survey__V1__Snapshot *s = NULL;

    assert_int_equal(sv_engine_new(&e, f->store, f->q, 0, &err), SV_OK);
    assert_int_equal(sv_engine_rerun(e, &err), SV_OK);
    care_answers(&a, "first text");
    assert_int_equal(submit(f, code, 0, &a, 1), 1);
    assert_int_equal(sv_engine_follow(e, &ev, &err), SV_OK);
    care_answers(&a, "second text");
    assert_int_equal(submit(f, code, 1, &a, 2), 2); /* not followed yet */
    assert_int_equal(sv_engine_snapshot(e, "changes", &s, &err), SV_OK);
    assert_int_equal(s->sequence, 1);
    assert_string_equal(listed_text(s, "care_support_content"), "first text");
    survey__v1__snapshot__free_unpacked(s, NULL);

    assert_int_equal(sv_engine_follow(e, &ev, &err), SV_OK);
    assert_int_equal(sv_engine_snapshot(e, "changes", &s, &err), SV_OK);
    assert_int_equal(s->sequence, 2);
    assert_string_equal(listed_text(s, "care_support_content"), "second text");
    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_engine_destroy(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incremental_equals_rerun, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_listing_texts_of_the_followed_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots_continue_from_watermark,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
