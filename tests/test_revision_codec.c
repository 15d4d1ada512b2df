/* test_revision_codec.c: a stored revision is its two numbers and the
 * rest compressed against the frozen built-in dictionary (an LZ4 block;
 * the zstd frames of schemas 5 to 7 still read); it decodes to the same
 * Revision, and anything else is refused with what is wrong. */
#include "revision_codec.h"
#include "revision_dict.h"
#include "store.pb-c.h"
#include "zstd_record.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A Revision with n answers (one of each kind in turn) and a text of
 * text_len bytes in its note. */
typedef struct {
    Survey__V1__Revision rev;
    Survey__V1__Answer answers[64];
    Survey__V1__Answer *ptrs[64];
    Survey__V1__Choices choices;
    char *options[2];
    char *missing[1];
    char *note;
} sample;

static void make_sample(sample *s, size_t n, size_t text_len)
{
    static char *opts[] = {"visiting_guidance", "other"};
    Survey__V1__Revision init = SURVEY__V1__REVISION__INIT;
    Survey__V1__Choices ch = SURVEY__V1__CHOICES__INIT;

    assert_true(n <= 64);
    memset(s, 0, sizeof *s);
    s->rev = init;
    s->choices = ch;
    s->choices.n_options = 2;
    s->choices.options = opts;
    s->note = malloc(text_len + 1);
    assert_non_null(s->note);
    for (size_t i = 0; i < text_len; i++)
        s->note[i] = (char)('a' + (i * 7919) % 26);
    s->note[text_len] = '\0';
    for (size_t i = 0; i < n; i++) {
        Survey__V1__Answer a = SURVEY__V1__ANSWER__INIT;
        a.question = i % 4 == 0   ? "consult"
                     : i % 4 == 1 ? "consult_content"
                     : i % 4 == 2 ? "holders"
                                  : "other_detail";
        switch (i % 4) {
        case 0:
            a.value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            a.choice = "yes";
            break;
        case 1:
            a.value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
            a.choices = &s->choices;
            break;
        case 2:
            a.value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
            a.integer = -(int64_t)i * 1000;
            break;
        default:
            a.value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
            a.text = "相談窓口を設置";
        }
        s->answers[i] = a;
        s->ptrs[i] = &s->answers[i];
    }
    s->rev.revision = 3;
    s->rev.sequence = 1234567;
    s->rev.time_ms = 1732500000000;
    s->rev.submitter = "pref-01";
    s->rev.note = s->note;
    s->rev.submission_id = "4f1c-77";
    s->rev.base_revision = 2;
    s->rev.n_answers = n;
    s->rev.answers = s->ptrs;
    s->missing[0] = "consult_method";
    s->rev.n_missing = 1;
    s->rev.missing = s->missing;
}

static uint8_t *pack(const Survey__V1__Revision *rev, size_t *len)
{
    *len = survey__v1__revision__get_packed_size(rev);
    uint8_t *out = malloc(*len > 0 ? *len : 1);
    assert_non_null(out);
    assert_int_equal(survey__v1__revision__pack(rev, out), *len);
    return out;
}

/* x and y pack to the same bytes. */
static void assert_same_revision(const Survey__V1__Revision *x,
                                 const Survey__V1__Revision *y)
{
    size_t a_len;
    size_t b_len;
    uint8_t *a = pack(x, &a_len);
    uint8_t *b = pack(y, &b_len);

    assert_int_equal(a_len, b_len);
    assert_memory_equal(a, b, a_len);
    free(a);
    free(b);
}

/* The packing of rev without its two numbers: a record's body unpacked. */
static uint8_t *pack_rest(const Survey__V1__Revision *rev, size_t *len)
{
    Survey__V1__Revision rest = *rev;

    rest.revision = 0;
    rest.sequence = 0;
    return pack(&rest, len);
}

/* Encodes rev, checks the record's fields, decodes it and compares the
 * packing of the result with that of rev; returns the record's size. */
