/* store.h: the one LMDB environment that is the service's source of truth:
 * current answer sets (with their compact records), every revision, the
 * change log, idempotency receipts, and the aggregator's snapshots and
 * watermarks. The record layout is documented in storage/README.md.
 *
 * Writes go through a batch: one LMDB write transaction shared by many
 * submissions (group commit). Each submission is applied in a nested
 * transaction, so one that fails (conflict, map full) leaves nothing behind
 * while the others in the batch go on. Nothing is durable, and no ack may
 * be sent, until sv_batch_commit() has returned SV_OK.
 *
 * A store handle is used by one thread. Several processes may open the same
 * environment (the aggregator reads while the collector writes). */
#ifndef SV_STORE_H
#define SV_STORE_H

#include "status.h"
#include "store.pb-c.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 64 GiB: address space, not disk. The data file grows only as data is
 * written, so on most disks the file system fills before the map does
 * (both are SV_ERR_FULL, each named in the message). 1 GiB until Round 17:
 * 1,000,000 responses took 865 MiB of it. */
#define SV_STORE_DEFAULT_MAP_SIZE ((size_t)64 << 30)
_Static_assert(sizeof(size_t) >= 8, "the map needs a 64-bit address space");

typedef struct sv_store sv_store;
typedef struct sv_batch sv_batch;

typedef struct {
    size_t map_size;    /* bytes; 0 = SV_STORE_DEFAULT_MAP_SIZE */
    bool keep_map_size; /* with map_size 0: an existing environment keeps
                           the size it has (a second writer leaves the
                           first one's choice alone), a new one gets the
                           default */
    bool read_only;
    bool deferred_sync;  /* sv_batch_commit flushes the data pages but not
                            the meta page (MDB_NOMETASYNC): a commit is
                            durable only once an sv_store_sync() that began
                            after it returned has returned SV_OK (see
                            storage/README.md, Durability) */
    bool no_mirror;      /* no scan mirror: scans read the compact records
                            in the store's own file (see storage/README.md,
                            "The scan mirror"); for comparisons and tests */
    const char *boot_id; /* the boot the scan mirror belongs to; NULL: the
                            kernel's (tests set it to act out a reboot) */
} sv_store_options;

/* Opens (creating dir and the databases if needed) the environment in dir.
 * opt may be NULL for defaults. *out is owned by the caller.
 * Only the last component of dir is created (mode 0700). A read-only open
 * never creates anything and uses the environment's own map size.
 * SV_ERR_NOT_FOUND: read-only and no store in dir (or no dir).
 * SV_ERR_FULL: map_size too small to create the databases (they need
 *        20 KiB; submissions need far more).
 * SV_ERR_STORE: unknown record layout (schema) or any LMDB failure. A
 *        store of an older schema (1 to 5) is upgraded in place by a
 *        read-write open and refused by a read-only one.
 * SV_ERR_IO: dir cannot be created or opened. */
sv_status sv_store_open(sv_store **out, const char *dir,
                        const sv_store_options *opt, sv_error *err);

/* Closes the environment, frees *self, sets it to NULL. NULL-safe. Any
 * open batch must have been committed or aborted, and every view ended,
 * first. */
void sv_store_destroy(sv_store **self);

/* One submission to apply. Everything is borrowed for the call. */
typedef struct {
    const Survey__V1__Submission *sub; /* already validated */
    const char *submitter;             /* identity from the transport */
    int64_t time_ms;                   /* commit time to record */
    const char *const *missing;        /* required questions unanswered */
    size_t n_missing;
    const uint8_t *compact; /* the compact record of the answer set (see
                               questionnaire/compact.h), stored beside the
                               current revision; may be NULL (then an
                               earlier revision's record is removed), and
                               a record of 0 bytes counts as none */
    size_t compact_len;
    const uint8_t *packed; /* sub as protobuf-c packs it, when the caller
                              has those bytes (the collector keeps them off
                              the wire); NULL: the store packs sub */
    size_t packed_len;
} sv_put;

/* What a put produced. Strings in missing are owned by the result: free
 * them with sv_put_result_clear(). */
