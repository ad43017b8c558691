/* Log signatures: every enabled `log_signature` rule compiled into one
 * vectorscan database and matched against whole buffers in one pass.
 *
 *   struct logsig_set *set;            // immutable once built: share it freely
 *   logsig_compile(rules_json, "/detector_rules", 0, &set, &problems);
 *   struct logsig_scanner *sc;         // one per thread (vectorscan scratch)
 *   logsig_scanner_create(&sc);
 *   logsig_scan(set, sc, buf, len, on_match, ctx);   // on_match(ctx, rule, line)
 *
 * Why whole buffers: the per-call cost of a scan is 30-50 ns, a log line is
 * ~150 bytes, so scanning line by line spends most of its time in call overhead
 * (perf-anchors.md: 600 MB/s per line vs ~2 GB/s per buffer). We scan megabytes
 * at once and look for line boundaries only around the rare matches.
 *
 * Semantics: rules match per line (`.` stops at '\n', ^ and $ anchor at line
 * boundaries). A rule reports a line at most once, however often it matches in
 * it, and only when it matches within that line alone: a whole-buffer match
 * that spans lines (a negated class eats newlines) is re-checked against its
 * last line and dropped unless the line matches by itself.
 *
 * Pure: no I/O, no threads, no clock. A set may be used by several scanners on
 * several threads at once; a scanner by one thread at a time.
 */
#ifndef SREBOT_CORE_LOGSIG_H
#define SREBOT_CORE_LOGSIG_H

#include <jansson.h>
#include <stddef.h>

#include "core/problems.h"

#define LOGSIG_MAX_RULES 1000
#define LOGSIG_ID_MAX 128
#define LOGSIG_PATTERN_MAX 1024
#define LOGSIG_KEY_TEMPLATE_MAX 256
#define LOGSIG_DEFAULT_KEY_TEMPLATE "{source}:{rule}"

struct logsig_rule {
    char *id;
    char *pattern;
    char *class;
    char *severity;
    char *key_template;
    unsigned window_seconds;
    unsigned threshold;
    int builtin;
};

struct logsig_set;
struct logsig_scanner;

/* Flags for logsig_compile. */
#define LOGSIG_STRICT 1 /* also reject unknown fields and key placeholders */

/* Builds the set of enabled log_signature rules.
 * rules == NULL: the built-in table (src/core/builtin_rules.c).
 * Otherwise a JSON array of detector_rules entries (the policy's format:
 * id, builtin, enabled, kind, pattern, class, severity, key_template,
 * window_seconds, threshold). An entry with "builtin": true names a row of the
 * built-in table and may only switch it on or off; its other fields come from
 * the table. Rules of another kind are skipped; disabled rules are checked but
 * not compiled. Every problem is added to p with its path under base (e.g.
 * "/detector_rules/3/pattern"); then returns -1 and *out is untouched.
 * An array without enabled log rules is a valid, empty set. */
int logsig_compile(const json_t *rules, const char *base, int flags, struct logsig_set **out,
                   struct problems *p);

/* Where compiled databases are kept between runs: compiling 200 rules costs
 * ~0.3 s of CPU, loading the serialized database ~1 ms. The caller does the
 * I/O (a directory of files, say: src/util/blobcache.h), so this stays pure.
 * The key is a hex digest of everything the compile depends on (engine
 * version, platform, flags, the enabled rules' patterns in order), so a
 * changed rule set simply misses. */
#define LOGSIG_CACHE_KEY_LEN 65
struct logsig_cache {
    void *ctx;
    /* The bytes stored under key (malloc'd, *len set), or NULL. */
    char *(*load)(void *ctx, const char *key, size_t *len);
    /* Keeps bytes under key; 0 or -1, which the compile ignores (a cache
     * that cannot keep a value costs a compile next time, nothing else). */
    int (*store)(void *ctx, const char *key, const char *bytes, size_t len);
};

/* logsig_compile through a cache (NULL: no cache). Same result, same
 * problems; on a hit the enabled rules' patterns are not compiled nor checked
 * again (a database is stored only after they all passed). */
int logsig_compile_cached(const json_t *rules, const char *base, int flags,
                          const struct logsig_cache *cache, struct logsig_set **out,
                          struct problems *p);
/* The cache key of a set's compiled database; -1 when out of memory. */
int logsig_cache_key(const struct logsig_set *set, char key[LOGSIG_CACHE_KEY_LEN]);

void logsig_set_destroy(struct logsig_set *set);
size_t logsig_set_count(const struct logsig_set *set);
const struct logsig_rule *logsig_set_rule(const struct logsig_set *set, size_t index);
/* The rule with this id, or NULL. */
const struct logsig_rule *logsig_set_find(const struct logsig_set *set, const char *id);
/* A JSON array of the set's rules in detector_rules format (new reference). */
json_t *logsig_set_to_json(const struct logsig_set *set);

int logsig_scanner_create(struct logsig_scanner **out);
void logsig_scanner_destroy(struct logsig_scanner *sc);

struct logsig_match {
    const struct logsig_rule *rule;
    size_t rule_index;
    const char *buf;   /* the whole scanned buffer, for context */
    size_t len;
    size_t line_start; /* the matching line: buf[line_start, line_end), no '\n' */
    size_t line_end;
};
/* Return non-zero to stop the scan. */
typedef int (*logsig_match_fn)(void *ctx, const struct logsig_match *m);

/* Scans buf in one pass, then calls fn for every (rule, line) that matches,
 * ordered by line, then by rule index (vectorscan itself does not promise an
 * order). Returns 0 when done, 1 when fn stopped it, -1 when the engine
 * failed (out of memory). */
int logsig_scan(const struct logsig_set *set, struct logsig_scanner *sc, const char *buf,
                size_t len, logsig_match_fn fn, void *ctx);

/* Widens [line_start, line_end) to up to `before` lines before and `after`
 * lines after it, within buf. */
void logsig_context(const char *buf, size_t len, size_t line_start, size_t line_end,
                    unsigned before, unsigned after, size_t *ctx_start, size_t *ctx_end);

/* Copies src into dst (capacity cap >= 1) as valid UTF-8 for JSON: invalid
 * bytes and control characters other than '\t' and '\n' become '?', and the
 * copy stops before a character that would not fit. Returns the length. */
size_t logsig_sanitize(char *dst, size_t cap, const char *src, size_t len);

struct logsig_key_vars {
    const char *source; /* source instance id */
    const char *rule;   /* rule id */
    const char *file;   /* log file path */
    const char *class;  /* incident class */
    const char *host;   /* host name */
};
/* Expands {source} {rule} {file} {class} {host} in tmpl. Returns 0, or -1 when
 * the result does not fit out or tmpl names an unknown placeholder. */
int logsig_key_expand(const char *tmpl, const struct logsig_key_vars *v, char *out,
                      size_t outlen);

#endif
