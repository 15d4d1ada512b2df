/* test_client.c: the `survey` client. Pure parts (JSON <-> wire answers,
 * reply texts, history diffs, name-based ids, the snapshot formats on a
 * hand-built snapshot), the transport against a scripted ZeroMQ peer in a
 * child process (lazy pirate, pipeline, rerun polling), watch against a
 * PUB socket of the test's own, and the real `survey` binary end to end
 * against the real collector. */
#include "answers_json.h"
#include "completeness.h"
#include "figures.h"
#include "harness.h"
#include "history.h"
#include "keyfile.h"
#include "load.h"
#include "outcome.h"
#include "rpc.h"
#include "snapshot_cmd.h"
#include "snapshot_csv.h"
#include "watch.h"
#include "width.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <cmocka.h>

#define SURVEY_BIN SV_BINARY_DIR "/clients/survey"

/* ---- fixtures ---------------------------------------------------------- */

typedef struct {
    Survey__V1__Question q[4];
    Survey__V1__Question *qp[4];
    Survey__V1__Questionnaire qn;
} form;

/* holders: integer, consult: select_one, channel: select_multiple,
 * content: text. */
static void form_init(form *f)
{
    static const char *const names[] = {"holders", "consult", "channel",
                                        "content"};
    static const Survey__V1__Question__Type types[] = {
        SURVEY__V1__QUESTION__TYPE__INTEGER,
        SURVEY__V1__QUESTION__TYPE__SELECT_ONE,
        SURVEY__V1__QUESTION__TYPE__SELECT_MULTIPLE,
        SURVEY__V1__QUESTION__TYPE__TEXT};
    survey__v1__questionnaire__init(&f->qn);
    for (size_t i = 0; i < 4; i++) {
        survey__v1__question__init(&f->q[i]);
        f->q[i].name = (char *)names[i];
        f->q[i].type = types[i];
        f->qp[i] = &f->q[i];
    }
    f->qn.survey = "s";
    f->qn.n_questions = 4;
    f->qn.questions = f->qp;
}

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        fail_msg("bad test JSON: %s: %s", jerr.text, text);
    return doc;
}

/* Converts text; asserts success. */
static Survey__V1__Submission *convert(const char *text, const form *f)
{
    json_t *doc = parse(text);
    Survey__V1__Submission *sub = NULL;
    sv_error err = {""};
    sv_status st = sv_json_to_submission(doc, "dflt", f != NULL ? &f->qn : NULL,
                                         &sub, &err);
    json_decref(doc);
    if (st != SV_OK)
        fail_msg("conversion failed: %s", err.msg);
    return sub;
}

/* Converts text; asserts SV_ERR_INVALID and returns the message. */
static void convert_fails(const char *text, const form *f, sv_error *err)
{
    json_t *doc = parse(text);
    Survey__V1__Submission *sub = NULL;
    sv_status st = sv_json_to_submission(doc, "dflt", f != NULL ? &f->qn : NULL,
                                         &sub, err);
    json_decref(doc);
    assert_int_equal(st, SV_ERR_INVALID);
    assert_null(sub);
}

/* Captures what is written to *f into *buf (see capture_end). */
static void capture_begin(FILE **f, char **buf, size_t *len)
{
    *f = open_memstream(buf, len);
    assert_non_null(*f);
}

/* Closes f and returns the captured text (*buf, valid only now). */
static char *capture_end(FILE *f, char **buf)
{
    assert_int_equal(fclose(f), 0);
    return *buf;
}

/* ---- JSON -> Submission ------------------------------------------------ */

