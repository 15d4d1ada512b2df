/* questionnaire.c: loads the XLSForm sheets of one yearly survey into an
 * sv_questionnaire, and serves the accessors and relevance of
 * questionnaire.h. Validation of answer sets lives in validate.c.
 *
 * Loading order: settings.csv, choices.csv, survey.csv (rows first, then
 * every expression, since a reference may point to a later question),
 * roster.csv. The first problem found stops the load. */
#include "questionnaire_private.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_GROUP_DEPTH 32

typedef enum { K_INTEGER, K_TEXT, K_ONE, K_MULTIPLE, K_BEGIN, K_END } row_kind;

/* Columns of survey.csv; -1 when absent. */
struct survey_cols {
    int type;
    int name;
    int label;
    int relevant;
    int required;
    int constraint;
    int constraint_message;
    int report;
};

/* ---- helpers ---------------------------------------------------------- */

/* "file:line: column col: <fmt>" for data row r of sheet s. */
static sv_status fail_row(sv_error *err, const sv_sheet *s, size_t r,
                          const char *col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static sv_status fail_vline(sv_error *err, const sv_sheet *s,
                            unsigned long line, const char *col,
                            const char *fmt, va_list ap)
{
    char msg[sizeof err->msg];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);

    if (n < 0)
        msg[0] = '\0';
    return sv_fail(err, SV_ERR_PARSE, "%s:%lu: column %s: %s", sv_sheet_name(s),
                   line, col, msg);
}

static sv_status fail_row(sv_error *err, const sv_sheet *s, size_t r,
                          const char *col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sv_status st = fail_vline(err, s, sv_sheet_line(s, r), col, fmt, ap);
    va_end(ap);
    return st;
}

