/* The error shape, the service-status mapping and the JSON body parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "http/http.h"

static const char *header(const struct http_resp *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i][0], name) == 0)
            return r->headers[i][1];
    return NULL;
}

/* Checks {"error":{"code":code,"message":<non-empty>,"details":[...]}} and
 * returns the details array. */
static json_t *check_error_shape(const struct http_resp *r, int status, const char *code)
{
    assert_int_equal(r->status, status);
    assert_non_null(r->json);
    assert_int_equal(json_object_size(r->json), 1);
    json_t *e = json_object_get(r->json, "error");
    assert_true(json_is_object(e));
    assert_int_equal(json_object_size(e), 3);
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    const char *msg = json_string_value(json_object_get(e, "message"));
    assert_non_null(msg);
    assert_true(strlen(msg) > 0);
    json_t *d = json_object_get(e, "details");
    assert_true(json_is_array(d));
    return d;
}

static void reset(struct http_resp *r)
{
    json_decref(r->json);
    free(r->raw);
    memset(r, 0, sizeof *r);
}

static void test_error_codes(void **state)
{
    (void)state;
    static const struct {
        int status;
        const char *code;
    } cases[] = {
        {400, "bad_request"},         {401, "unauthorized"},
        {403, "forbidden"},           {404, "not_found"},
        {405, "method_not_allowed"},  {409, "conflict"},
        {412, "precondition_failed"}, {413, "payload_too_large"},
        {415, "unsupported_media_type"}, {422, "validation_failed"},
        {428, "precondition_required"}, {429, "too_many_requests"},
        {503, "unavailable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_resp r = {0};
        http_resp_error(&r, cases[i].status, cases[i].code, "thing %d went wrong", (int)i);
        json_t *d = check_error_shape(&r, cases[i].status, cases[i].code);
        assert_int_equal(json_array_size(d), 0);
        char want[64];
        snprintf(want, sizeof want, "thing %d went wrong", (int)i);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(r.json, "error"), "message")), want);
        reset(&r);
    }
}

static void test_problems_become_details(void **state)
{
    (void)state;
    struct problems p;
    problems_init(&p);
    problems_add(&p, "/automation/max_actions_per_hour", "range", "must be at most %d", 1000);
    problems_add(&p, "/channels/0/token", "secret_in_clear", "use a secret_ref");
    struct http_resp r = {0};
    http_resp_problems(&r, 422, "validation_failed", &p, NULL);
    json_t *d = check_error_shape(&r, 422, "validation_failed");
    assert_int_equal(json_array_size(d), 2);
    json_t *d0 = json_array_get(d, 0);
    assert_string_equal(json_string_value(json_object_get(d0, "path")),
                        "/automation/max_actions_per_hour");
    assert_string_equal(json_string_value(json_object_get(d0, "reason")), "must be at most 1000");
    assert_string_equal(json_string_value(json_object_get(d0, "code")), "range");
    reset(&r);
}

static void test_svc_errors(void **state)
{
    (void)state;
    static const struct {
        enum svc_status st;
        int status;
        const char *code;
        int retry;
    } cases[] = {
        {SVC_BUSY, 503, "unavailable", 1},     {SVC_UNAVAILABLE, 503, "unavailable", 1},
        {SVC_NOT_FOUND, 404, "not_found", 0},  {SVC_CONFLICT, 409, "conflict", 0},
        {SVC_INVALID, 422, "validation_failed", 0}, {SVC_DENIED, 403, "forbidden", 0},
        {SVC_EXPIRED, 410, "expired", 0},      {SVC_INTERNAL, 500, "internal", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct http_resp r = {0};
        http_resp_svc_error(&r, cases[i].st, "incident");
        check_error_shape(&r, cases[i].status, cases[i].code);
        if (cases[i].retry)
            assert_string_equal(header(&r, "Retry-After"), "1");
        else
            assert_null(header(&r, "Retry-After"));
        reset(&r);
    }
    /* store results reach HTTP only through the service mapping */
    static const struct {
        enum store_status st;
        int status;
    } via_svc[] = {
        {STORE_BUSY, 503}, {STORE_NOT_FOUND, 404}, {STORE_CONFLICT, 409},
        {STORE_INVALID, 422}, {STORE_ERROR, 500},
    };
    for (size_t i = 0; i < sizeof via_svc / sizeof via_svc[0]; i++) {
        struct http_resp r = {0};
        http_resp_svc_error(&r, svc_from_store(via_svc[i].st), "incident");
        assert_int_equal(r.status, via_svc[i].status);
        reset(&r);
    }
    assert_int_equal(svc_from_store(STORE_OK), SVC_OK);
    for (int s = SVC_OK; s <= SVC_INTERNAL; s++)
        assert_true(strlen(svc_status_text((enum svc_status)s)) > 0);
}

static void test_headers_replace_and_bound(void **state)
{
    (void)state;
    struct http_resp r = {0};
    http_resp_header(&r, "ETag", "\"1\"");
    http_resp_header(&r, "etag", "\"2\"");
    assert_int_equal(r.nheaders, 1);
    assert_string_equal(r.headers[0][1], "\"2\"");
    char name[16];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof name, "X-H%d", i);
        http_resp_header(&r, name, "v");
    }
    assert_int_equal(r.nheaders, 8);
    /* replacing the body drops the earlier one (no leak under ASan) */
    http_resp_json(&r, 200, json_object());
    http_resp_error(&r, 400, "bad_request", "x");
    check_error_shape(&r, 400, "bad_request");
    reset(&r);
}

static struct http_req json_req(const char *ctype, const char *body)
{
    struct http_req q = {0};
    q.method = "POST";
    q.path = "/x";
    q.content_type = ctype;
    q.body = body;
    q.body_len = body ? strlen(body) : 0;
    return q;
}

static void test_req_json(void **state)
{
    (void)state;
    struct http_resp r = {0};
    struct http_req q = json_req("application/json", "{\"a\":[1,2]}");
    json_t *doc = http_req_json(&q, &r);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "a")), 2);
    json_decref(doc);
    assert_int_equal(r.status, 0);

    q = json_req("Application/JSON; charset=utf-8", "[]");
    doc = http_req_json(&q, &r);
    assert_non_null(doc);
    json_decref(doc);

    static const char *const bad_types[] = {NULL, "text/plain", "application/jsonx",
                                            "application/x-www-form-urlencoded"};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        q = json_req(bad_types[i], "{}");
        assert_null(http_req_json(&q, &r));
        check_error_shape(&r, 415, "unsupported_media_type");
        reset(&r);
    }

    q = json_req("application/json", NULL);
    assert_null(http_req_json(&q, &r));
    check_error_shape(&r, 400, "bad_request");
    reset(&r);

    q = json_req("application/json", "{\"a\":1,\"a\":2}");
    assert_null(http_req_json(&q, &r));
    json_t *d = check_error_shape(&r, 400, "bad_request");
    assert_int_equal(json_array_size(d), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "code")),
                        "invalid_json");
    reset(&r);

    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 99);
    deep[199] = '\0';
    q = json_req("application/json", deep);
    assert_null(http_req_json(&q, &r));
    d = check_error_shape(&r, 400, "bad_request");
    assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "code")),
                        "too_deep");
    reset(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_codes),
        cmocka_unit_test(test_problems_become_details),
        cmocka_unit_test(test_svc_errors),
        cmocka_unit_test(test_headers_replace_and_bound),
        cmocka_unit_test(test_req_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
