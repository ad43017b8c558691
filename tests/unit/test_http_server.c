/* The HTTP server in-process on a free port, with a real SQLite store, talked
 * to with libcurl: the auth matrix over the real route table, the error shapes
 * of 401/403/404/405/413/415, request ids, the access log, /metrics, the
 * console's headers, streamed responses and stopping with an idle stream. */
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
#include "http/auth.h"
#include "http/http.h"
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

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
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

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
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

static size_t on_read(char *buf, size_t sz, size_t n, void *ud)
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
static const char *hdr(const struct res *r, const char *name)
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

static void res_free(struct res *r)
{
    int status_only = r->stream_status_only;
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
    r->stream_status_only = status_only;
}

static unsigned port;

/* body_len < 0: send the body chunked (no Content-Length). */
static long request(const char *method, const char *path, const char *token, const char *ctype,
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

static long get(const char *path, const char *token, struct res *r)
{
    return request("GET", path, token, NULL, NULL, 0, NULL, r, 0);
}

static void assert_error(const struct res *r, long status, const char *code)
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

/* ---- test-only routes, appended to the real table ---- */

static void echo(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)app;
    json_t *doc = http_req_json(req, resp);
    if (!doc)
        return;
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:s, s:s}", "echo", doc, "who", req->who->name, "id",
                             http_req_param(req, "id") ? http_req_param(req, "id") : ""));
}

static void events_probe(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)app;
    http_resp_json(resp, 200, json_pack("{s:s}", "who", req->who->name));
}

/* A stream of three events, each after a wait ("nothing yet" twice). */
struct ticker {
    int polls, sent;
    int forever; /* never ends, never sends: an idle SSE client */
};
static atomic_int streams_open;

static long ticker_fn(void *ctx, uint64_t pos, char *buf, size_t max)
{
    struct ticker *t = ctx;
    (void)pos;
    if (t->forever)
        return 0;
    if (t->sent == 3)
        return -1;
    if (++t->polls % 3 != 0)
        return 0;
    int n = snprintf(buf, max, "id: %d\nevent: tick\ndata: {\"n\":%d}\n\n", t->sent, t->sent);
    t->sent++;
    return n;
}

static void ticker_free(void *ctx)
{
    free(ctx);
    atomic_fetch_sub(&streams_open, 1);
}

static void stream_route(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)app;
    struct ticker *t = calloc(1, sizeof *t);
    t->forever = http_req_query(req, "forever") != NULL;
    atomic_fetch_add(&streams_open, 1);
    resp->status = 200;
    resp->content_type = "text/event-stream";
    http_resp_header(resp, "Cache-Control", "no-cache");
    resp->stream = ticker_fn;
    resp->stream_ctx = t;
    resp->stream_free = ticker_free;
}

/* A handler that takes its time: stopping must wait for it. */
static void slow_route(struct http_req *req, struct http_resp *resp, void *app)
{
    (void)req;
    (void)app;
    usleep(400000);
    http_resp_json(resp, 200, json_pack("{s:b}", "slow", 1));
}

static struct http_route table[128];

static void build_table(void)
{
    size_t n = 0, has_events = 0;
    for (const struct http_route *r = api_routes; r->method; r++) {
        table[n++] = *r;
        if (strcmp(r->method, "GET") == 0 && strcmp(r->pattern, "/api/v1/events") == 0)
            has_events = 1;
    }
    table[n++] = (struct http_route){"POST", "/api/v1/test/echo/{id}", ROLES_ANY, echo, "echo"};
    table[n++] =
        (struct http_route){"GET", "/api/v1/test/stream", ROLES_VIEWER, stream_route, "stream"};
    table[n++] = (struct http_route){"GET", "/api/v1/test/slow", ROLES_VIEWER, slow_route, "slow"};
    if (!has_events)
        table[n++] =
            (struct http_route){"GET", "/api/v1/events", ROLES_VIEWER, events_probe, "events"};
    table[n] = (struct http_route){NULL, NULL, 0, NULL, NULL};
}

/* ---- fixture ---- */

static struct fixture fx;
static struct store *store;
static struct app app;
static struct http_server *srv;
static char tokens[4][AUTH_TOKEN_BUF]; /* ingest, viewer, operator, admin */
static const enum role roles[4] = {ROLE_INGEST, ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN};

