/* Bounded JSON input: every JSON body from outside goes through here.
 * Rejects (with a problem entry) documents larger than max_bytes, nested deeper
 * than max_depth, with duplicate keys, or not valid JSON. */
#ifndef SREBOT_CORE_JSONIN_H
#define SREBOT_CORE_JSONIN_H

#include <jansson.h>
#include <stddef.h>

#include "core/problems.h"

#define JSONIN_DEFAULT_DEPTH 32

/* Returns a new reference, or NULL with one problem added (code invalid_json,
 * too_large or too_deep). */
json_t *jsonin_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
                     struct problems *out);

/* The same checks with the reason as text in err ("too_deep: ..."), for
 * readers of streams that have no problem list (a watch event per line). */
json_t *jsonin_parse_text(const char *buf, size_t len, size_t max_bytes, int max_depth, char *err,
                          size_t errlen);

/* Typed field helpers for validators: each adds a problem (path = base/key) and
 * returns NULL / -1 when the field is missing (if required) or of the wrong type. */
const char *jsonin_string(json_t *obj, const char *base, const char *key, int required,
                          size_t max_len, struct problems *p);
int jsonin_int(json_t *obj, const char *base, const char *key, int required, long long min,
               long long max, long long *out, struct problems *p);
int jsonin_bool(json_t *obj, const char *base, const char *key, int required, int *out,
                struct problems *p);
/* Adds an unknown_field problem for every key of obj not in the NULL-terminated list. */
void jsonin_no_unknown(json_t *obj, const char *base, const char *const *known, struct problems *p);

#endif
