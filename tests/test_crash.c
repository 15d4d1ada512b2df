/* test_crash.c: crash safety. The real survey-collector and
 * survey-aggregator processes are SIGKILLed at random moments under load and
 * restarted on the same LMDB environment, again and again.
 *
 * Collector: 4 client threads (each its own ZeroMQ context and REQ socket,
 * lazy pirate: no reply in time = outcome unknown, so drop the socket and
 * resend THE SAME bytes, same submission_id) submit and correct answer sets
 * for disjoint slices of the roster while the main thread kills the
 * collector at least 20 times. At the end every acked submission is stored
 * with its acked revision, sequence and exactly the answers sent; revisions
 * are 1..N; stale corrections left nothing; the change log names every
 * revision once, in strictly increasing sequences; every acked request sent
 * once more is a duplicate with the same ack; the environment opens clean.
 *
 * Aggregator: a client submits, corrects and asks for snapshots and reruns
 * while the aggregator is killed at least 20 times. At the end the settled
 * incremental tables equal a full rerun (same digest), snapshot versions are
 * 1..V without a gap, each readable with a correct digest, and snapshots at
 * the same answers position have the same digest.
 *
 * Power cut: the collector runs with writelog_shim.c preloaded and is
 * SIGKILLed under load; its data file is then rebuilt from the logged
 * writes as a power cut could have left it (only what was flushed, or that
 * and any of the rest), and every image must open and hold every acked
 * submission exactly as acked.
 *
 * Randomness is seeded (SV_CRASH_SEED overrides the seed, printed at the
 * start). Nothing asserts on timing; every wait is bounded. When a test
 * fails, its directory (data, logs) is kept as evidence; SV_CRASH_KEEP=1
 * keeps it after a pass too. */
#include "contract_digest.h"
#include "harness.h"
#include "store.h"
#include "writelog.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <zmq.h>

#include <cmocka.h>

#define SURVEY "shoman-jiritsu-r6"
#define CALL_TIMEOUT 10000
#define CLIENTS 4
#define COLLECTOR_KILLS 24
#define AGGREGATOR_KILLS 24
#define ROSTER_MAX 256
#define DEFAULT_SEED 20240601u
/* one request may go unanswered this long (over restarts) before the client
 * gives up and the test fails */
#define REQUEST_DEADLINE_MS 45000
#define FIRST_TIMEOUT_MS 500
#define MAX_TIMEOUT_MS 2000

/* ---- small things -------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: small, seedable, the same everywhere */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rand_below(uint64_t *s, uint64_t n)
{
    return next_rand(s) % n;
}

static uint64_t base_seed(void)
{
    const char *env = getenv("SV_CRASH_SEED");
    if (env != NULL && env[0] != '\0')
        return strtoull(env, NULL, 0);
    return DEFAULT_SEED;
}

static void free_reply(Survey__V1__Reply *reply)
{
    if (reply != NULL)
        survey__v1__reply__free_unpacked(reply, NULL);
}

/* The roster's codes, in file order. */
static size_t load_roster(char codes[][8], size_t max)
{
    FILE *f = fopen(SV_SOURCE_DIR "/data/r6/roster.csv", "r");
    if (f == NULL)
        return 0;
    char line[1024];
    size_t n = 0;
    bool header = true;
    while (fgets(line, sizeof line, f) != NULL && n < max) {
        if (header) {
            header = false;
            continue;
        }
        char *comma = strchr(line, ',');
        if (comma == NULL || comma == line || comma - line >= 8)
            continue;
        memcpy(codes[n], line, (size_t)(comma - line));
        codes[n][comma - line] = '\0';
        n++;
    }
    fclose(f);
    return n;
}

static char *join(char *const *list, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(list[i]) + 1;
    char *out = malloc(len);
    if (out == NULL)
        return NULL;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, ",");
        strcat(out, list[i]);
    }
    return out;
}

/* ---- what the clients send and what they got back ------------------------ */

static const char *const PROGRAMS[8] = {
    "consult",       "supporter",  "fact_finding",  "care_support",
    "peer_exchange", "employment", "carer_support", "other_support"};

/* A valid answer set for data/r6, packed as a Request: holders (left out
 * one time in ten) and the 8 programs, each "yes" one time in five (then
 * the program's details are missing, so the set is incomplete), with the
 * outsourcing question of supporter and fact_finding sometimes answered. */
static uint8_t *build_submission(uint64_t *rng, const char *respondent,
                                 const char *id, uint64_t base,
                                 const char *note, uint64_t request_id,
                                 size_t *len)
{
    Survey__V1__Answer items[12];
    Survey__V1__Answer *ptrs[12];
    size_t n = 0;
    if (rand_below(rng, 10) != 0) {
        survey__v1__answer__init(&items[n]);
        items[n].question = "holders";
        items[n].value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
        items[n].integer = (int64_t)rand_below(rng, 10000);
        n++;
    }
    for (int i = 0; i < 8; i++) {
        bool yes = rand_below(rng, 5) == 0;
        survey__v1__answer__init(&items[n]);
        items[n].question = (char *)PROGRAMS[i];
        items[n].value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
        items[n].choice = yes ? "yes" : "no";
        n++;
        if (yes && (i == 1 || i == 2) && rand_below(rng, 2) == 0) {
            survey__v1__answer__init(&items[n]);
            items[n].question =
                i == 1 ? "supporter_outsourced" : "fact_finding_outsourced";
            items[n].value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            items[n].choice = rand_below(rng, 2) == 0 ? "yes" : "no";
            n++;
        }
    }
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &items[i];
    Survey__V1__Submission sub = SURVEY__V1__SUBMISSION__INIT;
    sub.survey = SURVEY;
    sub.respondent = (char *)respondent;
    sub.submission_id = (char *)id;
    sub.base_revision = base;
    sub.note = (char *)note;
    sub.answers = ptrs;
    sub.n_answers = n;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    req.submit = &sub;
    req.request_id = request_id;
    *len = survey__v1__request__get_packed_size(&req);
    uint8_t *buf = malloc(*len);
    if (buf != NULL)
        survey__v1__request__pack(&req, buf);
    return buf;
}

typedef enum { OUT_PENDING, OUT_ACKED, OUT_CONFLICT } outcome;

typedef struct {
    char id[48];
    size_t respondent; /* roster index */
    uint64_t base;
    bool stale;     /* base deliberately behind: must be refused */
    uint8_t *bytes; /* the packed Request, sent as is on every retry */
    size_t len;
    outcome out;
    uint64_t revision, sequence; /* of the ack */
    bool duplicate;
    char *missing; /* the ack's, comma-joined */
    unsigned sends;
} record;

typedef struct shared shared;

typedef struct {
    int index;
    shared *sh;
    size_t resp[ROSTER_MAX];   /* roster indices this client owns */
    uint64_t last[ROSTER_MAX]; /* revision of the last ack, per slot */
    size_t n_resp;
    uint64_t rng;
    int pace_ms;       /* sleep up to this between requests */
    int control_every; /* about one request in N is a rerun/snapshot */
    record *recs;
    size_t n_recs, cap;
    atomic_int in_flight;
    atomic_uint sent_gen;
    unsigned long resends, acks, dups, conflicts, controls;
    char failure[768];
    pthread_t thread;
} client;

struct shared {
    const char *endpoint;
    char (*codes)[8];
    atomic_bool stop;  /* finish the request in hand, then return */
    atomic_bool abort; /* return at once */
    atomic_uint gen;   /* incremented at every kill */
    atomic_ulong acks;
    client clients[CLIENTS];
    int n_clients;
};

