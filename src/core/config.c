#include "core/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Log levels are parsed here rather than through util/log.h: core stays free of I/O modules. */
static const char *const log_levels[] = {"debug", "info", "warn", "error", NULL};

const char *environment_name(enum environment e)
{
    switch (e) {
    case ENV_STAGING: return "staging";
    case ENV_PRODUCTION: return "production";
    default: return "demo";
    }
}

static int copy_str(char *dst, size_t dstlen, const char *value, char *err, size_t errlen)
{
    size_t n = strlen(value);
    if (n >= dstlen) {
        snprintf(err, errlen, "is %zu bytes long; at most %zu allowed", n, dstlen - 1);
        return -1;
    }
    memcpy(dst, value, n + 1);
    return 0;
}

static int parse_uint(const char *value, unsigned long long min, unsigned long long max,
                      unsigned long long *out, char *err, size_t errlen)
{
    errno = 0;
    char *end = NULL;
    if (!*value || *value == '-') {
        snprintf(err, errlen, "must be a whole number from %llu to %llu", min, max);
        return -1;
    }
    unsigned long long v = strtoull(value, &end, 10);
    if (errno || *end || v < min || v > max) {
        snprintf(err, errlen, "must be a whole number from %llu to %llu", min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int apply_listen(struct config *c, const char *v, char *err, size_t errlen)
{
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v) {
        snprintf(err, errlen, "must be host:port, e.g. 127.0.0.1:8080");
        return -1;
    }
    size_t hostlen = (size_t)(colon - v);
    if (hostlen >= sizeof c->listen_host) {
        snprintf(err, errlen, "host part is too long");
        return -1;
    }
    unsigned long long port;
    if (parse_uint(colon + 1, 0, 65535, &port, err, errlen))
        return -1;
    memcpy(c->listen_host, v, hostlen);
    c->listen_host[hostlen] = '\0';
    c->listen_port = (unsigned)port;
    return 0;
}

static int apply_data_dir(struct config *c, const char *v, char *err, size_t errlen)
{
    if (!*v) {
        snprintf(err, errlen, "must not be empty");
        return -1;
    }
    return copy_str(c->data_dir, sizeof c->data_dir, v, err, errlen);
}

static int apply_store(struct config *c, const char *v, char *err, size_t errlen)
{
    if (strncmp(v, "sqlite:", 7) != 0 || !v[7]) {
        snprintf(err, errlen, "must be sqlite:<path> (postgres:// is not supported by this build)");
        return -1;
    }
    return copy_str(c->store_url, sizeof c->store_url, v, err, errlen);
}

/* The adapter is chosen (and an unknown one refused, with the adapters this
 * build has) when the bus opens; here only the form: a scheme, then ':'. */
static int apply_bus(struct config *c, const char *v, char *err, size_t errlen)
{
    size_t n = strspn(v, "abcdefghijklmnopqrstuvwxyz");
    if (n == 0 || v[n] != ':') {
        snprintf(err, errlen, "must be a URL whose scheme names the bus (local:)");
        return -1;
    }
    return copy_str(c->bus_url, sizeof c->bus_url, v, err, errlen);
}

static int apply_log_level(struct config *c, const char *v, char *err, size_t errlen)
{
    for (int i = 0; log_levels[i]; i++)
        if (strcasecmp(v, log_levels[i]) == 0) {
            c->log_level = i;
            return 0;
        }
    snprintf(err, errlen, "must be one of debug, info, warn, error");
    return -1;
}

static int apply_environment(struct config *c, const char *v, char *err, size_t errlen)
{
    for (int e = ENV_DEMO; e <= ENV_PRODUCTION; e++)
        if (strcmp(v, environment_name((enum environment)e)) == 0) {
            c->environment = (enum environment)e;
            return 0;
        }
    snprintf(err, errlen, "must be one of demo, staging, production");
    return -1;
}

static int apply_admin_token(struct config *c, const char *v, char *err, size_t errlen)
{
    if (*v && strlen(v) < 16) {
        snprintf(err, errlen, "must be at least 16 characters when set");
        return -1;
    }
    return copy_str(c->admin_token, sizeof c->admin_token, v, err, errlen);
}

#define UINT_SETTER(fn, field, type, min, max)                                                     \
    static int fn(struct config *c, const char *v, char *err, size_t errlen)                      \
    {                                                                                              \
        unsigned long long n;                                                                      \
        if (parse_uint(v, min, max, &n, err, errlen))                                              \
            return -1;                                                                             \
        c->field = (type)n;                                                                        \
        return 0;                                                                                  \
    }
UINT_SETTER(apply_max_body, max_body_bytes, size_t, 1024, 64ull << 20)
UINT_SETTER(apply_max_conn, max_connections, unsigned, 1, 100000)
UINT_SETTER(apply_threads, http_threads, unsigned, 1, 256)
UINT_SETTER(apply_timeout, http_timeout_s, unsigned, 1, 3600)
UINT_SETTER(apply_max_conn_client, max_conn_per_client, unsigned, 1, 100000)
UINT_SETTER(apply_header_timeout, header_timeout_s, unsigned, 1, 600)
UINT_SETTER(apply_max_streams, max_streams, unsigned, 1, 100000)
UINT_SETTER(apply_max_streams_token, max_streams_per_token, unsigned, 1, 100000)
UINT_SETTER(apply_queue, write_queue, unsigned, 1, 1000000)
UINT_SETTER(apply_batch, write_batch, unsigned, 1, 100000)
UINT_SETTER(apply_lock_timeout, store_lock_timeout_ms, unsigned, 1, 600000)
UINT_SETTER(apply_channel_retry, channel_retry_base_ms, unsigned, 10, 600000)

static int apply_seed(struct config *c, const char *v, char *err, size_t errlen)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
        c->seed_policy_defaults = 1;
    else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
        c->seed_policy_defaults = 0;
    else {
        snprintf(err, errlen, "must be true or false");
        return -1;
    }
    return 0;
}

static int apply_url(char *dst, size_t dstlen, const char *v, char *err, size_t errlen)
{
    if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
        snprintf(err, errlen, "must be an http:// or https:// URL");
        return -1;
    }
    return copy_str(dst, dstlen, v, err, errlen);
}

