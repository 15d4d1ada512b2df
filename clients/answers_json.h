/* answers_json.h: plain JSON answer sets <-> typed survey.v1 messages.
 *
 * The submit file, each line of a load file and the output of `survey get`
 * share one plain form:
 *
 *   {"survey": "shoman-jiritsu-r6", "respondent": "010006",
 *    "answers": {"consult": "yes", "consult_channel": ["window", "phone"],
 *                "holders": 2203, "care_support_content": "..."},
 *    "base_revision": 1, "note": "...", "submission_id": "..."}
 *
 * The Questionnaire sent by the collector gives each question's type, and so
 * the typed Answer a plain value becomes. A value that does not fit its
 * question is never repaired or dropped here: it goes in its closest wire
 * form (string -> text, array of strings -> choices, integer -> integer) so
 * that the collector reports it. Only values without any wire form (null,
 * object, real number, boolean, array holding a non-string) are refused. */
#ifndef SV_ANSWERS_JSON_H
#define SV_ANSWERS_JSON_H

#include "status.h"
#include "survey.pb-c.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The survey a submission object names: its "survey" string, else
 * default_survey. Borrowed from doc or default_survey. NULL when "survey"
 * is present but not a string. */
const char *sv_json_survey(const json_t *doc, const char *default_survey);

/* Turns the submission object doc into a new Submission.
 *
 * Keys: "respondent" (string) and "answers" (object) are required;
 * "survey", "note", "submission_id" (strings) and "base_revision"
 * (integer >= 0) are optional. "revision" (integer >= 0) stands for
 * "base_revision" when that is absent, and "sequence", "time", "submitter"
 * and "missing" are ignored, so that the output of `survey get` can be
 * edited and submitted again. Any other key is an error. Answers keep the
 * order of doc.
 *
 * qn gives the question types; it may be NULL (every question unknown).
 * When the survey is "" (neither doc nor default_survey names one), the
 * Submission gets qn's survey: a QuestionnaireRequest may leave the survey
 * empty when the collector serves one survey, a Submission may not.
 * The submission_id is copied from doc, or left "" for the caller to fill.
 *
 * Returns SV_OK and *out, owned by the caller and freed with
 * survey__v1__submission__free_unpacked(*out, NULL) (every part of it is
 * malloc'd); SV_ERR_INVALID with err naming the key or question and the
 * value; SV_ERR_NOMEM. */
sv_status sv_json_to_submission(const json_t *doc, const char *default_survey,
                                const Survey__V1__Questionnaire *qn,
                                Survey__V1__Submission **out, sv_error *err);

/* Replaces sub's submission_id (as built by sv_json_to_submission) with a
 * copy of id. Returns SV_OK or SV_ERR_NOMEM (sub unchanged). */
sv_status sv_submission_set_id(Survey__V1__Submission *sub, const char *id);

/* The plain JSON value of an answer: string for choice and text, array of
 * strings for choices, integer for integer, null for an answer without a
 * value. Returns a new reference, or NULL when out of memory (or when a
 * string is not valid UTF-8). */
json_t *sv_answer_to_json(const Survey__V1__Answer *a);

/* {"question": value, ...} in answer order. New reference or NULL. */
json_t *sv_answers_to_json(Survey__V1__Answer *const *answers, size_t n);

/* One revision in the plain form:
 *   {"survey", "respondent", "revision", "sequence", "time", "submitter",
 *    "note", "answers", "missing"}
 * plus "submission_id" and "base_revision" when with_ids is non-zero.
 * New reference or NULL. */
json_t *sv_revision_to_json(const char *survey, const char *respondent,
                            const Survey__V1__Revision *rev, int with_ids);

/* Writes time_ms (Unix milliseconds, UTC) as 2026-11-24T22:00:00.123Z into
 * buf; size >= 32 is always enough. Returns buf. */
char *sv_format_time(int64_t time_ms, char *buf, size_t size);

#endif
