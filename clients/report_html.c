/* report_html.c: see report_html.h. */
#include "report_html.h"

#include "answers_json.h"
#include "figures.h"
#include "width.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bar charts: font size of labels, height of a bar, room for the value
 * text right of 100%, and the width of the two kinds of chart. */
#define CHART_FONT 13
#define CHART_BAR 16
#define CHART_VALUE_ROOM 140
#define CHART_RATES_WIDTH 760
#define CHART_FREQ_WIDTH 480

static const char css[] =
    ":root{--ink:#1a202c;--muted:#4a5568;--line:#cbd5e0;--head:#edf2f7;"
    "--bar:#2b6cb0;--accent:#1a365d}\n"
    "*{box-sizing:border-box}\n"
    "html{font-family:\"Noto Sans CJK JP\",\"Noto Sans "
    "JP\",\"IPAPGothic\",\"IPAexGothic\","
    "\"IPAGothic\",\"Hiragino Sans\",\"Yu Gothic\",Meiryo,sans-serif;"
    "color:var(--ink);background:#fff;line-height:1.6;font-size:15px}\n"
    "body{margin:0 auto;max-width:1160px;padding:24px 32px 64px}\n"
    "h1{font-size:1.9rem;line-height:1.35;margin:.2em 0 .8em;"
    "color:var(--accent)}\n"
    "h2{font-size:1.45rem;color:var(--accent);margin:2.4em 0 .8em;"
    "padding-bottom:.2em;border-bottom:3px solid var(--accent)}\n"
    "h3{font-size:1.15rem;margin:1.8em 0 .6em;padding-left:.5em;"
    "border-left:6px solid var(--bar)}\n"
    "h4{font-size:1rem;margin:1.4em 0 .3em}\n"
    "table{border-collapse:collapse;margin:.4em 0 1.2em;font-size:.9rem}\n"
    "th,td{border:1px solid var(--line);padding:.3em .55em;"
    "vertical-align:top;text-align:left}\n"
    "thead th{background:var(--head);vertical-align:bottom}\n"
    "tbody th{font-weight:normal}\n"
    ".num{text-align:right;white-space:nowrap;"
    "font-variant-numeric:tabular-nums}\n"
    "td.mark{text-align:center}\n"
    "td.yes{color:#22543d}td.no{color:#9b2c2c}td.na{color:var(--muted)}\n"
    "tr.total th,tr.total td{font-weight:bold;"
    "border-top:2px solid var(--ink)}\n"
    ".cover{padding:48px 0 8px}\n"
    ".kind{color:var(--muted);letter-spacing:.2em;margin:0}\n"
    "table.meta th{width:13em;white-space:nowrap;background:var(--head)}\n"
    "code{font-family:\"DejaVu Sans Mono\",monospace;font-size:.9em}\n"
    ".digest{word-break:break-all}\n"
    "nav.toc ol{padding-left:1.4em}\n"
    "nav.toc a{color:var(--accent)}\n"
    ".note{color:var(--muted);font-size:.85rem}\n"
    ".legend{list-style:none;padding:0;margin:.4em 0;display:flex;"
    "flex-wrap:wrap;gap:.4em 2em;font-size:.9rem}\n"
    "table.matrix{font-size:.8rem}\n"
    "table.matrix thead th{font-size:.75rem;min-width:3.5em}\n"
    ".name{white-space:nowrap}\n"
    "figure{margin:.6em 0 1.6em}\n"
    "figcaption{color:var(--muted);font-size:.85rem}\n"
    "svg.chart{max-width:100%;height:auto;display:block}\n"
    "svg .bar{fill:var(--bar)}\n"
    "svg .grid{stroke:var(--line);stroke-width:1}\n"
    "svg text{fill:var(--ink)}\n"
    "svg .label{font-size:13px}\n"
    "svg .value,svg .tick{font-size:12px}\n"
    "svg .tick{fill:var(--muted)}\n"
    ".freq-body{display:flex;flex-wrap:wrap;gap:.5em 2em;"
    "align-items:flex-start}\n"
    ".freq-body table{margin-top:0}\n"
    "table.listing{width:100%}\n"
    "table.listing td.text{min-width:12em}\n"
    "ul.names{columns:5 9em;padding-left:1.2em;margin:.4em 0 1.2em}\n"
    "ul.missing{margin:0;padding-left:1.2em}\n"
    "footer{margin-top:4em;color:var(--muted);font-size:.8rem;"
    "border-top:1px solid var(--line);padding-top:.5em}\n"
    "@media screen{tbody tr:nth-child(even){background:#f7fafc}}\n"
    "@page{size:A4;margin:14mm 12mm}\n"
    "@media print{\n"
    "html{font-size:10pt}\n"
    "body{max-width:none;padding:0}\n"
    ".major{break-before:page}\n"
    "h1,h2,h3,h4{break-after:avoid}\n"
    "thead{display:table-header-group}\n"
    "tr,figure,.freq{break-inside:avoid}\n"
    "th,td,thead th,table.meta th{background:none}\n"
    "nav.toc a{color:inherit;text-decoration:none}\n"
    "}\n";

