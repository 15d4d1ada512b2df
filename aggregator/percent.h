/* percent.h: percentages the way the report prints them: from exact
 * integer arithmetic, rounded half up (四捨五入) to a number of decimals.
 * 34/80 is 42.5% and prints "43" at 0 decimals (printf("%.0f") would print
 * 42). */
#ifndef SV_PERCENT_H
#define SV_PERCENT_H

#include <stddef.h>
#include <stdint.h>

#define SV_PERCENT_MAX_DECIMALS 6

/* Writes 100*count/n rounded half up to `decimals` places (0 to
 * SV_PERCENT_MAX_DECIMALS) into buf, e.g. "43", "42.5", "0.0". Writes ""
 * when n is 0. Returns the length written (excluding NUL), or -1 if buf is
 * too small or decimals out of range. */
int sv_percent(uint64_t count, uint64_t n, unsigned decimals, char *buf,
               size_t len);

#endif
