#include "sources/scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SREBOT_WITH_VECTORSCAN
#include "sources/logrules.h"
#endif
#include "sources/netutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#define SCHED_MAX_WORKERS 16
#define SCHED_MAX_INSTANCES 1024
#define SCHED_ERR_LEN 256

struct instance {
    struct instance *next;
    struct scheduler *sched;
    char id[128];
    const struct source_ops *ops;
    json_t *config;        /* owned */
    unsigned interval_ms;
    int enabled;
    void *impl;            /* NULL until init succeeded */
    /* scheduling, guarded by the scheduler mutex */
    int running;
    int64_t running_since; /* monotonic ms, while running */
    int stuck_logged;      /* the current cycle was reported as stuck */
    int removed;           /* dropped by a reconfigure while running */
    int64_t next_due;      /* monotonic ms */
    unsigned consecutive_failures;
    /* stats, guarded by the scheduler mutex, except findings (counted from emit) */
    int64_t last_run_wall;
    int64_t last_duration_ms;
    char last_error[SCHED_ERR_LEN];
    unsigned long runs;
    unsigned long failures;
    unsigned long overruns;
    atomic_ulong findings;
    /* metric series (never freed by the registry; NULL-safe) */
    struct metric_series *m_runs, *m_failures, *m_findings, *m_up, *m_last_run, *m_duration;
};

struct scheduler {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t threads[SCHED_MAX_WORKERS];
    unsigned nthreads;
    int stopping;
    struct instance *list;
    struct finding_sink sink;
    struct scheduler_opts opts;
    struct source_deps own_deps; /* when opts.deps was NULL (then opts.deps points here) */
    struct metric *f_runs, *f_failures, *f_findings, *f_up, *f_last_run, *f_duration;
};

static void instance_free(struct instance *in)
{
    if (!in)
        return;
    if (in->impl && in->ops->destroy)
        in->ops->destroy(in->impl);
    json_decref(in->config);
    free(in);
}

/* The sink handed to adapters: counts, then forwards to the real sink. */
static void counting_emit(void *ctx, json_t *finding)
{
    struct instance *in = ctx;
    atomic_fetch_add(&in->findings, 1);
    metric_inc(in->m_findings);
    in->sched->sink.emit(in->sched->sink.ctx, finding);
}

static int64_t backoff_ms(const struct scheduler *s, unsigned failures)
{
    int64_t d = s->opts.retry_base_ms;
    for (unsigned i = 1; i < failures && d < s->opts.retry_max_ms; i++)
        d *= 2;
    return d > s->opts.retry_max_ms ? s->opts.retry_max_ms : d;
}

/* One cycle of one instance, called without the lock; the instance is ours
 * (running = 1) until we give it back. */
static int run_cycle(struct instance *in, char *err, size_t errlen)
{
    if (!in->impl) {
        void *impl = NULL;
        if (in->ops->init(in->config, (void *)in->sched->opts.deps, &impl, err, errlen) != 0) {
            if (!err[0])
                snprintf(err, errlen, "init failed");
            return -1;
        }
        in->impl = impl;
    }
    struct finding_sink sink = {counting_emit, in};
    int rc = in->ops->run(in->impl, time_now_ms(), &sink, err, errlen);
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "cycle failed");
    return rc;
}

