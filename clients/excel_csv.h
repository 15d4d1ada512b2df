/* excel_csv.h: CSV as Excel opens it without an import dialog: UTF-8 with
 * a byte order mark (else Excel reads Shift_JIS and garbles Japanese) and
 * CRLF line ends. A filter over the bytes of any CSV, e.g. the output of
 * sv_snapshot_write_csv(). */
#ifndef SV_EXCEL_CSV_H
#define SV_EXCEL_CSV_H

#include "status.h"

#include <stddef.h>
#include <stdio.h>

/* Writes the BOM (EF BB BF), then csv[0..len) with every LF that is not
 * already preceded by CR written as CRLF: record ends and line breaks
 * inside quoted fields alike (the conversion needs no quote tracking and
 * treats both the same). A CRLF stays CRLF, a lone CR is kept as it is,
 * a BOM at the start of csv is not doubled, nothing is added at the end.
 * csv may be NULL when len is 0. Flushes out. Returns SV_OK, or SV_ERR_IO
 * with err set when writing to out fails. */
sv_status sv_excel_csv(const char *csv, size_t len, FILE *out, sv_error *err);

#endif
