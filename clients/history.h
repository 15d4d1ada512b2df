/* history.h: a respondent's revisions as text for people: one header line
 * per revision, oldest first, then what changed question by question
 * compared with the revision before it. */
#ifndef SV_HISTORY_H
#define SV_HISTORY_H

#include "status.h"
#include "survey.pb-c.h"

#include <stdio.h>

/* Writes, for every revision of h:
 *
 *   revision 2  2026-11-24T22:00:00.123Z  by alice  seq 18  note: why
 *     + q = value          answered now, not before
 *     - q (was value)      answered before, not now
 *     ~ q: old -> new      answered differently
 *
 * Values are in their plain JSON form ("yes", ["a","b"], 2203). Revision 1
 * lists all its answers with +; a revision that changes nothing says
 * "  (no changes)". Returns SV_OK, or SV_ERR_NOMEM with err set. */
sv_status sv_history_print(FILE *out, const Survey__V1__History *h,
                           sv_error *err);

#endif
