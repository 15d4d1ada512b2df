/* gen.c: reproducible synthetic survey data (gen.h). Answers are drawn
 * question by question from the questionnaire itself; only the rates of
 * the 2024 programs (the seed report's section 1) are known by name, so
 * that the generated tables look like the published ones. */
#include "gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ARENA_BYTES 32768

/* Share answering "yes", per mille, of the questions the 2024 report
 * gives a rate for (section 1 and the conditional 外部委託 rates). */
static const struct {
    const char *name;
    unsigned per_mille;
} rates[] = {
    {"consult", 970},
    {"supporter", 980},
    {"supporter_outsourced", 370},
    {"fact_finding", 640},
    {"fact_finding_outsourced", 140},
    {"care_support", 120},
    {"peer_exchange", 530},
    {"employment", 150},
    {"carer_support", 110},
    {"other_support", 300},
};

static const char *const texts[] = {
    "一般財団法人北海道難病連",
    "NPO法人 難病のこども支援ネットワーク",
    "医療的ケア児の家族からの要望を受けて事業化した",
    "受給者証の更新時に案内し、希望者に個別面談を行っている",
    "患者会と連携し、年2回の交流会を開催している",
    "ハローワークと連携した就労相談会",
    "地域の訪問看護ステーションに委託",
    "公募により選定した社会福祉法人",
    "小児慢性特定疾病児童等とその保護者",
    "きょうだい児支援のための預かりとレスパイト",
};

static const char *const types[] = {"都道府県", "指定都市", "中核市",
                                    "児童相談所設置市"};
/* 47 : 20 : 62 : 8, as in the 2024 roster. */
static const unsigned type_weight[] = {47, 20, 62, 8};

void gen_rng_seed(gen_rng *g, uint64_t seed)
{
    g->state = seed;
}

uint64_t gen_rng_next(gen_rng *g)
{
    uint64_t z = (g->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint32_t gen_rng_below(gen_rng *g, uint32_t n)
{
    return (uint32_t)(((gen_rng_next(g) >> 32) * (uint64_t)n) >> 32);
}

/* ---- the survey directory --------------------------------------------- */

static sv_status copy_file(const char *from, const char *to, sv_error *err)
{
    char buf[65536];
    size_t n;
    FILE *in = fopen(from, "rb");
    FILE *out = NULL;
    sv_status st = SV_OK;

    if (in == NULL)
        return sv_fail(err, SV_ERR_IO, "%s: %s", from, strerror(errno));
    out = fopen(to, "wb");
    if (out == NULL) {
        fclose(in);
        return sv_fail(err, SV_ERR_IO, "%s: %s", to, strerror(errno));
    }
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            st = sv_fail(err, SV_ERR_IO, "%s: %s", to, strerror(errno));
            break;
        }
    }
    if (st == SV_OK && ferror(in))
        st = sv_fail(err, SV_ERR_IO, "%s: read error", from);
    fclose(in);
    if (fclose(out) != 0 && st == SV_OK)
        st = sv_fail(err, SV_ERR_IO, "%s: %s", to, strerror(errno));
    return st;
}

static const char *pick_type(gen_rng *g)
{
    uint32_t x = gen_rng_below(g, 137);

    for (size_t t = 0; t < 4; t++) {
        if (x < type_weight[t])
            return types[t];
        x -= type_weight[t];
    }
    return types[3];
}

static sv_status write_roster(const char *path, size_t n, uint64_t seed,
                              sv_error *err)
{
    gen_rng g;
    FILE *f = fopen(path, "w");

    if (f == NULL)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    gen_rng_seed(&g, seed ^ UINT64_C(0x526f73746572));
    fprintf(f, "code,name,prefecture,type\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%06zu,受給世帯%06zu,第%02u県,%s\n", i, i,
                (unsigned)(i % 47 + 1), pick_type(&g));
    if (ferror(f)) {
        fclose(f);
        return sv_fail(err, SV_ERR_IO, "%s: write error", path);
    }
    if (fclose(f) != 0)
        return sv_fail(err, SV_ERR_IO, "%s: %s", path, strerror(errno));
    return SV_OK;
}

