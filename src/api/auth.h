/* Request authentication for the HTTP server: the http_config.authenticate
 * callback (src/http/http.h) the daemon installs, with struct app as its
 * context.
 *
 * A bearer token (src/ledger/tokens.h) is looked up by its SHA-256. The
 * environment admin token (IF_SRE_ADMIN_TOKEN, any format) is kept only as its
 * SHA-256 in struct app and compared in constant time.
 */
#ifndef SREBOT_API_AUTH_H
#define SREBOT_API_AUTH_H

#include "api/app.h"
#include "http/http.h"
#include "ledger/tokens.h"

/* Authenticates a request from its Authorization header value (may be NULL)
 * and, where the caller allows it, an access_token query value (may be NULL;
 * used only when there is no header). */
enum auth_result auth_authenticate(const struct app *app, const char *authorization,
                                   const char *access_token, struct principal *out);

/* The same with the shape of http_auth_fn: ctx is the struct app. */
enum auth_result api_authenticate(void *ctx, const char *authorization, const char *access_token,
                                  struct principal *out);

#endif
