/* import_matrix.c: see import_matrix.h. */
#include "import_matrix.h"

#include "answer_edit.h"
#include "answer_text.h"
#include "csv_table.h"
#include "outcome.h"
#include "requests.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODE_LEN 6

static const char *const code_headers[] = {"respondent", "code", "団体コード"};
static const char *const name_headers[] = {"name", "自治体名"};
static const char *const ignored_headers[] = {"#", "区分"};
static const char *const yes_marks[] = {"○", "〇", "◯"};
static const char *const no_marks[] = {"×", "✕"};
static const char *const blank_marks[] = {"", "-", "－"};

typedef enum { COL_IGNORED, COL_CODE, COL_QUESTION, COL_BAD } col_kind;

typedef struct {
    col_kind kind;
    const char *header;            /* borrowed from the table */
    const Survey__V1__Question *q; /* COL_QUESTION */
} column;

/* One question of a row: its new answer (owned until handed to the edit),
 * or NULL to leave it unanswered. */
typedef struct {
    const char *question;
    Survey__V1__Answer *a;
} cell_change;

typedef struct {
    const sv_client_opts *o;
    sv_rpc *rpc;
    const Survey__V1__Questionnaire *qn;
    const sv_csv_table *t;
    const char *file; /* base name, for the default note */
    column *cols;     /* owned, one per header field */
    size_t n_cols;
    size_t code_col;
    bool header_bad;
    char (*codes)[CODE_LEN + 1]; /* owned: the code of each row, or "" */
    size_t rows, accepted, incomplete, unchanged, rejected, problems,
        unanswered, to_submit, held; /* held: good rows a bad header stops */
    bool no_reply;
} job;

static bool one_of(const char *s, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, set[i]) == 0)
            return true;
    }
    return false;
}

#define ONE_OF(s, set) one_of((s), (set), sizeof(set) / sizeof(set)[0])

