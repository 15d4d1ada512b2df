/* test_submission_pack.c: storage/submission_pack.c gives protobuf-c's
 * bytes exactly (receipts keep a digest over them), and declines what it
 * does not handle. */
#include "submission_pack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_ANSWERS 40
#define MAX_OPTIONS 6

/* A submission and the storage its pointers use. */
struct built {
    Survey__V1__Submission sub;
    Survey__V1__Answer answer[MAX_ANSWERS];
    Survey__V1__Answer *answers[MAX_ANSWERS];
    Survey__V1__Choices choices[MAX_ANSWERS];
    char *options[MAX_ANSWERS][MAX_OPTIONS];
};

static void init(struct built *b)
{
    Survey__V1__Submission sub = SURVEY__V1__SUBMISSION__INIT;

    memset(b, 0, sizeof *b);
    b->sub = sub;
    b->sub.survey = "shoman-jiritsu-r6";
    b->sub.respondent = "011002";
    b->sub.submission_id = "3f1c2a9e-0000-4000-8000-000000000001";
    b->sub.answers = b->answers;
}

static Survey__V1__Answer *add(struct built *b, const char *question)
{
    Survey__V1__Answer a = SURVEY__V1__ANSWER__INIT;
    size_t i = b->sub.n_answers++;

    assert_true(i < MAX_ANSWERS);
    b->answer[i] = a;
    b->answer[i].question = (char *)question;
    b->answers[i] = &b->answer[i];
    return &b->answer[i];
}

static void add_choices(struct built *b, const char *question, size_t n,
                        const char *const *opts)
{
    Survey__V1__Choices c = SURVEY__V1__CHOICES__INIT;
    Survey__V1__Answer *a = add(b, question);
    size_t i = b->sub.n_answers - 1;

    assert_true(n <= MAX_OPTIONS);
    b->choices[i] = c;
    for (size_t k = 0; k < n; k++)
        b->options[i][k] = (char *)opts[k];
    b->choices[i].n_options = n;
    b->choices[i].options = b->options[i];
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    a->choices = &b->choices[i];
}

/* Our bytes are protobuf-c's, and the size is the packed size. */
static void assert_same(const Survey__V1__Submission *sub)
{
    size_t want = survey__v1__submission__get_packed_size(sub);
    size_t got = 0;
    uint8_t *theirs = malloc(want + 1);
    uint8_t *ours = malloc(want + 1);

    assert_non_null(theirs);
    assert_non_null(ours);
    assert_true(sv_submission_packed_size(sub, &got));
    assert_int_equal(got, want);
    assert_int_equal(survey__v1__submission__pack(sub, theirs), want);
    assert_int_equal(sv_submission_pack(sub, ours), want);
    assert_memory_equal(ours, theirs, want);
    free(theirs);
    free(ours);
}

static void test_every_kind_of_value(void **state)
{
    (void)state;
    struct built b;
    const char *const two[] = {"1", "3"};
    const char *const odd[] = {"", "x", ""};
    Survey__V1__Answer *a;

    init(&b);
    a = add(&b, "impl_shien");
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = "yes";
    add_choices(&b, "channel", 2, two);
    add_choices(&b, "peer", 0, NULL);
    add_choices(&b, "odd", 3, odd);
    int64_t ints[] = {0, 1, -1, 63, -64, 64, INT64_MAX, INT64_MIN, 300};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        a = add(&b, "holders");
        a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
        a->integer = ints[i];
    }
    a = add(&b, "note_text");
    a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    a->text = "相談窓口を設置";
    add(&b, "unset"); /* no value */
    add(&b, "");      /* an empty question name is left out */
    assert_same(&b.sub);
    /* with a base revision, small and large, and a note */
    b.sub.base_revision = 1;
    assert_same(&b.sub);
    b.sub.base_revision = UINT64_C(1) << 40;
    b.sub.note = "訂正: 受給者数";
    assert_same(&b.sub);
    /* empty plain strings are left out */
    b.sub.survey = "";
    b.sub.submission_id = "";
    assert_same(&b.sub);
}

/* Lengths that take 1, 2 and 3 bytes, in a text and in the answer around
 * it. */
