/* report_html.h: a snapshot as one self-contained HTML report in Japanese,
 * mirroring the published report (`survey report -o report.html`).
 *
 * The file needs nothing else to be read: inline CSS, inline SVG charts,
 * no script, no external URL. In order:
 *
 *   title block: questionnaire title, survey id, snapshot version, the
 *      change-log sequence it reflects, creation time (UTC), digest (hex);
 *   1-5. 実施率: per rate percent% (count/n) for all and per type, and a
 *      horizontal bar chart (one <rect> per rate, scale 0-100%);
 *   2. 各自治体の事業実施状況: one table per respondent type (○/×/-,
 *      integers with thousands separators, a 計 row from Matrix.totals),
 *      a legend, then the totals per type and for all;
 *   3-4. 集計表: per frequency its group, question, (複数回答), a row per
 *      option with percent% (count/n), n, and a small bar chart;
 *   回答一覧: the listings of each group in one table, respondent by
 *      respondent (line breaks kept);
 *   実施自治体: per program, the respondents answering its option;
 *   回答状況: completeness per type, then who has not started and who is
 *      incomplete with the questions they miss.
 *
 * Only the sections the snapshot holds are written. Percentages are the
 * server's strings, printed as given; bar lengths are read from them.
 * Every string from the snapshot is escaped (& < > " '); bytes that are not
 * UTF-8 become U+FFFD, control characters are dropped. @media print starts
 * each section on a new page and repeats table headers. */
#ifndef SV_REPORT_HTML_H
#define SV_REPORT_HTML_H

#include "status.h"
#include "survey.pb-c.h"

#include <stdio.h>

/* Writes snap to out (borrowed, left open) and flushes it. Returns SV_OK;
 * SV_ERR_NOMEM or SV_ERR_IO (a write or the flush failed, also when out's
 * error flag was set before) with err set. On failure out holds a partial
 * document. */
sv_status sv_report_html(const Survey__V1__Snapshot *snap, FILE *out,
                         sv_error *err);

#endif