static void problem(job *j, size_t r, size_t c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void problem(job *j, size_t r, size_t c, const char *fmt, ...)
{
    va_list ap;
    const char *h = c < j->n_cols ? j->cols[c].header : "";
    printf("row %lu, column ", sv_csv_table_line(j->t, r));
    if (h[0] != '\0')
        fputs(h, stdout);
    else
        printf("%zu", c + 1);
    fputs(": ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

/* ---- the header --------------------------------------------------------- */

/* The question a header names: by name, else by a label only one question
 * has. Sets *ambiguous when several have that label. */
static const Survey__V1__Question *
header_question(const Survey__V1__Questionnaire *qn, const char *h,
                bool *ambiguous)
{
    const Survey__V1__Question *q = sv_question_find(qn, h);
    *ambiguous = false;
    if (q != NULL)
        return q;
    for (size_t i = 0; i < qn->n_questions; i++) {
        if (strcmp(qn->questions[i]->label, h) != 0)
            continue;
        if (q != NULL) {
            *ambiguous = true;
            return NULL;
        }
        q = qn->questions[i];
    }
    return q;
}

/* True if column c holds nothing below the header. */
static bool column_empty(const sv_csv_table *t, size_t c)
{
    for (size_t r = 1; r < sv_csv_table_rows(t); r++) {
        if (sv_csv_table_field(t, r, c)[0] != '\0')
            return false;
    }
    return true;
}

static void classify(job *j, size_t c)
{
    column *col = &j->cols[c];
    const char *h = col->header;
    bool ambiguous = false;
    col->kind = COL_IGNORED;
    if (ONE_OF(h, code_headers)) {
        if (j->code_col != c) {
            problem(j, 0, c, "a second respondent column (the first is %s)",
                    j->cols[j->code_col].header);
            col->kind = COL_BAD;
            return;
        }
        col->kind = COL_CODE;
        return;
    }
    if (ONE_OF(h, name_headers) || ONE_OF(h, ignored_headers) ||
        (h[0] == '\0' && column_empty(j->t, c)))
        return;
    col->q = h[0] != '\0' ? header_question(j->qn, h, &ambiguous) : NULL;
    if (col->q == NULL) {
        if (h[0] == '\0')
            problem(j, 0, c, "a column without a name holds values");
        else if (ambiguous)
            problem(j, 0, c,
                    "several questions have this label: name the "
                    "question instead");
        else
            problem(j, 0, c, "not a question of %s", j->qn->survey);
        col->kind = COL_BAD;
        return;
    }
    for (size_t k = 0; k < c; k++) {
        if (j->cols[k].kind == COL_QUESTION && j->cols[k].q == col->q) {
            problem(j, 0, c, "%s again (as column %s)", col->q->name,
                    j->cols[k].header);
            col->kind = COL_BAD;
            return;
        }
    }
    col->kind = COL_QUESTION;
}

/* Finds the respondent column: what needs no questionnaire. Returns 0,
 * or the exit code for a file that cannot be imported (printed). */
static int find_code_column(job *j)
{
    bool has_name = false;
    j->n_cols = sv_csv_table_width(j->t, 0);
    j->code_col = SIZE_MAX;
    j->cols = calloc(j->n_cols > 0 ? j->n_cols : 1, sizeof *j->cols);
    if (j->cols == NULL) {
        fprintf(stderr, "survey: out of memory\n");
        return SV_EXIT_USAGE;
    }
    for (size_t c = 0; c < j->n_cols; c++) {
        const char *h = sv_csv_table_field(j->t, 0, c);
        j->cols[c].header = h;
        if (ONE_OF(h, code_headers) && j->code_col == SIZE_MAX)
            j->code_col = c;
        has_name = has_name || ONE_OF(h, name_headers);
    }
    if (j->code_col != SIZE_MAX)
        return SV_EXIT_OK;
    if (has_name)
        fprintf(stderr,
                "survey: %s: respondents are named only: add a column "
                "respondent, code or 団体コード with the 6-digit "
                "全国地方公共団体コード (names are not matched)\n",
                j->file);
    else
        fprintf(stderr,
                "survey: %s: no respondent column (respondent, code or "
                "団体コード)\n",
                j->file);
    return SV_EXIT_USAGE;
}

/* Matches the other columns with the questionnaire. Returns 0, or the
 * exit code when no column is a question. */
static int read_header(job *j)
{
    size_t questions = 0;
    for (size_t c = 0; c < j->n_cols; c++) {
        classify(j, c);
        if (j->cols[c].kind == COL_BAD)
            j->header_bad = true;
        questions += j->cols[c].kind == COL_QUESTION;
    }
    if (questions == 0 && !j->header_bad) {
        fprintf(stderr, "survey: %s: no question columns\n", j->file);
        return SV_EXIT_USAGE;
    }
    return SV_EXIT_OK;
}

/* ---- one row ------------------------------------------------------------ */

static bool row_blank(const sv_csv_table *t, size_t r)
{
    for (size_t c = 0; c < sv_csv_table_width(t, r); c++) {
        if (sv_csv_table_field(t, r, c)[0] != '\0')
            return false;
    }
    return true;
}

/* Checks the code of row r into j->codes[r]; false (problem printed) when
 * there is none usable. */
static bool row_code(job *j, size_t r)
{
    const char *code = sv_csv_table_field(j->t, r, j->code_col);
    size_t len = strlen(code);
    bool digits = len > 0 && strspn(code, "0123456789") == len;
    if (len == 0) {
        problem(j, r, j->code_col, "no respondent code");
        return false;
    }
    if (!digits || (len != CODE_LEN && len != CODE_LEN - 1)) {
        problem(j, r, j->code_col,
                "\"%s\" is not a 6-digit 全国地方公共団体コード", code);
        return false;
    }
    /* a 5-digit number: Excel dropped the leading zero (010006 -> 10006) */
    char *dst = j->codes[r];
    if (len == CODE_LEN - 1)
        *dst++ = '0';
    memcpy(dst, code, len);
    dst[len] = '\0';
    for (size_t k = 1; k < r; k++) {
        if (strcmp(j->codes[k], j->codes[r]) == 0) {
            problem(j, r, j->code_col, "%s is already on row %lu", j->codes[r],
                    sv_csv_table_line(j->t, k));
            j->codes[r][0] = '\0';
            return false;
        }
    }
    return true;
}

/* The option ○ or × stands for, or NULL. */
static const char *mark_option(const char *cell)
{
    if (ONE_OF(cell, yes_marks))
        return "yes";
    if (ONE_OF(cell, no_marks))
        return "no";
    return NULL;
}

/* The change of cell (r, c) into *ch. False (problem printed) when the
 * value does not fit the question. */
static bool read_cell(job *j, size_t r, size_t c, cell_change *ch)
{
    const Survey__V1__Question *q = j->cols[c].q;
    const char *cell = sv_csv_table_field(j->t, r, c);
    char opts[256];
    sv_error err;
    ch->question = q->name;
    ch->a = NULL;
    if (ONE_OF(cell, blank_marks))
        return true;
    bool select = q->type == SURVEY__V1__QUESTION__TYPE__SELECT_ONE ||
                  q->type == SURVEY__V1__QUESTION__TYPE__SELECT_MULTIPLE;
    const char *text = cell;
    if (select && mark_option(cell) != NULL) {
        text = mark_option(cell);
        if (!sv_question_has_option(q, text)) {
            problem(j, r, c,
                    "\"%s\" stands for %s, which is not an option "
                    "of %s (%s)",
                    cell, text, q->name,
                    sv_question_options(q, opts, sizeof opts));
            return false;
        }
    }
    sv_status st = sv_answer_from_text(q, q->name, text, &ch->a, &err);
    if (st == SV_OK)
        return true;
    if (st == SV_ERR_NOMEM)
        problem(j, r, c, "out of memory");
    else if (q->type == SURVEY__V1__QUESTION__TYPE__SELECT_ONE)
        problem(j, r, c, "\"%s\" is not ○, ×, - or an option of %s (%s)", cell,
                q->name, sv_question_options(q, opts, sizeof opts));
    else if (q->type == SURVEY__V1__QUESTION__TYPE__INTEGER)
        problem(j, r, c, "\"%s\" is not an integer or -", cell);
    else
        problem(j, r, c, "%s", err.msg);
    if (ch->a != NULL)
        survey__v1__answer__free_unpacked(ch->a, NULL);
    ch->a = NULL;
    return false;
}

static void free_changes(cell_change *ch, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ch[i].a != NULL)
            survey__v1__answer__free_unpacked(ch[i].a, NULL);
    }
    free(ch);
}

/* Whether row r has the header's width, as far as it matters: a value in
 * a cell past the header's last column, or a row that ends before a
 * question's column, is a problem (printed), never read as nothing or as
 * a blank answer. */
static bool row_width_ok(job *j, size_t r)
{
    size_t width = sv_csv_table_width(j->t, r);
    for (size_t c = j->n_cols; c < width; c++) {
        if (sv_csv_table_field(j->t, r, c)[0] != '\0') {
            problem(j, r, c,
                    "a value in a column without a header (the header has "
                    "%zu columns)",
                    j->n_cols);
            return false;
        }
    }
    for (size_t c = width; c < j->n_cols; c++) {
        if (j->cols[c].kind == COL_QUESTION) {
            problem(j, r, c,
                    "the row ends before this column (%zu of %zu cells); "
                    "write - to leave it unanswered",
                    width, j->n_cols);
            return false;
        }
    }
    return true;
}

/* Reads the question cells of row r into *out (n_cols entries, question
 * NULL for other columns). False when any has a problem. */
static bool read_cells(job *j, size_t r, cell_change **out)
{
    cell_change *ch = calloc(j->n_cols > 0 ? j->n_cols : 1, sizeof *ch);
    bool ok = ch != NULL && row_width_ok(j, r);
    if (ch == NULL)
        problem(j, r, j->code_col, "out of memory");
    for (size_t c = 0; ch != NULL && c < j->n_cols; c++) {
        if (j->cols[c].kind == COL_QUESTION && !read_cell(j, r, c, &ch[c]))
            ok = false;
    }
    *out = ch;
    return ok;
}

/* Hands the changes to e (the answers become e's). */
static sv_status apply(sv_edit *e, cell_change *ch, size_t n, sv_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (ch[i].question == NULL)
            continue;
        if (ch[i].a == NULL) {
            sv_edit_unset(e, ch[i].question);
            continue;
        }
        Survey__V1__Answer *a = ch[i].a;
        ch[i].a = NULL;
        sv_status st = sv_edit_set(e, a, err);
        if (st != SV_OK)
            return st;
    }
    return SV_OK;
}

