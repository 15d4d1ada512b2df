/* commands.h: the commands of the `survey` client (submit, get, history;
 * load is in load.h; snapshot, report, status and rerun in snapshot_cmd.h;
 * watch in watch.h; correct in correct.h; diff in diff.h; import-matrix
 * in import_matrix.h; keygen in keygen.h), the options they share, and the
 * exit codes.
 *
 * Each command prints its result on stdout and its complaints on stderr,
 * one line each, and returns the process exit code. */
#ifndef SV_COMMANDS_H
#define SV_COMMANDS_H

#include "rpc.h"
#include "status.h"
#include "survey.pb-c.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    SV_EXIT_OK = 0,           /* success */
    SV_EXIT_REJECTED = 1,     /* the collector refused (anything, in a load);
                                 status: no snapshot yet */
    SV_EXIT_USAGE = 2,        /* bad arguments or unusable input */
    SV_EXIT_NO_REPLY = 3,     /* no (usable) reply from the collector; rerun:
                                 no snapshot in time */
    SV_EXIT_INTERRUPTED = 130 /* load: stopped by SIGINT or SIGTERM (the
                                 shell's 128 + SIGINT) */
} sv_exit;

#define SV_DEFAULT_TIMEOUT_MS 5000
#define SV_DEFAULT_RETRIES 3
#define SV_DEFAULT_WINDOW 64

/* Poll interval of rerun and snapshot --new, and their default wait. */
#define SV_POLL_INTERVAL_MS 100
#define SV_DEFAULT_WAIT_TIMEOUT_MS 30000

/* How `survey snapshot` prints. */
typedef enum {
    SV_FORMAT_TEXT, /* the report as aligned plain text */
    SV_FORMAT_CSV,  /* one row per figure (snapshot_csv.h) */
    SV_FORMAT_JSON, /* the whole snapshot (snapshot_json.h) */
    SV_FORMAT_MD,   /* the report as Markdown */
    SV_FORMAT_HTML, /* the report as one HTML file (report_html.h) */
    SV_FORMAT_XLSX  /* an Excel workbook, to a file only (snapshot_xlsx.h) */
} sv_format;

typedef struct {
    const char *endpoint;           /* borrowed */
    const char *secret_file;        /* the client's CURVE secret certificate,
                                       borrowed; NULL (with server_public_file
                                       NULL) = plain, no authentication */
    const char *server_public_file; /* the collector's public certificate,
                                       borrowed; NULL iff secret_file is */
    const char *survey;          /* borrowed; used when a submission or command
                                    names none; "" = the collector's only survey
                                    (watch: every survey) */
    int timeout_ms;              /* > 0: wait for one reply */
    int retries;                 /* >= 0: resends after a timeout */
    size_t window;               /* load: requests in flight, >= 1 */
    bool json;                   /* history: JSON instead of text */
    uint64_t version;            /* snapshot: 0 = the latest */
    sv_format format;            /* snapshot */
    bool excel;                  /* snapshot --format csv: BOM and CRLF */
    const char *output;          /* snapshot, report: file to write; NULL or
                                    "-" = stdout */
    bool fresh;                  /* snapshot --new: ask for a snapshot first */
    int wait_timeout_ms;         /* rerun, snapshot --new: > 0 */
    const char *watch_endpoint;  /* watch: the aggregator's PUB endpoint */
    uint64_t count;              /* watch: stop after this many, 0 = never */
    volatile sig_atomic_t *stop; /* watch, load: set by SIGINT/SIGTERM;
                                    may be NULL */
    const char *const *sets;     /* correct: "question=value", borrowed */
    size_t n_sets;
    const char *const *unsets; /* correct: question names, borrowed */
    size_t n_unsets;
    const char *note; /* correct, import-matrix: NULL = none */
    bool dry_run;     /* correct, import-matrix: submit nothing */
} sv_client_opts;

/* The exit code for a failure status: 3 for no reply, a broken reply or a
 * messaging failure, else 2. */
int sv_exit_for(sv_status st);

/* Prints an Error reply on stderr: "survey: <prefix>CODE: message", then
 * one indented line per problem. Returns SV_EXIT_REJECTED. */
int sv_report_error(const Survey__V1__Error *e, const char *prefix);

/* Prints "survey: <err->msg>" on stderr; returns sv_exit_for(st). */
int sv_report_failure(sv_status st, const sv_error *err);

/* A client of the collector for o (sv_rpc_new with o's endpoint, timeout
 * and retries); with o->secret_file and o->server_public_file, both key
 * files are read and every socket is a CURVE client (sv_rpc_set_curve).
 * Returns SV_OK and *out (sv_rpc_destroy), or the failure with err naming
 * the key file that cannot be read or holds no valid key (SV_ERR_IO,
 * SV_ERR_PARSE: exit 2). */
sv_status sv_client_rpc(const sv_client_opts *o, sv_rpc **out, sv_error *err);

/* Asks for survey's questionnaire (survey may be ""). Returns SV_OK and
 * *out, owned by the caller (survey__v1__reply__free_unpacked), whose body
 * is either a questionnaire or an error; else the status of sv_rpc_call,
 * or SV_ERR_PROTO for a reply of another kind. */
sv_status sv_fetch_questionnaire(sv_rpc *rpc, const char *survey,
                                 Survey__V1__Reply **out, sv_error *err);

/* survey submit FILE ("-" = stdin). */
int sv_cmd_submit(const sv_client_opts *o, const char *path);

/* survey get CODE */
int sv_cmd_get(const sv_client_opts *o, const char *respondent);

/* survey history CODE (o->json for a JSON array) */
int sv_cmd_history(const sv_client_opts *o, const char *respondent);

#endif
