/* SQLite: the ledger's write half (incidents, findings, evidence, timeline,
 * outbox). Every statement is prepared once per connection (sq_stmt). */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", s ? s : "");
}

void sq_incident_from_row(sqlite3_stmt *st, struct incident *out)
{
    memset(out, 0, sizeof *out);
    out->id = sqlite3_column_int64(st, 0);
    copy_col(st, 1, out->class_, sizeof out->class_);
    copy_col(st, 2, out->correlation_key, sizeof out->correlation_key);
    const char *state = (const char *)sqlite3_column_text(st, 3);
    if (incident_state_parse(state, &out->state) != 0)
        out->state = ST_OBSERVED;
    out->severity = (enum severity)sqlite3_column_int(st, 4);
    copy_col(st, 5, out->summary, sizeof out->summary);
    copy_col(st, 6, out->source, sizeof out->source);
    out->finding_count = sqlite3_column_int64(st, 7);
    out->first_seen_ms = sqlite3_column_int64(st, 8);
    out->last_seen_ms = sqlite3_column_int64(st, 9);
    out->updated_at_ms = sqlite3_column_int64(st, 10);
    out->state_since_ms = sqlite3_column_int64(st, 11);
    out->resolved_at_ms = sqlite3_column_int64(st, 12);
    out->suppressed_until_ms = sqlite3_column_int64(st, 13);
    out->last_status = (enum finding_status)sqlite3_column_int(st, 14);
}

/* The open incident of an identity (at most one, and always its latest
 * record), else its latest resolved one: each query walks its own partial
 * index (schema version 5). */
