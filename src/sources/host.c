/* Host source: disk pressure per mount, CPU and memory saturation.
 *
 * Every signal goes through a hysteresis latch (src/core/hysteresis.h): a value
 * has to stay over its level for `samples` cycles to raise and under
 * its clear level for `samples` cycles to clear, so a disk at 89.9/90.1 % does not
 * open and close incidents. A raise emits a firing finding, repeated every
 * refire_seconds while it lasts (so last_seen stays fresh); a clear emits one
 * resolved finding. Each carries a metric_snapshot evidence with the numbers. */
#include "sources/host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/hysteresis.h"
#include "sources/finding.h"
#include "sources/source.h"
#include "sources/srcconf.h"

#define HOST_MAX_MOUNTS 16

#define CLASS_DISK "infrastructure.node_disk_pressure"
#define CLASS_CPU "infrastructure.node_cpu_saturation"
#define CLASS_MEM "infrastructure.node_memory_saturation"

struct signal {
    struct hysteresis h;
    int64_t last_fired_ms; /* wall time of the last firing finding */
    int unconfirmed;       /* no good sample and no raise since the instance was built */
};

struct mount_state {
    char path[256];
    struct signal space;
    struct signal inodes;
    int firing; /* either latch up */
};

struct host {
    char id[128];
    char node[128];
    struct host_readers rd;
    struct mount_state mounts[HOST_MAX_MOUNTS];
    size_t nmounts;
    struct signal cpu, mem;
    int check_cpu, check_mem;
    struct cpu_times cpu_prev;
    int have_cpu_prev;
    int64_t cpu_prev_ms;
    double disk_level, inode_level, cpu_level, mem_level, gap;
    unsigned samples;
    int64_t refire_ms;
};

static int init_signal(struct signal *s, double level, double gap, unsigned samples)
{
    s->last_fired_ms = 0;
    s->unconfirmed = 1;
    if (gap >= level)
        return -1; /* the clear level (level - gap) must stay above 0 */
    return hysteresis_init(&s->h, level, level - gap, samples, samples, HYST_HIGH_IS_BAD);
}

/* One threshold: the policy's value, else IF_SRE_<NAME>, else def. */
static double threshold(const json_t *th, const char *name, double def, double min, double max)
{
    char env[96];
    size_t i = 0;
    int n = snprintf(env, sizeof env, "IF_SRE_");
    for (; name[i] && (size_t)n + i + 1 < sizeof env; i++)
        env[(size_t)n + i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    env[(size_t)n + i] = '\0';
    return srcconf_num_env(th, name, env, def, min, max);
}

int host_instance_create(const json_t *config, const struct host_readers *readers, void **out,
                         char *err, size_t errlen)
{
    struct host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    h->rd = *readers;
    snprintf(h->id, sizeof h->id, "%s", srcconf_str(config, "id", "host"));
    const char *node = srcconf_str(config, "node", NULL);
    if (node)
        snprintf(h->node, sizeof h->node, "%s", node);
    else if (gethostname(h->node, sizeof h->node) != 0 || !h->node[0])
        snprintf(h->node, sizeof h->node, "localhost");
    h->node[sizeof h->node - 1] = '\0';

    const json_t *th = json_object_get(config, "thresholds");
    h->disk_level = threshold(th, "disk_used_percent", 90, 1, 100);
    h->inode_level = threshold(th, "inode_used_percent", 90, 1, 100);
    h->cpu_level = threshold(th, "cpu_busy_percent", 90, 1, 100);
    h->mem_level = threshold(th, "memory_used_percent", 90, 1, 100);
    h->gap = threshold(th, "host_clear_gap_percent", 5, 0, 50);
    h->samples = (unsigned)threshold(th, "host_samples", 3, 1, 100);
    h->refire_ms = (int64_t)(srcconf_num(config, "refire_seconds", 300, 1, 86400) * 1000);
    json_t *cc = json_object_get(config, "check_cpu"), *cm = json_object_get(config, "check_memory");
    h->check_cpu = cc ? json_is_true(cc) : 1;
    h->check_mem = cm ? json_is_true(cm) : 1;

    const json_t *mounts = json_object_get(config, "mounts");
    if (mounts && !json_is_array(mounts)) {
        snprintf(err, errlen, "mounts: expected an array of paths");
        free(h);
        return -1;
    }
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m) {
        const char *p = json_string_value(m);
        if (!p || p[0] != '/' || strlen(p) >= sizeof h->mounts[0].path) {
            snprintf(err, errlen, "mounts/%zu: expected an absolute path", i);
            free(h);
            return -1;
        }
        if (h->nmounts == HOST_MAX_MOUNTS) {
            snprintf(err, errlen, "mounts: at most %d", HOST_MAX_MOUNTS);
            free(h);
            return -1;
        }
        struct mount_state *ms = &h->mounts[h->nmounts++];
        snprintf(ms->path, sizeof ms->path, "%s", p);
    }
    if (!mounts) {
        snprintf(h->mounts[0].path, sizeof h->mounts[0].path, "/");
        h->nmounts = 1;
    }
    int bad = 0;
    for (i = 0; i < h->nmounts; i++) {
        bad |= init_signal(&h->mounts[i].space, h->disk_level, h->gap, h->samples);
        bad |= init_signal(&h->mounts[i].inodes, h->inode_level, h->gap, h->samples);
    }
    bad |= init_signal(&h->cpu, h->cpu_level, h->gap, h->samples);
    bad |= init_signal(&h->mem, h->mem_level, h->gap, h->samples);
    if (bad) {
        snprintf(err, errlen, "thresholds: host_clear_gap_percent must be below every level");
        free(h);
        return -1;
    }
    *out = h;
    return 0;
}

