/* main.c: survey-bench. Runs the intake benchmark (plain, and with CURVE
 * once the collector supports it), the aggregation benchmark at national
 * household scale, and their SQLite baselines; prints a table of figures
 * and one line per target:
 *
 *   target NAME measured VALUE UNIT must VALUE aim VALUE pass|FAIL
 *
 * A target line says FAIL with the measured value when the must is not
 * met; nothing is adjusted to pass. */
#include "bench.h"
#include "config.h"
#include "load_steps.h"
#include "machine.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SV_SOURCE_DIR
#define SV_SOURCE_DIR "."
#endif
/* submissions the stage measurement runs over, at most */
#define STAGES_MAX 20000
/* the intake targets' must for the ack p99, which also ends the load
   steps (load_steps.h) */
#define P99_MUST_MS 20.0

typedef struct {
    size_t size;   /* aggregation: responses */
    size_t intake; /* intake: submissions */
    int clients;
    int windows[LOAD_STEPS_MAX]; /* requests in flight per client, rising */
    int nwindows;
    bool windows_given; /* --window or --windows */
    int batch;
    size_t corrections;
    size_t sqlite_intake;
    uint64_t seed;
    bool sqlite;
    bool keep;
    bool skip_intake;
    bool skip_agg;
    bool random_order;  /* intake: respondents in random order */
    bool one_run;       /* intake: the first run only */
    bool curve_only;    /* with one_run: that run with CURVE */
    bool stages_only;   /* the collector's stages alone */
    bool every_program; /* intake: every respondent runs every program */
    const char *work;
    const char *collector;
    const char *sheets;
} options;

