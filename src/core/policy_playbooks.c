/* Playbooks: which actions an incident class may lead to, in which order
 * (policy `playbooks`, docs/actions.md), and the per-action verification times
 * (`automation.verify_seconds`). The built-in table below is the default
 * document's content and the evaluator's fallback for a document without
 * `playbooks` (versions saved before the field existed). */
#include <string.h>

#include "core/policy_internal.h"

/* Every class starts by telling someone; containment before disruption;
 * recommendations last, once nothing automatic helped. */
const struct policy_playbook policy_builtin_playbooks[] = {
    {"default", {"notify", NULL}},
    {"infrastructure.node_disk_pressure",
     {"notify", "delete_completed_pods", "cordon_node", "review_cluster_capacity", NULL}},
    {"infrastructure.node_cpu_saturation", {"notify", "review_cluster_capacity", NULL}},
    {"infrastructure.node_pid_pressure", {"notify", "cordon_node", "review_cluster_capacity", NULL}},
    {"infrastructure.node_not_ready", {"notify", "cordon_node", "review_cluster_capacity", NULL}},
    {"infrastructure.node_memory_saturation",
     {"notify", "cordon_node", "review_cluster_capacity", NULL}},
    {"runtime_services.runtime_dependency_outage", {"notify", "rollout_restart", NULL}},
    {"release_configuration.registry_auth_or_mirror_failure", {"notify", "patch_config", NULL}},
    {"application_services.application_service_degraded",
     {"notify", "rollout_restart", "review_workload_stability", NULL}},
    {"application_services.pod_restart_pressure",
     {"notify", "rollout_restart", "review_workload_stability", NULL}},
    {"application_services.pod_eviction_pressure",
     {"notify", "delete_completed_pods", "review_cluster_capacity", NULL}},
    {"application_services.http_5xx_burst",
     {"notify", "rollout_restart", "helm_reconcile", "review_workload_stability", NULL}},
    {"application_services.oom_killed", {"notify", "review_workload_stability", NULL}},
    {"application_services.completed_pods_accumulating", {"notify", "delete_completed_pods", NULL}},
    {"async_workloads.queue_backlog",
     {"notify", "suspend_cronjob", "scale_to_zero", "review_workload_stability", NULL}},
    {"async_workloads.cronjob_failing",
     {"notify", "suspend_cronjob", "review_workload_stability", NULL}},
    {NULL, {NULL}},
};

json_t *policy_playbooks_json(void)
{
    json_t *o = json_object();
    for (const struct policy_playbook *pb = policy_builtin_playbooks; pb->class_; pb++) {
        json_t *steps = json_array();
        for (size_t i = 0; pb->steps[i]; i++)
            json_array_append_new(steps, json_string(pb->steps[i]));
        json_object_set_new(o, pb->class_, steps);
    }
    return o;
}

static int check_action(const char *s, const char *path, struct problems *p)
{
    if (action_find(s))
        return 0;
    problems_add(p, path, "enum", "%s is not a known action", s);
    return -1;
}

/* playbooks: {"default"|<class>: [action, ...]} — optional; 1-16 distinct steps each. */
void pv_playbooks(const json_t *doc, struct pv_ctx *c)
{
    char path[PROBLEM_PATH_MAX], kpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "playbooks", 0, NULL, path, c->p);
    if (!o)
        return;
    if (json_object_size(o) > PV_MAX_PLAYBOOKS) {
        problems_add(c->p, path, "length", "must have at most %d classes", PV_MAX_PLAYBOOKS);
        return;
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        pv_path(kpath, path, key);
        if (strcmp(key, "default") != 0) {
            if (!class_well_formed(key)) {
                problems_add(c->p, kpath, "format", "must be default or a class domain.name");
                continue;
            }
            if (!class_known(key)) {
                problems_add(c->p, kpath, "reference", "%s is not a known incident class", key);
                continue;
            }
        }
        const json_t *steps = pv_string_list(o, path, key, 1, PV_MAX_STEPS, 64, check_action, c->p);
        if (steps && json_array_size(steps) == 0)
            problems_add(c->p, kpath, "length", "must list at least one action");
    }
}

/* automation.verify_seconds: {<action>: seconds} — optional; 0-86400 each. */
void pv_verify_seconds(const json_t *automation, const char *base, struct pv_ctx *c)
{
    char path[PROBLEM_PATH_MAX], kpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(automation, base, "verify_seconds", 0, NULL, path, c->p);
    if (!o)
        return;
    const char *key;
    const json_t *v;
    long long n;
    json_object_foreach((json_t *)o, key, v) {
        if (!action_find(key)) {
            pv_path(kpath, path, key);
            problems_add(c->p, kpath, "unknown_field", "is not an action");
            continue;
        }
        pv_int(o, path, key, 1, 0, 86400, &n, c->p);
    }
}

json_t *policy_verify_seconds_json(void)
{
    json_t *o = json_object();
    for (const struct action_def *a = action_catalogue; a->name; a++)
        if (a->kind != ACTION_RECOMMEND_ONLY)
            json_object_set_new(o, a->name, json_integer(a->verify_seconds));
    return o;
}
