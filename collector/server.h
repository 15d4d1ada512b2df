/* server.h: the collector's request loop. One ROUTER socket; the main
 * thread receives, decodes and validates requests into a batch that grows
 * while a writing thread applies the previous batches in one LMDB write
 * transaction (group commit); every reply is sent only after that
 * transaction is durable. A flush thread makes commits durable while the
 * next batch is being written (storage/README.md, Durability). Reads in a
 * batch are answered after its commit, so they see the batch's writes. */
#ifndef SV_SERVER_H
#define SV_SERVER_H

#include "registry.h"
#include "status.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define SV_DEFAULT_ENDPOINT "tcp://127.0.0.1:5555"
#define SV_DEFAULT_BATCH 256
#define SV_DEFAULT_MAX_REQUEST (256 * 1024)
#define SV_DEFAULT_IN_FLIGHT 1000
/* The nice value survey-collector gives its writing and flush threads:
 * every acknowledgement waits for their cycle, so on a busy machine they go
 * first (bench/ROUNDS.md, Round 11). */
#define SV_DEFAULT_COMMIT_NICE (-10)

typedef struct {
    const char *endpoint;        /* e.g. tcp://127.0.0.1:5555, ipc:///path */
    const char *data_dir;        /* LMDB environment directory */
    size_t map_size;             /* bytes; 0 = storage default */
    size_t max_batch;            /* requests per group commit; 0 = default */
    size_t max_request;          /* larger frames get TOO_LARGE; 0 = default.
                                    Frames over 4x this drop the connection. */
    const char *notify_endpoint; /* PUB endpoint announcing commits to the
                                    aggregator; NULL = none */
    size_t max_in_flight;        /* requests queued per connection (and
                                    replies waiting to go out); 0 = default.
                                    ZeroMQ reads connections fairly, so a
                                    flooding client cannot stall others */
    bool auth;                   /* CURVE + ZAP; false = plain (loopback) */
    const char *server_secret;   /* the server's secret certificate */
    const char *clients;         /* the client key registry (auth.h) */
    int commit_nice;             /* nice value (-20..19) of the writing and
                                    flush threads; 0 = leave it. Without
                                    the privilege to lower it, logged and
                                    left as it is */
} sv_server_options;

typedef struct sv_server sv_server;

/* Opens the store and binds the socket. reg is borrowed and must outlive
 * the server. *out is owned by the caller: sv_server_destroy(). */
sv_status sv_server_new(sv_server **out, const sv_server_options *opt,
                        const sv_registry *reg, sv_error *err);

/* The endpoint actually bound (a tcp port of * resolved). */
const char *sv_server_endpoint(const sv_server *s);

/* Flags set from signal handlers. */
typedef struct {
    volatile sig_atomic_t stop;   /* finish the batch in hand and return */
    volatile sig_atomic_t reload; /* re-read the client key registry */
} sv_server_signals;

/* Serves until sig->stop is non-zero; the batch in hand is always finished
 * first. Returns SV_OK on a requested stop. */
sv_status sv_server_run(sv_server *s, sv_server_signals *sig, sv_error *err);

/* Re-reads the client key registry (no-op without authentication); on
 * failure the old registry stays. */
sv_status sv_server_reload(sv_server *s, sv_error *err);

/* A group commit (writing and committing) or a flush that took longer
 * than this is counted as slow: every request in flight waits that long
 * (the ack latency's tail, bench/README.md). */
#define SV_SERVER_SLOW_S 0.010

/* What the writing and the flush thread have done since the start: the
 * group commits and how long their steps took (the disk's share shows in
 * commit_s and flush_s). */
typedef struct {
    uint64_t commits;      /* transactions committed */
    uint64_t requests;     /* requests of the batches in them */
    double write_s;        /* applying the writes to the transactions */
    double commit_s;       /* committing them: pages written and flushed */
    double commit_max_s;   /* the longest commit, writing and committing */
    uint64_t commits_slow; /* commits over SV_SERVER_SLOW_S, likewise */
    uint64_t flushes;      /* flushes that made commits durable */
    double flush_s;        /* time in them */
    double flush_max_s;    /* the longest */
    uint64_t flushes_slow; /* flushes over SV_SERVER_SLOW_S */
    /* Where the `answered` requests spent their time in the collector,
     * summed: in the open batch until it was handed over, waiting for the
     * writing thread, being written and committed, then until the reply
     * was sent (the flush, the main thread's turn). */
    uint64_t answered;
    double open_s;
    double queue_s;
    double written_s;
    double reply_s;
} sv_server_stats;

/* Copies the counters into *out. From the thread that runs the server. */
void sv_server_stats_get(sv_server *s, sv_server_stats *out);

/* Keys in the registry (0 without authentication). */
size_t sv_server_key_count(sv_server *s);

/* Closes the socket and the store, frees *self. NULL-safe. */
void sv_server_destroy(sv_server **self);

#endif
