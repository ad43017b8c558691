/* SQLite: the remediation repository (store/action_repo.h): attempts,
 * approval requests and votes, the notification outbox. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

/* NULL for "" or 0: optional columns stay NULL rather than empty */
static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sq_bind_text(st, i, s);
    else
        sqlite3_bind_null(st, i);
}

static void bind_opt_i64(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* ---- attempts ---- */

#define ATTEMPT_COLS                                                                               \
    "id, incident_id, action, target, params, mode, state, idempotency_key, dry_run, result,"     \
    " created_at, updated_at, reason_code, reason, requested_by, step, started_at, finished_at,"  \
    " verify_at, verification"

static void attempt_from_row(sqlite3_stmt *st, struct attempt_rec *a)
{
    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(st, 0);
    a->incident_id = sqlite3_column_int64(st, 1);
    sq_col_text(st, 2, a->action, sizeof a->action);
    sq_col_text(st, 3, a->target, sizeof a->target);
    sq_col_text(st, 4, a->params, sizeof a->params);
    sq_col_text(st, 5, a->mode, sizeof a->mode);
    sq_col_text(st, 6, a->state, sizeof a->state);
    sq_col_text(st, 7, a->idempotency_key, sizeof a->idempotency_key);
    a->dry_run = sqlite3_column_int(st, 8);
    sq_col_text(st, 9, a->result, sizeof a->result);
    a->created_at_ms = sqlite3_column_int64(st, 10);
    a->updated_at_ms = sqlite3_column_int64(st, 11);
    sq_col_text(st, 12, a->reason_code, sizeof a->reason_code);
    sq_col_text(st, 13, a->reason, sizeof a->reason);
    sq_col_text(st, 14, a->requested_by, sizeof a->requested_by);
    a->step = sqlite3_column_int(st, 15);
    a->started_at_ms = sqlite3_column_int64(st, 16);
    a->finished_at_ms = sqlite3_column_int64(st, 17);
    a->verify_at_ms = sqlite3_column_int64(st, 18);
    sq_col_text(st, 19, a->verification, sizeof a->verification);
}

static enum store_status attempt_insert(struct store_conn *c, struct attempt_rec *a)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(
        q, "INSERT INTO action_attempts(incident_id, action, target, params, mode, state,"
           " idempotency_key, dry_run, result, created_at, updated_at, reason_code, reason,"
           " requested_by, step, started_at, finished_at, verify_at, verification)"
           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
           " ?18, ?19)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, a->incident_id);
    sq_bind_text(st, 2, a->action);
    sq_bind_text(st, 3, a->target);
    bind_opt_text(st, 4, a->params);
    sq_bind_text(st, 5, a->mode);
    sq_bind_text(st, 6, a->state);
    sq_bind_text(st, 7, a->idempotency_key);
    sqlite3_bind_int(st, 8, a->dry_run);
    bind_opt_text(st, 9, a->result);
    sqlite3_bind_int64(st, 10, a->created_at_ms);
    sqlite3_bind_int64(st, 11, a->updated_at_ms);
    sq_bind_text(st, 12, a->reason_code);
    sq_bind_text(st, 13, a->reason);
    sq_bind_text(st, 14, a->requested_by);
    sqlite3_bind_int(st, 15, a->step);
    bind_opt_i64(st, 16, a->started_at_ms);
    bind_opt_i64(st, 17, a->finished_at_ms);
    bind_opt_i64(st, 18, a->verify_at_ms);
    sq_bind_text(st, 19, a->verification);
    enum store_status res = sq_exec_stmt(q, st, "insert attempt");
    if (res == STORE_OK)
        a->id = sqlite3_last_insert_rowid(q->db);
    return res;
}

static enum store_status attempt_update(struct store_conn *c, const struct attempt_rec *a)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(
        q, "UPDATE action_attempts SET state = ?2, result = ?3, updated_at = ?4, started_at = ?5,"
           " finished_at = ?6, verify_at = ?7, verification = ?8, dry_run = ?9 WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, a->id);
    sq_bind_text(st, 2, a->state);
    bind_opt_text(st, 3, a->result);
    sqlite3_bind_int64(st, 4, a->updated_at_ms);
    bind_opt_i64(st, 5, a->started_at_ms);
    bind_opt_i64(st, 6, a->finished_at_ms);
    bind_opt_i64(st, 7, a->verify_at_ms);
    sq_bind_text(st, 8, a->verification);
    sqlite3_bind_int(st, 9, a->dry_run);
    enum store_status res = sq_exec_stmt(q, st, "update attempt");
    if (res == STORE_OK && sqlite3_changes(q->db) != 1) {
        snprintf(c->err, sizeof c->err, "attempt %lld not found", (long long)a->id);
        res = STORE_NOT_FOUND;
    }
    return res;
}

static enum store_status attempt_one(struct sq_conn *q, sqlite3_stmt *st, const char *what,
                                     struct attempt_rec *out)
{
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    if (rc == SQLITE_ROW)
        attempt_from_row(st, out);
    else if (rc == SQLITE_DONE)
        res = STORE_NOT_FOUND;
    else
        res = sq_fail(q, rc, what);
    sq_done(st);
    return res;
}

static enum store_status attempt_get(struct store_conn *c, int64_t id, struct attempt_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " ATTEMPT_COLS " FROM action_attempts WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    return attempt_one(q, st, "attempt get", out);
}

static enum store_status each_attempt(struct sq_conn *q, sqlite3_stmt *st, const char *what,
                                      int (*fn)(const struct attempt_rec *, void *), void *ud)
{
    int rc;
    struct attempt_rec a;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        attempt_from_row(st, &a);
        if (fn(&a, ud))
            break;
    }
    return sq_rows_done(q, st, rc, what);
}

