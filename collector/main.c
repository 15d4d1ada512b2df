/* main.c: survey-collector, the intake server. Parses the command line,
 * loads the questionnaires, opens the LMDB environment, serves until
 * SIGINT/SIGTERM. */
#include "config.h"
#include "log.h"
#include "registry.h"
#include "server.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROGRAM "survey-collector"

#ifndef SV_DEFAULT_DATA_DIR
#define SV_DEFAULT_DATA_DIR "/var/lib/survey"
#endif
#ifndef SV_DEFAULT_SURVEY_DIR
#define SV_DEFAULT_SURVEY_DIR "/usr/share/survey"
#endif

static sv_server_signals signals;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        signals.reload = 1;
    else
        signals.stop = 1;
}

/* Plain (unauthenticated) mode is only for endpoints no other machine can
 * reach: loopback TCP, ipc:// and inproc://. */
static bool local_only(const char *endpoint)
{
    static const char *const allowed[] = {"ipc://", "inproc://", "tcp://127.",
                                          "tcp://localhost:", "tcp://[::1]:"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if (strncmp(endpoint, allowed[i], strlen(allowed[i])) == 0)
            return true;
    }
    return false;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "Usage: " PROGRAM " [OPTION]...\n"
        "Receives questionnaire answers (survey.v1 protobuf over ZeroMQ),\n"
        "validates them against the questionnaire and stores them in "
        "LMDB.\n"
        "\n"
        "Options:\n"
        "  --data DIR          LMDB environment directory (created if "
        "missing).\n"
        "                      Default: $SURVEY_DATA, else " SV_DEFAULT_DATA_DIR
        "\n"
        "  --endpoint EP       ZeroMQ endpoint to bind (ROUTER).\n"
        "                      Default: $SURVEY_ENDPOINT, "
        "else " SV_DEFAULT_ENDPOINT "\n"
        "                      tcp://127.0.0.1:* picks a free port; "
        "ipc:///path works too.\n"
        "  --survey-dir DIR    directory with one subdirectory of "
        "XLSForm CSV sheets\n"
        "                      (settings, survey, choices, roster) per "
        "yearly survey.\n"
        "                      Default: " SV_DEFAULT_SURVEY_DIR "\n"
        "  --map-size BYTES    LMDB map size (suffixes K, M, G). "
        "Default: 64G\n"
        "                      (address space: the data file grows only "
        "as data is\n"
        "                      written). A full map or a full disk makes "
        "submissions\n"
        "                      fail with UNAVAILABLE, nothing written.\n"
        "  --notify EP         ZeroMQ endpoint (PUB) where each commit is "
        "announced, for\n"
        "                      the aggregator. Default: "
        "ipc://DATA/notify.sock; none: off.\n"
        "  --batch N           most requests per group commit "
        "(default %d, at most 65536).\n"
        "  --max-request BYTES largest request answered (default %d, at "
        "most 64M);\n"
        "                      larger ones get TOO_LARGE, and over 4x "
        "that the\n"
        "                      connection is dropped.\n"
        "  --max-in-flight N   requests queued per connection (default "
        "%d, at most\n"
        "                      1048576); a client past it waits, and "
        "replies it does\n"
        "                      not read are held (64M in all). "
        "Connections are read\n"
        "                      fairly.\n"
        "  --commit-nice N     nice value (-20..19) of the writing and "
        "flush threads\n"
        "                      (default %d: acks wait for them); 0 leaves "
        "it. Lowering\n"
        "                      it needs root or CAP_SYS_NICE; without, a "
        "line is logged.\n"
        "  --server-secret FILE  the server's CURVE secret certificate "
        "(survey keygen).\n"
        "  --clients FILE      client key registry: one line per key "
        "\"identity role\n"
        "                      public-key\", role respondent or admin; "
        "SIGHUP reloads it.\n"
        "  --no-auth           plain mode without CURVE, only on loopback "
        "or ipc://.\n"
        "                      Authentication is on by default.\n"
        "  --config FILE       read these options from the INI section\n"
        "                      [survey-collector] of FILE (key = option "
        "name);\n"
        "                      options given on the command line win.\n"
        "  -h, --help          this text.\n"
        "\n"
        "It logs one line \"ready on ENDPOINT\" when it serves, and one "
        "line for every\n"
        "rejected request with its reason. SIGINT or SIGTERM: the batch "
        "in hand is\n"
        "committed and answered, one line \"commits: ...\" says how many "
        "group commits\n"
        "it made and what their writing, committing and flushing took, "
        "one line\n"
        "\"slowest: ...\" the longest commit and flush and how many took "
        "over 10 ms\n"
        "(every request in flight waits for them), one line \"requests: "
        "...\" where\n"
        "the requests spent their time on average, then it exits 0.\n"
        "Exit status 1: start-up failed, or it stopped on an error it "
        "cannot\n"
        "go on after (a flush of the data file failed, or LMDB gave up on "
        "the\n"
        "environment; the batches in hand are answered first): message on "
        "stderr;\n"
        "2: bad command line.\n",
        SV_DEFAULT_BATCH, SV_DEFAULT_MAX_REQUEST, SV_DEFAULT_IN_FLIGHT,
        SV_DEFAULT_COMMIT_NICE);
}

