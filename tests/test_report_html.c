/* test_report_html.c: the HTML report (report_html.h).
 *
 * A small snapshot is built by hand (2 respondent types, 3 respondents, two
 * rates one of which is 34/80 = "43", a frequency whose label holds
 * <script> and &, a listing with a line break, completeness with one
 * incomplete and one not-started respondent) and rendered:
 * - as text: the key figures, escaping, no <script, no external URL, one
 *   <rect> per rate bar; a header-only snapshot; bytes that are not UTF-8;
 *   a write error (/dev/full) is reported;
 * - in a real browser: headless Chromium (/usr/bin/chromium, a required
 *   dependency: the test fails without it) dumps the DOM, which must hold
 *   the figures, and takes a screenshot, which must be a real PNG. Both,
 *   and the HTML, are kept in SV_BINARY_DIR/test_report_html/ for people
 *   to look at. */
/* nftw() */
#define _XOPEN_SOURCE 700

#include "report_html.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define CHROMIUM "/usr/bin/chromium"
#define OUT_DIR SV_BINARY_DIR "/test_report_html"
#define TYPE_PREF "都道府県"
#define TYPE_CORE "中核市"
#define EVIL_LABEL "相談対応の内容 <script>alert(\"x\")</script> & 'co'"
#define EVIL_ESCAPED                                                           \
    "相談対応の内容 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; " \
    "&amp; &#39;co&#39;"

/* ---- the hand-built snapshot --------------------------------------------- */

/* Everything the snapshot points to; it owns nothing on the heap. */
typedef struct {
    Survey__V1__Snapshot s;
    char *types[2];
    uint8_t digest[32];

    Survey__V1__Figure rate_fig[2][3];
    Survey__V1__Figure *rate_figp[2][3];
    Survey__V1__Rate rate[2];
    Survey__V1__Rate *ratep[2];

    Survey__V1__MatrixColumn col[3];
    Survey__V1__MatrixColumn *colp[3];
    char *cells[3][3];
    Survey__V1__MatrixRow row[3];
    Survey__V1__MatrixRow *rowp[3];
    Survey__V1__MatrixTotal tot[3];
    Survey__V1__MatrixTotal *totp[3];
    Survey__V1__Matrix matrix;

    Survey__V1__Figure opt_fig[3];
    Survey__V1__Figure *opt_figp[3][1];
    Survey__V1__OptionFigures opt[3];
    Survey__V1__OptionFigures *optp[3];
    Survey__V1__Figure answered[3];
    Survey__V1__Figure *answeredp[3];
    Survey__V1__Frequency freq[2];
    Survey__V1__Frequency *freqp[2];

    Survey__V1__ListEntry entry[3];
    Survey__V1__ListEntry *entryp[3];
    Survey__V1__Listing listing[2];
    Survey__V1__Listing *listingp[2];

    Survey__V1__RespondentRef ref[2];
    Survey__V1__RespondentRef *refp[2];
    Survey__V1__Program program;
    Survey__V1__Program *programp[1];

    Survey__V1__CompletenessFigure cfig[3];
    Survey__V1__CompletenessFigure *cfigp[3];
    char *missing[2];
    Survey__V1__RespondentStatus status[3];
    Survey__V1__RespondentStatus *statusp[3];
    Survey__V1__Completeness completeness;
} fixture;

static void figure(Survey__V1__Figure *f, const char *type, unsigned count,
                   unsigned n, const char *percent)
{
    survey__v1__figure__init(f);
    f->respondent_type = (char *)type;
    f->count = count;
    f->n = n;
    f->percent = (char *)percent;
}

static void build_header(fixture *fx)
{
    Survey__V1__Snapshot *s = &fx->s;
    survey__v1__snapshot__init(s);
    s->survey = "shoman-jiritsu-r6";
    s->version = 3;
    s->sequence = 42;
    s->questionnaire_version = "1";
    s->created_ms = 1732485600123; /* 2024-11-24T22:00:00.123Z */
    for (size_t i = 0; i < sizeof fx->digest; i++)
        fx->digest[i] = (uint8_t)i;
    s->digest.data = fx->digest;
    s->digest.len = sizeof fx->digest;
    s->trigger = "changes";
    s->decimals = 0;
    s->title = "小児慢性特定疾病児童等自立支援事業 実施状況調査（令和6年度）";
    fx->types[0] = TYPE_PREF;
    fx->types[1] = TYPE_CORE;
    s->respondent_types = fx->types;
    s->n_respondent_types = 2;
}

