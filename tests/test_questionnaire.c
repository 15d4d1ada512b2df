/* test_questionnaire.c: the questionnaire model (questionnaire.h).
 * Loads the real 2024 sheets (data/r6) and the fixture set
 * (tests/fixtures/questionnaire/valid), checks every loading error with
 * malformed sheets (tests/fixtures/questionnaire/bad, each copied over one
 * sheet of the valid set in a scratch directory), and every validation
 * rule. */
#include "questionnaire.h"
#include "questionnaire_private.h" /* sv_questionnaire_relevant_at */

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
#define FIXTURES SV_SOURCE_DIR "/tests/fixtures/questionnaire"

typedef Survey__V1__Problem__Rule rule_t;

/* Loaded once for the whole group. */
struct loaded {
    sv_questionnaire *r6;
    sv_questionnaire *fx; /* the valid fixture set */
};

static int load_all(void **state)
{
    struct loaded *l = calloc(1, sizeof *l);
    sv_error err = {{0}};

    if (l == NULL)
        return -1;
    *state = l;
    if (sv_questionnaire_load(&l->r6, R6_DIR, &err) != SV_OK) {
        fprintf(stderr, "load %s: %s\n", R6_DIR, err.msg);
        return -1;
    }
    if (sv_questionnaire_load(&l->fx, FIXTURES "/valid", &err) != SV_OK) {
        fprintf(stderr, "load fixture: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int free_all(void **state)
{
    struct loaded *l = *state;

    sv_questionnaire_destroy(&l->r6);
    sv_questionnaire_destroy(&l->fx);
    free(l);
    return 0;
}

static const sv_question *question(const sv_questionnaire *q, const char *name)
{
    int i = sv_questionnaire_find(q, name);
    if (i < 0)
        fail_msg("no question %s", name);
    return sv_questionnaire_question(q, (size_t)i);
}

static const char *relevant_text(const sv_questionnaire *q, const char *name)
{
    int i = sv_questionnaire_find(q, name);
    assert_true(i >= 0);
    return sv_questionnaire_relevant_text(q, (size_t)i);
}

/* ---- loading data/r6 -------------------------------------------------- */

static void test_r6_settings_and_counts(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;

    assert_string_equal(sv_questionnaire_id(q), "shoman-jiritsu-r6");
    assert_string_equal(sv_questionnaire_version(q), "1");
    assert_non_null(strstr(sv_questionnaire_title(q),
                           "小児慢性特定疾病児童等自立支援事業"));
    assert_int_equal(sv_questionnaire_count(q), 49);
    assert_int_equal(sv_questionnaire_group_count(q), 10);
    assert_null(sv_questionnaire_question(q, 49));
    assert_null(sv_questionnaire_group(q, 10));
    assert_string_equal(sv_questionnaire_question(q, 0)->name, "holders");
    assert_string_equal(sv_questionnaire_question(q, 48)->name,
                        "other_support_funding");
    assert_int_equal(sv_questionnaire_find(q, "nosuch"), -1);
    assert_int_equal(sv_questionnaire_find(q, "profile"), -1); /* group */
    assert_int_equal(sv_questionnaire_find(q, NULL), -1);
}

static void test_r6_roster(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *types[] = {"都道府県", "指定都市", "中核市",
                           "児童相談所設置市"};
    size_t want[] = {47, 20, 62, 8};
    size_t got[4] = {0};

    assert_int_equal(sv_questionnaire_roster_count(q), 137);
    for (size_t i = 0; i < 137; i++) {
        const sv_respondent *r = sv_questionnaire_respondent(q, i);
        size_t t;
        for (t = 0; t < 4; t++) {
            if (strcmp(r->type, types[t]) == 0)
                break;
        }
        if (t == 4)
            fail_msg("respondent %s has type %s", r->code, r->type);
        got[t]++;
        assert_int_equal(sv_questionnaire_find_respondent(q, r->code), (int)i);
    }
    for (size_t t = 0; t < 4; t++)
        assert_int_equal(got[t], want[t]);
    const sv_respondent *first = sv_questionnaire_respondent(q, 0);
    assert_string_equal(first->code, "010006");
    assert_string_equal(first->name, "北海道");
    assert_string_equal(first->prefecture, "北海道");
    assert_null(sv_questionnaire_respondent(q, 137));
    assert_int_equal(sv_questionnaire_find_respondent(q, "999999"), -1);
    assert_int_equal(sv_questionnaire_find_respondent(q, "01000"), -1);
    /* a listed code with a byte more, or a letter in it */
    assert_int_equal(sv_questionnaire_find_respondent(q, "0110020"), -1);
    assert_int_equal(sv_questionnaire_find_respondent(q, "01100a"), -1);
    assert_int_equal(sv_questionnaire_find_respondent(q, ""), -1);
    assert_int_equal(sv_questionnaire_find_respondent(q, NULL), -1);

    /* a walk in code order finds every respondent, and so does a jump */
    const char *prev = "";
    size_t pos = 0;
    size_t seen = 0;
    for (size_t k = 0; k < 137; k++) {
        const char *next = NULL;
        for (size_t i = 0; i < 137; i++) {
            const char *c = sv_questionnaire_respondent(q, i)->code;
            if (strcmp(c, prev) > 0 && (next == NULL || strcmp(c, next) < 0))
                next = c;
        }
        assert_non_null(next);
        int idx = sv_questionnaire_walk_respondent(q, next, &pos);
        assert_true(idx >= 0);
        assert_string_equal(sv_questionnaire_respondent(q, (size_t)idx)->code,
                            next);
        prev = next;
        seen++;
    }
    assert_int_equal(seen, 137);
    pos = 0;
    assert_int_equal(sv_questionnaire_walk_respondent(q, "999999", &pos), -1);
    assert_int_equal(pos, 137);
    assert_int_equal(sv_questionnaire_walk_respondent(q, "011002", &pos),
                     sv_questionnaire_find_respondent(q, "011002"));
    assert_int_equal(sv_questionnaire_walk_respondent(q, "01000", &pos), -1);
    assert_int_equal(sv_questionnaire_walk_respondent(q, NULL, &pos), -1);
}

static void test_r6_questions(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;

    const sv_question *h = question(q, "holders");
    assert_int_equal(h->type, SV_Q_INTEGER);
    assert_int_equal(h->report, SV_REPORT_MATRIX | SV_REPORT_SUM);
    assert_true(h->required);
    assert_string_equal(h->constraint, ". >= 0");
    assert_null(h->relevant);
    assert_null(h->list_name);
    assert_int_equal(h->n_options, 0);
    assert_string_equal(sv_questionnaire_group(q, (size_t)h->group)->name,
                        "profile");

    const sv_question *c = question(q, "consult");
    assert_int_equal(c->type, SV_Q_SELECT_ONE);
    assert_string_equal(c->list_name, "impl");
    assert_int_equal(c->n_options, 2);
    assert_string_equal(c->options[0].name, "yes");
    assert_string_equal(c->options[1].label, "実施していない");
    assert_int_equal(c->report, SV_REPORT_RATE | SV_REPORT_MATRIX);
    assert_int_equal(sv_question_option(c, "no"), 1);
    assert_int_equal(sv_question_option(c, "maybe"), -1);

    const sv_question *ch = question(q, "consult_channel");
    assert_int_equal(ch->type, SV_Q_SELECT_MULTIPLE);
    assert_int_equal(ch->n_options, 7);
    assert_int_equal(ch->report, SV_REPORT_FREQ);

    const sv_question *t = question(q, "care_support_contractor");
    assert_int_equal(t->type, SV_Q_TEXT);
    assert_false(t->required);
    assert_int_equal(t->report, SV_REPORT_LIST);

    const sv_question *f = question(q, "ff_challenges");
    assert_string_equal(f->constraint,
                        "not(selected(., 'none') and count-selected(.) > 1)");
}

static void test_r6_relevance_text(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;

    assert_string_equal(relevant_text(q, "supporter_outsourced"),
                        "${supporter} = 'yes'");
    assert_string_equal(question(q, "supporter_outsourced")->relevant,
                        "${supporter} = 'yes'");
    /* ff_model_form inherits its group's relevance */
    const sv_question *m = question(q, "ff_model_form");
    assert_string_equal(m->relevant, "selected(${ff_method}, 'questionnaire')");
    const sv_group *g = sv_questionnaire_group(q, (size_t)m->group);
    assert_string_equal(g->name, "fact_finding_detail");
    assert_int_equal(g->parent, -1);
    assert_string_equal(relevant_text(q, "ff_model_form"),
                        "${fact_finding} = 'yes' and "
                        "selected(${ff_method}, 'questionnaire')");
    assert_string_equal(relevant_text(q, "ff_frequency"),
                        "${fact_finding} = 'yes'");
    assert_null(question(q, "ff_frequency")->relevant);
    assert_string_equal(relevant_text(q, "supporter_contractor"),
                        "${supporter} = 'yes' and "
                        "${supporter_outsourced} = 'yes'");
    assert_string_equal(relevant_text(q, "holders"), "");
    assert_null(sv_questionnaire_relevant_text(q, 49));
}

/* ---- loading the fixture set ------------------------------------------ */

static void test_fixture_valid(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->fx;

    assert_string_equal(sv_questionnaire_id(q), "fixture-form");
    assert_string_equal(sv_questionnaire_version(q), "3");
    assert_string_equal(sv_questionnaire_title(q), "Fixture form, small");
    assert_int_equal(sv_questionnaire_count(q), 10);
    assert_int_equal(sv_questionnaire_group_count(q), 2);
    assert_string_equal(sv_questionnaire_group(q, 0)->name, "outer");
    assert_int_equal(sv_questionnaire_group(q, 0)->parent, -1);
    assert_string_equal(sv_questionnaire_group(q, 1)->name, "inner");
    assert_int_equal(sv_questionnaire_group(q, 1)->parent, 0);

    const sv_question *age = question(q, "age");
    assert_int_equal(age->report, SV_REPORT_SUM);
    assert_true(age->required);
    assert_string_equal(age->constraint, ". >= 0 and . <= 150");
    assert_int_equal(age->group, -1);

    const sv_question *pets = question(q, "pets");
    assert_string_equal(pets->label, "Has pets?\n(a label on two lines)");
    assert_true(pets->required);                     /* YES */
    assert_true(question(q, "pet_count")->required); /* True */
    assert_false(question(q, "chain_b")->required);  /* false */
    assert_false(question(q, "note")->required);     /* empty */

    assert_int_equal(question(q, "colours")->group, 0);
    assert_int_equal(question(q, "shade")->group, 1);
    assert_int_equal(question(q, "note")->group, 0);
    assert_int_equal(question(q, "chain_a")->group, -1);
    assert_int_equal(sv_question_option(question(q, "colours"), "none"), 3);

    /* one part: as written; several: an `or` part is parenthesised */
    assert_string_equal(relevant_text(q, "colours"),
                        "${pets} = 'yes' or ${age} > 60");
    assert_string_equal(relevant_text(q, "shade"),
                        "(${pets} = 'yes' or ${age} > 60) and "
                        "selected(${colours}, 'red')");
    assert_string_equal(relevant_text(q, "note"),
                        "(${pets} = 'yes' or ${age} > 60) and "
                        "${age} >= 18");

    assert_int_equal(sv_questionnaire_roster_count(q), 3);
    assert_int_equal(sv_questionnaire_find_respondent(q, "011002"), 1);
}

/* A scratch copy of the valid fixture set with one sheet replaced by a
 * malformed one (or removed when bad is NULL). */
struct scratch {
    char dir[64];
};

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    FILE *out = fopen(to, "wb");
    char buf[4096];
    size_t n;

    if (in == NULL || out == NULL)
        fail_msg("copy %s -> %s: %s", from, to, strerror(errno));
    for (;;) {
        n = fread(buf, 1, sizeof buf, in);
        if (n == 0)
            break;
        assert_int_equal(fwrite(buf, 1, n, out), n);
    }
    assert_false(ferror(in));
    assert_int_equal(fclose(in), 0);
    assert_int_equal(fclose(out), 0);
}

static const char *const sheets[] = {"settings.csv", "survey.csv",
                                     "choices.csv", "roster.csv"};

static void scratch_make(struct scratch *s, const char *bad, const char *target)
{
    char from[512];
    char to[512];

    snprintf(s->dir, sizeof s->dir, "/tmp/sv-test-q-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    for (size_t i = 0; i < 4; i++) {
        snprintf(to, sizeof to, "%s/%s", s->dir, sheets[i]);
        if (strcmp(sheets[i], target) == 0 && bad == NULL)
            continue;
        if (strcmp(sheets[i], target) == 0)
            snprintf(from, sizeof from, "%s/bad/%s", FIXTURES, bad);
        else
            snprintf(from, sizeof from, "%s/valid/%s", FIXTURES, sheets[i]);
        copy_file(from, to);
    }
}

static void scratch_remove(struct scratch *s)
{
    char path[512];

    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, sheets[i]);
        unlink(path); /* may be absent */
    }
    assert_int_equal(rmdir(s->dir), 0);
}

