/* lines.c: see lines.h. */
#include "lines.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* True when s[0..n) holds a CR that is not part of a CRLF. */
static bool has_bare_cr(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
            return true;
    }
    return false;
}

sv_status sv_lines_read(FILE *fp, const char *name, sv_line_fn fn, void *ctx,
                        sv_error *err)
{
    char *buf = NULL; /* owned, grown by getline() */
    size_t cap = 0;
    unsigned long line = 0;
    sv_status st = SV_OK;
    for (;;) {
        errno = 0;
        ssize_t got = getline(&buf, &cap, fp);
        if (got < 0)
            break;
        line++;
        const char *s = buf;
        size_t n = (size_t)got;
        if (line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        if (has_bare_cr(s, n)) {
            st = sv_fail(err, SV_ERR_PARSE,
                         "%s:%lu: a bare CR line end (old Mac format): save "
                         "the file with LF or CRLF line ends",
                         name, line);
            break;
        }
        st = fn(ctx, line, s, n, err);
        if (st != SV_OK)
            break;
    }
    if (st == SV_OK && ferror(fp))
        st = sv_fail(err, errno == ENOMEM ? SV_ERR_NOMEM : SV_ERR_IO,
                     "read %s: %s", name, strerror(errno));
    free(buf);
    return st;
}
