/* sheet.h: one CSV sheet of a questionnaire (settings.csv, survey.csv...),
 * read with libcsv into rows of UTF-8 fields. The first non-blank row is the
 * header; columns are looked up by header name. Each row remembers the
 * physical line it starts on (header = line 1) so that callers can write
 * "survey.csv:12: column relevant: ..." messages.
 *
 * CSV rules: RFC 4180 quoting (fields may hold commas, quotes doubled, and
 * newlines), strict (a stray quote is an error), unquoted fields trimmed of
 * spaces and tabs, blank lines skipped, CRLF or LF endings, a leading UTF-8
 * byte order mark stripped. Every field must be valid UTF-8 without NUL. */
#ifndef SV_SHEET_H
#define SV_SHEET_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct sv_sheet sv_sheet;

/* Reads the CSV file at path; name (copied) is the file name used in
 * messages, e.g. "survey.csv". Returns SV_OK and sets *out (owned by the
 * caller: sv_sheet_destroy()), or:
 *   SV_ERR_IO     the file cannot be opened or read (err names path);
 *   SV_ERR_PARSE  malformed CSV, a field that is not UTF-8, no header row or
 *                 a duplicate header name (err says "name:line: ...");
 *   SV_ERR_NOMEM  out of memory. */
sv_status sv_sheet_load(sv_sheet **out, const char *path, const char *name,
                        sv_error *err);

/* A data row handed to the callback of sv_sheet_load_each(): its fields
 * are valid during the call only. */
typedef struct {
    const char *const *fields;
    size_t n;
    unsigned long line; /* physical line on which the row starts */
} sv_sheet_row;

/* Returns SV_OK to go on; anything else stops the load with that status
 * (the callback writes err). */
typedef sv_status (*sv_sheet_row_fn)(void *ctx, const sv_sheet *s,
                                     const sv_sheet_row *row, sv_error *err);

/* As sv_sheet_load(), but each data row (blank ones too) is handed to fn
 * as it is read and not kept: *out has the header only (sv_sheet_rows()
 * is 0). For sheets too large to keep as fields, such as a roster of a
 * million respondents. */
sv_status sv_sheet_load_each(sv_sheet **out, const char *path, const char *name,
                             sv_sheet_row_fn fn, void *ctx, sv_error *err);

/* Field col of a handed row, "" when col is negative or the row has fewer
 * fields; and whether all its fields are empty. */
const char *sv_sheet_row_field(const sv_sheet_row *row, int col);
bool sv_sheet_row_is_blank(const sv_sheet_row *row);

/* Frees *self and sets it to NULL. NULL-safe. */
void sv_sheet_destroy(sv_sheet **self);

/* The name given to sv_sheet_load(). Owned by the sheet. */
const char *sv_sheet_name(const sv_sheet *s);

/* Line of the header row. */
unsigned long sv_sheet_header_line(const sv_sheet *s);

/* Index of the column whose header is exactly header, or -1. */
int sv_sheet_column(const sv_sheet *s, const char *header);

/* Number of data rows (header and blank lines excluded). */
size_t sv_sheet_rows(const sv_sheet *s);

/* Field of data row r (< sv_sheet_rows()) in column col. Returns "" when col
 * is negative or the row has fewer fields. Owned by the sheet; valid until
 * it is destroyed. */
const char *sv_sheet_field(const sv_sheet *s, size_t r, int col);

/* Physical line on which data row r starts. */
unsigned long sv_sheet_line(const sv_sheet *s, size_t r);

/* True if every field of data row r is empty (e.g. ",,,,"). */
bool sv_sheet_row_blank(const sv_sheet *s, size_t r);

#endif
