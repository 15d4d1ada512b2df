/* completeness.c: see completeness.h. */
#include "completeness.h"

#include "figures.h"

#include <stdbool.h>

typedef struct {
    const char *columns[7];
    const char *not_started;
    const char *incomplete;
    const char *missing; /* before the question names */
    const char *none;
    const char *omitted; /* the snapshot leaves the respondents out */
} words;

static const words japanese = {
    {"区分", "対象", "完了", "回答途中", "未回答", "回答率", "完了率"},
    "未回答",
    "回答途中",
    "未回答の設問: ",
    "（なし）",
    "（一覧は省略：回答団体が多いため）"};

static const words english = {{"type", "expected", "complete", "incomplete",
                               "not started", "response rate", "complete rate"},
                              "not started",
                              "incomplete",
                              "missing: ",
                              "none",
                              "not listed: the roster is larger than the "
                              "aggregator's --respondent-detail"};

static sv_status write_figures(FILE *out, const Survey__V1__Completeness *c,
                               sv_table_style style, sv_lang lang,
                               const words *w, sv_error *err)
{
    sv_table *t = sv_table_new(7);
    if (t == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < 7; i++) {
        sv_table_cell(t, w->columns[i]);
        if (i > 0)
            sv_table_align(t, i, SV_ALIGN_RIGHT);
    }
    for (size_t i = 0; i < c->n_figures; i++) {
        const Survey__V1__CompletenessFigure *f = c->figures[i];
        char a[32], b[32];
        sv_table_row(t);
        sv_table_cell(t, lang == SV_LANG_JA
                             ? sv_fig_type_name(f->respondent_type)
                             : f->respondent_type);
        sv_table_cellf(t, "%u", (unsigned)f->expected);
        sv_table_cellf(t, "%u", (unsigned)f->complete);
        sv_table_cellf(t, "%u", (unsigned)f->incomplete);
        sv_table_cellf(t, "%u", (unsigned)f->not_started);
        sv_table_cell(t, sv_fig_percent(f->response_rate, a, sizeof a));
        sv_table_cell(t, sv_fig_percent(f->complete_rate, b, sizeof b));
    }
    sv_status st = sv_table_write(t, out, style, err);
    sv_table_destroy(&t);
    return st;
}

/* Writes text as a list item's body (escaped in Markdown). */
static void put(FILE *out, sv_table_style style, const char *text)
{
    if (style == SV_TABLE_MARKDOWN)
        sv_table_md_escape(out, text);
    else
        fputs(text, out);
}

/* A missing question: with its label when the snapshot has one. */
static void put_question(FILE *out, const Survey__V1__Snapshot *labels,
                         const char *name, sv_table_style style, sv_lang lang)
{
    const char *label =
        labels != NULL ? sv_fig_question_label(labels, name) : NULL;
    if (label == NULL || label[0] == '\0') {
        put(out, style, name);
        return;
    }
    put(out, style, lang == SV_LANG_JA ? label : name);
    fputs(" (", out);
    put(out, style, lang == SV_LANG_JA ? name : label);
    fputc(')', out);
}

static void write_one(FILE *out, const Survey__V1__RespondentStatus *r,
                      const Survey__V1__Snapshot *labels, sv_table_style style,
                      sv_lang lang, const words *w)
{
    fputs(style == SV_TABLE_MARKDOWN ? "- " : "  ", out);
    put(out, style, r->name[0] != '\0' ? r->name : r->respondent);
    fputs(" (", out);
    put(out, style, r->respondent);
    fputc(')', out);
    if (r->n_missing > 0) {
        fputs(": ", out);
        fputs(w->missing, out);
        for (size_t i = 0; i < r->n_missing; i++) {
            if (i > 0)
                fputs(", ", out);
            put_question(out, labels, r->missing[i], style, lang);
        }
    }
    fputc('\n', out);
}

static void write_list(FILE *out, const Survey__V1__Completeness *c,
                       const Survey__V1__Snapshot *labels,
                       Survey__V1__RespondentStatus__State state,
                       const char *title, sv_table_style style, sv_lang lang,
                       const words *w)
{
    bool omitted = labels != NULL && labels->respondent_detail_omitted;
    size_t n = sv_fig_state_count(c, state, omitted);
    if (style == SV_TABLE_MARKDOWN)
        fprintf(out, "**%s (%zu)**\n\n", title, n);
    else
        fprintf(out, "%s (%zu):\n", title, n);
    if (omitted) {
        fprintf(out, "%s%s\n", style == SV_TABLE_MARKDOWN ? "" : "  ",
                w->omitted);
        return;
    }
    if (n == 0)
        fprintf(out, "%s%s\n", style == SV_TABLE_MARKDOWN ? "" : "  ", w->none);
    for (size_t i = 0; i < c->n_respondents; i++) {
        if (c->respondents[i]->state == state)
            write_one(out, c->respondents[i], labels, style, lang, w);
    }
}

sv_status sv_completeness_write(FILE *out, const Survey__V1__Completeness *c,
                                const Survey__V1__Snapshot *labels,
                                sv_table_style style, sv_lang lang,
                                sv_error *err)
{
    const words *w = lang == SV_LANG_JA ? &japanese : &english;
    sv_status st = write_figures(out, c, style, lang, w, err);
    if (st != SV_OK)
        return st;
    fputc('\n', out);
    write_list(out, c, labels,
               SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED,
               w->not_started, style, lang, w);
    fputc('\n', out);
    write_list(out, c, labels, SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE,
               w->incomplete, style, lang, w);
    return SV_OK;
}
