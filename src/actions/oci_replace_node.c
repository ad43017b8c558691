/* oci_replace_node: OKE replaces the node: DELETE
 * /20180222/nodePools/<pool>/node/<instance>?isDecrementSize=false (the pool
 * launches a replacement; reference/protocols.md 9.4), with
 * overrideEvictionGraceDuration=PT15M so OKE cordons and drains the node for
 * at most 15 minutes first. OKE answers 202 with a work request id (recorded).
 * The instance is the node's spec.providerID, the pool its label
 * oci.oraclecloud.com/node-pool-id (the label OKE sets: the label's name is
 * unconfirmed by the reference; a node without it is refused). The endpoint:
 * https://containerengine.<region>.oci.oraclecloud.com, or
 * IF_SRE_OCI_CONTAINERENGINE_URL. The preflight reads the node pool (a signed
 * GET) and changes nothing. A second run for a node already being replaced
 * answers 404/409: an error that names it, never a second replacement. */
#include <stdio.h>
#include <string.h>

#include "actions/kube_runner.h"
#include "actions/oci_api.h"

#define POOL_LABEL "oci.oraclecloud.com/node-pool-id"

static enum adapter_result run(void *instance, const struct runner_request *rq,
                               struct runner_outcome *out, int dry)
{
    struct kube_target t;
    struct oci_cfg c;
    json_t *node;
    enum adapter_result r =
        oci_node_begin(instance, rq, "IF_SRE_OCI_CONTAINERENGINE_URL", "containerengine", &t, &c, &node, out);
    if (r != ADAPTER_OK)
        return r;
    char err[400];
    char ocid[256], pool[256] = "";
    int have = oci_instance_of(node, ocid, sizeof ocid);
    const char *p = json_string_value(
        json_object_get(json_object_get(json_object_get(node, "metadata"), "labels"), POOL_LABEL));
    if (p && strncmp(p, "ocid1.nodepool.", 15) == 0 && strlen(p) < sizeof pool &&
        strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(p))
        snprintf(pool, sizeof pool, "%s", p);
    json_decref(node);
    if (have != 0 || !pool[0]) {
        snprintf(out->error, sizeof out->error, "node %.100s: %s", t.name,
                 have != 0 ? "no OCI instance in spec.providerID"
                           : "no node pool (label " POOL_LABEL ")");
        return ADAPTER_ERROR;
    }
    EVP_PKEY *key = oci_load_key(c.key_file, err, sizeof err);
    if (!key) {
        snprintf(out->error, sizeof out->error, "%.250s", err);
        return ADAPTER_ERROR;
    }
    char target[700];
    if (dry)
        snprintf(target, sizeof target, "/20180222/nodePools/%s", pool);
    else
        snprintf(target, sizeof target,
                 "/20180222/nodePools/%s/node/%s?isDecrementSize=false"
                 "&overrideEvictionGraceDuration=PT15M",
                 pool, ocid);
    struct net_response resp;
    int rc = oci_call(&c, key, dry ? "GET" : "DELETE", target, NULL, rq, &resp, err, sizeof err);
    EVP_PKEY_free(key);
    if (rc != 0) {
        net_response_free(&resp);
        snprintf(out->error, sizeof out->error, "OCI: %.240s", err);
        return ADAPTER_RETRY;
    }
    json_t *body = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
    long status = resp.status;
    enum adapter_result res = ADAPTER_OK;
    if (status != 200 && status != 202) {
        const char *code = json_string_value(json_object_get(body, "code"));
        const char *msg = json_string_value(json_object_get(body, "message"));
        snprintf(out->error, sizeof out->error, "OCI answered %ld %.60s: %.150s", status,
                 code ? code : "", msg ? msg : "");
        res = status == 429 || status >= 500 ? ADAPTER_RETRY : ADAPTER_ERROR;
    } else {
        snprintf(out->changed, sizeof out->changed,
                 "%s node %.80s (instance %.100s) in node pool %.100s (OKE answered %ld)",
                 dry ? "would replace" : "replacement started for", t.name, ocid, pool, status);
        out->detail = json_pack("{s:s,s:s,s:s,s:b}", "node", t.name, "instance", ocid,
                                "node_pool", pool, "dry_run", dry);
    }
    json_decref(body);
    net_response_free(&resp);
    return res;
}

static enum adapter_result orn_preflight(void *instance, const struct runner_request *rq,
                                         struct runner_outcome *out)
{
    return run(instance, rq, out, 1);
}

static enum adapter_result orn_execute(void *instance, const struct runner_request *rq,
                                       struct runner_outcome *out)
{
    return run(instance, rq, out, 0);
}

const struct runner_ops runner_oci_replace_node = {
    .name = "oci_replace_node",
    .description = "Have OKE replace a node (drain, delete, launch a new one in its pool)",
    .verify = RUNNER_VERIFY_SIGNAL,
    .init = kube_runner_init,
    .validate = oci_validate_node,
    .preflight = orn_preflight,
    .execute = orn_execute,
    .destroy = kube_runner_destroy,
};
