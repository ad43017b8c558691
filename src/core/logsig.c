/* Log signatures, part one: detector rules from JSON (or the built-in table)
 * to one compiled vectorscan database. Scanning is in logsig_scan.c. */
#include "core/logsig.h"
#include "core/logsig_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/builtin_rules.h"
#include "core/classes.h"
#include "core/jsonin.h"
#include "util/crypto.h"

/* Sets get a serial so a scanner can tell a new set from an old one that was
 * freed and happened to reuse the address. */
static atomic_ullong next_serial = 1;

static const char *const severities[] = {"critical", "high", "warning", "info", NULL};
/* The fields of a detector rule in the policy (src/core/policy_rules.c). */
static const char *const rule_fields[] = {"id",       "builtin",      "enabled",        "kind",
                                          "pattern",  "expression",   "probe",          "class",
                                          "severity", "key_template", "window_seconds", "threshold",
                                          NULL};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void rule_free(struct logsig_rule *r)
{
    free(r->id);
    free(r->pattern);
    free(r->class);
    free(r->severity);
    free(r->key_template);
}

void logsig_set_destroy(struct logsig_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        rule_free(&set->rules[i]);
    free(set->rules);
    hs_free_database(set->db);
    free(set);
}

size_t logsig_set_count(const struct logsig_set *set) { return set ? set->count : 0; }

const struct logsig_rule *logsig_set_rule(const struct logsig_set *set, size_t index)
{
    return set && index < set->count ? &set->rules[index] : NULL;
}

const struct logsig_rule *logsig_set_find(const struct logsig_set *set, const char *id)
{
    for (size_t i = 0; set && i < set->count; i++)
        if (strcmp(set->rules[i].id, id) == 0)
            return &set->rules[i];
    return NULL;
}

json_t *logsig_set_to_json(const struct logsig_set *set)
{
    json_t *arr = json_array();
    for (size_t i = 0; set && i < set->count; i++) {
        const struct logsig_rule *r = &set->rules[i];
        json_array_append_new(
            arr, json_pack("{s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "id", r->id,
                           "builtin", r->builtin, "enabled", 1, "kind", "log_signature",
                           "pattern", r->pattern, "class", r->class, "severity", r->severity,
                           "key_template", r->key_template, "window_seconds",
                           (json_int_t)r->window_seconds, "threshold", (json_int_t)r->threshold));
    }
    return arr;
}

static int id_well_formed(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':'))
            return 0;
    }
    return 1;
}

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* Checks a key template by expanding it with dummy values. */
static int key_template_ok(const char *tmpl)
{
    static const struct logsig_key_vars v = {"s", "r", "f", "c", "h"};
    char out[LOGSIG_KEY_TEMPLATE_MAX * 2];
    return logsig_key_expand(tmpl, &v, out, sizeof out) == 0;
}

/* Lets vectorscan parse one pattern, so that every bad pattern is reported
 * with its own path (a multi-pattern compile stops at the first). */
static void check_pattern(const char *pattern, const char *path, struct problems *p)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *cerr = NULL;
    if (hs_expression_info(pattern, LOGSIG_HS_FLAGS, &info, &cerr) != HS_SUCCESS) {
        problems_add(p, path, "pattern", "%s", cerr ? cerr->message : "does not compile");
        hs_free_compile_error(cerr);
        return;
    }
    /* A pattern that can match nothing would match every line. */
    if (info->min_width == 0)
        problems_add(p, path, "pattern", "can match the empty string, so every line");
    free(info); /* allocated with the misc allocator: malloc by default */
}

/* One detector rule as read, strings borrowed from the JSON or the table. */
struct rule_view {
    const char *id, *pattern, *class, *severity, *key_template;
    long long window, threshold;
    int builtin;
};

/* Reads one detector rule into v. Returns 1 when it is an enabled log rule to
 * compile, 0 to skip it; problems go to p. */
