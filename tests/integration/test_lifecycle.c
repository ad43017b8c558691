/* The daemon's life: start on the embedded defaults, health and readiness, a clean
 * SIGTERM shutdown (exit 0), restart on the same data, bad settings refused with one
 * line naming the setting, and no token ever written to the logs. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void starts_serves_and_stops_cleanly(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/healthz", NULL, NULL, NULL, &r), 200);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/readyz", NULL, NULL, NULL, &r), 200);
    /* the bus adapter and its connection state */
    json_t *bus = json_object_get(r.json, "bus");
    assert_string_equal(json_string_value(json_object_get(bus, "adapter")), "local");
    assert_string_equal(json_string_value(json_object_get(bus, "state")), "connected");
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/whoami", IT_ADMIN, NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "admin");
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    assert_true(it_stderr_contains(&d, "\"msg\":\"stopped\""));
    /* The token was used on every request above and must appear in no log line. */
    assert_false(it_stderr_contains(&d, IT_ADMIN));

    /* Same data dir again: migrations are a no-op, the daemon comes back. */
    assert_int_equal(it_restart(&d), 0);
    assert_int_equal(it_request(&d, "GET", "/readyz", NULL, NULL, NULL, &r), 200);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);

    /* A bus this build lacks stops start-up, naming the option that brings it. */
    char out[8192];
    const char *env[] = {"IF_SRE_BUS_URL=nats://127.0.0.1:4222", "IF_SRE_LISTEN=127.0.0.1:0",
                         NULL};
    const char *args[] = {"serve", NULL};
    assert_int_equal(it_run_cli(&d, env, args, out, sizeof out), 1);
    assert_non_null(strstr(out, "nats is not in this build"));
    assert_non_null(strstr(out, "SREBOT_WITH_NATS"));
    it_cleanup(&d);
}

static void bad_setting_is_one_line_naming_it(void **state)
{
    (void)state;
    struct it_daemon d = {0};
    snprintf(d.data_dir, sizeof d.data_dir, "/tmp");
    char out[4096];
    const char *args[] = {"serve", "--listen", "nonsense", NULL};
    int rc = it_run_cli(&d, NULL, args, out, sizeof out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--listen / IF_SRE_LISTEN"));
    assert_non_null(strchr(out, '\n'));
    assert_null(strchr(strchr(out, '\n') + 1, '\n')); /* exactly one line */

    const char *env[] = {"IF_SRE_ENVIRONMENT=prod", NULL};
    const char *args2[] = {"serve", NULL};
    rc = it_run_cli(&d, env, args2, out, sizeof out);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "IF_SRE_ENVIRONMENT"));
}

static void help_on_every_command(void **state)
{
    (void)state;
    struct it_daemon d = {0};
    snprintf(d.data_dir, sizeof d.data_dir, "/tmp");
    char out[16384];
    const char *top[] = {"--help", NULL};
    assert_int_equal(it_run_cli(&d, NULL, top, out, sizeof out), 0);
    /* Every command listed must answer --help with exit 0. */
    char cmds[16384];
    snprintf(cmds, sizeof cmds, "%s", out);
    char *line = strstr(cmds, "commands:\n");
    assert_non_null(line);
    int checked = 0;
    for (line = strchr(line, '\n') + 1; line && line[0] == ' ' && line[1] == ' ';) {
        char name[32];
        if (sscanf(line, " %31s", name) == 1) {
            const char *args[] = {name, "--help", NULL};
            int rc = it_run_cli(&d, NULL, args, out, sizeof out);
            if (rc != 0)
                fail_msg("srebot %s --help exited %d: %s", name, rc, out);
            checked++;
        }
        char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    assert_true(checked >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starts_serves_and_stops_cleanly),
        cmocka_unit_test(bad_setting_is_one_line_naming_it),
        cmocka_unit_test(help_on_every_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
