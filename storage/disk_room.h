/* disk_room.h: telling a write that failed for lack of room (a full file
 * system, a quota, the process's file size limit) from other failures.
 * LMDB reports a write the kernel cut short as EIO, the same code as a
 * failing disk, so the file system and the limit are looked at. */
#ifndef SV_DISK_ROOM_H
#define SV_DISK_ROOM_H

#include <stdbool.h>
#include <stddef.h>

/* Below this many bytes free, an EIO from a write is taken for a full
 * file system: a write cut short for room leaves less than it asked for.
 * LMDB writes at most 64 pages in one call, but a large value's pages
 * (a snapshot of several MiB) in one. */
#define SV_DISK_ROOM_SLACK ((unsigned long long)16 << 20)

/* Whether rc, the error of a write to the file fd, means there was no
 * room; if so, why[] says which kind and how much was left. */
bool sv_disk_room_short(int fd, int rc, char *why, size_t len);

#endif
