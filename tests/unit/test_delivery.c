/* `detect` delivery against a real local HTTP server that plays the ingest API:
 * buffering while it is away (503 / nothing listening), drop-oldest when the
 * buffer is full, retry with backoff, order kept, 422 batches rejected, the
 * bearer token sent. Also the instance specs derived from a policy. */
#include <setjmp.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/policy.h"
#include "sources/delivery.h"
#include "sources/sources.h"
#include "support/srcfix.h"
#include "util/timeutil.h"

struct ingest {
    pthread_mutex_t mu;
    atomic_int fail_next; /* answer 503 to this many requests */
    atomic_int reject;    /* answer 422 */
    json_t *got;          /* every finding accepted, in order */
    atomic_int bad_token;
};

static void ingest_handler(void *ctx, const struct mini_req *rq, struct mini_reply *rep)
{
    struct ingest *in = ctx;
    if (strcmp(rq->method, "POST") != 0 || strcmp(rq->url, "/api/v1/findings") != 0)
        return;
    if (!rq->authorization || strcmp(rq->authorization, "Bearer tok-ingest") != 0) {
        atomic_fetch_add(&in->bad_token, 1);
        rep->status = 401;
        return;
    }
    if (atomic_load(&in->fail_next) > 0) {
        atomic_fetch_sub(&in->fail_next, 1);
        rep->status = 503;
        snprintf(rep->body, sizeof rep->body, "{\"error\":{\"code\":\"unavailable\"}}");
        return;
    }
    if (atomic_load(&in->reject)) {
        rep->status = 422;
        snprintf(rep->body, sizeof rep->body, "{\"error\":{\"code\":\"validation_failed\"}}");
        return;
    }
    json_error_t e;
    json_t *arr = json_loadb(rq->body ? rq->body : "", rq->body_len, 0, &e);
    assert_true(json_is_array(arr));
    pthread_mutex_lock(&in->mu);
    json_array_extend(in->got, arr);
    pthread_mutex_unlock(&in->mu);
    json_decref(arr);
    rep->status = 200;
    snprintf(rep->body, sizeof rep->body, "{\"items\":[]}");
}

static json_t *finding(int n)
{
    return json_pack("{s:s,s:s,s:i}", "source", "t", "class", "test.delivery", "n", n);
}

