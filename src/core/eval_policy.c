/* The evaluator's view of a policy document (see evaluator.h): read once per
 * version, so evaluating an incident never walks JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evaluator.h"

static int64_t seconds_ms(const json_t *v, int64_t fallback_ms)
{
    return json_is_integer(v) && json_integer_value(v) >= 0 ? json_integer_value(v) * 1000
                                                            : fallback_ms;
}

static int int_or(const json_t *v, int fallback)
{
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

/* The mode the policy gives an action, apart from the kill switch (which the
 * evaluator checks as its own guard with its own reason). */
static enum policy_action_mode base_mode(const struct action_def *a, const json_t *required_for)
{
    switch (a->kind) {
    case ACTION_RECOMMEND_ONLY: return MODE_RECOMMEND;
    case ACTION_NOTIFY: return MODE_AUTO;
    case ACTION_APPROVAL_ONLY: return MODE_APPROVAL;
    case ACTION_AUTOMATIC: break;
    }
    return policy_string_listed(required_for, a->name) ? MODE_APPROVAL : MODE_AUTO;
}

/* steps: a JSON array of names, or (when NULL) the NULL-terminated builtin list. */
static void add_playbook(struct eval_playbook *pb, const char *cls, const json_t *steps,
                         const char *const *builtin)
{
    memset(pb, 0, sizeof *pb);
    snprintf(pb->class_, sizeof pb->class_, "%s", cls);
    size_t n = steps ? json_array_size(steps) : 0;
    for (size_t i = 0; pb->nsteps < EVAL_MAX_STEPS; i++) {
        const char *name = NULL;
        if (steps)
            name = i < n ? json_string_value(json_array_get(steps, i)) : NULL;
        else if (builtin)
            name = builtin[i];
        if (!name)
            break;
        enum action_id id;
        if (action_parse(name, &id) == 0)
            pb->steps[pb->nsteps++] = id;
    }
}

static void playbooks(struct eval_policy *p, const json_t *doc)
{
    const json_t *o = json_object_get(doc, "playbooks");
    if (!json_is_object(o)) {
        for (const struct policy_playbook *b = policy_builtin_playbooks; b->class_; b++) {
            if (strcmp(b->class_, "default") == 0)
                add_playbook(&p->default_playbook, "", NULL, b->steps);
            else if (p->nplaybooks < EVAL_MAX_PLAYBOOKS)
                add_playbook(&p->playbooks[p->nplaybooks++], b->class_, NULL, b->steps);
        }
        return;
    }
    static const char *const notify_only[] = {"notify", NULL};
    add_playbook(&p->default_playbook, "", NULL, notify_only);
    /* Sorted by class so that lookups and the view do not depend on key order. */
    const char *keys[EVAL_MAX_PLAYBOOKS];
    size_t nkeys = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        if (strcmp(key, "default") == 0)
            add_playbook(&p->default_playbook, "", v, NULL);
        else if (nkeys < EVAL_MAX_PLAYBOOKS)
            keys[nkeys++] = key;
    }
    for (size_t i = 1; i < nkeys; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (size_t i = 0; i < nkeys; i++)
        add_playbook(&p->playbooks[p->nplaybooks++], keys[i], json_object_get(o, keys[i]), NULL);
}

static void allowlists(struct eval_policy *p, const json_t *doc)
{
    const json_t *al = json_object_get(doc, "allowlists");
    size_t i;
    const json_t *v;
    if (!doc) {
        static const char *const sys[] = {"kube-system", "kube-public", "kube-node-lease"};
        for (i = 0; i < 3; i++)
            snprintf(p->protected_ns[p->nprotected++], ACTION_NS_MAX + 1, "%s", sys[i]);
        return;
    }
    json_array_foreach(json_object_get(al, "protected_namespaces"), i, v) {
        if (json_is_string(v) && p->nprotected < EVAL_MAX_PROTECTED)
            snprintf(p->protected_ns[p->nprotected++], ACTION_NS_MAX + 1, "%s",
                     json_string_value(v));
    }
    json_array_foreach(json_object_get(al, "cronjobs"), i, v) {
        const char *ns = json_string_value(json_object_get(v, "namespace"));
        const char *name = json_string_value(json_object_get(v, "name"));
        if (ns && name && p->ncronjobs < EVAL_MAX_ALLOW)
            snprintf(p->cronjobs[p->ncronjobs++], ACTION_TARGET_MAX + 1, "%s/%s", ns, name);
    }
    json_array_foreach(json_object_get(al, "workloads"), i, v) {
        const char *ns = json_string_value(json_object_get(v, "namespace"));
        const char *kind = json_string_value(json_object_get(v, "kind"));
        const char *name = json_string_value(json_object_get(v, "name"));
        if (ns && kind && name && p->nworkloads < EVAL_MAX_ALLOW)
            snprintf(p->workloads[p->nworkloads++], ACTION_TARGET_MAX + 1, "%s/%s/%s", ns, kind,
                     name);
    }
}

struct eval_policy *eval_policy_create(const json_t *doc)
{
    struct eval_policy *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    const json_t *au = json_object_get(doc, "automation");
    const json_t *ap = json_object_get(au, "approval");
    const json_t *cd = json_object_get(au, "cooldown_seconds");
    const json_t *vs = json_object_get(au, "verify_seconds");
    if (!doc || policy_posture_parse(json_string_value(json_object_get(doc, "environment")),
                                     &p->posture) != 0)
        p->posture = doc ? ENV_PRODUCTION : ENV_DEMO; /* unknown: the strictest */
    p->automation_enabled = json_is_true(json_object_get(au, "enabled"));
    p->dry_run = json_is_true(json_object_get(au, "dry_run"));
    p->max_actions_per_hour = int_or(json_object_get(au, "max_actions_per_hour"), 0);
    p->attempt_budget = int_or(json_object_get(au, "attempt_budget"), 1);
    p->approval_expiry_ms = seconds_ms(json_object_get(ap, "expiry_seconds"), 900 * 1000);
    p->approvers_required = int_or(json_object_get(ap, "approvers_required"), 1);
    p->allow_self_approval = json_is_true(json_object_get(ap, "allow_self_approval"));
    const json_t *required_for = json_object_get(ap, "required_for");
    for (const struct action_def *a = action_catalogue; a->name; a++) {
        p->mode[a->id] = base_mode(a, required_for);
        int64_t def = seconds_ms(json_object_get(cd, "default"), a->cooldown_seconds * 1000LL);
        p->cooldown_ms[a->id] = seconds_ms(json_object_get(cd, a->name), def);
        p->verify_ms[a->id] = seconds_ms(json_object_get(vs, a->name), a->verify_seconds * 1000LL);
    }
    allowlists(p, doc);
    playbooks(p, doc);
    return p;
}

void eval_policy_destroy(struct eval_policy *p)
{
    free(p);
}

const struct eval_playbook *eval_playbook_for(const struct eval_policy *p, const char *cls)
{
    for (size_t i = 0; cls && i < p->nplaybooks; i++)
        if (strcmp(p->playbooks[i].class_, cls) == 0)
            return &p->playbooks[i];
    return &p->default_playbook;
}
