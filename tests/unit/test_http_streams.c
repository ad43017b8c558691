/* Streamed responses (Server-Sent Events) and stopping the server: waits are
 * parked, not spun; http_wake_signal(app.wake) delivers promptly; stopping ends idle
 * streams and lets requests in flight finish. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http_fixture.h"

struct ticker {
    int polls, sent;
    int idle;    /* "nothing yet" answers before each tick */
    int wake_on_idle; /* data "arrives" as it answers nothing yet: it wakes */
    int forever; /* never ends, never sends: an idle SSE client */
};
static atomic_int streams_open;
static atomic_int idle_polls; /* of forever streams */

static long ticker_fn(void *ctx, uint64_t pos, char *buf, size_t max)
{
    struct ticker *t = ctx;
    (void)pos;
    if (t->forever) {
        atomic_fetch_add(&idle_polls, 1);
        return 0;
    }
    if (t->sent == 3)
        return -1;
    if (++t->polls % (t->idle + 1) != 0) {
        if (t->wake_on_idle)
            http_wake_signal(app.wake);
        return 0;
    }
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
    const char *idle = http_req_query(req, "idle");
    t->idle = idle ? atoi(idle) : 2;
    t->wake_on_idle = http_req_query(req, "wake") != NULL;
    atomic_fetch_add(&streams_open, 1);
    resp->status = 200;
    resp->content_type = "text/event-stream";
    http_resp_header(resp, "Cache-Control", "no-cache");
    resp->stream = ticker_fn;
    resp->stream_ctx = t;
    resp->stream_free = ticker_free;
}

/* A handler still running when the server stops: it says it started, then
 * waits until the test has seen the server refuse connections (the stop has
 * begun), so the stop is sure to find it in flight. Bounded below DRAIN_MS. */
static atomic_int slow_entered, slow_release;

static void slow_route(struct http_req *req, struct http_resp *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    atomic_store(&slow_entered, 1);
    for (int i = 0; i < 300 && !atomic_load(&slow_release); i++)
        usleep(10000);
    http_resp_json(resp, 200, json_pack("{s:b}", "slow", 1));
}

/* Polls until cond() holds, at most deadline_ms; returns whether it held. */
static int wait_until(int (*cond)(void), int deadline_ms)
{
    for (int waited = 0; !cond() && waited < deadline_ms; waited += 10)
        usleep(10000);
    return cond();
}

static const struct http_route test_routes[] = {
    {"GET", "/api/v1/test/stream", ROLES_VIEWER, stream_route, "stream", 0},
    {"GET", "/api/v1/test/slow", ROLES_VIEWER, slow_route, "slow", 0},
    {NULL, NULL, 0, NULL, NULL, 0},
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
    request("GET", "/api/v1/test/stream", tokens[1], NULL, NULL, 0, NULL, &r, 30000);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    assert_int_equal(r.status, 200);
    assert_string_equal(hdr(&r, "Content-Type"), "text/event-stream");
    assert_string_equal(hdr(&r, "Cache-Control"), "no-cache");
    assert_non_null(strstr(r.body, "id: 0\nevent: tick\ndata: {\"n\":0}\n\n"));
    assert_non_null(strstr(r.body, "id: 2\nevent: tick\ndata: {\"n\":2}\n\n"));
    /* Six "nothing yet" answers were parked and resumed by the poll interval,
     * not left parked until the client's timeout (30 s; slack for a loaded
     * machine). */
    assert_true(secs < 6 * HTTP_STREAM_POLL_MS / 1000.0 + 10);
    res_free(&r);
}

static atomic_int wake_stop;

static void *wake_loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&wake_stop)) {
        http_wake_signal(app.wake);
        usleep(10000);
    }
    return NULL;
}

static void test_stream_wake_is_prompt(void **state)
{
    (void)state;
    /* Thirty "nothing yet" answers: without wakes each waits a poll interval
     * (7.5 s in all); with wakes arriving every 10 ms from another thread each
     * is resumed at the next one, so the stream ends in a fraction of that
     * (the margin is ~25x, so a loaded machine does not blur the two). */
    pthread_t th;
    struct res r = {0};
    atomic_store(&wake_stop, 0);
    pthread_create(&th, NULL, wake_loop, NULL);
    uint64_t t0 = time_mono_ns();
    request("GET", "/api/v1/test/stream?idle=10", tokens[1], NULL, NULL, 0, NULL, &r, 30000);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    atomic_store(&wake_stop, 1);
    pthread_join(th, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "data: {\"n\":2}"));
    assert_true(secs < 30 * HTTP_STREAM_POLL_MS / 1000.0);
    res_free(&r);
}

