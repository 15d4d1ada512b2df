/* test_request_decode.c: collector/request_decode.c gives the message
 * protobuf-c gives, on the requests clients send and on odd, damaged or
 * foreign bytes; it takes submissions and declines the rest, which then
 * goes to protobuf-c. */
#include "arena.h"
#include "request_decode.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- a wire writer that can write what protobuf-c never would -------- */

typedef struct {
    uint8_t *b;
    size_t len;
    size_t cap;
} buf;

static void put_byte(buf *w, uint8_t c)
{
    if (w->len == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 256;
        w->b = realloc(w->b, w->cap);
        assert_non_null(w->b);
    }
    w->b[w->len++] = c;
}

static void put_bytes(buf *w, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_byte(w, ((const uint8_t *)p)[i]);
}

/* A varint, padded with `pad` redundant bytes (0x80 ... 0x00), which
 * protobuf-c reads like the short form. */
static void put_varint(buf *w, uint64_t v, unsigned pad)
{
    while (v > 0x7f) {
        put_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    if (pad == 0) {
        put_byte(w, (uint8_t)v);
        return;
    }
    put_byte(w, (uint8_t)(v | 0x80));
    for (unsigned i = 1; i < pad; i++)
        put_byte(w, 0x80);
    put_byte(w, 0);
}

static void put_len_field(buf *w, unsigned field, const buf *inner,
                          unsigned pad)
{
    put_byte(w, (uint8_t)(field << 3 | 2));
    put_varint(w, inner->len, pad);
    put_bytes(w, inner->b, inner->len);
}

static void put_string(buf *w, unsigned field, const char *s, size_t n)
{
    buf inner = {(uint8_t *)s, n, n};
    put_len_field(w, field, &inner, 0);
}

/* ---- random requests ------------------------------------------------- */

static uint64_t rng = 2024;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned pick(unsigned n)
{
    return (unsigned)(next() % n);
}

/* Strings with a NUL inside (which the service refuses: test_refused)
 * among the random ones, one in 400; one in 8 when set. */
static bool many_nuls;

/* A string: often a question or option name, sometimes empty, Japanese,
 * with a NUL inside, or long. */
static void random_string(char *out, size_t *n)
{
    static const char *const names[] = {
        "impl_shien", "holders",        "consult",           "yes",    "no",
        "1",          "相談窓口を設置", "shoman-jiritsu-r6", "011002", ""};
    switch (pick(8)) {
    case 0:
        if (many_nuls || pick(50) == 0) {
            *n = 3;
            memcpy(out, "a\0b", 3);
            return;
        }
        *n = 5;
        memcpy(out, "a b c", 5);
        return;
    case 1:
        *n = 200 + pick(300);
        for (size_t i = 0; i < *n; i++)
            out[i] = (char)('a' + pick(26));
        return;
    default: {
        const char *s = names[pick(sizeof names / sizeof names[0])];
        *n = strlen(s);
        memcpy(out, s, *n);
    }
    }
}

static void random_answer(buf *w, bool odd)
{
    char s[600];
    size_t n;
    unsigned fields = odd ? 1 + pick(4) : 2;
    bool had_choices = false;

    for (unsigned f = 0; f < fields; f++) {
        unsigned which = f == 0 && !odd ? 1 : 2 + pick(4);
        /* choices twice is declined: now and then */
        if (which == 3 && had_choices && pick(50) != 0)
            which = 2;
        had_choices = had_choices || which == 3;
        if (which == 1 || (odd && pick(4) == 0)) {
            random_string(s, &n);
            put_string(w, 1, s, n);
            continue;
        }
        switch (which) {
        case 2:
        case 5:
            random_string(s, &n);
            put_string(w, which, s, n);
            break;
        case 3: {
            buf c = {0};
            unsigned k = pick(5);
            for (unsigned i = 0; i < k; i++) {
                random_string(s, &n);
                put_string(&c, 1, s, n);
            }
            put_len_field(w, 3, &c, odd ? pick(2) : 0);
            free(c.b);
            break;
        }
        default: {
            uint64_t v = pick(3) == 0 ? next() : next() % 300;
            put_byte(w, 4 << 3);
            /* padded only where it stays within 10 bytes */
            put_varint(w, v, odd && v < UINT64_C(1) << 56 ? pick(2) : 0);
        }
        }
    }
}

/* A Request with a submission; odd: fields out of order and twice,
 * explicit empty values, padded varints. */
static void random_request(buf *w, bool odd)
{
    buf sub = {0};
    char s[600];
    size_t n;
    unsigned answers = pick(45);

    for (unsigned f = 1; f <= 4; f++) {
        if (odd && pick(3) == 0)
            continue;
        random_string(s, &n);
        if (f == 4) {
            put_byte(&sub, 4 << 3);
            put_varint(&sub, next() % 5, odd ? pick(3) : 0);
        } else {
            put_string(&sub, f, s, n);
        }
    }
    for (unsigned i = 0; i < answers; i++) {
        buf a = {0};
        random_answer(&a, odd);
        put_len_field(&sub, 5, &a, odd ? pick(2) : 0);
        free(a.b);
        if (odd && pick(10) == 0) {
            random_string(s, &n);
            put_string(&sub, 1 + pick(3), s, n); /* again, later */
        }
    }
    if (pick(2) == 0) {
        random_string(s, &n);
        put_string(&sub, 6, s, n);
    }
    if (odd && pick(2) == 0) {
        put_byte(w, 15 << 3);
        put_varint(w, next(), 0);
    }
    put_len_field(w, 1, &sub, odd ? pick(2) : 0);
    free(sub.b);
    if (!odd || pick(2) == 0) {
        put_byte(w, 15 << 3);
        put_varint(w, next() % 100000, 0);
    }
}

/* ---- comparing ------------------------------------------------------- */

/* The message protobuf-c's packer makes of req (NULL for NULL). */
static uint8_t *repack(const Survey__V1__Request *req, size_t *len)
{
    if (req == NULL) {
        *len = 0;
        return NULL;
    }
    *len = survey__v1__request__get_packed_size(req);
    uint8_t *out = malloc(*len + 1);
    assert_non_null(out);
    assert_int_equal(survey__v1__request__pack(req, out), *len);
    return out;
}

static size_t wire_seen;      /* requests taken */
static size_t canonical_seen; /* of which the bytes were kept */
static size_t refused_seen;   /* taken by protobuf-c, refused by wire_check */

/* The bytes kept are those protobuf-c packs the submission into; bytes
 * are kept whenever they are those (a damaged request may happen to give
 * them: then they are kept too). */
static void check_wire(const sv_request_wire *wire,
                       const Survey__V1__Submission *sub)
{
    size_t len = survey__v1__submission__get_packed_size(sub);
    uint8_t *packed = malloc(len + 1);

    assert_non_null(packed);
    assert_int_equal(survey__v1__submission__pack(sub, packed), len);
    if (wire->submission != NULL) {
        assert_int_equal(wire->submission_len, len);
        assert_memory_equal(wire->submission, packed, len);
    }
    free(packed);
}

/* What our decoder took, protobuf-c reads alike; returns whether ours
 * took it. */
static bool check_same(sv_arena *arena, const uint8_t *data, size_t len)
{
    ProtobufCAllocator *alloc = sv_arena_allocator(arena);
    Survey__V1__Request *ours = NULL;
    sv_request_wire wire;
    bool took = sv_request_decode_submit(alloc, data, len, &ours, &wire);
    Survey__V1__Request *theirs = survey__v1__request__unpack(NULL, len, data);
    sv_wire_problem wp;
    Survey__V1__Request *either =
        sv_request_decode(alloc, data, len, NULL, &wp);
    size_t a_len, b_len, c_len;
    uint8_t *a = repack(ours, &a_len);
    uint8_t *b = repack(theirs, &b_len);
    uint8_t *c = repack(either, &c_len);

    if (either == NULL && theirs != NULL) {
        /* what protobuf-c takes and the service refuses (wire_check.h):
           never what our decoder took */
        assert_false(took);
        assert_int_not_equal(wp.kind, SV_WIRE_MALFORMED);
        assert_true(wp.why[0] != '\0');
        refused_seen++;
    } else {
        assert_int_equal(either != NULL, theirs != NULL);
        assert_int_equal(c_len, b_len);
        if (b_len > 0)
            assert_memory_equal(c, b, b_len);
    }
    if (took) {
        assert_non_null(theirs);
        assert_int_equal(ours->body_case, theirs->body_case);
        assert_int_equal(ours->base.n_unknown_fields, 0);
        assert_int_equal(theirs->submit->base.n_unknown_fields, 0);
        assert_int_equal(a_len, b_len);
        assert_memory_equal(a, b, b_len);
        /* repacking leaves empty strings out: the pointers too */
        assert_string_equal(ours->submit->survey, theirs->submit->survey);
        assert_string_equal(ours->submit->note, theirs->submit->note);
        assert_int_equal(ours->submit->n_answers, theirs->submit->n_answers);
        check_wire(&wire, ours->submit);
    } else {
        assert_null(ours);
        assert_null(wire.submission);
    }
    wire_seen += took;
    canonical_seen += wire.submission != NULL;
    free(a);
    free(b);
    free(c);
    if (theirs != NULL)
        survey__v1__request__free_unpacked(theirs, NULL);
    sv_arena_reset(arena);
    return took;
}

/* ---- tests ----------------------------------------------------------- */

/* What clients send (protobuf-c's bytes): all taken, all alike. */
static void test_client_requests(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();

    assert_non_null(arena);
    wire_seen = canonical_seen = 0;
    for (int i = 0; i < 2000; i++) {
        buf w = {0};
        random_request(&w, false);
        /* normalise to protobuf-c's own bytes, as a client sends them */
        Survey__V1__Request *req =
            survey__v1__request__unpack(NULL, w.len, w.b);
        assert_non_null(req);
        size_t len;
        uint8_t *packed = repack(req, &len);
        assert_true(check_same(arena, packed, len));
        survey__v1__request__free_unpacked(req, NULL);
        free(packed);
        free(w.b);
    }
    /* protobuf-c's bytes: every one kept */
    assert_int_equal(canonical_seen, 2000);
    sv_arena_destroy(&arena);
}

/* Valid but unusual bytes: fields twice or out of order, oneof members
 * replacing each other, explicit empty values, padded varints. */
static void test_unusual_requests(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    size_t took = 0;

    assert_non_null(arena);
    wire_seen = canonical_seen = 0;
    for (int i = 0; i < 3000; i++) {
        buf w = {0};
        random_request(&w, true);
        took += check_same(arena, w.b, w.len);
        free(w.b);
    }
    /* most are ours to take (only a repeated choices is declined) */
    fprintf(stderr, "unusual requests: %zu of 3000 taken\n", took);
    assert_true(took > 1500);
    /* out of order, padded or twice: most are not protobuf-c's bytes */
    assert_true(canonical_seen < took / 2);
    sv_arena_destroy(&arena);
}

/* Damaged bytes: a byte changed, inserted or removed, the message cut.
 * Whatever ours takes, protobuf-c reads alike. */
static void test_damaged_requests(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    size_t took = 0;
    size_t tried = 0;

    assert_non_null(arena);
    for (int i = 0; i < 3000; i++) {
        buf w = {0};
        random_request(&w, i % 2 == 0);
        for (int m = 0; m < 8 && w.len > 1; m++) {
            size_t at = pick((unsigned)w.len);
            uint8_t *copy = malloc(w.len + 1);
            size_t len = w.len;
            assert_non_null(copy);
            memcpy(copy, w.b, w.len);
            switch (m % 4) {
            case 0:
                copy[at] = (uint8_t)next();
                break;
            case 1:
                copy[at] ^= (uint8_t)(1u << pick(8));
                break;
            case 2:
                memmove(copy + at, copy + at + 1, len - at - 1);
                len--;
                break;
            default:
                len = at;
            }
            took += check_same(arena, copy, len);
            tried++;
            free(copy);
        }
        free(w.b);
    }
    /* some damage leaves a valid submission (a changed letter): taken */
    fprintf(stderr, "damaged requests: %zu of %zu taken\n", took, tried);
    assert_true(took > tried / 20);
    sv_arena_destroy(&arena);
}

/* Declined, and then protobuf-c's result: other bodies, unknown fields,
 * unexpected wire types, a second submission or choices, long varints,
 * nothing at all. */
static void test_declined(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    ProtobufCAllocator *alloc = sv_arena_allocator(arena);
    Survey__V1__Request *out;
    /* get {respondent "011002"}, request_id 7 */
    static const uint8_t get[] = {0x12, 0x08, 0x12, 0x06, '0',  '1',
                                  '1',  '0',  '0',  '2',  0x78, 0x07};
    /* submit {}, then field 9 (unknown) */
    static const uint8_t unknown[] = {0x0a, 0x00, 0x48, 0x01};
    /* submit {survey as a varint} */
    static const uint8_t wire[] = {0x0a, 0x02, 0x08, 0x01};
    /* submit {} twice */
    static const uint8_t twice[] = {0x0a, 0x00, 0x0a, 0x00};
    /* submit {answers {choices {} choices {}}} */
    static const uint8_t choices2[] = {0x0a, 0x06, 0x2a, 0x04,
                                       0x1a, 0x00, 0x1a, 0x00};
    /* request_id of 11 bytes */
    static const uint8_t longv[] = {0x0a, 0x00, 0x78, 0xff, 0xff, 0xff, 0xff,
                                    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    /* request_id whose 10th byte is over 64 bits */
    static const uint8_t wide[] = {0x0a, 0x00, 0x78, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    /* submit {} with a two-byte tag for field 1 */
    static const uint8_t longtag[] = {0x8a, 0x00, 0x00};
    static const struct {
        const uint8_t *b;
        size_t n;
    } cases[] = {{get, sizeof get},
                 {unknown, sizeof unknown},
                 {wire, sizeof wire},
                 {twice, sizeof twice},
                 {choices2, sizeof choices2},
                 {longv, sizeof longv},
                 {wide, sizeof wide},
                 {longtag, sizeof longtag},
                 {get, 0}};

    assert_non_null(arena);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_false(sv_request_decode_submit(alloc, cases[i].b, cases[i].n,
                                              &out, NULL));
        assert_null(out);
        assert_false(check_same(arena, cases[i].b, cases[i].n));
    }
    /* the get request reaches protobuf-c, and comes back whole */
    out = sv_request_decode(alloc, get, sizeof get, NULL, NULL);
    assert_non_null(out);
    assert_int_equal(out->body_case, SURVEY__V1__REQUEST__BODY_GET);
    assert_string_equal(out->get->respondent, "011002");
    assert_int_equal(out->request_id, 7);
    sv_arena_destroy(&arena);
}

/* The values come out as sent: integers at their limits, a oneof member
 * replaced by a later one, a plain field sent twice. */
static void test_values(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    ProtobufCAllocator *alloc = sv_arena_allocator(arena);
    Survey__V1__Request *out;
    buf sub = {0};
    buf a = {0};
    buf w = {0};

    assert_non_null(arena);
    put_string(&a, 1, "holders", 7);
    put_byte(&a, 4 << 3);
    put_varint(&a, UINT64_MAX, 0); /* zigzag: INT64_MIN */
    put_string(&a, 5, "later", 5);
    put_len_field(&sub, 5, &a, 0);
    a.len = 0;
    put_string(&a, 1, "count", 5);
    put_byte(&a, 4 << 3);
    put_varint(&a, 600, 2); /* 300, padded */
    put_len_field(&sub, 5, &a, 0);
    a.len = 0;
    put_string(&a, 1, "max", 3);
    put_byte(&a, 4 << 3);
    put_varint(&a, UINT64_MAX - 1, 0); /* INT64_MAX */
    put_len_field(&sub, 5, &a, 0);
    put_string(&sub, 2, "011002", 6);
    put_string(&sub, 2, "012025", 6);
    put_len_field(&w, 1, &sub, 0);
    put_byte(&w, 15 << 3);
    put_varint(&w, UINT64_MAX, 0);
    sv_request_wire wire;
    assert_true(sv_request_decode_submit(alloc, w.b, w.len, &out, &wire));
    /* respondent twice, an answer with two values: not protobuf-c's */
    assert_null(wire.submission);
    assert_int_equal(out->request_id, UINT64_MAX);
    assert_string_equal(out->submit->respondent, "012025");
    assert_string_equal(out->submit->survey, "");
    assert_int_equal(out->submit->n_answers, 3);
    assert_int_equal(out->submit->answers[0]->value_case,
                     SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(out->submit->answers[0]->text, "later");
    assert_int_equal(out->submit->answers[1]->value_case,
                     SURVEY__V1__ANSWER__VALUE_INTEGER);
    assert_true(out->submit->answers[1]->integer == 300);
    assert_true(out->submit->answers[2]->integer == INT64_MAX);
    assert_true(check_same(arena, w.b, w.len));
    free(a.b);
    free(sub.b);
    free(w.b);
    sv_arena_destroy(&arena);
}

/* Which bytes are kept: protobuf-c's packing, and nothing else. Each case
 * is one answer in a submission {survey "s", respondent "r"} (or, for the
 * submission's own fields, a submission given whole). */
static void test_kept_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        bool whole; /* bytes: the whole submission, else one answer */
        const char *bytes;
        size_t n;
        bool kept;
    } cases[] = {
        {"question and choice", false,
         "\x0a\x01q\x12\x01"
         "c",
         6, true},
        {"an empty choice", false, "\x0a\x01q\x12\x00", 5, true},
        {"empty choices", false, "\x0a\x01q\x1a\x00", 5, true},
        {"an empty option", false, "\x0a\x01q\x1a\x02\x0a\x00", 7, true},
        {"integer 0", false, "\x0a\x01q\x20\x00", 5, true},
        {"no value, no question", false, "", 0, true},
        {"choice, then text", false,
         "\x0a\x01q\x12\x01"
         "c\x2a\x01t",
         9, false},
        {"value before question", false,
         "\x12\x01"
         "c\x0a\x01q",
         6, false},
        {"an empty question", false,
         "\x0a\x00\x12\x01"
         "c",
         5, false},
        {"a padded integer", false, "\x0a\x01q\x20\x81\x00", 6, false},
        {"a padded length", false, "\x0a\x81\x00q", 4, false},
        {"protobuf-c's submission", true,
         "\x0a\x01s\x12\x01r\x1a\x01i\x20\x02\x2a\x00\x2a\x00\x32\x01n", 18,
         true},
        {"survey twice", true, "\x0a\x01s\x0a\x01s", 6, false},
        {"out of order", true, "\x12\x01r\x0a\x01s", 6, false},
        {"an empty survey", true, "\x0a\x00\x12\x01r", 5, false},
        {"base_revision 0", true, "\x0a\x01s\x20\x00", 5, false},
        {"note before answers", true, "\x32\x01n\x2a\x00", 5, false},
    };
    sv_arena *arena = sv_arena_new();
    ProtobufCAllocator *alloc = sv_arena_allocator(arena);

    assert_non_null(arena);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf sub = {0};
        buf w = {0};
        buf answer = {(uint8_t *)cases[i].bytes, cases[i].n, cases[i].n};
        Survey__V1__Request *out;
        sv_request_wire wire;
        if (cases[i].whole) {
            put_bytes(&sub, cases[i].bytes, cases[i].n);
        } else {
            put_string(&sub, 1, "s", 1);
            put_string(&sub, 2, "r", 1);
            put_len_field(&sub, 5, &answer, 0);
        }
        /* the request around the submission may be padded: its bytes are
           not the ones kept */
        put_len_field(&w, 1, &sub, i % 2);
        put_byte(&w, 15 << 3);
        put_varint(&w, 1, i % 2);
        if (!sv_request_decode_submit(alloc, w.b, w.len, &out, &wire))
            fail_msg("%s: declined", cases[i].what);
        if ((wire.submission != NULL) != cases[i].kept)
            fail_msg("%s: bytes %s", cases[i].what,
                     cases[i].kept ? "not kept" : "kept");
        if (wire.submission != NULL) {
            assert_int_equal(wire.submission_len, sub.len);
            assert_memory_equal(wire.submission, sub.b, sub.len);
        }
        /* and kept bytes are protobuf-c's packing (check_wire) */
        assert_true(check_same(arena, w.b, w.len));
        free(sub.b);
        free(w.b);
    }
    sv_arena_destroy(&arena);
}

