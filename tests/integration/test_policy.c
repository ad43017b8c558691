/* The policy API against the real daemon: first-run seeding (idempotent, never
 * overwrites an edit across restarts), ETag / If-Match (428, 412, two writers
 * with the same If-Match: one wins), 422 with every problem, validate without
 * saving, roles (viewer reads, admin writes), secrets never echoed, and the CLI. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static const char *const seed_env[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true",
                                       "IF_SRE_ENVIRONMENT=staging",
                                       "IF_SRE_AGENT_RUNTIME_MODEL=qwen2.5:7b", NULL};

static char *dump(json_t *j)
{
    return json_dumps(j, JSON_COMPACT);
}

static long put_policy(struct it_daemon *d, json_t *doc, const char *if_match, const char *token,
                       struct it_resp *r)
{
    char header[64];
    const char *headers[] = {"Content-Type: application/json", NULL, NULL};
    if (if_match) {
        snprintf(header, sizeof header, "If-Match: %s", if_match);
        headers[1] = header;
    }
    char *body = dump(doc);
    long st = it_request(d, "PUT", "/api/v1/policy", token, body, headers, r);
    free(body);
    return st;
}

static json_t *get_document(struct it_daemon *d, long *version, char *etag, size_t etaglen)
{
    struct it_resp r;
    assert_int_equal(it_request(d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    *version = (long)json_integer_value(json_object_get(r.json, "version"));
    if (etag)
        assert_int_equal(it_resp_header(&r, "ETag", etag, etaglen), 0);
    json_t *doc = json_incref(json_object_get(r.json, "document"));
    it_resp_free(&r);
    return doc;
}

static int has_detail(json_t *answer, const char *path, const char *code)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(json_object_get(answer, "error"), "details"), i, d) {
        if (strcmp(json_string_value(json_object_get(d, "path")), path) == 0 &&
            strcmp(json_string_value(json_object_get(d, "code")), code) == 0)
            return 1;
    }
    return 0;
}

static void seeding_is_idempotent_and_keeps_edits(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, seed_env, NULL), 0);
    long v;
    char etag[32];
    json_t *doc = get_document(&d, &v, etag, sizeof etag);
    assert_int_equal(v, 1);
    assert_string_equal(etag, "\"1\"");
    assert_string_equal(json_string_value(json_object_get(doc, "environment")), "staging");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "agent_runtime"), "model")),
        "qwen2.5:7b");

    /* restart with seeding still on: nothing new */
    assert_int_equal(it_stop(&d), 0);
    assert_int_equal(it_restart(&d), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy/versions", IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    it_resp_free(&r);

    /* an operator edits, the daemon restarts: the edit stays current */
    json_object_set_new(json_object_get(doc, "automation"), "max_actions_per_hour",
                        json_integer(2));
    assert_int_equal(put_policy(&d, doc, "\"1\"", IT_ADMIN, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 2);
    assert_int_equal(it_resp_header(&r, "ETag", etag, sizeof etag), 0);
    assert_string_equal(etag, "\"2\"");
    assert_string_equal(json_string_value(json_object_get(r.json, "author")),
                        "env:IF_SRE_ADMIN_TOKEN");
    it_resp_free(&r);
    json_decref(doc);
    assert_int_equal(it_stop(&d), 0);
    assert_int_equal(it_restart(&d), 0);
    doc = get_document(&d, &v, NULL, 0);
    assert_int_equal(v, 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "automation"),
                                                        "max_actions_per_hour")),
                     2);
    json_decref(doc);
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy/versions", IT_ADMIN, NULL, NULL, &r),
                     200);
    json_t *items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "version")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 1), "author")),
                        "bootstrap");
    it_resp_free(&r);
    /* an old version, and restoring it is a PUT of its document */
    assert_int_equal(
        it_request(&d, "GET", "/api/v1/policy/versions/1", IT_ADMIN, NULL, NULL, &r), 200);
    json_t *old = json_incref(json_object_get(r.json, "document"));
    it_resp_free(&r);
    assert_int_equal(put_policy(&d, old, "\"2\"", IT_ADMIN, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 3);
    assert_true(json_equal(json_object_get(r.json, "document"), old));
    it_resp_free(&r);
    json_decref(old);
    assert_int_equal(
        it_request(&d, "GET", "/api/v1/policy/versions/9", IT_ADMIN, NULL, NULL, &r), 404);
    it_resp_free(&r);
    /* pages: newest first, the cursor continues below the last item */
    assert_int_equal(
        it_request(&d, "GET", "/api/v1/policy/versions?limit=2", IT_ADMIN, NULL, NULL, &r), 200);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 1), "version")), 2);
    char next[96];
    snprintf(next, sizeof next, "/api/v1/policy/versions?limit=2&cursor=%s",
             json_string_value(json_object_get(r.json, "next_cursor")));
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", next, IT_ADMIN, NULL, NULL, &r), 200);
    items = json_object_get(r.json, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "version")), 1);
    assert_true(json_is_null(json_object_get(r.json, "next_cursor")));
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

