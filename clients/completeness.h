/* completeness.h: who has answered, for people. Shared by the report's
 * last section (Japanese) and `survey status` (English): a table of counts
 * and rates per respondent type, then the respondents that have not
 * started and those that are incomplete with the questions they miss. */
#ifndef SV_COMPLETENESS_H
#define SV_COMPLETENESS_H

#include "status.h"
#include "survey.pb-c.h"
#include "table.h"

#include <stdio.h>

typedef enum {
    SV_LANG_JA, /* headings of the report */
    SV_LANG_EN  /* headings of the command-line tools */
} sv_lang;

/* Writes c: the figures in their order ("all" first, then each type), a
 * blank line, then both lists (each with its count; "none" when empty).
 * A missing question is named with the label labels' tables give it
 * (sv_fig_question_label): "label (name)" in Japanese, "name (label)" in
 * English; by its name alone without one (or when labels is NULL). Rates
 * are the server's strings. Returns SV_OK, or SV_ERR_NOMEM with err set;
 * write errors are left in out's error flag. */
sv_status sv_completeness_write(FILE *out, const Survey__V1__Completeness *c,
                                const Survey__V1__Snapshot *labels,
                                sv_table_style style, sv_lang lang,
                                sv_error *err);

#endif
