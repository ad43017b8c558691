/* The delivery worker's sending pass: rate limit, intent, provider call,
 * outcome (retry / give up / failover), and the delivery-failure finding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/delivery_int.h"
#include "channels/template.h"
#include "core/problems.h"
#include "ledger/channels.h"
#include "ledger/ledger.h"
#include "store/action_repo.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

/* Everything a send needs, read in one go on a read connection. */
struct send_ctx {
    struct notification_rec note;
    struct incident inc;
    int has_inc;
    char thread_ref[CHANNEL_REF_MAX];
    char reply_ref[CHANNEL_REF_MAX];
};

static int load_ctx(struct channel_worker *w, const struct delivery_rec *r, struct send_ctx *x)
{
    struct store_conn *c;
    if (store_read_acquire(w->cfg.store, &c) != STORE_OK)
        return -1;
    enum store_status st = store_notification_get(c, r->notification_id, &x->note);
    if (st == STORE_OK && x->note.incident_id) {
        x->has_inc = store_incident_get(c, x->note.incident_id, &x->inc) == STORE_OK;
        st = store_channel_thread_get(c, x->note.incident_id, r->channel, x->thread_ref,
                                      sizeof x->thread_ref);
    }
    if (st == STORE_OK && x->note.approval_id && strcmp(x->note.kind, "approval_result") == 0)
        st = store_delivery_request_ref(c, x->note.approval_id, r->channel, x->reply_ref,
                                        sizeof x->reply_ref);
    store_read_release(w->cfg.store, c);
    return st == STORE_OK ? 0 : -1;
}

/* The route's next record after r, into f; 0 when there is one. Test
 * messages never fail over: they test one channel. */
static int failover_record(struct channel_worker *w, const struct delivery_rec *r,
                           const struct notification_rec *n, int64_t now, struct delivery_rec *f)
{
    struct route route;
    int hop = 0;
    if (strcmp(n->kind, "test") == 0 || route_from_text(r->route, &route) != 0)
        return -1;
    const char *next = route_next(&route, r->hop, w->inapp_id, &hop);
    if (!next)
        return -1;
    memset(f, 0, sizeof *f);
    f->notification_id = r->notification_id;
    snprintf(f->channel, sizeof f->channel, "%s", next);
    snprintf(f->state, sizeof f->state, "pending");
    snprintf(f->route, sizeof f->route, "%s", r->route);
    f->hop = hop;
    f->next_at_ms = now;
    return 0;
}

void worker_report(struct channel_worker *w, struct channel_slot *s, int failing,
                   const char *error)
{
    if (!w->cfg.report_findings || !s || s->failing == failing ||
        strcmp(s->provider, "inapp") == 0)
        return;
    char key[96];
    snprintf(key, sizeof key, "channel/%s", s->id);
    char summary[400];
    snprintf(summary, sizeof summary,
             failing ? "channel %s (%s) fails to deliver notifications: %.250s"
                     : "channel %s (%s) delivers again%.0s",
             s->id, s->provider, error ? error : "");
    json_t *f = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "source", "srebot.channels", "class",
                          "async_workloads.notification_delivery_failure", "correlation_key", key,
                          "severity", "warning", "status", failing ? "firing" : "resolved",
                          "summary", summary);
    struct problems *p = problems_create();
    json_t *answer = NULL;
    enum svc_status st = f && p ? ledger_ingest_doc(w->cfg.ledger, f, "srebot", &answer, p)
                                : SVC_INTERNAL;
    if (st == SVC_OK)
        s->failing = failing;
    else
        log_warn("channels", "recording the delivery failure of channel %s: %s", s->id,
                 svc_status_text(st));
    json_decref(answer);
    json_decref(f);
    problems_destroy(p);
}

void worker_settle(struct channel_worker *w, struct delivery_rec *r, const char *state,
                   const char *error, int64_t now)
{
    struct send_ctx *x = calloc(1, sizeof *x);
    if (!x || load_ctx(w, r, x) != 0) {
        free(x);
        return;
    }
    struct delivery_step step;
    memset(&step, 0, sizeof step);
    step.rec = *r;
    snprintf(step.rec.state, sizeof step.rec.state, "%s", state);
    snprintf(step.rec.last_error, sizeof step.rec.last_error, "%s", error);
    struct delivery_rec f;
    if (!r->failed_over && failover_record(w, r, &x->note, now, &f) == 0) {
        step.failover = &f;
        step.rec.failed_over = 1;
    }
    step.incident_id = x->note.incident_id;
    struct channel_slot *s = worker_slot(w, r->channel);
    step.provider = s ? s->provider : "";
    enum svc_status st = channels_record(w->cfg.ledger, &step, now);
    if (st != SVC_OK)
        log_warn("channels", "recording delivery %lld: %s", (long long)r->id,
                 svc_status_text(st));
    free(x);
}

