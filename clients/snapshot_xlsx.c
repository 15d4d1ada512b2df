/* snapshot_xlsx.c: see snapshot_xlsx.h. A sheet is written through the
 * put_* helpers below: each checks its libxlsxwriter call, keeps the first
 * failure of the sheet (with the cell it happened in) and skips every later
 * write, so that each sheet function reads as its layout; sheet_end()
 * returns that failure. */
#include "snapshot_xlsx.h"

#include "figures.h"
#include "width.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#define MAX_DECIMALS 6
#define WIDTH_MIN 4.0   /* column widths in Excel's character units */
#define WIDTH_MAX 40.0  /* longer content wraps or is cut off */
#define WIDTH_HEAD 14.0 /* a heading widens its column at most this much */
#define WIDTH_TEXT 80.0 /* the wrapped text column of 事例 */
#define NO_COL SIZE_MAX
#define EXACT_MAX 9007199254740992.0 /* 2^53: larger integers as text */

/* The workbook being written and its cell formats. */
typedef struct {
    lxw_workbook *wb;
    const Survey__V1__Snapshot *snap;
    lxw_format *head;  /* headings: bold, grey, bordered, centred, wrapped */
    lxw_format *text;  /* plain text */
    lxw_format *mark;  /* centred text: ○ × - */
    lxw_format *count; /* integers: #,##0 */
    lxw_format *pct;   /* percentages: 0%, 0.0%, ... */
    lxw_format *wrap;  /* wrapped text */
    lxw_format *date;  /* yyyy-mm-dd hh:mm:ss */
    lxw_format *bold;  /* labels of total rows */
} book;

/* One sheet being written. */
typedef struct {
    book *b;
    lxw_worksheet *ws;
    const char *name;
    size_t ncols;
    double *width;   /* widest content per column, ncols entries (owned) */
    size_t wrap_col; /* column of fixed width WIDTH_TEXT, or NO_COL */
    sv_status st;    /* the first failure, SV_OK so far */
    sv_error *err;
} sheet;

/* ---- cells --------------------------------------------------------------- */

static sv_status lxw_status(lxw_error rc)
{
    switch (rc) {
    case LXW_NO_ERROR:
        return SV_OK;
    case LXW_ERROR_MEMORY_MALLOC_FAILED:
        return SV_ERR_NOMEM;
    case LXW_ERROR_MAX_STRING_LENGTH_EXCEEDED:
    case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
        return SV_ERR_TOO_LARGE;
    default:
        return SV_ERR_IO;
    }
}

static void fail_at(sheet *s, size_t row, size_t col, lxw_error rc)
{
    char cell[LXW_MAX_CELL_NAME_LENGTH];
    lxw_rowcol_to_cell(cell, (lxw_row_t)row, (lxw_col_t)col);
    s->st = sv_fail(s->err, lxw_status(rc), "xlsx %s!%s: %s", s->name, cell,
                    lxw_strerror(rc));
}

/* True when the sheet has not failed and (row, col) is inside Excel's
 * sheet size; records the failure otherwise. */
static int cell_ok(sheet *s, size_t row, size_t col)
{
    if (s->st != SV_OK)
        return 0;
    if (row >= LXW_ROW_MAX || col >= LXW_COL_MAX) {
        s->st = sv_fail(s->err, SV_ERR_TOO_LARGE,
                        "xlsx %s: row %zu, column %zu is beyond Excel's "
                        "sheet size",
                        s->name, row + 1, col + 1);
        return 0;
    }
    return 1;
}

static void fit(sheet *s, size_t col, double w)
{
    if (col < s->ncols && w > s->width[col])
        s->width[col] = w;
}

/* Columns of the widest line of str. */
static double text_width(const char *str)
{
    size_t widest = 0;
    while (*str != '\0') {
        size_t len = strcspn(str, "\n");
        size_t w = sv_width_bytes(str, len);
        if (w > widest)
            widest = w;
        str += len;
        if (*str == '\n')
            str++;
    }
    return (double)widest;
}

/* Columns of v with thousands separators. */
static double number_width(double v)
{
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%.0f", v);
    int digits = v < 0 ? len - 1 : len;
    return (double)(len + (digits - 1) / 3);
}

