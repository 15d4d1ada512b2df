/* agg.c: the aggregation benchmark at national household scale. N
 * generated responses are written straight through the storage API, with
 * compact records made exactly as the collector makes them (validate,
 * relevance, sv_compact_encode), in big batches; the same responses go
 * into the SQLite baseline. The measurement runs in a fresh process (this
 * binary re-executed, so its peak RSS is its own): questionnaire load,
 * full rerun, snapshot, and corrections each followed incrementally to
 * their new tables. Then the SQL computes the same tables, timed, and its
 * figures are checked against ours. */
#include "bench.h"
#include "compact.h"
#include "engine.h"
#include "gen.h"
#include "log.h"
#include "sqlite_baseline.h"
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LOAD_BATCH 10000
#define MAP_SIZE ((size_t)32 << 30)
#define RERUNS 3
#define CORRECTION_NOTE "訂正"

/* Scratch for validating one submission as the collector does. */
typedef struct {
    const sv_questionnaire *q;
    sv_value *values;
    bool *relevant;
    uint8_t *compact;
} encoder;

static sv_status encoder_init(encoder *e, const sv_questionnaire *q,
                              sv_error *err)
{
    size_t n = sv_questionnaire_count(q);

    e->q = q;
    e->values = calloc(n + 1, sizeof *e->values);
    e->relevant = calloc(n + 1, sizeof *e->relevant);
    e->compact = calloc(sv_compact_size(q) + 1, 1);
    if (e->values == NULL || e->relevant == NULL || e->compact == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    return SV_OK;
}

static void encoder_free(encoder *e)
{
    free(e->values);
    free(e->relevant);
    free(e->compact);
}

/* Validates sub, makes its compact record and puts it into the batch. */
static sv_status put_one(encoder *e, sv_batch *b,
                         const Survey__V1__Submission *sub, sv_error *err)
{
    sv_verdict verdict = {0};
    sv_put_result res;
    sv_status st = sv_questionnaire_validate(
        e->q, (const Survey__V1__Answer *const *)sub->answers, sub->n_answers,
        e->values, &verdict);

    if (st == SV_OK && verdict.n_problems > 0)
        st = sv_fail(err, SV_ERR_INVALID,
                     "generated answers of %s are invalid: %s: %s",
                     sub->respondent, verdict.problems[0].question,
                     verdict.problems[0].message);
    if (st == SV_OK) {
        sv_questionnaire_relevance(e->q, e->values, e->relevant);
        sv_compact_encode(e->q, e->values, e->relevant, e->compact);
        sv_put put = {.sub = sub,
                      .submitter = "bench",
                      .time_ms = sv_now_ms(),
                      .missing = verdict.missing,
                      .n_missing = verdict.n_missing,
                      .compact = e->compact,
                      .compact_len = sv_compact_size(e->q)};
        st = sv_batch_put(b, &put, &res, err);
        if (st == SV_OK)
            sv_put_result_clear(&res);
    }
    sv_verdict_clear(&verdict);
    return st;
}

/* ---- the load (setup) ------------------------------------------------- */

typedef struct {
    double lmdb_s;
    double sql_s;
    size_t answers;
} load_times;

static sv_status load_all(const agg_opts *o, const sv_questionnaire *q,
                          sv_store *s, sql_db *db, load_times *lt,
                          sv_error *err)
{
    encoder e;
    gen_rng rng;
    char code[32];
    sv_batch *b = NULL;
    sv_status st = encoder_init(&e, q, err);

    gen_rng_seed(&rng, o->seed);
    for (size_t i = 0; st == SV_OK && i < o->n; i++) {
        double t0;
        snprintf(code, sizeof code, "%06zu", i);
        gen_sub *g = gen_submission(q, &rng, code, 0, o->seed, i, false);
        if (g == NULL) {
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory (generate)");
            break;
        }
        lt->answers += gen_sub_msg(g)->n_answers;
        t0 = bench_now();
        if (b == NULL)
            st = sv_batch_begin(s, &b, err);
        if (st == SV_OK)
            st = put_one(&e, b, gen_sub_msg(g), err);
        if (st == SV_OK && (i + 1 == o->n || (i + 1) % LOAD_BATCH == 0))
            st = sv_batch_commit(&b, err);
        lt->lmdb_s += bench_now() - t0;
        if (st == SV_OK && db != NULL) {
            t0 = bench_now();
            if (i % LOAD_BATCH == 0)
                st = sql_begin(db, err);
            if (st == SV_OK)
                st = sql_insert(db, gen_sub_msg(g),
                                sv_questionnaire_respondent(q, i)->type, err);
            if (st == SV_OK && (i + 1 == o->n || (i + 1) % LOAD_BATCH == 0))
                st = sql_commit(db, err);
            lt->sql_s += bench_now() - t0;
        }
        gen_sub_free(g);
    }
    sv_batch_abort(&b);
    encoder_free(&e);
    return st;
}

/* ---- the measuring child ---------------------------------------------- */

/* Seconds of CPU this process has used. */
static double cpu_now(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n > 0 ? v[n / 2] : 0;
}

/* The snapshot's figures, for the comparison with the SQL. */
static sv_status write_figures(const char *path,
                               const Survey__V1__Snapshot *snap, sv_error *err)
{
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    for (size_t i = 0; i < snap->n_frequencies; i++) {
        const Survey__V1__Frequency *fr = snap->frequencies[i];
        for (size_t o = 0; o < fr->n_options; o++) {
            const Survey__V1__OptionFigures *of = fr->options[o];
            for (size_t k = 0; k < of->n_figures; k++)
                fprintf(f, "F\t%s\t%s\t%s\t%u\t%u\n", fr->question, of->option,
                        of->figures[k]->respondent_type, of->figures[k]->count,
                        of->figures[k]->n);
        }
    }
    for (size_t i = 0; snap->matrix != NULL && i < snap->matrix->n_totals;
         i++) {
        const Survey__V1__MatrixTotal *t = snap->matrix->totals[i];
        fprintf(f, "S\t%s\t%s\t%" PRId64 "\t%u\n", t->question,
                t->respondent_type, t->sum, t->n);
    }
    if (fclose(f) != 0)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    return SV_OK;
}

/* The k-th of c corrections of a store of n responses, each at revision 1:
 * its respondent (spread over the roster; round it again when c >= n) and
 * the revision it corrects (1 more for each earlier correction of it). */
static void correction_target(size_t n, size_t c, size_t k, size_t *idx,
                              uint64_t *base)
{
    size_t step = n / (c + 1);
    *base = 1;
    if (step > 0) {
        *idx = (k * step + 1) % n;
        return;
    }
    *idx = (k + 1) % n;
    for (size_t j = 0; j < k; j++)
        *base += (j + 1) % n == *idx;
}

/* Stores a correction of respondent idx (revision base -> base + 1). */
static sv_status correct(sv_store *s, const sv_questionnaire *q, gen_rng *rng,
                         size_t idx, uint64_t base, uint64_t seed, size_t id,
                         sv_error *err)
{
    encoder e;
    sv_batch *b = NULL;
    gen_sub *g =
        gen_submission(q, rng, sv_questionnaire_respondent(q, idx)->code, base,
                       seed, id, false);
    sv_status st = encoder_init(&e, q, err);

    if (g == NULL && st == SV_OK)
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (st == SV_OK)
        st = sv_batch_begin(s, &b, err);
    if (st == SV_OK)
        st = put_one(&e, b, gen_sub_msg(g), err);
    if (st == SV_OK)
        st = sv_batch_commit(&b, err);
    sv_batch_abort(&b);
    gen_sub_free(g);
    encoder_free(&e);
    return st;
}

typedef struct {
    const char *data;
    const char *survey;
    const char *figures;
    size_t n;
    size_t corrections;
    uint64_t seed;
    bool no_mirror;
} child_args;

static int measure(const child_args *a)
{
    sv_error err = {{0}};
    sv_questionnaire *q = NULL;
    sv_store *s = NULL;
    sv_engine *e = NULL;
    Survey__V1__Snapshot *snap = NULL;
    sv_store_options so = {
        .map_size = MAP_SIZE, .read_only = false, .no_mirror = a->no_mirror};
    double rerun[RERUNS];
    double rerun_cpu[RERUNS];
    double *incr = calloc(a->corrections + 1, sizeof *incr);
    double *follow = calloc(a->corrections + 1, sizeof *follow);
    char inc_hex[65] = "";
    char full_hex[65] = "";
    gen_rng rng;
    double t0;
    sv_status st;

    if (incr == NULL || follow == NULL)
        return 1;
    t0 = bench_now();
    st = sv_questionnaire_load(&q, a->survey, &err);
    printf("q_load_s %f\n", bench_now() - t0);
    if (st == SV_OK)
        st = sv_store_open(&s, a->data, &so, &err);
    if (st == SV_OK)
        st = sv_engine_new(&e, s, q, 0, &err);
    for (size_t k = 0; st == SV_OK && k < RERUNS; k++) {
        double c0 = cpu_now();
        t0 = bench_now();
        st = sv_engine_rerun(e, &err);
        rerun[k] = (bench_now() - t0) * 1e3;
        rerun_cpu[k] = (cpu_now() - c0) * 1e3;
    }
    if (st == SV_OK) {
        printf("rerun_first_ms %f\n", rerun[0]);
        printf("rerun_ms %f\n", median(rerun, RERUNS));
        printf("rerun_cpu_ms %f\n", median(rerun_cpu, RERUNS));
        t0 = bench_now();
        st = sv_engine_snapshot(e, "rerun", &snap, &err);
        printf("snapshot_ms %f\n", (bench_now() - t0) * 1e3);
    }
    if (st == SV_OK) {
        printf("snapshot_bytes %zu\n",
               survey__v1__snapshot__get_packed_size(snap));
        printf("detail_omitted %d\n", snap->respondent_detail_omitted ? 1 : 0);
        st = write_figures(a->figures, snap, &err);
        survey__v1__snapshot__free_unpacked(snap, NULL);
    }
    gen_rng_seed(&rng, a->seed ^ UINT64_C(0x436f7272));
    for (size_t k = 0; st == SV_OK && k < a->corrections; k++) {
        sv_engine_events ev;
        size_t idx;
        uint64_t base;
        correction_target(a->n, a->corrections, k, &idx, &base);
        st = correct(s, q, &rng, idx, base, a->seed, a->n + k, &err);
        if (st != SV_OK)
            break;
        t0 = bench_now();
        st = sv_engine_follow(e, &ev, &err);
        follow[k] = (bench_now() - t0) * 1e6;
        if (st == SV_OK)
            st = sv_engine_digest(e, inc_hex, &err);
        incr[k] = (bench_now() - t0) * 1e6;
        if (st == SV_OK && ev.answers != 1)
            st = sv_fail(&err, SV_ERR_STORE, "follow saw %zu changes",
                         ev.answers);
    }
    if (st == SV_OK && a->corrections > 0) {
        double max = 0;
        for (size_t k = 0; k < a->corrections; k++)
            max = incr[k] > max ? incr[k] : max;
        printf("incr_max_us %f\n", max);
        printf("incr_us %f\n", median(incr, a->corrections));
        printf("follow_us %f\n", median(follow, a->corrections));
        st = sv_engine_rerun(e, &err);
        if (st == SV_OK)
            st = sv_engine_digest(e, full_hex, &err);
        printf("consistent %d\n", strcmp(inc_hex, full_hex) == 0 ? 1 : 0);
    }
    /* VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so it
     * would report the (large) parent this process was forked from */
    printf("hwm_kb %ld\n", bench_hwm_kb((int)getpid()));
    /* what the peak is made of: our heap vs LMDB's map (file pages the
     * kernel maps around each page the scan reads) */
    printf("anon_kb %ld\n", bench_status_kb((int)getpid(), "RssAnon:"));
    printf("file_kb %ld\n", bench_status_kb((int)getpid(), "RssFile:"));
    if (st != SV_OK)
        printf("error %s\n", err.msg);
    sv_engine_destroy(&e);
    sv_store_destroy(&s);
    sv_questionnaire_destroy(&q);
    free(incr);
    free(follow);
    return st == SV_OK ? 0 : 1;
}

int bench_agg_child(int argc, char **argv)
{
    child_args a = {0};

    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--data") == 0)
            a.data = argv[i + 1];
        else if (strcmp(argv[i], "--survey") == 0)
            a.survey = argv[i + 1];
        else if (strcmp(argv[i], "--figures") == 0)
            a.figures = argv[i + 1];
        else if (strcmp(argv[i], "--n") == 0)
            a.n = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--corrections") == 0)
            a.corrections = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0)
            a.seed = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--no-mirror") == 0)
            a.no_mirror = strcmp(argv[i + 1], "1") == 0;
    }
    if (a.data == NULL || a.survey == NULL || a.figures == NULL || a.n == 0) {
        fprintf(stderr, "measure-agg: --data --survey --figures --n needed\n");
        return 2;
    }
    return measure(&a);
}

