/* The delivery worker's durable steps (ledger/channels.h). */
#include "ledger/channels.h"

#include <stdio.h>
#include <string.h>

#include "ledger/actions_int.h"
#include "util/crypto.h"

/* ---- planning ---- */

struct plan_arg {
    const char *consumer;
    int64_t notification_id;
    struct delivery_rec *recs;
    size_t n;
};

static enum store_status plan_fn(struct store_conn *c, struct act_op *op)
{
    struct plan_arg *x = op->arg;
    int64_t cur = 0;
    enum store_status st = store_notification_cursor_get(c, x->consumer, &cur);
    if (st != STORE_OK)
        return st;
    if (cur >= x->notification_id) { /* planned before (another pass raced us) */
        op->answer = SVC_CONFLICT;
        return STORE_OK;
    }
    for (size_t i = 0; i < x->n; i++) {
        int created;
        x->recs[i].created_at_ms = x->recs[i].updated_at_ms = op->now;
        if ((st = store_delivery_insert(c, &x->recs[i], &created)) != STORE_OK)
            return st;
    }
    return store_notification_cursor_set(c, x->consumer, x->notification_id);
}

enum svc_status channels_plan(struct ledger *l, const char *consumer, int64_t notification_id,
                              struct delivery_rec *recs, size_t n, int64_t now_ms)
{
    struct plan_arg x = {consumer, notification_id, recs, n};
    struct act_op op = {.fn = plan_fn, .arg = &x, .now = now_ms};
    return act_run(l, &op);
}

/* ---- intent ---- */

struct begin_arg {
    int64_t id;
    struct delivery_rec rec;
};

static enum store_status begin_fn(struct store_conn *c, struct act_op *op)
{
    struct begin_arg *x = op->arg;
    enum store_status st = store_delivery_get(c, x->id, &x->rec);
    if (st == STORE_NOT_FOUND || (st == STORE_OK && strcmp(x->rec.state, "pending") != 0)) {
        op->answer = st == STORE_OK ? SVC_CONFLICT : SVC_NOT_FOUND;
        return STORE_OK;
    }
    if (st != STORE_OK)
        return st;
    snprintf(x->rec.state, sizeof x->rec.state, "sending");
    x->rec.updated_at_ms = op->now;
    return store_delivery_update(c, &x->rec);
}

enum svc_status channels_begin(struct ledger *l, int64_t delivery_id, int64_t now_ms,
                               struct delivery_rec *out)
{
    struct begin_arg x = {.id = delivery_id};
    struct act_op op = {.fn = begin_fn, .arg = &x, .now = now_ms};
    enum svc_status st = act_run(l, &op);
    if (st == SVC_OK && out)
        *out = x.rec;
    return st;
}

/* ---- steps ---- */

static json_t *step_event(const struct delivery_step *s, int64_t now)
{
    const struct delivery_rec *r = &s->rec;
    json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:i, s:i}", "notification_id",
                          (json_int_t)r->notification_id, "channel", r->channel, "provider",
                          s->provider ? s->provider : "", "state", r->state, "attempts",
                          r->attempts, "hop", r->hop);
    if (s->incident_id)
        json_object_set_new(d, "incident_id", json_integer(s->incident_id));
    if (r->last_error[0])
        json_object_set_new(d, "error", json_string(r->last_error));
    if (strcmp(r->state, "pending") == 0)
        json_object_set_new(d, "retry_in_ms", json_integer(s->retry_at_ms - now));
    return d;
}

static enum store_status record_fn(struct store_conn *c, struct act_op *op)
{
    const struct delivery_step *s = op->arg;
    struct delivery_rec r = s->rec;
    r.updated_at_ms = op->now;
    enum store_status st = store_delivery_update(c, &r);
    if (st != STORE_OK)
        return st;
    int sent = strcmp(r.state, "sent") == 0;
    if (sent && s->incident_id && s->thread_ref && s->thread_ref[0] &&
        (st = store_channel_thread_set(c, s->incident_id, r.channel, s->thread_ref, op->now)) !=
            STORE_OK)
        return st;
    json_t *ev = step_event(s, op->now);
    if (!sent) /* final: this channel will not try this message again */
        json_object_set_new(ev, "final", json_boolean(strcmp(r.state, "pending") != 0));
    st = ledger_emit(c, sent ? "sre.notification.delivered" : "sre.notification.delivery_failed",
                     s->incident_id, op->now, ev, &op->max_seq);
    if (st != STORE_OK || !s->failover)
        return st;
    struct delivery_rec f = *s->failover;
    int created = 0;
    f.created_at_ms = f.updated_at_ms = op->now;
    if ((st = store_delivery_insert(c, &f, &created)) != STORE_OK || !created)
        return st;
    return ledger_emit(c, "sre.notification.failover", s->incident_id, op->now,
                       json_pack("{s:I, s:s, s:s, s:i, s:s}", "notification_id",
                                 (json_int_t)r.notification_id, "from", r.channel, "to",
                                 f.channel, "hop", f.hop, "reason", r.last_error),
                       &op->max_seq);
}

enum svc_status channels_record(struct ledger *l, const struct delivery_step *s, int64_t now_ms)
{
    struct act_op op = {.fn = record_fn, .arg = (void *)s, .now = now_ms};
    return act_run(l, &op);
}

/* ---- the console's test message ---- */

struct test_arg {
    const char *channel, *actor;
    struct notification_rec n;
};

static enum store_status test_fn(struct store_conn *c, struct act_op *op)
{
    struct test_arg *x = op->arg;
    enum store_status st = ledger_notification_write(c, &x->n, op->now, &op->max_seq, NULL);
    if (st != STORE_OK)
        return st;
    char subject[96];
    snprintf(subject, sizeof subject, "channel/%s", x->channel);
    char detail[160];
    snprintf(detail, sizeof detail, "{\"notification_id\":%lld}", (long long)x->n.id);
    return store_audit_append(c, x->actor, "channel.test", subject, detail);
}

enum svc_status channels_test_post(struct ledger *l, const char *channel, const char *actor,
                                   int64_t now_ms, int64_t *id)
{
    struct test_arg x = {.channel = channel, .actor = actor};
    uint8_t rnd[6] = {0};
    char hex[13];
    crypto_random(rnd, sizeof rnd);
    hex_encode(rnd, sizeof rnd, hex);
    snprintf(x.n.kind, sizeof x.n.kind, "test");
    snprintf(x.n.channel, sizeof x.n.channel, "%s", channel);
    snprintf(x.n.dedupe_key, sizeof x.n.dedupe_key, "test-%lld-%s", (long long)now_ms, hex);
    snprintf(x.n.title, sizeof x.n.title, "Test message from srebot");
    snprintf(x.n.body, sizeof x.n.body,
             "%s sent this test from the console to channel %s. If you read it, the channel "
             "works.",
             actor, channel);
    struct act_op op = {.fn = test_fn, .arg = &x, .now = now_ms};
    enum svc_status st = act_run(l, &op);
    if (st == SVC_OK && id)
        *id = x.n.id;
    return st;
}
