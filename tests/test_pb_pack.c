/* test_pb_pack.c: common/pb_pack.c packs the same bytes as protobuf-c.
 *
 * Messages are filled at random from their descriptors (every field of
 * every message a Snapshot or a Status holds, of the wire's messages and
 * of the store's records, with the values at which a varint or a length
 * changes its size, NULL and empty strings, absent messages, booleans
 * that are neither 0 nor 1, negative enums), then
 * packed by both; the sizes and the bytes must be equal. A snapshot's
 * digest (the contract: BLAKE2b-256 of the message packed with fields 2,
 * 3, 5, 6 and 7 cleared) is checked against protobuf-c's bytes hashed
 * independently (contract_digest.h), and messages pb_pack does not know (a
 * double, unknown fields) are declined, the digest then taken over protobuf-c's
 * bytes. The messages with a oneof (a request, a reply, an answer) are packed
 * as protobuf-c does, a case set with its value zero or absent included. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "arena.h"
#include "contract_digest.h"
#include "pb_pack.h"
#include "report.h"
#include "store.pb-c.h"
#include "survey.pb-c.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible, seeded per test */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static size_t below(size_t n)
{
    return (size_t)(rnd() % n);
}

/* A number from the edges where a varint grows, or any. */
static uint64_t edge_number(void)
{
    static const uint64_t edges[] = {0,
                                     1,
                                     127,
                                     128,
                                     16383,
                                     16384,
                                     UINT32_MAX,
                                     (uint64_t)UINT32_MAX + 1,
                                     UINT64_MAX >> 1,
                                     UINT64_MAX};
    return below(4) == 0 ? rnd() : edges[below(sizeof edges / sizeof *edges)];
}

static void *take(ProtobufCAllocator *a, size_t size)
{
    void *p = a->alloc(a->allocator_data, size > 0 ? size : 1);

    assert_non_null(p);
    memset(p, 0, size > 0 ? size : 1);
    return p;
}

/* A string of a length at the edges of a one- and two-byte length. */
static char *edge_string(ProtobufCAllocator *a, bool may_be_null)
{
    static const size_t lengths[] = {0, 1, 3, 127, 128, 129, 300, 16384};
    if (may_be_null && below(8) == 0)
        return NULL;
    size_t len = lengths[below(sizeof lengths / sizeof *lengths)];
    if (len > 300 && below(4) != 0)
        len = below(40);
    char *s = take(a, len + 1);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('a' + below(26));
    return s;
}

static ProtobufCMessage *new_message(ProtobufCAllocator *a,
                                     const ProtobufCMessageDescriptor *d,
                                     int depth);

/* One value of field f at member (a plain field, or an element). */
static void fill_value(ProtobufCAllocator *a, const ProtobufCFieldDescriptor *f,
                       void *member, bool element, int depth)
{
    uint64_t v = edge_number();

    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_ENUM:
        /* negative ones too: protobuf-c packs them as ten bytes */
        *(int32_t *)member =
            below(6) == 0 ? -(int32_t)below(3) - 1 : (int32_t)(v & 0x7fffffff);
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_SINT32: /* negative ones too, zigzagged */
        *(uint32_t *)member = (uint32_t)v;
        break;
    case PROTOBUF_C_TYPE_BOOL:
        *(protobuf_c_boolean *)member = (protobuf_c_boolean)below(3);
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SINT64:
        *(uint64_t *)member = v;
        break;
    case PROTOBUF_C_TYPE_STRING:
        *(char **)member = edge_string(a, !element);
        break;
    case PROTOBUF_C_TYPE_BYTES: {
        ProtobufCBinaryData *b = member;
        b->len = below(3) == 0 ? 0 : below(200);
        b->data = take(a, b->len);
        break;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        /* an element is never NULL (protobuf-c cannot size one) */
        *(ProtobufCMessage **)member =
            !element && (depth >= 4 || below(5) == 0)
                ? NULL
                : new_message(a, f->descriptor, depth + 1);
        break;
    default:
        fail_msg("field %s: a type this test does not fill", f->name);
    }
}

