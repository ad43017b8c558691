/* The one table of store backends, selected by URL scheme. A new backend
 * (postgres://) adds one line here and its own files. */
#include <string.h>

#include "store/backend.h"

extern const struct store_backend_ops store_sqlite_backend;

static const struct store_backend_ops *const backends[] = {
    &store_sqlite_backend,
};

const struct store_backend_ops *store_backend_for_url(const char *url)
{
    if (!url)
        return NULL;
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        size_t n = strlen(backends[i]->scheme);
        if (strncmp(url, backends[i]->scheme, n) == 0)
            return backends[i];
    }
    return NULL;
}
