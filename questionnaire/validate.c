/* validate.c: checks a submitted answer set against the questionnaire and
 * reports every problem (sv_questionnaire_validate(), see questionnaire.h).
 *
 * Each answer is first checked on its own (name, duplicate, type, encoding,
 * option, range); the answers that pass are decoded, and then relevance is
 * computed in sheet order and constraints are evaluated on them. Problems
 * are collected in one slot per answer, so that each answer has at most one
 * and they come out in answer order.
 *
 * Semantics beyond the rule list of questionnaire.h:
 * - An answer that fails a per-answer check reads as unanswered for
 *   relevance and constraints; values[] holds SV_V_NONE for every answer
 *   with a problem (NOT_RELEVANT and CONSTRAINT included).
 * - Relevance is decided before constraints: an answer that breaks its
 *   constraint still counts for the relevance of other questions.
 * - Of a repeated question the first answer is the one kept, even if it has
 *   a problem itself.
 * - `missing` lists questions that were not answered at all: a question
 *   whose answer has a problem is reported by the problem, not as missing.
 * - Echoed questions and values have invalid UTF-8 bytes written as \xNN
 *   and are cut after about 200 bytes with "…". */
#include "questionnaire_private.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX 200 /* bytes of a question or value echoed in a problem */

typedef Survey__V1__Problem__Rule rule_t;

/* ---- a growable string ------------------------------------------------ */

struct sbuf {
    char *buf; /* owned until sb_take() */
    size_t len;
    size_t cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *buf = realloc(b->buf, cap);
        if (buf == NULL) {
            b->oom = true;
            return;
        }
        b->buf = buf;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        sb_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, big, (size_t)n);
    free(big);
}

/* Appends s with every byte that is not part of valid UTF-8 written as the
 * text \xNN. Stops with "…" once the buffer would pass limit bytes; returns
 * false if it did so. */
static bool sb_escaped(struct sbuf *b, const char *s, size_t limit)
{
    size_t n = strlen(s);

    for (size_t i = 0; i < n;) {
        char hex[5];
        size_t seq = sv_utf8_seq(s + i, n - i);
        const char *piece = s + i;
        size_t len = seq;
        if (seq == 0) {
            snprintf(hex, sizeof hex, "\\x%02X", (unsigned char)s[i]);
            piece = hex;
            len = 4;
        }
        if (b->len + len > limit) {
            sb_str(b, "\xE2\x80\xA6"); /* … */
            return false;
        }
        sb_add(b, piece, len);
        i += seq == 0 ? 1 : seq;
    }
    return true;
}

/* The string built so far (never NULL unless out of memory); b is reset. */
static char *sb_take(struct sbuf *b)
{
    sb_add(b, "", 0);
    char *s = b->oom ? NULL : b->buf;
    if (b->oom)
        free(b->buf);
    memset(b, 0, sizeof *b);
    return s;
}

/* ---- problems --------------------------------------------------------- */

static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Whether s holds nothing but spaces: ASCII white space, the ideographic
 * space U+3000 (a Japanese keyboard's) and the no-break space U+00A0. A
 * text answer of only these says nothing, as an empty one. */
static bool blank(const char *s)
{
    const unsigned char *u = (const unsigned char *)str_or_empty(s);

    while (*u != '\0') {
        if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
            u++;
        else if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
            u += 3;
        else if (u[0] == 0xC2 && u[1] == 0xA0)
            u += 2;
        else
            return false;
    }
    return true;
}

static size_t n_choices(const Survey__V1__Answer *a)
{
    return a->choices != NULL ? a->choices->n_options : 0;
}

static const char *choice_at(const Survey__V1__Answer *a, size_t i)
{
    return str_or_empty(a->choices->options[i]);
}

/* The answer's value as text: option, options joined with ",", integer in
 * decimal, or text; escaped and cut at about ECHO_MAX bytes. */
static void render_value(struct sbuf *b, const Survey__V1__Answer *a)
{
    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        sb_escaped(b, str_or_empty(a->choice), ECHO_MAX);
        break;
    case SURVEY__V1__ANSWER__VALUE_CHOICES:
        for (size_t i = 0; i < n_choices(a); i++) {
            if (i > 0)
                sb_str(b, ",");
            if (!sb_escaped(b, choice_at(a, i), ECHO_MAX))
                break;
        }
        break;
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        sb_printf(b, "%" PRId64, a->integer);
        break;
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        sb_escaped(b, str_or_empty(a->text), ECHO_MAX);
        break;
    default:
        break;
    }
}

