/* Ingest: the apply function the store writer runs for a group of ingest
 * writes, and the entry points that queue them.
 *
 * Why fold in memory first: with half the findings of a batch repeating keys,
 * writing the incident once per finding costs an index update per finding. Here
 * each distinct (class, correlation_key) of the whole group is loaded once,
 * every finding is folded into it in memory (core/fold.c), and then each
 * incident is written once; finding rows are small appends.
 *
 * The function is re-entrant: when the group fails, the writer rolls it back and
 * calls it again for each write alone, so all results are set at the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonin.h"
#include "ledger/ledger_int.h"
#include "ledger/views.h"
#include "util/log.h"
#include "util/timeutil.h"

struct ingest_op {
    struct ledger *l;
    const struct finding_batch *b;
    const char *actor;
    struct ledger_result *results;
    int64_t max_seq; /* highest outbox seq written */
};

struct slot {
    char *class_, *key;     /* borrowed from the first finding with this identity */
    int loaded;
    int exists;             /* inc is a stored row (id valid) */
    int dirty;
    int opened, reopened;   /* for the timeline */
    int64_t folded;         /* findings attached in this group */
    struct incident inc;
};

/* One entry per finding of the group, in order. */
struct item {
    const struct finding *f;
    struct ledger_result *res;
    struct slot *slot;      /* NULL when not attached */
    int duplicate;
    const struct item *dup_of; /* duplicate of an earlier item of this group */
};

struct change {
    struct slot *slot;
    enum incident_state from, to;
    const char *reason;
};

struct group {
    /* distinct identities: a dense array (filled in order) and an open-addressing
     * table of indices into it (cap a power of two, 0 = empty, else index + 1).
     * A slot holds a whole incident (~1 KiB): only the ones used are touched. */
    struct slot *slots;
    size_t nslots, cap;
    uint32_t *table;
    struct item *items;
    size_t nitems;
    struct change *changes;
    size_t nchanges, capchanges;
    const char **ids;        /* finding ids seen in this group -> item index (hash set) */
    size_t *id_item;
    size_t idcap;
};

static uint64_t fnv(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *a; a++)
        h = (h ^ (unsigned char)*a) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (; b && *b; b++)
        h = (h ^ (unsigned char)*b) * 1099511628211ULL;
    return h;
}

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n)
        c <<= 1;
    return c;
}

static struct slot *slot_for(struct group *g, const struct finding *f)
{
    size_t i = fnv(f->class_, f->correlation_key) & (g->cap - 1);
    for (;;) {
        uint32_t k = g->table[i];
        if (!k) {
            struct slot *s = &g->slots[g->nslots++];
            memset(s, 0, sizeof *s);
            s->class_ = (char *)f->class_;
            s->key = (char *)f->correlation_key;
            g->table[i] = (uint32_t)g->nslots;
            return s;
        }
        struct slot *s = &g->slots[k - 1];
        if (strcmp(s->class_, f->class_) == 0 && strcmp(s->key, f->correlation_key) == 0)
            return s;
        i = (i + 1) & (g->cap - 1);
    }
}

/* Earlier item of this group with the same finding id, or inserts this one. */
static struct item *seen_id(struct group *g, size_t item_index)
{
    const char *id = g->items[item_index].f->id;
    size_t i = fnv(id, NULL) & (g->idcap - 1);
    for (;;) {
        if (!g->ids[i]) {
            g->ids[i] = id;
            g->id_item[i] = item_index;
            return NULL;
        }
        if (strcmp(g->ids[i], id) == 0)
            return &g->items[g->id_item[i]];
        i = (i + 1) & (g->idcap - 1);
    }
}

static int add_change(struct group *g, struct slot *s, const struct fold_change *ch)
{
    if (g->nchanges == g->capchanges) {
        size_t nc = g->capchanges ? g->capchanges * 2 : 16;
        struct change *n = realloc(g->changes, nc * sizeof *n);
        if (!n)
            return -1;
        g->changes = n;
        g->capchanges = nc;
    }
    g->changes[g->nchanges++] = (struct change){s, ch->from, ch->to, ch->reason};
    return 0;
}

