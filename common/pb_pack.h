/* pb_pack.h: packs a protobuf-c message into the same bytes as
 * protobuf_c_message_get_packed_size() then protobuf_c_message_pack(), in
 * one pass and with less work for each field.
 *
 * protobuf-c reads each field's label, type and flags from its descriptor
 * in both calls, measures each string in both, and, in the second, packs
 * a nested message before its length, moving it forward when the length
 * takes more than one byte, at every level. Here each message type's
 * fields are read from its descriptor once, into a plan (where each field
 * is, what it is, its tag's bytes) kept in the packer, and the message is
 * written back to front, its last field first, into a buffer the packer
 * keeps: a nested message is written before its length has to be, so
 * nothing is measured twice or moved.
 *
 * It knows proto3 messages: plain fields (left out when zero or empty, as
 * protobuf-c does) and oneof members (written when theirs is the case
 * set) of int32, enum, uint32, bool, int64, uint64, sint32, sint64,
 * string, bytes and message, and repeated strings, bytes and messages.
 * For any other field (proto2 labels, packed repeated numbers, floating
 * point, fixed-width numbers) or a message with unknown fields, sv_pb_pack()
 * says so, and the caller packs with protobuf-c. A packer is
 * used by one thread at a time. */
#ifndef SV_PB_PACK_H
#define SV_PB_PACK_H

#include <protobuf-c/protobuf-c.h>

#include <stddef.h>
#include <stdint.h>

typedef struct sv_pb_packer sv_pb_packer;

typedef enum {
    SV_PB_OK,
    SV_PB_UNSUPPORTED, /* a field or message this packer does not know */
    SV_PB_NOMEM,
} sv_pb_result;

/* NULL when out of memory. */
sv_pb_packer *sv_pb_packer_new(void);

/* Frees *self and sets it to NULL. NULL-safe. */
void sv_pb_packer_destroy(sv_pb_packer **self);

/* Packs m: *out, *len are its bytes, protobuf_c_message_pack(m)'s, in
 * the packer's buffer until its next use. */
sv_pb_result sv_pb_pack(sv_pb_packer *pk, const ProtobufCMessage *m,
                        const uint8_t **out, size_t *len);

#endif
