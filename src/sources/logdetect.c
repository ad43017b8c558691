/* See logdetect.h. Moved out of logfile.c so that every line source shares
 * one detector: the same windows, findings and evidence whatever the lines
 * came from. */
#include "sources/logdetect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/logsig.h"
#include "core/logwin.h"
#include "core/problems.h"
#include "core/redact.h"
#include "sources/logrules.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timeutil.h"

struct logdetect {
    char id[65];
    char host[256];
    unsigned context_lines;
    struct logsig_set *own_set;  /* from the instance's own "rules", else the policy's */
    struct logrules_slot *rules; /* the rules in force when there is no own_set */
    struct logsig_scanner *sc;
    struct logwin *win;
    struct metric_series *m_dropped;
    struct metric *m_matches;
    uint64_t dropped_seen;
    /* the cycle in progress, for the callbacks */
    const struct finding_sink *sink;
    const struct logsig_set *set;
    struct logrules *held;
    const char *origin;
    uint64_t chunk_base;
    int64_t now_ms;
};

int logdetect_config_uint(const json_t *config, const char *key, long long min, long long max,
                          long long def, long long *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(config, key);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        snprintf(err, errlen, "/%s: must be an integer between %lld and %lld", key, min, max);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

int logdetect_create(const char *id, const json_t *config, const struct source_deps *deps,
                     struct logdetect **out, char *err, size_t errlen)
{
    struct logdetect *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(d->id, sizeof d->id, "%s", id);
    d->rules = deps->rules;
    if (gethostname(d->host, sizeof d->host) != 0)
        snprintf(d->host, sizeof d->host, "localhost");
    d->host[sizeof d->host - 1] = '\0';
    long long v, max_keys;
    if (logdetect_config_uint(config, "context_lines", 0, 10, 2, &v, err, errlen) != 0 ||
        logdetect_config_uint(config, "max_keys", 1, 1000000, 4096, &max_keys, err, errlen) != 0)
        goto fail;
    d->context_lines = (unsigned)v;
    /* "detector_rules" is how the sources worker passes the policy's rules. */
    json_t *rules = json_object_get(config, "rules");
    if (!rules)
        rules = json_object_get(config, "detector_rules");
    if (rules) {
        struct problems *p = problems_create();
        if (!p)
            goto oom;
        int bad = logsig_compile(rules, "/rules", 0, &d->own_set, p) != 0;
        if (bad)
            snprintf(err, errlen, "%s: %s", p->items[0].path, p->items[0].message);
        problems_destroy(p);
        if (bad)
            goto fail;
    }
    if (logsig_scanner_create(&d->sc) != 0 || logwin_create((size_t)max_keys, &d->win) != 0)
        goto oom;
    static const char *const by_id[] = {"id", NULL};
    static const char *const by_id_rule[] = {"id", "rule", NULL};
    d->m_dropped = metric_series_get(
        metrics_counter(deps->metrics, "srebot_logfile_keys_dropped_total",
                        "matches not counted because the window table was full", by_id),
        (const char *const[]){d->id, NULL});
    d->m_matches = metrics_counter(deps->metrics, "srebot_logfile_matches_total",
                                   "lines matched, per log rule", by_id_rule);
    *out = d;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    logdetect_destroy(d);
    return -1;
}

void logdetect_destroy(struct logdetect *d)
{
    if (!d)
        return;
    logsig_set_destroy(d->own_set);
    logsig_scanner_destroy(d->sc);
    logwin_destroy(d->win);
    free(d);
}

static void add_identity(json_t *f, const struct logdetect *d, const char *rule_id,
                         const char *key, int64_t at_ms, const char *status)
{
    /* A stable id per firing, so a retried delivery is one finding (idempotent ingest). */
    char seed[1024], hex[SHA256_HEX_LEN];
    int n = snprintf(seed, sizeof seed, "%s|%s|%s|%lld|%s", d->id, rule_id, key,
                     (long long)at_ms, status);
    crypto_sha256_hex(seed, n > 0 ? (size_t)n : 0, hex);
    char id[48];
    snprintf(id, sizeof id, "log-%.32s", hex);
    json_object_set_new(f, "id", json_string(id));
}

static void emit_firing(struct logdetect *d, const struct logwin_entry *e,
                        const struct logsig_match *m)
{
    char clean[256], line[256], summary[512], ts[32];
    size_t n = logsig_sanitize(clean, sizeof clean, m->buf + m->line_start,
                               m->line_end - m->line_start);
    redact_secrets(line, sizeof line, clean, n); /* the summary is read by viewers */
    unsigned count = logwin_count(e, d->now_ms);
    snprintf(summary, sizeof summary, "%s: %u match%s in %us in %s: %s", e->rule_id, count,
             count == 1 ? "" : "es", e->window_seconds, d->origin, line);
    char safe_summary[512];
    logsig_sanitize(safe_summary, sizeof safe_summary, summary, strlen(summary));
    time_format_rfc3339(d->now_ms, ts, sizeof ts);
    json_t *data = json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "rule", e->rule_id, "pattern",
                             m->rule->pattern, "file", d->origin, "window_seconds",
                             (int)e->window_seconds, "matches", (int)count, "lines",
                             logwin_excerpts(e));
    char evsum[160];
    snprintf(evsum, sizeof evsum, "last %u matching lines with context", e->snip_count);
    json_t *f = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:i, s:i, s:i}, s:[{s:s, s:s, s:o}]}",
        "source", d->id, "class", e->class, "correlation_key", e->key, "severity", e->severity,
        "status", "firing", "summary", safe_summary, "observed_at", ts, "attributes", "rule",
        e->rule_id, "file", d->origin, "matches", (int)count, "window_seconds",
        (int)e->window_seconds, "threshold", (int)e->threshold, "evidence", "type",
        "log_excerpt", "summary", evsum, "data", data);
    if (!f) {
        log_warn("logdetect", "source %s: could not build a finding for %s", d->id, e->rule_id);
        return;
    }
    add_identity(f, d, e->rule_id, e->key, d->now_ms, "firing");
    d->sink->emit(d->sink->ctx, f);
}