static int start_server(void)
{
    struct http_config hc = {
        .listen = "127.0.0.1:0",
        .max_body_bytes = MAX_BODY,
        .max_connections = 64,
        .connection_timeout_s = 10,
        .threads = 2,
    };
    char err[256];
    if (http_server_start(&hc, table, &app, &srv, err, sizeof err) != 0) {
        fprintf(stderr, "http_server_start: %s\n", err);
        return -1;
    }
    port = http_server_port(srv);
    return port ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fixture_init(&fx);
    store = fixture_open(&fx, 0, 0);
    if (!store)
        return -1;
    app.store = store;
    app.started_at_ms = time_now_ms();
    crypto_sha256(ENV_ADMIN, strlen(ENV_ADMIN), app.admin_token_hash);
    app.has_admin_token = 1;
    ops_init(&app);
    char err[160];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "t-%s", role_name(roles[i]));
        if (auth_token_create(store, name, roles[i], tokens[i], err, sizeof err) != 0) {
            fprintf(stderr, "token: %s\n", err);
            return -1;
        }
    }
    build_table();
    return start_server();
}

static int teardown(void **state)
{
    (void)state;
    http_server_stop(srv);
    store_close(store);
    fixture_cleanup(&fx);
    curl_global_cleanup();
    return 0;
}

/* ---- tests ---- */

