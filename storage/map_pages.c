/* map_pages.c: see map_pages.h. */
#include "map_pages.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Finds LMDB's map of the data file in /proc/self/maps (mdb_env_info
 * gives its address only with MDB_FIXEDMAP): the mapping of the file's
 * device and inode at offset 0. Leaves m->base NULL when none. */
static sv_status find_map(MDB_env *env, sv_map_pages *m, sv_error *err)
{
    struct stat sb;
    mdb_filehandle_t fd;
    char line[4096];
    FILE *f;
    int rc = mdb_env_get_fd(env, &fd);

    m->base = NULL;
    m->len = 0;
    if (rc != 0)
        return sv_fail(err, SV_ERR_STORE, "data file handle: %s",
                       mdb_strerror(rc));
    if (fstat(fd, &sb) != 0)
        return sv_fail(err, SV_ERR_IO, "stat of the data file: %s",
                       strerror(errno));
    f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return SV_OK; /* no /proc: nothing can be dropped */
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long start, end, offset, inode;
        unsigned dev_major, dev_minor;
        char perms[8];
        if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms,
                   &offset, &dev_major, &dev_minor, &inode) != 7)
            continue;
        if (offset == 0 && inode == (unsigned long long)sb.st_ino &&
            dev_major == major(sb.st_dev) && dev_minor == minor(sb.st_dev) &&
            end > start) {
            m->base = (char *)(uintptr_t)start;
            m->len = (size_t)(end - start);
            break;
        }
    }
    if (fclose(f) != 0)
        return sv_fail(err, SV_ERR_IO, "read /proc/self/maps: %s",
                       strerror(errno));
    return SV_OK;
}

sv_status sv_map_pages_drop(MDB_env *env, sv_map_pages *m, sv_error *err)
{
    MDB_envinfo info;
    MDB_stat stat;
    long os_page = sysconf(_SC_PAGESIZE);
    int rc = mdb_env_info(env, &info);

    if (rc == 0)
        rc = mdb_env_stat(env, &stat);
    if (rc != 0)
        return sv_fail(err, SV_ERR_STORE, "map information: %s",
                       mdb_strerror(rc));
    if (m->base == NULL || m->len != info.me_mapsize) {
        sv_status st = find_map(env, m, err);
        if (st != SV_OK)
            return st;
    }
    if (m->base == NULL || os_page <= 0)
        return SV_OK;
    /* Only the part of the map the file uses (its last page, as of the
     * latest commit), rounded up to whole pages of the system. */
    size_t len = ((size_t)info.me_last_pgno + 1) * stat.ms_psize;
    len = (len + (size_t)os_page - 1) / (size_t)os_page * (size_t)os_page;
    if (len > m->len)
        len = m->len;
    if (madvise(m->base, len, MADV_DONTNEED) != 0)
        return sv_fail(err, SV_ERR_STORE, "madvise of the map: %s",
                       strerror(errno));
    return SV_OK;
}

sv_status sv_map_pages_drop_range(const void *lo, const void *hi, sv_error *err)
{
    long os_page = sysconf(_SC_PAGESIZE);
    uintptr_t a = (uintptr_t)lo;
    uintptr_t b = (uintptr_t)hi;

    if (os_page <= 0 || lo == NULL || b < a)
        return SV_OK;
    a -= a % (uintptr_t)os_page;
    b += (uintptr_t)os_page - b % (uintptr_t)os_page;
    if (madvise((void *)a, b - a, MADV_DONTNEED) != 0)
        return sv_fail(err, SV_ERR_STORE, "madvise of the map: %s",
                       strerror(errno));
    return SV_OK;
}
