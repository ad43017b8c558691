/* srebot scan [--rules FILE] [--count] [--threads N] [--cache DIR | --no-cache] LOGFILE...
 * ("-" is standard input)
 *
 * Runs the enabled log signatures over files once: for trying rules before
 * putting them in the policy, for one-off forensics, and as the benchmark of
 * the engine. One JSON line per (rule, line) match on stdout, then a summary
 * line. Exit status like grep: 0 when something matched, 1 when nothing did,
 * 2 on an error.
 *
 * Where the time goes, and what is done about it (bench/scan.sh):
 * - compiling 200 rules costs ~0.3 s of CPU: the compiled database is kept in
 *   a cache directory keyed by the rule set (core/logsig.h, util/blobcache.h);
 * - a regular file is mapped and scanned on every core in line-aligned pieces
 *   (cli/scanpar.h), each worker formatting its matches into its own buffer,
 *   written in file order with one write per piece: no stdio per byte. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/scanpar.h"
#include "core/jsonin.h"
#include "core/logsig.h"
#include "sources/logread.h"
#include "util/blobcache.h"
#include "util/timeutil.h"

#define RULES_MAX_BYTES (4u << 20)
#define LINE_OUT_MAX 1024
#define CACHE_ENTRIES 8

/* A growable output buffer: one per worker, written out after each piece. */
struct outbuf {
    char *p;
    size_t len, cap;
    int oom;
};

struct scan_run;

/* What one worker thread owns while it scans a piece. */
struct scan_worker {
    struct scan_run *run;
    struct logsig_scanner *sc;
    struct outbuf out;
    uint64_t base; /* file offset of the piece */
    uint64_t lines, matches, matched_lines;
    uint64_t *by_rule;
    const char *last_line; /* start of the last line counted in matched_lines */
    int failed;            /* engine or memory failure */
};

struct scan_run {
    const struct logsig_set *set;
    const char *file;
    int count_only;
    int write_failed;
    unsigned nworkers;
    struct scan_worker w[SCANPAR_MAX_THREADS];
};

static void help(FILE *out)
{
    fprintf(out,
            "usage: srebot scan [--rules FILE] [--count] [--threads N] [--cache DIR | --no-cache]\n"
            "                   LOGFILE...\n\n"
            "Matches the enabled log signatures against each LOGFILE once\n"
            "(\"-\" reads standard input, e.g. kubectl logs POD | srebot scan -).\n"
            "  -r, --rules FILE  a JSON array of detector_rules entries (the policy's\n"
            "                    format); default: the built-in rules\n"
            "  -c, --count       print only the summary line\n"
            "  -j, --threads N   scan a file on N threads (default: the online CPUs, at most 16)\n"
            "      --cache DIR   keep compiled rule sets in DIR (default:\n"
            "                    $XDG_CACHE_HOME/srebot, else $HOME/.cache/srebot)\n"
            "      --no-cache    compile the rules every time\n"
            "Output: one JSON object per matching (rule, line), then {\"summary\":...}.\n"
            "Exit status: 0 something matched, 1 nothing matched, 2 error.\n");
}

static void out_reserve(struct outbuf *o, size_t more)
{
    if (o->oom || o->len + more <= o->cap)
        return;
    size_t cap = o->cap ? o->cap : 64 << 10;
    while (cap < o->len + more)
        cap *= 2;
    char *p = realloc(o->p, cap);
    if (!p) {
        o->oom = 1;
        return;
    }
    o->p = p;
    o->cap = cap;
}

static void out_bytes(struct outbuf *o, const char *s, size_t n)
{
    out_reserve(o, n);
    if (o->oom)
        return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void out_str(struct outbuf *o, const char *s) { out_bytes(o, s, strlen(s)); }

static void out_u64(struct outbuf *o, uint64_t v)
{
    char d[24];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_bytes(o, d + i, sizeof d - i);
}

/* Appends s as a JSON string body (s is valid UTF-8 from logsig_sanitize):
 * runs of plain bytes are copied at once, the rest escaped. */
static void out_json_text(struct outbuf *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case 6 bytes per input byte ("\u00XX"). */
    out_reserve(o, 6 * strlen(s));
    if (o->oom)
        return;
    char *d = o->p + o->len;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            *d++ = '\\';
            *d++ = (char)c;
        } else if (c == '\n') {
            *d++ = '\\';
            *d++ = 'n';
        } else if (c == '\t') {
            *d++ = '\\';
            *d++ = 't';
        } else if (c < 0x20) {
            memcpy(d, "\\u00", 4);
            d[4] = hex[c >> 4];
            d[5] = hex[c & 15];
            d += 6;
        } else {
            *d++ = (char)c;
        }
    }
    o->len = (size_t)(d - o->p);
}