/* Fills slot with a problem about answer a (NULL for none): the question and
 * value echo the answer, the message is built from fmt. */
static sv_status set_problem(sv_problem *slot, const Survey__V1__Answer *a,
                             rule_t rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static sv_status set_problem(sv_problem *slot, const Survey__V1__Answer *a,
                             rule_t rule, const char *fmt, ...)
{
    struct sbuf b = {0};
    char *message;
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SV_ERR_NOMEM;
    message = malloc((size_t)n + 1);
    if (message == NULL)
        return SV_ERR_NOMEM;
    va_start(ap, fmt);
    vsnprintf(message, (size_t)n + 1, fmt, ap);
    va_end(ap);
    slot->message = message;
    slot->rule = rule;
    if (a != NULL)
        sb_escaped(&b, str_or_empty(a->question), ECHO_MAX);
    slot->question = sb_take(&b);
    if (a != NULL)
        render_value(&b, a);
    slot->value = sb_take(&b);
    if (slot->question == NULL || slot->value == NULL)
        return SV_ERR_NOMEM;
    return SV_OK;
}

/* ---- checks of one answer --------------------------------------------- */

/* Everything a validation run works on. */
struct run {
    const sv_questionnaire *q;
    const Survey__V1__Answer *const *answers;
    size_t n;
    sv_value *vals;   /* per question: decoded valid answers */
    int *answer_of;   /* per question: first answer naming it, or -1 */
    bool *relevant;   /* per question */
    sv_problem *slot; /* per answer: at most one problem; NULL until the
                         first problem */
    size_t next;      /* the question after the last one found: answers
                         mostly come in sheet order (find_question) */
};

static const char *type_name(sv_qtype t)
{
    switch (t) {
    case SV_Q_INTEGER:
        return "an integer";
    case SV_Q_TEXT:
        return "a text";
    case SV_Q_SELECT_ONE:
        return "a select_one";
    case SV_Q_SELECT_MULTIPLE:
        return "a select_multiple";
    }
    return "an unknown";
}

static const char *kind_name(Survey__V1__Answer__ValueCase c)
{
    switch (c) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        return "choice";
    case SURVEY__V1__ANSWER__VALUE_CHOICES:
        return "choices";
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        return "integer";
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        return "text";
    default:
        return "no value";
    }
}

/* Step 4: the value kind against the question type. */
static sv_status check_kind(const sv_question *qu, const Survey__V1__Answer *a,
                            sv_problem *slot)
{
    Survey__V1__Answer__ValueCase c = a->value_case;
    const char *omit = "omit the answer to leave it unanswered";

    if (c != SURVEY__V1__ANSWER__VALUE_CHOICE &&
        c != SURVEY__V1__ANSWER__VALUE_CHOICES &&
        c != SURVEY__V1__ANSWER__VALUE_INTEGER &&
        c != SURVEY__V1__ANSWER__VALUE_TEXT)
        return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                           "no value");
    switch (qu->type) {
    case SV_Q_SELECT_ONE:
        if (c == SURVEY__V1__ANSWER__VALUE_CHOICES && n_choices(a) == 0)
            return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                               "no option; %s", omit);
        if (c == SURVEY__V1__ANSWER__VALUE_CHOICES && n_choices(a) > 1)
            return set_problem(slot, a,
                               SURVEY__V1__PROBLEM__RULE__TOO_MANY_OPTIONS,
                               "%s is a select_one question; got %zu options",
                               qu->name, n_choices(a));
        if (c == SURVEY__V1__ANSWER__VALUE_CHOICE ||
            c == SURVEY__V1__ANSWER__VALUE_CHOICES)
            return SV_OK;
        break;
    case SV_Q_SELECT_MULTIPLE:
        if (c == SURVEY__V1__ANSWER__VALUE_CHOICES && n_choices(a) == 0)
            return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                               "no options; %s", omit);
        if (c == SURVEY__V1__ANSWER__VALUE_CHOICES)
            return SV_OK;
        break;
    case SV_Q_INTEGER:
        if (c == SURVEY__V1__ANSWER__VALUE_INTEGER)
            return SV_OK;
        break;
    case SV_Q_TEXT:
        if (c == SURVEY__V1__ANSWER__VALUE_TEXT &&
            str_or_empty(a->text)[0] == '\0')
            return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                               "empty text; %s", omit);
        if (c == SURVEY__V1__ANSWER__VALUE_TEXT && blank(a->text))
            return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                               "blank text (only spaces); %s", omit);
        if (c == SURVEY__V1__ANSWER__VALUE_TEXT)
            return SV_OK;
        break;
    }
    return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__WRONG_TYPE,
                       "%s is %s question; got %s", qu->name,
                       type_name(qu->type), kind_name(c));
}

