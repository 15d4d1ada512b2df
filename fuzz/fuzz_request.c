/* fuzz_request.c: libFuzzer target for request decoding and validation.
 *
 * The input is one request frame as the collector receives it: it is
 * decoded with survey__v1__request__unpack and, if it is a Submission,
 * validated against the 2024 questionnaire (data/r6) the way
 * collector/server.c handles a submit: the problems are packed into the
 * INVALID reply, and an acceptable answer set gets its relevance and its
 * compact record. The record is then read back and must agree with what
 * validation decoded, and every answered question must be relevant. A
 * submission the storage's own packer takes (storage/submission_pack.c)
 * must pack to protobuf-c's bytes exactly, and a request the collector's
 * own decoder takes (collector/request_decode.c) must decode to
 * protobuf-c's message.
 *
 * The questionnaire and the scratch arrays are file-level state: libFuzzer
 * offers no other place to keep what LLVMFuzzerInitialize loads. */
#include "arena.h"
#include "compact.h"
#include "fuzz_util.h"
#include "questionnaire.h"
#include "reply.h"
#include "request_decode.h"
#include "submission_pack.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sv_questionnaire *form; /* the 2024 questionnaire */
static sv_value *values;       /* one per question */
static bool *relevant;         /* one per question */
static uint8_t *record;        /* one compact record */
static sv_arena *arena;        /* for the collector's decoder */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    form = sv_fuzz_load_r6();
    size_t n = sv_questionnaire_count(form);
    values = calloc(n, sizeof *values);
    relevant = calloc(n, sizeof *relevant);
    record = calloc(sv_compact_size(form), 1);
    arena = sv_arena_new();
    if (values == NULL || relevant == NULL || record == NULL || arena == NULL) {
        fprintf(stderr, "fuzz set-up: out of memory\n");
        abort();
    }
    return 0;
}

static void mismatch(size_t i, const char *what)
{
    fprintf(stderr,
            "compact record disagrees with validation: question %s: "
            "%s\n",
            sv_questionnaire_question(form, i)->name, what);
    abort();
}

static bool same_value(const sv_value *a, const sv_value *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case SV_V_CHOICE:
        return a->choice == b->choice;
    case SV_V_CHOICES:
        return a->choices == b->choices;
    case SV_V_INTEGER:
        return a->integer == b->integer;
    case SV_V_NONE:
    case SV_V_TEXT:
        break;
    }
    return true;
}

/* What server.c does with an acceptable answer set, then the read-back. */
static void encode_and_check(void)
{
    size_t n = sv_questionnaire_count(form);
    size_t size = sv_compact_size(form);

    sv_questionnaire_relevance(form, values, relevant);
    sv_compact_encode(form, values, relevant, record);
    if (!sv_compact_valid(form, record, size))
        mismatch(0, "record not valid");
    for (size_t i = 0; i < n; i++) {
        bool answered = values[i].kind != SV_V_NONE;
        if (sv_compact_relevant(form, record, i) != relevant[i])
            mismatch(i, "relevance bit");
        if (sv_compact_answered(form, record, i) != answered)
            mismatch(i, "answered bit");
        if (answered && !relevant[i])
            mismatch(i, "accepted an answer to a question not relevant");
        sv_value back = sv_compact_value(form, record, i);
        if (answered) {
            /* the record keeps no text, only that there is one */
            sv_value want = values[i];
            if (!same_value(&back, &want))
                mismatch(i, "value");
        } else if (back.kind != SV_V_NONE) {
            mismatch(i, "value of an unanswered question");
        }
    }
}

/* The storage's packer against protobuf-c, when it takes the submission. */
static void check_packing(const Survey__V1__Submission *sub)
{
    size_t ours;

    if (!sv_submission_packed_size(sub, &ours))
        return;
    size_t theirs = survey__v1__submission__get_packed_size(sub);
    if (ours != theirs) {
        fprintf(stderr, "submission_pack: size %zu, protobuf-c %zu\n", ours,
                theirs);
        abort();
    }
    uint8_t *a = malloc(ours + 1);
    uint8_t *b = malloc(ours + 1);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return;
    }
    if (sv_submission_pack(sub, a) != ours ||
        survey__v1__submission__pack(sub, b) != ours ||
        memcmp(a, b, ours) != 0) {
        fprintf(stderr, "submission_pack: bytes differ from protobuf-c's\n");
        abort();
    }
    free(a);
    free(b);
}

static void check_submission(const Survey__V1__Request *req)
{
    const Survey__V1__Submission *sub = req->submit;
    sv_verdict verdict = {0};

    check_packing(sub);
    /* the server looks the respondent up before validating */
    (void)sv_questionnaire_find_respondent(form, sub->respondent);
    sv_status st = sv_questionnaire_validate(
        form, (const Survey__V1__Answer *const *)sub->answers, sub->n_answers,
        values, &verdict);
    if (st != SV_OK) {
        sv_verdict_clear(&verdict);
        return; /* out of memory: the server answers INTERNAL */
    }
    if (verdict.n_problems > 0) {
        sv_packed out = {0};
        if (sv_reply_error(req->request_id, SURVEY__V1__ERROR__CODE__INVALID,
                           "problems in the answers", 0, verdict.problems,
                           verdict.n_problems, &out) == SV_OK)
            free(out.data);
    } else {
        encode_and_check();
    }
    sv_verdict_clear(&verdict);
}

/* The bytes protobuf-c packs req into; NULL when out of memory. */
static uint8_t *repack(const Survey__V1__Request *req, size_t *len)
{
    *len = survey__v1__request__get_packed_size(req);
    uint8_t *out = malloc(*len + 1);
    if (out != NULL && survey__v1__request__pack(req, out) != *len) {
        fprintf(stderr, "request_decode: protobuf-c packs another size\n");
        abort();
    }
    return out;
}

/* What the collector's decoder takes, protobuf-c decodes alike (req:
 * protobuf-c's message, or NULL). */
static void check_decoder(const uint8_t *data, size_t size,
                          const Survey__V1__Request *req)
{
    Survey__V1__Request *ours;
    sv_request_wire wire;
    size_t a_len, b_len;

    sv_arena_reset(arena);
    if (!sv_request_decode_submit(sv_arena_allocator(arena), data, size, &ours,
                                  &wire))
        return;
    if (req == NULL) {
        fprintf(stderr, "request_decode: took what protobuf-c refuses\n");
        abort();
    }
    uint8_t *a = repack(ours, &a_len);
    uint8_t *b = repack(req, &b_len);
    if (a != NULL && b != NULL &&
        (a_len != b_len || memcmp(a, b, a_len) != 0)) {
        fprintf(stderr, "request_decode: message differs from protobuf-c's\n");
        abort();
    }
    free(a);
    free(b);
    /* the bytes kept are protobuf-c's packing of the submission */
    if (wire.submission != NULL) {
        size_t n = survey__v1__submission__get_packed_size(ours->submit);
        uint8_t *c = malloc(n + 1);
        if (c != NULL &&
            (survey__v1__submission__pack(ours->submit, c) != n ||
             n != wire.submission_len || memcmp(c, wire.submission, n) != 0)) {
            fprintf(stderr, "request_decode: kept bytes that protobuf-c "
                            "packs otherwise\n");
            abort();
        }
        free(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Survey__V1__Request *req = survey__v1__request__unpack(NULL, size, data);
    check_decoder(data, size, req);
    if (req == NULL)
        return 0;
    if (req->body_case == SURVEY__V1__REQUEST__BODY_SUBMIT &&
        req->submit != NULL)
        check_submission(req);
    survey__v1__request__free_unpacked(req, NULL);
    return 0;
}
