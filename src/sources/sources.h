/* The sources worker of `serve` and `detect`: one scheduler (src/sources/scheduler.h)
 * whose instances come from built-in defaults plus the policy's `probes`,
 * `log_sources` and `thresholds`. An object: main.c makes it (sources_create),
 * starts and stops it (again and again: a replica runs the sources only while
 * it leads) and hands it to the API (struct app) for GET /api/v1/sources. A new
 * policy version (polled, or given to sources_apply_policy) swaps instances by
 * id without a restart. It owns what its adapters share (struct source_deps:
 * the log rules in force, the bounded resolver) and passes the metrics
 * registry it was given.
 *
 * Defaults (always present unless the policy overrides the same id):
 *   host  - kind "host" on "/" and the data dir's filesystem;
 *   logs  - kind "logfile" on IF_SRE_LOG_PATHS (default ./logs/ *.log files), when that
 *           kind is built in.
 * Probes run only when the policy names some.
 */
#ifndef SREBOT_SOURCES_SOURCES_H
#define SREBOT_SOURCES_SOURCES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"

struct sources_config {
    const char *data_dir;  /* its filesystem is watched; logfile state lives under it */
    const char *logs_glob; /* default log detector paths; NULL or "" = none */
    /* Where files the policy names may lie (core/fileroots.h): passed to policy
     * log sources and probes as "file_roots". NULL: anywhere (srebot detect,
     * where the operator hands the policy in). */
    const char *file_roots;
    unsigned workers;      /* scheduler threads; default 4 */
    int no_host;           /* leave the default host source out */
    /* Where the policy comes from in `serve`: returns the current document (new
     * reference) and its version when that version is not `known`; NULL when it
     * is unchanged or there is none. Polled every policy_poll_ms (default 5000);
     * a new version is applied without a restart.
     * NULL: only the policy given to sources_start (and sources_apply_policy). */
    json_t *(*policy_fn)(void *ctx, int64_t known, int64_t *version);
    void *policy_ctx;
    unsigned policy_poll_ms;
    struct metrics *metrics; /* scheduler and adapter metrics; NULL = not recorded */
    struct net_client *net;  /* net/client.h: the shared HTTP client; NULL = one per call */
    /* kube/client.h: the Kubernetes API. Non-NULL: the `kubernetes` instance
     * runs (unless the policy's kubernetes.enabled is false). */
    struct kube_client *kube;
};

struct sources;

/* The instance specs for a policy document (may be NULL). Pure; new reference. */
json_t *sources_specs_from_policy(const struct sources_config *cfg, const json_t *policy);

/* Makes a stopped sources worker; cfg (strings too) and sink are copied.
 * sink->emit must be thread-safe. */
int sources_create(const struct sources_config *cfg, const struct finding_sink *sink,
                   struct sources **out, char *err, size_t errlen);
/* Starts the scheduler on policy (NULL: cfg's policy_fn's current one) and the
 * policy watcher. Fails when started already; fine again after sources_stop. */
int sources_start(struct sources *s, const json_t *policy, char *err, size_t errlen);
/* Applies a new policy document (instances swapped by id). No-op when stopped. */
int sources_apply_policy(struct sources *s, const json_t *policy, char *err, size_t errlen);
/* {"items":[...]} as GET /api/v1/sources answers (empty when stopped or s NULL). */
json_t *sources_status(struct sources *s);
/* Waits until every enabled instance ran `cycles` cycles (or timeout_ms); 0 when reached. */
int sources_wait_cycles(struct sources *s, unsigned long cycles, int timeout_ms);
/* Stops the watcher and every instance (waits for running cycles). NULL ok. */
void sources_stop(struct sources *s);
void sources_destroy(struct sources *s); /* stops first; NULL ok */

#endif
