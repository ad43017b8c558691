/* The ledger read service (views.h): every read of incidents, their evidence,
 * findings and timeline, and of the outbox, on a pooled read connection, with
 * store results mapped once (svc_from_store). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ledger/ledger_int.h"
#include "ledger/views.h"
#include "util/parse.h"

/* Runs read(c, ctx) on a pooled read connection. */
static enum svc_status with_reader(struct ledger *l,
                                   enum store_status (*read)(struct store_conn *c, void *ctx),
                                   void *ctx)
{
    struct store_conn *c;
    enum store_status st = store_read_acquire(l->store, &c);
    if (st == STORE_OK) {
        st = read(c, ctx);
        store_read_release(l->store, c);
    }
    return svc_from_store(st);
}

/* ---- listing ---- */

static int64_t sort_value(const struct incident *inc, enum incident_sort s)
{
    switch (s) {
    case SORT_FIRST_SEEN_DESC:
    case SORT_FIRST_SEEN_ASC: return inc->first_seen_ms;
    case SORT_SEVERITY_DESC:
    case SORT_SEVERITY_ASC: return inc->severity;
    default: return inc->last_seen_ms;
    }
}

int ledger_incident_cursor_parse(const char *text, struct incident_filter *f)
{
    int64_t part[3];
    if (parse_int64_dotted(text, part, 3) != 0 || part[0] != (int64_t)f->sort || part[2] < 1)
        return -1;
    f->has_cursor = 1;
    f->cursor_value = part[1];
    f->cursor_id = part[2];
    return 0;
}

struct list_ctx {
    const struct incident_filter *f;
    json_t *items;
    unsigned n;
    struct incident last;
    struct incident_scan scan;
};

static int list_one(const struct incident *inc, void *ud)
{
    struct list_ctx *lc = ud;
    json_array_append_new(lc->items, incident_json(inc));
    lc->n++;
    lc->last = *inc;
    return 0;
}

static enum store_status list_read(struct store_conn *c, void *ctx)
{
    struct list_ctx *lc = ctx;
    return store_incident_list(c, lc->f, list_one, lc, &lc->scan);
}

static json_t *cursor_json(enum incident_sort sort, int64_t value, int64_t id)
{
    char cur[96];
    snprintf(cur, sizeof cur, "%d.%" PRId64 ".%" PRId64, (int)sort, value, id);
    return json_string(cur);
}

enum svc_status ledger_incident_list(struct ledger *l, const struct incident_filter *in,
                                     json_t **out)
{
    /* A text search tests at most LEDGER_SEARCH_SCAN incidents per page, so one
     * request costs a bounded time on its thread whatever the table holds. */
    struct incident_filter f = *in;
    int search = f.q && *f.q;
    if (search)
        f.max_scan = LEDGER_SEARCH_SCAN;
    struct list_ctx lc = {.f = &f, .items = json_array()};
    enum svc_status st = with_reader(l, list_read, &lc);
    if (st != SVC_OK) {
        json_decref(lc.items);
        return st;
    }
    json_t *next = json_null();
    if (lc.n == f.limit)
        next = cursor_json(f.sort, sort_value(&lc.last, f.sort), lc.last.id);
    else if (lc.scan.stopped) /* go on after the last incident examined */
        next = cursor_json(f.sort, lc.scan.last_value, lc.scan.last_id);
    *out = json_pack("{s:o, s:o}", "items", lc.items, "next_cursor", next);
    if (search) {
        json_object_set_new(*out, "searched", json_integer(lc.scan.examined));
        json_object_set_new(*out, "search_complete", json_boolean(!lc.scan.stopped));
    }
    return SVC_OK;
}

/* ---- counts ---- */

static void add_count(const char *dim, const char *value, int64_t n, void *ud)
{
    json_t *o = ud;
    char key[16];
    snprintf(key, sizeof key, "by_%s", dim);
    json_object_set_new(json_object_get(o, key), value, json_integer(n));
    if (strcmp(dim, "state") == 0)
        json_object_set_new(o, "total",
                            json_integer(json_integer_value(json_object_get(o, "total")) + n));
}

static enum store_status counts_read(struct store_conn *c, void *ctx)
{
    return store_incident_counts(c, add_count, ctx);
}

/* The head is read before the scan, so a cached answer is at least as new as
 * the head it is kept under. Never kept longer: a client refetches when an
 * event tells it something changed, and a stale answer would then stay on its
 * screen until the next change. */
