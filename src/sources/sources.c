#include "sources/sources.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SREBOT_WITH_VECTORSCAN
#include "sources/logrules.h"
#endif
#include "sources/netutil.h"
#include "sources/scheduler.h"
#include "util/log.h"
#include "util/timeutil.h"

/* The sources worker: everything it holds, so a replica can start and stop it
 * on leadership changes and tests can run two in one process. */
struct sources {
    pthread_mutex_t mu;
    struct sources_config cfg; /* data_dir and logs_glob point into the copies below */
    char data_dir[512];
    char logs_glob[512];
    struct finding_sink sink;
    struct source_deps deps;   /* what every adapter instance is given */
    struct scheduler *sched;   /* NULL while stopped */
    /* The policy watcher (serve): polls policy_fn and applies new versions. */
    pthread_t watcher;
    int watching;
    pthread_cond_t watch_cv;
    int stop_watch;
    int64_t policy_version;
};

static void put_spec(json_t *specs, const char *id, const char *kind, json_t *config,
                     long long interval_ms, int enabled)
{
    /* A later spec with the same id replaces an earlier one (policy over default). */
    size_t i;
    json_t *sp;
    json_array_foreach(specs, i, sp) {
        if (strcmp(json_string_value(json_object_get(sp, "id")), id) == 0) {
            json_array_remove(specs, i);
            break;
        }
    }
    json_t *s = json_pack("{s:s,s:s,s:o,s:b}", "id", id, "kind", kind, "config", config,
                          "enabled", enabled);
    if (interval_ms > 0)
        json_object_set_new(s, "interval_ms", json_integer(interval_ms));
    json_array_append_new(specs, s);
}


json_t *sources_specs_from_policy(const struct sources_config *cfg, const json_t *policy)
{
    json_t *specs = json_array();
    const json_t *thresholds = json_object_get(policy, "thresholds");
    const json_t *rules = json_object_get(policy, "detector_rules");

    if (!cfg->no_host) {
        json_t *mounts = json_array();
        json_array_append_new(mounts, json_string("/"));
        if (cfg->data_dir && cfg->data_dir[0] == '/' && strcmp(cfg->data_dir, "/") != 0)
            json_array_append_new(mounts, json_string(cfg->data_dir));
        /* The policy's thresholds use the host source's names; only the host
         * ones matter to it, but passing the section whole keeps one truth. */
        json_t *th = thresholds ? json_deep_copy(thresholds) : json_object();
        json_t *host = json_pack("{s:s,s:o,s:o}", "id", "host", "mounts", mounts, "thresholds", th);
        put_spec(specs, "host", "host", host, 0, 1);
    }

    /* The default log detector on IF_SRE_LOG_PATHS runs always; the policy's
     * log_sources come in addition (one with the id "logs" replaces it). */
    int have_logfile = source_find("logfile") != NULL;
    if (have_logfile && cfg->logs_glob && cfg->logs_glob[0]) {
        json_t *paths = json_array();
        const char *s = cfg->logs_glob; /* comma-separated globs, as IF_SRE_LOG_PATHS */
        while (*s) {
            size_t n = strcspn(s, ",");
            size_t b = 0;
            while (b < n && (s[b] == ' ' || s[b] == '\t'))
                b++;
            size_t e = n;
            while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t'))
                e--;
            if (e > b)
                json_array_append_new(paths, json_stringn(s + b, e - b));
            s += n + (s[n] == ',');
        }
        json_t *lc = json_pack("{s:s,s:o}", "id", "logs", "paths", paths);
        if (cfg->data_dir)
            json_object_set_new(lc, "state_dir", json_string(cfg->data_dir));
        if (rules)
            json_object_set(lc, "detector_rules", (json_t *)rules);
        put_spec(specs, "logs", "logfile", lc, 0, 1);
    }

    size_t i;
    json_t *ls;
    json_array_foreach(json_object_get(policy, "log_sources"), i, ls) {
        const char *id = json_string_value(json_object_get(ls, "id"));
        if (!id || !have_logfile)
            continue;
        json_t *lc = json_deep_copy(ls);
        if (cfg->data_dir && !json_object_get(lc, "state_dir"))
            json_object_set_new(lc, "state_dir", json_string(cfg->data_dir));
        if (rules && !json_object_get(lc, "detector_rules"))
            json_object_set(lc, "detector_rules", (json_t *)rules);
        if (cfg->file_roots)
            json_object_set_new(lc, "file_roots", json_string(cfg->file_roots));
        json_t *en = json_object_get(ls, "enabled");
        json_t *iv = json_object_get(ls, "interval_seconds");
        /* {"journal":{...}}: the systemd journal; {"paths":[...]}: files */
        put_spec(specs, id, json_object_get(ls, "journal") ? "journal" : "logfile", lc,
                 json_is_integer(iv) ? json_integer_value(iv) * 1000 : 0,
                 en ? json_is_true(en) : 1);
    }

    /* The cluster watcher, when there is a cluster: the policy's kubernetes
     * section is its configuration. */
    const json_t *kube = json_object_get(policy, "kubernetes");
    if (cfg->kube && !json_is_false(json_object_get(kube, "enabled"))) {
        json_t *kc = json_is_object(kube) ? json_deep_copy(kube) : json_object();
        json_object_set_new(kc, "id", json_string("kubernetes"));
        json_t *iv = json_object_get(kube, "interval_seconds");
        put_spec(specs, "kubernetes", "kubernetes", kc,
                 json_is_integer(iv) ? json_integer_value(iv) * 1000 : 0, 1);
    }

    json_t *p;
    json_array_foreach(json_object_get(policy, "probes"), i, p) {
        const char *id = json_string_value(json_object_get(p, "id"));
        const char *kind = json_string_value(json_object_get(p, "kind"));
        if (!id || !kind)
            continue;
        json_t *iv = json_object_get(p, "interval_seconds");
        json_t *en = json_object_get(p, "enabled");
        json_t *pc = json_deep_copy(p);
        if (cfg->file_roots)
            json_object_set_new(pc, "file_roots", json_string(cfg->file_roots));
        put_spec(specs, id, kind, pc,
                 json_is_integer(iv) ? json_integer_value(iv) * 1000 : 0,
                 en ? json_is_true(en) : 1);
    }
    return specs;
}

