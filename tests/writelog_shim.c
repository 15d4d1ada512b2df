/* writelog_shim.c: an LD_PRELOAD library that logs every write to one file
 * and every sync of it (writelog.h), passing each call on unchanged.
 *
 * SV_WRITELOG_FILE: the file to watch, a path with a folder (compared
 * after realpath, so that any spelling of the path matches, and the folder
 * may be made after the process starts); SV_WRITELOG_LOG: the log,
 * appended to. Without both, the library does nothing. The calls
 * LMDB makes are covered: open, openat (and their 64 names), close,
 * pwrite, write, writev, pwritev, pwritev2 (and their 64 names),
 * fdatasync, fsync, ftruncate. A call that fails is passed on and not
 * logged (a write that wrote part is logged as far as it went). The log is
 * written under a lock, in the order the calls returned.
 * SV_WRITELOG_KILL_AT=N: the process SIGKILLs itself right after the N-th
 * write it logged. SV_WRITELOG_SYNC_DELAY_US=N: each sync of the file
 * waits N microseconds after it is logged as asked for and before it is
 * made, so that a process which answers before its sync returned is
 * caught with the answer out and the writes not yet durable.
 * SV_WRITELOG_FAIL_META_AT=N: the N-th update of an LMDB meta page (a write
 * of less than a page into the file's first two pages) fails with EIO,
 * unwritten and unlogged, as on a failing disk.
 * SV_WRITELOG_FAIL_FLUSH_AT=N: the N-th sync of the file made by a thread
 * named sv-flush (the collector's flush thread) fails with EIO, not made
 * and not logged. */
#define _GNU_SOURCE
#include "writelog.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 4096
#define TRACKED 1
#define DSYNC 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned char fds[MAX_FD];
static char target[PATH_MAX];
static int log_fd = -1;
static uint64_t sync_ids;
static unsigned long writes, kill_at;           /* SV_WRITELOG_KILL_AT */
static unsigned long sync_delay_us;             /* SV_WRITELOG_SYNC_DELAY_US */
static unsigned long meta_writes, fail_meta_at; /* SV_WRITELOG_FAIL_META_AT */
static unsigned long flushes, fail_flush_at;    /* SV_WRITELOG_FAIL_FLUSH_AT */

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev2)(int, const struct iovec *, int, off_t, int);
static int (*real_fdatasync)(int);
static int (*real_fsync)(int);
static int (*real_ftruncate)(int, off_t);

