/* rpc.c: see rpc.h. */
#include "rpc.h"

#include "zendpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

struct sv_rpc {
    void *ctx;      /* owned ZeroMQ context */
    void *req;      /* owned REQ socket; NULL until used, or after a
                       timeout closed it */
    char *endpoint; /* owned copy */
    int timeout_ms;
    int retries;
    uint64_t next_id;            /* request_id of the last sv_rpc_call */
    volatile sig_atomic_t *stop; /* sv_rpc_set_stop; NULL: none */
    bool curve; /* set by sv_rpc_set_curve: every socket is a CURVE
                   client with these Z85 keys */
    char server_public[SV_Z85_KEY_LEN + 1];
    char client_public[SV_Z85_KEY_LEN + 1];
    char client_secret[SV_Z85_KEY_LEN + 1];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sv_status zmq_failed(sv_error *err, const char *what,
                            const char *endpoint)
{
    return sv_fail(err, SV_ERR_ZMQ, "%s %s: %s", what, endpoint,
                   zmq_strerror(zmq_errno()));
}

sv_status sv_rpc_new(sv_rpc **out, const char *endpoint, int timeout_ms,
                     int retries, sv_error *err)
{
    sv_rpc *self = calloc(1, sizeof *self);
    if (self == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    self->timeout_ms = timeout_ms;
    self->retries = retries;
    self->endpoint = strdup(endpoint);
    if (self->endpoint == NULL) {
        free(self);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    self->ctx = zmq_ctx_new();
    if (self->ctx == NULL) {
        sv_status st = zmq_failed(err, "zmq_ctx_new for", endpoint);
        free(self->endpoint);
        free(self);
        return st;
    }
    *out = self;
    return SV_OK;
}

/* Closes *sock if open. zmq_close fails only for a non-socket. */
static sv_status close_socket(void **sock, sv_error *err)
{
    if (*sock == NULL)
        return SV_OK;
    int rc = zmq_close(*sock);
    *sock = NULL;
    if (rc != 0)
        return sv_fail(err, SV_ERR_ZMQ, "zmq_close: %s",
                       zmq_strerror(zmq_errno()));
    return SV_OK;
}

void sv_rpc_destroy(sv_rpc **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_rpc *s = *self;
    (void)close_socket(&s->req, NULL); /* nothing to do about a failure */
    int rc;
    do {
        rc = zmq_ctx_term(s->ctx);
    } while (rc != 0 && zmq_errno() == EINTR);
    free(s->endpoint);
    explicit_bzero(s->client_secret, sizeof s->client_secret);
    free(s);
    *self = NULL;
}

/* True when key is SV_Z85_KEY_LEN characters that decode as Z85. */
static bool valid_key(const char *key)
{
    uint8_t raw[32];
    return key != NULL && strlen(key) == SV_Z85_KEY_LEN &&
           zmq_z85_decode(raw, key) != NULL;
}

sv_status sv_rpc_set_curve(sv_rpc *self, const char *server_public,
                           const char *client_public, const char *client_secret,
                           sv_error *err)
{
    if (!valid_key(server_public))
        return sv_fail(err, SV_ERR_INVALID,
                       "the server's public key is not a 40-character Z85 "
                       "key");
    if (!valid_key(client_public) || !valid_key(client_secret))
        return sv_fail(err, SV_ERR_INVALID,
                       "the client's key pair is not two 40-character Z85 "
                       "keys");
    if (zmq_has("curve") == 0)
        return sv_fail(err, SV_ERR_INVALID,
                       "this libzmq has no CURVE security: cannot use keys");
    memcpy(self->server_public, server_public, sizeof self->server_public);
    memcpy(self->client_public, client_public, sizeof self->client_public);
    memcpy(self->client_secret, client_secret, sizeof self->client_secret);
    self->curve = true;
    return close_socket(&self->req, err); /* the next call opens anew */
}

/* Makes sock a CURVE client with self's keys (before it connects). */
static int set_curve_options(const sv_rpc *self, void *sock)
{
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, self->server_public,
                       SV_Z85_KEY_LEN) != 0)
        return -1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, self->client_public,
                       SV_Z85_KEY_LEN) != 0)
        return -1;
    return zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, self->client_secret,
                          SV_Z85_KEY_LEN);
}

