/* Checked field getters for the policy validators (see policy_internal.h). */
#include <string.h>

#include "core/classes.h"
#include "core/fileroots.h"
#include "core/policy_internal.h"

const char *const pv_severities[] = {"critical", "high", "warning", "info", NULL};

void pv_path(char *out, const char *base, const char *key)
{
    json_pointer_child(out, PROBLEM_PATH_MAX, base, key);
}

void pv_index(char *out, const char *base, size_t i)
{
    json_pointer_index(out, PROBLEM_PATH_MAX, base, i);
}

const json_t *pv_object(const json_t *parent, const char *base, const char *key, int required,
                        const char *const *known, char *path, struct problems *p)
{
    pv_path(path, base, key);
    const json_t *v = json_object_get(parent, key);
    if (!v) {
        if (required)
            problems_add(p, path, "required", "is required");
        return NULL;
    }
    if (!json_is_object(v)) {
        problems_add(p, path, "type", "must be an object");
        return NULL;
    }
    if (known)
        jsonin_no_unknown((json_t *)v, path, known, p);
    return v;
}

const json_t *pv_array(const json_t *parent, const char *base, const char *key, int required,
                       size_t max, char *path, struct problems *p)
{
    pv_path(path, base, key);
    const json_t *v = json_object_get(parent, key);
    if (!v) {
        if (required)
            problems_add(p, path, "required", "is required");
        return NULL;
    }
    if (!json_is_array(v)) {
        problems_add(p, path, "type", "must be an array");
        return NULL;
    }
    if (json_array_size(v) > max) {
        problems_add(p, path, "length", "must have at most %zu items", max);
        return NULL;
    }
    return v;
}

const json_t *pv_item_object(const json_t *arr, size_t i, const char *base,
                             const char *const *known, char *path, struct problems *p)
{
    pv_index(path, base, i);
    const json_t *v = json_array_get(arr, i);
    if (!json_is_object(v)) {
        problems_add(p, path, "type", "must be an object");
        return NULL;
    }
    if (known)
        jsonin_no_unknown((json_t *)v, path, known, p);
    return v;
}

const char *pv_string(const json_t *obj, const char *base, const char *key, int required,
                      size_t max_len, struct problems *p)
{
    const char *s = jsonin_string((json_t *)obj, base, key, required, max_len, p);
    if (s && !*s) {
        char path[PROBLEM_PATH_MAX];
        pv_path(path, base, key);
        problems_add(p, path, "length", "must not be empty");
        return NULL;
    }
    return s;
}

int pv_enum(const json_t *obj, const char *base, const char *key, int required,
            const char *const *values, struct problems *p)
{
    const char *s = pv_string(obj, base, key, required, PV_MAX_NAME, p);
    if (!s)
        return -1;
    for (int i = 0; values[i]; i++)
        if (strcmp(values[i], s) == 0)
            return i;
    char path[PROBLEM_PATH_MAX], allowed[160];
    size_t n = 0;
    allowed[0] = '\0';
    for (int i = 0; values[i] && n < sizeof allowed; i++) {
        size_t len = strlen(values[i]);
        if (n + len + 3 >= sizeof allowed)
            break;
        if (n) {
            memcpy(allowed + n, ", ", 2);
            n += 2;
        }
        memcpy(allowed + n, values[i], len + 1);
        n += len;
    }
    pv_path(path, base, key);
    problems_add(p, path, "enum", "must be one of: %s", allowed);
    return -1;
}

int pv_int(const json_t *obj, const char *base, const char *key, int required, long long min,
           long long max, long long *out, struct problems *p)
{
    return jsonin_int((json_t *)obj, base, key, required, min, max, out, p);
}

int pv_bool(const json_t *obj, const char *base, const char *key, int required, int *out,
            struct problems *p)
{
    return jsonin_bool((json_t *)obj, base, key, required, out, p);
}

int pv_well_formed_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PV_MAX_ID)
        return 0;
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return 0;
    for (size_t i = 1; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
              ch == '.'))
            return 0;
    }
    return 1;
}

const char *pv_id(const json_t *obj, const char *base, const char *key, struct problems *p)
{
    const char *s = pv_string(obj, base, key, 1, PV_MAX_ID, p);
    if (s && !pv_well_formed_id(s)) {
        char path[PROBLEM_PATH_MAX];
        pv_path(path, base, key);
        problems_add(p, path, "pattern",
                     "must start with a lowercase letter or digit and contain only a-z 0-9 _ . -");
        return NULL;
    }
    return s;
}

int pv_dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && !(ch == '-' && i > 0 && i + 1 < n))
            return 0;
    }
    return 1;
}

int pv_dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!alnum && !((ch == '-' || ch == '.') && i > 0 && i + 1 < n))
            return 0;
        if (ch == '.' && s[i + 1] == '.')
            return 0;
    }
    return 1;
}