/* Fails unless bytes (a Request) are refused with kind, the reply's
 * sentence naming `path`. */
static void expect_refused(sv_arena *arena, const buf *w, sv_wire_kind kind,
                           const char *path)
{
    ProtobufCAllocator *alloc = sv_arena_allocator(arena);
    sv_wire_problem wp;
    Survey__V1__Request *out;
    Survey__V1__Request *theirs;

    assert_false(sv_request_decode_submit(alloc, w->b, w->len, &out, NULL));
    assert_null(sv_request_decode(alloc, w->b, w->len, NULL, &wp));
    if (wp.kind != kind || strstr(wp.why, path) == NULL)
        fail_msg("expected kind %d naming %s; got kind %d: %s", (int)kind, path,
                 (int)wp.kind, wp.why);
    assert_string_equal(wp.path, path);
    /* protobuf-c alone would have taken them */
    theirs = survey__v1__request__unpack(NULL, w->len, w->b);
    assert_non_null(theirs);
    survey__v1__request__free_unpacked(theirs, NULL);
    sv_arena_reset(arena);
}

/* What protobuf-c takes and the service refuses, and where it says the
 * problem is: a NUL inside a string (C code would read it cut short), a
 * name or id that is not UTF-8, a field this build does not define (the
 * store could not read it back), more entries than the limit. The reply
 * then still carries the request's id. */
