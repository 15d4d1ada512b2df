/* questionnaire.h: the questionnaire model. Loads one yearly survey written
 * as XLSForm CSV sheets (settings.csv, survey.csv, choices.csv, and the
 * roster.csv of expected respondents), parses every `relevant` and
 * `constraint` expression once, and validates answer sets against it.
 *
 * The questionnaire is data, not code: nothing here knows the 2024 form.
 *
 * Limits (documented in the README, enforced by validation):
 *   SV_TEXT_MAX_BYTES      text answers, bytes of UTF-8
 *   SV_MAX_ANSWERS         answers in one submission
 *   SV_INTEGER_MIN/MAX     integer answers
 *   SV_MAX_OPTIONS         options in one choice list (select bitmask) */
#ifndef SV_QUESTIONNAIRE_H
#define SV_QUESTIONNAIRE_H

#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SV_TEXT_MAX_BYTES 8000
#define SV_MAX_ANSWERS 1000
#define SV_INTEGER_MIN (-2147483647LL - 1)
#define SV_INTEGER_MAX 2147483647LL
#define SV_MAX_OPTIONS 64

typedef enum {
    SV_Q_INTEGER = 1,
    SV_Q_TEXT,
    SV_Q_SELECT_ONE,
    SV_Q_SELECT_MULTIPLE
} sv_qtype;

/* Bits of the `report` column. */
enum {
    SV_REPORT_RATE = 1u << 0,   /* implementation-rate table */
    SV_REPORT_MATRIX = 1u << 1, /* column of the per-respondent matrix */
    SV_REPORT_SUM = 1u << 2,    /* totalled */
    SV_REPORT_FREQ = 1u << 3,   /* frequency table */
    SV_REPORT_LIST = 1u << 4    /* listed per respondent */
};

typedef struct {
    const char *name;
    const char *label;
} sv_option;

typedef struct {
    const char *name;
    const char *label;
    int parent; /* index of the enclosing group, -1 at top level */
} sv_group;

typedef struct {
    const char *name;
    const char *label;
    sv_qtype type;
    const char *list_name;    /* select questions, else NULL */
    const sv_option *options; /* select questions, in sheet order */
    size_t n_options;
    bool required;
    const char *relevant;   /* the row's own expression source, or NULL */
    const char *constraint; /* expression source, or NULL */
    int group;              /* index of the innermost group, -1 if none */
    unsigned report;        /* SV_REPORT_* bits */
} sv_question;

typedef struct {
    const char *code; /* 6-digit 全国地方公共団体コード */
    const char *name;
    const char *prefecture;
    const char *type; /* 都道府県, 指定都市, 中核市, 児童相談所設置市 */
} sv_respondent;

typedef struct sv_questionnaire sv_questionnaire;

/* Loads the sheets in dir. On a malformed sheet or expression returns
 * SV_ERR_PARSE (or SV_ERR_IO) and err names the file, row and column, e.g.
 * "survey.csv:12: column relevant: unexpected ')' at offset 7".
 * On success *out is owned by the caller: sv_questionnaire_destroy(). */
sv_status sv_questionnaire_load(sv_questionnaire **out, const char *dir,
                                sv_error *err);

/* Frees *self and sets it to NULL. NULL-safe. */
void sv_questionnaire_destroy(sv_questionnaire **self);

/* settings.csv: form_id (the survey id on the wire), version, title. The
 * strings are owned by the questionnaire. */
const char *sv_questionnaire_id(const sv_questionnaire *q);
const char *sv_questionnaire_version(const sv_questionnaire *q);
const char *sv_questionnaire_title(const sv_questionnaire *q);

/* Questions in sheet order (groups are not questions). */
size_t sv_questionnaire_count(const sv_questionnaire *q);
const sv_question *sv_questionnaire_question(const sv_questionnaire *q,
                                             size_t i);
/* Index of the named question, or -1. */
int sv_questionnaire_find(const sv_questionnaire *q, const char *name);
/* Index of the named option in question i's list, or -1. */
int sv_question_option(const sv_question *question, const char *name);

size_t sv_questionnaire_group_count(const sv_questionnaire *q);
const sv_group *sv_questionnaire_group(const sv_questionnaire *q, size_t i);

