/* sqlite_baseline.c: the relational baseline (sqlite_baseline.h). */
#include "sqlite_baseline.h"

#include <sqlite3.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sql_db {
    sqlite3 *db;
    sqlite3_stmt *ins_response;
    sqlite3_stmt *ins_answer;
    sqlite3_stmt *begin;
    sqlite3_stmt *commit;
};

static sv_status sql_fail(sql_db *db, sv_error *err, const char *what)
{
    return sv_fail(err, SV_ERR_STORE, "sqlite %s: %s", what,
                   db->db != NULL ? sqlite3_errmsg(db->db) : "no handle");
}

static sv_status exec(sql_db *db, const char *sql, sv_error *err)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        sv_status st = sv_fail(err, SV_ERR_STORE, "sqlite: %s: %s", sql,
                               msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return st;
    }
    return SV_OK;
}

static sv_status prepare(sql_db *db, const char *sql, sqlite3_stmt **out,
                         sv_error *err)
{
    if (sqlite3_prepare_v2(db->db, sql, -1, out, NULL) != SQLITE_OK)
        return sql_fail(db, err, sql);
    return SV_OK;
}

sv_status sql_open(sql_db **out, const char *path, sv_error *err)
{
    static const char *const schema =
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=FULL;"
        "CREATE TABLE response(id INTEGER PRIMARY KEY, respondent TEXT "
        "UNIQUE, type TEXT, revision INTEGER);"
        "CREATE TABLE answer(response_id INTEGER REFERENCES response(id), "
        "question TEXT, value TEXT);"
        "CREATE INDEX answer_by_response ON answer(response_id, question);";
    char side[4096];
    sql_db *db = calloc(1, sizeof *db);
    sv_status st;

    *out = NULL;
    if (db == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
    if (sqlite3_open(path, &db->db) != SQLITE_OK) {
        st = sql_fail(db, err, path);
        goto fail;
    }
    st = exec(db, schema, err);
    if (st == SV_OK)
        st = prepare(db,
                     "INSERT INTO response(respondent, type, revision) "
                     "VALUES (?1, ?2, ?3)",
                     &db->ins_response, err);
    if (st == SV_OK)
        st = prepare(db,
                     "INSERT INTO answer(response_id, question, value) "
                     "VALUES (?1, ?2, ?3)",
                     &db->ins_answer, err);
    if (st == SV_OK)
        st = prepare(db, "BEGIN", &db->begin, err);
    if (st == SV_OK)
        st = prepare(db, "COMMIT", &db->commit, err);
    if (st != SV_OK)
        goto fail;
    *out = db;
    return SV_OK;
fail:
    sql_close(&db);
    return st;
}

void sql_close(sql_db **pdb)
{
    if (pdb == NULL || *pdb == NULL)
        return;
    sql_db *db = *pdb;
    sqlite3_finalize(db->ins_response);
    sqlite3_finalize(db->ins_answer);
    sqlite3_finalize(db->begin);
    sqlite3_finalize(db->commit);
    sqlite3_close(db->db);
    free(db);
    *pdb = NULL;
}

static sv_status step_done(sql_db *db, sqlite3_stmt *s, sv_error *err)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return sql_fail(db, err, "step");
    return SV_OK;
}

sv_status sql_begin(sql_db *db, sv_error *err)
{
    return step_done(db, db->begin, err);
}

sv_status sql_commit(sql_db *db, sv_error *err)
{
    return step_done(db, db->commit, err);
}

static sv_status insert_value(sql_db *db, sqlite3_int64 id,
                              const char *question, const char *value,
                              sv_error *err)
{
    sqlite3_stmt *s = db->ins_answer;

    if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
        sqlite3_bind_text(s, 2, question, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(s, 3, value, -1, SQLITE_STATIC) != SQLITE_OK)
        return sql_fail(db, err, "bind answer");
    return step_done(db, s, err);
}

static sv_status insert_answer(sql_db *db, sqlite3_int64 id,
                               const Survey__V1__Answer *a, sv_error *err)
{
    char num[32];

    switch (a->value_case) {
    case SURVEY__V1__ANSWER__VALUE_CHOICE:
        return insert_value(db, id, a->question, a->choice, err);
    case SURVEY__V1__ANSWER__VALUE_TEXT:
        return insert_value(db, id, a->question, a->text, err);
    case SURVEY__V1__ANSWER__VALUE_INTEGER:
        snprintf(num, sizeof num, "%" PRId64, a->integer);
        return insert_value(db, id, a->question, num, err);
    case SURVEY__V1__ANSWER__VALUE_CHOICES:
        for (size_t k = 0; k < a->choices->n_options; k++) {
            sv_status st =
                insert_value(db, id, a->question, a->choices->options[k], err);
            if (st != SV_OK)
                return st;
        }
        return SV_OK;
    default:
        return SV_OK;
    }
}

