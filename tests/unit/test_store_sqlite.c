/* SQLite-specific store behaviour, checked by opening the database file
 * directly: WAL mode, the migration record, refusal of a newer schema, the
 * audit chain catching rows altered or removed behind the store's back, and
 * acknowledged writes surviving a killed process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

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

static sqlite3 *raw_open(struct fixture *f)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void wal_mode_and_migration_record(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    sqlite3 *db = raw_open(f);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations WHERE version = 1"), 1);
    assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN"
                                 " ('tokens','audit_log','audit_head','store_heartbeat')"),
                     4);
    sqlite3_close(db);
    store_close(s);
}

static void url_forms(void **state)
{
    struct fixture *f = *state;
    char url[800], err[256] = "";
    int a = -1, v = -1;
    snprintf(url, sizeof url, "sqlite://%s", f->path); /* sqlite:///abs/path */
    assert_int_equal(store_migrate(url, &a, &v, err, sizeof err), STORE_OK);
    assert_true(a >= 1);
    snprintf(url, sizeof url, "sqlite:%s", f->path); /* the same file */
    assert_int_equal(store_migrate(url, &a, &v, err, sizeof err), STORE_OK);
    assert_int_equal(a, 0);
    snprintf(url, sizeof url, "sqlite:%s/no/such/dir/x.db", f->dir);
    assert_int_equal(store_migrate(url, &a, &v, err, sizeof err), STORE_ERROR);
    assert_non_null(strstr(err, "cannot open"));

    /* Not a database: refused with SQLite's word for it. */
    char junk[700];
    snprintf(junk, sizeof junk, "%s/junk.db", f->dir);
    FILE *fp = fopen(junk, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not an SQLite file\n", fp);
    fclose(fp);
    snprintf(url, sizeof url, "sqlite:%s", junk);
    assert_int_equal(store_migrate(url, &a, &v, err, sizeof err), STORE_ERROR);
    assert_non_null(strstr(err, "not a database"));
    unlink(junk);
}

static void newer_schema_is_refused(void **state)
{
    struct fixture *f = *state;
    char err[256] = "";
    int a, v;
    assert_int_equal(store_migrate(f->url, &a, &v, err, sizeof err), STORE_OK);
    sqlite3 *db = raw_open(f);
    raw_exec(db, "INSERT INTO schema_migrations VALUES (999, 'from the future', 0)");
    sqlite3_close(db);
    assert_int_equal(store_migrate(f->url, &a, &v, err, sizeof err), STORE_INVALID);
    assert_non_null(strstr(err, "newer than this build"));
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = f->url;
    struct store *s = NULL;
    assert_int_not_equal(store_open(&cfg, &s, err, sizeof err), STORE_OK);
    assert_null(s);
}

/* ---- audit tampering ---- */

static enum store_status audit_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        enum store_status st = store_audit_append(c, "admin", "token.create", "token/ci",
                                                  "{\"role\":\"viewer\"}");
        if (st != STORE_OK)
            return st;
    }
    return STORE_OK;
}

static struct store *audit_store(struct fixture *f, int rows)
{
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    for (int i = 0; i < rows; i++) {
        struct store_write w;
        memset(&w, 0, sizeof w);
        w.apply = audit_apply;
        assert_int_equal(store_write_wait(s, &w), STORE_OK);
    }
    return s;
}

static int64_t verify(struct store *s, char *reason, size_t rlen)
{
    struct store_conn *c = NULL;
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    int64_t broken = -1, checked = -1;
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, rlen), STORE_OK);
    store_read_release(s, c);
    return broken;
}

