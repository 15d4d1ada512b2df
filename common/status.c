/* status.c: text for sv_status and the error-buffer helper. */
#include "status.h"

#include <stdarg.h>
#include <stdio.h>

const char *sv_status_str(sv_status st)
{
    switch (st) {
    case SV_OK:
        return "ok";
    case SV_ERR_NOMEM:
        return "out of memory";
    case SV_ERR_IO:
        return "input/output error";
    case SV_ERR_PARSE:
        return "parse error";
    case SV_ERR_INVALID:
        return "invalid input";
    case SV_ERR_NOT_FOUND:
        return "not found";
    case SV_ERR_CONFLICT:
        return "conflict";
    case SV_ERR_FULL:
        return "storage full";
    case SV_ERR_STORE:
        return "storage error";
    case SV_ERR_TOO_LARGE:
        return "too large";
    case SV_ERR_ZMQ:
        return "messaging error";
    case SV_ERR_PROTO:
        return "undecodable message";
    case SV_ERR_TIMEOUT:
        return "timed out";
    }
    return "unknown status";
}

sv_status sv_fail(sv_error *err, sv_status st, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        if (n < 0)
            err->msg[0] = '\0';
    }
    return st;
}
