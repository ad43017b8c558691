/* Validation of what the bot watches: detector rules (built-in ones protected),
 * probes and log sources. log_signature patterns are compiled with vectorscan
 * here, once per pattern, so every bad pattern is reported with the engine's
 * own reason; the database is thrown away (the log scanner compiles its own). */
#ifdef SREBOT_WITH_VECTORSCAN
#include <hs/hs.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/policy_internal.h"

static const char *const rule_kinds[] = {"log_signature", "metric_threshold", "probe", NULL};
static const char *const rule_bodies[] = {"pattern", "expression", "probe", NULL};

#ifndef SREBOT_WITH_VECTORSCAN
/* A build without the log detector runs no pattern, so it cannot check one
 * with the engine that would: patterns are kept as given (the policy stays
 * portable to a build with it, which checks them at the next save). */
static void compile_pattern(const char *pattern, const char *path, struct problems *p)
{
    (void)pattern;
    (void)path;
    (void)p;
}
#else
static void compile_pattern(const char *pattern, const char *path, struct problems *p)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *err = NULL;
    if (hs_compile(pattern, HS_FLAG_MULTILINE, HS_MODE_BLOCK, NULL, &db, &err) != HS_SUCCESS) {
        problems_add(p, path, "pattern", "does not compile: %s",
                     err && err->message ? err->message : "unknown error");
        hs_free_compile_error(err);
        return;
    }
    hs_free_database(db);
}
#endif

static int ident_char(char ch, int first)
{
    return (ch >= 'a' && ch <= 'z') || ch == '_' || (!first && ((ch >= '0' && ch <= '9') || ch == '.'));
}

/* "<metric> <op> <number>", e.g. "disk_used_percent >= 90" or "latency_ms > 2.5". */
static int expression_ok(const char *s)
{
    while (*s == ' ')
        s++;
    if (!ident_char(*s, 1))
        return 0;
    while (ident_char(*s, 0))
        s++;
    while (*s == ' ')
        s++;
    if (*s != '<' && *s != '>')
        return 0;
    s += s[1] == '=' ? 2 : 1;
    while (*s == ' ')
        s++;
    char *end;
    strtod(s, &end);
    if (end == s || !((*s >= '0' && *s <= '9') || *s == '-' || *s == '.'))
        return 0;
    while (*end == ' ')
        end++;
    return *end == '\0';
}

/* Placeholders are {name} with name [a-z_][a-z0-9_.]*; other braces are errors. */
static int key_template_ok(const char *s)
{
    for (; *s; s++) {
        if (*s == '}')
            return 0;
        if (*s != '{')
            continue;
        s++;
        if (!ident_char(*s, 1))
            return 0;
        while (ident_char(*s, 0))
            s++;
        if (*s != '}')
            return 0;
    }
    return 1;
}

static int probe_exists(const json_t *probes, const char *id)
{
    size_t i;
    const json_t *pr;
    json_array_foreach(probes, i, pr) {
        const char *pid = json_string_value(json_object_get(pr, "id"));
        if (pid && strcmp(pid, id) == 0)
            return 1;
    }
    return 0;
}

/* A built-in rule may change only `enabled`, and only where the posture allows. */
static void builtin_rule(const json_t *r, const char *ipath, const char *id, struct pv_ctx *c)
{
    char fpath[PROBLEM_PATH_MAX];
    const struct builtin_rule *b = builtin_rule_find(id);
    if (!b) {
        pv_path(fpath, ipath, "id");
        problems_add(c->p, fpath, "reference", "%s is not a built-in rule", id);
        return;
    }
    json_t *want = policy_builtin_rule_json(b);
    const char *key;
    json_t *v;
    json_object_foreach(want, key, v) {
        if (strcmp(key, "enabled") == 0)
            continue;
        const json_t *have = json_object_get(r, key);
        if (have && !json_equal((json_t *)have, v)) {
            pv_path(fpath, ipath, key);
            problems_add(c->p, fpath, "forbidden", "built-in rules cannot be changed");
        }
    }
    json_decref(want);
    if (json_is_false(json_object_get(r, "enabled")) && c->posture_known &&
        c->posture == ENV_PRODUCTION) {
        pv_path(fpath, ipath, "enabled");
        problems_add(c->p, fpath, "forbidden", "production: built-in rules cannot be disabled");
    }
}

