/* store_key.c: the byte encoding of the store's LMDB keys (see
 * store_key.h and storage/README.md). */
#include "store_key.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void store_be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

uint64_t store_be64_get(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Appends n bytes; false when they do not fit. */
static bool append(store_key *k, const void *p, size_t n)
{
    if (n > sizeof k->buf - k->len)
        return false;
    memcpy(k->buf + k->len, p, n);
    k->len += n;
    return true;
}

/* Appends s and its terminating NUL. */
static bool append_str(store_key *k, const char *s)
{
    return append(k, s, strlen(s) + 1);
}

bool store_key_pair(store_key *k, const char *a, const char *b)
{
    k->len = 0;
    if (!append_str(k, a))
        return false;
    return append(k, b, strlen(b));
}

bool store_key_revision_prefix(store_key *k, const char *survey,
                               const char *respondent)
{
    k->len = 0;
    if (!append_str(k, survey))
        return false;
    return append_str(k, respondent);
}

bool store_key_revision(store_key *k, const char *survey,
                        const char *respondent, uint64_t revision)
{
    unsigned char be[8];

    if (!store_key_revision_prefix(k, survey, respondent))
        return false;
    store_be64_put(be, revision);
    return append(k, be, sizeof be);
}

bool store_key_prefix(store_key *k, const char *survey)
{
    k->len = 0;
    return append_str(k, survey);
}

bool store_key_version(store_key *k, const char *survey, uint64_t version)
{
    unsigned char be[8];

    if (!store_key_prefix(k, survey))
        return false;
    store_be64_put(be, version);
    return append(k, be, sizeof be);
}

bool store_key_string(store_key *k, const char *s)
{
    k->len = 0;
    return append(k, s, strlen(s));
}

void store_key_sequence(store_key *k, uint64_t sequence)
{
    store_be64_put(k->buf, sequence);
    k->len = 8;
}

void store_key_text(char *out, size_t n, const unsigned char *key, size_t len,
                    bool numbered)
{
    size_t text_len = len;
    size_t o = 0;

    if (n == 0)
        return;
    if (numbered && len >= 8)
        text_len = len - 8;
    for (size_t i = 0; i < text_len && o + 5 < n; i++) {
        unsigned char c = key[i];
        if (c == 0) {
            out[o++] = '/';
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(out + o, n - o, "\\x%02x", c);
            o += 4;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    if (numbered && len >= 8)
        snprintf(out + o, n - o, "#%" PRIu64, store_be64_get(key + text_len));
}