sv_status sql_insert(sql_db *db, const Survey__V1__Submission *sub,
                     const char *type, sv_error *err)
{
    sqlite3_stmt *s = db->ins_response;
    sqlite3_int64 id;
    sv_status st;

    if (sqlite3_bind_text(s, 1, sub->respondent, -1, SQLITE_STATIC) !=
            SQLITE_OK ||
        sqlite3_bind_text(s, 2, type, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(s, 3, (sqlite3_int64)sub->base_revision + 1) !=
            SQLITE_OK)
        return sql_fail(db, err, "bind response");
    st = step_done(db, s, err);
    if (st != SV_OK)
        return st;
    id = sqlite3_last_insert_rowid(db->db);
    for (size_t i = 0; i < sub->n_answers; i++) {
        st = insert_answer(db, id, sub->answers[i], err);
        if (st != SV_OK)
            return st;
    }
    return SV_OK;
}

/* ---- aggregation ------------------------------------------------------ */

static int type_slot(const char *const *types, size_t n, const char *type)
{
    for (size_t t = 0; t < n; t++) {
        if (type != NULL && strcmp(types[t], type) == 0)
            return (int)(1 + t);
    }
    return -1;
}

static bool is_select(const sv_question *qu)
{
    return qu->type == SV_Q_SELECT_ONE || qu->type == SV_Q_SELECT_MULTIPLE;
}

/* "'a','b',..." of the select questions, for an IN list. */
static char *select_list(const sv_questionnaire *q)
{
    size_t len = 3;
    char *s;

    for (size_t i = 0; i < sv_questionnaire_count(q); i++)
        len += strlen(sv_questionnaire_question(q, i)->name) + 3;
    s = malloc(len);
    if (s == NULL)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < sv_questionnaire_count(q); i++) {
        const sv_question *qu = sv_questionnaire_question(q, i);
        if (!is_select(qu))
            continue;
        if (s[0] != '\0')
            strcat(s, ",");
        strcat(s, "'");
        strcat(s, qu->name);
        strcat(s, "'");
    }
    return s;
}

/* Adds v at slot and at "all". */
static void add_u32(uint32_t *row, int slot, uint32_t v)
{
    row[0] += v;
    row[slot] += v;
}

