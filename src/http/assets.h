/* Files embedded into the binary at build time (web/ -> build/gen/web_assets.c). */
#ifndef SREBOT_HTTP_ASSETS_H
#define SREBOT_HTTP_ASSETS_H

#include <stddef.h>

struct embedded_file {
    const char *path; /* "/index.html"; NULL ends the table */
    const unsigned char *data;
    size_t len;
    const char *etag; /* "\"<first 20 hex digits of the SHA-256>\"", computed at build time */
};
extern const struct embedded_file embedded_files[];

/* Looks up "/app.js"; NULL when absent. */
const struct embedded_file *assets_find(const char *path);

#endif