static void test_refused(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    buf sub = {0};
    buf a = {0};
    buf w = {0};
    uint64_t id = 0;

    assert_non_null(arena);
    /* a NUL in the note, sent by protobuf-c's order */
    put_string(&sub, 1, "s", 1);
    put_string(&sub, 2, "r", 1);
    put_string(&sub, 6, "why\0 hidden", 11);
    put_len_field(&w, 1, &sub, 0);
    put_byte(&w, 15 << 3);
    put_varint(&w, 4242, 0);
    expect_refused(arena, &w, SV_WIRE_NUL, "submit.note");
    assert_true(sv_request_peek_id(w.b, w.len, &id));
    assert_int_equal(id, 4242);
    free(sub.b);
    free(w.b);
    sub = (buf){0};
    w = (buf){0};

    /* a respondent that is not UTF-8 */
    put_string(&sub, 1, "s", 1);
    put_string(&sub, 2,
               "\xff\xfe"
               "0001",
               6);
    put_len_field(&w, 1, &sub, 0);
    expect_refused(arena, &w, SV_WIRE_BAD_UTF8, "submit.respondent");
    assert_false(sv_request_peek_id(w.b, w.len, &id));
    free(sub.b);
    free(w.b);
    sub = (buf){0};
    w = (buf){0};

    /* a text answer that is not UTF-8 is validation's (step 5): taken */
    put_string(&a, 1, "q", 1);
    put_string(&a, 5, "\xff", 1);
    put_string(&sub, 1, "s", 1);
    put_len_field(&sub, 5, &a, 0);
    put_len_field(&w, 1, &sub, 0);
    {
        Survey__V1__Request *out = NULL;
        assert_true(sv_request_decode_submit(sv_arena_allocator(arena), w.b,
                                             w.len, &out, NULL));
        sv_arena_reset(arena);
    }
    free(a.b);
    free(sub.b);
    free(w.b);
    a = (buf){0};
    sub = (buf){0};
    w = (buf){0};

    /* a NUL in a text answer: refused (validation would see it cut) */
    put_string(&a, 1, "q", 1);
    put_string(&a, 5, "a\0b", 3);
    put_string(&sub, 1, "s", 1);
    put_len_field(&sub, 5, &a, 0);
    put_len_field(&sub, 5, &a, 0);
    put_len_field(&w, 1, &sub, 0);
    expect_refused(arena, &w, SV_WIRE_NUL, "submit.answers[0].text");
    free(a.b);
    free(sub.b);
    free(w.b);
    a = (buf){0};
    sub = (buf){0};
    w = (buf){0};

    /* field 20 inside the second answer */
    put_string(&a, 1, "q", 1);
    put_string(&sub, 1, "s", 1);
    put_len_field(&sub, 5, &a, 0);
    put_byte(&a, 20 << 3 | 0 /* two-byte key */ | 0x80);
    put_byte(&a, 1);
    put_varint(&a, 1, 0);
    put_len_field(&sub, 5, &a, 0);
    put_len_field(&w, 1, &sub, 0);
    expect_refused(arena, &w, SV_WIRE_UNKNOWN_FIELD, "submit.answers[1]");
    {
        sv_wire_problem wp;
        assert_null(sv_request_decode(sv_arena_allocator(arena), w.b, w.len,
                                      NULL, &wp));
        assert_ptr_equal(wp.where.message, &survey__v1__answer__descriptor);
        assert_int_equal(wp.where.field, 20);
        assert_non_null(strstr(wp.why, "field 20"));
        sv_arena_reset(arena);
    }
    free(a.b);
    free(sub.b);
    free(w.b);
    a = (buf){0};
    sub = (buf){0};
    w = (buf){0};

    /* 1,001 empty answers: refused before one is allocated */
    put_string(&sub, 1, "s", 1);
    for (int i = 0; i < 1001; i++) {
        buf empty = {0};
        put_len_field(&sub, 5, &empty, 0);
    }
    put_len_field(&w, 1, &sub, 0);
    expect_refused(arena, &w, SV_WIRE_TOO_MANY, "submit");
    {
        sv_wire_problem wp;
        assert_null(sv_request_decode(sv_arena_allocator(arena), w.b, w.len,
                                      NULL, &wp));
        assert_int_equal(wp.count, 1001);
        assert_ptr_equal(wp.where.message, &survey__v1__submission__descriptor);
        assert_int_equal(wp.where.field, 5);
        assert_non_null(strstr(wp.why, "submit.answers: 1001 entries"));
        sv_arena_reset(arena);
    }
    free(sub.b);
    free(w.b);
    sv_arena_destroy(&arena);
}

