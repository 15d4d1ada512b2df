/* diff.c: see diff.h. */
#include "diff.h"

#include "answers_json.h"
#include "figures.h"
#include "history.h"
#include "outcome.h"
#include "requests.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NONE "(none)"

/* One section of the output: its title goes out with its first line. */
typedef struct {
    FILE *out;
    const char *title;
    bool opened;
    sv_diff_result *r;
    sv_status st; /* the first failure, SV_OK until then */
} section;

/* Starts a line of s: the title first if needed, then the indent. The
 * caller writes the rest of the line, newline included. */
static FILE *item(section *s)
{
    if (!s->opened) {
        fprintf(s->out, "%s\n", s->title);
        s->opened = true;
    }
    fputs("  ", s->out);
    s->r->lines++;
    return s->out;
}

/* Notes respondent as a cause (once). */
static void touch(section *s, const char *respondent, const char *name)
{
    sv_diff_result *r = s->r;
    for (size_t i = 0; i < r->n_who; i++) {
        if (strcmp(r->who[i].respondent, respondent) == 0)
            return;
    }
    if (r->n_who == r->cap_who) {
        size_t cap = r->cap_who > 0 ? 2 * r->cap_who : 16;
        sv_diff_who *who = realloc(r->who, cap * sizeof *who);
        if (who == NULL) {
            s->st = SV_ERR_NOMEM;
            return;
        }
        r->who = who;
        r->cap_who = cap;
    }
    r->who[r->n_who].respondent = respondent;
    r->who[r->n_who].name = name;
    r->n_who++;
}

void sv_diff_result_clear(sv_diff_result *r)
{
    free(r->who);
    memset(r, 0, sizeof *r);
}

static bool str_eq(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* ---- figures ------------------------------------------------------------ */

static bool figure_eq(const Survey__V1__Figure *a, const Survey__V1__Figure *b)
{
    return a->count == b->count && a->n == b->n &&
           str_eq(a->percent, b->percent);
}

static void figure_line(section *s, const char *what,
                        const Survey__V1__Figure *a,
                        const Survey__V1__Figure *b)
{
    char x[64], y[64];
    const Survey__V1__Figure *any = a != NULL ? a : b;
    fprintf(item(s), "%s [%s]: %s -> %s\n", what, any->respondent_type,
            a != NULL ? sv_fig_rate(a, x, sizeof x) : NONE,
            b != NULL ? sv_fig_rate(b, y, sizeof y) : NONE);
}

/* Compares two lists of figures (either may be empty) type by type. */
static void compare_figures(section *s, const char *what,
                            Survey__V1__Figure *const *fa, size_t na,
                            Survey__V1__Figure *const *fb, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        const Survey__V1__Figure *b =
            sv_fig_find(fb, nb, fa[i]->respondent_type);
        if (b == NULL || !figure_eq(fa[i], b))
            figure_line(s, what, fa[i], b);
    }
    for (size_t i = 0; i < nb; i++) {
        if (sv_fig_find(fa, na, fb[i]->respondent_type) == NULL)
            figure_line(s, what, NULL, fb[i]);
    }
}

static const Survey__V1__Rate *find_rate(const Survey__V1__Snapshot *s,
                                         const Survey__V1__Rate *like)
{
    for (size_t i = 0; i < s->n_rates; i++) {
        if (strcmp(s->rates[i]->question, like->question) == 0 &&
            strcmp(s->rates[i]->option, like->option) == 0)
            return s->rates[i];
    }
    return NULL;
}

static void rate_pair(section *s, const Survey__V1__Rate *a,
                      const Survey__V1__Rate *b)
{
    const Survey__V1__Rate *any = a != NULL ? a : b;
    char what[512];
    snprintf(what, sizeof what, "%s=%s %s", any->question, any->option,
             any->label);
    compare_figures(s, what, a != NULL ? a->figures : NULL,
                    a != NULL ? a->n_figures : 0, b != NULL ? b->figures : NULL,
                    b != NULL ? b->n_figures : 0);
}

