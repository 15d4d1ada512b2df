/* test_report.c: the report's tables (report.h, percent.h).
 *
 * - sv_percent: half-up rounding from exact integers, large inputs;
 * - denominators under relevance and non-answers, select_multiple counts,
 *   by-type splits, matrix cells, listings and the revision callback,
 *   completeness, refused records, the digest: on small hand-built answer
 *   sets for the 2024 questionnaire (data/r6);
 * - incremental updates: a random sequence of sets gives the same bytes
 *   as a fresh report holding only the final records;
 * - the seed: the 137 answer sets of data/r6/responses.jsonl reproduce
 *   the published figures and the seed report's section-2 matrix
 *   (../shared/seed), with the documented differences asserted one by
 *   one. */
#include "arena.h"
#include "compact.h"
#include "percent.h"
#include "report.h"

#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define R6_DIR SV_SOURCE_DIR "/data/r6"
#define RESPONSES R6_DIR "/responses.jsonl"
#define SEED SV_SOURCE_DIR "/../shared/seed/000_e942c625663d308d.txt"
#define N_SEED 137

/* The questionnaire, and the seed answer sets: per roster respondent the
 * revision (answers) and its compact record. Loaded once. */
struct env {
    sv_questionnaire *q;
    size_t n_roster;
    size_t size;                /* bytes of a record */
    Survey__V1__Revision **rev; /* owned: per respondent, NULL if none */
    uint8_t *recs;              /* owned: n_roster records */
    size_t seed_problems;       /* validation problems in the seed */
    size_t seed_lines;
};

/* What the revision callback serves: per respondent a revision or NULL
 * (NOT_FOUND); counts the calls; answers `fail` when it is not SV_OK. */
struct store {
    Survey__V1__Revision **rev; /* borrowed, n_roster entries */
    const sv_questionnaire *q;
    unsigned *calls; /* owned, per respondent */
    sv_status fail;
    uint64_t asked; /* the revision of the last call */
};

/* ---- JSON answers -> typed answers ------------------------------------ */

static Survey__V1__Answer *json_answer(const sv_questionnaire *q,
                                       const char *name, json_t *v)
{
    Survey__V1__Answer *a = malloc(sizeof *a);
    int i = sv_questionnaire_find(q, name);

    if (a == NULL)
        return NULL;
    survey__v1__answer__init(a);
    a->question = strdup(name);
    if (json_is_integer(v)) {
        a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
        a->integer = json_integer_value(v);
    } else if (json_is_string(v) && i >= 0 &&
               sv_questionnaire_question(q, (size_t)i)->type ==
                   SV_Q_SELECT_ONE) {
        a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
        a->choice = strdup(json_string_value(v));
    } else if (json_is_string(v)) {
        a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
        a->text = strdup(json_string_value(v));
    } else if (json_is_array(v)) {
        Survey__V1__Choices *c = malloc(sizeof *c);
        a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
        a->choices = c;
        if (c != NULL) {
            survey__v1__choices__init(c);
            c->options = calloc(json_array_size(v) + 1, sizeof *c->options);
            for (size_t k = 0; c->options != NULL && k < json_array_size(v);
                 k++)
                c->options[c->n_options++] =
                    strdup(json_string_value(json_array_get(v, k)));
        }
    }
    return a;
}

/* A revision (every part malloc'd) of the answers object `answers`. */
static Survey__V1__Revision *json_revision(const sv_questionnaire *q,
                                           json_t *answers, uint64_t revision)
{
    Survey__V1__Revision *rev = malloc(sizeof *rev);
    const char *name;
    json_t *v;

    assert_non_null(rev);
    survey__v1__revision__init(rev);
    rev->revision = revision;
    rev->answers = calloc(json_object_size(answers) + 1, sizeof *rev->answers);
    assert_non_null(rev->answers);
    json_object_foreach(answers, name, v)
    {
        Survey__V1__Answer *a = json_answer(q, name, v);
        assert_non_null(a);
        rev->answers[rev->n_answers++] = a;
    }
    return rev;
}

/* Validates rev and writes its record into rec; returns the number of
 * validation problems. */
static size_t encode(const sv_questionnaire *q, const Survey__V1__Revision *rev,
                     uint8_t *rec)
{
    size_t n = sv_questionnaire_count(q);
    sv_value *values = calloc(n + 1, sizeof *values);
    bool *relevant = calloc(n + 1, sizeof *relevant);
    sv_verdict verdict;

    assert_non_null(values);
    assert_non_null(relevant);
    assert_int_equal(sv_questionnaire_validate(
                         q, (const Survey__V1__Answer *const *)rev->answers,
                         rev->n_answers, values, &verdict),
                     SV_OK);
    size_t problems = verdict.n_problems;
    sv_verdict_clear(&verdict);
    sv_questionnaire_relevance(q, values, relevant);
    sv_compact_encode(q, values, relevant, rec);
    free(values);
    free(relevant);
    return problems;
}

/* ---- the environment ---------------------------------------------------- */

static int load_seed(struct env *e)
{
    FILE *f = fopen(RESPONSES, "r");
    char *line = NULL;
    size_t cap = 0;

    if (f == NULL) {
        fprintf(stderr, "open %s: %s\n", RESPONSES, strerror(errno));
        return -1;
    }
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *doc = json_loads(line, 0, &jerr);
        if (doc == NULL) {
            fprintf(stderr, "%s: %s\n", RESPONSES, jerr.text);
            break;
        }
        const char *code =
            json_string_value(json_object_get(doc, "respondent"));
        int idx = sv_questionnaire_find_respondent(e->q, code);
        if (idx >= 0 && e->rev[idx] == NULL) {
            e->rev[idx] =
                json_revision(e->q, json_object_get(doc, "answers"), 1);
            e->seed_problems +=
                encode(e->q, e->rev[idx], e->recs + (size_t)idx * e->size);
        }
        e->seed_lines++;
        json_decref(doc);
    }
    free(line);
    fclose(f);
    return 0;
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    sv_error err = {{0}};

    if (e == NULL)
        return -1;
    *state = e;
    if (sv_questionnaire_load(&e->q, R6_DIR, &err) != SV_OK) {
        fprintf(stderr, "load %s: %s\n", R6_DIR, err.msg);
        return -1;
    }
    e->n_roster = sv_questionnaire_roster_count(e->q);
    e->size = sv_compact_size(e->q);
    e->rev = calloc(e->n_roster, sizeof *e->rev);
    e->recs = calloc(e->n_roster, e->size);
    if (e->rev == NULL || e->recs == NULL)
        return -1;
    return load_seed(e);
}

static int teardown(void **state)
{
    struct env *e = *state;

    for (size_t i = 0; e->rev != NULL && i < e->n_roster; i++)
        survey__v1__revision__free_unpacked(e->rev[i], NULL);
    free(e->rev);
    free(e->recs);
    sv_questionnaire_destroy(&e->q);
    free(e);
    return 0;
}

/* ---- the revision callback ------------------------------------------ */

static sv_status fetch(void *ctx, const char *respondent, uint64_t revision,
                       Survey__V1__Revision **out, sv_error *err)
{
    struct store *s = ctx;
    int idx = sv_questionnaire_find_respondent(s->q, respondent);

    assert_true(idx >= 0);
    s->calls[idx]++;
    if (s->fail != SV_OK)
        return sv_fail(err, s->fail, "store says no for %s", respondent);
    if (s->rev[idx] == NULL)
        return sv_fail(err, SV_ERR_NOT_FOUND, "nothing for %s", respondent);
    s->asked = revision;
    /* a private, fully malloc'd copy, as a store would return */
    size_t len = survey__v1__revision__get_packed_size(s->rev[idx]);
    uint8_t *buf = malloc(len + 1);
    assert_non_null(buf);
    assert_int_equal(survey__v1__revision__pack(s->rev[idx], buf), len);
    *out = survey__v1__revision__unpack(NULL, len, buf);
    free(buf);
    assert_non_null(*out);
    return SV_OK;
}

static void store_init(struct store *s, const struct env *e,
                       Survey__V1__Revision **rev)
{
    s->rev = rev;
    s->q = e->q;
    s->calls = calloc(e->n_roster, sizeof *s->calls);
    s->fail = SV_OK;
    assert_non_null(s->calls);
}

/* ---- helpers ------------------------------------------------------------ */

static sv_report *new_report(const struct env *e, unsigned decimals)
{
    sv_report *r = NULL;
    sv_error err = {{0}};

    assert_int_equal(sv_report_new(&r, e->q, decimals, &err), SV_OK);
    return r;
}

static Survey__V1__Snapshot *snapshot(sv_report *r, struct store *s)
{
    Survey__V1__Snapshot *snap = NULL;
    sv_error err = {{0}};

    if (sv_report_snapshot(r, s != NULL ? fetch : NULL, s, &snap, &err) !=
        SV_OK)
        fail_msg("snapshot: %s", err.msg);
    assert_non_null(snap);
    return snap;
}

static uint8_t *pack(const Survey__V1__Snapshot *snap, size_t *len)
{
    *len = survey__v1__snapshot__get_packed_size(snap);
    uint8_t *buf = malloc(*len + 1);
    assert_non_null(buf);
    assert_int_equal(survey__v1__snapshot__pack(snap, buf), *len);
    return buf;
}

