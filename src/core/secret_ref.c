/* Secret references (core/secret_ref.h). */
#include "core/secret_ref.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileroots.h"

int secret_ref_resolve(const json_t *ref, const char *file_roots, char *out, size_t outlen,
                       char *err, size_t errlen)
{
    if (json_object_get(ref, "secret_ref"))
        ref = json_object_get(ref, "secret_ref");
    const char *env = json_string_value(json_object_get(ref, "env"));
    const char *file = json_string_value(json_object_get(ref, "file"));
    if (env) {
        if (strncmp(env, SECRET_ENV_PREFIX, strlen(SECRET_ENV_PREFIX)) != 0) {
            snprintf(err, errlen, "secret_ref env %s: only %s* variables are read", env,
                     SECRET_ENV_PREFIX);
            return -1;
        }
        const char *v = getenv(env);
        if (!v || !*v) {
            snprintf(err, errlen, "secret_ref env %s is not set", env);
            return -1;
        }
        if (strlen(v) >= outlen) {
            snprintf(err, errlen, "secret_ref env %s is too long", env);
            return -1;
        }
        memcpy(out, v, strlen(v) + 1);
        return 0;
    }
    if (file) {
        char real[PATH_MAX];
        if (file_roots && (!realpath(file, real) || !fileroots_allows(file_roots, real))) {
            snprintf(err, errlen, "secret_ref file %s: not under the allowed file roots", file);
            return -1;
        }
        int fd = open(file_roots ? real : file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "secret_ref file %s: %s", file, strerror(errno));
            return -1;
        }
        ssize_t n = read(fd, out, outlen - 1);
        close(fd);
        if (n < 0 || (size_t)n >= outlen - 1) {
            snprintf(err, errlen, "secret_ref file %s: unreadable or too long", file);
            return -1;
        }
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
            n--;
        out[n] = '\0';
        return 0;
    }
    snprintf(err, errlen, "secret_ref: expected {\"env\":...} or {\"file\":...}");
    return -1;
}
