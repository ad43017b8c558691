/* The action catalogue and target formatting (see actions.h). */
#include "core/actions.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* Defaults: verification long enough for a workload to settle (a node reboot or
 * replacement takes longer); cooldowns so that the same change is not repeated
 * on the same object while its effect is still being judged. */
const struct action_def action_catalogue[] = {
    {ACT_NOTIFY, "notify", ACTION_NOTIFY, 0, TARGET_INCIDENT, 0, 0, 300,
     "send the incident to its routed channels"},
    {ACT_DELETE_COMPLETED_PODS, "delete_completed_pods", ACTION_AUTOMATIC, 1, TARGET_NAMESPACE, 0,
     120, 600, "delete Succeeded/Failed pods in a namespace"},
    {ACT_SUSPEND_CRONJOB, "suspend_cronjob", ACTION_AUTOMATIC, 1, TARGET_CRONJOB, 1, 300, 1800,
     "suspend an allowlisted CronJob"},
    {ACT_SCALE_TO_ZERO, "scale_to_zero", ACTION_AUTOMATIC, 1, TARGET_WORKLOAD, 1, 300, 1800,
     "scale an allowlisted noncritical workload to zero replicas"},
    {ACT_ROLLOUT_RESTART, "rollout_restart", ACTION_APPROVAL_ONLY, 1, TARGET_WORKLOAD, 0, 300,
     3600, "restart a Deployment/StatefulSet's pods by rollout"},
    {ACT_PATCH_CONFIG, "patch_config", ACTION_APPROVAL_ONLY, 1, TARGET_CONFIGMAP, 0, 300, 3600,
     "apply a reviewed patch to a ConfigMap"},
    {ACT_HELM_RECONCILE, "helm_reconcile", ACTION_APPROVAL_ONLY, 1, TARGET_RELEASE, 0, 600, 3600,
     "re-apply a Helm release's recorded values"},
    {ACT_CORDON_NODE, "cordon_node", ACTION_APPROVAL_ONLY, 1, TARGET_NODE, 0, 300, 3600,
     "mark a node unschedulable"},
    {ACT_OCI_REBOOT_NODE, "oci_reboot_node", ACTION_APPROVAL_ONLY, 1, TARGET_NODE, 0, 900, 7200,
     "reboot an OCI compute instance backing a node"},
    {ACT_OCI_REPLACE_NODE, "oci_replace_node", ACTION_APPROVAL_ONLY, 1, TARGET_NODE, 0, 1800,
     86400, "replace an OCI compute instance backing a node"},
    {ACT_REVIEW_CLUSTER_CAPACITY, "review_cluster_capacity", ACTION_RECOMMEND_ONLY, 0,
     TARGET_CLUSTER, 0, 0, 86400, "recommend a review of cluster capacity"},
    {ACT_REVIEW_WORKLOAD_STABILITY, "review_workload_stability", ACTION_RECOMMEND_ONLY, 0,
     TARGET_WORKLOAD, 0, 0, 86400, "recommend a review of a workload's stability"},
    {ACT__COUNT, NULL, 0, 0, 0, 0, 0, 0, NULL},
};

const char *action_kind_name(enum action_kind k)
{
    switch (k) {
    case ACTION_NOTIFY: return "notify";
    case ACTION_AUTOMATIC: return "automatic";
    case ACTION_APPROVAL_ONLY: return "approval_only";
    case ACTION_RECOMMEND_ONLY: return "recommend_only";
    }
    return "?";
}

const struct action_def *action_get(enum action_id id)
{
    if ((unsigned)id >= ACT__COUNT)
        return NULL;
    return &action_catalogue[id];
}

const struct action_def *action_find(const char *name)
{
    for (const struct action_def *a = action_catalogue; name && a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

int action_parse(const char *name, enum action_id *out)
{
    const struct action_def *a = action_find(name);
    if (!a)
        return -1;
    *out = a->id;
    return 0;
}

int k8s_name_ok(const char *s, size_t max, int dots)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        int inner = i > 0 && i + 1 < n;
        if (!alnum && !(ch == '-' && inner) && !(dots && ch == '.' && inner && s[i + 1] != '.'))
            return 0;
    }
    return 1;
}

