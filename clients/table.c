/* table.c: see table.h. Cells live in one growing array, row by row. */
#include "table.h"

#include "width.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sv_table {
    size_t ncols;
    sv_align *align; /* ncols */
    char **cells;    /* rows * ncols, NULL = "" */
    size_t rows;
    size_t cap;   /* rows allocated */
    bool started; /* the current row exists */
    size_t col;   /* next cell of the current row */
    bool failed;  /* an allocation failed */
};

sv_table *sv_table_new(size_t ncols)
{
    if (ncols == 0)
        return NULL;
    sv_table *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->ncols = ncols;
    t->align = calloc(ncols, sizeof *t->align);
    if (t->align == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void sv_table_destroy(sv_table **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_table *t = *self;
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->align);
    free(t);
    *self = NULL;
}

void sv_table_align(sv_table *t, size_t col, sv_align align)
{
    if (col < t->ncols)
        t->align[col] = align;
}

void sv_table_row(sv_table *t)
{
    if (t->failed)
        return;
    if (t->rows == t->cap) {
        size_t cap = t->cap == 0 ? 16 : t->cap * 2;
        char **cells = realloc(t->cells, cap * t->ncols * sizeof *cells);
        if (cells == NULL) {
            t->failed = true;
            return;
        }
        t->cells = cells;
        t->cap = cap;
    }
    memset(&t->cells[t->rows * t->ncols], 0, t->ncols * sizeof *t->cells);
    t->rows++;
    t->col = 0;
    t->started = true;
}

/* Takes text (malloc'd, may be NULL after a failed allocation). */
static void put_cell(sv_table *t, char *text)
{
    if (!t->started)
        sv_table_row(t);
    if (text == NULL)
        t->failed = true;
    if (t->failed || t->col >= t->ncols) {
        free(text);
        return;
    }
    t->cells[(t->rows - 1) * t->ncols + t->col++] = text;
}

void sv_table_cell(sv_table *t, const char *text)
{
    put_cell(t, strdup(text != NULL ? text : ""));
}

void sv_table_cellf(sv_table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *buf = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (buf != NULL) {
        va_start(ap, fmt);
        if (vsnprintf(buf, (size_t)len + 1, fmt, ap) != len) {
            free(buf);
            buf = NULL;
        }
        va_end(ap);
    }
    put_cell(t, buf);
}

size_t sv_table_rows(const sv_table *t)
{
    return t->rows;
}

static const char *cell_at(const sv_table *t, size_t row, size_t col)
{
    const char *c = t->cells[row * t->ncols + col];
    return c != NULL ? c : "";
}

/* A cell as written in text: control characters become spaces. */
static void put_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        fputc(*p < 0x20 || *p == 0x7F ? ' ' : *p, out);
}

static void put_spaces(FILE *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fputc(' ', out);
}

/* The last column that is non-empty in row (for trimming), or 0. */
static size_t last_used(const sv_table *t, size_t row)
{
    size_t last = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (cell_at(t, row, c)[0] != '\0')
            last = c;
    }
    return last;
}

static void write_text_row(const sv_table *t, FILE *out, size_t row,
                           const size_t *widths)
{
    size_t last = last_used(t, row);
    for (size_t c = 0; c <= last; c++) {
        const char *s = cell_at(t, row, c);
        size_t w = sv_width(s);
        size_t pad = widths[c] > w ? widths[c] - w : 0;
        if (c > 0)
            put_spaces(out, 2);
        if (t->align[c] == SV_ALIGN_RIGHT)
            put_spaces(out, pad);
        put_text(out, s);
        if (t->align[c] == SV_ALIGN_LEFT && c < last)
            put_spaces(out, pad);
    }
    fputc('\n', out);
}

static sv_status write_text(const sv_table *t, FILE *out, sv_error *err)
{
    size_t *widths = calloc(t->ncols, sizeof *widths);
    if (widths == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = sv_width(cell_at(t, r, c));
            if (w > widths[c])
                widths[c] = w;
        }
    }
    for (size_t r = 0; r < t->rows; r++) {
        write_text_row(t, out, r, widths);
        if (r > 0)
            continue;
        size_t total = 0;
        for (size_t c = 0; c < t->ncols; c++)
            total += widths[c] + (c > 0 ? 2 : 0);
        for (size_t i = 0; i < total; i++)
            fputc('-', out);
        fputc('\n', out);
    }
    free(widths);
    return SV_OK;
}

void sv_table_md_escape(FILE *out, const char *s)
{
    static const char special[] = "\\`*_[]<>|~&#";
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        if (*p == '\n' || *p == '\r')
            fputs("<br>", out);
        else if (*p < 0x20 || *p == 0x7F)
            fputc(' ', out);
        else if (strchr(special, *p) != NULL)
            fprintf(out, "\\%c", *p);
        else
            fputc(*p, out);
    }
}

static void write_md(const sv_table *t, FILE *out)
{
    for (size_t r = 0; r < t->rows; r++) {
        fputc('|', out);
        for (size_t c = 0; c < t->ncols; c++) {
            fputc(' ', out);
            sv_table_md_escape(out, cell_at(t, r, c));
            fputs(" |", out);
        }
        fputc('\n', out);
        if (r > 0)
            continue;
        fputc('|', out);
        for (size_t c = 0; c < t->ncols; c++)
            fputs(t->align[c] == SV_ALIGN_RIGHT ? " ---: |" : " --- |", out);
        fputc('\n', out);
    }
}

sv_status sv_table_write(const sv_table *t, FILE *out, sv_table_style style,
                         sv_error *err)
{
    if (t->failed)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (t->rows == 0)
        return SV_OK;
    if (style == SV_TABLE_MARKDOWN) {
        write_md(t, out);
        return SV_OK;
    }
    return write_text(t, out, err);
}
