/* fuzz_util.h: what the libFuzzer targets share: the 2024 questionnaire
 * loaded once from data/r6, a scratch directory made once per process and
 * removed at exit, and writing an input into a file of it.
 *
 * Every failure here is a broken fuzz set-up, not a finding: it is reported
 * on stderr and the process aborts. */
#ifndef SV_FUZZ_UTIL_H
#define SV_FUZZ_UTIL_H

#include "questionnaire.h"

#include <stddef.h>
#include <stdint.h>

/* The directory of the 2024 sheets (SV_SOURCE_DIR/data/r6). Static. */
const char *sv_fuzz_r6_dir(void);

/* Loads the 2024 questionnaire. Owned by the caller (it is kept for the
 * whole run, so nothing frees it). Aborts on failure. */
sv_questionnaire *sv_fuzz_load_r6(void);

/* Makes a fresh directory under $TMPDIR (else /tmp) and arranges for it and
 * the files written in it to be removed at exit. Returns its path, owned by
 * the caller. Aborts on failure. */
char *sv_fuzz_tempdir(void);

/* dir/name, owned by the caller: free(). Aborts on failure. */
char *sv_fuzz_join(const char *dir, const char *name);

/* Writes data[0..size) to path, replacing it. Aborts on failure. */
void sv_fuzz_write(const char *path, const uint8_t *data, size_t size);

/* The whole file at path; *size gets its length. Owned by the caller:
 * free(). Aborts on failure. */
uint8_t *sv_fuzz_read(const char *path, size_t *size);

/* A NUL-terminated copy of data[0..size) (NUL bytes inside stay, so C
 * string readers see a prefix). Owned by the caller: free(). Aborts when
 * out of memory. */
char *sv_fuzz_cstr(const uint8_t *data, size_t size);

#endif
