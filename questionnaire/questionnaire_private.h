/* questionnaire_private.h: the layout of sv_questionnaire, shared by
 * questionnaire.c (loading, accessors, relevance) and validate.c (answer
 * validation). Not installed, not part of the public API. */
#ifndef SV_QUESTIONNAIRE_PRIVATE_H
#define SV_QUESTIONNAIRE_PRIVATE_H

#include "expr.h"
#include "questionnaire.h"
#include "sheet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a question needs beyond the public sv_question. */
struct sv_qinfo {
    size_t row;                     /* data row in survey.csv */
    sv_expr *relevant;              /* owned, or NULL */
    sv_expr *constraint;            /* owned, or NULL */
    const char *constraint_message; /* "" if none; owned by the sheet */
    char *relevant_text;            /* owned: effective relevance, or "" */
};

struct sv_ginfo {
    size_t row;        /* data row in survey.csv */
    sv_expr *relevant; /* owned, or NULL */
    /* relevant reads only questions before the group's first one, so it
       has the same value for every question in the group: a relevance
       pass evaluates it once */
    bool settled;
};

/* A choice list: options[first .. first + n) of the questionnaire. */
struct sv_list {
    const char *name; /* owned by the choices sheet */
    size_t first;
    size_t n;
};

/* A name and what it names, for binary search. */
struct sv_name_index {
    const char *name; /* owned by a sheet */
    size_t len;       /* strlen(name) */
    size_t index;
};

/* Every string pointed to below is owned by one of the sheets, unless
 * stated otherwise; the arrays are owned by the questionnaire. */
struct sv_questionnaire {
    sv_sheet *settings;
    sv_sheet *survey;
    sv_sheet *choices;
    sv_sheet *roster_sheet;

    const char *id;
    const char *version;
    const char *title;

    sv_option *options; /* every list's options, each list contiguous */
    size_t n_options;
    struct sv_list *lists;
    size_t n_lists;

    sv_question *questions; /* n_questions, sheet order */
    struct sv_qinfo *qinfo; /* parallel to questions */
    size_t n_questions;
    struct sv_name_index *question_index; /* sorted by name */

    sv_group *groups; /* n_groups, sheet order */
    struct sv_ginfo *ginfo;
    size_t n_groups;

    sv_respondent *roster;
    char *roster_strings; /* owned: every string of the roster */
    size_t n_roster;
    struct sv_name_index *roster_index; /* sorted by code */
    /* by code: codes are 6 digits, so code_slot[code] is the respondent's
       index + 1, or 0; ROSTER_CODES entries, made with calloc so that the
       pages of codes not in the roster are never touched */
    uint32_t *code_slot;

    /* Compact record layout (compact.c), set by sv_compact_layout(). */
    size_t *slot;        /* owned: byte offset of each question's slot */
    size_t compact_size; /* bytes of a record */
    uint32_t fingerprint;
};

/* Effective relevance of question i given values (one per question), where
 * relevant[0..i) already holds the relevance of the questions before it:
 * a question known not to be relevant reads as unanswered. */
bool sv_questionnaire_relevant_at(const sv_questionnaire *q, size_t i,
                                  const sv_value *values, const bool *relevant);

/* Computes the compact record layout of a loaded q (compact.c): slot
 * offsets, record size and fingerprint. SV_OK or SV_ERR_NOMEM. */
sv_status sv_compact_layout(sv_questionnaire *q, sv_error *err);

#endif
