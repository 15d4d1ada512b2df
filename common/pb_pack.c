/* pb_pack.c: see pb_pack.h. The rules are protobuf-c 1.4's
 * (protobuf_c_message_pack): fields in the descriptor's order; a plain
 * field left out when zero, a NULL or empty string, empty bytes or a NULL
 * message; a negative int32 or enum as ten bytes; a boolean as 0 or 1; a
 * NULL string or message in a repeated field as an empty one. */
#include "pb_pack.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

/* What a field is, as the plan has it. */
enum {
    K_INT32, /* and enum */
    K_UINT32,
    K_BOOL,
    K_UINT64, /* and int64 */
    K_SINT32, /* zigzag */
    K_SINT64, /* zigzag */
    K_STRING,
    K_BYTES,
    K_MESSAGE,
    K_REPEATED = 0x10, /* with K_STRING, K_BYTES or K_MESSAGE */
    K_ONEOF = 0x20,    /* with any but K_REPEATED */
};

typedef struct {
    uint32_t offset;     /* of the member */
    uint32_t quantifier; /* of a repeated field's count, a oneof's case */
    uint32_t id;         /* field number: a oneof's case when it is set */
    const void *absent;  /* a oneof string or message at this pointer is not
                            written (protobuf-c's default_value), nor NULL */
    uint8_t kind;        /* K_... */
    uint8_t tag_len;     /* bytes of tag */
    uint8_t tag[6];      /* field number and wire type, a varint */
} field_op;

typedef struct {
    const ProtobufCMessageDescriptor *d; /* NULL: a free slot */
    bool known;                          /* every field is one of ours */
    unsigned n;
    field_op *ops;
} plan;

#define PLAN_SLOTS 64 /* message types a packer knows (power of two) */

struct sv_pb_packer {
    uint8_t *buf; /* written from the end towards the start */
    size_t cap;
    size_t pos; /* the bytes written are buf[pos..cap) */
    plan plans[PLAN_SLOTS];
};

static size_t varint_size(uint64_t v)
{
    size_t n = 1;

    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;

    if (v < 0x80) { /* most are: a short string's length, a count */
        out[0] = (uint8_t)v;
        return 1;
    }
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* The plan's kind of field f, or -1 when it is not one of ours. */
static int kind_of(const ProtobufCFieldDescriptor *f)
{
    int k;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM:
        k = K_INT32;
        break;
    case PROTOBUF_C_TYPE_UINT32:
        k = K_UINT32;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        k = K_BOOL;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        k = K_UINT64;
        break;
    case PROTOBUF_C_TYPE_SINT32:
        k = K_SINT32;
        break;
    case PROTOBUF_C_TYPE_SINT64:
        k = K_SINT64;
        break;
    case PROTOBUF_C_TYPE_STRING:
        k = K_STRING;
        break;
    case PROTOBUF_C_TYPE_BYTES:
        k = K_BYTES;
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        k = K_MESSAGE;
        break;
    default:
        return -1;
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0)
        return f->label == PROTOBUF_C_LABEL_NONE ||
                       f->label == PROTOBUF_C_LABEL_OPTIONAL
                   ? k | K_ONEOF
                   : -1;
    if (f->label == PROTOBUF_C_LABEL_NONE)
        return k;
    if (f->label == PROTOBUF_C_LABEL_REPEATED && k >= K_STRING)
        return k | K_REPEATED;
    return -1;
}

static bool plan_make(plan *p, const ProtobufCMessageDescriptor *d)
{
    p->ops = calloc(d->n_fields + 1, sizeof *p->ops);
    if (p->ops == NULL)
        return false;
    p->d = d;
    p->n = d->n_fields;
    p->known = true;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        field_op *op = &p->ops[i];
        int k = kind_of(f);
        if (k < 0) {
            p->known = false;
            break;
        }
        unsigned wire =
            (k & ~(K_REPEATED | K_ONEOF)) >= K_STRING ? WIRE_LEN : WIRE_VARINT;
        op->offset = f->offset;
        op->quantifier = f->quantifier_offset;
        op->id = f->id;
        op->absent = f->default_value;
        op->kind = (uint8_t)k;
        op->tag_len = (uint8_t)varint_put(op->tag, (uint64_t)f->id << 3 | wire);
    }
    return true;
}

/* The plan of d, made on first use; NULL with *r set when there is no
 * memory for it, or no slot (more message types than PLAN_SLOTS). */
