/* The logfile source: follows log files by glob and runs the log signatures
 * over what they gain between cycles.
 *
 * Per cycle: expand the globs; match each file to a track by (dev, inode);
 * read every track from its offset, in big chunks of whole lines, within a
 * byte budget; hand each chunk to the log detector (logdetect.c: all rules in
 * one pass, windows per (rule, correlation key), findings with a log_excerpt,
 * resolved findings when a window empties); save the offsets if they moved.
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
#include "sources/logdetect.h"
#include "sources/logread.h"
#include "sources/logrules.h"
#include "sources/source.h"
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
    char *globs[MAX_GLOBS];
    char *file_roots; /* policy sources: matched files must resolve under these; NULL: any */
    size_t nglobs;
    char *state_path;          /* NULL: offsets kept in memory only */
    int read_from_head;
    int fresh_start;           /* no offsets file at the first cycle */
    uint64_t max_bytes;        /* per cycle, all files together */
    size_t max_files;
    struct logdetect *det;     /* the signatures, windows and findings (logdetect.c) */
    struct logread *rd;
    struct logfile_track *tracks;
    size_t ntracks;
    size_t rr;                  /* round-robin start, so one busy file cannot starve the rest */
    int dirty;
    /* On /metrics, labelled with the instance id. */
    struct metric_series *m_bytes, *m_files;
    const struct logfile_track *cur; /* the track being read, for on_chunk */
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
    logdetect_destroy(lf->det);
    logread_destroy(lf->rd);
    free(lf);
}

/* Families are registered once per registry; series per instance id. */
static void metrics_attach(struct logfile *lf, struct metrics *reg)
{
    static const char *const by_id[] = {"id", NULL};
    const char *const id[] = {lf->id, NULL};
    lf->m_bytes = metric_series_get(
        metrics_counter(reg, "srebot_logfile_bytes_read_total",
                        "bytes of log files read by the log detector", by_id),
        id);
    lf->m_files = metric_series_get(
        metrics_gauge(reg, "srebot_logfile_files", "log files followed", by_id), id);
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
    const char *id = json_string_value(json_object_get(config, "id"));
    if (!id)
        id = "logfile";
    if (strlen(id) >= sizeof lf->id) {
        snprintf(err, errlen, "/id: at most %zu bytes", sizeof lf->id - 1);
        goto fail;
    }
    snprintf(lf->id, sizeof lf->id, "%s", id);
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
    if (logdetect_config_uint(config, "max_bytes_per_cycle", 4096, 1LL << 32, 64LL << 20, &v,
                              err, errlen) != 0)
        goto fail;
    lf->max_bytes = (uint64_t)v;
    if (logdetect_config_uint(config, "max_files", 1, 4096, 128, &v, err, errlen) != 0)
        goto fail;
    lf->max_files = (size_t)v;
    if (logdetect_create(lf->id, config, d, &lf->det, err, errlen) != 0)
        goto fail;
    if (logread_create(LOGFILE_READ_BUFFER, &lf->rd) != 0 ||
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

static int on_chunk(void *ctx, const char *buf, size_t len, uint64_t base)
{
    struct logfile *lf = ctx;
    logdetect_scan(lf->det, lf->cur->path, buf, len, base);
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
    logdetect_begin(lf->det, now_ms, sink);
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
    logdetect_end(lf->det);
    if (lf->dirty && lf->state_path) {
        char serr[512];
        if (logfile_state_save(lf->state_path, lf->tracks, lf->ntracks, serr, sizeof serr) == 0)
            lf->dirty = 0;
        else {
            failed++;
            snprintf(err, errlen, "saving offsets: %s", serr);
        }
    }
    lf->cur = NULL;
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
