/* main.c: survey-aggregator. Follows the change log of the LMDB environment
 * the collector writes, keeps the report's tables of every survey up to
 * date, stores immutable versioned snapshots and publishes each on a PUB
 * socket (topic = survey id). */
#include "engine.h"
#include "report.h"
#include "config.h"
#include "log.h"
#include "registry.h"
#include "store.h"
#include "summary.h"
#include "zendpoint.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PROGRAM "survey-aggregator"
#define DEFAULT_PUBLISH "tcp://127.0.0.1:5556"
#define DEFAULT_DEBOUNCE_MS 200
#define DEFAULT_POLL_MS 1000

#ifndef SV_DEFAULT_DATA_DIR
#define SV_DEFAULT_DATA_DIR "/var/lib/survey"
#endif
#ifndef SV_DEFAULT_SURVEY_DIR
#define SV_DEFAULT_SURVEY_DIR "/usr/share/survey"
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct {
    const char *data_dir;
    const char *survey_dir;
    const char *publish;
    const char *notify;
    size_t map_size;
    long debounce_ms;
    long poll_ms;
    unsigned decimals;
    long respondent_detail;
} options;

/* One followed survey. */
typedef struct {
    sv_engine *engine;  /* owned */
    const char *survey; /* borrowed from the registry */
    bool dirty;         /* answers applied since the last snapshot */
    long long changed_ms;
} followed;

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: " PROGRAM " [OPTION]...\n"
        "Keeps the report's tables up to date from the change log and "
        "publishes\n"
        "immutable, versioned snapshots.\n"
        "\n"
        "Options:\n"
        "  --data DIR         LMDB environment shared with "
        "survey-collector.\n"
        "                     Default: $SURVEY_DATA, else " SV_DEFAULT_DATA_DIR
        "\n"
        "  --publish EP       PUB endpoint for new snapshots (topic = "
        "survey id).\n"
        "                     Default: " DEFAULT_PUBLISH "\n"
        "  --notify EP        the collector's commit notices (SUB). "
        "Default:\n"
        "                     ipc://DATA/notify.sock; \"none\" = only "
        "poll the log.\n"
        "  --survey-dir DIR   questionnaires, as for survey-collector. "
        "Default:\n"
        "                     " SV_DEFAULT_SURVEY_DIR "\n"
        "  --debounce MS      make a snapshot when no change came for "
        "MS ms\n"
        "                     (default %d).\n"
        "  --poll MS          read the change log at least every MS ms, "
        "notice or\n"
        "                     not (default %d).\n"
        "  --decimals N       decimals of every percentage, rounded half "
        "up (default 0).\n"
        "  --respondent-detail N\n"
        "                     above N respondents on the roster, "
        "snapshots leave out\n"
        "                     what lists respondents one by one (matrix "
        "rows, listings,\n"
        "                     programs, completeness per respondent) and "
        "keep every\n"
        "                     aggregate table (default %d).\n"
        "  --map-size BYTES   LMDB map size (K, M, G suffixes). Default: "
        "the size the\n"
        "                     environment has (the collector's "
        "--map-size), or 64G\n"
        "                     when this process creates it.\n"
        "  --config FILE      read these options from the INI section\n"
        "                     [survey-aggregator] of FILE (key = option "
        "name);\n"
        "                     options given on the command line win.\n"
        "  -h, --help         this text.\n"
        "\n"
        "Logs \"ready\" when it follows the log, and one line per "
        "snapshot. On start it\n"
        "rebuilds its tables from the stored answers and snapshots if "
        "the log has\n"
        "moved past its watermark. SIGINT/SIGTERM: exits 0. Exit 1: "
        "start-up failed,\n"
        "or it stopped on an error while following (logged as \"stopped "
        "on error\");\n"
        "2: bad command line.\n",
        DEFAULT_DEBOUNCE_MS, DEFAULT_POLL_MS, SV_REPORT_DETAIL_DEFAULT);
}

