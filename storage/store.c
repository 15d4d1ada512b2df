/* store.c: the LMDB storage layer. One environment holds the current
 * answer set of every respondent (and its compact record), every revision,
 * the change log, the idempotency receipts, and the aggregator's snapshots
 * and watermarks; a submission writes its records in the transaction of a
 * batch (in a nested one near a full map). Record layout: storage/README.md.
 * Contract: store.h. */
#include "store.h"
#include "disk_room.h"
#include "revision_codec.h"
#include "map_pages.h"
#include "mirror.h"
#include "pb_pack.h"
#include "store_key.h"
#include "submission_pack.h"

#include <lmdb.h>
#include <sodium.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define STORE_SCHEMA "8"
#define STORE_SCHEMA_V1 "1" /* upgraded in place at a read-write open */
#define STORE_SCHEMA_V2 "2" /* likewise */
#define STORE_SCHEMA_V3 "3" /* likewise */
#define STORE_SCHEMA_V4 "4" /* likewise */
#define STORE_SCHEMA_V5 "5" /* likewise */
#define STORE_SCHEMA_V6 "6" /* likewise */
#define STORE_SCHEMA_V7 "7" /* likewise; also read as it is */
#define STORE_MAXDBS 16
/* A compact value: be64(revision) and then the record (schema 3); the
 * revision alone (schema 6) when the current revision has no record. */
#define COMPACT_PREFIX 8
/* Free pages each put must leave for the batch's commit (see
 * check_headroom): map pages / HEADROOM_DIV, within these bounds. */
#define HEADROOM_DIV 64
#define HEADROOM_MIN 4
#define HEADROOM_MAX 256
/* Pages a batch's commit may need beyond the headroom record (the named
 * databases' roots in the main database, the meta page). */
#define COMMIT_SLACK 64
#define DIGEST_BYTES crypto_generichash_BYTES
/* A compact scan drops the map pages it touched every this many records
 * (sv_store_drop_pages). */
#define SCAN_DROP_EVERY 8192
/* A scan of the mirror drops, every this many records, the pages of the
 * part of the file it read since the last drop, when that part is at most
 * MIRROR_RANGE_MAX bytes (a mirror written in key order: the other scan
 * thread's pages stay mapped); or every page of the map, when the file is
 * larger than MIRROR_KEEP_BYTES (below that the file bounds what is
 * mapped, and a drop of the whole map cost 2 ms on a machine where
 * page-table work is dear, unmapping the other thread's pages too:
 * bench/ROUNDS.md, Round 7). */
#define MIRROR_DROP_EVERY 131072
#define MIRROR_RANGE_MAX ((size_t)32 << 20)
#define MIRROR_KEEP_BYTES ((size_t)256 << 20)
/* A scan makes up at most this many changes the mirror has not seen
 * (from the store's change log); more, and it reads the store's file. */
#define MIRROR_GAP_MAX 65536

/* One named database. */
typedef struct {
    const char *name;
    bool numbered; /* keys end in an 8-byte big-endian number */
    MDB_dbi dbi;
} store_db;

struct sv_store {
    MDB_env *env;
    store_db current;    /* schemas 1 to 5 only, while upgrading: survey
                            \0 respondent -> be64 latest revision (schema 6
                            keeps it in compact) */
    store_db revisions;  /* survey \0 respondent \0 be64 -> be64 sequence
                            (schema 7; until then the record itself) */
    store_db log;        /* be64 sequence -> RevisionRecord (schema 7) */
    store_db changes;    /* be64 sequence -> Change */
    store_db receipts;   /* survey \0 submission_id -> Receipt */
    store_db meta;       /* "schema" -> STORE_SCHEMA */
    store_db compact;    /* survey \0 respondent -> be64 latest revision,
                            then its compact record (if any) */
    store_db snapshots;  /* survey \0 be64 version -> packed Snapshot */
    store_db watermarks; /* survey -> Watermark */
    bool read_only;
    bool deferred_sync; /* MDB_NOMETASYNC: commits need sv_store_sync */
    bool in_batch;      /* LMDB allows one write transaction at a time */
    size_t views;       /* open read transactions (sv_view and short reads) */
    sv_map_pages map;   /* LMDB's map of data.mdb (base NULL: not looked
                           up since the last remap) */
    sv_mirror *mirror;  /* the scan mirror; NULL: none */
    bool mirror_stale;  /* a write to it failed: left as it is (scans make
                           up the difference or read the store's file) */
    char mirror_error[512];
    sv_pb_packer *change_packer;  /* a put's head and change (in a batch:
                                     one writer at a time) */
    sv_pb_packer *receipt_packer; /* a put's receipt, beside its change */
};

/* A read view: one read-only transaction. Short reads of the sv_store_*
 * functions use one on the stack. */
struct sv_view {
    sv_store *s;
    MDB_txn *txn;
    bool used_mirror; /* the last scan read the scan mirror */
};

/* What sv_batch_put works out before and while writing. */
typedef struct {
    store_key current; /* survey \0 respondent */
    store_key receipt; /* survey \0 submission_id */
    uint64_t revision; /* the new revision */
    uint64_t sequence; /* its change-log sequence */
    size_t bytes;      /* bytes of the values written */
    bool claim;        /* a first revision, checked by its writes (below) */
    bool taken;        /* the claim failed: nothing of the put is written */
} put_ctx;

struct sv_batch {
    sv_store *s;
    MDB_txn *txn;
    size_t headroom;       /* bytes of the headroom probe record */
    size_t headroom_pages; /* pages of that record */
    size_t map_pages;      /* pages of the map */
    size_t psize;          /* bytes of a page */
    size_t base_pages;     /* pages in use at the batch's start: last
                              committed page number + 1 */
    size_t used_pages;     /* upper bound of pages the batch's puts took
                              from the map's end */
    bool careful;          /* every put in a nested transaction */
    bool broken;           /* a write failed outside a nested transaction:
                              the batch can only be aborted */
    uint64_t base_seq;     /* last sequence at the batch's start */
    uint64_t last_seq;     /* last sequence the batch wrote, 0: none */
    uint8_t *mirror;       /* the puts for the scan mirror, in order:
                              be16 key length, key, be64 sequence, be32
                              value length, value (the compact value) */
    size_t mirror_len;
    size_t mirror_cap;
};

/* A put worked out before its batch: keys, the revision's record
 * but for the two numbers the batch assigns (fields 1 and 2, which come
 * first: packing them and appending the body gives exactly the record
 * sv_revision_encode makes of the whole Revision), and copies of the
 * missing list and of the compact record. One allocation. */
struct sv_prepared {
    const Survey__V1__Submission *sub; /* borrowed */
    const char *submitter;             /* copied; "" for none */
    int64_t time_ms;
    put_ctx c;     /* keys; numbers unset */
    uint8_t *body; /* record tail: fields 3..9 compressed (revision_codec) */
    size_t body_len;
    char **missing;
    size_t n_missing;
    uint8_t *compact; /* NULL: no compact record */
    size_t compact_len;
};

static MDB_val key_val(const store_key *k)
{
    MDB_val v = {k->len, (void *)k->buf};
    return v;
}

static size_t map_size(sv_store *s)
{
    MDB_envinfo info;

    if (mdb_env_info(s->env, &info) != 0)
        return 0;
    return info.me_mapsize;
}

/* Whether LMDB has given up on the environment (MDB_PANIC from now on):
 * it does when the write of a meta page fails, whatever the cause. */
static bool env_broken(sv_store *s)
{
    MDB_txn *txn = NULL;
    if (s->env == NULL)
        return false;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);
    if (rc == 0)
        mdb_txn_abort(txn);
    return rc == MDB_PANIC;
}

/* Turns the LMDB return code rc of the step `what` into a status. A
 * write that found no room on the disk is SV_ERR_FULL, as a full map is:
 * LMDB gives up the transaction, so nothing of it is written; unless the
 * write that failed was the meta page's, after which the environment
 * takes no transaction until it is opened again (SV_ERR_STORE). */
static sv_status mdb_status(sv_store *s, int rc, const char *what,
                            sv_error *err)
{
    char why[160];
    int fd = -1;

    if (rc == MDB_PANIC || (rc != MDB_MAP_FULL && env_broken(s)))
        return sv_fail(
            err, SV_ERR_STORE,
            "%s: %s; LMDB gave up on the environment (MDB_PANIC: "
            "a write of its meta page failed, or its lock "
            "could not be recovered): nothing of this transaction was "
            "written, and the store takes no more until the "
            "process is restarted",
            what, mdb_strerror(rc));
    if (rc == MDB_MAP_FULL)
        return sv_fail(err, SV_ERR_FULL,
                       "storage full (map size %zu bytes): nothing written",
                       map_size(s));
    if (mdb_env_get_fd(s->env, &fd) == 0 &&
        sv_disk_room_short(fd, rc, why, sizeof why))
        return sv_fail(err, SV_ERR_FULL, "%s: %s (%s): nothing written", what,
                       why, mdb_strerror(rc));
    if (rc == ENOMEM)
        return sv_fail(err, SV_ERR_NOMEM, "%s: %s", what, mdb_strerror(rc));
    return sv_fail(err, SV_ERR_STORE, "%s: %s", what, mdb_strerror(rc));
}

static sv_status corrupt(sv_error *err, const store_db *db, const MDB_val *key)
{
    char text[STORE_KEY_MAX * 4 + 32];

    store_key_text(text, sizeof text, key->mv_data, key->mv_size, db->numbered);
    return sv_fail(err, SV_ERR_STORE, "corrupt record in %s at key %s",
                   db->name, text);
}

/* Begins a top-level transaction. When another process has grown the map
 * beyond ours, adopts its size and tries once more; not while a read view
 * of this handle is open (remapping would pull the map from under it). */
static sv_status txn_begin(sv_store *s, unsigned flags, MDB_txn **txn,
                           sv_error *err)
{
    int rc = mdb_txn_begin(s->env, NULL, flags, txn);

    if (rc == MDB_MAP_RESIZED && s->views > 0)
        return sv_fail(err, SV_ERR_STORE,
                       "another process has grown the map: end the open "
                       "read views of this handle and retry");
    if (rc == MDB_MAP_RESIZED) {
        s->map.base = NULL; /* sv_store_drop_pages looks it up again */
        rc = mdb_env_set_mapsize(s->env, 0);
        if (rc == 0)
            rc = mdb_txn_begin(s->env, NULL, flags, txn);
    }
    if (rc != 0)
        return mdb_status(s, rc, "begin transaction", err);
    return SV_OK;
}