/* Prints the changes of e under its row's line. */
static void print_changes(const sv_edit *e)
{
    sv_error err;
    size_t n;
    if (sv_edit_changes(e, stdout, "  ", &n, &err) != SV_OK)
        printf("  (%s)\n", err.msg);
}

/* Submits e against base for row r and prints the outcome; with check
 * (--dry-run), has the collector check it instead (its rules: relevance,
 * constraints, types) and prints what would be submitted, or why it
 * would be refused. */
static void send_row(job *j, size_t r, const Survey__V1__Revision *base,
                     const sv_edit *e, bool check)
{
    char note[512];
    sv_error err;
    const char *code = j->codes[r];
    Survey__V1__Reply *reply = NULL;
    snprintf(note, sizeof note, "import-matrix %s, row %lu", j->file,
             sv_csv_table_line(j->t, r));
    sv_answer_set set = {.survey = j->qn->survey,
                         .respondent = code,
                         .base_revision = base != NULL ? base->revision : 0,
                         .note = j->o->note != NULL ? j->o->note : note};
    set.answers = sv_edit_answers(e, &set.n_answers);
    sv_status st = check ? sv_request_check(j->rpc, &set, &reply, &err)
                         : sv_request_submit(j->rpc, &set, &reply, &err);
    printf("row %lu (%s): ", sv_csv_table_line(j->t, r), code);
    if (st != SV_OK) {
        /* the transport failed: the rows after this one are not sent */
        printf("%s\n", err.msg);
        j->unanswered++;
        j->no_reply = true;
        return;
    }
    if (reply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        fputs(check ? "would be rejected: " : "rejected: ", stdout);
        sv_outcome_error_brief(stdout, reply->error);
        fputc('\n', stdout);
        if (check)
            j->problems++;
        else
            j->rejected++;
    } else if (check) {
        printf("would submit against revision %llu%s:\n",
               (unsigned long long)set.base_revision,
               j->header_bad ? ", once the header is mended" : "");
        print_changes(e);
        j->to_submit++;
    } else {
        sv_outcome_ack(stdout, reply->ack);
        fputc('\n', stdout);
        print_changes(e);
        j->accepted++;
        j->incomplete += reply->ack->n_missing > 0;
    }
    survey__v1__reply__free_unpacked(reply, NULL);
}