/* As fail_row, for a row handed over by sv_sheet_load_each. */
static sv_status fail_line(sv_error *err, const sv_sheet *s, unsigned long line,
                           const char *col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static sv_status fail_line(sv_error *err, const sv_sheet *s, unsigned long line,
                           const char *col, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sv_status st = fail_vline(err, s, line, col, fmt, ap);
    va_end(ap);
    return st;
}

static sv_status need_column(const sv_sheet *s, const char *name, int *col,
                             sv_error *err)
{
    *col = sv_sheet_column(s, name);
    if (*col < 0)
        return sv_fail(err, SV_ERR_PARSE, "%s:%lu: missing column %s",
                       sv_sheet_name(s), sv_sheet_header_line(s), name);
    return SV_OK;
}

/* Loads dir/name; with fn, hands its rows to fn instead of keeping them
 * (sv_sheet_load_each). */
static sv_status load_sheet_rows(const char *dir, const char *name,
                                 sv_sheet **out, sv_sheet_row_fn fn, void *ctx,
                                 sv_error *err)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    sv_status st;

    if (path == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    snprintf(path, n, "%s/%s", dir, name);
    if (fn != NULL)
        st = sv_sheet_load_each(out, path, name, fn, ctx, err);
    else
        st = sv_sheet_load(out, path, name, err);
    free(path);
    return st;
}

static sv_status load_sheet(const char *dir, const char *name, sv_sheet **out,
                            sv_error *err)
{
    return load_sheet_rows(dir, name, out, NULL, NULL, err);
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* Compares the indexed name e with b[0..blen), as strcmp would. Names and
 * codes are short: a loop, not a call of memcmp (a rerun walks the roster
 * once per record). */
static int compare_len(const struct sv_name_index *e, const char *b,
                       size_t blen)
{
    const unsigned char *a = (const unsigned char *)e->name;
    const unsigned char *c = (const unsigned char *)b;
    size_t alen = e->len;
    size_t n = alen < blen ? alen : blen;

    for (size_t k = 0; k < n; k++) {
        if (a[k] != c[k])
            return a[k] < c[k] ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen;
}

static int index_order(const void *pa, const void *pb)
{
    const struct sv_name_index *a = pa;
    const struct sv_name_index *b = pb;
    int c = strcmp(a->name, b->name);

    if (c != 0)
        return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Position in name order of the first name >= code[0..len). */
static size_t index_lower(const struct sv_name_index *ix, size_t n,
                          const char *code, size_t len)
{
    size_t lo = 0;
    size_t hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (compare_len(&ix[mid], code, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The index of name[0..len) (names are unique), or -1. */
static int index_find(const struct sv_name_index *ix, size_t n,
                      const char *name, size_t len)
{
    size_t k = index_lower(ix, n, name, len);

    return k < n && compare_len(&ix[k], name, len) == 0 ? (int)ix[k].index : -1;
}

/* ---- settings.csv ----------------------------------------------------- */

static sv_status load_settings(sv_questionnaire *q, sv_error *err)
{
    const sv_sheet *s = q->settings;
    int c_id;
    sv_status st = need_column(s, "form_id", &c_id, err);

    if (st != SV_OK)
        return st;
    for (size_t r = 0; r < sv_sheet_rows(s); r++) {
        if (sv_sheet_row_blank(s, r))
            continue;
        q->id = sv_sheet_field(s, r, c_id);
        q->version = sv_sheet_field(s, r, sv_sheet_column(s, "version"));
        q->title = sv_sheet_field(s, r, sv_sheet_column(s, "form_title"));
        if (q->id[0] == '\0')
            return fail_row(err, s, r, "form_id", "empty");
        return SV_OK;
    }
    return sv_fail(err, SV_ERR_PARSE,
                   "%s:%lu: no settings row after the "
                   "header",
                   sv_sheet_name(s), sv_sheet_header_line(s));
}

/* ---- choices.csv ------------------------------------------------------ */

/* Checks data row r of choices.csv and assigns it to a list (created on
 * first sight); list_of[r] receives the list index. */
static sv_status choice_row(sv_questionnaire *q, size_t r, int c_list,
                            int c_name, size_t *list_of, sv_error *err)
{
    const sv_sheet *s = q->choices;
    const char *list = sv_sheet_field(s, r, c_list);
    const char *name = sv_sheet_field(s, r, c_name);
    size_t l;

    if (list[0] == '\0')
        return fail_row(err, s, r, "list_name", "empty");
    if (name[0] == '\0')
        return fail_row(err, s, r, "name", "empty");
    if (strpbrk(name, " \t\r\n") != NULL)
        return fail_row(err, s, r, "name",
                        "option name '%s' contains whitespace", name);
    for (l = 0; l < q->n_lists; l++) {
        if (strcmp(q->lists[l].name, list) == 0)
            break;
    }
    if (l == q->n_lists) {
        q->lists[l].name = list;
        q->n_lists++;
    }
    for (size_t r2 = 0; r2 < r; r2++) {
        if (list_of[r2] == l &&
            strcmp(sv_sheet_field(s, r2, c_name), name) == 0)
            return fail_row(err, s, r, "name",
                            "duplicate option '%s' in list %s (first on "
                            "line %lu)",
                            name, list, sv_sheet_line(s, r2));
    }
    if (q->lists[l].n == SV_MAX_OPTIONS)
        return fail_row(err, s, r, "name", "list %s has more than %d options",
                        list, SV_MAX_OPTIONS);
    q->lists[l].n++;
    q->n_options++;
    list_of[r] = l;
    return SV_OK;
}

/* Lays the options out list by list, each in sheet order. */
static sv_status place_options(sv_questionnaire *q, const size_t *list_of,
                               int c_name, int c_label, sv_error *err)
{
    const sv_sheet *s = q->choices;
    size_t first = 0;

    q->options = calloc(q->n_options + 1, sizeof *q->options);
    if (q->options == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t l = 0; l < q->n_lists; l++) {
        q->lists[l].first = first;
        first += q->lists[l].n;
        q->lists[l].n = 0;
    }
    for (size_t r = 0; r < sv_sheet_rows(s); r++) {
        if (list_of[r] == SIZE_MAX)
            continue;
        struct sv_list *list = &q->lists[list_of[r]];
        sv_option *o = &q->options[list->first + list->n++];
        o->name = sv_sheet_field(s, r, c_name);
        o->label = sv_sheet_field(s, r, c_label);
    }
    return SV_OK;
}

static sv_status load_choices(sv_questionnaire *q, sv_error *err)
{
    const sv_sheet *s = q->choices;
    size_t rows = sv_sheet_rows(s);
    int c_list;
    int c_name;
    sv_status st = need_column(s, "list_name", &c_list, err);

    if (st == SV_OK)
        st = need_column(s, "name", &c_name, err);
    if (st != SV_OK)
        return st;
    size_t *list_of = malloc((rows + 1) * sizeof *list_of); /* owned */
    q->lists = calloc(rows + 1, sizeof *q->lists);
    if (list_of == NULL || q->lists == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < rows; r++) {
        list_of[r] = SIZE_MAX;
        if (sv_sheet_row_blank(s, r))
            continue;
        st = choice_row(q, r, c_list, c_name, list_of, err);
        if (st != SV_OK)
            goto done;
    }
    st = place_options(q, list_of, c_name, sv_sheet_column(s, "label"), err);

done:
    free(list_of);
    return st;
}

/* ---- survey.csv: rows ------------------------------------------------- */

/* Splits f into at most max whitespace-separated words; returns how many
 * there are (which may exceed max). */
static size_t split_words(const char *f, const char **word, size_t *len,
                          size_t max)
{
    const char *sep = " \t\r\n";
    size_t n = 0;

    for (f += strspn(f, sep); *f != '\0'; f += strspn(f, sep)) {
        size_t l = strcspn(f, sep);
        if (n < max) {
            word[n] = f;
            len[n] = l;
        }
        n++;
        f += l;
    }
    return n;
}

static bool word_is(const char *word, size_t len, const char *s)
{
    return strlen(s) == len && memcmp(word, s, len) == 0;
}

/* Splits the type field: kind, and for select types the list. */
static sv_status parse_type(sv_questionnaire *q, size_t r,
                            const struct survey_cols *c, row_kind *kind,
                            const struct sv_list **list, sv_error *err)
{
    const sv_sheet *s = q->survey;
    const char *f = sv_sheet_field(s, r, c->type);
    const char *w[2];
    size_t len[2];
    size_t n = split_words(f, w, len, 2);

    *list = NULL;
    if (n == 0)
        return fail_row(err, s, r, "type", "empty");
    if (n == 1 && word_is(w[0], len[0], "integer"))
        *kind = K_INTEGER;
    else if (n == 1 && word_is(w[0], len[0], "text"))
        *kind = K_TEXT;
    else if (n == 1 && word_is(w[0], len[0], "begin_group"))
        *kind = K_BEGIN;
    else if (n == 1 && word_is(w[0], len[0], "end_group"))
        *kind = K_END;
    else if (n == 2 && word_is(w[0], len[0], "begin") &&
             word_is(w[1], len[1], "group"))
        *kind = K_BEGIN;
    else if (n == 2 && word_is(w[0], len[0], "end") &&
             word_is(w[1], len[1], "group"))
        *kind = K_END;
    else if (n == 2 && word_is(w[0], len[0], "select_one"))
        *kind = K_ONE;
    else if (n == 2 && word_is(w[0], len[0], "select_multiple"))
        *kind = K_MULTIPLE;
    else if (n == 1 && (word_is(w[0], len[0], "select_one") ||
                        word_is(w[0], len[0], "select_multiple")))
        return fail_row(err, s, r, "type", "%s needs a choice list", f);
    else
        return fail_row(err, s, r, "type", "unknown type '%s'", f);
    if (*kind != K_ONE && *kind != K_MULTIPLE)
        return SV_OK;
    for (size_t l = 0; l < q->n_lists; l++) {
        if (word_is(w[1], len[1], q->lists[l].name)) {
            *list = &q->lists[l];
            return SV_OK;
        }
    }
    return fail_row(err, s, r, "type", "unknown choice list '%.*s'",
                    (int)len[1], w[1]);
}

/* [A-Za-z_][A-Za-z0-9_.-]* */
static bool valid_name(const char *name)
{
    const char *first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
    const char *rest = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "_0123456789.-";

    if (name[0] == '\0' || strchr(first, name[0]) == NULL)
        return false;
    return name[strspn(name, rest)] == '\0';
}

/* Checks the name of a question or group row: present, well-formed and not
 * used by an earlier question or group. */
static sv_status check_name(const sv_questionnaire *q, size_t r,
                            const char *name, sv_error *err)
{
    const sv_sheet *s = q->survey;
    size_t first = SIZE_MAX;

    if (name[0] == '\0')
        return fail_row(err, s, r, "name", "empty");
    if (!valid_name(name))
        return fail_row(err, s, r, "name",
                        "bad name '%s' (want [A-Za-z_][A-Za-z0-9_.-]*)", name);
    for (size_t i = 0; i < q->n_questions && first == SIZE_MAX; i++) {
        if (strcmp(q->questions[i].name, name) == 0)
            first = q->qinfo[i].row;
    }
    for (size_t g = 0; g < q->n_groups && first == SIZE_MAX; g++) {
        if (strcmp(q->groups[g].name, name) == 0)
            first = q->ginfo[g].row;
    }
    if (first != SIZE_MAX)
        return fail_row(err, s, r, "name",
                        "duplicate name '%s' (first on line %lu)", name,
                        sv_sheet_line(s, first));
    return SV_OK;
}

static sv_status parse_required(const sv_sheet *s, size_t r, int col, bool *out,
                                sv_error *err)
{
    const char *f = sv_sheet_field(s, r, col);

    if (f[0] == '\0' || strcasecmp(f, "no") == 0 ||
        strcasecmp(f, "false") == 0) {
        *out = false;
        return SV_OK;
    }
    if (strcasecmp(f, "yes") == 0 || strcasecmp(f, "true") == 0) {
        *out = true;
        return SV_OK;
    }
    return fail_row(err, s, r, "required", "expected yes or no, got '%s'", f);
}

static sv_status parse_report(const sv_sheet *s, size_t r, int col,
                              unsigned *out, sv_error *err)
{
    static const struct {
        const char *word;
        unsigned bit;
    } words[] = {{"rate", SV_REPORT_RATE},
                 {"matrix", SV_REPORT_MATRIX},
                 {"sum", SV_REPORT_SUM},
                 {"freq", SV_REPORT_FREQ},
                 {"list", SV_REPORT_LIST}};
    const char *f = sv_sheet_field(s, r, col);
    const char *sep = " \t\r\n";

    *out = 0;
    for (f += strspn(f, sep); *f != '\0'; f += strspn(f, sep)) {
        size_t len = strcspn(f, sep);
        size_t w;
        for (w = 0; w < sizeof words / sizeof words[0]; w++) {
            if (strlen(words[w].word) == len &&
                memcmp(words[w].word, f, len) == 0)
                break;
        }
        if (w == sizeof words / sizeof words[0])
            return fail_row(err, s, r, "report",
                            "unknown report '%.*s' (want rate, matrix, sum, "
                            "freq or list)",
                            (int)len, f);
        *out |= words[w].bit;
        f += len;
    }
    return SV_OK;
}

/* Fails if any of the named columns is non-empty on a group row. */
static sv_status check_group_columns(const sv_questionnaire *q, size_t r,
                                     const struct survey_cols *c, bool end,
                                     sv_error *err)
{
    const struct {
        const char *name;
        int col;
    } cols[] = {{"required", c->required},
                {"constraint", c->constraint},
                {"report", c->report},
                {"relevant", end ? c->relevant : -1}};

    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        if (!blank(sv_sheet_field(q->survey, r, cols[i].col)))
            return fail_row(err, q->survey, r, cols[i].name,
                            "not allowed on a %s row",
                            end ? "end_group" : "begin_group");
    }
    return SV_OK;
}

static sv_status begin_group(sv_questionnaire *q, size_t r,
                             const struct survey_cols *c, int *stack,
                             size_t *depth, sv_error *err)
{
    const sv_sheet *s = q->survey;
    const char *name = sv_sheet_field(s, r, c->name);
    sv_status st = check_name(q, r, name, err);

    if (st == SV_OK)
        st = check_group_columns(q, r, c, false, err);
    if (st != SV_OK)
        return st;
    if (*depth == MAX_GROUP_DEPTH)
        return fail_row(err, s, r, "type", "groups nested deeper than %d",
                        MAX_GROUP_DEPTH);
    sv_group *g = &q->groups[q->n_groups];
    g->name = name;
    g->label = sv_sheet_field(s, r, c->label);
    g->parent = *depth > 0 ? stack[*depth - 1] : -1;
    q->ginfo[q->n_groups].row = r;
    stack[(*depth)++] = (int)q->n_groups++;
    return SV_OK;
}

static sv_status end_group(sv_questionnaire *q, size_t r,
                           const struct survey_cols *c, size_t *depth,
                           const int *stack, sv_error *err)
{
    const sv_sheet *s = q->survey;
    const char *name = sv_sheet_field(s, r, c->name);
    sv_status st = check_group_columns(q, r, c, true, err);

    if (st != SV_OK)
        return st;
    if (*depth == 0)
        return fail_row(err, s, r, "type", "end_group without begin_group");
    const char *open = q->groups[stack[*depth - 1]].name;
    if (name[0] != '\0' && strcmp(name, open) != 0)
        return fail_row(err, s, r, "name",
                        "end_group %s does not close group %s", name, open);
    (*depth)--;
    return SV_OK;
}

static sv_status add_question(sv_questionnaire *q, size_t r,
                              const struct survey_cols *c, row_kind kind,
                              const struct sv_list *list, int group,
                              sv_error *err)
{
    static const sv_qtype types[] = {[K_INTEGER] = SV_Q_INTEGER,
                                     [K_TEXT] = SV_Q_TEXT,
                                     [K_ONE] = SV_Q_SELECT_ONE,
                                     [K_MULTIPLE] = SV_Q_SELECT_MULTIPLE};
    const sv_sheet *s = q->survey;
    sv_question *qu = &q->questions[q->n_questions];
    struct sv_qinfo *info = &q->qinfo[q->n_questions];
    sv_status st;

    qu->name = sv_sheet_field(s, r, c->name);
    st = check_name(q, r, qu->name, err);
    if (st == SV_OK)
        st = parse_required(s, r, c->required, &qu->required, err);
    if (st == SV_OK)
        st = parse_report(s, r, c->report, &qu->report, err);
    if (st != SV_OK)
        return st;
    qu->label = sv_sheet_field(s, r, c->label);
    qu->type = types[kind];
    if (list != NULL) {
        qu->list_name = list->name;
        qu->options = &q->options[list->first];
        qu->n_options = list->n;
    }
    qu->group = group;
    info->row = r;
    info->constraint_message = sv_sheet_field(s, r, c->constraint_message);
    q->n_questions++;
    return SV_OK;
}

static sv_status survey_rows(sv_questionnaire *q, const struct survey_cols *c,
                             int *stack, sv_error *err)
{
    const sv_sheet *s = q->survey;
    size_t depth = 0;

    for (size_t r = 0; r < sv_sheet_rows(s); r++) {
        row_kind kind = K_INTEGER;
        const struct sv_list *list;
        if (sv_sheet_row_blank(s, r))
            continue;
        sv_status st = parse_type(q, r, c, &kind, &list, err);
        if (st != SV_OK)
            return st;
        if (kind == K_BEGIN)
            st = begin_group(q, r, c, stack, &depth, err);
        else if (kind == K_END)
            st = end_group(q, r, c, &depth, stack, err);
        else
            st = add_question(q, r, c, kind, list,
                              depth > 0 ? stack[depth - 1] : -1, err);
        if (st != SV_OK)
            return st;
    }
    if (depth > 0) {
        const sv_group *g = &q->groups[stack[depth - 1]];
        return fail_row(err, s, q->ginfo[stack[depth - 1]].row, "type",
                        "group %s is never closed", g->name);
    }
    return SV_OK;
}

/* ---- survey.csv: expressions ------------------------------------------ */

static int resolve_question(void *ctx, const char *name, size_t len)
{
    const sv_questionnaire *q = ctx;
    return index_find(q->question_index, q->n_questions, name, len);
}

/* Parses the expression in column col of row r; *out stays NULL when the
 * field is blank. */
static sv_status parse_expr(sv_questionnaire *q, size_t r, int col,
                            const char *col_name, bool allow_self,
                            sv_expr **out, sv_error *err)
{
    const char *src = sv_sheet_field(q->survey, r, col);
    sv_error sub;

    *out = NULL;
    if (blank(src))
        return SV_OK;
    sv_status st =
        sv_expr_parse(out, src, allow_self, resolve_question, q, &sub);
    if (st == SV_ERR_PARSE)
        return fail_row(err, q->survey, r, col_name, "%s", sub.msg);
    if (st != SV_OK)
        return sv_fail(err, st, "%s", sub.msg);
    /* the questions and their options are in place (survey_rows) */
    sv_expr_bind(*out, q->questions, q->n_questions);
    return SV_OK;
}

/* Joins the relevance of question i's groups (outermost first) and its own
 * with " and ", parenthesising any part whose top operator is `or`. */
static sv_status build_relevant_text(sv_questionnaire *q, size_t i,
                                     sv_error *err)
{
    const sv_expr *parts[MAX_GROUP_DEPTH + 1];
    size_t n = 0;
    size_t len = 1;

    if (q->qinfo[i].relevant != NULL)
        parts[n++] = q->qinfo[i].relevant;
    for (int g = q->questions[i].group; g >= 0; g = q->groups[g].parent) {
        if (q->ginfo[g].relevant != NULL)
            parts[n++] = q->ginfo[g].relevant;
    }
    for (size_t k = 0; k < n; k++)
        len += strlen(sv_expr_source(parts[k])) + 2 + 5;
    char *text = malloc(len);
    if (text == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    text[0] = '\0';
    for (size_t k = n; k-- > 0;) {
        bool paren = n > 1 && sv_expr_is_or(parts[k]);
        size_t used = strlen(text);
        snprintf(text + used, len - used, "%s%s%s%s", k + 1 < n ? " and " : "",
                 paren ? "(" : "", sv_expr_source(parts[k]), paren ? ")" : "");
    }
    q->qinfo[i].relevant_text = text;
    return SV_OK;
}

static sv_status question_exprs(sv_questionnaire *q,
                                const struct survey_cols *c, size_t i,
                                sv_error *err)
{
    struct sv_qinfo *info = &q->qinfo[i];
    sv_status st = parse_expr(q, info->row, c->relevant, "relevant", false,
                              &info->relevant, err);

    if (st == SV_OK)
        st = parse_expr(q, info->row, c->constraint, "constraint", true,
                        &info->constraint, err);
    if (st == SV_OK)
        st = build_relevant_text(q, i, err);
    if (info->relevant != NULL)
        q->questions[i].relevant = sv_expr_source(info->relevant);
    if (info->constraint != NULL)
        q->questions[i].constraint = sv_expr_source(info->constraint);
    return st;
}

/* Parses every expression, in row order so that the first error reported
 * is the first in the sheet. Groups come before the questions they hold,
 * whose effective relevance text needs the groups' expressions. */
static sv_status survey_exprs(sv_questionnaire *q, const struct survey_cols *c,
                              sv_error *err)
{
    size_t i = 0;
    size_t g = 0;
    sv_status st = SV_OK;

    while (st == SV_OK && (i < q->n_questions || g < q->n_groups)) {
        if (g < q->n_groups &&
            (i == q->n_questions || q->ginfo[g].row < q->qinfo[i].row)) {
            st = parse_expr(q, q->ginfo[g].row, c->relevant, "relevant", false,
                            &q->ginfo[g].relevant, err);
            g++;
        } else {
            st = question_exprs(q, c, i, err);
            i++;
        }
    }
    return st;
}

/* Marks the groups whose relevance reads only questions before the
 * group's first question (struct sv_ginfo, settled). */
static sv_status settle_groups(sv_questionnaire *q, sv_error *err)
{
    size_t *first = malloc((q->n_groups + 1) * sizeof *first);

    if (first == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t g = 0; g < q->n_groups; g++)
        first[g] = SIZE_MAX;
    for (size_t i = 0; i < q->n_questions; i++) {
        for (int g = q->questions[i].group; g >= 0; g = q->groups[g].parent)
            if (first[g] == SIZE_MAX)
                first[g] = i;
    }
    for (size_t g = 0; g < q->n_groups; g++) {
        const sv_expr *e = q->ginfo[g].relevant;
        q->ginfo[g].settled = e != NULL && first[g] != SIZE_MAX &&
                              sv_expr_last_question(e) < (long)first[g];
    }
    free(first);
    return SV_OK;
}

static sv_status index_questions(sv_questionnaire *q, sv_error *err)
{
    q->question_index = calloc(q->n_questions + 1, sizeof *q->question_index);
    if (q->question_index == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < q->n_questions; i++) {
        q->question_index[i].name = q->questions[i].name;
        q->question_index[i].len = strlen(q->questions[i].name);
        q->question_index[i].index = i;
    }
    qsort(q->question_index, q->n_questions, sizeof *q->question_index,
          index_order);
    return SV_OK;
}

static sv_status load_survey(sv_questionnaire *q, sv_error *err)
{
    const sv_sheet *s = q->survey;
    size_t rows = sv_sheet_rows(s);
    struct survey_cols c;
    int *stack = NULL; /* owned: open groups, innermost last */
    sv_status st = need_column(s, "type", &c.type, err);

    if (st == SV_OK)
        st = need_column(s, "name", &c.name, err);
    if (st != SV_OK)
        return st;
    c.label = sv_sheet_column(s, "label");
    c.relevant = sv_sheet_column(s, "relevant");
    c.required = sv_sheet_column(s, "required");
    c.constraint = sv_sheet_column(s, "constraint");
    c.constraint_message = sv_sheet_column(s, "constraint_message");
    c.report = sv_sheet_column(s, "report");
    q->questions = calloc(rows + 1, sizeof *q->questions);
    q->qinfo = calloc(rows + 1, sizeof *q->qinfo);
    q->groups = calloc(rows + 1, sizeof *q->groups);
    q->ginfo = calloc(rows + 1, sizeof *q->ginfo);
    stack = calloc(MAX_GROUP_DEPTH, sizeof *stack);
    if (q->questions == NULL || q->qinfo == NULL || q->groups == NULL ||
        q->ginfo == NULL || stack == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto done;
    }
    st = survey_rows(q, &c, stack, err);
    if (st == SV_OK)
        st = index_questions(q, err);
    if (st == SV_OK)
        st = survey_exprs(q, &c, err);
    if (st == SV_OK)
        st = settle_groups(q, err);

done:
    free(stack);
    return st;
}

/* ---- roster.csv ------------------------------------------------------- */

/* Respondent codes are 6 digits: 000000 to 999999. */
#define ROSTER_CODES 1000000

static bool six_digits(const char *code)
{
    return strlen(code) == 6 && strspn(code, "0123456789") == 6;
}

/* The code as a number, or -1 if it is not 6 digits. */
static long code_number(const char *code)
{
    long v = 0;

    for (int i = 0; i < 6; i++) {
        if (code[i] < '0' || code[i] > '9')
            return -1;
        v = v * 10 + (code[i] - '0');
    }
    return code[6] == '\0' ? v : -1;
}

/* Builds the sorted roster index and fails on the first repeated code in
 * file order. */
static sv_status index_roster(sv_questionnaire *q, const unsigned long *line_of,
                              sv_error *err)
{
    struct sv_name_index *ix = calloc(q->n_roster + 1, sizeof *ix);
    size_t dup = SIZE_MAX;
    size_t first = 0;

    if (ix == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < q->n_roster; i++) {
        ix[i].name = q->roster[i].code;
        ix[i].len = strlen(q->roster[i].code);
        ix[i].index = i;
    }
    qsort(ix, q->n_roster, sizeof *ix, index_order);
    for (size_t k = 1; k < q->n_roster; k++) {
        if (strcmp(ix[k].name, ix[k - 1].name) == 0 && ix[k].index < dup) {
            dup = ix[k].index;
            first = ix[k - 1].index;
        }
    }
    q->roster_index = ix;
    if (dup == SIZE_MAX && q->n_roster > 0) {
        q->code_slot = calloc(ROSTER_CODES, sizeof *q->code_slot);
        if (q->code_slot == NULL)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < q->n_roster; i++)
            q->code_slot[code_number(q->roster[i].code)] = (uint32_t)i + 1;
    }
    if (dup != SIZE_MAX)
        return fail_line(err, q->roster_sheet, line_of[dup], "code",
                         "duplicate code %s (first on line %lu)",
                         q->roster[dup].code, line_of[first]);
    return SV_OK;
}

/* The roster as sv_sheet_load_each hands it over: every string of every
 * respondent in one arena (offsets until the end, since it grows), so that
 * a roster of a million respondents costs its bytes, not a million small
 * allocations per column. */
typedef struct {
    sv_questionnaire *q;
    int col[4]; /* code, name, prefecture, type; col[0] < 0: not looked up */
    char *arena;
    size_t len;
    size_t cap;
    size_t *off;            /* 4 offsets per respondent */
    unsigned long *line_of; /* per respondent, its line in roster.csv */
    size_t cap_roster;
} roster_load;

static const char *const roster_columns[] = {"code", "name", "prefecture",
                                             "type"};

static bool roster_grow(roster_load *l, size_t bytes)
{
    if (l->q->n_roster == l->cap_roster) {
        size_t cap = l->cap_roster ? 2 * l->cap_roster : 256;
        size_t *off = realloc(l->off, 4 * cap * sizeof *off);
        if (off == NULL)
            return false;
        l->off = off;
        unsigned long *line_of = realloc(l->line_of, cap * sizeof *line_of);
        if (line_of == NULL)
            return false;
        l->line_of = line_of;
        l->cap_roster = cap;
    }
    if (l->len + bytes > l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        while (cap < l->len + bytes)
            cap *= 2;
        char *arena = realloc(l->arena, cap);
        if (arena == NULL)
            return false;
        l->arena = arena;
        l->cap = cap;
    }
    return true;
}

static sv_status roster_columns_of(roster_load *l, const sv_sheet *s,
                                   sv_error *err)
{
    sv_status st = SV_OK;

    for (size_t i = 0; i < 4 && st == SV_OK; i++)
        st = need_column(s, roster_columns[i], &l->col[i], err);
    return st;
}

static sv_status roster_row(void *ctx, const sv_sheet *s,
                            const sv_sheet_row *row, sv_error *err)
{
    roster_load *l = ctx;
    const char *f[4];
    size_t bytes = 0;
    sv_status st;

    if (l->col[0] < 0) {
        st = roster_columns_of(l, s, err);
        if (st != SV_OK)
            return st;
    }
    if (sv_sheet_row_is_blank(row))
        return SV_OK;
    for (size_t i = 0; i < 4; i++) {
        f[i] = sv_sheet_row_field(row, l->col[i]);
        bytes += strlen(f[i]) + 1;
    }
    if (!six_digits(f[0]))
        return fail_line(err, s, row->line, "code", "'%s' is not 6 digits",
                         f[0]);
    if (f[1][0] == '\0')
        return fail_line(err, s, row->line, "name", "empty");
    if (f[3][0] == '\0')
        return fail_line(err, s, row->line, "type", "empty");
    if (!roster_grow(l, bytes))
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < 4; i++) {
        size_t n = strlen(f[i]) + 1;
        l->off[4 * l->q->n_roster + i] = l->len;
        memcpy(l->arena + l->len, f[i], n);
        l->len += n;
    }
    l->line_of[l->q->n_roster++] = row->line;
    return SV_OK;
}

/* Reads roster.csv row by row into the roster. */
static sv_status load_roster(sv_questionnaire *q, const char *dir,
                             sv_error *err)
{
    roster_load l = {.q = q, .col = {-1, -1, -1, -1}};
    sv_status st = load_sheet_rows(dir, "roster.csv", &q->roster_sheet,
                                   roster_row, &l, err);

    if (st == SV_OK && l.col[0] < 0) /* no data rows */
        st = roster_columns_of(&l, q->roster_sheet, err);
    if (st == SV_OK) {
        q->roster = calloc(q->n_roster + 1, sizeof *q->roster);
        if (q->roster == NULL)
            st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    if (st == SV_OK) {
        q->roster_strings = l.arena;
        l.arena = NULL;
        for (size_t i = 0; i < q->n_roster; i++) {
            sv_respondent *p = &q->roster[i];
            p->code = q->roster_strings + l.off[4 * i];
            p->name = q->roster_strings + l.off[4 * i + 1];
            p->prefecture = q->roster_strings + l.off[4 * i + 2];
            p->type = q->roster_strings + l.off[4 * i + 3];
        }
        st = index_roster(q, l.line_of, err);
    }
    free(l.arena);
    free(l.off);
    free(l.line_of);
    return st;
}

/* ---- public ----------------------------------------------------------- */

sv_status sv_questionnaire_load(sv_questionnaire **out, const char *dir,
                                sv_error *err)
{
    sv_questionnaire *q = calloc(1, sizeof *q);
    sv_status st;

    *out = NULL;
    if (q == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    st = load_sheet(dir, "settings.csv", &q->settings, err);
    if (st == SV_OK)
        st = load_settings(q, err);
    if (st == SV_OK)
        st = load_sheet(dir, "choices.csv", &q->choices, err);
    if (st == SV_OK)
        st = load_choices(q, err);
    if (st == SV_OK)
        st = load_sheet(dir, "survey.csv", &q->survey, err);
    if (st == SV_OK)
        st = load_survey(q, err);
    if (st == SV_OK)
        st = load_roster(q, dir, err);
    if (st == SV_OK)
        st = sv_compact_layout(q, err);
    if (st != SV_OK) {
        sv_questionnaire_destroy(&q);
        return st;
    }
    *out = q;
    return SV_OK;
}

void sv_questionnaire_destroy(sv_questionnaire **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_questionnaire *q = *self;
    if (q->qinfo != NULL) {
        for (size_t i = 0; i < q->n_questions; i++) {
            sv_expr_destroy(&q->qinfo[i].relevant);
            sv_expr_destroy(&q->qinfo[i].constraint);
            free(q->qinfo[i].relevant_text);
        }
    }
    if (q->ginfo != NULL) {
        for (size_t g = 0; g < q->n_groups; g++)
            sv_expr_destroy(&q->ginfo[g].relevant);
    }
    free(q->questions);
    free(q->qinfo);
    free(q->question_index);
    free(q->groups);
    free(q->ginfo);
    free(q->options);
    free(q->lists);
    free(q->roster);
    free(q->roster_strings);
    free(q->roster_index);
    free(q->code_slot);
    free(q->slot);
    sv_sheet_destroy(&q->settings);
    sv_sheet_destroy(&q->choices);
    sv_sheet_destroy(&q->survey);
    sv_sheet_destroy(&q->roster_sheet);
    free(q);
    *self = NULL;
}

const char *sv_questionnaire_id(const sv_questionnaire *q)
{
    return q->id;
}

const char *sv_questionnaire_version(const sv_questionnaire *q)
{
    return q->version;
}

const char *sv_questionnaire_title(const sv_questionnaire *q)
{
    return q->title;
}

size_t sv_questionnaire_count(const sv_questionnaire *q)
{
    return q->n_questions;
}

const sv_question *sv_questionnaire_question(const sv_questionnaire *q,
                                             size_t i)
{
    return i < q->n_questions ? &q->questions[i] : NULL;
}

int sv_questionnaire_find(const sv_questionnaire *q, const char *name)
{
    if (name == NULL)
        return -1;
    return index_find(q->question_index, q->n_questions, name, strlen(name));
}

int sv_question_option(const sv_question *question, const char *name)
{
    if (name == NULL)
        return -1;
    /* the first byte before the rest: option names are short and mostly
       differ there (validation looks up every chosen option) */
    for (size_t i = 0; i < question->n_options; i++) {
        const char *option = question->options[i].name;
        if (option[0] == name[0] && strcmp(option, name) == 0)
            return (int)i;
    }
    return -1;
}

size_t sv_questionnaire_group_count(const sv_questionnaire *q)
{
    return q->n_groups;
}

const sv_group *sv_questionnaire_group(const sv_questionnaire *q, size_t i)
{
    return i < q->n_groups ? &q->groups[i] : NULL;
}

const char *sv_questionnaire_relevant_text(const sv_questionnaire *q, size_t i)
{
    return i < q->n_questions ? q->qinfo[i].relevant_text : NULL;
}

size_t sv_questionnaire_roster_count(const sv_questionnaire *q)
{
    return q->n_roster;
}

const sv_respondent *sv_questionnaire_respondent(const sv_questionnaire *q,
                                                 size_t i)
{
    return i < q->n_roster ? &q->roster[i] : NULL;
}

int sv_questionnaire_find_respondent(const sv_questionnaire *q,
                                     const char *code)
{
    long v = code != NULL && q->code_slot != NULL ? code_number(code) : -1;

    return v >= 0 ? (int)q->code_slot[v] - 1 : -1;
}

const char *sv_questionnaire_code_at(const sv_questionnaire *q, size_t k)
{
    return k < q->n_roster ? q->roster_index[k].name : NULL;
}

int sv_questionnaire_walk_respondent(const sv_questionnaire *q,
                                     const char *code, size_t *pos)
{
    size_t len;
    size_t k;

    if (code == NULL)
        return -1;
    len = strlen(code);
    k = *pos;
    if (k < q->n_roster && compare_len(&q->roster_index[k], code, len) == 0) {
        *pos = k + 1; /* the usual case: codes come in order */
        return (int)q->roster_index[k].index;
    }
    k = index_lower(q->roster_index, q->n_roster, code, len);
    if (k >= q->n_roster || compare_len(&q->roster_index[k], code, len) != 0) {
        *pos = k;
        return -1;
    }
    *pos = k + 1;
    return (int)q->roster_index[k].index;
}

/* Groups whose relevance a pass remembers; more groups than this are
 * evaluated for each question. */
#define GROUP_CACHE 64

/* sv_questionnaire_relevant_at; known (NULL for none) remembers the
 * relevance of settled groups during one pass in sheet order: 0 not yet
 * evaluated, 1 relevant, -1 not. */
static bool relevant_at(const sv_questionnaire *q, size_t i,
                        const sv_value *values, const bool *relevant,
                        signed char *known)
{
    sv_expr_env env = {.questions = q->questions,
                       .values = values,
                       .relevant = relevant,
                       .n_known = i,
                       .self = (int)i};

    if (q->qinfo[i].relevant != NULL &&
        !sv_expr_eval(q->qinfo[i].relevant, &env))
        return false;
    for (int g = q->questions[i].group; g >= 0; g = q->groups[g].parent) {
        const struct sv_ginfo *gi = &q->ginfo[g];
        if (gi->relevant == NULL)
            continue;
        if (known == NULL || !gi->settled) {
            if (!sv_expr_eval(gi->relevant, &env))
                return false;
            continue;
        }
        if (known[g] == 0)
            known[g] = sv_expr_eval(gi->relevant, &env) ? 1 : -1;
        if (known[g] < 0)
            return false;
    }
    return true;
}

bool sv_questionnaire_relevant_at(const sv_questionnaire *q, size_t i,
                                  const sv_value *values, const bool *relevant)
{
    return relevant_at(q, i, values, relevant, NULL);
}

void sv_questionnaire_relevance(const sv_questionnaire *q,
                                const sv_value *values, bool *relevant)
{
    signed char known[GROUP_CACHE];
    bool cache = q->n_groups <= GROUP_CACHE;

    if (cache)
        memset(known, 0, q->n_groups);
    for (size_t i = 0; i < q->n_questions; i++)
        relevant[i] = relevant_at(q, i, values, relevant, cache ? known : NULL);
}