static void client_fail(client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void client_fail(client *c, const char *fmt, ...)
{
    if (c->failure[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->failure, sizeof c->failure, fmt, ap);
        va_end(ap);
    }
    atomic_store(&c->sh->abort, true);
}

static void *open_req(void *ctx, const char *endpoint)
{
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    if (sock == NULL)
        return NULL;
    int linger = 0;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_connect(sock, endpoint) != 0) {
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

/* Lazy pirate: sends bytes and waits; no reply within the timeout means the
 * outcome is unknown (the collector may have died before or after its
 * commit), so the socket is dropped and the same bytes are sent again on a
 * new one, with a growing timeout, until a reply comes. NULL: failure
 * (recorded) or abort. */
static Survey__V1__Reply *exchange(client *c, void *ctx, void **sock,
                                   const uint8_t *bytes, size_t len,
                                   unsigned *sends)
{
    long timeout = FIRST_TIMEOUT_MS;
    long long deadline = now_ms() + REQUEST_DEADLINE_MS;
    for (;;) {
        if (atomic_load(&c->sh->abort))
            return NULL;
        if (*sock == NULL) {
            *sock = open_req(ctx, c->sh->endpoint);
            if (*sock == NULL) {
                client_fail(c, "socket: %s", zmq_strerror(zmq_errno()));
                return NULL;
            }
        }
        atomic_store(&c->sent_gen, atomic_load(&c->sh->gen));
        atomic_store(&c->in_flight, 1);
        bool sent = zmq_send(*sock, bytes, len, ZMQ_DONTWAIT) == (int)len;
        bool got = false;
        if (sent) {
            (*sends)++;
            long long until = now_ms() + timeout;
            while (!got && !atomic_load(&c->sh->abort)) {
                long long left = until - now_ms();
                if (left <= 0)
                    break;
                zmq_pollitem_t item = {.socket = *sock, .events = ZMQ_POLLIN};
                int rc = zmq_poll(&item, 1, left > 100 ? 100 : (long)left);
                if (rc < 0 && zmq_errno() != EINTR) {
                    client_fail(c, "zmq_poll: %s", zmq_strerror(zmq_errno()));
                    atomic_store(&c->in_flight, 0);
                    return NULL;
                }
                got = rc > 0;
            }
        } else {
            sleep_ms(50);
        }
        if (got) {
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            int n = zmq_msg_recv(&msg, *sock, 0);
            Survey__V1__Reply *reply =
                n >= 0 ? survey__v1__reply__unpack(NULL, zmq_msg_size(&msg),
                                                   zmq_msg_data(&msg))
                       : NULL;
            zmq_msg_close(&msg);
            atomic_store(&c->in_flight, 0);
            if (reply == NULL)
                client_fail(c, "undecodable reply (%d bytes)", n);
            return reply;
        }
        /* the outcome is unknown: a new socket, the same bytes */
        zmq_close(*sock);
        *sock = NULL;
        if (atomic_load(&c->sh->abort)) {
            atomic_store(&c->in_flight, 0);
            return NULL;
        }
        if (now_ms() > deadline) {
            atomic_store(&c->in_flight, 0);
            client_fail(c, "no reply within %d ms (%u sends)",
                        REQUEST_DEADLINE_MS, *sends);
            return NULL;
        }
        timeout = timeout * 2 > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : timeout * 2;
    }
}

static record *new_record(client *c)
{
    if (c->n_recs == c->cap) {
        size_t cap = c->cap == 0 ? 256 : c->cap * 2;
        record *bigger = realloc(c->recs, cap * sizeof *bigger);
        if (bigger == NULL)
            return NULL;
        c->recs = bigger;
        c->cap = cap;
    }
    record *r = &c->recs[c->n_recs++];
    memset(r, 0, sizeof *r);
    return r;
}

/* A rerun (full) or snapshot request; the reply must be Queued. */
static bool send_control(client *c, void *ctx, void **sock, uint64_t req_id)
{
    Survey__V1__RerunRequest r = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    r.full = rand_below(&c->rng, 2) == 0;
    req.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    req.rerun = &r;
    req.request_id = req_id;
    uint8_t buf[64];
    size_t len = survey__v1__request__pack(&req, buf);
    unsigned sends = 0;
    Survey__V1__Reply *reply = exchange(c, ctx, sock, buf, len, &sends);
    if (reply == NULL)
        return false;
    bool ok = reply->body_case == SURVEY__V1__REPLY__BODY_QUEUED &&
              reply->request_id == req_id && reply->queued->sequence > 0;
    if (!ok)
        client_fail(c, "rerun: reply %d instead of Queued",
                    (int)reply->body_case);
    c->controls++;
    free_reply(reply);
    return ok;
}

/* Checks one reply to a submission and records it. */
static bool take_reply(client *c, size_t slot, record *r,
                       Survey__V1__Reply *reply, uint64_t req_id)
{
    const char *code = c->sh->codes[r->respondent];
    uint64_t last = c->last[slot];
    if (reply->request_id != req_id) {
        client_fail(c, "%s: reply for request %llu, sent %llu", r->id,
                    (unsigned long long)reply->request_id,
                    (unsigned long long)req_id);
        return false;
    }
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ACK) {
        const Survey__V1__Ack *ack = reply->ack;
        if (r->stale) {
            client_fail(c,
                        "ACKED REVISION LOST? %s (%s): base %llu is behind "
                        "the last ack (revision %llu), yet it was acked as "
                        "revision %llu",
                        r->id, code, (unsigned long long)r->base,
                        (unsigned long long)last,
                        (unsigned long long)ack->revision);
            return false;
        }
        if (strcmp(ack->respondent, code) != 0 ||
            strcmp(ack->submission_id, r->id) != 0 ||
            strcmp(ack->survey, SURVEY) != 0) {
            client_fail(c, "%s: ack names %s/%s/%s", r->id, ack->survey,
                        ack->respondent, ack->submission_id);
            return false;
        }
        /* the client is the only writer of its respondents */
        if (ack->revision != last + 1 || ack->sequence == 0) {
            client_fail(c,
                        "%s (%s): acked revision %llu seq %llu, expected "
                        "revision %llu",
                        r->id, code, (unsigned long long)ack->revision,
                        (unsigned long long)ack->sequence,
                        (unsigned long long)(last + 1));
            return false;
        }
        if (ack->duplicate && r->sends < 2) {
            client_fail(c, "%s: duplicate ack on its first send", r->id);
            return false;
        }
        r->out = OUT_ACKED;
        r->revision = ack->revision;
        r->sequence = ack->sequence;
        r->duplicate = ack->duplicate;
        r->missing = join(ack->missing, ack->n_missing);
        c->last[slot] = ack->revision;
        c->acks++;
        if (ack->duplicate)
            c->dups++;
        atomic_fetch_add(&c->sh->acks, 1);
        return true;
    }
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
        reply->error->code == SURVEY__V1__ERROR__CODE__CONFLICT && r->stale) {
        if (reply->error->current_revision != last) {
            client_fail(c, "%s (%s): CONFLICT says current %llu, last ack %llu",
                        r->id, code,
                        (unsigned long long)reply->error->current_revision,
                        (unsigned long long)last);
            return false;
        }
        r->out = OUT_CONFLICT;
        c->conflicts++;
        return true;
    }
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
        reply->error->code == SURVEY__V1__ERROR__CODE__CONFLICT &&
        reply->error->current_revision < last)
        client_fail(c,
                    "ACKED REVISION LOST: %s: revision %llu was acked, the "
                    "collector now says the current revision is %llu (%s)",
                    code, (unsigned long long)last,
                    (unsigned long long)reply->error->current_revision,
                    reply->error->message);
    else if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR)
        client_fail(c, "%s (%s, base %llu%s): error %d: %s", r->id, code,
                    (unsigned long long)r->base, r->stale ? ", stale" : "",
                    (int)reply->error->code, reply->error->message);
    else
        client_fail(c, "%s: unexpected reply %d", r->id, (int)reply->body_case);
    return false;
}

static void *client_main(void *arg)
{
    client *c = arg;
    void *ctx = zmq_ctx_new();
    void *sock = NULL;
    uint64_t k = 0;
    if (ctx == NULL) {
        client_fail(c, "zmq_ctx_new failed");
        return NULL;
    }
    while (!atomic_load(&c->sh->stop) && !atomic_load(&c->sh->abort)) {
        k++;
        if (c->control_every > 0 &&
            rand_below(&c->rng, (uint64_t)c->control_every) == 0) {
            if (!send_control(c, ctx, &sock, k))
                break;
            continue;
        }
        size_t slot = (size_t)rand_below(&c->rng, c->n_resp);
        uint64_t last = c->last[slot];
        record *r = new_record(c);
        if (r == NULL) {
            client_fail(c, "out of memory");
            break;
        }
        r->respondent = c->resp[slot];
        r->stale = last >= 1 && rand_below(&c->rng, 10) == 0;
        r->base = r->stale ? last - 1 : last;
        snprintf(r->id, sizeof r->id, "crash-%d-%llu", c->index,
                 (unsigned long long)k);
        char note[96];
        snprintf(note, sizeof note, "client %d sitting %llu%s", c->index,
                 (unsigned long long)k, r->base > 0 ? " 訂正" : "");
        r->bytes = build_submission(&c->rng, c->sh->codes[r->respondent], r->id,
                                    r->base, note, k, &r->len);
        if (r->bytes == NULL) {
            client_fail(c, "out of memory");
            break;
        }
        Survey__V1__Reply *reply =
            exchange(c, ctx, &sock, r->bytes, r->len, &r->sends);
        if (r->sends > 1)
            c->resends += r->sends - 1;
        if (reply == NULL)
            break;
        bool ok = take_reply(c, slot, r, reply, k);
        free_reply(reply);
        if (!ok)
            break;
        if (c->pace_ms > 0)
            sleep_ms((long)rand_below(&c->rng, (uint64_t)c->pace_ms + 1));
    }
    if (sock != NULL)
        zmq_close(sock);
    zmq_ctx_term(ctx);
    return NULL;
}

static void free_clients(shared *sh)
{
    for (int t = 0; t < sh->n_clients; t++) {
        client *c = &sh->clients[t];
        for (size_t i = 0; i < c->n_recs; i++) {
            free(c->recs[i].bytes);
            free(c->recs[i].missing);
        }
        free(c->recs);
    }
    free(sh);
}

static bool start_clients(shared *sh)
{
    for (int t = 0; t < sh->n_clients; t++) {
        if (pthread_create(&sh->clients[t].thread, NULL, client_main,
                           &sh->clients[t]) != 0) {
            atomic_store(&sh->abort, true);
            for (int u = 0; u < t; u++)
                pthread_join(sh->clients[u].thread, NULL);
            return false;
        }
    }
    return true;
}

static void join_clients(shared *sh)
{
    for (int t = 0; t < sh->n_clients; t++)
        pthread_join(sh->clients[t].thread, NULL);
}

/* First failure of a client, or NULL. */
static const char *client_failure(const shared *sh)
{
    for (int t = 0; t < sh->n_clients; t++) {
        if (sh->clients[t].failure[0] != '\0')
            return sh->clients[t].failure;
    }
    return NULL;
}

/* Waits until the clients have more than `since` acks; false after 30 s or
 * when a client failed. */
static bool wait_for_acks(shared *sh, unsigned long since)
{
    for (long long end = now_ms() + 30000; now_ms() < end;) {
        if (atomic_load(&sh->abort))
            return false;
        if (atomic_load(&sh->acks) > since)
            return true;
        sleep_ms(5);
    }
    return false;
}

/* How many times needle occurs in the file (0 if unreadable). */
static unsigned count_in_file(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (cap - len < 4096) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        if (got == 0)
            break;
        len += got;
    }
    fclose(f);
    if (buf == NULL)
        return 0;
    buf[len] = '\0';
    unsigned n = 0;
    for (const char *p = strstr(buf, needle); p != NULL;
         p = strstr(p + 1, needle))
        n++;
    free(buf);
    return n;
}

/* Waits (up to 30 s) until the log holds `count` lines with needle. The
 * harness's own ready check can be satisfied by the previous process's
 * ready line while the new one has not logged anything yet, so the tests
 * count: start number n is ready when the n-th ready line is there. */
static bool wait_count(const char *path, const char *needle, unsigned count)
{
    for (long long end = now_ms() + 30000; now_ms() < end; sleep_ms(5)) {
        if (count_in_file(path, needle) >= count)
            return true;
    }
    return false;
}

#define STARTING ": starting ("
#define READY ": ready on "

/* ---- fixtures: the directory is kept when a test fails ------------------- */

typedef struct {
    sv_harness h;
    bool passed;
} crash_state;

static int setup(void **state)
{
    crash_state *st = calloc(1, sizeof *st);
    if (st == NULL)
        return -1;
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    crash_state *st = *state;
    const char *keep = getenv("SV_CRASH_KEEP");
    /* a test that failed before it unset it */
    if (unsetenv("SV_WRITELOG_FAIL_META_AT") != 0)
        fprintf(stderr, "crash-test: unsetenv failed\n");
    if (st->passed && (keep == NULL || keep[0] == '\0')) {
        sv_harness_cleanup(&st->h);
    } else {
        if (st->h.pid != 0)
            (void)sv_harness_stop(&st->h, SIGTERM);
        if (st->h.agg_pid != 0)
            (void)sv_harness_stop_aggregator(&st->h, SIGTERM);
        if (st->h.dir[0] != '\0')
            fprintf(stderr, "crash-test: evidence (data, logs) kept in %s\n",
                    st->h.dir);
    }
    free(st);
    return 0;
}

/* ---- checking what is stored --------------------------------------------- */