static void test_ops_public(void **state)
{
    (void)state;
    struct res r = {0};
    assert_int_equal(get("/healthz", NULL, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
    res_free(&r);
    assert_int_equal(get("/readyz", NULL, &r), 200);
    res_free(&r);
    assert_int_equal(get("/metrics", NULL, &r), 200);
    assert_non_null(strstr(hdr(&r, "Content-Type"), "text/plain; version=0.0.4"));
    res_free(&r);
    /* a bad token on a public route is ignored, not refused */
    assert_int_equal(get("/healthz", "garbage", &r), 200);
    res_free(&r);
    assert_int_equal(request("HEAD", "/healthz", NULL, NULL, NULL, 0, NULL, &r, 0), 200);
    assert_int_equal(r.len, 0);
    res_free(&r);
}

/* Fills a concrete path for a pattern: {x} -> 1, {x*} -> x. */
static void concrete_path(const char *pattern, char *out, size_t outlen)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 2 < outlen;) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            out[o++] = e[-1] == '*' ? 'x' : '1';
            p = e + 1;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

static void test_auth_matrix(void **state)
{
    (void)state;
    size_t api_rows = 0;
    for (const struct http_route *rt = api_routes; rt->method; rt++) {
        char path[512];
        concrete_path(rt->pattern, path, sizeof path);
        int api = strncmp(path, "/api/v1/", 8) == 0;
        int has_body = strcmp(rt->method, "POST") == 0 || strcmp(rt->method, "PUT") == 0 ||
                       strcmp(rt->method, "PATCH") == 0;
        const char *body = has_body ? "{}" : NULL;
        const char *ct = has_body ? "application/json" : NULL;
        struct res r = {.stream_status_only = 1};
        /* the stream routes must not hang the walk: a short timeout, status only */
        long to = 3000;
        if (api) {
            api_rows++;
            request(rt->method, path, NULL, ct, body, has_body ? 2 : 0, NULL, &r, to);
            assert_error(&r, 401, "unauthorized");
            assert_true(strncmp(hdr(&r, "WWW-Authenticate"), "Bearer", 6) == 0);
            res_free(&r);
            request(rt->method, path, "srb_not-a-real-token", ct, body, has_body ? 2 : 0, NULL,
                    &r, to);
            assert_error(&r, 401, "unauthorized");
            res_free(&r);
        } else if (rt->roles == ROLES_PUBLIC) {
            request(rt->method, path, NULL, ct, body, has_body ? 2 : 0, NULL, &r, to);
            if (r.status == 401 || r.status == 403)
                fail_msg("public %s %s answered %ld", rt->method, path, r.status);
            res_free(&r);
        }
        for (int i = 0; i < 4; i++) {
            request(rt->method, path, tokens[i], ct, body, has_body ? 2 : 0, NULL, &r, to);
            int allowed = rt->roles == ROLES_PUBLIC || (rt->roles & (unsigned)roles[i]);
            if (!allowed && r.status != 403)
                fail_msg("%s %s as %s: %ld, want 403", rt->method, path, role_name(roles[i]),
                         r.status);
            if (allowed && (r.status == 403 || r.status == 401 || r.status == 405))
                fail_msg("%s %s as %s: %ld, want access", rt->method, path,
                         role_name(roles[i]), r.status);
            if (!allowed)
                assert_error(&r, 403, "forbidden");
            res_free(&r);
        }
    }
    assert_true(api_rows >= 1);
}

static void test_unauthenticated_api_hides_shape(void **state)
{
    (void)state;
    struct res r = {0};
    /* unknown API paths and wrong methods look the same as real ones: 401 */
    static const char *const paths[][2] = {
        {"GET", "/api/v1/no-such-thing"}, {"DELETE", "/api/v1/whoami"}, {"GET", "/api/v1"}};
    for (size_t i = 0; i < 3; i++) {
        request(paths[i][0], paths[i][1], NULL, NULL, NULL, 0, NULL, &r, 0);
        assert_error(&r, 401, "unauthorized");
        res_free(&r);
    }
    /* authenticated, they are 404 / 405 */
    get("/api/v1/no-such-thing", tokens[1], &r);
    assert_error(&r, 404, "not_found");
    res_free(&r);
    request("DELETE", "/api/v1/whoami", tokens[1], NULL, NULL, 0, NULL, &r, 0);
    assert_error(&r, 405, "method_not_allowed");
    assert_string_equal(hdr(&r, "Allow"), "GET");
    res_free(&r);
    request("POST", "/healthz", NULL, NULL, NULL, 0, NULL, &r, 0);
    assert_error(&r, 405, "method_not_allowed");
    res_free(&r);
    request("POST", "/no/such/file", NULL, NULL, NULL, 0, NULL, &r, 0);
    assert_error(&r, 404, "not_found");
    res_free(&r);
}

static void test_whoami_and_sse_token(void **state)
{
    (void)state;
    struct res r = {0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(get("/api/v1/whoami", tokens[i], &r), 200);
        assert_string_equal(json_string_value(json_object_get(r.json, "role")),
                            role_name(roles[i]));
        assert_true(strncmp(json_string_value(json_object_get(r.json, "name")), "t-", 2) == 0);
        assert_string_equal(hdr(&r, "Cache-Control"), "no-store");
        res_free(&r);
    }
    assert_int_equal(get("/api/v1/whoami", ENV_ADMIN, &r), 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "name")), AUTH_ENV_TOKEN_NAME);
    res_free(&r);

    /* ?access_token= counts on GET /api/v1/events only */
    char path[160];
    r.stream_status_only = 1;
    snprintf(path, sizeof path, "/api/v1/events?access_token=%s", tokens[1]);
    request("GET", path, NULL, NULL, NULL, 0, NULL, &r, 1500);
    assert_int_equal(r.status, 200);
    res_free(&r);
    snprintf(path, sizeof path, "/api/v1/whoami?access_token=%s", tokens[1]);
    get(path, NULL, &r);
    assert_error(&r, 401, "unauthorized");
    res_free(&r);
}