typedef struct {
    uint64_t revision;         /* new current revision */
    uint64_t sequence;         /* change-log sequence */
    bool duplicate;            /* known submission_id, same content */
    uint64_t current_revision; /* on SV_ERR_CONFLICT (stale base) */
    char **missing;            /* missing list of the ack (for duplicates
                                  the original ack's) */
    size_t n_missing;
} sv_put_result;

void sv_put_result_clear(sv_put_result *res);

/* Starts a write transaction. SV_ERR_INVALID when the store is read-only
 * or a batch is already open on this handle. Another process's open batch
 * makes this wait until that batch ends (LMDB has one writer). */
sv_status sv_batch_begin(sv_store *s, sv_batch **out, sv_error *err);

/* Like sv_batch_begin, but every put and control entry of the batch goes
 * in a nested transaction, so that no failure can break the batch (see
 * sv_batch_broken): slower, for redoing a batch that broke. */
sv_status sv_batch_begin_careful(sv_store *s, sv_batch **out, sv_error *err);

/* Applies one submission to the batch.
 * SV_OK: stored (res->duplicate false) or a retry of a stored one with the
 *        same content (res->duplicate true, nothing written).
 * SV_ERR_CONFLICT: base_revision != current revision (res->current_revision
 *        set), or the submission_id is known with different content.
 * SV_ERR_FULL: the map is full; nothing of this submission was written.
 *        Each put leaves some free pages (up to 1 MiB) for the commit of
 *        the batch, so the earlier puts of the batch can still commit
 *        (proven by arithmetic far from full, by a trial write in a nested
 *        transaction near it).
 * SV_ERR_INVALID: empty survey, respondent or submission_id (nothing
 *        written). SV_ERR_TOO_LARGE: survey + respondent or survey +
 *        submission_id over the LMDB key limit (about 500 bytes).
 * SV_ERR_STORE / SV_ERR_NOMEM: nothing of this submission was written.
 * After any of these the batch stays usable, with one exception: where
 * arithmetic proves the put fits (the common case), it writes straight in
 * the batch's transaction, and a write that fails there (a corrupt store,
 * an I/O or memory failure) breaks the batch: sv_batch_broken() is then
 * true, every later put fails, and the batch can only be aborted (commit
 * aborts it too): nothing of it is written. Redo its puts in a batch from
 * sv_batch_begin_careful() to keep the good ones.
 * *res is overwritten without being freed: clear a result before reusing
 * it. A NULL submitter is "". The submission_id is scoped to the survey. */
sv_status sv_batch_put(sv_batch *b, const sv_put *put, sv_put_result *res,
                       sv_error *err);

/* Whether a failed put broke the batch (see sv_batch_put). */
bool sv_batch_broken(const sv_batch *b);

/* A put worked out ahead of its batch: checked, keyed, digested, the
 * revision packed and compressed (storage/revision_codec.h), the missing
 * list and compact record copied; only the reads and writes that need the
 * batch are left. Lets one thread prepare puts while another writes
 * batches. It borrows put->sub (and its strings) until freed; nothing
 * else. Errors as sv_batch_put's SV_ERR_INVALID / SV_ERR_TOO_LARGE /
 * SV_ERR_NOMEM, and SV_ERR_STORE when LZ4 fails to compress. */
typedef struct sv_prepared sv_prepared;
sv_status sv_put_prepare(const sv_put *put, sv_prepared **out, sv_error *err);

/* sv_batch_put of a prepared put (which stays the caller's). */
sv_status sv_batch_put_prepared(sv_batch *b, const sv_prepared *p,
                                sv_put_result *res, sv_error *err);

/* Frees *p and sets it NULL. NULL-safe. */
void sv_prepared_free(sv_prepared **p);

/* Commits and frees *b (a broken batch is aborted: SV_ERR_STORE). Durable on
 * SV_OK (LMDB's default sync), except with deferred_sync: then the batch's data
 * pages are durable and the commit is visible, but it becomes durable only with
 * the next sv_store_sync() begun after this returned (or the next commit of the
 * handle). On failure nothing of the batch was written (SV_ERR_FULL or
 * SV_ERR_STORE). */
