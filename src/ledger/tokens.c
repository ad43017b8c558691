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
    *out = rec;
    return SVC_OK;
}
