/* main.c: the `survey` command-line client: options, environment, help,
 * signals, and dispatch to the commands (commands.h, load.h,
 * snapshot_cmd.h, watch.h, correct.h, diff.h, import_matrix.h, keygen.h). */
#include "commands.h"
#include "config.h"
#include "correct.h"
#include "diff.h"
#include "import_matrix.h"
#include "keygen.h"
#include "load.h"
#include "snapshot_cmd.h"
#include "watch.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SV_DEFAULT_CLIENT_ENDPOINT
#define SV_DEFAULT_CLIENT_ENDPOINT "tcp://127.0.0.1:5555"
#endif
#ifndef SV_DEFAULT_WATCH_ENDPOINT
#define SV_DEFAULT_WATCH_ENDPOINT "tcp://127.0.0.1:5556"
#endif

typedef enum {
    CMD_NONE,
    CMD_SUBMIT,
    CMD_LOAD,
    CMD_GET,
    CMD_HISTORY,
    CMD_SNAPSHOT,
    CMD_STATUS,
    CMD_RERUN,
    CMD_WATCH,
    CMD_CORRECT,
    CMD_DIFF,
    CMD_IMPORT_MATRIX,
    CMD_REPORT,
    CMD_KEYGEN
} command;

/* Options that belong to some commands only: one bit each. */
enum {
    OPT_WINDOW = 1 << 0,
    OPT_JSON = 1 << 1,
    OPT_VERSION = 1 << 2,
    OPT_FORMAT = 1 << 3,
    OPT_OUTPUT = 1 << 4,
    OPT_NEW = 1 << 5,
    OPT_WAIT = 1 << 6,
    OPT_WATCH_ENDPOINT = 1 << 7,
    OPT_COUNT = 1 << 8,
    OPT_SET = 1 << 9,
    OPT_UNSET = 1 << 10,
    OPT_NOTE = 1 << 11,
    OPT_DRY_RUN = 1 << 12,
    OPT_EXCEL = 1 << 13,
    OPT_DIR = 1 << 14
};

typedef struct {
    unsigned bit;
    const char *name;
    const char *owner; /* which commands have it, for the complaint */
} option_owner;

static const option_owner owners[] = {
    {OPT_WINDOW, "--window", "load"},
    {OPT_JSON, "--json", "history"},
    {OPT_VERSION, "--version", "snapshot and report"},
    {OPT_FORMAT, "--format", "snapshot"},
    {OPT_OUTPUT, "--output", "snapshot and report"},
    {OPT_NEW, "--new", "snapshot and report"},
    {OPT_WAIT, "--wait-timeout", "rerun and snapshot --new"},
    {OPT_WATCH_ENDPOINT, "--watch-endpoint", "watch"},
    {OPT_COUNT, "--count", "watch"},
    {OPT_SET, "--set", "correct"},
    {OPT_UNSET, "--unset", "correct"},
    {OPT_NOTE, "--note", "correct and import-matrix"},
    {OPT_DRY_RUN, "--dry-run", "correct and import-matrix"},
    {OPT_EXCEL, "--excel", "snapshot --format csv"},
    {OPT_DIR, "--dir", "keygen"},
};

typedef struct {
    const char *name;
    command cmd;
    const char *operand; /* what the operands are; NULL = none */
    int operands;        /* how many: 0, 1 or 2 */
    unsigned options;    /* the OPT_ bits it accepts */
    const char *summary;
} command_info;

