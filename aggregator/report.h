/* report.h: the report's tables, driven by the questionnaire (nothing here
 * knows the 2024 form). Holds one compact record per roster respondent and
 * tallies that follow every change: setting a respondent's record takes
 * its old contribution out and puts the new one in. A snapshot is built
 * from the tallies and the records; the same records give the same
 * snapshot, byte for byte, whatever order they were set in.
 *
 * Tables (see the Snapshot message in proto/survey.proto):
 *  - rates for `rate` questions (option "yes", else the list's first);
 *  - the matrix of `matrix` questions, with totals of `sum` questions;
 *  - a frequency table for every select_one and select_multiple question;
 *  - listings of `list` questions, and per `rate` question the respondents
 *    answering its option (programs);
 *  - completeness per respondent and per type.
 * Every figure: n = respondents for whom the question is relevant AND who
 * answered it; "all" first, then each respondent type in roster order. */
#ifndef SV_REPORT_H
#define SV_REPORT_H

#include "questionnaire.h"
#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sv_report sv_report;

/* Default respondent-detail limit: see sv_report_set_detail(). */
#define SV_REPORT_DETAIL_DEFAULT 10000

/* q is borrowed and must outlive the report. decimals: of every percent
 * (0..SV_PERCENT_MAX_DECIMALS). Every respondent starts "not started". */
sv_status sv_report_new(sv_report **out, const sv_questionnaire *q,
                        unsigned decimals, sv_error *err);

void sv_report_destroy(sv_report **self);

/* Sets the record of the respondent at roster index i (rec copied; NULL =
 * not started) and its revision. SV_ERR_INVALID if rec is not a valid
 * compact record of q (nothing changes then). O(questions). */
sv_status sv_report_set(sv_report *r, size_t i, const uint8_t *rec, size_t len,
                        uint64_t revision, sv_error *err);

/* Snapshots of a roster of more than max_respondents leave out the parts
 * that list respondents one by one (matrix rows, listing entries, the
 * respondents of programs, per-respondent completeness) and set
 * Snapshot.respondent_detail_omitted; every aggregate table, total and
 * completeness figure stays. At a million respondents those parts would
 * be hundreds of MB. Default SV_REPORT_DETAIL_DEFAULT. */
void sv_report_set_detail(sv_report *r, size_t max_respondents);

/* A shard of r, for a rerun split over threads: tallies of its own (all
 * zero), everything else (the questionnaire, the per-respondent records
 * and states) shared with r. After sv_report_clear(r), r and its shards
 * may be set from different threads at once, each respondent into exactly
 * one of them, at most once; then sv_report_merge() adds each shard's
 * tallies into r, and r is as if every record had been set into it. */
sv_status sv_report_shard(const sv_report *r, sv_report **out, sv_error *err);

/* Adds the shard's tallies into r (none when r is NULL) and frees *shard.
 * NULL-safe. */
void sv_report_merge(sv_report *r, sv_report **shard);

/* Bulk mode, for a rerun: while on, records set into r (and into shards
 * made while it is on) are tallied per bitmap byte value, which is
 * cheaper per record; turning it off folds those tallies into the
 * report's (sv_report_merge does so for a shard). Nothing may read the
 * report's tables while it is on. */
void sv_report_bulk(sv_report *r, bool on);

/* Every respondent back to "not started"; forgets the kept texts of
 * listings (sv_report_snapshot). */
void sv_report_clear(sv_report *r);

/* A stored revision of a respondent, for the text of listings: revision
 * is the one whose record the report holds (sv_report_set), so that the
 * texts are those of the tallies even when newer revisions were stored
 * since. *out is owned by the report afterwards (freed with
 * survey__v1__revision__free_unpacked). Return SV_ERR_NOT_FOUND if none. */
typedef sv_status (*sv_revision_fn)(void *ctx, const char *respondent,
                                    uint64_t revision,
                                    Survey__V1__Revision **out, sv_error *err);

/* Builds the snapshot of the current tallies. Texts of `list` questions are
 * fetched with fn (only for respondents whose record says answered) and
 * kept in r by respondent and revision: a revision never changes, so the
 * next snapshot fetches only those of respondents whose revision moved
 * (a revision fn did not find is fetched again). The
 * header fields version, sequence, created_ms and trigger are left for the
 * caller; survey, questionnaire_version, title, decimals and digest are
 * set. *out: every part malloc'd; free with
 * survey__v1__snapshot__free_unpacked(*out, NULL). */
sv_status sv_report_snapshot(sv_report *r, sv_revision_fn fn, void *ctx,
                             Survey__V1__Snapshot **out, sv_error *err);

/* As sv_report_snapshot, with every part of *out allocated with alloc:
 * NULL (malloc), or an arena's allocator (arena.h), whose free does
 * nothing. With an arena the snapshot lives until the arena is reset, and
 * freeing it is resetting the arena (or
 * survey__v1__snapshot__free_unpacked(*out, alloc), which does nothing):
 * the allocations of one snapshot cost a bump each instead of a malloc
 * and a free, and the figures' respondent types are not copied but the
 * report's own, so such a snapshot must not outlive r. */
sv_status sv_report_snapshot_with(sv_report *r, ProtobufCAllocator *alloc,
                                  sv_revision_fn fn, void *ctx,
                                  Survey__V1__Snapshot **out, sv_error *err);

/* Recomputes snap->digest: BLAKE2b-256 of snap packed with version,
 * sequence, created_ms, digest and trigger cleared (they are restored). */
sv_status sv_snapshot_digest(Survey__V1__Snapshot *snap, sv_error *err);

#endif
