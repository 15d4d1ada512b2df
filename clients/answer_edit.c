/* answer_edit.c: see answer_edit.h. */
#include "answer_edit.h"

#include "history.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sv_edit {
    const Survey__V1__Revision *base; /* borrowed, may be NULL */
    Survey__V1__Answer **answers;     /* n in use, cap allocated */
    bool *owned;                      /* per answer: ours to free */
    size_t n, cap;
};

sv_status sv_edit_new(sv_edit **out, const Survey__V1__Revision *base,
                      sv_error *err)
{
    sv_edit *e = calloc(1, sizeof *e);
    if (e == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    e->base = base;
    size_t n = base != NULL ? base->n_answers : 0;
    e->cap = n + 8;
    e->answers = calloc(e->cap, sizeof *e->answers);
    e->owned = calloc(e->cap, sizeof *e->owned);
    if (e->answers == NULL || e->owned == NULL) {
        sv_edit_destroy(&e);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        e->answers[e->n++] = base->answers[i];
    *out = e;
    return SV_OK;
}

void sv_edit_destroy(sv_edit **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_edit *e = *self;
    for (size_t i = 0; i < e->n; i++) {
        if (e->owned[i])
            survey__v1__answer__free_unpacked(e->answers[i], NULL);
    }
    free(e->answers);
    free(e->owned);
    free(e);
    *self = NULL;
}

static size_t find(const sv_edit *e, const char *question)
{
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->answers[i]->question, question) == 0)
            return i;
    }
    return e->n;
}

/* Room for one more answer. */
static bool grow(sv_edit *e)
{
    if (e->n < e->cap)
        return true;
    size_t cap = 2 * e->cap;
    Survey__V1__Answer **answers = realloc(e->answers, cap * sizeof *answers);
    if (answers == NULL)
        return false;
    e->answers = answers;
    bool *owned = realloc(e->owned, cap * sizeof *owned);
    if (owned == NULL)
        return false;
    e->owned = owned;
    e->cap = cap;
    return true;
}

sv_status sv_edit_set(sv_edit *e, Survey__V1__Answer *a, sv_error *err)
{
    size_t i = find(e, a->question);
    if (i < e->n) {
        if (e->owned[i])
            survey__v1__answer__free_unpacked(e->answers[i], NULL);
    } else if (!grow(e)) {
        survey__v1__answer__free_unpacked(a, NULL);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    } else {
        e->n++;
    }
    e->answers[i] = a;
    e->owned[i] = true;
    return SV_OK;
}

void sv_edit_unset(sv_edit *e, const char *question)
{
    size_t i = find(e, question);
    if (i == e->n)
        return;
    if (e->owned[i])
        survey__v1__answer__free_unpacked(e->answers[i], NULL);
    memmove(e->answers + i, e->answers + i + 1,
            (e->n - i - 1) * sizeof *e->answers);
    memmove(e->owned + i, e->owned + i + 1, (e->n - i - 1) * sizeof *e->owned);
    e->n--;
}

Survey__V1__Answer *const *sv_edit_answers(const sv_edit *e, size_t *n)
{
    *n = e->n;
    return e->answers;
}

sv_status sv_edit_changes(const sv_edit *e, FILE *out, const char *indent,
                          size_t *n_changes, sv_error *err)
{
    const Survey__V1__Revision *b = e->base;
    return sv_answers_diff(out, indent, b != NULL ? b->answers : NULL,
                           b != NULL ? b->n_answers : 0, e->answers, e->n,
                           n_changes, err);
}