/* One line on the group commits and what their steps took (the disk's
 * share is in committing and flushing), and one on where the requests
 * spent their time in the collector, for operators and the benchmark,
 * which reads both (bench/intake.c). Nothing when nothing was committed. */
static void log_stats(sv_server *server)
{
    sv_server_stats t;

    sv_server_stats_get(server, &t);
    if (t.commits == 0)
        return;
    double n = (double)t.commits;
    sv_log(PROGRAM,
           "commits: %llu of %llu requests (%.1f each), per commit %.3f ms "
           "writing and %.3f ms committing; flushes: %llu, %.3f ms each",
           (unsigned long long)t.commits, (unsigned long long)t.requests,
           (double)t.requests / n, 1e3 * t.write_s / n, 1e3 * t.commit_s / n,
           (unsigned long long)t.flushes,
           t.flushes > 0 ? 1e3 * t.flush_s / (double)t.flushes : 0.0);
    sv_log(PROGRAM,
           "slowest: commit %.3f ms (writing and committing), flush %.3f ms; "
           "over %.0f ms: %llu commits, %llu flushes",
           1e3 * t.commit_max_s, 1e3 * t.flush_max_s, 1e3 * SV_SERVER_SLOW_S,
           (unsigned long long)t.commits_slow,
           (unsigned long long)t.flushes_slow);
    if (t.answered == 0)
        return;
    double a = (double)t.answered;
    sv_log(PROGRAM,
           "requests: %llu answered, on average %.3f ms in the open batch, "
           "%.3f ms waiting for the writing thread, %.3f ms written and "
           "committed, %.3f ms until the reply was sent",
           (unsigned long long)t.answered, 1e3 * t.open_s / a,
           1e3 * t.queue_s / a, 1e3 * t.written_s / a, 1e3 * t.reply_s / a);
}

