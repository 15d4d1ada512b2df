/* percent.c: percentages from exact integer arithmetic (percent.h).
 *
 * In units of 10^-d percent the rounded value is
 *   floor((2 * count * 100 * 10^d + n) / (2 * n)),
 * i.e. 100 * count / n plus one half, floored: half up. With count and n
 * below 2^64 and d <= 6 every term fits in 128 bits (2^64 * 2 * 10^8 <
 * 2^92), so nothing can overflow. With count and n below 2^32, as every
 * tally of the report is, the terms fit in 64 bits (2^32 * 2 * 10^8 <
 * 2^60), whose divisions are much cheaper than 128-bit ones (a snapshot
 * formats one percentage per figure): the same formula, in 64 bits. */
#include "percent.h"

#include <string.h>

#if !defined(__SIZEOF_INT128__)
#error "percent.c needs a compiler with unsigned __int128"
#endif

typedef unsigned __int128 u128;

/* Writes v in decimal, at least `digits` digits (zero-padded), into out;
 * returns the length. out must hold 40 bytes. */
static size_t u128_digits(u128 v, size_t digits, char *out)
{
    char tmp[40];
    size_t n = 0;

    for (; v > UINT64_MAX; v /= 10)
        tmp[n++] = (char)('0' + (unsigned)(v % 10));
    uint64_t w = (uint64_t)v; /* the rest in 64 bits */
    do {
        tmp[n++] = (char)('0' + (unsigned)(w % 10));
        w /= 10;
    } while (w != 0 || n < digits);
    for (size_t k = 0; k < n; k++)
        out[k] = tmp[n - 1 - k];
    return n;
}

int sv_percent(uint64_t count, uint64_t n, unsigned decimals, char *buf,
               size_t len)
{
    char text[96];
    size_t used;

    if (decimals > SV_PERCENT_MAX_DECIMALS || buf == NULL || len == 0)
        return -1;
    if (n == 0) {
        buf[0] = '\0';
        return 0;
    }
    uint64_t scale = 1;
    for (unsigned k = 0; k < decimals; k++)
        scale *= 10;
    u128 whole;
    uint64_t frac;
    if (count <= UINT32_MAX && n <= UINT32_MAX) {
        uint64_t value = (2 * count * 100 * scale + n) / (2 * n);
        whole = value / scale;
        frac = value % scale;
    } else {
        u128 value = (2 * (u128)count * 100 * scale + n) / (2 * (u128)n);
        whole = value / scale;
        frac = (uint64_t)(value % scale);
    }
    used = u128_digits(whole, 1, text);
    if (decimals > 0) {
        text[used++] = '.';
        used += u128_digits(frac, decimals, text + used);
    }
    if (used + 1 > len)
        return -1;
    memcpy(buf, text, used);
    buf[used] = '\0';
    return (int)used;
}
