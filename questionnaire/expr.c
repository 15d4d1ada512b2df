/* expr.c: parser and evaluator of the XLSForm expression subset (see
 * expr.h). A hand-written lexer and recursive-descent parser build an AST
 * held in one node array; evaluation walks it without allocating. */
#include "expr.h"
#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#define MAX_DEPTH 64   /* nested parentheses and calls */
#define MAX_NODES 1000 /* bounds evaluation recursion */

typedef enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE } cmp_op;

typedef enum {
    N_OR,
    N_AND,
    N_NOT,
    N_CMP,
    N_SELECTED,
    N_COUNT,
    N_REF,
    N_SELF,
    N_STR,
    N_INT
} node_kind;

struct node {
    node_kind kind;
    cmp_op op;       /* N_CMP */
    int a;           /* first operand (node index), -1 if none */
    int b;           /* second operand, -1 if none */
    int question;    /* N_REF */
    int64_t integer; /* N_INT */
    size_t str;      /* N_STR: offset of the text in src */
    size_t len;      /* N_STR: length of the text */
    /* N_CMP (= and != only) and N_SELECTED of a ${select question} and a
       string literal, after sv_expr_bind(): the index of the option the
       literal names, -1 when it names none; UNBOUND otherwise */
    int option;
};

#define UNBOUND (-2)

struct sv_expr {
    char *src;          /* owned: the trimmed source */
    struct node *nodes; /* owned, n used */
    size_t n;
    size_t cap;
    int root;
};

/* ---- lexer ------------------------------------------------------------ */

typedef enum {
    T_END,
    T_REF,
    T_SELF,
    T_STR,
    T_INT,
    T_LPAREN,
    T_RPAREN,
    T_COMMA,
    T_CMP,
    T_AND,
    T_OR,
    T_NOT,
    T_SELECTED,
    T_COUNT,
    T_NAME /* an identifier that is not a keyword */
} tok_kind;

struct token {
    tok_kind kind;
    size_t pos; /* offset in the trimmed source */
    size_t len;
    cmp_op op;       /* T_CMP */
    int64_t integer; /* T_INT */
};

struct parser {
    sv_expr *e;
    const char *s; /* e->src */
    size_t lead;   /* bytes trimmed from the front of the caller's source */
    struct token tok;
    bool allow_self;
    sv_expr_resolver resolve;
    void *ctx;
    int depth;
    sv_status st;
    sv_error *err;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Characters of a question name after the first: [A-Za-z0-9_.-]. */
static bool is_name_char(char c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

static size_t offset(const struct parser *p, size_t pos)
{
    return p->lead + pos;
}

static void fail_at(struct parser *p, size_t pos, const char *what)
{
    p->st =
        sv_fail(p->err, SV_ERR_PARSE, "%s at offset %zu", what, offset(p, pos));
}

/* "unexpected 'tok' at offset N" for the current token. */
static void fail_unexpected(struct parser *p)
{
    const struct token *t = &p->tok;

    if (t->kind == T_END) {
        fail_at(p, t->pos, "unexpected end of expression");
        return;
    }
    int len = t->len > 40 ? 40 : (int)t->len;
    p->st = sv_fail(p->err, SV_ERR_PARSE, "unexpected '%.*s' at offset %zu",
                    len, p->s + t->pos, offset(p, t->pos));
}

static bool lex_ref(struct parser *p, size_t pos)
{
    const char *s = p->s;
    size_t i = pos + 2;

    if (s[pos + 1] != '{') {
        fail_at(p, pos, "expected '{' after '$'");
        return false;
    }
    if (!is_alpha(s[i]) && s[i] != '_') {
        fail_at(p, pos, "bad question reference");
        return false;
    }
    while (is_name_char(s[i]))
        i++;
    if (s[i] != '}') {
        fail_at(p, pos,
                s[i] == '\0' ? "unterminated reference"
                             : "bad question reference");
        return false;
    }
    p->tok.kind = T_REF;
    p->tok.len = i + 1 - pos;
    return true;
}

static bool lex_string(struct parser *p, size_t pos)
{
    const char *end = strchr(p->s + pos + 1, p->s[pos]);

    if (end == NULL) {
        fail_at(p, pos, "unterminated string");
        return false;
    }
    p->tok.kind = T_STR;
    p->tok.len = (size_t)(end - (p->s + pos)) + 1;
    return true;
}

static bool lex_integer(struct parser *p, size_t pos)
{
    const char *s = p->s;
    bool neg = s[pos] == '-';
    size_t i = neg ? pos + 1 : pos;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;

    for (; is_digit(s[i]); i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (limit - d) / 10) {
            fail_at(p, pos, "integer out of range");
            return false;
        }
        v = v * 10 + d;
    }
    p->tok.kind = T_INT;
    p->tok.len = i - pos;
    if (!neg)
        p->tok.integer = (int64_t)v;
    else if (v == (uint64_t)INT64_MAX + 1)
        p->tok.integer = INT64_MIN;
    else
        p->tok.integer = -(int64_t)v;
    return true;
}

static void lex_word(struct parser *p, size_t pos)
{
    static const struct {
        const char *word;
        tok_kind kind;
    } keywords[] = {{"and", T_AND},
                    {"or", T_OR},
                    {"not", T_NOT},
                    {"selected", T_SELECTED},
                    {"count-selected", T_COUNT}};
    size_t i = pos + 1;

    while (is_alpha(p->s[i]) || is_digit(p->s[i]) || p->s[i] == '_' ||
           p->s[i] == '-')
        i++;
    p->tok.kind = T_NAME;
    p->tok.len = i - pos;
    for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++) {
        if (strlen(keywords[k].word) == p->tok.len &&
            memcmp(keywords[k].word, p->s + pos, p->tok.len) == 0)
            p->tok.kind = keywords[k].kind;
    }
}

