/* outcome.c: see outcome.h. */
#include "outcome.h"

#include <stdbool.h>
#include <string.h>

const char *sv_outcome_code_name(Survey__V1__Error__Code code, char *buf,
                                 size_t size)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &survey__v1__error__code__descriptor, (int)code);
    if (v != NULL)
        return v->name;
    snprintf(buf, size, "CODE_%d", (int)code);
    return buf;
}

const char *sv_outcome_rule_name(Survey__V1__Problem__Rule rule, char *buf,
                                 size_t size)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &survey__v1__problem__rule__descriptor, (int)rule);
    if (v != NULL)
        return v->name;
    snprintf(buf, size, "RULE_%d", (int)rule);
    return buf;
}

void sv_outcome_quote(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

void sv_outcome_ack(FILE *out, const Survey__V1__Ack *ack)
{
    fprintf(out, "accepted %s revision %llu sequence %llu", ack->respondent,
            (unsigned long long)ack->revision,
            (unsigned long long)ack->sequence);
    if (ack->duplicate)
        fputs(" (duplicate)", out);
    if (ack->n_missing == 0)
        return;
    fprintf(out,
            "; incomplete: %zu required question%s missing: ", ack->n_missing,
            ack->n_missing == 1 ? "" : "s");
    for (size_t i = 0; i < ack->n_missing; i++) {
        if (i == SV_OUTCOME_MAX_MISSING) {
            fputs(", …", out);
            break;
        }
        fprintf(out, "%s%s", i > 0 ? ", " : "", ack->missing[i]);
    }
}

void sv_outcome_error(FILE *out, const Survey__V1__Error *e)
{
    char buf[32];
    fputs(sv_outcome_code_name(e->code, buf, sizeof buf), out);
    if (e->message[0] != '\0')
        fprintf(out, ": %s", e->message);
    /* the collector's message says it already, for a stale base; for a
       reused submission_id it is 0 and means nothing */
    if (e->code == SURVEY__V1__ERROR__CODE__CONFLICT &&
        e->current_revision > 0 &&
        strstr(e->message, "current revision") == NULL)
        fprintf(out, " (current revision %llu)",
                (unsigned long long)e->current_revision);
}

void sv_outcome_problem(FILE *out, const Survey__V1__Problem *p)
{
    char buf[32];
    bool named = p->question[0] != '\0';
    if (named) {
        fputs(p->question, out);
        if (p->value[0] != '\0') {
            fputs(" = ", out);
            sv_outcome_quote(out, p->value);
        }
        fputs(": ", out);
    }
    fputs(sv_outcome_rule_name(p->rule, buf, sizeof buf), out);
    if (p->message[0] != '\0')
        fprintf(out, ": %s", p->message);
}

void sv_outcome_error_brief(FILE *out, const Survey__V1__Error *e)
{
    char buf[32];
    if (e->n_problems == 0) {
        sv_outcome_error(out, e);
        return;
    }
    fprintf(out, "%s: ", sv_outcome_code_name(e->code, buf, sizeof buf));
    for (size_t i = 0; i < e->n_problems; i++) {
        if (i > 0)
            fputs("; ", out);
        sv_outcome_problem(out, e->problems[i]);
    }
}
