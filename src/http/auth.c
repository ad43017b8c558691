#include "http/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/crypto.h"
#include "util/timeutil.h"

#define MAX_PRESENTED_TOKEN 256 /* longer credentials are refused unhashed */

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

static enum store_status apply_token_insert(struct store_conn *c, struct store_write **writes,
                                            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct token_rec *rec = writes[i]->arg;
        writes[i]->status = store_token_insert(c, rec);
        if (writes[i]->status == STORE_CONFLICT)
            snprintf(writes[i]->err, sizeof writes[i]->err, "a token named '%s' already exists",
                     rec->name);
    }
    return STORE_OK;
}

int auth_token_create(struct store *s, const char *name, enum role role,
                      char token_out[AUTH_TOKEN_BUF], char *err, size_t errlen)
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
    char token[AUTH_TOKEN_BUF];
    if (auth_token_generate(token) != 0) {
        snprintf(err, errlen, "no randomness available");
        return -1;
    }
    struct token_rec rec = {0};
    snprintf(rec.name, sizeof rec.name, "%s", name);
    rec.role = role;
    crypto_sha256(token, AUTH_TOKEN_LEN, rec.hash);
    rec.created_at_ms = time_now_ms();

    struct store_write w = {0};
    w.apply = apply_token_insert;
    w.arg = &rec;
    enum store_status st = store_write_wait(s, &w);
    if (st != STORE_OK) {
        snprintf(err, errlen, "%s", w.err[0] ? w.err : store_status_name(st));
        return -1;
    }
    memcpy(token_out, token, AUTH_TOKEN_BUF);
    return 0;
}

/* "Bearer <token>": the scheme is case-insensitive (RFC 7235), spaces between
 * scheme and token are tolerated, nothing may follow the token. */
static const char *bearer_token(const char *authorization)
{
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return NULL;
    const char *t = authorization + 7;
    while (*t == ' ')
        t++;
    if (*t == '\0' || strchr(t, ' ') || strlen(t) > MAX_PRESENTED_TOKEN)
        return NULL;
    return t;
}

enum auth_result auth_authenticate(const struct app *app, const char *authorization,
                                   const char *access_token, struct principal *out)
{
    const char *token;
    if (authorization)
        token = bearer_token(authorization);
    else if (access_token)
        token = strlen(access_token) <= MAX_PRESENTED_TOKEN ? access_token : NULL;
    else
        return AUTH_NONE;
    if (!token || !app)
        return AUTH_INVALID;

    uint8_t hash[SHA256_LEN];
    crypto_sha256(token, strlen(token), hash);
    if (app->has_admin_token && crypto_equal(hash, app->admin_token_hash, SHA256_LEN)) {
        memset(out, 0, sizeof *out);
        out->role = ROLE_ADMIN;
        snprintf(out->name, sizeof out->name, "%s", AUTH_ENV_TOKEN_NAME);
        return AUTH_OK;
    }
    if (!auth_token_format_ok(token) || !app->store)
        return AUTH_INVALID;

    struct store_conn *c = NULL;
    if (store_read_acquire(app->store, &c) != STORE_OK)
        return AUTH_UNAVAILABLE;
    struct token_rec rec;
    enum store_status st = store_token_by_hash(c, hash, &rec);
    store_read_release(app->store, c);
    if (st == STORE_NOT_FOUND)
        return AUTH_INVALID;
    if (st != STORE_OK)
        return AUTH_UNAVAILABLE;
    /* The hash matched in the database's index; a constant-time check here
     * keeps the decision itself independent of a lookup's quirks. */
    if (!crypto_equal(hash, rec.hash, SHA256_LEN))
        return AUTH_INVALID;
    memset(out, 0, sizeof *out);
    out->role = rec.role;
    out->token_id = rec.id;
    snprintf(out->name, sizeof out->name, "%s", rec.name);
    return AUTH_OK;
}