static void init(void)
{
    real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    real_openat =
        (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, "openat");
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT,
                                                                      "pwrite");
    real_write =
        (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    real_writev =
        (ssize_t(*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "writev");
    real_pwritev = (ssize_t(*)(int, const struct iovec *, int, off_t))dlsym(
        RTLD_NEXT, "pwritev");
    real_pwritev2 = (ssize_t(*)(int, const struct iovec *, int, off_t,
                                int))dlsym(RTLD_NEXT, "pwritev2");
    real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");

    const char *kill_env = getenv("SV_WRITELOG_KILL_AT");
    if (kill_env != NULL)
        kill_at = strtoul(kill_env, NULL, 10);
    const char *fail_env = getenv("SV_WRITELOG_FAIL_META_AT");
    if (fail_env != NULL)
        fail_meta_at = strtoul(fail_env, NULL, 10);
    const char *flush_env = getenv("SV_WRITELOG_FAIL_FLUSH_AT");
    if (flush_env != NULL)
        fail_flush_at = strtoul(flush_env, NULL, 10);
    const char *delay_env = getenv("SV_WRITELOG_SYNC_DELAY_US");
    if (delay_env != NULL)
        sync_delay_us = strtoul(delay_env, NULL, 10);
    const char *file = getenv("SV_WRITELOG_FILE");
    const char *logp = getenv("SV_WRITELOG_LOG");
    if (file == NULL || logp == NULL || strchr(file, '/') == NULL ||
        (size_t)snprintf(target, sizeof target, "%s", file) >= sizeof target)
        return;
    log_fd = real_open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

/* Whether path, just opened, is the watched file: the same name in the
 * same folder (which may not have existed when the process started). */
static bool is_target(const char *path)
{
    const char *name = strrchr(target, '/') + 1;
    const char *base = strrchr(path, '/');
    if (strcmp(base != NULL ? base + 1 : path, name) != 0)
        return false;
    char dir[PATH_MAX], real_dir[PATH_MAX], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(name - target), target);
    if (realpath(dir, real_dir) == NULL || realpath(path, real) == NULL)
        return false;
    /* real is real_dir, a slash (the root's own), then name */
    size_t d = strcmp(real_dir, "/") == 0 ? 0 : strlen(real_dir);
    return strncmp(real, real_dir, d) == 0 && real[d] == '/' &&
           strcmp(real + d + 1, name) == 0;
}

/* One entry, in one writev: a SIGKILL does not split a write to a regular
 * file, so the log ends with whole entries (wl_load also drops a torn last
 * one). */
static void record(uint32_t kind, uint64_t off, uint64_t id,
                   const struct iovec *iov, int n, size_t len, bool count)
{
    wl_head h = {kind, (uint32_t)len, off, id};
    struct iovec v[IOV_MAX];
    int nv = 0;
    size_t total = sizeof h;
    v[nv++] = (struct iovec){&h, sizeof h};
    for (int i = 0; i < n && len > 0 && nv < IOV_MAX; i++) {
        size_t part = iov[i].iov_len < len ? iov[i].iov_len : len;
        v[nv++] = (struct iovec){iov[i].iov_base, part};
        len -= part;
        total += part;
    }
    if (len > 0)
        abort(); /* more pieces than one writev takes: cannot happen here */
    int saved = errno;
    pthread_mutex_lock(&lock);
    ssize_t w;
    do {
        w = real_writev(log_fd, v, nv);
    } while (w < 0 && errno == EINTR);
    if (w != (ssize_t)total)
        abort(); /* a log with a hole would prove nothing */
    /* a power cut right after that write: still under the lock, so that
       no other thread logs a sync after it */
    if (count && ++writes == kill_at)
        kill(getpid(), SIGKILL);
    pthread_mutex_unlock(&lock);
    errno = saved;
}

static bool watched(int fd)
{
    return fd >= 0 && fd < MAX_FD && (fds[fd] & TRACKED) != 0;
}

static void opened(int fd, const char *path, int flags)
{
    if (fd < 0 || fd >= MAX_FD)
        return;
    fds[fd] = 0;
    if (log_fd >= 0 && is_target(path))
        fds[fd] = TRACKED | ((flags & O_DSYNC) != 0 ? DSYNC : 0);
}

/* dsync: this call alone asked for a durable write (RWF_DSYNC). */
static void wrote_as(int fd, off_t off, const struct iovec *iov, int n,
                     ssize_t got, bool dsync)
{
    if (got <= 0 || !watched(fd))
        return;
    record(dsync || (fds[fd] & DSYNC) != 0 ? WL_DSYNC_WRITE : WL_WRITE,
           (uint64_t)off, 0, iov, n, (size_t)got, true);
}

static void wrote(int fd, off_t off, const struct iovec *iov, int n,
                  ssize_t got)
{
    wrote_as(fd, off, iov, n, got, false);
}

/* Whether this sync is the one SV_WRITELOG_FAIL_FLUSH_AT names. */
static bool flush_fails(void)
{
    char name[16] = "";
    if (fail_flush_at == 0 || prctl(PR_GET_NAME, name, 0, 0, 0) != 0 ||
        strcmp(name, "sv-flush") != 0)
        return false;
    pthread_mutex_lock(&lock);
    bool fail = ++flushes == fail_flush_at;
    pthread_mutex_unlock(&lock);
    return fail;
}

static int synced(int fd, int (*call)(int))
{
    if (!watched(fd))
        return call(fd);
    if (flush_fails()) {
        errno = EIO;
        return -1;
    }
    pthread_mutex_lock(&lock);
    uint64_t id = ++sync_ids;
    pthread_mutex_unlock(&lock);
    record(WL_SYNC_BEGIN, 0, id, NULL, 0, 0, false);
    if (sync_delay_us > 0) {
        struct timespec t = {(time_t)(sync_delay_us / 1000000),
                             (long)(sync_delay_us % 1000000) * 1000};
        while (nanosleep(&t, &t) != 0 && errno == EINTR)
            ;
    }
    int rc = call(fd);
    if (rc == 0)
        record(WL_SYNC_END, 0, id, NULL, 0, 0, false);
    return rc;
}

static int mode_of(int flags, va_list ap)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE
               ? va_arg(ap, int)
               : 0;
}

