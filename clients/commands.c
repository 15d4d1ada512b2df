/* commands.c: see commands.h. */
#include "commands.h"

#include "answers_json.h"
#include "history.h"
#include "keyfile.h"
#include "outcome.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

int sv_exit_for(sv_status st)
{
    switch (st) {
    case SV_OK:
        return SV_EXIT_OK;
    case SV_ERR_TIMEOUT:
    case SV_ERR_PROTO:
    case SV_ERR_ZMQ:
        return SV_EXIT_NO_REPLY;
    default:
        return SV_EXIT_USAGE;
    }
}

/* Reads the client's key pair and the server's public key named in o. */
static sv_status read_keys(const sv_client_opts *o, char *server_public,
                           char *client_public, char *client_secret,
                           sv_error *err)
{
    if (o->secret_file == NULL || o->server_public_file == NULL)
        return sv_fail(err, SV_ERR_INVALID,
                       "--secret and --server-public go together");
    sv_error why;
    sv_status st =
        sv_keyfile_read(o->secret_file, client_public, client_secret, &why);
    if (st != SV_OK)
        return sv_fail(err, st, "--secret: %s", why.msg);
    st = sv_keyfile_read(o->server_public_file, server_public, NULL, &why);
    if (st != SV_OK)
        return sv_fail(err, st, "--server-public: %s", why.msg);
    return SV_OK;
}

sv_status sv_client_rpc(const sv_client_opts *o, sv_rpc **out, sv_error *err)
{
    sv_rpc *rpc = NULL;
    sv_status st =
        sv_rpc_new(&rpc, o->endpoint, o->timeout_ms, o->retries, err);
    if (st != SV_OK)
        return st;
    if (o->secret_file != NULL || o->server_public_file != NULL) {
        char server_public[SV_Z85_KEY_LEN + 1];
        char client_public[SV_Z85_KEY_LEN + 1];
        char client_secret[SV_Z85_KEY_LEN + 1];
        st = read_keys(o, server_public, client_public, client_secret, err);
        if (st == SV_OK)
            st = sv_rpc_set_curve(rpc, server_public, client_public,
                                  client_secret, err);
        explicit_bzero(client_secret, sizeof client_secret);
        if (st != SV_OK) {
            sv_rpc_destroy(&rpc);
            return st;
        }
    }
    *out = rpc;
    return SV_OK;
}

