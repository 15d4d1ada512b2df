/* snapshot_cmd.h: the commands that read the aggregator's results through
 * the collector: `survey snapshot`, `survey status` and `survey rerun`.
 *
 * A rerun (and `snapshot --new`) is asynchronous on the service side: the
 * collector writes the request to the change log and answers Queued with
 * its sequence; the aggregator picks it up and stores a snapshot whose
 * sequence is >= that one. The client polls for that snapshot. */
#ifndef SV_SNAPSHOT_CMD_H
#define SV_SNAPSHOT_CMD_H

#include "commands.h"

#include <stdio.h>

/* survey snapshot: fetches o->version (0 = latest) and prints it in
 * o->format to o->output (NULL or "-" = stdout; xlsx: a file, required),
 * the csv with a byte order mark and CRLF when o->excel. With o->fresh, first
 * asks for a new snapshot of the current tables (RerunRequest, full = false)
 * and waits for it as sv_cmd_rerun does, then prints it. Exit codes: 0; 1 when
 * the collector refuses (NOT_FOUND: no such snapshot); 2 when the output
 * cannot be written; 3 for no reply, or no new snapshot in time. */
int sv_cmd_snapshot(const sv_client_opts *o);

/* survey report: the snapshot o->version (0 = latest; or a new one with
 * o->fresh) as one HTML file (report_html.h) to o->output, which is
 * required ("-" = stdout). Exit codes as for sv_cmd_snapshot; 2 also
 * without o->output. */
int sv_cmd_report(const sv_client_opts *o);

/* survey status: the latest snapshot's completeness (see completeness.h,
 * English headings), the snapshot it reflects and whether the change log
 * has moved on since. Exit 0; 1 when there is no snapshot yet or the
 * collector refuses; 3 for no reply. */
int sv_cmd_status(const sv_client_opts *o);

/* survey rerun: RerunRequest with full = true, then polls the latest
 * snapshot's header every SV_POLL_INTERVAL_MS until one has a sequence >=
 * the Queued sequence, for at most o->wait_timeout_ms. Prints
 *   snapshot N (sequence S, digest 0123456789ab)
 * and returns 0; after the wait, prints on stderr
 *   survey: rerun queued at sequence S; no snapshot yet (is
 *   survey-aggregator running?)
 * and returns 3. 1 when the collector refuses, 3 for no reply. */
int sv_cmd_rerun(const sv_client_opts *o);

/* Writes the CSV of snapshot_csv.h as Excel opens it (excel_csv.h: a
 * byte order mark, CRLF). Returns SV_OK, SV_ERR_NOMEM or SV_ERR_IO with
 * err set. */
sv_status sv_snapshot_write_excel_csv(FILE *out, const Survey__V1__Snapshot *s,
                                      sv_error *err);

/* Writes s in format to out: any format but SV_FORMAT_XLSX, which is
 * SV_ERR_INVALID (a workbook goes to a file). Returns SV_OK, or with err
 * set SV_ERR_NOMEM (also when the JSON cannot be built) or SV_ERR_IO (the
 * HTML report checks its writes); other write errors are left in out's
 * error flag. */
sv_status sv_snapshot_write(FILE *out, const Survey__V1__Snapshot *s,
                            sv_format format, sv_error *err);

#endif
