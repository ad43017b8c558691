#include "channels/chat_secret.h"

#include <stdio.h>
#include <string.h>

#include "core/secret_ref.h"

int chat_secret(const json_t *settings, const char *key, const char *file_roots, char *out,
                size_t outlen, char *err, size_t errlen)
{
    char why[160];
    const json_t *ref = json_object_get(settings, key);
    out[0] = '\0';
    if (!ref) {
        snprintf(err, errlen, "settings.%s is not set", key);
        return -1;
    }
    if (secret_ref_resolve(ref, file_roots, out, outlen, why, sizeof why) != 0) {
        snprintf(err, errlen, "settings.%s: %s", key, why);
        return -1;
    }
    if (!out[0]) {
        snprintf(err, errlen, "settings.%s resolves to an empty value", key);
        return -1;
    }
    return 0;
}

void chat_secret_wipe(char *s, size_t len)
{
    volatile char *v = s;
    while (len--)
        *v++ = 0;
}
