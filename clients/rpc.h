/* rpc.h: the client side of the survey.v1 transport. One Request frame out,
 * one Reply frame back, over ZeroMQ:
 *
 * - sv_rpc_call: one request at a time on a REQ socket, "lazy pirate"
 *   (ZeroMQ guide, chapter 4): wait up to the timeout, and when no reply
 *   comes, close the socket (linger 0), open a new one and send the same
 *   bytes again, up to `retries` times.
 * - sv_rpc_pipeline: many requests in flight on a DEALER socket, matched to
 *   their replies by request_id; a request without a reply after the
 *   timeout is sent again with the same bytes, up to `retries` times. */
#ifndef SV_RPC_H
#define SV_RPC_H

#include "keyfile.h"
#include "status.h"
#include "survey.pb-c.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_rpc sv_rpc;

/* A client of endpoint (copied). timeout_ms > 0, retries >= 0.
 * Returns SV_OK and *out, owned by the caller (sv_rpc_destroy), or
 * SV_ERR_NOMEM / SV_ERR_ZMQ with err set. Connects lazily. */
sv_status sv_rpc_new(sv_rpc **out, const char *endpoint, int timeout_ms,
                     int retries, sv_error *err);

/* Makes every socket self opens from now on a CURVE client
 * (ZMQ_CURVE_SERVERKEY, ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY, set before
 * it connects): server_public is the collector's public key, client_public
 * and client_secret the client's pair, each SV_Z85_KEY_LEN Z85 characters
 * (copied); an open REQ socket is closed. SV_ERR_INVALID when a key is
 * malformed or libzmq has no CURVE. With a wrong server key, or a client key
 * the collector does not know, the handshake fails and no reply ever comes
 * (SV_ERR_TIMEOUT). */
sv_status sv_rpc_set_curve(sv_rpc *self, const char *server_public,
                           const char *client_public, const char *client_secret,
                           sv_error *err);

/* Closes the sockets, terminates the context, frees *self, sets it NULL.
 * NULL-safe. */
void sv_rpc_destroy(sv_rpc **self);

/* Sends req with a request_id of its own choosing (req is not modified),
 * packed once and resent unchanged. Returns:
 *   SV_OK and *out (owned by the caller: survey__v1__reply__free_unpacked)
 *   SV_ERR_TIMEOUT  "no reply from ENDPOINT after N attempts"
 *   SV_ERR_PROTO    a reply that does not decode or echoes another id
 *   SV_ERR_INVALID  the endpoint is not one ZeroMQ can connect to
 *   SV_ERR_ZMQ      a socket call failed
 *   SV_ERR_NOMEM */
sv_status sv_rpc_call(sv_rpc *self, const Survey__V1__Request *req,
                      Survey__V1__Reply **out, sv_error *err);

/* One request of a pipeline. */
typedef struct {
    uint64_t id;         /* the request_id packed into data */
    const uint8_t *data; /* a packed Request; borrowed */
    size_t len;
} sv_rpc_item;

/* Called once per item: with its reply (borrowed for the call), or with
 * reply NULL when every attempt went unanswered. index is into items;
 * sends is how many times the item was sent (more than 1: the replies to
 * the earlier sends were lost or late); an attempt that found the socket's
 * queue full counts as a send, though nothing went out (the item is sent
 * again at the next attempt, or given up with reply NULL after the last). */
typedef void (*sv_rpc_reply_fn)(void *arg, size_t index, int sends,
                                const Survey__V1__Reply *reply);

/* A flag (set by a signal handler) that stops sv_rpc_pipeline sending
 * more, as an item gone unanswered does; NULL for none. */
void sv_rpc_set_stop(sv_rpc *self, volatile sig_atomic_t *stop);

/* Sends items[0..n) with at most window (>= 1) of them in flight and calls
 * on_reply for each one sent. Item ids must be strictly increasing.
 * Replies that do not decode, or that name no request in flight, are
 * ignored (a late reply to a resent request is one of them). Once an item
 * goes unanswered after every attempt no more are sent: the ones in flight
 * are seen through, and *sent says how many were (items[*sent..n) were
 * never sent, and on_reply was not called for them). Returns SV_OK once
 * every item sent is settled, SV_ERR_INVALID for ids out of order or a bad
 * endpoint, SV_ERR_ZMQ or SV_ERR_NOMEM with err set. */
sv_status sv_rpc_pipeline(sv_rpc *self, const sv_rpc_item *items, size_t n,
                          size_t window, sv_rpc_reply_fn on_reply, void *arg,
                          size_t *sent, sv_error *err);

/* The endpoint, owned by self. */
const char *sv_rpc_endpoint(const sv_rpc *self);

#endif
