/* disk_room.c: see disk_room.h. */
#include "disk_room.h"

#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Bytes an unprivileged process may still write on fd's file system, or
 * -1 if unknown. Also for root, who may use the blocks reserved for it:
 * ext4 keeps a further reserve (for its own metadata) that it counts as
 * free for root, so root's writes are cut short with megabytes still
 * "free" and only the unprivileged count is near 0 by then. */
static long long room_on_disk(int fd)
{
    struct statvfs v;
    if (fstatvfs(fd, &v) != 0)
        return -1;
    return (long long)((unsigned long long)v.f_bavail * v.f_frsize);
}

/* Bytes the file fd may still grow by under RLIMIT_FSIZE, or -1 if there
 * is no limit (or it is unknown). */
static long long room_under_limit(int fd)
{
    struct rlimit r;
    struct stat st;
    if (getrlimit(RLIMIT_FSIZE, &r) != 0 || r.rlim_cur == RLIM_INFINITY ||
        fstat(fd, &st) != 0)
        return -1;
    if ((unsigned long long)st.st_size >= r.rlim_cur)
        return 0;
    return (long long)(r.rlim_cur - (unsigned long long)st.st_size);
}

bool sv_disk_room_short(int fd, int rc, char *why, size_t len)
{
    if (rc != ENOSPC && rc != EDQUOT && rc != EFBIG && rc != EIO)
        return false;
    long long limit = room_under_limit(fd);
    if (rc == EFBIG ||
        (limit >= 0 && (unsigned long long)limit < SV_DISK_ROOM_SLACK)) {
        struct rlimit r;
        unsigned long long max = getrlimit(RLIMIT_FSIZE, &r) == 0
                                     ? (unsigned long long)r.rlim_cur
                                     : 0;
        snprintf(why, len,
                 "the data file reached the process's file size limit "
                 "(ulimit -f: %llu bytes)",
                 max);
        return true;
    }
    if (rc == EDQUOT) {
        snprintf(why, len,
                 "the disk quota of the data file's owner is used up");
        return true;
    }
    long long room = room_on_disk(fd);
    if (rc == ENOSPC ||
        (room >= 0 && (unsigned long long)room < SV_DISK_ROOM_SLACK)) {
        if (room >= 0)
            snprintf(why, len,
                     "the file system of the data file is full (%lld bytes "
                     "free outside the reserve for root)",
                     room);
        else
            snprintf(why, len, "the file system of the data file is full");
        return true;
    }
    return false;
}