static void group_free(struct group *g)
{
    free(g->slots);
    free(g->table);
    free(g->items);
    free(g->changes);
    free(g->ids);
    free(g->id_item);
}

static int group_init(struct group *g, struct store_write **writes, size_t n)
{
    memset(g, 0, sizeof *g);
    size_t total = 0;
    for (size_t w = 0; w < n; w++)
        total += ((struct ingest_op *)writes[w]->arg)->b->count;
    g->cap = pow2_at_least(total * 2);
    g->idcap = g->cap;
    g->slots = malloc((total ? total : 1) * sizeof *g->slots);
    g->table = calloc(g->cap, sizeof *g->table);
    g->items = calloc(total ? total : 1, sizeof *g->items);
    g->ids = calloc(g->idcap, sizeof *g->ids);
    g->id_item = calloc(g->idcap, sizeof *g->id_item);
    if (!g->slots || !g->table || !g->items || !g->ids || !g->id_item)
        return -1;
    for (size_t w = 0; w < n; w++) {
        struct ingest_op *op = writes[w]->arg;
        for (size_t i = 0; i < op->b->count; i++) {
            struct item *it = &g->items[g->nitems++];
            it->f = &op->b->items[i];
            it->res = &op->results[i];
        }
    }
    return 0;
}

/* Writes a slot's incident row: update the stored one, or insert a new one. */
static enum store_status flush_slot(struct store_conn *c, struct slot *s)
{
    if (!s->dirty)
        return STORE_OK;
    s->dirty = 0;
    if (s->exists)
        return store_incident_update(c, &s->inc);
    enum store_status st = store_incident_insert(c, &s->inc);
    if (st == STORE_OK)
        s->exists = 1;
    return st;
}

/* Pass 1: duplicates and folding, in memory (reads only). */
static enum store_status fold_all(struct store_conn *c, struct group *g,
                                  const struct fold_params *fp, int64_t now)
{
    for (size_t i = 0; i < g->nitems; i++) {
        struct item *it = &g->items[i];
        const struct finding *f = it->f;
        memset(it->res, 0, sizeof *it->res);
        snprintf(it->res->finding_id, sizeof it->res->finding_id, "%s", f->id);
        if (f->id[0]) {
            const struct item *prev = seen_id(g, i);
            if (prev) {
                it->duplicate = 1;
                it->dup_of = prev;
                continue;
            }
            int64_t inc_id = 0, seq = 0;
            enum store_status st = store_finding_lookup(c, f->id, &inc_id, &seq);
            if (st == STORE_OK) {
                it->duplicate = 1;
                it->res->incident_id = inc_id;
                it->res->outcome = FOLD_DUPLICATE;
                continue;
            }
            if (st != STORE_NOT_FOUND)
                return st;
        }
        struct slot *s = slot_for(g, f);
        if (!s->loaded) {
            enum store_status st = store_incident_latest(c, f->class_, f->correlation_key, &s->inc);
            if (st == STORE_OK)
                s->exists = 1;
            else if (st != STORE_NOT_FOUND)
                return st;
            s->loaded = 1;
        }
        struct incident before = s->inc;
        struct fold_change ch;
        int had = s->exists || s->dirty; /* a record exists in the store or in memory */
        fold_finding(&s->inc, had, f, now, fp, &ch);
        it->res->outcome = ch.outcome;
        if (!ch.attached)
            continue;
        if (ch.new_record) {
            if (s->exists && s->dirty) {
                /* the old (resolved) record took findings in this group: write it
                 * before the slot moves on to the new incident */
                struct incident fresh = s->inc;
                s->inc = before;
                enum store_status st = flush_slot(c, s);
                s->inc = fresh;
                if (st != STORE_OK)
                    return st;
            }
            /* findings attached earlier (in this group) to the old record keep its
             * id; rare (a resolved incident outside its window), so a scan is fine */
            for (size_t k = 0; s->exists && s->folded && k < i; k++)
                if (g->items[k].slot == s && !g->items[k].res->incident_id)
                    g->items[k].res->incident_id = before.id;
            s->exists = 0;
            s->opened = 1;
            s->folded = 0;
        }
        if (ch.outcome == FOLD_REOPENED)
            s->reopened = 1;
        s->dirty = 1;
        s->folded++;
        it->slot = s;
        if (ch.state_changed && add_change(g, s, &ch) != 0)
            return STORE_ERROR;
    }
    return STORE_OK;
}