static bool lex_compare(struct parser *p, size_t pos)
{
    const char *s = p->s + pos;
    bool eq = s[1] == '=';

    p->tok.kind = T_CMP;
    p->tok.len = 1;
    switch (s[0]) {
    case '=':
        p->tok.op = C_EQ;
        return true;
    case '!':
        if (!eq) {
            fail_at(p, pos, "expected '=' after '!'");
            return false;
        }
        p->tok.op = C_NE;
        break;
    case '<':
        p->tok.op = eq ? C_LE : C_LT;
        break;
    default: /* '>' */
        p->tok.op = eq ? C_GE : C_GT;
        break;
    }
    if (eq)
        p->tok.len = 2;
    return true;
}

/* Reads the token that starts at or after pos into p->tok. */
static bool lex_at(struct parser *p, size_t pos)
{
    const char *s = p->s;

    while (is_space(s[pos]))
        pos++;
    memset(&p->tok, 0, sizeof p->tok);
    p->tok.pos = pos;
    p->tok.len = 1;
    char c = s[pos];
    if (c == '\0') {
        p->tok.kind = T_END;
        p->tok.len = 0;
        return true;
    }
    if (c == '$')
        return lex_ref(p, pos);
    if (c == '\'' || c == '"')
        return lex_string(p, pos);
    if (is_digit(c) || (c == '-' && is_digit(s[pos + 1])))
        return lex_integer(p, pos);
    if (is_alpha(c)) {
        lex_word(p, pos);
        return true;
    }
    switch (c) {
    case '.':
        p->tok.kind = T_SELF;
        return true;
    case '(':
        p->tok.kind = T_LPAREN;
        return true;
    case ')':
        p->tok.kind = T_RPAREN;
        return true;
    case ',':
        p->tok.kind = T_COMMA;
        return true;
    case '=':
    case '!':
    case '<':
    case '>':
        return lex_compare(p, pos);
    default:
        break;
    }
    size_t n = sv_utf8_seq(s + pos, strlen(s + pos));
    p->tok.kind = T_NAME; /* anything but T_END, for the message */
    p->tok.len = n > 0 ? n : 1;
    fail_unexpected(p);
    return false;
}

