/* What the kubernetes source keeps of each watched object: only the fields
 * its rules read, so memory stays proportional to the objects' number, not
 * their size (a pod's spec, managedFields and annotations are dropped). */
#include <string.h>

#include "sources/kube_view.h"

static json_t *get(const json_t *o, const char *k)
{
    return json_object_get(o, k);
}

/* Copies the listed members of src (those present) into dst. */
static void keep(json_t *dst, const json_t *src, const char *const *keys)
{
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = get(src, keys[i]);
        if (v)
            json_object_set_new(dst, keys[i], json_deep_copy(v));
    }
}

static json_t *meta(const json_t *o)
{
    static const char *const keys[] = {"name", "namespace", "creationTimestamp", NULL};
    const json_t *md = get(o, "metadata");
    json_t *m = json_object();
    keep(m, md, keys);
    json_t *owners = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(get(md, "ownerReferences"), i, ref) {
        if (i >= 4)
            break;
        json_t *r = json_object();
        static const char *const rk[] = {"kind", "name", NULL};
        keep(r, ref, rk);
        json_array_append_new(owners, r);
    }
    json_object_set_new(m, "ownerReferences", owners);
    const char *hash = json_string_value(get(get(md, "labels"), "pod-template-hash"));
    if (hash)
        json_object_set_new(m, "pod_template_hash", json_string(hash));
    return m;
}

static json_t *with_meta(const json_t *o)
{
    json_t *t = json_object();
    json_object_set_new(t, "metadata", meta(o));
    return t;
}

json_t *kube_trim_node(const json_t *o)
{
    json_t *t = with_meta(o);
    json_t *conds = json_array();
    size_t i;
    json_t *c;
    static const char *const ck[] = {"type", "status", "reason", "message",
                                     "lastTransitionTime", NULL};
    json_array_foreach(get(get(o, "status"), "conditions"), i, c) {
        json_t *k = json_object();
        keep(k, c, ck);
        json_array_append_new(conds, k);
    }
    json_object_set_new(t, "conditions", conds);
    json_t *u = get(get(o, "spec"), "unschedulable");
    json_object_set_new(t, "unschedulable", json_boolean(json_is_true(u)));
    return t;
}

static json_t *trim_state(const json_t *st)
{
    static const char *const sk[] = {"reason", "exitCode", "finishedAt", NULL};
    json_t *out = json_object();
    const char *which[] = {"waiting", "terminated", "running"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *s = get(st, which[i]);
        if (json_is_object(s)) {
            json_t *k = json_object();
            keep(k, s, sk);
            json_object_set_new(out, which[i], k);
        }
    }
    return out;
}

json_t *kube_trim_pod(const json_t *o)
{
    json_t *t = with_meta(o);
    const json_t *st = get(o, "status");
    static const char *const pk[] = {"phase", "reason", "message", NULL};
    keep(t, st, pk);
    const char *node = json_string_value(get(get(o, "spec"), "nodeName"));
    if (node)
        json_object_set_new(t, "nodeName", json_string(node));
    json_t *cs = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(get(st, "containerStatuses"), i, c) {
        if (i >= 16)
            break;
        json_t *k = json_object();
        static const char *const kk[] = {"name", "restartCount", "image", "ready", NULL};
        keep(k, c, kk);
        json_object_set_new(k, "state", trim_state(get(c, "state")));
        json_object_set_new(k, "lastState", trim_state(get(c, "lastState")));
        json_array_append_new(cs, k);
    }
    json_object_set_new(t, "containers", cs);
    return t;
}

json_t *kube_trim_workload(const json_t *o)
{
    json_t *t = with_meta(o);
    static const char *const sk[] = {"replicas", "readyReplicas", "availableReplicas",
                                     "unavailableReplicas", NULL};
    json_t *st = json_object();
    keep(st, get(o, "status"), sk);
    json_object_set_new(t, "status", st);
    json_t *r = get(get(o, "spec"), "replicas");
    json_object_set_new(t, "replicas", json_is_integer(r) ? json_incref(r) : json_integer(1));
    return t;
}

json_t *kube_trim_cronjob(const json_t *o)
{
    json_t *t = with_meta(o);
    json_object_set_new(t, "suspend", json_boolean(json_is_true(get(get(o, "spec"), "suspend"))));
    return t;
}

json_t *kube_trim_job(const json_t *o)
{
    json_t *t = with_meta(o);
    const json_t *st = get(o, "status");
    static const char *const jk[] = {"failed", "succeeded", "active", "startTime",
                                     "completionTime", NULL};
    keep(t, st, jk);
    size_t i;
    json_t *c;
    json_array_foreach(get(st, "conditions"), i, c) {
        const char *type = json_string_value(get(c, "type"));
        const char *s = json_string_value(get(c, "status"));
        if (type && s && strcmp(s, "True") == 0 &&
            (strcmp(type, "Failed") == 0 || strcmp(type, "Complete") == 0))
            json_object_set_new(t, "outcome", json_string(type));
    }
    return t;
}

json_t *kube_trim_event(const json_t *o)
{
    json_t *t = with_meta(o);
    static const char *const ek[] = {"type", "reason", "message", "count", "lastTimestamp",
                                     "eventTime", NULL};
    keep(t, o, ek);
    json_t *io = json_object();
    static const char *const ik[] = {"kind", "name", "namespace", NULL};
    keep(io, get(o, "involvedObject"), ik);
    json_object_set_new(t, "involvedObject", io);
    return t;
}
