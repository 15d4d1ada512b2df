/* csv_table.h: a small CSV file read whole into rows of fields, with the
 * line each row starts on, for commands that take a spreadsheet (`survey
 * import-matrix`). Parsed with libcsv.
 *
 * Accepted as Excel writes it ("CSV UTF-8"): a leading UTF-8 byte order
 * mark, CRLF or LF line ends, RFC 4180 quoting (quotes doubled, commas and
 * line breaks inside quoted fields). Strict: a stray quote is an error.
 * Unquoted fields lose their leading and trailing spaces and tabs. Blank
 * lines are skipped. The text must be UTF-8 without NUL bytes. */
#ifndef SV_CSV_TABLE_H
#define SV_CSV_TABLE_H

#include "status.h"

#include <stddef.h>

typedef struct sv_csv_table sv_csv_table;

/* Reads path ("-" = stdin). Returns SV_OK and *out (owned by the caller:
 * sv_csv_table_destroy), or with err set ("FILE:LINE: what"):
 *   SV_ERR_IO     the file cannot be opened or read;
 *   SV_ERR_PARSE  malformed CSV, a line that is not UTF-8 or holds NUL;
 *   SV_ERR_NOMEM. */
sv_status sv_csv_table_read(sv_csv_table **out, const char *path,
                            sv_error *err);

/* Frees *self and sets it NULL. NULL-safe. */
void sv_csv_table_destroy(sv_csv_table **self);

/* Number of rows, the header row (0) included. */
size_t sv_csv_table_rows(const sv_csv_table *t);

/* Number of fields of row r. */
size_t sv_csv_table_width(const sv_csv_table *t, size_t r);

/* Field c of row r, "" beyond the row's fields. Owned by the table. */
const char *sv_csv_table_field(const sv_csv_table *t, size_t r, size_t c);

/* The line (1-based) on which row r starts: what a spreadsheet calls its
 * row number, unless a field above holds a line break. */
unsigned long sv_csv_table_line(const sv_csv_table *t, size_t r);

#endif
