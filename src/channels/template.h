/* Message text: what every provider shows, built from the notification row,
 * its incident and the console link (docs/channels.md "Templates"). Providers
 * add their own markup (Slack blocks, Adaptive Cards) around these fields. */
#ifndef SREBOT_CHANNELS_TEMPLATE_H
#define SREBOT_CHANNELS_TEMPLATE_H

#include "channels/channel.h"
#include "core/incident.h"
#include "store/action_repo.h"

struct channel_text {
    char title[320];
    char text[4096];
    char link[640];   /* "" without a console URL */
    char class_[160];
    char state[32];
};

const char *channel_kind_name(enum channel_msg_kind k);
/* 0 and *out for a known kind name ("" = incident), else -1. */
int channel_kind_parse(const char *s, enum channel_msg_kind *out);

/* Renders n (inc: its incident, NULL when none) with a link under
 * console_base_url ("https://srebot.example"; NULL or "": no link). */
void channel_render(const struct notification_rec *n, const struct incident *inc,
                    const char *console_base_url, struct channel_text *out);

/* The message the worker hands a provider, pointing into t. */
void channel_message_from(const struct notification_rec *n, const struct channel_text *t,
                          struct channel_message *m);

#endif
