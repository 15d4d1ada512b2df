/* requests.h: the requests the commands make of the collector, each with
 * the kind of reply it expects: a respondent's current revision, its
 * history, a snapshot, and a submission of a whole answer set against a
 * base revision. Every call is one lazy-pirate round trip (rpc.h).
 *
 * Each returns SV_OK and a reply owned by the caller (free it with
 * survey__v1__reply__free_unpacked) whose body is either the expected kind
 * or an Error: a refusal is a reply, not a failure. Failures are those of
 * sv_rpc_call, plus SV_ERR_PROTO for a reply of any other kind. */
#ifndef SV_REQUESTS_H
#define SV_REQUESTS_H

#include "rpc.h"
#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sends req; *out is a reply of body `want` or an Error. what names the
 * request in the SV_ERR_PROTO message ("snapshot"). */
sv_status sv_request(sv_rpc *rpc, const Survey__V1__Request *req,
                     Survey__V1__Reply__BodyCase want, const char *what,
                     Survey__V1__Reply **out, sv_error *err);

/* Request.get: *out holds a Response (with a current revision) or an
 * Error (NOT_FOUND: nothing stored yet). survey may be "". */
sv_status sv_request_current(sv_rpc *rpc, const char *survey,
                             const char *respondent, Survey__V1__Reply **out,
                             sv_error *err);

/* Request.history: *out holds a History or an Error. */
sv_status sv_request_history(sv_rpc *rpc, const char *survey,
                             const char *respondent, Survey__V1__Reply **out,
                             sv_error *err);

/* Request.snapshot: version 0 = the latest; header_only leaves the tables
 * out. *out holds a Snapshot or an Error (NOT_FOUND: no such snapshot). */
sv_status sv_request_snapshot(sv_rpc *rpc, const char *survey, uint64_t version,
                              bool header_only, Survey__V1__Reply **out,
                              sv_error *err);

/* What to submit: answers[0..n_answers) are borrowed. */
typedef struct {
    const char *survey; /* not "": the questionnaire's form_id */
    const char *respondent;
    uint64_t base_revision; /* the revision the answers replace */
    Survey__V1__Answer *const *answers;
    size_t n_answers;
    const char *note;
} sv_answer_set;

/* Request.check of s: the collector checks it as a submit, stores
 * nothing. *out holds an Ack (checked) or the Error a submit would get. */
sv_status sv_request_check(sv_rpc *rpc, const sv_answer_set *s,
                           Survey__V1__Reply **out, sv_error *err);

/* Request.submit of s under a new random submission_id (a resend after a
 * timeout carries the same bytes, so the same id). *out holds an Ack or
 * an Error. */
sv_status sv_request_submit(sv_rpc *rpc, const sv_answer_set *s,
                            Survey__V1__Reply **out, sv_error *err);

#endif