static size_t roster_index(const struct env *e, const char *code)
{
    int idx = sv_questionnaire_find_respondent(e->q, code);

    if (idx < 0)
        fail_msg("no respondent %s", code);
    return (size_t)idx;
}

/* Sets respondent `code` to the answers in the JSON object text `json`
 * (which must validate) and keeps the revision in rev[] for fetch(). */
static void put(const struct env *e, sv_report *r, Survey__V1__Revision **rev,
                const char *code, const char *json, uint64_t revision)
{
    size_t idx = roster_index(e, code);
    json_error_t jerr;
    json_t *answers = json_loads(json, 0, &jerr);
    uint8_t *rec = malloc(e->size);
    sv_error err = {{0}};

    if (answers == NULL)
        fail_msg("bad test JSON %s: %s", json, jerr.text);
    assert_non_null(rec);
    survey__v1__revision__free_unpacked(rev[idx], NULL);
    rev[idx] = json_revision(e->q, answers, revision);
    json_decref(answers);
    assert_int_equal(encode(e->q, rev[idx], rec), 0);
    assert_int_equal(sv_report_set(r, idx, rec, e->size, revision, &err),
                     SV_OK);
    free(rec);
}

static void free_revisions(const struct env *e, Survey__V1__Revision **rev)
{
    for (size_t i = 0; i < e->n_roster; i++)
        survey__v1__revision__free_unpacked(rev[i], NULL);
    free(rev);
}

static const Survey__V1__Rate *find_rate(const Survey__V1__Snapshot *s,
                                         const char *q)
{
    for (size_t k = 0; k < s->n_rates; k++) {
        if (strcmp(s->rates[k]->question, q) == 0)
            return s->rates[k];
    }
    fail_msg("no rate %s", q);
    return NULL;
}

static const Survey__V1__Frequency *find_freq(const Survey__V1__Snapshot *s,
                                              const char *q)
{
    for (size_t k = 0; k < s->n_frequencies; k++) {
        if (strcmp(s->frequencies[k]->question, q) == 0)
            return s->frequencies[k];
    }
    fail_msg("no frequency %s", q);
    return NULL;
}

static const Survey__V1__Figure *find_option(const Survey__V1__Frequency *f,
                                             const char *option, size_t slot)
{
    for (size_t k = 0; k < f->n_options; k++) {
        if (strcmp(f->options[k]->option, option) == 0) {
            assert_true(slot < f->options[k]->n_figures);
            return f->options[k]->figures[slot];
        }
    }
    fail_msg("no option %s in %s", option, f->question);
    return NULL;
}

static const Survey__V1__Listing *find_listing(const Survey__V1__Snapshot *s,
                                               const char *q)
{
    for (size_t k = 0; k < s->n_listings; k++) {
        if (strcmp(s->listings[k]->question, q) == 0)
            return s->listings[k];
    }
    fail_msg("no listing %s", q);
    return NULL;
}

static const Survey__V1__Program *find_program(const Survey__V1__Snapshot *s,
                                               const char *q)
{
    for (size_t k = 0; k < s->n_programs; k++) {
        if (strcmp(s->programs[k]->question, q) == 0)
            return s->programs[k];
    }
    fail_msg("no program %s", q);
    return NULL;
}

static const Survey__V1__RespondentStatus *
find_status(const Survey__V1__Snapshot *s, const char *code)
{
    const Survey__V1__Completeness *c = s->completeness;

    for (size_t k = 0; k < c->n_respondents; k++) {
        if (strcmp(c->respondents[k]->respondent, code) == 0)
            return c->respondents[k];
    }
    fail_msg("no status for %s", code);
    return NULL;
}

static const Survey__V1__MatrixRow *find_row(const Survey__V1__Snapshot *s,
                                             const char *code)
{
    for (size_t k = 0; k < s->matrix->n_rows; k++) {
        if (strcmp(s->matrix->rows[k]->respondent, code) == 0)
            return s->matrix->rows[k];
    }
    fail_msg("no row for %s", code);
    return NULL;
}

static size_t column(const Survey__V1__Snapshot *s, const char *q)
{
    for (size_t k = 0; k < s->matrix->n_columns; k++) {
        if (strcmp(s->matrix->columns[k]->question, q) == 0)
            return k;
    }
    fail_msg("no column %s", q);
    return 0;
}

static const char *cell(const Survey__V1__Snapshot *s, const char *code,
                        const char *q)
{
    const Survey__V1__MatrixRow *row = find_row(s, code);
    size_t c = column(s, q);

    assert_int_equal(row->n_cells, s->matrix->n_columns);
    return row->cells[c];
}

static const Survey__V1__MatrixTotal *
find_total(const Survey__V1__Snapshot *s, const char *q, const char *type)
{
    for (size_t k = 0; k < s->matrix->n_totals; k++) {
        const Survey__V1__MatrixTotal *t = s->matrix->totals[k];
        if (strcmp(t->question, q) == 0 &&
            strcmp(t->respondent_type, type) == 0)
            return t;
    }
    fail_msg("no total %s/%s", q, type);
    return NULL;
}

static bool has_missing(const Survey__V1__RespondentStatus *st, const char *q)
{
    for (size_t k = 0; k < st->n_missing; k++) {
        if (strcmp(st->missing[k], q) == 0)
            return true;
    }
    return false;
}

static void assert_figure(const Survey__V1__Figure *f, const char *type,
                          uint32_t count, uint32_t n, const char *percent)
{
    assert_string_equal(f->respondent_type, type);
    assert_int_equal(f->count, count);
    assert_int_equal(f->n, n);
    assert_string_equal(f->percent, percent);
}

/* ---- sv_percent ------------------------------------------------------- */

static void expect_percent(uint64_t count, uint64_t n, unsigned d,
                           const char *want)
{
    char buf[64];
    int len = sv_percent(count, n, d, buf, sizeof buf);

    if (len < 0 || strcmp(buf, want) != 0)
        fail_msg("sv_percent(%llu, %llu, %u) = \"%s\" (%d), want \"%s\"",
                 (unsigned long long)count, (unsigned long long)n, d,
                 len < 0 ? "" : buf, len, want);
    assert_int_equal(len, strlen(want));
}

static void test_percent_table(void **state)
{
    (void)state;
    expect_percent(34, 80, 0, "43"); /* 42.5: half up, not %.0f's 42 */
    expect_percent(34, 80, 1, "42.5");
    expect_percent(1, 3, 0, "33");
    expect_percent(1, 3, 1, "33.3");
    expect_percent(2, 3, 0, "67");
    expect_percent(2, 3, 1, "66.7");
    expect_percent(0, 5, 0, "0");
    expect_percent(0, 5, 1, "0.0");
    expect_percent(5, 5, 0, "100");
    expect_percent(5, 5, 2, "100.00");
    expect_percent(0, 0, 0, "");
    expect_percent(7, 0, 3, "");
    expect_percent(1, 8, 1, "12.5");
    expect_percent(1, 8, 0, "13");
    expect_percent(1, 8, 2, "12.50");
    expect_percent(1, 200, 0, "1");    /* 0.5 */
    expect_percent(1, 201, 0, "0");    /* 0.497... */
    expect_percent(1, 2000, 1, "0.1"); /* 0.05 */
    expect_percent(133, 137, 0, "97");
    expect_percent(50, 134, 0, "37");
    expect_percent(12, 88, 0, "14");
    expect_percent(3, 2, 0, "150");
    /* large inputs */
    expect_percent(10000000, 10000000, 6, "100.000000");
    expect_percent(10000000, 30000000, 6, "33.333333");
    expect_percent(20000000, 30000000, 6, "66.666667");
    expect_percent(10000000, 10000001, 6, "99.999990");
    expect_percent(12345678, 10000000, 1, "123.5");
    expect_percent(UINT64_MAX, UINT64_MAX, 6, "100.000000");
    expect_percent(UINT64_MAX / 2, UINT64_MAX, 0, "50");
    expect_percent(UINT64_MAX / 2, UINT64_MAX, 6, "50.000000");
    expect_percent(1, UINT64_MAX, 6, "0.000000");
    expect_percent(UINT64_MAX, 1, 0, "1844674407370955161500");
    expect_percent(UINT64_MAX, 1, 6, "1844674407370955161500.000000");
    /* the largest tallies (64-bit arithmetic) and just past them (128) */
    expect_percent(UINT32_MAX - 50000, UINT32_MAX, 6, "99.998836");
    expect_percent(123456789, UINT32_MAX, 6, "2.874452");
    expect_percent(UINT32_MAX, 3000000000u, 3, "143.166");
    expect_percent((uint64_t)UINT32_MAX + 1, UINT32_MAX, 6, "100.000000");
    expect_percent(UINT32_MAX, (uint64_t)UINT32_MAX + 1, 6, "100.000000");
}

/* The same fraction in 32-bit terms (64-bit arithmetic) and scaled past
 * them (128-bit) prints the same, at every number of decimals. */
