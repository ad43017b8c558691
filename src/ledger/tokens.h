/* API tokens: the service behind `srebot token create` and request
 * authentication (src/api/auth.c).
 *
 * A token is "srb_" followed by 64 lowercase hex digits (256 random bits). Only
 * its SHA-256 (over the whole string, prefix included) is stored; a presented
 * token is hashed and looked up by hash, so the database never holds anything
 * that authenticates. A lookup by hash leaks nothing useful through timing:
 * learning a prefix of a SHA-256 does not help to find a preimage.
 */
#ifndef SREBOT_LEDGER_TOKENS_H
#define SREBOT_LEDGER_TOKENS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger/status.h"
#include "store/store.h"

#define AUTH_TOKEN_PREFIX "srb_"
#define AUTH_TOKEN_LEN 68      /* "srb_" + 64 hex */
#define AUTH_TOKEN_BUF 70      /* room for the token and its NUL */
#define AUTH_ENV_TOKEN_NAME "env:IF_SRE_ADMIN_TOKEN"

/* 1 when s has the token format (it may still be unknown). */
int auth_token_format_ok(const char *s);
/* A fresh random token; 0 on success. */
int auth_token_generate(char out[AUTH_TOKEN_BUF]);
/* 1 when name is acceptable for a token: 1..63 chars of [A-Za-z0-9._@:-]. */
int auth_token_name_ok(const char *name);

/* Creates a token: random, hashed, inserted through the store writer with an
 * audit record "token.created" by actor (durable when this returns). Prints
 * nothing; token_out gets the only copy of the token. expires_at_ms: 0 =
 * never, else a time in the future. Returns 0, or -1 with a reason in err (bad
 * name/role/expiry, name taken, store busy or failing). */
int auth_token_create(struct store *s, const char *actor, const char *name, enum role role,
                      int64_t expires_at_ms, char token_out[AUTH_TOKEN_BUF], char *err,
                      size_t errlen);

/* Revokes the active token called name, with an audit record "token.revoked"
 * by actor. SVC_NOT_FOUND when no active token has that name (err says so). A
 * revoked token is refused from the next request on; its row stays (listing). */
enum svc_status auth_token_revoke(struct store *s, const char *actor, const char *name,
                                  char *err, size_t errlen);

/* Every token as a JSON array of {"id","name","role","state" (active, expired,
 * revoked),"created_at","expires_at","last_used_at","revoked_at"}; never a hash. */
enum svc_status auth_token_list(struct store *s, json_t **out);

/* How fine last_used_at is: a token's use is written at most this often. */
#define TOKEN_LAST_USED_GRAIN_MS 60000

/* Looks a presented token up by its SHA-256 (hash, already computed by the
 * caller) and checks the match in constant time. SVC_OK fills *out (and
 * records the use, to the minute); SVC_NOT_FOUND for a token of the wrong
 * format, unknown, revoked or expired; other statuses when the store could
 * not answer. */
enum svc_status auth_token_lookup(struct store *s, const char *token, const uint8_t hash[32],
                                  struct token_rec *out);

#endif