static void test_json_typed_answers(void **state)
{
    (void)state;
    form f;
    form_init(&f);
    Survey__V1__Submission *sub =
        convert("{\"survey\": \"s\", \"respondent\": \"010006\","
                " \"answers\": {\"consult\": \"yes\","
                " \"channel\": [\"counter\", \"phone\"], \"holders\": 2203,"
                " \"content\": \"支援内容\"},"
                " \"base_revision\": 2, \"note\": \"fix\","
                " \"submission_id\": \"abc\"}",
                &f);
    assert_string_equal(sub->survey, "s");
    assert_string_equal(sub->respondent, "010006");
    assert_string_equal(sub->note, "fix");
    assert_string_equal(sub->submission_id, "abc");
    assert_int_equal(sub->base_revision, 2);
    assert_int_equal(sub->n_answers, 4);
    /* the file's order, not the questionnaire's */
    assert_string_equal(sub->answers[0]->question, "consult");
    assert_int_equal(sub->answers[0]->value_case,
                     SURVEY__V1__ANSWER__VALUE_CHOICE);
    assert_string_equal(sub->answers[0]->choice, "yes");
    assert_string_equal(sub->answers[1]->question, "channel");
    assert_int_equal(sub->answers[1]->value_case,
                     SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(sub->answers[1]->choices->n_options, 2);
    assert_string_equal(sub->answers[1]->choices->options[0], "counter");
    assert_string_equal(sub->answers[1]->choices->options[1], "phone");
    assert_string_equal(sub->answers[2]->question, "holders");
    assert_int_equal(sub->answers[2]->value_case,
                     SURVEY__V1__ANSWER__VALUE_INTEGER);
    assert_int_equal(sub->answers[2]->integer, 2203);
    assert_string_equal(sub->answers[3]->question, "content");
    assert_int_equal(sub->answers[3]->value_case,
                     SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(sub->answers[3]->text, "支援内容");
    survey__v1__submission__free_unpacked(sub, NULL);
}

/* Values that do not fit go in their closest wire form, unrepaired. */
static void test_json_misfits_are_sent_as_they_are(void **state)
{
    (void)state;
    form f;
    form_init(&f);
    Survey__V1__Submission *sub =
        convert("{\"respondent\": \"010006\", \"answers\": {"
                "\"zzz\": \"v\", \"holders\": \"-1\","
                " \"consult\": [\"yes\", \"no\"], \"content\": [\"x\"],"
                " \"channel\": \"counter\", \"yyy\": 7, \"consult2\": [],"
                " \"content \": 3}}",
                &f);
    assert_string_equal(sub->survey, "dflt");
    assert_int_equal(sub->base_revision, 0);
    assert_string_equal(sub->submission_id, "");
    assert_int_equal(sub->n_answers, 8);
    Survey__V1__Answer **a = sub->answers;
    assert_string_equal(a[0]->question, "zzz");
    assert_int_equal(a[0]->value_case, SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(a[0]->text, "v");
    assert_string_equal(a[1]->question, "holders");
    assert_int_equal(a[1]->value_case, SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(a[1]->text, "-1");
    assert_int_equal(a[2]->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(a[2]->choices->n_options, 2);
    assert_int_equal(a[3]->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_string_equal(a[3]->choices->options[0], "x");
    assert_string_equal(a[4]->question, "channel");
    assert_int_equal(a[4]->value_case, SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_int_equal(a[5]->value_case, SURVEY__V1__ANSWER__VALUE_INTEGER);
    assert_int_equal(a[5]->integer, 7);
    assert_int_equal(a[6]->value_case, SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(a[6]->choices->n_options, 0);
    assert_string_equal(a[7]->question, "content ");
    assert_int_equal(a[7]->value_case, SURVEY__V1__ANSWER__VALUE_INTEGER);
    survey__v1__submission__free_unpacked(sub, NULL);

    /* without a questionnaire every question is unknown: strings -> text */
    sub = convert("{\"respondent\": \"1\", \"answers\": {\"consult\": "
                  "\"yes\"}}",
                  NULL);
    assert_int_equal(sub->answers[0]->value_case,
                     SURVEY__V1__ANSWER__VALUE_TEXT);
    survey__v1__submission__free_unpacked(sub, NULL);
}

static void test_json_values_without_wire_form(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        const char *shown;
    } cases[] = {
        {"null", "null"},     {"{\"a\": 1}", "{\"a\":1}"},
        {"1.5", "1.5"},       {"true", "true"},
        {"[1, 2]", "[1,2]"},  {"[\"a\", null]", "[\"a\",null]"},
        {"2203.0", "2203.0"}, {"[[\"a\"]]", "[[\"a\"]]"},
    };
    form f;
    form_init(&f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[200];
        sv_error err = {""};
        snprintf(text, sizeof text,
                 "{\"respondent\": \"010006\", \"answers\": {"
                 "\"consult\": \"yes\", \"holders\": %s}}",
                 cases[i].value);
        convert_fails(text, &f, &err);
        char want[100];
        snprintf(want, sizeof want, "answer \"holders\": %s is not",
                 cases[i].shown);
        if (strstr(err.msg, want) == NULL)
            fail_msg("case %s: message '%s' lacks '%s'", cases[i].value,
                     err.msg, want);
    }
}

static void test_json_envelope(void **state)
{
    (void)state;
    sv_error err = {""};
    convert_fails("{\"answers\": {}}", NULL, &err);
    assert_string_equal(err.msg, "\"respondent\" is missing");
    convert_fails("{\"respondent\": 10006, \"answers\": {}}", NULL, &err);
    assert_string_equal(err.msg, "\"respondent\" is not a string");
    convert_fails("{\"respondent\": \"1\"}", NULL, &err);
    assert_string_equal(err.msg, "\"answers\" is missing");
    convert_fails("{\"respondent\": \"1\", \"answers\": []}", NULL, &err);
    assert_string_equal(err.msg, "\"answers\" is not an object");
    convert_fails("{\"respondent\": \"1\", \"answers\": {}, \"answer\": {}}",
                  NULL, &err);
    assert_string_equal(err.msg, "unknown key \"answer\"");
    convert_fails("{\"respondent\": \"1\", \"answers\": {},"
                  " \"base_revision\": -1}",
                  NULL, &err);
    assert_string_equal(err.msg, "\"base_revision\" is not an integer >= 0");
    convert_fails("{\"respondent\": \"1\", \"answers\": {}, \"survey\": 6}",
                  NULL, &err);
    assert_string_equal(err.msg, "\"survey\" is not a string");
    convert_fails("[1]", NULL, &err);
    assert_string_equal(err.msg, "a submission must be a JSON object");

    /* the output of `survey get`: revision stands for base_revision, the
     * informative keys are ignored */
    Survey__V1__Submission *sub =
        convert("{\"survey\": \"s\", \"respondent\": \"1\", \"revision\": 4,"
                " \"sequence\": 9, \"time\": \"x\", \"submitter\": \"a\","
                " \"note\": \"n\", \"answers\": {}, \"missing\": [\"q\"]}",
                NULL);
    assert_int_equal(sub->base_revision, 4);
    assert_int_equal(sub->n_answers, 0);
    assert_int_equal(sv_submission_set_id(sub, "id-1"), SV_OK);
    assert_string_equal(sub->submission_id, "id-1");
    assert_int_equal(sv_submission_set_id(sub, "id-2"), SV_OK);
    assert_string_equal(sub->submission_id, "id-2");
    survey__v1__submission__free_unpacked(sub, NULL);
    sub = convert("{\"respondent\": \"1\", \"answers\": {}, \"revision\": 4,"
                  " \"base_revision\": 2}",
                  NULL);
    assert_int_equal(sub->base_revision, 2);
    survey__v1__submission__free_unpacked(sub, NULL);
}

/* ---- Revision -> JSON -------------------------------------------------- */

typedef struct {
    Survey__V1__Answer a[4];
    Survey__V1__Answer *ap[4];
    Survey__V1__Choices choices;
    char *options[2];
    char *missing[2];
    Survey__V1__Revision rev;
} sample_revision;

static void sample_init(sample_revision *s)
{
    for (size_t i = 0; i < 4; i++) {
        survey__v1__answer__init(&s->a[i]);
        s->ap[i] = &s->a[i];
    }
    s->a[0].question = "consult";
    s->a[0].value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    s->a[0].choice = "yes";
    s->a[1].question = "channel";
    s->a[1].value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    survey__v1__choices__init(&s->choices);
    s->options[0] = "counter";
    s->options[1] = "phone";
    s->choices.options = s->options;
    s->choices.n_options = 2;
    s->a[1].choices = &s->choices;
    s->a[2].question = "holders";
    s->a[2].value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    s->a[2].integer = 2203;
    s->a[3].question = "content";
    s->a[3].value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    s->a[3].text = "窓口で \"相談\"";
    s->missing[0] = "peer_counselors";
    s->missing[1] = "consult_funding";
    survey__v1__revision__init(&s->rev);
    s->rev.revision = 2;
    s->rev.sequence = 18;
    s->rev.time_ms = 1795557600123LL;
    s->rev.submitter = "alice";
    s->rev.note = "補正";
    s->rev.submission_id = "u-1";
    s->rev.base_revision = 1;
    s->rev.answers = s->ap;
    s->rev.n_answers = 4;
    s->rev.missing = s->missing;
    s->rev.n_missing = 2;
}

static void test_revision_to_json(void **state)
{
    (void)state;
    sample_revision s;
    sample_init(&s);
    json_t *j = sv_revision_to_json("shoman-jiritsu-r6", "010006", &s.rev, 0);
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    assert_string_equal(
        text, "{\"survey\":\"shoman-jiritsu-r6\",\"respondent\":\"010006\","
              "\"revision\":2,\"sequence\":18,"
              "\"time\":\"2026-11-24T22:00:00.123Z\",\"submitter\":\"alice\","
              "\"note\":\"補正\",\"answers\":{\"consult\":\"yes\","
              "\"channel\":[\"counter\",\"phone\"],\"holders\":2203,"
              "\"content\":\"窓口で \\\"相談\\\"\"},"
              "\"missing\":[\"peer_counselors\",\"consult_funding\"]}");
    free(text);
    json_decref(j);

    j = sv_revision_to_json("s", "r", &s.rev, 1);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "submission_id")),
                        "u-1");
    assert_int_equal(json_integer_value(json_object_get(j, "base_revision")),
                     1);
    json_decref(j);
}

/* What `survey get` prints can be submitted again and means the same. */
static void test_get_output_round_trips(void **state)
{
    (void)state;
    sample_revision s;
    form f;
    sample_init(&s);
    form_init(&f);
    json_t *j = sv_revision_to_json("s", "010006", &s.rev, 0);
    assert_non_null(j);
    Survey__V1__Submission *sub = NULL;
    sv_error err = {""};
    assert_int_equal(sv_json_to_submission(j, "", &f.qn, &sub, &err), SV_OK);
    json_decref(j);
    assert_int_equal(sub->base_revision, 2);
    assert_string_equal(sub->survey, "s");
    assert_int_equal(sub->n_answers, 4);
    for (size_t i = 0; i < 4; i++) {
        const Survey__V1__Answer *want = s.ap[i];
        const Survey__V1__Answer *got = sub->answers[i];
        uint8_t wb[256], gb[256];
        assert_true(survey__v1__answer__get_packed_size(want) < sizeof wb);
        size_t wl = survey__v1__answer__pack(want, wb);
        size_t gl = survey__v1__answer__pack(got, gb);
        assert_int_equal(wl, gl);
        assert_memory_equal(wb, gb, wl);
    }
    survey__v1__submission__free_unpacked(sub, NULL);
}

static void test_format_time(void **state)
{
    (void)state;
    char buf[40];
    assert_string_equal(sv_format_time(0, buf, sizeof buf),
                        "1970-01-01T00:00:00.000Z");
    assert_string_equal(sv_format_time(-1, buf, sizeof buf),
                        "1969-12-31T23:59:59.999Z");
    assert_string_equal(sv_format_time(1795557600123LL, buf, sizeof buf),
                        "2026-11-24T22:00:00.123Z");
}

/* ---- reply texts ------------------------------------------------------- */

static void test_ack_line(void **state)
{
    (void)state;
    char *missing[10] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
    Survey__V1__Ack ack = SURVEY__V1__ACK__INIT;
    ack.respondent = "010006";
    ack.revision = 1;
    ack.sequence = 17;
    FILE *f;
    char *buf;
    size_t len;

    capture_begin(&f, &buf, &len);
    sv_outcome_ack(f, &ack);
    assert_string_equal(capture_end(f, &buf),
                        "accepted 010006 revision 1 sequence 17");
    free(buf);

    ack.duplicate = 1;
    ack.missing = missing;
    ack.n_missing = 10;
    capture_begin(&f, &buf, &len);
    sv_outcome_ack(f, &ack);
    assert_string_equal(capture_end(f, &buf),
                        "accepted 010006 revision 1 sequence 17 (duplicate); "
                        "incomplete: 10 required questions missing: "
                        "a, b, c, d, e, f, g, h, …");
    free(buf);

    ack.duplicate = 0;
    ack.n_missing = 1;
    capture_begin(&f, &buf, &len);
    sv_outcome_ack(f, &ack);
    assert_string_equal(capture_end(f, &buf),
                        "accepted 010006 revision 1 sequence 17; "
                        "incomplete: 1 required question missing: a");
    free(buf);
}

static void test_error_lines(void **state)
{
    (void)state;
    Survey__V1__Problem p1 = SURVEY__V1__PROBLEM__INIT;
    Survey__V1__Problem p2 = SURVEY__V1__PROBLEM__INIT;
    Survey__V1__Problem *problems[2] = {&p1, &p2};
    p1.question = "holders";
    p1.value = "-1";
    p1.rule = SURVEY__V1__PROBLEM__RULE__CONSTRAINT;
    p1.message = ". >= 0";
    p2.question = "note\"x";
    p2.value = "a\"b\\c\n";
    p2.rule = SURVEY__V1__PROBLEM__RULE__UNKNOWN_QUESTION;
    Survey__V1__Error e = SURVEY__V1__ERROR__INIT;
    e.code = SURVEY__V1__ERROR__CODE__CONFLICT;
    e.message = "stale base revision 0";
    e.current_revision = 3;
    FILE *f;
    char *buf;
    size_t len;

    capture_begin(&f, &buf, &len);
    sv_outcome_error(f, &e);
    assert_string_equal(capture_end(f, &buf), "CONFLICT: stale base revision 0 "
                                              "(current revision 3)");
    free(buf);

    capture_begin(&f, &buf, &len);
    sv_outcome_problem(f, &p1);
    assert_string_equal(capture_end(f, &buf),
                        "holders = \"-1\": CONSTRAINT: . >= 0");
    free(buf);

    e.code = SURVEY__V1__ERROR__CODE__INVALID;
    e.message = "2 problems";
    e.problems = problems;
    e.n_problems = 2;
    capture_begin(&f, &buf, &len);
    sv_outcome_error_brief(f, &e);
    assert_string_equal(capture_end(f, &buf),
                        "INVALID: holders = \"-1\": CONSTRAINT: . >= 0; "
                        "note\"x = \"a\\\"b\\\\c\\n\": UNKNOWN_QUESTION");
    free(buf);

    e.code = (Survey__V1__Error__Code)42;
    e.n_problems = 0;
    capture_begin(&f, &buf, &len);
    sv_outcome_error_brief(f, &e);
    assert_string_equal(capture_end(f, &buf), "CODE_42: 2 problems");
    free(buf);
}

/* ---- history ----------------------------------------------------------- */

static void set_choice(Survey__V1__Answer *a, char *q, char *v)
{
    survey__v1__answer__init(a);
    a->question = q;
    a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    a->choice = v;
}

static void set_integer(Survey__V1__Answer *a, char *q, int64_t v)
{
    survey__v1__answer__init(a);
    a->question = q;
    a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    a->integer = v;
}

static void test_history_text(void **state)
{
    (void)state;
    Survey__V1__Answer r1a[2], r2a[3], r3a[2];
    Survey__V1__Answer *r1p[2] = {&r1a[0], &r1a[1]};
    Survey__V1__Answer *r2p[3] = {&r2a[0], &r2a[1], &r2a[2]};
    Survey__V1__Answer *r3p[2] = {&r3a[0], &r3a[1]};
    Survey__V1__Choices ch = SURVEY__V1__CHOICES__INIT;
    char *opts[2] = {"counter", "phone"};
    ch.options = opts;
    ch.n_options = 2;
    set_choice(&r1a[0], "consult", "yes");
    set_integer(&r1a[1], "holders", 10);
    set_integer(&r2a[0], "holders", 12);
    set_choice(&r2a[1], "consult", "yes");
    survey__v1__answer__init(&r2a[2]);
    r2a[2].question = "channel";
    r2a[2].value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    r2a[2].choices = &ch;
    r3a[0] = r2a[0];
    r3a[1] = r2a[2];
    Survey__V1__Revision revs[4];
    Survey__V1__Revision *revp[4] = {&revs[0], &revs[1], &revs[2], &revs[3]};
    Survey__V1__Answer **answers[4] = {r1p, r2p, r3p, r3p};
    size_t counts[4] = {2, 3, 2, 2};
    for (size_t i = 0; i < 4; i++) {
        survey__v1__revision__init(&revs[i]);
        revs[i].revision = i + 1;
        revs[i].sequence = 16 + i;
        revs[i].time_ms = 1795557600123LL + (int64_t)i * 1000;
        revs[i].submitter = i == 3 ? "" : "alice";
        revs[i].note = i == 1 ? "fix holders" : "";
        revs[i].answers = answers[i];
        revs[i].n_answers = counts[i];
    }
    Survey__V1__History h = SURVEY__V1__HISTORY__INIT;
    h.revisions = revp;
    h.n_revisions = 4;
    FILE *f;
    char *buf;
    size_t len;
    sv_error err;
    capture_begin(&f, &buf, &len);
    assert_int_equal(sv_history_print(f, &h, &err), SV_OK);
    assert_string_equal(
        capture_end(f, &buf),
        "revision 1  2026-11-24T22:00:00.123Z  by alice  seq 16\n"
        "  + consult = \"yes\"\n"
        "  + holders = 10\n"
        "revision 2  2026-11-24T22:00:01.123Z  by alice  seq 17"
        "  note: fix holders\n"
        "  ~ holders: 10 -> 12\n"
        "  + channel = [\"counter\",\"phone\"]\n"
        "revision 3  2026-11-24T22:00:02.123Z  by alice  seq 18\n"
        "  - consult (was \"yes\")\n"
        "revision 4  2026-11-24T22:00:03.123Z  by (unknown)  seq 19\n"
        "  (no changes)\n");
    free(buf);
}

/* ---- name-based ids ---------------------------------------------------- */

static void test_load_line_id(void **state)
{
    (void)state;
    char a[37], b[37], c[37];
    sv_load_line_id("{\"x\": 1}", 8, a);
    sv_load_line_id("{\"x\": 1}", 8, b);
    sv_load_line_id("{\"x\": 2}", 8, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '5'); /* version 5: name-based, SHA-1 */
}

/* ---- transport against a scripted peer ---------------------------------- */

#define STOP_ID UINT64_MAX
#define PEER_MAX_IDS 64

/* How the scripted peer treats requests. */
typedef enum {
    PEER_LAZY,  /* ignore the first send of every request */
    PEER_FORMS, /* answer questionnaire requests only */
    PEER_PIPE   /* ignore the first send of ids divisible by 3, never
                  answer id 7, and send junk before the first reply */
} peer_mode;

typedef struct {
    uint64_t id;
    uint8_t *bytes;
    size_t len;
    int count;
} peer_seen;

/* Sends reply to the peer named by ident, in the request's envelope. */
static int peer_reply(void *sock, zmq_msg_t *ident, bool delimited,
                      const Survey__V1__Reply *reply)
{
    size_t size = survey__v1__reply__get_packed_size(reply);
    uint8_t *buf = malloc(size > 0 ? size : 1);
    if (buf == NULL)
        return -1;
    size_t len = survey__v1__reply__pack(reply, buf);
    zmq_msg_t copy;
    int rc = -1;
    if (zmq_msg_init(&copy) != 0 || zmq_msg_copy(&copy, ident) != 0)
        goto done;
    if (zmq_msg_send(&copy, sock, ZMQ_SNDMORE) < 0)
        goto done;
    if (delimited && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
        goto done;
    rc = zmq_send(sock, buf, len, 0) < 0 ? -1 : 0;
done:
    free(buf);
    return rc;
}

/* An Ack whose revision is the request id. */
static int peer_send(void *sock, zmq_msg_t *ident, bool delimited, uint64_t id)
{
    Survey__V1__Ack ack = SURVEY__V1__ACK__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    ack.respondent = "r";
    ack.revision = id;
    reply.body_case = SURVEY__V1__REPLY__BODY_ACK;
    reply.ack = &ack;
    reply.request_id = id;
    return peer_reply(sock, ident, delimited, &reply);
}

/* A questionnaire "s" with one integer question, holders. */
static int peer_send_form(void *sock, zmq_msg_t *ident, bool delimited,
                          uint64_t id)
{
    Survey__V1__Question q = SURVEY__V1__QUESTION__INIT;
    Survey__V1__Question *qp = &q;
    Survey__V1__Questionnaire qn = SURVEY__V1__QUESTIONNAIRE__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    q.name = "holders";
    q.type = SURVEY__V1__QUESTION__TYPE__INTEGER;
    qn.survey = "s";
    qn.questions = &qp;
    qn.n_questions = 1;
    reply.body_case = SURVEY__V1__REPLY__BODY_QUESTIONNAIRE;
    reply.questionnaire = &qn;
    reply.request_id = id;
    return peer_reply(sock, ident, delimited, &reply);
}

/* Runs in a child: serves until STOP_ID, exits 0 if every resend carried
 * the same bytes as the first send (and, in PEER_PIPE, id 7 came twice). */
/* Sends an undecodable frame and a reply for an id nobody asked for. */
static int peer_junk(void *sock, zmq_msg_t *ident, bool delimited)
{
    zmq_msg_t copy;
    if (zmq_msg_init(&copy) != 0 || zmq_msg_copy(&copy, ident) != 0 ||
        zmq_msg_send(&copy, sock, ZMQ_SNDMORE) < 0)
        return -1;
    if (delimited && zmq_send(sock, "", 0, ZMQ_SNDMORE) < 0)
        return -1;
    if (zmq_send(sock, "\xff\xff\xff", 3, 0) < 0)
        return -1;
    return peer_send(sock, ident, delimited, 999);
}

/* Remembers the first bytes of each id; counts resends that differ. */
static int peer_note(peer_seen *seen, size_t *n_seen, uint64_t id,
                     const zmq_msg_t *part, int *bad)
{
    size_t k = 0;
    while (k < *n_seen && seen[k].id != id)
        k++;
    size_t len = zmq_msg_size((zmq_msg_t *)part);
    const void *data = zmq_msg_data((zmq_msg_t *)part);
    if (k == *n_seen) {
        if (k == PEER_MAX_IDS)
            return -1;
        seen[k].id = id;
        seen[k].len = len;
        seen[k].bytes = malloc(len + 1);
        if (seen[k].bytes == NULL)
            return -1;
        memcpy(seen[k].bytes, data, len);
        seen[k].count = 0;
        (*n_seen)++;
    } else if (seen[k].len != len || memcmp(seen[k].bytes, data, len) != 0) {
        (*bad)++;
    }
    return ++seen[k].count;
}

/* Runs in a child: serves until STOP_ID, exits 0 if every resend carried
 * the same bytes as the first send (and, in PEER_PIPE, id 7 came twice).
 * Exits through _exit: what it allocates dies with it. */
static int peer_run(const char *endpoint, peer_mode mode)
{
    void *ctx = zmq_ctx_new();
    void *sock = ctx != NULL ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    if (sock == NULL || zmq_bind(sock, endpoint) != 0)
        return 10;
    peer_seen seen[PEER_MAX_IDS];
    size_t n_seen = 0;
    int bad = 0;
    bool junk_sent = false;
    for (;;) {
        zmq_msg_t ident, part;
        if (zmq_msg_init(&ident) != 0 || zmq_msg_init(&part) != 0)
            return 11;
        if (zmq_msg_recv(&ident, sock, 0) < 0 ||
            zmq_msg_recv(&part, sock, 0) < 0)
            return 12;
        bool delimited = zmq_msg_size(&part) == 0;
        if (delimited && zmq_msg_recv(&part, sock, 0) < 0)
            return 13;
        Survey__V1__Request *req = survey__v1__request__unpack(
            NULL, zmq_msg_size(&part), zmq_msg_data(&part));
        if (req == NULL)
            return 14;
        uint64_t id = req->request_id;
        bool form = req->body_case == SURVEY__V1__REQUEST__BODY_QUESTIONNAIRE;
        survey__v1__request__free_unpacked(req, NULL);
        if (id == STOP_ID) {
            if (peer_send(sock, &ident, delimited, id) != 0)
                return 15;
            break;
        }
        int count = 0; /* questionnaire requests are not noted */
        if (form && mode == PEER_FORMS) {
            if (peer_send_form(sock, &ident, delimited, id) != 0)
                return 17;
        } else {
            count = peer_note(seen, &n_seen, id, &part, &bad);
            if (count < 0)
                return 16;
        }
        bool answer = mode == PEER_LAZY ? count >= 2
                                        : mode == PEER_PIPE && id != 7 &&
                                              (id % 3 != 0 || count >= 2);
        if (mode == PEER_PIPE && !junk_sent) {
            if (peer_junk(sock, &ident, delimited) != 0)
                return 17;
            junk_sent = true;
        }
        if (answer && peer_send(sock, &ident, delimited, id) != 0)
            return 18;
        if (zmq_msg_close(&ident) != 0 || zmq_msg_close(&part) != 0)
            return 19;
    }
    for (size_t k = 0; mode == PEER_PIPE && k < n_seen; k++) {
        if (seen[k].id == 7 && seen[k].count != 2)
            bad++;
    }
    if (zmq_close(sock) != 0 || zmq_ctx_term(ctx) != 0)
        return 19;
    return bad == 0 ? 0 : 20 + bad;
}

static pid_t peer_start(const char *endpoint, peer_mode mode)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60); /* never outlive a failed test for long */
        _exit(peer_run(endpoint, mode));
    }
    return pid;
}

/* Stops the peer with a STOP_ID request; returns its exit status. */
static int peer_stop(const char *endpoint, pid_t pid)
{
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    req.request_id = STOP_ID;
    Survey__V1__Reply *reply = NULL;
    assert_int_equal(sv_harness_call(endpoint, &req, &reply, 5000), 0);
    survey__v1__reply__free_unpacked(reply, NULL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void temp_endpoint(char *dir, size_t dsize, char *ep, size_t esize)
{
    char tmpl[] = "/tmp/sv-client-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    snprintf(dir, dsize, "%s", tmpl);
    snprintf(ep, esize, "ipc://%s/peer.sock", tmpl);
}

static void remove_dir(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int64_t clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_rpc_times_out(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    sv_rpc *rpc = NULL;
    sv_error err = {""};
    assert_int_equal(sv_rpc_new(&rpc, ep, 60, 2, &err), SV_OK);
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    Survey__V1__Reply *reply = NULL;
    int64_t t0 = clock_ms();
    assert_int_equal(sv_rpc_call(rpc, &req, &reply, &err), SV_ERR_TIMEOUT);
    int64_t took = clock_ms() - t0;
    assert_null(reply);
    assert_true(took >= 180);
    char want[200];
    snprintf(want, sizeof want,
             "no reply from %s after 3 attempts (is the "
             "collector running there?",
             ep);
    assert_true(strncmp(err.msg, want, strlen(want)) == 0);
    sv_rpc_destroy(&rpc);
    assert_null(rpc);

    assert_int_equal(sv_rpc_new(&rpc, "nonsense://x", 60, 0, &err), SV_OK);
    assert_int_equal(sv_rpc_call(rpc, &req, &reply, &err), SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "cannot connect to nonsense://x"));
    sv_rpc_destroy(&rpc);
    remove_dir(dir);
}

static void test_rpc_lazy_pirate_resends_same_bytes(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = peer_start(ep, PEER_LAZY);
    sv_rpc *rpc = NULL;
    sv_error err = {""};
    assert_int_equal(sv_rpc_new(&rpc, ep, 300, 3, &err), SV_OK);
    Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    get.respondent = "010006";
    req.body_case = SURVEY__V1__REQUEST__BODY_GET;
    req.get = &get;
    for (int round = 0; round < 2; round++) {
        Survey__V1__Reply *reply = NULL;
        sv_status st = sv_rpc_call(rpc, &req, &reply, &err);
        if (st != SV_OK)
            fail_msg("call %d: %s", round, err.msg);
        assert_int_equal(reply->body_case, SURVEY__V1__REPLY__BODY_ACK);
        /* the rpc numbers its calls; the peer echoes the number */
        assert_int_equal(reply->ack->revision, round + 1);
        survey__v1__reply__free_unpacked(reply, NULL);
    }
    sv_rpc_destroy(&rpc);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

typedef struct {
    int calls[21];
    int answered[21];
    int sends[21];
} pipe_log;

static void on_pipe_reply(void *arg, size_t index, int sends,
                          const Survey__V1__Reply *reply)
{
    pipe_log *log = arg;
    log->calls[index]++;
    log->sends[index] = sends;
    if (reply != NULL && reply->body_case == SURVEY__V1__REPLY__BODY_ACK &&
        reply->ack->revision == index + 1 && reply->request_id == index + 1)
        log->answered[index]++;
}

static void test_rpc_pipeline(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = peer_start(ep, PEER_PIPE);
    uint8_t bufs[20][64];
    sv_rpc_item items[20];
    for (size_t i = 0; i < 20; i++) {
        Survey__V1__GetRequest get = SURVEY__V1__GET_REQUEST__INIT;
        Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
        get.respondent = "010006";
        req.body_case = SURVEY__V1__REQUEST__BODY_GET;
        req.get = &get;
        req.request_id = i + 1;
        items[i].id = i + 1;
        items[i].len = survey__v1__request__pack(&req, bufs[i]);
        items[i].data = bufs[i];
    }
    sv_rpc *rpc = NULL;
    sv_error err = {""};
    pipe_log log;
    memset(&log, 0, sizeof log);
    assert_int_equal(sv_rpc_new(&rpc, ep, 250, 1, &err), SV_OK);
    size_t sent = 0;
    /* 8 in flight: 7 is given up after its second try, and nothing is
       sent after that, so every other item must go out before. Until
       then 7 and the ids divisible by 3 hold at most 7 places, so one is
       always free and 19 and 20 go out in the first try's time. With 4
       in flight, 7, 12, 15 and 18 held all four until 7 was given up,
       and 19 and 20 were never sent (seen in CI, and most runs after) */
    sv_status st =
        sv_rpc_pipeline(rpc, items, 20, 8, on_pipe_reply, &log, &sent, &err);
    if (st != SV_OK)
        fail_msg("pipeline: %s", err.msg);
    /* 7 goes unanswered; the others, sent around it, all came back, those
       whose first send the peer ignored (ids divisible by 3) on the
       second (or later: a reply later than 250 ms on a loaded machine
       brings a resend of any item, so only the lower bound holds) */
    assert_int_equal(sent, 20);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(log.calls[i], 1);
        assert_int_equal(log.answered[i], i + 1 == 7 ? 0 : 1);
        if (i + 1 == 7)
            assert_int_equal(log.sends[i], 2); /* both attempts */
        else
            assert_true(log.sends[i] >= ((i + 1) % 3 == 0 ? 2 : 1));
    }
    sv_rpc_destroy(&rpc);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);

    /* one at a time (a new peer): once 7 goes unanswered, nothing after
       it is sent (the peer looks gone: a load does not go on for hours) */
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid = peer_start(ep, PEER_PIPE);
    assert_int_equal(sv_rpc_new(&rpc, ep, 250, 1, &err), SV_OK);
    memset(&log, 0, sizeof log);
    st = sv_rpc_pipeline(rpc, items, 20, 1, on_pipe_reply, &log, &sent, &err);
    if (st != SV_OK)
        fail_msg("pipeline: %s", err.msg);
    assert_int_equal(sent, 7);
    for (size_t i = 0; i < 20; i++) {
        assert_int_equal(log.calls[i], i < 7 ? 1 : 0);
        assert_int_equal(log.answered[i], i < 6 ? 1 : 0);
    }
    /* ids must increase */
    items[1].id = 1;
    assert_int_equal(
        sv_rpc_pipeline(rpc, items, 2, 4, on_pipe_reply, &log, &sent, &err),
        SV_ERR_INVALID);
    sv_rpc_destroy(&rpc);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

/* ---- the survey binary --------------------------------------------------- */

typedef struct {
    int code; /* exit code, or -1 */
    char *out;
    char *err;
} run_result;

static char *slurp_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    assert_non_null(m);
    char chunk[4096];
    for (;;) {
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got == 0)
            break;
        assert_int_equal(fwrite(chunk, 1, got, m), got);
    }
    assert_int_equal(ferror(f), 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(fclose(m), 0);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Starts survey with args (NULL-terminated) in the background, stdout and
 * stderr to files in dir, without the SURVEY_ variables of the test's
 * environment but with env ("NAME=value" strings, NULL-terminated; env
 * may be NULL). */
static pid_t survey_spawn_env(const char *dir, const char *const *env,
                              const char *const *args)
{
    char out[256], err[256];
    snprintf(out, sizeof out, "%s/survey.out", dir);
    snprintf(err, sizeof err, "%s/survey.err", dir);
    const char *argv[32];
    size_t n = 0;
    argv[n++] = SURVEY_BIN;
    for (size_t i = 0; args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 ||
            dup2(in, 0) < 0)
            _exit(126);
        unsetenv("SURVEY_ENDPOINT");
        unsetenv("SURVEY_ID");
        unsetenv("SURVEY_SECRET");
        unsetenv("SURVEY_SERVER_PUBLIC");
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            if (putenv((char *)env[i]) != 0)
                _exit(126);
        }
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

static pid_t survey_spawn(const char *dir, const char *const *args)
{
    return survey_spawn_env(dir, NULL, args);
}

static run_result survey_wait(const char *dir, pid_t pid)
{
    run_result r = {-1, NULL, NULL};
    int status;
    pid_t got;
    do {
        got = waitpid(pid, &status, 0);
    } while (got < 0 && errno == EINTR);
    assert_int_equal(got, pid);
    if (WIFEXITED(status))
        r.code = WEXITSTATUS(status);
    char path[256];
    snprintf(path, sizeof path, "%s/survey.out", dir);
    r.out = slurp_file(path);
    snprintf(path, sizeof path, "%s/survey.err", dir);
    r.err = slurp_file(path);
    return r;
}

static run_result survey_run(const char *dir, const char *const *args)
{
    return survey_wait(dir, survey_spawn(dir, args));
}

static run_result survey_run_env(const char *dir, const char *const *env,
                                 const char *const *args)
{
    return survey_wait(dir, survey_spawn_env(dir, env, args));
}

static void result_free(run_result *r)
{
    free(r->out);
    free(r->err);
}

static void expect_contains(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        fail_msg("expected '%s' in:\n%s", needle, text);
}

static void test_cli_usage(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    run_result r = survey_run(dir, (const char *[]){"--help", NULL});
    assert_int_equal(r.code, 0);
    static const char *const words[] = {"--endpoint",   "--survey",
                                        "--timeout",    "--retries",
                                        "--window",     "--json",
                                        "--help",       "submit",
                                        "load",         "get",
                                        "history",      "SURVEY_ENDPOINT",
                                        "SURVEY_ID",    "tcp://127.0.0.1:5555",
                                        "  0  success", "  1  rejected",
                                        "  2  usage",   "  3  no reply"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    result_free(&r);

    r = survey_run(dir, (const char *[]){"load", "--help", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "survey [OPTIONS] load FILE.jsonl");
    expect_contains(r.out, "--window");
    expect_contains(r.out, "--retries");
    expect_contains(r.out, "  3  no reply");
    expect_contains(r.out, "130 load: interrupted");
    result_free(&r);

    /* every format named; a missing file named without a position */
    r = survey_run(dir, (const char *[]){"snapshot", "-f", "pdf", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "text, md, csv, json, html or xlsx, not 'pdf'");
    result_free(&r);
    r = survey_run(dir, (const char *[]){"-e", ep, "submit",
                                         "/nonexistent/nope.json", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "cannot open /nonexistent/nope.json: No such file");
    assert_null(strstr(r.err, "-1"));
    result_free(&r);

    const char *const *bad[] = {
        (const char *[]){NULL},
        (const char *[]){"frob", "x", NULL},
        (const char *[]){"get", NULL},
        (const char *[]){"get", "a", "b", NULL},
        (const char *[]){"--timeout", "0", "get", "a", NULL},
        (const char *[]){"--retries", "x", "get", "a", NULL},
        (const char *[]){"--window", "4", "get", "a", NULL},
        (const char *[]){"get", "--json", "a", NULL},
        (const char *[]){"--bogus", "get", "a", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = survey_run(dir, bad[i]);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        assert_true(strlen(r.err) > 0);
        assert_int_equal(strlen(r.out), 0);
        result_free(&r);
    }

    /* unreadable or malformed input: exit 2 before any network traffic */
    r = survey_run(dir, (const char *[]){"--endpoint", ep, "submit",
                                         "/nonexistent.json", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "/nonexistent.json");
    result_free(&r);
    r = survey_run(dir, (const char *[]){"--endpoint", ep, "load",
                                         "/nonexistent.jsonl", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "cannot open /nonexistent.jsonl");
    result_free(&r);

    /* nobody there: exit 3 after 1 + retries attempts */
    r = survey_run(dir,
                   (const char *[]){"--endpoint", ep, "--timeout", "50",
                                    "--retries", "2", "get", "010006", NULL});
    assert_int_equal(r.code, 3);
    char want[400];
    snprintf(want, sizeof want,
             "survey: no reply from %s after 3 attempts (is the collector "
             "running there? one with CURVE does not answer a client without "
             "keys)\n",
             ep);
    assert_string_equal(r.err, want);
    result_free(&r);
    remove_dir(dir);
}

/* The text after "prefix" up to the end of its line, in buf. */
static void line_after(const char *text, const char *prefix, char *buf,
                       size_t size)
{
    const char *p = strstr(text, prefix);
    if (p == NULL)
        fail_msg("expected '%s' in:\n%s", prefix, text);
    p += strlen(prefix);
    size_t len = strcspn(p, "\n");
    assert_true(len < size);
    memcpy(buf, p, len);
    buf[len] = '\0';
}

static mode_t file_mode(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* survey keygen: the two files with their modes, keys that read back, the
 * printed public key and registry line, never an overwrite. */
static void test_cli_keygen(void **state)
{
    (void)state;
    char dir[64], ep[128], sec[200], pub[200];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    run_result r = survey_run(dir, (const char *[]){"keygen", "--help", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "survey [OPTIONS] keygen NAME");
    expect_contains(r.out, "--dir DIR");
    expect_contains(r.out, "NAME respondent KEY");
    expect_contains(r.out, "NAME admin KEY");
    expect_contains(r.out, "SURVEY_SECRET");
    result_free(&r);

    static const struct {
        const char *name, *role;
    } keys[] = {{"010006", "respondent"}, {"tanaka", "admin"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *name = keys[i].name;
        r = survey_run(dir,
                       (const char *[]){"keygen", name, "--dir", dir, NULL});
        if (r.code != 0)
            fail_msg("keygen %s: exit %d: %s", name, r.code, r.err);
        assert_string_equal(r.err, "");
        snprintf(sec, sizeof sec, "%s/%s.secret", dir, name);
        snprintf(pub, sizeof pub, "%s/%s.pub", dir, name);
        assert_int_equal(file_mode(sec), 0600);
        assert_int_equal(file_mode(pub), 0644);
        expect_contains(r.out, sec);
        expect_contains(r.out, pub);
        char key[SV_Z85_KEY_LEN + 1], secret[SV_Z85_KEY_LEN + 1];
        char file_pub[SV_Z85_KEY_LEN + 1], line[200], want[200];
        sv_error err = {""};
        if (sv_keyfile_read(sec, key, secret, &err) != SV_OK)
            fail_msg("%s", err.msg);
        if (sv_keyfile_read(pub, file_pub, NULL, &err) != SV_OK)
            fail_msg("%s", err.msg);
        assert_string_equal(key, file_pub);
        assert_string_not_equal(key, secret);
        line_after(r.out, "\npublic key: ", line, sizeof line);
        assert_string_equal(line, file_pub);
        snprintf(want, sizeof want, "\n%s %s %s\n", name, keys[i].role,
                 file_pub);
        expect_contains(r.out, want);
        result_free(&r);

        /* again: refused, the files as they were */
        char *sec_before = slurp_file(sec), *pub_before = slurp_file(pub);
        r = survey_run(dir,
                       (const char *[]){"--dir", dir, "keygen", name, NULL});
        assert_int_equal(r.code, 2);
        assert_string_equal(r.out, "");
        expect_contains(r.err, sec);
        expect_contains(r.err, "never overwritten");
        result_free(&r);
        char *sec_after = slurp_file(sec), *pub_after = slurp_file(pub);
        assert_string_equal(sec_before, sec_after);
        assert_string_equal(pub_before, pub_after);
        assert_int_equal(file_mode(sec), 0600);
        free(sec_before);
        free(pub_before);
        free(sec_after);
        free(pub_after);
    }

    /* a lone .pub left over: still nothing written */
    snprintf(pub, sizeof pub, "%s/lone.pub", dir);
    write_file(pub, "not a key\n");
    r = survey_run(dir, (const char *[]){"keygen", "lone", "--dir", dir, NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "lone.pub exists");
    result_free(&r);
    snprintf(sec, sizeof sec, "%s/lone.secret", dir);
    assert_int_equal(access(sec, F_OK), -1);

    const char *const *bad[] = {
        (const char *[]){"keygen", NULL},
        (const char *[]){"keygen", "a", "b", NULL},
        (const char *[]){"keygen", "a/b", "--dir", dir, NULL},
        (const char *[]){"keygen", "a b", "--dir", dir, NULL},
        (const char *[]){"keygen", "x", "--dir", "/nonexistent/dir", NULL},
        (const char *[]){"--dir", dir, "get", "010006", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = survey_run(dir, bad[i]);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        assert_true(strlen(r.err) > 0);
        assert_int_equal(strlen(r.out), 0);
        result_free(&r);
    }
    remove_dir(dir);
}

/* The key options: help, both or neither, unreadable or malformed key
 * files named (exit 2, before any network traffic). */
static void test_cli_key_options(void **state)
{
    (void)state;
    char dir[64], ep[128], sec[200], pub[200], junk[200], env1[300], env2[300];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    run_result r = survey_run(dir, (const char *[]){"--help", NULL});
    assert_int_equal(r.code, 0);
    static const char *const words[] = {
        "\n  keygen        NAME ", "--secret FILE",
        "--server-public FILE",    "SURVEY_SECRET",
        "SURVEY_SERVER_PUBLIC",    "--dir DIR",
        "does not answer at",      "(exit 3)"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    result_free(&r);

    sv_error err = {""};
    if (sv_keyfile_generate(dir, "c", NULL, &err) != SV_OK)
        fail_msg("%s", err.msg);
    snprintf(sec, sizeof sec, "%s/c.secret", dir);
    snprintf(pub, sizeof pub, "%s/c.pub", dir);
    snprintf(junk, sizeof junk, "%s/junk", dir);
    write_file(junk, "curve\n    public-key = \"short\"\n");
    snprintf(env1, sizeof env1, "SURVEY_SECRET=%s", sec);
    snprintf(env2, sizeof env2, "SURVEY_SERVER_PUBLIC=%s", pub);

    /* one without the other: a usage error */
    static const struct {
        const char *env;
        const char *args[8];
        const char *says;
    } lone[] = {
        {NULL, {"--secret", "S", "get", "010006", NULL}, "--secret without"},
        {NULL,
         {"--server-public", "P", "get", "010006", NULL},
         "--server-public without"},
        {"E1", {"get", "010006", NULL}, "--secret without"},
        {"E2", {"status", NULL}, "--server-public without"},
        {"E2",
         {"--server-public", "P", "history", "010006", NULL},
         "--server-public without"},
    };
    for (size_t i = 0; i < sizeof lone / sizeof lone[0]; i++) {
        const char *env[] = {NULL, NULL};
        if (lone[i].env != NULL)
            env[0] = strcmp(lone[i].env, "E1") == 0 ? env1 : env2;
        const char *args[8];
        for (size_t k = 0; k < 8; k++) {
            const char *a = lone[i].args[k];
            args[k] = a == NULL             ? NULL
                      : strcmp(a, "S") == 0 ? sec
                      : strcmp(a, "P") == 0 ? pub
                                            : a;
            if (a == NULL)
                break;
        }
        r = survey_run_env(dir, env, args);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        expect_contains(r.err, lone[i].says);
        assert_string_equal(r.out, "");
        result_free(&r);
    }

    /* unreadable or malformed key files: exit 2, naming the file */
    const char *const *bad[] = {
        (const char *[]){"--secret", pub, "--server-public", pub, "-e", ep,
                         "get", "010006", NULL},
        (const char *[]){"--secret", "/nonexistent.secret", "--server-public",
                         pub, "-e", ep, "get", "010006", NULL},
        (const char *[]){"--secret", sec, "--server-public", junk, "-e", ep,
                         "get", "010006", NULL},
        (const char *[]){"--secret", sec, "--server-public", "/nonexistent.pub",
                         "-e", ep, "load", junk, NULL},
    };
    const char *names[] = {pub, "/nonexistent.secret", junk,
                           "/nonexistent.pub"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = survey_run(dir, bad[i]);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        expect_contains(r.err, names[i]);
        assert_string_equal(r.out, "");
        result_free(&r);
    }

    /* keys in order but nobody there: no reply, exit 3 */
    r = survey_run_env(dir, (const char *[]){env1, env2, NULL},
                       (const char *[]){"-e", ep, "--timeout", "50",
                                        "--retries", "0", "get", "010006",
                                        NULL});
    assert_int_equal(r.code, 3);
    expect_contains(r.err, "no reply from");
    result_free(&r);

    /* sv_rpc_set_curve checks the keys it is given */
    char k[SV_Z85_KEY_LEN + 1], s[SV_Z85_KEY_LEN + 1];
    assert_int_equal(sv_keyfile_read(sec, k, s, NULL), SV_OK);
    sv_rpc *rpc = NULL;
    assert_int_equal(sv_rpc_new(&rpc, ep, 50, 0, &err), SV_OK);
    assert_int_equal(sv_rpc_set_curve(rpc, "short", k, s, &err),
                     SV_ERR_INVALID);
    char not_z85[SV_Z85_KEY_LEN + 1];
    memset(not_z85, '~', SV_Z85_KEY_LEN);
    not_z85[SV_Z85_KEY_LEN] = '\0';
    assert_int_equal(sv_rpc_set_curve(rpc, k, k, not_z85, &err),
                     SV_ERR_INVALID);
    assert_int_equal(sv_rpc_set_curve(rpc, k, k, s, &err), SV_OK);
    sv_rpc_destroy(&rpc);
    remove_dir(dir);
}

/* A load whose submissions all go unanswered: every line is listed,
 * exit 3. The peer answers the questionnaire request only. */
static void sleep_ms(int ms);

static void test_cli_load_unanswered(void **state)
{
    (void)state;
    char dir[64], ep[128], path[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = peer_start(ep, PEER_FORMS);
    snprintf(path, sizeof path, "%s/l.jsonl", dir);
    write_file(path,
               "{\"respondent\": \"010006\", \"answers\": {\"holders\": 1}}\n"
               "{\"respondent\": \"020001\", \"answers\": {\"holders\": 2}}\n");
    run_result r =
        survey_run(dir, (const char *[]){"-e", ep, "--timeout", "100",
                                         "--retries", "1", "load", path, NULL});
    assert_int_equal(r.code, 3);
    assert_string_equal(r.out,
                        "loaded 2 submissions: 0 accepted (0 incomplete), "
                        "0 duplicates, 0 rejected, 2 unanswered\n"
                        "  line 1 (010006): no reply after 2 attempts\n"
                        "  line 2 (020001): no reply after 2 attempts\n");
    assert_string_equal(r.err, "");
    result_free(&r);

    /* one at a time: once line 1 goes unanswered the collector looks
       gone, and the rest is not sent (it used to be, line after line,
       for as long as their timeouts took) */
    write_file(path,
               "{\"respondent\": \"010006\", \"answers\": {\"holders\": 1}}\n"
               "{\"respondent\": \"020001\", \"answers\": {\"holders\": 2}}\n"
               "{\"respondent\": \"030007\", \"answers\": {\"holders\": 3}}\n");
    r = survey_run(dir,
                   (const char *[]){"-e", ep, "--timeout", "100", "--retries",
                                    "1", "load", "--window", "1", path, NULL});
    assert_int_equal(r.code, 3);
    assert_string_equal(
        r.out, "loaded 1 of 3 submissions: 0 accepted (0 incomplete), "
               "0 duplicates, 0 rejected, 1 unanswered\n"
               "  line 1 (010006): no reply after 2 attempts\n"
               "  2 lines not sent, from line 2 on: the collector stopped "
               "answering; load the same file again to send them (the "
               "lines stored already come back as duplicates)\n");
    result_free(&r);

    /* a byte order mark before the first line is not part of it */
    write_file(path, "\xEF\xBB\xBF{\"respondent\": \"010006\", "
                     "\"answers\": {\"holders\": 1}}\n");
    r = survey_run(dir, (const char *[]){"-e", ep, "--timeout", "100",
                                         "--retries", "0", "load", path, NULL});
    assert_int_equal(r.code, 3);
    assert_null(strstr(r.out, "bad JSON"));
    expect_contains(r.out, "1 unanswered\n  line 1 (010006): no reply");
    result_free(&r);
    write_file(path,
               "{\"respondent\": \"010006\", \"answers\": {\"holders\": 1}}\n"
               "{\"respondent\": \"020001\", \"answers\": {\"holders\": 2}}\n"
               "{\"respondent\": \"030007\", \"answers\": {\"holders\": 3}}\n");

    /* Ctrl-C: what is in flight is seen through, then the summary */
    pid_t load = survey_spawn(
        dir, (const char *[]){"-e", ep, "--timeout", "2000", "--retries", "0",
                              "load", "--window", "1", path, NULL});
    sleep_ms(500);
    assert_int_equal(kill(load, SIGINT), 0);
    r = survey_wait(dir, load);
    assert_int_equal(r.code, 130);
    expect_contains(r.out, "loaded 1 of 3 submissions: ");
    expect_contains(r.out, "2 lines not sent, from line 2 on: interrupted; "
                           "load the same file again");
    result_free(&r);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static size_t count_lines_starting(const char *text, const char *prefix)
{
    size_t n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p != NULL && *p != '\0';) {
        if (strncmp(p, prefix, len) == 0)
            n++;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return n;
}

/* ---- snapshots: a small hand-built one ---------------------------------- */

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

/* Appends item to the malloc'd array *arr of *n pointers. */
static void push(void *arr, size_t *n, void *item)
{
    void ***a = arr;
    void **grown = realloc(*a, (*n + 1) * sizeof **a);
    assert_non_null(grown);
    grown[(*n)++] = item;
    *a = grown;
}

static Survey__V1__Figure *fig(const char *type, uint32_t count, uint32_t n,
                               const char *percent)
{
    Survey__V1__Figure *f = malloc(sizeof *f);
    assert_non_null(f);
    survey__v1__figure__init(f);
    f->respondent_type = xstrdup(type);
    f->count = count;
    f->n = n;
    f->percent = xstrdup(percent);
    return f;
}

static Survey__V1__Rate *sample_rate(const char *question, const char *label,
                                     Survey__V1__Figure *a,
                                     Survey__V1__Figure *b,
                                     Survey__V1__Figure *c)
{
    Survey__V1__Rate *r = malloc(sizeof *r);
    assert_non_null(r);
    survey__v1__rate__init(r);
    r->question = xstrdup(question);
    r->label = xstrdup(label);
    r->option = xstrdup("yes");
    push(&r->figures, &r->n_figures, a);
    push(&r->figures, &r->n_figures, b);
    push(&r->figures, &r->n_figures, c);
    return r;
}

static Survey__V1__OptionFigures *
sample_option(const char *option, const char *label, Survey__V1__Figure *a,
              Survey__V1__Figure *b, Survey__V1__Figure *c)
{
    Survey__V1__OptionFigures *o = malloc(sizeof *o);
    assert_non_null(o);
    survey__v1__option_figures__init(o);
    o->option = xstrdup(option);
    o->label = xstrdup(label);
    push(&o->figures, &o->n_figures, a);
    push(&o->figures, &o->n_figures, b);
    push(&o->figures, &o->n_figures, c);
    return o;
}

static const char *const sample_codes[] = {"010006", "020001", "011002"};
static const char *const sample_names[] = {"北海道", "青森県", "札幌市"};
static const char *const sample_types[] = {"都道府県", "都道府県", "指定都市"};

static Survey__V1__Matrix *sample_matrix(void)
{
    static const char *const cells[3][2] = {
        {"2203", "○"}, {"585", "×"}, {"2058", "-"}};
    static const char *const types[] = {"all", "都道府県", "指定都市"};
    static const int64_t sums[] = {4846, 2788, 2058};
    static const uint32_t ns[] = {3, 2, 1};
    Survey__V1__Matrix *m = malloc(sizeof *m);
    assert_non_null(m);
    survey__v1__matrix__init(m);
    for (size_t i = 0; i < 2; i++) {
        Survey__V1__MatrixColumn *c = malloc(sizeof *c);
        assert_non_null(c);
        survey__v1__matrix_column__init(c);
        c->question = xstrdup(i == 0 ? "holders" : "consult");
        c->label = xstrdup(i == 0 ? "受給者証保有者数" : "相談支援事業");
        c->sum = i == 0;
        push(&m->columns, &m->n_columns, c);
    }
    for (size_t i = 0; i < 3; i++) {
        Survey__V1__MatrixRow *r = malloc(sizeof *r);
        assert_non_null(r);
        survey__v1__matrix_row__init(r);
        r->respondent = xstrdup(sample_codes[i]);
        r->name = xstrdup(sample_names[i]);
        r->respondent_type = xstrdup(sample_types[i]);
        for (size_t k = 0; k < 2; k++)
            push(&r->cells, &r->n_cells, xstrdup(cells[i][k]));
        push(&m->rows, &m->n_rows, r);
    }
    for (size_t i = 0; i < 3; i++) {
        Survey__V1__MatrixTotal *t = malloc(sizeof *t);
        assert_non_null(t);
        survey__v1__matrix_total__init(t);
        t->question = xstrdup("holders");
        t->respondent_type = xstrdup(types[i]);
        t->sum = sums[i];
        t->n = ns[i];
        push(&m->totals, &m->n_totals, t);
    }
    return m;
}

static Survey__V1__Frequency *sample_frequency(void)
{
    Survey__V1__Frequency *f = malloc(sizeof *f);
    assert_non_null(f);
    survey__v1__frequency__init(f);
    f->question = xstrdup("consult_channel");
    f->label = xstrdup("相談受付方法");
    f->multiple = true;
    f->group = xstrdup("consult");
    f->group_label = xstrdup("相談支援事業");
    push(&f->options, &f->n_options,
         sample_option("counter", "窓口", fig("all", 2, 3, "67"),
                       fig("都道府県", 1, 2, "50"),
                       fig("指定都市", 1, 1, "100")));
    push(&f->options, &f->n_options,
         sample_option("phone", "電話", fig("all", 3, 3, "100"),
                       fig("都道府県", 2, 2, "100"),
                       fig("指定都市", 1, 1, "100")));
    push(&f->answered, &f->n_answered, fig("all", 3, 3, "100"));
    push(&f->answered, &f->n_answered, fig("都道府県", 2, 2, "100"));
    push(&f->answered, &f->n_answered, fig("指定都市", 1, 1, "100"));
    return f;
}

static Survey__V1__Listing *sample_listing(void)
{
    static const char *const texts[] = {"一般財団法人北海道難病連", NULL,
                                        "一行目\n二行目"};
    Survey__V1__Listing *l = malloc(sizeof *l);
    assert_non_null(l);
    survey__v1__listing__init(l);
    l->question = xstrdup("supporter_contractor");
    l->label = xstrdup("外部委託先");
    l->group = xstrdup("supporter");
    l->group_label = xstrdup("自立支援員による支援");
    for (size_t i = 0; i < 3; i++) {
        if (texts[i] == NULL)
            continue;
        Survey__V1__ListEntry *e = malloc(sizeof *e);
        assert_non_null(e);
        survey__v1__list_entry__init(e);
        e->respondent = xstrdup(sample_codes[i]);
        e->name = xstrdup(sample_names[i]);
        e->respondent_type = xstrdup(sample_types[i]);
        e->text = xstrdup(texts[i]);
        push(&l->entries, &l->n_entries, e);
    }
    return l;
}

static Survey__V1__Program *sample_program(void)
{
    Survey__V1__Program *p = malloc(sizeof *p);
    assert_non_null(p);
    survey__v1__program__init(p);
    p->question = xstrdup("consult");
    p->label = xstrdup("相談支援事業");
    p->option = xstrdup("yes");
    for (size_t i = 0; i < 2; i++) {
        Survey__V1__RespondentRef *r = malloc(sizeof *r);
        assert_non_null(r);
        survey__v1__respondent_ref__init(r);
        r->respondent = xstrdup(sample_codes[i]);
        r->name = xstrdup(sample_names[i]);
        r->respondent_type = xstrdup(sample_types[i]);
        push(&p->respondents, &p->n_respondents, r);
    }
    return p;
}

static Survey__V1__Completeness *sample_completeness(void)
{
    static const struct {
        const char *type;
        uint32_t counts[4];
        const char *rates[2];
    } figs[] = {{"all", {3, 1, 1, 1}, {"67", "33"}},
                {"都道府県", {2, 1, 1, 0}, {"100", "50"}},
                {"指定都市", {1, 0, 0, 1}, {"0", "0"}}};
    static const Survey__V1__RespondentStatus__State states[] = {
        SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE,
        SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE,
        SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED};
    Survey__V1__Completeness *c = malloc(sizeof *c);
    assert_non_null(c);
    survey__v1__completeness__init(c);
    for (size_t i = 0; i < 3; i++) {
        Survey__V1__CompletenessFigure *f = malloc(sizeof *f);
        assert_non_null(f);
        survey__v1__completeness_figure__init(f);
        f->respondent_type = xstrdup(figs[i].type);
        f->expected = figs[i].counts[0];
        f->complete = figs[i].counts[1];
        f->incomplete = figs[i].counts[2];
        f->not_started = figs[i].counts[3];
        f->response_rate = xstrdup(figs[i].rates[0]);
        f->complete_rate = xstrdup(figs[i].rates[1]);
        push(&c->figures, &c->n_figures, f);
    }
    for (size_t i = 0; i < 3; i++) {
        Survey__V1__RespondentStatus *r = malloc(sizeof *r);
        assert_non_null(r);
        survey__v1__respondent_status__init(r);
        r->respondent = xstrdup(sample_codes[i]);
        r->name = xstrdup(sample_names[i]);
        r->respondent_type = xstrdup(sample_types[i]);
        r->state = states[i];
        r->revision = i == 0 ? 2 : i == 1 ? 1 : 0;
        if (i == 1) {
            push(&r->missing, &r->n_missing, xstrdup("consult_channel"));
            push(&r->missing, &r->n_missing, xstrdup("holders"));
        }
        push(&c->respondents, &c->n_respondents, r);
    }
    return c;
}

/* Two types, three respondents; version 4 reflecting sequence 17. With
 * header_only, what the aggregator publishes: the header, the rates and
 * the completeness. Free with survey__v1__snapshot__free_unpacked. */
static Survey__V1__Snapshot *sample_snapshot(bool header_only)
{
    Survey__V1__Snapshot *s = malloc(sizeof *s);
    assert_non_null(s);
    survey__v1__snapshot__init(s);
    s->survey = xstrdup("s");
    s->version = 4;
    s->sequence = 17;
    s->questionnaire_version = xstrdup("2024.1");
    s->created_ms = 1795557600123LL;
    s->digest.len = 32;
    s->digest.data = malloc(32);
    assert_non_null(s->digest.data);
    for (size_t i = 0; i < 32; i++)
        s->digest.data[i] = (uint8_t)((i % 16) * 17);
    s->trigger = xstrdup("changes");
    s->title = xstrdup("テスト調査");
    push(&s->respondent_types, &s->n_respondent_types, xstrdup("都道府県"));
    push(&s->respondent_types, &s->n_respondent_types, xstrdup("指定都市"));
    push(&s->rates, &s->n_rates,
         sample_rate("consult", "相談支援事業", fig("all", 34, 80, "43"),
                     fig("都道府県", 30, 60, "50"),
                     fig("指定都市", 4, 20, "20")));
    push(&s->rates, &s->n_rates,
         sample_rate("odd", "相談, \"窓口\"", fig("all", 0, 0, ""),
                     fig("都道府県", 0, 0, ""), fig("指定都市", 0, 0, "")));
    s->completeness = sample_completeness();
    if (header_only)
        return s;
    s->matrix = sample_matrix();
    push(&s->frequencies, &s->n_frequencies, sample_frequency());
    push(&s->listings, &s->n_listings, sample_listing());
    push(&s->programs, &s->n_programs, sample_program());
    return s;
}

/* s written in format, as a string the caller frees. */
static char *render(const Survey__V1__Snapshot *s, sv_format format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    sv_error err = {""};
    sv_status st = sv_snapshot_write(f, s, format, &err);
    if (st != SV_OK)
        fail_msg("sv_snapshot_write: %s", err.msg);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static const char sample_csv[] =
    "section,question,option,label,respondent_type,count,n,percent\n"
    "rates,consult,yes,相談支援事業,all,34,80,43\n"
    "rates,consult,yes,相談支援事業,都道府県,30,60,50\n"
    "rates,consult,yes,相談支援事業,指定都市,4,20,20\n"
    "rates,odd,yes,\"相談, \"\"窓口\"\"\",all,0,0,\n"
    "rates,odd,yes,\"相談, \"\"窓口\"\"\",都道府県,0,0,\n"
    "rates,odd,yes,\"相談, \"\"窓口\"\"\",指定都市,0,0,\n"
    "frequency,consult_channel,counter,窓口,all,2,3,67\n"
    "frequency,consult_channel,counter,窓口,都道府県,1,2,50\n"
    "frequency,consult_channel,counter,窓口,指定都市,1,1,100\n"
    "frequency,consult_channel,phone,電話,all,3,3,100\n"
    "frequency,consult_channel,phone,電話,都道府県,2,2,100\n"
    "frequency,consult_channel,phone,電話,指定都市,1,1,100\n"
    "matrix_total,holders,,受給者証保有者数,all,4846,3,\n"
    "matrix_total,holders,,受給者証保有者数,都道府県,2788,2,\n"
    "matrix_total,holders,,受給者証保有者数,指定都市,2058,1,\n"
    "completeness,,complete,完了,all,1,3,33\n"
    "completeness,,incomplete,回答途中,all,1,3,\n"
    "completeness,,not_started,未回答,all,1,3,\n"
    "completeness,,responded,回答済,all,2,3,67\n"
    "completeness,,complete,完了,都道府県,1,2,50\n"
    "completeness,,incomplete,回答途中,都道府県,1,2,\n"
    "completeness,,not_started,未回答,都道府県,0,2,\n"
    "completeness,,responded,回答済,都道府県,2,2,100\n"
    "completeness,,complete,完了,指定都市,0,1,0\n"
    "completeness,,incomplete,回答途中,指定都市,0,1,\n"
    "completeness,,not_started,未回答,指定都市,1,1,\n"
    "completeness,,responded,回答済,指定都市,0,1,0\n";

static void test_snapshot_csv(void **state)
{
    (void)state;
    Survey__V1__Snapshot *s = sample_snapshot(false);
    char *csv = render(s, SV_FORMAT_CSV);
    assert_string_equal(csv, sample_csv);
    free(csv);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

/* Snapshots of very large rosters leave out the per-respondent rows, and
 * the text says so. */
static void test_snapshot_text_says_detail_omitted(void **state)
{
    (void)state;
    Survey__V1__Snapshot *s = sample_snapshot(false);
    char *text = render(s, SV_FORMAT_TEXT);
    assert_null(strstr(text, "省略しています"));
    free(text);
    s->respondent_detail_omitted = true;
    text = render(s, SV_FORMAT_TEXT);
    assert_non_null(strstr(text, "団体別の行"));
    /* the parts that list respondents say they are left out, never that
       there are none; the completeness lists count from the figures */
    assert_non_null(strstr(text, "回答一覧\n--------\n\n  （省略：回答団体が"
                                 "多いため、団体別の行は載せていません）\n"));
    assert_non_null(strstr(text, "実施自治体\n----------\n\n  （省略：回答団体"
                                 "が多いため、団体別の行は載せていません）\n"));
    assert_non_null(strstr(text,
                           "各自治体の事業実施状況\n----------------------"
                           "---\n\n  （省略：回答団体が多いため、団体別の"
                           "行は載せていません）\n\n"));
    assert_null(strstr(text, "（なし）"));
    assert_null(strstr(text, "＜実施自治体＞"));
    assert_non_null(strstr(text, "未回答 (1):\n  （一覧は省略：回答団体が多い"
                                 "ため）\n"));
    free(text);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

static void test_csv_quoting(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
        {"相談, \"窓口\"", "\"相談, \"\"窓口\"\"\""},
        {"semi;colon 'q'", "semi;colon 'q'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f;
        char *buf;
        size_t len;
        capture_begin(&f, &buf, &len);
        sv_csv_field(f, cases[i][0]);
        assert_string_equal(capture_end(f, &buf), cases[i][1]);
        free(buf);
    }
}

/* Every line of a Markdown table has as many unescaped pipes as the
 * header. Returns the number of table lines. */
static size_t check_md_tables(const char *md)
{
    size_t lines = 0, want = 0;
    bool in_table = false;
    for (const char *p = md; *p != '\0';) {
        const char *end = strchr(p, '\n');
        assert_non_null(end);
        if (*p == '|') {
            size_t pipes = 0;
            for (const char *q = p; q < end; q++) {
                if (*q == '\\')
                    q++;
                else if (*q == '|')
                    pipes++;
            }
            if (!in_table)
                want = pipes;
            if (pipes != want)
                fail_msg("table line with %zu pipes, not %zu: %.*s", pipes,
                         want, (int)(end - p), p);
            assert_int_equal(end[-1], '|');
            in_table = true;
            lines++;
        } else {
            in_table = false;
        }
        p = end + 1;
    }
    return lines;
}

static void test_snapshot_md(void **state)
{
    (void)state;
    Survey__V1__Snapshot *s = sample_snapshot(false);
    char *md = render(s, SV_FORMAT_MD);
    assert_int_equal(strncmp(md, "# テスト調査\n\n- 調査: s\n", 26), 0);
    expect_contains(md, "- スナップショット版: 4\n- 反映した変更ログ: 17\n"
                        "- 作成日時 (UTC): 2026-11-24T22:00:00.123Z\n");
    expect_contains(md, "- ダイジェスト: 00112233445566778899aabbccddeeff"
                        "00112233445566778899aabbccddeeff\n");
    expect_contains(md, "\n## 1-5. 実施率\n\n"
                        "| 事業名 | 実施率 |\n"
                        "| --- | ---: |\n"
                        "| 相談支援事業 | 43% (34/80) |\n"
                        "| 相談, \"窓口\" | - (0/0) |\n\n");
    expect_contains(md, "\n### 2. 各自治体の事業実施状況：都道府県\n\n"
                        "| \\# | 自治体名 | 受給者証保有者数 | 相談支援事業 |\n"
                        "| ---: | --- | ---: | --- |\n"
                        "| 1 | 北海道 | 2,203 | ○ |\n"
                        "| 2 | 青森県 | 585 | × |\n"
                        "|  | 計 | 2,788 |  |\n\n");
    expect_contains(md, "| 3 | 札幌市 | 2,058 | - |\n");
    expect_contains(md, "| 全体 | 4,846 (n=3) |\n");
    expect_contains(md, "| 相談受付方法 (複数回答) | 窓口 | 67% (2/3) | 3 |\n"
                        "|  | 電話 | 100% (3/3) |  |\n");
    expect_contains(md, "### 自立支援員による支援：外部委託先\n\n"
                        "- 北海道: 一般財団法人北海道難病連\n"
                        "- 札幌市: 一行目<br>二行目\n");
    expect_contains(md, "### 相談支援事業 ＜実施自治体＞ (2)\n\n"
                        "北海道、青森県\n");
    expect_contains(md, "| 区分 | 対象 | 完了 | 回答途中 | 未回答 | 回答率 | "
                        "完了率 |\n");
    expect_contains(md, "| 指定都市 | 1 | 0 | 0 | 1 | 0% | 0% |\n");
    expect_contains(md, "**未回答 (1)**\n\n- 札幌市 (011002)\n");
    /* a missing question by the label the snapshot's tables give it */
    expect_contains(md, "**回答途中 (1)**\n\n- 青森県 (020001): 未回答の設問: "
                        "相談受付方法 (consult\\_channel), 受給者証保有者数 "
                        "(holders)\n");
    assert_true(check_md_tables(md) >= 20);
    free(md);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

static void test_snapshot_text(void **state)
{
    (void)state;
    Survey__V1__Snapshot *s = sample_snapshot(false);
    char *text = render(s, SV_FORMAT_TEXT);
    /* columns padded by display width: kanji count two */
    expect_contains(text, "1-5. 実施率\n-----------\n\n"
                          "事業名             実施率\n"
                          "-------------------------\n"
                          "相談支援事業  43% (34/80)\n"
                          "相談, \"窓口\"      - (0/0)\n\n");
    expect_contains(text, "■ 2. 各自治体の事業実施状況：都道府県\n\n"
                          "#  自治体名  受給者証保有者数  相談支援事業\n"
                          "-------------------------------------------\n"
                          "1  北海道               2,203  ○\n"
                          "2  青森県                 585  ×\n"
                          "   計                   2,788\n\n");
    expect_contains(text, "  札幌市: 一行目\n    二行目\n");
    expect_contains(text, "回答途中 (1):\n"
                          "  青森県 (020001): 未回答の設問: "
                          "相談受付方法 (consult_channel), 受給者証保有者数 "
                          "(holders)\n");
    /* no line ends in a blank */
    assert_null(strstr(text, " \n"));
    free(text);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

static void test_snapshot_json(void **state)
{
    (void)state;
    Survey__V1__Snapshot *s = sample_snapshot(false);
    char *text = render(s, SV_FORMAT_JSON);
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        fail_msg("not JSON: %s\n%s", jerr.text, text);
    /* proto field order */
    static const char *const keys[] = {"survey",
                                       "version",
                                       "sequence",
                                       "questionnaire_version",
                                       "created_ms",
                                       "digest",
                                       "trigger",
                                       "decimals",
                                       "title",
                                       "respondent_types",
                                       "rates",
                                       "matrix",
                                       "frequencies",
                                       "listings",
                                       "programs",
                                       "completeness",
                                       "respondent_detail_omitted"};
    size_t k = 0;
    for (void *it = json_object_iter(doc); it != NULL;
         it = json_object_iter_next(doc, it), k++) {
        assert_true(k < sizeof keys / sizeof keys[0]);
        assert_string_equal(json_object_iter_key(it), keys[k]);
    }
    assert_int_equal(k, sizeof keys / sizeof keys[0]);
    assert_string_equal(json_string_value(json_object_get(doc, "survey")), "s");
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 4);
    assert_int_equal(json_integer_value(json_object_get(doc, "sequence")), 17);
    assert_int_equal(json_integer_value(json_object_get(doc, "created_ms")),
                     1795557600123LL);
    assert_string_equal(json_string_value(json_object_get(doc, "digest")),
                        "00112233445566778899aabbccddeeff"
                        "00112233445566778899aabbccddeeff");
    json_t *rate = json_array_get(json_object_get(doc, "rates"), 0);
    json_t *f0 = json_array_get(json_object_get(rate, "figures"), 0);
    assert_string_equal(json_string_value(json_object_get(rate, "label")),
                        "相談支援事業");
    assert_string_equal(
        json_string_value(json_object_get(f0, "respondent_type")), "all");
    assert_int_equal(json_integer_value(json_object_get(f0, "count")), 34);
    assert_int_equal(json_integer_value(json_object_get(f0, "n")), 80);
    assert_string_equal(json_string_value(json_object_get(f0, "percent")),
                        "43");
    json_t *m = json_object_get(doc, "matrix");
    json_t *row = json_array_get(json_object_get(m, "rows"), 0);
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(row, "cells"), 0)),
        "2203");
    assert_true(json_is_true(json_object_get(
        json_array_get(json_object_get(m, "columns"), 0), "sum")));
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(m, "totals"), 0), "sum")),
        4846);
    json_t *who = json_array_get(
        json_object_get(json_object_get(doc, "completeness"), "respondents"),
        1);
    assert_string_equal(json_string_value(json_object_get(who, "state")),
                        "INCOMPLETE");
    assert_int_equal(json_array_size(json_object_get(who, "missing")), 2);
    json_t *entries = json_object_get(
        json_array_get(json_object_get(doc, "listings"), 0), "entries");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(entries, 1), "text")),
        "一行目\n二行目");
    json_decref(doc);
    free(text);
    /* a header-only snapshot: absent matrix is null, empty lists [] */
    survey__v1__snapshot__free_unpacked(s, NULL);
    s = sample_snapshot(true);
    text = render(s, SV_FORMAT_JSON);
    doc = json_loads(text, 0, &jerr);
    assert_non_null(doc);
    assert_true(json_is_null(json_object_get(doc, "matrix")));
    assert_int_equal(json_array_size(json_object_get(doc, "listings")), 0);
    json_decref(doc);
    free(text);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(sv_width(""), 0);
    assert_int_equal(sv_width("abc"), 3);
    assert_int_equal(sv_width("北海道"), 6);
    assert_int_equal(sv_width("ひらがなカタカナ"), 16);
    assert_int_equal(sv_width("○×-"), 3);      /* ambiguous: narrow */
    assert_int_equal(sv_width("ｱｲｳ"), 3);      /* halfwidth katakana */
    assert_int_equal(sv_width("ＡＢ（）"), 8); /* fullwidth forms */
    assert_int_equal(sv_width("＜実施自治体＞"), 14);
    assert_int_equal(sv_width("e\xcc\x81"), 1); /* e + combining acute */
    assert_int_equal(sv_width("\xff\xfe"), 2);  /* invalid bytes: 1 each */
    assert_int_equal(sv_width("\xe5\x8c"), 2);  /* truncated sequence */
    assert_int_equal(sv_width("한국"), 4);
    assert_int_equal(sv_width("\xf0\xa0\x80\x8b"), 2); /* CJK ext. B */
}

static void test_figures(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(sv_fig_thousands(0, buf, sizeof buf), "0");
    assert_string_equal(sv_fig_thousands(999, buf, sizeof buf), "999");
    assert_string_equal(sv_fig_thousands(1000, buf, sizeof buf), "1,000");
    assert_string_equal(sv_fig_thousands(2203, buf, sizeof buf), "2,203");
    assert_string_equal(sv_fig_thousands(-1234567, buf, sizeof buf),
                        "-1,234,567");
    assert_string_equal(sv_fig_thousands(INT64_MIN, buf, sizeof buf),
                        "-9,223,372,036,854,775,808");
    assert_string_equal(sv_fig_cell("2203", buf, sizeof buf), "2,203");
    assert_string_equal(sv_fig_cell("-", buf, sizeof buf), "-");
    assert_string_equal(sv_fig_cell("○", buf, sizeof buf), "○");
    assert_string_equal(sv_fig_cell("12a", buf, sizeof buf), "12a");
    assert_string_equal(sv_fig_percent("42.5", buf, sizeof buf), "42.5%");
    assert_string_equal(sv_fig_percent("", buf, sizeof buf), "-");
    Survey__V1__Figure f = SURVEY__V1__FIGURE__INIT;
    f.count = 34;
    f.n = 80;
    f.percent = "43"; /* the server's rounding, not printf's 42 */
    assert_string_equal(sv_fig_rate(&f, buf, sizeof buf), "43% (34/80)");
    uint8_t d[4] = {0xde, 0xad, 0xbe, 0xef};
    ProtobufCBinaryData bd = {4, d};
    assert_string_equal(sv_fig_digest(bd, 0, buf, sizeof buf), "deadbeef");
    assert_string_equal(sv_fig_digest(bd, 6, buf, sizeof buf), "deadbe");
    assert_string_equal(sv_fig_digest(bd, 0, buf, 5), "dead");
}

static void test_watch_summary(void **state)
{
    (void)state;
    Survey__V1__Snapshot *s = sample_snapshot(true);
    FILE *f;
    char *buf;
    size_t len;
    capture_begin(&f, &buf, &len);
    sv_watch_summary(f, s);
    assert_string_equal(capture_end(f, &buf),
                        "2026-11-24T22:00:00.123Z s version 4 sequence 17 "
                        "digest 001122334455 trigger changes | 相談支援事業 "
                        "43%, 相談, \"窓口\" - | complete 1, incomplete 1, "
                        "not started 1");
    free(buf);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

static void test_completeness_english(void **state)
{
    (void)state;
    Survey__V1__Completeness *c = sample_completeness();
    FILE *f;
    char *buf;
    size_t len;
    sv_error err = {""};
    capture_begin(&f, &buf, &len);
    assert_int_equal(
        sv_completeness_write(f, c, NULL, SV_TABLE_TEXT, SV_LANG_EN, &err),
        SV_OK);
    assert_string_equal(
        capture_end(f, &buf),
        "type      expected  complete  incomplete  not started  response rate"
        "  complete rate\n"
        "------------------------------------------------------------------"
        "-----------------\n"
        "all              3         1           1            1            67%"
        "            33%\n"
        "都道府県         2         1           1            0           100%"
        "            50%\n"
        "指定都市         1         0           0            1             0%"
        "             0%\n"
        "\n"
        "not started (1):\n"
        "  札幌市 (011002)\n"
        "\n"
        "incomplete (1):\n"
        "  青森県 (020001): missing: consult_channel, holders\n");
    free(buf);
    survey__v1__completeness__free_unpacked(c, NULL);

    /* with the labels a snapshot gives them: the name first, as the rest
       of the English output names questions */
    Survey__V1__Snapshot *s = sample_snapshot(false);
    capture_begin(&f, &buf, &len);
    assert_int_equal(sv_completeness_write(f, s->completeness, s, SV_TABLE_TEXT,
                                           SV_LANG_EN, &err),
                     SV_OK);
    char *text = capture_end(f, &buf);
    expect_contains(text, "  青森県 (020001): missing: consult_channel "
                          "(相談受付方法), holders (受給者証保有者数)\n");
    free(buf);
    survey__v1__snapshot__free_unpacked(s, NULL);
}

/* ---- snapshot, status, rerun and watch against scripted peers ----------- */

/* How the scripted collector answers the aggregation requests. */
typedef enum {
    AGG_READY, /* header polls see versions 1 and 2, then 3 (sequence 50) */
    AGG_NEVER  /* queued, but no snapshot ever (NOT_FOUND) */
} agg_mode;

#define AGG_QUEUED 50

static int agg_reply_snapshot(void *sock, zmq_msg_t *ident, bool delimited,
                              uint64_t id, Survey__V1__Snapshot *s)
{
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    reply.body_case = SURVEY__V1__REPLY__BODY_SNAPSHOT;
    reply.snapshot = s;
    reply.request_id = id;
    int rc = peer_reply(sock, ident, delimited, &reply);
    survey__v1__snapshot__free_unpacked(s, NULL);
    return rc;
}

static int agg_reply_error(void *sock, zmq_msg_t *ident, bool delimited,
                           uint64_t id, Survey__V1__Error__Code code,
                           const char *msg)
{
    Survey__V1__Error e = SURVEY__V1__ERROR__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    e.code = code;
    e.message = (char *)msg;
    reply.body_case = SURVEY__V1__REPLY__BODY_ERROR;
    reply.error = &e;
    reply.request_id = id;
    return peer_reply(sock, ident, delimited, &reply);
}

static Survey__V1__Snapshot *agg_snapshot(bool header_only, uint64_t version,
                                          uint64_t sequence,
                                          const char *trigger)
{
    Survey__V1__Snapshot *s = sample_snapshot(header_only);
    s->version = version;
    s->sequence = sequence;
    free(s->trigger);
    s->trigger = xstrdup(trigger);
    return s;
}

/* Answers one request; *polls counts header polls since the last rerun,
 * *full is the last rerun's `full`, *bad counts requests that break the
 * protocol. */
static int agg_answer(void *sock, zmq_msg_t *ident, bool delimited,
                      const Survey__V1__Request *req, agg_mode mode, int *polls,
                      bool *full, int *bad)
{
    uint64_t id = req->request_id;
    if (req->body_case == SURVEY__V1__REQUEST__BODY_RERUN) {
        Survey__V1__Queued q = SURVEY__V1__QUEUED__INIT;
        Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
        *polls = 0;
        *full = req->rerun->full;
        q.survey = "s";
        q.sequence = AGG_QUEUED;
        reply.body_case = SURVEY__V1__REPLY__BODY_QUEUED;
        reply.queued = &q;
        reply.request_id = id;
        return peer_reply(sock, ident, delimited, &reply);
    }
    if (req->body_case == SURVEY__V1__REQUEST__BODY_STATUS) {
        Survey__V1__Status st = SURVEY__V1__STATUS__INIT;
        Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
        st.survey = "s";
        st.log_sequence = 60;
        st.snapshot = mode == AGG_READY
                          ? agg_snapshot(true, 3, AGG_QUEUED, "rerun")
                          : NULL;
        reply.body_case = SURVEY__V1__REPLY__BODY_STATUS;
        reply.status = &st;
        reply.request_id = id;
        int rc = peer_reply(sock, ident, delimited, &reply);
        if (st.snapshot != NULL)
            survey__v1__snapshot__free_unpacked(st.snapshot, NULL);
        return rc;
    }
    if (req->body_case != SURVEY__V1__REQUEST__BODY_SNAPSHOT)
        return agg_reply_error(sock, ident, delimited, id,
                               SURVEY__V1__ERROR__CODE__MALFORMED, "what?");
    const Survey__V1__SnapshotRequest *sr = req->snapshot;
    if (mode == AGG_NEVER)
        return agg_reply_error(sock, ident, delimited, id,
                               SURVEY__V1__ERROR__CODE__NOT_FOUND,
                               "no snapshot yet");
    if (sr->header_only) {
        /* polls ask for the latest of the survey Queued named */
        if (sr->version != 0 || strcmp(sr->survey, "s") != 0)
            (*bad)++;
        ++*polls;
        uint64_t v = *polls >= 3 ? 3 : (uint64_t)*polls;
        return agg_reply_snapshot(
            sock, ident, delimited, id,
            agg_snapshot(true, v, v == 3 ? AGG_QUEUED : 40 + 5 * (v - 1),
                         v == 3 ? (*full ? "rerun" : "request") : "changes"));
    }
    if (sr->version == 0)
        return agg_reply_snapshot(sock, ident, delimited, id,
                                  sample_snapshot(false));
    if (sr->version == 3)
        return agg_reply_snapshot(
            sock, ident, delimited, id,
            agg_snapshot(false, 3, AGG_QUEUED, *full ? "rerun" : "request"));
    return agg_reply_error(sock, ident, delimited, id,
                           SURVEY__V1__ERROR__CODE__NOT_FOUND, "no snapshot 9");
}

/* Runs in a child until a STOP_ID request; exits 0 if every request kept
 * to the protocol. */
static int agg_run(const char *endpoint, agg_mode mode)
{
    void *ctx = zmq_ctx_new();
    void *sock = ctx != NULL ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    if (sock == NULL || zmq_bind(sock, endpoint) != 0)
        return 10;
    int polls = 0, bad = 0;
    bool full = false;
    for (;;) {
        zmq_msg_t ident, part;
        if (zmq_msg_init(&ident) != 0 || zmq_msg_init(&part) != 0)
            return 11;
        if (zmq_msg_recv(&ident, sock, 0) < 0 ||
            zmq_msg_recv(&part, sock, 0) < 0)
            return 12;
        bool delimited = zmq_msg_size(&part) == 0;
        if (delimited && zmq_msg_recv(&part, sock, 0) < 0)
            return 13;
        Survey__V1__Request *req = survey__v1__request__unpack(
            NULL, zmq_msg_size(&part), zmq_msg_data(&part));
        if (req == NULL)
            return 14;
        int rc;
        bool stop = req->request_id == STOP_ID;
        if (stop)
            rc = peer_send(sock, &ident, delimited, STOP_ID);
        else
            rc = agg_answer(sock, &ident, delimited, req, mode, &polls, &full,
                            &bad);
        survey__v1__request__free_unpacked(req, NULL);
        if (rc != 0)
            return 15;
        if (zmq_msg_close(&ident) != 0 || zmq_msg_close(&part) != 0)
            return 16;
        if (stop)
            break;
    }
    if (zmq_close(sock) != 0 || zmq_ctx_term(ctx) != 0)
        return 17;
    return bad == 0 ? 0 : 20 + bad;
}

static pid_t agg_start(const char *endpoint, agg_mode mode)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(60);
        _exit(agg_run(endpoint, mode));
    }
    return pid;
}

static void test_cli_rerun_and_snapshots(void **state)
{
    (void)state;
    char dir[64], ep[128], path[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = agg_start(ep, AGG_READY);

    /* polls see sequences 40 and 45 (too old), then 50 */
    int64_t t0 = clock_ms();
    run_result r = survey_run(dir, (const char *[]){"-e", ep, "rerun", NULL});
    int64_t took = clock_ms() - t0;
    if (r.code != 0)
        fail_msg("rerun: exit %d: %s", r.code, r.err);
    assert_string_equal(r.out, "snapshot 3 (sequence 50, digest "
                               "001122334455)\n");
    assert_string_equal(r.err, "");
    assert_true(took >= 2 * SV_POLL_INTERVAL_MS);
    result_free(&r);

    /* --new: the same wait (full = false), then the whole snapshot */
    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "--new", "-f",
                                         "json", NULL});
    if (r.code != 0)
        fail_msg("snapshot --new: exit %d: %s", r.code, r.err);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    if (doc == NULL)
        fail_msg("not JSON: %s\n%s", jerr.text, r.out);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 3);
    assert_string_equal(json_string_value(json_object_get(doc, "trigger")),
                        "request");
    assert_int_equal(json_array_size(json_object_get(doc, "listings")), 1);
    json_decref(doc);
    result_free(&r);

    r = survey_run(dir,
                   (const char *[]){"-e", ep, "snapshot", "-f", "csv", NULL});
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, sample_csv);
    result_free(&r);

    snprintf(path, sizeof path, "%s/report.md", dir);
    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "--version", "3",
                                         "--format", "md", "-o", path, NULL});
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "");
    char *md = slurp_file(path);
    expect_contains(md, "- スナップショット版: 3\n- 反映した変更ログ: 50\n");
    assert_true(check_md_tables(md) > 0);
    free(md);
    result_free(&r);

    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "-o",
                                         "/nonexistent/dir/x.md", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "survey: cannot write /nonexistent/dir/x.md: ");
    result_free(&r);

    /* written whole, through a temporary file beside it: none is left */
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d))
        if (strstr(e->d_name, ".survey-") != NULL)
            fail_msg("temporary file left: %s", e->d_name);
    assert_int_equal(closedir(d), 0);
    /* a link to a file: the file is replaced, the link stays */
    char target[160];
    snprintf(target, sizeof target, "%s/target.md", dir);
    write_file(target, "old\n");
    snprintf(path, sizeof path, "%s/link.md", dir);
    assert_int_equal(symlink(target, path), 0);
    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "--version", "3",
                                         "--format", "md", "-o", path, NULL});
    assert_int_equal(r.code, 0);
    result_free(&r);
    struct stat lsb;
    assert_int_equal(lstat(path, &lsb), 0);
    assert_true(S_ISLNK(lsb.st_mode));
    md = slurp_file(target);
    expect_contains(md, "- スナップショット版: 3\n");
    free(md);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(unlink(target), 0);
    /* a folder is refused, and stays */
    snprintf(path, sizeof path, "%s/folder", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "-f", "xlsx",
                                         "-o", path, NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "is a folder");
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(rmdir(path), 0);
    result_free(&r);
    /* a device is written in place and never removed, even when the
       write fails (it used to be: /dev/full was deleted) */
    assert_int_equal(stat("/dev/full", &sb), 0);
    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "-f", "csv",
                                         "-o", "/dev/full", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "No space left on device");
    assert_int_equal(stat("/dev/full", &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
    result_free(&r);

    r = survey_run(
        dir, (const char *[]){"-e", ep, "snapshot", "--version", "9", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "survey: NOT_FOUND: no snapshot 9\n");
    result_free(&r);

    r = survey_run(dir, (const char *[]){"-e", ep, "status", NULL});
    assert_int_equal(r.code, 0);
    const char *head = "s: snapshot 3 (sequence 50, created "
                       "2026-11-24T22:00:00.123Z, digest 001122334455)\n"
                       "the change log is at sequence 60: newer changes are "
                       "not aggregated yet\n\ntype ";
    if (strncmp(r.out, head, strlen(head)) != 0)
        fail_msg("status printed:\n%s", r.out);
    expect_contains(r.out, "\nall              3         1           1");
    expect_contains(r.out, "not started (1):\n  札幌市 (011002)\n");
    expect_contains(r.out, "incomplete (1):\n  青森県 (020001): missing: "
                           "consult_channel, holders\n");
    result_free(&r);
    assert_int_equal(peer_stop(ep, pid), 0);
    remove_dir(dir);
}

static void test_cli_rerun_times_out(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    pid_t pid = agg_start(ep, AGG_NEVER);
    int64_t t0 = clock_ms();
    run_result r =
        survey_run(dir, (const char *[]){"-e", ep, "rerun", "--wait-timeout",
                                         "300", NULL});
    int64_t took = clock_ms() - t0;
    assert_int_equal(r.code, 3);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "survey: rerun queued at sequence 50; no "
                               "snapshot yet (is survey-aggregator "
                               "running?)\n");
    assert_true(took >= 300);
    result_free(&r);

    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", "--new",
                                         "--wait-timeout", "150", NULL});
    assert_int_equal(r.code, 3);
    expect_contains(r.err, "survey: snapshot queued at sequence 50; no "
                           "snapshot yet");
    result_free(&r);

    r = survey_run(dir, (const char *[]){"-e", ep, "status", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "survey: no snapshot of s yet (is "
                               "survey-aggregator running?)\n");
    result_free(&r);

    r = survey_run(dir, (const char *[]){"-e", ep, "snapshot", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.err, "survey: NOT_FOUND: no snapshot yet\n");
    result_free(&r);
    assert_int_equal(peer_stop(ep, pid), 0);

    /* nobody there at all: no reply, exit 3 */
    r = survey_run(dir, (const char *[]){"-e", ep, "--timeout", "50",
                                         "--retries", "0", "rerun", NULL});
    assert_int_equal(r.code, 3);
    expect_contains(r.err, "no reply from ");
    result_free(&r);
    remove_dir(dir);
}

/* Publishes s on pub under topic (two frames). */
static void publish(void *pub, const char *topic, const Survey__V1__Snapshot *s)
{
    uint8_t buf[4096];
    size_t size = survey__v1__snapshot__get_packed_size(s);
    assert_true(size <= sizeof buf);
    size_t len = survey__v1__snapshot__pack(s, buf);
    assert_true(zmq_send(pub, topic, strlen(topic), ZMQ_SNDMORE) >= 0);
    assert_true(zmq_send(pub, buf, len, 0) >= 0);
}

/* Binds a PUB socket on ipc://DIR/pub.sock. */
static void *pub_open(void *ctx, const char *dir, char *ep, size_t size)
{
    snprintf(ep, size, "ipc://%s/pub.sock", dir);
    void *pub = zmq_socket(ctx, ZMQ_PUB);
    assert_non_null(pub);
    int linger = 0;
    assert_int_equal(zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger),
                     0);
    assert_int_equal(zmq_bind(pub, ep), 0);
    return pub;
}

static void test_cli_watch_count(void **state)
{
    (void)state;
    char dir[64], ep[128], pub_ep[160];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    assert_non_null(ctx);
    void *pub = pub_open(ctx, dir, pub_ep, sizeof pub_ep);
    pid_t pid =
        survey_spawn(dir, (const char *[]){"watch", "--watch-endpoint", pub_ep,
                                           "-s", "s", "--count", "2", NULL});
    Survey__V1__Snapshot *s = sample_snapshot(true);
    int64_t deadline = clock_ms() + 20000;
    int status = 0;
    pid_t got = 0;
    /* publish until the subscriber has had its two (a subscriber that
     * connects late misses what went before: keep going) */
    for (uint64_t v = 1; got == 0 && clock_ms() < deadline; v++) {
        s->version = 1000 + v;
        publish(pub, "s2", s); /* another survey sharing the prefix */
        s->version = v;
        publish(pub, "s", s);
        sleep_ms(20);
        got = waitpid(pid, &status, WNOHANG);
    }
    assert_int_equal(got, pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/survey.out", dir);
    char *out = slurp_file(path);
    snprintf(path, sizeof path, "%s/survey.err", dir);
    char *err = slurp_file(path);
    assert_string_equal(err, "");
    assert_int_equal(count_lines_starting(out, "2026-11-24T22:00:00.123Z s "
                                               "version "),
                     2);
    unsigned long v1, v2;
    const char *second = strchr(out, '\n');
    assert_non_null(second);
    assert_int_equal(sscanf(out, "2026-11-24T22:00:00.123Z s version %lu", &v1),
                     1);
    assert_int_equal(
        sscanf(second + 1, "2026-11-24T22:00:00.123Z s version %lu", &v2), 1);
    assert_int_equal(v2, v1 + 1);
    assert_true(v1 < 1000);
    expect_contains(out, " sequence 17 digest 001122334455 trigger changes | "
                         "相談支援事業 43%, 相談, \"窓口\" - | complete 1, "
                         "incomplete 1, not started 1\n");
    assert_int_equal(out[strlen(out) - 1], '\n');
    assert_ptr_equal(strchr(second + 1, '\n'), out + strlen(out) - 1);
    free(out);
    free(err);
    survey__v1__snapshot__free_unpacked(s, NULL);
    assert_int_equal(zmq_close(pub), 0);
    assert_int_equal(zmq_ctx_term(ctx), 0);
    remove_dir(dir);
}

/* Without --count, SIGTERM ends it with exit 0; junk is skipped with a
 * warning. */
static void test_cli_watch_sigterm(void **state)
{
    (void)state;
    char dir[64], ep[128], pub_ep[160], path[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    void *ctx = zmq_ctx_new();
    assert_non_null(ctx);
    void *pub = pub_open(ctx, dir, pub_ep, sizeof pub_ep);
    pid_t pid = survey_spawn(
        dir, (const char *[]){"watch", "--watch-endpoint", pub_ep, NULL});
    Survey__V1__Snapshot *s = sample_snapshot(true);
    snprintf(path, sizeof path, "%s/survey.out", dir);
    int64_t deadline = clock_ms() + 20000;
    bool seen = false;
    while (!seen && clock_ms() < deadline) {
        assert_true(zmq_send(pub, "s", 1, ZMQ_SNDMORE) >= 0);
        assert_true(zmq_send(pub, "\xff\xff\xff", 3, 0) >= 0);
        publish(pub, "other", s);
        sleep_ms(20);
        char *out = slurp_file(path);
        seen = strchr(out, '\n') != NULL;
        free(out);
    }
    assert_true(seen);
    assert_int_equal(kill(pid, SIGTERM), 0);
    run_result r = survey_wait(dir, pid);
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "Z s version 4 sequence 17 "); /* topic "other" */
    expect_contains(r.err, "survey: watch: skipped an undecodable snapshot "
                           "(3 bytes)\n");
    result_free(&r);
    survey__v1__snapshot__free_unpacked(s, NULL);
    assert_int_equal(zmq_close(pub), 0);
    assert_int_equal(zmq_ctx_term(ctx), 0);
    remove_dir(dir);
}

static void test_cli_usage_aggregation(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    run_result r = survey_run(dir, (const char *[]){"--help", NULL});
    assert_int_equal(r.code, 0);
    static const char *const words[] = {"snapshot",
                                        "status",
                                        "rerun",
                                        "watch",
                                        "--version N",
                                        "--format FORMAT",
                                        "--output FILE",
                                        "--new",
                                        "--wait-timeout MS",
                                        "--watch-endpoint EP",
                                        "--count N",
                                        "SURVEY_WATCH_ENDPOINT",
                                        "tcp://127.0.0.1:5556",
                                        "text, md, csv, json or html"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    result_free(&r);
    static const char *const cmds[] = {"snapshot", "status", "rerun", "watch"};
    for (size_t i = 0; i < 4; i++) {
        r = survey_run(dir, (const char *[]){cmds[i], "--help", NULL});
        assert_int_equal(r.code, 0);
        char want[64];
        snprintf(want, sizeof want, "Usage: survey [OPTIONS] %s\n", cmds[i]);
        expect_contains(r.out, want);
        expect_contains(r.out, "  3  no reply");
        result_free(&r);
    }

    const char *const *bad[] = {
        (const char *[]){"status", "x", NULL},
        (const char *[]){"snapshot", "--format", "xml", NULL},
        (const char *[]){"snapshot", "--version", "0", NULL},
        (const char *[]){"snapshot", "--version", "-1", NULL},
        (const char *[]){"snapshot", "--version", "2", "--new", NULL},
        (const char *[]){"snapshot", "--wait-timeout", "5", NULL},
        (const char *[]){"status", "--format", "csv", NULL},
        (const char *[]){"rerun", "--wait-timeout", "0", NULL},
        (const char *[]){"rerun", "--count", "2", NULL},
        (const char *[]){"watch", "--count", "0", NULL},
        (const char *[]){"watch", "-o", "x", NULL},
        (const char *[]){"get", "--new", "a", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = survey_run(dir, bad[i]);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        assert_true(strlen(r.err) > 0);
        assert_int_equal(strlen(r.out), 0);
        result_free(&r);
    }
    r = survey_run(dir, (const char *[]){"rerun", "--count", "2", NULL});
    assert_string_equal(r.err, "survey: --count is an option of watch, not "
                               "rerun\nTry 'survey --help'.\n");
    result_free(&r);

    /* nobody there: exit 3 */
    r = survey_run(dir, (const char *[]){"-e", ep, "--timeout", "50",
                                         "--retries", "0", "snapshot", NULL});
    assert_int_equal(r.code, 3);
    result_free(&r);
    remove_dir(dir);
}

/* The administrators' commands: help, and usage errors found before any
 * request is sent (the endpoint has nobody behind it). */
static void test_cli_usage_admin(void **state)
{
    (void)state;
    char dir[64], ep[128];
    temp_endpoint(dir, sizeof dir, ep, sizeof ep);
    run_result r = survey_run(dir, (const char *[]){"--help", NULL});
    assert_int_equal(r.code, 0);
    static const char *const words[] = {"\n  correct       CODE ",
                                        "\n  import-matrix FILE.csv ",
                                        "\n  diff          V1 V2 ",
                                        "\n  report    ",
                                        "--set QUESTION=VALUE",
                                        "--unset QUESTION",
                                        "--note TEXT",
                                        "--dry-run",
                                        "--excel",
                                        "xlsx, which needs -o",
                                        "xlsx",
                                        "CONFLICT"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        expect_contains(r.out, words[i]);
    result_free(&r);
    static const char *const cmds[] = {"correct", "import-matrix", "diff",
                                       "report"};
    static const char *const details[] = {"--note TEXT", "--dry-run",
                                          "no figure changed", "-o, --output"};
    for (size_t i = 0; i < 4; i++) {
        r = survey_run(dir, (const char *[]){cmds[i], "--help", NULL});
        assert_int_equal(r.code, 0);
        char want[64];
        snprintf(want, sizeof want, "Usage: survey [OPTIONS] %s", cmds[i]);
        expect_contains(r.out, want);
        expect_contains(r.out, details[i]);
        expect_contains(r.out, "  3  no reply");
        result_free(&r);
    }

    const char *const *bad[] = {
        (const char *[]){"-e", ep, "correct", "010006", "--set", "holders=1",
                         NULL},
        (const char *[]){"-e", ep, "correct", "010006", "--note", "", "--set",
                         "holders=1", NULL},
        (const char *[]){"-e", ep, "correct", "010006", "--note", "x", NULL},
        (const char *[]){"-e", ep, "correct", "010006", "--note", "x", "--set",
                         "holders", NULL},
        (const char *[]){"-e", ep, "correct", "010006", "--note", "x", "--set",
                         "holders=1", "--unset", "holders", NULL},
        (const char *[]){"correct", NULL},
        (const char *[]){"get", "--note", "x", "010006", NULL},
        (const char *[]){"diff", "1", NULL},
        (const char *[]){"diff", "1", "2", "3", NULL},
        (const char *[]){"-e", ep, "diff", "0", "2", NULL},
        (const char *[]){"-e", ep, "diff", "1", "x", NULL},
        (const char *[]){"import-matrix", NULL},
        (const char *[]){"import-matrix", "--excel", "x.csv", NULL},
        (const char *[]){"-e", ep, "import-matrix", "/nonexistent.csv", NULL},
        (const char *[]){"report", NULL},
        (const char *[]){"report", "--format", "csv", "-o", "x", NULL},
        (const char *[]){"snapshot", "--format", "xlsx", NULL},
        (const char *[]){"snapshot", "--format", "xlsx", "-o", "-", NULL},
        (const char *[]){"snapshot", "--excel", NULL},
        (const char *[]){"snapshot", "--format", "json", "--excel", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = survey_run(dir, bad[i]);
        if (r.code != 2)
            fail_msg("case %zu: exit %d, stderr: %s", i, r.code, r.err);
        assert_true(strlen(r.err) > 0);
        assert_int_equal(strlen(r.out), 0);
        result_free(&r);
    }
    r = survey_run(dir, (const char *[]){"-e", ep, "correct", "010006", "--set",
                                         "holders=1", NULL});
    assert_string_equal(r.err, "survey: correct: --note is required: a "
                               "correction needs a reason\n");
    result_free(&r);

    /* a spreadsheet with names only: the code is needed */
    char path[128];
    snprintf(path, sizeof path, "%s/names.csv", dir);
    write_file(path, "自治体名,holders\n北海道,2203\n");
    r = survey_run(dir,
                   (const char *[]){"-e", ep, "--timeout", "50", "--retries",
                                    "0", "import-matrix", path, NULL});
    assert_int_equal(r.code, 2);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "names.csv: respondents are named only: add a "
                           "column respondent, code or 団体コード");
    result_free(&r);
    remove_dir(dir);
}

#ifdef SV_HAVE_COLLECTOR

/* A collector of its own for each test, stopped and removed even when the
 * test fails. */
static int collector_up(void **state)
{
    sv_harness *h = calloc(1, sizeof *h);
    if (h == NULL)
        return -1;
    if (sv_harness_start(h, NULL) != 0) {
        sv_harness_cleanup(h);
        free(h);
        return -1;
    }
    *state = h;
    return 0;
}

static int collector_down(void **state)
{
    sv_harness *h = *state;
    if (h != NULL) {
        sv_harness_cleanup(h);
        free(h);
    }
    return 0;
}

static const char first_answers[] =
    "{\"respondent\": \"010006\", \"note\": \"first\", \"answers\": {"
    "\"holders\": 2203, \"consult\": \"yes\", \"supporter\": \"no\","
    " \"consult_channel\": [\"counter\", \"phone\"]}}\n";

static void test_cli_submit_get_history(void **state)
{
    sv_harness *h = *state;
    char path[300], path2[300];
    snprintf(path, sizeof path, "%s/first.json", h->dir);
    write_file(path, first_answers);

    run_result r =
        survey_run(h->dir, (const char *[]){"--endpoint", h->endpoint, "submit",
                                            path, NULL});
    if (r.code != 0)
        fail_msg("submit: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 1 sequence ", 36);
    expect_contains(r.out, "; incomplete: ");
    expect_contains(r.out, " required questions missing: ");
    assert_non_null(strchr(r.out, '\n'));
    assert_ptr_equal(strchr(r.out, '\n'), r.out + strlen(r.out) - 1);
    assert_string_equal(r.err, "");
    result_free(&r);

    /* the same content under a new random id builds on revision 0 */
    r = survey_run(h->dir, (const char *[]){"submit", path, "--endpoint",
                                            h->endpoint, NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: CONFLICT: ");
    expect_contains(r.err, "current revision is 1");
    result_free(&r);

    /* a fixed submission_id sent twice: the second is a duplicate */
    snprintf(path2, sizeof path2, "%s/second.json", h->dir);
    write_file(path2, "{\"respondent\": \"010006\", \"base_revision\": 1,"
                      " \"submission_id\": \"fixed-id-1\", \"note\": \"more\","
                      " \"answers\": {\"holders\": 2210, \"consult\": \"yes\","
                      " \"supporter\": \"no\"}}");
    for (int i = 0; i < 2; i++) {
        r = survey_run(
            h->dir, (const char *[]){"-e", h->endpoint, "submit", path2, NULL});
        if (r.code != 0)
            fail_msg("second submit %d: exit %d: %s", i, r.code, r.err);
        assert_memory_equal(r.out, "accepted 010006 revision 2 sequence ", 36);
        if (i == 1)
            expect_contains(r.out, " (duplicate)");
        else
            assert_null(strstr(r.out, "duplicate"));
        result_free(&r);
    }

    /* get prints JSON that can be edited and submitted again */
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "get", "010006", NULL});
    assert_int_equal(r.code, 0);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    if (doc == NULL)
        fail_msg("get output is not JSON: %s\n%s", jerr.text, r.out);
    assert_string_equal(json_string_value(json_object_get(doc, "survey")),
                        "shoman-jiritsu-r6");
    assert_int_equal(json_integer_value(json_object_get(doc, "revision")), 2);
    assert_string_equal(json_string_value(json_object_get(doc, "note")),
                        "more");
    json_t *answers = json_object_get(doc, "answers");
    assert_int_equal(json_integer_value(json_object_get(answers, "holders")),
                     2210);
    assert_string_equal(json_string_value(json_object_get(answers, "consult")),
                        "yes");
    assert_true(json_array_size(json_object_get(doc, "missing")) > 0);
    const char *when = json_string_value(json_object_get(doc, "time"));
    assert_non_null(when);
    assert_int_equal(strlen(when), 24);
    assert_int_equal(when[23], 'Z');
    assert_int_equal(
        json_object_set_new(answers, "holders", json_integer(2300)), 0);
    assert_int_equal(json_object_set_new(answers, "consult_channel",
                                         json_pack("[s]", "email")),
                     0);
    assert_int_equal(json_object_set_new(doc, "note", json_string("edited")),
                     0);
    assert_int_equal(json_dump_file(doc, path2, JSON_INDENT(2)), 0);
    json_decref(doc);
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", path2, NULL});
    if (r.code != 0)
        fail_msg("resubmitting get output: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 3 sequence ", 36);
    result_free(&r);

    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", "010006", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "revision 1  ");
    expect_contains(r.out, "  note: first\n  + holders = 2203\n"
                           "  + consult = \"yes\"\n  + supporter = \"no\"\n"
                           "  + consult_channel = [\"counter\",\"phone\"]\n");
    expect_contains(r.out, "  note: more\n  ~ holders: 2203 -> 2210\n"
                           "  - consult_channel (was [\"counter\",\"phone\"])"
                           "\n");
    expect_contains(r.out, "  note: edited\n  ~ holders: 2210 -> 2300\n"
                           "  + consult_channel = [\"email\"]\n");
    assert_int_equal(strncmp(r.out, "revision 1  ", 12), 0);
    result_free(&r);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "history",
                                            "--json", "010006", NULL});
    assert_int_equal(r.code, 0);
    doc = json_loads(r.out, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_array_size(doc), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(doc, 1), "submission_id")),
                        "fixed-id-1");
    json_decref(doc);
    result_free(&r);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "get", "020001", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: NOT_FOUND");
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    result_free(&r);
}

static void test_cli_submit_invalid(void **state)
{
    sv_harness *h = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/bad.json", h->dir);
    write_file(path, "{\"respondent\": \"010006\", \"answers\": {"
                     "\"holders\": -1, \"consult\": \"maybe\","
                     " \"no_such_question\": \"x\", \"supporter\": 3}}");
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: INVALID");
    expect_contains(r.err, "\n  holders = \"-1\": CONSTRAINT");
    expect_contains(r.err, "\n  consult = \"maybe\": UNKNOWN_OPTION");
    expect_contains(r.err, "\n  no_such_question = \"x\": UNKNOWN_QUESTION");
    expect_contains(r.err, "\n  supporter = \"3\": WRONG_TYPE");
    result_free(&r);

    /* no wire form: refused here, naming the question and the value */
    write_file(path, "{\"respondent\": \"010006\", \"answers\": {"
                     "\"holders\": null}}");
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", "-", NULL});
    assert_int_equal(r.code, 2); /* stdin is /dev/null: no JSON */
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "answer \"holders\": null is not an answer");
    result_free(&r);
    /* a fraction is echoed as written, not in binary's 17 digits */
    write_file(path, "{\"respondent\": \"010006\", \"answers\": {"
                     "\"holders\": 585.7}}");
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "answer \"holders\": 585.7 is not an answer");
    result_free(&r);

    /* an unknown survey */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "-s", "nope",
                                            "submit", path, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "survey: rejected: UNKNOWN_SURVEY");
    result_free(&r);
}

