/* Process configuration: one table (config_settings[] in config.c) drives the
 * command-line flags, the IF_SRE_* environment variables, `--help`, defaults,
 * validation and docs/configuration.md (checked by a test).
 *
 * Precedence: flag > environment > default. A bad value stops start-up with one
 * line naming the setting. */
#ifndef SREBOT_CORE_CONFIG_H
#define SREBOT_CORE_CONFIG_H

#include <stddef.h>

enum environment { ENV_DEMO = 0, ENV_STAGING, ENV_PRODUCTION };
const char *environment_name(enum environment e);

struct config {
    char listen_host[64];
    unsigned listen_port;
    char data_dir[512];
    char store_url[600];
    char bus_url[600];             /* the bus adapter by URL scheme: "local:" */
    int log_level;                 /* enum log_level */
    enum environment environment;
    char admin_token[128];         /* IF_SRE_ADMIN_TOKEN; never logged, hashed at start-up */
    size_t max_body_bytes;
    unsigned max_connections;
    unsigned http_threads;
    unsigned http_timeout_s;
    unsigned max_conn_per_client;  /* per client address */
    unsigned header_timeout_s;     /* connect -> complete headers, not reset by activity */
    unsigned max_streams;          /* event streams in total */
    unsigned max_streams_per_token;
    char ops_listen[128];          /* "" = no operations listener */
    unsigned write_queue;          /* store writer queue capacity */
    unsigned write_batch;          /* max writes per transaction */
    unsigned store_lock_timeout_ms; /* writer's wait for a lock held by another process */
    int seed_policy_defaults;      /* IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS */
    char agent_base_url[256];      /* IF_SRE_AGENT_RUNTIME_BASE_URL */
    char agent_model[128];         /* IF_SRE_AGENT_RUNTIME_MODEL */
    char logs_glob[512];           /* IF_SRE_LOG_PATHS: default log detector paths */
    char file_roots[1024];         /* IF_SRE_FILE_ROOTS: where policy-named files may lie */
    char console_url[256];         /* IF_SRE_CONSOLE_URL: links in channel messages ("" none) */
    unsigned channel_retry_base_ms; /* IF_SRE_CHANNEL_RETRY_BASE_MS */
};

struct config_setting {
    const char *flag;   /* long option without dashes, or NULL when env-only */
    const char *env;    /* IF_SRE_* */
    const char *def;    /* default as text ("" = empty); "{data_dir}" is expanded */
    const char *help;
    int secret;         /* value never printed */
    /* Parses text into cfg; returns 0, or -1 with a reason in err. */
    int (*apply)(struct config *cfg, const char *value, char *err, size_t errlen);
};
extern const struct config_setting config_settings[]; /* NULL-env terminated */

/* Fills cfg from flags (name=value pairs collected by the caller), the environment
 * (getenv_fn, so tests can inject one) and defaults. On error returns -1 with
 * "setting --flag / IF_SRE_X: reason" in err. */
typedef const char *(*config_getenv_fn)(const char *name);
int config_load(struct config *cfg, const char *const *flag_names, const char *const *flag_values,
                size_t nflags, config_getenv_fn getenv_fn, char *err, size_t errlen);

#endif
