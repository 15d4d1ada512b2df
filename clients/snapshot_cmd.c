/* snapshot_cmd.c: see snapshot_cmd.h. */
#include "snapshot_cmd.h"

#include "answers_json.h"
#include "completeness.h"
#include "excel_csv.h"
#include "figures.h"
#include "out_file.h"
#include "report_html.h"
#include "requests.h"
#include "snapshot_csv.h"
#include "snapshot_json.h"
#include "snapshot_text.h"
#include "snapshot_xlsx.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

sv_status sv_snapshot_write(FILE *out, const Survey__V1__Snapshot *s,
                            sv_format format, sv_error *err)
{
    switch (format) {
    case SV_FORMAT_CSV:
        sv_snapshot_write_csv(out, s);
        return SV_OK;
    case SV_FORMAT_JSON: {
        json_t *j = sv_snapshot_to_json(s);
        if (j == NULL)
            return sv_fail(err, SV_ERR_NOMEM,
                           "cannot turn the snapshot into JSON");
        int rc = json_dumpf(j, out, JSON_INDENT(2));
        json_decref(j);
        if (rc != 0)
            return sv_fail(err, SV_ERR_IO, "cannot write the JSON");
        fputc('\n', out);
        return SV_OK;
    }
    case SV_FORMAT_MD:
        return sv_snapshot_write_text(out, s, SV_TABLE_MARKDOWN, err);
    case SV_FORMAT_HTML:
        return sv_report_html(s, out, err);
    case SV_FORMAT_XLSX:
        return sv_fail(err, SV_ERR_INVALID,
                       "an xlsx workbook is written to a file, not a stream");
    case SV_FORMAT_TEXT:
        break;
    }
    return sv_snapshot_write_text(out, s, SV_TABLE_TEXT, err);
}

/* Asks for a new snapshot (full: a rerun) and polls for it. Returns
 * SV_EXIT_OK and *out, a reply holding the header of the first snapshot
 * whose sequence is >= the Queued one; else the exit code, with the reason
 * printed. */
static int queue_and_wait(const sv_client_opts *o, sv_rpc *rpc, bool full,
                          Survey__V1__Reply **out)
{
    Survey__V1__RerunRequest rr = SURVEY__V1__RERUN_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    Survey__V1__Reply *queued = NULL, *reply = NULL;
    sv_error err;
    rr.survey = (char *)o->survey;
    rr.full = full;
    req.body_case = SURVEY__V1__REQUEST__BODY_RERUN;
    req.rerun = &rr;
    sv_status st = sv_request(rpc, &req, SURVEY__V1__REPLY__BODY_QUEUED,
                              "rerun", &queued, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    if (queued->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        int code = sv_report_error(queued->error, "");
        survey__v1__reply__free_unpacked(queued, NULL);
        return code;
    }
    uint64_t seq = queued->queued->sequence;
    const char *survey =
        queued->queued->survey[0] != '\0' ? queued->queued->survey : o->survey;
    int64_t deadline = now_ms() + o->wait_timeout_ms;
    int code;
    for (;;) {
        st = sv_request_snapshot(rpc, survey, 0, true, &reply, &err);
        if (st != SV_OK) {
            code = sv_report_failure(st, &err);
            break;
        }
        if (reply->body_case == SURVEY__V1__REPLY__BODY_SNAPSHOT &&
            reply->snapshot->sequence >= seq) {
            *out = reply;
            reply = NULL;
            code = SV_EXIT_OK;
            break;
        }
        if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR &&
            reply->error->code != SURVEY__V1__ERROR__CODE__NOT_FOUND) {
            code = sv_report_error(reply->error, "");
            break;
        }
        survey__v1__reply__free_unpacked(reply, NULL);
        reply = NULL;
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr,
                    "survey: %s queued at sequence %llu; no snapshot yet "
                    "(is survey-aggregator running?)\n",
                    full ? "rerun" : "snapshot", (unsigned long long)seq);
            code = SV_EXIT_NO_REPLY;
            break;
        }
        sleep_ms(left < SV_POLL_INTERVAL_MS ? left : SV_POLL_INTERVAL_MS);
    }
    if (reply != NULL)
        survey__v1__reply__free_unpacked(reply, NULL);
    survey__v1__reply__free_unpacked(queued, NULL);
    return code;
}

int sv_cmd_rerun(const sv_client_opts *o)
{
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__Reply *reply = NULL;
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    int code = queue_and_wait(o, rpc, true, &reply);
    sv_rpc_destroy(&rpc);
    if (code != SV_EXIT_OK)
        return code;
    const Survey__V1__Snapshot *s = reply->snapshot;
    char hex[SV_DIGEST_SHORT + 1];
    printf("snapshot %llu (sequence %llu, digest %s)\n",
           (unsigned long long)s->version, (unsigned long long)s->sequence,
           sv_fig_digest(s->digest, SV_DIGEST_SHORT, hex, sizeof hex));
    survey__v1__reply__free_unpacked(reply, NULL);
    return SV_EXIT_OK;
}

