/* contract_digest.h: test support: a snapshot's digest as the wire
 * contract defines it (proto/survey.proto, Snapshot.digest), computed
 * here with protobuf-c and libsodium alone, independently of the
 * aggregator's code: BLAKE2b-256 of the snapshot packed with version,
 * sequence, created_ms, digest and trigger cleared. */
#ifndef SV_CONTRACT_DIGEST_H
#define SV_CONTRACT_DIGEST_H

#include "survey.pb-c.h"

#include <stdint.h>

/* Fails the running cmocka test if packing or hashing fails. */
void sv_contract_digest(const Survey__V1__Snapshot *snap, uint8_t out[32]);

#endif
