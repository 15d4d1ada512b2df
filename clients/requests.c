/* requests.c: see requests.h. */
#include "requests.h"

#include <uuid/uuid.h>

sv_status sv_request(sv_rpc *rpc, const Survey__V1__Request *req,
                     Survey__V1__Reply__BodyCase want, const char *what,
                     Survey__V1__Reply **out, sv_error *err)
{
    Survey__V1__Reply *reply = NULL;
    sv_status st = sv_rpc_call(rpc, req, &reply, err);
    if (st != SV_OK)
        return st;
    /* the bodies share one union: any member tells whether it is set */
    if ((reply->body_case == want ||
         reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) &&
        reply->error != NULL) {
        *out = reply;
        return SV_OK;
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return sv_fail(err, SV_ERR_PROTO, "unexpected reply to a %s request", what);
}

sv_status sv_request_current(sv_rpc *rpc, const char *survey,
                             const char *respondent, Survey__V1__Reply **out,
                             sv_error *err)
{
    Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    get.survey = (char *)survey;
    get.respondent = (char *)respondent;
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &get;
    sv_status st = sv_request(rpc, &req, SURVEY__V1__REPLY__BODY_RESPONSE,
                              "get", out, err);
    if (st != SV_OK)
        return st;
    if ((*out)->body_case == SURVEY__V1__REPLY__BODY_RESPONSE &&
        (*out)->response->current == NULL) {
        survey__v1__reply__free_unpacked(*out, NULL);
        *out = NULL;
        return sv_fail(err, SV_ERR_PROTO,
                       "reply to a get request without a revision");
    }
    return SV_OK;
}

sv_status sv_request_history(sv_rpc *rpc, const char *survey,
                             const char *respondent, Survey__V1__Reply **out,
                             sv_error *err)
{
    Survey__V1__HistoryRequest hist = SURVEY__V1__HISTORY_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    hist.survey = (char *)survey;
    hist.respondent = (char *)respondent;
    req.body_case = SURVEY__V1__REQUEST__BODY_HISTORY;
    req.history = &hist;
    return sv_request(rpc, &req, SURVEY__V1__REPLY__BODY_HISTORY, "history",
                      out, err);
}

sv_status sv_request_snapshot(sv_rpc *rpc, const char *survey, uint64_t version,
                              bool header_only, Survey__V1__Reply **out,
                              sv_error *err)
{
    Survey__V1__SnapshotRequest sr = SURVEY__V1__SNAPSHOT_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    sr.survey = (char *)survey;
    sr.version = version;
    sr.header_only = header_only;
    req.body_case = SURVEY__V1__REQUEST__BODY_SNAPSHOT;
    req.snapshot = &sr;
    return sv_request(rpc, &req, SURVEY__V1__REPLY__BODY_SNAPSHOT, "snapshot",
                      out, err);
}

/* s as a Submission with the given id, sent as a submit or a check. */
static sv_status send_set(sv_rpc *rpc, const sv_answer_set *s, const char *id,
                          bool check, Survey__V1__Reply **out, sv_error *err)
{
    Survey__V1__Submission sub = SURVEY__V1__SUBMISSION__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    sub.survey = (char *)s->survey;
    sub.respondent = (char *)s->respondent;
    sub.submission_id = (char *)id;
    sub.base_revision = s->base_revision;
    sub.answers = (Survey__V1__Answer **)s->answers;
    sub.n_answers = s->n_answers;
    sub.note = (char *)(s->note != NULL ? s->note : "");
    if (check) {
        req.body_case = SURVEY__V1__REQUEST__BODY_CHECK;
        req.check = &sub;
    } else {
        req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
        req.submit = &sub;
    }
    return sv_request(rpc, &req, SURVEY__V1__REPLY__BODY_ACK,
                      check ? "check" : "submit", out, err);
}

sv_status sv_request_check(sv_rpc *rpc, const sv_answer_set *s,
                           Survey__V1__Reply **out, sv_error *err)
{
    return send_set(rpc, s, "", true, out, err);
}

sv_status sv_request_submit(sv_rpc *rpc, const sv_answer_set *s,
                            Survey__V1__Reply **out, sv_error *err)
{
    uuid_t uu;
    char id[UUID_STR_LEN];
    uuid_generate(uu);
    uuid_unparse_lower(uu, id);
    return send_set(rpc, s, id, false, out, err);
}
