/* load_steps.h: the intake at rising load, and which step its target lines
 * report.
 *
 * The intake targets are a rate and the ack p99 "at that rate": a
 * capacity under a latency bound. A closed-loop load generator sets its
 * load by the requests it keeps in flight (clients x window), so the bench
 * runs the same intake at a fixed, rising ladder of windows (128, 192, 256,
 * 320 a client by default) and reports the largest window whose p99 met its
 * must, stopping at the first that did not. The rule is fixed in advance
 * and does not look at the rates: a larger window that met the p99 is
 * reported even when a smaller one happened to make more acks a second.
 * Every step's rate and p99 is printed beside it. */
#ifndef SV_LOAD_STEPS_H
#define SV_LOAD_STEPS_H

#include <stdbool.h>
#include <stddef.h>

#define LOAD_STEPS_MAX 8

typedef struct {
    int window;    /* requests in flight per client */
    double rate;   /* acks per second */
    double p99_ms; /* ack latency p99 */
    size_t errors; /* requests answered with an error */
} load_step;

/* Reads a comma-separated ascending list of windows ("128,192,256") into
 * out (at most LOAD_STEPS_MAX, each 1 to 100000); returns how many, or 0
 * (with a message in why, of size why_len) if the list is not that. */
int load_steps_parse(const char *list, int *out, char *why, size_t why_len);

/* After the steps s[0..n-1] (n >= 1) have run, in the order of the list:
 * the index of the step the target lines report, and in *more whether to
 * run the next window. The steps go on while each step's p99 is at most
 * p99_must_ms and it had no errors; the reported step is the last that met
 * the must, or the first when none did. A step with errors ends the steps
 * and is the one reported, so that its errors are seen. */
int load_steps_choose(const load_step *s, int n, double p99_must_ms,
                      bool *more);

#endif