struct bad_case {
    const char *fixture; /* file in bad/ */
    const char *target;  /* the sheet it replaces */
    const char *want;    /* the message (a prefix when it ends in "...") */
};

static const struct bad_case bad_cases[] = {
    {"survey_unknown_type.csv", "survey.csv",
     "survey.csv:3: column type: unknown type 'decimal'"},
    {"survey_empty_type.csv", "survey.csv", "survey.csv:3: column type: empty"},
    {"survey_bare_cr.csv", "survey.csv",
     "survey.csv:2: a bare CR line end (old Mac format): save the file with "
     "LF or CRLF line ends"},
    {"survey_select_without_list.csv", "survey.csv",
     "survey.csv:2: column type: select_one needs a choice list"},
    {"survey_unknown_list.csv", "survey.csv",
     "survey.csv:3: column type: unknown choice list 'fruit'"},
    {"survey_end_without_begin.csv", "survey.csv",
     "survey.csv:3: column type: end_group without begin_group"},
    {"survey_unclosed_group.csv", "survey.csv",
     "survey.csv:2: column type: group g1 is never closed"},
    {"survey_end_mismatch.csv", "survey.csv",
     "survey.csv:4: column name: end_group g2 does not close group g1"},
    {"survey_bad_name.csv", "survey.csv",
     "survey.csv:3: column name: bad name '2nd' (want "
     "[A-Za-z_][A-Za-z0-9_.-]*)"},
    {"survey_empty_name.csv", "survey.csv", "survey.csv:3: column name: empty"},
    {"survey_duplicate_name.csv", "survey.csv",
     "survey.csv:3: column name: duplicate name 'age' (first on line 2)"},
    {"survey_bad_required.csv", "survey.csv",
     "survey.csv:2: column required: expected yes or no, got 'maybe'"},
    {"survey_bad_report.csv", "survey.csv",
     "survey.csv:2: column report: unknown report 'pie' (want rate, matrix, "
     "sum, freq or list)"},
    {"survey_constraint_on_group.csv", "survey.csv",
     "survey.csv:2: column constraint: not allowed on a begin_group row"},
    {"survey_unknown_ref.csv", "survey.csv",
     "survey.csv:3: column relevant: unknown question ${ages} at offset 0"},
    {"survey_self_in_relevant.csv", "survey.csv",
     "survey.csv:2: column relevant: '.' is only allowed in constraint at "
     "offset 0"},
    {"survey_bad_constraint.csv", "survey.csv",
     "survey.csv:2: column constraint: unexpected end of expression at "
     "offset 4"},
    {"survey_unknown_function.csv", "survey.csv",
     "survey.csv:3: column relevant: unknown function regex() at offset 0"},
    {"survey_unterminated_string.csv", "survey.csv",
     "survey.csv:3: column relevant: unterminated string at offset 10"},
    {"survey_trailing_tokens.csv", "survey.csv",
     "survey.csv:3: column relevant: unexpected ''no'' at offset 16"},
    {"survey_group_relevant.csv", "survey.csv",
     "survey.csv:2: column relevant: unknown question ${nobody} at offset 0"},
    {"survey_error_after_multiline.csv", "survey.csv",
     "survey.csv:5: column required: expected yes or no, got 'often'"},
    {"survey_missing_name_column.csv", "survey.csv",
     "survey.csv:1: missing column name"},
    {"survey_stray_quote.csv", "survey.csv",
     "survey.csv:3: malformed CSV (..."},
    {"survey_unterminated_quote.csv", "survey.csv",
     "survey.csv:3: unterminated quoted field"},
    {"survey_duplicate_column.csv", "survey.csv",
     "survey.csv:1: duplicate column name"},
    {"survey_empty.csv", "survey.csv",
     "survey.csv: empty sheet (no header row)"},
    {"survey_not_utf8.csv", "survey.csv",
     "survey.csv:2: column label: not valid UTF-8"},
    {"choices_duplicate_option.csv", "choices.csv",
     "choices.csv:4: column name: duplicate option 'yes' in list yn (first "
     "on line 2)"},
    {"choices_too_many.csv", "choices.csv",
     "choices.csv:66: column name: list big has more than 64 options"},
    {"choices_empty_list_name.csv", "choices.csv",
     "choices.csv:3: column list_name: empty"},
    {"choices_option_with_space.csv", "choices.csv",
     "choices.csv:2: column name: option name 'yes please' contains "
     "whitespace"},
    {"settings_empty_form_id.csv", "settings.csv",
     "settings.csv:2: column form_id: empty"},
    {"settings_missing_form_id.csv", "settings.csv",
     "settings.csv:1: missing column form_id"},
    {"settings_no_row.csv", "settings.csv",
     "settings.csv:1: no settings row after the header"},
    {"roster_short_code.csv", "roster.csv",
     "roster.csv:3: column code: '12345' is not 6 digits"},
    {"roster_letter_code.csv", "roster.csv",
     "roster.csv:2: column code: '01000A' is not 6 digits"},
    {"roster_duplicate_code.csv", "roster.csv",
     "roster.csv:4: column code: duplicate code 010006 (first on line 2)"},
    {"roster_empty_name.csv", "roster.csv", "roster.csv:2: column name: empty"},
    {"roster_empty_type.csv", "roster.csv", "roster.csv:2: column type: empty"},
    {"roster_missing_type_column.csv", "roster.csv",
     "roster.csv:1: missing column type"},
    {"roster_header_only_missing_type.csv", "roster.csv",
     "roster.csv:1: missing column type"},
    /* a quoted name over two lines, a blank line and a row of empty fields
     * before: the line is still the file's */
    {"roster_bad_code_after_multiline.csv", "roster.csv",
     "roster.csv:7: column code: '02000X' is not 6 digits"},
};

