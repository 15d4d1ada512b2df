/* store_key.h: the byte encoding of the store's LMDB keys.
 *
 * Strings are joined with a NUL byte (C strings cannot contain one, so the
 * split is unambiguous and a respondent's revisions share a prefix);
 * numbers are 8-byte big-endian so that LMDB's byte order is numeric order.
 *
 *   pair      a "\0" b                 current, compact, receipts
 *   revision  survey "\0" respondent "\0" be64(revision)
 *   version   survey "\0" be64(version) snapshots
 *   string    survey                   watermarks
 *   sequence  be64(sequence)           changes */
#ifndef SV_STORE_KEY_H
#define SV_STORE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LMDB's default maximum key size (mdb_env_get_maxkeysize). */
#define STORE_KEY_MAX 511

typedef struct {
    unsigned char buf[STORE_KEY_MAX];
    size_t len;
} store_key;

/* a "\0" b. Returns false (k unusable) when longer than STORE_KEY_MAX. */
bool store_key_pair(store_key *k, const char *a, const char *b);

/* survey "\0" respondent "\0" be64(revision); false when too long. */
bool store_key_revision(store_key *k, const char *survey,
                        const char *respondent, uint64_t revision);

/* survey "\0" respondent "\0": the prefix of every revision key of one
 * respondent. False when too long. */
bool store_key_revision_prefix(store_key *k, const char *survey,
                               const char *respondent);

/* survey "\0": the prefix of every pair key and every version key of one
 * survey. False when too long. */
bool store_key_prefix(store_key *k, const char *survey);

/* survey "\0" be64(version); false when too long. */
bool store_key_version(store_key *k, const char *survey, uint64_t version);

/* The bytes of s, without a NUL; false when too long. */
bool store_key_string(store_key *k, const char *s);

/* be64(sequence), 8 bytes. */
void store_key_sequence(store_key *k, uint64_t sequence);

/* Writes a readable form of a key of len bytes into out (always
 * NUL-terminated, cut to n): NUL separators as '/', control bytes as \xHH
 * and, when numbered, the trailing 8 bytes as "#N". For messages. */
void store_key_text(char *out, size_t n, const unsigned char *key, size_t len,
                    bool numbered);

/* Writes v as 8 big-endian bytes to p / reads them back. */
void store_be64_put(unsigned char *p, uint64_t v);
uint64_t store_be64_get(const unsigned char *p);

#endif