static void emit_resolved(void *ctx, const struct logwin_entry *e)
{
    struct logdetect *d = ctx;
    char summary[512], ts[32];
    snprintf(summary, sizeof summary, "%s: no match in the last %us", e->rule_id,
             e->window_seconds);
    time_format_rfc3339(d->now_ms, ts, sizeof ts);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "source", d->id,
                          "class", e->class, "correlation_key", e->key, "severity", e->severity,
                          "status", "resolved", "summary", summary, "observed_at", ts,
                          "attributes", "rule", e->rule_id);
    if (!f)
        return;
    add_identity(f, d, e->rule_id, e->key, d->now_ms, "resolved");
    d->sink->emit(d->sink->ctx, f);
}

static int on_match(void *ctx, const struct logsig_match *m)
{
    struct logdetect *d = ctx;
    const struct logsig_rule *r = m->rule;
    struct logsig_key_vars vars = {d->id, r->id, d->origin, r->class, d->host};
    char key[512];
    if (logsig_key_expand(r->key_template, &vars, key, sizeof key) != 0)
        snprintf(key, sizeof key, "%s:%s", d->id, r->id); /* the result was too long */
    size_t cs, ce;
    logsig_context(m->buf, m->len, m->line_start, m->line_end, d->context_lines,
                   d->context_lines, &cs, &ce);
    struct logwin_hit h = {r->id,   key,          r->class,     r->severity,
                           r->window_seconds, r->threshold, m->buf + cs, ce - cs,
                           d->origin, d->chunk_base + m->line_start};
    metric_inc(metric_series_get(d->m_matches, (const char *const[]){d->id, r->id, NULL}));
    const struct logwin_entry *e = NULL;
    if (logwin_hit(d->win, &h, d->now_ms, &e) == LOGWIN_FIRE)
        emit_firing(d, e, m);
    return 0;
}

void logdetect_begin(struct logdetect *d, int64_t now_ms, const struct finding_sink *sink)
{
    d->set = d->own_set;
    d->held = NULL;
    if (!d->set) {
        d->held = logrules_acquire(d->rules);
        d->set = d->held ? d->held->set : NULL;
    }
    d->sink = sink;
    d->now_ms = now_ms;
}

void logdetect_scan(struct logdetect *d, const char *origin, const char *buf, size_t len,
                    uint64_t base)
{
    if (!d->set)
        return;
    d->origin = origin;
    d->chunk_base = base;
    if (logsig_scan(d->set, d->sc, buf, len, on_match, d) < 0)
        log_warn("logdetect", "source %s: scan failed in %s", d->id, origin);
    d->origin = NULL;
}

void logdetect_end(struct logdetect *d)
{
    uint64_t dropped = logwin_dropped(d->win);
    metric_add(d->m_dropped, dropped - d->dropped_seen);
    d->dropped_seen = dropped;
    logwin_expire(d->win, d->now_ms, emit_resolved, d);
    logrules_release(d->rules, d->held);
    d->held = NULL;
    d->set = NULL;
    d->sink = NULL;
}
