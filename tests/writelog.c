/* writelog.c: reads a write log (writelog.h) and writes images of the file
 * it describes. */
#include "writelog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "writelog: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *b = malloc(cap);
    while (b != NULL) {
        if (n == cap) {
            uint8_t *bigger = realloc(b, cap * 2);
            if (bigger == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = bigger;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n, f);
        if (got == 0)
            break;
        n += got;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (b == NULL || bad) {
        free(b);
        fprintf(stderr, "writelog: %s: cannot read it\n", path);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

static bool is_write(uint32_t kind)
{
    return kind == WL_WRITE || kind == WL_DSYNC_WRITE;
}

int wl_load(const char *path, wl_log *out)
{
    memset(out, 0, sizeof *out);
    size_t len = 0;
    if (read_all(path, &out->buf, &len) != 0)
        return -1;
    size_t cap = 0;
    for (size_t at = 0; at < len;) {
        wl_head h;
        /* a last entry cut short by the process's death: its call had
           returned, nothing after it did (the entry is left out) */
        if (len - at < sizeof h)
            break;
        memcpy(&h, out->buf + at, sizeof h);
        at += sizeof h;
        if (is_write(h.kind) && len - at < h.len)
            break;
        if (h.kind < WL_WRITE || h.kind > WL_TRUNCATE ||
            (!is_write(h.kind) && h.len != 0)) {
            fprintf(stderr, "writelog: %s: bad entry at byte %zu\n", path,
                    at - sizeof h);
            wl_free(out);
            return -1;
        }
        if (out->n == cap) {
            cap = cap == 0 ? 4096 : cap * 2;
            wl_entry *bigger = realloc(out->entries, cap * sizeof *bigger);
            if (bigger == NULL) {
                wl_free(out);
                return -1;
            }
            out->entries = bigger;
        }
        out->entries[out->n].head = h;
        out->entries[out->n].data = out->buf + at;
        out->n++;
        at += h.len;
    }
    /* durable: everything before the beginning of the latest-begun sync
     * that returned */
    for (size_t i = 0; i < out->n; i++) {
        const wl_head *h = &out->entries[i].head;
        out->writes += is_write(h->kind);
        if (h->kind != WL_SYNC_END)
            continue;
        out->syncs++;
        for (size_t j = i; j-- > 0;) {
            const wl_head *b = &out->entries[j].head;
            if (b->kind == WL_SYNC_BEGIN && b->id == h->id) {
                if (j > out->durable)
                    out->durable = j;
                break;
            }
        }
    }
    for (size_t i = out->durable; i < out->n; i++)
        out->maybe += out->entries[i].head.kind == WL_WRITE;
    return 0;
}

/* splitmix64 */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int apply(int fd, const wl_entry *e)
{
    if (e->head.kind == WL_TRUNCATE)
        return ftruncate(fd, (off_t)e->head.off);
    size_t done = 0;
    while (done < e->head.len) {
        ssize_t w = pwrite(fd, e->data + done, e->head.len - done,
                           (off_t)(e->head.off + done));
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

int wl_image(const wl_log *log, const char *path, uint64_t *rng,
             unsigned keep_per_mille)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "writelog: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < log->n && rc == 0; i++) {
        const wl_entry *e = &log->entries[i];
        bool take;
        if (e->head.kind == WL_SYNC_BEGIN || e->head.kind == WL_SYNC_END)
            continue;
        if (i < log->durable || e->head.kind == WL_DSYNC_WRITE)
            take = true;
        else
            take = keep_per_mille >= 1000 ||
                   (keep_per_mille > 0 && next(rng) % 1000 < keep_per_mille);
        if (take)
            rc = apply(fd, e);
    }
    if (close(fd) != 0)
        rc = -1;
    if (rc != 0)
        fprintf(stderr, "writelog: %s: cannot write the image\n", path);
    return rc;
}

void wl_free(wl_log *log)
{
    free(log->buf);
    free(log->entries);
    memset(log, 0, sizeof *log);
}
