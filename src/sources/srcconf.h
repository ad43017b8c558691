/* Small helpers for reading an instance's configuration object. The policy
 * validator has already checked the document; these still bound every value so
 * that a spec built by hand (tests, `detect --policy`) cannot misbehave. */
#ifndef SREBOT_SOURCES_SRCCONF_H
#define SREBOT_SOURCES_SRCCONF_H

#include <jansson.h>
#include <stddef.h>

/* Number at key (integer or real) within [min, max], else def. */
double srcconf_num(const json_t *obj, const char *key, double def, double min, double max);
/* Same as srcconf_num, but a missing key falls back to the environment variable
 * env (when set and numeric in range) before def. */
double srcconf_num_env(const json_t *obj, const char *key, const char *env, double def,
                       double min, double max);
/* String at key, or def. */
const char *srcconf_str(const json_t *obj, const char *key, const char *def);
/* Resolves a secret reference {"env":"NAME"} or {"file":"/path"} (or an object
 * holding "secret_ref": {...}) into out. Returns 0, or -1 with a reason that
 * never contains the secret. Trailing newlines of files are dropped.
 * Only variables named IF_SRE_SECRET_* are read, and only files that resolve
 * (links followed) to a place under file_roots (core/fileroots.h; NULL: any). */
int srcconf_secret(const json_t *ref, const char *file_roots, char *out, size_t outlen, char *err,
                   size_t errlen);

#endif
