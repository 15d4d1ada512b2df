/* test_load_steps.c: the bench's load steps (bench/load_steps.h): which
 * step the intake's target lines report, when the steps end, and the
 * --windows list. */
#include "load_steps.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define MUST 20.0

static load_step step(int window, double rate, double p99, size_t errors)
{
    return (load_step){
        .window = window, .rate = rate, .p99_ms = p99, .errors = errors};
}

static void test_goes_on_while_the_p99_meets_the_must(void **state)
{
    (void)state;
    load_step s[4] = {step(128, 70000, 12.8, 0), step(192, 76000, 17.0, 0),
                      step(256, 89000, 20.0, 0), step(320, 88000, 22.6, 0)};
    bool more = false;

    assert_int_equal(load_steps_choose(s, 1, MUST, &more), 0);
    assert_true(more);
    assert_int_equal(load_steps_choose(s, 2, MUST, &more), 1);
    assert_true(more);
    /* exactly at the must meets it */
    assert_int_equal(load_steps_choose(s, 3, MUST, &more), 2);
    assert_true(more);
    /* over it: the steps end, and the one before is reported */
    assert_int_equal(load_steps_choose(s, 4, MUST, &more), 2);
    assert_false(more);
}

static void test_the_rule_does_not_look_at_the_rates(void **state)
{
    (void)state;
    /* a larger window that met the must is reported even with fewer acks
       a second than a smaller one */
    load_step s[2] = {step(128, 90000, 12.0, 0), step(192, 80000, 19.0, 0)};
    bool more = false;

    assert_int_equal(load_steps_choose(s, 2, MUST, &more), 1);
    assert_true(more);
}

static void test_a_first_step_over_the_must_is_reported(void **state)
{
    (void)state;
    load_step s[1] = {step(128, 17000, 44.4, 0)};
    bool more = true;

    assert_int_equal(load_steps_choose(s, 1, MUST, &more), 0);
    assert_false(more);
}

static void test_a_step_with_errors_ends_the_steps(void **state)
{
    (void)state;
    load_step s[2] = {step(128, 70000, 12.0, 0), step(192, 75000, 15.0, 3)};
    bool more = true;

    /* reported, so that its errors are seen, although its p99 met the must */
    assert_int_equal(load_steps_choose(s, 2, MUST, &more), 1);
    assert_false(more);
}

static void test_parse_a_rising_list(void **state)
{
    (void)state;
    int w[LOAD_STEPS_MAX];
    char why[200] = "";

    assert_int_equal(load_steps_parse("128,192,256,320", w, why, sizeof why),
                     4);
    assert_int_equal(w[0], 128);
    assert_int_equal(w[3], 320);
    assert_int_equal(load_steps_parse("16", w, why, sizeof why), 1);
    assert_int_equal(w[0], 16);
}

static void test_parse_names_what_is_wrong(void **state)
{
    (void)state;
    int w[LOAD_STEPS_MAX];
    char why[200];

    assert_int_equal(load_steps_parse("128,96", w, why, sizeof why), 0);
    assert_non_null(strstr(why, "96 after 128 (the windows must rise)"));
    assert_int_equal(load_steps_parse("128,,256", w, why, sizeof why), 0);
    assert_non_null(strstr(why, "is not a window"));
    assert_int_equal(load_steps_parse("0", w, why, sizeof why), 0);
    assert_non_null(strstr(why, "\"0\" is not a window"));
    assert_int_equal(load_steps_parse("128;256", w, why, sizeof why), 0);
    assert_non_null(strstr(why, "separated by commas"));
    assert_int_equal(load_steps_parse("1,2,3,4,5,6,7,8,9", w, why, sizeof why),
                     0);
    assert_non_null(strstr(why, "more than 8 windows"));
    assert_int_equal(load_steps_parse("", w, why, sizeof why), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_goes_on_while_the_p99_meets_the_must),
        cmocka_unit_test(test_the_rule_does_not_look_at_the_rates),
        cmocka_unit_test(test_a_first_step_over_the_must_is_reported),
        cmocka_unit_test(test_a_step_with_errors_ends_the_steps),
        cmocka_unit_test(test_parse_a_rising_list),
        cmocka_unit_test(test_parse_names_what_is_wrong),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
