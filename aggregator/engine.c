/* engine.c: see engine.h. */
#include "engine.h"

#include "arena.h"
#include "log.h"
#include "report.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sv_engine {
    sv_store *store;           /* borrowed */
    const sv_questionnaire *q; /* borrowed */
    sv_report *report;         /* owned */
    sv_arena *arena;           /* owned: sv_engine_digest builds in it */
    uint64_t position;         /* last sequence reflected in the report */
    uint64_t snap_sequence;    /* watermark: last snapshot's sequence */
    uint64_t snap_version;     /* watermark: last snapshot's version */
    bool rerun_mirror;         /* the last rerun read the scan mirror */
};

sv_status sv_engine_new(sv_engine **out, sv_store *store,
                        const sv_questionnaire *q, unsigned decimals,
                        sv_error *err)
{
    sv_engine *e = calloc(1, sizeof *e);
    if (e == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    e->store = store;
    e->q = q;
    e->arena = sv_arena_new();
    if (e->arena == NULL) {
        sv_engine_destroy(&e);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    sv_status st = sv_report_new(&e->report, q, decimals, err);
    if (st == SV_OK)
        st = sv_store_watermark(store, sv_questionnaire_id(q),
                                &e->snap_sequence, &e->snap_version, err);
    if (st != SV_OK) {
        sv_engine_destroy(&e);
        return st;
    }
    *out = e;
    return SV_OK;
}

void sv_engine_destroy(sv_engine **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_report_destroy(&(*self)->report);
    sv_arena_destroy(&(*self)->arena);
    free(*self);
    *self = NULL;
}

void sv_engine_set_respondent_detail(sv_engine *e, size_t max_respondents)
{
    sv_report_set_detail(e->report, max_respondents);
}

bool sv_engine_rerun_read_mirror(const sv_engine *e)
{
    return e->rerun_mirror;
}

uint64_t sv_engine_position(const sv_engine *e)
{
    return e->position;
}

uint64_t sv_engine_snapshot_sequence(const sv_engine *e)
{
    return e->snap_sequence;
}

uint64_t sv_engine_snapshot_version(const sv_engine *e)
{
    return e->snap_version;
}

/* Puts the respondent's current compact record (as of the view), with the
 * revision stored beside it, into the report. A respondent unknown to the
 * roster cannot have been accepted by the collector: it is reported, not
 * ignored. */
static sv_status load_respondent(sv_engine *e, sv_view *view,
                                 const char *respondent, sv_error *err)
{
    int idx = sv_questionnaire_find_respondent(e->q, respondent);
    if (idx < 0)
        return sv_fail(err, SV_ERR_INVALID,
                       "stored answers of %s, who is not in the roster of "
                       "%s",
                       respondent, sv_questionnaire_id(e->q));
    const uint8_t *rec = NULL;
    size_t len = 0;
    uint64_t revision = 0;
    sv_status st = sv_view_compact(view, sv_questionnaire_id(e->q), respondent,
                                   &revision, &rec, &len, err);
    if (st == SV_ERR_NOT_FOUND)
        return sv_report_set(e->report, (size_t)idx, NULL, 0, 0, err);
    if (st != SV_OK)
        return st;
    return sv_report_set(e->report, (size_t)idx, rec, len, revision, err);
}

/* A rerun over at least this many roster entries is split over two
 * threads (sv_engine_rerun). */
#define SPLIT_MIN 2

typedef struct {
    sv_engine *e;
    sv_report *report; /* e->report, or a shard of it */
    size_t pos; /* position of the walk through the roster in code order */
    sv_status st;
    sv_error *err;
} scan_ctx;

/* One stored record of the rerun's scan (in code order, so the roster
 * lookup is one comparison): straight into the report, nothing decoded. */
static int scan_one(void *ctx, const char *respondent, uint64_t revision,
                    const uint8_t *data, size_t len)
{
    scan_ctx *c = ctx;
    int idx = sv_questionnaire_walk_respondent(c->e->q, respondent, &c->pos);
    if (idx < 0) {
        c->st = sv_fail(c->err, SV_ERR_INVALID,
                        "stored answers of %s, who is not in the roster of "
                        "%s",
                        respondent, sv_questionnaire_id(c->e->q));
        return 1;
    }
    c->st = sv_report_set(c->report, (size_t)idx, data, len, revision, c->err);
    return c->st != SV_OK;
}

/* One half of a split rerun: [from, to) of the roster's code order. */
typedef struct {
    scan_ctx c;
    sv_view *view;
    const char *from;
    const char *to;
    sv_status st;
    sv_error err;
    bool mirror; /* the scan read the scan mirror */
} half;

static void scan_half(half *h)
{
    h->c.err = &h->err;
    h->st =
        sv_view_scan_compact_range(h->view, sv_questionnaire_id(h->c.e->q),
                                   h->from, h->to, scan_one, &h->c, &h->err);
    if (h->st == SV_OK)
        h->st = h->c.st;
    h->mirror = sv_view_used_mirror(h->view);
}

static void *scan_thread(void *arg)
{
    scan_half(arg);
    return NULL;
}

/* The rerun's scan over two threads, the second half of the roster's code
 * order on a second view into a shard of the report, merged at the end.
 * *split is false (and nothing was done) when no second view of the same
 * commit could be had (a commit came between the two begins, or the
 * begin failed): then the caller scans on one thread. */
static sv_status scan_split(sv_engine *e, sv_view *view, uint64_t last,
                            bool *split, sv_error *err)
{
    size_t n = sv_questionnaire_roster_count(e->q);
    const char *mid = sv_questionnaire_code_at(e->q, n / 2);
    sv_view *view2 = NULL;
    sv_report *shard = NULL;
    uint64_t last2 = 0;
    sv_error ignored;
    pthread_t tid;
    sv_status st;
    half a = {.c = {.e = e, .report = e->report, .pos = 0, .st = SV_OK},
              .view = view,
              .from = NULL,
              .to = mid,
              .st = SV_OK};
    half b = {.c = {.e = e, .pos = n / 2, .st = SV_OK},
              .from = mid,
              .to = NULL,
              .st = SV_OK};

    *split = false;
    if (sv_view_begin(e->store, &view2, &ignored) != SV_OK)
        return SV_OK;
    if (sv_view_last_sequence(view2, &last2, &ignored) != SV_OK ||
        last2 != last) {
        sv_view_end(&view2);
        return SV_OK;
    }
    /* looks the map up once, before the threads share the handle */
    st = sv_store_drop_pages(e->store, err);
    if (st == SV_OK)
        st = sv_report_shard(e->report, &shard, err);
    if (st != SV_OK) {
        sv_view_end(&view2);
        return st;
    }
    b.view = view2;
    b.c.report = shard;
    *split = true;
    if (pthread_create(&tid, NULL, scan_thread, &b) != 0) {
        sv_report_merge(NULL, &shard);
        sv_view_end(&view2);
        return sv_fail(err, SV_ERR_NOMEM, "cannot start a scan thread");
    }
    scan_half(&a);
    if (pthread_join(tid, NULL) != 0) {
        /* cannot happen for a joinable thread of ours; the shard and view
         * may still be in use, so they are left alone */
        return sv_fail(err, SV_ERR_STORE, "cannot join the scan thread");
    }
    sv_view_end(&view2);
    e->rerun_mirror = a.mirror && b.mirror;
    if (a.st != SV_OK) {
        *err = a.err;
        sv_report_merge(NULL, &shard);
        return a.st;
    }
    if (b.st != SV_OK) {
        *err = b.err;
        sv_report_merge(NULL, &shard);
        return b.st;
    }
    sv_report_merge(e->report, &shard);
    return SV_OK;
}

static sv_status rerun_in_view(sv_engine *e, sv_view *view, sv_error *err)
{
    uint64_t last = 0;
    sv_status st = sv_view_last_sequence(view, &last, err);
    if (st != SV_OK)
        return st;
    sv_report_clear(e->report);
    sv_report_bulk(e->report, true); /* off again below, on every path */
    bool split = false;
    if (sv_questionnaire_roster_count(e->q) >= SPLIT_MIN)
        st = scan_split(e, view, last, &split, err);
    if (st == SV_OK && !split) {
        scan_ctx c = {
            .e = e, .report = e->report, .pos = 0, .st = SV_OK, .err = err};
        st = sv_view_scan_compact(view, sv_questionnaire_id(e->q), scan_one, &c,
                                  err);
        if (st == SV_OK)
            st = c.st;
        e->rerun_mirror = sv_view_used_mirror(view);
    }
    sv_report_bulk(e->report, false);
    if (st != SV_OK)
        return st;
    e->position = last;
    return SV_OK;
}

sv_status sv_engine_rerun(sv_engine *e, sv_error *err)
{
    sv_view *view = NULL;
    sv_status st = sv_view_begin(e->store, &view, err);
    if (st != SV_OK)
        return st;
    st = rerun_in_view(e, view, err);
    sv_view_end(&view);
    return st;
}

typedef struct {
    sv_engine *e;
    sv_view *view;
    sv_engine_events *ev;
    sv_status st;
    sv_error *err;
} follow_ctx;

static int follow_one(void *ctx, uint64_t sequence,
                      const Survey__Store__V1__Change *change)
{
    (void)sequence;
    follow_ctx *c = ctx;
    if (strcmp(change->survey, sv_questionnaire_id(c->e->q)) != 0)
        return 0;
    switch (change->kind) {
    case SURVEY__STORE__V1__CHANGE__KIND__RERUN:
        c->ev->rerun = true;
        return 0;
    case SURVEY__STORE__V1__CHANGE__KIND__SNAPSHOT:
        c->ev->snapshot = true;
        return 0;
    default:
        break;
    }
    c->st = load_respondent(c->e, c->view, change->respondent, c->err);
    c->ev->answers++;
    return c->st != SV_OK;
}

sv_status sv_engine_follow(sv_engine *e, sv_engine_events *ev, sv_error *err)
{
    memset(ev, 0, sizeof *ev);
    sv_view *view = NULL;
    sv_status st = sv_view_begin(e->store, &view, err);
    if (st != SV_OK)
        return st;
    uint64_t last = 0;
    st = sv_view_last_sequence(view, &last, err);
    if (st != SV_OK || last <= e->position)
        goto done;
    follow_ctx c = {.e = e, .view = view, .ev = ev, .st = SV_OK, .err = err};
    st = sv_view_changes(view, e->position, 0, follow_one, &c, err);
    if (st == SV_OK)
        st = c.st;
    if (st != SV_OK)
        goto done;
    /* the records read are those of the view, i.e. as of `last` */
    if (ev->rerun)
        st = rerun_in_view(e, view, err);
    /* a rerun that failed left the tables cleared or partial: the position
       stays, so that nothing reads them as up to date */
    if (st == SV_OK)
        e->position = last;
done:
    ev->last = e->position;
    sv_view_end(&view);
    return st;
}

typedef struct {
    const char *survey;
    uint64_t until;
    bool *rerun;
    bool *snapshot;
} request_ctx;

static int note_request(void *ctx, uint64_t sequence,
                        const Survey__Store__V1__Change *change)
{
    request_ctx *c = ctx;
    if (sequence > c->until)
        return 1;
    if (strcmp(change->survey, c->survey) != 0)
        return 0;
    if (change->kind == SURVEY__STORE__V1__CHANGE__KIND__RERUN)
        *c->rerun = true;
    else if (change->kind == SURVEY__STORE__V1__CHANGE__KIND__SNAPSHOT)
        *c->snapshot = true;
    return 0;
}

sv_status sv_engine_requests_since_snapshot(sv_engine *e, bool *rerun,
                                            bool *snapshot, sv_error *err)
{
    *rerun = false;
    *snapshot = false;
    request_ctx c = {.survey = sv_questionnaire_id(e->q),
                     .until = e->position,
                     .rerun = rerun,
                     .snapshot = snapshot};
    return sv_store_changes(e->store, e->snap_sequence, 0, note_request, &c,
                            err);
}

typedef struct {
    sv_store *store;
    const char *survey;
} text_ctx;

/* The revision the report's record came from (revisions are never
 * overwritten): a revision stored after the engine followed the log does
 * not put its texts into a snapshot of the tallies before it. */
static sv_status fetch_revision(void *ctx, const char *respondent,
                                uint64_t revision, Survey__V1__Revision **out,
                                sv_error *err)
{
    text_ctx *c = ctx;
    if (revision == 0)
        return sv_store_current(c->store, c->survey, respondent, out, err);
    return sv_store_revision(c->store, c->survey, respondent, revision, out,
                             err);
}

/* alloc: see sv_report_snapshot_with. */
static sv_status build(sv_engine *e, ProtobufCAllocator *alloc,
                       Survey__V1__Snapshot **out, sv_error *err)
{
    text_ctx c = {.store = e->store, .survey = sv_questionnaire_id(e->q)};
    return sv_report_snapshot_with(e->report, alloc, fetch_revision, &c, out,
                                   err);
}

sv_status sv_engine_snapshot(sv_engine *e, const char *trigger,
                             Survey__V1__Snapshot **out, sv_error *err)
{
    Survey__V1__Snapshot *snap = NULL;
    uint8_t *packed = NULL;
    sv_status st = build(e, NULL, &snap, err);
    if (st != SV_OK)
        return st;
    snap->version = e->snap_version + 1;
    snap->sequence = e->position;
    snap->created_ms = sv_now_ms();
    snap->trigger = strdup(trigger);
    if (snap->trigger == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    size_t len = survey__v1__snapshot__get_packed_size(snap);
    packed = malloc(len > 0 ? len : 1);
    if (packed == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (survey__v1__snapshot__pack(snap, packed) != len) {
        st = sv_fail(err, SV_ERR_PROTO,
                     "packing snapshot %llu gave another size than "
                     "protobuf-c reported; nothing stored",
                     (unsigned long long)snap->version);
        goto fail;
    }
    st = sv_store_put_snapshot(e->store, sv_questionnaire_id(e->q),
                               snap->version, snap->sequence, packed, len, err);
    if (st != SV_OK)
        goto fail;
    e->snap_version = snap->version;
    e->snap_sequence = snap->sequence;
    free(packed);
    *out = snap;
    return SV_OK;
fail:
    free(packed);
    survey__v1__snapshot__free_unpacked(snap, NULL);
    return st;
}

sv_status sv_engine_digest(sv_engine *e, char hex[65], sv_error *err)
{
    Survey__V1__Snapshot *snap = NULL;
    /* built in the arena: no malloc or free per part */
    sv_status st = build(e, sv_arena_allocator(e->arena), &snap, err);
    hex[0] = '\0';
    for (size_t i = 0; st == SV_OK && i < snap->digest.len && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", snap->digest.data[i]);
    sv_arena_reset(e->arena);
    return st;
}