/* Writes str without widening its column. Returns 1 on success. */
static int write_text(sheet *s, size_t row, size_t col, const char *str,
                      lxw_format *f)
{
    lxw_error rc;
    if (!cell_ok(s, row, col))
        return 0;
    rc = worksheet_write_string(s->ws, (lxw_row_t)row, (lxw_col_t)col, str, f);
    if (rc != LXW_NO_ERROR) {
        fail_at(s, row, col, rc);
        return 0;
    }
    return 1;
}

static void put_text(sheet *s, size_t row, size_t col, const char *str,
                     lxw_format *f)
{
    if (write_text(s, row, col, str, f))
        fit(s, col, text_width(str));
}

/* A heading: long ones wrap rather than widen their column. */
static double head_width(const char *str)
{
    double w = text_width(str);
    return w < WIDTH_HEAD ? w : WIDTH_HEAD;
}

static void put_head(sheet *s, size_t row, size_t col, const char *str)
{
    if (write_text(s, row, col, str, s->b->head))
        fit(s, col, head_width(str));
}

/* A heading over rows r0..r1 and columns c0..c1 (one cell allowed). */
static void put_merged(sheet *s, size_t r0, size_t c0, size_t r1, size_t c1,
                       const char *str)
{
    lxw_error rc;
    if (r0 == r1 && c0 == c1) {
        put_head(s, r0, c0, str);
        return;
    }
    if (!cell_ok(s, r1, c1))
        return;
    rc = worksheet_merge_range(s->ws, (lxw_row_t)r0, (lxw_col_t)c0,
                               (lxw_row_t)r1, (lxw_col_t)c1, str, s->b->head);
    if (rc != LXW_NO_ERROR) {
        fail_at(s, r0, c0, rc);
        return;
    }
    if (c0 == c1)
        fit(s, c0, head_width(str));
}

static void put_number(sheet *s, size_t row, size_t col, double v,
                       lxw_format *f, double w)
{
    lxw_error rc;
    if (!cell_ok(s, row, col))
        return;
    rc = worksheet_write_number(s->ws, (lxw_row_t)row, (lxw_col_t)col, v, f);
    if (rc != LXW_NO_ERROR) {
        fail_at(s, row, col, rc);
        return;
    }
    fit(s, col, w);
}

/* An integer in #,##0; beyond 2^53 (not exact as a double) as text. */
static void put_int(sheet *s, size_t row, size_t col, int64_t v)
{
    char buf[32];
    if (v > -EXACT_MAX && v < EXACT_MAX) {
        put_number(s, row, col, (double)v, s->b->count,
                   number_width((double)v));
        return;
    }
    put_text(s, row, col, sv_fig_thousands(v, buf, sizeof buf), s->b->mark);
}

static void put_count(sheet *s, size_t row, size_t col, uint64_t v)
{
    put_int(s, row, col, v > INT64_MAX ? INT64_MAX : (int64_t)v);
}

/* The value of the server's percent string ("43", "42.5") as a fraction
 * (0.43, 0.425): the double nearest to the decimal, so that a percent
 * format of the same decimals displays the string itself. Returns 0 when
 * p is not digits with exactly `decimals` decimals. */
static int percent_value(const char *p, unsigned decimals, double *out)
{
    uint64_t mantissa = 0;
    unsigned digits = 0, frac = 0;
    int dot = 0;
    double scale = 100.0;
    for (; *p != '\0'; p++) {
        if (*p == '.' && !dot && digits > 0) {
            dot = 1;
            continue;
        }
        if (*p < '0' || *p > '9' || digits == 18)
            return 0;
        mantissa = mantissa * 10 + (uint64_t)(*p - '0');
        digits++;
        if (dot)
            frac++;
    }
    if (digits == 0 || (dot && frac == 0) || frac != decimals)
        return 0;
    for (unsigned i = 0; i < frac; i++)
        scale *= 10.0;
    *out = (double)mantissa / scale;
    return 1;
}

