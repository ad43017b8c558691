/* THE table of built-in runners. The Kubernetes runners (delete_completed_pods,
 * suspend_cronjob, scale_to_zero, rollout_restart, ...) join here in their own
 * issue; an action without a runner is recorded and cancelled ("no runner"). */
#include <string.h>

#include "actions/runner.h"

extern const struct runner_ops runner_notify;
extern const struct runner_ops runner_review_cluster_capacity;
extern const struct runner_ops runner_review_workload_stability;

const struct runner_ops *const runner_registry[] = {
    &runner_notify,
    &runner_review_cluster_capacity,
    &runner_review_workload_stability,
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
