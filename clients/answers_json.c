/* answers_json.c: see answers_json.h. */
#include "answers_json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Keys of the plain form that are read elsewhere or only informative. */
static const char *const ignored_keys[] = {"sequence", "time", "submitter",
                                           "missing"};

/* A short text of v for error messages, into buf. */
static const char *show(const json_t *v, char *buf, size_t size)
{
    /* 15 digits: 585.7, not the binary 585.70000000000005 */
    char *text =
        json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (text == NULL) {
        snprintf(buf, size, "(a value)");
        return buf;
    }
    if (strlen(text) > 60)
        snprintf(buf, size, "%.57s...", text);
    else
        snprintf(buf, size, "%s", text);
    free(text);
    return buf;
}

static const Survey__V1__Question *
find_question(const Survey__V1__Questionnaire *qn, const char *name)
{
    if (qn == NULL)
        return NULL;
    for (size_t i = 0; i < qn->n_questions; i++) {
        if (qn->questions[i] != NULL &&
            strcmp(qn->questions[i]->name, name) == 0)
            return qn->questions[i];
    }
    return NULL;
}

/* A malloc'd Choices holding copies of the strings of array v.
 * SV_ERR_INVALID when an element is not a string. */
static sv_status make_choices(const json_t *v, Survey__V1__Choices **out)
{
    size_t n = json_array_size(v);
    Survey__V1__Choices *c = malloc(sizeof *c);
    if (c == NULL)
        return SV_ERR_NOMEM;
    survey__v1__choices__init(c);
    if (n > 0) {
        c->options = calloc(n, sizeof *c->options);
        if (c->options == NULL) {
            free(c);
            return SV_ERR_NOMEM;
        }
    }
    sv_status st = SV_OK;
    for (size_t i = 0; i < n && st == SV_OK; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            st = SV_ERR_INVALID;
            break;
        }
        c->options[i] = strdup(json_string_value(e));
        if (c->options[i] == NULL)
            st = SV_ERR_NOMEM;
        else
            c->n_options++;
    }
    if (st != SV_OK) {
        survey__v1__choices__free_unpacked(c, NULL);
        return st;
    }
    *out = c;
    return SV_OK;
}

/* Fills the value of a (already named) from v, typed by q (may be NULL). */
static sv_status set_value(Survey__V1__Answer *a, const json_t *v,
                           const Survey__V1__Question *q)
{
    if (json_is_string(v)) {
        char *s = strdup(json_string_value(v));
        if (s == NULL)
            return SV_ERR_NOMEM;
        if (q != NULL && q->type == SURVEY__V1__QUESTION__TYPE__SELECT_ONE) {
            a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
            a->choice = s;
        } else {
            a->value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
            a->text = s;
        }
        return SV_OK;
    }
    if (json_is_integer(v)) {
        a->value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
        a->integer = (int64_t)json_integer_value(v);
        return SV_OK;
    }
    if (json_is_array(v)) {
        Survey__V1__Choices *c = NULL;
        sv_status st = make_choices(v, &c);
        if (st != SV_OK)
            return st;
        a->value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
        a->choices = c;
        return SV_OK;
    }
    return SV_ERR_INVALID;
}

