/* The policy's `kubernetes` section: the cluster watcher's settings
 * (docs/kubernetes.md, docs/policy.md). Optional; every field optional. */
#include "core/policy_internal.h"

static int check_ns(const char *s, const char *path, struct problems *p)
{
    if (pv_dns_label(s))
        return 0;
    problems_add(p, path, "format", "must be a Kubernetes namespace name (DNS-1123 label)");
    return -1;
}

void pv_kubernetes(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {
        "enabled", "interval_seconds", "namespaces", "restart_threshold",
        "restart_window_seconds", "unavailable_grace_seconds", "completed_pods_threshold",
        "cronjob_failures", "evicted_threshold", "refire_seconds", "watch_timeout_seconds", NULL};
    char path[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "kubernetes", 0, known, path, c->p);
    if (!o)
        return;
    int b;
    long long n;
    pv_bool(o, path, "enabled", 0, &b, c->p);
    pv_int(o, path, "interval_seconds", 0, 1, 3600, &n, c->p);
    pv_string_list(o, path, "namespaces", 0, PV_MAX_LIST, 63, check_ns, c->p);
    pv_int(o, path, "restart_threshold", 0, 1, 1000, &n, c->p);
    pv_int(o, path, "restart_window_seconds", 0, 10, 86400, &n, c->p);
    pv_int(o, path, "unavailable_grace_seconds", 0, 0, 86400, &n, c->p);
    pv_int(o, path, "completed_pods_threshold", 0, 1, 100000, &n, c->p);
    pv_int(o, path, "cronjob_failures", 0, 1, 64, &n, c->p);
    pv_int(o, path, "evicted_threshold", 0, 1, 100000, &n, c->p);
    pv_int(o, path, "refire_seconds", 0, 1, 86400, &n, c->p);
    pv_int(o, path, "watch_timeout_seconds", 0, 1, 3600, &n, c->p);
}