/* A built-in rule's own pattern needs no compile here: the table ships with the
 * binary and its tests compile every row (a changed pattern is refused anyway). */
static int builtin_pattern(const json_t *r, const char *id, const char *pattern)
{
    const struct builtin_rule *b = id && json_is_true(json_object_get(r, "builtin"))
                                       ? builtin_rule_find(id)
                                       : NULL;
    return b && b->pattern && strcmp(b->pattern, pattern) == 0;
}

static void rule(const json_t *arr, size_t i, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {"id",       "builtin",      "enabled",        "kind",
                                        "pattern",  "expression",   "probe",          "class",
                                        "severity", "key_template", "window_seconds", "threshold",
                                        NULL};
    char ipath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *r = pv_item_object(arr, i, path, known, ipath, c->p);
    if (!r)
        return;
    const char *id = pv_id(r, ipath, "id", c->p);
    for (size_t j = 0; id && j < i; j++) {
        const char *other = json_string_value(json_object_get(json_array_get(arr, j), "id"));
        if (other && strcmp(other, id) == 0) {
            pv_path(fpath, ipath, "id");
            problems_add(c->p, fpath, "duplicate", "rule id %s is used by item %zu", id, j);
            id = NULL;
            break;
        }
    }
    int builtin = 0, enabled;
    long long n;
    pv_bool(r, ipath, "builtin", 1, &builtin, c->p);
    pv_bool(r, ipath, "enabled", 1, &enabled, c->p);
    pv_class(r, ipath, "class", 1, c->p);
    pv_enum(r, ipath, "severity", 1, pv_severities, c->p);
    const char *tmpl = pv_string(r, ipath, "key_template", 1, 256, c->p);
    if (tmpl && !key_template_ok(tmpl)) {
        pv_path(fpath, ipath, "key_template");
        problems_add(c->p, fpath, "format", "placeholders are {name} with name [a-z_][a-z0-9_.]*");
    }
    pv_int(r, ipath, "window_seconds", 1, 1, 86400, &n, c->p);
    pv_int(r, ipath, "threshold", 1, 1, 100000, &n, c->p);

    int kind = pv_enum(r, ipath, "kind", 1, rule_kinds, c->p);
    for (int k = 0; kind >= 0 && rule_bodies[k]; k++) {
        pv_path(fpath, ipath, rule_bodies[k]);
        if (k != kind) {
            if (json_object_get(r, rule_bodies[k]))
                problems_add(c->p, fpath, "forbidden", "only for kind %s", rule_kinds[k]);
            continue;
        }
        const char *body = pv_string(r, ipath, rule_bodies[k], 1,
                                     k == 2 ? PV_MAX_ID : PV_MAX_PATTERN, c->p);
        if (!body)
            continue;
        if (k == 0 && !builtin_pattern(r, id, body))
            compile_pattern(body, fpath, c->p);
        else if (k == 1 && !expression_ok(body))
            problems_add(c->p, fpath, "format",
                         "must read <metric> <op> <number> with op one of > >= < <=");
        else if (k == 2 && c->probes && !probe_exists(c->probes, body))
            problems_add(c->p, fpath, "reference", "no probe has the id %s", body);
    }

    if (!id)
        return;
    if (builtin) {
        builtin_rule(r, ipath, id, c);
    } else if (strncmp(id, "builtin.", 8) == 0) {
        pv_path(fpath, ipath, "id");
        problems_add(c->p, fpath, "forbidden", "ids starting with builtin. are reserved");
    }
}