static const command_info commands[] = {
    {"submit", CMD_SUBMIT, "FILE.json", 1, 0,
     "store one answer set from a JSON file (- = stdin)"},
    {"load", CMD_LOAD, "FILE.jsonl", 1, OPT_WINDOW,
     "store many answer sets, one per line (- = stdin)"},
    {"get", CMD_GET, "CODE", 1, 0,
     "print a respondent's current answers as JSON"},
    {"history", CMD_HISTORY, "CODE", 1, OPT_JSON,
     "print every revision of a respondent's answers"},
    {"correct", CMD_CORRECT, "CODE", 1,
     OPT_SET | OPT_UNSET | OPT_NOTE | OPT_DRY_RUN,
     "change some answers of a respondent, with a reason"},
    {"import-matrix", CMD_IMPORT_MATRIX, "FILE.csv", 1, OPT_NOTE | OPT_DRY_RUN,
     "store the answers of a ○/×/- spreadsheet (section 2)"},
    {"snapshot", CMD_SNAPSHOT, NULL, 0,
     OPT_VERSION | OPT_FORMAT | OPT_OUTPUT | OPT_NEW | OPT_WAIT | OPT_EXCEL,
     "print a snapshot of the report's tables"},
    {"report", CMD_REPORT, NULL, 0,
     OPT_VERSION | OPT_OUTPUT | OPT_NEW | OPT_WAIT,
     "write a snapshot as the HTML report"},
    {"diff", CMD_DIFF, "V1 V2", 2, 0,
     "list the figures two snapshots differ in, and why"},
    {"status", CMD_STATUS, NULL, 0, 0,
     "print who has answered, as of the latest snapshot"},
    {"rerun", CMD_RERUN, NULL, 0, OPT_WAIT,
     "recompute all tables from the stored answers"},
    {"watch", CMD_WATCH, NULL, 0, OPT_WATCH_ENDPOINT | OPT_COUNT,
     "print a line per snapshot the aggregator publishes"},
    {"keygen", CMD_KEYGEN, "NAME", 1, OPT_DIR,
     "write a CURVE key pair NAME.secret and NAME.pub"},
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
    "                           collector's only survey; watch: every "
    "survey)\n"
    "  -t, --timeout MS         wait this long for each reply (default "
    "5000)\n"
    "  -r, --retries N          resend this often when no reply comes "
    "(default 3)\n"
    "      --secret FILE        this client's CURVE secret certificate "
    "(survey\n"
    "                           keygen; default: $SURVEY_SECRET)\n"
    "      --server-public FILE the collector's public certificate "
    "(default:\n"
    "                           $SURVEY_SERVER_PUBLIC); give both or "
    "neither\n"
    "  -h, --help               show this help (survey COMMAND --help for "
    "one\n"
    "                           command)\n";

static const char environment_and_exit[] =
    "Environment:\n"
    "  SURVEY_ENDPOINT        default for --endpoint\n"
    "  SURVEY_ID              default for --survey\n"
    "  SURVEY_WATCH_ENDPOINT  default for --watch-endpoint\n"
    "  SURVEY_SECRET          default for --secret\n"
    "  SURVEY_SERVER_PUBLIC   default for --server-public\n"
    "\n"
    "Authentication:\n"
    "  The collector serves only CURVE clients whose public key is in its "
    "client\n"
    "  registry (survey-collector --clients), unless it runs with "
    "--no-auth.\n"
    "  Make a key pair with `survey keygen NAME`, have its line added to "
    "the\n"
    "  registry, and give --secret NAME.secret --server-public "
    "SERVER.pub\n"
    "  (or SURVEY_SECRET, SURVEY_SERVER_PUBLIC): every connection to the\n"
    "  collector is then encrypted and authenticated (watch stays plain). "
    "Without\n"
    "  them the client talks plain, which only a --no-auth collector "
    "answers.\n"
    "  With a wrong server key or a client key the collector does not "
    "know,\n"
    "  CURVE refuses the handshake and the collector does not answer at "
    "all:\n"
    "  the client reports no reply (exit 3).\n"
    "\n"
    "Exit codes:\n"
    "  0  success (diff: also when nothing changed)\n"
    "  1  rejected by the collector (or anything rejected in a load or an\n"
    "     import-matrix, or a row with a problem); correct: CONFLICT, "
    "someone\n"
    "     stored a revision in between; status: no snapshot yet\n"
    "  2  usage or input error, or the output cannot be written\n"
    "  3  no reply from the collector (also a refused CURVE handshake: "
    "wrong\n"
    "     --server-public, or a key not in the registry); rerun and "
    "snapshot\n"
    "     --new: no snapshot within --wait-timeout; load: lines not sent\n"
    "     because the collector stopped answering\n"
    "130 load: interrupted (Ctrl-C or SIGTERM); the summary says from which\n"
    "     line to load again\n";
static const char submit_help[] =
    "The file holds one JSON object:\n"
    "  {\"survey\": \"shoman-jiritsu-r6\", \"respondent\": \"010006\",\n"
    "   \"answers\": {\"consult\": \"yes\", \"consult_channel\": "
    "[\"counter\", \"phone\"],\n"
    "               \"holders\": 2203, \"care_support\": \"yes\",\n"
    "               \"care_support_content\": \"...\"},\n"
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
    "(\"loaded S of N\" when the load stopped early: S = A + D + R + U "
    "were sent),\n"
    "followed by a line counting the duplicates that came back on a "
    "resend (the\n"
    "first ack was lost: stored by this load or an earlier one), one line "
    "per\n"
    "rejected or unanswered submission, and a line naming the first line "
    "not\n"
    "sent if the load stopped early. Exit 130 if interrupted before every "
    "line\n"
    "was sent, else 3 if any got no reply or was not sent, else 1 if any "
    "was\n"
    "rejected.\n";

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

static const char correct_help[] =
    "      --set QUESTION=VALUE answer QUESTION with VALUE (repeatable)\n"
    "      --unset QUESTION     leave QUESTION unanswered (repeatable)\n"
    "      --note TEXT          why (required: a correction needs a "
    "reason)\n"
    "      --dry-run            print what would change, checked by the "
    "collector\n"
    "                           (its rules), and submit nothing\n"
    "\n"
    "Reads the respondent's current revision, applies the changes and "
    "submits\n"
    "the whole answer set against that revision (a new revision, with a "
    "new\n"
    "submission id; a retry after a timeout resends the same bytes). "
    "VALUE is\n"
    "typed by the questionnaire: select_one an option name (yes); "
    "select_multiple\n"
    "option names separated by commas (counter,phone); integer a decimal "
    "(2204\n"
    "or 2,204); text as given. Prints the ack line as submit does, then "
    "what\n"
    "changed:\n"
    "  accepted 010006 revision 3 sequence 42\n"
    "    ~ holders: 2203 -> 2204\n"
    "Nothing is submitted when every answer is already as given. When "
    "someone\n"
    "stored a revision in between, the collector refuses with CONFLICT and "
    "the\n"
    "current revision (exit 1): look at `survey history CODE` and correct "
    "again.\n"
    "A change that makes other answers not relevant is refused with "
    "NOT_RELEVANT\n"
    "problems: add --unset for each. Exit 2 without --note or without a "
    "change.\n";

static const char import_help[] =
    "      --note TEXT          the note of every submission (default:\n"
    "                           \"import-matrix FILE, row N\")\n"
    "      --dry-run            have the collector check every row (its "
    "rules)\n"
    "                           and print its changes; submit nothing\n"
    "\n"
    "FILE.csv (- = stdin) is the matrix of section 2 saved as CSV (UTF-8, "
    "a byte\n"
    "order mark and CRLF as Excel writes them are fine): a header row, then "
    "one\n"
    "row per respondent. Columns:\n"
    "  respondent, code or 団体コード: the 6-digit 全国地方公共団体コード "
    "(required;\n"
    "    a 5-digit number gets its leading zero back)\n"
    "  name, 自治体名, #, 区分: ignored (names are not matched)\n"
    "  any other: a question, by name (holders, consult) or by its label "
    "when no\n"
    "    other question has that label\n"
    "Cells: ○ = yes, × = no, - or empty = not answered, an integer for "
    "integer\n"
    "questions (2,203 is fine), else an option name (select_multiple: "
    "comma-\n"
    "separated) or a text as it is. Each row replaces the answers of the "
    "file's\n"
    "columns in the respondent's current answers (none if nothing is "
    "stored),\n"
    "keeps every other answer, and is submitted against the current "
    "revision,\n"
    "one row after the other; a row that changes nothing is not "
    "submitted.\n"
    "Every problem found here names its row and column:\n"
    "  row 12, column supporter: \"△\" is not ○, ×, - or an option of "
    "supporter\n"
    "  (yes, no)\n"
    "A row with a problem is never submitted, nor is any row when the "
    "header\n"
    "has one. The summary comes last:\n"
    "  imported N rows: A accepted (I incomplete), U unchanged, R "
    "rejected,\n"
    "  P with problems, X unanswered\n"
    "Exit 1 if a row was rejected or had a problem, 3 if a submission got "
    "no\n"
    "reply (the rows after it are not sent), 2 if the file cannot be read "
    "or\n"
    "has no code column.\n";

static const char diff_help[] =
    "V1 and V2 are snapshot versions (or latest). Prints every figure that "
    "differs,\n"
    "old -> new with count, n and percent, by section: rates and "
    "frequencies per\n"
    "respondent type, matrix cells (respondent, column), matrix totals, "
    "completeness\n"
    "per type and per respondent (state, revision, missing), listing "
    "entries\n"
    "(+ added, - removed, ~ changed) and the respondents of each program. "
    "Then\n"
    "\"caused by\": for every respondent whose row, listing entries, "
    "program\n"
    "membership or completeness differ, its revisions with a change-log "
    "sequence\n"
    "between the two snapshots' (revision, time, submitter, note and the "
    "answers\n"
    "it changed). Aggregate figures such as rates are caused by those "
    "same\n"
    "respondents. Says \"no figure changed\" when nothing differs (exit 0). "
    "Exit 1\n"
    "when there is no such snapshot.\n";

static const char report_help[] =
    "  -o, --output FILE        the HTML file to write (required; - = "
    "stdout)\n"
    "      --version N          the snapshot with that version (default: "
    "the\n"
    "                           latest)\n"
    "      --new                first ask the aggregator for a snapshot of "
    "the\n"
    "                           current tables and wait for it "
    "(administrators)\n"
    "      --wait-timeout MS    with --new: how long to wait (default "
    "30000)\n"
    "\n"
    "Writes the snapshot as one self-contained HTML file in Japanese, laid "
    "out\n"
    "like the published report: 1-5 implementation rates with a chart, 2 "
    "the\n"
    "matrix per respondent type, the frequency tables, the listings, the\n"
    "respondents of each program and the completeness. Exit 1 when there "
    "is no\n"
    "such snapshot, 2 when the file cannot be written.\n";

static const char snapshot_help[] =
    "      --version N          the snapshot with that version (default: "
    "the\n"
    "                           latest)\n"
    "  -f, --format FORMAT      text (default), md, csv, json, html or "
    "xlsx\n"
    "  -o, --output FILE        write to FILE instead of stdout (- = "
    "stdout);\n"
    "                           required for xlsx\n"
    "      --excel              with --format csv: a UTF-8 byte order mark "
    "and\n"
    "                           CRLF line ends, as Excel opens it\n"
    "      --new                first ask the aggregator for a snapshot of "
    "the\n"
    "                           current tables and wait for it "
    "(administrators)\n"
    "      --wait-timeout MS    with --new: how long to wait (default "
    "30000)\n"
    "\n"
    "text and md look like the published report, in Japanese: the header\n"
    "(survey, version, the change-log sequence it reflects, creation time "
    "in\n"
    "UTC, digest), 1-5 implementation rates, 2 the matrix per respondent "
    "type,\n"
    "the frequency tables, the listings, the respondents of each program "
    "and\n"
    "the completeness. csv has one row per figure:\n"
    "  section,question,option,label,respondent_type,count,n,percent\n"
    "with the sections rates, frequency, matrix_total and completeness.\n"
    "json is the whole snapshot, keys as in proto/survey.proto. html is "
    "the\n"
    "report of `survey report`; xlsx an Excel workbook with a sheet per "
    "part of\n"
    "the report. Percentages\n"
    "are the aggregator's, rounded half up. Exit 1 when there is no such\n"
    "snapshot.\n";

static const char status_help[] =
    "Prints the completeness of the latest snapshot per respondent type\n"
    "(expected, complete, incomplete, not started, response and complete "
    "rate),\n"
    "then the respondents that have not started and those that are "
    "incomplete\n"
    "with the questions they miss. The first lines name the snapshot and "
    "say\n"
    "whether the change log has moved on since (changes not aggregated "
    "yet).\n"
    "Exit 1 when there is no snapshot yet.\n";

static const char rerun_help[] =
    "      --wait-timeout MS    how long to wait for the snapshot (default "
    "30000)\n"
    "\n"
    "Asks the aggregator to recompute every table from the stored "
    "answers.\n"
    "The request is queued in the change log; the command then polls every "
    "100 ms\n"
    "until a snapshot reflects it and prints\n"
    "  snapshot N (sequence S, digest 0123456789ab)\n"
    "Exit 3 when none comes in time (is survey-aggregator running?).\n";

static const char watch_help[] =
    "      --watch-endpoint EP  the aggregator's publish endpoint (default:\n"
    "                           $SURVEY_WATCH_ENDPOINT, "
    "else " SV_DEFAULT_WATCH_ENDPOINT ")\n"
    "      --count N            stop after N snapshots (default: run until\n"
    "                           SIGINT or SIGTERM)\n"
    "\n"
    "Subscribes to the snapshots of --survey (every survey when none is "
    "given)\n"
    "and prints one line for each as it is published: creation time, "
    "survey,\n"
    "version, sequence, digest, trigger, the implementation rates and the\n"
    "completeness of all respondents. SIGINT and SIGTERM end it with exit "
    "0.\n";

static const char keygen_help[] =
    "      --dir DIR            where to write the files (default: .)\n"
    "\n"
    "Writes DIR/NAME.secret (mode 0600, the secret key: keep it private) "
    "and\n"
    "DIR/NAME.pub (mode 0644, the public key) in ZeroMQ's certificate "
    "format, and\n"
    "prints both paths, the public key and the line to add to the "
    "collector's\n"
    "client registry (survey-collector --clients FILE):\n"
    "  NAME respondent KEY    when NAME is a 6-digit respondent code\n"
    "  NAME admin KEY         otherwise\n"
    "The role in that line can be changed: respondent (acts only for the\n"
    "respondent whose code is NAME) or admin (acts for every respondent,\n"
    "corrects with a note, reruns). The client then runs with --secret\n"
    "DIR/NAME.secret (or SURVEY_SECRET). For the collector's own key, run\n"
    "survey-collector --server-secret DIR/NAME.secret and give clients\n"
    "DIR/NAME.pub as --server-public (or SURVEY_SERVER_PUBLIC). NAME: 1 to "
    "64\n"
    "bytes without spaces, /, \" or #. Uses no network. An existing "
    "NAME.secret\n"
    "or NAME.pub is never overwritten: exit 2 and nothing written.\n";

static void print_usage(FILE *out)
{
    fputs("Usage: survey [OPTIONS] COMMAND [ARG...]\n\n"
          "Talks to the survey collector (and the aggregator's publish "
          "socket)\nover ZeroMQ.\n\nCommands:\n",
          out);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-13s %-10s %s\n", commands[i].name,
                commands[i].operand != NULL ? commands[i].operand : "",
                commands[i].summary);
    fputs("\nCommand options:\n"
          "  -w, --window N           load: requests in flight (default "
          "64)\n"
          "  -j, --json               history: print JSON\n"
          "      --set QUESTION=VALUE correct: answer QUESTION with VALUE "
          "(repeatable)\n"
          "      --unset QUESTION     correct: leave QUESTION unanswered "
          "(repeatable)\n"
          "      --note TEXT          correct (required), import-matrix: "
          "why\n"
          "      --dry-run            correct, import-matrix: show the "
          "changes,\n"
          "                           submit nothing\n"
          "      --version N          snapshot, report: that version "
          "(default: the\n"
          "                           latest)\n"
          "  -f, --format FORMAT      snapshot: text, md, csv, json or html; "
          "also\n"
          "                           xlsx, which needs -o\n"
          "      --excel              snapshot --format csv: byte order "
          "mark and CRLF\n"
          "                           for Excel\n"
          "  -o, --output FILE        snapshot, report (required): write to "
          "FILE\n"
          "                           (- = stdout)\n"
          "      --new                snapshot, report: make a new one "
          "first and wait\n"
          "      --wait-timeout MS    rerun, snapshot --new, report --new: "
          "wait this\n"
          "                           long for the snapshot (default 30000)\n"
          "      --watch-endpoint EP  watch: the aggregator's publish "
          "endpoint\n"
          "                           (default: $SURVEY_WATCH_ENDPOINT, "
          "else\n"
          "                           " SV_DEFAULT_WATCH_ENDPOINT ")\n"
          "      --count N            watch: stop after N snapshots\n"
          "      --dir DIR            keygen: where to write the key files "
          "(default .)\n\n",
          out);
    fputs(general_options, out);
    fputc('\n', out);
    fputs(environment_and_exit, out);
}

