/* The log detector end to end: the real daemon follows a log directory given
 * with --log-paths; a panic appended to a file opens an incident with a
 * log_excerpt; history from before the first start does not; offsets survive
 * a restart (lines written while it was down are read once); a rotated file's
 * successor is read from its start. */
#include "harness.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char logdir[64];

static void append(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", logdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Polls the incidents of a class until one exists (or 30 s pass); returns it. */
static json_t *wait_incident(struct it_daemon *d, const char *cls)
{
    char path[256];
    snprintf(path, sizeof path, "/api/v1/incidents?class=%s", cls);
    for (int i = 0; i < 150; i++) {
        struct it_resp r;
        it_request(d, "GET", path, IT_ADMIN, NULL, NULL, &r);
        json_t *items = r.json ? json_object_get(r.json, "items") : NULL;
        if (r.status == 200 && json_array_size(items) > 0) {
            json_t *it = json_incref(json_array_get(items, 0));
            it_resp_free(&r);
            return it;
        }
        it_resp_free(&r);
        usleep(200 * 1000);
    }
    fail_msg("no %s incident within 30 s", cls);
    return NULL;
}

/* Waits until the logs source has completed a run after `after` runs. */
static long wait_logs_run(struct it_daemon *d, long after)
{
    for (int i = 0; i < 150; i++) {
        struct it_resp r;
        it_request(d, "GET", "/api/v1/sources", IT_ADMIN, NULL, NULL, &r);
        size_t k;
        json_t *s;
        long runs = -1;
        json_array_foreach(r.json ? json_object_get(r.json, "items") : NULL, k, s)
            if (strcmp(json_string_value(json_object_get(s, "id")), "logs") == 0)
                runs = (long)json_integer_value(json_object_get(s, "runs"));
        it_resp_free(&r);
        if (runs > after)
            return runs;
        usleep(200 * 1000);
    }
    fail_msg("the logs source did not run");
    return -1;
}

static void log_detector_end_to_end(void **state)
{
    (void)state;
    snprintf(logdir, sizeof logdir, "/tmp/srebot-it-logs-XXXXXX");
    assert_int_equal(it_mkdtemp(logdir), 0); /* removed at exit even on failure */
    append("app.log", "panic: from before the first start\n");
    char glob[128];
    snprintf(glob, sizeof glob, "%s/*.log", logdir);
    const char *args[] = {"--log-paths", glob, NULL};
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, args), 0);
    (void)wait_logs_run(&d, 0);

    append("app.log", "request ok\npanic: runtime error: boom\ngoroutine 1 [running]:\n");
    json_t *inc = wait_incident(&d, "application_services.panic_detected");
    assert_string_equal(json_string_value(json_object_get(inc, "correlation_key")),
                        "logs:builtin.go_panic");
    assert_int_equal(json_integer_value(json_object_get(inc, "finding_count")), 1);
    char path[128];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld",
             (long long)json_integer_value(json_object_get(inc, "id")));
    json_decref(inc);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    json_t *ev = json_array_get(json_object_get(r.json, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "log_excerpt");
    char *text = json_dumps(json_object_get(ev, "data"), 0);
    assert_non_null(strstr(text, "panic: runtime error: boom"));
    assert_null(strstr(text, "from before the first start"));
    free(text);
    it_resp_free(&r);

    /* Down for a while: a line written meanwhile is read after the restart. */
    assert_int_equal(it_stop(&d), 0);
    append("app.log", "Get https://idp: x509: certificate has expired or is not yet valid\n");
    assert_int_equal(it_restart(&d), 0);
    inc = wait_incident(&d, "identity_security.tls_certificate_expiry");
    json_decref(inc);

    /* Rotation: the successor file is read from its first line. */
    char from[128], to[128];
    snprintf(from, sizeof from, "%s/app.log", logdir);
    snprintf(to, sizeof to, "%s/app.log.1", logdir);
    assert_int_equal(rename(from, to), 0);
    /* One cycle sees the old file gone before its successor appears. */
    (void)wait_logs_run(&d, wait_logs_run(&d, 0));
    append("app.log", "ECONNREFUSED\nECONNREFUSED\nECONNREFUSED\nECONNREFUSED\nECONNREFUSED\n");
    inc = wait_incident(&d, "runtime_services.runtime_dependency_outage");
    json_decref(inc);

    /* The panic was never read twice (restart, rotation). */
    inc = wait_incident(&d, "application_services.panic_detected");
    assert_int_equal(json_integer_value(json_object_get(inc, "finding_count")), 1);
    json_decref(inc);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
    unlink(to);
    unlink(from);
    rmdir(logdir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_detector_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
