/* outcome.h: the one-line texts a user sees for the collector's replies:
 * acknowledgements, errors and validation problems. Shared by submit and
 * load so that both say the same thing the same way. Nothing here adds a
 * newline. */
#ifndef SV_OUTCOME_H
#define SV_OUTCOME_H

#include "survey.pb-c.h"

#include <stdio.h>

/* Missing question names listed before "…". */
#define SV_OUTCOME_MAX_MISSING 8

/* "CONFLICT", "INVALID", ...: a static string, or for a code this client
 * does not know "CODE_17" written into buf (and buf returned). */
const char *sv_outcome_code_name(Survey__V1__Error__Code code, char *buf,
                                 size_t size);

/* "CONSTRAINT", ... (or "RULE_17" in buf), as above. */
const char *sv_outcome_rule_name(Survey__V1__Problem__Rule rule, char *buf,
                                 size_t size);

/* accepted 010006 revision 1 sequence 17 (duplicate); incomplete: 31
 * required questions missing: a, b, c, d, e, f, g, h, … */
void sv_outcome_ack(FILE *out, const Survey__V1__Ack *ack);

/* CONFLICT: <message> (current revision 3) */
void sv_outcome_error(FILE *out, const Survey__V1__Error *e);

/* holders = "-1": CONSTRAINT: <message> */
void sv_outcome_problem(FILE *out, const Survey__V1__Problem *p);

/* The error and all its problems on one line:
 * INVALID: holders = "-1": CONSTRAINT: . >= 0; q = "x": UNKNOWN_OPTION: ...
 * (sv_outcome_error when there are no problems). */
void sv_outcome_error_brief(FILE *out, const Survey__V1__Error *e);

/* Writes s as a double-quoted string: \" \\ and control bytes escaped,
 * other bytes (UTF-8 or not) as they are. */
void sv_outcome_quote(FILE *out, const char *s);

#endif