#define ATTEMPT_WHERE                                                                              \
    " FROM action_attempts WHERE (?1 IS NULL OR incident_id = ?1) AND (?2 IS NULL OR state = ?2)" \
    " AND (?3 IS NULL OR created_at >= ?3) AND (?4 IS NULL OR id < ?4)"

static enum store_status attempt_list(struct store_conn *c, const struct attempt_filter *f,
                                      int (*fn)(const struct attempt_rec *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, f->oldest_first
                       ? "SELECT " ATTEMPT_COLS ATTEMPT_WHERE " ORDER BY id LIMIT ?5"
                       : "SELECT " ATTEMPT_COLS ATTEMPT_WHERE " ORDER BY id DESC LIMIT ?5");
    if (!st)
        return STORE_ERROR;
    bind_opt_i64(st, 1, f->incident_id);
    bind_opt_text(st, 2, f->state);
    bind_opt_i64(st, 3, f->since_ms);
    bind_opt_i64(st, 4, f->before_id);
    sqlite3_bind_int(st, 5, (int)f->limit);
    return each_attempt(q, st, "attempt list", fn, ud);
}

static enum store_status attempt_verify_due(struct store_conn *c, int64_t now_ms, unsigned limit,
                                            int (*fn)(const struct attempt_rec *, void *),
                                            void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " ATTEMPT_COLS " FROM action_attempts"
                                  " WHERE verify_at IS NOT NULL AND verify_at <= ?1"
                                  " ORDER BY verify_at, id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, (int)limit);
    return each_attempt(q, st, "attempts due for verification", fn, ud);
}

/* ---- approval requests ---- */

#define APPROVAL_COLS                                                                              \
    "id, incident_id, attempt_id, state, requested_by, requested_at, expires_at,"                 \
    " approvers_required, allow_self_approval, decided_at"

static void approval_from_row(sqlite3_stmt *st, struct approval_rec *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->incident_id = sqlite3_column_int64(st, 1);
    r->attempt_id = sqlite3_column_int64(st, 2);
    sq_col_text(st, 3, r->state, sizeof r->state);
    sq_col_text(st, 4, r->requested_by, sizeof r->requested_by);
    r->requested_at_ms = sqlite3_column_int64(st, 5);
    r->expires_at_ms = sqlite3_column_int64(st, 6);
    r->approvers_required = sqlite3_column_int(st, 7);
    r->allow_self_approval = sqlite3_column_int(st, 8);
    r->decided_at_ms = sqlite3_column_int64(st, 9);
}

static enum store_status approval_insert(struct store_conn *c, struct approval_rec *r)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(
        q, "INSERT INTO approval_requests(incident_id, attempt_id, state, requested_by,"
           " requested_at, expires_at, approvers_required, allow_self_approval, decided_at)"
           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->incident_id);
    sqlite3_bind_int64(st, 2, r->attempt_id);
    sq_bind_text(st, 3, r->state);
    sq_bind_text(st, 4, r->requested_by);
    sqlite3_bind_int64(st, 5, r->requested_at_ms);
    sqlite3_bind_int64(st, 6, r->expires_at_ms);
    sqlite3_bind_int(st, 7, r->approvers_required);
    sqlite3_bind_int(st, 8, r->allow_self_approval);
    bind_opt_i64(st, 9, r->decided_at_ms);
    enum store_status res = sq_exec_stmt(q, st, "insert approval request");
    if (res == STORE_OK)
        r->id = sqlite3_last_insert_rowid(q->db);
    return res;
}

