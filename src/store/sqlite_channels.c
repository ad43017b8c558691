/* SQLite: the channel delivery repository (store/channel_repo.h). */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

#define DELIVERY_COLS                                                                              \
    "id, notification_id, channel, state, route, hop, attempts, failed_over, next_at,"            \
    " last_error, message_ref, created_at, updated_at, sent_at"

static void delivery_row(sqlite3_stmt *st, struct delivery_rec *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->notification_id = sqlite3_column_int64(st, 1);
    sq_col_text(st, 2, r->channel, sizeof r->channel);
    sq_col_text(st, 3, r->state, sizeof r->state);
    sq_col_text(st, 4, r->route, sizeof r->route);
    r->hop = sqlite3_column_int(st, 5);
    r->attempts = sqlite3_column_int(st, 6);
    r->failed_over = sqlite3_column_int(st, 7);
    r->next_at_ms = sqlite3_column_int64(st, 8);
    sq_col_text(st, 9, r->last_error, sizeof r->last_error);
    sq_col_text(st, 10, r->message_ref, sizeof r->message_ref);
    r->created_at_ms = sqlite3_column_int64(st, 11);
    r->updated_at_ms = sqlite3_column_int64(st, 12);
    r->sent_at_ms = sqlite3_column_int64(st, 13);
}

static enum store_status delivery_rows(struct sq_conn *q, sqlite3_stmt *st,
                                       int (*fn)(const struct delivery_rec *, void *), void *ud,
                                       const char *what)
{
    int rc;
    struct delivery_rec r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        delivery_row(st, &r);
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, what);
}

static enum store_status delivery_insert(struct store_conn *c, struct delivery_rec *r,
                                         int *created)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "INSERT INTO channel_deliveries(notification_id, channel, state, route, hop,"
                   " attempts, failed_over, next_at, last_error, message_ref, created_at,"
                   " updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)"
                   " ON CONFLICT(notification_id, channel) DO NOTHING");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->notification_id);
    sq_bind_text(st, 2, r->channel);
    sq_bind_text(st, 3, r->state);
    sq_bind_text(st, 4, r->route);
    sqlite3_bind_int(st, 5, r->hop);
    sqlite3_bind_int(st, 6, r->attempts);
    sqlite3_bind_int(st, 7, r->failed_over);
    sqlite3_bind_int64(st, 8, r->next_at_ms);
    sq_bind_text(st, 9, r->last_error);
    sq_bind_text(st, 10, r->message_ref);
    sqlite3_bind_int64(st, 11, r->created_at_ms);
    enum store_status res = sq_exec_stmt(q, st, "insert delivery");
    if (res != STORE_OK)
        return res;
    *created = sqlite3_changes(q->db) == 1;
    if (*created)
        r->id = sqlite3_last_insert_rowid(q->db);
    return STORE_OK;
}

static enum store_status delivery_update(struct store_conn *c, const struct delivery_rec *r)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "UPDATE channel_deliveries SET state = ?2, attempts = ?3, failed_over = ?4,"
                   " next_at = ?5, last_error = ?6, message_ref = ?7, updated_at = ?8,"
                   " sent_at = ?9 WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->id);
    sq_bind_text(st, 2, r->state);
    sqlite3_bind_int(st, 3, r->attempts);
    sqlite3_bind_int(st, 4, r->failed_over);
    sqlite3_bind_int64(st, 5, r->next_at_ms);
    sq_bind_text(st, 6, r->last_error);
    sq_bind_text(st, 7, r->message_ref);
    sqlite3_bind_int64(st, 8, r->updated_at_ms);
    if (r->sent_at_ms)
        sqlite3_bind_int64(st, 9, r->sent_at_ms);
    else
        sqlite3_bind_null(st, 9);
    enum store_status res = sq_exec_stmt(q, st, "update delivery");
    if (res == STORE_OK && sqlite3_changes(q->db) != 1)
        return STORE_NOT_FOUND;
    return res;
}

static enum store_status delivery_get(struct store_conn *c, int64_t id, struct delivery_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " DELIVERY_COLS " FROM channel_deliveries WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        delivery_row(st, out);
    enum store_status res = sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "delivery");
    return res == STORE_OK && rc != SQLITE_ROW ? STORE_NOT_FOUND : res;
}

