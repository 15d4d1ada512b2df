/* writelog.h: what a process wrote to one file and when it asked for it to
 * be durable, so that a test can rebuild the file as a power cut could have
 * left it.
 *
 * writelog_shim.c (an LD_PRELOAD library) appends to the log named by
 * SV_WRITELOG_LOG every write to the file named by SV_WRITELOG_FILE (its
 * offset and bytes, once the write returned), and every fdatasync or fsync
 * of it twice: when it was asked for and when it returned. writelog.c reads
 * the log back and writes images of the file.
 *
 * The model (the file system's promise, nothing more): a write that
 * returned before a sync was asked for is durable once that sync returns;
 * a write to a file opened with O_DSYNC or O_SYNC is durable when it
 * returns; any other write may or may not have reached the disk, each
 * independently of the others, whatever their order. A process killed
 * while it logged leaves a last entry cut short: its call had returned
 * but nothing after it had, so wl_load leaves it out (as a write that did
 * not reach the disk, or a sync that did not return). */
#ifndef SV_WRITELOG_H
#define SV_WRITELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WL_WRITE = 1,       /* off, len bytes follow */
    WL_DSYNC_WRITE = 2, /* as WL_WRITE, through an O_DSYNC descriptor */
    WL_SYNC_BEGIN = 3,  /* id: the sync's number */
    WL_SYNC_END = 4,    /* id: that sync returned 0 */
    WL_TRUNCATE = 5     /* off: the file's new size */
};

typedef struct {
    uint32_t kind;
    uint32_t len; /* bytes after the head (WL_WRITE, WL_DSYNC_WRITE) */
    uint64_t off;
    uint64_t id;
} wl_head;

typedef struct {
    wl_head head;
    const uint8_t *data; /* into the loaded log */
} wl_entry;

typedef struct {
    uint8_t *buf; /* the whole log file */
    wl_entry *entries;
    size_t n;
    size_t durable; /* entries[0, durable) are durable */
    size_t writes;  /* write entries */
    size_t syncs;   /* syncs that returned */
    size_t maybe;   /* write entries after `durable` that are not O_DSYNC */
} wl_log;

/* Reads the log at path. Returns 0, or -1 (with a message on stderr) if it
 * cannot be read or is torn. */
int wl_load(const char *path, wl_log *out);

/* Writes the file at path (created or truncated) as a power cut could
 * have left it: every durable write, and each other write with a chance of
 * keep_per_mille / 1000 (drawn from *rng; 0: none of them, 1000: all), all
 * applied in the order they were made. Returns 0 or -1. */
int wl_image(const wl_log *log, const char *path, uint64_t *rng,
             unsigned keep_per_mille);

void wl_free(wl_log *log);

#endif
