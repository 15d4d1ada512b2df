/* history.c: see history.h. */
#include "history.h"

#include "answers_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const Survey__V1__Answer *find_answer(const Survey__V1__Revision *rev,
                                             const char *question)
{
    for (size_t i = 0; rev != NULL && i < rev->n_answers; i++) {
        if (strcmp(rev->answers[i]->question, question) == 0)
            return rev->answers[i];
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

static void header(FILE *out, const Survey__V1__Revision *rev)
{
    char when[40];
    fprintf(out, "revision %llu  %s  by %s  seq %llu",
            (unsigned long long)rev->revision,
            sv_format_time(rev->time_ms, when, sizeof when),
            rev->submitter[0] != '\0' ? rev->submitter : "(unknown)",
            (unsigned long long)rev->sequence);
    if (rev->note[0] != '\0')
        fprintf(out, "  note: %s", rev->note);
    fputc('\n', out);
}

/* One "+" or "~" line for a, or nothing when it equals prev's answer.
 * Sets *changed when it wrote a line. */
static sv_status diff_one(FILE *out, const Survey__V1__Answer *a,
                          const Survey__V1__Answer *before, bool *changed)
{
    sv_status st = SV_ERR_NOMEM;
    char *now = value_text(a);
    char *was = before != NULL ? value_text(before) : NULL;
    if (now == NULL || (before != NULL && was == NULL))
        goto fail;
    if (before == NULL) {
        fprintf(out, "  + %s = %s\n", a->question, now);
        *changed = true;
    } else if (strcmp(now, was) != 0) {
        fprintf(out, "  ~ %s: %s -> %s\n", a->question, was, now);
        *changed = true;
    }
    st = SV_OK;
fail:
    free(now);
    free(was);
    return st;
}

static sv_status diff(FILE *out, const Survey__V1__Revision *prev,
                      const Survey__V1__Revision *rev)
{
    bool changed = false;
    for (size_t i = 0; i < rev->n_answers; i++) {
        const Survey__V1__Answer *a = rev->answers[i];
        sv_status st =
            diff_one(out, a, find_answer(prev, a->question), &changed);
        if (st != SV_OK)
            return st;
    }
    for (size_t i = 0; prev != NULL && i < prev->n_answers; i++) {
        const Survey__V1__Answer *a = prev->answers[i];
        if (find_answer(rev, a->question) != NULL)
            continue;
        char *was = value_text(a);
        if (was == NULL)
            return SV_ERR_NOMEM;
        fprintf(out, "  - %s (was %s)\n", a->question, was);
        free(was);
        changed = true;
    }
    if (!changed)
        fputs("  (no changes)\n", out);
    return SV_OK;
}

sv_status sv_history_print(FILE *out, const Survey__V1__History *h,
                           sv_error *err)
{
    const Survey__V1__Revision *prev = NULL;
    for (size_t i = 0; i < h->n_revisions; i++) {
        const Survey__V1__Revision *rev = h->revisions[i];
        header(out, rev);
        if (diff(out, prev, rev) != SV_OK)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        prev = rev;
    }
    return SV_OK;
}
