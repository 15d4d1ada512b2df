/* compact.c: the compact record of one answer set (compact.h). The layout
 * (slot offsets, size, fingerprint) is computed once per questionnaire by
 * sv_compact_layout() when it is loaded; encoding and the accessors only
 * read it. */
#include "compact.h"
#include "questionnaire_private.h"

#include <stdlib.h>
#include <string.h>

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u
#define HEADER SV_COMPACT_HEADER /* the fingerprint */

static uint32_t fnv(uint32_t h, const void *data, size_t len)
{
    const uint8_t *p = data;

    for (size_t k = 0; k < len; k++) {
        h ^= p[k];
        h *= FNV_PRIME;
    }
    return h;
}

/* Hashes s with its terminating NUL, so that "ab","c" and "a","bc"
 * differ. */
static uint32_t fnv_str(uint32_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

static uint32_t fnv_u32(uint32_t h, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};

    return fnv(h, b, sizeof b);
}

static size_t bitmap_bytes(const sv_questionnaire *q)
{
    return (q->n_questions + 7) / 8;
}

/* Bytes of question i's slot. */
static size_t slot_bytes(const sv_question *qu)
{
    switch (qu->type) {
    case SV_Q_INTEGER:
        return 8;
    case SV_Q_SELECT_ONE:
        return 1;
    case SV_Q_SELECT_MULTIPLE:
        return (qu->n_options + 7) / 8;
    case SV_Q_TEXT:
        break;
    }
    return 0;
}

sv_status sv_compact_layout(sv_questionnaire *q, sv_error *err)
{
    size_t off = HEADER + 2 * bitmap_bytes(q);
    uint32_t h = FNV_OFFSET;

    q->slot = calloc(q->n_questions + 1, sizeof *q->slot);
    if (q->slot == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    h = fnv_str(h, q->id);
    h = fnv_str(h, q->version);
    for (size_t i = 0; i < q->n_questions; i++) {
        const sv_question *qu = &q->questions[i];
        q->slot[i] = off;
        off += slot_bytes(qu);
        h = fnv_str(h, qu->name);
        h = fnv_u32(h, (uint32_t)qu->type);
        h = fnv_u32(h, (uint32_t)qu->n_options);
    }
    q->compact_size = off;
    q->fingerprint = h;
    return SV_OK;
}

size_t sv_compact_size(const sv_questionnaire *q)
{
    return q->compact_size;
}

size_t sv_compact_bitmap_bytes(const sv_questionnaire *q)
{
    return bitmap_bytes(q);
}

size_t sv_compact_slot(const sv_questionnaire *q, size_t i)
{
    return q->slot[i];
}

uint32_t sv_compact_fingerprint(const sv_questionnaire *q)
{
    return q->fingerprint;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (size_t k = 0; k < 8; k++)
        p[k] = (uint8_t)(v >> (8 * k));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;

    for (size_t k = 0; k < 8; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static void set_bit(uint8_t *map, size_t i)
{
    map[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool get_bit(const uint8_t *map, size_t i)
{
    return (map[i / 8] >> (i % 8)) & 1u;
}

/* Writes v into question i's slot; false (nothing written) when v does not
 * fit the question's type, which then reads as unanswered. */
static bool put_value(const sv_questionnaire *q, size_t i, const sv_value *v,
                      uint8_t *rec)
{
    const sv_question *qu = &q->questions[i];
    uint8_t *slot = rec + q->slot[i];

    switch (qu->type) {
    case SV_Q_INTEGER:
        if (v->kind != SV_V_INTEGER)
            return false;
        put_u64(slot, (uint64_t)v->integer);
        return true;
    case SV_Q_SELECT_ONE:
        if (v->kind != SV_V_CHOICE || v->choice >= qu->n_options)
            return false;
        slot[0] = (uint8_t)v->choice;
        return true;
    case SV_Q_SELECT_MULTIPLE:
        if (v->kind != SV_V_CHOICES)
            return false;
        for (size_t k = 0; k < qu->n_options; k++) {
            if ((v->choices >> k) & 1u)
                set_bit(slot, k);
        }
        return true;
    case SV_Q_TEXT:
        return v->kind == SV_V_TEXT;
    }
    return false;
}

void sv_compact_encode(const sv_questionnaire *q, const sv_value *values,
                       const bool *relevant, uint8_t *out)
{
    size_t bm = bitmap_bytes(q);
    uint8_t *rel = out + HEADER;
    uint8_t *ans = rel + bm;
    uint32_t fp = q->fingerprint;

    memset(out, 0, q->compact_size);
    out[0] = (uint8_t)fp;
    out[1] = (uint8_t)(fp >> 8);
    out[2] = (uint8_t)(fp >> 16);
    out[3] = (uint8_t)(fp >> 24);
    for (size_t i = 0; i < q->n_questions; i++) {
        if (relevant[i])
            set_bit(rel, i);
        if (values[i].kind != SV_V_NONE && put_value(q, i, &values[i], out))
            set_bit(ans, i);
    }
}

bool sv_compact_valid(const sv_questionnaire *q, const uint8_t *rec, size_t len)
{
    if (rec == NULL || len != q->compact_size)
        return false;
    uint32_t fp = (uint32_t)rec[0] | (uint32_t)rec[1] << 8 |
                  (uint32_t)rec[2] << 16 | (uint32_t)rec[3] << 24;
    return fp == q->fingerprint;
}

bool sv_compact_relevant(const sv_questionnaire *q, const uint8_t *rec,
                         size_t i)
{
    (void)q;
    return get_bit(rec + HEADER, i);
}

bool sv_compact_answered(const sv_questionnaire *q, const uint8_t *rec,
                         size_t i)
{
    return get_bit(rec + HEADER + bitmap_bytes(q), i);
}

sv_value sv_compact_value(const sv_questionnaire *q, const uint8_t *rec,
                          size_t i)
{
    const sv_question *qu = &q->questions[i];
    const uint8_t *slot = rec + q->slot[i];
    sv_value v = {.kind = SV_V_NONE};

    if (!sv_compact_answered(q, rec, i))
        return v;
    switch (qu->type) {
    case SV_Q_INTEGER:
        v.kind = SV_V_INTEGER;
        v.integer = (int64_t)get_u64(slot);
        break;
    case SV_Q_SELECT_ONE:
        v.kind = SV_V_CHOICE;
        v.choice = slot[0];
        break;
    case SV_Q_SELECT_MULTIPLE:
        v.kind = SV_V_CHOICES;
        for (size_t k = 0; k < (qu->n_options + 7) / 8; k++)
            v.choices |= (uint64_t)slot[k] << (8 * k);
        break;
    case SV_Q_TEXT:
        v.kind = SV_V_TEXT;
        break;
    }
    return v;
}
