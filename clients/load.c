/* load.c: see load.h. */
#include "load.h"

#include "answers_json.h"
#include "outcome.h"
#include "progress.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

typedef enum {
    LINE_PENDING,  /* parsed, not yet answered */
    LINE_ACCEPTED, /* stored now */
    LINE_DUPLICATE,
    LINE_REJECTED, /* by the collector, or unusable here */
    LINE_UNANSWERED
} line_state;

typedef struct {
    size_t line; /* 1-based line number: also the request_id */
    line_state state;
    bool incomplete;       /* accepted with required questions missing */
    bool resent;           /* answered on a resend (an ack was lost) */
    json_t *doc;           /* owned until the line is packed */
    char id[UUID_STR_LEN]; /* name-based id of the line's bytes */
    char *respondent;      /* owned copy for the summary, or NULL */
    char *reason;          /* owned: why rejected or unanswered, or NULL */
    uint8_t *packed;       /* owned packed Request, once prepared */
    size_t len;
} load_line;

typedef struct {
    char *survey;             /* owned */
    Survey__V1__Reply *reply; /* owned: a questionnaire or an error */
} survey_form;

typedef struct {
    load_line *lines; /* owned, in file order */
    size_t n, cap;
    survey_form *forms; /* owned: one per survey named in the file */
    size_t n_forms, cap_forms;
    bool interrupted; /* SIGINT or SIGTERM stopped the sending */
} load_job;

void sv_load_line_id(const char *line, size_t len, char id[37])
{
    uuid_t ns, uu;
    if (uuid_parse(SV_LOAD_ID_NAMESPACE, ns) != 0)
        uuid_clear(ns); /* cannot happen: the constant is well-formed */
    uuid_generate_sha1(uu, ns, line, len);
    uuid_unparse_lower(uu, id);
}

/* A malloc'd formatted string, or NULL. */
static char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    n = vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (n < 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* The one-line text of an Error reply; malloc'd, or NULL. */
static char *error_text(const Survey__V1__Error *e)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (f == NULL)
        return NULL;
    sv_outcome_error_brief(f, e);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Settles l with state and reason (taken; NULL when out of memory). */
static void settle(load_line *l, line_state state, char *reason)
{
    l->state = state;
    free(l->reason);
    l->reason = reason;
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0')
            return false;
    }
    return true;
}

static sv_status add_line(load_job *job, size_t no, const char *buf, size_t len)
{
    if (job->n == job->cap) {
        size_t cap = job->cap > 0 ? job->cap * 2 : 256;
        load_line *bigger = realloc(job->lines, cap * sizeof *bigger);
        if (bigger == NULL)
            return SV_ERR_NOMEM;
        job->lines = bigger;
        job->cap = cap;
    }
    load_line *l = &job->lines[job->n++];
    memset(l, 0, sizeof *l);
    l->line = no;
    l->state = LINE_PENDING;
    sv_load_line_id(buf, len, l->id);
    json_error_t jerr;
    l->doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (l->doc == NULL) {
        settle(l, LINE_REJECTED,
               format("bad JSON: %s (column %d)", jerr.text, jerr.column));
        return SV_OK;
    }
    const char *who = json_string_value(json_object_get(l->doc, "respondent"));
    if (who != NULL) {
        l->respondent = strdup(who);
        if (l->respondent == NULL)
            return SV_ERR_NOMEM;
    }
    return SV_OK;
}

static sv_status read_lines(FILE *f, const char *name, load_job *job,
                            sv_error *err)
{
    char *buf = NULL;
    size_t cap = 0;
    size_t no = 0;
    sv_status st = SV_OK;
    for (;;) {
        errno = 0;
        ssize_t got = getline(&buf, &cap, f);
        if (got < 0)
            break;
        no++;
        size_t len = (size_t)got;
        if (len > 0 && buf[len - 1] == '\n')
            len--;
        if (len > 0 && buf[len - 1] == '\r')
            len--;
        const char *text = buf;
        /* a UTF-8 byte order mark (editors on Windows write one) */
        if (no == 1 && len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
            text += 3;
            len -= 3;
        }
        if (is_blank(text, len))
            continue;
        st = add_line(job, no, text, len);
        if (st != SV_OK) {
            st = sv_fail(err, st, "out of memory");
            break;
        }
    }
    if (st == SV_OK && ferror(f))
        st = sv_fail(err, SV_ERR_IO, "cannot read %s: %s", name,
                     strerror(errno != 0 ? errno : EIO));
    free(buf);
    return st;
}

static survey_form *find_form(load_job *job, const char *survey)
{
    for (size_t i = 0; i < job->n_forms; i++) {
        if (strcmp(job->forms[i].survey, survey) == 0)
            return &job->forms[i];
    }
    return NULL;
}