static void diff_rates(section *s, const Survey__V1__Snapshot *a,
                       const Survey__V1__Snapshot *b)
{
    for (size_t i = 0; i < a->n_rates; i++)
        rate_pair(s, a->rates[i], find_rate(b, a->rates[i]));
    for (size_t i = 0; i < b->n_rates; i++) {
        if (find_rate(a, b->rates[i]) == NULL)
            rate_pair(s, NULL, b->rates[i]);
    }
}

static const Survey__V1__Frequency *
find_frequency(const Survey__V1__Snapshot *s, const char *question)
{
    for (size_t i = 0; i < s->n_frequencies; i++) {
        if (strcmp(s->frequencies[i]->question, question) == 0)
            return s->frequencies[i];
    }
    return NULL;
}

static const Survey__V1__OptionFigures *
find_option(const Survey__V1__Frequency *f, const char *option)
{
    for (size_t i = 0; f != NULL && i < f->n_options; i++) {
        if (strcmp(f->options[i]->option, option) == 0)
            return f->options[i];
    }
    return NULL;
}

static void option_pair(section *s, const char *question,
                        const Survey__V1__OptionFigures *a,
                        const Survey__V1__OptionFigures *b)
{
    const Survey__V1__OptionFigures *any = a != NULL ? a : b;
    char what[512];
    snprintf(what, sizeof what, "%s=%s %s", question, any->option, any->label);
    compare_figures(s, what, a != NULL ? a->figures : NULL,
                    a != NULL ? a->n_figures : 0, b != NULL ? b->figures : NULL,
                    b != NULL ? b->n_figures : 0);
}

/* One frequency table on either side (a or b may be NULL). */
static void frequency_pair(section *s, const Survey__V1__Frequency *a,
                           const Survey__V1__Frequency *b)
{
    const char *q = a != NULL ? a->question : b->question;
    for (size_t i = 0; a != NULL && i < a->n_options; i++)
        option_pair(s, q, a->options[i], find_option(b, a->options[i]->option));
    for (size_t i = 0; b != NULL && i < b->n_options; i++) {
        if (find_option(a, b->options[i]->option) == NULL)
            option_pair(s, q, NULL, b->options[i]);
    }
}

static void diff_frequencies(section *s, const Survey__V1__Snapshot *a,
                             const Survey__V1__Snapshot *b)
{
    for (size_t i = 0; i < a->n_frequencies; i++)
        frequency_pair(s, a->frequencies[i],
                       find_frequency(b, a->frequencies[i]->question));
    for (size_t i = 0; i < b->n_frequencies; i++) {
        if (find_frequency(a, b->frequencies[i]->question) == NULL)
            frequency_pair(s, NULL, b->frequencies[i]);
    }
}

/* ---- the matrix --------------------------------------------------------- */

static const Survey__V1__MatrixRow *find_row(const Survey__V1__Matrix *m,
                                             const char *respondent)
{
    for (size_t i = 0; m != NULL && i < m->n_rows; i++) {
        if (strcmp(m->rows[i]->respondent, respondent) == 0)
            return m->rows[i];
    }
    return NULL;
}

/* The cell of row in the column of question, or NULL. */
static const char *cell(const Survey__V1__Matrix *m,
                        const Survey__V1__MatrixRow *row, const char *question)
{
    for (size_t c = 0; m != NULL && row != NULL && c < m->n_columns; c++) {
        if (strcmp(m->columns[c]->question, question) == 0)
            return c < row->n_cells ? row->cells[c] : NULL;
    }
    return NULL;
}

static const char *show_cell(const char *c, char *buf, size_t size)
{
    if (c == NULL)
        return NONE;
    if (c[0] == '\0')
        return "(no answer)";
    return sv_fig_cell(c, buf, size);
}

