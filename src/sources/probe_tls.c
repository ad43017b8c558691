/* TLS probe: completes a handshake with the target ("host:port") within the
 * timeout and reads the server certificate's notAfter.
 *  - no handshake -> the probe's class (runtime_services.runtime_dependency_outage);
 *  - a certificate valid for fewer than min_cert_days (default 14) ->
 *    identity_security.tls_certificate_expiry (critical once expired), resolved
 *    when a renewed certificate shows up.
 * The chain is not required to verify (an expiring self-signed certificate still
 * deserves a warning); the verification result is part of the evidence.
 * Options: "min_cert_days":14, "server_name":"api.example.com" (SNI; default: the host). */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sources/netutil.h"
#include "sources/probe.h"
#include "sources/srcconf.h"
#include "util/timeutil.h"

#define CLASS_TLS_EXPIRY "identity_security.tls_certificate_expiry"

struct tls_opts {
    double min_days;
    char server_name[256];
    char host[256];
    char port[8];
    int expiry_firing;
    int expiry_unconfirmed; /* see probe.h: the first good reading is announced */
    int64_t expiry_fired_ms;
};

static int tls_prepare(struct probe *p, const json_t *cfg, void **opts, char *err, size_t errlen)
{
    struct tls_opts *o = calloc(1, sizeof *o);
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (net_split_hostport(p->target, o->host, sizeof o->host, o->port, sizeof o->port) != 0) {
        free(o);
        snprintf(err, errlen, "target: expected host:port");
        return -1;
    }
    o->min_days = srcconf_num(cfg, "min_cert_days", 14, 0, 3650);
    o->expiry_unconfirmed = 1;
    snprintf(o->server_name, sizeof o->server_name, "%s",
             srcconf_str(cfg, "server_name", o->host));
    *opts = o;
    return 0;
}

static void name_of(X509_NAME *n, char *out, size_t outlen)
{
    out[0] = '\0';
    if (n)
        X509_NAME_oneline(n, out, (int)outlen);
}

static void asn1_time_text(const ASN1_TIME *t, char *out, size_t outlen)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) == 1)
        strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(out, outlen, "unknown");
}

static void report_expiry(struct probe *p, struct tls_opts *o, double days_left, json_t *data,
                          int64_t now_ms, const struct finding_sink *sink)
{
    int was = o->expiry_firing;
    int up = days_left < o->min_days;
    o->expiry_firing = up;
    int announce = o->expiry_unconfirmed && !up;
    o->expiry_unconfirmed = 0;
    if (!((up && (!was || now_ms - o->expiry_fired_ms >= p->refire_ms)) || (was && !up) ||
          announce)) {
        json_decref(data);
        return;
    }
    if (up)
        o->expiry_fired_ms = now_ms;
    char key[600], summary[512];
    snprintf(key, sizeof key, "tls_expiry:%s", p->target);
    if (!up)
        snprintf(summary, sizeof summary, "certificate of %.300s %s: %.1f days left", p->target,
                 announce ? "valid" : "renewed", days_left);
    else if (days_left <= 0)
        snprintf(summary, sizeof summary, "certificate of %.300s expired %.1f days ago", p->target,
                 -days_left);
    else
        snprintf(summary, sizeof summary, "certificate of %.300s expires in %.1f days (minimum %.0f)",
                 p->target, days_left, o->min_days);
    probe_emit(p, sink, CLASS_TLS_EXPIRY, key,
               !up ? "info" : days_left <= 0 ? "critical" : days_left < 3 ? "high" : "warning",
               up, summary, data, now_ms);
}

static void tls_check(struct probe *p, struct probe_result *r, int64_t now_ms,
                      const struct finding_sink *sink)
{
    struct tls_opts *o = p->opts;
    char err[200] = "";
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    X509 *cert = NULL;
    uint64_t t0 = time_mono_ns();
    int fd = net_connect(p->deps->resolver, o->host, o->port, p->timeout_ms, err, sizeof err);
    if (fd < 0) {
        snprintf(r->detail, sizeof r->detail, "%s", err);
        goto out;
    }
    /* The handshake gets what is left of the timeout, via socket timeouts. */
    int64_t left = p->timeout_ms - (int64_t)((time_mono_ns() - t0) / 1000000);
    if (left < 1)
        left = 1;
    struct timeval tv = {(time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000)};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(r->detail, sizeof r->detail, "TLS context failed");
        goto out;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_default_verify_paths(ctx);
    ssl = SSL_new(ctx);
    if (!ssl) {
        snprintf(r->detail, sizeof r->detail, "TLS session failed");
        goto out;
    }
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, o->server_name);
    ERR_clear_error();
    if (SSL_connect(ssl) != 1) {
        unsigned long e = ERR_get_error();
        char ebuf[160] = "connection closed or timed out";
        if (e)
            ERR_error_string_n(e, ebuf, sizeof ebuf);
        snprintf(r->detail, sizeof r->detail, "TLS handshake with %.100s failed: %.160s", p->target,
                 ebuf);
        ERR_clear_error();
        goto out;
    }
    double ms = (double)(time_mono_ns() - t0) / 1e6;
    json_object_set_new(r->data, "latency_ms", json_real(ms));
    json_object_set_new(r->data, "protocol", json_string(SSL_get_version(ssl)));
    cert = SSL_get1_peer_certificate(ssl);
    if (!cert) {
        snprintf(r->detail, sizeof r->detail, "no server certificate");
        goto out;
    }
    ASN1_TIME *now = ASN1_TIME_set(NULL, (time_t)(now_ms / 1000));
    int days = 0, secs = 0;
    int diff_ok = now && ASN1_TIME_diff(&days, &secs, now, X509_get0_notAfter(cert)) == 1;
    ASN1_TIME_free(now);
    if (!diff_ok) {
        snprintf(r->detail, sizeof r->detail, "unreadable certificate notAfter");
        goto out;
    }
    double days_left = days + secs / 86400.0;
    char subject[256], issuer[256], not_after[32];
    name_of(X509_get_subject_name(cert), subject, sizeof subject);
    name_of(X509_get_issuer_name(cert), issuer, sizeof issuer);
    asn1_time_text(X509_get0_notAfter(cert), not_after, sizeof not_after);
    long vr = SSL_get_verify_result(ssl);
    json_t *cert_data = json_pack("{s:s,s:s,s:s,s:s,s:f,s:f,s:s}", "target", p->target,
                                  "subject", subject, "issuer", issuer, "not_after", not_after,
                                  "days_left", days_left, "min_cert_days", o->min_days,
                                  "verify_result", X509_verify_cert_error_string(vr));
    json_object_set_new(r->data, "certificate", json_deep_copy(cert_data)); /* no sharing */
    report_expiry(p, o, days_left, cert_data, now_ms, sink);
    r->ok = 1;
    snprintf(r->detail, sizeof r->detail, "handshake in %.1f ms, certificate valid %.1f more days",
             ms, days_left);
out:
    X509_free(cert);
    SSL_free(ssl); /* no close_notify: a probe needs no clean shutdown, and a write
                    * to a peer that already left could raise SIGPIPE */
    SSL_CTX_free(ctx);
    if (fd >= 0)
        close(fd);
}

static const struct probe_kind tls_kind = {
    .kind = "tls",
    .default_class = "runtime_services.runtime_dependency_outage",
    .prepare = tls_prepare,
    .check = tls_check,
    .free_opts = free,
};

PROBE_SOURCE_OPS(source_probe_tls, tls_kind, "tls", "TLS handshake and certificate expiry");
