/* arena.c: see arena.h. Chunks of CHUNK_BYTES, each allocation aligned to
 * max_align_t; an allocation larger than a chunk gets a chunk of its own.
 * After a reset the first chunk is reused and the others are freed, unless
 * the last use needed them (they are kept, up to KEEP_BYTES in all). */
#include "arena.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define CHUNK_BYTES ((size_t)256 * 1024)
#define KEEP_BYTES ((size_t)64 * 1024 * 1024)
#define ALIGN alignof(max_align_t)

struct chunk {
    struct chunk *next;
    size_t size; /* bytes of data */
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

struct sv_arena {
    ProtobufCAllocator allocator;
    struct chunk *head;  /* chunk in use; the ones before are full */
    struct chunk *full;  /* full chunks of this batch */
    struct chunk *spare; /* kept from earlier batches */
};

static struct chunk *chunk_new(size_t size)
{
    struct chunk *c = malloc(sizeof *c + size);

    if (c == NULL)
        return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

static struct chunk *take_chunk(sv_arena *a, size_t need)
{
    if (need <= CHUNK_BYTES && a->spare != NULL) {
        struct chunk *c = a->spare;
        a->spare = c->next;
        c->next = NULL;
        c->used = 0;
        return c;
    }
    return chunk_new(need > CHUNK_BYTES ? need : CHUNK_BYTES);
}

static void *arena_alloc(void *data, size_t size)
{
    sv_arena *a = data;
    size_t need = (size + ALIGN - 1) & ~(ALIGN - 1);
    struct chunk *c = a->head;

    if (need < size)
        return NULL; /* overflow */
    if (need == 0)
        need = ALIGN;
    if (c == NULL || c->size - c->used < need) {
        struct chunk *fresh = take_chunk(a, need);
        if (fresh == NULL)
            return NULL;
        if (c != NULL) {
            c->next = a->full;
            a->full = c;
        }
        a->head = fresh;
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += need;
    return p;
}

static void arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

static void free_list(struct chunk *c)
{
    while (c != NULL) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
}

sv_arena *sv_arena_new(void)
{
    sv_arena *a = calloc(1, sizeof *a);

    if (a == NULL)
        return NULL;
    a->allocator.alloc = arena_alloc;
    a->allocator.free = arena_free;
    a->allocator.allocator_data = a;
    return a;
}

void sv_arena_destroy(sv_arena **self)
{
    if (self == NULL || *self == NULL)
        return;
    free_list((*self)->head);
    free_list((*self)->full);
    free_list((*self)->spare);
    free(*self);
    *self = NULL;
}

void sv_arena_reset(sv_arena *a)
{
    size_t kept = 0;
    struct chunk *c = a->full;

    /* full chunks of the standard size go back to the spares (up to
     * KEEP_BYTES); oversized ones are freed */
    for (struct chunk *s = a->spare; s != NULL; s = s->next)
        kept += s->size;
    while (c != NULL) {
        struct chunk *next = c->next;
        if (c->size == CHUNK_BYTES && kept + c->size <= KEEP_BYTES) {
            c->next = a->spare;
            a->spare = c;
            kept += c->size;
        } else {
            free(c);
        }
        c = next;
    }
    a->full = NULL;
    if (a->head != NULL && a->head->size != CHUNK_BYTES) {
        free(a->head);
        a->head = NULL;
    }
    if (a->head != NULL)
        a->head->used = 0;
}

ProtobufCAllocator *sv_arena_allocator(sv_arena *a)
{
    return &a->allocator;
}
