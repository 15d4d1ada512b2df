/* request_decode.c: see request_decode.h. Field numbers and wire types are
 * those of proto/survey.proto. What protobuf-c does and this file does
 * alike: a plain field seen twice keeps its last value, a oneof member
 * replaces the member set before, a string is copied with a NUL after it,
 * an absent field keeps the value of the generated INIT macro. What this
 * file declines: anything else. */
#include "request_decode.h"

#include "questionnaire.h"
#include "utf8.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* field number << 3 | wire type (0 varint, 2 length-delimited) */
#define TAG(n, w) ((n) << 3 | (w))
#define VARINT 0
#define LEN 2

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} span;

/* A varint of at most 64 bits (10 bytes, the last one 0 or 1); protobuf-c
 * also takes longer ones (it drops the high bits): declined. A varint
 * padded with redundant bytes clears *canon. */
static bool read_varint(span *s, uint64_t *out, bool *canon)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 10 && s->p < s->end; i++) {
        uint8_t b = *s->p++;
        if (i == 9 && b > 1)
            return false;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *canon = *canon && (i == 0 || b != 0);
            *out = v;
            return true;
        }
    }
    return false;
}

/* A field's tag: one byte (field numbers 1 to 15, as every field here);
 * a longer tag is declined. */
static bool read_tag(span *s, unsigned *tag)
{
    if (s->p == s->end || (*s->p & 0x80) != 0 || (*s->p >> 3) == 0)
        return false;
    *tag = *s->p++;
    return true;
}

/* The bytes of a length-delimited field, its length read as protobuf-c
 * reads it (at most 5 bytes, at most INT_MAX, within the message); a
 * padded length clears *canon. */
static bool read_len(span *s, span *out, bool *canon)
{
    uint64_t n = 0;
    unsigned i = 0;

    for (;; i++) {
        if (i == 5 || s->p == s->end)
            return false;
        uint8_t b = *s->p++;
        n |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *canon = *canon && (i == 0 || b != 0);
            break;
        }
    }
    if (n > INT_MAX || n > (uint64_t)(s->end - s->p))
        return false;
    out->p = s->p;
    out->end = s->p + n;
    s->p += n;
    return true;
}

/* What decoding a message carries along: the arena's allocator, and the
 * room the strings are copied into, taken once for the whole message: a
 * string of n bytes takes n + 1 there (its NUL) and at least n + 2 on the
 * wire (its tag and length), so the message's own length is room enough
 * for all of them. An allocation for each string was a tenth of the
 * decoding's instructions, and its memchr and memcpy (now one pass,
 * copy_has_nul) another tenth (bench/ROUNDS.md, Round 22). */
struct dec {
    ProtobufCAllocator *alloc;
    char *text;     /* the next string goes here */
    char *text_end; /* the end of the room */
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Copies src[0..n) to dst, eight bytes at a time where it can; returns
 * whether a byte of them is 0, and sets *high when one has its high bit
 * set (not ASCII). One pass instead of a memchr, an ASCII scan and a
 * memcpy. */
static bool copy_has_nul(char *dst, const uint8_t *src, size_t n, bool *high)
{
    uint64_t zero = 0;
    uint64_t bits = 0;
    size_t i = 0;

    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            uint64_t w;
            memcpy(&w, src + i, 8);
            memcpy(dst + i, &w, 8);
            zero |= (w - ONES) & ~w & HIGHS; /* nonzero iff a byte is 0 */
            bits |= w;
        }
        if (i < n) { /* the last eight bytes, overlapping those copied */
            uint64_t w;
            memcpy(&w, src + n - 8, 8);
            memcpy(dst + n - 8, &w, 8);
            zero |= (w - ONES) & ~w & HIGHS;
            bits |= w;
        }
    } else {
        for (; i < n; i++) {
            uint8_t c = src[i];
            dst[i] = (char)c;
            zero |= c == 0;
            bits |= c;
        }
    }
    *high = (bits & HIGHS) != 0;
    return zero != 0;
}