static void test_load_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct scratch s;
        sv_questionnaire *q = (sv_questionnaire *)&s; /* must become NULL */
        sv_error err = {{0}};

        scratch_make(&s, c->fixture, c->target);
        sv_status st = sv_questionnaire_load(&q, s.dir, &err);
        scratch_remove(&s);
        if (st != SV_ERR_PARSE)
            fail_msg("%s: status %d (%s)", c->fixture, (int)st, err.msg);
        assert_null(q);
        size_t n = strlen(c->want);
        bool prefix = n > 3 && strcmp(c->want + n - 3, "...") == 0;
        if (prefix ? strncmp(err.msg, c->want, n - 3) != 0
                   : strcmp(err.msg, c->want) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", c->fixture, err.msg,
                     c->want);
    }
}

/* The scratch copy of the valid set loads: the harness is not the cause of
 * the errors above. */
static void test_scratch_copy_loads(void **state)
{
    struct scratch s;
    sv_questionnaire *q = NULL;
    sv_error err = {{0}};

    (void)state;
    scratch_make(&s, "unused", "none");
    sv_status st = sv_questionnaire_load(&q, s.dir, &err);
    scratch_remove(&s);
    assert_int_equal(st, SV_OK);
    assert_int_equal(sv_questionnaire_count(q), 10);
    sv_questionnaire_destroy(&q);
    assert_null(q);
    sv_questionnaire_destroy(&q);
    sv_questionnaire_destroy(NULL);
}

