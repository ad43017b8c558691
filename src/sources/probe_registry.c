/* Registry probe (OCI distribution): GET <target>/v2/.
 *  - 200, or 401 with a WWW-Authenticate challenge, is healthy when no
 *    credential is configured (the registry is up and speaks the protocol);
 *  - with a credential: a Bearer challenge is followed by the token exchange
 *    (GET realm?service=..&scope=.. with basic auth -> {"token"|"access_token"})
 *    and /v2/ again with the token; a Basic challenge by /v2/ with basic auth.
 *    Healthy when that ends in 200; a refused exchange or a 401/403 with the
 *    credential is "auth refused".
 *  - unreachable, 5xx, or a 401 without a challenge is a failure.
 * Failing -> release_configuration.registry_auth_or_mirror_failure.
 * Options: "credential":{"username":"robot","secret_ref":{"env":"IF_SRE_SECRET_REGISTRY_PASSWORD"}}
 *   (without username the secret is "user:password"), "scope":"repository:x/y:pull",
 *   "ca_file", "insecure". The secret is read at every check (rotation works) and
 *   never logged nor put in evidence. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jsonin.h"
#include "core/secret_ref.h"
#include "net/client.h"
#include "sources/probe.h"
#include "sources/srcconf.h"

struct registry_opts {
    json_t *credential; /* NULL when anonymous */
    char *file_roots;   /* where a secret_ref file may lie; NULL: anywhere */
    char scope[256];
    char ca_file[256];
    int insecure;
};

static void registry_free(void *opts)
{
    struct registry_opts *o = opts;
    if (!o)
        return;
    json_decref(o->credential);
    free(o->file_roots);
    free(o);
}

