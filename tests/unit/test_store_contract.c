/* The store contract, repositories and reads: what every backend must do,
 * run against a URL (SREBOT_STORE_TEST_URL, or a fresh SQLite file):
 * migrations, tokens, the read pool and the audit chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_fixture.h"

static int setup(void **state)
{
    struct fixture *f = malloc(sizeof *f);
    fixture_init(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_cleanup(*state);
    free(*state);
    return 0;
}

/* ---------------------------------------------------------- migrations */

static void migrations_from_empty_then_noop(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    int applied = -1, version = -1;
    assert_int_equal(store_migrate(f->url, &applied, &version, err, sizeof err), STORE_OK);
    assert_true(version >= 1);
    assert_int_equal(applied, version); /* from empty: every migration ran */

    int applied2 = -1, version2 = -1;
    assert_int_equal(store_migrate(f->url, &applied2, &version2, err, sizeof err), STORE_OK);
    assert_int_equal(applied2, 0);
    assert_int_equal(version2, version);

    struct store *s = fixture_open(f, 0, 0); /* open migrates too: still a no-op */
    assert_non_null(s);
    assert_int_equal(token_write(s, "after-migrate", ROLE_VIEWER), STORE_OK);
    store_close(s);
    assert_int_equal(store_migrate(f->url, &applied2, &version2, err, sizeof err), STORE_OK);
    assert_int_equal(applied2, 0);
}

static void bad_url_is_rejected(void **state)
{
    (void)state;
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = "mysql://nope";
    struct store *s = NULL;
    char err[256] = "";
    assert_int_equal(store_open(&cfg, &s, err, sizeof err), STORE_INVALID);
    assert_null(s);
    assert_non_null(strstr(err, "unsupported store URL"));
    assert_non_null(strstr(err, "no such adapter (built in: sqlite)"));
    cfg.url = "postgres://db/srebot";
    assert_int_equal(store_open(&cfg, &s, err, sizeof err), STORE_INVALID);
    assert_non_null(strstr(err, "postgres is not in this build"));
    int a = 7, v = 7;
    assert_int_equal(store_migrate("sqlite:", &a, &v, err, sizeof err), STORE_INVALID);
    assert_int_equal(a, 7); /* out-params untouched on failure */
}

/* -------------------------------------------------------------- tokens */

static int collect_names(const struct token_rec *t, void *ud)
{
    char *buf = ud;
    strcat(buf, t->name); /* test-only; buf is large enough */
    strcat(buf, ",");
    return 0;
}

static void tokens_insert_lookup_list(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    assert_int_equal(token_write(s, "alice", ROLE_ADMIN), STORE_OK);
    assert_int_equal(token_write(s, "bob", ROLE_INGEST), STORE_OK);

    struct token_op dup;
    memset(&dup, 0, sizeof dup);
    dup.w.apply = token_apply;
    token_make(&dup.rec, "alice", ROLE_VIEWER);
    dup.rec.hash[0] ^= 1; /* another token value, same name */
    assert_int_equal(store_write_wait(s, &dup.w), STORE_CONFLICT);
    assert_true(dup.w.err[0] != '\0');

    struct token_op bad;
    memset(&bad, 0, sizeof bad);
    bad.w.apply = token_apply;
    token_make(&bad.rec, "", ROLE_VIEWER);
    assert_int_equal(store_write_wait(s, &bad.w), STORE_INVALID);

    struct store_conn *c = NULL;
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    struct token_rec want, got;
    token_make(&want, "alice", ROLE_ADMIN);
    memset(&got, 0, sizeof got);
    assert_int_equal(store_token_by_hash(c, want.hash, &got), STORE_OK);
    assert_string_equal(got.name, "alice");
    assert_int_equal(got.role, ROLE_ADMIN);
    assert_memory_equal(got.hash, want.hash, 32);
    assert_int_equal(got.created_at_ms, want.created_at_ms);
    assert_true(got.id > 0);

    uint8_t unknown[32] = {0};
    struct token_rec untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    assert_int_equal(store_token_by_hash(c, unknown, &untouched), STORE_NOT_FOUND);
    assert_int_equal(untouched.id, 0x5a5a5a5a5a5a5a5a);

    char names[256] = "";
    assert_int_equal(store_token_list(c, collect_names, names), STORE_OK);
    assert_string_equal(names, "alice,bob,");
    store_read_release(s, c);
    store_close(s);
}

