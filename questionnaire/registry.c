/* registry.c: see registry.h. */
#include "registry.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sv_registry {
    sv_questionnaire **surveys; /* owned */
    size_t n;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the subdirectories of dir holding a settings.csv.
 * *names and each name are owned by the caller. */
static sv_status list_survey_dirs(const char *dir, char ***names, size_t *n,
                                  sv_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return sv_fail(err, SV_ERR_IO, "survey directory %s: cannot open", dir);
    char **list = NULL;
    size_t count = 0;
    sv_status st = SV_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat sb;
        int len =
            snprintf(path, sizeof path, "%s/%s/settings.csv", dir, e->d_name);
        if (len < 0 || (size_t)len >= sizeof path)
            continue;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        char **bigger = realloc(list, (count + 1) * sizeof *list);
        char *name = strdup(e->d_name);
        if (bigger == NULL || name == NULL) {
            free(name);
            if (bigger != NULL)
                list = bigger;
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
            break;
        }
        list = bigger;
        list[count++] = name;
    }
    closedir(d);
    if (st != SV_OK) {
        for (size_t i = 0; i < count; i++)
            free(list[i]);
        free(list);
        return st;
    }
    if (count > 1)
        qsort(list, count, sizeof *list, by_name);
    *names = list;
    *n = count;
    return SV_OK;
}

sv_status sv_registry_load(sv_registry **out, const char *dir, sv_error *err)
{
    char **names = NULL;
    size_t n = 0;
    sv_status st = list_survey_dirs(dir, &names, &n, err);
    if (st != SV_OK)
        return st;
    sv_registry *r = calloc(1, sizeof *r);
    if (r == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (n == 0) {
        st = sv_fail(err, SV_ERR_NOT_FOUND,
                     "survey directory %s: no subdirectory with a "
                     "settings.csv",
                     dir);
        goto fail;
    }
    r->surveys = calloc(n, sizeof *r->surveys);
    if (r->surveys == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        st = sv_questionnaire_load(&r->surveys[r->n], path, err);
        if (st != SV_OK)
            goto fail;
        r->n++;
        const char *id = sv_questionnaire_id(r->surveys[r->n - 1]);
        for (size_t j = 0; j + 1 < r->n; j++) {
            if (strcmp(sv_questionnaire_id(r->surveys[j]), id) == 0) {
                st = sv_fail(err, SV_ERR_INVALID,
                             "%s/settings.csv: form_id %s is already used "
                             "by another survey in %s",
                             path, id, dir);
                goto fail;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    *out = r;
    return SV_OK;
fail:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    sv_registry_destroy(&r);
    return st;
}

void sv_registry_destroy(sv_registry **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_registry *r = *self;
    for (size_t i = 0; i < r->n; i++)
        sv_questionnaire_destroy(&r->surveys[i]);
    free(r->surveys);
    free(r);
    *self = NULL;
}

size_t sv_registry_count(const sv_registry *r)
{
    return r->n;
}

const sv_questionnaire *sv_registry_at(const sv_registry *r, size_t i)
{
    return i < r->n ? r->surveys[i] : NULL;
}

const sv_questionnaire *sv_registry_find(const sv_registry *r, const char *id)
{
    if (id == NULL || id[0] == '\0')
        return r->n == 1 ? r->surveys[0] : NULL;
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(sv_questionnaire_id(r->surveys[i]), id) == 0)
            return r->surveys[i];
    }
    return NULL;
}

void sv_registry_ids(const sv_registry *r, char *buf, size_t len)
{
    size_t used = 0;
    if (len == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
                         sv_questionnaire_id(r->surveys[i]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
}
