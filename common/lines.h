/* lines.h: reads a text file one physical line at a time, for the CSV
 * readers that number their rows by line (questionnaire sheets, the
 * import-matrix spreadsheet). A UTF-8 byte-order mark before the first line
 * is skipped; LF and CRLF line ends are accepted and handed on with the
 * line; a bare CR line end (old Mac files) is refused with file and line,
 * since it would put many rows on one numbered line. */
#ifndef SV_LINES_H
#define SV_LINES_H

#include "status.h"

#include <stddef.h>
#include <stdio.h>

/* Called with line number `line` (1-based) and its bytes s[0..n), line end
 * included. Returns SV_OK to go on; anything else stops the reading and is
 * returned (the callee has filled err). */
typedef sv_status (*sv_line_fn)(void *ctx, unsigned long line, const char *s,
                                size_t n, sv_error *err);

/* Reads every line of fp; name is used in messages. Errors: the callback's,
 * SV_ERR_PARSE for a bare CR, SV_ERR_IO / SV_ERR_NOMEM for read failures. */
sv_status sv_lines_read(FILE *fp, const char *name, sv_line_fn fn, void *ctx,
                        sv_error *err);

#endif
