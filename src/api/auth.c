#include "api/auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/crypto.h"

#define MAX_PRESENTED_TOKEN 256 /* longer credentials are refused unhashed */

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
    struct token_rec rec;
    enum svc_status st = auth_token_lookup(app->store, token, hash, &rec);
    if (st == SVC_NOT_FOUND)
        return AUTH_INVALID;
    if (st != SVC_OK)
        return AUTH_UNAVAILABLE;
    memset(out, 0, sizeof *out);
    out->role = rec.role;
    out->token_id = rec.id;
    snprintf(out->name, sizeof out->name, "%s", rec.name);
    return AUTH_OK;
}

enum auth_result api_authenticate(void *ctx, const char *authorization, const char *access_token,
                                  struct principal *out)
{
    return auth_authenticate(ctx, authorization, access_token, out);
}
