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

#include "actions/kube_runner.h"
#include "actions/oci_api.h"

static enum adapter_result run(void *instance, const struct runner_request *rq,
                               struct runner_outcome *out, int dry)
{
    struct kube_target t;
    struct oci_cfg c;
    json_t *node;
    enum adapter_result r =
        oci_node_begin(instance, rq, "IF_SRE_OCI_IAAS_URL", "iaas", &t, &c, &node, out);
    if (r != ADAPTER_OK)
        return r;
    char err[400];
    char ocid[256] = "";
    int have = oci_instance_of(node, ocid, sizeof ocid);
    json_decref(node);
    if (have != 0) {
        snprintf(out->error, sizeof out->error,
                 "node %.100s has no OCI instance in spec.providerID", t.name);
        return ADAPTER_ERROR;
    }
    EVP_PKEY *key = oci_load_key(c.key_file, err, sizeof err);
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
    .validate = oci_validate_node,
    .preflight = oci_preflight,
    .execute = oci_execute,
    .destroy = kube_runner_destroy,
};
