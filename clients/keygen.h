/* keygen.h: `survey keygen NAME [--dir DIR]`: a CURVE key pair for the
 * collector's authentication, without any network. */
#ifndef SV_KEYGEN_H
#define SV_KEYGEN_H

#include <stdbool.h>

/* True when name can be a key file name and a registry identity: 1 to 64
 * bytes, no space or control character, no '/', '"' or '#'. */
bool sv_keygen_name_ok(const char *name);

/* Writes dir/name.secret (mode 0600) and dir/name.pub (mode 0644) and
 * prints on stdout both paths, the public key and the line to add to the
 * collector's client registry ("NAME respondent KEY" for a 6-digit code,
 * else "NAME admin KEY"). Never overwrites: when either file exists,
 * nothing is written and the exit code is 2 (as for any other failure). */
int sv_cmd_keygen(const char *dir, const char *name);

#endif
