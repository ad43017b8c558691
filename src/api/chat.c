/* POST /api/v1/channels/{id}/slack/interactions   Slack block_actions (buttons)
 * POST /api/v1/channels/{id}/slack/commands       Slack slash command /srebot
 * POST /api/v1/channels/{id}/telegram/updates     Telegram webhook (callback queries)
 *
 * No bearer token: each request proves itself with the provider's mechanism
 * against the secret of channel {id} in the current policy (docs/channels.md):
 * Slack's v0 signature over the raw body within a 5-minute window, Telegram's
 * secret token. Anything that does not verify — no such channel, no secret
 * configured, a missing, stale or forged signature, a replay — is 401 and
 * nothing else happens. */
#include <stdio.h>
#include <string.h>

#include "api/app.h"
#include "api/chat_api.h"
#include "channels/chat_reply.h"
#include "channels/chat_secret.h"
#include "channels/chat_service.h"
#include "channels/slack.h"
#include "channels/telegram.h"
#include "util/timeutil.h"

static void unauthorized(struct http_resp *resp, const char *provider, const char *id,
                         const char *why)
{
    chat_service_log_refused(provider, id, why);
    http_resp_error(resp, 401, "unauthorized", "%s", why);
}

/* The channel and a verified Slack signature; NULL after answering 401. */
static json_t *slack_verified(struct app *a, struct http_req *req, struct http_resp *resp)
{
    const char *id = http_req_param(req, "id");
    char secret[CHAT_SECRET_MAX];
    if (!a->chat) {
        http_resp_svc_error(resp, SVC_UNAVAILABLE, "chat callbacks");
        return NULL;
    }
    json_t *ch = chat_service_channel(a->chat, id, "slack");
    if (!ch || chat_service_secret(a->chat, ch, "signing_secret", secret, sizeof secret) != 0) {
        json_decref(ch);
        unauthorized(resp, "slack", id, "no Slack channel with a signing secret has this id");
        return NULL;
    }
    const char *sig = http_req_header(req, "X-Slack-Signature");
    enum slack_sig v = slack_signature_check(secret, http_req_header(req, "X-Slack-Request-Timestamp"),
                                             sig, req->body, req->body_len,
                                             time_now_ms() / 1000);
    chat_secret_wipe(secret, sizeof secret);
    if (v != SLACK_SIG_OK) {
        json_decref(ch);
        unauthorized(resp, "slack", id, slack_sig_reason(v));
        return NULL;
    }
    /* a valid signature seen before is a captured request played again */
    char key[700];
    snprintf(key, sizeof key, "slack:%.500s:%s", req->path, sig);
    if (chat_service_replayed(a->chat, key, time_now_ms())) {
        json_decref(ch);
        unauthorized(resp, "slack", id, "this request was already received (replay)");
        return NULL;
    }
    return ch;
}

void api_slack_interactions(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    json_t *ch = slack_verified(a, req, resp);
    if (!ch)
        return;
    struct problems *p = problems_create();
    struct chat_callback cb;
    struct chat_reply reply;
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "interaction");
    } else if (slack_parse_interaction(req->body, req->body_len, &cb, p) != 0) {
        http_resp_problems(resp, 400, "bad_request", p, "not an srebot button press");
    } else {
        chat_service_handle(a->chat, ch, "slack", &cb, &reply);
        slack_tell(a->chat, ch, &cb, &reply);
        /* Slack ignores the body of a block_actions answer: the ephemeral
         * message told the user, the result notification edits the message */
        http_resp_json(resp, 200, json_pack("{s:b, s:b}", "mapped", reply.mapped, "decided",
                                            reply.decided));
    }
    problems_destroy(p);
    json_decref(ch);
}

void api_slack_commands(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    json_t *ch = slack_verified(a, req, resp);
    if (!ch)
        return;
    struct problems *p = problems_create();
    struct chat_callback cb;
    struct chat_reply reply;
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "command");
    } else if (slack_parse_command(req->body, req->body_len, &cb, p) != 0) {
        /* shown to the user who typed it: Slack displays the JSON text */
        char text[300];
        snprintf(text, sizeof text, "I did not understand that: %.60s %.200s", p->items[0].path,
                 p->items[0].message);
        http_resp_json(resp, 200, json_pack("{s:s, s:s}", "response_type", "ephemeral", "text",
                                            text));
    } else {
        chat_service_handle(a->chat, ch, "slack", &cb, &reply);
        http_resp_json(resp, 200, json_pack("{s:s, s:s}", "response_type", "ephemeral", "text",
                                            reply.text));
    }
    problems_destroy(p);
    json_decref(ch);
}

void api_telegram_updates(struct http_req *req, struct http_resp *resp, void *app)
{
    struct app *a = app;
    const char *id = http_req_param(req, "id");
    char secret[CHAT_SECRET_MAX];
    if (!a->chat) {
        http_resp_svc_error(resp, SVC_UNAVAILABLE, "chat callbacks");
        return;
    }
    json_t *ch = chat_service_channel(a->chat, id, "telegram");
    if (!ch || chat_service_secret(a->chat, ch, "webhook_secret", secret, sizeof secret) != 0) {
        json_decref(ch);
        unauthorized(resp, "telegram", id,
                     "no Telegram channel with a webhook secret has this id");
        return;
    }
    int ok = telegram_secret_ok(secret, http_req_header(req, "X-Telegram-Bot-Api-Secret-Token"));
    chat_secret_wipe(secret, sizeof secret);
    if (!ok) {
        json_decref(ch);
        unauthorized(resp, "telegram", id,
                     "X-Telegram-Bot-Api-Secret-Token does not match the webhook secret");
        return;
    }
    struct problems *p = problems_create();
    struct chat_callback cb;
    struct chat_reply reply;
    char key[128];
    if (!p) {
        http_resp_svc_error(resp, SVC_INTERNAL, "update");
    } else if (telegram_parse_update(req->body, req->body_len, &cb, p) != 0) {
        http_resp_problems(resp, 400, "bad_request", p, "not a Telegram update srebot takes");
    } else if (snprintf(key, sizeof key, "telegram:%s:%lld", id, (long long)cb.update_id),
               chat_service_replayed(a->chat, key, time_now_ms())) {
        /* Telegram sends an update again when our answer was lost: acknowledge
         * it, act on it once */
        http_resp_json(resp, 200, json_pack("{s:b, s:s}", "ok", 1, "ignored", "duplicate update"));
    } else {
        chat_service_handle(a->chat, ch, "telegram", &cb, &reply);
        telegram_tell(a->chat, ch, &cb, &reply);
        http_resp_json(resp, 200, json_pack("{s:b, s:b, s:b}", "ok", 1, "mapped", reply.mapped,
                                            "decided", reply.decided));
    }
    problems_destroy(p);
    json_decref(ch);
}
