/* server.c: see server.h. */
#include "server.h"

#include "arena.h"
#include "auth.h"
#include "held.h"
#include "compact.h"
#include "keyfile.h"
#include "log.h"
#include "reads.h"
#include "reply.h"
#include "request_decode.h"
#include "store.h"
#include "utf8.h"
#include "wire_check.h"
#include "worker.h"
#include "zendpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define PROGRAM "survey-collector"
#define MAX_ID_BYTES 256
#define MAX_SUBMISSION_ID 128
#define POLL_MS 500
/* Replies held for clients that do not read them (held.h): at most this
 * many bytes, sent again every HELD_RETRY_MS while there are any, and for
 * up to HELD_GRACE_MS when the collector stops. */
#define HELD_MAX_BYTES ((size_t)64 << 20)
#define HELD_RETRY_MS 20
#define HELD_GRACE_MS 2000
/* Batches in hand: one being received while the others wait for the
 * writing thread, or for the flush that makes their commit durable. */
#define SLOTS 8

struct pending;

/* One batch: its requests, and the commit they wait for. The main thread
 * receives it, then hands it to the writing thread (writer.queued), which
 * hands it back once written (writer.written). */
struct slot {
    struct pending *pending; /* owned, max_batch entries */
    size_t n;
    sv_arena *arena;     /* owned: the requests' decoded messages */
    long long now_ms;    /* time recorded for the batch's writes */
    size_t prepared;     /* requests looked at by prepare_open */
    uint64_t generation; /* replies go out once this commit is durable */
    double handed;       /* clock_s() when handed over (main thread) */
    double writing;      /* when the writing thread began on it, */
    double written;      /* and when its commit returned */
};

/* The flushing thread. A commit (MDB_NOMETASYNC: data pages flushed, meta
 * page written but not flushed) is numbered by its generation; the thread
 * flushes the data file (sv_store_sync) after taking the highest
 * generation committed, so every commit up to it is durable when the
 * flush returns. */
struct syncer {
    sv_worker t;           /* cv: work for the thread, or its progress */
    uint64_t committed;    /* highest generation committed (writing thread) */
    uint64_t durable;      /* highest generation flushed (sync thread) */
    bool failed;           /* a flush failed: nothing more is durable */
    sv_error err;          /* of the failed flush */
    int wake[2];           /* pipe: the thread writes a byte per flush */
    uint64_t flushes;      /* flushes done (sync thread) */
    double flush_s;        /* seconds in them */
    double flush_max_s;    /* the longest */
    uint64_t flushes_slow; /* over SV_SERVER_SLOW_S */
};

/* The writing thread: it takes the batches the main thread has received,
 * decoded and validated, and writes all those waiting in one LMDB
 * transaction (group commit), while the main thread receives the next.
 * Batches are numbered from 0 in the order received; batch n is in slot
 * n % SLOTS. All store access but the flush is on this thread. */
struct writer {
    sv_worker t;
    uint64_t queued;       /* batches handed over (main thread) */
    uint64_t written;      /* batches written and answered (writing thread) */
    sv_server_stats stats; /* its commits; the flushes are under the
                              flush thread's mutex */
    sv_pb_packer *packer;  /* the acks' (writing thread); NULL: protobuf-c's */
};

/* The preparing thread: while the writing thread writes batches, it
 * prepares their submissions from the last one backwards, and the writing
 * thread goes forwards; each submission is claimed by whichever comes
 * first (struct pending, claim), so they meet in the middle. It uses the
 * writer's mutex and condition variable (a hand-over wakes both). */
struct preparer {
    pthread_t thread;
    bool started;
    bool stop;     /* under the writer's mu */
    uint64_t seen; /* batches before this one were scanned (likewise) */
    bool busy;     /* scanning batches from.. (likewise) */
    uint64_t from;
};

/* Who prepares a submission handed to the writing thread. */
enum { CLAIM_FREE, CLAIM_TAKEN, CLAIM_DONE };

struct sv_server {
    void *ctx;              /* owned */
    void *router;           /* owned */
    sv_store *store;        /* owned */
    const sv_registry *reg; /* borrowed */
    size_t max_batch;
    size_t max_request;
    char endpoint[512];
    struct slot slots[SLOTS];
    uint64_t received;        /* batches received (main thread) */
    uint64_t completed;       /* batches whose replies went out (main thread) */
    uint64_t generation;      /* of the last commit (writing thread) */
    bool mirror_reported;     /* the scan mirror's failure was logged */
    bool write_failed;        /* a write or commit of the group in hand failed
                                 (writing thread) */
    atomic_bool store_broken; /* LMDB gave up on the environment: set by
                                 the writing thread, the main thread stops */
    sv_server_stats stages;   /* answered, open_s..reply_s (main thread) */
    struct writer writer;
    struct preparer preparer;
    struct syncer sync;
    void *notify;      /* owned PUB socket: commit notices */
    sv_held *held;     /* owned: replies waiting for room (held.h) */
    sv_auth *auth;     /* owned; NULL when authentication is off */
    uint64_t notified; /* last sequence announced */
    sv_value *values;  /* owned scratch: one per question */
    bool *relevant;    /* owned scratch: one per question */
    int commit_nice;   /* of the writing and flush threads */
};

typedef enum {
    P_READY, /* reply packed in out */
    P_PUT,   /* to write (then acked) */
    P_ACKED, /* written and committed, its ack packed in out */
    P_READ   /* a read: answered after the commit */
} pending_state;

/* One request of the batch in hand. */
struct pending {
    uint8_t id[MAX_ID_BYTES]; /* ROUTER routing id */
    size_t id_len;
    bool delimiter;    /* the client sent an empty frame first (REQ) */
    char peer[64];     /* transport address, for logs */
    char identity[96]; /* who: the ZAP User-Id, or anonymous@peer */
    char key[41];      /* the connection's public key (Z85), with CURVE */
    uint64_t request_id;
    Survey__V1__Request *req; /* owned; NULL if undecodable */
    const uint8_t *packed;    /* its submission's bytes when they are
                                 protobuf-c's (request_decode.h), or NULL;
                                 in the slot's arena */
    size_t packed_len;
    const sv_questionnaire *q;
    pending_state state;
    /* a submission to write (P_PUT), as validation left it */
    long long time_ms;
    const char **missing; /* owned array of the questionnaire's names */
    size_t n_missing;
    uint8_t *compact; /* in the slot's arena */
    size_t compact_len;
    sv_prepared *prep; /* owned: prepared by one thread (prepare()) */
    atomic_int claim;  /* CLAIM_*: once handed over, the thread that sets it
                          from FREE prepares; DONE (release) when it has */
    sv_packed out;     /* owned when state == P_READY or P_ACKED */
    sv_put_result res; /* owned when state == P_PUT */
    uint64_t sequence; /* change-log sequence of a P_ACKED write */
    bool read_after;   /* a read answered after its batch's commit, which
                          it may show (writing thread) */
    double received;   /* clock_s() when received */
};

static sv_status writer_start(sv_server *s, sv_error *err);
static void writer_stop(sv_server *s);

