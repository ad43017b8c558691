/* What every probe kind shares: configuration, the consecutive-failure latch,
 * and turning a check's outcome into firing / resolved findings.
 *
 * Configuration (the policy's `probes` entries):
 *   {"id":"db","kind":"tcp","target":"db.internal:5432","interval_seconds":30,
 *    "timeout_ms":3000,"failure_threshold":3,"recovery_threshold":1,
 *    "class":"runtime_services.runtime_dependency_outage","severity":"high",
 *    "refire_seconds":300, ...kind options}
 * A probe raises after failure_threshold consecutive failed checks and resolves
 * after recovery_threshold consecutive good ones (src/core/hysteresis.h). While
 * failing it repeats its firing finding every refire_seconds. The correlation
 * key is "<kind>:<target>", so two probes of one target fold together.
 * A new probe instance (start-up, or rebuilt by a policy change) does not know
 * whether an incident is still open for its key from before: its first good
 * check therefore sends one resolved finding (the ledger ignores it when there
 * is nothing to resolve), so an outage that ended while srebot was down or
 * being reconfigured does not stay open forever.
 * A check that fails is a finding, not a failed cycle: the cycle fails (and is
 * retried with backoff) only when the probe cannot run at all.
 */
#ifndef SREBOT_SOURCES_PROBE_H
#define SREBOT_SOURCES_PROBE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/hysteresis.h"
#include "sources/source.h"

struct probe;

struct probe_result {
    int ok;
    char detail[300]; /* what happened, for the summary and evidence */
    json_t *data;     /* kind-specific evidence fields (object, owned by the result) */
    int cycle_error;  /* the probe could not run (its own configuration, e.g. a missing
                       * secret): the cycle fails with detail, the latch is untouched */
};

struct probe_kind {
    const char *kind;
    const char *default_class;
    /* Parses kind options into *opts (may stay NULL). */
    int (*prepare)(struct probe *p, const json_t *cfg, void **opts, char *err, size_t errlen);
    /* Runs one check; fills r (r->data is a fresh object to add fields to). May
     * emit extra findings of its own (the TLS expiry) through sink. */
    void (*check)(struct probe *p, struct probe_result *r, int64_t now_ms,
                  const struct finding_sink *sink);
    void (*free_opts)(void *opts);
};

struct probe {
    const struct probe_kind *pk;
    char id[128];
    char target[512];
    char cls[100];
    char severity[16];
    int timeout_ms;
    unsigned failure_threshold;
    struct hysteresis latch;
    int64_t last_fired_ms;
    int64_t refire_ms;
    int unconfirmed; /* no good check and no raise yet since the instance was built */
    const struct source_deps *deps;
    void *opts;
};

int probe_create(const struct probe_kind *pk, const json_t *cfg, const struct source_deps *deps,
                 void **out, char *err, size_t errlen);
int probe_run(void *inst, int64_t now_ms, const struct finding_sink *sink, char *err,
              size_t errlen);
void probe_destroy(void *inst);

/* Emits a finding for this probe with one probe_result evidence (data stolen). */
void probe_emit(const struct probe *p, const struct finding_sink *sink, const char *cls,
                const char *key, const char *severity, int firing, const char *summary,
                json_t *data, int64_t now_ms);

/* Declares the source_ops of a probe kind (one line per kind file). */
#define PROBE_SOURCE_OPS(sym, pkind, kindname, desc)                                       \
    static int sym##_init(const json_t *c, void *d, void **o, char *e, size_t el)          \
    {                                                                                      \
        return probe_create(&pkind, c, d, o, e, el);                                       \
    }                                                                                      \
    const struct source_ops sym = {.name = kindname,                                       \
                                   .description = desc,                                    \
                                   .init = sym##_init,                                     \
                                   .run = probe_run,                                       \
                                   .destroy = probe_destroy,                               \
                                   .default_interval_ms = 30000}

#endif
