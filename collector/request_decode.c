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

/* Skips the value of a field of wire type tag & 7, varint or
 * length-delimited (the only ones in these messages). */
static bool skip_value(span *s, unsigned tag)
{
    uint64_t v;
    span inner;
    bool canon = true; /* not asked here */

    if ((tag & 7) == VARINT)
        return read_varint(s, &v, &canon);
    if ((tag & 7) == LEN)
        return read_len(s, &inner, &canon);
    return false;
}

/* Whether s[0..n) is UTF-8. Names and ids are nearly always ASCII: eight
 * bytes at a time are looked at for a high bit first (a byte loop cost
 * 0.2 us a request, a sixth of the decoding). */
static bool utf8(const uint8_t *s, size_t n)
{
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if ((w & UINT64_C(0x8080808080808080)) != 0)
            break;
    }
    while (i < n && s[i] < 0x80)
        i++;
    return i == n || sv_utf8_valid((const char *)s + i, n - i);
}

/* A string field. One with a NUL inside is declined (C code would see it
 * cut short; wire_check.h says where), and so is one that is not UTF-8
 * when `names` (identifiers, ids and the note: the UTF-8 of an answer's
 * value is validation's step 5, which names the question). An empty one
 * clears *canon when `plain` (a plain field is left out when empty; a
 * oneof member or a repeated string is not). */
static bool read_string(ProtobufCAllocator *alloc, span *s, char **out,
                        bool plain, bool names, bool *canon)
{
    span str;

    if (!read_len(s, &str, canon))
        return false;
    size_t n = (size_t)(str.end - str.p);
    if (n > 0 && memchr(str.p, 0, n) != NULL)
        return false;
    if (names && !utf8(str.p, n))
        return false;
    if (plain && n == 0)
        *canon = false;
    char *copy = alloc->alloc(alloc->allocator_data, n + 1);
    if (copy == NULL)
        return false;
    if (n > 0)
        memcpy(copy, str.p, n);
    copy[n] = '\0';
    *out = copy;
    return true;
}

/* How many fields with tag `want` msg holds; SIZE_MAX when a field of
 * msg is not one of the `n` tags in known or cannot be skipped. */
static size_t count_fields(span msg, unsigned want, const unsigned *known,
                           size_t n)
{
    size_t count = 0;

    while (msg.p < msg.end) {
        unsigned tag;
        bool ok = false;
        if (!read_tag(&msg, &tag))
            return SIZE_MAX;
        for (size_t i = 0; i < n && !ok; i++)
            ok = known[i] == tag;
        if (!ok || !skip_value(&msg, tag))
            return SIZE_MAX;
        count += tag == want;
    }
    return count;
}

/* The array for the fields with tag `want` of msg (NULL when there are
 * none); false when msg holds a field whose tag is not one of the
 * n_known in known, more than SV_MAX_ANSWERS of them (an entry is tens of
 * bytes here for two on the wire: wire_check.c refuses them before
 * anything is allocated), or when out of memory. */
static bool repeated_array(ProtobufCAllocator *alloc, span msg, unsigned want,
                           const unsigned *known, size_t n_known, size_t size,
                           void **array)
{
    size_t n = count_fields(msg, want, known, n_known);

    *array = NULL;
    if (n == SIZE_MAX || n > SV_MAX_ANSWERS)
        return false;
    if (n == 0)
        return true;
    *array = alloc->alloc(alloc->allocator_data, n * size);
    return *array != NULL;
}

/* Whether field `field` may follow field *last in protobuf-c's packing
 * (field-number order; only `repeated` may come again); moves *last. */
static bool in_order(unsigned *last, unsigned field, unsigned repeated)
{
    bool ok = field > *last || (field == *last && field == repeated);

    *last = field;
    return ok;
}

