/* Probes against real local peers: a TCP listener, an HTTP server, a TLS server
 * with a certificate that expires soon, an OIDC provider and a registry that
 * answers like the OCI distribution API (200; 401 + Bearer challenge + token
 * endpoint). Each peer is started here on a free loopback port. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "support/srcfix.h"
#include "net/client.h"
#include "sources/netutil.h"
#include "util/timeutil.h"

/* Probes that should succeed get a generous timeout: two ASan processes per
 * core can leave a peer here descheduled for seconds. Tests of a timeout set
 * their own short one. */
#define GENEROUS_MS 30000

/* What the sources worker hands its probes: a bounded resolver (made in main). */
static struct source_deps deps;

/* Runs one probe instance `cycles` times; returns the captured findings. */
static json_t *run_probe(const char *kind, json_t *cfg, int cycles, int expect_init_ok)
{
    if (!json_object_get(cfg, "timeout_ms"))
        json_object_set_new(cfg, "timeout_ms", json_integer(GENEROUS_MS));
    const struct source_ops *ops = source_find(kind);
    assert_non_null(ops);
    void *inst = NULL;
    char err[256] = "";
    int rc = ops->init(cfg, &deps, &inst, err, sizeof err);
    json_decref(cfg);
    if (!expect_init_ok) {
        assert_int_not_equal(rc, 0);
        assert_true(err[0] != '\0');
        return NULL;
    }
    assert_int_equal(rc, 0);
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    int64_t now = time_now_ms();
    for (int i = 0; i < cycles; i++)
        assert_int_equal(ops->run(inst, now + i * 1000, &sink, err, sizeof err), 0);
    ops->destroy(inst);
    json_t *out = capture_take(&cap);
    capture_free(&cap);
    return out;
}

static const char *fstr(json_t *f, const char *k) { return json_string_value(json_object_get(f, k)); }

/* A healthy new probe says so once: one resolved finding (see probe.h). */
static void assert_announced_healthy(json_t *got)
{
    assert_int_equal(json_array_size(got), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "status")),
                        "resolved");
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "severity")),
                        "info");
}

static json_t *by_class(json_t *arr, const char *cls)
{
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f) if (strcmp(json_string_value(json_object_get(f, "class")),
                                             cls) == 0) return f;
    return NULL;
}

static json_t *evidence_data(json_t *f)
{
    json_t *ev = json_array_get(json_object_get(f, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "probe_result");
    return json_object_get(ev, "data");
}

static void test_tcp_up_and_down(void **state)
{
    (void)state;
    unsigned port;
    int lfd = tcp_listen_any(&port);
    assert_true(lfd >= 0);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    json_t *f = run_probe("tcp", json_pack("{s:s,s:s,s:i,s:i}", "id", "db", "target", target,
                                           "timeout_ms", GENEROUS_MS, "failure_threshold", 2),
                          3, 1);
    assert_announced_healthy(f); /* healthy: said once, then quiet */
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(f, 0), "summary")),
                           "healthy"));
    json_decref(f);
    close(lfd);

    snprintf(target, sizeof target, "127.0.0.1:%u", tcp_dead_port());
    f = run_probe("tcp", json_pack("{s:s,s:s,s:i,s:i}", "id", "db", "target", target,
                                   "timeout_ms", 1000, "failure_threshold", 2),
                  3, 1);
    /* threshold 2: the second failure raises; the third is within refire time */
    assert_int_equal(json_array_size(f), 1);
    json_t *x = json_array_get(f, 0);
    assert_string_equal(fstr(x, "class"), "runtime_services.runtime_dependency_outage");
    assert_string_equal(fstr(x, "status"), "firing");
    assert_string_equal(fstr(x, "source"), "db");
    char key[80];
    snprintf(key, sizeof key, "tcp:%s", target);
    assert_string_equal(fstr(x, "correlation_key"), key);
    json_t *d = evidence_data(x);
    assert_false(json_is_true(json_object_get(d, "ok")));
    assert_int_equal(json_integer_value(json_object_get(d, "consecutive_failures")), 2);
    assert_non_null(strstr(json_string_value(json_object_get(d, "detail")), "refused"));
    json_decref(f);
}

static void test_tcp_bad_target_rejected(void **state)
{
    (void)state;
    run_probe("tcp", json_pack("{s:s,s:s}", "id", "x", "target", "no-port-here"), 0, 0);
    run_probe("tcp", json_pack("{s:s,s:s}", "id", "x", "target", "host:99999"), 0, 0);
    run_probe("tcp", json_pack("{s:s}", "id", "x"), 0, 0);
}

