/* Default documents per posture. docs/policy.md lists the same values; a unit
 * test checks that each default validates and that the posture rules hold.
 *
 *   demo        safe to try: automatic containment limited by empty allowlists,
 *               one approver who may approve their own request.
 *   staging     only notify and delete_completed_pods run on their own.
 *   production  only notify runs on its own; everything disruptive waits for an
 *               approval by someone other than the requester.
 */
#include "core/policy.h"
#include "core/policy_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/builtin_rules.h"
#include "core/classes.h"
#include "core/retention.h"

struct posture_defaults {
    int max_actions_per_hour, attempt_budget, cooldown_default, cooldown_notify;
    const char *const *required_for;
    int expiry_seconds, approvers_required, allow_self_approval;
    int reopen_window_seconds, flap_quiet_seconds;
};

static const char *const approval_only[] = {"rollout_restart", "patch_config", "helm_reconcile",
                                            "cordon_node", "oci_reboot_node", "oci_replace_node",
                                            NULL};
static const char *const staging_approval[] = {
    "suspend_cronjob", "scale_to_zero", "rollout_restart", "patch_config", "helm_reconcile",
    "cordon_node", "oci_reboot_node", "oci_replace_node", NULL};
static const char *const production_approval[] = {
    "delete_completed_pods", "suspend_cronjob", "scale_to_zero", "rollout_restart",
    "patch_config", "helm_reconcile", "cordon_node", "oci_reboot_node", "oci_replace_node", NULL};

static const struct posture_defaults postures[] = {
    [ENV_DEMO] = {20, 3, 600, 300, approval_only, 3600, 1, 1, 1800, 300},
    [ENV_STAGING] = {10, 2, 1800, 600, staging_approval, 1800, 1, 0, 1800, 600},
    [ENV_PRODUCTION] = {5, 1, 3600, 900, production_approval, 900, 1, 0, 1800, 900},
};

static json_t *string_list(const char *const *items)
{
    json_t *a = json_array();
    for (const char *const *s = items; *s; s++)
        json_array_append_new(a, json_string(*s));
    return a;
}

static json_t *automation(const struct posture_defaults *d)
{
    return json_pack("{s:b, s:b, s:i, s:i, s:{s:i, s:i}, s:{s:o, s:i, s:i, s:b}, s:o}", "enabled", 1,
                     "dry_run", 0, "max_actions_per_hour", d->max_actions_per_hour,
                     "attempt_budget", d->attempt_budget, "cooldown_seconds", "default",
                     d->cooldown_default, "notify", d->cooldown_notify, "approval",
                     "required_for", string_list(d->required_for), "expiry_seconds",
                     d->expiry_seconds, "approvers_required", d->approvers_required,
                     "allow_self_approval", d->allow_self_approval, "verify_seconds",
                     policy_verify_seconds_json());
}

/* Built-in rules are copied in full so that GET -> edit -> PUT round-trips and
 * the console can show them; validation insists they stay equal to the table.
 * The table's `pattern` carries the expression or the probe id for those kinds. */
json_t *policy_builtin_rule_json(const struct builtin_rule *r)
{
    const char *body_key = "pattern";
    if (strcmp(r->kind, "metric_threshold") == 0)
        body_key = "expression";
    else if (strcmp(r->kind, "probe") == 0)
        body_key = "probe";
    return json_pack("{s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", r->id, "builtin",
                     1, "enabled", 1, "kind", r->kind, body_key, r->pattern, "class", r->class,
                     "severity", r->severity, "key_template", r->key_template, "window_seconds",
                     (json_int_t)r->window_seconds, "threshold", (json_int_t)r->threshold);
}

static json_t *thresholds(const struct policy_seed *seed)
{
    json_t *t = json_object();
    for (const struct policy_threshold *th = policy_thresholds; th->name; th++) {
        const char *env = seed->getenv_fn ? seed->getenv_fn(th->env) : NULL;
        if (env && *env) {
            char *end;
            errno = 0;
            long long v = strtoll(env, &end, 10);
            /* Not a number: keep the text so validation reports the setting. */
            if (errno || *end || end == env)
                json_object_set_new(t, th->name, json_string(env));
            else
                json_object_set_new(t, th->name, json_integer(v));
        } else {
            json_object_set_new(t, th->name, json_integer(th->def));
        }
    }
    return t;
}

json_t *policy_defaults(const struct policy_seed *seed)
{
    enum environment env = seed->posture;
    if (!policy_posture_name(env))
        env = ENV_DEMO;
    const struct posture_defaults *d = &postures[env];
    const char *base_url = seed->agent_base_url && *seed->agent_base_url
                               ? seed->agent_base_url
                               : POLICY_DEFAULT_AGENT_BASE_URL;
    const char *model =
        seed->agent_model && *seed->agent_model ? seed->agent_model : POLICY_DEFAULT_AGENT_MODEL;

    json_t *rules = json_array();
    for (const struct builtin_rule *r = builtin_rules; r->id; r++)
        json_array_append_new(rules, policy_builtin_rule_json(r));

    json_t *doc = json_pack(
        "{s:s, s:o,"
        " s:{s:[], s:[], s:[sss]},"
        " s:[{s:s, s:s, s:b, s:{}}], s:{s:[], s:s},"
        " s:s, s:o, s:o, s:[], s:[],"
        " s:{s:i, s:i},"
        " s:{s:s, s:[], s:[], s:s},"
        " s:[], s:{s:s, s:s, s:s, s:b, s:i, s:i}, s:o}",
        "environment", policy_posture_name(env), "automation", automation(d),
        "allowlists", "cronjobs", "workloads", "protected_namespaces", "kube-system",
        "kube-public", "kube-node-lease",
        "channels", "id", "inapp", "provider", "inapp", "enabled", 1, "settings",
        "routing", "rules", "fallback", "inapp",
        "detector_learning_mode", "suggest", "detector_rules", rules, "thresholds",
        thresholds(seed), "probes", "log_sources",
        "incidents", "reopen_window_seconds", d->reopen_window_seconds, "flap_quiet_seconds",
        d->flap_quiet_seconds,
        "alertmanager", "class_label", "sre_class", "class_map", "key_labels", "default_class",
        CLASS_FALLBACK,
        "mcp_servers", "agent_runtime", "provider", "ollama", "base_url", base_url, "model", model,
        "enabled", 0, "max_tool_calls", 8, "timeout_seconds", 60, "playbooks",
        policy_playbooks_json());
    json_object_set_new(doc, "retention", retention_defaults_json(env));
    return doc;
}
