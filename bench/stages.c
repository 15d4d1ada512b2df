/* stages.c: the collector's work per submission, stage by stage, in one
 * thread and without I/O: the same functions the collector calls, on the
 * intake benchmark's generated submissions. It shows where the CPU of an
 * acknowledged submission goes, with less of the machine's noise than the
 * intake figures (no threads, sockets or disk). Each stage runs over all
 * submissions in turn; the figure is the fastest of ROUNDS rounds. */
#include "arena.h"
#include "pb_pack.h"
#include "bench.h"
#include "compact.h"
#include "gen.h"
#include "reply.h"
#include "request_decode.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 3
#define SUBMITTER "anonymous@tcp://127.0.0.1:40000"

/* What the stages work on: the packed requests and, per submission, what
 * validation hands to the preparation. */
struct work {
    const sv_questionnaire *q;
    size_t n;
    uint8_t **packed;
    size_t *len;
    Survey__V1__Request **req; /* in arena */
    sv_request_wire *wire;     /* the submissions' bytes, in arena */
    sv_arena *arena;
    sv_pb_packer *packer; /* the acks', as the collector's writing thread */
    sv_verdict *verdict;
    uint8_t *compact; /* n records */
    size_t compact_len;
    sv_value *values;
    bool *relevant;
    sv_prepared **prep;
};

static void work_free(struct work *w)
{
    for (size_t i = 0; i < w->n; i++) {
        if (w->packed != NULL)
            free(w->packed[i]);
        if (w->verdict != NULL)
            sv_verdict_clear(&w->verdict[i]);
        if (w->prep != NULL)
            sv_prepared_free(&w->prep[i]);
    }
    free(w->packed);
    free(w->len);
    free(w->req);
    free(w->wire);
    free(w->verdict);
    free(w->compact);
    free(w->values);
    free(w->relevant);
    free(w->prep);
    sv_arena_destroy(&w->arena);
    sv_pb_packer_destroy(&w->packer);
}

