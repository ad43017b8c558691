#include "sources/httpget.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEFAULT_MAX_BODY (64 * 1024)

struct acc {
    struct http_answer *a;
    size_t max;
    size_t cap;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct acc *acc = ud;
    size_t n = size * nmemb;
    size_t room = acc->max - acc->a->body_len;
    size_t take = n < room ? n : room;
    if (take < n)
        acc->a->truncated = 1;
    if (take) {
        if (acc->a->body_len + take + 1 > acc->cap) {
            size_t nc = acc->cap ? acc->cap * 2 : 4096;
            while (nc < acc->a->body_len + take + 1)
                nc *= 2;
            char *nb = realloc(acc->a->body, nc);
            if (!nb)
                return 0; /* aborts the transfer */
            acc->a->body = nb;
            acc->cap = nc;
        }
        memcpy(acc->a->body + acc->a->body_len, ptr, take);
        acc->a->body_len += take;
        acc->a->body[acc->a->body_len] = '\0';
    }
    return n; /* keep reading (discarding) so the status line is not an error */
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

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct http_answer *a = ud;
    size_t n = size * nitems;
    static const char wa[] = "www-authenticate:";
    static const char ct[] = "content-type:";
    if (n > sizeof wa - 1 && strncasecmp(buf, wa, sizeof wa - 1) == 0 && !a->www_authenticate[0])
        copy_header_value(buf, n, sizeof wa - 1, a->www_authenticate, sizeof a->www_authenticate);
    else if (n > sizeof ct - 1 && strncasecmp(buf, ct, sizeof ct - 1) == 0)
        copy_header_value(buf, n, sizeof ct - 1, a->content_type, sizeof a->content_type);
    return n;
}

int http_call(const struct http_call *c, struct http_answer *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "curl init failed");
        return -1;
    }
    int rc = -1;
    struct curl_slist *hdrs = NULL;
    struct acc acc = {a, c->max_body ? c->max_body : HTTP_DEFAULT_MAX_BODY, 0};
    char errbuf[CURL_ERROR_SIZE] = "";
    char auth[4400]; /* registry tokens (JWTs) run to a few KiB */

    curl_easy_setopt(h, CURLOPT_URL, c->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(c->timeout_ms > 0 ? c->timeout_ms : 5000));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(c->timeout_ms > 0 ? c->timeout_ms : 5000));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "srebot/" SREBOT_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &acc);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", c->bearer);
        hdrs = curl_slist_append(hdrs, auth);
    } else if (c->basic_user && c->basic_pass) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->basic_pass);
    }
    if (c->method && strcmp(c->method, "POST") == 0) {
        char ctype[160];
        snprintf(ctype, sizeof ctype, "Content-Type: %s",
                 c->content_type ? c->content_type : "application/json");
        hdrs = curl_slist_append(hdrs, ctype);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body_len);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    CURLcode cc = curl_easy_perform(h);
    double t = 0;
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &t);
    a->total_ms = t * 1000.0;
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
    rc = 0;
out:
    /* Wipe the Authorization line: it may hold a credential. */
    memset(auth, 0, sizeof auth);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (rc != 0)
        http_answer_free(a);
    return rc;
}

void http_answer_free(struct http_answer *a)
{
    free(a->body);
    a->body = NULL;
    a->body_len = 0;
}

/* Copies a token or quoted-string value at *p into out (bounded); advances *p. */
static void read_param_value(const char **p, char *out, size_t outlen)
{
    const char *s = *p;
    size_t o = 0;
    if (*s == '"') {
        s++;
        while (*s && *s != '"') {
            if (*s == '\\' && s[1])
                s++;
            if (o + 1 < outlen)
                out[o++] = *s;
            s++;
        }
        if (*s == '"')
            s++;
    } else {
        while (*s && *s != ',' && *s != ' ' && *s != '\t') {
            if (o + 1 < outlen)
                out[o++] = *s;
            s++;
        }
    }
    out[o] = '\0';
    *p = s;
}

int http_parse_challenge(const char *header, struct auth_challenge *out)
{
    memset(out, 0, sizeof *out);
    const char *p = header;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = 0;
    while (n < sizeof out->scheme - 1 && isalpha((unsigned char)p[n]))
        n++;
    if (n == 0 || (p[n] && p[n] != ' ' && p[n] != '\t'))
        return -1;
    memcpy(out->scheme, p, n);
    p += n;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ',' && *p != ' ')
            p++;
        size_t nl = (size_t)(p - name);
        if (*p != '=') {
            while (*p && *p != ',')
                p++;
            continue;
        }
        p++;
        char tmp[256];
        read_param_value(&p, tmp, sizeof tmp);
        if (nl == 5 && strncasecmp(name, "realm", 5) == 0)
            snprintf(out->realm, sizeof out->realm, "%s", tmp);
        else if (nl == 7 && strncasecmp(name, "service", 7) == 0)
            snprintf(out->service, sizeof out->service, "%.127s", tmp);
        else if (nl == 5 && strncasecmp(name, "scope", 5) == 0)
            snprintf(out->scope, sizeof out->scope, "%s", tmp);
    }
    return 0;
}
