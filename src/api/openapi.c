/* GET /api/v1/openapi.json: the OpenAPI 3.0 description generated from the one
 * route table, so it cannot drift from what the server routes: every path and
 * method with its summary, path parameters, the roles allowed (x-roles) and the
 * shared error shape. Request and response bodies are described in docs/. */
#include <string.h>

#include "api/ops.h"
#include "api/routes.h"

static json_t *roles_json(unsigned roles)
{
    static const enum role all[] = {ROLE_INGEST, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN};
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (roles & (unsigned)all[i])
            json_array_append_new(a, json_string(role_name(all[i])));
    return a;
}

/* "/x/{id}/y" -> [{"name":"id","in":"path",...}] */
static json_t *path_params(const char *pattern)
{
    json_t *a = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        json_array_append_new(
            a, json_pack("{s:s#, s:s, s:b, s:{s:s}}", "name", p + 1, (int)(e - p - 1), "in",
                         "path", "required", 1, "schema", "type", "string"));
    }
    return a;
}

static json_t *operation(const struct http_route *r)
{
    json_t *op = json_pack("{s:s, s:o, s:o}", "summary", r->summary ? r->summary : "",
                           "x-roles", roles_json(r->roles), "parameters", path_params(r->pattern));
    /* signed rows: no bearer token; the provider's signature (x-auth) */
    json_object_set_new(op, "security",
                        r->roles == ROLES_PUBLIC || r->roles == ROLES_SIGNED
                            ? json_array()
                            : json_pack("[{s:[]}]", "bearer"));
    if (r->roles == ROLES_SIGNED)
        json_object_set_new(op, "x-auth", json_string("signature"));
    json_object_set_new(
        op, "responses",
        json_pack("{s:{s:s}, s:{s:s, s:{s:{s:{s:s}}}}}", "200", "description", "success",
                  "default", "description", "an error (docs/http.md)", "content",
                  "application/json", "schema", "$ref", "#/components/schemas/Error"));
    return op;
}

static json_t *error_schema(void)
{
    return json_pack(
        "{s:s, s:[s], s:{s:{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s, s:{s:s, s:{s:{s:s}, "
        "s:{s:s}, s:{s:s}}}}}}}}",
        "type", "object", "required", "error", "properties", "error", "type", "object",
        "required", "code", "message", "details", "properties", "code", "type", "string",
        "message", "type", "string", "details", "type", "array", "items", "type", "object",
        "properties", "path", "type", "string", "reason", "type", "string", "code", "type",
        "string");
}

json_t *openapi_document(const struct http_route *routes)
{
    json_t *paths = json_object();
    for (const struct http_route *r = routes; r->method; r++) {
        if (strchr(r->pattern, '*'))
            continue; /* catch-alls (console files) are not API */
        json_t *item = json_object_get(paths, r->pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, r->pattern, item);
        }
        char method[16];
        size_t i = 0;
        for (; i < sizeof method - 1 && r->method[i]; i++)
            method[i] = (char)(r->method[i] >= 'A' && r->method[i] <= 'Z' ? r->method[i] + 32
                                                                          : r->method[i]);
        method[i] = '\0';
        json_object_set_new(item, method, operation(r));
    }
    return json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s}}, s:{s:o}}}", "openapi",
                     "3.0.3", "info", "title", "SRE Smart Bot API", "version", SREBOT_VERSION,
                     "description", "Conventions (auth, errors, pagination): docs/http.md",
                     "paths", paths, "components", "securitySchemes", "bearer", "type", "http",
                     "scheme", "bearer", "schemas", "Error", error_schema());
}

void ops_openapi(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    (void)app;
    json_t *doc = openapi_document(api_routes);
    if (!doc) {
        http_resp_error(resp, 500, "internal", "cannot build the OpenAPI document");
        return;
    }
    http_resp_json(resp, 200, doc);
}
