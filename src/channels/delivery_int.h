/* Private to src/channels/delivery*.c. */
#ifndef SREBOT_CHANNELS_DELIVERY_INT_H
#define SREBOT_CHANNELS_DELIVERY_INT_H

#include <pthread.h>

#include "channels/delivery.h"

#define WORKER_MAX_CHANNELS 33 /* PV_MAX_CHANNELS + the implicit in-app one */
#define DUE_BATCH 128
#define PLAN_BATCH 64

/* One policy channel and its provider instance. */
struct channel_slot {
    char id[CHANNEL_ID_MAX];
    char provider[24];
    const struct channel_ops *ops; /* NULL: no such provider in this build */
    void *instance;                /* NULL when init failed (init_error says why) */
    char init_error[256];
    int enabled;
    unsigned rate_per_minute;
    struct rate_bucket bucket;
    int failing;                   /* a delivery-failure finding is open for it */
};

struct channel_worker {
    struct channel_worker_config cfg;
    struct channel_deps deps;
    json_t *policy_doc;            /* the document the slots were built from */
    struct channel_slot slots[WORKER_MAX_CHANNELS];
    size_t nslots;
    char inapp_id[CHANNEL_ID_MAX];

    pthread_mutex_t mu;
    int stopping, started;
    pthread_t thread;
};

/* delivery.c */
struct channel_slot *worker_slot(struct channel_worker *w, const char *id);
void worker_refresh_policy(struct channel_worker *w);
/* Store callback: fills the first free slot of a DUE_BATCH array of records. */
int worker_collect_rec(const struct delivery_rec *r, void *ud);

/* delivery_send.c: sends what is due at now; returns how many records it handled. */
size_t worker_send_due(struct channel_worker *w, int64_t now);
/* delivery_send.c: one record decided without a provider call (disabled,
 * missing channel, crash-interrupted): state, error, and the failover. */
void worker_settle(struct channel_worker *w, struct delivery_rec *r, const char *state,
                   const char *error, int64_t now);
/* delivery_send.c: the finding for a channel that fails or recovered. */
void worker_report(struct channel_worker *w, struct channel_slot *s, int failing,
                   const char *error);

#endif
