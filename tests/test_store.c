/* test_store.c: tests of the LMDB storage layer (storage/store.h) on real
 * LMDB environments, each in a private mkdtemp directory. */
#include "revision_codec.h"
#include "zstd_record.h"

#include <sodium.h>
#include "store.h"

#include <lmdb.h>

#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define SURVEY "shoman-jiritsu-r6"
#define JAPANESE "自立支援員と相談窓口を設置（令和6年度）"

/* Fails the test with the error detail when expr does not return want.
 * Needs an `sv_error err` in scope. */
#define assert_status(expr, want)                                              \
    do {                                                                       \
        sv_status st_ = (expr);                                                \
        if (st_ != (want))                                                     \
            fail_msg("%s: got '%s', want '%s' (%s)", #expr,                    \
                     sv_status_str(st_), sv_status_str(want), err.msg);        \
    } while (0)

typedef struct {
    char root[64]; /* mkdtemp directory, removed at teardown */
    char dir[96];  /* root/db: the store (created by sv_store_open) */
} fixture;

/* A submission with one answer of every kind, all storage in the struct. */
typedef struct {
    Survey__V1__Submission sub;
    Survey__V1__Answer answers[4];
    Survey__V1__Answer *ptrs[4];
    Survey__V1__Choices choices;
    char *options[3];
} test_sub;

/* ---- helpers ---------------------------------------------------------- */

static void remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char child[512];

    if (lstat(path, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        assert_int_equal(unlink(path), 0);
        return;
    }
    d = opendir(path);
    assert_non_null(d);
    for (e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        remove_tree(child);
    }
    closedir(d);
    assert_int_equal(rmdir(path), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);

    if (f == NULL)
        return -1;
    strcpy(f->root, "/tmp/test_store.XXXXXX");
    if (mkdtemp(f->root) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "%s/db", f->root);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    remove_tree(f->root);
    free(f);
    return 0;
}

static void make_sub(test_sub *t, const char *respondent, const char *id,
                     uint64_t base, const char *text)
{
    static const Survey__V1__Submission sub0 = SURVEY__V1__SUBMISSION__INIT;
    static const Survey__V1__Answer answer0 = SURVEY__V1__ANSWER__INIT;
    static const Survey__V1__Choices choices0 = SURVEY__V1__CHOICES__INIT;

    t->sub = sub0;
    t->choices = choices0;
    for (int i = 0; i < 4; i++) {
        t->answers[i] = answer0;
        t->ptrs[i] = &t->answers[i];
    }
    t->sub.survey = SURVEY;
    t->sub.respondent = (char *)respondent;
    t->sub.submission_id = (char *)id;
    t->sub.base_revision = base;
    t->sub.note = base == 0 ? "" : "correction";
    t->sub.n_answers = 4;
    t->sub.answers = t->ptrs;

    t->answers[0].question = "has_supporter";
    t->answers[0].value_case = SURVEY__V1__ANSWER__VALUE_CHOICE;
    t->answers[0].choice = "yes";

    t->options[0] = "window";
    t->options[1] = "phone";
    t->options[2] = "mail";
    t->choices.n_options = 3;
    t->choices.options = t->options;
    t->answers[1].question = "consult_method";
    t->answers[1].value_case = SURVEY__V1__ANSWER__VALUE_CHOICES;
    t->answers[1].choices = &t->choices;

    t->answers[2].question = "recipients";
    t->answers[2].value_case = SURVEY__V1__ANSWER__VALUE_INTEGER;
    t->answers[2].integer = -(int64_t)base - 1234567890123LL;

    t->answers[3].question = "case_detail";
    t->answers[3].value_case = SURVEY__V1__ANSWER__VALUE_TEXT;
    t->answers[3].text = (char *)text;
}

static sv_put make_put(const test_sub *t, const char *submitter,
                       int64_t time_ms, const char *const *missing,
                       size_t n_missing)
{
    sv_put p = {.sub = &t->sub,
                .submitter = submitter,
                .time_ms = time_ms,
                .missing = missing,
                .n_missing = n_missing};
    return p;
}

static sv_store *open_store(const char *dir, size_t map_size, bool ro)
{
    sv_store_options opt = {.map_size = map_size, .read_only = ro};
    sv_store *s = NULL;
    sv_error err = {{0}};

    assert_status(sv_store_open(&s, dir, &opt, &err), SV_OK);
    assert_non_null(s);
    return s;
}

/* Stores one submission in a batch of its own; returns its result. */
static sv_put_result store_one(sv_store *s, const sv_put *p)
{
    sv_batch *b = NULL;
    sv_put_result res;
    sv_error err = {{0}};

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    assert_status(sv_batch_put(b, p, &res, &err), SV_OK);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_null(b);
    return res;
}

static uint64_t last_seq(sv_store *s)
{
    uint64_t seq = 99999;
    sv_error err = {{0}};

    assert_status(sv_store_last_sequence(s, &seq, &err), SV_OK);
    return seq;
}

static size_t history_len(sv_store *s, const char *respondent)
{
    Survey__V1__Revision **revs = NULL;
    size_t n = 0;
    sv_error err = {{0}};
    sv_status st = sv_store_history(s, SURVEY, respondent, &revs, &n, &err);

    if (st == SV_ERR_NOT_FOUND)
        return 0;
    assert_status(st, SV_OK);
    sv_store_free_revisions(revs, n);
    return n;
}

static void assert_answers(const Survey__V1__Revision *rev, const test_sub *t)
{
    assert_int_equal(rev->n_answers, 4);
    assert_string_equal(rev->answers[0]->question, "has_supporter");
    assert_int_equal(rev->answers[0]->value_case,
                     SURVEY__V1__ANSWER__VALUE_CHOICE);
    assert_string_equal(rev->answers[0]->choice, "yes");
    assert_string_equal(rev->answers[1]->question, "consult_method");
    assert_int_equal(rev->answers[1]->value_case,
                     SURVEY__V1__ANSWER__VALUE_CHOICES);
    assert_int_equal(rev->answers[1]->choices->n_options, 3);
    assert_string_equal(rev->answers[1]->choices->options[0], "window");
    assert_string_equal(rev->answers[1]->choices->options[1], "phone");
    assert_string_equal(rev->answers[1]->choices->options[2], "mail");
    assert_int_equal(rev->answers[2]->value_case,
                     SURVEY__V1__ANSWER__VALUE_INTEGER);
    assert_true(rev->answers[2]->integer == t->answers[2].integer);
    assert_int_equal(rev->answers[3]->value_case,
                     SURVEY__V1__ANSWER__VALUE_TEXT);
    assert_string_equal(rev->answers[3]->text, t->answers[3].text);
}

/* ---- round trip ------------------------------------------------------- */

static void test_round_trip(void **state)
{
    fixture *f = *state;
    static const char *const missing[] = {"q_budget", "q_staff"};
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    Survey__V1__Revision **revs = NULL;
    size_t n = 0;
    sv_error err = {{0}};
    test_sub t;
    sv_put p;
    sv_put_result res;

    make_sub(&t, "011002", "id-1", 0, JAPANESE);
    t.sub.note = "初回回答";
    p = make_put(&t, "pref-hokkaido", 1700000000123LL, missing, 2);
    res = store_one(s, &p);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 1);
    assert_false(res.duplicate);
    assert_int_equal(res.n_missing, 2);
    assert_string_equal(res.missing[0], "q_budget");
    assert_string_equal(res.missing[1], "q_staff");
    sv_put_result_clear(&res);
    assert_null(res.missing);
    assert_int_equal(res.n_missing, 0);

    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 1);
    assert_int_equal(rev->sequence, 1);
    assert_true(rev->time_ms == 1700000000123LL);
    assert_string_equal(rev->submitter, "pref-hokkaido");
    assert_string_equal(rev->note, "初回回答");
    assert_string_equal(rev->submission_id, "id-1");
    assert_int_equal(rev->base_revision, 0);
    assert_int_equal(rev->n_missing, 2);
    assert_string_equal(rev->missing[1], "q_staff");
    assert_answers(rev, &t);
    survey__v1__revision__free_unpacked(rev, NULL);

    assert_status(sv_store_revision(s, SURVEY, "011002", 1, &rev, &err), SV_OK);
    assert_string_equal(rev->submission_id, "id-1");
    assert_answers(rev, &t);
    survey__v1__revision__free_unpacked(rev, NULL);

    assert_status(sv_store_history(s, SURVEY, "011002", &revs, &n, &err),
                  SV_OK);
    assert_int_equal(n, 1);
    assert_answers(revs[0], &t);
    sv_store_free_revisions(revs, n);

    assert_status(sv_store_revision(s, SURVEY, "011002", 2, &rev, &err),
                  SV_ERR_NOT_FOUND);
    assert_null(rev);
    assert_status(sv_store_revision(s, SURVEY, "011002", 0, &rev, &err),
                  SV_ERR_NOT_FOUND);
    assert_status(sv_store_current(s, SURVEY, "012025", &rev, &err),
                  SV_ERR_NOT_FOUND);
    assert_non_null(strstr(err.msg, "012025"));
    assert_status(sv_store_current(s, "other-survey", "011002", &rev, &err),
                  SV_ERR_NOT_FOUND);
    /* a respondent whose code is a prefix of a stored one is distinct */
    assert_status(sv_store_history(s, SURVEY, "01100", &revs, &n, &err),
                  SV_ERR_NOT_FOUND);
    assert_null(revs);
    assert_int_equal(n, 0);
    assert_status(sv_store_current(s, SURVEY, "", &rev, &err), SV_ERR_INVALID);
    sv_store_destroy(&s);
    assert_null(s);
    sv_store_destroy(&s); /* NULL-safe */
}

static void test_invalid_puts(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    char long_id[600];
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "", 0, "x");
    p = make_put(&t, "u", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "submission_id"));
    make_sub(&t, "", "id", 0, "x");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_INVALID);
    make_sub(&t, "011002", "id", 0, "x");
    t.sub.survey = "";
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_INVALID);
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    make_sub(&t, "011002", long_id, 0, "x");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_TOO_LARGE);
    make_sub(&t, "011002", "id", 0, "x");
    p = make_put(&t, "u", 1, NULL, 1);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_INVALID);
    /* a field survey.proto does not define (a newer client's, kept by
       protobuf-c): it could not be read back, so it is refused, naming it
       (in an answer, then in the choices of one) */
    ProtobufCMessageUnknownField extra = {.tag = 20,
                                          .wire_type =
                                              PROTOBUF_C_WIRE_TYPE_VARINT,
                                          .len = 1,
                                          .data = (uint8_t *)"\x01"};
    make_sub(&t, "011002", "id", 0, "x");
    t.answers[2].base.n_unknown_fields = 1;
    t.answers[2].base.unknown_fields = &extra;
    p = make_put(&t, "u", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "answer 3 carries field 20"));
    assert_non_null(strstr(err.msg, "survey.v1.Answer"));
    make_sub(&t, "011002", "id", 0, "x");
    t.choices.base.n_unknown_fields = 1;
    t.choices.base.unknown_fields = &extra;
    p = make_put(&t, "u", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_INVALID);
    assert_non_null(strstr(err.msg, "survey.v1.Choices"));
    make_sub(&t, "011002", "id", 0, "x");
    /* the batch is still usable after refused puts */
    p = make_put(&t, "u", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.sequence, 1);
    /* LMDB has one writer: a second batch on the handle is refused */
    sv_batch *b2 = NULL;
    assert_status(sv_batch_begin(s, &b2, &err), SV_ERR_INVALID);
    assert_null(b2);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 1);
    sv_store_destroy(&s);
}

/* ---- sequences and the change log --------------------------------------- */

typedef struct {
    size_t n;
    uint64_t seq[16];
    char respondent[16][8];
    uint64_t revision[16];
    int64_t time_ms[16];
    size_t stop_after; /* 0 = never stop */
} collected;

static int collect(void *ctx, uint64_t sequence,
                   const Survey__Store__V1__Change *change)
{
    collected *c = ctx;

    if (c->n == 16)
        return 1;
    c->seq[c->n] = sequence;
    snprintf(c->respondent[c->n], sizeof c->respondent[0], "%s",
             change->respondent);
    c->revision[c->n] = change->revision;
    c->time_ms[c->n] = change->time_ms;
    assert_string_equal(change->survey, SURVEY);
    c->n++;
    return c->stop_after != 0 && c->n == c->stop_after ? 7 : 0;
}