static void take(const json_t *obj, const char *key, char *out, size_t outlen, size_t max,
                 int dots)
{
    const char *v = json_string_value(json_object_get(obj, key));
    out[0] = '\0';
    if (v && strlen(v) < outlen && k8s_name_ok(v, max, dots))
        memcpy(out, v, strlen(v) + 1);
}

void action_subject_from_attributes(const char *attributes_json, struct action_subject *s)
{
    memset(s, 0, sizeof *s);
    if (!attributes_json)
        return;
    json_t *o = json_loads(attributes_json, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return;
    }
    take(o, "namespace", s->namespace_, sizeof s->namespace_, ACTION_NS_MAX, 0);
    take(o, "workload", s->workload, sizeof s->workload, ACTION_OBJ_MAX, 1);
    take(o, "cronjob", s->cronjob, sizeof s->cronjob, ACTION_OBJ_MAX, 1);
    take(o, "configmap", s->configmap, sizeof s->configmap, ACTION_OBJ_MAX, 1);
    take(o, "helm_release", s->helm_release, sizeof s->helm_release, ACTION_OBJ_MAX, 1);
    take(o, "node", s->node, sizeof s->node, ACTION_OBJ_MAX, 1);
    const char *kind = json_string_value(json_object_get(o, "workload_kind"));
    if (kind && (strcmp(kind, "Deployment") == 0 || strcmp(kind, "StatefulSet") == 0))
        snprintf(s->workload_kind, sizeof s->workload_kind, "%s", kind);
    json_decref(o);
}

static int fmt(char *out, size_t outlen, int n)
{
    if (n < 0 || (size_t)n >= outlen) {
        if (outlen)
            out[0] = '\0';
        return -1;
    }
    return 0;
}

int action_target(enum action_id id, int64_t incident_id, const struct action_subject *s,
                  char *out, size_t outlen)
{
    const struct action_def *d = action_get(id);
    if (outlen)
        out[0] = '\0';
    if (!d || !outlen)
        return -1;
    const char *ns = s ? s->namespace_ : "";
    switch (d->target) {
    case TARGET_INCIDENT:
        return fmt(out, outlen, snprintf(out, outlen, "incident/%lld", (long long)incident_id));
    case TARGET_CLUSTER:
        return fmt(out, outlen, snprintf(out, outlen, "cluster"));
    case TARGET_NAMESPACE:
        if (!*ns)
            return -1;
        return fmt(out, outlen, snprintf(out, outlen, "%s", ns));
    case TARGET_CRONJOB:
        if (!*ns || !*s->cronjob)
            return -1;
        return fmt(out, outlen, snprintf(out, outlen, "%s/%s", ns, s->cronjob));
    case TARGET_WORKLOAD:
        if (!*ns || !*s->workload_kind || !*s->workload)
            return -1;
        return fmt(out, outlen,
                   snprintf(out, outlen, "%s/%s/%s", ns, s->workload_kind, s->workload));
    case TARGET_CONFIGMAP:
        if (!*ns || !*s->configmap)
            return -1;
        return fmt(out, outlen, snprintf(out, outlen, "%s/%s", ns, s->configmap));
    case TARGET_RELEASE:
        if (!*ns || !*s->helm_release)
            return -1;
        return fmt(out, outlen, snprintf(out, outlen, "%s/%s", ns, s->helm_release));
    case TARGET_NODE:
        if (!s || !*s->node)
            return -1;
        return fmt(out, outlen, snprintf(out, outlen, "%s", s->node));
    }
    return -1;
}

void action_target_namespace(enum action_id id, const char *target, char *out, size_t outlen)
{
    const struct action_def *d = action_get(id);
    if (!outlen)
        return;
    out[0] = '\0';
    if (!d || !target)
        return;
    switch (d->target) {
    case TARGET_NAMESPACE:
    case TARGET_CRONJOB:
    case TARGET_WORKLOAD:
    case TARGET_CONFIGMAP:
    case TARGET_RELEASE: {
        size_t n = strcspn(target, "/");
        if (n < outlen) {
            memcpy(out, target, n);
            out[n] = '\0';
        }
        return;
    }
    case TARGET_INCIDENT:
    case TARGET_NODE:
    case TARGET_CLUSTER:
        return;
    }
}
