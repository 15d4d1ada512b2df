/* commands.h: the commands of the `survey` client (submit, get, history;
 * load is in load.h), the options they share, and the exit codes.
 *
 * Each command prints its result on stdout and its complaints on stderr,
 * one line each, and returns the process exit code. */
#ifndef SV_COMMANDS_H
#define SV_COMMANDS_H

#include "rpc.h"
#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum {
    SV_EXIT_OK = 0,       /* success */
    SV_EXIT_REJECTED = 1, /* the collector refused (anything, in a load) */
    SV_EXIT_USAGE = 2,    /* bad arguments or unusable input */
    SV_EXIT_NO_REPLY = 3  /* no (usable) reply from the collector */
} sv_exit;

#define SV_DEFAULT_TIMEOUT_MS 5000
#define SV_DEFAULT_RETRIES 3
#define SV_DEFAULT_WINDOW 64

typedef struct {
    const char *endpoint; /* borrowed */
    const char *survey;   /* borrowed; used when a submission or command
                             names none; "" = the collector's only survey */
    int timeout_ms;       /* > 0: wait for one reply */
    int retries;          /* >= 0: resends after a timeout */
    size_t window;        /* load: requests in flight, >= 1 */
    bool json;            /* history: JSON instead of text */
} sv_client_opts;

/* The exit code for a failure status: 3 for no reply, a broken reply or a
 * messaging failure, else 2. */
int sv_exit_for(sv_status st);

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