static void test_cli_lazy_pirate(void **state)
{
    sv_harness *h = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/p.json", h->dir);
    write_file(path, "{\"respondent\": \"030007\", \"answers\": "
                     "{\"holders\": 5}}");
    assert_int_equal(kill(h->pid, SIGSTOP), 0);
    pid_t pid = survey_spawn(
        h->dir, (const char *[]){"-e", h->endpoint, "submit", "--timeout",
                                 "300", "--retries", "10", path, NULL});
    sleep_ms(1000);
    assert_int_equal(kill(h->pid, SIGCONT), 0);
    run_result r = survey_wait(h->dir, pid);
    if (r.code != 0)
        fail_msg("submit through a stopped collector: exit %d: %s", r.code,
                 r.err);
    assert_memory_equal(r.out, "accepted 030007 revision 1 sequence ", 36);
    result_free(&r);
    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", "030007", NULL});
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines_starting(r.out, "revision "), 1);
    result_free(&r);
}

static void test_cli_load_lines(void **state)
{
    sv_harness *h = *state;
    char path[300];
    snprintf(path, sizeof path, "%s/mixed.jsonl", h->dir);
    write_file(path,
               "{\"respondent\": \"010006\", \"answers\": {\"holders\": 1}}\n"
               "{\"respondent\": \"020001\", \"answers\": {\n"
               "{\"respondent\": \"030007\", \"answers\": {\"holders\": "
               "null}}\n"
               "   \r\n"
               "{\"respondent\": \"040002\", \"answers\": {\"holders\": -5}}\n"
               "{\"respondent\": \"999999\", \"answers\": {}}\n"
               "{\"respondent\": \"050008\", \"answers\": {\"holders\": 7}}");
    const char *const args[] = {"-e", h->endpoint, "load", "--window",
                                "2",  path,        NULL};
    run_result r = survey_run(h->dir, args);
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "loaded 6 submissions: 2 accepted (2 incomplete), "
                           "0 duplicates, 4 rejected, 0 unanswered\n");
    expect_contains(r.out, "\n  line 2: bad JSON: ");
    expect_contains(r.out, "\n  line 3 (030007): answer \"holders\": null "
                           "is not an answer");
    expect_contains(r.out, "\n  line 5 (040002): INVALID: holders = \"-5\": "
                           "CONSTRAINT");
    expect_contains(r.out, "\n  line 6 (999999): UNKNOWN_RESPONDENT");
    result_free(&r);

    /* again: the same lines get the same ids, so duplicates */
    r = survey_run(h->dir, args);
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "loaded 6 submissions: 0 accepted (0 incomplete), "
                           "2 duplicates, 4 rejected, 0 unanswered\n");
    result_free(&r);

    /* nobody there: no questionnaire, exit 3 */
    r = survey_run(h->dir,
                   (const char *[]){"-e", "ipc:///nonexistent/x.sock",
                                    "--timeout", "100", "load", path, NULL});
    assert_int_equal(r.code, 3);
    expect_contains(r.err, "no reply from ipc:///nonexistent/x.sock");
    result_free(&r);
}

