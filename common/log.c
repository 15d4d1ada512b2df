/* log.c: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

long long sv_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sv_log(const char *program, const char *fmt, ...)
{
    char line[2048];
    long long ms = sv_now_ms();
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    size_t used = 0;
    if (gmtime_r(&secs, &tm) != NULL)
        used = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
    int w = snprintf(line + used, sizeof line - used,
                     ".%03dZ %s: ", (int)(ms % 1000), program);
    if (w > 0)
        used += (size_t)w < sizeof line - used ? (size_t)w : 0;
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(line + used, sizeof line - used - 1, fmt, ap);
    va_end(ap);
    if (w > 0)
        used += (size_t)w < sizeof line - used - 1 ? (size_t)w
                                                   : sizeof line - used - 2;
    line[used++] = '\n';
    ssize_t rc = write(STDERR_FILENO, line, used);
    (void)rc; /* nowhere left to report a failing stderr */
}
