/* Tokens: format, randomness, hashing at rest, creation through the store
 * writer, and authentication against a real SQLite store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/auth.h"
#include "core/audit.h"
#include "ledger/tokens.h"
#include "util/timeutil.h"
#include "store_fixture.h"

static void test_format(void **state)
{
    (void)state;
    char t[AUTH_TOKEN_BUF], u[AUTH_TOKEN_BUF];
    assert_int_equal(auth_token_generate(t), 0);
    assert_int_equal(auth_token_generate(u), 0);
    assert_int_equal(strlen(t), AUTH_TOKEN_LEN);
    assert_memory_equal(t, "srb_", 4);
    assert_true(auth_token_format_ok(t));
    assert_string_not_equal(t, u);

    char bad[AUTH_TOKEN_BUF + 2];
    memcpy(bad, t, sizeof t);
    bad[10] = 'G';
    assert_false(auth_token_format_ok(bad));
    memcpy(bad, t, sizeof t);
    bad[10] = 'A'; /* upper case hex is not the format */
    assert_false(auth_token_format_ok(bad));
    memcpy(bad, t, sizeof t);
    bad[AUTH_TOKEN_LEN - 1] = '\0';
    assert_false(auth_token_format_ok(bad));
    memcpy(bad, t, sizeof t);
    bad[AUTH_TOKEN_LEN] = '0';
    bad[AUTH_TOKEN_LEN + 1] = '\0';
    assert_false(auth_token_format_ok(bad));
    memcpy(bad, t, sizeof t);
    bad[0] = 'x';
    assert_false(auth_token_format_ok(bad));
    assert_false(auth_token_format_ok(NULL));

    /* 256 bits of randomness: no two of many tokens share a long prefix */
    char prev[AUTH_TOKEN_BUF];
    memcpy(prev, t, sizeof t);
    for (int i = 0; i < 200; i++) {
        assert_int_equal(auth_token_generate(u), 0);
        assert_int_not_equal(memcmp(u, prev, 4 + 16), 0);
        memcpy(prev, u, sizeof u);
    }
}

static void test_names(void **state)
{
    (void)state;
    assert_true(auth_token_name_ok("ci-bot"));
    assert_true(auth_token_name_ok("alice@example.com"));
    assert_false(auth_token_name_ok(""));
    assert_false(auth_token_name_ok(NULL));
    assert_false(auth_token_name_ok("has space"));
    assert_false(auth_token_name_ok("quote\""));
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_false(auth_token_name_ok(longname));
}