static size_t round_trip(const Survey__V1__Revision *rev)
{
    sv_error err = {{0}};
    uint8_t *rec = NULL;
    size_t len = 0;
    Survey__V1__Revision *back = NULL;

    assert_int_equal(sv_revision_encode(rev, &rec, &len, &err), SV_OK);
    Survey__Store__V1__RevisionRecord *r =
        survey__store__v1__revision_record__unpack(NULL, len, rec);
    assert_non_null(r);
    assert_int_equal(r->revision, rev->revision);
    assert_int_equal(r->sequence, rev->sequence);
    assert_int_equal(r->dictionary, 1);
    assert_int_equal(r->codec, 1); /* LZ4 */
    size_t rest_len;
    free(pack_rest(rev, &rest_len));
    assert_int_equal(r->size, rest_len);
    assert_true(r->body.len > 0);
    survey__store__v1__revision_record__free_unpacked(r, NULL);

    assert_int_equal(sv_revision_decode(rec, len, &back, &err), SV_OK);
    assert_same_revision(rev, back);
    survey__v1__revision__free_unpacked(back, NULL);
    free(rec);
    return len;
}

static void test_round_trip(void **state)
{
    (void)state;
    Survey__V1__Revision empty = SURVEY__V1__REVISION__INIT;
    sample s;
    size_t plain_len;

    round_trip(&empty);
    /* a body large enough to be compressed (a slower setting than a
       small body's): the names and codes are in the dictionary, so the
       record is much smaller */
    make_sample(&s, 64, 1200);
    free(pack(&s.rev, &plain_len));
    assert_true(sv_revision_tail_acceleration(plain_len) <
                sv_revision_tail_acceleration(0));
    assert_true(round_trip(&s.rev) < plain_len / 2);
    free(s.note);
    /* a smaller body gets LZ4's fastest setting, which stores it almost
       as it is: a little more than its bytes, never a great deal more */
    make_sample(&s, 40, 30);
    free(pack(&s.rev, &plain_len));
    assert_true(sv_revision_tail_acceleration(plain_len) ==
                sv_revision_tail_acceleration(0));
    size_t small = round_trip(&s.rev);
    assert_true(small > plain_len / 2);
    assert_true(small <= plain_len + plain_len / 255 + 64);
    free(s.note);
    /* a large text: above a page, and beyond what compresses well */
    make_sample(&s, 8, 200000);
    round_trip(&s.rev);
    free(s.note);
}

/* The tail written into a buffer of exactly the bound, after the packed
 * numbers, is the same record as sv_revision_encode makes. */
static void test_tail_matches_encode(void **state)
{
    (void)state;
    Survey__V1__Revision numbers = SURVEY__V1__REVISION__INIT;
    sample s;
    sv_error err = {{0}};
    uint8_t *rec = NULL;
    size_t len = 0;

    make_sample(&s, 12, 10);
    numbers.revision = s.rev.revision;
    numbers.sequence = s.rev.sequence;
    Survey__V1__Revision rest = s.rev;
    rest.revision = 0;
    rest.sequence = 0;
    size_t plain_len;
    uint8_t *plain = pack(&rest, &plain_len);
    size_t head_len = survey__v1__revision__get_packed_size(&numbers);
    size_t cap = head_len + sv_revision_tail_bound(plain_len);
    uint8_t *buf = malloc(cap);
    size_t tail_len = 0;
    assert_non_null(buf);
    assert_int_equal(survey__v1__revision__pack(&numbers, buf), head_len);
    assert_int_equal(sv_revision_tail_encode(plain, plain_len, buf + head_len,
                                             &tail_len, &err),
                     SV_OK);
    assert_true(head_len + tail_len <= cap);
    assert_int_equal(sv_revision_encode(&s.rev, &rec, &len, &err), SV_OK);
    assert_int_equal(len, head_len + tail_len);
    assert_memory_equal(rec, buf, len);
    free(rec);
    free(buf);
    free(plain);
    free(s.note);
}

