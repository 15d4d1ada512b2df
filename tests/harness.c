/* harness.c: see harness.h. */
#include "harness.h"

#include "zendpoint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#ifndef SV_BINARY_DIR
#error SV_BINARY_DIR must be defined
#endif

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
        if (cap - len < 2) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (buf != NULL)
        buf[len] = '\0';
    fclose(f);
    return buf;
}

/* The nice value (field 19 of stat) of /proc/PID/task/TID; INT_MIN if
 * unreadable. */
static int task_nice(const char *task)
{
    char path[300];
    char buf[1024];
    int nice = INT_MIN;
    FILE *f;

    snprintf(path, sizeof path, "%s/stat", task);
    f = fopen(path, "r");
    if (f == NULL)
        return INT_MIN;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may hold spaces */
    if (p == NULL || sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
                            "%*u %*u %*d %*d %*d %d",
                            &nice) != 1)
        return INT_MIN;
    return nice;
}

bool sv_harness_thread_nice(const sv_harness *h, const char *name, int *nice)
{
    char path[64];
    DIR *d;
    struct dirent *e;
    bool found = false;

    if (h->pid <= 0)
        return false;
    snprintf(path, sizeof path, "/proc/%d/task", (int)h->pid);
    d = opendir(path);
    if (d == NULL)
        return false;
    while (!found && (e = readdir(d)) != NULL) {
        char task[sizeof path + 256 + 8];
        char comm[sizeof task + 8];
        char got[32] = "";
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(task, sizeof task, "%s/%s", path, e->d_name);
        snprintf(comm, sizeof comm, "%s/comm", task);
        f = fopen(comm, "r");
        if (f == NULL)
            continue;
        if (fgets(got, sizeof got, f) != NULL) {
            got[strcspn(got, "\n")] = '\0';
            found = strcmp(got, name) == 0;
        }
        fclose(f);
        if (found && nice != NULL)
            *nice = task_nice(task);
    }
    closedir(d);
    return found;
}

bool sv_harness_has_thread(const sv_harness *h, const char *name)
{
    return sv_harness_thread_nice(h, name, NULL);
}

bool sv_harness_log_contains(const sv_harness *h, const char *needle)
{
    char *text = slurp(h->log);
    bool found = text != NULL && strstr(text, needle) != NULL;
    free(text);
    return found;
}

static void print_log(const char *path)
{
    char *text = slurp(path);
    fprintf(stderr, "--- log %s ---\n%s\n---\n", path,
            text != NULL ? text : "(unreadable)");
    free(text);
}

int sv_harness_prepare(sv_harness *h)
{
    if (h->dir[0] != '\0')
        return 0;
    char tmpl[] = "/tmp/sv-test-XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        return -1;
    snprintf(h->dir, sizeof h->dir, "%s", tmpl);
    snprintf(h->endpoint, sizeof h->endpoint, "ipc://%s/collector.sock",
             h->dir);
    snprintf(h->data, sizeof h->data, "%s/data", h->dir);
    snprintf(h->log, sizeof h->log, "%s/collector.log", h->dir);
    snprintf(h->publish, sizeof h->publish, "ipc://%s/publish.sock", h->dir);
    snprintf(h->agg_log, sizeof h->agg_log, "%s/aggregator.log", h->dir);
    return 0;
}

/* The log is appended across restarts: the new process is ready once a
 * "starting" line and then a "ready" line appear past `from`, the log's
 * size before it was started. */
static bool ready_since(const char *path, size_t from)
{
    char *text = slurp(path);
    bool ok = false;
    if (text != NULL && strlen(text) > from) {
        char *start = strstr(text + from, ": starting ");
        ok = start != NULL && strstr(start, ": ready ") != NULL;
    }
    free(text);
    return ok;
}

static size_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

