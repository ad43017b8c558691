/* The logfile source: follows log files by glob and runs the log signatures
 * over what they gain between cycles.
 *
 * Per cycle: expand the globs; match each file to a track by (dev, inode);
 * read every track from its offset, in big chunks of whole lines, within a
 * byte budget; scan each chunk with all rules in one pass; count matches per
 * (rule, correlation key) in their windows; emit a finding with a log_excerpt
 * when a window reaches its rule's threshold, and a resolved finding when it
 * has emptied; save the offsets if they moved.
 *
 * Rotation: a renamed file keeps its inode, so its track follows it under the
 * new name (or, once no glob shows it, is read to its end for two more cycles
 * in case the writer has not reopened yet, then closed). The new file under
 * the old name is a new inode and is read from its start. Truncation in place
 * (copytruncate) shows as a size below the offset: read again from 0.
 *
 * Restart: offsets live in <state_dir>/logfile-<id>.offsets.json. The very
 * first start (no offsets file) begins existing files at their end, so old
 * history does not raise incidents, unless read_from_head; every file seen
 * later starts at 0.
 */
#include "sources/logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileroots.h"
#include "core/logsig.h"
#include "core/logwin.h"
#include "core/redact.h"
#include "sources/logread.h"
#include "sources/logrules.h"
#include "sources/source.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timeutil.h"

#define MAX_GLOBS 32
#define GONE_CYCLES 2
/* Per instance, held between cycles: big enough that per-scan overhead is
 * noise (a few hundred ns per MiB), small enough for 64 log sources. */
#define LOGFILE_READ_BUFFER (1u << 20)

struct logfile {
    char id[65];
    char host[256];
    char *globs[MAX_GLOBS];
    char *file_roots; /* policy sources: matched files must resolve under these; NULL: any */
    size_t nglobs;
    char *state_path;          /* NULL: offsets kept in memory only */
    int read_from_head;
    int fresh_start;           /* no offsets file at the first cycle */
    uint64_t max_bytes;        /* per cycle, all files together */
    size_t max_files;
    unsigned context_lines;
    struct logsig_set *own_set; /* from the instance's own "rules", else the policy's */
    struct logrules_slot *rules; /* the rules in force when there is no own_set */
    struct logsig_scanner *sc;
    struct logread *rd;
    struct logwin *win;
    struct logfile_track *tracks;
    size_t ntracks;
    size_t rr;                  /* round-robin start, so one busy file cannot starve the rest */
    int dirty;
    /* On /metrics, labelled with the instance id (and the rule for matches). */
    struct metric_series *m_bytes, *m_files, *m_dropped;
    struct metric *m_matches;
    uint64_t dropped_seen;
    /* The cycle in progress, for the callbacks. */
    const struct finding_sink *sink;
    const struct logsig_set *set;
    const struct logfile_track *cur;
    uint64_t chunk_base;
    int64_t now_ms;
};

static void track_free(struct logfile_track *t)
{
    if (t->fd >= 0)
        close(t->fd);
    free(t->path);
}

static void lf_destroy(void *instance)
{
    struct logfile *lf = instance;
    if (!lf)
        return;
    if (lf->dirty && lf->state_path) {
        /* A policy change replaces the instance: keep what it had read. */
        char serr[512];
        if (logfile_state_save(lf->state_path, lf->tracks, lf->ntracks, serr, sizeof serr) != 0)
            log_warn("logfile", "source %s: saving offsets: %s", lf->id, serr);
    }
    for (size_t i = 0; i < lf->nglobs; i++)
        free(lf->globs[i]);
    for (size_t i = 0; i < lf->ntracks; i++)
        track_free(&lf->tracks[i]);
    free(lf->tracks);
    free(lf->state_path);
    free(lf->file_roots);
    logsig_set_destroy(lf->own_set);
    logsig_scanner_destroy(lf->sc);
    logread_destroy(lf->rd);
    logwin_destroy(lf->win);
    free(lf);
}

/* Families are registered once per registry; series per instance id. */
static void metrics_attach(struct logfile *lf, struct metrics *reg)
{
    static const char *const by_id[] = {"id", NULL};
    static const char *const by_id_rule[] = {"id", "rule", NULL};
    const char *const id[] = {lf->id, NULL};
    lf->m_bytes = metric_series_get(
        metrics_counter(reg, "srebot_logfile_bytes_read_total",
                        "bytes of log files read by the log detector", by_id),
        id);
    lf->m_files = metric_series_get(
        metrics_gauge(reg, "srebot_logfile_files", "log files followed", by_id), id);
    lf->m_dropped = metric_series_get(
        metrics_counter(reg, "srebot_logfile_keys_dropped_total",
                        "matches not counted because the window table was full", by_id),
        id);
    lf->m_matches = metrics_counter(reg, "srebot_logfile_matches_total",
                                    "lines matched, per log rule", by_id_rule);
}