static void test_retry_order_and_drop(void **state)
{
    (void)state;
    struct ingest in = {.got = json_array()};
    pthread_mutex_init(&in.mu, NULL);
    atomic_init(&in.fail_next, 3);
    atomic_init(&in.reject, 0);
    atomic_init(&in.bad_token, 0);
    struct mini_http m;
    assert_int_equal(mini_http_start(&m, ingest_handler, &in), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", m.port);
    struct delivery_opts o = {.server = url, .token = "tok-ingest", .capacity = 100,
                              .batch_max = 7, .retry_base_ms = 20, .retry_max_ms = 80,
                              .timeout_ms = 2000};
    struct delivery *d;
    char err[200];
    assert_int_equal(delivery_create(&o, &d, err, sizeof err), 0);
    for (int i = 0; i < 50; i++)
        delivery_emit(d, finding(i));
    assert_int_equal(delivery_flush(d, 10000), 0);
    struct delivery_stats st;
    delivery_get_stats(d, &st);
    assert_int_equal(st.delivered, 50);
    assert_int_equal(st.dropped, 0);
    assert_true(st.failures >= 3);
    assert_int_equal(st.last_status, 200);
    pthread_mutex_lock(&in.mu);
    assert_int_equal(json_array_size(in.got), 50);
    for (int i = 0; i < 50; i++) /* in order, each once, despite the retries */
        assert_int_equal(json_integer_value(json_object_get(json_array_get(in.got, (size_t)i), "n")), i);
    pthread_mutex_unlock(&in.mu);

    /* 422: the batch is rejected, not retried forever */
    atomic_store(&in.reject, 1);
    delivery_emit(d, finding(1000));
    assert_int_equal(delivery_flush(d, 5000), 0);
    delivery_get_stats(d, &st);
    assert_int_equal(st.rejected, 1);
    atomic_store(&in.reject, 0);
    delivery_destroy(d);
    mini_http_stop(&m);
    json_decref(in.got);
    pthread_mutex_destroy(&in.mu);
}

static void test_buffer_while_server_away(void **state)
{
    (void)state;
    int held = -1;
    unsigned port = tcp_refusing_port(&held);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    struct delivery_opts o = {.server = url, .token = "tok-ingest", .capacity = 10,
                              .batch_max = 4, .retry_base_ms = 20, .retry_max_ms = 50,
                              .timeout_ms = 500};
    struct delivery *d;
    char err[200];
    assert_int_equal(delivery_create(&o, &d, err, sizeof err), 0);
    for (int i = 0; i < 25; i++)
        delivery_emit(d, finding(i));
    assert_int_not_equal(delivery_flush(d, 300), 0); /* nobody there */
    struct delivery_stats st;
    delivery_get_stats(d, &st);
    assert_int_equal(st.queued, 25);
    assert_int_equal(st.dropped, 15); /* bounded: the oldest went */
    assert_int_equal(st.depth, 10);
    assert_int_equal(st.delivered, 0);
    assert_true(st.failures >= 1);
    assert_true(st.last_error[0] != '\0');

    /* the server comes up on that port: the newest 10 arrive, in order */
    struct ingest in = {.got = json_array()};
    pthread_mutex_init(&in.mu, NULL);
    atomic_init(&in.fail_next, 0);
    atomic_init(&in.reject, 0);
    atomic_init(&in.bad_token, 0);
    struct mini_http m = {0};
    m.fn = ingest_handler;
    m.ctx = &in;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    close(held); /* hand the port to the server */
    m.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, mini_answer, &m,
                           MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, mini_done,
                           NULL, MHD_OPTION_END);
    assert_non_null(m.d);
    assert_int_equal(delivery_flush(d, 10000), 0);
    delivery_get_stats(d, &st);
    assert_int_equal(st.delivered, 10);
    pthread_mutex_lock(&in.mu);
    assert_int_equal(json_array_size(in.got), 10);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(in.got, 0), "n")), 15);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(in.got, 9), "n")), 24);
    pthread_mutex_unlock(&in.mu);
    delivery_destroy(d);
    mini_http_stop(&m);
    json_decref(in.got);
    pthread_mutex_destroy(&in.mu);
}

static void test_wrong_token_is_retried_not_dropped(void **state)
{
    (void)state;
    struct ingest in = {.got = json_array()};
    pthread_mutex_init(&in.mu, NULL);
    atomic_init(&in.fail_next, 0);
    atomic_init(&in.reject, 0);
    atomic_init(&in.bad_token, 0);
    struct mini_http m;
    assert_int_equal(mini_http_start(&m, ingest_handler, &in), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", m.port);
    struct delivery_opts o = {.server = url, .token = "wrong", .retry_base_ms = 20,
                              .retry_max_ms = 40};
    struct delivery *d;
    char err[200];
    assert_int_equal(delivery_create(&o, &d, err, sizeof err), 0);
    delivery_emit(d, finding(1));
    assert_int_not_equal(delivery_flush(d, 300), 0);
    struct delivery_stats st;
    delivery_get_stats(d, &st);
    assert_int_equal(st.last_status, 401);
    assert_int_equal(st.depth, 1);
    assert_int_equal(st.rejected, 0);
    assert_true(atomic_load(&in.bad_token) >= 2);
    delivery_destroy(d); /* frees what is left */
    mini_http_stop(&m);
    json_decref(in.got);
    pthread_mutex_destroy(&in.mu);
    assert_int_not_equal(delivery_create(&(struct delivery_opts){.server = "ftp://x"}, &d, err,
                                         sizeof err),
                         0);
}

static json_t *spec(json_t *specs, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(specs, i, s) if (strcmp(json_string_value(json_object_get(s, "id")), id) ==
                                        0) return s;
    return NULL;
}

static void test_specs_from_policy(void **state)
{
    (void)state;
    struct sources_config cfg = {.data_dir = "/var/lib/srebot", .logs_glob = "./logs/*.log"};
    json_t *specs = sources_specs_from_policy(&cfg, NULL);
    json_t *host = spec(specs, "host");
    assert_non_null(host);
    json_t *mounts = json_object_get(json_object_get(host, "config"), "mounts");
    assert_int_equal(json_array_size(mounts), 2);
    assert_string_equal(json_string_value(json_array_get(mounts, 1)), "/var/lib/srebot");
    size_t without_policy = json_array_size(specs);
    json_decref(specs);

    json_t *policy = json_pack(
        "{s:{s:i,s:i},s:[{s:s,s:s,s:s,s:i,s:i,s:i},{s:s,s:s,s:s,s:i,s:i,s:i,s:b}],s:[]}",
        "thresholds", "disk_used_percent", 70, "host_clear_gap_percent", 10, "probes", "id", "db", "kind", "tcp", "target",
        "db.internal:5432", "interval_seconds", 30, "timeout_ms", 2000, "failure_threshold", 3,
        "id", "idp", "kind", "oidc", "target", "https://idp.example/realms/x",
        "interval_seconds", 60, "timeout_ms", 5000, "failure_threshold", 2, "enabled", 0,
        "log_sources");
    specs = sources_specs_from_policy(&cfg, policy);
    host = spec(specs, "host");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(host, "config"), "thresholds"),
                         "disk_used_percent")),
                     70);
    json_t *db = spec(specs, "db");
    assert_string_equal(json_string_value(json_object_get(db, "kind")), "tcp");
    assert_int_equal(json_integer_value(json_object_get(db, "interval_ms")), 30000);
    assert_true(json_is_true(json_object_get(db, "enabled")));
    assert_string_equal(json_string_value(json_object_get(json_object_get(db, "config"),
                                                          "target")),
                        "db.internal:5432");
    assert_false(json_is_true(json_object_get(spec(specs, "idp"), "enabled")));
    /* the default log detector stays (when the logfile kind is built in) */
    assert_int_equal(json_array_size(specs), without_policy + 2);
    json_decref(specs);
    json_decref(policy);
}