/* Effective relevance of question i as source text: its own `relevant` and
 * those of its enclosing groups joined with " and ", or "" when always
 * relevant. Owned by the questionnaire. */
const char *sv_questionnaire_relevant_text(const sv_questionnaire *q, size_t i);

/* The roster, in file order. */
size_t sv_questionnaire_roster_count(const sv_questionnaire *q);
const sv_respondent *sv_questionnaire_respondent(const sv_questionnaire *q,
                                                 size_t i);
/* Index of the respondent with that code, or -1. */
int sv_questionnaire_find_respondent(const sv_questionnaire *q,
                                     const char *code);
/* As sv_questionnaire_find_respondent, for a walk through codes in
 * ascending (byte) order, as a scan of stored records yields them: *pos is
 * the walk's position (start it at 0); when code is the one after the
 * previous, the lookup is one comparison instead of a binary search. */
/* The code of the k-th respondent in code (byte) order, or NULL when
 * k >= the roster's size. */
const char *sv_questionnaire_code_at(const sv_questionnaire *q, size_t k);
int sv_questionnaire_walk_respondent(const sv_questionnaire *q,
                                     const char *code, size_t *pos);

/* A decoded answer: the compact form used for relevance, constraints and
 * aggregation. TEXT points into the caller's data (not copied). */
typedef enum {
    SV_V_NONE = 0, /* not answered */
    SV_V_CHOICE,   /* select_one: option index */
    SV_V_CHOICES,  /* select_multiple: bitmask of option indexes */
    SV_V_INTEGER,
    SV_V_TEXT
} sv_vkind;

typedef struct {
    sv_vkind kind;
    uint32_t choice;
    uint64_t choices;
    int64_t integer;
    const char *text;
    size_t text_len;
} sv_value;

typedef struct {
    char *question; /* as submitted (may be unknown to the questionnaire) */
    char *value;    /* the offending value as text ("" when none) */
    Survey__V1__Problem__Rule rule;
    char *message; /* the rule in words */
} sv_problem;

/* The outcome of validating one answer set. */
typedef struct {
    sv_problem *problems; /* every problem found, in answer order */
    size_t n_problems;
    const char **missing; /* names of required, relevant, unanswered
                             questions; owned by the questionnaire */
    size_t n_missing;
} sv_verdict;

/* Validates answers[0..n) as a complete answer set and reports every
 * problem (see Survey__V1__Problem__Rule), not only the first. If values is
 * non-NULL it must hold sv_questionnaire_count(q) entries and receives the
 * decoded answers (SV_V_NONE where unanswered or invalid).
 * Returns SV_OK when validation ran (verdict->n_problems says whether the
 * answers are acceptable), SV_ERR_NOMEM otherwise. Clear the verdict with
 * sv_verdict_clear() in both cases. */
sv_status sv_questionnaire_validate(const sv_questionnaire *q,
                                    const Survey__V1__Answer *const *answers,
                                    size_t n, sv_value *values,
                                    sv_verdict *verdict);

/* As sv_questionnaire_validate, and if relevant is non-NULL it must hold
 * sv_questionnaire_count(q) entries and receives the relevance computed
 * during validation. When the verdict has no problems this equals what
 * sv_questionnaire_relevance(q, values, relevant) gives (every answer was
 * accepted), without evaluating the expressions a second time. */
sv_status sv_questionnaire_validate_relevance(
    const sv_questionnaire *q, const Survey__V1__Answer *const *answers,
    size_t n, sv_value *values, bool *relevant, sv_verdict *verdict);

/* The verdict validation gives n answers when n > SV_MAX_ANSWERS (one
 * TOO_MANY_ANSWERS problem), for a caller that refused them before they
 * were decoded. Clear it with sv_verdict_clear(). */
sv_status sv_verdict_too_many_answers(size_t n, sv_verdict *verdict);

/* Frees what a verdict owns and zeroes it. */
void sv_verdict_clear(sv_verdict *verdict);

/* Fills relevant[0..count) with each question's effective relevance given
 * the decoded values (group relevance included). */
void sv_questionnaire_relevance(const sv_questionnaire *q,
                                const sv_value *values, bool *relevant);

#endif
