/* gen.h: reproducible synthetic data for the benchmarks: a survey
 * directory for N respondents (the 2024 sheets and a generated roster of
 * 6-digit codes in the 4 respondent types) and realistic submissions to it
 * (programs run at the 2024 rates, details filled where relevant, a few
 * required answers left out), all from a seed. */
#ifndef SV_BENCH_GEN_H
#define SV_BENCH_GEN_H

#include "questionnaire.h"
#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* splitmix64: small, fast, and the same on every machine. */
typedef struct {
    uint64_t state;
} gen_rng;

void gen_rng_seed(gen_rng *g, uint64_t seed);
uint64_t gen_rng_next(gen_rng *g);
/* Uniform in [0, n). */
uint32_t gen_rng_below(gen_rng *g, uint32_t n);

/* Writes dir/survey/{settings,survey,choices}.csv (copied from src, the
 * 2024 sheets) and dir/survey/roster.csv with n respondents: codes
 * "%06zu" of 0..n-1 (n <= 1,000,000), types in the 2024 proportions.
 * The survey directory for --survey-dir is dir itself. */
sv_status gen_survey_dir(const char *src, const char *dir, size_t n,
                         uint64_t seed, sv_error *err);

/* One generated submission: the message and every string it points to in
 * one block, so that it is freed with gen_sub_free. */
typedef struct gen_sub gen_sub;

/* Generates the submission of respondent `code` (base revision `base`,
 * submission id "bench-SEED-INDEX") from q. rng drives the answers. The
 * programs run at the 2024 rates, or with every_program all of them, so
 * that every detail question is relevant (about 45 answers, 2.5 KB packed,
 * against about 26 and 1.1 KB). NULL when out of memory. */
gen_sub *gen_submission(const sv_questionnaire *q, gen_rng *rng,
                        const char *code, uint64_t base, uint64_t seed,
                        size_t index, bool every_program);
Survey__V1__Submission *gen_sub_msg(gen_sub *g);
void gen_sub_free(gen_sub *g);

#endif
