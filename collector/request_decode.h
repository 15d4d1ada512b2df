/* request_decode.h: decoding a survey.v1.Request off the wire. A request
 * that carries a submission (nearly all of them under load) goes through a
 * decoder of our own, written for the fields of proto/survey.proto; it
 * gives the message protobuf-c's survey__v1__request__unpack() gives, and
 * declines whatever it does not handle exactly as protobuf-c does
 * (another request body, unknown fields, a field with an unexpected wire
 * type, a repeated submission or choices, long varints), and declines
 * what protobuf-c would take but the service refuses (a NUL inside a
 * string, a name or id that is not UTF-8, more than SV_MAX_ANSWERS
 * entries of a repeated field): those go to wire_check.h, then to
 * protobuf-c. */
#ifndef SV_REQUEST_DECODE_H
#define SV_REQUEST_DECODE_H

#include "survey.pb-c.h"
#include "wire_check.h"

#include <protobuf-c/protobuf-c.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Besides the message: the bytes of its submission when they are exactly
 * those protobuf-c packs the decoded submission into (as any client built
 * on protobuf-c sends them; fields in order, nothing empty or zero that
 * the packer leaves out, no padded varint, no NUL inside a string), copied
 * into the arena; NULL when they are not, or were not looked at. The
 * store takes them instead of packing the submission again (sv_put). */
typedef struct {
    const uint8_t *submission;
    size_t submission_len;
} sv_request_wire;

/* The message in data[0..len): the decoder of our own's, or else
 * protobuf-c's once sv_wire_check() (wire_check.h) found nothing wrong in
 * the bytes. NULL with *problem saying why (unless problem is NULL) when
 * wire_check refused them or protobuf-c's unpack gives NULL (not a
 * Request, or out of memory: SV_WIRE_MALFORMED). Everything is allocated
 * with alloc and nothing is ever freed: alloc is an arena's (arena.h).
 * wire may be NULL. */
Survey__V1__Request *sv_request_decode(ProtobufCAllocator *alloc,
                                       const uint8_t *data, size_t len,
                                       sv_request_wire *wire,
                                       sv_wire_problem *problem);

/* The decoder of our own alone: true with *out (and *wire, unless NULL)
 * set when it took the request, false when it declines (what it
 * allocated stays in the arena). */
bool sv_request_decode_submit(ProtobufCAllocator *alloc, const uint8_t *data,
                              size_t len, Survey__V1__Request **out,
                              sv_request_wire *wire);

/* The request_id (field 15) of the Request in data[0..len), read from
 * its top level without decoding the rest: for the reply to one refused
 * before or without decoding (too large, cut short, unknown fields).
 * False when none is found before the end or the first field that does
 * not parse. */
bool sv_request_peek_id(const uint8_t *data, size_t len, uint64_t *id);

#endif
