/* snapshot_csv.h: a snapshot's figures as CSV, one row per figure, for
 * spreadsheets and scripts. UTF-8, LF line ends, RFC 4180 quoting (a field
 * holding a comma, a double quote, CR or LF is quoted, its quotes
 * doubled). The header, then the rows in this order:
 *
 *   section,question,option,label,respondent_type,count,n,percent
 *   rates,QUESTION,OPTION,LABEL,TYPE,COUNT,N,PERCENT
 *       one per rate and figure ("all" first, then each type)
 *   frequency,QUESTION,OPTION,OPTION LABEL,TYPE,COUNT,N,PERCENT
 *       one per option and figure (select_multiple counts add up to > n)
 *   matrix_total,QUESTION,,COLUMN LABEL,TYPE,SUM,N,
 *       one per total of a summed matrix column
 *   completeness,,STATE,LABEL,TYPE,COUNT,EXPECTED,PERCENT
 *       per completeness figure the states complete, incomplete,
 *       not_started and responded (complete + incomplete); percent is the
 *       server's complete_rate for complete and response_rate for
 *       responded, empty for the other two (never computed here)
 *
 * percent is the server's string without "%", empty when n = 0. */
#ifndef SV_SNAPSHOT_CSV_H
#define SV_SNAPSHOT_CSV_H

#include "survey.pb-c.h"

#include <stdio.h>

/* The header line, without the line end. */
#define SV_CSV_HEADER                                                          \
    "section,question,option,label,respondent_type,count,n,percent"

/* Writes s to out. Write errors are left in out's error flag. */
void sv_snapshot_write_csv(FILE *out, const Survey__V1__Snapshot *s);

/* Writes one field, quoted when RFC 4180 requires it. */
void sv_csv_field(FILE *out, const char *s);

#endif
