/* table.h: a table of text cells, written either as aligned plain text
 * (columns padded by display width, see width.h) or as a GitHub-flavoured
 * Markdown table. The first row is the header.
 *
 * Building never fails loudly: a failed allocation is remembered and
 * reported by sv_table_write, like a stream's error flag, so that code that
 * fills a table stays readable. */
#ifndef SV_TABLE_H
#define SV_TABLE_H

#include "status.h"

#include <stddef.h>
#include <stdio.h>

typedef struct sv_table sv_table;

typedef enum { SV_ALIGN_LEFT, SV_ALIGN_RIGHT } sv_align;

typedef enum {
    SV_TABLE_TEXT,    /* aligned plain text */
    SV_TABLE_MARKDOWN /* GitHub-flavoured Markdown */
} sv_table_style;

/* A table of ncols (>= 1) columns, all left-aligned. Returns NULL when out
 * of memory. Free with sv_table_destroy. */
sv_table *sv_table_new(size_t ncols);

/* Frees *self and sets it NULL. NULL-safe. */
void sv_table_destroy(sv_table **self);

/* Aligns column col (ignored when out of range). */
void sv_table_align(sv_table *t, size_t col, sv_align align);

/* Starts a new row. Cells added before the first call start one too. */
void sv_table_row(sv_table *t);

/* Appends a copy of text (NULL = "") to the current row. Cells beyond the
 * column count are dropped; missing ones are empty. */
void sv_table_cell(sv_table *t, const char *text);

/* Appends a printf-formatted cell. */
void sv_table_cellf(sv_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Rows so far, header included. */
size_t sv_table_rows(const sv_table *t);

/* Writes the table. Text: the header, a rule of '-', the rows; columns two
 * spaces apart, no trailing blanks; a newline, tab or other control
 * character in a cell is written as a space. Markdown: `| a | b |` rows
 * with a `| --- | ---: |` delimiter row; cells are escaped with
 * sv_table_md_escape. Returns SV_OK, or SV_ERR_NOMEM (with err set) when
 * building failed; write errors are left in out's error flag. */
sv_status sv_table_write(const sv_table *t, FILE *out, sv_table_style style,
                         sv_error *err);

/* Writes s for Markdown inline text: ASCII punctuation with a meaning in
 * Markdown (\ ` * _ [ ] < > | ~ & #) backslash-escaped, a line break as
 * <br>, other control characters as spaces. */
void sv_table_md_escape(FILE *out, const char *s);

#endif
