/* The delivery worker: object, thread, provider instances from the policy,
 * the planning pass and start-up reconciliation. Sending is delivery_send.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/delivery_int.h"
#include "core/finding.h"
#include "ledger/channels.h"
#include "ledger/ledger.h"
#include "store/action_repo.h"
#include "util/log.h"
#include "util/timeutil.h"

void channel_worker_config_defaults(struct channel_worker_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tick_ms = 1000;
    cfg->send_timeout_ms = 15000;
    cfg->rate_per_minute = 60;
    retry_policy_defaults(&cfg->retry);
    cfg->first_start_window_ms = 10 * 60 * 1000;
    cfg->report_findings = 1;
    cfg->consumer = "channels";
}

/* ---- provider instances ---- */

struct channel_slot *worker_slot(struct channel_worker *w, const char *id)
{
    for (size_t i = 0; i < w->nslots; i++)
        if (strcmp(w->slots[i].id, id) == 0)
            return &w->slots[i];
    return NULL;
}

static void slots_clear(struct channel_worker *w)
{
    for (size_t i = 0; i < w->nslots; i++)
        if (w->slots[i].ops && w->slots[i].instance && w->slots[i].ops->destroy)
            w->slots[i].ops->destroy(w->slots[i].instance);
    w->nslots = 0;
}

static void slot_init(struct channel_worker *w, struct channel_slot *s, const json_t *settings)
{
    s->ops = channel_find_in(w->cfg.extra_providers, s->provider);
    if (!s->ops)
        s->ops = channel_find(s->provider);
    if (!s->ops) {
        snprintf(s->init_error, sizeof s->init_error, "provider %s is not in this build",
                 s->provider);
        return;
    }
    char err[200] = "";
    if (s->ops->init && s->ops->init(settings, &w->deps, &s->instance, err, sizeof err) != 0) {
        s->instance = NULL;
        snprintf(s->init_error, sizeof s->init_error, "%s", err[0] ? err : "init failed");
        log_warn("channels", "channel %s (%s): %s", s->id, s->provider, s->init_error);
    }
}

/* Rebuilds the instances when a new policy version is saved (settings may
 * have changed); rate buckets and open findings carry over by channel id. */
void worker_refresh_policy(struct channel_worker *w)
{
    json_t *doc = ledger_policy(w->cfg.ledger);
    if (w->policy_doc && doc == w->policy_doc) {
        json_decref(doc);
        return;
    }
    struct channel_slot *old = malloc(sizeof w->slots);
    size_t nold = w->nslots;
    if (old)
        memcpy(old, w->slots, sizeof w->slots);
    for (size_t i = 0; i < w->nslots; i++) /* instances go; their state is copied */
        if (w->slots[i].ops && w->slots[i].instance && w->slots[i].ops->destroy)
            w->slots[i].ops->destroy(w->slots[i].instance);
    w->nslots = 0;
    memset(w->slots, 0, sizeof w->slots);
    snprintf(w->inapp_id, sizeof w->inapp_id, "%s", delivery_inapp_id(doc));
    size_t i;
    const json_t *ch;
    json_array_foreach(json_object_get(doc, "channels"), i, ch) {
        const char *id = json_string_value(json_object_get(ch, "id"));
        const char *prov = json_string_value(json_object_get(ch, "provider"));
        if (!id || !prov || strlen(id) >= CHANNEL_ID_MAX || w->nslots == WORKER_MAX_CHANNELS - 1 ||
            worker_slot(w, id))
            continue;
        struct channel_slot *s = &w->slots[w->nslots++];
        snprintf(s->id, sizeof s->id, "%s", id);
        snprintf(s->provider, sizeof s->provider, "%s", prov);
        s->enabled = !json_is_false(json_object_get(ch, "enabled"));
        json_int_t rate = json_integer_value(json_object_get(ch, "rate_per_minute"));
        s->rate_per_minute = rate > 0 ? (unsigned)rate : w->cfg.rate_per_minute;
        slot_init(w, s, json_object_get(ch, "settings"));
    }
    if (!worker_slot(w, w->inapp_id)) { /* the implicit in-app channel: always there */
        struct channel_slot *s = &w->slots[w->nslots++];
        snprintf(s->id, sizeof s->id, "%s", w->inapp_id);
        snprintf(s->provider, sizeof s->provider, "inapp");
        s->enabled = 1;
        slot_init(w, s, NULL);
    }
    for (size_t k = 0; old && k < nold; k++) {
        struct channel_slot *s = worker_slot(w, old[k].id);
        if (s) {
            s->bucket = old[k].bucket;
            s->failing = old[k].failing;
        }
    }
    free(old);
    json_decref(w->policy_doc);
    w->policy_doc = doc;
}