static int stop_pid(pid_t *pid, int sig)
{
    if (*pid == 0)
        return -1;
    if (kill(*pid, sig != 0 ? sig : SIGTERM) != 0)
        return -1;
    int status = 0;
    pid_t got;
    do {
        got = waitpid(*pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    *pid = 0;
    return got < 0 ? -1 : status;
}

/* Runs argv with stdout and stderr appended to log, and waits up to 20 s
 * for its ready line. */
static int spawn(const char *const *argv, const char *log, pid_t *out)
{
    size_t from = file_size(log);
    int logfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (logfd < 0)
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        /* a test that fails an assertion skips its stop: the server then
           ends with the test program, never outlives it */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
            _exit(125);
        if (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0)
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(logfd);
    *out = pid;
    for (int waited = 0; waited < 20000; waited += 20) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            *out = 0;
            print_log(log);
            return -1;
        }
        if (ready_since(log, from))
            return 0;
        sleep_ms(20);
    }
    print_log(log);
    (void)stop_pid(out, SIGKILL);
    return -1;
}

static size_t add_extra(const char **argv, size_t n, const char *const *extra)
{
    for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 63; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return n;
}

int sv_harness_start(sv_harness *h, const char *const *extra)
{
    if (sv_harness_prepare(h) != 0)
        return -1;
    const char *argv[64];
    size_t n = 0;
    argv[n++] = SV_BINARY_DIR "/collector/survey-collector";
    argv[n++] = "--data";
    argv[n++] = h->data;
    argv[n++] = "--endpoint";
    argv[n++] = h->endpoint;
    argv[n++] = "--survey-dir";
    argv[n++] = SV_SOURCE_DIR "/data";
    if (!h->auth)
        argv[n++] = "--no-auth";
    add_extra(argv, n, extra);
    return spawn(argv, h->log, &h->pid);
}

int sv_harness_start_aggregator(sv_harness *h, const char *const *extra)
{
    if (sv_harness_prepare(h) != 0)
        return -1;
    const char *argv[64];
    size_t n = 0;
    argv[n++] = SV_BINARY_DIR "/aggregator/survey-aggregator";
    argv[n++] = "--data";
    argv[n++] = h->data;
    argv[n++] = "--publish";
    argv[n++] = h->publish;
    argv[n++] = "--survey-dir";
    argv[n++] = SV_SOURCE_DIR "/data";
    add_extra(argv, n, extra);
    return spawn(argv, h->agg_log, &h->agg_pid);
}

int sv_harness_stop_aggregator(sv_harness *h, int sig)
{
    return stop_pid(&h->agg_pid, sig);
}

int sv_harness_stop(sv_harness *h, int sig)
{
    return stop_pid(&h->pid, sig);
}

void sv_harness_cleanup(sv_harness *h)
{
    if (h->pid != 0)
        (void)sv_harness_stop(h, SIGKILL);
    if (h->agg_pid != 0)
        (void)sv_harness_stop_aggregator(h, SIGKILL);
    if (h->dir[0] != '\0') {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", h->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "harness: could not remove %s\n", h->dir);
        h->dir[0] = '\0';
    }
}

int sv_harness_call_raw(const char *endpoint, const void *data, size_t len,
                        Survey__V1__Reply **out, int timeout_ms)
{
    int rc = -1;
    void *ctx = zmq_ctx_new();
    void *sock = NULL;
    zmq_msg_t msg;
    bool have_msg = false;
    if (ctx == NULL)
        return -1;
    sock = zmq_socket(ctx, ZMQ_REQ);
    if (sock == NULL)
        goto fail;
    int linger = 0;
    if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0)
        goto fail;
    if (zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms) != 0)
        goto fail;
    if (sv_zendpoint_prepare(sock, endpoint) != 0 ||
        zmq_connect(sock, endpoint) != 0)
        goto fail;
    if (zmq_send(sock, data, len, 0) < 0)
        goto fail;
    if (zmq_msg_init(&msg) != 0)
        goto fail;
    have_msg = true;
    if (zmq_msg_recv(&msg, sock, 0) < 0)
        goto fail;
    *out =
        survey__v1__reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
    if (*out != NULL)
        rc = 0;
fail:
    if (have_msg)
        zmq_msg_close(&msg);
    if (sock != NULL)
        zmq_close(sock);
    zmq_ctx_term(ctx);
    return rc;
}

int sv_harness_call(const char *endpoint, const Survey__V1__Request *req,
                    Survey__V1__Reply **out, int timeout_ms)
{
    size_t len = survey__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        return -1;
    survey__v1__request__pack(req, buf);
    int rc = sv_harness_call_raw(endpoint, buf, len, out, timeout_ms);
    free(buf);
    return rc;
}
