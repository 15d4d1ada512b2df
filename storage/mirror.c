/* mirror.c: see mirror.h. */
#include "mirror.h"
#include "map_pages.h"
#include "store_key.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BOOT_ID_LEN 36 /* a UUID in text */
#define MIRROR_PREFIX "mirror-"

struct sv_mirror {
    MDB_env *env;
    MDB_dbi compact;
    MDB_dbi meta;
    sv_map_pages map;
    char dir[4096];
};

/* Whether id can name a mirror's folder: a UUID's characters only. */
static bool boot_id_ok(const char *id)
{
    size_t n = strlen(id);

    return n > 0 && n <= BOOT_ID_LEN && strspn(id, "0123456789abcdef-") == n;
}

/* The kernel's boot id, or "" when it cannot be read. */
static void read_boot_id(char out[BOOT_ID_LEN + 1])
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    size_t n = 0;

    out[0] = '\0';
    if (f == NULL)
        return;
    n = fread(out, 1, BOOT_ID_LEN, f);
    if (fclose(f) != 0 || n != BOOT_ID_LEN)
        n = 0;
    out[n] = '\0';
}

/* Removes the environment in dir/name (its two files, then the folder). */
static sv_status remove_mirror(const char *dir, const char *name, sv_error *err)
{
    const char *files[] = {"data.mdb", "lock.mdb"};
    char path[4096];

    for (size_t k = 0; k < 2; k++) {
        if (snprintf(path, sizeof path, "%s/%s/%s", dir, name, files[k]) >=
            (int)sizeof path)
            return sv_fail(err, SV_ERR_IO, "path too long: %s/%s", dir, name);
        if (unlink(path) != 0 && errno != ENOENT)
            return sv_fail(err, SV_ERR_IO, "remove the old scan mirror %s: %s",
                           path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (rmdir(path) != 0 && errno != ENOENT)
        return sv_fail(err, SV_ERR_IO, "remove the old scan mirror %s: %s",
                       path, strerror(errno));
    return SV_OK;
}

/* Deletes every mirror in dir but `keep` (those of earlier boots, which
 * the system may have left torn). */
static sv_status remove_others(const char *dir, const char *keep, sv_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    sv_status st = SV_OK;

    if (d == NULL)
        return sv_fail(err, SV_ERR_IO, "list %s: %s", dir, strerror(errno));
    while (st == SV_OK && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, MIRROR_PREFIX, strlen(MIRROR_PREFIX)) == 0 &&
            strcmp(e->d_name, keep) != 0)
            st = remove_mirror(dir, e->d_name, err);
    }
    if (closedir(d) != 0 && st == SV_OK)
        st = sv_fail(err, SV_ERR_IO, "list %s: %s", dir, strerror(errno));
    return st;
}

static sv_status lmdb_fail(sv_error *err, int rc, const char *what,
                           const sv_mirror *m)
{
    return sv_fail(err, rc > 0 ? SV_ERR_IO : SV_ERR_STORE,
                   "scan mirror %s: %s: %s", m->dir, what, mdb_strerror(rc));
}

/* Opens the environment in m->dir and its two databases. *absent is set
 * when a read-only open finds no usable mirror. */
static sv_status open_env(sv_mirror *m, size_t map_size, bool read_only,
                          bool *absent, sv_error *err)
{
    unsigned flags = MDB_NOTLS | MDB_NOSYNC | (read_only ? MDB_RDONLY : 0);
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&m->env);

    if (rc != 0) {
        m->env = NULL;
        return lmdb_fail(err, rc, "create environment", m);
    }
    rc = mdb_env_set_maxdbs(m->env, 2);
    if (rc == 0)
        rc = mdb_env_set_mapsize(m->env, map_size);
    if (rc == 0)
        rc = mdb_env_open(m->env, m->dir, flags, 0600);
    if (rc == ENOENT && read_only) {
        *absent = true;
        return SV_OK;
    }
    if (rc == 0)
        rc = mdb_txn_begin(m->env, NULL, read_only ? MDB_RDONLY : 0, &txn);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "compact", read_only ? 0 : MDB_CREATE,
                          &m->compact);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "meta", read_only ? 0 : MDB_CREATE, &m->meta);
    if (rc == MDB_NOTFOUND && read_only) {
        mdb_txn_abort(txn);
        *absent = true;
        return SV_OK;
    }
    if (rc == 0) {
        rc = mdb_txn_commit(txn); /* also read-only: keeps the handles */
        txn = NULL;
    }
    if (txn != NULL)
        mdb_txn_abort(txn);
    if (rc != 0)
        return lmdb_fail(err, rc, "open", m);
    return SV_OK;
}

