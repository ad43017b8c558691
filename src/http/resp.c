/* Response helpers: the one error shape and the service-status mapping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/http.h"

static void resp_clear_body(struct http_resp *resp)
{
    json_decref(resp->json);
    resp->json = NULL;
    free(resp->raw);
    resp->raw = NULL;
    resp->raw_len = 0;
    resp->static_body = NULL;
    resp->static_len = 0;
}

void http_resp_json(struct http_resp *resp, int status, json_t *body)
{
    resp_clear_body(resp);
    resp->status = status;
    resp->json = body;
    resp->content_type = NULL;
}

void http_resp_header(struct http_resp *resp, const char *name, const char *value)
{
    size_t i;
    for (i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i][0], name) == 0)
            break;
    if (i == sizeof resp->headers / sizeof resp->headers[0])
        return; /* full: a programming error, caught by tests rather than by a crash */
    snprintf(resp->headers[i][0], sizeof resp->headers[i][0], "%s", name);
    snprintf(resp->headers[i][1], sizeof resp->headers[i][1], "%s", value);
    if (i == resp->nheaders)
        resp->nheaders++;
}

static void error_body(struct http_resp *resp, int status, const char *code, const char *message,
                       json_t *details /* stolen */)
{
    json_t *body = json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message", message,
                             "details", details ? details : json_array());
    http_resp_json(resp, status, body);
}

void http_resp_error(struct http_resp *resp, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    error_body(resp, status, code, msg, NULL);
}

void http_resp_problems(struct http_resp *resp, int status, const char *code,
                        const struct problems *p, const char *message)
{
    error_body(resp, status ? status : 422, code ? code : "validation_failed",
               message ? message : "the request has problems; see details", problems_to_json(p));
}

void http_resp_svc_error(struct http_resp *resp, enum svc_status st, const char *what)
{
    if (!what)
        what = "request";
    switch (st) {
    case SVC_BUSY:
        http_resp_error(resp, 503, "unavailable", "%s: busy, retry shortly", what);
        http_resp_header(resp, "Retry-After", "1");
        break;
    case SVC_UNAVAILABLE:
        http_resp_error(resp, 503, "unavailable", "%s: not available now, retry shortly", what);
        http_resp_header(resp, "Retry-After", "1");
        break;
    case SVC_NOT_FOUND:
        http_resp_error(resp, 404, "not_found", "%s: not found", what);
        break;
    case SVC_CONFLICT:
        http_resp_error(resp, 409, "conflict", "%s: conflicts with the current state", what);
        break;
    case SVC_INVALID:
        http_resp_error(resp, 422, "validation_failed", "%s: refused by a domain rule", what);
        break;
    case SVC_DENIED:
        http_resp_error(resp, 403, "forbidden", "%s: not allowed", what);
        break;
    case SVC_EXPIRED:
        http_resp_error(resp, 410, "expired", "%s: has expired", what);
        break;
    case SVC_OK:
    case SVC_INTERNAL:
    default:
        /* The backend's error text stays in the log; it may name files and tables. */
        http_resp_error(resp, 500, "internal", "%s: internal error", what);
        break;
    }
}
