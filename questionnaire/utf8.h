/* utf8.h: UTF-8 validation shared by the sheet reader (sheets must be UTF-8
 * text) and answer validation (strings must fit protobuf string fields).
 * Strict RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF. */
#ifndef SV_UTF8_H
#define SV_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length in bytes (1-4) of the valid UTF-8 sequence that starts at s, which
 * holds len > 0 bytes; 0 if s does not start with a valid sequence. */
size_t sv_utf8_seq(const char *s, size_t len);

/* True if s[0..len) is entirely valid UTF-8. */
bool sv_utf8_valid(const char *s, size_t len);

#endif
