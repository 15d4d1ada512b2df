/* snapshot_text.h: a snapshot as the report reads, in Japanese, as aligned
 * plain text or as GitHub-flavoured Markdown:
 *
 *   title, then the header (survey, version, the change-log sequence it
 *   reflects, creation time in UTC, trigger, digest in hex);
 *   1-5. 実施率: label, percent% (count/n) for all respondents;
 *   2. 各自治体の事業実施状況: per respondent type, # (running over all
 *      types), 自治体名 and the matrix columns (○/×/-, integers with
 *      thousands separators), a 計 row with the totals of summed columns;
 *      then the totals for every type and for all;
 *   集計表: per frequency table the question ((複数回答) added unless the
 *      label says so already), each option's percent% (count/n) and n,
 *      for all respondents;
 *   回答一覧: per listing, respondent name: text;
 *   実施自治体: per program, the respondents answering its option;
 *   回答状況: completeness (completeness.h).
 *
 * Only the sections the snapshot holds are written (a header-only snapshot
 * gives the header and its completeness). Percentages are the server's. */
#ifndef SV_SNAPSHOT_TEXT_H
#define SV_SNAPSHOT_TEXT_H

#include "status.h"
#include "survey.pb-c.h"
#include "table.h"

#include <stdio.h>

/* Writes s to out in style. Returns SV_OK, or SV_ERR_NOMEM with err set;
 * write errors are left in out's error flag. */
sv_status sv_snapshot_write_text(FILE *out, const Survey__V1__Snapshot *s,
                                 sv_table_style style, sv_error *err);

#endif
