/* revision_codec.c: stored revisions, compressed against the built-in
 * dictionary: LZ4 blocks since schema 8, zstd frames before (see
 * revision_codec.h). */
#include "revision_codec.h"

#include "revision_dict.h"
#include "store.pb-c.h"

#include <lz4.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* The dictionary new records use. */
#define DICT_NUMBER 1
/* How a record's body is compressed (RevisionRecord.codec). */
#define CODEC_ZSTD 0 /* schemas 5 to 7: a zstd frame, level -1 */
#define CODEC_LZ4 1  /* schema 8: an LZ4 block, its size in field 12 */
/* A record's body never holds more than this: a larger size is corrupt. */
#define MAX_PLAIN ((size_t)64 << 20)
#define TAG_SIZE 0x60       /* field 12, varint */
#define TAG_CODEC 0x68      /* field 13, varint */
#define TAG_DICTIONARY 0x70 /* field 14, varint */
#define TAG_BODY 0x7a       /* field 15, length-delimited */
#define VARINT_MAX 10
/* the tag and varint of fields 12 and 15, and the two bytes of 13 and 14 */
#define HEAD_MAX (2 * (1 + VARINT_MAX) + 4)
/* LZ4's acceleration for a record's body (lz4.h: the higher, the faster
 * and the less it compresses). A body of up to FAST_PLAIN_MAX bytes gets
 * the fastest setting, at which LZ4 stores it almost as it is: on the
 * intake the CPU of compressing it cost more than the bytes it saved
 * (bench/ROUNDS.md, Round 21). A larger body is compressed, at a setting
 * that keeps the record of a submission with every program run (about
 * 2,500 bytes of body) on LMDB's leaf pages: LMDB gives a value of more
 * than about 2 KiB (with 4 KiB pages) overflow pages of its own, a whole
 * page or more for each record. Of the settings measured (1, 4, 8, 16,
 * 32), 8 took 1.7 us less than LZ4's default (1) for 29% more bytes, and
 * 32 put records on overflow pages. */
#define ACCEL_FAST 65537 /* LZ4_ACCELERATION_MAX */
#define ACCEL_LARGE 8
#define FAST_PLAIN_MAX 1900

static pthread_once_t once = PTHREAD_ONCE_INIT;
static ZSTD_DDict *ddict; /* for the process's life */
/* The dictionary loaded into an LZ4 stream once; each record of a larger
 * body starts from a copy of it (lz4.h: copying a stream prepared by
 * LZ4_loadDict). */
static LZ4_stream_t *lz4_dict;
static pthread_key_t contexts_key;
static bool key_ok;

/* One thread's contexts. */
struct contexts {
    LZ4_stream_t *c;
    ZSTD_DCtx *d;
};

static _Thread_local struct contexts *mine;

static void contexts_free(void *arg)
{
    struct contexts *x = arg;

    if (x->c != NULL)
        LZ4_freeStream(x->c);
    ZSTD_freeDCtx(x->d);
    free(x);
}

static void init(void)
{
    ddict = ZSTD_createDDict(sv_revision_dict1, sv_revision_dict1_len);
    lz4_dict = LZ4_createStream();
    if (lz4_dict != NULL &&
        LZ4_loadDict(lz4_dict, (const char *)sv_revision_dict1,
                     (int)sv_revision_dict1_len) !=
            (int)sv_revision_dict1_len) {
        LZ4_freeStream(lz4_dict);
        lz4_dict = NULL;
    }
    key_ok = pthread_key_create(&contexts_key, contexts_free) == 0;
}

/* This thread's contexts, made on first use; NULL when out of memory. */
static struct contexts *contexts(void)
{
    if (pthread_once(&once, init) != 0 || lz4_dict == NULL || ddict == NULL ||
        !key_ok)
        return NULL;
    if (mine != NULL)
        return mine;
    struct contexts *x = calloc(1, sizeof *x);
    if (x == NULL)
        return NULL;
    x->c = LZ4_createStream();
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
    int bound =
        plain_len <= LZ4_MAX_INPUT_SIZE ? LZ4_compressBound((int)plain_len) : 0;
    return HEAD_MAX + (bound > 0 ? (size_t)bound : 0);
}

