/* The action catalogue: THE list of actions the bot knows (ARCHITECTURE.md,
 * binding names), what kind each is, whether it changes the world, which
 * target it acts on, and its defaults for verification and cooldown.
 *
 *   kind          actions
 *   notify        notify                                   (always automatic)
 *   automatic     delete_completed_pods, suspend_cronjob,  (automatic unless the policy
 *                 scale_to_zero                             lists them in approval.required_for)
 *   approval_only rollout_restart, patch_config, helm_reconcile, cordon_node,
 *                 oci_reboot_node, oci_replace_node        (always need an approval)
 *   recommend     review_cluster_capacity,                 (never executed: recorded as a
 *                 review_workload_stability                  recommendation)
 *
 * Targets are plain strings, one format per target kind (action_target()):
 *   TARGET_INCIDENT   "incident/<id>"                  notify
 *   TARGET_NAMESPACE  "<namespace>"                    delete_completed_pods
 *   TARGET_CRONJOB    "<namespace>/<name>"             suspend_cronjob
 *   TARGET_WORKLOAD   "<namespace>/<Kind>/<name>"      scale_to_zero, rollout_restart,
 *                                                      review_workload_stability
 *   TARGET_CONFIGMAP  "<namespace>/<name>"             patch_config
 *   TARGET_RELEASE    "<namespace>/<release>"          helm_reconcile
 *   TARGET_NODE       "<node>"                         cordon_node, oci_*_node
 *   TARGET_CLUSTER    "cluster"                        review_cluster_capacity
 * The pieces come from the triggering finding's attributes (struct action_subject):
 * `namespace`, `workload_kind` (Deployment|StatefulSet), `workload`, `cronjob`,
 * `configmap`, `helm_release`, `node`. An action whose pieces are missing has no
 * target and is denied (reason no_target, core/evaluator.h).
 *
 * Pure: no I/O. The policy module validates action names against this table;
 * runners (src/actions/) are looked up by the same names.
 */
#ifndef SREBOT_CORE_ACTIONS_H
#define SREBOT_CORE_ACTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Stable ids, in catalogue order (the same order as the table; tests check it). */
enum action_id {
    ACT_NOTIFY = 0,
    ACT_DELETE_COMPLETED_PODS,
    ACT_SUSPEND_CRONJOB,
    ACT_SCALE_TO_ZERO,
    ACT_ROLLOUT_RESTART,
    ACT_PATCH_CONFIG,
    ACT_HELM_RECONCILE,
    ACT_CORDON_NODE,
    ACT_OCI_REBOOT_NODE,
    ACT_OCI_REPLACE_NODE,
    ACT_REVIEW_CLUSTER_CAPACITY,
    ACT_REVIEW_WORKLOAD_STABILITY,
    ACT__COUNT
};

enum action_kind {
    ACTION_NOTIFY = 0,     /* always automatic, also with automation.enabled false */
    ACTION_AUTOMATIC,      /* automatic unless listed in automation.approval.required_for */
    ACTION_APPROVAL_ONLY,  /* always needs an approval */
    ACTION_RECOMMEND_ONLY, /* never executed, only recorded as a recommendation */
};
const char *action_kind_name(enum action_kind k); /* "notify" "automatic" "approval_only" "recommend_only" */

enum action_target_kind {
    TARGET_INCIDENT = 0,
    TARGET_NAMESPACE,
    TARGET_CRONJOB,
    TARGET_WORKLOAD,
    TARGET_CONFIGMAP,
    TARGET_RELEASE,
    TARGET_NODE,
    TARGET_CLUSTER,
};

struct action_def {
    enum action_id id;
    const char *name;             /* binding name, e.g. "suspend_cronjob" */
    enum action_kind kind;
    int disruptive;               /* changes the world beyond sending a message */
    enum action_target_kind target;
    int needs_allowlist;          /* suspend_cronjob, scale_to_zero: target must be allowlisted */
    int verify_seconds;           /* default: how long to watch after success (policy may override) */
    int cooldown_seconds;         /* default when the policy's cooldown_seconds has no entry
                                   * (the policy's `default` key wins over this; see
                                   * eval_policy_from_json) */
    const char *description;
};
/* Indexed by enum action_id; NULL-name terminated (action_catalogue[ACT__COUNT].name == NULL). */
extern const struct action_def action_catalogue[];

/* NULL when name is not an action. */
const struct action_def *action_find(const char *name);
/* The entry of a valid id; NULL for an out-of-range value. */
const struct action_def *action_get(enum action_id id);
/* 0 and *out, or -1 when name is not an action. */
int action_parse(const char *name, enum action_id *out);
static inline const char *action_name(enum action_id id)
{
    const struct action_def *d = action_get(id);
    return d ? d->name : "?";
}

/* ---- targets ---- */
#define ACTION_NS_MAX 63        /* DNS-1123 label */
#define ACTION_OBJ_MAX 253      /* DNS-1123 subdomain */
#define ACTION_TARGET_MAX 400   /* longest formatted target + slack */

/* Where an action may act, from the attributes of the triggering finding.
 * Empty strings mean "not given". */
struct action_subject {
    char namespace_[ACTION_NS_MAX + 1];
    char workload_kind[16];               /* "Deployment" | "StatefulSet" */
    char workload[ACTION_OBJ_MAX + 1];
    char cronjob[ACTION_OBJ_MAX + 1];
    char configmap[ACTION_OBJ_MAX + 1];
    char helm_release[ACTION_OBJ_MAX + 1];
    char node[ACTION_OBJ_MAX + 1];
};

/* Fills s from a finding's attributes text (compact JSON object, as in struct
 * finding; NULL = none). Values that are not strings, are too long or are not
 * valid Kubernetes names are left empty, so they can never form a target. */
void action_subject_from_attributes(const char *attributes_json, struct action_subject *s);

/* Formats the target of action `id` for this incident/subject into out.
 * Returns 0, or -1 (out = "") when a needed piece is missing. */
int action_target(enum action_id id, int64_t incident_id, const struct action_subject *s,
                  char *out, size_t outlen);
/* The namespace part of a target of `id` ("" for node, incident and cluster
 * targets) into out (>= ACTION_NS_MAX + 1 bytes). */
void action_target_namespace(enum action_id id, const char *target, char *out, size_t outlen);

/* 1 when s is a Kubernetes name of at most max bytes: DNS-1123 lowercase
 * alphanumerics with '-' inside; with dots, a subdomain ('.' between labels). */
int k8s_name_ok(const char *s, size_t max, int dots);

#endif