static size_t elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(void *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
        return 8;
    default:
        return 4;
    }
}

static ProtobufCMessage *new_message(ProtobufCAllocator *a,
                                     const ProtobufCMessageDescriptor *d,
                                     int depth)
{
    ProtobufCMessage *m = take(a, d->sizeof_message);

    d->message_init(m);
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        char *member = (char *)m + f->offset;
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0) {
            /* one member of a oneof (they share their room): the case
               set, its value left zero or NULL at times, which protobuf-c
               writes for a number and not for a string or message */
            uint32_t *which = (uint32_t *)((char *)m + f->quantifier_offset);
            if (*which == 0 && below(2) == 0) {
                *which = f->id;
                if (below(6) != 0)
                    fill_value(a, f, member, false, depth);
            }
            continue;
        }
        if (f->label != PROTOBUF_C_LABEL_REPEATED) {
            if (below(4) != 0) /* else left zero */
                fill_value(a, f, member, false, depth);
            continue;
        }
        size_t n = depth >= 4 ? below(2) : below(5);
        if (depth < 3 && below(20) == 0)
            n = 130; /* a long list: the parent's length takes two bytes */
        char *array = take(a, n * elem_size(f->type));
        for (size_t k = 0; k < n; k++)
            fill_value(a, f, array + k * elem_size(f->type), true,
                       depth + (n > 4 ? 2 : 0));
        *(size_t *)((char *)m + f->quantifier_offset) = n;
        *(char **)member = array;
    }
    return m;
}

/* Both packers on m: the same bytes. */
static void assert_same_bytes(const ProtobufCMessage *m, sv_pb_packer *pk)
{
    const uint8_t *ours = NULL;
    size_t len = 1;
    size_t want = protobuf_c_message_get_packed_size(m);
    uint8_t *theirs = malloc(want + 1);

    assert_non_null(theirs);
    assert_int_equal(protobuf_c_message_pack(m, theirs), want);
    assert_int_equal(sv_pb_pack(pk, m, &ours, &len), SV_PB_OK);
    assert_int_equal(len, want);
    assert_non_null(ours);
    assert_memory_equal(ours, theirs, want);
    free(theirs);
}

static void random_messages(const ProtobufCMessageDescriptor *d, uint64_t seed,
                            int rounds)
{
    sv_arena *arena = sv_arena_new();
    sv_pb_packer *pk = sv_pb_packer_new();

    assert_non_null(arena);
    assert_non_null(pk);
    rng_state = seed;
    for (int i = 0; i < rounds; i++) {
        ProtobufCMessage *m =
            new_message(sv_arena_allocator(arena), d, below(3) == 0 ? 3 : 0);
        assert_same_bytes(m, pk);
        sv_arena_reset(arena);
    }
    sv_pb_packer_destroy(&pk);
    sv_arena_destroy(&arena);
}

static void test_random_snapshots(void **state)
{
    (void)state;
    random_messages(&survey__v1__snapshot__descriptor, 2024, 1500);
}

static void test_random_status(void **state)
{
    (void)state;
    random_messages(&survey__v1__status__descriptor, 137, 500);
}

static void test_random_with_oneofs(void **state)
{
    /* the wire's messages with a oneof (a request's body, a reply's, an
       answer's value), and those that hold them */
    (void)state;
    random_messages(&survey__v1__request__descriptor, 41, 800);
    random_messages(&survey__v1__reply__descriptor, 42, 800);
    random_messages(&survey__v1__submission__descriptor, 43, 400);
    random_messages(&survey__v1__revision__descriptor, 44, 400);
    random_messages(&survey__v1__answer__descriptor, 45, 400);
}