static bool same_answer(const Survey__V1__Answer *a,
                        const Survey__V1__Answer *b)
{
    if (strcmp(a->question, b->question) != 0 || a->value_case != b->value_case)
        return false;
    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        return strcmp(a->choice, b->choice) == 0;
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        return a->integer == b->integer;
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        return strcmp(a->text, b->text) == 0;
    case SURVEY__V1__ANSWER__VALUE_CHOICES:
        if (a->choices->n_options != b->choices->n_options)
            return false;
        for (size_t i = 0; i < a->choices->n_options; i++) {
            if (strcmp(a->choices->options[i], b->choices->options[i]) != 0)
                return false;
        }
        return true;
    default:
        return true;
    }
}

/* Compares a stored revision with the submission that was acked with it;
 * prints each difference. Returns the number of differences. */
static int compare_revision(const char *where, const Survey__V1__Revision *rev,
                            const record *r)
{
    int bad = 0;
    Survey__V1__Request *req =
        survey__v1__request__unpack(NULL, r->len, r->bytes);
    if (req == NULL || req->body_case != SURVEY__V1__REQUEST__BODY_SUBMIT) {
        fprintf(stderr, "%s: cannot decode what was sent for %s\n", where,
                r->id);
        if (req != NULL)
            survey__v1__request__free_unpacked(req, NULL);
        return 1;
    }
    const Survey__V1__Submission *sub = req->submit;
#define DIFF(cond, ...)                                                        \
    do {                                                                       \
        if (cond) {                                                            \
            fprintf(stderr, "%s: %s rev %llu: ", where, r->id,                 \
                    (unsigned long long)rev->revision);                        \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            bad++;                                                             \
        }                                                                      \
    } while (0)
    DIFF(strcmp(rev->submission_id, r->id) != 0, "submission_id %s",
         rev->submission_id);
    DIFF(rev->revision != r->revision, "acked as revision %llu",
         (unsigned long long)r->revision);
    DIFF(rev->sequence != r->sequence, "sequence %llu, acked %llu",
         (unsigned long long)rev->sequence, (unsigned long long)r->sequence);
    DIFF(rev->base_revision != sub->base_revision, "base %llu, sent %llu",
         (unsigned long long)rev->base_revision,
         (unsigned long long)sub->base_revision);
    DIFF(rev->base_revision + 1 != rev->revision, "base %llu",
         (unsigned long long)rev->base_revision);
    DIFF(strcmp(rev->note, sub->note) != 0, "note \"%s\", sent \"%s\"",
         rev->note, sub->note);
    DIFF(strncmp(rev->submitter, "anonymous@", 10) != 0, "submitter %s",
         rev->submitter);
    DIFF(rev->time_ms < 1700000000000LL, "time_ms %lld",
         (long long)rev->time_ms);
    DIFF(rev->n_answers != sub->n_answers, "%zu answers, sent %zu",
         rev->n_answers, sub->n_answers);
    for (size_t i = 0; i < rev->n_answers && i < sub->n_answers; i++)
        DIFF(!same_answer(rev->answers[i], sub->answers[i]),
             "answer %zu (%s) differs from the one sent (%s)", i,
             rev->answers[i]->question, sub->answers[i]->question);
    char *missing = join(rev->missing, rev->n_missing);
    DIFF(missing == NULL || r->missing == NULL ||
             strcmp(missing, r->missing) != 0,
         "missing [%s], acked [%s]", missing != NULL ? missing : "?",
         r->missing != NULL ? r->missing : "?");
#undef DIFF
    free(missing);
    survey__v1__request__free_unpacked(req, NULL);
    return bad;
}

typedef struct {
    int problems;       /* differences of any kind */
    unsigned long lost; /* acked submissions not stored as acked */
    unsigned long revisions;
} tally;

/* Checks one respondent's stored history (revs[0..n), oldest first)
 * against what its client sent and was told. */
static void check_history(const char *where, const client *c, size_t slot,
                          Survey__V1__Revision *const *revs, size_t n, tally *t)
{
    size_t ri = c->resp[slot];
    const char *code = c->sh->codes[ri];
    uint64_t last = c->last[slot];
    t->revisions += n;
    /* every outcome is known at the end (a lost ack was retried until it
     * came back as a duplicate), so the current revision is the last ack's */
    if (n != last) {
        fprintf(stderr,
                "%s: %s has %zu revisions, last ack was revision %llu\n", where,
                code, n, (unsigned long long)last);
        t->problems++;
    }
    for (size_t i = 0; i < n; i++) {
        if (revs[i]->revision != i + 1) {
            fprintf(stderr, "%s: %s: revision %llu at position %zu\n", where,
                    code, (unsigned long long)revs[i]->revision, i + 1);
            t->problems++;
        }
    }
    const record **byrev = calloc(n + last + 2, sizeof *byrev);
    assert_non_null(byrev);
    for (size_t i = 0; i < c->n_recs; i++) {
        const record *r = &c->recs[i];
        if (r->respondent != ri)
            continue;
        if (r->out == OUT_ACKED) {
            if (r->revision == 0 || r->revision > n + last) {
                fprintf(stderr, "%s: %s acked as %s revision %llu\n", where,
                        r->id, code, (unsigned long long)r->revision);
                t->problems++;
                t->lost++;
                continue;
            }
            if (byrev[r->revision] != NULL) {
                /* two submissions acked as one revision: one was lost */
                fprintf(stderr, "%s: %s: two acks for revision %llu (%s, %s)\n",
                        where, code, (unsigned long long)r->revision,
                        byrev[r->revision]->id, r->id);
                t->problems++;
                t->lost++;
                continue;
            }
            byrev[r->revision] = r;
            if (r->revision > n ||
                strcmp(revs[r->revision - 1]->submission_id, r->id) != 0) {
                fprintf(stderr,
                        "%s: LOST: %s acked as %s revision %llu (seq %llu) "
                        "is not stored as such\n",
                        where, r->id, code, (unsigned long long)r->revision,
                        (unsigned long long)r->sequence);
                t->problems++;
                t->lost++;
                continue;
            }
            t->problems += compare_revision(where, revs[r->revision - 1], r);
        } else if (r->out == OUT_CONFLICT) {
            for (size_t k = 0; k < n; k++) {
                if (strcmp(revs[k]->submission_id, r->id) == 0) {
                    fprintf(stderr,
                            "%s: %s was refused (stale base) but is stored "
                            "as revision %llu\n",
                            where, r->id,
                            (unsigned long long)revs[k]->revision);
                    t->problems++;
                }
            }
        } else {
            fprintf(stderr, "%s: %s: outcome unknown at the end\n", where,
                    r->id);
            t->problems++;
        }
    }
    for (size_t i = 1; i <= n; i++) {
        if (byrev[i] == NULL) {
            fprintf(stderr, "%s: %s revision %zu (%s) was never acked\n", where,
                    code, i, revs[i - 1]->submission_id);
            t->problems++;
        }
    }
    free(byrev);
}

static void check_through_collector(const sv_harness *h, const shared *sh,
                                    tally *t)
{
    for (int ci = 0; ci < sh->n_clients; ci++) {
        const client *c = &sh->clients[ci];
        for (size_t s = 0; s < c->n_resp; s++) {
            const char *code = sh->codes[c->resp[s]];
            Survey__V1__HistoryRequest hr = SURVEY__V1__HISTORY_REQUEST__INIT;
            Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
            hr.survey = SURVEY;
            hr.respondent = (char *)code;
            req.body_case = SURVEY__V1__REQUEST__BODY_HISTORY;
            req.history = &hr;
            Survey__V1__Reply *reply = NULL;
            assert_int_equal(
                sv_harness_call(h->endpoint, &req, &reply, CALL_TIMEOUT), 0);
            if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
                assert_int_equal(reply->error->code,
                                 SURVEY__V1__ERROR__CODE__NOT_FOUND);
                check_history("history", c, s, NULL, 0, t);
            } else {
                assert_int_equal(reply->body_case,
                                 SURVEY__V1__REPLY__BODY_HISTORY);
                check_history("history", c, s, reply->history->revisions,
                              reply->history->n_revisions, t);
            }
            free_reply(reply);

            /* Request.get: the current revision is the last one */
            Survey__V1__GetRequest g = SURVEY__V1__GET_REQUEST__INIT;
            g.survey = SURVEY;
            g.respondent = (char *)code;
            req.body_case = SURVEY__V1__REQUEST__BODY_GET;
            req.get = &g;
            assert_int_equal(
                sv_harness_call(h->endpoint, &req, &reply, CALL_TIMEOUT), 0);
            if (c->last[s] == 0) {
                assert_int_equal(reply->body_case,
                                 SURVEY__V1__REPLY__BODY_ERROR);
            } else {
                assert_int_equal(reply->body_case,
                                 SURVEY__V1__REPLY__BODY_RESPONSE);
                assert_int_equal(reply->response->current->revision,
                                 c->last[s]);
            }
            free_reply(reply);
        }
    }
}

/* Every request sent once more, byte for byte, on one REQ socket: an acked
 * one is a duplicate with the original ack, a refused one is refused again
 * (its base is still stale). Nothing is written. Returns how many. */
static unsigned long resend_everything(const sv_harness *h, const shared *sh)
{
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0, timeout = CALL_TIMEOUT;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(
        zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_connect(sock, h->endpoint), 0);
    unsigned long n = 0;
    for (int ci = 0; ci < sh->n_clients; ci++) {
        const client *c = &sh->clients[ci];
        for (size_t i = 0; i < c->n_recs; i++) {
            const record *r = &c->recs[i];
            assert_int_equal(zmq_send(sock, r->bytes, r->len, 0), (int)r->len);
            zmq_msg_t msg;
            zmq_msg_init(&msg);
            assert_true(zmq_msg_recv(&msg, sock, 0) >= 0);
            Survey__V1__Reply *reply = survey__v1__reply__unpack(
                NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
            zmq_msg_close(&msg);
            assert_non_null(reply);
            if (r->out == OUT_ACKED) {
                if (reply->body_case != SURVEY__V1__REPLY__BODY_ACK)
                    fail_msg("resent %s: not an ack (%s)", r->id,
                             reply->body_case == SURVEY__V1__REPLY__BODY_ERROR
                                 ? reply->error->message
                                 : "?");
                assert_true(reply->ack->duplicate);
                assert_int_equal(reply->ack->revision, r->revision);
                assert_int_equal(reply->ack->sequence, r->sequence);
                assert_string_equal(reply->ack->submission_id, r->id);
            } else {
                assert_int_equal(r->out, OUT_CONFLICT);
                assert_int_equal(reply->body_case,
                                 SURVEY__V1__REPLY__BODY_ERROR);
                assert_int_equal(reply->error->code,
                                 SURVEY__V1__ERROR__CODE__CONFLICT);
            }
            free_reply(reply);
            n++;
        }
    }
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return n;
}

/* ---- the change log, read directly --------------------------------------- */

typedef struct {
    uint64_t seq;
    int kind;
    char respondent[16];
    uint64_t revision;
    bool bad;
} change_row;

typedef struct {
    change_row *rows;
    size_t n, cap;
} change_list;

static int collect_change(void *ctx, uint64_t sequence,
                          const Survey__Store__V1__Change *change)
{
    change_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap == 0 ? 1024 : l->cap * 2;
        change_row *bigger = realloc(l->rows, cap * sizeof *bigger);
        if (bigger == NULL)
            return 1;
        l->rows = bigger;
        l->cap = cap;
    }
    change_row *row = &l->rows[l->n++];
    memset(row, 0, sizeof *row);
    row->seq = sequence;
    row->kind = (int)change->kind;
    row->revision = change->revision;
    row->bad = strcmp(change->survey, SURVEY) != 0 ||
               strlen(change->respondent) >= sizeof row->respondent;
    snprintf(row->respondent, sizeof row->respondent, "%s", change->respondent);
    return 0;
}

