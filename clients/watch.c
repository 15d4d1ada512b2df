/* watch.c: see watch.h. */
#include "watch.h"

#include "answers_json.h"
#include "figures.h"
#include "zendpoint.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <zmq.h>

/* Longest wait between looks at the stop flag. */
#define WATCH_TICK_MS 200

void sv_watch_summary(FILE *out, const Survey__V1__Snapshot *s)
{
    char when[40], hex[SV_DIGEST_SHORT + 1], pct[32];
    fprintf(out, "%s %s version %llu sequence %llu digest %s trigger %s |",
            sv_format_time(s->created_ms, when, sizeof when),
            s->survey[0] != '\0' ? s->survey : "-",
            (unsigned long long)s->version, (unsigned long long)s->sequence,
            sv_fig_digest(s->digest, SV_DIGEST_SHORT, hex, sizeof hex),
            s->trigger[0] != '\0' ? s->trigger : "-");
    if (s->n_rates == 0)
        fputs(" no rates", out);
    for (size_t i = 0; i < s->n_rates; i++) {
        const Survey__V1__Rate *r = s->rates[i];
        const Survey__V1__Figure *f =
            sv_fig_find(r->figures, r->n_figures, "all");
        fprintf(out, "%s %s %s", i > 0 ? "," : "",
                r->label[0] != '\0' ? r->label : r->question,
                sv_fig_percent(f != NULL ? f->percent : "", pct, sizeof pct));
    }
    const Survey__V1__CompletenessFigure *c =
        sv_fig_find_completeness(s->completeness, "all");
    if (c == NULL)
        fputs(" | no completeness", out);
    else
        fprintf(out, " | complete %u, incomplete %u, not started %u",
                (unsigned)c->complete, (unsigned)c->incomplete,
                (unsigned)c->not_started);
}

typedef struct {
    void *ctx;
    void *sub;
    zmq_msg_t topic;
    zmq_msg_t body;
} watcher;

static int zmq_failure(const char *what)
{
    fprintf(stderr, "survey: watch: %s: %s\n", what, zmq_strerror(zmq_errno()));
    return SV_EXIT_NO_REPLY;
}

/* Receives the rest of a message after its first frame (the topic) and
 * counts its frames. Frames after the second are dropped. */
static int receive_rest(watcher *w, int *frames)
{
    *frames = 1;
    if (!zmq_msg_more(&w->topic))
        return SV_EXIT_OK;
    if (zmq_msg_recv(&w->body, w->sub, 0) < 0)
        return zmq_failure("zmq_msg_recv");
    *frames = 2;
    bool more = zmq_msg_more(&w->body) != 0;
    while (more) {
        zmq_msg_t extra;
        if (zmq_msg_init(&extra) != 0)
            return zmq_failure("zmq_msg_init");
        int rc = zmq_msg_recv(&extra, w->sub, 0);
        more = rc >= 0 && zmq_msg_more(&extra) != 0;
        if (zmq_msg_close(&extra) != 0 || rc < 0)
            return zmq_failure("zmq_msg_recv");
        (*frames)++;
    }
    return SV_EXIT_OK;
}

/* Handles one received message. *printed says whether a line was
 * written. */
static int handle(watcher *w, const char *survey, FILE *out, bool *printed)
{
    int frames;
    *printed = false;
    int code = receive_rest(w, &frames);
    if (code != SV_EXIT_OK)
        return code;
    size_t tlen = zmq_msg_size(&w->topic);
    if (survey[0] != '\0' &&
        (tlen != strlen(survey) ||
         memcmp(zmq_msg_data(&w->topic), survey, tlen) != 0))
        return SV_EXIT_OK; /* another survey sharing the prefix */
    if (frames != 2) {
        fprintf(stderr, "survey: watch: skipped a message of %d frames\n",
                frames);
        return SV_EXIT_OK;
    }
    Survey__V1__Snapshot *s = survey__v1__snapshot__unpack(
        NULL, zmq_msg_size(&w->body), zmq_msg_data(&w->body));
    if (s == NULL) {
        fprintf(stderr,
                "survey: watch: skipped an undecodable snapshot (%zu "
                "bytes)\n",
                zmq_msg_size(&w->body));
        return SV_EXIT_OK;
    }
    sv_watch_summary(out, s);
    fputc('\n', out);
    survey__v1__snapshot__free_unpacked(s, NULL);
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "survey: watch: cannot write the output\n");
        return SV_EXIT_USAGE;
    }
    *printed = true;
    return SV_EXIT_OK;
}

