/* The one table of store backends, selected by URL scheme (util/adapter.h).
 * A new backend (postgres://) adds one line here, under its build option, and
 * its own files. */
#include <stddef.h>

#include "store/backend.h"
#include "util/adapter.h"

extern const struct store_backend_ops store_sqlite_backend;

const struct store_backend_ops *const store_backend_registry[] = {
    &store_sqlite_backend,
    NULL,
};

static const struct adapter_absent store_absent[] = {
    {"postgres", "SREBOT_WITH_POSTGRES"}, /* the scale-out issue brings it */
    {NULL, NULL},
};

const struct store_backend_ops *store_backend_find(const char *name_or_url)
{
    for (size_t i = 0; store_backend_registry[i]; i++)
        if (adapter_selects(store_backend_registry[i]->name, name_or_url))
            return store_backend_registry[i];
    return NULL;
}

const struct store_backend_ops *store_backend_select(const char *name_or_url, char *err,
                                                     size_t errlen)
{
    const struct store_backend_ops *ops = store_backend_find(name_or_url);
    if (!ops)
        adapter_not_found("store", (const void *const *)store_backend_registry, store_absent,
                          name_or_url, err, errlen);
    return ops;
}