static void build_rates(fixture *fx)
{
    static const char *const q[2] = {"consult", "peer_exchange"};
    static const char *const label[2] = {"相談支援事業", "相互交流支援事業"};
    figure(&fx->rate_fig[0][0], "all", 2, 3, "67");
    figure(&fx->rate_fig[0][1], TYPE_PREF, 2, 2, "100");
    figure(&fx->rate_fig[0][2], TYPE_CORE, 0, 1, "0");
    figure(&fx->rate_fig[1][0], "all", 34, 80, "43"); /* 42.5 half up */
    figure(&fx->rate_fig[1][1], TYPE_PREF, 30, 60, "50");
    figure(&fx->rate_fig[1][2], TYPE_CORE, 4, 20, "20");
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 3; k++)
            fx->rate_figp[i][k] = &fx->rate_fig[i][k];
        survey__v1__rate__init(&fx->rate[i]);
        fx->rate[i].question = (char *)q[i];
        fx->rate[i].label = (char *)label[i];
        fx->rate[i].option = "yes";
        fx->rate[i].figures = fx->rate_figp[i];
        fx->rate[i].n_figures = 3;
        fx->ratep[i] = &fx->rate[i];
    }
    fx->s.rates = fx->ratep;
    fx->s.n_rates = 2;
}

static void build_matrix(fixture *fx)
{
    static const char *const q[3] = {"holders", "consult",
                                     "supporter_outsourced"};
    static const char *const label[3] = {"受給者証保有者数", "相談支援事業",
                                         "自立支援員の外部委託"};
    static const char *const id[3] = {"010006", "020001", "092011"};
    static const char *const name[3] = {"北海道", "青森県", "宇都宮市"};
    static const char *const type[3] = {TYPE_PREF, TYPE_PREF, TYPE_CORE};
    static const char *const cells[3][3] = {
        {"2203", "○", "○"}, {"585", "○", "×"}, {"555", "×", "-"}};
    static const char *const tot_type[3] = {TYPE_PREF, TYPE_CORE, "all"};
    static const int64_t tot_sum[3] = {2788, 555, 3343};
    static const uint32_t tot_n[3] = {2, 1, 3};
    for (size_t c = 0; c < 3; c++) {
        survey__v1__matrix_column__init(&fx->col[c]);
        fx->col[c].question = (char *)q[c];
        fx->col[c].label = (char *)label[c];
        fx->col[c].sum = c == 0;
        fx->colp[c] = &fx->col[c];
    }
    for (size_t r = 0; r < 3; r++) {
        survey__v1__matrix_row__init(&fx->row[r]);
        fx->row[r].respondent = (char *)id[r];
        fx->row[r].name = (char *)name[r];
        fx->row[r].respondent_type = (char *)type[r];
        for (size_t c = 0; c < 3; c++)
            fx->cells[r][c] = (char *)cells[r][c];
        fx->row[r].cells = fx->cells[r];
        fx->row[r].n_cells = 3;
        fx->rowp[r] = &fx->row[r];
        survey__v1__matrix_total__init(&fx->tot[r]);
        fx->tot[r].question = "holders";
        fx->tot[r].respondent_type = (char *)tot_type[r];
        fx->tot[r].sum = tot_sum[r];
        fx->tot[r].n = tot_n[r];
        fx->totp[r] = &fx->tot[r];
    }
    survey__v1__matrix__init(&fx->matrix);
    fx->matrix.columns = fx->colp;
    fx->matrix.n_columns = 3;
    fx->matrix.rows = fx->rowp;
    fx->matrix.n_rows = 3;
    fx->matrix.totals = fx->totp;
    fx->matrix.n_totals = 3;
    fx->s.matrix = &fx->matrix;
}