static void read_changes(sv_store *s, change_list *l)
{
    sv_error err = {{0}};
    sv_status st = sv_store_changes(s, 0, 0, collect_change, l, &err);
    if (st != SV_OK)
        fail_msg("sv_store_changes: %s", err.msg);
}

static int run_mdb_stat(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "command -v mdb_stat >/dev/null 2>&1 || exit 200; "
             "mdb_stat -a '%s' >/dev/null",
             dir);
    int rc = system(cmd);
    if (!WIFEXITED(rc))
        return -1;
    if (WEXITSTATUS(rc) == 200) {
        printf("crash-test: mdb_stat not installed (lmdb-utils): skipped\n");
        return 0;
    }
    return WEXITSTATUS(rc);
}

/* After a clean stop: the store opens, every respondent's stored history
 * passes check_history, and the change log is 1..M, every ANSWERS entry
 * naming a stored revision with that sequence, every revision named once. */
static void check_store(const sv_harness *h, const shared *sh, tally *t)
{
    sv_store *s = NULL;
    sv_error err = {{0}};
    sv_store_options ro = {.read_only = true};
    sv_status st = sv_store_open(&s, h->data, &ro, &err);
    if (st != SV_OK)
        fail_msg("the environment does not open: %s", err.msg);

    change_list log = {0};
    read_changes(s, &log);
    uint64_t last_seq = 0;
    assert_int_equal(sv_store_last_sequence(s, &last_seq, &err), SV_OK);
    assert_int_equal(last_seq, log.n);

    unsigned long named = 0;
    for (int ci = 0; ci < sh->n_clients; ci++) {
        const client *c = &sh->clients[ci];
        for (size_t slot = 0; slot < c->n_resp; slot++) {
            const char *code = sh->codes[c->resp[slot]];
            Survey__V1__Revision **revs = NULL;
            size_t n = 0;
            st = sv_store_history(s, SURVEY, code, &revs, &n, &err);
            if (st == SV_ERR_NOT_FOUND) {
                revs = NULL;
                n = 0;
            } else if (st != SV_OK) {
                fail_msg("sv_store_history %s: %s", code, err.msg);
            }
            check_history("store", c, slot, revs, n, t);
            /* the log names each revision once, at the revision's sequence */
            unsigned *seen = calloc(n + 1, sizeof *seen);
            assert_non_null(seen);
            for (size_t i = 0; i < log.n; i++) {
                const change_row *row = &log.rows[i];
                if (strcmp(row->respondent, code) != 0)
                    continue;
                if (row->revision == 0 || row->revision > n) {
                    fprintf(stderr,
                            "log: seq %llu names %s revision %llu, which is "
                            "not stored\n",
                            (unsigned long long)row->seq, code,
                            (unsigned long long)row->revision);
                    t->problems++;
                    continue;
                }
                seen[row->revision]++;
                named++;
                if (revs[row->revision - 1]->sequence != row->seq) {
                    fprintf(
                        stderr,
                        "log: seq %llu for %s revision %llu, "
                        "which has sequence %llu\n",
                        (unsigned long long)row->seq, code,
                        (unsigned long long)row->revision,
                        (unsigned long long)revs[row->revision - 1]->sequence);
                    t->problems++;
                }
            }
            for (size_t r = 1; r <= n; r++) {
                if (seen[r] != 1) {
                    fprintf(stderr, "log: %s revision %zu named %u times\n",
                            code, r, seen[r]);
                    t->problems++;
                }
            }
            free(seen);
            if (revs != NULL)
                sv_store_free_revisions(revs, n);
        }
    }
    for (size_t i = 0; i < log.n; i++) {
        const change_row *row = &log.rows[i];
        if (row->seq != i + 1) {
            fprintf(stderr, "log: entry %zu has sequence %llu\n", i + 1,
                    (unsigned long long)row->seq);
            t->problems++;
        }
        if (row->kind != SV_CHANGE_ANSWERS || row->bad) {
            fprintf(stderr, "log: seq %llu: kind %d, malformed %d\n",
                    (unsigned long long)row->seq, row->kind, (int)row->bad);
            t->problems++;
        }
    }
    /* nothing in the log for a respondent no client owns */
    if (named != log.n) {
        fprintf(stderr, "log: %zu entries, %lu name a client's revision\n",
                log.n, named);
        t->problems++;
    }
    free(log.rows);
    sv_store_destroy(&s);
}

/* ---- 1. the collector ---------------------------------------------------- */

