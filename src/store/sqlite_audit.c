/* SQLite: audit_log rows and the chain head (the chain logic is in
 * store_audit.c and core/audit.c). */
#include <string.h>

#include "store/sqlite_int.h"

static void copy_hash(sqlite3_stmt *st, int col, uint8_t out[AUDIT_HASH_LEN])
{
    memset(out, 0, AUDIT_HASH_LEN);
    int n = sqlite3_column_bytes(st, col);
    const void *b = sqlite3_column_blob(st, col);
    if (b)
        memcpy(out, b, n < AUDIT_HASH_LEN ? (size_t)n : AUDIT_HASH_LEN);
}

static enum store_status au_head(struct store_conn *c, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT seq, hash FROM audit_head WHERE id = 1");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        copy_hash(st, 1, hash);
    } else if (rc == SQLITE_DONE) {
        *seq = 0;
        memset(hash, 0, AUDIT_HASH_LEN);
    } else {
        res = sq_fail(q, rc, "audit head");
    }
    sq_done(st);
    return res;
}

static enum store_status au_append(struct store_conn *c, const struct audit_record *r)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO audit_log(seq, at, actor, action, subject, detail,"
                                  " prev_hash, hash) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->seq);
    sqlite3_bind_int64(st, 2, r->at_ms);
    sqlite3_bind_text(st, 3, r->actor ? r->actor : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->action ? r->action : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->subject ? r->subject : "", -1, SQLITE_STATIC);
    if (r->detail)
        sqlite3_bind_text(st, 6, r->detail, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, r->prev_hash, AUDIT_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 8, r->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
    enum store_status res = sq_exec_stmt(q, st, "append audit record");
    if (res != STORE_OK)
        return res;
    st = sq_stmt(q, "INSERT INTO audit_head(id, seq, hash) VALUES(1, ?1, ?2)"
                    " ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->seq);
    sqlite3_bind_blob(st, 2, r->hash, AUDIT_HASH_LEN, SQLITE_STATIC);
    return sq_exec_stmt(q, st, "move audit head");
}

static enum store_status each_row(struct sq_conn *q, sqlite3_stmt *st,
                                  int (*fn)(const struct audit_record *r, void *ud), void *ud)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct audit_record r;
        r.seq = sqlite3_column_int64(st, 0);
        r.at_ms = sqlite3_column_int64(st, 1);
        r.actor = (const char *)sqlite3_column_text(st, 2);
        r.action = (const char *)sqlite3_column_text(st, 3);
        r.subject = (const char *)sqlite3_column_text(st, 4);
        r.detail = (const char *)sqlite3_column_text(st, 5);
        copy_hash(st, 6, r.prev_hash);
        copy_hash(st, 7, r.hash);
        if (fn(&r, ud))
            break;
    }
    return sq_rows_done(q, st, rc, "audit scan");
}

static enum store_status au_scan(struct store_conn *c,
                                 int (*fn)(const struct audit_record *r, void *ud), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT seq, at, actor, action, subject, detail, prev_hash, hash"
                                  " FROM audit_log ORDER BY seq");
    return st ? each_row(q, st, fn, ud) : STORE_ERROR;
}

static enum store_status au_query(struct store_conn *c, const struct audit_filter *f,
                                  unsigned limit,
                                  int (*fn)(const struct audit_record *r, void *ud), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(
        q, "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log"
           " WHERE (?1 = 0 OR seq < ?1) AND (?2 IS NULL OR actor = ?2)"
           " AND (?3 IS NULL OR action = ?3)"
           " AND (?4 IS NULL OR substr(subject, 1, length(?4)) = ?4)"
           " AND (?5 = 0 OR at >= ?5) AND (?6 = 0 OR at < ?6)"
           " ORDER BY seq DESC LIMIT ?7");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, f->before);
    sqlite3_bind_text(st, 2, f->actor, -1, SQLITE_STATIC); /* NULL binds NULL */
    sqlite3_bind_text(st, 3, f->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->subject_prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, f->since_ms);
    sqlite3_bind_int64(st, 6, f->until_ms);
    sqlite3_bind_int64(st, 7, limit);
    return each_row(q, st, fn, ud);
}

const struct store_audit_ops sq_audit_ops = {
    .head = au_head,
    .append = au_append,
    .scan = au_scan,
    .query = au_query,
};
