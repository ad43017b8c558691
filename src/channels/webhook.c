/* The webhook provider: POSTs a JSON envelope to the channel's URL.
 *
 * Signing (when settings.secret is set): the receiver recomputes
 *   X-Srebot-Signature: v1=<hex(HMAC-SHA256(secret, timestamp + "." + body))>
 * with timestamp the X-Srebot-Timestamp header (Unix seconds), compares in
 * constant time and refuses timestamps older than a few minutes (replays).
 * X-Srebot-Delivery carries the notification id: the same message to the same
 * URL always has the same one, so a receiver can drop a repeat.
 *
 * 2xx delivers; 408, 429 and 5xx (and no answer) are RETRY, with the server's
 * Retry-After passed on; any other answer is ERROR (the request is refused as
 * it is: the worker fails over rather than repeating it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/template.h"
#include "channels/webhook.h"
#include "core/finding.h"
#include "core/secret_ref.h"
#include "net/client.h"
#include "util/crypto.h"
#include "util/timeutil.h"

#define WEBHOOK_SECRET_MAX 512

struct webhook {
    struct net_client *net;
    const char *file_roots;
    char url[2048];
    json_t *secret_ref; /* NULL: unsigned */
    int timeout_ms;
};

static int webhook_init(const json_t *settings, void *deps, void **instance, char *err,
                        size_t errlen)
{
    const struct channel_deps *d = deps;
    const char *url = json_string_value(json_object_get(settings, "url"));
    if (!url || strlen(url) >= sizeof ((struct webhook *)0)->url) {
        snprintf(err, errlen, "webhook: settings.url is missing or too long");
        return -1;
    }
    struct webhook *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "webhook: out of memory");
        return -1;
    }
    w->net = d ? d->net : NULL;
    w->file_roots = d ? d->file_roots : NULL;
    snprintf(w->url, sizeof w->url, "%s", url);
    w->secret_ref = json_incref(json_object_get(settings, "secret"));
    json_int_t t = json_integer_value(json_object_get(settings, "timeout_ms"));
    w->timeout_ms = t >= 100 && t <= 60000 ? (int)t : NET_DEFAULT_TIMEOUT_MS;
    *instance = w;
    return 0;
}

static json_t *envelope(const struct channel_message *m)
{
    json_t *o = json_pack("{s:i, s:I, s:s, s:s, s:s, s:s}", "version", 1, "id",
                          (json_int_t)m->notification_id, "kind", channel_kind_name(m->kind),
                          "severity", severity_name((enum severity)m->severity), "title",
                          m->title ? m->title : "", "text", m->text ? m->text : "");
    json_object_set_new(o, "incident_id",
                        m->incident_id ? json_integer(m->incident_id) : json_null());
    if (m->approval_id)
        json_object_set_new(o, "approval_id", json_integer(m->approval_id));
    if (m->class_)
        json_object_set_new(o, "class", json_string(m->class_));
    if (m->state)
        json_object_set_new(o, "state", json_string(m->state));
    if (m->link)
        json_object_set_new(o, "link", json_string(m->link));
    return o;
}

/* v1=<hex(HMAC-SHA256(secret, ts "." body))> into out (3 + 64 + 1 bytes). */
void webhook_signature(const char *secret, const char *ts, const char *body, size_t body_len,
                       char out[68])
{
    size_t tl = strlen(ts);
    char *material = malloc(tl + 1 + body_len);
    uint8_t mac[SHA256_LEN];
    if (!material) {
        out[0] = '\0';
        return;
    }
    memcpy(material, ts, tl);
    material[tl] = '.';
    memcpy(material + tl + 1, body, body_len);
    crypto_hmac_sha256(secret, strlen(secret), material, tl + 1 + body_len, mac);
    free(material);
    memcpy(out, "v1=", 3);
    hex_encode(mac, sizeof mac, out + 3);
}

static int remaining_ms(uint64_t deadline_ns, int cap)
{
    if (!deadline_ns)
        return cap;
    uint64_t now = time_mono_ns();
    int64_t left = deadline_ns > now ? (int64_t)((deadline_ns - now) / 1000000) : 0;
    return left < cap ? (int)(left > 1 ? left : 1) : cap;
}

static enum adapter_result webhook_send(void *instance, const struct channel_message *m,
                                        struct channel_outcome *out)
{
    struct webhook *w = instance;
    char secret[WEBHOOK_SECRET_MAX] = "";
    if (w->secret_ref &&
        secret_ref_resolve(w->secret_ref, w->file_roots, secret, sizeof secret, out->error,
                           sizeof out->error) != 0)
        return ADAPTER_RETRY; /* a reference that resolves later heals by itself */
    json_t *env = envelope(m);
    char *body = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    if (!body) {
        crypto_wipe(secret, sizeof secret);
        snprintf(out->error, sizeof out->error, "webhook: out of memory");
        return ADAPTER_RETRY;
    }
    char ts[24], sig[68] = "", delivery[24];
    snprintf(ts, sizeof ts, "%lld", (long long)(time_now_ms() / 1000));
    snprintf(delivery, sizeof delivery, "%lld", (long long)m->notification_id);
    struct net_header h[4] = {{"X-Srebot-Timestamp", ts},
                              {"X-Srebot-Delivery", delivery},
                              {"X-Srebot-Kind", channel_kind_name(m->kind)},
                              {"X-Srebot-Signature", sig}};
    size_t nh = 3;
    if (secret[0]) {
        webhook_signature(secret, ts, body, strlen(body), sig);
        nh = 4;
    }
    crypto_wipe(secret, sizeof secret);
    struct net_request rq = {.method = "POST",
                             .url = w->url,
                             .body = body,
                             .body_len = strlen(body),
                             .content_type = "application/json",
                             .headers = h,
                             .nheaders = nh,
                             .timeout_ms = remaining_ms(m->deadline_ns, w->timeout_ms),
                             .max_body = 4096};
    struct net_response resp;
    memset(&resp, 0, sizeof resp);
    char err[200] = "";
    int rc = net_request(w->net, &rq, &resp, err, sizeof err);
    free(body);
    enum adapter_result res;
    if (rc != 0) {
        snprintf(out->error, sizeof out->error, "webhook: %s", err);
        res = ADAPTER_RETRY;
    } else if (resp.status >= 200 && resp.status < 300) {
        res = ADAPTER_OK;
    } else {
        int again = resp.status == 408 || net_status_retryable(resp.status);
        snprintf(out->error, sizeof out->error, "webhook answered HTTP %ld", resp.status);
        out->retry_after_ms = again ? net_retry_after_ms(resp.retry_after, time_now_ms()) : -1;
        if (out->retry_after_ms < 0)
            out->retry_after_ms = 0;
        res = again ? ADAPTER_RETRY : ADAPTER_ERROR;
    }
    net_response_free(&resp);
    return res;
}

static void webhook_destroy(void *instance)
{
    struct webhook *w = instance;
    if (!w)
        return;
    json_decref(w->secret_ref);
    free(w);
}

const struct channel_ops channel_webhook = {
    .name = "webhook",
    .description = "POST a signed JSON envelope to a URL (HMAC-SHA256, X-Srebot-Signature)",
    .two_way = 0,
    .init = webhook_init,
    .send = webhook_send,
    .destroy = webhook_destroy,
};