/* ---- the parent ------------------------------------------------------- */

/* Runs the child and reads its "key value" lines into res. */
static sv_status run_child(const agg_opts *o, const char *data,
                           const char *survey, const char *figures,
                           agg_result *res, sv_error *err)
{
    char cmd[16384];
    char line[1024];
    char error[1024] = "";
    int status;
    FILE *p;

    snprintf(cmd, sizeof cmd,
             "'%s' measure-agg --data '%s' --survey '%s' --figures '%s' "
             "--n %zu --corrections %zu --seed %" PRIu64 " --no-mirror %d",
             o->self, data, survey, figures, o->n, o->corrections, o->seed,
             o->no_mirror ? 1 : 0);
    p = popen(cmd, "r");
    if (p == NULL)
        return sv_fail(err, SV_ERR_IO, "cannot run %s", o->self);
    while (fgets(line, sizeof line, p) != NULL) {
        char key[64];
        double v = 0;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "error ", 6) == 0) {
            snprintf(error, sizeof error, "%s", line + 6);
            continue;
        }
        if (sscanf(line, "%63s %lf", key, &v) != 2)
            continue;
        if (strcmp(key, "q_load_s") == 0)
            res->q_load_s = v;
        else if (strcmp(key, "rerun_ms") == 0)
            res->rerun_ms = v;
        else if (strcmp(key, "rerun_cpu_ms") == 0)
            res->rerun_cpu_ms = v;
        else if (strcmp(key, "rerun_first_ms") == 0)
            res->rerun_first_ms = v;
        else if (strcmp(key, "snapshot_ms") == 0)
            res->snapshot_ms = v;
        else if (strcmp(key, "snapshot_bytes") == 0)
            res->snapshot_bytes = (size_t)v;
        else if (strcmp(key, "detail_omitted") == 0)
            res->detail_omitted = v != 0;
        else if (strcmp(key, "incr_us") == 0)
            res->incr_us = v;
        else if (strcmp(key, "incr_max_us") == 0)
            res->incr_max_us = v;
        else if (strcmp(key, "follow_us") == 0)
            res->follow_us = v;
        else if (strcmp(key, "consistent") == 0)
            res->consistent = v != 0;
        else if (strcmp(key, "hwm_kb") == 0)
            res->hwm_kb = (long)v;
        else if (strcmp(key, "anon_kb") == 0)
            res->anon_kb = (long)v;
        else if (strcmp(key, "file_kb") == 0)
            res->file_kb = (long)v;
    }
    status = pclose(p);
    if (status != 0)
        return sv_fail(err, SV_ERR_STORE, "measurement failed: %s",
                       error[0] != '\0' ? error : "(no message)");
    return SV_OK;
}

