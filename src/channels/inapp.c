/* The in-app provider: the console inbox (GET /api/v1/notifications) already
 * shows every notification row, so "sending" is recording that this channel
 * has it. Always on, and the end of every failover route. */
#include <stdio.h>
#include <stdlib.h>

#include "channels/channel.h"

static int inapp_init(const json_t *settings, void *deps, void **instance, char *err,
                      size_t errlen)
{
    *instance = NULL;
    return 0;
}

static enum adapter_result inapp_send(void *instance, const struct channel_message *m,
                                      struct channel_outcome *out)
{
    snprintf(out->message_ref, sizeof out->message_ref, "notification/%lld",
             (long long)m->notification_id);
    return ADAPTER_OK;
}

static void inapp_destroy(void *instance) { (void)instance; }

const struct channel_ops channel_inapp = {
    .name = "inapp",
    .description = "The console inbox; always on, the fallback of every route",
    .two_way = 1, /* the console's Approve / Reject */
    .init = inapp_init,
    .send = inapp_send,
    .destroy = inapp_destroy,
};