static void print_command_help(const command_info *c)
{
    printf("Usage: survey [OPTIONS] %s%s%s\n\n%s: %s.\n\n", c->name,
           c->operand != NULL ? " " : "", c->operand != NULL ? c->operand : "",
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
    case CMD_SNAPSHOT:
        fputs(snapshot_help, stdout);
        break;
    case CMD_STATUS:
        fputs(status_help, stdout);
        break;
    case CMD_RERUN:
        fputs(rerun_help, stdout);
        break;
    case CMD_WATCH:
        fputs(watch_help, stdout);
        break;
    case CMD_CORRECT:
        fputs(correct_help, stdout);
        break;
    case CMD_IMPORT_MATRIX:
        fputs(import_help, stdout);
        break;
    case CMD_DIFF:
        fputs(diff_help, stdout);
        break;
    case CMD_REPORT:
        fputs(report_help, stdout);
        break;
    case CMD_KEYGEN:
        fputs(keygen_help, stdout);
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

static const command_info *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    }
    return NULL;
}

static int run(const command_info *c, const sv_client_opts *o,
               const char *key_dir, char *const *operand)
{
    switch (c->cmd) {
    case CMD_SUBMIT:
        return sv_cmd_submit(o, operand[0]);
    case CMD_LOAD:
        return sv_cmd_load(o, operand[0]);
    case CMD_GET:
        return sv_cmd_get(o, operand[0]);
    case CMD_HISTORY:
        return sv_cmd_history(o, operand[0]);
    case CMD_SNAPSHOT:
        return sv_cmd_snapshot(o);
    case CMD_STATUS:
        return sv_cmd_status(o);
    case CMD_RERUN:
        return sv_cmd_rerun(o);
    case CMD_WATCH:
        return sv_cmd_watch(o, stdout);
    case CMD_CORRECT:
        return sv_cmd_correct(o, operand[0]);
    case CMD_IMPORT_MATRIX:
        return sv_cmd_import_matrix(o, operand[0]);
    case CMD_DIFF:
        return sv_cmd_diff(o, operand[0], operand[1]);
    case CMD_REPORT:
        return sv_cmd_report(o);
    case CMD_KEYGEN:
        return sv_cmd_keygen(key_dir, operand[0]);
    case CMD_NONE:
        break;
    }
    return SV_EXIT_USAGE;
}