static void test_cli_load_responses(void **state)
{
    sv_harness *h = *state;
    const char *file = SV_SOURCE_DIR "/data/r6/responses.jsonl";
    const char *const args[] = {"--endpoint", h->endpoint, "load", file, NULL};
    run_result r = survey_run(h->dir, args);
    if (r.code != 0)
        fail_msg("load: exit %d\n%.2000s%s", r.code, r.out, r.err);
    assert_memory_equal(r.out, "loaded 137 submissions: 137 accepted (", 38);
    expect_contains(r.out, "), 0 duplicates, 0 rejected, 0 unanswered\n");
    assert_string_equal(r.err, ""); /* no progress bar: not a terminal */
    result_free(&r);
    r = survey_run(h->dir, args);
    if (r.code != 0)
        fail_msg("load again: exit %d\n%.2000s%s", r.code, r.out, r.err);
    assert_string_equal(r.out,
                        "loaded 137 submissions: 0 accepted (0 incomplete), "
                        "137 duplicates, 0 rejected, 0 unanswered\n");
    result_free(&r);
}

/* Submits first_answers for 010006 (revision 1). */
static void submit_first(const sv_harness *h)
{
    char path[300];
    snprintf(path, sizeof path, "%s/first.json", h->dir);
    write_file(path, first_answers);
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    if (r.code != 0)
        fail_msg("submit: exit %d: %s", r.code, r.err);
    result_free(&r);
}