static void finish_cycle(struct scheduler *s, struct instance *in, int rc, const char *err,
                         int64_t started_mono, int64_t started_wall)
{
    int64_t now = time_mono_ms();
    in->runs++;
    in->last_run_wall = started_wall;
    in->last_duration_ms = now - started_mono;
    metric_inc(in->m_runs);
    metric_set(in->m_last_run, (double)started_wall / 1000.0);
    metric_set(in->m_duration, (double)in->last_duration_ms / 1000.0);
    metric_set(in->m_up, rc == 0 ? 1.0 : 0.0);
    if (rc != 0)
        metric_inc(in->m_failures);
    if (in->last_duration_ms > (int64_t)in->interval_ms)
        in->overruns++;
    if (rc == 0) {
        in->consecutive_failures = 0;
        in->last_error[0] = '\0';
        int64_t due = started_mono + in->interval_ms;
        in->next_due = due > now ? due : now;
    } else {
        in->failures++;
        in->consecutive_failures++;
        snprintf(in->last_error, sizeof in->last_error, "%s", err);
        in->next_due = now + backoff_ms(s, in->consecutive_failures);
        /* One line per failure streak step; the log rate limit bounds the rest. */
        log_fields(LOG_WARN, "sources",
                   json_pack("{s:s,s:s,s:i}", "source_id", in->id, "kind", in->ops->name,
                             "consecutive_failures", (int)in->consecutive_failures),
                   "source %s (%s) failed (%u in a row, retry in %lld ms): %s", in->id,
                   in->ops->name, in->consecutive_failures, (long long)(in->next_due - now), err);
    }
}

static void cond_wait_until(struct scheduler *s, int64_t due_mono)
{
    int64_t wait = due_mono - time_mono_ms();
    if (wait > 1000)
        wait = 1000; /* wake up now and then regardless; cheap and robust */
    if (wait <= 0)
        return;
    struct timespec ts;
    time_deadline_in(&ts, wait);
    pthread_cond_timedwait(&s->cv, &s->mu, &ts);
}

static int64_t stuck_after_ms(const struct instance *in)
{
    int64_t t = 3 * (int64_t)in->interval_ms;
    return t > 60000 ? t : 60000;
}

static void unlink_instance(struct scheduler *s, struct instance *in)
{
    for (struct instance **pp = &s->list; *pp; pp = &(*pp)->next) {
        if (*pp == in) {
            *pp = in->next;
            return;
        }
    }
}

