/* utf8.c: strict UTF-8 validation (see utf8.h). */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

size_t sv_utf8_seq(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    if (len == 0)
        return 0;
    if (u[0] < 0x80)
        return 1;
    if (u[0] >= 0xC2 && u[0] <= 0xDF)
        return len >= 2 && is_cont(u[1]) ? 2 : 0;
    if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        if (len < 3 || !is_cont(u[1]) || !is_cont(u[2]))
            return 0;
        if (u[0] == 0xE0 && u[1] < 0xA0)
            return 0; /* overlong */
        if (u[0] == 0xED && u[1] >= 0xA0)
            return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        if (len < 4 || !is_cont(u[1]) || !is_cont(u[2]) || !is_cont(u[3]))
            return 0;
        if (u[0] == 0xF0 && u[1] < 0x90)
            return 0; /* overlong */
        if (u[0] == 0xF4 && u[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Eight bytes with the high bit set in none of them: ASCII. */
#define HIGHS UINT64_C(0x8080808080808080)

/* The sequences sv_utf8_seq() takes, with ASCII skipped eight bytes at a
 * time and the three-byte sequences of Japanese text checked in line:
 * answers' texts are validated on the intake's path (check_encoding). The
 * other sequences go to sv_utf8_seq(). tests/test_utf8.c compares the two
 * over every string of up to two bytes and many longer ones. */
bool sv_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    const unsigned char *end = u + len;

    while (u < end) {
        unsigned c = u[0];
        if (c < 0x80) {
            uint64_t w;
            while (end - u >= 8 && (memcpy(&w, u, 8), (w & HIGHS) == 0))
                u += 8;
            while (u < end && u[0] < 0x80)
                u++;
            continue;
        }
        /* leads E1 to EC and EE to EF: U+1000 to U+CFFF and U+E000 to
           U+FFFF, where no three bytes are overlong or a surrogate */
        if ((c & 0xF0) == 0xE0 && c != 0xE0 && c != 0xED && end - u >= 3 &&
            (u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80) {
            u += 3;
            continue;
        }
        size_t n = sv_utf8_seq((const char *)u, (size_t)(end - u));
        if (n == 0)
            return false;
        u += n;
    }
    return true;
}
