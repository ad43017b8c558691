/* The journal source: the systemd journal as a log source, next to files.
 *
 * Per cycle it runs `journalctl -o json --no-pager --quiet` (posix_spawnp: no
 * shell; journalctl is looked up on PATH) for the configured units, from just
 * after the last entry it handled (--after-cursor) or, on the very first
 * start, from now (--since=@<now>: old history does not raise incidents).
 * It reads at most max_entries entries of at most JOURNAL_LINE_MAX bytes each
 * within timeout_ms, then stops the child; the next cycle continues from the
 * last handled cursor, which is kept in <state_dir>/journal-<id>.cursor so a
 * restart resumes where the last run stopped. The MESSAGE of each entry goes
 * through the log detector (logdetect.c) in chunks of consecutive entries of
 * one unit, origin "journal:<unit>".
 *
 * Reading through journalctl, not sd-journal: no libsystemd at build time, and
 * the journal's own tool keeps up with its file format. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sources/journal_entry.h"
#include "sources/logdetect.h"
#include "sources/source.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timeutil.h"

extern char **environ;

#define JOURNAL_MAX_UNITS 32
#define CHUNK_MAX (256u * 1024)

struct journal {
    char id[65];
    char *units[JOURNAL_MAX_UNITS];
    size_t nunits;
    char *cursor_path; /* NULL: the cursor is kept in memory only */
    char cursor[JOURNAL_CURSOR_MAX + 1];
    int64_t since_ms; /* no cursor yet: read from the first run's time */
    long long max_entries, timeout_ms;
    struct logdetect *det;
    /* the chunk being gathered: consecutive messages of one unit */
    char *chunk;
    size_t used;
    char origin[300];
    struct metric_series *m_entries, *m_skipped;
};

static void jr_destroy(void *instance)
{
    struct journal *j = instance;
    if (!j)
        return;
    for (size_t i = 0; i < j->nunits; i++)
        free(j->units[i]);
    free(j->cursor_path);
    free(j->chunk);
    logdetect_destroy(j->det);
    free(j);
}

/* A unit name as systemd spells them: [A-Za-z0-9:_.@\-], at most 256 bytes. */
static int unit_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr(":_.@-\\", s[i])))
            return 0;
    return 1;
}

static int load_cursor(struct journal *j)
{
    FILE *f = j->cursor_path ? fopen(j->cursor_path, "r") : NULL;
    if (!f)
        return 0;
    size_t n = fread(j->cursor, 1, sizeof j->cursor - 1, f);
    fclose(f);
    while (n > 0 && (j->cursor[n - 1] == '\n' || j->cursor[n - 1] == ' '))
        n--;
    j->cursor[n] = '\0';
    return n > 0;
}

