/* Telling the chat user what became of their button press, after
 * chat_service_handle(): Slack gets an ephemeral message (chat.postEphemeral:
 * only that user sees it), Telegram an answerCallbackQuery (the toast that
 * also stops the button's spinner; an alert for a refusal). Best effort and
 * short (CHAT_REPLY_TIMEOUT_MS): the provider wants its callback answered
 * within 3 s, and the decision is already durable. */
#ifndef SREBOT_CHANNELS_CHAT_REPLY_H
#define SREBOT_CHANNELS_CHAT_REPLY_H

#include <jansson.h>

#include "channels/chat_callback.h"
#include "channels/chat_service.h"

#define CHAT_REPLY_TIMEOUT_MS 1500

void slack_tell(struct chat_service *s, const json_t *channel, const struct chat_callback *cb,
                const struct chat_reply *reply);
void telegram_tell(struct chat_service *s, const json_t *channel, const struct chat_callback *cb,
                   const struct chat_reply *reply);

#endif
