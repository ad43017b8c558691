#include "core/finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/classes.h"
#include "core/jsonin.h"
#include "util/timeutil.h"

static const char *const sev_names[] = {"info", "warning", "high", "critical"};

const char *severity_name(enum severity s)
{
    return (s >= SEV_INFO && s <= SEV_CRITICAL) ? sev_names[s] : "unknown";
}

int severity_parse(const char *s, enum severity *out)
{
    for (int i = SEV_INFO; s && i <= SEV_CRITICAL; i++)
        if (strcmp(s, sev_names[i]) == 0) {
            *out = (enum severity)i;
            return 0;
        }
    return -1;
}

const char *finding_status_name(enum finding_status s)
{
    return s == FINDING_RESOLVED ? "resolved" : "firing";
}

static int charset_ok(const char *s, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 (c && strchr(extra, c));
        if (!ok)
            return 0;
    }
    return n >= 1 && n <= max;
}

int finding_id_valid(const char *s) { return s && charset_ok(s, FINDING_ID_MAX, "._:@/+=-"); }
int finding_source_valid(const char *s) { return s && charset_ok(s, FINDING_SOURCE_MAX, "._:/-"); }

int finding_text_valid(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return s != NULL;
}

/* attributes: {string: string|number|bool}, bounded in count and size. */
static char *attributes_from_json(json_t *attrs, const char *base, struct problems *p)
{
    char path[PROBLEM_PATH_MAX];
    json_pointer_child(path, sizeof path, base, "attributes");
    if (!json_is_object(attrs)) {
        problems_add(p, path, "type", "must be an object");
        return NULL;
    }
    if (json_object_size(attrs) > FINDING_ATTRS_MAX) {
        problems_add(p, path, "length", "must have at most %d keys", FINDING_ATTRS_MAX);
        return NULL;
    }
    size_t before = p->count;
    const char *key;
    json_t *v;
    json_object_foreach(attrs, key, v) {
        char kpath[PROBLEM_PATH_MAX];
        json_pointer_child(kpath, sizeof kpath, path, key);
        if (strlen(key) == 0 || strlen(key) > FINDING_ATTR_KEY_MAX || !finding_text_valid(key))
            problems_add(p, kpath, "format",
                         "keys must be 1..%d bytes without control characters",
                         FINDING_ATTR_KEY_MAX);
        else if (json_is_string(v)) {
            if (json_string_length(v) > FINDING_ATTR_VALUE_MAX)
                problems_add(p, kpath, "length", "must be at most %d bytes",
                             FINDING_ATTR_VALUE_MAX);
        } else if (!json_is_number(v) && !json_is_boolean(v)) {
            problems_add(p, kpath, "type", "must be a string, number or boolean");
        }
    }
    if (p->count != before)
        return NULL;
    return json_dumps(attrs, JSON_COMPACT | JSON_SORT_KEYS);
}

static void copy_str(char *dst, size_t dstlen, const char *src)
{
    snprintf(dst, dstlen, "%s", src ? src : "");
}

int finding_from_json(json_t *obj, const char *base, int64_t now_ms, struct finding *out,
                      struct problems *p)
{
    size_t before = p->count;
    char path[PROBLEM_PATH_MAX];
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) {
        problems_add(p, base, "type", "a finding must be an object");
        return -1;
    }
    static const char *const known[] = {"id",       "source",      "class",      "correlation_key",
                                        "severity", "status",      "summary",    "observed_at",
                                        "attributes", "evidence",  NULL};
    jsonin_no_unknown(obj, base, known, p);

    const char *id = jsonin_string(obj, base, "id", 0, FINDING_ID_MAX, p);
    if (id) {
        if (!finding_id_valid(id)) {
            json_pointer_child(path, sizeof path, base, "id");
            problems_add(p, path, "pattern", "must be 1..128 of [A-Za-z0-9._:@/+=-]");
        } else {
            copy_str(out->id, sizeof out->id, id);
        }
    }
    const char *source = jsonin_string(obj, base, "source", 1, FINDING_SOURCE_MAX, p);
    if (source) {
        if (!finding_source_valid(source)) {
            json_pointer_child(path, sizeof path, base, "source");
            problems_add(p, path, "pattern", "must be 1..64 of [A-Za-z0-9._:/-]");
        } else {
            copy_str(out->source, sizeof out->source, source);
        }
    }
    const char *cls = jsonin_string(obj, base, "class", 1, FINDING_CLASS_MAX, p);
    if (cls) {
        if (!class_well_formed(cls)) {
            json_pointer_child(path, sizeof path, base, "class");
            problems_add(p, path, "pattern", "must have the form domain.name ([a-z][a-z0-9_]*)");
        } else {
            copy_str(out->class_, sizeof out->class_, cls);
        }
    }
    const char *key = jsonin_string(obj, base, "correlation_key", 1, FINDING_KEY_MAX, p);
    if (key) {
        if (!*key || !finding_text_valid(key)) {
            json_pointer_child(path, sizeof path, base, "correlation_key");
            problems_add(p, path, "format", "must be non-empty without control characters");
        } else {
            copy_str(out->correlation_key, sizeof out->correlation_key, key);
        }
    }
    const char *sev = jsonin_string(obj, base, "severity", 1, 16, p);
    if (sev && severity_parse(sev, &out->severity) != 0) {
        json_pointer_child(path, sizeof path, base, "severity");
        problems_add(p, path, "enum", "must be one of critical, high, warning, info");
    }
    const char *status = jsonin_string(obj, base, "status", 1, 16, p);
    if (status) {
        if (strcmp(status, "firing") == 0)
            out->status = FINDING_FIRING;
        else if (strcmp(status, "resolved") == 0)
            out->status = FINDING_RESOLVED;
        else {
            json_pointer_child(path, sizeof path, base, "status");
            problems_add(p, path, "enum", "must be firing or resolved");
        }
    }
    const char *summary = jsonin_string(obj, base, "summary", 1, FINDING_SUMMARY_MAX, p);
    if (summary)
        copy_str(out->summary, sizeof out->summary, summary);

    out->observed_at_ms = now_ms;
    const char *at = jsonin_string(obj, base, "observed_at", 0, 40, p);
    if (at && time_parse_rfc3339(at, &out->observed_at_ms) != 0) {
        json_pointer_child(path, sizeof path, base, "observed_at");
        problems_add(p, path, "format", "must be an RFC 3339 time");
    }

    json_t *attrs = json_object_get(obj, "attributes");
    if (attrs && !json_is_null(attrs))
        out->attributes = attributes_from_json(attrs, base, p);

    json_t *ev = json_object_get(obj, "evidence");
    if (ev && !json_is_null(ev)) {
        json_pointer_child(path, sizeof path, base, "evidence");
        if (!json_is_array(ev)) {
            problems_add(p, path, "type", "must be an array");
        } else if (json_array_size(ev) > FINDING_EVIDENCE_MAX) {
            problems_add(p, path, "length", "must have at most %d items", FINDING_EVIDENCE_MAX);
        } else if (json_array_size(ev) > 0) {
            out->evidence = calloc(json_array_size(ev), sizeof *out->evidence);
            if (!out->evidence) {
                problems_add(p, path, "too_large", "out of memory");
            } else {
                size_t i;
                json_t *item;
                json_array_foreach(ev, i, item) {
                    char ipath[PROBLEM_PATH_MAX];
                    json_pointer_index(ipath, sizeof ipath, path, i);
                    if (evidence_from_json(item, ipath, &out->evidence[out->nevidence], p) == 0)
                        out->nevidence++;
                }
            }
        }
    }
    if (p->count != before) {
        finding_clear(out);
        return -1;
    }
    return 0;
}