static void test_missing_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        struct scratch s;
        sv_questionnaire *q = NULL;
        sv_error err = {{0}};
        char path[128];

        scratch_make(&s, NULL, sheets[i]);
        snprintf(path, sizeof path, "%s/%s", s.dir, sheets[i]);
        sv_status st = sv_questionnaire_load(&q, s.dir, &err);
        scratch_remove(&s);
        assert_int_equal(st, SV_ERR_IO);
        assert_null(q);
        if (strstr(err.msg, path) == NULL)
            fail_msg("missing %s: \"%s\"", sheets[i], err.msg);
    }
}

/* ---- validation ------------------------------------------------------- */

#define MAX_A 64

/* An answer set built in place; strings are borrowed literals. */
struct aset {
    Survey__V1__Answer a[MAX_A];
    Survey__V1__Choices c[MAX_A];
    const Survey__V1__Answer *p[MAX_A];
    size_t n;
};

static Survey__V1__Answer *add(struct aset *s, const char *q)
{
    static const Survey__V1__Answer init = SURVEY__V1__ANSWER__INIT;

    assert_true(s->n < MAX_A);
    s->a[s->n] = init;
    s->a[s->n].question = (char *)q;
    s->p[s->n] = &s->a[s->n];
    return &s->a[s->n++];
}

static void add_choice(struct aset *s, const char *q, const char *opt)
{
    Survey__V1__Answer *a = add(s, q);
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = (char *)opt;
}

static void add_choices(struct aset *s, const char *q, size_t n,
                        const char *const *opts)
{
    static const Survey__V1__Choices init = SURVEY__V1__CHOICES__INIT;
    Survey__V1__Answer *a = add(s, q);
    Survey__V1__Choices *c = &s->c[s->n - 1];

    *c = init;
    c->n_options = n;
    c->options = (char **)opts;
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    a->choices = c;
}

static void add_int(struct aset *s, const char *q, int64_t v)
{
    Survey__V1__Answer *a = add(s, q);
    a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    a->integer = v;
}

static void add_text(struct aset *s, const char *q, const char *t)
{
    Survey__V1__Answer *a = add(s, q);
    a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    a->text = (char *)t;
}

static void run(const sv_questionnaire *q, const struct aset *s,
                sv_value *values, sv_verdict *v)
{
    assert_int_equal(sv_questionnaire_validate(q, s->p, s->n, values, v),
                     SV_OK);
}

static void expect(const sv_verdict *v, size_t i, rule_t rule,
                   const char *question, const char *value)
{
    if (i >= v->n_problems)
        fail_msg("problem %zu wanted, %zu found", i, v->n_problems);
    const sv_problem *p = &v->problems[i];
    if (p->rule != rule || strcmp(p->question, question) != 0 ||
        strcmp(p->value, value) != 0)
        fail_msg("problem %zu: rule %d question '%s' value '%s' (%s); want "
                 "rule %d question '%s' value '%s'",
                 i, (int)p->rule, p->question, p->value, p->message, (int)rule,
                 question, value);
}

/* Validates s and expects exactly one problem. */
static void expect_one(const sv_questionnaire *q, const struct aset *s,
                       rule_t rule, const char *question, const char *value,
                       const char *message)
{
    sv_verdict v;

    run(q, s, NULL, &v);
    expect(&v, 0, rule, question, value);
    assert_int_equal(v.n_problems, 1);
    if (message != NULL && strcmp(v.problems[0].message, message) != 0)
        fail_msg("message \"%s\", want \"%s\"", v.problems[0].message, message);
    sv_verdict_clear(&v);
}

/* holders and every program, all "no": complete. */
static void base_r6(struct aset *s)
{
    static const char *const programs[] = {
        "consult",       "supporter",  "fact_finding",  "care_support",
        "peer_exchange", "employment", "carer_support", "other_support"};

    memset(s, 0, sizeof *s);
    add_int(s, "holders", 120);
    for (size_t i = 0; i < 8; i++)
        add_choice(s, programs[i], "no");
}

/* Sets the choice of an answer already in s. */
static void set_choice(struct aset *s, const char *q, const char *opt)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->a[i].question, q) == 0) {
            s->a[i].choice = (char *)opt;
            return;
        }
    }
    fail_msg("no answer %s", q);
}

static void test_complete_answer_set(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    struct aset s;
    sv_value values[49];
    sv_verdict v;

    base_r6(&s);
    run(q, &s, values, &v);
    assert_int_equal(v.n_problems, 0);
    assert_null(v.problems);
    assert_int_equal(v.n_missing, 0);
    int h = sv_questionnaire_find(q, "holders");
    assert_int_equal(values[h].kind, SV_V_INTEGER);
    assert_int_equal(values[h].integer, 120);
    int c = sv_questionnaire_find(q, "consult");
    assert_int_equal(values[c].kind, SV_V_CHOICE);
    assert_int_equal(values[c].choice, 1);
    assert_int_equal(values[sv_questionnaire_find(q, "consult_window")].kind,
                     SV_V_NONE);
    sv_verdict_clear(&v);
    assert_null(v.problems);
    assert_int_equal(v.n_missing, 0);
    assert_null(v.missing);
}