static void roles_round_trip(void **state)
{
    (void)state;
    static const enum role all[] = {ROLE_INGEST, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(role_parse(role_name(all[i])), all[i]);
    assert_int_equal(role_parse("root"), ROLE_NONE);
    assert_int_equal(role_parse(NULL), ROLE_NONE);
    assert_string_equal(store_status_name(STORE_BUSY), "busy");
}

static void read_pool_is_bounded(void **state)
{
    struct fixture *f = *state;
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = f->url;
    cfg.read_pool_size = 2;
    cfg.busy_timeout_ms = 100;
    struct store *s = NULL;
    char err[256];
    assert_int_equal(store_open(&cfg, &s, err, sizeof err), STORE_OK);
    struct store_conn *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(store_read_acquire(s, &a), STORE_OK);
    assert_int_equal(store_read_acquire(s, &b), STORE_OK);
    assert_ptr_not_equal(a, b);
    assert_int_equal(store_read_acquire(s, &c), STORE_BUSY);
    assert_null(c);
    store_read_release(s, a);
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    assert_ptr_equal(c, a);

    /* Read connections refuse writes. */
    struct token_rec t;
    token_make(&t, "ro", ROLE_VIEWER);
    assert_int_not_equal(store_token_insert(c, &t), STORE_OK);
    assert_int_not_equal(store_audit_append(c, "a", "b", "c", NULL), STORE_OK);
    store_read_release(s, b);
    store_read_release(s, c);
    store_close(s);
}

/* ---------------------------------------------------------------- audit */

struct audit_op {
    struct store_write w;
    const char *actor, *action, *subject, *detail;
};

static enum store_status audit_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct audit_op *op = (struct audit_op *)w[i];
        enum store_status st = store_audit_append(c, op->actor, op->action, op->subject, op->detail);
        if (st != STORE_OK)
            return st;
    }
    return STORE_OK;
}

static enum store_status audit_write(struct store *s, const char *detail)
{
    struct audit_op op;
    memset(&op, 0, sizeof op);
    op.w.apply = audit_apply;
    op.actor = "admin";
    op.action = "policy.update";
    op.subject = "policy/1";
    op.detail = detail;
    return store_write_wait(s, &op.w);
}

static void audit_chain_appends_and_verifies(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    struct store_conn *c = NULL;
    int64_t broken = -1, checked = -1;
    char reason[160];
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, sizeof reason), STORE_OK);
    assert_int_equal(broken, 0); /* empty chain is intact */
    assert_int_equal(checked, 0);
    store_read_release(s, c);

    for (int i = 0; i < 25; i++) {
        char detail[64];
        snprintf(detail, sizeof detail, "{\"version\":%d}", i);
        assert_int_equal(audit_write(s, i % 5 ? detail : NULL), STORE_OK);
    }
    assert_int_equal(audit_write(s, "{not json"), STORE_INVALID);
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct audit_op op = {.w.apply = audit_apply, .actor = big, .action = "a", .subject = "s"};
    assert_int_equal(store_write_wait(s, &op.w), STORE_INVALID);

    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, sizeof reason), STORE_OK);
    assert_int_equal(broken, 0);
    assert_int_equal(checked, 25);
    assert_string_equal(reason, "intact");
    store_read_release(s, c);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrations_from_empty_then_noop, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_url_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(tokens_insert_lookup_list, setup, teardown),
        cmocka_unit_test_setup_teardown(roles_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(read_pool_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_chain_appends_and_verifies, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