/* ---- escaping ------------------------------------------------------------ */

/* The entity of an HTML-special character, or NULL. */
static const char *entity(uint32_t cp)
{
    switch (cp) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    default:
        return NULL;
    }
}

/* C0 and C1 controls other than tab and line feed (\r of \r\n too). */
static bool is_dropped(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp < 0xA0);
}

/* Writes s with & < > " ' as entities, bytes that are not UTF-8 as U+FFFD
 * and control characters other than tab dropped. A line break becomes
 * <br> when br, a space otherwise. */
static void esc_mode(FILE *out, const char *s, bool br)
{
    size_t len = strlen(s);
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t k = sv_utf8_next(s + i, len - i, &cp);
        const char *e = entity(cp);
        if (e != NULL)
            fputs(e, out);
        else if (cp == '\n')
            fputs(br ? "<br>\n" : " ", out);
        else if (cp == 0xFFFD && k == 1)
            fputs("\xEF\xBF\xBD", out); /* an invalid byte */
        else if (!is_dropped(cp))
            fwrite(s + i, 1, k, out);
        i += k;
    }
}

static void esc(FILE *out, const char *s)
{
    esc_mode(out, s, false);
}

/* open, s escaped, close. */
static void element(FILE *out, const char *open, const char *s,
                    const char *close)
{
    fputs(open, out);
    esc(out, s);
    fputs(close, out);
}

/* label, or fallback when label is empty. */
static const char *or_else(const char *label, const char *fallback)
{
    return label[0] != '\0' ? label : fallback;
}

/* ---- figures ------------------------------------------------------------- */

/* The figure for all respondents: "all", else the first. */
static const Survey__V1__Figure *figure_all(Survey__V1__Figure *const *figs,
                                            size_t n)
{
    const Survey__V1__Figure *f = sv_fig_find(figs, n, "all");
    return f != NULL || n == 0 ? f : figs[0];
}

/* The server's percent string ("42.5", "43") in hundredths of a percent,
 * clamped to 0..10000; 0 when empty or not a number. Only bar lengths are
 * read from it: the text printed is always the string itself. */
static long percent_hundredths(const char *p)
{
    long v = 0;
    size_t i = 0;
    for (; p[i] >= '0' && p[i] <= '9' && v <= 10000; i++)
        v = v * 10 + (p[i] - '0');
    v *= 100;
    if (p[i] == '.' && p[i + 1] >= '0' && p[i + 1] <= '9') {
        v += (p[i + 1] - '0') * 10;
        if (p[i + 2] >= '0' && p[i + 2] <= '9')
            v += p[i + 2] - '0';
    }
    return v > 10000 ? 10000 : v;
}

/* Writes "97% (133/137)" ("- (0/0)" without a percentage), or "" for no
 * figure. */
static void put_rate(FILE *out, const Survey__V1__Figure *f)
{
    char buf[96];
    if (f != NULL)
        esc(out, sv_fig_rate(f, buf, sizeof buf));
}

/* ---- bar charts ---------------------------------------------------------- */

typedef struct {
    const char *label;
    const Survey__V1__Figure *fig; /* NULL: no figure (an empty bar) */
} bar;

/* Approximate pixels of s in the chart's label font: wide characters are
 * about one em, narrow ones half of it. */
static int label_px(const char *s)
{
    size_t cols = sv_width(s);
    if (cols > 400)
        cols = 400;
    return (int)cols * CHART_FONT / 2 + CHART_FONT;
}

/* An inline SVG chart, one horizontal bar per entry of bars[0..n), scale
 * 0-100%: the label above each bar, percent% (count/n) at its end. Exactly
 * one <rect> per bar; the grid is made of lines. */
