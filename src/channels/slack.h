/* Slack: the provider (slack.c), its Web API calls (slack_api.c), Block Kit
 * rendering (slack_blocks.c), and the callbacks' signature check and parsers
 * (slack_sign.c, slack_callback.c). Wire formats: docs/channels.md, and
 * Slack's documentation of chat.postMessage, Block Kit, interactivity and
 * slash commands. */
#ifndef SREBOT_CHANNELS_SLACK_H
#define SREBOT_CHANNELS_SLACK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "channels/channel.h"
#include "channels/chat_callback.h"
#include "core/problems.h"

struct net_client;

#define SLACK_REPLAY_WINDOW_S 300        /* a timestamp further from now is refused */
#define SLACK_CALLBACK_MAX_BODY (64 * 1024) /* interaction / command bodies we read */
#define SLACK_SIGNATURE_LEN 67           /* "v0=" + 64 hex digits */

/* ---- request signing (v0): HMAC-SHA256(secret, "v0:" ts ":" body) ---- */
enum slack_sig {
    SLACK_SIG_OK = 0,
    SLACK_SIG_MISSING,  /* a header is absent or malformed */
    SLACK_SIG_STALE,    /* the timestamp is outside the replay window */
    SLACK_SIG_BAD,      /* the signature does not match */
};
/* out: "v0=<64 hex>" + NUL (SLACK_SIGNATURE_LEN + 1 bytes). */
void slack_signature(const char *secret, const char *timestamp, const char *body, size_t len,
                     char out[SLACK_SIGNATURE_LEN + 1]);
/* Checks the two headers (either may be NULL) against the raw body at now_s
 * (unix seconds): the timestamp first (within SLACK_REPLAY_WINDOW_S), then the
 * signature, compared in constant time. */
enum slack_sig slack_signature_check(const char *secret, const char *timestamp_hdr,
                                     const char *signature_hdr, const char *body, size_t len,
                                     int64_t now_s);
const char *slack_sig_reason(enum slack_sig s);

/* ---- callbacks (slack_callback.c); bodies are application/x-www-form-urlencoded ---- */
/* One form field, percent- and '+'-decoded into out. Returns 0 when present;
 * -1 when absent; -2 when malformed (bad %-escape, NUL) or longer than outlen-1. */
int slack_form_field(const char *body, size_t len, const char *name, char *out, size_t outlen);
/* An interactivity request: the form field payload= holding a block_actions
 * JSON document whose first action is an srebot button (action_id approve or
 * reject, value = the approval request id). Returns 0, or -1 with problems
 * (JSON path + reason). */
int slack_parse_interaction(const char *body, size_t len, struct chat_callback *out,
                            struct problems *p);
/* A slash command: user_id, channel_id and text ("incidents", "ack 42", "help"). */
int slack_parse_command(const char *body, size_t len, struct chat_callback *out,
                        struct problems *p);

/* ---- Web API (slack_api.c) ---- */
struct slack_call {
    struct net_client *net;
    const char *api_base;  /* "https://slack.com/api" or the api_base_url setting */
    const char *token;     /* bot token (xoxb-...), never logged */
    uint64_t deadline_ns;  /* 0: a default bound of 5 s */
};
/* POSTs body (JSON, compact) to <api_base>/<method>. ADAPTER_OK with *answer
 * (the parsed reply, ok:true) ; ADAPTER_RETRY for transport failures, 429
 * (retry_after_ms from Retry-After), 5xx and Slack's transient errors
 * (ratelimited, internal_error, service_unavailable, fatal_error,
 * request_timeout); ADAPTER_ERROR otherwise, with Slack's error code in err. */
enum adapter_result slack_api_call(const struct slack_call *c, const char *method,
                                   const json_t *body, json_t **answer, int64_t *retry_after_ms,
                                   char *err, size_t errlen);

/* ---- Block Kit (slack_blocks.c) ---- */
/* The blocks of a message: a header line, the text, a context line with the
 * link, and on an approval request (with_buttons) the Approve / Reject actions
 * whose value is the approval id. New reference. */
json_t *slack_blocks(const struct channel_message *m, int with_buttons);
/* The root message of an incident's thread: title and current state. */
json_t *slack_root_blocks(const struct channel_message *m);

#endif
