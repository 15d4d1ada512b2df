/* answer_text.h: typed answers from plain text, as a user writes them on
 * the command line (`survey correct --set q=value`) or in a spreadsheet
 * cell (`survey import-matrix`). The Questionnaire sent by the collector
 * gives each question's type:
 *
 *   select_one       the option name:              yes
 *   select_multiple  option names, comma-separated: counter,phone
 *   integer          decimal, optionally with thousands separators:
 *                    2203, 2,203, -5
 *   text             the text as it is
 *
 * As in answers_json.h, a value that does not fit its question is never
 * repaired or dropped: it gets its closest wire form (a text for a
 * non-integer, the option names as given) so that the collector can
 * report it, and the caller is told why it does not fit. */
#ifndef SV_ANSWER_TEXT_H
#define SV_ANSWER_TEXT_H

#include "status.h"
#include "survey.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* The question called name in qn, or NULL. */
const Survey__V1__Question *
sv_question_find(const Survey__V1__Questionnaire *qn, const char *name);

/* True if q has an option called option. */
int sv_question_has_option(const Survey__V1__Question *q, const char *option);

/* The option names of q as "yes, no" into buf (cut short with "..." when
 * buf is too small). Returns buf. */
char *sv_question_options(const Survey__V1__Question *q, char *buf,
                          size_t size);

/* Parses a decimal integer: an optional '-', then digits, optionally
 * grouped by ',' in threes ("2,203", "1,234,567"). Returns 1 and *out for
 * a value in int64 range, else 0. */
int sv_parse_integer(const char *text, int64_t *out);

/* Builds a new Answer to question name from text, typed by q (NULL: an
 * unknown question, sent as text). Returns:
 *   SV_OK           the value fits q (every option known, an integer);
 *   SV_ERR_INVALID  it does not: *out holds the closest wire form all the
 *                   same, err says why ("\"maybe\" is not an option of
 *                   consult (yes, no)", "\"abc\" is not an integer");
 *   SV_ERR_NOMEM    *out is NULL.
 * *out is owned by the caller: survey__v1__answer__free_unpacked(*out,
 * NULL). For select_multiple the names are split at commas and trimmed of
 * spaces; empty names are dropped. */
sv_status sv_answer_from_text(const Survey__V1__Question *q, const char *name,
                              const char *text, Survey__V1__Answer **out,
                              sv_error *err);

#endif