static void test_percent_scaled(void **state)
{
    const uint64_t m = (UINT64_C(1) << 31) + 1;
    uint64_t x = 2024;
    size_t compared = 0;

    (void)state;
    for (int i = 0; i < 20000; i++) {
        x = x * 6364136223846793005u + 1442695040888963407u;
        uint64_t n = 2 + (x >> 33) % (i < 10000 ? 1000 : UINT32_MAX - 1);
        uint64_t count = (x >> 7) % (n + n / 2);
        for (unsigned d = 0; d <= SV_PERCENT_MAX_DECIMALS; d++) {
            char small[64];
            char big[64];
            assert_true(sv_percent(count, n, d, small, sizeof small) > 0);
            assert_true(sv_percent(count * m, n * m, d, big, sizeof big) > 0);
            if (strcmp(small, big) != 0)
                fail_msg("%llu/%llu at %u decimals: \"%s\", scaled \"%s\"",
                         (unsigned long long)count, (unsigned long long)n, d,
                         small, big);
            compared++;
        }
    }
    assert_int_equal(compared, 20000 * (SV_PERCENT_MAX_DECIMALS + 1));
}

static void test_percent_errors(void **state)
{
    char buf[8];

    (void)state;
    assert_int_equal(
        sv_percent(1, 3, SV_PERCENT_MAX_DECIMALS + 1, buf, sizeof buf), -1);
    /* "33.33333" needs 9 bytes with its NUL, "33.3333" 8 */
    assert_int_equal(sv_percent(1, 3, 5, buf, sizeof buf), -1);
    assert_int_equal(sv_percent(1, 3, 4, buf, sizeof buf), 7);
    assert_string_equal(buf, "33.3333");
    assert_int_equal(sv_percent(1, 3, 0, buf, 2), -1);
    assert_int_equal(sv_percent(1, 3, 0, buf, 3), 2);
    assert_int_equal(sv_percent(1, 3, 0, buf, 0), -1);
    assert_int_equal(sv_percent(0, 0, 0, buf, 1), 0);
    assert_string_equal(buf, "");
}

/* ---- denominators --------------------------------------------------- */

#define ALL_NO                                                                 \
    "\"fact_finding\": \"no\", \"care_support\": \"no\", "                     \
    "\"peer_exchange\": \"no\", \"employment\": \"no\", "                      \
    "\"carer_support\": \"no\", \"other_support\": \"no\""

/* 北海道: supporter, outsourced; channels 窓口 and 電話.
 * 青森県: no consult, no supporter: outsourcing and channels not relevant.
 * 札幌市: supporter, outsourcing not answered; channel 電話 only.
 * 岩手県: not started. */
static void three_respondents(const struct env *e, sv_report *r,
                              Survey__V1__Revision **rev)
{
    put(e, r, rev, "010006",
        "{\"holders\": 100, \"consult\": \"yes\", \"supporter\": \"yes\", "
        "\"supporter_outsourced\": \"yes\", "
        "\"consult_channel\": [\"counter\", \"phone\"], " ALL_NO "}",
        3);
    put(e, r, rev, "020001",
        "{\"holders\": 50, \"consult\": \"no\", \"supporter\": \"no\", " ALL_NO
        "}",
        1);
    put(e, r, rev, "011002",
        "{\"holders\": 7, \"consult\": \"yes\", \"supporter\": \"yes\", "
        "\"consult_channel\": [\"phone\"], " ALL_NO "}",
        2);
}

static void test_denominators(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 0);
    Survey__V1__Revision **rev = calloc(e->n_roster, sizeof *rev);

    assert_non_null(rev);
    three_respondents(e, r, rev);
    Survey__V1__Snapshot *s = snapshot(r, NULL);

    /* rates: everyone who answered */
    const Survey__V1__Rate *supporter = find_rate(s, "supporter");
    assert_string_equal(supporter->option, "yes");
    assert_figure(supporter->figures[0], "all", 2, 3, "67");
    assert_figure(find_rate(s, "consult")->figures[0], "all", 2, 3, "67");
    assert_figure(find_rate(s, "care_support")->figures[0], "all", 0, 3, "0");
    /* not relevant for 青森県, unanswered by 札幌市: n = 1 */
    const Survey__V1__Frequency *out = find_freq(s, "supporter_outsourced");
    assert_false(out->multiple);
    assert_string_equal(out->group, "impl");
    assert_string_equal(out->group_label, "事業の実施状況");
    assert_int_equal(out->n_options, 2);
    assert_figure(find_option(out, "yes", 0), "all", 1, 1, "100");
    assert_figure(find_option(out, "no", 0), "all", 0, 1, "0");
    assert_figure(out->answered[0], "all", 1, 1, "100");
    /* select_multiple: each option counted, n = respondents */
    const Survey__V1__Frequency *ch = find_freq(s, "consult_channel");
    assert_true(ch->multiple);
    assert_string_equal(ch->group, "consult_detail");
    assert_int_equal(ch->n_options, 7);
    assert_string_equal(ch->options[0]->option, "counter");
    assert_string_equal(ch->options[0]->label, "窓口");
    assert_figure(find_option(ch, "counter", 0), "all", 1, 2, "50");
    assert_figure(find_option(ch, "phone", 0), "all", 2, 2, "100");
    assert_figure(find_option(ch, "email", 0), "all", 0, 2, "0");
    assert_figure(ch->answered[0], "all", 2, 2, "100");
    /* a question nobody could answer: n = 0, percent "" */
    const Survey__V1__Frequency *ff = find_freq(s, "ff_frequency");
    assert_figure(find_option(ff, "yearly", 0), "all", 0, 0, "");
    /* every select question has a table, no other */
    size_t selects = 0;
    for (size_t i = 0; i < sv_questionnaire_count(e->q); i++) {
        sv_qtype t = sv_questionnaire_question(e->q, i)->type;
        selects += t == SV_Q_SELECT_ONE || t == SV_Q_SELECT_MULTIPLE;
    }
    assert_int_equal(s->n_frequencies, selects);
    assert_int_equal(s->n_rates, 8);
    assert_int_equal(s->n_programs, 8);

    /* matrix cells */
    assert_string_equal(cell(s, "010006", "holders"), "100");
    assert_string_equal(cell(s, "010006", "consult"), "○");
    assert_string_equal(cell(s, "020001", "consult"), "×");
    assert_string_equal(cell(s, "010006", "supporter_outsourced"), "○");
    assert_string_equal(cell(s, "020001", "supporter_outsourced"), "-");
    assert_string_equal(cell(s, "011002", "supporter_outsourced"), "");
    assert_string_equal(cell(s, "010006", "fact_finding_outsourced"), "-");
    assert_string_equal(cell(s, "030007", "consult"), ""); /* not started */
    assert_string_equal(cell(s, "030007", "holders"), "");
    const Survey__V1__MatrixTotal *t = find_total(s, "holders", "all");
    assert_int_equal(t->sum, 157);
    assert_int_equal(t->n, 3);
    assert_int_equal(s->matrix->n_columns, 11);
    assert_true(s->matrix->columns[0]->sum);
    assert_false(s->matrix->columns[1]->sum);
    assert_int_equal(s->matrix->n_rows, e->n_roster);

    /* programs: who runs it, roster order */
    const Survey__V1__Program *p = find_program(s, "supporter");
    assert_int_equal(p->n_respondents, 2);
    assert_string_equal(p->respondents[0]->respondent, "010006");
    assert_string_equal(p->respondents[0]->name, "北海道");
    assert_string_equal(p->respondents[1]->respondent, "011002");
    assert_string_equal(p->respondents[1]->respondent_type, "指定都市");

    /* completeness */
    const Survey__V1__RespondentStatus *aomori = find_status(s, "020001");
    assert_int_equal(aomori->state,
                     SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE);
    assert_int_equal(aomori->revision, 1);
    assert_int_equal(aomori->n_missing, 0);
    const Survey__V1__RespondentStatus *sapporo = find_status(s, "011002");
    assert_int_equal(sapporo->state,
                     SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE);
    assert_int_equal(sapporo->revision, 2);
    assert_true(has_missing(sapporo, "supporter_outsourced"));
    assert_true(has_missing(sapporo, "consult_window"));
    assert_false(has_missing(sapporo, "consult_channel"));
    assert_false(has_missing(sapporo, "fact_finding_outsourced"));
    assert_false(has_missing(sapporo, "supporter_contractor_reason"));
    const Survey__V1__RespondentStatus *iwate = find_status(s, "030007");
    assert_int_equal(iwate->state,
                     SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED);
    assert_int_equal(iwate->n_missing, 0);
    const Survey__V1__CompletenessFigure *all = s->completeness->figures[0];
    assert_string_equal(all->respondent_type, "all");
    assert_int_equal(all->expected, 137);
    assert_int_equal(all->complete, 1);
    assert_int_equal(all->incomplete, 2);
    assert_int_equal(all->not_started, 134);
    assert_string_equal(all->response_rate, "2"); /* 3/137 = 2.19 */
    assert_string_equal(all->complete_rate, "1"); /* 1/137 = 0.73 */

    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
    free_revisions(e, rev);
}

/* A record that says "answered" for a question that is not relevant (the
 * collector never writes one, but the report must not count it). */
