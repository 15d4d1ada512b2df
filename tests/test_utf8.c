/* test_utf8.c: strict UTF-8 validation (questionnaire/utf8.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

static bool valid(const char *s)
{
    return sv_utf8_valid(s, strlen(s));
}

static void test_edges(void **state)
{
    (void)state;
    static const char *const good[] = {
        "",
        "a",
        "question_7",
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "\xC2\x80",         /* U+0080 */
        "\xDF\xBF",         /* U+07FF */
        "\xE0\xA0\x80",     /* U+0800 */
        "\xE3\x81\x82",     /* あ */
        "\xED\x9F\xBF",     /* U+D7FF, below the surrogates */
        "\xEE\x80\x80",     /* U+E000, above them */
        "\xEF\xBF\xBF",     /* U+FFFF */
        "\xF0\x90\x80\x80", /* U+10000 */
        "\xF4\x8F\xBF\xBF", /* U+10FFFF */
        "ab\xE5\xAE\x9F\xE6\x96\xBD" /* 実施 */ "cdefghijk\xC3\xA9",
    };
    static const char *const bad[] = {
        "\x80",                 /* a continuation byte alone */
        "\xC0\x80",             /* overlong */
        "\xC1\xBF",             /* overlong */
        "\xE0\x80\x80",         /* overlong */
        "\xE0\x9F\xBF",         /* overlong */
        "\xED\xA0\x80",         /* surrogate U+D800 */
        "\xED\xBF\xBF",         /* surrogate U+DFFF */
        "\xF0\x80\x80\x80",     /* overlong */
        "\xF0\x8F\xBF\xBF",     /* overlong */
        "\xF4\x90\x80\x80",     /* above U+10FFFF */
        "\xF5\x80\x80\x80",     /* no such lead byte */
        "\xFF",                 /* nor this */
        "\xE3\x81",             /* cut short */
        "\xE3\x81\x41",         /* not a continuation */
        "\xE3\xC1\x82",         /* nor this */
        "abcdefghi\xE3\x81",    /* cut short after eight ASCII bytes */
        "abcdefgh\x80xyz",      /* a stray byte among ASCII */
        "\xE3\x81\x82\xEF\xBF", /* cut short after a sequence */
    };

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!valid(good[i]))
            fail_msg("good case %zu refused", i);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (valid(bad[i]))
            fail_msg("bad case %zu accepted", i);
    }
    /* the length given is what counts, not a NUL */
    assert_true(sv_utf8_valid("\xE3\x81\x82zz", 3));
    assert_false(sv_utf8_valid("\xE3\x81\x82", 2));
}

/* The specification: sequences as sv_utf8_seq() takes them, one by one. */
static bool valid_by_seq(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = sv_utf8_seq((const char *)s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static void same(const unsigned char *s, size_t len)
{
    if (sv_utf8_valid((const char *)s, len) != valid_by_seq(s, len))
        fail_msg("sv_utf8_valid and sv_utf8_seq disagree on %zu bytes "
                 "starting %02X %02X %02X %02X",
                 len, len > 0 ? s[0] : 0, len > 1 ? s[1] : 0,
                 len > 2 ? s[2] : 0, len > 3 ? s[3] : 0);
}

/* sv_utf8_valid (ASCII eight bytes at a time, most three-byte sequences in
 * line) says what sv_utf8_seq says: every string of one and two bytes,
 * every one of three to five bytes whose first four are bytes at the edges
 * of the ranges, each after 0 to 9 or 17 ASCII bytes (so that the
 * eight-byte steps end anywhere). */
static void test_same_as_seq(void **state)
{
    (void)state;
    static const unsigned char edge[] = {
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
        0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xE3, 0xEC, 0xED,
        0xEE, 0xEF, 0xF0, 0xF3, 0xF4, 0xF5, 0xFF};
    const size_t ne = sizeof edge;
    unsigned char buf[32];

    for (size_t pre = 0; pre <= 17; pre += pre < 9 ? 1 : 8) {
        memset(buf, 'a', sizeof buf);
        for (unsigned a = 0; a < 256; a++) {
            buf[pre] = (unsigned char)a;
            same(buf, pre + 1);
            for (unsigned b = 0; b < 256; b++) {
                buf[pre + 1] = (unsigned char)b;
                same(buf, pre + 2);
                same(buf, pre + 3);
            }
        }
        for (size_t a = 0; a < ne; a++)
            for (size_t b = 0; b < ne; b++)
                for (size_t c = 0; c < ne; c++)
                    for (size_t d = 0; d < ne; d++) {
                        buf[pre] = edge[a];
                        buf[pre + 1] = edge[b];
                        buf[pre + 2] = edge[c];
                        buf[pre + 3] = edge[d];
                        same(buf, pre + 3);
                        same(buf, pre + 4);
                        same(buf, pre + 5);
                    }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_same_as_seq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
