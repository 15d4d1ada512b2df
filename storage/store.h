/* store.h: the one LMDB environment that is the service's source of truth:
 * current answer sets, every revision, the change log and idempotency
 * receipts. The record layout is documented in storage/README.md.
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

#define SV_STORE_DEFAULT_MAP_SIZE ((size_t)1 << 30) /* 1 GiB */

typedef struct sv_store sv_store;
typedef struct sv_batch sv_batch;

typedef struct {
    size_t map_size; /* bytes; 0 = SV_STORE_DEFAULT_MAP_SIZE */
    bool read_only;
} sv_store_options;

/* Opens (creating dir and the databases if needed) the environment in dir.
 * opt may be NULL for defaults. *out is owned by the caller.
 * Only the last component of dir is created (mode 0700). A read-only open
 * never creates anything and uses the environment's own map size.
 * SV_ERR_NOT_FOUND: read-only and no store in dir (or no dir).
 * SV_ERR_FULL: map_size too small to create the databases (they need
 *        20 KiB; submissions need far more).
 * SV_ERR_STORE: unknown record layout (schema) or any LMDB failure.
 * SV_ERR_IO: dir cannot be created or opened. */
sv_status sv_store_open(sv_store **out, const char *dir,
                        const sv_store_options *opt, sv_error *err);

/* Closes the environment, frees *self, sets it to NULL. NULL-safe. Any
 * open batch must have been committed or aborted first. */
void sv_store_destroy(sv_store **self);

/* One submission to apply. Everything is borrowed for the call. */
typedef struct {
    const Survey__V1__Submission *sub; /* already validated */
    const char *submitter;             /* identity from the transport */
    int64_t time_ms;                   /* commit time to record */
    const char *const *missing;        /* required questions unanswered */
    size_t n_missing;
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

/* Applies one submission in a nested transaction of the batch.
 * SV_OK: stored (res->duplicate false) or a retry of a stored one with the
 *        same content (res->duplicate true, nothing written).
 * SV_ERR_CONFLICT: base_revision != current revision (res->current_revision
 *        set), or the submission_id is known with different content.
 * SV_ERR_FULL: the map is full; nothing of this submission was written.
 *        Each put leaves some free pages (up to 1 MiB) for the commit of
 *        the batch, so the earlier puts of the batch can still commit.
 * SV_ERR_INVALID: empty survey, respondent or submission_id (nothing
 *        written). SV_ERR_TOO_LARGE: survey + respondent or survey +
 *        submission_id over the LMDB key limit (about 500 bytes).
 * SV_ERR_STORE / SV_ERR_NOMEM: nothing of this submission was written.
 * After any of these the batch stays usable. *res is overwritten without
 * being freed: clear a result before reusing it. A NULL submitter is "".
 * The submission_id is scoped to the survey. */
sv_status sv_batch_put(sv_batch *b, const sv_put *put, sv_put_result *res,
                       sv_error *err);

/* Commits durably (LMDB's default sync) and frees *b. On failure nothing
 * of the batch was written (SV_ERR_FULL or SV_ERR_STORE). */
sv_status sv_batch_commit(sv_batch **b, sv_error *err);

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

#endif