struct writer {
    struct it_daemon *d;
    json_t *doc;
    long status;
    pthread_barrier_t *go;
};

static void *write_once(void *arg)
{
    struct writer *w = arg;
    struct it_resp r;
    pthread_barrier_wait(w->go);
    w->status = put_policy(w->d, w->doc, "\"1\"", IT_ADMIN, &r);
    it_resp_free(&r);
    return NULL;
}

static void if_match_is_required_and_checked(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 404);
    it_resp_free(&r);

    /* validate reports every missing section of a bare document */
    json_t *doc = json_pack("{s:s}", "environment", "demo");
    const char *ct[] = {"Content-Type: application/json", NULL};
    char *body = dump(doc);
    assert_int_equal(it_request(&d, "POST", "/api/v1/policy/validate", IT_ADMIN, body, ct, &r),
                     200);
    assert_false(json_is_true(json_object_get(r.json, "valid")));
    assert_true(json_array_size(json_object_get(r.json, "problems")) >= 10);
    it_resp_free(&r);
    free(body);
    json_decref(doc);

    /* restart with seeding on: an empty store gets version 1 */
    const char *env_seed[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true", NULL};
    assert_int_equal(it_stop(&d), 0);
    d.env = env_seed;
    assert_int_equal(it_restart(&d), 0);
    long v;
    doc = get_document(&d, &v, NULL, 0);
    assert_int_equal(v, 1);

    assert_int_equal(put_policy(&d, doc, NULL, IT_ADMIN, &r), 428);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "precondition_required");
    it_resp_free(&r);
    assert_int_equal(put_policy(&d, doc, "\"7\"", IT_ADMIN, &r), 412);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "precondition_failed");
    it_resp_free(&r);
    assert_int_equal(put_policy(&d, doc, "\"banana\"", IT_ADMIN, &r), 412);
    it_resp_free(&r);

    /* two writers, same If-Match, at the same moment: exactly one wins (a
     * changed document: the same one again would add no version) */
    json_object_set_new(doc, "environment", json_string("staging"));
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    struct writer a = {&d, doc, 0, &go}, b = {&d, doc, 0, &go};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, write_once, &a);
    pthread_create(&tb, NULL, write_once, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&go);
    assert_true((a.status == 200 && b.status == 412) || (a.status == 412 && b.status == 200));
    json_t *now = get_document(&d, &v, NULL, 0);
    assert_int_equal(v, 2);
    json_decref(now);
    json_decref(doc);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static void invalid_documents_get_every_problem(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, seed_env, NULL), 0);
    long v;
    json_t *doc = get_document(&d, &v, NULL, 0);
    json_object_set_new(json_object_get(doc, "automation"), "max_actions_per_hour",
                        json_integer(-1));
    json_object_set_new(doc, "surprise", json_true());
    json_array_append_new(json_object_get(doc, "channels"),
                          json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "id", "ops", "provider",
                                    "slack", "enabled", 1, "settings", "token",
                                    "xoxb-very-secret-value", "channel", "#ops"));
    json_object_set_new(json_object_get(doc, "routing"), "fallback", json_string("pager"));
    struct it_resp r;
    assert_int_equal(put_policy(&d, doc, "\"1\"", IT_ADMIN, &r), 422);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r.json, "error"), "code")),
        "validation_failed");
    assert_true(has_detail(r.json, "/automation/max_actions_per_hour", "range"));
    assert_true(has_detail(r.json, "/surprise", "unknown_field"));
    assert_true(has_detail(r.json, "/channels/1/settings/token", "secret_in_clear"));
    assert_true(has_detail(r.json, "/routing/fallback", "reference"));
    assert_null(strstr(r.body, "xoxb-very-secret-value"));
    it_resp_free(&r);
    /* nothing saved */
    json_t *now = get_document(&d, &v, NULL, 0);
    assert_int_equal(v, 1);
    json_decref(now);

    /* the same through validate: 200, valid false, same problems */
    const char *ct[] = {"Content-Type: application/json", NULL};
    char *body = dump(doc);
    assert_int_equal(it_request(&d, "POST", "/api/v1/policy/validate", IT_ADMIN, body, ct, &r),
                     200);
    free(body);
    assert_false(json_is_true(json_object_get(r.json, "valid")));
    assert_int_equal(json_array_size(json_object_get(r.json, "problems")), 4);
    assert_null(strstr(r.body, "xoxb-very-secret-value"));
    it_resp_free(&r);

    /* a secret reference is accepted and comes back as the reference */
    json_object_set_new(json_object_get(doc, "automation"), "max_actions_per_hour",
                        json_integer(4));
    json_object_del(doc, "surprise");
    json_object_set_new(json_object_get(doc, "routing"), "fallback", json_string("inapp"));
    json_object_set_new(json_object_get(json_array_get(json_object_get(doc, "channels"), 1),
                                        "settings"),
                        "token", json_pack("{s:{s:s}}", "secret_ref", "env", "IF_SRE_SECRET_SLACK_TOKEN"));
    assert_int_equal(put_policy(&d, doc, "\"1\"", IT_ADMIN, &r), 200);
    json_t *tok = json_object_get(
        json_object_get(json_array_get(json_object_get(json_object_get(r.json, "document"),
                                                       "channels"),
                                       1),
                        "settings"),
        "token");
    assert_string_equal(json_string_value(json_object_get(json_object_get(tok, "secret_ref"),
                                                          "env")),
                        "IF_SRE_SECRET_SLACK_TOKEN");
    it_resp_free(&r);
    json_decref(doc);
    assert_int_equal(it_stop(&d), 0);
    assert_false(it_stderr_contains(&d, "xoxb-very-secret-value"));
    it_cleanup(&d);
}