/* A string field. One with a NUL inside is declined (C code would see it
 * cut short; wire_check.h says where), and so is one that is not UTF-8
 * when `names` (identifiers, ids and the note: the UTF-8 of an answer's
 * value is validation's step 5, which names the question). An empty one
 * clears *canon when `plain` (a plain field is left out when empty; a
 * oneof member or a repeated string is not). */
static bool read_string(struct dec *d, span *s, char **out, bool plain,
                        bool names, bool *canon)
{
    span str;
    bool high;

    if (!read_len(s, &str, canon))
        return false;
    size_t n = (size_t)(str.end - str.p);
    if (n >= (size_t)(d->text_end - d->text))
        return false; /* cannot be (struct dec), but never past the room */
    char *copy = d->text;
    if (copy_has_nul(copy, str.p, n, &high))
        return false;
    if (names && high && !sv_utf8_valid(copy, n))
        return false;
    if (plain && n == 0)
        *canon = false;
    copy[n] = '\0';
    d->text += n + 1;
    *out = copy;
    return true;
}

/* The room for one more entry of a repeated field held in *array (n
 * entries, room for *cap): when full, an array of twice the room is taken
 * from the arena and the entries copied (the old one stays in the arena,
 * unused, until it is reset). More than SV_MAX_ANSWERS entries are
 * declined (an entry is tens of bytes here for two on the wire:
 * wire_check.c refuses them before anything is allocated), and so is
 * running out of memory. Counting the entries first, to size the array
 * once, read every field twice: an eighth of the decoding's instructions
 * (bench/ROUNDS.md, Round 22). */
static bool room_for_one(ProtobufCAllocator *alloc, void **array, size_t n,
                         size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return true;
    if (n >= SV_MAX_ANSWERS)
        return false;
    size_t more = *cap == 0 ? first : 2 * *cap;
    if (more > SV_MAX_ANSWERS)
        more = SV_MAX_ANSWERS;
    void *bigger = alloc->alloc(alloc->allocator_data, more * size);
    if (bigger == NULL)
        return false;
    if (n > 0)
        memcpy(bigger, *array, n * size);
    *array = bigger;
    *cap = more;
    return true;
}

/* Whether field `field` may follow field *last in protobuf-c's packing
 * (field-number order; only `repeated` may come again); moves *last. */
static bool in_order(unsigned *last, unsigned field, unsigned repeated)
{
    bool ok = field > *last || (field == *last && field == repeated);

    *last = field;
    return ok;
}

/* Options of a choices message: room for a few is taken at once (most
 * answers choose one to three). */
#define FIRST_OPTIONS 4

static bool decode_choices(struct dec *d, span msg, Survey__V1__Choices **out,
                           bool *canon)
{
    ProtobufCAllocator *alloc = d->alloc;
    Survey__V1__Choices init = SURVEY__V1__CHOICES__INIT;
    Survey__V1__Choices *c = alloc->alloc(alloc->allocator_data, sizeof *c);
    void *options = NULL;
    size_t cap = 0;

    if (c == NULL)
        return false;
    *c = init;
    while (msg.p < msg.end) {
        unsigned tag;
        if (!read_tag(&msg, &tag) || tag != TAG(1, LEN) ||
            !room_for_one(alloc, &options, c->n_options, &cap,
                          sizeof *c->options, FIRST_OPTIONS))
            return false;
        c->options = options;
        if (!read_string(d, &msg, &c->options[c->n_options++], false, false,
                         canon))
            return false;
    }
    *out = c;
    return true;
}

