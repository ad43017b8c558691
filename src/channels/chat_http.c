#include "channels/chat_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

#define MAX_ANSWER (256 * 1024)

int chat_timeout_ms(uint64_t deadline_ns)
{
    if (!deadline_ns)
        return CHAT_DEFAULT_TIMEOUT_MS;
    uint64_t now = time_mono_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now) / 1000000u;
    if (ms < 1)
        return 0;
    return ms > CHAT_DEFAULT_TIMEOUT_MS ? CHAT_DEFAULT_TIMEOUT_MS : (int)ms;
}

int64_t chat_retry_after_ms(const struct net_response *r)
{
    int64_t ms = r->retry_after[0] ? net_retry_after_ms(r->retry_after, time_now_ms()) : -1;
    return ms > 0 ? ms : 0;
}

int chat_post_json(struct net_client *net, const char *url, const char *bearer,
                   const json_t *body, int timeout_ms, const atomic_int *cancel,
                   struct net_response *resp, json_t **answer, char *err, size_t errlen)
{
    *answer = NULL;
    memset(resp, 0, sizeof *resp);
    char *text = json_dumps(body, JSON_COMPACT);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct net_request rq = {
        .method = "POST",
        .url = url,
        .body = text,
        .body_len = strlen(text),
        .content_type = "application/json; charset=utf-8",
        .bearer = bearer,
        .timeout_ms = timeout_ms,
        .max_body = MAX_ANSWER,
        .max_attempts = 1, /* the delivery worker owns retries */
        .cancel = cancel,
    };
    int rc = net_request(net, &rq, resp, err, errlen);
    free(text);
    if (rc != 0)
        return -1;
    if (resp->body && resp->body_len && !resp->truncated)
        *answer = json_loadb(resp->body, resp->body_len, 0, NULL);
    return 0;
}

enum adapter_result chat_status_result(long status)
{
    if (status >= 200 && status < 300)
        return ADAPTER_OK;
    if (status == 429 || status == 408 || status >= 500 || status == 0)
        return ADAPTER_RETRY;
    return ADAPTER_ERROR;
}