static void build_frequencies(fixture *fx)
{
    static const char *const option[3] = {"guidance", "visiting", "office"};
    static const char *const label[3] = {"療育相談指導", "巡回相談指導",
                                         "本庁"};
    figure(&fx->opt_fig[0], "all", 2, 2, "100");
    figure(&fx->opt_fig[1], "all", 1, 2, "50");
    figure(&fx->opt_fig[2], "all", 0, 0, ""); /* n = 0: no percentage */
    for (size_t o = 0; o < 3; o++) {
        fx->opt_figp[o][0] = &fx->opt_fig[o];
        survey__v1__option_figures__init(&fx->opt[o]);
        fx->opt[o].option = (char *)option[o];
        fx->opt[o].label = (char *)label[o];
        fx->opt[o].figures = fx->opt_figp[o];
        fx->opt[o].n_figures = 1;
        fx->optp[o] = &fx->opt[o];
    }
    figure(&fx->answered[0], "all", 2, 2, "");
    figure(&fx->answered[1], TYPE_PREF, 2, 2, "");
    figure(&fx->answered[2], "all", 0, 0, "");
    for (size_t i = 0; i < 3; i++)
        fx->answeredp[i] = &fx->answered[i];
    for (size_t i = 0; i < 2; i++) {
        survey__v1__frequency__init(&fx->freq[i]);
        fx->freq[i].group = "consult_detail";
        fx->freq[i].group_label = "相談支援事業";
        fx->freqp[i] = &fx->freq[i];
    }
    fx->freq[0].question = "consult_content";
    fx->freq[0].label = EVIL_LABEL;
    fx->freq[0].multiple = 1;
    fx->freq[0].options = fx->optp;
    fx->freq[0].n_options = 2;
    fx->freq[0].answered = fx->answeredp;
    fx->freq[0].n_answered = 2;
    fx->freq[1].question = "consult_window";
    fx->freq[1].label = "相談窓口設置場所";
    fx->freq[1].options = fx->optp + 2;
    fx->freq[1].n_options = 1;
    fx->freq[1].answered = fx->answeredp + 2;
    fx->freq[1].n_answered = 1;
    fx->s.frequencies = fx->freqp;
    fx->s.n_frequencies = 2;
}

static void build_listings(fixture *fx)
{
    static const char *const id[3] = {"010006", "010006", "020001"};
    static const char *const name[3] = {"北海道", "北海道", "青森県"};
    static const char *const text[3] = {
        "一般財団法人北海道難病連\r\n（第二行） <b>太字</b>",
        "病気の知識に精通しているため", "公募による"};
    for (size_t i = 0; i < 3; i++) {
        survey__v1__list_entry__init(&fx->entry[i]);
        fx->entry[i].respondent = (char *)id[i];
        fx->entry[i].name = (char *)name[i];
        fx->entry[i].respondent_type = TYPE_PREF;
        fx->entry[i].text = (char *)text[i];
        fx->entryp[i] = &fx->entry[i];
    }
    for (size_t i = 0; i < 2; i++) {
        survey__v1__listing__init(&fx->listing[i]);
        fx->listing[i].group = "supporter_detail";
        fx->listing[i].group_label =
            "小児慢性特定疾病児童等自立支援員による支援";
        fx->listingp[i] = &fx->listing[i];
    }
    /* listed in the order 青森県, 北海道: the report follows the roster */
    fx->listing[0].question = "supporter_contractor_reason";
    fx->listing[0].label = "委託先選定理由";
    fx->listing[0].entries = fx->entryp + 1;
    fx->listing[0].n_entries = 2;
    fx->entryp[1] = &fx->entry[2];
    fx->entryp[2] = &fx->entry[1];
    fx->listing[1].question = "supporter_contractor";
    fx->listing[1].label = "外部委託先";
    fx->listing[1].entries = fx->entryp;
    fx->listing[1].n_entries = 1;
    fx->s.listings = fx->listingp;
    fx->s.n_listings = 2;
}

static void build_programs(fixture *fx)
{
    static const char *const id[2] = {"010006", "020001"};
    static const char *const name[2] = {"北海道", "青森県"};
    for (size_t i = 0; i < 2; i++) {
        survey__v1__respondent_ref__init(&fx->ref[i]);
        fx->ref[i].respondent = (char *)id[i];
        fx->ref[i].name = (char *)name[i];
        fx->ref[i].respondent_type = TYPE_PREF;
        fx->refp[i] = &fx->ref[i];
    }
    survey__v1__program__init(&fx->program);
    fx->program.question = "consult";
    fx->program.label = "相談支援事業";
    fx->program.option = "yes";
    fx->program.respondents = fx->refp;
    fx->program.n_respondents = 2;
    fx->programp[0] = &fx->program;
    fx->s.programs = fx->programp;
    fx->s.n_programs = 1;
}

