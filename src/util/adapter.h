/* The shape every adapter family shares: store backends (src/store/), the bus
 * (src/bus/), signal sources (src/sources/), action runners (src/actions/) and
 * channel providers (src/channels/). Copy it for a new family:
 *
 *   // X/X.h
 *   struct X_ops {
 *       const char *name;          // "local", "nats": selects it by name or URL scheme
 *       const char *description;   // one line, for --help and error messages
 *       // Builds an instance from its configuration (a JSON object, may be NULL)
 *       // and the objects it needs from main.c (deps: a family-specific struct,
 *       // e.g. the metrics registry). Non-zero: err says why.
 *       int (*init)(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen);
 *       ... every other call takes the instance pointer first ...
 *       void (*destroy)(void *instance);
 *   };
 *   extern const struct X_ops *const X_registry[]; // NULL-terminated, in X/registry.c
 *   const struct X_ops *X_find(const char *name_or_url); // adapter_selects() below
 *
 * Rules:
 * - One file per adapter; registry.c is the only file that names them. An
 *   adapter that needs an optional library is compiled (and listed) only when
 *   its CMake option is ON (cmake/adapters.cmake: SREBOT_WITH_<NAME>); the
 *   registry says so when it is configured but left out (X_missing_reason).
 * - No adapter keeps file-scope mutable state: everything lives in its instance.
 * - Outputs (bus publish, runners, channel providers) answer enum
 *   adapter_result; the caller (relay, worker) owns retries and backoff, so an
 *   adapter never sleeps and retries on its own.
 */
#ifndef SREBOT_UTIL_ADAPTER_H
#define SREBOT_UTIL_ADAPTER_H

#include <stddef.h>

enum adapter_result {
    ADAPTER_OK = 0, /* done */
    ADAPTER_RETRY,  /* not now (outage, busy, timeout): the caller retries with backoff */
    ADAPTER_ERROR,  /* never (bad input, refused): retrying would not help */
};
const char *adapter_result_name(enum adapter_result r);

/* 1 when name_or_url selects the adapter called `name`: the name itself
 * ("local"), or a URL whose scheme is the name ("local:", "nats://host:4222",
 * "sqlite:/var/db"). Case-sensitive, as URL schemes are written here. */
int adapter_selects(const char *name, const char *name_or_url);

/* An adapter this build left out, and the option that brings it in. Each
 * registry.c lists its own (under #ifndef SREBOT_WITH_<NAME>), NULL-terminated. */
struct adapter_absent {
    const char *name;   /* "nats" */
    const char *option; /* "SREBOT_WITH_NATS" */
};

/* The error for a name or URL no adapter of the family selects:
 *   "bus 'nats://h:4222': nats is not in this build (configure with -DSREBOT_WITH_NATS=ON)"
 *   "bus 'foo:': no such adapter (built in: local)"
 * registry: a NULL-terminated table whose entries begin with `const char *name`. */
void adapter_not_found(const char *family, const void *const *registry,
                       const struct adapter_absent *absent, const char *name_or_url, char *err,
                       size_t errlen);

#endif
