/* The channels view (GET /api/v1/channels): each channel of the policy with
 * its provider, whether this build has it, and its health from the delivery
 * records (ledger/channels.h). */
#include <stdio.h>
#include <string.h>

#include "channels/channel.h"
#include "ledger/channels.h"
#include "ledger/views.h"

struct stats_acc {
    json_t *by_id; /* channel id -> stats object */
};

static int add_stats(const struct channel_stats *s, void *ud)
{
    struct stats_acc *x = ud;
    json_t *o = json_pack("{s:I, s:I, s:I, s:o, s:o, s:s}", "sent", (json_int_t)s->sent, "failed",
                          (json_int_t)s->failed, "pending", (json_int_t)s->pending,
                          "last_delivery_at",
                          s->last_sent_at_ms ? json_time(s->last_sent_at_ms) : json_null(),
                          "last_attempt_at",
                          s->last_attempt_at_ms ? json_time(s->last_attempt_at_ms) : json_null(),
                          "last_error", s->last_error);
    json_object_set_new(x->by_id, s->channel, o);
    return 0;
}

/* ok: the last attempt delivered; failing: it did not; idle: nothing sent
 * yet; disabled; unavailable: this build has no such provider. */
static const char *health(const json_t *ch, const json_t *st, int in_build)
{
    if (json_is_false(json_object_get(ch, "enabled")))
        return "disabled";
    if (!in_build)
        return "unavailable";
    const char *err = json_string_value(json_object_get(st, "last_error"));
    if (err && *err)
        return "failing";
    return json_integer_value(json_object_get(st, "sent")) > 0 ? "ok" : "idle";
}

static json_t *channel_item(const json_t *ch, const json_t *stats)
{
    const char *id = json_string_value(json_object_get(ch, "id"));
    const char *prov = json_string_value(json_object_get(ch, "provider"));
    const struct channel_ops *ops = channel_find(prov);
    const json_t *st = json_object_get(stats, id);
    json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:s}", "id", id, "provider", prov, "enabled",
                          !json_is_false(json_object_get(ch, "enabled")), "in_build", ops != NULL,
                          "two_way", ops && ops->two_way, "health", health(ch, st, ops != NULL));
    if (ops)
        json_object_set_new(o, "description", json_string(ops->description));
    json_t *rate = json_object_get(ch, "rate_per_minute");
    json_object_set_new(o, "rate_per_minute", json_is_integer(rate) ? json_incref(rate)
                                                                    : json_integer(60));
    static const char *const keys[] = {"sent",    "failed",          "pending",
                                       "last_delivery_at", "last_attempt_at", "last_error"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(st, keys[i]);
        json_object_set_new(o, keys[i], v ? json_incref(v)
                                          : i < 3 ? json_integer(0)
                                          : i < 5 ? json_null()
                                                  : json_string(""));
    }
    return o;
}

enum svc_status channels_view(struct store *s, const json_t *policy, json_t **out)
{
    struct stats_acc x = {json_object()};
    struct store_conn *c;
    enum store_status st = x.by_id ? store_read_acquire(s, &c) : STORE_ERROR;
    if (st == STORE_OK) {
        st = store_channel_stats(c, add_stats, &x);
        store_read_release(s, c);
    }
    if (st != STORE_OK) {
        json_decref(x.by_id);
        return svc_from_store(st);
    }
    json_t *items = json_array();
    int has_inapp = 0;
    size_t i;
    const json_t *ch;
    json_array_foreach(json_object_get(policy, "channels"), i, ch) {
        if (!json_is_string(json_object_get(ch, "id")) ||
            !json_is_string(json_object_get(ch, "provider")))
            continue;
        if (strcmp(json_string_value(json_object_get(ch, "provider")), "inapp") == 0)
            has_inapp = 1;
        json_array_append_new(items, channel_item(ch, x.by_id));
    }
    if (!has_inapp) { /* the worker's implicit in-app channel */
        json_t *implicit = json_pack("{s:s, s:s, s:b}", "id", "inapp", "provider", "inapp",
                                     "enabled", 1);
        json_array_append_new(items, channel_item(implicit, x.by_id));
        json_decref(implicit);
    }
    json_decref(x.by_id);
    *out = json_pack("{s:o}", "items", items);
    return SVC_OK;
}

int channels_policy_has(const json_t *policy, const char *id)
{
    size_t i;
    const json_t *ch;
    if (id && strcmp(id, "inapp") == 0)
        return 1; /* always there, implicit or not */
    json_array_foreach(json_object_get(policy, "channels"), i, ch) {
        const char *cid = json_string_value(json_object_get(ch, "id"));
        if (cid && id && strcmp(cid, id) == 0)
            return 1;
    }
    return 0;
}