sv_status sv_fetch_questionnaire(sv_rpc *rpc, const char *survey,
                                 Survey__V1__Reply **out, sv_error *err)
{
    Survey__V1__QuestionnaireRequest qr =
        SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    qr.survey = (char *)survey;
    req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
    req.questionnaire = &qr;
    Survey__V1__Reply *reply = NULL;
    sv_status st = sv_rpc_call(rpc, &req, &reply, err);
    if (st != SV_OK)
        return st;
    if ((reply->body_case == SURVEY__V1__REPLY__BODY_QUESTIONNAIRE &&
         reply->questionnaire != NULL) ||
        (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
         reply->error != NULL)) {
        *out = reply;
        return SV_OK;
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return sv_fail(err, SV_ERR_PROTO,
                   "unexpected reply to a questionnaire request");
}

int sv_report_error(const Survey__V1__Error *e, const char *prefix)
{
    fprintf(stderr, "survey: %s", prefix);
    sv_outcome_error(stderr, e);
    fputc('\n', stderr);
    for (size_t i = 0; i < e->n_problems; i++) {
        fputs("  ", stderr);
        sv_outcome_problem(stderr, e->problems[i]);
        fputc('\n', stderr);
    }
    return SV_EXIT_REJECTED;
}

int sv_report_failure(sv_status st, const sv_error *err)
{
    fprintf(stderr, "survey: %s\n", err->msg);
    return sv_exit_for(st);
}

/* Reads one JSON document from path ("-" = stdin). NULL on failure, with
 * the reason in err. The caller owns the result. */
static json_t *load_document(const char *path, sv_error *err)
{
    bool from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "stdin" : path;
    FILE *f = from_stdin ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem;
    json_error_t jerr;
    json_t *doc = NULL;

    if (f == NULL) {
        (void)sv_fail(err, SV_ERR_IO, "cannot open %s: %s", path,
                      strerror(errno));
        return NULL;
    }
    mem = open_memstream(&buf, &len);
    if (mem != NULL) {
        char chunk[8192];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
            if (fwrite(chunk, 1, got, mem) != got)
                break;
    }
    bool bad = ferror(f) != 0;
    int e = errno;
    if (!from_stdin)
        (void)fclose(f);
    if (mem == NULL || fclose(mem) != 0) {
        free(buf);
        (void)sv_fail(err, SV_ERR_NOMEM, "out of memory reading %s", name);
        return NULL;
    }
    if (bad) {
        free(buf);
        (void)sv_fail(err, SV_ERR_IO, "cannot read %s: %s", name, strerror(e));
        return NULL;
    }
    /* a UTF-8 byte order mark (editors on Windows write one) */
    size_t skip = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    doc = json_loadb(buf + skip, len - skip, JSON_REJECT_DUPLICATES, &jerr);
    free(buf);
    if (doc == NULL)
        (void)sv_fail(err, SV_ERR_PARSE, "%s:%d:%d: %s", name, jerr.line,
                      jerr.column, jerr.text);
    return doc;
}

static int print_reply_to_submit(const Survey__V1__Reply *reply)
{
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ACK && reply->ack != NULL) {
        sv_outcome_ack(stdout, reply->ack);
        fputc('\n', stdout);
        return SV_EXIT_OK;
    }
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
        reply->error != NULL)
        return sv_report_error(reply->error, "rejected: ");
    fprintf(stderr, "survey: unexpected reply to a submission\n");
    return SV_EXIT_NO_REPLY;
}

/* Turns doc into a Submission with an id and sends it. */
static int submit_document(sv_rpc *rpc, const json_t *doc, const char *path,
                           const Survey__V1__Questionnaire *qn,
                           const char *default_survey)
{
    sv_error err;
    Survey__V1__Submission *sub = NULL;
    Survey__V1__Reply *reply = NULL;
    int code;
    sv_status st = sv_json_to_submission(doc, default_survey, qn, &sub, &err);
    if (st != SV_OK) {
        fprintf(stderr, "survey: %s: %s\n", path, err.msg);
        return SV_EXIT_USAGE;
    }
    if (sub->submission_id[0] == '\0') {
        uuid_t uu;
        char id[UUID_STR_LEN];
        uuid_generate(uu);
        uuid_unparse_lower(uu, id);
        st = sv_submission_set_id(sub, id);
        if (st != SV_OK) {
            fprintf(stderr, "survey: out of memory\n");
            code = SV_EXIT_USAGE;
            goto fail;
        }
    }
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    req.submit = sub;
    st = sv_rpc_call(rpc, &req, &reply, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
        goto fail;
    }
    code = print_reply_to_submit(reply);
fail:
    if (reply != NULL)
        survey__v1__reply__free_unpacked(reply, NULL);
    survey__v1__submission__free_unpacked(sub, NULL);
    return code;
}

int sv_cmd_submit(const sv_client_opts *o, const char *path)
{
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__Reply *qreply = NULL;
    int code;
    json_t *doc = load_document(path, &err);
    if (doc == NULL)
        return sv_report_failure(SV_ERR_PARSE, &err);
    if (!json_is_object(doc)) {
        fprintf(stderr, "survey: %s: a submission must be a JSON object\n",
                path);
        code = SV_EXIT_USAGE;
        goto fail;
    }
    const char *survey = sv_json_survey(doc, o->survey);
    if (survey == NULL) {
        fprintf(stderr, "survey: %s: \"survey\" is not a string\n", path);
        code = SV_EXIT_USAGE;
        goto fail;
    }
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st == SV_OK)
        st = sv_fetch_questionnaire(rpc, survey, &qreply, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
        goto fail;
    }
    if (qreply->body_case == SURVEY__V1__REPLY__BODY_ERROR)
        code = sv_report_error(qreply->error, "rejected: ");
    else
        code =
            submit_document(rpc, doc, path, qreply->questionnaire, o->survey);
