/* For the fuzz targets that drive handlers and the HTTP server: the services
 * `srebot serve` composes (a real SQLite store in a temporary directory, the
 * seeded policy, the ledger with a few incidents, the app context), built once
 * per process and torn down at exit so the sanitizers see no leak. Logs at
 * error level only, so fuzzing is not slowed by access lines. */
#ifndef SREBOT_FUZZ_APP_H
#define SREBOT_FUZZ_APP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api/app.h"
#include "api/auth.h"
#include "api/ops.h"
#include "api/routes.h"
#include "core/config.h"
#include "http/http.h"
#include "ledger/ledger.h"
#include "ledger/policy_service.h"
#include "store/store.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/timeutil.h"

#define FUZZ_ADMIN_TOKEN "fuzz-admin-token-0123456789"

static struct {
    char dir[64];
    struct config cfg;
    struct app app;
    struct http_server *srv;
    unsigned port;
} fuzz_env;

static void fuzz_app_destroy(void)
{
    http_server_stop(fuzz_env.srv);
    ledger_destroy(fuzz_env.app.ledger);
    store_close(fuzz_env.app.store);
    http_wake_destroy(fuzz_env.app.wake);
    metrics_destroy(fuzz_env.app.metrics);
    static const char *const files[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm"};
    char p[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_env.dir, files[i]);
        unlink(p);
    }
    rmdir(fuzz_env.dir);
    curl_global_cleanup();
}

static void fuzz_app_fail(const char *what)
{
    fprintf(stderr, "fuzz app: %s\n", what);
    abort();
}

/* Builds the app once; with_http also starts the HTTP server on a free
 * loopback port (fuzz_env.port). */
static struct app *fuzz_app(int with_http)
{
    if (fuzz_env.app.store)
        return &fuzz_env.app;
    log_set_level(LOG_ERROR);
    /* as in `srebot serve`: libcurl initialises OpenSSL (whose per-thread
     * state the server threads use for request ids) and cleans it up at exit */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(fuzz_env.dir, sizeof fuzz_env.dir, "/tmp/srebot-fuzz-XXXXXX");
    if (!mkdtemp(fuzz_env.dir))
        fuzz_app_fail("mkdtemp");
    char err[300], url[128];
    if (config_load(&fuzz_env.cfg, NULL, NULL, 0, NULL, err, sizeof err) != 0)
        fuzz_app_fail(err);
    snprintf(fuzz_env.cfg.file_roots, sizeof fuzz_env.cfg.file_roots, "/var/log");
    snprintf(url, sizeof url, "sqlite:%s/fuzz.db", fuzz_env.dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = url;
    struct app *a = &fuzz_env.app;
    if (store_open(&sc, &a->store, err, sizeof err) != STORE_OK)
        fuzz_app_fail(err);
    atexit(fuzz_app_destroy);
    a->cfg = &fuzz_env.cfg;
    a->metrics = metrics_create();
    a->wake = http_wake_create();
    a->started_at_ms = time_now_ms();
    crypto_sha256(FUZZ_ADMIN_TOKEN, strlen(FUZZ_ADMIN_TOKEN), a->admin_token_hash);
    a->has_admin_token = 1;
    store_metrics_register(a->store, a->metrics);
    ops_init(a);
    if (policy_seed_defaults(a->store, &fuzz_env.cfg, err, sizeof err) < 0)
        fuzz_app_fail(err);
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = a->store;
    lc.metrics = a->metrics;
    if (ledger_create(&lc, &a->ledger) != SVC_OK)
        fuzz_app_fail("ledger");
    static const char findings[] =
        "[{\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","
        "\"correlation_key\":\"node-1\",\"severity\":\"high\",\"status\":\"firing\","
        "\"summary\":\"disk\",\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\","
        "\"data\":{\"used\":95}}]},"
        "{\"source\":\"probe\",\"class\":\"runtime_services.runtime_dependency_outage\","
        "\"correlation_key\":\"db\",\"severity\":\"critical\",\"status\":\"firing\","
        "\"summary\":\"db down\"}]";
    struct problems *p = problems_create();
    json_t *answer = NULL;
    if (ledger_ingest_json(a->ledger, findings, sizeof findings - 1, "fuzz", &answer, p) !=
        SVC_OK)
        fuzz_app_fail("ingest");
    json_decref(answer);
    problems_destroy(p);
    if (with_http) {
        struct http_config hc = {
            .listen = "127.0.0.1:0",
            .max_body_bytes = 1 << 20,
            .max_connections = 64,
            .connection_timeout_s = 5,
            .threads = 2,
            .authenticate = api_authenticate,
            .auth_ctx = a,
            .metrics = a->metrics,
            .wake = a->wake,
        };
        if (http_server_start(&hc, api_routes, a, &fuzz_env.srv, err, sizeof err) != 0)
            fuzz_app_fail(err);
        fuzz_env.port = http_server_port(fuzz_env.srv);
    }
    return a;
}

#endif
