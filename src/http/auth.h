/* Bearer-token authentication.
 *
 * A token is "srb_" followed by 64 lowercase hex digits (256 random bits). Only
 * its SHA-256 (over the whole string, prefix included) is stored; a request's
 * token is hashed and looked up by hash, so the database never holds anything
 * that authenticates. The environment admin token (IF_SRE_ADMIN_TOKEN, any
 * format) is kept only as its SHA-256 in struct app and compared in constant
 * time. A lookup by hash leaks nothing useful through timing: learning a prefix
 * of a SHA-256 does not help to find a preimage.
 */
#ifndef SREBOT_HTTP_AUTH_H
#define SREBOT_HTTP_AUTH_H

#include <stddef.h>

#include "api/app.h"
#include "http/http.h"
#include "store/store.h"

#define AUTH_TOKEN_PREFIX "srb_"
#define AUTH_TOKEN_LEN 68      /* "srb_" + 64 hex */
#define AUTH_TOKEN_BUF 70      /* room for the token and its NUL */
#define AUTH_ENV_TOKEN_NAME "env:IF_SRE_ADMIN_TOKEN"

enum auth_result {
    AUTH_NONE = 0,     /* no credentials presented */
    AUTH_OK,           /* *out is the principal */
    AUTH_INVALID,      /* malformed header or unknown token */
    AUTH_UNAVAILABLE,  /* the token store could not answer (503) */
};

/* 1 when s has the token format (it may still be unknown). */
int auth_token_format_ok(const char *s);
/* A fresh random token; 0 on success. */
int auth_token_generate(char out[AUTH_TOKEN_BUF]);
/* 1 when name is acceptable for a token: 1..63 chars of [A-Za-z0-9._@:-]. */
int auth_token_name_ok(const char *name);

/* Creates a token: random, hashed, inserted through the store writer (durable
 * when this returns). Prints nothing; token_out gets the only copy of the
 * token. Returns 0, or -1 with a reason in err (bad name/role, name taken,
 * store busy or failing). */
int auth_token_create(struct store *s, const char *name, enum role role,
                      char token_out[AUTH_TOKEN_BUF], char *err, size_t errlen);

/* Authenticates a request from its Authorization header value (may be NULL)
 * and, where the caller allows it, an access_token query value (may be NULL;
 * used only when there is no header). */
enum auth_result auth_authenticate(const struct app *app, const char *authorization,
                                   const char *access_token, struct principal *out);

#endif