/* The number of revisions `survey history CODE` shows (0: none stored). */
static size_t revisions_of(const sv_harness *h, const char *code)
{
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", code, NULL});
    size_t n = count_lines_starting(r.out, "revision ");
    if (r.code != 0)
        expect_contains(r.err, "NOT_FOUND");
    result_free(&r);
    return n;
}

static void test_cli_correct(void **state)
{
    sv_harness *h = *state;
    submit_first(h);

    /* no reason: refused before anything is sent */
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "correct", "010006",
                                 "--set", "holders=2204", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "--note is required");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 1);

    /* a dry run shows the change and stores nothing */
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "correct", "010006",
                                    "--set", "holders=2204", "--note",
                                    "recount", "--dry-run", NULL});
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "would correct 010006 revision 1 (--dry-run, "
                               "checked by the collector, nothing submitted; "
                               "9 required answers still missing):\n"
                               "  ~ holders: 2203 -> 2204\n");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 1);

    /* a dry run the collector would refuse says so, as the real run would
       (it used to report success: the rules are the collector's) */
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "correct", "010006",
                                    "--set", "holders=-5", "--note", "recount",
                                    "--dry-run", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "--dry-run, nothing submitted: the collector "
                           "would refuse it");
    expect_contains(r.err, "CONSTRAINT");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 1);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "correct", "010006",
                                    "--set", "holders=2,204", "--note",
                                    "recount of the holders", NULL});
    if (r.code != 0)
        fail_msg("correct: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 2 sequence ", 36);
    expect_contains(r.out, "\n  ~ holders: 2203 -> 2204\n");
    assert_int_equal(count_lines_starting(r.out, "  "), 1);
    assert_string_equal(r.err, "");
    result_free(&r);

    /* history: the new revision with who, when, why and the ~ line */
    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", "010006", NULL});
    assert_int_equal(r.code, 0);
    const char *rev2 = strstr(r.out, "\nrevision 2  20");
    assert_non_null(rev2);
    expect_contains(rev2, "Z  by anonymous@");
    expect_contains(rev2, "  note: recount of the holders\n"
                          "  ~ holders: 2203 -> 2204\n");
    assert_null(strstr(rev2 + 1, "\nrevision "));
    result_free(&r);

    /* the same value again: nothing to submit */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "correct",
                                            "010006", "--set", "holders=2204",
                                            "--note", "again", NULL});
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "no change: 010006 revision 2 already has "
                               "these answers\n");
    result_free(&r);

    /* consult = no leaves consult_channel not relevant: the collector says
     * so, and the user is told what to unset */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "correct",
                                            "010006", "--set", "consult=no",
                                            "--note", "no consultation", NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: INVALID");
    expect_contains(r.err, "\n  consult_channel = ");
    expect_contains(r.err, ": NOT_RELEVANT: ");
    expect_contains(r.err, "add --unset consult_channel\n");
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "correct", "010006",
                                    "--set", "consult=no", "--unset",
                                    "consult_channel", "--set", "supporter=yes",
                                    "--note", "no consultation", NULL});
    if (r.code != 0)
        fail_msg("correct with --unset: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 3 sequence ", 36);
    expect_contains(r.out, "\n  ~ consult: \"yes\" -> \"no\"\n"
                           "  ~ supporter: \"no\" -> \"yes\"\n"
                           "  - consult_channel (was [\"counter\",\"phone\"])"
                           "\n");
    result_free(&r);

    /* a value that does not fit goes to the collector, which says why */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "correct",
                                            "010006", "--set", "holders=many",
                                            "--note", "x", NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "\n  holders = \"many\": WRONG_TYPE");
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "correct", "010006",
                                    "--set", "nope=1", "--note", "x", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "nope is not a question of shoman-jiritsu-r6");
    result_free(&r);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "correct", "020001",
                                    "--set", "holders=1", "--note", "x", NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "survey: NOT_FOUND: ");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 3);
}

