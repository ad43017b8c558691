/* Telegram: the provider (telegram.c), its Bot API calls (telegram_api.c),
 * the update parser and secret-token check (telegram_callback.c) and the
 * long-polling reader for installations without a public URL
 * (telegram_poll.c). Wire formats: docs/channels.md and the Bot API
 * documentation (sendMessage, editMessageText, answerCallbackQuery,
 * setWebhook, getUpdates). */
#ifndef SREBOT_CHANNELS_TELEGRAM_H
#define SREBOT_CHANNELS_TELEGRAM_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "channels/chat_callback.h"
#include "core/problems.h"
#include "util/adapter.h"

struct net_client;

#define TELEGRAM_UPDATE_MAX_BODY (64 * 1024)
#define TELEGRAM_CALLBACK_DATA_MAX 64 /* the Bot API's limit on callback_data */

/* ---- callbacks (telegram_callback.c) ---- */
/* One Update object (webhook body or an item of getUpdates). A callback_query
 * whose data is "approve:<id>" or "reject:<id>" fills out with that verb; an
 * update of any other kind is CHAT_VERB_NONE (update_id still set). Returns 0,
 * or -1 with problems (JSON path + reason). */
int telegram_update_from_json(json_t *update, const char *base, struct chat_callback *out,
                              struct problems *p);
/* The same from a webhook body (bounded JSON). */
int telegram_parse_update(const char *body, size_t len, struct chat_callback *out,
                          struct problems *p);
/* X-Telegram-Bot-Api-Secret-Token against the configured secret, in constant
 * time (the lengths are compared as hashes, so no length leaks). 1 when equal. */
int telegram_secret_ok(const char *expected, const char *header);
/* callback_data for a button: "approve:42" into out (at most 64 bytes). */
void telegram_callback_data(int approve, int64_t approval_id, char *out, size_t outlen);

/* ---- Bot API (telegram_api.c) ---- */
struct telegram_call {
    struct net_client *net;
    const char *api_base;  /* "https://api.telegram.org" or the api_base_url setting */
    const char *token;     /* the bot token: part of the URL, never logged */
    uint64_t deadline_ns;  /* 0: a default bound of 5 s */
    int timeout_ms;        /* 0: from the deadline; getUpdates sets its long-poll bound */
    const atomic_int *cancel; /* may be NULL: ends a long poll at shutdown */
};
/* POSTs body to <api_base>/bot<token>/<method>. ADAPTER_OK with *result (the
 * "result" member, new reference, may be NULL); ADAPTER_RETRY for transport
 * failures, 5xx and 429 (retry_after_ms from parameters.retry_after or the
 * Retry-After header); ADAPTER_ERROR otherwise, with the description in err
 * (never the URL). */
enum adapter_result telegram_api_call(const struct telegram_call *c, const char *method,
                                      const json_t *body, json_t **result,
                                      int64_t *retry_after_ms, char *err, size_t errlen);
/* HTML for parse_mode "HTML": & < > escaped. Appends to a bounded buffer. */
void telegram_html_escape(const char *in, char *out, size_t outlen);

#endif