static bool next(struct parser *p)
{
    return lex_at(p, p->tok.pos + p->tok.len);
}

static bool expect(struct parser *p, tok_kind kind, const char *what)
{
    if (p->tok.kind != kind) {
        p->st = sv_fail(p->err, SV_ERR_PARSE, "expected %s at offset %zu", what,
                        offset(p, p->tok.pos));
        return false;
    }
    return next(p);
}

/* ---- parser ----------------------------------------------------------- */

static int add_node(struct parser *p, node_kind kind, int a, int b)
{
    sv_expr *e = p->e;

    if (e->n >= MAX_NODES) {
        fail_at(p, p->tok.pos, "expression too long");
        return -1;
    }
    if (e->n == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 8;
        struct node *nodes = realloc(e->nodes, cap * sizeof *nodes);
        if (nodes == NULL) {
            p->st = sv_fail(p->err, SV_ERR_NOMEM, "out of memory");
            return -1;
        }
        e->nodes = nodes;
        e->cap = cap;
    }
    struct node *n = &e->nodes[e->n];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->a = a;
    n->b = b;
    n->question = -1;
    n->option = UNBOUND;
    return (int)e->n++;
}

static int parse_or(struct parser *p);

/* ${name} or `.`, as the first argument of a function or a primary. */
static int parse_ref(struct parser *p)
{
    const struct token t = p->tok;
    int n;

    if (t.kind == T_SELF) {
        if (!p->allow_self) {
            fail_at(p, t.pos, "'.' is only allowed in constraint");
            return -1;
        }
        n = add_node(p, N_SELF, -1, -1);
    } else if (t.kind == T_REF) {
        int q = p->resolve(p->ctx, p->s + t.pos + 2, t.len - 3);
        if (q < 0) {
            p->st = sv_fail(p->err, SV_ERR_PARSE,
                            "unknown question %.*s at offset %zu", (int)t.len,
                            p->s + t.pos, offset(p, t.pos));
            return -1;
        }
        n = add_node(p, N_REF, -1, -1);
        if (n >= 0)
            p->e->nodes[n].question = q;
    } else {
        p->st = sv_fail(p->err, SV_ERR_PARSE,
                        "expected ${question} or . at offset %zu",
                        offset(p, t.pos));
        return -1;
    }
    if (n < 0 || !next(p))
        return -1;
    return n;
}

/* not( e ), selected( r , e ), count-selected( r ). */
static int parse_call(struct parser *p)
{
    tok_kind kind = p->tok.kind;
    int a = -1;
    int b = -1;

    if (!next(p) || !expect(p, T_LPAREN, "'('"))
        return -1;
    if (kind == T_NOT) {
        a = parse_or(p);
    } else {
        a = parse_ref(p);
        if (a >= 0 && kind == T_SELECTED) {
            if (!expect(p, T_COMMA, "','"))
                return -1;
            b = parse_or(p);
            if (b < 0)
                return -1;
        }
    }
    if (a < 0 || !expect(p, T_RPAREN, "')'"))
        return -1;
    if (kind == T_NOT)
        return add_node(p, N_NOT, a, -1);
    return add_node(p, kind == T_SELECTED ? N_SELECTED : N_COUNT, a, b);
}

/* An identifier that is not a keyword: an unknown function or a stray
 * word. */
static int fail_name(struct parser *p)
{
    const struct token t = p->tok;
    size_t i = t.pos + t.len;

    while (is_space(p->s[i]))
        i++;
    if (p->s[i] == '(') {
        p->st = sv_fail(p->err, SV_ERR_PARSE,
                        "unknown function %.*s() at offset %zu", (int)t.len,
                        p->s + t.pos, offset(p, t.pos));
        return -1;
    }
    fail_unexpected(p);
    return -1;
}