static int on_match(void *ctx, const struct logsig_match *m)
{
    struct scan_worker *w = ctx;
    w->matches++;
    w->by_rule[m->rule_index]++;
    /* Matches arrive ordered by line, so all reports for one line are
     * adjacent: counting distinct lines needs only the last one. */
    const char *line = m->buf + m->line_start;
    if (line != w->last_line) {
        w->matched_lines++;
        w->last_line = line;
    }
    if (w->run->count_only)
        return 0;
    char text[LINE_OUT_MAX + 1];
    logsig_sanitize(text, sizeof text, line, m->line_end - m->line_start);
    struct outbuf *o = &w->out;
    out_str(o, "{\"file\":\"");
    out_json_text(o, w->run->file);
    out_str(o, "\",\"offset\":");
    out_u64(o, w->base + m->line_start);
    out_str(o, ",\"rule\":\"");
    out_str(o, m->rule->id);
    out_str(o, "\",\"class\":\"");
    out_str(o, m->rule->class);
    out_str(o, "\",\"severity\":\"");
    out_str(o, m->rule->severity);
    out_str(o, "\",\"line\":\"");
    out_json_text(o, text);
    out_str(o, "\"}\n");
    if (o->oom) {
        w->failed = 1;
        return 1;
    }
    return 0;
}

/* Newlines in buf, 16 bytes at a time with GCC vector extensions (SSE2 on
 * x86-64, NEON on arm64): a lane compare yields -1 per '\n', subtracted
 * into byte counters for up to 255 blocks, then the counters are summed. */
typedef unsigned char v16u8 __attribute__((vector_size(16)));

static uint64_t count_lines(const char *buf, size_t len)
{
    const v16u8 nl = {'\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n',
                      '\n', '\n', '\n', '\n', '\n', '\n', '\n', '\n'};
    uint64_t n = 0;
    size_t i = 0;
    while (i + 16 <= len) {
        v16u8 acc = {0};
        for (unsigned k = 0; k < 255 && i + 16 <= len; k++, i += 16) {
            v16u8 w;
            memcpy(&w, buf + i, 16);
            acc -= (v16u8)(w == nl); /* true lanes are all ones: -1 */
        }
        for (unsigned l = 0; l < 16; l++)
            n += acc[l];
    }
    for (; i < len; i++)
        n += buf[i] == '\n';
    return n;
}

/* scanpar's scan: on worker wi's thread. */
static int scan_piece(void *ctx, unsigned wi, const char *buf, size_t len, uint64_t base)
{
    struct scan_worker *w = &((struct scan_run *)ctx)->w[wi];
    w->base = base;
    w->last_line = NULL;
    w->lines += count_lines(buf, len);
    if (len && buf[len - 1] != '\n')
        w->lines++; /* a last line without its newline still counts */
    if (logsig_scan(w->run->set, w->sc, buf, len, on_match, w) < 0)
        w->failed = 1;
    return w->failed;
}

/* scanpar's emit: writes worker wi's output, in file order. */
static int emit_piece(void *ctx, unsigned wi)
{
    struct scan_run *r = ctx;
    struct outbuf *o = &r->w[wi].out;
    size_t off = 0;
    while (off < o->len) {
        ssize_t n = write(STDOUT_FILENO, o->p + off, o->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            r->write_failed = 1;
            return 1;
        }
        off += (size_t)n;
    }
    o->len = 0;
    return 0;
}

/* logread's chunk callback (pipes and other unmappable input): worker 0. */
static int on_chunk(void *ctx, const char *buf, size_t len, uint64_t base)
{
    return scan_piece(ctx, 0, buf, len, base) || emit_piece(ctx, 0);
}