/* Reads the current answers of row r's respondent into *out (NULL when
 * nothing is stored). False when the row cannot go on (printed). */
static bool current(job *j, size_t r, Survey__V1__Reply **out)
{
    sv_error err;
    Survey__V1__Reply *reply = NULL;
    sv_status st =
        sv_request_current(j->rpc, j->qn->survey, j->codes[r], &reply, &err);
    *out = NULL;
    if (st != SV_OK) {
        printf("row %lu (%s): %s\n", sv_csv_table_line(j->t, r), j->codes[r],
               err.msg);
        j->unanswered++;
        j->no_reply = true;
        return false;
    }
    if (reply->body_case != SURVEY__V1__REPLY__BODY_ERROR) {
        *out = reply;
        return true;
    }
    const Survey__V1__Error *e = reply->error;
    bool ok = e->code == SURVEY__V1__ERROR__CODE__NOT_FOUND;
    if (e->code == SURVEY__V1__ERROR__CODE__UNKNOWN_RESPONDENT) {
        printf("row %lu, column %s: ", sv_csv_table_line(j->t, r),
               j->cols[j->code_col].header);
        sv_outcome_error_brief(stdout, e);
        fputc('\n', stdout);
        j->problems++;
    } else if (!ok) {
        printf("row %lu (%s): ", sv_csv_table_line(j->t, r), j->codes[r]);
        sv_outcome_error_brief(stdout, e);
        fputc('\n', stdout);
        j->rejected++;
    }
    survey__v1__reply__free_unpacked(reply, NULL);
    return ok;
}

/* Row r with its checked changes: against the current answers, then
 * shown (dry run) or submitted. */
static void change_row(job *j, size_t r, cell_change *ch)
{
    sv_error err;
    Survey__V1__Reply *reply = NULL;
    sv_edit *e = NULL;
    size_t n = 0;
    unsigned long line = sv_csv_table_line(j->t, r);
    if (!current(j, r, &reply))
        return;
    const Survey__V1__Revision *base =
        reply != NULL ? reply->response->current : NULL;
    sv_status st = sv_edit_new(&e, base, &err);
    if (st == SV_OK)
        st = apply(e, ch, j->n_cols, &err);
    if (st == SV_OK)
        st = sv_edit_changes(e, NULL, "", &n, &err);
    if (st != SV_OK) {
        printf("row %lu (%s): %s\n", line, j->codes[r], err.msg);
        j->problems++;
    } else if (n == 0) {
        printf("row %lu (%s): no change\n", line, j->codes[r]);
        j->unchanged++;
    } else if (j->o->dry_run) {
        send_row(j, r, base, e, true);
    } else {
        send_row(j, r, base, e, false);
    }
    sv_edit_destroy(&e);
    if (reply != NULL)
        survey__v1__reply__free_unpacked(reply, NULL);
}

