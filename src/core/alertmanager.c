#include "core/alertmanager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/classes.h"
#include "core/jsonin.h"
#include "util/crypto.h"
#include "util/timeutil.h"

/* A receiver must not bounce a whole group over a long label: Alertmanager would
 * retry it forever. Structure errors reject; oversized text is cut to fit. */

enum severity am_severity(const char *v)
{
    if (!v)
        return SEV_WARNING;
    if (!strcasecmp(v, "critical") || !strcasecmp(v, "page") || !strcasecmp(v, "fatal"))
        return SEV_CRITICAL;
    if (!strcasecmp(v, "high") || !strcasecmp(v, "error") || !strcasecmp(v, "major"))
        return SEV_HIGH;
    if (!strcasecmp(v, "info") || !strcasecmp(v, "none") || !strcasecmp(v, "low"))
        return SEV_INFO;
    return SEV_WARNING;
}

/* Copies src into dst (size dstlen), cut on a UTF-8 boundary, control characters
 * replaced by spaces so the finding rules hold. */
static void copy_clean(char *dst, size_t dstlen, const char *src)
{
    size_t n = strlen(src);
    if (n >= dstlen) {
        n = dstlen - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
    }
    dst[n] = '\0';
}

static const char *label(json_t *labels, const char *name)
{
    return json_string_value(json_object_get(labels, name));
}

/* Alerts of the kube-prometheus / node-exporter mixins that name a class of
 * ours, after the policy's own class_map rows (which win). */
static const struct am_class_map builtin_map[] = {
    {"alertname", "KubePodCrashLooping", "application_services.pod_restart_pressure"},
    {"alertname", "KubePodNotReady", "application_services.application_service_degraded"},
    {"alertname", "KubeContainerWaiting", "application_services.application_service_degraded"},
    {"alertname", "KubeDeploymentReplicasMismatch",
     "application_services.application_service_degraded"},
    {"alertname", "KubeDeploymentRolloutStuck", "application_services.application_service_degraded"},
    {"alertname", "KubeStatefulSetReplicasMismatch",
     "application_services.application_service_degraded"},
    {"alertname", "KubeDaemonSetRolloutStuck", "application_services.application_service_degraded"},
    {"alertname", "KubeJobFailed", "application_services.application_service_degraded"},
    {"alertname", "NodeFilesystemSpaceFillingUp", "infrastructure.node_disk_pressure"},
    {"alertname", "NodeFilesystemAlmostOutOfSpace", "infrastructure.node_disk_pressure"},
    {"alertname", "NodeFilesystemFilesFillingUp", "infrastructure.node_disk_pressure"},
    {"alertname", "NodeFilesystemAlmostOutOfFiles", "infrastructure.node_disk_pressure"},
    {"alertname", "NodeMemoryHighUtilization", "infrastructure.node_memory_saturation"},
    {"alertname", "NodeCPUHighUsage", "infrastructure.node_cpu_saturation"},
    {"alertname", "TargetDown", "runtime_services.runtime_dependency_outage"},
    {"alertname", "KubeClientCertificateExpiration", "identity_security.tls_certificate_expiry"},
    {"alertname", "CertManagerCertExpirySoon", "identity_security.tls_certificate_expiry"},
};

/* The labels that say which thing an alert is about (its identity), in key
 * order. Others (severity, prometheus, endpoint...) change without the thing
 * changing, so they stay out of the default correlation key. */
static const char *const identifying_labels[] = {
    "alertname", "cluster", "namespace", "service", "job", "deployment", "statefulset",
    "daemonset", "cronjob", "job_name", "pod", "container", "node", "instance",
    "persistentvolumeclaim", "device", "mountpoint",
};

static void pick_class(json_t *labels, const struct am_options *opt, char *out, size_t outlen)
{
    const char *c = label(labels, opt && opt->class_label ? opt->class_label : "sre_class");
    if (c && class_well_formed(c)) {
        snprintf(out, outlen, "%s", c);
        return;
    }
    for (size_t i = 0; opt && i < opt->nmap; i++) {
        const char *v = label(labels, opt->map[i].label);
        if (v && strcmp(v, opt->map[i].value) == 0 && class_well_formed(opt->map[i].class_)) {
            snprintf(out, outlen, "%s", opt->map[i].class_);
            return;
        }
    }
    for (size_t i = 0; i < sizeof builtin_map / sizeof builtin_map[0]; i++) {
        const char *v = label(labels, builtin_map[i].label);
        if (v && strcmp(v, builtin_map[i].value) == 0) {
            snprintf(out, outlen, "%s", builtin_map[i].class_);
            return;
        }
    }
    const char *def = opt && opt->default_class && class_well_formed(opt->default_class)
                          ? opt->default_class
                          : CLASS_FALLBACK;
    snprintf(out, outlen, "%s", def);
}

