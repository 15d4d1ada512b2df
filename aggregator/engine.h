/* engine.h: the aggregator's state for one survey: the report (tallies and
 * one compact record per respondent) kept in step with the change log, and
 * the snapshots made from it.
 *
 * The position is the last change-log sequence the report reflects. Each
 * follow step reads, in one consistent LMDB view, every change after the
 * position and applies it incrementally (the respondent's old record out,
 * the current one in); a rerun rebuilds the report from every stored
 * compact record. Both leave the report equal to the stored data as of the
 * view's last sequence, so incremental and full give identical tables. */
#ifndef SV_ENGINE_H
#define SV_ENGINE_H

#include "questionnaire.h"
#include "status.h"
#include "store.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_engine sv_engine;

/* What one follow step saw for this survey. */
typedef struct {
    size_t answers; /* answer changes applied */
    bool rerun;     /* a RERUN request is among them */
    bool snapshot;  /* a SNAPSHOT request is among them */
    uint64_t last;  /* the view's last sequence (the new position) */
} sv_engine_events;

/* store and q are borrowed and must outlive the engine. Reads the survey's
 * watermark (last snapshot version and sequence); the report starts empty
 * at position 0: call sv_engine_rerun() to load it. */
sv_status sv_engine_new(sv_engine **out, sv_store *store,
                        const sv_questionnaire *q, unsigned decimals,
                        sv_error *err);

void sv_engine_destroy(sv_engine **self);

/* The respondent-detail limit of its snapshots: see
 * sv_report_set_detail() (default SV_REPORT_DETAIL_DEFAULT). */
void sv_engine_set_respondent_detail(sv_engine *e, size_t max_respondents);

/* Rebuilds the report from every stored compact record of the survey, in
 * one view; the position becomes that view's last sequence. */
sv_status sv_engine_rerun(sv_engine *e, sv_error *err);

/* Whether the last rerun read the store's scan mirror (else the compact
 * records in the store's own file: slower, see storage/README.md). */
bool sv_engine_rerun_read_mirror(const sv_engine *e);

/* Applies every change after the position (see the header comment). */
sv_status sv_engine_follow(sv_engine *e, sv_engine_events *ev, sv_error *err);

/* Builds the snapshot of the report, numbers it (last version + 1), stores
 * it with the watermark {position, version}, and returns it (*out owned:
 * survey__v1__snapshot__free_unpacked(*out, NULL)). trigger: "changes",
 * "rerun" or "request". */
sv_status sv_engine_snapshot(sv_engine *e, const char *trigger,
                             Survey__V1__Snapshot **out, sv_error *err);

/* Whether RERUN or SNAPSHOT requests were logged after the last snapshot's
 * sequence (up to the position): requests made while the aggregator was
 * down, answered by the snapshot made at start. */
sv_status sv_engine_requests_since_snapshot(sv_engine *e, bool *rerun,
                                            bool *snapshot, sv_error *err);

/* The last change-log sequence the report reflects. */
uint64_t sv_engine_position(const sv_engine *e);

/* The sequence and version of the last stored snapshot (0, 0 if none). */
uint64_t sv_engine_snapshot_sequence(const sv_engine *e);
uint64_t sv_engine_snapshot_version(const sv_engine *e);

/* The digest of the report's current tables (what a snapshot made now
 * would carry), as 64 hex digits + NUL into hex[65]. For tests and
 * consistency checks. */
sv_status sv_engine_digest(sv_engine *e, char hex[65], sv_error *err);

#endif