static enum store_status inc_latest_by(struct sq_conn *q, const char *sql, const char *cls,
                                       const char *key, struct incident *out)
{
    sqlite3_stmt *st = sq_stmt(q, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, cls, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    if (rc == SQLITE_ROW)
        sq_incident_from_row(st, out);
    else if (rc == SQLITE_DONE)
        res = STORE_NOT_FOUND;
    else
        res = sq_fail(q, rc, "incident lookup");
    sq_done(st);
    return res;
}

static enum store_status inc_latest(struct store_conn *c, const char *cls, const char *key,
                                    struct incident *out)
{
    struct sq_conn *q = sq_of(c);
    enum store_status res = inc_latest_by(q,
                                          "SELECT " SQ_INCIDENT_COLS " FROM incidents"
                                          " WHERE class = ?1 AND correlation_key = ?2"
                                          " AND state <> 'resolved'",
                                          cls, key, out);
    if (res == STORE_NOT_FOUND)
        res = inc_latest_by(q,
                            "SELECT " SQ_INCIDENT_COLS " FROM incidents"
                            " WHERE class = ?1 AND correlation_key = ?2 AND state = 'resolved'"
                            " ORDER BY id DESC LIMIT 1",
                            cls, key, out);
    return res;
}

static void bind_nullable(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* ?1..?14 in SQ_INCIDENT_COLS order, without id */
static void bind_incident(sqlite3_stmt *st, const struct incident *inc)
{
    sqlite3_bind_text(st, 1, inc->class_, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, inc->correlation_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, incident_state_name(inc->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, (int)inc->severity);
    sqlite3_bind_text(st, 5, inc->summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, inc->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, inc->finding_count);
    sqlite3_bind_int64(st, 8, inc->first_seen_ms);
    sqlite3_bind_int64(st, 9, inc->last_seen_ms);
    sqlite3_bind_int64(st, 10, inc->updated_at_ms);
    sqlite3_bind_int64(st, 11, inc->state_since_ms);
    bind_nullable(st, 12, inc->resolved_at_ms);
    bind_nullable(st, 13, inc->suppressed_until_ms);
    sqlite3_bind_int(st, 14, (int)inc->last_status);
}

static enum store_status inc_insert(struct store_conn *c, struct incident *inc)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(
        q, "INSERT INTO incidents(class, correlation_key, state, severity, summary, source,"
           " finding_count, first_seen, last_seen, updated_at, state_since, resolved_at,"
           " suppressed_until, last_status)"
           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
    if (!st)
        return STORE_ERROR;
    bind_incident(st, inc);
    enum store_status res = sq_exec_stmt(q, st, "insert incident");
    if (res == STORE_OK)
        inc->id = sqlite3_last_insert_rowid(q->db);
    return res;
}

/* The partial unique index incidents_open_identity depends on `state`: an
 * UPDATE that names state in SET rewrites that index entry even when the value
 * is unchanged, one random page per hot incident per commit. A fold rarely
 * changes the state, so it uses the statement without it. */
static const char *const inc_update_sql =
    "UPDATE incidents SET severity = ?4,"
    " summary = ?5, source = ?6, finding_count = ?7, first_seen = ?8, last_seen = ?9,"
    " updated_at = ?10, state_since = ?11, resolved_at = ?12, suppressed_until = ?13,"
    " last_status = ?14 WHERE id = ?15 AND class = ?1 AND correlation_key = ?2 AND state = ?3";
static const char *const inc_update_state_sql =
    "UPDATE incidents SET state = ?3, severity = ?4,"
    " summary = ?5, source = ?6, finding_count = ?7, first_seen = ?8, last_seen = ?9,"
    " updated_at = ?10, state_since = ?11, resolved_at = ?12, suppressed_until = ?13,"
    " last_status = ?14 WHERE id = ?15 AND class = ?1 AND correlation_key = ?2";

static enum store_status inc_update_with(struct sq_conn *q, const char *sql,
                                         const struct incident *inc, int *changed)
{
    sqlite3_stmt *st = sq_stmt(q, sql);
    if (!st)
        return STORE_ERROR;
    bind_incident(st, inc);
    sqlite3_bind_int64(st, 15, inc->id);
    enum store_status res = sq_exec_stmt(q, st, "update incident");
    if (res == STORE_OK)
        *changed = sqlite3_changes(q->db);
    return res;
}

static enum store_status inc_update(struct store_conn *c, const struct incident *inc)
{
    struct sq_conn *q = sq_of(c);
    /* The identity (class, key) never changes: leaving it out of SET spares
     * SQLite the identity index on every fold. First try without the state
     * (it matches only when the stored state is the same); else set it. */
    int changed = 0;
    enum store_status res = inc_update_with(q, inc_update_sql, inc, &changed);
    if (res == STORE_OK && changed != 1)
        res = inc_update_with(q, inc_update_state_sql, inc, &changed);
    if (res == STORE_OK && changed != 1) {
        snprintf(c->err, sizeof c->err, "incident %lld not found", (long long)inc->id);
        res = STORE_NOT_FOUND;
    }
    return res;
}

static enum store_status finding_lookup(struct store_conn *c, const char *id, int64_t *incident_id,
                                        int64_t *seq)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT incident_id, seq FROM findings WHERE fid = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    if (rc == SQLITE_ROW) {
        *incident_id = sqlite3_column_int64(st, 0);
        *seq = sqlite3_column_int64(st, 1);
    } else if (rc == SQLITE_DONE) {
        res = STORE_NOT_FOUND;
    } else {
        res = sq_fail(q, rc, "finding lookup");
    }
    sq_done(st);
    return res;
}

static enum store_status finding_insert(struct store_conn *c, const struct finding *f,
                                        int64_t incident_id, int outcome, int64_t received_at_ms,
                                        int64_t *seq)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "INSERT INTO findings(fid, incident_id, source, class, correlation_key,"
                   " severity, status, summary, observed_at, received_at, attributes, outcome)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
    if (!st)
        return STORE_ERROR;
    if (f->id[0])
        sqlite3_bind_text(st, 1, f->id, -1, SQLITE_STATIC);
    bind_nullable(st, 2, incident_id);
    sqlite3_bind_text(st, 3, f->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->class_, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, f->correlation_key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, (int)f->severity);
    sqlite3_bind_int(st, 7, (int)f->status);
    sqlite3_bind_text(st, 8, f->summary, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, f->observed_at_ms);
    sqlite3_bind_int64(st, 10, received_at_ms);
    if (f->attributes)
        sqlite3_bind_text(st, 11, f->attributes, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 12, outcome);
    enum store_status res = sq_exec_stmt(q, st, "insert finding");
    if (res == STORE_OK)
        *seq = sqlite3_last_insert_rowid(q->db);
    return res;
}

static enum store_status evidence_insert(struct store_conn *c, int64_t incident_id,
                                         const struct evidence *e, const char *source,
                                         int64_t at_ms, int64_t *id)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO evidence(incident_id, type, summary, data, hash,"
                                  " source, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                                  " ON CONFLICT(incident_id, hash) DO NOTHING");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_text(st, 2, evidence_type_name(e->type), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->summary, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e->data ? e->data : "null", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, e->hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, source ? source : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, at_ms);
    enum store_status res = sq_exec_stmt(q, st, "insert evidence");
    if (res == STORE_OK)
        *id = sqlite3_changes(q->db) ? sqlite3_last_insert_rowid(q->db) : 0;
    return res;
}

static enum store_status timeline_append(struct store_conn *c, int64_t incident_id, int64_t at_ms,
                                         const char *actor, const char *kind, const char *reason,
                                         const char *data_json)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO timeline(incident_id, at, actor, kind, reason, data)"
                                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_int64(st, 2, at_ms);
    sqlite3_bind_text(st, 3, actor ? actor : "system", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, reason ? reason : "", -1, SQLITE_STATIC);
    if (data_json)
        sqlite3_bind_text(st, 6, data_json, -1, SQLITE_STATIC);
    return sq_exec_stmt(q, st, "append timeline");
}

