/* The one table of bus adapters. Adding one touches its own file and one row
 * here (under its build option when it needs an optional library). */
#include <stddef.h>

#include "bus/bus.h"

extern const struct bus_ops bus_local;

const struct bus_ops *const bus_registry[] = {
    &bus_local,
    NULL,
};

/* Adapters this build left out, so that configuring one says how to get it. */
static const struct adapter_absent bus_absent[] = {
    {"nats", "SREBOT_WITH_NATS"}, /* not written yet: the scale-out issue brings it */
    {NULL, NULL},
};

const struct bus_ops *bus_find(const char *name_or_url)
{
    for (size_t i = 0; bus_registry[i]; i++)
        if (adapter_selects(bus_registry[i]->name, name_or_url))
            return bus_registry[i];
    return NULL;
}

const struct bus_ops *bus_select(const char *name_or_url, char *err, size_t errlen)
{
    const struct bus_ops *ops = bus_find(name_or_url);
    if (!ops)
        adapter_not_found("bus", (const void *const *)bus_registry, bus_absent, name_or_url, err,
                          errlen);
    return ops;
}
