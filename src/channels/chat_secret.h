/* A provider instance keeps its settings (with their secret references) and
 * resolves a secret when it needs it, so that a rotated file or variable is
 * picked up without a restart; the resolved value lives on the caller's stack
 * and is wiped after the call. */
#ifndef SREBOT_CHANNELS_CHAT_SECRET_H
#define SREBOT_CHANNELS_CHAT_SECRET_H

#include <jansson.h>
#include <stddef.h>

#define CHAT_SECRET_MAX 512

/* settings[key] (a secret_ref object) into out. 0, or -1 with a reason
 * naming the setting (never the secret). */
int chat_secret(const json_t *settings, const char *key, const char *file_roots, char *out,
                size_t outlen, char *err, size_t errlen);
/* Overwrites a resolved secret (not optimised away). */
void chat_secret_wipe(char *s, size_t len);

#endif
