/* The shared HTTP client against real local servers (libmicrohttpd, plain and
 * TLS with a CA made here): methods and bodies, custom headers, timeouts, the
 * size limit, retries with backoff and Retry-After, streamed lines, TLS trust,
 * cancellation; and the pure helpers (backoff, Retry-After, challenges). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/client.h"
#include "util/metrics.h"
#include "util/timeutil.h"

/* ---- the test server ---- */

struct server {
    struct MHD_Daemon *d;
    unsigned port;
    atomic_int flaky_left;  /* /flaky answers 503 while > 0 */
    atomic_int requests;
};

struct upload {
    char *buf;
    size_t len;
};

static struct MHD_Response *text(const char *s)
{
    return MHD_create_response_from_buffer(strlen(s), (void *)s, MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, struct MHD_Response *r)
{
    enum MHD_Result res = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return res;
}

/* /stream: lines "line 0".."line 4" ("\r\n" after the odd ones), then "tail" with no newline */
static ssize_t stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    static const char body[] = "line 0\nline 1\r\nline 2\nline 3\r\nline 4\ntail";
    (void)cls;
    if (pos >= sizeof body - 1)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = 7; /* small chunks: lines cross chunk boundaries */
    if (n > sizeof body - 1 - pos)
        n = sizeof body - 1 - pos;
    if (n > max)
        n = max;
    memcpy(buf, body + pos, n);
    return (ssize_t)n;
}

static ssize_t long_line_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)cls;
    if (pos >= 100000)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max < 1000 ? max : 1000;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    (void)version;
    struct server *s = cls;
    struct upload *up = *con_cls;
    if (!up) {
        *con_cls = calloc(1, sizeof *up);
        return MHD_YES;
    }
    if (*size) {
        up->buf = realloc(up->buf, up->len + *size + 1);
        memcpy(up->buf + up->len, data, *size);
        up->len += *size;
        up->buf[up->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&s->requests, 1);
    if (strcmp(url, "/echo") == 0) {
        const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
        const char *x = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Test");
        const char *au = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        char out[2048];
        snprintf(out, sizeof out, "%s|%.*s|%s|%s|%s", method, (int)up->len,
                 up->buf ? up->buf : "", ct ? ct : "-", x ? x : "-", au ? au : "-");
        return reply(conn, 200, text(out));
    }
    if (strcmp(url, "/slow") == 0) {
        usleep(1500 * 1000);
        return reply(conn, 200, text("late"));
    }
    if (strcmp(url, "/big") == 0) {
        static char big[200000];
        memset(big, 'b', sizeof big);
        return reply(conn, 200,
                     MHD_create_response_from_buffer(sizeof big, big, MHD_RESPMEM_PERSISTENT));
    }
    if (strcmp(url, "/flaky") == 0) {
        if (atomic_fetch_sub(&s->flaky_left, 1) > 0) {
            struct MHD_Response *r = text("busy");
            MHD_add_response_header(r, "Retry-After", "1");
            return reply(conn, 503, r);
        }
        return reply(conn, 200, text("ok now"));
    }
    if (strcmp(url, "/flaky-nohint") == 0) {
        if (atomic_fetch_sub(&s->flaky_left, 1) > 0)
            return reply(conn, 502, text("bad gateway"));
        return reply(conn, 200, text("ok now"));
    }
    if (strcmp(url, "/slowdown") == 0) {
        struct MHD_Response *r = text("slow down");
        MHD_add_response_header(r, "Retry-After", "3600");
        return reply(conn, 429, r);
    }
    if (strcmp(url, "/notfound") == 0)
        return reply(conn, 404, text("no"));
    if (strcmp(url, "/stream") == 0)
        return reply(conn, 200,
                     MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, stream_cb, NULL, NULL));
    if (strcmp(url, "/longline") == 0)
        return reply(conn, 200, MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1000,
                                                                  long_line_cb, NULL, NULL));
    return reply(conn, 404, text("?"));
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
                 enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    struct upload *up = *con_cls;
    if (up) {
        free(up->buf);
        free(up);
    }
    *con_cls = NULL;
}