static void test_body_limits_and_types(void **state)
{
    (void)state;
    struct res r = {0};
    const char *tok = tokens[0];
    request("POST", "/api/v1/test/echo/5", tok, "application/json", "{\"a\":1}", 7, NULL, &r, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.json, "echo"), "a")),
                     1);
    assert_string_equal(json_string_value(json_object_get(r.json, "id")), "5");
    assert_string_equal(json_string_value(json_object_get(r.json, "who")), "t-ingest");
    res_free(&r);

    /* the same body chunked, without Content-Length */
    request("POST", "/api/v1/test/echo/6", tok, "application/json", "{\"a\":2}", -1, NULL, &r,
            0);
    assert_int_equal(r.status, 200);
    res_free(&r);

    request("POST", "/api/v1/test/echo/5", tok, "text/plain", "{}", 2, NULL, &r, 0);
    assert_error(&r, 415, "unsupported_media_type");
    res_free(&r);
    request("POST", "/api/v1/test/echo/5", tok, "application/json", "{\"a\":", 5, NULL, &r, 0);
    assert_error(&r, 400, "bad_request");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r.json, "error"), "details")),
                     1);
    res_free(&r);
    request("POST", "/api/v1/test/echo/5", tok, "application/json", NULL, 0, NULL, &r, 0);
    assert_error(&r, 400, "bad_request");
    res_free(&r);

    /* 413: declared too large (answered before the body), and chunked past the limit */
    static char big[MAX_BODY * 3];
    memset(big, ' ', sizeof big - 1);
    big[0] = '[';
    big[sizeof big - 2] = ']';
    request("POST", "/api/v1/test/echo/5", tok, "application/json", big, MAX_BODY + 1, NULL, &r,
            0);
    assert_error(&r, 413, "payload_too_large");
    res_free(&r);
    request("POST", "/api/v1/test/echo/5", tok, "application/json", big, -1, NULL, &r, 0);
    assert_error(&r, 413, "payload_too_large");
    res_free(&r);
    /* exactly at the limit is fine */
    request("POST", "/api/v1/test/echo/5", tok, "application/json", big + sizeof big - 1 - MAX_BODY,
            MAX_BODY, NULL, &r, 0);
    assert_int_equal(r.status, 400); /* " ... ]" is not JSON, but it was read and parsed */
    res_free(&r);
    /* the server still answers on a fresh connection */
    assert_int_equal(get("/healthz", NULL, &r), 200);
    res_free(&r);
}

static void test_request_id(void **state)
{
    (void)state;
    struct res r = {0};
    const char *const given[] = {"X-Request-Id: abc-123.def", NULL};
    request("GET", "/healthz", NULL, NULL, NULL, 0, given, &r, 0);
    assert_string_equal(hdr(&r, "X-Request-Id"), "abc-123.def");
    res_free(&r);
    const char *const hostile[] = {"X-Request-Id: <script>", NULL};
    request("GET", "/healthz", NULL, NULL, NULL, 0, hostile, &r, 0);
    assert_int_equal(strlen(hdr(&r, "X-Request-Id")), 32);
    char first[64];
    snprintf(first, sizeof first, "%s", hdr(&r, "X-Request-Id"));
    res_free(&r);
    get("/healthz", NULL, &r);
    assert_int_equal(strlen(hdr(&r, "X-Request-Id")), 32);
    assert_string_not_equal(hdr(&r, "X-Request-Id"), first);
    res_free(&r);
}