/* Step 5: every string of the value is UTF-8. */
static sv_status check_encoding(const Survey__V1__Answer *a, sv_problem *slot)
{
    const char *bad = NULL;

    if (a->value_case == SURVEY__V1__ANSWER__VALUE_TEXT) {
        const char *t = str_or_empty(a->text);
        if (!sv_utf8_valid(t, strlen(t)))
            bad = "text";
    } else if (a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICE) {
        const char *t = str_or_empty(a->choice);
        if (!sv_utf8_valid(t, strlen(t)))
            bad = "option";
    } else if (a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICES) {
        for (size_t i = 0; i < n_choices(a) && bad == NULL; i++) {
            const char *t = choice_at(a, i);
            if (!sv_utf8_valid(t, strlen(t)))
                bad = "option";
        }
    }
    if (bad == NULL)
        return SV_OK;
    return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__BAD_ENCODING,
                       "%s is not valid UTF-8", bad);
}

static sv_status unknown_option(const sv_question *qu,
                                const Survey__V1__Answer *a, const char *opt,
                                sv_problem *slot)
{
    struct sbuf b = {0};

    sb_str(&b, "'");
    sb_escaped(&b, opt, ECHO_MAX);
    sb_printf(&b, "' is not an option of list %s (", qu->list_name);
    for (size_t i = 0; i < qu->n_options; i++)
        sb_printf(&b, "%s%s", i > 0 ? ", " : "", qu->options[i].name);
    sb_str(&b, ")");
    char *text = sb_take(&b);
    if (text == NULL)
        return SV_ERR_NOMEM;
    sv_status st = set_problem(
        slot, a, SURVEY__V1__PROBLEM__RULE__UNKNOWN_OPTION, "%s", text);
    free(text);
    return st;
}

/* An option the list does not have: a bad encoding of the value (step 5)
 * is reported before it. */
static sv_status not_an_option(const sv_question *qu,
                               const Survey__V1__Answer *a, const char *opt,
                               sv_problem *slot)
{
    sv_status st = check_encoding(a, slot);

    if (st != SV_OK || slot->rule != 0)
        return st;
    return unknown_option(qu, a, opt, slot);
}

/* Step 6: options exist and none repeats. Decodes into *v when valid. Step
 * 5 is made here: a value that names an option is UTF-8, as every name in
 * the sheets is (sheet.c), so the encoding is checked only when one does
 * not. */
static sv_status check_options(const sv_question *qu,
                               const Survey__V1__Answer *a, sv_value *v,
                               sv_problem *slot)
{
    if (a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICE ||
        qu->type == SV_Q_SELECT_ONE) {
        const char *opt = a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICE
                              ? str_or_empty(a->choice)
                              : choice_at(a, 0);
        int i = sv_question_option(qu, opt);
        if (i < 0)
            return not_an_option(qu, a, opt, slot);
        v->kind = SV_V_CHOICE;
        v->choice = (uint32_t)i;
        return SV_OK;
    }
    /* an unknown option is reported before a repeated one, wherever each
       is in the list */
    uint64_t set = 0;
    size_t repeated = SIZE_MAX;
    for (size_t k = 0; k < n_choices(a); k++) {
        int i = sv_question_option(qu, choice_at(a, k));
        if (i < 0)
            return not_an_option(qu, a, choice_at(a, k), slot);
        uint64_t bit = UINT64_C(1) << i;
        if ((set & bit) && repeated == SIZE_MAX)
            repeated = k;
        set |= bit;
    }
    if (repeated != SIZE_MAX)
        return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__DUPLICATE_OPTION,
                           "option %s is given twice", choice_at(a, repeated));
    v->kind = SV_V_CHOICES;
    v->choices = set;
    return SV_OK;
}

