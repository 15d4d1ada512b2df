/* test_xlsx.c: `survey snapshot --format xlsx` and `--format csv --excel`.
 * A small snapshot built by hand is written as a workbook, which Debian's
 * python3-openpyxl reads back (check_xlsx.py asserts the cells, formats
 * and panes); the Excel CSV filter is checked byte for byte. */
#include "excel_csv.h"
#include "snapshot_csv.h"
#include "snapshot_xlsx.h"

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

#define CHECK_XLSX SV_SOURCE_DIR "/tests/check_xlsx.py"
#define PYTHON3 "/usr/bin/python3"

/* ---- the snapshot -------------------------------------------------------- */

/* 2 types, 3 respondents: 北海道 and 青森県 (都道府県), 札幌市 (指定都市). */
typedef struct {
    char *types[2];
    Survey__V1__Figure fig[16];
    Survey__V1__Figure *rate_figs[2][3];
    Survey__V1__Rate rate[2];
    Survey__V1__Rate *rates[2];
    Survey__V1__MatrixColumn col[3];
    Survey__V1__MatrixColumn *cols[3];
    char *cells[3][3];
    Survey__V1__MatrixRow row[3];
    Survey__V1__MatrixRow *rows[3];
    Survey__V1__MatrixTotal total[3];
    Survey__V1__MatrixTotal *totals[3];
    Survey__V1__Matrix matrix;
    Survey__V1__Figure *opt_figs[2][3];
    Survey__V1__OptionFigures opt[2];
    Survey__V1__OptionFigures *opts[2];
    Survey__V1__Frequency freq;
    Survey__V1__Frequency *freqs[1];
    Survey__V1__ListEntry entry[2];
    Survey__V1__ListEntry *entries[2];
    Survey__V1__Listing listing;
    Survey__V1__Listing *listings[1];
    Survey__V1__CompletenessFigure cfig[3];
    Survey__V1__CompletenessFigure *cfigs[3];
    char *missing[2];
    Survey__V1__RespondentStatus resp[3];
    Survey__V1__RespondentStatus *resps[3];
    Survey__V1__Completeness completeness;
    uint8_t digest[32];
    Survey__V1__Snapshot snap;
} fixture;

static Survey__V1__Figure *figure(fixture *fx, size_t *used, const char *type,
                                  unsigned count, unsigned n,
                                  const char *percent)
{
    Survey__V1__Figure *f = &fx->fig[(*used)++];
    assert_true(*used <= 16);
    survey__v1__figure__init(f);
    f->respondent_type = (char *)type;
    f->count = count;
    f->n = n;
    f->percent = (char *)percent;
    return f;
}

static void rates_init(fixture *fx, size_t *used)
{
    static const char *const labels[2] = {"相談支援事業", "就職支援事業"};
    /* 34/80 = 42.5% prints 43 (half up); 20/47 = 42.55 -> 43; 14/33 =
     * 42.42 -> 42. The second rate has no answers among 指定都市. */
    fx->rate_figs[0][0] = figure(fx, used, "all", 34, 80, "43");
    fx->rate_figs[0][1] = figure(fx, used, "都道府県", 20, 47, "43");
    fx->rate_figs[0][2] = figure(fx, used, "指定都市", 14, 33, "42");
    fx->rate_figs[1][0] = figure(fx, used, "all", 1, 2, "50");
    fx->rate_figs[1][1] = figure(fx, used, "都道府県", 1, 2, "50");
    fx->rate_figs[1][2] = figure(fx, used, "指定都市", 0, 0, "");
    for (size_t i = 0; i < 2; i++) {
        survey__v1__rate__init(&fx->rate[i]);
        fx->rate[i].question = i == 0 ? "consult" : "employment";
        fx->rate[i].label = (char *)labels[i];
        fx->rate[i].option = "yes";
        fx->rate[i].n_figures = 3;
        fx->rate[i].figures = fx->rate_figs[i];
        fx->rates[i] = &fx->rate[i];
    }
}

