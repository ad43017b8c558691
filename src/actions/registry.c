/* THE table of built-in runners; an action without a runner is recorded and
 * cancelled ("no runner"). The Kubernetes runners share src/actions/kube_runner.c. */
#include <string.h>

#include "actions/runner.h"

extern const struct runner_ops runner_notify;
extern const struct runner_ops runner_review_cluster_capacity;
extern const struct runner_ops runner_review_workload_stability;
extern const struct runner_ops runner_delete_completed_pods;
extern const struct runner_ops runner_suspend_cronjob;
extern const struct runner_ops runner_scale_to_zero;
extern const struct runner_ops runner_rollout_restart;
extern const struct runner_ops runner_cordon_node;
extern const struct runner_ops runner_patch_config;
extern const struct runner_ops runner_helm_reconcile;
extern const struct runner_ops runner_oci_reboot_node;
extern const struct runner_ops runner_oci_replace_node;

const struct runner_ops *const runner_registry[] = {
    &runner_notify,
    &runner_review_cluster_capacity,
    &runner_review_workload_stability,
    &runner_delete_completed_pods,
    &runner_suspend_cronjob,
    &runner_scale_to_zero,
    &runner_rollout_restart,
    &runner_cordon_node,
    &runner_patch_config,
    &runner_helm_reconcile,
    &runner_oci_reboot_node,
    &runner_oci_replace_node,
    NULL,
};

const struct runner_ops *runner_find_in(const struct runner_ops *const *table, const char *name)
{
    for (size_t i = 0; table && name && table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const struct runner_ops *runner_find(const char *name)
{
    return runner_find_in(runner_registry, name);
}