static void test_sequences(void **state)
{
    fixture *f = *state;
    static const char *const who[] = {"011002", "012025", "020001"};
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    collected c;
    char id[32];
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_int_equal(last_seq(s), 0);
    memset(&c, 0, sizeof c);
    assert_status(sv_store_changes(s, 0, 0, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 0);

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "b1-%d", i);
        make_sub(&t, who[i], id, 0, "text");
        p = make_put(&t, "u", 1000 + i, NULL, 0);
        assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
        assert_int_equal(res.revision, 1);
        assert_int_equal(res.sequence, (uint64_t)i + 1);
    }
    /* not visible to readers before the commit */
    assert_int_equal(last_seq(s), 0);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 3);

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "b2-0", 1, "text 2");
    p = make_put(&t, "u", 2000, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.revision, 2);
    assert_int_equal(res.sequence, 4);
    make_sub(&t, "030007", "b2-1", 0, "text");
    p = make_put(&t, "u", 2001, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.sequence, 5);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 5);

    memset(&c, 0, sizeof c);
    assert_status(sv_store_changes(s, 0, 0, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 5);
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(c.seq[i], i + 1);
    assert_string_equal(c.respondent[0], "011002");
    assert_string_equal(c.respondent[2], "020001");
    assert_string_equal(c.respondent[3], "011002");
    assert_int_equal(c.revision[3], 2);
    assert_true(c.time_ms[3] == 2000);
    assert_string_equal(c.respondent[4], "030007");

    memset(&c, 0, sizeof c);
    assert_status(sv_store_changes(s, 2, 0, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.seq[0], 3);
    assert_int_equal(c.seq[2], 5);

    memset(&c, 0, sizeof c);
    assert_status(sv_store_changes(s, 0, 2, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seq[1], 2);

    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_status(sv_store_changes(s, 1, 0, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seq[0], 2);
    assert_int_equal(c.seq[1], 3);

    memset(&c, 0, sizeof c);
    assert_status(sv_store_changes(s, 5, 0, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 0);
    assert_status(sv_store_changes(s, UINT64_MAX, 0, collect, &c, &err), SV_OK);
    assert_int_equal(c.n, 0);
    sv_store_destroy(&s);
}

/* ---- corrections -------------------------------------------------------- */

static void test_corrections(void **state)
{
    fixture *f = *state;
    static const char *const notes[] = {"", "typo in recipients",
                                        "budget added"};
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision **revs = NULL;
    Survey__V1__Revision *rev = NULL;
    sv_batch *b = NULL;
    size_t n = 0;
    sv_error err = {{0}};
    char id[32];
    char text[32];
    test_sub t;
    sv_put p;
    sv_put_result res;

    for (uint64_t r = 0; r < 3; r++) {
        snprintf(id, sizeof id, "c-%d", (int)r);
        snprintf(text, sizeof text, "version %d", (int)r + 1);
        make_sub(&t, "011002", id, r, text);
        t.sub.note = (char *)notes[r];
        p = make_put(&t, r == 2 ? "ministry-admin" : "pref", 10 * (r + 1), NULL,
                     0);
        res = store_one(s, &p);
        assert_int_equal(res.revision, r + 1);
    }
    assert_status(sv_store_history(s, SURVEY, "011002", &revs, &n, &err),
                  SV_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        snprintf(text, sizeof text, "version %d", (int)i + 1);
        assert_int_equal(revs[i]->revision, i + 1);
        assert_int_equal(revs[i]->base_revision, i);
        assert_int_equal(revs[i]->sequence, i + 1);
        assert_true(revs[i]->time_ms == (int64_t)(10 * (i + 1)));
        assert_string_equal(revs[i]->note, notes[i]);
        assert_string_equal(revs[i]->answers[3]->text, text);
    }
    assert_string_equal(revs[2]->submitter, "ministry-admin");
    sv_store_free_revisions(revs, n);
    for (uint64_t r = 1; r <= 3; r++) {
        assert_status(sv_store_revision(s, SURVEY, "011002", r, &rev, &err),
                      SV_OK);
        assert_int_equal(rev->revision, r);
        survey__v1__revision__free_unpacked(rev, NULL);
    }
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 3);
    assert_string_equal(rev->answers[3]->text, "version 3");
    survey__v1__revision__free_unpacked(rev, NULL);

    /* stale and future bases conflict and write nothing */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "c-stale", 1, "stale edit");
    p = make_put(&t, "pref", 99, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_int_equal(res.current_revision, 3);
    assert_non_null(
        strstr(err.msg, "base_revision 1 is stale: current revision is 3"));
    make_sub(&t, "011002", "c-future", 7, "future edit");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_int_equal(res.current_revision, 3);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 3);
    assert_int_equal(history_len(s, "011002"), 3);
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 3);
    survey__v1__revision__free_unpacked(rev, NULL);

    /* the conflicting id left no receipt: it may be used once rebased */
    make_sub(&t, "011002", "c-stale", 3, "stale edit");
    res = store_one(s, &p);
    assert_false(res.duplicate);
    assert_int_equal(res.revision, 4);
    sv_store_destroy(&s);
}

static void test_same_respondent_in_batch(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "first", 0, "one");
    p = make_put(&t, "u", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.revision, 1);
    make_sub(&t, "011002", "second", 0, "two");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_int_equal(res.current_revision, 1);
    make_sub(&t, "011002", "third", 1, "three");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.revision, 2);
    assert_int_equal(res.sequence, 2);
    /* a retry inside the same batch is already a duplicate */
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_true(res.duplicate);
    assert_int_equal(res.revision, 2);
    /* the refused and the duplicate took no sequence: the next entries
       follow the last one written, a control entry among them */
    uint64_t seq = 0;
    assert_status(
        sv_batch_control(b, SURVEY, SV_CHANGE_RERUN, "admin", 2, &seq, &err),
        SV_OK);
    assert_int_equal(seq, 3);
    make_sub(&t, "012025", "fourth", 0, "four");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.sequence, 4);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 4);
    assert_int_equal(history_len(s, "011002"), 2);
    /* a batch in nested transactions starts after the last commit */
    assert_status(sv_batch_begin_careful(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "fifth", 1, "five");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    make_sub(&t, "011002", "fifth", 9, "five");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "base_revision 9 is ahead"));
    assert_int_equal(res.current_revision, 2);
    make_sub(&t, "011002", "fifth", 2, "five");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.sequence, 5);
    assert_int_equal(res.revision, 3);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 5);
    sv_store_destroy(&s);
}

/* ---- idempotency -------------------------------------------------------- */

static void test_idempotency(void **state)
{
    fixture *f = *state;
    static const char *const missing[] = {"q_budget"};
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    test_sub t;
    sv_put p;
    sv_put_result res;

    make_sub(&t, "011002", "uuid-x", 0, JAPANESE);
    p = make_put(&t, "pref", 5, missing, 1);
    res = store_one(s, &p);
    assert_false(res.duplicate);
    sv_put_result_clear(&res);

    /* same content, same submitter: the original ack, nothing written */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    p = make_put(&t, "pref", 6, NULL, 0); /* later time, other missing */
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_true(res.duplicate);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 1);
    assert_int_equal(res.n_missing, 1);
    assert_string_equal(res.missing[0], "q_budget");
    sv_put_result_clear(&res);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 1);
    assert_int_equal(history_len(s, "011002"), 1);

    /* a correction by another id, then the first id again: still the
     * duplicate of revision 1 although its base is stale by now */
    make_sub(&t, "011002", "uuid-y", 1, "second");
    p = make_put(&t, "pref", 7, NULL, 0);
    res = store_one(s, &p);
    assert_int_equal(res.revision, 2);
    make_sub(&t, "011002", "uuid-x", 0, JAPANESE);
    p = make_put(&t, "pref", 8, NULL, 0);
    res = store_one(s, &p);
    assert_true(res.duplicate);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 1);
    sv_put_result_clear(&res);

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    /* same id, different content */
    make_sub(&t, "011002", "uuid-x", 0, "other text");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "uuid-x"));
    assert_non_null(strstr(err.msg, "revision 1"));
    assert_false(res.duplicate);
    /* same id and content from another submitter */
    make_sub(&t, "011002", "uuid-x", 0, JAPANESE);
    p = make_put(&t, "somebody-else", 8, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    /* same id, other base revision: other content too */
    make_sub(&t, "011002", "uuid-x", 2, JAPANESE);
    p = make_put(&t, "pref", 8, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    /* same id and answers, another note */
    make_sub(&t, "011002", "uuid-x", 0, JAPANESE);
    t.sub.note = "another note";
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    /* same id and content, another respondent: that respondent is not
       named (a respondent's key may not learn who else answered) */
    make_sub(&t, "012025", "uuid-x", 0, JAPANESE);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "another respondent's"));
    assert_null(strstr(err.msg, "011002"));
    assert_null(strstr(err.msg, "revision"));
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 2);
    assert_int_equal(history_len(s, "011002"), 2);

    /* a retry in the batch that stored the id: its duplicate already */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "012025", "uuid-z", 0, JAPANESE);
    p = make_put(&t, "pref", 9, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_false(res.duplicate);
    sv_put_result_clear(&res);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_true(res.duplicate);
    assert_int_equal(res.sequence, 3);
    sv_put_result_clear(&res);
    t.sub.note = "changed in the same batch";
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 3);

    /* the id is per survey */
    make_sub(&t, "011002", "uuid-x", 0, JAPANESE);
    t.sub.survey = "shoman-jiritsu-r7";
    res = store_one(s, &p);
    assert_false(res.duplicate);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 4);
    sv_store_destroy(&s);
}

/* A first revision (base 0) is checked by its writes (storage README,
 * One submission): in a careful batch too, where each put is a nested
 * transaction, a taken key gives the answers the reads give, and leaves
 * nothing behind. */
static void test_first_revision_claims(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_status(sv_batch_begin_careful(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "first", 0, "one");
    p = make_put(&t, "pref", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 1);
    sv_put_result_clear(&res);
    /* the same again: its duplicate */
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_true(res.duplicate);
    assert_int_equal(res.sequence, 1);
    sv_put_result_clear(&res);
    /* base 0 again for the respondent, under a new id: stale */
    make_sub(&t, "011002", "second", 0, "two");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_int_equal(res.current_revision, 1);
    assert_non_null(strstr(err.msg, "stale"));
    /* another respondent under the used id: its compact value, written
       before the receipt was found taken, does not stay */
    make_sub(&t, "012025", "first", 0, "one");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "another respondent's"));
    make_sub(&t, "012025", "third", 0, "three");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_false(res.duplicate);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 2);
    sv_put_result_clear(&res);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 2);
    assert_int_equal(history_len(s, "011002"), 1);
    assert_int_equal(history_len(s, "012025"), 1);

    /* the same in a batch that writes straight into its transaction */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "020001", "first", 0, "one");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    make_sub(&t, "020001", "fourth", 0, "four");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, 3);
    sv_put_result_clear(&res);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(history_len(s, "020001"), 1);
    sv_store_destroy(&s);
}

/* A put with the submission's bytes from the caller (the collector keeps
 * them off the wire) stores what a put without them stores: the same
 * revision (a retry without them is a duplicate, other content a
 * conflict). */
static void test_caller_bytes(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    Survey__V1__Revision *rev = NULL;
    test_sub t;
    sv_put p;
    sv_put_result res;

    make_sub(&t, "011002", "uuid-w", 0, JAPANESE);
    t.sub.note = "初回";
    size_t len = survey__v1__submission__get_packed_size(&t.sub);
    uint8_t *bytes = malloc(len);
    assert_non_null(bytes);
    assert_int_equal(survey__v1__submission__pack(&t.sub, bytes), len);
    p = make_put(&t, "pref", 5, NULL, 0);
    p.packed = bytes;
    p.packed_len = len;
    res = store_one(s, &p);
    assert_false(res.duplicate);
    assert_int_equal(res.revision, 1);
    sv_put_result_clear(&res);
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err), SV_OK);
    assert_answers(rev, &t);
    assert_string_equal(rev->note, "初回");
    assert_string_equal(rev->submission_id, "uuid-w");
    survey__v1__revision__free_unpacked(rev, NULL);

    /* packed by the store this time: the same submission */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    p = make_put(&t, "pref", 6, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_true(res.duplicate);
    assert_int_equal(res.revision, 1);
    sv_put_result_clear(&res);
    /* other content from the caller's bytes (another note), a conflict */
    t.sub.note = "二回";
    size_t len2 = survey__v1__submission__get_packed_size(&t.sub);
    uint8_t *bytes2 = malloc(len2);
    assert_non_null(bytes2);
    assert_int_equal(survey__v1__submission__pack(&t.sub, bytes2), len2);
    p.packed = bytes2;
    p.packed_len = len2;
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    free(bytes2);
    assert_non_null(strstr(err.msg, "uuid-w"));
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(history_len(s, "011002"), 1);
    free(bytes);
    sv_store_destroy(&s);
}

/* ---- atomicity ---------------------------------------------------------- */

static void test_abort(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "a-1", 0, "gone");
    p = make_put(&t, "u", 1, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    make_sub(&t, "012025", "a-2", 0, "gone");
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    sv_batch_abort(&b);
    assert_null(b);
    sv_batch_abort(&b); /* NULL-safe */
    assert_int_equal(last_seq(s), 0);
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err),
                  SV_ERR_NOT_FOUND);
    /* no receipt survived: the same id is new */
    make_sub(&t, "011002", "a-1", 0, "gone");
    res = store_one(s, &p);
    assert_false(res.duplicate);
    assert_int_equal(res.sequence, 1);
    sv_store_destroy(&s);
}

/* Fills a tiny map with large answers in one batch until SV_ERR_FULL. */
static void test_map_full(void **state)
{
    enum { TINY = 128 * 1024, TEXT = 3000, MAX_PUTS = 200 };
    fixture *f = *state;
    sv_store *s = open_store(f->dir, TINY, false);
    Survey__V1__Revision *rev = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    char *text = malloc(TEXT + 1);
    char id[32];
    char who[16];
    int stored = 0;
    sv_status st = SV_OK;
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_non_null(text);
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    for (int i = 0; i < MAX_PUTS; i++) {
        memset(text, 'a' + i % 26, TEXT);
        text[TEXT] = '\0';
        snprintf(id, sizeof id, "full-%d", i);
        snprintf(who, sizeof who, "%06d", 100000 + i);
        make_sub(&t, who, id, 0, text);
        p = make_put(&t, "u", i, NULL, 0);
        st = sv_batch_put(b, &p, &res, &err);
        if (st != SV_OK)
            break;
        assert_int_equal(res.sequence, (uint64_t)i + 1);
        stored++;
    }
    assert_status(st, SV_ERR_FULL);
    assert_non_null(strstr(err.msg, "storage full"));
    assert_true(stored >= 1);
    /* the batch stays usable: a retry of its first put is a duplicate */
    make_sub(&t, "100000", "full-0", 0, "");
    memset(text, 'a', TEXT);
    t.answers[3].text = text;
    p = make_put(&t, "u", 0, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_true(res.duplicate);
    /* the earlier puts of the batch commit */
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), (uint64_t)stored);
    snprintf(who, sizeof who, "%06d", 100000 + stored);
    assert_status(sv_store_current(s, SURVEY, who, &rev, &err),
                  SV_ERR_NOT_FOUND);
    sv_store_destroy(&s);

    /* reopens clean at the same size, everything committed readable */
    s = open_store(f->dir, TINY, false);
    assert_int_equal(last_seq(s), (uint64_t)stored);
    for (int i = 0; i < stored; i++) {
        snprintf(who, sizeof who, "%06d", 100000 + i);
        assert_status(sv_store_current(s, SURVEY, who, &rev, &err), SV_OK);
        assert_int_equal(strlen(rev->answers[3]->text), TEXT);
        assert_int_equal(rev->answers[3]->text[0], 'a' + i % 26);
        survey__v1__revision__free_unpacked(rev, NULL);
    }
    sv_store_destroy(&s);

    /* a second writer that asks for no size keeps the environment's: the
       map is as full as it was */
    sv_store_options keep = {.keep_map_size = true};
    assert_status(sv_store_open(&s, f->dir, &keep, &err), SV_OK);
    memset(text, 'a' + stored % 26, TEXT);
    snprintf(id, sizeof id, "full-%d", stored);
    snprintf(who, sizeof who, "%06d", 100000 + stored);
    make_sub(&t, who, id, 0, text);
    p = make_put(&t, "u", stored, NULL, 0);
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_FULL);
    assert_non_null(strstr(err.msg, "storage full"));
    sv_batch_abort(&b);
    sv_store_destroy(&s);

    /* with a bigger map the failed submission is new, not a duplicate */
    s = open_store(f->dir, 4 * TINY, false);
    memset(text, 'a' + stored % 26, TEXT);
    snprintf(id, sizeof id, "full-%d", stored);
    snprintf(who, sizeof who, "%06d", 100000 + stored);
    make_sub(&t, who, id, 0, text);
    p = make_put(&t, "u", stored, NULL, 0);
    res = store_one(s, &p);
    assert_false(res.duplicate);
    assert_int_equal(res.revision, 1);
    assert_int_equal(res.sequence, (uint64_t)stored + 1);
    sv_store_destroy(&s);

    /* a new environment opened that way gets the default size, not
       LMDB's own 1 MiB: 2 MB of answers fit */
    char fresh[600];
    snprintf(fresh, sizeof fresh, "%s/fresh", f->dir);
    assert_status(sv_store_open(&s, fresh, &keep, &err), SV_OK);
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    for (int i = 0; i < 700; i++) {
        memset(text, 'a' + i % 26, TEXT);
        snprintf(id, sizeof id, "fresh-%d", i);
        snprintf(who, sizeof who, "%06d", 100000 + i);
        make_sub(&t, who, id, 0, text);
        p = make_put(&t, "u", i, NULL, 0);
        assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    }
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    sv_store_destroy(&s);
    free(text);
}