/* Generates and packs the n submissions (as the intake benchmark does). */
static sv_status generate(struct work *w, uint64_t seed, bool every_program,
                          sv_error *err)
{
    gen_rng rng;
    size_t count = sv_questionnaire_count(w->q);

    gen_rng_seed(&rng, seed);
    w->packed = calloc(w->n, sizeof *w->packed);
    w->len = calloc(w->n, sizeof *w->len);
    w->req = calloc(w->n, sizeof *w->req);
    w->wire = calloc(w->n, sizeof *w->wire);
    w->verdict = calloc(w->n, sizeof *w->verdict);
    w->compact_len = sv_compact_size(w->q);
    w->compact = malloc(w->n * w->compact_len + 1);
    w->values = calloc(count, sizeof *w->values);
    w->relevant = calloc(count, sizeof *w->relevant);
    w->prep = calloc(w->n, sizeof *w->prep);
    w->arena = sv_arena_new();
    w->packer = sv_pb_packer_new();
    if (w->packed == NULL || w->len == NULL || w->req == NULL ||
        w->wire == NULL || w->verdict == NULL || w->compact == NULL ||
        w->values == NULL || w->relevant == NULL || w->prep == NULL ||
        w->arena == NULL || w->packer == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < w->n; i++) {
        Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
        gen_sub *g =
            gen_submission(w->q, &rng, sv_questionnaire_code_at(w->q, i), 0,
                           seed, i, every_program);
        if (g == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory (generate)");
        req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
        req.submit = gen_sub_msg(g);
        req.request_id = i;
        w->len[i] = survey__v1__request__get_packed_size(&req);
        w->packed[i] = malloc(w->len[i]);
        if (w->packed[i] != NULL)
            survey__v1__request__pack(&req, w->packed[i]);
        gen_sub_free(g);
        if (w->packed[i] == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory (pack)");
    }
    return SV_OK;
}

static sv_status decode(struct work *w, sv_error *err)
{
    ProtobufCAllocator *alloc = sv_arena_allocator(w->arena);

    sv_arena_reset(w->arena);
    for (size_t i = 0; i < w->n; i++) {
        w->req[i] = sv_request_decode(alloc, w->packed[i], w->len[i],
                                      &w->wire[i], NULL);
        if (w->req[i] == NULL || w->req[i]->submit == NULL)
            return sv_fail(err, SV_ERR_STORE, "request %zu does not decode", i);
    }
    return SV_OK;
}

/* Validation, and the compact record from its values. */
static sv_status validate(struct work *w, sv_error *err)
{
    for (size_t i = 0; i < w->n; i++) {
        const Survey__V1__Submission *sub = w->req[i]->submit;
        sv_verdict_clear(&w->verdict[i]);
        sv_status st = sv_questionnaire_validate_relevance(
            w->q, (const Survey__V1__Answer *const *)sub->answers,
            sub->n_answers, w->values, w->relevant, &w->verdict[i]);
        if (st != SV_OK)
            return sv_fail(err, st, "validating submission %zu failed", i);
        if (w->verdict[i].n_problems > 0)
            return sv_fail(err, SV_ERR_INVALID,
                           "generated submission %zu has %zu problems "
                           "(first: %s)",
                           i, w->verdict[i].n_problems,
                           w->verdict[i].problems[0].message);
        sv_compact_encode(w->q, w->values, w->relevant,
                          w->compact + i * w->compact_len);
    }
    return SV_OK;
}

/* Packing, digest and compression of the stored revision. */
static sv_status prepare(struct work *w, sv_error *err)
{
    for (size_t i = 0; i < w->n; i++) {
        sv_put put = {.sub = w->req[i]->submit,
                      .submitter = SUBMITTER,
                      .time_ms = 1700000000000LL,
                      .missing = w->verdict[i].missing,
                      .n_missing = w->verdict[i].n_missing,
                      .compact = w->compact + i * w->compact_len,
                      .compact_len = w->compact_len,
                      .packed = w->wire[i].submission,
                      .packed_len = w->wire[i].submission_len};
        sv_prepared_free(&w->prep[i]);
        sv_status st = sv_put_prepare(&put, &w->prep[i], err);
        if (st != SV_OK)
            return st;
    }
    return SV_OK;
}

/* The ack of each (as if written as revision 1). */
static sv_status acknowledge(struct work *w, sv_error *err)
{
    for (size_t i = 0; i < w->n; i++) {
        sv_put_result res = {.revision = 1, .sequence = i + 1};
        sv_packed out = {0};
        sv_status st = sv_reply_ack(w->packer, i, sv_questionnaire_id(w->q),
                                    w->req[i]->submit, &res, &out);
        free(out.data);
        if (st != SV_OK)
            return sv_fail(err, st, "packing ack %zu failed", i);
    }
    return SV_OK;
}

typedef sv_status (*stage_fn)(struct work *w, sv_error *err);

sv_status bench_stages(const stages_opts *opt, stages_result *res,
                       sv_error *err)
{
    static const stage_fn stages[STAGE_COUNT] = {decode, validate, prepare,
                                                 acknowledge};
    struct work w = {.n = opt->n};
    char dir[4096];
    sv_questionnaire *q = NULL;
    sv_status st;

    memset(res, 0, sizeof *res);
    if (opt->n == 0)
        return sv_fail(err, SV_ERR_INVALID, "no submissions to measure");
    st = gen_survey_dir(opt->sheets, opt->work, opt->n, opt->seed, err);
    if (st != SV_OK)
        return st;
    snprintf(dir, sizeof dir, "%s/survey", opt->work);
    st = sv_questionnaire_load(&q, dir, err);
    if (st != SV_OK)
        return st;
    w.q = q;
    st = generate(&w, opt->seed, opt->every_program, err);
    for (int round = 0; round < ROUNDS && st == SV_OK; round++) {
        for (int k = 0; k < STAGE_COUNT && st == SV_OK; k++) {
            double t0 = bench_now();
            st = stages[k](&w, err);
            double us = (bench_now() - t0) * 1e6 / (double)w.n;
            if (round == 0 || us < res->us[k])
                res->us[k] = us;
        }
    }
    res->n = w.n;
    work_free(&w);
    sv_questionnaire_destroy(&q);
    return st;
}