static int config_uint(const json_t *config, const char *key, long long min, long long max,
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

/* Config: {"id", "paths":[globs], "file_roots"?, "state_dir"?, "read_from_head"?,
 * "max_bytes_per_cycle"?, "max_files"?, "context_lines"?, "max_keys"?,
 * "rules"? or "detector_rules"? (the policy's format; default: the rules in
 * force, see logrules.h)}.
 * Other keys belong to the scheduler and are ignored here. */
static int lf_init(const json_t *config, void *deps, void **instance, char *err, size_t errlen)
{
    const struct source_deps *d = deps;
    struct logfile *lf = calloc(1, sizeof *lf);
    if (!lf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    lf->rules = d->rules;
    const char *id = json_string_value(json_object_get(config, "id"));
    if (!id)
        id = "logfile";
    if (strlen(id) >= sizeof lf->id) {
        snprintf(err, errlen, "/id: at most %zu bytes", sizeof lf->id - 1);
        goto fail;
    }
    snprintf(lf->id, sizeof lf->id, "%s", id);
    if (gethostname(lf->host, sizeof lf->host) != 0)
        snprintf(lf->host, sizeof lf->host, "localhost");
    lf->host[sizeof lf->host - 1] = '\0';
    json_t *paths = json_object_get(config, "paths");
    if (!json_is_array(paths) || json_array_size(paths) == 0 ||
        json_array_size(paths) > MAX_GLOBS) {
        snprintf(err, errlen, "/paths: must be an array of 1 to %d globs", MAX_GLOBS);
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(paths); i++) {
        const char *g = json_string_value(json_array_get(paths, i));
        if (!g || !*g || strlen(g) > 1024) {
            snprintf(err, errlen, "/paths/%zu: must be a non-empty glob of at most 1024 bytes", i);
            goto fail;
        }
        if (!(lf->globs[lf->nglobs++] = strdup(g)))
            goto oom;
    }
    const char *roots = json_string_value(json_object_get(config, "file_roots"));
    if (roots && !(lf->file_roots = strdup(roots)))
        goto oom;
    const char *state_dir = json_string_value(json_object_get(config, "state_dir"));
    if (state_dir && *state_dir) {
        size_t n = strlen(state_dir) + strlen(lf->id) + 32;
        if (!(lf->state_path = malloc(n)))
            goto oom;
        snprintf(lf->state_path, n, "%s/logfile-%s.offsets.json", state_dir, lf->id);
    }
    lf->read_from_head = json_is_true(json_object_get(config, "read_from_head"));
    long long v;
    if (config_uint(config, "max_bytes_per_cycle", 4096, 1LL << 32, 64LL << 20, &v, err,
                    errlen) != 0)
        goto fail;
    lf->max_bytes = (uint64_t)v;
    if (config_uint(config, "max_files", 1, 4096, 128, &v, err, errlen) != 0)
        goto fail;
    lf->max_files = (size_t)v;
    if (config_uint(config, "context_lines", 0, 10, 2, &v, err, errlen) != 0)
        goto fail;
    lf->context_lines = (unsigned)v;
    long long max_keys;
    if (config_uint(config, "max_keys", 1, 1000000, 4096, &max_keys, err, errlen) != 0)
        goto fail;
    /* "detector_rules" is how the sources worker passes the policy's rules. */
    json_t *rules = json_object_get(config, "rules");
    if (!rules)
        rules = json_object_get(config, "detector_rules");
    if (rules) {
        struct problems *p = problems_create();
        if (!p)
            goto oom;
        int bad = logsig_compile(rules, "/rules", 0, &lf->own_set, p) != 0;
        if (bad)
            snprintf(err, errlen, "%s: %s", p->items[0].path, p->items[0].message);
        problems_destroy(p);
        if (bad)
            goto fail;
    }
    if (logsig_scanner_create(&lf->sc) != 0 ||
        logread_create(LOGFILE_READ_BUFFER, &lf->rd) != 0 ||
        logwin_create((size_t)max_keys, &lf->win) != 0 ||
        !(lf->tracks = calloc(lf->max_files, sizeof *lf->tracks)))
        goto oom;
    metrics_attach(lf, d->metrics);
    lf->fresh_start = 1;
    if (lf->state_path) {
        struct logfile_track *saved = NULL;
        size_t n = 0;
        int existed = 0;
        char serr[512];
        if (logfile_state_load(lf->state_path, &saved, &n, &existed, serr, sizeof serr) != 0) {
            /* Damaged offsets: start afresh rather than not at all, and say so. */
            log_warn("logfile", "source %s: ignoring offsets: %s", lf->id, serr);
        } else {
            lf->fresh_start = !existed;
            for (size_t i = 0; i < n; i++) {
                if (lf->ntracks < lf->max_files)
                    lf->tracks[lf->ntracks++] = saved[i];
                else
                    free(saved[i].path);
            }
            free(saved);
        }
    }
    *instance = lf;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    lf_destroy(lf);
    return -1;
}

static struct logfile_track *track_find(struct logfile *lf, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < lf->ntracks; i++)
        if (lf->tracks[i].dev == dev && lf->tracks[i].ino == ino)
            return &lf->tracks[i];
    return NULL;
}

/* Globs -> tracks. Returns the number of files it could not take on. */
static unsigned discover(struct logfile *lf, char *err, size_t errlen)
{
    unsigned failed = 0;
    for (size_t i = 0; i < lf->ntracks; i++)
        lf->tracks[i].seen = 0;
    for (size_t g = 0; g < lf->nglobs; g++) {
        glob_t gl;
        int grc = glob(lf->globs[g], GLOB_NOSORT, NULL, &gl);
        if (grc == GLOB_NOMATCH)
            continue;
        if (grc != 0) {
            snprintf(err, errlen, "glob %s failed", lf->globs[g]);
            failed++;
            continue;
        }
        for (size_t k = 0; k < gl.gl_pathc; k++) {
            const char *path = gl.gl_pathv[k];
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                continue;
            char real[PATH_MAX];
            if (lf->file_roots &&
                (!realpath(path, real) || !fileroots_allows(lf->file_roots, real))) {
                snprintf(err, errlen, "%s is not under the allowed file roots", path);
                failed++;
                continue;
            }
            struct logfile_track *t = track_find(lf, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
            if (t) {
                if (strcmp(t->path, path) != 0) {
                    char *np = strdup(path);
                    if (np) {
                        free(t->path);
                        t->path = np;
                        lf->dirty = 1;
                    }
                }
            } else {
                if (lf->ntracks >= lf->max_files) {
                    snprintf(err, errlen, "more than max_files=%zu files match", lf->max_files);
                    failed++;
                    continue;
                }
                t = &lf->tracks[lf->ntracks];
                memset(t, 0, sizeof *t);
                if (!(t->path = strdup(path)))
                    continue;
                lf->ntracks++;
                t->dev = (uint64_t)st.st_dev;
                t->ino = (uint64_t)st.st_ino;
                t->fd = -1;
                t->offset = lf->fresh_start && !lf->read_from_head ? (uint64_t)st.st_size : 0;
                lf->dirty = 1;
            }
            t->seen = 1;
            t->gone = 0;
        }
        globfree(&gl);
    }
    return failed;
}

static void add_identity(json_t *f, const struct logfile *lf, const char *rule_id,
                         const char *key, int64_t at_ms, const char *status)
{
    /* A stable id per firing, so a retried delivery is one finding (idempotent ingest). */
    char seed[1024], hex[SHA256_HEX_LEN];
    int n = snprintf(seed, sizeof seed, "%s|%s|%s|%lld|%s", lf->id, rule_id, key,
                     (long long)at_ms, status);
    crypto_sha256_hex(seed, n > 0 ? (size_t)n : 0, hex);
    char id[48];
    snprintf(id, sizeof id, "log-%.32s", hex);
    json_object_set_new(f, "id", json_string(id));
}

static void emit_firing(struct logfile *lf, const struct logwin_entry *e,
                        const struct logsig_match *m)
{
    char clean[256], line[256], summary[512], ts[32];
    size_t n = logsig_sanitize(clean, sizeof clean, m->buf + m->line_start,
                               m->line_end - m->line_start);
    redact_secrets(line, sizeof line, clean, n); /* the summary is read by viewers */
    unsigned count = logwin_count(e, lf->now_ms);
    snprintf(summary, sizeof summary, "%s: %u match%s in %us in %s: %s", e->rule_id, count,
             count == 1 ? "" : "es", e->window_seconds, lf->cur->path, line);
    char safe_summary[512];
    logsig_sanitize(safe_summary, sizeof safe_summary, summary, strlen(summary));
    time_format_rfc3339(lf->now_ms, ts, sizeof ts);
    json_t *data = json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "rule", e->rule_id, "pattern",
                             m->rule->pattern, "file", lf->cur->path, "window_seconds",
                             (int)e->window_seconds, "matches", (int)count, "lines",
                             logwin_excerpts(e));
    char evsum[160];
    snprintf(evsum, sizeof evsum, "last %u matching lines with context", e->snip_count);
    json_t *f = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:i, s:i, s:i}, s:[{s:s, s:s, s:o}]}",
        "source", lf->id, "class", e->class, "correlation_key", e->key, "severity", e->severity,
        "status", "firing", "summary", safe_summary, "observed_at", ts, "attributes", "rule",
        e->rule_id, "file", lf->cur->path, "matches", (int)count, "window_seconds",
        (int)e->window_seconds, "threshold", (int)e->threshold, "evidence", "type",
        "log_excerpt", "summary", evsum, "data", data);
    if (!f) {
        log_warn("logfile", "source %s: could not build a finding for %s", lf->id, e->rule_id);
        return;
    }
    add_identity(f, lf, e->rule_id, e->key, lf->now_ms, "firing");
    lf->sink->emit(lf->sink->ctx, f);
}

