/* The HTTP layer as composed by `srebot serve`: a token made by `srebot token
 * create` works against the running daemon with its role, unauthenticated API
 * calls are 401 whatever the path, error shapes and request ids on the wire,
 * the configured body limit, /metrics with the store's commit metrics (the
 * observer is wired), and the console served with its security headers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void create_token(struct it_daemon *d, const char *name, const char *role, char *out,
                         size_t outlen)
{
    const char *args[] = {"token", "create", "--name", name, "--role", role, NULL};
    char text[512];
    assert_int_equal(it_run_cli(d, NULL, args, text, sizeof text), 0);
    /* the token is the only line on stdout that looks like one */
    const char *t = strstr(text, "srb_");
    assert_non_null(t);
    snprintf(out, outlen, "%.68s", t);
    assert_int_equal(strlen(out), 68);
}

static void assert_error_shape(const struct it_resp *r, long status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    json_t *e = json_object_get(r->json, "error");
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_true(json_is_array(json_object_get(e, "details")));
}

static void http_conventions_on_the_real_daemon(void **state)
{
    (void)state;
    struct it_daemon d;
    const char *args[] = {"--max-body-bytes", "2048", NULL};
    assert_int_equal(it_start(&d, NULL, args), 0);
    struct it_resp r;

    char viewer[80], ingest[80];
    create_token(&d, "it-viewer", "viewer", viewer, sizeof viewer);
    create_token(&d, "it-ingest", "ingest", ingest, sizeof ingest);

    assert_int_equal(it_request(&d, "GET", "/api/v1/whoami", viewer, NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), "it-viewer");
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "viewer");
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/whoami", ingest, NULL, NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "role")), "ingest");
    it_resp_free(&r);

    /* 401 before routing, with the challenge header and a request id */
    const char *const rid[] = {"X-Request-Id: it-http-1", NULL};
    it_request(&d, "GET", "/api/v1/definitely-not-a-route", NULL, NULL, rid, &r);
    assert_error_shape(&r, 401, "unauthorized");
    char v[256];
    assert_int_equal(it_resp_header(&r, "WWW-Authenticate", v, sizeof v), 0);
    assert_int_equal(it_resp_header(&r, "X-Request-Id", v, sizeof v), 0);
    assert_string_equal(v, "it-http-1");
    it_resp_free(&r);
    it_request(&d, "GET", "/api/v1/whoami", "srb_0123", NULL, NULL, &r);
    assert_error_shape(&r, 401, "unauthorized");
    it_resp_free(&r);

    /* the configured limit: a 3000-byte body is refused with 413 */
    char *big = malloc(3001);
    memset(big, ' ', 3000);
    big[0] = '[';
    big[2999] = ']';
    big[3000] = '\0';
    const char *const json_ct[] = {"Content-Type: application/json", NULL};
    it_request(&d, "POST", "/api/v1/findings", IT_ADMIN, big, json_ct, &r);
    assert_error_shape(&r, 413, "payload_too_large");
    it_resp_free(&r);
    free(big);

    /* console: index with a strict CSP */
    assert_int_equal(it_request(&d, "GET", "/", NULL, NULL, NULL, &r), 200);
    assert_int_equal(it_resp_header(&r, "Content-Security-Policy", v, sizeof v), 0);
    assert_non_null(strstr(v, "default-src 'self'"));
    assert_null(strstr(v, "unsafe-inline"));
    assert_int_equal(it_resp_header(&r, "Content-Type", v, sizeof v), 0);
    assert_string_equal(v, "text/html; charset=utf-8");
    it_resp_free(&r);

    /* metrics: requests by route and status, and the store's commit observer */
    assert_int_equal(it_request(&d, "GET", "/metrics", NULL, NULL, NULL, &r), 200);
    assert_non_null(strstr(
        r.body, "srebot_http_requests_total{route=\"/api/v1/whoami\",method=\"GET\",status=\"200\"} "));
    assert_non_null(strstr(r.body, "srebot_http_request_duration_seconds_bucket{route="));
    assert_non_null(strstr(r.body, "srebot_store_queue_depth "));
    assert_non_null(strstr(r.body, "srebot_store_commit_batch_size_bucket{le=\"+Inf\"} "));
    assert_non_null(strstr(r.body, "srebot_store_commit_duration_seconds_count "));
    assert_non_null(strstr(r.body, "srebot_build_info{version="));
    assert_non_null(strstr(r.body, "process_start_time_seconds "));
    it_resp_free(&r);

    assert_int_equal(it_stop(&d), 0);
    /* the access log has the principal's name, never a token */
    assert_true(it_stderr_contains(&d, "\"principal\":\"it-viewer\""));
    assert_true(it_stderr_contains(&d, "\"request_id\":\"it-http-1\""));
    assert_false(it_stderr_contains(&d, viewer));
    assert_false(it_stderr_contains(&d, ingest));
    assert_false(it_stderr_contains(&d, IT_ADMIN));
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_conventions_on_the_real_daemon),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
