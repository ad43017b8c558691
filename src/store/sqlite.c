/* The SQLite backend: connections, pragmas, transactions, the statement cache.
 *
 * Durability: WAL with synchronous=FULL, so a commit is on disk (WAL fsynced)
 * before the writer acknowledges it; an acknowledged write survives a crash or
 * power loss. Group commit pays that fsync once per batch.
 * Readers open the file read-only; in WAL mode they never block the writer and
 * the writer never blocks them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite_int.h"

/* ------------------------------------------------------ statement cache */

static size_t slot_of(const char *sql, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)sql * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (cap - 1);
}

static int cache_grow(struct sq_conn *c)
{
    size_t ncap = c->cap ? c->cap * 2 : 32;
    struct sq_slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->slots[i].sql)
            continue;
        size_t j = slot_of(c->slots[i].sql, ncap);
        while (ns[j].sql)
            j = (j + 1) & (ncap - 1);
        ns[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = ns;
    c->cap = ncap;
    return 0;
}

sqlite3_stmt *sq_stmt(struct sq_conn *c, const char *sql)
{
    if (c->cap) {
        size_t i = slot_of(sql, c->cap);
        while (c->slots[i].sql) {
            if (c->slots[i].sql == sql) {
                sqlite3_stmt *st = c->slots[i].st;
                sqlite3_reset(st);
                sqlite3_clear_bindings(st);
                return st;
            }
            i = (i + 1) & (c->cap - 1);
        }
    }
    if ((c->used + 1) * 4 > c->cap * 3 && cache_grow(c) != 0) {
        snprintf(c->base.err, sizeof c->base.err, "out of memory");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        sq_fail(c, rc, "prepare");
        return NULL;
    }
    size_t i = slot_of(sql, c->cap);
    while (c->slots[i].sql)
        i = (i + 1) & (c->cap - 1);
    c->slots[i].sql = sql;
    c->slots[i].st = st;
    c->used++;
    return st;
}

enum store_status sq_fail(struct sq_conn *c, int rc, const char *what)
{
    snprintf(c->base.err, sizeof c->base.err, "%s: %s", what,
             c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return STORE_BUSY;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return STORE_CONFLICT;
        return STORE_INVALID;
    default:
        return STORE_ERROR;
    }
}

enum store_status sq_rows_done(struct sq_conn *c, sqlite3_stmt *st, int rc, const char *what)
{
    enum store_status res = STORE_OK;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = sq_fail(c, rc, what);
    sq_done(st);
    return res;
}

enum store_status sq_scalar_int64(struct sq_conn *c, const char *sql, const char *what,
                                  int64_t *out)
{
    sqlite3_stmt *st = sq_stmt(c, sql);
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    int64_t v = 0;
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        res = sq_fail(c, rc, what);
    sq_done(st);
    if (res == STORE_OK)
        *out = v;
    return res;
}

enum store_status sq_exec_stmt(struct sq_conn *c, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        res = sq_fail(c, rc, what);
    sqlite3_reset(st);
    return res;
}

static enum store_status run_sql(struct store_conn *c, const char *sql, const char *what)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, sql);
    return st ? sq_exec_stmt(q, st, what) : STORE_ERROR;
}

/* ---------------------------------------------------------- connections */

const char *sq_url_path(const char *url)
{
    if (strncmp(url, "sqlite:", 7) != 0)
        return ""; /* the bare name selects the backend but names no file */
    const char *p = url + 7;
    if (p[0] == '/' && p[1] == '/') /* sqlite:///abs/path */
        p += 2;
    return p;
}

static void sq_close(struct store_conn *c)
{
    if (!c)
        return;
    struct sq_conn *q = sq_of(c);
    for (size_t i = 0; i < q->cap; i++)
        if (q->slots[i].st)
            sqlite3_finalize(q->slots[i].st);
    free(q->slots);
    if (q->db)
        sqlite3_close_v2(q->db);
    if (q->lock_fd >= 0)
        close(q->lock_fd); /* after the database: the lock outlives every access */
    free(q);
}

