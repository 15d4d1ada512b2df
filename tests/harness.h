/* harness.h: test support: runs a real survey-collector process on an
 * ipc:// endpoint in a private temporary directory, and makes one-shot
 * protobuf calls to it over a real ZeroMQ REQ socket. */
#ifndef SV_HARNESS_H
#define SV_HARNESS_H

#include "survey.pb-c.h"

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;          /* 0 when not running */
    char dir[128];      /* private temp dir, removed by sv_harness_cleanup */
    char endpoint[256]; /* ipc://<dir>/collector.sock */
    char data[256];     /* <dir>/data: the LMDB environment */
    char log[256];      /* <dir>/collector.log: its stderr and stdout */
    pid_t agg_pid;      /* the aggregator, 0 when not running */
    char publish[256];  /* ipc://<dir>/publish.sock: its PUB endpoint */
    char agg_log[256];  /* <dir>/aggregator.log */
    bool auth;          /* false (default): the collector runs --no-auth;
                           true: the caller passes the key options */
} sv_harness;

/* Creates the temp dir and sets the paths above (first call only; the
 * start functions call it). Returns 0 or -1. */
int sv_harness_prepare(sv_harness *h);

/* Creates the temp dir (first call only) and starts the collector with
 * --data, --endpoint, --survey-dir <repo>/data and the NULL-terminated extra
 * arguments (may be NULL). Waits up to 20 s for its ready line.
 * Returns 0, or -1 (and prints the log) on failure. */
int sv_harness_start(sv_harness *h, const char *const *extra);

/* Sends SIGTERM (or sig if non-zero), waits, returns the exit status as
 * waitpid reports it, or -1. The directory stays. */
int sv_harness_stop(sv_harness *h, int sig);

/* Starts survey-aggregator on the same data directory with --publish
 * h->publish, --survey-dir <repo>/data and the extra arguments; it follows
 * the collector's notices at their default endpoint. Waits for its ready
 * line. Returns 0 or -1 (printing its log). */
int sv_harness_start_aggregator(sv_harness *h, const char *const *extra);

/* As sv_harness_stop, for the aggregator. */
int sv_harness_stop_aggregator(sv_harness *h, int sig);

/* Stops what is running and removes the directory. */
void sv_harness_cleanup(sv_harness *h);

/* True if the log contains needle. */
bool sv_harness_log_contains(const sv_harness *h, const char *needle);

/* True if the running collector has a thread of that name
 * (/proc/PID/task/TID/comm). */
bool sv_harness_has_thread(const sv_harness *h, const char *name);

/* As sv_harness_has_thread, and *nice (if not NULL) gets that thread's
 * nice value (INT_MIN if unreadable). */
bool sv_harness_thread_nice(const sv_harness *h, const char *name, int *nice);

/* Sends req in one frame on a fresh REQ socket and waits up to timeout_ms
 * for the reply. Returns 0 and *out (free with
 * survey__v1__reply__free_unpacked), or -1 on timeout/error. */
int sv_harness_call(const char *endpoint, const Survey__V1__Request *req,
                    Survey__V1__Reply **out, int timeout_ms);

/* Sends raw bytes as one frame; *out as above. */
int sv_harness_call_raw(const char *endpoint, const void *data, size_t len,
                        Survey__V1__Reply **out, int timeout_ms);

#endif
