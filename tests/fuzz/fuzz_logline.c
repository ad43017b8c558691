/* libFuzzer target: the log scan path, from raw file bytes to a finding's
 * excerpt. The input is log data (any bytes). Checks:
 *  - every reported line lies inside the buffer, holds no newline and starts
 *    at a line start;
 *  - the context, the sanitized excerpt and the correlation key are bounded
 *    and valid UTF-8 that jansson accepts;
 *  - reading the same bytes as a file in small chunks (src/sources/logread.c,
 *    the path the logfile source takes) reports exactly the same (rule, line)
 *    pairs as one whole-buffer scan, whenever no line is longer than a chunk.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "core/logsig.h"
#include "core/logwin.h"
#include "sources/logread.h"

#define CHUNK 256
#define MAX_HITS 4096

struct hit {
    size_t rule;
    uint64_t line;
};

struct run {
    struct hit hits[MAX_HITS];
    size_t n;
    uint64_t base;
    struct logwin *win;
    int check_excerpts;
};

static struct logsig_set *set;
static struct logsig_scanner *sc;

static int on_match(void *ctx, const struct logsig_match *m)
{
    struct run *r = ctx;
    if (m->line_start > m->line_end || m->line_end > m->len)
        abort();
    if (memchr(m->buf + m->line_start, '\n', m->line_end - m->line_start))
        abort();
    if (m->line_start > 0 && m->buf[m->line_start - 1] != '\n')
        abort();
    if (r->n < MAX_HITS)
        r->hits[r->n++] = (struct hit){m->rule_index, r->base + m->line_start};
    if (!r->check_excerpts)
        return 0;
    size_t cs, ce;
    logsig_context(m->buf, m->len, m->line_start, m->line_end, 2, 2, &cs, &ce);
    if (cs > m->line_start || ce < m->line_end || ce > m->len)
        abort();
    char key[512];
    struct logsig_key_vars v = {"fuzz", m->rule->id, "/var/log/x.log", m->rule->class, "h"};
    if (logsig_key_expand(m->rule->key_template, &v, key, sizeof key) != 0)
        abort(); /* built-in templates always expand */
    struct logwin_hit h = {m->rule->id, key, m->rule->class, m->rule->severity,
                           m->rule->window_seconds, m->rule->threshold, m->buf + cs, ce - cs,
                           "/var/log/x.log", r->base + m->line_start};
    const struct logwin_entry *e = NULL;
    if (logwin_hit(r->win, &h, 1790000000000LL, &e) == LOGWIN_FIRE) {
        json_t *ex = logwin_excerpts(e);
        char *text = ex ? json_dumps(ex, JSON_COMPACT) : NULL;
        if (!text)
            abort(); /* an excerpt that jansson refuses would lose the evidence */
        if (strlen(text) > 6 * LOGWIN_EXCERPTS * (LOGWIN_SNIPPET_MAX + 64))
            abort();
        free(text);
        json_decref(ex);
    }
    return 0;
}

static int on_chunk(void *ctx, const char *buf, size_t len, uint64_t base)
{
    struct run *r = ctx;
    r->base = base;
    if (logsig_scan(set, sc, buf, len, on_match, r) < 0)
        abort();
    return 0;
}

static int by_line_rule(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static size_t longest_line(const uint8_t *d, size_t n)
{
    size_t best = 0, cur = 0;
    for (size_t i = 0; i < n; i++) {
        cur = d[i] == '\n' ? 0 : cur + 1;
        if (cur > best)
            best = cur;
    }
    return best;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set) {
        struct problems p;
        problems_init(&p);
        if (logsig_compile(NULL, "", 0, &set, &p) != 0 || logsig_scanner_create(&sc) != 0)
            abort();
    }
    static struct run whole, chunked;
    memset(&whole, 0, sizeof whole);
    memset(&chunked, 0, sizeof chunked);
    whole.check_excerpts = 1;
    if (logwin_create(64, &whole.win) != 0)
        abort();
    if (logsig_scan(set, sc, (const char *)data, size, on_match, &whole) < 0)
        abort();
    logwin_destroy(whole.win);

    /* The same bytes through the file reader, in chunks of CHUNK bytes. */
    int fd = memfd_create("fuzz_logline", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    struct logread *rd = NULL;
    if (logread_create(CHUNK, &rd) != 0)
        abort();
    uint64_t off = 0;
    if (logread_fd(rd, fd, &off, 0, 1, on_chunk, &chunked) != 0 || off != size)
        abort();
    logread_destroy(rd);
    close(fd);
    if (longest_line(data, size) + 1 < CHUNK && whole.n < MAX_HITS) {
        /* The engine does not order matches that end at the same offset. */
        qsort(whole.hits, whole.n, sizeof whole.hits[0], by_line_rule);
        qsort(chunked.hits, chunked.n, sizeof chunked.hits[0], by_line_rule);
        int same = whole.n == chunked.n;
        for (size_t i = 0; same && i < whole.n; i++)
            same = whole.hits[i].rule == chunked.hits[i].rule &&
                   whole.hits[i].line == chunked.hits[i].line;
        if (!same) {
            for (size_t i = 0; i < whole.n || i < chunked.n; i++)
                fprintf(stderr, "%zu: whole %zu@%llu chunked %zu@%llu\n", i,
                        i < whole.n ? whole.hits[i].rule : 0,
                        i < whole.n ? (unsigned long long)whole.hits[i].line : 0,
                        i < chunked.n ? chunked.hits[i].rule : 0,
                        i < chunked.n ? (unsigned long long)chunked.hits[i].line : 0);
            abort();
        }
    }
    return 0;
}