static int apply_agent_url(struct config *c, const char *v, char *err, size_t errlen)
{
    return apply_url(c->agent_base_url, sizeof c->agent_base_url, v, err, errlen);
}

static int apply_agent_model(struct config *c, const char *v, char *err, size_t errlen)
{
    if (!*v) {
        snprintf(err, errlen, "must not be empty");
        return -1;
    }
    return copy_str(c->agent_model, sizeof c->agent_model, v, err, errlen);
}

static int apply_console_url(struct config *c, const char *v, char *err, size_t errlen)
{
    if (!*v) {
        c->console_url[0] = '\0';
        return 0;
    }
    return apply_url(c->console_url, sizeof c->console_url, v, err, errlen);
}

static int apply_logs_glob(struct config *c, const char *v, char *err, size_t errlen)
{
    return copy_str(c->logs_glob, sizeof c->logs_glob, v, err, errlen);
}

static int apply_ops_listen(struct config *c, const char *v, char *err, size_t errlen)
{
    if (*v && !strchr(v, ':')) {
        snprintf(err, errlen, "want host:port (or empty for none)");
        return -1;
    }
    return copy_str(c->ops_listen, sizeof c->ops_listen, v, err, errlen);
}

static int apply_file_roots(struct config *c, const char *v, char *err, size_t errlen)
{
    return copy_str(c->file_roots, sizeof c->file_roots, v, err, errlen);
}