static enum store_status outbox_append(struct store_conn *c, const char *type, const char *subject,
                                       int64_t at_ms, const char *data_json, int64_t finding_seq,
                                       int64_t *seq)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "INSERT INTO outbox(type, subject, at, data, ref) VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at_ms);
    sqlite3_bind_text(st, 4, data_json ? data_json : "", -1, SQLITE_STATIC);
    if (!data_json)
        sqlite3_bind_int64(st, 5, finding_seq);
    enum store_status res = sq_exec_stmt(q, st, "append outbox");
    if (res == STORE_OK)
        *seq = sqlite3_last_insert_rowid(q->db);
    return res;
}

static enum store_status cursor_write(struct store_conn *c, const char *sql, const char *consumer,
                                      int64_t seq)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, sql);
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, consumer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    return sq_exec_stmt(q, st, "outbox cursor");
}

/* Cursors only move forward (a late, smaller write loses to the prune's move). */
static enum store_status cursor_set(struct store_conn *c, const char *consumer, int64_t seq)
{
    return cursor_write(c, "INSERT INTO outbox_cursors(consumer, seq) VALUES(?1, ?2)"
                           " ON CONFLICT(consumer) DO UPDATE SET seq = max(seq, excluded.seq)",
                        consumer, seq);
}

static enum store_status cursor_add(struct store_conn *c, const char *consumer, int64_t seq)
{
    return cursor_write(c, "INSERT INTO outbox_cursors(consumer, seq) VALUES(?1, ?2)"
                           " ON CONFLICT(consumer) DO NOTHING",
                        consumer, seq);
}

static enum store_status outbox_prune(struct store_conn *c, int64_t before, unsigned limit,
                                      int64_t *removed)
{
    struct sq_conn *q = sq_of(c);
    /* bounded per call: the oldest `limit` rows below `before` (a range on the key) */
    sqlite3_stmt *st = sq_stmt(q, "DELETE FROM outbox WHERE seq < min(?1,"
                                  " (SELECT coalesce(min(seq), 0) FROM outbox) + ?2)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, (int)limit);
    enum store_status res = sq_exec_stmt(q, st, "prune outbox");
    if (res == STORE_OK)
        *removed = sqlite3_changes(q->db);
    return res;
}

const struct store_ledger_ops sq_ledger_ops = {
    .incident_latest = inc_latest,
    .incident_insert = inc_insert,
    .incident_update = inc_update,
    .finding_lookup = finding_lookup,
    .finding_insert = finding_insert,
    .evidence_insert = evidence_insert,
    .timeline_append = timeline_append,
    .outbox_append = outbox_append,
    .outbox_cursor_set = cursor_set,
    .outbox_cursor_add = cursor_add,
    .incident_get = sq_inc_get,
    .incident_list = sq_inc_list,
    .incident_counts = sq_inc_counts,
    .prune = sq_ledger_prune,
    .incident_open_counts = sq_inc_open_counts,
    .incident_due = sq_inc_due,
    .findings_of = sq_findings_of,
    .evidence_of = sq_evidence_of,
    .timeline_of = sq_timeline_of,
    .outbox_after = sq_outbox_after,
    .outbox_cursor_get = sq_cursor_get,
    .outbox_cursors = sq_cursors,
    .outbox_head = sq_outbox_head,
    .outbox_prune = outbox_prune,
};