static const plan *plan_of(sv_pb_packer *pk,
                           const ProtobufCMessageDescriptor *d, sv_pb_result *r)
{
    size_t h = ((uintptr_t)d >> 4) & (PLAN_SLOTS - 1);

    for (size_t i = 0; i < PLAN_SLOTS; i++) {
        plan *p = &pk->plans[(h + i) & (PLAN_SLOTS - 1)];
        if (p->d == d)
            return p;
        if (p->d == NULL) {
            if (plan_make(p, d))
                return p;
            *r = SV_PB_NOMEM;
            return NULL;
        }
    }
    *r = SV_PB_UNSUPPORTED;
    return NULL;
}

/* Makes room for need more bytes before pk->pos, moving what is written
 * to the end of a larger buffer. */
static bool room(sv_pb_packer *pk, size_t need)
{
    if (pk->pos >= need)
        return true;
    size_t used = pk->cap - pk->pos;
    size_t cap = pk->cap > 0 ? pk->cap : 4096;
    while (cap - used < need)
        cap *= 2;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        return false;
    if (used > 0)
        memcpy(buf + cap - used, pk->buf + pk->pos, used);
    free(pk->buf);
    pk->buf = buf;
    pk->cap = cap;
    pk->pos = cap - used;
    return true;
}

/* Room for a tag and a varint, the most a field writes besides its
 * value's bytes. */
#define HEAD_MAX (sizeof(((field_op *)0)->tag) + 10)

/* A varint, then a tag, in front of what is written (room made first). */
static void put_head(sv_pb_packer *pk, const field_op *op, uint64_t v)
{
    if (v < 0x80) {
        pk->buf[--pk->pos] = (uint8_t)v;
    } else {
        size_t n = varint_size(v);
        pk->pos -= n;
        varint_put(pk->buf + pk->pos, v);
    }
    if (op->tag_len == 1) {
        pk->buf[--pk->pos] = op->tag[0];
    } else {
        pk->pos -= op->tag_len;
        memcpy(pk->buf + pk->pos, op->tag, op->tag_len);
    }
}

/* Bytes with their length and tag in front. */
static sv_pb_result put_delimited(sv_pb_packer *pk, const field_op *op,
                                  const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return SV_PB_UNSUPPORTED; /* protobuf-c's lengths are 32-bit */
    if (!room(pk, len + HEAD_MAX))
        return SV_PB_NOMEM;
    pk->pos -= len;
    if (len > 0)
        memcpy(pk->buf + pk->pos, data, len);
    put_head(pk, op, len);
    return SV_PB_OK;
}

static sv_pb_result put_message(sv_pb_packer *pk, const ProtobufCMessage *m);

/* One length-delimited value of kind k (a plain field not left out, or
 * an element), then its length and tag in front of it. */
static sv_pb_result put_value(sv_pb_packer *pk, const field_op *op, int k,
                              const void *value)
{
    if (k == K_STRING) {
        const char *s = *(const char *const *)value;
        return put_delimited(pk, op, s, s != NULL ? strlen(s) : 0);
    }
    if (k == K_BYTES) {
        const ProtobufCBinaryData *b = value;
        return put_delimited(pk, op, b->data, b->len);
    }
    const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)value;
    size_t end = pk->cap - pk->pos; /* written after it: stays put */
    sv_pb_result r = sub != NULL ? put_message(pk, sub) : SV_PB_OK;
    if (r != SV_PB_OK)
        return r;
    size_t len = pk->cap - pk->pos - end;
    if (len > UINT32_MAX)
        return SV_PB_UNSUPPORTED;
    if (!room(pk, HEAD_MAX))
        return SV_PB_NOMEM;
    put_head(pk, op, len);
    return SV_PB_OK;
}

static size_t elem_size(int k)
{
    return k == K_BYTES ? sizeof(ProtobufCBinaryData) : sizeof(void *);
}

/* A plain number field: its varint and tag, unless zero. */
static sv_pb_result put_number(sv_pb_packer *pk, const field_op *op, uint64_t v)
{
    if (v == 0)
        return SV_PB_OK;
    if (!room(pk, HEAD_MAX))
        return SV_PB_NOMEM;
    put_head(pk, op, v);
    return SV_PB_OK;
}

/* A number field's value as its varint carries it: a negative int32 as
 * its 64-bit two's complement (ten bytes), sint32 and sint64 zigzagged,
 * a boolean as 0 or 1. */