/* A wake that comes while the callback is answering "nothing yet" (the data
 * arrived just after it looked) must not be slept through: the stream is
 * asked again at once instead of parking for a poll interval. Thirty such
 * answers would take 7.5 s if each waited out the interval. */
static void test_wake_while_polling_is_not_lost(void **state)
{
    (void)state;
    struct res r = {0};
    uint64_t t0 = time_mono_ns();
    request("GET", "/api/v1/test/stream?idle=10&wake=1", tokens[1], NULL, NULL, 0, NULL, &r,
            30000);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "data: {\"n\":2}"));
    if (secs >= 10 * HTTP_STREAM_POLL_MS / 1000.0)
        fail_msg("%.2f s: wakes during the callback were slept through", secs);
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
    request("GET", b->path, b->token, NULL, NULL, 0, NULL, &b->r, 30000);
    return NULL;
}

static int slow_has_entered(void) { return atomic_load(&slow_entered); }

/* Connects to the stopping server until it refuses (its listening socket is
 * closed: the stop has begun), then lets the slow handler finish. */
static void *release_when_refused(void *arg)
{
    unsigned p = *(unsigned *)arg;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (int i = 0; i < 2000 && !atomic_load(&slow_release); i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        close(fd);
        if (rc != 0)
            break;
        usleep(10000);
    }
    atomic_store(&slow_release, 1);
    return NULL;
}

/* Stopping lets a request in flight finish, refuses new connections, then
 * ends. Restarts the server for the tests after it. */
static void test_stop_drains_in_flight(void **state)
{
    (void)state;
    struct bg_req b = {tokens[1], "/api/v1/test/slow", {0}};
    pthread_t th, rel;
    atomic_store(&slow_entered, 0);
    atomic_store(&slow_release, 0);
    pthread_create(&th, NULL, bg_get, &b);
    assert_true(wait_until(slow_has_entered, 30000)); /* the handler is running */
    unsigned old_port = port;
    pthread_create(&rel, NULL, release_when_refused, &old_port);
    http_server_stop(srv);
    srv = NULL;
    pthread_join(rel, NULL);
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
    request("GET", "/api/v1/test/stream?forever=1", b->token, NULL, NULL, 0, NULL, &b->r, 60000);
    return NULL;
}

static int idle_stream_resumed(void) { return atomic_load(&idle_polls) >= 2; }
static int no_stream_open(void) { return atomic_load(&streams_open) == 0; }

/* An idle stream must not keep the server from stopping. Runs last: it
 * restarts the server. */
static void test_stop_with_idle_stream(void **state)
{
    (void)state;
    /* the earlier tests' streams are freed when their connections complete,
     * which may be a moment after their clients had everything */
    assert_true(wait_until(no_stream_open, 30000));
    int before = atomic_load(&streams_open);
    struct bg_req b = {tokens[1], NULL, {0}};
    pthread_t th;
    atomic_store(&idle_polls, 0);
    pthread_create(&th, NULL, bg_stream, &b);
    /* a second poll comes only after the first "nothing yet" parked the
     * connection and the waker resumed it: the stream is idle and parked */
    assert_true(wait_until(idle_stream_resumed, 30000));
    assert_int_equal(atomic_load(&streams_open), before + 1);
    uint64_t t0 = time_mono_ns();
    http_server_stop(srv);
    srv = NULL;
    pthread_join(th, NULL);
    double secs = (double)(time_mono_ns() - t0) / 1e9;
    /* well before the client gives up (60 s): the stop ended the stream */
    assert_true(secs < 20);
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
        cmocka_unit_test(test_wake_while_polling_is_not_lost),
        cmocka_unit_test(test_stop_with_idle_stream),
        cmocka_unit_test(test_stop_drains_in_flight),
    };
    return cmocka_run_group_tests(tests, setup, http_fixture_teardown);
}
