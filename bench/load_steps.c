/* load_steps.c: see load_steps.h. */
#include "load_steps.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int load_steps_parse(const char *list, int *out, char *why, size_t why_len)
{
    const char *p = list;
    int n = 0;

    while (1) {
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno != 0 || v < 1 || v > 100000) {
            snprintf(why, why_len,
                     "--windows %s: \"%s\" is not a window (1 to 100000)", list,
                     p);
            return 0;
        }
        if (n == LOAD_STEPS_MAX) {
            snprintf(why, why_len, "--windows %s: more than %d windows", list,
                     LOAD_STEPS_MAX);
            return 0;
        }
        if (n > 0 && v <= out[n - 1]) {
            snprintf(why, why_len,
                     "--windows %s: %ld after %d (the windows must rise)", list,
                     v, out[n - 1]);
            return 0;
        }
        out[n++] = (int)v;
        if (*end == '\0')
            return n;
        if (*end != ',') {
            snprintf(why, why_len,
                     "--windows %s: \"%s\" (windows are separated by commas)",
                     list, end);
            return 0;
        }
        p = end + 1;
    }
}

int load_steps_choose(const load_step *s, int n, double p99_must_ms, bool *more)
{
    int chosen = 0;

    for (int i = 0; i < n; i++) {
        if (s[i].errors > 0) {
            *more = false;
            return i;
        }
        if (s[i].p99_ms > p99_must_ms) {
            *more = false;
            return chosen;
        }
        chosen = i;
    }
    *more = true;
    return chosen;
}
