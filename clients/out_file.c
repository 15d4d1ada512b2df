/* out_file.c: see out_file.h. */
#include "out_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void clear(sv_out_file *o)
{
    free(o->path);
    free(o->tmp);
    o->path = NULL;
    o->tmp = NULL;
    o->f = NULL;
}

sv_status sv_out_open(sv_out_file *o, const char *path, sv_error *err)
{
    struct stat st;
    struct stat lst;
    bool exists = stat(path, &st) == 0;

    memset(o, 0, sizeof *o);
    if (exists && S_ISDIR(st.st_mode))
        return sv_fail(err, SV_ERR_INVALID,
                       "%s is a folder: give a file name to write", path);
    /* a link to a file: the file it names is the one replaced */
    if (exists && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        o->path = realpath(path, NULL);
    else
        o->path = strdup(path);
    if (o->path == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (exists && !S_ISREG(st.st_mode)) { /* a device, a FIFO: in place */
        o->f = fopen(path, "wb");
        if (o->f == NULL) {
            int e = errno;
            clear(o);
            return sv_fail(err, SV_ERR_IO, "cannot open %s: %s", path,
                           strerror(e));
        }
        return SV_OK;
    }
    size_t n = strlen(o->path) + sizeof ".survey-XXXXXX";
    o->tmp = malloc(n);
    if (o->tmp == NULL) {
        clear(o);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    snprintf(o->tmp, n, "%s.survey-XXXXXX", o->path);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        sv_status st2 =
            sv_fail(err, SV_ERR_IO, "cannot write %s: %s", path, strerror(e));
        clear(o);
        return st2;
    }
    /* the mode a plain fopen would give (mkstemp makes it 0600), or the
       mode of the file it replaces */
    mode_t mask = umask(0);
    (void)umask(mask);
    mode_t mode = exists ? st.st_mode & 07777 : 0666 & ~mask;
    o->f = fchmod(fd, mode) == 0 ? fdopen(fd, "wb") : NULL;
    if (o->f == NULL) {
        int e = errno;
        (void)close(fd);
        (void)unlink(o->tmp);
        clear(o);
        return sv_fail(err, SV_ERR_IO, "cannot write %s: %s", path,
                       strerror(e));
    }
    return SV_OK;
}

const char *sv_out_name(const sv_out_file *o)
{
    return o->tmp != NULL ? o->tmp : o->path;
}

sv_status sv_out_commit(sv_out_file *o, sv_error *err)
{
    bool failed = false;
    int e = 0;

    /* the cause, when a buffered write failed (a full disk: ENOSPC) */
    if (fflush(o->f) != 0) {
        failed = true;
        e = errno;
    } else if (ferror(o->f) != 0) {
        failed = true;
        e = EIO;
    }
    if (fclose(o->f) != 0 && !failed) {
        failed = true;
        e = errno;
    }
    o->f = NULL;
    if (!failed && o->tmp != NULL && rename(o->tmp, o->path) != 0) {
        failed = true;
        e = errno;
    }
    if (failed) {
        sv_status st = sv_fail(
            err, SV_ERR_IO, "cannot write %s: %s%s", o->path, strerror(e),
            o->tmp != NULL ? " (it was left as it was)" : "");
        if (o->tmp != NULL)
            (void)unlink(o->tmp);
        clear(o);
        return st;
    }
    clear(o);
    return SV_OK;
}

void sv_out_abandon(sv_out_file *o)
{
    if (o->f != NULL)
        (void)fclose(o->f);
    if (o->tmp != NULL)
        (void)unlink(o->tmp);
    clear(o);
}
