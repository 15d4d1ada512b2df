/* bench.h: the parts of survey-bench (main.c): intake against a running
 * survey-collector (intake.c), aggregation at national scale (agg.c), both
 * against the SQLite baseline (sqlite_baseline.c). */
#ifndef SV_BENCH_H
#define SV_BENCH_H

#include "status.h"
#include "threads.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* kB of VmHWM (peak resident set) of process pid, -1 if unreadable. */
long bench_hwm_kb(int pid);

/* A "Field:" of /proc/PID/status in kB (e.g. "RssFile:"), -1 if absent. */
long bench_status_kb(int pid, const char *field);

/* A "field:" of /proc/PID/io in bytes (e.g. "wchar:"), -1 if absent. */
long long bench_io_bytes(int pid, const char *field);

/* Seconds of CPU (user + system) process pid has used, -1 if unreadable. */
double bench_cpu_s(int pid);

typedef struct {
    const char *collector; /* survey-collector binary */
    const char *sheets;    /* the 2024 sheets (data/r6) */
    const char *work;      /* scratch directory (created) */
    size_t m;              /* submissions */
    int clients;           /* DEALER client threads */
    int window;            /* requests in flight per client */
    uint64_t seed;
    bool curve;         /* CURVE on (needs --server-secret support) */
    size_t sqlite_n;    /* submissions of the SQLite intake baseline */
    int batch;          /* the collector's --batch (0: its default) */
    bool random_order;  /* respondents and submission ids in random order,
                           as from the field; false: in code order */
    bool every_program; /* every respondent runs every program (gen.h):
                           about 45 answers a submission, not 26 */
} intake_opts;

typedef struct {
    double setup_s; /* generating and packing the requests */
    double secs;    /* first send to last ack */
    double rate;    /* acks per second */
    double p50_ms, p99_ms, max_ms;
    double cpu_s; /* the collector's user + system time */
    /* the same per thread name */
    bench_threads by_thread;
    /* the load generator's own: every thread of the bench over the
       clients' run, and its client threads' part of it (the rest is its
       ZeroMQ I/O thread's); -1 when unknown */
    double bench_cpu_s;
    double clients_cpu_s;
    long hwm_kb;          /* the collector's peak RSS */
    long long wchar;      /* bytes the collector passed to write calls (its
                             files: the store, the log, its wake-up pipes) */
    size_t commits;       /* the collector's group commits (0: not logged) */
    double per_commit;    /* requests per commit */
    double write_ms;      /* per commit: applying its writes */
    double commit_ms;     /* committing (pages written and flushed) */
    double flush_ms;      /* per flush that made commits durable */
    bool stalls;          /* the collector's "slowest:" line was read: */
    double commit_max_ms; /* the longest commit (writing and committing) */
    double flush_max_ms;  /* the longest flush */
    int slow_ms;          /* the threshold of the two counts: */
    size_t commits_slow;  /* commits over it */
    size_t flushes_slow;  /* flushes over it */
    size_t staged;        /* requests in the collector's "requests:" line (0:
                             not logged); per request, on average: */
    double open_ms;       /* in the open batch */
    double queue_ms;      /* waiting for the writing thread */
    double written_ms;    /* written and committed */
    double reply_ms;      /* until the reply was sent */
    size_t acked;
    size_t errors;
    char first_error[256];
    double answers_mean; /* answers per submission */
    double bytes_mean;   /* bytes per packed request */
    double sqlite_rate;  /* SQLite: submissions per second */
    double sqlite_secs;
    size_t sqlite_n;
} intake_result;

/* Whether the collector binary supports CURVE (its --help lists
 * --server-secret). */
bool bench_curve_available(const char *collector);

/* Runs the intake benchmark (and its SQLite baseline when
 * opt->sqlite_n > 0). */
sv_status bench_intake(const intake_opts *opt, intake_result *res,
                       sv_error *err);

typedef struct {
    const char *self;   /* this binary, re-executed for the measurement */
    const char *sheets; /* the 2024 sheets */
    const char *work;   /* scratch directory (created) */
    size_t n;           /* responses */
    size_t corrections; /* incremental measurements */
    uint64_t seed;
    bool sqlite;    /* run the SQL baseline too */
    bool no_mirror; /* the store without its scan mirror (agg.c only) */
} agg_opts;

typedef struct {
    double load_s;         /* LMDB bulk load (setup) */
    double sqlite_load_s;  /* SQLite bulk load (setup) */
    double q_load_s;       /* questionnaire with its roster, in the child */
    double rerun_ms;       /* full rerun, median of 3 */
    double rerun_first_ms; /* the first one */
    double rerun_cpu_ms;   /* CPU time of a rerun, median of 3 */
    double incr_us;        /* one correction to its new tables, median */
    double incr_max_us;
    double follow_us;   /* the follow step alone, median */
    double snapshot_ms; /* sv_engine_snapshot */
    size_t snapshot_bytes;
    bool detail_omitted;
    long hwm_kb;        /* peak RSS of the measuring process */
    long anon_kb;       /* its RssAnon at the end (heap: ours) */
    long file_kb;       /* its RssFile at the end (the LMDB map) */
    bool consistent;    /* incremental digest == rerun digest */
    double sql_ms;      /* the SQL tables */
    bool sql_equal;     /* SQL figures == ours */
    size_t sql_checked; /* figures compared */
    char sql_mismatch[256];
    double answers_mean;
    size_t data_mb;   /* LMDB data file */
    size_t sqlite_mb; /* SQLite file */
    size_t mirror_mb; /* the scan mirror's data file */
    /* the full rerun without the scan mirror, on the store's own file */
    double plain_rerun_ms; /* median of 3; negative: not measured */
    char plain_error[512]; /* why not */
} agg_result;

sv_status bench_agg(const agg_opts *opt, agg_result *res, sv_error *err);

/* The collector's stages of a submission (stages.c), in one thread. */
enum { STAGE_DECODE, STAGE_VALIDATE, STAGE_PREPARE, STAGE_ACK, STAGE_COUNT };

typedef struct {
    const char *sheets; /* the 2024 sheets */
    const char *work;   /* scratch directory (created) */
    size_t n;           /* submissions */
    uint64_t seed;
    bool every_program; /* submissions with every program run (gen.h) */
} stages_opts;

typedef struct {
    size_t n;
    /* microseconds per submission, the fastest of the rounds:
       STAGE_DECODE: the request (arena allocator, as the collector);
       STAGE_VALIDATE: validation and the compact record;
       STAGE_PREPARE: packing, digest and compression (sv_put_prepare);
       STAGE_ACK: packing the ack */
    double us[STAGE_COUNT];
} stages_result;

sv_status bench_stages(const stages_opts *opt, stages_result *res,
                       sv_error *err);

/* The child of bench_agg: argv after "measure-agg". Prints its figures
 * as "key value" lines on stdout. Returns the exit status. */
int bench_agg_child(int argc, char **argv);

#endif