static int read_rule(json_t *e, const char *path, int flags, int defer_patterns,
                     struct rule_view *v, struct problems *p)
{
    char fp[PROBLEM_PATH_MAX];
    size_t before = p->count;
    if (!json_is_object(e)) {
        problems_add(p, path, "type", "must be an object");
        return 0;
    }
    if (flags & LOGSIG_STRICT)
        jsonin_no_unknown(e, path, rule_fields, p);
    memset(v, 0, sizeof *v);
    v->id = jsonin_string(e, path, "id", 1, LOGSIG_ID_MAX, p);
    if (v->id && !id_well_formed(v->id)) {
        json_pointer_child(fp, sizeof fp, path, "id");
        problems_add(p, fp, "format", "use letters, digits and . _ - : only");
    }
    int enabled = 1;
    (void)jsonin_bool(e, path, "enabled", 0, &enabled, p);
    (void)jsonin_bool(e, path, "builtin", 0, &v->builtin, p);
    const char *kind = jsonin_string(e, path, "kind", 0, 64, p);
    if (v->builtin) {
        const struct builtin_rule *b = v->id ? builtin_rule_find(v->id) : NULL;
        if (v->id && !b) {
            json_pointer_child(fp, sizeof fp, path, "id");
            problems_add(p, fp, "reference", "no built-in rule has this id");
        }
        if (!b || p->count > before)
            return 0;
        /* Protected: the table decides everything but `enabled`. */
        v->pattern = b->pattern;
        v->class = b->class;
        v->severity = b->severity;
        v->key_template = b->key_template;
        v->window = b->window_seconds;
        v->threshold = b->threshold;
        return enabled && strcmp(b->kind, "log_signature") == 0;
    }
    if (kind && strcmp(kind, "log_signature") != 0)
        return 0; /* metric and probe rules belong to other engines */
    v->pattern = jsonin_string(e, path, "pattern", 1, LOGSIG_PATTERN_MAX, p);
    /* With a cache the patterns of enabled rules are checked only when the
     * database is not in it (see logsig_compile_cached). */
    if (v->pattern && !(defer_patterns && enabled)) {
        json_pointer_child(fp, sizeof fp, path, "pattern");
        check_pattern(v->pattern, fp, p);
    }
    v->class = jsonin_string(e, path, "class", 1, 96, p);
    if (v->class && !class_known(v->class)) {
        json_pointer_child(fp, sizeof fp, path, "class");
        problems_add(p, fp, "enum", "unknown incident class \"%s\"", v->class);
    }
    v->severity = jsonin_string(e, path, "severity", 0, 16, p);
    if (!v->severity)
        v->severity = "warning";
    else if (!one_of(v->severity, severities)) {
        json_pointer_child(fp, sizeof fp, path, "severity");
        problems_add(p, fp, "enum", "must be critical, high, warning or info");
    }
    v->key_template = jsonin_string(e, path, "key_template", 0, LOGSIG_KEY_TEMPLATE_MAX, p);
    if (!v->key_template)
        v->key_template = LOGSIG_DEFAULT_KEY_TEMPLATE;
    else if ((flags & LOGSIG_STRICT) && !key_template_ok(v->key_template)) {
        /* The policy allows any {name}; at run time an unknown one falls back
         * to the default key (see the logfile source), so only strict callers
         * (`srebot scan --rules`) are told. */
        json_pointer_child(fp, sizeof fp, path, "key_template");
        problems_add(p, fp, "format",
                     "placeholders are {source} {rule} {file} {class} {host}, braces balanced");
    }
    v->window = 300;
    v->threshold = 1;
    (void)jsonin_int(e, path, "window_seconds", 0, 1, 86400, &v->window, p);
    (void)jsonin_int(e, path, "threshold", 0, 1, 100000, &v->threshold, p);
    /* Checked field by field too: once the problem list is full, problems_add
     * stops counting, so "no new problem" alone does not prove a field is there. */
    return enabled && p->count == before && v->id && v->pattern && v->class;
}

static int rule_copy(struct logsig_rule *r, const struct rule_view *v)
{
    r->id = dup_str(v->id);
    r->pattern = dup_str(v->pattern);
    r->class = dup_str(v->class);
    r->severity = dup_str(v->severity);
    r->key_template = dup_str(v->key_template);
    r->window_seconds = (unsigned)v->window;
    r->threshold = (unsigned)v->threshold;
    r->builtin = v->builtin;
    return r->id && r->pattern && r->class && r->severity && r->key_template ? 0 : -1;
}

/* Rule ids are unique across the whole array, disabled rules included. */
static void report_duplicate_id(const json_t *rules, size_t i, const char *base,
                                struct problems *p)
{
    const char *id = json_string_value(json_object_get(json_array_get(rules, i), "id"));
    if (!id)
        return;
    for (size_t j = 0; j < i; j++) {
        const char *other = json_string_value(json_object_get(json_array_get(rules, j), "id"));
        if (other && strcmp(id, other) == 0) {
            char path[PROBLEM_PATH_MAX], fp[PROBLEM_PATH_MAX];
            json_pointer_index(path, sizeof path, base, i);
            json_pointer_child(fp, sizeof fp, path, "id");
            problems_add(p, fp, "duplicate", "rule id \"%s\" already used at index %zu", id, j);
            return;
        }
    }
}

