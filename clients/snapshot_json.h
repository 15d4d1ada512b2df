/* snapshot_json.h: a snapshot (or any survey.v1 message) as JSON, walked
 * from the protobuf-c descriptors so that new proto fields appear without
 * code here.
 *
 * Mapping: keys are the proto field names (snake_case) in field-number
 * order, every field present, defaults included (0, "", false, []); an
 * absent sub-message is null; enums by name ("NOT_STARTED"); bytes (the
 * digest) as lowercase hex; 64-bit integers as JSON numbers (above
 * 2^63-1 as decimal strings). This differs on purpose from proto3's
 * canonical JSON (lowerCamelCase, base64, 64-bit integers as strings):
 * it is made for jq and scripts. */
#ifndef SV_SNAPSHOT_JSON_H
#define SV_SNAPSHOT_JSON_H

#include "survey.pb-c.h"

#include <jansson.h>

/* m as a JSON object. Returns a new reference, or NULL when out of memory
 * or when a string is not valid UTF-8. */
json_t *sv_proto_to_json(const ProtobufCMessage *m);

/* sv_proto_to_json of a Snapshot. */
json_t *sv_snapshot_to_json(const Survey__V1__Snapshot *s);

#endif
