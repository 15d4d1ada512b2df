/* sqlite_baseline.h: the comparison the benchmark measures us against: the
 * relational design typical survey back ends use, in SQLite. One row per
 * response, one row per answer (a select_multiple answer is one row per
 * chosen option), one transaction per submission, WAL with
 * synchronous=FULL (durable like LMDB's default); the report's tables
 * computed with SQL GROUP BY.
 *
 *   response(id INTEGER PRIMARY KEY, respondent TEXT UNIQUE, type TEXT,
 *            revision INTEGER)
 *   answer(response_id INTEGER, question TEXT, value TEXT)
 *   index answer_by_response(response_id, question) */
#ifndef SV_BENCH_SQLITE_H
#define SV_BENCH_SQLITE_H

#include "questionnaire.h"
#include "status.h"
#include "survey.pb-c.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sql_db sql_db;

/* Creates a new database at path (removing an old one). */
sv_status sql_open(sql_db **out, const char *path, sv_error *err);
void sql_close(sql_db **db);

/* BEGIN / COMMIT, for callers that group inserts (the bulk load). */
sv_status sql_begin(sql_db *db, sv_error *err);
sv_status sql_commit(sql_db *db, sv_error *err);

/* Inserts one submission (its response row and its answer rows) in the
 * caller's transaction. type: the respondent's type. */
sv_status sql_insert(sql_db *db, const Survey__V1__Submission *sub,
                     const char *type, sv_error *err);

/* The tables the SQL computes, indexed like the report's: per select
 * question, option and type (0 = all, 1 + t = the t-th of types) the
 * count, and per question and type n (respondents who answered; only
 * relevant answers are ever stored, so n is the relevance-aware
 * denominator); the integer sums; and the conditional rate of the
 * question cond_question ("yes" among respondents whose cond_on = 'yes'
 * and who answered it), computed with an explicit join. */
typedef struct {
    size_t n_questions;
    size_t n_types;   /* slots = 1 + n_types */
    size_t *opt_base; /* per question */
    uint32_t *count;  /* [(opt_base[i] + o) * slots + slot] */
    uint32_t *n;      /* [i * slots + slot] */
    int64_t *sum;     /* [i * slots + slot] */
    uint32_t cond_count[16];
    uint32_t cond_n[16];
} sql_tables;

/* Runs the GROUP BY queries over everything loaded and fills *t (free with
 * sql_tables_free). types[0..n_types): the respondent types in roster
 * order. */
sv_status sql_aggregate(sql_db *db, const sv_questionnaire *q,
                        const char *const *types, size_t n_types,
                        const char *cond_question, const char *cond_on,
                        sql_tables *t, sv_error *err);
void sql_tables_free(sql_tables *t);

#endif