static uint64_t number_of(int k, const char *member)
{
    switch (k) {
    case K_INT32:
        return (uint64_t)(int64_t) * (const int32_t *)member;
    case K_UINT32:
        return *(const uint32_t *)member;
    case K_BOOL:
        return *(const protobuf_c_boolean *)member != 0;
    case K_SINT32: {
        uint32_t v = *(const uint32_t *)member;
        return (uint32_t)(v << 1) ^ (uint32_t) - (v >> 31);
    }
    case K_SINT64: {
        uint64_t v = *(const uint64_t *)member;
        return (v << 1) ^ (uint64_t) - (v >> 63);
    }
    default: /* K_UINT64 */
        return *(const uint64_t *)member;
    }
}

/* A oneof's member: written when it is the case set, even when zero or
 * empty, but not a string or message at NULL or at the descriptor's
 * default (protobuf-c's oneof_field_pack). */
static sv_pb_result put_oneof(sv_pb_packer *pk, const ProtobufCMessage *m,
                              const field_op *op, const char *member)
{
    int k = op->kind & ~K_ONEOF;

    if (*(const uint32_t *)((const char *)m + op->quantifier) != op->id)
        return SV_PB_OK;
    if (k == K_STRING || k == K_MESSAGE) {
        const void *ptr = *(const void *const *)member;
        if (ptr == NULL || ptr == op->absent)
            return SV_PB_OK;
    }
    if (k >= K_STRING)
        return put_value(pk, op, k, member);
    if (!room(pk, HEAD_MAX))
        return SV_PB_NOMEM;
    put_head(pk, op, number_of(k, member));
    return SV_PB_OK;
}

/* m's fields, last first, in front of what is written. */
static sv_pb_result put_message(sv_pb_packer *pk, const ProtobufCMessage *m)
{
    sv_pb_result r = SV_PB_OK;
    const plan *p = plan_of(pk, m->descriptor, &r);

    if (p == NULL)
        return r;
    if (!p->known || m->n_unknown_fields > 0)
        return SV_PB_UNSUPPORTED;
    for (unsigned i = p->n; i-- > 0 && r == SV_PB_OK;) {
        const field_op *op = &p->ops[i];
        const char *member = (const char *)m + op->offset;
        if (op->kind & K_ONEOF) {
            r = put_oneof(pk, m, op, member);
            continue;
        }
        switch (op->kind) {
        case K_INT32:
        case K_UINT32:
        case K_BOOL:
        case K_UINT64:
        case K_SINT32:
        case K_SINT64:
            r = put_number(pk, op, number_of(op->kind, member));
            break;
        case K_STRING: {
            const char *s = *(const char *const *)member;
            if (s != NULL && s[0] != '\0')
                r = put_delimited(pk, op, s, strlen(s));
            break;
        }
        case K_BYTES:
            if (((const ProtobufCBinaryData *)member)->len > 0)
                r = put_value(pk, op, K_BYTES, member);
            break;
        case K_MESSAGE:
            if (*(const void *const *)member != NULL)
                r = put_value(pk, op, K_MESSAGE, member);
            break;
        default: { /* repeated: the last element first */
            int k = op->kind & ~K_REPEATED;
            size_t count = *(const size_t *)((const char *)m + op->quantifier);
            const char *array = *(const char *const *)member;
            for (size_t e = count; e-- > 0 && r == SV_PB_OK;)
                r = put_value(pk, op, k, array + e * elem_size(k));
            break;
        }
        }
    }
    return r;
}

sv_pb_result sv_pb_pack(sv_pb_packer *pk, const ProtobufCMessage *m,
                        const uint8_t **out, size_t *len)
{
    pk->pos = pk->cap;
    /* a buffer even for an empty message: *out is never NULL on SV_PB_OK */
    sv_pb_result r = room(pk, 1) ? put_message(pk, m) : SV_PB_NOMEM;

    *out = r == SV_PB_OK ? pk->buf + pk->pos : NULL;
    *len = r == SV_PB_OK ? pk->cap - pk->pos : 0;
    return r;
}

sv_pb_packer *sv_pb_packer_new(void)
{
    return calloc(1, sizeof(sv_pb_packer));
}

void sv_pb_packer_destroy(sv_pb_packer **self)
{
    if (self == NULL || *self == NULL)
        return;
    for (size_t i = 0; i < PLAN_SLOTS; i++)
        free((*self)->plans[i].ops);
    free((*self)->buf);
    free(*self);
    *self = NULL;
}
