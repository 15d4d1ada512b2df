/* reply.h: builds the collector's Reply messages and packs each into one
 * owned buffer, ready to be sent as one ZeroMQ frame. */
#ifndef SV_REPLY_H
#define SV_REPLY_H

#include "pb_pack.h"
#include "questionnaire.h"
#include "status.h"
#include "store.h"
#include "survey.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* A packed reply. data is owned: free(). */
typedef struct {
    uint8_t *data;
    size_t len;
} sv_packed;

/* Packs any reply; sets reply->request_id first. */
sv_status sv_reply_pack(Survey__V1__Reply *reply, uint64_t request_id,
                        sv_packed *out);

/* The same, packed by pk (pb_pack.h: protobuf-c's bytes, with less work;
 * NULL, or a reply it declines: by protobuf-c). */
sv_status sv_reply_pack_with(sv_pb_packer *pk, Survey__V1__Reply *reply,
                             uint64_t request_id, sv_packed *out);

/* An Error reply. problems may be NULL. message is copied. */
sv_status sv_reply_error(uint64_t request_id, Survey__V1__Error__Code code,
                         const char *message, uint64_t current_revision,
                         const sv_problem *problems, size_t n_problems,
                         sv_packed *out);

/* The Ack for a stored (or duplicate) submission, packed by pk (see
 * sv_reply_pack_with; NULL: protobuf-c). */
sv_status sv_reply_ack(sv_pb_packer *pk, uint64_t request_id,
                       const char *survey, const Survey__V1__Submission *sub,
                       const sv_put_result *res, sv_packed *out);

/* The Ack of a Request.check: nothing stored (checked set, revision and
 * sequence 0), missing as validation found it. */
sv_status sv_reply_checked(uint64_t request_id, const char *survey,
                           const Survey__V1__Submission *sub,
                           const char *const *missing, size_t n_missing,
                           sv_packed *out);

/* The questionnaire as clients see it. */
sv_status sv_reply_questionnaire(uint64_t request_id, const sv_questionnaire *q,
                                 sv_packed *out);

/* "INVALID", "CONFLICT", ... (static, never NULL). */
const char *sv_code_name(Survey__V1__Error__Code code);
const char *sv_rule_name(Survey__V1__Problem__Rule rule);

#endif
