/* SQLite: the tokens repository. Only the SHA-256 of a token is stored. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"

static enum store_status tok_insert(struct store_conn *c, const struct token_rec *t)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "INSERT INTO tokens(name, role, hash, created_at, expires_at)"
                                  " VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, role_name(t->role), -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, t->hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t->created_at_ms);
    if (t->expires_at_ms > 0)
        sqlite3_bind_int64(st, 5, t->expires_at_ms);
    else
        sqlite3_bind_null(st, 5);
    enum store_status res = sq_exec_stmt(q, st, "insert token");
    if (res == STORE_CONFLICT)
        snprintf(c->err, sizeof c->err, "a token with this name or value already exists");
    return res;
}

#define TOKEN_COLUMNS                                                                            \
    "SELECT id, name, role, hash, created_at, expires_at, revoked_at, last_used_at"

static int read_row(sqlite3_stmt *st, struct token_rec *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    const char *name = (const char *)sqlite3_column_text(st, 1);
    snprintf(t->name, sizeof t->name, "%s", name ? name : "");
    const char *role = (const char *)sqlite3_column_text(st, 2);
    t->role = role_parse(role ? role : "");
    if (sqlite3_column_bytes(st, 3) != 32)
        return -1;
    memcpy(t->hash, sqlite3_column_blob(st, 3), 32);
    t->created_at_ms = sqlite3_column_int64(st, 4);
    t->expires_at_ms = sqlite3_column_int64(st, 5); /* NULL reads as 0 */
    t->revoked_at_ms = sqlite3_column_int64(st, 6);
    t->last_used_at_ms = sqlite3_column_int64(st, 7);
    return 0;
}

static enum store_status tok_by_hash(struct store_conn *c, const uint8_t hash[32],
                                     struct token_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, TOKEN_COLUMNS " FROM tokens WHERE hash = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum store_status res = STORE_OK;
    struct token_rec t = {0};
    if (rc == SQLITE_ROW)
        res = read_row(st, &t) == 0 ? STORE_OK : STORE_ERROR;
    else if (rc == SQLITE_DONE)
        res = STORE_NOT_FOUND;
    else
        res = sq_fail(q, rc, "token lookup");
    sq_done(st);
    if (res == STORE_OK)
        *out = t;
    return res;
}

static enum store_status tok_list(struct store_conn *c, int (*fn)(const struct token_rec *, void *),
                                  void *ud)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st =
        sq_stmt(q, TOKEN_COLUMNS " FROM tokens ORDER BY id");
    if (!st)
        return STORE_ERROR;
    enum store_status res = STORE_OK;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct token_rec t;
        if (read_row(st, &t) != 0)
            continue;
        if (fn(&t, ud))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        res = sq_fail(q, rc, "token list");
    sq_done(st);
    return res;
}

static enum store_status tok_revoke(struct store_conn *c, const char *name, int64_t now_ms,
                                    struct token_rec *out)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, TOKEN_COLUMNS " FROM tokens WHERE name = ?1"
                                                " AND revoked_at IS NULL");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    enum store_status res = rc == SQLITE_ROW    ? (read_row(st, out) == 0 ? STORE_OK : STORE_ERROR)
                            : rc == SQLITE_DONE ? STORE_NOT_FOUND
                                                : sq_fail(q, rc, "token lookup");
    sq_done(st);
    if (res != STORE_OK)
        return res;
    st = sq_stmt(q, "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, out->id);
    sqlite3_bind_int64(st, 2, now_ms);
    return sq_exec_stmt(q, st, "revoke token");
}

static enum store_status tok_touch(struct store_conn *c, int64_t id, int64_t now_ms)
{
    struct sq_conn *q = sq_of(c);
    sqlite3_stmt *st = sq_stmt(q, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1");
    if (!st)
        return STORE_ERROR;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
    return sq_exec_stmt(q, st, "token last use");
}

const struct store_token_ops sq_token_ops = {
    .insert = tok_insert,
    .by_hash = tok_by_hash,
    .list = tok_list,
    .revoke = tok_revoke,
    .touch = tok_touch,
};
