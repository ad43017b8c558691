/* OIDC probe: the identity provider's discovery document
 * <issuer>/.well-known/openid-configuration answers 200 with a JSON object whose
 * "issuer" equals the configured issuer (trailing slash ignored) and which names
 * "jwks_uri" and "authorization_endpoint"; with check_jwks (default true) the
 * JWKS document must answer 200 with a non-empty "keys" array.
 * Failing -> identity_security.identity_provider_unreachable.
 * Options: "ca_file", "insecure", "check_jwks". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonin.h"
#include "net/client.h"
#include "sources/probe.h"
#include "sources/srcconf.h"

#define OIDC_MAX_DOC (256 * 1024)

struct oidc_opts {
    char ca_file[256];
    int insecure;
    int check_jwks;
};

static int oidc_prepare(struct probe *p, const json_t *cfg, void **opts, char *err,
                        size_t errlen)
{
    if (strncmp(p->target, "http://", 7) != 0 && strncmp(p->target, "https://", 8) != 0) {
        snprintf(err, errlen, "target: expected the issuer URL (https://...)");
        return -1;
    }
    struct oidc_opts *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(o->ca_file, sizeof o->ca_file, "%s", srcconf_str(cfg, "ca_file", ""));
    o->insecure = json_is_true(json_object_get(cfg, "insecure"));
    json_t *cj = json_object_get(cfg, "check_jwks");
    o->check_jwks = cj ? json_is_true(cj) : 1;
    *opts = o;
    return 0;
}

static size_t trimmed_len(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        n--;
    return n;
}

/* GET url and parse a bounded JSON object. Returns the object or NULL with detail set. */
static json_t *get_json(const struct probe *p, const struct oidc_opts *o, const char *url,
                        const char *what, struct probe_result *r)
{
    struct net_request c = {.url = url,
                          .timeout_ms = p->timeout_ms,
                          .tls.ca_file = o->ca_file[0] ? o->ca_file : NULL,
                          .tls.insecure = o->insecure,
                          .max_body = OIDC_MAX_DOC};
    struct net_response a;
    char err[256] = "";
    if (net_request(p->deps->net, &c, &a, err, sizeof err) != 0) {
        snprintf(r->detail, sizeof r->detail, "%s unreachable: %s", what, err);
        return NULL;
    }
    json_object_set_new(r->data, "latency_ms", json_real(a.total_ms));
    json_t *doc = NULL;
    if (a.status != 200) {
        snprintf(r->detail, sizeof r->detail, "%s answered status %ld", what, a.status);
    } else if (a.truncated) {
        snprintf(r->detail, sizeof r->detail, "%s larger than %d bytes", what, OIDC_MAX_DOC);
    } else {
        struct problems *pr = problems_create();
        doc = pr ? jsonin_parse(a.body ? a.body : "", a.body_len, OIDC_MAX_DOC, 16, pr) : NULL;
        if (!doc || !json_is_object(doc)) {
            int any = pr && pr->count;
            snprintf(r->detail, sizeof r->detail, "%s is not a JSON object%s%s", what,
                     any ? ": " : "", any ? pr->items[0].message : "");
            json_decref(doc);
            doc = NULL;
        }
        problems_destroy(pr);
    }
    net_response_free(&a);
    return doc;
}

static void oidc_check(struct probe *p, struct probe_result *r, int64_t now_ms,
                       const struct finding_sink *sink)
{
    (void)now_ms;
    (void)sink;
    const struct oidc_opts *o = p->opts;
    char url[700];
    size_t n = trimmed_len(p->target);
    snprintf(url, sizeof url, "%.*s/.well-known/openid-configuration", (int)n, p->target);
    json_object_set_new(r->data, "discovery_url", json_string(url));
    json_t *doc = get_json(p, o, url, "discovery document", r);
    if (!doc)
        return;
    const char *issuer = json_string_value(json_object_get(doc, "issuer"));
    const char *jwks = json_string_value(json_object_get(doc, "jwks_uri"));
    const char *authz = json_string_value(json_object_get(doc, "authorization_endpoint"));
    if (!issuer || trimmed_len(issuer) != n || strncmp(issuer, p->target, n) != 0) {
        snprintf(r->detail, sizeof r->detail, "discovery issuer \"%.200s\" does not match",
                 issuer ? issuer : "(missing)");
        goto out;
    }
    if (!jwks || !authz) {
        snprintf(r->detail, sizeof r->detail, "discovery document lacks %s",
                 !jwks ? "jwks_uri" : "authorization_endpoint");
        goto out;
    }
    json_object_set_new(r->data, "jwks_uri", json_string(jwks));
    if (o->check_jwks) {
        json_t *keys_doc = get_json(p, o, jwks, "JWKS", r);
        if (!keys_doc)
            goto out;
        json_t *keys = json_object_get(keys_doc, "keys");
        size_t nk = json_is_array(keys) ? json_array_size(keys) : 0;
        json_decref(keys_doc);
        json_object_set_new(r->data, "jwks_keys", json_integer((json_int_t)nk));
        if (nk == 0) {
            snprintf(r->detail, sizeof r->detail, "JWKS has no keys");
            goto out;
        }
    }
    r->ok = 1;
    snprintf(r->detail, sizeof r->detail, "discovery document valid");
out:
    json_decref(doc);
}

static const struct probe_kind oidc_kind = {
    .kind = "oidc",
    .default_class = "identity_security.identity_provider_unreachable",
    .prepare = oidc_prepare,
    .check = oidc_check,
    .free_opts = free,
};

PROBE_SOURCE_OPS(source_probe_oidc, oidc_kind, "oidc", "OIDC discovery document and JWKS");
