/* report.c: the report's tables (report.h), kept up to date one record at a
 * time.
 *
 * State: a copy of every respondent's compact record (one contiguous
 * array, a presence flag each) and its revision; tallies per question and
 * per "slot" (slot 1 + t = respondent type t; slot 0, all respondents, is
 * the sum over the types, worked out when read): n (relevant and
 * answered), the sum of integer answers, and a count per option; and per
 * slot how many respondents are in each completeness state.
 * sv_report_set() takes the old record's contribution out and puts the
 * new one in, so the tallies never depend on the order of calls. It walks
 * the record's bitmaps directly (a precomputed plan per question), so
 * that a full rerun over a million records is a tight loop without any
 * allocation. In a rerun (bulk mode, sv_report_bulk) a record adds one
 * count per bitmap byte to a histogram of its value instead of one per
 * answered question, and likewise per byte of a select_multiple answer;
 * the histograms are folded into the tallies when the rerun ends (25% less
 * CPU per rerun at 1,000,000 records, bench/README.md).
 *
 * A snapshot is built from the tallies (rates, frequencies, totals,
 * completeness figures) and one pass over the records in roster order
 * (matrix rows, listings, programs, per-respondent completeness; left
 * out above the respondent-detail limit, see report.h). Every
 * string and sub-message is allocated with one allocator (malloc, or an
 * arena's: sv_report_snapshot_with), so that
 * survey__v1__snapshot__free_unpacked() with it frees it all; in an
 * arena, whose free does nothing, the figures' type names are the
 * report's own and their percents are written where they are kept
 * (keep_str, percent). The arrays are allocated at their final size and
 * counted up as elements are added, so a half-built snapshot can always
 * be freed the same way. */
#include "report.h"
#include "compact.h"
#include "pb_pack.h"
#include "percent.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_BYTES 32
#define ALL "all"
#define CELL_YES "○"
#define CELL_NO "×"
#define CELL_NOT_RELEVANT "-"
#define CELL_TEXT "○" /* an answered text question in the matrix */

typedef Survey__V1__RespondentStatus__State state_t;

#define NOT_STARTED SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED
#define INCOMPLETE SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE
#define COMPLETE SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE
#define N_STATES 4 /* indexes 1..3 used */

/* What the tallies need of question i, worked out once. */
typedef struct {
    uint8_t type;      /* sv_qtype */
    uint8_t n_bytes;   /* select_multiple: bytes of its bitmask */
    uint8_t last_mask; /* select_multiple: valid bits of the last byte */
    uint8_t n_options;
    uint32_t slot;      /* byte offset of its slot in a record */
    uint32_t opt_base;  /* its first option tally */
    uint32_t byte_base; /* select_multiple: its first byte histogram */
} qplan;

/* The texts of one respondent's answers to the `list` text questions, as
 * of one of its revisions (a revision never changes): kept from one
 * snapshot to the next, so that a snapshot fetches the texts only of the
 * respondents whose revision moved. */
typedef struct {
    uint64_t revision; /* 0: none kept (or not to be reused) */
    char **text;       /* owned, n_text_lists strings ("" when none) */
} kept_texts;

struct sv_report {
    const sv_questionnaire *q; /* borrowed */
    ProtobufCAllocator *alloc; /* while a snapshot is built: its allocator
                                  (NULL: malloc) */
    sv_pb_packer *packer;      /* owned: the digest's, kept for the next */
    kept_texts *texts;         /* owned, n_roster (made by the first
                                  snapshot with respondent detail) */
    size_t n_text_lists;       /* `list` text questions */
    size_t *text_list_of;      /* owned, per question: its index among
                                  them, or SIZE_MAX */
    unsigned decimals;
    size_t n_questions;
    size_t n_roster;
    size_t rec_size;
    size_t detail_max; /* respondent-detail limit (report.h) */

    const char **types; /* owned array of borrowed names, roster order */
    size_t n_types;
    size_t slots;       /* 1 + n_types */
    uint16_t *type_of;  /* owned: per respondent, index into types */
    uint32_t *expected; /* owned: per slot, respondents on the roster */
    size_t *opt_base;   /* owned: per question, its first option tally */
    size_t n_opt_tally; /* option tallies in all */
    qplan *plan;        /* owned: per question */
    size_t bm_bytes;    /* bytes of each bitmap of a record */
    uint8_t *required;  /* owned: bitmap of required questions */

    uint8_t *recs;      /* owned: n_roster records of rec_size bytes */
    bool *present;      /* owned: per respondent, a record is set */
    uint64_t *revision; /* owned: per respondent */
    uint8_t *state;     /* owned: per respondent, a state_t */

    uint32_t *n;       /* owned: [question * slots + slot] */
    int64_t *sum;      /* owned: [question * slots + slot] */
    uint32_t *count;   /* owned: [(opt_base[q] + option) * slots + slot] */
    uint32_t *n_state; /* owned: [state * slots + slot] */

    /* Bulk mode (sv_report_bulk): records added to tallies kept per byte
     * value, folded into n and count when it ends: one increment per
     * bitmap byte instead of one per answered question, and one per
     * select_multiple byte instead of one per chosen option. */
    bool bulk;
    uint8_t *one_mask;   /* owned: per bitmap byte, the select_one bits */
    uint8_t *int_mask;   /* owned: per bitmap byte, the integer bits */
    uint8_t *multi_mask; /* owned: per bitmap byte, the select_multiple bits */
    size_t n_byte_hist;  /* select_multiple bytes in all */
    uint32_t *hist_n;    /* owned: [(byte * slots + slot) * 256 + value] */
    uint32_t *hist_opt;  /* owned: [(byte_base + b) * slots + slot) * 256 +
                            value] */
};

/* ---- tallies ------------------------------------------------------------ */

static const uint8_t *record(const sv_report *r, size_t idx)
{
    return r->present[idx] ? r->recs + idx * r->rec_size : NULL;
}