const char *sv_rpc_endpoint(const sv_rpc *self)
{
    return self->endpoint;
}

/* A new socket of type with linger 0 (and the CURVE keys, if set),
 * connected to the endpoint. */
static sv_status open_socket(sv_rpc *self, int type, void **out, sv_error *err)
{
    void *sock = zmq_socket(self->ctx, type);
    if (sock == NULL)
        return zmq_failed(err, "zmq_socket for", self->endpoint);
    int linger = 0;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        sv_status st = zmq_failed(err, "zmq_setsockopt for", self->endpoint);
        (void)close_socket(&sock, NULL);
        return st;
    }
    if (self->curve && set_curve_options(self, sock) != 0) {
        sv_status st =
            zmq_failed(err, "CURVE client options for", self->endpoint);
        (void)close_socket(&sock, NULL);
        return st;
    }
    if (sv_zendpoint_prepare(sock, self->endpoint) != 0 ||
        zmq_connect(sock, self->endpoint) != 0) {
        sv_status st = sv_fail(err, SV_ERR_INVALID, "cannot connect to %s: %s",
                               self->endpoint, zmq_strerror(zmq_errno()));
        (void)close_socket(&sock, NULL);
        return st;
    }
    *out = sock;
    return SV_OK;
}

/* SV_OK when sock is readable within timeout_ms, else SV_ERR_TIMEOUT, or
 * SV_ERR_ZMQ. Signals do not shorten the wait. */
static sv_status wait_readable(void *sock, int timeout_ms, sv_error *err)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - now_ms();
        zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, left > 0 ? (long)left : 0);
        if (rc < 0 && zmq_errno() == EINTR)
            continue;
        if (rc < 0)
            return sv_fail(err, SV_ERR_ZMQ, "zmq_poll: %s",
                           zmq_strerror(zmq_errno()));
        if (rc > 0 && (item.revents & ZMQ_POLLIN) != 0)
            return SV_OK;
        if (left <= 0)
            return SV_ERR_TIMEOUT;
    }
}

/* Receives one message (all its frames) and decodes the last frame, the
 * Reply; an empty delimiter frame before it is allowed. With ZMQ_DONTWAIT
 * in flags, SV_ERR_TIMEOUT means nothing was waiting. *out is NULL when
 * the message did not decode (SV_ERR_PROTO). */
static sv_status recv_reply(void *sock, int flags, Survey__V1__Reply **out,
                            sv_error *err)
{
    zmq_msg_t msg;
    sv_status st = SV_OK;
    *out = NULL;
    if (zmq_msg_init(&msg) != 0)
        return sv_fail(err, SV_ERR_ZMQ, "zmq_msg_init: %s",
                       zmq_strerror(zmq_errno()));
    bool more = true;
    while (more) {
        if (zmq_msg_recv(&msg, sock, flags) < 0) {
            if (zmq_errno() == EAGAIN)
                st = SV_ERR_TIMEOUT;
            else
                st = sv_fail(err, SV_ERR_ZMQ, "zmq_msg_recv: %s",
                             zmq_strerror(zmq_errno()));
            break;
        }
        more = zmq_msg_more(&msg) != 0;
        flags = 0; /* the rest of a message is always there */
    }
    if (st == SV_OK) {
        *out = survey__v1__reply__unpack(NULL, zmq_msg_size(&msg),
                                         zmq_msg_data(&msg));
        if (*out == NULL)
            st = sv_fail(err, SV_ERR_PROTO, "undecodable reply (%zu bytes)",
                         zmq_msg_size(&msg));
    }
    if (zmq_msg_close(&msg) != 0 && st == SV_OK) {
        survey__v1__reply__free_unpacked(*out, NULL);
        *out = NULL;
        st = sv_fail(err, SV_ERR_ZMQ, "zmq_msg_close: %s",
                     zmq_strerror(zmq_errno()));
    }
    return st;
}

/* One lazy-pirate attempt: send, wait, receive. On a timeout the REQ
 * socket is closed so that the next attempt starts clean. A send that
 * cannot even be queued within the timeout is a timeout too: libzmq drops
 * the connection when the collector refuses the CURVE handshake (a key not
 * in its registry), and a REQ socket without one would block in zmq_send
 * for ever. */
