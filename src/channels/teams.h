/* Microsoft Teams (teams.c): one-way, Adaptive Cards to a Workflows webhook. */
#ifndef SREBOT_CHANNELS_TEAMS_H
#define SREBOT_CHANNELS_TEAMS_H

#include <jansson.h>

#include "channels/channel.h"

/* The request body: {"type":"message","attachments":[{"contentType":
 * "application/vnd.microsoft.card.adaptive","contentUrl":null,"content":card}]}
 * with an Adaptive Card 1.4 (title, text, facts, an Action.OpenUrl to the
 * console). New reference. */
json_t *teams_card(const struct channel_message *m);

#endif