/* ---- handles, processes, persistence ------------------------------------ */

/* Child process of test_no_room: commits one large submission a batch
 * under a file size limit (ulimit -f) until a commit fails, which must be
 * SV_ERR_FULL naming the limit with nothing written; then, the limit
 * lifted, the same submission commits as new. Returns 0 when all is as
 * expected, else the number of the check that failed. */
static int no_room_child(const char *dir)
{
    enum { TEXT = 3000, MAX_PUTS = 400 };
    sv_store_options opt = {0};
    sv_store *s = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    static char text[TEXT + 1];
    char id[32], who[16], path[512];
    struct stat st;
    struct rlimit lim, saved;
    test_sub t;
    sv_put p;
    sv_put_result res;
    sv_status status = SV_OK;
    uint64_t seq = 0;
    int stored = 0;

    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR ||
        sv_store_open(&s, dir, &opt, &err) != SV_OK)
        return 1;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &st) != 0 || getrlimit(RLIMIT_FSIZE, &saved) != 0)
        return 2;
    lim = saved;
    lim.rlim_cur = (rlim_t)st.st_size + 256 * 1024;
    if (setrlimit(RLIMIT_FSIZE, &lim) != 0)
        return 3;
    for (int i = 0; i < MAX_PUTS && status == SV_OK; i++) {
        memset(text, 'a' + i % 26, TEXT);
        snprintf(id, sizeof id, "room-%d", i);
        snprintf(who, sizeof who, "%06d", 200000 + i);
        make_sub(&t, who, id, 0, text);
        p = make_put(&t, "u", i, NULL, 0);
        if (sv_batch_begin(s, &b, &err) != SV_OK)
            return 4;
        status = sv_batch_put(b, &p, &res, &err);
        if (status == SV_OK)
            status = sv_batch_commit(&b, &err);
        else
            sv_batch_abort(&b);
        if (status == SV_OK)
            stored++;
    }
    if (status != SV_ERR_FULL || strstr(err.msg, "file size limit") == NULL ||
        strstr(err.msg, "nothing written") == NULL)
        return 5;
    if (stored < 1 || sv_store_last_sequence(s, &seq, &err) != SV_OK ||
        seq != (uint64_t)stored)
        return 6;
    /* room again: the submission that failed is new */
    if (setrlimit(RLIMIT_FSIZE, &saved) != 0 ||
        sv_batch_begin(s, &b, &err) != SV_OK)
        return 7;
    if (sv_batch_put(b, &p, &res, &err) != SV_OK || res.duplicate ||
        res.sequence != (uint64_t)stored + 1 ||
        sv_batch_commit(&b, &err) != SV_OK)
        return 8;
    sv_store_destroy(&s);
    if (sv_store_open(&s, dir, &opt, &err) != SV_OK ||
        sv_store_last_sequence(s, &seq, &err) != SV_OK ||
        seq != (uint64_t)stored + 1)
        return 9;
    sv_store_destroy(&s);
    return 0;
}

/* A data file that cannot grow: the commit that needs more room fails as
 * a full store (UNAVAILABLE at the collector), with a message that names
 * the limit, not "Input/output error", and nothing of it is written. */
static void test_no_room(void **state)
{
    fixture *f = *state;
    int status = 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(no_room_child(f->dir));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* Child process: opens dir read-only and checks what the parent wrote.
 * Returns the exit status (0 = all as expected). */
static int read_only_child(const char *dir)
{
    sv_store_options opt = {.read_only = true};
    sv_store *s = NULL;
    Survey__V1__Revision *rev = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    uint64_t seq = 0;
    int rc = 0;

    if (sv_store_open(&s, dir, &opt, &err) != SV_OK)
        return 1;
    if (sv_store_last_sequence(s, &seq, &err) != SV_OK || seq != 2)
        rc = 2;
    if (sv_store_current(s, SURVEY, "011002", &rev, &err) != SV_OK)
        rc = 3;
    else if (rev->revision != 2 || strcmp(rev->submission_id, "ro-2") != 0)
        rc = 4;
    survey__v1__revision__free_unpacked(rev, NULL);
    if (sv_batch_begin(s, &b, &err) != SV_ERR_INVALID)
        rc = 5;
    sv_store_destroy(&s);
    return rc;
}

static void test_read_only(void **state)
{
    fixture *f = *state;
    sv_store *s = NULL;
    sv_store *ro = NULL;
    sv_store_options opt = {.read_only = true};
    sv_error err = {{0}};
    struct stat st;
    char path[128];
    test_sub t;
    sv_put p;
    sv_put_result res;
    pid_t pid;
    int status = -1;

    assert_status(sv_store_open(&ro, f->dir, &opt, &err), SV_ERR_NOT_FOUND);
    assert_null(ro);
    assert_non_null(strstr(err.msg, f->dir));
    assert_int_equal(stat(f->dir, &st), -1); /* not created */
    /* an existing directory without a store: refused, left untouched */
    assert_status(sv_store_open(&ro, f->root, &opt, &err), SV_ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/lock.mdb", f->root);
    assert_int_equal(stat(path, &st), -1);

    s = open_store(f->dir, 0, false);
    make_sub(&t, "011002", "ro-1", 0, "one");
    p = make_put(&t, "u", 1, NULL, 0);
    res = store_one(s, &p);
    make_sub(&t, "011002", "ro-2", 1, "two");
    res = store_one(s, &p);
    assert_int_equal(res.revision, 2);

    /* another process reads while the writer keeps its handle open */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(read_only_child(f->dir));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* the writer goes on after the reader has gone */
    make_sub(&t, "012025", "ro-3", 0, "three");
    res = store_one(s, &p);
    assert_int_equal(res.sequence, 3);
    sv_store_destroy(&s);

    ro = open_store(f->dir, 0, true);
    assert_int_equal(last_seq(ro), 3);
    sv_store_destroy(&ro);
}

/* Child process of test_reader_follows_growth: keeps one read-only handle
 * open while the parent regrows the map. Returns 0 when all is as expected. */
static int growth_child(const char *dir, int from_parent, int to_parent)
{
    sv_store_options opt = {.read_only = true};
    sv_store *s = NULL;
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    uint64_t seq = 0;
    char c = 0;
    int rc = 0;

    sv_view *v = NULL;

    if (sv_store_open(&s, dir, &opt, &err) != SV_OK)
        return 1;
    if (sv_store_last_sequence(s, &seq, &err) != SV_OK || seq != 1)
        rc = 2;
    if (sv_view_begin(s, &v, &err) != SV_OK)
        rc = 7;
    if (write(to_parent, "r", 1) != 1 || read(from_parent, &c, 1) != 1)
        rc = 3;
    /* an open view still reads the commit it began with; the map cannot
     * be regrown under it, so a new read is refused until it ends */
    if (v != NULL &&
        (sv_view_last_sequence(v, &seq, &err) != SV_OK || seq != 1))
        rc = 8;
    if (v != NULL && sv_store_last_sequence(s, &seq, &err) != SV_ERR_STORE)
        rc = 9;
    sv_view_end(&v);
    /* the parent has written far beyond the map this handle mapped */
    if (sv_store_last_sequence(s, &seq, &err) != SV_OK || seq != 101)
        rc = 4;
    if (sv_store_current(s, SURVEY, "100099", &rev, &err) != SV_OK)
        rc = 5;
    else if (strlen(rev->answers[3]->text) != 3000)
        rc = 6;
    survey__v1__revision__free_unpacked(rev, NULL);
    sv_store_destroy(&s);
    return rc;
}

static void test_reader_follows_growth(void **state)
{
    enum { SMALL = 256 * 1024, LARGE = 4 * 1024 * 1024 };
    fixture *f = *state;
    sv_store *s = open_store(f->dir, SMALL, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    int down[2];
    int up[2];
    char text[3001];
    char id[32];
    char who[16];
    char c = 0;
    test_sub t;
    sv_put p;
    sv_put_result res;
    pid_t pid;
    int status = -1;

    make_sub(&t, "011002", "g-0", 0, "small");
    p = make_put(&t, "u", 1, NULL, 0);
    res = store_one(s, &p);
    assert_int_equal(res.sequence, 1);
    assert_int_equal(pipe(down), 0);
    assert_int_equal(pipe(up), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(growth_child(f->dir, down[0], up[1]));
    assert_int_equal(read(up[0], &c, 1), 1);

    /* the writer comes back with a 16 times larger map and fills it
     * beyond the reader's mapping */
    sv_store_destroy(&s);
    s = open_store(f->dir, LARGE, false);
    /* texts that do not compress (revisions are stored compressed) */
    uint32_t x = 2024;
    text[3000] = '\0';
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    for (int i = 0; i < 100; i++) {
        for (int j = 0; j < 3000; j++) {
            x = x * 1664525u + 1013904223u;
            text[j] = (char)('a' + (x >> 24) % 26);
        }
        snprintf(id, sizeof id, "g-%d", i + 1);
        snprintf(who, sizeof who, "%06d", 100000 + i);
        make_sub(&t, who, id, 0, text);
        p = make_put(&t, "u", i, NULL, 0);
        assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    }
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(write(down[1], "w", 1), 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(down[0]);
    close(down[1]);
    close(up[0]);
    close(up[1]);
    sv_store_destroy(&s);
}

static void test_persistence(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    struct stat st;
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    make_sub(&t, "011002", "p-1", 0, JAPANESE);
    p = make_put(&t, "pref", 11, NULL, 0);
    res = store_one(s, &p);
    sv_store_destroy(&s);

    s = open_store(f->dir, 0, false);
    assert_int_equal(last_seq(s), 1);
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err), SV_OK);
    assert_answers(rev, &t);
    survey__v1__revision__free_unpacked(rev, NULL);
    res = store_one(s, &p); /* receipts persist too */
    assert_true(res.duplicate);
    make_sub(&t, "011002", "p-2", 1, "second");
    res = store_one(s, &p);
    assert_int_equal(res.sequence, 2);
    sv_store_destroy(&s);

    s = open_store(f->dir, 0, false);
    assert_int_equal(last_seq(s), 2);
    assert_int_equal(history_len(s, "011002"), 2);
    sv_store_destroy(&s);
}

/* Overwrites one record of a named database behind the store's back;
 * deletes it when val is NULL. */
static void raw_put(const char *dir, const char *db, const void *key,
                    size_t klen, const void *val, size_t vlen)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key};
    MDB_val v = {vlen, (void *)val};

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    if (val != NULL)
        assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    else
        assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void test_schema_and_corruption(void **state)
{
    fixture *f = *state;
    static const unsigned char junk[] = {0xff, 0xff, 0xff};
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    test_sub t;
    sv_put p;
    sv_put_result res;
    char key[64];
    size_t klen = strlen(SURVEY) + 1 + strlen("011002");

    make_sub(&t, "011002", "k-1", 0, "x");
    p = make_put(&t, "u", 1, NULL, 0);
    res = store_one(s, &p);
    assert_int_equal(res.revision, 1);
    sv_store_destroy(&s);

    /* compact = survey NUL respondent (storage/README.md): the current
       revision's number first, so 3 bytes cannot be a value */
    memcpy(key, SURVEY, strlen(SURVEY) + 1);
    memcpy(key + strlen(SURVEY) + 1, "011002", 6);
    raw_put(f->dir, "compact", key, klen, junk, sizeof junk);
    s = open_store(f->dir, 0, false);
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err),
                  SV_ERR_STORE);
    assert_null(rev);
    assert_non_null(strstr(err.msg, "corrupt record in compact"));
    assert_non_null(strstr(err.msg, SURVEY "/011002"));
    /* the history is intact */
    assert_int_equal(history_len(s, "011002"), 1);
    sv_store_destroy(&s);

    raw_put(f->dir, "meta", "schema", 6, "9", 1);
    assert_status(sv_store_open(&s, f->dir, NULL, &err), SV_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err.msg, "schema '9'"));
}

/* Reads one raw record of a named database; returns its size (0: none). */
static size_t raw_get(const char *dir, const char *db, const void *key,
                      size_t klen, void *out, size_t cap)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {klen, (void *)key};
    MDB_val v = {0, NULL};
    size_t len = 0;

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
    if (mdb_get(txn, dbi, &k, &v) == 0) {
        assert_true(v.mv_size <= cap);
        memcpy(out, v.mv_data, v.mv_size);
        len = v.mv_size;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return len;
}

/* The record of the revision at key (revisions: survey NUL respondent NUL
 * be64(revision)), read raw: revisions holds its sequence (8 bytes), log
 * the record under that sequence (storage/README.md, schema 7). */
static size_t raw_revision(const char *dir, const void *key, size_t klen,
                           void *out, size_t cap)
{
    unsigned char seq[8];

    assert_int_equal(raw_get(dir, "revisions", key, klen, seq, sizeof seq), 8);
    return raw_get(dir, "log", seq, sizeof seq, out, cap);
}