static void emit_resolved(void *ctx, const struct logwin_entry *e)
{
    struct logfile *lf = ctx;
    char summary[512], ts[32];
    snprintf(summary, sizeof summary, "%s: no match in the last %us", e->rule_id,
             e->window_seconds);
    time_format_rfc3339(lf->now_ms, ts, sizeof ts);
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "source", lf->id,
                          "class", e->class, "correlation_key", e->key, "severity", e->severity,
                          "status", "resolved", "summary", summary, "observed_at", ts,
                          "attributes", "rule", e->rule_id);
    if (!f)
        return;
    add_identity(f, lf, e->rule_id, e->key, lf->now_ms, "resolved");
    lf->sink->emit(lf->sink->ctx, f);
}

static int on_match(void *ctx, const struct logsig_match *m)
{
    struct logfile *lf = ctx;
    const struct logsig_rule *r = m->rule;
    struct logsig_key_vars vars = {lf->id, r->id, lf->cur->path, r->class, lf->host};
    char key[512];
    if (logsig_key_expand(r->key_template, &vars, key, sizeof key) != 0)
        snprintf(key, sizeof key, "%s:%s", lf->id, r->id); /* the result was too long */
    size_t cs, ce;
    logsig_context(m->buf, m->len, m->line_start, m->line_end, lf->context_lines,
                   lf->context_lines, &cs, &ce);
    struct logwin_hit h = {r->id,   key,          r->class,     r->severity,
                           r->window_seconds, r->threshold, m->buf + cs, ce - cs,
                           lf->cur->path, lf->chunk_base + m->line_start};
    metric_inc(metric_series_get(lf->m_matches, (const char *const[]){lf->id, r->id, NULL}));
    const struct logwin_entry *e = NULL;
    if (logwin_hit(lf->win, &h, lf->now_ms, &e) == LOGWIN_FIRE)
        emit_firing(lf, e, m);
    return 0;
}

