/* Strict parsing of outside input on the real daemon: ids, limits, cursors and
 * event ids are decimal integers with overflow checks (" 1", "+1",
 * "0.99999999999999999999999.1" and an overflowing Last-Event-ID are 400 naming
 * the parameter); an encoded NUL in a path id or a query value (the SSE
 * access_token included) is refused instead of cutting the value short;
 * observed_at must be a real calendar time, and an incident's own times come
 * from the server's clock, the sender's bounded to a window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/timeutil.h"

static const char *message(const struct it_resp *r)
{
    return json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
}

static const char *detail_path(const struct it_resp *r)
{
    json_t *d = json_array_get(json_object_get(json_object_get(r->json, "error"), "details"), 0);
    return json_string_value(json_object_get(d, "path"));
}

/* Expects 400 whose message (or first detail path) names `what`. */
static void expect_400(struct it_daemon *d, const char *path, const char *const *headers,
                       const char *what)
{
    struct it_resp r;
    long st = it_request(d, "GET", path, IT_ADMIN, NULL, headers, &r);
    if (st != 400)
        fail_msg("GET %s: %ld, want 400 (%s)", path, st, r.body ? r.body : "");
    const char *m = message(&r), *p = detail_path(&r);
    if (!(m && strstr(m, what)) && !(p && strstr(p, what)))
        fail_msg("GET %s: the answer does not name %s: %s", path, what, r.body);
    it_resp_free(&r);
}

static void post_finding(struct it_daemon *d, const char *key, const char *observed_at,
                         long want, struct it_resp *r)
{
    char body[512];
    snprintf(body, sizeof body,
             "{\"source\":\"probe\",\"class\":\"runtime_services.runtime_dependency_outage\","
             "\"correlation_key\":\"%s\",\"severity\":\"high\",\"status\":\"firing\","
             "\"summary\":\"db down\",\"observed_at\":\"%s\"}",
             key, observed_at);
    long st = it_request(d, "POST", "/api/v1/findings", IT_ADMIN, body, NULL, r);
    if (st != want)
        fail_msg("observed_at %s: %ld, want %ld (%s)", observed_at, st, want, r->body);
}

static void integers_cursors_and_nul_bytes(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    post_finding(&d, "db-1", "2026-01-01T00:00:00Z", 200, &r);
    long long id = json_integer_value(
        json_object_get(json_array_get(json_object_get(r.json, "items"), 0), "incident_id"));
    it_resp_free(&r);
    assert_int_equal(id, 1);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents/1", IT_ADMIN, NULL, NULL, &r), 200);
    it_resp_free(&r);

    /* ids: only plain decimals name incident 1 */
    static const char *const bad_ids[] = {"%201", "+1", "%2B1", "1%20", "01x", "1%00",
                                          "99999999999999999999", "0", "-1"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char path[96];
        snprintf(path, sizeof path, "/api/v1/incidents/%s", bad_ids[i]);
        expect_400(&d, path, NULL, "id");
        snprintf(path, sizeof path, "/api/v1/incidents/%s/timeline", bad_ids[i]);
        expect_400(&d, path, NULL, "id");
    }
    /* query integers and cursors */
    expect_400(&d, "/api/v1/incidents?limit=+5", NULL, "/limit");
    expect_400(&d, "/api/v1/incidents?limit=%205", NULL, "/limit");
    expect_400(&d, "/api/v1/incidents?limit=99999999999999999999", NULL, "/limit");
    expect_400(&d, "/api/v1/incidents?cursor=0.99999999999999999999999.1", NULL, "/cursor");
    expect_400(&d, "/api/v1/incidents?cursor=0.1.2.3", NULL, "/cursor");
    expect_400(&d, "/api/v1/incidents?cursor=0.%201.2", NULL, "/cursor");
    expect_400(&d, "/api/v1/incidents/1/timeline?after=18446744073709551617", NULL, "after");
    expect_400(&d, "/api/v1/policy/versions/%2B1", NULL, "n");
    /* a cursor the listing gave out still works */
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents?limit=1", IT_ADMIN, NULL, NULL, &r),
                     200);
    const char *next = json_string_value(json_object_get(r.json, "next_cursor"));
    assert_non_null(next);
    char path[256];
    snprintf(path, sizeof path, "/api/v1/incidents?limit=1&cursor=%s", next);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 0);
    it_resp_free(&r);

    /* event ids: overflow is refused, not wrapped */
    const char *const overflow[] = {"Last-Event-ID: 99999999999999999999", NULL};
    expect_400(&d, "/api/v1/events", overflow, "Last-Event-ID");
    const char *const plus[] = {"Last-Event-ID: +3", NULL};
    expect_400(&d, "/api/v1/events", plus, "Last-Event-ID");
    expect_400(&d, "/api/v1/events?last_event_id=evt_18446744073709551616", NULL,
               "last_event_id");

    /* NUL bytes: a query value is refused by name, never cut short */
    expect_400(&d, "/api/v1/incidents?state=observed%00zz", NULL, "query parameter state");
    expect_400(&d, "/api/v1/incidents?class=a%00b", NULL, "query parameter class");
    char sse[200];
    snprintf(sse, sizeof sse, "/api/v1/events?access_token=%s%%00x", IT_ADMIN);
    assert_int_equal(it_request(&d, "GET", sse, NULL, NULL, NULL, &r), 400);
    assert_non_null(strstr(message(&r), "query parameter access_token"));
    it_resp_free(&r);

    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static void calendar_times_and_server_clock(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    static const char *const impossible[] = {"2026-02-30T10:00:00Z", "0000-01-01T00:00:00Z",
                                             "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z"};
    for (size_t i = 0; i < sizeof impossible / sizeof impossible[0]; i++) {
        post_finding(&d, "db-x", impossible[i], 422, &r);
        assert_string_equal(detail_path(&r), "/observed_at");
        it_resp_free(&r);
    }
    /* a sender whose clock is decades behind: accepted, but the incident's own
     * times are the server's, and first/last seen stay within 30 days */
    int64_t before = time_now_ms();
    post_finding(&d, "db-old", "0001-01-01T00:00:00Z", 200, &r);
    long long id = json_integer_value(
        json_object_get(json_array_get(json_object_get(r.json, "items"), 0), "incident_id"));
    it_resp_free(&r);
    int64_t after = time_now_ms();
    char path[64];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", id);
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    json_t *inc = json_object_get(r.json, "incident");
    if (!inc)
        inc = r.json;
    int64_t updated, first, last;
    assert_int_equal(time_parse_rfc3339(json_string_value(json_object_get(inc, "updated_at")),
                                        &updated), 0);
    assert_int_equal(time_parse_rfc3339(json_string_value(json_object_get(inc, "first_seen")),
                                        &first), 0);
    assert_int_equal(time_parse_rfc3339(json_string_value(json_object_get(inc, "last_seen")),
                                        &last), 0);
    const int64_t window = 30LL * 24 * 3600 * 1000;
    if (updated < before - 1000 || updated > after + 1000)
        fail_msg("updated_at %lld is not the server's time (%lld..%lld)", (long long)updated,
                 (long long)before, (long long)after);
    if (first < before - window - 1000 || first > after - window + 1000)
        fail_msg("first_seen %lld is not bounded to now - 30 days", (long long)first);
    assert_int_equal(first, last);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_cursors_and_nul_bytes),
        cmocka_unit_test(calendar_times_and_server_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