static void test_decoded_values(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *const content[] = {"other", "care_guidance"};
    const char *const one[] = {"health_center"};
    struct aset s;
    sv_value values[49];
    sv_verdict v;

    base_r6(&s);
    set_choice(&s, "consult", "yes");
    add_choices(&s, "consult_content", 2, content);
    add_choices(&s, "consult_window", 1, one);    /* select_one as choices */
    add_text(&s, "care_support_background", "x"); /* not relevant */
    run(q, &s, values, &v);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT,
           "care_support_background", "x");
    assert_int_equal(v.n_problems, 1);
    const sv_value *cc = &values[sv_questionnaire_find(q, "consult_content")];
    assert_int_equal(cc->kind, SV_V_CHOICES);
    assert_int_equal(cc->choices, (1u << 5) | (1u << 0));
    const sv_value *w = &values[sv_questionnaire_find(q, "consult_window")];
    assert_int_equal(w->kind, SV_V_CHOICE);
    assert_int_equal(w->choice, 1);
    /* an answer with a problem is not decoded */
    assert_int_equal(
        values[sv_questionnaire_find(q, "care_support_background")].kind,
        SV_V_NONE);
    /* the text points into the answer */
    sv_verdict_clear(&v);
    base_r6(&s);
    set_choice(&s, "care_support", "yes");
    add_text(&s, "care_support_background", "背景");
    run(q, &s, values, &v);
    assert_int_equal(v.n_problems, 0);
    const sv_value *t =
        &values[sv_questionnaire_find(q, "care_support_background")];
    assert_int_equal(t->kind, SV_V_TEXT);
    assert_ptr_equal(t->text, s.a[s.n - 1].text);
    assert_int_equal(t->text_len, strlen("背景"));
    sv_verdict_clear(&v);
}

static void test_unknown_question(void **state)
{
    const struct loaded *l = *state;
    struct aset s;

    base_r6(&s);
    add_choice(&s, "nosuch", "yes");
    expect_one(l->r6, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION, "nosuch",
               "yes", NULL);
    base_r6(&s);
    add_int(&s, "", 3);
    expect_one(l->r6, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION, "", "3",
               NULL);
    base_r6(&s); /* a group is not a question */
    add_int(&s, "profile", 3);
    expect_one(l->r6, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION,
               "profile", "3", NULL);
}

static void test_non_utf8_question_escaped(void **state)
{
    const struct loaded *l = *state;
    struct aset s;

    base_r6(&s);
    add_text(&s, "bad\xFFname\xE3\x81", "t\xC0");
    expect_one(l->r6, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION,
               "bad\\xFFname\\xE3\\x81", "t\\xC0", NULL);
}

static void test_duplicate_question(void **state)
{
    const struct loaded *l = *state;
    struct aset s;
    sv_value values[49];
    sv_verdict v;

    base_r6(&s);
    add_choice(&s, "consult", "yes");
    add_text(&s, "consult", "again");
    run(l->r6, &s, values, &v);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__DUPLICATE_QUESTION, "consult",
           "yes");
    expect(&v, 1, SURVEY__V1__PROBLEM__RULE__DUPLICATE_QUESTION, "consult",
           "again");
    assert_int_equal(v.n_problems, 2);
    /* the first answer is kept */
    int c = sv_questionnaire_find(l->r6, "consult");
    assert_int_equal(values[c].kind, SV_V_CHOICE);
    assert_int_equal(values[c].choice, 1);
    sv_verdict_clear(&v);
}

static void test_wrong_type(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *const one[] = {"yes"};
    const char *const two[] = {"yes", "no"};
    struct aset s;

    memset(&s, 0, sizeof s);
    add_text(&s, "holders", "many");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE, "holders", "many",
               "holders is an integer question; got text");
    memset(&s, 0, sizeof s);
    add_int(&s, "consult", 1);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE, "consult", "1",
               "consult is a select_one question; got integer");
    memset(&s, 0, sizeof s);
    add(&s, "holders");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE, "holders", "",
               "no value");
    memset(&s, 0, sizeof s);
    add_choice(&s, "care_support_background", "yes");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
               "care_support_background", "yes",
               "care_support_background is a text question; got choice");
    /* select_multiple wants choices, even for one option */
    base_r6(&s);
    set_choice(&s, "consult", "yes");
    add_choice(&s, "consult_channel", "phone");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE, "consult_channel",
               "phone",
               "consult_channel is a select_multiple question; got choice");
    base_r6(&s);
    set_choice(&s, "consult", "yes");
    add_choices(&s, "consult_channel", 0, NULL);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE, "consult_channel",
               "", "no options; omit the answer to leave it unanswered");
    base_r6(&s);
    set_choice(&s, "care_support", "yes");
    add_text(&s, "care_support_background", "");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
               "care_support_background", "",
               "empty text; omit the answer to leave it unanswered");
    /* only spaces (a full-width one among them) say nothing either */
    static const char *const blanks[] = {"   ", "\xE3\x80\x80", " \t\n",
                                         "\xC2\xA0\xE3\x80\x80 "};
    for (size_t i = 0; i < sizeof blanks / sizeof blanks[0]; i++) {
        base_r6(&s);
        set_choice(&s, "care_support", "yes");
        add_text(&s, "care_support_background", blanks[i]);
        expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                   "care_support_background", blanks[i],
                   "blank text (only spaces); omit the answer to leave it "
                   "unanswered");
    }
    /* text with spaces around it is text */
    base_r6(&s);
    set_choice(&s, "care_support", "yes");
    add_text(&s, "care_support_background", "\xE3\x80\x80背景 ");
    {
        sv_verdict tv;
        run(q, &s, NULL, &tv);
        assert_int_equal(tv.n_problems, 0);
        sv_verdict_clear(&tv);
    }
    /* select_one: choices with one option is that option; two are too many */
    memset(&s, 0, sizeof s);
    add_choices(&s, "consult", 1, one);
    sv_verdict v;
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 0);
    sv_verdict_clear(&v);
    memset(&s, 0, sizeof s);
    add_choices(&s, "consult", 2, two);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__TOO_MANY_OPTIONS, "consult",
               "yes,no", "consult is a select_one question; got 2 options");
}

/* The options opts[0..n) of question, one of them not UTF-8: that is the
 * one problem reported, echoing the options as given. */
static void expect_bad_options(const sv_questionnaire *q, const char *question,
                               size_t n, const char *const *opts,
                               const char *echo)
{
    struct aset s;

    memset(&s, 0, sizeof s);
    add_choices(&s, question, n, opts);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__BAD_ENCODING, question, echo,
               "option is not valid UTF-8");
}