static void test_answered_but_not_relevant(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 1);
    size_t n = sv_questionnaire_count(e->q);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = malloc(e->size);
    sv_error err = {{0}};
    int supporter = sv_questionnaire_find(e->q, "supporter");
    int outsourced = sv_questionnaire_find(e->q, "supporter_outsourced");

    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    values[supporter] = (sv_value){.kind = SV_V_CHOICE, .choice = 1}; /* no */
    values[outsourced] = (sv_value){.kind = SV_V_CHOICE, .choice = 0};
    sv_questionnaire_relevance(e->q, values, relevant);
    assert_false(relevant[outsourced]);
    sv_compact_encode(e->q, values, relevant, rec);
    assert_true(sv_compact_answered(e->q, rec, (size_t)outsourced));
    assert_int_equal(sv_report_set(r, 5, rec, e->size, 1, &err), SV_OK);
    Survey__V1__Snapshot *s = snapshot(r, NULL);
    const char *code = sv_questionnaire_respondent(e->q, 5)->code;
    const Survey__V1__Frequency *f = find_freq(s, "supporter_outsourced");
    assert_figure(f->answered[0], "all", 0, 0, "");
    assert_figure(find_option(f, "yes", 0), "all", 0, 0, "");
    assert_string_equal(cell(s, code, "supporter_outsourced"), "-");
    assert_figure(find_rate(s, "supporter")->figures[0], "all", 0, 1, "0.0");
    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
    free(values);
    free(relevant);
    free(rec);
}

/* ---- by type ---------------------------------------------------------- */

static void test_by_type(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 0);
    Survey__V1__Revision **rev = calloc(e->n_roster, sizeof *rev);
    const char *types[] = {"all", "都道府県", "指定都市", "中核市",
                           "児童相談所設置市"};

    assert_non_null(rev);
    three_respondents(e, r, rev);
    /* 港区 (児童相談所設置市): no consult, no supporter */
    put(e, r, rev, "131032",
        "{\"holders\": 473, \"consult\": \"no\", \"supporter\": \"no\", " ALL_NO
        "}",
        1);
    Survey__V1__Snapshot *s = snapshot(r, NULL);

    assert_int_equal(s->n_respondent_types, 4);
    for (size_t t = 0; t < 4; t++)
        assert_string_equal(s->respondent_types[t], types[t + 1]);
    const Survey__V1__Rate *rate = find_rate(s, "supporter");
    assert_int_equal(rate->n_figures, 5);
    assert_figure(rate->figures[0], "all", 2, 4, "50");
    assert_figure(rate->figures[1], "都道府県", 1, 2, "50");
    assert_figure(rate->figures[2], "指定都市", 1, 1, "100");
    assert_figure(rate->figures[3], "中核市", 0, 0, "");
    assert_figure(rate->figures[4], "児童相談所設置市", 0, 1, "0");
    const Survey__V1__Frequency *ch = find_freq(s, "consult_channel");
    assert_int_equal(ch->n_answered, 5);
    assert_figure(find_option(ch, "counter", 1), "都道府県", 1, 1, "100");
    assert_figure(find_option(ch, "phone", 2), "指定都市", 1, 1, "100");
    assert_figure(find_option(ch, "phone", 4), "児童相談所設置市", 0, 0, "");
    for (size_t k = 0; k < 5; k++) {
        assert_string_equal(ch->answered[k]->respondent_type, types[k]);
        assert_string_equal(s->completeness->figures[k]->respondent_type,
                            types[k]);
    }
    assert_int_equal(find_total(s, "holders", "all")->sum, 630);
    assert_int_equal(find_total(s, "holders", "都道府県")->sum, 150);
    assert_int_equal(find_total(s, "holders", "都道府県")->n, 2);
    assert_int_equal(find_total(s, "holders", "指定都市")->sum, 7);
    assert_int_equal(find_total(s, "holders", "中核市")->sum, 0);
    assert_int_equal(find_total(s, "holders", "中核市")->n, 0);
    assert_int_equal(find_total(s, "holders", "児童相談所設置市")->sum, 473);
    assert_int_equal(s->matrix->n_totals, 5);

    const uint32_t expected[] = {137, 47, 20, 62, 8};
    const uint32_t complete[] = {2, 1, 0, 0, 1};
    const uint32_t incomplete[] = {2, 1, 1, 0, 0};
    for (size_t k = 0; k < 5; k++) {
        const Survey__V1__CompletenessFigure *f = s->completeness->figures[k];
        assert_int_equal(f->expected, expected[k]);
        assert_int_equal(f->complete, complete[k]);
        assert_int_equal(f->incomplete, incomplete[k]);
        assert_int_equal(f->not_started,
                         expected[k] - complete[k] - incomplete[k]);
    }
    assert_string_equal(s->completeness->figures[4]->response_rate, "13");
    assert_string_equal(s->completeness->figures[2]->complete_rate, "0");

    /* rows grouped by type, roster order within */
    size_t type = 0;
    size_t last = 0;
    for (size_t k = 0; k < s->matrix->n_rows; k++) {
        const Survey__V1__MatrixRow *row = s->matrix->rows[k];
        while (type < 4 && strcmp(row->respondent_type, types[type + 1]) != 0) {
            type++;
            last = 0;
        }
        assert_true(type < 4);
        size_t idx = roster_index(e, row->respondent);
        assert_true(k == 0 || idx > last || last == 0);
        last = idx;
    }
    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
    free_revisions(e, rev);
}

/* Above the respondent-detail limit the snapshot leaves out what lists
 * respondents one by one and keeps every aggregate, identical. */
static void test_respondent_detail(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 0);
    Survey__V1__Revision **rev = calloc(e->n_roster, sizeof *rev);
    struct store st;

    assert_non_null(rev);
    store_init(&st, e, rev);
    three_respondents(e, r, rev);
    Survey__V1__Snapshot *full = snapshot(r, &st);
    assert_false(full->respondent_detail_omitted);
    assert_int_equal(full->matrix->n_rows, e->n_roster);
    assert_int_equal(full->completeness->n_respondents, e->n_roster);

    sv_report_set_detail(r, e->n_roster - 1);
    Survey__V1__Snapshot *lean = snapshot(r, &st);
    assert_true(lean->respondent_detail_omitted);
    assert_int_equal(lean->matrix->n_rows, 0);
    assert_int_equal(lean->completeness->n_respondents, 0);
    assert_int_equal(lean->n_listings, full->n_listings);
    for (size_t i = 0; i < lean->n_listings; i++)
        assert_int_equal(lean->listings[i]->n_entries, 0);
    for (size_t i = 0; i < lean->n_programs; i++)
        assert_int_equal(lean->programs[i]->n_respondents, 0);
    /* the aggregates are those of the full snapshot, byte for byte */
    Survey__V1__Snapshot cut = *full;
    Survey__V1__Matrix m = *full->matrix;
    Survey__V1__Completeness c = *full->completeness;
    Survey__V1__Snapshot lcut = *lean;
    m.n_rows = 0;
    c.n_respondents = 0;
    cut.matrix = &m;
    cut.completeness = &c;
    cut.n_listings = 0;
    cut.n_programs = 0;
    cut.respondent_detail_omitted = true;
    cut.digest = lean->digest;
    lcut.n_listings = 0;
    lcut.n_programs = 0;
    size_t a_len = 0;
    size_t b_len = 0;
    uint8_t *a = pack(&cut, &a_len);
    uint8_t *b = pack(&lcut, &b_len);
    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);
    survey__v1__snapshot__free_unpacked(full, NULL);
    survey__v1__snapshot__free_unpacked(lean, NULL);
    sv_report_destroy(&r);
    free(st.calls);
    free_revisions(e, rev);
}

/* ---- listings and the revision callback ------------------------------ */

