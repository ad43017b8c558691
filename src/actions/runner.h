/* Action runners: the adapter family that touches the world for an action
 * attempt (ARCHITECTURE.md "Remediation"; the family shape of util/adapter.h).
 *
 * One descriptor per action, named by the action (core/actions.h), one file
 * per runner, one table (registry.c). The remediation worker (worker.h) owns
 * everything around a runner: it records the intent (`executing`, with the
 * idempotency key) before calling execute, gives a deadline, retries a RETRY
 * with backoff while the deadline allows, records the outcome and schedules
 * the closed-loop check. So a runner:
 *   - never sleeps to retry and never writes the ledger itself (notify writes
 *     only its outbox row, through deps);
 *   - returns by rq->deadline_ns (pass it on to every network call: src/net/);
 *   - is idempotent by rq->idempotency_key (the same key twice = one effect),
 *     since the worker may call it again after a RETRY;
 *   - describes what it changed (out->changed), or what it would change when
 *     rq->dry_run (then only preflight is called).
 *
 * Adding a runner (the Kubernetes issue adds delete_completed_pods,
 * suspend_cronjob, ...): a file src/actions/<name>.c with a const struct
 * runner_ops, one line in registry.c. Tests add their own runners by handing
 * the worker an extra table (worker.h: extra_runners); nothing is global.
 */
#ifndef SREBOT_ACTIONS_RUNNER_H
#define SREBOT_ACTIONS_RUNNER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/incident.h"
#include "core/problems.h"
#include "util/adapter.h"

struct ledger;
struct kube_client;

/* What main.c hands every runner instance (init's deps argument). */
struct runner_deps {
    struct ledger *ledger;    /* the notification outbox (notify) */
    struct kube_client *kube; /* kube/client.h: the Kubernetes API (NULL: off) */
};

struct runner_request {
    int64_t attempt_id, incident_id;
    const char *action, *target;
    const char *idempotency_key;
    const json_t *params;            /* validated by validate(); may be NULL */
    const struct incident *incident; /* as it was when the attempt began */
    int dry_run;
    uint64_t deadline_ns;            /* util/timeutil.h time_mono_ns() clock */
    /* The policy in force at the gate (a validated document; may be NULL in
     * tests): runners that act on a cluster refuse its protected namespaces
     * themselves too. */
    const json_t *policy;
};

struct runner_outcome {
    char changed[512]; /* what changed (or would change), one line */
    char error[256];   /* why not, for RETRY / ERROR */
    json_t *detail;    /* optional structured detail (stolen by the worker) */
};

struct runner_ops {
    const char *name;        /* the action it runs: "notify", "rollout_restart" ... */
    const char *description; /* one line */
    /* How success is checked (the worker's closed loop):
     *   RUNNER_VERIFY_NONE    nothing to watch (notify, recommendations)
     *   RUNNER_VERIFY_SIGNAL  the incident's signal should clear within the
     *                         action's verify_seconds; success contains the incident */
    int verify;
    /* cfg: the runner's settings (NULL today); deps: struct runner_deps. */
    int (*init)(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen);
    /* Checks target and params before anything runs; 0 or -1 with problems. */
    int (*validate)(void *instance, const char *target, const json_t *params, struct problems *p);
    /* Dry run: what execute would change, touching nothing (a server-side dry
     * run where the API has one). NULL = nothing to preflight. */
    enum adapter_result (*preflight)(void *instance, const struct runner_request *rq,
                                     struct runner_outcome *out);
    enum adapter_result (*execute)(void *instance, const struct runner_request *rq,
                                   struct runner_outcome *out);
    void (*destroy)(void *instance); /* accepts NULL */
};
#define RUNNER_VERIFY_NONE 0
#define RUNNER_VERIFY_SIGNAL 1

/* The built-in runners, NULL-terminated (registry.c). */
extern const struct runner_ops *const runner_registry[];
/* The runner for an action in the registry; NULL when this build has none. */
const struct runner_ops *runner_find(const char *name);
/* The same in any NULL-terminated table (NULL table = none). */
const struct runner_ops *runner_find_in(const struct runner_ops *const *table, const char *name);

#endif
