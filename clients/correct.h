/* correct.h: `survey correct CODE --set q=value --unset q --note why`, a
 * correction of some answers of one respondent: the current revision is
 * read, the changes are applied to its answer set, and the whole set is
 * submitted against that revision as a new revision with the note.
 *
 * Nothing is retried blindly: when someone else stored a revision in
 * between, the collector answers CONFLICT and the correction is reported
 * as refused, with the revision to look at. */
#ifndef SV_CORRECT_H
#define SV_CORRECT_H

#include "commands.h"

/* Values of o->sets ("question=value") are typed with the questionnaire
 * (answer_text.h); o->unsets name questions to leave unanswered; o->note
 * is required. With o->dry_run nothing is submitted. Prints on stdout
 *   accepted 010006 revision 3 sequence 42
 *     ~ holders: 2203 -> 2204
 * (or "would correct 010006 revision 2:" and the changes, or "no change:
 * ..." when every answer is already as given, in which case nothing is
 * submitted). Returns 0; 1 when the collector refuses (CONFLICT, INVALID
 * with its problems, NOT_FOUND, UNKNOWN_RESPONDENT); 2 for a usage error
 * (no --note, nothing to change, a --set without '=', a question named
 * twice or not in the questionnaire); 3 for no reply. */
int sv_cmd_correct(const sv_client_opts *o, const char *respondent);

#endif
