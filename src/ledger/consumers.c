/* Outbox consumers (named, persisted cursors) and outbox retention: pruning
 * behind the slowest consumer, bounded by the maximum backlog. See
 * ledger/consumers.h. */
#include "ledger/consumers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger/ledger_int.h"
#include "util/log.h"
#include "util/timeutil.h"

#define PRUNE_STEP 20000        /* events removed per tick at most (bounded work) */
#define DROP_LOG_EVERY_MS 60000 /* one log line per lagging consumer per minute */

struct outbox_consumer {
    struct ledger *l;
    char name[OUTBOX_CONSUMER_NAME_MAX + 1];
    _Atomic int64_t cursor;
};

static int name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > OUTBOX_CONSUMER_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

struct cursor_op {
    const char *name;
    int64_t seq;
    int add; /* register (keep an existing cursor) rather than advance */
};

static enum store_status cursor_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct cursor_op *op = w[i]->arg;
        enum store_status st = op->add ? store_outbox_cursor_add(c, op->name, op->seq)
                                       : store_outbox_cursor_set(c, op->name, op->seq);
        if (st != STORE_OK)
            return st;
        w[i]->status = STORE_OK;
    }
    return STORE_OK;
}

static enum store_status write_cursor(struct ledger *l, const char *name, int64_t seq, int add)
{
    struct cursor_op op = {name, seq, add};
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = cursor_apply;
    w.arg = &op;
    return store_write_wait(l->store, &w);
}

enum svc_status ledger_consumer_open(struct ledger *l, const char *name, enum outbox_start from,
                                     struct outbox_consumer **out)
{
    if (!name_ok(name))
        return SVC_INVALID;
    struct outbox_consumer *oc = calloc(1, sizeof *oc);
    if (!oc)
        return SVC_INTERNAL;
    oc->l = l;
    snprintf(oc->name, sizeof oc->name, "%s", name);
    int64_t start = from == OUTBOX_FROM_HEAD ? ledger_outbox_head(l) : 0;
    enum store_status st = write_cursor(l, name, start, 1);
    struct store_conn *c;
    int64_t seq = 0;
    if (st == STORE_OK && (st = store_read_acquire(l->store, &c)) == STORE_OK) {
        st = store_outbox_cursor_get(c, name, &seq);
        store_read_release(l->store, c);
    }
    if (st != STORE_OK) {
        free(oc);
        return svc_from_store(st);
    }
    atomic_store(&oc->cursor, seq);
    *out = oc;
    return SVC_OK;
}

struct next_ctx {
    int (*fn)(const struct outbox_row *, void *);
    void *ud;
    int n;
};

static int count_and_call(const struct outbox_row *r, void *ud)
{
    struct next_ctx *x = ud;
    x->n++;
    return x->fn(r, x->ud);
}

int ledger_consumer_next(struct outbox_consumer *oc, unsigned limit,
                         int (*fn)(const struct outbox_row *r, void *ud), void *ud)
{
    struct store_conn *c;
    if (store_read_acquire(oc->l->store, &c) != STORE_OK)
        return -1;
    struct next_ctx x = {fn, ud, 0};
    enum store_status st =
        store_outbox_after(c, atomic_load(&oc->cursor), limit, count_and_call, &x);
    store_read_release(oc->l->store, c);
    return st == STORE_OK ? x.n : -1;
}

enum svc_status ledger_consumer_advance(struct outbox_consumer *oc, int64_t seq)
{
    if (seq <= atomic_load(&oc->cursor))
        return SVC_OK;
    enum store_status st = write_cursor(oc->l, oc->name, seq, 0);
    if (st == STORE_OK)
        atomic_store(&oc->cursor, seq);
    return svc_from_store(st);
}

int64_t ledger_consumer_cursor(const struct outbox_consumer *oc)
{
    return atomic_load(&oc->cursor);
}

void ledger_consumer_wait(struct outbox_consumer *oc, unsigned timeout_ms)
{
    ledger_outbox_wait(oc->l, atomic_load(&oc->cursor), timeout_ms);
}

void ledger_consumer_close(struct outbox_consumer *oc) { free(oc); }

/* ---- retention ---- */

struct cursor_view {
    struct {
        char name[OUTBOX_CONSUMER_NAME_MAX + 1];
        int64_t seq, lost;
    } items[LEDGER_MAX_CONSUMERS];
    size_t n;
    int64_t min;   /* over every cursor, also those past the table */
    int any;
};

static int collect_cursor(const char *name, int64_t seq, void *ud)
{
    struct cursor_view *v = ud;
    if (!v->any || seq < v->min)
        v->min = seq;
    v->any = 1;
    if (v->n < LEDGER_MAX_CONSUMERS) {
        snprintf(v->items[v->n].name, sizeof v->items[0].name, "%s", name);
        v->items[v->n].seq = seq;
        v->items[v->n].lost = 0;
        v->n++;
    }
    return 0;
}

static int first_seq(const struct outbox_row *r, void *ud)
{
    *(int64_t *)ud = r->seq;
    return 1;
}

