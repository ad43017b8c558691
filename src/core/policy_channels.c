/* Validation of where the bot talks to: notification channels and routing, MCP
 * servers and the agent runtime. Secrets here are always references
 * ({"secret_ref":{"env":..}} or {"file":..}); literal strings are refused by the
 * clear-secret scan (policy_secrets.c). */
#include <string.h>

#include "core/classes.h"
#include "core/policy_internal.h"

static const char *const providers[] = {"inapp", "webhook", "slack", "teams", "telegram", "email",
                                        NULL};
static const char *const http_schemes[] = {"https", "http", NULL};

static void settings_inapp(const json_t *s, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {NULL};
    jsonin_no_unknown((json_t *)s, path, known, c->p);
}

static void settings_webhook(const json_t *s, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {"url", "secret", "timeout_ms", NULL};
    long long n;
    jsonin_no_unknown((json_t *)s, path, known, c->p);
    pv_url(s, path, "url", 1, http_schemes, c->p);
    pv_secret_ref(s, path, "secret", 0, c->p);
    pv_int(s, path, "timeout_ms", 0, 100, 60000, &n, c->p);
}

static void settings_slack(const json_t *s, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {"webhook_url", "token", "channel", "signing_secret",
                                        "api_base_url", NULL};
    jsonin_no_unknown((json_t *)s, path, known, c->p);
    int has_hook = json_object_get(s, "webhook_url") != NULL;
    int has_token = json_object_get(s, "token") != NULL;
    if (has_hook == has_token)
        problems_add(c->p, path, "required", "needs exactly one of webhook_url or token");
    pv_secret_ref(s, path, "webhook_url", 0, c->p);
    pv_secret_ref(s, path, "token", 0, c->p);
    pv_secret_ref(s, path, "signing_secret", 0, c->p);
    pv_string(s, path, "channel", has_token, 80, c->p);
    pv_url(s, path, "api_base_url", 0, http_schemes, c->p);
}

static void settings_teams(const json_t *s, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {"webhook_url", NULL};
    jsonin_no_unknown((json_t *)s, path, known, c->p);
    pv_secret_ref(s, path, "webhook_url", 1, c->p);
}

static void settings_telegram(const json_t *s, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {"bot_token",      "chat_id", "api_base_url",
                                        "webhook_secret", "updates", "poll_timeout_seconds",
                                        NULL};
    static const char *const updates[] = {"webhook", "poll", NULL};
    long long n;
    jsonin_no_unknown((json_t *)s, path, known, c->p);
    pv_secret_ref(s, path, "bot_token", 1, c->p);
    pv_string(s, path, "chat_id", 1, 64, c->p);
    pv_url(s, path, "api_base_url", 0, http_schemes, c->p);
    /* callbacks: by webhook (checked with the secret token setWebhook was given)
     * or by long polling (getUpdates) where no public URL reaches the bot */
    pv_secret_ref(s, path, "webhook_secret", 0, c->p);
    pv_enum(s, path, "updates", 0, updates, c->p);
    pv_int(s, path, "poll_timeout_seconds", 0, 1, 50, &n, c->p);
}

static int check_email(const char *s, const char *path, struct problems *p)
{
    const char *at = strchr(s, '@');
    if (at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n<>,;"))
        return 0;
    problems_add(p, path, "format", "must be an e-mail address");
    return -1;
}

static void settings_email(const json_t *s, const char *path, struct pv_ctx *c)
{
    static const char *const known[] = {"smtp_url", "from",     "to",      "username",
                                        "password", "starttls", "ca_file", NULL};
    static const char *const schemes[] = {"smtps", "smtp", NULL};
    int b;
    char fpath[PROBLEM_PATH_MAX];
    jsonin_no_unknown((json_t *)s, path, known, c->p);
    pv_url(s, path, "smtp_url", 1, schemes, c->p);
    const char *from = pv_string(s, path, "from", 1, 254, c->p);
    if (from) {
        pv_path(fpath, path, "from");
        check_email(from, fpath, c->p);
    }
    const json_t *to = pv_string_list(s, path, "to", 1, PV_MAX_LIST, 254, check_email, c->p);
    if (to && json_array_size(to) == 0) {
        pv_path(fpath, path, "to");
        problems_add(c->p, fpath, "length", "must name at least one recipient");
    }
    pv_string(s, path, "username", 0, 254, c->p);
    pv_secret_ref(s, path, "password", 0, c->p);
    pv_bool(s, path, "starttls", 0, &b, c->p);
    const char *ca = pv_string(s, path, "ca_file", 0, 512, c->p);
    if (ca && ca[0] != '/') {
        pv_path(fpath, path, "ca_file");
        problems_add(c->p, fpath, "format", "must be an absolute path");
    }
}

/* A chat user's operator name: what approvals and the audit trail record. */
static int check_operator_name(const char *s, const char *path, struct problems *p)
{
    if (!*s || strlen(s) > 63) {
        problems_add(p, path, "length", "must be 1..63 bytes");
        return -1;
    }
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '.' || *q == '-' || *q == '@')) {
            problems_add(p, path, "pattern", "must contain only letters, digits and _ . - @");
            return -1;
        }
    return 0;
}

