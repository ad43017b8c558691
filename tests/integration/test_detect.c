/* `srebot detect` (the real binary) against a running server (the real
 * daemon): an ingest token made with `srebot token create`, a policy file with a
 * TCP probe to a port that refuses connections; `detect --once` delivers the
 * finding over POST /api/v1/findings and the server opens the incident. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static const char *const env[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true", NULL};

/* Bound, not listening: connections are refused, and nobody else gets the port. */
static unsigned refusing_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    getsockname(*fd, (struct sockaddr *)&sa, &sl);
    return ntohs(sa.sin_port);
}

static void test_detect_delivers_to_server(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, env, NULL), 0);

    char out[8192];
    static const char *const mk[] = {"token", "create", "--name", "detector", "--role", "ingest",
                                     NULL};
    assert_int_equal(it_run_cli(&d, NULL, mk, out, sizeof out), 0);
    char *start = strstr(out, "srb_");
    assert_non_null(start);
    start[strcspn(start, "\r\n")] = '\0';
    char tok[100];
    snprintf(tok, sizeof tok, "%s", start); /* out is reused below */
    static char token_env[128];
    snprintf(token_env, sizeof token_env, "IF_SRE_TOKEN=%s", tok);

    /* the server's own policy plus a probe, as `srebot policy get` would give it */
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    json_t *doc = json_deep_copy(json_object_get(r.json, "document"));
    it_resp_free(&r);
    int held;
    unsigned port = refusing_port(&held);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    json_array_append_new(json_object_get(doc, "probes"),
                          json_pack("{s:s,s:s,s:s,s:i,s:i,s:i}", "id", "db", "kind", "tcp",
                                    "target", target, "interval_seconds", 30, "timeout_ms", 500,
                                    "failure_threshold", 1));
    json_t *th = json_object_get(doc, "thresholds"); /* keep the host source quiet here */
    json_object_set_new(th, "disk_used_percent", json_integer(100));
    json_object_set_new(th, "inode_used_percent", json_integer(100));
    json_object_set_new(th, "cpu_busy_percent", json_integer(100));
    json_object_set_new(th, "memory_used_percent", json_integer(100));
    char dir[] = "/tmp/srebot-detect-it-XXXXXX";
    assert_int_equal(it_mkdtemp(dir), 0); /* removed at exit even on failure */
    char pfile[96];
    snprintf(pfile, sizeof pfile, "%s/policy.json", dir);
    assert_int_equal(json_dump_file(doc, pfile, 0), 0);
    json_decref(doc);

    static char data_env[128];
    snprintf(data_env, sizeof data_env, "IF_SRE_DATA_DIR=%s", dir);
    const char *denv[] = {token_env, data_env, "IF_SRE_LOG_PATHS=/nonexistent/*.log", NULL};
    const char *dargs[] = {"detect", "--once", "--policy", pfile, NULL};
    int rc = it_run_cli(&d, denv, dargs, out, sizeof out);
    if (rc != 0)
        fail_msg("detect exited %d: %s", rc, out);
    assert_non_null(strstr(out, "\"dropped\":0"));
    assert_non_null(strstr(out, "\"pending\":0"));
    assert_null(strstr(out, tok)); /* the token is never printed */

    /* the server opened the incident from the delivered finding */
    assert_int_equal(it_request(&d, "GET",
                                "/api/v1/incidents?class=runtime_services.runtime_dependency_outage",
                                IT_ADMIN, NULL, NULL, &r),
                     200);
    char key[80];
    snprintf(key, sizeof key, "tcp:%s", target);
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "items"), i, it) {
        if (strcmp(json_string_value(json_object_get(it, "correlation_key")), key) == 0) {
            found = 1;
            assert_string_equal(json_string_value(json_object_get(it, "source")), "db");
        }
    }
    it_resp_free(&r);
    assert_true(found);

    /* a policy that does not validate: exit 2, nothing sent */
    FILE *f = fopen(pfile, "w");
    fputs("{\"probes\":[{\"id\":\"x\"}]}", f);
    fclose(f);
    assert_int_equal(it_run_cli(&d, denv, dargs, out, sizeof out), 2);
    assert_non_null(strstr(out, "/probes/0"));

    unlink(pfile);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/logfile-logs.offsets.json", dir);
    unlink(sub);
    rmdir(dir);
    close(held);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_delivers_to_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
