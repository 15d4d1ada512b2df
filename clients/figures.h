/* figures.h: the small pieces every view of a snapshot writes the same
 * way: a percentage with its count and denominator, integers with
 * thousands separators, a digest in hex, the figure of one respondent type.
 *
 * Percentages are the server's strings (rounded half up there); nothing
 * here computes one. */
#ifndef SV_FIGURES_H
#define SV_FIGURES_H

#include "status.h"
#include "survey.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hex digits of a digest shown in one-line summaries. */
#define SV_DIGEST_SHORT 12

/* "97%", or "-" when the server sent no percentage (n = 0). Writes into buf
 * and returns it; size >= 32 is always enough for the server's strings. */
char *sv_fig_percent(const char *percent, char *buf, size_t size);

/* "97% (133/137)", or "- (0/0)". Returns buf; size >= 64 is enough. */
char *sv_fig_rate(const Survey__V1__Figure *f, char *buf, size_t size);

/* 2203 -> "2,203", -1234567 -> "-1,234,567". Returns buf; size >= 32 is
 * enough. */
char *sv_fig_thousands(int64_t v, char *buf, size_t size);

/* A matrix cell for people: a decimal integer gets thousands separators,
 * anything else is returned as it is (cell itself, not buf). */
const char *sv_fig_cell(const char *cell, char *buf, size_t size);

/* The digest as lowercase hex, at most max_digits digits (0 = all).
 * Returns buf; "" for an empty digest. size >= 2 * bytes + 1 is enough. */
char *sv_fig_digest(ProtobufCBinaryData digest, size_t max_digits, char *buf,
                    size_t size);

/* The figure of respondent_type in figs[0..n), or NULL. */
const Survey__V1__Figure *sv_fig_find(Survey__V1__Figure *const *figs, size_t n,
                                      const char *respondent_type);

/* The completeness figure of respondent_type, or NULL. */
const Survey__V1__CompletenessFigure *
sv_fig_find_completeness(const Survey__V1__Completeness *c,
                         const char *respondent_type);

/* The label the snapshot's tables give the question called name (rates,
 * matrix columns, frequencies, listings), or NULL when none of them is
 * about it. */
const char *sv_fig_question_label(const Survey__V1__Snapshot *s,
                                  const char *name);

/* The Japanese name of a respondent type for reports: "全体" for "all",
 * else the type itself. */
const char *sv_fig_type_name(const char *respondent_type);

/* The matrix total of question for respondent_type, or NULL. */
const Survey__V1__MatrixTotal *sv_fig_find_total(const Survey__V1__Matrix *m,
                                                 const char *question,
                                                 const char *respondent_type);

/* The respondent types a matrix is grouped by: the snapshot's, then any
 * type a row names that they do not list (so that no row is left out).
 * *types (malloc'd; the strings are borrowed from s) holds *n of them.
 * s->matrix must be set. */
sv_status sv_fig_matrix_types(const Survey__V1__Snapshot *s,
                              const char ***types, size_t *n, sv_error *err);

/* How many respondents are in state (not started or incomplete): those
 * listed, or, when the snapshot leaves the list out (detail_omitted), the
 * figure of all respondents. */
size_t sv_fig_state_count(const Survey__V1__Completeness *c,
                          Survey__V1__RespondentStatus__State state,
                          bool detail_omitted);

#endif
