/* test_compact.c: the compact record (compact.h). Round trips of every
 * question type on the 2024 questionnaire (data/r6), the record size, the
 * layout fingerprint (it follows names, types and option counts, not
 * labels: checked on modified scratch copies of the fixture set) and the
 * refusal of records of another size or layout. */
#include "compact.h"

#include <errno.h>
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
#define FIXTURE SV_SOURCE_DIR "/tests/fixtures/questionnaire/valid"

static int load_r6(void **state)
{
    sv_questionnaire *q = NULL;
    sv_error err = {{0}};

    if (sv_questionnaire_load(&q, R6_DIR, &err) != SV_OK) {
        fprintf(stderr, "load %s: %s\n", R6_DIR, err.msg);
        return -1;
    }
    *state = q;
    return 0;
}

static int free_r6(void **state)
{
    sv_questionnaire *q = *state;

    sv_questionnaire_destroy(&q);
    return 0;
}

/* A value of question i that exercises its whole slot: the extreme
 * integers, the last option, the first and last options of a multiple
 * choice. */
static sv_value sample(const sv_question *qu, size_t i)
{
    sv_value v = {.kind = SV_V_NONE};

    switch (qu->type) {
    case SV_Q_INTEGER:
        v.kind = SV_V_INTEGER;
        v.integer = i % 2 ? SV_INTEGER_MIN : SV_INTEGER_MAX;
        break;
    case SV_Q_SELECT_ONE:
        v.kind = SV_V_CHOICE;
        v.choice = (uint32_t)(qu->n_options - 1 - i % qu->n_options);
        break;
    case SV_Q_SELECT_MULTIPLE:
        v.kind = SV_V_CHOICES;
        v.choices = 1u | (UINT64_C(1) << (qu->n_options - 1));
        break;
    case SV_Q_TEXT:
        v.kind = SV_V_TEXT;
        v.text = "ignored";
        v.text_len = 7;
        break;
    }
    return v;
}

static void assert_same_value(sv_value got, sv_value want)
{
    assert_int_equal(got.kind, want.kind);
    switch (want.kind) {
    case SV_V_INTEGER:
        assert_true(got.integer == want.integer);
        break;
    case SV_V_CHOICE:
        assert_int_equal(got.choice, want.choice);
        break;
    case SV_V_CHOICES:
        assert_true(got.choices == want.choices);
        break;
    case SV_V_TEXT:
        assert_null(got.text);
        assert_int_equal(got.text_len, 0);
        break;
    case SV_V_NONE:
        break;
    }
}

static void test_size(void **state)
{
    const sv_questionnaire *q = *state;
    size_t n = sv_questionnaire_count(q);
    size_t want = 4 + 2 * ((n + 7) / 8);

    for (size_t i = 0; i < n; i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        if (qu->type == SV_Q_INTEGER)
            want += 8;
        else if (qu->type == SV_Q_SELECT_ONE)
            want += 1;
        else if (qu->type == SV_Q_SELECT_MULTIPLE)
            want += (qu->n_options + 7) / 8;
    }
    assert_int_equal(sv_compact_size(q), want);
    /* 49 questions: 1 integer, 13 select_one, 17 select_multiple (one of
     * 9 options, so 2 bytes), 18 text. */
    assert_int_equal(sv_compact_size(q), 4 + 2 * 7 + 8 + 13 + 17 + 1);
}