fail:
    if (qreply != NULL)
        survey__v1__reply__free_unpacked(qreply, NULL);
    sv_rpc_destroy(&rpc);
    json_decref(doc);
    return code;
}

/* Sends a get or history request for respondent; *out is the reply when
 * the return is SV_EXIT_OK. */
static int ask(const sv_client_opts *o, const char *respondent, bool history,
               Survey__V1__Reply **out)
{
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__HistoryRequest hist = SURVEY__V1__HISTORY_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    if (history) {
        hist.survey = (char *)o->survey;
        hist.respondent = (char *)respondent;
        req.body_case = SURVEY__V1__REQUEST__BODY_HISTORY;
        req.history = &hist;
    } else {
        get.survey = (char *)o->survey;
        get.respondent = (char *)respondent;
        req.body_case = SURVEY__V1__REQUEST__BODY_GET;
        req.get = &get;
    }
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st == SV_OK)
        st = sv_rpc_call(rpc, &req, out, &err);
    sv_rpc_destroy(&rpc);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    if ((*out)->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
        (*out)->error != NULL) {
        int code = sv_report_error((*out)->error, "");
        survey__v1__reply__free_unpacked(*out, NULL);
        *out = NULL;
        return code;
    }
    return SV_EXIT_OK;
}

/* Prints json pretty on stdout. Takes the reference. */
static int print_json(json_t *json)
{
    if (json == NULL) {
        fprintf(stderr, "survey: out of memory\n");
        return SV_EXIT_USAGE;
    }
    int rc = json_dumpf(json, stdout, JSON_INDENT(2));
    json_decref(json);
    if (rc != 0) {
        fprintf(stderr, "survey: cannot write the output\n");
        return SV_EXIT_USAGE;
    }
    fputc('\n', stdout);
    return SV_EXIT_OK;
}

int sv_cmd_get(const sv_client_opts *o, const char *respondent)
{
    Survey__V1__Reply *reply = NULL;
    int code = ask(o, respondent, false, &reply);
    if (code != SV_EXIT_OK)
        return code;
    const Survey__V1__Response *r = reply->response;
    if (reply->body_case != SURVEY__V1__REPLY__BODY_RESPONSE || r == NULL ||
        r->current == NULL) {
        fprintf(stderr, "survey: unexpected reply to a get request\n");
        code = SV_EXIT_NO_REPLY;
    } else {
        code = print_json(
            sv_revision_to_json(r->survey, r->respondent, r->current, 0));
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return code;
}

static int print_history_json(const Survey__V1__History *h)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < h->n_revisions; i++) {
        json_t *rev =
            sv_revision_to_json(h->survey, h->respondent, h->revisions[i], 1);
        if (json_array_append_new(arr, rev) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return print_json(arr);
}

int sv_cmd_history(const sv_client_opts *o, const char *respondent)
{
    Survey__V1__Reply *reply = NULL;
    int code = ask(o, respondent, true, &reply);
    if (code != SV_EXIT_OK)
        return code;
    const Survey__V1__History *h = reply->history;
    if (reply->body_case != SURVEY__V1__REPLY__BODY_HISTORY || h == NULL) {
        fprintf(stderr, "survey: unexpected reply to a history request\n");
        code = SV_EXIT_NO_REPLY;
    } else if (o->json) {
        code = print_history_json(h);
    } else {
        sv_error err;
        sv_status st = sv_history_print(stdout, h, &err);
        code = st == SV_OK ? SV_EXIT_OK : sv_report_failure(st, &err);
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return code;
}
