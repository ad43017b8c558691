#include "sources/sources.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sources/scheduler.h"
#include "util/log.h"
#include "util/timeutil.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct scheduler *g_sched;
static struct sources_config g_cfg;
static char g_data_dir[512];
static char g_logs_glob[512];
/* The policy watcher (serve): polls policy_fn and applies new versions. */
static pthread_t g_watcher;
static int g_watching;
static pthread_cond_t g_watch_cv;
static int g_stop_watch;
static int64_t g_policy_version;

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
        put_spec(specs, id, "logfile", lc,
                 json_is_integer(iv) ? json_integer_value(iv) * 1000 : 0,
                 en ? json_is_true(en) : 1);
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

static int apply_locked(const json_t *policy, char *err, size_t errlen)
{
    json_t *specs = sources_specs_from_policy(&g_cfg, policy);
    int rc = scheduler_reconfigure(g_sched, specs, err, errlen);
    if (rc == 0)
        log_info("sources", "%zu source instance(s) configured", json_array_size(specs));
    json_decref(specs);
    return rc;
}

static void *watcher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_mu);
    while (!g_stop_watch) {
        struct timespec ts;
        time_deadline_in(&ts, g_cfg.policy_poll_ms ? g_cfg.policy_poll_ms : 5000);
        pthread_cond_timedwait(&g_watch_cv, &g_mu, &ts);
        if (g_stop_watch)
            break;
        /* policy_fn reads the store: not under our lock (status readers wait on it). */
        int64_t known = g_policy_version, version = 0;
        pthread_mutex_unlock(&g_mu);
        json_t *doc = g_cfg.policy_fn(g_cfg.policy_ctx, known, &version);
        pthread_mutex_lock(&g_mu);
        if (doc && version != g_policy_version && g_sched && !g_stop_watch) {
            char err[300];
            if (apply_locked(doc, err, sizeof err) == 0) {
                log_info("sources", "policy version %lld applied", (long long)version);
                g_policy_version = version;
            } else {
                log_error("sources", "policy version %lld not applied: %s", (long long)version,
                          err);
                g_policy_version = version; /* do not retry the same version every poll */
            }
        }
        json_decref(doc);
    }
    pthread_mutex_unlock(&g_mu);
    return NULL;
}

int sources_start(const struct sources_config *cfg, const struct finding_sink *sink,
                  const json_t *policy, char *err, size_t errlen)
{
    json_t *fetched = NULL;
    int64_t version = 0;
    if (!policy && cfg->policy_fn)
        policy = fetched = cfg->policy_fn(cfg->policy_ctx, 0, &version);

    pthread_mutex_lock(&g_mu);
    int rc = -1;
    if (g_sched) {
        snprintf(err, errlen, "sources already started");
        goto out;
    }
    g_cfg = *cfg;
    /* The host source wants an absolute mount path: resolve a relative data dir. */
    char resolved[PATH_MAX];
    const char *dd = cfg->data_dir ? cfg->data_dir : "";
    if (dd[0] && dd[0] != '/' && realpath(dd, resolved))
        dd = resolved;
    snprintf(g_data_dir, sizeof g_data_dir, "%.511s", dd);
    snprintf(g_logs_glob, sizeof g_logs_glob, "%s", cfg->logs_glob ? cfg->logs_glob : "");
    g_cfg.data_dir = g_data_dir;
    g_cfg.logs_glob = g_logs_glob;
    /* Probes wait on the network (up to their timeout_ms) rather than burn CPU:
     * four workers keep a few unreachable targets from delaying the rest. */
    struct scheduler_opts opts = {.workers = cfg->workers ? cfg->workers : 4};
    if (scheduler_create(&opts, sink, &g_sched, err, errlen) != 0)
        goto out;
    if (apply_locked(policy, err, errlen) != 0) {
        scheduler_destroy(g_sched);
        g_sched = NULL;
        goto out;
    }
    g_policy_version = version;
    if (cfg->policy_fn) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&g_watch_cv, &ca);
        pthread_condattr_destroy(&ca);
        g_stop_watch = 0;
        if (pthread_create(&g_watcher, NULL, watcher_main, NULL) != 0) {
            log_error("sources", "cannot start the policy watcher: policy changes need a restart");
            pthread_cond_destroy(&g_watch_cv);
        } else {
            g_watching = 1;
        }
    }
    rc = 0;
out:
    pthread_mutex_unlock(&g_mu);
    json_decref(fetched);
    return rc;
}

int sources_apply_policy(const json_t *policy, char *err, size_t errlen)
{
    pthread_mutex_lock(&g_mu);
    int rc = g_sched ? apply_locked(policy, err, errlen) : 0;
    pthread_mutex_unlock(&g_mu);
    return rc;
}

json_t *sources_status(void)
{
    pthread_mutex_lock(&g_mu);
    json_t *st = g_sched ? scheduler_status(g_sched) : json_pack("{s:[]}", "items");
    pthread_mutex_unlock(&g_mu);
    return st;
}

int sources_wait_cycles(unsigned long cycles, int timeout_ms)
{
    /* The scheduler outlives this call: only sources_stop frees it, and callers
     * do not stop while they wait. */
    pthread_mutex_lock(&g_mu);
    struct scheduler *s = g_sched;
    pthread_mutex_unlock(&g_mu);
    return s ? scheduler_wait_cycles(s, cycles, timeout_ms) : -1;
}

void sources_stop(void)
{
    pthread_mutex_lock(&g_mu);
    int watching = g_watching;
    g_watching = 0;
    g_stop_watch = 1;
    if (watching)
        pthread_cond_broadcast(&g_watch_cv);
    pthread_mutex_unlock(&g_mu);
    if (watching) {
        pthread_join(g_watcher, NULL);
        pthread_cond_destroy(&g_watch_cv);
    }
    pthread_mutex_lock(&g_mu);
    struct scheduler *s = g_sched;
    g_sched = NULL;
    pthread_mutex_unlock(&g_mu);
    scheduler_destroy(s);
}
