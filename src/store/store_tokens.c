/* Tokens and roles: the backend-neutral entry points. */
#include <stdio.h>
#include <string.h>

#include "store/backend.h"

const char *role_name(enum role r)
{
    switch (r) {
    case ROLE_INGEST: return "ingest";
    case ROLE_VIEWER: return "viewer";
    case ROLE_OPERATOR: return "operator";
    case ROLE_ADMIN: return "admin";
    case ROLE_NONE: break;
    }
    return "none";
}

enum role role_parse(const char *s)
{
    static const enum role roles[] = {ROLE_INGEST, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN};
    if (!s)
        return ROLE_NONE;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(s, role_name(roles[i])) == 0)
            return roles[i];
    return ROLE_NONE;
}

enum store_status store_token_insert(struct store_conn *c, const struct token_rec *t)
{
    size_t n = strnlen(t->name, sizeof t->name);
    if (n == 0 || n >= sizeof t->name) {
        snprintf(c->err, sizeof c->err, "token name must be 1 to %zu bytes", sizeof t->name - 1);
        return STORE_INVALID;
    }
    if (role_parse(role_name(t->role)) == ROLE_NONE) {
        snprintf(c->err, sizeof c->err, "unknown role");
        return STORE_INVALID;
    }
    if (c->readonly) {
        snprintf(c->err, sizeof c->err, "write on a read connection");
        return STORE_INVALID;
    }
    return c->ops->tokens->insert(c, t);
}

enum store_status store_token_by_hash(struct store_conn *c, const uint8_t hash[32],
                                      struct token_rec *out)
{
    return c->ops->tokens->by_hash(c, hash, out);
}

enum store_status store_token_list(struct store_conn *c,
                                   int (*fn)(const struct token_rec *t, void *ud), void *ud)
{
    return c->ops->tokens->list(c, fn, ud);
}

enum store_status store_token_revoke(struct store_conn *c, const char *name, int64_t now_ms,
                                     struct token_rec *out)
{
    if (c->readonly) {
        snprintf(c->err, sizeof c->err, "write on a read connection");
        return STORE_INVALID;
    }
    return c->ops->tokens->revoke(c, name, now_ms, out);
}

enum store_status store_token_touch(struct store_conn *c, int64_t id, int64_t now_ms)
{
    if (c->readonly) {
        snprintf(c->err, sizeof c->err, "write on a read connection");
        return STORE_INVALID;
    }
    return c->ops->tokens->touch(c, id, now_ms);
}