static void test_long_strings(void **state)
{
    (void)state;
    size_t lens[] = {1, 126, 127, 128, 16380, 16383, 16384, 70000};

    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        struct built b;
        char *text = malloc(lens[i] + 1);
        assert_non_null(text);
        memset(text, 'a' + (int)(i % 26), lens[i]);
        text[lens[i]] = '\0';
        init(&b);
        Survey__V1__Answer *a = add(&b, "free_text");
        a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
        a->text = text;
        b.sub.note = text;
        assert_same(&b.sub);
        free(text);
    }
}

/* Many shapes from a fixed seed. */
static void test_generated(void **state)
{
    (void)state;
    static const char *const words[] = {
        "1", "2", "yes", "no", "外部委託", "", "a longer option name"};
    uint64_t rng = 2024;

    for (int round = 0; round < 3000; round++) {
        struct built b;
        init(&b);
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        b.sub.base_revision = (rng >> 20) % 3 == 0 ? rng >> 30 : 0;
        size_t n = (size_t)(rng >> 40) % MAX_ANSWERS;
        for (size_t i = 0; i < n; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            uint64_t r = rng >> 24;
            const char *word = words[1 + (r >> 8) % 4]; /* never empty */
            Survey__V1__Answer *a;
            switch (r % 4) {
            case 0:
                a = add(&b, "q_choice");
                a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
                a->choice = (char *)word;
                break;
            case 1: {
                const char *opts[MAX_OPTIONS];
                size_t k = (r >> 12) % MAX_OPTIONS;
                for (size_t j = 0; j < k; j++)
                    opts[j] = words[(r >> (16 + j)) % 7];
                add_choices(&b, "q_choices", k, opts);
                break;
            }
            case 2:
                a = add(&b, "q_integer");
                a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
                a->integer = (int64_t)(rng ^ (rng << 7)) >> (r % 64);
                break;
            default:
                a = add(&b, "q_text");
                a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
                a->text = (char *)word;
                break;
            }
        }
        assert_same(&b.sub);
    }
}

/* What a decoded request looks like: the bytes protobuf-c made, unpacked
 * by protobuf-c, packed by us. */
static void test_decoded(void **state)
{
    (void)state;
    struct built b;
    const char *const two[] = {"2", "4"};

    init(&b);
    Survey__V1__Answer *a = add(&b, "impl_shien");
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = "yes";
    add_choices(&b, "channel", 2, two);
    a = add(&b, "holders");
    a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    a->integer = 0;
    size_t len = survey__v1__submission__get_packed_size(&b.sub);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    survey__v1__submission__pack(&b.sub, buf);
    Survey__V1__Submission *sub =
        survey__v1__submission__unpack(NULL, len, buf);
    assert_non_null(sub);
    assert_same(sub);
    uint8_t *ours = malloc(len);
    assert_non_null(ours);
    assert_int_equal(sv_submission_pack(sub, ours), len);
    assert_memory_equal(ours, buf, len);
    survey__v1__submission__free_unpacked(sub, NULL);
    free(ours);
    free(buf);
}

/* Declined: protobuf-c then packs (these stay exact that way). */
static void test_declined(void **state)
{
    (void)state;
    struct built b;
    size_t size;

    /* an empty oneof string */
    init(&b);
    Survey__V1__Answer *a = add(&b, "impl_shien");
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = "";
    assert_false(sv_submission_packed_size(&b.sub, &size));
    a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    a->text = "";
    assert_false(sv_submission_packed_size(&b.sub, &size));
    /* a missing member or answer */
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    a->choices = NULL;
    assert_false(sv_submission_packed_size(&b.sub, &size));
    b.answers[0] = NULL;
    assert_false(sv_submission_packed_size(&b.sub, &size));
    assert_false(sv_submission_packed_size(NULL, &size));

    /* a field this build does not know (17, a varint), as decoded */
    init(&b);
    a = add(&b, "holders");
    a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    a->integer = 5;
    size_t len = survey__v1__submission__get_packed_size(&b.sub);
    uint8_t *buf = malloc(len + 3);
    assert_non_null(buf);
    survey__v1__submission__pack(&b.sub, buf);
    buf[len] = 17 << 3 | 0; /* two-byte tag */
    buf[len + 1] = 0x01;
    buf[len + 2] = 0x07;
    Survey__V1__Submission *sub =
        survey__v1__submission__unpack(NULL, len + 3, buf);
    assert_non_null(sub);
    assert_int_equal(sub->base.n_unknown_fields, 1);
    assert_false(sv_submission_packed_size(sub, &size));
    survey__v1__submission__free_unpacked(sub, NULL);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_of_value),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_decoded),
        cmocka_unit_test(test_declined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
