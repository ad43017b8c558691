/* The fixed vocabulary of the policy: postures, actions, probe kinds, thresholds,
 * and the small derived answers later modules share (action mode, probe class). */
#include "core/policy.h"
#include "core/policy_internal.h"

#include <string.h>

static const char *const posture_names[] = {"demo", "staging", "production"};

const char *policy_posture_name(enum environment e)
{
    if ((unsigned)e >= sizeof posture_names / sizeof posture_names[0])
        return NULL;
    return posture_names[e];
}

int policy_posture_parse(const char *s, enum environment *out)
{
    for (unsigned i = 0; s && i < sizeof posture_names / sizeof posture_names[0]; i++)
        if (strcmp(s, posture_names[i]) == 0) {
            *out = (enum environment)i;
            return 0;
        }
    return -1;
}

int policy_string_listed(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

/* The mode follows from three switches, in this order: recommendation-only
 * actions never run; with automation off only notify runs; otherwise approval is
 * needed when the action is approval-only or listed in approval.required_for. */
enum policy_action_mode policy_action_mode(const json_t *doc, const char *action)
{
    const struct action_def *a = action_find(action);
    if (!a)
        return MODE_DENY;
    if (a->kind == ACTION_RECOMMEND_ONLY)
        return MODE_RECOMMEND;
    if (a->kind == ACTION_NOTIFY)
        return MODE_AUTO;
    const json_t *automation = json_object_get(doc, "automation");
    if (!json_is_true(json_object_get(automation, "enabled")))
        return MODE_DENY;
    const json_t *req = json_object_get(json_object_get(automation, "approval"), "required_for");
    if (a->kind == ACTION_APPROVAL_ONLY || policy_string_listed(req, action))
        return MODE_APPROVAL;
    return MODE_AUTO;
}

const char *policy_action_mode_name(enum policy_action_mode m)
{
    switch (m) {
    case MODE_AUTO: return "auto";
    case MODE_APPROVAL: return "approval";
    case MODE_RECOMMEND: return "recommend";
    case MODE_DENY: break;
    }
    return "deny";
}

const char *policy_probe_class(const char *kind, const char *cls)
{
    if (!kind)
        return NULL;
    if (strcmp(kind, "oidc") == 0)
        return "identity_security.identity_provider_unreachable";
    if (strcmp(kind, "registry") == 0)
        return "release_configuration.registry_auth_or_mirror_failure";
    if (strcmp(kind, "tcp") == 0 || strcmp(kind, "http") == 0 || strcmp(kind, "dns") == 0 ||
        strcmp(kind, "tls") == 0)
        return cls ? cls : "runtime_services.runtime_dependency_outage";
    return NULL;
}

/* Names and environment variables are those the host source reads
 * (src/sources/host.h), so a value means the same in the policy and in env.
 * The host source has hysteresis: a signal raises after host_samples samples at
 * or over its level and clears after as many under (level - host_clear_gap_percent). */
const struct policy_threshold policy_thresholds[] = {
    {"cpu_busy_percent", 90, 1, 100, "IF_SRE_CPU_BUSY_PERCENT",
     "CPU busy % that raises infrastructure.node_cpu_saturation"},
    {"memory_used_percent", 90, 1, 100, "IF_SRE_MEMORY_USED_PERCENT",
     "memory used % (from MemAvailable) that raises infrastructure.node_memory_saturation"},
    {"disk_used_percent", 90, 1, 100, "IF_SRE_DISK_USED_PERCENT",
     "filesystem space used % that raises infrastructure.node_disk_pressure"},
    {"inode_used_percent", 90, 1, 100, "IF_SRE_INODE_USED_PERCENT",
     "inodes used % that raises infrastructure.node_disk_pressure"},
    {"host_clear_gap_percent", 5, 0, 50, "IF_SRE_HOST_CLEAR_GAP_PERCENT",
     "a host signal clears below (level - gap); must be below every host level"},
    {"host_samples", 3, 1, 100, "IF_SRE_HOST_SAMPLES",
     "samples in a row beyond a level before raising or clearing"},
    {"signal_window_seconds", 300, 10, 86400, "IF_SRE_SIGNAL_WINDOW_SECONDS",
     "window over which the counts and rates below are taken"},
    {"restart_count", 5, 1, 100000, "IF_SRE_RESTART_COUNT",
     "container restarts in the window that raise application_services.pod_restart_pressure"},
    {"eviction_count", 3, 1, 100000, "IF_SRE_EVICTION_COUNT",
     "pod evictions in the window that raise application_services.pod_eviction_pressure"},
    {"http_5xx_rate_percent", 5, 1, 100, "IF_SRE_HTTP_5XX_RATE_PERCENT",
     "share of 5xx responses in the window that raises application_services.http_5xx_burst"},
    {"http_min_requests", 20, 1, 1000000, "IF_SRE_HTTP_MIN_REQUESTS",
     "requests in the window before the 5xx rate counts"},
    {"latency_ms", 1000, 1, 600000, "IF_SRE_LATENCY_MS",
     "average latency in the window that marks application_services.application_service_degraded"},
    {"queue_backlog", 1000, 1, 1000000000, "IF_SRE_QUEUE_BACKLOG",
     "queued items that raise async_workloads.queue_backlog"},
    {NULL, 0, 0, 0, NULL, NULL},
};
