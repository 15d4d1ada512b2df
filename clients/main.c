/* main.c: the `survey` command-line client: options, environment, help,
 * and dispatch to the commands (commands.h, load.h). */
#include "commands.h"
#include "load.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SV_DEFAULT_CLIENT_ENDPOINT
#define SV_DEFAULT_CLIENT_ENDPOINT "tcp://127.0.0.1:5555"
#endif

typedef enum { CMD_NONE, CMD_SUBMIT, CMD_LOAD, CMD_GET, CMD_HISTORY } command;

typedef struct {
    const char *name;
    command cmd;
    const char *operand; /* what the one operand is */
    const char *summary;
} command_info;

static const command_info commands[] = {
    {"submit", CMD_SUBMIT, "FILE.json",
     "store one answer set from a JSON file (- = stdin)"},
    {"load", CMD_LOAD, "FILE.jsonl",
     "store many answer sets, one per line (- = stdin)"},
    {"get", CMD_GET, "CODE", "print a respondent's current answers as JSON"},
    {"history", CMD_HISTORY, "CODE",
     "print every revision of a respondent's answers"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char general_options[] =
    "Options (before or after the command):\n"
    "  -e, --endpoint ENDPOINT  the collector's ZeroMQ endpoint (default:\n"
    "                           $SURVEY_ENDPOINT, "
    "else " SV_DEFAULT_CLIENT_ENDPOINT ")\n"
    "  -s, --survey ID          survey (form_id) for submissions and "
    "commands\n"
    "                           that name none (default: $SURVEY_ID, else "
    "the\n"
    "                           collector's only survey)\n"
    "  -t, --timeout MS         wait this long for each reply (default "
    "5000)\n"
    "  -r, --retries N          resend this often when no reply comes "
    "(default 3)\n"
    "  -h, --help               show this help (survey COMMAND --help for "
    "one\n"
    "                           command)\n";

static const char environment_and_exit[] =
    "Environment:\n"
    "  SURVEY_ENDPOINT  default for --endpoint\n"
    "  SURVEY_ID        default for --survey\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  rejected by the collector (or anything rejected in a load)\n"
    "  2  usage or input error\n"
    "  3  no reply from the collector\n";

static const char submit_help[] =
    "The file holds one JSON object:\n"
    "  {\"survey\": \"shoman-jiritsu-r6\", \"respondent\": \"010006\",\n"
    "   \"answers\": {\"consult\": \"yes\", \"consult_channel\": "
    "[\"counter\", \"phone\"],\n"
    "               \"holders\": 2203, \"care_support_content\": "
    "\"...\"},\n"
    "   \"base_revision\": 0, \"note\": \"why\", \"submission_id\": "
    "\"optional\"}\n"
    "\"survey\" defaults to --survey. \"base_revision\" is the revision this "
    "one\n"
    "replaces (0 for a first answer); without it, \"revision\" is used, so "
    "the\n"
    "output of `survey get` can be edited and submitted again. Each value "
    "is\n"
    "typed by the questionnaire (fetched first); values that do not fit "
    "are\n"
    "sent as they are for the collector to report. Without a submission_id "
    "a\n"
    "random UUID is used; a retry after a timeout resends the same bytes.\n";

static const char load_help[] =
    "  -w, --window N           requests in flight at once (default 64)\n"
    "\n"
    "Each non-blank line is one submission object as for `survey submit`.\n"
    "A line without a submission_id gets a UUID derived from its bytes, "
    "so\n"
    "loading the same file again reports duplicates. A progress bar is "
    "shown\n"
    "on stderr when it is a terminal. The summary goes to stdout:\n"
    "  loaded N submissions: A accepted (I incomplete), D duplicates, "
    "R rejected,\n"
    "  U unanswered\n"
    "followed by one line per rejected or unanswered submission. Exit 3 if "
    "any\n"
    "got no reply, else 1 if any was rejected.\n";

static const char get_help[] =
    "Prints the current revision as JSON: survey, respondent, revision, "
    "sequence,\n"
    "time, submitter, note, answers (plain values as in a submit file), "
    "missing.\n";

static const char history_help[] =
    "  -j, --json               print the revisions as a JSON array\n"
    "\n"
    "Prints every revision, oldest first: a header line, then the changes "
    "from\n"
    "the revision before (+ added, - removed, ~ changed).\n";

static void print_usage(FILE *out)
{
    fputs("Usage: survey [OPTIONS] COMMAND ARG\n\n"
          "Talks to the survey collector over ZeroMQ.\n\nCommands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %-11s %s\n", commands[i].name, commands[i].operand,
                commands[i].summary);
    fputs("\nCommand options:\n"
          "  -w, --window N           load: requests in flight (default "
          "64)\n"
          "  -j, --json               history: print JSON\n\n",
          out);
    fputs(general_options, out);
    fputc('\n', out);
    fputs(environment_and_exit, out);
}

static void print_command_help(const command_info *c)
{
    printf("Usage: survey [OPTIONS] %s %s\n\n%s: %s.\n\n", c->name, c->operand,
           c->name, c->summary);
    switch (c->cmd) {
    case CMD_SUBMIT:
        fputs(submit_help, stdout);
        break;
    case CMD_LOAD:
        fputs(load_help, stdout);
        break;
    case CMD_GET:
        fputs(get_help, stdout);
        break;
    case CMD_HISTORY:
        fputs(history_help, stdout);
        break;
    case CMD_NONE:
        break;
    }
    fputc('\n', stdout);
    fputs(general_options, stdout);
    fputc('\n', stdout);
    fputs(environment_and_exit, stdout);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("survey: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'survey --help'.\n", stderr);
    return SV_EXIT_USAGE;
}

/* Parses a decimal integer in [min, max]. */
static bool parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static const command_info *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int run(const command_info *c, const sv_client_opts *o,
               const char *operand)
{
    switch (c->cmd) {
    case CMD_SUBMIT:
        return sv_cmd_submit(o, operand);
    case CMD_LOAD:
        return sv_cmd_load(o, operand);
    case CMD_GET:
        return sv_cmd_get(o, operand);
    case CMD_HISTORY:
        return sv_cmd_history(o, operand);
    case CMD_NONE:
        break;
    }
    return SV_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"survey", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"retries", required_argument, NULL, 'r'},
        {"window", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *env_endpoint = getenv("SURVEY_ENDPOINT");
    const char *env_survey = getenv("SURVEY_ID");
    sv_client_opts o = {env_endpoint != NULL && env_endpoint[0] != '\0'
                            ? env_endpoint
                            : SV_DEFAULT_CLIENT_ENDPOINT,
                        env_survey != NULL ? env_survey : "",
                        SV_DEFAULT_TIMEOUT_MS,
                        SV_DEFAULT_RETRIES,
                        SV_DEFAULT_WINDOW,
                        false};
    bool help = false, window_set = false;
    long v;
    /* GNU getopt permutes: options may come before or after the command. */
    for (;;) {
        int opt = getopt_long(argc, argv, "e:s:t:r:w:jh", longopts, NULL);
        if (opt == -1)
            break;
        switch (opt) {
        case 'e':
            o.endpoint = optarg;
            break;
        case 's':
            o.survey = optarg;
            break;
        case 't':
            if (!parse_int(optarg, 1, INT_MAX, &v))
                return usage_error("--timeout wants milliseconds > 0, not "
                                   "'%s'",
                                   optarg);
            o.timeout_ms = (int)v;
            break;
        case 'r':
            if (!parse_int(optarg, 0, 1000000, &v))
                return usage_error("--retries wants a count >= 0, not '%s'",
                                   optarg);
            o.retries = (int)v;
            break;
        case 'w':
            if (!parse_int(optarg, 1, 100000, &v))
                return usage_error("--window wants a count >= 1, not '%s'",
                                   optarg);
            o.window = (size_t)v;
            window_set = true;
            break;
        case 'j':
            o.json = true;
            break;
        case 'h':
            help = true;
            break;
        default: /* getopt_long has said what is wrong */
            fputs("Try 'survey --help'.\n", stderr);
            return SV_EXIT_USAGE;
        }
    }
    const command_info *c = NULL;
    if (optind < argc) {
        c = find_command(argv[optind]);
        if (c == NULL)
            return usage_error("unknown command '%s'", argv[optind]);
    }
    if (help) {
        if (c != NULL)
            print_command_help(c);
        else
            print_usage(stdout);
        return fflush(stdout) == 0 ? SV_EXIT_OK : SV_EXIT_USAGE;
    }
    if (c == NULL) {
        print_usage(stderr);
        return SV_EXIT_USAGE;
    }
    if (window_set && c->cmd != CMD_LOAD)
        return usage_error("--window is an option of load, not %s", c->name);
    if (o.json && c->cmd != CMD_HISTORY)
        return usage_error("--json is an option of history, not %s", c->name);
    if (argc - optind < 2)
        return usage_error("%s: missing %s", c->name, c->operand);
    if (argc - optind > 2)
        return usage_error("%s: too many operands", c->name);
    int code = run(c, &o, argv[optind + 1]);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "survey: cannot write to stdout\n");
        return SV_EXIT_USAGE;
    }
    return code;
}
