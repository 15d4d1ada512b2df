/* excel_csv.c: see excel_csv.h. */
#include "excel_csv.h"

#include <errno.h>
#include <string.h>

#define BOM "\xEF\xBB\xBF"

static int put(const char *p, size_t n, FILE *out)
{
    return n == 0 || fwrite(p, 1, n, out) == n;
}

sv_status sv_excel_csv(const char *csv, size_t len, FILE *out, sv_error *err)
{
    size_t start = 0, i;
    int ok;
    errno = 0;
    ok = put(BOM, 3, out);
    if (len >= 3 && memcmp(csv, BOM, 3) == 0)
        start = 3;
    /* Copy runs up to each bare LF, then write CR before it. */
    for (i = start; ok && i < len; i++) {
        if (csv[i] != '\n' || (i > 0 && csv[i - 1] == '\r'))
            continue;
        ok = put(csv + start, i - start, out) && put("\r", 1, out);
        start = i;
    }
    if (ok)
        ok = put(csv + start, len - start, out);
    if (fflush(out) != 0 || ferror(out))
        ok = 0;
    if (!ok)
        return sv_fail(err, SV_ERR_IO, "write CSV: %s",
                       errno != 0 ? strerror(errno) : "write error");
    return SV_OK;
}