sv_status sv_batch_commit(sv_batch **b, sv_error *err);

/* Flushes the environment's data file (fdatasync), making every commit
 * that returned before this call began durable. Unlike everything else on
 * a handle it may be called from another thread while a batch is open or
 * committing (it only flushes the file). SV_ERR_INVALID when read-only,
 * SV_ERR_IO when the flush failed (then nothing since the last good flush
 * may be assumed durable). */
sv_status sv_store_sync(sv_store *s, sv_error *err);

/* Drops the environment's file pages from this process's page tables
 * (madvise(MADV_DONTNEED) on the used part of LMDB's read-only shared
 * map): they stay in the page cache, and the next access maps them again
 * with the same contents, so pointers into the map (views, a scan's
 * current record) stay valid. Lowers the process's RSS after reads that
 * touched much of the file; sv_view_scan_compact calls it as it goes.
 * SV_ERR_STORE when madvise failed. */
sv_status sv_store_drop_pages(sv_store *s, sv_error *err);

/* Whether scans read the scan mirror (storage/README.md), and the last
 * failure to keep it in step, NULL when none: the store stays correct
 * without it (scans then read the store's own file or make up the
 * difference), but slower, until the next read-write open rebuilds it. */
bool sv_store_has_mirror(const sv_store *s);
const char *sv_store_mirror_error(const sv_store *s);

/* Whether LMDB gave up on the environment (MDB_PANIC, after a failed
 * write of its meta page): no transaction of this handle succeeds again,
 * and only a new open (a restart of the process) recovers. A probe (one
 * read transaction begun and aborted): for after a failure. */
bool sv_store_broken(sv_store *s);

/* Discards the batch and frees *b. NULL-safe. */
void sv_batch_abort(sv_batch **b);

/* The current revision of (survey, respondent). SV_ERR_NOT_FOUND when
 * nothing is stored. *out: free with survey__v1__revision__free_unpacked(). */
sv_status sv_store_current(sv_store *s, const char *survey,
                           const char *respondent, Survey__V1__Revision **out,
                           sv_error *err);

/* One stored revision (1-based). SV_ERR_NOT_FOUND when absent. */
sv_status sv_store_revision(sv_store *s, const char *survey,
                            const char *respondent, uint64_t revision,
                            Survey__V1__Revision **out, sv_error *err);

/* Every revision, oldest first. *out is a malloc'd array of *n messages:
 * free with sv_store_free_revisions(). SV_ERR_NOT_FOUND when none. */
sv_status sv_store_history(sv_store *s, const char *survey,
                           const char *respondent, Survey__V1__Revision ***out,
                           size_t *n, sv_error *err);
void sv_store_free_revisions(Survey__V1__Revision **revs, size_t n);

/* Highest change-log sequence (0 when the log is empty). */
sv_status sv_store_last_sequence(sv_store *s, uint64_t *seq, sv_error *err);

/* Calls fn for each change with sequence > after, in order, at most max
 * of them (0 = no limit), in one read transaction. fn returns 0 to go on,
 * non-zero to stop (then that value is not an error). The change is only
 * valid during the call. */
typedef int (*sv_change_fn)(void *ctx, uint64_t sequence,
                            const Survey__Store__V1__Change *change);
sv_status sv_store_changes(sv_store *s, uint64_t after, size_t max,
                           sv_change_fn fn, void *ctx, sv_error *err);

/* ---- control entries of the change log --------------------------------- */

/* Kinds of change-log entries (Survey__Store__V1__Change__Kind). */
typedef enum {
    SV_CHANGE_ANSWERS = 0,
    SV_CHANGE_RERUN = 1,
    SV_CHANGE_SNAPSHOT = 2
} sv_change_kind;

/* Appends a RERUN or SNAPSHOT request for survey to the change log inside
 * the batch (in a nested transaction like a put). *sequence receives its
 * sequence. SV_ERR_FULL / SV_ERR_STORE: nothing written. */