/* A percent cell from the server's string; "-" when there is none. */
static void put_percent(sheet *s, size_t row, size_t col, const char *percent)
{
    char cell[LXW_MAX_CELL_NAME_LENGTH];
    double v;
    if (percent[0] == '\0') {
        put_text(s, row, col, "-", s->b->mark);
        return;
    }
    if (!cell_ok(s, row, col))
        return;
    if (!percent_value(percent, s->b->snap->decimals, &v)) {
        lxw_rowcol_to_cell(cell, (lxw_row_t)row, (lxw_col_t)col);
        s->st = sv_fail(s->err, SV_ERR_INVALID,
                        "xlsx %s!%s: percent \"%s\" is not a number with %u "
                        "decimals",
                        s->name, cell, percent, (unsigned)s->b->snap->decimals);
        return;
    }
    put_number(s, row, col, v, s->b->pct, (double)strlen(percent) + 1.0);
}

/* Percent, count and n of f in columns col..col+2; blank without f. */
static void put_figure(sheet *s, size_t row, size_t col,
                       const Survey__V1__Figure *f)
{
    if (f == NULL)
        return;
    put_percent(s, row, col, f->percent);
    put_count(s, row, col + 1, f->count);
    put_count(s, row, col + 2, f->n);
}

/* ---- sheets -------------------------------------------------------------- */

/* Adds the sheet. On failure nothing is left to release. */
static sv_status sheet_begin(book *b, sheet *s, const char *name, size_t ncols,
                             sv_error *err)
{
    memset(s, 0, sizeof *s);
    s->b = b;
    s->name = name;
    s->ncols = ncols;
    s->wrap_col = NO_COL;
    s->err = err;
    s->ws = workbook_add_worksheet(b->wb, name);
    if (s->ws == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "xlsx: cannot add sheet %s", name);
    s->width = calloc(ncols > 0 ? ncols : 1, sizeof *s->width);
    if (s->width == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    return SV_OK;
}

/* Sets the column widths, freezes the rows above freeze_row and the
 * columns left of freeze_col, releases s and returns its status. */
static sv_status sheet_end(sheet *s, size_t freeze_row, size_t freeze_col)
{
    for (size_t c = 0; c < s->ncols && s->st == SV_OK; c++) {
        double w = s->width[c] + 2.0;
        lxw_error rc;
        if (c == s->wrap_col)
            w = WIDTH_TEXT;
        else if (w < WIDTH_MIN)
            w = WIDTH_MIN;
        else if (w > WIDTH_MAX)
            w = WIDTH_MAX;
        rc = worksheet_set_column(s->ws, (lxw_col_t)c, (lxw_col_t)c, w, NULL);
        if (rc != LXW_NO_ERROR)
            fail_at(s, 0, c, rc);
    }
    if (s->st == SV_OK)
        worksheet_freeze_panes(s->ws, (lxw_row_t)freeze_row,
                               (lxw_col_t)freeze_col);
    free(s->width);
    s->width = NULL;
    return s->st;
}

static void autofilter(sheet *s, size_t last_row, size_t last_col)
{
    lxw_error rc;
    if (last_row == 0 || !cell_ok(s, last_row, last_col))
        return;
    rc = worksheet_autofilter(s->ws, 0, 0, (lxw_row_t)last_row,
                              (lxw_col_t)last_col);
    if (rc != LXW_NO_ERROR)
        fail_at(s, 0, 0, rc);
}

/* "all" for i = 0, else the i-th respondent type. */
static const char *type_at(const Survey__V1__Snapshot *snap, size_t i)
{
    return i == 0 ? "all" : snap->respondent_types[i - 1];
}

/* Items joined by sep into a new string (caller frees), or NULL. */
static char *join(char *const *items, size_t n, const char *sep)
{
    size_t len = 1, at = 0;
    char *out;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + (i > 0 ? strlen(sep) : 0);
    out = malloc(len);
    if (out == NULL)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(out + at, sep, strlen(sep));
            at += strlen(sep);
        }
        memcpy(out + at, items[i], strlen(items[i]));
        at += strlen(items[i]);
    }
    out[at] = '\0';
    return out;
}