static json_t *load_rules(const char *path)
{
    json_t *doc = NULL;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "scan: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    if (!(buf = malloc(RULES_MAX_BYTES + 1)))
        goto out;
    size_t n = fread(buf, 1, RULES_MAX_BYTES + 1, f);
    struct problems *p = problems_create();
    if (!p)
        goto out;
    doc = jsonin_parse(buf, n, RULES_MAX_BYTES, JSONIN_DEFAULT_DEPTH, p);
    if (!doc)
        fprintf(stderr, "scan: %s: %s\n", path, p->items[0].message);
    problems_destroy(p);
out:
    free(buf);
    fclose(f);
    return doc;
}

/* A regular file is mapped and scanned on all workers; anything else (a
 * pipe, standard input) is read in chunks and scanned on one. */
static int scan_file(struct scan_run *r, struct logread *rd, const char *path, uint64_t *bytes)
{
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "scan: %s: %s\n", path, strerror(errno));
        return -1;
    }
    r->file = path;
    fflush(stdout); /* our output goes straight to the descriptor */
    int rc = 0;
    struct stat st;
    void *map = MAP_FAILED;
    if (!is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED)
        (void)madvise(map, (size_t)st.st_size, MADV_WILLNEED); /* read ahead if not cached */
    if (map != MAP_FAILED) {
        const struct scanpar_ops ops = {r, scan_piece, emit_piece};
        rc = scanpar_run(map, (size_t)st.st_size, 0, r->nworkers, 0, &ops) < 0 ? -1 : 0;
        if (rc != 0)
            fprintf(stderr, "scan: %s: cannot start scan threads\n", path);
        munmap(map, (size_t)st.st_size);
        *bytes += (uint64_t)st.st_size;
    } else {
        if (!is_stdin)
            posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        uint64_t off = 0;
        rc = logread_fd(rd, fd, &off, 0, 1, on_chunk, r);
        if (rc != 0 && !r->write_failed)
            fprintf(stderr, "scan: %s: %s\n", path, strerror(errno));
        *bytes += off;
    }
    if (!is_stdin)
        close(fd);
    return rc;
}

/* --cache DIR, else $XDG_CACHE_HOME/srebot, else $HOME/.cache/srebot. */
static struct blobcache *open_cache(const char *flag, int disabled)
{
    if (disabled)
        return NULL;
    char dir[512];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (flag)
        snprintf(dir, sizeof dir, "%s", flag);
    else if (xdg && *xdg)
        snprintf(dir, sizeof dir, "%s/srebot", xdg);
    else if (home && *home)
        snprintf(dir, sizeof dir, "%s/.cache/srebot", home);
    else
        return NULL;
    return blobcache_open(dir, CACHE_ENTRIES);
}

/* Sets up the workers: a scanner and per-rule counts each. */
static int workers_create(struct scan_run *r, unsigned n)
{
    r->nworkers = n;
    for (unsigned i = 0; i < n; i++) {
        struct scan_worker *w = &r->w[i];
        w->run = r;
        if (logsig_scanner_create(&w->sc) != 0 ||
            !(w->by_rule = calloc(logsig_set_count(r->set) + 1, sizeof *w->by_rule)))
            return -1;
    }
    return 0;
}

static void workers_destroy(struct scan_run *r)
{
    for (unsigned i = 0; i < r->nworkers; i++) {
        logsig_scanner_destroy(r->w[i].sc);
        free(r->w[i].by_rule);
        free(r->w[i].out.p);
    }
}

