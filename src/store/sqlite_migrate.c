/* Applies the migrations of sqlite_schema.c: forward only, one transaction
 * each, recorded in schema_migrations. Safe against a second process migrating
 * at the same time: the current version is re-read inside each write
 * transaction, so a migration is never applied twice. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "util/timeutil.h"

static enum store_status current_version(struct sq_conn *q, int *version)
{
    sqlite3_stmt *st = sq_stmt(q, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    if (!st)
        return STORE_ERROR;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        enum store_status res = sq_fail(q, rc, "read schema version");
        sq_done(st);
        return res;
    }
    *version = sqlite3_column_int(st, 0);
    sq_done(st);
    return STORE_OK;
}

/* Runs the (multi-statement, constant) migration text. */
static enum store_status exec_script(struct sq_conn *q, const struct sqlite_migration *m)
{
    char *msg = NULL;
    int rc = sqlite3_exec(q->db, m->sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        return STORE_OK;
    snprintf(q->base.err, sizeof q->base.err, "migration %d (%s): %s", m->version, m->name,
             msg ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return STORE_ERROR;
}

static enum store_status apply_one(struct sq_conn *q, const struct sqlite_migration *m, int *ran)
{
    *ran = 0;
    struct store_conn *c = &q->base;
    enum store_status st = c->ops->begin(c);
    if (st != STORE_OK)
        return st;
    int cur = 0;
    st = current_version(q, &cur);
    if (st == STORE_OK && cur < m->version) {
        st = exec_script(q, m);
        if (st == STORE_OK) {
            sqlite3_stmt *ins = sq_stmt(q, "INSERT INTO schema_migrations(version, name, applied_at)"
                                           " VALUES(?1, ?2, ?3)");
            if (!ins) {
                st = STORE_ERROR;
            } else {
                sqlite3_bind_int(ins, 1, m->version);
                sqlite3_bind_text(ins, 2, m->name, -1, SQLITE_STATIC);
                sqlite3_bind_int64(ins, 3, time_now_ms());
                st = sq_exec_stmt(q, ins, "record migration");
            }
        }
        *ran = st == STORE_OK;
    }
    if (st == STORE_OK)
        st = c->ops->commit(c);
    if (st != STORE_OK) {
        char keep[sizeof c->err];
        memcpy(keep, c->err, sizeof keep);
        c->ops->rollback(c);
        memcpy(c->err, keep, sizeof keep);
        *ran = 0;
    }
    return st;
}

enum store_status sq_migrate(struct store_conn *c, int *applied, int *version)
{
    struct sq_conn *q = sq_of(c);
    char *msg = NULL;
    int rc = sqlite3_exec(q->db,
                          "CREATE TABLE IF NOT EXISTS schema_migrations ("
                          "  version INTEGER PRIMARY KEY,"
                          "  name TEXT NOT NULL,"
                          "  applied_at INTEGER NOT NULL)",
                          NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(c->err, sizeof c->err, "schema_migrations: %s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return STORE_ERROR;
    }
    int known = 0;
    for (size_t i = 0; i < sqlite_migrations_count; i++) {
        if (sqlite_migrations[i].version != known + 1) {
            snprintf(c->err, sizeof c->err, "migration list out of order at entry %zu", i);
            return STORE_ERROR;
        }
        known = sqlite_migrations[i].version;
    }
    int cur = 0;
    enum store_status st = current_version(q, &cur);
    if (st != STORE_OK)
        return st;
    if (cur > known) {
        snprintf(c->err, sizeof c->err,
                 "database schema version %d is newer than this build (%d): upgrade srebot", cur,
                 known);
        return STORE_INVALID;
    }
    int n = 0;
    for (size_t i = 0; i < sqlite_migrations_count; i++) {
        if (sqlite_migrations[i].version <= cur)
            continue;
        int ran = 0;
        st = apply_one(q, &sqlite_migrations[i], &ran);
        if (st != STORE_OK)
            return st;
        n += ran;
    }
    st = current_version(q, &cur);
    if (st != STORE_OK)
        return st;
    *applied = n;
    *version = cur;
    return STORE_OK;
}
