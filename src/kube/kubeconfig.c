/* kubeconfig: the current context's cluster and user, read from YAML through
 * util/yaml_json.h (bounded), then looked up as JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kube/config.h"
#include "util/yaml_json.h"

/* Finds the entry named `name` in the array at doc[list] ("clusters"...);
 * its index goes to *idx for error paths. */
static json_t *named_entry(json_t *doc, const char *list, const char *name, size_t *idx)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, list), i, e) {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n && strcmp(n, name) == 0) {
            *idx = i;
            return e;
        }
    }
    return NULL;
}

/* base64 (with or without line breaks) into a NUL-terminated malloc'd buffer. */
static char *b64_decode(const char *in, size_t *outlen)
{
    size_t n = strlen(in);
    char *clean = malloc(n + 1);
    if (!clean)
        return NULL;
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (in[i] != '\n' && in[i] != '\r' && in[i] != ' ' && in[i] != '\t')
            clean[c++] = in[i];
    clean[c] = '\0';
    if (c == 0 || c % 4 != 0) {
        free(clean);
        return NULL;
    }
    unsigned char *out = malloc(c / 4 * 3 + 1);
    int m = out ? EVP_DecodeBlock(out, (const unsigned char *)clean, (int)c) : -1;
    if (m < 0) {
        free(clean);
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    if (clean[c - 1] == '=')
        m--;
    if (clean[c - 2] == '=')
        m--;
    free(clean);
    out[m] = '\0';
    if (memchr(out, '\0', (size_t)m)) { /* PEM is text */
        free(out);
        return NULL;
    }
    *outlen = (size_t)m;
    return (char *)out;
}

/* A file name relative to the kubeconfig's directory. -1 when too long. */
static int resolve_file(const char *dir, const char *name, char *out, size_t outlen)
{
    int n = name[0] == '/' || !dir || !dir[0] ? snprintf(out, outlen, "%s", name)
                                              : snprintf(out, outlen, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

struct kc_read {
    char *err;
    size_t errlen;
    const char *dir;
};

/* One PEM: inline `<key>-data` (base64) wins over the file `<key>`. */
static int read_pem(struct kc_read *r, json_t *obj, const char *base, const char *key,
                    char **pem, char *file, size_t filelen)
{
    char dkey[64];
    snprintf(dkey, sizeof dkey, "%s-data", key);
    json_t *d = json_object_get(obj, dkey);
    json_t *f = json_object_get(obj, key);
    if (d) {
        size_t n;
        if (!json_is_string(d) || !(*pem = b64_decode(json_string_value(d), &n))) {
            snprintf(r->err, r->errlen, "%s/%s: not base64-encoded PEM text", base, dkey);
            return -1;
        }
        return 0;
    }
    if (f) {
        if (!json_is_string(f) || !json_string_length(f) ||
            resolve_file(r->dir, json_string_value(f), file, filelen) != 0) {
            snprintf(r->err, r->errlen, "%s/%s: must be a file name (at most %zu bytes)", base,
                     key, filelen - 1);
            return -1;
        }
    }
    return 0;
}

static int read_cluster(struct kc_read *r, json_t *cl, const char *base, struct kube_config *out)
{
    const char *server = json_string_value(json_object_get(cl, "server"));
    if (!server || (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)) {
        snprintf(r->err, r->errlen, "%s/server: required, an http(s) URL", base);
        return -1;
    }
    size_t n = strlen(server);
    while (n > 0 && server[n - 1] == '/')
        n--;
    if (n >= sizeof out->server) {
        snprintf(r->err, r->errlen, "%s/server: longer than %zu bytes", base,
                 sizeof out->server - 1);
        return -1;
    }
    memcpy(out->server, server, n);
    out->server[n] = '\0';
    const char *ins = json_string_value(json_object_get(cl, "insecure-skip-tls-verify"));
    out->insecure = ins && strcmp(ins, "true") == 0;
    return read_pem(r, cl, base, "certificate-authority", &out->ca_pem, out->ca_file,
                    sizeof out->ca_file);
}

static int read_user(struct kc_read *r, json_t *u, const char *base, struct kube_config *out)
{
    if (json_object_get(u, "exec")) {
        snprintf(r->err, r->errlen,
                 "%s/exec: exec credential plugins are not supported (srebot runs no helper "
                 "program); use a service account token (token or tokenFile) or a client "
                 "certificate",
                 base);
        return -1;
    }
    if (json_object_get(u, "auth-provider")) {
        snprintf(r->err, r->errlen,
                 "%s/auth-provider: auth provider plugins are not supported; use a token or a "
                 "client certificate",
                 base);
        return -1;
    }
    json_t *tok = json_object_get(u, "token");
    json_t *tokf = json_object_get(u, "tokenFile");
    if (tok) {
        if (!json_is_string(tok) || json_string_length(tok) >= sizeof out->token) {
            snprintf(r->err, r->errlen, "%s/token: must be a string under %zu bytes", base,
                     sizeof out->token);
            return -1;
        }
        memcpy(out->token, json_string_value(tok), json_string_length(tok) + 1);
    } else if (tokf) {
        if (!json_is_string(tokf) ||
            resolve_file(r->dir, json_string_value(tokf), out->token_file,
                         sizeof out->token_file) != 0) {
            snprintf(r->err, r->errlen, "%s/tokenFile: must be a file name", base);
            return -1;
        }
    }
    if (read_pem(r, u, base, "client-certificate", &out->cert_pem, out->cert_file,
                 sizeof out->cert_file) != 0 ||
        read_pem(r, u, base, "client-key", &out->key_pem, out->key_file, sizeof out->key_file) != 0)
        return -1;
    int have_cert = out->cert_pem || out->cert_file[0];
    int have_key = out->key_pem || out->key_file[0];
    if (have_cert != have_key) {
        snprintf(r->err, r->errlen, "%s: a client certificate needs its key (and the key its "
                 "certificate)", base);
        return -1;
    }
    return 0;
}

int kube_kubeconfig_parse(const char *buf, size_t len, const char *dir, struct kube_config *out,
                          char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char yerr[300];
    if (len > KUBE_MAX_CONFIG_BYTES) {
        snprintf(err, errlen, "larger than %u bytes", KUBE_MAX_CONFIG_BYTES);
        return -1;
    }
    json_t *doc = yaml_to_json(buf, len, yerr, sizeof yerr);
    if (!doc) {
        snprintf(err, errlen, "%s", yerr);
        return -1;
    }
    struct kc_read r = {.err = err, .errlen = errlen, .dir = dir};
    int rc = -1;
    char base[128];
    size_t ci = 0, li = 0, ui = 0;
    const char *cur = json_string_value(json_object_get(doc, "current-context"));
    if (!json_is_object(doc) || !cur || !cur[0]) {
        snprintf(err, errlen, "/current-context: required (the context to use)");
        goto out;
    }
    json_t *ctxe = named_entry(doc, "contexts", cur, &ci);
    json_t *ctx = json_object_get(ctxe, "context");
    if (!json_is_object(ctx)) {
        snprintf(err, errlen, "/contexts: no context named \"%.100s\" (the current-context)", cur);
        goto out;
    }
    const char *cln = json_string_value(json_object_get(ctx, "cluster"));
    const char *usn = json_string_value(json_object_get(ctx, "user"));
    const char *ns = json_string_value(json_object_get(ctx, "namespace"));
    json_t *cle = cln ? named_entry(doc, "clusters", cln, &li) : NULL;
    json_t *cl = json_object_get(cle, "cluster");
    if (!json_is_object(cl)) {
        snprintf(err, errlen, "/contexts/%zu/context/cluster: no cluster named \"%.100s\"", ci,
                 cln ? cln : "");
        goto out;
    }
    snprintf(base, sizeof base, "/clusters/%zu/cluster", li);
    if (read_cluster(&r, cl, base, out) != 0)
        goto out;
    if (usn && usn[0]) {
        json_t *ue = named_entry(doc, "users", usn, &ui);
        json_t *u = json_object_get(ue, "user");
        if (!json_is_object(u)) {
            snprintf(err, errlen, "/contexts/%zu/context/user: no user named \"%.100s\"", ci, usn);
            goto out;
        }
        snprintf(base, sizeof base, "/users/%zu/user", ui);
        if (read_user(&r, u, base, out) != 0)
            goto out;
    }
    if (ns && strlen(ns) < sizeof out->namespace_)
        snprintf(out->namespace_, sizeof out->namespace_, "%s", ns);
    snprintf(out->origin, sizeof out->origin, "kubeconfig context \"%.100s\", server %.400s", cur,
             out->server);
    rc = 0;
out:
    json_decref(doc);
    if (rc != 0)
        kube_config_clear(out);
    return rc;
}

/* Reads a whole small file (at most max bytes) into a malloc'd NUL-terminated buffer. */
static char *read_small_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%.400s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (!buf || n > max) {
        free(buf);
        snprintf(err, errlen, "%.400s: larger than %zu bytes", path, max);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int kube_kubeconfig_load(const char *path, struct kube_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *buf = read_small_file(path, KUBE_MAX_CONFIG_BYTES, &len, err, errlen);
    if (!buf)
        return -1;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    char perr[400];
    int rc = kube_kubeconfig_parse(buf, len, dir, out, perr, sizeof perr);
    free(buf);
    if (rc != 0) {
        snprintf(err, errlen, "kubeconfig %.200s: %s", path, perr);
        return -1;
    }
    char origin[sizeof out->origin];
    snprintf(origin, sizeof origin, "%s", out->origin);
    snprintf(out->origin, sizeof out->origin, "%.200s (%.420s)", path, origin);
    return 0;
}

void kube_config_clear(struct kube_config *c)
{
    if (!c)
        return;
    free(c->ca_pem);
    free(c->cert_pem);
    if (c->key_pem) {
        OPENSSL_cleanse(c->key_pem, strlen(c->key_pem));
        free(c->key_pem);
    }
    OPENSSL_cleanse(c->token, sizeof c->token);
    c->ca_pem = c->cert_pem = c->key_pem = NULL;
}