/* 概要: the header as key / value rows. */
static sv_status sheet_summary(book *b, sv_error *err)
{
    const Survey__V1__Snapshot *snap = b->snap;
    char *digest = NULL, *types = NULL;
    size_t row = 1;
    sheet s;
    sv_status st = sheet_begin(b, &s, "概要", 2, err);
    if (st != SV_OK)
        return st;
    put_head(&s, 0, 0, "項目");
    put_head(&s, 0, 1, "値");
    put_text(&s, row, 0, "タイトル", b->text);
    put_text(&s, row++, 1, snap->title, b->text);
    put_text(&s, row, 0, "調査", b->text);
    put_text(&s, row++, 1, snap->survey, b->text);
    put_text(&s, row, 0, "調査票の版", b->text);
    put_text(&s, row++, 1, snap->questionnaire_version, b->text);
    put_text(&s, row, 0, "スナップショット版", b->text);
    put_count(&s, row++, 1, snap->version);
    put_text(&s, row, 0, "反映した変更ログ", b->text);
    put_count(&s, row++, 1, snap->sequence);
    put_text(&s, row, 0, "作成日時 (UTC)", b->text);
    if (snap->created_ms != 0 && cell_ok(&s, row, 1)) {
        lxw_error rc = worksheet_write_unixtime(
            s.ws, (lxw_row_t)row, 1, snap->created_ms / 1000, b->date);
        if (rc != LXW_NO_ERROR)
            fail_at(&s, row, 1, rc);
        fit(&s, 1, 19.0);
    }
    row++;
    put_text(&s, row, 0, "作成の契機", b->text);
    put_text(&s, row++, 1, snap->trigger, b->text);
    put_text(&s, row, 0, "小数桁数", b->text);
    put_count(&s, row++, 1, snap->decimals);
    digest = malloc(2 * snap->digest.len + 1);
    types = join(snap->respondent_types, snap->n_respondent_types, "、");
    if (digest == NULL || types == NULL) {
        s.st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
    } else {
        put_text(&s, row, 0, "ダイジェスト", b->text);
        put_text(
            &s, row++, 1,
            sv_fig_digest(snap->digest, 0, digest, 2 * snap->digest.len + 1),
            b->text);
        put_text(&s, row, 0, "回答区分", b->text);
        put_text(&s, row++, 1, types, b->text);
    }
    free(digest);
    free(types);
    return sheet_end(&s, 1, 0);
}

/* The two heading rows of a sheet with a block of three figure columns per
 * type (全体 first) from column col. */
static void put_type_heads(sheet *s, size_t col, const char *const labels[3])
{
    const Survey__V1__Snapshot *snap = s->b->snap;
    for (size_t t = 0; t <= snap->n_respondent_types; t++) {
        size_t c = col + 3 * t;
        put_merged(s, 0, c, 0, c + 2, sv_fig_type_name(type_at(snap, t)));
        for (size_t k = 0; k < 3; k++)
            put_head(s, 1, c + k, labels[k]);
    }
}

/* 1-5 実施率. */
static sv_status sheet_rates(book *b, sv_error *err)
{
    static const char *const labels[3] = {"実施率", "実施数", "回答数"};
    const Survey__V1__Snapshot *snap = b->snap;
    size_t ntypes = snap->n_respondent_types + 1;
    sheet s;
    sv_status st = sheet_begin(b, &s, "1-5 実施率", 1 + 3 * ntypes, err);
    if (st != SV_OK)
        return st;
    put_merged(&s, 0, 0, 1, 0, "事業名");
    put_type_heads(&s, 1, labels);
    for (size_t i = 0; i < snap->n_rates; i++) {
        const Survey__V1__Rate *r = snap->rates[i];
        put_text(&s, 2 + i, 0, r->label, b->text);
        for (size_t t = 0; t < ntypes; t++)
            put_figure(&s, 2 + i, 1 + 3 * t,
                       sv_fig_find(r->figures, r->n_figures, type_at(snap, t)));
    }
    return sheet_end(&s, 2, 1);
}

/* "-12", "2203": an optional minus and 1 to 18 digits. */
static int is_integer(const char *cell, int64_t *v)
{
    const char *p = cell[0] == '-' ? cell + 1 : cell;
    size_t len = strlen(p);
    int64_t x = 0;
    if (len == 0 || len > 18 || strspn(p, "0123456789") != len)
        return 0;
    for (; *p != '\0'; p++)
        x = x * 10 + (*p - '0');
    *v = cell[0] == '-' ? -x : x;
    return 1;
}

/* True when column c holds integers (and "-" or "" only besides). */
static int integer_column(const Survey__V1__Matrix *m, size_t c)
{
    int any = 0;
    for (size_t r = 0; r < m->n_rows; r++) {
        const char *cell;
        int64_t v;
        if (c >= m->rows[r]->n_cells)
            continue;
        cell = m->rows[r]->cells[c];
        if (is_integer(cell, &v))
            any = 1;
        else if (strcmp(cell, "-") != 0 && cell[0] != '\0')
            return 0;
    }
    return any;
}

