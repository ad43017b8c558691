#include "core/jsonin.h"

#include <stdio.h>
#include <string.h>

/* Depth check before parsing, so a hostile "[[[[..." never reaches the parser's recursion. */
static int max_nesting(const char *buf, size_t len, int limit)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > limit)
                return depth;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

json_t *jsonin_parse(const char *buf, size_t len, size_t max_bytes, int max_depth,
                     struct problems *out)
{
    if (len > max_bytes) {
        problems_add(out, "", "too_large", "document is %zu bytes; the limit is %zu", len,
                     max_bytes);
        return NULL;
    }
    if (max_nesting(buf, len, max_depth)) {
        problems_add(out, "", "too_deep", "document nests deeper than %d levels", max_depth);
        return NULL;
    }
    json_error_t err;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        problems_add(out, "", "invalid_json", "line %d column %d: %s", err.line, err.column,
                     err.text);
        return NULL;
    }
    return doc;
}

json_t *jsonin_parse_text(const char *buf, size_t len, size_t max_bytes, int max_depth, char *err,
                          size_t errlen)
{
    if (len > max_bytes) {
        snprintf(err, errlen, "too_large: %zu bytes; the limit is %zu", len, max_bytes);
        return NULL;
    }
    if (max_nesting(buf, len, max_depth)) {
        snprintf(err, errlen, "too_deep: nests deeper than %d levels", max_depth);
        return NULL;
    }
    json_error_t e;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
    if (!doc)
        snprintf(err, errlen, "invalid_json: line %d column %d: %s", e.line, e.column, e.text);
    return doc;
}

/* The field's value and its path; NULL (with a "required" problem when it must be
 * there) when absent. */
static json_t *field(json_t *obj, const char *base, const char *key, int required,
                     char path[PROBLEM_PATH_MAX], struct problems *p)
{
    json_pointer_child(path, PROBLEM_PATH_MAX, base, key);
    json_t *v = json_object_get(obj, key);
    if (!v && required)
        problems_add(p, path, "required", "is required");
    return v;
}

const char *jsonin_string(json_t *obj, const char *base, const char *key, int required,
                          size_t max_len, struct problems *p)
{
    char path[PROBLEM_PATH_MAX];
    json_t *v = field(obj, base, key, 0, path, p);
    if (!v || json_is_null(v)) {
        if (required)
            problems_add(p, path, "required", "is required");
        return NULL;
    }
    if (!json_is_string(v)) {
        problems_add(p, path, "type", "must be a string");
        return NULL;
    }
    if (json_string_length(v) > max_len) {
        problems_add(p, path, "length", "must be at most %zu bytes", max_len);
        return NULL;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        problems_add(p, path, "format", "must not contain NUL characters");
        return NULL;
    }
    return json_string_value(v);
}

int jsonin_int(json_t *obj, const char *base, const char *key, int required, long long min,
               long long max, long long *out, struct problems *p)
{
    char path[PROBLEM_PATH_MAX];
    json_t *v = field(obj, base, key, required, path, p);
    if (!v)
        return -1;
    if (!json_is_integer(v)) {
        problems_add(p, path, "type", "must be an integer");
        return -1;
    }
    long long n = json_integer_value(v);
    if (n < min || n > max) {
        problems_add(p, path, "range", "must be between %lld and %lld", min, max);
        return -1;
    }
    *out = n;
    return 0;
}

int jsonin_bool(json_t *obj, const char *base, const char *key, int required, int *out,
                struct problems *p)
{
    char path[PROBLEM_PATH_MAX];
    json_t *v = field(obj, base, key, required, path, p);
    if (!v)
        return -1;
    if (!json_is_boolean(v)) {
        problems_add(p, path, "type", "must be true or false");
        return -1;
    }
    *out = json_is_true(v);
    return 0;
}

void jsonin_no_unknown(json_t *obj, const char *base, const char *const *known, struct problems *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int found = 0;
        for (const char *const *k = known; *k; k++)
            if (strcmp(*k, key) == 0) {
                found = 1;
                break;
            }
        if (!found) {
            char path[PROBLEM_PATH_MAX];
            json_pointer_child(path, sizeof path, base, key);
            problems_add(p, path, "unknown_field", "is not a known field");
        }
    }
}