static void test_bad_encoding(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *const surrogate[] = {"phone", "e\xED\xA0\x80mail"};
    /* before an unknown or a repeated option, wherever each is */
    const char *const unknown_first[] = {"fax", "phone", "e\xFFmail"};
    const char *const repeated_first[] = {"phone", "phone", "\xC3"};
    struct aset s;

    memset(&s, 0, sizeof s);
    add_text(&s, "care_support_background", "abc\xFF");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__BAD_ENCODING,
               "care_support_background", "abc\\xFF",
               "text is not valid UTF-8");
    memset(&s, 0, sizeof s);
    add_choice(&s, "consult", "y\xC3");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__BAD_ENCODING, "consult",
               "y\\xC3", "option is not valid UTF-8");
    memset(&s, 0, sizeof s); /* not an option, and not UTF-8 either */
    add_choice(&s, "consult",
               "\xC3"
               "yes");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__BAD_ENCODING, "consult",
               "\\xC3yes", "option is not valid UTF-8");
    expect_bad_options(q, "consult_channel", 2, surrogate,
                       "phone,e\\xED\\xA0\\x80mail");
    expect_bad_options(q, "consult_channel", 3, unknown_first,
                       "fax,phone,e\\xFFmail");
    expect_bad_options(q, "consult_channel", 3, repeated_first,
                       "phone,phone,\\xC3");
}

static void test_unknown_and_duplicate_option(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *const dup[] = {"phone", "email", "phone"};
    const char *const unknown[] = {"phone", "phone", "fax"};
    struct aset s;

    memset(&s, 0, sizeof s);
    add_choice(&s, "consult", "maybe");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_OPTION, "consult",
               "maybe", "'maybe' is not an option of list impl (yes, no)");
    memset(&s, 0, sizeof s);
    add_choice(&s, "consult", "");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_OPTION, "consult", "",
               "'' is not an option of list impl (yes, no)");
    memset(&s, 0, sizeof s);
    add_choices(&s, "consult_channel", 3, dup);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__DUPLICATE_OPTION,
               "consult_channel", "phone,email,phone",
               "option phone is given twice");
    /* an unknown option is reported before a repeated one */
    memset(&s, 0, sizeof s);
    add_choices(&s, "consult_channel", 3, unknown);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__UNKNOWN_OPTION,
               "consult_channel", "phone,phone,fax",
               "'fax' is not an option of list channel (counter, visit, "
               "phone, email, internet, sns, other)");
}

static void test_out_of_range_and_too_long(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    struct aset s;
    sv_verdict v;
    char *text = malloc(SV_TEXT_MAX_BYTES + 2);

    assert_non_null(text);
    memset(&s, 0, sizeof s);
    add_int(&s, "holders", SV_INTEGER_MAX + 1);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__OUT_OF_RANGE, "holders",
               "2147483648", NULL);
    memset(&s, 0, sizeof s);
    add_int(&s, "holders", SV_INTEGER_MIN - 1);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__OUT_OF_RANGE, "holders",
               "-2147483649", NULL);
    memset(&s, 0, sizeof s);
    add_int(&s, "holders", SV_INTEGER_MAX);
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 0);
    sv_verdict_clear(&v);

    memset(text, 'x', SV_TEXT_MAX_BYTES);
    text[SV_TEXT_MAX_BYTES] = '\0';
    base_r6(&s);
    set_choice(&s, "care_support", "yes");
    add_text(&s, "care_support_background", text);
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 0);
    sv_verdict_clear(&v);
    text[SV_TEXT_MAX_BYTES] = 'y';
    text[SV_TEXT_MAX_BYTES + 1] = '\0';
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 1);
    assert_int_equal(v.problems[0].rule, SURVEY__V1__PROBLEM__RULE__TOO_LONG);
    assert_string_equal(v.problems[0].message,
                        "text is 8001 bytes; the limit is 8000 bytes");
    /* the echoed value is cut with an ellipsis */
    const char *val = v.problems[0].value;
    assert_int_equal(strlen(val), 200 + strlen("…"));
    assert_string_equal(val + 200, "…");
    assert_int_equal(strspn(val, "x"), 200);
    sv_verdict_clear(&v);
    free(text);
}

static void test_not_relevant(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    struct aset s;
    sv_verdict v;

    /* 豊島区: no supporter, but answers the outsourcing question */
    base_r6(&s);
    add_choice(&s, "supporter_outsourced", "no");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT,
               "supporter_outsourced", "no",
               "answered, but relevant only when ${supporter} = 'yes'");
    /* inside a group: the effective expression is quoted */
    base_r6(&s);
    set_choice(&s, "fact_finding", "yes");
    add_choice(&s, "ff_model_form", "yes");
    run(q, &s, NULL, &v);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT, "ff_model_form",
           "yes");
    assert_string_equal(v.problems[0].message,
                        "answered, but relevant only when ${fact_finding} = "
                        "'yes' and selected(${ff_method}, 'questionnaire')");
    sv_verdict_clear(&v);
}

static void test_constraint(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *const none_and_staff[] = {"staff", "none"};
    const char *const none_alone[] = {"none"};
    struct aset s;
    sv_verdict v;

    memset(&s, 0, sizeof s);
    add_int(&s, "holders", -1);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__CONSTRAINT, "holders", "-1",
               "answer must satisfy . >= 0");
    memset(&s, 0, sizeof s);
    add_int(&s, "holders", 0);
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 0);
    sv_verdict_clear(&v);

    base_r6(&s);
    set_choice(&s, "fact_finding", "yes");
    add_choices(&s, "ff_challenges", 2, none_and_staff);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__CONSTRAINT, "ff_challenges",
               "staff,none",
               "answer must satisfy not(selected(., 'none') and "
               "count-selected(.) > 1)");
    base_r6(&s);
    set_choice(&s, "fact_finding", "yes");
    add_choices(&s, "ff_challenges", 1, none_alone);
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 0);
    sv_verdict_clear(&v);
    /* a not-relevant answer is reported as such, not as a constraint */
    base_r6(&s);
    add_choices(&s, "ff_challenges", 2, none_and_staff);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT, "ff_challenges",
               "staff,none", NULL);
}

static void test_too_many_answers(void **state)
{
    const struct loaded *l = *state;
    const Survey__V1__Answer **many = calloc(SV_MAX_ANSWERS + 1, sizeof *many);
    struct aset s;
    sv_verdict v;

    assert_non_null(many);
    memset(&s, 0, sizeof s);
    add_text(&s, "nosuch", "x");
    for (size_t i = 0; i <= SV_MAX_ANSWERS; i++)
        many[i] = s.p[0];
    assert_int_equal(
        sv_questionnaire_validate(l->r6, many, SV_MAX_ANSWERS + 1, NULL, &v),
        SV_OK);
    assert_int_equal(v.n_problems, 1);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__TOO_MANY_ANSWERS, "", "1001");
    sv_verdict_clear(&v);
    /* at the limit, every answer is looked at */
    assert_int_equal(
        sv_questionnaire_validate(l->r6, many, SV_MAX_ANSWERS, NULL, &v),
        SV_OK);
    assert_int_equal(v.n_problems, SV_MAX_ANSWERS);
    expect(&v, 999, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION, "nosuch", "x");
    sv_verdict_clear(&v);
    free(many);
}

