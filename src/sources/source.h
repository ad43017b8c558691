/* Signal sources: adapters that watch something and produce findings.
 *
 * A source only produces findings (JSON objects in the wire format of
 * docs/findings.md) and hands them to a sink; it never touches the store. The
 * scheduler (src/sources/scheduler.c) owns instances, intervals, retries with
 * backoff and per-instance stats. An adapter family in the shape of
 * util/adapter.h: one descriptor per kind, one file per adapter, one table
 * (source_registry[] in src/sources/registry.c) lists them, selected by the
 * spec's "kind". An instance gets its configuration and the shared objects it
 * may use (struct source_deps) and keeps no state outside its instance.
 */
#ifndef SREBOT_SOURCES_SOURCE_H
#define SREBOT_SOURCES_SOURCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Where findings go: the ledger's ingest in `serve`, HTTP/NATS in `detect`,
 * stdout in `scan`. emit takes ownership of finding. */
struct finding_sink {
    void (*emit)(void *ctx, json_t *finding);
    void *ctx;
};

/* What a source instance is given besides its configuration; made and owned by
 * the sources worker (sources.c), valid for the instance's whole life. */
struct metrics;
struct logrules_slot;
struct net_resolver;
struct net_client;
struct kube_client;
struct source_deps {
    struct metrics *metrics;       /* util/metrics.h: register families here (NULL = none) */
    struct logrules_slot *rules;   /* sources/logrules.h: the log rules in force */
    struct net_resolver *resolver; /* sources/netutil.h: bounded name lookups */
    struct net_client *net;        /* net/client.h: outbound HTTP (NULL: one-off clients) */
    struct kube_client *kube;      /* kube/client.h: the Kubernetes API (NULL: off) */
};

struct source_ops {
    const char *name;        /* the spec's "kind": "host", "tcp", "logfile" */
    const char *description;
    /* Builds an instance from its configuration object; deps is a
     * const struct source_deps * (never NULL). */
    int (*init)(const json_t *config, void *deps, void **instance, char *err, size_t errlen);
    /* One cycle: observe, emit zero or more findings. Non-zero = the cycle failed
     * (err says why); the scheduler retries with backoff. */
    int (*run)(void *instance, int64_t now_ms, const struct finding_sink *sink, char *err,
               size_t errlen);
    void (*destroy)(void *instance);
    unsigned default_interval_ms;
};

extern const struct source_ops *const source_registry[]; /* NULL-terminated */
const struct source_ops *source_find(const char *kind);
/* source_find, or NULL with the reason in err (unknown, or left out of this build). */
const struct source_ops *source_select(const char *kind, char *err, size_t errlen);

#endif
