/* The composition root: parse the configuration, build the services, start the
 * workers in order, wait for a signal, stop them in reverse order. No business
 * rule lives here. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "actions/worker.h"
#include "api/app.h"
#include "channels/delivery.h"
#include "api/auth.h"
#include "api/ops.h"
#include "api/routes.h"
#include "bus/bus.h"
#include "channels/chat_service.h"
#include "channels/telegram_poll.h"
#include "cli/cli.h"
#include "http/http.h"
#include "kube/client.h"
#include "ledger/ledger.h"
#include "ledger/policy_service.h"
#include "net/client.h"
#include "sources/ledger_sink.h"
#include "sources/sources.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/sdnotify.h"
#include "util/timeutil.h"

struct daemon {
    struct config cfg;
    struct app app;
    struct http_server *http;
    struct remed_worker *remediation;
    struct channel_worker *channels;
    struct http_server *ops; /* --ops-listen, or NULL */
    struct telegram_poller *telegram_poll;
    struct sdnotify notify; /* systemd Type=notify; off outside systemd */
};

/* A test build (tests/CMakeLists.txt: srebot_it) links a table of runners
 * defined in tests/ and hands it to the remediation worker; the daemon itself
 * runs only the built-in ones (src/actions/registry.c). */
#ifdef SREBOT_EXTRA_RUNNERS
extern const struct runner_ops *const srebot_extra_runners[];
#define EXTRA_RUNNERS srebot_extra_runners
#else
#define EXTRA_RUNNERS NULL
#endif

/* The Kubernetes API client, when a cluster is configured (kube/config.h:
 * IF_SRE_KUBECONFIG, KUBECONFIG, in-cluster). Without one, or with a broken
 * one, Kubernetes is off and the log says why in one line; the rest runs. */
static int start_kube(struct daemon *d)
{
    struct kube_config kc;
    char msg[800], err[256];
    int k = kube_config_from_env(NULL, NULL, &kc, msg, sizeof msg);
    if (k == 0) {
        log_info("main", "%s", msg);
        return 0;
    }
    if (k < 0) {
        log_error("main", "Kubernetes is off: %s", msg);
        return 0;
    }
    if (kube_client_create(&kc, d->app.net, &d->app.kube, err, sizeof err) != 0) {
        log_error("main", "Kubernetes is off: %s", err);
    } else {
        log_info("main", "Kubernetes: %s", kube_client_origin(d->app.kube));
    }
    kube_config_clear(&kc);
    return 0;
}

/* The shared objects every later step is handed: the metrics registry, the
 * SSE wake signal and the outbound HTTP client. Made first, freed last. */
static int start_objects(struct daemon *d)
{
    d->app.metrics = metrics_create();
    d->app.wake = http_wake_create();
    if (!d->app.metrics || !d->app.wake) {
        log_error("main", "out of memory");
        return -1;
    }
    char err[256];
    struct net_client_config nc = {.metrics = d->app.metrics};
    if (net_client_create(&nc, &d->app.net, err, sizeof err) != 0) {
        log_error("main", "http client: %s", err);
        return -1;
    }
    return start_kube(d);
}

static void stop_objects(struct daemon *d)
{
    kube_client_destroy(d->app.kube);
    d->app.kube = NULL;
    net_client_destroy(d->app.net);
    http_wake_destroy(d->app.wake);
    metrics_destroy(d->app.metrics);
    d->app.net = NULL;
    d->app.wake = NULL;
    d->app.metrics = NULL;
}

static int start_store(struct daemon *d)
{
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = d->cfg.store_url;
    sc.queue_capacity = d->cfg.write_queue;
    sc.max_batch = d->cfg.write_batch;
    sc.busy_timeout_ms = d->cfg.store_lock_timeout_ms;
    /* Every HTTP thread and offload worker may hold a reader while the sources
     * and relay hold theirs. */
    sc.read_pool_size = d->cfg.http_threads + HTTP_OFFLOAD_WORKERS + 5;
    char err[300];
    if (store_open(&sc, &d->app.store, err, sizeof err) != STORE_OK) {
        log_error("main", "store: %s", err);
        return -1;
    }
    store_metrics_register(d->app.store, d->app.metrics);
    ops_init(&d->app);
    return 0;
}

static void stop_store(struct daemon *d)
{
    store_close(d->app.store); /* drains: every queued write is committed first */
    d->app.store = NULL;
}

/* First-run policy seeding; a restart never overwrites an edited policy. The
 * saved policy's `environment` is what the evaluator acts on, so a start whose
 * --environment disagrees with it says so instead of silently ignoring it. */
