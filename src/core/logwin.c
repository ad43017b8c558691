#include "core/logwin.h"

#include <stdlib.h>
#include <string.h>

#include "core/logsig.h"
#include "core/redact.h"

struct logwin {
    struct logwin_entry **slots;
    size_t nslots; /* power of two */
    size_t size, max_keys;
    uint64_t dropped;
};

int logwin_create(size_t max_keys, struct logwin **out)
{
    struct logwin *w = calloc(1, sizeof *w);
    if (!w)
        return -1;
    w->max_keys = max_keys ? max_keys : 1;
    w->nslots = 16;
    while (w->nslots < w->max_keys)
        w->nslots <<= 1;
    w->slots = calloc(w->nslots, sizeof *w->slots);
    if (!w->slots) {
        free(w);
        return -1;
    }
    *out = w;
    return 0;
}

static void entry_free(struct logwin_entry *e)
{
    free(e->rule_id);
    free(e->key);
    free(e->class);
    free(e->severity);
    for (unsigned i = 0; i < LOGWIN_EXCERPTS; i++) {
        free(e->snippets[i].text);
        free(e->snippets[i].file);
    }
    free(e);
}

void logwin_destroy(struct logwin *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nslots; i++)
        for (struct logwin_entry *e = w->slots[i], *n; e; e = n) {
            n = e->next;
            entry_free(e);
        }
    free(w->slots);
    free(w);
}

size_t logwin_size(const struct logwin *w) { return w->size; }
uint64_t logwin_dropped(const struct logwin *w) { return w->dropped; }

