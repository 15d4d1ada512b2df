/* import_matrix.h: `survey import-matrix FILE.csv`, the ○/×/- spreadsheet
 * of the report's section 2 (one row per respondent, one column per
 * question) turned into corrections, row by row.
 *
 * The file: a header row, then one row per respondent.
 *   - The respondent column is headed respondent, code or 団体コード and
 *     holds the 6-digit 全国地方公共団体コード (a 5-digit number is taken as
 *     a code whose leading zero Excel dropped). Names (name, 自治体名) are
 *     not matched against the roster: a file with names only is refused.
 *   - Every other column is a question, headed by its name (holders,
 *     consult) or by its label when exactly one question has that label
 *     (相談支援事業), except the informative columns name, 自治体名, # and
 *     区分, which are ignored.
 *   - Cells: ○ (also 〇 ◯) is the option "yes", × (also ✕) "no"; - (also
 *     －) or an empty cell leaves the question unanswered (not relevant);
 *     an integer question takes a decimal with optional thousands
 *     separators ("2,203"); anything else is an option name or a text as
 *     it is (select_multiple: names separated by commas).
 *
 * Each row becomes the respondent's current answer set (none when nothing
 * is stored yet) with the answers of the file's columns replaced and every
 * other answer kept, submitted against the current revision. A row that
 * changes nothing is not submitted. */
#ifndef SV_IMPORT_MATRIX_H
#define SV_IMPORT_MATRIX_H

#include "commands.h"

/* Imports path ("-" = stdin). o->note (NULL: "import-matrix FILE, row N")
 * goes with every submission. With o->dry_run nothing is submitted: every
 * row is checked and its changes against the current answers printed.
 * Prints per row its outcome, the changes ("  ~ holders: 2203 -> 2204")
 * and every local problem as
 *   row 12, column supporter: "△" is not ○, ×, - or an option of
 *   supporter (yes, no)
 * then the summary
 *   imported N rows: A accepted (I incomplete), U unchanged, R rejected,
 *   P with problems, X unanswered
 * (dry run: "checked N rows: C to submit, U unchanged, P with problems").
 * A row with a local problem is never submitted, nor is any row when the
 * header has one. Returns 3 if a submission got no reply (the rest are
 * not sent); else 1 if a row was rejected or had a problem; 2 for a file
 * that cannot be read or has no respondent code column; else 0. */
int sv_cmd_import_matrix(const sv_client_opts *o, const char *path);

#endif
