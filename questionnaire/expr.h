/* expr.h: the XLSForm expression subset used in the `relevant` and
 * `constraint` columns, parsed once at load into an AST and evaluated
 * against decoded answers (sv_value).
 *
 * Syntax
 *   ${name}           a question, by name (resolved at parse time)
 *   .                 the answer itself (constraint only)
 *   'text' "text"     string literals (no escapes; may hold any UTF-8)
 *   42  -7            integer literals (64-bit)
 *   a = b  a != b  a < b  a <= b  a > b  a >= b
 *   a and b   a or b   not(a)   ( a )
 *   selected(R, v)    R is ${name} or .
 *   count-selected(R) R is ${name} or .
 * Precedence, loosest first: or, and, comparison (left-associative); a
 * comparison's operands are primaries (literal, reference, call or
 * parenthesised expression). Whitespace is free between tokens.
 *
 * Values
 *   A reference yields, by the question's decoded value:
 *     select_one       the option name (a string)
 *     select_multiple  the set of selected options; read as a string it is
 *                      the option names in list order joined by one space
 *     integer          a number
 *     text             the string
 *     unanswered       the empty string '' (also a question already found
 *                      not relevant: see sv_expr_env.relevant)
 *   Comparisons and `not`, `and`, `or` yield booleans; count-selected yields
 *   a number. In a comparison a boolean counts as the number 1 or 0.
 *
 * Comparisons
 *   number vs number  numeric.
 *   number vs string  the string is read as an integer (an optional '-' and
 *                     decimal digits, nothing else, within 64 bits); if it is
 *                     not one (including '') then = < <= > >= are false and
 *                     != is true.
 *   string vs string  bytewise (unsigned bytes, a prefix sorts first).
 *
 * Truthiness: a boolean is itself; a number is true when != 0; a string
 * (or set) is true when non-empty.
 *
 * Functions
 *   selected(R, v)     R a set: true if some selected option's name = v;
 *                      R a single value: true if R is answered and R = v.
 *                      (= as above, so selected(${n}, 3) works on integers.)
 *   count-selected(R)  a set: the number of selected options; a single
 *                      value: 1 if answered, 0 if not.
 *   not(a)             the negation of a's truthiness.
 * `and` and `or` evaluate left to right and stop early. */
#ifndef SV_EXPR_H
#define SV_EXPR_H

#include "questionnaire.h"
#include "status.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct sv_expr sv_expr;

/* Maps the name[0..len) of a ${name} reference to a question index >= 0, or
 * returns -1 if there is no such question. */
typedef int (*sv_expr_resolver)(void *ctx, const char *name, size_t len);

/* Parses src (leading and trailing whitespace ignored; must not be empty).
 * `.` is accepted only when allow_self is true. References are resolved
 * with resolve(ctx, ...). Returns SV_OK and sets *out (owned by the caller:
 * sv_expr_destroy()), SV_ERR_NOMEM, or SV_ERR_PARSE with err holding e.g.
 * "unknown question ${foo} at offset 2": the offset is the 0-based byte
 * offset in src of the offending token. */
sv_status sv_expr_parse(sv_expr **out, const char *src, bool allow_self,
                        sv_expr_resolver resolve, void *ctx, sv_error *err);

/* Frees *self and sets it to NULL. NULL-safe. */
void sv_expr_destroy(sv_expr **self);

/* The source text, whitespace-trimmed. Owned by the expression. */
const char *sv_expr_source(const sv_expr *e);

/* True if the top-level operator is `or`: the source then needs
 * parentheses when joined to another expression with " and ". */
bool sv_expr_is_or(const sv_expr *e);

/* The highest question index e reads (${name} references), -1 if none;
 * INT_MAX if it reads the current question (.), whichever that is. */
int sv_expr_last_question(const sv_expr *e);

/* Looks up, once, the options that string literals name where they are
 * compared (= or !=) with a select_one question or tested with selected()
 * on a select question, so that evaluation compares option indexes
 * instead of names. questions must be the array the resolver indexed, with
 * its options; the result of every evaluation is the same as without. */
void sv_expr_bind(sv_expr *e, const sv_question *questions, size_t n_questions);

/* What an evaluation reads. */
typedef struct {
    const sv_question *questions; /* indexed as the resolver answered */
    const sv_value *values;       /* one decoded value per question */
    /* If non-NULL, relevant[j] for j < n_known says whether question j is
     * relevant; a question known not to be relevant reads as unanswered.
     * Questions j >= n_known read their value as is. */
    const bool *relevant;
    size_t n_known;
    int self; /* the question `.` refers to */
} sv_expr_env;

/* Evaluates e and returns its truthiness. Never fails. */
bool sv_expr_eval(const sv_expr *e, const sv_expr_env *env);

#endif