/* A put is written straight in the batch's transaction; a write that fails
 * there breaks the batch (nothing of it is written), and the same puts in
 * a careful batch keep the good ones. A revision record in the way of
 * 011003's first revision (a store whose history is out of step) makes
 * the write fail. */
static void test_broken_batch(void **state)
{
    fixture *f = *state;
    static const unsigned char junk[] = {0x08, 0x07};
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    const char *who[] = {"011004", "011003", "011005"};
    const char *const missing[] = {"supporter_count", "consult_method"};
    test_sub t[3];
    sv_put p[3];
    sv_put_result res;
    char key[64];
    size_t klen = strlen(SURVEY) + 1 + 6 + 1 + 8;
    uint8_t raw[4096];
    size_t len;

    sv_store_destroy(&s);
    memset(key, 0, sizeof key);
    memcpy(key, SURVEY, strlen(SURVEY) + 1);
    memcpy(key + strlen(SURVEY) + 1, "011003", 6);
    key[klen - 1] = 1; /* be64(1) */
    raw_put(f->dir, "revisions", key, klen, junk, sizeof junk);
    s = open_store(f->dir, 0, false);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "b-%d", i);
        make_sub(&t[i], who[i], id, 0, "text");
        t[i].sub.submission_id = strdup(id);
        assert_non_null(t[i].sub.submission_id);
        p[i] = make_put(&t[i], "u", 10 + i, i == 2 ? missing : NULL,
                        i == 2 ? 2 : 0);
    }

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    assert_status(sv_batch_put(b, &p[0], &res, &err), SV_OK);
    assert_false(sv_batch_broken(b));
    assert_status(sv_batch_put(b, &p[1], &res, &err), SV_ERR_STORE);
    assert_non_null(strstr(err.msg, "corrupt record in revisions"));
    assert_int_equal(res.revision, 0);
    assert_true(sv_batch_broken(b));
    assert_status(sv_batch_put(b, &p[2], &res, &err), SV_ERR_STORE);
    assert_non_null(strstr(err.msg, "broken"));
    assert_status(sv_batch_commit(&b, &err), SV_ERR_STORE);
    assert_non_null(strstr(err.msg, "nothing of the batch was written"));
    assert_null(b);
    assert_int_equal(last_seq(s), 0);
    assert_status(sv_store_current(s, SURVEY, "011004", &rev, &err),
                  SV_ERR_NOT_FOUND);

    /* the same puts, careful: the bad one alone fails */
    assert_status(sv_batch_begin_careful(s, &b, &err), SV_OK);
    assert_status(sv_batch_put(b, &p[0], &res, &err), SV_OK);
    assert_int_equal(res.sequence, 1);
    assert_status(sv_batch_put(b, &p[1], &res, &err), SV_ERR_STORE);
    assert_false(sv_batch_broken(b));
    assert_status(sv_batch_put(b, &p[2], &res, &err), SV_OK);
    assert_int_equal(res.sequence, 2);
    assert_int_equal(res.n_missing, 2);
    sv_put_result_clear(&res);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 2);
    for (int i = 0; i < 3; i += 2) {
        assert_status(sv_store_current(s, SURVEY, who[i], &rev, &err), SV_OK);
        assert_int_equal(rev->revision, 1);
        assert_int_equal(rev->time_ms, 10 + i);
        assert_string_equal(rev->submission_id, t[i].sub.submission_id);
        assert_answers(rev, &t[i]);
        survey__v1__revision__free_unpacked(rev, NULL);
        rev = NULL;
    }
    assert_status(sv_store_current(s, SURVEY, "011003", &rev, &err),
                  SV_ERR_NOT_FOUND);
    sv_store_destroy(&s);

    /* the stored bytes (numbers packed ahead of the prepared, compressed
       body) are a RevisionRecord, the same as encoding the whole Revision */
    memcpy(key + strlen(SURVEY) + 1, "011005", 6);
    len = raw_revision(f->dir, key, klen, raw, sizeof raw);
    assert_true(len > 0);
    Survey__Store__V1__RevisionRecord *record =
        survey__store__v1__revision_record__unpack(NULL, len, raw);
    assert_non_null(record);
    assert_int_equal(record->revision, 1);
    assert_int_equal(record->sequence, 2);
    assert_int_equal(record->dictionary, 1);
    survey__store__v1__revision_record__free_unpacked(record, NULL);
    assert_status(sv_revision_decode(raw, len, &rev, &err), SV_OK);
    assert_int_equal(rev->sequence, 2);
    assert_int_equal(rev->n_missing, 2);
    assert_string_equal(rev->missing[1], "consult_method");
    assert_answers(rev, &t[2]);
    uint8_t *encoded = NULL;
    size_t encoded_len = 0;
    assert_status(sv_revision_encode(rev, &encoded, &encoded_len, &err), SV_OK);
    assert_int_equal(encoded_len, len);
    assert_memory_equal(raw, encoded, len);
    free(encoded);
    survey__v1__revision__free_unpacked(rev, NULL);
    for (int i = 0; i < 3; i++)
        free(t[i].sub.submission_id);
}

/* ---- compact records ---------------------------------------------------- */

#define SURVEY_B SURVEY "-b" /* sorts right after SURVEY's keys */

/* Stores a first revision of respondent in survey with compact bytes. */
static sv_put_result put_compact(sv_store *s, const char *survey,
                                 const char *respondent, const char *id,
                                 uint64_t base, const char *compact)
{
    test_sub t;
    sv_put p;

    make_sub(&t, respondent, id, base, "text");
    t.sub.survey = (char *)survey;
    p = make_put(&t, "u", 1, NULL, 0);
    p.compact = (const uint8_t *)compact;
    p.compact_len = compact != NULL ? strlen(compact) : 0;
    return store_one(s, &p);
}

/* Asserts the compact record of (survey, respondent) in a fresh view. */
static void assert_compact(sv_store *s, const char *survey,
                           const char *respondent, const char *want)
{
    sv_view *v = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    uint64_t rev = 0;
    sv_error err = {{0}};

    assert_status(sv_view_begin(s, &v, &err), SV_OK);
    if (want == NULL) {
        assert_status(
            sv_view_compact(v, survey, respondent, &rev, &data, &len, &err),
            SV_ERR_NOT_FOUND);
        assert_null(data);
        assert_int_equal(rev, 0);
    } else {
        assert_status(
            sv_view_compact(v, survey, respondent, &rev, &data, &len, &err),
            SV_OK);
        assert_int_equal(len, strlen(want));
        assert_memory_equal(data, want, len);
        assert_true(rev >= 1);
    }
    sv_view_end(&v);
    assert_null(v);
}

typedef struct {
    size_t n;
    char respondent[8][16];
    char data[8][16];
    uint64_t revision[8];
    size_t stop_after; /* 0 = never stop */
} scanned;

static int scan(void *ctx, const char *respondent, uint64_t revision,
                const uint8_t *data, size_t len)
{
    scanned *c = ctx;

    assert_true(c->n < 8);
    c->revision[c->n] = revision;
    assert_true(len < sizeof c->data[0]);
    snprintf(c->respondent[c->n], sizeof c->respondent[0], "%s", respondent);
    memcpy(c->data[c->n], data, len);
    c->data[c->n][len] = '\0';
    c->n++;
    return c->stop_after != 0 && c->n == c->stop_after ? 3 : 0;
}

static void test_compact(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_view *v = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    sv_put_result res;
    scanned c;
    test_sub t;
    sv_put p;

    /* several respondents of two surveys, not in key order */
    put_compact(s, SURVEY, "020001", "c-1", 0, "A-020001");
    put_compact(s, SURVEY_B, "011002", "c-2", 0, "B-011002");
    put_compact(s, SURVEY, "011002", "c-3", 0, "A-011002");
    put_compact(s, SURVEY, "012025", "c-4", 0, "A-012025");
    put_compact(s, SURVEY_B, "000001", "c-5", 0, "B-000001");
    put_compact(s, SURVEY, "0110", "c-6", 0, "A-0110");
    res = put_compact(s, SURVEY, "030007", "c-7", 0, NULL);
    assert_int_equal(res.sequence, 7);

    assert_compact(s, SURVEY, "011002", "A-011002");
    assert_compact(s, SURVEY_B, "011002", "B-011002");
    assert_compact(s, SURVEY, "030007", NULL); /* put without one */
    assert_compact(s, SURVEY, "999999", NULL);

    assert_status(sv_view_begin(s, &v, &err), SV_OK);
    memset(&c, 0, sizeof c);
    assert_status(sv_view_scan_compact(v, SURVEY, scan, &c, &err), SV_OK);
    assert_int_equal(c.n, 4);
    for (size_t i = 0; i < c.n; i++)
        assert_int_equal(c.revision[i], 1);
    assert_string_equal(c.respondent[0], "0110");
    assert_string_equal(c.respondent[1], "011002");
    assert_string_equal(c.respondent[2], "012025");
    assert_string_equal(c.respondent[3], "020001");
    for (size_t i = 0; i < c.n; i++) {
        char want[32];
        snprintf(want, sizeof want, "A-%s", c.respondent[i]);
        assert_string_equal(c.data[i], want);
    }
    memset(&c, 0, sizeof c);
    assert_status(sv_view_scan_compact(v, SURVEY_B, scan, &c, &err), SV_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.respondent[0], "000001");
    assert_string_equal(c.data[1], "B-011002");
    /* early stop: the callback's non-zero value is not an error */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_status(sv_view_scan_compact(v, SURVEY, scan, &c, &err), SV_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.respondent[1], "011002");
    /* a survey that is a prefix of a stored one has nothing */
    memset(&c, 0, sizeof c);
    assert_status(sv_view_scan_compact(v, "shoman-jiritsu-r", scan, &c, &err),
                  SV_OK);
    assert_status(sv_view_scan_compact(v, "zzz", scan, &c, &err), SV_OK);
    assert_int_equal(c.n, 0);
    assert_status(sv_view_scan_compact(v, "", scan, &c, &err), SV_ERR_INVALID);
    assert_status(sv_view_scan_compact(v, SURVEY, NULL, &c, &err),
                  SV_ERR_INVALID);
    /* ranges: from included, to excluded, a prefix of a code sorts first */
    memset(&c, 0, sizeof c);
    assert_status(
        sv_view_scan_compact_range(v, SURVEY, NULL, "011002", scan, &c, &err),
        SV_OK);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.respondent[0], "0110");
    memset(&c, 0, sizeof c);
    assert_status(
        sv_view_scan_compact_range(v, SURVEY, "011002", "02", scan, &c, &err),
        SV_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.respondent[0], "011002");
    assert_string_equal(c.respondent[1], "012025");
    memset(&c, 0, sizeof c);
    assert_status(
        sv_view_scan_compact_range(v, SURVEY, "0111", NULL, scan, &c, &err),
        SV_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.respondent[0], "012025");
    assert_string_equal(c.respondent[1], "020001");
    assert_status(sv_store_drop_pages(s, &err), SV_OK);
    assert_compact(s, SURVEY, "011002", "A-011002"); /* read again */
    sv_view_end(&v);
    sv_view_end(&v); /* NULL-safe */

    /* a duplicate writes nothing, not even other compact bytes */
    make_sub(&t, "011002", "c-3", 0, "text");
    p = make_put(&t, "u", 1, NULL, 0);
    p.compact = (const uint8_t *)"changed";
    p.compact_len = 7;
    res = store_one(s, &p);
    assert_true(res.duplicate);
    assert_compact(s, SURVEY, "011002", "A-011002");
    assert_int_equal(last_seq(s), 7);

    /* a correction replaces the record; one without a record removes the
     * stale one (a compact record is always the current revision's) */
    res = put_compact(s, SURVEY, "011002", "c-8", 1, "A-011002-r2");
    assert_int_equal(res.revision, 2);
    assert_compact(s, SURVEY, "011002", "A-011002-r2");
    res = put_compact(s, SURVEY, "011002", "c-9", 2, NULL);
    assert_int_equal(res.revision, 3);
    assert_compact(s, SURVEY, "011002", NULL);
    /* a conflicting put leaves the record alone */
    res = put_compact(s, SURVEY, "020001", "c-10", 1, "A-020001-r2");
    assert_int_equal(res.revision, 2);
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "020001", "c-11", 1, "stale");
    p = make_put(&t, "u", 1, NULL, 0);
    p.compact = (const uint8_t *)"stale";
    p.compact_len = 5;
    assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_compact(s, SURVEY, "020001", "A-020001-r2");
    sv_store_destroy(&s);
}

/* ---- control entries ---------------------------------------------------- */

typedef struct {
    size_t n;
    uint64_t seq[8];
    int kind[8];
    char survey[8][32];
    char respondent[8][16];
    char requester[8][16];
    uint64_t revision[8];
    int64_t time_ms[8];
} changes_seen;

static int see_change(void *ctx, uint64_t sequence,
                      const Survey__Store__V1__Change *ch)
{
    changes_seen *c = ctx;

    assert_true(c->n < 8);
    c->seq[c->n] = sequence;
    c->kind[c->n] = (int)ch->kind;
    snprintf(c->survey[c->n], sizeof c->survey[0], "%s", ch->survey);
    snprintf(c->respondent[c->n], sizeof c->respondent[0], "%s",
             ch->respondent);
    snprintf(c->requester[c->n], sizeof c->requester[0], "%s", ch->requester);
    c->revision[c->n] = ch->revision;
    c->time_ms[c->n] = ch->time_ms;
    c->n++;
    return 0;
}

