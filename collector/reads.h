/* reads.h: the collector's read-only requests, answered from the store:
 * a respondent's current answers and history, a stored snapshot, and the
 * completeness status. Each builds the packed reply or names the error. */
#ifndef SV_READS_H
#define SV_READS_H

#include "questionnaire.h"
#include "reply.h"
#include "status.h"
#include "store.h"
#include "survey.pb-c.h"

typedef struct {
    Survey__V1__Error__Code code;
    char message[512];
} sv_read_error;

/* Answers req (get, history, snapshot or status) for survey q. SV_OK: *out
 * holds the packed reply (owned: free out->data). Otherwise e says which
 * error reply to send. */
sv_status sv_read_answer(sv_store *store, const sv_questionnaire *q,
                         const Survey__V1__Request *req, sv_packed *out,
                         sv_read_error *e);

#endif