/* Respondent types in roster order of first appearance, as the report. */
static size_t roster_types(const sv_questionnaire *q, const char **types,
                           size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < sv_questionnaire_roster_count(q); i++) {
        const char *t = sv_questionnaire_respondent(q, i)->type;
        size_t k;
        for (k = 0; k < n; k++) {
            if (strcmp(types[k], t) == 0)
                break;
        }
        if (k == n && n < max)
            types[n++] = t;
    }
    return n;
}

static int slot_of(const char *const *types, size_t n, const char *type)
{
    if (strcmp(type, "all") == 0)
        return 0;
    for (size_t t = 0; t < n; t++) {
        if (strcmp(types[t], type) == 0)
            return (int)(1 + t);
    }
    return -1;
}

/* Compares the figures the child wrote with the SQL's. */
static void compare(const char *path, const sv_questionnaire *q,
                    const char *const *types, size_t n_types,
                    const sql_tables *t, agg_result *res)
{
    char line[1024];
    size_t slots = 1 + n_types;
    FILE *f = fopen(path, "r");

    res->sql_equal = f != NULL;
    if (f == NULL) {
        snprintf(res->sql_mismatch, sizeof res->sql_mismatch,
                 "no figures file");
        return;
    }
    while (fgets(line, sizeof line, f) != NULL && res->sql_equal) {
        char *field[6] = {0};
        char *save = NULL;
        size_t nf = 0;
        line[strcspn(line, "\n")] = '\0';
        for (char *tok = strtok_r(line, "\t", &save); tok != NULL && nf < 6;
             tok = strtok_r(NULL, "\t", &save))
            field[nf++] = tok;
        bool freq = nf == 6 && strcmp(field[0], "F") == 0;
        bool total = nf == 5 && strcmp(field[0], "S") == 0;
        if (!freq && !total)
            continue;
        int i = sv_questionnaire_find(q, field[1]);
        int s = slot_of(types, n_types, field[freq ? 3 : 2]);
        if (i < 0 || s < 0)
            continue;
        const sv_question *qu = sv_questionnaire_question(q, (size_t)i);
        uint64_t ours_n = strtoull(field[freq ? 5 : 4], NULL, 10);
        uint64_t sql_n = t->n[(size_t)i * slots + (size_t)s];
        uint64_t ours_v = strtoull(field[freq ? 4 : 3], NULL, 10);
        uint64_t sql_v;
        if (freq) {
            int o = sv_question_option(qu, field[2]);
            if (o < 0)
                continue;
            sql_v = t->count[(t->opt_base[i] + (size_t)o) * slots + (size_t)s];
            if (strcmp(field[1], "supporter_outsourced") == 0 &&
                strcmp(field[2], "yes") == 0 && s < 16 &&
                (t->cond_count[s] != ours_v || t->cond_n[s] != ours_n)) {
                res->sql_equal = false;
                snprintf(res->sql_mismatch, sizeof res->sql_mismatch,
                         "conditional rate %s/%s: ours %" PRIu64 "/%" PRIu64
                         ", SQL %u/%u",
                         field[1], field[3], ours_v, ours_n, t->cond_count[s],
                         t->cond_n[s]);
            }
        } else {
            sql_v = (uint64_t)t->sum[(size_t)i * slots + (size_t)s];
        }
        res->sql_checked++;
        if (res->sql_equal && (sql_v != ours_v || sql_n != ours_n)) {
            res->sql_equal = false;
            snprintf(res->sql_mismatch, sizeof res->sql_mismatch,
                     "%s %s %s: ours %" PRIu64 "/%" PRIu64 ", SQL %" PRIu64
                     "/%" PRIu64,
                     field[1], freq ? field[2] : "sum", field[freq ? 3 : 2],
                     ours_v, ours_n, sql_v, sql_n);
        }
    }
    fclose(f);
}