static void matrix_init(fixture *fx)
{
    static const char *const q[3] = {"holders", "consult",
                                     "supporter_outsourced"};
    static const char *const labels[3] = {
        "小慢医療受給者証保有者数", "相談支援事業", "自立支援員の外部委託"};
    static const char *const codes[3] = {"010006", "020001", "011002"};
    static const char *const names[3] = {"北海道", "青森県", "札幌市"};
    static const char *const types[3] = {"都道府県", "都道府県", "指定都市"};
    static const char *const cells[3][3] = {
        {"2203", "○", "○"}, {"585", "○", "×"}, {"2058", "×", "-"}};
    static const char *const ttypes[3] = {"都道府県", "指定都市", "all"};
    static const int64_t sums[3] = {2788, 2058, 4846};
    static const unsigned ns[3] = {2, 1, 3};
    survey__v1__matrix__init(&fx->matrix);
    for (size_t i = 0; i < 3; i++) {
        survey__v1__matrix_column__init(&fx->col[i]);
        fx->col[i].question = (char *)q[i];
        fx->col[i].label = (char *)labels[i];
        fx->col[i].sum = i == 0;
        fx->cols[i] = &fx->col[i];
        survey__v1__matrix_row__init(&fx->row[i]);
        fx->row[i].respondent = (char *)codes[i];
        fx->row[i].name = (char *)names[i];
        fx->row[i].respondent_type = (char *)types[i];
        for (size_t c = 0; c < 3; c++)
            fx->cells[i][c] = (char *)cells[i][c];
        fx->row[i].n_cells = 3;
        fx->row[i].cells = fx->cells[i];
        fx->rows[i] = &fx->row[i];
        survey__v1__matrix_total__init(&fx->total[i]);
        fx->total[i].question = "holders";
        fx->total[i].respondent_type = (char *)ttypes[i];
        fx->total[i].sum = sums[i];
        fx->total[i].n = ns[i];
        fx->totals[i] = &fx->total[i];
    }
    fx->matrix.n_columns = fx->matrix.n_rows = fx->matrix.n_totals = 3;
    fx->matrix.columns = fx->cols;
    fx->matrix.rows = fx->rows;
    fx->matrix.totals = fx->totals;
}

static void frequency_init(fixture *fx, size_t *used)
{
    fx->opt_figs[0][0] = figure(fx, used, "all", 3, 3, "100");
    fx->opt_figs[0][1] = figure(fx, used, "都道府県", 2, 2, "100");
    fx->opt_figs[0][2] = figure(fx, used, "指定都市", 1, 1, "100");
    fx->opt_figs[1][0] = figure(fx, used, "all", 2, 3, "67");
    fx->opt_figs[1][1] = figure(fx, used, "都道府県", 1, 2, "50");
    fx->opt_figs[1][2] = figure(fx, used, "指定都市", 1, 1, "100");
    for (size_t i = 0; i < 2; i++) {
        survey__v1__option_figures__init(&fx->opt[i]);
        fx->opt[i].option = i == 0 ? "window" : "phone";
        fx->opt[i].label = i == 0 ? "窓口" : "電話";
        fx->opt[i].n_figures = 3;
        fx->opt[i].figures = fx->opt_figs[i];
        fx->opts[i] = &fx->opt[i];
    }
    survey__v1__frequency__init(&fx->freq);
    fx->freq.question = "consult_channel";
    fx->freq.label = "相談受付方法（複数回答）";
    fx->freq.multiple = 1;
    fx->freq.group = "consult_detail";
    fx->freq.group_label = "相談支援事業";
    fx->freq.n_options = 2;
    fx->freq.options = fx->opts;
    fx->freqs[0] = &fx->freq;
}