static sv_status check_names(const char *survey, const char *respondent,
                             sv_error *err)
{
    if (survey == NULL || survey[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty survey");
    if (respondent == NULL || respondent[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty respondent");
    return SV_OK;
}

static sv_status key_too_long(sv_error *err, const char *a, const char *b)
{
    return sv_fail(err, SV_ERR_TOO_LARGE,
                   "key for %.40s/%.40s is over %d bytes", a, b, STORE_KEY_MAX);
}

/* ---- opening ---------------------------------------------------------- */

static sv_status prepare_dir(const char *dir, bool read_only, sv_error *err)
{
    struct stat st;

    if (read_only) {
        if (stat(dir, &st) == 0)
            return SV_OK;
        if (errno == ENOENT)
            return sv_fail(err, SV_ERR_NOT_FOUND,
                           "no store in %s: no such directory", dir);
        return sv_fail(err, SV_ERR_IO, "%s: %s", dir, strerror(errno));
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sv_fail(err, SV_ERR_IO, "create %s: %s", dir, strerror(errno));
    return SV_OK;
}

/* A map of size bytes that LMDB could not make (ENOMEM from open or
 * from setting the size): address space, not memory. */
static sv_status map_too_large(const char *what, const char *dir, int rc,
                               size_t size, sv_error *err)
{
    return sv_fail(err, SV_ERR_NOMEM,
                   "%s LMDB environment %s: %s: the map (%zu bytes of "
                   "address space, not memory) may be more than this "
                   "process may map (ulimit -v); give a smaller map size",
                   what, dir, mdb_strerror(rc), size);
}

static sv_status open_env(sv_store *s, const char *dir, size_t size,
                          sv_error *err)
{
    unsigned flags = MDB_NOTLS | (s->read_only ? MDB_RDONLY : 0);
    int dead = 0;

    /* never MDB_NOSYNC: the meta page could reach the disk before the
     * data pages it points to */
    if (s->deferred_sync && !s->read_only)
        flags |= MDB_NOMETASYNC;
    int rc = mdb_env_create(&s->env);

    if (rc != 0) {
        s->env = NULL;
        return mdb_status(s, rc, "create LMDB environment", err);
    }
    rc = mdb_env_set_maxdbs(s->env, STORE_MAXDBS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(s->env, size);
    if (rc == 0)
        rc = mdb_env_open(s->env, dir, flags, 0600);
    if (rc == ENOENT && s->read_only)
        return sv_fail(err, SV_ERR_NOT_FOUND, "no store in %s", dir);
    if (rc == ENOMEM && size != 0)
        return map_too_large("open", dir, rc, size, err);
    if (rc != 0)
        return sv_fail(err, rc > 0 ? SV_ERR_IO : SV_ERR_STORE,
                       "open LMDB environment %s: %s", dir, mdb_strerror(rc));
    rc = mdb_reader_check(s->env, &dead);
    if (rc != 0)
        return mdb_status(s, rc, "clear stale readers", err);
    if (mdb_env_get_maxkeysize(s->env) < STORE_KEY_MAX)
        return sv_fail(err, SV_ERR_STORE,
                       "LMDB maximum key size is %d, need %d",
                       mdb_env_get_maxkeysize(s->env), STORE_KEY_MAX);
    return SV_OK;
}

static sv_status write_schema(sv_store *s, MDB_txn *txn, sv_error *err)
{
    MDB_val key = {6, (void *)"schema"};
    MDB_val val = {strlen(STORE_SCHEMA), (void *)STORE_SCHEMA};
    int rc = mdb_put(txn, s->meta.dbi, &key, &val, 0);

    if (rc != 0)
        return mdb_status(s, rc, "write schema", err);
    return SV_OK;
}

static bool schema_is(const MDB_val *val, const char *schema)
{
    return val->mv_size == strlen(schema) &&
           memcmp(val->mv_data, schema, val->mv_size) == 0;
}

/* A read-write open stamps the schema only into an empty environment:
 * nothing in it but the meta database this transaction just created. An
 * environment with other databases or records and no schema record is
 * not a store (another program's, or a scan mirror's folder given as the
 * data folder): writing into it would mix two layouts. Every schema since
 * the first wrote its record. */
static sv_status refuse_foreign(sv_store *s, MDB_txn *txn, const char *dir,
                                sv_error *err)
{
    MDB_dbi main_dbi;
    MDB_stat main_st;
    MDB_stat meta_st;
    int rc = mdb_dbi_open(txn, NULL, 0, &main_dbi);

    if (rc == 0)
        rc = mdb_stat(txn, main_dbi, &main_st);
    if (rc == 0)
        rc = mdb_stat(txn, s->meta.dbi, &meta_st);
    if (rc != 0)
        return mdb_status(s, rc, "look into the environment", err);
    if (main_st.ms_entries <= 1 && meta_st.ms_entries == 0)
        return SV_OK;
    return sv_fail(err, SV_ERR_STORE,
                   "%s holds LMDB data that is not a survey store (%zu "
                   "databases or records and no schema record); nothing "
                   "was written to it: give an empty folder or a store's",
                   dir, main_st.ms_entries + meta_st.ms_entries - 1);
}

/* Refuses a store written with another record layout; stamps a new one.
 * Schemas 1 to 7 are upgraded in place by a read-write open: *upgrade is
 * set to the old schema's number (0 when none is needed) and open_dbs, in
 * the same transaction, creates the databases schema 2 added, turns the
 * current records into revision numbers (upgrade_current, schema 4),
 * prefixes the compact records of schema 2 (upgrade_compact, schema 3),
 * compresses every revision (upgrade_revisions, schema 5), moves the
 * current revision numbers into compact (fold_current, schema 6) and the
 * revision records into log (revisions_to_log, schema 7). Schema 8 only
 * stamps the number: its new records are LZ4 blocks, the older zstd
 * frames stay and are read as they are (revision_codec.h), so a read-only
 * open of a schema 7 store is allowed. */
static sv_status check_schema(sv_store *s, MDB_txn *txn, const char *dir,
                              int *upgrade, sv_error *err)
{
    MDB_val key = {6, (void *)"schema"};
    MDB_val val;
    int rc = mdb_get(txn, s->meta.dbi, &key, &val);

    *upgrade = 0;
    if (rc == MDB_NOTFOUND && !s->read_only) {
        sv_status st = refuse_foreign(s, txn, dir, err);
        return st != SV_OK ? st : write_schema(s, txn, err);
    }
    if (rc == MDB_NOTFOUND)
        return sv_fail(err, SV_ERR_STORE, "store in %s has no schema record",
                       dir);
    if (rc != 0)
        return mdb_status(s, rc, "read schema", err);
    if (schema_is(&val, STORE_SCHEMA))
        return SV_OK;
    /* schema 8 only adds LZ4 records beside schema 7's zstd ones, which it
       still reads: a schema 7 store reads as it is */
    if (schema_is(&val, STORE_SCHEMA_V7) && s->read_only)
        return SV_OK;
    if (schema_is(&val, STORE_SCHEMA_V1) || schema_is(&val, STORE_SCHEMA_V2) ||
        schema_is(&val, STORE_SCHEMA_V3) || schema_is(&val, STORE_SCHEMA_V4) ||
        schema_is(&val, STORE_SCHEMA_V5) || schema_is(&val, STORE_SCHEMA_V6) ||
        schema_is(&val, STORE_SCHEMA_V7)) {
        if (s->read_only)
            return sv_fail(err, SV_ERR_STORE,
                           "store in %s has schema %.*s: open it read-write "
                           "once to upgrade it to schema " STORE_SCHEMA,
                           dir, (int)val.mv_size, (const char *)val.mv_data);
        *upgrade = ((const char *)val.mv_data)[0] - '0';
        return write_schema(s, txn, err);
    }
    return sv_fail(err, SV_ERR_STORE,
                   "store in %s has schema '%.*s'; this build knows "
                   "schema " STORE_SCHEMA,
                   dir, (int)(val.mv_size > 32 ? 32 : val.mv_size),
                   (const char *)val.mv_data);
}

static sv_status open_db(sv_store *s, MDB_txn *txn, store_db *db,
                         const char *dir, sv_error *err)
{
    unsigned flags = s->read_only ? 0 : MDB_CREATE;
    int rc = mdb_dbi_open(txn, db->name, flags, &db->dbi);

    if (rc == MDB_NOTFOUND)
        return sv_fail(err, SV_ERR_NOT_FOUND,
                       "no store in %s (no database '%s')", dir, db->name);
    if (rc != 0)
        return mdb_status(s, rc, "open database", err);
    return SV_OK;
}

static sv_status upgrade_compact(sv_store *s, MDB_txn *txn, sv_error *err);
static sv_status upgrade_current(sv_store *s, MDB_txn *txn, sv_error *err);
static sv_status upgrade_revisions(sv_store *s, MDB_txn *txn, sv_error *err);
static sv_status fold_current(sv_store *s, MDB_txn *txn, sv_error *err);
static sv_status revisions_to_log(sv_store *s, MDB_txn *txn, sv_error *err);
static sv_status mirror_open(sv_store *s, const char *dir,
                             const sv_store_options *opt, sv_error *err);
static void mirror_failed(sv_store *s, const sv_error *e);

/* Opens meta and checks the schema first, so that a read-only open of an
 * older layout is refused by its schema, not by a missing database. */
static sv_status open_dbs(sv_store *s, const char *dir, sv_error *err)
{
    store_db *dbs[] = {&s->revisions, &s->log,     &s->changes,
                       &s->receipts,  &s->compact, &s->snapshots,
                       &s->watermarks};
    MDB_txn *txn = NULL;
    int upgrade = 0;
    sv_status st;
    int rc;

    st = txn_begin(s, s->read_only ? MDB_RDONLY : 0, &txn, err);
    if (st != SV_OK)
        return st;
    st = open_db(s, txn, &s->meta, dir, err);
    if (st == SV_OK)
        st = check_schema(s, txn, dir, &upgrade, err);
    for (size_t i = 0; st == SV_OK && i < sizeof dbs / sizeof dbs[0]; i++)
        st = open_db(s, txn, dbs[i], dir, err);
    if (st == SV_OK && upgrade != 0 && upgrade <= 5) /* they had current */
        st = open_db(s, txn, &s->current, dir, err);
    if (st == SV_OK && upgrade != 0 && upgrade <= 3) /* before compact */
        st = upgrade_current(s, txn, err);
    if (st == SV_OK && upgrade == 2)
        st = upgrade_compact(s, txn, err);
    if (st == SV_OK && upgrade != 0 && upgrade <= 4)
        st = upgrade_revisions(s, txn, err);
    if (st == SV_OK && upgrade != 0 && upgrade <= 5)
        st = fold_current(s, txn, err);
    if (st == SV_OK && upgrade != 0 && upgrade <= 6)
        st = revisions_to_log(s, txn, err);
    if (st != SV_OK)
        goto fail;
    rc = mdb_txn_commit(txn); /* also for read-only: keeps the handles */
    if (rc != 0)
        return mdb_status(s, rc, "commit database handles", err);
    return SV_OK;
fail:
    mdb_txn_abort(txn);
    return st;
}

/* With keep_map_size: an environment nobody has committed to yet (this
 * open created it) gets the default map; any other keeps the size it has.
 * Judged after the open, under LMDB's locks, not from the file beforehand:
 * a writer that created the environment a moment ago has put its size in
 * the meta page, which the open read. */
static sv_status default_size_if_new(sv_store *s, const char *dir,
                                     sv_error *err)
{
    MDB_envinfo info;
    int rc = mdb_env_info(s->env, &info);

    if (rc != 0)
        return mdb_status(s, rc, "read environment info", err);
    if (info.me_last_txnid != 0)
        return SV_OK;
    rc = mdb_env_set_mapsize(s->env, SV_STORE_DEFAULT_MAP_SIZE);
    if (rc == ENOMEM)
        return map_too_large("map", dir, rc, (size_t)SV_STORE_DEFAULT_MAP_SIZE,
                             err);
    if (rc != 0)
        return mdb_status(s, rc, "set the map size", err);
    return SV_OK;
}

sv_status sv_store_open(sv_store **out, const char *dir,
                        const sv_store_options *opt, sv_error *err)
{
    bool read_only = opt != NULL && opt->read_only;
    size_t size = SV_STORE_DEFAULT_MAP_SIZE;
    sv_store *s = NULL;
    sv_status st;

    *out = NULL;
    if (dir == NULL || dir[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "no store directory given");
    if (sodium_init() < 0)
        return sv_fail(err, SV_ERR_STORE, "libsodium failed to initialise");
    if (opt != NULL && opt->map_size != 0)
        size = opt->map_size;
    bool keep =
        !read_only && opt != NULL && opt->map_size == 0 && opt->keep_map_size;
    if (read_only || keep)
        size = 0; /* the environment's own size (a new one: see below) */
    st = prepare_dir(dir, read_only, err);
    if (st != SV_OK)
        return st;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory opening %s", dir);
    s->read_only = read_only;
    s->deferred_sync = opt != NULL && opt->deferred_sync;
    s->current.name = "current";
    s->revisions.name = "revisions";
    s->revisions.numbered = true;
    s->log.name = "log";
    s->log.numbered = true;
    s->changes.name = "changes";
    s->changes.numbered = true;
    s->receipts.name = "receipts";
    s->meta.name = "meta";
    s->compact.name = "compact";
    s->snapshots.name = "snapshots";
    s->snapshots.numbered = true;
    s->watermarks.name = "watermarks";
    st = open_env(s, dir, size, err);
    if (st == SV_OK && keep)
        st = default_size_if_new(s, dir, err);
    if (st != SV_OK)
        goto fail;
    st = open_dbs(s, dir, err);
    if (st != SV_OK)
        goto fail;
    if (opt == NULL || !opt->no_mirror) {
        /* the mirror is a copy: a store whose mirror cannot be built (a
           full disk after a reboot) opens without one, its scans reading
           the store's own file (sv_store_mirror_error says why) */
        sv_error merr = {{0}};
        if (mirror_open(s, dir, opt, &merr) != SV_OK) {
            sv_error rerr = {{0}};
            mirror_failed(s, &merr);
            if (!s->read_only && s->mirror != NULL &&
                sv_mirror_discard(&s->mirror, &rerr) != SV_OK) {
                size_t n = strlen(s->mirror_error);
                snprintf(s->mirror_error + n, sizeof s->mirror_error - n,
                         "; and it could not be removed: %s", rerr.msg);
            }
            sv_mirror_close(&s->mirror);
        }
    }
    *out = s;
    return SV_OK;
fail:
    sv_store_destroy(&s);
    return st;
}

void sv_store_destroy(sv_store **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_mirror_close(&(*self)->mirror);
    sv_pb_packer_destroy(&(*self)->change_packer);
    sv_pb_packer_destroy(&(*self)->receipt_packer);
    if ((*self)->env != NULL)
        mdb_env_close((*self)->env);
    free(*self);
    *self = NULL;
}

/* ---- records ---------------------------------------------------------- */

static sv_status unpack_revision(const store_db *db, const MDB_val *key,
                                 const MDB_val *val, Survey__V1__Revision **out,
                                 sv_error *err)
{
    sv_error why = {{0}};
    sv_status st = sv_revision_decode(val->mv_data, val->mv_size, out, &why);

    if (st == SV_ERR_STORE) {
        corrupt(err, db, key);
        size_t n = strlen(err->msg);
        snprintf(err->msg + n, sizeof err->msg - n, ": %s", why.msg);
    } else if (st != SV_OK) {
        *err = why;
    }
    return st;
}

/* Reads the record in log that the revisions value val (at key) points
 * to: its sequence. A value of another size, or a sequence not in log, is
 * corrupt. */
static sv_status logged_revision(sv_store *s, MDB_txn *txn, const MDB_val *key,
                                 const MDB_val *val, Survey__V1__Revision **out,
                                 sv_error *err)
{
    MDB_val seq_key;
    MDB_val rec;
    int rc;

    if (val->mv_size != 8)
        return corrupt(err, &s->revisions, key);
    seq_key = *val;
    rc = mdb_get(txn, s->log.dbi, &seq_key, &rec);
    if (rc == MDB_NOTFOUND)
        return corrupt(err, &s->revisions, key); /* points nowhere */
    if (rc != 0)
        return mdb_status(s, rc, "read revision", err);
    return unpack_revision(&s->log, &seq_key, &rec, out, err);
}

/* Reads the revision at k in revisions. SV_ERR_NOT_FOUND (no message)
 * when absent. */
static sv_status get_revision(sv_store *s, MDB_txn *txn, const store_key *k,
                              Survey__V1__Revision **out, sv_error *err)
{
    MDB_val key = key_val(k);
    MDB_val val;
    int rc = mdb_get(txn, s->revisions.dbi, &key, &val);

    *out = NULL;
    if (rc == MDB_NOTFOUND)
        return SV_ERR_NOT_FOUND;
    if (rc != 0)
        return mdb_status(s, rc, "read revision", err);
    return logged_revision(s, txn, &key, &val, out, err);
}

/* Reads a varint at *p (below end); false when cut short or too long. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0)
            return true;
    }
    return false;
}

/* The varint field `field` of a packed message, read off the wire format
 * without unpacking the message (which would copy every answer). A
 * message without the field has 0. False when malformed. */
static bool varint_field(const MDB_val *val, uint64_t field, uint64_t *out)
{
    const uint8_t *p = val->mv_data;
    const uint8_t *end = p + val->mv_size;
    uint64_t tag;
    uint64_t v;

    *out = 0;
    while (p < end) {
        if (!read_varint(&p, end, &tag))
            return false;
        switch (tag & 7) {
        case 0: /* varint */
            if (!read_varint(&p, end, &v))
                return false;
            if (tag >> 3 == field)
                *out = v; /* the last occurrence wins, as when unpacking */
            break;
        case 1: /* 64-bit */
            if (end - p < 8)
                return false;
            p += 8;
            break;
        case 2: /* length-delimited */
            if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return false;
            p += v;
            break;
        case 5: /* 32-bit */
            if (end - p < 4)
                return false;
            p += 4;
            break;
        default:
            return false;
        }
    }
    return true;
}

/* The revision number that the value val at key in db starts with (db:
 * compact, or an older schema's current, whose values are the number
 * alone); a value of neither shape is corrupt. */
static sv_status number_in(sv_store *s, const store_db *db, const MDB_val *key,
                           const MDB_val *val, uint64_t *out, sv_error *err)
{
    if (val->mv_size < COMPACT_PREFIX || store_be64_get(val->mv_data) == 0 ||
        (db == &s->current && val->mv_size != COMPACT_PREFIX))
        return corrupt(err, db, key);
    *out = store_be64_get(val->mv_data);
    return SV_OK;
}

/* The revision number at k in db (as number_in), 0 when none. */
static sv_status number_at(sv_store *s, MDB_txn *txn, const store_db *db,
                           const store_key *k, uint64_t *out, sv_error *err)
{
    MDB_val key = key_val(k);
    MDB_val val;
    int rc = mdb_get(txn, db->dbi, &key, &val);

    *out = 0;
    if (rc == MDB_NOTFOUND)
        return SV_OK;
    if (rc != 0)
        return mdb_status(s, rc, "read revision", err);
    return number_in(s, db, &key, &val, out, err);
}

/* The revision number of the current revision at k, 0 when none. */
static sv_status current_number(sv_store *s, MDB_txn *txn, const store_key *k,
                                uint64_t *out, sv_error *err)
{
    return number_at(s, txn, &s->compact, k, out, err);
}

/* The new value of one record of an upgrade: *out, malloc'd. */
typedef sv_status (*rewrite_fn)(sv_store *s, MDB_txn *txn, const store_key *k,
                                const MDB_val *val, MDB_val *out,
                                sv_error *err);

/* Rewrites every record of db with fn, inside txn. */
static sv_status rewrite_all(sv_store *s, MDB_txn *txn, const store_db *db,
                             rewrite_fn fn, sv_error *err)
{
    MDB_cursor *cur = NULL;
    MDB_val key;
    MDB_val val;
    MDB_val out;
    store_key k;
    sv_status st = SV_OK;
    int rc = mdb_cursor_open(txn, db->dbi, &cur);

    if (rc != 0)
        return mdb_status(s, rc, "open cursor", err);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == 0) {
        if (key.mv_size > STORE_KEY_MAX) {
            st = corrupt(err, db, &key);
            break;
        }
        memcpy(k.buf, key.mv_data, key.mv_size);
        k.len = key.mv_size;
        st = fn(s, txn, &k, &val, &out, err);
        if (st != SV_OK)
            break;
        key = key_val(&k);
        rc = mdb_put(txn, db->dbi, &key, &out, 0);
        free(out.mv_data);
        if (rc != 0) {
            st = mdb_status(s, rc, db->name, err);
            break;
        }
        /* a put may move pages under the cursor: find the key again */
        key = key_val(&k);
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
        if (rc == 0)
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (st == SV_OK && rc != MDB_NOTFOUND)
        st = mdb_status(s, rc, db->name, err);
    mdb_cursor_close(cur);
    return st;
}

/* Schema 3 to 4: every current record, a whole Revision until then,
 * becomes the number of that revision (the Revision itself is in
 * revisions). */
static sv_status current_as_number(sv_store *s, MDB_txn *txn,
                                   const store_key *k, const MDB_val *val,
                                   MDB_val *out, sv_error *err)
{
    uint64_t revision;
    MDB_val key = key_val(k);

    (void)txn;
    if (!varint_field(val, 1, &revision) || revision == 0) /* revision */
        return corrupt(err, &s->current, &key);
    out->mv_size = 8;
    out->mv_data = malloc(8);
    if (out->mv_data == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (upgrade)");
    store_be64_put(out->mv_data, revision);
    return SV_OK;
}

static sv_status upgrade_current(sv_store *s, MDB_txn *txn, sv_error *err)
{
    return rewrite_all(s, txn, &s->current, current_as_number, err);
}

/* Schema 2 to 3: every compact record gets its revision (that of the
 * current revision beside it) as an 8-byte prefix. */
static sv_status compact_with_revision(sv_store *s, MDB_txn *txn,
                                       const store_key *k, const MDB_val *val,
                                       MDB_val *out, sv_error *err)
{
    uint64_t revision;
    MDB_val key = key_val(k);
    sv_status st = number_at(s, txn, &s->current, k, &revision, err);

    if (st == SV_OK && revision == 0)
        st = corrupt(err, &s->compact, &key); /* no current revision */
    if (st != SV_OK)
        return st;
    out->mv_size = val->mv_size + COMPACT_PREFIX;
    out->mv_data = malloc(out->mv_size);
    if (out->mv_data == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (upgrade)");
    store_be64_put(out->mv_data, revision);
    memcpy((uint8_t *)out->mv_data + COMPACT_PREFIX, val->mv_data,
           val->mv_size);
    return SV_OK;
}

static sv_status upgrade_compact(sv_store *s, MDB_txn *txn, sv_error *err)
{
    return rewrite_all(s, txn, &s->compact, compact_with_revision, err);
}

/* Schema 4 to 5: every revision, a packed Revision until then, becomes a
 * compressed record (revision_codec.h). */
static sv_status revision_compressed(sv_store *s, MDB_txn *txn,
                                     const store_key *k, const MDB_val *val,
                                     MDB_val *out, sv_error *err)
{
    MDB_val key = key_val(k);
    Survey__V1__Revision *rev =
        survey__v1__revision__unpack(NULL, val->mv_size, val->mv_data);
    uint8_t *rec;
    size_t len;

    (void)txn;
    if (rev == NULL)
        return corrupt(err, &s->revisions, &key);
    sv_error why = {{0}};
    sv_status st = sv_revision_encode(rev, &rec, &len, &why);
    survey__v1__revision__free_unpacked(rev, NULL);
    if (st != SV_OK) {
        char text[STORE_KEY_MAX * 4 + 32];
        store_key_text(text, sizeof text, key.mv_data, key.mv_size,
                       s->revisions.numbered);
        return sv_fail(err, st, "upgrading the revision at key %s: %s", text,
                       why.msg);
    }
    out->mv_data = rec;
    out->mv_size = len;
    return st;
}

static sv_status upgrade_revisions(sv_store *s, MDB_txn *txn, sv_error *err)
{
    return rewrite_all(s, txn, &s->revisions, revision_compressed, err);
}

/* Schema 5 to 6: the current revision's number, which compact already
 * held beside each compact record, is the compact value's prefix for every
 * respondent; one without a compact record gets the number alone. A
 * compact record of another revision than current's is corrupt. Then
 * current goes. */
static sv_status fold_current(sv_store *s, MDB_txn *txn, sv_error *err)
{
    MDB_cursor *cur = NULL;
    MDB_val key;
    MDB_val val;
    sv_status st = SV_OK;
    int rc = mdb_cursor_open(txn, s->current.dbi, &cur);

    if (rc != 0)
        return mdb_status(s, rc, "open cursor", err);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        store_key k;
        uint64_t revision = 0;
        uint64_t in_compact;
        if (key.mv_size > STORE_KEY_MAX) {
            st = corrupt(err, &s->current, &key);
            break;
        }
        st = number_in(s, &s->current, &key, &val, &revision, err);
        if (st != SV_OK)
            break;
        memcpy(k.buf, key.mv_data, key.mv_size);
        k.len = key.mv_size;
        st = number_at(s, txn, &s->compact, &k, &in_compact, err);
        if (st == SV_OK && in_compact != 0 && in_compact != revision)
            st = corrupt(err, &s->compact, &key); /* out of step */
        if (st != SV_OK)
            break;
        if (in_compact != 0)
            continue;
        /* the key and the number from copies, not from current's page
           (the compact database is not under the cursor: no moves) */
        unsigned char num[COMPACT_PREFIX];
        store_be64_put(num, revision);
        MDB_val kv = key_val(&k);
        MDB_val number = {COMPACT_PREFIX, num};
        rc = mdb_put(txn, s->compact.dbi, &kv, &number, 0);
        if (rc != 0) {
            st = mdb_status(s, rc, "compact", err);
            break;
        }
    }
    mdb_cursor_close(cur);
    if (st == SV_OK && rc != MDB_NOTFOUND)
        st = mdb_status(s, rc, "current", err);
    if (st != SV_OK)
        return st;
    rc = mdb_drop(txn, s->current.dbi, 1);
    if (rc != 0)
        return mdb_status(s, rc, "drop current", err);
    return SV_OK;
}

/* Schema 6 to 7: every revision record moves into log under its sequence
 * (its field 2), and revisions keeps that sequence. A record without one,
 * or two records of one sequence, are corrupt. */
static sv_status revision_to_log(sv_store *s, MDB_txn *txn, const store_key *k,
                                 const MDB_val *val, MDB_val *out,
                                 sv_error *err)
{
    MDB_val key = key_val(k);
    uint64_t sequence;
    MDB_val seq_key;
    MDB_val rec = {val->mv_size, NULL};
    int rc;

    if (!varint_field(val, 2, &sequence) || sequence == 0)
        return corrupt(err, &s->revisions, &key);
    /* a copy: the put may spill the transaction's dirty pages, val's page
       among them */
    rec.mv_data = malloc(val->mv_size > 0 ? val->mv_size : 1);
    out->mv_data = malloc(8);
    if (rec.mv_data == NULL || out->mv_data == NULL) {
        free(rec.mv_data);
        free(out->mv_data);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (upgrade)");
    }
    memcpy(rec.mv_data, val->mv_data, val->mv_size);
    out->mv_size = 8;
    store_be64_put(out->mv_data, sequence);
    seq_key = *out;
    rc = mdb_put(txn, s->log.dbi, &seq_key, &rec, MDB_NOOVERWRITE);
    free(rec.mv_data);
    if (rc == 0)
        return SV_OK;
    free(out->mv_data);
    out->mv_data = NULL;
    if (rc == MDB_KEYEXIST)
        return corrupt(err, &s->revisions, &key);
    return mdb_status(s, rc, s->log.name, err);
}

static sv_status revisions_to_log(sv_store *s, MDB_txn *txn, sv_error *err)
{
    return rewrite_all(s, txn, &s->revisions, revision_to_log, err);
}

/* The highest sequence in the change log as txn sees it, 0 when empty. */
static sv_status last_sequence(sv_store *s, MDB_txn *txn, uint64_t *seq,
                               sv_error *err)
{
    MDB_cursor *cur;
    MDB_val key;
    MDB_val val;
    sv_status st = SV_OK;
    int rc = mdb_cursor_open(txn, s->changes.dbi, &cur);

    *seq = 0;
    if (rc != 0)
        return mdb_status(s, rc, "open change-log cursor", err);
    rc = mdb_cursor_get(cur, &key, &val, MDB_LAST);
    if (rc == 0 && key.mv_size != 8)
        st = corrupt(err, &s->changes, &key);
    else if (rc == 0)
        *seq = store_be64_get(key.mv_data);
    else if (rc != MDB_NOTFOUND)
        st = mdb_status(s, rc, "read change log", err);
    mdb_cursor_close(cur);
    return st;
}

/* ---- the scan mirror (mirror.h) ----------------------------------------- */

/* A failure to keep the mirror in step: it is left as it is, and this
 * handle writes no more to it. Nothing of the store depends on it. */
static void mirror_failed(sv_store *s, const sv_error *e)
{
    s->mirror_stale = true;
    snprintf(s->mirror_error, sizeof s->mirror_error, "%s", e->msg);
}

/* Fills the mirror (write transaction mtxn) with every compact value the
 * store's transaction txn sees, whose last sequence is `last`. */
static sv_status mirror_rebuild(sv_store *s, MDB_txn *txn, MDB_txn *mtxn,
                                uint64_t last, sv_error *err)
{
    MDB_cursor *cur;
    MDB_val key;
    MDB_val val;
    sv_status st = sv_mirror_clear(s->mirror, mtxn, err);
    int rc;

    if (st != SV_OK)
        return st;
    rc = mdb_cursor_open(txn, s->compact.dbi, &cur);
    if (rc != 0)
        return mdb_status(s, rc, "open compact cursor", err);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    for (size_t seen = 1; rc == 0 && st == SV_OK; seen++) {
        st = sv_mirror_put(s->mirror, mtxn, &key, 0, val.mv_data, val.mv_size,
                           MDB_APPEND, err);
        /* the store's pages, spread over its file, are not kept */
        if (st == SV_OK && seen % SCAN_DROP_EVERY == 0)
            st = sv_map_pages_drop(s->env, &s->map, err);
        if (st == SV_OK)
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (st != SV_OK)
        return st;
    if (rc != MDB_NOTFOUND)
        return mdb_status(s, rc, "read compact records", err);
    return sv_mirror_set_marks(s->mirror, mtxn, last, last, err);
}

/* Opens the scan mirror; read-write, rebuilds it unless it reflects the
 * store's last commit. */
static sv_status mirror_open(sv_store *s, const char *dir,
                             const sv_store_options *opt, sv_error *err)
{
    MDB_envinfo info;
    MDB_txn *mtxn = NULL;
    MDB_txn *txn = NULL;
    uint64_t through = 0;
    uint64_t base = 0;
    uint64_t last = 0;
    sv_status st;
    int rc = mdb_env_info(s->env, &info);

    if (rc != 0)
        return mdb_status(s, rc, "map information", err);
    st = sv_mirror_open(&s->mirror, dir, info.me_mapsize, s->read_only,
                        opt != NULL ? opt->boot_id : NULL, err);
    if (st != SV_OK || s->mirror == NULL || s->read_only)
        return st;
    st = sv_mirror_begin(s->mirror, false, &mtxn, &through, &base, err);
    if (st == SV_OK)
        st = txn_begin(s, MDB_RDONLY, &txn, err);
    if (st == SV_OK)
        st = last_sequence(s, txn, &last, err);
    if (st == SV_OK && (base == SV_MIRROR_UNBUILT || through != last))
        st = mirror_rebuild(s, txn, mtxn, last, err);
    if (txn != NULL)
        mdb_txn_abort(txn);
    if (st == SV_OK) {
        st = sv_mirror_commit(s->mirror, mtxn, err);
        mtxn = NULL;
    }
    if (mtxn != NULL)
        mdb_txn_abort(mtxn);
    return st;
}

bool sv_view_used_mirror(const sv_view *v)
{
    return v->used_mirror;
}

bool sv_store_has_mirror(const sv_store *s)
{
    return s->mirror != NULL && !s->mirror_stale;
}

const char *sv_store_mirror_error(const sv_store *s)
{
    return s->mirror_error[0] != '\0' ? s->mirror_error : NULL;
}

bool sv_store_broken(sv_store *s)
{
    return s != NULL && env_broken(s);
}

/* ---- writing ---------------------------------------------------------- */

static const char *submitter_of(const sv_put *put)
{
    return put->submitter != NULL ? put->submitter : "";
}

/* The digest of a submission packed into packed[0..len): BLAKE2b-256 of
 * those bytes, a 0 byte and the submitter; the digest the receipts of
 * schemas 1 to 7 keep (a retry of one is compared by it). */
static sv_status digest_packed(const Survey__V1__Submission *sub,
                               const char *submitter, const uint8_t *packed,
                               size_t len, uint8_t out[DIGEST_BYTES],
                               sv_error *err)
{
    static const uint8_t zero = 0;
    crypto_generichash_state state;

    if (crypto_generichash_init(&state, NULL, 0, DIGEST_BYTES) != 0 ||
        crypto_generichash_update(&state, packed, len) != 0 ||
        crypto_generichash_update(&state, &zero, 1) != 0 ||
        crypto_generichash_update(&state, (const uint8_t *)submitter,
                                  strlen(submitter)) != 0 ||
        crypto_generichash_final(&state, out, DIGEST_BYTES) != 0)
        return sv_fail(err, SV_ERR_STORE, "digest of submission %s failed",
                       sub->submission_id);
    return SV_OK;
}

/* Checks the put and computes its keys. */
static sv_status check_put_args(const sv_put *put, put_ctx *c, sv_error *err)
{
    const Survey__V1__Submission *sub;
    store_key rk;
    sv_status st;

    if (put == NULL || put->sub == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no submission");
    sub = put->sub;
    st = check_names(sub->survey, sub->respondent, err);
    if (st != SV_OK)
        return st;
    if (sub->submission_id == NULL || sub->submission_id[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty submission_id");
    if (sub->n_answers > 0 && sub->answers == NULL)
        return sv_fail(err, SV_ERR_INVALID, "answers list is NULL");
    if (put->n_missing > 0 && put->missing == NULL)
        return sv_fail(err, SV_ERR_INVALID, "missing list is NULL");
    for (size_t i = 0; i < put->n_missing; i++)
        if (put->missing[i] == NULL)
            return sv_fail(err, SV_ERR_INVALID, "missing[%zu] is NULL", i);
    if (!store_key_pair(&c->current, sub->survey, sub->respondent) ||
        !store_key_revision(&rk, sub->survey, sub->respondent, 0))
        return key_too_long(err, sub->survey, sub->respondent);
    if (!store_key_pair(&c->receipt, sub->survey, sub->submission_id))
        return key_too_long(err, sub->survey, sub->submission_id);
    return SV_OK;
}

/* Copies the answers (field 5) of the packed Submission sub[0..len) as
 * the answers of a Revision (field 8) into out (room for len bytes), and
 * returns how many bytes they took. Both tags are one byte, so the bytes
 * are as many. SIZE_MAX when sub is malformed. */
static size_t copy_answers(const uint8_t *sub, size_t len, uint8_t *out)
{
    const uint8_t *p = sub;
    const uint8_t *end = sub + len;
    size_t n = 0;

    while (p < end) {
        const uint8_t *field = p;
        uint64_t tag;
        uint64_t v;
        if (!read_varint(&p, end, &tag))
            return SIZE_MAX;
        switch (tag & 7) {
        case 0:
            if (!read_varint(&p, end, &v))
                return SIZE_MAX;
            break;
        case 1:
            if (end - p < 8)
                return SIZE_MAX;
            p += 8;
            break;
        case 2:
            if (!read_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return SIZE_MAX;
            p += v;
            break;
        case 5:
            if (end - p < 4)
                return SIZE_MAX;
            p += 4;
            break;
        default:
            return SIZE_MAX;
        }
        if (tag != (5 << 3 | 2))
            continue;
        memcpy(out + n, field, (size_t)(p - field));
        out[n] = 8 << 3 | 2;
        n += (size_t)(p - field);
    }
    return n;
}

/* Copies n strings into res->missing. */
static sv_status copy_missing(sv_put_result *res, char *const *missing,
                              size_t n, sv_error *err)
{
    if (n == 0)
        return SV_OK;
    res->missing = calloc(n, sizeof *res->missing);
    if (res->missing == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (missing list)");
    for (size_t i = 0; i < n; i++) {
        res->missing[i] = strdup(missing[i]);
        if (res->missing[i] == NULL) {
            sv_put_result_clear(res);
            return sv_fail(err, SV_ERR_NOMEM, "out of memory (missing)");
        }
        res->n_missing = i + 1;
    }
    return SV_OK;
}

static sv_status pack_sub(const Survey__V1__Submission *sub,
                          const uint8_t *given, size_t given_len,
                          const uint8_t **packed, size_t *len, uint8_t **owned,
                          sv_error *err);

/* Whether p is the submission whose digest a receipt of schemas 1 to 7
 * keeps: p's packing, digested as it was then. */
static sv_status same_digest(const Survey__Store__V1__Receipt *r,
                             const sv_prepared *p, bool *same, sv_error *err)
{
    const uint8_t *packed = NULL; /* set when pack_sub succeeds (GCC 12 at
                                     -O2 cannot tell) */
    uint8_t *owned;
    size_t len = 0;
    uint8_t digest[DIGEST_BYTES];
    sv_status st = pack_sub(p->sub, NULL, 0, &packed, &len, &owned, err);

    if (st == SV_OK)
        st = digest_packed(p->sub, p->submitter, packed, len, digest, err);
    free(owned);
    *same = st == SV_OK && memcmp(r->digest.data, digest, DIGEST_BYTES) == 0;
    return st;
}

/* Whether p is the submission that made the revision a receipt of schema
 * 8 points to: the same submitter, and the same Submission packed (its
 * survey and respondent from the receipt, the rest from the revision in
 * log at the receipt's sequence). A sequence not in log is a corrupt
 * receipt (at key). */
static sv_status same_revision(sv_store *s, MDB_txn *txn, const MDB_val *key,
                               const Survey__Store__V1__Receipt *r,
                               const sv_prepared *p, bool *same, sv_error *err)
{
    Survey__V1__Submission was = SURVEY__V1__SUBMISSION__INIT;
    Survey__V1__Revision *rev = NULL;
    store_key k;
    MDB_val seq_key;
    MDB_val rec;
    sv_status st;
    int rc;

    *same = false;
    store_key_sequence(&k, r->sequence);
    seq_key = key_val(&k);
    rc = mdb_get(txn, s->log.dbi, &seq_key, &rec);
    if (rc == MDB_NOTFOUND)
        return corrupt(err, &s->receipts, key);
    if (rc != 0)
        return mdb_status(s, rc, "read revision", err);
    st = unpack_revision(&s->log, &seq_key, &rec, &rev, err);
    if (st != SV_OK)
        return st;
    was.survey = r->survey;
    was.respondent = r->respondent;
    was.submission_id = rev->submission_id;
    was.base_revision = rev->base_revision;
    was.n_answers = rev->n_answers;
    was.answers = rev->answers;
    was.note = rev->note;
    size_t a_len = survey__v1__submission__get_packed_size(&was);
    size_t b_len = survey__v1__submission__get_packed_size(p->sub);
    if (strcmp(rev->submitter, p->submitter) == 0 && a_len == b_len) {
        uint8_t *a = malloc(a_len > 0 ? a_len : 1);
        uint8_t *b = malloc(b_len > 0 ? b_len : 1);
        if (a == NULL || b == NULL)
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory (%zu bytes)", a_len);
        else
            *same = survey__v1__submission__pack(&was, a) == a_len &&
                    survey__v1__submission__pack(p->sub, b) == b_len &&
                    memcmp(a, b, a_len) == 0;
        free(a);
        free(b);
    }
    survey__v1__revision__free_unpacked(rev, NULL);
    return st;
}

/* Looks up the receipt of the put's submission_id. SV_OK with
 * res->duplicate set for a retry of the same submission (same content,
 * same submitter), SV_OK alone for a new id, SV_ERR_CONFLICT for the id
 * used again for something else. */
static sv_status check_receipt(sv_store *s, MDB_txn *txn, const sv_prepared *p,
                               sv_put_result *res, sv_error *err)
{
    MDB_val key = key_val(&p->c.receipt);
    MDB_val val;
    Survey__Store__V1__Receipt *r;
    bool same = false;
    sv_status st;
    int rc = mdb_get(txn, s->receipts.dbi, &key, &val);

    if (rc == MDB_NOTFOUND)
        return SV_OK;
    if (rc != 0)
        return mdb_status(s, rc, "read receipt", err);
    r = survey__store__v1__receipt__unpack(NULL, val.mv_size, val.mv_data);
    if (r == NULL)
        return corrupt(err, &s->receipts, &key);
    if (r->digest.len == DIGEST_BYTES)
        st = same_digest(r, p, &same, err);
    else if (r->digest.len == 0)
        st = same_revision(s, txn, &key, r, p, &same, err);
    else
        st = corrupt(err, &s->receipts, &key);
    if (st == SV_OK && !same &&
        strcmp(r->respondent, p->sub->respondent) != 0) {
        /* another respondent's: not named (a respondent's key may not
           learn who else answered, or when) */
        st = sv_fail(err, SV_ERR_CONFLICT,
                     "submission_id %s was used already for another "
                     "respondent's submission; give this one a new id",
                     p->sub->submission_id);
    } else if (st == SV_OK && !same) {
        st = sv_fail(err, SV_ERR_CONFLICT,
                     "submission_id %s already created revision %" PRIu64
                     " of %s/%s with other content or another submitter",
                     p->sub->submission_id, r->revision, r->survey,
                     r->respondent);
    } else if (st == SV_OK) {
        st = copy_missing(res, r->missing, r->n_missing, err);
        if (st == SV_OK) {
            res->duplicate = true;
            res->revision = r->revision;
            res->sequence = r->sequence;
        }
    }
    survey__store__v1__receipt__free_unpacked(r, NULL);
    return st;
}

static sv_status put_val(sv_store *s, MDB_txn *txn, const store_db *db,
                         const store_key *k, MDB_val *val, unsigned flags,
                         sv_error *err)
{
    MDB_val key = key_val(k);
    int rc = mdb_put(txn, db->dbi, &key, val, flags);

    if (rc == MDB_KEYEXIST)
        return corrupt(err, db, &key); /* log or history out of step */
    if (rc != 0)
        return mdb_status(s, rc, db->name, err);
    return SV_OK;
}

/* Packs msg straight into the map (MDB_RESERVE). */
static sv_status put_message(sv_store *s, MDB_txn *txn, const store_db *db,
                             const store_key *k, const ProtobufCMessage *msg,
                             unsigned flags, size_t *bytes, sv_error *err)
{
    MDB_val val = {protobuf_c_message_get_packed_size(msg), NULL};
    sv_status st = put_val(s, txn, db, k, &val, flags | MDB_RESERVE, err);

    if (st != SV_OK)
        return st;
    if (bytes != NULL)
        *bytes += val.mv_size;
    if (protobuf_c_message_pack(msg, val.mv_data) != val.mv_size)
        return sv_fail(err, SV_ERR_STORE, "packing a %s record failed",
                       db->name);
    return SV_OK;
}

/* The records of a put whose numbers are set in c: the head of the
 * revision (fields 1 and 2, packed into head), the change and the
 * receipt, packed (pb_pack.h: protobuf-c's bytes) by the store's two
 * packers, in whose buffers they stay until the next put. */
typedef struct {
    uint8_t head[24];
    size_t head_len;
    const uint8_t *change;
    size_t change_len;
    const uint8_t *receipt;
    size_t receipt_len;
    size_t bytes; /* of every value the put writes */
} put_records;

/* Packs msg with pk (a packer made on first use into *pk). */
static sv_status pack_record(sv_pb_packer **pk, const ProtobufCMessage *msg,
                             const uint8_t **out, size_t *len, sv_error *err)
{
    if (*pk == NULL && (*pk = sv_pb_packer_new()) == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    switch (sv_pb_pack(*pk, msg, out, len)) {
    case SV_PB_OK:
        return SV_OK;
    case SV_PB_NOMEM:
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    default: /* cannot be: test_pb_pack packs every record of ours */
        return sv_fail(err, SV_ERR_STORE,
                       "a %s record has a field the packer does not know",
                       msg->descriptor->short_name);
    }
}

static sv_status records_init(sv_store *s, const sv_prepared *p,
                              const put_ctx *c, put_records *r, sv_error *err)
{
    Survey__V1__Revision head = SURVEY__V1__REVISION__INIT;
    Survey__Store__V1__Change ch = SURVEY__STORE__V1__CHANGE__INIT;
    Survey__Store__V1__Receipt re = SURVEY__STORE__V1__RECEIPT__INIT;
    const uint8_t *bytes;
    sv_status st;

    head.revision = c->revision;
    head.sequence = c->sequence;
    st = pack_record(&s->change_packer, &head.base, &bytes, &r->head_len, err);
    if (st != SV_OK)
        return st;
    if (r->head_len > sizeof r->head) /* two varints: 22 bytes at most */
        return sv_fail(err, SV_ERR_STORE, "a revision's head of %zu bytes",
                       r->head_len);
    memcpy(r->head, bytes, r->head_len);
    ch.survey = p->sub->survey;
    ch.respondent = p->sub->respondent;
    ch.revision = c->revision;
    ch.time_ms = p->time_ms;
    ch.kind = SURVEY__STORE__V1__CHANGE__KIND__ANSWERS;
    st = pack_record(&s->change_packer, &ch.base, &r->change, &r->change_len,
                     err);
    if (st != SV_OK)
        return st;
    /* no digest (schema 8): a retry is compared with the stored revision */
    re.survey = p->sub->survey;
    re.respondent = p->sub->respondent;
    re.revision = c->revision;
    re.sequence = c->sequence;
    re.n_missing = p->n_missing;
    re.missing = p->missing;
    st = pack_record(&s->receipt_packer, &re.base, &r->receipt, &r->receipt_len,
                     err);
    if (st != SV_OK)
        return st;
    r->bytes = r->head_len + p->body_len + COMPACT_PREFIX + r->change_len +
               r->receipt_len + (p->compact != NULL ? p->compact_len : 0);
    return SV_OK;
}

/* Puts len bytes, packed before, under key k. */
static sv_status put_packed(sv_store *s, MDB_txn *txn, const store_db *db,
                            const store_key *k, const uint8_t *bytes,
                            size_t len, unsigned flags, sv_error *err)
{
    MDB_val val = {len, NULL};
    sv_status st = put_val(s, txn, db, k, &val, flags | MDB_RESERVE, err);

    if (st == SV_OK && len > 0)
        memcpy(val.mv_data, bytes, len);
    return st;
}

/* Puts the number of the new current revision and its compact record (or,
 * for a put without one, the number alone, which replaces the record of an
 * earlier revision: a compact record is always the current revision's).
 * With flags MDB_NOOVERWRITE, *taken says that the respondent has one
 * already (and nothing was written). */
static sv_status put_compact(sv_store *s, MDB_txn *txn, const sv_prepared *p,
                             const put_ctx *c, unsigned flags, bool *taken,
                             sv_error *err)
{
    size_t len = p->compact != NULL ? p->compact_len : 0;
    MDB_val val = {COMPACT_PREFIX + len, NULL};
    MDB_val key = key_val(&c->current);
    int rc = mdb_put(txn, s->compact.dbi, &key, &val, flags | MDB_RESERVE);

    *taken = rc == MDB_KEYEXIST && (flags & MDB_NOOVERWRITE) != 0;
    if (*taken)
        return SV_OK;
    if (rc != 0)
        return mdb_status(s, rc, s->compact.name, err);
    store_be64_put(val.mv_data, c->revision);
    if (len > 0)
        memcpy((uint8_t *)val.mv_data + COMPACT_PREFIX, p->compact, len);
    return SV_OK;
}

/* Puts the revision (head r->head, then p->body) under key k. */
static sv_status put_revision(sv_store *s, MDB_txn *txn, const store_db *db,
                              const store_key *k, const sv_prepared *p,
                              const put_records *r, unsigned flags,
                              sv_error *err)
{
    MDB_val val = {r->head_len + p->body_len, NULL};
    sv_status st = put_val(s, txn, db, k, &val, flags | MDB_RESERVE, err);

    if (st != SV_OK)
        return st;
    memcpy(val.mv_data, r->head, r->head_len);
    if (p->body_len > 0)
        memcpy((uint8_t *)val.mv_data + r->head_len, p->body, p->body_len);
    return SV_OK;
}

/* The claim of a first revision (c->claim): its compact value and its
 * receipt, written first, each only if its key is new (MDB_NOOVERWRITE),
 * which is what check_put reads them for: a respondent without a current
 * revision, a submission_id not used before. Either key taken sets
 * c->taken and leaves nothing written (the compact value is deleted
 * again); check_put then says why. Two reads fewer for the common put. */
static sv_status write_claim(sv_store *s, MDB_txn *txn, const sv_prepared *p,
                             put_ctx *c, const put_records *r, sv_error *err)
{
    MDB_val key = key_val(&c->receipt);
    MDB_val val = {r->receipt_len, NULL};
    sv_status st = put_compact(s, txn, p, c, MDB_NOOVERWRITE, &c->taken, err);
    int rc;

    if (st != SV_OK || c->taken)
        return st;
    rc = mdb_put(txn, s->receipts.dbi, &key, &val,
                 MDB_NOOVERWRITE | MDB_RESERVE);
    if (rc == 0) {
        memcpy(val.mv_data, r->receipt, r->receipt_len);
        return SV_OK;
    }
    if (rc != MDB_KEYEXIST)
        return mdb_status(s, rc, s->receipts.name, err);
    c->taken = true;
    key = key_val(&c->current);
    rc = mdb_del(txn, s->compact.dbi, &key, NULL);
    if (rc != 0)
        return mdb_status(s, rc, s->compact.name, err);
    return SV_OK;
}

/* Writes the revision (its record into log, its sequence into the
 * history), its number as the current one with its compact record, the
 * change and the receipt; a claim (write_claim) first. */
static sv_status write_put(sv_store *s, MDB_txn *txn, const sv_prepared *p,
                           put_ctx *c, const put_records *r, sv_error *err)
{
    const Survey__V1__Submission *sub = p->sub;
    store_key rk;
    store_key sk;
    bool taken;
    sv_status st = SV_OK;

    if (!store_key_revision(&rk, sub->survey, sub->respondent, c->revision))
        return key_too_long(err, sub->survey, sub->respondent);
    store_key_sequence(&sk, c->sequence);
    MDB_val seq = {8, sk.buf};
    if (c->claim) {
        st = write_claim(s, txn, p, c, r, err);
        if (st != SV_OK || c->taken)
            return st;
    }
    st = put_val(s, txn, &s->revisions, &rk, &seq, MDB_NOOVERWRITE, err);
    if (st == SV_OK) /* sequences only grow: at the end of log */
        st = put_revision(s, txn, &s->log, &sk, p, r, MDB_APPEND, err);
    if (st == SV_OK && !c->claim)
        st = put_compact(s, txn, p, c, 0, &taken, err);
    if (st == SV_OK)
        st = put_packed(s, txn, &s->changes, &sk, r->change, r->change_len,
                        MDB_APPEND, err);
    if (st == SV_OK && !c->claim)
        st = put_packed(s, txn, &s->receipts, &c->receipt, r->receipt,
                        r->receipt_len, MDB_NOOVERWRITE, err);
    return st;
}

/* Sets the batch's view of the map: its size, the pages in use at the
 * batch's start, and the headroom: a record of a number of overflow pages
 * that grows with the map. */
static sv_status batch_limits(sv_batch *b, sv_error *err)
{
    MDB_envinfo info;
    MDB_stat st;
    size_t pages;
    int rc = mdb_env_info(b->s->env, &info);

    if (rc == 0)
        rc = mdb_env_stat(b->s->env, &st);
    if (rc != 0)
        return mdb_status(b->s, rc, "read environment info", err);
    b->psize = st.ms_psize;
    b->map_pages = info.me_mapsize / st.ms_psize;
    b->base_pages = info.me_last_pgno + 1; /* the batch's base: no other
                                              writer while it is open */
    b->used_pages = 0;
    pages = b->map_pages / HEADROOM_DIV;
    if (pages < HEADROOM_MIN)
        pages = HEADROOM_MIN;
    if (pages > HEADROOM_MAX)
        pages = HEADROOM_MAX;
    b->headroom_pages = pages;
    b->headroom = pages * st.ms_psize - 64; /* page header: still `pages` */
    return SV_OK;
}

/* An upper bound of the pages that writes of `bytes` of values to the
 * databases dbs[0..n) may have taken from the end of the map in txn: per
 * write the path from root to leaf copied, a split at every level and a
 * rebalanced neighbour, plus the overflow pages of the values. Pages taken
 * from the free list only make it more generous. SIZE_MAX / 4 (forcing the
 * probe) if a database cannot be read. */
static size_t write_pages(sv_batch *b, MDB_txn *txn, const store_db *const *dbs,
                          size_t n, size_t bytes)
{
    size_t pages = bytes / b->psize + n;

    for (size_t i = 0; i < n; i++) {
        MDB_stat st;
        if (mdb_stat(txn, dbs[i]->dbi, &st) != 0)
            return SIZE_MAX / 4;
        pages += 3 * (size_t)st.ms_depth + 2;
    }
    return pages;
}

/* The commit of the batch needs free pages of its own (LMDB records the
 * pages the batch freed). A put that used them up would make the whole
 * batch fail at commit, so each put makes sure that a record of
 * b->headroom bytes still fits after it. Cheaply when arithmetic proves
 * it: the pages in use at the batch's start, plus an upper bound of those
 * its nested transactions took (pages, this one's), plus the headroom and
 * the commit's own needs, within the map. Otherwise (near a full map) by
 * proof: in a transaction aborted at once, the record is written. */
static sv_status check_headroom(sv_batch *b, MDB_txn *txn, size_t pages,
                                sv_error *err)
{
    sv_store *s = b->s;
    MDB_val key = {8, (void *)"headroom"};
    MDB_val val = {b->headroom, NULL};
    MDB_txn *probe;
    size_t need = b->base_pages + b->used_pages + pages + b->headroom_pages +
                  COMMIT_SLACK;
    int rc;

    if (pages < SIZE_MAX / 4 && need <= b->map_pages)
        return SV_OK;
    rc = mdb_txn_begin(s->env, txn, 0, &probe);
    if (rc != 0)
        return mdb_status(s, rc, "begin headroom probe", err);
    rc = mdb_put(probe, s->meta.dbi, &key, &val, MDB_RESERVE);
    mdb_txn_abort(probe);
    if (rc != 0)
        return mdb_status(s, rc, "headroom probe", err);
    return SV_OK;
}

/* Adds the pages of a committed nested transaction to the batch's. */
static void count_pages(sv_batch *b, size_t pages)
{
    if (pages >= SIZE_MAX / 4 || b->used_pages > SIZE_MAX / 4)
        b->used_pages = SIZE_MAX / 4; /* unknown: probe from now on */
    else
        b->used_pages += pages;
}

/* The last sequence in the batch's transaction: the last one it wrote,
 * else the last one committed when it began. */
static uint64_t batch_last(const sv_batch *b)
{
    return b->last_seq != 0 ? b->last_seq : b->base_seq;
}

/* Everything a put checks before writing: a duplicate (res->duplicate), a
 * stale base revision, and the numbers of the new revision (into c): the
 * sequence after last, the last one in txn. */
static sv_status check_put(sv_store *s, MDB_txn *txn, const sv_prepared *p,
                           uint64_t last, put_ctx *c, sv_put_result *res,
                           sv_error *err)
{
    uint64_t current;
    sv_status st = check_receipt(s, txn, p, res, err);

    if (st != SV_OK || res->duplicate)
        return st;
    st = current_number(s, txn, &c->current, &current, err);
    if (st != SV_OK)
        return st;
    if (p->sub->base_revision != current) {
        res->current_revision = current;
        return sv_fail(err, SV_ERR_CONFLICT,
                       "base_revision %" PRIu64 " is %s: current revision is "
                       "%" PRIu64,
                       p->sub->base_revision,
                       p->sub->base_revision > current ? "ahead (no such "
                                                         "revision)"
                                                       : "stale",
                       current);
    }
    c->revision = current + 1;
    c->sequence = last + 1;
    return SV_OK;
}

void sv_put_result_clear(sv_put_result *res)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < res->n_missing; i++)
        free(res->missing[i]);
    free(res->missing);
    memset(res, 0, sizeof *res);
}

static sv_status batch_begin(sv_store *s, bool careful, sv_batch **out,
                             sv_error *err)
{
    sv_batch *b;
    sv_status st;

    *out = NULL;
    if (s->read_only)
        return sv_fail(err, SV_ERR_INVALID, "the store is open read-only");
    if (s->in_batch)
        return sv_fail(err, SV_ERR_INVALID,
                       "a batch is already open on this store handle");
    b = calloc(1, sizeof *b);
    if (b == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (batch)");
    st = txn_begin(s, 0, &b->txn, err);
    if (st != SV_OK)
        goto fail;
    b->s = s;
    st = batch_limits(b, err); /* after a map resize */
    if (st == SV_OK)           /* the batch numbers its changes from there */
        st = last_sequence(s, b->txn, &b->base_seq, err);
    if (st != SV_OK)
        goto fail;
    b->careful = careful;
    s->in_batch = true;
    *out = b;
    return SV_OK;
fail:
    if (b->txn != NULL)
        mdb_txn_abort(b->txn);
    free(b);
    return st;
}

sv_status sv_batch_begin(sv_store *s, sv_batch **out, sv_error *err)
{
    return batch_begin(s, false, out, err);
}

sv_status sv_batch_begin_careful(sv_store *s, sv_batch **out, sv_error *err)
{
    return batch_begin(s, true, out, err);
}

/* A field of the submission that survey.proto does not define (protobuf-c
 * keeps them when it unpacks a newer client's message, and packs them
 * again): a revision holding one could not be read back (revision_codec.c
 * refuses it as corrupt), so it is refused here, before anything is
 * written. */
static sv_status refuse_unknown_fields(const Survey__V1__Submission *sub,
                                       sv_error *err)
{
    if (sub->base.n_unknown_fields > 0)
        return sv_fail(err, SV_ERR_INVALID,
                       "the submission carries field %u, which survey.v1."
                       "Submission does not define; nothing was written",
                       sub->base.unknown_fields[0].tag);
    for (size_t i = 0; i < sub->n_answers; i++) {
        const Survey__V1__Answer *a = sub->answers[i];
        const ProtobufCMessage *m = NULL;
        if (a != NULL && a->base.n_unknown_fields > 0)
            m = &a->base;
        else if (a != NULL &&
                 a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICES &&
                 a->choices != NULL && a->choices->base.n_unknown_fields > 0)
            m = &a->choices->base;
        if (m != NULL)
            return sv_fail(err, SV_ERR_INVALID,
                           "answer %zu carries field %u, which %s does not "
                           "define; nothing was written",
                           i + 1, m->unknown_fields[0].tag,
                           m->descriptor->name);
    }
    return SV_OK;
}

/* The submission as protobuf-c packs it, once: its answers are copied
 * from these bytes. The caller's bytes (given) when it has them; else
 * packed here, by submission_pack.c when it can (the same bytes as
 * protobuf-c), into *owned, which the caller frees (NULL otherwise). */
static sv_status pack_sub(const Survey__V1__Submission *sub,
                          const uint8_t *given, size_t given_len,
                          const uint8_t **packed, size_t *len, uint8_t **owned,
                          sv_error *err)
{
    bool own;

    *owned = NULL;
    if (given != NULL) {
        *packed = given;
        *len = given_len;
        return SV_OK;
    }
    own = sv_submission_packed_size(sub, len);
    if (!own) {
        sv_status st = refuse_unknown_fields(sub, err);
        if (st != SV_OK)
            return st;
        *len = survey__v1__submission__get_packed_size(sub);
    }
    *owned = malloc(*len > 0 ? *len : 1);
    if (*owned == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (%zu bytes)", *len);
    if ((own ? sv_submission_pack(sub, *owned)
             : survey__v1__submission__pack(sub, *owned)) != *len) {
        free(*owned);
        *owned = NULL;
        return sv_fail(err, SV_ERR_STORE, "packing a submission failed");
    }
    *packed = *owned;
    return SV_OK;
}

sv_status sv_put_prepare(const sv_put *put, sv_prepared **out, sv_error *err)
{
    Survey__V1__Revision rev = SURVEY__V1__REVISION__INIT;
    Survey__V1__Revision tail = SURVEY__V1__REVISION__INIT;
    const uint8_t *packed = NULL;
    uint8_t *owned;
    size_t packed_len = 0;
    size_t answers_len;
    size_t head_len;
    size_t tail_len;
    const Survey__V1__Submission *sub;
    sv_prepared *p;
    put_ctx c;
    uint8_t *plain;
    size_t plain_len;
    size_t body_cap;
    size_t strings = 0;
    size_t size;
    uint8_t *at;
    sv_status st;

    *out = NULL;
    st = check_put_args(put, &c, err);
    if (st != SV_OK)
        return st;
    sub = put->sub;
    st = pack_sub(sub, put->packed, put->packed_len, &packed, &packed_len,
                  &owned, err);
    if (st != SV_OK)
        return st;
    /* fields 3..7, then the answers (8), then the missing list (9) */
    rev.time_ms = put->time_ms;
    rev.submitter = (char *)submitter_of(put);
    rev.note = sub->note;
    rev.submission_id = sub->submission_id;
    rev.base_revision = sub->base_revision;
    tail.n_missing = put->n_missing;
    tail.missing = (char **)put->missing;
    head_len = survey__v1__revision__get_packed_size(&rev);
    tail_len = survey__v1__revision__get_packed_size(&tail);
    /* the answers are at most the packed submission's bytes: they are
       copied in one pass, without counting them first */
    plain = malloc(head_len + packed_len + tail_len + 1);
    if (plain == NULL) {
        free(owned);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (%zu bytes)",
                       head_len + packed_len + tail_len + 1);
    }
    answers_len = copy_answers(packed, packed_len, plain + head_len);
    free(owned);
    if (answers_len == SIZE_MAX) {
        free(plain);
        return sv_fail(err, SV_ERR_STORE, "packing a submission failed");
    }
    survey__v1__revision__pack(&rev, plain);
    survey__v1__revision__pack(&tail, plain + head_len + answers_len);
    plain_len = head_len + answers_len + tail_len;
    for (size_t i = 0; i < put->n_missing; i++)
        strings += strlen(put->missing[i]) + 1;
    strings += strlen(rev.submitter) + 1;
    body_cap = sv_revision_tail_bound(plain_len);
    size = sizeof *p + put->n_missing * sizeof(char *) + body_cap +
           (put->compact != NULL ? put->compact_len : 0) + strings;
    p = malloc(size);
    if (p == NULL) {
        free(plain);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (%zu bytes)", size);
    }
    p->sub = sub;
    p->time_ms = put->time_ms;
    p->c = c;
    at = (uint8_t *)(p + 1);
    p->missing = (char **)at;
    p->n_missing = put->n_missing;
    at += put->n_missing * sizeof(char *);
    p->body = at;
    st = sv_revision_tail_encode(plain, plain_len, p->body, &p->body_len, err);
    free(plain);
    if (st != SV_OK) {
        free(p);
        return st;
    }
    at += body_cap;
    p->compact = NULL;
    p->compact_len = 0;
    if (put->compact != NULL) {
        p->compact = at;
        p->compact_len = put->compact_len;
        if (put->compact_len > 0)
            memcpy(at, put->compact, put->compact_len);
        at += put->compact_len;
    }
    for (size_t i = 0; i < put->n_missing; i++) {
        size_t len = strlen(put->missing[i]) + 1;
        memcpy(at, put->missing[i], len);
        p->missing[i] = (char *)at;
        at += len;
    }
    memcpy(at, rev.submitter, strlen(rev.submitter) + 1);
    p->submitter = (const char *)at;
    *out = p;
    return SV_OK;
}

void sv_prepared_free(sv_prepared **p)
{
    if (p == NULL)
        return;
    free(*p);
    *p = NULL;
}

/* The put in a nested transaction: a failure leaves the batch as it was.
 * Needed near a full map, where only a trial write proves that the batch
 * can still commit. */
static sv_status put_nested(sv_batch *b, const sv_prepared *p, put_ctx *c,
                            const put_records *r, sv_error *err)
{
    const store_db *const dbs[] = {&b->s->revisions, &b->s->log, &b->s->compact,
                                   &b->s->changes, &b->s->receipts};
    MDB_txn *child;
    size_t pages;
    sv_status st;
    int rc = mdb_txn_begin(b->s->env, b->txn, 0, &child);

    if (rc != 0)
        return mdb_status(b->s, rc, "begin nested transaction", err);
    st = write_put(b->s, child, p, c, r, err);
    if (st != SV_OK || c->taken) { /* a failed claim: nothing to keep */
        mdb_txn_abort(child);
        return st;
    }
    pages = write_pages(b, child, dbs, sizeof dbs / sizeof dbs[0], r->bytes);
    st = check_headroom(b, child, pages, err);
    if (st != SV_OK) {
        mdb_txn_abort(child);
        return st;
    }
    rc = mdb_txn_commit(child); /* frees child, also on failure */
    if (rc != 0)
        return mdb_status(b->s, rc, "commit nested transaction", err);
    count_pages(b, pages);
    return SV_OK;
}

/* The put straight in the batch's transaction, when arithmetic proves it
 * leaves the headroom (see check_headroom): the common case, and much
 * cheaper than a nested transaction, which copies every page it touches
 * that the batch has already made dirty. A failed write (corruption, I/O,
 * memory) then breaks the batch. */
static sv_status put_direct(sv_batch *b, const sv_prepared *p, put_ctx *c,
                            const put_records *r, size_t pages, sv_error *err)
{
    sv_status st = write_put(b->s, b->txn, p, c, r, err);

    if (st != SV_OK) {
        b->broken = true;
        return st;
    }
    count_pages(b, pages);
    return SV_OK;
}

/* Whether a put of `pages` at most fits in the map with the headroom,
 * by arithmetic alone. */
static bool fits(const sv_batch *b, size_t pages)
{
    return pages < SIZE_MAX / 4 && b->used_pages < SIZE_MAX / 4 &&
           b->base_pages + b->used_pages + pages + b->headroom_pages +
                   COMMIT_SLACK <=
               b->map_pages;
}

/* Keeps the compact value the put wrote (c->revision, then p's record)
 * for the scan mirror, which the commit writes. Out of memory, the mirror
 * is left behind (mirror_failed). */
static void mirror_note(sv_batch *b, const sv_prepared *p, const put_ctx *c)
{
    size_t rec = p->compact != NULL ? p->compact_len : 0;
    size_t need = 2 + c->current.len + 8 + 4 + COMPACT_PREFIX + rec;
    uint8_t *q;

    if (b->s->mirror == NULL || b->s->mirror_stale)
        return;
    if (b->mirror_len + need > b->mirror_cap) {
        size_t cap = b->mirror_cap > 0 ? b->mirror_cap * 2 : 64 * 1024;
        while (cap < b->mirror_len + need)
            cap *= 2;
        q = realloc(b->mirror, cap);
        if (q == NULL) {
            sv_error e;
            sv_fail(&e, SV_ERR_NOMEM, "out of memory (scan mirror puts)");
            mirror_failed(b->s, &e);
            return;
        }
        b->mirror = q;
        b->mirror_cap = cap;
    }
    q = b->mirror + b->mirror_len;
    q[0] = (uint8_t)(c->current.len >> 8);
    q[1] = (uint8_t)c->current.len;
    memcpy(q + 2, c->current.buf, c->current.len);
    q += 2 + c->current.len;
    store_be64_put(q, c->sequence);
    q[8] = (uint8_t)((COMPACT_PREFIX + rec) >> 24);
    q[9] = (uint8_t)((COMPACT_PREFIX + rec) >> 16);
    q[10] = (uint8_t)((COMPACT_PREFIX + rec) >> 8);
    q[11] = (uint8_t)(COMPACT_PREFIX + rec);
    store_be64_put(q + 12, c->revision);
    if (rec > 0)
        memcpy(q + 12 + COMPACT_PREFIX, p->compact, rec);
    b->mirror_len += need;
}

/* Writes the batch's puts into the mirror's transaction mtxn. */
static sv_status mirror_apply(sv_batch *b, MDB_txn *mtxn, uint64_t base,
                              sv_error *err)
{
    const uint8_t *q = b->mirror;
    const uint8_t *end = b->mirror + b->mirror_len;
    sv_status st = SV_OK;

    while (st == SV_OK && q < end) {
        MDB_val key = {((size_t)q[0] << 8) | q[1], (void *)(q + 2)};
        const uint8_t *r = q + 2 + key.mv_size;
        size_t len = ((size_t)r[8] << 24) | ((size_t)r[9] << 16) |
                     ((size_t)r[10] << 8) | r[11];
        st = sv_mirror_put(b->s->mirror, mtxn, &key, store_be64_get(r), r + 12,
                           len, 0, err);
        q = r + 12 + len;
    }
    if (st == SV_OK)
        st = sv_mirror_set_marks(b->s->mirror, mtxn, b->last_seq, base, err);
    return st;
}

static sv_status walk_changes(sv_store *s, MDB_cursor *cur, uint64_t first,
                              size_t max, sv_change_fn fn, void *ctx,
                              sv_error *err);

/* LMDB's default key order: bytes, then the shorter first. */
static int key_order(const void *a, size_t alen, const void *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

typedef struct {
    MDB_val *keys; /* malloc'd, each key's bytes too */
    size_t n;
    size_t cap;
    const char *survey;
    bool nomem;
} gap_keys;

/* Collects the compact keys of the survey's ANSWERS changes. */
static int gap_change(void *ctx, uint64_t sequence,
                      const Survey__Store__V1__Change *ch)
{
    gap_keys *g = ctx;
    store_key k;

    (void)sequence;
    if (ch->kind != SURVEY__STORE__V1__CHANGE__KIND__ANSWERS ||
        ch->survey == NULL || ch->respondent == NULL ||
        (g->survey != NULL && strcmp(g->survey, ch->survey) != 0) ||
        !store_key_pair(&k, ch->survey, ch->respondent))
        return 0;
    if (g->n == g->cap) {
        size_t cap = g->cap > 0 ? g->cap * 2 : 64;
        MDB_val *keys = realloc(g->keys, cap * sizeof *keys);
        if (keys == NULL) {
            g->nomem = true;
            return 1;
        }
        g->keys = keys;
        g->cap = cap;
    }
    g->keys[g->n].mv_data = malloc(k.len);
    if (g->keys[g->n].mv_data == NULL) {
        g->nomem = true;
        return 1;
    }
    memcpy(g->keys[g->n].mv_data, k.buf, k.len);
    g->keys[g->n].mv_size = k.len;
    g->n++;
    return 0;
}

static int val_order(const void *a, const void *b)
{
    const MDB_val *x = a;
    const MDB_val *y = b;

    return key_order(x->mv_data, x->mv_size, y->mv_data, y->mv_size);
}

static void gap_free(gap_keys *g)
{
    for (size_t k = 0; k < g->n; k++)
        free(g->keys[k].mv_data);
    free(g->keys);
}

/* The keys of the survey's records (any survey's when survey is NULL)
 * written by the changes after `after` that the view sees, sorted and once
 * each. */
static sv_status gap_collect(sv_view *v, const char *survey, uint64_t after,
                             gap_keys *g, sv_error *err)
{
    MDB_cursor *cur;
    sv_status st;
    size_t n = 0;
    int rc = mdb_cursor_open(v->txn, v->s->changes.dbi, &cur);

    g->survey = survey;
    if (rc != 0)
        return mdb_status(v->s, rc, "open change-log cursor", err);
    st = walk_changes(v->s, cur, after + 1, 0, gap_change, g, err);
    mdb_cursor_close(cur);
    if (st == SV_OK && g->nomem)
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory (scan)");
    if (st != SV_OK)
        return st;
    qsort(g->keys, g->n, sizeof *g->keys, val_order);
    for (size_t k = 0; k < g->n; k++) {
        if (n > 0 && val_order(&g->keys[n - 1], &g->keys[k]) == 0) {
            free(g->keys[k].mv_data);
            continue;
        }
        g->keys[n++] = g->keys[k];
    }
    g->n = n;
    return SV_OK;
}

/* Copies into the mirror the store's values (as the batch sees them) of
 * the records changed after the mirror's `through` and before the batch:
 * changes it missed (a process that died between its two commits, an
 * older build). They get the batch's last sequence, which is later than
 * theirs: a scan of a view before it reads them from the view. */
static sv_status mirror_catch_up(sv_batch *b, MDB_txn *mtxn, uint64_t through,
                                 sv_error *err)
{
    sv_view v = {.s = b->s, .txn = b->txn};
    gap_keys g = {0};
    sv_status st = gap_collect(&v, NULL, through, &g, err);

    for (size_t k = 0; st == SV_OK && k < g.n; k++) {
        MDB_val val;
        int rc = mdb_get(b->txn, b->s->compact.dbi, &g.keys[k], &val);
        if (rc == MDB_NOTFOUND)
            continue;
        if (rc != 0)
            st = mdb_status(b->s, rc, "read compact record", err);
        else
            st = sv_mirror_put(b->s->mirror, mtxn, &g.keys[k], b->last_seq,
                               val.mv_data, val.mv_size, 0, err);
    }
    gap_free(&g);
    return st;
}

/* Begins the mirror's write transaction (while the batch still holds the
 * store's write lock, so mirror commits come in the store's order) and
 * writes the batch into it, after the changes it missed, if any. A
 * mirror being rebuilt (unbuilt) is left to its builder; one more than
 * MIRROR_GAP_MAX changes behind, or ahead of the store, is marked unbuilt:
 * the next read-write open rebuilds it. *mtxn is NULL when there is
 * nothing to commit. */
static sv_status mirror_write(sv_batch *b, MDB_txn **mtxn, sv_error *err)
{
    sv_store *s = b->s;
    uint64_t through = 0;
    uint64_t base = 0;
    sv_status st =
        sv_mirror_begin(s->mirror, false, mtxn, &through, &base, err);

    if (st != SV_OK)
        return st;
    if (base == SV_MIRROR_UNBUILT) {
        mdb_txn_abort(*mtxn);
        *mtxn = NULL;
        return SV_OK;
    }
    if (through > b->base_seq || b->base_seq - through > MIRROR_GAP_MAX) {
        st = sv_mirror_set_marks(s->mirror, *mtxn, 0, SV_MIRROR_UNBUILT, err);
    } else {
        if (through < b->base_seq)
            st = mirror_catch_up(b, *mtxn, through, err);
        if (st == SV_OK)
            st = mirror_apply(b, *mtxn, base, err);
    }
    if (st != SV_OK) {
        mdb_txn_abort(*mtxn);
        *mtxn = NULL;
    }
    return st;
}

/* check_put for the batch b; on an error, res keeps only the current
 * revision that a stale base reports. */
static sv_status checked(sv_batch *b, const sv_prepared *p, put_ctx *c,
                         sv_put_result *res, sv_error *err)
{
    sv_status st = check_put(b->s, b->txn, p, batch_last(b), c, res, err);

    if (st != SV_OK) {
        uint64_t current = res->current_revision;
        sv_put_result_clear(res);
        res->current_revision = current; /* set by a stale base only */
    }
    return st;
}

sv_status sv_batch_put_prepared(sv_batch *b, const sv_prepared *p,
                                sv_put_result *res, sv_error *err)
{
    put_ctx c;
    put_records r;
    size_t pages;
    sv_status st;

    memset(res, 0, sizeof *res);
    if (b == NULL || p == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no batch or no put");
    if (b->broken)
        return sv_fail(err, SV_ERR_STORE,
                       "the batch was broken by a failed write: abort it");
    c = p->c;
    /* a first revision is checked by its writes (write_claim); any other
       by reading first */
    c.claim = p->sub->base_revision == 0;
    c.taken = false;
    if (c.claim) {
        c.revision = 1;
        c.sequence = batch_last(b) + 1;
    } else {
        st = checked(b, p, &c, res, err);
        if (st != SV_OK || res->duplicate)
            return st;
    }
    st = copy_missing(res, p->missing, p->n_missing, err);
    if (st != SV_OK)
        return st;
    st = records_init(b->s, p, &c, &r, err);
    if (st != SV_OK) {
        sv_put_result_clear(res);
        return st;
    }
    if (!b->careful) {
        const store_db *const dbs[] = {&b->s->revisions, &b->s->log,
                                       &b->s->compact, &b->s->changes,
                                       &b->s->receipts};
        /* the depth before the writes: a split adds a level, which the
           bound's split per level covers */
        pages =
            write_pages(b, b->txn, dbs, sizeof dbs / sizeof dbs[0], r.bytes);
        if (fits(b, pages))
            st = put_direct(b, p, &c, &r, pages, err);
        else
            st = put_nested(b, p, &c, &r, err);
    } else {
        st = put_nested(b, p, &c, &r, err);
    }
    if (st != SV_OK) {
        sv_put_result_clear(res);
        return st;
    }
    if (c.taken) {
        /* the respondent has a revision, or the submission_id was used:
           nothing was written, and the reads say which (a retry, a stale
           base, an id used for something else) */
        sv_put_result_clear(res);
        c.claim = false;
        st = checked(b, p, &c, res, err);
        if (st != SV_OK || res->duplicate)
            return st;
        sv_put_result_clear(res);
        return sv_fail(err, SV_ERR_STORE,
                       "store out of step: the compact record or the receipt "
                       "of %s (%s) exists, but neither a revision nor the "
                       "receipt says so",
                       p->sub->respondent, p->sub->submission_id);
    }
    b->last_seq = c.sequence;
    mirror_note(b, p, &c);
    res->revision = c.revision;
    res->sequence = c.sequence;
    return SV_OK;
}

sv_status sv_batch_put(sv_batch *b, const sv_put *put, sv_put_result *res,
                       sv_error *err)
{
    sv_prepared *p = NULL;
    sv_status st;

    memset(res, 0, sizeof *res);
    if (b == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no batch");
    st = sv_put_prepare(put, &p, err);
    if (st == SV_OK)
        st = sv_batch_put_prepared(b, p, res, err);
    sv_prepared_free(&p);
    return st;
}

bool sv_batch_broken(const sv_batch *b)
{
    return b != NULL && b->broken;
}

/* Appends the control entry as the batch's next sequence inside txn (a
 * transaction nested in the batch's). */
static sv_status put_control(sv_batch *b, MDB_txn *txn, const char *survey,
                             sv_change_kind kind, const char *requester,
                             int64_t time_ms, uint64_t *sequence, size_t *pages,
                             sv_error *err)
{
    const store_db *const dbs[] = {&b->s->changes};
    Survey__Store__V1__Change ch = SURVEY__STORE__V1__CHANGE__INIT;
    store_key k;
    uint64_t last = batch_last(b);
    size_t bytes = 0;
    sv_status st;

    ch.survey = (char *)survey;
    ch.time_ms = time_ms;
    ch.kind = kind == SV_CHANGE_RERUN
                  ? SURVEY__STORE__V1__CHANGE__KIND__RERUN
                  : SURVEY__STORE__V1__CHANGE__KIND__SNAPSHOT;
    ch.requester = (char *)(requester != NULL ? requester : "");
    store_key_sequence(&k, last + 1);
    st = put_message(b->s, txn, &b->s->changes, &k, &ch.base, MDB_APPEND,
                     &bytes, err);
    if (st == SV_OK) {
        *pages = write_pages(b, txn, dbs, 1, bytes);
        st = check_headroom(b, txn, *pages, err);
    }
    if (st == SV_OK)
        *sequence = last + 1;
    return st;
}

sv_status sv_batch_control(sv_batch *b, const char *survey, sv_change_kind kind,
                           const char *requester, int64_t time_ms,
                           uint64_t *sequence, sv_error *err)
{
    MDB_txn *child;
    uint64_t seq = 0;
    size_t pages = 0;
    sv_status st;
    int rc;

    *sequence = 0;
    if (b == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no batch");
    if (b->broken)
        return sv_fail(err, SV_ERR_STORE,
                       "the batch was broken by a failed write: abort it");
    if (survey == NULL || survey[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty survey");
    if (kind != SV_CHANGE_RERUN && kind != SV_CHANGE_SNAPSHOT)
        return sv_fail(err, SV_ERR_INVALID,
                       "change kind %d is not a control entry", (int)kind);
    rc = mdb_txn_begin(b->s->env, b->txn, 0, &child);
    if (rc != 0)
        return mdb_status(b->s, rc, "begin nested transaction", err);
    st = put_control(b, child, survey, kind, requester, time_ms, &seq, &pages,
                     err);
    if (st != SV_OK) {
        mdb_txn_abort(child);
        return st;
    }
    rc = mdb_txn_commit(child); /* frees child, also on failure */
    if (rc != 0)
        return mdb_status(b->s, rc, "commit nested transaction", err);
    count_pages(b, pages);
    b->last_seq = seq;
    *sequence = seq;
    return SV_OK;
}

sv_status sv_batch_commit(sv_batch **bp, sv_error *err)
{
    sv_batch *b;
    sv_store *s;
    MDB_txn *mtxn = NULL;
    int rc;

    if (bp == NULL || *bp == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no batch to commit");
    b = *bp;
    s = b->s;
    if (b->broken) {
        sv_batch_abort(bp);
        return sv_fail(err, SV_ERR_STORE,
                       "nothing of the batch was written: a failed write "
                       "broke it");
    }
    if (s->mirror != NULL && !s->mirror_stale && b->last_seq != 0) {
        sv_error merr;
        if (mirror_write(b, &mtxn, &merr) != SV_OK)
            mirror_failed(s, &merr);
    }
    rc = mdb_txn_commit(b->txn); /* frees the transaction either way */
    if (mtxn != NULL && rc != 0)
        mdb_txn_abort(mtxn);
    if (mtxn != NULL && rc == 0) {
        sv_error merr;
        if (sv_mirror_commit(s->mirror, mtxn, &merr) != SV_OK)
            mirror_failed(s, &merr);
    }
    s->in_batch = false;
    free(b->mirror);
    free(b);
    *bp = NULL;
    if (rc != 0)
        return mdb_status(s, rc, "commit", err);
    return SV_OK;
}

sv_status sv_store_sync(sv_store *s, sv_error *err)
{
    int rc;

    if (s->read_only)
        return sv_fail(err, SV_ERR_INVALID, "the store is open read-only");
    /* force: a plain fdatasync of the data file, meta pages included */
    rc = mdb_env_sync(s->env, 1);
    if (rc != 0)
        return sv_fail(err, SV_ERR_IO, "flush of the store: %s",
                       mdb_strerror(rc));
    return SV_OK;
}

void sv_batch_abort(sv_batch **bp)
{
    if (bp == NULL || *bp == NULL)
        return;
    mdb_txn_abort((*bp)->txn);
    (*bp)->s->in_batch = false;
    free((*bp)->mirror);
    free(*bp);
    *bp = NULL;
}

/* ---- read views ------------------------------------------------------- */

static sv_status view_open(sv_store *s, sv_view *v, sv_error *err)
{
    sv_status st = txn_begin(s, MDB_RDONLY, &v->txn, err);

    if (st != SV_OK)
        return st;
    v->s = s;
    s->views++;
    return SV_OK;
}

static void view_close(sv_view *v)
{
    mdb_txn_abort(v->txn);
    v->s->views--;
}

sv_status sv_view_begin(sv_store *s, sv_view **out, sv_error *err)
{
    sv_view *v;
    sv_status st;

    *out = NULL;
    v = calloc(1, sizeof *v);
    if (v == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (view)");
    st = view_open(s, v, err);
    if (st != SV_OK) {
        free(v);
        return st;
    }
    *out = v;
    return SV_OK;
}

void sv_view_end(sv_view **v)
{
    if (v == NULL || *v == NULL)
        return;
    view_close(*v);
    free(*v);
    *v = NULL;
}

sv_status sv_view_current(sv_view *v, const char *survey,
                          const char *respondent, Survey__V1__Revision **out,
                          sv_error *err)
{
    store_key k;
    uint64_t revision;
    sv_status st;

    *out = NULL;
    st = check_names(survey, respondent, err);
    if (st != SV_OK)
        return st;
    if (!store_key_pair(&k, survey, respondent))
        return key_too_long(err, survey, respondent);
    st = current_number(v->s, v->txn, &k, &revision, err);
    if (st == SV_OK && revision == 0)
        return sv_fail(err, SV_ERR_NOT_FOUND, "nothing stored for %s/%s",
                       survey, respondent);
    if (st != SV_OK)
        return st;
    if (!store_key_revision(&k, survey, respondent, revision))
        return key_too_long(err, survey, respondent);
    st = get_revision(v->s, v->txn, &k, out, err);
    if (st == SV_ERR_NOT_FOUND) /* current and history out of step */
        return sv_fail(err, SV_ERR_STORE,
                       "corrupt store: current revision %" PRIu64
                       " of %s/%s is not in revisions",
                       revision, survey, respondent);
    return st;
}

sv_status sv_view_last_sequence(sv_view *v, uint64_t *seq, sv_error *err)
{
    return last_sequence(v->s, v->txn, seq, err);
}

/* Calls fn for the changes from the cursor's position on. */
static sv_status walk_changes(sv_store *s, MDB_cursor *cur, uint64_t first,
                              size_t max, sv_change_fn fn, void *ctx,
                              sv_error *err)
{
    store_key k;
    MDB_val key;
    MDB_val val;
    Survey__Store__V1__Change *ch;
    size_t done = 0;
    int rc;

    store_key_sequence(&k, first);
    key = key_val(&k);
    rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    while (rc == 0 && (max == 0 || done < max)) {
        if (key.mv_size != 8)
            return corrupt(err, &s->changes, &key);
        ch = survey__store__v1__change__unpack(NULL, val.mv_size, val.mv_data);
        if (ch == NULL)
            return corrupt(err, &s->changes, &key);
        int stop = fn(ctx, store_be64_get(key.mv_data), ch);
        survey__store__v1__change__free_unpacked(ch, NULL);
        done++;
        if (stop != 0)
            return SV_OK;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return mdb_status(s, rc, "read change log", err);
    return SV_OK;
}

sv_status sv_view_changes(sv_view *v, uint64_t after, size_t max,
                          sv_change_fn fn, void *ctx, sv_error *err)
{
    MDB_cursor *cur;
    sv_status st;
    int rc;

    if (fn == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no change callback");
    if (after == UINT64_MAX)
        return SV_OK;
    rc = mdb_cursor_open(v->txn, v->s->changes.dbi, &cur);
    if (rc != 0)
        return mdb_status(v->s, rc, "open change-log cursor", err);
    st = walk_changes(v->s, cur, after + 1, max, fn, ctx, err);
    mdb_cursor_close(cur);
    return st;
}

sv_status sv_view_compact(sv_view *v, const char *survey,
                          const char *respondent, uint64_t *revision,
                          const uint8_t **data, size_t *len, sv_error *err)
{
    store_key k;
    MDB_val key;
    MDB_val val;
    sv_status st;
    int rc;

    *revision = 0;
    *data = NULL;
    *len = 0;
    st = check_names(survey, respondent, err);
    if (st != SV_OK)
        return st;
    if (!store_key_pair(&k, survey, respondent))
        return key_too_long(err, survey, respondent);
    key = key_val(&k);
    rc = mdb_get(v->txn, v->s->compact.dbi, &key, &val);
    if (rc == MDB_NOTFOUND)
        return sv_fail(err, SV_ERR_NOT_FOUND, "no compact record for %s/%s",
                       survey, respondent);
    if (rc != 0)
        return mdb_status(v->s, rc, "read compact record", err);
    if (val.mv_size < COMPACT_PREFIX)
        return corrupt(err, &v->s->compact, &key);
    if (val.mv_size == COMPACT_PREFIX) /* a current revision, no record */
        return sv_fail(err, SV_ERR_NOT_FOUND, "no compact record for %s/%s",
                       survey, respondent);
    *revision = store_be64_get(val.mv_data);
    *data = (const uint8_t *)val.mv_data + COMPACT_PREFIX;
    *len = val.mv_size - COMPACT_PREFIX;
    return SV_OK;
}

sv_status sv_store_drop_pages(sv_store *s, sv_error *err)
{
    sv_status st = sv_map_pages_drop(s->env, &s->map, err);

    if (st == SV_OK && s->mirror != NULL)
        st = sv_mirror_drop_pages(s->mirror, err);
    return st;
}

/* memcmp of the short keys of a scan, without a call per record. */
static int key_cmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a;
    const unsigned char *y = b;

    for (size_t k = 0; k < n; k++) {
        if (x[k] != y[k])
            return x[k] < y[k] ? -1 : 1;
    }
    return 0;
}

/* ---- scanning the mirror ------------------------------------------------ */

typedef struct {
    sv_view *v;
    const store_key *prefix;
    const char *to;
    size_t to_len;
    sv_compact_fn fn;
    void *ctx;
    bool stop; /* fn asked to stop, or the range ended */
} scan_out;

/* Whether the key (under the prefix) is at or past the range's end. */
static bool past_end(const scan_out *o, const MDB_val *key)
{
    const char *name = (const char *)key->mv_data + o->prefix->len;
    size_t n = key->mv_size - o->prefix->len;

    if (key->mv_size < o->prefix->len ||
        key_cmp(key->mv_data, o->prefix->buf, o->prefix->len) != 0)
        return true;
    if (o->to == NULL)
        return false;
    int c = key_cmp(name, o->to, n < o->to_len ? n : o->to_len);
    return c > 0 || (c == 0 && n >= o->to_len);
}

/* Calls fn for the store's value val of key (be64 revision, then the
 * record; the number alone is no record). */
static sv_status emit(scan_out *o, const store_db *db, const MDB_val *key,
                      const MDB_val *val, sv_error *err)
{
    char respondent[STORE_KEY_MAX + 1];
    size_t n = key->mv_size - o->prefix->len;
    const char *name = (const char *)key->mv_data + o->prefix->len;

    if (n == 0 || memchr(name, '\0', n) != NULL ||
        val->mv_size < COMPACT_PREFIX)
        return corrupt(err, db, key);
    if (val->mv_size == COMPACT_PREFIX)
        return SV_OK;
    memcpy(respondent, name, n);
    respondent[n] = '\0';
    o->stop = o->fn(o->ctx, respondent, store_be64_get(val->mv_data),
                    (const uint8_t *)val->mv_data + COMPACT_PREFIX,
                    val->mv_size - COMPACT_PREFIX) != 0;
    return SV_OK;
}

/* Calls o->fn for each compact record of the range in the store's own
 * file, from key start on (MDB_SET_RANGE). Every SCAN_DROP_EVERY records,
 * between two calls of fn (whose data is valid during the call only),
 * and at the end, the map pages are dropped from the process
 * (sv_store_drop_pages): the scan touches pages spread over the whole
 * file, and the kernel maps their cached neighbours with them. */
static sv_status walk_compact(scan_out *o, MDB_cursor *cur,
                              const store_key *start, sv_error *err)
{
    sv_store *s = o->v->s;
    MDB_val key = key_val(start);
    MDB_val val;
    size_t seen = 0;
    sv_status st = SV_OK;
    int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

    while (st == SV_OK && !o->stop && rc == 0 && !past_end(o, &key)) {
        st = emit(o, &s->compact, &key, &val, err);
        if (st == SV_OK && !o->stop && ++seen % SCAN_DROP_EVERY == 0)
            st = sv_store_drop_pages(s, err);
        if (st == SV_OK && !o->stop)
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (st == SV_OK && rc != 0 && rc != MDB_NOTFOUND)
        st = mdb_status(s, rc, "read compact records", err);
    if (st != SV_OK)
        return st;
    return sv_store_drop_pages(s, err);
}

/* Calls fn for the view's own value of key, if it has one. */
static sv_status emit_from_view(scan_out *o, const MDB_val *key, sv_error *err)
{
    MDB_val k = *key;
    MDB_val val;
    int rc = mdb_get(o->v->txn, o->v->s->compact.dbi, &k, &val);

    if (rc == MDB_NOTFOUND)
        return SV_OK;
    if (rc != 0)
        return mdb_status(o->v->s, rc, "read compact record", err);
    return emit(o, &o->v->s->compact, &k, &val, err);
}

/* The scan of sv_view_scan_compact_range over the mirror (transaction
 * mtxn) as of the view's last sequence `last`: a record the mirror has
 * from a later change, or that changed after the mirror's `through`
 * (the keys of g), is read from the view instead. */
static sv_status walk_mirror(scan_out *o, MDB_txn *mtxn, const store_key *start,
                             uint64_t last, const gap_keys *g, sv_error *err)
{
    sv_mirror *m = o->v->s->mirror;
    store_db mdb = {.name = "compact (scan mirror)"};
    MDB_cursor *cur;
    MDB_val key = key_val(start);
    MDB_val val;
    size_t pend = 0;
    size_t seen = 0;
    bool drop = sv_mirror_used_bytes(m) > MIRROR_KEEP_BYTES;
    const char *lo = NULL;
    const char *hi = NULL;
    sv_status st = SV_OK;
    int rc = mdb_cursor_open(mtxn, sv_mirror_dbi(m), &cur);

    if (rc != 0)
        return mdb_status(o->v->s, rc, "open scan mirror cursor", err);
    /* the gap's keys before the range */
    while (pend < g->n &&
           key_order(g->keys[pend].mv_data, g->keys[pend].mv_size, start->buf,
                     start->len) < 0)
        pend++;
    rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    while (st == SV_OK && !o->stop && rc == 0 && !past_end(o, &key)) {
        while (st == SV_OK && !o->stop && pend < g->n &&
               key_order(g->keys[pend].mv_data, g->keys[pend].mv_size,
                         key.mv_data, key.mv_size) < 0)
            st = emit_from_view(o, &g->keys[pend++], err);
        if (st != SV_OK || o->stop)
            break;
        if (val.mv_size < SV_MIRROR_PREFIX) {
            st = corrupt(err, &mdb, &key);
            break;
        }
        if (pend < g->n &&
            key_order(g->keys[pend].mv_data, g->keys[pend].mv_size, key.mv_data,
                      key.mv_size) == 0) {
            st = emit_from_view(o, &g->keys[pend++], err);
        } else if (store_be64_get(val.mv_data) > last) {
            st = emit_from_view(o, &key, err); /* written after the view */
        } else {
            MDB_val rec = {val.mv_size - SV_MIRROR_PREFIX,
                           (uint8_t *)val.mv_data + SV_MIRROR_PREFIX};
            st = emit(o, &mdb, &key, &rec, err);
        }
        if (st == SV_OK) {
            const char *p = val.mv_data;
            lo = lo == NULL || p < lo ? p : lo;
            hi = p + val.mv_size > hi ? p + val.mv_size : hi;
        }
        if (st == SV_OK && ++seen % MIRROR_DROP_EVERY == 0) {
            if (drop)
                st = sv_mirror_drop_pages(m, err);
            else if ((size_t)(hi - lo) <= MIRROR_RANGE_MAX)
                st = sv_map_pages_drop_range(lo, hi, err);
            lo = hi = NULL;
        }
        if (st == SV_OK && !o->stop)
            rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (st == SV_OK && rc != 0 && rc != MDB_NOTFOUND)
        st = mdb_status(o->v->s, rc, "read scan mirror", err);
    /* the gap's keys after the mirror's last record of the range */
    while (st == SV_OK && !o->stop && pend < g->n &&
           !past_end(o, &g->keys[pend]))
        st = emit_from_view(o, &g->keys[pend++], err);
    mdb_cursor_close(cur);
    if (st != SV_OK)
        return st;
    return sv_mirror_drop_pages(m, err);
}

/* The scan over the mirror when it can stand for the view: *used false
 * (and nothing called) when it cannot: none, never filled, rebuilt after
 * the view began, or more than MIRROR_GAP_MAX changes behind it. */
static sv_status scan_mirror(scan_out *o, const store_key *start, bool *used,
                             const char *survey, sv_error *err)
{
    sv_store *s = o->v->s;
    gap_keys g = {0};
    MDB_txn *mtxn = NULL;
    uint64_t through = 0;
    uint64_t base = 0;
    uint64_t last = 0;
    sv_error ignored;
    sv_status st;

    *used = false;
    if (s->mirror == NULL)
        return SV_OK;
    st = last_sequence(s, o->v->txn, &last, err);
    if (st != SV_OK)
        return st;
    /* a mirror that cannot be read is not used: the view has it all */
    if (sv_mirror_begin(s->mirror, true, &mtxn, &through, &base, &ignored) !=
        SV_OK)
        return SV_OK;
    if (base == SV_MIRROR_UNBUILT || last < base ||
        (through < last && last - through > MIRROR_GAP_MAX)) {
        mdb_txn_abort(mtxn);
        return SV_OK;
    }
    if (through < last)
        st = gap_collect(o->v, survey, through, &g, err);
    if (st == SV_OK) {
        *used = true;
        st = walk_mirror(o, mtxn, start, last, &g, err);
    }
    gap_free(&g);
    mdb_txn_abort(mtxn);
    return st;
}

sv_status sv_view_scan_compact_range(sv_view *v, const char *survey,
                                     const char *from, const char *to,
                                     sv_compact_fn fn, void *ctx, sv_error *err)
{
    store_key prefix;
    store_key start;
    scan_out o = {.v = v,
                  .to = to,
                  .to_len = to != NULL ? strlen(to) : 0,
                  .fn = fn,
                  .ctx = ctx};
    bool used = false;
    MDB_cursor *cur;
    sv_status st;
    int rc;

    if (fn == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no compact callback");
    if (survey == NULL || survey[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty survey");
    if (!store_key_prefix(&prefix, survey))
        return key_too_long(err, survey, "");
    if (from == NULL)
        start = prefix;
    else if (!store_key_pair(&start, survey, from))
        return key_too_long(err, survey, from);
    o.prefix = &prefix;
    st = scan_mirror(&o, &start, &used, survey, err);
    v->used_mirror = used;
    if (st != SV_OK || used)
        return st;
    rc = mdb_cursor_open(v->txn, v->s->compact.dbi, &cur);
    if (rc != 0)
        return mdb_status(v->s, rc, "open compact cursor", err);
    st = walk_compact(&o, cur, &start, err);
    mdb_cursor_close(cur);
    return st;
}

sv_status sv_view_scan_compact(sv_view *v, const char *survey, sv_compact_fn fn,
                               void *ctx, sv_error *err)
{
    return sv_view_scan_compact_range(v, survey, NULL, NULL, fn, ctx, err);
}

/* ---- short reads (one read view each) ----------------------------------- */

sv_status sv_store_current(sv_store *s, const char *survey,
                           const char *respondent, Survey__V1__Revision **out,
                           sv_error *err)
{
    sv_view v;
    sv_status st;

    *out = NULL;
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    st = sv_view_current(&v, survey, respondent, out, err);
    view_close(&v);
    return st;
}

sv_status sv_store_revision(sv_store *s, const char *survey,
                            const char *respondent, uint64_t revision,
                            Survey__V1__Revision **out, sv_error *err)
{
    store_key k;
    sv_view v;
    sv_status st;

    *out = NULL;
    st = check_names(survey, respondent, err);
    if (st != SV_OK)
        return st;
    if (!store_key_revision(&k, survey, respondent, revision))
        return key_too_long(err, survey, respondent);
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    st = get_revision(s, v.txn, &k, out, err);
    view_close(&v);
    if (st == SV_ERR_NOT_FOUND)
        return sv_fail(err, st, "no revision %" PRIu64 " of %s/%s", revision,
                       survey, respondent);
    return st;
}

void sv_store_free_revisions(Survey__V1__Revision **revs, size_t n)
{
    if (revs == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        survey__v1__revision__free_unpacked(revs[i], NULL);
    free(revs);
}

/* Appends rev to the growing array *revs of *n (capacity *cap). */
static sv_status push_revision(Survey__V1__Revision ***revs, size_t *n,
                               size_t *cap, Survey__V1__Revision *rev,
                               sv_error *err)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        Survey__V1__Revision **grown = realloc(*revs, ncap * sizeof *grown);
        if (grown == NULL) {
            survey__v1__revision__free_unpacked(rev, NULL);
            return sv_fail(err, SV_ERR_NOMEM, "out of memory (history)");
        }
        *revs = grown;
        *cap = ncap;
    }
    (*revs)[(*n)++] = rev;
    return SV_OK;
}

/* Collects every revision under prefix, in key (= revision) order. */
static sv_status collect_history(sv_store *s, MDB_txn *txn, MDB_cursor *cur,
                                 const store_key *prefix,
                                 Survey__V1__Revision ***out, size_t *n,
                                 sv_error *err)
{
    MDB_val key = key_val(prefix);
    MDB_val val;
    Survey__V1__Revision *rev;
    size_t cap = 0;
    sv_status st = SV_OK;
    int rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);

    while (rc == 0 && key.mv_size >= prefix->len &&
           memcmp(key.mv_data, prefix->buf, prefix->len) == 0) {
        if (key.mv_size != prefix->len + 8)
            return corrupt(err, &s->revisions, &key);
        st = logged_revision(s, txn, &key, &val, &rev, err);
        if (st == SV_OK)
            st = push_revision(out, n, &cap, rev, err);
        if (st != SV_OK)
            return st;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    if (rc != 0 && rc != MDB_NOTFOUND)
        return mdb_status(s, rc, "read history", err);
    return SV_OK;
}

sv_status sv_store_history(sv_store *s, const char *survey,
                           const char *respondent, Survey__V1__Revision ***out,
                           size_t *n, sv_error *err)
{
    store_key prefix;
    sv_view v = {NULL, NULL, false};
    MDB_cursor *cur = NULL;
    sv_status st;
    int rc;

    *out = NULL;
    *n = 0;
    st = check_names(survey, respondent, err);
    if (st != SV_OK)
        return st;
    if (!store_key_revision_prefix(&prefix, survey, respondent))
        return key_too_long(err, survey, respondent);
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    rc = mdb_cursor_open(v.txn, s->revisions.dbi, &cur);
    if (rc != 0) {
        st = mdb_status(s, rc, "open history cursor", err);
        goto fail;
    }
    st = collect_history(s, v.txn, cur, &prefix, out, n, err);
    if (st != SV_OK)
        goto fail;
    if (*n == 0) {
        st = sv_fail(err, SV_ERR_NOT_FOUND, "nothing stored for %s/%s", survey,
                     respondent);
        goto fail;
    }
    mdb_cursor_close(cur);
    view_close(&v);
    return SV_OK;
fail:
    if (cur != NULL)
        mdb_cursor_close(cur);
    view_close(&v);
    sv_store_free_revisions(*out, *n);
    *out = NULL;
    *n = 0;
    return st;
}

sv_status sv_store_last_sequence(sv_store *s, uint64_t *seq, sv_error *err)
{
    sv_view v;
    sv_status st;

    *seq = 0;
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    st = sv_view_last_sequence(&v, seq, err);
    view_close(&v);
    return st;
}

sv_status sv_store_changes(sv_store *s, uint64_t after, size_t max,
                           sv_change_fn fn, void *ctx, sv_error *err)
{
    sv_view v;
    sv_status st;

    if (fn == NULL)
        return sv_fail(err, SV_ERR_INVALID, "no change callback");
    if (after == UINT64_MAX)
        return SV_OK;
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    st = sv_view_changes(&v, after, max, fn, ctx, err);
    view_close(&v);
    return st;
}

/* ---- snapshots and watermarks ------------------------------------------- */

/* Writes the snapshot (never overwriting) and the watermark in txn. */
static sv_status put_snapshot(sv_store *s, MDB_txn *txn, const char *survey,
                              uint64_t version, uint64_t sequence,
                              const uint8_t *data, size_t len, sv_error *err)
{
    static const uint8_t empty = 0;
    Survey__Store__V1__Watermark wm = SURVEY__STORE__V1__WATERMARK__INIT;
    store_key sk;
    store_key wk;
    MDB_val key;
    MDB_val val = {len, (void *)(data != NULL ? data : &empty)};
    int rc;

    if (!store_key_version(&sk, survey, version) ||
        !store_key_string(&wk, survey))
        return key_too_long(err, survey, "snapshot");
    key = key_val(&sk);
    rc = mdb_put(txn, s->snapshots.dbi, &key, &val, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        return sv_fail(err, SV_ERR_CONFLICT,
                       "snapshot version %" PRIu64
                       " of %s already exists: nothing written",
                       version, survey);
    if (rc != 0)
        return mdb_status(s, rc, "write snapshot", err);
    wm.sequence = sequence;
    wm.version = version;
    return put_message(s, txn, &s->watermarks, &wk, &wm.base, 0, NULL, err);
}

sv_status sv_store_put_snapshot(sv_store *s, const char *survey,
                                uint64_t version, uint64_t sequence,
                                const uint8_t *data, size_t len, sv_error *err)
{
    MDB_txn *txn;
    sv_status st;
    int rc;

    if (s->read_only)
        return sv_fail(err, SV_ERR_INVALID, "the store is open read-only");
    if (s->in_batch)
        return sv_fail(err, SV_ERR_INVALID,
                       "a batch is open on this store handle");
    if (survey == NULL || survey[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty survey");
    if (version == 0)
        return sv_fail(err, SV_ERR_INVALID, "snapshot version 0");
    if (data == NULL && len > 0)
        return sv_fail(err, SV_ERR_INVALID, "no snapshot data");
    st = txn_begin(s, 0, &txn, err);
    if (st != SV_OK)
        return st;
    st = put_snapshot(s, txn, survey, version, sequence, data, len, err);
    if (st != SV_OK) {
        mdb_txn_abort(txn);
        return st;
    }
    rc = mdb_txn_commit(txn); /* frees the transaction either way */
    if (rc != 0)
        return mdb_status(s, rc, "commit snapshot", err);
    if (s->deferred_sync)
        return sv_store_sync(s, err); /* durable on SV_OK, as promised */
    return SV_OK;
}

/* Positions cur on the snapshot with the highest version of survey (the
 * last key with prefix survey NUL). MDB_NOTFOUND when there is none. */
static int cursor_latest(MDB_cursor *cur, const store_key *prefix, MDB_val *key,
                         MDB_val *val)
{
    store_key last = *prefix;
    int rc;

    store_be64_put(last.buf + last.len, UINT64_MAX);
    last.len += 8;
    *key = key_val(&last);
    rc = mdb_cursor_get(cur, key, val, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(cur, key, val, MDB_LAST);
    else if (rc == 0 && (key->mv_size != last.len ||
                         memcmp(key->mv_data, last.buf, last.len) != 0))
        rc = mdb_cursor_get(cur, key, val, MDB_PREV);
    if (rc != 0)
        return rc;
    if (key->mv_size < prefix->len ||
        memcmp(key->mv_data, prefix->buf, prefix->len) != 0)
        return MDB_NOTFOUND;
    return 0;
}

/* Finds the snapshot (version 0: the latest) and copies it out. */
static sv_status copy_snapshot(sv_store *s, MDB_cursor *cur, const char *survey,
                               uint64_t version, uint8_t **data, size_t *len,
                               sv_error *err)
{
    store_key k;
    MDB_val key;
    MDB_val val;
    int rc;

    if (!store_key_version(&k, survey, version))
        return key_too_long(err, survey, "snapshot");
    if (version == 0) {
        k.len -= 8; /* the prefix survey NUL */
        rc = cursor_latest(cur, &k, &key, &val);
    } else {
        key = key_val(&k);
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_KEY);
    }
    if (rc == MDB_NOTFOUND && version == 0)
        return sv_fail(err, SV_ERR_NOT_FOUND, "no snapshot of %s", survey);
    if (rc == MDB_NOTFOUND)
        return sv_fail(err, SV_ERR_NOT_FOUND,
                       "no snapshot version %" PRIu64 " of %s", version,
                       survey);
    if (rc != 0)
        return mdb_status(s, rc, "read snapshot", err);
    if (key.mv_size != strlen(survey) + 1 + 8)
        return corrupt(err, &s->snapshots, &key);
    *data = malloc(val.mv_size > 0 ? val.mv_size : 1);
    if (*data == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (%zu bytes)",
                       val.mv_size);
    memcpy(*data, val.mv_data, val.mv_size);
    *len = val.mv_size;
    return SV_OK;
}

sv_status sv_store_snapshot(sv_store *s, const char *survey, uint64_t version,
                            uint8_t **data, size_t *len, sv_error *err)
{
    sv_view v = {NULL, NULL, false};
    MDB_cursor *cur = NULL;
    sv_status st;
    int rc;

    *data = NULL;
    *len = 0;
    if (survey == NULL || survey[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty survey");
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    rc = mdb_cursor_open(v.txn, s->snapshots.dbi, &cur);
    if (rc != 0) {
        st = mdb_status(s, rc, "open snapshot cursor", err);
        goto done;
    }
    st = copy_snapshot(s, cur, survey, version, data, len, err);
    mdb_cursor_close(cur);
done:
    view_close(&v);
    return st;
}

sv_status sv_store_watermark(sv_store *s, const char *survey,
                             uint64_t *sequence, uint64_t *version,
                             sv_error *err)
{
    Survey__Store__V1__Watermark *wm;
    store_key k;
    MDB_val key;
    MDB_val val;
    sv_view v;
    sv_status st;
    int rc;

    *sequence = 0;
    *version = 0;
    if (survey == NULL || survey[0] == '\0')
        return sv_fail(err, SV_ERR_INVALID, "empty survey");
    if (!store_key_string(&k, survey))
        return key_too_long(err, survey, "watermark");
    st = view_open(s, &v, err);
    if (st != SV_OK)
        return st;
    key = key_val(&k);
    rc = mdb_get(v.txn, s->watermarks.dbi, &key, &val);
    if (rc == MDB_NOTFOUND) {
        st = SV_OK;
    } else if (rc != 0) {
        st = mdb_status(s, rc, "read watermark", err);
    } else {
        wm = survey__store__v1__watermark__unpack(NULL, val.mv_size,
                                                  val.mv_data);
        if (wm == NULL) {
            st = corrupt(err, &s->watermarks, &key);
        } else {
            *sequence = wm->sequence;
            *version = wm->version;
            survey__store__v1__watermark__free_unpacked(wm, NULL);
        }
    }
    view_close(&v);
    return st;
}
