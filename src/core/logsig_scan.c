/* Log signatures, part two: scanning buffers, finding the lines around
 * matches, and the small text helpers that turn a match into evidence. */
#include "core/logsig.h"
#include "core/logsig_internal.h"

#include <stdlib.h>
#include <string.h>

struct logsig_scanner {
    hs_scratch_t *scratch;
    hs_scratch_t *confirm; /* for the per-line re-check, while scratch is busy */
    unsigned long long bound_serial; /* the set the scratch was sized for */
    /* Per rule: 1 + start of the line it last reported in this scan (0 =
     * none). A rule can match several times in one line (every `5[0-9]{2}`
     * end position, say); the caller hears about the line once. */
    size_t *last_line;
    size_t cap;
    /* Matches of the current piece, delivered sorted once it is scanned:
     * vectorscan does not promise to report in offset order. */
    struct pending *pend;
    size_t npend, pcap;
};

struct pending {
    size_t start, end; /* the line */
    unsigned int id;
};

/* Most pending matches held before they are delivered early (a buffer where
 * nearly every line matches); bounds the scanner's memory. */
#define PENDING_MAX 65536

int logsig_scanner_create(struct logsig_scanner **out)
{
    struct logsig_scanner *sc = calloc(1, sizeof *sc);
    if (!sc)
        return -1;
    *out = sc;
    return 0;
}

void logsig_scanner_destroy(struct logsig_scanner *sc)
{
    if (!sc)
        return;
    hs_free_scratch(sc->scratch);
    hs_free_scratch(sc->confirm);
    free(sc->last_line);
    free(sc->pend);
    free(sc);
}

/* Sizes the scratch and the per-rule array for set (cheap when unchanged). */
static int bind(struct logsig_scanner *sc, const struct logsig_set *set)
{
    if (sc->bound_serial == set->serial)
        return 0;
    if (hs_alloc_scratch(set->db, &sc->scratch) != HS_SUCCESS ||
        hs_alloc_scratch(set->db, &sc->confirm) != HS_SUCCESS)
        return -1;
    if (set->count > sc->cap) {
        size_t *n = realloc(sc->last_line, set->count * sizeof *n);
        if (!n)
            return -1;
        sc->last_line = n;
        sc->cap = set->count;
    }
    sc->bound_serial = set->serial;
    return 0;
}

struct scan_state {
    const struct logsig_set *set;
    struct logsig_scanner *sc;
    const char *buf;
    size_t len;
    logsig_match_fn fn;
    void *ctx;
    int stopped; /* fn asked to stop */
    int failed;  /* out of memory */
};

struct confirm {
    unsigned int id;
    int found;
};

static int on_confirm(unsigned int id, unsigned long long from, unsigned long long to,
                      unsigned int flags, void *arg)
{
    (void)from;
    (void)to;
    (void)flags;
    struct confirm *c = arg;
    if (id != c->id)
        return 0;
    c->found = 1;
    return 1; /* seen: stop */
}

/* Does rule `id` match within buf[start, end) alone? A whole-buffer match
 * can span lines: a negated class like [^']* eats newlines, and vectorscan
 * 5.4.9 has been seen to report `.*` across a newline when patterns are
 * combined (tests/fuzz/corpus/logline/crossline-vs-bug). Re-scanning the one
 * line keeps the promise "a rule matches a line", for the price of a short
 * scan per match, and matches are rare. */
static int confirm_in_line(const struct scan_state *st, unsigned int id, size_t start,
                           size_t end)
{
    struct confirm c = {id, 0};
    hs_error_t rc = hs_scan(st->set->db, st->buf + start, (unsigned)(end - start), 0,
                            st->sc->confirm, on_confirm, &c);
    return (rc == HS_SUCCESS || rc == HS_SCAN_TERMINATED) && c.found;
}

static int deliver(struct scan_state *st);

/* Called by vectorscan for each match end. Matches are rare in healthy logs,
 * so finding the line here (memrchr/memchr over a few hundred bytes) costs
 * nothing next to the scan itself. */
static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *arg)
{
    (void)from;
    (void)flags;
    struct scan_state *st = arg;
    const char *buf = st->buf;
    size_t pos = to ? (size_t)to - 1 : 0; /* last byte of the match */
    if (pos >= st->len)
        pos = st->len ? st->len - 1 : 0;
    size_t start, end;
    if (buf[pos] == '\n') {
        end = pos; /* the match ended by consuming the newline: its line ends here */
    } else {
        const char *nl = memchr(buf + pos, '\n', st->len - pos);
        end = nl ? (size_t)(nl - buf) : st->len;
    }
    const char *prev = pos ? memrchr(buf, '\n', pos) : NULL;
    start = prev ? (size_t)(prev - buf) + 1 : 0;
    if (start > end)
        start = end;
    struct logsig_scanner *sc = st->sc;
    if (sc->last_line[id] == start + 1)
        return 0; /* the common repeat, caught before it takes a slot */
    sc->last_line[id] = start + 1;
    if (sc->npend == sc->pcap) {
        size_t ncap = sc->pcap ? sc->pcap * 2 : 256;
        struct pending *np = ncap <= PENDING_MAX ? realloc(sc->pend, ncap * sizeof *np) : NULL;
        if (np) {
            sc->pend = np;
            sc->pcap = ncap;
        } else if (deliver(st) != 0) {
            return 1;
        }
        if (!sc->pend) {
            st->failed = 1;
            return 1;
        }
    }
    sc->pend[sc->npend++] = (struct pending){start, end, id};
    return 0;
}

