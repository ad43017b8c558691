/* The remediation worker: closes the loop incident -> decision -> action or
 * approval -> result -> verification (ARCHITECTURE.md "Data flow").
 *
 * One thread. It reads committed ledger events through its own outbox
 * cursor (consumer "remediation": events committed while it was down are
 * handled after a restart), and for each incident a finding folded into calls
 * the evaluator (core/evaluator.h) with the current policy and the recent
 * action history, and records every decision (denials too) through the ledger
 * (ledger/actions.h). Each tick it also
 *   - expires approval requests nobody decided in time,
 *   - runs attempts that may run (proposed automatic ones, approved ones):
 *     the gate re-checks every guard with the policy of now, the ledger makes
 *     the intent durable (`executing`), then the runner executes with a
 *     deadline; RETRY is retried with backoff while the deadline allows;
 *   - records recommendation-only attempts (nothing executes),
 *   - verifies succeeded attempts whose verify_seconds passed: cleared ->
 *     the incident moves on (contained -> recovering -> resolved by the
 *     lifecycle table); not cleared -> the next playbook step, or escalation
 *     when none is left within the attempt budget.
 * At start it turns attempts left `executing` by a crash into `unknown`
 * (never re-run).
 *
 * Runners: the built-in table (actions/runner.h) plus an optional extra
 * table searched first (tests bring a runner for an approval-only action).
 * The worker object is made by main.c; nothing here is global.
 */
#ifndef SREBOT_ACTIONS_WORKER_H
#define SREBOT_ACTIONS_WORKER_H

#include <stdint.h>

#include "actions/runner.h"

struct ledger;
struct kube_client;
struct remed_worker;

struct remed_worker_config {
    struct ledger *ledger;
    struct store *store;                           /* read connections (history, events) */
    const struct runner_ops *const *runners;       /* NULL = runner_registry */
    const struct runner_ops *const *extra_runners; /* searched first; NULL = none */
    unsigned tick_ms;           /* expiry / execution / verification pass (default 1000) */
    unsigned runner_timeout_ms; /* deadline of one execution, retries included (default 30000) */
    const char *consumer;       /* outbox cursor name (default "remediation") */
    struct kube_client *kube;   /* kube/client.h, for the Kubernetes runners (NULL: off) */
};
void remed_worker_config_defaults(struct remed_worker_config *cfg);

/* Builds the runner instances. Non-zero with err on failure. */
int remed_worker_create(const struct remed_worker_config *cfg, struct remed_worker **out,
                        char *err, size_t errlen);
/* Reconciles interrupted attempts (executing -> unknown), then starts the thread. */
int remed_worker_start(struct remed_worker *w);
void remed_worker_stop(struct remed_worker *w);
void remed_worker_destroy(struct remed_worker *w); /* stops first; accepts NULL */

/* One pass at now_ms (events after the cursor, expiry, execution,
 * verification), for tests that drive the clock. */
void remed_worker_run_once(struct remed_worker *w, int64_t now_ms);

#endif