static bool parse_format(const char *s, sv_format *out)
{
    static const struct {
        const char *name;
        sv_format format;
    } formats[] = {{"text", SV_FORMAT_TEXT}, {"csv", SV_FORMAT_CSV},
                   {"json", SV_FORMAT_JSON}, {"md", SV_FORMAT_MD},
                   {"html", SV_FORMAT_HTML}, {"xlsx", SV_FORMAT_XLSX}};
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(s, formats[i].name) == 0) {
            *out = formats[i].format;
            return true;
        }
    }
    return false;
}

/* Parses a decimal count in [min, max] (unsigned 64-bit). */
static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Set by SIGINT and SIGTERM while `watch` or `load` runs (a second one
 * ends the process at once); the one piece of global state, as a signal
 * handler cannot be given another. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    if (stop_requested) { /* a second one: stop now */
        (void)signal(sig, SIG_DFL);
        (void)raise(sig);
    }
    stop_requested = 1;
}

/* Installs on_stop_signal for SIGINT and SIGTERM, without SA_RESTART so
 * that a blocking zmq_poll returns at once. */
static bool catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    if (sigemptyset(&sa.sa_mask) != 0)
        return false;
    return sigaction(SIGINT, &sa, NULL) == 0 &&
           sigaction(SIGTERM, &sa, NULL) == 0;
}