void pv_detector_rules(const json_t *doc, struct pv_ctx *c)
{
    char path[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(doc, "", "detector_rules", 1, PV_MAX_RULES, path, c->p);
    if (!arr)
        return;
    for (size_t i = 0; i < json_array_size(arr); i++)
        rule(arr, i, path, c);
    /* Built-in rules are part of every policy: removing one is refused. */
    for (const struct builtin_rule *b = builtin_rules; b->id; b++) {
        int found = 0;
        size_t i;
        const json_t *r;
        json_array_foreach(arr, i, r) {
            const char *id = json_string_value(json_object_get(r, "id"));
            if (id && strcmp(id, b->id) == 0 && json_is_true(json_object_get(r, "builtin")))
                found = 1;
        }
        if (!found)
            problems_add(c->p, path, "forbidden", "built-in rule %s cannot be removed", b->id);
    }
}

/* host:port with host a name, an IPv4 address or a [bracketed] IPv6 address. */
static int host_port_ok(const char *s)
{
    const char *colon;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (!close || close == s + 1 || close[1] != ':')
            return 0;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || colon == s)
            return 0;
        for (const char *q = s; q < colon; q++)
            if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
                  *q == '-' || *q == '.' || *q == '_'))
                return 0;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return colon[1] >= '0' && colon[1] <= '9' && *end == '\0' && port >= 1 && port <= 65535;
}

static int hostname_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253 || *s == '.' || *s == '-')
        return 0;
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '-' || *q == '.' || *q == '_'))
            return 0;
    return strstr(s, "..") == NULL;
}

enum { P_TCP, P_HTTP, P_DNS, P_TLS, P_OIDC, P_REGISTRY };
#define K(x) (1u << (x))

/* Kind options: which kinds take each (others get `forbidden`). */
static const struct {
    const char *name;
    unsigned kinds;
    const char *kinds_text;
} probe_options[] = {
    {"class", K(P_TCP) | K(P_HTTP) | K(P_DNS) | K(P_TLS), "tcp, http, dns, tls"},
    {"expect_status", K(P_HTTP), "http"},
    {"body_match", K(P_HTTP), "http"},
    {"ca_file", K(P_HTTP) | K(P_OIDC) | K(P_REGISTRY), "http, oidc, registry"},
    {"insecure", K(P_HTTP) | K(P_OIDC) | K(P_REGISTRY), "http, oidc, registry"},
    {"check_jwks", K(P_OIDC), "oidc"},
    {"credential", K(P_REGISTRY), "registry"},
    {"scope", K(P_REGISTRY), "registry"},
    {"min_cert_days", K(P_TLS), "tls"},
    {"server_name", K(P_TLS), "tls"},
    {"expect_address", K(P_DNS), "dns"},
    {"family", K(P_DNS), "dns"},
};

static void credential(const json_t *pr, const char *ipath, struct problems *p)
{
    static const char *const known[] = {"username", "secret_ref", NULL};
    char path[PROBLEM_PATH_MAX];
    if (json_is_string(json_object_get(pr, "credential")))
        return; /* secret_in_clear, reported by the clear-secret scan */
    const json_t *cred = pv_object(pr, ipath, "credential", 0, known, path, p);
    if (!cred)
        return;
    pv_string(cred, path, "username", 0, 128, p);
    pv_secret_source(cred, path, p);
}

