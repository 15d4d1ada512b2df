/* revision_codec.h: how a Revision is stored in `log` (since schema 7; in
 * `revisions` in schemas 5 and 6): a RevisionRecord (proto/store.proto), that
 * is the revision's two numbers, then its other fields packed and
 * compressed against a built-in dictionary (storage/revision_dict.h): one
 * LZ4 block (schema 8, codec 1, what this build writes), or one zstd frame
 * (schemas 5 to 7, codec 0, still read). Submissions repeat the
 * questionnaire's names and codes, so a record is about 40% of the packed
 * Revision (a third with zstd, at twice LZ4's time).
 *
 * Safe to call from any thread: each thread gets its own contexts, freed
 * when it ends. */
#ifndef SV_REVISION_CODEC_H
#define SV_REVISION_CODEC_H

#include "status.h"
#include "survey.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* The most bytes sv_revision_tail_encode writes for plain_len bytes. */
size_t sv_revision_tail_bound(size_t plain_len);

/* LZ4's acceleration for a body of plain_len bytes: the fastest setting
 * (which stores a body almost as it is) up to a size that stays on LMDB's
 * leaf pages that way, a setting that compresses above it
 * (revision_codec.c). */
int sv_revision_tail_acceleration(size_t plain_len);

/* Writes the tail of a record (fields 12 to 15: plain_len, the codec, the
 * dictionary's number and the LZ4 block of plain, which holds Revision
 * fields 3..9 packed) at out, which has room for
 * sv_revision_tail_bound(plain_len) bytes; *len is set to the bytes
 * written. The packed fields 1 and 2, then
 * this tail, make the whole record. */
sv_status sv_revision_tail_encode(const uint8_t *plain, size_t plain_len,
                                  uint8_t *out, size_t *len, sv_error *err);

/* The whole record of rev, malloc'd into *out (the caller frees it). */
sv_status sv_revision_encode(const Survey__V1__Revision *rev, uint8_t **out,
                             size_t *len, sv_error *err);

/* Decodes a record into *out (free with survey__v1__revision__free_unpacked
 * and a NULL allocator). SV_ERR_STORE, saying what is wrong with it, when
 * it is not a valid record; SV_ERR_NOMEM. */
sv_status sv_revision_decode(const uint8_t *val, size_t len,
                             Survey__V1__Revision **out, sv_error *err);

#endif
