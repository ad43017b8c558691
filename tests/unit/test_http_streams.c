/* Streamed responses (Server-Sent Events) and stopping the server: waits are
 * parked, not spun; http_streams_wake() delivers promptly; stopping ends idle
 * streams and lets requests in flight finish. */
#include "http_fixture.h"

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

static void stream_route(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)ctx;
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
static void slow_route(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    usleep(400000);
    http_resp_json(resp, 200, json_pack("{s:b}", "slow", 1));
}

static const struct http_route test_routes[] = {
    {"GET", "/api/v1/test/stream", ROLES_VIEWER, stream_route, "stream"},
    {"GET", "/api/v1/test/slow", ROLES_VIEWER, slow_route, "slow"},
    {NULL, NULL, 0, NULL, NULL},
};

static int setup(void **state)
{
    (void)state;
    return http_fixture_setup(test_routes);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stream_wake_is_prompt),
        cmocka_unit_test(test_stop_with_idle_stream),
        cmocka_unit_test(test_stop_drains_in_flight),
    };
    return cmocka_run_group_tests(tests, setup, http_fixture_teardown);
}
