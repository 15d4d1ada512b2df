/* submission_pack.c: see submission_pack.h. Field numbers and wire types
 * are those of proto/survey.proto; the rules are protobuf-c's for proto3:
 * a plain field is left out when zero or empty, a oneof member is written
 * whenever it is the set case, and fields go out in field-number order. */
#include "submission_pack.h"

#include <string.h>

/* field number << 3 | wire type */
#define TAG_VARINT(n) ((uint8_t)((n) << 3 | 0))
#define TAG_LEN(n) ((uint8_t)((n) << 3 | 2))

static size_t varint_size(uint64_t v)
{
    size_t n = 1;

    while (v > 0x7f) {
        v >>= 7;
        n++;
    }
    return n;
}

static size_t varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;

    while (v > 0x7f) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}

/* A length-delimited field of len bytes, its tag and length included. */
static size_t delimited_size(size_t len)
{
    return 1 + varint_size(len) + len;
}

static size_t put_string(uint8_t *out, uint8_t tag, const char *s, size_t len)
{
    size_t n = 0;

    out[n++] = tag;
    n += varint_put(out + n, len);
    memcpy(out + n, s, len);
    return n + len;
}

/* A plain (not oneof) string field: left out when empty. */
static size_t plain_string_size(const char *s)
{
    size_t len = strlen(s);

    return len > 0 ? delimited_size(len) : 0;
}

static size_t put_plain_string(uint8_t *out, uint8_t tag, const char *s)
{
    size_t len = strlen(s);

    return len > 0 ? put_string(out, tag, s, len) : 0;
}

/* Finishes a length-delimited field whose len bytes were written at
 * out + 1, leaving one byte for a length that is usually short: moves them
 * up when the length needs more. The field's room is its final size, which
 * is never less. Returns the bytes of length and contents. */
static size_t settle_length(uint8_t *out, size_t len)
{
    size_t prefix = varint_size(len);

    if (prefix > 1)
        memmove(out + prefix, out + 1, len);
    varint_put(out, len);
    return prefix + len;
}

static bool known_fields_only(const ProtobufCMessage *m)
{
    return m->n_unknown_fields == 0;
}

/* sint64 on the wire: zigzag */
static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0);
}

/* Whether an Answer is of the shape handled here. */
static bool answer_handled(const Survey__V1__Answer *a)
{
    if (a == NULL || !known_fields_only(&a->base) || a->question == NULL)
        return false;
    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        return a->choice != NULL && a->choice[0] != '\0';
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        return a->text != NULL && a->text[0] != '\0';
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
    case SURVEY__V1__ANSWER__VALUE__NOT_SET:
        return true;
    case SURVEY__V1__ANSWER__VALUE_CHOICES:
        if (a->choices == NULL || !known_fields_only(&a->choices->base) ||
            (a->choices->n_options > 0 && a->choices->options == NULL))
            return false;
        for (size_t i = 0; i < a->choices->n_options; i++) {
            if (a->choices->options[i] == NULL)
                return false;
        }
        return true;
    default:
        return false;
    }
}

/* The bytes of a Choices message. */
static size_t choices_len(const Survey__V1__Choices *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n_options; i++)
        n += delimited_size(strlen(c->options[i]));
    return n;
}

/* The bytes of a handled Answer (without its own tag and length). */
static size_t answer_len(const Survey__V1__Answer *a)
{
    size_t n = plain_string_size(a->question);

    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        return n + delimited_size(strlen(a->choice));
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        return n + delimited_size(strlen(a->text));
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        return n + 1 + varint_size(zigzag(a->integer));
    case SURVEY__V1__ANSWER__VALUE_CHOICES:
        return n + delimited_size(choices_len(a->choices));
    default:
        return n;
    }
}

static size_t put_answer(uint8_t *out, const Survey__V1__Answer *a)
{
    size_t n = put_plain_string(out, TAG_LEN(1), a->question);

    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        n += put_string(out + n, TAG_LEN(2), a->choice, strlen(a->choice));
        break;
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        n += put_string(out + n, TAG_LEN(5), a->text, strlen(a->text));
        break;
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        out[n++] = TAG_VARINT(4);
        n += varint_put(out + n, zigzag(a->integer));
        break;
    case SURVEY__V1__ANSWER__VALUE_CHOICES: {
        const Survey__V1__Choices *c = a->choices;
        size_t len = 0;
        out[n++] = TAG_LEN(3);
        for (size_t i = 0; i < c->n_options; i++)
            len += put_string(out + n + 1 + len, TAG_LEN(1), c->options[i],
                              strlen(c->options[i]));
        n += settle_length(out + n, len);
        break;
    }
    default:
        break;
    }
    return n;
}

bool sv_submission_packed_size(const Survey__V1__Submission *sub, size_t *size)
{
    size_t n = 0;

    if (sub == NULL || !known_fields_only(&sub->base) || sub->survey == NULL ||
        sub->respondent == NULL || sub->submission_id == NULL ||
        sub->note == NULL || (sub->n_answers > 0 && sub->answers == NULL))
        return false;
    n += plain_string_size(sub->survey);
    n += plain_string_size(sub->respondent);
    n += plain_string_size(sub->submission_id);
    if (sub->base_revision != 0)
        n += 1 + varint_size(sub->base_revision);
    for (size_t i = 0; i < sub->n_answers; i++) {
        if (!answer_handled(sub->answers[i]))
            return false;
        n += delimited_size(answer_len(sub->answers[i]));
    }
    n += plain_string_size(sub->note);
    *size = n;
    return true;
}

size_t sv_submission_pack(const Survey__V1__Submission *sub, uint8_t *out)
{
    size_t n = 0;

    n += put_plain_string(out + n, TAG_LEN(1), sub->survey);
    n += put_plain_string(out + n, TAG_LEN(2), sub->respondent);
    n += put_plain_string(out + n, TAG_LEN(3), sub->submission_id);
    if (sub->base_revision != 0) {
        out[n++] = TAG_VARINT(4);
        n += varint_put(out + n, sub->base_revision);
    }
    for (size_t i = 0; i < sub->n_answers; i++) {
        out[n++] = TAG_LEN(5);
        n += settle_length(out + n, put_answer(out + n + 1, sub->answers[i]));
    }
    n += put_plain_string(out + n, TAG_LEN(6), sub->note);
    return n;
}
