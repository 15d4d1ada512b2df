/* keygen.c: see keygen.h. */
#include "keygen.h"

#include "commands.h"
#include "keyfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The longest registry identity the collector accepts (collector/auth.c). */
#define MAX_NAME 64

bool sv_keygen_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > MAX_NAME)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c == 0x7f || c == '/' || c == '"' || c == '#')
            return false;
    }
    return true;
}

static bool is_respondent_code(const char *name)
{
    if (strlen(name) != 6)
        return false;
    for (size_t i = 0; i < 6; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
    }
    return true;
}

/* Formats dir/name.ext into buf; false when it does not fit. */
static bool key_path(char *buf, size_t size, const char *dir, const char *name,
                     const char *ext)
{
    int n = snprintf(buf, size, "%s/%s.%s", dir, name, ext);
    return n > 0 && (size_t)n < size;
}

/* 0 when path does not exist; else prints why and returns SV_EXIT_USAGE. */
static int refuse_existing(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        fprintf(stderr,
                "survey: keygen: %s exists: a key is never overwritten "
                "(choose another NAME or --dir)\n",
                path);
        return SV_EXIT_USAGE;
    }
    if (errno != ENOENT) {
        fprintf(stderr, "survey: keygen: %s: %s\n", path, strerror(errno));
        return SV_EXIT_USAGE;
    }
    return 0;
}

int sv_cmd_keygen(const char *dir, const char *name)
{
    char secret_path[4096], public_path[4096];
    if (!sv_keygen_name_ok(name)) {
        fprintf(stderr,
                "survey: keygen: NAME \"%s\" must be 1 to %d bytes without "
                "spaces, /, \" or #\n",
                name, MAX_NAME);
        return SV_EXIT_USAGE;
    }
    if (!key_path(secret_path, sizeof secret_path, dir, name, "secret") ||
        !key_path(public_path, sizeof public_path, dir, name, "pub")) {
        fprintf(stderr, "survey: keygen: --dir %s: path too long\n", dir);
        return SV_EXIT_USAGE;
    }
    int code = refuse_existing(secret_path);
    if (code == 0)
        code = refuse_existing(public_path);
    if (code != 0)
        return code;
    char key[SV_Z85_KEY_LEN + 1];
    sv_error err;
    sv_status st = sv_keyfile_generate(dir, name, key, &err);
    if (st != SV_OK) {
        fprintf(stderr, "survey: keygen: %s\n", err.msg);
        return SV_EXIT_USAGE;
    }
    /* open(2) applied the umask; a public key is for everyone to read */
    if (chmod(public_path, 0644) != 0) {
        fprintf(stderr, "survey: keygen: chmod 0644 %s: %s\n", public_path,
                strerror(errno));
        return SV_EXIT_USAGE;
    }
    bool respondent = is_respondent_code(name);
    printf("secret key file: %s (mode 0600: keep it private, on this client "
           "only)\n"
           "public key file: %s\n"
           "public key: %s\n"
           "\n"
           "Line for the collector's client registry "
           "(survey-collector --clients):\n"
           "%s %s %s\n"
           "\n",
           secret_path, public_path, key, name,
           respondent ? "respondent" : "admin", key);
    if (respondent)
        printf("The role is respondent because %s is a 6-digit code: it may "
               "act only for\nitself. Change it to admin for an "
               "administrator.\n",
               name);
    else
        printf("The role is admin because %s is not a 6-digit respondent "
               "code: it may act\nfor every respondent (corrections need a "
               "note). Change it to respondent only\nfor a key named by "
               "the respondent's code.\n",
               name);
    printf("For the collector's own key instead (no registry line):\n"
           "  survey-collector --server-secret %s\n"
           "  survey --server-public %s ...\n",
           secret_path, public_path);
    return SV_EXIT_OK;
}