/* "alertname=X,namespace=Y" of the labels names[] (absent ones: empty, or
 * left out when skip_absent); when longer than a key may be, its SHA-256. */
static void key_from_labels(json_t *labels, const char *const *names, size_t nnames,
                            int skip_absent, char *out, size_t outlen)
{
    char buf[4096];
    size_t n = 0;
    int overflow = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nnames; i++) {
        const char *v = label(labels, names[i]);
        if (!v && skip_absent)
            continue;
        int w = snprintf(buf + n, sizeof buf - n, "%s%s=%s", n ? "," : "", names[i],
                         v ? v : "");
        if (w < 0 || (size_t)w >= sizeof buf - n) {
            overflow = 1;
            break;
        }
        n += (size_t)w;
    }
    if (overflow || n >= outlen || n == 0 || !finding_text_valid(buf)) {
        char hex[SHA256_HEX_LEN];
        crypto_sha256_hex(buf, n, hex);
        snprintf(out, outlen, "sha256:%s", hex);
        return;
    }
    memcpy(out, buf, n + 1);
}

static int fingerprint_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z') ||
              (s[n] >= 'A' && s[n] <= 'Z')))
            return 0;
    return n >= 1 && n <= 64;
}

static void fill_attributes(struct finding *f, json_t *labels, const char *gen)
{
    json_t *attrs = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(labels, k, v) {
        if (json_object_size(attrs) >= FINDING_ATTRS_MAX - 1)
            break;
        if (strlen(k) == 0 || strlen(k) > FINDING_ATTR_KEY_MAX || !finding_text_valid(k))
            continue;
        char val[FINDING_ATTR_VALUE_MAX + 1];
        copy_clean(val, sizeof val, json_string_value(v));
        json_object_set_new(attrs, k, json_string(val));
    }
    if (gen && *gen) {
        char val[FINDING_ATTR_VALUE_MAX + 1];
        copy_clean(val, sizeof val, gen);
        json_object_set_new(attrs, "generator_url", json_string(val));
    }
    f->attributes = json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(attrs);
}