/* The answer in msg into *a. */
static bool decode_answer(struct dec *d, span msg, Survey__V1__Answer *a,
                          bool *canon)
{
    Survey__V1__Answer init = SURVEY__V1__ANSWER__INIT;
    uint64_t v = 0;
    span inner;
    unsigned last = 0;
    unsigned members = 0; /* of the oneof: protobuf-c packs one */

    *a = init;
    while (msg.p < msg.end) {
        unsigned tag;
        bool ok;
        if (!read_tag(&msg, &tag))
            return false;
        *canon = *canon && in_order(&last, tag >> 3, 0);
        members += tag >> 3 != 1;
        switch (tag) {
        case TAG(1, LEN):
            ok = read_string(d, &msg, &a->question, true, true, canon);
            break;
        case TAG(2, LEN):
            ok = read_string(d, &msg, &a->choice, false, false, canon);
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            break;
        case TAG(3, LEN):
            /* choices twice: whether protobuf-c merges them or keeps the
               last is its business */
            ok = a->value_case != SURVEY__V1__ANSWER__VALUE_CHOICES &&
                 read_len(&msg, &inner, canon) &&
                 decode_choices(d, inner, &a->choices, canon);
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
            break;
        case TAG(4, VARINT):
            ok = read_varint(&msg, &v, canon);
            /* sint64: zigzag */
            a->integer = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
            break;
        case TAG(5, LEN):
            ok = read_string(d, &msg, &a->text, false, false, canon);
            a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
            break;
        default:
            ok = false;
        }
        if (!ok)
            return false;
    }
    *canon = *canon && members <= 1;
    return true;
}

/* Answers of a submission: room for this many pointers is taken at once,
 * then twice as many each time it is full (the 2024 round's had 9 to 30);
 * the answers themselves, this many at a time. */
#define FIRST_ANSWERS 32
#define ANSWER_BLOCK 8

static bool decode_submission(struct dec *d, span msg,
                              Survey__V1__Submission **out, bool *canon)
{
    ProtobufCAllocator *alloc = d->alloc;
    Survey__V1__Submission init = SURVEY__V1__SUBMISSION__INIT;
    Survey__V1__Submission *sub =
        alloc->alloc(alloc->allocator_data, sizeof *sub);
    void *answers = NULL;
    size_t cap = 0;
    Survey__V1__Answer *block = NULL; /* answers taken a block at a time */
    size_t left = 0;
    span inner;
    unsigned last = 0;

    if (sub == NULL)
        return false;
    *sub = init;
    while (msg.p < msg.end) {
        unsigned tag;
        bool ok;
        if (!read_tag(&msg, &tag))
            return false;
        *canon = *canon && in_order(&last, tag >> 3, 5);
        switch (tag) {
        case TAG(1, LEN):
            ok = read_string(d, &msg, &sub->survey, true, true, canon);
            break;
        case TAG(2, LEN):
            ok = read_string(d, &msg, &sub->respondent, true, true, canon);
            break;
        case TAG(3, LEN):
            ok = read_string(d, &msg, &sub->submission_id, true, true, canon);
            break;
        case TAG(4, VARINT):
            ok = read_varint(&msg, &sub->base_revision, canon);
            /* a plain field: left out when 0 */
            *canon = *canon && sub->base_revision != 0;
            break;
        case TAG(5, LEN):
            ok = room_for_one(alloc, &answers, sub->n_answers, &cap,
                              sizeof *sub->answers, FIRST_ANSWERS);
            sub->answers = answers;
            if (ok && left == 0) {
                left = ANSWER_BLOCK;
                block =
                    alloc->alloc(alloc->allocator_data, left * sizeof *block);
                ok = block != NULL;
            }
            if (ok) {
                sub->answers[sub->n_answers++] = block;
                ok = read_len(&msg, &inner, canon) &&
                     decode_answer(d, inner, block, canon);
                block++;
                left--;
            }
            break;
        case TAG(6, LEN):
            ok = read_string(d, &msg, &sub->note, true, true, canon);
            break;
        default:
            ok = false;
        }
        if (!ok)
            return false;
    }
    *out = sub;
    return true;
}

