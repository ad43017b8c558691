/* libFuzzer target: a JSON body as the validating handlers get it. The first
 * input byte picks the Content-Type (bits 0-1, so the 415 branch is exercised)
 * and the handler (bits 2-4): 0 is the body parser alone (http_req_json over
 * jsonin_parse: bounded size and depth, duplicate keys refused); the others are
 * the real handlers of POST /api/v1/findings, the Alertmanager receiver,
 * POST /api/v1/policy/validate and an incident's transitions and evidence, over
 * a real ledger (fuzz_app.h). Every answer is a status with a body, and every
 * refusal has the error shape. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/ledger_api.h"
#include "api/policy.h"
#include "fuzz_app.h"
#include "http/http.h"

static const struct {
    const char *path;
    http_handler handler;
    const char *id; /* the {id} path parameter, or NULL */
} targets[] = {
    {"/api/v1/fuzz", NULL, NULL},
    {"/api/v1/findings", api_findings_post, NULL},
    {"/api/v1/integrations/alertmanager", api_alertmanager_post, NULL},
    {"/api/v1/policy/validate", api_policy_validate, NULL},
    {"/api/v1/incidents/{id}/transitions", api_incident_transition, "1"},
    {"/api/v1/incidents/{id}/evidence", api_incident_evidence_post, "2"},
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static void check_error_shape(const struct http_resp *resp)
{
    json_t *e = json_object_get(resp->json, "error");
    if (resp->status < 400 || resp->status > 599 ||
        !json_is_string(json_object_get(e, "code")) ||
        !json_is_array(json_object_get(e, "details")))
        abort(); /* a refusal always has the error shape */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"application/json", "application/json; charset=utf-8",
                                        "text/plain", NULL};
    if (size == 0)
        return 0;
    size_t t = (size_t)(data[0] >> 2) % NTARGETS;
    struct app *app = targets[t].handler ? fuzz_app(0) : NULL;
    struct principal who = {.role = ROLE_ADMIN, .name = "fuzz"};
    struct http_req req = {0};
    req.method = "POST";
    req.path = targets[t].path;
    req.route_pattern = targets[t].path;
    req.who = &who;
    req.content_type = types[data[0] & 3];
    if (targets[t].id) {
        req.param_names[0] = "id";
        req.param_values[0] = targets[t].id;
        req.nparams = 1;
    }
    /* The server hands handlers a NUL-terminated copy; do the same. */
    char *body = malloc(size);
    if (!body)
        return 0;
    memcpy(body, data + 1, size - 1);
    body[size - 1] = '\0';
    req.body = size > 1 ? body : NULL;
    req.body_len = size - 1;

    struct http_resp resp = {0};
    if (targets[t].handler) {
        http_handler_run(targets[t].handler, &req, &resp, app);
        if (resp.status < 200 || resp.status > 599 || !resp.json)
            abort(); /* every handler answers with a status and a JSON body */
        if (resp.status >= 400)
            check_error_shape(&resp);
        json_decref(resp.json);
        free(body);
        return 0;
    }
    json_t *doc = http_req_json(&req, &resp);
    if (doc) {
        if (resp.status != 0 || resp.json)
            abort(); /* success leaves the response alone */
        char *text = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text)
            abort();
        free(text);
        json_decref(doc);
    } else {
        check_error_shape(&resp);
        json_decref(resp.json);
    }
    free(body);
    return 0;
}
