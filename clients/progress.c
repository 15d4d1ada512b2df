/* progress.c: see progress.h. */
#include "progress.h"

#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 40
#define MIN_INTERVAL_MS 100

static int64_t now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sv_progress_init(sv_progress *p, FILE *out, size_t total)
{
    int fd = fileno(out);
    p->out = out;
    p->enabled = fd >= 0 && isatty(fd) == 1;
    p->total = total;
    p->last_ms = 0;
}

void sv_progress_update(sv_progress *p, size_t done)
{
    if (!p->enabled)
        return;
    int64_t now = now_ms();
    if (done < p->total && p->last_ms != 0 &&
        now - p->last_ms < MIN_INTERVAL_MS)
        return;
    p->last_ms = now;
    size_t filled = p->total > 0 ? done * BAR_WIDTH / p->total : BAR_WIDTH;
    char bar[BAR_WIDTH + 1];
    for (size_t i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(p->out, "\r[%s] %zu/%zu", bar, done, p->total);
    fflush(p->out);
}

void sv_progress_finish(sv_progress *p)
{
    if (!p->enabled || p->last_ms == 0)
        return;
    fputs("\r\033[K", p->out);
    fflush(p->out);
}
