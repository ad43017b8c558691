#include "ledger/tokens.h"

#include <stdio.h>
#include <string.h>

#include "util/crypto.h"
#include "util/timeutil.h"

static int is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int auth_token_format_ok(const char *s)
{
    if (!s || strncmp(s, AUTH_TOKEN_PREFIX, 4) != 0)
        return 0;
    for (int i = 4; i < AUTH_TOKEN_LEN; i++)
        if (!is_lower_hex(s[i]))
            return 0;
    return s[AUTH_TOKEN_LEN] == '\0';
}

int auth_token_generate(char out[AUTH_TOKEN_BUF])
{
    uint8_t raw[32];
    if (crypto_random(raw, sizeof raw) != 0)
        return -1;
    memcpy(out, AUTH_TOKEN_PREFIX, 4);
    hex_encode(raw, sizeof raw, out + 4);
    return 0;
}

int auth_token_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n >= sizeof(((struct token_rec *)0)->name))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@' || c == ':'))
            return 0;
    }
    return 1;
}

/* One token write and its audit record, in one transaction. */
struct token_op {
    struct store_write w;
    struct token_rec rec;
    const char *actor;
    int revoke; /* 0 insert rec, 1 revoke rec.name */
};

static enum store_status apply_token_op(struct store_conn *c, struct store_write **writes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct token_op *op = (struct token_op *)writes[i];
        char subject[80], detail[160], expires[32] = "never";
        enum store_status st;
        if (op->revoke) {
            st = store_token_revoke(c, op->rec.name, time_now_ms(), &op->rec);
            if (st == STORE_NOT_FOUND)
                snprintf(op->w.err, sizeof op->w.err, "no active token is named '%s'",
                         op->rec.name);
        } else {
            st = store_token_insert(c, &op->rec);
            if (st == STORE_CONFLICT)
                snprintf(op->w.err, sizeof op->w.err, "a token named '%s' already exists",
                         op->rec.name);
        }
        if (st == STORE_OK) {
            if (op->rec.expires_at_ms)
                time_format_rfc3339(op->rec.expires_at_ms, expires, sizeof expires);
            snprintf(subject, sizeof subject, "token/%s", op->rec.name);
            snprintf(detail, sizeof detail, "{\"role\":\"%s\",\"expires_at\":\"%s\"}",
                     role_name(op->rec.role), expires);
            st = store_audit_append(c, op->actor, op->revoke ? "token.revoked" : "token.created",
                                    subject, detail);
            if (st != STORE_OK)
                return st; /* the audit record failed: roll the token back too */
        }
        op->w.status = st;
    }
    return STORE_OK;
}

int auth_token_create(struct store *s, const char *actor, const char *name, enum role role,
                      int64_t expires_at_ms, char token_out[AUTH_TOKEN_BUF], char *err,
                      size_t errlen)
{
    if (!auth_token_name_ok(name)) {
        snprintf(err, errlen, "token name must be 1-63 characters of A-Z a-z 0-9 . _ - @ :");
        return -1;
    }
    if (role != ROLE_INGEST && role != ROLE_VIEWER && role != ROLE_OPERATOR &&
        role != ROLE_ADMIN) {
        snprintf(err, errlen, "role must be one of ingest, viewer, operator, admin");
        return -1;
    }
    int64_t now = time_now_ms();
    if (expires_at_ms && expires_at_ms <= now) {
        snprintf(err, errlen, "the expiry must lie in the future");
        return -1;
    }
    char token[AUTH_TOKEN_BUF];
    if (auth_token_generate(token) != 0) {
        snprintf(err, errlen, "no randomness available");
        return -1;
    }
    struct token_op op = {.w.apply = apply_token_op, .actor = actor};
    snprintf(op.rec.name, sizeof op.rec.name, "%s", name);
    op.rec.role = role;
    crypto_sha256(token, AUTH_TOKEN_LEN, op.rec.hash);
    op.rec.created_at_ms = now;
    op.rec.expires_at_ms = expires_at_ms;

    enum store_status st = store_write_wait(s, &op.w);
    if (st != STORE_OK) {
        snprintf(err, errlen, "%s", op.w.err[0] ? op.w.err : store_status_name(st));
        return -1;
    }
    memcpy(token_out, token, AUTH_TOKEN_BUF);
    memset(token, 0, sizeof token);
    return 0;
}

