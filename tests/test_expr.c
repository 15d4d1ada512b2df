/* test_expr.c: the questionnaire expression language (questionnaire/expr.h):
 * a table of expressions evaluated against hand-made answers, and a table
 * of malformed expressions that must fail to parse with the offending
 * offset in the message. */
#include "expr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* ---- a small questionnaire made by hand ------------------------------- */

enum { Q_ONE, Q_MANY, Q_NUM, Q_TXT, Q_BLANK, Q_COUNT };

static const sv_option yes_no[] = {
    {"yes", "Yes"}, {"no", "No"}, {"maybe", "Maybe"}};
static const sv_option letters[] = {
    {"a", "A"}, {"b", "B"}, {"c", "C"}, {"none", "None"}};

static const sv_question questions[Q_COUNT] = {
    [Q_ONE] = {.name = "one",
               .type = SV_Q_SELECT_ONE,
               .options = yes_no,
               .n_options = 3,
               .group = -1},
    [Q_MANY] = {.name = "many",
                .type = SV_Q_SELECT_MULTIPLE,
                .options = letters,
                .n_options = 4,
                .group = -1},
    [Q_NUM] = {.name = "num", .type = SV_Q_INTEGER, .group = -1},
    [Q_TXT] = {.name = "txt", .type = SV_Q_TEXT, .group = -1},
    [Q_BLANK] = {.name = "blank",
                 .type = SV_Q_SELECT_ONE,
                 .options = yes_no,
                 .n_options = 3,
                 .group = -1},
};