static void test_random_store_records(void **state)
{
    /* what the store packs with it: a put's receipt and change, and the
       head of its revision */
    (void)state;
    random_messages(&survey__store__v1__receipt__descriptor, 51, 600);
    random_messages(&survey__store__v1__change__descriptor, 52, 600);
    random_messages(&survey__store__v1__watermark__descriptor, 53, 100);
    random_messages(&survey__store__v1__revision_record__descriptor, 54, 300);
}

static void test_every_part_alone(void **state)
{
    /* each message a snapshot is made of, by itself */
    static const ProtobufCMessageDescriptor *parts[] = {
        &survey__v1__figure__descriptor,
        &survey__v1__rate__descriptor,
        &survey__v1__option_figures__descriptor,
        &survey__v1__frequency__descriptor,
        &survey__v1__matrix_column__descriptor,
        &survey__v1__matrix_row__descriptor,
        &survey__v1__matrix_total__descriptor,
        &survey__v1__matrix__descriptor,
        &survey__v1__list_entry__descriptor,
        &survey__v1__listing__descriptor,
        &survey__v1__respondent_ref__descriptor,
        &survey__v1__program__descriptor,
        &survey__v1__respondent_status__descriptor,
        &survey__v1__completeness_figure__descriptor,
        &survey__v1__completeness__descriptor,
    };
    (void)state;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        random_messages(parts[i], 7 + i, 300);
}

static void test_empty_and_reused(void **state)
{
    Survey__V1__Snapshot empty = SURVEY__V1__SNAPSHOT__INIT;
    Survey__V1__Figure fig = SURVEY__V1__FIGURE__INIT;
    Survey__V1__Rate rate = SURVEY__V1__RATE__INIT;
    Survey__V1__Figure *figs[300];
    sv_pb_packer *pk = sv_pb_packer_new();
    const uint8_t *out = NULL;
    size_t len = 1;
    (void)state;

    assert_non_null(pk);
    /* nothing set: nothing written */
    assert_int_equal(sv_pb_pack(pk, &empty.base, &out, &len), SV_PB_OK);
    assert_int_equal(len, 0);
    fig.respondent_type = "all";
    fig.count = 3;
    fig.n = 7;
    fig.percent = "42.9";
    assert_same_bytes(&fig.base, pk);
    /* a message larger than the buffer so far (it grows while written),
       then a small one again in the same buffer */
    for (size_t i = 0; i < 300; i++)
        figs[i] = &fig;
    rate.question = "q";
    rate.n_figures = 300;
    rate.figures = figs;
    assert_same_bytes(&rate.base, pk);
    fig.count = 4;
    assert_same_bytes(&fig.base, pk);
    assert_same_bytes(&rate.base, pk);
    sv_pb_packer_destroy(&pk);
    assert_null(pk);
}

/* A message with a field pb_pack does not know (a double). */
typedef struct {
    ProtobufCMessage base;
    double value;
} with_double;

static const ProtobufCFieldDescriptor double_field = {
    .name = "value",
    .id = 1,
    .label = PROTOBUF_C_LABEL_NONE,
    .type = PROTOBUF_C_TYPE_DOUBLE,
    .offset = offsetof(with_double, value),
};

static const ProtobufCMessageDescriptor with_double_descriptor = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "test.WithDouble",
    .sizeof_message = sizeof(with_double),
    .n_fields = 1,
    .fields = &double_field,
};

/* sint32, which no message of ours has (Answer.integer is sint64). */
typedef struct {
    ProtobufCMessage base;
    int32_t value;
} with_sint32;

static const ProtobufCFieldDescriptor sint32_field = {
    .name = "value",
    .id = 3,
    .label = PROTOBUF_C_LABEL_NONE,
    .type = PROTOBUF_C_TYPE_SINT32,
    .offset = offsetof(with_sint32, value),
};

static const ProtobufCMessageDescriptor with_sint32_descriptor = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "test.WithSint32",
    .sizeof_message = sizeof(with_sint32),
    .n_fields = 1,
    .fields = &sint32_field,
};

