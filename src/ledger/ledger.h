/* The ledger service: findings in, incidents out, every change durable with
 * its timeline entry, audit record and outbox event in the same transaction.
 *
 *   ingest ─> store writer (group commit) ─> ledger apply: fold the whole group
 *   in memory, one incident write per distinct incident, small finding rows,
 *   timeline + audit + outbox rows ─> commit ─> callers answered
 *
 * A tick thread applies time-driven transitions (flap damping, suppression
 * expiry); an outbox relay thread publishes committed events on the bus.
 * Thread-safe: every entry point may be called from any thread.
 */
#ifndef SREBOT_LEDGER_LEDGER_H
#define SREBOT_LEDGER_LEDGER_H

#include <jansson.h>
#include <stdint.h>

#include "core/fold.h"
#include "core/problems.h"
#include "ledger/status.h"
#include "store/store.h"

struct bus;
struct ledger;

struct ledger_config {
    struct store *store;
    struct bus *bus;            /* may be NULL: events stay in the outbox (SSE reads them) */
    struct fold_params fold;
    unsigned tick_ms;           /* how often time-driven transitions are checked */
    unsigned relay_ms;          /* outbox relay poll interval when idle */
    /* Called after new events commit (main.c: wakes SSE streams); or NULL. */
    void (*on_outbox)(void *ctx);
    void *on_outbox_ctx;
    struct metrics *metrics;    /* srebot_ledger_* go here; NULL = not recorded */
    int64_t outbox_retain;      /* events kept for SSE resume, consumers or not */
    int64_t outbox_max_backlog; /* a consumer further behind loses the oldest (ledger/consumers.h) */
};
void ledger_config_defaults(struct ledger_config *cfg);

enum svc_status ledger_create(const struct ledger_config *cfg, struct ledger **out);
/* Starts the tick and relay threads (and subscribes the detector subject on the bus). */
int ledger_start(struct ledger *l);
void ledger_stop(struct ledger *l);
/* Stops first, and waits for the ingests still queued by ledger_ingest_submit
 * (destroy the ledger before closing the store). Accepts NULL. */
void ledger_destroy(struct ledger *l);

struct ledger_result {
    char finding_id[FINDING_ID_MAX + 1]; /* the sender's id, or "seq:<n>" when none was given */
    int64_t incident_id;                 /* 0: a resolved finding with nothing to resolve */
    enum fold_outcome outcome;
};

/* Ingests a parsed batch and waits until it is durable. results: b->count
 * entries. actor: who sent it (token name), for the audit trail.
 * SVC_BUSY when the write queue is full; SVC_INTERNAL with the reason in err. */
enum svc_status ledger_ingest(struct ledger *l, const struct finding_batch *b, const char *actor,
                              struct ledger_result *results, char *err, size_t errlen);

/* The same without waiting, for callers that must not hold a thread while the
 * batch commits (HTTP handlers). SVC_OK: queued, and done(ctx, st, err) is
 * called exactly once, on the store's writer thread, when the batch is durable
 * (st SVC_OK, results filled) or failed (err says why); it must not block. Any
 * other status: nothing was queued and done is not called (SVC_BUSY: the write
 * queue is full). b, actor and results must stay valid until done is called. */
typedef void (*ledger_done_fn)(void *ctx, enum svc_status st, const char *err);
enum svc_status ledger_ingest_submit(struct ledger *l, const struct finding_batch *b,
                                     const char *actor, struct ledger_result *results,
                                     ledger_done_fn done, void *ctx);

/* Parses a findings document (one object or an array) and ingests it. On
 * invalid input returns SVC_INVALID with every problem in p. On success
 * *answer = {"items":[{"index","finding_id","incident_id","outcome"}]}. This is
 * the in-process entry for sources, the bus subscription and the HTTP handler. */
enum svc_status ledger_ingest_json(struct ledger *l, const char *buf, size_t len,
                                   const char *actor, json_t **answer, struct problems *p);
/* The same for an already parsed document. */
enum svc_status ledger_ingest_doc(struct ledger *l, json_t *doc, const char *actor,
                                  json_t **answer, struct problems *p);
/* Builds the answer for a batch ingested with ledger_ingest. */
json_t *ledger_results_json(const struct ledger_result *r, size_t n);

/* An operator transition. SVC_CONFLICT when the table forbids it (p holds
 * the allowed states at /to), SVC_INVALID for a bad suppress_until,
 * SVC_NOT_FOUND for an unknown incident. On success *out is the incident after. */
enum svc_status ledger_transition(struct ledger *l, int64_t incident_id, enum incident_state to,
                                  const char *reason, int has_suppress_until,
                                  int64_t suppress_until_ms, const char *actor,
                                  struct incident *out, struct problems *p);

/* Adds evidence to an incident; *evidence_id is 0 when identical evidence was
 * already attached. SVC_NOT_FOUND for an unknown incident. */
enum svc_status ledger_add_evidence(struct ledger *l, int64_t incident_id,
                                    const struct evidence *e, const char *actor,
                                    int64_t *evidence_id);

/* Runs the time-driven transitions due at now_ms once (the tick thread calls
 * this; tests call it with a chosen clock), and the outbox retention.
 * *changed gets how many incidents changed. */
enum svc_status ledger_tick(struct ledger *l, int64_t now_ms, unsigned *changed);

/* Highest outbox seq committed so far (for SSE waiters), and a wait for a newer one. */
int64_t ledger_outbox_head(struct ledger *l);
void ledger_outbox_wait(struct ledger *l, int64_t after, unsigned timeout_ms);

/* SVC_OK when the store writer commits writes (a recent commit, or a probe write
 * within the store's ready timeout); SVC_UNAVAILABLE otherwise. For /readyz. */
enum svc_status ledger_ready(struct ledger *l);
/* Retention (docs/policy.md#retention): deletes, in bounded batches through
 * the store writer, findings and resolved incidents older than the policy's
 * retention at now_ms, each batch audited as `actor`. Nothing when the policy
 * has no retention section (enabled = 0). The tick runs it nightly. */
struct retention_report {
    int enabled, batches;
    int64_t findings, incidents, evidence, timeline, events, other;
};
enum svc_status ledger_retention_run(struct ledger *l, int64_t now_ms, const char *actor,
                                     struct retention_report *out);
/* Sets the open-incident gauges (srebot_incidents_open{state,severity},
 * srebot_incidents_open_by_class{class}) from the store: /metrics calls it
 * before rendering. Accepts NULL. */
void ledger_refresh_gauges(struct ledger *l);
/* The fold parameters in force: the policy's incidents section once a policy is
 * saved (re-read on every tick when its version changes), else cfg->fold. */
void ledger_fold_params(struct ledger *l, struct fold_params *out);
/* The current policy document (a new reference, read-only; NULL when none is
 * saved). Checks for a newer version first, so a saved change applies at once. */
json_t *ledger_policy(struct ledger *l);

#endif
