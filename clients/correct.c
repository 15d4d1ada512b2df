/* correct.c: see correct.h. */
#include "correct.h"

#include "answer_edit.h"
#include "answer_text.h"
#include "outcome.h"
#include "requests.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The question name of a --set (up to '='), into buf; NULL when s has no
 * '=' or an empty name. */
static const char *set_name(const char *s, char *buf, size_t size)
{
    const char *eq = strchr(s, '=');
    if (eq == NULL || eq == s || (size_t)(eq - s) >= size)
        return NULL;
    memcpy(buf, s, (size_t)(eq - s));
    buf[eq - s] = '\0';
    return buf;
}

/* The question named by change i: sets first, then unsets. */
static const char *change_name(const sv_client_opts *o, size_t i, char *buf,
                               size_t size)
{
    if (i < o->n_sets)
        return set_name(o->sets[i], buf, size);
    return o->unsets[i - o->n_sets];
}

/* Checks what needs no collector: a note, something to change, well-formed
 * --set, no question named twice. Prints the complaint; returns the exit
 * code, 0 when fine. */
static int check_arguments(const sv_client_opts *o)
{
    char a[256], b[256];
    if (o->note == NULL || o->note[0] == '\0') {
        fprintf(stderr, "survey: correct: --note is required: a correction "
                        "needs a reason\n");
        return SV_EXIT_USAGE;
    }
    size_t n = o->n_sets + o->n_unsets;
    if (n == 0) {
        fprintf(stderr, "survey: correct: nothing to change (give --set "
                        "QUESTION=VALUE or --unset QUESTION)\n");
        return SV_EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = change_name(o, i, a, sizeof a);
        if ((name == NULL || name[0] == '\0') && i < o->n_sets) {
            fprintf(stderr,
                    "survey: correct: --set wants QUESTION=VALUE, not "
                    "'%s'\n",
                    o->sets[i]);
            return SV_EXIT_USAGE;
        }
        if (name == NULL || name[0] == '\0') {
            fprintf(stderr, "survey: correct: --unset wants a question\n");
            return SV_EXIT_USAGE;
        }
        for (size_t j = 0; j < i; j++) {
            const char *other = change_name(o, j, b, sizeof b);
            if (other != NULL && strcmp(name, other) == 0) {
                fprintf(stderr, "survey: correct: %s is changed twice\n", name);
                return SV_EXIT_USAGE;
            }
        }
    }
    return SV_EXIT_OK;
}

/* Applies the --set and --unset changes to e. A question must be in qn
 * (an --unset may also name one the current revision answers). Returns
 * the exit code, 0 when fine. */
static int apply_changes(const sv_client_opts *o,
                         const Survey__V1__Questionnaire *qn,
                         const Survey__V1__Revision *cur, sv_edit *e)
{
    char name[256];
    sv_error err;
    for (size_t i = 0; i < o->n_sets; i++) {
        (void)set_name(o->sets[i], name, sizeof name);
        const Survey__V1__Question *q = sv_question_find(qn, name);
        if (q == NULL) {
            fprintf(stderr, "survey: correct: %s is not a question of %s\n",
                    name, qn->survey);
            return SV_EXIT_USAGE;
        }
        Survey__V1__Answer *a = NULL;
        /* a value that does not fit goes as it is: the collector says why */
        sv_status st =
            sv_answer_from_text(q, name, strchr(o->sets[i], '=') + 1, &a, &err);
        if (st == SV_ERR_NOMEM || sv_edit_set(e, a, &err) != SV_OK)
            return sv_report_failure(SV_ERR_NOMEM, &err);
    }
    for (size_t i = 0; i < o->n_unsets; i++) {
        const char *q = o->unsets[i];
        bool answered = false;
        for (size_t k = 0; cur != NULL && k < cur->n_answers; k++)
            answered = answered || strcmp(cur->answers[k]->question, q) == 0;
        if (sv_question_find(qn, q) == NULL && !answered) {
            fprintf(stderr, "survey: correct: %s is not a question of %s\n", q,
                    qn->survey);
            return SV_EXIT_USAGE;
        }
        sv_edit_unset(e, q);
    }
    return SV_EXIT_OK;
}

/* Prints the --unset options that would drop e's NOT_RELEVANT answers;
 * nothing when there are none. */
static void suggest_unsets(const Survey__V1__Error *e)
{
    size_t n = 0;
    for (size_t i = 0; i < e->n_problems; i++) {
        const Survey__V1__Problem *p = e->problems[i];
        if (p->rule != SURVEY__V1__PROBLEM__RULE__NOT_RELEVANT)
            continue;
        if (n++ == 0)
            fputs("survey: answers not relevant after the change must go: "
                  "add",
                  stderr);
        fprintf(stderr, " --unset %s", p->question);
    }
    if (n > 0)
        fputc('\n', stderr);
}

