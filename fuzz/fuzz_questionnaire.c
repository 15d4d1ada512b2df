/* fuzz_questionnaire.c: libFuzzer target for the questionnaire sheets and
 * the expression language.
 *
 * The first byte of the input picks what the rest of it is (seeds start
 * with a readable digit):
 *   '0' (byte % 8 == 0)  survey.csv    '1' (1)  choices.csv
 *   '2' (2)              roster.csv    '3' (3)  settings.csv
 *   '4'..'7' (4..7)      one expression
 * A sheet replaces its namesake in a scratch copy of data/r6 (made once)
 * and the directory is loaded with sv_questionnaire_load; a questionnaire
 * that loads is then exercised: its effective relevance texts, validation
 * of an empty answer set and of one answering every question, relevance
 * and a compact record. An expression is parsed with sv_expr_parse against
 * the 2024 questionnaire both as a `relevant` (no `.`) and as a
 * `constraint`, and evaluated on unanswered and on answered values.
 *
 * The scratch directory, the 2024 questionnaire and its sample values are
 * file-level state: libFuzzer offers no other place to keep them. */
#include "compact.h"
#include "expr.h"
#include "fuzz_util.h"
#include "questionnaire.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sheets[] = {"survey.csv", "choices.csv", "roster.csv",
                                     "settings.csv"};
#define N_SHEETS (sizeof sheets / sizeof sheets[0])

static char *dir;                    /* scratch copy of data/r6 */
static char *paths[N_SHEETS];        /* dir/sheets[k] */
static uint8_t *originals[N_SHEETS]; /* data/r6/sheets[k] */
static size_t original_sizes[N_SHEETS];
static sv_questionnaire *form; /* the 2024 questionnaire */
static sv_value *answered;     /* a value for every question */
static sv_value *unanswered;   /* SV_V_NONE for every question */
static bool *known;            /* relevance, half of it known */

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n > 0 ? n : 1, size);
    if (p == NULL) {
        fprintf(stderr, "fuzz set-up: out of memory\n");
        abort();
    }
    return p;
}