static void tamper(struct fixture *f, const char *sql)
{
    sqlite3 *db = raw_open(f);
    raw_exec(db, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete");
    raw_exec(db, sql);
    sqlite3_close(db);
}

static void audit_is_append_only_in_the_schema(void **state)
{
    struct fixture *f = *state;
    struct store *s = audit_store(f, 3);
    sqlite3 *db = raw_open(f);
    char *msg = NULL;
    assert_int_not_equal(sqlite3_exec(db, "UPDATE audit_log SET actor='x'", NULL, NULL, &msg),
                         SQLITE_OK);
    assert_non_null(strstr(msg, "append-only"));
    sqlite3_free(msg);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char reason[160];
    assert_int_equal(verify(s, reason, sizeof reason), 0);
    store_close(s);
}

static void audit_detects_update(void **state)
{
    struct fixture *f = *state;
    struct store *s = audit_store(f, 10);
    char reason[160];
    assert_int_equal(verify(s, reason, sizeof reason), 0);
    tamper(f, "UPDATE audit_log SET detail = '{\"role\":\"admin\"}' WHERE seq = 4");
    assert_int_equal(verify(s, reason, sizeof reason), 4);
    assert_non_null(strstr(reason, "hash"));
    store_close(s);
}

static void audit_detects_delete(void **state)
{
    struct fixture *f = *state;
    struct store *s = audit_store(f, 10);
    char reason[160];
    tamper(f, "DELETE FROM audit_log WHERE seq = 6");
    assert_int_equal(verify(s, reason, sizeof reason), 6);
    assert_non_null(strstr(reason, "missing"));
    store_close(s);
}

static void audit_detects_delete_of_the_tail(void **state)
{
    struct fixture *f = *state;
    struct store *s = audit_store(f, 10);
    char reason[160];
    tamper(f, "DELETE FROM audit_log WHERE seq >= 9");
    assert_int_equal(verify(s, reason, sizeof reason), 9);
    store_close(s);
}

/* Appending after tampering keeps reporting the first broken link. */
static void audit_stays_broken_after_more_appends(void **state)
{
    struct fixture *f = *state;
    struct store *s = audit_store(f, 5);
    tamper(f, "UPDATE audit_log SET at = at + 1 WHERE seq = 2");
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = audit_apply;
    assert_int_equal(store_write_wait(s, &w), STORE_OK);
    char reason[160];
    assert_int_equal(verify(s, reason, sizeof reason), 2);
    store_close(s);
}

/* ---- a transaction lost mid-batch ---- */

struct bg_write {
    struct token_op op;
    struct store *s;
    pthread_t th;
};

static void *bg_main(void *p)
{
    struct bg_write *b = p;
    store_write_wait(b->s, &b->op.w);
    return NULL;
}

/* When SQLite rolls the whole transaction back by itself (here a trigger's
 * RAISE(ROLLBACK); in life an I/O error or a full disk), the batch fails as a
 * whole: no write may run on outside a transaction and be reported failed
 * while it was in fact committed. The next batch works again. */
static void lost_transaction_fails_the_batch(void **state)
{
    struct fixture *f = *state;
    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    sqlite3 *db = raw_open(f);
    raw_exec(db, "CREATE TRIGGER boom BEFORE INSERT ON tokens WHEN NEW.name = 'boom'"
                 " BEGIN SELECT RAISE(ROLLBACK, 'boom'); END");
    sqlite3_close(db);

    struct gate g;
    gate_close(&g, s);
    static const char *const names[] = {"a", "boom", "b"};
    struct bg_write b[3];
    for (int i = 0; i < 3; i++) {
        memset(&b[i], 0, sizeof b[i]);
        b[i].s = s;
        b[i].op.w.apply = token_apply;
        token_make(&b[i].op.rec, names[i], ROLE_VIEWER);
        pthread_create(&b[i].th, NULL, bg_main, &b[i]);
        assert_int_equal(wait_queue_depth(s, (unsigned)i + 1), 0);
    }
    gate_open(&g);
    for (int i = 0; i < 3; i++) {
        pthread_join(b[i].th, NULL);
        assert_int_equal(b[i].op.w.status, STORE_ERROR);
        assert_non_null(strstr(b[i].op.w.err, "aborted"));
    }
    assert_int_equal(token_count(s), 0); /* nothing slipped through in autocommit */
    assert_int_equal(token_write(s, "after", ROLE_VIEWER), STORE_OK);
    assert_int_equal(token_count(s), 1);
    assert_int_equal(store_ready(s), 1);
    store_close(s);
}

/* ---- durability: acknowledged writes survive SIGKILL ---- */

static void acknowledged_writes_survive_kill(void **state)
{
    struct fixture *f = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        struct store *s = fixture_open(f, 0, 0);
        if (!s)
            _exit(2);
        for (int i = 0;; i++) { /* runs until killed */
            char name[32];
            snprintf(name, sizeof name, "k%d", i);
            if (token_write(s, name, ROLE_VIEWER) != STORE_OK)
                _exit(3);
            if (write(fds[1], &i, sizeof i) != (ssize_t)sizeof i) /* the acknowledgement */
                _exit(4);
        }
    }
    close(fds[1]);
    int last = -1, v;
    while (last < 300 && read(fds[0], &v, sizeof v) == (ssize_t)sizeof v)
        last = v;
    kill(pid, SIGKILL);
    while (read(fds[0], &v, sizeof v) == (ssize_t)sizeof v)
        last = v; /* acknowledgements sent before the kill */
    close(fds[0]);
    int wst;
    waitpid(pid, &wst, 0);
    assert_true(WIFSIGNALED(wst));
    assert_true(last >= 300);

    struct store *s = fixture_open(f, 0, 0);
    assert_non_null(s);
    struct store_conn *c = NULL;
    assert_int_equal(store_read_acquire(s, &c), STORE_OK);
    for (int i = 0; i <= last; i++) {
        char name[32];
        struct token_rec t;
        token_make(&t, (snprintf(name, sizeof name, "k%d", i), name), ROLE_VIEWER);
        struct token_rec got;
        if (store_token_by_hash(c, t.hash, &got) != STORE_OK)
            fail_msg("acknowledged write k%d is missing after the kill", i);
    }
    store_read_release(s, c);
    store_close(s);
}

/* Stands for the whole group when the store under test is not SQLite. */
static void not_sqlite(void **state)
{
    (void)state;
    skip();
}

/* ctest reports this exit code as "skipped" (SKIP_RETURN_CODE). */
enum { EXIT_SKIPPED = 77 };

int main(void)
{
    const char *url = getenv("SREBOT_STORE_TEST_URL");
    if (url && url[0] && strncmp(url, "sqlite:", 7) != 0) {
        printf("SREBOT_STORE_TEST_URL is not SQLite: these tests do not apply\n");
        const struct CMUnitTest skipped[] = {cmocka_unit_test(not_sqlite)};
        return cmocka_run_group_tests(skipped, NULL, NULL) ? 1 : EXIT_SKIPPED;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(wal_mode_and_migration_record, setup, teardown),
        cmocka_unit_test_setup_teardown(url_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_is_append_only_in_the_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_detects_update, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_detects_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_detects_delete_of_the_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_stays_broken_after_more_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(lost_transaction_fails_the_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(acknowledged_writes_survive_kill, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
