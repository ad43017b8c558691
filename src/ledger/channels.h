/* The channel half of the ledger: the durable steps of the delivery worker
 * (channels/delivery.h). Each is one write through the store writer with its
 * outbox event in the same transaction, so the delivery records, the
 * notification cursor and the events never disagree, restarts included.
 *
 * Events (docs/events.md): sre.notification.delivered,
 * sre.notification.delivery_failed (data.final: gave up on this channel),
 * sre.notification.failover (the route's next channel takes the message).
 */
#ifndef SREBOT_LEDGER_CHANNELS_H
#define SREBOT_LEDGER_CHANNELS_H

#include <jansson.h>
#include <stdint.h>

#include "ledger/status.h"
#include "store/channel_repo.h"
#include "store/store.h"

struct ledger;

/* A new notification's first delivery records (recs, n may be 0) and the
 * notification cursor `consumer` moved to notification_id, in one
 * transaction: a notification is planned exactly once. */
enum svc_status channels_plan(struct ledger *l, const char *consumer, int64_t notification_id,
                              struct delivery_rec *recs, size_t n, int64_t now_ms);

/* Intent before the provider call: pending -> sending, durable when this
 * returns. SVC_CONFLICT when the record is no longer pending. */
enum svc_status channels_begin(struct ledger *l, int64_t delivery_id, int64_t now_ms,
                               struct delivery_rec *out);

/* One delivery step as the worker decided it. */
struct delivery_step {
    struct delivery_rec rec;             /* the record with its new state and counters */
    const struct delivery_rec *failover; /* the route's next record to create, or NULL */
    int64_t incident_id;                 /* for the event subject and the thread (0 = none) */
    const char *thread_ref;              /* the provider's thread handle to keep, or NULL */
    const char *provider;                /* for the event */
    int64_t retry_at_ms;                 /* rec pending again: when (for the event) */
};
/* Writes the step: the record, the failover record (unless that channel has one
 * already), the thread reference, and the event. */
enum svc_status channels_record(struct ledger *l, const struct delivery_step *s, int64_t now_ms);

/* "Send test message": a notification of kind test meant for channel only
 * (audited as channel.test by actor). *id gets the notification id. */
enum svc_status channels_test_post(struct ledger *l, const char *channel, const char *actor,
                                   int64_t now_ms, int64_t *id);

/* ---- reads ---- */

/* {"items":[{"id","provider","description","enabled","in_build","two_way",
 *  "rate_per_minute","health","sent","failed","pending","last_delivery_at",
 *  "last_attempt_at","last_error"}]}: the policy's channels (and the implicit
 * in-app one) with their delivery records. health: ok | failing | idle |
 * disabled | unavailable. */
enum svc_status channels_view(struct store *s, const json_t *policy, json_t **out);
/* 1 when the policy has a channel `id` (in-app always). */
int channels_policy_has(const json_t *policy, const char *id);

#endif
