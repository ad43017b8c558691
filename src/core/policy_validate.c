/* Validation entry point and the sections about what may run: automation,
 * allowlists, thresholds, incidents, alertmanager. Posture rules (what
 * production forbids) are checked here too, next to the fields they constrain. */
#include <string.h>

#include "core/policy_internal.h"

static const char *const top_fields[] = {
    "environment", "automation", "allowlists", "channels", "routing",
    "detector_learning_mode", "detector_rules", "thresholds", "probes", "log_sources",
    "incidents", "alertmanager", "mcp_servers", "agent_runtime", "playbooks", "kubernetes",
    "retention", NULL};

json_t *policy_parse(const char *buf, size_t len, struct problems *p)
{
    return jsonin_parse(buf, len, POLICY_MAX_BYTES, POLICY_MAX_DEPTH, p);
}

static int check_action_for_approval(const char *s, const char *path, struct problems *p)
{
    const struct action_def *a = action_find(s);
    if (!a) {
        problems_add(p, path, "enum", "%s is not a known action", s);
        return -1;
    }
    if (a->kind == ACTION_NOTIFY || a->kind == ACTION_RECOMMEND_ONLY) {
        problems_add(p, path, "forbidden", "%s never needs an approval", s);
        return -1;
    }
    return 0;
}

static void approval(const json_t *automation, const char *base, struct pv_ctx *c)
{
    static const char *const known[] = {"required_for", "expiry_seconds", "approvers_required",
                                        "allow_self_approval", NULL};
    char path[PROBLEM_PATH_MAX], lpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(automation, base, "approval", 1, known, path, c->p);
    if (!o)
        return;
    long long n;
    int b;
    pv_int(o, path, "expiry_seconds", 1, 60, 604800, &n, c->p);
    pv_int(o, path, "approvers_required", 1, 1, 2, &n, c->p);
    if (pv_bool(o, path, "allow_self_approval", 1, &b, c->p) == 0 && b && c->posture_known &&
        c->posture == ENV_PRODUCTION) {
        pv_path(lpath, path, "allow_self_approval");
        problems_add(c->p, lpath, "forbidden",
                     "production: the requester may not approve their own action");
    }
    const json_t *req = pv_string_list(o, path, "required_for", 1, PV_MAX_LIST, 64,
                                       check_action_for_approval, c->p);
    if (!req)
        return;
    pv_path(lpath, path, "required_for");
    for (const struct action_def *a = action_catalogue; a->name; a++) {
        if (policy_string_listed(req, a->name))
            continue;
        if (a->kind == ACTION_APPROVAL_ONLY)
            problems_add(c->p, lpath, "required", "must include %s (it always needs an approval)",
                         a->name);
        else if (a->disruptive && c->posture_known && c->posture == ENV_PRODUCTION)
            problems_add(c->p, lpath, "forbidden",
                         "production: %s must need an approval (only notify runs on its own)",
                         a->name);
    }
}

void pv_automation(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"enabled",        "dry_run",          "max_actions_per_hour",
                                        "attempt_budget", "cooldown_seconds", "approval",
                                        "verify_seconds", NULL};
    char path[PROBLEM_PATH_MAX], cpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "automation", 1, known, path, c->p);
    if (!o)
        return;
    int b;
    long long n;
    pv_bool(o, path, "enabled", 1, &b, c->p);
    pv_bool(o, path, "dry_run", 1, &b, c->p);
    pv_int(o, path, "max_actions_per_hour", 1, 0, 10000, &n, c->p);
    pv_int(o, path, "attempt_budget", 1, 1, 100, &n, c->p);
    const json_t *cd = pv_object(o, path, "cooldown_seconds", 1, NULL, cpath, c->p);
    if (cd) {
        if (!json_object_get(cd, "default"))
            pv_int(cd, cpath, "default", 1, 0, 604800, &n, c->p);
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)cd, key, v) {
            if (strcmp(key, "default") != 0 && !action_find(key)) {
                char kpath[PROBLEM_PATH_MAX];
                pv_path(kpath, cpath, key);
                problems_add(c->p, kpath, "unknown_field", "is neither default nor an action");
                continue;
            }
            pv_int(cd, cpath, key, 1, 0, 604800, &n, c->p);
        }
    }
    approval(o, path, c);
    pv_verify_seconds(o, path, c);
}

