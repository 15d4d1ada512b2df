/* revision_dict.h: the built-in dictionaries of stored revisions
 * (storage/revision_codec.c), by number. Generated and frozen: see
 * tools/revision-dict.py. */
#ifndef SV_REVISION_DICT_H
#define SV_REVISION_DICT_H

#include <stddef.h>

/* Number 1: made from the 2024 questionnaire. */
extern const unsigned char sv_revision_dict1[];
extern const size_t sv_revision_dict1_len;

#endif