/* The record of rev (malloc'd), *len its size. */
static uint8_t *encode(const Survey__V1__Revision *rev, size_t *len)
{
    sv_error err = {{0}};
    uint8_t *rec = NULL;

    assert_int_equal(sv_revision_encode(rev, &rec, len, &err), SV_OK);
    return rec;
}

/* A small body starts its block from a stream reset without clearing its
 * table (no dictionary copy): whatever the records before it left there,
 * on this thread, small or large, the same one included, the record is the
 * same bytes and decodes to the same Revision. 17,000 small records in a
 * row pass the offset at which LZ4 clears the table itself (1 GiB; each
 * reset adds 64 KiB). */
static void test_small_bodies_after_any_history(void **state)
{
    (void)state;
    sample s;
    sample other;
    size_t first_len;
    size_t again_len;
    size_t plain_len;

    make_sample(&s, 40, 30);
    free(pack(&s.rev, &plain_len));
    assert_true(sv_revision_tail_acceleration(plain_len) ==
                sv_revision_tail_acceleration(0));
    uint8_t *first = encode(&s.rev, &first_len);
    for (size_t i = 0; i < 20000; i++) {
        /* the larger bodies (a copy of the dictionary's stream, its
           offset small again) only after the first 17,000 small ones */
        bool large = i >= 17000 && i % 1000 == 999;
        make_sample(&other, large ? 64 : 1 + i % 40, large ? 1200 : i % 97);
        round_trip(&other.rev);
        free(other.note);
    }
    uint8_t *again = encode(&s.rev, &again_len);
    assert_int_equal(again_len, first_len);
    assert_memory_equal(again, first, first_len);
    free(again);
    /* twice in a row from two live copies of the body: a block that could
       reach the record before it would find the whole body there */
    size_t rest_len;
    uint8_t *rest[2] = {pack_rest(&s.rev, &rest_len),
                        pack_rest(&s.rev, &rest_len)};
    size_t cap = sv_revision_tail_bound(rest_len);
    uint8_t *tail[2] = {malloc(cap), malloc(cap)};
    size_t tail_len[2] = {0, 0};
    sv_error err = {{0}};
    for (int k = 0; k < 2; k++) {
        assert_non_null(tail[k]);
        assert_int_equal(sv_revision_tail_encode(rest[k], rest_len, tail[k],
                                                 &tail_len[k], &err),
                         SV_OK);
    }
    assert_int_equal(tail_len[1], tail_len[0]);
    assert_memory_equal(tail[1], tail[0], tail_len[0]);
    for (int k = 0; k < 2; k++) {
        free(rest[k]);
        free(tail[k]);
    }
    round_trip(&s.rev);
    free(first);
    free(s.note);
}

