/* What a chat callback asks for, whatever provider carried it: the parsers of
 * Slack interactions and slash commands (slack_callback.c) and of Telegram
 * updates (telegram_callback.c) fill one of these after the request's
 * signature or secret token was checked; chat_service.c acts on it.
 *
 * Every field is bounded and NUL-terminated; ids from the provider are kept
 * as the strings they sent (Slack "U123", Telegram 5551234 as "5551234"). */
#ifndef SREBOT_CHANNELS_CHAT_CALLBACK_H
#define SREBOT_CHANNELS_CHAT_CALLBACK_H

#include <stdint.h>

enum chat_verb {
    CHAT_VERB_NONE = 0,    /* nothing for us (a Telegram update without a button press) */
    CHAT_VERB_APPROVE,     /* an Approve button: target = approval request id */
    CHAT_VERB_REJECT,      /* a Reject button: target = approval request id */
    CHAT_VERB_INCIDENTS,   /* "/srebot incidents": list the open incidents */
    CHAT_VERB_ACK,         /* "/srebot ack ID": acknowledge incident ID */
    CHAT_VERB_HELP,        /* "/srebot" with nothing we know: the usage line */
};

#define CHAT_ID_MAX 64
#define CHAT_REF_MAX 128

struct chat_callback {
    enum chat_verb verb;
    int64_t target;                    /* approval or incident id, 0 when none */
    char user_id[CHAT_ID_MAX];         /* the provider's user id: the key of the mapping */
    char user_name[CHAT_ID_MAX];       /* display only, never trusted */
    char conversation[CHAT_ID_MAX];    /* Slack channel id / Telegram chat id */
    char message_ref[CHAT_REF_MAX];    /* the message the button sits on ("" for commands) */
    char query_id[CHAT_ID_MAX];        /* Telegram callback_query id (answerCallbackQuery) */
    int64_t update_id;                 /* Telegram update id (long-polling offset) */
};

const char *chat_verb_name(enum chat_verb v);

#endif
