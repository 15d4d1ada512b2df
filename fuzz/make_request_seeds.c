/* make_request_seeds.c: writes the seed corpus of fuzz_request: packed
 * survey.v1.Request frames made from real inputs. Run by make_corpus.sh.
 *
 * Usage: make_request_seeds RESPONSES.jsonl OUT_DIR
 *
 * Every 12th line of RESPONSES.jsonl (the seed report's submissions) and
 * the hand-written JSON submissions below (every question type, and each
 * validation rule broken once) become a Submission exactly as the survey
 * client makes one (sv_json_to_submission, typed by the collector's
 * Questionnaire reply for data/r6), wrapped in a Request; one request of
 * every other kind is added. The output is the same on every run. */
#include "answers_json.h"
#include "fuzz_util.h"
#include "reply.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SURVEY_ID "shoman-jiritsu-r6"

/* Hand-written submissions: name, JSON. */
static const char *const extra[][2] = {
    {"submit-all-types",
     "{\"survey\":\"shoman-jiritsu-r6\",\"respondent\":\"010006\","
     "\"base_revision\":3,\"note\":\"all types\",\"answers\":{"
     "\"holders\":2203,\"consult\":\"yes\",\"supporter\":\"yes\","
     "\"supporter_outsourced\":\"yes\",\"fact_finding\":\"yes\","
     "\"fact_finding_outsourced\":\"no\",\"care_support\":\"yes\","
     "\"peer_exchange\":\"no\",\"employment\":\"no\",\"carer_support\":\"no\","
     "\"other_support\":\"no\",\"consult_window\":\"head_office\","
     "\"consult_content\":[\"care_guidance\",\"peer_counseling\"],"
     "\"peer_counselors\":[\"patient_group_member\"],"
     "\"consult_channel\":[\"counter\",\"phone\",\"email\"],"
     "\"consult_funding\":[\"national_subsidy\",\"local_budget\"],"
     "\"supporter_contractor_kind\":[\"patient_group\"],"
     "\"supporter_contractor\":\"難病連\","
     "\"supporter_tasks\":[\"consultation\",\"support_plan\"],"
     "\"supporter_funding\":[\"national_subsidy\"],"
     "\"ff_frequency\":\"yearly\","
     "\"ff_method\":[\"questionnaire\",\"interview\"],"
     "\"ff_model_form\":\"yes\",\"ff_interview_place\":[\"events\"],"
     "\"ff_funding\":[\"no_budget\"],"
     "\"care_support_background\":\"背景\","
     "\"care_support_target\":\"対象者\","
     "\"care_support_content\":\"支援内容\","
     "\"care_support_funding\":[\"local_budget\"]}}"},
    {"submit-invalid-mix",
     "{\"survey\":\"shoman-jiritsu-r6\",\"respondent\":\"999999\","
     "\"answers\":{\"no_such_question\":\"x\",\"holders\":-1,"
     "\"consult\":\"maybe\",\"supporter\":[\"yes\",\"no\"],"
     "\"supporter_outsourced\":\"yes\",\"fact_finding\":7,"
     "\"consult_channel\":[\"phone\",\"phone\"],"
     "\"care_support_content\":\"not relevant\"}}"},
    {"submit-out-of-range",
     "{\"survey\":\"shoman-jiritsu-r6\",\"respondent\":\"010006\","
     "\"answers\":{\"holders\":9223372036854775807,\"consult\":\"no\"}}"},
    {"submit-empty",
     "{\"survey\":\"shoman-jiritsu-r6\",\"respondent\":\"010006\","
     "\"answers\":{}}"},
};

static void die(const char *what)
{
    fprintf(stderr, "make_request_seeds: %s\n", what);
    exit(1);
}