/* 合計 and 回答数 rows of type t from row; returns the next row. */
static size_t put_totals(sheet *s, const Survey__V1__Matrix *m, size_t row,
                         const char *type)
{
    put_text(s, row, 1, sv_fig_type_name(type), s->b->bold);
    put_text(s, row, 3, "合計", s->b->bold);
    put_text(s, row + 1, 1, sv_fig_type_name(type), s->b->bold);
    put_text(s, row + 1, 3, "回答数", s->b->bold);
    for (size_t c = 0; c < m->n_columns; c++) {
        const Survey__V1__MatrixTotal *t;
        if (!m->columns[c]->sum)
            continue;
        t = sv_fig_find_total(m, m->columns[c]->question, type);
        if (t == NULL)
            continue;
        put_int(s, row, 4 + c, t->sum);
        put_count(s, row + 1, 4 + c, t->n);
    }
    return row + 2;
}

/* 2 実施状況: the matrix, one row per respondent, with a type column. */
static sv_status sheet_matrix(book *b, sv_error *err)
{
    static const char *const legend[] = {
        "凡例", "○：実施している", "×：実施していない",
        "-：該当しない（設問の対象外）", "空欄：未回答"};
    static const char *const heads[4] = {"#", "区分", "団体コード", "自治体名"};
    const Survey__V1__Snapshot *snap = b->snap;
    const Survey__V1__Matrix *m = snap->matrix;
    size_t ncols = 4 + (m != NULL ? m->n_columns : 0), row;
    int sums = 0;
    sheet s;
    sv_status st = sheet_begin(b, &s, "2 実施状況", ncols, err);
    if (st != SV_OK)
        return st;
    for (size_t c = 0; c < 4; c++)
        put_head(&s, 0, c, heads[c]);
    if (m == NULL)
        return sheet_end(&s, 1, 4);
    for (size_t r = 0; r < m->n_rows; r++) {
        const Survey__V1__MatrixRow *mr = m->rows[r];
        put_count(&s, 1 + r, 0, r + 1);
        put_text(&s, 1 + r, 1, mr->respondent_type, b->text);
        put_text(&s, 1 + r, 2, mr->respondent, b->text);
        put_text(&s, 1 + r, 3, mr->name, b->text);
    }
    for (size_t c = 0; c < m->n_columns; c++) {
        int numeric = integer_column(m, c);
        put_head(&s, 0, 4 + c, m->columns[c]->label);
        sums |= m->columns[c]->sum;
        for (size_t r = 0; r < m->n_rows; r++) {
            const char *cell;
            int64_t v;
            if (c >= m->rows[r]->n_cells)
                continue;
            cell = m->rows[r]->cells[c];
            if (numeric && is_integer(cell, &v))
                put_int(&s, 1 + r, 4 + c, v);
            else if (cell[0] != '\0')
                put_text(&s, 1 + r, 4 + c, cell, b->mark);
        }
    }
    autofilter(&s, m->n_rows, ncols - 1);
    row = m->n_rows + 2;
    if (sums) {
        for (size_t t = 1; t <= snap->n_respondent_types; t++)
            row = put_totals(&s, m, row, type_at(snap, t));
        row = put_totals(&s, m, row, "all") + 1;
    }
    /* The legend spans the empty cells to its right: no column fitting. */
    for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++)
        write_text(&s, row + i, 3, legend[i], i == 0 ? b->bold : NULL);
    return sheet_end(&s, 1, 4);
}