static void test_control_entries(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_batch *b = NULL;
    sv_error err = {{0}};
    uint64_t seq = 99;
    changes_seen c;
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "k-1", 0, "one");
    p = make_put(&t, "u", 100, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.sequence, 1);
    assert_status(sv_batch_control(b, SURVEY, SV_CHANGE_RERUN, "admin-1", 101,
                                   &seq, &err),
                  SV_OK);
    assert_int_equal(seq, 2);
    make_sub(&t, "012025", "k-2", 0, "two");
    p = make_put(&t, "u", 102, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_int_equal(res.sequence, 3);
    assert_status(sv_batch_control(b, SURVEY_B, SV_CHANGE_SNAPSHOT, NULL, 103,
                                   &seq, &err),
                  SV_OK);
    assert_int_equal(seq, 4);
    /* refused controls write nothing and leave the batch usable */
    assert_status(
        sv_batch_control(b, SURVEY, SV_CHANGE_ANSWERS, "x", 1, &seq, &err),
        SV_ERR_INVALID);
    assert_int_equal(seq, 0);
    assert_status(sv_batch_control(b, "", SV_CHANGE_RERUN, "x", 1, &seq, &err),
                  SV_ERR_INVALID);
    assert_status(
        sv_batch_control(NULL, SURVEY, SV_CHANGE_RERUN, "x", 1, &seq, &err),
        SV_ERR_INVALID);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 4);

    /* an aborted control leaves no entry */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    assert_status(sv_batch_control(b, SURVEY, SV_CHANGE_SNAPSHOT, "gone", 104,
                                   &seq, &err),
                  SV_OK);
    assert_int_equal(seq, 5);
    sv_batch_abort(&b);
    assert_int_equal(last_seq(s), 4);

    memset(&c, 0, sizeof c);
    assert_status(sv_store_changes(s, 0, 0, see_change, &c, &err), SV_OK);
    assert_int_equal(c.n, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(c.seq[i], i + 1);
        assert_true(c.time_ms[i] == (int64_t)(100 + i));
    }
    assert_int_equal(c.kind[0], SURVEY__STORE__V1__CHANGE__KIND__ANSWERS);
    assert_string_equal(c.respondent[0], "011002");
    assert_int_equal(c.revision[0], 1);
    assert_string_equal(c.requester[0], "");
    assert_int_equal(c.kind[1], SURVEY__STORE__V1__CHANGE__KIND__RERUN);
    assert_string_equal(c.survey[1], SURVEY);
    assert_string_equal(c.requester[1], "admin-1");
    assert_string_equal(c.respondent[1], "");
    assert_int_equal(c.revision[1], 0);
    assert_int_equal(c.kind[2], SURVEY__STORE__V1__CHANGE__KIND__ANSWERS);
    assert_string_equal(c.respondent[2], "012025");
    assert_int_equal(c.kind[3], SURVEY__STORE__V1__CHANGE__KIND__SNAPSHOT);
    assert_string_equal(c.survey[3], SURVEY_B);
    assert_string_equal(c.requester[3], ""); /* NULL requester */

    /* the next batch goes on from there */
    make_sub(&t, "011002", "k-3", 1, "three");
    p = make_put(&t, "u", 105, NULL, 0);
    res = store_one(s, &p);
    assert_int_equal(res.sequence, 5);
    sv_store_destroy(&s);
}

/* ---- read views --------------------------------------------------------- */

static size_t count_changes(sv_view *v)
{
    changes_seen c;
    sv_error err = {{0}};

    memset(&c, 0, sizeof c);
    assert_status(sv_view_changes(v, 0, 0, see_change, &c, &err), SV_OK);
    return c.n;
}

static void test_view_consistency(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    sv_view *old = NULL;
    sv_view *now = NULL;
    sv_batch *b = NULL;
    const uint8_t *data = NULL;
    size_t len = 0;
    uint64_t seq = 0;
    uint64_t rev_no = 0;
    sv_error err = {{0}};
    changes_seen c;
    test_sub t;
    sv_put p;
    sv_put_result res;

    assert_status(sv_view_begin(s, &old, &err), SV_OK);
    assert_status(sv_view_last_sequence(old, &seq, &err), SV_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(count_changes(old), 0);
    sv_view_end(&old);

    put_compact(s, SURVEY, "011002", "v-1", 0, "first");
    assert_status(sv_view_begin(s, &old, &err), SV_OK);
    assert_status(
        sv_view_compact(old, SURVEY, "011002", &rev_no, &data, &len, &err),
        SV_OK);

    /* a batch commits while the view is open (in this very thread) */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "011002", "v-2", 1, "second");
    p = make_put(&t, "u", 2, NULL, 0);
    p.compact = (const uint8_t *)"second";
    p.compact_len = 6;
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    make_sub(&t, "012025", "v-3", 0, "new");
    p.compact = (const uint8_t *)"new";
    p.compact_len = 3;
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_status(
        sv_batch_control(b, SURVEY, SV_CHANGE_RERUN, "admin", 3, &seq, &err),
        SV_OK);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(last_seq(s), 4); /* short reads see the commit */

    /* the old view still sees the state it began with */
    assert_status(sv_view_last_sequence(old, &seq, &err), SV_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(count_changes(old), 1);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "first", 5); /* still valid */
    assert_int_equal(rev_no, 1);
    assert_status(sv_view_current(old, SURVEY, "011002", &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 1);
    survey__v1__revision__free_unpacked(rev, NULL);
    assert_status(sv_view_current(old, SURVEY, "012025", &rev, &err),
                  SV_ERR_NOT_FOUND);
    assert_null(rev);
    assert_status(
        sv_view_compact(old, SURVEY, "012025", &rev_no, &data, &len, &err),
        SV_ERR_NOT_FOUND);

    /* a new view sees everything */
    assert_status(sv_view_begin(s, &now, &err), SV_OK);
    assert_status(sv_view_last_sequence(now, &seq, &err), SV_OK);
    assert_int_equal(seq, 4);
    memset(&c, 0, sizeof c);
    assert_status(sv_view_changes(now, 1, 2, see_change, &c, &err), SV_OK);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seq[0], 2);
    assert_int_equal(c.seq[1], 3);
    assert_status(sv_view_current(now, SURVEY, "011002", &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 2);
    assert_string_equal(rev->answers[3]->text, "second");
    survey__v1__revision__free_unpacked(rev, NULL);
    assert_status(
        sv_view_compact(now, SURVEY, "011002", &rev_no, &data, &len, &err),
        SV_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(data, "second", 6);
    assert_int_equal(rev_no, 2);
    assert_status(sv_view_compact(now, SURVEY, "", &rev_no, &data, &len, &err),
                  SV_ERR_INVALID);
    sv_view_end(&now);
    sv_view_end(&old);
    assert_null(old);

    /* uncommitted puts of an open batch are not seen by a view */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    make_sub(&t, "020001", "v-4", 0, "pending");
    p = make_put(&t, "u", 4, NULL, 0);
    assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
    assert_status(sv_view_begin(s, &now, &err), SV_OK);
    assert_int_equal(count_changes(now), 4);
    assert_status(sv_batch_commit(&b, &err), SV_OK);
    assert_int_equal(count_changes(now), 4);
    sv_view_end(&now);
    assert_int_equal(last_seq(s), 5);
    sv_store_destroy(&s);
}

/* ---- snapshots and watermarks ------------------------------------------- */

static void assert_snapshot(sv_store *s, const char *survey, uint64_t version,
                            const char *want)
{
    uint8_t *data = NULL;
    size_t len = 0;
    sv_error err = {{0}};

    if (want == NULL) {
        assert_status(sv_store_snapshot(s, survey, version, &data, &len, &err),
                      SV_ERR_NOT_FOUND);
        assert_null(data);
        return;
    }
    assert_status(sv_store_snapshot(s, survey, version, &data, &len, &err),
                  SV_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(data, want, len);
    free(data);
}

static void assert_watermark(sv_store *s, const char *survey, uint64_t seq,
                             uint64_t version)
{
    uint64_t got_seq = 99;
    uint64_t got_version = 99;
    sv_error err = {{0}};

    assert_status(sv_store_watermark(s, survey, &got_seq, &got_version, &err),
                  SV_OK);
    assert_int_equal(got_seq, seq);
    assert_int_equal(got_version, version);
}

static void put_snap(sv_store *s, const char *survey, uint64_t version,
                     uint64_t seq, const char *text)
{
    sv_error err = {{0}};

    assert_status(sv_store_put_snapshot(s, survey, version, seq,
                                        (const uint8_t *)text, strlen(text),
                                        &err),
                  SV_OK);
}

static void test_snapshots(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_store *ro = NULL;
    sv_batch *b = NULL;
    sv_error err = {{0}};
    static const uint8_t other[] = {1, 2, 3};

    assert_snapshot(s, SURVEY, 0, NULL);
    assert_snapshot(s, SURVEY, 1, NULL);
    assert_watermark(s, SURVEY, 0, 0);

    put_snap(s, SURVEY, 1, 5, "snapshot one");
    assert_snapshot(s, SURVEY, 0, "snapshot one");
    assert_watermark(s, SURVEY, 5, 1);
    put_snap(s, SURVEY, 2, 9, "snapshot two");
    put_snap(s, SURVEY_B, 1, 12, "b one");
    put_snap(s, "a-first", 7, 3, "a seven");
    put_snap(s, "max", UINT64_MAX, 4, "max version");
    put_snap(s, "max", 3, 2, "max three");

    assert_snapshot(s, SURVEY, 0, "snapshot two");
    assert_snapshot(s, SURVEY, 1, "snapshot one");
    assert_snapshot(s, SURVEY, 2, "snapshot two");
    assert_snapshot(s, SURVEY, 3, NULL);
    assert_snapshot(s, SURVEY_B, 0, "b one");
    assert_snapshot(s, "a-first", 0, "a seven");
    assert_snapshot(s, "max", 0, "max version");
    assert_snapshot(s, "max", 3, "max three");
    /* surveys without snapshots: before, between and after the others */
    assert_snapshot(s, "0-none", 0, NULL);
    assert_snapshot(s, "shoman-jiritsu-r", 0, NULL);
    assert_snapshot(s, "zzz", 0, NULL);
    assert_watermark(s, SURVEY, 9, 2);
    assert_watermark(s, SURVEY_B, 12, 1);
    assert_watermark(s, "max", 2, 3); /* the last written */
    assert_watermark(s, "shoman-jiritsu-r", 0, 0);

    /* a version is never overwritten: nothing written, watermark kept */
    assert_status(
        sv_store_put_snapshot(s, SURVEY, 2, 20, other, sizeof other, &err),
        SV_ERR_CONFLICT);
    assert_non_null(strstr(err.msg, "version 2"));
    assert_snapshot(s, SURVEY, 2, "snapshot two");
    assert_watermark(s, SURVEY, 9, 2);

    /* refused arguments */
    assert_status(
        sv_store_put_snapshot(s, SURVEY, 0, 1, other, sizeof other, &err),
        SV_ERR_INVALID);
    assert_status(sv_store_put_snapshot(s, "", 4, 1, other, sizeof other, &err),
                  SV_ERR_INVALID);
    assert_status(sv_store_put_snapshot(s, SURVEY, 4, 1, NULL, 3, &err),
                  SV_ERR_INVALID);
    /* one write transaction per handle: not inside an open batch */
    assert_status(sv_batch_begin(s, &b, &err), SV_OK);
    assert_status(
        sv_store_put_snapshot(s, SURVEY, 4, 1, other, sizeof other, &err),
        SV_ERR_INVALID);
    sv_batch_abort(&b);
    /* an empty snapshot is stored as given */
    assert_status(sv_store_put_snapshot(s, SURVEY, 4, 30, NULL, 0, &err),
                  SV_OK);
    assert_snapshot(s, SURVEY, 0, "");
    assert_watermark(s, SURVEY, 30, 4);
    sv_store_destroy(&s);

    /* durable, and readable through a read-only handle, which cannot write */
    ro = open_store(f->dir, 0, true);
    assert_snapshot(ro, SURVEY, 1, "snapshot one");
    assert_watermark(ro, SURVEY_B, 12, 1);
    assert_status(
        sv_store_put_snapshot(ro, SURVEY, 5, 1, other, sizeof other, &err),
        SV_ERR_INVALID);
    sv_store_destroy(&ro);
}

static void test_snapshot_map_full(void **state)
{
    enum { TINY = 128 * 1024, BIG = 512 * 1024 };
    fixture *f = *state;
    sv_store *s = open_store(f->dir, TINY, false);
    sv_error err = {{0}};
    uint8_t *big = calloc(1, BIG);

    assert_non_null(big);
    put_snap(s, SURVEY, 1, 1, "small");
    assert_status(sv_store_put_snapshot(s, SURVEY, 2, 2, big, BIG, &err),
                  SV_ERR_FULL);
    assert_non_null(strstr(err.msg, "storage full"));
    assert_snapshot(s, SURVEY, 0, "small");
    assert_snapshot(s, SURVEY, 2, NULL);
    assert_watermark(s, SURVEY, 1, 1);
    sv_store_destroy(&s);
    /* with a larger map the same version goes in */
    s = open_store(f->dir, 4 * BIG, false);
    assert_status(sv_store_put_snapshot(s, SURVEY, 2, 2, big, BIG, &err),
                  SV_OK);
    assert_watermark(s, SURVEY, 2, 2);
    sv_store_destroy(&s);
    free(big);
}

/* ---- schema upgrade ----------------------------------------------------- */

/* Turns the store in dir back into a schema-1 environment: without the
 * databases schema 2 added, meta/schema = "1". */
/* The old value of a record of an older schema, made from the current one
 * (key, val) into out (at most cap bytes); returns its length. */
typedef size_t (*old_value_fn)(MDB_txn *txn, const MDB_val *key,
                               const MDB_val *val, char *out, size_t cap);

/* Rewrites every record of database name inside txn with fn. */
static void rewrite_raw(MDB_txn *txn, const char *name, old_value_fn fn)
{
    enum { MAX = 8, KEY = 64, VAL = 4096 };
    static char keys[MAX][KEY];
    static char vals[MAX][VAL];
    size_t klen[MAX];
    size_t vlen[MAX];
    size_t n = 0;
    MDB_dbi dbi;
    MDB_cursor *cur = NULL;
    MDB_val key;
    MDB_val val;
    int rc;

    assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
    assert_int_equal(mdb_cursor_open(txn, dbi, &cur), 0);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == 0) {
        assert_true(n < MAX && key.mv_size < KEY);
        memcpy(keys[n], key.mv_data, key.mv_size);
        klen[n] = key.mv_size;
        vlen[n] = fn(txn, &key, &val, vals[n], VAL);
        n++;
        rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
    }
    assert_int_equal(rc, MDB_NOTFOUND);
    mdb_cursor_close(cur);
    for (size_t i = 0; i < n; i++) {
        MDB_val pk = {klen[i], keys[i]};
        MDB_val pv = {vlen[i], vals[i]};
        assert_int_equal(mdb_put(txn, dbi, &pk, &pv, 0), 0);
    }
}

/* Copies the value at key of database name in txn into out (at most cap
 * bytes); returns its length. */
static size_t copy_value(MDB_txn *txn, const char *name, MDB_val *key,
                         char *out, size_t cap)
{
    MDB_dbi dbi;
    MDB_val val;

    assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, key, &val), 0);
    assert_true(val.mv_size < cap);
    memcpy(out, val.mv_data, val.mv_size);
    return val.mv_size;
}

