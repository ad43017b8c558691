/* One Bot API call. The token is part of the URL, so the URL is never put in
 * an error or a log line. Failures: {"ok":false,"error_code":429,
 * "description":"Too Many Requests: retry after 5","parameters":{"retry_after":5}}. */
#include <stdio.h>
#include <string.h>

#include "channels/chat_http.h"
#include "channels/telegram.h"

void telegram_html_escape(const char *in, char *out, size_t outlen)
{
    size_t o = strlen(out);
    for (const char *s = in ? in : ""; *s && o + 6 < outlen; s++) {
        const char *rep = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : NULL;
        if (rep) {
            size_t n = strlen(rep);
            memcpy(out + o, rep, n);
            o += n;
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
}

enum adapter_result telegram_api_call(const struct telegram_call *c, const char *method,
                                      const json_t *body, json_t **result,
                                      int64_t *retry_after_ms, char *err, size_t errlen)
{
    char url[768];
    struct net_response resp;
    json_t *doc = NULL;
    *result = NULL;
    *retry_after_ms = 0;
    int timeout = c->timeout_ms > 0 ? c->timeout_ms : chat_timeout_ms(c->deadline_ns);
    if (timeout == 0) {
        snprintf(err, errlen, "%s: the delivery deadline passed", method);
        return ADAPTER_RETRY;
    }
    int n = snprintf(url, sizeof url, "%s/bot%s/%s", c->api_base, c->token, method);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(err, errlen, "%s: the API URL is too long", method);
        return ADAPTER_ERROR;
    }
    int rc = chat_post_json(c->net, url, NULL, body, timeout, c->cancel, &resp, &doc, err, errlen);
    memset(url, 0, sizeof url); /* the token */
    if (rc != 0)
        return ADAPTER_RETRY;
    enum adapter_result r = chat_status_result(resp.status);
    const char *desc = json_string_value(json_object_get(doc, "description"));
    if (r == ADAPTER_OK && json_is_true(json_object_get(doc, "ok"))) {
        *result = json_incref(json_object_get(doc, "result"));
    } else if (r == ADAPTER_OK) {
        snprintf(err, errlen, "%s: the answer is not {\"ok\":true}", method);
        r = ADAPTER_ERROR;
    } else {
        json_t *ra = json_object_get(json_object_get(doc, "parameters"), "retry_after");
        if (resp.status == 429)
            *retry_after_ms = json_is_integer(ra) && json_integer_value(ra) > 0 &&
                                      json_integer_value(ra) < 86400
                                  ? json_integer_value(ra) * 1000
                                  : chat_retry_after_ms(&resp);
        snprintf(err, errlen, "%s: HTTP %ld %.120s", method, resp.status, desc ? desc : "");
    }
    json_decref(doc);
    net_response_free(&resp);
    return r;
}
