/* request_decode.h: decoding a survey.v1.Request off the wire. A request
 * that carries a submission (nearly all of them under load) goes through a
 * decoder of our own, written for the fields of proto/survey.proto; it
 * gives the message protobuf-c's survey__v1__request__unpack() gives, and
 * declines whatever it does not handle exactly as protobuf-c does
 * (another request body, unknown fields, a field with an unexpected wire
 * type, a repeated submission or choices, long varints): those go to
 * protobuf-c. */
#ifndef SV_REQUEST_DECODE_H
#define SV_REQUEST_DECODE_H

#include "survey.pb-c.h"

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

/* The message in data[0..len), or NULL where protobuf-c's unpack gives
 * NULL (not a Request, or out of memory). Everything is allocated with
 * alloc and nothing is ever freed: alloc is an arena's (arena.h). wire
 * may be NULL. */
Survey__V1__Request *sv_request_decode(ProtobufCAllocator *alloc,
                                       const uint8_t *data, size_t len,
                                       sv_request_wire *wire);

/* The decoder of our own alone: true with *out (and *wire, unless NULL)
 * set when it took the request, false when it declines (what it
 * allocated stays in the arena). */
bool sv_request_decode_submit(ProtobufCAllocator *alloc, const uint8_t *data,
                              size_t len, Survey__V1__Request **out,
                              sv_request_wire *wire);

#endif