/* The long options; a --config file's keys are these (config.h). */
static const struct option longopts[] = {
    {"data", required_argument, NULL, 'd'},
    {"publish", required_argument, NULL, 'p'},
    {"notify", required_argument, NULL, 'n'},
    {"survey-dir", required_argument, NULL, 's'},
    {"debounce", required_argument, NULL, 'b'},
    {"poll", required_argument, NULL, 'l'},
    {"decimals", required_argument, NULL, 'x'},
    {"respondent-detail", required_argument, NULL, 'r'},
    {"map-size", required_argument, NULL, 'm'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int parse_args(int argc, char **argv, options *o)
{
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            o->data_dir = optarg;
            break;
        case 'p':
            o->publish = optarg;
            break;
        case 'n':
            o->notify = optarg;
            break;
        case 's':
            o->survey_dir = optarg;
            break;
        case 'b':
        case 'l':
            if (sv_config_long(optarg, 0, 3600000, &v) != 0) {
                fprintf(stderr, PROGRAM ": --%s: not a number of ms: %s\n",
                        c == 'b' ? "debounce" : "poll", optarg);
                return 2;
            }
            if (c == 'b')
                o->debounce_ms = v;
            else
                o->poll_ms = v > 0 ? v : 1;
            break;
        case 'x':
            if (sv_config_long(optarg, 0, 6, &v) != 0) {
                fprintf(stderr, PROGRAM ": --decimals: 0 to 6: %s\n", optarg);
                return 2;
            }
            o->decimals = (unsigned)v;
            break;
        case 'r':
            if (sv_config_long(optarg, 0, 0x7fffffffL, &v) != 0) {
                fprintf(stderr, PROGRAM ": --respondent-detail: a number: %s\n",
                        optarg);
                return 2;
            }
            o->respondent_detail = v;
            break;
        case 'm':
            if (sv_config_size(optarg, &o->map_size) != 0) {
                fprintf(stderr,
                        PROGRAM ": --map-size: not a size (K, M, G): %s\n",
                        optarg);
                return 2;
            }
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
        fprintf(stderr, PROGRAM ": unexpected argument: %s\n", argv[optind]);
        return 2;
    }
    return 0;
}

/* Publishes [survey][summary snapshot] on the PUB socket. */
static void publish(void *pub, Survey__V1__Snapshot *snap)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (sv_summary_pack(snap, &data, &len) != SV_OK) {
        sv_log(PROGRAM, "out of memory: snapshot %llu not published",
               (unsigned long long)snap->version);
        return;
    }
    if (zmq_send(pub, snap->survey, strlen(snap->survey), ZMQ_SNDMORE) < 0 ||
        zmq_send(pub, data, len, 0) < 0)
        sv_log(PROGRAM, "snapshot %llu not published: %s",
               (unsigned long long)snap->version, zmq_strerror(zmq_errno()));
    free(data);
}

static sv_status make_snapshot(followed *f, void *pub, const char *trigger,
                               sv_error *err)
{
    Survey__V1__Snapshot *snap = NULL;
    sv_status st = sv_engine_snapshot(f->engine, trigger, &snap, err);
    if (st != SV_OK)
        return st;
    char hex[17] = "";
    for (size_t i = 0; i < 8 && i < snap->digest.len; i++)
        snprintf(hex + 2 * i, 3, "%02x", snap->digest.data[i]);
    sv_log(PROGRAM, "snapshot %s version %llu at sequence %llu (%s, digest %s)",
           f->survey, (unsigned long long)snap->version,
           (unsigned long long)snap->sequence, trigger, hex);
    publish(pub, snap);
    survey__v1__snapshot__free_unpacked(snap, NULL);
    f->dirty = false;
    return SV_OK;
}

/* What the last rerun read, for the log. */
static const char *read_from(const sv_engine *e)
{
    return sv_engine_rerun_read_mirror(e)
               ? "the scan mirror"
               : "the store's own file (no scan mirror of this boot)";
}

/* One pass over the log for one survey, and the snapshots it calls for. */
static sv_status step(followed *f, void *pub, long debounce_ms, sv_error *err)
{
    sv_engine_events ev;
    sv_status st = sv_engine_follow(f->engine, &ev, err);
    if (st != SV_OK)
        return st;
    long long now = sv_now_ms();
    if (ev.answers > 0) {
        f->dirty = true;
        f->changed_ms = now;
    }
    if (ev.rerun) {
        sv_log(PROGRAM,
               "%s: tables rebuilt at sequence %llu from %s (rerun "
               "requested)",
               f->survey, (unsigned long long)sv_engine_position(f->engine),
               read_from(f->engine));
        return make_snapshot(f, pub, "rerun", err);
    }
    if (ev.snapshot)
        return make_snapshot(f, pub, "request", err);
    if (f->dirty && now - f->changed_ms >= debounce_ms)
        return make_snapshot(f, pub, "changes", err);
    return SV_OK;
}