static bool decode_choices(ProtobufCAllocator *alloc, span msg,
                           Survey__V1__Choices **out, bool *canon)
{
    static const unsigned known[] = {TAG(1, LEN)};
    Survey__V1__Choices init = SURVEY__V1__CHOICES__INIT;
    Survey__V1__Choices *c = alloc->alloc(alloc->allocator_data, sizeof *c);
    void *options;

    if (c == NULL || !repeated_array(alloc, msg, TAG(1, LEN), known, 1,
                                     sizeof *c->options, &options))
        return false;
    *c = init;
    c->options = options;
    while (msg.p < msg.end) {
        unsigned tag;
        if (!read_tag(&msg, &tag) ||
            !read_string(alloc, &msg, &c->options[c->n_options++], false, false,
                         canon))
            return false;
    }
    *out = c;
    return true;
}

static bool decode_answer(ProtobufCAllocator *alloc, span msg,
                          Survey__V1__Answer **out, bool *canon)
{
    Survey__V1__Answer init = SURVEY__V1__ANSWER__INIT;
    Survey__V1__Answer *a = alloc->alloc(alloc->allocator_data, sizeof *a);
    uint64_t v = 0;
    span inner;
    unsigned last = 0;
    unsigned members = 0; /* of the oneof: protobuf-c packs one */

    if (a == NULL)
        return false;
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
            ok = read_string(alloc, &msg, &a->question, true, true, canon);
            break;
        case TAG(2, LEN):
            ok = read_string(alloc, &msg, &a->choice, false, false, canon);
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            break;
        case TAG(3, LEN):
            /* choices twice: whether protobuf-c merges them or keeps the
               last is its business */
            ok = a->value_case != SURVEY__V1__ANSWER__VALUE_CHOICES &&
                 read_len(&msg, &inner, canon) &&
                 decode_choices(alloc, inner, &a->choices, canon);
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
            break;
        case TAG(4, VARINT):
            ok = read_varint(&msg, &v, canon);
            /* sint64: zigzag */
            a->integer = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
            break;
        case TAG(5, LEN):
            ok = read_string(alloc, &msg, &a->text, false, false, canon);
            a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
            break;
        default:
            ok = false;
        }
        if (!ok)
            return false;
    }
    *canon = *canon && members <= 1;
    *out = a;
    return true;
}

static bool decode_submission(ProtobufCAllocator *alloc, span msg,
                              Survey__V1__Submission **out, bool *canon)
{
    static const unsigned known[] = {TAG(1, LEN),    TAG(2, LEN), TAG(3, LEN),
                                     TAG(4, VARINT), TAG(5, LEN), TAG(6, LEN)};
    Survey__V1__Submission init = SURVEY__V1__SUBMISSION__INIT;
    Survey__V1__Submission *sub =
        alloc->alloc(alloc->allocator_data, sizeof *sub);
    void *answers;
    span inner;
    unsigned last = 0;

    if (sub == NULL || !repeated_array(alloc, msg, TAG(5, LEN), known,
                                       sizeof known / sizeof known[0],
                                       sizeof *sub->answers, &answers))
        return false;
    *sub = init;
    sub->answers = answers;
    while (msg.p < msg.end) {
        unsigned tag;
        bool ok;
        if (!read_tag(&msg, &tag))
            return false;
        *canon = *canon && in_order(&last, tag >> 3, 5);
        switch (tag) {
        case TAG(1, LEN):
            ok = read_string(alloc, &msg, &sub->survey, true, true, canon);
            break;
        case TAG(2, LEN):
            ok = read_string(alloc, &msg, &sub->respondent, true, true, canon);
            break;
        case TAG(3, LEN):
            ok = read_string(alloc, &msg, &sub->submission_id, true, true,
                             canon);
            break;
        case TAG(4, VARINT):
            ok = read_varint(&msg, &sub->base_revision, canon);
            /* a plain field: left out when 0 */
            *canon = *canon && sub->base_revision != 0;
            break;
        case TAG(5, LEN):
            ok = read_len(&msg, &inner, canon) &&
                 decode_answer(alloc, inner, &sub->answers[sub->n_answers++],
                               canon);
            break;
        case TAG(6, LEN):
            ok = read_string(alloc, &msg, &sub->note, true, true, canon);
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
    if (req == NULL)
        return false;
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
                 decode_submission(alloc, inner, &req->submit, &canon);
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