/* 集計表: every frequency table, one row per option. */
static sv_status sheet_frequencies(book *b, sv_error *err)
{
    static const char *const labels[3] = {"割合", "件数", "回答数"};
    static const char *const heads[4] = {"グループ", "設問", "複数回答",
                                         "選択肢"};
    const Survey__V1__Snapshot *snap = b->snap;
    size_t ntypes = snap->n_respondent_types + 1, row = 2;
    sheet s;
    sv_status st = sheet_begin(b, &s, "集計表", 4 + 3 * ntypes, err);
    if (st != SV_OK)
        return st;
    for (size_t c = 0; c < 4; c++)
        put_merged(&s, 0, c, 1, c, heads[c]);
    put_type_heads(&s, 4, labels);
    for (size_t i = 0; i < snap->n_frequencies; i++) {
        const Survey__V1__Frequency *f = snap->frequencies[i];
        for (size_t o = 0; o < f->n_options; o++, row++) {
            const Survey__V1__OptionFigures *opt = f->options[o];
            put_text(&s, row, 0, f->group_label, b->text);
            put_text(&s, row, 1, f->label, b->text);
            put_text(&s, row, 2, f->multiple ? "○" : "", b->mark);
            put_text(&s, row, 3, opt->label, b->text);
            for (size_t t = 0; t < ntypes; t++)
                put_figure(&s, row, 4 + 3 * t,
                           sv_fig_find(opt->figures, opt->n_figures,
                                       type_at(snap, t)));
        }
    }
    return sheet_end(&s, 2, 0);
}

/* 事例: every listing entry, its text wrapped. */
static sv_status sheet_listings(book *b, sv_error *err)
{
    static const char *const heads[6] = {"グループ", "設問", "団体コード",
                                         "自治体名", "区分", "内容"};
    const Survey__V1__Snapshot *snap = b->snap;
    size_t row = 1;
    sheet s;
    sv_status st = sheet_begin(b, &s, "事例", 6, err);
    if (st != SV_OK)
        return st;
    s.wrap_col = 5;
    for (size_t c = 0; c < 6; c++)
        put_head(&s, 0, c, heads[c]);
    for (size_t i = 0; i < snap->n_listings; i++) {
        const Survey__V1__Listing *l = snap->listings[i];
        for (size_t e = 0; e < l->n_entries; e++, row++) {
            const Survey__V1__ListEntry *le = l->entries[e];
            put_text(&s, row, 0, l->group_label, b->text);
            put_text(&s, row, 1, l->label, b->text);
            put_text(&s, row, 2, le->respondent, b->text);
            put_text(&s, row, 3, le->name, b->text);
            put_text(&s, row, 4, le->respondent_type, b->text);
            put_text(&s, row, 5, le->text, b->wrap);
        }
    }
    autofilter(&s, row - 1, 5);
    return sheet_end(&s, 1, 0);
}

static const char *state_name(Survey__V1__RespondentStatus__State state)
{
    switch (state) {
    case SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE:
        return "完了";
    case SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE:
        return "回答途中";
    case SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED:
        return "未回答";
    default:
        return "不明";
    }
}

/* 回答状況: the figures per type, then one row per respondent. */
static sv_status sheet_completeness(book *b, sv_error *err)
{
    static const char *const fig_heads[7] = {
        "区分", "対象", "完了", "回答途中", "未回答", "回答率", "完了率"};
    static const char *const resp_heads[6] = {
        "団体コード", "自治体名", "区分", "状態", "版", "未回答の設問"};
    const Survey__V1__Completeness *c = b->snap->completeness;
    size_t nfig = c != NULL ? c->n_figures : 0, head2 = nfig + 2;
    sheet s;
    sv_status st = sheet_begin(b, &s, "回答状況", 7, err);
    if (st != SV_OK)
        return st;
    for (size_t k = 0; k < 7; k++)
        put_head(&s, 0, k, fig_heads[k]);
    for (size_t i = 0; i < nfig; i++) {
        const Survey__V1__CompletenessFigure *f = c->figures[i];
        put_text(&s, 1 + i, 0, sv_fig_type_name(f->respondent_type), b->text);
        put_count(&s, 1 + i, 1, f->expected);
        put_count(&s, 1 + i, 2, f->complete);
        put_count(&s, 1 + i, 3, f->incomplete);
        put_count(&s, 1 + i, 4, f->not_started);
        put_percent(&s, 1 + i, 5, f->response_rate);
        put_percent(&s, 1 + i, 6, f->complete_rate);
    }
    for (size_t k = 0; k < 6; k++)
        put_head(&s, head2, k, resp_heads[k]);
    for (size_t i = 0; c != NULL && i < c->n_respondents; i++) {
        const Survey__V1__RespondentStatus *r = c->respondents[i];
        size_t row = head2 + 1 + i;
        char *missing;
        put_text(&s, row, 0, r->respondent, b->text);
        put_text(&s, row, 1, r->name, b->text);
        put_text(&s, row, 2, r->respondent_type, b->text);
        put_text(&s, row, 3, state_name(r->state), b->text);
        if (r->revision > 0)
            put_count(&s, row, 4, r->revision);
        missing = join(r->missing, r->n_missing, ", ");
        if (missing == NULL) {
            s.st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
            break;
        }
        put_text(&s, row, 5, missing, b->wrap);
        free(missing);
    }
    return sheet_end(&s, head2 + 1, 0);
}