/* Output passes through redaction even for rows the API could never have
 * accepted: a version planted straight into the database (an import, an older
 * build) with a literal token and a URL password comes back redacted. */
static void stored_secrets_are_redacted_on_output(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, seed_env, NULL), 0);
    long v;
    json_t *doc = get_document(&d, &v, NULL, 0);
    assert_int_equal(it_stop(&d), 0);
    json_array_append_new(json_object_get(doc, "channels"),
                          json_pack("{s:s, s:s, s:b, s:{s:s, s:s}}", "id", "hook", "provider",
                                    "webhook", "enabled", 1, "settings", "url",
                                    "https://bot:planted-password@hooks.local/x", "secret",
                                    "planted-secret-value"));
    char *text = dump(doc);
    json_decref(doc);
    char path[400];
    snprintf(path, sizeof path, "%s/srebot.db", d.data_dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO policy_versions(version, author, created_at,"
                                        " document) VALUES(2, 'import', 0, ?1)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(text);

    assert_int_equal(it_restart(&d), 0);
    const char *paths[] = {"/api/v1/policy", "/api/v1/policy/versions/2"};
    for (size_t i = 0; i < 2; i++) {
        struct it_resp r;
        assert_int_equal(it_request(&d, "GET", paths[i], IT_ADMIN, NULL, NULL, &r), 200);
        assert_null(strstr(r.body, "planted-secret-value"));
        assert_null(strstr(r.body, "planted-password"));
        json_t *settings = json_object_get(
            json_array_get(json_object_get(json_object_get(r.json, "document"), "channels"), 1),
            "settings");
        assert_string_equal(json_string_value(json_object_get(settings, "secret")), "[redacted]");
        assert_string_equal(json_string_value(json_object_get(settings, "url")),
                            "https://bot:[redacted]@hooks.local/x");
        it_resp_free(&r);
    }
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

/* Last line of the CLI output that is not a JSON log line. */
static void last_plain_line(const char *out, char *line, size_t linelen)
{
    line[0] = '\0';
    const char *p = out;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n && *p != '{' && n < linelen) {
            memcpy(line, p, n);
            line[n] = '\0';
        }
        p += n + (nl ? 1 : 0);
    }
}