static size_t file_mb(const char *path)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return 0;
    return (size_t)((st.st_blocks * 512) >> 20);
}

/* MiB of the scan mirror's data file in the store's directory data (the
 * one mirror-* folder a read-write open leaves), 0 when none. */
static size_t mirror_mb(const char *data)
{
    char path[4800];
    struct dirent *e;
    size_t mb = 0;
    DIR *d = opendir(data);

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "mirror-", 7) != 0)
            continue;
        if (snprintf(path, sizeof path, "%.4200s/%.255s/data.mdb", data,
                     e->d_name) < (int)sizeof path)
            mb = file_mb(path);
    }
    closedir(d);
    return mb;
}

sv_status bench_agg(const agg_opts *o, agg_result *res, sv_error *err)
{
    char surveys[4200];
    char survey[4300];
    char data[4200];
    char sqlpath[4200];
    char figures[4200];
    char path[4300];
    const char *types[16];
    size_t n_types;
    sv_questionnaire *q = NULL;
    sv_store *s = NULL;
    sql_db *db = NULL;
    sql_tables t = {0};
    sv_store_options so = {.map_size = MAP_SIZE, .read_only = false};
    load_times lt = {0};
    sv_status st;
    double t0;

    memset(res, 0, sizeof *res);
    if (mkdir(o->work, 0700) != 0 && errno != EEXIST)
        return sv_fail(err, SV_ERR_IO, "%s: %s", o->work, strerror(errno));
    snprintf(surveys, sizeof surveys, "%s/surveys", o->work);
    snprintf(survey, sizeof survey, "%s/survey", surveys);
    snprintf(data, sizeof data, "%s/data", o->work);
    snprintf(sqlpath, sizeof sqlpath, "%s/agg.sqlite", o->work);
    snprintf(figures, sizeof figures, "%s/figures.tsv", o->work);
    st = gen_survey_dir(o->sheets, surveys, o->n, o->seed, err);
    if (st == SV_OK)
        st = sv_questionnaire_load(&q, survey, err);
    if (st == SV_OK)
        st = sv_store_open(&s, data, &so, err);
    if (st == SV_OK && o->sqlite)
        st = sql_open(&db, sqlpath, err);
    if (st == SV_OK)
        st = load_all(o, q, s, db, &lt, err);
    sv_store_destroy(&s);
    res->load_s = lt.lmdb_s;
    res->sqlite_load_s = lt.sql_s;
    res->answers_mean = o->n > 0 ? (double)lt.answers / (double)o->n : 0;
    snprintf(path, sizeof path, "%s/data.mdb", data);
    res->data_mb = file_mb(path);
    res->sqlite_mb = file_mb(sqlpath);
    if (st == SV_OK)
        st = run_child(o, data, survey, figures, res, err);
    res->mirror_mb = mirror_mb(data);
    if (st == SV_OK) {
        /* the reruns once more without the mirror: reported, not a target,
         * and a failure here fails nothing else */
        agg_opts reruns = *o;
        agg_result r;
        sv_error cerr = {{0}};
        snprintf(path, sizeof path, "%s/figures-plain.tsv", o->work);
        reruns.corrections = 0;
        reruns.no_mirror = true;
        res->plain_rerun_ms = -1;
        if (run_child(&reruns, data, survey, path, &r, &cerr) == SV_OK)
            res->plain_rerun_ms = r.rerun_ms;
        else
            snprintf(res->plain_error, sizeof res->plain_error, "%s", cerr.msg);
    }
    if (st == SV_OK && db != NULL) {
        n_types = roster_types(q, types, 15);
        t0 = bench_now();
        st = sql_aggregate(db, q, types, n_types, "supporter_outsourced",
                           "supporter", &t, err);
        res->sql_ms = (bench_now() - t0) * 1e3;
        if (st == SV_OK)
            compare(figures, q, types, n_types, &t, res);
        sql_tables_free(&t);
    }
    sql_close(&db);
    sv_questionnaire_destroy(&q);
    return st;
}
