/* status.h: the one status enum of the whole code base, its text, and an
 * error buffer that carries the detail (which file, row, question...).
 *
 * Every fallible function returns sv_status and, when given a non-NULL
 * sv_error, writes one human-readable line into it on failure. */
#ifndef SV_STATUS_H
#define SV_STATUS_H

typedef enum {
    SV_OK = 0,
    SV_ERR_NOMEM,     /* out of memory */
    SV_ERR_IO,        /* a file or directory could not be read/written */
    SV_ERR_PARSE,     /* malformed sheet, expression, JSON or CSV */
    SV_ERR_INVALID,   /* a well-formed input that breaks a rule */
    SV_ERR_NOT_FOUND, /* no such survey, respondent or record */
    SV_ERR_CONFLICT,  /* stale base revision or reused submission id */
    SV_ERR_FULL,      /* the LMDB map is full: nothing was written */
    SV_ERR_STORE,     /* any other LMDB failure */
    SV_ERR_TOO_LARGE, /* over a documented size limit */
    SV_ERR_ZMQ,       /* a ZeroMQ call failed */
    SV_ERR_PROTO,     /* a protobuf message could not be decoded */
    SV_ERR_TIMEOUT    /* no reply in time */
} sv_status;

/* One line of detail. Writers always NUL-terminate. */
typedef struct {
    char msg[512];
} sv_error;

/* Returns a static, never-NULL description of st. */
const char *sv_status_str(sv_status st);

/* Formats the detail into err (if non-NULL) and returns st, so that callers
 * can write `return sv_fail(err, SV_ERR_IO, "open %s: %s", ...)`. */
sv_status sv_fail(sv_error *err, sv_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
