/* wire_check.h: a request's bytes checked against its message descriptor
 * before protobuf-c unpacks them. protobuf-c keeps fields the descriptor
 * does not define (the store could not read them back), cuts a string at
 * its first NUL when C code reads it (the rest would be dropped without a
 * word), takes any bytes as a string, and allocates every entry of a
 * repeated field however many there are. This walk finds those first and
 * says where: "submit.answers[3].note", "field 20 of survey.v1.Answer". */
#ifndef SV_WIRE_CHECK_H
#define SV_WIRE_CHECK_H

#include <protobuf-c/protobuf-c.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SV_WIRE_MALFORMED,     /* not a message of that type at all */
    SV_WIRE_UNKNOWN_FIELD, /* a field number the descriptor does not know */
    SV_WIRE_NUL,           /* a string with a NUL byte inside */
    SV_WIRE_BAD_UTF8,      /* a string that is not UTF-8 */
    SV_WIRE_TOO_MANY,      /* a repeated field over the limit */
    SV_WIRE_TOO_DEEP,      /* messages nested deeper than the limit */
} sv_wire_kind;

/* A field of a message type. */
typedef struct {
    const ProtobufCMessageDescriptor *message;
    unsigned field;
} sv_wire_field;

typedef struct {
    size_t max_repeated; /* entries of one repeated field in one message */
    unsigned max_depth;  /* messages within messages */
    /* strings whose UTF-8 is left to a later check that reports it better
       (NULs are still refused: nothing after C code could see them) */
    const sv_wire_field *utf8_later;
    size_t n_utf8_later;
} sv_wire_rules;

typedef struct {
    sv_wire_kind kind;
    sv_wire_field where; /* the field (message and number); message NULL
                            for SV_WIRE_MALFORMED at the top */
    size_t count;        /* SV_WIRE_TOO_MANY: the entries */
    char path[192];      /* e.g. "submit.answers[3].text" */
    char why[384];       /* one sentence naming path and rule */
} sv_wire_problem;

/* True when data[0..len) holds nothing of the above as a message of type
 * d; false with *problem set (the first one met) otherwise. */
bool sv_wire_check(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                   size_t len, const sv_wire_rules *rules,
                   sv_wire_problem *problem);

#endif
