/* One attempt of a request: the easy handle's options and its callbacks
 * (bounded body, bounded lines, the few response headers callers read). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/transfer_int.h"

static int is_2xx(CURL *easy)
{
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    return code >= 200 && code < 300;
}

static int keep_body(struct transfer *t, const char *p, size_t n)
{
    struct net_response *a = t->resp;
    size_t room = t->max_body - a->body_len;
    size_t take = n < room ? n : room;
    if (take) {
        if (a->body_len + take + 1 > t->body_cap) {
            size_t nc = t->body_cap ? t->body_cap * 2 : 4096;
            while (nc < a->body_len + take + 1)
                nc *= 2;
            char *nb = realloc(a->body, nc);
            if (!nb)
                return -1;
            a->body = nb;
            t->body_cap = nc;
        }
        memcpy(a->body + a->body_len, p, take);
        a->body_len += take;
        a->body[a->body_len] = '\0';
    }
    if (take < n) {
        a->truncated = 1;
        t->aborted_full = 1;
        return -1; /* the status is known; reading on only costs time */
    }
    return 0;
}

static int deliver_line(struct transfer *t)
{
    size_t n = t->line_len;
    if (n && t->line[n - 1] == '\r')
        n--;
    t->line[n] = '\0';
    t->line_len = 0;
    t->lines++;
    if (t->req->on_line(t->req->line_ud, t->line, n)) {
        t->aborted_by_reader = 1;
        return -1;
    }
    return 0;
}

static int stream_lines(struct transfer *t, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            if (deliver_line(t))
                return -1;
            continue;
        }
        if (t->line_len >= t->max_line) {
            t->line_too_long = 1;
            return -1;
        }
        t->line[t->line_len++] = p[i];
    }
    return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct transfer *t = ud;
    size_t n = size * nmemb;
    int rc = t->req->on_line && t->line && is_2xx(t->easy) ? stream_lines(t, ptr, n)
                                                           : keep_body(t, ptr, n);
    return rc ? 0 : n; /* 0 ends the transfer (CURLE_WRITE_ERROR) */
}

static void copy_header_value(const char *line, size_t n, size_t namelen, char *out,
                              size_t outlen)
{
    const char *v = line + namelen;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t l = (size_t)(end - v);
    if (l >= outlen)
        l = outlen - 1;
    memcpy(out, v, l);
    out[l] = '\0';
}

static int header_is(const char *buf, size_t n, const char *name, size_t namelen)
{
    return n > namelen && strncasecmp(buf, name, namelen) == 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct net_response *a = ud;
    size_t n = size * nitems;
#define HDR(lit, field)                                                                     \
    else if (header_is(buf, n, lit, sizeof lit - 1))                                        \
        copy_header_value(buf, n, sizeof lit - 1, a->field, sizeof a->field)
    if (header_is(buf, n, "www-authenticate:", 17)) {
        if (!a->www_authenticate[0])
            copy_header_value(buf, n, 17, a->www_authenticate, sizeof a->www_authenticate);
    }
    HDR("content-type:", content_type);
    HDR("retry-after:", retry_after);
    HDR("location:", location);
    HDR("etag:", etag);
#undef HDR
    return n;
}

static int method_ok(const char *m)
{
    static const char *const known[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(m, known[i]) == 0)
            return 1;
    return 0;
}

/* A header line we build must not smuggle another one in. */
static int header_text_ok(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

static int add_header(struct transfer *t, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = malloc(n);
    if (!line)
        return -1;
    snprintf(line, n, "%s: %s", name, value);
    struct curl_slist *h = curl_slist_append(t->headers, line);
    memset(line, 0, n);
    free(line);
    if (!h)
        return -1;
    t->headers = h;
    return 0;
}

static int set_method_and_body(struct transfer *t, const struct net_request *r, const char *m)
{
    CURL *h = t->easy;
    int has_body = r->body != NULL || strcmp(m, "POST") == 0;
    if (strcmp(m, "HEAD") == 0)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
    if (!has_body || strcmp(m, "HEAD") == 0 || strcmp(m, "GET") == 0)
        return 0;
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->body ? r->body_len : 0));
    return add_header(t, "Content-Type", r->content_type ? r->content_type : "application/json");
}

