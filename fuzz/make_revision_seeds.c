/* make_revision_seeds.c: writes the seed corpus of fuzz_revision: stored
 * revision records made from the submissions of the fuzz_request corpus.
 * Run by make_corpus.sh.
 *
 * Usage: make_revision_seeds REQUEST_CORPUS_DIR OUT_DIR
 *
 * Each submit request of the directory (in name order) becomes a Revision
 * as the store keeps it (numbers, time, submitter, note, id, answers, a
 * missing question), written both as this build writes it (an LZ4 record)
 * and as schemas 5 to 7 wrote it (a zstd frame, level -1, against the same
 * dictionary). The output is the same on every run. */
#include "fuzz_util.h"
#include "revision_codec.h"
#include "store.pb-c.h"
#include "zstd_record.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "make_revision_seeds: %s\n", what);
    exit(1);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    static char *missing[] = {"consult_method"};
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    DIR *d;

    if (argc != 3)
        die("usage: make_revision_seeds REQUEST_CORPUS_DIR OUT_DIR");
    if ((d = opendir(argv[1])) == NULL)
        die("cannot open the request corpus");
    while ((e = readdir(d)) != NULL && n < 256)
        if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)) != NULL)
            n++;
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (size_t i = 0; i < n; i++) {
        char *path = sv_fuzz_join(argv[1], names[i]);
        size_t size;
        uint8_t *frame = sv_fuzz_read(path, &size);
        Survey__V1__Request *req =
            survey__v1__request__unpack(NULL, size, frame);
        free(path);
        free(frame);
        if (req == NULL || req->body_case != SURVEY__V1__REQUEST__BODY_SUBMIT) {
            survey__v1__request__free_unpacked(req, NULL);
            free(names[i]);
            continue;
        }
        const Survey__V1__Submission *sub = req->submit;
        Survey__V1__Revision rev = SURVEY__V1__REVISION__INIT;
        rev.revision = sub->base_revision + 1;
        rev.sequence = 1000 + i;
        rev.time_ms = 1764547200000 + (int64_t)i;
        rev.submitter = "pref-01";
        rev.note = sub->note;
        rev.submission_id = sub->submission_id;
        rev.base_revision = sub->base_revision;
        rev.n_answers = sub->n_answers;
        rev.answers = sub->answers;
        rev.n_missing = 1;
        rev.missing = missing;
        sv_error err = {{0}};
        uint8_t *rec = NULL;
        size_t len = 0;
        char name[300];
        if (sv_revision_encode(&rev, &rec, &len, &err) != SV_OK)
            die(err.msg);
        snprintf(name, sizeof name, "lz4-%s", names[i]);
        path = sv_fuzz_join(argv[2], name);
        sv_fuzz_write(path, rec, len);
        free(path);
        free(rec);
        rec = zstd_record(&rev, &len);
        if (rec == NULL)
            die("out of memory");
        snprintf(name, sizeof name, "zstd-%s", names[i]);
        path = sv_fuzz_join(argv[2], name);
        sv_fuzz_write(path, rec, len);
        free(path);
        free(rec);
        survey__v1__request__free_unpacked(req, NULL);
        free(names[i]);
    }
    return 0;
}