/* The access log: one JSON line per request with the fields, never the token. */
static void test_access_log(void **state)
{
    (void)state;
    char path[] = "/tmp/srebot-accesslog-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    struct res r = {0};
    const char *const id[] = {"X-Request-Id: log-test-1", NULL};
    request("GET", "/api/v1/whoami", tokens[2], NULL, NULL, 0, id, &r, 0);
    res_free(&r);
    /* the completion callback may run just after the answer reaches us */
    char text[8192] = "";
    for (int tries = 0; tries < 200 && !strstr(text, "log-test-1"); tries++) {
        usleep(5000);
        fflush(stderr);
        FILE *f = fopen(path, "r");
        size_t n = fread(text, 1, sizeof text - 1, f);
        text[n] = '\0';
        fclose(f);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    unlink(path);
    char *line = strstr(text, "{");
    json_t *found = NULL;
    while (line && !found) {
        char *eol = strchr(line, '\n');
        json_t *j = json_loadb(line, eol ? (size_t)(eol - line) : strlen(line), 0, NULL);
        const char *rid = json_string_value(json_object_get(j, "request_id"));
        if (rid && strcmp(rid, "log-test-1") == 0)
            found = j;
        else
            json_decref(j);
        line = eol ? eol + 1 : NULL;
    }
    assert_non_null(found);
    assert_string_equal(json_string_value(json_object_get(found, "method")), "GET");
    assert_string_equal(json_string_value(json_object_get(found, "route")), "/api/v1/whoami");
    assert_string_equal(json_string_value(json_object_get(found, "path")), "/api/v1/whoami");
    assert_int_equal(json_integer_value(json_object_get(found, "status")), 200);
    assert_true(json_is_number(json_object_get(found, "duration_ms")));
    assert_true(json_integer_value(json_object_get(found, "bytes")) > 0);
    assert_string_equal(json_string_value(json_object_get(found, "principal")), "t-operator");
    json_decref(found);
    assert_null(strstr(text, tokens[2]));
    assert_null(strstr(text, tokens[2] + 4 + 8)); /* not even a fragment */
}

static void test_metrics_after_requests(void **state)
{
    (void)state;
    struct res r = {0};
    for (int i = 0; i < 5; i++) {
        get("/healthz", NULL, &r);
        res_free(&r);
    }
    get("/api/v1/whoami", NULL, &r);
    res_free(&r);
    usleep(50000); /* the last completion callbacks */
    get("/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    const char *want[] = {
        "# TYPE srebot_http_requests_total counter\n",
        "srebot_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} ",
        "srebot_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"401\"} ",
        "# TYPE srebot_http_request_duration_seconds histogram\n",
        "srebot_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} ",
        "srebot_store_queue_depth 0\n",
        "# TYPE srebot_store_commit_batch_size histogram\n",
        "srebot_store_commit_duration_seconds_count ",
        "srebot_store_busy_rejections_total 0\n",
        "process_start_time_seconds ",
        "srebot_build_info{version=\"" SREBOT_VERSION "\"} 1\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.body, want[i]))
            fail_msg("/metrics lacks '%s'", want[i]);
    /* the healthz counter counts: at least the 5 above */
    const char *p = strstr(r.body, want[1]);
    assert_true(atol(p + strlen(want[1])) >= 5);
    /* commits happened (the tokens), and the observer saw them */
    p = strstr(r.body, want[7]);
    assert_true(atol(p + strlen(want[7])) >= 4);
    res_free(&r);
}

static void test_console(void **state)
{
    (void)state;
    struct res r = {0};
    assert_int_equal(get("/", NULL, &r), 200);
    assert_string_equal(hdr(&r, "Content-Type"), "text/html; charset=utf-8");
    assert_non_null(strstr(hdr(&r, "Content-Security-Policy"), "default-src 'self'"));
    assert_null(strstr(hdr(&r, "Content-Security-Policy"), "unsafe-inline"));
    assert_string_equal(hdr(&r, "X-Content-Type-Options"), "nosniff");
    assert_non_null(strstr(r.body, "<html"));
    size_t index_len = r.len;
    res_free(&r);
    assert_int_equal(get("/index.html", NULL, &r), 200);
    assert_int_equal(r.len, index_len);
    res_free(&r);
    get("/no-such-file.js", NULL, &r);
    assert_error(&r, 404, "not_found");
    res_free(&r);
    assert_string_equal(console_mime_type("/a/b.js"), "text/javascript; charset=utf-8");
    assert_string_equal(console_mime_type("/x.CSS"), "text/css; charset=utf-8");
    assert_string_equal(console_mime_type("/x.svg"), "image/svg+xml");
    assert_string_equal(console_mime_type("/dir.v2/file"), "application/octet-stream");
}

static void test_stream(void **state)
{
    (void)state;
    struct res r = {0};
    uint64_t t0 = time_mono_ns();
    request("GET", "/api/v1/test/stream", tokens[1], NULL, NULL, 0, NULL, &r, 10000);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), "text/event-stream");
    assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");
    assert_non_null(strstr(r.body, "id: 0\nevent: tick\ndata: {\"n\":0}\n\n"));
    assert_non_null(strstr(r.body, "id: 2\nevent: tick\ndata: {\"n\":2}\n\n"));
    /* Six "nothing yet" answers were parked, not spun: at most a poll interval
     * each, far from the timeout. */
    assert_true(secs < 6 * HTTP_STREAM_POLL_MS / 1000.0 + 2);
    res_free(&r);
}

static atomic_int wake_stop;

static void *wake_loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&wake_stop)) {
        http_streams_wake();
        usleep(10000);
    }
    return NULL;
}

