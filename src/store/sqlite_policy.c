/* SQLite: the policy_versions repository. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite_int.h"

static enum store_status pol_current_version(struct store_conn *c, int64_t *version)
{
    return sq_scalar_int64(sq_of(c), "SELECT coalesce(max(version), 0) FROM policy_versions",
                           "policy version", version);
}

static enum store_status pol_insert(struct store_conn *c, const struct policy_version_rec *r)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO policy_versions(version, author, created_at,"
                                  " document) VALUES(?1, ?2, ?3, ?4)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, r->version);
    sqlite3_bind_text(st, 2, r->author, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->created_at_ms);
    sqlite3_bind_text(st, 4, r->document, -1, SQLITE_STATIC);
    return sq_exec_stmt(q, st, "insert policy version");
}

static void read_meta(sqlite3_stmt *st, struct policy_version_rec *r)
{
    memset(r, 0, sizeof *r);
    r->version = sqlite3_column_int64(st, 0);
    const char *author = (const char *)sqlite3_column_text(st, 1);
    snprintf(r->author, sizeof r->author, "%s", author ? author : "");
    r->created_at_ms = sqlite3_column_int64(st, 2);
}

static enum store_status pol_get(struct store_conn *c, int64_t version,
                                 struct policy_version_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        version > 0
            ? sq_stmt(q, "SELECT version, author, created_at, document FROM policy_versions"
                         " WHERE version = ?1")
            : sq_stmt(q, "SELECT version, author, created_at, document FROM policy_versions"
                         " ORDER BY version DESC LIMIT 1");
    if (!st)
        return STORE_ERROR;
    if (version > 0)
        sqlite3_bind_int64(st, 1, version);
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    struct policy_version_rec r;
    memset(&r, 0, sizeof r);
    if (rc == SQLITE_ROW) {
        read_meta(st, &r);
        const char *doc = (const char *)sqlite3_column_text(st, 3);
        r.document = strdup(doc ? doc : "null");
        if (!r.document) {
            snprintf(c->err, sizeof c->err, "out of memory");
            res = STORE_ERROR;
        }
    } else if (rc == SQLITE_DONE) {
        res = STORE_NOT_FOUND;
    } else {
        res = sq_fail(q, rc, "policy get");
    }
    sq_done(st);
    if (res == STORE_OK)
        *out = r;
    return res;
}

static enum store_status pol_list(struct store_conn *c, int64_t before, unsigned limit,
                                  int (*fn)(const struct policy_version_rec *, void *), void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "SELECT version, author, created_at FROM policy_versions"
                                  " WHERE ?1 = 0 OR version < ?1 ORDER BY version DESC LIMIT ?2");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int64(st, 2, limit);
    enum store_status res = STORE_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct policy_version_rec r;
        read_meta(st, &r);
        if (fn(&r, ud))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = sq_fail(q, rc, "policy list");
    sq_done(st);
    return res;
}

const struct store_policy_ops sq_policy_ops = {
    .current_version = pol_current_version,
    .insert = pol_insert,
    .get = pol_get,
    .list = pol_list,
};