static void usage(FILE *out)
{
    fprintf(out, "Usage: survey-bench [OPTION]...\n"
                 "  --size N            responses of the aggregation benchmark "
                 "(1000000)\n"
                 "  --intake M          submissions of the intake benchmark "
                 "(300000)\n"
                 "  --clients K         DEALER client threads (4)\n"
                 "  --windows LIST      the load steps: requests in flight per "
                 "client,\n"
                 "                      rising (128,192,256,320); each intake "
                 "runs at\n"
                 "                      each in turn while its ack p99 meets "
                 "the must\n"
                 "                      (20 ms), and the target lines report "
                 "the last\n"
                 "                      that met it (bench/README.md); with "
                 "--one-run,\n"
                 "                      128 alone unless given\n"
                 "  --window W          one window, no steps (--windows W)\n"
                 "  --batch N           the collector's --batch (requests per "
                 "group commit;\n"
                 "                      default: the collector's own)\n"
                 "  --corrections C     incremental measurements (21)\n"
                 "  --sqlite-intake S   submissions of the SQLite intake "
                 "baseline (5000)\n"
                 "  --no-sqlite         leave the SQLite baselines out\n"
                 "  --seed X            of the generated data (2024)\n"
                 "  --collector PATH    survey-collector (default: beside this "
                 "binary's\n"
                 "                      build, ../collector/survey-collector)\n"
                 "  --sheets DIR        the 2024 sheets (" SV_SOURCE_DIR
                 "/data/r6)\n"
                 "  --work DIR          scratch directory (default "
                 "/tmp/survey-bench-PID)\n"
                 "  --keep              keep the scratch directory\n"
                 "  --skip-intake, --skip-agg\n"
                 "  --random-order      intake: respondents and submission "
                 "ids in\n"
                 "                      random order (as in the field), not "
                 "in code order\n"
                 "  --every-program     intake: every respondent runs all 8 "
                 "programs, so\n"
                 "                      every detail question is relevant "
                 "(about 45\n"
                 "                      answers, not 26; also the stages' "
                 "submissions;\n"
                 "                      a full run also makes this run, "
                 "plain, after\n"
                 "                      the others)\n"
                 "  --one-run           intake: the first run only (plain, "
                 "no CURVE,\n"
                 "                      no second order, no stages), for "
                 "side-by-side runs\n"
                 "  --curve             with --one-run: that run with CURVE "
                 "(no SQLite)\n"
                 "  --stages-only       the collector's stages alone (no "
                 "sockets, no disk;\n"
                 "                      up to 20000 of --intake), for "
                 "side-by-side runs\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"size", required_argument, NULL, 'n'},
        {"intake", required_argument, NULL, 'm'},
        {"clients", required_argument, NULL, 'k'},
        {"window", required_argument, NULL, 'w'},
        {"windows", required_argument, NULL, 'L'},
        {"batch", required_argument, NULL, 'b'},
        {"corrections", required_argument, NULL, 'c'},
        {"sqlite-intake", required_argument, NULL, 'q'},
        {"no-sqlite", no_argument, NULL, 'Q'},
        {"seed", required_argument, NULL, 's'},
        {"collector", required_argument, NULL, 'C'},
        {"sheets", required_argument, NULL, 'S'},
        {"work", required_argument, NULL, 'W'},
        {"keep", no_argument, NULL, 'K'},
        {"skip-intake", no_argument, NULL, 'I'},
        {"skip-agg", no_argument, NULL, 'A'},
        {"random-order", no_argument, NULL, 'R'},
        {"one-run", no_argument, NULL, 'O'},
        {"curve", no_argument, NULL, 'V'},
        {"stages-only", no_argument, NULL, 'T'},
        {"every-program", no_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    size_t v = 0;
    int c;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (strchr("nmkwbcqs", c) != NULL && sv_config_size(optarg, &v) != 0) {
            fprintf(stderr, "survey-bench: not a number: %s\n", optarg);
            return 2;
        }
        switch (c) {
        case 'n':
            o->size = v;
            break;
        case 'm':
            o->intake = v;
            break;
        case 'k':
            o->clients = (int)v;
            break;
        case 'w':
            if (v < 1 || v > 100000) {
                fprintf(stderr, "survey-bench: --window %s: not 1 to 100000\n",
                        optarg);
                return 2;
            }
            o->windows[0] = (int)v;
            o->nwindows = 1;
            o->windows_given = true;
            break;
        case 'L': {
            char why[256];
            o->nwindows = load_steps_parse(optarg, o->windows, why, sizeof why);
            if (o->nwindows == 0) {
                fprintf(stderr, "survey-bench: %s\n", why);
                return 2;
            }
            o->windows_given = true;
            break;
        }
        case 'b':
            o->batch = (int)v;
            break;
        case 'c':
            o->corrections = v;
            break;
        case 'q':
            o->sqlite_intake = v;
            break;
        case 'Q':
            o->sqlite = false;
            break;
        case 's':
            o->seed = v;
            break;
        case 'C':
            o->collector = optarg;
            break;
        case 'S':
            o->sheets = optarg;
            break;
        case 'W':
            o->work = optarg;
            break;
        case 'R':
            o->random_order = true;
            break;
        case 'O':
            o->one_run = true;
            break;
        case 'V':
            o->curve_only = true;
            break;
        case 'E':
            o->every_program = true;
            break;
        case 'T':
            o->stages_only = true;
            o->skip_intake = true;
            o->skip_agg = true;
            break;
        case 'K':
            o->keep = true;
            break;
        case 'I':
            o->skip_intake = true;
            break;
        case 'A':
            o->skip_agg = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "survey-bench: unexpected argument %s\n", argv[optind]);
        return 2;
    }
    if (o->curve_only && !o->one_run) {
        fprintf(stderr, "survey-bench: --curve goes with --one-run\n");
        return 2;
    }
    if (o->one_run && !o->windows_given)
        o->nwindows = 1;
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* One target line. lower: smaller is better. */
static bool target(const char *name, double measured, const char *unit,
                   double must, double aim, bool lower)
{
    bool pass = lower ? measured <= must : measured >= must;

    printf("target %s measured %.6g %s must %g aim %g %s\n", name, measured,
           unit, must, aim, pass ? "pass" : "FAIL");
    return pass;
}

/* Per thread name, the percent of the run it was on a core and the
 * percent it was ready but waiting for one (the rest it was blocked: on
 * the disk, a lock, or waiting for work); nothing when any is unknown. */
static void print_thread_waits(const bench_threads *t)
{
    if (t->n == 0 || t->span_s <= 0)
        return;
    for (int i = 0; i < t->n; i++)
        if (t->t[i].run_s < 0 || t->t[i].wait_s < 0)
            return;
    printf("%-44s", "  collector threads, % on a core / waiting");
    for (int i = 0; i < t->n; i++)
        printf("%s %s %.0f/%.0f", i > 0 ? "," : "", t->t[i].name,
               100.0 * t->t[i].run_s / t->span_s,
               100.0 * t->t[i].wait_s / t->span_s);
    printf("\n");
}

static void print_intake(const char *label, const intake_result *r)
{
    printf("%-44s %12.0f acks/s (%zu acked, %zu errors, %.2f s)\n", label,
           r->rate, r->acked, r->errors, r->secs);
    printf("%-44s %8.2f / %.2f / %.2f ms\n", "  ack latency p50 / p99 / max",
           r->p50_ms, r->p99_ms, r->max_ms);
    printf("%-44s %8.2f s (%.0f%% of one core, %.1f us per ack)\n",
           "  collector CPU (user+sys)", r->cpu_s,
           r->secs > 0 ? 100.0 * r->cpu_s / r->secs : 0,
           r->acked > 0 ? 1e6 * r->cpu_s / (double)r->acked : 0);
    if (r->by_thread.n > 0 && r->acked > 0) {
        printf("%-44s", "  collector CPU by thread, us per ack");
        for (int i = 0; i < r->by_thread.n; i++)
            printf("%s %s %.1f", i > 0 ? "," : "", r->by_thread.t[i].name,
                   1e6 * r->by_thread.t[i].cpu_s / (double)r->acked);
        printf("\n");
    }
    print_thread_waits(&r->by_thread);
    if (r->bench_cpu_s >= 0 && r->acked > 0 && r->clients_cpu_s >= 0)
        printf("%-44s %8.1f us per ack (client threads %.1f, the rest "
               "its ZeroMQ I/O thread)\n",
               "  load generator CPU (the bench itself)",
               1e6 * r->bench_cpu_s / (double)r->acked,
               1e6 * r->clients_cpu_s / (double)r->acked);
    else if (r->bench_cpu_s >= 0 && r->acked > 0)
        printf("%-44s %8.1f us per ack (its threads' shares unknown)\n",
               "  load generator CPU (the bench itself)",
               1e6 * r->bench_cpu_s / (double)r->acked);
    printf("%-44s %8.1f MiB\n", "  collector peak RSS (VmHWM)",
           (double)r->hwm_kb / 1024.0);
    if (r->commits > 0)
        printf("%-44s %8zu (%.1f requests each: writing %.2f ms, "
               "committing %.2f ms; flushes %.2f ms)\n",
               "  group commits (the collector's log)", r->commits,
               r->per_commit, r->write_ms, r->commit_ms, r->flush_ms);
    if (r->stalls)
        printf("%-44s %8.2f ms (flush %.2f ms; over %d ms: %zu commits, "
               "%zu flushes)\n",
               "  slowest commit (the collector's log)", r->commit_max_ms,
               r->flush_max_ms, r->slow_ms, r->commits_slow, r->flushes_slow);
    if (r->staged > 0)
        printf("%-44s %8.2f ms (open batch %.2f, waiting for the writer "
               "%.2f, written and committed %.2f, to the reply %.2f)\n",
               "  in the collector, per request (its log)",
               r->open_ms + r->queue_ms + r->written_ms + r->reply_ms,
               r->open_ms, r->queue_ms, r->written_ms, r->reply_ms);
    if (r->acked > 0 && r->wchar >= 0)
        printf("%-44s %8.2f KiB per ack\n",
               "  collector writes (wchar: the store's pages)",
               (double)r->wchar / 1024.0 / (double)r->acked);
    if (r->errors > 0)
        printf("  first error: %s\n", r->first_error);
}

/* The load steps of one intake run. */
typedef struct {
    load_step step[LOAD_STEPS_MAX];
    int n;      /* steps run */
    int chosen; /* the one reported */
} steps_run;

/* Runs the intake io at each window of o in turn while load_steps_choose
 * says so, each in a directory of its own (io.work, then "-wW" when there
 * are several steps, removed after the step unless --keep); *res is the
 * reported step's result. The SQLite baseline (io.sqlite_n) runs with the
 * first step only, and *res carries its figures. A step that fails fails
 * the whole run. */
static sv_status run_steps(const options *o, intake_opts io, steps_run *sr,
                           intake_result *res, sv_error *err)
{
    char dir[PATH_MAX + 48];
    const char *base = io.work;
    size_t sqlite_n = io.sqlite_n;
    intake_result first = {0};
    bool more = true;

    sr->n = 0;
    sr->chosen = 0;
    for (int i = 0; i < o->nwindows && more; i++) {
        intake_result r = {0};
        io.window = o->windows[i];
        io.sqlite_n = i == 0 ? sqlite_n : 0;
        if (o->nwindows > 1) {
            snprintf(dir, sizeof dir, "%s-w%d", base, io.window);
            io.work = dir;
            fprintf(stderr, "survey-bench:   %d x %d in flight...\n",
                    io.clients, io.window);
        }
        sv_status st = bench_intake(&io, &r, err);
        if (st != SV_OK)
            return st;
        if (i == 0)
            first = r;
        sr->step[i] = (load_step){.window = io.window,
                                  .rate = r.rate,
                                  .p99_ms = r.p99_ms,
                                  .errors = r.errors};
        sr->n = i + 1;
        sr->chosen = load_steps_choose(sr->step, sr->n, P99_MUST_MS, &more);
        if (sr->chosen == i)
            *res = r;
        if (o->nwindows > 1 && !o->keep &&
            nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
            fprintf(stderr, "survey-bench: could not remove %s\n", dir);
    }
    res->sqlite_rate = first.sqlite_rate;
    res->sqlite_secs = first.sqlite_secs;
    res->sqlite_n = first.sqlite_n;
    return SV_OK;
}

/* The steps line of an intake that ran more than one: each window's rate
 * and p99, which one the figures below report, and why the steps ended. */
static void print_steps(const steps_run *sr, int nwindows)
{
    if (sr->n < 2 && nwindows < 2)
        return;
    printf("%-44s", "  load steps (in flight per client)");
    for (int i = 0; i < sr->n; i++) {
        const load_step *s = &sr->step[i];
        printf("%s %d: %.0f acks/s, p99 %.2f ms", i > 0 ? ";" : "", s->window,
               s->rate, s->p99_ms);
        if (s->errors > 0)
            printf(" (%zu errors)", s->errors);
        else if (s->p99_ms > P99_MUST_MS)
            printf(" (over %.0f ms)", P99_MUST_MS);
        if (i == sr->chosen)
            printf(" (reported below)");
    }
    if (sr->n == nwindows && sr->step[sr->n - 1].p99_ms <= P99_MUST_MS &&
        sr->step[sr->n - 1].errors == 0)
        printf("; no more steps");
    printf("\n");
}

int main(int argc, char **argv)
{
    char self[PATH_MAX];
    char collector[PATH_MAX + 64];
    char work[PATH_MAX];
    char sub[PATH_MAX + 32];
    options o = {.size = 1000000,
                 .intake = 300000,
                 .clients = 4,
                 .windows = {128, 192, 256, 320},
                 .nwindows = 4,
                 .corrections = 21,
                 .sqlite_intake = 5000,
                 .seed = 2024,
                 .sqlite = true,
                 .sheets = SV_SOURCE_DIR "/data/r6"};
    intake_result plain = {0};
    steps_run plain_steps = {0};
    steps_run curve_steps = {0};
    steps_run shuffled_steps = {0};
    steps_run dense_steps = {0};
    intake_result shuffled = {0};
    bool have_shuffled = false;
    intake_result dense = {0};
    bool have_dense = false;
    stages_result stages = {0};
    bool have_stages = false;
    intake_result curve = {0};
    agg_result agg = {0};
    sv_error err = {{0}};
    bool have_plain = false;
    bool have_curve = false;
    bool curve_ok = false;
    bool have_agg = false;
    int status = 0;
    int rc;

    if (argc > 1 && strcmp(argv[1], "measure-agg") == 0)
        return bench_agg_child(argc - 2, argv + 2);
    rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "survey-bench: cannot find itself\n");
        return 1;
    }
    self[n] = '\0';
    if (o.collector == NULL) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", self);
        snprintf(collector, sizeof collector,
                 "%s/../collector/survey-collector", dirname(dir));
        o.collector = collector;
    }
    if (o.work == NULL) {
        snprintf(work, sizeof work, "/tmp/survey-bench-%ld", (long)getpid());
        o.work = work;
    }
    if (mkdir(o.work, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "survey-bench: %s: %s\n", o.work, strerror(errno));
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    machine_cpu cpu_before = {0};
    bool have_cpu = machine_cpu_read(&cpu_before);
    double fault_us = machine_fault_us();

    if (!o.skip_intake) {
        intake_opts io = {.collector = o.collector,
                          .sheets = o.sheets,
                          .work = sub,
                          .m = o.intake,
                          .clients = o.clients,
                          .window = o.windows[0],
                          .batch = o.batch,
                          .random_order = o.random_order,
                          .every_program = o.every_program,
                          .seed = o.seed,
                          .sqlite_n = o.sqlite ? o.sqlite_intake : 0};
        snprintf(sub, sizeof sub, "%s/intake", o.work);
        /* --one-run --curve: the one run is the CURVE one */
        io.curve = o.curve_only;
        if (o.curve_only)
            io.sqlite_n = 0;
        fprintf(stderr, "survey-bench: intake%s, %zu submissions...\n",
                o.curve_only ? " with CURVE" : "", o.intake);
        if (run_steps(&o, io, o.curve_only ? &curve_steps : &plain_steps,
                      o.curve_only ? &curve : &plain, &err) != SV_OK) {
            fprintf(stderr, "survey-bench: intake%s: %s\n",
                    o.curve_only ? " (CURVE)" : "", err.msg);
            status = 1;
        } else if (o.curve_only) {
            have_curve = true;
            curve_ok = true;
        } else {
            have_plain = true;
        }
        if (!o.one_run && bench_curve_available(o.collector)) {
            have_curve = true;
            io.curve = true;
            io.sqlite_n = 0;
            snprintf(sub, sizeof sub, "%s/intake-curve", o.work);
            fprintf(stderr, "survey-bench: intake with CURVE...\n");
            if (run_steps(&o, io, &curve_steps, &curve, &err) != SV_OK) {
                fprintf(stderr, "survey-bench: intake (CURVE): %s\n", err.msg);
                snprintf(curve.first_error, sizeof curve.first_error, "%.200s",
                         err.msg);
            } else {
                curve_ok = true;
            }
        }
        if (!o.one_run && !o.random_order) {
            /* the same, plain, with respondents and ids as from the field */
            io.curve = false;
            io.sqlite_n = 0;
            io.random_order = true;
            snprintf(sub, sizeof sub, "%s/intake-random", o.work);
            fprintf(stderr, "survey-bench: intake in random order...\n");
            if (run_steps(&o, io, &shuffled_steps, &shuffled, &err) != SV_OK) {
                fprintf(stderr, "survey-bench: intake (random order): %s\n",
                        err.msg);
                status = 1;
            } else {
                have_shuffled = true;
            }
        }
        if (!o.one_run && !o.random_order && !o.every_program) {
            /* the same, plain, in code order, every program run: the
               larger submissions, with a SQLite baseline of their own */
            io.random_order = false;
            io.every_program = true;
            io.sqlite_n = o.sqlite ? o.sqlite_intake : 0;
            snprintf(sub, sizeof sub, "%s/intake-every-program", o.work);
            fprintf(stderr, "survey-bench: intake, every program run...\n");
            if (run_steps(&o, io, &dense_steps, &dense, &err) != SV_OK) {
                fprintf(stderr, "survey-bench: intake (every program): %s\n",
                        err.msg);
                status = 1;
            } else {
                have_dense = true;
            }
        }
    }
    if ((!o.skip_intake && !o.one_run) || o.stages_only) {
        stages_opts so = {.sheets = o.sheets,
                          .work = sub,
                          .n = o.intake < STAGES_MAX ? o.intake : STAGES_MAX,
                          .seed = o.seed,
                          .every_program = o.every_program};
        snprintf(sub, sizeof sub, "%s/stages", o.work);
        fprintf(stderr, "survey-bench: the collector's stages...\n");
        if (bench_stages(&so, &stages, &err) != SV_OK) {
            fprintf(stderr, "survey-bench: stages: %s\n", err.msg);
            status = 1;
        } else {
            have_stages = true;
        }
    }
    if (!o.skip_agg) {
        agg_opts ao = {.self = self,
                       .sheets = o.sheets,
                       .work = sub,
                       .n = o.size,
                       .corrections = o.corrections,
                       .seed = o.seed,
                       .sqlite = o.sqlite};
        snprintf(sub, sizeof sub, "%s/agg", o.work);
        fprintf(stderr, "survey-bench: aggregation, %zu responses...\n",
                o.size);
        if (bench_agg(&ao, &agg, &err) != SV_OK) {
            fprintf(stderr, "survey-bench: aggregation: %s\n", err.msg);
            status = 1;
        } else {
            have_agg = true;
        }
    }

    printf("\n== survey-bench (seed %" PRIu64 ", %ld cores) ==\n", o.seed,
           sysconf(_SC_NPROCESSORS_ONLN));
    machine_cpu cpu_after;
    double steal = have_cpu && machine_cpu_read(&cpu_after)
                       ? machine_steal_pct(&cpu_before, &cpu_after)
                       : -1;
    if (fault_us >= 0)
        printf("machine: a page fault %.2f us (first touch of 256 MiB)",
               fault_us);
    else
        printf("machine: page faults not measured");
    if (steal >= 0)
        printf("; steal time %.1f%% of the CPU time during the run\n", steal);
    else
        printf("; steal time not measured\n");
    if (have_plain || curve_ok) {
        const intake_result *first = have_plain ? &plain : &curve;
        char batch[48] = "its default --batch";
        if (o.batch > 0)
            snprintf(batch, sizeof batch, "--batch %d", o.batch);
        char windows[160];
        if (o.nwindows > 1)
            snprintf(windows, sizeof windows,
                     "%d to %d in flight (load steps; the figures are "
                     "those of the largest window whose ack p99 met %.0f "
                     "ms)",
                     o.windows[0], o.windows[o.nwindows - 1], P99_MUST_MS);
        else
            snprintf(windows, sizeof windows, "%d in flight", o.windows[0]);
        printf("intake: %zu submissions (%.1f answers, %.0f bytes each), "
               "%d DEALER clients x %s, collector with %s, "
               "loopback TCP, durable group commits%s%s\n",
               o.intake, first->answers_mean, first->bytes_mean, o.clients,
               windows, batch,
               o.random_order ? ", respondents in random order"
                              : ", respondents in code order",
               o.every_program ? ", every program run" : "");
        if (have_plain) {
            print_steps(&plain_steps, o.nwindows);
            print_intake("  plain (no CURVE)", &plain);
        }
        if (!o.one_run && !have_curve)
            printf("  CURVE: not available yet (survey-collector --help does "
                   "not list --server-secret)\n");
        else if (!o.one_run && !curve_ok)
            printf("  CURVE: failed: %s\n", curve.first_error);
        else if (curve_ok) {
            print_steps(&curve_steps, o.nwindows);
            print_intake("  CURVE", &curve);
        }
        if (have_shuffled) {
            print_steps(&shuffled_steps, o.nwindows);
            print_intake("  plain, respondents and ids in random order",
                         &shuffled);
        }
        if (plain.sqlite_n > 0)
            printf("%-44s %12.0f submissions/s (%zu in %.2f s, one writer, "
                   "one transaction each)\n",
                   "  SQLite baseline (WAL, synchronous=FULL)",
                   plain.sqlite_rate, plain.sqlite_n, plain.sqlite_secs);
        if (have_dense) {
            print_steps(&dense_steps, o.nwindows);
            print_intake("  plain, every program run", &dense);
            printf("%-44s %8.1f answers, %.0f bytes each\n",
                   "  its submissions", dense.answers_mean, dense.bytes_mean);
        }
        if (have_dense && dense.sqlite_n > 0) {
            printf("%-44s %12.0f submissions/s (%zu in %.2f s, the same "
                   "larger submissions)\n",
                   "  SQLite baseline, every program run", dense.sqlite_rate,
                   dense.sqlite_n, dense.sqlite_secs);
            printf("%-44s %12.1f x (reported, not a target line)\n",
                   "  intake vs SQLite, every program run",
                   dense.rate / dense.sqlite_rate);
        }
    }
    if (have_stages) {
        double total = 0;
        for (int k = 0; k < STAGE_COUNT; k++)
            total += stages.us[k];
        printf("collector stages, one thread, no I/O (%zu submissions%s, "
               "fastest of 3 rounds), us per submission:\n",
               stages.n, o.every_program ? ", every program run" : "");
        printf("%-44s %8.2f us\n", "  decode the request",
               stages.us[STAGE_DECODE]);
        printf("%-44s %8.2f us\n", "  validate, compact record",
               stages.us[STAGE_VALIDATE]);
        printf("%-44s %8.2f us\n", "  prepare (pack, compress)",
               stages.us[STAGE_PREPARE]);
        printf("%-44s %8.2f us\n", "  pack the ack", stages.us[STAGE_ACK]);
        printf("%-44s %8.2f us (the rest of the CPU per ack goes to "
               "sockets, LMDB, commits and thread hand-offs)\n",
               "  together", total);
    }
    if (have_agg) {
        printf("aggregation: %zu responses (%.1f answers each)\n", o.size,
               agg.answers_mean);
        printf("%-44s %8.1f s (LMDB %zu MiB)\n",
               "  load through the storage API", agg.load_s, agg.data_mb);
        printf("%-44s %8.2f s\n", "  questionnaire + roster load",
               agg.q_load_s);
        printf("%-44s %8.1f ms (first %.1f ms; CPU %.1f ms)\n",
               "  full rerun (median of 3)", agg.rerun_ms, agg.rerun_first_ms,
               agg.rerun_cpu_ms);
        if (agg.plain_rerun_ms >= 0)
            printf("%-44s %8.1f ms (the store's own file, %zu MiB, instead "
                   "of the mirror, %zu MiB: %.1fx)\n",
                   "  full rerun without the scan mirror", agg.plain_rerun_ms,
                   agg.data_mb, agg.mirror_mb,
                   agg.rerun_ms > 0 ? agg.plain_rerun_ms / agg.rerun_ms : 0);
        else
            printf("%-44s not measured: %s\n",
                   "  full rerun without the scan mirror", agg.plain_error);
        printf("%-44s %8.1f us (max %.1f us; follow alone %.1f us)\n",
               "  one correction to new tables (median)", agg.incr_us,
               agg.incr_max_us, agg.follow_us);
        printf("%-44s %8.1f ms, %zu bytes%s\n", "  snapshot (build + store)",
               agg.snapshot_ms, agg.snapshot_bytes,
               agg.detail_omitted ? " (respondent detail omitted)" : "");
        printf("%-44s %8.1f MiB\n", "  aggregator peak RSS",
               (double)agg.hwm_kb / 1024.0);
        printf("%-44s %8.1f MiB heap, %.1f MiB LMDB map (file)\n",
               "    RSS at the end", (double)agg.anon_kb / 1024.0,
               (double)agg.file_kb / 1024.0);
        printf("%-44s %s\n", "  incremental == rerun (digest)",
               agg.consistent ? "yes" : "NO");
        if (o.sqlite) {
            printf("%-44s %8.1f s (%zu MiB)\n", "  SQLite bulk load",
                   agg.sqlite_load_s, agg.sqlite_mb);
            printf("%-44s %8.1f ms\n", "  SQL tables (GROUP BY)", agg.sql_ms);
            printf("%-44s %s (%zu figures compared)%s%s\n",
                   "  SQL figures == ours", agg.sql_equal ? "yes" : "NO",
                   agg.sql_checked, agg.sql_equal ? "" : ": ",
                   agg.sql_mismatch);
        }
    }
    printf("\n");
    if (have_plain) {
        target("intake_acks_per_s", plain.rate, "acks/s", 50000, 100000, false);
        target("intake_ack_p99", plain.p99_ms, "ms", P99_MUST_MS, 5, true);
        if (plain.sqlite_rate > 0)
            target("intake_vs_sqlite", plain.rate / plain.sqlite_rate, "x", 20,
                   30, false);
    }
    if (curve_ok) {
        target("intake_curve_acks_per_s", curve.rate, "acks/s", 50000, 100000,
               false);
        target("intake_curve_ack_p99", curve.p99_ms, "ms", P99_MUST_MS, 5,
               true);
    }
    if (have_agg) {
        target("full_rerun", agg.rerun_ms, "ms", 250, 100, true);
        target("incremental", agg.incr_us, "us", 1000, 100, true);
        if (o.sqlite && agg.rerun_ms > 0)
            target("aggregation_vs_sql", agg.sql_ms / agg.rerun_ms, "x", 20, 50,
                   false);
        target("aggregator_peak_rss", (double)agg.hwm_kb / 1024.0, "MiB", 512,
               256, true);
    }
    if ((have_agg && (!agg.consistent || (o.sqlite && !agg.sql_equal))) ||
        (have_plain && plain.errors > 0) || (curve_ok && curve.errors > 0) ||
        (have_dense && dense.errors > 0))
        status = 1;
    if (!o.keep && nftw(o.work, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "survey-bench: could not remove %s\n", o.work);
    return status;
}
