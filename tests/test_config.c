/* test_config.c: configuration files become arguments that the command
 * line overrides; errors name the file and line. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void test_file_settings_come_first(void **state)
{
    (void)state;
    char path[] = "/tmp/sv-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "; a comment\n"
                     "[survey-collector]\n"
                     "data = /srv/survey\n"
                     "endpoint = tcp://127.0.0.1:6000\n"
                     "[survey-aggregator]\n"
                     "poll = 50\n");
    char *argv[] = {"prog", "--config", path, "--endpoint", "ipc:///x", NULL};
    int n = 0;
    char **args = NULL;
    sv_error err = {{0}};
    assert_int_equal(
        sv_config_args(5, argv, "survey-collector", NULL, &n, &args, &err),
        SV_OK);
    assert_int_equal(n, 5);
    assert_string_equal(args[0], "prog");
    assert_string_equal(args[1], "--data=/srv/survey");
    assert_string_equal(args[2], "--endpoint=tcp://127.0.0.1:6000");
    /* the command line's own come last, so getopt lets them win */
    assert_string_equal(args[3], "--endpoint");
    assert_string_equal(args[4], "ipc:///x");
    assert_null(args[5]);
    sv_config_free(n, args);
    unlink(path);
}

static void test_without_config_copies_argv(void **state)
{
    (void)state;
    char *argv[] = {"prog", "--data", "d", NULL};
    int n = 0;
    char **args = NULL;
    assert_int_equal(
        sv_config_args(3, argv, "survey-collector", NULL, &n, &args, NULL),
        SV_OK);
    assert_int_equal(n, 3);
    assert_string_equal(args[1], "--data");
    assert_null(args[3]);
    sv_config_free(n, args);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    char *missing[] = {"prog", "--config=/nonexistent/x.ini", NULL};
    int n = 0;
    char **args = NULL;
    sv_error err = {{0}};
    assert_int_equal(sv_config_args(2, missing, "s", NULL, &n, &args, &err),
                     SV_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x.ini"));

    char path[] = "/tmp/sv-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "[s]\nok = 1\nthis is not a setting\n");
    char *bad[] = {"prog", "--config", path, NULL};
    assert_int_equal(sv_config_args(3, bad, "s", NULL, &n, &args, &err),
                     SV_ERR_PARSE);
    char where[64];
    snprintf(where, sizeof where, "%s:3", path);
    assert_non_null(strstr(err.msg, where));
    unlink(path);
}

/* With the program's options: a flag is on or off, an unknown key is
 * named with its file and line. */
static void test_flags_and_unknown_keys(void **state)
{
    (void)state;
    static const struct option opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"no-auth", no_argument, NULL, 'A'},
                                         {NULL, 0, NULL, 0}};
    char path[] = "/tmp/sv-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *argv[] = {"prog", "--config", path, NULL};
    int n = 0;
    char **args = NULL;
    sv_error err = {{0}};
    char where[64];

    write_file(path, "[s]\ndata = d\nno-auth = true\n");
    assert_int_equal(sv_config_args(3, argv, "s", opts, &n, &args, &err),
                     SV_OK);
    assert_int_equal(n, 3);
    assert_string_equal(args[1], "--data=d");
    assert_string_equal(args[2], "--no-auth");
    sv_config_free(n, args);

    write_file(path, "[s]\nno-auth = off\n");
    assert_int_equal(sv_config_args(3, argv, "s", opts, &n, &args, &err),
                     SV_OK);
    assert_int_equal(n, 1);
    sv_config_free(n, args);

    write_file(path, "[s]\ndata = d\nno-auth = maybe\n");
    assert_int_equal(sv_config_args(3, argv, "s", opts, &n, &args, &err),
                     SV_ERR_PARSE);
    snprintf(where, sizeof where, "%s:3: no-auth is on or off", path);
    assert_non_null(strstr(err.msg, where));

    write_file(path, "[s]\nbogus = 1\n[other]\nbogus = 2\n");
    assert_int_equal(sv_config_args(3, argv, "s", opts, &n, &args, &err),
                     SV_ERR_PARSE);
    snprintf(where, sizeof where, "%s:2: unknown key 'bogus'", path);
    assert_non_null(strstr(err.msg, where));
    unlink(path);
}

/* Sizes and bounded integers of the command lines. */
static void test_numbers(void **state)
{
    (void)state;
    size_t sz = 0;
    long v = 0;

    assert_int_equal(sv_config_size("123", &sz), 0);
    assert_int_equal(sz, 123);
    assert_int_equal(sv_config_size("64K", &sz), 0);
    assert_int_equal(sz, 64 * 1024);
    assert_int_equal(sv_config_size("2g", &sz), 0);
    assert_int_equal(sz, (size_t)2 << 30);
    sz = 7;
    assert_int_equal(sv_config_size("-1", &sz), -1);
    assert_int_equal(sv_config_size(" 5", &sz), -1);
    assert_int_equal(sv_config_size("5KB", &sz), -1);
    assert_int_equal(sv_config_size("", &sz), -1);
    assert_int_equal(sz, 7); /* untouched on failure */

    assert_int_equal(sv_config_long("6", 0, 6, &v), 0);
    assert_int_equal(v, 6);
    assert_int_equal(sv_config_long("-3", -5, 5, &v), 0);
    assert_int_equal(v, -3);
    assert_int_equal(sv_config_long("7", 0, 6, &v), -1);
    assert_int_equal(sv_config_long("1x", 0, 6, &v), -1);
    assert_int_equal(sv_config_long("", 0, 6, &v), -1);
    assert_int_equal(v, -3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_settings_come_first),
        cmocka_unit_test(test_without_config_copies_argv),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_flags_and_unknown_keys),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
