/* answer_text.c: see answer_text.h. */
#include "answer_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const Survey__V1__Question *
sv_question_find(const Survey__V1__Questionnaire *qn, const char *name)
{
    for (size_t i = 0; qn != NULL && i < qn->n_questions; i++) {
        if (qn->questions[i] != NULL &&
            strcmp(qn->questions[i]->name, name) == 0)
            return qn->questions[i];
    }
    return NULL;
}

int sv_question_has_option(const Survey__V1__Question *q, const char *option)
{
    for (size_t i = 0; q != NULL && i < q->n_options; i++) {
        if (strcmp(q->options[i], option) == 0)
            return 1;
    }
    return 0;
}

char *sv_question_options(const Survey__V1__Question *q, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; q != NULL && i < q->n_options; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "",
                         q->options[i]);
        if (w < 0 || (size_t)w >= size - used) {
            if (size >= 4)
                memcpy(buf + size - 4, "...", 4);
            return buf;
        }
        used += (size_t)w;
    }
    return buf;
}

int sv_parse_integer(const char *text, int64_t *out)
{
    const char *p = text;
    bool neg = *p == '-';
    if (neg)
        p++;
    size_t first = strspn(p, "0123456789");
    if (first == 0)
        return 0;
    bool grouped = p[first] == ',';
    if (grouped && first > 3)
        return 0;
    uint64_t mag = 0;
    size_t run = 0; /* digits since the last separator */
    for (; *p != '\0'; p++) {
        if (*p == ',') {
            if (!grouped || (run != 3 && p != text + neg + first))
                return 0;
            run = 0;
            continue;
        }
        if (*p < '0' || *p > '9')
            return 0;
        if (mag > (UINT64_MAX - 9) / 10)
            return 0;
        mag = mag * 10 + (uint64_t)(*p - '0');
        run++;
    }
    if (grouped && run != 3)
        return 0;
    if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
        return 0;
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return 1;
}

/* The names of a comma-separated list as a malloc'd Choices. */
static sv_status split_choices(const char *text, Survey__V1__Choices **out)
{
    size_t max = 1;
    for (const char *p = text; *p != '\0'; p++)
        max += *p == ',';
    Survey__V1__Choices *c = malloc(sizeof *c);
    if (c == NULL)
        return SV_ERR_NOMEM;
    survey__v1__choices__init(c);
    c->options = calloc(max, sizeof *c->options);
    if (c->options == NULL) {
        free(c);
        return SV_ERR_NOMEM;
    }
    const char *p = text;
    for (;;) {
        size_t len = strcspn(p, ",");
        const char *s = p;
        size_t n = len;
        while (n > 0 && *s == ' ') {
            s++;
            n--;
        }
        while (n > 0 && s[n - 1] == ' ')
            n--;
        if (n > 0) {
            char *name = strndup(s, n);
            if (name == NULL) {
                survey__v1__choices__free_unpacked(c, NULL);
                return SV_ERR_NOMEM;
            }
            c->options[c->n_options++] = name;
        }
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    *out = c;
    return SV_OK;
}

/* The first option of c that q does not have, or NULL. */
static const char *unknown_choice(const Survey__V1__Question *q,
                                  const Survey__V1__Choices *c)
{
    for (size_t i = 0; i < c->n_options; i++) {
        if (!sv_question_has_option(q, c->options[i]))
            return c->options[i];
    }
    return NULL;
}

/* Fills a's value; SV_ERR_INVALID (err set) when it does not fit q. */
static sv_status set_value(Survey__V1__Answer *a, const Survey__V1__Question *q,
                           const char *name, const char *text, sv_error *err)
{
    char opts[256];
    Survey__V1__Question__Type type =
        q != NULL ? q->type : SURVEY__V1__QUESTION__TYPE__TEXT;
    if (type == SURVEY__V1__QUESTION__TYPE__INTEGER) {
        int64_t v;
        if (sv_parse_integer(text, &v)) {
            a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
            a->integer = v;
            return SV_OK;
        }
    }
    if (type == SURVEY__V1__QUESTION__TYPE__SELECT_MULTIPLE) {
        Survey__V1__Choices *c = NULL;
        if (split_choices(text, &c) != SV_OK)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
        a->choices = c;
        const char *bad = unknown_choice(q, c);
        if (bad == NULL && c->n_options > 0)
            return SV_OK;
        if (bad == NULL)
            return sv_fail(err, SV_ERR_INVALID, "\"%s\" names no option of %s",
                           text, name);
        return sv_fail(err, SV_ERR_INVALID,
                       "\"%s\" is not an option of %s (%s)", bad, name,
                       sv_question_options(q, opts, sizeof opts));
    }
    char *s = strdup(text);
    if (s == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (type == SURVEY__V1__QUESTION__TYPE__SELECT_ONE) {
        a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
        a->choice = s;
        if (sv_question_has_option(q, text))
            return SV_OK;
        return sv_fail(err, SV_ERR_INVALID,
                       "\"%s\" is not an option of %s (%s)", text, name,
                       sv_question_options(q, opts, sizeof opts));
    }
    a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    a->text = s;
    if (type == SURVEY__V1__QUESTION__TYPE__INTEGER)
        return sv_fail(err, SV_ERR_INVALID, "\"%s\" is not an integer", text);
    if (q == NULL)
        return sv_fail(err, SV_ERR_INVALID, "%s is not a question", name);
    return SV_OK;
}

sv_status sv_answer_from_text(const Survey__V1__Question *q, const char *name,
                              const char *text, Survey__V1__Answer **out,
                              sv_error *err)
{
    *out = NULL;
    Survey__V1__Answer *a = malloc(sizeof *a);
    if (a == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    survey__v1__answer__init(a);
    a->question = strdup(name);
    if (a->question == NULL) {
        free(a);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    sv_status st = set_value(a, q, name, text, err);
    if (st == SV_ERR_NOMEM) {
        survey__v1__answer__free_unpacked(a, NULL);
        return st;
    }
    *out = a;
    return st;
}