static int start_policy(struct daemon *d)
{
    char err[256];
    const char *env = environment_name(d->cfg.environment);
    if (d->cfg.seed_policy_defaults) {
        int rc = policy_seed_defaults(d->app.store, &d->cfg, err, sizeof err);
        if (rc < 0) {
            log_error("main", "policy seeding: %s", err);
            return -1;
        }
        if (rc)
            log_info("main", "policy: saved the %s defaults as version 1", env);
    }
    int64_t version = 0;
    json_t *doc = policy_service_current_doc(d->app.store, &version);
    const char *saved = json_string_value(json_object_get(doc, "environment"));
    if (!doc)
        log_warn("main", "policy: none saved; nothing is decided until one is (console Policy "
                         "page, or `srebot policy init`)");
    else if (saved && strcmp(saved, env) != 0)
        log_warn("main", "policy: version %lld says environment %s; it wins over --environment "
                         "%s, which only picks the defaults seeded into an empty store",
                 (long long)version, saved, env);
    else
        log_info("main", "policy: version %lld, environment %s", (long long)version,
                 saved ? saved : "?");
    json_decref(doc);
    return 0;
}

static void wake_streams(void *wake) { http_wake_signal(wake); }

/* The ledger: the bus (by URL), ingest/fold service, tick and outbox relay. */
static int start_ledger(struct daemon *d)
{
    char err[300];
    if (bus_open(d->cfg.bus_url, NULL, &d->app.bus, err, sizeof err) != 0) {
        log_error("main", "%s", err);
        return -1;
    }
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = d->app.store;
    lc.bus = d->app.bus;
    lc.on_outbox = wake_streams;
    lc.on_outbox_ctx = d->app.wake;
    lc.metrics = d->app.metrics;
    if (ledger_create(&lc, &d->app.ledger) != SVC_OK ||
        ledger_start(d->app.ledger) != 0) {
        log_error("main", "ledger: cannot start");
        return -1;
    }
    return 0;
}

static void stop_ledger(struct daemon *d)
{
    ledger_destroy(d->app.ledger); /* stops the tick and relay first */
    d->app.ledger = NULL;
    bus_destroy(d->app.bus);
    d->app.bus = NULL;
}

/* The remediation worker: evaluator -> decisions -> attempts -> runners. */
static int start_remediation(struct daemon *d)
{
    char err[256];
    struct remed_worker_config wc;
    remed_worker_config_defaults(&wc);
    wc.ledger = d->app.ledger;
    wc.store = d->app.store;
    wc.extra_runners = EXTRA_RUNNERS;
    wc.kube = d->app.kube;
    if (remed_worker_create(&wc, &d->remediation, err, sizeof err) != 0) {
        log_error("main", "remediation: %s", err);
        return -1;
    }
    if (remed_worker_start(d->remediation) != 0) {
        log_error("main", "remediation: cannot start");
        remed_worker_destroy(d->remediation);
        d->remediation = NULL;
        return -1;
    }
    return 0;
}

static void stop_remediation(struct daemon *d)
{
    remed_worker_destroy(d->remediation);
    d->remediation = NULL;
}

/* The channel delivery worker: notification outbox -> providers. */
static int start_channels(struct daemon *d)
{
    char err[256] = "";
    struct channel_worker_config cc;
    channel_worker_config_defaults(&cc);
    cc.ledger = d->app.ledger;
    cc.store = d->app.store;
    cc.net = d->app.net;
    cc.file_roots = d->cfg.file_roots;
    cc.console_base_url = d->cfg.console_url[0] ? d->cfg.console_url : NULL;
    cc.retry.base_ms = d->cfg.channel_retry_base_ms;
    if (channel_worker_create(&cc, &d->channels, err, sizeof err) != 0 ||
        channel_worker_start(d->channels) != 0) {
        log_error("main", "channels: %s", err[0] ? err : "cannot start");
        channel_worker_destroy(d->channels);
        d->channels = NULL;
        return -1;
    }
    return 0;
}

static void stop_channels(struct daemon *d)
{
    channel_worker_destroy(d->channels);
    d->channels = NULL;
}

/* Chat callbacks (Slack, Telegram buttons and commands) -> approvals, and the
 * Telegram long-polling reader for channels without a public URL. Before the
 * HTTP server, whose callback routes use it. */
static int start_chat(struct daemon *d)
{
    struct chat_service_config cc = {.ledger = d->app.ledger,
                                     .net = d->app.net,
                                     .file_roots = d->cfg.file_roots};
    if (chat_service_create(&cc, &d->app.chat) != 0) {
        log_error("main", "chat callbacks: out of memory");
        return -1;
    }
    if (telegram_poller_start(d->app.chat, &d->telegram_poll) != 0) {
        log_error("main", "telegram polling: cannot start its thread");
        chat_service_destroy(d->app.chat);
        d->app.chat = NULL;
        return -1;
    }
    return 0;
}