static void test_collector_kills(void **state)
{
    crash_state *cs = *state;
    sv_harness *h = &cs->h;
    uint64_t seed = base_seed();
    printf("crash-test: seed %llu (SV_CRASH_SEED)\n", (unsigned long long)seed);
    static char codes[ROSTER_MAX][8];
    size_t n_codes = load_roster(codes, ROSTER_MAX);
    assert_int_equal(n_codes, 137);
    assert_int_equal(sv_harness_start(h, NULL), 0);

    shared *sh = calloc(1, sizeof *sh);
    assert_non_null(sh);
    sh->endpoint = h->endpoint;
    sh->codes = codes;
    sh->n_clients = CLIENTS;
    for (int t = 0; t < CLIENTS; t++) {
        client *c = &sh->clients[t];
        c->index = t;
        c->sh = sh;
        c->rng = seed ^ (0x1000193ULL * (uint64_t)(t + 1));
        for (size_t i = (size_t)t; i < n_codes; i += CLIENTS)
            c->resp[c->n_resp++] = i; /* disjoint slices */
    }
    long long t0 = now_ms();
    assert_true(start_clients(sh));

    uint64_t rng = seed;
    char failure[1024] = "";
    int kills = 0, kills_in_flight = 0;
    unsigned long acks_at_start = 0;
    unsigned starts = 1;
    for (int k = 0; k < COLLECTOR_KILLS; k++) {
        /* this collector serves and has committed something before it
         * dies */
        if (!wait_count(h->log, READY, starts)) {
            snprintf(failure, sizeof failure,
                     "start %u of the collector never got ready", starts);
            break;
        }
        if (!wait_for_acks(sh, acks_at_start)) {
            snprintf(failure, sizeof failure,
                     "no ack within 30 s of start %d of the collector", k);
            break;
        }
        sleep_ms(20 + (long)rand_below(&rng, 281));
        unsigned gen = atomic_load(&sh->gen);
        int in_flight = 0;
        for (int t = 0; t < CLIENTS; t++)
            in_flight += atomic_load(&sh->clients[t].in_flight) != 0 &&
                         atomic_load(&sh->clients[t].sent_gen) == gen;
        pid_t old = h->pid;
        int status = sv_harness_stop(h, SIGKILL);
        if (status == -1 || !WIFSIGNALED(status) ||
            WTERMSIG(status) != SIGKILL) {
            snprintf(failure, sizeof failure,
                     "collector %d (pid %d) did not die of our SIGKILL: "
                     "status %d",
                     k, (int)old, status);
            break;
        }
        kills++;
        kills_in_flight += in_flight > 0;
        atomic_fetch_add(&sh->gen, 1);
        if (sv_harness_start(h, NULL) != 0) {
            snprintf(failure, sizeof failure,
                     "the collector does not start again after kill %d", k + 1);
            break;
        }
        starts++;
        if (h->pid == old || h->pid == 0) {
            snprintf(failure, sizeof failure, "same pid %d after restart",
                     (int)old);
            break;
        }
        acks_at_start = atomic_load(&sh->acks);
    }
    if (failure[0] == '\0' && (!wait_count(h->log, READY, starts) ||
                               !wait_for_acks(sh, acks_at_start)))
        snprintf(failure, sizeof failure,
                 "no ack from the last collector within 30 s");
    atomic_store(&sh->stop, true);
    if (failure[0] != '\0')
        atomic_store(&sh->abort, true);
    join_clients(sh);
    long long load_ms = now_ms() - t0;
    const char *cf = client_failure(sh);
    if (failure[0] != '\0' || cf != NULL) {
        fprintf(stderr, "crash-test: %s%s%s\n", cf != NULL ? "client: " : "",
                cf != NULL ? cf : "", cf != NULL ? "" : failure);
        free_clients(sh);
        fail_msg("collector crash test failed (see above)");
    }
    assert_int_equal(kills, COLLECTOR_KILLS);
    /* nearly every kill hits submissions in flight */
    assert_true(kills_in_flight >= kills / 2);

    unsigned long acked = 0, dups = 0, resends = 0, conflicts = 0, unknown = 0;
    for (int t = 0; t < CLIENTS; t++) {
        const client *c = &sh->clients[t];
        acked += c->acks;
        dups += c->dups;
        resends += c->resends;
        conflicts += c->conflicts;
        for (size_t i = 0; i < c->n_recs; i++)
            unknown += c->recs[i].sends > 1;
        assert_true(c->acks > 0);
    }

    /* through the collector, still running */
    tally wire = {0};
    check_through_collector(h, sh, &wire);
    if (wire.problems != 0)
        fail_msg("%d problems in the stored histories (lost %lu): see above",
                 wire.problems, wire.lost);
    assert_int_equal(wire.revisions, acked);
    unsigned long resent = resend_everything(h, sh);

    /* a clean stop, then the store read directly */
    int status = sv_harness_stop(h, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    tally store = {0};
    check_store(h, sh, &store);
    if (store.problems != 0)
        fail_msg("%d problems in the store (lost %lu): see above",
                 store.problems, store.lost);
    assert_int_equal(store.revisions, acked);
    assert_int_equal(run_mdb_stat(h->data), 0);
    /* every start got ready; no failed commit, no storage error replied */
    assert_int_equal(count_in_file(h->log, STARTING), starts);
    assert_int_equal(count_in_file(h->log, READY), starts);
    assert_int_equal(count_in_file(h->log, "stopped cleanly"), 1);
    assert_int_equal(count_in_file(h->log, "commit of"), 0);
    assert_int_equal(count_in_file(h->log, "INTERNAL"), 0);
    assert_int_equal(count_in_file(h->log, "UNAVAILABLE"), 0);
    assert_int_equal(count_in_file(h->log, "runtime error"), 0);
    assert_int_equal(count_in_file(h->log, "Sanitizer"), 0);

    printf("crash-test: %d kills (%d with submissions in flight) in %lld ms; "
           "%lu requests resent after no reply (%lu outcomes unknown), "
           "%lu stale corrections refused, %lu requests resent at the end "
           "(all duplicates or refused)\n",
           kills, kills_in_flight, load_ms, resends, unknown, conflicts,
           resent);
    printf("crash-test collector kills %d acked %lu lost %lu "
           "duplicates-after-restart %lu\n",
           kills, acked, wire.lost + store.lost, dups);
    free_clients(sh);
    cs->passed = true;
}

/* ---- 2. the aggregator --------------------------------------------------- */

/* 0 and *out, 1 when there is no snapshot, -1 on a failed call. */
static int fetch_snapshot(const char *endpoint, uint64_t version,
                          bool header_only, Survey__V1__Reply **out)
{
    Survey__V1__SnapshotRequest r = SURVEY__V1__SNAPSHOT_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    r.version = version;
    r.header_only = header_only;
    req.body_case = SURVEY__V1__REQUEST__BODY_SNAPSHOT;
    req.snapshot = &r;
    Survey__V1__Reply *reply = NULL;
    if (sv_harness_call(endpoint, &req, &reply, CALL_TIMEOUT) != 0)
        return -1;
    if (reply->body_case == SURVEY__V1__REPLY__BODY_SNAPSHOT) {
        *out = reply;
        return 0;
    }
    bool none = reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
                reply->error->code == SURVEY__V1__ERROR__CODE__NOT_FOUND;
    free_reply(reply);
    return none ? 1 : -1;
}

/* The log's position and the latest snapshot's sequence (-1: none). */
static int fetch_status(const char *endpoint, uint64_t *log_seq,
                        long long *snap_seq)
{
    Survey__V1__StatusRequest r = SURVEY__V1__STATUS_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_STATUS;
    req.status = &r;
    Survey__V1__Reply *reply = NULL;
    if (sv_harness_call(endpoint, &req, &reply, CALL_TIMEOUT) != 0)
        return -1;
    int rc = -1;
    if (reply->body_case == SURVEY__V1__REPLY__BODY_STATUS) {
        *log_seq = reply->status->log_sequence;
        *snap_seq = reply->status->snapshot != NULL
                        ? (long long)reply->status->snapshot->sequence
                        : -1;
        rc = 0;
    }
    free_reply(reply);
    return rc;
}

/* Waits for a snapshot at sequence >= seq and returns it in full. */
static Survey__V1__Reply *wait_snapshot(const char *endpoint, uint64_t seq)
{
    for (long long end = now_ms() + 60000; now_ms() < end; sleep_ms(50)) {
        Survey__V1__Reply *head = NULL;
        int rc = fetch_snapshot(endpoint, 0, true, &head);
        assert_true(rc >= 0);
        if (rc == 1)
            continue;
        uint64_t version = head->snapshot->version;
        bool there = head->snapshot->sequence >= seq;
        free_reply(head);
        if (!there)
            continue;
        Survey__V1__Reply *full = NULL;
        assert_int_equal(fetch_snapshot(endpoint, version, false, &full), 0);
        return full;
    }
    fail_msg("no snapshot reached sequence %llu in 60 s",
             (unsigned long long)seq);
    return NULL;
}

/* The digest recomputed independently (contract_digest.h). */
static bool digest_ok(const Survey__V1__Snapshot *snap)
{
    uint8_t hash[32];

    sv_contract_digest(snap, hash);
    return snap->digest.len == 32 && memcmp(hash, snap->digest.data, 32) == 0;
}

static bool same_digest(const Survey__V1__Snapshot *a,
                        const Survey__V1__Snapshot *b)
{
    return a->digest.len == 32 && b->digest.len == 32 &&
           memcmp(a->digest.data, b->digest.data, 32) == 0;
}

static void test_aggregator_kills(void **state)
{
    crash_state *cs = *state;
    sv_harness *h = &cs->h;
    assert_true(sodium_init() >= 0);
    uint64_t seed = base_seed() ^ 0xa99a99ULL;
    static char codes[ROSTER_MAX][8];
    size_t n_codes = load_roster(codes, ROSTER_MAX);
    assert_int_equal(n_codes, 137);
    const char *const agg[] = {"--debounce", "30", "--poll", "200", NULL};
    assert_int_equal(sv_harness_start(h, NULL), 0);
    assert_int_equal(sv_harness_start_aggregator(h, agg), 0);

    shared *sh = calloc(1, sizeof *sh);
    assert_non_null(sh);
    sh->endpoint = h->endpoint;
    sh->codes = codes;
    sh->n_clients = 1;
    client *c = &sh->clients[0];
    c->sh = sh;
    c->rng = seed;
    c->pace_ms = 60;      /* gaps let the debounce snapshot fire */
    c->control_every = 8; /* reruns and snapshot requests in the log */
    for (size_t i = 0; i < n_codes; i++)
        c->resp[c->n_resp++] = i;
    long long t0 = now_ms();
    assert_true(start_clients(sh));

    uint64_t rng = seed;
    char failure[1024] = "";
    int kills = 0, kills_behind = 0, kills_starting = 0;
    unsigned starts = 1, readies = 1; /* lines the current process logs */
    for (int k = 0; k < AGGREGATOR_KILLS && !atomic_load(&sh->abort); k++) {
        /* one kill in four while it starts (rebuilding its tables from the
         * stored answers and writing the snapshot that catches up), the
         * others 20-300 ms after it got ready */
        bool early = k % 4 == 3;
        if (!wait_count(h->agg_log, early ? STARTING : READY,
                        early ? starts : readies)) {
            snprintf(failure, sizeof failure,
                     "start %u of the aggregator did not log \"%s\"", starts,
                     early ? STARTING : READY);
            break;
        }
        sleep_ms(early ? (long)rand_below(&rng, 11)
                       : 20 + (long)rand_below(&rng, 281));
        uint64_t log_seq = 0;
        long long snap_seq = -1;
        if (fetch_status(h->endpoint, &log_seq, &snap_seq) == 0 &&
            (long long)log_seq > snap_seq)
            kills_behind++;
        pid_t old = h->agg_pid;
        int status = sv_harness_stop_aggregator(h, SIGKILL);
        if (status == -1 || !WIFSIGNALED(status) ||
            WTERMSIG(status) != SIGKILL) {
            snprintf(failure, sizeof failure,
                     "aggregator %d (pid %d) did not die of our SIGKILL: "
                     "status %d",
                     k, (int)old, status);
            break;
        }
        kills++;
        unsigned ready_lines = count_in_file(h->agg_log, READY);
        kills_starting += ready_lines < readies;
        readies = ready_lines + 1; /* the next process's */
        if (sv_harness_start_aggregator(h, agg) != 0) {
            snprintf(failure, sizeof failure,
                     "the aggregator does not start again after kill %d",
                     k + 1);
            break;
        }
        starts++;
        if (h->agg_pid == old || h->agg_pid == 0) {
            snprintf(failure, sizeof failure, "same pid %d after restart",
                     (int)old);
            break;
        }
    }
    atomic_store(&sh->stop, true);
    if (failure[0] != '\0')
        atomic_store(&sh->abort, true);
    join_clients(sh);
    long long load_ms = now_ms() - t0;
    const char *cf = client_failure(sh);
    if (failure[0] != '\0' || cf != NULL) {
        fprintf(stderr, "crash-test: %s%s%s\n", cf != NULL ? "client: " : "",
                cf != NULL ? cf : "", cf != NULL ? "" : failure);
        free_clients(sh);
        fail_msg("aggregator crash test failed (see above)");
    }
    assert_int_equal(kills, AGGREGATOR_KILLS);
    assert_true(c->acks > 0);
    assert_true(c->controls > 0);
    unsigned long acks = c->acks, controls = c->controls;
    free_clients(sh);
    assert_true(wait_count(h->agg_log, READY, readies));

    /* settle: the latest snapshot reflects the whole log */
    uint64_t log_seq = 0;
    long long snap_seq = -1;
    for (long long end = now_ms() + 60000;; sleep_ms(50)) {
        assert_int_equal(fetch_status(h->endpoint, &log_seq, &snap_seq), 0);
        if (snap_seq == (long long)log_seq)
            break;
        if (snap_seq > (long long)log_seq)
            fail_msg("the latest snapshot (sequence %lld) is ahead of the "
                     "log (%llu)",
                     snap_seq, (unsigned long long)log_seq);
        if (now_ms() > end)
            fail_msg("the aggregator did not settle: log %llu, snapshot %lld",
                     (unsigned long long)log_seq, snap_seq);
    }
    Survey__V1__Reply *settled = wait_snapshot(h->endpoint, log_seq);
    assert_int_equal(settled->snapshot->sequence, log_seq);

    /* a full rerun at the same position gives the same tables */
    Survey__V1__RerunRequest rr = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    rr.full = true;
    req.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    req.rerun = &rr;
    Survey__V1__Reply *queued = NULL;
    assert_int_equal(sv_harness_call(h->endpoint, &req, &queued, CALL_TIMEOUT),
                     0);
    assert_int_equal(queued->body_case, SURVEY__V1__REPLY__BODY_QUEUED);
    uint64_t rerun_seq = queued->queued->sequence;
    assert_int_equal(rerun_seq, log_seq + 1);
    free_reply(queued);
    Survey__V1__Reply *rerun = wait_snapshot(h->endpoint, rerun_seq);
    assert_string_equal(rerun->snapshot->trigger, "rerun");
    assert_int_equal(rerun->snapshot->sequence, rerun_seq);
    assert_int_equal(rerun->snapshot->version, settled->snapshot->version + 1);
    bool equal = same_digest(settled->snapshot, rerun->snapshot);
    if (!equal)
        fprintf(stderr,
                "crash-test: snapshot %llu (incremental, seq %llu) and %llu "
                "(rerun) differ\n",
                (unsigned long long)settled->snapshot->version,
                (unsigned long long)log_seq,
                (unsigned long long)rerun->snapshot->version);
    assert_true(equal);
    uint64_t latest = rerun->snapshot->version;
    free_reply(settled);
    free_reply(rerun);

    /* versions 1..latest, each readable, digest right, sequences in order */
    uint64_t *seqs = calloc(latest + 1, sizeof *seqs);
    uint8_t(*digests)[32] = calloc(latest + 1, sizeof *digests);
    assert_non_null(seqs);
    assert_non_null(digests);
    for (uint64_t v = 1; v <= latest; v++) {
        Survey__V1__Reply *reply = NULL;
        if (fetch_snapshot(h->endpoint, v, false, &reply) != 0)
            fail_msg("snapshot version %llu of %llu is not readable",
                     (unsigned long long)v, (unsigned long long)latest);
        const Survey__V1__Snapshot *s = reply->snapshot;
        assert_int_equal(s->version, v);
        assert_string_equal(s->survey, SURVEY);
        if (!digest_ok(s))
            fail_msg("snapshot %llu: stored digest is not its content's",
                     (unsigned long long)v);
        seqs[v] = s->sequence;
        memcpy(digests[v], s->digest.data, 32);
        if (v > 1 && seqs[v] < seqs[v - 1])
            fail_msg("snapshot %llu at sequence %llu, after %llu at %llu",
                     (unsigned long long)v, (unsigned long long)seqs[v],
                     (unsigned long long)(v - 1),
                     (unsigned long long)seqs[v - 1]);
        free_reply(reply);
    }
    Survey__V1__Reply *none = NULL;
    assert_int_equal(fetch_snapshot(h->endpoint, latest + 1, true, &none), 1);

    /* clean stops; then the store, read directly */
    int status = sv_harness_stop_aggregator(h, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    status = sv_harness_stop(h, SIGTERM);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    sv_store *s = NULL;
    sv_error err = {{0}};
    sv_store_options ro = {.read_only = true};
    if (sv_store_open(&s, h->data, &ro, &err) != SV_OK)
        fail_msg("the environment does not open: %s", err.msg);
    uint64_t wm_seq = 0, wm_version = 0;
    assert_int_equal(sv_store_watermark(s, SURVEY, &wm_seq, &wm_version, &err),
                     SV_OK);
    assert_int_equal(wm_version, latest);
    assert_int_equal(wm_seq, rerun_seq);
    change_list log = {0};
    read_changes(s, &log);
    sv_store_destroy(&s);
    assert_int_equal(log.n, rerun_seq);
    /* answers[q] = the last ANSWERS sequence <= q */
    uint64_t *answers = calloc(log.n + 1, sizeof *answers);
    assert_non_null(answers);
    for (size_t i = 0; i < log.n; i++) {
        assert_int_equal(log.rows[i].seq, i + 1);
        answers[i + 1] =
            log.rows[i].kind == SV_CHANGE_ANSWERS ? i + 1 : answers[i];
    }
    /* snapshots of the same answers have the same tables, however reached
     * (incrementally, rebuilt at a restart, rerun) */
    unsigned long same_pairs = 0;
    for (uint64_t v = 2; v <= latest; v++) {
        assert_true(seqs[v] <= log.n);
        if (answers[seqs[v]] != answers[seqs[v - 1]])
            continue;
        same_pairs++;
        if (memcmp(digests[v], digests[v - 1], 32) != 0)
            fail_msg("snapshots %llu and %llu reflect the same answers "
                     "(seq %llu) but differ",
                     (unsigned long long)(v - 1), (unsigned long long)v,
                     (unsigned long long)answers[seqs[v]]);
    }
    free(answers);
    free(log.rows);
    free(seqs);
    free(digests);
    assert_int_equal(run_mdb_stat(h->data), 0);
    assert_int_equal(count_in_file(h->agg_log, STARTING), starts);
    assert_int_equal(count_in_file(h->agg_log, READY),
                     starts - (unsigned)kills_starting);
    assert_int_equal(count_in_file(h->agg_log, "stopped cleanly"), 1);
    assert_int_equal(count_in_file(h->agg_log, "stopped on error"), 0);
    assert_int_equal(count_in_file(h->agg_log, "cannot"), 0);
    assert_int_equal(count_in_file(h->log, "commit of"), 0);
    assert_int_equal(count_in_file(h->agg_log, "runtime error"), 0);
    assert_int_equal(count_in_file(h->agg_log, "Sanitizer"), 0);
    assert_int_equal(count_in_file(h->log, "runtime error"), 0);
    assert_int_equal(count_in_file(h->log, "Sanitizer"), 0);

    printf("crash-test: %d aggregator kills (%d while it was behind the log, "
           "%d before it was ready) in %lld ms; %lu acks, %lu reruns/snapshot "
           "requests; %lu pairs of successive snapshots at the same answers, "
           "all equal\n",
           kills, kills_behind, kills_starting, load_ms, acks, controls,
           same_pairs);
    printf("crash-test aggregator kills %d snapshots %llu digest-equal yes\n",
           kills, (unsigned long long)latest);
    cs->passed = true;
}

/* ---- 3. a power cut ------------------------------------------------------ */

/* A SIGKILL keeps the page cache, so the tests above cannot tell an ack
 * sent before its commit was flushed from one sent after. Here the
 * collector runs with writelog_shim.c preloaded, which logs every write to
 * data.mdb and every flush of it; after a SIGKILL under load, data.mdb is
 * rebuilt as a power cut could have left it (writelog.h: the durable writes
 * only, or with any of the others), and each image must hold every acked
 * submission. */

/* Cuts of two kinds, CUT_ROUNDS of each, alternating: right after an ack
 * (an ack sent before its flush would be lost), and right after a write of
 * the store's (the shim kills the collector: that write, at least, is not
 * flushed). In the last two rounds every flush is held back for
 * CUT_SYNC_DELAY_US after it is asked for: a flush is quick on an idle disk,
 * and an ack sent before it returned would rarely be caught without. */
#define CUT_ROUNDS 3
#define CUT_SYNC_DELAY_US 20000
#define CUT_MIXED 5 /* images per cut with half the unflushed writes */

typedef struct {
    record *recs; /* in the order sent; each respondent's in revision order */
    size_t n, cap;
    size_t *pending; /* per respondent: index + 1 of the one in flight */
    uint64_t *last;  /* per respondent: the last acked revision */
    unsigned long acks;
} cut_run;

static record *cut_record(cut_run *run)
{
    if (run->n == run->cap) {
        size_t cap = run->cap == 0 ? 1024 : run->cap * 2;
        record *bigger = realloc(run->recs, cap * sizeof *bigger);
        assert_non_null(bigger);
        run->recs = bigger;
        run->cap = cap;
    }
    record *r = &run->recs[run->n++];
    memset(r, 0, sizeof *r);
    return r;
}

/* Sends the next submission of respondent i (base: its last ack). */
static void cut_send(void *sock, cut_run *run, uint64_t *rng, char (*codes)[8],
                     size_t i, int round)
{
    record *r = cut_record(run);
    size_t k = run->n; /* the request id: index + 1 */
    r->respondent = i;
    r->base = run->last[i];
    snprintf(r->id, sizeof r->id, "cut-%d-%zu", round, k);
    r->bytes =
        build_submission(rng, codes[i], r->id, r->base, "停電", k, &r->len);
    assert_non_null(r->bytes);
    assert_int_equal(zmq_send(sock, r->bytes, r->len, 0), (int)r->len);
    run->pending[i] = k;
}

/* Takes one reply: an ack of the next revision of the respondent that sent
 * it. */
static void cut_take(cut_run *run, char (*codes)[8], const void *data,
                     size_t len)
{
    Survey__V1__Reply *reply = survey__v1__reply__unpack(NULL, len, data);
    assert_non_null(reply);
    if (reply->body_case != SURVEY__V1__REPLY__BODY_ACK)
        fail_msg("power cut: reply %d to request %llu: %s",
                 (int)reply->body_case, (unsigned long long)reply->request_id,
                 reply->body_case == SURVEY__V1__REPLY__BODY_ERROR
                     ? reply->error->message
                     : "not an ack");
    assert_true(reply->request_id >= 1 && reply->request_id <= run->n);
    record *r = &run->recs[reply->request_id - 1];
    const Survey__V1__Ack *ack = reply->ack;
    assert_string_equal(ack->submission_id, r->id);
    assert_string_equal(ack->respondent, codes[r->respondent]);
    assert_int_equal(ack->revision, run->last[r->respondent] + 1);
    assert_false(ack->duplicate);
    r->out = OUT_ACKED;
    r->revision = ack->revision;
    r->sequence = ack->sequence;
    r->missing = join(ack->missing, ack->n_missing);
    run->last[r->respondent] = ack->revision;
    run->pending[r->respondent] = 0;
    run->acks++;
    free_reply(reply);
}

/* Submits for every respondent, one request each in flight, until the
 * collector dies: SIGKILLed right after ack number kill_at, or (kill_at 0)
 * by the shim itself (SV_WRITELOG_KILL_AT). */
static void cut_load(sv_harness *h, cut_run *run, char (*codes)[8],
                     size_t n_codes, uint64_t *rng, int round,
                     unsigned long kill_at)
{
    void *ctx = zmq_ctx_new();
    assert_non_null(ctx);
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    assert_non_null(sock);
    int linger = 0;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(zmq_connect(sock, h->endpoint), 0);
    for (size_t i = 0; i < n_codes; i++)
        cut_send(sock, run, rng, codes, i, round);
    int status = 0;
    long long quiet_since = now_ms();
    while (kill_at == 0 || run->acks < kill_at) {
        zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&item, 1, 50);
        assert_true(rc >= 0);
        if (rc == 0) {
            if (kill_at == 0 && waitpid(h->pid, &status, WNOHANG) == h->pid) {
                h->pid = 0;
                break;
            }
            if (now_ms() - quiet_since > CALL_TIMEOUT)
                fail_msg("power cut: no reply in %d ms after %lu acks",
                         CALL_TIMEOUT, run->acks);
            continue;
        }
        quiet_since = now_ms();
        zmq_msg_t msg;
        assert_int_equal(zmq_msg_init(&msg), 0);
        assert_true(zmq_msg_recv(&msg, sock, 0) >= 0);
        cut_take(run, codes, zmq_msg_data(&msg), zmq_msg_size(&msg));
        zmq_msg_close(&msg);
        for (size_t i = 0; i < n_codes && run->acks != kill_at; i++) {
            if (run->pending[i] == 0)
                cut_send(sock, run, rng, codes, i, round);
        }
    }
    if (h->pid != 0)
        status = sv_harness_stop(h, SIGKILL);
    assert_true(status != -1 && WIFSIGNALED(status) &&
                WTERMSIG(status) == SIGKILL);
    zmq_close(sock);
    zmq_ctx_term(ctx);
}

/* One image of data.mdb: it opens; each respondent's revisions are 1..n,
 * the acked ones exactly as acked and sent, and at most one more, the one
 * in flight; the change log is 1..M, one entry per stored revision.
 * Returns the problems found (printed). */
static int cut_check(const char *dir, const char *what, const cut_run *run,
                     char (*codes)[8], size_t n_codes, unsigned long *lost)
{
    sv_store *s = NULL;
    sv_error err = {{0}};
    sv_store_options ro = {.read_only = true};
    if (sv_store_open(&s, dir, &ro, &err) != SV_OK) {
        fprintf(stderr, "power cut, %s: the store does not open: %s\n", what,
                err.msg);
        return 1;
    }
    tally t = {0};
    size_t stored = 0;
    for (size_t i = 0; i < n_codes; i++) {
        Survey__V1__Revision **revs = NULL;
        size_t n = 0;
        sv_status st = sv_store_history(s, SURVEY, codes[i], &revs, &n, &err);
        if (st == SV_ERR_NOT_FOUND) {
            revs = NULL;
            n = 0;
        } else if (st != SV_OK) {
            fprintf(stderr, "power cut, %s: history of %s: %s\n", what,
                    codes[i], err.msg);
            t.problems++;
            continue;
        }
        stored += n;
        uint64_t last = run->last[i];
        if (n < last) {
            fprintf(stderr,
                    "power cut, %s: LOST: %s has %zu revisions, revision "
                    "%llu was acked\n",
                    what, codes[i], n, (unsigned long long)last);
            t.problems++;
            *lost += last - n;
        }
        if (n > last + 1 || (n == last + 1 && run->pending[i] == 0)) {
            fprintf(stderr,
                    "power cut, %s: %s has %zu revisions, acked %llu, %s in "
                    "flight\n",
                    what, codes[i], n, (unsigned long long)last,
                    run->pending[i] != 0 ? "one" : "none");
            t.problems++;
        }
        size_t rev = 0;
        for (size_t k = 0; k < run->n; k++) {
            const record *r = &run->recs[k];
            if (r->respondent != i || rev >= n)
                continue;
            if (revs[rev]->revision != rev + 1) {
                fprintf(stderr, "power cut, %s: %s: revision %llu at %zu\n",
                        what, codes[i], (unsigned long long)revs[rev]->revision,
                        rev + 1);
                t.problems++;
            }
            if (r->out == OUT_ACKED)
                t.problems += compare_revision(what, revs[rev], r);
            else if (strcmp(revs[rev]->submission_id, r->id) != 0) {
                fprintf(stderr,
                        "power cut, %s: %s revision %zu is %s, in flight "
                        "was %s\n",
                        what, codes[i], rev + 1, revs[rev]->submission_id,
                        r->id);
                t.problems++;
            }
            rev++;
        }
        if (revs != NULL)
            sv_store_free_revisions(revs, n);
    }
    change_list log = {0};
    read_changes(s, &log);
    uint64_t last_seq = 0;
    if (sv_store_last_sequence(s, &last_seq, &err) != SV_OK ||
        last_seq != log.n || log.n != stored) {
        fprintf(stderr,
                "power cut, %s: %zu changes, last sequence %llu, %zu "
                "revisions stored\n",
                what, log.n, (unsigned long long)last_seq, stored);
        t.problems++;
    }
    for (size_t k = 0; k < log.n; k++) {
        if (log.rows[k].seq != k + 1 || log.rows[k].bad ||
            log.rows[k].kind != SV_CHANGE_ANSWERS) {
            fprintf(stderr,
                    "power cut, %s: change %zu: sequence %llu, kind %d\n", what,
                    k + 1, (unsigned long long)log.rows[k].seq,
                    log.rows[k].kind);
            t.problems++;
        }
    }
    free(log.rows);
    sv_store_destroy(&s);
    if (run_mdb_stat(dir) != 0) {
        fprintf(stderr, "power cut, %s: mdb_stat -a fails\n", what);
        t.problems++;
    }
    return t.problems;
}

/* Sets name to value, or unsets it (value NULL). */
static void put_env(const char *name, const char *value)
{
    assert_int_equal(value != NULL ? setenv(name, value, 1) : unsetenv(name),
                     0);
}

/* Starts the collector with the shim preloaded, logging to log, killing
 * it after write number kill_at (0: never), and holding each flush back
 * by delay_us. */
static void cut_start(sv_harness *h, const char *log, unsigned long kill_at,
                      unsigned long delay_us)
{
    char file[512], asan[1024], kill_text[32], delay_text[32];
    const char *old_asan = getenv("ASAN_OPTIONS");
    const char *old_preload = getenv("LD_PRELOAD");
    snprintf(file, sizeof file, "%s/data.mdb", h->data);
    /* the shim comes before ASan's runtime in the list of libraries */
    snprintf(asan, sizeof asan, "%s%sverify_asan_link_order=0",
             old_asan != NULL ? old_asan : "",
             old_asan != NULL && old_asan[0] != '\0' ? ":" : "");
    char *saved = old_asan != NULL ? strdup(old_asan) : NULL;
    char *saved_preload = old_preload != NULL ? strdup(old_preload) : NULL;
    assert_true((old_asan == NULL || saved != NULL) &&
                (old_preload == NULL || saved_preload != NULL));
    put_env("SV_WRITELOG_FILE", file);
    put_env("SV_WRITELOG_LOG", log);
    put_env("LD_PRELOAD", SV_WRITELOG_SHIM);
    put_env("ASAN_OPTIONS", asan);
    snprintf(kill_text, sizeof kill_text, "%lu", kill_at);
    put_env("SV_WRITELOG_KILL_AT", kill_text);
    snprintf(delay_text, sizeof delay_text, "%lu", delay_us);
    put_env("SV_WRITELOG_SYNC_DELAY_US", delay_text);
    int rc = sv_harness_start(h, NULL);
    put_env("SV_WRITELOG_SYNC_DELAY_US", NULL);
    put_env("SV_WRITELOG_KILL_AT", NULL);
    put_env("SV_WRITELOG_FILE", NULL);
    put_env("SV_WRITELOG_LOG", NULL);
    put_env("LD_PRELOAD", saved_preload);
    put_env("ASAN_OPTIONS", saved);
    free(saved);
    free(saved_preload);
    assert_int_equal(rc, 0);
}

static void test_power_cut(void **state)
{
    crash_state *cs = *state;
    sv_harness *h = &cs->h;
    uint64_t seed = base_seed() ^ 0x5eed0c07ULL;
    static char codes[ROSTER_MAX][8];
    size_t n_codes = load_roster(codes, ROSTER_MAX);
    assert_int_equal(n_codes, 137);
    assert_int_equal(sv_harness_prepare(h), 0);
    uint64_t rng = seed;
    int problems = 0;
    unsigned long lost = 0, acks = 0, images = 0;
    size_t syncs = 0;
    for (int round = 1; round <= 2 * CUT_ROUNDS; round++) {
        char log_path[512], img[512], img_file[600], cmd[1200];
        snprintf(log_path, sizeof log_path, "%s/writes-%d.log", h->dir, round);
        snprintf(img, sizeof img, "%s/image", h->dir);
        snprintf(img_file, sizeof img_file, "%s/data.mdb", img);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", h->data, img);
        assert_int_equal(system(cmd), 0);

        /* odd rounds: at an ack; even ones: at a write */
        bool at_ack = round % 2 == 1;
        unsigned long kill_at =
            at_ack ? 200 + (unsigned long)rand_below(&rng, 1000)
                   : 30 + (unsigned long)rand_below(&rng, 300);
        unsigned long delay =
            round > 2 * CUT_ROUNDS - 2 ? CUT_SYNC_DELAY_US : 0;
        cut_start(h, log_path, at_ack ? 0 : kill_at, delay);
        cut_run run = {0};
        run.pending = calloc(n_codes, sizeof *run.pending);
        run.last = calloc(n_codes, sizeof *run.last);
        assert_true(run.pending != NULL && run.last != NULL);
        cut_load(h, &run, codes, n_codes, &rng, round, at_ack ? kill_at : 0);
        acks += run.acks;

        wl_log wl;
        assert_int_equal(wl_load(log_path, &wl), 0);
        /* the shim saw the store's writes and flushes */
        assert_true(wl.writes > 0 && wl.syncs > 0 && wl.durable > 0);
        syncs += wl.syncs;
        for (int v = 0; v <= CUT_MIXED + 1; v++) {
            /* 0: the flushed writes alone; then some of the others; last:
               all of them, as the SIGKILL left the file */
            unsigned keep = v == 0 ? 0 : v == CUT_MIXED + 1 ? 1000 : 500;
            char what[96];
            snprintf(what, sizeof what, "round %d image %d (%u/1000 kept)",
                     round, v, keep);
            snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir '%s'", img, img);
            assert_int_equal(system(cmd), 0);
            assert_int_equal(wl_image(&wl, img_file, &rng, keep), 0);
            /* the log is the file: with every write, the image is data.mdb
               as the kill left it (after a kill at a write, where the one
               thread that writes was stopped between two of them) */
            if (keep == 1000 && !at_ack) {
                snprintf(cmd, sizeof cmd, "cmp '%s' '%s/data.mdb'", img_file,
                         h->data);
                assert_int_equal(system(cmd), 0);
            }
            problems += cut_check(img, what, &run, codes, n_codes, &lost);
            images++;
        }
        printf("crash-test: power cut %d, after %s %lu%s: %lu acks, %zu "
               "writes, %zu flushes, %zu writes not flushed\n",
               round, at_ack ? "ack" : "write", kill_at,
               delay > 0 ? " (flushes held back)" : "", run.acks, wl.writes,
               wl.syncs, wl.maybe);
        /* every cut checks acked submissions */
        assert_true(run.acks > 0);
        wl_free(&wl);
        for (size_t k = 0; k < run.n; k++) {
            free(run.recs[k].bytes);
            free(run.recs[k].missing);
        }
        free(run.recs);
        free(run.pending);
        free(run.last);
        assert_int_equal(count_in_file(h->log, "runtime error"), 0);
        assert_int_equal(count_in_file(h->log, "Sanitizer"), 0);
    }
    printf("crash-test power cuts %d images %lu acks %lu flushes %zu lost %lu "
           "problems %d\n",
           2 * CUT_ROUNDS, images, acks, syncs, lost, problems);
    assert_int_equal(lost, 0);
    assert_int_equal(problems, 0);
    cs->passed = true;
}

/* ---- 4. a meta page that cannot be written ------------------------------ */

/* LMDB gives up on an environment whose meta page could not be written
 * (MDB_PANIC from then on). The shim fails one meta-page update with EIO
 * while submissions come in one at a time: the ones before are acked, that
 * one is refused with a message that names the cause and the restart, and
 * the collector stops by itself with an error (no transaction could
 * succeed in it again; a supervisor restarts it). After the restart the
 * acked ones are there (their resends are duplicates), and the refused one
 * and those never sent were not written (theirs are new). */
#define META_SUBMISSIONS 40
#define META_FAIL_AT "12" /* a few are spent opening the store */
#define META_EXIT_MS 20000

/* Waits up to ms for the collector to exit by itself; its wait status, or
 * -1 if it is still running (then it is killed). */
static int wait_own_exit(sv_harness *h, int ms)
{
    for (long long end = now_ms() + ms; now_ms() < end; sleep_ms(20)) {
        int status = 0;
        pid_t got = waitpid(h->pid, &status, WNOHANG);
        if (got == h->pid) {
            h->pid = 0;
            return status;
        }
        if (got < 0 && errno != EINTR)
            return -1;
    }
    (void)sv_harness_stop(h, SIGKILL);
    return -1;
}

/* Starts the collector with the shim preloaded and the failure that
 * env_name = at asks of it (writelog_shim.c), logging to DIR/log_name. */
static void start_failing(sv_harness *h, const char *log_name,
                          const char *env_name, const char *at,
                          unsigned long delay_us)
{
    char log_path[512];
    assert_int_equal(sv_harness_prepare(h), 0);
    snprintf(log_path, sizeof log_path, "%s/%s", h->dir, log_name);
    put_env(env_name, at);
    cut_start(h, log_path, 0, delay_us);
    put_env(env_name, NULL);
}

/* Waits for the collector to stop by itself with a non-zero exit status
 * (what) and returns it. */
static int expect_error_exit(sv_harness *h, const char *what)
{
    int status = wait_own_exit(h, META_EXIT_MS);
    if (status == -1)
        fail_msg("the collector went on after %s", what);
    assert_true(WIFEXITED(status));
    assert_int_not_equal(WEXITSTATUS(status), 0);
    assert_int_equal(count_in_file(h->log, "stopped on error"), 1);
    return WEXITSTATUS(status);
}

static void test_meta_write_fails(void **state)
{
    crash_state *cs = *state;
    sv_harness *h = &cs->h;
    static char codes[ROSTER_MAX][8];
    assert_true(load_roster(codes, ROSTER_MAX) >= META_SUBMISSIONS);
    start_failing(h, "writes-meta.log", "SV_WRITELOG_FAIL_META_AT",
                  META_FAIL_AT, 0);

    uint64_t rng = base_seed() ^ 0x3e7aULL;
    uint8_t *bytes[META_SUBMISSIONS];
    size_t lens[META_SUBMISSIONS];
    char ids[META_SUBMISSIONS][32];
    for (int i = 0; i < META_SUBMISSIONS; i++) {
        snprintf(ids[i], sizeof ids[i], "meta-%d", i);
        bytes[i] = build_submission(&rng, codes[i], ids[i], 0, "meta",
                                    (uint64_t)i + 1, &lens[i]);
        assert_non_null(bytes[i]);
    }
    int n_acked = 0;
    bool refused = false;
    for (int i = 0; i < META_SUBMISSIONS && !refused; i++) {
        Survey__V1__Reply *reply = NULL;
        assert_int_equal(sv_harness_call_raw(h->endpoint, bytes[i], lens[i],
                                             &reply, CALL_TIMEOUT),
                         0);
        if (reply->body_case == SURVEY__V1__REPLY__BODY_ACK) {
            assert_int_equal(reply->ack->revision, 1);
            n_acked++;
        } else {
            assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ERROR);
            assert_int_equal(reply->error->code,
                             SURVEY__V1__ERROR__CODE__INTERNAL);
            if (strstr(reply->error->message, "meta page failed") == NULL ||
                strstr(reply->error->message, "restarted") == NULL)
                fail_msg("submission %d: %s", i, reply->error->message);
            refused = true;
        }
        free_reply(reply);
    }
    assert_true(n_acked > 0 && refused);
    /* it stops by itself, with an error */
    int status = expect_error_exit(h, "LMDB gave up");
    assert_int_equal(count_in_file(h->log, "stopping so that a restart"), 1);

    assert_int_equal(sv_harness_start(h, NULL), 0);
    for (int i = 0; i < META_SUBMISSIONS; i++) {
        Survey__V1__Reply *reply = NULL;
        assert_int_equal(sv_harness_call_raw(h->endpoint, bytes[i], lens[i],
                                             &reply, CALL_TIMEOUT),
                         0);
        if (reply->body_case != SURVEY__V1__REPLY__BODY_ACK)
            fail_msg("resend %d: %s", i,
                     reply->body_case == SURVEY__V1__REPLY__BODY_ERROR
                         ? reply->error->message
                         : "not an ack");
        assert_string_equal(reply->ack->submission_id, ids[i]);
        assert_int_equal(reply->ack->revision, 1);
        assert_int_equal(reply->ack->duplicate, i < n_acked);
        free_reply(reply);
        free(bytes[i]);
    }
    assert_int_equal(sv_harness_stop(h, SIGTERM), 0);
    assert_int_equal(count_in_file(h->log, "runtime error"), 0);
    assert_int_equal(count_in_file(h->log, "Sanitizer"), 0);
    printf("crash-test meta page write failed: %d acked before, the next "
           "refused, the collector stopped by itself (exit %d), all resent "
           "after a restart\n",
           n_acked, status);
    cs->passed = true;
}