/* Asks once for the questionnaire of every survey the lines name. */
static sv_status fetch_forms(load_job *job, sv_rpc *rpc,
                             const char *default_survey, sv_error *err)
{
    for (size_t i = 0; i < job->n; i++) {
        const load_line *l = &job->lines[i];
        if (l->state != LINE_PENDING)
            continue;
        const char *survey = sv_json_survey(l->doc, default_survey);
        if (survey == NULL || find_form(job, survey) != NULL)
            continue;
        if (job->n_forms == job->cap_forms) {
            size_t cap = job->cap_forms > 0 ? job->cap_forms * 2 : 4;
            survey_form *bigger = realloc(job->forms, cap * sizeof *bigger);
            if (bigger == NULL)
                return sv_fail(err, SV_ERR_NOMEM, "out of memory");
            job->forms = bigger;
            job->cap_forms = cap;
        }
        survey_form form = {strdup(survey), NULL};
        if (form.survey == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        sv_status st = sv_fetch_questionnaire(rpc, survey, &form.reply, err);
        if (st != SV_OK) {
            free(form.survey);
            return st;
        }
        job->forms[job->n_forms++] = form;
    }
    return SV_OK;
}

/* Packs l's submission as a Request with request_id = its line number. */
static sv_status pack_line(load_line *l, Survey__V1__Submission *sub)
{
    if (sub->submission_id[0] == '\0' &&
        sv_submission_set_id(sub, l->id) != SV_OK)
        return SV_ERR_NOMEM;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    req.submit = sub;
    req.request_id = l->line;
    l->len = survey__v1__request__get_packed_size(&req);
    l->packed = malloc(l->len > 0 ? l->len : 1);
    if (l->packed == NULL)
        return SV_ERR_NOMEM;
    if (survey__v1__request__pack(&req, l->packed) != l->len)
        return SV_ERR_PROTO;
    return SV_OK;
}

/* Turns every pending line into a packed request, or rejects it. */
static sv_status prepare(load_job *job, const char *default_survey,
                         sv_error *err)
{
    for (size_t i = 0; i < job->n; i++) {
        load_line *l = &job->lines[i];
        if (l->state != LINE_PENDING)
            continue;
        const char *survey = sv_json_survey(l->doc, default_survey);
        const survey_form *form =
            survey != NULL ? find_form(job, survey) : NULL;
        const Survey__V1__Questionnaire *qn = NULL;
        if (form != NULL &&
            form->reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
            settle(l, LINE_REJECTED, error_text(form->reply->error));
            continue;
        }
        if (form != NULL)
            qn = form->reply->questionnaire;
        Survey__V1__Submission *sub = NULL;
        sv_error why;
        sv_status st =
            sv_json_to_submission(l->doc, default_survey, qn, &sub, &why);
        if (st == SV_ERR_INVALID) {
            settle(l, LINE_REJECTED, format("%s", why.msg));
            continue;
        }
        if (st == SV_OK) {
            st = pack_line(l, sub);
            survey__v1__submission__free_unpacked(sub, NULL);
        }
        if (st != SV_OK)
            return sv_fail(err, st, "line %zu: cannot build the request",
                           l->line);
        json_decref(l->doc);
        l->doc = NULL;
    }
    return SV_OK;
}

typedef struct {
    load_job *job;
    const size_t *line_of; /* item index -> index into job->lines */
    size_t done;
    int attempts; /* sends per request before giving up */
    sv_progress progress;
} send_state;

static void on_reply(void *arg, size_t index, int sends,
                     const Survey__V1__Reply *reply)
{
    send_state *s = arg;
    load_line *l = &s->job->lines[s->line_of[index]];
    l->resent = sends > 1;
    if (reply == NULL) {
        settle(l, LINE_UNANSWERED,
               format("no reply after %d attempts", s->attempts));
    } else if (reply->body_case == SURVEY__V1__REPLY__BODY_ACK &&
               reply->ack != NULL) {
        settle(l, reply->ack->duplicate ? LINE_DUPLICATE : LINE_ACCEPTED, NULL);
        l->incomplete = reply->ack->n_missing > 0;
    } else if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
               reply->error != NULL) {
        settle(l, LINE_REJECTED, error_text(reply->error));
    } else {
        settle(l, LINE_REJECTED, format("unexpected reply"));
    }
    s->done++;
    sv_progress_update(&s->progress, s->done);
}

static sv_status send_all(load_job *job, sv_rpc *rpc, const sv_client_opts *o,
                          sv_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < job->n; i++)
        k += job->lines[i].state == LINE_PENDING;
    if (k == 0)
        return SV_OK;
    sv_rpc_item *items = calloc(k, sizeof *items);
    size_t *line_of = calloc(k, sizeof *line_of);
    sv_status st = SV_ERR_NOMEM;
    if (items == NULL || line_of == NULL) {
        st = sv_fail(err, st, "out of memory");
        goto fail;
    }
    k = 0;
    for (size_t i = 0; i < job->n; i++) {
        const load_line *l = &job->lines[i];
        if (l->state != LINE_PENDING)
            continue;
        items[k] = (sv_rpc_item){l->line, l->packed, l->len};
        line_of[k++] = i;
    }
    send_state s = {job, line_of, 0, o->retries + 1, {0}};
    size_t sent = 0;
    sv_progress_init(&s.progress, stderr, k);
    sv_rpc_set_stop(rpc, o->stop);
    st = sv_rpc_pipeline(rpc, items, k, o->window, on_reply, &s, &sent, err);
    sv_rpc_set_stop(rpc, NULL);
    sv_progress_finish(&s.progress);
    job->interrupted = o->stop != NULL && *o->stop;