/* Every question answered, relevance alternating. */
static void test_round_trip_all_types(void **state)
{
    const sv_questionnaire *q = *state;
    size_t n = sv_questionnaire_count(q);
    size_t size = sv_compact_size(q);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = malloc(size);
    unsigned seen[5] = {0};

    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    for (size_t i = 0; i < n; i++) {
        values[i] = sample(sv_questionnaire_question(q, i), i);
        relevant[i] = i % 3 != 1;
        seen[values[i].kind]++;
    }
    assert_true(seen[SV_V_INTEGER] > 0 && seen[SV_V_CHOICE] > 0 &&
                seen[SV_V_CHOICES] > 0 && seen[SV_V_TEXT] > 0);
    memset(rec, 0xa5, size); /* encode must overwrite everything */
    sv_compact_encode(q, values, relevant, rec);
    assert_true(sv_compact_valid(q, rec, size));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(sv_compact_relevant(q, rec, i), relevant[i]);
        assert_true(sv_compact_answered(q, rec, i));
        assert_same_value(sv_compact_value(q, rec, i), values[i]);
    }
    free(values);
    free(relevant);
    free(rec);
}

/* Nothing answered, everything relevant; then every other question. */
static void test_round_trip_unanswered(void **state)
{
    const sv_questionnaire *q = *state;
    size_t n = sv_questionnaire_count(q);
    size_t size = sv_compact_size(q);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = malloc(size);

    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    for (size_t i = 0; i < n; i++)
        relevant[i] = true;
    sv_compact_encode(q, values, relevant, rec);
    assert_true(sv_compact_valid(q, rec, size));
    for (size_t i = 0; i < n; i++) {
        assert_true(sv_compact_relevant(q, rec, i));
        assert_false(sv_compact_answered(q, rec, i));
        assert_int_equal(sv_compact_value(q, rec, i).kind, SV_V_NONE);
    }
    for (size_t i = 0; i < n; i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        values[i] = i % 2 ? sample(qu, i) : (sv_value){.kind = SV_V_NONE};
        relevant[i] = false;
    }
    sv_compact_encode(q, values, relevant, rec);
    for (size_t i = 0; i < n; i++) {
        assert_false(sv_compact_relevant(q, rec, i));
        assert_int_equal(sv_compact_answered(q, rec, i), i % 2 == 1);
        assert_same_value(sv_compact_value(q, rec, i), values[i]);
    }
    free(values);
    free(relevant);
    free(rec);
}

/* Small values, zero, a negative integer, each single option, no option
 * of a multiple choice (answered, empty set). */
static void test_round_trip_values(void **state)
{
    const sv_questionnaire *q = *state;
    size_t n = sv_questionnaire_count(q);
    size_t size = sv_compact_size(q);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = malloc(size);
    const int64_t ints[] = {0, 1, -1, 2203, 109419, -300000};
    int holders = sv_questionnaire_find(q, "holders");
    int channel = sv_questionnaire_find(q, "consult_channel");
    int challenges = sv_questionnaire_find(q, "ff_challenges");
    int window = sv_questionnaire_find(q, "consult_window");

    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    assert_true(holders >= 0 && channel >= 0 && challenges >= 0 && window >= 0);
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        values[holders] = (sv_value){.kind = SV_V_INTEGER, .integer = ints[k]};
        values[window] = (sv_value){.kind = SV_V_CHOICE, .choice = k % 4};
        values[channel] =
            (sv_value){.kind = SV_V_CHOICES, .choices = UINT64_C(1) << k};
        values[challenges] = (sv_value){.kind = SV_V_CHOICES,
                                        .choices = k == 0 ? 0 : 0x1ffu >> k};
        sv_compact_encode(q, values, relevant, rec);
        for (size_t i = 0; i < n; i++)
            assert_same_value(sv_compact_value(q, rec, i), values[i]);
    }
    free(values);
    free(relevant);
    free(rec);
}

/* A value that does not fit its question (wrong kind, option out of
 * range) is stored as unanswered; options beyond the list are dropped. */
