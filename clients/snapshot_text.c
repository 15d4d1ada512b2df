/* snapshot_text.c: see snapshot_text.h. */
#include "snapshot_text.h"

#include "answers_json.h"
#include "completeness.h"
#include "figures.h"
#include "width.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Columns of a program's list of names in text. */
#define NAMES_WIDTH 78

/* Writes a heading made of up to three parts (NULL parts are skipped).
 * Text: level 1 and 2 underlined with = and -, level 3 after "■ ".
 * Markdown: #, ##, ###. */
static void heading(FILE *out, sv_table_style style, int level, const char *a,
                    const char *b, const char *c)
{
    const char *parts[3] = {a, b, c};
    if (style == SV_TABLE_MARKDOWN) {
        for (int i = 0; i < level; i++)
            fputc('#', out);
        fputc(' ', out);
        for (size_t i = 0; i < 3; i++) {
            if (parts[i] != NULL)
                sv_table_md_escape(out, parts[i]);
        }
        fputs("\n\n", out);
        return;
    }
    size_t width = 0;
    if (level >= 3)
        fputs("■ ", out);
    for (size_t i = 0; i < 3; i++) {
        if (parts[i] != NULL) {
            fputs(parts[i], out);
            width += sv_width(parts[i]);
        }
    }
    fputc('\n', out);
    for (size_t i = 0; level < 3 && i < width; i++)
        fputc(level == 1 ? '=' : '-', out);
    fputs(level < 3 ? "\n\n" : "\n", out);
}

/* Writes text in style: escaped in Markdown. */
static void put(FILE *out, sv_table_style style, const char *text)
{
    if (style == SV_TABLE_MARKDOWN)
        sv_table_md_escape(out, text);
    else
        fputs(text, out);
}

static void header_line(FILE *out, sv_table_style style, const char *key,
                        const char *value)
{
    fprintf(out, "%s%s: ", style == SV_TABLE_MARKDOWN ? "- " : "", key);
    put(out, style, value);
    fputc('\n', out);
}

static void write_header(FILE *out, const Survey__V1__Snapshot *s,
                         sv_table_style style)
{
    char buf[160];
    heading(out, style, 1, s->title[0] != '\0' ? s->title : "集計", NULL, NULL);
    header_line(out, style, "調査", s->survey);
    if (s->questionnaire_version[0] != '\0')
        header_line(out, style, "調査票の版", s->questionnaire_version);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->version);
    header_line(out, style, "スナップショット版", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->sequence);
    header_line(out, style, "反映した変更ログ", buf);
    header_line(out, style, "作成日時 (UTC)",
                sv_format_time(s->created_ms, buf, sizeof buf));
    if (s->trigger[0] != '\0')
        header_line(out, style, "作成の契機", s->trigger);
    header_line(out, style, "ダイジェスト",
                sv_fig_digest(s->digest, 0, buf, sizeof buf));
    if (s->respondent_detail_omitted)
        header_line(out, style, "注",
                    "回答団体が多いため、団体別の行（実施状況の表、事例、"
                    "実施自治体、団体別の回答状況）は省略しています");
    fputc('\n', out);
}

/* Writes t (which may be NULL: out of memory), frees it, adds a blank
 * line. */
