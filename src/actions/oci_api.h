/* The OCI API calls of the OCI runners (oci_reboot_node, oci_replace_node):
 * the API user from the environment (read at each run), the key from its
 * file, one signed request (net/oci_sign.h) within the attempt's deadline. */
#ifndef SREBOT_ACTIONS_OCI_API_H
#define SREBOT_ACTIONS_OCI_API_H

#include <stddef.h>

#include <openssl/evp.h>

#include "actions/kube_runner.h"
#include "actions/runner.h"
#include "net/client.h"

struct oci_cfg {
    char key_id[600];
    char key_file[512];
    char base[300];  /* https://<service>.<region>.<domain> */
    char host[256];  /* its host[:port] */
};

/* IF_SRE_OCI_TENANCY, _USER, _FINGERPRINT, _KEY_FILE, _REGION; base_env names
 * the variable that overrides the endpoint (IF_SRE_OCI_IAAS_URL...), service
 * its host prefix ("iaas", "containerengine"). 0, or -1 with err. */
int oci_config(const char *base_env, const char *service, struct oci_cfg *c, char *err,
               size_t errlen);
/* The private key from its file; NULL with err (never the key's text). */
EVP_PKEY *oci_load_key(const char *path, char *err, size_t errlen);
/* One signed request to c->base + target; opc-retry-token when retry_token.
 * 0 with resp filled (free it), or -1 with the transport error. */
int oci_call(const struct oci_cfg *c, EVP_PKEY *key, const char *method, const char *target,
             const char *retry_token, const struct runner_request *rq,
             struct net_response *resp, char *err, size_t errlen);
/* The instance OCID of a node's spec.providerID ("oci://" allowed) into out; -1 when none. */
int oci_instance_of(const json_t *node, char *out, size_t outlen);

/* Both OCI runners act on a node: validate is the node target alone. */
int oci_validate_node(void *instance, const char *target, const json_t *params,
                      struct problems *p);
/* The start both share: the gate of kube_runner_begin, the API user (oci_config
 * with base_env / service), and the node read from the cluster (*node, the
 * caller's reference). ADAPTER_OK, or the outcome with out->error set. */
enum adapter_result oci_node_begin(void *instance, const struct runner_request *rq,
                                   const char *base_env, const char *service,
                                   struct kube_target *t, struct oci_cfg *c, json_t **node,
                                   struct runner_outcome *out);

#endif