static void print_summary(const struct scan_run *r, int files, int failed, uint64_t bytes,
                          double secs)
{
    uint64_t lines = 0, matches = 0, matched_lines = 0;
    json_t *by_rule = json_object();
    for (unsigned k = 0; k < r->nworkers; k++) {
        lines += r->w[k].lines;
        matches += r->w[k].matches;
        matched_lines += r->w[k].matched_lines;
    }
    for (size_t i = 0; i < logsig_set_count(r->set); i++) {
        uint64_t n = 0;
        for (unsigned k = 0; k < r->nworkers; k++)
            n += r->w[k].by_rule[i];
        if (n)
            json_object_set_new(by_rule, logsig_set_rule(r->set, i)->id,
                                json_integer((json_int_t)n));
    }
    json_t *summary = json_pack(
        "{s:{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:o, s:f, s:f, s:f}}", "summary", "files", files,
        "failed", failed, "rules", (json_int_t)logsig_set_count(r->set), "bytes",
        (json_int_t)bytes, "lines", (json_int_t)lines, "matches", (json_int_t)matches,
        "matched_lines", (json_int_t)matched_lines, "by_rule", by_rule, "seconds", secs,
        "mb_per_s", (double)bytes / 1e6 / secs, "lines_per_s", (double)lines / secs);
    char *text = summary ? json_dumps(summary, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(summary);
    fflush(stdout);
}

static int total_matches(const struct scan_run *r)
{
    for (unsigned k = 0; k < r->nworkers; k++)
        if (r->w[k].matches)
            return 1;
    return 0;
}

int cmd_scan(int argc, char **argv)
{
    enum { OPT_CACHE = 256, OPT_NO_CACHE };
    static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                         {"count", no_argument, NULL, 'c'},
                                         {"threads", required_argument, NULL, 'j'},
                                         {"cache", required_argument, NULL, OPT_CACHE},
                                         {"no-cache", no_argument, NULL, OPT_NO_CACHE},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *rules_path = NULL, *cache_dir = NULL;
    int no_cache = 0;
    unsigned threads = scanpar_default_threads();
    struct scan_run r = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "r:cj:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r': rules_path = optarg; break;
        case 'c': r.count_only = 1; break;
        case 'j': {
            char *end = NULL;
            unsigned long n = strtoul(optarg, &end, 10);
            if (!*optarg || *end || n < 1 || n > SCANPAR_MAX_THREADS) {
                fprintf(stderr, "scan: --threads: a number from 1 to %d\n", SCANPAR_MAX_THREADS);
                return 2;
            }
            threads = (unsigned)n;
            break;
        }
        case OPT_CACHE: cache_dir = optarg; break;
        case OPT_NO_CACHE: no_cache = 1; break;
        case 'h': help(stdout); return 0;
        default: help(stderr); return 2;
        }
    }
    if (optind >= argc) {
        help(stderr);
        return 2;
    }
    int status = 2, failed = 0;
    json_t *rules = NULL;
    struct logsig_set *set = NULL;
    struct logread *rd = NULL;
    struct blobcache *cache = NULL;
    if (rules_path && !(rules = load_rules(rules_path)))
        goto out;
    cache = open_cache(cache_dir, no_cache);
    const struct logsig_cache lc = {cache, blobcache_load, blobcache_store};
    struct problems *p = problems_create();
    int compiled =
        p && logsig_compile_cached(rules, "", LOGSIG_STRICT, cache ? &lc : NULL, &set, p) == 0;
    for (size_t i = 0; !compiled && p && i < p->count; i++)
        fprintf(stderr, "scan: %s: %s: %s\n", rules_path ? rules_path : "built-in rules",
                p->items[i].path[0] ? p->items[i].path : "/", p->items[i].message);
    problems_destroy(p);
    if (!compiled)
        goto out;
    r.set = set;
    if (workers_create(&r, threads) != 0 || logread_create(0, &rd) != 0) {
        fprintf(stderr, "scan: out of memory\n");
        goto out;
    }
    uint64_t bytes = 0, t0 = time_mono_ns();
    for (int i = optind; i < argc && !r.write_failed; i++)
        if (scan_file(&r, rd, argv[i], &bytes) != 0)
            failed++;
    for (unsigned k = 0; k < r.nworkers; k++)
        if (r.w[k].failed) {
            fprintf(stderr, "scan: out of memory\n");
            failed++;
            break;
        }
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    if (secs <= 0)
        secs = 1e-9;
    print_summary(&r, argc - optind, failed, bytes, secs);
    status = failed || r.write_failed ? 2 : total_matches(&r) ? 0 : 1;
out:
    workers_destroy(&r);
    logread_destroy(rd);
    logsig_set_destroy(set);
    blobcache_close(cache);
    json_decref(rules);
    return status;
}
