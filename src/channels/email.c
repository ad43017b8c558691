/* The e-mail provider: one message per notification over SMTP (libcurl),
 * STARTTLS required when settings.starttls (or implicit TLS with smtps://),
 * plain text + HTML as multipart/alternative (both base64, so any line length
 * and any UTF-8 pass unchanged).
 *
 * Threads: the Message-ID of an incident's first mail is its thread_ref; later
 * mails of the incident carry In-Reply-To / References with it, so mail
 * clients show one conversation per incident.
 *
 * Outcomes: sent -> OK; no connection, timeouts and 4xx answers -> RETRY;
 * 5xx answers (recipient or sender refused), a refused login, or a server
 * that will not do TLS when it is required -> ERROR (the worker fails over).
 * The password is a secret_ref, resolved per send and wiped after use. */
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/channel.h"
#include "channels/template.h"
#include "core/secret_ref.h"
#include "util/crypto.h"
#include "util/timeutil.h"

#define EMAIL_MAX_TO 64
#define EMAIL_SECRET_MAX 512
#define EMAIL_TIMEOUT_MS 30000

struct email {
    const char *file_roots;
    char url[512];
    char from[256];
    char to[EMAIL_MAX_TO][256];
    size_t nto;
    char username[256];
    json_t *password_ref; /* NULL: no login */
    int starttls;
    char ca_file[512];
};

static int email_init(const json_t *settings, void *deps, void **instance, char *err,
                      size_t errlen)
{
    const struct channel_deps *d = deps;
    const char *url = json_string_value(json_object_get(settings, "smtp_url"));
    const char *from = json_string_value(json_object_get(settings, "from"));
    const json_t *to = json_object_get(settings, "to");
    if (!url || !from || !json_is_array(to) || json_array_size(to) == 0 ||
        json_array_size(to) > EMAIL_MAX_TO) {
        snprintf(err, errlen, "email: smtp_url, from and to (1-%d) are required", EMAIL_MAX_TO);
        return -1;
    }
    struct email *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "email: out of memory");
        return -1;
    }
    e->file_roots = d ? d->file_roots : NULL;
    snprintf(e->url, sizeof e->url, "%s", url);
    snprintf(e->from, sizeof e->from, "%s", from);
    size_t i;
    const json_t *v;
    json_array_foreach(to, i, v) {
        if (json_is_string(v))
            snprintf(e->to[e->nto++], sizeof e->to[0], "%s", json_string_value(v));
    }
    const char *user = json_string_value(json_object_get(settings, "username"));
    snprintf(e->username, sizeof e->username, "%s", user ? user : "");
    e->password_ref = json_incref(json_object_get(settings, "password"));
    e->starttls = json_is_true(json_object_get(settings, "starttls"));
    const char *ca = json_string_value(json_object_get(settings, "ca_file"));
    snprintf(e->ca_file, sizeof e->ca_file, "%s", ca ? ca : "");
    *instance = e;
    return 0;
}

/* ---- the message ---- */

struct buf {
    char *p;
    size_t len, cap, off;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (!b->p && b->cap)
        return; /* an earlier allocation failed */
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            free(b->p);
            b->p = NULL;
            b->cap = 1;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void putf(struct buf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* base64 in lines of 76 characters (RFC 2045). */
static void put_base64(struct buf *b, const char *s, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[80];
    size_t ll = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        line[ll++] = tbl[(v >> 18) & 63];
        line[ll++] = tbl[(v >> 12) & 63];
        line[ll++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        line[ll++] = i + 2 < n ? tbl[v & 63] : '=';
        if (ll == 76 || i + 3 >= n) {
            put(b, line, ll);
            put(b, "\r\n", 2);
            ll = 0;
        }
    }
}

/* A header value: as is when printable ASCII, else RFC 2047 base64 words. */
static void put_header_text(struct buf *b, const char *s)
{
    int plain = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            plain = 0;
    if (plain) {
        put(b, s, strlen(s));
        return;
    }
    struct buf enc = {0};
    put_base64(&enc, s, strlen(s));
    put(b, "=?UTF-8?B?", 10);
    for (size_t i = 0; enc.p && i < enc.len; i++)
        if (enc.p[i] != '\r' && enc.p[i] != '\n')
            put(b, &enc.p[i], 1);
    put(b, "?=", 2);
    free(enc.p);
}

static void put_html_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': put(b, "&lt;", 4); break;
        case '>': put(b, "&gt;", 4); break;
        case '&': put(b, "&amp;", 5); break;
        case '"': put(b, "&quot;", 6); break;
        case '\n': put(b, "<br>\n", 5); break;
        default: put(b, s, 1);
        }
    }
}

