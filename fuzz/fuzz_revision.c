/* fuzz_revision.c: libFuzzer target for stored revision records.
 *
 * The input is one value of the store's `log` database, a RevisionRecord
 * (storage/README.md, Stored revisions): an LZ4 block (schema 8) or a zstd
 * frame (schemas 5 to 7) against the built-in dictionary. A damaged store
 * must give a clear error, never a crash or a wrong revision:
 * sv_revision_decode either refuses the bytes (SV_ERR_STORE or
 * SV_ERR_NOMEM, with a message) or gives a Revision that encodes into an
 * LZ4 record which decodes to the same Revision again, and whose packing
 * the record holds (its size field) exactly. */
#include "revision_codec.h"
#include "store.pb-c.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_revision: %s\n", what);
    abort();
}

/* rev packed, malloc'd into *len bytes. */
static uint8_t *pack(const Survey__V1__Revision *rev, size_t *len)
{
    *len = survey__v1__revision__get_packed_size(rev);
    uint8_t *out = malloc(*len > 0 ? *len : 1);
    if (out == NULL)
        fail("out of memory");
    if (survey__v1__revision__pack(rev, out) != *len)
        fail("a Revision packed to another size than it said");
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Survey__V1__Revision *rev = NULL;
    Survey__V1__Revision *again = NULL;
    sv_error err = {{0}};
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    sv_status st = sv_revision_decode(data, size, &rev, &err);

    if (st != SV_OK) {
        if (rev != NULL)
            fail("a refused record gave a Revision");
        if (st != SV_ERR_STORE && st != SV_ERR_NOMEM)
            fail("a refused record: neither SV_ERR_STORE nor SV_ERR_NOMEM");
        if (err.msg[0] == '\0')
            fail("a refused record without a message");
        return 0;
    }
    if (sv_revision_encode(rev, &rec, &rec_len, &err) != SV_OK)
        fail(err.msg);
    Survey__Store__V1__RevisionRecord *r =
        survey__store__v1__revision_record__unpack(NULL, rec_len, rec);
    if (r == NULL || r->codec != 1 || r->dictionary != 1 ||
        r->revision != rev->revision || r->sequence != rev->sequence)
        fail("the record encoded is not an LZ4 record of the revision");
    Survey__V1__Revision rest = *rev;
    rest.revision = 0;
    rest.sequence = 0;
    if (r->size != survey__v1__revision__get_packed_size(&rest))
        fail("the record's size is not that of its body unpacked");
    survey__store__v1__revision_record__free_unpacked(r, NULL);
    if (sv_revision_decode(rec, rec_len, &again, &err) != SV_OK)
        fail(err.msg);
    size_t a_len;
    size_t b_len;
    uint8_t *a = pack(rev, &a_len);
    uint8_t *b = pack(again, &b_len);
    if (a_len != b_len || memcmp(a, b, a_len) != 0)
        fail("a record re-encoded decodes to another Revision");
    free(a);
    free(b);
    free(rec);
    survey__v1__revision__free_unpacked(again, NULL);
    survey__v1__revision__free_unpacked(rev, NULL);
    return 0;
}