static int check_namespace(const char *s, const char *path, struct problems *p)
{
    if (pv_dns_label(s))
        return 0;
    problems_add(p, path, "format", "must be a Kubernetes namespace name (DNS-1123 label)");
    return -1;
}

/* One allowlist: items {namespace, [kind,] name}, distinct, none in a protected namespace. */
static void allow_list(const json_t *lists, const char *base, const char *key, int with_kind,
                       const json_t *protected_ns, struct pv_ctx *c)
{
    static const char *const known_cron[] = {"namespace", "name", NULL};
    static const char *const known_work[] = {"namespace", "kind", "name", NULL};
    static const char *const kinds[] = {"Deployment", "StatefulSet", NULL};
    char path[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(lists, base, key, 1, PV_MAX_ALLOW, path, c->p);
    if (!arr)
        return;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *it =
            pv_item_object(arr, i, path, with_kind ? known_work : known_cron, ipath, c->p);
        if (!it)
            continue;
        const char *ns = pv_string(it, ipath, "namespace", 1, 63, c->p);
        const char *name = pv_string(it, ipath, "name", 1, PV_MAX_NAME, c->p);
        int kind = with_kind ? pv_enum(it, ipath, "kind", 1, kinds, c->p) : 0;
        if (ns) {
            pv_path(fpath, ipath, "namespace");
            if (check_namespace(ns, fpath, c->p) == 0 && protected_ns && policy_string_listed(protected_ns, ns))
                problems_add(c->p, fpath, "forbidden",
                             "%s is a protected namespace; nothing disruptive runs there", ns);
        }
        if (name && !pv_dns_subdomain(name)) {
            pv_path(fpath, ipath, "name");
            problems_add(c->p, fpath, "format", "must be a Kubernetes object name");
            name = NULL;
        }
        if (!ns || !name || kind < 0)
            continue;
        for (size_t j = 0; j < i; j++) {
            const json_t *o = json_array_get(arr, j);
            const char *ons = json_string_value(json_object_get(o, "namespace"));
            const char *oname = json_string_value(json_object_get(o, "name"));
            const char *okind = json_string_value(json_object_get(o, "kind"));
            if (ons && oname && strcmp(ons, ns) == 0 && strcmp(oname, name) == 0 &&
                (!with_kind || (okind && strcmp(okind, kinds[kind]) == 0))) {
                problems_add(c->p, ipath, "duplicate", "same entry as item %zu", j);
                break;
            }
        }
    }
}

void pv_allowlists(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"cronjobs", "workloads", "protected_namespaces", NULL};
    char path[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "allowlists", 1, known, path, c->p);
    if (!o)
        return;
    const json_t *prot =
        pv_string_list(o, path, "protected_namespaces", 1, PV_MAX_LIST, 63, check_namespace, c->p);
    allow_list(o, path, "cronjobs", 0, prot, c);
    allow_list(o, path, "workloads", 1, prot, c);
}

static void thresholds(const json_t *doc, struct pv_ctx *c)
{
    const char *known[64];
    size_t k = 0;
    for (const struct policy_threshold *t = policy_thresholds; t->name && k < 63; t++)
        known[k++] = t->name;
    known[k] = NULL;
    char path[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "thresholds", 1, known, path, c->p);
    if (!o)
        return;
    for (const struct policy_threshold *t = policy_thresholds; t->name; t++) {
        long long v;
        pv_int(o, path, t->name, 1, t->min, t->max, &v, c->p);
    }
    /* Hysteresis only works when every clear level (level - gap) lies above 0. */
    static const char *const levels[] = {"cpu_busy_percent", "memory_used_percent",
                                         "disk_used_percent", "inode_used_percent"};
    const json_t *gap = json_object_get(o, "host_clear_gap_percent");
    for (size_t i = 0; json_is_integer(gap) && i < sizeof levels / sizeof levels[0]; i++) {
        const json_t *level = json_object_get(o, levels[i]);
        if (json_is_integer(level) && json_integer_value(gap) >= json_integer_value(level)) {
            pv_path(fpath, path, "host_clear_gap_percent");
            problems_add(c->p, fpath, "range", "must be below %s (%lld)", levels[i],
                         (long long)json_integer_value(level));
            break;
        }
    }
}

