/* Router: pattern matching, specificity, 404 vs 405, pattern validation, and a
 * check of the real route table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "api/routes.h"
#include "http/router.h"

static void h(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    (void)resp;
    (void)app;
}

static const struct http_route table[] = {
    {"GET", "/api/v1/incidents", ROLES_VIEWER, h, "list", 0},
    {"GET", "/api/v1/incidents/{id}", ROLES_VIEWER, h, "one", 0},
    {"GET", "/api/v1/incidents/counts", ROLES_VIEWER, h, "counts", 0},
    {"POST", "/api/v1/incidents/{id}/transitions", ROLES_OPERATOR, h, "transition", 0},
    {"PUT", "/api/v1/policy", ROLES_ADMIN, h, "put policy", 0},
    {"GET", "/api/v1/policy", ROLES_VIEWER, h, "get policy", 0},
    {"GET", "/api/v1/policy/versions/{n}", ROLES_VIEWER, h, "version", 0},
    {"GET", "/", ROLES_PUBLIC, h, "index", 0},
    {"GET", "/{file*}", ROLES_PUBLIC, h, "assets", 0},
    {NULL, NULL, 0, NULL, NULL, 0},
};

static void test_match_table(void **state)
{
    (void)state;
    static const struct {
        const char *method, *path;
        enum router_result want;
        const char *summary; /* route chosen when found */
        const char *param, *value;
        const char *allow;   /* when NO_METHOD */
    } cases[] = {
        {"GET", "/api/v1/incidents", ROUTER_FOUND, "list", NULL, NULL, NULL},
        {"GET", "/api/v1/incidents/12", ROUTER_FOUND, "one", "id", "12", NULL},
        {"GET", "/api/v1/incidents/counts", ROUTER_FOUND, "counts", NULL, NULL, NULL},
        {"HEAD", "/api/v1/incidents/7", ROUTER_FOUND, "one", "id", "7", NULL},
        {"POST", "/api/v1/incidents/9/transitions", ROUTER_FOUND, "transition", "id", "9", NULL},
        {"GET", "/api/v1/incidents/9/transitions", ROUTER_NO_METHOD, NULL, NULL, NULL, "POST"},
        {"DELETE", "/api/v1/policy", ROUTER_NO_METHOD, NULL, NULL, NULL, "PUT, GET"},
        {"GET", "/api/v1/policy/versions/3", ROUTER_FOUND, "version", "n", "3", NULL},
        {"GET", "/", ROUTER_FOUND, "index", NULL, NULL, NULL},
        {"GET", "/app.js", ROUTER_FOUND, "assets", "file", "app.js", NULL},
        {"GET", "/vendor/preact.mjs", ROUTER_FOUND, "assets", "file", "vendor/preact.mjs", NULL},
        /* unknown API path under GET: the catch-all takes it (it answers 404 itself) */
        {"GET", "/api/v1/nope", ROUTER_FOUND, "assets", "file", "api/v1/nope", NULL},
        /* the catch-all never turns a foreign method into 405 */
        {"POST", "/api/v1/nope", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"POST", "/", ROUTER_NO_METHOD, NULL, NULL, NULL, "GET"},
        /* empty segments and trailing slashes do not match parameters */
        {"POST", "/api/v1/incidents//transitions", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"PUT", "/api/v1/policy/", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"PUT", "/api/v1/policy/x", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
        {"PUT", "api/v1/policy", ROUTER_NOT_FOUND, NULL, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct route_match m;
        char allow[64] = "x";
        enum router_result r =
            router_find(table, cases[i].method, cases[i].path, &m, allow, sizeof allow);
        if (r != cases[i].want)
            fail_msg("case %zu %s %s: got %d want %d", i, cases[i].method, cases[i].path, r,
                     cases[i].want);
        if (r == ROUTER_FOUND) {
            assert_string_equal(m.route->summary, cases[i].summary);
            if (cases[i].param) {
                assert_int_equal(m.nparams, 1);
                assert_string_equal(m.names[0], cases[i].param);
                assert_string_equal(m.values[0], cases[i].value);
            } else {
                assert_int_equal(m.nparams, 0);
            }
        } else if (r == ROUTER_NO_METHOD) {
            assert_string_equal(allow, cases[i].allow);
        }
    }
}

static void test_specificity_ignores_order(void **state)
{
    (void)state;
    /* The parameter row first: the literal still wins. */
    static const struct http_route t[] = {
        {"GET", "/a/{x}/c", 0, h, "param", 0},
        {"GET", "/a/b/{y}", 0, h, "literal-first", 0},
        {"GET", "/{rest*}", 0, h, "rest", 0},
        {NULL, NULL, 0, NULL, NULL, 0},
    };
    struct route_match m;
    assert_int_equal(router_find(t, "GET", "/a/b/c", &m, NULL, 0), ROUTER_FOUND);
    assert_string_equal(m.route->summary, "literal-first");
    assert_string_equal(m.values[0], "c");
    assert_int_equal(router_find(t, "GET", "/a/z/c", &m, NULL, 0), ROUTER_FOUND);
    assert_string_equal(m.route->summary, "param");
    assert_int_equal(router_find(t, "GET", "/a/z/d", &m, NULL, 0), ROUTER_FOUND);
    assert_string_equal(m.route->summary, "rest");
    assert_string_equal(m.values[0], "a/z/d");
}

static void test_multiple_params_and_limits(void **state)
{
    (void)state;
    struct route_match m;
    assert_true(router_match_pattern("/x/{a}/y/{b}", "/x/1/y/two", &m) > 0);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(m.names[1], "b");
    assert_string_equal(m.values[1], "two");
    /* a segment longer than the value buffer never matches (no truncation) */
    char path[1200] = "/x/";
    memset(path + 3, 'a', 1000);
    path[1003] = '\0';
    assert_int_equal(router_match_pattern("/x/{a}", path, &m), 0);
    assert_int_equal(router_match_pattern("/", "/", &m), 1);
    assert_int_equal(router_match_pattern("/", "/a", &m), 0);
    assert_int_equal(router_match_pattern("/a", "/", &m), 0);
    assert_int_equal(router_match_pattern("/{r*}", "/", &m), 0);
}

static void test_pattern_valid(void **state)
{
    (void)state;
    assert_true(router_pattern_valid("/"));
    assert_true(router_pattern_valid("/api/v1/incidents/{id}/timeline"));
    assert_true(router_pattern_valid("/{file*}"));
    assert_false(router_pattern_valid(""));
    assert_false(router_pattern_valid("api"));
    assert_false(router_pattern_valid("/a//b"));
    assert_false(router_pattern_valid("/a/"));
    assert_false(router_pattern_valid("/{}"));
    assert_false(router_pattern_valid("/{a-b}"));
    assert_false(router_pattern_valid("/x{a}"));
    assert_false(router_pattern_valid("/{rest*}/more"));
    assert_false(router_pattern_valid("/{a}/{b}/{c}/{d}/{e}"));
}

/* The real table: every pattern valid, no duplicate (method, pattern), every
 * /api/v1 row needs a role, and every row has a handler and a summary. */
static void test_api_routes_table(void **state)
{
    (void)state;
    size_t n = 0;
    for (const struct http_route *r = api_routes; r->method; r++, n++) {
        if (!router_pattern_valid(r->pattern))
            fail_msg("bad pattern %s", r->pattern);
        assert_non_null(r->handler);
        assert_non_null(r->summary);
        if (strncmp(r->pattern, "/api/v1/", 8) == 0 && r->roles == ROLES_PUBLIC)
            fail_msg("%s %s: /api/v1 routes must name their roles", r->method, r->pattern);
        for (const struct http_route *q = api_routes; q != r; q++)
            if (strcmp(q->method, r->method) == 0 && strcmp(q->pattern, r->pattern) == 0)
                fail_msg("duplicate route %s %s", r->method, r->pattern);
    }
    assert_true(n >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_specificity_ignores_order),
        cmocka_unit_test(test_multiple_params_and_limits),
        cmocka_unit_test(test_pattern_valid),
        cmocka_unit_test(test_api_routes_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