/* Receives and drops every waiting notice: they only say "look". */
static void drain(void *sub)
{
    char buf[64];
    while (zmq_recv(sub, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
    }
}

static long next_timeout(const followed *fs, size_t n, const options *o)
{
    long timeout = o->poll_ms;
    long long now = sv_now_ms();
    for (size_t i = 0; i < n; i++) {
        if (!fs[i].dirty)
            continue;
        long long left = fs[i].changed_ms + o->debounce_ms - now;
        if (left < 0)
            left = 0;
        if (left < timeout)
            timeout = (long)left;
    }
    return timeout;
}

static sv_status serve(followed *fs, size_t n, void *pub, void *sub,
                       const options *o, sv_error *err)
{
    while (!stop_requested) {
        zmq_pollitem_t item = {.socket = sub, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&item, sub != NULL ? 1 : 0, next_timeout(fs, n, o));
        if (rc < 0 && zmq_errno() != EINTR)
            return sv_fail(err, SV_ERR_ZMQ, "zmq_poll: %s",
                           zmq_strerror(zmq_errno()));
        if (rc > 0)
            drain(sub);
        for (size_t i = 0; i < n && !stop_requested; i++) {
            sv_status st = step(&fs[i], pub, o->debounce_ms, err);
            if (st != SV_OK)
                return st;
        }
    }
    return SV_OK;
}

/* Loads every survey's report and snapshots those the log has moved past
 * (or that have none yet). */
static sv_status start_engines(followed *fs, size_t n, void *pub, sv_error *err)
{
    for (size_t i = 0; i < n; i++) {
        sv_status st = sv_engine_rerun(fs[i].engine, err);
        if (st != SV_OK)
            return st;
        sv_log(PROGRAM,
               "%s: tables rebuilt at sequence %llu from %s (watermark %llu, "
               "snapshot %llu)",
               fs[i].survey,
               (unsigned long long)sv_engine_position(fs[i].engine),
               read_from(fs[i].engine),
               (unsigned long long)sv_engine_snapshot_sequence(fs[i].engine),
               (unsigned long long)sv_engine_snapshot_version(fs[i].engine));
        if (sv_engine_snapshot_version(fs[i].engine) > 0 &&
            sv_engine_position(fs[i].engine) <=
                sv_engine_snapshot_sequence(fs[i].engine))
            continue;
        bool rerun = false, request = false;
        st = sv_engine_requests_since_snapshot(fs[i].engine, &rerun, &request,
                                               err);
        if (st != SV_OK)
            return st;
        /* the start itself was a full rebuild: it answers any request */
        st = make_snapshot(&fs[i], pub,
                           rerun     ? "rerun"
                           : request ? "request"
                                     : "changes",
                           err);
        if (st != SV_OK)
            return st;
    }
    return SV_OK;
}

static void *open_socket(void *ctx, int type, const char *endpoint, bool bind,
                         sv_error *err)
{
    void *sock = zmq_socket(ctx, type);
    if (sock == NULL) {
        sv_fail(err, SV_ERR_ZMQ, "zmq_socket: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    int linger = 0;
    int rc = zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger);
    if (rc == 0 && type == ZMQ_SUB)
        rc = zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0);
    if (rc == 0)
        rc = sv_zendpoint_prepare(sock, endpoint);
    if (rc == 0)
        rc = bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint);
    if (rc != 0) {
        int e = zmq_errno();
        sv_fail(err, SV_ERR_ZMQ, "%s %s: %s%s", bind ? "bind" : "connect",
                endpoint, zmq_strerror(e),
                bind ? sv_zendpoint_bind_hint(endpoint, e) : "");
        zmq_close(sock);
        return NULL;
    }
    return sock;
}

