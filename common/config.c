/* config.c: see config.h. INI parsing by libinih. */
#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *section;
    const struct option *options; /* the program's; NULL: any key */
    char **args;                  /* owned: "--key=value" */
    int n;
    int cap;
    int failed;    /* out of memory */
    char why[256]; /* a key refused: why (the line comes from inih) */
} collect;

static int push(collect *c, char *arg)
{
    if (arg == NULL)
        return -1;
    if (c->n == c->cap) {
        int cap = c->cap > 0 ? c->cap * 2 : 16;
        char **bigger = realloc(c->args, (size_t)cap * sizeof *bigger);
        if (bigger == NULL) {
            free(arg);
            return -1;
        }
        c->args = bigger;
        c->cap = cap;
    }
    c->args[c->n++] = arg;
    return 0;
}

static bool is_word(const char *v, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strcasecmp(v, *words) == 0)
            return true;
    return false;
}

/* libinih handler: returns 1 to go on, 0 to report an error at this line. */
static int on_entry(void *user, const char *section, const char *name,
                    const char *value)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "", NULL};
    static const char *const no[] = {"false", "no", "off", "0", NULL};
    collect *c = user;
    if (strcmp(section, c->section) != 0)
        return 1; /* other programs' sections */
    const struct option *o = c->options;
    while (o != NULL && o->name != NULL && strcmp(o->name, name) != 0)
        o++;
    if (o != NULL && o->name == NULL) {
        snprintf(c->why, sizeof c->why,
                 "unknown key '%s' (the keys are the long options of "
                 "%s --help)",
                 name, c->section);
        return 0;
    }
    if (o != NULL && o->has_arg == no_argument) {
        /* a flag: on or off */
        if (is_word(value, no))
            return 1;
        if (!is_word(value, yes)) {
            snprintf(c->why, sizeof c->why,
                     "%s is on or off (true or false), not '%s'", name, value);
            return 0;
        }
        char *flag = malloc(strlen(name) + 3);
        if (flag != NULL)
            snprintf(flag, strlen(name) + 3, "--%s", name);
        if (push(c, flag) != 0) {
            c->failed = 1;
            return 0;
        }
        return 1;
    }
    size_t len = strlen(name) + strlen(value) + 4;
    char *arg = malloc(len);
    if (arg == NULL) {
        c->failed = 1;
        return 0;
    }
    snprintf(arg, len, "--%s=%s", name, value);
    if (push(c, arg) != 0) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

void sv_config_free(int argc, char **argv)
{
    for (int i = 0; argv != NULL && i < argc; i++)
        free(argv[i]);
    free(argv);
}

sv_status sv_config_args(int argc, char **argv, const char *section,
                         const struct option *options, int *out_argc,
                         char ***out_argv, sv_error *err)
{
    collect c = {.section = section, .options = options};
    const char *file = NULL;
    sv_status st = SV_ERR_NOMEM;
    int skip_from = -1, skip_n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            file = argv[i + 1];
            skip_from = i;
            skip_n = 2;
            break;
        }
        if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
            skip_from = i;
            skip_n = 1;
            break;
        }
    }
    if (argc > 0 && push(&c, strdup(argv[0])) != 0)
        goto fail;
    if (file != NULL) {
        int rc = ini_parse(file, on_entry, &c);
        if (c.failed)
            goto fail;
        if (rc < 0) {
            st =
                sv_fail(err, SV_ERR_IO, "config file %s: cannot read it", file);
            goto fail;
        }
        if (rc > 0) {
            st = sv_fail(err, SV_ERR_PARSE, "config file %s:%d: %s", file, rc,
                         c.why[0] != '\0' ? c.why
                                          : "not a \"key = value\" line");
            goto fail;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (i >= skip_from && i < skip_from + skip_n)
            continue;
        if (push(&c, strdup(argv[i])) != 0)
            goto fail;
    }
    /* argv must be NULL-terminated */
    char **final = realloc(c.args, (size_t)(c.n + 1) * sizeof *final);
    if (final == NULL)
        goto fail;
    final[c.n] = NULL;
    *out_argv = final;
    *out_argc = c.n;
    return SV_OK;
fail:
    if (st == SV_ERR_NOMEM)
        sv_fail(err, st, "out of memory");
    sv_config_free(c.n, c.args);
    return st;
}

int sv_config_main(int argc, char **argv, const char *program,
                   const struct option *options,
                   int (*run)(int argc, char **argv))
{
    int n = 0;
    char **args = NULL;
    sv_error err = {{0}};
    if (sv_config_args(argc, argv, program, options, &n, &args, &err) !=
        SV_OK) {
        fprintf(stderr, "%s: %s\n", program, err.msg);
        return 2;
    }
    int status = run(n, args);
    sv_config_free(n, args);
    return status;
}

int sv_config_size(const char *text, size_t *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return -1; /* strtoull would take "-1" as a huge count */
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text)
        return -1;
    unsigned long long mult = 1;
    if (*end == 'K' || *end == 'k')
        mult = 1ULL << 10;
    else if (*end == 'M' || *end == 'm')
        mult = 1ULL << 20;
    else if (*end == 'G' || *end == 'g')
        mult = 1ULL << 30;
    else if (*end != '\0')
        return -1;
    if (mult > 1 && end[1] != '\0')
        return -1;
    if (v > SIZE_MAX / mult)
        return -1;
    *out = (size_t)(v * mult);
    return 0;
}

int sv_config_long(const char *text, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}
