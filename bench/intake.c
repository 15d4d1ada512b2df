/* intake.c: the intake benchmark. Starts the real survey-collector on a
 * loopback port with its own LMDB environment (durable commits), then K
 * client threads, each with a DEALER socket and a window of requests in
 * flight, submit M pre-generated, pre-packed submissions (each for a
 * distinct respondent of a generated roster, base revision 0, unique
 * submission ids). Latency is send to ack, per request. The collector's
 * CPU time and peak RSS come from /proc. Then the SQLite baseline inserts
 * the same submissions, one transaction per submission. */
#include "bench.h"
#include "gen.h"
#include "sqlite_baseline.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define READY_TIMEOUT_S 300
#define MAX_CLIENTS 64

double bench_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The number after `field` on its line of /proc/PID/NAME; -1 if none. */
static long long proc_number(int pid, const char *name, const char *field)
{
    char path[64];
    char line[256];
    size_t len = strlen(field);
    long long v = -1;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, field, len) == 0) {
            v = strtoll(line + len, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

long bench_status_kb(int pid, const char *field)
{
    return (long)proc_number(pid, "status", field);
}

long long bench_io_bytes(int pid, const char *field)
{
    return proc_number(pid, "io", field);
}

long bench_hwm_kb(int pid)
{
    return bench_status_kb(pid, "VmHWM:");
}

double bench_cpu_s(int pid)
{
    char path[64];

    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    return bench_stat_cpu_s(path);
}

/* ---- the requests ----------------------------------------------------- */

typedef struct {
    uint8_t *buf; /* every packed Request, back to back */
    size_t *off;  /* m + 1 offsets into buf */
    size_t m;
    size_t answers; /* in all */
} packed_set;

/* A bijection of 64-bit numbers (splitmix64's finaliser): distinct
 * indexes give distinct, scattered submission ids. */
static uint64_t scatter(uint64_t x)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* The respondent of request i: i, or with random_order a permutation of
 * 0..m-1 drawn from the seed (Fisher-Yates). NULL when out of memory. */
static size_t *respondent_order(size_t m, uint64_t seed, bool random_order)
{
    size_t *order = malloc((m + 1) * sizeof *order);
    gen_rng rng;

    if (order == NULL)
        return NULL;
    for (size_t i = 0; i < m; i++)
        order[i] = i;
    if (!random_order)
        return order;
    gen_rng_seed(&rng, seed ^ UINT64_C(0x4f72646572));
    for (size_t i = m; i > 1; i--) {
        size_t j = (size_t)(gen_rng_next(&rng) % i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    return order;
}

static sv_status pack_all(const sv_questionnaire *q, size_t m, uint64_t seed,
                          bool random_order, bool every_program, packed_set *ps,
                          sv_error *err)
{
    size_t cap = m * 1024 + 4096;
    gen_rng rng;
    char code[32];
    size_t *order = respondent_order(m, seed, random_order);

    memset(ps, 0, sizeof *ps);
    ps->buf = malloc(cap);
    ps->off = calloc(m + 1, sizeof *ps->off);
    if (ps->buf == NULL || ps->off == NULL || order == NULL) {
        free(order);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (requests)");
    }
    gen_rng_seed(&rng, seed);
    for (size_t i = 0; i < m; i++) {
        Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
        snprintf(code, sizeof code, "%06zu", order[i]);
        /* field clients send UUIDs: scattered ids, not bench-SEED-1, -2.. */
        gen_sub *g = gen_submission(q, &rng, code, 0, seed,
                                    random_order ? (size_t)scatter(i) : i,
                                    every_program);
        if (g == NULL) {
            free(order);
            return sv_fail(err, SV_ERR_NOMEM, "out of memory (generate)");
        }
        req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
        req.submit = gen_sub_msg(g);
        req.request_id = i;
        size_t len = survey__v1__request__get_packed_size(&req);
        if (ps->off[i] + len > cap) {
            cap = (ps->off[i] + len) * 2;
            uint8_t *grown = realloc(ps->buf, cap);
            if (grown == NULL) {
                gen_sub_free(g);
                free(order);
                return sv_fail(err, SV_ERR_NOMEM, "out of memory (pack)");
            }
            ps->buf = grown;
        }
        survey__v1__request__pack(&req, ps->buf + ps->off[i]);
        ps->off[i + 1] = ps->off[i] + len;
        ps->answers += req.submit->n_answers;
        gen_sub_free(g);
    }
    free(order);
    ps->m = m;
    return SV_OK;
}

/* ---- the collector ---------------------------------------------------- */

typedef struct {
    pid_t pid;
    char log[4096];
    char endpoint[256];
} collector;

/* Whether `collector --help` lists text. */
static bool help_lists(const char *bin, const char *text)
{
    char cmd[4200];
    char line[512];
    bool found = false;
    FILE *p;

    snprintf(cmd, sizeof cmd, "'%s' --help 2>&1", bin);
    p = popen(cmd, "r");
    if (p == NULL)
        return false;
    while (fgets(line, sizeof line, p) != NULL) {
        if (strstr(line, text) != NULL)
            found = true;
    }
    pclose(p);
    return found;
}

bool bench_curve_available(const char *bin)
{
    return help_lists(bin, "--server-secret");
}

/* Waits for "ready on EP" in the log; fills c->endpoint. */
static sv_status wait_ready(collector *c, sv_error *err)
{
    double until = bench_now() + READY_TIMEOUT_S;
    char line[1024];

    while (bench_now() < until) {
        int status;
        FILE *f = fopen(c->log, "r");
        while (f != NULL && fgets(line, sizeof line, f) != NULL) {
            char *at = strstr(line, "ready on ");
            if (at != NULL) {
                sscanf(at + 9, "%255s", c->endpoint);
                fclose(f);
                return SV_OK;
            }
        }
        if (f != NULL)
            fclose(f);
        if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
            c->pid = 0;
            return sv_fail(err, SV_ERR_IO,
                           "survey-collector exited before it was ready "
                           "(log %s)",
                           c->log);
        }
        usleep(20000);
    }
    return sv_fail(err, SV_ERR_IO, "survey-collector not ready after %d s",
                   READY_TIMEOUT_S);
}

/* Reads the collector's lines on its group commits, their slowest, and on
 * its requests' stages (collector/main.c, log_stats) into res; leaves res as it
 * is when there are none. */
static void read_commit_stats(const collector *c, intake_result *res)
{
    char line[1024];
    FILE *f = fopen(c->log, "r");

    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        const char *at = strstr(line, "commits: ");
        unsigned long long commits, requests, flushes;
        double each, write_ms, commit_ms, flush_ms;
        if (at != NULL &&
            sscanf(at,
                   "commits: %llu of %llu requests (%lf each), per commit "
                   "%lf ms writing and %lf ms committing; flushes: %llu, "
                   "%lf ms each",
                   &commits, &requests, &each, &write_ms, &commit_ms, &flushes,
                   &flush_ms) == 7) {
            res->commits = (size_t)commits;
            res->per_commit = each;
            res->write_ms = write_ms;
            res->commit_ms = commit_ms;
            res->flush_ms = flush_ms;
        }
        double commit_max_ms, flush_max_ms;
        int slow_ms;
        unsigned long long commits_slow, flushes_slow;
        at = strstr(line, "slowest: ");
        if (at != NULL &&
            sscanf(at,
                   "slowest: commit %lf ms (writing and committing), flush "
                   "%lf ms; over %d ms: %llu commits, %llu flushes",
                   &commit_max_ms, &flush_max_ms, &slow_ms, &commits_slow,
                   &flushes_slow) == 5) {
            res->stalls = true;
            res->commit_max_ms = commit_max_ms;
            res->flush_max_ms = flush_max_ms;
            res->slow_ms = slow_ms;
            res->commits_slow = (size_t)commits_slow;
            res->flushes_slow = (size_t)flushes_slow;
        }
        unsigned long long answered;
        double open_ms, queue_ms, written_ms, reply_ms;
        at = strstr(line, "requests: ");
        if (at != NULL &&
            sscanf(at,
                   "requests: %llu answered, on average %lf ms in the open "
                   "batch, %lf ms waiting for the writing thread, %lf ms "
                   "written and committed, %lf ms until the reply was sent",
                   &answered, &open_ms, &queue_ms, &written_ms,
                   &reply_ms) == 5) {
            res->staged = (size_t)answered;
            res->open_ms = open_ms;
            res->queue_ms = queue_ms;
            res->written_ms = written_ms;
            res->reply_ms = reply_ms;
        }
    }
    if (f != NULL)
        fclose(f);
}

static sv_status start_collector(collector *c, const intake_opts *o,
                                 const char *survey_dir, const char *keys,
                                 sv_error *err)
{
    char data[4096];
    char secret[4200];
    char clients[4200];
    char batch[32];
    const char *argv[24];
    int n = 0;

    snprintf(data, sizeof data, "%s/data", o->work);
    snprintf(c->log, sizeof c->log, "%s/collector%s.log", o->work,
             o->curve ? "-curve" : "");
    argv[n++] = o->collector;
    argv[n++] = "--data";
    argv[n++] = data;
    argv[n++] = "--endpoint";
    argv[n++] = "tcp://127.0.0.1:*";
    argv[n++] = "--survey-dir";
    argv[n++] = survey_dir;
    argv[n++] = "--map-size";
    argv[n++] = "32G";
    if (o->batch > 0) {
        snprintf(batch, sizeof batch, "%d", o->batch);
        argv[n++] = "--batch";
        argv[n++] = batch;
    }
    if (o->curve) {
        snprintf(secret, sizeof secret, "%s/server.secret", keys);
        snprintf(clients, sizeof clients, "%s/clients", keys);
        argv[n++] = "--server-secret";
        argv[n++] = secret;
        argv[n++] = "--clients";
        argv[n++] = clients;
    } else if (help_lists(o->collector, "--no-auth")) {
        argv[n++] = "--no-auth";
    }
    argv[n] = NULL;
    c->pid = fork();
    if (c->pid < 0)
        return sv_fail(err, SV_ERR_IO, "fork: %s", strerror(errno));
    if (c->pid == 0) {
        FILE *f = freopen(c->log, "w", stderr);
        if (f == NULL || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
            _exit(126);
        execv(o->collector, (char *const *)argv);
        _exit(127);
    }
    return wait_ready(c, err);
}

static int stop_collector(collector *c)
{
    int status = -1;

    if (c->pid <= 0)
        return -1;
    if (kill(c->pid, SIGTERM) != 0)
        return -1;
    if (waitpid(c->pid, &status, 0) != c->pid)
        return -1;
    c->pid = 0;
    return status;
}

/* ---- CURVE keys ------------------------------------------------------- */

typedef struct {
    char server_public[41];
    char public_key[MAX_CLIENTS][41];
    char secret_key[MAX_CLIENTS][41];
} curve_keys;

/* Writes a secret certificate in the format of common/keyfile.h. */
static sv_status write_cert(const char *path, const char *name, const char *pub,
                            const char *sec, sv_error *err)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f,
            "#   ****  Generated by survey-bench  ****\n"
            "#   ZeroMQ CURVE **Secret** Certificate\n"
            "metadata\n"
            "    name = \"%s\"\n"
            "curve\n"
            "    public-key = \"%s\"\n"
            "    secret-key = \"%s\"\n",
            name, pub, sec);
    if (fclose(f) != 0)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    return SV_OK;
}

/* A server keypair and one admin key per client thread. */
static sv_status make_keys(const char *dir, int clients, curve_keys *k,
                           sv_error *err)
{
    char path[4200];
    char secret[41];
    FILE *f;
    sv_status st;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sv_fail(err, SV_ERR_IO, "%s: %s", dir, strerror(errno));
    if (zmq_curve_keypair(k->server_public, secret) != 0)
        return sv_fail(err, SV_ERR_ZMQ, "zmq_curve_keypair: %s",
                       zmq_strerror(zmq_errno()));
    snprintf(path, sizeof path, "%s/server.secret", dir);
    st = write_cert(path, "survey-collector", k->server_public, secret, err);
    if (st != SV_OK)
        return st;
    snprintf(path, sizeof path, "%s/clients", dir);
    f = fopen(path, "w");
    if (f == NULL)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    for (int i = 0; i < clients; i++) {
        if (zmq_curve_keypair(k->public_key[i], k->secret_key[i]) != 0) {
            fclose(f);
            return sv_fail(err, SV_ERR_ZMQ, "zmq_curve_keypair: %s",
                           zmq_strerror(zmq_errno()));
        }
        fprintf(f, "bench-%d admin %s\n", i, k->public_key[i]);
    }
    if (fclose(f) != 0)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    return SV_OK;
}

/* ---- the clients ------------------------------------------------------ */

typedef struct {
    void *ctx;
    const char *endpoint;
    const packed_set *ps;
    const curve_keys *keys; /* NULL: plain */
    int index;
    int clients;
    int window;
    double *sent;  /* per request of this client (request index - index)
                      / clients: send time */
    float *lat_ms; /* likewise: ack latency (each client writes its own
                      run of these arrays, not every clients-th entry, so
                      that no two clients share a cache line) */
    size_t acked;
    size_t errors;
    char first_error[256];
    int failed;   /* a ZeroMQ call failed */
    double cpu_s; /* this thread's CPU time, at its end */
} client;

static void note_reply(client *c, zmq_msg_t *msg, double now)
{
    Survey__V1__Reply *r =
        survey__v1__reply__unpack(NULL, zmq_msg_size(msg), zmq_msg_data(msg));
    if (r == NULL) {
        c->errors++;
        return;
    }
    if (r->request_id < c->ps->m &&
        r->request_id % (uint64_t)c->clients == (uint64_t)c->index) {
        size_t i = (size_t)r->request_id / (size_t)c->clients;
        c->lat_ms[i] = (float)((now - c->sent[i]) * 1000.0);
    }
    if (r->body_case == SURVEY__V1__REPLY__BODY_ACK) {
        c->acked++;
    } else {
        if (c->errors == 0)
            snprintf(c->first_error, sizeof c->first_error, "%s",
                     r->body_case == SURVEY__V1__REPLY__BODY_ERROR
                         ? r->error->message
                         : "not an ack");
        c->errors++;
    }
    survey__v1__reply__free_unpacked(r, NULL);
}

static int connect_client(client *c, void **out)
{
    void *s = zmq_socket(c->ctx, ZMQ_DEALER);
    int hwm = 0;
    int linger = 0;

    *out = s;
    if (s == NULL)
        return -1;
    if (zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return -1;
    if (c->keys != NULL &&
        (zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, c->keys->server_public, 40) !=
             0 ||
         zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, c->keys->public_key[c->index],
                        40) != 0 ||
         zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, c->keys->secret_key[c->index],
                        40) != 0))
        return -1;
    return zmq_connect(s, c->endpoint);
}

