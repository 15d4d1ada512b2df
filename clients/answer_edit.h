/* answer_edit.h: a respondent's answer set being changed, as `survey
 * correct` and `survey import-matrix` change it: start from the current
 * revision's answers, set and unset questions, then submit the whole set
 * against that revision and show what changed.
 *
 * The answers of the base revision are borrowed, never copied: the base
 * must outlive the edit. Answers given to sv_edit_set are owned by the
 * edit. */
#ifndef SV_ANSWER_EDIT_H
#define SV_ANSWER_EDIT_H

#include "status.h"
#include "survey.pb-c.h"

#include <stddef.h>
#include <stdio.h>

typedef struct sv_edit sv_edit;

/* A new edit of base's answers (base NULL: no answers yet). Returns SV_OK
 * and *out (owned by the caller: sv_edit_destroy), or SV_ERR_NOMEM. */
sv_status sv_edit_new(sv_edit **out, const Survey__V1__Revision *base,
                      sv_error *err);

/* Frees the edit and the answers it owns, sets *self NULL. NULL-safe. */
void sv_edit_destroy(sv_edit **self);

/* Answers a->question with a, replacing an answer to the same question in
 * place or adding it at the end. Takes a, also on failure. Returns SV_OK
 * or SV_ERR_NOMEM. */
sv_status sv_edit_set(sv_edit *e, Survey__V1__Answer *a, sv_error *err);

/* Removes the answer to question, if there is one. */
void sv_edit_unset(sv_edit *e, const char *question);

/* The answers now, in order; borrowed from e until its next change. */
Survey__V1__Answer *const *sv_edit_answers(const sv_edit *e, size_t *n);

/* The changes against the base as history.h prints them ("  ~ holders:
 * 2203 -> 2204"), each line preceded by indent; out NULL counts only.
 * Sets *n_changes. Returns SV_OK or SV_ERR_NOMEM. */
sv_status sv_edit_changes(const sv_edit *e, FILE *out, const char *indent,
                          size_t *n_changes, sv_error *err);

#endif
