/* Shared by the in-process HTTP server tests: a small libcurl client and a
 * server started on a free port with a real SQLite store, the real route table
 * plus the test's own rows, and one token per role. */
#ifndef SREBOT_TESTS_HTTP_FIXTURE_H
#define SREBOT_TESTS_HTTP_FIXTURE_H

#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/ops.h"
#include "api/routes.h"
#include "api/auth.h"
#include "http/http.h"
#include "ledger/ledger.h"
#include "store_fixture.h"
#include "util/metrics.h"

#define ENV_ADMIN "test-env-admin-token"
#define MAX_BODY 4096

/* ---- a small libcurl client ---- */

struct res {
    long status;
    char *body;
    size_t len;
    char headers[8192];
    size_t hlen;
    json_t *json;
    int stream_status_only;
};

static inline size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct res *r = ud;
    size_t k = sz * n;
    /* An event stream runs until the server ends it; when the caller only
     * wants to know it opened (stream_status_only), the first bytes will do. */
    if (r->stream_status_only && strcasestr(r->headers, "text/event-stream"))
        return 0;
    char *b = realloc(r->body, r->len + k + 1);
    if (!b)
        return 0;
    memcpy(b + r->len, p, k);
    r->body = b;
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static inline size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct res *r = ud;
    size_t k = sz * n;
    if (r->hlen + k < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, k);
        r->hlen += k;
        r->headers[r->hlen] = '\0';
    }
    return k;
}

struct upload {
    const char *data;
    size_t len, off;
};

static inline size_t on_read(char *buf, size_t sz, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t k = sz * n;
    if (k > u->len - u->off)
        k = u->len - u->off;
    memcpy(buf, u->data + u->off, k);
    u->off += k;
    return k;
}

/* Header value (case-insensitive name) or "" when absent; static buffer. */
static inline const char *hdr(const struct res *r, const char *name)
{
    static char out[1024];
    size_t nl = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, sizeof out, "%.*s", (int)(eol - v), v);
            return out;
        }
        line = eol + 2;
    }
    return "";
}

static inline void res_free(struct res *r)
{
    int status_only = r->stream_status_only;
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
    r->stream_status_only = status_only;
}

static unsigned port; /* of the server under test */

/* body_len < 0: send the body chunked (no Content-Length). */
static inline long request(const char *method, const char *path, const char *token, const char *ctype,
                    const char *body, long body_len, const char *const *extra, struct res *r,
                    long timeout_ms)
{
    int status_only = r->stream_status_only;
    memset(r, 0, sizeof *r);
    r->stream_status_only = status_only;
    CURL *c = curl_easy_init();
    char url[1024], auth[256], ct[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, path);
    struct curl_slist *h = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    if (ctype) {
        snprintf(ct, sizeof ct, "Content-Type: %s", ctype);
        h = curl_slist_append(h, ct);
    }
    for (size_t i = 0; extra && extra[i]; i++)
        h = curl_slist_append(h, extra[i]);
    h = curl_slist_append(h, "Expect:");
    struct upload up = {body, body ? (body_len < 0 ? strlen(body) : (size_t)body_len) : 0, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body && body_len >= 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body_len);
    } else if (body) {
        h = curl_slist_append(h, "Transfer-Encoding: chunked");
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, &up);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (rc != CURLE_OK && r->status == 0)
        r->status = -1;
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (r->body)
        r->json = json_loads(r->body, 0, NULL);
    return r->status;
}

static inline long get(const char *path, const char *token, struct res *r)
{
    return request("GET", path, token, NULL, NULL, 0, NULL, r, 0);
}

static inline void assert_error(const struct res *r, long status, const char *code)
{
    if (r->status != status)
        fail_msg("status %ld, want %ld; body %s", r->status, status, r->body ? r->body : "");
    assert_non_null(r->json);
    json_t *e = json_object_get(r->json, "error");
    assert_true(json_is_object(e));
    assert_string_equal(json_string_value(json_object_get(e, "code")), code);
    assert_true(json_is_string(json_object_get(e, "message")));
    assert_true(json_is_array(json_object_get(e, "details")));
    assert_string_equal(hdr(r, "Content-Type"), "application/json");
    assert_true(strlen(hdr(r, "X-Request-Id")) > 0);
}

/* ---- the server under test: the real route table plus a test's own rows ---- */

static struct fixture fx;
static struct store *store;
static struct app app;
static struct http_server *srv;
static char tokens[4][AUTH_TOKEN_BUF]; /* ingest, viewer, operator, admin */
static const enum role roles[4] = {ROLE_INGEST, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN};
static struct http_route table[128];

/* api_routes[] followed by extra (NULL-method terminated). */
static inline void build_table(const struct http_route *extra)
{
    size_t n = 0;
    for (const struct http_route *r = api_routes; r->method; r++)
        table[n++] = *r;
    for (const struct http_route *r = extra; r && r->method; r++)
        table[n++] = *r;
    table[n] = (struct http_route){NULL, NULL, 0, NULL, NULL, 0};
}

static inline int start_server(void)
{
    struct http_config hc = {
        .listen = "127.0.0.1:0",
        .max_body_bytes = MAX_BODY,
        .max_connections = 64,
        .connection_timeout_s = 10,
        .threads = 2,
        .authenticate = api_authenticate,
        .auth_ctx = &app,
        .metrics = app.metrics,
        .wake = app.wake,
    };
    char err[256];
    if (http_server_start(&hc, table, &app, &srv, err, sizeof err) != 0) {
        fprintf(stderr, "http_server_start: %s\n", err);
        return -1;
    }
    port = http_server_port(srv);
    return port ? 0 : -1;
}

/* A store in a temp dir, the env admin token, one token per role, the server. */
static inline int http_fixture_setup(const struct http_route *extra)
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fixture_init(&fx);
    store = fixture_open(&fx, 0, 0);
    if (!store)
        return -1;
    app.store = store;
    app.metrics = metrics_create();
    app.wake = http_wake_create();
    app.started_at_ms = time_now_ms();
    crypto_sha256(ENV_ADMIN, strlen(ENV_ADMIN), app.admin_token_hash);
    app.has_admin_token = 1;
    store_metrics_register(store, app.metrics);
    ops_init(&app);
    /* the ledger's reads and readiness (not started: no tick, no relay) */
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = store;
    lc.metrics = app.metrics;
    if (ledger_create(&lc, &app.ledger) != SVC_OK)
        return -1;
    char err[160];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "t-%s", role_name(roles[i]));
        if (auth_token_create(store, "test", name, roles[i], 0, tokens[i], err, sizeof err) != 0) {
            fprintf(stderr, "token: %s\n", err);
            return -1;
        }
    }
    build_table(extra);
    return start_server();
}

static inline int http_fixture_teardown(void **state)
{
    (void)state;
    http_server_stop(srv);
    ledger_destroy(app.ledger);
    app.ledger = NULL;
    store_close(store);
    http_wake_destroy(app.wake);
    metrics_destroy(app.metrics);
    fixture_cleanup(&fx);
    curl_global_cleanup();
    return 0;
}

#endif