static int compile_db(struct logsig_set *set, const char *base, struct problems *p)
{
    if (set->count == 0)
        return 0; /* an empty set scans nothing; vectorscan refuses zero patterns */
    int rc = -1;
    const char **exprs = calloc(set->count, sizeof *exprs);
    unsigned *fl = calloc(set->count, sizeof *fl);
    unsigned *ids = calloc(set->count, sizeof *ids);
    if (!exprs || !fl || !ids) {
        problems_add(p, base, "too_large", "out of memory compiling %zu rules", set->count);
        goto out;
    }
    for (size_t i = 0; i < set->count; i++) {
        exprs[i] = set->rules[i].pattern;
        fl[i] = LOGSIG_HS_FLAGS;
        ids[i] = (unsigned)i; /* the match id is the rule's index */
    }
    hs_compile_error_t *cerr = NULL;
    if (hs_compile_multi(exprs, fl, ids, (unsigned)set->count, HS_MODE_BLOCK, NULL, &set->db,
                         &cerr) != HS_SUCCESS) {
        char path[PROBLEM_PATH_MAX];
        if (cerr && cerr->expression >= 0 && (size_t)cerr->expression < set->count)
            snprintf(path, sizeof path, "%s(rule %s)", base, set->rules[cerr->expression].id);
        else
            snprintf(path, sizeof path, "%s", base);
        problems_add(p, path, "pattern", "%s", cerr ? cerr->message : "compile failed");
        hs_free_compile_error(cerr);
        set->db = NULL;
        goto out;
    }
    rc = 0;
out:
    free(exprs);
    free(fl);
    free(ids);
    return rc;
}

/* The key: a digest of everything the compiled database depends on: the
 * engine's version, the platform it was compiled for, the flags, and each
 * rule's pattern in order (its index is its match id). */
int logsig_cache_key(const struct logsig_set *set, char key[LOGSIG_CACHE_KEY_LEN])
{
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    (void)hs_populate_platform(&plat);
    char head[160];
    int hn = snprintf(head, sizeof head, "srebot-logsig-db 1\n%s\n%u %llu %u\n", hs_version(),
                      plat.tune, (unsigned long long)plat.cpu_features,
                      (unsigned)LOGSIG_HS_FLAGS);
    size_t len = (size_t)hn;
    for (size_t i = 0; i < set->count; i++)
        len += strlen(set->rules[i].pattern) + 1;
    char *material = malloc(len);
    if (!material)
        return -1;
    memcpy(material, head, (size_t)hn);
    size_t o = (size_t)hn;
    for (size_t i = 0; i < set->count; i++) {
        size_t n = strlen(set->rules[i].pattern) + 1; /* with its NUL: a separator */
        memcpy(material + o, set->rules[i].pattern, n);
        o += n;
    }
    crypto_sha256_hex(material, len, key);
    free(material);
    return 0;
}

/* Takes the database from the cache. Returns 0 on a hit; anything wrong with
 * the stored bytes (another engine version, platform, a torn file) is a miss. */
static int load_cached(struct logsig_set *set, const struct logsig_cache *cache,
                       const char *key)
{
    size_t len = 0;
    char *bytes = cache->load(cache->ctx, key, &len);
    if (!bytes)
        return -1;
    hs_database_t *db = NULL;
    hs_error_t rc = hs_deserialize_database(bytes, len, &db);
    free(bytes);
    if (rc != HS_SUCCESS)
        return -1;
    set->db = db;
    return 0;
}

static void store_cached(const struct logsig_set *set, const struct logsig_cache *cache,
                         const char *key)
{
    char *bytes = NULL;
    size_t len = 0;
    if (!set->db || hs_serialize_database(set->db, &bytes, &len) != HS_SUCCESS)
        return;
    (void)cache->store(cache->ctx, key, bytes, len);
    free(bytes); /* allocated with the misc allocator: malloc by default */
}

/* Reads the rules into a new set (patterns not compiled). With defer_patterns
 * the patterns of enabled rules are not checked; src[i] then tells which
 * entry of rules the set's rule i came from. Returns NULL on problems. */