enum svc_status auth_token_revoke(struct store *s, const char *actor, const char *name,
                                  char *err, size_t errlen)
{
    struct token_op op = {.w.apply = apply_token_op, .actor = actor, .revoke = 1};
    snprintf(op.rec.name, sizeof op.rec.name, "%s", name ? name : "");
    enum store_status st = store_write_wait(s, &op.w);
    if (st != STORE_OK)
        snprintf(err, errlen, "%s", op.w.err[0] ? op.w.err : store_status_name(st));
    return svc_from_store(st);
}

static int add_token(const struct token_rec *t, void *ud)
{
    char created[32], expires[32], used[32], revoked[32];
    time_format_rfc3339(t->created_at_ms, created, sizeof created);
    time_format_rfc3339(t->expires_at_ms, expires, sizeof expires);
    time_format_rfc3339(t->last_used_at_ms, used, sizeof used);
    time_format_rfc3339(t->revoked_at_ms, revoked, sizeof revoked);
    int64_t now = time_now_ms();
    const char *state = t->revoked_at_ms                                ? "revoked"
                        : t->expires_at_ms && t->expires_at_ms <= now ? "expired"
                                                                        : "active";
    json_array_append_new(ud, json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id",
                                        (json_int_t)t->id, "name", t->name, "role",
                                        role_name(t->role), "state", state, "created_at", created,
                                        "expires_at",
                                        t->expires_at_ms ? json_string(expires) : json_null(),
                                        "last_used_at",
                                        t->last_used_at_ms ? json_string(used) : json_null(),
                                        "revoked_at",
                                        t->revoked_at_ms ? json_string(revoked) : json_null()));
    return 0;
}

enum svc_status auth_token_list(struct store *s, json_t **out)
{
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    json_t *items = json_array();
    st = store_token_list(c, add_token, items);
    store_read_release(s, c);
    if (st != STORE_OK) {
        json_decref(items);
        return svc_from_store(st);
    }
    *out = items;
    return SVC_OK;
}

static enum store_status apply_touch(struct store_conn *c, struct store_write **writes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct token_rec *t = writes[i]->arg;
        writes[i]->status = store_token_touch(c, t->id, t->last_used_at_ms);
    }
    return STORE_OK;
}

enum svc_status auth_token_lookup(struct store *s, const char *token, const uint8_t hash[32],
                                  struct token_rec *out)
{
    if (!auth_token_format_ok(token) || !s)
        return SVC_NOT_FOUND;
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    struct token_rec rec;
    st = store_token_by_hash(c, hash, &rec);
    store_read_release(s, c);
    if (st != STORE_OK)
        return svc_from_store(st);
    /* The hash matched in the database's index; a constant-time check here
     * keeps the decision itself independent of a lookup's quirks. */
    if (!crypto_equal(hash, rec.hash, SHA256_LEN))
        return SVC_NOT_FOUND;
    int64_t now = time_now_ms();
    if (rec.revoked_at_ms || (rec.expires_at_ms && rec.expires_at_ms <= now))
        return SVC_NOT_FOUND; /* a 401 like any unknown token: nothing to learn from it */
    /* The last use, kept to the minute: one small write per token per minute
     * at most, and a busy store skips it rather than holding the request. */
    if (now - rec.last_used_at_ms >= TOKEN_LAST_USED_GRAIN_MS) {
        struct token_rec t = rec;
        t.last_used_at_ms = now;
        struct store_write w = {.apply = apply_touch, .arg = &t};
        if (store_write_wait(s, &w) == STORE_OK)
            rec.last_used_at_ms = now;
    }
    *out = rec;
    return SVC_OK;
}