static sv_status add_answer(Survey__V1__Submission *sub, const char *name,
                            const json_t *v,
                            const Survey__V1__Questionnaire *qn, sv_error *err)
{
    char buf[80];
    Survey__V1__Answer *a = malloc(sizeof *a);
    if (a == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    survey__v1__answer__init(a);
    a->question = strdup(name);
    if (a->question == NULL) {
        free(a);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    sv_status st = set_value(a, v, find_question(qn, name));
    if (st != SV_OK) {
        survey__v1__answer__free_unpacked(a, NULL);
        if (st == SV_ERR_NOMEM)
            return sv_fail(err, st, "out of memory");
        return sv_fail(err, st,
                       "answer \"%s\": %s is not an answer (use a string, "
                       "an integer or an array of strings)",
                       name, show(v, buf, sizeof buf));
    }
    sub->answers[sub->n_answers++] = a;
    return SV_OK;
}

static sv_status get_string(const json_t *doc, const char *key, bool required,
                            char **dst, sv_error *err)
{
    const json_t *v = json_object_get(doc, key);
    if (v == NULL && !required)
        return SV_OK;
    if (!json_is_string(v))
        return sv_fail(err, SV_ERR_INVALID, "\"%s\" %s", key,
                       v == NULL ? "is missing" : "is not a string");
    char *s = strdup(json_string_value(v));
    if (s == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    *dst = s;
    return SV_OK;
}

static sv_status get_count(const json_t *v, const char *key, uint64_t *dst,
                           sv_error *err)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return sv_fail(err, SV_ERR_INVALID, "\"%s\" is not an integer >= 0",
                       key);
    *dst = (uint64_t)json_integer_value(v);
    return SV_OK;
}

static bool known_key(const char *key)
{
    static const char *const keys[] = {"survey",        "respondent", "answers",
                                       "base_revision", "revision",   "note",
                                       "submission_id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i]) == 0)
            return true;
    }
    for (size_t i = 0; i < sizeof ignored_keys / sizeof ignored_keys[0]; i++) {
        if (strcmp(key, ignored_keys[i]) == 0)
            return true;
    }
    return false;
}

const char *sv_json_survey(const json_t *doc, const char *default_survey)
{
    const json_t *v = json_object_get(doc, "survey");
    if (v == NULL)
        return default_survey;
    return json_string_value(v);
}

/* Everything but the answers. */
static sv_status fill_envelope(Survey__V1__Submission *sub, const json_t *doc,
                               const char *default_survey,
                               const Survey__V1__Questionnaire *qn,
                               sv_error *err)
{
    const char *survey = sv_json_survey(doc, default_survey);
    if (survey == NULL)
        return sv_fail(err, SV_ERR_INVALID, "\"survey\" is not a string");
    if (survey[0] == '\0' && qn != NULL)
        survey = qn->survey; /* the collector's only survey */
    sub->survey = strdup(survey);
    if (sub->survey == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_status st = get_string(doc, "respondent", true, &sub->respondent, err);
    if (st == SV_OK)
        st = get_string(doc, "note", false, &sub->note, err);
    if (st == SV_OK)
        st = get_string(doc, "submission_id", false, &sub->submission_id, err);
    if (st != SV_OK)
        return st;
    const json_t *base = json_object_get(doc, "base_revision");
    const char *base_key = "base_revision";
    if (base == NULL) {
        base = json_object_get(doc, "revision");
        base_key = "revision";
    }
    if (base != NULL)
        return get_count(base, base_key, &sub->base_revision, err);
    return SV_OK;
}

sv_status sv_json_to_submission(const json_t *doc, const char *default_survey,
                                const Survey__V1__Questionnaire *qn,
                                Survey__V1__Submission **out, sv_error *err)
{
    if (!json_is_object(doc))
        return sv_fail(err, SV_ERR_INVALID,
                       "a submission must be a JSON object");
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)doc, key, value)
    {
        if (!known_key(key))
            return sv_fail(err, SV_ERR_INVALID, "unknown key \"%s\"", key);
    }
    const json_t *answers = json_object_get(doc, "answers");
    if (!json_is_object(answers))
        return sv_fail(err, SV_ERR_INVALID, "\"answers\" %s",
                       answers == NULL ? "is missing" : "is not an object");

    Survey__V1__Submission *sub = malloc(sizeof *sub);
    if (sub == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    survey__v1__submission__init(sub);
    sv_status st = fill_envelope(sub, doc, default_survey, qn, err);
    if (st != SV_OK)
        goto fail;
    size_t n = json_object_size(answers);
    if (n > 0) {
        sub->answers = calloc(n, sizeof *sub->answers);
        if (sub->answers == NULL) {
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
            goto fail;
        }
    }
    /* json_object_iter walks in insertion order (jansson >= 2.8). */
    for (void *it = json_object_iter((json_t *)answers); it != NULL;
         it = json_object_iter_next((json_t *)answers, it)) {
        st = add_answer(sub, json_object_iter_key(it),
                        json_object_iter_value(it), qn, err);
        if (st != SV_OK)
            goto fail;
    }
    *out = sub;
    return SV_OK;
fail:
    survey__v1__submission__free_unpacked(sub, NULL);
    return st;
}

sv_status sv_submission_set_id(Survey__V1__Submission *sub, const char *id)
{
    char *copy = strdup(id);
    if (copy == NULL)
        return SV_ERR_NOMEM;
    if (sub->submission_id != protobuf_c_empty_string)
        free(sub->submission_id);
    sub->submission_id = copy;
    return SV_OK;
}

json_t *sv_answer_to_json(const Survey__V1__Answer *a)
{
    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        return json_string(a->choice);
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        return json_string(a->text);
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        return json_integer((json_int_t)a->integer);
    case SURVEY__V1__ANSWER__VALUE_CHOICES: {
        json_t *arr = json_array();
        if (arr == NULL)
            return NULL;
        for (size_t i = 0; a->choices != NULL && i < a->choices->n_options;
             i++) {
            if (json_array_append_new(
                    arr, json_string(a->choices->options[i])) != 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case SURVEY__V1__ANSWER__VALUE__NOT_SET:
    default:
        return json_null();
    }
}

/* Sets key to v (stolen). -1 when v is NULL or the set fails. */
static int put(json_t *obj, const char *key, json_t *v)
{
    if (v == NULL)
        return -1;
    return json_object_set_new(obj, key, v);
}

json_t *sv_answers_to_json(Survey__V1__Answer *const *answers, size_t n)
{
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (put(obj, answers[i]->question, sv_answer_to_json(answers[i])) !=
            0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *strings_to_json(char *const *s, size_t n)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (json_array_append_new(arr, json_string(s[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *sv_revision_to_json(const char *survey, const char *respondent,
                            const Survey__V1__Revision *rev, int with_ids)
{
    char when[40];
    json_t *obj = json_object();
    if (obj == NULL)
        return NULL;
    int rc = put(obj, "survey", json_string(survey));
    rc |= put(obj, "respondent", json_string(respondent));
    rc |= put(obj, "revision", json_integer((json_int_t)rev->revision));
    rc |= put(obj, "sequence", json_integer((json_int_t)rev->sequence));
    rc |= put(obj, "time",
              json_string(sv_format_time(rev->time_ms, when, sizeof when)));
    rc |= put(obj, "submitter", json_string(rev->submitter));
    rc |= put(obj, "note", json_string(rev->note));
    if (with_ids) {
        rc |= put(obj, "submission_id", json_string(rev->submission_id));
        rc |= put(obj, "base_revision",
                  json_integer((json_int_t)rev->base_revision));
    }
    rc |= put(obj, "answers", sv_answers_to_json(rev->answers, rev->n_answers));
    rc |= put(obj, "missing", strings_to_json(rev->missing, rev->n_missing));
    if (rc != 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

char *sv_format_time(int64_t time_ms, char *buf, size_t size)
{
    int64_t secs = time_ms / 1000;
    int64_t ms = time_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    char day[32];
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(buf, size, "@%lld", (long long)time_ms);
        return buf;
    }
    snprintf(buf, size, "%s.%03dZ", day, (int)ms);
    return buf;
}