static enum store_status approval_update(struct store_conn *c, const struct approval_rec *r)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "UPDATE approval_requests SET state = ?2, decided_at = ?3 WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->id);
    sq_bind_text(st, 2, r->state);
    bind_opt_i64(st, 3, r->decided_at_ms);
    enum store_status res = sq_exec_stmt(q, st, "update approval request");
    if (res == STORE_OK && sqlite3_changes(q->db) != 1) {
        snprintf(c->err, sizeof c->err, "approval request %lld not found", (long long)r->id);
        res = STORE_NOT_FOUND;
    }
    return res;
}

static enum store_status approval_one(struct sq_conn *q, sqlite3_stmt *st,
                                      struct approval_rec *out)
{
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    if (rc == SQLITE_ROW)
        approval_from_row(st, out);
    else if (rc == SQLITE_DONE)
        res = STORE_NOT_FOUND;
    else
        res = sq_fail(q, rc, "approval request get");
    sq_done(st);
    return res;
}

static enum store_status approval_get(struct store_conn *c, int64_t id, struct approval_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "SELECT " APPROVAL_COLS " FROM approval_requests WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    return approval_one(q, st, out);
}

static enum store_status approval_of_attempt(struct store_conn *c, int64_t attempt_id,
                                             struct approval_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "SELECT " APPROVAL_COLS " FROM approval_requests WHERE attempt_id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, attempt_id);
    return approval_one(q, st, out);
}

static enum store_status each_approval(struct sq_conn *q, sqlite3_stmt *st,
                                       int (*fn)(const struct approval_rec *, void *), void *ud)
{
    int rc;
    struct approval_rec r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        approval_from_row(st, &r);
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "approval requests");
}

static enum store_status approval_list(struct store_conn *c, const struct approval_filter *f,
                                       int (*fn)(const struct approval_rec *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " APPROVAL_COLS " FROM approval_requests"
                                  " WHERE (?1 IS NULL OR incident_id = ?1)"
                                  " AND (?2 IS NULL OR state = ?2) AND (?3 IS NULL OR id < ?3)"
                                  " ORDER BY id DESC LIMIT ?4");
    if (!st)
        return STORE_ERROR;
    bind_opt_i64(st, 1, f->incident_id);
    bind_opt_text(st, 2, f->state);
    bind_opt_i64(st, 3, f->before_id);
    sqlite3_bind_int(st, 4, (int)f->limit);
    return each_approval(q, st, fn, ud);
}

static enum store_status approval_expired(struct store_conn *c, int64_t now_ms, unsigned limit,
                                          int (*fn)(const struct approval_rec *, void *),
                                          void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " APPROVAL_COLS " FROM approval_requests"
                                  " WHERE state = 'pending' AND expires_at <= ?1"
                                  " ORDER BY expires_at, id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int(st, 2, (int)limit);
    return each_approval(q, st, fn, ud);
}

static enum store_status approval_count(struct store_conn *c, const char *state, int64_t *n)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT count(*) FROM approval_requests WHERE state = ?1");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, state);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    return sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "approval count");
}

static enum store_status vote_insert(struct store_conn *c, struct approval_vote *v)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO approval_decisions(request_id, decision,"
                                  " decided_by, channel, reason, at, role)"
                                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, v->request_id);
    sq_bind_text(st, 2, v->decision);
    sq_bind_text(st, 3, v->decided_by);
    sq_bind_text(st, 4, v->channel);
    sq_bind_text(st, 5, v->reason);
    sqlite3_bind_int64(st, 6, v->at_ms);
    sq_bind_text(st, 7, v->role);
    enum store_status res = sq_exec_stmt(q, st, "insert approval decision");
    if (res == STORE_OK)
        v->id = sqlite3_last_insert_rowid(q->db);
    return res;
}