/* Schemas 1 to 6 kept each revision's record in revisions itself. */
static size_t record_in_place(MDB_txn *txn, const MDB_val *key,
                              const MDB_val *val, char *out, size_t cap)
{
    MDB_val seq = *val;

    (void)key;
    assert_int_equal(val->mv_size, 8);
    return copy_value(txn, "log", &seq, out, cap);
}

/* Moves the records back into revisions and drops log: first, since the
 * other older layouts are made from the records. */
static void records_in_place(MDB_txn *txn)
{
    MDB_dbi log;

    rewrite_raw(txn, "revisions", record_in_place);
    assert_int_equal(mdb_dbi_open(txn, "log", 0, &log), 0);
    assert_int_equal(mdb_drop(txn, log, 1), 0);
}

/* Schemas 1 to 5 kept the current revision's number in a database of its
 * own, current, and compact records only where there was one: makes
 * current from the compact values (the number first) and removes those
 * that are the number alone. */
static void current_apart(MDB_txn *txn)
{
    enum { MAX = 8, KEY = 64 };
    static char keys[MAX][KEY];
    static unsigned char nums[MAX][8];
    bool alone[MAX];
    size_t klen[MAX];
    size_t n = 0;
    MDB_dbi compact;
    MDB_dbi current;
    MDB_cursor *cur = NULL;
    MDB_val key;
    MDB_val val;
    int rc;

    assert_int_equal(mdb_dbi_open(txn, "compact", 0, &compact), 0);
    assert_int_equal(mdb_dbi_open(txn, "current", MDB_CREATE, &current), 0);
    assert_int_equal(mdb_cursor_open(txn, compact, &cur), 0);
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    for (; rc == 0; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        assert_true(n < MAX && key.mv_size < KEY && val.mv_size >= 8);
        memcpy(keys[n], key.mv_data, key.mv_size);
        klen[n] = key.mv_size;
        memcpy(nums[n], val.mv_data, 8);
        alone[n] = val.mv_size == 8;
        n++;
    }
    assert_int_equal(rc, MDB_NOTFOUND);
    mdb_cursor_close(cur);
    for (size_t i = 0; i < n; i++) {
        MDB_val k = {klen[i], keys[i]};
        MDB_val v = {8, nums[i]};
        assert_int_equal(mdb_put(txn, current, &k, &v, 0), 0);
        if (alone[i])
            assert_int_equal(mdb_del(txn, compact, &k, NULL), 0);
    }
}

/* Schemas 1 to 3 kept a whole Revision in current: the one whose number a
 * schema-4 current record holds. */
static size_t whole_revision(MDB_txn *txn, const MDB_val *key,
                             const MDB_val *val, char *out, size_t cap)
{
    char rk[512 + 9]; /* LMDB's key limit, and NUL be64 */
    MDB_val rkey = {key->mv_size + 9, rk};

    assert_int_equal(val->mv_size, 8);
    assert_true(key->mv_size < 512);
    memcpy(rk, key->mv_data, key->mv_size);
    rk[key->mv_size] = '\0';
    memcpy(rk + key->mv_size + 1, val->mv_data, 8);
    return copy_value(txn, "revisions", &rkey, out, cap);
}

static void current_as_revisions(MDB_txn *txn)
{
    rewrite_raw(txn, "current", whole_revision);
}

/* Schemas 1 to 4 kept each revision as a packed Revision, uncompressed. */
static size_t packed_revision(MDB_txn *txn, const MDB_val *key,
                              const MDB_val *val, char *out, size_t cap)
{
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    size_t len;

    (void)txn;
    (void)key;
    assert_int_equal(sv_revision_decode(val->mv_data, val->mv_size, &rev, &err),
                     SV_OK);
    len = survey__v1__revision__get_packed_size(rev);
    assert_true(len < cap);
    assert_int_equal(survey__v1__revision__pack(rev, (uint8_t *)out), len);
    survey__v1__revision__free_unpacked(rev, NULL);
    return len;
}

/* Turns the revisions in txn back into those of schema 4; first, since
 * the older current records are copies of them. */
static void revisions_as_packed(MDB_txn *txn)
{
    rewrite_raw(txn, "revisions", packed_revision);
}

static void make_schema_1(const char *dir)
{
    static const char *const added[] = {"compact", "snapshots", "watermarks"};
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {6, (void *)"schema"};
    MDB_val v = {1, (void *)"1"};

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    records_in_place(txn);
    current_apart(txn);
    revisions_as_packed(txn);
    current_as_revisions(txn);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(mdb_dbi_open(txn, added[i], 0, &dbi), 0);
        assert_int_equal(mdb_drop(txn, dbi, 1), 0);
    }
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* The schema record and whether database name exists, read raw. */
static void raw_schema(const char *dir, char *schema, size_t n,
                       const char *name, bool *exists)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {6, (void *)"schema"};
    MDB_val v;
    int rc;

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    assert_int_equal(mdb_get(txn, dbi, &k, &v), 0);
    assert_true(v.mv_size < n);
    memcpy(schema, v.mv_data, v.mv_size);
    schema[v.mv_size] = '\0';
    rc = mdb_dbi_open(txn, name, 0, &dbi);
    assert_true(rc == 0 || rc == MDB_NOTFOUND);
    *exists = rc == 0;
    mdb_txn_abort(txn);
    mdb_env_close(env);
}

/* The schema record of the store in dir is want. */
static void assert_schema(const char *dir, const char *want)
{
    char schema[8];
    bool exists = false;

    raw_schema(dir, schema, sizeof schema, "compact", &exists);
    assert_string_equal(schema, want);
}

/* A read-write open of the store in dir fails on a corrupt record of
 * database corrupt_db at key `where`, and changes nothing: the schema is
 * still `schema`, and database db exists or not as before. */
static void upgrade_fails(const char *dir, const char *corrupt_db,
                          const char *where, const char *schema, const char *db,
                          bool exists)
{
    sv_store *s = NULL;
    sv_error err = {{0}};
    char want[64];
    char got[8];
    bool found = !exists;

    assert_status(sv_store_open(&s, dir, NULL, &err), SV_ERR_STORE);
    assert_null(s);
    snprintf(want, sizeof want, "corrupt record in %s", corrupt_db);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, where));
    raw_schema(dir, got, sizeof got, db, &found);
    assert_string_equal(got, schema);
    assert_true(found == exists);
}

/* A read-only open of the store in dir, of an older schema, is refused
 * and says how to upgrade it. */
static void refused_read_only(const char *dir, const char *schema)
{
    sv_store_options ro_opt = {.read_only = true};
    sv_store *s = NULL;
    sv_error err = {{0}};
    char want[16];

    assert_status(sv_store_open(&s, dir, &ro_opt, &err), SV_ERR_STORE);
    assert_null(s);
    snprintf(want, sizeof want, "schema %s", schema);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "read-write"));
}

static void test_schema_upgrade(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    sv_put_result res;
    char schema[8];
    bool exists = true;

    res = put_compact(s, SURVEY, "011002", "u-1", 0, NULL);
    assert_int_equal(res.sequence, 1);
    sv_store_destroy(&s);
    make_schema_1(f->dir);
    raw_schema(f->dir, schema, sizeof schema, "compact", &exists);
    assert_string_equal(schema, "1");
    assert_false(exists);

    /* read-only cannot upgrade: refused, nothing changed */
    refused_read_only(f->dir, "1");
    raw_schema(f->dir, schema, sizeof schema, "snapshots", &exists);
    assert_string_equal(schema, "1");
    assert_false(exists);

    /* a read-write open upgrades in place; the data is kept */
    s = open_store(f->dir, 0, false);
    assert_status(sv_store_current(s, SURVEY, "011002", &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 1);
    survey__v1__revision__free_unpacked(rev, NULL);
    assert_compact(s, SURVEY, "011002", NULL);
    assert_watermark(s, SURVEY, 0, 0);
    res = put_compact(s, SURVEY, "011002", "u-2", 1, "upgraded");
    assert_int_equal(res.sequence, 2);
    assert_compact(s, SURVEY, "011002", "upgraded");
    put_snap(s, SURVEY, 1, 2, "first snapshot");
    sv_store_destroy(&s);
    raw_schema(f->dir, schema, sizeof schema, "watermarks", &exists);
    assert_string_equal(schema, "8");
    assert_true(exists);
    raw_schema(f->dir, schema, sizeof schema, "current", &exists);
    assert_false(exists);

    /* now a read-only open is fine */
    s = open_store(f->dir, 0, true);
    assert_snapshot(s, SURVEY, 0, "first snapshot");
    assert_int_equal(last_seq(s), 2);
    sv_store_destroy(&s);
}

/* Schema 2's compact records had no revision prefix. */
static size_t without_prefix(MDB_txn *txn, const MDB_val *key,
                             const MDB_val *val, char *out, size_t cap)
{
    (void)txn;
    (void)key;
    assert_true(val->mv_size >= 8 && val->mv_size - 8 < cap);
    memcpy(out, (const char *)val->mv_data + 8, val->mv_size - 8);
    return val->mv_size - 8;
}

/* Schemas 1 to 7 kept in each receipt the digest of its submission:
 * BLAKE2b-256 of the Submission packed, a 0 byte and the submitter. */
static size_t with_digest(MDB_txn *txn, const MDB_val *key, const MDB_val *val,
                          char *out, size_t cap)
{
    Survey__Store__V1__Receipt *r =
        survey__store__v1__receipt__unpack(NULL, val->mv_size, val->mv_data);
    Survey__V1__Submission sub = SURVEY__V1__SUBMISSION__INIT;
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    uint8_t seq[8];
    char rec[4096];
    uint8_t packed[4096];
    uint8_t digest[crypto_generichash_BYTES];
    crypto_generichash_state h;

    (void)key;
    assert_non_null(r);
    assert_int_equal(r->digest.len, 0); /* as this build writes them */
    for (int i = 0; i < 8; i++)
        seq[i] = (uint8_t)(r->sequence >> (56 - 8 * i));
    MDB_val seq_key = {8, seq};
    size_t len = copy_value(txn, "log", &seq_key, rec, sizeof rec);
    assert_status(sv_revision_decode((uint8_t *)rec, len, &rev, &err), SV_OK);
    sub.survey = r->survey;
    sub.respondent = r->respondent;
    sub.submission_id = rev->submission_id;
    sub.base_revision = rev->base_revision;
    sub.n_answers = rev->n_answers;
    sub.answers = rev->answers;
    sub.note = rev->note;
    size_t n = survey__v1__submission__get_packed_size(&sub);
    assert_true(n <= sizeof packed);
    assert_int_equal(survey__v1__submission__pack(&sub, packed), n);
    assert_true(sodium_init() >= 0);
    assert_int_equal(crypto_generichash_init(&h, NULL, 0, sizeof digest), 0);
    assert_int_equal(crypto_generichash_update(&h, packed, n), 0);
    assert_int_equal(crypto_generichash_update(&h, (const uint8_t *)"", 1), 0);
    assert_int_equal(crypto_generichash_update(&h,
                                               (const uint8_t *)rev->submitter,
                                               strlen(rev->submitter)),
                     0);
    assert_int_equal(crypto_generichash_final(&h, digest, sizeof digest), 0);
    r->digest.data = digest;
    r->digest.len = sizeof digest;
    n = survey__store__v1__receipt__get_packed_size(r);
    assert_true(n <= cap);
    assert_int_equal(survey__store__v1__receipt__pack(r, (uint8_t *)out), n);
    r->digest.data = NULL; /* not the unpacked message's to free */
    r->digest.len = 0;
    survey__store__v1__receipt__free_unpacked(r, NULL);
    survey__v1__revision__free_unpacked(rev, NULL);
    return n;
}

/* Schemas 5 to 7 wrote each record as a zstd frame (codec 0). */
static size_t as_zstd(MDB_txn *txn, const MDB_val *key, const MDB_val *val,
                      char *out, size_t cap)
{
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    size_t len;

    (void)txn;
    (void)key;
    assert_status(sv_revision_decode(val->mv_data, val->mv_size, &rev, &err),
                  SV_OK);
    uint8_t *rec = zstd_record(rev, &len);
    assert_non_null(rec);
    assert_true(len <= cap);
    memcpy(out, rec, len);
    free(rec);
    survey__v1__revision__free_unpacked(rev, NULL);
    return len;
}

/* Turns the store in dir back into the given schema (2 to 7): receipts
 * with a digest; from schema 5 up, the records as zstd frames; up to
 * schema 6, the records
 * in revisions; up to schema 5, current apart from compact; up to schema
 * 4, the revisions packed as they were;
 * from schema 3 down, whole revisions in current; for schema 2, compact
 * records without their revision prefix. */
static void make_schema(const char *dir, const char *schema)
{
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {6, (void *)"schema"};
    MDB_val v = {strlen(schema), (void *)schema};

    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 16), 0);
    assert_int_equal(mdb_env_open(env, dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    rewrite_raw(txn, "receipts", with_digest);
    if (strcmp(schema, "5") >= 0)
        rewrite_raw(txn, "log", as_zstd);
    if (strcmp(schema, "6") <= 0)
        records_in_place(txn);
    if (strcmp(schema, "5") <= 0)
        current_apart(txn);
    if (strcmp(schema, "4") <= 0)
        revisions_as_packed(txn);
    if (strcmp(schema, "3") <= 0)
        current_as_revisions(txn);
    if (strcmp(schema, "2") == 0)
        rewrite_raw(txn, "compact", without_prefix);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* Schema 2 to 3: the compact records get the revision of the current
 * revision beside them; read-only opens are refused until then. */
static void test_schema_upgrade_2(void **state)
{
    fixture *f = *state;
    sv_store *s = open_store(f->dir, 0, false);
    sv_view *v = NULL;
    sv_error err = {{0}};
    scanned c;

    put_compact(s, SURVEY, "011002", "w-1", 0, "one");
    put_compact(s, SURVEY, "011002", "w-2", 1, "two");
    put_compact(s, SURVEY, "012025", "w-3", 0, "three");
    put_compact(s, SURVEY, "020001", "w-4", 0, NULL);
    sv_store_destroy(&s);
    make_schema(f->dir, "2");
    assert_schema(f->dir, "2");

    refused_read_only(f->dir, "2");

    s = open_store(f->dir, 0, false);
    assert_compact(s, SURVEY, "011002", "two");
    assert_compact(s, SURVEY, "012025", "three");
    assert_compact(s, SURVEY, "020001", NULL);
    assert_status(sv_view_begin(s, &v, &err), SV_OK);
    memset(&c, 0, sizeof c);
    assert_status(sv_view_scan_compact(v, SURVEY, scan, &c, &err), SV_OK);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.data[0], "two");
    assert_int_equal(c.revision[0], 2);
    assert_string_equal(c.data[1], "three");
    assert_int_equal(c.revision[1], 1);
    sv_view_end(&v);
    sv_store_destroy(&s);
    assert_schema(f->dir, "8");
}

/* Writes two revisions of 011002 (ids PREFIX-1 and -2, compact records
 * "one" and "two") and one of 012025 (PREFIX-3), then marks the store as
 * of the older schema (its records stay as this build wrote them; the
 * test rewrites what differs). */
static void make_old_store(const char *dir, const char *prefix,
                           const char *schema)
{
    sv_store *s = open_store(dir, 0, false);
    char id[3][32];

    for (int i = 0; i < 3; i++)
        snprintf(id[i], sizeof id[i], "%s-%d", prefix, i + 1);
    put_compact(s, SURVEY, "011002", id[0], 0, "one");
    put_compact(s, SURVEY, "011002", id[1], 1, "two");
    put_compact(s, SURVEY, "012025", id[2], 0, NULL);
    sv_store_destroy(&s);
    make_schema(dir, schema);
}

/* The current revision of respondent is number revision, submission id. */
static void assert_current(sv_store *s, const char *respondent,
                           uint64_t revision, const char *id)
{
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};

    assert_status(sv_store_current(s, SURVEY, respondent, &rev, &err), SV_OK);
    assert_int_equal(rev->revision, revision);
    assert_string_equal(rev->submission_id, id);
    survey__v1__revision__free_unpacked(rev, NULL);
}