static int server_start(struct server *s, const char *key_pem, const char *cert_pem)
{
    memset(s, 0, sizeof *s);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG;
    if (key_pem)
        s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handle, s,
                                MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
                                MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT,
                                cert_pem, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &sa,
                                MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
    if (!s->d)
        return -1;
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static void server_stop(struct server *s)
{
    if (s->d)
        MHD_stop_daemon(s->d);
    s->d = NULL;
}

static struct server plain;
static struct net_client *client;
static struct metrics *reg;

static int setup(void **state)
{
    (void)state;
    char err[200];
    if (server_start(&plain, NULL, NULL) != 0)
        return -1;
    reg = metrics_create();
    struct net_client_config cfg = {.metrics = reg};
    return net_client_create(&cfg, &client, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    net_client_destroy(client);
    metrics_destroy(reg);
    server_stop(&plain);
    return 0;
}

/* The client's own counters (registering again returns the family). */
static double counted(const char *outcome)
{
    if (!outcome)
        return metric_value(metric_series0(metrics_counter(reg, "srebot_net_retries_total", "", NULL)));
    struct metric *m = metrics_counter(reg, "srebot_net_requests_total", "",
                                       (const char *[]){"outcome", NULL});
    return metric_value(metric_series_get(m, (const char *[]){outcome}));
}

static void url_of(char *out, size_t n, const char *scheme, unsigned port, const char *path)
{
    snprintf(out, n, "%s://127.0.0.1:%u%s", scheme, port, path);
}

/* ---- methods, bodies, headers ---- */

static void test_methods_and_headers(void **state)
{
    (void)state;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/echo");
    const char *methods[] = {"POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < 4; i++) {
        struct net_header h[] = {{"X-Test", "yes"}};
        struct net_request r = {.method = methods[i], .url = url, .body = "{\"a\":1}",
                                .body_len = 7, .headers = h, .nheaders = 1, .bearer = "tok123"};
        struct net_response a;
        assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
        assert_int_equal(a.status, 200);
        char want[256];
        snprintf(want, sizeof want, "%s|{\"a\":1}|application/json|yes|Bearer tok123", methods[i]);
        assert_string_equal(a.body, want);
        assert_int_equal(a.attempts, 1);
        net_response_free(&a);
    }
    struct net_request g = {.url = url};
    struct net_response a;
    assert_int_equal(net_request(client, &g, &a, err, sizeof err), 0);
    assert_string_equal(a.body, "GET||-|-|-");
    net_response_free(&a);

    /* a header value cannot smuggle in another header */
    struct net_header bad[] = {{"X-Test", "a\r\nX-Evil: 1"}};
    struct net_request b = {.url = url, .headers = bad, .nheaders = 1};
    assert_int_equal(net_request(client, &b, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "header"));
    struct net_request m = {.method = "TRACE", .url = url};
    assert_int_equal(net_request(client, &m, &a, err, sizeof err), -1);
}

/* ---- bounds ---- */

static void test_timeout(void **state)
{
    (void)state;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/slow");
    struct net_request r = {.url = url, .timeout_ms = 300};
    struct net_response a;
    int64_t t0 = time_mono_ms();
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), -1);
    int64_t took = time_mono_ms() - t0;
    assert_true(took >= 250);
    assert_true(took < 1400); /* the server answers at 1500 ms */
    assert_non_null(strcasestr(err, "timeout") ? err : strcasestr(err, "timed out"));
    assert_int_equal(a.status, 0);
}

static void test_size_limit(void **state)
{
    (void)state;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/big");
    struct net_request r = {.url = url, .max_body = 1000};
    struct net_response a;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.body_len, 1000);
    assert_true(a.truncated);
    net_response_free(&a);
    r.max_body = 300000;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.body_len, 200000);
    assert_false(a.truncated);
    net_response_free(&a);
}