static void expect_missing(const sv_verdict *v, const char *const *want,
                           size_t n)
{
    bool ok = v->n_missing == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = strcmp(v->missing[i], want[i]) == 0;
    if (ok)
        return;
    for (size_t i = 0; i < v->n_missing; i++)
        fprintf(stderr, "missing[%zu] = %s\n", i, v->missing[i]);
    fail_msg("missing list differs (%zu found, %zu wanted)", v->n_missing, n);
}

/* Every problem is reported, one per answer, in answer order, although
 * relevance is found after the per-answer checks. */
static void test_several_problems(void **state)
{
    const struct loaded *l = *state;
    struct aset s;
    sv_verdict v;

    memset(&s, 0, sizeof s);
    add_text(&s, "holders", "many");              /* 0 WRONG_TYPE */
    add_choice(&s, "nosuch", "x");                /* 1 UNKNOWN_QUESTION */
    add_choice(&s, "supporter", "no");            /* 2 fine */
    add_choice(&s, "supporter_outsourced", "no"); /* 3 NOT_RELEVANT */
    add_choice(&s, "consult", "maybe");           /* 4 UNKNOWN_OPTION */
    add_int(&s, "holders", 5);                    /* 5 DUPLICATE_QUESTION */
    add_choice(&s, "fact_finding", "yes");        /* 6 fine */
    run(l->r6, &s, NULL, &v);
    assert_int_equal(v.n_problems, 5);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE, "holders", "many");
    expect(&v, 1, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION, "nosuch", "x");
    expect(&v, 2, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT,
           "supporter_outsourced", "no");
    expect(&v, 3, SURVEY__V1__PROBLEM__RULE__UNKNOWN_OPTION, "consult",
           "maybe");
    expect(&v, 4, SURVEY__V1__PROBLEM__RULE__DUPLICATE_QUESTION, "holders",
           "5");
    /* answered questions are not missing, even when the answer has a
     * problem (holders, consult); consult's invalid answer reads as
     * unanswered, so consult_detail is not relevant */
    const char *const want[] = {"fact_finding_outsourced",
                                "care_support",
                                "peer_exchange",
                                "employment",
                                "carer_support",
                                "other_support",
                                "ff_frequency",
                                "ff_method",
                                "ff_funding",
                                "ff_challenges"};
    expect_missing(&v, want, 10);
    sv_verdict_clear(&v);
}

static void test_missing_with_relevance(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->r6;
    const char *const peer[] = {"peer_counseling"};
    struct aset s;
    sv_verdict v;

    /* consult = no: none of consult_detail is missing */
    memset(&s, 0, sizeof s);
    add_choice(&s, "consult", "no");
    run(q, &s, NULL, &v);
    const char *const no[] = {"holders",       "supporter",     "fact_finding",
                              "care_support",  "peer_exchange", "employment",
                              "carer_support", "other_support"};
    expect_missing(&v, no, 8);
    sv_verdict_clear(&v);

    /* consult = yes: its required details are, except peer_counselors,
     * relevant only when peer counselling is selected */
    base_r6(&s);
    set_choice(&s, "consult", "yes");
    run(q, &s, NULL, &v);
    const char *const yes[] = {"consult_window", "consult_content",
                               "consult_channel", "consult_funding"};
    expect_missing(&v, yes, 4);
    sv_verdict_clear(&v);

    add_choices(&s, "consult_content", 1, peer);
    run(q, &s, NULL, &v);
    const char *const with_peer[] = {"consult_window", "peer_counselors",
                                     "consult_channel", "consult_funding"};
    expect_missing(&v, with_peer, 4);
    sv_verdict_clear(&v);

    /* supporter = yes, outsourced = yes: the contractor fields appear, but
     * the optional reason is never missing */
    base_r6(&s);
    set_choice(&s, "supporter", "yes");
    add_choice(&s, "supporter_outsourced", "yes");
    run(q, &s, NULL, &v);
    const char *const sup[] = {"supporter_contractor_kind",
                               "supporter_contractor", "supporter_tasks",
                               "supporter_funding"};
    expect_missing(&v, sup, 4);
    sv_verdict_clear(&v);
}

/* A question found not relevant reads as unanswered for the questions
 * after it: chain_c depends on chain_b, which depends on chain_a. */
static void test_relevance_chain(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->fx;
    struct aset s;
    sv_verdict v;
    sv_value values[10];
    bool relevant[10];

    memset(&s, 0, sizeof s);
    add_int(&s, "age", 30);
    add_choice(&s, "pets", "no");
    add_choice(&s, "chain_a", "no");
    add_choice(&s, "chain_b", "yes");
    add_text(&s, "chain_c", "c");
    run(q, &s, values, &v);
    assert_int_equal(v.n_problems, 2);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT, "chain_b", "yes");
    expect(&v, 1, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT, "chain_c", "c");
    assert_string_equal(v.problems[1].message,
                        "answered, but relevant only when ${chain_b} = 'yes'");
    assert_int_equal(v.n_missing, 0);
    sv_verdict_clear(&v);

    /* the same rule in sv_questionnaire_relevance() */
    memset(values, 0, sizeof values);
    int a = sv_questionnaire_find(q, "chain_a");
    int b = sv_questionnaire_find(q, "chain_b");
    int c = sv_questionnaire_find(q, "chain_c");
    values[a].kind = SV_V_CHOICE;
    values[a].choice = 1; /* no */
    values[b].kind = SV_V_CHOICE;
    values[b].choice = 0; /* yes */
    sv_questionnaire_relevance(q, values, relevant);
    assert_true(relevant[a]);
    assert_false(relevant[b]);
    assert_false(relevant[c]);
    values[a].choice = 0; /* yes */
    sv_questionnaire_relevance(q, values, relevant);
    assert_true(relevant[b]);
    assert_true(relevant[c]);
}

