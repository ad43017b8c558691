/* Retention deletes (the ledger's nightly prune, src/ledger/retention.c), one
 * bounded batch per call, inside the writer's transaction.
 *
 * Findings go oldest first: the batch is the `batch` lowest sequence numbers,
 * of which those received before the cutoff are deleted; a finding still
 * referenced by an outbox event (sre.finding.observed carries only its seq)
 * is kept until the outbox has moved past it. Outbox events older than the
 * findings' cutoff go first (their findings could not go otherwise: the outbox
 * keeps up to a million events for resume), but only those every consumer
 * has handled.
 *
 * A resolved incident goes with everything recorded about it: findings,
 * evidence, timeline, action attempts, approval requests and decisions,
 * notifications with their deliveries, chat threads. The batch's incident ids
 * are gathered once into a temporary table, so every delete sees the same set;
 * children first (foreign keys are on). Incidents whose findings an outbox
 * event still references wait for the next run. */
#include "store/sqlite_int.h"

#define FLOOR_SQL "COALESCE((SELECT MIN(ref) FROM outbox WHERE ref IS NOT NULL), 9223372036854775807)"

static enum store_status run(struct sq_conn *q, sqlite3_stmt *st, int64_t *count)
{
    if (!st)
        return STORE_ERROR;
    enum store_status res = sq_exec_stmt(q, st, "retention");
    if (res == STORE_OK && count)
        *count += sqlite3_changes(q->db);
    return res;
}

static enum store_status prune_findings(struct sq_conn *q, int64_t before_ms, unsigned batch,
                                        int64_t *count)
{
    sqlite3_stmt *st = sq_stmt(q, "DELETE FROM findings WHERE seq IN (SELECT seq FROM findings"
                                  " WHERE seq < " FLOOR_SQL " ORDER BY seq LIMIT ?2)"
                                  " AND received_at < ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int(st, 2, (int)batch);
    return run(q, st, count);
}

static enum store_status prune_events(struct sq_conn *q, int64_t before_ms, unsigned batch,
                                      int64_t *count)
{
    sqlite3_stmt *st = sq_stmt(q, "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox"
                                  " WHERE seq <= COALESCE((SELECT MIN(seq) FROM outbox_cursors),"
                                  " 9223372036854775807) ORDER BY seq LIMIT ?2)"
                                  " AND at < ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int(st, 2, (int)batch);
    return run(q, st, count);
}

static enum store_status prune_incidents(struct sq_conn *q, int64_t before_ms, unsigned batch,
                                         struct prune_counts *out)
{
    char *msg = NULL;
    if (sqlite3_exec(q->db, "CREATE TEMP TABLE IF NOT EXISTS prune_ids(id INTEGER PRIMARY KEY)",
                     NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(q->base.err, sizeof q->base.err, "retention: %s", msg ? msg : "temp table");
        sqlite3_free(msg);
        return STORE_ERROR;
    }
    enum store_status res = run(q, sq_stmt(q, "DELETE FROM temp.prune_ids"), NULL);
    sqlite3_stmt *pick = res == STORE_OK
        ? sq_stmt(q, "INSERT INTO temp.prune_ids SELECT i.id FROM incidents i"
                     " WHERE i.state = 'resolved' AND i.resolved_at < ?1"
                     " AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.incident_id = i.id"
                     "   AND f.seq >= " FLOOR_SQL ")"
                     " ORDER BY i.id LIMIT ?2")
        : NULL;
    if (!pick)
        return STORE_ERROR;
    sqlite3_bind_int64(pick, 1, before_ms);
    sqlite3_bind_int(pick, 2, (int)batch);
    int64_t picked = 0;
    res = run(q, pick, &picked);
    if (res != STORE_OK || picked == 0)
        return res;
#define IDS "(SELECT id FROM temp.prune_ids)"
    if ((res = run(q, sq_stmt(q, "DELETE FROM approval_decisions WHERE request_id IN"
                                 " (SELECT id FROM approval_requests WHERE incident_id IN " IDS ")"),
                   &out->other)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM approval_requests WHERE incident_id IN " IDS),
                   &out->other)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM channel_deliveries WHERE notification_id IN"
                                 " (SELECT id FROM notifications WHERE incident_id IN " IDS ")"),
                   &out->other)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM notifications WHERE incident_id IN " IDS),
                   &out->other)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM channel_threads WHERE incident_id IN " IDS),
                   &out->other)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM action_attempts WHERE incident_id IN " IDS),
                   &out->other)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM evidence WHERE incident_id IN " IDS),
                   &out->evidence)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM timeline WHERE incident_id IN " IDS),
                   &out->timeline)) != STORE_OK ||
        (res = run(q, sq_stmt(q, "DELETE FROM findings WHERE incident_id IN " IDS),
                   &out->findings)) != STORE_OK)
        return res;
    return run(q, sq_stmt(q, "DELETE FROM incidents WHERE id IN " IDS), &out->incidents);
#undef IDS
}

enum store_status sq_ledger_prune(struct store_conn *c, int64_t findings_before_ms,
                                  int64_t incidents_before_ms, unsigned batch,
                                  struct prune_counts *out)
{
    struct sq_conn *q = sq_of(c);
    struct prune_counts n = {0};
    enum store_status res = STORE_OK;
    if (findings_before_ms > 0)
        res = prune_events(q, findings_before_ms, batch, &n.events);
    if (res == STORE_OK && incidents_before_ms > 0)
        res = prune_incidents(q, incidents_before_ms, batch, &n);
    if (res == STORE_OK && findings_before_ms > 0)
        res = prune_findings(q, findings_before_ms, batch, &n.findings);
    if (res == STORE_OK)
        *out = n;
    return res;
}