static void cell_pair(section *s, const Survey__V1__MatrixRow *row,
                      const char *question, const char *x, const char *y)
{
    char bx[32], by[32];
    if ((x == NULL && y == NULL) || (x != NULL && y != NULL && str_eq(x, y)))
        return;
    fprintf(item(s), "%s %s, %s: %s -> %s\n", row->respondent, row->name,
            question, show_cell(x, bx, sizeof bx), show_cell(y, by, sizeof by));
    touch(s, row->respondent, row->name);
}

/* The cells of one respondent on either side (ra or rb may be NULL). */
static void row_pair(section *s, const Survey__V1__Matrix *ma,
                     const Survey__V1__MatrixRow *ra,
                     const Survey__V1__Matrix *mb,
                     const Survey__V1__MatrixRow *rb)
{
    const Survey__V1__MatrixRow *any = ra != NULL ? ra : rb;
    for (size_t c = 0; ma != NULL && c < ma->n_columns; c++) {
        const char *q = ma->columns[c]->question;
        cell_pair(s, any, q, cell(ma, ra, q), cell(mb, rb, q));
    }
    for (size_t c = 0; mb != NULL && c < mb->n_columns; c++) {
        const char *q = mb->columns[c]->question;
        bool in_a = false;
        for (size_t k = 0; ma != NULL && k < ma->n_columns; k++)
            in_a = in_a || strcmp(ma->columns[k]->question, q) == 0;
        if (!in_a)
            cell_pair(s, any, q, NULL, cell(mb, rb, q));
    }
}

static void diff_matrix(section *s, const Survey__V1__Snapshot *a,
                        const Survey__V1__Snapshot *b)
{
    const Survey__V1__Matrix *ma = a->matrix, *mb = b->matrix;
    for (size_t i = 0; ma != NULL && i < ma->n_rows; i++)
        row_pair(s, ma, ma->rows[i], mb, find_row(mb, ma->rows[i]->respondent));
    for (size_t i = 0; mb != NULL && i < mb->n_rows; i++) {
        if (find_row(ma, mb->rows[i]->respondent) == NULL)
            row_pair(s, ma, NULL, mb, mb->rows[i]);
    }
}

static const Survey__V1__MatrixTotal *
find_total(const Survey__V1__Matrix *m, const Survey__V1__MatrixTotal *like)
{
    for (size_t i = 0; m != NULL && i < m->n_totals; i++) {
        if (strcmp(m->totals[i]->question, like->question) == 0 &&
            strcmp(m->totals[i]->respondent_type, like->respondent_type) == 0)
            return m->totals[i];
    }
    return NULL;
}

static const char *show_total(const Survey__V1__MatrixTotal *t, char *buf,
                              size_t size)
{
    char sum[32];
    if (t == NULL)
        return NONE;
    snprintf(buf, size, "%s (n %u)", sv_fig_thousands(t->sum, sum, sizeof sum),
             (unsigned)t->n);
    return buf;
}

static void total_pair(section *s, const Survey__V1__MatrixTotal *a,
                       const Survey__V1__MatrixTotal *b)
{
    char x[64], y[64];
    if (a != NULL && b != NULL && a->sum == b->sum && a->n == b->n)
        return;
    const Survey__V1__MatrixTotal *any = a != NULL ? a : b;
    fprintf(item(s), "%s [%s]: %s -> %s\n", any->question, any->respondent_type,
            show_total(a, x, sizeof x), show_total(b, y, sizeof y));
}

static void diff_totals(section *s, const Survey__V1__Snapshot *a,
                        const Survey__V1__Snapshot *b)
{
    const Survey__V1__Matrix *ma = a->matrix, *mb = b->matrix;
    for (size_t i = 0; ma != NULL && i < ma->n_totals; i++)
        total_pair(s, ma->totals[i], find_total(mb, ma->totals[i]));
    for (size_t i = 0; mb != NULL && i < mb->n_totals; i++) {
        if (find_total(ma, mb->totals[i]) == NULL)
            total_pair(s, NULL, mb->totals[i]);
    }
}