static void probe_kind_options(const json_t *pr, const char *ipath, int kind, struct pv_ctx *c)
{
    static const char *const families[] = {"any", "ipv4", "ipv6", NULL};
    char fpath[PROBLEM_PATH_MAX];
    long long n;
    int b;
    for (size_t k = 0; k < sizeof probe_options / sizeof probe_options[0]; k++) {
        if (!(probe_options[k].kinds & K(kind)) && json_object_get(pr, probe_options[k].name)) {
            pv_path(fpath, ipath, probe_options[k].name);
            problems_add(c->p, fpath, "forbidden", "only for kind %s", probe_options[k].kinds_text);
        }
    }
    switch (kind) {
    case P_HTTP:
        pv_int(pr, ipath, "expect_status", 0, 100, 599, &n, c->p);
        pv_string(pr, ipath, "body_match", 0, 256, c->p);
        break;
    case P_TLS: {
        pv_int(pr, ipath, "min_cert_days", 0, 0, 3650, &n, c->p);
        const char *sn = pv_string(pr, ipath, "server_name", 0, 253, c->p);
        if (sn && !hostname_ok(sn)) {
            pv_path(fpath, ipath, "server_name");
            problems_add(c->p, fpath, "format", "must be a host name");
        }
        break;
    }
    case P_DNS:
        pv_string(pr, ipath, "expect_address", 0, 64, c->p);
        pv_enum(pr, ipath, "family", 0, families, c->p);
        break;
    case P_OIDC:
        pv_bool(pr, ipath, "check_jwks", 0, &b, c->p);
        break;
    case P_REGISTRY:
        credential(pr, ipath, c->p);
        pv_string(pr, ipath, "scope", 0, 256, c->p);
        break;
    default:
        break;
    }
    if (kind == P_HTTP || kind == P_OIDC || kind == P_REGISTRY) {
        const char *ca = pv_string(pr, ipath, "ca_file", 0, PV_MAX_TEXT, c->p);
        if (ca && ca[0] != '/') {
            pv_path(fpath, ipath, "ca_file");
            problems_add(c->p, fpath, "format", "must be an absolute path");
        }
        pv_bool(pr, ipath, "insecure", 0, &b, c->p);
    }
    if (probe_options[0].kinds & K(kind))
        pv_class(pr, ipath, "class", 0, c->p);
}

static void probe(const json_t *arr, size_t i, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {
        "id",            "kind",           "target",         "enabled",
        "interval_seconds", "timeout_ms",  "failure_threshold", "recovery_threshold",
        "refire_seconds", "severity",      "class",          "expect_status",
        "body_match",    "ca_file",        "insecure",       "check_jwks",
        "credential",    "scope",          "min_cert_days",  "server_name",
        "expect_address", "family",        NULL};
    static const char *const kinds[] = {"tcp", "http", "dns", "tls", "oidc", "registry", NULL};
    static const char *const http_schemes[] = {"https", "http", NULL};
    char ipath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *pr = pv_item_object(arr, i, path, known, ipath, c->p);
    if (!pr)
        return;
    const char *id = pv_id(pr, ipath, "id", c->p);
    for (size_t j = 0; id && j < i; j++) {
        const char *other = json_string_value(json_object_get(json_array_get(arr, j), "id"));
        if (other && strcmp(other, id) == 0) {
            pv_path(fpath, ipath, "id");
            problems_add(c->p, fpath, "duplicate", "probe id %s is used by item %zu", id, j);
            break;
        }
    }
    int b;
    /* What a probe that leaves them out runs with (sources/probe.c, probe.h). */
    long long interval = 30, timeout = 5000, n;
    pv_bool(pr, ipath, "enabled", 0, &b, c->p);
    int ok_interval = !json_object_get(pr, "interval_seconds") ||
                      pv_int(pr, ipath, "interval_seconds", 0, 5, 86400, &interval, c->p) == 0;
    int ok_timeout = !json_object_get(pr, "timeout_ms") ||
                     pv_int(pr, ipath, "timeout_ms", 0, 100, 60000, &timeout, c->p) == 0;
    if (ok_interval && ok_timeout && timeout >= interval * 1000) {
        pv_path(fpath, ipath, "timeout_ms");
        problems_add(c->p, fpath, "range", "must be shorter than interval_seconds");
    }
    pv_int(pr, ipath, "failure_threshold", 0, 1, 100, &n, c->p);
    pv_int(pr, ipath, "recovery_threshold", 0, 1, 100, &n, c->p);
    pv_int(pr, ipath, "refire_seconds", 0, 1, 86400, &n, c->p);
    pv_enum(pr, ipath, "severity", 0, pv_severities, c->p);
    int kind = pv_enum(pr, ipath, "kind", 1, kinds, c->p);
    if (kind < 0)
        return;
    pv_path(fpath, ipath, "target");
    if (kind == P_HTTP || kind == P_OIDC || kind == P_REGISTRY) {
        pv_url(pr, ipath, "target", 1, http_schemes, c->p);
    } else {
        const char *t = pv_string(pr, ipath, "target", 1, PV_MAX_NAME + 6, c->p);
        if (t && kind == P_DNS && !hostname_ok(t))
            problems_add(c->p, fpath, "format", "must be a host name");
        else if (t && kind != P_DNS && !host_port_ok(t))
            problems_add(c->p, fpath, "format", "must be host:port");
    }
    probe_kind_options(pr, ipath, kind, c);
}

