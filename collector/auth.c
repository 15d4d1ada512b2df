/* auth.c: see auth.h. */
#include "auth.h"

#include "log.h"
#include "worker.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PROGRAM "survey-collector"
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define MAX_IDENTITY 64
/* The connection property the ZAP handler sets to the client's public key
 * (Z85); the collector reads it from each request (zmq_msg_gets). */
#define KEY_PROPERTY SV_KEY_PROPERTY
#define Z85_KEY 40

typedef struct {
    uint8_t key[32];
    char user_id[MAX_IDENTITY + 16]; /* "respondent:010006" */
} entry;

typedef struct {
    entry *entries; /* owned, sorted by key */
    size_t n;
} registry;

struct sv_auth {
    char *path; /* owned */
    void *zap;  /* REP socket; used by the thread */
    pthread_t thread;
    bool running;
    atomic_bool stop;
    pthread_mutex_t lock; /* guards reg */
    registry reg;
};

static int by_key(const void *a, const void *b)
{
    return memcmp(((const entry *)a)->key, ((const entry *)b)->key, 32);
}

static char *next_field(char **cursor)
{
    char *p = *cursor;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
        return NULL;
    char *start = p;
    while (*p != '\0' && !isspace((unsigned char)*p))
        p++;
    if (*p != '\0')
        *p++ = '\0';
    *cursor = p;
    return start;
}

static bool valid_respondent(const char *code)
{
    if (strlen(code) != 6)
        return false;
    for (size_t i = 0; i < 6; i++) {
        if (!isdigit((unsigned char)code[i]))
            return false;
    }
    return true;
}

/* Parses one non-comment line into e. */
static sv_status parse_line(char *line, const char *path, int lineno, entry *e,
                            bool *blank, sv_error *err)
{
    char *cursor = line;
    char *identity = next_field(&cursor);
    *blank = identity == NULL;
    if (identity == NULL)
        return SV_OK;
    char *role = next_field(&cursor);
    char *key = next_field(&cursor);
    if (role == NULL || key == NULL || next_field(&cursor) != NULL)
        return sv_fail(err, SV_ERR_PARSE,
                       "%s:%d: expected \"identity role public-key\"", path,
                       lineno);
    if (strlen(identity) > MAX_IDENTITY)
        return sv_fail(err, SV_ERR_PARSE, "%s:%d: identity over %d bytes", path,
                       lineno, MAX_IDENTITY);
    if (strcmp(role, "respondent") == 0) {
        if (!valid_respondent(identity))
            return sv_fail(err, SV_ERR_PARSE,
                           "%s:%d: respondent identity \"%s\" is not a "
                           "6-digit code",
                           path, lineno, identity);
    } else if (strcmp(role, "admin") != 0) {
        return sv_fail(err, SV_ERR_PARSE,
                       "%s:%d: role \"%s\" is neither respondent nor admin",
                       path, lineno, role);
    }
    if (strlen(key) != 40 || zmq_z85_decode(e->key, key) == NULL)
        return sv_fail(err, SV_ERR_PARSE,
                       "%s:%d: \"%s\" is not a 40-character Z85 public key",
                       path, lineno, key);
    snprintf(e->user_id, sizeof e->user_id, "%s:%s", role, identity);
    return SV_OK;
}

static sv_status load_registry(const char *path, registry *out, sv_error *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return sv_fail(err, SV_ERR_IO, "client key registry %s: %s", path,
                       strerror(errno));
    registry reg = {0};
    size_t cap = 0;
    char line[1024];
    int lineno = 0;
    sv_status st = SV_OK;
    while (st == SV_OK && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        if (reg.n == cap) {
            size_t bigger = cap > 0 ? cap * 2 : 64;
            entry *grown = realloc(reg.entries, bigger * sizeof *grown);
            if (grown == NULL) {
                st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
                break;
            }
            reg.entries = grown;
            cap = bigger;
        }
        bool blank = false;
        st = parse_line(line, path, lineno, &reg.entries[reg.n], &blank, err);
        if (st == SV_OK && !blank)
            reg.n++;
    }
    if (st == SV_OK && ferror(f))
        st = sv_fail(err, SV_ERR_IO, "%s: read error", path);
    fclose(f);
    if (st == SV_OK && reg.n > 1) {
        qsort(reg.entries, reg.n, sizeof *reg.entries, by_key);
        for (size_t i = 1; i < reg.n; i++) {
            if (by_key(&reg.entries[i - 1], &reg.entries[i]) == 0) {
                st = sv_fail(err, SV_ERR_PARSE,
                             "%s: one public key is given to both %s and %s",
                             path, reg.entries[i - 1].user_id,
                             reg.entries[i].user_id);
                break;
            }
        }
    }
    if (st != SV_OK) {
        free(reg.entries);
        return st;
    }
    *out = reg;
    return SV_OK;
}