/* Step 7: integer range and text length. Decodes into *v when valid. */
static sv_status check_size(const Survey__V1__Answer *a, sv_value *v,
                            sv_problem *slot)
{
    if (a->value_case == SURVEY__V1__ANSWER__VALUE_INTEGER) {
        if (a->integer < SV_INTEGER_MIN || a->integer > SV_INTEGER_MAX)
            return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__OUT_OF_RANGE,
                               "integer outside [%lld, %lld]",
                               (long long)SV_INTEGER_MIN,
                               (long long)SV_INTEGER_MAX);
        v->kind = SV_V_INTEGER;
        v->integer = a->integer;
        return SV_OK;
    }
    size_t len = strlen(str_or_empty(a->text));
    if (len > SV_TEXT_MAX_BYTES)
        return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__TOO_LONG,
                           "text is %zu bytes; the limit is %d bytes", len,
                           SV_TEXT_MAX_BYTES);
    v->kind = SV_V_TEXT;
    v->text = str_or_empty(a->text);
    v->text_len = len;
    return SV_OK;
}

/* Keeps the problem found (if any) about answer k in its slot; the slots
 * are made on the first problem. st is what finding it returned; out of
 * memory for the slots, the problem is freed and SV_ERR_NOMEM returned. */
static sv_status keep_problem(struct run *r, size_t k, sv_problem *found,
                              sv_status st)
{
    if (found->rule == 0 && found->question == NULL && found->value == NULL &&
        found->message == NULL)
        return st;
    if (r->slot == NULL)
        r->slot = calloc(r->n + 1, sizeof *r->slot);
    if (r->slot == NULL) {
        free(found->question);
        free(found->value);
        free(found->message);
        return SV_ERR_NOMEM;
    }
    r->slot[k] = *found;
    return st;
}

/* Questions looked at after the last one found before a search by name:
 * answers come in sheet order, skipping the questions left unanswered. */
#define LOOK_AHEAD 8

/* The question named name, or -1. */
static int find_question(const struct run *r, const char *name)
{
    const sv_questionnaire *q = r->q;
    size_t end = r->next + LOOK_AHEAD < q->n_questions ? r->next + LOOK_AHEAD
                                                       : q->n_questions;

    for (size_t i = r->next; i < end; i++) {
        const char *qname = q->questions[i].name;
        /* names are unique (questionnaire.c) */
        if (qname[0] == name[0] && strcmp(qname, name) == 0)
            return (int)i;
    }
    return sv_questionnaire_find(q, name);
}

/* Steps 2 to 7 for answer k, its problem (if any) put in *slot. A valid
 * answer is decoded into r->vals. */
static sv_status check_answer_into(struct run *r, size_t k, sv_problem *slot)
{
    static const Survey__V1__Answer none = SURVEY__V1__ANSWER__INIT;
    const Survey__V1__Answer *a = r->answers[k] ? r->answers[k] : &none;
    const char *name = str_or_empty(a->question);
    sv_value v = {0};
    sv_status st;

    int qi = find_question(r, name);
    if (qi >= 0)
        r->next = (size_t)qi + 1;
    if (qi < 0)
        return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION,
                           name[0] == '\0' ? "no question name"
                                           : "no such question");
    if (r->answer_of[qi] >= 0)
        return set_problem(
            slot, a, SURVEY__V1__PROBLEM__RULE__DUPLICATE_QUESTION,
            "answered more than once; only the first (answer %d) counts",
            r->answer_of[qi] + 1);
    r->answer_of[qi] = (int)k;
    const sv_question *qu = &r->q->questions[qi];
    bool select =
        qu->type == SV_Q_SELECT_ONE || qu->type == SV_Q_SELECT_MULTIPLE;
    st = check_kind(qu, a, slot);
    if (st == SV_OK && slot->rule == 0 && !select)
        st = check_encoding(a, slot);
    if (st == SV_OK && slot->rule == 0) {
        if (select)
            st = check_options(qu, a, &v, slot); /* and step 5 */
        else
            st = check_size(a, &v, slot);
    }
    if (st == SV_OK && slot->rule == 0)
        r->vals[qi] = v;
    return st;
}