static void html_body(struct buf *h, const struct channel_message *m)
{
    put(h, "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">\n<h2>", 63);
    put_html_escaped(h, m->title ? m->title : "");
    put(h, "</h2>\n<p>", 9);
    put_html_escaped(h, m->text ? m->text : "");
    put(h, "</p>\n", 5);
    if (m->link) {
        put(h, "<p><a href=\"", 12);
        put_html_escaped(h, m->link);
        put(h, "\">Open in the console</a></p>\n", 30);
    }
    put(h, "</body></html>\n", 15);
}

/* Builds the whole message (headers, both parts) into b. */
static void compose(const struct email *e, const struct channel_message *m, const char *msgid,
                    struct buf *b)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    char boundary[48];
    snprintf(boundary, sizeof boundary, "=_srebot_%lld_%lld", (long long)m->notification_id,
             (long long)now);
    putf(b, "Date: %s\r\nFrom: %s\r\nTo: ", date, e->from);
    for (size_t i = 0; i < e->nto; i++)
        putf(b, "%s%s", i ? ", " : "", e->to[i]);
    put(b, "\r\nSubject: ", 11);
    char subject[400];
    snprintf(subject, sizeof subject, "[srebot] %s", m->title ? m->title : "");
    put_header_text(b, subject);
    putf(b, "\r\nMessage-ID: %s\r\n", msgid);
    if (m->thread_ref && *m->thread_ref)
        putf(b, "In-Reply-To: %.200s\r\nReferences: %.200s\r\n", m->thread_ref, m->thread_ref);
    putf(b, "X-Srebot-Notification: %lld\r\nX-Srebot-Kind: %s\r\n", (long long)m->notification_id,
         channel_kind_name(m->kind));
    putf(b, "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
         boundary);
    putf(b, "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n",
         boundary);
    struct buf text = {0};
    put(&text, m->title ? m->title : "", m->title ? strlen(m->title) : 0);
    put(&text, "\n\n", 2);
    put(&text, m->text ? m->text : "", m->text ? strlen(m->text) : 0);
    put(&text, "\n", 1);
    if (text.p)
        put_base64(b, text.p, text.len);
    free(text.p);
    putf(b, "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n",
         boundary);
    struct buf html = {0};
    html_body(&html, m);
    if (html.p)
        put_base64(b, html.p, html.len);
    free(html.p);
    putf(b, "--%s--\r\n", boundary);
}

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
    struct buf *b = ud;
    size_t n = size * nmemb, left = b->len - b->off;
    if (n > left)
        n = left;
    memcpy(dst, b->p + b->off, n);
    b->off += n;
    return n;
}

static enum adapter_result classify(CURLcode rc, long code, const char *detail,
                                    struct channel_outcome *out)
{
    if (rc == CURLE_OK)
        return ADAPTER_OK;
    snprintf(out->error, sizeof out->error, "smtp: %s%s%.150s", curl_easy_strerror(rc),
             detail[0] ? ": " : "", detail);
    if (code >= 500 || rc == CURLE_LOGIN_DENIED || rc == CURLE_USE_SSL_FAILED ||
        rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_URL_MALFORMAT ||
        rc == CURLE_UNSUPPORTED_PROTOCOL)
        return ADAPTER_ERROR;
    return ADAPTER_RETRY;
}

static long remaining_ms(uint64_t deadline_ns)
{
    if (!deadline_ns)
        return EMAIL_TIMEOUT_MS;
    uint64_t now = time_mono_ns();
    long left = deadline_ns > now ? (long)((deadline_ns - now) / 1000000) : 1;
    return left < EMAIL_TIMEOUT_MS ? (left > 1 ? left : 1) : EMAIL_TIMEOUT_MS;
}

static enum adapter_result email_send(void *instance, const struct channel_message *m,
                                      struct channel_outcome *out)
{
    struct email *e = instance;
    char password[EMAIL_SECRET_MAX] = "";
    if (e->password_ref &&
        secret_ref_resolve(e->password_ref, e->file_roots, password, sizeof password, out->error,
                           sizeof out->error) != 0)
        return ADAPTER_RETRY;
    const char *at = strchr(e->from, '@');
    char msgid[120];
    uint8_t rnd[6] = {0};
    char hex[13];
    crypto_random(rnd, sizeof rnd);
    hex_encode(rnd, sizeof rnd, hex);
    snprintf(msgid, sizeof msgid, "<srebot.%lld.%s@%.60s>", (long long)m->notification_id, hex,
             at ? at + 1 : "srebot.local");
    struct buf msg = {0};
    compose(e, m, msgid, &msg);
    CURL *c = msg.p ? curl_easy_init() : NULL;
    struct curl_slist *rcpt = NULL;
    char errbuf[CURL_ERROR_SIZE] = "", from[300];
    enum adapter_result res = ADAPTER_RETRY;
    if (!c) {
        snprintf(out->error, sizeof out->error, "email: out of memory");
        goto out;
    }
    snprintf(from, sizeof from, "<%s>", e->from);
    for (size_t i = 0; i < e->nto; i++) {
        char r[300];
        snprintf(r, sizeof r, "<%s>", e->to[i]);
        struct curl_slist *n = curl_slist_append(rcpt, r);
        if (n)
            rcpt = n;
    }
    long timeout = remaining_ms(m->deadline_ns);
    curl_easy_setopt(c, CURLOPT_URL, e->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &msg);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
    if (e->starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (e->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, e->ca_file);
    if (e->username[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, e->username);
        curl_easy_setopt(c, CURLOPT_PASSWORD, password);
    }
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    res = classify(rc, code, errbuf, out);
    if (res == ADAPTER_OK) {
        snprintf(out->message_ref, sizeof out->message_ref, "%s", msgid);
        snprintf(out->thread_ref, sizeof out->thread_ref, "%s",
                 m->thread_ref && *m->thread_ref ? m->thread_ref : msgid);
    }
out:
    if (c) {
        curl_easy_setopt(c, CURLOPT_PASSWORD, "");
        curl_easy_cleanup(c);
    }
    curl_slist_free_all(rcpt);
    crypto_wipe(password, sizeof password);
    free(msg.p);
    return res;
}

static void email_destroy(void *instance)
{
    struct email *e = instance;
    if (!e)
        return;
    json_decref(e->password_ref);
    free(e);
}

const struct channel_ops channel_email = {
    .name = "email",
    .description = "E-mail over SMTP (STARTTLS), plain text + HTML",
    .two_way = 0,
    .init = email_init,
    .send = email_send,
    .destroy = email_destroy,
};