/* ---- retries ---- */

static void test_retry_after_is_honoured(void **state)
{
    (void)state;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/flaky");
    atomic_store(&plain.flaky_left, 1);
    struct net_request r = {.url = url, .max_attempts = 3, .backoff_base_ms = 10};
    struct net_response a;
    double retries = counted(NULL), answers = counted("answer");
    int64_t t0 = time_mono_ms();
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    int64_t took = time_mono_ms() - t0;
    assert_int_equal(a.status, 200);
    assert_int_equal(a.attempts, 2);
    assert_string_equal(a.body, "ok now");
    assert_true(took >= 950); /* Retry-After: 1, not the 10 ms backoff */
    assert_int_equal(counted(NULL) - retries, 1);
    assert_int_equal(counted("answer") - answers, 1); /* one call, one outcome */
    net_response_free(&a);

    /* without retries the 503 is the answer */
    atomic_store(&plain.flaky_left, 1);
    r.max_attempts = 1;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 503);
    assert_string_equal(a.retry_after, "1");
    net_response_free(&a);
    atomic_store(&plain.flaky_left, 0);
}

static void test_retry_backoff_and_bounds(void **state)
{
    (void)state;
    char url[128], err[256];
    /* 502 without a hint: exponential backoff, then success */
    url_of(url, sizeof url, "http", plain.port, "/flaky-nohint");
    atomic_store(&plain.flaky_left, 2);
    struct net_request r = {.url = url, .max_attempts = 5, .backoff_base_ms = 50};
    struct net_response a;
    int64_t t0 = time_mono_ms();
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 200);
    assert_int_equal(a.attempts, 3);
    assert_true(time_mono_ms() - t0 >= 25 + 50); /* at least half of 50 + half of 100 */
    net_response_free(&a);

    /* bounded: attempts run out and the last answer stands */
    atomic_store(&plain.flaky_left, 100);
    r.max_attempts = 3;
    r.backoff_base_ms = 5;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 502);
    assert_int_equal(a.attempts, 3);
    net_response_free(&a);
    atomic_store(&plain.flaky_left, 0);

    /* a Retry-After beyond what we wait ends the retries at once */
    url_of(url, sizeof url, "http", plain.port, "/slowdown");
    struct net_request s = {.url = url, .max_attempts = 5};
    t0 = time_mono_ms();
    assert_int_equal(net_request(client, &s, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 429);
    assert_int_equal(a.attempts, 1);
    assert_true(time_mono_ms() - t0 < 2000);
    net_response_free(&a);

    /* 404 is not retried */
    url_of(url, sizeof url, "http", plain.port, "/notfound");
    int before = atomic_load(&plain.requests);
    struct net_request nf = {.url = url, .max_attempts = 5};
    assert_int_equal(net_request(client, &nf, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 404);
    assert_int_equal(atomic_load(&plain.requests) - before, 1);
    net_response_free(&a);

    /* connect refused is retried, then reported */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0); /* bound, not listening */
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    url_of(url, sizeof url, "http", ntohs(sa.sin_port), "/");
    struct net_request cr = {.url = url, .max_attempts = 3, .backoff_base_ms = 5};
    assert_int_equal(net_request(client, &cr, &a, err, sizeof err), -1);
    assert_int_equal(a.attempts, 3);
    close(fd);
}

/* ---- streaming ---- */

struct lines {
    char got[16][64];
    int n;
    int stop_after;
};

static int on_line(void *ud, const char *line, size_t len)
{
    struct lines *l = ud;
    assert_int_equal(strlen(line), len);
    if (l->n < 16)
        snprintf(l->got[l->n++], sizeof l->got[0], "%s", line);
    return l->stop_after && l->n >= l->stop_after;
}