static void import_row(job *j, size_t r)
{
    cell_change *ch = NULL;
    j->rows++;
    if (j->no_reply) {
        j->unanswered++;
        return;
    }
    bool ok = row_code(j, r);
    ok = read_cells(j, r, &ch) && ok;
    if (!ok)
        j->problems++;
    else if (j->header_bad && !j->o->dry_run)
        j->held++; /* nothing goes while the header has a problem */
    else
        change_row(j, r, ch);
    if (ch != NULL)
        free_changes(ch, j->n_cols);
}

static int summary(const job *j)
{
    const char *rows = j->rows == 1 ? "row" : "rows";
    if (j->o->dry_run)
        printf("checked %zu %s (--dry-run, nothing submitted): %zu to "
               "submit, %zu unchanged, %zu with problems\n",
               j->rows, rows, j->to_submit, j->unchanged, j->problems);
    else
        printf("imported %zu %s: %zu accepted (%zu incomplete), %zu "
               "unchanged, %zu rejected, %zu with problems, %zu "
               "unanswered\n",
               j->rows, rows, j->accepted, j->incomplete, j->unchanged,
               j->rejected, j->problems, j->unanswered);
    if (j->header_bad && j->o->dry_run)
        printf("nothing would be submitted: the header (row %lu) has "
               "problems\n",
               sv_csv_table_line(j->t, 0));
    else if (j->header_bad)
        printf("nothing submitted: the header (row %lu) has problems (%zu "
               "%s held back)\n",
               sv_csv_table_line(j->t, 0), j->held,
               j->held == 1 ? "row without problems of its own"
                            : "rows without problems of their own");
    if (j->unanswered > 0)
        return SV_EXIT_NO_REPLY;
    if (j->rejected > 0 || j->problems > 0 || j->header_bad)
        return SV_EXIT_REJECTED;
    return SV_EXIT_OK;
}

static int run(job *j)
{
    int code = read_header(j);
    if (code != SV_EXIT_OK)
        return code;
    size_t rows = sv_csv_table_rows(j->t);
    j->codes = calloc(rows, sizeof *j->codes);
    if (j->codes == NULL) {
        fprintf(stderr, "survey: out of memory\n");
        return SV_EXIT_USAGE;
    }
    for (size_t r = 1; r < rows; r++) {
        if (!row_blank(j->t, r))
            import_row(j, r);
    }
    return summary(j);
}

/* The last part of path. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

int sv_cmd_import_matrix(const sv_client_opts *o, const char *path)
{
    sv_error err;
    sv_csv_table *t = NULL;
    Survey__V1__Reply *qreply = NULL;
    job j = {.o = o,
             .file = strcmp(path, "-") == 0 ? "stdin" : base_name(path)};
    int code;
    sv_status st = sv_csv_table_read(&t, path, &err);
    if (st != SV_OK)
        return sv_report_failure(st, &err);
    if (sv_csv_table_rows(t) == 0) {
        fprintf(stderr, "survey: %s: empty (no header row)\n", j.file);
        sv_csv_table_destroy(&t);
        return SV_EXIT_USAGE;
    }
    j.t = t;
    code = find_code_column(&j);
    if (code != SV_EXIT_OK)
        goto done;
    st = sv_client_rpc(o, &j.rpc, &err);
    if (st == SV_OK)
        st = sv_fetch_questionnaire(j.rpc, o->survey, &qreply, &err);
    if (st != SV_OK) {
        code = sv_report_failure(st, &err);
    } else if (qreply->body_case == SURVEY__V1__REPLY__BODY_ERROR) {
        code = sv_report_error(qreply->error, "");
    } else {
        j.qn = qreply->questionnaire;
        code = run(&j);
    }
done:
    if (qreply != NULL)
        survey__v1__reply__free_unpacked(qreply, NULL);
    sv_rpc_destroy(&j.rpc);
    free(j.cols);
    free(j.codes);
    sv_csv_table_destroy(&t);
    return code;
}