static int by_line_then_rule(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Hands the pending matches to fn in (line, rule) order, each pair once and
 * only when the rule matches within the line alone. Returns 1 when fn stopped. */
static int deliver(struct scan_state *st)
{
    struct logsig_scanner *sc = st->sc;
    if (sc->npend == 0)
        return st->stopped;
    qsort(sc->pend, sc->npend, sizeof *sc->pend, by_line_then_rule);
    for (size_t i = 0; i < sc->npend && !st->stopped; i++) {
        const struct pending *p = &sc->pend[i];
        if (i > 0 && p->start == sc->pend[i - 1].start && p->id == sc->pend[i - 1].id)
            continue;
        if (!confirm_in_line(st, p->id, p->start, p->end))
            continue;
        struct logsig_match m = {&st->set->rules[p->id], p->id, st->buf, st->len, p->start,
                                 p->end};
        if (st->fn(st->ctx, &m))
            st->stopped = 1;
    }
    sc->npend = 0;
    return st->stopped;
}

int logsig_scan(const struct logsig_set *set, struct logsig_scanner *sc, const char *buf,
                size_t len, logsig_match_fn fn, void *ctx)
{
    if (!set || !set->db || len == 0)
        return 0;
    if (bind(sc, set) != 0)
        return -1;
    memset(sc->last_line, 0, set->count * sizeof *sc->last_line);
    struct scan_state st = {set, sc, buf, len, fn, ctx, 0, 0};
    /* hs_scan takes an unsigned int length: feed giant buffers in pieces cut
     * at a newline, so no line is split. */
    while (len > 0) {
        size_t n = len;
        if (n > 0x40000000u) {
            const char *nl = memrchr(buf, '\n', 0x40000000u);
            n = nl ? (size_t)(nl - buf) + 1 : 0x40000000u;
        }
        st.buf = buf;
        st.len = n;
        sc->npend = 0;
        hs_error_t rc = hs_scan(set->db, buf, (unsigned)n, 0, sc->scratch, on_match, &st);
        if (st.failed)
            return -1;
        if (rc == HS_SCAN_TERMINATED || (rc == HS_SUCCESS && deliver(&st)))
            return 1;
        if (rc != HS_SUCCESS)
            return -1;
        buf += n;
        len -= n;
        memset(sc->last_line, 0, set->count * sizeof *sc->last_line);
    }
    return 0;
}

void logsig_context(const char *buf, size_t len, size_t line_start, size_t line_end,
                    unsigned before, unsigned after, size_t *ctx_start, size_t *ctx_end)
{
    size_t s = line_start;
    for (unsigned k = 0; k < before && s > 0; k++) {
        /* buf[s - 1] ends the previous line; look for the newline before it. */
        const char *nl = s > 1 ? memrchr(buf, '\n', s - 1) : NULL;
        s = nl ? (size_t)(nl - buf) + 1 : 0;
    }
    size_t e = line_end;
    for (unsigned k = 0; k < after && e + 1 < len; k++) {
        const char *nl = memchr(buf + e + 1, '\n', len - e - 1);
        e = nl ? (size_t)(nl - buf) : len;
    }
    *ctx_start = s;
    *ctx_end = e;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (len < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

size_t logsig_sanitize(char *dst, size_t cap, const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n = 1;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
                c = '?';
            if (o + 1 >= cap)
                break;
            dst[o++] = (char)c;
        } else if ((n = utf8_seq(s + i, len - i)) == 0) {
            n = 1;
            if (o + 1 >= cap)
                break;
            dst[o++] = '?';
        } else {
            if (o + n >= cap)
                break;
            memcpy(dst + o, s + i, n);
            o += n;
        }
        i += n;
    }
    dst[o] = '\0';
    return o;
}

int logsig_key_expand(const char *tmpl, const struct logsig_key_vars *v, char *out,
                      size_t outlen)
{
    size_t o = 0;
    for (const char *t = tmpl; *t; t++) {
        const char *val = NULL;
        size_t vlen;
        if (*t == '{') {
            const char *close = strchr(t, '}');
            if (!close)
                return -1;
            size_t n = (size_t)(close - t - 1);
            const char *name = t + 1;
#define NAME_IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
            if (NAME_IS("source"))
                val = v->source;
            else if (NAME_IS("rule"))
                val = v->rule;
            else if (NAME_IS("file"))
                val = v->file;
            else if (NAME_IS("class"))
                val = v->class;
            else if (NAME_IS("host"))
                val = v->host;
            else
                return -1;
#undef NAME_IS
            if (!val)
                val = "";
            vlen = strlen(val);
            t = close;
        } else if (*t == '}') {
            return -1;
        } else {
            val = t;
            vlen = 1;
        }
        if (o + vlen >= outlen)
            return -1;
        memcpy(out + o, val, vlen);
        o += vlen;
    }
    if (o >= outlen)
        return -1;
    out[o] = '\0';
    return 0;
}