static void test_create_and_authenticate(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct store *s = fixture_open(&f, 0, 0);
    assert_non_null(s);
    struct app app = {0};
    app.store = s;
    const char *env_token = "env-admin-secret";
    crypto_sha256(env_token, strlen(env_token), app.admin_token_hash);
    app.has_admin_token = 1;

    char tok[AUTH_TOKEN_BUF], err[160];
    assert_int_equal(auth_token_create(s, "test", "viewer-1", ROLE_VIEWER, 0, tok, err, sizeof err), 0);
    assert_true(auth_token_format_ok(tok));

    /* The store holds the hash and never the token. */
    struct store_conn *c = NULL;
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    struct token_rec rec;
    uint8_t h[32];
    crypto_sha256(tok, strlen(tok), h);
    assert_int_equal(store_token_by_hash(c, h, &rec), STORE_OK);
    assert_string_equal(rec.name, "viewer-1");
    assert_int_equal(rec.role, ROLE_VIEWER);
    store_read_release(s, c);
    if (f.path[0]) {
        /* Neither the database nor its WAL holds any part of the secret. */
        static const char *const suffix[] = {"", "-wal"};
        for (size_t i = 0; i < 2; i++) {
            char path[700];
            snprintf(path, sizeof path, "%s%s", f.path, suffix[i]);
            FILE *db = fopen(path, "rb");
            if (!db)
                continue;
            static char content[4 << 20];
            size_t n = fread(content, 1, sizeof content, db);
            fclose(db);
            assert_null(memmem(content, n, tok + 4, 32));
            /* while the hash is there (the check can see what it looks for) */
            if (i == 1)
                assert_non_null(memmem(content, n, h, sizeof h));
        }
    }

    /* Names are unique. */
    char tok2[AUTH_TOKEN_BUF];
    assert_int_equal(auth_token_create(s, "test", "viewer-1", ROLE_ADMIN, 0, tok2, err, sizeof err), -1);
    assert_non_null(strstr(err, "already exists"));
    assert_int_equal(auth_token_create(s, "test", "bad name", ROLE_ADMIN, 0, tok2, err, sizeof err), -1);
    assert_int_equal(auth_token_create(s, "test", "r", ROLE_NONE, 0, tok2, err, sizeof err), -1);
    assert_int_equal(auth_token_create(s, "test", "ingest-1", ROLE_INGEST, 0, tok2, err, sizeof err), 0);

    struct principal p;
    char hdr[128];
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    assert_int_equal(auth_authenticate(&app, hdr, NULL, &p), AUTH_OK);
    assert_int_equal(p.role, ROLE_VIEWER);
    assert_string_equal(p.name, "viewer-1");
    assert_true(p.token_id > 0);
    snprintf(hdr, sizeof hdr, "bearer   %s", tok2); /* scheme is case-insensitive */
    assert_int_equal(auth_authenticate(&app, hdr, NULL, &p), AUTH_OK);
    assert_int_equal(p.role, ROLE_INGEST);

    assert_int_equal(auth_authenticate(&app, "Bearer env-admin-secret", NULL, &p), AUTH_OK);
    assert_int_equal(p.role, ROLE_ADMIN);
    assert_string_equal(p.name, AUTH_ENV_TOKEN_NAME);
    assert_int_equal(p.token_id, 0);

    /* The query token is used only without a header. */
    assert_int_equal(auth_authenticate(&app, NULL, tok, &p), AUTH_OK);
    assert_int_equal(p.role, ROLE_VIEWER);
    assert_int_equal(auth_authenticate(&app, "Bearer nope", tok, &p), AUTH_INVALID);

    assert_int_equal(auth_authenticate(&app, NULL, NULL, &p), AUTH_NONE);
    static const char *const invalid[] = {
        "Bearer",  "Bearer ", "Basic dXNlcjpwYXNz", "Bearer env-admin-secretX",
        "Bearer srb_0000000000000000000000000000000000000000000000000000000000000000",
        "Bearer a b", "Token env-admin-secret",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        if (auth_authenticate(&app, invalid[i], NULL, &p) != AUTH_INVALID)
            fail_msg("accepted '%s'", invalid[i]);
    /* a changed character of a real token */
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    hdr[20] = hdr[20] == 'a' ? 'b' : 'a';
    assert_int_equal(auth_authenticate(&app, hdr, NULL, &p), AUTH_INVALID);

    /* Without an env token configured, its value means nothing. */
    app.has_admin_token = 0;
    assert_int_equal(auth_authenticate(&app, "Bearer env-admin-secret", NULL, &p), AUTH_INVALID);

    store_close(s);
    fixture_cleanup(&f);
}

static int count_audit(const struct audit_record *r, void *ud)
{
    if (strncmp(r->action, "token.", 6) == 0)
        (*(int *)ud)++;
    return 0;
}

/* Revoked and expired tokens are refused; the last use is recorded; creation
 * and revocation are audited; the list shows states and never a hash. */
static void test_revoke_expiry_last_use(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct store *s = fixture_open(&f, 0, 0);
    struct app app = {.store = s};
    char tok[AUTH_TOKEN_BUF], short_tok[AUTH_TOKEN_BUF], err[160], hdr[128];
    assert_int_equal(auth_token_create(s, "alice", "ops-1", ROLE_OPERATOR, 0, tok, err, sizeof err),
                     0);
    assert_int_equal(auth_token_create(s, "alice", "old", ROLE_VIEWER, time_now_ms() - 1, short_tok,
                                       err, sizeof err),
                     -1); /* an expiry in the past */
    assert_int_equal(auth_token_create(s, "alice", "short", ROLE_VIEWER, time_now_ms() + 300,
                                       short_tok, err, sizeof err),
                     0);
    struct principal p;
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    assert_int_equal(auth_authenticate(&app, hdr, NULL, &p), AUTH_OK);

    json_t *list = NULL;
    assert_int_equal(auth_token_list(s, &list), SVC_OK);
    json_t *first = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(first, "name")), "ops-1");
    assert_string_equal(json_string_value(json_object_get(first, "state")), "active");
    assert_true(json_is_string(json_object_get(first, "last_used_at"))); /* the use above */
    assert_true(json_is_null(json_object_get(first, "expires_at")));
    assert_null(json_object_get(first, "hash"));
    json_decref(list);

    usleep(400 * 1000); /* past the short token's expiry */
    snprintf(hdr, sizeof hdr, "Bearer %s", short_tok);
    assert_int_equal(auth_authenticate(&app, hdr, NULL, &p), AUTH_INVALID);

    assert_int_equal(auth_token_revoke(s, "bob", "ops-1", err, sizeof err), SVC_OK);
    snprintf(hdr, sizeof hdr, "Bearer %s", tok);
    assert_int_equal(auth_authenticate(&app, hdr, NULL, &p), AUTH_INVALID);
    assert_int_equal(auth_token_revoke(s, "bob", "ops-1", err, sizeof err), SVC_NOT_FOUND);
    assert_non_null(strstr(err, "no active token"));

    assert_int_equal(auth_token_list(s, &list), SVC_OK);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "state")),
                        "revoked");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "state")),
                        "expired");
    json_decref(list);

    struct store_conn *c = NULL;
    int n = 0;
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    struct audit_filter af = {.subject_prefix = "token/"};
    assert_int_equal(store_audit_query(c, &af, 100, count_audit, &n), STORE_OK);
    store_read_release(s, c);
    assert_int_equal(n, 3); /* two created, one revoked */
    store_close(s);
    fixture_cleanup(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_create_and_authenticate),
        cmocka_unit_test(test_revoke_expiry_last_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