/* Copies the user id of key into out, or returns false. */
static bool lookup(sv_auth *a, const uint8_t *key, char *out, size_t len)
{
    entry probe;
    memcpy(probe.key, key, 32);
    bool found = false;
    if (pthread_mutex_lock(&a->lock) != 0)
        return false;
    entry *e = bsearch(&probe, a->reg.entries, a->reg.n, sizeof probe, by_key);
    if (e != NULL) {
        snprintf(out, len, "%s", e->user_id);
        found = true;
    }
    pthread_mutex_unlock(&a->lock);
    return found;
}

/* One ZAP exchange (RFC 27): version, request id, domain, address,
 * identity, mechanism, credentials... in; version, request id, status
 * code, status text, user id, metadata out. */
static void handle_zap(sv_auth *a)
{
    zmq_msg_t frames[8];
    int n = 0, more = 1;
    while (more && n < 8) {
        if (zmq_msg_init(&frames[n]) != 0)
            return;
        if (zmq_msg_recv(&frames[n], a->zap, 0) < 0) {
            zmq_msg_close(&frames[n]);
            break;
        }
        more = zmq_msg_more(&frames[n]);
        n++;
    }
    while (more) { /* drain anything past the frames we know */
        zmq_msg_t extra;
        if (zmq_msg_init(&extra) != 0 || zmq_msg_recv(&extra, a->zap, 0) < 0)
            break;
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
    char user_id[MAX_IDENTITY + 16] = "";
    const char *status = "400", *text = "unknown public key";
    char address[64] = "?";
    if (n >= 4) {
        size_t len = zmq_msg_size(&frames[3]);
        if (len >= sizeof address)
            len = sizeof address - 1;
        memcpy(address, zmq_msg_data(&frames[3]), len);
        address[len] = '\0';
    }
    if (n >= 7 && zmq_msg_size(&frames[5]) == 5 &&
        memcmp(zmq_msg_data(&frames[5]), "CURVE", 5) == 0 &&
        zmq_msg_size(&frames[6]) == 32 &&
        lookup(a, zmq_msg_data(&frames[6]), user_id, sizeof user_id)) {
        status = "200";
        text = "OK";
    } else if (n >= 7) {
        char z85[41] = "?";
        if (zmq_msg_size(&frames[6]) == 32 &&
            zmq_z85_encode(z85, zmq_msg_data(&frames[6]), 32) == NULL)
            snprintf(z85, sizeof z85, "?");
        sv_log(PROGRAM,
               "refused a connection from %s: public key %s is "
               "not in the registry",
               address, z85);
    }
    const char *version = "1.0";
    int rc = zmq_send(a->zap, version, 3, ZMQ_SNDMORE);
    if (rc >= 0 && n >= 2)
        rc = zmq_send(a->zap, zmq_msg_data(&frames[1]),
                      zmq_msg_size(&frames[1]), ZMQ_SNDMORE);
    else if (rc >= 0)
        rc = zmq_send(a->zap, "", 0, ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send(a->zap, status, 3, ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send(a->zap, text, strlen(text), ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send(a->zap, user_id, strlen(user_id), ZMQ_SNDMORE);
    /* metadata (ZMTP properties: name length, name, value length in
       4 bytes, value): the key, so that each request can be checked
       against the registry in force (sv_auth_in_force) */
    /* zmq_z85_encode writes a NUL after the 40 characters: not sent */
    uint8_t meta[1 + sizeof KEY_PROPERTY - 1 + 4 + Z85_KEY + 1];
    size_t meta_len = 0;
    if (status[0] == '2' &&
        zmq_z85_encode((char *)meta + 1 + strlen(KEY_PROPERTY) + 4,
                       zmq_msg_data(&frames[6]), 32) != NULL) {
        meta[0] = (uint8_t)strlen(KEY_PROPERTY);
        memcpy(meta + 1, KEY_PROPERTY, strlen(KEY_PROPERTY));
        uint8_t *len = meta + 1 + strlen(KEY_PROPERTY);
        len[0] = len[1] = len[2] = 0;
        len[3] = Z85_KEY;
        meta_len = sizeof meta - 1;
    }
    if (rc >= 0)
        rc = zmq_send(a->zap, meta, meta_len, 0);
    if (rc < 0)
        sv_log(PROGRAM, "ZAP reply failed: %s", zmq_strerror(zmq_errno()));
    for (int i = 0; i < n; i++)
        zmq_msg_close(&frames[i]);
}

static void *zap_thread(void *arg)
{
    sv_auth *a = arg;
    while (!atomic_load(&a->stop)) {
        zmq_pollitem_t item = {.socket = a->zap, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&item, 1, 100);
        if (rc < 0 && zmq_errno() == ETERM)
            break;
        if (rc > 0)
            handle_zap(a);
    }
    return NULL;
}

sv_status sv_auth_new(sv_auth **out, void *ctx, const char *clients_file,
                      sv_error *err)
{
    sv_auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return sv_fail(err, SV_ERR_NOMEM, "out of memory");
    sv_status st = SV_ERR_NOMEM;
    atomic_init(&a->stop, false);
    if (pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        return sv_fail(err, SV_ERR_NOMEM, "pthread_mutex_init failed");
    }
    a->path = strdup(clients_file);
    if (a->path == NULL) {
        st = sv_fail(err, SV_ERR_NOMEM, "out of memory");
        goto fail;
    }
    st = load_registry(a->path, &a->reg, err);
    if (st != SV_OK)
        goto fail;
    a->zap = zmq_socket(ctx, ZMQ_REP);
    int linger = 0;
    if (a->zap == NULL ||
        zmq_setsockopt(a->zap, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(a->zap, ZAP_ENDPOINT) != 0) {
        st = sv_fail(err, SV_ERR_ZMQ, "ZAP handler: %s",
                     zmq_strerror(zmq_errno()));
        goto fail;
    }
    if (pthread_create(&a->thread, NULL, zap_thread, a) != 0) {
        st = sv_fail(err, SV_ERR_NOMEM, "cannot start the ZAP thread");
        goto fail;
    }
    sv_thread_name(a->thread, "sv-zap");
    a->running = true;
    *out = a;
    return SV_OK;
fail:
    sv_auth_destroy(&a);
    return st;
}

sv_status sv_auth_reload(sv_auth *a, sv_error *err)
{
    registry fresh;
    sv_status st = load_registry(a->path, &fresh, err);
    if (st != SV_OK)
        return st;
    if (pthread_mutex_lock(&a->lock) != 0) {
        free(fresh.entries);
        return sv_fail(err, SV_ERR_NOMEM, "pthread_mutex_lock failed");
    }
    registry old = a->reg;
    a->reg = fresh;
    pthread_mutex_unlock(&a->lock);
    free(old.entries);
    return SV_OK;
}

bool sv_auth_in_force(sv_auth *a, const char *key, const char *user_id)
{
    uint8_t raw[32];
    char now[MAX_IDENTITY + 16];

    if (key == NULL || user_id == NULL || strlen(key) != Z85_KEY ||
        zmq_z85_decode(raw, key) == NULL)
        return false;
    return lookup(a, raw, now, sizeof now) && strcmp(now, user_id) == 0;
}

size_t sv_auth_count(sv_auth *a)
{
    size_t n = 0;
    if (pthread_mutex_lock(&a->lock) == 0) {
        n = a->reg.n;
        pthread_mutex_unlock(&a->lock);
    }
    return n;
}

void sv_auth_destroy(sv_auth **self)
{
    if (self == NULL || *self == NULL)
        return;
    sv_auth *a = *self;
    if (a->running) {
        atomic_store(&a->stop, true);
        pthread_join(a->thread, NULL);
    }
    if (a->zap != NULL)
        zmq_close(a->zap);
    pthread_mutex_destroy(&a->lock);
    free(a->reg.entries);
    free(a->path);
    free(a);
    *self = NULL;
}

bool sv_identity_parse(const char *user_id, sv_role *role, const char **name)
{
    if (strncmp(user_id, "respondent:", 11) == 0) {
        *role = SV_ROLE_RESPONDENT;
        *name = user_id + 11;
        return true;
    }
    if (strncmp(user_id, "admin:", 6) == 0) {
        *role = SV_ROLE_ADMIN;
        *name = user_id + 6;
        return true;
    }
    return false;
}