static void test_encode_misfits(void **state)
{
    const sv_questionnaire *q = *state;
    size_t n = sv_questionnaire_count(q);
    size_t size = sv_compact_size(q);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = malloc(size);
    int holders = sv_questionnaire_find(q, "holders");
    int consult = sv_questionnaire_find(q, "consult");
    int channel = sv_questionnaire_find(q, "consult_channel");

    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    values[holders] = (sv_value){.kind = SV_V_TEXT, .text = "12"};
    values[consult] = (sv_value){.kind = SV_V_CHOICE, .choice = 2};
    values[channel] = (sv_value){.kind = SV_V_CHOICES, .choices = 0xffffu};
    sv_compact_encode(q, values, relevant, rec);
    assert_false(sv_compact_answered(q, rec, (size_t)holders));
    assert_false(sv_compact_answered(q, rec, (size_t)consult));
    assert_true(sv_compact_value(q, rec, (size_t)channel).choices == 0x7fu);
    free(values);
    free(relevant);
    free(rec);
}

static void test_valid_rejects(void **state)
{
    const sv_questionnaire *q = *state;
    size_t n = sv_questionnaire_count(q);
    size_t size = sv_compact_size(q);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = calloc(size + 1, 1);
    uint32_t fp = sv_compact_fingerprint(q);

    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    sv_compact_encode(q, values, relevant, rec);
    /* the fingerprint comes first, little-endian */
    assert_int_equal(rec[0], fp & 0xff);
    assert_int_equal(rec[3], fp >> 24);
    assert_true(sv_compact_valid(q, rec, size));
    assert_false(sv_compact_valid(q, rec, size - 1));
    assert_false(sv_compact_valid(q, rec, size + 1));
    assert_false(sv_compact_valid(q, rec, 0));
    assert_false(sv_compact_valid(q, NULL, size));
    for (size_t b = 0; b < 4; b++) {
        rec[b] ^= 0x01;
        assert_false(sv_compact_valid(q, rec, size));
        rec[b] ^= 0x01;
    }
    assert_true(sv_compact_valid(q, rec, size));
    free(values);
    free(relevant);
    free(rec);
}

/* ---- fingerprint ------------------------------------------------------ */

/* Copies the fixture set into a scratch dir, replacing `from` by `to` in
 * the sheet `sheet` (first occurrence; NULL sheet: plain copy). */
static void scratch_copy(char *dir, size_t size, const char *sheet,
                         const char *from, const char *to)
{
    static const char *const sheets[] = {"settings.csv", "survey.csv",
                                         "choices.csv", "roster.csv"};

    snprintf(dir, size, "/tmp/sv-test-compact-XXXXXX");
    assert_non_null(mkdtemp(dir));
    for (size_t k = 0; k < 4; k++) {
        char path[512];
        char text[16384];
        snprintf(path, sizeof path, "%s/%s", FIXTURE, sheets[k]);
        FILE *in = fopen(path, "rb");
        if (in == NULL)
            fail_msg("open %s: %s", path, strerror(errno));
        size_t len = fread(text, 1, sizeof text - 1, in);
        assert_int_equal(fclose(in), 0);
        assert_true(len < sizeof text - 1);
        text[len] = '\0';
        snprintf(path, sizeof path, "%s/%s", dir, sheets[k]);
        FILE *out = fopen(path, "wb");
        assert_non_null(out);
        char *at = sheet != NULL && strcmp(sheet, sheets[k]) == 0
                       ? strstr(text, from)
                       : NULL;
        if (sheet != NULL && strcmp(sheet, sheets[k]) == 0)
            assert_non_null(at);
        if (at == NULL) {
            assert_int_equal(fwrite(text, 1, len, out), len);
        } else {
            size_t head = (size_t)(at - text);
            size_t tail = len - head - strlen(from);
            assert_int_equal(fwrite(text, 1, head, out), head);
            assert_int_equal(fwrite(to, 1, strlen(to), out), strlen(to));
            assert_int_equal(fwrite(at + strlen(from), 1, tail, out), tail);
        }
        assert_int_equal(fclose(out), 0);
    }
}

static void scratch_remove(const char *dir)
{
    static const char *const sheets[] = {"settings.csv", "survey.csv",
                                         "choices.csv", "roster.csv"};
    char path[512];

    for (size_t k = 0; k < 4; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, sheets[k]);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(rmdir(dir), 0);
}