static void test_listings(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 0);
    Survey__V1__Revision **rev = calloc(e->n_roster, sizeof *rev);
    struct store st;
    sv_error err = {{0}};

    assert_non_null(rev);
    store_init(&st, e, rev);
    three_respondents(e, r, rev);
    /* 宮城県: care support with texts (contractor left out: optional) */
    put(e, r, rev, "040002",
        "{\"holders\": 1, \"consult\": \"no\", \"supporter\": \"no\", "
        "\"fact_finding\": \"no\", \"care_support\": \"yes\", "
        "\"peer_exchange\": \"no\", \"employment\": \"no\", "
        "\"carer_support\": \"no\", \"other_support\": \"no\", "
        "\"care_support_background\": \"背景の文\", "
        "\"care_support_target\": \"対象\", "
        "\"care_support_content\": \"内容\\nの二行\", "
        "\"care_support_funding\": [\"national_subsidy\"]}",
        4);
    /* 北海道 says outsourced but gives no contractor text: no call */
    Survey__V1__Snapshot *s = snapshot(r, &st);

    for (size_t i = 0; i < e->n_roster; i++) {
        const char *code = sv_questionnaire_respondent(e->q, i)->code;
        assert_int_equal(st.calls[i], strcmp(code, "040002") == 0 ? 1 : 0);
    }
    /* asked for the revision its record came from (4), not the current */
    assert_int_equal(st.asked, 4);
    const Survey__V1__Listing *l = find_listing(s, "care_support_content");
    assert_string_equal(l->group, "care_support_detail");
    assert_string_equal(l->group_label, "療養生活支援事業");
    assert_int_equal(l->n_entries, 1);
    assert_string_equal(l->entries[0]->respondent, "040002");
    assert_string_equal(l->entries[0]->name, "宮城県");
    assert_string_equal(l->entries[0]->respondent_type, "都道府県");
    assert_string_equal(l->entries[0]->text, "内容\nの二行");
    assert_int_equal(find_listing(s, "care_support_contractor")->n_entries, 0);
    assert_int_equal(find_listing(s, "supporter_contractor")->n_entries, 0);
    size_t lists = 0;
    for (size_t i = 0; i < sv_questionnaire_count(e->q); i++)
        lists +=
            (sv_questionnaire_question(e->q, i)->report & SV_REPORT_LIST) != 0;
    assert_int_equal(s->n_listings, lists);
    survey__v1__snapshot__free_unpacked(s, NULL);

    /* the next snapshot fetches nothing: the texts of revision 4 are kept
       (a revision never changes) */
    size_t miyagi = roster_index(e, "040002");
    memset(st.calls, 0, e->n_roster * sizeof *st.calls);
    s = snapshot(r, &st);
    assert_int_equal(st.calls[miyagi], 0);
    assert_string_equal(
        find_listing(s, "care_support_content")->entries[0]->text,
        "内容\nの二行");
    survey__v1__snapshot__free_unpacked(s, NULL);

    /* a new revision (5, the same answers) that the store has lost:
       fetched, entries stay, texts are "" */
    uint8_t *rec = malloc(e->size);
    assert_non_null(rec);
    assert_int_equal(encode(e->q, rev[miyagi], rec), 0);
    assert_int_equal(sv_report_set(r, miyagi, rec, e->size, 5, &err), SV_OK);
    Survey__V1__Revision *kept = rev[miyagi];
    rev[miyagi] = NULL;
    s = snapshot(r, &st);
    assert_int_equal(st.calls[miyagi], 1);
    l = find_listing(s, "care_support_background");
    assert_int_equal(l->n_entries, 1);
    assert_string_equal(l->entries[0]->text, "");
    survey__v1__snapshot__free_unpacked(s, NULL);
    rev[miyagi] = kept;

    /* not found is not kept: the store has it again, and it is read */
    s = snapshot(r, &st);
    assert_int_equal(st.calls[miyagi], 2);
    assert_int_equal(st.asked, 5);
    assert_string_equal(
        find_listing(s, "care_support_background")->entries[0]->text,
        "背景の文");
    survey__v1__snapshot__free_unpacked(s, NULL);
    /* a rerun's clear forgets the kept texts: read once more */
    sv_report_clear(r);
    assert_int_equal(sv_report_set(r, miyagi, rec, e->size, 5, &err), SV_OK);
    s = snapshot(r, &st);
    assert_int_equal(st.calls[miyagi], 3);
    survey__v1__snapshot__free_unpacked(s, NULL);

    /* without a callback: the same */
    s = snapshot(r, NULL);
    assert_string_equal(
        find_listing(s, "care_support_target")->entries[0]->text, "");
    survey__v1__snapshot__free_unpacked(s, NULL);

    /* a failing store fails the snapshot, nothing leaks (at a revision
       whose texts are not kept yet) */
    assert_int_equal(sv_report_set(r, miyagi, rec, e->size, 6, &err), SV_OK);
    st.fail = SV_ERR_STORE;
    s = NULL;
    assert_int_equal(sv_report_snapshot(r, fetch, &st, &s, &err), SV_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err.msg, "040002"));
    free(rec);

    free(st.calls);
    sv_report_destroy(&r);
    free_revisions(e, rev);
}

/* Copies sheet name from R6_DIR into dir, with `from` (if any) replaced
 * by `to` once. */
static void copy_sheet(const char *dir, const char *name, const char *from,
                       const char *to)
{
    char path[300];
    char *buf = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/%s", R6_DIR, name);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    ssize_t n = getdelim(&buf, &cap, '\0', in);
    assert_true(n > 0);
    assert_int_equal(fclose(in), 0);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    char *at = from != NULL ? strstr(buf, from) : NULL;
    if (from != NULL)
        assert_non_null(at);
    if (at == NULL) {
        assert_int_equal(fwrite(buf, 1, (size_t)n, out), (size_t)n);
    } else {
        size_t head = (size_t)(at - buf);
        assert_int_equal(fwrite(buf, 1, head, out), head);
        assert_int_equal(fputs(to, out) >= 0, 1);
        fputs(at + strlen(from), out);
    }
    assert_int_equal(fclose(out), 0);
    free(buf);
}

/* A select question marked `list` (none of the 2024 sheet's is; the
 * report's 5-9 case listings show 財源 so): its entries are the chosen
 * options' labels, not their names. */