/* ---- a proxy that lets another client correct in between ---------------- */

/* Forwards requests from a ROUTER on ep to the collector. Before it
 * forwards the first submission, it stores that submission under another
 * id and note itself: another client's correction lands between the
 * correcting client's read and its submit. Returns 0 once that submission
 * is forwarded and answered, else 1 (after at most 20 s). */
static int race_run(const char *ep, const char *collector)
{
    int rc = 1, timeout = 20000, linger = 2000;
    void *ctx = zmq_ctx_new();
    void *sock = ctx != NULL ? zmq_socket(ctx, ZMQ_ROUTER) : NULL;
    if (sock == NULL ||
        zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout) != 0 ||
        zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(sock, ep) != 0)
        goto done;
    for (;;) {
        char ident[256], body[65536];
        int n_ident = zmq_recv(sock, ident, sizeof ident, 0);
        if (n_ident < 0 || zmq_recv(sock, body, sizeof body, 0) != 0)
            goto done; /* not [identity][empty][request] */
        int n = zmq_recv(sock, body, sizeof body, 0);
        if (n < 0 || (size_t)n > sizeof body)
            goto done;
        Survey__V1__Request *req =
            survey__v1__request__unpack(NULL, (size_t)n, (uint8_t *)body);
        if (req == NULL)
            goto done;
        bool submit = req->body_case == SURVEY__V1__REQUEST__BODY_SUBMIT;
        if (submit) {
            Survey__V1__Submission *sub = req->submit;
            char *id = sub->submission_id, *note = sub->note;
            sub->submission_id = "racer-1";
            sub->note = "corrected in between";
            Survey__V1__Reply *ack = NULL;
            int got = sv_harness_call(collector, req, &ack, 5000);
            sub->submission_id = id;
            sub->note = note;
            bool ok = got == 0 && ack->body_case == SURVEY__V1__REPLY__BODY_ACK;
            if (got == 0)
                survey__v1__reply__free_unpacked(ack, NULL);
            if (!ok) {
                survey__v1__request__free_unpacked(req, NULL);
                goto done;
            }
        }
        survey__v1__request__free_unpacked(req, NULL);
        Survey__V1__Reply *reply = NULL;
        if (sv_harness_call_raw(collector, body, (size_t)n, &reply, 5000) != 0)
            goto done;
        size_t len = survey__v1__reply__get_packed_size(reply);
        uint8_t *out = malloc(len > 0 ? len : 1);
        if (out != NULL)
            survey__v1__reply__pack(reply, out);
        survey__v1__reply__free_unpacked(reply, NULL);
        bool sent = out != NULL &&
                    zmq_send(sock, ident, (size_t)n_ident, ZMQ_SNDMORE) >= 0 &&
                    zmq_send(sock, "", 0, ZMQ_SNDMORE) >= 0 &&
                    zmq_send(sock, out, len, 0) >= 0;
        free(out);
        if (!sent)
            goto done;
        if (submit) {
            rc = 0;
            break;
        }
    }
