/* Test fixtures for source tests: a capturing finding sink, a programmable HTTP
 * server (libmicrohttpd on a free loopback port), a TLS server presenting a
 * certificate generated here with a chosen lifetime, and a TCP listener.
 * Header-only: include it from one test file. */
#ifndef SREBOT_TESTS_SRCFIX_H
#define SREBOT_TESTS_SRCFIX_H

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sources/source.h"

/* ---- capture sink ---- */
struct capture {
    pthread_mutex_t mu;
    json_t *items;
};
static inline void capture_emit(void *ctx, json_t *f)
{
    struct capture *c = ctx;
    pthread_mutex_lock(&c->mu);
    json_array_append_new(c->items, f);
    pthread_mutex_unlock(&c->mu);
}
static inline void capture_init(struct capture *c, struct finding_sink *sink)
{
    pthread_mutex_init(&c->mu, NULL);
    c->items = json_array();
    sink->emit = capture_emit;
    sink->ctx = c;
}
static inline size_t capture_count(struct capture *c)
{
    pthread_mutex_lock(&c->mu);
    size_t n = json_array_size(c->items);
    pthread_mutex_unlock(&c->mu);
    return n;
}
/* Takes (and clears) what was captured. */
static inline json_t *capture_take(struct capture *c)
{
    pthread_mutex_lock(&c->mu);
    json_t *a = c->items;
    c->items = json_array();
    pthread_mutex_unlock(&c->mu);
    return a;
}
static inline void capture_free(struct capture *c)
{
    json_decref(c->items);
    pthread_mutex_destroy(&c->mu);
}

/* ---- programmable HTTP server ---- */
struct mini_req {
    const char *method, *url, *authorization, *query;
    const char *body;
    size_t body_len;
    struct MHD_Connection *conn; /* for other headers (MHD_lookup_connection_value) */
};
struct mini_reply {
    int status;
    char body[8192];
    char header_name[64], header_value[512];
};
typedef void (*mini_handler)(void *ctx, const struct mini_req *req, struct mini_reply *rep);

struct mini_http {
    struct MHD_Daemon *d;
    unsigned port;
    mini_handler fn;
    void *ctx;
    atomic_int requests;
};

struct mini_conn {
    char *buf;
    size_t len;
};

static inline enum MHD_Result mini_answer(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version,
                                   const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct mini_http *m = cls;
    struct mini_conn *mc = *con_cls;
    if (!mc) {
        mc = calloc(1, sizeof *mc);
        *con_cls = mc;
        return MHD_YES;
    }
    if (*upload_size) {
        char *nb = realloc(mc->buf, mc->len + *upload_size + 1);
        if (!nb)
            return MHD_NO;
        mc->buf = nb;
        memcpy(mc->buf + mc->len, upload_data, *upload_size);
        mc->len += *upload_size;
        mc->buf[mc->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    atomic_fetch_add(&m->requests, 1);
    struct mini_req rq = {method, url,
                          MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
                          NULL, mc->buf, mc->len, conn};
    static char query[512];
    query[0] = '\0';
    const char *svc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
    const char *scope = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "scope");
    snprintf(query, sizeof query, "service=%s&scope=%s", svc ? svc : "", scope ? scope : "");
    rq.query = query;
    struct mini_reply *rep = calloc(1, sizeof *rep);
    rep->status = 404;
    m->fn(m->ctx, &rq, rep);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(rep->body), rep->body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (rep->header_name[0])
        MHD_add_response_header(r, rep->header_name, rep->header_value);
    enum MHD_Result res = MHD_queue_response(conn, (unsigned)rep->status, r);
    MHD_destroy_response(r);
    free(rep);
    return res;
}

static inline void mini_done(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    struct mini_conn *mc = *con_cls;
    if (mc) {
        free(mc->buf);
        free(mc);
    }
    *con_cls = NULL;
}

static inline int mini_http_start(struct mini_http *m, mini_handler fn, void *ctx)
{
    m->fn = fn;
    m->ctx = ctx;
    atomic_init(&m->requests, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            mini_answer, m, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, mini_done, NULL, MHD_OPTION_END);
    if (!m->d)
        return -1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    m->port = di ? di->port : 0;
    return m->port ? 0 : -1;
}

static inline void mini_http_stop(struct mini_http *m)
{
    if (m->d)
        MHD_stop_daemon(m->d);
    m->d = NULL;
}

/* ---- TCP listener ---- */
/* Binds 127.0.0.1 on a free port and listens (the kernel completes handshakes
 * from the backlog; nobody needs to accept). Returns the fd; *port set. */
static inline int tcp_listen_any(unsigned *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
        close(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A port that refuses connections: bound but not listening, and kept bound (in
 * *held, or until the process exits when held is NULL) so that nothing else
 * running in parallel (other tests' daemons) can take it meanwhile. */
static inline unsigned tcp_refusing_port(int *held)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return 0;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    if (held)
        *held = fd;
    return ntohs(sa.sin_port);
}
static inline unsigned tcp_dead_port(void) { return tcp_refusing_port(NULL); }

/* ---- TLS server with a generated certificate ---- */
struct tls_server {
    int lfd;
    unsigned port;
    SSL_CTX *ctx;
    pthread_t thr;
    atomic_int stop;
    atomic_int handshakes;
    int running;
};

/* A self-signed EC certificate for CN=localhost valid from now-1d to now+days. */
static inline int tls_make_cert(double days, EVP_PKEY **key_out, X509 **cert_out)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    if (!key || !x)
        return -1;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 4242);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), (long)(days * 86400));
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1,
                               0);
    X509_set_issuer_name(x, n);
    if (!X509_sign(x, key, EVP_sha256()))
        return -1;
    *key_out = key;
    *cert_out = x;
    return 0;
}