/* Schema 3 kept a whole Revision in current; schema 4 its number. */
static void test_schema_upgrade_3(void **state)
{
    fixture *f = *state;
    sv_store *s;
    sv_put_result res;
    char key[64];
    uint8_t raw[4096];
    size_t klen = strlen(SURVEY) + 1 + 6;

    make_old_store(f->dir, "x", "3");
    memcpy(key, SURVEY, strlen(SURVEY) + 1);
    memcpy(key + strlen(SURVEY) + 1, "011002", 6);
    assert_true(raw_get(f->dir, "current", key, klen, raw, sizeof raw) > 8);

    refused_read_only(f->dir, "3");

    s = open_store(f->dir, 0, false);
    assert_current(s, "011002", 2, "x-2");
    assert_current(s, "012025", 1, "x-3");
    assert_compact(s, SURVEY, "011002", "two");
    /* and writes go on from the upgraded numbers */
    res = put_compact(s, SURVEY, "011002", "x-4", 2, "three");
    assert_int_equal(res.revision, 3);
    assert_int_equal(history_len(s, "011002"), 3);
    sv_store_destroy(&s);
    /* the number of the current revision now leads the compact value */
    assert_int_equal(raw_get(f->dir, "compact", key, klen, raw, sizeof raw),
                     8 + strlen("three"));
    assert_int_equal(raw[7], 3);
    assert_schema(f->dir, "8");
}

/* Schema 4 kept each revision as a packed Revision; schema 5 compresses
 * them (revision_codec.h). */
static void test_schema_upgrade_4(void **state)
{
    fixture *f = *state;
    sv_store *s;
    Survey__V1__Revision *rev = NULL;
    sv_error err = {{0}};
    sv_put_result res;
    char key[64];
    uint8_t raw[4096];
    size_t klen = strlen(SURVEY) + 1 + 6 + 1 + 8;
    size_t len;

    make_old_store(f->dir, "y", "4");
    /* revisions = survey NUL respondent NUL be64(revision) */
    memset(key, 0, sizeof key);
    memcpy(key, SURVEY, strlen(SURVEY) + 1);
    memcpy(key + strlen(SURVEY) + 1, "011002", 6);
    key[klen - 1] = 2;
    len = raw_get(f->dir, "revisions", key, klen, raw, sizeof raw);
    rev = survey__v1__revision__unpack(NULL, len, raw);
    assert_non_null(rev);
    assert_string_equal(rev->submission_id, "y-2");
    survey__v1__revision__free_unpacked(rev, NULL);
    rev = NULL;

    refused_read_only(f->dir, "4");

    s = open_store(f->dir, 0, false);
    assert_current(s, "011002", 2, "y-2");
    assert_int_equal(history_len(s, "011002"), 2);
    assert_compact(s, SURVEY, "011002", "two");
    res = put_compact(s, SURVEY, "011002", "y-4", 2, "three");
    assert_int_equal(res.revision, 3);
    assert_int_equal(history_len(s, "011002"), 3);
    sv_store_destroy(&s);
    /* the old revision is now a compressed record of the same Revision */
    len = raw_revision(f->dir, key, klen, raw, sizeof raw);
    Survey__Store__V1__RevisionRecord *record =
        survey__store__v1__revision_record__unpack(NULL, len, raw);
    assert_non_null(record);
    assert_int_equal(record->revision, 2);
    assert_int_equal(record->dictionary, 1);
    survey__store__v1__revision_record__free_unpacked(record, NULL);
    assert_status(sv_revision_decode(raw, len, &rev, &err), SV_OK);
    assert_string_equal(rev->submission_id, "y-2");
    survey__v1__revision__free_unpacked(rev, NULL);
    assert_schema(f->dir, "8");
}

/* Schema 5 kept the current revision's number in current; schema 6 in
 * compact, before the compact record or alone. A compact record of
 * another revision than current's stops the upgrade, which then changes
 * nothing. */
static void test_schema_upgrade_5(void **state)
{
    fixture *f = *state;
    sv_store *s;
    sv_view *v = NULL;
    sv_error err = {{0}};
    sv_put_result res;
    scanned c;
    char key[64];
    uint8_t raw[4096];
    size_t klen = strlen(SURVEY) + 1 + 6;
    bool exists = false;
    char schema[8];
    static const unsigned char one[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    static const unsigned char two[8] = {0, 0, 0, 0, 0, 0, 0, 2};

    make_old_store(f->dir, "z", "5");
    memcpy(key, SURVEY, strlen(SURVEY) + 1);
    memcpy(key + strlen(SURVEY) + 1, "012025", 6);
    assert_int_equal(raw_get(f->dir, "current", key, klen, raw, sizeof raw), 8);
    assert_int_equal(raw[7], 1);
    assert_int_equal(raw_get(f->dir, "compact", key, klen, raw, sizeof raw), 0);

    refused_read_only(f->dir, "5");

    /* out of step: current says 011002 is at 1, its compact record is 2's */
    memcpy(key + strlen(SURVEY) + 1, "011002", 6);
    raw_put(f->dir, "current", key, klen, one, sizeof one);
    upgrade_fails(f->dir, "compact", SURVEY "/011002", "5", "current", true);
    /* put right, the upgrade goes through */
    raw_put(f->dir, "current", key, klen, two, sizeof two);

    s = open_store(f->dir, 0, false);
    assert_current(s, "011002", 2, "z-2");
    assert_current(s, "012025", 1, "z-3");
    assert_compact(s, SURVEY, "011002", "two");
    assert_compact(s, SURVEY, "012025", NULL);
    assert_status(sv_view_begin(s, &v, &err), SV_OK);
    memset(&c, 0, sizeof c);
    assert_status(sv_view_scan_compact(v, SURVEY, scan, &c, &err), SV_OK);
    assert_int_equal(c.n, 1); /* 012025 has a number, no record */
    assert_string_equal(c.respondent[0], "011002");
    sv_view_end(&v);
    res = put_compact(s, SURVEY, "012025", "z-4", 1, "four");
    assert_int_equal(res.revision, 2);
    assert_compact(s, SURVEY, "012025", "four");
    sv_store_destroy(&s);
    memcpy(key + strlen(SURVEY) + 1, "012025", 6);
    assert_int_equal(raw_get(f->dir, "compact", key, klen, raw, sizeof raw),
                     8 + strlen("four"));
    assert_int_equal(raw[7], 2);
    raw_schema(f->dir, schema, sizeof schema, "current", &exists);
    assert_string_equal(schema, "8");
    assert_false(exists);
}

/* Schema 6 kept each revision's record in revisions; schema 7 moves it
 * into log under its sequence and keeps the sequence in revisions. */
static void test_schema_upgrade_6(void **state)
{
    fixture *f = *state;
    sv_store *s;
    Survey__V1__Revision *rev = NULL;
    Survey__V1__Revision **hist = NULL;
    size_t n = 0;
    sv_error err = {{0}};
    sv_put_result res;
    char key[64] = {0};
    char bad[64] = {0};
    uint8_t raw[4096];
    size_t klen = strlen(SURVEY) + 1 + 6 + 1 + 8;
    bool exists = true;
    char schema[8];
    /* a Revision of revision 1 without its sequence (field 2) */
    static const unsigned char no_seq[] = {0x08, 0x01};
    static const unsigned char nowhere[8] = {0, 0, 0, 0, 0, 0, 0x03, 0xe7};

    make_old_store(f->dir, "z", "6");
    raw_schema(f->dir, schema, sizeof schema, "log", &exists);
    assert_string_equal(schema, "6");
    assert_false(exists);
    memcpy(key, SURVEY, strlen(SURVEY) + 1);
    memcpy(key + strlen(SURVEY) + 1, "011002", 6);
    key[klen - 1] = 1;
    assert_true(raw_get(f->dir, "revisions", key, klen, raw, sizeof raw) > 8);

    refused_read_only(f->dir, "6");

    /* a record without its sequence cannot move: the open fails, nothing
       is changed */
    memcpy(bad, key, klen);
    memcpy(bad + strlen(SURVEY) + 1, "011009", 6);
    raw_put(f->dir, "revisions", bad, klen, no_seq, sizeof no_seq);
    upgrade_fails(f->dir, "revisions", SURVEY "/011009", "6", "log", false);
    raw_put(f->dir, "revisions", bad, klen, NULL, 0);

    s = open_store(f->dir, 0, false);
    assert_current(s, "011002", 2, "z-2");
    assert_current(s, "012025", 1, "z-3");
    assert_status(sv_store_revision(s, SURVEY, "011002", 1, &rev, &err), SV_OK);
    assert_string_equal(rev->submission_id, "z-1");
    assert_int_equal(rev->sequence, 1);
    survey__v1__revision__free_unpacked(rev, NULL);
    rev = NULL;
    assert_status(sv_store_history(s, SURVEY, "011002", &hist, &n, &err),
                  SV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(hist[0]->submission_id, "z-1");
    assert_string_equal(hist[1]->submission_id, "z-2");
    sv_store_free_revisions(hist, n);
    res = put_compact(s, SURVEY, "011002", "z-4", 2, "three");
    assert_int_equal(res.revision, 3);
    assert_int_equal(res.sequence, 4);
    assert_int_equal(history_len(s, "011002"), 3);
    sv_store_destroy(&s);
    assert_schema(f->dir, "8");

    /* revisions holds the sequence; log the record under it */
    assert_int_equal(raw_get(f->dir, "revisions", key, klen, raw, sizeof raw),
                     8);
    assert_memory_equal(raw, "\0\0\0\0\0\0\0\1", 8);
    key[klen - 1] = 3;
    assert_int_equal(raw_get(f->dir, "revisions", key, klen, raw, sizeof raw),
                     8);
    assert_memory_equal(raw, "\0\0\0\0\0\0\0\4", 8);
    size_t len = raw_revision(f->dir, key, klen, raw, sizeof raw);
    assert_status(sv_revision_decode(raw, len, &rev, &err), SV_OK);
    assert_int_equal(rev->revision, 3);
    assert_int_equal(rev->sequence, 4);
    assert_string_equal(rev->submission_id, "z-4");
    survey__v1__revision__free_unpacked(rev, NULL);
    rev = NULL;

    /* a sequence that is not in log is a corrupt history, not a missing
       revision */
    key[klen - 1] = 4;
    raw_put(f->dir, "revisions", key, klen, nowhere, sizeof nowhere);
    s = open_store(f->dir, 0, false);
    assert_status(sv_store_revision(s, SURVEY, "011002", 4, &rev, &err),
                  SV_ERR_STORE);
    assert_non_null(strstr(err.msg, "corrupt record in revisions"));
    assert_null(rev);
    assert_status(sv_store_history(s, SURVEY, "011002", &hist, &n, &err),
                  SV_ERR_STORE);
    assert_non_null(strstr(err.msg, "corrupt record in revisions"));
    assert_null(hist);
    sv_store_destroy(&s);
}

/* The codec of the record in log under sequence seq, in the store in dir
 * (0: zstd, 1: LZ4). */
static uint32_t log_codec(const char *dir, uint8_t seq)
{
    uint8_t key[8] = {0, 0, 0, 0, 0, 0, 0, seq};
    uint8_t raw[4096];
    size_t len = raw_get(dir, "log", key, sizeof key, raw, sizeof raw);

    assert_true(len > 0);
    Survey__Store__V1__RevisionRecord *r =
        survey__store__v1__revision_record__unpack(NULL, len, raw);
    assert_non_null(r);
    assert_int_equal(r->sequence, seq);
    uint32_t codec = r->codec;
    survey__store__v1__revision_record__free_unpacked(r, NULL);
    return codec;
}

/* Schema 7 wrote its records as zstd frames; schema 8 writes LZ4 blocks
 * and reads both, so a schema 7 store also opens read-only as it is, and
 * a read-write open only stamps the new number. */
static void test_schema_upgrade_7(void **state)
{
    fixture *f = *state;
    sv_store *s;
    Survey__V1__Revision **hist = NULL;
    size_t n = 0;
    sv_error err = {{0}};
    sv_put_result res;

    make_old_store(f->dir, "w", "7");
    assert_schema(f->dir, "7");
    for (uint8_t seq = 1; seq <= 3; seq++)
        assert_int_equal(log_codec(f->dir, seq), 0);

    /* read-only: read as it is, nothing changed */
    s = open_store(f->dir, 0, true);
    assert_current(s, "011002", 2, "w-2");
    assert_current(s, "012025", 1, "w-3");
    assert_status(sv_store_history(s, SURVEY, "011002", &hist, &n, &err),
                  SV_OK);
    assert_int_equal(n, 2);
    assert_string_equal(hist[0]->submission_id, "w-1");
    assert_string_equal(hist[1]->submission_id, "w-2");
    sv_store_free_revisions(hist, n);
    sv_store_destroy(&s);
    assert_schema(f->dir, "7");

    /* read-write: stamped 8; the old records stay, new ones are LZ4; a
       retry of a submission stored before is compared with its receipt's
       digest: the same content is its duplicate, other content a
       conflict */
    s = open_store(f->dir, 0, false);
    assert_current(s, "011002", 2, "w-2");
    res = put_compact(s, SURVEY, "011002", "w-2", 1, "two");
    assert_true(res.duplicate);
    assert_int_equal(res.revision, 2);
    sv_put_result_clear(&res);
    {
        sv_batch *b = NULL;
        test_sub t;
        sv_put p;

        make_sub(&t, "011002", "w-2", 1, "other text");
        p = make_put(&t, "u", 1, NULL, 0);
        assert_status(sv_batch_begin(s, &b, &err), SV_OK);
        assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
        assert_non_null(strstr(err.msg, "w-2"));
        p = make_put(&t, "another submitter", 1, NULL, 0);
        make_sub(&t, "011002", "w-2", 1, "text");
        assert_status(sv_batch_put(b, &p, &res, &err), SV_ERR_CONFLICT);
        sv_batch_abort(&b);
    }
    res = put_compact(s, SURVEY, "011002", "w-4", 2, "three");
    assert_int_equal(res.revision, 3);
    assert_int_equal(res.sequence, 4);
    assert_current(s, "011002", 3, "w-4");
    assert_int_equal(history_len(s, "011002"), 3);
    sv_store_destroy(&s);
    assert_schema(f->dir, "8");
    for (uint8_t seq = 1; seq <= 3; seq++)
        assert_int_equal(log_codec(f->dir, seq), 0);
    assert_int_equal(log_codec(f->dir, 4), 1);
    s = open_store(f->dir, 0, true);
    assert_status(sv_store_history(s, SURVEY, "011002", &hist, &n, &err),
                  SV_OK);
    assert_int_equal(n, 3);
    assert_string_equal(hist[0]->submission_id, "w-1");
    assert_string_equal(hist[2]->submission_id, "w-4");
    sv_store_free_revisions(hist, n);
    sv_store_destroy(&s);
}

/* ---- the scan mirror ---------------------------------------------------- */

#define BOOT_1 "00000000-0000-4000-8000-000000000001"
#define BOOT_2 "00000000-0000-4000-8000-000000000002"

static sv_store *open_boot(const char *dir, bool ro, bool no_mirror,
                           const char *boot)
{
    sv_store_options opt = {
        .read_only = ro, .no_mirror = no_mirror, .boot_id = boot};
    sv_store *s = NULL;
    sv_error err = {{0}};

    assert_status(sv_store_open(&s, dir, &opt, &err), SV_OK);
    return s;
}

/* Scans SURVEY in view v (a fresh one when v is NULL) into c and returns
 * whether the scan read the mirror. */
static bool scan_all(sv_store *s, sv_view *v, scanned *c)
{
    sv_view *own = NULL;
    sv_error err = {{0}};
    bool used;

    memset(c, 0, sizeof *c);
    if (v == NULL) {
        assert_status(sv_view_begin(s, &own, &err), SV_OK);
        v = own;
    }
    assert_status(sv_view_scan_compact(v, SURVEY, scan, c, &err), SV_OK);
    used = sv_view_used_mirror(v);
    sv_view_end(&own);
    return used;
}

/* Asserts that c holds exactly the "respondent=data" pairs of want. */
static void assert_scanned(const scanned *c, const char *const *want, size_t n)
{
    char got[32];

    assert_int_equal(c->n, n);
    for (size_t k = 0; k < n; k++) {
        snprintf(got, sizeof got, "%s=%s", c->respondent[k], c->data[k]);
        assert_string_equal(got, want[k]);
    }
}

static bool exists(const char *root, const char *name)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof path, "%s/%s", root, name);
    return stat(path, &st) == 0;
}