static void *worker_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stopping) {
        int64_t now = time_mono_ms();
        struct instance *pick = NULL;
        int64_t earliest = now + 1000;
        for (struct instance *in = s->list; in; in = in->next) {
            /* A cycle cannot be interrupted (adapters bound their own I/O); one
             * that runs far past its interval is at least reported, once. */
            if (in->running && !in->stuck_logged &&
                now - in->running_since > stuck_after_ms(in)) {
                in->stuck_logged = 1;
                log_fields(LOG_ERROR, "sources",
                           json_pack("{s:s,s:s}", "source_id", in->id, "kind", in->ops->name),
                           "source %s (%s) has been running one cycle for %lld ms", in->id,
                           in->ops->name, (long long)(now - in->running_since));
            }
            if (!in->enabled || in->running || in->removed)
                continue;
            if (in->next_due <= now) {
                if (!pick || in->next_due < pick->next_due)
                    pick = in;
            } else if (in->next_due < earliest) {
                earliest = in->next_due;
            }
        }
        if (!pick) {
            cond_wait_until(s, earliest);
            continue;
        }
        pick->running = 1;
        pick->running_since = now;
        pick->stuck_logged = 0;
        pthread_mutex_unlock(&s->mu);

        char err[SCHED_ERR_LEN] = "";
        int64_t started_mono = time_mono_ms(), started_wall = time_now_ms();
        int rc = run_cycle(pick, err, sizeof err);

        pthread_mutex_lock(&s->mu);
        pick->running = 0;
        finish_cycle(s, pick, rc, err, started_mono, started_wall);
        if (pick->removed) {
            unlink_instance(s, pick);
            pthread_mutex_unlock(&s->mu);
            instance_free(pick);
            pthread_mutex_lock(&s->mu);
        }
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int scheduler_create(const struct scheduler_opts *opts, const struct finding_sink *sink,
                     struct scheduler **out, char *err, size_t errlen)
{
    struct scheduler *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (opts)
        s->opts = *opts;
    if (s->opts.workers == 0)
        s->opts.workers = 2;
    if (s->opts.workers > SCHED_MAX_WORKERS)
        s->opts.workers = SCHED_MAX_WORKERS;
    if (s->opts.retry_base_ms == 0)
        s->opts.retry_base_ms = 1000;
    if (s->opts.retry_max_ms == 0)
        s->opts.retry_max_ms = 300000;
    if (s->opts.retry_max_ms < s->opts.retry_base_ms)
        s->opts.retry_max_ms = s->opts.retry_base_ms;
    if (!s->opts.find)
        s->opts.find = source_find;
    if (!s->opts.deps) {
        s->own_deps.metrics = s->opts.metrics;
#ifdef SREBOT_WITH_VECTORSCAN /* the log rules live with the log detector */
        s->own_deps.rules = logrules_slot_create();
#endif
        s->own_deps.resolver = net_resolver_create();
        s->opts.deps = &s->own_deps;
    }
    static const char *const labels[] = {"id", "kind", NULL};
    struct metrics *reg = s->opts.metrics;
    s->f_runs = metrics_counter(reg, "srebot_source_runs_total",
                                "Cycles run by a source instance", labels);
    s->f_failures = metrics_counter(reg, "srebot_source_failures_total",
                                    "Failed cycles (or inits) of a source instance", labels);
    s->f_findings = metrics_counter(reg, "srebot_source_findings_total",
                                    "Findings emitted by a source instance", labels);
    s->f_up = metrics_gauge(reg, "srebot_source_up",
                            "1 when the instance's last cycle succeeded", labels);
    s->f_last_run = metrics_gauge(reg, "srebot_source_last_run_timestamp_seconds",
                                  "Start of the instance's last cycle (Unix time)", labels);
    s->f_duration = metrics_gauge(reg, "srebot_source_last_duration_seconds",
                                  "Duration of the instance's last cycle", labels);
    s->sink = *sink;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    for (unsigned i = 0; i < s->opts.workers; i++) {
        int rc = pthread_create(&s->threads[i], NULL, worker_main, s);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start worker: %s", strerror(rc));
            scheduler_destroy(s);
            return -1;
        }
        s->nthreads++;
    }
    *out = s;
    return 0;
}

void scheduler_destroy(struct scheduler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stopping = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->nthreads; i++)
        pthread_join(s->threads[i], NULL);
    struct instance *in = s->list;
    while (in) {
        struct instance *next = in->next;
        instance_free(in);
        in = next;
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
#ifdef SREBOT_WITH_VECTORSCAN
    logrules_slot_destroy(s->own_deps.rules);
#endif
    net_resolver_release(s->own_deps.resolver);
    free(s);
}

/* Parsed, checked spec; config borrowed from the specs array. */
struct spec {
    const char *id;
    const struct source_ops *ops;
    unsigned interval_ms;
    int enabled;
    json_t *config;
};

static int parse_specs(struct scheduler *s, const json_t *specs, struct spec *out, size_t *n,
                       char *err, size_t errlen)
{
    if (!json_is_array(specs)) {
        snprintf(err, errlen, "specs: expected an array");
        return -1;
    }
    size_t count = json_array_size(specs);
    if (count > SCHED_MAX_INSTANCES) {
        snprintf(err, errlen, "specs: at most %d instances", SCHED_MAX_INSTANCES);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *sp = json_array_get(specs, i);
        const char *id = json_string_value(json_object_get(sp, "id"));
        const char *kind = json_string_value(json_object_get(sp, "kind"));
        if (!id || !id[0] || strlen(id) >= sizeof((struct instance *)0)->id) {
            snprintf(err, errlen, "specs/%zu/id: required, 1..127 characters", i);
            return -1;
        }
        if (!kind || !(out[i].ops = s->opts.find(kind))) {
            char why[300] = "";
            if (kind && s->opts.find == source_find)
                source_select(kind, why, sizeof why); /* names a kind this build left out */
            if (!strstr(why, "not in this build"))
                snprintf(why, sizeof why, "unknown source kind '%.200s'", kind ? kind : "");
            snprintf(err, errlen, "specs/%zu/kind: %s", i, why);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(out[j].id, id) == 0) {
                snprintf(err, errlen, "specs/%zu/id: duplicate id '%s'", i, id);
                return -1;
            }
        }
        json_t *iv = json_object_get(sp, "interval_ms");
        long long ivv = json_is_integer(iv) ? json_integer_value(iv)
                                            : (long long)out[i].ops->default_interval_ms;
        if (ivv < 10 || ivv > 86400000LL) {
            snprintf(err, errlen, "specs/%zu/interval_ms: 10..86400000", i);
            return -1;
        }
        json_t *en = json_object_get(sp, "enabled");
        out[i].id = id;
        out[i].interval_ms = (unsigned)ivv;
        out[i].enabled = en ? json_is_true(en) : 1;
        out[i].config = json_object_get(sp, "config");
        if (out[i].config && !json_is_object(out[i].config)) {
            snprintf(err, errlen, "specs/%zu/config: expected an object", i);
            return -1;
        }
    }
    *n = count;
    return 0;
}