static sv_status attempt(sv_rpc *self, const uint8_t *buf, size_t len,
                         uint64_t id, Survey__V1__Reply **out, sv_error *err)
{
    sv_status st;
    if (self->req == NULL) {
        st = open_socket(self, ZMQ_REQ, &self->req, err);
        if (st != SV_OK)
            return st;
        if (zmq_setsockopt(self->req, ZMQ_SNDTIMEO, &self->timeout_ms,
                           sizeof self->timeout_ms) != 0) {
            st = zmq_failed(err, "zmq_setsockopt for", self->endpoint);
            (void)close_socket(&self->req, NULL);
            return st;
        }
    }
    if (zmq_send(self->req, buf, len, 0) < 0) {
        if (zmq_errno() == EAGAIN) {
            sv_status cst = close_socket(&self->req, err);
            return cst != SV_OK ? cst : SV_ERR_TIMEOUT;
        }
        st = zmq_failed(err, "cannot send to", self->endpoint);
        (void)close_socket(&self->req, NULL);
        return st;
    }
    st = wait_readable(self->req, self->timeout_ms, err);
    if (st == SV_ERR_TIMEOUT) {
        sv_status cst = close_socket(&self->req, err);
        return cst != SV_OK ? cst : SV_ERR_TIMEOUT;
    }
    if (st != SV_OK)
        return st;
    st = recv_reply(self->req, 0, out, err);
    if (st != SV_OK)
        return st;
    if ((*out)->request_id != id) {
        st = sv_fail(err, SV_ERR_PROTO, "reply for request %llu, expected %llu",
                     (unsigned long long)(*out)->request_id,
                     (unsigned long long)id);
        survey__v1__reply__free_unpacked(*out, NULL);
        *out = NULL;
    }
    return st;
}

sv_status sv_rpc_call(sv_rpc *self, const Survey__V1__Request *req,
                      Survey__V1__Reply **out, sv_error *err)
{
    Survey__V1__Request copy = *req;
    copy.request_id = ++self->next_id;
    size_t len = survey__v1__request__get_packed_size(&copy);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (survey__v1__request__pack(&copy, buf) != len) {
        free(buf);
        return sv_fail(err, SV_ERR_PROTO, "cannot pack the request");
    }
    sv_status st = SV_ERR_TIMEOUT;
    for (int i = 0; i <= self->retries && st == SV_ERR_TIMEOUT; i++)
        st = attempt(self, buf, len, copy.request_id, out, err);
    free(buf);
    if (st == SV_ERR_TIMEOUT)
        return sv_fail(
            err, st, "no reply from %s after %d attempt%s (%s)", self->endpoint,
            self->retries + 1, self->retries == 0 ? "" : "s",
            self->curve ? "is the collector running there, and are "
                          "--server-public and your key those of its "
                          "registry?"
                        : "is the collector running there? one with "
                          "CURVE does not answer a client without keys");
    return st;
}

/* ---- pipeline --------------------------------------------------------- */

typedef struct {
    size_t index;     /* into items */
    int attempts;     /* sends so far */
    int64_t deadline; /* monotonic ms of the next resend or give-up */
} flight;

