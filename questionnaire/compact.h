/* compact.h: the compact record of one answer set, the form aggregation
 * works on. The collector writes one beside each current revision; the
 * aggregator keeps one per respondent in memory and a full rerun scans them.
 *
 * Layout, fixed per questionnaire (all integers little-endian):
 *   u32 fingerprint   of the questionnaire's layout (form_id, version,
 *                     question names, types and option counts): a record
 *                     of another layout is refused
 *   relevance bitmap  ceil(count/8) bytes, bit i = question i relevant
 *   answered bitmap   ceil(count/8) bytes, bit i = question i answered
 *   slots, in question order:
 *     integer          8 bytes, int64
 *     select_one       1 byte, option index
 *     select_multiple  ceil(n_options/8) bytes, bit k = option k chosen
 *     text             none (the answered bit says it all; texts are read
 *                      from the stored revision when a listing needs them)
 * For the 2024 form a record is about 50 bytes. */
#ifndef SV_COMPACT_H
#define SV_COMPACT_H

#include "questionnaire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of a record of q's layout. */
size_t sv_compact_size(const sv_questionnaire *q);

/* The layout, for code that walks records itself (the aggregator's
 * tallies): the relevance bitmap starts at SV_COMPACT_HEADER, the answered
 * bitmap sv_compact_bitmap_bytes(q) after it, and question i's slot at
 * sv_compact_slot(q, i). */
#define SV_COMPACT_HEADER 4
size_t sv_compact_bitmap_bytes(const sv_questionnaire *q);
size_t sv_compact_slot(const sv_questionnaire *q, size_t i);

/* The layout fingerprint of q. */
uint32_t sv_compact_fingerprint(const sv_questionnaire *q);

/* Writes the record for values[0..count) (as filled by
 * sv_questionnaire_validate) and relevant[0..count) (as filled by
 * sv_questionnaire_relevance) into out[0..sv_compact_size(q)). */
void sv_compact_encode(const sv_questionnaire *q, const sv_value *values,
                       const bool *relevant, uint8_t *out);

/* True if rec (len bytes) has q's size and fingerprint. */
bool sv_compact_valid(const sv_questionnaire *q, const uint8_t *rec,
                      size_t len);

/* Accessors of a valid record. sv_compact_value returns SV_V_NONE when the
 * question is unanswered, and SV_V_TEXT with text NULL / text_len 0 for an
 * answered text question. */
bool sv_compact_relevant(const sv_questionnaire *q, const uint8_t *rec,
                         size_t i);
bool sv_compact_answered(const sv_questionnaire *q, const uint8_t *rec,
                         size_t i);
sv_value sv_compact_value(const sv_questionnaire *q, const uint8_t *rec,
                          size_t i);

#endif
