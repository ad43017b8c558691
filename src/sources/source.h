/* Signal sources: adapters that watch something and produce findings.
 *
 * A source only produces findings (JSON objects in the wire format of
 * docs/findings.md) and hands them to a sink; it never touches the store. The
 * scheduler (src/sources/scheduler.c) owns instances, intervals, retries with
 * backoff and per-instance stats. One descriptor per kind, one file per adapter,
 * one table (source_registry[] in src/sources/registry.c) lists them.
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

struct source_ops {
    const char *kind;        /* "host", "probe", "logfile" */
    const char *description;
    /* Builds an instance from its configuration object. */
    int (*init)(const json_t *config, void **instance, char *err, size_t errlen);
    /* One cycle: observe, emit zero or more findings. Non-zero = the cycle failed
     * (err says why); the scheduler retries with backoff. */
    int (*run)(void *instance, int64_t now_ms, const struct finding_sink *sink, char *err,
               size_t errlen);
    void (*destroy)(void *instance);
    unsigned default_interval_ms;
};

extern const struct source_ops *const source_registry[]; /* NULL-terminated */
const struct source_ops *source_find(const char *kind);

#endif