/* ---- HTTP server with a switchable health ---- */
struct web {
    atomic_int healthy;
};
static void web_handler(void *ctx, const struct mini_req *rq, struct mini_reply *rep)
{
    struct web *w = ctx;
    if (strcmp(rq->url, "/health") == 0) {
        rep->status = atomic_load(&w->healthy) ? 200 : 503;
        snprintf(rep->body, sizeof rep->body, "%s",
                 atomic_load(&w->healthy) ? "status: ok" : "status: down");
    } else if (strcmp(rq->url, "/wrongbody") == 0) {
        rep->status = 200;
        snprintf(rep->body, sizeof rep->body, "maintenance");
    }
}

static void test_http_probe_status_and_body(void **state)
{
    (void)state;
    struct web w;
    atomic_init(&w.healthy, 1);
    struct mini_http m;
    assert_int_equal(mini_http_start(&m, web_handler, &w), 0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/health", m.port);

    const struct source_ops *ops = source_find("http");
    void *inst = NULL;
    char err[256];
    json_t *cfg = json_pack("{s:s,s:s,s:i,s:s,s:i,s:i}", "id", "web", "target", url,
                            "expect_status", 200, "body_match", "ok", "failure_threshold", 2,
                            "timeout_ms", GENEROUS_MS);
    assert_int_equal(ops->init(cfg, &deps, &inst, err, sizeof err), 0);
    json_decref(cfg);
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    int64_t t = time_now_ms();
    ops->run(inst, t, &sink, err, sizeof err);
    json_t *first = capture_take(&cap);
    assert_announced_healthy(first);
    json_decref(first);
    atomic_store(&w.healthy, 0); /* the dependency goes down */
    ops->run(inst, t + 1000, &sink, err, sizeof err);
    assert_int_equal(capture_count(&cap), 0); /* one failure is not enough */
    ops->run(inst, t + 2000, &sink, err, sizeof err);
    json_t *got = capture_take(&cap);
    assert_int_equal(json_array_size(got), 1);
    json_t *d = evidence_data(json_array_get(got, 0));
    assert_int_equal(json_integer_value(json_object_get(d, "status")), 503);
    assert_string_equal(fstr(json_array_get(got, 0), "status"), "firing");
    json_decref(got);
    atomic_store(&w.healthy, 1); /* it comes back */
    ops->run(inst, t + 3000, &sink, err, sizeof err);
    got = capture_take(&cap);
    assert_int_equal(json_array_size(got), 1);
    assert_string_equal(fstr(json_array_get(got, 0), "status"), "resolved");
    assert_string_equal(fstr(json_array_get(got, 0), "correlation_key"),
                        fstr(json_array_get(got, 0), "correlation_key"));
    json_decref(got);
    ops->destroy(inst);

    /* status fine, body does not match */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/wrongbody", m.port);
    got = run_probe("http", json_pack("{s:s,s:s,s:s,s:i}", "id", "web2", "target", url,
                                      "body_match", "ok", "failure_threshold", 1),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    assert_non_null(strstr(json_string_value(json_object_get(evidence_data(json_array_get(got, 0)),
                                                             "detail")),
                           "does not contain"));
    json_decref(got);
    capture_free(&cap);
    mini_http_stop(&m);

    /* nothing listening at all */
    snprintf(url, sizeof url, "http://127.0.0.1:%u/health", tcp_dead_port());
    got = run_probe("http", json_pack("{s:s,s:s,s:i}", "id", "web3", "target", url,
                                      "failure_threshold", 1),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    json_decref(got);
    run_probe("http", json_pack("{s:s,s:s}", "id", "x", "target", "ftp://example"), 0, 0);
}

/* The TLS server of the test below, stopped by its teardown even when an
 * assertion fails half-way (no thread or OpenSSL state outlives the test). */
static struct tls_server ts;
static int stop_tls_server(void **state)
{
    (void)state;
    tls_server_stop(&ts);
    return 0;
}

static void test_tls_expiring_certificate(void **state)
{
    (void)state;
    assert_int_equal(tls_server_start(&ts, 2.0), 0); /* expires in two days */
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", ts.port);
    json_t *got = run_probe("tls", json_pack("{s:s,s:s,s:i,s:i,s:i}", "id", "api-tls", "target",
                                             target, "min_cert_days", 14, "failure_threshold", 1,
                                             "timeout_ms", GENEROUS_MS),
                            2, 1);
    /* the server counts a handshake when its SSL_accept returns, which may be a
     * moment after the client's: wait for the second one */
    assert_true(tls_server_wait_handshakes(&ts, 2, GENEROUS_MS));
    /* reachable (the outage key is announced healthy), and one expiry finding
     * (the second cycle is within the refire time) */
    assert_int_equal(json_array_size(got), 2);
    assert_string_equal(
        fstr(by_class(got, "runtime_services.runtime_dependency_outage"), "status"), "resolved");
    json_t *f = by_class(got, "identity_security.tls_certificate_expiry");
    assert_non_null(f);
    assert_string_equal(fstr(f, "status"), "firing");
    assert_string_equal(fstr(f, "severity"), "high"); /* < 3 days */
    json_t *d = evidence_data(f);
    double days = json_number_value(json_object_get(d, "days_left"));
    assert_true(days > 1.9 && days < 2.1);
    assert_non_null(strstr(json_string_value(json_object_get(d, "subject")), "localhost"));
    json_decref(got);

    /* the same server with a low minimum: both keys announced healthy, nothing firing */
    got = run_probe("tls", json_pack("{s:s,s:s,s:i,s:i,s:i}", "id", "api-tls", "target", target,
                                     "min_cert_days", 1, "failure_threshold", 1, "timeout_ms",
                                     GENEROUS_MS),
                    2, 1);
    assert_int_equal(json_array_size(got), 2);
    assert_string_equal(fstr(json_array_get(got, 0), "status"), "resolved");
    assert_string_equal(fstr(json_array_get(got, 1), "status"), "resolved");
    json_decref(got);
    tls_server_stop(&ts);

    /* an expired certificate is critical */
    assert_int_equal(tls_server_start(&ts, -1.0), 0);
    snprintf(target, sizeof target, "127.0.0.1:%u", ts.port);
    got = run_probe("tls", json_pack("{s:s,s:s,s:i,s:i}", "id", "old", "target", target,
                                     "failure_threshold", 1, "timeout_ms", GENEROUS_MS),
                    1, 1);
    assert_int_equal(json_array_size(got), 2); /* reachable (announced), and expired */
    assert_string_equal(fstr(by_class(got, "identity_security.tls_certificate_expiry"), "severity"),
                        "critical");
    json_decref(got);
    tls_server_stop(&ts);

    /* a plain TCP listener that never speaks TLS: handshake times out -> outage */
    unsigned port;
    int lfd = tcp_listen_any(&port);
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    got = run_probe("tls", json_pack("{s:s,s:s,s:i,s:i}", "id", "mute", "target", target,
                                     "failure_threshold", 1, "timeout_ms", 300),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    assert_string_equal(fstr(json_array_get(got, 0), "class"),
                        "runtime_services.runtime_dependency_outage");
    json_decref(got);
    close(lfd);
}

static void test_dns_probe(void **state)
{
    (void)state;
    json_t *got = run_probe("dns", json_pack("{s:s,s:s,s:s,s:i}", "id", "lh", "target",
                                             "localhost", "expect_address", "127.0.0.1",
                                             "failure_threshold", 1),
                            1, 1);
    assert_announced_healthy(got);
    json_decref(got);
    got = run_probe("dns", json_pack("{s:s,s:s,s:i,s:i}", "id", "nx", "target",
                                     "no-such-host.invalid", "failure_threshold", 1, "timeout_ms",
                                     1500),
                    1, 1);
    /* a name that does not resolve is an outage, not a healthy announcement */
    assert_int_equal(json_array_size(got), 1);
    assert_string_equal(fstr(json_array_get(got, 0), "status"), "firing");
    assert_string_equal(fstr(json_array_get(got, 0), "class"),
                        "runtime_services.runtime_dependency_outage");
    assert_non_null(json_string_value(json_object_get(evidence_data(json_array_get(got, 0)),
                                                      "detail")));
    json_decref(got);
    got = run_probe("dns", json_pack("{s:s,s:s,s:s,s:i}", "id", "lh2", "target", "localhost",
                                     "expect_address", "10.9.9.9", "failure_threshold", 1),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    assert_non_null(strstr(json_string_value(json_object_get(
                               evidence_data(json_array_get(got, 0)), "detail")),
                           "not 10.9.9.9"));
    json_decref(got);
}

/* ---- OIDC provider ---- */
struct idp {
    unsigned port;
    atomic_int mode; /* 0 good, 1 wrong issuer, 2 not JSON, 3 no keys */
};
static void idp_handler(void *ctx, const struct mini_req *rq, struct mini_reply *rep)
{
    struct idp *p = ctx;
    int mode = atomic_load(&p->mode);
    if (strcmp(rq->url, "/realms/x/.well-known/openid-configuration") == 0) {
        rep->status = 200;
        if (mode == 2)
            snprintf(rep->body, sizeof rep->body, "<html>login</html>");
        else
            snprintf(rep->body, sizeof rep->body,
                     "{\"issuer\":\"http://127.0.0.1:%u/realms/%s\","
                     "\"authorization_endpoint\":\"http://127.0.0.1:%u/auth\","
                     "\"jwks_uri\":\"http://127.0.0.1:%u/certs\"}",
                     p->port, mode == 1 ? "other" : "x", p->port, p->port);
    } else if (strcmp(rq->url, "/certs") == 0) {
        rep->status = 200;
        snprintf(rep->body, sizeof rep->body, "%s",
                 mode == 3 ? "{\"keys\":[]}" : "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"k1\"}]}");
    }
}

static void test_oidc_probe(void **state)
{
    (void)state;
    struct idp p;
    atomic_init(&p.mode, 0);
    struct mini_http m;
    assert_int_equal(mini_http_start(&m, idp_handler, &p), 0);
    p.port = m.port;
    char issuer[128];
    snprintf(issuer, sizeof issuer, "http://127.0.0.1:%u/realms/x/", m.port);
    static const char *const expect[] = {NULL, "does not match", "not a JSON object", "no keys"};
    for (int mode = 0; mode < 4; mode++) {
        atomic_store(&p.mode, mode);
        json_t *got = run_probe("oidc", json_pack("{s:s,s:s,s:i}", "id", "idp", "target", issuer,
                                                  "failure_threshold", 1),
                                1, 1);
        if (mode == 0) {
            assert_announced_healthy(got);
        } else {
            assert_int_equal(json_array_size(got), 1);
            json_t *f = json_array_get(got, 0);
            assert_string_equal(fstr(f, "class"), "identity_security.identity_provider_unreachable");
            assert_non_null(strstr(json_string_value(json_object_get(evidence_data(f), "detail")),
                                   expect[mode]));
        }
        json_decref(got);
    }
    mini_http_stop(&m);
}

/* ---- registry ---- */
struct reg {
    unsigned port;
    atomic_int mode; /* 0: open (200); 1: Bearer challenge; 2: 500 */
    atomic_int token_requests;
};
/* Real registry tokens are JWTs of a few KiB: the fake hands out a long one. */
static char reg_token[3001];
static char reg_bearer[3100];

static void reg_handler(void *ctx, const struct mini_req *rq, struct mini_reply *rep)
{
    struct reg *g = ctx;
    int mode = atomic_load(&g->mode);
    if (strcmp(rq->url, "/v2/") == 0) {
        if (mode == 2) {
            rep->status = 500;
            return;
        }
        if (mode == 0 || (rq->authorization && strcmp(rq->authorization, reg_bearer) == 0)) {
            rep->status = 200;
            snprintf(rep->body, sizeof rep->body, "{}");
            return;
        }
        rep->status = 401;
        snprintf(rep->header_name, sizeof rep->header_name, "WWW-Authenticate");
        snprintf(rep->header_value, sizeof rep->header_value,
                 "Bearer realm=\"http://127.0.0.1:%u/token\",service=\"reg.local\"", g->port);
        snprintf(rep->body, sizeof rep->body, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
    } else if (strcmp(rq->url, "/token") == 0) {
        atomic_fetch_add(&g->token_requests, 1);
        /* basic robot:s3cret */
        if (rq->authorization && strcmp(rq->authorization, "Basic cm9ib3Q6czNjcmV0") == 0 &&
            strstr(rq->query, "service=reg.local")) {
            rep->status = 200;
            snprintf(rep->body, sizeof rep->body, "{\"token\":\"%s\",\"expires_in\":300}",
                     reg_token);
        } else {
            rep->status = 401;
        }
    }
}

static void test_registry_probe(void **state)
{
    (void)state;
    memset(reg_token, 'k', sizeof reg_token - 1);
    memcpy(reg_token, "eyJ", 3);
    snprintf(reg_bearer, sizeof reg_bearer, "Bearer %s", reg_token);
    struct reg g;
    atomic_init(&g.mode, 0);
    atomic_init(&g.token_requests, 0);
    struct mini_http m;
    assert_int_equal(mini_http_start(&m, reg_handler, &g), 0);
    g.port = m.port;
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", m.port);

    /* 200: healthy */
    json_t *got = run_probe("registry", json_pack("{s:s,s:s,s:i}", "id", "reg", "target", url,
                                                  "failure_threshold", 1),
                            1, 1);
    assert_announced_healthy(got);
    json_decref(got);

    /* 401 + challenge, anonymous: healthy, and no token exchange attempted */
    atomic_store(&g.mode, 1);
    got = run_probe("registry", json_pack("{s:s,s:s,s:i}", "id", "reg", "target", url,
                                          "failure_threshold", 1),
                    1, 1);
    assert_announced_healthy(got);
    assert_int_equal(atomic_load(&g.token_requests), 0);
    json_decref(got);

    /* with the right credential: token exchange, then 200 */
    setenv("IF_SRE_SECRET_SRC_TEST_REG_PASSWORD", "s3cret", 1);
    got = run_probe("registry",
                    json_pack("{s:s,s:s,s:i,s:{s:s,s:{s:s}}}", "id", "reg", "target", url,
                              "failure_threshold", 1, "credential", "username", "robot",
                              "secret_ref", "env", "IF_SRE_SECRET_SRC_TEST_REG_PASSWORD"),
                    1, 1);
    assert_announced_healthy(got);
    assert_int_equal(atomic_load(&g.token_requests), 1);
    json_decref(got);

    /* a wrong password: auth refused */
    setenv("IF_SRE_SECRET_SRC_TEST_REG_PASSWORD", "wrong", 1);
    got = run_probe("registry",
                    json_pack("{s:s,s:s,s:i,s:{s:s,s:{s:s}}}", "id", "reg", "target", url,
                              "failure_threshold", 1, "credential", "username", "robot",
                              "secret_ref", "env", "IF_SRE_SECRET_SRC_TEST_REG_PASSWORD"),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    json_t *f = json_array_get(got, 0);
    assert_string_equal(fstr(f, "class"), "release_configuration.registry_auth_or_mirror_failure");
    const char *detail = json_string_value(json_object_get(evidence_data(f), "detail"));
    assert_non_null(strstr(detail, "auth refused"));
    char *text = json_dumps(f, 0); /* the secret never lands in a finding */
    assert_null(strstr(text, "wrong"));
    free(text);
    json_decref(got);

    /* mirror broken */
    atomic_store(&g.mode, 2);
    got = run_probe("registry", json_pack("{s:s,s:s,s:i}", "id", "reg", "target", url,
                                          "failure_threshold", 1),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    json_decref(got);
    mini_http_stop(&m);

    /* unreachable */
    snprintf(url, sizeof url, "http://127.0.0.1:%u", tcp_dead_port());
    got = run_probe("registry", json_pack("{s:s,s:s,s:i}", "id", "reg", "target", url,
                                          "failure_threshold", 1),
                    1, 1);
    assert_int_equal(json_array_size(got), 1);
    assert_non_null(strstr(json_string_value(json_object_get(
                               evidence_data(json_array_get(got, 0)), "detail")),
                           "unreachable"));
    json_decref(got);
}

static void test_challenge_parser(void **state)
{
    (void)state;
    struct auth_challenge c;
    assert_int_equal(net_parse_challenge("Bearer realm=\"https://auth.docker.io/token\","
                                          "service=\"registry.docker.io\",scope=\"repository:"
                                          "library/alpine:pull\"",
                                          &c),
                     0);
    assert_string_equal(c.scheme, "Bearer");
    assert_string_equal(c.realm, "https://auth.docker.io/token");
    assert_string_equal(c.service, "registry.docker.io");
    assert_string_equal(c.scope, "repository:library/alpine:pull");
    assert_int_equal(net_parse_challenge("Basic realm=Registry", &c), 0);
    assert_string_equal(c.scheme, "Basic");
    assert_string_equal(c.realm, "Registry");
    assert_int_equal(net_parse_challenge("", &c), -1);
    assert_int_equal(net_parse_challenge("=\"x\"", &c), -1);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_up_and_down),
        cmocka_unit_test(test_tcp_bad_target_rejected),
        cmocka_unit_test(test_http_probe_status_and_body),
        cmocka_unit_test_teardown(test_tls_expiring_certificate, stop_tls_server),
        cmocka_unit_test(test_dns_probe),
        cmocka_unit_test(test_oidc_probe),
        cmocka_unit_test(test_registry_probe),
        cmocka_unit_test(test_challenge_parser),
    };
    deps.resolver = net_resolver_create();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    net_resolver_release(deps.resolver);
    return failed;
}