static bool relevant_answered(const sv_report *r, const uint8_t *rec, size_t i)
{
    return sv_compact_relevant(r->q, rec, i) &&
           sv_compact_answered(r->q, rec, i);
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t v = 0;

    for (size_t k = 0; k < 8; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return (int64_t)v;
}

/* True if the record's answers fit their questions: option indexes in
 * range, integers within the documented limits. Only the answered
 * questions of the three types that can be out of range are looked at
 * (the per-byte type masks). Otherwise false, with why: the question, its
 * value and the rule it breaks. */
static bool record_sane(const sv_report *r, const uint8_t *rec, char *why,
                        size_t why_len)
{
    const uint8_t *ans = rec + SV_COMPACT_HEADER + r->bm_bytes;

    for (size_t k = 0; k < r->bm_bytes; k++) {
        unsigned a = ans[k];
        if (a == 0)
            continue;
        for (unsigned m = a & r->one_mask[k]; m != 0; m &= m - 1) {
            size_t i = k * 8 + (size_t)__builtin_ctz(m);
            const qplan *p = &r->plan[i];
            if (rec[p->slot] >= p->n_options) {
                snprintf(why, why_len,
                         "%s: option index %u, the list has %u options",
                         sv_questionnaire_question(r->q, i)->name,
                         (unsigned)rec[p->slot], (unsigned)p->n_options);
                return false;
            }
        }
        for (unsigned m = a & r->multi_mask[k]; m != 0; m &= m - 1) {
            size_t i = k * 8 + (size_t)__builtin_ctz(m);
            const qplan *p = &r->plan[i];
            if (p->n_bytes > 0 &&
                (rec[p->slot + p->n_bytes - 1] & ~p->last_mask) != 0) {
                snprintf(why, why_len,
                         "%s: an option chosen past the list's %u options",
                         sv_questionnaire_question(r->q, i)->name,
                         (unsigned)p->n_options);
                return false;
            }
        }
        for (unsigned m = a & r->int_mask[k]; m != 0; m &= m - 1) {
            size_t i = k * 8 + (size_t)__builtin_ctz(m);
            int64_t v = get_i64(rec + r->plan[i].slot);
            if (v < SV_INTEGER_MIN || v > SV_INTEGER_MAX) {
                snprintf(why, why_len,
                         "%s: integer %" PRId64 " outside %lld to %lld",
                         sv_questionnaire_question(r->q, i)->name, v,
                         SV_INTEGER_MIN, SV_INTEGER_MAX);
                return false;
            }
        }
    }
    return true;
}

/* Incomplete when a required, relevant question is unanswered. */
static state_t record_state(const sv_report *r, const uint8_t *rec)
{
    const uint8_t *rel;
    const uint8_t *ans;

    if (rec == NULL)
        return NOT_STARTED;
    rel = rec + SV_COMPACT_HEADER;
    ans = rel + r->bm_bytes;
    for (size_t k = 0; k < r->bm_bytes; k++) {
        if ((r->required[k] & rel[k] & ~ans[k]) != 0)
            return INCOMPLETE;
    }
    return COMPLETE;
}

/* Adds (d = 1) or takes out (d = UINT32_MAX, i.e. -1 modulo 2^32) the
 * record rec of respondent idx at the respondent's type: for every
 * question that is relevant and answered, n, the integer sum and the
 * chosen options' counts. */
static void apply(sv_report *r, size_t idx, const uint8_t *rec, uint32_t d)
{
    const uint8_t *rel = rec + SV_COMPACT_HEADER;
    const uint8_t *ans = rel + r->bm_bytes;
    size_t slots = r->slots;
    size_t s = 1 + r->type_of[idx];
    uint32_t *count = r->count + s;

    for (size_t k = 0; k < r->bm_bytes; k++) {
        unsigned m = rel[k] & ans[k];
        while (m != 0) {
            size_t i = k * 8 + (size_t)__builtin_ctz(m);
            const qplan *p = &r->plan[i];
            const uint8_t *slot = rec + p->slot;
            m &= m - 1;
            r->n[i * slots + s] += d;
            switch (p->type) {
            case SV_Q_INTEGER:
                if (d == 1)
                    r->sum[i * slots + s] += get_i64(slot);
                else
                    r->sum[i * slots + s] -= get_i64(slot);
                break;
            case SV_Q_SELECT_ONE:
                count[(p->opt_base + slot[0]) * slots] += d;
                break;
            case SV_Q_SELECT_MULTIPLE:
                for (size_t b = 0; b < p->n_bytes; b++) {
                    unsigned bits = slot[b];
                    while (bits != 0) {
                        size_t o = b * 8 + (size_t)__builtin_ctz(bits);
                        bits &= bits - 1;
                        count[(p->opt_base + o) * slots] += d;
                    }
                }
                break;
            default:
                break;
            }
        }
    }
}

/* apply(r, idx, rec, 1) in bulk mode: n and the select_multiple counts
 * go to the byte histograms (folded in by fold_hist). */
static void apply_bulk(sv_report *r, size_t idx, const uint8_t *rec)
{
    const uint8_t *rel = rec + SV_COMPACT_HEADER;
    const uint8_t *ans = rel + r->bm_bytes;
    size_t slots = r->slots;
    size_t s = 1 + r->type_of[idx];
    uint32_t *count = r->count + s;

    for (size_t k = 0; k < r->bm_bytes; k++) {
        unsigned m = rel[k] & ans[k];
        if (m == 0)
            continue;
        r->hist_n[(k * slots + s) * 256 + m]++;
        for (unsigned o = m & r->one_mask[k]; o != 0; o &= o - 1) {
            const qplan *p = &r->plan[k * 8 + (size_t)__builtin_ctz(o)];
            count[(p->opt_base + rec[p->slot]) * slots]++;
        }
        for (unsigned o = m & r->int_mask[k]; o != 0; o &= o - 1) {
            size_t i = k * 8 + (size_t)__builtin_ctz(o);
            r->sum[i * slots + s] += get_i64(rec + r->plan[i].slot);
        }
        for (unsigned o = m & r->multi_mask[k]; o != 0; o &= o - 1) {
            const qplan *p = &r->plan[k * 8 + (size_t)__builtin_ctz(o)];
            const uint8_t *slot = rec + p->slot;
            uint32_t *h =
                r->hist_opt + ((size_t)p->byte_base * slots + s) * 256;
            for (size_t b = 0; b < p->n_bytes; b++)
                h[b * slots * 256 + slot[b]]++;
        }
    }
}

/* Adds the byte histograms into n and count, and empties them. */
static void fold_hist(sv_report *r)
{
    size_t slots = r->slots;

    for (size_t k = 0; k < r->bm_bytes; k++) {
        for (size_t s = 1; s < slots; s++) {
            uint32_t *h = r->hist_n + (k * slots + s) * 256;
            for (unsigned v = 1; v < 256; v++) {
                if (h[v] == 0)
                    continue;
                for (unsigned m = v; m != 0; m &= m - 1)
                    r->n[(k * 8 + (size_t)__builtin_ctz(m)) * slots + s] +=
                        h[v];
            }
        }
    }
    for (size_t i = 0; i < r->n_questions; i++) {
        const qplan *p = &r->plan[i];
        if (p->type != SV_Q_SELECT_MULTIPLE)
            continue;
        for (size_t b = 0; b < p->n_bytes; b++) {
            for (size_t s = 1; s < slots; s++) {
                uint32_t *h = r->hist_opt +
                              (((size_t)p->byte_base + b) * slots + s) * 256;
                for (unsigned v = 1; v < 256; v++) {
                    if (h[v] == 0)
                        continue;
                    for (unsigned m = v; m != 0; m &= m - 1) {
                        size_t o = b * 8 + (size_t)__builtin_ctz(m);
                        r->count[(p->opt_base + o) * slots + s] += h[v];
                    }
                }
            }
        }
    }
    memset(r->hist_n, 0, r->bm_bytes * slots * 256 * sizeof *r->hist_n);
    memset(r->hist_opt, 0, r->n_byte_hist * slots * 256 * sizeof *r->hist_opt);
}

static void count_state(sv_report *r, size_t idx, uint32_t d)
{
    r->n_state[r->state[idx] * r->slots + 1 + r->type_of[idx]] += d;
}

/* The tally of row[] (one entry per slot) at slot s: slot 0 is the sum
 * over the types. */
static uint32_t tally(const sv_report *r, const uint32_t *row, size_t s)
{
    uint32_t t = 0;

    if (s != 0)
        return row[s];
    for (size_t k = 1; k < r->slots; k++)
        t += row[k];
    return t;
}

static int64_t tally_sum(const sv_report *r, const int64_t *row, size_t s)
{
    int64_t t = 0;

    if (s != 0)
        return row[s];
    for (size_t k = 1; k < r->slots; k++)
        t += row[k];
    return t;
}

static void zero_tallies(sv_report *r)
{
    memset(r->n, 0, r->n_questions * r->slots * sizeof *r->n);
    memset(r->sum, 0, r->n_questions * r->slots * sizeof *r->sum);
    memset(r->count, 0, r->n_opt_tally * r->slots * sizeof *r->count);
    memset(r->n_state, 0, N_STATES * r->slots * sizeof *r->n_state);
    memset(r->present, 0, r->n_roster * sizeof *r->present);
    memset(r->revision, 0, r->n_roster * sizeof *r->revision);
    memset(r->state, NOT_STARTED, r->n_roster * sizeof *r->state);
    for (size_t s = 1; s < r->slots; s++)
        r->n_state[NOT_STARTED * r->slots + s] = r->expected[s];
}

/* ---- new, destroy, set ----------------------------------------------------
 */

/* Fills types (first appearance in the roster) and type_of. */
static void find_types(sv_report *r)
{
    for (size_t idx = 0; idx < r->n_roster; idx++) {
        const char *type = sv_questionnaire_respondent(r->q, idx)->type;
        size_t t;
        for (t = 0; t < r->n_types; t++) {
            if (strcmp(r->types[t], type) == 0)
                break;
        }
        if (t == r->n_types)
            r->types[r->n_types++] = type;
        r->type_of[idx] = (uint16_t)t;
    }
    r->slots = 1 + r->n_types;
}

/* The plan of every question and the bitmap of required ones. */
static void make_plan(sv_report *r)
{
    for (size_t i = 0; i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        qplan *p = &r->plan[i];
        p->type = (uint8_t)qu->type;
        p->n_options = (uint8_t)qu->n_options;
        p->slot = (uint32_t)sv_compact_slot(r->q, i);
        p->opt_base = (uint32_t)r->opt_base[i];
        uint8_t bit = (uint8_t)(1u << (i % 8));
        if (qu->type == SV_Q_SELECT_ONE)
            r->one_mask[i / 8] |= bit;
        if (qu->type == SV_Q_INTEGER)
            r->int_mask[i / 8] |= bit;
        if (qu->type == SV_Q_SELECT_MULTIPLE) {
            r->multi_mask[i / 8] |= bit;
            p->byte_base = (uint32_t)r->n_byte_hist;
            p->n_bytes = (uint8_t)((qu->n_options + 7) / 8);
            r->n_byte_hist += p->n_bytes;
            p->last_mask = qu->n_options % 8 == 0
                               ? 0xff
                               : (uint8_t)((1u << (qu->n_options % 8)) - 1);
        }
        if (qu->required)
            r->required[i / 8] |= (uint8_t)(1u << (i % 8));
    }
}

/* The byte histograms of bulk mode (all zero). */
static bool alloc_hist(sv_report *r)
{
    r->hist_n = calloc(r->bm_bytes * r->slots * 256 + 1, sizeof *r->hist_n);
    r->hist_opt =
        calloc(r->n_byte_hist * r->slots * 256 + 1, sizeof *r->hist_opt);
    return r->hist_n != NULL && r->hist_opt != NULL;
}

/* Types are indexed by 16 bits and option counts by 8 (a questionnaire
 * has at most SV_MAX_OPTIONS per list): refuses anything larger. */
static bool allocate(sv_report *r)
{
    size_t nq = r->n_questions;
    size_t nr = r->n_roster;

    r->types = calloc(nr + 1, sizeof *r->types);
    r->type_of = calloc(nr + 1, sizeof *r->type_of);
    r->opt_base = calloc(nq + 1, sizeof *r->opt_base);
    r->recs = calloc(nr * r->rec_size + 1, 1);
    r->present = calloc(nr + 1, sizeof *r->present);
    r->revision = calloc(nr + 1, sizeof *r->revision);
    r->state = calloc(nr + 1, sizeof *r->state);
    if (r->types == NULL || r->type_of == NULL || r->opt_base == NULL ||
        r->recs == NULL || r->present == NULL || r->revision == NULL ||
        r->state == NULL)
        return false;
    find_types(r);
    for (size_t i = 0; i < nq; i++) {
        r->opt_base[i] = r->n_opt_tally;
        r->n_opt_tally += sv_questionnaire_question(r->q, i)->n_options;
    }
    if (r->n_types > UINT16_MAX)
        return false;
    r->bm_bytes = sv_compact_bitmap_bytes(r->q);
    r->plan = calloc(nq + 1, sizeof *r->plan);
    r->required = calloc(r->bm_bytes + 1, 1);
    r->one_mask = calloc(r->bm_bytes + 1, 1);
    r->int_mask = calloc(r->bm_bytes + 1, 1);
    r->multi_mask = calloc(r->bm_bytes + 1, 1);
    if (r->plan == NULL || r->required == NULL || r->one_mask == NULL ||
        r->int_mask == NULL || r->multi_mask == NULL)
        return false;
    make_plan(r);
    if (!alloc_hist(r))
        return false;
    r->expected = calloc(r->slots, sizeof *r->expected);
    r->n = calloc(nq * r->slots + 1, sizeof *r->n);
    r->sum = calloc(nq * r->slots + 1, sizeof *r->sum);
    r->count = calloc(r->n_opt_tally * r->slots + 1, sizeof *r->count);
    r->n_state = calloc(N_STATES * r->slots, sizeof *r->n_state);
    if (r->expected == NULL || r->n == NULL || r->sum == NULL ||
        r->count == NULL || r->n_state == NULL)
        return false;
    for (size_t idx = 0; idx < nr; idx++) {
        r->expected[0]++;
        r->expected[1 + r->type_of[idx]]++;
    }
    return true;
}

sv_status sv_report_new(sv_report **out, const sv_questionnaire *q,
                        unsigned decimals, sv_error *err)
{
    sv_report *r;

    *out = NULL;
    if (decimals > SV_PERCENT_MAX_DECIMALS)
        return sv_fail(err, SV_ERR_INVALID, "decimals %u: want 0 to %d",
                       decimals, SV_PERCENT_MAX_DECIMALS);
    r = calloc(1, sizeof *r);
    if (r == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    r->q = q;
    r->decimals = decimals;
    r->detail_max = SV_REPORT_DETAIL_DEFAULT;
    r->n_questions = sv_questionnaire_count(q);
    r->n_roster = sv_questionnaire_roster_count(q);
    r->rec_size = sv_compact_size(q);
    if (!allocate(r)) {
        sv_report_destroy(&r);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    zero_tallies(r);
    *out = r;
    return SV_OK;
}

static void free_texts(const sv_report *r, char **text)
{
    for (size_t j = 0; text != NULL && j < r->n_text_lists; j++)
        free(text[j]);
    free(text);
}

/* Forgets every respondent's kept texts. */
static void drop_texts(sv_report *r)
{
    for (size_t i = 0; r->texts != NULL && i < r->n_roster; i++) {
        free_texts(r, r->texts[i].text);
        r->texts[i] = (kept_texts){0};
    }
}

void sv_report_destroy(sv_report **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_report *r = *self;
    sv_pb_packer_destroy(&r->packer);
    drop_texts(r);
    free(r->texts);
    free(r->text_list_of);
    free(r->types);
    free(r->type_of);
    free(r->expected);
    free(r->opt_base);
    free(r->plan);
    free(r->required);
    free(r->recs);
    free(r->present);
    free(r->revision);
    free(r->state);
    free(r->n);
    free(r->sum);
    free(r->count);
    free(r->n_state);
    free(r->one_mask);
    free(r->int_mask);
    free(r->multi_mask);
    free(r->hist_n);
    free(r->hist_opt);
    free(r);
    *self = NULL;
}

sv_status sv_report_set(sv_report *r, size_t i, const uint8_t *rec, size_t len,
                        uint64_t revision, sv_error *err)
{
    if (i >= r->n_roster)
        return sv_fail(err, SV_ERR_INVALID,
                       "respondent index %zu: the roster has %zu", i,
                       r->n_roster);
    if (rec != NULL && !sv_compact_valid(r->q, rec, len))
        return sv_fail(err, SV_ERR_INVALID,
                       "record of %s: %zu bytes, not a record of this "
                       "questionnaire (%zu bytes, fingerprint %08" PRIx32 ")",
                       sv_questionnaire_respondent(r->q, i)->code, len,
                       r->rec_size, sv_compact_fingerprint(r->q));
    /* The copy kept for i (even after sv_report_clear) passed
     * record_sane when it was set (or is the zeros it started as, which
     * answer nothing and so are in range too), and record_sane depends on
     * the bytes alone: the same bytes again (a rerun over unchanged
     * answers) need neither the check nor the copy. */
    uint8_t *kept = r->recs + i * r->rec_size;
    bool same = rec != NULL && memcmp(kept, rec, r->rec_size) == 0;
    char why[256];
    if (rec != NULL && !same && !record_sane(r, rec, why, sizeof why))
        return sv_fail(err, SV_ERR_INVALID,
                       "record of %s: an answer out of range (%s)",
                       sv_questionnaire_respondent(r->q, i)->code, why);
    if (r->present[i])
        apply(r, i, record(r, i), UINT32_MAX);
    count_state(r, i, UINT32_MAX);
    r->present[i] = rec != NULL;
    if (rec != NULL) {
        if (!same)
            memcpy(kept, rec, r->rec_size);
        if (r->bulk)
            apply_bulk(r, i, rec);
        else
            apply(r, i, rec, 1);
    }
    r->state[i] = (uint8_t)record_state(r, rec);
    r->revision[i] = revision;
    count_state(r, i, 1);
    return SV_OK;
}

sv_status sv_report_shard(const sv_report *r, sv_report **out, sv_error *err)
{
    sv_report *sh = malloc(sizeof *sh);

    *out = NULL;
    if (sh == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    *sh = *r; /* shares the questionnaire, plan and per-respondent arrays */
    sh->packer = NULL; /* the report's own, for snapshots, which a shard */
    sh->texts = NULL;  /* never makes */
    sh->text_list_of = NULL;
    sh->n = calloc(r->n_questions * r->slots + 1, sizeof *sh->n);
    sh->sum = calloc(r->n_questions * r->slots + 1, sizeof *sh->sum);
    sh->count = calloc(r->n_opt_tally * r->slots + 1, sizeof *sh->count);
    sh->n_state = calloc(N_STATES * r->slots + 1, sizeof *sh->n_state);
    sh->hist_n = NULL;
    sh->hist_opt = NULL;
    if (sh->n == NULL || sh->sum == NULL || sh->count == NULL ||
        sh->n_state == NULL || !alloc_hist(sh)) {
        sv_report_merge(NULL, &sh);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    *out = sh;
    return SV_OK;
}

void sv_report_merge(sv_report *r, sv_report **shard)
{
    if (shard == NULL || *shard == NULL)
        return;
    sv_report *sh = *shard;
    if (r != NULL) {
        if (sh->bulk)
            fold_hist(sh);
        /* uint32_t tallies add modulo 2^32: a shard's taking out of the
         * NOT_STARTED state it never counted in is a wrapped -1 */
        for (size_t k = 0; k < r->n_questions * r->slots; k++) {
            r->n[k] += sh->n[k];
            r->sum[k] += sh->sum[k];
        }
        for (size_t k = 0; k < r->n_opt_tally * r->slots; k++)
            r->count[k] += sh->count[k];
        for (size_t k = 0; k < N_STATES * r->slots; k++)
            r->n_state[k] += sh->n_state[k];
    }
    free(sh->n);
    free(sh->sum);
    free(sh->count);
    free(sh->n_state);
    free(sh->hist_n);
    free(sh->hist_opt);
    free(sh);
    *shard = NULL;
}

void sv_report_bulk(sv_report *r, bool on)
{
    if (r->bulk && !on)
        fold_hist(r);
    r->bulk = on;
}

void sv_report_set_detail(sv_report *r, size_t max_respondents)
{
    r->detail_max = max_respondents;
}

/* Whether snapshots list respondents one by one. */
static bool detail(const sv_report *r)
{
    return r->n_roster <= r->detail_max;
}

void sv_report_clear(sv_report *r)
{
    zero_tallies(r);
    drop_texts(r); /* a rerun fetches them again, once */
}

/* ---- snapshot: small parts -------------------------------------------- */

/* Allocations with a (NULL: malloc and free). */
static void *a_alloc(ProtobufCAllocator *a, size_t size)
{
    return a != NULL ? a->alloc(a->allocator_data, size) : malloc(size);
}

static void a_free(ProtobufCAllocator *a, void *p)
{
    if (a != NULL)
        a->free(a->allocator_data, p);
    else
        free(p);
}

/* Every part of a snapshot is allocated with the report's allocator while
 * it builds one (sv_report_snapshot_with): malloc, or an arena's. */
static void *s_alloc(const sv_report *r, size_t size)
{
    return a_alloc(r->alloc, size);
}

static void *s_calloc(const sv_report *r, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    void *p = s_alloc(r, n * size);
    if (p != NULL)
        memset(p, 0, n * size);
    return p;
}

static void s_free(const sv_report *r, void *p)
{
    a_free(r->alloc, p);
}

/* A copy of s ("" for NULL), or NULL when out of memory. */
static char *copy_str(const sv_report *r, const char *s)
{
    const char *from = s != NULL ? s : "";
    size_t len = strlen(from) + 1;
    char *to = s_alloc(r, len);

    if (to != NULL)
        memcpy(to, from, len);
    return to;
}

/* A string of the questionnaire, the roster or the report (all outlive
 * a snapshot built in an arena, see sv_report_snapshot_with): shared by a
 * snapshot built in an arena, copied into one built with malloc. */
static char *keep_str(const sv_report *r, const char *s)
{
    return r->alloc != NULL && s != NULL ? (char *)s : copy_str(r, s);
}

static const char *slot_name(const sv_report *r, size_t s)
{
    return s == 0 ? ALL : r->types[s - 1];
}

static const sv_respondent *who(const sv_report *r, size_t idx)
{
    return sv_questionnaire_respondent(r->q, idx);
}

/* Room for any percent: 39 digits of a 128-bit whole, a point, the
 * decimals and the NUL. */
#define PERCENT_ROOM 48

static char *percent(const sv_report *r, uint64_t count, uint64_t n)
{
    if (r->alloc != NULL) { /* an arena: straight into the room kept */
        char *to = s_alloc(r, PERCENT_ROOM);
        if (to != NULL &&
            sv_percent(count, n, r->decimals, to, PERCENT_ROOM) < 0)
            to[0] = '\0'; /* cannot happen: decimals checked, room enough */
        return to;
    }
    char buf[PERCENT_ROOM];
    if (sv_percent(count, n, r->decimals, buf, sizeof buf) < 0)
        buf[0] = '\0'; /* likewise */
    return copy_str(r, buf);
}

static Survey__V1__Figure *new_figure(const sv_report *r, size_t s,
                                      uint32_t count, uint32_t n)
{
    Survey__V1__Figure *f = s_alloc(r, sizeof *f);

    if (f == NULL)
        return NULL;
    survey__v1__figure__init(f);
    f->count = count;
    f->n = n;
    f->respondent_type = keep_str(r, slot_name(r, s));
    f->percent = percent(r, count, n);
    if (f->respondent_type == NULL || f->percent == NULL) {
        survey__v1__figure__free_unpacked(f, r->alloc);
        return NULL;
    }
    return f;
}

/* One figure per slot from count[s] over n[s]. */
static bool add_figures(const sv_report *r, const uint32_t *count,
                        const uint32_t *n, Survey__V1__Figure ***arr,
                        size_t *len)
{
    *arr = s_calloc(r, r->slots, sizeof **arr);
    if (*arr == NULL)
        return false;
    for (size_t s = 0; s < r->slots; s++) {
        Survey__V1__Figure *f =
            new_figure(r, s, tally(r, count, s), tally(r, n, s));
        if (f == NULL)
            return false;
        (*arr)[(*len)++] = f;
    }
    return true;
}

/* An option as a listing shows it: its label (its name when it has none). */
static const char *option_text(const sv_question *qu, size_t o)
{
    const char *label = qu->options[o].label;
    return label != NULL && label[0] != '\0' ? label : qu->options[o].name;
}

/* The options of mask (bit k: option k), their labels (or names) joined
 * with sep. Allocated (s_alloc), or NULL. */
static char *join_options(const sv_report *r, const sv_question *qu,
                          uint64_t mask, bool labels, const char *sep)
{
    size_t len = 1;
    for (size_t o = 0; o < qu->n_options; o++)
        if ((mask >> o) & 1u)
            len += strlen(labels ? option_text(qu, o) : qu->options[o].name) +
                   strlen(sep);
    char *s = s_alloc(r, len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t o = 0; o < qu->n_options; o++) {
        if ((mask >> o) & 1u) {
            if (s[0] != '\0')
                strcat(s, sep);
            strcat(s, labels ? option_text(qu, o) : qu->options[o].name);
        }
    }
    return s;
}

/* The text of a cell: see MatrixRow in survey.proto. rec may be NULL (not
 * started: ""). Returns an allocated string (s_alloc) or NULL. */
static char *cell(const sv_report *r, const uint8_t *rec, size_t i)
{
    const sv_question *qu = sv_questionnaire_question(r->q, i);
    char num[32];

    if (rec == NULL)
        return copy_str(r, "");
    if (!sv_compact_relevant(r->q, rec, i))
        return copy_str(r, CELL_NOT_RELEVANT);
    sv_value v = sv_compact_value(r->q, rec, i);
    switch (v.kind) {
    case SV_V_NONE:
        return copy_str(r, "");
    case SV_V_INTEGER:
        snprintf(num, sizeof num, "%" PRId64, v.integer);
        return copy_str(r, num);
    case SV_V_CHOICE: {
        const char *name = qu->options[v.choice].name;
        if (strcmp(name, "yes") == 0)
            return copy_str(r, CELL_YES);
        if (strcmp(name, "no") == 0)
            return copy_str(r, CELL_NO);
        return copy_str(r, name);
    }
    case SV_V_CHOICES:
        break;
    case SV_V_TEXT:
        return copy_str(r, CELL_TEXT);
    }
    /* select_multiple: the option names joined with "," */
    return join_options(r, qu, v.choices, false, ",");
}

/* The text of a listing entry of a select or integer question (a `list`
 * question that is not text): the chosen options' labels, as the report's
 * case listings show them (財源: 小慢児童等自立支援事業費 国庫負担金を活用),
 * joined with "、"; an integer as its digits. Allocated (s_alloc), or
 * NULL. */
static char *listed(const sv_report *r, const uint8_t *rec, size_t i)
{
    const sv_question *qu = sv_questionnaire_question(r->q, i);
    sv_value v = sv_compact_value(r->q, rec, i);
    static const char sep[] = "\xE3\x80\x81"; /* 、 */

    if (v.kind == SV_V_CHOICE)
        return copy_str(r, option_text(qu, v.choice));
    if (v.kind != SV_V_CHOICES)
        return cell(r, rec, i);
    return join_options(r, qu, v.choices, true, sep);
}

/* Sets *name and *label (allocated copies) to question i's innermost group, or
 * "". */
static bool group_of(const sv_report *r, size_t i, char **name, char **label)
{
    int g = sv_questionnaire_question(r->q, i)->group;
    const sv_group *grp =
        g >= 0 ? sv_questionnaire_group(r->q, (size_t)g) : NULL;

    *name = copy_str(r, grp != NULL ? grp->name : "");
    *label = copy_str(r, grp != NULL ? grp->label : "");
    return *name != NULL && *label != NULL;
}

static bool is_select(const sv_question *qu)
{
    return qu->type == SV_Q_SELECT_ONE || qu->type == SV_Q_SELECT_MULTIPLE;
}

/* The option of a rate question: "yes", else the list's first. */
static size_t rate_option(const sv_question *qu)
{
    int o = sv_question_option(qu, "yes");

    return o >= 0 ? (size_t)o : 0;
}

static bool is_rate(const sv_question *qu)
{
    return (qu->report & SV_REPORT_RATE) != 0 && is_select(qu) &&
           qu->n_options > 0;
}

/* True if the record answers option o of question i (relevant too). */
static bool chose(const sv_report *r, const uint8_t *rec, size_t i, size_t o)
{
    if (rec == NULL || !relevant_answered(r, rec, i))
        return false;
    sv_value v = sv_compact_value(r->q, rec, i);
    if (v.kind == SV_V_CHOICE)
        return v.choice == o;
    return v.kind == SV_V_CHOICES && ((v.choices >> o) & 1u);
}

/* Counts the questions of q for which pred holds. */
static size_t count_questions(const sv_report *r,
                              bool (*pred)(const sv_question *))
{
    size_t n = 0;

    for (size_t i = 0; i < r->n_questions; i++) {
        if (pred(sv_questionnaire_question(r->q, i)))
            n++;
    }
    return n;
}

static bool is_matrix(const sv_question *qu)
{
    return (qu->report & SV_REPORT_MATRIX) != 0;
}

static bool is_sum(const sv_question *qu)
{
    return (qu->report & SV_REPORT_SUM) != 0 && qu->type == SV_Q_INTEGER;
}

static bool is_list(const sv_question *qu)
{
    return (qu->report & SV_REPORT_LIST) != 0;
}

/* ---- snapshot: rates and programs ------------------------------------- */

static Survey__V1__Rate *new_rate(const sv_report *r, size_t i)
{
    const sv_question *qu = sv_questionnaire_question(r->q, i);
    size_t o = rate_option(qu);
    Survey__V1__Rate *rate = s_alloc(r, sizeof *rate);

    if (rate == NULL)
        return NULL;
    survey__v1__rate__init(rate);
    rate->question = copy_str(r, qu->name);
    rate->label = copy_str(r, qu->label);
    rate->option = copy_str(r, qu->options[o].name);
    if (rate->question == NULL || rate->label == NULL || rate->option == NULL ||
        !add_figures(r, &r->count[(r->opt_base[i] + o) * r->slots],
                     &r->n[i * r->slots], &rate->figures, &rate->n_figures)) {
        survey__v1__rate__free_unpacked(rate, r->alloc);
        return NULL;
    }
    return rate;
}

static Survey__V1__RespondentRef *new_ref(const sv_report *r, size_t idx)
{
    Survey__V1__RespondentRef *ref = s_alloc(r, sizeof *ref);

    if (ref == NULL)
        return NULL;
    survey__v1__respondent_ref__init(ref);
    ref->respondent = copy_str(r, who(r, idx)->code);
    ref->name = copy_str(r, who(r, idx)->name);
    ref->respondent_type = copy_str(r, who(r, idx)->type);
    if (ref->respondent == NULL || ref->name == NULL ||
        ref->respondent_type == NULL) {
        survey__v1__respondent_ref__free_unpacked(ref, r->alloc);
        return NULL;
    }
    return ref;
}

static Survey__V1__Program *new_program(const sv_report *r, size_t i)
{
    const sv_question *qu = sv_questionnaire_question(r->q, i);
    size_t o = rate_option(qu);
    Survey__V1__Program *p = s_alloc(r, sizeof *p);

    if (p == NULL)
        return NULL;
    survey__v1__program__init(p);
    p->question = copy_str(r, qu->name);
    p->label = copy_str(r, qu->label);
    p->option = copy_str(r, qu->options[o].name);
    size_t cap =
        detail(r) ? tally(r, &r->count[(r->opt_base[i] + o) * r->slots], 0) : 0;
    p->respondents = s_calloc(r, cap + 1, sizeof *p->respondents);
    if (p->question == NULL || p->label == NULL || p->option == NULL ||
        p->respondents == NULL)
        goto fail;
    for (size_t idx = 0; detail(r) && idx < r->n_roster; idx++) {
        if (!chose(r, record(r, idx), i, o))
            continue;
        Survey__V1__RespondentRef *ref = new_ref(r, idx);
        if (ref == NULL)
            goto fail;
        p->respondents[p->n_respondents++] = ref;
    }
    return p;

fail:
    survey__v1__program__free_unpacked(p, r->alloc);
    return NULL;
}

static bool add_rates(const sv_report *r, Survey__V1__Snapshot *snap)
{
    size_t n = count_questions(r, is_rate);

    snap->rates = s_calloc(r, n + 1, sizeof *snap->rates);
    snap->programs = s_calloc(r, n + 1, sizeof *snap->programs);
    if (snap->rates == NULL || snap->programs == NULL)
        return false;
    for (size_t i = 0; i < r->n_questions; i++) {
        if (!is_rate(sv_questionnaire_question(r->q, i)))
            continue;
        Survey__V1__Rate *rate = new_rate(r, i);
        if (rate == NULL)
            return false;
        snap->rates[snap->n_rates++] = rate;
        Survey__V1__Program *p = new_program(r, i);
        if (p == NULL)
            return false;
        snap->programs[snap->n_programs++] = p;
    }
    return true;
}

/* ---- snapshot: frequencies -------------------------------------------- */

static Survey__V1__OptionFigures *new_option_figures(const sv_report *r,
                                                     size_t i, size_t o)
{
    const sv_option *opt = &sv_questionnaire_question(r->q, i)->options[o];
    Survey__V1__OptionFigures *of = s_alloc(r, sizeof *of);

    if (of == NULL)
        return NULL;
    survey__v1__option_figures__init(of);
    of->option = copy_str(r, opt->name);
    of->label = copy_str(r, opt->label);
    if (of->option == NULL || of->label == NULL ||
        !add_figures(r, &r->count[(r->opt_base[i] + o) * r->slots],
                     &r->n[i * r->slots], &of->figures, &of->n_figures)) {
        survey__v1__option_figures__free_unpacked(of, r->alloc);
        return NULL;
    }
    return of;
}

static Survey__V1__Frequency *new_frequency(const sv_report *r, size_t i)
{
    const sv_question *qu = sv_questionnaire_question(r->q, i);
    Survey__V1__Frequency *f = s_alloc(r, sizeof *f);

    if (f == NULL)
        return NULL;
    survey__v1__frequency__init(f);
    f->question = copy_str(r, qu->name);
    f->label = copy_str(r, qu->label);
    f->multiple = qu->type == SV_Q_SELECT_MULTIPLE;
    f->options = s_calloc(r, qu->n_options + 1, sizeof *f->options);
    if (f->question == NULL || f->label == NULL || f->options == NULL ||
        !group_of(r, i, &f->group, &f->group_label))
        goto fail;
    for (size_t o = 0; o < qu->n_options; o++) {
        Survey__V1__OptionFigures *of = new_option_figures(r, i, o);
        if (of == NULL)
            goto fail;
        f->options[f->n_options++] = of;
    }
    if (!add_figures(r, &r->n[i * r->slots], &r->n[i * r->slots], &f->answered,
                     &f->n_answered))
        goto fail;
    return f;

fail:
    survey__v1__frequency__free_unpacked(f, r->alloc);
    return NULL;
}

static bool add_frequencies(const sv_report *r, Survey__V1__Snapshot *snap)
{
    snap->frequencies = s_calloc(r, count_questions(r, is_select) + 1,
                                 sizeof *snap->frequencies);
    if (snap->frequencies == NULL)
        return false;
    for (size_t i = 0; i < r->n_questions; i++) {
        if (!is_select(sv_questionnaire_question(r->q, i)))
            continue;
        Survey__V1__Frequency *f = new_frequency(r, i);
        if (f == NULL)
            return false;
        snap->frequencies[snap->n_frequencies++] = f;
    }
    return true;
}

/* ---- snapshot: matrix ------------------------------------------------- */

static Survey__V1__MatrixRow *new_row(const sv_report *r, size_t idx)
{
    const uint8_t *rec = record(r, idx);
    Survey__V1__MatrixRow *row = s_alloc(r, sizeof *row);

    if (row == NULL)
        return NULL;
    survey__v1__matrix_row__init(row);
    row->respondent = copy_str(r, who(r, idx)->code);
    row->name = copy_str(r, who(r, idx)->name);
    row->respondent_type = copy_str(r, who(r, idx)->type);
    row->cells = s_calloc(r, r->n_questions + 1, sizeof *row->cells);
    if (row->respondent == NULL || row->name == NULL ||
        row->respondent_type == NULL || row->cells == NULL)
        goto fail;
    for (size_t i = 0; i < r->n_questions; i++) {
        if (!is_matrix(sv_questionnaire_question(r->q, i)))
            continue;
        char *c = cell(r, rec, i);
        if (c == NULL)
            goto fail;
        row->cells[row->n_cells++] = c;
    }
    return row;

fail:
    survey__v1__matrix_row__free_unpacked(row, r->alloc);
    return NULL;
}

static Survey__V1__MatrixColumn *new_column(const sv_report *r,
                                            const sv_question *qu)
{
    Survey__V1__MatrixColumn *c = s_alloc(r, sizeof *c);

    if (c == NULL)
        return NULL;
    survey__v1__matrix_column__init(c);
    c->question = copy_str(r, qu->name);
    c->label = copy_str(r, qu->label);
    c->sum = is_sum(qu);
    if (c->question == NULL || c->label == NULL) {
        survey__v1__matrix_column__free_unpacked(c, r->alloc);
        return NULL;
    }
    return c;
}

static Survey__V1__MatrixTotal *new_total(const sv_report *r, size_t i,
                                          size_t s)
{
    Survey__V1__MatrixTotal *t = s_alloc(r, sizeof *t);

    if (t == NULL)
        return NULL;
    survey__v1__matrix_total__init(t);
    t->question = copy_str(r, sv_questionnaire_question(r->q, i)->name);
    t->respondent_type = keep_str(r, slot_name(r, s));
    t->sum = tally_sum(r, &r->sum[i * r->slots], s);
    t->n = tally(r, &r->n[i * r->slots], s);
    if (t->question == NULL || t->respondent_type == NULL) {
        survey__v1__matrix_total__free_unpacked(t, r->alloc);
        return NULL;
    }
    return t;
}

static bool matrix_columns(const sv_report *r, Survey__V1__Matrix *m)
{
    m->columns =
        s_calloc(r, count_questions(r, is_matrix) + 1, sizeof *m->columns);
    m->totals = s_calloc(r, count_questions(r, is_sum) * r->slots + 1,
                         sizeof *m->totals);
    if (m->columns == NULL || m->totals == NULL)
        return false;
    for (size_t i = 0; i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        if (is_matrix(qu)) {
            Survey__V1__MatrixColumn *c = new_column(r, qu);
            if (c == NULL)
                return false;
            m->columns[m->n_columns++] = c;
        }
        for (size_t s = 0; is_sum(qu) && s < r->slots; s++) {
            Survey__V1__MatrixTotal *t = new_total(r, i, s);
            if (t == NULL)
                return false;
            m->totals[m->n_totals++] = t;
        }
    }
    return true;
}

/* Rows grouped by type (types in roster order), roster order within. */
static bool matrix_rows(const sv_report *r, Survey__V1__Matrix *m)
{
    if (!detail(r))
        return true;
    m->rows = s_calloc(r, r->n_roster + 1, sizeof *m->rows);
    if (m->rows == NULL)
        return false;
    for (size_t t = 0; t < r->n_types; t++) {
        for (size_t idx = 0; idx < r->n_roster; idx++) {
            if (r->type_of[idx] != t)
                continue;
            Survey__V1__MatrixRow *row = new_row(r, idx);
            if (row == NULL)
                return false;
            m->rows[m->n_rows++] = row;
        }
    }
    return true;
}

static bool add_matrix(const sv_report *r, Survey__V1__Snapshot *snap)
{
    snap->matrix = s_alloc(r, sizeof *snap->matrix);
    if (snap->matrix == NULL)
        return false;
    survey__v1__matrix__init(snap->matrix);
    return matrix_columns(r, snap->matrix) && matrix_rows(r, snap->matrix);
}

/* ---- snapshot: listings ----------------------------------------------- */

static Survey__V1__Listing *new_listing(const sv_report *r, size_t i)
{
    const sv_question *qu = sv_questionnaire_question(r->q, i);
    Survey__V1__Listing *l = s_alloc(r, sizeof *l);

    if (l == NULL)
        return NULL;
    survey__v1__listing__init(l);
    l->question = copy_str(r, qu->name);
    l->label = copy_str(r, qu->label);
    l->entries =
        s_calloc(r, detail(r) ? tally(r, &r->n[i * r->slots], 0) + 1 : 1,
                 sizeof *l->entries);
    if (l->question == NULL || l->label == NULL || l->entries == NULL ||
        !group_of(r, i, &l->group, &l->group_label)) {
        survey__v1__listing__free_unpacked(l, r->alloc);
        return NULL;
    }
    return l;
}

/* The text answer to `question` in rev, or "" (rev NULL, not answered, or
 * answered otherwise). Borrowed. */
static const char *answer_text(const Survey__V1__Revision *rev,
                               const char *question)
{
    for (size_t k = 0; rev != NULL && k < rev->n_answers; k++) {
        const Survey__V1__Answer *a = rev->answers[k];
        if (strcmp(a->question, question) != 0)
            continue;
        if (a->value_case == SURVEY__V1__ANSWER__VALUE_TEXT)
            return a->text;
        if (a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICE)
            return a->choice;
        return "";
    }
    return "";
}

static Survey__V1__ListEntry *new_entry(const sv_report *r, size_t idx,
                                        const char *text, char *owned)
{
    Survey__V1__ListEntry *e = s_alloc(r, sizeof *e);

    if (e == NULL) {
        s_free(r, owned);
        return NULL;
    }
    survey__v1__list_entry__init(e);
    e->respondent = copy_str(r, who(r, idx)->code);
    e->name = copy_str(r, who(r, idx)->name);
    e->respondent_type = copy_str(r, who(r, idx)->type);
    e->text = owned != NULL ? owned : copy_str(r, text);
    if (e->respondent == NULL || e->name == NULL ||
        e->respondent_type == NULL || e->text == NULL) {
        survey__v1__list_entry__free_unpacked(e, r->alloc);
        return NULL;
    }
    return e;
}

/* True if respondent idx answers a `list` text question: its texts must
 * be fetched. */
static bool needs_texts(const sv_report *r, const uint8_t *rec)
{
    for (size_t i = 0; i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        if (is_list(qu) && qu->type == SV_Q_TEXT &&
            relevant_answered(r, rec, i))
            return true;
    }
    return false;
}

/* Adds respondent idx's entries to every listing (one per `list`
 * question, in question order); texts: its kept texts (NULL: none). */
static bool list_respondent(const sv_report *r, size_t idx, char *const *texts,
                            Survey__V1__Snapshot *snap)
{
    const uint8_t *rec = record(r, idx);
    size_t l = 0;

    for (size_t i = 0; i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        if (!is_list(qu))
            continue;
        Survey__V1__Listing *listing = snap->listings[l++];
        if (!relevant_answered(r, rec, i))
            continue;
        /* sized by the tally (new_listing): never written past, even if
         * the tallies were out of step with the records */
        if (listing->n_entries >= tally(r, &r->n[i * r->slots], 0))
            return false;
        Survey__V1__ListEntry *e;
        if (qu->type == SV_Q_TEXT) {
            e = new_entry(r, idx,
                          texts != NULL ? texts[r->text_list_of[i]] : "", NULL);
        } else {
            char *c = listed(r, rec, i);
            e = c != NULL ? new_entry(r, idx, NULL, c) : NULL;
        }
        if (e == NULL)
            return false;
        listing->entries[listing->n_entries++] = e;
    }
    return true;
}

/* Respondent idx's texts as of its revision, in *out: those kept, or
 * fetched with fn and kept (a revision never changes; one of 0, or not
 * found, is fetched again next time). */
static sv_status texts_of(const sv_report *r, kept_texts *kept,
                          sv_revision_fn fn, void *ctx, size_t idx,
                          char *const **out, sv_error *err)
{
    kept_texts *k = &kept[idx];
    uint64_t revision = r->revision[idx];
    Survey__V1__Revision *rev = NULL;
    char **text;
    size_t made = 0;

    if (revision != 0 && k->revision == revision) {
        *out = k->text;
        return SV_OK;
    }
    sv_status st = fn(ctx, who(r, idx)->code, revision, &rev, err);
    if (st != SV_OK && st != SV_ERR_NOT_FOUND)
        return st;
    text = calloc(r->n_text_lists + 1, sizeof *text);
    for (size_t i = 0; text != NULL && i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        if (r->text_list_of[i] == SIZE_MAX)
            continue;
        text[r->text_list_of[i]] = strdup(answer_text(rev, qu->name));
        if (text[r->text_list_of[i]] == NULL)
            break;
        made++;
    }
    if (rev != NULL)
        survey__v1__revision__free_unpacked(rev, NULL);
    if (text == NULL || made < r->n_text_lists) {
        free_texts(r, text);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    free_texts(r, k->text);
    k->text = text;
    k->revision = st == SV_OK ? revision : 0;
    *out = text;
    return SV_OK;
}

static sv_status add_listings(const sv_report *r, kept_texts *kept,
                              sv_revision_fn fn, void *ctx,
                              Survey__V1__Snapshot *snap, sv_error *err)
{
    snap->listings =
        s_calloc(r, count_questions(r, is_list) + 1, sizeof *snap->listings);
    if (snap->listings == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < r->n_questions; i++) {
        if (!is_list(sv_questionnaire_question(r->q, i)))
            continue;
        Survey__V1__Listing *l = new_listing(r, i);
        if (l == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        snap->listings[snap->n_listings++] = l;
    }
    for (size_t idx = 0; detail(r) && idx < r->n_roster; idx++) {
        const uint8_t *rec = record(r, idx);
        char *const *texts = NULL;
        if (rec == NULL)
            continue;
        if (fn != NULL && needs_texts(r, rec)) {
            sv_status st = texts_of(r, kept, fn, ctx, idx, &texts, err);
            if (st != SV_OK)
                return st;
        }
        if (!list_respondent(r, idx, texts, snap))
            return sv_fail(err, SV_ERR_NOMEM,
                           "listing of %s: out of memory, or more entries "
                           "than its tally",
                           who(r, idx)->code);
    }
    return SV_OK;
}

/* ---- snapshot: completeness ------------------------------------------- */

static Survey__V1__CompletenessFigure *new_cfigure(const sv_report *r, size_t s)
{
    Survey__V1__CompletenessFigure *f = s_alloc(r, sizeof *f);

    if (f == NULL)
        return NULL;
    survey__v1__completeness_figure__init(f);
    f->expected = r->expected[s];
    f->complete = tally(r, &r->n_state[COMPLETE * r->slots], s);
    f->incomplete = tally(r, &r->n_state[INCOMPLETE * r->slots], s);
    f->not_started = tally(r, &r->n_state[NOT_STARTED * r->slots], s);
    f->respondent_type = keep_str(r, slot_name(r, s));
    f->response_rate =
        percent(r, (uint64_t)f->complete + f->incomplete, f->expected);
    f->complete_rate = percent(r, f->complete, f->expected);
    if (f->respondent_type == NULL || f->response_rate == NULL ||
        f->complete_rate == NULL) {
        survey__v1__completeness_figure__free_unpacked(f, r->alloc);
        return NULL;
    }
    return f;
}

static Survey__V1__RespondentStatus *new_status(const sv_report *r, size_t idx)
{
    const uint8_t *rec = record(r, idx);
    Survey__V1__RespondentStatus *st = s_alloc(r, sizeof *st);

    if (st == NULL)
        return NULL;
    survey__v1__respondent_status__init(st);
    st->state = r->state[idx];
    st->revision = r->revision[idx];
    st->respondent = copy_str(r, who(r, idx)->code);
    st->name = copy_str(r, who(r, idx)->name);
    st->respondent_type = copy_str(r, who(r, idx)->type);
    st->missing = s_calloc(r, r->n_questions + 1, sizeof *st->missing);
    if (st->respondent == NULL || st->name == NULL ||
        st->respondent_type == NULL || st->missing == NULL)
        goto fail;
    for (size_t i = 0; rec != NULL && i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        if (!qu->required || !sv_compact_relevant(r->q, rec, i) ||
            sv_compact_answered(r->q, rec, i))
            continue;
        char *name = copy_str(r, qu->name);
        if (name == NULL)
            goto fail;
        st->missing[st->n_missing++] = name;
    }
    return st;

fail:
    survey__v1__respondent_status__free_unpacked(st, r->alloc);
    return NULL;
}

static bool add_completeness(const sv_report *r, Survey__V1__Snapshot *snap)
{
    Survey__V1__Completeness *c = s_alloc(r, sizeof *c);

    if (c == NULL)
        return false;
    survey__v1__completeness__init(c);
    snap->completeness = c;
    c->figures = s_calloc(r, r->slots, sizeof *c->figures);
    c->respondents =
        s_calloc(r, detail(r) ? r->n_roster + 1 : 1, sizeof *c->respondents);
    if (c->figures == NULL || c->respondents == NULL)
        return false;
    for (size_t s = 0; s < r->slots; s++) {
        Survey__V1__CompletenessFigure *f = new_cfigure(r, s);
        if (f == NULL)
            return false;
        c->figures[c->n_figures++] = f;
    }
    for (size_t idx = 0; detail(r) && idx < r->n_roster; idx++) {
        Survey__V1__RespondentStatus *st = new_status(r, idx);
        if (st == NULL)
            return false;
        c->respondents[c->n_respondents++] = st;
    }
    return true;
}

/* ---- snapshot --------------------------------------------------------- */

static bool add_header(const sv_report *r, Survey__V1__Snapshot *snap)
{
    snap->survey = copy_str(r, sv_questionnaire_id(r->q));
    snap->questionnaire_version = copy_str(r, sv_questionnaire_version(r->q));
    snap->title = copy_str(r, sv_questionnaire_title(r->q));
    snap->decimals = r->decimals;
    snap->respondent_detail_omitted = !detail(r);
    snap->respondent_types =
        s_calloc(r, r->n_types + 1, sizeof *snap->respondent_types);
    if (snap->survey == NULL || snap->questionnaire_version == NULL ||
        snap->title == NULL || snap->respondent_types == NULL)
        return false;
    for (size_t t = 0; t < r->n_types; t++) {
        char *type = copy_str(r, r->types[t]);
        if (type == NULL)
            return false;
        snap->respondent_types[snap->n_respondent_types++] = type;
    }
    return true;
}

static sv_status digest_with(Survey__V1__Snapshot *snap,
                             ProtobufCAllocator *alloc, sv_pb_packer *packer,
                             sv_error *err);

static sv_status build_snapshot(const sv_report *r, sv_pb_packer *packer,
                                kept_texts *kept, sv_revision_fn fn, void *ctx,
                                Survey__V1__Snapshot **out, sv_error *err)
{
    Survey__V1__Snapshot *snap = s_alloc(r, sizeof *snap);
    sv_status st = SV_ERR_NOMEM;

    *out = NULL;
    if (snap == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    survey__v1__snapshot__init(snap);
    if (!add_header(r, snap) || !add_rates(r, snap) || !add_matrix(r, snap) ||
        !add_frequencies(r, snap)) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = add_listings(r, kept, fn, ctx, snap, err);
    if (st != SV_OK)
        goto fail;
    if (!add_completeness(r, snap)) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = digest_with(snap, r->alloc, packer, err);
    if (st != SV_OK)
        goto fail;
    *out = snap;
    return SV_OK;

fail:
    survey__v1__snapshot__free_unpacked(snap, r->alloc);
    return st;
}

/* Makes room for the kept texts (first use): false when out of memory. */
static bool keep_texts(sv_report *r)
{
    if (r->texts != NULL)
        return true;
    r->text_list_of = malloc((r->n_questions + 1) * sizeof *r->text_list_of);
    r->texts = calloc(r->n_roster + 1, sizeof *r->texts);
    if (r->text_list_of == NULL || r->texts == NULL) {
        free(r->text_list_of);
        free(r->texts);
        r->text_list_of = NULL;
        r->texts = NULL;
        return false;
    }
    r->n_text_lists = 0;
    for (size_t i = 0; i < r->n_questions; i++) {
        const sv_question *qu = sv_questionnaire_question(r->q, i);
        r->text_list_of[i] =
            is_list(qu) && qu->type == SV_Q_TEXT ? r->n_text_lists++ : SIZE_MAX;
    }
    return true;
}

sv_status sv_report_snapshot(sv_report *r, sv_revision_fn fn, void *ctx,
                             Survey__V1__Snapshot **out, sv_error *err)
{
    return sv_report_snapshot_with(r, NULL, fn, ctx, out, err);
}

sv_status sv_report_snapshot_with(sv_report *r, ProtobufCAllocator *alloc,
                                  sv_revision_fn fn, void *ctx,
                                  Survey__V1__Snapshot **out, sv_error *err)
{
    *out = NULL;
    if (r->packer == NULL && (r->packer = sv_pb_packer_new()) == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (detail(r) && !keep_texts(r))
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    r->alloc = alloc;
    sv_status st = build_snapshot(r, r->packer, r->texts, fn, ctx, out, err);
    r->alloc = NULL;
    return st;
}

sv_status sv_snapshot_digest(Survey__V1__Snapshot *snap, sv_error *err)
{
    return digest_with(snap, NULL, NULL, err);
}

/* The digest of the snapshot's content, packed by packer (pb_pack.h:
 * protobuf-c's bytes, with less work), kept from one snapshot to the next
 * (NULL: a packer of its own); the digest is allocated from alloc. */
static sv_status digest_with(Survey__V1__Snapshot *snap,
                             ProtobufCAllocator *alloc, sv_pb_packer *packer,
                             sv_error *err)
{
    uint64_t version = snap->version;
    uint64_t sequence = snap->sequence;
    int64_t created_ms = snap->created_ms;
    ProtobufCBinaryData digest = snap->digest;
    char *trigger = snap->trigger;
    sv_pb_packer *own = packer == NULL ? sv_pb_packer_new() : NULL;
    sv_pb_packer *pk = packer != NULL ? packer : own;
    sv_pb_result packed = SV_PB_NOMEM;
    const uint8_t *bytes = NULL;
    uint8_t *theirs = NULL; /* protobuf-c's, for what pb_pack declines */
    uint8_t hash[DIGEST_BYTES];
    uint8_t *copy = NULL;
    size_t len = 0;
    size_t got = 0;
    int rc = -1;

    if (sodium_init() < 0) {
        sv_pb_packer_destroy(&own);
        return sv_fail(err, SV_ERR_IO, "libsodium could not initialise");
    }
    snap->version = 0;
    snap->sequence = 0;
    snap->created_ms = 0;
    snap->digest.len = 0;
    snap->digest.data = NULL;
    snap->trigger = (char *)protobuf_c_empty_string;
    if (pk != NULL)
        packed = sv_pb_pack(pk, &snap->base, &bytes, &len);
    if (packed == SV_PB_UNSUPPORTED) {
        len = survey__v1__snapshot__get_packed_size(snap);
        theirs = malloc(len + 1);
        if (theirs != NULL)
            got = survey__v1__snapshot__pack(snap, theirs);
        bytes = got == len ? theirs : NULL;
    }
    snap->version = version;
    snap->sequence = sequence;
    snap->created_ms = created_ms;
    snap->digest = digest;
    snap->trigger = trigger;
    if (bytes != NULL)
        rc = crypto_generichash(hash, sizeof hash, bytes, len, NULL, 0);
    bool mismatch = packed == SV_PB_UNSUPPORTED && theirs != NULL && got != len;
    free(theirs);
    sv_pb_packer_destroy(&own);
    if (mismatch)
        return sv_fail(err, SV_ERR_PROTO,
                       "snapshot packed to %zu bytes, "
                       "expected %zu",
                       got, len);
    if (bytes == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    if (rc != 0)
        return sv_fail(err, SV_ERR_INVALID, "BLAKE2b-256 failed");
    copy = a_alloc(alloc, sizeof hash);
    if (copy == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    memcpy(copy, hash, sizeof hash);
    a_free(alloc, snap->digest.data);
    snap->digest.data = copy;
    snap->digest.len = sizeof hash;
    return SV_OK;
}