static enum store_status sq_open(const char *url, int readonly, const struct store_config *cfg,
                                 struct store_conn **out, char *err, size_t errlen)
{
    const char *path = sq_url_path(url);
    if (!path[0]) {
        snprintf(err, errlen, "store URL has no file path (expected sqlite:PATH)");
        return STORE_INVALID;
    }
    struct sq_conn *q = calloc(1, sizeof *q);
    if (!q) {
        snprintf(err, errlen, "out of memory");
        return STORE_ERROR;
    }
    q->base.ops = &store_sqlite_backend;
    q->base.readonly = readonly;
    q->lock_fd = -1;
    /* A writing connection marks the store as in use, so `srebot restore`
     * refuses to replace it underneath (sqlite_backup.c). */
    if (!readonly) {
        int lock = sq_lock_open(path, 0, err, errlen);
        if (lock < 0) {
            free(q);
            return lock == -2 ? STORE_BUSY : STORE_ERROR;
        }
        q->lock_fd = lock;
    }
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &q->db, flags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 q->db ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        sq_close(&q->base);
        return STORE_ERROR;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, (int)cfg->busy_timeout_ms);
    /* The pragmas are constant text, run once per connection. */
    static const char *const writer_pragmas[] = {
        "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
        /* Checkpoint every 16384 WAL pages (64 MiB), not every 1000: a commit of
         * a few thousand findings dirties ~1500 pages, so the default checkpoints
         * after every commit and copies the hot pages (open incidents, index
         * tails) back into the database again and again; a larger WAL copies each
         * once per checkpoint. bench_ledger: 34k -> 51k findings/s. After a
         * burst, a checkpoint shrinks the WAL file back to 64 MiB. */
        "PRAGMA wal_autocheckpoint=16384", "PRAGMA journal_size_limit=67108864",
    };
    static const char *const reader_pragmas[] = {"PRAGMA foreign_keys=ON"};
    const char *const *pr = readonly ? reader_pragmas : writer_pragmas;
    size_t npr = readonly ? sizeof reader_pragmas / sizeof reader_pragmas[0]
                          : sizeof writer_pragmas / sizeof writer_pragmas[0];
    for (size_t i = 0; i < npr; i++) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(q->db, pr[i], -1, &st, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_step(st);
            const char *mode = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
            if (i == 0 && !readonly && rc == SQLITE_ROW && (!mode || strcmp(mode, "wal") != 0)) {
                snprintf(err, errlen, "%s: WAL mode is not available", path);
                sqlite3_finalize(st);
                sq_close(&q->base);
                return STORE_ERROR;
            }
            if (rc == SQLITE_ROW || rc == SQLITE_DONE)
                rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_OK) {
            snprintf(err, errlen, "%s: %s: %s", path, pr[i], sqlite3_errmsg(q->db));
            sq_close(&q->base);
            return STORE_ERROR;
        }
    }
    *out = &q->base;
    return STORE_OK;
}

/* --------------------------------------------------------- transactions */

/* BEGIN IMMEDIATE takes the write lock up front: a busy database fails here,
 * after busy_timeout, and never half-way through a batch. */
static enum store_status sq_begin(struct store_conn *c)
{
    return run_sql(c, "BEGIN IMMEDIATE", "begin");
}
static enum store_status sq_savepoint(struct store_conn *c)
{
    return run_sql(c, "SAVEPOINT grp", "savepoint");
}
static enum store_status sq_release(struct store_conn *c)
{
    return run_sql(c, "RELEASE grp", "release");
}
static enum store_status sq_rollback_to(struct store_conn *c)
{
    enum store_status st = run_sql(c, "ROLLBACK TO grp", "rollback to savepoint");
    enum store_status st2 = run_sql(c, "RELEASE grp", "release");
    return st != STORE_OK ? st : st2;
}
static enum store_status sq_commit(struct store_conn *c)
{
    return run_sql(c, "COMMIT", "commit");
}
static enum store_status sq_rollback(struct store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    if (sqlite3_get_autocommit(q->db)) /* already rolled back by SQLite itself */
        return STORE_OK;
    return run_sql(c, "ROLLBACK", "rollback");
}
static int sq_in_transaction(struct store_conn *c)
{
    return !sqlite3_get_autocommit(sq_of(c)->db);
}
static enum store_status sq_snapshot_begin(struct store_conn *c)
{
    return run_sql(c, "BEGIN", "begin read");
}
static enum store_status sq_snapshot_end(struct store_conn *c)
{
    return sq_rollback(c);
}

static void sq_reader_reset(struct store_conn *c)
{
    struct sq_conn *q = sq_of(c);
    for (sqlite3_stmt *st = sqlite3_next_stmt(q->db, NULL); st; st = sqlite3_next_stmt(q->db, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
    if (!sqlite3_get_autocommit(q->db))
        run_sql(c, "ROLLBACK", "end read transaction");
}

static enum store_status sq_heartbeat(struct store_conn *c, int64_t now_ms)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO store_heartbeat(id, at) VALUES(1, ?1)"
                                  " ON CONFLICT(id) DO UPDATE SET at = excluded.at");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, now_ms);
    return sq_exec_stmt(q, st, "heartbeat");
}

const struct store_backend_ops store_sqlite_backend = {
    .name = "sqlite",
    .description = "embedded SQLite file (WAL): sqlite:PATH",
    .open = sq_open,
    .close = sq_close,
    .migrate = sq_migrate,
    .begin = sq_begin,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_transaction = sq_in_transaction,
    .snapshot_begin = sq_snapshot_begin,
    .snapshot_end = sq_snapshot_end,
    .reader_reset = sq_reader_reset,
    .heartbeat = sq_heartbeat,
    .tokens = &sq_token_ops,
    .audit = &sq_audit_ops,
    .ledger = &sq_ledger_ops,
    .policy = &sq_policy_ops,
    .actions = &sq_action_ops,
    .channels = &sq_channel_ops,
    .backup = sq_backup,
    .restore = sq_restore,
    .open_file = sq_open_file,
    .file_check = sq_file_check,
};