/* Every open goes through here: openat(AT_FDCWD, ...) is open(...). A
 * path relative to another folder's descriptor is not watched (LMDB
 * opens by full path). */
static int open_at(int dirfd, const char *path, int flags, int mode)
{
    pthread_once(&once, init);
    int fd = real_openat(dirfd, path, flags, mode);
    if (path[0] == '/' || dirfd == AT_FDCWD)
        opened(fd, path, flags);
    return fd;
}

/* The mode argument, which exists only when the file may be created. */
#define MODE_ARG(flags, mode)                                                  \
    do {                                                                       \
        va_list ap;                                                            \
        va_start(ap, flags);                                                   \
        mode = mode_of(flags, ap);                                             \
        va_end(ap);                                                            \
    } while (0)

int open(const char *path, int flags, ...)
{
    int mode;
    MODE_ARG(flags, mode);
    return open_at(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    int mode;
    MODE_ARG(flags, mode);
    return open_at(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    int mode;
    MODE_ARG(flags, mode);
    return open_at(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    int mode;
    MODE_ARG(flags, mode);
    return open_at(dirfd, path, flags, mode);
}

int close(int fd)
{
    pthread_once(&once, init);
    if (fd >= 0 && fd < MAX_FD)
        fds[fd] = 0;
    return real_close(fd);
}

/* Whether this write is the meta-page update that is to fail. */
static bool fails(int fd, size_t len, off_t off)
{
    long page = sysconf(_SC_PAGESIZE);
    if (fail_meta_at == 0 || !watched(fd) || page <= 0 || len >= (size_t)page ||
        off < 0 || off >= 2 * page)
        return false;
    pthread_mutex_lock(&lock);
    bool hit = ++meta_writes == fail_meta_at;
    pthread_mutex_unlock(&lock);
    return hit;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    pthread_once(&once, init);
    if (fails(fd, len, off)) {
        errno = EIO;
        return -1;
    }
    ssize_t got = real_pwrite(fd, buf, len, off);
    struct iovec v = {(void *)buf, len};
    wrote(fd, off, &v, 1, got);
    return got;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
    return pwrite(fd, buf, len, off);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    pthread_once(&once, init);
    off_t off = watched(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
    ssize_t got = real_write(fd, buf, len);
    struct iovec v = {(void *)buf, len};
    wrote(fd, off, &v, 1, got);
    return got;
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
    pthread_once(&once, init);
    off_t off = watched(fd) ? lseek(fd, 0, SEEK_CUR) : 0;
    ssize_t got = real_writev(fd, iov, n);
    wrote(fd, off, iov, n, got);
    return got;
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
    pthread_once(&once, init);
    ssize_t got = real_pwritev(fd, iov, n, off);
    wrote(fd, off, iov, n, got);
    return got;
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off)
{
    return pwritev(fd, iov, n, off);
}

/* With offset -1 it writes at the file's position, as writev does. */
ssize_t pwritev2(int fd, const struct iovec *iov, int n, off_t off, int flags)
{
    pthread_once(&once, init);
    off_t at = off != -1 || !watched(fd) ? off : lseek(fd, 0, SEEK_CUR);
    ssize_t got = real_pwritev2(fd, iov, n, off, flags);
    wrote_as(fd, at, iov, n, got, (flags & (RWF_DSYNC | RWF_SYNC)) != 0);
    return got;
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int n, off_t off,
                    int flags)
{
    return pwritev2(fd, iov, n, off, flags);
}

int fdatasync(int fd)
{
    pthread_once(&once, init);
    return synced(fd, real_fdatasync);
}

int fsync(int fd)
{
    pthread_once(&once, init);
    return synced(fd, real_fsync);
}

int ftruncate(int fd, off_t len)
{
    pthread_once(&once, init);
    int rc = real_ftruncate(fd, len);
    if (rc == 0 && watched(fd))
        record(WL_TRUNCATE, (uint64_t)len, 0, NULL, 0, 0, false);
    return rc;
}

int ftruncate64(int fd, off_t len)
{
    return ftruncate(fd, len);
}