static int parse_primary_inner(struct parser *p)
{
    const struct token t = p->tok;
    int n;

    switch (t.kind) {
    case T_LPAREN:
        if (!next(p))
            return -1;
        n = parse_or(p);
        if (n < 0 || !expect(p, T_RPAREN, "')'"))
            return -1;
        return n;
    case T_NOT:
    case T_SELECTED:
    case T_COUNT:
        return parse_call(p);
    case T_REF:
    case T_SELF:
        return parse_ref(p);
    case T_STR:
        n = add_node(p, N_STR, -1, -1);
        if (n < 0)
            return -1;
        p->e->nodes[n].str = t.pos + 1;
        p->e->nodes[n].len = t.len - 2;
        return next(p) ? n : -1;
    case T_INT:
        n = add_node(p, N_INT, -1, -1);
        if (n < 0)
            return -1;
        p->e->nodes[n].integer = t.integer;
        return next(p) ? n : -1;
    case T_NAME:
        return fail_name(p);
    default:
        fail_unexpected(p);
        return -1;
    }
}

static int parse_primary(struct parser *p)
{
    if (p->depth >= MAX_DEPTH) {
        fail_at(p, p->tok.pos, "expression nested too deeply");
        return -1;
    }
    p->depth++;
    int n = parse_primary_inner(p);
    p->depth--;
    return n;
}

static int parse_compare(struct parser *p)
{
    int left = parse_primary(p);

    while (left >= 0 && p->tok.kind == T_CMP) {
        cmp_op op = p->tok.op;
        if (!next(p))
            return -1;
        int right = parse_primary(p);
        if (right < 0)
            return -1;
        left = add_node(p, N_CMP, left, right);
        if (left >= 0)
            p->e->nodes[left].op = op;
    }
    return left;
}

static int parse_and(struct parser *p)
{
    int left = parse_compare(p);

    while (left >= 0 && p->tok.kind == T_AND) {
        if (!next(p))
            return -1;
        int right = parse_compare(p);
        if (right < 0)
            return -1;
        left = add_node(p, N_AND, left, right);
    }
    return left;
}

static int parse_or(struct parser *p)
{
    int left = parse_and(p);

    while (left >= 0 && p->tok.kind == T_OR) {
        if (!next(p))
            return -1;
        int right = parse_and(p);
        if (right < 0)
            return -1;
        left = add_node(p, N_OR, left, right);
    }
    return left;
}