static enum store_status delivery_due(struct store_conn *c, int64_t now_ms, unsigned limit,
                                      int (*fn)(const struct delivery_rec *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " DELIVERY_COLS " FROM channel_deliveries"
                                  " WHERE state = 'pending' AND next_at <= ?1"
                                  " ORDER BY next_at, id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, (int)limit);
    return delivery_rows(q, st, fn, ud, "due deliveries");
}

static enum store_status delivery_in_state(struct store_conn *c, const char *state, unsigned limit,
                                           int (*fn)(const struct delivery_rec *, void *),
                                           void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " DELIVERY_COLS " FROM channel_deliveries"
                                  " WHERE state = ?1 ORDER BY id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, state);
    sqlite3_bind_int(st, 2, (int)limit);
    return delivery_rows(q, st, fn, ud, "deliveries by state");
}

static enum store_status delivery_of(struct store_conn *c, int64_t notification_id,
                                     int (*fn)(const struct delivery_rec *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " DELIVERY_COLS " FROM channel_deliveries"
                                  " WHERE notification_id = ?1 ORDER BY id");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, notification_id);
    return delivery_rows(q, st, fn, ud, "deliveries of a notification");
}

static enum store_status one_text(struct sq_conn *q, sqlite3_stmt *st, char *out, size_t outlen,
                                  const char *what)
{
    int rc = sqlite3_step(st);
    out[0] = '\0';
    if (rc == SQLITE_ROW)
        sq_col_text(st, 0, out, outlen);
    return sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, what);
}

static enum store_status request_ref(struct store_conn *c, int64_t approval_id,
                                     const char *channel, char *out, size_t outlen)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT d.message_ref FROM channel_deliveries d"
                                  " JOIN notifications n ON n.id = d.notification_id"
                                  " WHERE n.approval_id = ?1 AND n.kind = 'approval_request'"
                                  " AND d.channel = ?2 AND d.state = 'sent'"
                                  " ORDER BY d.id LIMIT 1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, approval_id);
    sq_bind_text(st, 2, channel);
    return one_text(q, st, out, outlen, "approval request message");
}

static enum store_status stats(struct store_conn *c,
                               int (*fn)(const struct channel_stats *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    /* one row per channel; the newest record (by updated_at, then id) gives
     * the last attempt and its error */
    sqlite3_stmt *st = sq_stmt(
        q, "SELECT d.channel,"
           " sum(d.state = 'sent'), sum(d.state IN ('failed','unknown')),"
           " sum(d.state IN ('pending','sending')), coalesce(max(d.sent_at), 0),"
           " max(d.updated_at),"
           " (SELECT l.last_error FROM channel_deliveries l WHERE l.channel = d.channel"
           "  AND l.attempts > 0 ORDER BY l.updated_at DESC, l.id DESC LIMIT 1)"
           " FROM channel_deliveries d GROUP BY d.channel ORDER BY d.channel");
    if (!st)
        return STORE_ERROR;
    int rc;
    struct channel_stats s;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&s, 0, sizeof s);
        sq_col_text(st, 0, s.channel, sizeof s.channel);
        s.sent = sqlite3_column_int64(st, 1);
        s.failed = sqlite3_column_int64(st, 2);
        s.pending = sqlite3_column_int64(st, 3);
        s.last_sent_at_ms = sqlite3_column_int64(st, 4);
        s.last_attempt_at_ms = sqlite3_column_int64(st, 5);
        sq_col_text(st, 6, s.last_error, sizeof s.last_error);
        if (fn(&s, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "channel stats");
}

static enum store_status thread_get(struct store_conn *c, int64_t incident_id, const char *channel,
                                    char *out, size_t outlen)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT thread_ref FROM channel_threads"
                                  " WHERE incident_id = ?1 AND channel = ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sq_bind_text(st, 2, channel);
    return one_text(q, st, out, outlen, "channel thread");
}

static enum store_status thread_set(struct store_conn *c, int64_t incident_id, const char *channel,
                                    const char *ref, int64_t now_ms)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO channel_threads(incident_id, channel, thread_ref,"
                                  " created_at) VALUES(?1, ?2, ?3, ?4)"
                                  " ON CONFLICT(incident_id, channel) DO NOTHING");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sq_bind_text(st, 2, channel);
    sq_bind_text(st, 3, ref);
    sqlite3_bind_int64(st, 4, now_ms);
    return sq_exec_stmt(q, st, "channel thread");
}

const struct store_channel_ops sq_channel_ops = {
    .delivery_insert = delivery_insert,
    .delivery_update = delivery_update,
    .delivery_get = delivery_get,
    .delivery_due = delivery_due,
    .delivery_in_state = delivery_in_state,
    .delivery_of = delivery_of,
    .request_ref = request_ref,
    .stats = stats,
    .thread_get = thread_get,
    .thread_set = thread_set,
};
