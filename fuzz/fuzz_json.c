/* fuzz_json.c: libFuzzer target for the client's JSON reader
 * (clients/answers_json.h).
 *
 * The input is read as the client reads a submit file or a line of a load
 * file (json_loadb with JSON_REJECT_DUPLICATES) and turned into a
 * Survey__V1__Submission with sv_json_to_submission, typed by the
 * Questionnaire message the collector sends for the 2024 form (made once
 * with collector/reply.c's sv_reply_questionnaire and decoded, exactly as a
 * client receives it), and once more without a questionnaire. A
 * submission that is made is written back with sv_answers_to_json, which
 * must give the input's "answers" object again, and with
 * sv_revision_to_json; it is also validated against the questionnaire.
 *
 * The questionnaire and its Reply are file-level state: libFuzzer offers
 * no other place to keep what LLVMFuzzerInitialize makes. */
#include "answers_json.h"
#include "fuzz_util.h"
#include "questionnaire.h"
#include "reply.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SURVEY_ID "shoman-jiritsu-r6"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sv_questionnaire *form;   /* the 2024 questionnaire */
static Survey__V1__Reply *reply; /* the collector's reply holding qn */
static const Survey__V1__Questionnaire *qn;
static sv_value *values; /* one per question */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    sv_packed packed = {0};

    (void)argc;
    (void)argv;
    form = sv_fuzz_load_r6();
    if (sv_reply_questionnaire(1, form, &packed) != SV_OK) {
        fprintf(stderr, "fuzz set-up: sv_reply_questionnaire failed\n");
        abort();
    }
    reply = survey__v1__reply__unpack(NULL, packed.len, packed.data);
    free(packed.data);
    if (reply == NULL ||
        reply->body_case != SURVEY__V1__REPLY__BODY_QUESTIONNAIRE) {
        fprintf(stderr, "fuzz set-up: the questionnaire reply is bad\n");
        abort();
    }
    qn = reply->questionnaire;
    values = calloc(sv_questionnaire_count(form), sizeof *values);
    if (values == NULL) {
        fprintf(stderr, "fuzz set-up: out of memory\n");
        abort();
    }
    return 0;
}

/* The answers written back must be the answers read. */
static void check_round_trip(const json_t *doc,
                             const Survey__V1__Submission *sub)
{
    json_t *back = sv_answers_to_json(sub->answers, sub->n_answers);
    if (back == NULL) {
        fprintf(stderr, "sv_answers_to_json failed on a valid submission\n");
        abort();
    }
    if (!json_equal(back, json_object_get(doc, "answers"))) {
        fprintf(stderr, "answers changed on the way through a Submission\n");
        abort();
    }
    json_decref(back);
}

static void write_revision(const Survey__V1__Submission *sub)
{
    Survey__V1__Revision rev = SURVEY__V1__REVISION__INIT;

    rev.revision = sub->base_revision + 1;
    rev.base_revision = sub->base_revision;
    rev.time_ms = (int64_t)sub->base_revision; /* any time: sv_format_time */
    rev.submitter = "anonymous@fuzz";
    rev.note = sub->note;
    rev.submission_id = sub->submission_id;
    rev.answers = sub->answers;
    rev.n_answers = sub->n_answers;
    json_t *obj = sv_revision_to_json(sub->survey, sub->respondent, &rev, 1);
    if (obj == NULL) {
        fprintf(stderr, "sv_revision_to_json failed on a valid submission\n");
        abort();
    }
    char *text = json_dumps(obj, JSON_COMPACT);
    if (text == NULL) {
        fprintf(stderr, "json_dumps failed\n");
        abort();
    }
    free(text);
    json_decref(obj);
}

static void validate(const Survey__V1__Submission *sub)
{
    sv_verdict verdict = {0};

    if (sv_questionnaire_validate(
            form, (const Survey__V1__Answer *const *)sub->answers,
            sub->n_answers, values, &verdict) != SV_OK)
        fprintf(stderr, "validate: out of memory\n");
    sv_verdict_clear(&verdict);
}

static void convert(const json_t *doc, const char *default_survey,
                    const Survey__V1__Questionnaire *with, bool deep)
{
    Survey__V1__Submission *sub = NULL;
    sv_error err = {{0}};

    if (sv_json_to_submission(doc, default_survey, with, &sub, &err) != SV_OK)
        return;
    check_round_trip(doc, sub);
    if (deep) {
        if (sv_submission_set_id(sub, "fuzz-submission") != SV_OK) {
            fprintf(stderr, "sv_submission_set_id: out of memory\n");
            abort();
        }
        write_revision(sub);
        validate(sub);
    }
    survey__v1__submission__free_unpacked(sub, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *doc =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);

    if (doc == NULL)
        return 0;
    (void)sv_json_survey(doc, SURVEY_ID);
    convert(doc, SURVEY_ID, qn, true);
    convert(doc, "", qn, false);
    convert(doc, "", NULL, false);
    json_decref(doc);
    return 0;
}