int sv_revision_tail_acceleration(size_t plain_len)
{
    return plain_len <= FAST_PLAIN_MAX ? ACCEL_FAST : ACCEL_LARGE;
}

sv_status sv_revision_tail_encode(const uint8_t *plain, size_t plain_len,
                                  uint8_t *out, size_t *len, sv_error *err)
{
    struct contexts *x = contexts();
    uint8_t head[HEAD_MAX];
    size_t head_len = 0;

    *len = 0;
    if (x == NULL)
        return sv_fail(err, SV_ERR_NOMEM,
                       "out of memory (compression contexts)");
    if (plain_len > MAX_PLAIN)
        return sv_fail(err, SV_ERR_STORE,
                       "a revision of %zu bytes, more than the %zu a record "
                       "holds",
                       plain_len, MAX_PLAIN);
    int cap = LZ4_compressBound((int)plain_len);
    /* A small body (LZ4's fastest setting) is compressed without the
       dictionary's matches: at that setting they saved nothing, and
       copying the stream that has the dictionary loaded (16 KiB) was most
       of preparing a submission's instructions (bench/ROUNDS.md, Round
       27). LZ4_resetStream_fast() starts a new block without clearing the
       table: what an earlier record left in it is out of the block's reach.
       The block still decodes against the dictionary the record names. */
    if (plain_len <= FAST_PLAIN_MAX)
        LZ4_resetStream_fast(x->c);
    else
        memcpy(x->c, lz4_dict, sizeof *x->c);
    /* the block goes after room for the longest head, which is then
       written and the block moved up to it */
    int block = LZ4_compress_fast_continue(
        x->c, (const char *)plain, (char *)out + HEAD_MAX, (int)plain_len, cap,
        sv_revision_tail_acceleration(plain_len));
    if (block <= 0)
        return sv_fail(err, SV_ERR_STORE,
                       "compressing a revision of %zu bytes failed (LZ4)",
                       plain_len);
    head[head_len++] = TAG_SIZE;
    head_len += varint_put(head + head_len, plain_len);
    head[head_len++] = TAG_CODEC;
    head[head_len++] = CODEC_LZ4;
    head[head_len++] = TAG_DICTIONARY;
    head[head_len++] = DICT_NUMBER;
    head[head_len++] = TAG_BODY;
    head_len += varint_put(head + head_len, (uint64_t)block);
    memcpy(out, head, head_len);
    memmove(out + head_len, out + HEAD_MAX, (size_t)block);
    *len = head_len + (size_t)block;
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

/* The body of a zstd record (schemas 5 to 7) unpacked into *plain
 * (malloc'd), *plain_len its size. */
static sv_status unzstd(struct contexts *x, const ProtobufCBinaryData *body,
                        uint8_t **plain, size_t *plain_len, sv_error *err)
{
    unsigned long long size = ZSTD_getFrameContentSize(body->data, body->len);

    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > MAX_PLAIN)
        return sv_fail(err, SV_ERR_STORE,
                       "revision record: no valid zstd frame size");
    *plain = malloc(size > 0 ? size : 1);
    if (*plain == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (%llu bytes)", size);
    size_t got = ZSTD_decompress_usingDDict(x->d, *plain, size, body->data,
                                            body->len, ddict);
    if (ZSTD_isError(got) || got != size)
        return sv_fail(err, SV_ERR_STORE, "revision record: %s",
                       ZSTD_isError(got) ? ZSTD_getErrorName(got)
                                         : "frame shorter than its size");
    *plain_len = got;
    return SV_OK;
}

/* The body of an LZ4 record (schema 8) of size bytes unpacked into *plain
 * (malloc'd). */
static sv_status unlz4(const ProtobufCBinaryData *body, uint64_t size,
                       uint8_t **plain, sv_error *err)
{
    if (size > MAX_PLAIN || body->len > (size_t)LZ4_MAX_INPUT_SIZE)
        return sv_fail(err, SV_ERR_STORE,
                       "revision record: an LZ4 block of %zu bytes said to "
                       "hold %llu, more than a record holds",
                       body->len, (unsigned long long)size);
    if (body->len == 0)
        return sv_fail(err, SV_ERR_STORE, "revision record: no LZ4 block");
    *plain = malloc(size > 0 ? size : 1);
    if (*plain == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (%llu bytes)",
                       (unsigned long long)size);
    int got = LZ4_decompress_safe_usingDict(
        (const char *)body->data, (char *)*plain, (int)body->len, (int)size,
        (const char *)sv_revision_dict1, (int)sv_revision_dict1_len);
    if (got < 0 || (uint64_t)got != size)
        return sv_fail(err, SV_ERR_STORE,
                       "revision record: the LZ4 block %s its size (%llu "
                       "bytes)",
                       got < 0 ? "is corrupt or larger than"
                               : "is shorter than",
                       (unsigned long long)size);
    return SV_OK;
}

/* Whether the Revision has a field this layout does not define, at any
 * depth: a record this build or an older one wrote never has one (a newer
 * layout would have a newer schema number), so it is damage. */
static bool unknown_fields(const Survey__V1__Revision *rev)
{
    if (rev->base.n_unknown_fields > 0)
        return true;
    for (size_t i = 0; i < rev->n_answers; i++) {
        const Survey__V1__Answer *a = rev->answers[i];
        if (a->base.n_unknown_fields > 0 ||
            (a->value_case == SURVEY__V1__ANSWER__VALUE_CHOICES &&
             a->choices != NULL && a->choices->base.n_unknown_fields > 0))
            return true;
    }
    return false;
}

sv_status sv_revision_decode(const uint8_t *val, size_t len,
                             Survey__V1__Revision **out, sv_error *err)
{
    struct contexts *x = contexts();
    Survey__Store__V1__RevisionRecord *rec;
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    sv_status st = SV_OK;

    *out = NULL;
    if (x == NULL)
        return sv_fail(err, SV_ERR_NOMEM,
                       "out of memory (compression contexts)");
    rec = survey__store__v1__revision_record__unpack(NULL, len, val);
    if (rec == NULL)
        return sv_fail(err, SV_ERR_STORE, "not a revision record");
    if (rec->dictionary != DICT_NUMBER)
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record names dictionary %u; this build has "
                     "dictionary %d only",
                     (unsigned)rec->dictionary, DICT_NUMBER);
    else if (rec->codec == CODEC_ZSTD)
        st = unzstd(x, &rec->body, &plain, &plain_len, err);
    else if (rec->codec == CODEC_LZ4) {
        st = unlz4(&rec->body, rec->size, &plain, err);
        plain_len = (size_t)rec->size;
    } else
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record names codec %u; this build knows 0 "
                     "(zstd) and 1 (LZ4)",
                     (unsigned)rec->codec);
    if (st == SV_OK &&
        (*out = survey__v1__revision__unpack(NULL, plain_len, plain)) == NULL)
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record: the body is not a Revision");
    else if (st == SV_OK && unknown_fields(*out)) {
        st = sv_fail(err, SV_ERR_STORE,
                     "revision record: the body has fields a Revision does "
                     "not define");
        survey__v1__revision__free_unpacked(*out, NULL);
        *out = NULL;
    }
    free(plain);
    if (st == SV_OK) {
        (*out)->revision = rec->revision;
        (*out)->sequence = rec->sequence;
    }
    survey__store__v1__revision_record__free_unpacked(rec, NULL);
    return st;
}
