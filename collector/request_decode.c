/* request_decode.c: see request_decode.h. Field numbers and wire types are
 * those of proto/survey.proto. What protobuf-c does and this file does
 * alike: a plain field seen twice keeps its last value, a oneof member
 * replaces the member set before, a string is copied with a NUL after it,
 * an absent field keeps the value of the generated INIT macro. What this
 * file declines: anything else. */
#include "request_decode.h"

#include <limits.h>
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
 * also takes longer ones (it drops the high bits): declined. */
static bool read_varint(span *s, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 10 && s->p < s->end; i++) {
        uint8_t b = *s->p++;
        if (i == 9 && b > 1)
            return false;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
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
 * reads it (at most 5 bytes, at most INT_MAX, within the message). */
static bool read_len(span *s, span *out)
{
    uint64_t n = 0;
    unsigned i = 0;

    for (;; i++) {
        if (i == 5 || s->p == s->end)
            return false;
        uint8_t b = *s->p++;
        n |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0)
            break;
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

    if ((tag & 7) == VARINT)
        return read_varint(s, &v);
    if ((tag & 7) == LEN)
        return read_len(s, &inner);
    return false;
}

static bool read_string(ProtobufCAllocator *alloc, span *s, char **out)
{
    span str;

    if (!read_len(s, &str))
        return false;
    size_t n = (size_t)(str.end - str.p);
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

static void *alloc_array(ProtobufCAllocator *alloc, size_t n, size_t size)
{
    return alloc->alloc(alloc->allocator_data, n * size);
}

static bool decode_choices(ProtobufCAllocator *alloc, span msg,
                           Survey__V1__Choices **out)
{
    static const unsigned known[] = {TAG(1, LEN)};
    Survey__V1__Choices init = SURVEY__V1__CHOICES__INIT;
    Survey__V1__Choices *c = alloc->alloc(alloc->allocator_data, sizeof *c);
    size_t n = count_fields(msg, TAG(1, LEN), known, 1);

    if (c == NULL || n == SIZE_MAX)
        return false;
    *c = init;
    if (n > 0) {
        c->options = alloc_array(alloc, n, sizeof *c->options);
        if (c->options == NULL)
            return false;
    }
    while (msg.p < msg.end) {
        unsigned tag;
        if (!read_tag(&msg, &tag) ||
            !read_string(alloc, &msg, &c->options[c->n_options++]))
            return false;
    }
    *out = c;
    return true;
}

static bool decode_answer(ProtobufCAllocator *alloc, span msg,
                          Survey__V1__Answer **out)
{
    Survey__V1__Answer init = SURVEY__V1__ANSWER__INIT;
    Survey__V1__Answer *a = alloc->alloc(alloc->allocator_data, sizeof *a);
    uint64_t v = 0;
    span inner;

    if (a == NULL)
        return false;
    *a = init;
    while (msg.p < msg.end) {
        unsigned tag;
        bool ok;
        if (!read_tag(&msg, &tag))
            return false;
        switch (tag) {
        case TAG(1, LEN):
            ok = read_string(alloc, &msg, &a->question);
            break;
        case TAG(2, LEN):
            ok = read_string(alloc, &msg, &a->choice);
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            break;
        case TAG(3, LEN):
            /* choices twice: whether protobuf-c merges them or keeps the
               last is its business */
            ok = a->value_case != SURVEY__V1__ANSWER__VALUE_CHOICES &&
                 read_len(&msg, &inner) &&
                 decode_choices(alloc, inner, &a->choices);
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
            break;
        case TAG(4, VARINT):
            ok = read_varint(&msg, &v);
            /* sint64: zigzag */
            a->integer = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
            break;
        case TAG(5, LEN):
            ok = read_string(alloc, &msg, &a->text);
            a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
            break;
        default:
            ok = false;
        }
        if (!ok)
            return false;
    }
    *out = a;
    return true;
}

static bool decode_submission(ProtobufCAllocator *alloc, span msg,
                              Survey__V1__Submission **out)
{
    static const unsigned known[] = {TAG(1, LEN),    TAG(2, LEN), TAG(3, LEN),
                                     TAG(4, VARINT), TAG(5, LEN), TAG(6, LEN)};
    Survey__V1__Submission init = SURVEY__V1__SUBMISSION__INIT;
    Survey__V1__Submission *sub =
        alloc->alloc(alloc->allocator_data, sizeof *sub);
    size_t n =
        count_fields(msg, TAG(5, LEN), known, sizeof known / sizeof known[0]);
    span inner;

    if (sub == NULL || n == SIZE_MAX)
        return false;
    *sub = init;
    if (n > 0) {
        sub->answers = alloc_array(alloc, n, sizeof *sub->answers);
        if (sub->answers == NULL)
            return false;
    }
    while (msg.p < msg.end) {
        unsigned tag;
        bool ok;
        if (!read_tag(&msg, &tag))
            return false;
        switch (tag) {
        case TAG(1, LEN):
            ok = read_string(alloc, &msg, &sub->survey);
            break;
        case TAG(2, LEN):
            ok = read_string(alloc, &msg, &sub->respondent);
            break;
        case TAG(3, LEN):
            ok = read_string(alloc, &msg, &sub->submission_id);
            break;
        case TAG(4, VARINT):
            ok = read_varint(&msg, &sub->base_revision);
            break;
        case TAG(5, LEN):
            ok = read_len(&msg, &inner) &&
                 decode_answer(alloc, inner, &sub->answers[sub->n_answers++]);
            break;
        case TAG(6, LEN):
            ok = read_string(alloc, &msg, &sub->note);
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
                              size_t len, Survey__V1__Request **out)
{
    Survey__V1__Request init = SURVEY__V1__REQUEST__INIT;
    Survey__V1__Request *req;
    span msg = {data, data + len};
    span inner;

    *out = NULL;
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
                 read_len(&msg, &inner) &&
                 decode_submission(alloc, inner, &req->submit);
            req->body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
            break;
        case TAG(15, VARINT):
            ok = read_varint(&msg, &req->request_id);
            break;
        default:
            ok = false; /* another body, or an unknown field */
        }
        if (!ok)
            return false;
    }
    if (req->body_case != SURVEY__V1__REQUEST__BODY_SUBMIT)
        return false;
    *out = req;
    return true;
}

Survey__V1__Request *sv_request_decode(ProtobufCAllocator *alloc,
                                       const uint8_t *data, size_t len)
{
    Survey__V1__Request *req;

    if (sv_request_decode_submit(alloc, data, len, &req))
        return req;
    return survey__v1__request__unpack(alloc, len, data);
}