static enum adapter_result call_provider(struct channel_worker *w, struct channel_slot *s,
                                         const struct delivery_rec *r, struct send_ctx *x,
                                         struct channel_outcome *out)
{
    if (s->init_error[0]) { /* init failed: maybe a secret is missing, retry later */
        snprintf(out->error, sizeof out->error, "%s", s->init_error);
        return ADAPTER_RETRY;
    }
    struct channel_text *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(out->error, sizeof out->error, "out of memory");
        return ADAPTER_RETRY;
    }
    channel_render(&x->note, x->has_inc ? &x->inc : NULL, w->cfg.console_base_url, t);
    struct channel_message m;
    channel_message_from(&x->note, t, &m);
    m.thread_ref = x->thread_ref[0] ? x->thread_ref : NULL;
    m.reply_ref = x->reply_ref[0] ? x->reply_ref : NULL;
    m.deadline_ns = time_mono_ns() + (uint64_t)w->cfg.send_timeout_ms * 1000000ULL;
    enum adapter_result res = s->ops->send(s->instance, &m, out);
    free(t);
    if (res != ADAPTER_OK && !out->error[0])
        snprintf(out->error, sizeof out->error, "%s: %s", s->provider, adapter_result_name(res));
    return res;
}

static void send_one(struct channel_worker *w, const struct delivery_rec *due, int64_t now)
{
    struct channel_slot *s = worker_slot(w, due->channel);
    struct delivery_rec r = *due;
    char why[200];
    if (!s || !s->ops) {
        snprintf(why, sizeof why, s ? "%s" : "channel %s is not in the policy",
                 s ? s->init_error : due->channel);
        worker_settle(w, &r, "failed", why, now);
        worker_report(w, s, 1, why);
        return;
    }
    if (!s->enabled) {
        worker_settle(w, &r, "skipped", "the channel is disabled", now);
        return;
    }
    if (!rate_take(&s->bucket, s->rate_per_minute, now, NULL))
        return; /* stays pending: the next pass takes it */
    if (channels_begin(w->cfg.ledger, due->id, now, &r) != SVC_OK)
        return; /* no longer pending, or the store is busy: the next pass */
    struct send_ctx *x = calloc(1, sizeof *x);
    struct channel_outcome out;
    memset(&out, 0, sizeof out);
    enum adapter_result res = ADAPTER_RETRY;
    if (!x || load_ctx(w, &r, x) != 0)
        snprintf(out.error, sizeof out.error, "reading the notification failed");
    else
        res = call_provider(w, s, &r, x, &out);
    out.error[sizeof out.error - 1] = '\0';
    uint64_t rnd = 0;
    crypto_random(&rnd, sizeof rnd);
    struct delivery_decision d;
    r.attempts++;
    delivery_decide(&w->cfg.retry, res, (unsigned)r.attempts, r.created_at_ms, now,
                    out.retry_after_ms, rnd, r.failed_over, &d);
    struct delivery_step step;
    memset(&step, 0, sizeof step);
    step.provider = s->provider;
    step.incident_id = x ? x->note.incident_id : 0;
    struct delivery_rec f;
    if (d.verdict == DELIVERY_SENT) {
        snprintf(r.state, sizeof r.state, "sent");
        r.last_error[0] = '\0';
        r.sent_at_ms = now;
        snprintf(r.message_ref, sizeof r.message_ref, "%s", out.message_ref);
        step.thread_ref = out.thread_ref[0] ? out.thread_ref : NULL;
    } else {
        snprintf(r.state, sizeof r.state, "%s",
                 d.verdict == DELIVERY_RETRY ? "pending" : "failed");
        snprintf(r.last_error, sizeof r.last_error, "%s", out.error);
        r.next_at_ms = d.verdict == DELIVERY_RETRY ? d.next_at_ms : r.next_at_ms;
        step.retry_at_ms = d.next_at_ms;
        if (d.failover && x && failover_record(w, &r, &x->note, now, &f) == 0) {
            step.failover = &f;
            r.failed_over = 1;
        }
    }
    step.rec = r;
    enum svc_status st = channels_record(w->cfg.ledger, &step, now);
    if (st != SVC_OK)
        log_warn("channels", "recording delivery %lld on %s: %s", (long long)r.id, r.channel,
                 svc_status_text(st));
    else if (d.verdict == DELIVERY_SENT)
        worker_report(w, s, 0, NULL);
    else if (d.verdict == DELIVERY_GIVE_UP || step.failover)
        worker_report(w, s, 1, r.last_error);
    free(x);
}

size_t worker_send_due(struct channel_worker *w, int64_t now)
{
    struct delivery_rec *arr = calloc(DUE_BATCH, sizeof *arr);
    struct store_conn *c;
    if (!arr || store_read_acquire(w->cfg.store, &c) != STORE_OK) {
        free(arr);
        return 0;
    }
    enum store_status st = store_delivery_due(c, now, DUE_BATCH, worker_collect_rec, arr);
    store_read_release(w->cfg.store, c);
    size_t n = 0;
    for (; st == STORE_OK && n < DUE_BATCH && arr[n].id; n++) {
        pthread_mutex_lock(&w->mu);
        int stop = w->stopping;
        pthread_mutex_unlock(&w->mu);
        if (stop)
            break;
        send_one(w, &arr[n], now);
    }
    free(arr);
    return n;
}
