/* registry.h: the surveys a collector serves: every subdirectory of the
 * survey directory that holds an XLSForm settings.csv is one yearly survey,
 * known on the wire by its form_id. */
#ifndef SV_REGISTRY_H
#define SV_REGISTRY_H

#include "questionnaire.h"
#include "status.h"

#include <stddef.h>

typedef struct sv_registry sv_registry;

/* Loads every survey under dir. Fails (SV_ERR_PARSE, SV_ERR_IO,
 * SV_ERR_NOT_FOUND when there is none, SV_ERR_INVALID for two surveys with
 * one form_id) with the file, row and column in err. *out is owned by the
 * caller: sv_registry_destroy(). */
sv_status sv_registry_load(sv_registry **out, const char *dir, sv_error *err);

void sv_registry_destroy(sv_registry **self);

size_t sv_registry_count(const sv_registry *r);
const sv_questionnaire *sv_registry_at(const sv_registry *r, size_t i);

/* The survey with that form_id; an empty or NULL id names the only survey
 * when there is exactly one. NULL when there is no such survey. */
const sv_questionnaire *sv_registry_find(const sv_registry *r, const char *id);

/* Writes the served ids, comma-separated, into buf. */
void sv_registry_ids(const sv_registry *r, char *buf, size_t len);

#endif