static void listing_init(fixture *fx)
{
    static const char *const texts[2] = {
        "小児慢性特定疾病に精通しているため\n専門的な相談に対応できるため",
        "公募による"};
    for (size_t i = 0; i < 2; i++) {
        survey__v1__list_entry__init(&fx->entry[i]);
        fx->entry[i].respondent = i == 0 ? "010006" : "011002";
        fx->entry[i].name = i == 0 ? "北海道" : "札幌市";
        fx->entry[i].respondent_type = i == 0 ? "都道府県" : "指定都市";
        fx->entry[i].text = (char *)texts[i];
        fx->entries[i] = &fx->entry[i];
    }
    survey__v1__listing__init(&fx->listing);
    fx->listing.question = "supporter_contractor_reason";
    fx->listing.label = "委託先選定理由";
    fx->listing.group = "supporter_detail";
    fx->listing.group_label = "小児慢性特定疾病児童等自立支援員による支援";
    fx->listing.n_entries = 2;
    fx->listing.entries = fx->entries;
    fx->listings[0] = &fx->listing;
}

static void completeness_init(fixture *fx)
{
    static const char *const types[3] = {"all", "都道府県", "指定都市"};
    static const unsigned expected[3] = {3, 2, 1}, complete[3] = {1, 1, 0},
                          incomplete[3] = {1, 0, 1};
    static const char *const rrate[3] = {"67", "50", "100"};
    static const char *const crate[3] = {"33", "50", "0"};
    static const Survey__V1__RespondentStatus__State states[3] = {
        SURVEY__V1__RESPONDENT_STATUS__STATE__COMPLETE,
        SURVEY__V1__RESPONDENT_STATUS__STATE__NOT_STARTED,
        SURVEY__V1__RESPONDENT_STATUS__STATE__INCOMPLETE};
    for (size_t i = 0; i < 3; i++) {
        Survey__V1__CompletenessFigure *f = &fx->cfig[i];
        survey__v1__completeness_figure__init(f);
        f->respondent_type = (char *)types[i];
        f->expected = expected[i];
        f->complete = complete[i];
        f->incomplete = incomplete[i];
        f->not_started = expected[i] - complete[i] - incomplete[i];
        f->response_rate = (char *)rrate[i];
        f->complete_rate = (char *)crate[i];
        fx->cfigs[i] = f;
        survey__v1__respondent_status__init(&fx->resp[i]);
        fx->resp[i].respondent = fx->row[i].respondent;
        fx->resp[i].name = fx->row[i].name;
        fx->resp[i].respondent_type = fx->row[i].respondent_type;
        fx->resp[i].state = states[i];
        fx->resp[i].revision = i == 1 ? 0 : i + 1;
        fx->resps[i] = &fx->resp[i];
    }
    fx->missing[0] = "other_support_content";
    fx->missing[1] = "other_support_funding";
    fx->resp[2].n_missing = 2;
    fx->resp[2].missing = fx->missing;
    survey__v1__completeness__init(&fx->completeness);
    fx->completeness.n_figures = 3;
    fx->completeness.figures = fx->cfigs;
    fx->completeness.n_respondents = 3;
    fx->completeness.respondents = fx->resps;
}

static void fixture_init(fixture *fx)
{
    size_t used = 0;
    memset(fx, 0, sizeof *fx);
    fx->types[0] = "都道府県";
    fx->types[1] = "指定都市";
    rates_init(fx, &used);
    matrix_init(fx);
    frequency_init(fx, &used);
    listing_init(fx);
    completeness_init(fx);
    for (size_t i = 0; i < sizeof fx->digest; i++)
        fx->digest[i] = (uint8_t)(0xA0 + i);
    survey__v1__snapshot__init(&fx->snap);
    fx->snap.survey = "shoman-jiritsu-r6";
    fx->snap.version = 7;
    fx->snap.sequence = 412;
    fx->snap.questionnaire_version = "2024-10";
    fx->snap.created_ms = INT64_C(1733011200123); /* 2024-12-01 00:00:00 */
    fx->snap.digest.len = sizeof fx->digest;
    fx->snap.digest.data = fx->digest;
    fx->snap.trigger = "rerun";
    fx->snap.decimals = 0;
    fx->snap.title = "小児慢性特定疾病児童等自立支援事業 実施状況調査";
    fx->snap.n_respondent_types = 2;
    fx->snap.respondent_types = fx->types;
    fx->snap.n_rates = 2;
    fx->snap.rates = fx->rates;
    fx->snap.matrix = &fx->matrix;
    fx->snap.n_frequencies = 1;
    fx->snap.frequencies = fx->freqs;
    fx->snap.n_listings = 1;
    fx->snap.listings = fx->listings;
    fx->snap.completeness = &fx->completeness;
}

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
    char dir[64];
    char path[96];
} tmp_xlsx;

