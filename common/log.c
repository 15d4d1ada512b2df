/* log.c: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
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
    char msg[sizeof line];
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* one record a line: a control character (a message may echo what a
       client sent) is written as \xNN */
    for (size_t i = 0; w > 0 && msg[i] != '\0'; i++) {
        unsigned char c = (unsigned char)msg[i];
        bool control = c < 0x20 || c == 0x7f;
        if (used + (control ? 4 : 1) > sizeof line - 1)
            break;
        if (control)
            used += (size_t)snprintf(line + used, 5, "\\x%02X", c);
        else
            line[used++] = (char)c;
    }
    line[used++] = '\n';
    ssize_t rc = write(STDERR_FILENO, line, used);
    (void)rc; /* nowhere left to report a failing stderr */
}
