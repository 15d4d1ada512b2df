/* progress.h: a one-line progress bar for long commands. It draws only
 * when its stream is a terminal, and at most ten times a second. */
#ifndef SV_PROGRESS_H
#define SV_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *out;    /* borrowed; usually stderr */
    bool enabled; /* out is a terminal */
    size_t total;
    int64_t last_ms; /* monotonic time of the last drawing */
} sv_progress;

/* Prepares p for total steps on out (drawing nothing yet). */
void sv_progress_init(sv_progress *p, FILE *out, size_t total);

/* Shows done of total, unless drawn less than 100 ms ago (always draws
 * when done == total). */
void sv_progress_update(sv_progress *p, size_t done);

/* Erases the bar, so that what follows starts on a clean line. */
void sv_progress_finish(sv_progress *p);

#endif