static void tmp_init(tmp_xlsx *t, const char *name)
{
    strcpy(t->dir, "/tmp/test_xlsx.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof t->path, "%s/%s", t->dir, name);
}

static void tmp_remove(tmp_xlsx *t)
{
    unlink(t->path);
    assert_int_equal(rmdir(t->dir), 0);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    buf = malloc((size_t)size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *len = (size_t)size;
    return buf;
}

/* ---- workbook ------------------------------------------------------------ */

static void test_xlsx_openpyxl(void **state)
{
    char cmd[512];
    fixture fx;
    tmp_xlsx t;
    sv_error err = {{0}};
    int rc;
    (void)state;
    fixture_init(&fx);
    tmp_init(&t, "snapshot.xlsx");
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, t.path, &err), SV_OK);
    snprintf(cmd, sizeof cmd, "%s '%s' '%s'", PYTHON3, CHECK_XLSX, t.path);
    rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 0);
    tmp_remove(&t);
}

/* The same snapshot gives the same bytes (the creation time is its own). */
static void test_xlsx_deterministic(void **state)
{
    fixture fx;
    tmp_xlsx a, b;
    sv_error err = {{0}};
    char *da, *db;
    size_t la, lb;
    (void)state;
    fixture_init(&fx);
    tmp_init(&a, "a.xlsx");
    tmp_init(&b, "b.xlsx");
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, a.path, &err), SV_OK);
    sleep(1);
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, b.path, &err), SV_OK);
    da = slurp(a.path, &la);
    db = slurp(b.path, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
    tmp_remove(&a);
    tmp_remove(&b);
}

/* A header-only snapshot (no tables, no completeness) still gives every
 * sheet; 1 decimal gives "0.0%". */
static void test_xlsx_header_only(void **state)
{
    fixture fx;
    tmp_xlsx t;
    sv_error err = {{0}};
    struct stat st;
    (void)state;
    fixture_init(&fx);
    fx.snap.n_rates = fx.snap.n_frequencies = fx.snap.n_listings = 0;
    fx.snap.matrix = NULL;
    fx.snap.completeness = NULL;
    fx.snap.decimals = 1;
    tmp_init(&t, "header.xlsx");
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, t.path, &err), SV_OK);
    assert_int_equal(stat(t.path, &st), 0);
    assert_true(st.st_size > 0);
    tmp_remove(&t);
}

static void test_xlsx_errors(void **state)
{
    fixture fx;
    tmp_xlsx t;
    sv_error err = {{0}};
    struct stat st;
    (void)state;
    fixture_init(&fx);
    tmp_init(&t, "bad.xlsx");

    /* A percent string that breaks the contract: nothing is written. */
    fx.fig[0].percent = "42.5";
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, t.path, &err), SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "1-5 実施率!B3"));
    assert_int_not_equal(stat(t.path, &st), 0);
    fx.fig[0].percent = "4x";
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, t.path, &err), SV_ERR_INVALID);
    fx.fig[0].percent = "43";

    fx.snap.decimals = 7;
    assert_int_equal(sv_snapshot_xlsx(&fx.snap, t.path, &err), SV_ERR_INVALID);
    fx.snap.decimals = 0;

    /* An unwritable path. */
    assert_int_equal(
        sv_snapshot_xlsx(&fx.snap, "/nonexistent/dir/x.xlsx", &err), SV_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/dir/x.xlsx"));
    tmp_remove(&t);
}

