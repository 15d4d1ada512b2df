/* map_pages.h: dropping the pages of LMDB's read-only map of a data file
 * from the process (madvise(MADV_DONTNEED)), so that a scan over a large
 * file does not keep it all resident. The map is shared, read-only and
 * file-backed (no MDB_WRITEMAP): its pages are clean page cache, and the
 * next access faults them in again with the same contents. */
#ifndef SV_MAP_PAGES_H
#define SV_MAP_PAGES_H

#include "status.h"

#include <lmdb.h>
#include <stddef.h>

typedef struct {
    char *base; /* the map, found in /proc/self/maps (NULL: look it up) */
    size_t len;
} sv_map_pages;

/* Drops the used part of env's map (up to its last page as of the latest
 * commit). m caches where the map is; set m->base to NULL after a remap. */
sv_status sv_map_pages_drop(MDB_env *env, sv_map_pages *m, sv_error *err);

/* Drops the pages of [lo, hi] (addresses in a map as above, rounded out
 * to whole pages of the system). */
sv_status sv_map_pages_drop_range(const void *lo, const void *hi,
                                  sv_error *err);

#endif