static sv_status flush_table(FILE *out, sv_table **t, sv_table_style style,
                             sv_error *err)
{
    if (*t == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_status st = sv_table_write(*t, out, style, err);
    sv_table_destroy(t);
    fputc('\n', out);
    return st;
}

/* The figure for all respondents: "all", else the first. */
static const Survey__V1__Figure *figure_all(Survey__V1__Figure *const *figs,
                                            size_t n)
{
    const Survey__V1__Figure *f = sv_fig_find(figs, n, "all");
    return f != NULL || n == 0 ? f : figs[0];
}

static sv_status write_rates(FILE *out, const Survey__V1__Snapshot *s,
                             sv_table_style style, sv_error *err)
{
    if (s->n_rates == 0)
        return SV_OK;
    heading(out, style, 2, "1-5. 実施率", NULL, NULL);
    sv_table *t = sv_table_new(2);
    if (t != NULL) {
        sv_table_align(t, 1, SV_ALIGN_RIGHT);
        sv_table_cell(t, "事業名");
        sv_table_cell(t, "実施率");
    }
    for (size_t i = 0; t != NULL && i < s->n_rates; i++) {
        const Survey__V1__Rate *r = s->rates[i];
        const Survey__V1__Figure *f = figure_all(r->figures, r->n_figures);
        char buf[64];
        sv_table_row(t);
        sv_table_cell(t, r->label[0] != '\0' ? r->label : r->question);
        sv_table_cell(t, f != NULL ? sv_fig_rate(f, buf, sizeof buf) : "");
    }
    return flush_table(out, &t, style, err);
}

/* ---- 2. the matrix ------------------------------------------------------ */

static bool any_sum(const Survey__V1__Matrix *m)
{
    for (size_t c = 0; c < m->n_columns; c++) {
        if (m->columns[c]->sum)
            return true;
    }
    return false;
}

static const char *column_label(const Survey__V1__MatrixColumn *c)
{
    return c->label[0] != '\0' ? c->label : c->question;
}

/* In place of a part that lists respondents one by one, when the
 * snapshot leaves those out (respondent_detail_omitted): a line that
 * says so, never an empty list that reads as "none"; a blank line
 * follows. */
static void omitted(FILE *out, sv_table_style style)
{
    fputs(style == SV_TABLE_MARKDOWN ? "" : "  ", out);
    fputs("（省略：回答団体が多いため、団体別の行は載せていません）\n\n", out);
}

/* The table of one type; *number runs over all types. */
static sv_status write_matrix_type(FILE *out, const Survey__V1__Matrix *m,
                                   const char *type, size_t *number,
                                   sv_table_style style, sv_error *err)
{
    heading(out, style, 3, "2. 各自治体の事業実施状況：", type, NULL);
    sv_table *t = sv_table_new(2 + m->n_columns);
    if (t == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_table_align(t, 0, SV_ALIGN_RIGHT);
    sv_table_cell(t, "#");
    sv_table_cell(t, "自治体名");
    for (size_t c = 0; c < m->n_columns; c++) {
        sv_table_cell(t, column_label(m->columns[c]));
        if (m->columns[c]->sum)
            sv_table_align(t, 2 + c, SV_ALIGN_RIGHT);
    }
    for (size_t r = 0; r < m->n_rows; r++) {
        const Survey__V1__MatrixRow *row = m->rows[r];
        if (strcmp(row->respondent_type, type) != 0)
            continue;
        sv_table_row(t);
        sv_table_cellf(t, "%zu", ++*number);
        sv_table_cell(t, row->name[0] != '\0' ? row->name : row->respondent);
        for (size_t c = 0; c < m->n_columns; c++) {
            char buf[32];
            sv_table_cell(t, c < row->n_cells
                                 ? sv_fig_cell(row->cells[c], buf, sizeof buf)
                                 : "");
        }
    }
    if (any_sum(m)) {
        sv_table_row(t);
        sv_table_cell(t, "");
        sv_table_cell(t, "計");
        for (size_t c = 0; c < m->n_columns; c++) {
            const Survey__V1__MatrixTotal *tot =
                m->columns[c]->sum
                    ? sv_fig_find_total(m, m->columns[c]->question, type)
                    : NULL;
            char buf[32];
            sv_table_cell(t, tot != NULL
                                 ? sv_fig_thousands(tot->sum, buf, sizeof buf)
                                 : "");
        }
    }
    return flush_table(out, &t, style, err);
}

/* The totals of summed columns per type and for all: sum (n=answered). */
static sv_status write_matrix_totals(FILE *out, const Survey__V1__Matrix *m,
                                     const char *const *types, size_t n_types,
                                     sv_table_style style, sv_error *err)
{
    size_t nsum = 0;
    for (size_t c = 0; c < m->n_columns; c++)
        nsum += m->columns[c]->sum ? 1 : 0;
    if (nsum == 0)
        return SV_OK;
    heading(out, style, 3, "2. 合計", NULL, NULL);
    sv_table *t = sv_table_new(1 + nsum);
    if (t == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_table_cell(t, "区分");
    for (size_t c = 0; c < m->n_columns; c++) {
        if (m->columns[c]->sum)
            sv_table_cell(t, column_label(m->columns[c]));
    }
    for (size_t i = 1; i <= nsum; i++)
        sv_table_align(t, i, SV_ALIGN_RIGHT);
    for (size_t k = 0; k <= n_types; k++) {
        const char *type = k < n_types ? types[k] : "all";
        sv_table_row(t);
        sv_table_cell(t, sv_fig_type_name(type));
        for (size_t c = 0; c < m->n_columns; c++) {
            if (!m->columns[c]->sum)
                continue;
            const Survey__V1__MatrixTotal *tot =
                sv_fig_find_total(m, m->columns[c]->question, type);
            char buf[32];
            if (tot == NULL)
                sv_table_cell(t, "");
            else
                sv_table_cellf(t, "%s (n=%u)",
                               sv_fig_thousands(tot->sum, buf, sizeof buf),
                               (unsigned)tot->n);
        }
    }
    return flush_table(out, &t, style, err);
}

static sv_status write_matrix(FILE *out, const Survey__V1__Snapshot *s,
                              sv_table_style style, sv_error *err)
{
    const Survey__V1__Matrix *m = s->matrix;
    if (m == NULL || (m->n_columns == 0 && m->n_rows == 0))
        return SV_OK;
    const char **types = NULL;
    size_t n_types = 0;
    sv_status st = sv_fig_matrix_types(s, &types, &n_types, err);
    if (st != SV_OK)
        return st;
    heading(out, style, 2, "2. 各自治体の事業実施状況", NULL, NULL);
    if (s->respondent_detail_omitted)
        omitted(out, style);
    size_t number = 0;
    for (size_t k = 0;
         k < n_types && st == SV_OK && !s->respondent_detail_omitted; k++)
        st = write_matrix_type(out, m, types[k], &number, style, err);
    if (st == SV_OK)
        st = write_matrix_totals(out, m, types, n_types, style, err);
    free(types);
    return st;
}

/* ---- frequencies --------------------------------------------------------- */

static void frequency_rows(sv_table *t, const Survey__V1__Frequency *f)
{
    const Survey__V1__Figure *answered = figure_all(f->answered, f->n_answered);
    const char *label = f->label[0] != '\0' ? f->label : f->question;
    for (size_t o = 0; o == 0 || o < f->n_options; o++) {
        sv_table_row(t);
        if (o > 0)
            sv_table_cell(t, "");
        else if (f->multiple && strstr(label, "複数回答") == NULL)
            sv_table_cellf(t, "%s (複数回答)", label);
        else
            sv_table_cell(t, label);
        if (o < f->n_options) {
            const Survey__V1__OptionFigures *opt = f->options[o];
            const Survey__V1__Figure *fig =
                figure_all(opt->figures, opt->n_figures);
            char buf[64];
            sv_table_cell(t, opt->label[0] != '\0' ? opt->label : opt->option);
            sv_table_cell(t,
                          fig != NULL ? sv_fig_rate(fig, buf, sizeof buf) : "");
        } else {
            sv_table_cell(t, "");
            sv_table_cell(t, "");
        }
        if (o == 0 && answered != NULL)
            sv_table_cellf(t, "%u", (unsigned)answered->n);
    }
}

/* Frequencies [from, to) of one group, in one table. */
static sv_status write_frequency_group(FILE *out, const Survey__V1__Snapshot *s,
                                       size_t from, size_t to,
                                       sv_table_style style, sv_error *err)
{
    const Survey__V1__Frequency *first = s->frequencies[from];
    const char *group =
        first->group_label[0] != '\0' ? first->group_label : first->group;
    if (group[0] != '\0')
        heading(out, style, 3, group, NULL, NULL);
    sv_table *t = sv_table_new(4);
    if (t == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_table_align(t, 2, SV_ALIGN_RIGHT);
    sv_table_align(t, 3, SV_ALIGN_RIGHT);
    sv_table_cell(t, "設問");
    sv_table_cell(t, "選択肢");
    sv_table_cell(t, "割合");
    sv_table_cell(t, "n");
    for (size_t i = from; i < to; i++)
        frequency_rows(t, s->frequencies[i]);
    return flush_table(out, &t, style, err);
}

static sv_status write_frequencies(FILE *out, const Survey__V1__Snapshot *s,
                                   sv_table_style style, sv_error *err)
{
    if (s->n_frequencies == 0)
        return SV_OK;
    heading(out, style, 2, "集計表", NULL, NULL);
    size_t i = 0;
    sv_status st = SV_OK;
    while (i < s->n_frequencies && st == SV_OK) {
        size_t j = i + 1;
        while (j < s->n_frequencies &&
               strcmp(s->frequencies[j]->group, s->frequencies[i]->group) == 0)
            j++;
        st = write_frequency_group(out, s, i, j, style, err);
        i = j;
    }
    return st;
}

/* ---- listings and programs ---------------------------------------------- */

/* "name: text"; in text, further lines of text are indented. */
static void write_entry(FILE *out, const Survey__V1__ListEntry *e,
                        sv_table_style style)
{
    const char *name = e->name[0] != '\0' ? e->name : e->respondent;
    if (style == SV_TABLE_MARKDOWN) {
        fputs("- ", out);
        sv_table_md_escape(out, name);
        fputs(": ", out);
        sv_table_md_escape(out, e->text);
        fputc('\n', out);
        return;
    }
    fprintf(out, "  %s: ", name);
    for (const char *p = e->text; *p != '\0'; p++) {
        if (*p == '\r')
            continue;
        if (*p == '\n')
            fputs("\n    ", out);
        else
            fputc(*p, out);
    }
    fputc('\n', out);
}

static void write_listings(FILE *out, const Survey__V1__Snapshot *s,
                           sv_table_style style)
{
    if (s->n_listings == 0)
        return;
    heading(out, style, 2, "回答一覧", NULL, NULL);
    if (s->respondent_detail_omitted) {
        omitted(out, style);
        return;
    }
    for (size_t i = 0; i < s->n_listings; i++) {
        const Survey__V1__Listing *l = s->listings[i];
        const char *label = l->label[0] != '\0' ? l->label : l->question;
        if (l->group_label[0] != '\0')
            heading(out, style, 3, l->group_label, "：", label);
        else
            heading(out, style, 3, label, NULL, NULL);
        if (l->n_entries == 0)
            fputs(style == SV_TABLE_MARKDOWN ? "（なし）\n" : "  （なし）\n",
                  out);
        for (size_t k = 0; k < l->n_entries; k++)
            write_entry(out, l->entries[k], style);
        fputc('\n', out);
    }
}

static void write_names(FILE *out, const Survey__V1__Program *p,
                        sv_table_style style)
{
    size_t col = 0;
    if (p->n_respondents == 0)
        fputs("（なし）", out);
    for (size_t i = 0; i < p->n_respondents; i++) {
        const Survey__V1__RespondentRef *r = p->respondents[i];
        const char *name = r->name[0] != '\0' ? r->name : r->respondent;
        size_t w = sv_width(name) + (i + 1 < p->n_respondents ? 2 : 0);
        if (style == SV_TABLE_TEXT && col > 0 && col + w > NAMES_WIDTH) {
            fputc('\n', out);
            col = 0;
        }
        put(out, style, name);
        if (i + 1 < p->n_respondents)
            fputs("、", out);
        col += w;
    }
    fputc('\n', out);
}

static void write_programs(FILE *out, const Survey__V1__Snapshot *s,
                           sv_table_style style)
{
    if (s->n_programs == 0)
        return;
    heading(out, style, 2, "実施自治体", NULL, NULL);
    if (s->respondent_detail_omitted) {
        omitted(out, style);
        return;
    }
    for (size_t i = 0; i < s->n_programs; i++) {
        const Survey__V1__Program *p = s->programs[i];
        char count[48];
        snprintf(count, sizeof count, " ＜実施自治体＞ (%zu)",
                 p->n_respondents);
        heading(out, style, 3, p->label[0] != '\0' ? p->label : p->question,
                count, NULL);
        write_names(out, p, style);
        fputc('\n', out);
    }
}

sv_status sv_snapshot_write_text(FILE *out, const Survey__V1__Snapshot *s,
                                 sv_table_style style, sv_error *err)
{
    write_header(out, s, style);
    sv_status st = write_rates(out, s, style, err);
    if (st == SV_OK)
        st = write_matrix(out, s, style, err);
    if (st == SV_OK)
        st = write_frequencies(out, s, style, err);
    if (st != SV_OK)
        return st;
    write_listings(out, s, style);
    write_programs(out, s, style);
    if (s->completeness == NULL)
        return SV_OK;
    heading(out, style, 2, "回答状況", NULL, NULL);
    return sv_completeness_write(out, s->completeness, s, style, SV_LANG_JA,
                                 err);
}