/* Names (the survey, respondent, submission id, note, question) must be
 * UTF-8 and hold no NUL, wherever the bad byte stands in them (the decoder
 * looks at eight bytes at a time): one that is not is declined, and
 * wire_check says which field; values (a text, an option) are left to
 * validation, which names the question. */
static void test_bad_bytes_anywhere(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    ProtobufCAllocator *alloc = sv_arena_allocator(arena);

    assert_non_null(arena);
    for (size_t len = 1; len <= 20; len++) {
        for (size_t at = 0; at < len; at++) {
            for (int kind = 0; kind < 3; kind++) {
                char name[32];
                memset(name, 'a' + (int)(at % 26), len);
                /* 0xFF: never UTF-8; 0: a NUL; 0xE3 0x81 0x82 cut short
                   by the end, or followed by ASCII */
                name[at] = kind == 0 ? (char)0xFF : kind == 1 ? 0 : (char)0xE3;
                for (int field = 1; field <= 5; field++) {
                    buf sub = {0};
                    buf w = {0};
                    if (field == 5) {
                        buf a = {0};
                        put_string(&a, 1, name, len);
                        put_len_field(&sub, 5, &a, 0);
                        free(a.b);
                    } else {
                        put_string(&sub, field == 4 ? 6 : field, name, len);
                    }
                    put_len_field(&w, 1, &sub, 0);
                    Survey__V1__Request *out = NULL;
                    if (sv_request_decode_submit(alloc, w.b, w.len, &out, NULL))
                        fail_msg("a name of %zu bytes with byte %d at %zu "
                                 "(field %d) was taken",
                                 len, kind, at, field);
                    sv_wire_problem wp;
                    assert_null(
                        sv_request_decode(alloc, w.b, w.len, NULL, &wp));
                    assert_true(wp.why[0] != '\0');
                    sv_arena_reset(arena);
                    free(sub.b);
                    free(w.b);
                }
            }
        }
        /* the same names with a whole sequence in place are taken */
        for (size_t at = 0; at + 3 <= len; at++) {
            char name[32];
            memset(name, 'b', len);
            memcpy(name + at, "\xE3\x81\x82", 3);
            buf sub = {0};
            buf w = {0};
            put_string(&sub, 2, name, len);
            put_len_field(&w, 1, &sub, 0);
            assert_true(check_same(arena, w.b, w.len));
            free(sub.b);
            free(w.b);
        }
    }
    sv_arena_destroy(&arena);
}