static sv_status check_answer(struct run *r, size_t k)
{
    sv_problem found = {0};

    return keep_problem(r, k, &found, check_answer_into(r, k, &found));
}

/* ---- relevance, constraints, missing ---------------------------------- */

/* Steps 8 and 9 for question i, answered with a valid value: its problem
 * (if any) put in *slot. */
static sv_status check_rules_at(struct run *r, size_t i, sv_problem *slot)
{
    const sv_questionnaire *q = r->q;
    const Survey__V1__Answer *a = r->answers[r->answer_of[i]];
    const struct sv_qinfo *info = &q->qinfo[i];

    if (!r->relevant[i])
        return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT,
                           "answered, but relevant only when %s",
                           info->relevant_text);
    sv_expr_env env = {.questions = q->questions,
                       .values = r->vals,
                       .relevant = r->relevant,
                       .n_known = q->n_questions,
                       .self = (int)i};
    if (info->constraint == NULL || sv_expr_eval(info->constraint, &env))
        return SV_OK;
    if (info->constraint_message[0] != '\0')
        return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__CONSTRAINT, "%s",
                           info->constraint_message);
    return set_problem(slot, a, SURVEY__V1__PROBLEM__RULE__CONSTRAINT,
                       "answer must satisfy %s",
                       sv_expr_source(info->constraint));
}

/* Steps 8 and 9, in sheet order. */
static sv_status check_rules(struct run *r)
{
    const sv_questionnaire *q = r->q;
    sv_status st = SV_OK;

    sv_questionnaire_relevance(q, r->vals, r->relevant);
    for (size_t i = 0; i < q->n_questions && st == SV_OK; i++) {
        if (r->vals[i].kind == SV_V_NONE)
            continue;
        sv_problem found = {0};
        st = keep_problem(r, (size_t)r->answer_of[i], &found,
                          check_rules_at(r, i, &found));
    }
    return st;
}

static sv_status list_missing(const struct run *r, sv_verdict *verdict)
{
    const sv_questionnaire *q = r->q;

    verdict->missing = calloc(q->n_questions + 1, sizeof *verdict->missing);
    if (verdict->missing == NULL)
        return SV_ERR_NOMEM;
    for (size_t i = 0; i < q->n_questions; i++) {
        if (q->questions[i].required && r->relevant[i] && r->answer_of[i] < 0)
            verdict->missing[verdict->n_missing++] = q->questions[i].name;
    }
    return SV_OK;
}

/* Moves the filled slots to the front; frees the array if none is. */
static void compact_problems(sv_verdict *verdict)
{
    size_t n = 0;

    for (size_t k = 0; k < verdict->n_problems; k++) {
        if (verdict->problems[k].rule != 0)
            verdict->problems[n++] = verdict->problems[k];
    }
    verdict->n_problems = n;
    if (n == 0) {
        free(verdict->problems);
        verdict->problems = NULL;
    }
}

static sv_status too_many(size_t n, sv_verdict *verdict)
{
    verdict->problems = calloc(1, sizeof *verdict->problems);
    if (verdict->problems == NULL)
        return SV_ERR_NOMEM;
    verdict->n_problems = 1;
    sv_status st = set_problem(
        verdict->problems, NULL, SURVEY__V1__PROBLEM__RULE__TOO_MANY_ANSWERS,
        "%zu answers; the limit is %d per submission", n, SV_MAX_ANSWERS);
    if (st != SV_OK)
        return st;
    free(verdict->problems->value);
    verdict->problems->value = malloc(24);
    if (verdict->problems->value == NULL)
        return SV_ERR_NOMEM;
    snprintf(verdict->problems->value, 24, "%zu", n);
    return SV_OK;
}

