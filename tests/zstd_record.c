/* zstd_record.c: see zstd_record.h. */
#include "zstd_record.h"

#include "revision_dict.h"
#include "store.pb-c.h"

#include <stdlib.h>
#include <zstd.h>

uint8_t *zstd_record(const Survey__V1__Revision *rev, size_t *len)
{
    Survey__Store__V1__RevisionRecord r =
        SURVEY__STORE__V1__REVISION_RECORD__INIT;
    Survey__V1__Revision rest = *rev;
    uint8_t *out = NULL;

    rest.revision = 0; /* the two numbers are fields 1 and 2 of the record */
    rest.sequence = 0;
    size_t plain_len = survey__v1__revision__get_packed_size(&rest);
    uint8_t *plain = malloc(plain_len > 0 ? plain_len : 1);
    size_t cap = ZSTD_compressBound(plain_len);
    uint8_t *frame = malloc(cap);
    ZSTD_CCtx *c = ZSTD_createCCtx();
    size_t n = 0;

    *len = 0;
    if (plain != NULL && frame != NULL && c != NULL &&
        survey__v1__revision__pack(&rest, plain) == plain_len)
        n = ZSTD_compress_usingDict(c, frame, cap, plain, plain_len,
                                    sv_revision_dict1, sv_revision_dict1_len,
                                    -1);
    if (n > 0 && !ZSTD_isError(n)) {
        r.revision = rev->revision;
        r.sequence = rev->sequence;
        r.dictionary = 1;
        r.body.data = frame;
        r.body.len = n;
        *len = survey__store__v1__revision_record__get_packed_size(&r);
        out = malloc(*len);
        if (out != NULL &&
            survey__store__v1__revision_record__pack(&r, out) != *len) {
            free(out);
            out = NULL;
        }
    }
    ZSTD_freeCCtx(c);
    free(frame);
    free(plain);
    return out;
}