static void test_stream_wake_is_prompt(void **state)
{
    (void)state;
    /* With wakes arriving from another thread, the stream finishes well before
     * six poll intervals. */
    pthread_t th;
    struct res r = {0};
    atomic_store(&wake_stop, 0);
    pthread_create(&th, NULL, wake_loop, NULL);
    uint64_t t0 = time_mono_ns();
    request("GET", "/api/v1/test/stream", tokens[1], NULL, NULL, 0, NULL, &r, 10000);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    atomic_store(&wake_stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "data: {\"n\":2}"));
    assert_true(secs < 6 * HTTP_STREAM_POLL_MS / 1000.0);
    res_free(&r);
}

struct bg_req {
    const char *token;
    const char *path;
    struct res r;
};

static void *bg_get(void *arg)
{
    struct bg_req *b = arg;
    get(b->path, b->token, &b->r);
    return NULL;
}

/* Stopping lets a request in flight finish, refuses new connections, then
 * ends. Restarts the server for the tests after it. */
static void test_stop_drains_in_flight(void **state)
{
    (void)state;
    struct bg_req b = {tokens[1], "/api/v1/test/slow", {0}};
    pthread_t th;
    pthread_create(&th, NULL, bg_get, &b);
    usleep(150000); /* the handler is running */
    unsigned old_port = port;
    http_server_stop(srv);
    srv = NULL;
    pthread_join(th, &(void *){NULL});
    assert_int_equal(b.r.status, 200);
    assert_true(json_is_true(json_object_get(b.r.json, "slow")));
    res_free(&b.r);
    struct res r = {0};
    port = old_port;
    assert_int_equal(get("/healthz", NULL, &r), -1); /* nobody listens any more */
    res_free(&r);
    assert_int_equal(start_server(), 0);
}

static void *bg_stream(void *arg)
{
    struct bg_req *b = arg;
    request("GET", "/api/v1/test/stream?forever=1", b->token, NULL, NULL, 0, NULL, &b->r, 20000);
    return NULL;
}

/* An idle stream must not keep the server from stopping. Runs last: it
 * restarts the server. */
static void test_stop_with_idle_stream(void **state)
{
    (void)state;
    int before = atomic_load(&streams_open);
    struct bg_req b = {tokens[1], NULL, {0}};
    pthread_t th;
    pthread_create(&th, NULL, bg_stream, &b);
    for (int i = 0; i < 500 && atomic_load(&streams_open) == before; i++)
        usleep(10000);
    assert_int_equal(atomic_load(&streams_open), before + 1);
    usleep(100000); /* parked at least once */
    uint64_t t0 = time_mono_ns();
    http_server_stop(srv);
    srv = NULL;
    pthread_join(th, NULL);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    assert_true(secs < 5);
    assert_int_equal(b.r.status, 200);
    assert_int_equal(atomic_load(&streams_open), before); /* stream_free ran */
    res_free(&b.r);
    assert_int_equal(start_server(), 0);
}

#define LOAD_THREADS 8
#define LOAD_EACH 100

static void *load(void *arg)
{
    int *ok = arg;
    for (int i = 0; i < LOAD_EACH; i++) {
        struct res r = {0};
        if (get("/api/v1/whoami", tokens[1], &r) == 200)
            (*ok)++;
        res_free(&r);
    }
    return NULL;
}

static void test_concurrent_clients(void **state)
{
    (void)state;
    pthread_t th[LOAD_THREADS];
    int ok[LOAD_THREADS] = {0};
    for (int i = 0; i < LOAD_THREADS; i++)
        pthread_create(&th[i], NULL, load, &ok[i]);
    int total = 0;
    for (int i = 0; i < LOAD_THREADS; i++) {
        pthread_join(th[i], NULL);
        total += ok[i];
    }
    assert_int_equal(total, LOAD_THREADS * LOAD_EACH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_public),
        cmocka_unit_test(test_auth_matrix),
        cmocka_unit_test(test_unauthenticated_api_hides_shape),
        cmocka_unit_test(test_whoami_and_sse_token),
        cmocka_unit_test(test_body_limits_and_types),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_access_log),
        cmocka_unit_test(test_metrics_after_requests),
        cmocka_unit_test(test_console),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_wake_is_prompt),
        cmocka_unit_test(test_concurrent_clients),
        cmocka_unit_test(test_stop_with_idle_stream),
        cmocka_unit_test(test_stop_drains_in_flight),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
