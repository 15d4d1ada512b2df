/* summary.h: the short forms of a snapshot: its header alone (for polling
 * and listings), and its summary (header, rates and completeness figures),
 * which is what the aggregator publishes to watchers. */
#ifndef SV_SUMMARY_H
#define SV_SUMMARY_H

#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Frees every table of snap except, if keep_summary, the rates and the
 * completeness figures (the per-respondent statuses go). snap must be
 * freeable with survey__v1__snapshot__free_unpacked(snap, NULL). */
void sv_snapshot_strip(Survey__V1__Snapshot *snap, bool keep_summary);

/* Packs the summary of snap (header, rates, completeness figures) into a
 * malloc'd buffer (*data owned by the caller) without changing snap. */
sv_status sv_summary_pack(const Survey__V1__Snapshot *snap, uint8_t **data,
                          size_t *len);

#endif