/* Prints the refusal of the submission and what to do about it. */
static int report_refusal(const Survey__V1__Error *e, const char *respondent,
                          uint64_t base)
{
    int code = sv_report_error(e, "rejected: ");
    if (e->code == SURVEY__V1__ERROR__CODE__CONFLICT &&
        e->current_revision != 0)
        fprintf(stderr,
                "survey: %s changed after revision %llu (now revision "
                "%llu): see `survey history %s`, then correct again\n",
                respondent, (unsigned long long)base,
                (unsigned long long)e->current_revision, respondent);
    else if (e->code == SURVEY__V1__ERROR__CODE__INVALID)
        suggest_unsets(e);
    return code;
}

/* Submits e against cur and prints the outcome; with check (--dry-run),
 * has the collector check it instead (its rules: relevance, constraints,
 * types) and prints what would be corrected, or why it would be
 * refused. */
static int submit(const sv_client_opts *o, sv_rpc *rpc, const char *survey,
                  const char *respondent, const Survey__V1__Revision *cur,
                  const sv_edit *e, bool check)
{
    sv_error err;
    Survey__V1__Reply *reply = NULL;
    sv_answer_set set = {.survey = survey,
                         .respondent = respondent,
                         .base_revision = cur->revision,
                         .note = o->note};
    set.answers = sv_edit_answers(e, &set.n_answers);
    sv_status st = check ? sv_request_check(rpc, &set, &reply, &err)
                         : sv_request_submit(rpc, &set, &reply, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    int code = SV_EXIT_OK;
    size_t n;
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        if (check)
            fprintf(stderr, "survey: --dry-run, nothing submitted: the "
                            "collector would refuse it\n");
        code = report_refusal(reply->error, respondent, cur->revision);
    } else {
        if (!check) {
            sv_outcome_ack(stdout, reply->ack);
        } else {
            printf("would correct %s revision %llu (--dry-run, checked by "
                   "the collector, nothing submitted",
                   respondent, (unsigned long long)cur->revision);
            if (reply->ack->n_missing > 0)
                printf("; %zu required answer%s still missing",
                       reply->ack->n_missing,
                       reply->ack->n_missing == 1 ? "" : "s");
            fputs("):", stdout);
        }
        fputc('\n', stdout);
        st = sv_edit_changes(e, stdout, "  ", &n, &err);
        if (st != SV_OK)
            code = sv_report_failure(st, &err);
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return code;
}

/* Reads the current revision, applies the changes, submits. */
static int correct(const sv_client_opts *o, sv_rpc *rpc,
                   const Survey__V1__Questionnaire *qn, const char *respondent)
{
    sv_error err;
    Survey__V1__Reply *reply = NULL;
    sv_edit *e = NULL;
    int code;
    sv_status st =
        sv_request_current(rpc, qn->survey, respondent, &reply, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        code = sv_report_error(reply->error, "");
        if (reply->error->code == SURVEY__V1__ERROR__CODE__NOT_FOUND)
            fprintf(stderr, "survey: nothing to correct: a first answer "
                            "goes with `survey submit`\n");
        goto fail;
    }
    const Survey__V1__Revision *cur = reply->response->current;
    st = sv_edit_new(&e, cur, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
        goto fail;
    }
    code = apply_changes(o, qn, cur, e);
    if (code != SV_EXIT_OK)
        goto fail;
    size_t n = 0;
    st = sv_edit_changes(e, NULL, "", &n, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
        goto fail;
    }
    if (n == 0) {
        printf("no change: %s revision %llu already has these answers\n",
               respondent, (unsigned long long)cur->revision);
    } else if (o->dry_run) {
        code = submit(o, rpc, qn->survey, respondent, cur, e, true);
    } else {
        code = submit(o, rpc, qn->survey, respondent, cur, e, false);
    }
fail:
    sv_edit_destroy(&e);
    survey__v1__reply__free_unpacked(reply, NULL);
    return code;
}

int sv_cmd_correct(const sv_client_opts *o, const char *respondent)
{
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__Reply *qreply = NULL;
    int code = check_arguments(o);
    if (code != SV_EXIT_OK)
        return code;
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st == SV_OK)
        st = sv_fetch_questionnaire(rpc, o->survey, &qreply, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
    } else if (qreply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        code = sv_report_error(qreply->error, "");
    } else {
        code = correct(o, rpc, qreply->questionnaire, respondent);
    }
    if (qreply != NULL)
        survey__v1__reply__free_unpacked(qreply, NULL);
    sv_rpc_destroy(&rpc);
    return code;
}
