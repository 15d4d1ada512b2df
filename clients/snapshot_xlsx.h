/* snapshot_xlsx.h: a snapshot as an Excel workbook (libxlsxwriter), one
 * sheet per part of the report, laid out like its tables:
 *
 *   概要        the header: title, survey, versions, sequence, creation
 *               time (UTC, a date cell), trigger, decimals, digest in hex;
 *   1-5 実施率  per rate: 事業名, then 実施率 / 実施数 / 回答数 for 全体
 *               and then for each respondent type (a block of three
 *               columns per type under a merged type heading);
 *   2 実施状況  the matrix on ONE sheet with a 区分 (type) column: #,
 *               区分, 団体コード, 自治体名 and Matrix.columns; rows in the
 *               server's order (grouped by type); ○/×/- as text, integer
 *               columns as numbers in #,##0; below, 合計 and 回答数 rows
 *               per type and for 全体, then the legend;
 *   集計表      per frequency and option: グループ, 設問, 複数回答 (○),
 *               選択肢, then 割合 / 件数 / 回答数 per type as in 1-5;
 *   事例        per listing entry: グループ, 設問, 団体コード, 自治体名,
 *               区分, 内容 (wrapped, line breaks kept);
 *   回答状況    the completeness figures per type (counts, 回答率 and
 *               完了率), then per respondent its state, revision and the
 *               questions it misses.
 *
 * Counts are number cells. A percent cell holds the SERVER'S rounded
 * percentage as a fraction (the string "43" becomes 0.43, "42.5" 0.425)
 * with the format "0%" for Snapshot.decimals = 0, "0.0%" for 1 and so on,
 * not the exact count/n: 34/80 = 0.425 is stored as the double
 * 0.42499999999999998..., which Excel shows as 43% but other readers
 * (e.g. Python's '.0%', which rounds the exact binary value) show as 42%.
 * The rounded value displays as the report's figure everywhere; the exact
 * ratio stays in the count and n cells beside it. A figure without a
 * percentage (n = 0) shows "-".
 *
 * Every sheet has its heading rows frozen and column widths fitted to its
 * content. The document's creation time is the snapshot's, so the same
 * snapshot gives the same bytes. */
#ifndef SV_SNAPSHOT_XLSX_H
#define SV_SNAPSHOT_XLSX_H

#include "status.h"
#include "survey.pb-c.h"

/* Writes snap to the file path (created or replaced; nothing is written
 * before the workbook is complete). Returns SV_OK, or with err set:
 * SV_ERR_INVALID for a percent string that is not the decimal number of
 * Snapshot.decimals places the contract promises, or decimals over 6;
 * SV_ERR_TOO_LARGE for a table beyond Excel's limits (rows, columns,
 * 32767 characters in a cell); SV_ERR_NOMEM; SV_ERR_IO when the file
 * cannot be written (it may then be left partly written). */
sv_status sv_snapshot_xlsx(const Survey__V1__Snapshot *snap, const char *path,
                           sv_error *err);

#endif