/* Repeated fields of every size up to the limit: the decoder of our own
 * takes them (the arrays grow as entries come) and gives what protobuf-c
 * gives; 1,000 answers are taken, and so are nine options of one answer. */
static void test_many_entries(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();
    static const unsigned sizes[] = {0, 1, 31, 32, 33, 64, 65, 200, 1000};

    assert_non_null(arena);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        buf sub = {0};
        buf w = {0};
        put_string(&sub, 1, "s", 1);
        for (unsigned i = 0; i < sizes[k]; i++) {
            buf a = {0};
            buf c = {0};
            char q[16];
            int n = snprintf(q, sizeof q, "q%u", i);
            put_string(&a, 1, q, (size_t)n);
            for (unsigned o = 0; o < 1 + i % 9; o++) {
                char opt[8];
                int m = snprintf(opt, sizeof opt, "o%u", o);
                put_string(&c, 1, opt, (size_t)m);
            }
            put_len_field(&a, 3, &c, 0);
            put_len_field(&sub, 5, &a, 0);
            free(a.b);
            free(c.b);
        }
        put_len_field(&w, 1, &sub, 0);
        assert_true(check_same(arena, w.b, w.len));

        Survey__V1__Request *out = NULL;
        assert_true(sv_request_decode_submit(sv_arena_allocator(arena), w.b,
                                             w.len, &out, NULL));
        assert_int_equal(out->submit->n_answers, sizes[k]);
        for (unsigned i = 0; i < sizes[k]; i++) {
            const Survey__V1__Answer *a = out->submit->answers[i];
            char q[16];
            snprintf(q, sizeof q, "q%u", i);
            assert_string_equal(a->question, q);
            assert_int_equal(a->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
            assert_int_equal(a->choices->n_options, 1 + i % 9);
            char last[8];
            snprintf(last, sizeof last, "o%u", i % 9);
            assert_string_equal(a->choices->options[i % 9], last);
        }
        sv_arena_reset(arena);
        free(sub.b);
        free(w.b);
    }
    sv_arena_destroy(&arena);
}

/* Random requests with many NULs: whatever ours takes, protobuf-c reads
 * alike, and what is refused is refused for a reason (check_same). */
static void test_random_nuls(void **state)
{
    (void)state;
    sv_arena *arena = sv_arena_new();

    assert_non_null(arena);
    many_nuls = true;
    refused_seen = 0;
    for (int i = 0; i < 1000; i++) {
        buf w = {0};
        random_request(&w, i % 2 == 0);
        (void)check_same(arena, w.b, w.len);
        free(w.b);
    }
    many_nuls = false;
    fprintf(stderr, "requests with NULs: %zu of 1000 refused\n", refused_seen);
    assert_true(refused_seen > 500);
    sv_arena_destroy(&arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_requests),
        cmocka_unit_test(test_unusual_requests),
        cmocka_unit_test(test_damaged_requests),
        cmocka_unit_test(test_declined),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_kept_bytes),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bad_bytes_anywhere),
        cmocka_unit_test(test_many_entries),
        cmocka_unit_test(test_random_nuls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