/* Seconds on a monotonic clock, for the statistics. */
static double clock_s(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sv_status zmq_fail(sv_error *err, const char *what)
{
    return sv_fail(err, SV_ERR_ZMQ, "%s: %s", what, zmq_strerror(zmq_errno()));
}

/* Scratch space for validation, sized for the largest questionnaire
 * served. */
static sv_status alloc_scratch(sv_server *s, sv_error *err)
{
    size_t questions = 1;
    for (size_t i = 0; i < sv_registry_count(s->reg); i++) {
        const sv_questionnaire *q = sv_registry_at(s->reg, i);
        if (sv_questionnaire_count(q) > questions)
            questions = sv_questionnaire_count(q);
    }
    s->values = calloc(questions, sizeof *s->values);
    s->relevant = calloc(questions, sizeof *s->relevant);
    if (s->values == NULL || s->relevant == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    return SV_OK;
}

/* The PUB socket on which every commit is announced to the aggregator (a
 * hint only: the change log is the truth). */
static sv_status bind_notify(sv_server *s, const char *endpoint, sv_error *err)
{
    if (endpoint == NULL || endpoint[0] == '\0')
        return SV_OK;
    s->notify = zmq_socket(s->ctx, ZMQ_PUB);
    if (s->notify == NULL)
        return zmq_fail(err, "zmq_socket(PUB)");
    int linger = 0;
    if (zmq_setsockopt(s->notify, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return zmq_fail(err, "zmq_setsockopt");
    if (sv_zendpoint_prepare(s->notify, endpoint) != 0)
        return zmq_fail(err, "zmq_setsockopt(ZMQ_IPV6)");
    if (zmq_bind(s->notify, endpoint) != 0) {
        int e = zmq_errno();
        return sv_fail(err, SV_ERR_ZMQ, "cannot bind notify endpoint %s: %s%s",
                       endpoint, zmq_strerror(e),
                       sv_zendpoint_bind_hint(endpoint, e));
    }
    return SV_OK;
}

/* Announces the highest committed sequence: "sequence N". */
static void announce(sv_server *s, uint64_t sequence)
{
    if (s->notify == NULL || sequence <= s->notified)
        return;
    char text[40];
    int len = snprintf(text, sizeof text, "sequence %llu",
                       (unsigned long long)sequence);
    if (zmq_send(s->notify, text, (size_t)len, ZMQ_DONTWAIT) < 0)
        sv_log(PROGRAM, "commit notice %llu not sent: %s",
               (unsigned long long)sequence, zmq_strerror(zmq_errno()));
    s->notified = sequence;
}

/* CURVE on the ROUTER socket, with the ZAP handler that maps client keys
 * to identities. Nothing to do with authentication off. */
static sv_status setup_curve(sv_server *s, const sv_server_options *opt,
                             sv_error *err)
{
    if (!opt->auth)
        return SV_OK;
    char public_key[SV_Z85_KEY_LEN + 1], secret_key[SV_Z85_KEY_LEN + 1];
    sv_status st =
        sv_keyfile_read(opt->server_secret, public_key, secret_key, err);
    if (st != SV_OK)
        return st;
    st = sv_auth_new(&s->auth, s->ctx, opt->clients, err);
    if (st != SV_OK)
        return st;
    int one = 1;
    if (zmq_setsockopt(s->router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(s->router, ZMQ_CURVE_SECRETKEY, secret_key,
                       SV_Z85_KEY_LEN) != 0 ||
        zmq_setsockopt(s->router, ZMQ_ZAP_DOMAIN, "survey", 6) != 0)
        return zmq_fail(err, "CURVE server setup");
    return SV_OK;
}

/* ---- the flushing thread --------------------------------------------- */

static void *sync_main(void *arg)
{
    sv_server *s = arg;
    struct syncer *y = &s->sync;

    pthread_mutex_lock(&y->t.mu);
    for (;;) {
        while (!y->t.stop && !y->failed && y->committed == y->durable)
            pthread_cond_wait(&y->t.cv, &y->t.mu);
        if (y->failed || (y->t.stop && y->committed == y->durable))
            break;
        /* every commit up to target returned before this flush begins */
        uint64_t target = y->committed;
        sv_error err = {{0}};
        pthread_mutex_unlock(&y->t.mu);
        double t0 = clock_s();
        sv_status st = sv_store_sync(s->store, &err);
        double t1 = clock_s();
        pthread_mutex_lock(&y->t.mu);
        y->flushes++;
        y->flush_s += t1 - t0;
        if (t1 - t0 > y->flush_max_s)
            y->flush_max_s = t1 - t0;
        if (t1 - t0 > SV_SERVER_SLOW_S)
            y->flushes_slow++;
        if (st == SV_OK) {
            y->durable = target;
        } else {
            y->failed = true;
            y->err = err;
        }
        pthread_cond_broadcast(&y->t.cv);
        /* a full pipe already holds a wake-up: EAGAIN is fine */
        if (write(y->wake[1], "", 1) < 0 && errno != EAGAIN)
            sv_log(PROGRAM, "flush wake-up: %s", strerror(errno));
    }
    pthread_mutex_unlock(&y->t.mu);
    return NULL;
}

static sv_status sync_start(sv_server *s, sv_error *err)
{
    struct syncer *y = &s->sync;

    y->wake[0] = -1;
    y->wake[1] = -1;
    if (pipe(y->wake) != 0)
        return sv_fail(err, SV_ERR_IO, "pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(y->wake[i], F_GETFL);
        if (fl < 0 || fcntl(y->wake[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
            fcntl(y->wake[i], F_SETFD, FD_CLOEXEC) != 0)
            return sv_fail(err, SV_ERR_IO, "fcntl: %s", strerror(errno));
    }
    return sv_worker_start(&y->t, sync_main, s, "flush thread", "sv-flush",
                           s->commit_nice, err);
}

/* Lets the thread flush what is committed, then ends it. */
static void sync_stop(sv_server *s)
{
    struct syncer *y = &s->sync;

    sv_worker_stop(&y->t, "flush thread");
    for (int i = 0; i < 2; i++) {
        if (y->wake[i] >= 0)
            close(y->wake[i]);
        y->wake[i] = -1;
    }
}

/* Hands generation gen (just committed) to the flush thread. */
static void sync_request(sv_server *s, uint64_t gen)
{
    struct syncer *y = &s->sync;

    pthread_mutex_lock(&y->t.mu);
    y->committed = gen;
    pthread_cond_broadcast(&y->t.cv);
    pthread_mutex_unlock(&y->t.mu);
}

/* The highest durable generation; *failed when a flush failed (err then
 * says why). With wait, blocks until gen is durable or a flush failed. */
static uint64_t sync_durable(sv_server *s, uint64_t gen, bool wait,
                             bool *failed, sv_error *err)
{
    struct syncer *y = &s->sync;

    pthread_mutex_lock(&y->t.mu);
    while (wait && !y->failed && y->durable < gen)
        pthread_cond_wait(&y->t.cv, &y->t.mu);
    uint64_t durable = y->durable;
    *failed = y->failed;
    if (y->failed)
        *err = y->err;
    pthread_mutex_unlock(&y->t.mu);
    return durable;
}

sv_status sv_server_reload(sv_server *s, sv_error *err)
{
    if (s->auth == NULL)
        return SV_OK;
    sv_status st = sv_auth_reload(s->auth, err);
    if (st == SV_OK)
        sv_log(PROGRAM, "client key registry reloaded: %zu keys",
               sv_auth_count(s->auth));
    return st;
}

size_t sv_server_key_count(sv_server *s)
{
    return s->auth != NULL ? sv_auth_count(s->auth) : 0;
}

sv_status sv_server_new(sv_server **out, const sv_server_options *opt,
                        const sv_registry *reg, sv_error *err)
{
    sv_status st = SV_ERR_NOMEM;
    sv_server *s = calloc(1, sizeof *s);
    if (s == NULL)
        return sv_fail(err, st, "out of memory");
    s->reg = reg;
    atomic_init(&s->store_broken, false);
    s->max_batch = opt->max_batch > 0 ? opt->max_batch : SV_DEFAULT_BATCH;
    s->commit_nice = opt->commit_nice;
    s->max_request =
        opt->max_request > 0 ? opt->max_request : SV_DEFAULT_MAX_REQUEST;
    s->sync.wake[0] = -1;
    s->sync.wake[1] = -1;
    for (size_t i = 0; i < SLOTS; i++) {
        s->slots[i].pending = calloc(s->max_batch, sizeof *s->slots[i].pending);
        s->slots[i].arena = sv_arena_new();
        if (s->slots[i].pending == NULL || s->slots[i].arena == NULL) {
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    st = alloc_scratch(s, err);
    if (st != SV_OK)
        goto fail;
    /* commits flush their data pages; the flush thread makes them durable
     * (storage/README.md, Durability) */
    sv_store_options so = {
        .map_size = opt->map_size, .read_only = false, .deferred_sync = true};
    st = sv_store_open(&s->store, opt->data_dir, &so, err);
    if (st != SV_OK)
        goto fail;
    if (sv_store_mirror_error(s->store) != NULL) {
        sv_log(PROGRAM,
               "no scan mirror (scans read the store's own file until a "
               "start can build one): %s",
               sv_store_mirror_error(s->store));
        s->mirror_reported = true;
    }
    st = sync_start(s, err);
    if (st == SV_OK)
        st = writer_start(s, err);
    if (st != SV_OK)
        goto fail;

    s->held = sv_held_new(HELD_MAX_BYTES, PROGRAM);
    if (s->held == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    s->ctx = zmq_ctx_new();
    if (s->ctx == NULL) {
        st = zmq_fail(err, "zmq_ctx_new");
        goto fail;
    }
    s->router = zmq_socket(s->ctx, ZMQ_ROUTER);
    if (s->router == NULL) {
        st = zmq_fail(err, "zmq_socket");
        goto fail;
    }
    int64_t hard_limit = (int64_t)s->max_request * 4;
    int one = 1, linger = 1000;
    /* per connection: at most this many requests queued in, replies out */
    int in_flight =
        opt->max_in_flight > 0 ? (int)opt->max_in_flight : SV_DEFAULT_IN_FLIGHT;
    if (zmq_setsockopt(s->router, ZMQ_MAXMSGSIZE, &hard_limit,
                       sizeof hard_limit) != 0 ||
        zmq_setsockopt(s->router, ZMQ_RCVHWM, &in_flight, sizeof in_flight) !=
            0 ||
        zmq_setsockopt(s->router, ZMQ_SNDHWM, &in_flight, sizeof in_flight) !=
            0 ||
        zmq_setsockopt(s->router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) !=
            0 ||
        zmq_setsockopt(s->router, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        st = zmq_fail(err, "zmq_setsockopt");
        goto fail;
    }
    st = setup_curve(s, opt, err);
    if (st != SV_OK)
        goto fail;
    if (sv_zendpoint_prepare(s->router, opt->endpoint) != 0) {
        st = zmq_fail(err, "zmq_setsockopt(ZMQ_IPV6)");
        goto fail;
    }
    if (zmq_bind(s->router, opt->endpoint) != 0) {
        int e = zmq_errno();
        st = sv_fail(err, SV_ERR_ZMQ, "cannot bind %s: %s%s", opt->endpoint,
                     zmq_strerror(e), sv_zendpoint_bind_hint(opt->endpoint, e));
        goto fail;
    }
    size_t len = sizeof s->endpoint;
    if (zmq_getsockopt(s->router, ZMQ_LAST_ENDPOINT, s->endpoint, &len) != 0) {
        st = zmq_fail(err, "zmq_getsockopt(ZMQ_LAST_ENDPOINT)");
        goto fail;
    }
    st = bind_notify(s, opt->notify_endpoint, err);
    if (st != SV_OK)
        goto fail;
    *out = s;
    return SV_OK;
fail:
    sv_server_destroy(&s);
    return st;
}

const char *sv_server_endpoint(const sv_server *s)
{
    return s->endpoint;
}

void sv_server_destroy(sv_server **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_server *s = *self;
    sv_held_free(&s->held);
    if (s->notify != NULL && zmq_close(s->notify) != 0)
        sv_log(PROGRAM, "zmq_close: %s", zmq_strerror(zmq_errno()));
    if (s->router != NULL && zmq_close(s->router) != 0)
        sv_log(PROGRAM, "zmq_close: %s", zmq_strerror(zmq_errno()));
    sv_auth_destroy(&s->auth);
    if (s->ctx != NULL && zmq_ctx_term(s->ctx) != 0)
        sv_log(PROGRAM, "zmq_ctx_term: %s", zmq_strerror(zmq_errno()));
    writer_stop(s); /* writes what was handed over */
    sync_stop(s);   /* flushes what is committed */
    sv_pb_packer_destroy(&s->writer.packer);
    sv_store_destroy(&s->store);
    for (size_t i = 0; i < SLOTS; i++) {
        free(s->slots[i].pending);
        sv_arena_destroy(&s->slots[i].arena);
    }
    free(s->values);
    free(s->relevant);
    free(s);
    *self = NULL;
}

/* ---- replies ---------------------------------------------------------- */

static void set_error(struct pending *p, Survey__V1__Error__Code code,
                      uint64_t current_revision, const sv_problem *problems,
                      size_t n_problems, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* dst (cap bytes) gets src with what a reply's string and a log line
 * cannot hold written out as text: a byte that is not part of valid UTF-8
 * as \xNN, a control character as \n, \r, \t or \xNN. src may echo
 * a request (a survey or respondent that is not known); the reply must
 * still parse and the log stay one line a record. Cut at a character,
 * with "…", when it does not fit. */
static void printable(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    size_t used = 0;

    for (size_t i = 0; i < n;) {
        char esc[5];
        const char *piece = src + i;
        size_t seq = sv_utf8_seq(src + i, n - i);
        size_t len = seq;
        unsigned char c = (unsigned char)src[i];
        if (seq == 0 || c < 0x20 || c == 0x7f) {
            if (c == '\n' || c == '\r' || c == '\t')
                snprintf(esc, sizeof esc, "\\%c",
                         c == '\n'   ? 'n'
                         : c == '\r' ? 'r'
                                     : 't');
            else
                snprintf(esc, sizeof esc, "\\x%02X", c);
            piece = esc;
            len = strlen(esc);
            seq = 1;
        }
        if (used + len + 4 > cap) { /* room for "…" and the NUL */
            memcpy(dst + used, "\xE2\x80\xA6", 3);
            used += 3;
            break;
        }
        memcpy(dst + used, piece, len);
        used += len;
        i += seq;
    }
    dst[used] = '\0';
}

/* Makes p an error reply and logs the rejection with its reason. */
static void set_error(struct pending *p, Survey__V1__Error__Code code,
                      uint64_t current_revision, const sv_problem *problems,
                      size_t n_problems, const char *fmt, ...)
{
    char raw[1024];
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (w < 0)
        raw[0] = '\0';
    printable(message, sizeof message, raw);

    char detail[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < n_problems && used + 1 < sizeof detail; i++) {
        w = snprintf(detail + used, sizeof detail - used, "%s%s: %s",
                     i == 0 ? " (" : "; ", problems[i].question,
                     sv_rule_name(problems[i].rule));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (n_problems > 0 && used + 2 < sizeof detail)
        strcat(detail, ")");
    sv_log(PROGRAM, "rejected request %llu from %s: %s: %s%s",
           (unsigned long long)p->request_id, p->peer, sv_code_name(code),
           message, detail);

    p->state = P_READY;
    p->out.data = NULL;
    p->out.len = 0;
    if (sv_reply_error(p->request_id, code, message, current_revision, problems,
                       n_problems, &p->out) != SV_OK)
        sv_log(PROGRAM, "out of memory: reply to %s dropped", p->peer);
}

/* Turns a storage outcome other than SV_OK into the wire error. */
static void set_store_error(struct pending *p, sv_status st,
                            const sv_error *err)
{
    switch (st) {
    case SV_ERR_CONFLICT:
        set_error(p, SURVEY__V1__ERROR__CODE__CONFLICT, p->res.current_revision,
                  NULL, 0, "%s", err->msg);
        break;
    case SV_ERR_FULL:
        set_error(p, SURVEY__V1__ERROR__CODE__UNAVAILABLE, 0, NULL, 0,
                  "%s; retry later", err->msg);
        break;
    case SV_ERR_NOT_FOUND:
        set_error(p, SURVEY__V1__ERROR__CODE__NOT_FOUND, 0, NULL, 0, "%s",
                  err->msg);
        break;
    case SV_ERR_IO: /* the flush after the commit failed */
        set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                  "%s: the commit could not be made durable; resubmit "
                  "with the same submission_id",
                  err->msg);
        break;
    default:
        set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                  "%s: %s; nothing was written", sv_status_str(st), err->msg);
        break;
    }
}

/* The reply to a request whose bytes wire_check.h (or protobuf-c) refused:
 * too many answers as validation reports them (nothing was decoded, so
 * nothing was allocated for them), anything else as MALFORMED naming the
 * field and the rule. */
static void refuse_bytes(struct pending *p, const sv_wire_problem *wp)
{
    if (wp->kind == SV_WIRE_TOO_MANY &&
        wp->where.message == &survey__v1__submission__descriptor &&
        wp->where.field == 5) {
        sv_verdict v;
        if (sv_verdict_too_many_answers(wp->count, &v) != SV_OK) {
            sv_verdict_clear(&v);
            set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                      "out of memory while refusing %zu answers; nothing "
                      "was written",
                      wp->count);
            return;
        }
        set_error(p, SURVEY__V1__ERROR__CODE__INVALID, 0, v.problems,
                  v.n_problems,
                  "%zu answers, over the limit of %d; nothing was written",
                  wp->count, SV_MAX_ANSWERS);
        sv_verdict_clear(&v);
        return;
    }
    set_error(p, SURVEY__V1__ERROR__CODE__MALFORMED, 0, NULL, 0,
              "%s; nothing was written", wp->why);
}

/* ---- receiving -------------------------------------------------------- */

/* The first n bytes of src into dst (cap > 0 bytes), cut to cap - 1,
 * then a NUL; returns the bytes written before the NUL. */
static size_t copy_cut(char *dst, size_t cap, const char *src, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return n;
}

/* Without authentication the submitter is the transport's peer address.
 * Over ipc:// libzmq reports "localhost:UID:GID:PID"; the PID is left out
 * so that the same user retrying from a new process is the same submitter
 * (a retry counts as the same submission only from the same submitter). */
static void anonymous_identity(const char *peer, char *out, size_t len)
{
    static const char prefix[] = "anonymous@";
    const char *first = strchr(peer, ':');
    const char *last = strrchr(peer, ':');
    size_t keep = strlen(peer);
    if (strncmp(peer, "localhost:", 10) == 0 && first != last)
        keep = (size_t)(last - peer);
    size_t at = copy_cut(out, len, prefix, sizeof prefix - 1);
    copy_cut(out + at, len - at, peer, keep);
}

/* src as snprintf's "%s" writes it into dst (cap > 0 bytes): cut to cap
 * - 1 bytes, then a NUL. Per request, three snprintf calls were about 1%
 * of the collector's instructions (bench/ROUNDS.md, Round 22). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    copy_cut(dst, cap, src, strlen(src));
}

/* Receives one whole multipart message into p. Returns 1 when a request was
 * taken, 0 when none is waiting (flags has ZMQ_DONTWAIT), -1 on error. */
static int receive(sv_server *s, struct pending *p, int flags,
                   ProtobufCAllocator *alloc)
{
    zmq_msg_t frame, last;
    size_t total = 0;
    int more = 1;
    memset(p, 0, sizeof *p);
    atomic_store_explicit(&p->claim, CLAIM_FREE, memory_order_relaxed);
    if (zmq_msg_init(&last) != 0)
        return -1;
    while (more) {
        if (zmq_msg_init(&frame) != 0) {
            zmq_msg_close(&last);
            return -1;
        }
        if (zmq_msg_recv(&frame, s->router, total == 0 ? flags : 0) < 0) {
            int e = zmq_errno();
            zmq_msg_close(&frame);
            zmq_msg_close(&last);
            return total == 0 && e == EAGAIN ? 0 : -1;
        }
        more = zmq_msg_more(&frame);
        if (total == 0) {
            p->id_len = zmq_msg_size(&frame);
            if (p->id_len > MAX_ID_BYTES)
                p->id_len = MAX_ID_BYTES;
            memcpy(p->id, zmq_msg_data(&frame), p->id_len);
        } else if (total == 1) {
            p->delimiter = more && zmq_msg_size(&frame) == 0;
        }
        /* keep only the latest frame: the payload once the loop ends */
        if (zmq_msg_move(&last, &frame) != 0) {
            zmq_msg_close(&frame);
            zmq_msg_close(&last);
            return -1;
        }
        zmq_msg_close(&frame);
        total++;
    }
    zmq_msg_t *payload = &last;
    const char *addr = zmq_msg_gets(payload, "Peer-Address");
    copy_str(p->peer, sizeof p->peer,
             addr != NULL && addr[0] != '\0' ? addr : "local");
    const char *user =
        s->auth != NULL ? zmq_msg_gets(payload, "User-Id") : NULL;
    const char *key =
        s->auth != NULL ? zmq_msg_gets(payload, SV_KEY_PROPERTY) : NULL;
    copy_str(p->key, sizeof p->key, key != NULL ? key : "");
    if (user != NULL && user[0] != '\0')
        copy_str(p->identity, sizeof p->identity, user);
    else
        anonymous_identity(p->peer, p->identity, sizeof p->identity);

    size_t expected = p->delimiter ? 3 : 2;
    if (total != expected) {
        /* the last frame's id, if it is a request: the client's
           reply matching goes by it */
        (void)sv_request_peek_id(zmq_msg_data(payload), zmq_msg_size(payload),
                                 &p->request_id);
        set_error(p, SURVEY__V1__ERROR__CODE__MALFORMED, 0, NULL, 0,
                  "a request must be exactly one frame (got %zu)",
                  total - (p->delimiter ? 2 : 1));
    } else if (zmq_msg_size(payload) > s->max_request) {
        (void)sv_request_peek_id(zmq_msg_data(payload), zmq_msg_size(payload),
                                 &p->request_id);
        set_error(p, SURVEY__V1__ERROR__CODE__TOO_LARGE, 0, NULL, 0,
                  "request of %zu bytes is over the %zu-byte limit",
                  zmq_msg_size(payload), s->max_request);
    } else {
        sv_request_wire wire;
        sv_wire_problem wp;
        p->req = sv_request_decode(alloc, zmq_msg_data(payload),
                                   zmq_msg_size(payload), &wire, &wp);
        p->packed = wire.submission;
        p->packed_len = wire.submission_len;
        if (p->req == NULL) {
            (void)sv_request_peek_id(zmq_msg_data(payload),
                                     zmq_msg_size(payload), &p->request_id);
            refuse_bytes(p, &wp);
        } else {
            p->request_id = p->req->request_id;
            p->state = P_READ; /* refined by dispatch */
        }
    }
    zmq_msg_close(&last);
    return 1;
}

/* ---- handling --------------------------------------------------------- */

/* Whether respondent is five digits that are a roster code with its
 * leading zero dropped (as spreadsheets drop it); zero gets that code. */
static bool lost_leading_zero(const sv_questionnaire *q, const char *respondent,
                              char zero[8])
{
    if (strlen(respondent) != 5 || strspn(respondent, "0123456789") != 5)
        return false;
    snprintf(zero, 8, "0%s", respondent);
    return sv_questionnaire_find_respondent(q, zero) >= 0;
}

/* Resolves survey and respondent; sets an error reply and returns false if
 * either is unknown. respondent may be NULL (not checked). */
static bool resolve(sv_server *s, struct pending *p, const char *survey,
                    const char *respondent)
{
    p->q = sv_registry_find(s->reg, survey);
    if (p->q == NULL) {
        char ids[512];
        sv_registry_ids(s->reg, ids, sizeof ids);
        if (survey == NULL || survey[0] == '\0')
            set_error(p, SURVEY__V1__ERROR__CODE__UNKNOWN_SURVEY, 0, NULL, 0,
                      "no survey given and this collector serves several "
                      "(%s)",
                      ids);
        else
            set_error(p, SURVEY__V1__ERROR__CODE__UNKNOWN_SURVEY, 0, NULL, 0,
                      "unknown survey \"%s\" (served: %s)", survey, ids);
        return false;
    }
    if (respondent != NULL &&
        sv_questionnaire_find_respondent(p->q, respondent) < 0) {
        char zero[8];
        bool dropped = lost_leading_zero(p->q, respondent, zero);
        set_error(p, SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT, 0, NULL, 0,
                  "respondent \"%s\" is not in the roster of %s%s%s%s",
                  respondent, sv_questionnaire_id(p->q),
                  dropped ? "; did you mean \"" : "", dropped ? zero : "",
                  dropped ? "\"? (the codes have 6 digits: a spreadsheet "
                            "may have dropped the leading zero)"
                          : "");
        return false;
    }
    return true;
}

/* Validates a submission and, if acceptable, keeps what the writing thread
 * needs to write it: the missing list and the compact record. A check
 * (Request.check) is answered there and then: nothing is written. */
static void handle_submit(sv_server *s, struct pending *p, long long now_ms,
                          ProtobufCAllocator *alloc)
{
    bool check = p->req->body_case == SURVEY__V1__REQUEST__BODY_CHECK;
    Survey__V1__Submission *sub = check ? p->req->check : p->req->submit;
    if (sub->survey[0] == '\0') {
        set_error(p, SURVEY__V1__ERROR__CODE__MALFORMED, 0, NULL, 0,
                  "submission without survey (the questionnaire's form_id)");
        return;
    }
    if (!resolve(s, p, sub->survey, sub->respondent))
        return;
    size_t id_len = strlen(sub->submission_id);
    if ((id_len == 0 && !check) || id_len > MAX_SUBMISSION_ID) {
        set_error(p, SURVEY__V1__ERROR__CODE__MALFORMED, 0, NULL, 0,
                  "submission_id must be 1 to %d bytes (got %zu)",
                  MAX_SUBMISSION_ID, id_len);
        return;
    }
    if (strlen(sub->note) > SV_TEXT_MAX_BYTES) {
        set_error(p, SURVEY__V1__ERROR__CODE__TOO_LARGE, 0, NULL, 0,
                  "note of %zu bytes is over the %d-byte limit",
                  strlen(sub->note), SV_TEXT_MAX_BYTES);
        return;
    }

    sv_verdict verdict = {0};
    if (sv_questionnaire_validate_relevance(
            p->q, (const Survey__V1__Answer *const *)sub->answers,
            sub->n_answers, s->values, s->relevant, &verdict) != SV_OK) {
        sv_verdict_clear(&verdict);
        set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                  "out of memory while validating; nothing was written");
        return;
    }
    if (verdict.n_problems > 0) {
        set_error(p, SURVEY__V1__ERROR__CODE__INVALID, 0, verdict.problems,
                  verdict.n_problems,
                  "%zu problem%s in the answers of %s; nothing was written",
                  verdict.n_problems, verdict.n_problems == 1 ? "" : "s",
                  sub->respondent);
        sv_verdict_clear(&verdict);
        return;
    }
    /* after the checks of what was sent, so that they are reported
       first (an unknown respondent is not a missing note) */
    sv_role role;
    const char *name;
    if (s->auth != NULL && sub->note[0] == '\0' &&
        sv_identity_parse(p->identity, &role, &name) && role == SV_ROLE_ADMIN) {
        sv_verdict_clear(&verdict);
        set_error(p, SURVEY__V1__ERROR__CODE__FORBIDDEN, 0, NULL, 0,
                  "%s: an administrator's submission for %s needs a note "
                  "(why it is entered or changed); nothing was written",
                  p->identity, sub->respondent);
        return;
    }
    if (check) {
        p->state = P_READY;
        if (sv_reply_checked(p->request_id, sv_questionnaire_id(p->q), sub,
                             verdict.missing, verdict.n_missing,
                             &p->out) != SV_OK)
            set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                      "out of memory");
        sv_verdict_clear(&verdict);
        return;
    }

    p->compact_len = sv_compact_size(p->q);
    p->compact = alloc->alloc(alloc->allocator_data, p->compact_len);
    if (p->compact == NULL) {
        sv_verdict_clear(&verdict);
        set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                  "out of memory; nothing was written");
        return;
    }
    /* relevant[] as validation computed it (no problems) */
    sv_compact_encode(p->q, s->values, s->relevant, p->compact);
    p->time_ms = now_ms;
    p->missing = verdict.missing; /* taken over */
    p->n_missing = verdict.n_missing;
    verdict.missing = NULL;
    verdict.n_missing = 0;
    sv_verdict_clear(&verdict);
    p->state = P_PUT;
}

/* A rerun (or snapshot-now) request goes into the change log, so that the
 * aggregator sees it even if it is down now: the writing thread writes
 * it. */
static void handle_rerun(sv_server *s, struct pending *p)
{
    if (resolve(s, p, p->req->rerun->survey, NULL))
        p->state = P_PUT;
}

/* The respondent a request is about, or NULL for survey-wide requests. */
static const char *subject(const Survey__V1__Request *req)
{
    switch (req->body_case) {
    case SURVEY__V1__REQUEST__BODY_SUBMIT:
        return req->submit->respondent;
    case SURVEY__V1__REQUEST__BODY_CHECK:
        return req->check->respondent;
    case SURVEY__V1__REQUEST__BODY_GET:
        return req->get->respondent;
    case SURVEY__V1__REQUEST__BODY_HISTORY:
        return req->history->respondent;
    default:
        return NULL;
    }
}

/* Who may do what, with authentication on: a respondent submits, reads and
 * sees the history of its own answers only; an administrator may correct
 * any respondent (with a note), rerun, and read everything; snapshots,
 * status and the questionnaire are open to every authenticated identity.
 * Sets FORBIDDEN and returns false otherwise. */
static bool authorize(sv_server *s, struct pending *p)
{
    if (s->auth == NULL)
        return true;
    sv_role role;
    const char *name;
    if (!sv_identity_parse(p->identity, &role, &name)) {
        set_error(p, SURVEY__V1__ERROR__CODE__FORBIDDEN, 0, NULL, 0,
                  "connection without an authenticated identity");
        return false;
    }
    if (!sv_auth_in_force(s->auth, p->key, p->identity)) {
        set_error(p, SURVEY__V1__ERROR__CODE__FORBIDDEN, 0, NULL, 0,
                  "%s: this connection's key is no longer in the registry "
                  "with that identity (it was reloaded); nothing was "
                  "done",
                  p->identity);
        return false;
    }
    const Survey__V1__Request *req = p->req;
    const char *about = subject(req);
    if (role == SV_ROLE_ADMIN)
        return true; /* a submission's note: handle_submit */
    if (req->body_case == SURVEY__V1__REQUEST__BODY_RERUN) {
        set_error(p, SURVEY__V1__ERROR__CODE__FORBIDDEN, 0, NULL, 0,
                  "%s may not ask for %s: administrators only", p->identity,
                  req->rerun->full ? "a rerun" : "a new snapshot");
        return false;
    }
    if (about != NULL && strcmp(about, name) != 0) {
        set_error(p, SURVEY__V1__ERROR__CODE__FORBIDDEN, 0, NULL, 0,
                  "%s may not act for respondent %s: only for itself",
                  p->identity, about);
        return false;
    }
    return true;
}

/* First pass over a received request, on the main thread: everything that
 * needs no store. Submissions are validated for the writing thread; reads
 * wait for the commit. */
static void dispatch(sv_server *s, struct pending *p, long long now_ms,
                     ProtobufCAllocator *alloc)
{
    if (p->state != P_READ)
        return; /* already an error reply */
    Survey__V1__Request *req = p->req;
    if (!authorize(s, p))
        return;
    switch (req->body_case) {
    case SURVEY__V1__REQUEST__BODY_SUBMIT:
    case SURVEY__V1__REQUEST__BODY_CHECK:
        handle_submit(s, p, now_ms, alloc);
        break;
    case SURVEY__V1__REQUEST__BODY_GET:
        resolve(s, p, req->get->survey, req->get->respondent);
        break;
    case SURVEY__V1__REQUEST__BODY_HISTORY:
        resolve(s, p, req->history->survey, req->history->respondent);
        break;
    case SURVEY__V1__REQUEST__BODY_SNAPSHOT:
        resolve(s, p, req->snapshot->survey, NULL);
        break;
    case SURVEY__V1__REQUEST__BODY_STATUS:
        resolve(s, p, req->status->survey, NULL);
        break;
    case SURVEY__V1__REQUEST__BODY_RERUN:
        handle_rerun(s, p);
        break;
    case SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE:
        if (resolve(s, p, req->questionnaire->survey, NULL)) {
            p->state = P_READY;
            if (sv_reply_questionnaire(p->request_id, p->q, &p->out) != SV_OK)
                set_error(p, SURVEY__V1__ERROR__CODE__INTERNAL, 0, NULL, 0,
                          "out of memory");
        }
        break;
    default:
        set_error(p, SURVEY__V1__ERROR__CODE__MALFORMED, 0, NULL, 0,
                  "request without a body (or of a kind this collector "
                  "does not know: field %d)",
                  (int)req->body_case);
        break;
    }
}

/* After the commit (writing thread): the ack of a write, or the commit's
 * error. A P_ACKED ack goes out once the commit is durable. */
static void acknowledge(sv_server *s, struct pending *p, sv_status commit_st,
                        const sv_error *commit_err)
{
    if (p->state != P_PUT)
        return; /* replies of reads and refusals are made elsewhere */
    if (commit_st != SV_OK) {
        set_store_error(p, commit_st, commit_err);
        sv_put_result_clear(&p->res);
        return;
    }
    p->state = P_ACKED;
    p->sequence = p->res.sequence;
    if (p->req->body_case == SURVEY__V1__REQUEST__BODY_RERUN) {
        Survey__V1__Queued queued = SURVEY__V1__QUEUED__INIT;
        Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
        queued.survey = (char *)sv_questionnaire_id(p->q);
        queued.sequence = p->res.sequence;
        reply.body_case = SURVEY__V1__REPLY__BODY_QUEUED;
        reply.queued = &queued;
        if (sv_reply_pack_with(s->writer.packer, &reply, p->request_id,
                               &p->out) != SV_OK)
            sv_log(PROGRAM, "out of memory: reply to %s dropped", p->peer);
        return;
    }
    Survey__V1__Submission *sub = p->req->submit;
    if (sv_reply_ack(s->writer.packer, p->request_id, sv_questionnaire_id(p->q),
                     sub, &p->res, &p->out) != SV_OK)
        sv_log(PROGRAM,
               "out of memory: ack for %s revision %llu (stored) dropped",
               sub->respondent, (unsigned long long)p->res.revision);
    sv_put_result_clear(&p->res);
}

/* A write whose commit could not be made durable: its ack becomes the
 * flush's error; so does the answer to a read made after that commit
 * (which may show it), as UNAVAILABLE. */
static void unack(struct pending *p, const sv_error *flush_err)
{
    if (p->read_after) {
        /* it may show what the failed flush left undurable */
        free(p->out.data);
        p->out.data = NULL;
        set_error(p, SURVEY__V1__ERROR__CODE__UNAVAILABLE, 0, NULL, 0,
                  "%s: the commit this read would show could not be made "
                  "durable; read again once the collector is back",
                  flush_err->msg);
        return;
    }
    if (p->state != P_ACKED)
        return;
    free(p->out.data);
    p->out.data = NULL;
    set_store_error(p, SV_ERR_IO, flush_err);
}

/* Sends p's reply, or holds it while its client's queue is full. */
static void send_reply(sv_server *s, struct pending *p)
{
    if (p->out.data == NULL)
        return;
    sv_held_to to = {.id = p->id,
                     .id_len = p->id_len,
                     .delimiter = p->delimiter,
                     .request_id = p->request_id,
                     .peer = p->peer};
    (void)sv_held_send(s->held, s->router, &to, p->out.data, p->out.len);
    p->out.data = NULL; /* taken */
}

static void release(struct pending *p)
{
    free(p->out.data);
    p->out.data = NULL;
    sv_prepared_free(&p->prep);
    free((void *)p->missing);
    p->missing = NULL;
    p->req = NULL; /* in the slot's arena */
}

/* ---- the writing thread ----------------------------------------------- */

/* Prepares the submission of p (sv_put_prepare) unless done already: on
 * the main thread while it waits for input (open batch), or, once handed
 * over, on the writing or the preparing thread, whichever claimed p. */
static sv_status prepare(struct pending *p, sv_error *err)
{
    if (p->prep != NULL)
        return SV_OK;
    sv_put put = {.sub = p->req->submit,
                  .submitter = p->identity,
                  .time_ms = p->time_ms,
                  .missing = p->missing,
                  .n_missing = p->n_missing,
                  .compact = p->compact,
                  .compact_len = p->compact_len,
                  .packed = p->packed,
                  .packed_len = p->packed_len};
    return sv_put_prepare(&put, &p->prep, err);
}

/* Writes one submission or control entry of the batch into p->res. */
static sv_status write_one(const struct slot *sl, struct pending *p,
                           sv_batch *batch, sv_error *err)
{
    if (p->req->body_case == SURVEY__V1__REQUEST__BODY_RERUN)
        return sv_batch_control(batch, sv_questionnaire_id(p->q),
                                p->req->rerun->full ? SV_CHANGE_RERUN
                                                    : SV_CHANGE_SNAPSHOT,
                                p->identity, sl->now_ms, &p->res.sequence, err);
    sv_status st = prepare(p, err);
    if (st != SV_OK)
        return st;
    return sv_batch_put_prepared(batch, p->prep, &p->res, err);
}

/* On the writing thread, before it looks at p: claims p (the writing
 * thread then prepares it itself, in write_one) or, when the preparing
 * thread has, waits until that thread is done with it. */
static void settle(struct pending *p)
{
    int expected = CLAIM_FREE;

    if (atomic_compare_exchange_strong_explicit(
            &p->claim, &expected, CLAIM_DONE, memory_order_acq_rel,
            memory_order_acquire))
        return;
    while (expected != CLAIM_DONE) {
        sched_yield(); /* the other thread prepares one submission */
        expected = atomic_load_explicit(&p->claim, memory_order_acquire);
    }
}

/* Applies the writes of batches first..last-1 to *batch (begun on first
 * use, careful or not). A write that fails gets its error reply; one that
 * breaks the batch aborts it and returns false (nothing applied stays). */
static bool apply_writes(sv_server *s, uint64_t first, uint64_t last,
                         bool careful, sv_batch **batch)
{
    for (uint64_t n = first; n < last; n++) {
        struct slot *sl = &s->slots[n % SLOTS];
        for (size_t i = 0; i < sl->n; i++) {
            struct pending *p = &sl->pending[i];
            sv_error err = {{0}};
            sv_status st = SV_OK;
            settle(p);
            if (p->state != P_PUT)
                continue;
            if (*batch == NULL)
                st = careful ? sv_batch_begin_careful(s->store, batch, &err)
                             : sv_batch_begin(s->store, batch, &err);
            if (st == SV_OK)
                st = write_one(sl, p, *batch, &err);
            if (st == SV_OK)
                continue;
            if (sv_batch_broken(*batch)) {
                sv_log(PROGRAM,
                       "a failed write broke the batch (%s): writing it "
                       "again, each request on its own",
                       err.msg);
                sv_batch_abort(batch);
                return false;
            }
            set_store_error(p, st, &err);
            sv_put_result_clear(&p->res);
            s->write_failed = true;
        }
    }
    return true;
}

/* Writes batches first..last-1 in one transaction and commits it, then
 * answers their reads (which so see the writes). Their replies wait for
 * the flush of generation sl->generation. */
static void write_batches(sv_server *s, uint64_t first, uint64_t last,
                          sv_server_stats *stats)
{
    sv_batch *batch = NULL;
    sv_error err = {{0}};
    sv_status st = SV_OK;
    double t0 = clock_s();

    s->write_failed = false;
    if (!apply_writes(s, first, last, false, &batch)) {
        for (uint64_t n = first; n < last; n++) {
            struct slot *sl = &s->slots[n % SLOTS];
            for (size_t i = 0; i < sl->n; i++) {
                settle(&sl->pending[i]); /* those after the broken write */
                if (sl->pending[i].state == P_PUT)
                    sv_put_result_clear(&sl->pending[i].res);
            }
        }
        /* cannot break (every write nested); if it did, nothing of it is
           written and every write of it gets this error, never an ack */
        if (!apply_writes(s, first, last, true, &batch))
            st = sv_fail(&err, SV_ERR_STORE,
                         "a careful batch broke: nothing was written");
    }
    double t1 = clock_s();
    stats->write_s = t1 - t0;
    for (uint64_t n = first; n < last; n++)
        s->slots[n % SLOTS].writing = t0;
    if (batch != NULL && st == SV_OK) {
        st = sv_batch_commit(&batch, &err);
        stats->commit_s = clock_s() - t1;
        stats->commits = st == SV_OK;
        if (st != SV_OK) {
            sv_log(PROGRAM, "commit of batches %llu to %llu failed: %s",
                   (unsigned long long)first, (unsigned long long)last - 1,
                   err.msg);
            s->write_failed = true;
        } else
            sync_request(s, ++s->generation);
        if (!s->mirror_reported && sv_store_mirror_error(s->store) != NULL) {
            sv_log(PROGRAM,
                   "scan mirror left behind (scans read the store's own "
                   "file until the next start rebuilds it): %s",
                   sv_store_mirror_error(s->store));
            s->mirror_reported = true;
        }
    }
    double t2 = clock_s();
    for (uint64_t n = first; n < last; n++) {
        struct slot *sl = &s->slots[n % SLOTS];
        /* also reads and refusals wait for what was committed before */
        sl->generation = s->generation;
        sl->written = t2;
        stats->requests += sl->n;
        for (size_t i = 0; i < sl->n; i++) {
            struct pending *p = &sl->pending[i];
            sv_read_error e = {0};
            settle(p); /* all are, unless a careful batch broke */
            acknowledge(s, p, st, &err);
            if (p->state != P_READ)
                continue;
            p->read_after = true;
            if (sv_read_answer(s->store, p->q, p->req, &p->out, &e) == SV_OK)
                p->state = P_READY;
            else
                set_error(p, e.code, 0, NULL, 0, "%s", e.message);
        }
    }
    /* the replies above say so; the main thread then stops */
    if ((s->write_failed || st != SV_OK) && sv_store_broken(s->store))
        atomic_store_explicit(&s->store_broken, true, memory_order_release);
}

static void *writer_main(void *arg)
{
    sv_server *s = arg;
    struct writer *w = &s->writer;

    pthread_mutex_lock(&w->t.mu);
    for (;;) {
        while (!w->t.stop && w->written == w->queued)
            pthread_cond_wait(&w->t.cv, &w->t.mu);
        if (w->written == w->queued)
            break; /* stop, and nothing left */
        uint64_t first = w->written, last = w->queued;
        sv_server_stats done = {0};
        pthread_mutex_unlock(&w->t.mu);
        write_batches(s, first, last, &done);
        pthread_mutex_lock(&w->t.mu);
        w->stats.commits += done.commits;
        w->stats.requests += done.requests;
        w->stats.write_s += done.write_s;
        w->stats.commit_s += done.commit_s;
        if (done.commits > 0) {
            double took = done.write_s + done.commit_s;
            if (took > w->stats.commit_max_s)
                w->stats.commit_max_s = took;
            if (took > SV_SERVER_SLOW_S)
                w->stats.commits_slow++;
        }
        /* the batches go back to the main thread: not while the preparing
           thread is in them (it stops at the first claimed submission) */
        while (s->preparer.busy && s->preparer.from < last)
            pthread_cond_wait(&w->t.cv, &w->t.mu);
        w->written = last;
        pthread_cond_broadcast(&w->t.cv);
        /* a full pipe already holds a wake-up: EAGAIN is fine */
        if (write(s->sync.wake[1], "", 1) < 0 && errno != EAGAIN)
            sv_log(PROGRAM, "writer wake-up: %s", strerror(errno));
    }
    pthread_mutex_unlock(&w->t.mu);
    return NULL;
}

/* Prepares the submissions of batches first..last-1 from the last one
 * backwards, until it meets one claimed by the writing thread. */
static void help(sv_server *s, uint64_t first, uint64_t last)
{
    for (uint64_t n = last; n-- > first;) {
        struct slot *sl = &s->slots[n % SLOTS];
        for (size_t i = sl->n; i-- > 0;) {
            struct pending *p = &sl->pending[i];
            int expected = CLAIM_FREE;
            if (!atomic_compare_exchange_strong_explicit(
                    &p->claim, &expected, CLAIM_TAKEN, memory_order_acq_rel,
                    memory_order_acquire))
                return; /* met the writing thread */
            if (p->state == P_PUT &&
                p->req->body_case == SURVEY__V1__REQUEST__BODY_SUBMIT) {
                sv_error err = {{0}};
                sv_status st = prepare(p, &err);
                if (st != SV_OK)
                    set_store_error(p, st, &err);
            }
            atomic_store_explicit(&p->claim, CLAIM_DONE, memory_order_release);
        }
    }
}

static void *preparer_main(void *arg)
{
    sv_server *s = arg;
    struct writer *w = &s->writer;
    struct preparer *h = &s->preparer;

    pthread_mutex_lock(&w->t.mu);
    for (;;) {
        /* a batch handed over, not yet written, not yet scanned */
        while (!h->stop && !(w->queued > w->written && w->queued > h->seen))
            pthread_cond_wait(&w->t.cv, &w->t.mu);
        if (h->stop)
            break;
        uint64_t first = w->written > h->seen ? w->written : h->seen;
        uint64_t last = w->queued;
        h->seen = last;
        h->busy = true;
        h->from = first;
        pthread_mutex_unlock(&w->t.mu);
        help(s, first, last);
        pthread_mutex_lock(&w->t.mu);
        h->busy = false;
        pthread_cond_broadcast(&w->t.cv);
    }
    pthread_mutex_unlock(&w->t.mu);
    return NULL;
}

/* Starts the writing thread, then the preparing thread. */
static sv_status writer_start(sv_server *s, sv_error *err)
{
    struct preparer *h = &s->preparer;
    /* none (out of memory): the acks are packed by protobuf-c */
    s->writer.packer = sv_pb_packer_new();
    sv_status st =
        sv_worker_start(&s->writer.t, writer_main, s, "writing thread",
                        "sv-write", s->commit_nice, err);

    if (st != SV_OK)
        return st;
    h->stop = false;
    h->seen = 0;
    if (pthread_create(&h->thread, NULL, preparer_main, s) != 0)
        return sv_fail(err, SV_ERR_NOMEM, "cannot start the preparing thread");
    sv_thread_name(h->thread, "sv-prepare");
    h->started = true;
    return SV_OK;
}

/* Lets the preparing thread end, then the writing thread write what was
 * handed over, and ends it. */
static void writer_stop(sv_server *s)
{
    struct preparer *h = &s->preparer;

    if (h->started) {
        pthread_mutex_lock(&s->writer.t.mu);
        h->stop = true;
        pthread_cond_broadcast(&s->writer.t.cv);
        pthread_mutex_unlock(&s->writer.t.mu);
        if (pthread_join(h->thread, NULL) != 0)
            sv_log(PROGRAM, "pthread_join of the preparing thread failed");
        h->started = false;
    }
    sv_worker_stop(&s->writer.t, "writing thread");
}

void sv_server_stats_get(sv_server *s, sv_server_stats *out)
{
    pthread_mutex_lock(&s->writer.t.mu);
    *out = s->writer.stats;
    pthread_mutex_unlock(&s->writer.t.mu);
    pthread_mutex_lock(&s->sync.t.mu);
    out->flushes = s->sync.flushes;
    out->flush_s = s->sync.flush_s;
    out->flush_max_s = s->sync.flush_max_s;
    out->flushes_slow = s->sync.flushes_slow;
    pthread_mutex_unlock(&s->sync.t.mu);
    out->answered = s->stages.answered;
    out->open_s = s->stages.open_s;
    out->queue_s = s->stages.queue_s;
    out->written_s = s->stages.written_s;
    out->reply_s = s->stages.reply_s;
}

/* Hands the batches received so far to the writing thread. */
static void writer_hand(sv_server *s)
{
    struct writer *w = &s->writer;

    pthread_mutex_lock(&w->t.mu);
    w->queued = s->received;
    pthread_cond_broadcast(&w->t.cv);
    pthread_mutex_unlock(&w->t.mu);
}

/* Batches written so far; with wait, first waits until all handed over
 * are. */
static uint64_t writer_written(sv_server *s, bool wait)
{
    struct writer *w = &s->writer;

    pthread_mutex_lock(&w->t.mu);
    while (wait && w->written < w->queued)
        pthread_cond_wait(&w->t.cv, &w->t.mu);
    uint64_t written = w->written;
    pthread_mutex_unlock(&w->t.mu);
    return written;
}

/* ---- the main thread -------------------------------------------------- */

/* Receives, decodes and validates what is ready into the open slot sl,
 * up to max_batch requests in all. */
static sv_status receive_more(sv_server *s, struct slot *sl, sv_error *err)
{
    ProtobufCAllocator *alloc = sv_arena_allocator(sl->arena);
    long long now_ms = sv_now_ms();

    while (sl->n < s->max_batch) {
        struct pending *p = &sl->pending[sl->n];
        int got = receive(s, p, ZMQ_DONTWAIT, alloc);
        if (got < 0)
            return zmq_fail(err, "zmq_msg_recv");
        if (got == 0)
            break;
        sl->n++;
        p->received = clock_s();
        dispatch(s, p, now_ms, alloc);
    }
    return SV_OK;
}

/* Nothing to receive and the writing thread busy: takes work off it by
 * preparing the open slot's submissions. */
static void prepare_open(struct slot *sl)
{
    for (; sl->prepared < sl->n; sl->prepared++) {
        struct pending *p = &sl->pending[sl->prepared];
        sv_error err = {{0}};
        if (p->state != P_PUT ||
            p->req->body_case != SURVEY__V1__REQUEST__BODY_SUBMIT)
            continue;
        sv_status st = prepare(p, &err);
        if (st != SV_OK)
            set_store_error(p, st, &err);
    }
}

/* Hands the open slot to the writing thread. */
static void hand_over(sv_server *s)
{
    struct slot *sl = &s->slots[s->received % SLOTS];

    sl->now_ms = sv_now_ms();
    sl->handed = clock_s();
    s->received++;
    writer_hand(s);
}

/* Sends the replies of slot sl, whose commit is durable (or failed to
 * become so: then failed, with the flush's error). */
static void complete(sv_server *s, struct slot *sl, bool failed,
                     const sv_error *flush_err)
{
    uint64_t highest = 0;

    for (size_t i = 0; i < sl->n && !failed; i++) {
        if (sl->pending[i].state == P_ACKED &&
            sl->pending[i].sequence > highest)
            highest = sl->pending[i].sequence;
    }
    announce(s, highest);
    double now = clock_s();
    for (size_t i = 0; i < sl->n; i++) {
        s->stages.answered++;
        s->stages.open_s += sl->handed - sl->pending[i].received;
        s->stages.queue_s += sl->writing - sl->handed;
        s->stages.written_s += sl->written - sl->writing;
        s->stages.reply_s += now - sl->written;
        if (failed)
            unack(&sl->pending[i], flush_err);
        send_reply(s, &sl->pending[i]);
        release(&sl->pending[i]);
    }
    sl->n = 0;
    sl->prepared = 0;
    sv_arena_reset(sl->arena);
}

/* Replies to every batch in hand that is written and durable; with wait,
 * first waits for all of them. A failed flush answers the waiting batches
 * with an error and is returned. */
static sv_status complete_durable(sv_server *s, bool wait, sv_error *err)
{
    bool failed = false;
    sv_error flush_err = {{0}};
    uint64_t written = writer_written(s, wait);
    uint64_t target = 0;

    if (wait && written > s->completed)
        target = s->slots[(written - 1) % SLOTS].generation;
    uint64_t durable = sync_durable(s, target, wait, &failed, &flush_err);

    while (s->completed < written) {
        struct slot *sl = &s->slots[s->completed % SLOTS];
        if (!failed && sl->generation > durable)
            break;
        complete(s, sl, failed && sl->generation > durable, &flush_err);
        s->completed++;
    }
    if (failed)
        return sv_fail(err, SV_ERR_IO, "%s", flush_err.msg);
    return SV_OK;
}

/* Empties the wake-up pipe. */
static void drain_wake(sv_server *s)
{
    char buf[64];

    while (read(s->sync.wake[0], buf, sizeof buf) > 0)
        ;
}

/* The main loop. Requests are received into the open slot (the next free
 * one) while the writing thread is busy, and the slot is handed over as
 * soon as the thread is idle (or the slot full): the batches grow with
 * the load (group commit), and an idle service answers at once. */
sv_status sv_server_run(sv_server *s, sv_server_signals *sig, sv_error *err)
{
    sv_status st = SV_OK;

    while (!sig->stop && st == SV_OK) {
        if (sig->reload) {
            sig->reload = 0;
            sv_error rerr = {{0}};
            if (sv_server_reload(s, &rerr) != SV_OK)
                sv_log(PROGRAM,
                       "registry not reloaded, the old one stays: "
                       "%s",
                       rerr.msg);
        }
        bool room = s->received - s->completed < SLOTS;
        struct slot *open = &s->slots[s->received % SLOTS];
        bool more = room && open->n < s->max_batch;
        zmq_pollitem_t items[2] = {
            {.socket = s->router, .events = more ? ZMQ_POLLIN : 0},
            {.fd = s->sync.wake[0], .events = ZMQ_POLLIN}};
        int rc = zmq_poll(items, 2,
                          sv_held_count(s->held) > 0 ? HELD_RETRY_MS : POLL_MS);
        if (rc < 0) {
            if (zmq_errno() == EINTR)
                continue;
            st = zmq_fail(err, "zmq_poll");
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            drain_wake(s);
        if (sv_held_count(s->held) > 0)
            (void)sv_held_retry(s->held, s->router);
        st = complete_durable(s, false, err);
        if (st == SV_OK &&
            atomic_load_explicit(&s->store_broken, memory_order_acquire)) {
            /* no transaction succeeds again in this process: stop, so that
               a restart (by a supervisor, or by hand) opens the store
               anew; the batches in hand are answered below */
            st = sv_fail(err, SV_ERR_STORE,
                         "LMDB gave up on the store's environment "
                         "(MDB_PANIC; the refused commit's error, logged "
                         "above, says why); stopping so that a restart "
                         "opens it again (nothing acknowledged is lost)");
            break;
        }
        if (st == SV_OK && more && (items[0].revents & ZMQ_POLLIN))
            st = receive_more(s, open, err);
        if (room && open->n > 0 &&
            (open->n >= s->max_batch ||
             writer_written(s, false) == s->received))
            hand_over(s);
        else if (room)
            prepare_open(open);
    }
    /* the batches in hand are answered before returning */
    bool room = s->received - s->completed < SLOTS;
    if (room && s->slots[s->received % SLOTS].n > 0)
        hand_over(s);
    sv_error werr = {{0}};
    sv_status wst = complete_durable(s, true, &werr);
    if (st == SV_OK && wst != SV_OK) {
        *err = werr;
        st = wst;
    }
    /* a while for clients to read what is held (the rest is logged when
       the server is destroyed) */
    for (int waited = 0; sv_held_count(s->held) > 0 && waited < HELD_GRACE_MS;
         waited += HELD_RETRY_MS) {
        if (zmq_poll(NULL, 0, HELD_RETRY_MS) < 0 && zmq_errno() != EINTR)
            break;
        (void)sv_held_retry(s->held, s->router);
    }
    return st;
}
