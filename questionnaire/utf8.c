/* utf8.c: strict UTF-8 validation (see utf8.h). */
#include "utf8.h"

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

bool sv_utf8_valid(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        size_t n = sv_utf8_seq(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}
