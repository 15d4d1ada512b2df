/* zstd_record.h: a revision's record as schemas 5 to 7 wrote it (codec 0:
 * one zstd frame, level -1, against dictionary 1), which this build no
 * longer writes but must still read. For the tests of revision_codec.c and
 * of the schema 7 upgrade, and the seeds of fuzz/fuzz_revision.c. */
#ifndef SV_TEST_ZSTD_RECORD_H
#define SV_TEST_ZSTD_RECORD_H

#include "survey.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* The record of rev, malloc'd, *len bytes; NULL when it cannot be made
 * (out of memory). Also built into fuzz/make_revision_seeds. */
uint8_t *zstd_record(const Survey__V1__Revision *rev, size_t *len);

#endif
