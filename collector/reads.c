/* reads.c: see reads.h. */
#include "reads.h"

#include "summary.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static sv_status read_fail(sv_read_error *e, Survey__V1__Error__Code code,
                           const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sv_status read_fail(sv_read_error *e, Survey__V1__Error__Code code,
                           const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    if (w < 0)
        e->message[0] = '\0';
    e->code = code;
    return code == SURVEY__V1__ERROR__CODE__NOT_FOUND ? SV_ERR_NOT_FOUND
                                                      : SV_ERR_STORE;
}

static sv_status store_fail(sv_read_error *e, sv_status st, const sv_error *err)
{
    if (st == SV_ERR_NOMEM)
        return read_fail(e, SURVEY__V1__ERROR__CODE__INTERNAL, "out of memory");
    return read_fail(e, SURVEY__V1__ERROR__CODE__INTERNAL, "%s: %s",
                     sv_status_str(st), err->msg);
}

static sv_status pack(Survey__V1__Reply *reply, uint64_t request_id,
                      sv_packed *out, sv_read_error *e)
{
    if (sv_reply_pack(reply, request_id, out) != SV_OK)
        return read_fail(e, SURVEY__V1__ERROR__CODE__INTERNAL, "out of memory");
    return SV_OK;
}

/* A failed read of a respondent's answers: NOT_FOUND names whose. */
static sv_status answers_fail(sv_read_error *e, sv_status st,
                              const sv_error *err, const char *respondent,
                              const char *survey)
{
    if (st == SV_ERR_NOT_FOUND)
        return read_fail(e, SURVEY__V1__ERROR__CODE__NOT_FOUND,
                         "no answers stored for %s in %s", respondent, survey);
    return store_fail(e, st, err);
}

static sv_status answer_get(sv_store *store, const char *survey,
                            const Survey__V1__Request *req, sv_packed *out,
                            sv_read_error *e)
{
    const char *respondent = req->get->respondent;
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    sv_status st = sv_store_current(store, survey, respondent, &rev, &err);
    if (st != SV_OK)
        return answers_fail(e, st, &err, respondent, survey);
    Survey__V1__Response resp = SURVEY__V1__RESPONSE__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    resp.survey = (char *)survey;
    resp.respondent = (char *)respondent;
    resp.current = rev;
    reply.body_case = SURVEY__V1__REPLY__BODY_RESPONSE;
    reply.response = &resp;
    st = pack(&reply, req->request_id, out, e);
    survey__v1__revision__free_unpacked(rev, NULL);
    return st;
}

static sv_status answer_history(sv_store *store, const char *survey,
                                const Survey__V1__Request *req, sv_packed *out,
                                sv_read_error *e)
{
    const char *respondent = req->history->respondent;
    Survey__V1__Revision **revs = NULL;
    size_t n = 0;
    sv_error err = {{0}};
    sv_status st = sv_store_history(store, survey, respondent, &revs, &n, &err);
    if (st != SV_OK)
        return answers_fail(e, st, &err, respondent, survey);
    Survey__V1__History hist = SURVEY__V1__HISTORY__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    hist.survey = (char *)survey;
    hist.respondent = (char *)respondent;
    hist.revisions = revs;
    hist.n_revisions = n;
    reply.body_case = SURVEY__V1__REPLY__BODY_HISTORY;
    reply.history = &hist;
    st = pack(&reply, req->request_id, out, e);
    sv_store_free_revisions(revs, n);
    return st;
}

/* The stored snapshot `version` (0 = latest), unpacked. */
static sv_status load_snapshot(sv_store *store, const char *survey,
                               uint64_t version, Survey__V1__Snapshot **snap,
                               sv_read_error *e)
{
    uint8_t *data = NULL;
    size_t len = 0;
    sv_error err = {{0}};
    sv_status st = sv_store_snapshot(store, survey, version, &data, &len, &err);
    if (st == SV_ERR_NOT_FOUND && version == 0)
        return read_fail(e, SURVEY__V1__ERROR__CODE__NOT_FOUND,
                         "no snapshot of %s yet (is survey-aggregator "
                         "running?)",
                         survey);
    if (st == SV_ERR_NOT_FOUND)
        return read_fail(e, SURVEY__V1__ERROR__CODE__NOT_FOUND,
                         "no snapshot version %llu of %s",
                         (unsigned long long)version, survey);
    if (st != SV_OK)
        return store_fail(e, st, &err);
    *snap = survey__v1__snapshot__unpack(NULL, len, data);
    free(data);
    if (*snap == NULL)
        return read_fail(e, SURVEY__V1__ERROR__CODE__INTERNAL,
                         "stored snapshot of %s is corrupt", survey);
    return SV_OK;
}

static sv_status answer_snapshot(sv_store *store, const char *survey,
                                 const Survey__V1__Request *req, sv_packed *out,
                                 sv_read_error *e)
{
    const Survey__V1__SnapshotRequest *r = req->snapshot;
    Survey__V1__Snapshot *snap = NULL;
    sv_status st = load_snapshot(store, survey, r->version, &snap, e);
    if (st != SV_OK)
        return st;
    if (r->header_only)
        sv_snapshot_strip(snap, false);
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    reply.body_case = SURVEY__V1__REPLY__BODY_SNAPSHOT;
    reply.snapshot = snap;
    st = pack(&reply, req->request_id, out, e);
    survey__v1__snapshot__free_unpacked(snap, NULL);
    return st;
}

static sv_status answer_status(sv_store *store, const char *survey,
                               const Survey__V1__Request *req, sv_packed *out,
                               sv_read_error *e)
{
    Survey__V1__Status status = SURVEY__V1__STATUS__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    Survey__V1__Snapshot *snap = NULL;
    sv_error err = {{0}};
    uint64_t seq = 0;
    sv_status st = sv_store_last_sequence(store, &seq, &err);
    if (st != SV_OK)
        return store_fail(e, st, &err);
    st = load_snapshot(store, survey, 0, &snap, e);
    if (st != SV_OK)
        return st;
    /* the completeness per respondent stays: that is the status */
    Survey__V1__Completeness *c = snap->completeness;
    snap->completeness = NULL;
    sv_snapshot_strip(snap, false);
    snap->completeness = c;
    status.survey = (char *)survey;
    status.log_sequence = seq;
    status.snapshot = snap;
    reply.body_case = SURVEY__V1__REPLY__BODY_STATUS;
    reply.status = &status;
    st = pack(&reply, req->request_id, out, e);
    survey__v1__snapshot__free_unpacked(snap, NULL);
    return st;
}

sv_status sv_read_answer(sv_store *store, const sv_questionnaire *q,
                         const Survey__V1__Request *req, sv_packed *out,
                         sv_read_error *e)
{
    const char *survey = sv_questionnaire_id(q);
    switch (req->body_case) {
    case SURVEY__V1__REQUEST__BODY_GET:
        return answer_get(store, survey, req, out, e);
    case SURVEY__V1__REQUEST__BODY_HISTORY:
        return answer_history(store, survey, req, out, e);
    case SURVEY__V1__REQUEST__BODY_SNAPSHOT:
        return answer_snapshot(store, survey, req, out, e);
    case SURVEY__V1__REQUEST__BODY_STATUS:
        return answer_status(store, survey, req, out, e);
    default:
        return read_fail(e, SURVEY__V1__ERROR__CODE__MALFORMED,
                         "not a read request");
    }
}
