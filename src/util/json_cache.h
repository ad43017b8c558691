/* One JSON document kept under a version (e.g. the outbox head it was computed
 * at): a reader with the same version gets a copy instead of recomputing. An
 * object (made by main.c, one per cached answer), thread-safe. */
#ifndef SREBOT_UTIL_JSON_CACHE_H
#define SREBOT_UTIL_JSON_CACHE_H

#include <jansson.h>
#include <stdint.h>

struct json_cache;

struct json_cache *json_cache_create(void);
void json_cache_destroy(struct json_cache *c); /* accepts NULL */
/* A deep copy of the document kept under `version`, or NULL (none, another
 * version, version < 0, or c NULL). */
json_t *json_cache_get(struct json_cache *c, int64_t version);
/* Keeps a deep copy of doc under version (version < 0 or c NULL: nothing). */
void json_cache_put(struct json_cache *c, int64_t version, const json_t *doc);

#endif
