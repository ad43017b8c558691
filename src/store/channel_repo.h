/* The channel delivery repository: one delivery record per (notification,
 * channel) and the thread reference of each incident on each channel
 * (docs/channels.md). Backend-neutral prototypes; each backend implements
 * struct store_channel_ops (src/store/backend.h).
 *
 * Delivery states (the schema's CHECK refuses anything else):
 *   pending  -> sending (intent, durable before the provider is called)
 *   sending  -> sent | pending (retry later) | failed (gave up)
 *   sending  -> unknown (left by a crash: never resent; the route's next
 *               channel takes the message)
 *   pending  -> skipped (the channel is disabled or gone from the policy)
 *
 * Writes run inside the writer's transaction; reads on any connection.
 */
#ifndef SREBOT_STORE_CHANNEL_REPO_H
#define SREBOT_STORE_CHANNEL_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CHANNEL_ID_MAX 64     /* policy ids are shorter (PV_MAX_ID) */
#define CHANNEL_ROUTE_MAX 512 /* JSON text: the failover chain, ["a","b"] */
#define CHANNEL_REF_MAX 128   /* provider handles (Slack ts, Telegram message_id) */

struct delivery_rec {
    int64_t id, notification_id;
    char channel[CHANNEL_ID_MAX];
    char state[12];              /* pending | sending | sent | failed | skipped | unknown */
    char route[CHANNEL_ROUTE_MAX]; /* the chain this record belongs to (JSON array of ids) */
    int hop;                     /* this channel's place in route (== its length: in-app) */
    int attempts;                /* provider calls made */
    int failed_over;             /* 1 once the route's next channel was given the message */
    int64_t next_at_ms;          /* pending: when it is due */
    char last_error[256];        /* why the last attempt failed ("" after success) */
    char message_ref[CHANNEL_REF_MAX]; /* the provider's handle of the sent message */
    int64_t created_at_ms, updated_at_ms, sent_at_ms;
};

/* Inserts r (sets r->id); an existing (notification, channel) is not an
 * error: *created gets 0 and nothing changes. */
enum store_status store_delivery_insert(struct store_conn *c, struct delivery_rec *r,
                                        int *created);
/* Writes state, attempts, failed_over, next_at, last_error, message_ref,
 * updated_at and sent_at of r->id. */
enum store_status store_delivery_update(struct store_conn *c, const struct delivery_rec *r);
enum store_status store_delivery_get(struct store_conn *c, int64_t id, struct delivery_rec *out);
/* Pending records due at now_ms, earliest first, at most limit (1..1000). */
enum store_status store_delivery_due(struct store_conn *c, int64_t now_ms, unsigned limit,
                                     int (*fn)(const struct delivery_rec *r, void *ud), void *ud);
/* Records in `state`, oldest first, at most limit (1..1000). */
enum store_status store_delivery_in_state(struct store_conn *c, const char *state, unsigned limit,
                                          int (*fn)(const struct delivery_rec *r, void *ud),
                                          void *ud);
/* The records of one notification, by id. */
enum store_status store_delivery_of(struct store_conn *c, int64_t notification_id,
                                    int (*fn)(const struct delivery_rec *r, void *ud), void *ud);
/* The message_ref of the sent approval_request message of request approval_id
 * on channel; "" when there is none. */
enum store_status store_delivery_request_ref(struct store_conn *c, int64_t approval_id,
                                             const char *channel, char *out, size_t outlen);

/* What the console shows per channel, from its delivery records. */
struct channel_stats {
    char channel[CHANNEL_ID_MAX];
    int64_t sent, failed, pending;  /* records in those states (unknown counts as failed) */
    int64_t last_sent_at_ms;        /* 0 = never */
    int64_t last_attempt_at_ms;     /* the newest record's updated_at */
    char last_error[256];           /* the newest record's error ("" = it went out) */
};
/* Every channel that has records, by id; fn returns nonzero to stop. */
enum store_status store_channel_stats(struct store_conn *c,
                                      int (*fn)(const struct channel_stats *s, void *ud),
                                      void *ud);

/* The thread reference of an incident on a channel; "" when there is none. */
enum store_status store_channel_thread_get(struct store_conn *c, int64_t incident_id,
                                           const char *channel, char *out, size_t outlen);
/* Sets it when none is recorded yet (the first message's handle stays). */
enum store_status store_channel_thread_set(struct store_conn *c, int64_t incident_id,
                                           const char *channel, const char *ref, int64_t now_ms);

#endif