sv_status sv_batch_control(sv_batch *b, const char *survey, sv_change_kind kind,
                           const char *requester, int64_t time_ms,
                           uint64_t *sequence, sv_error *err);

/* ---- consistent read views (one LMDB read transaction) ---------------- */

typedef struct sv_view sv_view;

/* Starts a read view: everything read through it reflects one commit.
 * Views may stay open across batches of the same handle. While a view is
 * open, a new read or batch that finds the map grown by another process
 * fails with SV_ERR_STORE (the map cannot be remapped under the view):
 * end the views and retry. */
sv_status sv_view_begin(sv_store *s, sv_view **out, sv_error *err);

/* Ends the view and frees *v. NULL-safe. Pointers obtained through the view
 * are invalid afterwards. */
void sv_view_end(sv_view **v);

/* Highest change-log sequence in the view (0 when empty). */
sv_status sv_view_last_sequence(sv_view *v, uint64_t *seq, sv_error *err);

/* As sv_store_changes, within the view. */
sv_status sv_view_changes(sv_view *v, uint64_t after, size_t max,
                          sv_change_fn fn, void *ctx, sv_error *err);

/* The compact record of (survey, respondent) and the revision it belongs
 * to (stored with it, so that no Revision need be decoded): *data points
 * into the map and is valid until sv_view_end. SV_ERR_NOT_FOUND when none
 * (*revision 0, *data NULL). */
sv_status sv_view_compact(sv_view *v, const char *survey,
                          const char *respondent, uint64_t *revision,
                          const uint8_t **data, size_t *len, sv_error *err);

/* Calls fn for every compact record of survey, in key (respondent) order,
 * with the revision it belongs to: a pure scan, nothing is decoded. fn
 * returns 0 to go on, non-zero to stop (not an error). respondent is
 * NUL-terminated; data valid during the call only. */
typedef int (*sv_compact_fn)(void *ctx, const char *respondent,
                             uint64_t revision, const uint8_t *data,
                             size_t len);
sv_status sv_view_scan_compact(sv_view *v, const char *survey, sv_compact_fn fn,
                               void *ctx, sv_error *err);

/* As sv_view_scan_compact, for the respondents from `from` (included;
 * NULL: the first) up to `to` (excluded; NULL: to the last), in key
 * order. Two views of the same commit may scan disjoint ranges from two
 * threads at once. */
sv_status sv_view_scan_compact_range(sv_view *v, const char *survey,
                                     const char *from, const char *to,
                                     sv_compact_fn fn, void *ctx,
                                     sv_error *err);

/* Whether the view's last compact scan read the scan mirror (else the
 * store's own file). */
bool sv_view_used_mirror(const sv_view *v);

/* The current revision, within the view; as sv_store_current. */
sv_status sv_view_current(sv_view *v, const char *survey,
                          const char *respondent, Survey__V1__Revision **out,
                          sv_error *err);

/* ---- snapshots and the aggregator's watermark -------------------------- */

/* Stores a packed survey.v1.Snapshot as version `version` of survey and,
 * in the same write transaction, sets the survey's Watermark to
 * {sequence, version}. A version is never overwritten: an existing one is
 * SV_ERR_CONFLICT. Durable on SV_OK; on failure nothing was written.
 * SV_ERR_INVALID: read-only store, a batch open on this handle, version 0,
 * empty survey, or data NULL with len > 0. SV_ERR_FULL: map full. Waits
 * while another process holds the write lock. */
sv_status sv_store_put_snapshot(sv_store *s, const char *survey,
                                uint64_t version, uint64_t sequence,
                                const uint8_t *data, size_t len, sv_error *err);

/* A stored snapshot, packed: version 0 = the latest. *data is malloc'd and
 * owned by the caller (free()). SV_ERR_NOT_FOUND when there is none. */
sv_status sv_store_snapshot(sv_store *s, const char *survey, uint64_t version,
                            uint8_t **data, size_t *len, sv_error *err);

/* The survey's watermark; {0, 0} when no snapshot was ever written. */
sv_status sv_store_watermark(sv_store *s, const char *survey,
                             uint64_t *sequence, uint64_t *version,
                             sv_error *err);

#endif