/* The long options; a --config file's keys are these (config.h). */
static const struct option longopts[] = {
    {"data", required_argument, NULL, 'd'},
    {"endpoint", required_argument, NULL, 'e'},
    {"survey-dir", required_argument, NULL, 's'},
    {"map-size", required_argument, NULL, 'm'},
    {"batch", required_argument, NULL, 'b'},
    {"max-request", required_argument, NULL, 'r'},
    {"max-in-flight", required_argument, NULL, 'i'},
    {"commit-nice", required_argument, NULL, 'N'},
    {"notify", required_argument, NULL, 'n'},
    {"server-secret", required_argument, NULL, 'S'},
    {"clients", required_argument, NULL, 'C'},
    {"no-auth", no_argument, NULL, 'A'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int run(int argc, char **argv)
{
    const char *env_data = getenv("SURVEY_DATA");
    const char *env_endpoint = getenv("SURVEY_ENDPOINT");
    sv_server_options opt = {
        .endpoint = env_endpoint != NULL && env_endpoint[0] != '\0'
                        ? env_endpoint
                        : SV_DEFAULT_ENDPOINT,
        .data_dir = env_data != NULL && env_data[0] != '\0'
                        ? env_data
                        : SV_DEFAULT_DATA_DIR,
        .commit_nice = SV_DEFAULT_COMMIT_NICE,
    };
    const char *survey_dir = SV_DEFAULT_SURVEY_DIR;
    const char *notify = NULL;
    bool no_auth = false;
    char notify_default[4096];
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            opt.data_dir = optarg;
            break;
        case 'e':
            opt.endpoint = optarg;
            break;
        case 's':
            survey_dir = optarg;
            break;
        case 'S':
            opt.server_secret = optarg;
            break;
        case 'C':
            opt.clients = optarg;
            break;
        case 'A':
            no_auth = true;
            break;
        case 'n':
            notify = optarg;
            break;
        case 'N': {
            char *end = NULL;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || v < -20 ||
                v > 19) {
                fprintf(stderr,
                        PROGRAM ": --commit-nice: not a nice value from -20 "
                                "to 19: %s\n",
                        optarg);
                return 2;
            }
            opt.commit_nice = (int)v;
            break;
        }
        case 'm':
            if (sv_config_size(optarg, &opt.map_size) != 0) {
                fprintf(stderr, PROGRAM ": --map-size: not a size: %s\n",
                        optarg);
                return 2;
            }
            break;
        case 'b':
        case 'i':
        case 'r': {
            size_t v = 0;
            const char *name = c == 'b'   ? "batch"
                               : c == 'i' ? "max-in-flight"
                                          : "max-request";
            /* past these the arithmetic of the limits (a ZeroMQ int, four
               times a request) or the batches' memory would not hold */
            size_t most = c == 'b'   ? (size_t)1 << 16
                          : c == 'i' ? (size_t)1 << 20
                                     : (size_t)64 << 20;
            if (sv_config_size(optarg, &v) != 0 || v == 0) {
                fprintf(stderr, PROGRAM ": --%s: not a positive number: %s\n",
                        name, optarg);
                return 2;
            }
            if (v > most) {
                fprintf(stderr,
                        PROGRAM ": --%s: %s is over the largest allowed, "
                                "%zu\n",
                        name, optarg, most);
                return 2;
            }
            if (c == 'b')
                opt.max_batch = v;
            else if (c == 'i')
                opt.max_in_flight = v;
            else
                opt.max_request = v;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROGRAM ": unexpected argument: %s\n", argv[optind]);
        return 2;
    }

    if (notify == NULL) {
        snprintf(notify_default, sizeof notify_default, "ipc://%s/notify.sock",
                 opt.data_dir);
        notify = notify_default;
    }
    opt.notify_endpoint = strcmp(notify, "none") == 0 ? NULL : notify;
    if (no_auth && !local_only(opt.endpoint)) {
        fprintf(stderr,
                PROGRAM ": refusing --no-auth on %s: plain mode is only for "
                        "loopback (tcp://127.0.0.1) or ipc://\n",
                opt.endpoint);
        return 2;
    }
    if (!no_auth && (opt.server_secret == NULL || opt.clients == NULL)) {
        fprintf(stderr, PROGRAM ": authentication is on: give --server-secret "
                                "FILE and --clients FILE (or --no-auth on "
                                "loopback)\n");
        return 2;
    }
    opt.auth = !no_auth;

    sv_log(PROGRAM, "starting (data %s, surveys %s)", opt.data_dir, survey_dir);
    sv_error err = {{0}};
    sv_registry *reg = NULL;
    sv_server *server = NULL;
    int status = 1;
    if (sv_registry_load(&reg, survey_dir, &err) != SV_OK) {
        sv_log(PROGRAM, "cannot load surveys: %s", err.msg);
        goto done;
    }
    if (sv_server_new(&server, &opt, reg, &err) != SV_OK) {
        sv_log(PROGRAM, "cannot start: %s", err.msg);
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    if (sigemptyset(&sa.sa_mask) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0 ||
        sigaction(SIGHUP, &sa, NULL) != 0) {
        sv_log(PROGRAM, "cannot install signal handlers: %s", strerror(errno));
        goto done;
    }
    char ids[512];
    sv_registry_ids(reg, ids, sizeof ids);
    sv_log(PROGRAM, "authentication: %s",
           opt.auth ? "CURVE, client keys from the registry" : "off (plain)");
    sv_log(PROGRAM, "ready on %s (surveys: %s)", sv_server_endpoint(server),
           ids);
    sv_status st = sv_server_run(server, &signals, &err);
    log_stats(server);
    if (st != SV_OK) {
        sv_log(PROGRAM, "stopped on error: %s", err.msg);
        goto done;
    }
    sv_log(PROGRAM, "stopped cleanly");
    status = 0;
done:
    sv_server_destroy(&server);
    sv_registry_destroy(&reg);
    return status;
}

int main(int argc, char **argv)
{
    return sv_config_main(argc, argv, PROGRAM, longopts, run);
}
