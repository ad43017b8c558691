/* The ledger's repository: incidents, findings, evidence, timeline, outbox, and
 * the action-attempt / approval tables. Backend-neutral prototypes; each backend
 * implements struct store_ledger_ops (src/store/backend.h).
 *
 * Write functions run inside the writer's transaction (from an apply function);
 * read functions on a pooled read connection. Every function returns a
 * store_status and writes out-parameters only on STORE_OK.
 */
#ifndef SREBOT_STORE_LEDGER_REPO_H
#define SREBOT_STORE_LEDGER_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "core/finding.h"
#include "core/incident.h"
#include "store/store.h"

/* ---- writes ---- */

/* The most recent incident (highest id) with this identity; STORE_NOT_FOUND if none. */
enum store_status store_incident_latest(struct store_conn *c, const char *class_,
                                        const char *correlation_key, struct incident *out);
/* Inserts inc and sets inc->id. STORE_CONFLICT when an open incident with the
 * same identity already exists (the unique open identity). */
enum store_status store_incident_insert(struct store_conn *c, struct incident *inc);
enum store_status store_incident_update(struct store_conn *c, const struct incident *inc);

/* The incident a finding id was filed under: STORE_OK with *incident_id (0 when the
 * finding has none) and *seq, STORE_NOT_FOUND when the id is new. */
enum store_status store_finding_lookup(struct store_conn *c, const char *finding_id,
                                       int64_t *incident_id, int64_t *seq);
/* Appends a finding row (id "" = none given) with the outcome of its folding
 * (enum fold_outcome); *seq gets its sequence number. */
enum store_status store_finding_insert(struct store_conn *c, const struct finding *f,
                                       int64_t incident_id, int outcome, int64_t received_at_ms,
                                       int64_t *seq);

/* Adds evidence to an incident unless the same content (hash) is already there:
 * *id gets the new row id, or 0 when it was a repeat. */
enum store_status store_evidence_insert(struct store_conn *c, int64_t incident_id,
                                        const struct evidence *e, const char *source,
                                        int64_t at_ms, int64_t *id);

/* kind: opened|reopened|finding_folded|state_changed|evidence_added|decision|action|approval */
enum store_status store_timeline_append(struct store_conn *c, int64_t incident_id, int64_t at_ms,
                                        const char *actor, const char *kind, const char *reason,
                                        const char *data_json);

/* Appends an event to the transactional outbox; *seq gets its sequence (the
 * event id is "evt_<seq>"). data_json NULL with finding_seq > 0: an
 * sre.finding.observed event whose data readers build from that finding row. */
enum store_status store_outbox_append(struct store_conn *c, const char *type,
                                      const char *subject, int64_t at_ms, const char *data_json,
                                      int64_t finding_seq, int64_t *seq);
/* Retention: removes up to `limit` of the oldest events with seq < before;
 * *removed gets how many. */
enum store_status store_outbox_prune(struct store_conn *c, int64_t before, unsigned limit,
                                     int64_t *removed);
/* An outbox consumer's cursor (the last seq it handled), written with its
 * progress. Cursors only move forward: a smaller seq leaves the stored one. */
enum store_status store_outbox_cursor_set(struct store_conn *c, const char *consumer,
                                          int64_t seq);
/* Registers a consumer at seq unless it is registered already (then its cursor
 * stays). A registered consumer holds back outbox pruning (ledger/consumers.h). */
enum store_status store_outbox_cursor_add(struct store_conn *c, const char *consumer,
                                          int64_t seq);

/* ---- reads ---- */

enum store_status store_incident_get(struct store_conn *c, int64_t id, struct incident *out);

enum incident_sort {
    SORT_LAST_SEEN_DESC = 0,
    SORT_LAST_SEEN_ASC,
    SORT_FIRST_SEEN_DESC,
    SORT_FIRST_SEEN_ASC,
    SORT_SEVERITY_DESC,
    SORT_SEVERITY_ASC,
};

