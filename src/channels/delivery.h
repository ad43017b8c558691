/* The channel delivery worker: notification outbox -> providers, losing
 * nothing (docs/channels.md).
 *
 * One thread. Each pass it
 *   1. plans the notifications after its cursor (consumer "channels" in
 *      notification_cursors): the routes the policy's `routing` gives, one
 *      pending delivery record per route's first channel, and the cursor, in
 *      one transaction (ledger/channels.h) - a notification is planned once;
 *   2. sends what is due, per record: the per-channel rate limit, then the
 *      intent (pending -> sending, durable), then the provider with a
 *      deadline, then the outcome (sent / pending again after a backoff that
 *      honours retry_after_ms / failed) with its event; after failover_after
 *      failed attempts (or a refusal, a disabled or missing channel) the
 *      route's next channel gets its own record, in-app last. The failing
 *      channel keeps retrying on its own record, so when it is back it
 *      delivers too: exactly once per channel.
 * At start, records left `sending` by a crash become `unknown` (never resent:
 * the provider may have shown them) and the route's next channel takes them.
 *
 * Threads: a provider's send keeps the incident's thread (thread_ref) per
 * channel; an approval result gets the request's message (reply_ref) on the
 * same channel. A channel that gives up or fails over raises an
 * async_workloads.notification_delivery_failure finding (correlation key
 * channel/<id>), resolved by its next delivery.
 *
 * The worker object is made by main.c; nothing here is global.
 */
#ifndef SREBOT_CHANNELS_DELIVERY_H
#define SREBOT_CHANNELS_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "channels/channel.h"
#include "channels/delivery_plan.h"

struct ledger;
struct store;
struct net_client;
struct channel_worker;

struct channel_worker_config {
    struct ledger *ledger;
    struct store *store;                            /* read connections */
    struct net_client *net;                         /* providers' outbound calls */
    const char *file_roots;                         /* secret_ref files (NULL: any) */
    const char *console_base_url;                   /* links in messages; NULL: none */
    const struct channel_ops *const *extra_providers; /* searched first (tests); NULL */
    unsigned tick_ms;            /* longest sleep between passes (default 1000) */
    unsigned send_timeout_ms;    /* deadline of one provider call (default 15000) */
    unsigned rate_per_minute;    /* default per-channel limit (60); policy rate_per_minute wins */
    struct retry_policy retry;   /* delivery_plan.h (defaults: retry_policy_defaults) */
    int64_t first_start_window_ms; /* a new cursor starts this far back (default 10 min) */
    int report_findings;         /* 1: delivery failures become findings (default 1) */
    const char *consumer;        /* notification cursor name (default "channels") */
};
void channel_worker_config_defaults(struct channel_worker_config *cfg);

int channel_worker_create(const struct channel_worker_config *cfg, struct channel_worker **out,
                          char *err, size_t errlen);
/* Reconciles interrupted deliveries (sending -> unknown + failover), then
 * starts the thread. */
int channel_worker_start(struct channel_worker *w);
void channel_worker_stop(struct channel_worker *w);
void channel_worker_destroy(struct channel_worker *w); /* stops first; accepts NULL */

/* One pass at now_ms (plan, then send what is due), for tests that drive
 * the clock; also channel_worker_recover for them. */
void channel_worker_run_once(struct channel_worker *w, int64_t now_ms);
unsigned channel_worker_recover(struct channel_worker *w, int64_t now_ms);

#endif