/* The calling thread's CPU time in seconds (-1 if unknown). */
static double thread_cpu_s(void)
{
    struct timespec t;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) != 0)
        return -1;
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* This process's CPU time in seconds, every thread's, those ended too
 * (-1 if unknown). */
static double process_cpu_s(void)
{
    struct rusage u;

    if (getrusage(RUSAGE_SELF, &u) != 0)
        return -1;
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

/* How many of the m requests client `index` of `clients` sends: every
 * clients-th, from its index. */
static size_t client_share(size_t m, size_t index, size_t clients)
{
    return m > index ? (m - index + clients - 1) / clients : 0;
}

/* Sends requests index, index + K, ... keeping `window` in flight. */
static void *client_main(void *arg)
{
    client *c = arg;
    void *s = NULL;
    size_t next = (size_t)c->index;
    size_t inflight = 0;
    size_t step = (size_t)c->clients;
    size_t mine = client_share(c->ps->m, next, step);
    size_t done = 0;
    zmq_msg_t msg;

    if (connect_client(c, &s) != 0 || zmq_msg_init(&msg) != 0) {
        c->failed = zmq_errno();
        goto out;
    }
    while (done < mine) {
        while (inflight < (size_t)c->window && next < c->ps->m) {
            const uint8_t *p = c->ps->buf + c->ps->off[next];
            size_t len = c->ps->off[next + 1] - c->ps->off[next];
            zmq_msg_t out;
            /* no copy: the message refers to the packed set, which
               outlives the context (a constant message, no free) */
            if (zmq_msg_init_data(&out, (void *)p, len, NULL, NULL) != 0) {
                c->failed = zmq_errno();
                goto out;
            }
            c->sent[next / step] = bench_now();
            if (zmq_msg_send(&out, s, 0) < 0) {
                c->failed = zmq_errno();
                zmq_msg_close(&out);
                goto out;
            }
            next += step;
            inflight++;
        }
        zmq_pollitem_t item = {.socket = s, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&item, 1, 30000);
        if (rc <= 0) {
            c->failed = rc == 0 ? ETIMEDOUT : zmq_errno();
            goto out;
        }
        while (zmq_msg_recv(&msg, s, ZMQ_DONTWAIT) >= 0) {
            note_reply(c, &msg, bench_now());
            inflight--;
            done++;
        }
        if (zmq_errno() != EAGAIN) {
            c->failed = zmq_errno();
            goto out;
        }
    }
out:
    zmq_msg_close(&msg);
    if (s != NULL)
        zmq_close(s);
    c->cpu_s = thread_cpu_s();
    return NULL;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a;
    float y = *(const float *)b;

    return x < y ? -1 : x > y;
}

static double percentile(const float *sorted, size_t n, double p)
{
    size_t i;

    if (n == 0)
        return 0;
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

static sv_status run_clients(const intake_opts *o, const char *endpoint,
                             const packed_set *ps, const curve_keys *keys,
                             intake_result *res, sv_error *err)
{
    client cl[MAX_CLIENTS];
    pthread_t th[MAX_CLIENTS];
    double *sent = calloc(ps->m + 1, sizeof *sent);
    float *lat = calloc(ps->m + 1, sizeof *lat);
    void *ctx = zmq_ctx_new();
    sv_status st = SV_OK;
    int started = 0;
    double t0;
    double cpu0;

    if (sent == NULL || lat == NULL || ctx == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory (clients)");
        goto done;
    }
    memset(cl, 0, sizeof cl);
    cpu0 = process_cpu_s();
    t0 = bench_now();
    size_t base = 0; /* the first of client i's entries in sent, lat */
    for (int i = 0; i < o->clients; i++) {
        cl[i] = (client){.ctx = ctx,
                         .endpoint = endpoint,
                         .ps = ps,
                         .keys = keys,
                         .index = i,
                         .clients = o->clients,
                         .window = o->window,
                         .sent = sent + base,
                         .lat_ms = lat + base};
        base += client_share(ps->m, (size_t)i, (size_t)o->clients);
        if (pthread_create(&th[i], NULL, client_main, &cl[i]) != 0) {
            st = sv_fail(err, SV_ERR_IO, "pthread_create failed");
            break;
        }
        started++;
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    res->secs = bench_now() - t0;
    /* the clients and ZeroMQ's I/O thread, which runs on until the
       context ends: what it used so far */
    double cpu1 = process_cpu_s();
    res->bench_cpu_s = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
    res->clients_cpu_s = 0;
    for (int i = 0; i < started && res->clients_cpu_s >= 0; i++)
        res->clients_cpu_s =
            cl[i].cpu_s < 0 ? -1 : res->clients_cpu_s + cl[i].cpu_s;
    for (int i = 0; i < started; i++) {
        res->acked += cl[i].acked;
        res->errors += cl[i].errors;
        if (res->first_error[0] == '\0' && cl[i].first_error[0] != '\0')
            snprintf(res->first_error, sizeof res->first_error, "%s",
                     cl[i].first_error);
        if (cl[i].failed != 0 && st == SV_OK)
            st = sv_fail(err, SV_ERR_ZMQ, "client %d: %s", i,
                         zmq_strerror(cl[i].failed));
    }
    res->rate = res->secs > 0 ? (double)res->acked / res->secs : 0;
    qsort(lat, ps->m, sizeof *lat, cmp_float);
    res->p50_ms = percentile(lat, ps->m, 0.50);
    res->p99_ms = percentile(lat, ps->m, 0.99);
    res->max_ms = ps->m > 0 ? lat[ps->m - 1] : 0;
done:
    free(sent);
    free(lat);
    if (ctx != NULL)
        zmq_ctx_term(ctx);
    return st;
}

/* ---- the SQLite baseline ---------------------------------------------- */

/* The first n of the same submissions, one transaction each, by one
 * writer. They are generated before the clock runs, as the intake's are
 * packed before its clock starts: only SQLite's work is timed, in chunks
 * of SQLITE_CHUNK (generated, then inserted) so that memory stays small
 * whatever n is. */
#define SQLITE_CHUNK 4096

static sv_status sqlite_intake(const intake_opts *o, const sv_questionnaire *q,
                               intake_result *res, sv_error *err)
{
    char path[4200];
    char code[32];
    sql_db *db = NULL;
    gen_rng rng;
    sv_status st;
    double secs = 0;
    size_t n = o->sqlite_n < o->m ? o->sqlite_n : o->m;
    gen_sub *subs[SQLITE_CHUNK];

    snprintf(path, sizeof path, "%s/intake.sqlite", o->work);
    st = sql_open(&db, path, err);
    if (st != SV_OK)
        return st;
    gen_rng_seed(&rng, o->seed);
    for (size_t first = 0; first < n && st == SV_OK; first += SQLITE_CHUNK) {
        size_t k = n - first < SQLITE_CHUNK ? n - first : SQLITE_CHUNK;
        size_t made = 0;
        for (; made < k; made++) {
            snprintf(code, sizeof code, "%06zu", first + made);
            subs[made] = gen_submission(q, &rng, code, 0, o->seed, first + made,
                                        o->every_program);
            if (subs[made] == NULL) {
                st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
                break;
            }
        }
        double t0 = bench_now();
        for (size_t i = 0; i < made && st == SV_OK; i++) {
            st = sql_begin(db, err);
            if (st == SV_OK)
                st = sql_insert(db, gen_sub_msg(subs[i]),
                                sv_questionnaire_respondent(q, first + i)->type,
                                err);
            if (st == SV_OK)
                st = sql_commit(db, err);
        }
        secs += bench_now() - t0;
        for (size_t i = 0; i < made; i++)
            gen_sub_free(subs[i]);
    }
    res->sqlite_secs = secs;
    res->sqlite_n = n;
    res->sqlite_rate = secs > 0 ? (double)n / secs : 0;
    sql_close(&db);
    return st;
}

sv_status bench_intake(const intake_opts *o, intake_result *res, sv_error *err)
{
    char surveys[4200];
    char survey_dir[4300];
    char keys_dir[4200] = "";
    sv_questionnaire *q = NULL;
    packed_set ps = {0};
    curve_keys *keys = NULL;
    collector c = {0};
    sv_status st;
    double t0;
    double cpu0;
    long long wchar0;
    bench_threads threads0;
    bench_threads threads1;

    memset(res, 0, sizeof *res);
    if (o->clients < 1 || o->clients > MAX_CLIENTS || o->window < 1)
        return sv_fail(err, SV_ERR_INVALID, "1 to %d clients, window >= 1",
                       MAX_CLIENTS);
    if (mkdir(o->work, 0700) != 0 && errno != EEXIST)
        return sv_fail(err, SV_ERR_IO, "%s: %s", o->work, strerror(errno));
    snprintf(surveys, sizeof surveys, "%s/surveys", o->work);
    st = gen_survey_dir(o->sheets, surveys, o->m, o->seed, err);
    if (st != SV_OK)
        return st;
    snprintf(survey_dir, sizeof survey_dir, "%s/survey", surveys);
    st = sv_questionnaire_load(&q, survey_dir, err);
    if (st != SV_OK)
        return st;
    t0 = bench_now();
    st =
        pack_all(q, o->m, o->seed, o->random_order, o->every_program, &ps, err);
    res->setup_s = bench_now() - t0;
    if (st != SV_OK)
        goto done;
    res->answers_mean = o->m > 0 ? (double)ps.answers / (double)o->m : 0;
    res->bytes_mean = o->m > 0 ? (double)ps.off[o->m] / (double)o->m : 0;
    if (o->curve) {
        keys = calloc(1, sizeof *keys);
        snprintf(keys_dir, sizeof keys_dir, "%s/keys", o->work);
        if (keys == NULL)
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        else
            st = make_keys(keys_dir, o->clients, keys, err);
        if (st != SV_OK)
            goto done;
    }
    st = start_collector(&c, o, surveys, keys_dir, err);
    if (st != SV_OK)
        goto done;
    cpu0 = bench_cpu_s(c.pid);
    if (bench_threads_read(c.pid, &threads0) != 0)
        threads0.n = 0;
    wchar0 = bench_io_bytes(c.pid, "wchar:");
    st = run_clients(o, c.endpoint, &ps, keys, res, err);
    res->cpu_s = bench_cpu_s(c.pid) - cpu0;
    if (bench_threads_read(c.pid, &threads1) == 0)
        bench_threads_diff(&threads0, &threads1, &res->by_thread);
    else
        res->by_thread.n = 0;
    res->wchar = bench_io_bytes(c.pid, "wchar:") - wchar0;
    res->hwm_kb = bench_hwm_kb(c.pid);
    if (stop_collector(&c) != 0 && st == SV_OK)
        st = sv_fail(err, SV_ERR_IO, "survey-collector did not exit 0 (log %s)",
                     c.log);
    read_commit_stats(&c, res);
    if (st == SV_OK && o->sqlite_n > 0)
        st = sqlite_intake(o, q, res, err);
done:
    if (c.pid > 0)
        stop_collector(&c);
    free(keys);
    free(ps.buf);
    free(ps.off);
    sv_questionnaire_destroy(&q);
    return st;
}
