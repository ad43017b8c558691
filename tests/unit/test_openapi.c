/* The OpenAPI document mirrors the route table: every API row, its summary,
 * roles, path parameters and security. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/ops.h"
#include "api/routes.h"

static void test_document_mirrors_table(void **state)
{
    (void)state;
    json_t *doc = openapi_document(api_routes);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.0.3");
    json_t *paths = json_object_get(doc, "paths");
    size_t rows = 0;
    for (const struct http_route *r = api_routes; r->method; r++) {
        if (strchr(r->pattern, '*')) {
            assert_null(json_object_get(paths, r->pattern));
            continue;
        }
        rows++;
        char method[16];
        size_t i = 0;
        for (; r->method[i]; i++)
            method[i] = (char)tolower((unsigned char)r->method[i]);
        method[i] = '\0';
        json_t *op = json_object_get(json_object_get(paths, r->pattern), method);
        if (!op)
            fail_msg("%s %s missing", r->method, r->pattern);
        assert_string_equal(json_string_value(json_object_get(op, "summary")), r->summary);
        size_t braces = 0;
        for (const char *p = r->pattern; *p; p++)
            braces += *p == '{';
        json_t *params = json_object_get(op, "parameters");
        assert_int_equal(json_array_size(params), braces);
        for (i = 0; i < braces; i++) {
            char want[64];
            snprintf(want, sizeof want, "{%s}",
                     json_string_value(json_object_get(json_array_get(params, i), "name")));
            assert_non_null(strstr(r->pattern, want));
        }
        json_t *roles = json_object_get(op, "x-roles");
        unsigned mask = 0;
        for (i = 0; i < json_array_size(roles); i++)
            mask |= (unsigned)role_parse(json_string_value(json_array_get(roles, i)));
        int is_signed = r->roles == ROLES_SIGNED;
        assert_int_equal(mask, is_signed ? 0u : r->roles);
        assert_int_equal(json_array_size(json_object_get(op, "security")),
                         r->roles == ROLES_PUBLIC || is_signed ? 0 : 1);
        const char *x_auth = json_string_value(json_object_get(op, "x-auth"));
        if (is_signed)
            assert_string_equal(x_auth, "signature");
        else
            assert_null(x_auth);
    }
    assert_true(rows >= 5);
    char *text = json_dumps(doc, JSON_COMPACT);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"#/components/schemas/Error\""));
    free(text);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_document_mirrors_table)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