/* Pass 2: write incidents, findings, evidence, timeline, audit, outbox. */
static enum store_status write_all(struct store_conn *c, struct group *g, const char *actor,
                                   int64_t now, int64_t *max_seq)
{
    enum store_status st = STORE_OK;
    for (size_t i = 0; i < g->nslots && st == STORE_OK; i++)
        st = flush_slot(c, &g->slots[i]);
    /* "opened" first, so a new incident's timeline and events begin with it
     * and its first evidence follows */
    json_t *opened_ids = json_array();
    for (size_t i = 0; i < g->nslots && st == STORE_OK; i++) {
        struct slot *s = &g->slots[i];
        if (!s->folded || !s->opened)
            continue;
        json_array_append_new(opened_ids, json_integer(s->inc.id));
        st = store_timeline_append(c, s->inc.id, now, actor, "opened", s->inc.summary, NULL);
        if (st == STORE_OK)
            st = ledger_emit(c, "sre.incident.opened", s->inc.id, now, incident_json(&s->inc),
                             max_seq);
    }
    for (size_t i = 0; i < g->nitems && st == STORE_OK; i++) {
        struct item *it = &g->items[i];
        if (it->duplicate) {
            if (it->dup_of) {
                it->res->incident_id = it->dup_of->res->incident_id;
                it->res->outcome = FOLD_DUPLICATE;
            }
            continue;
        }
        if (it->slot && !it->res->incident_id)
            it->res->incident_id = it->slot->inc.id;
        int64_t seq = 0;
        st = store_finding_insert(c, it->f, it->res->incident_id, (int)it->res->outcome, now,
                                  &seq);
        if (st != STORE_OK)
            break;
        if (!it->f->id[0])
            snprintf(it->res->finding_id, sizeof it->res->finding_id, "seq:%lld",
                     (long long)seq);
        for (size_t e = 0; e < it->f->nevidence && it->res->incident_id && st == STORE_OK; e++) {
            int64_t eid = 0;
            st = store_evidence_insert(c, it->res->incident_id, &it->f->evidence[e],
                                       it->f->source, now, &eid);
            if (st == STORE_OK && eid) {
                char reason[600];
                snprintf(reason, sizeof reason, "%s: %s",
                         evidence_type_name(it->f->evidence[e].type), it->f->evidence[e].summary);
                st = store_timeline_append(c, it->res->incident_id, now, it->f->source,
                                           "evidence_added", reason, NULL);
                if (st == STORE_OK)
                    st = ledger_emit(c, "sre.evidence.added", it->res->incident_id, now,
                                     json_pack("{s:I, s:I, s:s, s:s}", "incident_id",
                                               (json_int_t)it->res->incident_id, "evidence_id",
                                               (json_int_t)eid, "type",
                                               evidence_type_name(it->f->evidence[e].type),
                                               "hash", it->f->evidence[e].hash),
                                     max_seq);
            }
        }
        if (st == STORE_OK) {
            /* the event is a reference to the finding row: readers build its data */
            char subject[48];
            if (it->res->incident_id)
                snprintf(subject, sizeof subject, "incident/%lld",
                         (long long)it->res->incident_id);
            else
                snprintf(subject, sizeof subject, "finding");
            int64_t evseq = 0;
            st = store_outbox_append(c, "sre.finding.observed", subject, now, NULL, seq, &evseq);
            if (st == STORE_OK && evseq > *max_seq)
                *max_seq = evseq;
        }
    }
    /* per incident: the folded entries; the openings of the whole group are one
     * audit record (its subject the id range, its detail the ids) */
    for (size_t i = 0; i < g->nslots && st == STORE_OK; i++) {
        struct slot *s = &g->slots[i];
        if (!s->folded)
            continue;
        if (st == STORE_OK && s->folded > (s->opened ? 1 : 0)) {
            char reason[64];
            snprintf(reason, sizeof reason, "%lld finding(s) folded",
                     (long long)(s->folded - (s->opened ? 1 : 0)));
            st = store_timeline_append(c, s->inc.id, now, actor, "finding_folded", reason, NULL);
        }
    }
    if (st == STORE_OK && json_array_size(opened_ids)) {
        json_t *d = json_pack("{s:O}", "ids", opened_ids);
        char *detail = json_dumps(d, JSON_COMPACT);
        json_decref(d);
        char subject[64];
        size_t n = json_array_size(opened_ids);
        long long first = json_integer_value(json_array_get(opened_ids, 0));
        long long last = json_integer_value(json_array_get(opened_ids, n - 1));
        if (n == 1)
            snprintf(subject, sizeof subject, "incident/%lld", first);
        else /* one writer allocates them in order: the range holds exactly these */
            snprintf(subject, sizeof subject, "incidents/%lld-%lld", first, last);
        st = detail ? store_audit_append(c, actor, "incidents.opened", subject, detail)
                    : STORE_ERROR;
        free(detail);
    }
    json_decref(opened_ids);
    for (size_t i = 0; i < g->nchanges && st == STORE_OK; i++) {
        struct change *ch = &g->changes[i];
        st = ledger_record_change(c, &ch->slot->inc, ch->from, ch->to, actor, ch->reason, now,
                                  max_seq);
    }
    return st;
}