/* ---- the policy watcher: a new version is applied without a restart ---- */
static pthread_mutex_t pol_mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *pol_doc;
static int64_t pol_version;

static json_t *policy_source(void *ctx, int64_t known, int64_t *version)
{
    (void)ctx;
    pthread_mutex_lock(&pol_mu);
    json_t *d = pol_doc && pol_version != known ? json_deep_copy(pol_doc) : NULL;
    *version = pol_version;
    pthread_mutex_unlock(&pol_mu);
    return d;
}

static void set_policy(int64_t version, json_t *doc)
{
    pthread_mutex_lock(&pol_mu);
    json_decref(pol_doc);
    pol_doc = doc;
    pol_version = version;
    pthread_mutex_unlock(&pol_mu);
}

static int has_item(struct sources *src, const char *id)
{
    json_t *st = sources_status(src);
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(st, "items"), i, it) found |=
        strcmp(json_string_value(json_object_get(it, "id")), id) == 0;
    json_decref(st);
    return found;
}

static void test_policy_watcher(void **state)
{
    (void)state;
    unsigned port;
    int lfd = tcp_listen_any(&port);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    set_policy(1, json_pack("{s:[{s:s,s:s,s:s,s:i}]}", "probes", "id", "first", "kind", "tcp",
                            "target", target, "interval_seconds", 5));
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    struct sources_config cfg = {.no_host = 1, .policy_fn = policy_source, .policy_poll_ms = 30};
    char err[200];
    struct sources *src = NULL;
    assert_int_equal(sources_create(&cfg, &sink, &src, err, sizeof err), 0);
    assert_int_equal(sources_start(src, NULL, err, sizeof err), 0);
    assert_int_not_equal(sources_start(src, NULL, err, sizeof err), 0); /* once */
    assert_true(has_item(src, "first"));
    assert_false(has_item(src, "second"));
    set_policy(2, json_pack("{s:[{s:s,s:s,s:s,s:i}]}", "probes", "id", "second", "kind", "tcp",
                            "target", target, "interval_seconds", 5));
    int64_t deadline = time_mono_ms() + 30000;
    while (!has_item(src, "second") && time_mono_ms() < deadline)
        usleep(20 * 1000);
    assert_true(has_item(src, "second"));
    assert_false(has_item(src, "first"));
    assert_int_equal(sources_wait_cycles(src, 1, 30000), 0);
    sources_stop(src);
    json_t *st = sources_status(src); /* stopped: empty, not an error */
    assert_int_equal(json_array_size(json_object_get(st, "items")), 0);
    json_decref(st);
    sources_destroy(src);
    set_policy(0, NULL);
    close(lfd);
    capture_free(&cap);
}

