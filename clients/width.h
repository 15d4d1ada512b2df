/* width.h: how many terminal columns a UTF-8 string takes, so that text
 * tables with Japanese labels line up. East Asian wide and fullwidth
 * characters (kanji, kana, hangul, fullwidth forms, most emoji) count 2,
 * combining marks and other zero-width characters 0, everything else 1.
 * East Asian "ambiguous" characters such as ○ and × count 1, as wcwidth()
 * does outside CJK locales. Independent of the locale: works in the C
 * locale. */
#ifndef SV_WIDTH_H
#define SV_WIDTH_H

#include <stddef.h>
#include <stdint.h>

/* Columns of one code point: 0, 1 or 2 (0 for C0/C1 controls). */
int sv_width_codepoint(uint32_t cp);

/* Columns of the first len bytes of s. A byte that does not start a valid
 * UTF-8 sequence counts 1 column. */
size_t sv_width_bytes(const char *s, size_t len);

/* Columns of the NUL-terminated s. */
size_t sv_width(const char *s);

/* Decodes the UTF-8 sequence at s (len > 0 bytes available) into *cp and
 * returns its length in bytes (1-4). An invalid or truncated sequence
 * gives *cp = 0xFFFD and length 1. */
size_t sv_utf8_next(const char *s, size_t len, uint32_t *cp);

#endif
