/* One Slack Web API call (chat.postMessage, chat.update, chat.postEphemeral).
 * Slack answers HTTP 200 even for failures, with {"ok":false,"error":"..."};
 * throttling is HTTP 429 with Retry-After. */
#include <stdio.h>
#include <string.h>

#include "channels/chat_http.h"
#include "channels/slack.h"

/* Errors that pass on their own: worth the worker's retry. */
static int transient(const char *code)
{
    static const char *const codes[] = {"ratelimited",   "internal_error", "service_unavailable",
                                        "fatal_error",   "request_timeout", "team_added_to_org",
                                        NULL};
    for (size_t i = 0; codes[i]; i++)
        if (strcmp(codes[i], code) == 0)
            return 1;
    return 0;
}

enum adapter_result slack_api_call(const struct slack_call *c, const char *method,
                                   const json_t *body, json_t **answer, int64_t *retry_after_ms,
                                   char *err, size_t errlen)
{
    char url[640];
    struct net_response resp;
    json_t *doc = NULL;
    *answer = NULL;
    *retry_after_ms = 0;
    int timeout = chat_timeout_ms(c->deadline_ns);
    if (timeout == 0) {
        snprintf(err, errlen, "%s: the delivery deadline passed", method);
        return ADAPTER_RETRY;
    }
    snprintf(url, sizeof url, "%s/%s", c->api_base, method);
    if (chat_post_json(c->net, url, c->token, body, timeout, NULL, &resp, &doc, err, errlen) != 0)
        return ADAPTER_RETRY; /* err: the transport failure (no secret in it) */
    enum adapter_result r = chat_status_result(resp.status);
    if (resp.status == 429)
        *retry_after_ms = chat_retry_after_ms(&resp);
    if (r != ADAPTER_OK) {
        snprintf(err, errlen, "%s: HTTP %ld", method, resp.status);
    } else if (!json_is_object(doc)) {
        snprintf(err, errlen, "%s: the answer is not a JSON object", method);
        r = ADAPTER_ERROR;
    } else if (!json_is_true(json_object_get(doc, "ok"))) {
        const char *code = json_string_value(json_object_get(doc, "error"));
        if (!code)
            code = "unknown_error";
        snprintf(err, errlen, "%s: %.64s", method, code);
        r = transient(code) ? ADAPTER_RETRY : ADAPTER_ERROR;
    } else {
        *answer = doc;
        doc = NULL;
    }
    json_decref(doc);
    net_response_free(&resp);
    return r;
}
