#include "channels/chat_reply.h"

#include <stdio.h>
#include <string.h>

#include "channels/chat_secret.h"
#include "channels/slack.h"
#include "channels/telegram.h"
#include "util/log.h"
#include "util/timeutil.h"

static const char *api_base(const json_t *channel, const char *def, char *out, size_t outlen)
{
    const char *b = json_string_value(json_object_get(json_object_get(channel, "settings"),
                                                      "api_base_url"));
    snprintf(out, outlen, "%s", b && *b ? b : def);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
    return out;
}

void slack_tell(struct chat_service *s, const json_t *channel, const struct chat_callback *cb,
                const struct chat_reply *reply)
{
    char token[CHAT_SECRET_MAX], base[512], err[200];
    int64_t wait;
    json_t *answer = NULL;
    if (!reply->text[0] || !cb->conversation[0] || !cb->user_id[0])
        return;
    if (chat_service_secret(s, channel, "token", token, sizeof token) != 0)
        return; /* a webhook-only channel has no way to answer one user */
    struct slack_call c = {chat_service_net(s), api_base(channel, "https://slack.com/api", base,
                                                         sizeof base),
                           token, time_mono_ns() + (uint64_t)CHAT_REPLY_TIMEOUT_MS * 1000000u};
    json_t *body = json_pack("{s:s, s:s, s:s}", "channel", cb->conversation, "user", cb->user_id,
                             "text", reply->text);
    if (slack_api_call(&c, "chat.postEphemeral", body, &answer, &wait, err, sizeof err) !=
        ADAPTER_OK)
        log_warn("channels", "slack: telling the user: %s", err);
    chat_secret_wipe(token, sizeof token);
    json_decref(answer);
    json_decref(body);
}

void telegram_tell(struct chat_service *s, const json_t *channel, const struct chat_callback *cb,
                   const struct chat_reply *reply)
{
    char token[CHAT_SECRET_MAX], base[512], err[200], text[201];
    int64_t wait;
    json_t *result = NULL;
    if (!cb->query_id[0])
        return;
    if (chat_service_secret(s, channel, "bot_token", token, sizeof token) != 0)
        return;
    struct telegram_call c = {.net = chat_service_net(s),
                              .api_base = api_base(channel, "https://api.telegram.org", base,
                                                   sizeof base),
                              .token = token,
                              .timeout_ms = CHAT_REPLY_TIMEOUT_MS};
    /* answerCallbackQuery's text is at most 200 characters */
    snprintf(text, sizeof text, "%.200s", reply->text);
    json_t *body = json_pack("{s:s, s:s, s:b}", "callback_query_id", cb->query_id, "text", text,
                             "show_alert", !reply->mapped || !reply->decided);
    if (telegram_api_call(&c, "answerCallbackQuery", body, &result, &wait, err, sizeof err) !=
        ADAPTER_OK)
        log_warn("channels", "telegram: answering the callback: %s", err);
    chat_secret_wipe(token, sizeof token);
    json_decref(result);
    json_decref(body);
}