static void test_select_listing(void **state)
{
    const struct env *e = *state;
    char dir[] = "/tmp/test_report.XXXXXX";
    static const char *const sheets[] = {"settings.csv", "choices.csv",
                                         "roster.csv"};
    struct env alt = *e;
    sv_error err = {{0}};
    char path[300];

    assert_non_null(mkdtemp(dir));
    for (size_t i = 0; i < 3; i++)
        copy_sheet(dir, sheets[i], NULL, NULL);
    copy_sheet(dir, "survey.csv",
               "care_support_funding,財源（複数回答）,,yes,,freq",
               "care_support_funding,財源（複数回答）,,yes,,freq list");
    alt.q = NULL;
    assert_int_equal(sv_questionnaire_load(&alt.q, dir, &err), SV_OK);
    sv_report *r = new_report(&alt, 0);
    Survey__V1__Revision **rev = calloc(alt.n_roster, sizeof *rev);
    assert_non_null(rev);
    put(&alt, r, rev, "040002",
        "{\"holders\": 1, \"consult\": \"no\", \"supporter\": \"no\", "
        "\"fact_finding\": \"no\", \"care_support\": \"yes\", "
        "\"peer_exchange\": \"no\", \"employment\": \"no\", "
        "\"carer_support\": \"no\", \"other_support\": \"no\", "
        "\"care_support_funding\": [\"national_subsidy\", "
        "\"local_budget\"]}",
        1);
    Survey__V1__Snapshot *s = snapshot(r, NULL);
    const Survey__V1__Listing *l = find_listing(s, "care_support_funding");
    assert_int_equal(l->n_entries, 1);
    assert_string_equal(l->entries[0]->respondent, "040002");
    assert_string_equal(l->entries[0]->text,
                        "国庫負担金を活用、自治体における単独事業にて実施");
    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
    free_revisions(&alt, rev);
    sv_questionnaire_destroy(&alt.q);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, sheets[i]);
        assert_int_equal(unlink(path), 0);
    }
    snprintf(path, sizeof path, "%s/survey.csv", dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- refused records ------------------------------------------------- */

static void test_refused_records(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 0);
    uint8_t *rec = malloc(e->size + 1);
    uint8_t *other = malloc(e->size);
    sv_error err = {{0}};
    size_t len0;
    size_t len1;
    size_t consult = (size_t)sv_questionnaire_find(e->q, "consult");

    assert_non_null(rec);
    assert_non_null(other);
    assert_int_equal(sv_report_set(r, 0, e->recs, e->size, 1, &err), SV_OK);
    Survey__V1__Snapshot *s = snapshot(r, NULL);
    uint8_t *before = pack(s, &len0);
    survey__v1__snapshot__free_unpacked(s, NULL);

    memcpy(rec, e->recs + e->size, e->size);
    rec[e->size] = 0;
    assert_int_equal(sv_report_set(r, 1, rec, e->size + 1, 1, &err),
                     SV_ERR_INVALID);
    assert_int_equal(sv_report_set(r, 1, rec, e->size - 1, 1, &err),
                     SV_ERR_INVALID);
    rec[1] ^= 0x10;
    assert_int_equal(sv_report_set(r, 1, rec, e->size, 1, &err),
                     SV_ERR_INVALID);
    rec[1] ^= 0x10;
    assert_int_equal(sv_report_set(r, e->n_roster, rec, e->size, 1, &err),
                     SV_ERR_INVALID);
    /* an option index out of range: find consult's slot by flipping it */
    assert_int_equal(sv_compact_value(e->q, rec, consult).kind, SV_V_CHOICE);
    size_t slot = e->size;
    memcpy(other, rec, e->size);
    for (size_t b = 0; b < e->size && slot == e->size; b++) {
        other[b] ^= 0x01;
        if (sv_compact_value(e->q, other, consult).choice !=
            sv_compact_value(e->q, rec, consult).choice)
            slot = b;
        other[b] ^= 0x01;
    }
    assert_true(slot < e->size);
    other[slot] = 2;
    assert_int_equal(sv_report_set(r, 1, other, e->size, 1, &err),
                     SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_non_null(strstr(err.msg, "consult: option index 2"));
    /* the same record on respondent 0 is refused too: 0 keeps its own */
    assert_int_equal(sv_report_set(r, 0, other, e->size, 9, &err),
                     SV_ERR_INVALID);
    /* an integer out of its limits, and an option bit past a
       select_multiple's options, in records that answer them */
    size_t n_int = 0;
    size_t n_multi = 0;
    for (size_t k = 0; k < e->n_roster && (n_int == 0 || n_multi == 0); k++) {
        const uint8_t *base = e->recs + k * e->size;
        for (size_t i = 0; i < sv_questionnaire_count(e->q); i++) {
            const sv_question *qu = sv_questionnaire_question(e->q, i);
            size_t at = sv_compact_slot(e->q, i);
            if (!sv_compact_answered(e->q, base, i))
                continue;
            memcpy(other, base, e->size);
            if (qu->type == SV_Q_INTEGER) {
                uint64_t big = (uint64_t)SV_INTEGER_MAX + 1;
                for (size_t b = 0; b < 8; b++)
                    other[at + b] = (uint8_t)(big >> (8 * b));
                n_int++;
            } else if (qu->type == SV_Q_SELECT_MULTIPLE &&
                       qu->n_options % 8 != 0) {
                other[at + (qu->n_options - 1) / 8] |=
                    (uint8_t)(1u << (qu->n_options % 8));
                n_multi++;
            } else {
                continue;
            }
            assert_int_equal(sv_report_set(r, k, other, e->size, 9, &err),
                             SV_ERR_INVALID);
            assert_non_null(strstr(err.msg, "out of range"));
            assert_non_null(strstr(err.msg, qu->name));
            assert_non_null(strstr(err.msg, qu->type == SV_Q_INTEGER
                                                ? "integer 2147483648"
                                                : "an option chosen past"));
        }
    }
    assert_true(n_int > 0);
    assert_true(n_multi > 0);

    s = snapshot(r, NULL);
    uint8_t *after = pack(s, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    survey__v1__snapshot__free_unpacked(s, NULL);
    free(before);
    free(after);
    free(rec);
    free(other);
    sv_report_destroy(&r);
    assert_int_equal(sv_report_new(&r, e->q, SV_PERCENT_MAX_DECIMALS + 1, &err),
                     SV_ERR_INVALID);
    assert_null(r);
}

/* ---- the digest ------------------------------------------------------- */

static void test_digest(void **state)
{
    const struct env *e = *state;
    sv_report *r = new_report(e, 0);
    sv_error err = {{0}};
    char trigger[] = "rerun";

    for (size_t i = 0; i < e->n_roster; i++)
        assert_int_equal(
            sv_report_set(r, i, e->recs + i * e->size, e->size, 1, &err),
            SV_OK);
    Survey__V1__Snapshot *s = snapshot(r, NULL);
    assert_int_equal(s->digest.len, 32);
    uint8_t first[32];
    memcpy(first, s->digest.data, 32);
    assert_string_equal(s->survey, "shoman-jiritsu-r6");
    assert_string_equal(s->questionnaire_version, "1");
    assert_non_null(strstr(s->title, "自立支援事業"));
    assert_int_equal(s->decimals, 0);

    /* the header the caller sets does not count */
    s->version = 7;
    s->sequence = 1234;
    s->created_ms = 1700000000000;
    char *saved = s->trigger;
    s->trigger = trigger;
    assert_int_equal(sv_snapshot_digest(s, &err), SV_OK);
    assert_memory_equal(s->digest.data, first, 32);
    assert_int_equal(s->version, 7);
    assert_int_equal(s->sequence, 1234);
    assert_true(s->created_ms == 1700000000000);
    assert_ptr_equal(s->trigger, trigger);
    s->trigger = saved;

    /* the content does */
    s->decimals = 1;
    assert_int_equal(sv_snapshot_digest(s, &err), SV_OK);
    assert_memory_not_equal(s->digest.data, first, 32);
    s->decimals = 0;
    assert_int_equal(sv_snapshot_digest(s, &err), SV_OK);
    assert_memory_equal(s->digest.data, first, 32);

    /* the packed snapshot decodes to the same bytes */
    size_t len;
    size_t len2;
    uint8_t *buf = pack(s, &len);
    Survey__V1__Snapshot *copy = survey__v1__snapshot__unpack(NULL, len, buf);
    assert_non_null(copy);
    uint8_t *buf2 = pack(copy, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    survey__v1__snapshot__free_unpacked(copy, NULL);
    free(buf);
    free(buf2);
    survey__v1__snapshot__free_unpacked(s, NULL);

    /* one changed answer, another digest */
    assert_int_equal(sv_report_set(r, 3, NULL, 0, 0, &err), SV_OK);
    s = snapshot(r, NULL);
    assert_memory_not_equal(s->digest.data, first, 32);
    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
}

/* ---- incremental == fresh --------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t next(struct rng *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s;
}

/* A pool of records to set: the 137 seed records, and each of them with
 * one answer taken out (some become incomplete, some change relevance). */
static uint8_t *make_pool(const struct env *e, size_t *n_pool)
{
    uint8_t *pool = malloc(2 * e->n_roster * e->size);

    assert_non_null(pool);
    memcpy(pool, e->recs, e->n_roster * e->size);
    for (size_t i = 0; i < e->n_roster; i++) {
        Survey__V1__Revision *rev = e->rev[i];
        assert_non_null(rev);
        size_t drop = (i * 7) % rev->n_answers;
        Survey__V1__Answer *a = rev->answers[drop];
        rev->answers[drop] = rev->answers[rev->n_answers - 1];
        rev->n_answers--;
        (void)encode(e->q, rev, pool + (e->n_roster + i) * e->size);
        rev->n_answers++;
        rev->answers[rev->n_answers - 1] = rev->answers[drop];
        rev->answers[drop] = a;
    }
    *n_pool = 2 * e->n_roster;
    return pool;
}

static void test_incremental(void **state)
{
    const struct env *e = *state;
    size_t n_pool;
    uint8_t *pool = make_pool(e, &n_pool);
    sv_report *inc = new_report(e, 1);
    sv_report *fresh = new_report(e, 1);
    long *final = malloc(e->n_roster * sizeof *final); /* pool index, -1 */
    uint64_t *final_rev = calloc(e->n_roster, sizeof *final_rev);
    struct rng g = {0x9e3779b97f4a7c15u};
    struct store st;
    sv_error err = {{0}};
    size_t replaced = 0;

    assert_non_null(final);
    assert_non_null(final_rev);
    store_init(&st, e, e->rev);
    for (size_t i = 0; i < e->n_roster; i++)
        final[i] = -1;
    for (int op = 0; op < 600; op++) {
        size_t idx = next(&g) % e->n_roster;
        uint64_t k = next(&g) % (n_pool + 20);
        uint64_t revision = next(&g) % 50;
        const uint8_t *rec = k < n_pool ? pool + k * e->size : NULL;
        replaced += final[idx] >= 0;
        assert_int_equal(sv_report_set(inc, idx, rec, e->size, revision, &err),
                         SV_OK);
        final[idx] = k < n_pool ? (long)k : -1;
        final_rev[idx] = revision;
    }
    assert_true(replaced > 100);
    /* the fresh report: final records only, last respondent first */
    for (size_t j = e->n_roster; j-- > 0;) {
        size_t idx = (j * 53) % e->n_roster; /* 53 is prime to 137 */
        if (final[idx] < 0 && final_rev[idx] == 0)
            continue;
        const uint8_t *rec =
            final[idx] >= 0 ? pool + (size_t) final[idx] * e->size : NULL;
        assert_int_equal(
            sv_report_set(fresh, idx, rec, e->size, final_rev[idx], &err),
            SV_OK);
    }
    Survey__V1__Snapshot *a = snapshot(inc, &st);
    Survey__V1__Snapshot *b = snapshot(fresh, &st);
    size_t la;
    size_t lb;
    uint8_t *pa = pack(a, &la);
    uint8_t *pb = pack(b, &lb);
    assert_int_equal(a->digest.len, 32);
    assert_memory_equal(a->digest.data, b->digest.data, 32);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    /* and the texts were fetched: some listing is non-empty */
    size_t entries = 0;
    for (size_t k = 0; k < a->n_listings; k++)
        entries += a->listings[k]->n_entries;
    assert_true(entries > 0);
    survey__v1__snapshot__free_unpacked(b, NULL);
    free(pb);

    /* clear, then the final records again: the same bytes */
    sv_report_clear(inc);
    Survey__V1__Snapshot *c = snapshot(inc, NULL);
    assert_int_equal(c->completeness->figures[0]->not_started, 137);
    assert_memory_not_equal(c->digest.data, a->digest.data, 32);
    survey__v1__snapshot__free_unpacked(c, NULL);
    for (size_t idx = 0; idx < e->n_roster; idx++) {
        const uint8_t *rec =
            final[idx] >= 0 ? pool + (size_t) final[idx] * e->size : NULL;
        assert_int_equal(
            sv_report_set(inc, idx, rec, e->size, final_rev[idx], &err), SV_OK);
    }
    c = snapshot(inc, &st);
    uint8_t *pc = pack(c, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pc, la);
    survey__v1__snapshot__free_unpacked(c, NULL);
    free(pc);

    /* as a rerun does it: bulk mode, every other record into a shard, and
     * the first respondent set twice (once with another record): the same
     * bytes */
    sv_report *shard = NULL;
    sv_report_clear(inc);
    sv_report_bulk(inc, true);
    assert_int_equal(sv_report_shard(inc, &shard, &err), SV_OK);
    assert_int_equal(sv_report_set(inc, 0, pool, e->size, 1, &err), SV_OK);
    for (size_t idx = 0; idx < e->n_roster; idx++) {
        const uint8_t *rec =
            final[idx] >= 0 ? pool + (size_t) final[idx] * e->size : NULL;
        assert_int_equal(sv_report_set(idx % 2 == 1 ? shard : inc, idx, rec,
                                       e->size, final_rev[idx], &err),
                         SV_OK);
    }
    sv_report_merge(inc, &shard);
    assert_null(shard);
    sv_report_bulk(inc, false);
    c = snapshot(inc, &st);
    pc = pack(c, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pc, la);
    survey__v1__snapshot__free_unpacked(c, NULL);
    free(pc);

    survey__v1__snapshot__free_unpacked(a, NULL);
    free(pa);
    free(st.calls);
    free(final);
    free(final_rev);
    free(pool);
    sv_report_destroy(&inc);
    sv_report_destroy(&fresh);
}

/* ---- the seed --------------------------------------------------------- */

/* Bulk mode (a rerun's way) gives the same snapshot as one record at a
 * time, also for a select_multiple of more than 8 options: the seed's
 * records, with every option of ff_challenges (9) chosen by every third
 * respondent. */
static void test_bulk(void **state)
{
    const struct env *e = *state;
    int qi = sv_questionnaire_find(e->q, "ff_challenges");
    uint8_t *recs = malloc(e->n_roster * e->size);
    sv_report *one = new_report(e, 1);
    sv_report *bulk = new_report(e, 1);
    sv_report *shard = NULL;
    struct store st;
    sv_error err = {{0}};
    size_t la, lb;

    assert_true(qi >= 0);
    assert_int_equal(sv_questionnaire_question(e->q, (size_t)qi)->n_options, 9);
    assert_non_null(recs);
    memcpy(recs, e->recs, e->n_roster * e->size);
    size_t bm = sv_compact_bitmap_bytes(e->q);
    for (size_t idx = 0; idx < e->n_roster; idx += 3) {
        uint8_t *rec = recs + idx * e->size;
        uint8_t *slot = rec + sv_compact_slot(e->q, (size_t)qi);
        rec[SV_COMPACT_HEADER + (size_t)qi / 8] |= (uint8_t)(1u << (qi % 8));
        rec[SV_COMPACT_HEADER + bm + (size_t)qi / 8] |=
            (uint8_t)(1u << (qi % 8));
        slot[0] = 0xff;
        slot[1] = 0x01;
    }
    for (size_t idx = 0; idx < e->n_roster; idx++)
        assert_int_equal(
            sv_report_set(one, idx, recs + idx * e->size, e->size, 1, &err),
            SV_OK);
    sv_report_bulk(bulk, true);
    assert_int_equal(sv_report_shard(bulk, &shard, &err), SV_OK);
    for (size_t idx = 0; idx < e->n_roster; idx++)
        assert_int_equal(sv_report_set(idx < e->n_roster / 2 ? bulk : shard,
                                       idx, recs + idx * e->size, e->size, 1,
                                       &err),
                         SV_OK);
    sv_report_merge(bulk, &shard);
    sv_report_bulk(bulk, false);
    store_init(&st, e, e->rev);
    Survey__V1__Snapshot *a = snapshot(one, &st);
    Survey__V1__Snapshot *b = snapshot(bulk, &st);
    const Survey__V1__Frequency *f = find_freq(a, "ff_challenges");
    assert_non_null(f);
    assert_true(f->n_options == 9);
    assert_true(f->options[8]->figures[0]->count >= e->n_roster / 3);
    uint8_t *pa = pack(a, &la);
    uint8_t *pb = pack(b, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(pa, pb, la);
    free(pa);
    free(pb);
    survey__v1__snapshot__free_unpacked(a, NULL);
    survey__v1__snapshot__free_unpacked(b, NULL);
    free(st.calls);
    sv_report_destroy(&one);
    sv_report_destroy(&bulk);
    free(recs);
}

static sv_report *seed_report(const struct env *e)
{
    sv_report *r = new_report(e, 0);
    sv_error err = {{0}};

    for (size_t i = 0; i < e->n_roster; i++) {
        assert_non_null(e->rev[i]);
        assert_int_equal(
            sv_report_set(r, i, e->recs + i * e->size, e->size, 1, &err),
            SV_OK);
    }
    return r;
}

static void test_seed_loaded(void **state)
{
    const struct env *e = *state;

    assert_int_equal(e->seed_lines, N_SEED);
    assert_int_equal(e->n_roster, N_SEED);
    assert_int_equal(e->seed_problems, 0);
    for (size_t i = 0; i < e->n_roster; i++)
        assert_non_null(e->rev[i]);
}

/* A rerun sets records the report has seen before: for the same bytes as
 * the copy it keeps, the range check and the copy are left out. That must
 * change nothing: the same tables as the first pass, in either mode, and
 * a record out of range still refused after a clear, though the record
 * kept for its respondent was in range. */
static void test_rerun_same_records(void **state)
{
    const struct env *e = *state;
    sv_report *r = seed_report(e);
    uint8_t *bad = malloc(e->size);
    sv_error err = {{0}};
    size_t len0;
    size_t k = e->n_roster;

    assert_non_null(bad);
    Survey__V1__Snapshot *s = snapshot(r, NULL);
    uint8_t *first = pack(s, &len0);
    survey__v1__snapshot__free_unpacked(s, NULL);
    /* a copy of the first record that answers an integer question, with
       that answer past SV_INTEGER_MAX */
    for (size_t idx = 0; idx < e->n_roster && k == e->n_roster; idx++) {
        const uint8_t *rec = e->recs + idx * e->size;
        for (size_t i = 0; i < sv_questionnaire_count(e->q); i++) {
            if (sv_questionnaire_question(e->q, i)->type != SV_Q_INTEGER ||
                !sv_compact_answered(e->q, rec, i))
                continue;
            memcpy(bad, rec, e->size);
            bad[sv_compact_slot(e->q, i) + 3] = 0x80; /* 2^31 */
            k = idx;
            break;
        }
    }
    assert_true(k < e->n_roster);

    for (int bulk = 0; bulk < 2; bulk++) {
        size_t len1;
        sv_report_clear(r);
        sv_report_bulk(r, bulk == 1);
        assert_int_equal(sv_report_set(r, k, bad, e->size, 1, &err),
                         SV_ERR_INVALID);
        assert_non_null(strstr(err.msg, "out of range"));
        for (size_t idx = 0; idx < e->n_roster; idx++)
            assert_int_equal(sv_report_set(r, idx, e->recs + idx * e->size,
                                           e->size, 1, &err),
                             SV_OK);
        sv_report_bulk(r, false);
        s = snapshot(r, NULL);
        uint8_t *again = pack(s, &len1);
        assert_int_equal(len1, len0);
        assert_memory_equal(again, first, len0);
        free(again);
        survey__v1__snapshot__free_unpacked(s, NULL);
    }
    free(first);
    free(bad);
    sv_report_destroy(&r);
}

/* A snapshot built in an arena is the same, byte for byte (digest
 * included), as one built with malloc; the arena can be reset and used
 * again; a failure leaves nothing but the arena to reset; and the report
 * builds with malloc again afterwards (freed below with
 * free_unpacked(NULL), which the sanitizers would catch otherwise). */
static void test_snapshot_in_arena(void **state)
{
    const struct env *e = *state;
    sv_report *r = seed_report(e);
    sv_arena *arena = sv_arena_new();
    sv_error err = {{0}};
    struct store st;
    size_t len;

    assert_non_null(arena);
    store_init(&st, e, e->rev);
    Survey__V1__Snapshot *ref = snapshot(r, &st);
    assert_true(ref->n_listings > 0 && ref->listings[0]->n_entries > 0);
    uint8_t *want = pack(ref, &len);
    for (int round = 0; round < 2; round++) {
        Survey__V1__Snapshot *s = NULL;
        size_t got_len;
        assert_int_equal(sv_report_snapshot_with(r, sv_arena_allocator(arena),
                                                 fetch, &st, &s, &err),
                         SV_OK);
        uint8_t *got = pack(s, &got_len);
        assert_int_equal(got_len, len);
        assert_memory_equal(got, want, len);
        assert_memory_equal(s->digest.data, ref->digest.data, 32);
        free(got);
        sv_arena_reset(arena);
    }

    /* a failing store fails the snapshot, nothing leaks: a respondent
       with texts at a new revision has them fetched */
    size_t idx = roster_index(e, "010006"); /* 北海道: a contractor text */
    st.fail = SV_ERR_STORE;
    assert_int_equal(
        sv_report_set(r, idx, e->recs + idx * e->size, e->size, 2, &err),
        SV_OK);
    Survey__V1__Snapshot *s = NULL;
    assert_int_equal(sv_report_snapshot_with(r, sv_arena_allocator(arena),
                                             fetch, &st, &s, &err),
                     SV_ERR_STORE);
    assert_null(s);
    sv_arena_reset(arena);

    /* back at revision 1: its kept texts, the same bytes as before */
    st.fail = SV_OK;
    assert_int_equal(
        sv_report_set(r, idx, e->recs + idx * e->size, e->size, 1, &err),
        SV_OK);
    Survey__V1__Snapshot *again = snapshot(r, &st);
    size_t again_len;
    uint8_t *bytes = pack(again, &again_len);
    assert_int_equal(again_len, len);
    assert_memory_equal(bytes, want, len);
    free(bytes);
    survey__v1__snapshot__free_unpacked(again, NULL);
    survey__v1__snapshot__free_unpacked(ref, NULL);
    free(want);
    free(st.calls);
    sv_arena_destroy(&arena);
    sv_report_destroy(&r);
}

static void test_seed_figures(void **state)
{
    const struct env *e = *state;
    sv_report *r = seed_report(e);
    struct store st;

    store_init(&st, e, e->rev);
    Survey__V1__Snapshot *s = snapshot(r, &st);
    static const struct {
        const char *q;
        uint32_t count;
        const char *percent;
    } rates[] = {{"consult", 133, "97"},      {"supporter", 134, "98"},
                 {"fact_finding", 88, "64"},  {"care_support", 17, "12"},
                 {"peer_exchange", 73, "53"}, {"employment", 20, "15"},
                 {"carer_support", 15, "11"}, {"other_support", 41, "30"}};

    assert_int_equal(s->n_rates, 8);
    for (size_t k = 0; k < 8; k++) {
        const Survey__V1__Rate *rate = s->rates[k];
        assert_string_equal(rate->question, rates[k].q);
        assert_string_equal(rate->option, "yes");
        assert_string_equal(rate->figures[0]->respondent_type, "all");
        assert_int_equal(rate->figures[0]->n, 137);
        assert_string_equal(rate->figures[0]->percent, rates[k].percent);
        assert_int_equal(rate->figures[0]->count, rates[k].count);
        assert_int_equal(find_program(s, rates[k].q)->n_respondents,
                         rates[k].count);
    }
    assert_figure(find_option(find_freq(s, "supporter_outsourced"), "yes", 0),
                  "all", 50, 134, "37");
    assert_figure(
        find_option(find_freq(s, "fact_finding_outsourced"), "yes", 0), "all",
        12, 88, "14");
    const Survey__V1__MatrixTotal *t = find_total(s, "holders", "all");
    assert_int_equal(t->sum, 109419);
    assert_int_equal(t->n, 137);

    /* 枚方市 marks その他 ○ but gives no case details */
    const Survey__V1__RespondentStatus *hirakata = find_status(s, "272108");
    assert_string_equal(hirakata->name, "枚方市");
    assert_int_equal(hirakata->state,
                     SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE);
    assert_true(has_missing(hirakata, "other_support_background"));
    assert_int_equal(hirakata->revision, 1);
    assert_int_equal(s->completeness->figures[0]->not_started, 0);
    assert_string_equal(s->completeness->figures[0]->response_rate, "100");

    /* a listed text and the once-per-respondent fetch */
    const Survey__V1__Listing *l = find_listing(s, "supporter_contractor");
    assert_int_equal(l->n_entries, 50);
    assert_string_equal(l->entries[0]->respondent, "010006");
    assert_string_equal(l->entries[0]->text, "一般財団法人北海道難病連");
    for (size_t i = 0; i < e->n_roster; i++)
        assert_true(st.calls[i] <= 1);
    assert_int_equal(st.calls[roster_index(e, "020001")], 0); /* 青森県 */

    /* rows: 137, grouped by type */
    assert_int_equal(s->matrix->n_rows, 137);
    const char *types[] = {"都道府県", "指定都市", "中核市",
                           "児童相談所設置市"};
    const size_t first_of[] = {0, 47, 67, 129};
    for (size_t k = 0; k < 4; k++)
        assert_string_equal(s->matrix->rows[first_of[k]]->respondent_type,
                            types[k]);
    assert_string_equal(s->matrix->rows[46]->respondent_type, "都道府県");
    assert_string_equal(s->matrix->rows[66]->respondent_type, "指定都市");
    assert_string_equal(s->matrix->rows[128]->respondent_type, "中核市");
    assert_string_equal(s->matrix->rows[136]->respondent_type,
                        "児童相談所設置市");

    free(st.calls);
    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
}

/* One row of the seed's section-2 table. */
struct seed_row {
    int number;
    char name[64];
    char holders[16]; /* digits, commas removed */
    char cells[10][8];
};

/* Parses the rows of the "2. 各自治体の事業実施状況" pages: tab-separated
 * lines starting with a number. Returns the number of rows. */
static size_t parse_seed(struct seed_row *rows, size_t max)
{
    const char *head = "2. 各自治体の事業実施状況";
    FILE *f = fopen(SEED, "r");
    char *line = NULL;
    size_t cap = 0;
    size_t n = 0;
    bool in = false;

    if (f == NULL)
        fail_msg("the seed report %s is missing: %s", SEED, strerror(errno));
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, head, strlen(head)) == 0)
            in = true;
        else if (strncmp(line, "3-1. ", 5) == 0)
            in = false;
        if (!in || line[0] < '1' || line[0] > '9')
            continue;
        char *field[16];
        size_t nf = 0;
        for (char *p = line; p != NULL && nf < 16;) {
            field[nf++] = p;
            p = strchr(p, '\t');
            if (p != NULL)
                *p++ = '\0';
        }
        if (nf != 13)
            continue;
        assert_true(n < max);
        struct seed_row *row = &rows[n++];
        row->number = atoi(field[0]);
        snprintf(row->name, sizeof row->name, "%s", field[1]);
        size_t h = 0;
        for (const char *p = field[2]; *p != '\0'; p++) {
            if (*p != ',' && h + 1 < sizeof row->holders)
                row->holders[h++] = *p;
        }
        row->holders[h] = '\0';
        for (size_t c = 0; c < 10; c++)
            snprintf(row->cells[c], sizeof row->cells[c], "%s", field[3 + c]);
    }
    free(line);
    fclose(f);
    return n;
}

static void test_seed_matrix(void **state)
{
    const struct env *e = *state;
    struct seed_row *seed = calloc(N_SEED + 1, sizeof *seed);
    static const char *const columns[] = {
        "holders",      "consult",
        "supporter",    "supporter_outsourced",
        "fact_finding", "fact_finding_outsourced",
        "care_support", "peer_exchange",
        "employment",   "carer_support",
        "other_support"};
    size_t not_relevant[11] = {0};
    size_t dashes = 0;

    assert_non_null(seed);
    assert_int_equal(parse_seed(seed, N_SEED + 1), N_SEED);
    sv_report *r = seed_report(e);
    Survey__V1__Snapshot *s = snapshot(r, NULL);
    const Survey__V1__Matrix *m = s->matrix;
    assert_int_equal(m->n_columns, 11);
    for (size_t c = 0; c < 11; c++)
        assert_string_equal(m->columns[c]->question, columns[c]);
    assert_int_equal(m->n_rows, N_SEED);
    for (size_t k = 0; k < N_SEED; k++) {
        const struct seed_row *want = &seed[k];
        const Survey__V1__MatrixRow *row = m->rows[k];
        assert_int_equal(want->number, (int)k + 1);
        assert_string_equal(row->name, want->name);
        assert_int_equal(row->n_cells, 11);
        assert_string_equal(row->cells[0], want->holders);
        for (size_t c = 0; c < 10; c++) {
            const char *ours = row->cells[1 + c];
            const char *theirs = want->cells[c];
            if (strcmp(theirs, "○") == 0) {
                assert_string_equal(ours, "○");
            } else if (strcmp(theirs, "-") == 0) {
                assert_string_equal(ours, "-");
                dashes++;
            } else if (strcmp(theirs, "×") == 0 && strcmp(ours, "-") == 0) {
                /* the seed prints × where the question is not relevant */
                not_relevant[1 + c]++;
            } else {
                assert_string_equal(theirs, "×");
                assert_string_equal(ours, "×");
            }
        }
    }
    /* 宇都宮市 and 横須賀市: "-" in both */
    assert_int_equal(dashes, 2);
    assert_string_equal(cell(s, "092011", "supporter_outsourced"), "-");
    assert_string_equal(cell(s, "142018", "supporter_outsourced"), "-");
    /* the seed's × for non-relevant cells: 豊島区's 自立支援員の外部委託
     * and 実態把握事業の外部委託 of the 49 without 実態把握事業 */
    assert_int_equal(not_relevant[3], 1);
    assert_string_equal(cell(s, "131164", "supporter_outsourced"), "-");
    assert_int_equal(not_relevant[5], 137 - 88);
    size_t total = 0;
    for (size_t c = 0; c < 11; c++)
        total += not_relevant[c];
    assert_int_equal(total, 1 + 49);

    survey__v1__snapshot__free_unpacked(s, NULL);
    sv_report_destroy(&r);
    free(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_table),
        cmocka_unit_test(test_percent_scaled),
        cmocka_unit_test(test_percent_errors),
        cmocka_unit_test(test_denominators),
        cmocka_unit_test(test_answered_but_not_relevant),
        cmocka_unit_test(test_by_type),
        cmocka_unit_test(test_respondent_detail),
        cmocka_unit_test(test_listings),
        cmocka_unit_test(test_select_listing),
        cmocka_unit_test(test_refused_records),
        cmocka_unit_test(test_rerun_same_records),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_incremental),
        cmocka_unit_test(test_bulk),
        cmocka_unit_test(test_seed_loaded),
        cmocka_unit_test(test_seed_figures),
        cmocka_unit_test(test_snapshot_in_arena),
        cmocka_unit_test(test_seed_matrix),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