#define FLUSH_FAIL_AT "3" /* the third flush: after two acked submissions */

/* Sends body on a DEALER socket (no empty delimiter frame) and returns
 * the socket, or NULL. */
static void *dealer_send(void *ctx, const char *endpoint,
                         const Survey__V1__Request *req)
{
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    size_t len = survey__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    bool ok = sock != NULL && buf != NULL &&
              zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) == 0 &&
              zmq_connect(sock, endpoint) == 0;
    if (ok)
        survey__v1__request__pack(req, buf);
    ok = ok && zmq_send(sock, buf, len, 0) == (int)len;
    free(buf);
    if (!ok && sock != NULL) {
        zmq_close(sock);
        sock = NULL;
    }
    return sock;
}

/* The next reply on sock (NULL after timeout_ms). */
static Survey__V1__Reply *dealer_reply(void *sock, int timeout_ms)
{
    zmq_pollitem_t item = {.socket = sock, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, timeout_ms) != 1)
        return NULL;
    zmq_msg_t msg;
    if (zmq_msg_init(&msg) != 0)
        return NULL;
    Survey__V1__Reply *reply = NULL;
    if (zmq_msg_recv(&msg, sock, 0) >= 0)
        reply = survey__v1__reply__unpack(NULL, zmq_msg_size(&msg),
                                          zmq_msg_data(&msg));
    zmq_msg_close(&msg);
    return reply;
}