static void test_stream_lines(void **state)
{
    (void)state;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/stream");
    struct lines l = {0};
    struct net_request r = {.url = url, .on_line = on_line, .line_ud = &l};
    struct net_response a;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 200);
    assert_int_equal(l.n, 6);
    assert_string_equal(l.got[0], "line 0");
    assert_string_equal(l.got[1], "line 1"); /* "\r\n" trimmed */
    assert_string_equal(l.got[4], "line 4");
    assert_string_equal(l.got[5], "tail");
    assert_null(a.body);
    net_response_free(&a);

    /* the reader may end it early; that is not an error */
    struct lines two = {.stop_after = 2};
    r.line_ud = &two;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(two.n, 2);
    net_response_free(&a);

    /* a line past the bound ends the transfer with an error */
    url_of(url, sizeof url, "http", plain.port, "/longline");
    struct lines none = {0};
    struct net_request lr = {.url = url, .on_line = on_line, .line_ud = &none, .max_line = 4096};
    assert_int_equal(net_request(client, &lr, &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "longer than 4096"));
    assert_int_equal(none.n, 0);
}

/* ---- cancellation ---- */

struct canceller {
    atomic_int flag;
};

static void *cancel_soon(void *arg)
{
    struct canceller *c = arg;
    usleep(200 * 1000);
    atomic_store(&c->flag, 1);
    return NULL;
}

static void test_cancel(void **state)
{
    (void)state;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/slow");
    struct canceller c;
    atomic_init(&c.flag, 0);
    struct net_request r = {.url = url, .timeout_ms = -1, .cancel = &c.flag};
    pthread_t t;
    pthread_create(&t, NULL, cancel_soon, &c);
    struct net_response a;
    double before = counted("cancelled");
    int64_t t0 = time_mono_ms();
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), -1);
    assert_true(time_mono_ms() - t0 < 1400);
    assert_string_equal(err, "cancelled");
    assert_int_equal(counted("cancelled") - before, 1);
    pthread_join(t, NULL);
}

/* ---- TLS with a test CA ---- */

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, int ca)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                            ca ? "critical,CA:TRUE" : "CA:FALSE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    if (!ca) {
        e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256());
    return x;
}

static char *pem_of(int (*write)(BIO *, void *), void *obj)
{
    BIO *b = BIO_new(BIO_s_mem());
    write(b, obj);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *out = strndup(p, (size_t)n);
    BIO_free(b);
    return out;
}

static int write_cert(BIO *b, void *x) { return PEM_write_bio_X509(b, x); }
static int write_key(BIO *b, void *k)
{
    return PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
}