static const char *severity_for(double value)
{
    return value >= 98.0 ? "critical" : "high";
}

/* Emits a finding with one metric_snapshot evidence; data stolen. */
static void emit(struct host *h, const struct finding_sink *sink, const char *cls,
                 const char *key, const char *severity, int firing, const char *summary,
                 json_t *data, int64_t now_ms)
{
    json_t *f = finding_new(h->id, cls, key, severity, firing, summary, now_ms);
    if (!f) {
        json_decref(data);
        return;
    }
    finding_attr(f, "node", json_string(h->node));
    finding_evidence(f, "metric_snapshot", summary, data);
    sink->emit(sink->ctx, f);
}

/* Decides whether this cycle reports: on a transition, while up every refire_ms,
 * and once for the first good sample of a new instance (an incident left open
 * from before a restart or a policy change then resolves; the ledger ignores
 * the finding when there is nothing to resolve). */
static int should_report(struct signal *s, int was_up, int is_up, int good, int64_t now_ms,
                         int64_t refire_ms)
{
    if (is_up) {
        s->unconfirmed = 0;
        if (!was_up || now_ms - s->last_fired_ms >= refire_ms) {
            s->last_fired_ms = now_ms;
            return 1;
        }
        return 0;
    }
    if (was_up)
        return 1;
    if (s->unconfirmed && good) {
        s->unconfirmed = 0;
        return 1;
    }
    return 0;
}

static void check_mount(struct host *h, struct mount_state *ms, const struct fs_usage *u,
                        int64_t now_ms, const struct finding_sink *sink)
{
    double used = u->total_bytes ? 100.0 * (double)(u->total_bytes - u->avail_bytes) /
                                       (double)u->total_bytes
                                 : 0;
    double iused = u->files ? 100.0 * (double)(u->files - u->files_free) / (double)u->files : 0;
    hysteresis_update(&ms->space.h, used);
    hysteresis_update(&ms->inodes.h, iused);
    int was = ms->firing;
    int now_up = ms->space.h.firing || ms->inodes.h.firing;
    ms->firing = now_up;
    int good = used < h->disk_level - h->gap && iused < h->inode_level - h->gap;
    if (!should_report(&ms->space, was, now_up, good, now_ms, h->refire_ms))
        return;

    char key[400], summary[512];
    snprintf(key, sizeof key, "node/%s:%s", h->node, ms->path);
    if (now_up)
        snprintf(summary, sizeof summary,
                 "%s on %s: %.1f%% space used (level %.0f%%), %.1f%% inodes used (level %.0f%%)",
                 ms->path, h->node, used, h->disk_level, iused, h->inode_level);
    else
        snprintf(summary, sizeof summary, "%s on %s at %.1f%% space, %.1f%% inodes used",
                 ms->path, h->node, used, iused);
    json_t *d = json_pack("{s:s,s:s,s:f,s:f,s:I,s:I,s:I,s:I,s:f,s:f,s:f,s:f,s:i}", "node",
                          h->node, "mount", ms->path, "used_percent", used, "inode_used_percent",
                          iused, "size_bytes", (json_int_t)u->total_bytes, "free_bytes",
                          (json_int_t)u->avail_bytes, "inodes", (json_int_t)u->files,
                          "free_inodes", (json_int_t)u->files_free, "level_percent",
                          h->disk_level, "clear_percent", h->disk_level - h->gap,
                          "inode_level_percent", h->inode_level, "inode_clear_percent",
                          h->inode_level - h->gap, "samples", (int)h->samples);
    emit(h, sink, CLASS_DISK, key, severity_for(used > iused ? used : iused), now_up, summary, d,
         now_ms);
}