static void test_sint32(void **state)
{
    static const int32_t values[] = {
        0,    1,     -1,        63,        -64,    64,      -65,
        8191, -8192, INT32_MAX, INT32_MIN, 123456, -7654321};
    sv_pb_packer *pk = sv_pb_packer_new();
    (void)state;

    assert_non_null(pk);
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        with_sint32 m = {.base = {.descriptor = &with_sint32_descriptor},
                         .value = values[i]};
        assert_same_bytes(&m.base, pk);
    }
    sv_pb_packer_destroy(&pk);
}

static void test_declined(void **state)
{
    Survey__V1__Rate rate = SURVEY__V1__RATE__INIT;
    Survey__V1__Figure fig = SURVEY__V1__FIGURE__INIT;
    Survey__V1__Figure *figs[1] = {&fig};
    with_double odd = {.base = {.descriptor = &with_double_descriptor},
                       .value = 1.5};
    ProtobufCMessageUnknownField unknown = {.tag = 99,
                                            .wire_type =
                                                PROTOBUF_C_WIRE_TYPE_VARINT,
                                            .len = 1,
                                            .data = (uint8_t *)"\x05"};
    sv_pb_packer *pk = sv_pb_packer_new();
    const uint8_t *out;
    size_t size;
    (void)state;

    assert_non_null(pk);
    /* a type of field it does not know */
    assert_int_equal(sv_pb_pack(pk, &odd.base, &out, &size), SV_PB_UNSUPPORTED);
    /* unknown fields, even deep down */
    fig.base.n_unknown_fields = 1;
    fig.base.unknown_fields = &unknown;
    rate.n_figures = 1;
    rate.figures = figs;
    assert_int_equal(sv_pb_pack(pk, &rate.base, &out, &size),
                     SV_PB_UNSUPPORTED);
    /* and the packer still packs what it knows */
    fig.base.n_unknown_fields = 0;
    fig.count = 1;
    assert_same_bytes(&rate.base, pk);
    sv_pb_packer_destroy(&pk);
}

static void test_digest_is_the_contracts(void **state)
{
    sv_arena *arena = sv_arena_new();
    ProtobufCAllocator *a;
    ProtobufCMessageUnknownField unknown = {.tag = 99,
                                            .wire_type =
                                                PROTOBUF_C_WIRE_TYPE_VARINT,
                                            .len = 1,
                                            .data = (uint8_t *)"\x05"};
    sv_error err = {{0}};
    uint8_t want[32];
    (void)state;

    assert_non_null(arena);
    assert_true(sodium_init() >= 0);
    a = sv_arena_allocator(arena);
    rng_state = 99;
    for (int i = 0; i < 200; i++) {
        Survey__V1__Snapshot *s = (Survey__V1__Snapshot *)new_message(
            a, &survey__v1__snapshot__descriptor, 1);
        s->trigger = "changes";
        s->version = 5;
        if (i % 10 == 0) { /* declined by pb_pack: protobuf-c's bytes */
            s->base.n_unknown_fields = 1;
            s->base.unknown_fields = &unknown;
        }
        sv_contract_digest(s, want);
        s->digest.len = 0;
        s->digest.data = NULL;
        assert_int_equal(sv_snapshot_digest(s, &err), SV_OK);
        assert_int_equal(s->digest.len, 32);
        assert_memory_equal(s->digest.data, want, 32);
        /* the fields it clears are put back */
        assert_string_equal(s->trigger, "changes");
        assert_int_equal(s->version, 5);
        free(s->digest.data);
        sv_arena_reset(arena);
    }
    sv_arena_destroy(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_snapshots),
        cmocka_unit_test(test_random_status),
        cmocka_unit_test(test_random_with_oneofs),
        cmocka_unit_test(test_random_store_records),
        cmocka_unit_test(test_every_part_alone),
        cmocka_unit_test(test_empty_and_reused),
        cmocka_unit_test(test_sint32),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_digest_is_the_contracts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
