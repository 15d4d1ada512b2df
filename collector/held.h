/* held.h: replies the collector could not hand to ZeroMQ yet. A ROUTER
 * refuses a message (EAGAIN) when the connection's queue of replies is
 * full: a client that sends more requests than it reads replies. Such a
 * reply, often the ack of a durable commit, is kept here and sent again
 * on later turns of the main loop until it goes, its connection is gone,
 * or the replies held in all (their bytes and entries) pass max_bytes
 * (then it is dropped and logged: the client's retry with the same
 * submission_id is answered as a duplicate). Main thread only. */
#ifndef SV_HELD_H
#define SV_HELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_held sv_held;

/* NULL when out of memory. program names the log lines. */
sv_held *sv_held_new(size_t max_bytes, const char *program);
/* Frees it and what it holds, logging how many replies were never sent. */
void sv_held_free(sv_held **h);

typedef struct {
    const uint8_t *id; /* the ROUTER routing id */
    size_t id_len;
    bool delimiter; /* an empty frame before the body (a REQ client) */
    uint64_t request_id;
    const char *peer; /* for logs */
} sv_held_to;

/* Sends body (malloc'd; always taken: freed once sent or dropped) to `to`
 * on router without blocking, or holds it. Returns true when it was sent
 * or held, false when it was dropped (logged). */
bool sv_held_send(sv_held *h, void *router, const sv_held_to *to, uint8_t *body,
                  size_t len);

/* Sends again what is held, oldest first, looking at a few thousand at
 * most; a connection still full is skipped for the rest of the turn.
 * Returns how many are still held. */
size_t sv_held_retry(sv_held *h, void *router);

size_t sv_held_count(const sv_held *h);

#endif
