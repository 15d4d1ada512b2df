/* fuzz_csv.c: libFuzzer target for the CSV readers.
 *
 * The input is written to a file in a scratch directory (made once) and
 * read by both libcsv-based readers of the code base:
 *   - sv_sheet_load (questionnaire/sheet.h), the questionnaire's sheets;
 *   - sv_csv_table_read (clients/csv_table.h), the spreadsheet reader of
 *     `survey import-matrix`.
 * A file that reads is walked through the whole public interface (every
 * field of every row, and past the end of each row). Both promise UTF-8
 * fields without NUL, and rows whose start line never goes backwards.
 *
 * The cell rules of import-matrix (○/×/-, "2,203", option names) are
 * static in clients/import_matrix.c and only reachable through a collector
 * connection: they are not fuzzed here (see README.md).
 *
 * The scratch path is file-level state: libFuzzer offers no other place to
 * keep what LLVMFuzzerInitialize makes. */
#include "csv_table.h"
#include "fuzz_util.h"
#include "sheet.h"
#include "utf8.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *path; /* the scratch file the input is written to */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *dir = sv_fuzz_tempdir();
    path = sv_fuzz_join(dir, "sheet.csv");
    free(dir);
    return 0;
}

static void check_field(const char *reader, size_t r, const char *f)
{
    if (!sv_utf8_valid(f, strlen(f))) {
        fprintf(stderr, "%s: row %zu: a field is not UTF-8\n", reader, r);
        abort();
    }
}

static void check_line(const char *reader, size_t r, unsigned long line,
                       unsigned long last)
{
    if (line == 0 || line < last) {
        fprintf(stderr, "%s: row %zu starts on line %lu, after line %lu\n",
                reader, r, line, last);
        abort();
    }
}

static void walk_sheet(const sv_sheet *s)
{
    static const char *const headers[] = {"type", "name",      "label",
                                          "code", "list_name", ""};
    unsigned long last = sv_sheet_header_line(s);

    if (strcmp(sv_sheet_name(s), "sheet.csv") != 0)
        abort();
    for (size_t h = 0; h < sizeof headers / sizeof headers[0]; h++)
        (void)sv_sheet_column(s, headers[h]);
    for (size_t r = 0; r < sv_sheet_rows(s); r++) {
        unsigned long line = sv_sheet_line(s, r);
        check_line("sheet", r, line, last);
        last = line;
        bool blank = true;
        for (int col = -1; col < 64; col++) {
            const char *f = sv_sheet_field(s, r, col);
            check_field("sheet", r, f);
            if (f[0] != '\0')
                blank = false;
        }
        if (!blank && sv_sheet_row_blank(s, r)) {
            fprintf(stderr, "sheet: row %zu has a field but is blank\n", r);
            abort();
        }
    }
}

static void walk_table(const sv_csv_table *t)
{
    unsigned long last = 0;
    size_t rows = sv_csv_table_rows(t);

    for (size_t r = 0; r <= rows; r++) {
        size_t width = sv_csv_table_width(t, r);
        if (r == rows) {
            if (width != 0 || sv_csv_table_line(t, r) != 0 ||
                sv_csv_table_field(t, r, 0)[0] != '\0')
                abort(); /* past the last row: nothing */
            break;
        }
        unsigned long line = sv_csv_table_line(t, r);
        check_line("csv_table", r, line, last);
        last = line;
        for (size_t c = 0; c <= width; c++)
            check_field("csv_table", r, sv_csv_table_field(t, r, c));
        if (sv_csv_table_field(t, r, width)[0] != '\0')
            abort(); /* past the row's end: "" */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sv_sheet *s = NULL;
    sv_csv_table *t = NULL;
    sv_error err = {{0}};

    sv_fuzz_write(path, data, size);
    if (sv_sheet_load(&s, path, "sheet.csv", &err) == SV_OK)
        walk_sheet(s);
    sv_sheet_destroy(&s);
    if (sv_csv_table_read(&t, path, &err) == SV_OK)
        walk_table(t);
    sv_csv_table_destroy(&t);
    return 0;
}
