/* What a verified chat callback does (ARCHITECTURE.md: chat callbacks ->
 * approve/reject -> ledger). The HTTP handlers (api/chat.c) and the Telegram
 * long-polling reader (telegram_poll.c) check the provider's signature or
 * secret, parse the request into a struct chat_callback, and hand it here:
 *
 *   1. the channel's "operators" mapping (policy) turns the chat user into an
 *      identity (operator name + role); an unmapped user gets a polite
 *      refusal and an audit record (chat.refused), nothing else happens;
 *   2. Approve / Reject go through approvals_decide() with that identity and
 *      the provider's name as the channel: the role check, the self-approval
 *      rule and expiry are the API's; the decision's notification (the
 *      delivery worker) edits the request's message with who decided;
 *   3. "/srebot incidents" lists the open incidents, "/srebot ack ID" moves
 *      an observed incident to triaged as that operator.
 *
 * A replay cache refuses a callback seen before (Slack: the same signature;
 * Telegram: the same update id on the same channel) for longer than the
 * providers' replay window. Made by main.c, shared by the HTTP threads. */
#ifndef SREBOT_CHANNELS_CHAT_SERVICE_H
#define SREBOT_CHANNELS_CHAT_SERVICE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "channels/chat_callback.h"

struct ledger;
struct net_client;

struct chat_service_config {
    struct ledger *ledger;
    struct net_client *net;
    const char *file_roots;       /* where secret files may lie (NULL: anywhere) */
    const char *console_base_url; /* links in replies, may be NULL */
};

struct chat_service;

int chat_service_create(const struct chat_service_config *cfg, struct chat_service **out);
void chat_service_destroy(struct chat_service *s); /* accepts NULL */

/* The enabled channel called id with this provider in the current policy (a
 * new reference), or NULL. */
json_t *chat_service_channel(struct chat_service *s, const char *id, const char *provider);
/* Every enabled channel of this provider in the current policy: a new array. */
json_t *chat_service_channels(struct chat_service *s, const char *provider);
/* The secret settings[key] of that channel resolved into out; 0 or -1. */
int chat_service_secret(struct chat_service *s, const json_t *channel, const char *key,
                        char *out, size_t outlen);
struct net_client *chat_service_net(struct chat_service *s);

/* 1 when key (provider-specific, e.g. the signature) was seen in the last
 * CHAT_REPLAY_WINDOW_MS: a replay. Otherwise records it and returns 0. The
 * cache is bounded (CHAT_REPLAY_ENTRIES, the oldest entry is reused). */
#define CHAT_REPLAY_WINDOW_MS (10 * 60 * 1000)
#define CHAT_REPLAY_ENTRIES 1024
int chat_service_replayed(struct chat_service *s, const char *key, int64_t now_ms);

struct chat_reply {
    int mapped;        /* the user is in the channel's mapping */
    int decided;       /* a decision or an acknowledgement was recorded */
    char text[1024];   /* what to tell the user (plain text) */
};

/* Acts on a verified, parsed callback from `channel` (the policy's channel
 * object). provider: "slack" or "telegram" (the approval's channel). */
void chat_service_handle(struct chat_service *s, const json_t *channel, const char *provider,
                         const struct chat_callback *cb, struct chat_reply *reply);

/* Logs a callback refused before it was parsed (a bad signature, a stale
 * timestamp, a wrong secret token) as a security event, rate-limited; no
 * audit record, so that unsigned traffic cannot grow the audit chain. */
void chat_service_log_refused(const char *provider, const char *channel_id, const char *reason);

#endif
