/* Match windows for log signatures: per (rule, correlation key), how many
 * matches fell in the rule's window, whether that reached its threshold, and
 * the last few matching lines (with context) as excerpt evidence.
 *
 * A window is 30 buckets wide, so "20 matches in 60 s" is counted over the
 * last 58-60 s: exact enough for a burst detector, and memory per key stays
 * fixed however many matches arrive. The table holds at most max_keys keys;
 * a new key beyond that is dropped (and counted) until idle keys expire.
 *
 * Firing: the hit that brings the count to the threshold fires; while the
 * count stays at or above it, the key fires again at most once per window (a
 * reminder that folds into the same incident). A firing key whose window has
 * emptied is reported by logwin_expire as resolved.
 *
 * Pure: time is an argument, no I/O, no threads.
 */
#ifndef SREBOT_CORE_LOGWIN_H
#define SREBOT_CORE_LOGWIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define LOGWIN_BUCKETS 30
#define LOGWIN_EXCERPTS 5        /* matching lines kept per key */
#define LOGWIN_SNIPPET_MAX 1024  /* bytes per kept line, context included */

struct logwin_entry {
    char *rule_id, *key, *class, *severity;
    unsigned window_seconds, threshold;
    int firing;
    int64_t last_hit_ms, last_fire_ms;
    uint64_t total; /* matches since the key appeared */
    int64_t bucket_epoch[LOGWIN_BUCKETS];
    uint32_t bucket_count[LOGWIN_BUCKETS];
    struct {
        char *file;      /* the file it came from */
        uint64_t offset; /* where the matching line starts in it */
        char *text;      /* valid UTF-8, at most LOGWIN_SNIPPET_MAX bytes */
    } snippets[LOGWIN_EXCERPTS];
    unsigned snip_next, snip_count;
    struct logwin_entry *next; /* hash chain */
};

struct logwin;

struct logwin_hit {
    const char *rule_id;
    const char *key;      /* the expanded correlation key */
    const char *class;
    const char *severity;
    unsigned window_seconds;
    unsigned threshold;
    const char *snippet;  /* the matching line with context; any bytes */
    size_t snippet_len;
    const char *file;     /* may be NULL */
    uint64_t offset;
};

enum { LOGWIN_DROPPED = -1, LOGWIN_COUNTED = 0, LOGWIN_FIRE = 1 };

int logwin_create(size_t max_keys, struct logwin **out);
void logwin_destroy(struct logwin *w);

/* Counts one match at now_ms. Returns LOGWIN_FIRE (and the entry in *entry,
 * valid until the next call on w) when the key fires, LOGWIN_COUNTED when it
 * does not, LOGWIN_DROPPED when the table is full or out of memory. */
int logwin_hit(struct logwin *w, const struct logwin_hit *h, int64_t now_ms,
               const struct logwin_entry **entry);

/* Matches of the entry inside its window ending at now_ms. */
unsigned logwin_count(const struct logwin_entry *e, int64_t now_ms);
/* The kept lines, oldest first: [{"file":"..","offset":n,"text":".."}] (new
 * reference; "file" only when known). */
json_t *logwin_excerpts(const struct logwin_entry *e);

/* Calls resolved(ctx, e) for every firing key whose window is now empty, then
 * forgets keys with an empty window. */
void logwin_expire(struct logwin *w, int64_t now_ms,
                   void (*resolved)(void *ctx, const struct logwin_entry *e), void *ctx);

size_t logwin_size(const struct logwin *w);
uint64_t logwin_dropped(const struct logwin *w);

#endif