bool sv_request_decode_submit(ProtobufCAllocator *alloc, const uint8_t *data,
                              size_t len, Survey__V1__Request **out,
                              sv_request_wire *wire)
{
    Survey__V1__Request init = SURVEY__V1__REQUEST__INIT;
    Survey__V1__Request *req;
    span msg = {data, data + len};
    span inner = {NULL, NULL};
    bool canon = true; /* of the submission's bytes */
    bool outer = true; /* of the rest: not asked, those bytes are not kept */

    *out = NULL;
    if (wire != NULL) {
        wire->submission = NULL;
        wire->submission_len = 0;
    }
    if (data == NULL)
        return false;
    req = alloc->alloc(alloc->allocator_data, sizeof *req);
    struct dec d = {.alloc = alloc,
                    .text = alloc->alloc(alloc->allocator_data, len + 1)};
    if (req == NULL || d.text == NULL)
        return false;
    d.text_end = d.text + len + 1;
    *req = init;
    while (msg.p < msg.end) {
        unsigned tag;
        bool ok;
        if (!read_tag(&msg, &tag))
            return false;
        switch (tag) {
        case TAG(1, LEN):
            /* a second submission: declined, like choices */
            ok = req->body_case != SURVEY__V1__REQUEST__BODY_SUBMIT &&
                 read_len(&msg, &inner, &outer) &&
                 decode_submission(&d, inner, &req->submit, &canon);
            req->body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
            break;
        case TAG(15, VARINT):
            ok = read_varint(&msg, &req->request_id, &outer);
            break;
        default:
            ok = false; /* another body, or an unknown field */
        }
        if (!ok)
            return false;
    }
    if (req->body_case != SURVEY__V1__REQUEST__BODY_SUBMIT)
        return false;
    /* the submission's bytes are protobuf-c's: kept (copied, as data goes
       with the frame), so that they need not be packed again */
    size_t n = (size_t)(inner.end - inner.p);
    if (wire != NULL && canon) {
        uint8_t *copy = alloc->alloc(alloc->allocator_data, n > 0 ? n : 1);
        if (copy != NULL) {
            if (n > 0)
                memcpy(copy, inner.p, n);
            wire->submission = copy;
            wire->submission_len = n;
        }
    }
    *out = req;
    return true;
}

bool sv_request_peek_id(const uint8_t *data, size_t len, uint64_t *id)
{
    span s = {data, data + len};
    bool canon = true; /* not asked */
    bool found = false;

    if (data == NULL)
        return false;
    while (s.p < s.end) {
        uint64_t key;
        uint64_t v;
        span inner;
        if (!read_varint(&s, &key, &canon))
            break;
        if (key == TAG(15, VARINT)) {
            if (!read_varint(&s, &v, &canon))
                break;
            *id = v; /* the last one, as protobuf-c keeps it */
            found = true;
        } else if ((key & 7) == VARINT) {
            if (!read_varint(&s, &v, &canon))
                break;
        } else if ((key & 7) == LEN) {
            if (!read_len(&s, &inner, &canon))
                break;
        } else {
            break; /* no other wire type in a Request */
        }
    }
    return found;
}

/* Strings whose UTF-8 validation checks (step 5, naming the question):
 * the values of answers. */
static const sv_wire_field values[] = {
    {&survey__v1__answer__descriptor, 2},  /* choice */
    {&survey__v1__answer__descriptor, 5},  /* text */
    {&survey__v1__choices__descriptor, 1}, /* options */
};

static const sv_wire_rules rules = {
    .max_repeated = SV_MAX_ANSWERS,
    .max_depth = 8, /* Request > Submission > Answer > Choices: 3 */
    .utf8_later = values,
    .n_utf8_later = sizeof values / sizeof values[0],
};

Survey__V1__Request *sv_request_decode(ProtobufCAllocator *alloc,
                                       const uint8_t *data, size_t len,
                                       sv_request_wire *wire,
                                       sv_wire_problem *problem)
{
    Survey__V1__Request *req;
    sv_wire_problem mine;

    if (problem == NULL)
        problem = &mine;
    if (sv_request_decode_submit(alloc, data, len, &req, wire)) {
        memset(problem, 0, sizeof *problem);
        return req;
    }
    if (!sv_wire_check(&survey__v1__request__descriptor, data, len, &rules,
                       problem))
        return NULL;
    req = survey__v1__request__unpack(alloc, len, data);
    if (req == NULL) {
        problem->kind = SV_WIRE_MALFORMED;
        snprintf(problem->why, sizeof problem->why,
                 "not a survey.v1.Request protobuf message (%zu bytes)", len);
    }
    return req;
}
