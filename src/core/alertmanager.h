/* Alertmanager webhook (version 4) -> findings (docs/findings.md, "Alertmanager").
 *
 * Each alert becomes one finding with source "alertmanager":
 *   class            the class label (`sre_class` unless the options name another) when
 *                    well formed, else the first mapping row whose label matches, else
 *                    a well-known alert name (KubePodCrashLooping -> pod_restart_pressure,
 *                    ...: builtin_map in alertmanager.c), else the default class
 *                    (CLASS_FALLBACK unless the options name another);
 *   correlation_key  "name=value,..." of the chosen labels (in the order given) when
 *                    key_labels is set; else of the identifying labels the alert has
 *                    (alertname, namespace, pod, node, instance, ...: identifying_labels
 *                    in alertmanager.c), so a severity change folds into the same
 *                    incident; the fingerprint for an alert without alertname;
 *   severity         from the `severity` label (see am_severity);
 *   status           the alert's own status (resolved alerts resolve);
 *   id               "am:<fingerprint>:<startsAt ms>:<f|r>" so the re-sends Alertmanager makes
 *                    every repeat_interval are duplicates (dedupe on fingerprint + startsAt);
 *   observed_at      startsAt when firing, endsAt when resolved (now when zero);
 *   summary          annotations summary, else description, else alertname;
 *   attributes       the alert's labels (bounded) plus generator_url.
 */
#ifndef SREBOT_CORE_ALERTMANAGER_H
#define SREBOT_CORE_ALERTMANAGER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/finding.h"
#include "core/problems.h"

#define AM_ALERTS_MAX 1000

struct am_class_map {
    const char *label; /* "alertname" */
    const char *value; /* "KubePodCrashLooping" */
    const char *class_; /* "application_services.pod_restart_pressure" */
};

struct am_options {
    const char *class_label;        /* label naming the class directly; NULL: "sre_class" */
    const char *default_class;      /* when nothing matched; NULL: CLASS_FALLBACK */
    const struct am_class_map *map; /* may be NULL */
    size_t nmap;
    const char *const *key_labels;  /* labels forming the correlation key; NULL: identifying */
    size_t nkey_labels;
};

/* Maps a severity label value; unknown or missing values map to warning. */
enum severity am_severity(const char *label);

int alertmanager_from_json(json_t *doc, const struct am_options *opt, int64_t now_ms,
                           struct finding_batch *out, struct problems *p);
int alertmanager_parse(const char *buf, size_t len, size_t max_bytes,
                       const struct am_options *opt, int64_t now_ms, struct finding_batch *out,
                       struct problems *p);

#endif
