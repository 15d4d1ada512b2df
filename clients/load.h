/* load.h: `survey load FILE.jsonl`, the bulk path: one submission object
 * per line, many in flight on one DEALER socket, a summary at the end.
 *
 * A line without a submission_id gets a name-based (SHA-1) UUID of the
 * line's bytes, so that loading the same file twice reports duplicates
 * rather than conflicts. A line that is not valid JSON, or not a usable
 * submission, is a rejection of that line; the other lines still go. */
#ifndef SV_LOAD_H
#define SV_LOAD_H

#include "commands.h"

/* The namespace of the name-based submission ids. */
#define SV_LOAD_ID_NAMESPACE "eb98746e-6168-43f1-8959-a7aa21097421"

/* Loads path ("-" = stdin). Prints a progress bar on stderr when it is a
 * terminal, then on stdout
 *   loaded N submissions: A accepted (I incomplete), D duplicates,
 *   R rejected, U unanswered
 * and one line per rejected or unanswered submission. Once one goes
 * unanswered after every attempt (the collector is gone), or *o->stop is
 * set (SIGINT, SIGTERM), no more are sent: those in flight are seen
 * through, and a last line says how many were not sent and from which
 * line. Returns SV_EXIT_INTERRUPTED when stopped, SV_EXIT_NO_REPLY if any
 * submission got no reply or was not sent, else SV_EXIT_REJECTED if any
 * was rejected, SV_EXIT_USAGE for unreadable input, else SV_EXIT_OK. */
int sv_cmd_load(const sv_client_opts *o, const char *path);

/* The id a line without submission_id gets: the SHA-1 UUID of
 * line[0..len) in SV_LOAD_ID_NAMESPACE, lower case, into id. */
void sv_load_line_id(const char *line, size_t len, char id[37]);

#endif