static void write_request(const char *dir, const char *name,
                          Survey__V1__Request *req)
{
    size_t len = survey__v1__request__get_packed_size(req);
    uint8_t *buf = malloc(len > 0 ? len : 1);
    if (buf == NULL)
        die("out of memory");
    if (survey__v1__request__pack(req, buf) != len)
        die("pack: wrong size");
    char *path = sv_fuzz_join(dir, name);
    sv_fuzz_write(path, buf, len);
    free(path);
    free(buf);
}

static void write_submission(const char *dir, const char *name,
                             const char *json,
                             const Survey__V1__Questionnaire *qn,
                             uint64_t request_id)
{
    json_error_t jerr;
    json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        die(jerr.text);
    Survey__V1__Submission *sub = NULL;
    sv_error err = {{0}};
    if (sv_json_to_submission(doc, SURVEY_ID, qn, &sub, &err) != SV_OK)
        die(err.msg);
    char id[64];
    snprintf(id, sizeof id, "seed-%llu", (unsigned long long)request_id);
    if (sv_submission_set_id(sub, id) != SV_OK)
        die("out of memory");
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.body_case = SURVEY__V1__REQUEST__BODY_SUBMIT;
    req.submit = sub;
    req.request_id = request_id;
    write_request(dir, name, &req);
    survey__v1__submission__free_unpacked(sub, NULL);
    json_decref(doc);
}

static void write_reads(const char *dir)
{
    Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__HistoryRequest history = SURVEY__V1__HISTORY_REQUEST__INIT;
    Survey__V1__QuestionnaireRequest form =
        SURVEY__V1__QUESTIONNAIRE_REQUEST__INIT;
    Survey__V1__SnapshotRequest snapshot = SURVEY__V1__SNAPSHOT_REQUEST__INIT;
    Survey__V1__StatusRequest status = SURVEY__V1__STATUS_REQUEST__INIT;
    Survey__V1__RerunRequest rerun = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;

    get.survey = history.survey = snapshot.survey = SURVEY_ID;
    get.respondent = history.respondent = "010006";
    snapshot.version = 2;
    snapshot.header_only = 1;
    rerun.full = 1;
    req.request_id = 900;
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &get;
    write_request(dir, "get", &req);
    req.body_case = SURVEY__V1__REQUEST__BODY_HISTORY;
    req.history = &history;
    write_request(dir, "history", &req);
    req.body_case = SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
    req.questionnaire = &form;
    write_request(dir, "questionnaire", &req);
    req.body_case = SURVEY__V1__REQUEST__BODY_SNAPSHOT;
    req.snapshot = &snapshot;
    write_request(dir, "snapshot", &req);
    req.body_case = SURVEY__V1__REQUEST__BODY_STATUS;
    req.status = &status;
    write_request(dir, "status", &req);
    req.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    req.rerun = &rerun;
    write_request(dir, "rerun", &req);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make_request_seeds RESPONSES.jsonl OUT_DIR\n");
        return 2;
    }
    sv_questionnaire *q = sv_fuzz_load_r6();
    sv_packed packed = {0};
    if (sv_reply_questionnaire(1, q, &packed) != SV_OK)
        die("sv_reply_questionnaire");
    Survey__V1__Reply *reply =
        survey__v1__reply__unpack(NULL, packed.len, packed.data);
    free(packed.data);
    if (reply == NULL)
        die("the questionnaire reply does not decode");

    size_t size = 0;
    uint8_t *jsonl = sv_fuzz_read(argv[1], &size);
    char *text = sv_fuzz_cstr(jsonl, size);
    free(jsonl);
    uint64_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), n++) {
        if (n % 12 != 0)
            continue;
        char name[64];
        snprintf(name, sizeof name, "submit-seed-%03llu",
                 (unsigned long long)n + 1);
        write_submission(argv[2], name, line, reply->questionnaire, n + 1);
    }
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        write_submission(argv[2], extra[i][0], extra[i][1],
                         reply->questionnaire, 200 + i);
    write_reads(argv[2]);
    free(text);
    survey__v1__reply__free_unpacked(reply, NULL);
    sv_questionnaire_destroy(&q);
    return 0;
}