/* ---- planning ---- */

struct note_batch {
    struct notification_rec *items;
    size_t n;
};

static int collect_note(const struct notification_rec *r, void *ud)
{
    struct note_batch *b = ud;
    b->items[b->n++] = *r;
    return b->n == PLAN_BATCH;
}

static int read_incident(struct channel_worker *w, int64_t id, struct incident *inc)
{
    struct store_conn *c;
    if (!id || store_read_acquire(w->cfg.store, &c) != STORE_OK)
        return -1;
    enum store_status st = store_incident_get(c, id, inc);
    store_read_release(w->cfg.store, c);
    return st == STORE_OK ? 0 : -1;
}

static void add_record(struct delivery_rec *recs, size_t *n, size_t cap, int64_t nid,
                       const struct route *r, int64_t now)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(recs[i].channel, r->ids[0]) == 0)
            return; /* a channel in two routes gets the message once */
    if (*n == cap)
        return;
    struct delivery_rec *d = &recs[(*n)++];
    memset(d, 0, sizeof *d);
    d->notification_id = nid;
    snprintf(d->channel, sizeof d->channel, "%s", r->ids[0]);
    snprintf(d->state, sizeof d->state, "pending");
    if (route_to_text(r, d->route, sizeof d->route) != 0)
        snprintf(d->route, sizeof d->route, "[\"%s\"]", r->ids[0]);
    d->next_at_ms = now;
}

/* The first records of notification n. */
static size_t plan_records(struct channel_worker *w, const struct notification_rec *n,
                           struct delivery_rec *recs, size_t cap, int64_t now)
{
    size_t count = 0;
    struct route *routes = calloc(ROUTES_MAX, sizeof *routes);
    if (!routes)
        return 0;
    size_t nr = 0;
    if (strcmp(n->kind, "test") == 0) { /* only the channel it was sent to */
        snprintf(routes[0].ids[0], CHANNEL_ID_MAX, "%s", n->channel);
        routes[0].n = 1;
        nr = 1;
    } else {
        struct incident inc;
        int has = read_incident(w, n->incident_id, &inc) == 0;
        nr = delivery_routes(w->policy_doc, has ? (int)inc.severity : n->severity,
                             has ? inc.class_ : NULL, routes, ROUTES_MAX);
        if (nr == 0) { /* no rule and no fallback: the inbox */
            snprintf(routes[0].ids[0], CHANNEL_ID_MAX, "%s", w->inapp_id);
            routes[0].n = 1;
            nr = 1;
        }
    }
    for (size_t i = 0; i < nr; i++)
        add_record(recs, &count, cap, n->id, &routes[i], now);
    free(routes);
    return count;
}

/* Where a new cursor starts: notifications from the last window are still
 * delivered; older ones (an upgrade, a restored database) are not. */
static int64_t first_cursor(struct channel_worker *w, struct store_conn *c, int64_t now)
{
    struct notification_rec *items = calloc(PLAN_BATCH, sizeof *items);
    struct note_batch b = {items, 0};
    int64_t cursor = 0;
    if (items && store_notification_list(c, 0, 0, PLAN_BATCH, collect_note, &b) == STORE_OK)
        for (size_t i = 0; i < b.n; i++) /* newest first */
            if (items[i].created_at_ms < now - w->cfg.first_start_window_ms) {
                cursor = items[i].id;
                break;
            }
    free(items);
    return cursor;
}

/* Plans the notifications after the cursor; 1 when a full batch was read. */
static int plan_pass(struct channel_worker *w, int64_t now)
{
    struct notification_rec *items = calloc(PLAN_BATCH, sizeof *items);
    struct delivery_rec *recs = calloc(ROUTES_MAX, sizeof *recs);
    struct note_batch b = {items, 0};
    struct store_conn *c;
    int more = 0;
    if (!items || !recs || store_read_acquire(w->cfg.store, &c) != STORE_OK)
        goto out;
    int64_t cursor = 0;
    enum store_status st = store_notification_cursor_get(c, w->cfg.consumer, &cursor);
    if (st == STORE_OK && cursor == 0)
        cursor = first_cursor(w, c, now);
    if (st == STORE_OK)
        st = store_notification_after(c, cursor, PLAN_BATCH, collect_note, &b);
    store_read_release(w->cfg.store, c);
    if (st != STORE_OK)
        goto out;
    for (size_t i = 0; i < b.n; i++) {
        size_t nrec = plan_records(w, &items[i], recs, ROUTES_MAX, now);
        enum svc_status s = channels_plan(w->cfg.ledger, w->cfg.consumer, items[i].id, recs, nrec,
                                          now);
        if (s != SVC_OK && s != SVC_CONFLICT) {
            log_warn("channels", "planning notification %lld: %s", (long long)items[i].id,
                     svc_status_text(s));
            goto out;
        }
    }
    more = b.n == PLAN_BATCH;
out:
    free(items);
    free(recs);
    return more;
}