static enum store_status ingest_apply(struct store_conn *c, struct store_write **writes, size_t n)
{
    struct ingest_op *op0 = writes[0]->arg;
    struct ledger *l = op0->l;
    int64_t now = time_now_ms();
    struct group g;
    enum store_status st = STORE_ERROR;
    if (group_init(&g, writes, n) != 0) {
        snprintf(writes[0]->err, sizeof writes[0]->err, "out of memory");
        goto out;
    }
    struct fold_params fp;
    ledger_fold_params(l, &fp);
    st = fold_all(c, &g, &fp, now);
    if (st == STORE_OK)
        st = write_all(c, &g, n == 1 ? op0->actor : "ingest", now, &op0->max_seq);
out:
    group_free(&g);
    /* on failure the writer marks each write with the connection's error */
    if (st == STORE_OK)
        for (size_t w = 0; w < n; w++)
            writes[w]->status = STORE_OK;
    return st;
}

enum svc_status ledger_ingest(struct ledger *l, const struct finding_batch *b, const char *actor,
                              struct ledger_result *results, char *err, size_t errlen)
{
    struct ingest_op op = {.l = l, .b = b, .actor = actor ? actor : "ingest", .results = results};
    struct store_write w;
    memset(&w, 0, sizeof w);
    w.apply = ingest_apply;
    w.arg = &op;
    enum store_status st = store_write_wait(l->store, &w);
    if (st != STORE_OK) {
        if (err && errlen)
            snprintf(err, errlen, "%s", w.err[0] ? w.err : store_status_name(st));
        return svc_from_store(st);
    }
    if (op.max_seq)
        ledger_note_outbox(l, op.max_seq);
    for (size_t i = 0; i < b->count; i++)
        metric_inc(l->findings_by_outcome[results[i].outcome]);
    return SVC_OK;
}