/* "operators": who a chat user is (docs/policy.md "Chat users"), for the
 * two-way providers only: [{"user_id","operator","role"}], user ids unique. */
static void pv_chat_operators(const json_t *ch, const char *base, int prov, struct pv_ctx *c)
{
    static const char *const known[] = {"user_id", "operator", "role", NULL};
    static const char *const roles[] = {"viewer", "operator", "admin", NULL};
    char path[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    if (!json_object_get(ch, "operators"))
        return;
    if (prov != 2 && prov != 4) { /* slack, telegram */
        pv_path(path, base, "operators");
        problems_add(c->p, path, "forbidden",
                     "only slack and telegram channels take decisions from chat users");
        return;
    }
    const json_t *arr = pv_array(ch, base, "operators", 0, PV_MAX_LIST, path, c->p);
    for (size_t i = 0; arr && i < json_array_size(arr); i++) {
        const json_t *o = pv_item_object(arr, i, path, known, ipath, c->p);
        if (!o)
            continue;
        const char *uid = pv_string(o, ipath, "user_id", 1, 63, c->p);
        const char *name = pv_string(o, ipath, "operator", 1, 63, c->p);
        if (name) {
            pv_path(fpath, ipath, "operator");
            check_operator_name(name, fpath, c->p);
        }
        pv_enum(o, ipath, "role", 1, roles, c->p);
        for (size_t j = 0; uid && j < i; j++) {
            const char *other =
                json_string_value(json_object_get(json_array_get(arr, j), "user_id"));
            if (other && strcmp(other, uid) == 0) {
                pv_path(fpath, ipath, "user_id");
                problems_add(c->p, fpath, "duplicate", "user %s is mapped by item %zu", uid, j);
                break;
            }
        }
    }
}

typedef void (*settings_fn)(const json_t *s, const char *path, struct pv_ctx *c);
static const settings_fn provider_settings[] = {settings_inapp,  settings_webhook,
                                                settings_slack,  settings_teams,
                                                settings_telegram, settings_email};

void pv_channels(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"id",       "provider",        "enabled",
                                        "settings", "rate_per_minute", "operators",
                                        NULL};
    char path[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX], spath[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(doc, "", "channels", 1, PV_MAX_CHANNELS, path, c->p);
    if (!arr)
        return;
    c->channels = arr;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *ch = pv_item_object(arr, i, path, known, ipath, c->p);
        if (!ch)
            continue;
        const char *id = pv_id(ch, ipath, "id", c->p);
        for (size_t j = 0; id && j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(arr, j), "id"));
            if (other && strcmp(other, id) == 0) {
                pv_path(spath, ipath, "id");
                problems_add(c->p, spath, "duplicate", "channel id %s is used by item %zu", id, j);
                break;
            }
        }
        int b;
        pv_bool(ch, ipath, "enabled", 1, &b, c->p);
        long long rate;
        pv_int(ch, ipath, "rate_per_minute", 0, 1, 6000, &rate, c->p);
        int prov = pv_enum(ch, ipath, "provider", 1, providers, c->p);
        const json_t *settings = pv_object(ch, ipath, "settings", 1, NULL, spath, c->p);
        if (settings && prov >= 0)
            provider_settings[prov](settings, spath, c);
        if (prov >= 0)
            pv_chat_operators(ch, ipath, prov, c);
    }
}

static int channel_exists(const json_t *channels, const char *id)
{
    size_t i;
    const json_t *ch;
    json_array_foreach(channels, i, ch) {
        const char *cid = json_string_value(json_object_get(ch, "id"));
        if (cid && strcmp(cid, id) == 0)
            return 1;
    }
    return 0;
}

static int check_severity(const char *s, const char *path, struct problems *p)
{
    for (const char *const *v = pv_severities; *v; v++)
        if (strcmp(*v, s) == 0)
            return 0;
    problems_add(p, path, "enum", "must be one of: critical, high, warning, info");
    return -1;
}

static int check_class(const char *s, const char *path, struct problems *p)
{
    if (!class_well_formed(s)) {
        problems_add(p, path, "format", "must have the form domain.name");
        return -1;
    }
    if (!class_known(s)) {
        problems_add(p, path, "reference", "%s is not a known incident class", s);
        return -1;
    }
    return 0;
}

