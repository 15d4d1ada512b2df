/* test_utf8.c: strict UTF-8 validation (questionnaire/utf8.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