sv_status sv_verdict_too_many_answers(size_t n, sv_verdict *verdict)
{
    memset(verdict, 0, sizeof *verdict);
    return too_many(n, verdict);
}

sv_status sv_questionnaire_validate(const sv_questionnaire *q,
                                    const Survey__V1__Answer *const *answers,
                                    size_t n, sv_value *values,
                                    sv_verdict *verdict)
{
    return sv_questionnaire_validate_relevance(q, answers, n, values, NULL,
                                               verdict);
}

/* Questionnaires up to this many questions are validated in scratch space
 * on the stack; larger ones allocate it. */
#define SMALL_QUESTIONNAIRE 128

sv_status sv_questionnaire_validate_relevance(
    const sv_questionnaire *q, const Survey__V1__Answer *const *answers,
    size_t n, sv_value *values, bool *relevant, sv_verdict *verdict)
{
    size_t count = q->n_questions;
    struct run r = {.q = q, .answers = answers, .n = n};
    sv_value small_vals[SMALL_QUESTIONNAIRE];
    int small_answer_of[SMALL_QUESTIONNAIRE];
    bool small_relevant[SMALL_QUESTIONNAIRE];
    bool small = count <= SMALL_QUESTIONNAIRE;
    sv_status st = SV_ERR_NOMEM;

    memset(verdict, 0, sizeof *verdict);
    if (values != NULL)
        memset(values, 0, count * sizeof *values);
    if (n > SV_MAX_ANSWERS)
        return too_many(n, verdict);
    /* the answers are decoded straight into values (already cleared),
       when given; those with a problem are cleared again at the end */
    if (small) {
        r.vals = values != NULL ? values : small_vals;
        r.answer_of = small_answer_of;
        r.relevant = small_relevant;
        if (values == NULL)
            memset(r.vals, 0, count * sizeof *r.vals);
        memset(r.relevant, 0, count * sizeof *r.relevant);
    } else {
        r.vals = values != NULL ? values : calloc(count, sizeof *r.vals);
        r.answer_of = malloc(count * sizeof *r.answer_of);
        r.relevant = calloc(count, sizeof *r.relevant);
        if (r.vals == NULL || r.answer_of == NULL || r.relevant == NULL)
            goto done;
    }
    for (size_t i = 0; i < count; i++)
        r.answer_of[i] = -1;
    st = SV_OK;
    for (size_t k = 0; k < n && st == SV_OK; k++)
        st = check_answer(&r, k);
    if (st == SV_OK)
        st = check_rules(&r);
    if (st == SV_OK)
        st = list_missing(&r, verdict);
    for (size_t i = 0; i < count && values != NULL && r.slot != NULL; i++) {
        if (r.answer_of[i] >= 0 && r.slot[r.answer_of[i]].rule != 0)
            memset(&values[i], 0, sizeof values[i]);
    }
    if (relevant != NULL && st == SV_OK)
        memcpy(relevant, r.relevant, count * sizeof *relevant);
done:
    if (values != NULL && st != SV_OK)
        memset(values, 0, count * sizeof *values);
    /* the verdict owns the slots (so that it can always be cleared); the
       empty ones are dropped */
    verdict->problems = r.slot;
    verdict->n_problems = r.slot != NULL ? n : 0;
    compact_problems(verdict);
    if (!small) {
        if (r.vals != values)
            free(r.vals);
        free(r.answer_of);
        free(r.relevant);
    }
    return st;
}

void sv_verdict_clear(sv_verdict *verdict)
{
    if (verdict == NULL)
        return;
    for (size_t k = 0; k < verdict->n_problems; k++) {
        free(verdict->problems[k].question);
        free(verdict->problems[k].value);
        free(verdict->problems[k].message);
    }
    free(verdict->problems);
    free((void *)verdict->missing);
    memset(verdict, 0, sizeof *verdict);
}
