/* The channel delivery repository: backend-neutral entry points (checks, then
 * dispatch). See store/channel_repo.h. */
#include <stdio.h>
#include <string.h>

#include "store/store_checks.h"

enum store_status store_delivery_insert(struct store_conn *c, struct delivery_rec *r,
                                        int *created)
{
    WRITER_ONLY(c);
    if (!r->notification_id || !r->channel[0] || !r->state[0] || !r->route[0])
        return store_refuse(c, "delivery: notification, channel, state and route are required");
    return c->ops->channels->delivery_insert(c, r, created);
}

enum store_status store_delivery_update(struct store_conn *c, const struct delivery_rec *r)
{
    WRITER_ONLY(c);
    return c->ops->channels->delivery_update(c, r);
}

enum store_status store_delivery_get(struct store_conn *c, int64_t id, struct delivery_rec *out)
{
    return c->ops->channels->delivery_get(c, id, out);
}

enum store_status store_delivery_due(struct store_conn *c, int64_t now_ms, unsigned limit,
                                     int (*fn)(const struct delivery_rec *r, void *ud), void *ud)
{
    return c->ops->channels->delivery_due(c, now_ms, clamp_limit(limit, 1000), fn, ud);
}

enum store_status store_delivery_in_state(struct store_conn *c, const char *state, unsigned limit,
                                          int (*fn)(const struct delivery_rec *r, void *ud),
                                          void *ud)
{
    return c->ops->channels->delivery_in_state(c, state, clamp_limit(limit, 1000), fn, ud);
}

enum store_status store_delivery_of(struct store_conn *c, int64_t notification_id,
                                    int (*fn)(const struct delivery_rec *r, void *ud), void *ud)
{
    return c->ops->channels->delivery_of(c, notification_id, fn, ud);
}

enum store_status store_delivery_request_ref(struct store_conn *c, int64_t approval_id,
                                             const char *channel, char *out, size_t outlen)
{
    return c->ops->channels->request_ref(c, approval_id, channel, out, outlen);
}

enum store_status store_channel_stats(struct store_conn *c,
                                      int (*fn)(const struct channel_stats *s, void *ud),
                                      void *ud)
{
    return c->ops->channels->stats(c, fn, ud);
}

enum store_status store_channel_thread_get(struct store_conn *c, int64_t incident_id,
                                           const char *channel, char *out, size_t outlen)
{
    return c->ops->channels->thread_get(c, incident_id, channel, out, outlen);
}

enum store_status store_channel_thread_set(struct store_conn *c, int64_t incident_id,
                                           const char *channel, const char *ref, int64_t now_ms)
{
    WRITER_ONLY(c);
    if (!incident_id || !channel[0] || !ref[0])
        return store_refuse(c, "channel thread: incident, channel and reference are required");
    return c->ops->channels->thread_set(c, incident_id, channel, ref, now_ms);
}