static int open_sub(watcher *w, const sv_client_opts *o)
{
    w->sub = zmq_socket(w->ctx, ZMQ_SUB);
    if (w->sub == NULL)
        return zmq_failure("zmq_socket");
    int linger = 0;
    if (zmq_setsockopt(w->sub, ZMQ_LINGER, &linger, sizeof linger) != 0)
        return zmq_failure("zmq_setsockopt");
    if (zmq_setsockopt(w->sub, ZMQ_SUBSCRIBE, o->survey, strlen(o->survey)) !=
        0)
        return zmq_failure("zmq_setsockopt ZMQ_SUBSCRIBE");
    if (sv_zendpoint_prepare(w->sub, o->watch_endpoint) != 0 ||
        zmq_connect(w->sub, o->watch_endpoint) != 0) {
        fprintf(stderr, "survey: watch: cannot connect to %s: %s\n",
                o->watch_endpoint, zmq_strerror(zmq_errno()));
        return SV_EXIT_USAGE;
    }
    return SV_EXIT_OK;
}

static bool stopped(const sv_client_opts *o)
{
    return o->stop != NULL && *o->stop != 0;
}

/* Waits for and handles messages until done. */
static int loop(watcher *w, const sv_client_opts *o, FILE *out)
{
    uint64_t seen = 0;
    while ((o->count == 0 || seen < o->count) && !stopped(o)) {
        zmq_pollitem_t item = {w->sub, 0, ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, WATCH_TICK_MS);
        if (rc < 0 && zmq_errno() == EINTR)
            continue;
        if (rc < 0)
            return zmq_failure("zmq_poll");
        if (rc == 0)
            continue;
        if (zmq_msg_recv(&w->topic, w->sub, ZMQ_DONTWAIT) < 0) {
            if (zmq_errno() == EAGAIN || zmq_errno() == EINTR)
                continue;
            return zmq_failure("zmq_msg_recv");
        }
        bool printed;
        int code = handle(w, o->survey, out, &printed);
        if (code != SV_EXIT_OK)
            return code;
        seen += printed ? 1 : 0;
    }
    return SV_EXIT_OK;
}

int sv_cmd_watch(const sv_client_opts *o, FILE *out)
{
    watcher w;
    int code;
    memset(&w, 0, sizeof w);
    bool msgs = false;
    w.ctx = zmq_ctx_new();
    if (w.ctx == NULL)
        return zmq_failure("zmq_ctx_new");
    if (zmq_msg_init(&w.topic) != 0 || zmq_msg_init(&w.body) != 0) {
        code = zmq_failure("zmq_msg_init");
        goto fail;
    }
    msgs = true;
    code = open_sub(&w, o);
    if (code == SV_EXIT_OK)
        code = loop(&w, o, out);
fail:
    if (msgs && (zmq_msg_close(&w.topic) != 0 || zmq_msg_close(&w.body) != 0) &&
        code == SV_EXIT_OK)
        code = zmq_failure("zmq_msg_close");
    if (w.sub != NULL && zmq_close(w.sub) != 0 && code == SV_EXIT_OK)
        code = zmq_failure("zmq_close");
    int rc;
    do {
        rc = zmq_ctx_term(w.ctx);
    } while (rc != 0 && zmq_errno() == EINTR);
    return code;
}
