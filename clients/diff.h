/* diff.h: `survey diff V1 V2`, what changed between two snapshots and
 * which revisions caused it.
 *
 * Every figure is compared, old -> new, with its count, n and percent:
 * implementation rates and frequency options per respondent type, the
 * matrix cell by cell and its totals, completeness per type and per
 * respondent (state, revision, missing questions), listings entry by
 * entry and the respondents of each program. The respondents whose matrix
 * row, listing entries, program membership or completeness status differ
 * are the cause of every change, aggregate figures included; their
 * revisions stored between the two snapshots' change-log sequences are
 * listed with who, when, why and what they changed. */
#ifndef SV_DIFF_H
#define SV_DIFF_H

#include "commands.h"
#include "status.h"
#include "survey.pb-c.h"

#include <stddef.h>
#include <stdio.h>

/* A respondent whose own figures differ. Strings borrowed from a
 * snapshot. */
typedef struct {
    const char *respondent;
    const char *name;
} sv_diff_who;

typedef struct {
    size_t lines;     /* changed figures written */
    sv_diff_who *who; /* malloc'd, in order of first change, no repeats */
    size_t n_who, cap_who;
} sv_diff_result;

/* Writes to out, section by section ("rates", "frequencies", "matrix",
 * "matrix totals", "completeness", "listings", "programs"; a section
 * without changes is left out), one line per changed figure:
 *
 *   rates
 *     consult=yes 相談支援事業 [all]: 97% (133/137) -> 98% (134/137)
 *   matrix
 *     010006 北海道, holders: 2,203 -> 2,204
 *   matrix totals
 *     holders [all]: 352,310 (n 137) -> 352,311 (n 137)
 *
 * A figure on one side only shows "(none)" on the other. Fills r (zeroed
 * by the caller; release with sv_diff_result_clear). Returns SV_OK or
 * SV_ERR_NOMEM with err set. */
sv_status sv_snapshot_diff(FILE *out, const Survey__V1__Snapshot *a,
                           const Survey__V1__Snapshot *b, sv_diff_result *r,
                           sv_error *err);

void sv_diff_result_clear(sv_diff_result *r);

/* survey diff V1 V2 (each a version >= 1 or "latest"): fetches both
 * snapshots, prints a header naming them, the changes (or "no figure
 * changed") and "caused by": per respondent of the result, its revisions
 * with sequence in (lower, higher] of the two snapshots' sequences.
 * Returns 0 (also when nothing changed); 1 when the collector refuses
 * (NOT_FOUND: no such snapshot); 2 for a bad version; 3 for no reply. */
int sv_cmd_diff(const sv_client_opts *o, const char *v1, const char *v2);

#endif
