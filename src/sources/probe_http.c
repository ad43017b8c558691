/* HTTP(S) probe: GET the target URL within the timeout; healthy when the status
 * is the expected one (default: any 2xx or 3xx; redirects are not followed) and, when
 * body_match is set, the first 64 KiB of the body contain that text.
 * Options: "expect_status":200, "body_match":"ok", "ca_file":"/etc/ssl/my-ca.pem",
 *          "insecure":false (skip certificate verification). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/client.h"
#include "sources/probe.h"
#include "sources/srcconf.h"

struct http_opts {
    long expect_status; /* 0 = any 2xx or 3xx */
    char body_match[256];
    char ca_file[256];
    int insecure;
};

static int http_prepare(struct probe *p, const json_t *cfg, void **opts, char *err, size_t errlen)
{
    if (strncmp(p->target, "http://", 7) != 0 && strncmp(p->target, "https://", 8) != 0) {
        snprintf(err, errlen, "target: expected an http:// or https:// URL");
        return -1;
    }
    struct http_opts *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    o->expect_status = (long)srcconf_num(cfg, "expect_status", 0, 100, 599);
    snprintf(o->body_match, sizeof o->body_match, "%s", srcconf_str(cfg, "body_match", ""));
    snprintf(o->ca_file, sizeof o->ca_file, "%s", srcconf_str(cfg, "ca_file", ""));
    o->insecure = json_is_true(json_object_get(cfg, "insecure"));
    *opts = o;
    return 0;
}

static void http_check(struct probe *p, struct probe_result *r, int64_t now_ms,
                       const struct finding_sink *sink)
{
    (void)now_ms;
    (void)sink;
    const struct http_opts *o = p->opts;
    struct net_request c = {.url = p->target,
                          .timeout_ms = p->timeout_ms,
                          .tls.ca_file = o->ca_file[0] ? o->ca_file : NULL,
                          .tls.insecure = o->insecure};
    struct net_response a;
    char err[256] = "";
    if (net_request(p->deps->net, &c, &a, err, sizeof err) != 0) {
        json_object_set_new(r->data, "latency_ms", json_real(a.total_ms));
        snprintf(r->detail, sizeof r->detail, "GET failed: %s", err);
        return;
    }
    json_object_set_new(r->data, "latency_ms", json_real(a.total_ms));
    json_object_set_new(r->data, "status", json_integer(a.status));
    int status_ok = o->expect_status ? a.status == o->expect_status
                                     : a.status >= 200 && a.status < 400;
    if (!status_ok) {
        if (o->expect_status)
            snprintf(r->detail, sizeof r->detail, "status %ld, expected %ld", a.status,
                     o->expect_status);
        else
            snprintf(r->detail, sizeof r->detail, "status %ld", a.status);
    } else if (o->body_match[0] && (!a.body || !memmem(a.body, a.body_len, o->body_match, strlen(o->body_match)))) {
        json_object_set_new(r->data, "body_match", json_string(o->body_match));
        snprintf(r->detail, sizeof r->detail, "status %ld but the body does not contain \"%s\"",
                 a.status, o->body_match);
    } else {
        r->ok = 1;
        snprintf(r->detail, sizeof r->detail, "status %ld in %.1f ms", a.status, a.total_ms);
    }
    net_response_free(&a);
}

static const struct probe_kind http_kind = {
    .kind = "http",
    .default_class = "runtime_services.runtime_dependency_outage",
    .prepare = http_prepare,
    .check = http_check,
    .free_opts = free,
};

PROBE_SOURCE_OPS(source_probe_http, http_kind, "http", "HTTP(S) GET with expected status and body");