static inline void *tls_server_main(void *arg)
{
    struct tls_server *t = arg;
    while (!atomic_load(&t->stop)) {
        struct pollfd p = {t->lfd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(t->lfd, NULL, NULL);
        if (c < 0)
            continue;
        /* Only a guard against a client that never closes: under load the
         * client can be descheduled for seconds mid-handshake, and a handshake
         * timed out here would not be counted although the client completed it. */
        struct timeval tv = {30, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        SSL *s = SSL_new(t->ctx);
        SSL_set_fd(s, c);
        if (SSL_accept(s) == 1) {
            atomic_fetch_add(&t->handshakes, 1);
            char b[16];
            SSL_read(s, b, sizeof b); /* until the client closes */
        }
        SSL_free(s);
        close(c);
    }
    return NULL;
}

static inline int tls_server_start(struct tls_server *t, double days)
{
    memset(t, 0, sizeof *t);
    EVP_PKEY *key;
    X509 *cert;
    if (tls_make_cert(days, &key, &cert) != 0)
        return -1;
    t->ctx = SSL_CTX_new(TLS_server_method());
    /* No TLS 1.3 session tickets: they are written after the client's Finished,
     * when a probe may already have closed, and a failed write would fail
     * SSL_accept (the handshake would go uncounted) although the client saw a
     * complete handshake. */
    SSL_CTX_set_num_tickets(t->ctx, 0);
    SSL_CTX_use_certificate(t->ctx, cert);
    SSL_CTX_use_PrivateKey(t->ctx, key);
    X509_free(cert);
    EVP_PKEY_free(key);
    t->lfd = tcp_listen_any(&t->port);
    if (t->lfd < 0)
        return -1;
    if (pthread_create(&t->thr, NULL, tls_server_main, t) != 0)
        return -1;
    t->running = 1;
    return 0;
}

/* Idempotent, so a test's teardown can call it after a failed assertion. */
static inline void tls_server_stop(struct tls_server *t)
{
    if (!t->running)
        return;
    atomic_store(&t->stop, 1);
    pthread_join(t->thr, NULL);
    close(t->lfd);
    SSL_CTX_free(t->ctx);
    t->running = 0;
}

/* Waits up to deadline_ms for at least n completed server handshakes. */
static inline int tls_server_wait_handshakes(struct tls_server *t, int n, int deadline_ms)
{
    for (int waited = 0; atomic_load(&t->handshakes) < n && waited < deadline_ms; waited += 10)
        usleep(10 * 1000);
    return atomic_load(&t->handshakes) >= n;
}

#endif