int findings_from_json(json_t *doc, int64_t now_ms, struct finding_batch *out,
                       struct problems *p)
{
    struct finding_batch b = {0};
    int rc = -1;
    if (json_is_object(doc)) {
        b.items = calloc(1, sizeof *b.items);
        if (!b.items) {
            problems_add(p, "", "too_large", "out of memory");
            goto out;
        }
        if (finding_from_json(doc, "", now_ms, &b.items[0], p) != 0)
            goto out;
        b.count = 1;
        rc = 0;
        goto out;
    }
    if (!json_is_array(doc)) {
        problems_add(p, "", "type", "must be a finding object or an array of findings");
        goto out;
    }
    size_t n = json_array_size(doc);
    if (n == 0 || n > FINDINGS_BATCH_MAX) {
        problems_add(p, "", "length", "must hold 1..%d findings", FINDINGS_BATCH_MAX);
        goto out;
    }
    b.items = calloc(n, sizeof *b.items);
    if (!b.items) {
        problems_add(p, "", "too_large", "out of memory");
        goto out;
    }
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        char base[32];
        json_pointer_index(base, sizeof base, "", i);
        if (finding_from_json(json_array_get(doc, i), base, now_ms, &b.items[b.count], p) == 0)
            b.count++;
        else
            bad++;
    }
    rc = bad ? -1 : 0;
out:
    if (rc == 0) {
        *out = b;
    } else {
        finding_batch_clear(&b);
    }
    return rc;
}

int findings_parse(const char *buf, size_t len, size_t max_bytes, int64_t now_ms,
                   struct finding_batch *out, struct problems *p)
{
    json_t *doc = jsonin_parse(buf, len, max_bytes, JSONIN_DEFAULT_DEPTH, p);
    if (!doc)
        return -1;
    int rc = findings_from_json(doc, now_ms, out, p);
    json_decref(doc);
    return rc;
}

json_t *finding_to_json(const struct finding *f)
{
    char at[32];
    time_format_rfc3339(f->observed_at_ms, at, sizeof at);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "source", f->source, "class",
                          f->class_, "correlation_key", f->correlation_key, "severity",
                          severity_name(f->severity), "status", finding_status_name(f->status),
                          "summary", f->summary, "observed_at", at);
    if (!o)
        return NULL;
    if (f->id[0])
        json_object_set_new(o, "id", json_string(f->id));
    json_error_t err;
    json_t *attrs = f->attributes ? json_loads(f->attributes, 0, &err) : NULL;
    json_object_set_new(o, "attributes", attrs ? attrs : json_object());
    json_t *ev = json_array();
    for (size_t i = 0; i < f->nevidence; i++)
        json_array_append_new(ev, evidence_to_json(&f->evidence[i]));
    json_object_set_new(o, "evidence", ev);
    return o;
}

void finding_clear(struct finding *f)
{
    if (!f)
        return;
    free(f->attributes);
    f->attributes = NULL;
    for (size_t i = 0; i < f->nevidence; i++)
        evidence_clear(&f->evidence[i]);
    free(f->evidence);
    f->evidence = NULL;
    f->nevidence = 0;
}

void finding_batch_clear(struct finding_batch *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->count; i++)
        finding_clear(&b->items[i]);
    free(b->items);
    b->items = NULL;
    b->count = 0;
}