static int registry_prepare(struct probe *p, const json_t *cfg, void **opts, char *err,
                            size_t errlen)
{
    if (strncmp(p->target, "http://", 7) != 0 && strncmp(p->target, "https://", 8) != 0) {
        snprintf(err, errlen, "target: expected the registry URL (https://...)");
        return -1;
    }
    struct registry_opts *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_t *cred = json_object_get(cfg, "credential");
    if (cred) {
        if (!json_is_object(cred) || !json_object_get(cred, "secret_ref")) {
            registry_free(o);
            snprintf(err, errlen, "credential: expected {\"username\"?, \"secret_ref\":{...}}");
            return -1;
        }
        o->credential = json_deep_copy(cred);
        const char *roots = json_string_value(json_object_get(cfg, "file_roots"));
        if (roots && !(o->file_roots = strdup(roots))) {
            registry_free(o);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    snprintf(o->scope, sizeof o->scope, "%s", srcconf_str(cfg, "scope", ""));
    snprintf(o->ca_file, sizeof o->ca_file, "%s", srcconf_str(cfg, "ca_file", ""));
    o->insecure = json_is_true(json_object_get(cfg, "insecure"));
    *opts = o;
    return 0;
}

struct creds {
    char user[256];
    char pass[1024];
};

static int load_creds(const struct registry_opts *o, struct creds *c, char *err, size_t errlen)
{
    char secret[1024];
    if (secret_ref_resolve(o->credential, o->file_roots, secret, sizeof secret, err, errlen) != 0)
        return -1;
    const char *user = json_string_value(json_object_get(o->credential, "username"));
    int rc = 0;
    if (user) {
        snprintf(c->user, sizeof c->user, "%s", user);
        snprintf(c->pass, sizeof c->pass, "%s", secret);
    } else {
        const char *colon = strchr(secret, ':');
        if (!colon || colon == secret) {
            snprintf(err, errlen, "credential: without username the secret must be user:password");
            rc = -1;
        } else {
            snprintf(c->user, sizeof c->user, "%.*s", (int)(colon - secret), secret);
            snprintf(c->pass, sizeof c->pass, "%s", colon + 1);
        }
    }
    memset(secret, 0, sizeof secret);
    return rc;
}

static void base_call(const struct probe *p, const struct registry_opts *o, struct net_request *c,
                      const char *url)
{
    memset(c, 0, sizeof *c);
    c->url = url;
    c->timeout_ms = p->timeout_ms;
    c->tls.ca_file = o->ca_file[0] ? o->ca_file : NULL;
    c->tls.insecure = o->insecure;
}

/* Bearer token exchange. Returns 0 with the token in out, -1 with detail. */
static int exchange_token(const struct probe *p, const struct registry_opts *o,
                          const struct auth_challenge *ch, const struct creds *cr, char *out,
                          size_t outlen, struct probe_result *r)
{
    if (!ch->realm[0] || (strncmp(ch->realm, "http://", 7) && strncmp(ch->realm, "https://", 8))) {
        snprintf(r->detail, sizeof r->detail, "Bearer challenge without a usable realm");
        return -1;
    }
    char url[1400];
    const char *scope = o->scope[0] ? o->scope : ch->scope;
    char *es = curl_easy_escape(NULL, ch->service, 0);
    char *esc = curl_easy_escape(NULL, scope, 0);
    snprintf(url, sizeof url, "%s%sservice=%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?",
             es ? es : "", scope[0] ? "&scope=" : "", scope[0] && esc ? esc : "");
    curl_free(es);
    curl_free(esc);
    json_object_set_new(r->data, "token_realm", json_string(ch->realm));

    struct net_request c;
    base_call(p, o, &c, url);
    c.basic_user = cr->user;
    c.basic_pass = cr->pass;
    struct net_response a;
    char err[256] = "";
    if (net_request(p->deps->net, &c, &a, err, sizeof err) != 0) {
        snprintf(r->detail, sizeof r->detail, "token endpoint unreachable: %s", err);
        return -1;
    }
    int rc = -1;
    json_object_set_new(r->data, "token_status", json_integer(a.status));
    if (a.status == 401 || a.status == 403) {
        snprintf(r->detail, sizeof r->detail, "auth refused: token endpoint answered %ld",
                 a.status);
    } else if (a.status != 200) {
        snprintf(r->detail, sizeof r->detail, "token endpoint answered %ld", a.status);
    } else {
        struct problems *pr = problems_create();
        json_t *doc = pr ? jsonin_parse(a.body ? a.body : "", a.body_len, 64 * 1024, 8, pr) : NULL;
        problems_destroy(pr);
        const char *tok = json_string_value(json_object_get(doc, "token"));
        if (!tok)
            tok = json_string_value(json_object_get(doc, "access_token"));
        if (!tok || !tok[0] || strlen(tok) >= outlen) {
            snprintf(r->detail, sizeof r->detail, "token endpoint gave no usable token");
        } else {
            snprintf(out, outlen, "%s", tok);
            rc = 0;
        }
        json_decref(doc);
    }
    if (a.body)
        memset(a.body, 0, a.body_len); /* held a token */
    net_response_free(&a);
    return rc;
}

static void registry_check(struct probe *p, struct probe_result *r, int64_t now_ms,
                           const struct finding_sink *sink)
{
    (void)now_ms;
    (void)sink;
    const struct registry_opts *o = p->opts;
    char url[700];
    size_t n = strlen(p->target);
    while (n > 0 && p->target[n - 1] == '/')
        n--;
    snprintf(url, sizeof url, "%.*s/v2/", (int)n, p->target);

    struct net_request c;
    base_call(p, o, &c, url);
    struct net_response a;
    char err[256] = "";
    if (net_request(p->deps->net, &c, &a, err, sizeof err) != 0) {
        snprintf(r->detail, sizeof r->detail, "registry unreachable: %s", err);
        return;
    }
    json_object_set_new(r->data, "status", json_integer(a.status));
    json_object_set_new(r->data, "latency_ms", json_real(a.total_ms));
    long status = a.status;
    struct auth_challenge ch;
    int have_ch = a.www_authenticate[0] && net_parse_challenge(a.www_authenticate, &ch) == 0;
    net_response_free(&a);

    if (status == 200) {
        r->ok = 1;
        snprintf(r->detail, sizeof r->detail, "/v2/ answered 200");
        return;
    }
    if (status != 401) {
        snprintf(r->detail, sizeof r->detail, "/v2/ answered %ld", status);
        return;
    }
    if (!have_ch) {
        snprintf(r->detail, sizeof r->detail, "/v2/ answered 401 without a challenge");
        return;
    }
    json_object_set_new(r->data, "challenge", json_string(ch.scheme));
    if (!o->credential) {
        r->ok = 1;
        snprintf(r->detail, sizeof r->detail, "/v2/ answered 401 with a %s challenge", ch.scheme);
        return;
    }

    struct creds cr;
    if (load_creds(o, &cr, r->detail, sizeof r->detail) != 0) {
        r->cycle_error = 1;
        return;
    }
    char token[4096];
    base_call(p, o, &c, url);
    if (strcasecmp(ch.scheme, "Bearer") == 0) {
        if (exchange_token(p, o, &ch, &cr, token, sizeof token, r) != 0)
            goto out;
        c.bearer = token;
    } else if (strcasecmp(ch.scheme, "Basic") == 0) {
        c.basic_user = cr.user;
        c.basic_pass = cr.pass;
    } else {
        snprintf(r->detail, sizeof r->detail, "unsupported challenge scheme %s", ch.scheme);
        goto out;
    }
    if (net_request(p->deps->net, &c, &a, err, sizeof err) != 0) {
        snprintf(r->detail, sizeof r->detail, "registry unreachable: %s", err);
        goto out;
    }
    json_object_set_new(r->data, "authenticated_status", json_integer(a.status));
    if (a.status == 200) {
        r->ok = 1;
        snprintf(r->detail, sizeof r->detail, "authenticated /v2/ answered 200");
    } else if (a.status == 401 || a.status == 403) {
        snprintf(r->detail, sizeof r->detail, "auth refused: authenticated /v2/ answered %ld",
                 a.status);
    } else {
        snprintf(r->detail, sizeof r->detail, "authenticated /v2/ answered %ld", a.status);
    }
    net_response_free(&a);
out:
    memset(&cr, 0, sizeof cr);
    memset(token, 0, sizeof token);
}

static const struct probe_kind registry_kind = {
    .kind = "registry",
    .default_class = "release_configuration.registry_auth_or_mirror_failure",
    .prepare = registry_prepare,
    .check = registry_check,
    .free_opts = registry_free,
};

PROBE_SOURCE_OPS(source_probe_registry, registry_kind, "registry",
                 "OCI registry /v2/ reachability and optional token exchange");