/* ---- completeness ------------------------------------------------------- */

static bool completeness_eq(const Survey__V1__CompletenessFigure *a,
                            const Survey__V1__CompletenessFigure *b)
{
    return a->expected == b->expected && a->complete == b->complete &&
           a->incomplete == b->incomplete && a->not_started == b->not_started &&
           str_eq(a->response_rate, b->response_rate) &&
           str_eq(a->complete_rate, b->complete_rate);
}

static const char *show_completeness(const Survey__V1__CompletenessFigure *f,
                                     char *buf, size_t size)
{
    char r[32], c[32];
    if (f == NULL)
        return NONE;
    snprintf(buf, size,
             "complete %u, incomplete %u, not started %u of %u "
             "(responded %s, complete %s)",
             (unsigned)f->complete, (unsigned)f->incomplete,
             (unsigned)f->not_started, (unsigned)f->expected,
             sv_fig_percent(f->response_rate, r, sizeof r),
             sv_fig_percent(f->complete_rate, c, sizeof c));
    return buf;
}

static void completeness_pair(section *s,
                              const Survey__V1__CompletenessFigure *a,
                              const Survey__V1__CompletenessFigure *b)
{
    char x[200], y[200];
    if (a != NULL && b != NULL && completeness_eq(a, b))
        return;
    fprintf(item(s), "[%s]: %s -> %s\n", (a != NULL ? a : b)->respondent_type,
            show_completeness(a, x, sizeof x),
            show_completeness(b, y, sizeof y));
}

static const Survey__V1__RespondentStatus *
find_status(const Survey__V1__Completeness *c, const char *respondent)
{
    for (size_t i = 0; c != NULL && i < c->n_respondents; i++) {
        if (strcmp(c->respondents[i]->respondent, respondent) == 0)
            return c->respondents[i];
    }
    return NULL;
}

static bool status_eq(const Survey__V1__RespondentStatus *a,
                      const Survey__V1__RespondentStatus *b)
{
    if (a->state != b->state || a->revision != b->revision ||
        a->n_missing != b->n_missing)
        return false;
    for (size_t i = 0; i < a->n_missing; i++) {
        if (strcmp(a->missing[i], b->missing[i]) != 0)
            return false;
    }
    return true;
}

static const char *state_name(Survey__V1__RespondentStatus__State state)
{
    switch (state) {
    case SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED:
        return "not started";
    case SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE:
        return "incomplete";
    case SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE:
        return "complete";
    default:
        return "unknown";
    }
}

static void write_status(FILE *out, const Survey__V1__RespondentStatus *st)
{
    if (st == NULL) {
        fputs(NONE, out);
        return;
    }
    fputs(state_name(st->state), out);
    if (st->revision > 0)
        fprintf(out, ", revision %llu", (unsigned long long)st->revision);
    if (st->n_missing > 0)
        fprintf(out, ", %zu missing", st->n_missing);
}

static void status_pair(section *s, const Survey__V1__RespondentStatus *a,
                        const Survey__V1__RespondentStatus *b)
{
    if (a != NULL && b != NULL && status_eq(a, b))
        return;
    const Survey__V1__RespondentStatus *any = a != NULL ? a : b;
    FILE *out = item(s);
    fprintf(out, "%s %s: ", any->respondent, any->name);
    write_status(out, a);
    fputs(" -> ", out);
    write_status(out, b);
    fputc('\n', out);
    touch(s, any->respondent, any->name);
}

