/* The ledger repository: backend-neutral entry points (checks, then dispatch). */
#include <stdio.h>
#include <string.h>

#include "store/backend.h"

static enum store_status need_writer(struct store_conn *c)
{
    if (c->readonly) {
        snprintf(c->err, sizeof c->err, "write on a read connection");
        return STORE_INVALID;
    }
    return STORE_OK;
}

#define WRITER_ONLY(c)                                                                             \
    do {                                                                                           \
        enum store_status st_ = need_writer(c);                                                    \
        if (st_ != STORE_OK)                                                                       \
            return st_;                                                                            \
    } while (0)

enum store_status store_incident_latest(struct store_conn *c, const char *class_,
                                        const char *correlation_key, struct incident *out)
{
    return c->ops->ledger->incident_latest(c, class_, correlation_key, out);
}

enum store_status store_incident_insert(struct store_conn *c, struct incident *inc)
{
    WRITER_ONLY(c);
    return c->ops->ledger->incident_insert(c, inc);
}

enum store_status store_incident_update(struct store_conn *c, const struct incident *inc)
{
    WRITER_ONLY(c);
    return c->ops->ledger->incident_update(c, inc);
}

enum store_status store_finding_lookup(struct store_conn *c, const char *finding_id,
                                       int64_t *incident_id, int64_t *seq)
{
    return c->ops->ledger->finding_lookup(c, finding_id, incident_id, seq);
}

enum store_status store_finding_insert(struct store_conn *c, const struct finding *f,
                                       int64_t incident_id, int outcome, int64_t received_at_ms,
                                       int64_t *seq)
{
    WRITER_ONLY(c);
    return c->ops->ledger->finding_insert(c, f, incident_id, outcome, received_at_ms, seq);
}

enum store_status store_evidence_insert(struct store_conn *c, int64_t incident_id,
                                        const struct evidence *e, const char *source,
                                        int64_t at_ms, int64_t *id)
{
    WRITER_ONLY(c);
    return c->ops->ledger->evidence_insert(c, incident_id, e, source, at_ms, id);
}

enum store_status store_timeline_append(struct store_conn *c, int64_t incident_id, int64_t at_ms,
                                        const char *actor, const char *kind, const char *reason,
                                        const char *data_json)
{
    WRITER_ONLY(c);
    return c->ops->ledger->timeline_append(c, incident_id, at_ms, actor, kind, reason, data_json);
}

enum store_status store_outbox_append(struct store_conn *c, const char *type,
                                      const char *subject, int64_t at_ms, const char *data_json,
                                      int64_t finding_seq, int64_t *seq)
{
    WRITER_ONLY(c);
    if (!data_json && finding_seq <= 0) {
        snprintf(c->err, sizeof c->err, "an event needs data or a finding");
        return STORE_INVALID;
    }
    return c->ops->ledger->outbox_append(c, type, subject, at_ms, data_json, finding_seq, seq);
}

enum store_status store_outbox_cursor_set(struct store_conn *c, const char *consumer, int64_t seq)
{
    WRITER_ONLY(c);
    return c->ops->ledger->outbox_cursor_set(c, consumer, seq);
}

enum store_status store_outbox_cursor_add(struct store_conn *c, const char *consumer, int64_t seq)
{
    WRITER_ONLY(c);
    return c->ops->ledger->outbox_cursor_add(c, consumer, seq);
}

enum store_status store_incident_get(struct store_conn *c, int64_t id, struct incident *out)
{
    return c->ops->ledger->incident_get(c, id, out);
}

enum store_status store_incident_list(struct store_conn *c, const struct incident_filter *f,
                                      int (*fn)(const struct incident *inc, void *ud), void *ud,
                                      struct incident_scan *scan)
{
    struct incident_scan ignored;
    if (!scan)
        scan = &ignored;
    memset(scan, 0, sizeof *scan);
    if (f->limit < 1 || f->limit > 500) {
        snprintf(c->err, sizeof c->err, "limit must be 1..500");
        return STORE_INVALID;
    }
    return c->ops->ledger->incident_list(c, f, fn, ud, scan);
}

enum store_status store_incident_counts(struct store_conn *c,
                                        void (*fn)(const char *dim, const char *value, int64_t n,
                                                   void *ud),
                                        void *ud)
{
    return c->ops->ledger->incident_counts(c, fn, ud);
}

enum store_status store_incident_open_counts(struct store_conn *c,
                                             void (*fn)(const char *cls, const char *state,
                                                        int severity, int64_t n, void *ud),
                                             void *ud)
{
    return c->ops->ledger->incident_open_counts(c, fn, ud);
}

enum store_status store_ledger_prune(struct store_conn *c, int64_t findings_before_ms,
                                     int64_t incidents_before_ms, unsigned batch,
                                     struct prune_counts *out)
{
    if (batch == 0 || !out)
        return STORE_INVALID;
    return c->ops->ledger->prune(c, findings_before_ms, incidents_before_ms, batch, out);
}

enum store_status store_incident_due(struct store_conn *c, int64_t now_ms, int64_t quiet_ms,
                                     unsigned limit,
                                     int (*fn)(const struct incident *inc, void *ud), void *ud)
{
    return c->ops->ledger->incident_due(c, now_ms, quiet_ms, limit, fn, ud);
}

enum store_status store_findings_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                    int (*fn)(const struct finding_row *r, void *ud), void *ud)
{
    return c->ops->ledger->findings_of(c, incident_id, limit, fn, ud);
}

enum store_status store_evidence_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                    int (*fn)(const struct evidence_row *r, void *ud), void *ud)
{
    return c->ops->ledger->evidence_of(c, incident_id, limit, fn, ud);
}

enum store_status store_timeline_of(struct store_conn *c, int64_t incident_id, int64_t after,
                                    unsigned limit,
                                    int (*fn)(const struct timeline_row *r, void *ud), void *ud)
{
    return c->ops->ledger->timeline_of(c, incident_id, after, limit, fn, ud);
}

enum store_status store_outbox_after(struct store_conn *c, int64_t after, unsigned limit,
                                     int (*fn)(const struct outbox_row *r, void *ud), void *ud)
{
    return c->ops->ledger->outbox_after(c, after, limit, fn, ud);
}

enum store_status store_outbox_cursor_get(struct store_conn *c, const char *consumer,
                                          int64_t *seq)
{
    return c->ops->ledger->outbox_cursor_get(c, consumer, seq);
}

enum store_status store_outbox_cursors(struct store_conn *c,
                                       int (*fn)(const char *consumer, int64_t seq, void *ud),
                                       void *ud)
{
    return c->ops->ledger->outbox_cursors(c, fn, ud);
}

enum store_status store_outbox_head(struct store_conn *c, int64_t *seq)
{
    return c->ops->ledger->outbox_head(c, seq);
}

enum store_status store_outbox_prune(struct store_conn *c, int64_t before, unsigned limit,
                                     int64_t *removed)
{
    WRITER_ONLY(c);
    return c->ops->ledger->outbox_prune(c, before, limit, removed);
}