sv_status sv_mirror_open(sv_mirror **out, const char *dir, size_t map_size,
                         bool read_only, const char *boot_id, sv_error *err)
{
    char boot[BOOT_ID_LEN + 1];
    char name[sizeof MIRROR_PREFIX + BOOT_ID_LEN + 1];
    sv_mirror *m;
    bool absent = false;
    sv_status st;

    *out = NULL;
    if (boot_id != NULL)
        snprintf(boot, sizeof boot, "%s", boot_id);
    else
        read_boot_id(boot);
    if (!boot_id_ok(boot))
        return SV_OK; /* no usable boot id: no mirror can be trusted */
    snprintf(name, sizeof name, "%s%s", MIRROR_PREFIX, boot);
    m = calloc(1, sizeof *m);
    if (m == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory (scan mirror)");
    if (snprintf(m->dir, sizeof m->dir, "%s/%s", dir, name) >=
        (int)sizeof m->dir) {
        free(m);
        return sv_fail(err, SV_ERR_IO, "path too long: %s", dir);
    }
    if (!read_only) {
        st = remove_others(dir, name, err);
        if (st == SV_OK && mkdir(m->dir, 0700) != 0 && errno != EEXIST)
            st = sv_fail(err, SV_ERR_IO, "create %s: %s", m->dir,
                         strerror(errno));
        if (st != SV_OK) {
            free(m);
            return st;
        }
    }
    st = open_env(m, map_size, read_only, &absent, err);
    if (st != SV_OK && !read_only) {
        sv_error ignored; /* the open's error is the one to report */
        sv_mirror_close(&m);
        (void)remove_mirror(dir, name, &ignored);
        return st;
    }
    if (st != SV_OK || absent) {
        sv_mirror_close(&m);
        return st;
    }
    *out = m;
    return SV_OK;
}

void sv_mirror_close(sv_mirror **m)
{
    if (m == NULL || *m == NULL)
        return;
    if ((*m)->env != NULL)
        mdb_env_close((*m)->env);
    free(*m);
    *m = NULL;
}

sv_status sv_mirror_discard(sv_mirror **m, sv_error *err)
{
    char dir[sizeof(*m)->dir];
    char *slash;

    if (m == NULL || *m == NULL)
        return SV_OK;
    snprintf(dir, sizeof dir, "%s", (*m)->dir);
    sv_mirror_close(m);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        return sv_fail(err, SV_ERR_IO, "scan mirror %s: no parent folder", dir);
    *slash = '\0';
    return remove_mirror(dir, slash + 1, err);
}

MDB_dbi sv_mirror_dbi(const sv_mirror *m)
{
    return m->compact;
}

static sv_status get_mark(sv_mirror *m, MDB_txn *txn, const char *name,
                          uint64_t missing, uint64_t *out, sv_error *err)
{
    MDB_val key = {strlen(name), (void *)name};
    MDB_val val;
    int rc = mdb_get(txn, m->meta, &key, &val);

    *out = missing;
    if (rc == MDB_NOTFOUND)
        return SV_OK;
    if (rc != 0)
        return lmdb_fail(err, rc, "read marks", m);
    if (val.mv_size != 8)
        return sv_fail(err, SV_ERR_STORE, "scan mirror %s: corrupt mark %s",
                       m->dir, name);
    *out = store_be64_get(val.mv_data);
    return SV_OK;
}

sv_status sv_mirror_begin(sv_mirror *m, bool read_only, MDB_txn **txn,
                          uint64_t *through, uint64_t *base, sv_error *err)
{
    unsigned flags = read_only ? MDB_RDONLY : 0;
    int rc = mdb_txn_begin(m->env, NULL, flags, txn);
    sv_status st;

    /* another process grew it: adopt its size, not under a reader of this
     * process (a scan then reads the store's own file) */
    if (rc == MDB_MAP_RESIZED && !read_only) {
        rc = mdb_env_set_mapsize(m->env, 0);
        m->map.base = NULL;
        if (rc == 0)
            rc = mdb_txn_begin(m->env, NULL, flags, txn);
    }
    if (rc != 0) {
        *txn = NULL;
        return lmdb_fail(err, rc, "begin transaction", m);
    }
    st = get_mark(m, *txn, "through", 0, through, err);
    if (st == SV_OK)
        st = get_mark(m, *txn, "base", SV_MIRROR_UNBUILT, base, err);
    if (st != SV_OK) {
        mdb_txn_abort(*txn);
        *txn = NULL;
    }
    return st;
}

static sv_status put_mark(sv_mirror *m, MDB_txn *txn, const char *name,
                          uint64_t v, sv_error *err)
{
    unsigned char buf[8];
    MDB_val key = {strlen(name), (void *)name};
    MDB_val val = {8, buf};
    int rc;

    store_be64_put(buf, v);
    rc = mdb_put(txn, m->meta, &key, &val, 0);
    if (rc != 0)
        return lmdb_fail(err, rc, "write marks", m);
    return SV_OK;
}

sv_status sv_mirror_set_marks(sv_mirror *m, MDB_txn *txn, uint64_t through,
                              uint64_t base, sv_error *err)
{
    sv_status st = put_mark(m, txn, "through", through, err);

    if (st == SV_OK)
        st = put_mark(m, txn, "base", base, err);
    return st;
}

sv_status sv_mirror_put(sv_mirror *m, MDB_txn *txn, const MDB_val *key,
                        uint64_t sequence, const void *value, size_t len,
                        unsigned flags, sv_error *err)
{
    MDB_val k = *key;
    MDB_val val = {SV_MIRROR_PREFIX + len, NULL};
    int rc = mdb_put(txn, m->compact, &k, &val, flags | MDB_RESERVE);

    if (rc != 0)
        return lmdb_fail(err, rc, "write", m);
    store_be64_put(val.mv_data, sequence);
    if (len > 0)
        memcpy((unsigned char *)val.mv_data + SV_MIRROR_PREFIX, value, len);
    return SV_OK;
}

sv_status sv_mirror_clear(sv_mirror *m, MDB_txn *txn, sv_error *err)
{
    int rc = mdb_drop(txn, m->compact, 0);

    if (rc != 0)
        return lmdb_fail(err, rc, "empty", m);
    return SV_OK;
}

sv_status sv_mirror_commit(sv_mirror *m, MDB_txn *txn, sv_error *err)
{
    int rc = mdb_txn_commit(txn);

    if (rc != 0)
        return lmdb_fail(err, rc, "commit", m);
    return SV_OK;
}

size_t sv_mirror_used_bytes(const sv_mirror *m)
{
    MDB_envinfo info;
    MDB_stat stat;

    if (mdb_env_info(m->env, &info) != 0 || mdb_env_stat(m->env, &stat) != 0)
        return SIZE_MAX; /* unknown: counts as large */
    return ((size_t)info.me_last_pgno + 1) * stat.ms_psize;
}

sv_status sv_mirror_drop_pages(sv_mirror *m, sv_error *err)
{
    return sv_map_pages_drop(m->env, &m->map, err);
}