sv_status sv_expr_parse(sv_expr **out, const char *src, bool allow_self,
                        sv_expr_resolver resolve, void *ctx, sv_error *err)
{
    struct parser p;
    size_t lead = 0;
    size_t len = strlen(src);

    *out = NULL;
    while (is_space(src[lead]))
        lead++;
    while (len > lead && is_space(src[len - 1]))
        len--;
    memset(&p, 0, sizeof p);
    p.lead = lead;
    p.allow_self = allow_self;
    p.resolve = resolve;
    p.ctx = ctx;
    p.err = err;
    p.e = calloc(1, sizeof *p.e);
    if (p.e == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    p.e->src = malloc(len - lead + 1);
    if (p.e->src == NULL) {
        p.st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(p.e->src, src + lead, len - lead);
    p.e->src[len - lead] = '\0';
    p.s = p.e->src;
    if (!lex_at(&p, 0))
        goto fail;
    if (p.tok.kind == T_END) {
        fail_at(&p, 0, "empty expression");
        goto fail;
    }
    p.e->root = parse_or(&p);
    if (p.e->root < 0)
        goto fail;
    if (p.tok.kind != T_END) {
        fail_unexpected(&p);
        goto fail;
    }
    *out = p.e;
    return SV_OK;

fail:
    sv_expr_destroy(&p.e);
    return p.st;
}

void sv_expr_destroy(sv_expr **self)
{
    if (self == NULL || *self == NULL)
        return;
    free((*self)->nodes);
    free((*self)->src);
    free(*self);
    *self = NULL;
}

const char *sv_expr_source(const sv_expr *e)
{
    return e->src;
}

bool sv_expr_is_or(const sv_expr *e)
{
    return e->nodes[e->root].kind == N_OR;
}

int sv_expr_last_question(const sv_expr *e)
{
    int last = -1;

    for (size_t i = 0; i < e->n; i++) {
        if (e->nodes[i].kind == N_SELF)
            return INT_MAX;
        if (e->nodes[i].kind == N_REF && e->nodes[i].question > last)
            last = e->nodes[i].question;
    }
    return last;
}

/* ---- binding ---------------------------------------------------------- */

/* The question node i refers to when it is a ${reference} to a select
 * question, else NULL. */
static const sv_question *select_ref(const sv_expr *e, int i,
                                     const sv_question *questions,
                                     size_t n_questions)
{
    if (i < 0 || e->nodes[i].kind != N_REF || e->nodes[i].question < 0 ||
        (size_t)e->nodes[i].question >= n_questions)
        return NULL;
    const sv_question *q = &questions[e->nodes[i].question];
    if (q->type != SV_Q_SELECT_ONE && q->type != SV_Q_SELECT_MULTIPLE)
        return NULL;
    return q;
}

/* The index of the option of q named by the string literal node i: -1 when
 * it names none, UNBOUND when node i is not a non-empty string literal. */
static int literal_option(const sv_expr *e, int i, const sv_question *q)
{
    const struct node *s = &e->nodes[i];

    if (s->kind != N_STR || s->len == 0)
        return UNBOUND;
    for (size_t k = 0; k < q->n_options && k < 64; k++) {
        const char *name = q->options[k].name;
        if (strlen(name) == s->len &&
            memcmp(name, e->src + s->str, s->len) == 0)
            return (int)k;
    }
    /* option names are unique, so no option equals the literal; past 64
       options a set cannot hold it, but a single choice can: not bound */
    return q->n_options > 64 ? UNBOUND : -1;
}

void sv_expr_bind(sv_expr *e, const sv_question *questions, size_t n_questions)
{
    for (size_t i = 0; i < e->n; i++) {
        struct node *n = &e->nodes[i];
        const sv_question *q;
        n->option = UNBOUND;
        if (n->kind == N_SELECTED) {
            q = select_ref(e, n->a, questions, n_questions);
            if (q != NULL)
                n->option = literal_option(e, n->b, q);
        } else if (n->kind == N_CMP && (n->op == C_EQ || n->op == C_NE)) {
            q = select_ref(e, n->a, questions, n_questions);
            if (q != NULL && q->type == SV_Q_SELECT_ONE) {
                n->option = literal_option(e, n->b, q);
                continue;
            }
            q = select_ref(e, n->b, questions, n_questions);
            if (q != NULL && q->type == SV_Q_SELECT_ONE)
                n->option = literal_option(e, n->a, q);
        }
    }
}

/* ---- evaluation ------------------------------------------------------- */

typedef enum { V_BOOL, V_NUM, V_STR, V_SET } val_kind;

struct val {
    val_kind kind;
    int64_t n;            /* V_BOOL (0 or 1), V_NUM */
    const char *s;        /* V_STR, not NUL-terminated */
    size_t len;           /* V_STR */
    const sv_question *q; /* V_SET: the question whose options... */
    uint64_t set;         /* V_SET: ...are selected, bit i = option i */
};

static struct val val_str(const char *s, size_t len)
{
    struct val v = {.kind = V_STR, .s = s, .len = len};
    return v;
}

static struct val val_num(val_kind kind, int64_t n)
{
    struct val v = {.kind = kind, .n = n};
    return v;
}

static uint64_t option_mask(size_t n_options)
{
    return n_options >= 64 ? UINT64_MAX : (UINT64_C(1) << n_options) - 1;
}

static struct val read_question(const sv_expr_env *env, int qi)
{
    const sv_question *q = &env->questions[qi];
    const sv_value *v = &env->values[qi];

    if (env->relevant != NULL && (size_t)qi < env->n_known &&
        !env->relevant[qi])
        return val_str("", 0);
    switch (v->kind) {
    case SV_V_CHOICE:
        if (v->choice >= q->n_options)
            break;
        return val_str(q->options[v->choice].name,
                       strlen(q->options[v->choice].name));
    case SV_V_CHOICES: {
        struct val set = {.kind = V_SET, .q = q};
        set.set = v->choices & option_mask(q->n_options);
        return set;
    }
    case SV_V_INTEGER:
        return val_num(V_NUM, v->integer);
    case SV_V_TEXT:
        if (v->text == NULL)
            break;
        return val_str(v->text, v->text_len);
    case SV_V_NONE:
        break;
    }
    return val_str("", 0);
}

/* Walks the bytes of a string or of a set read as a string. */
struct cursor {
    const struct val *v;
    size_t opt;     /* V_SET: current option */
    size_t pos;     /* byte in the string or in the option's name */
    bool emitted;   /* V_SET: an option name has been emitted */
    bool separated; /* V_SET: the space before this option is emitted */
};

static int cursor_next(struct cursor *c)
{
    const struct val *v = c->v;

    if (v->kind == V_STR)
        return c->pos < v->len ? (unsigned char)v->s[c->pos++] : -1;
    for (; c->opt < v->q->n_options && c->opt < 64; c->opt++) {
        if (!(v->set & (UINT64_C(1) << c->opt)))
            continue;
        if (c->emitted && !c->separated) {
            c->separated = true;
            return ' ';
        }
        const char *name = v->q->options[c->opt].name;
        if (name[c->pos] != '\0')
            return (unsigned char)name[c->pos++];
        c->emitted = true;
        c->separated = false;
        c->pos = 0;
    }
    return -1;
}

/* Reads a string value as an integer: -?[0-9]+ within 64 bits. */
static bool string_integer(const struct val *v, int64_t *out)
{
    struct cursor c = {.v = v};
    int ch = cursor_next(&c);
    bool neg = ch == '-';
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t n = 0;
    bool digits = false;

    if (neg)
        ch = cursor_next(&c);
    for (; ch >= 0; ch = cursor_next(&c)) {
        if (ch < '0' || ch > '9')
            return false;
        uint64_t d = (uint64_t)(ch - '0');
        if (n > (limit - d) / 10)
            return false;
        n = n * 10 + d;
        digits = true;
    }
    if (!digits)
        return false;
    if (!neg)
        *out = (int64_t)n;
    else if (n == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)n;
    return true;
}

static int compare_bytes(const struct val *a, const struct val *b)
{
    struct cursor ca = {.v = a};
    struct cursor cb = {.v = b};

    if (a->kind == V_STR && b->kind == V_STR) {
        /* the common case, without the cursors: bytes, then length */
        int c = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
        if (c != 0)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }

    for (;;) {
        int x = cursor_next(&ca);
        int y = cursor_next(&cb);
        if (x != y)
            return x < y ? -1 : 1;
        if (x < 0)
            return 0;
    }
}

static int compare_int(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static bool is_number(const struct val *v)
{
    return v->kind == V_NUM || v->kind == V_BOOL;
}

static bool compare(const struct val *a, const struct val *b, cmp_op op)
{
    int c;

    if (is_number(a) && is_number(b)) {
        c = compare_int(a->n, b->n);
    } else if (is_number(a) || is_number(b)) {
        int64_t x;
        if (!string_integer(is_number(a) ? b : a, &x))
            return op == C_NE;
        c = is_number(a) ? compare_int(a->n, x) : compare_int(x, b->n);
    } else {
        c = compare_bytes(a, b);
    }
    switch (op) {
    case C_EQ:
        return c == 0;
    case C_NE:
        return c != 0;
    case C_LT:
        return c < 0;
    case C_LE:
        return c <= 0;
    case C_GT:
        return c > 0;
    case C_GE:
        return c >= 0;
    }
    return false;
}

static bool truth(const struct val *v)
{
    switch (v->kind) {
    case V_BOOL:
    case V_NUM:
        return v->n != 0;
    case V_STR:
        return v->len > 0;
    case V_SET:
        return v->set != 0;
    }
    return false;
}

static bool answered(const struct val *v)
{
    return v->kind != V_STR || v->len > 0;
}

static struct val eval(const sv_expr *e, int i, const sv_expr_env *env);

static bool eval_selected(const sv_expr *e, const struct node *n,
                          const sv_expr_env *env)
{
    struct val r = eval(e, n->a, env);
    struct val v = eval(e, n->b, env);

    if (r.kind != V_SET)
        return answered(&r) && compare(&r, &v, C_EQ);
    for (size_t i = 0; i < r.q->n_options && i < 64; i++) {
        if (!(r.set & (UINT64_C(1) << i)))
            continue;
        const char *name = r.q->options[i].name;
        struct val opt = val_str(name, strlen(name));
        if (compare(&opt, &v, C_EQ))
            return true;
    }
    return false;
}

static int64_t eval_count(const sv_expr *e, const struct node *n,
                          const sv_expr_env *env)
{
    struct val r = eval(e, n->a, env);
    int64_t count = 0;

    if (r.kind != V_SET)
        return answered(&r) ? 1 : 0;
    for (uint64_t set = r.set; set != 0; set &= set - 1)
        count++;
    return count;
}

/* For a node bound by sv_expr_bind(): whether the referenced question's
 * value holds option n->option (1) or not (0), read as the general rules
 * would; -1 when the value is one those rules must read (unanswered, known
 * not relevant, or not a decoded choice). */
static int bound_choice(const sv_expr *e, const struct node *n,
                        const sv_expr_env *env)
{
    const struct node *ref =
        e->nodes[n->a].kind == N_REF ? &e->nodes[n->a] : &e->nodes[n->b];
    int qi = ref->question;
    const sv_question *q = &env->questions[qi];
    const sv_value *v = &env->values[qi];

    if (env->relevant != NULL && (size_t)qi < env->n_known &&
        !env->relevant[qi])
        return -1;
    if (v->kind == SV_V_CHOICE && v->choice < q->n_options)
        return n->option >= 0 && v->choice == (uint32_t)n->option;
    if (v->kind == SV_V_CHOICES && n->kind == N_SELECTED)
        return n->option >= 0 && (v->choices & option_mask(q->n_options) &
                                  (UINT64_C(1) << n->option)) != 0;
    return -1;
}

static struct val eval(const sv_expr *e, int i, const sv_expr_env *env)
{
    const struct node *n = &e->nodes[i];
    int bound = n->option != UNBOUND ? bound_choice(e, n, env) : -1;

    /* an option named by a literal, looked up at binding: names are
       unique, so equal names are equal indexes */
    if (bound >= 0 && n->kind == N_CMP)
        return val_num(V_BOOL, n->op == C_EQ ? bound : !bound);
    if (bound >= 0)
        return val_num(V_BOOL, bound);
    struct val a;
    struct val b;

    switch (n->kind) {
    case N_OR:
        a = eval(e, n->a, env);
        if (truth(&a))
            return val_num(V_BOOL, 1);
        b = eval(e, n->b, env);
        return val_num(V_BOOL, truth(&b));
    case N_AND:
        a = eval(e, n->a, env);
        if (!truth(&a))
            return val_num(V_BOOL, 0);
        b = eval(e, n->b, env);
        return val_num(V_BOOL, truth(&b));
    case N_NOT:
        a = eval(e, n->a, env);
        return val_num(V_BOOL, !truth(&a));
    case N_CMP:
        a = eval(e, n->a, env);
        b = eval(e, n->b, env);
        return val_num(V_BOOL, compare(&a, &b, n->op));
    case N_SELECTED:
        return val_num(V_BOOL, eval_selected(e, n, env));
    case N_COUNT:
        return val_num(V_NUM, eval_count(e, n, env));
    case N_REF:
        return read_question(env, n->question);
    case N_SELF:
        if (env->self < 0)
            return val_str("", 0);
        return read_question(env, env->self);
    case N_STR:
        return val_str(e->src + n->str, n->len);
    case N_INT:
        return val_num(V_NUM, n->integer);
    }
    return val_str("", 0);
}

bool sv_expr_eval(const sv_expr *e, const sv_expr_env *env)
{
    struct val v = eval(e, e->root, env);
    return truth(&v);
}