/* The store written by a process without the mirror (an older build, or
 * one that died between its two commits): a corrected r02 and a new r06. */
static void write_without_mirror(const char *dir)
{
    pid_t pid = fork();
    int status = 0;

    assert_true(pid >= 0);
    if (pid == 0) {
        sv_store *s = open_boot(dir, false, true, BOOT_1);
        put_compact(s, SURVEY, "r02", "r02-2", 1, "b2");
        put_compact(s, SURVEY, "r06", "r06-1", 0, "b6");
        sv_store_destroy(&s);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_scan_mirror(void **state)
{
    fixture *f = *state;
    sv_store *s = open_boot(f->dir, false, false, BOOT_1);
    sv_view *v = NULL;
    sv_error err = {{0}};
    scanned c;
    const char *first[] = {"r01=a1", "r02=a2", "r04=a4", "r05=a5"};
    const char *gap[] = {"r01=a1", "r02=b2", "r04=a4", "r05=a5", "r06=b6"};
    const char *later[] = {"r01=a1", "r02=b2", "r04=c4", "r05=a5", "r06=b6"};

    assert_true(sv_store_has_mirror(s));
    assert_true(exists(f->dir, "mirror-" BOOT_1));
    put_compact(s, SURVEY, "r01", "r01-1", 0, "a1");
    put_compact(s, SURVEY, "r02", "r02-1", 0, "a2");
    put_compact(s, SURVEY, "r03", "r03-1", 0, NULL); /* a number alone */
    put_compact(s, SURVEY, "r04", "r04-1", 0, "a4");
    put_compact(s, SURVEY, "r05", "r05-1", 0, "a5");
    put_compact(s, SURVEY_B, "r01", "b-r01-1", 0, "x1");
    assert_true(scan_all(s, NULL, &c));
    assert_scanned(&c, first, 4);

    /* changes the mirror has not seen are read from the store */
    write_without_mirror(f->dir);
    assert_true(scan_all(s, NULL, &c));
    assert_scanned(&c, gap, 5);

    /* a view older than the mirror reads the later records from itself;
     * the batch also brings the mirror up to date */
    assert_status(sv_view_begin(s, &v, &err), SV_OK);
    put_compact(s, SURVEY, "r04", "r04-2", 1, "c4");
    assert_true(scan_all(s, v, &c));
    assert_scanned(&c, gap, 5);
    sv_view_end(&v);
    assert_true(scan_all(s, NULL, &c));
    assert_scanned(&c, later, 5);
    assert_null(sv_store_mirror_error(s));
    sv_store_destroy(&s);

    /* read-only, of this boot: the mirror as the batch left it */
    s = open_boot(f->dir, true, false, BOOT_1);
    assert_true(sv_store_has_mirror(s));
    assert_true(scan_all(s, NULL, &c));
    assert_scanned(&c, later, 5);
    sv_store_destroy(&s);

    /* read-only, after a reboot: no mirror of this boot, the store's own
     * file */
    s = open_boot(f->dir, true, false, BOOT_2);
    assert_false(sv_store_has_mirror(s));
    assert_false(scan_all(s, NULL, &c));
    assert_scanned(&c, later, 5);
    sv_store_destroy(&s);

    /* read-write after a reboot: the old boot's mirror (maybe torn) is
     * deleted and a new one built */
    s = open_boot(f->dir, false, false, BOOT_2);
    assert_false(exists(f->dir, "mirror-" BOOT_1));
    assert_true(exists(f->dir, "mirror-" BOOT_2));
    assert_true(scan_all(s, NULL, &c));
    assert_scanned(&c, later, 5);
    sv_store_destroy(&s);

    /* a boot id that could not name a folder: no mirror, nothing made */
    s = open_boot(f->dir, false, false, "../" BOOT_1);
    assert_false(sv_store_has_mirror(s));
    assert_false(exists(f->dir, "mirror-.."));
    assert_false(scan_all(s, NULL, &c));
    assert_scanned(&c, later, 5);
    sv_store_destroy(&s);

    /* without the mirror, the same */
    s = open_boot(f->dir, false, true, BOOT_2);
    assert_false(sv_store_has_mirror(s));
    assert_false(scan_all(s, NULL, &c));
    assert_scanned(&c, later, 5);
    sv_store_destroy(&s);
}

typedef struct {
    size_t n;
    bool in_order;
} counted;

static int count_scan(void *ctx, const char *respondent, uint64_t revision,
                      const uint8_t *data, size_t len)
{
    counted *c = ctx;
    char want[16];

    (void)revision;
    snprintf(want, sizeof want, "r%06zu", c->n);
    if (strcmp(respondent, want) != 0 || len != 2 || memcmp(data, "ok", 2))
        c->in_order = false;
    c->n++;
    return 0;
}

/* A scan of more records than the mirror's drop interval: the pages it
 * drops as it goes are read again where needed, and every record comes
 * once, in order. */
static void test_scan_mirror_large(void **state)
{
    fixture *f = *state;
    sv_store *s = open_boot(f->dir, false, false, BOOT_1);
    sv_batch *b = NULL;
    sv_view *v = NULL;
    sv_error err = {{0}};
    enum { N = 140000 }; /* over MIRROR_DROP_EVERY (131,072) */
    char respondent[16];
    char id[16];
    counted c = {0, true};

    for (size_t i = 0; i < N; i++) {
        test_sub t;
        sv_put_result res;
        if (b == NULL) /* batches of 2,000, as a collector's are small */
            assert_status(sv_batch_begin(s, &b, &err), SV_OK);
        snprintf(respondent, sizeof respondent, "r%06zu", i);
        snprintf(id, sizeof id, "id%06zu", i);
        make_sub(&t, respondent, id, 0, "text");
        sv_put p = make_put(&t, "u", 1, NULL, 0);
        p.compact = (const uint8_t *)"ok";
        p.compact_len = 2;
        assert_status(sv_batch_put(b, &p, &res, &err), SV_OK);
        if (i % 2000 == 1999 || i == N - 1)
            assert_status(sv_batch_commit(&b, &err), SV_OK);
    }
    assert_status(sv_view_begin(s, &v, &err), SV_OK);
    assert_status(sv_view_scan_compact(v, SURVEY, count_scan, &c, &err), SV_OK);
    assert_true(sv_view_used_mirror(v));
    sv_view_end(&v);
    assert_int_equal(c.n, N);
    assert_true(c.in_order);
    sv_store_destroy(&s);
}

/* Another program's LMDB environment in the data folder, or a scan
 * mirror's folder given as the data folder: refused, and nothing is
 * written into it (no schema stamped, no database created). */
static void test_foreign_environment(void **state)
{
    fixture *f = *state;
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    MDB_val k = {5, "alice"};
    MDB_val v = {1, "1"};
    sv_store *s = NULL;
    sv_error err = {{0}};
    sv_store_options opt = {0};
    char mirror[300];

    assert_int_equal(mkdir(f->dir, 0700), 0);
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "users", MDB_CREATE, &dbi), 0);
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);

    assert_status(sv_store_open(&s, f->dir, &opt, &err), SV_ERR_STORE);
    assert_null(s);
    assert_non_null(strstr(err.msg, "not a survey store"));
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
    assert_int_equal(mdb_env_open(env, f->dir, MDB_RDONLY, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), MDB_NOTFOUND);
    mdb_txn_abort(txn);
    mdb_env_close(env);

    /* a store's scan mirror as the data folder */
    snprintf(f->dir, sizeof f->dir, "%s/store", f->root);
    s = open_boot(f->dir, false, false, BOOT_1);
    put_compact(s, SURVEY, "r01", "r01-1", 0, "a1");
    sv_store_destroy(&s);
    snprintf(mirror, sizeof mirror, "%s/mirror-" BOOT_1, f->dir);
    assert_status(sv_store_open(&s, mirror, &opt, &err), SV_ERR_STORE);
    assert_non_null(strstr(err.msg, "not a survey store"));
}

/* A scan mirror that cannot be built (here its folder's name is taken by
 * a file; after a reboot onto a full disk, by the space) does not keep
 * the store from opening: it opens without one, says why, and scans and
 * writes work; the next open that can build it does. */
static void test_mirror_cannot_be_built(void **state)
{
    fixture *f = *state;
    sv_store *s = open_boot(f->dir, false, false, BOOT_1);
    const char *both[] = {"r01=a1", "r02=a2"};
    const char *three[] = {"r01=a1", "r02=a2", "r03=a3"};
    char path[300];
    scanned c;
    FILE *in;

    put_compact(s, SURVEY, "r01", "r01-1", 0, "a1");
    put_compact(s, SURVEY, "r02", "r02-1", 0, "a2");
    sv_store_destroy(&s);
    snprintf(path, sizeof path, "%s/mirror-" BOOT_2, f->dir);
    in = fopen(path, "w");
    assert_non_null(in);
    assert_int_equal(fclose(in), 0);

    s = open_boot(f->dir, false, false, BOOT_2);
    assert_false(sv_store_has_mirror(s));
    assert_non_null(sv_store_mirror_error(s));
    assert_non_null(strstr(sv_store_mirror_error(s), "mirror-" BOOT_2));
    assert_false(scan_all(s, NULL, &c));
    assert_scanned(&c, both, 2);
    put_compact(s, SURVEY, "r03", "r03-1", 0, "a3");
    assert_false(scan_all(s, NULL, &c));
    assert_scanned(&c, three, 3);
    sv_store_destroy(&s);

    assert_int_equal(unlink(path), 0);
    s = open_boot(f->dir, false, false, BOOT_2);
    assert_true(sv_store_has_mirror(s));
    assert_null(sv_store_mirror_error(s));
    assert_true(scan_all(s, NULL, &c));
    assert_scanned(&c, three, 3);
    sv_store_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_puts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequences, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_same_respondent_in_batch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_idempotency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_revision_claims, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_caller_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_follows_growth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_and_corruption, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_broken_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_mirror, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scan_mirror_large, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_control_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_consistency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_map_full, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_5, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_6, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_upgrade_7, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_environment, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mirror_cannot_be_built, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