/* ---- reconciliation ---- */

int worker_collect_rec(const struct delivery_rec *r, void *ud)
{
    struct delivery_rec *arr = ud;
    for (size_t i = 0; i < DUE_BATCH; i++)
        if (!arr[i].id) {
            arr[i] = *r;
            return i + 1 == DUE_BATCH;
        }
    return 1;
}

unsigned channel_worker_recover(struct channel_worker *w, int64_t now_ms)
{
    worker_refresh_policy(w);
    unsigned total = 0;
    for (int round = 0; round < 64; round++) {
        struct delivery_rec *arr = calloc(DUE_BATCH, sizeof *arr);
        struct store_conn *c;
        if (!arr || store_read_acquire(w->cfg.store, &c) != STORE_OK) {
            free(arr);
            break;
        }
        enum store_status st = store_delivery_in_state(c, "sending", DUE_BATCH, worker_collect_rec, arr);
        store_read_release(w->cfg.store, c);
        size_t n = 0;
        for (; st == STORE_OK && n < DUE_BATCH && arr[n].id; n++)
            worker_settle(w, &arr[n], "unknown",
                          "the process stopped while sending: not resent (the provider may "
                          "have shown it)",
                          now_ms);
        free(arr);
        total += (unsigned)n;
        if (n < DUE_BATCH)
            break;
    }
    return total;
}

/* ---- the thread ---- */

static int stopping(struct channel_worker *w)
{
    pthread_mutex_lock(&w->mu);
    int s = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return s;
}

void channel_worker_run_once(struct channel_worker *w, int64_t now_ms)
{
    worker_refresh_policy(w);
    for (int rounds = 0; rounds < 16 && plan_pass(w, now_ms); rounds++)
        ;
    worker_send_due(w, now_ms);
}

static void *worker_main(void *arg)
{
    struct channel_worker *w = arg;
    while (!stopping(w)) {
        int64_t head = ledger_outbox_head(w->cfg.ledger);
        channel_worker_run_once(w, time_now_ms());
        /* new notifications commit an outbox event: wake for them, or at the
         * next tick for retries that fall due */
        ledger_outbox_wait(w->cfg.ledger, head, w->cfg.tick_ms);
    }
    return NULL;
}

int channel_worker_create(const struct channel_worker_config *cfg, struct channel_worker **out,
                          char *err, size_t errlen)
{
    if (!cfg->ledger || !cfg->store) {
        snprintf(err, errlen, "channels: the worker needs the ledger and the store");
        return -1;
    }
    struct channel_worker *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->cfg = *cfg;
    if (!w->cfg.tick_ms)
        w->cfg.tick_ms = 1000;
    if (!w->cfg.send_timeout_ms)
        w->cfg.send_timeout_ms = 15000;
    if (!w->cfg.consumer)
        w->cfg.consumer = "channels";
    if (!w->cfg.retry.max_attempts)
        retry_policy_defaults(&w->cfg.retry);
    w->deps.net = cfg->net;
    w->deps.file_roots = cfg->file_roots;
    w->deps.console_base_url = cfg->console_base_url;
    pthread_mutex_init(&w->mu, NULL);
    *out = w;
    return 0;
}

int channel_worker_start(struct channel_worker *w)
{
    if (w->started)
        return 0;
    unsigned n = channel_worker_recover(w, time_now_ms());
    if (n)
        log_warn("channels",
                 "%u message(s) were being sent when the process stopped: marked unknown, not "
                 "resent; the next channel of their route takes them",
                 n);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        return -1;
    w->started = 1;
    return 0;
}

void channel_worker_stop(struct channel_worker *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->started = 0;
}

void channel_worker_destroy(struct channel_worker *w)
{
    if (!w)
        return;
    channel_worker_stop(w);
    slots_clear(w);
    json_decref(w->policy_doc);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