done:
    if (sock != NULL)
        zmq_close(sock);
    if (ctx != NULL)
        zmq_ctx_term(ctx);
    return rc;
}

static void test_cli_correct_conflict(void **state)
{
    sv_harness *h = *state;
    submit_first(h);
    char ep[300];
    snprintf(ep, sizeof ep, "ipc://%s/race.sock", h->dir);
    fflush(NULL);
    pid_t racer = fork();
    assert_true(racer >= 0);
    if (racer == 0)
        _exit(race_run(ep, h->endpoint));
    sleep_ms(200); /* let it bind */
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", ep, "correct", "010006", "--set",
                                 "holders=2204", "--note", "mine", NULL});
    int status = 0;
    assert_int_equal(waitpid(racer, &status, 0), racer);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    if (r.code != 1)
        fail_msg("correct on a stale base: exit %d\n%s%s", r.code, r.out,
                 r.err);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: CONFLICT: ");
    expect_contains(r.err, "current revision is 2\n");
    /* said once: the collector's message has it */
    assert_null(strstr(r.err, "(current revision"));
    expect_contains(r.err, "survey: 010006 changed after revision 1 (now "
                           "revision 2): see `survey history 010006`");
    result_free(&r);

    /* the other client's revision stands, nothing else was stored */
    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "history", "010006", NULL});
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines_starting(r.out, "revision "), 2);
    expect_contains(r.out, "  note: corrected in between\n  ~ holders: "
                           "2203 -> 2204\n");
    assert_null(strstr(r.out, "note: mine"));
    result_free(&r);
}

/* The example between "from" and "to" in text (NULL: not found), copied. */
static char *between(const char *text, const char *from, const char *to)
{
    const char *a = strstr(text, from);
    if (a == NULL)
        return NULL;
    a += strlen(from);
    const char *b = strstr(a, to);
    return b != NULL ? strndup(a, (size_t)(b - a)) : NULL;
}

/* The submission examples of README.md and of `survey submit --help` are
 * accepted as they stand (each once named an answer its example left
 * irrelevant). */
static void test_cli_documented_examples(void **state)
{
    sv_harness *h = *state;
    char path[300];
    char *readme = slurp_file(SV_SOURCE_DIR "/README.md");
    char *example = between(readme, "A submission file:\n\n```json\n", "```");
    assert_non_null(example);
    snprintf(path, sizeof path, "%s/readme.json", h->dir);
    write_file(path, example);
    run_result r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    if (r.code != 0)
        fail_msg("the README's example: exit %d\n%s%s", r.code, r.out, r.err);
    expect_contains(r.out, "accepted 010006 revision 1 ");
    result_free(&r);
    free(example);
    free(readme);

    r = survey_run(h->dir, (const char *[]){"submit", "--help", NULL});
    assert_int_equal(r.code, 0);
    example = between(r.out, "The file holds one JSON object:\n", "\n\"");
    assert_non_null(example);
    result_free(&r);
    /* another respondent, and no fixed submission_id */
    char *code = strstr(example, "\"010006\"");
    assert_non_null(code);
    memcpy(code, "\"020001\"", 8);
    char *id = strstr(example, ", \"submission_id\": \"optional\"");
    assert_non_null(id);
    memmove(id, id + strlen(", \"submission_id\": \"optional\""),
            strlen(id + strlen(", \"submission_id\": \"optional\"")) + 1);
    snprintf(path, sizeof path, "%s/help.json", h->dir);
    write_file(path, example);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "submit", path, NULL});
    if (r.code != 0)
        fail_msg("the submit --help example: exit %d\n%s%s\n%s", r.code, r.out,
                 r.err, example);
    expect_contains(r.out, "accepted 020001 revision 1 ");
    result_free(&r);
    free(example);
}

/* A ○/×/- spreadsheet with one bad cell, checked only: the problem names
 * row and column, the good row shows its changes, nothing is stored. */
static void test_cli_import_matrix_dry_run(void **state)
{
    sv_harness *h = *state;
    submit_first(h);
    char path[300];
    snprintf(path, sizeof path, "%s/matrix.csv", h->dir);
    write_file(path, "respondent,name,holders,consult,supporter\n"
                     "010006,北海道,\"2,210\",○,○\n"
                     "020001,青森県,585,○,△\n"
                     "999999,どこか,1,○,×\n"
                     "030007,岩手県,-5,○,×\n");
    run_result r =
        survey_run(h->dir, (const char *[]){"-e", h->endpoint, "import-matrix",
                                            "--dry-run", path, NULL});
    assert_int_equal(r.code, 1);
    /* row 5 breaks a constraint: the collector's check says so (a dry run
       used to call it "would submit") */
    assert_string_equal(
        r.out, "row 2 (010006): would submit against revision 1:\n"
               "  ~ holders: 2203 -> 2210\n"
               "  ~ supporter: \"no\" -> \"yes\"\n"
               "row 3, column supporter: \"△\" is not ○, ×, - or an option "
               "of supporter (yes, no)\n"
               "row 4, column respondent: UNKNOWN_RESPONDENT: respondent "
               "\"999999\" is not in the roster of shoman-jiritsu-r6\n"
               "row 5 (030007): would be rejected: INVALID: holders = "
               "\"-5\": CONSTRAINT: answer must satisfy . >= 0\n"
               "checked 4 rows (--dry-run, nothing submitted): 1 to submit, "
               "0 unchanged, 3 with problems\n");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 1);
    assert_int_equal(revisions_of(h, "020001"), 0);

    /* for real: the rows with problems stop nothing but themselves */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "import-matrix",
                                            path, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "imported 4 rows: 1 accepted (1 incomplete), 0 "
                           "unchanged, 1 rejected, 2 with problems, 0 "
                           "unanswered\n");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 2);
    assert_int_equal(revisions_of(h, "020001"), 0);

    /* an unknown column stops every row, and a dry run says so */
    write_file(path, "code,holders,suporter\n010006,1,○\n");
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "import-matrix",
                                            "--dry-run", path, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "row 2 (010006): would submit against revision 2, "
                           "once the header is mended:\n");
    expect_contains(r.out, "nothing would be submitted: the header (row 1) "
                           "has problems\n");
    result_free(&r);
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "import-matrix",
                                            path, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "row 1, column suporter: not a question of "
                           "shoman-jiritsu-r6\n");
    expect_contains(r.out, "imported 1 row: 0 accepted");
    expect_contains(r.out, "nothing submitted: the header (row 1) has "
                           "problems (1 row without problems of its own held "
                           "back)\n");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 2);

    /* a value past the header's last column, and a row that ends before
       a question's column: problems, not ignored cells or blank answers
       (the short row would have unset supporter) */
    write_file(path, "respondent,holders,consult,supporter\n"
                     "010006,2220,○,○,×\n"
                     "020001,2230,○\n"
                     "030007,40,○,×,\n");
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "import-matrix",
                                            path, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "row 2, column 5: a value in a column without a "
                           "header (the header has 4 columns)\n");
    expect_contains(r.out, "row 3, column supporter: the row ends before "
                           "this column (3 of 4 cells); write - to leave it "
                           "unanswered\n");
    /* an empty cell past the header is nothing */
    expect_contains(r.out, "row 4 (030007): accepted 030007 revision 1 ");
    expect_contains(r.out, "imported 3 rows: 1 accepted (1 incomplete), 0 "
                           "unchanged, 0 rejected, 2 with problems, 0 "
                           "unanswered\n");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 2);
    assert_int_equal(revisions_of(h, "020001"), 0);
    assert_int_equal(revisions_of(h, "030007"), 1);
}

/* For real, as Excel saves it (BOM, CRLF, a code that lost its leading
 * zero, thousands separators, labels as headers): new revisions that keep
 * the other answers; importing again changes nothing. */
static void test_cli_import_matrix(void **state)
{
    sv_harness *h = *state;
    submit_first(h);
    char path[300];
    snprintf(path, sizeof path, "%s/matrix.csv", h->dir);
    write_file(path, "\xEF\xBB\xBF"
                     "団体コード,自治体名,小慢医療受給者証保有者数,consult,"
                     "自立支援員の配置（自立支援員による支援）\r\n"
                     "10006,北海道,\"2,210\",○,○\r\n"
                     "020001,青森県,585,○,×\r\n");
    const char *const args[] = {
        "-e", h->endpoint, "import-matrix", "--note", "section 2 as corrected",
        path, NULL};
    run_result r = survey_run(h->dir, args);
    if (r.code != 0)
        fail_msg("import-matrix: exit %d\n%s%s", r.code, r.out, r.err);
    expect_contains(r.out, "row 2 (010006): accepted 010006 revision 2 "
                           "sequence ");
    expect_contains(r.out, "\n  ~ holders: 2203 -> 2210\n"
                           "  ~ supporter: \"no\" -> \"yes\"\n");
    expect_contains(r.out, "row 3 (020001): accepted 020001 revision 1 "
                           "sequence ");
    expect_contains(r.out, "\n  + holders = 585\n  + consult = \"yes\"\n"
                           "  + supporter = \"no\"\n");
    expect_contains(r.out, "imported 2 rows: 2 accepted (2 incomplete), 0 "
                           "unchanged, 0 rejected, 0 with problems, 0 "
                           "unanswered\n");
    assert_string_equal(r.err, "");
    result_free(&r);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "get", "010006", NULL});
    assert_int_equal(r.code, 0);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    assert_non_null(doc);
    json_t *answers = json_object_get(doc, "answers");
    assert_int_equal(json_integer_value(json_object_get(doc, "revision")), 2);
    assert_string_equal(json_string_value(json_object_get(doc, "note")),
                        "section 2 as corrected");
    assert_int_equal(json_integer_value(json_object_get(answers, "holders")),
                     2210);
    assert_string_equal(
        json_string_value(json_object_get(answers, "supporter")), "yes");
    /* kept: an answer the file has no column for */
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(answers, "consult_channel"), 1)),
                        "phone");
    json_decref(doc);
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 2);
    assert_int_equal(revisions_of(h, "020001"), 1);

    r = survey_run(h->dir, args);
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, "row 2 (010006): no change\n"
                               "row 3 (020001): no change\n"
                               "imported 2 rows: 0 accepted (0 incomplete), "
                               "2 unchanged, 0 rejected, 0 with problems, 0 "
                               "unanswered\n");
    result_free(&r);
    assert_int_equal(revisions_of(h, "010006"), 2);
}

/* ---- CURVE authentication ------------------------------------------------ */

/* A collector with authentication, and keys made by `survey keygen`:
 * server (the collector's), 010006 and 020001 (respondents), tanaka (an
 * administrator) in the registry as keygen prints their lines; other is
 * registered nowhere. */
typedef struct {
    sv_harness h;
    char keys[64]; /* the key files and the registry */
    char server_pub[128], other_pub[128];
    char a_sec[128], b_sec[128], admin_sec[128], other_sec[128];
} auth_fixture;

/* survey keygen NAME --dir dir; appends the registry line it printed to
 * reg (if non-NULL). */
static void keygen_into(const char *dir, const char *name, FILE *reg)
{
    run_result r =
        survey_run(dir, (const char *[]){"keygen", name, "--dir", dir, NULL});
    if (r.code != 0)
        fail_msg("keygen %s: exit %d: %s", name, r.code, r.err);
    if (reg != NULL) {
        char prefix[80], rest[200];
        snprintf(prefix, sizeof prefix, "\n%s ", name);
        line_after(r.out, prefix, rest, sizeof rest);
        assert_true(fprintf(reg, "%s %s\n", name, rest) > 0);
    }
    result_free(&r);
}

static int auth_down(void **state)
{
    auth_fixture *f = *state;
    if (f == NULL)
        return 0;
    sv_harness_cleanup(&f->h);
    if (f->keys[0] != '\0') {
        char cmd[100];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->keys);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", f->keys);
    }
    free(f);
    *state = NULL;
    return 0;
}

static int auth_up(void **state)
{
    auth_fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    *state = f;
    char tmpl[] = "/tmp/sv-ckeys-XXXXXX";
    if (mkdtemp(tmpl) == NULL) {
        (void)auth_down(state);
        return -1;
    }
    snprintf(f->keys, sizeof f->keys, "%s", tmpl);
    char registry[128], server_sec[128];
    snprintf(registry, sizeof registry, "%s/clients.txt", f->keys);
    FILE *reg = fopen(registry, "w");
    if (reg == NULL) {
        (void)auth_down(state);
        return -1;
    }
    fputs("# identity role public-key (from survey keygen)\n", reg);
    keygen_into(f->keys, "server", NULL);
    keygen_into(f->keys, "other", NULL);
    keygen_into(f->keys, "010006", reg);
    keygen_into(f->keys, "020001", reg);
    keygen_into(f->keys, "tanaka", reg);
    if (fclose(reg) != 0) {
        (void)auth_down(state);
        return -1;
    }
    snprintf(server_sec, sizeof server_sec, "%s/server.secret", f->keys);
    snprintf(f->server_pub, sizeof f->server_pub, "%s/server.pub", f->keys);
    snprintf(f->other_pub, sizeof f->other_pub, "%s/other.pub", f->keys);
    snprintf(f->other_sec, sizeof f->other_sec, "%s/other.secret", f->keys);
    snprintf(f->a_sec, sizeof f->a_sec, "%s/010006.secret", f->keys);
    snprintf(f->b_sec, sizeof f->b_sec, "%s/020001.secret", f->keys);
    snprintf(f->admin_sec, sizeof f->admin_sec, "%s/tanaka.secret", f->keys);
    const char *const extra[] = {"--server-secret", server_sec, "--clients",
                                 registry, NULL};
    f->h.auth = true;
    if (sv_harness_start(&f->h, extra) != 0) {
        (void)auth_down(state);
        return -1;
    }
    return 0;
}

static const char b_answers[] =
    "{\"respondent\": \"020001\", \"note\": \"first\", \"answers\": {"
    "\"holders\": 1200, \"consult\": \"yes\", \"supporter\": \"no\","
    " \"consult_channel\": [\"counter\"]}}\n";