/* Written aside, synced, renamed: a crash leaves the old cursor or the new. */
static int save_cursor(const struct journal *j, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", j->cursor_path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(j->cursor);
    if (fd < 0 || write(fd, j->cursor, n) != (ssize_t)n || fsync(fd) != 0 || close(fd) != 0 ||
        rename(tmp, j->cursor_path) != 0) {
        snprintf(err, errlen, "saving the cursor to %s: %s", j->cursor_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return 0;
}

/* Config: {"id", "units"? (default: all), "state_dir"?, "max_entries"?,
 * "timeout_ms"?, and the detector's "context_lines"?, "max_keys"?, "rules"? /
 * "detector_rules"?}. */
static int jr_init(const json_t *config, void *deps, void **instance, char *err, size_t errlen)
{
    struct journal *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *id = json_string_value(json_object_get(config, "id"));
    if (!id)
        id = "journal";
    if (strlen(id) >= sizeof j->id) {
        snprintf(err, errlen, "/id: at most %zu bytes", sizeof j->id - 1);
        goto fail;
    }
    snprintf(j->id, sizeof j->id, "%s", id);
    const json_t *units = json_object_get(json_object_get(config, "journal"), "units");
    if (!units)
        units = json_object_get(config, "units");
    if (units && (!json_is_array(units) || json_array_size(units) > JOURNAL_MAX_UNITS)) {
        snprintf(err, errlen, "/journal/units: at most %d unit names", JOURNAL_MAX_UNITS);
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(units); i++) {
        const char *u = json_string_value(json_array_get(units, i));
        if (!u || !unit_ok(u)) {
            snprintf(err, errlen, "/journal/units/%zu: not a unit name", i);
            goto fail;
        }
        if (!(j->units[j->nunits++] = strdup(u)))
            goto oom;
    }
    if (logdetect_config_uint(config, "max_entries", 1, 1000000, 10000, &j->max_entries, err,
                              errlen) != 0 ||
        logdetect_config_uint(config, "timeout_ms", 100, 60000, 10000, &j->timeout_ms, err,
                              errlen) != 0)
        goto fail;
    const char *state_dir = json_string_value(json_object_get(config, "state_dir"));
    if (state_dir && *state_dir) {
        size_t n = strlen(state_dir) + strlen(j->id) + 32;
        if (!(j->cursor_path = malloc(n)))
            goto oom;
        snprintf(j->cursor_path, n, "%s/journal-%s.cursor", state_dir, j->id);
    }
    const struct source_deps *d = deps;
    if (logdetect_create(j->id, config, d, &j->det, err, errlen) != 0)
        goto fail;
    if (!(j->chunk = malloc(CHUNK_MAX)))
        goto oom;
    static const char *const by_id[] = {"id", NULL};
    const char *const idv[] = {j->id, NULL};
    j->m_entries = metric_series_get(
        metrics_counter(d->metrics, "srebot_journal_entries_total",
                        "journal entries read by the journal source", by_id),
        idv);
    j->m_skipped = metric_series_get(
        metrics_counter(d->metrics, "srebot_journal_entries_skipped_total",
                        "journal lines skipped (too long or not a journal entry)", by_id),
        idv);
    load_cursor(j);
    *instance = j;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    jr_destroy(j);
    return -1;
}

static void flush_chunk(struct journal *j)
{
    if (j->used)
        logdetect_scan(j->det, j->origin, j->chunk, j->used, 0);
    j->used = 0;
}

static void handle_entry(struct journal *j, const struct journal_entry *e)
{
    snprintf(j->cursor, sizeof j->cursor, "%s", e->cursor);
    metric_inc(j->m_entries);
    if (!e->has_message || !e->message[0])
        return;
    char origin[300];
    snprintf(origin, sizeof origin, "journal:%s", e->unit[0] ? e->unit : "unknown");
    size_t n = strlen(e->message);
    if (strcmp(origin, j->origin) != 0 || j->used + n + 1 > CHUNK_MAX) {
        flush_chunk(j);
        snprintf(j->origin, sizeof j->origin, "%s", origin);
    }
    memcpy(j->chunk + j->used, e->message, n);
    j->used += n;
    j->chunk[j->used++] = '\n';
}

/* The argument list: journalctl -o json ... (strings owned by buf). */
static size_t build_argv(const struct journal *j, char *after, size_t afterlen,
                         const char **argv)
{
    size_t n = 0;
    argv[n++] = "journalctl";
    argv[n++] = "-o";
    argv[n++] = "json";
    argv[n++] = "--no-pager";
    argv[n++] = "--quiet";
    argv[n++] = "--output-fields=MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER";
    if (j->cursor[0])
        snprintf(after, afterlen, "--after-cursor=%s", j->cursor);
    else
        snprintf(after, afterlen, "--since=@%lld", (long long)(j->since_ms / 1000));
    argv[n++] = after;
    for (size_t i = 0; i < j->nunits; i++) {
        argv[n++] = "-u";
        argv[n++] = j->units[i];
    }
    argv[n] = NULL;
    return n;
}

/* Runs journalctl and hands every entry to handle_entry. 0, or -1 with err. */
static int read_journal(struct journal *j, char *err, size_t errlen)
{
    const char *argv[16 + 2 * JOURNAL_MAX_UNITS];
    char after[JOURNAL_CURSOR_MAX + 32];
    build_argv(j, after, sizeof after, argv);
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        goto sys;
    if (pipe2(errp, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        goto sys;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "journalctl", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(errp[1]);
    if (rc != 0) {
        close(out[0]);
        close(errp[0]);
        snprintf(err, errlen, "cannot run journalctl: %s", strerror(rc));
        return -1;
    }
    /* Lines: read into buf; a line longer than JOURNAL_LINE_MAX is skipped to
     * its end (skipping = 1). */
    size_t cap = JOURNAL_LINE_MAX + 1, used = 0;
    char *buf = malloc(cap);
    char errtext[256] = "";
    size_t errused = 0;
    long long entries = 0;
    int skipping = 0, out_open = 1, err_open = 1, stopped = 0;
    int64_t deadline = time_now_ms() + j->timeout_ms;
    while (buf && (out_open || err_open) && !stopped) {
        struct pollfd pf[2] = {{out_open ? out[0] : -1, POLLIN, 0},
                               {err_open ? errp[0] : -1, POLLIN, 0}};
        int64_t left = deadline - time_now_ms();
        if (left <= 0 || poll(pf, 2, (int)left) <= 0) {
            if (left <= 0 || errno != EINTR)
                break; /* the time is up: what was read counts, the rest waits */
            continue;
        }
        if (err_open && pf[1].revents) {
            char tmp[256];
            ssize_t r = read(errp[0], tmp, sizeof tmp);
            if (r <= 0)
                err_open = 0;
            for (ssize_t i = 0; i < r && errused + 1 < sizeof errtext; i++)
                errtext[errused++] = tmp[i] == '\n' ? ' ' : tmp[i];
            errtext[errused] = '\0';
        }
        if (!out_open || !pf[0].revents)
            continue;
        ssize_t r = read(out[0], buf + used, cap - used);
        if (r <= 0) {
            out_open = 0; /* the end: drain stderr until it closes too */
            continue;
        }
        size_t end = used + (size_t)r, start = 0;
        for (size_t i = used; i < end && !stopped; i++) {
            if (buf[i] != '\n')
                continue;
            if (!skipping) {
                struct journal_entry e;
                char perr[160];
                if (journal_entry_parse(buf + start, i - start, &e, perr, sizeof perr) == 0) {
                    handle_entry(j, &e);
                    stopped = ++entries >= j->max_entries;
                } else {
                    metric_inc(j->m_skipped);
                    log_debug("journal", "source %s: skipped an entry: %s", j->id, perr);
                }
            }
            skipping = 0;
            start = i + 1;
        }
        memmove(buf, buf + start, end - start);
        used = end - start;
        if (used == cap) { /* a line without its end within the bound */
            metric_inc(j->m_skipped);
            skipping = 1;
            used = 0;
        }
    }
    free(buf);
    /* Done reading (the end, the bound, or the time): stop the child either way. */
    kill(pid, SIGTERM);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(out[0]);
    close(errp[0]);
    flush_chunk(j);
    if (entries == 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "journalctl exited with %d: %s", WEXITSTATUS(status),
                 errtext[0] ? errtext : "no message");
        return -1;
    }
    return 0;
sys:
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    return -1;
}

static int jr_run(void *instance, int64_t now_ms, const struct finding_sink *sink, char *err,
                  size_t errlen)
{
    struct journal *j = instance;
    char before[sizeof j->cursor];
    memcpy(before, j->cursor, sizeof before);
    err[0] = '\0';
    if (!j->cursor[0] && !j->since_ms)
        j->since_ms = now_ms;
    logdetect_begin(j->det, now_ms, sink);
    int rc = read_journal(j, err, errlen);
    logdetect_end(j->det);
    if (j->cursor_path && strcmp(before, j->cursor) != 0 && save_cursor(j, err, errlen) != 0)
        rc = -1;
    return rc;
}

const struct source_ops source_journal = {
    .name = "journal",
    .description = "reads the systemd journal (journalctl -o json) and matches log signatures",
    .init = jr_init,
    .run = jr_run,
    .destroy = jr_destroy,
    .default_interval_ms = 5000,
};
