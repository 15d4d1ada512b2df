/* sheet.c: reads one CSV sheet with libcsv (see sheet.h).
 *
 * The file is fed to libcsv one physical line at a time so that each row can
 * be given the line it starts on: a row starts on the first non-blank line
 * fed while no row is in progress, and a row is in progress from then until
 * libcsv reports its end. */
#include "sheet.h"

#include "lines.h"
#include "utf8.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct row {
    char **fields; /* owned, each field owned and NUL-terminated */
    size_t n;
    size_t cap;
    unsigned long line;
};

struct sv_sheet {
    char *name;        /* owned */
    struct row header; /* owned */
    struct row *rows;  /* owned, n_rows used */
    size_t n_rows;
    size_t cap_rows;
};

/* State shared with the libcsv callbacks, which cannot fail: the first
 * failure is remembered in st and everything after it is ignored. */
struct reader {
    sv_sheet *sheet;
    struct row cur; /* the row being assembled, owned */
    bool have_header;
    unsigned long line;     /* physical line being fed */
    unsigned long row_line; /* line on which the current row started */
    bool in_row;
    bool row_ended; /* libcsv ended a row while feeding this line */
    sv_status st;
    sv_error *err;
    sv_sheet_row_fn fn; /* NULL: rows are kept in the sheet */
    void *ctx;
};

static void row_free(struct row *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->fields[i]);
    free(row->fields);
    memset(row, 0, sizeof *row);
}

/* "name:line: column X: what" about the field being read; "field N" when
 * the header does not name its column. */
static void fail_field(struct reader *r, const char *what)
{
    const struct row *h = &r->sheet->header;
    size_t i = r->cur.n;

    if (r->have_header && i < h->n && h->fields[i][0] != '\0')
        r->st = sv_fail(r->err, SV_ERR_PARSE, "%s:%lu: column %s: %s",
                        r->sheet->name, r->row_line, h->fields[i], what);
    else
        r->st = sv_fail(r->err, SV_ERR_PARSE, "%s:%lu: field %zu: %s",
                        r->sheet->name, r->row_line, i + 1, what);
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct reader *r = ctx;

    if (r->st != SV_OK)
        return;
    if (len > 0 && memchr(data, '\0', len) != NULL) {
        fail_field(r, "NUL byte");
        return;
    }
    if (len > 0 && !sv_utf8_valid(data, len)) {
        fail_field(r, "not valid UTF-8");
        return;
    }
    if (r->cur.n == r->cur.cap) {
        size_t cap = r->cur.cap ? 2 * r->cur.cap : 8;
        char **fields = realloc(r->cur.fields, cap * sizeof *fields);
        if (fields == NULL) {
            r->st = sv_fail(r->err, SV_ERR_NOMEM, "out of memory");
            return;
        }
        r->cur.fields = fields;
        r->cur.cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        r->st = sv_fail(r->err, SV_ERR_NOMEM, "out of memory");
        return;
    }
    if (len > 0)
        memcpy(copy, data, len);
    copy[len] = '\0';
    r->cur.fields[r->cur.n++] = copy;
}

static sv_status check_header(struct reader *r)
{
    const struct row *h = &r->sheet->header;

    for (size_t i = 0; i < h->n; i++) {
        if (h->fields[i][0] == '\0')
            continue;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(h->fields[i], h->fields[j]) == 0)
                return sv_fail(r->err, SV_ERR_PARSE,
                               "%s:%lu: duplicate column %s", r->sheet->name,
                               h->line, h->fields[i]);
        }
    }
    return SV_OK;
}

static void on_row(int c, void *ctx)
{
    struct reader *r = ctx;
    sv_sheet *s = r->sheet;

    (void)c;
    r->row_ended = true;
    if (r->st != SV_OK)
        return;
    r->cur.line = r->row_line;
    if (!r->have_header) {
        s->header = r->cur;
        memset(&r->cur, 0, sizeof r->cur);
        r->have_header = true;
        r->st = check_header(r);
        return;
    }
    if (r->fn != NULL) {
        sv_sheet_row row = {(const char *const *)r->cur.fields, r->cur.n,
                            r->cur.line};
        r->st = r->fn(r->ctx, s, &row, r->err);
        row_free(&r->cur);
        return;
    }
    if (s->n_rows == s->cap_rows) {
        size_t cap = s->cap_rows ? 2 * s->cap_rows : 16;
        struct row *rows = realloc(s->rows, cap * sizeof *rows);
        if (rows == NULL) {
            r->st = sv_fail(r->err, SV_ERR_NOMEM, "out of memory");
            return;
        }
        s->rows = rows;
        s->cap_rows = cap;
    }
    s->rows[s->n_rows++] = r->cur;
    memset(&r->cur, 0, sizeof r->cur);
}

static bool line_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    }
    return true;
}

/* Feeds one physical line to libcsv. */
static sv_status feed_line(struct reader *r, struct csv_parser *p,
                           const char *s, size_t n)
{
    r->line++;
    if (!r->in_row)
        r->row_line = r->line;
    r->row_ended = false;
    if (csv_parse(p, s, n, on_field, on_row, r) != n) {
        if (r->st != SV_OK)
            return r->st;
        if (csv_error(p) == CSV_ENOMEM)
            return sv_fail(r->err, SV_ERR_NOMEM, "out of memory");
        return sv_fail(r->err, SV_ERR_PARSE, "%s:%lu: malformed CSV (%s)",
                       r->sheet->name, r->line, csv_strerror(csv_error(p)));
    }
    if (r->st != SV_OK)
        return r->st;
    if (!line_blank(s, n))
        r->in_row = true;
    if (r->row_ended)
        r->in_row = false;
    return SV_OK;
}