/* ---- workbook ------------------------------------------------------------ */

static sv_status add_formats(book *b, sv_error *err)
{
    char pct[16] = "0";
    unsigned decimals = b->snap->decimals;
    lxw_format **all[] = {&b->head, &b->text, &b->mark, &b->count,
                          &b->pct,  &b->wrap, &b->date, &b->bold};
    if (decimals > MAX_DECIMALS)
        return sv_fail(err, SV_ERR_INVALID,
                       "xlsx: %u decimals (at most %d supported)", decimals,
                       MAX_DECIMALS);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        *all[i] = workbook_add_format(b->wb);
        if (*all[i] == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "xlsx: cannot add a format");
        format_set_align(*all[i], LXW_ALIGN_VERTICAL_TOP);
    }
    format_set_bold(b->head);
    format_set_bg_color(b->head, 0xD9D9D9);
    format_set_border(b->head, LXW_BORDER_THIN);
    format_set_align(b->head, LXW_ALIGN_CENTER);
    format_set_align(b->head, LXW_ALIGN_VERTICAL_CENTER);
    format_set_text_wrap(b->head);
    format_set_align(b->mark, LXW_ALIGN_CENTER);
    format_set_num_format(b->count, "#,##0");
    if (decimals > 0) {
        strcat(pct, ".");
        for (unsigned i = 0; i < decimals; i++)
            strcat(pct, "0");
    }
    strcat(pct, "%");
    format_set_num_format(b->pct, pct);
    format_set_text_wrap(b->wrap);
    format_set_num_format(b->date, "yyyy-mm-dd hh:mm:ss");
    format_set_align(b->date, LXW_ALIGN_LEFT);
    format_set_bold(b->bold);
    return SV_OK;
}

static sv_status set_properties(book *b, sv_error *err)
{
    lxw_doc_properties props;
    lxw_error rc;
    memset(&props, 0, sizeof props);
    props.title = (char *)b->snap->title;
    props.subject = (char *)b->snap->survey;
    /* The snapshot's time, not now: the same snapshot, the same bytes. */
    props.created = (time_t)(b->snap->created_ms / 1000);
    rc = workbook_set_properties(b->wb, &props);
    if (rc != LXW_NO_ERROR)
        return sv_fail(err, lxw_status(rc), "xlsx: properties: %s",
                       lxw_strerror(rc));
    return SV_OK;
}

sv_status sv_snapshot_xlsx(const Survey__V1__Snapshot *snap, const char *path,
                           sv_error *err)
{
    typedef sv_status (*sheet_fn)(book *, sv_error *);
    static const sheet_fn sheets[] = {sheet_summary,  sheet_rates,
                                      sheet_matrix,   sheet_frequencies,
                                      sheet_listings, sheet_completeness};
    book b;
    lxw_error rc;
    sv_status st;
    memset(&b, 0, sizeof b);
    b.snap = snap;
    b.wb = workbook_new(path);
    if (b.wb == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "xlsx: cannot create workbook %s",
                       path);
    st = add_formats(&b, err);
    if (st != SV_OK)
        goto fail;
    st = set_properties(&b, err);
    if (st != SV_OK)
        goto fail;
    for (size_t i = 0; i < sizeof sheets / sizeof sheets[0]; i++) {
        st = sheets[i](&b, err);
        if (st != SV_OK)
            goto fail;
    }
    /* workbook_close() writes the file and frees the workbook. */
    rc = workbook_close(b.wb);
    if (rc != LXW_NO_ERROR)
        return sv_fail(
            err, lxw_status(rc) == SV_ERR_NOMEM ? SV_ERR_NOMEM : SV_ERR_IO,
            "xlsx: write %s: %s", path, lxw_strerror(rc));
    return SV_OK;

fail:
    lxw_workbook_free(b.wb);
    return st;
}