void pv_probes(const json_t *doc, struct pv_ctx *c)
{
    char path[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(doc, "", "probes", 1, PV_MAX_PROBES, path, c->p);
    if (!arr)
        return;
    c->probes = arr;
    for (size_t i = 0; i < json_array_size(arr); i++)
        probe(arr, i, path, c);
}

/* A glob: no NUL, every '[' closed. */
static int check_glob(const char *s, const char *path, struct problems *p)
{
    for (const char *q = s; *q; q++) {
        if (*q == '\\' && q[1]) {
            q++;
        } else if (*q == '[') {
            const char *close = strchr(q + 1, ']');
            if (!close || close == q + 1) {
                problems_add(p, path, "pattern", "has an unclosed [ in the glob");
                return -1;
            }
            q = close;
        }
    }
    return 0;
}

static int check_unit(const char *s, const char *path, struct problems *p)
{
    size_t n = strlen(s);
    int ok = n > 0 && n <= 256;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
             (s[i] >= '0' && s[i] <= '9') || strchr(":_.@-\\", s[i]) != NULL;
    if (ok)
        return 0;
    problems_add(p, path, "pattern", "must be a systemd unit name ([A-Za-z0-9:_.@-], <= 256)");
    return -1;
}

/* {"units": [unit names]}: an empty list or none reads every unit. */
static void pv_journal(const json_t *ls, const char *ipath, struct problems *p)
{
    static const char *const known[] = {"units", NULL};
    char jpath[PROBLEM_PATH_MAX];
    const json_t *j = pv_object(ls, ipath, "journal", 1, known, jpath, p);
    if (j && json_object_get(j, "units"))
        pv_string_list(j, jpath, "units", 0, 32, 256, check_unit, p);
}

void pv_log_sources(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"id", "enabled", "interval_seconds", "paths", "journal",
                                        NULL};
    char path[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(doc, "", "log_sources", 1, PV_MAX_LOG_SOURCES, path, c->p);
    for (size_t i = 0; arr && i < json_array_size(arr); i++) {
        const json_t *ls = pv_item_object(arr, i, path, known, ipath, c->p);
        if (!ls)
            continue;
        const char *id = pv_id(ls, ipath, "id", c->p);
        for (size_t j = 0; id && j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(arr, j), "id"));
            if (other && strcmp(other, id) == 0) {
                pv_path(fpath, ipath, "id");
                problems_add(c->p, fpath, "duplicate", "log source id %s is used by item %zu", id,
                             j);
                break;
            }
        }
        int b;
        long long n;
        pv_bool(ls, ipath, "enabled", 0, &b, c->p);
        pv_int(ls, ipath, "interval_seconds", 0, 1, 3600, &n, c->p);
        /* Either files ("paths") or the systemd journal ("journal"). */
        int journal = json_object_get(ls, "journal") != NULL;
        if (journal && json_object_get(ls, "paths")) {
            pv_path(fpath, ipath, "journal");
            problems_add(c->p, fpath, "forbidden", "a log source reads files (paths) or the "
                                                   "journal, not both");
        }
        if (journal) {
            pv_journal(ls, ipath, c->p);
            continue;
        }
        const json_t *paths =
            pv_string_list(ls, ipath, "paths", 1, PV_MAX_LOG_PATHS, PV_MAX_TEXT, check_glob, c->p);
        if (paths && json_array_size(paths) == 0) {
            pv_path(fpath, ipath, "paths");
            problems_add(c->p, fpath, "length", "must name at least one path");
        }
    }
}