static void diff_completeness(section *s, const Survey__V1__Snapshot *a,
                              const Survey__V1__Snapshot *b)
{
    const Survey__V1__Completeness *ca = a->completeness, *cb = b->completeness;
    for (size_t i = 0; ca != NULL && i < ca->n_figures; i++)
        completeness_pair(
            s, ca->figures[i],
            sv_fig_find_completeness(cb, ca->figures[i]->respondent_type));
    for (size_t i = 0; cb != NULL && i < cb->n_figures; i++) {
        if (sv_fig_find_completeness(ca, cb->figures[i]->respondent_type) ==
            NULL)
            completeness_pair(s, NULL, cb->figures[i]);
    }
    for (size_t i = 0; ca != NULL && i < ca->n_respondents; i++)
        status_pair(s, ca->respondents[i],
                    find_status(cb, ca->respondents[i]->respondent));
    for (size_t i = 0; cb != NULL && i < cb->n_respondents; i++) {
        if (find_status(ca, cb->respondents[i]->respondent) == NULL)
            status_pair(s, NULL, cb->respondents[i]);
    }
}

/* ---- listings and programs ---------------------------------------------- */

static const Survey__V1__Listing *find_listing(const Survey__V1__Snapshot *s,
                                               const char *question)
{
    for (size_t i = 0; i < s->n_listings; i++) {
        if (strcmp(s->listings[i]->question, question) == 0)
            return s->listings[i];
    }
    return NULL;
}

/* Which entry of its respondent entries[i] is: 0 for the first. */
static size_t entry_rank(const Survey__V1__Listing *l, size_t i)
{
    size_t k = 0;
    for (size_t j = 0; j < i; j++)
        k += strcmp(l->entries[j]->respondent, l->entries[i]->respondent) == 0;
    return k;
}

/* The k-th entry of respondent in l, or NULL. */
static const Survey__V1__ListEntry *find_entry(const Survey__V1__Listing *l,
                                               const char *respondent, size_t k)
{
    for (size_t i = 0; l != NULL && i < l->n_entries; i++) {
        if (strcmp(l->entries[i]->respondent, respondent) != 0)
            continue;
        if (k == 0)
            return l->entries[i];
        k--;
    }
    return NULL;
}

static void entry_pair(section *s, const char *question,
                       const Survey__V1__ListEntry *a,
                       const Survey__V1__ListEntry *b)
{
    if (a != NULL && b != NULL && str_eq(a->text, b->text))
        return;
    const Survey__V1__ListEntry *any = a != NULL ? a : b;
    FILE *out = item(s);
    fprintf(out, "%s, %s %s: %c ", question, any->respondent, any->name,
            a == NULL   ? '+'
            : b == NULL ? '-'
                        : '~');
    if (a != NULL)
        sv_outcome_quote(out, a->text);
    if (a != NULL && b != NULL)
        fputs(" -> ", out);
    if (b != NULL)
        sv_outcome_quote(out, b->text);
    fputc('\n', out);
    touch(s, any->respondent, any->name);
}

static void listing_pair(section *s, const Survey__V1__Listing *a,
                         const Survey__V1__Listing *b)
{
    const char *q = a != NULL ? a->question : b->question;
    for (size_t i = 0; a != NULL && i < a->n_entries; i++)
        entry_pair(s, q, a->entries[i],
                   find_entry(b, a->entries[i]->respondent, entry_rank(a, i)));
    for (size_t i = 0; b != NULL && i < b->n_entries; i++) {
        if (find_entry(a, b->entries[i]->respondent, entry_rank(b, i)) == NULL)
            entry_pair(s, q, NULL, b->entries[i]);
    }
}

static void diff_listings(section *s, const Survey__V1__Snapshot *a,
                          const Survey__V1__Snapshot *b)
{
    for (size_t i = 0; i < a->n_listings; i++)
        listing_pair(s, a->listings[i],
                     find_listing(b, a->listings[i]->question));
    for (size_t i = 0; i < b->n_listings; i++) {
        if (find_listing(a, b->listings[i]->question) == NULL)
            listing_pair(s, NULL, b->listings[i]);
    }
}