static int run(int argc, char **argv)
{
    const char *env_data = getenv("SURVEY_DATA");
    options o = {
        .data_dir = env_data != NULL && env_data[0] != '\0'
                        ? env_data
                        : SV_DEFAULT_DATA_DIR,
        .survey_dir = SV_DEFAULT_SURVEY_DIR,
        .publish = DEFAULT_PUBLISH,
        .debounce_ms = DEFAULT_DEBOUNCE_MS,
        .poll_ms = DEFAULT_POLL_MS,
        .respondent_detail = SV_REPORT_DETAIL_DEFAULT,
    };
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    char notify_default[4096];
    if (o.notify == NULL) {
        snprintf(notify_default, sizeof notify_default, "ipc://%s/notify.sock",
                 o.data_dir);
        o.notify = notify_default;
    }

    sv_log(PROGRAM, "starting (data %s, surveys %s)", o.data_dir, o.survey_dir);
    int status = 1;
    sv_error err = {{0}};
    sv_registry *reg = NULL;
    sv_store *store = NULL;
    followed *fs = NULL;
    size_t n = 0;
    void *ctx = NULL, *pub = NULL, *sub = NULL;
    if (sv_registry_load(&reg, o.survey_dir, &err) != SV_OK) {
        sv_log(PROGRAM, "cannot load surveys: %s", err.msg);
        goto done;
    }
    sv_store_options so = {
        .map_size = o.map_size, .keep_map_size = true, .read_only = false};
    if (sv_store_open(&store, o.data_dir, &so, &err) != SV_OK) {
        sv_log(PROGRAM, "cannot open %s: %s", o.data_dir, err.msg);
        goto done;
    }
    if (sv_store_mirror_error(store) != NULL)
        sv_log(PROGRAM,
               "no scan mirror (reruns read the store's own file until a "
               "start can build one): %s",
               sv_store_mirror_error(store));
    fs = calloc(sv_registry_count(reg), sizeof *fs);
    if (fs == NULL) {
        sv_log(PROGRAM, "out of memory");
        goto done;
    }
    for (; n < sv_registry_count(reg); n++) {
        const sv_questionnaire *q = sv_registry_at(reg, n);
        fs[n].survey = sv_questionnaire_id(q);
        if (sv_engine_new(&fs[n].engine, store, q, o.decimals, &err) != SV_OK) {
            sv_log(PROGRAM, "cannot start %s: %s", fs[n].survey, err.msg);
            goto done;
        }
        sv_engine_set_respondent_detail(fs[n].engine,
                                        (size_t)o.respondent_detail);
    }
    ctx = zmq_ctx_new();
    if (ctx == NULL) {
        sv_log(PROGRAM, "zmq_ctx_new: %s", zmq_strerror(zmq_errno()));
        goto done;
    }
    pub = open_socket(ctx, ZMQ_PUB, o.publish, true, &err);
    if (pub == NULL) {
        sv_log(PROGRAM, "cannot publish: %s", err.msg);
        goto done;
    }
    if (strcmp(o.notify, "none") != 0) {
        sub = open_socket(ctx, ZMQ_SUB, o.notify, false, &err);
        if (sub == NULL) {
            sv_log(PROGRAM, "cannot follow notices: %s", err.msg);
            goto done;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0) {
        sv_log(PROGRAM, "cannot install signal handlers: %s", strerror(errno));
        goto done;
    }
    if (start_engines(fs, n, pub, &err) != SV_OK) {
        sv_log(PROGRAM, "cannot build the tables: %s", err.msg);
        goto done;
    }
    sv_log(PROGRAM, "ready on %s (following %s)", o.publish, o.notify);
    if (serve(fs, n, pub, sub, &o, &err) != SV_OK) {
        sv_log(PROGRAM, "stopped on error: %s", err.msg);
        goto done;
    }
    sv_log(PROGRAM, "stopped cleanly");
    status = 0;
done:
    if (sub != NULL)
        zmq_close(sub);
    if (pub != NULL)
        zmq_close(pub);
    if (ctx != NULL)
        zmq_ctx_term(ctx);
    for (size_t i = 0; i < n && fs != NULL; i++)
        sv_engine_destroy(&fs[i].engine);
    free(fs);
    sv_store_destroy(&store);
    sv_registry_destroy(&reg);
    return status;
}

int main(int argc, char **argv)
{
    return sv_config_main(argc, argv, PROGRAM, longopts, run);
}
