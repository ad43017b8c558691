/* Private to src/ledger/: the service object and helpers shared by its files. */
#ifndef SREBOT_LEDGER_LEDGER_INT_H
#define SREBOT_LEDGER_LEDGER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "util/json_cache.h"
#include "util/metrics.h"

#include "ledger/ledger.h"
#include "store/action_repo.h"
#include "store/ledger_repo.h"

#define LEDGER_MAX_CONSUMERS 32 /* outbox consumers with their own metrics */

/* Per outbox consumer: its metrics and the drop-log rate limit (prune only). */
struct consumer_stat {
    char name[64];
    struct metric_series *backlog, *dropped;
    int64_t last_warn_ms, unreported;
};

struct ledger {
    struct ledger_config cfg;
    struct store *store;

    pthread_mutex_t mu;
    pthread_cond_t cv;          /* outbox head moved, or stopping */
    int64_t outbox_head;        /* highest committed outbox seq */
    int stopping, started, relay_running;
    unsigned submitted;         /* ingests queued by ledger_ingest_submit, not yet done */
    pthread_cond_t drained;     /* submitted reached 0 */
    struct fold_params fold;    /* current (guarded by mu): from the policy, else cfg */
    int64_t policy_version;     /* the policy version fold was taken from (0 = none) */
    json_t *policy;             /* that version's document (guarded by mu; read-only) */
    _Atomic int64_t relay_cursor; /* last event the relay published */
    pthread_mutex_t prune_mu;   /* one outbox prune at a time; guards consumer_stats */
    struct consumer_stat consumer_stats[LEDGER_MAX_CONSUMERS];
    size_t nconsumer_stats;
    struct metric_series *findings_by_outcome[5]; /* srebot_ledger_findings_total{outcome} */
    struct metric_series *transitions_auto;       /* srebot_ledger_tick_transitions_total */
    pthread_t tick_thread, relay_thread;

    /* The incident counts answer (reads.c), kept under the outbox head it was
     * computed at: consoles in many tabs refreshing after one event cost one scan. */
    struct json_cache *counts;
    struct open_gauges *open_gauges; /* open_gauges.c (NULL without a metrics registry) */
    /* retention.c: counters, and the next nightly run (tick thread only) */
    struct metric_series *retention_pruned[6], *retention_runs, *retention_last_run;
    int64_t retention_next_ms;
    int retention_minute;
};

/* Records a state change of inc (already applied in memory): timeline entry,
 * audit record and outbox events, in the current transaction. */
enum store_status ledger_record_change(struct store_conn *c, const struct incident *inc,
                                       enum incident_state from, enum incident_state to,
                                       const char *actor, const char *reason, int64_t now_ms,
                                       int64_t *max_seq);
/* Appends an outbox event with data (stolen) for subject "incident/<id>". */
enum store_status ledger_emit(struct store_conn *c, const char *type, int64_t incident_id,
                              int64_t at_ms, json_t *data, int64_t *max_seq);
/* notifications.c: a notification outbox row (kind "" = incident) with its
 * sre.notification.created event, in the current transaction; idempotent by
 * dedupe_key (*created, may be NULL, says whether it was new). */
enum store_status ledger_notification_write(struct store_conn *c, struct notification_rec *r,
                                            int64_t now_ms, int64_t *max_seq, int *created);
/* The message of an approval request (r pending) or of its outcome (line: who
 * decided, how). */
enum store_status ledger_notify_approval(struct store_conn *c, const struct approval_rec *r,
                                         const struct attempt_rec *a, const char *line,
                                         int64_t now_ms, int64_t *max_seq);
/* "Resolved" for an incident that had notifications; nothing otherwise. */
enum store_status ledger_notify_resolved(struct store_conn *c, const struct incident *inc,
                                         int64_t now_ms, int64_t *max_seq);
/* open_gauges.c: registers srebot_incidents_open* (ledger_create) / frees them. */
void ledger_open_gauges_create(struct ledger *l);
void ledger_open_gauges_destroy(struct ledger *l);
/* retention.c: registers srebot_retention_* (ledger_create); runs the prune
 * when its nightly time has come (the tick thread). */
void ledger_retention_metrics(struct ledger *l);
void ledger_retention_tick(struct ledger *l, int64_t now_ms);
/* Publishes the new outbox head to waiters. */
void ledger_note_outbox(struct ledger *l, int64_t seq);
/* consumers.c: outbox retention behind the slowest consumer (the tick calls it). */
void ledger_prune_outbox(struct ledger *l);

/* relay.c: starts the outbox relay thread and the detector subscription (when a
 * bus is configured); joins the relay after ledger_stop set `stopping`. */
void ledger_relay_start(struct ledger *l);
void ledger_relay_join(struct ledger *l);

#endif
