/* snapshot_csv.c: see snapshot_csv.h. Written by hand: libcsv (the
 * project's CSV parser) quotes every field when writing, and the rule here
 * is RFC 4180's minimal quoting. */
#include "snapshot_csv.h"

#include <inttypes.h>
#include <string.h>

void sv_csv_field(FILE *out, const char *s)
{
    if (s == NULL || strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s != NULL ? s : "", out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

/* One row; count and n are written as given (already decimal). */
static void row(FILE *out, const char *section, const char *question,
                const char *option, const char *label, const char *type,
                const char *count, const char *n, const char *percent)
{
    const char *fields[8] = {section, question, option, label,
                             type,    count,    n,      percent};
    for (size_t i = 0; i < 8; i++) {
        if (i > 0)
            fputc(',', out);
        sv_csv_field(out, fields[i]);
    }
    fputc('\n', out);
}

static void figure_row(FILE *out, const char *section, const char *question,
                       const char *option, const char *label,
                       const Survey__V1__Figure *f)
{
    char count[16], n[16];
    snprintf(count, sizeof count, "%u", (unsigned)f->count);
    snprintf(n, sizeof n, "%u", (unsigned)f->n);
    row(out, section, question, option, label, f->respondent_type, count, n,
        f->percent);
}

static void write_rates(FILE *out, const Survey__V1__Snapshot *s)
{
    for (size_t i = 0; i < s->n_rates; i++) {
        const Survey__V1__Rate *r = s->rates[i];
        for (size_t k = 0; k < r->n_figures; k++)
            figure_row(out, "rates", r->question, r->option, r->label,
                       r->figures[k]);
    }
}

static void write_frequencies(FILE *out, const Survey__V1__Snapshot *s)
{
    for (size_t i = 0; i < s->n_frequencies; i++) {
        const Survey__V1__Frequency *f = s->frequencies[i];
        for (size_t o = 0; o < f->n_options; o++) {
            const Survey__V1__OptionFigures *opt = f->options[o];
            for (size_t k = 0; k < opt->n_figures; k++)
                figure_row(out, "frequency", f->question, opt->option,
                           opt->label, opt->figures[k]);
        }
    }
}

static const char *column_label(const Survey__V1__Matrix *m,
                                const char *question)
{
    for (size_t c = 0; c < m->n_columns; c++) {
        if (strcmp(m->columns[c]->question, question) == 0)
            return m->columns[c]->label;
    }
    return "";
}

static void write_totals(FILE *out, const Survey__V1__Snapshot *s)
{
    const Survey__V1__Matrix *m = s->matrix;
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->n_totals; i++) {
        const Survey__V1__MatrixTotal *t = m->totals[i];
        char sum[24], n[16];
        snprintf(sum, sizeof sum, "%" PRId64, t->sum);
        snprintf(n, sizeof n, "%u", (unsigned)t->n);
        row(out, "matrix_total", t->question, "", column_label(m, t->question),
            t->respondent_type, sum, n, "");
    }
}

static void completeness_row(FILE *out, const Survey__V1__CompletenessFigure *f,
                             const char *state, const char *label,
                             uint64_t count, const char *percent)
{
    char c[24], n[16];
    snprintf(c, sizeof c, "%" PRIu64, count);
    snprintf(n, sizeof n, "%u", (unsigned)f->expected);
    row(out, "completeness", "", state, label, f->respondent_type, c, n,
        percent);
}

static void write_completeness(FILE *out, const Survey__V1__Snapshot *s)
{
    if (s->completeness == NULL)
        return;
    for (size_t i = 0; i < s->completeness->n_figures; i++) {
        const Survey__V1__CompletenessFigure *f = s->completeness->figures[i];
        completeness_row(out, f, "complete", "完了", f->complete,
                         f->complete_rate);
        completeness_row(out, f, "incomplete", "回答途中", f->incomplete, "");
        completeness_row(out, f, "not_started", "未回答", f->not_started, "");
        completeness_row(out, f, "responded", "回答済",
                         (uint64_t)f->complete + f->incomplete,
                         f->response_rate);
    }
}

void sv_snapshot_write_csv(FILE *out, const Survey__V1__Snapshot *s)
{
    fputs(SV_CSV_HEADER "\n", out);
    write_rates(out, s);
    write_frequencies(out, s);
    write_totals(out, s);
    write_completeness(out, s);
}