static void incidents(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"reopen_window_seconds", "flap_quiet_seconds", NULL};
    char path[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "incidents", 1, known, path, c->p);
    if (!o)
        return;
    long long n;
    pv_int(o, path, "reopen_window_seconds", 1, 0, 2592000, &n, c->p);
    pv_int(o, path, "flap_quiet_seconds", 1, 0, 86400, &n, c->p);
}

static int check_label_name(const char *s, const char *path, struct problems *p)
{
    int ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_';
    for (const char *q = s + 1; ok && *q; q++)
        ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
             *q == '_';
    if (ok)
        return 0;
    problems_add(p, path, "pattern", "must be a Prometheus label name [a-zA-Z_][a-zA-Z0-9_]*");
    return -1;
}

static void alertmanager(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"class_label", "class_map", "key_labels", "default_class",
                                        NULL};
    static const char *const map_fields[] = {"label", "value", "class", NULL};
    char path[PROBLEM_PATH_MAX], mpath[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX],
        fpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "alertmanager", 1, known, path, c->p);
    if (!o)
        return;
    const char *label = pv_string(o, path, "class_label", 1, 128, c->p);
    if (label) {
        pv_path(fpath, path, "class_label");
        check_label_name(label, fpath, c->p);
    }
    pv_class(o, path, "default_class", 1, c->p);
    pv_string_list(o, path, "key_labels", 1, PV_MAX_LABELS, 128, check_label_name, c->p);
    const json_t *map = pv_array(o, path, "class_map", 1, PV_MAX_ALLOW, mpath, c->p);
    for (size_t i = 0; map && i < json_array_size(map); i++) {
        const json_t *it = pv_item_object(map, i, mpath, map_fields, ipath, c->p);
        if (!it)
            continue;
        const char *l = pv_string(it, ipath, "label", 1, 128, c->p);
        const char *v = pv_string(it, ipath, "value", 1, PV_MAX_TEXT, c->p);
        pv_class(it, ipath, "class", 1, c->p);
        if (l) {
            pv_path(fpath, ipath, "label");
            check_label_name(l, fpath, c->p);
        }
        for (size_t j = 0; l && v && j < i; j++) {
            const json_t *prev = json_array_get(map, j);
            const char *pl = json_string_value(json_object_get(prev, "label"));
            const char *pvv = json_string_value(json_object_get(prev, "value"));
            if (pl && pvv && strcmp(pl, l) == 0 && strcmp(pvv, v) == 0) {
                problems_add(c->p, ipath, "duplicate", "label and value already mapped by item %zu",
                             j);
                break;
            }
        }
    }
}

static void learning_mode(const json_t *doc, struct pv_ctx *c)
{
    static const char *const modes[] = {"disabled", "suggest", "training_auto_create", NULL};
    int m = pv_enum(doc, "", "detector_learning_mode", 1, modes, c->p);
    if (m == 2 && c->posture_known && c->posture == ENV_PRODUCTION)
        problems_add(c->p, "/detector_learning_mode", "forbidden",
                     "production: learned rules are suggested, never created automatically");
}

int policy_validate(const json_t *doc, struct problems *p)
{
    size_t before = p->count;
    if (!json_is_object(doc)) {
        problems_add(p, "", "type", "the policy must be a JSON object");
        return -1;
    }
    struct pv_ctx c = {.p = p};
    pv_clear_secrets(doc, "", p);
    jsonin_no_unknown((json_t *)doc, "", top_fields, p);
    static const char *const envs[] = {"demo", "staging", "production", NULL};
    int e = pv_enum(doc, "", "environment", 1, envs, p);
    if (e >= 0) {
        c.posture = (enum environment)e;
        c.posture_known = 1;
    }
    pv_automation(doc, &c);
    pv_allowlists(doc, &c);
    pv_channels(doc, &c);
    pv_routing(doc, &c);
    learning_mode(doc, &c);
    pv_probes(doc, &c); /* before the rules: probe rules reference probe ids */
    pv_detector_rules(doc, &c);
    thresholds(doc, &c);
    pv_log_sources(doc, &c);
    incidents(doc, &c);
    pv_retention(doc, &c);
    alertmanager(doc, &c);
    pv_mcp_servers(doc, &c);
    pv_agent_runtime(doc, &c);
    pv_playbooks(doc, &c);
    pv_kubernetes(doc, &c);
    return p->count > before ? -1 : 0;
}