/* Index of the item with that id, or n. */
static size_t find_item(const sv_rpc_item *items, size_t n, uint64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (items[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && items[lo].id == id ? lo : n;
}

/* Sends (or resends) f's item. A full queue counts as an attempt: the
 * deadline brings the resend. */
static sv_status send_item(void *sock, const sv_rpc_item *item, flight *f,
                           int timeout_ms, sv_error *err)
{
    f->attempts++;
    f->deadline = now_ms() + timeout_ms;
    if (zmq_send(sock, item->data, item->len, ZMQ_DONTWAIT) < 0 &&
        zmq_errno() != EAGAIN)
        return sv_fail(err, SV_ERR_ZMQ, "zmq_send: %s",
                       zmq_strerror(zmq_errno()));
    return SV_OK;
}

typedef struct {
    const sv_rpc_item *items;
    size_t n;
    flight *fl; /* in flight: fl[0..m) */
    size_t m;
    size_t settled;
    bool gave_up; /* an item went unanswered after every attempt, or the
                     stop flag was set */
    sv_rpc_reply_fn on_reply;
    void *arg;
} pipe_state;

static void settle(pipe_state *p, size_t k, const Survey__V1__Reply *reply)
{
    size_t index = p->fl[k].index;
    int sends = p->fl[k].attempts;
    p->fl[k] = p->fl[--p->m];
    p->settled++;
    p->on_reply(p->arg, index, sends, reply);
}

/* Takes every reply waiting on sock. */
static sv_status drain(pipe_state *p, void *sock, sv_error *err)
{
    for (;;) {
        Survey__V1__Reply *reply = NULL;
        sv_status st = recv_reply(sock, ZMQ_DONTWAIT, &reply, err);
        if (st == SV_ERR_TIMEOUT)
            return SV_OK;
        if (st == SV_ERR_PROTO)
            continue; /* undecodable: its request will time out */
        if (st != SV_OK)
            return st;
        size_t index = find_item(p->items, p->n, reply->request_id);
        for (size_t k = 0; k < p->m; k++) {
            if (p->fl[k].index == index) {
                settle(p, k, reply);
                break;
            }
        }
        survey__v1__reply__free_unpacked(reply, NULL);
    }
}

/* Resends or gives up every request whose deadline has passed. */
static sv_status expire(pipe_state *p, void *sock, int timeout_ms, int retries,
                        sv_error *err)
{
    int64_t now = now_ms();
    size_t k = 0;
    while (k < p->m) {
        flight *f = &p->fl[k];
        if (f->deadline > now) {
            k++;
        } else if (f->attempts <= retries) {
            sv_status st =
                send_item(sock, &p->items[f->index], f, timeout_ms, err);
            if (st != SV_OK)
                return st;
            k++;
        } else {
            p->gave_up = true;
            settle(p, k, NULL); /* fl[k] is now another flight */
        }
    }
    return SV_OK;
}

static int earliest_wait(const pipe_state *p)
{
    int64_t now = now_ms();
    int64_t first = now + 1000;
    for (size_t k = 0; k < p->m; k++) {
        if (p->fl[k].deadline < first)
            first = p->fl[k].deadline;
    }
    return first > now ? (int)(first - now) : 0;
}

void sv_rpc_set_stop(sv_rpc *self, volatile sig_atomic_t *stop)
{
    self->stop = stop;
}

sv_status sv_rpc_pipeline(sv_rpc *self, const sv_rpc_item *items, size_t n,
                          size_t window, sv_rpc_reply_fn on_reply, void *arg,
                          size_t *sent, sv_error *err)
{
    *sent = 0;
    for (size_t i = 1; i < n; i++) {
        if (items[i].id <= items[i - 1].id)
            return sv_fail(err, SV_ERR_INVALID,
                           "request ids out of order at %zu", i);
    }
    if (n == 0)
        return SV_OK;
    if (window == 0)
        window = 1;
    if (window > n)
        window = n;
    pipe_state p = {items, n, NULL, 0, 0, false, on_reply, arg};
    size_t next = 0;
    void *sock = NULL;
    sv_status st = SV_ERR_NOMEM;
    p.fl = calloc(window, sizeof *p.fl);
    if (p.fl == NULL) {
        st = sv_fail(err, st, "out of memory");
        goto fail;
    }
    st = open_socket(self, ZMQ_DEALER, &sock, err);
    if (st != SV_OK)
        goto fail;
    /* once one item goes unanswered no more are sent (the peer is gone,
       or too slow to go on): those in flight are seen through */
    while (p.settled < next || (next < n && !p.gave_up)) {
        if (self->stop != NULL && *self->stop)
            p.gave_up = true;
        while (p.m < window && next < n && !p.gave_up) {
            flight *f = &p.fl[p.m++];
            f->index = next++;
            f->attempts = 0;
            st = send_item(sock, &items[f->index], f, self->timeout_ms, err);
            if (st != SV_OK)
                goto fail;
        }
        st = wait_readable(sock, earliest_wait(&p), err);
        if (st == SV_OK)
            st = drain(&p, sock, err);
        else if (st == SV_ERR_TIMEOUT)
            st = SV_OK;
        if (st == SV_OK)
            st = expire(&p, sock, self->timeout_ms, self->retries, err);
        if (st != SV_OK)
            goto fail;
    }
fail:
    *sent = next;
    if (close_socket(&sock, st == SV_OK ? err : NULL) != SV_OK && st == SV_OK)
        st = SV_ERR_ZMQ;
    free(p.fl);
    return st;
}
