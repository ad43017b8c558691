/* oci_reboot_node: a soft reset (ACPI reboot, forced by OCI after 15 min) of
 * the Compute instance behind a Kubernetes node, through the OCI API
 * (reference/protocols.md 9.2): POST /20160918/instances/<id>?action=SOFTRESET,
 * signed with HTTP signature version 1 (net/oci_sign.h), the attempt's
 * idempotency key as opc-retry-token (OCI runs the same token once).
 *
 * The instance is the node's spec.providerID (an instance OCID, with or
 * without "oci://"). The API user comes from the environment, read at each
 * run: IF_SRE_OCI_TENANCY, IF_SRE_OCI_USER, IF_SRE_OCI_FINGERPRINT,
 * IF_SRE_OCI_KEY_FILE (a PEM private key file, never its text), IF_SRE_OCI_REGION,
 * and IF_SRE_OCI_IAAS_URL to override the endpoint
 * (https://iaas.<region>.oraclecloud.com). The preflight reads the instance
 * (a signed GET) and changes nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "actions/kube_runner.h"
#include "net/oci_sign.h"
#include "util/timeutil.h"

struct oci_cfg {
    char key_id[600];
    char key_file[512];
    char base[300];  /* https://iaas.<region>.oraclecloud.com */
    char host[256];  /* its host[:port] */
};

static int oci_config(struct oci_cfg *c, char *err, size_t errlen)
{
    const char *t = getenv("IF_SRE_OCI_TENANCY"), *u = getenv("IF_SRE_OCI_USER");
    const char *fp = getenv("IF_SRE_OCI_FINGERPRINT"), *kf = getenv("IF_SRE_OCI_KEY_FILE");
    const char *region = getenv("IF_SRE_OCI_REGION"), *url = getenv("IF_SRE_OCI_IAAS_URL");
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
        snprintf(c->base, sizeof c->base, "https://iaas.%.60s.oraclecloud.com", region);
    size_t n = strlen(c->base);
    while (n && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    const char *h = strstr(c->base, "://");
    snprintf(c->host, sizeof c->host, "%.255s", h ? h + 3 : c->base);
    c->host[strcspn(c->host, "/")] = '\0';
    return 0;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t errlen)
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
static int oci_call(const struct oci_cfg *c, EVP_PKEY *key, const char *method, const char *target,
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

static int oci_validate(void *instance, const char *target, const json_t *params,
                        struct problems *p)
{
    struct kube_target t;
    kube_target_parse(target, KT_NODE, &t, p);
    return problems_any(p) ? -1 : 0;
}

static enum adapter_result run(void *instance, const struct runner_request *rq,
                               struct runner_outcome *out, int dry)
{
    struct kube_target t;
    enum adapter_result r = kube_runner_begin(instance, rq, KT_NODE, &t, out);
    if (r != ADAPTER_OK)
        return r;
    struct oci_cfg c;
    char err[400];
    if (oci_config(&c, err, sizeof err) != 0) {
        snprintf(out->error, sizeof out->error, "%.250s", err);
        return ADAPTER_ERROR;
    }
    /* the node's instance */
    char path[400];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", t.name);
    json_t *node = NULL;
    long st = kube_runner_call(instance, rq, "GET", path, NULL, NULL, 0, &node, err, sizeof err);
    if (st != 200)
        return kube_runner_fail(st, "reading the node", err, out);
    const char *pid = json_string_value(json_object_get(json_object_get(node, "spec"), "providerID"));
    char ocid[256] = "";
    if (pid && strncmp(pid, "oci://", 6) == 0)
        pid += 6;
    if (pid && strncmp(pid, "ocid1.instance.", 15) == 0 && strlen(pid) < sizeof ocid &&
        strspn(pid, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(pid))
        snprintf(ocid, sizeof ocid, "%s", pid);
    json_decref(node);
    if (!ocid[0]) {
        snprintf(out->error, sizeof out->error,
                 "node %.100s has no OCI instance in spec.providerID", t.name);
        return ADAPTER_ERROR;
    }
    EVP_PKEY *key = load_key(c.key_file, err, sizeof err);
    if (!key) {
        snprintf(out->error, sizeof out->error, "%.250s", err);
        return ADAPTER_ERROR;
    }
    char target[400];
    snprintf(target, sizeof target, dry ? "/20160918/instances/%s" : "/20160918/instances/%s?action=SOFTRESET",
             ocid);
    struct net_response resp;
    int rc = oci_call(&c, key, dry ? "GET" : "POST", target,
                      dry ? NULL : rq->idempotency_key, rq, &resp, err, sizeof err);
    EVP_PKEY_free(key);
    if (rc != 0) {
        net_response_free(&resp);
        snprintf(out->error, sizeof out->error, "OCI: %.240s", err);
        return ADAPTER_RETRY;
    }
    json_t *body = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
    const char *state = json_string_value(json_object_get(body, "lifecycleState"));
    long status = resp.status;
    enum adapter_result res = ADAPTER_OK;
    if (status != 200) {
        snprintf(out->error, sizeof out->error, "OCI answered %ld %.60s: %.150s", status,
                 json_string_value(json_object_get(body, "code"))
                     ? json_string_value(json_object_get(body, "code"))
                     : "",
                 json_string_value(json_object_get(body, "message"))
                     ? json_string_value(json_object_get(body, "message"))
                     : "");
        res = status == 429 || status >= 500 ? ADAPTER_RETRY : ADAPTER_ERROR;
    } else {
        snprintf(out->changed, sizeof out->changed, "%s node %.100s (instance %.120s): %s",
                 dry ? "would soft-reset" : "soft reset sent to", t.name, ocid,
                 state ? state : "?");
        out->detail = json_pack("{s:s,s:s,s:s?,s:b}", "node", t.name, "instance", ocid,
                                "lifecycleState", state, "dry_run", dry);
    }
    json_decref(body);
    net_response_free(&resp);
    return res;
}

static enum adapter_result oci_preflight(void *instance, const struct runner_request *rq,
                                         struct runner_outcome *out)
{
    return run(instance, rq, out, 1);
}

static enum adapter_result oci_execute(void *instance, const struct runner_request *rq,
                                       struct runner_outcome *out)
{
    return run(instance, rq, out, 0);
}

const struct runner_ops runner_oci_reboot_node = {
    .name = "oci_reboot_node",
    .description = "Soft-reset the OCI Compute instance behind a node (signed OCI API call)",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = kube_runner_init,
    .validate = oci_validate,
    .preflight = oci_preflight,
    .execute = oci_execute,
    .destroy = kube_runner_destroy,
};