static void bar_chart(FILE *out, const char *id, const char *title,
                      const bar *bars, size_t n, int width)
{
    const int left = 8;
    const int row = CHART_FONT + 4 + CHART_BAR + 10;
    const int top = 4;
    int label_max = 0;
    for (size_t i = 0; i < n; i++) {
        int px = label_px(bars[i].label);
        if (px > label_max)
            label_max = px;
    }
    if (left + label_max > width)
        width = left + label_max;
    const int scale = width - left - CHART_VALUE_ROOM;
    const int axis = top + (int)n * row;
    const int height = axis + 22;

    fprintf(out,
            "<svg class=\"chart\" id=\"%s\" role=\"img\" "
            "aria-labelledby=\"%s-title\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\">\n",
            id, id, width, height, width, height);
    fprintf(out, "<title id=\"%s-title\">", id);
    esc(out, title);
    fputs("</title>\n", out);
    for (int k = 0; k <= 4; k++) {
        int x = left + scale * k / 4;
        fprintf(out,
                "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
                "y2=\"%d\"/>\n",
                x, top, x, axis);
        fprintf(out,
                "<text class=\"tick\" x=\"%d\" y=\"%d\" "
                "text-anchor=\"%s\">%d%%</text>\n",
                x, axis + 16, k == 0 ? "start" : "middle", k * 25);
    }
    for (size_t i = 0; i < n; i++) {
        const Survey__V1__Figure *f = bars[i].fig;
        int y = top + (int)i * row;
        int bar_y = y + CHART_FONT + 4;
        long h = f != NULL ? percent_hundredths(f->percent) : 0;
        int w = (int)((h * scale + 5000) / 10000);
        fprintf(out, "<text class=\"label\" x=\"%d\" y=\"%d\">", left,
                y + CHART_FONT);
        esc(out, bars[i].label);
        fputs("</text>\n", out);
        fprintf(out,
                "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" "
                "height=\"%d\"><title>",
                left, bar_y, w, CHART_BAR);
        esc(out, bars[i].label);
        fputs(": ", out);
        put_rate(out, f);
        fputs("</title></rect>\n", out);
        fprintf(out, "<text class=\"value\" x=\"%d\" y=\"%d\">", left + w + 6,
                bar_y + CHART_BAR - 3);
        put_rate(out, f);
        fputs("</text>\n", out);
    }
    fputs("</svg>\n", out);
}

/* ---- the document -------------------------------------------------------- */

static bool has_matrix(const Survey__V1__Snapshot *s)
{
    return s->matrix != NULL &&
           (s->matrix->n_columns > 0 || s->matrix->n_rows > 0);
}

static void write_head(FILE *out, const Survey__V1__Snapshot *s)
{
    fputs("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n"
          "<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" "
          "content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"generator\" content=\"survey report\">\n",
          out);
    element(out, "<title>", or_else(s->title, s->survey), "");
    fprintf(out, " 集計報告 (版 %llu)</title>\n",
            (unsigned long long)s->version);
    fprintf(out, "<style>\n%s</style>\n</head>\n<body>\n", css);
}

static void meta_row(FILE *out, const char *key, const char *open,
                     const char *value, const char *close)
{
    fprintf(out, "<tr><th scope=\"row\">%s</th><td>", key);
    element(out, open, value, close);
    fputs("</td></tr>\n", out);
}

static void toc_entry(FILE *out, bool present, const char *id, const char *text)
{
    if (present)
        fprintf(out, "<li><a href=\"#%s\">%s</a></li>\n", id, text);
}

static void write_cover(FILE *out, const Survey__V1__Snapshot *s)
{
    char buf[64];
    fputs("<header class=\"cover\" id=\"top\">\n"
          "<p class=\"kind\">集計報告</p>\n",
          out);
    element(out, "<h1>", or_else(s->title, "集計"), "</h1>\n");
    fputs("<table class=\"meta\">\n<tbody>\n", out);
    meta_row(out, "調査ID", "<code>", s->survey, "</code>");
    if (s->questionnaire_version[0] != '\0')
        meta_row(out, "調査票の版", "", s->questionnaire_version, "");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->version);
    meta_row(out, "スナップショット版", "", buf, "");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)s->sequence);
    meta_row(out, "反映した変更ログの通番", "", buf, "");
    meta_row(out, "作成日時 (UTC)", "",
             sv_format_time(s->created_ms, buf, sizeof buf), "");
    if (s->trigger[0] != '\0')
        meta_row(out, "作成の契機", "", s->trigger, "");
    fputs("<tr><th scope=\"row\">ダイジェスト (BLAKE2b-256)</th>"
          "<td><code class=\"digest\">",
          out);
    for (size_t i = 0; i < s->digest.len; i++)
        fprintf(out, "%02x", (unsigned)s->digest.data[i]);
    fputs("</code></td></tr>\n</tbody>\n</table>\n", out);
    fprintf(out,
            "<p class=\"note\">割合は集計サーバーが小数点以下%u桁に"
            "四捨五入した値。括弧内は（該当数/回答数）。</p>\n",
            (unsigned)s->decimals);
    if (s->respondent_detail_omitted)
        fputs("<p class=\"note\">回答団体が多いため、団体別の行（実施状況の"
              "表、事例、実施自治体、団体別の回答状況）は省略しています。"
              "</p>\n",
              out);
    if (s->n_rates == 0 && !has_matrix(s) && s->n_frequencies == 0 &&
        s->n_listings == 0 && s->n_programs == 0 && s->completeness == NULL) {
        fputs("</header>\n", out);
        return;
    }
    fputs("<nav class=\"toc\">\n<h2>目次</h2>\n<ol>\n", out);
    toc_entry(out, s->n_rates > 0, "rates", "1-5. 実施率");
    toc_entry(out, has_matrix(s), "matrix", "2. 各自治体の事業実施状況");
    toc_entry(out, s->n_frequencies > 0, "frequencies", "集計表");
    toc_entry(out, s->n_listings > 0, "listings", "回答一覧");
    toc_entry(out, s->n_programs > 0, "programs", "実施自治体");
    toc_entry(out, s->completeness != NULL, "completeness", "回答状況");
    fputs("</ol>\n</nav>\n</header>\n", out);
}

