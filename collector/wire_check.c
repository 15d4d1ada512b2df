/* wire_check.c: see wire_check.h. Wire types: 0 varint, 1 eight bytes,
 * 2 length-delimited, 5 four bytes; 3 and 4 (groups) are not proto3. */
#include "wire_check.h"

#include "utf8.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Counted per field of one message; fields past this many are not
 * counted (no message of survey.proto has half as many). */
#define MAX_FIELDS 64

struct walk {
    const sv_wire_rules *rules;
    sv_wire_problem *problem;
    char path[192];
};

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} span;

static bool fail(struct walk *w, sv_wire_kind kind,
                 const ProtobufCMessageDescriptor *message, unsigned field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static bool fail(struct walk *w, sv_wire_kind kind,
                 const ProtobufCMessageDescriptor *message, unsigned field,
                 const char *fmt, ...)
{
    sv_wire_problem *pr = w->problem;
    va_list ap;

    pr->kind = kind;
    pr->where.message = message;
    pr->where.field = field;
    snprintf(pr->path, sizeof pr->path, "%s", w->path);
    va_start(ap, fmt);
    if (vsnprintf(pr->why, sizeof pr->why, fmt, ap) < 0)
        pr->why[0] = '\0';
    va_end(ap);
    return false;
}

static bool read_varint(span *s, uint64_t *out)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 10 && s->p < s->end; i++) {
        uint8_t b = *s->p++;
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            *out = v;
            return true;
        }
    }
    return false;
}

/* Moves s past a value of wire type wt; its bytes in *value (for wire
 * type 2, without the length). */
static bool skip_value(span *s, unsigned wt, span *value)
{
    uint64_t n;

    switch (wt) {
    case 0:
        value->p = s->p;
        if (!read_varint(s, &n))
            return false;
        value->end = s->p;
        return true;
    case 1:
    case 5:
        n = wt == 1 ? 8 : 4;
        break;
    case 2:
        if (!read_varint(s, &n))
            return false;
        break;
    default:
        return false;
    }
    if (n > (uint64_t)(s->end - s->p))
        return false;
    value->p = s->p;
    value->end = s->p + n;
    s->p += n;
    return true;
}

/* The wire type a single value of f comes in. */
static unsigned wire_type(const ProtobufCFieldDescriptor *f)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return 5;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 1;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return 2;
    default:
        return 0; /* the integer types, bool and enums */
    }
}

static bool utf8_later(const struct walk *w,
                       const ProtobufCMessageDescriptor *d, unsigned field)
{
    for (size_t i = 0; i < w->rules->n_utf8_later; i++)
        if (w->rules->utf8_later[i].message == d &&
            w->rules->utf8_later[i].field == field)
            return true;
    return false;
}

/* Entries of field `number` in msg from s on (msg is known to parse that
 * far; a field that does not parse ends the count). */
static size_t count_rest(span s, uint64_t number)
{
    size_t n = 0;

    while (s.p < s.end) {
        uint64_t key;
        span value;
        if (!read_varint(&s, &key) ||
            !skip_value(&s, (unsigned)(key & 7), &value))
            break;
        n += key >> 3 == number;
    }
    return n;
}

static bool check_string(struct walk *w, const ProtobufCMessageDescriptor *d,
                         const ProtobufCFieldDescriptor *f, span v)
{
    size_t n = (size_t)(v.end - v.p);
    const uint8_t *nul = n > 0 ? memchr(v.p, 0, n) : NULL;

    if (nul != NULL)
        return fail(w, SV_WIRE_NUL, d, f->id,
                    "%s holds a NUL byte (at byte %zu of %zu); text may not "
                    "contain NUL",
                    w->path, (size_t)(nul - v.p), n);
    if (utf8_later(w, d, f->id))
        return true;
    for (size_t i = 0; i < n;) {
        size_t seq = sv_utf8_seq((const char *)v.p + i, n - i);
        if (seq == 0)
            return fail(w, SV_WIRE_BAD_UTF8, d, f->id,
                        "%s is not valid UTF-8 (byte 0x%02X at byte %zu of "
                        "%zu)",
                        w->path, v.p[i], i, n);
        i += seq;
    }
    return true;
}

static bool walk_message(struct walk *w, const ProtobufCMessageDescriptor *d,
                         span msg, unsigned depth)
{
    size_t counts[MAX_FIELDS] = {0};
    size_t base = strlen(w->path);
    span s = msg;

    while (s.p < s.end) {
        uint64_t key;
        span v;
        if (!read_varint(&s, &key) || key >> 3 == 0 || key >> 3 > 536870911)
            return fail(w, SV_WIRE_MALFORMED, d, 0, "%s%sbad field key in a %s",
                        w->path, base > 0 ? ": " : "", d->name);
        unsigned number = (unsigned)(key >> 3);
        unsigned wt = (unsigned)(key & 7);
        if (!skip_value(&s, wt, &v))
            return fail(w, SV_WIRE_MALFORMED, d, number,
                        "%s%sfield %u of %s is cut short or of wire type %u",
                        w->path, base > 0 ? ": " : "", number, d->name, wt);
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, number);
        if (f == NULL)
            return fail(w, SV_WIRE_UNKNOWN_FIELD, d, number,
                        "%s%sfield %u (wire type %u) is not defined in %s",
                        w->path, base > 0 ? ": " : "", number, wt, d->name);
        size_t idx = (size_t)(f - d->fields);
        bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
        size_t seen = idx < MAX_FIELDS ? ++counts[idx] : 1;
        int wr = repeated ? snprintf(w->path + base, sizeof w->path - base,
                                     "%s%s[%zu]", base > 0 ? "." : "", f->name,
                                     seen - 1)
                          : snprintf(w->path + base, sizeof w->path - base,
                                     "%s%s", base > 0 ? "." : "", f->name);
        (void)wr; /* a path cut short still names where it starts */
        if (repeated && seen > w->rules->max_repeated) {
            w->path[base] = '\0';
            w->problem->count = seen + count_rest(s, number);
            return fail(w, SV_WIRE_TOO_MANY, d, number,
                        "%s%s%s: %zu entries, over the limit of %zu", w->path,
                        base > 0 ? "." : "", f->name, w->problem->count,
                        w->rules->max_repeated);
        }
        unsigned want = wire_type(f);
        bool packed = repeated && wt == 2 && want != 2;
        if (wt != want && !packed)
            return fail(w, SV_WIRE_MALFORMED, d, number,
                        "%s has wire type %u where a field of its type has "
                        "%u",
                        w->path, wt, want);
        if (f->type == PROTOBUF_C_TYPE_STRING && !check_string(w, d, f, v))
            return false;
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (depth + 1 > w->rules->max_depth)
                return fail(w, SV_WIRE_TOO_DEEP, d, number,
                            "%s: messages nested more than %u deep", w->path,
                            w->rules->max_depth);
            if (!walk_message(w, f->descriptor, v, depth + 1))
                return false;
        }
        w->path[base] = '\0';
    }
    return true;
}

bool sv_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                   size_t len, const sv_wire_rules *rules,
                   sv_wire_problem *problem)
{
    struct walk w = {.rules = rules, .problem = problem};
    span msg = {data, data + len};

    memset(problem, 0, sizeof *problem);
    if (data == NULL && len > 0)
        return fail(&w, SV_WIRE_MALFORMED, NULL, 0, "no bytes");
    return walk_message(&w, d, msg, 0);
}