static int set_auth_and_headers(struct transfer *t, const struct net_request *r, char *err,
                                size_t errlen)
{
    if (r->nheaders > NET_MAX_HEADERS) {
        snprintf(err, errlen, "more than %d request headers", NET_MAX_HEADERS);
        return -1;
    }
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct net_header *hd = &r->headers[i];
        if (!header_text_ok(hd->name) || !hd->name[0] || strchr(hd->name, ':') ||
            !header_text_ok(hd->value)) {
            snprintf(err, errlen, "request header %zu is not a valid header line", i);
            return -1;
        }
        if (add_header(t, hd->name, hd->value)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    if (r->bearer) {
        size_t n = strlen(r->bearer) + sizeof "Bearer ";
        char *value = header_text_ok(r->bearer) ? malloc(n) : NULL;
        int rc = -1;
        if (value) {
            snprintf(value, n, "Bearer %s", r->bearer);
            rc = add_header(t, "Authorization", value);
            memset(value, 0, n);
            free(value);
        }
        if (rc) {
            snprintf(err, errlen, "the bearer token is not a valid header value");
            return -1;
        }
    } else if (r->basic_user && r->basic_pass) {
        curl_easy_setopt(t->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(t->easy, CURLOPT_USERNAME, r->basic_user);
        curl_easy_setopt(t->easy, CURLOPT_PASSWORD, r->basic_pass);
    }
    struct curl_slist *h = curl_slist_append(t->headers, "Expect:");
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    t->headers = h;
    curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
    return 0;
}

int transfer_setup(struct transfer *t, const struct net_request *r, struct net_response *resp,
                   const char *user_agent, CURLSH *share, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->req = r;
    t->resp = resp;
    t->max_body = r->max_body ? r->max_body : NET_DEFAULT_MAX_BODY;
    const char *m = r->method ? r->method : "GET";
    if (!r->url || !method_ok(m)) {
        snprintf(err, errlen, "%s", r->url ? "unsupported method" : "no url");
        return -1;
    }
    if (r->on_line) {
        t->max_line = r->max_line ? r->max_line : NET_DEFAULT_MAX_LINE;
        t->line = malloc(t->max_line + 1);
    }
    t->easy = curl_easy_init();
    if (!t->easy || (r->on_line && !t->line)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    CURL *h = t->easy;
    long total = r->timeout_ms < 0 ? 0 : (r->timeout_ms ? r->timeout_ms : NET_DEFAULT_TIMEOUT_MS);
    long connect = r->connect_timeout_ms > 0 ? r->connect_timeout_ms
                                             : (total ? total : NET_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_SHARE, share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t->errbuf);
    if (r->tls.ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, r->tls.ca_file);
    if (r->tls.client_cert)
        curl_easy_setopt(h, CURLOPT_SSLCERT, r->tls.client_cert);
    if (r->tls.client_key)
        curl_easy_setopt(h, CURLOPT_SSLKEY, r->tls.client_key);
    /* inline PEMs: copied by curl (CURL_BLOB_COPY), so the caller may free them */
    if (r->tls.ca_pem) {
        struct curl_blob b = {(void *)r->tls.ca_pem, strlen(r->tls.ca_pem), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
    }
    if (r->tls.client_cert_pem) {
        struct curl_blob b = {(void *)r->tls.client_cert_pem, strlen(r->tls.client_cert_pem),
                              CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (r->tls.client_key_pem) {
        struct curl_blob b = {(void *)r->tls.client_key_pem, strlen(r->tls.client_key_pem),
                              CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
    if (r->tls.insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (set_method_and_body(t, r, m) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return set_auth_and_headers(t, r, err, errlen);
}

int transfer_finish(struct transfer *t, CURLcode cc, char *err, size_t errlen)
{
    struct net_response *a = t->resp;
    curl_off_t us = 0;
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &us);
    a->total_ms = (double)us / 1000.0;
    if (t->line_too_long) {
        snprintf(err, errlen, "a streamed line is longer than %zu bytes", t->max_line);
        return -1;
    }
    int ours = cc == CURLE_WRITE_ERROR && (t->aborted_full || t->aborted_by_reader);
    if (cc != CURLE_OK && !ours) {
        snprintf(err, errlen, "%s", t->errbuf[0] ? t->errbuf : curl_easy_strerror(cc));
        return -1;
    }
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &a->status);
    if (cc == CURLE_OK && t->line && t->line_len && is_2xx(t->easy))
        deliver_line(t); /* the last line had no "\n" */
    return 0;
}

void transfer_cleanup(struct transfer *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    for (struct curl_slist *h = t->headers; h; h = h->next)
        if (h->data)
            memset(h->data, 0, strlen(h->data));
    curl_slist_free_all(t->headers);
    if (t->line) {
        memset(t->line, 0, t->max_line + 1);
        free(t->line);
    }
    memset(t, 0, sizeof *t);
}