/* ---- 1-5. rates ---------------------------------------------------------- */

/* True if some rate has a figure for type: it gets a column. */
static bool rates_have_type(const Survey__V1__Snapshot *s, const char *type)
{
    for (size_t i = 0; i < s->n_rates; i++) {
        if (sv_fig_find(s->rates[i]->figures, s->rates[i]->n_figures, type) !=
            NULL)
            return true;
    }
    return false;
}

static sv_status write_rates(FILE *out, const Survey__V1__Snapshot *s,
                             sv_error *err)
{
    if (s->n_rates == 0)
        return SV_OK;
    bar *bars = calloc(s->n_rates, sizeof *bars);
    if (bars == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    fputs("<section class=\"major\" id=\"rates\">\n<h2>1-5. 実施率</h2>\n"
          "<table class=\"rates\">\n<thead>\n<tr><th scope=\"col\">事業名</th>"
          "<th scope=\"col\" class=\"num\">実施率</th>",
          out);
    for (size_t t = 0; t < s->n_respondent_types; t++) {
        if (rates_have_type(s, s->respondent_types[t]))
            element(out, "<th scope=\"col\" class=\"num\">",
                    s->respondent_types[t], "</th>");
    }
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (size_t i = 0; i < s->n_rates; i++) {
        const Survey__V1__Rate *r = s->rates[i];
        bars[i].label = or_else(r->label, r->question);
        bars[i].fig = figure_all(r->figures, r->n_figures);
        element(out, "<tr><th scope=\"row\">", bars[i].label, "</th>");
        fputs("<td class=\"num\">", out);
        put_rate(out, bars[i].fig);
        fputs("</td>", out);
        for (size_t t = 0; t < s->n_respondent_types; t++) {
            if (!rates_have_type(s, s->respondent_types[t]))
                continue;
            fputs("<td class=\"num\">", out);
            put_rate(out, sv_fig_find(r->figures, r->n_figures,
                                      s->respondent_types[t]));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n<figure>\n", out);
    bar_chart(out, "chart-rates", "事業別の実施率（全体）", bars, s->n_rates,
              CHART_RATES_WIDTH);
    fputs("<figcaption>図 1-5. 事業別の実施率（全体、0-100%）</figcaption>\n"
          "</figure>\n</section>\n",
          out);
    free(bars);
    return SV_OK;
}

/* ---- 2. the matrix ------------------------------------------------------- */

static size_t rows_of_type(const Survey__V1__Matrix *m, const char *type)
{
    size_t n = 0;
    for (size_t r = 0; r < m->n_rows; r++)
        n += strcmp(m->rows[r]->respondent_type, type) == 0 ? 1 : 0;
    return n;
}

static void matrix_head(FILE *out, const Survey__V1__Matrix *m)
{
    fputs("<thead>\n<tr><th scope=\"col\" class=\"num\">#</th>"
          "<th scope=\"col\">自治体名</th>",
          out);
    for (size_t c = 0; c < m->n_columns; c++)
        element(out, "<th scope=\"col\">",
                or_else(m->columns[c]->label, m->columns[c]->question),
                "</th>");
    fputs("</tr>\n</thead>\n", out);
}

/* One cell: ○ × - centred, integers right-aligned with separators. */
static void matrix_cell(FILE *out, const char *cell)
{
    char buf[32];
    const char *shown = sv_fig_cell(cell, buf, sizeof buf);
    if (strcmp(cell, "○") == 0)
        fputs("<td class=\"mark yes\">○</td>", out);
    else if (strcmp(cell, "×") == 0)
        fputs("<td class=\"mark no\">×</td>", out);
    else if (strcmp(cell, "-") == 0)
        fputs("<td class=\"mark na\">-</td>", out);
    else if (shown != cell)
        element(out, "<td class=\"num\">", shown, "</td>");
    else
        element(out, "<td class=\"mark\">", cell, "</td>");
}

/* The table of one type; *number runs over all types. */
static void matrix_type(FILE *out, const Survey__V1__Matrix *m,
                        const char *type, size_t *number)
{
    element(out, "<h3>2. 各自治体の事業実施状況：", type, "");
    fprintf(out, " (%zu)</h3>\n<table class=\"matrix\">\n",
            rows_of_type(m, type));
    matrix_head(out, m);
    fputs("<tbody>\n", out);
    for (size_t r = 0; r < m->n_rows; r++) {
        const Survey__V1__MatrixRow *row = m->rows[r];
        if (strcmp(row->respondent_type, type) != 0)
            continue;
        fprintf(out, "<tr><td class=\"num\">%zu</td>", ++*number);
        element(out, "<th scope=\"row\" class=\"name\">",
                or_else(row->name, row->respondent), "</th>");
        for (size_t c = 0; c < m->n_columns; c++)
            matrix_cell(out, c < row->n_cells ? row->cells[c] : "");
        fputs("</tr>\n", out);
    }
    fputs("<tr class=\"total\"><td></td><th scope=\"row\">計</th>", out);
    for (size_t c = 0; c < m->n_columns; c++) {
        const Survey__V1__MatrixTotal *tot =
            m->columns[c]->sum
                ? sv_fig_find_total(m, m->columns[c]->question, type)
                : NULL;
        char buf[32];
        if (tot != NULL)
            fprintf(out, "<td class=\"num\">%s</td>",
                    sv_fig_thousands(tot->sum, buf, sizeof buf));
        else
            fputs("<td></td>", out);
    }
    fputs("</tr>\n</tbody>\n</table>\n", out);
}

/* The totals of summed columns per type and for all: sum (n=answered). */
static void matrix_totals(FILE *out, const Survey__V1__Matrix *m,
                          const char *const *types, size_t n_types)
{
    bool any = false;
    for (size_t c = 0; c < m->n_columns; c++)
        any = any || m->columns[c]->sum;
    if (!any)
        return;
    fputs("<h3>2. 合計</h3>\n<table class=\"totals\">\n<thead>\n"
          "<tr><th scope=\"col\">区分</th>",
          out);
    for (size_t c = 0; c < m->n_columns; c++) {
        if (m->columns[c]->sum)
            element(out, "<th scope=\"col\" class=\"num\">",
                    or_else(m->columns[c]->label, m->columns[c]->question),
                    "</th>");
    }
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (size_t k = 0; k <= n_types; k++) {
        const char *type = k < n_types ? types[k] : "all";
        element(out,
                k < n_types ? "<tr><th scope=\"row\">"
                            : "<tr class=\"total\"><th scope=\"row\">",
                sv_fig_type_name(type), "</th>");
        for (size_t c = 0; c < m->n_columns; c++) {
            if (!m->columns[c]->sum)
                continue;
            const Survey__V1__MatrixTotal *tot =
                sv_fig_find_total(m, m->columns[c]->question, type);
            char buf[32];
            if (tot != NULL)
                fprintf(out, "<td class=\"num\">%s (n=%u)</td>",
                        sv_fig_thousands(tot->sum, buf, sizeof buf),
                        (unsigned)tot->n);
            else
                fputs("<td></td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

/* In place of a part that lists respondents one by one, when the
 * snapshot leaves those out: a line that says so, never an empty list
 * that reads as "none". */
static void omitted(FILE *out)
{
    fputs("<p class=\"note\">（省略：回答団体が多いため、団体別の行は"
          "載せていません）</p>\n",
          out);
}

static sv_status write_matrix(FILE *out, const Survey__V1__Snapshot *s,
                              sv_error *err)
{
    if (!has_matrix(s))
        return SV_OK;
    const Survey__V1__Matrix *m = s->matrix;
    const char **types = NULL;
    size_t n_types = 0;
    sv_status st = sv_fig_matrix_types(s, &types, &n_types, err);
    if (st != SV_OK)
        return st;
    fputs("<section class=\"major\" id=\"matrix\">\n"
          "<h2>2. 各自治体の事業実施状況</h2>\n"
          "<ul class=\"legend\"><li>○：実施している</li>"
          "<li>×：実施していない</li><li>-：該当しない</li>"
          "<li>空欄：未回答</li></ul>\n",
          out);
    if (s->respondent_detail_omitted)
        omitted(out);
    size_t number = 0;
    for (size_t k = 0; k < n_types; k++) {
        if (rows_of_type(m, types[k]) > 0)
            matrix_type(out, m, types[k], &number);
    }
    matrix_totals(out, m, types, n_types);
    fputs("</section>\n", out);
    free(types);
    return SV_OK;
}

/* ---- frequencies --------------------------------------------------------- */

/* "n=87（都道府県 30、指定都市 12）": the answered figures. */
static void frequency_n(FILE *out, const Survey__V1__Frequency *f)
{
    const Survey__V1__Figure *all = figure_all(f->answered, f->n_answered);
    if (all == NULL)
        return;
    fprintf(out, "<p class=\"note\">n=%u", (unsigned)all->n);
    bool open = false;
    for (size_t i = 0; i < f->n_answered; i++) {
        const Survey__V1__Figure *a = f->answered[i];
        if (a == all || strcmp(a->respondent_type, "all") == 0)
            continue;
        fputs(open ? "、" : "（", out);
        open = true;
        esc(out, a->respondent_type);
        fprintf(out, " %u", (unsigned)a->n);
    }
    fputs(open ? "）</p>\n" : "</p>\n", out);
}

static sv_status write_frequency(FILE *out, const Survey__V1__Frequency *f,
                                 size_t index, sv_error *err)
{
    const char *label = or_else(f->label, f->question);
    bar *bars = calloc(f->n_options + 1, sizeof *bars);
    if (bars == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    fprintf(out, "<div class=\"freq\" id=\"freq-%zu\">\n", index + 1);
    element(out, "<h4>", label, "");
    if (f->multiple && strstr(label, "複数回答") == NULL)
        fputs(" (複数回答)", out);
    fputs("</h4>\n", out);
    frequency_n(out, f);
    fputs("<div class=\"freq-body\">\n<table class=\"frequency\">\n<thead>\n"
          "<tr><th scope=\"col\">選択肢</th>"
          "<th scope=\"col\" class=\"num\">割合 (該当数/n)</th></tr>\n"
          "</thead>\n<tbody>\n",
          out);
    for (size_t o = 0; o < f->n_options; o++) {
        const Survey__V1__OptionFigures *opt = f->options[o];
        bars[o].label = or_else(opt->label, opt->option);
        bars[o].fig = figure_all(opt->figures, opt->n_figures);
        element(out, "<tr><th scope=\"row\">", bars[o].label, "</th>");
        fputs("<td class=\"num\">", out);
        put_rate(out, bars[o].fig);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    char id[48];
    snprintf(id, sizeof id, "chart-freq-%zu", index + 1);
    bar_chart(out, id, label, bars, f->n_options, CHART_FREQ_WIDTH);
    fputs("</div>\n</div>\n", out);
    free(bars);
    return SV_OK;
}

static sv_status write_frequencies(FILE *out, const Survey__V1__Snapshot *s,
                                   sv_error *err)
{
    if (s->n_frequencies == 0)
        return SV_OK;
    fputs("<section class=\"major\" id=\"frequencies\">\n<h2>集計表</h2>\n"
          "<p class=\"note\">n は設問が該当し、かつ回答した団体の数。"
          "複数回答の設問では割合の合計が100%を超えます。</p>\n",
          out);
    sv_status st = SV_OK;
    for (size_t i = 0; i < s->n_frequencies && st == SV_OK; i++) {
        const Survey__V1__Frequency *f = s->frequencies[i];
        if (i == 0 || strcmp(f->group, s->frequencies[i - 1]->group) != 0) {
            const char *group = or_else(f->group_label, f->group);
            if (group[0] != '\0')
                element(out, "<h3>", group, "</h3>\n");
        }
        st = write_frequency(out, f, i, err);
    }
    fputs("</section>\n", out);
    return st;
}

/* ---- listings ------------------------------------------------------------ */

/* A respondent of a group of listings, and where it goes. */
typedef struct {
    const Survey__V1__ListEntry *entry; /* its first entry */
    size_t rank;                        /* roster position, or SIZE_MAX */
    size_t seen;                        /* order of first appearance */
} who;

static int who_cmp(const void *a, const void *b)
{
    const who *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->seen < y->seen ? -1 : x->seen > y->seen ? 1 : 0;
}

/* Position of respondent in roster order: the completeness list, else the
 * matrix rows. */
static size_t roster_rank(const Survey__V1__Snapshot *s, const char *id)
{
    const Survey__V1__Completeness *c = s->completeness;
    if (c != NULL && c->n_respondents > 0) {
        for (size_t i = 0; i < c->n_respondents; i++) {
            if (strcmp(c->respondents[i]->respondent, id) == 0)
                return i;
        }
        return SIZE_MAX;
    }
    for (size_t i = 0; s->matrix != NULL && i < s->matrix->n_rows; i++) {
        if (strcmp(s->matrix->rows[i]->respondent, id) == 0)
            return i;
    }
    return SIZE_MAX;
}

static const Survey__V1__ListEntry *find_entry(const Survey__V1__Listing *l,
                                               const char *id)
{
    for (size_t k = 0; k < l->n_entries; k++) {
        if (strcmp(l->entries[k]->respondent, id) == 0)
            return l->entries[k];
    }
    return NULL;
}

/* Listings [from, to) of one group as one table: a row per respondent, a
 * column per listing. */
static sv_status write_listing_group(FILE *out, const Survey__V1__Snapshot *s,
                                     size_t from, size_t to, sv_error *err)
{
    Survey__V1__Listing *const *ls = s->listings;
    size_t total = 0;
    for (size_t i = from; i < to; i++)
        total += ls[i]->n_entries;
    who *people = malloc((total + 1) * sizeof *people);
    if (people == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        for (size_t k = 0; k < ls[i]->n_entries; k++) {
            const Survey__V1__ListEntry *e = ls[i]->entries[k];
            bool known = false;
            for (size_t j = 0; j < n && !known; j++)
                known = strcmp(people[j].entry->respondent, e->respondent) == 0;
            if (known)
                continue;
            people[n].entry = e;
            people[n].rank = roster_rank(s, e->respondent);
            people[n].seen = n;
            n++;
        }
    }
    qsort(people, n, sizeof *people, who_cmp);

    const Survey__V1__Listing *first = ls[from];
    const char *group = or_else(first->group_label, first->group);
    element(out, "<h3>",
            group[0] != '\0' ? group : or_else(first->label, first->question),
            "");
    fprintf(out, " (%zu)</h3>\n", n);
    if (n == 0)
        fputs("<p>（回答なし）</p>\n", out);
    else
        fputs("<table class=\"listing\">\n<thead>\n"
              "<tr><th scope=\"col\" class=\"name\">自治体名</th>",
              out);
    for (size_t i = from; n > 0 && i < to; i++)
        element(out, "<th scope=\"col\">",
                or_else(ls[i]->label, ls[i]->question), "</th>");
    if (n > 0)
        fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (size_t p = 0; p < n; p++) {
        const char *id = people[p].entry->respondent;
        element(out, "<tr><th scope=\"row\" class=\"name\">",
                or_else(people[p].entry->name, id), "</th>");
        for (size_t i = from; i < to; i++) {
            const Survey__V1__ListEntry *e = find_entry(ls[i], id);
            fputs("<td class=\"text\">", out);
            if (e != NULL)
                esc_mode(out, e->text, true);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    if (n > 0)
        fputs("</tbody>\n</table>\n", out);
    free(people);
    return SV_OK;
}

static sv_status write_listings(FILE *out, const Survey__V1__Snapshot *s,
                                sv_error *err)
{
    if (s->n_listings == 0)
        return SV_OK;
    fputs("<section class=\"major\" id=\"listings\">\n<h2>回答一覧</h2>\n",
          out);
    if (s->respondent_detail_omitted) {
        omitted(out);
        fputs("</section>\n", out);
        return SV_OK;
    }
    sv_status st = SV_OK;
    size_t i = 0;
    while (i < s->n_listings && st == SV_OK) {
        size_t j = i + 1;
        while (j < s->n_listings && s->listings[i]->group[0] != '\0' &&
               strcmp(s->listings[j]->group, s->listings[i]->group) == 0)
            j++;
        st = write_listing_group(out, s, i, j, err);
        i = j;
    }
    fputs("</section>\n", out);
    return st;
}

/* ---- programs ------------------------------------------------------------ */

static void write_programs(FILE *out, const Survey__V1__Snapshot *s)
{
    if (s->n_programs == 0)
        return;
    fputs("<section class=\"major\" id=\"programs\">\n<h2>実施自治体</h2>\n",
          out);
    if (s->respondent_detail_omitted) {
        omitted(out);
        fputs("</section>\n", out);
        return;
    }
    for (size_t i = 0; i < s->n_programs; i++) {
        const Survey__V1__Program *p = s->programs[i];
        element(out, "<h3>", or_else(p->label, p->question), "");
        fprintf(out, " ＜実施自治体＞ (%zu)</h3>\n", p->n_respondents);
        if (p->n_respondents == 0) {
            fputs("<p>（なし）</p>\n", out);
            continue;
        }
        fputs("<ul class=\"names\">\n", out);
        for (size_t k = 0; k < p->n_respondents; k++) {
            const Survey__V1__RespondentRef *r = p->respondents[k];
            element(out, "<li>", or_else(r->name, r->respondent), "</li>\n");
        }
        fputs("</ul>\n", out);
    }
    fputs("</section>\n", out);
}

/* ---- completeness -------------------------------------------------------- */

static void completeness_figures(FILE *out, const Survey__V1__Completeness *c)
{
    fputs("<table class=\"completeness\">\n<thead>\n<tr>"
          "<th scope=\"col\">区分</th><th scope=\"col\" class=\"num\">対象</th>"
          "<th scope=\"col\" class=\"num\">完了</th>"
          "<th scope=\"col\" class=\"num\">回答途中</th>"
          "<th scope=\"col\" class=\"num\">未回答</th>"
          "<th scope=\"col\" class=\"num\">回答率</th>"
          "<th scope=\"col\" class=\"num\">完了率</th></tr>\n</thead>\n"
          "<tbody>\n",
          out);
    for (size_t i = 0; i < c->n_figures; i++) {
        const Survey__V1__CompletenessFigure *f = c->figures[i];
        char a[32], b[32];
        element(out,
                strcmp(f->respondent_type, "all") == 0
                    ? "<tr class=\"total\"><th scope=\"row\">"
                    : "<tr><th scope=\"row\">",
                sv_fig_type_name(f->respondent_type), "</th>");
        fprintf(out,
                "<td class=\"num\">%u</td><td class=\"num\">%u</td>"
                "<td class=\"num\">%u</td><td class=\"num\">%u</td>",
                (unsigned)f->expected, (unsigned)f->complete,
                (unsigned)f->incomplete, (unsigned)f->not_started);
        element(out, "<td class=\"num\">",
                sv_fig_percent(f->response_rate, a, sizeof a), "</td>");
        element(out, "<td class=\"num\">",
                sv_fig_percent(f->complete_rate, b, sizeof b), "</td></tr>\n");
    }
    fputs("</tbody>\n</table>\n", out);
}

/* The respondents in state: name, code, type (and, when incomplete, the
 * revision and the questions they miss). */
static void completeness_list(FILE *out, const Survey__V1__Snapshot *s,
                              Survey__V1__RespondentStatus__State state)
{
    const Survey__V1__Completeness *c = s->completeness;
    bool incomplete = state == SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE;
    size_t n = sv_fig_state_count(c, state, s->respondent_detail_omitted);
    fprintf(out, "<h3 id=\"%s\">%s (%zu)</h3>\n",
            incomplete ? "incomplete" : "not-started",
            incomplete ? "回答途中の団体" : "未回答の団体", n);
    if (s->respondent_detail_omitted) {
        fputs("<p class=\"note\">（一覧は省略：回答団体が多いため）</p>\n",
              out);
        return;
    }
    if (n == 0) {
        fputs("<p>（なし）</p>\n", out);
        return;
    }
    fputs("<table class=\"respondents\">\n<thead>\n<tr>"
          "<th scope=\"col\">自治体名</th><th scope=\"col\">コード</th>"
          "<th scope=\"col\">種別</th>",
          out);
    if (incomplete)
        fputs("<th scope=\"col\" class=\"num\">版</th>"
              "<th scope=\"col\">未回答の設問</th>",
              out);
    fputs("</tr>\n</thead>\n<tbody>\n", out);
    for (size_t i = 0; i < c->n_respondents; i++) {
        const Survey__V1__RespondentStatus *r = c->respondents[i];
        if (r->state != state)
            continue;
        element(out, "<tr><th scope=\"row\" class=\"name\">",
                or_else(r->name, r->respondent), "</th>");
        element(out, "<td><code>", r->respondent, "</code></td>");
        element(out, "<td>", r->respondent_type, "</td>");
        if (incomplete) {
            fprintf(out, "<td class=\"num\">%llu</td><td>",
                    (unsigned long long)r->revision);
            fputs(r->n_missing > 0 ? "<ul class=\"missing\">\n" : "", out);
            for (size_t k = 0; k < r->n_missing; k++) {
                const char *label = sv_fig_question_label(s, r->missing[k]);
                fputs("<li>", out);
                if (label != NULL && label[0] != '\0')
                    element(out, "", label, " ");
                element(out, "<code>", r->missing[k], "</code></li>\n");
            }
            fputs(r->n_missing > 0 ? "</ul></td>" : "</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void write_completeness(FILE *out, const Survey__V1__Snapshot *s)
{
    if (s->completeness == NULL)
        return;
    fputs("<section class=\"major\" id=\"completeness\">\n<h2>回答状況</h2>\n"
          "<p class=\"note\">回答率 = (完了 + 回答途中) / 対象、"
          "完了率 = 完了 / 対象。対象は名簿の団体。</p>\n",
          out);
    completeness_figures(out, s->completeness);
    completeness_list(out, s,
                      SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED);
    completeness_list(out, s, SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE);
    fputs("</section>\n", out);
}

static void write_footer(FILE *out, const Survey__V1__Snapshot *s)
{
    char digest[SV_DIGEST_SHORT + 1];
    element(out, "<footer>\n<p>", s->survey, "");
    fprintf(out, " / スナップショット版 %llu / 変更ログ %llu / ",
            (unsigned long long)s->version, (unsigned long long)s->sequence);
    element(out, "ダイジェスト <code>",
            sv_fig_digest(s->digest, SV_DIGEST_SHORT, digest, sizeof digest),
            "</code></p>\n</footer>\n</body>\n</html>\n");
}

sv_status sv_report_html(const Survey__V1__Snapshot *snap, FILE *out,
                         sv_error *err)
{
    write_head(out, snap);
    write_cover(out, snap);
    sv_status st = write_rates(out, snap, err);
    if (st == SV_OK && !ferror(out))
        st = write_matrix(out, snap, err);
    if (st == SV_OK && !ferror(out))
        st = write_frequencies(out, snap, err);
    if (st == SV_OK && !ferror(out))
        st = write_listings(out, snap, err);
    if (st != SV_OK)
        return st;
    if (!ferror(out)) {
        write_programs(out, snap);
        write_completeness(out, snap);
        write_footer(out, snap);
    }
    if (fflush(out) != 0 || ferror(out))
        return sv_fail(err, SV_ERR_IO, "writing the HTML report failed");
    return SV_OK;
}