static const Survey__V1__Program *find_program(const Survey__V1__Snapshot *s,
                                               const Survey__V1__Program *like)
{
    for (size_t i = 0; i < s->n_programs; i++) {
        if (strcmp(s->programs[i]->question, like->question) == 0 &&
            strcmp(s->programs[i]->option, like->option) == 0)
            return s->programs[i];
    }
    return NULL;
}

static bool runs(const Survey__V1__Program *p, const char *respondent)
{
    for (size_t i = 0; p != NULL && i < p->n_respondents; i++) {
        if (strcmp(p->respondents[i]->respondent, respondent) == 0)
            return true;
    }
    return false;
}

/* The respondents of p that other lacks, as "+" (added) or "-" lines. */
static void program_side(section *s, const Survey__V1__Program *p,
                         const Survey__V1__Program *other, char sign)
{
    for (size_t i = 0; p != NULL && i < p->n_respondents; i++) {
        const Survey__V1__RespondentRef *who = p->respondents[i];
        if (runs(other, who->respondent))
            continue;
        fprintf(item(s), "%s=%s %s: %c %s %s\n", p->question, p->option,
                p->label, sign, who->respondent, who->name);
        touch(s, who->respondent, who->name);
    }
}

static void diff_programs(section *s, const Survey__V1__Snapshot *a,
                          const Survey__V1__Snapshot *b)
{
    for (size_t i = 0; i < a->n_programs; i++) {
        const Survey__V1__Program *pb = find_program(b, a->programs[i]);
        program_side(s, a->programs[i], pb, '-');
        program_side(s, pb, a->programs[i], '+');
    }
    for (size_t i = 0; i < b->n_programs; i++) {
        if (find_program(a, b->programs[i]) == NULL)
            program_side(s, b->programs[i], NULL, '+');
    }
}

sv_status sv_snapshot_diff(FILE *out, const Survey__V1__Snapshot *a,
                           const Survey__V1__Snapshot *b, sv_diff_result *r,
                           sv_error *err)
{
    static const struct {
        const char *title;
        void (*run)(section *, const Survey__V1__Snapshot *,
                    const Survey__V1__Snapshot *);
    } parts[] = {{"rates", diff_rates},
                 {"frequencies", diff_frequencies},
                 {"matrix", diff_matrix},
                 {"matrix totals", diff_totals},
                 {"completeness", diff_completeness},
                 {"listings", diff_listings},
                 {"programs", diff_programs}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        section s = {out, parts[i].title, false, r, SV_OK};
        parts[i].run(&s, a, b);
        if (s.st != SV_OK)
            return sv_fail(err, s.st, "out of memory");
    }
    return SV_OK;
}

/* ---- the command -------------------------------------------------------- */

