/* End to end with the real daemon: a dependency (a TCP listener started here)
 * goes down -> the policy's tcp probe fails -> an incident of
 * runtime_services.runtime_dependency_outage opens with probe_result evidence ->
 * the dependency comes back -> the incident resolves. Also GET /api/v1/sources
 * and the per-instance metrics on /metrics. The probe arrives through a policy
 * update (applied without a restart). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "util/timeutil.h"

static const char *const env[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true",
                                  "IF_SRE_ENVIRONMENT=demo", NULL};

/* Binds 127.0.0.1:*port (0: a free one, written back), listening or not. Both
 * with SO_REUSEPORT: a socket that never listens holds the dependency's port
 * for the whole test, so while the dependency is down nothing running in
 * parallel can take the port (the probe must see refusals) and the dependency
 * can listen on it again when it comes back. */
static int bind_port(unsigned *port, int do_listen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)*port);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || (do_listen && listen(fd, 64) != 0)) {
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* The dependency's incident, or NULL (new reference). */
static json_t *find_incident(struct it_daemon *d, const char *key)
{
    struct it_resp r;
    long st = it_request(d, "GET",
                         "/api/v1/incidents?class=runtime_services.runtime_dependency_outage",
                         IT_ADMIN, NULL, NULL, &r);
    json_t *out = NULL;
    if (st == 200) {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(r.json, "items"), i, it) {
            const char *k = json_string_value(json_object_get(it, "correlation_key"));
            if (k && strcmp(k, key) == 0)
                out = json_incref(it);
        }
    }
    it_resp_free(&r);
    return out;
}

static json_t *source_item(struct it_daemon *d, const char *id)
{
    struct it_resp r;
    assert_int_equal(it_request(d, "GET", "/api/v1/sources", IT_ADMIN, NULL, NULL, &r), 200);
    json_t *out = NULL;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "items"), i, it) if (
        strcmp(json_string_value(json_object_get(it, "id")), id) == 0) out = json_incref(it);
    it_resp_free(&r);
    return out;
}

static void test_dependency_outage_opens_and_resolves(void **state)
{
    (void)state;
    unsigned port = 0;
    int hold = bind_port(&port, 0);
    assert_true(hold >= 0);
    int dep = bind_port(&port, 1);
    assert_true(dep >= 0);

    struct it_daemon d;
    assert_int_equal(it_start(&d, env, NULL), 0);

    /* the host source runs from the start */
    json_t *host = NULL;
    for (int i = 0; i < 300 && !host; i++) {
        host = source_item(&d, "host");
        if (!host)
            usleep(100 * 1000);
    }
    assert_non_null(host);
    assert_string_equal(json_string_value(json_object_get(host, "kind")), "host");
    json_decref(host);

    /* add a tcp probe through a policy update; flap damping off so the
     * recovery shows up as resolved without a quiet period */
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    char etag[32];
    assert_int_equal(it_resp_header(&r, "ETag", etag, sizeof etag), 0);
    json_t *doc = json_deep_copy(json_object_get(r.json, "document"));
    it_resp_free(&r);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    json_array_append_new(json_object_get(doc, "probes"),
                          json_pack("{s:s,s:s,s:s,s:i,s:i,s:i}", "id", "dep", "kind", "tcp",
                                    "target", target, "interval_seconds", 5, "timeout_ms", 4000,
                                    "failure_threshold", 1));
    json_object_set_new(json_object_get(doc, "incidents"), "flap_quiet_seconds", json_integer(0));
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char ifm[64];
    snprintf(ifm, sizeof ifm, "If-Match: %s", etag);
    const char *headers[] = {"Content-Type: application/json", ifm, NULL};
    long st = it_request(&d, "PUT", "/api/v1/policy", IT_ADMIN, body, headers, &r);
    free(body);
    if (st != 200)
        fail_msg("PUT policy: %ld %s", st, r.body ? r.body : "");
    it_resp_free(&r);

    /* the watcher applies it: the probe shows up and runs healthy */
    json_t *probe = NULL;
    int64_t deadline = time_mono_ms() + 20000;
    while (time_mono_ms() < deadline) {
        probe = source_item(&d, "dep");
        if (probe && json_integer_value(json_object_get(probe, "runs")) >= 1)
            break;
        json_decref(probe);
        probe = NULL;
        usleep(200 * 1000);
    }
    assert_non_null(probe);
    assert_string_equal(json_string_value(json_object_get(probe, "state")), "ok");
    json_decref(probe);
    char key[80];
    snprintf(key, sizeof key, "tcp:%s", target);
    assert_null(find_incident(&d, key));

    /* the dependency goes down -> an incident opens with probe evidence */
    close(dep);
    json_t *inc = NULL;
    deadline = time_mono_ms() + 30000;
    while (!inc && time_mono_ms() < deadline) {
        inc = find_incident(&d, key);
        if (!inc)
            usleep(250 * 1000);
    }
    assert_non_null(inc);
    long long id = json_integer_value(json_object_get(inc, "id"));
    assert_string_not_equal(json_string_value(json_object_get(inc, "state")), "resolved");
    json_decref(inc);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", id);
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    json_t *ev = json_array_get(json_object_get(r.json, "evidence"), 0);
    assert_non_null(ev);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "probe_result");
    json_t *data = json_object_get(ev, "data");
    assert_false(json_is_true(json_object_get(data, "ok")));
    assert_string_equal(json_string_value(json_object_get(data, "target")), target);
    it_resp_free(&r);

    /* it comes back -> the probe's resolved finding reaches the incident, which
     * resolves (the policy above turned the ledger's flap damping off) */
    dep = bind_port(&port, 1);
    assert_true(dep >= 0);
    int resolved = 0, saw_resolved_finding = 0;
    char last_state[32] = "";
    deadline = time_mono_ms() + 40000;
    while (!resolved && time_mono_ms() < deadline) {
        assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
        const char *s = json_string_value(json_object_get(r.json, "state"));
        snprintf(last_state, sizeof last_state, "%s", s ? s : "");
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(r.json, "findings"), i, f) saw_resolved_finding |=
            strcmp(json_string_value(json_object_get(f, "status")), "resolved") == 0;
        resolved = strcmp(last_state, "resolved") == 0;
        it_resp_free(&r);
        if (!resolved)
            usleep(250 * 1000);
    }
    if (!resolved)
        fail_msg("the incident did not resolve (state %s)", last_state);
    assert_true(saw_resolved_finding);

    /* the instance's counters are on /metrics: healthy at its first check
     * (announced once), firing, resolved */
    assert_int_equal(it_request(&d, "GET", "/metrics", NULL, NULL, NULL, &r), 200);
    assert_non_null(strstr(r.body, "srebot_source_runs_total{id=\"dep\",kind=\"tcp\"}"));
    assert_non_null(strstr(r.body, "srebot_source_findings_total{id=\"dep\",kind=\"tcp\"} 3"));
    it_resp_free(&r);
    /* viewer role at least: no token -> 401 */
    assert_int_equal(it_request(&d, "GET", "/api/v1/sources", NULL, NULL, NULL, &r), 401);
    it_resp_free(&r);

    close(dep);
    close(hold);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dependency_outage_opens_and_resolves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
