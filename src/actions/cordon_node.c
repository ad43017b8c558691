/* cordon_node: spec.unschedulable true on one node (merge patch), as
 * `kubectl cordon`; pods already there keep running. */
#include <stdio.h>
#include <string.h>

#include "actions/kube_runner.h"

static void node_path(const struct kube_target *t, char *out, size_t outlen)
{
    snprintf(out, outlen, "/api/v1/nodes/%s", t->name);
}

static json_t *cordon_patch(const struct runner_request *rq, const json_t *obj)
{
    if (json_is_true(json_object_get(json_object_get(obj, "spec"), "unschedulable")))
        return NULL;
    return json_pack("{s:{s:b}}", "spec", "unschedulable", 1);
}

static const struct one_patch cordon_op = {"cordon node", KT_NODE, node_path, cordon_patch,
                                           "application/merge-patch+json"};

ONE_PATCH_RUNNER(runner_cordon_node, cordon_op, "cordon_node",
                 "Cordon a node (spec.unschedulable: true)")