sv_status sv_snapshot_write_excel_csv(FILE *out, const Survey__V1__Snapshot *s,
                                      sv_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (mem == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_snapshot_write_csv(mem, s);
    bool failed = ferror(mem) != 0;
    if (fclose(mem) != 0 || failed) {
        free(buf);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    sv_status st = sv_excel_csv(buf, len, out, err);
    free(buf);
    return st;
}

static sv_status write_stream(FILE *out, const sv_client_opts *o,
                              const Survey__V1__Snapshot *s, sv_error *err)
{
    if (o->excel)
        return sv_snapshot_write_excel_csv(out, s, err);
    return sv_snapshot_write(out, s, o->format, err);
}

/* Writes s to o->output whole or not at all (out_file.h): a failed write
 * leaves what was there. */
static int write_file(const sv_client_opts *o, const Survey__V1__Snapshot *s)
{
    sv_out_file out;
    sv_error err;
    sv_status st = sv_out_open(&out, o->output, &err);

    if (st != SV_OK) {
        fprintf(stderr, "survey: %s\n", err.msg);
        return SV_EXIT_USAGE;
    }
    if (o->format == SV_FORMAT_XLSX)
        st = sv_snapshot_xlsx(s, sv_out_name(&out), &err);
    else
        st = write_stream(out.f, o, s, &err);
    if (st != SV_OK) {
        fprintf(stderr, "survey: %s: %s\n", o->output, err.msg);
        sv_out_abandon(&out);
        return SV_EXIT_USAGE;
    }
    if (sv_out_commit(&out, &err) != SV_OK) {
        fprintf(stderr, "survey: %s\n", err.msg);
        return SV_EXIT_USAGE;
    }
    return SV_EXIT_OK;
}

/* Prints s to o->output (a file, written whole) or stdout (NULL or "-"). */
static int print_snapshot(const sv_client_opts *o,
                          const Survey__V1__Snapshot *s)
{
    sv_error err;
    if (o->output != NULL && strcmp(o->output, "-") != 0)
        return write_file(o, s);
    sv_status st = write_stream(stdout, o, s, &err);
    return st == SV_OK ? SV_EXIT_OK : sv_report_failure(st, &err);
}

int sv_cmd_snapshot(const sv_client_opts *o)
{
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__Reply *head = NULL, *reply = NULL;
    int code;
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    uint64_t version = o->version;
    const char *survey = o->survey;
    if (o->fresh) {
        code = queue_and_wait(o, rpc, false, &head);
        if (code != SV_EXIT_OK)
            goto fail;
        version = head->snapshot->version;
        if (head->snapshot->survey[0] != '\0')
            survey = head->snapshot->survey;
    }
    st = sv_request_snapshot(rpc, survey, version, false, &reply, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
        goto fail;
    }
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR)
        code = sv_report_error(reply->error, "");
    else
        code = print_snapshot(o, reply->snapshot);
fail:
    if (reply != NULL)
        survey__v1__reply__free_unpacked(reply, NULL);
    if (head != NULL)
        survey__v1__reply__free_unpacked(head, NULL);
    sv_rpc_destroy(&rpc);
    return code;
}

int sv_cmd_report(const sv_client_opts *o)
{
    if (o->output == NULL) {
        fprintf(stderr, "survey: report: -o FILE is required (- for "
                        "stdout)\n");
        return SV_EXIT_USAGE;
    }
    sv_client_opts html = *o;
    html.format = SV_FORMAT_HTML;
    html.excel = false;
    return sv_cmd_snapshot(&html);
}

static int print_status(const Survey__V1__Status *status)
{
    const Survey__V1__Snapshot *s = status->snapshot;
    char when[40], hex[SV_DIGEST_SHORT + 1];
    sv_error err;
    printf("%s: snapshot %llu (sequence %llu, created %s, digest %s)\n",
           s->survey[0] != '\0' ? s->survey : status->survey,
           (unsigned long long)s->version, (unsigned long long)s->sequence,
           sv_format_time(s->created_ms, when, sizeof when),
           sv_fig_digest(s->digest, SV_DIGEST_SHORT, hex, sizeof hex));
    if (status->log_sequence > s->sequence)
        printf("the change log is at sequence %llu: newer changes are not "
               "aggregated yet\n",
               (unsigned long long)status->log_sequence);
    else
        printf("up to date with the change log (sequence %llu)\n",
               (unsigned long long)status->log_sequence);
    fputc('\n', stdout);
    if (s->completeness == NULL) {
        printf("no completeness figures in this snapshot\n");
        return SV_EXIT_OK;
    }
    sv_status st = sv_completeness_write(stdout, s->completeness, s,
                                         SV_TABLE_TEXT, SV_LANG_EN, &err);
    return st == SV_OK ? SV_EXIT_OK : sv_report_failure(st, &err);
}

int sv_cmd_status(const sv_client_opts *o)
{
    sv_error err;
    sv_rpc *rpc = NULL;
    Survey__V1__Reply *reply = NULL;
    Survey__V1__StatusRequest sr = SURVEY__V1__STATUS_REQUEST__INIT;
    Survey__V1__Request req = SURVEY__V1__REQUEST__INIT;
    sr.survey = (char *)o->survey;
    req.body_case = SURVEY__V1__REQUEST__BODY_STATUS;
    req.status = &sr;
    sv_status st = sv_client_rpc(o, &rpc, &err);
    if (st == SV_OK)
        st = sv_request(rpc, &req, SURVEY__V1__REPLY__BODY_STATUS, "status",
                        &reply, &err);
    sv_rpc_destroy(&rpc);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    int code;
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        code = sv_report_error(reply->error, "");
    } else if (reply->status->snapshot == NULL) {
        const char *name = reply->status->survey[0] != '\0'
                               ? reply->status->survey
                               : o->survey;
        fprintf(stderr,
                "survey: no snapshot of %s yet (is survey-aggregator "
                "running?)\n",
                name[0] != '\0' ? name : "the survey");
        code = SV_EXIT_REJECTED;
    } else {
        code = print_status(reply->status);
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return code;
}