static enum store_status votes_of(struct store_conn *c, int64_t request_id,
                                  int (*fn)(const struct approval_vote *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT id, request_id, decision, decided_by, channel, reason,"
                                  " at, role FROM approval_decisions WHERE request_id = ?1"
                                  " ORDER BY id");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, request_id);
    int rc;
    struct approval_vote v;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&v, 0, sizeof v);
        v.id = sqlite3_column_int64(st, 0);
        v.request_id = sqlite3_column_int64(st, 1);
        sq_col_text(st, 2, v.decision, sizeof v.decision);
        sq_col_text(st, 3, v.decided_by, sizeof v.decided_by);
        sq_col_text(st, 4, v.channel, sizeof v.channel);
        sq_col_text(st, 5, v.reason, sizeof v.reason);
        v.at_ms = sqlite3_column_int64(st, 6);
        sq_col_text(st, 7, v.role, sizeof v.role);
        if (fn(&v, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "approval decisions");
}

static enum store_status decision_list(struct store_conn *c, int64_t incident_id, unsigned limit,
                                       int (*fn)(const struct timeline_row *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT id, at, actor, kind, reason, data FROM timeline"
                                  " WHERE incident_id = ?1 AND kind = 'decision'"
                                  " ORDER BY id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sqlite3_bind_int(st, 2, (int)limit);
    return sq_timeline_rows(q, st, fn, ud, "decisions");
}

/* A scan of the findings table in seq order: no index on received_at (one
 * would cost every ingest a second index write); seq follows receive order,
 * so the scan stops at the first row past until (received_at only grows with
 * seq, give or take a batch: rows of one commit share a time). */
static enum store_status findings_range(struct store_conn *c, int64_t since_ms, int64_t until_ms,
                                        unsigned limit,
                                        int (*fn)(const struct finding *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT fid, source, class, correlation_key, severity, status,"
                                  " summary, observed_at, attributes, received_at FROM findings"
                                  " WHERE received_at >= ?1 ORDER BY seq LIMIT ?3");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, since_ms);
    sqlite3_bind_int(st, 3, (int)limit);
    int rc;
    struct finding f;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 9) > until_ms)
            break;
        memset(&f, 0, sizeof f);
        sq_col_text(st, 0, f.id, sizeof f.id);
        sq_col_text(st, 1, f.source, sizeof f.source);
        sq_col_text(st, 2, f.class_, sizeof f.class_);
        sq_col_text(st, 3, f.correlation_key, sizeof f.correlation_key);
        f.severity = (enum severity)sqlite3_column_int(st, 4);
        f.status = (enum finding_status)sqlite3_column_int(st, 5);
        sq_col_text(st, 6, f.summary, sizeof f.summary);
        f.observed_at_ms = sqlite3_column_int64(st, 7);
        f.attributes = (char *)sqlite3_column_text(st, 8);
        if (fn(&f, ud))
            break;
    }
    if (rc == SQLITE_ROW)
        rc = SQLITE_DONE; /* stopped on purpose */
    return sq_rows_done(q, st, rc, "findings range");
}

/* ---- notifications ---- */

static enum store_status notification_insert(struct store_conn *c, struct notification_rec *r,
                                             int *created)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO notifications(incident_id, attempt_id, severity,"
                                  " title, body, dedupe_key, created_at, kind, approval_id, channel)"
                                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                                  " ON CONFLICT(dedupe_key) DO NOTHING");
    if (!st)
        return STORE_ERROR;
    bind_opt_i64(st, 1, r->incident_id);
    bind_opt_i64(st, 2, r->attempt_id);
    sqlite3_bind_int(st, 3, r->severity);
    sq_bind_text(st, 4, r->title);
    sq_bind_text(st, 5, r->body);
    sq_bind_text(st, 6, r->dedupe_key);
    sqlite3_bind_int64(st, 7, r->created_at_ms);
    sq_bind_text(st, 8, r->kind[0] ? r->kind : "incident");
    bind_opt_i64(st, 9, r->approval_id);
    bind_opt_text(st, 10, r->channel);
    enum store_status res = sq_exec_stmt(q, st, "insert notification");
    if (res != STORE_OK)
        return res;
    if (sqlite3_changes(q->db) == 1) {
        r->id = sqlite3_last_insert_rowid(q->db);
        *created = 1;
        return STORE_OK;
    }
    st = sq_stmt(q, "SELECT id FROM notifications WHERE dedupe_key = ?1");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, r->dedupe_key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->id = sqlite3_column_int64(st, 0);
        *created = 0;
    }
    return sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "notification lookup");
}

#define NOTE_COLS                                                                                  \
    "id, incident_id, attempt_id, severity, title, body, dedupe_key, created_at, kind,"           \
    " approval_id, channel"