/* An ingest in flight without a waiting caller (ledger_ingest_submit). */
struct ingest_call {
    struct store_write w;
    struct ingest_op op;
    ledger_done_fn done;
    void *ctx;
};

/* On the writer thread, once the batch is durable or failed. */
static void ingest_call_done(struct store_write *w)
{
    struct ingest_call *call = (struct ingest_call *)((char *)w - offsetof(struct ingest_call, w));
    struct ledger *l = call->op.l;
    enum svc_status st = svc_from_store(w->status);
    if (st == SVC_OK) {
        if (call->op.max_seq)
            ledger_note_outbox(l, call->op.max_seq);
        for (size_t i = 0; i < call->op.b->count; i++)
            metric_inc(l->findings_by_outcome[call->op.results[i].outcome]);
    }
    call->done(call->ctx, st, w->err[0] ? w->err : store_status_name(w->status));
    free(call);
    /* last: ledger_destroy waits for this count to reach zero */
    pthread_mutex_lock(&l->mu);
    if (--l->submitted == 0)
        pthread_cond_broadcast(&l->drained);
    pthread_mutex_unlock(&l->mu);
}

enum svc_status ledger_ingest_submit(struct ledger *l, const struct finding_batch *b,
                                     const char *actor, struct ledger_result *results,
                                     ledger_done_fn done, void *ctx)
{
    struct ingest_call *call = calloc(1, sizeof *call);
    if (!call)
        return SVC_INTERNAL;
    call->op = (struct ingest_op){.l = l, .b = b, .actor = actor ? actor : "ingest",
                                  .results = results};
    call->done = done;
    call->ctx = ctx;
    call->w.apply = ingest_apply;
    call->w.arg = &call->op;
    call->w.done = ingest_call_done;
    pthread_mutex_lock(&l->mu);
    l->submitted++;
    pthread_mutex_unlock(&l->mu);
    enum store_status st = store_write_submit(l->store, &call->w);
    if (st != STORE_OK) {
        free(call);
        pthread_mutex_lock(&l->mu);
        if (--l->submitted == 0)
            pthread_cond_broadcast(&l->drained);
        pthread_mutex_unlock(&l->mu);
        return svc_from_store(st);
    }
    return SVC_OK;
}

json_t *ledger_results_json(const struct ledger_result *r, size_t n)
{
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:o, s:s}", "index", (json_int_t)i, "finding_id",
                             r[i].finding_id, "incident_id",
                             r[i].incident_id ? json_integer(r[i].incident_id) : json_null(),
                             "outcome", fold_outcome_name(r[i].outcome)));
    return json_pack("{s:o}", "items", items);
}

enum svc_status ledger_ingest_doc(struct ledger *l, json_t *doc, const char *actor,
                                  json_t **answer, struct problems *p)
{
    struct finding_batch b;
    if (findings_from_json(doc, time_now_ms(), &b, p) != 0)
        return SVC_INVALID;
    struct ledger_result *res = calloc(b.count, sizeof *res);
    enum svc_status st = SVC_INTERNAL;
    char err[160] = "out of memory";
    if (res)
        st = ledger_ingest(l, &b, actor, res, err, sizeof err);
    if (st == SVC_OK)
        *answer = ledger_results_json(res, b.count);
    else if (st != SVC_BUSY)
        log_error("ledger", "ingest of %zu findings failed: %s", b.count, err);
    free(res);
    finding_batch_clear(&b);
    return st;
}

enum svc_status ledger_ingest_json(struct ledger *l, const char *buf, size_t len,
                                   const char *actor, json_t **answer, struct problems *p)
{
    json_t *doc = jsonin_parse(buf, len, 16u << 20, JSONIN_DEFAULT_DEPTH, p);
    if (!doc)
        return SVC_INVALID;
    enum svc_status st = ledger_ingest_doc(l, doc, actor, answer, p);
    json_decref(doc);
    return st;
}