static void test_tls_with_test_ca(void **state)
{
    (void)state;
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256");
    X509 *ca = make_cert(ca_key, "srebot test CA", NULL, NULL, 1);
    X509 *srv = make_cert(srv_key, "localhost", ca, ca_key, 0);
    char *ca_pem = pem_of(write_cert, ca), *srv_pem = pem_of(write_cert, srv);
    char *key_pem = pem_of(write_key, srv_key);
    char ca_file[] = "/tmp/srebot-test-ca-XXXXXX";
    int fd = mkstemp(ca_file);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, ca_pem, strlen(ca_pem)), (ssize_t)strlen(ca_pem));
    close(fd);

    struct server tls;
    assert_int_equal(server_start(&tls, key_pem, srv_pem), 0);
    char url[128], err[256];
    url_of(url, sizeof url, "https", tls.port, "/echo");
    struct net_response a;

    /* unknown issuer: refused (and not retried: it would fail the same way) */
    struct net_request r = {.url = url, .max_attempts = 3};
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), -1);
    assert_int_equal(a.attempts, 1);

    /* trusted through the test CA */
    r.tls.ca_file = ca_file;
    assert_int_equal(net_request(client, &r, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 200);
    assert_string_equal(a.body, "GET||-|-|-");
    net_response_free(&a);

    /* insecure only when asked */
    struct net_request ins = {.url = url, .tls.insecure = 1};
    assert_int_equal(net_request(client, &ins, &a, err, sizeof err), 0);
    assert_int_equal(a.status, 200);
    net_response_free(&a);

    /* a client certificate that cannot be loaded is an error, not a silent fallback */
    struct net_request mc = {.url = url, .tls.ca_file = ca_file,
                             .tls.client_cert = "/nonexistent/client.pem",
                             .tls.client_key = "/nonexistent/client.key"};
    assert_int_equal(net_request(client, &mc, &a, err, sizeof err), -1);

    server_stop(&tls);
    unlink(ca_file);
    free(ca_pem);
    free(srv_pem);
    free(key_pem);
    X509_free(ca);
    X509_free(srv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
}

/* ---- many threads, one client ---- */

static void *hammer(void *arg)
{
    (void)arg;
    char url[128], err[256];
    url_of(url, sizeof url, "http", plain.port, "/echo");
    for (int i = 0; i < 20; i++) {
        struct net_request r = {.method = "POST", .url = url, .body = "x", .body_len = 1};
        struct net_response a;
        if (net_request(client, &r, &a, err, sizeof err) != 0 || a.status != 200)
            return (void *)1;
        net_response_free(&a);
    }
    return NULL;
}

static void test_shared_across_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        assert_null(rv);
    }
}

/* ---- pure helpers ---- */

static void test_backoff(void **state)
{
    (void)state;
    for (uint64_t rnd = 0; rnd < 1000; rnd += 37) {
        unsigned w1 = net_backoff_ms(1, 100, 5000, rnd);
        unsigned w3 = net_backoff_ms(3, 100, 5000, rnd);
        unsigned w20 = net_backoff_ms(20, 100, 5000, rnd);
        assert_true(w1 >= 50 && w1 <= 100);
        assert_true(w3 >= 200 && w3 <= 400);
        assert_true(w20 >= 2500 && w20 <= 5000);
    }
    assert_true(net_backoff_ms(1, 100, 5000, 0) != net_backoff_ms(1, 100, 5000, 50));
}

static void test_retry_after_parse(void **state)
{
    (void)state;
    int64_t now = 1445412480000; /* Wed, 21 Oct 2015 07:28:00 GMT */
    assert_int_equal(net_retry_after_ms("120", now), 120000);
    assert_int_equal(net_retry_after_ms(" 0 ", now), 0);
    assert_int_equal(net_retry_after_ms("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000);
    assert_int_equal(net_retry_after_ms("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
    assert_int_equal(net_retry_after_ms("", now), -1);
    assert_int_equal(net_retry_after_ms("12abc", now), -1);
    assert_int_equal(net_retry_after_ms(NULL, now), -1);
    assert_true(net_retry_after_ms("99999999999999999999999", now) > 1000000000);
    assert_true(net_status_retryable(429) && net_status_retryable(503));
    assert_false(net_status_retryable(501) || net_status_retryable(404) ||
                 net_status_retryable(200));
}

static void test_challenge(void **state)
{
    (void)state;
    struct auth_challenge c;
    assert_int_equal(net_parse_challenge("Bearer realm=\"https://auth.example/token\","
                                         "service=\"registry.example\",scope=repo:x:pull",
                                         &c),
                     0);
    assert_string_equal(c.scheme, "Bearer");
    assert_string_equal(c.realm, "https://auth.example/token");
    assert_string_equal(c.service, "registry.example");
    assert_string_equal(c.scope, "repo:x:pull");
    assert_int_equal(net_parse_challenge("", &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_methods_and_headers),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_retry_after_is_honoured),
        cmocka_unit_test(test_retry_backoff_and_bounds),
        cmocka_unit_test(test_stream_lines),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_tls_with_test_ca),
        cmocka_unit_test(test_shared_across_threads),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_retry_after_parse),
        cmocka_unit_test(test_challenge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
