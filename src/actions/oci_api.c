#include "actions/oci_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "net/oci_sign.h"
#include "util/timeutil.h"

int oci_config(const char *base_env, const char *service, struct oci_cfg *c, char *err,
               size_t errlen)
{
    const char *t = getenv("IF_SRE_OCI_TENANCY"), *u = getenv("IF_SRE_OCI_USER");
    const char *fp = getenv("IF_SRE_OCI_FINGERPRINT"), *kf = getenv("IF_SRE_OCI_KEY_FILE");
    const char *region = getenv("IF_SRE_OCI_REGION"), *url = getenv(base_env);
    if (!t || !u || !fp || !kf || !*t || !*u || !*fp || !*kf || (!url && !region)) {
        snprintf(err, errlen, "OCI is not configured: set IF_SRE_OCI_TENANCY, IF_SRE_OCI_USER, "
                              "IF_SRE_OCI_FINGERPRINT, IF_SRE_OCI_KEY_FILE and IF_SRE_OCI_REGION");
        return -1;
    }
    snprintf(c->key_id, sizeof c->key_id, "%.200s/%.200s/%.120s", t, u, fp);
    snprintf(c->key_file, sizeof c->key_file, "%s", kf);
    if (url && *url)
        snprintf(c->base, sizeof c->base, "%.290s", url);
    else
        snprintf(c->base, sizeof c->base, "https://%s.%.60s.%s", service, region,
                 strcmp(service, "iaas") == 0 ? "oraclecloud.com" : "oci.oraclecloud.com");
    size_t n = strlen(c->base);
    while (n && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    const char *h = strstr(c->base, "://");
    snprintf(c->host, sizeof c->host, "%.255s", h ? h + 3 : c->base);
    c->host[strcspn(c->host, "/")] = '\0';
    return 0;
}

EVP_PKEY *oci_load_key(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "IF_SRE_OCI_KEY_FILE: cannot read %.300s", path);
        return NULL;
    }
    char pem[16384];
    size_t n = fread(pem, 1, sizeof pem - 1, f);
    fclose(f);
    pem[n] = '\0';
    char kerr[120];
    EVP_PKEY *k = oci_key_from_pem(pem, kerr, sizeof kerr);
    OPENSSL_cleanse(pem, sizeof pem);
    if (!k)
        snprintf(err, errlen, "IF_SRE_OCI_KEY_FILE: %s", kerr);
    return k;
}

/* One signed call; 0 with resp filled, or -1 with err. */
int oci_call(const struct oci_cfg *c, EVP_PKEY *key, const char *method, const char *target,
                    const char *retry_token, const struct runner_request *rq,
                    struct net_response *resp, char *err, size_t errlen)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    struct oci_request orq = {.method = method, .target = target, .host = c->host, .date = date,
                              .body = "", .body_len = 0, .content_type = "application/json"};
    struct oci_signature *sig = calloc(1, sizeof *sig);
    if (!sig || oci_sign(&orq, key, c->key_id, sig, err, errlen) != 0) {
        free(sig);
        return -1;
    }
    struct net_header h[6];
    size_t nh = 0;
    h[nh++] = (struct net_header){"Date", date};
    h[nh++] = (struct net_header){"Authorization", sig->authorization};
    if (oci_method_has_body(method)) {
        h[nh++] = (struct net_header){"x-content-sha256", sig->content_sha256};
    }
    if (retry_token)
        h[nh++] = (struct net_header){"opc-retry-token", retry_token};
    char url[900];
    snprintf(url, sizeof url, "%s%s", c->base, target);
    uint64_t left = rq->deadline_ns > time_mono_ns() ? rq->deadline_ns - time_mono_ns() : 0;
    struct net_request r = {.method = method, .url = url, .headers = h, .nheaders = nh,
                            .body = oci_method_has_body(method) ? "" : NULL, .body_len = 0,
                            .content_type = "application/json",
                            .timeout_ms = left / 1000000ULL > 15000 ? 15000
                                                                    : (int)(left / 1000000ULL) + 1};
    int rc = net_request(NULL, &r, resp, err, errlen);
    free(sig);
    return rc;
}

int oci_instance_of(const json_t *node, char *out, size_t outlen)
{
    const char *pid =
        json_string_value(json_object_get(json_object_get(node, "spec"), "providerID"));
    if (pid && strncmp(pid, "oci://", 6) == 0)
        pid += 6;
    if (!pid || strncmp(pid, "ocid1.instance.", 15) != 0 || strlen(pid) >= outlen ||
        strspn(pid, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(pid))
        return -1;
    snprintf(out, outlen, "%s", pid);
    return 0;
}

int oci_validate_node(void *instance, const char *target, const json_t *params,
                      struct problems *p)
{
    struct kube_target t;
    kube_target_parse(target, KT_NODE, &t, p);
    return problems_any(p) ? -1 : 0;
}

enum adapter_result oci_node_begin(void *instance, const struct runner_request *rq,
                                   const char *base_env, const char *service,
                                   struct kube_target *t, struct oci_cfg *c, json_t **node,
                                   struct runner_outcome *out)
{
    enum adapter_result r = kube_runner_begin(instance, rq, KT_NODE, t, out);
    if (r != ADAPTER_OK)
        return r;
    char err[400];
    if (oci_config(base_env, service, c, err, sizeof err) != 0) {
        snprintf(out->error, sizeof out->error, "%.250s", err);
        return ADAPTER_ERROR;
    }
    char path[400];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", t->name);
    *node = NULL;
    long st = kube_runner_call(instance, rq, "GET", path, NULL, NULL, 0, node, err, sizeof err);
    if (st != 200) {
        json_decref(*node);
        *node = NULL;
        return kube_runner_fail(st, "reading the node", err, out);
    }
    return ADAPTER_OK;
}
