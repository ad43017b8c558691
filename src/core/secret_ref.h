/* Secret references: how a policy names a secret without holding it
 * ({"secret_ref":{"env":"IF_SRE_SECRET_X"}} or {"file":"/path"}). Sources,
 * channel providers and the agent resolve them when they need the value, so a
 * rotated secret is picked up; the value never goes to a log or an answer. */
#ifndef SREBOT_CORE_SECRET_REF_H
#define SREBOT_CORE_SECRET_REF_H

#include <jansson.h>
#include <stddef.h>

/* Resolves a secret reference {"env":"NAME"} or {"file":"/path"} (or an object
 * holding "secret_ref": {...}) into out. Returns 0, or -1 with a reason that
 * never contains the secret. Trailing newlines of files are dropped.
 * Only variables named IF_SRE_SECRET_* are read, and only files that resolve
 * (links followed) to a place under file_roots (core/fileroots.h; NULL: any). */
int secret_ref_resolve(const json_t *ref, const char *file_roots, char *out, size_t outlen,
                       char *err, size_t errlen);

#endif