static void build_completeness(fixture *fx)
{
    static const char *const type[3] = {"all", TYPE_PREF, TYPE_CORE};
    static const uint32_t v[3][4] = {{3, 1, 1, 1}, {2, 1, 1, 0}, {1, 0, 0, 1}};
    static const char *const rate[3][2] = {
        {"67", "33"}, {"100", "50"}, {"0", "0"}};
    static const char *const id[3] = {"010006", "020001", "092011"};
    static const char *const name[3] = {"北海道", "青森県", "宇都宮市"};
    static const Survey__V1__RespondentStatus__State state[3] = {
        SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE,
        SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE,
        SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED};
    for (size_t i = 0; i < 3; i++) {
        Survey__V1__CompletenessFigure *f = &fx->cfig[i];
        survey__v1__completeness_figure__init(f);
        f->respondent_type = (char *)type[i];
        f->expected = v[i][0];
        f->complete = v[i][1];
        f->incomplete = v[i][2];
        f->not_started = v[i][3];
        f->response_rate = (char *)rate[i][0];
        f->complete_rate = (char *)rate[i][1];
        fx->cfigp[i] = f;
        Survey__V1__RespondentStatus *r = &fx->status[i];
        survey__v1__respondent_status__init(r);
        r->respondent = (char *)id[i];
        r->name = (char *)name[i];
        r->respondent_type = i < 2 ? TYPE_PREF : TYPE_CORE;
        r->state = state[i];
        r->revision = i == 2 ? 0 : 2 - i;
        fx->statusp[i] = r;
    }
    fx->missing[0] = "supporter_contractor";
    fx->missing[1] = "consult_channel";
    fx->status[1].missing = fx->missing;
    fx->status[1].n_missing = 2;
    survey__v1__completeness__init(&fx->completeness);
    fx->completeness.figures = fx->cfigp;
    fx->completeness.n_figures = 3;
    fx->completeness.respondents = fx->statusp;
    fx->completeness.n_respondents = 3;
    fx->s.completeness = &fx->completeness;
}

static void build(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    build_header(fx);
    build_rates(fx);
    build_matrix(fx);
    build_frequencies(fx);
    build_listings(fx);
    build_programs(fx);
    build_completeness(fx);
}

/* ---- helpers --------------------------------------------------------------
 */

/* Renders s into a NUL-terminated malloc'd string; asserts success. */
static char *render(const Survey__V1__Snapshot *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    sv_error err = {""};
    sv_status st = sv_report_html(s, f, &err);
    assert_int_equal(fclose(f), 0);
    if (st != SV_OK)
        fail_msg("sv_report_html: %s", err.msg);
    return buf;
}

static void assert_has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL)
        fail_msg("missing from the report: %s", needle);
}

static void assert_lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle) != NULL)
        fail_msg("must not be in the report: %s", needle);
}

static size_t count(const char *hay, const char *end, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p != NULL && p < end;
         p = strstr(p + len, needle))
        n++;
    return n;
}

/* hay with ASCII letters lowered (malloc'd). */
static char *lowered(const char *hay)
{
    char *low = strdup(hay);
    assert_non_null(low);
    for (char *p = low; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    }
    return low;
}