static int on_chunk(void *ctx, const char *buf, size_t len, uint64_t base)
{
    struct logfile *lf = ctx;
    lf->chunk_base = base;
    if (logsig_scan(lf->set, lf->sc, buf, len, on_match, lf) < 0)
        log_warn("logfile", "source %s: scan failed in %s", lf->id, lf->cur->path);
    return 0;
}

/* A rotated file outside the globs: ask the kernel for its current name, so
 * evidence names the file where the lines now are (app.log.1, not app.log). */
static void learn_new_name(struct logfile_track *t)
{
    char link[64], name[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", t->fd);
    ssize_t n = readlink(link, name, sizeof name - 1);
    if (n <= 0 || name[0] != '/')
        return;
    name[n] = '\0';
    if (strcmp(name, t->path) == 0)
        return;
    char *np = strdup(name);
    if (np) {
        free(t->path);
        t->path = np;
    }
}

/* Reads one track as far as the budget allows. Returns 0, or -1 with err. */
static int follow(struct logfile *lf, struct logfile_track *t, uint64_t *budget, char *err,
                  size_t errlen)
{
    int final = 0;
    if (!t->seen) {
        /* Rotated away or deleted: drain what the writer may still add, then let go. */
        if (t->fd < 0)
            return 0;
        final = ++t->gone > GONE_CYCLES;
        learn_new_name(t);
    }
    if (t->fd < 0) {
        int fd = open(t->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
            return -1;
        }
        t->fd = fd;
    }
    struct stat st;
    if (fstat(t->fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
        return -1;
    }
    if ((uint64_t)st.st_dev != t->dev || (uint64_t)st.st_ino != t->ino) {
        /* Replaced between the glob and the open: the next cycle tracks the new file. */
        close(t->fd);
        t->fd = -1;
        return 0;
    }
    if ((uint64_t)st.st_size < t->offset) {
        log_info("logfile", "source %s: %s was truncated (%lld < %llu bytes); reading from 0",
                 lf->id, t->path, (long long)st.st_size, (unsigned long long)t->offset);
        t->offset = 0;
        lf->dirty = 1;
    }
    if ((uint64_t)st.st_size > t->offset && *budget > 0) {
        uint64_t before = t->offset;
        lf->cur = t;
        int rc = logread_fd(lf->rd, t->fd, &t->offset, *budget, final, on_chunk, lf);
        uint64_t used = t->offset - before;
        *budget = used >= *budget ? 0 : *budget - used;
        metric_add(lf->m_bytes, used);
        if (used)
            lf->dirty = 1;
        if (rc != 0) {
            snprintf(err, errlen, "%s: %s", t->path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Forgets tracks that are gone for good (closed after their last drain, or
 * restored from the offsets file but no longer on disk). */
static void prune(struct logfile *lf)
{
    size_t w = 0;
    for (size_t i = 0; i < lf->ntracks; i++) {
        struct logfile_track *t = &lf->tracks[i];
        if (!t->seen && (t->fd < 0 || t->gone > GONE_CYCLES)) {
            track_free(t);
            lf->dirty = 1;
            continue;
        }
        lf->tracks[w++] = *t;
    }
    lf->ntracks = w;
}

static int lf_run(void *instance, int64_t now_ms, const struct finding_sink *sink, char *err,
                  size_t errlen)
{
    struct logfile *lf = instance;
    struct logrules *held = NULL;
    lf->set = lf->own_set;
    if (!lf->set) {
        held = logrules_acquire(lf->rules);
        lf->set = held ? held->set : NULL;
    }
    lf->sink = sink;
    lf->now_ms = now_ms;
    err[0] = '\0';
    unsigned failed = discover(lf, err, errlen);
    uint64_t budget = lf->max_bytes;
    size_t n = lf->ntracks;
    for (size_t k = 0; k < n; k++) {
        struct logfile_track *t = &lf->tracks[(lf->rr + k) % n];
        char ferr[512];
        if (follow(lf, t, &budget, ferr, sizeof ferr) != 0) {
            failed++;
            snprintf(err, errlen, "%s", ferr);
        }
    }
    if (n)
        lf->rr = (lf->rr + 1) % n;
    prune(lf);
    lf->fresh_start = 0;
    metric_set(lf->m_files, (double)lf->ntracks);
    uint64_t dropped = logwin_dropped(lf->win);
    metric_add(lf->m_dropped, dropped - lf->dropped_seen);
    lf->dropped_seen = dropped;
    logwin_expire(lf->win, now_ms, emit_resolved, lf);
    if (lf->dirty && lf->state_path) {
        char serr[512];
        if (logfile_state_save(lf->state_path, lf->tracks, lf->ntracks, serr, sizeof serr) == 0)
            lf->dirty = 0;
        else {
            failed++;
            snprintf(err, errlen, "saving offsets: %s", serr);
        }
    }
    lf->set = NULL;
    lf->cur = NULL;
    logrules_release(lf->rules, held);
    /* Every readable file was still read: one broken file costs the instance
     * a backoff, never the other files' data. */
    return failed ? -1 : 0;
}

const struct source_ops source_logfile = {
    .name = "logfile",
    .description = "follows log files by glob and matches log signatures",
    .init = lf_init,
    .run = lf_run,
    .destroy = lf_destroy,
    .default_interval_ms = 5000,
};