/* The options set that c does not take, or that do not go together: a
 * usage error, or 0. */
static int check_owners(const command_info *c, unsigned set,
                        const sv_client_opts *o)
{
    for (size_t i = 0; i < sizeof owners / sizeof owners[0]; i++) {
        if ((set & owners[i].bit) != 0 && (c->options & owners[i].bit) == 0)
            return usage_error("%s is an option of %s, not %s", owners[i].name,
                               owners[i].owner, c->name);
    }
    if ((c->cmd == CMD_SNAPSHOT || c->cmd == CMD_REPORT) &&
        (set & OPT_WAIT) != 0 && !o->fresh)
        return usage_error("--wait-timeout goes with %s --new", c->name);
    if ((set & OPT_VERSION) != 0 && o->fresh)
        return usage_error("--version and --new exclude each other");
    if ((set & OPT_EXCEL) != 0 && o->format != SV_FORMAT_CSV)
        return usage_error("--excel goes with --format csv");
    if (c->cmd == CMD_SNAPSHOT && o->format == SV_FORMAT_XLSX &&
        (o->output == NULL || strcmp(o->output, "-") == 0))
        return usage_error("--format xlsx writes a file: give -o FILE.xlsx");
    if (c->cmd == CMD_REPORT && o->output == NULL)
        return usage_error("report: -o FILE is required (- for stdout)");
    return 0;
}