static int apply_locked(struct sources *s, const json_t *policy, char *err, size_t errlen)
{
    json_t *specs = sources_specs_from_policy(&s->cfg, policy);
    int rc = scheduler_reconfigure(s->sched, specs, err, errlen);
    if (rc == 0)
        log_info("sources", "%zu source instance(s) configured", json_array_size(specs));
    char why[300];
    if (json_array_size(json_object_get(policy, "log_sources")) &&
        !source_select("logfile", why, sizeof why)) /* left out: the specs skip them */
        log_warn("sources", "the policy's log_sources are not run: %s", why);
    json_decref(specs);
    return rc;
}

static void *watcher_main(void *arg)
{
    struct sources *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop_watch) {
        struct timespec ts;
        time_deadline_in(&ts, s->cfg.policy_poll_ms ? s->cfg.policy_poll_ms : 5000);
        pthread_cond_timedwait(&s->watch_cv, &s->mu, &ts);
        if (s->stop_watch)
            break;
        /* policy_fn reads the store: not under our lock (status readers wait on it). */
        int64_t known = s->policy_version, version = 0;
        pthread_mutex_unlock(&s->mu);
        json_t *doc = s->cfg.policy_fn(s->cfg.policy_ctx, known, &version);
        pthread_mutex_lock(&s->mu);
        if (doc && version != s->policy_version && s->sched && !s->stop_watch) {
            char err[300];
            if (apply_locked(s, doc, err, sizeof err) == 0) {
                log_info("sources", "policy version %lld applied", (long long)version);
            } else {
                log_error("sources", "policy version %lld not applied: %s", (long long)version,
                          err);
            }
            s->policy_version = version; /* a failed one is not retried every poll */
        }
        json_decref(doc);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int sources_create(const struct sources_config *cfg, const struct finding_sink *sink,
                   struct sources **out, char *err, size_t errlen)
{
    *out = NULL;
    struct sources *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->cfg = *cfg;
    s->sink = *sink;
    /* The host source wants an absolute mount path: resolve a relative data dir. */
    char resolved[PATH_MAX];
    const char *dd = cfg->data_dir ? cfg->data_dir : "";
    if (dd[0] && dd[0] != '/' && realpath(dd, resolved))
        dd = resolved;
    snprintf(s->data_dir, sizeof s->data_dir, "%.511s", dd);
    snprintf(s->logs_glob, sizeof s->logs_glob, "%s", cfg->logs_glob ? cfg->logs_glob : "");
    s->cfg.data_dir = s->data_dir;
    s->cfg.logs_glob = s->logs_glob;
    s->deps.metrics = cfg->metrics;
    s->deps.net = cfg->net;
    s->deps.kube = cfg->kube;
#ifdef SREBOT_WITH_VECTORSCAN /* the log rules live with the log detector */
    s->deps.rules = logrules_slot_create();
    if (s->deps.rules && s->data_dir[0]) {
        char cache[600];
        snprintf(cache, sizeof cache, "%s/cache", s->data_dir);
        logrules_slot_use_cache(s->deps.rules, cache);
    }
#endif
    s->deps.resolver = net_resolver_create();
    if (!s->deps.resolver) {
        sources_destroy(s);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->watch_cv, &ca);
    pthread_condattr_destroy(&ca);
    *out = s;
    return 0;
}

int sources_start(struct sources *s, const json_t *policy, char *err, size_t errlen)
{
    json_t *fetched = NULL;
    int64_t version = 0;
    if (!policy && s->cfg.policy_fn)
        policy = fetched = s->cfg.policy_fn(s->cfg.policy_ctx, 0, &version);

    pthread_mutex_lock(&s->mu);
    int rc = -1;
    if (s->sched || s->watching) {
        snprintf(err, errlen, "sources already started");
        goto out;
    }
    /* Probes wait on the network (up to their timeout_ms) rather than burn CPU:
     * four workers keep a few unreachable targets from delaying the rest. */
    struct scheduler_opts opts = {.workers = s->cfg.workers ? s->cfg.workers : 4,
                                  .metrics = s->cfg.metrics,
                                  .deps = &s->deps};
    if (scheduler_create(&opts, &s->sink, &s->sched, err, errlen) != 0)
        goto out;
    if (apply_locked(s, policy, err, errlen) != 0) {
        scheduler_destroy(s->sched);
        s->sched = NULL;
        goto out;
    }
    s->policy_version = version;
    if (s->cfg.policy_fn) {
        s->stop_watch = 0;
        if (pthread_create(&s->watcher, NULL, watcher_main, s) != 0)
            log_error("sources", "cannot start the policy watcher: policy changes need a restart");
        else
            s->watching = 1;
    }
    rc = 0;
out:
    pthread_mutex_unlock(&s->mu);
    json_decref(fetched);
    return rc;
}

int sources_apply_policy(struct sources *s, const json_t *policy, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->sched ? apply_locked(s, policy, err, errlen) : 0;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

json_t *sources_status(struct sources *s)
{
    if (!s)
        return json_pack("{s:[]}", "items");
    pthread_mutex_lock(&s->mu);
    json_t *st = s->sched ? scheduler_status(s->sched) : json_pack("{s:[]}", "items");
    pthread_mutex_unlock(&s->mu);
    return st;
}

int sources_wait_cycles(struct sources *s, unsigned long cycles, int timeout_ms)
{
    /* The scheduler outlives this call: only sources_stop frees it, and callers
     * do not stop while they wait. */
    pthread_mutex_lock(&s->mu);
    struct scheduler *sched = s->sched;
    pthread_mutex_unlock(&s->mu);
    return sched ? scheduler_wait_cycles(sched, cycles, timeout_ms) : -1;
}

void sources_stop(struct sources *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    int watching = s->watching;
    s->watching = 0;
    s->stop_watch = 1;
    if (watching)
        pthread_cond_broadcast(&s->watch_cv);
    pthread_mutex_unlock(&s->mu);
    if (watching)
        pthread_join(s->watcher, NULL);
    pthread_mutex_lock(&s->mu);
    struct scheduler *sched = s->sched;
    s->sched = NULL;
    pthread_mutex_unlock(&s->mu);
    scheduler_destroy(sched);
}

void sources_destroy(struct sources *s)
{
    if (!s)
        return;
    if (s->deps.resolver) { /* made by sources_create in full */
        sources_stop(s);
        pthread_cond_destroy(&s->watch_cv);
        pthread_mutex_destroy(&s->mu);
    }
#ifdef SREBOT_WITH_VECTORSCAN
    logrules_slot_destroy(s->deps.rules);
#endif
    net_resolver_release(s->deps.resolver);
    free(s);
}
