/* What the chat providers share around one outbound call: the time left until
 * the message's deadline, and the mapping of an HTTP answer to an adapter
 * result (ADAPTER_RETRY for what may pass: transport failures, 429, 5xx). */
#ifndef SREBOT_CHANNELS_CHAT_HTTP_H
#define SREBOT_CHANNELS_CHAT_HTTP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "net/client.h"
#include "util/adapter.h"

#define CHAT_DEFAULT_TIMEOUT_MS 5000

/* Milliseconds until deadline_ns (time_mono_ns clock), at most the default;
 * 0 when it has passed. deadline_ns 0: the default. */
int chat_timeout_ms(uint64_t deadline_ns);
/* The Retry-After header in ms (delta seconds or an HTTP date), 0 when absent. */
int64_t chat_retry_after_ms(const struct net_response *r);
/* POSTs a JSON body (compact) and parses a JSON answer into *answer (NULL when
 * the answer is not JSON). Returns -1 on a transport failure (err set), else 0
 * with resp filled; the caller frees resp with net_response_free. cancel (may
 * be NULL): nonzero ends the call early (a long poll at shutdown). */
int chat_post_json(struct net_client *net, const char *url, const char *bearer,
                   const json_t *body, int timeout_ms, const atomic_int *cancel,
                   struct net_response *resp, json_t **answer, char *err, size_t errlen);
/* The result for a status with no provider-specific meaning: 2xx OK, 429 and
 * 5xx (and 408) RETRY, anything else ERROR. */
enum adapter_result chat_status_result(long status);

#endif