/* Decodes raw bytes that must be refused; the message must name why. */
static void refused(const uint8_t *rec, size_t len, const char *why)
{
    Survey__V1__Revision *back = NULL;
    sv_error err = {{0}};

    assert_int_equal(sv_revision_decode(rec, len, &back, &err), SV_ERR_STORE);
    assert_null(back);
    if (strstr(err.msg, why) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", why, err.msg);
}

static void test_refusals(void **state)
{
    (void)state;
    static const uint8_t junk[] = {0xff, 0xff, 0xff};
    Survey__Store__V1__RevisionRecord r =
        SURVEY__STORE__V1__REVISION_RECORD__INIT;
    sample s;
    sv_error err = {{0}};
    uint8_t *rec = NULL;
    size_t len = 0;
    uint8_t buf[4096];

    refused(junk, sizeof junk, "not a revision record");
    make_sample(&s, 12, 10);
    assert_int_equal(sv_revision_encode(&s.rev, &rec, &len, &err), SV_OK);
    Survey__Store__V1__RevisionRecord *good =
        survey__store__v1__revision_record__unpack(NULL, len, rec);
    assert_non_null(good);

    /* a dictionary this build does not have */
    r = *good;
    r.dictionary = 2;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "names dictionary 2");
    /* no dictionary at all (a packed Revision of schema 4 reads so) */
    r.dictionary = 0;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "names dictionary 0");
    /* a frame cut short */
    r = *good;
    r.body.len -= 3;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "revision record");
    /* a frame whose bytes were changed */
    uint8_t body[4096];
    memcpy(body, good->body.data, good->body.len);
    for (size_t i = good->body.len / 2; i < good->body.len; i++)
        body[i] ^= 0x5a;
    r = *good;
    r.body.data = body;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "revision record");
    /* no block */
    r = *good;
    r.body.len = 0;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "no LZ4 block");
    /* a codec this build does not know */
    r = *good;
    r.codec = 2;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "names codec 2");
    /* a size that is not the block's: larger, smaller, beyond any record */
    r = *good;
    r.size = good->size + 1;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "is shorter than its size");
    r.size = good->size - 1;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "is corrupt or larger than its size");
    r.size = (uint64_t)1 << 40;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "more than a record holds");
    /* the body read as a zstd frame (codec 0) is not one */
    r = *good;
    r.codec = 0;
    r.size = 0;
    refused(buf, survey__store__v1__revision_record__pack(&r, buf),
            "no valid zstd frame");

    survey__store__v1__revision_record__free_unpacked(good, NULL);
    free(rec);

    /* a body with a field a Revision does not define (field 20), in the
       Revision or in an answer: damage, since no layout of this schema
       writes one */
    uint8_t five = 5;
    ProtobufCMessageUnknownField extra = {.tag = 20,
                                          .wire_type =
                                              PROTOBUF_C_WIRE_TYPE_VARINT,
                                          .len = 1,
                                          .data = &five};
    s.rev.base.n_unknown_fields = 1;
    s.rev.base.unknown_fields = &extra;
    assert_int_equal(sv_revision_encode(&s.rev, &rec, &len, &err), SV_OK);
    refused(rec, len, "fields a Revision does not define");
    free(rec);
    s.rev.base.n_unknown_fields = 0;
    s.answers[1].base.n_unknown_fields = 1;
    s.answers[1].base.unknown_fields = &extra;
    assert_int_equal(sv_revision_encode(&s.rev, &rec, &len, &err), SV_OK);
    refused(rec, len, "fields a Revision does not define");
    free(rec);
    free(s.note);
}

/* A zstd record of schemas 5 to 7 decodes to the same Revision as the
 * LZ4 record of the same revision; a frame cut short is refused. */
static void test_zstd_records_still_read(void **state)
{
    (void)state;
    sample s;
    sv_error err = {{0}};
    Survey__V1__Revision *back = NULL;
    size_t len;

    make_sample(&s, 40, 30);
    uint8_t *rec = zstd_record(&s.rev, &len);
    assert_non_null(rec);
    assert_int_equal(sv_revision_decode(rec, len, &back, &err), SV_OK);
    assert_same_revision(&s.rev, back);
    survey__v1__revision__free_unpacked(back, NULL);
    back = NULL;
    refused(rec, len - 2, "revision record");
    free(rec);
    free(s.note);
}

/* The dictionary is frozen: records name it by number, so its bytes may
 * never change (a new dictionary gets a new number). FNV-1a 64 of the
 * bytes tools/revision-dict.py made from the 2024 sheets. */
static void test_dictionary_frozen(void **state)
{
    (void)state;
    uint64_t h = 0xcbf29ce484222325u;

    for (size_t i = 0; i < sv_revision_dict1_len; i++)
        h = (h ^ sv_revision_dict1[i]) * 0x100000001b3u;
    assert_int_equal(sv_revision_dict1_len, 2597);
    assert_true(h == 0x05635f26b8ed74b3u);
}

/* Threads each encode and decode on their own contexts. */
static void *thread_main(void *arg)
{
    size_t *n = arg;
    sample s;

    make_sample(&s, *n, 5);
    for (int i = 0; i < 200; i++)
        round_trip(&s.rev);
    free(s.note);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    size_t n[4] = {1, 7, 20, 64};

    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_main, &n[i]), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tail_matches_encode),
        cmocka_unit_test(test_small_bodies_after_any_history),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_zstd_records_still_read),
        cmocka_unit_test(test_dictionary_frozen),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
