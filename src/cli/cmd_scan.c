/* srebot scan [--rules FILE] [--count] LOGFILE...   ("-" is standard input)
 *
 * Runs the enabled log signatures over files once: for trying rules before
 * putting them in the policy, for one-off forensics, and as the benchmark of
 * the engine. One JSON line per (rule, line) match on stdout, then a summary
 * line. Exit status like grep: 0 when something matched, 1 when nothing did,
 * 2 on an error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/jsonin.h"
#include "core/logsig.h"
#include "sources/logread.h"
#include "util/timeutil.h"

#define RULES_MAX_BYTES (4u << 20)
#define LINE_OUT_MAX 1024

struct scan_run {
    const struct logsig_set *set;
    struct logsig_scanner *sc;
    const char *file;
    uint64_t base;         /* file offset of the chunk */
    int count_only;
    uint64_t lines, matches, matched_lines;
    uint64_t *by_rule;
    const char *last_line; /* start of the last line counted in matched_lines */
};

static void help(FILE *out)
{
    fprintf(out,
            "usage: srebot scan [--rules FILE] [--count] LOGFILE...\n\n"
            "Matches the enabled log signatures against each LOGFILE once\n"
            "(\"-\" reads standard input, e.g. kubectl logs POD | srebot scan -).\n"
            "  -r, --rules FILE  a JSON array of detector_rules entries (the policy's\n"
            "                    format); default: the built-in rules\n"
            "  -c, --count       print only the summary line\n"
            "Output: one JSON object per matching (rule, line), then {\"summary\":...}.\n"
            "Exit status: 0 something matched, 1 nothing matched, 2 error.\n");
}

/* Writes s as a JSON string body (s is valid UTF-8 from logsig_sanitize). */
static void put_json_text(const char *s, FILE *out)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c < 0x20) {
            fprintf(out, "\\u%04x", c);
        } else {
            putc(c, out);
        }
    }
}

static int on_match(void *ctx, const struct logsig_match *m)
{
    struct scan_run *r = ctx;
    r->matches++;
    r->by_rule[m->rule_index]++;
    /* Matches arrive in order of their end, so all reports for one line are
     * adjacent: counting distinct lines needs only the last one. */
    const char *line = m->buf + m->line_start;
    if (line != r->last_line) {
        r->matched_lines++;
        r->last_line = line;
    }
    if (r->count_only)
        return 0;
    char text[LINE_OUT_MAX + 1];
    logsig_sanitize(text, sizeof text, line, m->line_end - m->line_start);
    printf("{\"file\":\"");
    put_json_text(r->file, stdout);
    printf("\",\"offset\":%llu,\"rule\":\"%s\",\"class\":\"%s\",\"severity\":\"%s\",\"line\":\"",
           (unsigned long long)(r->base + m->line_start), m->rule->id, m->rule->class,
           m->rule->severity);
    put_json_text(text, stdout);
    fputs("\"}\n", stdout);
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

static int on_chunk(void *ctx, const char *buf, size_t len, uint64_t base)
{
    struct scan_run *r = ctx;
    r->base = base;
    r->last_line = NULL;
    r->lines += count_lines(buf, len);
    if (len && buf[len - 1] != '\n')
        r->lines++; /* a last line without its newline still counts */
    return logsig_scan(r->set, r->sc, buf, len, on_match, r) < 0 ? 1 : 0;
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

static int scan_file(struct scan_run *r, struct logread *rd, const char *path, uint64_t *bytes)
{
    int is_stdin = strcmp(path, "-") == 0;
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "scan: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!is_stdin)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    uint64_t off = 0;
    r->file = path;
    int rc = logread_fd(rd, fd, &off, 0, 1, on_chunk, r);
    if (rc != 0)
        fprintf(stderr, "scan: %s: %s\n", path, strerror(errno));
    if (!is_stdin)
        close(fd);
    *bytes += off;
    return rc;
}

int cmd_scan(int argc, char **argv)
{
    static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                         {"count", no_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *rules_path = NULL;
    struct scan_run r = {0};
    int opt;
    while ((opt = getopt_long(argc, argv, "r:ch", opts, NULL)) != -1) {
        switch (opt) {
        case 'r': rules_path = optarg; break;
        case 'c': r.count_only = 1; break;
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
    struct logsig_scanner *sc = NULL;
    struct logread *rd = NULL;
    if (rules_path && !(rules = load_rules(rules_path)))
        goto out;
    struct problems *p = problems_create();
    int compiled = p && logsig_compile(rules, "", LOGSIG_STRICT, &set, p) == 0;
    for (size_t i = 0; !compiled && p && i < p->count; i++)
        fprintf(stderr, "scan: %s: %s: %s\n", rules_path ? rules_path : "built-in rules",
                p->items[i].path[0] ? p->items[i].path : "/", p->items[i].message);
    problems_destroy(p);
    if (!compiled)
        goto out;
    if (logsig_scanner_create(&sc) != 0 || logread_create(0, &rd) != 0 ||
        !(r.by_rule = calloc(logsig_set_count(set) + 1, sizeof *r.by_rule))) {
        fprintf(stderr, "scan: out of memory\n");
        goto out;
    }
    r.set = set;
    r.sc = sc;
    uint64_t bytes = 0, t0 = time_mono_ns();
    for (int i = optind; i < argc; i++)
        if (scan_file(&r, rd, argv[i], &bytes) != 0)
            failed++;
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    if (secs <= 0)
        secs = 1e-9;
    json_t *by_rule = json_object();
    for (size_t i = 0; i < logsig_set_count(set); i++)
        if (r.by_rule[i])
            json_object_set_new(by_rule, logsig_set_rule(set, i)->id,
                                json_integer((json_int_t)r.by_rule[i]));
    json_t *summary = json_pack(
        "{s:{s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:o, s:f, s:f, s:f}}", "summary", "files",
        argc - optind, "failed", failed, "rules", (json_int_t)logsig_set_count(set), "bytes",
        (json_int_t)bytes, "lines", (json_int_t)r.lines, "matches", (json_int_t)r.matches,
        "matched_lines", (json_int_t)r.matched_lines, "by_rule", by_rule, "seconds", secs,
        "mb_per_s", (double)bytes / 1e6 / secs, "lines_per_s", (double)r.lines / secs);
    char *text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(summary);
    fflush(stdout);
    status = failed ? 2 : r.matches ? 0 : 1;
out:
    free(r.by_rule);
    logread_destroy(rd);
    logsig_scanner_destroy(sc);
    logsig_set_destroy(set);
    json_decref(rules);
    return status;
}
