/* arena.h: a bump allocator for protobuf-c messages that die together:
 * the collector decodes one batch of requests into one (everything freed
 * with sv_arena_reset() when the batch's replies have been sent), the
 * aggregator builds a snapshot in one to take its digest. Every message,
 * string and repeated field goes through sv_arena_allocator(); nothing is
 * freed one by one. The chunks are kept for the next use. One arena is
 * used by one thread. */
#ifndef SV_ARENA_H
#define SV_ARENA_H

#include <protobuf-c/protobuf-c.h>

#include <stddef.h>

typedef struct sv_arena sv_arena;

/* NULL when out of memory. */
sv_arena *sv_arena_new(void);

/* Frees every chunk and *self, sets it to NULL. NULL-safe. */
void sv_arena_destroy(sv_arena **self);

/* Makes everything allocated so far free again (the memory is kept). */
void sv_arena_reset(sv_arena *a);

/* An allocator for protobuf-c's unpack functions backed by a; its free is
 * a no-op. The returned struct lives as long as a. */
ProtobufCAllocator *sv_arena_allocator(sv_arena *a);

#endif