static void stop_chat(struct daemon *d)
{
    telegram_poller_stop(d->telegram_poll);
    d->telegram_poll = NULL;
    chat_service_destroy(d->app.chat);
    d->app.chat = NULL;
}

/* The sources: host, probes and log files from the saved policy (polled for new
 * versions), findings into the ledger in-process. */
static json_t *current_policy(void *store, int64_t known, int64_t *version)
{
    return policy_service_doc_if_newer(store, known, version);
}

static int start_sources(struct daemon *d)
{
    char err[256];
    struct sources_config sc = {.data_dir = d->cfg.data_dir,
                                .logs_glob = d->cfg.logs_glob,
                                .file_roots = d->cfg.file_roots,
                                .policy_fn = current_policy,
                                .policy_ctx = d->app.store,
                                .metrics = d->app.metrics,
                                .net = d->app.net,
                                .kube = d->app.kube};
    struct finding_sink sink = sources_ledger_sink(d->app.ledger);
    if (sources_create(&sc, &sink, &d->app.sources, err, sizeof err) != 0 ||
        sources_start(d->app.sources, NULL, err, sizeof err) != 0) {
        log_error("main", "sources: %s", err);
        return -1;
    }
    return 0;
}

static void stop_sources(struct daemon *d)
{
    sources_destroy(d->app.sources); /* stops first */
    d->app.sources = NULL;
}

static int start_http(struct daemon *d)
{
    char listen[128], err[256];
    snprintf(listen, sizeof listen, "%s:%u", d->cfg.listen_host, d->cfg.listen_port);
    struct http_config hc = {
        .listen = listen,
        .max_body_bytes = d->cfg.max_body_bytes,
        .max_connections = d->cfg.max_connections,
        .connection_timeout_s = d->cfg.http_timeout_s,
        .threads = d->cfg.http_threads,
        .max_connections_per_client = d->cfg.max_conn_per_client,
        .header_timeout_s = d->cfg.header_timeout_s,
        .max_streams = d->cfg.max_streams,
        .max_streams_per_client = d->cfg.max_streams_per_token,
        .authenticate = api_authenticate,
        .auth_ctx = &d->app,
        .metrics = d->app.metrics,
        .wake = d->app.wake,
    };
    if (http_server_start(&hc, api_routes, &d->app, &d->http, err, sizeof err)) {
        log_error("main", "http: %s", err);
        return -1;
    }
    log_info("main", "listening on http://%s:%u/", d->cfg.listen_host, http_server_port(d->http));
    if (!d->cfg.ops_listen[0])
        return 0;
    /* Its own small connection budget and thread: probes get through while
     * the API's connections are all taken. */
    struct http_config oc = {
        .listen = d->cfg.ops_listen,
        .max_body_bytes = 4096,
        .max_connections = 32,
        .connection_timeout_s = 10,
        .threads = 1,
        .max_connections_per_client = 16,
        .header_timeout_s = 5,
        .metrics = d->app.metrics,
    };
    if (http_server_start(&oc, ops_routes, &d->app, &d->ops, err, sizeof err)) {
        log_error("main", "ops listener: %s", err);
        http_server_stop(d->http);
        d->http = NULL;
        return -1;
    }
    log_info("main", "operations listener on %s, port %u (healthz, readyz, metrics)",
             d->cfg.ops_listen, http_server_port(d->ops));
    return 0;
}

static void stop_http(struct daemon *d)
{
    http_server_stop(d->ops);
    d->ops = NULL;
    http_server_stop(d->http);
    d->http = NULL;
}

/* The thread inventory: started top to bottom, stopped bottom to top. */
static const struct step {
    const char *name;
    int (*start)(struct daemon *d);
    void (*stop)(struct daemon *d);
} steps[] = {
    {"objects", start_objects, stop_objects},
    {"store", start_store, stop_store},
    {"policy", start_policy, NULL},
    {"ledger", start_ledger, stop_ledger},
    {"remediation", start_remediation, stop_remediation},
    {"channels", start_channels, stop_channels},
    {"chat", start_chat, stop_chat},
    {"sources", start_sources, stop_sources},
    {"http", start_http, stop_http},
};
#define NSTEPS (sizeof steps / sizeof steps[0])

/* Removes a secret from the environment: children and the policy's secret_ref
 * never see it, and its text is overwritten where /proc/PID/environ reads it
 * (unsetenv alone only drops the pointer). Before any thread starts. */
static void scrub_env(const char *name)
{
    char *v = getenv(name);
    if (!v)
        return;
    char *entry = v - strlen(name) - 1; /* "NAME=value" */
    size_t n = strlen(entry);
    unsetenv(name); /* finds the entry by its name: before the name is wiped */
    memset(entry, 0, n);
}