static int resolve(void *ctx, const char *name, size_t len)
{
    (void)ctx;
    for (int i = 0; i < Q_COUNT; i++) {
        if (strlen(questions[i].name) == len &&
            memcmp(questions[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

/* Answers of one case; `blank` is never answered. */
#define NO_NUM INT64_MIN
struct answers {
    int one;         /* option index, -1 = unanswered */
    uint64_t many;   /* bitmask, 0 = unanswered */
    int64_t num;     /* NO_NUM = unanswered */
    const char *txt; /* NULL = unanswered */
};

/* The usual answers: one = yes, many = {a, c}, num = 5, txt = hello. */
#define STD                                                                    \
    {                                                                          \
        0, 0x5, 5, "hello"                                                     \
    }
#define NONE                                                                   \
    {                                                                          \
        -1, 0, NO_NUM, NULL                                                    \
    }

static void decode(const struct answers *a, sv_value *v)
{
    memset(v, 0, Q_COUNT * sizeof *v);
    if (a->one >= 0) {
        v[Q_ONE].kind = SV_V_CHOICE;
        v[Q_ONE].choice = (uint32_t)a->one;
    }
    if (a->many != 0) {
        v[Q_MANY].kind = SV_V_CHOICES;
        v[Q_MANY].choices = a->many;
    }
    if (a->num != NO_NUM) {
        v[Q_NUM].kind = SV_V_INTEGER;
        v[Q_NUM].integer = a->num;
    }
    if (a->txt != NULL) {
        v[Q_TXT].kind = SV_V_TEXT;
        v[Q_TXT].text = a->txt;
        v[Q_TXT].text_len = strlen(a->txt);
    }
}

static bool eval_src(const char *src, const struct answers *a, int self)
{
    sv_expr *e = NULL;
    sv_error err = {{0}};
    sv_value v[Q_COUNT];

    decode(a, v);
    if (sv_expr_parse(&e, src, true, resolve, NULL, &err) != SV_OK)
        fail_msg("'%s' does not parse: %s", src, err.msg);
    sv_expr_env env = {.questions = questions, .values = v, .self = self};
    bool got = sv_expr_eval(e, &env);
    sv_expr_destroy(&e);
    assert_null(e);
    return got;
}

/* ---- evaluation table ------------------------------------------------- */

struct eval_case {
    const char *src;
    struct answers a;
    bool want;
};

static const struct eval_case eval_cases[] = {
    /* select_one reads as its option name */
    {"${one} = 'yes'", STD, true},
    {"${one} = 'no'", STD, false},
    {"${one} != 'no'", STD, true},
    {"${one} != 'yes'", STD, false},
    {"${one}", STD, true},
    /* unanswered reads as '' */
    {"${one}", NONE, false},
    {"${one} = ''", NONE, true},
    {"${one} != 'yes'", NONE, true},
    {"${blank} = ''", STD, true},
    /* select_multiple: a set, as a string the names in list order */
    {"${many} = 'a c'", STD, true},
    {"${many} = 'c a'", STD, false},
    {"${many} = 'a'", {0, 0x1, 5, NULL}, true},
    {"${many} = 'a'", STD, false},
    {"${many} > 'a b'", STD, true},
    {"${many}", STD, true},
    {"${many}", NONE, false},
    {"${many} = ''", NONE, true},
    /* integers compare numerically */
    {"${num} = 5", STD, true},
    {"${num} != 5", STD, false},
    {"${num} > 4", STD, true},
    {"${num} > 5", STD, false},
    {"${num} >= 5", STD, true},
    {"${num} < 5", STD, false},
    {"${num} < 6", STD, true},
    {"${num} <= 5", STD, true},
    {"${num} <= 4", STD, false},
    {"${num} = -3", {0, 0, -3, NULL}, true},
    {"${num} > -4", {0, 0, -3, NULL}, true},
    {"${num} < -4", {0, 0, -3, NULL}, false},
    {"${num}", {0, 0, 0, NULL}, false},
    {"${num}", STD, true},
    {"10 < 9", STD, false},
    /* number vs string: the string is read as an integer */
    {"${num} = '5'", STD, true},
    {"${num} = '05'", STD, true},
    {"'6' > ${num}", STD, true},
    {"${num} < '-1'", STD, false},
    {"${txt} = 42", {0, 0, 5, "42"}, true},
    {"${txt} > 9", {0, 0, 5, "42"}, true},
    {"'10' > 9", STD, true},
    /* ...and if it is not one, only != is true */
    {"${num} = 'abc'", STD, false},
    {"${num} != 'abc'", STD, true},
    {"${num} < 'abc'", STD, false},
    {"${num} <= 'abc'", STD, false},
    {"${num} > 'abc'", STD, false},
    {"${num} >= 'abc'", STD, false},
    {"${num} = ' 5'", STD, false},
    {"${num} = '5x'", STD, false},
    {"${num} = '-'", STD, false},
    {"${num} = '99999999999999999999'", STD, false},
    {"${many} = 5", STD, false},
    {"${many} != 5", STD, true},
    /* an unanswered integer is '': not a number */
    {"${num} = ''", NONE, true},
    {"${num} > 3", NONE, false},
    {"${num} < 3", NONE, false},
    {"${num} = 0", NONE, false},
    {"${num} != 3", NONE, true},
    /* strings compare bytewise */
    {"${txt} = 'hello'", STD, true},
    {"${txt} = 'Hello'", STD, false},
    {"${txt} > 'hell'", STD, true},
    {"${txt} < 'help'", STD, true},
    {"${txt} >= 'hello'", STD, true},
    {"${txt} <= 'hello'", STD, true},
    {"${txt} < 'hello'", STD, false},
    {"'10' < '9'", STD, true},
    {"${txt} > 'z'", {0, 0, 5, "\xC3\xA9"}, true},
    {"${txt} = '東京'", {0, 0, 5, "東京"}, true},
    {"${txt}", NONE, false},
    {"${txt} = ''", NONE, true},
    /* literals */
    {"\"dq\" = 'dq'", STD, true},
    {"''", STD, false},
    {"'x'", STD, true},
    {"0", STD, false},
    {"7", STD, true},
    {"-1", STD, true},
    {"-1 < 0", STD, true},
    {"'a,b' = 'a,b'", STD, true},
    /* and, or, not */
    {"${one} = 'yes' and ${num} = 5", STD, true},
    {"${one} = 'yes' and ${num} = 6", STD, false},
    {"${one} = 'no' and ${num} = 5", STD, false},
    {"${one} = 'no' or ${num} = 5", STD, true},
    {"${one} = 'yes' or ${num} = 6", STD, true},
    {"${one} = 'no' or ${num} = 6", STD, false},
    {"not(${one} = 'no')", STD, true},
    {"not(${one} = 'yes')", STD, false},
    {"not(${one})", NONE, true},
    {"not(not(${one}))", STD, true},
    {"not (${txt} = 'x')", STD, true},
    /* precedence: or < and < comparison; comparisons chain to the left */
    {"1 = 1 or 1 = 2 and 1 = 2", STD, true},
    {"(1 = 1 or 1 = 2) and 1 = 2", STD, false},
    {"1 = 2 and 1 = 2 or 1 = 1", STD, true},
    {"1 = 2 and (1 = 2 or 1 = 1)", STD, false},
    {"2 = 2 or 0", STD, true},
    {"2 = (2 or 0)", STD, false},
    {"3 > 2 > 1", STD, false},
    {"3 > 2 = 1", STD, true},
    {"((${num})) = ((5))", STD, true},
    /* selected(): membership for a set, equality for a single value */
    {"selected(${many}, 'a')", STD, true},
    {"selected(${many}, 'c')", STD, true},
    {"selected(${many}, 'b')", STD, false},
    {"selected(${many}, 'a c')", STD, false},
    {"selected(${many}, 'a')", NONE, false},
    {"selected(${one}, 'yes')", STD, true},
    {"selected(${one}, 'no')", STD, false},
    {"selected(${one}, 'yes')", NONE, false},
    {"selected(${blank}, '')", STD, false},
    {"selected(${num}, 5)", STD, true},
    {"selected(${num}, '5')", STD, true},
    {"selected(${txt}, 'hello')", STD, true},
    {"selected( ${many} , \"c\" )", STD, true},
    /* count-selected() */
    {"count-selected(${many}) = 2", STD, true},
    {"count-selected(${many}) = 4", {0, 0xF, 5, NULL}, true},
    {"count-selected(${many}) = 0", NONE, true},
    {"count-selected(${many})", NONE, false},
    {"count-selected(${one}) = 1", STD, true},
    {"count-selected(${one}) = 0", NONE, true},
    {"count-selected(${txt}) = 1", STD, true},
    {"count-selected(${many}) > ${num}", {0, 0x7, 2, NULL}, true},
};

static void test_eval_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof eval_cases / sizeof eval_cases[0]; i++) {
        const struct eval_case *c = &eval_cases[i];
        bool got = eval_src(c->src, &c->a, Q_MANY);
        if (got != c->want)
            fail_msg("case %zu: '%s' gave %d, want %d", i, c->src, got,
                     c->want);
    }
}

/* `.` is the answer the constraint belongs to: the ff_challenges rule. */
static void test_self(void **state)
{
    const char *rule = "not(selected(., 'none') and count-selected(.) > 1)";
    struct answers none_alone = {0, 0x8, 5, NULL};
    struct answers none_and_a = {0, 0x9, 5, NULL};
    struct answers a_and_c = {0, 0x5, 5, NULL};

    (void)state;
    assert_true(eval_src(rule, &none_alone, Q_MANY));
    assert_false(eval_src(rule, &none_and_a, Q_MANY));
    assert_true(eval_src(rule, &a_and_c, Q_MANY));
    assert_true(eval_src(". >= 0", &a_and_c, Q_NUM));
    struct answers negative = {0, 0, -1, NULL};
    assert_false(eval_src(". >= 0", &negative, Q_NUM));
}

/* A question known not to be relevant reads as unanswered; one whose
 * relevance is not known yet reads as answered. */
static void test_hidden_reads_unanswered(void **state)
{
    struct answers a = STD;
    sv_value v[Q_COUNT];
    bool relevant[Q_COUNT] = {false, true, true, true, true};
    sv_expr *e = NULL;

    (void)state;
    decode(&a, v);
    assert_int_equal(sv_expr_parse(&e, "${one} = '' and ${num} = 5", false,
                                   resolve, NULL, NULL),
                     SV_OK);
    sv_expr_env env = {.questions = questions,
                       .values = v,
                       .relevant = relevant,
                       .n_known = 3,
                       .self = -1};
    assert_true(sv_expr_eval(e, &env));
    env.n_known = 0;
    assert_false(sv_expr_eval(e, &env));
    env.n_known = 3;
    relevant[Q_ONE] = true;
    assert_false(sv_expr_eval(e, &env));
    relevant[Q_NUM] = false;
    relevant[Q_ONE] = false;
    assert_false(sv_expr_eval(e, &env));
    sv_expr_destroy(&e);
}

/* sv_expr_bind() looks up the options that literals name; evaluation must
 * give what it gives unbound, for every value a question can hold: each
 * option, none, an index out of range, sets with bits past the list, and
 * questions known not to be relevant. */
static const char *const bind_cases[] = {
    "${one} = 'yes'",
    "'no' != ${one}",
    "${one} = 'nope'",
    "${one} != 'nope'",
    "${one} = ''",
    "selected(${many}, 'c')",
    "selected(${many}, 'none')",
    "selected(${many}, 'zzz')",
    "selected(${one}, 'maybe')",
    "selected(${one}, '')",
    "${many} = 'a'",
    "${blank} = 'yes' or selected(${many}, 'a')",
    "not(${one} = 'no') and selected(${many}, 'b')",
};

static void test_bind_same_results(void **state)
{
    static const int ones[] = {-1, 0, 1, 2, 7};
    static const uint64_t manys[] = {0, 0x1, 0x4, 0x8, 0xF, 0x30};
    size_t evaluated = 0;

    (void)state;
    for (size_t c = 0; c < sizeof bind_cases / sizeof bind_cases[0]; c++) {
        sv_expr *plain = NULL;
        sv_expr *bound = NULL;
        assert_int_equal(
            sv_expr_parse(&plain, bind_cases[c], false, resolve, NULL, NULL),
            SV_OK);
        assert_int_equal(
            sv_expr_parse(&bound, bind_cases[c], false, resolve, NULL, NULL),
            SV_OK);
        sv_expr_bind(bound, questions, Q_COUNT);
        for (size_t i = 0; i < sizeof ones / sizeof ones[0]; i++) {
            for (size_t m = 0; m < sizeof manys / sizeof manys[0]; m++) {
                struct answers a = {ones[i], manys[m], 5, NULL};
                sv_value v[Q_COUNT];
                bool relevant[Q_COUNT] = {false, false, true, true, true};
                decode(&a, v);
                if (ones[i] == 7) /* out of the list: reads as '' */
                    v[Q_ONE].kind = SV_V_CHOICE;
                for (size_t known = 0; known <= Q_COUNT; known += Q_COUNT) {
                    sv_expr_env env = {.questions = questions,
                                       .values = v,
                                       .relevant = relevant,
                                       .n_known = known,
                                       .self = -1};
                    bool want = sv_expr_eval(plain, &env);
                    bool got = sv_expr_eval(bound, &env);
                    if (got != want)
                        fail_msg("'%s' with one=%d many=%#llx known=%zu: "
                                 "bound %d, unbound %d",
                                 bind_cases[c], ones[i],
                                 (unsigned long long)manys[m], known, got,
                                 want);
                    evaluated++;
                }
            }
        }
        sv_expr_destroy(&plain);
        sv_expr_destroy(&bound);
    }
    assert_int_equal(evaluated,
                     sizeof bind_cases / sizeof bind_cases[0] * 5 * 6 * 2);
    /* and the bound answers are the right ones, not only the same */
    struct answers std = STD;
    sv_value v[Q_COUNT];
    sv_expr *e = NULL;
    decode(&std, v);
    sv_expr_env env = {.questions = questions, .values = v, .self = -1};
    assert_int_equal(sv_expr_parse(&e,
                                   "${one} = 'yes' and selected(${many}, "
                                   "'c') and not(selected(${many}, 'b'))",
                                   false, resolve, NULL, NULL),
                     SV_OK);
    sv_expr_bind(e, questions, Q_COUNT);
    assert_true(sv_expr_eval(e, &env));
    v[Q_ONE].choice = 1; /* no */
    assert_false(sv_expr_eval(e, &env));
    sv_expr_destroy(&e);
}

static void test_source_and_or(void **state)
{
    sv_expr *e = NULL;

    (void)state;
    assert_int_equal(sv_expr_parse(&e, "  ${one} = 'a' or ${num} = 1 \n", false,
                                   resolve, NULL, NULL),
                     SV_OK);
    assert_string_equal(sv_expr_source(e), "${one} = 'a' or ${num} = 1");
    assert_true(sv_expr_is_or(e));
    sv_expr_destroy(&e);
    assert_int_equal(
        sv_expr_parse(&e, "(1 or 2) and 3", false, resolve, NULL, NULL), SV_OK);
    assert_false(sv_expr_is_or(e));
    sv_expr_destroy(&e);
    sv_expr_destroy(&e); /* NULL-safe */
    sv_expr_destroy(NULL);
}

/* ---- malformed expressions -------------------------------------------- */

struct bad_case {
    const char *src;
    bool allow_self;
    const char *want; /* the whole message */
};

static const struct bad_case bad_cases[] = {
    {"${foo} = 'x'", true, "unknown question ${foo} at offset 0"},
    {"  ${foo}", true, "unknown question ${foo} at offset 2"},
    {"${one} = ${many2}", true, "unknown question ${many2} at offset 9"},
    {"${one} = 'yes", true, "unterminated string at offset 9"},
    {"${one} = \"yes'", true, "unterminated string at offset 9"},
    {"${one", true, "unterminated reference at offset 0"},
    {"$one", true, "expected '{' after '$' at offset 0"},
    {"${1x}", true, "bad question reference at offset 0"},
    {"${}", true, "bad question reference at offset 0"},
    {"${a b}", true, "bad question reference at offset 0"},
    {"foo(${one})", true, "unknown function foo() at offset 0"},
    {"1 = regex (${txt}, 'x')", true, "unknown function regex() at offset 4"},
    {"${one} = yes", true, "unexpected 'yes' at offset 9"},
    {"${one} = 'yes' 'no'", true, "unexpected ''no'' at offset 15"},
    {"'it''s'", true, "unexpected ''s'' at offset 4"},
    {"${one} = 'yes')", true, "unexpected ')' at offset 14"},
    {"(${one} = 'yes'", true, "expected ')' at offset 15"},
    {"${one} =", true, "unexpected end of expression at offset 8"},
    {"${one} == 'yes'", true, "unexpected '=' at offset 8"},
    {"and", true, "unexpected 'and' at offset 0"},
    {"${one} = 'yes' and", true, "unexpected end of expression at offset 18"},
    {"${one} = 'x' and bar", true, "unexpected 'bar' at offset 17"},
    {"${one} = 'x' or or", true, "unexpected 'or' at offset 16"},
    {". = 'x'", false, "'.' is only allowed in constraint at offset 0"},
    {"selected(., 'x')", false,
     "'.' is only allowed in constraint at offset 9"},
    {"selected('a', 'b')", true, "expected ${question} or . at offset 9"},
    {"count-selected(1)", true, "expected ${question} or . at offset 15"},
    {"selected(${many} 'a')", true, "expected ',' at offset 17"},
    {"selected(${many}, )", true, "unexpected ')' at offset 18"},
    {"count-selected(${many}, 1)", true, "expected ')' at offset 22"},
    {"not ${one}", true, "expected '(' at offset 4"},
    {"not()", true, "unexpected ')' at offset 4"},
    {"${one} ! 'x'", true, "expected '=' after '!' at offset 7"},
    {"${one} = 'x' # y", true, "unexpected '#' at offset 13"},
    {"${one} = ー", true, "unexpected 'ー' at offset 9"},
    {"${num} - 1", true, "unexpected '-' at offset 7"},
    {"${num} = 99999999999999999999", true, "integer out of range at offset 9"},
    {"", true, "empty expression at offset 0"},
    {"()", true, "unexpected ')' at offset 1"},
};

static void test_bad_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        sv_expr *e = (sv_expr *)&e; /* must be reset to NULL */
        sv_error err = {{0}};
        sv_status st =
            sv_expr_parse(&e, c->src, c->allow_self, resolve, NULL, &err);
        if (st != SV_ERR_PARSE)
            fail_msg("case %zu: '%s' gave status %d", i, c->src, (int)st);
        assert_null(e);
        if (strcmp(err.msg, c->want) != 0)
            fail_msg("case %zu: '%s' gave \"%s\", want \"%s\"", i, c->src,
                     err.msg, c->want);
    }
}

/* "((...(1)...))" nested depth times. */
static void nested(char *src, int depth)
{
    size_t n = 0;

    for (int i = 0; i < depth; i++)
        src[n++] = '(';
    src[n++] = '1';
    for (int i = 0; i < depth; i++)
        src[n++] = ')';
    src[n] = '\0';
}

/* Nesting is bounded so that parsing cannot exhaust the stack. */
static void test_too_deep(void **state)
{
    char src[512];
    sv_expr *e = NULL;
    sv_error err = {{0}};

    (void)state;
    nested(src, 100);
    assert_int_equal(sv_expr_parse(&e, src, false, resolve, NULL, &err),
                     SV_ERR_PARSE);
    assert_string_equal(err.msg, "expression nested too deeply at offset 64");
    nested(src, 30);
    assert_int_equal(sv_expr_parse(&e, src, false, resolve, NULL, &err), SV_OK);
    sv_expr_destroy(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eval_table),
        cmocka_unit_test(test_self),
        cmocka_unit_test(test_hidden_reads_unanswered),
        cmocka_unit_test(test_bind_same_results),
        cmocka_unit_test(test_source_and_or),
        cmocka_unit_test(test_bad_table),
        cmocka_unit_test(test_too_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