/* "latest" -> 0, "3" -> 3; false for anything else. */
static bool parse_version(const char *s, uint64_t *out)
{
    if (strcmp(s, "latest") == 0) {
        *out = 0;
        return true;
    }
    char *end;
    errno = 0;
    if (s[0] < '1' || s[0] > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* Fetches a whole snapshot; the exit code, 0 with *out set. */
static int fetch(const sv_client_opts *o, sv_rpc *rpc, uint64_t version,
                 Survey__V1__Reply **out)
{
    sv_error err;
    sv_status st =
        sv_request_snapshot(rpc, o->survey, version, false, out, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    if ((*out)->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        int code = sv_report_error((*out)->error, "");
        survey__v1__reply__free_unpacked(*out, NULL);
        *out = NULL;
        return code;
    }
    return SV_EXIT_OK;
}

static void describe(const Survey__V1__Snapshot *s)
{
    char when[40];
    printf("snapshot %llu (sequence %llu, %s)", (unsigned long long)s->version,
           (unsigned long long)s->sequence,
           sv_format_time(s->created_ms, when, sizeof when));
}

/* The revisions of one respondent with sequence in (lo, hi]. */
static int caused_by(sv_rpc *rpc, const char *survey, const sv_diff_who *who,
                     uint64_t lo, uint64_t hi)
{
    sv_error err;
    Survey__V1__Reply *reply = NULL;
    printf("  %s %s\n", who->respondent, who->name);
    sv_status st =
        sv_request_history(rpc, survey, who->respondent, &reply, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    int code = SV_EXIT_OK;
    size_t shown = 0;
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        fputs("    (no revisions: ", stdout);
        sv_outcome_error(stdout, reply->error);
        fputs(")\n", stdout);
        survey__v1__reply__free_unpacked(reply, NULL);
        return code;
    }
    const Survey__V1__History *h = reply->history;
    for (size_t i = 0; i < h->n_revisions && code == SV_EXIT_OK; i++) {
        const Survey__V1__Revision *rev = h->revisions[i];
        if (rev->sequence <= lo || rev->sequence > hi)
            continue;
        const Survey__V1__Revision *prev = i > 0 ? h->revisions[i - 1] : NULL;
        size_t n;
        sv_history_header(stdout, "    ", rev);
        st = sv_answers_diff(stdout, "      ",
                             prev != NULL ? prev->answers : NULL,
                             prev != NULL ? prev->n_answers : 0, rev->answers,
                             rev->n_answers, &n, &err);
        if (st != SV_OK)
            code = sv_report_failure(st, &err);
        shown++;
    }
    if (shown == 0)
        printf("    (no revision with sequence in (%llu, %llu])\n",
               (unsigned long long)lo, (unsigned long long)hi);
    survey__v1__reply__free_unpacked(reply, NULL);
    return code;
}

static int compare(const sv_client_opts *o, sv_rpc *rpc,
                   const Survey__V1__Snapshot *a, const Survey__V1__Snapshot *b)
{
    sv_error err;
    sv_diff_result r = {0};
    describe(a);
    fputs(" -> ", stdout);
    describe(b);
    fputc('\n', stdout);
    sv_status st = sv_snapshot_diff(stdout, a, b, &r, &err);
    if (st != SV_OK) {
        sv_diff_result_clear(&r);
        return sv_report_failure(st, &err);
    }
    if (r.lines == 0)
        printf("no figure changed\n");
    uint64_t lo = a->sequence < b->sequence ? a->sequence : b->sequence;
    uint64_t hi = a->sequence < b->sequence ? b->sequence : a->sequence;
    const char *survey = b->survey[0] != '\0' ? b->survey : o->survey;
    int code = SV_EXIT_OK;
    if (r.n_who > 0)
        printf("caused by (revisions with sequence in (%llu, %llu])\n",
               (unsigned long long)lo, (unsigned long long)hi);
    for (size_t i = 0; i < r.n_who && code == SV_EXIT_OK; i++)
        code = caused_by(rpc, survey, &r.who[i], lo, hi);
    sv_diff_result_clear(&r);
    return code;
}

int sv_cmd_diff(const sv_client_opts *o, const char *v1, const char *v2)
{
    uint64_t version[2];
    const char *given[2] = {v1, v2};
    for (size_t i = 0; i < 2; i++) {
        if (!parse_version(given[i], &version[i])) {
            fprintf(stderr,
                    "survey: diff: '%s' is not a snapshot version (1, 2, ... "
                    "or latest)\n",
                    given[i]);
            return SV_EXIT_USAGE;
        }
    }
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__Reply *a = NULL, *b = NULL;
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    int code = fetch(o, rpc, version[0], &a);
    if (code == SV_EXIT_OK)
        code = fetch(o, rpc, version[1], &b);
    if (code == SV_EXIT_OK)
        code = compare(o, rpc, a->snapshot, b->snapshot);
    if (a != NULL)
        survey__v1__reply__free_unpacked(a, NULL);
    if (b != NULL)
        survey__v1__reply__free_unpacked(b, NULL);
    sv_rpc_destroy(&rpc);
    return code;
}