/* No script, no external reference of any kind. */
static void assert_self_contained(const char *html)
{
    char *low = lowered(html);
    assert_lacks(low, "<script");
    assert_lacks(low, "http://");
    assert_lacks(low, "https://");
    assert_lacks(low, "@import");
    assert_lacks(low, "<link");
    assert_lacks(low, "<iframe");
    for (const char *p = strstr(low, "src="); p != NULL;
         p = strstr(p + 4, "src=")) {
        const char *v = p + 4;
        if (*v == '"' || *v == '\'')
            v++;
        if (strncmp(v, "data:", 5) != 0)
            fail_msg("src= to something else than data: %.40s", p);
    }
    for (const char *p = strstr(low, "url("); p != NULL;
         p = strstr(p + 4, "url(")) {
        if (strncmp(p + 4, "data:", 5) != 0 && strncmp(p + 4, "\"data:", 6))
            fail_msg("url() to something else than data: %.40s", p);
    }
    free(low);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t size = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > size) {
            size = size * 2 + 8192;
            char *grown = realloc(buf, size);
            assert_non_null(grown);
            buf = grown;
        }
        size_t got = fread(buf + n, 1, size - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* ---- the report as text ---------------------------------------------------
 */

static void test_figures(void **state)
{
    (void)state;
    fixture fx;
    build(&fx);
    char *html = render(&fx.s);
    assert_true(strncmp(html, "<!DOCTYPE html>\n<html lang=\"ja\">", 31) == 0);
    assert_has(html, "<meta charset=\"utf-8\">");
    /* title block */
    assert_has(html, "<h1>小児慢性特定疾病児童等自立支援事業 "
                     "実施状況調査（令和6年度）</h1>");
    assert_has(html, "<code>shoman-jiritsu-r6</code>");
    assert_has(html, "<th scope=\"row\">スナップショット版</th><td>3</td>");
    assert_has(html, "<td>42</td>");
    assert_has(html, "2024-11-24T22:00:00.123Z");
    assert_has(html, "000102030405060708090a0b0c0d0e0f"
                     "101112131415161718191a1b1c1d1e1f");
    /* 1-5: the server's percentages, as given, with count/n */
    assert_has(html, "<th scope=\"row\">相談支援事業</th>"
                     "<td class=\"num\">67% (2/3)</td>"
                     "<td class=\"num\">100% (2/2)</td>"
                     "<td class=\"num\">0% (0/1)</td>");
    assert_has(html, "<td class=\"num\">43% (34/80)</td>");
    assert_lacks(html, "42%");
    /* 2: per type, running numbers, thousands separators, totals */
    assert_has(html, "2. 各自治体の事業実施状況：都道府県 (2)</h3>");
    assert_has(html, "2. 各自治体の事業実施状況：中核市 (1)</h3>");
    assert_has(html, "○：実施している");
    assert_has(html, "×：実施していない");
    assert_has(html, "-：該当しない");
    assert_has(html, "<tr><td class=\"num\">1</td><th scope=\"row\" "
                     "class=\"name\">北海道</th><td class=\"num\">2,203</td>"
                     "<td class=\"mark yes\">○</td>"
                     "<td class=\"mark yes\">○</td></tr>");
    assert_has(html, "<tr><td class=\"num\">3</td><th scope=\"row\" "
                     "class=\"name\">宇都宮市</th><td class=\"num\">555</td>"
                     "<td class=\"mark no\">×</td>"
                     "<td class=\"mark na\">-</td></tr>");
    assert_has(html, "<th scope=\"row\">計</th><td class=\"num\">2,788</td>");
    assert_has(html, "<td class=\"num\">3,343 (n=3)</td>");
    /* frequencies: group, (複数回答), n, a row per option, n = 0 */
    assert_has(html, "<h3>相談支援事業</h3>");
    assert_has(html, "<h4>" EVIL_ESCAPED " (複数回答)</h4>");
    assert_has(html, "n=2（都道府県 2）");
    assert_has(html, "<th scope=\"row\">巡回相談指導</th>"
                     "<td class=\"num\">50% (1/2)</td>");
    assert_has(html, "<th scope=\"row\">本庁</th>"
                     "<td class=\"num\">- (0/0)</td>");
    assert_has(html, "<h4>相談窓口設置場所</h4>");
    /* listings: one table per group, roster order, line breaks kept */
    assert_has(html, "<h3>小児慢性特定疾病児童等自立支援員による支援 (2)</h3>");
    assert_has(html, "<th scope=\"col\">委託先選定理由</th>"
                     "<th scope=\"col\">外部委託先</th>");
    assert_has(html, "一般財団法人北海道難病連<br>\n"
                     "（第二行） &lt;b&gt;太字&lt;/b&gt;");
    const char *hokkaido = strstr(html, "class=\"name\">北海道</th><td "
                                        "class=\"text\">病気の");
    const char *aomori = strstr(html, "class=\"name\">青森県</th><td "
                                      "class=\"text\">公募による</td>"
                                      "<td class=\"text\"></td>");
    assert_non_null(hokkaido);
    assert_non_null(aomori);
    assert_true(hokkaido < aomori);
    /* programs */
    assert_has(html, "<h3>相談支援事業 ＜実施自治体＞ (2)</h3>");
    assert_has(html, "<li>北海道</li>\n<li>青森県</li>");
    /* completeness */
    assert_has(html, "<tr class=\"total\"><th scope=\"row\">全体</th>"
                     "<td class=\"num\">3</td><td class=\"num\">1</td>"
                     "<td class=\"num\">1</td><td class=\"num\">1</td>"
                     "<td class=\"num\">67%</td><td class=\"num\">33%</td>");
    assert_has(html, "未回答の団体 (1)</h3>");
    assert_has(html, "<th scope=\"row\" class=\"name\">宇都宮市</th>"
                     "<td><code>092011</code></td>");
    assert_has(html, "回答途中の団体 (1)</h3>");
    assert_has(html, "<li>外部委託先 <code>supporter_contractor</code></li>");
    assert_has(html, "<li><code>consult_channel</code></li>");
    free(html);
}

static void test_escaping_and_self_contained(void **state)
{
    (void)state;
    fixture fx;
    build(&fx);
    char *html = render(&fx.s);
    assert_self_contained(html);
    assert_lacks(html, "<b>");
    assert_lacks(html, "\r");
    assert_has(html, "<title id=\"chart-freq-1-title\">" EVIL_ESCAPED);
    /* the label is escaped everywhere it appears: heading, chart title,
     * and nowhere raw */
    assert_int_equal(count(html, html + strlen(html), EVIL_ESCAPED), 2);
    assert_lacks(html, "alert(\"x\")");
    assert_lacks(html, "'co'");
    free(html);
}

static void test_svg_bars(void **state)
{
    (void)state;
    fixture fx;
    build(&fx);
    char *html = render(&fx.s);
    const char *svg = strstr(html, "<svg class=\"chart\" id=\"chart-rates\"");
    assert_non_null(svg);
    const char *end = strstr(svg, "</svg>");
    assert_non_null(end);
    /* one bar per rate, with label and value; 67% and 43% of a 612 px scale */
    assert_int_equal(count(svg, end, "<rect"), fx.s.n_rates);
    assert_int_equal(count(svg, end, "<text class=\"label\""), fx.s.n_rates);
    assert_int_equal(count(svg, end, "<text class=\"value\""), fx.s.n_rates);
    assert_true(count(svg, end, ">67% (2/3)</text>") == 1);
    assert_true(count(svg, end, ">43% (34/80)</text>") == 1);
    assert_true(count(svg, end, "width=\"263\"") == 1);
    assert_true(count(svg, end, "width=\"410\"") == 1);
    assert_true(count(svg, end, ">100%</text>") == 1);
    /* one chart per frequency, one bar per option; the empty bar */
    assert_int_equal(count(html, html + strlen(html), "<svg"), 3);
    assert_int_equal(count(html, html + strlen(html), "<rect"), 2 + 2 + 1);
    const char *f2 = strstr(html, "id=\"chart-freq-2\"");
    assert_non_null(f2);
    assert_non_null(strstr(f2, "width=\"0\" height=\"16\""));
    /* inline SVG in HTML needs no namespace URL */
    assert_lacks(html, "xmlns");
    free(html);
}

static void test_header_only(void **state)
{
    (void)state;
    fixture fx;
    memset(&fx, 0, sizeof fx);
    build_header(&fx);
    char *html = render(&fx.s);
    assert_has(html, "<h1>小児慢性特定疾病児童等自立支援事業");
    assert_lacks(html, "<section");
    assert_lacks(html, "<svg");
    assert_has(html, "</html>\n");
    assert_self_contained(html);
    free(html);
}

/* Above the respondent-detail limit the per-respondent parts say they
 * are left out, never "（なし）", and the completeness lists count from
 * the figures. */
static void test_detail_omitted(void **state)
{
    (void)state;
    fixture fx;
    build(&fx);
    fx.s.respondent_detail_omitted = 1;
    char *html = render(&fx.s);
    assert_has(html, "団体別の行（実施状況の表、事例、実施自治体、団体別の"
                     "回答状況）は省略しています");
    assert_has(html, "<h2>実施自治体</h2>\n<p class=\"note\">（省略：回答"
                     "団体が多いため、団体別の行は載せていません）</p>\n"
                     "</section>");
    assert_has(html, "<h2>回答一覧</h2>\n<p class=\"note\">（省略：回答"
                     "団体が多いため、団体別の行は載せていません）</p>\n"
                     "</section>");
    assert_has(html, "（一覧は省略：回答団体が多いため）");
    assert_lacks(html, "（なし）");
    assert_lacks(html, "＜実施自治体＞");
    free(html);
}

static void test_bad_bytes(void **state)
{
    (void)state;
    fixture fx;
    memset(&fx, 0, sizeof fx);
    build_header(&fx);
    fx.s.title = "A\x01"
                 "B\xff"
                 "C\xe3\x81"
                 "D\t";
    char *html = render(&fx.s);
    assert_has(html, "<h1>AB\xEF\xBF\xBD"
                     "C\xEF\xBF\xBD\xEF\xBF\xBD"
                     "D\t</h1>");
    free(html);
}

static void test_write_error(void **state)
{
    (void)state;
    fixture fx;
    build(&fx);
    FILE *f = fopen("/dev/full", "w");
    assert_non_null(f);
    sv_error err = {""};
    assert_int_equal(sv_report_html(&fx.s, f, &err), SV_ERR_IO);
    assert_true(err.msg[0] != '\0');
    fclose(f);
}

/* ---- in a real browser ----------------------------------------------------
 */

/* Runs CHROMIUM headless with one more argument (and the url), stdout to
 * out_path (or /dev/null), stderr to /dev/null, under `timeout 60`.
 * Returns the exit status, -1 if it did not exit. */
static int chromium(const char *profile, const char *arg, const char *url,
                    const char *out_path)
{
    char user_data[4200];
    snprintf(user_data, sizeof user_data, "--user-data-dir=%s", profile);
    const char *argv[] = {"timeout",
                          "-k",
                          "5",
                          "60",
                          CHROMIUM,
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-quic",
                          "--no-first-run",
                          "--disable-background-networking",
                          "--disable-component-update",
                          "--disable-sync",
                          "--hide-scrollbars",
                          user_data,
                          arg,
                          "--window-size=1200,2000",
                          url,
                          NULL};
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(out_path != NULL ? out_path : "/dev/null",
                       O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_RDWR);
        if (out < 0 || null < 0 || dup2(out, 1) < 0 || dup2(null, 2) < 0 ||
            dup2(null, 0) < 0)
            _exit(126);
        execvp("timeout", (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void test_chromium(void **state)
{
    (void)state;
    if (access(CHROMIUM, X_OK) != 0)
        fail_msg(CHROMIUM " is missing: install it (tools/deps.sh)");
    if (mkdir(OUT_DIR, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir " OUT_DIR ": %s", strerror(errno));
    const char *html_path = OUT_DIR "/report.html";
    const char *dom_path = OUT_DIR "/dom.html";
    const char *png_path = OUT_DIR "/report.png";
    fixture fx;
    build(&fx);
    FILE *f = fopen(html_path, "w");
    assert_non_null(f);
    sv_error err = {""};
    assert_int_equal(sv_report_html(&fx.s, f, &err), SV_OK);
    assert_int_equal(fclose(f), 0);
    remove(png_path);

    char profile[] = "/tmp/sv-chromium-XXXXXX";
    assert_non_null(mkdtemp(profile));
    const char *url = "file://" OUT_DIR "/report.html";
    int dump = chromium(profile, "--dump-dom", url, dom_path);
    int shot =
        chromium(profile, "--screenshot=" OUT_DIR "/report.png", url, NULL);
    nftw(profile, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    assert_int_equal(dump, 0);
    assert_int_equal(shot, 0);

    /* the DOM the browser built: our figures, our text, no script */
    char *dom = slurp(dom_path, NULL);
    assert_has(dom, "<html lang=\"ja\">");
    assert_has(dom, "43% (34/80)");
    assert_has(dom, "67% (2/3)");
    assert_has(dom, "2,203");
    assert_has(dom, "北海道");
    assert_has(dom, "宇都宮市");
    assert_has(dom, "&lt;script&gt;");
    assert_has(dom, "<td class=\"num\">3</td><td class=\"num\">1</td>"
                    "<td class=\"num\">1</td><td class=\"num\">1</td>");
    assert_has(dom, "未回答の団体 (1)");
    assert_has(dom, "<rect class=\"bar\"");
    char *low = lowered(dom);
    assert_lacks(low, "<script");
    free(low);
    free(dom);

    /* the screenshot: a PNG of some substance */
    size_t len = 0;
    char *png = slurp(png_path, &len);
    assert_true(len > 20000);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_figures),
        cmocka_unit_test(test_escaping_and_self_contained),
        cmocka_unit_test(test_svg_bars),
        cmocka_unit_test(test_header_only),
        cmocka_unit_test(test_detail_omitted),
        cmocka_unit_test(test_bad_bytes),
        cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_chromium),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
