/* csv_table.c: see csv_table.h. As questionnaire/sheet.c does, the file is
 * fed to libcsv one physical line at a time so that each row knows the
 * line it starts on: the first non-blank line fed while no row is in
 * progress. */
#include "csv_table.h"

#include "lines.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

typedef struct {
    char **fields; /* owned, each NUL-terminated */
    size_t n, cap;
    unsigned long line;
} row;

struct sv_csv_table {
    row *rows; /* owned */
    size_t n, cap;
};

/* State of the libcsv callbacks, which cannot fail: the first failure is
 * kept in st and the rest ignored. */
typedef struct {
    sv_csv_table *t;
    row cur; /* being assembled, owned */
    unsigned long line;
    unsigned long row_line;
    bool in_row;
    bool row_ended;
    sv_status st;
} reader;

static void row_free(row *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->fields[i]);
    free(r->fields);
    memset(r, 0, sizeof *r);
}

static void on_field(void *data, size_t len, void *ctx)
{
    reader *rd = ctx;
    if (rd->st != SV_OK)
        return;
    if (rd->cur.n == rd->cur.cap) {
        size_t cap = rd->cur.cap > 0 ? 2 * rd->cur.cap : 16;
        char **fields = realloc(rd->cur.fields, cap * sizeof *fields);
        if (fields == NULL) {
            rd->st = SV_ERR_NOMEM;
            return;
        }
        rd->cur.fields = fields;
        rd->cur.cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        rd->st = SV_ERR_NOMEM;
        return;
    }
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = '\0';
    rd->cur.fields[rd->cur.n++] = copy;
}

static void on_row(int c, void *ctx)
{
    reader *rd = ctx;
    sv_csv_table *t = rd->t;
    (void)c;
    rd->row_ended = true;
    if (rd->st != SV_OK)
        return;
    if (t->n == t->cap) {
        size_t cap = t->cap > 0 ? 2 * t->cap : 64;
        row *rows = realloc(t->rows, cap * sizeof *rows);
        if (rows == NULL) {
            rd->st = SV_ERR_NOMEM;
            return;
        }
        t->rows = rows;
        t->cap = cap;
    }
    rd->cur.line = rd->row_line;
    t->rows[t->n++] = rd->cur;
    memset(&rd->cur, 0, sizeof rd->cur);
}

/* True if s[0..n) is well-formed UTF-8 without NUL (no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static bool utf8_text(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t more;
        unsigned long cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= more)
            return false;
        for (size_t k = 1; k <= more; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += more + 1;
    }
    return true;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    }
    return true;
}

static sv_status feed(reader *rd, struct csv_parser *p, const char *name,
                      const char *s, size_t n, sv_error *err)
{
    rd->line++;
    if (!rd->in_row)
        rd->row_line = rd->line;
    if (!utf8_text((const unsigned char *)s, n))
        return sv_fail(err, SV_ERR_PARSE,
                       "%s:%lu: not UTF-8 text (save the sheet as \"CSV "
                       "UTF-8\")",
                       name, rd->line);
    rd->row_ended = false;
    if (csv_parse(p, s, n, on_field, on_row, rd) != n) {
        if (rd->st != SV_OK || csv_error(p) == CSV_ENOMEM)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        return sv_fail(err, SV_ERR_PARSE, "%s:%lu: malformed CSV (%s)", name,
                       rd->line, csv_strerror(csv_error(p)));
    }
    if (rd->st != SV_OK)
        return sv_fail(err, rd->st, "out of memory");
    if (!blank(s, n))
        rd->in_row = true;
    if (rd->row_ended)
        rd->in_row = false;
    return SV_OK;
}

typedef struct {
    reader *rd;
    struct csv_parser *p;
    const char *name;
} line_ctx;

static sv_status on_line(void *ctx, unsigned long line, const char *s, size_t n,
                         sv_error *err)
{
    (void)line; /* feed counts the same lines */
    line_ctx *c = ctx;
    return feed(c->rd, c->p, c->name, s, n, err);
}

static sv_status read_lines(reader *rd, struct csv_parser *p, FILE *fp,
                            const char *name, sv_error *err)
{
    line_ctx c = {.rd = rd, .p = p, .name = name};
    return sv_lines_read(fp, name, on_line, &c, err);
}

static sv_status finish(reader *rd, struct csv_parser *p, const char *name,
                        sv_error *err)
{
    if (csv_fini(p, on_field, on_row, rd) != 0) {
        if (rd->st != SV_OK || csv_error(p) == CSV_ENOMEM)
            return sv_fail(err, SV_ERR_NOMEM, "out of memory");
        return sv_fail(err, SV_ERR_PARSE, "%s:%lu: unterminated quoted field",
                       name, rd->row_line);
    }
    if (rd->st != SV_OK)
        return sv_fail(err, rd->st, "out of memory");
    return SV_OK;
}

sv_status sv_csv_table_read(sv_csv_table **out, const char *path, sv_error *err)
{
    struct csv_parser parser;
    bool parser_ready = false;
    bool is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "stdin" : path;
    FILE *fp = NULL;
    reader rd;
    sv_status st;
    memset(&rd, 0, sizeof rd);
    rd.t = calloc(1, sizeof *rd.t);
    if (rd.t == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    fp = is_stdin ? stdin : fopen(path, "rb");
    if (fp == NULL) {
        st = sv_fail(err, SV_ERR_IO, "cannot open %s: %s", path,
                     strerror(errno));
        goto fail;
    }
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    parser_ready = true;
    st = read_lines(&rd, &parser, fp, name, err);
    if (st == SV_OK)
        st = finish(&rd, &parser, name, err);
    if (st != SV_OK)
        goto fail;
    csv_free(&parser);
    if (!is_stdin)
        (void)fclose(fp); /* read only: nothing to lose */
    row_free(&rd.cur);
    *out = rd.t;
    return SV_OK;
fail:
    if (parser_ready)
        csv_free(&parser);
    if (fp != NULL && !is_stdin)
        (void)fclose(fp);
    row_free(&rd.cur);
    sv_csv_table_destroy(&rd.t);
    return st;
}

void sv_csv_table_destroy(sv_csv_table **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_csv_table *t = *self;
    for (size_t i = 0; i < t->n; i++)
        row_free(&t->rows[i]);
    free(t->rows);
    free(t);
    *self = NULL;
}

size_t sv_csv_table_rows(const sv_csv_table *t)
{
    return t->n;
}

size_t sv_csv_table_width(const sv_csv_table *t, size_t r)
{
    return r < t->n ? t->rows[r].n : 0;
}

const char *sv_csv_table_field(const sv_csv_table *t, size_t r, size_t c)
{
    if (r >= t->n || c >= t->rows[r].n)
        return "";
    return t->rows[r].fields[c];
}

unsigned long sv_csv_table_line(const sv_csv_table *t, size_t r)
{
    return r < t->n ? t->rows[r].line : 0;
}