/* The flush that makes a commit durable fails (EIO from fdatasync on the
 * flush thread): the submission gets an error, never an ack, and so does a
 * read sent right after it, which would otherwise show the revision that
 * may not be durable; the collector stops by itself. */
static void test_flush_fails(void **state)
{
    crash_state *cs = *state;
    sv_harness *h = &cs->h;
    static char codes[ROSTER_MAX][8];
    assert_true(load_roster(codes, ROSTER_MAX) >= 3);
    start_failing(h, "writes-flush.log", "SV_WRITELOG_FAIL_FLUSH_AT",
                  FLUSH_FAIL_AT, 20000);

    uint64_t rng = base_seed() ^ 0xf1a5ULL;
    for (int i = 0; i < 2; i++) {
        char id[32];
        size_t len;
        snprintf(id, sizeof id, "flush-%d", i);
        uint8_t *bytes =
            build_submission(&rng, codes[i], id, 0, "flush", 1, &len);
        assert_non_null(bytes);
        Survey__V1__Reply *reply = NULL;
        assert_int_equal(
            sv_harness_call_raw(h->endpoint, bytes, len, &reply, CALL_TIMEOUT),
            0);
        free(bytes);
        if (reply->body_case != SURVEY__V1__REPLY__BODY_ACK)
            fail_msg("submission %d before the failing flush: %s", i,
                     reply->body_case == SURVEY__V1__REPLY__BODY_ERROR
                         ? reply->error->message
                         : "not an ack");
        free_reply(reply);
    }

    /* the third submission, and on the same connection right behind it a
       read of its respondent */
    size_t len;
    uint8_t *bytes =
        build_submission(&rng, codes[2], "flush-2", 0, "flush", 7, &len);
    assert_non_null(bytes);
    Survey__V1__Request *sub_req =
        survey__v1__request__unpack(NULL, len, bytes);
    free(bytes);
    assert_non_null(sub_req);
    Survey__V1__Request get_req = SURVEY__V1__REQUEST__INIT;
    Survey__V1__GetRequest g = SURVEY__V1__GET_REQUEST__INIT;
    g.survey = SURVEY;
    g.respondent = codes[2];
    get_req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    get_req.get = &g;
    get_req.request_id = 8;
    void *ctx = zmq_ctx_new();
    assert_non_null(ctx);
    void *sock = dealer_send(ctx, h->endpoint, sub_req);
    assert_non_null(sock);
    survey__v1__request__free_unpacked(sub_req, NULL);
    size_t glen = survey__v1__request__get_packed_size(&get_req);
    uint8_t gbuf[256];
    assert_true(glen <= sizeof gbuf);
    survey__v1__request__pack(&get_req, gbuf);
    assert_int_equal(zmq_send(sock, gbuf, glen, 0), (int)glen);
    int answered = 0;
    for (int k = 0; k < 2; k++) {
        Survey__V1__Reply *reply = dealer_reply(sock, CALL_TIMEOUT);
        assert_non_null(reply);
        if (reply->body_case != SURVEY__V1__REPLY__BODY_ERROR)
            fail_msg("request %llu after the failed flush: not an error "
                     "(body %d)",
                     (unsigned long long)reply->request_id,
                     (int)reply->body_case);
        if (reply->request_id == 7) {
            assert_int_equal(reply->error->code,
                             SURVEY__V1__ERROR__CODE__INTERNAL);
            if (strstr(reply->error->message, "could not be made durable") ==
                NULL)
                fail_msg("the submission: %s", reply->error->message);
        } else {
            assert_int_equal(reply->request_id, 8);
            assert_int_equal(reply->error->code,
                             SURVEY__V1__ERROR__CODE__UNAVAILABLE);
            if (strstr(reply->error->message, "read again") == NULL)
                fail_msg("the read: %s", reply->error->message);
        }
        answered++;
        free_reply(reply);
    }
    assert_int_equal(answered, 2);
    zmq_close(sock);
    assert_int_equal(zmq_ctx_term(ctx), 0);

    int status = expect_error_exit(h, "a flush failed");
    assert_int_equal(count_in_file(h->log, "runtime error"), 0);
    assert_int_equal(count_in_file(h->log, "Sanitizer"), 0);
    printf("crash-test flush failed: the submission and the read behind it "
           "got errors, the collector stopped by itself (exit %d)\n",
           status);
    cs->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_collector_kills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aggregator_kills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta_write_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_fails, setup, teardown),
    };
    return cmocka_run_group_tests_name("crash", tests, NULL, NULL);
}