struct prune_op {
    struct cursor_view *v;
    int64_t cut, oldest, removed;
};

/* In one transaction: moves the cursors of consumers that the cut passes to just
 * before it (counting what each loses), then removes the events below the cut.
 * Each cursor is re-read here, so a consumer that advanced meanwhile loses
 * nothing it has handled. */
static enum store_status prune_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct prune_op *op = w[i]->arg;
        for (size_t k = 0; k < op->v->n; k++) {
            op->v->items[k].lost = 0;
            if (op->v->items[k].seq >= op->cut - 1)
                continue;
            int64_t cur = 0;
            enum store_status st = store_outbox_cursor_get(c, op->v->items[k].name, &cur);
            if (st == STORE_OK && cur < op->cut - 1) {
                /* the outbox is dense from its oldest row to the head */
                int64_t from = cur > op->oldest - 1 ? cur : op->oldest - 1;
                op->v->items[k].lost = op->cut - 1 - from;
                st = store_outbox_cursor_set(c, op->v->items[k].name, op->cut - 1);
            }
            if (st != STORE_OK)
                return st;
        }
        enum store_status st = store_outbox_prune(c, op->cut, PRUNE_STEP, &op->removed);
        if (st != STORE_OK)
            return st;
        w[i]->status = STORE_OK;
    }
    return STORE_OK;
}

static struct consumer_stat *stat_of(struct ledger *l, const char *name)
{
    for (size_t i = 0; i < l->nconsumer_stats; i++)
        if (strcmp(l->consumer_stats[i].name, name) == 0)
            return &l->consumer_stats[i];
    if (l->nconsumer_stats == LEDGER_MAX_CONSUMERS)
        return NULL;
    struct consumer_stat *s = &l->consumer_stats[l->nconsumer_stats++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    const char *labels[] = {"consumer", NULL};
    s->backlog = metric_series_get(
        metrics_gauge(l->cfg.metrics, "srebot_ledger_outbox_backlog",
                      "Committed events an outbox consumer has not handled yet", labels),
        (const char *[]){name});
    s->dropped = metric_series_get(
        metrics_counter(l->cfg.metrics, "srebot_ledger_outbox_dropped_total",
                        "Events pruned before an outbox consumer handled them (max backlog)",
                        labels),
        (const char *[]){name});
    return s;
}

static void report(struct ledger *l, const struct cursor_view *v, int64_t head, int64_t cut)
{
    int64_t now = time_mono_ms();
    for (size_t k = 0; k < v->n; k++) {
        struct consumer_stat *s = stat_of(l, v->items[k].name);
        int64_t seq = v->items[k].lost ? cut - 1 : v->items[k].seq;
        if (!s)
            continue;
        metric_set(s->backlog, (double)(head > seq ? head - seq : 0));
        if (!v->items[k].lost)
            continue;
        metric_add(s->dropped, (uint64_t)v->items[k].lost);
        s->unreported += v->items[k].lost;
        if (s->last_warn_ms && now - s->last_warn_ms < DROP_LOG_EVERY_MS)
            continue;
        log_warn("ledger",
                 "outbox consumer '%s' is more than %lld events behind: %lld events up to seq "
                 "%lld were pruned before it handled them",
                 s->name, (long long)l->cfg.outbox_max_backlog, (long long)s->unreported,
                 (long long)(cut - 1));
        s->unreported = 0;
        s->last_warn_ms = now;
    }
}

void ledger_prune_outbox(struct ledger *l)
{
    pthread_mutex_lock(&l->prune_mu);
    int64_t head = ledger_outbox_head(l);
    struct cursor_view *v = calloc(1, sizeof *v);
    struct store_conn *c;
    int64_t oldest = 0;
    if (!v || store_read_acquire(l->store, &c) != STORE_OK)
        goto out;
    enum store_status st = store_outbox_cursors(c, collect_cursor, v);
    if (st == STORE_OK)
        st = store_outbox_after(c, 0, 1, first_seq, &oldest);
    store_read_release(l->store, c);
    if (st != STORE_OK)
        goto out;

    /* Keep the newest outbox_retain (SSE resume) and everything after the
     * slowest cursor, but never more than outbox_max_backlog behind the head. */
    int64_t before = head - l->cfg.outbox_retain + 1;
    if (v->any) {
        int64_t keep = v->min + 1;
        int64_t floor = head - l->cfg.outbox_max_backlog + 1;
        if (keep < floor)
            keep = floor;
        if (keep < before)
            before = keep;
    }
    int64_t cut = before;
    if (oldest > 0 && cut > oldest + PRUNE_STEP)
        cut = oldest + PRUNE_STEP;
    if (oldest > 0 && cut > oldest) {
        struct prune_op op = {v, cut, oldest, 0};
        struct store_write w;
        memset(&w, 0, sizeof w);
        w.apply = prune_apply;
        w.arg = &op;
        if (store_write_wait(l->store, &w) != STORE_OK)
            for (size_t k = 0; k < v->n; k++)
                v->items[k].lost = 0;
    }
    report(l, v, head, cut);
out:
    free(v);
    pthread_mutex_unlock(&l->prune_mu);
}