static void check_scalar(struct host *h, struct signal *s, const char *cls, const char *what,
                         double value, double level, json_t *data, int64_t now_ms,
                         const struct finding_sink *sink)
{
    int was = s->h.firing;
    hysteresis_update(&s->h, value);
    if (!should_report(s, was, s->h.firing, value < level - h->gap, now_ms, h->refire_ms)) {
        json_decref(data);
        return;
    }
    char key[200], summary[512];
    snprintf(key, sizeof key, "node/%s", h->node);
    if (s->h.firing)
        snprintf(summary, sizeof summary, "%s on %s at %.1f%% (level %.0f%%)", what, h->node,
                 value, level);
    else
        snprintf(summary, sizeof summary, "%s on %s at %.1f%%", what, h->node, value);
    emit(h, sink, cls, key, s->h.firing ? severity_for(value) : "info", s->h.firing, summary,
         data, now_ms);
}

static int host_run(void *inst, int64_t now_ms, const struct finding_sink *sink, char *err,
                    size_t errlen)
{
    struct host *h = inst;
    int failed = 0;
    unsigned long seen[HOST_MAX_MOUNTS];
    size_t nseen = 0;
    for (size_t i = 0; i < h->nmounts; i++) {
        struct fs_usage u;
        char e[200] = "";
        if (h->rd.fs(h->rd.ctx, h->mounts[i].path, &u, e, sizeof e) != 0) {
            if (!failed)
                snprintf(err, errlen, "%s", e); /* report the first; keep checking the rest */
            failed = 1;
            continue;
        }
        int dup = 0;
        for (size_t j = 0; j < nseen; j++)
            dup |= seen[j] == u.fsid && u.fsid != 0;
        if (dup)
            continue;
        seen[nseen++] = u.fsid;
        check_mount(h, &h->mounts[i], &u, now_ms, sink);
    }
    if (h->check_cpu) {
        struct cpu_times t;
        char e[200] = "";
        if (h->rd.cpu(h->rd.ctx, &t, e, sizeof e) != 0) {
            if (!failed)
                snprintf(err, errlen, "%s", e);
            failed = 1;
        } else {
            if (h->have_cpu_prev) {
                double busy = procfs_cpu_busy_percent(&h->cpu_prev, &t);
                if (busy >= 0) {
                    json_t *d = json_pack("{s:s,s:f,s:I,s:f,s:f,s:i}", "node", h->node,
                                          "busy_percent", busy, "window_ms",
                                          (json_int_t)(now_ms - h->cpu_prev_ms), "level_percent",
                                          h->cpu_level, "clear_percent", h->cpu_level - h->gap,
                                          "samples",
                                          (int)h->samples);
                    check_scalar(h, &h->cpu, CLASS_CPU, "CPU busy", busy, h->cpu_level, d,
                                 now_ms, sink);
                }
            }
            h->cpu_prev = t;
            h->cpu_prev_ms = now_ms;
            h->have_cpu_prev = 1;
        }
    }
    if (h->check_mem) {
        struct mem_info m;
        char e[200] = "";
        if (h->rd.mem(h->rd.ctx, &m, e, sizeof e) != 0) {
            if (!failed)
                snprintf(err, errlen, "%s", e);
            failed = 1;
        } else {
            double used = 100.0 * (double)(m.total_kb - m.available_kb) / (double)m.total_kb;
            json_t *d = json_pack("{s:s,s:f,s:I,s:I,s:f,s:f,s:i}", "node", h->node,
                                  "used_percent", used, "mem_total_kb", (json_int_t)m.total_kb,
                                  "mem_available_kb", (json_int_t)m.available_kb,
                                  "level_percent", h->mem_level, "clear_percent", h->mem_level - h->gap,
                                  "samples", (int)h->samples);
            check_scalar(h, &h->mem, CLASS_MEM, "Memory used", used, h->mem_level, d, now_ms,
                         sink);
        }
    }
    return failed ? -1 : 0;
}

static int host_init(const json_t *config, void *deps, void **instance, char *err, size_t errlen)
{
    (void)deps; /* the host source reads /proc and statvfs only */
    return host_instance_create(config, &host_readers_system, instance, err, errlen);
}

static void host_destroy(void *inst)
{
    free(inst);
}

const struct source_ops source_host = {
    .name = "host",
    .description = "Disk pressure per mount, CPU and memory saturation of this machine",
    .init = host_init,
    .run = host_run,
    .destroy = host_destroy,
    .default_interval_ms = 15000,
};