static void roles_and_cli(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, seed_env, NULL), 0);
    char out[65536], viewer[160], tokenv[200];
    const char *mk[] = {"token", "create", "--name", "reader", "--role", "viewer", NULL};
    assert_int_equal(it_run_cli(&d, NULL, mk, out, sizeof out), 0);
    last_plain_line(out, viewer, sizeof viewer);
    assert_true(strlen(viewer) > 16);

    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", viewer, NULL, NULL, &r), 200);
    json_t *doc = json_incref(json_object_get(r.json, "document"));
    it_resp_free(&r);
    assert_int_equal(put_policy(&d, doc, "\"1\"", viewer, &r), 403);
    it_resp_free(&r);
    const char *ct[] = {"Content-Type: application/json", NULL};
    char *body = dump(doc);
    assert_int_equal(it_request(&d, "POST", "/api/v1/policy/validate", viewer, body, ct, &r), 403);
    it_resp_free(&r);
    free(body);
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", NULL, NULL, NULL, &r), 401);
    it_resp_free(&r);

    /* the CLI: get, validate (good and bad), set, versions */
    snprintf(tokenv, sizeof tokenv, "IF_SRE_TOKEN=%s", IT_ADMIN);
    const char *env[] = {tokenv, NULL};
    char file[320], bad[320];
    snprintf(file, sizeof file, "%s/policy.json", d.data_dir);
    snprintf(bad, sizeof bad, "%s/bad.json", d.data_dir);
    json_object_set_new(json_object_get(doc, "incidents"), "flap_quiet_seconds",
                        json_integer(120));
    assert_int_equal(json_dump_file(doc, file, JSON_INDENT(2)), 0);
    json_object_set_new(json_object_get(doc, "incidents"), "flap_quiet_seconds",
                        json_integer(-3));
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    json_decref(doc);

    const char *get[] = {"policy", "get", NULL};
    assert_int_equal(it_run_cli(&d, env, get, out, sizeof out), 0);
    assert_non_null(strstr(out, "# version 1 by bootstrap"));
    assert_non_null(strstr(out, "\"environment\": \"staging\""));
    const char *val_bad[] = {"policy", "validate", bad, NULL};
    assert_int_equal(it_run_cli(&d, env, val_bad, out, sizeof out), 1);
    assert_non_null(strstr(out, "/incidents/flap_quiet_seconds range"));
    const char *val_good[] = {"policy", "validate", file, NULL};
    assert_int_equal(it_run_cli(&d, env, val_good, out, sizeof out), 0);
    const char *set_stale[] = {"policy", "set", file, "--if-match", "5", NULL};
    assert_int_equal(it_run_cli(&d, env, set_stale, out, sizeof out), 1);
    assert_non_null(strstr(out, "412"));
    const char *set[] = {"policy", "set", file, NULL};
    assert_int_equal(it_run_cli(&d, env, set, out, sizeof out), 0);
    assert_non_null(strstr(out, "saved version 2"));
    const char *versions[] = {"policy", "versions", NULL};
    assert_int_equal(it_run_cli(&d, env, versions, out, sizeof out), 0);
    assert_non_null(strstr(out, "env:IF_SRE_ADMIN_TOKEN"));
    assert_non_null(strstr(out, "bootstrap"));
    const char *as_viewer[] = {"policy", "set", file, NULL};
    char vtok[200];
    snprintf(vtok, sizeof vtok, "IF_SRE_TOKEN=%s", viewer);
    const char *venv[] = {vtok, NULL};
    assert_int_equal(it_run_cli(&d, venv, as_viewer, out, sizeof out), 1);
    assert_non_null(strstr(out, "403"));
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seeding_is_idempotent_and_keeps_edits),
        cmocka_unit_test(if_match_is_required_and_checked),
        cmocka_unit_test(invalid_documents_get_every_problem),
        cmocka_unit_test(stored_secrets_are_redacted_on_output),
        cmocka_unit_test(roles_and_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