/* Loads the fixture set with one edit; returns the fingerprint and the
 * record size through *size. */
static uint32_t fingerprint_of(const char *sheet, const char *from,
                               const char *to, size_t *size)
{
    char dir[64];
    sv_questionnaire *q = NULL;
    sv_error err = {{0}};

    scratch_copy(dir, sizeof dir, sheet, from, to);
    if (sv_questionnaire_load(&q, dir, &err) != SV_OK)
        fail_msg("load %s (%s -> %s): %s", dir, from, to, err.msg);
    uint32_t fp = sv_compact_fingerprint(q);
    *size = sv_compact_size(q);
    sv_questionnaire_destroy(&q);
    scratch_remove(dir);
    return fp;
}

static void test_fingerprint(void **state)
{
    const sv_questionnaire *r6 = *state;
    sv_questionnaire *fx = NULL;
    sv_error err = {{0}};
    size_t size;
    size_t base_size;

    assert_int_equal(sv_questionnaire_load(&fx, FIXTURE, &err), SV_OK);
    uint32_t base = sv_compact_fingerprint(fx);
    base_size = sv_compact_size(fx);
    assert_true(base != sv_compact_fingerprint(r6));
    /* deterministic: a plain copy, or loading again, gives the same */
    assert_true(fingerprint_of(NULL, NULL, NULL, &size) == base);
    assert_int_equal(size, base_size);
    /* labels are not part of the layout */
    assert_true(
        fingerprint_of("survey.csv", "Which red", "Which blue", &size) == base);
    /* a question renamed */
    assert_true(fingerprint_of("survey.csv", "pet_names,", "pet_namez,",
                               &size) != base);
    assert_int_equal(size, base_size);
    /* a question's type changed (text -> integer) */
    assert_true(fingerprint_of("survey.csv", "note,text", "note,integer",
                               &size) != base);
    assert_int_equal(size, base_size + 8);
    /* an option added to a list: same size, other layout */
    assert_true(fingerprint_of("choices.csv", "colour,none,None",
                               "colour,none,None\ncolour,pink,Pink",
                               &size) != base);
    assert_int_equal(size, base_size);
    /* the form id and the version */
    assert_true(fingerprint_of("settings.csv", "fixture-form", "fixture-form2",
                               &size) != base);
    assert_true(fingerprint_of("settings.csv", "fixture-form,3",
                               "fixture-form,4", &size) != base);
    sv_questionnaire_destroy(&fx);
}

/* A record of one questionnaire is refused by another. */
static void test_other_layout_refused(void **state)
{
    const sv_questionnaire *r6 = *state;
    sv_questionnaire *fx = NULL;
    sv_error err = {{0}};

    assert_int_equal(sv_questionnaire_load(&fx, FIXTURE, &err), SV_OK);
    size_t n = sv_questionnaire_count(fx);
    size_t size = sv_compact_size(fx);
    sv_value *values = calloc(n, sizeof *values);
    bool *relevant = calloc(n, sizeof *relevant);
    uint8_t *rec = malloc(size);
    assert_non_null(values);
    assert_non_null(relevant);
    assert_non_null(rec);
    sv_compact_encode(fx, values, relevant, rec);
    assert_true(sv_compact_valid(fx, rec, size));
    assert_false(sv_compact_valid(r6, rec, size));
    free(values);
    free(relevant);
    free(rec);
    sv_questionnaire_destroy(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_round_trip_all_types),
        cmocka_unit_test(test_round_trip_unanswered),
        cmocka_unit_test(test_round_trip_values),
        cmocka_unit_test(test_encode_misfits),
        cmocka_unit_test(test_valid_rejects),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_other_layout_refused),
    };
    return cmocka_run_group_tests(tests, load_r6, free_r6);
}