const char *pv_url(const json_t *obj, const char *base, const char *key, int required,
                   const char *const *schemes, struct problems *p)
{
    const char *s = pv_string(obj, base, key, required, PV_MAX_URL, p);
    if (!s)
        return NULL;
    char path[PROBLEM_PATH_MAX];
    pv_path(path, base, key);
    const char *sep = strstr(s, "://");
    int scheme_ok = 0;
    for (const char *const *sc = schemes; sep && *sc; sc++)
        if (strlen(*sc) == (size_t)(sep - s) && strncmp(s, *sc, (size_t)(sep - s)) == 0)
            scheme_ok = 1;
    if (!scheme_ok) {
        problems_add(p, path, "format", "must be a URL starting with %s://", schemes[0]);
        return NULL;
    }
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            problems_add(p, path, "format", "must not contain spaces or control characters");
            return NULL;
        }
    const char *host = sep + 3;
    size_t auth_len = strcspn(host, "/?#");
    /* The user-info ends at the last '@' of the authority (as redaction reads it). */
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++)
        if (host[i] == '@')
            at = host + i;
    if (at) {
        if (memchr(host, ':', (size_t)(at - host))) {
            problems_add(p, path, "secret_in_clear",
                         "must not carry a password; use a secret_ref field instead");
            return NULL;
        }
        auth_len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    if (auth_len == 0 || *host == ':') {
        problems_add(p, path, "format", "must name a host");
        return NULL;
    }
    return s;
}

static int env_name_ok(const char *s)
{
    if (!*s || strlen(s) > 128 || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

void pv_secret_source(const json_t *holder, const char *path, struct problems *p)
{
    static const char *const src_fields[] = {"env", "file", NULL};
    char rpath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *ref = pv_object(holder, path, "secret_ref", 1, src_fields, rpath, p);
    if (!ref)
        return;
    int has_env = json_object_get(ref, "env") != NULL;
    int has_file = json_object_get(ref, "file") != NULL;
    if (has_env == has_file) {
        problems_add(p, rpath, "required", "must have exactly one of env or file");
        return;
    }
    if (has_env) {
        const char *env = pv_string(ref, rpath, "env", 1, 128, p);
        pv_path(fpath, rpath, "env");
        if (env && !env_name_ok(env))
            problems_add(p, fpath, "pattern", "must be an environment variable name [A-Z_][A-Z0-9_]*");
        else if (env && strncmp(env, SECRET_ENV_PREFIX, strlen(SECRET_ENV_PREFIX)) != 0)
            problems_add(p, fpath, "forbidden",
                         "must start with " SECRET_ENV_PREFIX " (the policy may read only "
                         "variables meant for it)");
    } else {
        const char *file = pv_string(ref, rpath, "file", 1, PV_MAX_TEXT, p);
        pv_path(fpath, rpath, "file");
        if (file && file[0] != '/')
            problems_add(p, fpath, "format", "must be an absolute path");
    }
}

void pv_secret_ref(const json_t *obj, const char *base, const char *key, int required,
                   struct problems *p)
{
    static const char *const ref_fields[] = {"secret_ref", NULL};
    char path[PROBLEM_PATH_MAX];
    if (json_is_string(json_object_get(obj, key)))
        return; /* secret_in_clear, reported by pv_clear_secrets */
    const json_t *holder = pv_object(obj, base, key, required, ref_fields, path, p);
    if (holder)
        pv_secret_source(holder, path, p);
}

const char *pv_class(const json_t *obj, const char *base, const char *key, int required,
                     struct problems *p)
{
    const char *s = pv_string(obj, base, key, required, 96, p);
    if (!s)
        return NULL;
    char path[PROBLEM_PATH_MAX];
    pv_path(path, base, key);
    if (!class_well_formed(s)) {
        problems_add(p, path, "format", "must have the form domain.name");
        return NULL;
    }
    if (!class_known(s)) {
        problems_add(p, path, "reference", "%s is not a known incident class", s);
        return NULL;
    }
    return s;
}

const json_t *pv_string_list(const json_t *parent, const char *base, const char *key,
                             int required, size_t max_items, size_t max_len,
                             pv_string_check check, struct problems *p)
{
    char path[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(parent, base, key, required, max_items, path, p);
    if (!arr)
        return NULL;
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        pv_index(ipath, path, i);
        if (!json_is_string(v)) {
            problems_add(p, ipath, "type", "must be a string");
            continue;
        }
        const char *s = json_string_value(v);
        if (json_string_length(v) == 0 || json_string_length(v) > max_len ||
            strlen(s) != json_string_length(v)) {
            problems_add(p, ipath, "length", "must be 1 to %zu bytes without NUL", max_len);
            continue;
        }
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++) {
            const json_t *w = json_array_get(arr, j);
            dup = json_is_string(w) && strcmp(json_string_value(w), s) == 0;
        }
        if (dup) {
            problems_add(p, ipath, "duplicate", "%s is listed twice", s);
            continue;
        }
        if (check)
            check(s, ipath, p);
    }
    return arr;
}
