/* reply.c: see reply.h. */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

/* Owned copy of len bytes into out. */
static sv_status own_copy(const uint8_t *bytes, size_t len, sv_packed *out)
{
    uint8_t *data = malloc(len > 0 ? len : 1);

    if (data == NULL)
        return SV_ERR_NOMEM;
    if (len > 0)
        memcpy(data, bytes, len);
    out->data = data;
    out->len = len;
    return SV_OK;
}

sv_status sv_reply_pack_with(sv_pb_packer *pk, Survey__V1__Reply *reply,
                             uint64_t request_id, sv_packed *out)
{
    reply->request_id = request_id;
    if (pk != NULL) {
        const uint8_t *bytes;
        size_t len;
        sv_pb_result r = sv_pb_pack(pk, &reply->base, &bytes, &len);
        if (r == SV_PB_OK)
            return own_copy(bytes, len, out);
        if (r == SV_PB_NOMEM)
            return SV_ERR_NOMEM;
        /* declined (a field it does not know): protobuf-c's */
    }
    size_t len = survey__v1__reply__get_packed_size(reply);
    uint8_t *data = malloc(len > 0 ? len : 1);
    if (data == NULL)
        return SV_ERR_NOMEM;
    size_t packed = survey__v1__reply__pack(reply, data);
    if (packed != len) {
        free(data);
        return SV_ERR_PROTO;
    }
    out->data = data;
    out->len = len;
    return SV_OK;
}

sv_status sv_reply_pack(Survey__V1__Reply *reply, uint64_t request_id,
                        sv_packed *out)
{
    return sv_reply_pack_with(NULL, reply, request_id, out);
}

sv_status sv_reply_error(uint64_t request_id, Survey__V1__Error__Code code,
                         const char *message, uint64_t current_revision,
                         const sv_problem *problems, size_t n_problems,
                         sv_packed *out)
{
    Survey__V1__Error error = SURVEY__V1__ERROR__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    Survey__V1__Problem *items = NULL;
    Survey__V1__Problem **ptrs = NULL;
    sv_status st = SV_ERR_NOMEM;

    if (n_problems > 0) {
        items = calloc(n_problems, sizeof *items);
        ptrs = calloc(n_problems, sizeof *ptrs);
        if (items == NULL || ptrs == NULL)
            goto fail;
        for (size_t i = 0; i < n_problems; i++) {
            survey__v1__problem__init(&items[i]);
            items[i].question = problems[i].question;
            items[i].value = problems[i].value;
            items[i].rule = problems[i].rule;
            items[i].message = problems[i].message;
            ptrs[i] = &items[i];
        }
    }
    error.code = code;
    error.message = (char *)message;
    error.current_revision = current_revision;
    error.problems = ptrs;
    error.n_problems = n_problems;
    reply.body_case = SURVEY__V1__REPLY__BODY_ERROR;
    reply.error = &error;
    st = sv_reply_pack(&reply, request_id, out);
fail:
    free(ptrs);
    free(items);
    return st;
}

sv_status sv_reply_ack(sv_pb_packer *pk, uint64_t request_id,
                       const char *survey, const Survey__V1__Submission *sub,
                       const sv_put_result *res, sv_packed *out)
{
    Survey__V1__Ack ack = SURVEY__V1__ACK__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    ack.respondent = sub->respondent;
    ack.revision = res->revision;
    ack.sequence = res->sequence;
    ack.duplicate = res->duplicate;
    ack.missing = res->missing;
    ack.n_missing = res->n_missing;
    ack.survey = (char *)survey;
    ack.submission_id = sub->submission_id;
    reply.body_case = SURVEY__V1__REPLY__BODY_ACK;
    reply.ack = &ack;
    return sv_reply_pack_with(pk, &reply, request_id, out);
}

sv_status sv_reply_checked(uint64_t request_id, const char *survey,
                           const Survey__V1__Submission *sub,
                           const char *const *missing, size_t n_missing,
                           sv_packed *out)
{
    Survey__V1__Ack ack = SURVEY__V1__ACK__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    ack.respondent = sub->respondent;
    ack.missing = (char **)missing;
    ack.n_missing = n_missing;
    ack.survey = (char *)survey;
    ack.submission_id = sub->submission_id;
    ack.checked = true;
    reply.body_case = SURVEY__V1__REPLY__BODY_ACK;
    reply.ack = &ack;
    return sv_reply_pack(&reply, request_id, out);
}

static Survey__V1__Question__Type wire_type(sv_qtype type)
{
    switch (type) {
    case SV_Q_INTEGER:
        return SURVEY__V1__QUESTION__TYPE__INTEGER;
    case SV_Q_TEXT:
        return SURVEY__V1__QUESTION__TYPE__TEXT;
    case SV_Q_SELECT_ONE:
        return SURVEY__V1__QUESTION__TYPE__SELECT_ONE;
    case SV_Q_SELECT_MULTIPLE:
        return SURVEY__V1__QUESTION__TYPE__SELECT_MULTIPLE;
    }
    return SURVEY__V1__QUESTION__TYPE__TYPE_UNSPECIFIED;
}

sv_status sv_reply_questionnaire(uint64_t request_id, const sv_questionnaire *q,
                                 sv_packed *out)
{
    size_t n = sv_questionnaire_count(q);
    size_t n_opts = 0;
    for (size_t i = 0; i < n; i++)
        n_opts += sv_questionnaire_question(q, i)->n_options;

    Survey__V1__Questionnaire form = SURVEY__V1__QUESTIONNAIRE__INIT;
    Survey__V1__Reply reply = SURVEY__V1__REPLY__INIT;
    Survey__V1__Question *items = calloc(n > 0 ? n : 1, sizeof *items);
    Survey__V1__Question **ptrs = calloc(n > 0 ? n : 1, sizeof *ptrs);
    char **opts = calloc(n_opts > 0 ? n_opts : 1, sizeof *opts);
    sv_status st = SV_ERR_NOMEM;
    if (items == NULL || ptrs == NULL || opts == NULL)
        goto fail;

    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const sv_question *question = sv_questionnaire_question(q, i);
        Survey__V1__Question *item = &items[i];
        survey__v1__question__init(item);
        item->name = (char *)question->name;
        item->type = wire_type(question->type);
        item->label = (char *)question->label;
        item->required = question->required;
        item->relevant = (char *)sv_questionnaire_relevant_text(q, i);
        if (question->group >= 0) {
            const sv_group *g = sv_questionnaire_group(q, question->group);
            item->group = (char *)g->name;
        }
        item->options = &opts[used];
        item->n_options = question->n_options;
        for (size_t k = 0; k < question->n_options; k++)
            opts[used++] = (char *)question->options[k].name;
        ptrs[i] = item;
    }
    form.survey = (char *)sv_questionnaire_id(q);
    form.version = (char *)sv_questionnaire_version(q);
    form.title = (char *)sv_questionnaire_title(q);
    form.questions = ptrs;
    form.n_questions = n;
    reply.body_case = SURVEY__V1__REPLY__BODY_QUESTIONNAIRE;
    reply.questionnaire = &form;
    st = sv_reply_pack(&reply, request_id, out);
fail:
    free(opts);
    free(ptrs);
    free(items);
    return st;
}

const char *sv_code_name(Survey__V1__Error__Code code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &survey__v1__error__code__descriptor, (int)code);
    return v != NULL ? v->name : "UNKNOWN_CODE";
}

const char *sv_rule_name(Survey__V1__Problem__Rule rule)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &survey__v1__problem__rule__descriptor, (int)rule);
    return v != NULL ? v->name : "UNKNOWN_RULE";
}
