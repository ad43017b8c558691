/* srebot backup / restore against the real daemon: findings ingested, a backup
 * taken while the server serves (and keeps ingesting), refusals (an existing
 * file without --force, a restore while the store is in use, a file that is
 * not a srebot store, a tampered audit chain), then a restore into a new data
 * dir that a new server starts on: the same incidents and a verified chain. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define F(id, key, sev)                                                                            \
    "{\"id\":\"" id "\",\"source\":\"probe\",\"class\":\"runtime_services.runtime_dependency_outage\"," \
    "\"correlation_key\":\"" key "\",\"severity\":\"" sev "\",\"status\":\"firing\","             \
    "\"summary\":\"db down\"}"

/* The incident list as "id:state:severity:finding_count;" text, in id order. */
static void incidents_digest(struct it_daemon *d, char *out, size_t outlen)
{
    struct it_resp r;
    assert_int_equal(it_request(d, "GET", "/api/v1/incidents?sort=first_seen&limit=100", IT_ADMIN, NULL,
                                NULL, &r),
                     200);
    out[0] = '\0';
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "items"), i, it)
    {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "%lld:%s:%s:%lld;",
                 (long long)json_integer_value(json_object_get(it, "id")),
                 json_string_value(json_object_get(it, "state")),
                 json_string_value(json_object_get(it, "severity")),
                 (long long)json_integer_value(json_object_get(it, "finding_count")));
    }
    it_resp_free(&r);
}

static void post(struct it_daemon *d, const char *body)
{
    struct it_resp r;
    assert_int_equal(it_request(d, "POST", "/api/v1/findings", IT_ADMIN, body, NULL, &r), 200);
    it_resp_free(&r);
}

static void backup_while_serving_then_restore(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    post(&d, "[" F("b1", "db-1", "warning") "," F("b2", "db-1", "critical") "," F("b3", "db-2",
                                                                                  "info") "]");
    char before[2048], out[4096], file[400];
    incidents_digest(&d, before, sizeof before);
    assert_non_null(strstr(before, ":critical:2;"));

    snprintf(file, sizeof file, "%s/backup.db", d.data_dir);
    const char *backup[] = {"backup", file, NULL};
    assert_int_equal(it_run_cli(&d, NULL, backup, out, sizeof out), 0);
    assert_non_null(strstr(out, "audit chain intact"));
    /* The server goes on serving and writing after it. */
    post(&d, "[" F("b4", "db-3", "warning") "]");
    /* Not over an existing file without --force; with it, yes. */
    assert_int_equal(it_run_cli(&d, NULL, backup, out, sizeof out), 3);
    assert_non_null(strstr(out, "--force"));
    /* Not over the store of a running server. */
    const char *restore_live[] = {"restore", file, "--force", NULL};
    assert_int_equal(it_run_cli(&d, NULL, restore_live, out, sizeof out), 3);
    assert_non_null(strstr(out, "in use"));
    assert_int_equal(it_stop(&d), 0);

    /* A new data dir, restored from the backup, served by a new process. */
    struct it_daemon d2 = {0};
    snprintf(d2.data_dir, sizeof d2.data_dir, "/tmp/srebot-it-restore-XXXXXX");
    assert_int_equal(it_mkdtemp(d2.data_dir), 0);
    snprintf(d2.stderr_path, sizeof d2.stderr_path, "%s/daemon.log", d2.data_dir);
    const char *restore[] = {"restore", file, NULL};
    assert_int_equal(it_run_cli(&d2, NULL, restore, out, sizeof out), 0);
    assert_non_null(strstr(out, "restored from"));
    /* Restoring again over a store needs --force. */
    assert_int_equal(it_run_cli(&d2, NULL, restore, out, sizeof out), 3);
    assert_non_null(strstr(out, "--force"));
    assert_int_equal(it_run_cli(&d2, NULL, restore_live, out, sizeof out), 0);
    const char *verify[] = {"audit", "verify", NULL};
    assert_int_equal(it_run_cli(&d2, NULL, verify, out, sizeof out), 0);
    assert_non_null(strstr(out, "audit chain intact"));

    assert_int_equal(it_restart(&d2), 0);
    char after[2048];
    incidents_digest(&d2, after, sizeof after);
    assert_string_equal(after, before); /* the snapshot: without b4 */
    assert_int_equal(it_stop(&d2), 0);
    it_cleanup(&d2);
    it_cleanup(&d);
}

static void restore_refuses_what_is_not_a_good_store(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    post(&d, "[" F("t1", "db-1", "warning") "]");
    char file[400], junk[400], out[4096];
    snprintf(file, sizeof file, "%s/good.db", d.data_dir);
    const char *backup[] = {"backup", file, NULL};
    assert_int_equal(it_run_cli(&d, NULL, backup, out, sizeof out), 0);
    assert_int_equal(it_stop(&d), 0);

    struct it_daemon d2 = {0};
    snprintf(d2.data_dir, sizeof d2.data_dir, "/tmp/srebot-it-restore-XXXXXX");
    assert_int_equal(it_mkdtemp(d2.data_dir), 0);

    /* Not a database at all. */
    snprintf(junk, sizeof junk, "%s/junk.db", d.data_dir);
    FILE *f = fopen(junk, "w");
    fputs("this is not a database, just text long enough to be read as a header.\n", f);
    fclose(f);
    const char *r_junk[] = {"restore", junk, NULL};
    assert_int_equal(it_run_cli(&d2, NULL, r_junk, out, sizeof out), 1);
    assert_non_null(strstr(out, "not"));

    /* A database that is not a srebot store. */
    sqlite3 *db;
    snprintf(junk, sizeof junk, "%s/other.db", d.data_dir);
    assert_int_equal(sqlite3_open(junk, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(it_run_cli(&d2, NULL, r_junk, out, sizeof out), 1);
    assert_non_null(strstr(out, "not a srebot store"));

    /* A newer schema than this build knows. */
    assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES(9999,'future',0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    const char *r_file[] = {"restore", file, NULL};
    assert_int_equal(it_run_cli(&d2, NULL, r_file, out, sizeof out), 1);
    assert_non_null(strstr(out, "newer than this build"));

    /* A tampered audit chain (the triggers refuse UPDATE: drop them first, as
     * someone editing the file would). */
    assert_int_equal(sqlite3_open(file, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DELETE FROM schema_migrations WHERE version=9999;"
                                  "SELECT 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='trigger' "
                                            "AND tbl_name='audit_log'", -1, &st, NULL),
                     SQLITE_OK);
    char drops[1024] = "";
    while (sqlite3_step(st) == SQLITE_ROW) {
        size_t used = strlen(drops);
        snprintf(drops + used, sizeof drops - used, "DROP TRIGGER \"%s\";",
                 (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(db, drops, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE audit_log SET actor='mallory' WHERE seq=1", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(it_run_cli(&d2, NULL, r_file, out, sizeof out), 1);
    assert_non_null(strstr(out, "audit chain broken at seq 1"));
    /* Nothing was written into the new data dir's store. */
    char dbpath[400];
    snprintf(dbpath, sizeof dbpath, "%s/srebot.db", d2.data_dir);
    assert_int_not_equal(access(dbpath, F_OK), 0);
    it_cleanup(&d2);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(backup_while_serving_then_restore),
        cmocka_unit_test(restore_refuses_what_is_not_a_good_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