fail:
    free(items);
    free(line_of);
    return st;
}

static int summarize(const load_job *job)
{
    size_t accepted = 0, incomplete = 0, duplicates = 0, resent = 0,
           rejected = 0, unanswered = 0, unsent = 0, first_unsent = 0;
    for (size_t i = 0; i < job->n; i++) {
        const load_line *l = &job->lines[i];
        accepted += l->state == LINE_ACCEPTED;
        incomplete += l->state == LINE_ACCEPTED && l->incomplete;
        duplicates += l->state == LINE_DUPLICATE;
        resent += l->state == LINE_DUPLICATE && l->resent;
        rejected += l->state == LINE_REJECTED;
        unanswered += l->state == LINE_UNANSWERED;
        if (l->state == LINE_PENDING && unsent++ == 0)
            first_unsent = l->line;
    }
    /* stopped early: the counts are of the lines sent, and say so */
    if (unsent > 0)
        printf("loaded %zu of %zu submissions: ", job->n - unsent, job->n);
    else
        printf("loaded %zu submissions: ", job->n);
    printf("%zu accepted (%zu incomplete), %zu duplicates, %zu rejected, "
           "%zu unanswered\n",
           accepted, incomplete, duplicates, rejected, unanswered);
    /* a duplicate on a resend may be this load's own first send, whose
       ack was lost: the collector cannot tell, so neither can the count */
    if (resent > 0)
        printf("  %zu of the duplicates came back on a resend, after the "
               "first send went unanswered: stored by this load or by an "
               "earlier one\n",
               resent);
    for (size_t i = 0; i < job->n; i++) {
        const load_line *l = &job->lines[i];
        if (l->state != LINE_REJECTED && l->state != LINE_UNANSWERED)
            continue;
        printf("  line %zu", l->line);
        if (l->respondent != NULL)
            printf(" (%s)", l->respondent);
        printf(": %s\n", l->reason != NULL ? l->reason : "(out of memory)");
    }
    if (unsent > 0)
        printf("  %zu lines not sent, from line %zu on: %s; load the same "
               "file again to send them (the lines stored already come "
               "back as duplicates)\n",
               unsent, first_unsent,
               job->interrupted ? "interrupted"
                                : "the collector stopped answering");
    if (job->interrupted && unsent > 0)
        return SV_EXIT_INTERRUPTED;
    if (unanswered > 0 || unsent > 0)
        return SV_EXIT_NO_REPLY;
    return rejected > 0 ? SV_EXIT_REJECTED : SV_EXIT_OK;
}

static void job_clear(load_job *job)
{
    for (size_t i = 0; i < job->n; i++) {
        load_line *l = &job->lines[i];
        json_decref(l->doc);
        free(l->respondent);
        free(l->reason);
        free(l->packed);
    }
    for (size_t i = 0; i < job->n_forms; i++) {
        free(job->forms[i].survey);
        survey__v1__reply__free_unpacked(job->forms[i].reply, NULL);
    }
    free(job->lines);
    free(job->forms);
    memset(job, 0, sizeof *job);
}

int sv_cmd_load(const sv_client_opts *o, const char *path)
{
    load_job job = {0};
    sv_rpc *rpc = NULL;
    sv_error err;
    bool from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "stdin" : path;
    FILE *f = from_stdin ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "survey: cannot open %s: %s\n", path, strerror(errno));
        return SV_EXIT_USAGE;
    }
    sv_status st = read_lines(f, name, &job, &err);
    if (!from_stdin && fclose(f) != 0 && st == SV_OK)
        st = sv_fail(&err, SV_ERR_IO, "cannot read %s: %s", name,
                     strerror(errno));
    int code;
    if (st != SV_OK) {
        fprintf(stderr, "survey: %s\n", err.msg);
        code = SV_EXIT_USAGE;
        goto fail;
    }
    st = sv_client_rpc(o, &rpc, &err);
    if (st == SV_OK)
        st = fetch_forms(&job, rpc, o->survey, &err);
    if (st == SV_OK)
        st = prepare(&job, o->survey, &err);
    if (st == SV_OK)
        st = send_all(&job, rpc, o, &err);
    if (st != SV_OK) {
        fprintf(stderr, "survey: %s\n", err.msg);
        code = sv_exit_for(st);
        goto fail;
    }
    code = summarize(&job);
fail:
    sv_rpc_destroy(&rpc);
    job_clear(&job);
    return code;
}
