/* mirror.h: the scan mirror, a second copy of the `compact` database in an
 * LMDB environment of its own, so that a full scan reads a file of compact
 * records only instead of pages spread over the whole store.
 *
 * It lives in dir/mirror-BOOT/ (BOOT: the kernel's boot id) and is written
 * without fsync (MDB_NOSYNC): the page cache is the truth for the boot that
 * wrote it, and only a crash of the system could leave it torn. So a mirror
 * is used only in the boot that wrote it; a read-write open deletes the
 * mirrors of other boots. store.c keeps it in step with the store (see
 * storage/README.md, "The scan mirror"); this file only holds the
 * environment.
 *
 * Database `compact`: the same keys as the store's, value be64(sequence of
 * the change that wrote it, 0 when copied by a rebuild) then the store's
 * value. Database `meta`: `through` be64, the store's last sequence the
 * mirror reflects; `base` be64, the sequence of its last rebuild (records
 * changed up to it carry sequence 0). */
#ifndef SV_MIRROR_H
#define SV_MIRROR_H

#include "status.h"

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* base of a mirror that was never filled: every reader falls back */
#define SV_MIRROR_UNBUILT UINT64_MAX
/* bytes before the store's value in a mirror value */
#define SV_MIRROR_PREFIX 8

typedef struct sv_mirror sv_mirror;

/* Opens the mirror of the store in dir for this boot. Read-write: creates
 * it if missing (unbuilt) and deletes the mirrors of other boots.
 * Read-only: *out is NULL (and SV_OK) when there is none. *out is NULL as
 * well when the boot id cannot be read (no /proc) or is not a UUID's
 * characters (it names a folder). boot_id overrides the
 * kernel's (tests); NULL for the kernel's. */
sv_status sv_mirror_open(sv_mirror **out, const char *dir, size_t map_size,
                         bool read_only, const char *boot_id, sv_error *err);
void sv_mirror_close(sv_mirror **m);

/* Closes *m and deletes its folder (a mirror that could not be built:
 * its file would only take space); *m is NULL afterwards either way. */
sv_status sv_mirror_discard(sv_mirror **m, sv_error *err);

MDB_dbi sv_mirror_dbi(const sv_mirror *m);

/* Begins a transaction (read-only or not) and reads the marks: *through
 * and *base (SV_MIRROR_UNBUILT when never filled). A write transaction
 * waits for the mirror's write lock. */
sv_status sv_mirror_begin(sv_mirror *m, bool read_only, MDB_txn **txn,
                          uint64_t *through, uint64_t *base, sv_error *err);
sv_status sv_mirror_set_marks(sv_mirror *m, MDB_txn *txn, uint64_t through,
                              uint64_t base, sv_error *err);
/* Puts the store's value of key, written by change `sequence`. */
sv_status sv_mirror_put(sv_mirror *m, MDB_txn *txn, const MDB_val *key,
                        uint64_t sequence, const void *value, size_t len,
                        unsigned flags, sv_error *err);
/* Empties the compact database (before a rebuild). */
sv_status sv_mirror_clear(sv_mirror *m, MDB_txn *txn, sv_error *err);
sv_status sv_mirror_commit(sv_mirror *m, MDB_txn *txn, sv_error *err);

/* Bytes of the file in use (up to its last page). */
size_t sv_mirror_used_bytes(const sv_mirror *m);

/* Drops the mirror's map pages from the process (as sv_store_drop_pages
 * does for the store's). */
sv_status sv_mirror_drop_pages(sv_mirror *m, sv_error *err);

#endif