sv_status gen_survey_dir(const char *src, const char *dir, size_t n,
                         uint64_t seed, sv_error *err)
{
    static const char *const sheets[] = {"settings.csv", "survey.csv",
                                         "choices.csv"};
    char from[4096];
    char to[4096];
    sv_status st;

    if (n > 1000000)
        return sv_fail(err, SV_ERR_INVALID,
                       "at most 1,000,000 respondents (6-digit codes)");
    snprintf(to, sizeof to, "%s/survey", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return sv_fail(err, SV_ERR_IO, "%s: %s", dir, strerror(errno));
    if (mkdir(to, 0700) != 0 && errno != EEXIST)
        return sv_fail(err, SV_ERR_IO, "%s: %s", to, strerror(errno));
    for (size_t i = 0; i < 3; i++) {
        snprintf(from, sizeof from, "%s/%s", src, sheets[i]);
        snprintf(to, sizeof to, "%s/survey/%s", dir, sheets[i]);
        st = copy_file(from, to, err);
        if (st != SV_OK)
            return st;
    }
    snprintf(to, sizeof to, "%s/survey/roster.csv", dir);
    return write_roster(to, n, seed, err);
}

/* ---- submissions ------------------------------------------------------ */

struct gen_sub {
    Survey__V1__Submission sub;
    size_t used;
    _Alignas(16) unsigned char arena[ARENA_BYTES];
};

static void *take(gen_sub *g, size_t n)
{
    size_t at = (g->used + 15) & ~(size_t)15;

    if (at + n > sizeof g->arena)
        return NULL;
    g->used = at + n;
    return g->arena + at;
}

static char *take_str(gen_sub *g, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = take(g, n);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static int rate_of(const char *name)
{
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        if (strcmp(rates[i].name, name) == 0)
            return (int)rates[i].per_mille;
    }
    return -1;
}

/* A select_one value: "yes" at the known rate (always with
 * every_program), else an option with weight 1 / (k + 1) (the first
 * options are the common ones). */
static uint32_t pick_one(gen_rng *g, const sv_question *qu, bool every_program)
{
    int rate = rate_of(qu->name);
    int yes = sv_question_option(qu, "yes");
    int no = sv_question_option(qu, "no");
    uint32_t total = 0;
    uint32_t x;

    if (rate >= 0 && yes >= 0 && no >= 0) {
        /* drawn with every_program too: the draws after it stay the same */
        uint32_t draw = gen_rng_below(g, 1000);
        return every_program || draw < (uint32_t)rate ? (uint32_t)yes
                                                      : (uint32_t)no;
    }
    for (size_t k = 0; k < qu->n_options; k++)
        total += 840 / (uint32_t)(k + 1);
    x = gen_rng_below(g, total);
    for (size_t k = 0; k < qu->n_options; k++) {
        uint32_t w = 840 / (uint32_t)(k + 1);
        if (x < w)
            return (uint32_t)k;
        x -= w;
    }
    return 0;
}

/* A select_multiple value: each option with a chance falling with its
 * position, at least one; an option "none" stands alone. */
static uint64_t pick_many(gen_rng *g, const sv_question *qu)
{
    int none = sv_question_option(qu, "none");
    uint64_t mask = 0;

    for (size_t k = 0; k < qu->n_options && k < 64; k++) {
        if ((int)k == none)
            continue;
        if (gen_rng_below(g, 100) < 70 / (k / 2 + 1))
            mask |= UINT64_C(1) << k;
    }
    if (none >= 0 && gen_rng_below(g, 100) < 10)
        mask = UINT64_C(1) << none;
    if (mask == 0)
        mask = UINT64_C(1) << gen_rng_below(g, (uint32_t)qu->n_options);
    if (none >= 0 && mask != (UINT64_C(1) << none))
        mask &= ~(UINT64_C(1) << none);
    return mask;
}

/* Draws a value for every question, relevant or not: relevance is
 * worked out afterwards from the values themselves. */
static void draw_values(const sv_questionnaire *q, gen_rng *g,
                        bool every_program, sv_value *v)
{
    for (size_t i = 0; i < sv_questionnaire_count(q); i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        memset(&v[i], 0, sizeof v[i]);
        /* 1 in 60 required and 2 in 5 optional answers are left out */
        if (gen_rng_below(g, 1000) < (qu->required ? 17u : 400u) &&
            rate_of(qu->name) < 0)
            continue;
        switch (qu->type) {
        case SV_Q_INTEGER:
            v[i].kind = SV_V_INTEGER;
            v[i].integer = 1 + gen_rng_below(g, 3000);
            break;
        case SV_Q_TEXT: {
            const char *t = texts[gen_rng_below(
                g, (uint32_t)(sizeof texts / sizeof texts[0]))];
            v[i].kind = SV_V_TEXT;
            v[i].text = t;
            v[i].text_len = strlen(t);
            break;
        }
        case SV_Q_SELECT_ONE:
            if (qu->n_options > 0) {
                v[i].kind = SV_V_CHOICE;
                v[i].choice = pick_one(g, qu, every_program);
            }
            break;
        case SV_Q_SELECT_MULTIPLE:
            if (qu->n_options > 0) {
                v[i].kind = SV_V_CHOICES;
                v[i].choices = pick_many(g, qu);
            }
            break;
        }
    }
}

static bool fill_answer(gen_sub *g, const sv_question *qu, const sv_value *v,
                        Survey__V1__Answer *a)
{
    survey__v1__answer__init(a);
    a->question = (char *)qu->name;
    switch (v->kind) {
    case SV_V_INTEGER:
        a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
        a->integer = v->integer;
        return true;
    case SV_V_TEXT:
        a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
        a->text = (char *)v->text;
        return true;
    case SV_V_CHOICE:
        a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
        a->choice = (char *)qu->options[v->choice].name;
        return true;
    case SV_V_CHOICES:
        break;
    default:
        return false;
    }
    Survey__V1__Choices *c = take(g, sizeof *c);
    size_t n = (size_t)__builtin_popcountll(v->choices);
    char **opts = take(g, (n + 1) * sizeof *opts);
    if (c == NULL || opts == NULL)
        return false;
    survey__v1__choices__init(c);
    c->options = opts;
    for (size_t k = 0; k < qu->n_options; k++) {
        if ((v->choices >> k) & 1u)
            c->options[c->n_options++] = (char *)qu->options[k].name;
    }
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    a->choices = c;
    return true;
}

gen_sub *gen_submission(const sv_questionnaire *q, gen_rng *rng,
                        const char *code, uint64_t base, uint64_t seed,
                        size_t index, bool every_program)
{
    size_t n = sv_questionnaire_count(q);
    sv_value *values = calloc(n + 1, sizeof *values);
    bool *relevant = calloc(n + 1, sizeof *relevant);
    gen_sub *g = malloc(sizeof *g);
    char id[64];

    if (values == NULL || relevant == NULL || g == NULL)
        goto fail;
    g->used = 0;
    survey__v1__submission__init(&g->sub);
    draw_values(q, rng, every_program, values);
    sv_questionnaire_relevance(q, values, relevant);
    snprintf(id, sizeof id, "bench-%llu-%zu", (unsigned long long)seed, index);
    g->sub.survey = take_str(g, sv_questionnaire_id(q));
    g->sub.respondent = take_str(g, code);
    g->sub.submission_id = take_str(g, id);
    g->sub.note = take_str(g, base == 0 ? "初回回答（ベンチマーク）" : "訂正");
    g->sub.base_revision = base;
    g->sub.answers = take(g, (n + 1) * sizeof *g->sub.answers);
    if (g->sub.survey == NULL || g->sub.respondent == NULL ||
        g->sub.submission_id == NULL || g->sub.note == NULL ||
        g->sub.answers == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (!relevant[i] || values[i].kind == SV_V_NONE)
            continue;
        Survey__V1__Answer *a = take(g, sizeof *a);
        if (a == NULL ||
            !fill_answer(g, sv_questionnaire_question(q, i), &values[i], a))
            goto fail;
        g->sub.answers[g->sub.n_answers++] = a;
    }
    free(values);
    free(relevant);
    return g;
fail:
    free(values);
    free(relevant);
    free(g);
    return NULL;
}

Survey__V1__Submission *gen_sub_msg(gen_sub *g)
{
    return &g->sub;
}

void gen_sub_free(gen_sub *g)
{
    free(g);
}
