/* history.c: see history.h. */
#include "history.h"

#include "answers_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const Survey__V1__Answer *find_answer(Survey__V1__Answer *const *set,
                                             size_t n, const char *question)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(set[i]->question, question) == 0)
            return set[i];
    }
    return NULL;
}

/* The answer's value as compact JSON; malloc'd, NULL when out of memory. */
static char *value_text(const Survey__V1__Answer *a)
{
    json_t *v = sv_answer_to_json(a);
    if (v == NULL)
        return NULL;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    return text;
}

void sv_history_header(FILE *out, const char *indent,
                       const Survey__V1__Revision *rev)
{
    char when[40];
    fprintf(out, "%srevision %llu  %s  by %s  seq %llu", indent,
            (unsigned long long)rev->revision,
            sv_format_time(rev->time_ms, when, sizeof when),
            rev->submitter[0] != '\0' ? rev->submitter : "(unknown)",
            (unsigned long long)rev->sequence);
    if (rev->note[0] != '\0')
        fprintf(out, "  note: %s", rev->note);
    fputc('\n', out);
}

/* One "+" or "~" line for a, or nothing when it equals before. Counts the
 * line in *n. */
static sv_status diff_one(FILE *out, const char *indent,
                          const Survey__V1__Answer *a,
                          const Survey__V1__Answer *before, size_t *n)
{
    sv_status st = SV_ERR_NOMEM;
    char *now = value_text(a);
    char *was = before != NULL ? value_text(before) : NULL;
    if (now == NULL || (before != NULL && was == NULL))
        goto fail;
    if (before == NULL) {
        if (out != NULL)
            fprintf(out, "%s+ %s = %s\n", indent, a->question, now);
        (*n)++;
    } else if (strcmp(now, was) != 0) {
        if (out != NULL)
            fprintf(out, "%s~ %s: %s -> %s\n", indent, a->question, was, now);
        (*n)++;
    }
    st = SV_OK;
fail:
    free(now);
    free(was);
    return st;
}

sv_status sv_answers_diff(FILE *out, const char *indent,
                          Survey__V1__Answer *const *before, size_t n_before,
                          Survey__V1__Answer *const *after, size_t n_after,
                          size_t *n_changes, sv_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < n_after; i++) {
        const Survey__V1__Answer *a = after[i];
        sv_status st = diff_one(out, indent, a,
                                find_answer(before, n_before, a->question), &n);
        if (st != SV_OK)
            return sv_fail(err, st, "out of memory");
    }
    for (size_t i = 0; i < n_before; i++) {
        const Survey__V1__Answer *a = before[i];
        if (find_answer(after, n_after, a->question) != NULL)
            continue;
        char *was = value_text(a);
        if (was == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        if (out != NULL)
            fprintf(out, "%s- %s (was %s)\n", indent, a->question, was);
        free(was);
        n++;
    }
    *n_changes = n;
    return SV_OK;
}

sv_status sv_history_print(FILE *out, const Survey__V1__History *h,
                           sv_error *err)
{
    const Survey__V1__Revision *prev = NULL;
    for (size_t i = 0; i < h->n_revisions; i++) {
        const Survey__V1__Revision *rev = h->revisions[i];
        size_t n = 0;
        sv_history_header(out, "", rev);
        sv_status st =
            sv_answers_diff(out, "  ", prev != NULL ? prev->answers : NULL,
                            prev != NULL ? prev->n_answers : 0, rev->answers,
                            rev->n_answers, &n, err);
        if (st != SV_OK)
            return st;
        if (n == 0)
            fputs("  (no changes)\n", out);
        prev = rev;
    }
    return SV_OK;
}
