#include "kube/client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/jsonin.h"
#include "util/timeutil.h"

struct kube_client {
    struct kube_config cfg;
    struct net_client *net;
    pthread_mutex_t mu;      /* guards the token read from token_file */
    char file_token[8192];
    int64_t token_read_ms;   /* monotonic ms of the last read; 0 = never */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int kube_client_create(const struct kube_config *cfg, struct net_client *net,
                       struct kube_client **out, char *err, size_t errlen)
{
    *out = NULL;
    struct kube_client *kc = calloc(1, sizeof *kc);
    if (!kc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    kc->cfg = *cfg;
    kc->cfg.ca_pem = dup_or_null(cfg->ca_pem);
    kc->cfg.cert_pem = dup_or_null(cfg->cert_pem);
    kc->cfg.key_pem = dup_or_null(cfg->key_pem);
    if ((cfg->ca_pem && !kc->cfg.ca_pem) || (cfg->cert_pem && !kc->cfg.cert_pem) ||
        (cfg->key_pem && !kc->cfg.key_pem)) {
        kube_client_destroy(kc);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    kc->net = net;
    pthread_mutex_init(&kc->mu, NULL);
    *out = kc;
    return 0;
}

void kube_client_destroy(struct kube_client *kc)
{
    if (!kc)
        return;
    kube_config_clear(&kc->cfg);
    OPENSSL_cleanse(kc->file_token, sizeof kc->file_token);
    pthread_mutex_destroy(&kc->mu);
    free(kc);
}

const char *kube_client_origin(const struct kube_client *kc)
{
    return kc->cfg.origin;
}

/* The bearer token to send now, copied into out ("" when none). A token file
 * is re-read when the last read is older than KUBE_TOKEN_REREAD_MS. */
static void current_token(struct kube_client *kc, char *out, size_t outlen)
{
    if (!kc->cfg.token_file[0]) {
        snprintf(out, outlen, "%s", kc->cfg.token);
        return;
    }
    pthread_mutex_lock(&kc->mu);
    int64_t now = (int64_t)(time_mono_ns() / 1000000ULL);
    if (!kc->token_read_ms || now - kc->token_read_ms >= KUBE_TOKEN_REREAD_MS) {
        FILE *f = fopen(kc->cfg.token_file, "r");
        if (f) {
            char buf[sizeof kc->file_token];
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
                n--;
            buf[n] = '\0';
            memcpy(kc->file_token, buf, n + 1);
            OPENSSL_cleanse(buf, sizeof buf);
            kc->token_read_ms = now;
        } /* unreadable for a moment (being rotated): keep the last token */
    }
    snprintf(out, outlen, "%s", kc->file_token);
    pthread_mutex_unlock(&kc->mu);
}

int kube_call(struct kube_client *kc, const struct kube_call *call, struct net_response *resp,
              char *err, size_t errlen)
{
    memset(resp, 0, sizeof *resp);
    char url[2048];
    int n = snprintf(url, sizeof url, "%s%s", kc->cfg.server, call->path);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(err, errlen, "request path too long");
        return -1;
    }
    char token[sizeof kc->file_token];
    current_token(kc, token, sizeof token);
    struct net_header accept = {"Accept", "application/json"};
    struct net_request r = {
        .method = call->method ? call->method : "GET",
        .url = url,
        .body = call->body,
        .body_len = call->body ? strlen(call->body) : 0,
        .content_type = call->content_type,
        .bearer = token[0] ? token : NULL,
        .headers = &accept,
        .nheaders = 1,
        .tls = {.ca_file = kc->cfg.ca_file[0] ? kc->cfg.ca_file : NULL,
                .client_cert = kc->cfg.cert_file[0] ? kc->cfg.cert_file : NULL,
                .client_key = kc->cfg.key_file[0] ? kc->cfg.key_file : NULL,
                .insecure = kc->cfg.insecure,
                .ca_pem = kc->cfg.ca_pem,
                .client_cert_pem = kc->cfg.cert_pem,
                .client_key_pem = kc->cfg.key_pem},
        .connect_timeout_ms = 5000,
        .timeout_ms = call->timeout_ms ? call->timeout_ms : 10000,
        .max_body = call->max_body ? call->max_body : KUBE_MAX_OBJECT_BYTES,
        .max_attempts = call->max_attempts,
        .on_line = call->on_line,
        .line_ud = call->line_ud,
        .max_line = call->max_line,
        .cancel = call->cancel,
    };
    int rc = net_request(kc->net, &r, resp, err, errlen);
    OPENSSL_cleanse(token, sizeof token);
    return rc;
}

void kube_status_text(const struct net_response *resp, char *out, size_t outlen)
{
    json_t *st = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    const char *reason = json_string_value(json_object_get(st, "reason"));
    const char *msg = json_string_value(json_object_get(st, "message"));
    if (reason || msg)
        snprintf(out, outlen, "%ld %.60s: %.300s", resp->status, reason ? reason : "",
                 msg ? msg : "");
    else
        snprintf(out, outlen, "%ld (no Status in the answer)", resp->status);
    json_decref(st);
}

long kube_json(struct kube_client *kc, const struct kube_call *call, json_t **out, char *err,
               size_t errlen)
{
    *out = NULL;
    struct net_response resp;
    if (kube_call(kc, call, &resp, err, errlen) != 0) {
        net_response_free(&resp);
        return -1;
    }
    long status = resp.status;
    if (status < 200 || status > 299) {
        kube_status_text(&resp, err, errlen);
    } else if (resp.truncated) {
        snprintf(err, errlen, "the answer is larger than %zu bytes",
                 call->max_body ? call->max_body : KUBE_MAX_OBJECT_BYTES);
        status = -1;
    } else {
        char jerr[200];
        *out = resp.body ? jsonin_parse_text(resp.body, resp.body_len, SIZE_MAX, KUBE_MAX_DEPTH,
                                             jerr, sizeof jerr)
                         : NULL;
        if (!json_is_object(*out)) {
            snprintf(err, errlen, "the answer is not a JSON object (%s)",
                     *out ? "another type" : (resp.body ? jerr : "empty"));
            json_decref(*out);
            *out = NULL;
            status = -1;
        }
    }
    net_response_free(&resp);
    return status;
}

int kube_escape(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (o + (keep ? 1 : 3) >= outlen)
            return -1;
        if (keep) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= outlen)
        return -1;
    out[o] = '\0';
    return 0;
}