struct incident_filter {
    int has_state;
    enum incident_state state;
    const char *class_;   /* exact, or NULL */
    const char *domain;   /* class prefix before the dot, or NULL */
    int has_severity;
    enum severity severity;
    const char *source;
    const char *q;        /* substring of summary or correlation key */
    int64_t since_ms, until_ms; /* last_seen window; 0 = open */
    enum incident_sort sort;
    unsigned limit;       /* 1..500 */
    /* keyset cursor: the sort value and id of the last row of the previous page */
    int has_cursor;
    int64_t cursor_value, cursor_id;
    /* with q: examine at most this many incidents (those passing the other
     * filters, in sort order) for the text; 0 = no bound */
    unsigned max_scan;
};
/* Where a bounded text search stopped (incident_filter.max_scan). */
struct incident_scan {
    unsigned examined;           /* incidents tested for the text */
    int stopped;                 /* 1: max_scan were examined before the end */
    int64_t last_value, last_id; /* keyset position of the last one examined */
};
/* Calls fn for each matching incident in order; fn returns nonzero to stop.
 * scan (may be NULL) gets where a bounded text search stopped. */
enum store_status store_incident_list(struct store_conn *c, const struct incident_filter *f,
                                      int (*fn)(const struct incident *inc, void *ud), void *ud,
                                      struct incident_scan *scan);

/* Counts by state, class and severity: fn(dimension, value, count). */
enum store_status store_incident_counts(struct store_conn *c,
                                        void (*fn)(const char *dim, const char *value,
                                                   int64_t n, void *ud),
                                        void *ud);

/* Retention (src/ledger/retention.c): one bounded batch, in a write
 * transaction. Deletes up to `batch` resolved incidents resolved before
 * incidents_before_ms with everything recorded about them, and of the `batch`
 * oldest findings those received before findings_before_ms (a cutoff <= 0
 * skips that kind). Rows an outbox event still references are kept. */
struct prune_counts {
    int64_t findings, incidents, evidence, timeline;
    int64_t events; /* outbox events older than the findings' cutoff, handled by all */
    int64_t other;  /* attempts, approvals, notifications, deliveries, threads */
};
enum store_status store_ledger_prune(struct store_conn *c, int64_t findings_before_ms,
                                     int64_t incidents_before_ms, unsigned batch,
                                     struct prune_counts *out);

/* Open (not resolved) incidents counted by class, state and severity:
 * fn(class, state, severity, count) once per group. */
enum store_status store_incident_open_counts(struct store_conn *c,
                                             void (*fn)(const char *cls, const char *state,
                                                        int severity, int64_t n, void *ud),
                                             void *ud);

/* Incidents whose time-driven transition is due: recovering since before
 * now - quiet_ms, or suppressed until before now. At most `limit`. */
enum store_status store_incident_due(struct store_conn *c, int64_t now_ms, int64_t quiet_ms,
                                     unsigned limit,
                                     int (*fn)(const struct incident *inc, void *ud), void *ud);

struct finding_row {
    int64_t seq;
    const char *id;        /* the given id, or NULL */
    const char *source, *summary, *attributes; /* attributes: JSON text or NULL */
    enum severity severity;
    enum finding_status status;
    int64_t observed_at_ms;
};
/* The newest `limit` findings of an incident, newest first. */
enum store_status store_findings_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                    int (*fn)(const struct finding_row *r, void *ud), void *ud);

struct evidence_row {
    int64_t id;
    const char *type, *summary, *data, *hash, *source;
    int64_t created_at_ms;
};
enum store_status store_evidence_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                    int (*fn)(const struct evidence_row *r, void *ud), void *ud);

struct timeline_row {
    int64_t id, at_ms;
    const char *actor, *kind, *reason, *data;
};
/* Oldest first, after id `after` (0 = from the start). */
enum store_status store_timeline_of(struct store_conn *c, int64_t incident_id, int64_t after,
                                    unsigned limit,
                                    int (*fn)(const struct timeline_row *r, void *ud), void *ud);

struct outbox_row {
    int64_t seq, at_ms;
    const char *type, *subject, *data;
};
/* Events with seq > after, in order, at most limit. */
enum store_status store_outbox_after(struct store_conn *c, int64_t after, unsigned limit,
                                     int (*fn)(const struct outbox_row *r, void *ud), void *ud);
/* The highest outbox seq (0 when empty). */
enum store_status store_outbox_head(struct store_conn *c, int64_t *seq);
/* The cursor of a consumer (0 when it is not registered). */
enum store_status store_outbox_cursor_get(struct store_conn *c, const char *consumer,
                                          int64_t *seq);
/* Every registered consumer and its cursor, by name; fn returns nonzero to stop. */
enum store_status store_outbox_cursors(struct store_conn *c,
                                       int (*fn)(const char *consumer, int64_t seq, void *ud),
                                       void *ud);

#endif