typedef struct {
    struct reader *r;
    struct csv_parser *p;
} line_ctx;

static sv_status on_line(void *ctx, unsigned long line, const char *s, size_t n,
                         sv_error *err)
{
    (void)line; /* feed_line counts the same lines */
    (void)err;  /* feed_line reports into r->err, the same buffer */
    line_ctx *c = ctx;
    return feed_line(c->r, c->p, s, n);
}

static sv_status read_lines(struct reader *r, struct csv_parser *p, FILE *fp)
{
    line_ctx c = {.r = r, .p = p};
    return sv_lines_read(fp, r->sheet->name, on_line, &c, r->err);
}

static sv_status finish(struct reader *r, struct csv_parser *p)
{
    if (csv_fini(p, on_field, on_row, r) != 0) {
        if (r->st != SV_OK)
            return r->st;
        if (csv_error(p) == CSV_ENOMEM)
            return sv_fail(r->err, SV_ERR_NOMEM, "out of memory");
        return sv_fail(r->err, SV_ERR_PARSE,
                       "%s:%lu: unterminated quoted field", r->sheet->name,
                       r->row_line);
    }
    if (r->st != SV_OK)
        return r->st;
    if (!r->have_header)
        return sv_fail(r->err, SV_ERR_PARSE, "%s: empty sheet (no header row)",
                       r->sheet->name);
    return SV_OK;
}

static sv_status load(sv_sheet **out, const char *path, const char *name,
                      sv_sheet_row_fn fn, void *ctx, sv_error *err)
{
    struct csv_parser parser;
    bool parser_ready = false;
    FILE *fp = NULL;
    struct reader r;
    sv_status st;

    *out = NULL;
    memset(&r, 0, sizeof r);
    r.err = err;
    r.fn = fn;
    r.ctx = ctx;
    r.sheet = calloc(1, sizeof *r.sheet);
    if (r.sheet == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    r.sheet->name = strdup(name);
    if (r.sheet->name == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    fp = fopen(path, "rb");
    if (fp == NULL) {
        st = sv_fail(err, SV_ERR_IO, "open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    parser_ready = true;
    st = read_lines(&r, &parser, fp);
    if (st != SV_OK)
        goto fail;
    st = finish(&r, &parser);
    if (st != SV_OK)
        goto fail;
    csv_free(&parser);
    fclose(fp);
    row_free(&r.cur);
    *out = r.sheet;
    return SV_OK;

fail:
    if (parser_ready)
        csv_free(&parser);
    if (fp != NULL)
        fclose(fp);
    row_free(&r.cur);
    sv_sheet_destroy(&r.sheet);
    return st;
}

sv_status sv_sheet_load(sv_sheet **out, const char *path, const char *name,
                        sv_error *err)
{
    return load(out, path, name, NULL, NULL, err);
}

sv_status sv_sheet_load_each(sv_sheet **out, const char *path, const char *name,
                             sv_sheet_row_fn fn, void *ctx, sv_error *err)
{
    if (fn == NULL) {
        *out = NULL;
        return sv_fail(err, SV_ERR_INVALID, "no row callback");
    }
    return load(out, path, name, fn, ctx, err);
}

const char *sv_sheet_row_field(const sv_sheet_row *row, int col)
{
    if (col < 0 || (size_t)col >= row->n)
        return "";
    return row->fields[col];
}

bool sv_sheet_row_is_blank(const sv_sheet_row *row)
{
    for (size_t i = 0; i < row->n; i++) {
        if (row->fields[i][0] != '\0')
            return false;
    }
    return true;
}

void sv_sheet_destroy(sv_sheet **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_sheet *s = *self;
    for (size_t i = 0; i < s->n_rows; i++)
        row_free(&s->rows[i]);
    free(s->rows);
    row_free(&s->header);
    free(s->name);
    free(s);
    *self = NULL;
}

const char *sv_sheet_name(const sv_sheet *s)
{
    return s->name;
}

unsigned long sv_sheet_header_line(const sv_sheet *s)
{
    return s->header.line;
}

int sv_sheet_column(const sv_sheet *s, const char *header)
{
    for (size_t i = 0; i < s->header.n; i++) {
        if (strcmp(s->header.fields[i], header) == 0)
            return (int)i;
    }
    return -1;
}

size_t sv_sheet_rows(const sv_sheet *s)
{
    return s->n_rows;
}

const char *sv_sheet_field(const sv_sheet *s, size_t r, int col)
{
    if (col < 0 || (size_t)col >= s->rows[r].n)
        return "";
    return s->rows[r].fields[col];
}

unsigned long sv_sheet_line(const sv_sheet *s, size_t r)
{
    return s->rows[r].line;
}

bool sv_sheet_row_blank(const sv_sheet *s, size_t r)
{
    for (size_t i = 0; i < s->rows[r].n; i++) {
        if (s->rows[r].fields[i][0] != '\0')
            return false;
    }
    return true;
}
