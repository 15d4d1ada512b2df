/* submission_pack.h: a survey.v1.Submission packed without protobuf-c's
 * reflection: the same bytes as survey__v1__submission__pack(), which
 * walks the descriptors twice (once to size, once to pack) and was the
 * largest part of preparing a submission after compression.
 *
 * The bytes must be exactly protobuf-c's: the answers of the stored
 * revision are copied from them, and a retry of a submission whose
 * receipt was written before schema 8 is digested over them, which must
 * match the digest that receipt keeps.
 * Only the common shape is handled here; anything else (unknown fields,
 * an empty or missing oneof member, a missing string) is declined, and
 * the caller packs with protobuf-c instead. test_submission_pack compares
 * both on generated and edge-case submissions. */
#ifndef SV_SUBMISSION_PACK_H
#define SV_SUBMISSION_PACK_H

#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The packed size of sub into *size; false if sub is not of the shape
 * handled here (then use protobuf-c). */
bool sv_submission_packed_size(const Survey__V1__Submission *sub, size_t *size);

/* Packs sub (for which sv_submission_packed_size returned true) into out,
 * which has room for that size; returns the bytes written. */
size_t sv_submission_pack(const Survey__V1__Submission *sub, uint8_t *out);

#endif
