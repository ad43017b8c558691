/* The first start as a new user meets it (issue "first run and daily
 * operation"): the policy seeded by default and `--environment` that disagrees
 * with the saved policy named in the log; the banner with the real address;
 * a second server on a port in use refused; `srebot policy init` and the
 * defaults endpoint; an identical save that adds no version; `srebot config`
 * with the source of every value; admin commands without log noise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* putenv of a bare name unsets it: the daemon sees the real default. */
static const char *const default_seeding[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS", NULL};

static void seeded_by_default_and_posture_named(void **state)
{
    (void)state;
    struct it_daemon d = {0};
    assert_int_equal(it_start(&d, default_seeding, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "document"),
                                                          "environment")),
                        "demo");
    it_resp_free(&r);

    char banner[96];
    snprintf(banner, sizeof banner, "Console:  http://127.0.0.1:%u/", d.port);
    assert_true(it_stderr_contains(&d, banner));
    assert_true(it_stderr_contains(&d, "Sign in:  with the token in IF_SRE_ADMIN_TOKEN"));
    assert_int_equal(it_stop(&d), 0);

    /* The saved policy wins over a different --environment, and the log says so. */
    static const char *const prod[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS",
                                       "IF_SRE_ENVIRONMENT=production", NULL};
    d.env = prod;
    assert_int_equal(it_restart(&d), 0);
    assert_true(it_stderr_contains(&d, "version 1 says environment demo; it wins over "
                                       "--environment production"));
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy/versions", IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1); /* not re-seeded */
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static void second_server_on_a_port_in_use_is_refused(void **state)
{
    (void)state;
    struct it_daemon d = {0}, other = {0};
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    snprintf(other.data_dir, sizeof other.data_dir, "/tmp/srebot-it-port-XXXXXX");
    assert_int_equal(it_mkdtemp(other.data_dir), 0);
    char listen[64], out[8192];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", d.port);
    const char *args[] = {"serve", "--listen", listen, NULL};
    int rc = it_run_cli(&other, NULL, args, out, sizeof out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "the address is in use"));
    /* the first one still answers every request */
    for (int i = 0; i < 10; i++) {
        struct it_resp r;
        assert_int_equal(it_request(&d, "GET", "/healthz", NULL, NULL, NULL, &r), 200);
        it_resp_free(&r);
    }
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static void policy_init_defaults_and_identical_save(void **state)
{
    (void)state;
    struct it_daemon d = {0};
    assert_int_equal(it_start(&d, NULL, NULL), 0); /* harness: no seeding */
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 404);
    it_resp_free(&r);

    assert_int_equal(it_request(&d, "GET", "/api/v1/policy/defaults?environment=production",
                                IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_string_equal(json_string_value(json_object_get(r.json, "environment")), "production");
    assert_string_equal(json_string_value(json_object_get(json_object_get(r.json, "document"),
                                                          "environment")),
                        "production");
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy/defaults?environment=prod", IT_ADMIN,
                                NULL, NULL, &r),
                     400);
    it_resp_free(&r);

    static const char *const token_env[] = {"IF_SRE_TOKEN=" IT_ADMIN, NULL};
    const char *init[] = {"policy", "init", "--environment", "staging", NULL};
    char out[8192];
    assert_int_equal(it_run_cli(&d, token_env, init, out, sizeof out), 0);
    assert_non_null(strstr(out, "saved the staging defaults as version 1"));
    assert_int_equal(it_run_cli(&d, token_env, init, out, sizeof out), 1);
    assert_non_null(strstr(out, "a policy is saved already"));
    const char *bad[] = {"policy", "init", "--environment", "qa", NULL};
    assert_int_equal(it_run_cli(&d, token_env, bad, out, sizeof out), 2);

    /* Saving the current document again adds no version. */
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    char *body = json_dumps(json_object_get(r.json, "document"), JSON_COMPACT);
    it_resp_free(&r);
    const char *headers[] = {"Content-Type: application/json", "If-Match: \"1\"", NULL};
    assert_int_equal(it_request(&d, "PUT", "/api/v1/policy", IT_ADMIN, body, headers, &r), 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "version")), 1);
    it_resp_free(&r);
    free(body);
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy/versions", IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static const char *line_of(const char *out, const char *start)
{
    for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, start, strlen(start)) == 0)
            return l;
    return NULL;
}

static void config_and_admin_commands(void **state)
{
    (void)state;
    struct it_daemon d = {0};
    snprintf(d.data_dir, sizeof d.data_dir, "/tmp/srebot-it-cfg-XXXXXX");
    assert_int_equal(it_mkdtemp(d.data_dir), 0);
    static const char *const env[] = {"IF_SRE_ENVIRONMENT=staging", "IF_SRE_ADMIN_TOKEN=cfg-secret-0123456789abcdef0123",
                                      "IF_SRE_LOG_LEVEL", NULL};
    const char *args[] = {"config", "--listen", "127.0.0.1:9911", NULL};
    char out[16384];
    assert_int_equal(it_run_cli(&d, env, args, out, sizeof out), 0);
    const char *l;
    assert_non_null(l = line_of(out, "IF_SRE_LISTEN "));
    assert_non_null(strstr(l, "flag     127.0.0.1:9911"));
    assert_non_null(l = line_of(out, "IF_SRE_ENVIRONMENT "));
    assert_non_null(strstr(l, "env      staging"));
    assert_non_null(l = line_of(out, "IF_SRE_ADMIN_TOKEN "));
    assert_non_null(strstr(l, "env      set"));
    assert_null(strstr(out, "cfg-secret")); /* the secret itself never */
    assert_non_null(l = line_of(out, "IF_SRE_WRITE_BATCH "));
    assert_non_null(strstr(l, "default  512"));
    assert_non_null(line_of(out, "IF_SRE_FILE_ROOTS "));

    /* An admin command prints its answer and nothing from the store's start. */
    const char *token[] = {"token", "create", "--name", "t1", "--role", "viewer", NULL};
    assert_int_equal(it_run_cli(&d, env, token, out, sizeof out), 0);
    assert_null(strchr(out, '{'));
    assert_int_equal(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line: the token */
    const char *help[] = {"token", "--help", NULL};
    assert_int_equal(it_run_cli(&d, env, help, out, sizeof out), 0);
    assert_non_null(strstr(out, "--data-dir"));
    assert_null(strstr(out, "--max-streams"));
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seeded_by_default_and_posture_named),
        cmocka_unit_test(second_server_on_a_port_in_use_is_refused),
        cmocka_unit_test(policy_init_defaults_and_identical_save),
        cmocka_unit_test(config_and_admin_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