void pv_routing(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"rules", "fallback", NULL};
    static const char *const rule_fields[] = {"severities", "classes", "channels", NULL};
    char path[PROBLEM_PATH_MAX], rpath[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX],
        fpath[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "routing", 1, known, path, c->p);
    if (!o)
        return;
    const char *fallback = pv_string(o, path, "fallback", 1, PV_MAX_ID, c->p);
    if (fallback && c->channels && !channel_exists(c->channels, fallback)) {
        pv_path(fpath, path, "fallback");
        problems_add(c->p, fpath, "reference", "no channel has the id %s", fallback);
    }
    const json_t *rules = pv_array(o, path, "rules", 1, PV_MAX_ROUTES, rpath, c->p);
    for (size_t i = 0; rules && i < json_array_size(rules); i++) {
        const json_t *r = pv_item_object(rules, i, rpath, rule_fields, ipath, c->p);
        if (!r)
            continue;
        pv_string_list(r, ipath, "severities", 0, 4, 16, check_severity, c->p);
        pv_string_list(r, ipath, "classes", 0, PV_MAX_LIST, 96, check_class, c->p);
        const json_t *chs = pv_string_list(r, ipath, "channels", 1, 16, PV_MAX_ID, NULL, c->p);
        pv_path(fpath, ipath, "channels");
        if (chs && json_array_size(chs) == 0)
            problems_add(c->p, fpath, "length", "must name at least one channel");
        size_t k;
        const json_t *v;
        json_array_foreach(chs, k, v) {
            if (json_is_string(v) && c->channels &&
                !channel_exists(c->channels, json_string_value(v))) {
                char cpath[PROBLEM_PATH_MAX];
                pv_index(cpath, fpath, k);
                problems_add(c->p, cpath, "reference", "no channel has the id %s",
                             json_string_value(v));
            }
        }
    }
}

static int check_tool(const char *s, const char *path, struct problems *p)
{
    for (const char *q = s; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '.' || *q == '-' || *q == '/')) {
            problems_add(p, path, "pattern", "must contain only letters, digits and _ . - /");
            return -1;
        }
    return 0;
}

void pv_mcp_servers(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"name",    "transport",     "command",    "url",
                                        "enabled", "allowed_tools", "auth_token", NULL};
    static const char *const transports[] = {"stdio", "http", NULL};
    char path[PROBLEM_PATH_MAX], ipath[PROBLEM_PATH_MAX], fpath[PROBLEM_PATH_MAX];
    const json_t *arr = pv_array(doc, "", "mcp_servers", 1, PV_MAX_MCP, path, c->p);
    for (size_t i = 0; arr && i < json_array_size(arr); i++) {
        const json_t *m = pv_item_object(arr, i, path, known, ipath, c->p);
        if (!m)
            continue;
        const char *name = pv_id(m, ipath, "name", c->p);
        for (size_t j = 0; name && j < i; j++) {
            const char *other = json_string_value(json_object_get(json_array_get(arr, j), "name"));
            if (other && strcmp(other, name) == 0) {
                pv_path(fpath, ipath, "name");
                problems_add(c->p, fpath, "duplicate", "server name %s is used by item %zu", name,
                             j);
                break;
            }
        }
        int b;
        pv_bool(m, ipath, "enabled", 1, &b, c->p);
        pv_string_list(m, ipath, "allowed_tools", 1, PV_MAX_TOOLS, 128, check_tool, c->p);
        int t = pv_enum(m, ipath, "transport", 1, transports, c->p);
        if (t == 0) { /* stdio: argv, run without a shell */
            const json_t *argv =
                pv_string_list(m, ipath, "command", 1, 32, PV_MAX_TEXT, NULL, c->p);
            pv_path(fpath, ipath, "command");
            if (argv && json_array_size(argv) == 0)
                problems_add(c->p, fpath, "length", "must name the program to run");
            if (json_object_get(m, "url")) {
                pv_path(fpath, ipath, "url");
                problems_add(c->p, fpath, "forbidden", "only for transport http");
            }
            if (json_object_get(m, "auth_token")) {
                pv_path(fpath, ipath, "auth_token");
                problems_add(c->p, fpath, "forbidden", "only for transport http");
            }
        } else if (t == 1) {
            pv_url(m, ipath, "url", 1, http_schemes, c->p);
            pv_secret_ref(m, ipath, "auth_token", 0, c->p);
            if (json_object_get(m, "command")) {
                pv_path(fpath, ipath, "command");
                problems_add(c->p, fpath, "forbidden", "only for transport stdio");
            }
        }
    }
}

void pv_agent_runtime(const json_t *doc, struct pv_ctx *c)
{
    static const char *const known[] = {"provider",       "base_url",        "model",   "enabled",
                                        "max_tool_calls", "timeout_seconds", "api_key", NULL};
    static const char *const kinds[] = {"ollama", "openai_compatible", NULL};
    char path[PROBLEM_PATH_MAX];
    const json_t *o = pv_object(doc, "", "agent_runtime", 1, known, path, c->p);
    if (!o)
        return;
    int b;
    long long n;
    pv_enum(o, path, "provider", 1, kinds, c->p);
    pv_url(o, path, "base_url", 1, http_schemes, c->p);
    pv_string(o, path, "model", 1, 128, c->p);
    pv_bool(o, path, "enabled", 1, &b, c->p);
    pv_int(o, path, "max_tool_calls", 1, 0, 64, &n, c->p);
    pv_int(o, path, "timeout_seconds", 1, 1, 600, &n, c->p);
    pv_secret_ref(o, path, "api_key", 0, c->p);
}