static sv_status query_counts(sql_db *db, const sv_questionnaire *q,
                              const char *const *types, sql_tables *t,
                              sv_error *err)
{
    char *list = select_list(q);
    char *sql;
    size_t slots = 1 + t->n_types;
    sqlite3_stmt *s = NULL;
    sv_status st = SV_OK;
    int rc;

    if (list == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sql = malloc(strlen(list) + 512);
    if (sql == NULL) {
        free(list);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    sprintf(sql,
            "SELECT a.question, a.value, r.type, count(*) FROM answer a "
            "JOIN response r ON r.id = a.response_id "
            "WHERE a.question IN (%s) "
            "GROUP BY a.question, a.value, r.type",
            list);
    st = prepare(db, sql, &s, err);
    while (st == SV_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int i =
            sv_questionnaire_find(q, (const char *)sqlite3_column_text(s, 0));
        int slot = type_slot(types, t->n_types,
                             (const char *)sqlite3_column_text(s, 2));
        if (i < 0 || slot < 0)
            continue;
        int o = sv_question_option(sv_questionnaire_question(q, (size_t)i),
                                   (const char *)sqlite3_column_text(s, 1));
        if (o < 0)
            continue;
        add_u32(&t->count[(t->opt_base[i] + (size_t)o) * slots], slot,
                (uint32_t)sqlite3_column_int64(s, 3));
    }
    if (st == SV_OK && rc != SQLITE_DONE)
        st = sql_fail(db, err, "count query");
    sqlite3_finalize(s);
    free(sql);
    free(list);
    return st;
}

/* n: respondents that answered (one answer row per chosen option, so
 * DISTINCT), and the sums of integer answers. */
static sv_status query_n(sql_db *db, const sv_questionnaire *q,
                         const char *const *types, sql_tables *t, sv_error *err)
{
    static const char *const sql =
        "SELECT a.question, r.type, count(DISTINCT a.response_id), "
        "sum(CAST(a.value AS INTEGER)) FROM answer a "
        "JOIN response r ON r.id = a.response_id "
        "GROUP BY a.question, r.type";
    size_t slots = 1 + t->n_types;
    sqlite3_stmt *s = NULL;
    sv_status st = prepare(db, sql, &s, err);
    int rc = SQLITE_DONE;

    while (st == SV_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int i =
            sv_questionnaire_find(q, (const char *)sqlite3_column_text(s, 0));
        int slot = type_slot(types, t->n_types,
                             (const char *)sqlite3_column_text(s, 1));
        if (i < 0 || slot < 0)
            continue;
        add_u32(&t->n[(size_t)i * slots], slot,
                (uint32_t)sqlite3_column_int64(s, 2));
        if (sv_questionnaire_question(q, (size_t)i)->type == SV_Q_INTEGER) {
            int64_t v = sqlite3_column_int64(s, 3);
            t->sum[(size_t)i * slots] += v;
            t->sum[(size_t)i * slots + (size_t)slot] += v;
        }
    }
    if (st == SV_OK && rc != SQLITE_DONE)
        st = sql_fail(db, err, "n query");
    sqlite3_finalize(s);
    return st;
}

/* The conditional rate with its own join: e.g. 自立支援員の外部委託 over
 * respondents with a supporter who answered it. */
static sv_status query_cond(sql_db *db, const char *const *types,
                            const char *question, const char *on, sql_tables *t,
                            sv_error *err)
{
    static const char *const sql =
        "SELECT r.type, sum(a.value = 'yes'), count(*) FROM answer a "
        "JOIN answer c ON c.response_id = a.response_id "
        "AND c.question = ?2 AND c.value = 'yes' "
        "JOIN response r ON r.id = a.response_id "
        "WHERE a.question = ?1 GROUP BY r.type";
    sqlite3_stmt *s = NULL;
    sv_status st = prepare(db, sql, &s, err);
    int rc = SQLITE_DONE;

    if (st == SV_OK &&
        (sqlite3_bind_text(s, 1, question, -1, SQLITE_STATIC) != SQLITE_OK ||
         sqlite3_bind_text(s, 2, on, -1, SQLITE_STATIC) != SQLITE_OK))
        st = sql_fail(db, err, "bind");
    while (st == SV_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        int slot = type_slot(types, t->n_types,
                             (const char *)sqlite3_column_text(s, 0));
        if (slot < 0 || slot >= 16)
            continue;
        add_u32(t->cond_count, slot, (uint32_t)sqlite3_column_int64(s, 1));
        add_u32(t->cond_n, slot, (uint32_t)sqlite3_column_int64(s, 2));
    }
    if (st == SV_OK && rc != SQLITE_DONE)
        st = sql_fail(db, err, "conditional query");
    sqlite3_finalize(s);
    return st;
}

sv_status sql_aggregate(sql_db *db, const sv_questionnaire *q,
                        const char *const *types, size_t n_types,
                        const char *cond_question, const char *cond_on,
                        sql_tables *t, sv_error *err)
{
    size_t nq = sv_questionnaire_count(q);
    size_t n_opts = 0;
    size_t slots = 1 + n_types;
    sv_status st;

    memset(t, 0, sizeof *t);
    if (n_types + 1 > 16)
        return sv_fail(err, SV_ERR_INVALID, "too many respondent types");
    t->n_questions = nq;
    t->n_types = n_types;
    t->opt_base = calloc(nq + 1, sizeof *t->opt_base);
    if (t->opt_base == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < nq; i++) {
        t->opt_base[i] = n_opts;
        n_opts += sv_questionnaire_question(q, i)->n_options;
    }
    t->count = calloc(n_opts * slots + 1, sizeof *t->count);
    t->n = calloc(nq * slots + 1, sizeof *t->n);
    t->sum = calloc(nq * slots + 1, sizeof *t->sum);
    if (t->count == NULL || t->n == NULL || t->sum == NULL) {
        sql_tables_free(t);
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    }
    st = query_counts(db, q, types, t, err);
    if (st == SV_OK)
        st = query_n(db, q, types, t, err);
    if (st == SV_OK)
        st = query_cond(db, types, cond_question, cond_on, t, err);
    if (st != SV_OK)
        sql_tables_free(t);
    return st;
}

void sql_tables_free(sql_tables *t)
{
    free(t->opt_base);
    free(t->count);
    free(t->n);
    free(t->sum);
    memset(t, 0, sizeof *t);
}
