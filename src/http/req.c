/* Request accessors and the JSON body parser shared by every handler. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "core/jsonin.h"
#include "http/http.h"

const char *http_req_param(const struct http_req *r, const char *name)
{
    for (size_t i = 0; i < r->nparams; i++)
        if (strcmp(r->param_names[i], name) == 0)
            return r->param_values[i];
    return NULL;
}

const char *http_req_header(const struct http_req *r, const char *name)
{
    if (!r->conn_)
        return NULL;
    return MHD_lookup_connection_value(r->conn_, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *r, const char *name)
{
    if (!r->conn_)
        return NULL;
    return MHD_lookup_connection_value(r->conn_, MHD_GET_ARGUMENT_KIND, name);
}

/* "application/json" with optional parameters ("; charset=utf-8"), any case. */
static int is_json_media_type(const char *ct)
{
    static const char json[] = "application/json";
    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, json, sizeof json - 1) != 0)
        return 0;
    char next = ct[sizeof json - 1];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

json_t *http_req_json(const struct http_req *r, struct http_resp *resp)
{
    if (!is_json_media_type(r->content_type)) {
        http_resp_error(resp, 415, "unsupported_media_type",
                        "the body must be sent as Content-Type: application/json");
        return NULL;
    }
    if (!r->body || r->body_len == 0) {
        http_resp_error(resp, 400, "bad_request", "a JSON body is required");
        return NULL;
    }
    struct problems *p = problems_create();
    if (!p) {
        http_resp_error(resp, 500, "internal", "out of memory");
        return NULL;
    }
    /* The server already bounded the body by max_body_bytes; this bound only
     * protects callers that build requests by hand (the fuzz target, tests). */
    json_t *doc = jsonin_parse(r->body, r->body_len, r->body_len, JSONIN_DEFAULT_DEPTH, p);
    if (!doc) {
        int too_large = p->count && strcmp(p->items[0].code, "too_large") == 0;
        http_resp_problems(resp, too_large ? 413 : 400,
                           too_large ? "payload_too_large" : "bad_request", p,
                           "the body is not acceptable JSON; see details");
    }
    problems_destroy(p);
    return doc;
}

json_t *http_req_json_problems(const struct http_req *r, struct http_resp *resp,
                               struct problems **problems)
{
    json_t *doc = http_req_json(r, resp);
    if (!doc)
        return NULL;
    *problems = problems_create();
    if (!*problems) {
        json_decref(doc);
        http_resp_error(resp, 500, "internal", "out of memory");
        return NULL;
    }
    return doc;
}