static void test_nested_groups(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->fx;
    const char *const red[] = {"red", "blue"};
    struct aset s;
    sv_verdict v;

    /* outer group off: nothing inside is missing */
    memset(&s, 0, sizeof s);
    add_int(&s, "age", 30);
    add_choice(&s, "pets", "no");
    run(q, &s, NULL, &v);
    assert_int_equal(v.n_problems, 0);
    assert_int_equal(v.n_missing, 0);
    sv_verdict_clear(&v);
    /* outer on through `or` */
    s.a[0].integer = 61;
    run(q, &s, NULL, &v);
    const char *const old[] = {"colours"};
    expect_missing(&v, old, 1);
    sv_verdict_clear(&v);
    /* inner on: both groups' conditions hold */
    s.a[0].integer = 30;
    set_choice(&s, "pets", "yes");
    add_choices(&s, "colours", 2, red);
    run(q, &s, NULL, &v);
    const char *const inner[] = {"pet_count", "shade"};
    expect_missing(&v, inner, 2);
    sv_verdict_clear(&v);
    /* inner answered while outer is off */
    memset(&s, 0, sizeof s);
    add_int(&s, "age", 30);
    add_choice(&s, "pets", "no");
    add_text(&s, "shade", "crimson");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT, "shade",
               "crimson",
               "answered, but relevant only when (${pets} = 'yes' or ${age} "
               "> 60) and selected(${colours}, 'red')");
}

/* Random values for every question of q: unanswered, or a value of its
 * type (options, integers around the thresholds the sheets use, texts). */
static void random_values(const sv_questionnaire *q, uint64_t *rng,
                          sv_value *values)
{
    for (size_t i = 0; i < sv_questionnaire_count(q); i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        *rng = *rng * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t r = *rng >> 33;
        memset(&values[i], 0, sizeof values[i]);
        if (r % 3 == 0)
            continue; /* unanswered */
        switch (qu->type) {
        case SV_Q_SELECT_ONE:
            values[i].kind = SV_V_CHOICE;
            values[i].choice = (uint32_t)((r / 3) % qu->n_options);
            break;
        case SV_Q_SELECT_MULTIPLE:
            values[i].kind = SV_V_CHOICES;
            values[i].choices = (r / 3) & ((UINT64_C(1) << qu->n_options) - 1);
            break;
        case SV_Q_INTEGER:
            values[i].kind = SV_V_INTEGER;
            values[i].integer = (int64_t)((r / 3) % 140) - 10;
            break;
        case SV_Q_TEXT:
            values[i].kind = SV_V_TEXT;
            values[i].text = (r / 3) % 2 ? "yes" : "x";
            values[i].text_len = strlen(values[i].text);
            break;
        }
    }
}

/* A relevance pass remembers the relevance of groups whose condition reads
 * only questions before them; it must give what each question's own
 * evaluation gives. */
static void test_relevance_pass_equals_per_question(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *const qs[] = {l->r6, l->fx};
    uint64_t rng = 2024;

    for (size_t k = 0; k < 2; k++) {
        const sv_questionnaire *q = qs[k];
        size_t n = sv_questionnaire_count(q);
        sv_value *values = calloc(n, sizeof *values);
        bool *pass = calloc(n, sizeof *pass);
        bool *each = calloc(n, sizeof *each);
        size_t relevant = 0;
        size_t not_relevant = 0;
        assert_non_null(values);
        assert_non_null(pass);
        assert_non_null(each);
        for (int round = 0; round < 2000; round++) {
            random_values(q, &rng, values);
            sv_questionnaire_relevance(q, values, pass);
            for (size_t i = 0; i < n; i++) {
                each[i] = sv_questionnaire_relevant_at(q, i, values, each);
                if (pass[i] != each[i])
                    fail_msg("round %d, question %s: pass %d, alone %d", round,
                             sv_questionnaire_question(q, i)->name, pass[i],
                             each[i]);
                if (each[i])
                    relevant++;
                else
                    not_relevant++;
            }
        }
        /* the values reached both outcomes */
        assert_true(relevant > 0);
        assert_true(not_relevant > 0);
        free(values);
        free(pass);
        free(each);
    }
}

static void test_constraint_message(void **state)
{
    const struct loaded *l = *state;
    const sv_questionnaire *q = l->fx;
    struct aset s;

    memset(&s, 0, sizeof s);
    add_int(&s, "age", 200);
    add_choice(&s, "pets", "no");
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__CONSTRAINT, "age", "200",
               "age must be 0 to 150");
    memset(&s, 0, sizeof s);
    add_int(&s, "age", 20);
    add_choice(&s, "pets", "yes");
    add_int(&s, "pet_count", 0);
    expect_one(q, &s, SURVEY__V1__PROBLEM__RULE__CONSTRAINT, "pet_count", "0",
               "answer must satisfy . > 0");
}

/* A NULL answer pointer is an answer without a name. */
static void test_null_answer(void **state)
{
    const struct loaded *l = *state;
    const Survey__V1__Answer *answers[1] = {NULL};
    sv_verdict v;

    assert_int_equal(sv_questionnaire_validate(l->fx, answers, 1, NULL, &v),
                     SV_OK);
    expect(&v, 0, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION, "", "");
    sv_verdict_clear(&v);
    sv_verdict_clear(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_r6_settings_and_counts),
        cmocka_unit_test(test_r6_roster),
        cmocka_unit_test(test_r6_questions),
        cmocka_unit_test(test_r6_relevance_text),
        cmocka_unit_test(test_relevance_pass_equals_per_question),
        cmocka_unit_test(test_fixture_valid),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_scratch_copy_loads),
        cmocka_unit_test(test_missing_files),
        cmocka_unit_test(test_complete_answer_set),
        cmocka_unit_test(test_decoded_values),
        cmocka_unit_test(test_unknown_question),
        cmocka_unit_test(test_non_utf8_question_escaped),
        cmocka_unit_test(test_duplicate_question),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_bad_encoding),
        cmocka_unit_test(test_unknown_and_duplicate_option),
        cmocka_unit_test(test_out_of_range_and_too_long),
        cmocka_unit_test(test_not_relevant),
        cmocka_unit_test(test_constraint),
        cmocka_unit_test(test_too_many_answers),
        cmocka_unit_test(test_several_problems),
        cmocka_unit_test(test_missing_with_relevance),
        cmocka_unit_test(test_relevance_chain),
        cmocka_unit_test(test_nested_groups),
        cmocka_unit_test(test_constraint_message),
        cmocka_unit_test(test_null_answer),
    };
    return cmocka_run_group_tests(tests, load_all, free_all);
}