enum svc_status ledger_incident_counts(struct ledger *l, json_t **out)
{
    int64_t head = ledger_outbox_head(l);
    json_t *hit = json_cache_get(l->counts, head);
    if (hit) {
        *out = hit;
        return SVC_OK;
    }
    json_t *o = json_pack("{s:{}, s:{}, s:{}, s:i}", "by_state", "by_class", "by_severity",
                          "total", 0);
    /* every state is present, zero or not, so clients need no defaults */
    for (int s = 0; s < ST__COUNT; s++)
        json_object_set_new(json_object_get(o, "by_state"),
                            incident_state_name((enum incident_state)s), json_integer(0));
    enum svc_status st = with_reader(l, counts_read, o);
    if (st != SVC_OK) {
        json_decref(o);
        return st;
    }
    json_cache_put(l->counts, head, o);
    *out = o;
    return SVC_OK;
}

/* ---- one incident ---- */

static int add_evidence(const struct evidence_row *r, void *ud)
{
    json_array_append_new(ud, evidence_row_json(r));
    return 0;
}

static int add_finding(const struct finding_row *r, void *ud)
{
    json_array_append_new(ud, finding_row_json(r));
    return 0;
}

static int add_timeline(const struct timeline_row *r, void *ud)
{
    json_array_append_new(ud, timeline_row_json(r));
    return 0;
}

/* What one read of an incident asks for; unused parts stay zero. */
struct incident_read {
    int64_t id;
    struct incident inc;
    json_t *evidence, *findings, *timeline; /* arrays to fill, or NULL */
    unsigned evidence_limit, findings_limit, timeline_limit;
    int64_t timeline_after;
};

static enum store_status incident_read(struct store_conn *c, void *ctx)
{
    struct incident_read *r = ctx;
    enum store_status st = store_incident_get(c, r->id, &r->inc);
    if (st == STORE_OK && r->evidence)
        st = store_evidence_of(c, r->id, r->evidence_limit, add_evidence, r->evidence);
    if (st == STORE_OK && r->findings)
        st = store_findings_of(c, r->id, r->findings_limit, add_finding, r->findings);
    if (st == STORE_OK && r->timeline)
        st = store_timeline_of(c, r->id, r->timeline_after, r->timeline_limit, add_timeline,
                               r->timeline);
    return st;
}

enum svc_status ledger_incident_get(struct ledger *l, int64_t id, struct incident *out)
{
    struct incident_read r = {.id = id};
    enum svc_status st = with_reader(l, incident_read, &r);
    if (st == SVC_OK)
        *out = r.inc;
    return st;
}

#define DETAIL_EVIDENCE 100
#define DETAIL_FINDINGS 50

enum svc_status ledger_incident_detail(struct ledger *l, int64_t id, json_t **out)
{
    struct incident_read r = {.id = id,
                              .evidence = json_array(),
                              .evidence_limit = DETAIL_EVIDENCE,
                              .findings = json_array(),
                              .findings_limit = DETAIL_FINDINGS};
    enum svc_status st = with_reader(l, incident_read, &r);
    if (st != SVC_OK) {
        json_decref(r.evidence);
        json_decref(r.findings);
        return st;
    }
    json_t *o = incident_detail_json(&r.inc);
    json_object_set_new(o, "evidence", r.evidence);
    json_object_set_new(o, "findings", r.findings);
    *out = o;
    return SVC_OK;
}

/* Reads one list of an incident (the incident must exist) into a new array. */
static enum svc_status incident_list(struct ledger *l, struct incident_read *r, json_t **list,
                                     json_t **items)
{
    *list = json_array();
    enum svc_status st = with_reader(l, incident_read, r);
    if (st == SVC_OK)
        *items = *list;
    else
        json_decref(*list);
    return st;
}

enum svc_status ledger_incident_evidence(struct ledger *l, int64_t id, unsigned limit,
                                         json_t **items)
{
    struct incident_read r = {.id = id, .evidence_limit = limit};
    return incident_list(l, &r, &r.evidence, items);
}

enum svc_status ledger_incident_findings(struct ledger *l, int64_t id, unsigned limit,
                                         json_t **items)
{
    struct incident_read r = {.id = id, .findings_limit = limit};
    return incident_list(l, &r, &r.findings, items);
}

enum svc_status ledger_incident_timeline(struct ledger *l, int64_t id, int64_t after,
                                         unsigned limit, json_t **items)
{
    struct incident_read r = {.id = id, .timeline_after = after, .timeline_limit = limit};
    return incident_list(l, &r, &r.timeline, items);
}

/* ---- events ---- */

struct events_read {
    int64_t after;
    unsigned limit;
    int (*fn)(const struct outbox_row *r, void *ud);
    void *ud;
};

static enum store_status events_read(struct store_conn *c, void *ctx)
{
    struct events_read *e = ctx;
    return store_outbox_after(c, e->after, e->limit, e->fn, e->ud);
}

enum svc_status ledger_events_after(struct ledger *l, int64_t after, unsigned limit,
                                    int (*fn)(const struct outbox_row *r, void *ud), void *ud)
{
    struct events_read e = {after, limit, fn, ud};
    return with_reader(l, events_read, &e);
}
