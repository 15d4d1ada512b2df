/* held.c: see held.h. */
#include "held.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define MAX_ID 256
/* Connections found still full in one turn of sv_held_retry, at most;
 * past them the turn ends (the rest waits for the next one). */
#define BLOCKED_MAX 16
/* Replies looked at in one turn, at most: a client that never reads can
 * have tens of thousands held, and the main thread turns every 20 ms. */
#define EXAMINE_MAX 4096

struct reply {
    struct reply *next;
    uint8_t id[MAX_ID];
    size_t id_len;
    bool delimiter;
    uint64_t request_id;
    char peer[64];
    uint8_t *body;
    size_t len;
};

struct sv_held {
    struct reply *head;
    struct reply *tail;
    size_t n;
    size_t bytes;
    size_t max_bytes;
    size_t dropped; /* for full: logged at the first, then every 1000th */
    time_t logged;  /* when holding was last logged (every minute at most) */
    const char *program;
};

sv_held *sv_held_new(size_t max_bytes, const char *program)
{
    sv_held *h = calloc(1, sizeof *h);

    if (h == NULL)
        return NULL;
    h->max_bytes = max_bytes;
    h->program = program;
    return h;
}

static void free_reply(struct reply *r)
{
    free(r->body);
    free(r);
}

void sv_held_free(sv_held **self)
{
    sv_held *h;

    if (self == NULL || *self == NULL)
        return;
    h = *self;
    if (h->n > 0)
        sv_log(h->program,
               "%zu replies never sent: their clients did not read them "
               "before the end (a retry with the same submission_id is "
               "answered as a duplicate)",
               h->n);
    while (h->head != NULL) {
        struct reply *r = h->head;
        h->head = r->next;
        free_reply(r);
    }
    free(h);
    *self = NULL;
}

size_t sv_held_count(const sv_held *h)
{
    return h->n;
}

/* Sends the reply's frames; 0, or the errno of the first frame (a ROUTER
 * refuses a message, if at all, at its first frame: EAGAIN when the
 * connection's queue is full, EHOSTUNREACH when it is gone). */
static int try_send(void *router, const uint8_t *id, size_t id_len,
                    bool delimiter, const uint8_t *body, size_t len)
{
    if (zmq_send(router, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return zmq_errno();
    if ((delimiter &&
         zmq_send(router, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) ||
        zmq_send(router, body, len, ZMQ_DONTWAIT) < 0)
        return zmq_errno() != 0 ? zmq_errno() : EIO;
    return 0;
}

static void log_gone(const sv_held *h, uint64_t request_id, const char *peer,
                     int e)
{
    sv_log(h->program, "reply %llu to %s not sent: %s",
           (unsigned long long)request_id, peer,
           e == EHOSTUNREACH ? "its connection is gone" : zmq_strerror(e));
}

bool sv_held_send(sv_held *h, void *router, const sv_held_to *to, uint8_t *body,
                  size_t len)
{
    /* no order among a client's replies: DEALER clients match them by
       request_id, and a REQ client has one request in flight */
    int e = to->id_len <= MAX_ID
                ? try_send(router, to->id, to->id_len, to->delimiter, body, len)
                : EINVAL;
    struct reply *r;

    if (e == 0) {
        free(body);
        return true;
    }
    if (e != EAGAIN) {
        log_gone(h, to->request_id, to->peer, e);
        free(body);
        return false;
    }
    /* what a held reply takes: its bytes and its entry */
    if (h->bytes + len + sizeof *r > h->max_bytes ||
        (r = calloc(1, sizeof *r)) == NULL) {
        if (h->dropped++ % 1000 == 0)
            sv_log(h->program,
                   "reply %llu to %s dropped: %zu replies (%zu bytes) wait "
                   "already for clients that do not read them (%zu dropped "
                   "so far; a retry with the same submission_id is "
                   "answered as a duplicate)",
                   (unsigned long long)to->request_id, to->peer, h->n, h->bytes,
                   h->dropped);
        free(body);
        return false;
    }
    if (time(NULL) - h->logged >= 60) {
        sv_log(h->program,
               "reply %llu to %s held: that client's queue of replies is "
               "full (it sends requests faster than it reads replies); "
               "%zu held before it",
               (unsigned long long)to->request_id, to->peer, h->n);
        h->logged = time(NULL);
    }
    memcpy(r->id, to->id, to->id_len);
    r->id_len = to->id_len;
    r->delimiter = to->delimiter;
    r->request_id = to->request_id;
    snprintf(r->peer, sizeof r->peer, "%s", to->peer);
    r->body = body;
    r->len = len;
    if (h->tail != NULL)
        h->tail->next = r;
    else
        h->head = r;
    h->tail = r;
    h->n++;
    h->bytes += len + sizeof *r;
    return true;
}

size_t sv_held_retry(sv_held *h, void *router)
{
    const struct reply *blocked[BLOCKED_MAX];
    size_t n_blocked = 0;
    struct reply **link = &h->head;
    struct reply *prev = NULL;

    for (size_t examined = 0; *link != NULL && examined < EXAMINE_MAX;
         examined++) {
        struct reply *r = *link;
        bool skip = false;
        for (size_t i = 0; i < n_blocked && !skip; i++)
            skip = blocked[i]->id_len == r->id_len &&
                   memcmp(blocked[i]->id, r->id, r->id_len) == 0;
        int e = skip ? EAGAIN
                     : try_send(router, r->id, r->id_len, r->delimiter, r->body,
                                r->len);
        if (e == EAGAIN) {
            if (!skip) {
                if (n_blocked == BLOCKED_MAX)
                    break;
                blocked[n_blocked++] = r;
            }
            prev = r;
            link = &r->next;
            continue;
        }
        if (e != 0)
            log_gone(h, r->request_id, r->peer, e);
        *link = r->next;
        if (h->tail == r)
            h->tail = prev;
        h->n--;
        h->bytes -= r->len + sizeof *r;
        free_reply(r);
    }
    return h->n;
}
