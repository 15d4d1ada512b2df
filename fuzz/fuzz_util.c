/* fuzz_util.c: see fuzz_util.h.
 *
 * The scratch directories are the one piece of file-level mutable state:
 * libFuzzer calls the targets without a context, so the list of
 * directories to remove at exit cannot be handed around. */
#include "fuzz_util.h"

#include <errno.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SV_SOURCE_DIR
#error "SV_SOURCE_DIR must name the source tree"
#endif

#define MAX_TEMPDIRS 4

static char *tempdirs[MAX_TEMPDIRS];
static size_t n_tempdirs;

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz set-up: %s: %s\n", what, detail);
    abort();
}

const char *sv_fuzz_r6_dir(void)
{
    return SV_SOURCE_DIR "/data/r6";
}

sv_questionnaire *sv_fuzz_load_r6(void)
{
    sv_questionnaire *q = NULL;
    sv_error err = {{0}};

    if (sv_questionnaire_load(&q, sv_fuzz_r6_dir(), &err) != SV_OK)
        die(sv_fuzz_r6_dir(), err.msg);
    return q;
}

/* Removes dir and the files in it (the scratch directories are flat). */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "fuzz: opendir %s: %s\n", dir, strerror(errno));
        return;
    }
    for (;;) {
        struct dirent *e = readdir(d);
        if (e == NULL)
            break;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = sv_fuzz_join(dir, e->d_name);
        if (unlink(path) != 0)
            fprintf(stderr, "fuzz: unlink %s: %s\n", path, strerror(errno));
        free(path);
    }
    if (closedir(d) != 0)
        fprintf(stderr, "fuzz: closedir %s: %s\n", dir, strerror(errno));
    if (rmdir(dir) != 0)
        fprintf(stderr, "fuzz: rmdir %s: %s\n", dir, strerror(errno));
}

static void remove_tempdirs(void)
{
    for (size_t i = 0; i < n_tempdirs; i++) {
        remove_dir(tempdirs[i]);
        free(tempdirs[i]);
    }
    n_tempdirs = 0;
}

char *sv_fuzz_tempdir(void)
{
    const char *base = getenv("TMPDIR");
    char tmpl[4096];

    if (n_tempdirs == MAX_TEMPDIRS)
        die("tempdir", "too many scratch directories");
    if (base == NULL || base[0] == '\0')
        base = "/tmp";
    int w = snprintf(tmpl, sizeof tmpl, "%s/sv-fuzz-XXXXXX", base);
    if (w < 0 || (size_t)w >= sizeof tmpl)
        die("tempdir", "TMPDIR is too long");
    if (mkdtemp(tmpl) == NULL)
        die(tmpl, strerror(errno));
    char *dir = strdup(tmpl);
    char *kept = strdup(tmpl);
    if (dir == NULL || kept == NULL)
        die("tempdir", "out of memory");
    if (n_tempdirs == 0 && atexit(remove_tempdirs) != 0)
        die("tempdir", "atexit failed");
    tempdirs[n_tempdirs++] = kept;
    return dir;
}

char *sv_fuzz_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *path = malloc(len);
    if (path == NULL)
        die(dir, "out of memory");
    int w = snprintf(path, len, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= len)
        die(dir, "cannot join path");
    return path;
}

void sv_fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        die(path, strerror(errno));
    if (size > 0 && fwrite(data, 1, size, fp) != size) {
        fclose(fp);
        die(path, "short write");
    }
    if (fclose(fp) != 0)
        die(path, strerror(errno));
}

uint8_t *sv_fuzz_read(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        die(path, strerror(errno));
    size_t len = 0, cap = 4096;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        die(path, "out of memory");
    for (;;) {
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap * 2);
            if (bigger == NULL)
                die(path, "out of memory");
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    bool failed = ferror(fp) != 0;
    if (fclose(fp) != 0 || failed)
        die(path, "read error");
    *size = len;
    return buf;
}

char *sv_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        die("input", "out of memory");
    if (size > 0)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}