static int alert_to_finding(json_t *a, const char *base, const struct am_options *opt,
                            int64_t now_ms, struct finding *f, struct problems *p)
{
    size_t before = p->count;
    char path[PROBLEM_PATH_MAX];
    memset(f, 0, sizeof *f);
    if (!json_is_object(a)) {
        problems_add(p, base, "type", "an alert must be an object");
        return -1;
    }
    const char *status = jsonin_string(a, base, "status", 1, 16, p);
    if (status) {
        if (strcmp(status, "firing") == 0)
            f->status = FINDING_FIRING;
        else if (strcmp(status, "resolved") == 0)
            f->status = FINDING_RESOLVED;
        else {
            json_pointer_child(path, sizeof path, base, "status");
            problems_add(p, path, "enum", "must be firing or resolved");
        }
    }
    json_t *labels = json_object_get(a, "labels");
    json_pointer_child(path, sizeof path, base, "labels");
    if (!json_is_object(labels)) {
        problems_add(p, path, labels ? "type" : "required", "must be an object of strings");
        labels = NULL;
    } else {
        const char *k;
        json_t *v;
        json_object_foreach(labels, k, v) {
            if (!json_is_string(v)) {
                char lpath[PROBLEM_PATH_MAX];
                json_pointer_child(lpath, sizeof lpath, path, k);
                problems_add(p, lpath, "type", "label values must be strings");
            }
        }
    }
    json_t *ann = json_object_get(a, "annotations");
    if (ann && !json_is_null(ann) && !json_is_object(ann)) {
        json_pointer_child(path, sizeof path, base, "annotations");
        problems_add(p, path, "type", "must be an object");
    }
    if (!json_is_object(ann))
        ann = NULL;
    int64_t starts = 0, ends = 0;
    const char *s = jsonin_string(a, base, "startsAt", 1, 64, p);
    if (s && time_parse_rfc3339(s, &starts) != 0) {
        json_pointer_child(path, sizeof path, base, "startsAt");
        problems_add(p, path, "format", "must be an RFC 3339 time");
    }
    const char *e = jsonin_string(a, base, "endsAt", 0, 64, p);
    if (e && time_parse_rfc3339(e, &ends) != 0) {
        json_pointer_child(path, sizeof path, base, "endsAt");
        problems_add(p, path, "format", "must be an RFC 3339 time");
    }
    const char *fp = jsonin_string(a, base, "fingerprint", 0, 64, p);
    if (fp && !fingerprint_ok(fp)) {
        json_pointer_child(path, sizeof path, base, "fingerprint");
        problems_add(p, path, "pattern", "must be 1..64 letters and digits");
    }
    const char *gen = jsonin_string(a, base, "generatorURL", 0, 4096, p);
    if (p->count != before)
        return -1;

    /* Alertmanager always sends a fingerprint; derive one (a hash of the sorted
     * label set) for hand-written payloads. */
    char fpbuf[65];
    if (fp) {
        snprintf(fpbuf, sizeof fpbuf, "%s", fp);
    } else {
        char *ls = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
        char hex[SHA256_HEX_LEN];
        crypto_sha256_hex(ls ? ls : "", ls ? strlen(ls) : 0, hex);
        free(ls);
        snprintf(fpbuf, sizeof fpbuf, "%.16s", hex);
    }

    snprintf(f->source, sizeof f->source, "alertmanager");
    pick_class(labels, opt, f->class_, sizeof f->class_);
    if (opt && opt->nkey_labels)
        key_from_labels(labels, opt->key_labels, opt->nkey_labels, 0, f->correlation_key,
                        sizeof f->correlation_key);
    else if (label(labels, "alertname"))
        key_from_labels(labels, identifying_labels,
                        sizeof identifying_labels / sizeof identifying_labels[0], 1,
                        f->correlation_key, sizeof f->correlation_key);
    else
        snprintf(f->correlation_key, sizeof f->correlation_key, "%s", fpbuf);
    f->severity = am_severity(label(labels, "severity"));
    snprintf(f->id, sizeof f->id, "am:%s:%lld:%c", fpbuf, (long long)starts,
             f->status == FINDING_FIRING ? 'f' : 'r');
    if (f->status == FINDING_RESOLVED && ends > 0)
        f->observed_at_ms = ends;
    else if (f->status == FINDING_FIRING && starts > 0)
        f->observed_at_ms = starts;
    else
        f->observed_at_ms = now_ms;

    const char *sum = label(ann, "summary");
    if (!sum)
        sum = label(ann, "description");
    if (!sum)
        sum = label(labels, "alertname");
    copy_clean(f->summary, sizeof f->summary, sum ? sum : "alert");
    fill_attributes(f, labels, gen);
    return 0;
}

int alertmanager_from_json(json_t *doc, const struct am_options *opt, int64_t now_ms,
                           struct finding_batch *out, struct problems *p)
{
    struct finding_batch b = {0};
    size_t before = p->count;
    if (!json_is_object(doc)) {
        problems_add(p, "", "type", "must be an Alertmanager webhook object");
        return -1;
    }
    json_t *ver = json_object_get(doc, "version");
    if (ver && !(json_is_string(ver) && strcmp(json_string_value(ver), "4") == 0))
        problems_add(p, "/version", "enum", "only webhook version \"4\" is understood");
    json_t *alerts = json_object_get(doc, "alerts");
    if (!json_is_array(alerts)) {
        problems_add(p, "/alerts", alerts ? "type" : "required", "must be an array of alerts");
        return -1;
    }
    size_t n = json_array_size(alerts);
    if (n > AM_ALERTS_MAX) {
        problems_add(p, "/alerts", "length", "must hold at most %d alerts", AM_ALERTS_MAX);
        return -1;
    }
    if (p->count != before)
        return -1;
    if (n) {
        b.items = calloc(n, sizeof *b.items);
        if (!b.items) {
            problems_add(p, "", "too_large", "out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char base[PROBLEM_PATH_MAX];
        json_pointer_index(base, sizeof base, "/alerts", i);
        if (alert_to_finding(json_array_get(alerts, i), base, opt, now_ms, &b.items[b.count],
                             p) == 0)
            b.count++;
    }
    if (p->count != before) {
        finding_batch_clear(&b);
        return -1;
    }
    *out = b;
    return 0;
}

int alertmanager_parse(const char *buf, size_t len, size_t max_bytes,
                       const struct am_options *opt, int64_t now_ms, struct finding_batch *out,
                       struct problems *p)
{
    json_t *doc = jsonin_parse(buf, len, max_bytes, JSONIN_DEFAULT_DEPTH, p);
    if (!doc)
        return -1;
    int rc = alertmanager_from_json(doc, opt, now_ms, out, p);
    json_decref(doc);
    return rc;
}