/* Parses argv and runs the command. sets and unsets have room for argc
 * entries: the --set and --unset arguments go there. */
static int parse_and_run(int argc, char **argv, const char **sets,
                         const char **unsets)
{
    enum {
        LONG_VERSION = 256,
        LONG_NEW,
        LONG_WAIT,
        LONG_WATCH_ENDPOINT,
        LONG_COUNT,
        LONG_SET,
        LONG_UNSET,
        LONG_NOTE,
        LONG_DRY_RUN,
        LONG_EXCEL,
        LONG_SECRET,
        LONG_SERVER_PUBLIC,
        LONG_DIR
    };
    static const struct option longopts[] = {
        {"endpoint", required_argument, NULL, 'e'},
        {"survey", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 't'},
        {"retries", required_argument, NULL, 'r'},
        {"window", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"version", required_argument, NULL, LONG_VERSION},
        {"new", no_argument, NULL, LONG_NEW},
        {"wait-timeout", required_argument, NULL, LONG_WAIT},
        {"watch-endpoint", required_argument, NULL, LONG_WATCH_ENDPOINT},
        {"count", required_argument, NULL, LONG_COUNT},
        {"set", required_argument, NULL, LONG_SET},
        {"unset", required_argument, NULL, LONG_UNSET},
        {"note", required_argument, NULL, LONG_NOTE},
        {"dry-run", no_argument, NULL, LONG_DRY_RUN},
        {"excel", no_argument, NULL, LONG_EXCEL},
        {"secret", required_argument, NULL, LONG_SECRET},
        {"server-public", required_argument, NULL, LONG_SERVER_PUBLIC},
        {"dir", required_argument, NULL, LONG_DIR},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *env_endpoint = getenv("SURVEY_ENDPOINT");
    const char *env_survey = getenv("SURVEY_ID");
    const char *env_watch = getenv("SURVEY_WATCH_ENDPOINT");
    const char *env_secret = getenv("SURVEY_SECRET");
    const char *env_server = getenv("SURVEY_SERVER_PUBLIC");
    const char *key_dir = ".";
    sv_client_opts o = {
        .endpoint = env_endpoint != NULL && env_endpoint[0] != '\0'
                        ? env_endpoint
                        : SV_DEFAULT_CLIENT_ENDPOINT,
        .secret_file =
            env_secret != NULL && env_secret[0] != '\0' ? env_secret : NULL,
        .server_public_file =
            env_server != NULL && env_server[0] != '\0' ? env_server : NULL,
        .survey = env_survey != NULL ? env_survey : "",
        .timeout_ms = SV_DEFAULT_TIMEOUT_MS,
        .retries = SV_DEFAULT_RETRIES,
        .window = SV_DEFAULT_WINDOW,
        .json = false,
        .version = 0,
        .format = SV_FORMAT_TEXT,
        .output = NULL,
        .fresh = false,
        .wait_timeout_ms = SV_DEFAULT_WAIT_TIMEOUT_MS,
        .watch_endpoint = env_watch != NULL && env_watch[0] != '\0'
                              ? env_watch
                              : SV_DEFAULT_WATCH_ENDPOINT,
        .count = 0,
        .stop = &stop_requested,
        .sets = sets,
        .n_sets = 0,
        .unsets = unsets,
        .n_unsets = 0,
        .note = NULL,
        .dry_run = false,
        .excel = false};
    bool help = false;
    unsigned set = 0;
    long v;
    /* GNU getopt permutes: options may come before or after the command. */
    for (;;) {
        int opt = getopt_long(argc, argv, "e:s:t:r:w:jf:o:h", longopts, NULL);
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
            if (sv_config_long(optarg, 1, INT_MAX, &v) != 0)
                return usage_error("--timeout wants milliseconds > 0, not "
                                   "'%s'",
                                   optarg);
            o.timeout_ms = (int)v;
            break;
        case 'r':
            if (sv_config_long(optarg, 0, 1000000, &v) != 0)
                return usage_error("--retries wants a count >= 0, not '%s'",
                                   optarg);
            o.retries = (int)v;
            break;
        case 'w':
            if (sv_config_long(optarg, 1, 100000, &v) != 0)
                return usage_error("--window wants a count >= 1, not '%s'",
                                   optarg);
            o.window = (size_t)v;
            set |= OPT_WINDOW;
            break;
        case 'j':
            o.json = true;
            set |= OPT_JSON;
            break;
        case 'f':
            if (!parse_format(optarg, &o.format))
                return usage_error("--format wants text, md, csv, json, "
                                   "html or xlsx, not '%s'",
                                   optarg);
            set |= OPT_FORMAT;
            break;
        case 'o':
            o.output = optarg;
            set |= OPT_OUTPUT;
            break;
        case LONG_VERSION:
            if (!parse_u64(optarg, 1, UINT64_MAX, &o.version))
                return usage_error("--version wants a snapshot version >= 1, "
                                   "not '%s'",
                                   optarg);
            set |= OPT_VERSION;
            break;
        case LONG_NEW:
            o.fresh = true;
            set |= OPT_NEW;
            break;
        case LONG_WAIT:
            if (sv_config_long(optarg, 1, INT_MAX, &v) != 0)
                return usage_error("--wait-timeout wants milliseconds > 0, "
                                   "not '%s'",
                                   optarg);
            o.wait_timeout_ms = (int)v;
            set |= OPT_WAIT;
            break;
        case LONG_WATCH_ENDPOINT:
            o.watch_endpoint = optarg;
            set |= OPT_WATCH_ENDPOINT;
            break;
        case LONG_COUNT:
            if (!parse_u64(optarg, 1, UINT64_MAX, &o.count))
                return usage_error("--count wants a count >= 1, not '%s'",
                                   optarg);
            set |= OPT_COUNT;
            break;
        case LONG_SET:
            sets[o.n_sets++] = optarg;
            set |= OPT_SET;
            break;
        case LONG_UNSET:
            unsets[o.n_unsets++] = optarg;
            set |= OPT_UNSET;
            break;
        case LONG_NOTE:
            o.note = optarg;
            set |= OPT_NOTE;
            break;
        case LONG_DRY_RUN:
            o.dry_run = true;
            set |= OPT_DRY_RUN;
            break;
        case LONG_EXCEL:
            o.excel = true;
            set |= OPT_EXCEL;
            break;
        case LONG_SECRET:
            o.secret_file = optarg;
            break;
        case LONG_SERVER_PUBLIC:
            o.server_public_file = optarg;
            break;
        case LONG_DIR:
            key_dir = optarg;
            set |= OPT_DIR;
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
        return fflush(stdout) == 0 && !ferror(stdout) ? SV_EXIT_OK
                                                      : SV_EXIT_USAGE;
    }
    if (c == NULL) {
        print_usage(stderr);
        return SV_EXIT_USAGE;
    }
    int bad = check_owners(c, set, &o);
    if (bad != 0)
        return bad;
    if (c->cmd != CMD_KEYGEN &&
        (o.secret_file == NULL) != (o.server_public_file == NULL))
        return usage_error(
            "%s without %s: give both key files or neither "
            "(options or SURVEY_SECRET and "
            "SURVEY_SERVER_PUBLIC)",
            o.secret_file != NULL ? "--secret" : "--server-public",
            o.secret_file != NULL ? "--server-public" : "--secret");
    int operands = c->operands;
    if (argc - optind < 1 + operands)
        return usage_error("%s: missing %s", c->name, c->operand);
    if (argc - optind > 1 + operands)
        return usage_error("%s: too many operands", c->name);
    if ((c->cmd == CMD_WATCH || c->cmd == CMD_LOAD) && !catch_stop_signals()) {
        fprintf(stderr, "survey: cannot install signal handlers\n");
        return SV_EXIT_USAGE;
    }
    int code = run(c, &o, key_dir, argv + optind + 1);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "survey: cannot write to stdout\n");
        return SV_EXIT_USAGE;
    }
    return code;
}

int main(int argc, char **argv)
{
    /* every argument could be a --set or an --unset */
    size_t room = argc > 0 ? (size_t)argc : 1;
    const char **sets = calloc(room, sizeof *sets);
    const char **unsets = calloc(room, sizeof *unsets);
    int code = SV_EXIT_USAGE;
    if (sets == NULL || unsets == NULL)
        fprintf(stderr, "survey: out of memory\n");
    else
        code = parse_and_run(argc, argv, sets, unsets);
    free(sets);
    free(unsets);
    return code;
}
