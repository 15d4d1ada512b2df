/* revision_codec.c: stored revisions, compressed with zstd against the
 * built-in dictionary (see revision_codec.h). */
#include "revision_codec.h"

#include "revision_dict.h"
#include "store.pb-c.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* The dictionary new records use. */
#define DICT_NUMBER 1
/* zstd's level -1: on records of about 1 KB, as small as level 1 to 3
 * (within 1%) at about 60% of level 1's time. */
#define LEVEL (-1)
/* A record's frame never holds more than this: a larger size is corrupt. */
#define MAX_PLAIN ((size_t)64 << 20)
#define TAG_DICTIONARY 0x70 /* field 14, varint */
#define TAG_BODY 0x7a       /* field 15, length-delimited */
#define VARINT_MAX 10

static pthread_once_t once = PTHREAD_ONCE_INIT;
static ZSTD_CDict *cdict; /* for the process's life */
static ZSTD_DDict *ddict;
static pthread_key_t contexts_key;
static bool key_ok;

/* One thread's zstd contexts. */
struct contexts {
    ZSTD_CCtx *c;
    ZSTD_DCtx *d;
};

static _Thread_local struct contexts *mine;

static void contexts_free(void *arg)
{
    struct contexts *x = arg;

    ZSTD_freeCCtx(x->c);
    ZSTD_freeDCtx(x->d);
    free(x);
}

static void init(void)
{
    cdict = ZSTD_createCDict(sv_revision_dict1, sv_revision_dict1_len, LEVEL);
    ddict = ZSTD_createDDict(sv_revision_dict1, sv_revision_dict1_len);
    key_ok = pthread_key_create(&contexts_key, contexts_free) == 0;
}

/* This thread's contexts, made on first use; NULL when out of memory. */
static struct contexts *contexts(void)
{
    if (pthread_once(&once, init) != 0 || cdict == NULL || ddict == NULL ||
        !key_ok)
        return NULL;
    if (mine != NULL)
        return mine;
    struct contexts *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->c = ZSTD_createCCtx();
    x->d = ZSTD_createDCtx();
    if (x->c == NULL || x->d == NULL ||
        pthread_setspecific(contexts_key, x) != 0) {
        contexts_free(x);
        return NULL;
    }
    mine = x;
    return x;
}

static size_t varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;

    do {
        out[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v != 0);
    return n;
}

size_t sv_revision_tail_bound(size_t plain_len)
{
    return 3 + VARINT_MAX + ZSTD_compressBound(plain_len);
}

sv_status sv_revision_tail_encode(const uint8_t *plain, size_t plain_len,
                                  uint8_t *out, size_t *len, sv_error *err)
{
    struct contexts *x = contexts();
    size_t cap = ZSTD_compressBound(plain_len);
    uint8_t head[3 + VARINT_MAX];
    size_t head_len = 0;

    *len = 0;
    if (x == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (zstd contexts)");
    /* the frame goes after room for the longest head, which is then
       written and the frame moved up to it */
    size_t at = 3 + VARINT_MAX;
    size_t frame =
        ZSTD_compress_usingCDict(x->c, out + at, cap, plain, plain_len, cdict);
    if (ZSTD_isError(frame))
        return sv_fail(err, SV_ERR_STORE, "compressing a revision: %s",
                       ZSTD_getErrorName(frame));
    head[head_len++] = TAG_DICTIONARY;
    head[head_len++] = DICT_NUMBER;
    head[head_len++] = TAG_BODY;
    head_len += varint_put(head + head_len, frame);
    memcpy(out, head, head_len);
    memmove(out + head_len, out + at, frame);
    *len = head_len + frame;
    return SV_OK;
}

sv_status sv_revision_encode(const Survey__V1__Revision *rev, uint8_t **out,
                             size_t *len, sv_error *err)
{
    Survey__V1__Revision numbers = SURVEY__V1__REVISION__INIT;
    Survey__V1__Revision rest = *rev;
    uint8_t *plain;
    size_t plain_len;
    size_t numbers_len;
    size_t tail_len;
    sv_status st;

    *out = NULL;
    *len = 0;
    numbers.revision = rev->revision;
    numbers.sequence = rev->sequence;
    rest.revision = 0; /* proto3: a zero is not packed */
    rest.sequence = 0;
    numbers_len = survey__v1__revision__get_packed_size(&numbers);
    plain_len = survey__v1__revision__get_packed_size(&rest);
    plain = malloc(plain_len > 0 ? plain_len : 1);
    *out = malloc(numbers_len + sv_revision_tail_bound(plain_len));
    if (plain == NULL || *out == NULL) {
        free(plain);
        free(*out);
        *out = NULL;
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (revision record)");
    }
    survey__v1__revision__pack(&rest, plain);
    survey__v1__revision__pack(&numbers, *out);
    st = sv_revision_tail_encode(plain, plain_len, *out + numbers_len,
                                 &tail_len, err);
    free(plain);
    if (st != SV_OK) {
        free(*out);
        *out = NULL;
        return st;
    }
    *len = numbers_len + tail_len;
    return SV_OK;
}

sv_status sv_revision_decode(const uint8_t *val, size_t len,
                             Survey__V1__Revision **out, sv_error *err)
{
    struct contexts *x = contexts();
    Survey__Store__V1__RevisionRecord *rec;
    unsigned long long plain_len;
    uint8_t *plain;
    size_t got;
    sv_status st = SV_OK;

    *out = NULL;
    if (x == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (zstd contexts)");
    rec = survey__store__v1__revision_record__unpack(NULL, len, val);
    if (rec == NULL)
        return sv_fail(err, SV_ERR_STORE, "not a revision record");
    if (rec->dictionary != DICT_NUMBER) {
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record names dictionary %u; this build has "
                     "dictionary %d only",
                     (unsigned)rec->dictionary, DICT_NUMBER);
        goto done;
    }
    plain_len = ZSTD_getFrameContentSize(rec->body.data, rec->body.len);
    if (plain_len == ZSTD_CONTENTSIZE_ERROR ||
        plain_len == ZSTD_CONTENTSIZE_UNKNOWN || plain_len > MAX_PLAIN) {
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record: no valid zstd frame size");
        goto done;
    }
    plain = malloc(plain_len > 0 ? plain_len : 1);
    if (plain == NULL) {
        st =
            sv_fail(err, SV_ERR_NOMEM, "out of memory (%llu bytes)", plain_len);
        goto done;
    }
    got = ZSTD_decompress_usingDDict(x->d, plain, plain_len, rec->body.data,
                                     rec->body.len, ddict);
    if (ZSTD_isError(got) || got != plain_len)
        st = sv_fail(err, SV_ERR_STORE, "revision record: %s",
                     ZSTD_isError(got) ? ZSTD_getErrorName(got)
                                       : "frame shorter than its size");
    else if ((*out = survey__v1__revision__unpack(NULL, got, plain)) == NULL)
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record: the frame is not a Revision");
    free(plain);
    if (st == SV_OK) {
        (*out)->revision = rec->revision;
        (*out)->sequence = rec->sequence;
    }
done:
    survey__store__v1__revision_record__free_unpacked(rec, NULL);
    return st;
}