/* The first thing a new user reads (stdout; the log goes to stderr): where
 * the server really listens (a port 0 or a --listen flag included) and how to
 * sign in. */
static void print_banner(const struct daemon *d, int had_admin_token)
{
    char url[128], token_file[600];
    snprintf(url, sizeof url, "http://%s:%u", d->cfg.listen_host, http_server_port(d->http));
    snprintf(token_file, sizeof token_file, "%s/admin.token", d->cfg.data_dir);
    printf("\n  SRE Smart Bot %s is ready.\n  Console:  %s/\n", SREBOT_VERSION, url);
    if (had_admin_token)
        printf("  Sign in:  with the token in IF_SRE_ADMIN_TOKEN\n");
    else if (access(token_file, R_OK) == 0)
        printf("  Sign in:  with the admin token in %s\n", token_file);
    else
        printf("  Sign in:  create a token first: srebot token create --data-dir %s --name NAME "
               "--role admin\n",
               d->cfg.data_dir);
    printf("  Health:   %s/healthz   Metrics: %s/metrics\n"
           "  Stop:     Ctrl-C (drains pending writes, then exits)\n\n",
           url, url);
    fflush(stdout);
}

/* The systemd watchdog pings only while the store still commits writes: a
 * hung writer stops the pings and systemd restarts the service. */
static int daemon_healthy(void *ctx)
{
    const struct daemon *d = ctx;
    return d->app.ledger && ledger_ready(d->app.ledger) == SVC_OK;
}

static void notify_ready(struct daemon *d)
{
    char msg[160];
    snprintf(msg, sizeof msg, "READY=1\nSTATUS=serving on port %u\nMAINPID=%ld",
             http_server_port(d->http), (long)getpid());
    if (sdnotify_send(&d->notify, msg) != 0 ||
        sdnotify_watchdog_start(&d->notify, daemon_healthy, d) != 0)
        log_warn("main", "systemd notification failed: %s", strerror(errno));
}

static void serve_help(FILE *out)
{
    fprintf(out, "usage: srebot serve [SETTINGS]\n\n"
                 "Runs the service. SIGTERM or SIGINT drains the write queue and exits 0;\n"
                 "a second signal exits at once.\n\n");
    cli_settings_help(out, NULL);
}

int serve_main(int argc, char **argv)
{
    static struct daemon d; /* static: large, and lives as long as the process */
    int rc = cli_parse_settings(argc, argv, &d.cfg, NULL, 0, NULL, NULL, serve_help);
    if (rc)
        return rc > 0 ? 0 : 2;
    log_set_level((enum log_level)d.cfg.log_level);
    if (cli_ensure_data_dir(&d.cfg))
        return 1;

    d.app.cfg = &d.cfg;
    d.app.started_at_ms = time_now_ms();
    if (d.cfg.admin_token[0]) {
        crypto_sha256(d.cfg.admin_token, strlen(d.cfg.admin_token), d.app.admin_token_hash);
        d.app.has_admin_token = 1;
        /* The cleartext is no longer needed; keep only the hash. */
        memset(d.cfg.admin_token, 0, sizeof d.cfg.admin_token);
    }
    scrub_env("IF_SRE_ADMIN_TOKEN");
    if (sdnotify_from_env(&d.notify) != 0)
        log_warn("main", "NOTIFY_SOCKET is unusable; systemd will not hear that srebot is ready");

    /* Block the stop signals in every thread; only this one waits for them. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    size_t started = 0;
    int exit_code = 0;
    uint64_t t0 = time_mono_ns();
    for (; started < NSTEPS; started++)
        if (steps[started].start(&d)) {
            log_error("main", "start-up failed at %s", steps[started].name);
            exit_code = 1;
            break;
        }
    if (!exit_code) {
        log_info("main", "srebot %s ready in %.1f ms (environment %s)", SREBOT_VERSION,
                 (double)(time_mono_ns() - t0) / 1e6, environment_name(d.cfg.environment));
        print_banner(&d, d.app.has_admin_token);
        notify_ready(&d);
        int sig = 0;
        sigwait(&stop_signals, &sig);
        log_info("main", "signal %d: draining and stopping (send again to exit at once)", sig);
        sdnotify_send(&d.notify, "STOPPING=1\nSTATUS=draining");
        /* A second signal takes the default action: immediate exit. */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        pthread_sigmask(SIG_UNBLOCK, &stop_signals, NULL);
    }
    sdnotify_close(&d.notify); /* its watchdog reads the ledger: stopped before it */
    while (started > 0) {
        started--;
        if (steps[started].stop)
            steps[started].stop(&d);
    }
    log_info("main", "stopped");
    return exit_code;
}

int main(int argc, char **argv) { return cli_main(argc, argv); }