static void note_row(sqlite3_stmt *st, struct notification_rec *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    r->incident_id = sqlite3_column_int64(st, 1);
    r->attempt_id = sqlite3_column_int64(st, 2);
    r->severity = sqlite3_column_int(st, 3);
    sq_col_text(st, 4, r->title, sizeof r->title);
    sq_col_text(st, 5, r->body, sizeof r->body);
    sq_col_text(st, 6, r->dedupe_key, sizeof r->dedupe_key);
    r->created_at_ms = sqlite3_column_int64(st, 7);
    sq_col_text(st, 8, r->kind, sizeof r->kind);
    r->approval_id = sqlite3_column_int64(st, 9);
    sq_col_text(st, 10, r->channel, sizeof r->channel);
}

static enum store_status note_rows(struct sq_conn *q, sqlite3_stmt *st,
                                   int (*fn)(const struct notification_rec *, void *), void *ud,
                                   const char *what)
{
    int rc;
    struct notification_rec r;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        note_row(st, &r);
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, what);
}

static enum store_status notification_list(struct store_conn *c, int64_t before_id,
                                           int64_t after_id, unsigned limit,
                                           int (*fn)(const struct notification_rec *, void *),
                                           void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        after_id > 0
            ? sq_stmt(q, "SELECT " NOTE_COLS " FROM notifications WHERE id > ?1"
                         " ORDER BY id LIMIT ?2")
            : sq_stmt(q, "SELECT " NOTE_COLS " FROM notifications WHERE (?1 IS NULL OR id < ?1)"
                         " ORDER BY id DESC LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    bind_opt_i64(st, 1, after_id > 0 ? after_id : before_id);
    sqlite3_bind_int(st, 2, (int)limit);
    return note_rows(q, st, fn, ud, "notifications");
}

static enum store_status notification_after(struct store_conn *c, int64_t after_id,
                                            unsigned limit,
                                            int (*fn)(const struct notification_rec *, void *),
                                            void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " NOTE_COLS " FROM notifications WHERE id > ?1"
                                  " ORDER BY id LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int(st, 2, (int)limit);
    return note_rows(q, st, fn, ud, "notifications after");
}

static enum store_status notification_get(struct store_conn *c, int64_t id,
                                          struct notification_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT " NOTE_COLS " FROM notifications WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        note_row(st, out);
    enum store_status res =
        sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "notification");
    return res == STORE_OK && rc != SQLITE_ROW ? STORE_NOT_FOUND : res;
}
#undef NOTE_COLS

static enum store_status notification_count(struct store_conn *c, int64_t incident_id,
                                            const char *kind, int64_t *n)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, "SELECT count(*) FROM notifications WHERE incident_id = ?1 AND kind = ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, incident_id);
    sq_bind_text(st, 2, kind);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "notification count");
}

static enum store_status note_cursor_get(struct store_conn *c, const char *consumer, int64_t *id)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT id FROM notification_cursors WHERE consumer = ?1");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, consumer);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    return sq_rows_done(q, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "notification cursor");
}

static enum store_status note_cursor_set(struct store_conn *c, const char *consumer, int64_t id)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO notification_cursors(consumer, id) VALUES(?1, ?2)"
                                  " ON CONFLICT(consumer) DO UPDATE SET id = excluded.id");
    if (!st)
        return STORE_ERROR;
    sq_bind_text(st, 1, consumer);
    sqlite3_bind_int64(st, 2, id);
    return sq_exec_stmt(q, st, "notification cursor");
}

const struct store_action_ops sq_action_ops = {
    .attempt_insert = attempt_insert,
    .attempt_update = attempt_update,
    .attempt_get = attempt_get,
    .attempt_list = attempt_list,
    .attempt_verify_due = attempt_verify_due,
    .approval_insert = approval_insert,
    .approval_update = approval_update,
    .approval_get = approval_get,
    .approval_of_attempt = approval_of_attempt,
    .approval_list = approval_list,
    .approval_expired = approval_expired,
    .approval_count = approval_count,
    .vote_insert = vote_insert,
    .votes_of = votes_of,
    .decision_list = decision_list,
    .findings_range = findings_range,
    .notification_insert = notification_insert,
    .notification_list = notification_list,
    .notification_after = notification_after,
    .notification_get = notification_get,
    .notification_count = notification_count,
    .notification_cursor_get = note_cursor_get,
    .notification_cursor_set = note_cursor_set,
};