/* Some value of the right kind for every question of the 2024 form. */
static void make_sample_values(void)
{
    size_t n = sv_questionnaire_count(form);

    answered = xcalloc(n, sizeof *answered);
    unanswered = xcalloc(n, sizeof *unanswered);
    known = xcalloc(n, sizeof *known);
    for (size_t i = 0; i < n; i++) {
        const sv_question *qu = sv_questionnaire_question(form, i);
        sv_value *v = &answered[i];
        switch (qu->type) {
        case SV_Q_INTEGER:
            v->kind = SV_V_INTEGER;
            v->integer = (int64_t)i * 7 - 20;
            break;
        case SV_Q_TEXT:
            v->kind = SV_V_TEXT;
            v->text = "42";
            v->text_len = 2;
            break;
        case SV_Q_SELECT_ONE:
            v->kind = SV_V_CHOICE;
            v->choice = (uint32_t)(i % (qu->n_options > 0 ? qu->n_options : 1));
            break;
        case SV_Q_SELECT_MULTIPLE:
            v->kind = SV_V_CHOICES;
            v->choices = 0x5555555555555555ull >> (i % 2);
            if (qu->n_options < 64)
                v->choices &= (1ull << qu->n_options) - 1;
            break;
        }
        known[i] = i % 3 != 0;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    dir = sv_fuzz_tempdir();
    for (size_t k = 0; k < N_SHEETS; k++) {
        char *src = sv_fuzz_join(sv_fuzz_r6_dir(), sheets[k]);
        originals[k] = sv_fuzz_read(src, &original_sizes[k]);
        free(src);
        paths[k] = sv_fuzz_join(dir, sheets[k]);
        sv_fuzz_write(paths[k], originals[k], original_sizes[k]);
    }
    form = sv_fuzz_load_r6();
    make_sample_values();
    return 0;
}

/* ---- sheets ----------------------------------------------------------- */

/* One answer per question: its first option (all of them for
 * select_multiple), an integer or a text. Answers point into q. */
static void exercise_answers(const sv_questionnaire *q, sv_value *values)
{
    size_t n = sv_questionnaire_count(q);
    Survey__V1__Answer *answers = xcalloc(n, sizeof *answers);
    Survey__V1__Answer **ptrs = xcalloc(n, sizeof *ptrs);
    Survey__V1__Choices *choices = xcalloc(n, sizeof *choices);
    char **names = NULL;
    size_t n_names = 0;
    sv_verdict verdict = {0};

    for (size_t i = 0; i < n; i++)
        n_names += sv_questionnaire_question(q, i)->n_options;
    names = xcalloc(n_names, sizeof *names);
    n_names = 0;
    for (size_t i = 0; i < n; i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        Survey__V1__Answer *a = &answers[i];
        survey__v1__answer__init(a);
        a->question = (char *)qu->name;
        switch (qu->type) {
        case SV_Q_INTEGER:
            a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
            a->integer = (int64_t)i;
            break;
        case SV_Q_TEXT:
            a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
            a->text = (char *)qu->label;
            break;
        case SV_Q_SELECT_ONE:
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            a->choice = qu->n_options > 0 ? (char *)qu->options[0].name : "";
            break;
        case SV_Q_SELECT_MULTIPLE:
            survey__v1__choices__init(&choices[i]);
            choices[i].options = &names[n_names];
            for (size_t k = 0; k < qu->n_options; k++)
                names[n_names++] = (char *)qu->options[k].name;
            choices[i].n_options = qu->n_options;
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
            a->choices = &choices[i];
            break;
        }
        ptrs[i] = a;
    }
    if (sv_questionnaire_validate(q, (const Survey__V1__Answer *const *)ptrs, n,
                                  values, &verdict) != SV_OK)
        fprintf(stderr, "validate: out of memory\n");
    sv_verdict_clear(&verdict);
    free(names);
    free(choices);
    free(ptrs);
    free(answers);
}

static void exercise(const sv_questionnaire *q)
{
    size_t n = sv_questionnaire_count(q);
    sv_value *values = xcalloc(n, sizeof *values);
    bool *relevant = xcalloc(n, sizeof *relevant);
    uint8_t *rec = xcalloc(sv_compact_size(q), 1);
    sv_verdict verdict = {0};

    (void)sv_questionnaire_id(q);
    (void)sv_questionnaire_title(q);
    (void)sv_compact_fingerprint(q);
    for (size_t i = 0; i < n; i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        (void)sv_questionnaire_relevant_text(q, i);
        if (sv_questionnaire_find(q, qu->name) < 0)
            abort(); /* a question cannot be found by its own name */
    }
    for (size_t i = 0; i < sv_questionnaire_roster_count(q); i++) {
        const sv_respondent *r = sv_questionnaire_respondent(q, i);
        if (sv_questionnaire_find_respondent(q, r->code) < 0)
            abort(); /* a respondent cannot be found by its own code */
    }
    if (sv_questionnaire_validate(q, NULL, 0, values, &verdict) != SV_OK)
        fprintf(stderr, "validate: out of memory\n");
    sv_verdict_clear(&verdict);
    exercise_answers(q, values);
    sv_questionnaire_relevance(q, values, relevant);
    sv_compact_encode(q, values, relevant, rec);
    if (!sv_compact_valid(q, rec, sv_compact_size(q)))
        abort();
    free(rec);
    free(relevant);
    free(values);
}

static void fuzz_sheet(size_t k, const uint8_t *data, size_t size)
{
    sv_questionnaire *q = NULL;
    sv_error err = {{0}};

    sv_fuzz_write(paths[k], data, size);
    if (sv_questionnaire_load(&q, dir, &err) == SV_OK)
        exercise(q);
    sv_questionnaire_destroy(&q);
    sv_fuzz_write(paths[k], originals[k], original_sizes[k]);
}

/* ---- expressions ------------------------------------------------------ */

static int resolve(void *ctx, const char *name, size_t len)
{
    const sv_questionnaire *q = ctx;
    char buf[256];

    if (len >= sizeof buf)
        return -1;
    memcpy(buf, name, len);
    buf[len] = '\0';
    return sv_questionnaire_find(q, buf);
}

static void evaluate(const sv_expr *e, bool constraint)
{
    size_t n = sv_questionnaire_count(form);
    sv_expr_env env = {.questions = sv_questionnaire_question(form, 0),
                       .values = unanswered,
                       .relevant = NULL,
                       .n_known = 0,
                       .self = 0};

    (void)sv_expr_source(e);
    (void)sv_expr_is_or(e);
    (void)sv_expr_eval(e, &env);
    env.values = answered;
    (void)sv_expr_eval(e, &env);
    env.relevant = known;
    env.n_known = n / 2;
    (void)sv_expr_eval(e, &env);
    if (!constraint)
        return;
    for (size_t i = 0; i < n; i++) {
        env.self = (int)i;
        (void)sv_expr_eval(e, &env);
    }
}

static void fuzz_expr(const uint8_t *data, size_t size)
{
    char *src = sv_fuzz_cstr(data, size);
    sv_error err = {{0}};
    sv_expr *e = NULL;

    for (int constraint = 0; constraint <= 1; constraint++) {
        sv_status st =
            sv_expr_parse(&e, src, constraint == 1, resolve, form, &err);
        if (st == SV_OK)
            evaluate(e, constraint == 1);
        sv_expr_destroy(&e);
    }
    free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t mode = data[0] % 8;
    if (mode < N_SHEETS)
        fuzz_sheet(mode, data + 1, size - 1);
    else
        fuzz_expr(data + 1, size - 1);
    return 0;
}
