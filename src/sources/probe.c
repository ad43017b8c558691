#include "sources/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/classes.h"
#include "sources/finding.h"
#include "sources/srcconf.h"

static int severity_ok(const char *s)
{
    return strcmp(s, "critical") == 0 || strcmp(s, "high") == 0 || strcmp(s, "warning") == 0 ||
           strcmp(s, "info") == 0;
}

int probe_create(const struct probe_kind *pk, const json_t *cfg, const struct source_deps *deps,
                 void **out, char *err, size_t errlen)
{
    const char *id = srcconf_str(cfg, "id", NULL);
    const char *target = srcconf_str(cfg, "target", NULL);
    if (!id || !id[0]) {
        snprintf(err, errlen, "id: required");
        return -1;
    }
    if (!target || !target[0] || strlen(target) >= sizeof((struct probe *)0)->target) {
        snprintf(err, errlen, "target: required, at most 511 characters");
        return -1;
    }
    const char *cls = srcconf_str(cfg, "class", pk->default_class);
    if (!class_well_formed(cls)) {
        snprintf(err, errlen, "class: '%s' is not domain.name", cls);
        return -1;
    }
    const char *sev = srcconf_str(cfg, "severity", "high");
    if (!severity_ok(sev)) {
        snprintf(err, errlen, "severity: one of critical, high, warning, info");
        return -1;
    }
    struct probe *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->pk = pk;
    p->deps = deps;
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->target, sizeof p->target, "%s", target);
    snprintf(p->cls, sizeof p->cls, "%s", cls);
    snprintf(p->severity, sizeof p->severity, "%s", sev);
    p->timeout_ms = (int)srcconf_num(cfg, "timeout_ms", 5000, 10, 120000);
    p->failure_threshold = (unsigned)srcconf_num(cfg, "failure_threshold", 3, 1, 100);
    unsigned recovery = (unsigned)srcconf_num(cfg, "recovery_threshold", 1, 1, 100);
    p->refire_ms = (int64_t)(srcconf_num(cfg, "refire_seconds", 300, 1, 86400) * 1000);
    /* The latch sees 1 for a failed check, 0 for a good one. */
    hysteresis_init(&p->latch, 1.0, 0.5, p->failure_threshold, recovery, HYST_HIGH_IS_BAD);
    p->unconfirmed = 1;
    if (pk->prepare && pk->prepare(p, cfg, &p->opts, err, errlen) != 0) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

void probe_emit(const struct probe *p, const struct finding_sink *sink, const char *cls,
                const char *key, const char *severity, int firing, const char *summary,
                json_t *data, int64_t now_ms)
{
    json_t *f = finding_new(p->id, cls, key, severity, firing, summary, now_ms);
    if (!f) {
        json_decref(data);
        return;
    }
    finding_attr(f, "probe", json_string(p->id));
    finding_attr(f, "probe_kind", json_string(p->pk->kind));
    finding_attr(f, "target", json_string(p->target));
    finding_evidence(f, "probe_result", summary, data);
    sink->emit(sink->ctx, f);
}

int probe_run(void *inst, int64_t now_ms, const struct finding_sink *sink, char *err,
              size_t errlen)
{
    struct probe *p = inst;
    struct probe_result r = {0};
    r.data = json_object();
    p->pk->check(p, &r, now_ms, sink);
    if (r.cycle_error) {
        snprintf(err, errlen, "%s", r.detail);
        json_decref(r.data);
        return -1;
    }

    int was = p->latch.firing;
    hysteresis_update(&p->latch, r.ok ? 0.0 : 1.0);
    int up = p->latch.firing;
    int report = (up && (!was || now_ms - p->last_fired_ms >= p->refire_ms)) || (was && !up);
    int announce = p->unconfirmed && !up && r.ok; /* first good check of a new instance */
    if (up || announce)
        p->unconfirmed = 0;
    report |= announce;
    if (!report) {
        json_decref(r.data);
        return 0;
    }
    if (up)
        p->last_fired_ms = now_ms;

    json_object_set_new(r.data, "probe", json_string(p->id));
    json_object_set_new(r.data, "kind", json_string(p->pk->kind));
    json_object_set_new(r.data, "target", json_string(p->target));
    json_object_set_new(r.data, "ok", json_boolean(r.ok));
    json_object_set_new(r.data, "detail", json_string(r.detail));
    json_object_set_new(r.data, "consecutive_failures", json_integer(p->latch.bad_run));
    json_object_set_new(r.data, "failure_threshold", json_integer(p->failure_threshold));
    json_object_set_new(r.data, "timeout_ms", json_integer(p->timeout_ms));

    char key[600], summary[512];
    snprintf(key, sizeof key, "%s:%s", p->pk->kind, p->target);
    if (up)
        snprintf(summary, sizeof summary, "%.16s probe %.64s (%.150s) failing: %.250s", p->pk->kind, p->id,
                 p->target, r.detail);
    else
        snprintf(summary, sizeof summary, "%.16s probe %.64s (%.150s) %s: %.250s", p->pk->kind,
                 p->id, p->target, announce ? "healthy" : "recovered", r.detail);
    probe_emit(p, sink, p->cls, key, up ? p->severity : "info", up, summary, r.data, now_ms);
    return 0;
}

void probe_destroy(void *inst)
{
    struct probe *p = inst;
    if (!p)
        return;
    if (p->pk->free_opts)
        p->pk->free_opts(p->opts);
    free(p);
}
