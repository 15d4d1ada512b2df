/* history.h: a respondent's revisions as text for people: one header line
 * per revision, oldest first, then what changed question by question
 * compared with the revision before it. The header and the change lines
 * are also what `survey correct`, `survey import-matrix` and `survey diff`
 * print, so that every command shows a change the same way. */
#ifndef SV_HISTORY_H
#define SV_HISTORY_H

#include "status.h"
#include "survey.pb-c.h"

#include <stddef.h>
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

/* Writes indent and the header line of rev as above, with its newline. */
void sv_history_header(FILE *out, const char *indent,
                       const Survey__V1__Revision *rev);

/* Writes the changes from the answer set before[0..n_before) to
 * after[0..n_after), one "+", "-" or "~" line each as above, every line
 * preceded by indent: the answers of after in their order, then those of
 * before that after lacks. out may be NULL to count only. Sets *n_changes
 * to the number of lines. Returns SV_OK or SV_ERR_NOMEM (err set). */
sv_status sv_answers_diff(FILE *out, const char *indent,
                          Survey__V1__Answer *const *before, size_t n_before,
                          Survey__V1__Answer *const *after, size_t n_after,
                          size_t *n_changes, sv_error *err);

#endif