static struct instance *find_instance(struct scheduler *s, const char *id)
{
    for (struct instance *in = s->list; in; in = in->next)
        if (!in->removed && strcmp(in->id, id) == 0)
            return in;
    return NULL;
}

int scheduler_reconfigure(struct scheduler *s, const json_t *specs, char *err, size_t errlen)
{
    size_t n = json_is_array(specs) ? json_array_size(specs) : 0;
    struct spec *sp = calloc(n ? n : 1, sizeof *sp);
    if (!sp) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (parse_specs(s, specs, sp, &n, err, errlen) != 0) {
        free(sp);
        return -1;
    }
    struct instance *fresh = NULL, *graveyard = NULL;
    for (size_t i = 0; i < n; i++) {
        struct instance *in = calloc(1, sizeof *in);
        if (!in)
            goto oom;
        in->sched = s;
        snprintf(in->id, sizeof in->id, "%s", sp[i].id);
        in->ops = sp[i].ops;
        in->config = sp[i].config ? json_deep_copy(sp[i].config) : json_object();
        in->interval_ms = sp[i].interval_ms;
        in->enabled = sp[i].enabled;
        atomic_init(&in->findings, 0);
        const char *lv[] = {in->id, in->ops->name};
        in->m_runs = metric_series_get(s->f_runs, lv);
        in->m_failures = metric_series_get(s->f_failures, lv);
        in->m_findings = metric_series_get(s->f_findings, lv);
        in->m_up = metric_series_get(s->f_up, lv);
        in->m_last_run = metric_series_get(s->f_last_run, lv);
        in->m_duration = metric_series_get(s->f_duration, lv);
        in->next = fresh;
        fresh = in;
    }

    pthread_mutex_lock(&s->mu);
    /* Keep unchanged instances (with their state), retire the rest. */
    struct instance *keep = NULL;
    struct instance **pp = &fresh;
    while (*pp) {
        struct instance *nw = *pp;
        struct instance *old = find_instance(s, nw->id);
        if (old && old->ops == nw->ops && old->interval_ms == nw->interval_ms &&
            json_equal(old->config, nw->config)) {
            old->enabled = nw->enabled;
            *pp = nw->next;
            nw->next = graveyard; /* the unused new record */
            graveyard = nw;
            old->removed = 2; /* marker: kept (restored below) */
            continue;
        }
        pp = &nw->next;
    }
    for (pp = &s->list; *pp;) {
        struct instance *old = *pp;
        if (old->removed == 2) {
            old->removed = 0;
            pp = &old->next;
            continue;
        }
        if (old->removed) { /* already retired, still running */
            pp = &old->next;
            continue;
        }
        if (old->running) {
            old->removed = 1; /* its worker frees it when the cycle ends */
            pp = &old->next;
            continue;
        }
        *pp = old->next;
        old->next = graveyard;
        graveyard = old;
    }
    int64_t now = time_mono_ms();
    while (fresh) {
        struct instance *nw = fresh;
        fresh = nw->next;
        nw->next_due = now;
        nw->next = keep;
        keep = nw;
    }
    while (keep) {
        struct instance *nw = keep;
        keep = nw->next;
        nw->next = s->list;
        s->list = nw;
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);

    while (graveyard) {
        struct instance *g = graveyard;
        graveyard = g->next;
        instance_free(g);
    }
    free(sp);
    return 0;
oom:
    while (fresh) {
        struct instance *g = fresh;
        fresh = g->next;
        instance_free(g);
    }
    free(sp);
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int cmp_item_id(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "id")),
                  json_string_value(json_object_get(y, "id")));
}