int cmd_detect(int argc, char **argv);
/* The command table names serve_main, which lives in src/main.c (outside the library). */
int serve_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}

/* `srebot detect --once` in-process: a validated policy with a TCP probe to a
 * dead port delivers one firing outage finding with probe evidence. */
static void test_detect_once(void **state)
{
    (void)state;
    struct ingest in = {.got = json_array()};
    pthread_mutex_init(&in.mu, NULL);
    atomic_init(&in.fail_next, 1); /* the server hiccups once */
    atomic_init(&in.reject, 0);
    atomic_init(&in.bad_token, 0);
    struct mini_http m;
    assert_int_equal(mini_http_start(&m, ingest_handler, &in), 0);

    char dir[] = "/tmp/srebot-detect-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct policy_seed seed = {.posture = ENV_DEMO};
    json_t *pol = policy_defaults(&seed);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%u", tcp_dead_port());
    json_array_append_new(json_object_get(pol, "probes"),
                          json_pack("{s:s,s:s,s:s,s:i,s:i,s:i}", "id", "db", "kind", "tcp",
                                    "target", target, "interval_seconds", 30, "timeout_ms", 500,
                                    "failure_threshold", 1));
    /* the host source must stay quiet whatever this machine looks like */
    json_t *th = json_object_get(pol, "thresholds");
    json_object_set_new(th, "disk_used_percent", json_integer(100));
    json_object_set_new(th, "inode_used_percent", json_integer(100));
    json_object_set_new(th, "cpu_busy_percent", json_integer(100));
    json_object_set_new(th, "memory_used_percent", json_integer(100));
    struct problems pr;
    problems_init(&pr);
    if (policy_validate(pol, &pr) != 0)
        fail_msg("policy: %s %s", pr.items[0].path, pr.items[0].message);
    char pfile[96];
    snprintf(pfile, sizeof pfile, "%s/policy.json", dir);
    assert_int_equal(json_dump_file(pol, pfile, 0), 0);
    json_decref(pol);

    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", m.port);
    setenv("IF_SRE_TOKEN", "tok-ingest", 1);
    setenv("IF_SRE_DATA_DIR", dir, 1);
    char *argv[] = {"detect", "--once", "--server", url, "--policy", pfile, NULL};
    optind = 1;
    assert_int_equal(cmd_detect(6, argv), 0);
    unsetenv("IF_SRE_TOKEN");
    unsetenv("IF_SRE_DATA_DIR");

    pthread_mutex_lock(&in.mu);
    json_t *f = NULL;
    size_t i;
    json_t *x;
    json_array_foreach(in.got, i, x) if (strcmp(json_string_value(json_object_get(x, "source")),
                                                "db") == 0) f = x;
    assert_non_null(f);
    assert_string_equal(json_string_value(json_object_get(f, "class")),
                        "runtime_services.runtime_dependency_outage");
    assert_string_equal(json_string_value(json_object_get(f, "status")), "firing");
    json_t *ev = json_array_get(json_object_get(f, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "probe_result");
    pthread_mutex_unlock(&in.mu);

    /* a policy that does not validate stops it with exit code 2 */
    FILE *bad = fopen(pfile, "w");
    fputs("{\"probes\": 5}", bad);
    fclose(bad);
    optind = 1;
    assert_int_equal(cmd_detect(6, argv), 2);
    unlink(pfile);
    rmdir(dir);
    mini_http_stop(&m);
    json_decref(in.got);
    pthread_mutex_destroy(&in.mu);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry_order_and_drop),
        cmocka_unit_test(test_buffer_while_server_away),
        cmocka_unit_test(test_wrong_token_is_retried_not_dropped),
        cmocka_unit_test(test_specs_from_policy),
        cmocka_unit_test(test_detect_once),
        cmocka_unit_test(test_policy_watcher),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
