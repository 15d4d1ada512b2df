/* auth.h: CURVE authentication for the collector. The registry of client
 * keys is a text file, one key per line:
 *
 *   # identity  role        public key (Z85, as in NAME.pub)
 *   010006      respondent  rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
 *   tanaka      admin       Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID
 *
 * The ZAP handler (RFC 27, a thread on inproc://zeromq.zap.01) accepts a
 * CURVE client only if its public key is in the registry, and hands the
 * socket the identity "respondent:010006" or "admin:tanaka" as the
 * message property User-Id, and the key as the property X-Key. Unknown keys
 * are refused. The registry can be reloaded while serving; a file that
 * does not parse leaves the old one. A key a reload takes out (or gives
 * another identity) is refused from its next request on, also on a
 * connection made before (sv_auth_in_force). */
#ifndef SV_AUTH_H
#define SV_AUTH_H

#include "status.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum { SV_ROLE_RESPONDENT = 1, SV_ROLE_ADMIN } sv_role;

typedef struct sv_auth sv_auth;

/* Loads the registry from clients_file and starts the ZAP handler in ctx.
 * Must be called before any CURVE server socket of ctx binds. *out is
 * owned by the caller: sv_auth_destroy() before zmq_ctx_term(). Errors
 * name the file and line. */
sv_status sv_auth_new(sv_auth **out, void *ctx, const char *clients_file,
                      sv_error *err);

/* Re-reads the registry file. On failure the previous registry stays in
 * force and err says why. */
sv_status sv_auth_reload(sv_auth *a, sv_error *err);

/* The message property (zmq_msg_gets) holding the public key (Z85) of
 * the connection a request came on. */
#define SV_KEY_PROPERTY "X-Key"

/* Whether key (Z85) is in the registry in force with identity user_id (as
 * the ZAP handler gave it at the connection's handshake): false once a
 * reload took the key out or gave it another identity or role. The
 * handshake is not made again for an open connection, so each request is
 * checked with this. */
bool sv_auth_in_force(sv_auth *a, const char *key, const char *user_id);

/* Number of keys in force. */
size_t sv_auth_count(sv_auth *a);

/* Stops the handler thread, closes its socket, frees *self. NULL-safe. */
void sv_auth_destroy(sv_auth **self);

/* Splits a User-Id "respondent:010006" / "admin:tanaka": returns false if
 * it is neither. *name points into user_id. */
bool sv_identity_parse(const char *user_id, sv_role *role, const char **name);

#endif
