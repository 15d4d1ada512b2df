/* out_file.h: a file the client writes whole or not at all (snapshot -o,
 * report -o). A regular file, or a path that does not exist yet, is
 * written into a temporary file beside it and renamed over it once
 * complete: a failed write leaves what was there and removes only its
 * own temporary file. Anything else that exists (a device such as
 * /dev/stdout, a FIFO) is written in place and never removed; a folder is
 * refused before anything is written. */
#ifndef SV_OUT_FILE_H
#define SV_OUT_FILE_H

#include "status.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct {
    char *path; /* where it is to be: owned copy */
    char *tmp;  /* the temporary file (owned), or NULL when in place */
    FILE *f;    /* open for writing, in binary mode */
} sv_out_file;

/* Opens path for writing. Errors name path and the cause. */
sv_status sv_out_open(sv_out_file *o, const char *path, sv_error *err);

/* The name to write to when a library opens the file itself (the xlsx
 * writer): the temporary file, or path when in place. o->f stays open
 * (and unused) until sv_out_commit or sv_out_abandon. */
const char *sv_out_name(const sv_out_file *o);

/* Closes the file and, when it was written to a temporary file, renames
 * it over path. On failure (a write error seen by the stream, the close,
 * the rename) the temporary file is removed and err says why. */
sv_status sv_out_commit(sv_out_file *o, sv_error *err);

/* Closes and removes the temporary file (path itself is left as it was). */
void sv_out_abandon(sv_out_file *o);

#endif
