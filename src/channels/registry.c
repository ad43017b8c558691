/* THE table of built-in channel providers (channel.h). */
#include <string.h>

#include "channels/channel.h"

extern const struct channel_ops channel_inapp;
extern const struct channel_ops channel_webhook;
extern const struct channel_ops channel_slack;
extern const struct channel_ops channel_telegram;
extern const struct channel_ops channel_teams;
extern const struct channel_ops channel_email;

const struct channel_ops *const channel_registry[] = {
    &channel_inapp,
    &channel_webhook,
    &channel_slack,
    &channel_telegram,
    &channel_teams,
    &channel_email,
    NULL,
};

const struct channel_ops *channel_find_in(const struct channel_ops *const *table,
                                          const char *name)
{
    for (size_t i = 0; table && name && table[i]; i++)
        if (strcmp(table[i]->name, name) == 0)
            return table[i];
    return NULL;
}

const struct channel_ops *channel_find(const char *name)
{
    return channel_find_in(channel_registry, name);
}