const struct config_setting config_settings[] = {
    {"listen", "IF_SRE_LISTEN", "127.0.0.1:8080", "address the HTTP server listens on (host:port)",
     0, apply_listen},
    {"data-dir", "IF_SRE_DATA_DIR", "./var", "directory for the database and state files", 0,
     apply_data_dir},
    {"store", "IF_SRE_STORE_URL", "sqlite:{data_dir}/srebot.db", "the store: sqlite:<path>", 0,
     apply_store},
    {"bus", "IF_SRE_BUS_URL", "local:", "the event bus: local: (in-process)", 0, apply_bus},
    {"log-level", "IF_SRE_LOG_LEVEL", "info", "debug, info, warn or error", 0, apply_log_level},
    {"environment", "IF_SRE_ENVIRONMENT", "demo",
     "deployment posture: demo, staging or production", 0, apply_environment},
    {NULL, "IF_SRE_ADMIN_TOKEN", "",
     "when set, this value is accepted as an admin bearer token (scripted first runs, tests)", 1,
     apply_admin_token},
    {"max-body-bytes", "IF_SRE_MAX_BODY_BYTES", "1048576", "largest accepted request body", 0,
     apply_max_body},
    {"max-connections", "IF_SRE_MAX_CONNECTIONS", "512", "concurrent HTTP connections", 0,
     apply_max_conn},
    {"http-threads", "IF_SRE_HTTP_THREADS", "2", "HTTP worker threads", 0, apply_threads},
    {"http-timeout", "IF_SRE_HTTP_TIMEOUT_SECONDS", "30", "idle connection timeout in seconds", 0,
     apply_timeout},
    {"max-connections-per-client", "IF_SRE_MAX_CONNECTIONS_PER_CLIENT", "128",
     "concurrent HTTP connections from one client address", 0, apply_max_conn_client},
    {"header-timeout", "IF_SRE_HEADER_TIMEOUT_SECONDS", "10",
     "seconds from connect (or the previous answer) to a complete request head; not reset by "
     "activity",
     0, apply_header_timeout},
    {"max-streams", "IF_SRE_MAX_STREAMS", "256", "open event streams in total (429 beyond)", 0,
     apply_max_streams},
    {"max-streams-per-token", "IF_SRE_MAX_STREAMS_PER_TOKEN", "8",
     "open event streams per token (429 beyond)", 0, apply_max_streams_token},
    {"ops-listen", "IF_SRE_OPS_LISTEN", "",
     "second listener serving only /healthz, /readyz and /metrics (host:port; empty = none), "
     "answered while the API's connections are exhausted",
     0, apply_ops_listen},
    {"write-queue", "IF_SRE_WRITE_QUEUE", "4096",
     "writes that may wait for the writer before callers get 503", 0, apply_queue},
    {"write-batch", "IF_SRE_WRITE_BATCH", "512", "most writes committed in one transaction", 0,
     apply_batch},
    {"store-lock-timeout", "IF_SRE_STORE_LOCK_TIMEOUT_MS", "5000",
     "milliseconds the writer waits for a database lock another process holds (a backup, an "
     "sqlite3 shell) before the waiting writes fail",
     0, apply_lock_timeout},
    {"seed-policy-defaults", "IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS", "true",
     "on an empty store, save the environment's policy defaults as version 1 (false: start "
     "with no policy)",
     0, apply_seed},
    {NULL, "IF_SRE_AGENT_RUNTIME_BASE_URL", "http://127.0.0.1:11434",
     "agent runtime (LLM) base URL seeded into the policy", 0, apply_agent_url},
    {NULL, "IF_SRE_AGENT_RUNTIME_MODEL", "llama3.2:3b", "agent runtime model seeded into the policy",
     0, apply_agent_model},
    {"console-url", "IF_SRE_CONSOLE_URL", "",
     "the console's public base URL, for links in channel messages (empty = no links)", 0,
     apply_console_url},
    {NULL, "IF_SRE_CHANNEL_RETRY_BASE_MS", "2000",
     "first wait before a channel delivery is retried (doubles per attempt, up to 5 min)", 0,
     apply_channel_retry},
    {"log-paths", "IF_SRE_LOG_PATHS", "./logs/*.log", "log files the default log detector follows",
     0, apply_logs_glob},
    {"file-roots", "IF_SRE_FILE_ROOTS", "/var/log,/run/secrets,{data_dir}/logs",
     "comma-separated absolute directories the policy's log_sources paths and secret_ref files "
     "must lie under",
     0, apply_file_roots},
    {NULL, NULL, NULL, NULL, 0, NULL},
};

/* Expands "{data_dir}" in a default with the already-loaded data dir. */
static void expand_default(const struct config *c, const char *def, char *out, size_t outlen)
{
    const char *at = strstr(def, "{data_dir}");
    if (!at) {
        snprintf(out, outlen, "%s", def);
        return;
    }
    snprintf(out, outlen, "%.*s%s%s", (int)(at - def), def, c->data_dir, at + 10);
}

int config_load(struct config *cfg, const char *const *flag_names, const char *const *flag_values,
                size_t nflags, config_getenv_fn getenv_fn, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    /* The table is ordered so that data-dir is set before defaults that refer to it. */
    for (const struct config_setting *s = config_settings; s->env; s++) {
        const char *value = NULL;
        for (size_t i = 0; s->flag && i < nflags; i++)
            if (strcmp(flag_names[i], s->flag) == 0)
                value = flag_values[i];
        if (!value && getenv_fn)
            value = getenv_fn(s->env);
        char def[1024];
        if (!value) {
            expand_default(cfg, s->def, def, sizeof def);
            value = def;
        }
        char why[256];
        if (s->apply(cfg, value, why, sizeof why)) {
            if (s->flag)
                snprintf(err, errlen, "invalid setting --%s / %s: %s", s->flag, s->env, why);
            else
                snprintf(err, errlen, "invalid setting %s: %s", s->env, why);
            return -1;
        }
    }
    for (size_t i = 0; i < nflags; i++) {
        int known = 0;
        for (const struct config_setting *s = config_settings; s->env; s++)
            if (s->flag && strcmp(s->flag, flag_names[i]) == 0)
                known = 1;
        if (!known) {
            snprintf(err, errlen, "unknown setting --%s", flag_names[i]);
            return -1;
        }
    }
    return 0;
}
