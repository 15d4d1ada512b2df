/* figures.c: see figures.h. */
#include "figures.h"

#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

char *sv_fig_percent(const char *percent, char *buf, size_t size)
{
    if (percent == NULL || percent[0] == '\0')
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%s%%", percent);
    return buf;
}

char *sv_fig_rate(const Survey__V1__Figure *f, char *buf, size_t size)
{
    char pct[32];
    snprintf(buf, size, "%s (%u/%u)",
             sv_fig_percent(f->percent, pct, sizeof pct), (unsigned)f->count,
             (unsigned)f->n);
    return buf;
}

char *sv_fig_thousands(int64_t v, char *buf, size_t size)
{
    char digits[24];
    /* the magnitude as unsigned: INT64_MIN has no positive int64 */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    char out[40];
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, size, "%s", out);
    return buf;
}

/* True if s is an optional '-' and 1-18 decimal digits. */
static bool is_integer(const char *s)
{
    if (*s == '-')
        s++;
    size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 18 && s[n] == '\0';
}

const char *sv_fig_cell(const char *cell, char *buf, size_t size)
{
    if (!is_integer(cell))
        return cell;
    long long v = 0;
    bool neg = cell[0] == '-';
    for (const char *p = neg ? cell + 1 : cell; *p != '\0'; p++)
        v = v * 10 + (*p - '0');
    return sv_fig_thousands(neg ? -v : v, buf, size);
}

char *sv_fig_digest(ProtobufCBinaryData digest, size_t max_digits, char *buf,
                    size_t size)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    if (size == 0)
        return buf;
    for (size_t i = 0; i < digest.len; i++) {
        if (o + 2 >= size || (max_digits > 0 && o + 2 > max_digits))
            break;
        buf[o++] = hex[digest.data[i] >> 4];
        buf[o++] = hex[digest.data[i] & 0x0F];
    }
    buf[o] = '\0';
    return buf;
}

const Survey__V1__Figure *sv_fig_find(Survey__V1__Figure *const *figs, size_t n,
                                      const char *respondent_type)
{
    for (size_t i = 0; i < n; i++) {
        if (figs[i] != NULL &&
            strcmp(figs[i]->respondent_type, respondent_type) == 0)
            return figs[i];
    }
    return NULL;
}

const Survey__V1__CompletenessFigure *
sv_fig_find_completeness(const Survey__V1__Completeness *c,
                         const char *respondent_type)
{
    if (c == NULL)
        return NULL;
    for (size_t i = 0; i < c->n_figures; i++) {
        if (c->figures[i] != NULL &&
            strcmp(c->figures[i]->respondent_type, respondent_type) == 0)
            return c->figures[i];
    }
    return NULL;
}

const char *sv_fig_type_name(const char *respondent_type)
{
    return strcmp(respondent_type, "all") == 0 ? "全体" : respondent_type;
}

const Survey__V1__MatrixTotal *sv_fig_find_total(const Survey__V1__Matrix *m,
                                                 const char *question,
                                                 const char *respondent_type)
{
    for (size_t i = 0; i < m->n_totals; i++) {
        const Survey__V1__MatrixTotal *t = m->totals[i];
        if (strcmp(t->question, question) == 0 &&
            strcmp(t->respondent_type, respondent_type) == 0)
            return t;
    }
    return NULL;
}

static bool listed(const char *const *types, size_t n, const char *type)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(types[i], type) == 0)
            return true;
    }
    return false;
}

sv_status sv_fig_matrix_types(const Survey__V1__Snapshot *s,
                              const char ***types, size_t *n, sv_error *err)
{
    const Survey__V1__Matrix *m = s->matrix;
    size_t count = 0;
    const char **v =
        malloc((s->n_respondent_types + m->n_rows + 1) * sizeof *v);
    if (v == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n_respondent_types; i++) {
        if (!listed(v, count, s->respondent_types[i]))
            v[count++] = s->respondent_types[i];
    }
    for (size_t i = 0; i < m->n_rows; i++) {
        if (!listed(v, count, m->rows[i]->respondent_type))
            v[count++] = m->rows[i]->respondent_type;
    }
    *types = v;
    *n = count;
    return SV_OK;
}

const char *sv_fig_question_label(const Survey__V1__Snapshot *s,
                                  const char *name)
{
    for (size_t i = 0; i < s->n_rates; i++) {
        if (strcmp(s->rates[i]->question, name) == 0)
            return s->rates[i]->label;
    }
    for (size_t i = 0; s->matrix != NULL && i < s->matrix->n_columns; i++) {
        if (strcmp(s->matrix->columns[i]->question, name) == 0)
            return s->matrix->columns[i]->label;
    }
    for (size_t i = 0; i < s->n_frequencies; i++) {
        if (strcmp(s->frequencies[i]->question, name) == 0)
            return s->frequencies[i]->label;
    }
    for (size_t i = 0; i < s->n_listings; i++) {
        if (strcmp(s->listings[i]->question, name) == 0)
            return s->listings[i]->label;
    }
    return NULL;
}

size_t sv_fig_state_count(const Survey__V1__Completeness *c,
                          Survey__V1__RespondentStatus__State state,
                          bool detail_omitted)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_respondents; i++)
        n += c->respondents[i]->state == state ? 1 : 0;
    for (size_t i = 0; detail_omitted && i < c->n_figures; i++) {
        const Survey__V1__CompletenessFigure *f = c->figures[i];
        if (strcmp(f->respondent_type, "all") == 0)
            n = state == SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE
                    ? f->incomplete
                    : f->not_started;
    }
    return n;
}