static uint64_t hash(const char *rule, const char *key)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *s = rule; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ 0x1f) * 1099511628211ull;
    for (const char *s = key; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int64_t bucket_width(unsigned window_seconds)
{
    int64_t w = (int64_t)window_seconds * 1000 / LOGWIN_BUCKETS;
    return w > 0 ? w : 1;
}

unsigned logwin_count(const struct logwin_entry *e, int64_t now_ms)
{
    int64_t b = now_ms / bucket_width(e->window_seconds);
    unsigned n = 0;
    for (unsigned i = 0; i < LOGWIN_BUCKETS; i++)
        if (e->bucket_epoch[i] > b - LOGWIN_BUCKETS && e->bucket_epoch[i] <= b)
            n += e->bucket_count[i];
    return n;
}

json_t *logwin_excerpts(const struct logwin_entry *e)
{
    json_t *arr = json_array();
    unsigned first = (e->snip_next + LOGWIN_EXCERPTS - e->snip_count) % LOGWIN_EXCERPTS;
    for (unsigned k = 0; k < e->snip_count; k++) {
        unsigned i = (first + k) % LOGWIN_EXCERPTS;
        if (!e->snippets[i].text)
            continue;
        json_t *o = json_pack("{s:I, s:s}", "offset", (json_int_t)e->snippets[i].offset, "text",
                              e->snippets[i].text);
        if (o && e->snippets[i].file)
            json_object_set_new(o, "file", json_string(e->snippets[i].file));
        json_array_append_new(arr, o);
    }
    return arr;
}

/* Refreshes what a rule change may alter (a new policy version can edit the
 * class, severity or window of an operator rule without changing its id). */
static int entry_refresh(struct logwin_entry *e, const struct logwin_hit *h)
{
    if (strcmp(e->class, h->class) != 0) {
        char *c = dup_str(h->class);
        if (!c)
            return -1;
        free(e->class);
        e->class = c;
    }
    if (strcmp(e->severity, h->severity) != 0) {
        char *s = dup_str(h->severity);
        if (!s)
            return -1;
        free(e->severity);
        e->severity = s;
    }
    if (e->window_seconds != h->window_seconds) {
        for (unsigned i = 0; i < LOGWIN_BUCKETS; i++) {
            e->bucket_epoch[i] = INT64_MIN;
            e->bucket_count[i] = 0;
        }
        e->window_seconds = h->window_seconds;
    }
    e->threshold = h->threshold;
    return 0;
}

static struct logwin_entry *entry_new(const struct logwin_hit *h)
{
    struct logwin_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->rule_id = dup_str(h->rule_id);
    e->key = dup_str(h->key);
    e->class = dup_str(h->class);
    e->severity = dup_str(h->severity);
    if (!e->rule_id || !e->key || !e->class || !e->severity) {
        entry_free(e);
        return NULL;
    }
    e->window_seconds = h->window_seconds;
    e->threshold = h->threshold;
    for (unsigned i = 0; i < LOGWIN_BUCKETS; i++)
        e->bucket_epoch[i] = INT64_MIN;
    return e;
}

static void keep_snippet(struct logwin_entry *e, const struct logwin_hit *h)
{
    if (!h->snippet)
        return;
    unsigned i = e->snip_next;
    if (!e->snippets[i].text && !(e->snippets[i].text = malloc(LOGWIN_SNIPPET_MAX + 1)))
        return;
    /* Viewers read excerpts: secret-looking values never leave the log file. */
    char clean[LOGWIN_SNIPPET_MAX + 1];
    size_t n = logsig_sanitize(clean, sizeof clean, h->snippet, h->snippet_len);
    redact_secrets(e->snippets[i].text, LOGWIN_SNIPPET_MAX + 1, clean, n);
    e->snippets[i].offset = h->offset;
    /* Most snippets of a key come from one file: copy its name only when it changes. */
    if (!h->file || !e->snippets[i].file || strcmp(e->snippets[i].file, h->file) != 0) {
        free(e->snippets[i].file);
        e->snippets[i].file = h->file ? dup_str(h->file) : NULL;
    }
    e->snip_next = (i + 1) % LOGWIN_EXCERPTS;
    if (e->snip_count < LOGWIN_EXCERPTS)
        e->snip_count++;
}

int logwin_hit(struct logwin *w, const struct logwin_hit *h, int64_t now_ms,
               const struct logwin_entry **entry)
{
    size_t slot = (size_t)(hash(h->rule_id, h->key) & (w->nslots - 1));
    struct logwin_entry *e = w->slots[slot];
    while (e && (strcmp(e->rule_id, h->rule_id) != 0 || strcmp(e->key, h->key) != 0))
        e = e->next;
    if (!e) {
        if (w->size >= w->max_keys || !(e = entry_new(h))) {
            w->dropped++;
            return LOGWIN_DROPPED;
        }
        e->next = w->slots[slot];
        w->slots[slot] = e;
        w->size++;
    } else if (entry_refresh(e, h) != 0) {
        w->dropped++;
        return LOGWIN_DROPPED;
    }
    /* Clocks may step back; a window never does. */
    if (now_ms < e->last_hit_ms)
        now_ms = e->last_hit_ms;
    int64_t b = now_ms / bucket_width(e->window_seconds);
    unsigned i = (unsigned)(b % LOGWIN_BUCKETS);
    if (e->bucket_epoch[i] != b) {
        e->bucket_epoch[i] = b;
        e->bucket_count[i] = 0;
    }
    if (e->bucket_count[i] < UINT32_MAX)
        e->bucket_count[i]++;
    e->total++;
    e->last_hit_ms = now_ms;
    keep_snippet(e, h);
    if (logwin_count(e, now_ms) < e->threshold)
        return LOGWIN_COUNTED;
    if (e->firing && now_ms - e->last_fire_ms < (int64_t)e->window_seconds * 1000)
        return LOGWIN_COUNTED;
    e->firing = 1;
    e->last_fire_ms = now_ms;
    *entry = e;
    return LOGWIN_FIRE;
}

void logwin_expire(struct logwin *w, int64_t now_ms,
                   void (*resolved)(void *ctx, const struct logwin_entry *e), void *ctx)
{
    for (size_t s = 0; s < w->nslots; s++) {
        struct logwin_entry **link = &w->slots[s];
        while (*link) {
            struct logwin_entry *e = *link;
            if (logwin_count(e, now_ms) > 0) {
                link = &e->next;
                continue;
            }
            if (e->firing && resolved)
                resolved(ctx, e);
            *link = e->next;
            entry_free(e);
            w->size--;
        }
    }
}