static struct logsig_set *read_set(const json_t *rules, size_t n, const char *base, int flags,
                                   int defer_patterns, size_t *src, struct problems *p)
{
    size_t before = p->count;
    struct logsig_set *set = calloc(1, sizeof *set);
    if (!set || (n && !(set->rules = calloc(n, sizeof *set->rules)))) {
        free(set);
        problems_add(p, base, "too_large", "out of memory");
        return NULL;
    }
    set->serial = atomic_fetch_add(&next_serial, 1);
    for (size_t i = 0; rules && i < n; i++)
        report_duplicate_id(rules, i, base, p);
    for (size_t i = 0; i < n; i++) {
        struct rule_view v;
        char path[PROBLEM_PATH_MAX];
        json_pointer_index(path, sizeof path, base, i);
        if (rules) {
            if (!read_rule(json_array_get(rules, i), path, flags, defer_patterns, &v, p))
                continue;
        } else {
            const struct builtin_rule *b = &builtin_rules[i];
            if (strcmp(b->kind, "log_signature") != 0)
                continue;
            v = (struct rule_view){b->id,         b->pattern,        b->class,   b->severity,
                                   b->key_template, b->window_seconds, b->threshold, 1};
        }
        if (rule_copy(&set->rules[set->count], &v) != 0) {
            rule_free(&set->rules[set->count]);
            problems_add(p, path, "too_large", "out of memory");
            continue;
        }
        if (src)
            src[set->count] = i;
        set->count++;
    }
    if (p->count > before) {
        logsig_set_destroy(set);
        return NULL;
    }
    return set;
}

/* How many entries rules has (the built-in table when NULL), or -1. */
static long rule_entries(const json_t *rules, const char *base, struct problems *p)
{
    if (rules && !json_is_array(rules)) {
        problems_add(p, base, "type", "must be an array of detector rules");
        return -1;
    }
    size_t n = 0;
    if (rules)
        n = json_array_size(rules);
    else
        while (builtin_rules[n].id)
            n++;
    if (n > LOGSIG_MAX_RULES) {
        problems_add(p, base, "range", "at most %d rules", LOGSIG_MAX_RULES);
        return -1;
    }
    return (long)n;
}

int logsig_compile(const json_t *rules, const char *base, int flags, struct logsig_set **out,
                   struct problems *p)
{
    if (!base)
        base = "";
    long n = rule_entries(rules, base, p);
    if (n < 0)
        return -1;
    struct logsig_set *set = read_set(rules, (size_t)n, base, flags, 0, NULL, p);
    if (!set)
        return -1;
    if (compile_db(set, base, p) != 0) {
        logsig_set_destroy(set);
        return -1;
    }
    *out = set;
    return 0;
}

int logsig_compile_cached(const json_t *rules, const char *base, int flags,
                          const struct logsig_cache *cache, struct logsig_set **out,
                          struct problems *p)
{
    if (!cache)
        return logsig_compile(rules, base, flags, out, p);
    if (!base)
        base = "";
    size_t before = p->count;
    long n = rule_entries(rules, base, p);
    if (n < 0)
        return -1;
    size_t *src = calloc((size_t)n + 1, sizeof *src);
    struct logsig_set *set = src ? read_set(rules, (size_t)n, base, flags, 1, src, p) : NULL;
    if (!set) {
        free(src);
        /* Report exactly what the uncached compile reports, in its order
         * (the deferred pattern checks interleave with the others there). */
        p->count = before;
        return logsig_compile(rules, base, flags, out, p);
    }
    int rc = -1;
    char key[LOGSIG_CACHE_KEY_LEN];
    int keyed = logsig_cache_key(set, key) == 0;
    if (keyed && set->count > 0 && load_cached(set, cache, key) == 0) {
        rc = 0; /* stored only after a compile whose patterns all passed the checks */
        goto out;
    }
    for (size_t i = 0; rules && i < set->count; i++) {
        char path[PROBLEM_PATH_MAX], fp[PROBLEM_PATH_MAX];
        json_pointer_index(path, sizeof path, base, src[i]);
        json_pointer_child(fp, sizeof fp, path, "pattern");
        check_pattern(set->rules[i].pattern, fp, p);
    }
    if (p->count > before || compile_db(set, base, p) != 0)
        goto out;
    if (keyed)
        store_cached(set, cache, key);
    rc = 0;
out:
    free(src);
    if (rc == 0)
        *out = set;
    else
        logsig_set_destroy(set);
    return rc;
}