/* ---- Excel CSV ----------------------------------------------------------- */

/* Runs the filter over in and returns what it wrote (caller frees). */
static char *excel(const char *in, size_t len, size_t *out_len)
{
    char *buf = NULL;
    size_t size = 0;
    sv_error err = {{0}};
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    assert_int_equal(sv_excel_csv(in, len, out, &err), SV_OK);
    assert_int_equal(fclose(out), 0);
    *out_len = size;
    return buf;
}

static void expect_excel(const char *in, const char *want)
{
    size_t len;
    char *got = excel(in, strlen(in), &len);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(got, want, len);
    free(got);
}

/* Every LF has a CR before it and no CR is doubled. */
static void assert_crlf(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            assert_true(i > 0 && s[i - 1] == '\r');
        if (s[i] == '\r')
            assert_true(i + 1 < len && s[i + 1] == '\n');
    }
}

static void test_excel_csv(void **state)
{
    (void)state;
    expect_excel("", "\xEF\xBB\xBF");
    expect_excel("a,b\n1,2\n", "\xEF\xBB\xBF"
                               "a,b\r\n1,2\r\n");
    /* A line break inside a quoted field: CRLF as well. */
    expect_excel("q,\"背景\n支援\"\n", "\xEF\xBB\xBF"
                                       "q,\"背景\r\n支援\"\r\n");
    /* CRLF already there stays, inside quotes and out; mixed input. */
    expect_excel("a\r\n\"x\r\ny\"\r\nb\n", "\xEF\xBB\xBF"
                                           "a\r\n\"x\r\ny\"\r\nb\r\n");
    expect_excel("\n\n", "\xEF\xBB\xBF\r\n\r\n");
    /* No trailing line end: none added. A BOM is not doubled. */
    expect_excel("\xEF\xBB\xBF"
                 "a\nb",
                 "\xEF\xBB\xBF"
                 "a\r\nb");
}

/* The real CSV view of the fixture, with its quoted two-line text. */
static void test_excel_csv_snapshot(void **state)
{
    fixture fx;
    char *csv = NULL, *got;
    size_t csv_len = 0, len;
    FILE *f;
    (void)state;
    fixture_init(&fx);
    fx.opt[0].label = "窓口\n(来所)";
    f = open_memstream(&csv, &csv_len);
    assert_non_null(f);
    sv_snapshot_write_csv(f, &fx.snap);
    assert_int_equal(fclose(f), 0);
    assert_non_null(strstr(csv, "\"窓口\n(来所)\""));
    got = excel(csv, csv_len, &len);
    assert_memory_equal(got, "\xEF\xBB\xBF" SV_CSV_HEADER "\r\n",
                        3 + strlen(SV_CSV_HEADER) + 2);
    assert_crlf(got, len);
    assert_non_null(strstr(got, "\"窓口\r\n(来所)\""));
    free(got);
    free(csv);
}

static void test_excel_csv_write_error(void **state)
{
    sv_error err = {{0}};
    FILE *out = fopen("/dev/full", "w");
    (void)state;
    assert_non_null(out);
    assert_int_equal(sv_excel_csv("a\n", 2, out, &err), SV_ERR_IO);
    assert_non_null(strstr(err.msg, "write CSV"));
    fclose(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xlsx_openpyxl),
        cmocka_unit_test(test_xlsx_deterministic),
        cmocka_unit_test(test_xlsx_header_only),
        cmocka_unit_test(test_xlsx_errors),
        cmocka_unit_test(test_excel_csv),
        cmocka_unit_test(test_excel_csv_snapshot),
        cmocka_unit_test(test_excel_csv_write_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