/* Runs survey as the holder of secret (NULL: plain) with the server key
 * server_pub, on the fixture's collector, with args after the options. */
static run_result run_as(const auth_fixture *f, const char *secret,
                         const char *server_pub, const char *const *args)
{
    const char *argv[24];
    size_t n = 0;
    argv[n++] = "-e";
    argv[n++] = f->h.endpoint;
    if (secret != NULL) {
        argv[n++] = "--secret";
        argv[n++] = secret;
        argv[n++] = "--server-public";
        argv[n++] = server_pub;
    }
    for (size_t i = 0; args[i] != NULL; i++) {
        assert_true(n < 23);
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return survey_run(f->h.dir, argv);
}

static void test_cli_auth(void **state)
{
    auth_fixture *f = *state;
    const sv_harness *h = &f->h;
    char a_file[300], b_file[300], lines[300];
    snprintf(a_file, sizeof a_file, "%s/a.json", h->dir);
    snprintf(b_file, sizeof b_file, "%s/b.json", h->dir);
    snprintf(lines, sizeof lines, "%s/both.jsonl", h->dir);
    write_file(a_file, first_answers);
    write_file(b_file, b_answers);

    /* a respondent submits for itself; the history names it */
    run_result r = run_as(f, f->a_sec, f->server_pub,
                          (const char *[]){"submit", a_file, NULL});
    if (r.code != 0)
        fail_msg("submit as 010006: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 010006 revision 1 sequence ", 36);
    result_free(&r);
    r = run_as(f, f->a_sec, f->server_pub,
               (const char *[]){"history", "010006", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "  by respondent:010006  ");
    result_free(&r);

    /* ... and not for another */
    r = run_as(f, f->a_sec, f->server_pub,
               (const char *[]){"submit", b_file, NULL});
    assert_int_equal(r.code, 1);
    assert_string_equal(r.out, "");
    expect_contains(r.err, "survey: rejected: FORBIDDEN: ");
    result_free(&r);

    /* the environment does what the options do; options win */
    char env_secret[200], env_server[200];
    snprintf(env_secret, sizeof env_secret, "SURVEY_SECRET=%s", f->b_sec);
    snprintf(env_server, sizeof env_server, "SURVEY_SERVER_PUBLIC=%s",
             f->server_pub);
    const char *const env[] = {env_secret, env_server, NULL};
    r = survey_run_env(
        h->dir, env,
        (const char *[]){"-e", h->endpoint, "submit", b_file, NULL});
    if (r.code != 0)
        fail_msg("submit as 020001 via env: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 020001 revision 1 sequence ", 36);
    result_free(&r);
    r = survey_run_env(
        h->dir, env,
        (const char *[]){"-e", h->endpoint, "get", "010006", NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "FORBIDDEN");
    result_free(&r);
    r = survey_run_env(h->dir, env,
                       (const char *[]){"-e", h->endpoint, "--secret", f->a_sec,
                                        "get", "010006", NULL});
    if (r.code != 0)
        fail_msg("get with --secret over SURVEY_SECRET: exit %d: %s", r.code,
                 r.err);
    result_free(&r);

    /* load (DEALER): its own line accepted, the other's refused */
    write_file(lines, "{\"respondent\": \"010006\", \"base_revision\": 1,"
                      " \"answers\": {\"holders\": 2300, \"consult\": \"no\","
                      " \"supporter\": \"no\"}}\n"
                      "{\"respondent\": \"020001\", \"base_revision\": 1,"
                      " \"answers\": {\"holders\": 1, \"consult\": \"no\","
                      " \"supporter\": \"no\"}}\n");
    r = run_as(f, f->a_sec, f->server_pub,
               (const char *[]){"load", lines, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.out, "loaded 2 submissions: 1 accepted");
    expect_contains(r.out, ", 1 rejected, 0 unanswered\n");
    expect_contains(r.out, "  line 2 (020001): FORBIDDEN");
    result_free(&r);

    /* an administrator corrects 020001, with a reason */
    r = run_as(f, f->admin_sec, f->server_pub,
               (const char *[]){"correct", "020001", "--set", "holders=1201",
                                "--note", "typo in the count", NULL});
    if (r.code != 0)
        fail_msg("correct as admin: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "accepted 020001 revision 2 sequence ", 36);
    result_free(&r);
    r = run_as(f, f->admin_sec, f->server_pub,
               (const char *[]){"history", "020001", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "  by respondent:020001  ");
    const char *rev2 = strstr(r.out, "\nrevision 2  ");
    assert_non_null(rev2);
    expect_contains(rev2, "  by admin:tanaka  ");
    expect_contains(rev2, "  note: typo in the count\n"
                          "  ~ holders: 1200 -> 1201\n");
    result_free(&r);

    /* a wrong server key, a key not in the registry, no key: the
     * collector does not answer at all */
    const char *const quiet[][2] = {
        {f->a_sec, f->other_pub}, {f->other_sec, f->server_pub}, {NULL, NULL}};
    char want[400];
    snprintf(want, sizeof want, "survey: no reply from %s after 2 attempts (",
             h->endpoint);
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) {
        r = run_as(f, quiet[i][0], quiet[i][1],
                   (const char *[]){"--timeout", "500", "--retries", "1", "get",
                                    "010006", NULL});
        if (r.code != 3)
            fail_msg("case %zu: exit %d: %s", i, r.code, r.err);
        assert_string_equal(r.out, "");
        assert_true(strncmp(r.err, want, strlen(want)) == 0);
        /* the hint fits the case: keys given, or none */
        expect_contains(r.err, quiet[i][0] != NULL
                                   ? "your key those of its registry?)\n"
                                   : "does not answer a client without "
                                     "keys)\n");
        result_free(&r);
    }

    /* one key file without the other */
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "--secret",
                                            f->a_sec, "get", "010006", NULL});
    assert_int_equal(r.code, 2);
    expect_contains(r.err, "--secret without --server-public");
    result_free(&r);
    r = run_as(f, f->a_sec, f->server_pub,
               (const char *[]){"history", "010006", NULL});
    assert_int_equal(r.code, 0);
    assert_int_equal(count_lines_starting(r.out, "revision "), 2);
    result_free(&r);
}

#ifdef SV_HAVE_AGGREGATOR

/* Runs `survey -e ENDPOINT snapshot --new` (a snapshot, so a publication)
 * until the watcher pid has exited; returns its wait status. */
static int nudge_until_exit(const sv_harness *h, pid_t pid)
{
    int status = 0;
    int64_t deadline = clock_ms() + 60000;
    while (clock_ms() < deadline) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            return status;
        run_result r =
            survey_run(h->dir, (const char *[]){"-e", h->endpoint, "snapshot",
                                                "--new", "-f", "csv", NULL});
        result_free(&r);
        sleep_ms(200);
    }
    fail_msg("watch did not end");
    return -1;
}

/* The real collector and aggregator: no snapshot yet, a rerun nobody
 * answers, then the aggregator, the seed responses, watch, rerun, and the
 * report's 1-5 figures (97% 98% 64% 12% 53% 15% 11% 30%). */
static void test_cli_aggregation_end_to_end(void **state)
{
    sv_harness *h = *state;
    run_result r =
        survey_run(h->dir, (const char *[]){"-e", h->endpoint, "status", NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "no snapshot of shoman-jiritsu-r6 yet");
    result_free(&r);
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "rerun",
                                            "--wait-timeout", "200", NULL});
    assert_int_equal(r.code, 3);
    expect_contains(r.err, "survey: rerun queued at sequence ");
    expect_contains(r.err, "; no snapshot yet (is survey-aggregator "
                           "running?)\n");
    result_free(&r);

    assert_int_equal(sv_harness_start_aggregator(h, NULL), 0);
    char wdir[200];
    snprintf(wdir, sizeof wdir, "%s/watch", h->dir);
    assert_int_equal(mkdir(wdir, 0700), 0);
    pid_t watch =
        survey_spawn(wdir, (const char *[]){"watch", "--watch-endpoint",
                                            h->publish, "--count", "1", NULL});
    const char *file = SV_SOURCE_DIR "/data/r6/responses.jsonl";
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "load", file, NULL});
    assert_int_equal(r.code, 0);
    result_free(&r);
    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "rerun", NULL});
    if (r.code != 0)
        fail_msg("rerun: exit %d: %s", r.code, r.err);
    assert_memory_equal(r.out, "snapshot ", 9);
    expect_contains(r.out, " (sequence ");
    result_free(&r);

    int status = nudge_until_exit(h, watch);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    run_result w = {0, NULL, NULL};
    char path[256];
    snprintf(path, sizeof path, "%s/survey.out", wdir);
    w.out = slurp_file(path);
    snprintf(path, sizeof path, "%s/survey.err", wdir);
    w.err = slurp_file(path);
    assert_string_equal(w.err, "");
    assert_int_equal(count_lines_starting(w.out, "20"), 1);
    expect_contains(w.out, " shoman-jiritsu-r6 version ");
    expect_contains(w.out, " | 相談支援事業 ");
    expect_contains(w.out, " | complete ");
    result_free(&w);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "snapshot", "-f",
                                            "csv", NULL});
    assert_int_equal(r.code, 0);
    static const char *const rates[] = {
        "rates,consult,yes,相談支援事業,all,133,137,97\n",
        "rates,supporter,yes,自立支援員の配置（自立支援員による支援）,all,134,"
        "137,98\n",
        "rates,fact_finding,yes,実態把握事業,all,88,137,64\n",
        "rates,care_support,yes,療養生活支援事業,all,17,137,12\n",
        "rates,peer_exchange,yes,相互交流支援事業,all,73,137,53\n",
        "rates,employment,yes,就職支援事業,all,20,137,15\n",
        "rates,carer_support,yes,介護者支援事業,all,15,137,11\n",
        "rates,other_support,yes,その他の自立支援事業,all,41,137,30\n"};
    assert_memory_equal(r.out, SV_CSV_HEADER "\n", strlen(SV_CSV_HEADER) + 1);
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        expect_contains(r.out, rates[i]);
    expect_contains(r.out, "\nmatrix_total,holders,,");
    expect_contains(r.out, "\ncompleteness,,not_started,未回答,all,0,137,\n");
    result_free(&r);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "snapshot", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "97% (133/137)\n");
    expect_contains(r.out, "\n 1  北海道 ");
    expect_contains(r.out, " 2,203  ○");
    result_free(&r);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "snapshot", "-f",
                                            "json", NULL});
    assert_int_equal(r.code, 0);
    json_error_t jerr;
    json_t *doc = json_loads(r.out, 0, &jerr);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "survey")),
                        "shoman-jiritsu-r6");
    assert_int_equal(strlen(json_string_value(json_object_get(doc, "digest"))),
                     64);
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(doc, "matrix"), "rows")),
                     137);
    json_decref(doc);
    result_free(&r);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "status", NULL});
    assert_int_equal(r.code, 0);
    assert_memory_equal(r.out, "shoman-jiritsu-r6: snapshot ", 28);
    expect_contains(r.out, "not started (0):\n  none\n");
    expect_contains(r.out, "incomplete (134):\n");
    result_free(&r);
}

/* `survey rerun`: the version of the snapshot it waited for. */
static unsigned long rerun_version(const sv_harness *h)
{
    run_result r =
        survey_run(h->dir, (const char *[]){"-e", h->endpoint, "rerun", NULL});
    if (r.code != 0)
        fail_msg("rerun: exit %d: %s", r.code, r.err);
    unsigned long v = 0;
    assert_int_equal(sscanf(r.out, "snapshot %lu ", &v), 1);
    result_free(&r);
    return v;
}

/* A correction between two snapshots: diff lists the changed figures and
 * the revision (with its note) that caused them. */
static void test_cli_diff(void **state)
{
    sv_harness *h = *state;
    assert_int_equal(sv_harness_start_aggregator(h, NULL), 0);
    submit_first(h);
    unsigned long before = rerun_version(h);
    run_result r =
        survey_run(h->dir, (const char *[]){"-e", h->endpoint, "correct",
                                            "010006", "--set", "holders=2204",
                                            "--set", "supporter=yes", "--note",
                                            "supporter hired in April", NULL});
    if (r.code != 0)
        fail_msg("correct: exit %d: %s", r.code, r.err);
    result_free(&r);
    unsigned long after = rerun_version(h);
    assert_true(after > before);

    char v1[24], v2[24];
    snprintf(v1, sizeof v1, "%lu", before);
    snprintf(v2, sizeof v2, "%lu", after);
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "diff", v1, v2, NULL});
    if (r.code != 0)
        fail_msg("diff: exit %d: %s", r.code, r.err);
    char head[64];
    snprintf(head, sizeof head, "snapshot %lu (sequence ", before);
    assert_memory_equal(r.out, head, strlen(head));
    expect_contains(r.out, "\nrates\n  supporter=yes 自立支援員の配置（自立支援"
                           "員による支援） [all]: 0% (0/1) -> 100% (1/1)\n");
    expect_contains(r.out, "\nmatrix\n  010006 北海道, holders: 2,203 -> "
                           "2,204\n  010006 北海道, supporter: × -> ○\n");
    expect_contains(r.out, "\nmatrix totals\n  holders [all]: 2,203 (n 1) -> "
                           "2,204 (n 1)\n");
    expect_contains(r.out, "\n  010006 北海道: incomplete, revision 1, ");
    expect_contains(r.out, "\nprograms\n  supporter=yes 自立支援員の配置（自立"
                           "支援員による支援）: + 010006 北海道\n");
    const char *cause = strstr(r.out, "\ncaused by (revisions with sequence "
                                      "in (");
    assert_non_null(cause);
    expect_contains(cause, "\n  010006 北海道\n    revision 2  20");
    expect_contains(cause, "  note: supporter hired in April\n"
                           "      ~ holders: 2203 -> 2204\n"
                           "      ~ supporter: \"no\" -> \"yes\"\n");
    assert_null(strstr(cause, "revision 1 "));
    assert_string_equal(r.err, "");
    result_free(&r);

    /* the other way round: old and new swap, the cause is the same */
    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "diff", v2, v1, NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "  010006 北海道, holders: 2,204 -> 2,203\n");
    expect_contains(r.out, "note: supporter hired in April\n");
    result_free(&r);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "diff", v2,
                                            "latest", NULL});
    assert_int_equal(r.code, 0);
    expect_contains(r.out, "\nno figure changed\n");
    assert_null(strstr(r.out, "caused by"));
    result_free(&r);

    r = survey_run(
        h->dir, (const char *[]){"-e", h->endpoint, "diff", v1, "9999", NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "survey: NOT_FOUND: no snapshot version 9999");
    result_free(&r);
}

/* What others wrote, wired in: the HTML report, the workbook, and CSV for
 * Excel. */
static void test_cli_report_xlsx_excel(void **state)
{
    sv_harness *h = *state;
    assert_int_equal(sv_harness_start_aggregator(h, NULL), 0);
    submit_first(h);
    (void)rerun_version(h);
    char html[300], xlsx[300];
    snprintf(html, sizeof html, "%s/report.html", h->dir);
    snprintf(xlsx, sizeof xlsx, "%s/report.xlsx", h->dir);

    run_result r =
        survey_run(h->dir, (const char *[]){"-e", h->endpoint, "report", "-o",
                                            html, NULL});
    if (r.code != 0)
        fail_msg("report: exit %d: %s", r.code, r.err);
    assert_string_equal(r.out, "");
    result_free(&r);
    char *text = slurp_file(html);
    assert_memory_equal(text, "<!DOCTYPE html>", 15);
    expect_contains(text, "1-5. 実施率");
    expect_contains(text, "<table");
    expect_contains(text, "相談支援事業");
    free(text);

    r = survey_run(h->dir, (const char *[]){"-e", h->endpoint, "report",
                                            "--version", "1", "-o", "-", NULL});
    assert_int_equal(r.code, 0);
    assert_memory_equal(r.out, "<!DOCTYPE html>", 15);
    result_free(&r);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "snapshot", "--format",
                                    "xlsx", "-o", xlsx, NULL});
    if (r.code != 0)
        fail_msg("snapshot xlsx: exit %d: %s", r.code, r.err);
    result_free(&r);
    text = slurp_file(xlsx);
    assert_memory_equal(text, "PK", 2);
    free(text);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "snapshot", "--format",
                                    "csv", "--excel", NULL});
    assert_int_equal(r.code, 0);
    assert_memory_equal(r.out, "\xEF\xBB\xBF" SV_CSV_HEADER "\r\n",
                        3 + strlen(SV_CSV_HEADER) + 2);
    expect_contains(r.out,
                    "\r\nrates,consult,yes,相談支援事業,all,1,1,100\r\n");
    for (const char *p = strchr(r.out, '\n'); p != NULL;
         p = strchr(p + 1, '\n'))
        assert_int_equal(p[-1], '\r');
    result_free(&r);

    r = survey_run(h->dir,
                   (const char *[]){"-e", h->endpoint, "report", "--version",
                                    "9999", "-o", html, NULL});
    assert_int_equal(r.code, 1);
    expect_contains(r.err, "NOT_FOUND");
    result_free(&r);
}
#endif /* SV_HAVE_AGGREGATOR */
#endif /* SV_HAVE_COLLECTOR */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_typed_answers),
        cmocka_unit_test(test_json_misfits_are_sent_as_they_are),
        cmocka_unit_test(test_json_values_without_wire_form),
        cmocka_unit_test(test_json_envelope),
        cmocka_unit_test(test_revision_to_json),
        cmocka_unit_test(test_get_output_round_trips),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_ack_line),
        cmocka_unit_test(test_error_lines),
        cmocka_unit_test(test_history_text),
        cmocka_unit_test(test_load_line_id),
        cmocka_unit_test(test_rpc_times_out),
        cmocka_unit_test(test_rpc_lazy_pirate_resends_same_bytes),
        cmocka_unit_test(test_rpc_pipeline),
        cmocka_unit_test(test_cli_usage),
        cmocka_unit_test(test_cli_keygen),
        cmocka_unit_test(test_cli_key_options),
        cmocka_unit_test(test_cli_load_unanswered),
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_csv_quoting),
        cmocka_unit_test(test_snapshot_csv),
        cmocka_unit_test(test_snapshot_text_says_detail_omitted),
        cmocka_unit_test(test_snapshot_md),
        cmocka_unit_test(test_snapshot_text),
        cmocka_unit_test(test_snapshot_json),
        cmocka_unit_test(test_watch_summary),
        cmocka_unit_test(test_completeness_english),
        cmocka_unit_test(test_cli_usage_aggregation),
        cmocka_unit_test(test_cli_rerun_and_snapshots),
        cmocka_unit_test(test_cli_rerun_times_out),
        cmocka_unit_test(test_cli_watch_count),
        cmocka_unit_test(test_cli_watch_sigterm),
        cmocka_unit_test(test_cli_usage_admin),
#ifdef SV_HAVE_COLLECTOR
        cmocka_unit_test_setup_teardown(test_cli_submit_get_history,
                                        collector_up, collector_down),
        cmocka_unit_test_setup_teardown(test_cli_submit_invalid, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_lazy_pirate, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_load_lines, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_load_responses, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_correct, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_correct_conflict, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_import_matrix_dry_run,
                                        collector_up, collector_down),
        cmocka_unit_test_setup_teardown(test_cli_import_matrix, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_documented_examples,
                                        collector_up, collector_down),
        cmocka_unit_test_setup_teardown(test_cli_auth, auth_up, auth_down),
#ifdef SV_HAVE_AGGREGATOR
        cmocka_unit_test_setup_teardown(test_cli_aggregation_end_to_end,
                                        collector_up, collector_down),
        cmocka_unit_test_setup_teardown(test_cli_diff, collector_up,
                                        collector_down),
        cmocka_unit_test_setup_teardown(test_cli_report_xlsx_excel,
                                        collector_up, collector_down),
#endif
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