static const char *instance_state(const struct instance *in)
{
    if (!in->enabled)
        return "disabled";
    return in->consecutive_failures > 0 ? "failing" : "ok";
}

json_t *scheduler_status(struct scheduler *s)
{
    json_t *tmp[SCHED_MAX_INSTANCES] = {0};
    size_t n = 0;
    pthread_mutex_lock(&s->mu);
    int64_t now = time_mono_ms();
    for (struct instance *in = s->list; in && n < SCHED_MAX_INSTANCES; in = in->next) {
        if (in->removed)
            continue;
        char when[32];
        json_t *it = json_object();
        json_object_set_new(it, "id", json_string(in->id));
        json_object_set_new(it, "kind", json_string(in->ops->name));
        json_object_set_new(it, "state", json_string(instance_state(in)));
        if (in->runs) {
            time_format_rfc3339(in->last_run_wall, when, sizeof when);
            json_object_set_new(it, "last_run", json_string(when));
        } else {
            json_object_set_new(it, "last_run", json_null());
        }
        json_object_set_new(it, "last_error",
                            in->last_error[0] ? json_string(in->last_error) : json_null());
        json_object_set_new(it, "runs", json_integer((json_int_t)in->runs));
        json_object_set_new(it, "failures", json_integer((json_int_t)in->failures));
        json_object_set_new(it, "findings",
                            json_integer((json_int_t)atomic_load(&in->findings)));
        json_object_set_new(it, "consecutive_failures",
                            json_integer(in->consecutive_failures));
        json_object_set_new(it, "interval_ms", json_integer(in->interval_ms));
        json_object_set_new(it, "next_run_in_ms",
                            in->enabled ? json_integer(in->next_due > now ? in->next_due - now : 0)
                                        : json_null());
        json_object_set_new(it, "last_duration_ms", json_integer(in->last_duration_ms));
        json_object_set_new(it, "overruns", json_integer((json_int_t)in->overruns));
        json_object_set_new(it, "running_for_ms",
                            in->running ? json_integer(now - in->running_since) : json_null());
        tmp[n++] = it;
    }
    pthread_mutex_unlock(&s->mu);
    qsort(tmp, n, sizeof tmp[0], cmp_item_id);
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, tmp[i]);
    json_t *out = json_object();
    json_object_set_new(out, "items", items);
    return out;
}

void scheduler_kick(struct scheduler *s)
{
    pthread_mutex_lock(&s->mu);
    int64_t now = time_mono_ms();
    for (struct instance *in = s->list; in; in = in->next)
        if (in->next_due > now)
            in->next_due = now;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int scheduler_wait_cycles(struct scheduler *s, unsigned long cycles, int timeout_ms)
{
    int64_t deadline = time_mono_ms() + timeout_ms;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        int done = 1;
        for (struct instance *in = s->list; in; in = in->next)
            if (in->enabled && !in->removed && in->runs < cycles)
                done = 0;
        if (done) {
            pthread_mutex_unlock(&s->mu);
            return 0;
        }
        if (time_mono_ms() >= deadline) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        cond_wait_until(s, deadline);
    }
}
