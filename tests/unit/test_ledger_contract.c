/* The ledger contract: what the ledger service must do on any store backend.
 * Runs against SREBOT_STORE_TEST_URL when set, else a fresh SQLite file per
 * test (store_fixture.h), through the service and its read service only, so a
 * new backend (PostgreSQL) passes it unchanged or shows where it differs:
 *
 *   ingest and fold, idempotent finding ids (in one batch, across batches, across
 *   a restart), resolve -> recovering -> resolved -> re-open / new incident,
 *   operator transitions and their refusals, evidence de-duplication, the
 *   timeline, outbox order and resume, the bounded text search and its
 *   continuation, and concurrent ingest from several
 *   threads into shared incidents with exact counts, while a reader follows the
 *   outbox and must see every event exactly once, in order.
 *
 * The last one is the fold's serialization assumption (src/store/backend.h,
 * "Serialization"): SQLite meets it with one writer; a backend with concurrent
 * writers has to meet it some other way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>

#include "ledger/ledger.h"
#include "ledger/views.h"
#include "ledger_fixture.h"
#include "store/ledger_repo.h"
#include "store_fixture.h"

struct lfx {
    struct fixture f;
    struct store *store;
    struct ledger *ledger;
};

static void lfx_open(struct lfx *x, const struct fold_params *fp)
{
    x->store = fixture_open(&x->f, 0, 0);
    assert_non_null(x->store);
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = x->store;
    if (fp)
        lc.fold = *fp;
    /* not started: the tests drive the tick with their own clock */
    assert_int_equal(ledger_create(&lc, &x->ledger), SVC_OK);
}

static void lfx_close(struct lfx *x)
{
    ledger_destroy(x->ledger);
    x->ledger = NULL;
    store_close(x->store);
    x->store = NULL;
}

static int setup(void **state)
{
    struct lfx *x = calloc(1, sizeof *x);
    fixture_init(&x->f);
    lfx_open(x, NULL);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct lfx *x = *state;
    if (x->store)
        lfx_close(x);
    fixture_cleanup(&x->f);
    free(x);
    return 0;
}

static json_t *ingest(struct lfx *x, const char *doc)
{
    return ledger_ingest_items(x->ledger, doc, "contract");
}

static struct incident get(struct lfx *x, int64_t id)
{
    struct incident inc;
    assert_int_equal(ledger_incident_get(x->ledger, id, &inc), SVC_OK);
    return inc;
}

static json_t *timeline(struct lfx *x, int64_t id)
{
    json_t *items = NULL;
    assert_int_equal(ledger_incident_timeline(x->ledger, id, 0, 1000, &items), SVC_OK);
    return items;
}

static size_t count_kind(json_t *items, const char *kind)
{
    size_t n = 0, i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        n += strcmp(json_string_value(json_object_get(it, "kind")), kind) == 0;
    }
    return n;
}

#define F(id, key, status)                                                                         \
    "{\"id\":\"" id "\",\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","    \
    "\"correlation_key\":\"" key "\",\"severity\":\"high\",\"status\":\"" status "\","            \
    "\"summary\":\"disk\"}"

#define FE(id, key, used)                                                                          \
    "{\"id\":\"" id "\",\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","    \
    "\"correlation_key\":\"" key "\",\"severity\":\"high\",\"status\":\"firing\","                \
    "\"summary\":\"disk\",\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\","        \
    "\"data\":{\"used\":" used "}}]}"

/* ------------------------------------------------ ingest, fold, idempotent ids */

static void ingest_folds_and_ids_are_idempotent(void **state)
{
    struct lfx *x = *state;
    json_t *a = ingest(x, "[" F("a1", "n1", "firing") "," F("a2", "n1", "firing") ","
                          F("a3", "n2", "firing") "," F("a1", "n1", "firing") "]");
    assert_string_equal(outcome(a, 0), "opened");
    assert_string_equal(outcome(a, 1), "folded");
    assert_string_equal(outcome(a, 2), "opened");
    assert_string_equal(outcome(a, 3), "duplicate");
    int64_t n1 = incident_of(a, 0), n2 = incident_of(a, 2);
    assert_true(n1 > 0 && n2 > 0 && n1 != n2);
    assert_int_equal(incident_of(a, 1), n1);
    assert_int_equal(incident_of(a, 3), n1);

    json_t *b = ingest(x, "[" F("a2", "n1", "firing") "," F("a3", "n2", "firing") ","
                          "{\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","
                          "\"correlation_key\":\"n1\",\"severity\":\"high\","
                          "\"status\":\"firing\",\"summary\":\"disk\"}]");
    assert_string_equal(outcome(b, 0), "duplicate");
    assert_int_equal(incident_of(b, 0), n1);
    assert_string_equal(outcome(b, 1), "duplicate");
    assert_int_equal(incident_of(b, 1), n2);
    assert_string_equal(outcome(b, 2), "folded"); /* no id: never a duplicate */
    assert_int_equal(get(x, n1).finding_count, 3);
    assert_int_equal(get(x, n2).finding_count, 1);

    /* ids survive a restart of the store and the ledger */
    lfx_close(x);
    lfx_open(x, NULL);
    json_t *c = ingest(x, "[" F("a1", "n1", "firing") "]");
    assert_string_equal(outcome(c, 0), "duplicate");
    assert_int_equal(incident_of(c, 0), n1);
    assert_int_equal(get(x, n1).finding_count, 3);

    /* the read service agrees: two incidents, the findings of each */
    json_t *counts = NULL;
    assert_int_equal(ledger_incident_counts(x->ledger, &counts), SVC_OK);
    assert_int_equal(json_integer_value(json_object_get(counts, "total")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(counts, "by_state"),
                                                        "observed")),
                     2);
    json_decref(counts);
    json_t *fs = NULL;
    assert_int_equal(ledger_incident_findings(x->ledger, n1, 50, &fs), SVC_OK);
    assert_int_equal(json_array_size(fs), 3);
    json_decref(fs);
    assert_int_equal(ledger_incident_findings(x->ledger, 424242, 50, &fs), SVC_NOT_FOUND);
    struct incident none;
    assert_int_equal(ledger_incident_get(x->ledger, 424242, &none), SVC_NOT_FOUND);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* ------------------------------------------------ resolve, re-open, new record */

static void resolve_then_reopen_or_start_anew(void **state)
{
    struct lfx *x = *state;
    /* within the re-open window the same record comes back */
    lfx_close(x);
    struct fold_params fp = {.reopen_window_ms = 60000, .quiet_period_ms = 5000};
    lfx_open(x, &fp);

    json_t *a = ingest(x, "[" F("r1", "k", "firing") "]");
    int64_t id = incident_of(a, 0);
    json_t *r = ingest(x, "[" F("r2", "k", "resolved") "]");
    assert_string_equal(outcome(r, 0), "resolved");
    assert_int_equal(get(x, id).state, ST_RECOVERING);
    unsigned changed = 99;
    int64_t now = time_now_ms();
    assert_int_equal(ledger_tick(x->ledger, now + 1000, &changed), SVC_OK);
    assert_int_equal(changed, 0);
    assert_int_equal(get(x, id).state, ST_RECOVERING);
    assert_int_equal(ledger_tick(x->ledger, now + fp.quiet_period_ms + 1000, &changed), SVC_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(get(x, id).state, ST_RESOLVED);

    json_t *again = ingest(x, "[" F("r3", "k", "firing") "]");
    assert_string_equal(outcome(again, 0), "reopened");
    assert_int_equal(incident_of(again, 0), id);
    assert_int_equal(get(x, id).state, ST_OBSERVED);
    assert_int_equal(get(x, id).finding_count, 3);
    json_t *tl = timeline(x, id);
    assert_int_equal(count_kind(tl, "opened"), 1);
    assert_int_equal(count_kind(tl, "state_changed"), 3); /* recovering, resolved, observed */
    json_decref(tl);

    /* resolved long enough ago (window 0): the same key starts a new incident */
    lfx_close(x);
    fp.reopen_window_ms = 0;
    fp.quiet_period_ms = 0;
    lfx_open(x, &fp);
    json_t *r2 = ingest(x, "[" F("r4", "k", "resolved") "]");
    assert_int_equal(incident_of(r2, 0), id);
    assert_int_equal(ledger_tick(x->ledger, time_now_ms(), &changed), SVC_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(get(x, id).state, ST_RESOLVED);
    usleep(5000); /* the next finding is observed after resolved_at + 0 */
    json_t *fresh = ingest(x, "[" F("r5", "k", "firing") "]");
    assert_string_equal(outcome(fresh, 0), "opened");
    int64_t id2 = incident_of(fresh, 0);
    assert_true(id2 > id);
    assert_int_equal(get(x, id).state, ST_RESOLVED); /* the old record stays as it was */
    assert_int_equal(get(x, id2).finding_count, 1);

    /* a resolved finding with nothing open resolves nothing */
    json_t *stray = ingest(x, "[" F("r6", "other", "resolved") "]");
    assert_int_equal(incident_of(stray, 0), 0);
    json_decref(a);
    json_decref(r);
    json_decref(again);
    json_decref(r2);
    json_decref(fresh);
    json_decref(stray);
}

/* ------------------------------------------------ transitions and evidence */

static void transitions_evidence_and_timeline(void **state)
{
    struct lfx *x = *state;
    json_t *a = ingest(x, "[" FE("t1", "t", "95") "," FE("t2", "t", "95") "," FE("t3", "t", "97")
                          "]");
    int64_t id = incident_of(a, 0);
    struct problems *p = problems_create();
    struct incident out;
    assert_int_equal(ledger_transition(x->ledger, id, ST_TRIAGED, "looking", 0, 0, "alice", &out, p),
                     SVC_OK);
    assert_int_equal(out.state, ST_TRIAGED);
    problems_init(p);
    assert_int_equal(ledger_transition(x->ledger, id, ST_OBSERVED, "x", 0, 0, "alice", &out, p),
                     SVC_CONFLICT);
    assert_string_equal(p->items[0].path, "/to");
    problems_init(p);
    assert_int_equal(ledger_transition(x->ledger, id, ST_SUPPRESSED, "x", 0, 0, "alice", &out, p),
                     SVC_INVALID);
    assert_string_equal(p->items[0].path, "/suppress_until");
    problems_init(p);
    assert_int_equal(ledger_transition(x->ledger, 999999, ST_TRIAGED, "x", 0, 0, "alice", &out, p),
                     SVC_NOT_FOUND);
    assert_int_equal(get(x, id).state, ST_TRIAGED); /* refusals changed nothing */

    /* evidence: identical content once (two findings carried the same) */
    json_t *ev = NULL;
    assert_int_equal(ledger_incident_evidence(x->ledger, id, 100, &ev), SVC_OK);
    assert_int_equal(json_array_size(ev), 2);
    json_decref(ev);
    json_error_t jerr;
    json_t *ej = json_loads("{\"type\":\"operator_note\",\"summary\":\"restarted\",\"data\":null}",
                            0, &jerr);
    struct evidence e;
    problems_init(p);
    assert_int_equal(evidence_from_json(ej, "", &e, p), 0);
    int64_t eid = 0;
    assert_int_equal(ledger_add_evidence(x->ledger, id, &e, "alice", &eid), SVC_OK);
    assert_true(eid > 0);
    assert_int_equal(ledger_add_evidence(x->ledger, id, &e, "alice", &eid), SVC_OK);
    assert_int_equal(eid, 0);
    assert_int_equal(ledger_add_evidence(x->ledger, 424242, &e, "alice", &eid), SVC_NOT_FOUND);
    evidence_clear(&e);
    json_decref(ej);

    json_t *detail = NULL;
    assert_int_equal(ledger_incident_detail(x->ledger, id, &detail), SVC_OK);
    assert_string_equal(json_string_value(json_object_get(detail, "state")), "triaged");
    assert_int_equal(json_array_size(json_object_get(detail, "evidence")), 3);
    assert_int_equal(json_array_size(json_object_get(detail, "findings")), 3);
    assert_true(json_array_size(json_object_get(detail, "allowed_transitions")) > 0);
    json_decref(detail);

    /* the timeline: oldest first, ids increasing, resumable after an id */
    json_t *tl = timeline(x, id);
    assert_int_equal(count_kind(tl, "opened"), 1);
    assert_int_equal(count_kind(tl, "state_changed"), 1);
    assert_int_equal(count_kind(tl, "evidence_added"), 3);
    assert_int_equal(count_kind(tl, "finding_folded"), 1);
    int64_t prev = 0;
    size_t i;
    json_t *it;
    json_array_foreach(tl, i, it)
    {
        int64_t tid = json_integer_value(json_object_get(it, "id"));
        assert_true(tid > prev);
        prev = tid;
    }
    int64_t first = json_integer_value(json_object_get(json_array_get(tl, 0), "id"));
    json_t *rest = NULL;
    assert_int_equal(ledger_incident_timeline(x->ledger, id, first, 1000, &rest), SVC_OK);
    assert_int_equal(json_array_size(rest), json_array_size(tl) - 1);
    json_decref(rest);
    json_decref(tl);
    problems_destroy(p);
    json_decref(a);
}

/* ------------------------------------------------ outbox order */

struct seen {
    int64_t last, count, bad_order;
    int64_t by_type[4]; /* finding.observed, incident.opened, incident.state_changed, other */
};

static int on_event(const struct outbox_row *r, void *ud)
{
    struct seen *s = ud;
    if (r->seq <= s->last)
        s->bad_order++;
    s->last = r->seq;
    s->count++;
    const char *t = r->type ? r->type : "";
    int k = strcmp(t, "sre.finding.observed") == 0      ? 0
            : strcmp(t, "sre.incident.opened") == 0      ? 1
            : strcmp(t, "sre.incident.state_changed") == 0 ? 2
                                                          : 3;
    s->by_type[k]++;
    return 0;
}

static void outbox_in_commit_order_and_resumable(void **state)
{
    struct lfx *x = *state;
    json_decref(ingest(x, "[" F("o1", "a", "firing") "," F("o2", "a", "firing") "]"));
    struct seen s1 = {0};
    assert_int_equal(ledger_events_after(x->ledger, 0, 1000, on_event, &s1), SVC_OK);
    assert_int_equal(s1.bad_order, 0);
    assert_int_equal(s1.by_type[0], 2);
    assert_int_equal(s1.by_type[1], 1);
    assert_int_equal(s1.last, ledger_outbox_head(x->ledger));

    json_decref(ingest(x, "[" F("o3", "a", "resolved") "]"));
    struct seen s2 = {.last = s1.last};
    assert_int_equal(ledger_events_after(x->ledger, s1.last, 1000, on_event, &s2), SVC_OK);
    assert_int_equal(s2.bad_order, 0);
    assert_int_equal(s2.by_type[0], 1);
    assert_int_equal(s2.by_type[2], 1); /* observed -> recovering */
    assert_int_equal(s2.last, ledger_outbox_head(x->ledger));

    /* a limit cuts a page; the next page continues exactly after it */
    struct seen p1 = {0}, p2 = {0};
    assert_int_equal(ledger_events_after(x->ledger, 0, 2, on_event, &p1), SVC_OK);
    assert_int_equal(p1.count, 2);
    p2.last = p1.last;
    assert_int_equal(ledger_events_after(x->ledger, p1.last, 1000, on_event, &p2), SVC_OK);
    assert_int_equal(p1.count + p2.count, s1.count + s2.count);

    /* the head survives a restart */
    int64_t head = ledger_outbox_head(x->ledger);
    lfx_close(x);
    lfx_open(x, NULL);
    assert_int_equal(ledger_outbox_head(x->ledger), head);
}

/* ------------------------------------------------ concurrent ingest */

#define THREADS 4
#define BATCHES 25
#define BATCH 40
#define KEYS 50 /* every thread folds into the same KEYS incidents */

struct writer {
    struct ledger *ledger;
    int t;
    pthread_barrier_t *go;
    int64_t outcomes[5];
    int64_t shared_incident[BATCHES];
    int failed;
};

static void *write_batches(void *arg)
{
    struct writer *w = arg;
    struct problems *p = problems_create();
    size_t cap = (BATCH + 1) * 300 + 16;
    char *doc = malloc(cap);
    pthread_barrier_wait(w->go);
    for (int b = 0; b < BATCHES && p && doc; b++) {
        size_t len = (size_t)snprintf(doc, cap, "[");
        for (int i = 0; i < BATCH; i++)
            len += (size_t)snprintf(doc + len, cap - len,
                                    "{\"id\":\"t%d-b%d-i%d\",\"source\":\"probe\","
                                    "\"class\":\"infrastructure.node_disk_pressure\","
                                    "\"correlation_key\":\"k%d\",\"severity\":\"high\","
                                    "\"status\":\"firing\",\"summary\":\"disk\"},",
                                    w->t, b, i, (b * BATCH + i) % KEYS);
        /* the same id from every thread: exactly one of them is not a duplicate */
        snprintf(doc + len, cap - len,
                 "{\"id\":\"shared-%d\",\"source\":\"probe\","
                 "\"class\":\"infrastructure.node_disk_pressure\",\"correlation_key\":\"shared\","
                 "\"severity\":\"high\",\"status\":\"firing\",\"summary\":\"disk\"}]",
                 b);
        problems_init(p);
        json_t *answer = NULL;
        enum svc_status st = ledger_ingest_json(w->ledger, doc, strlen(doc), "contract", &answer, p);
        if (st != SVC_OK) {
            w->failed++;
            continue;
        }
        json_t *items = json_object_get(answer, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            const char *o = outcome(items, i);
            for (int k = 0; k < 5; k++)
                if (strcmp(o, fold_outcome_name((enum fold_outcome)k)) == 0)
                    w->outcomes[k]++;
        }
        w->shared_incident[b] = incident_of(items, BATCH);
        json_decref(answer);
    }
    free(doc);
    problems_destroy(p);
    return NULL;
}

struct follower {
    struct ledger *ledger;
    atomic_int stop;
    struct seen seen;
    int failed;
};

/* Follows the outbox like the SSE stream and the relay do: a cursor, pages
 * after it. An event that became visible behind the cursor would be missed. */
static void *follow(void *arg)
{
    struct follower *fl = arg;
    for (;;) {
        int stopping = atomic_load(&fl->stop);
        int64_t before = fl->seen.count;
        if (ledger_events_after(fl->ledger, fl->seen.last, 200, on_event, &fl->seen) != SVC_OK)
            fl->failed++;
        if (stopping && fl->seen.count == before)
            break;
        if (fl->seen.count == before)
            usleep(1000);
    }
    return NULL;
}

static void concurrent_ingest_counts_exactly(void **state)
{
    struct lfx *x = *state;
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, THREADS);
    struct writer w[THREADS];
    pthread_t th[THREADS], ft;
    struct follower fl = {.ledger = x->ledger};
    pthread_create(&ft, NULL, follow, &fl);
    for (int t = 0; t < THREADS; t++) {
        w[t] = (struct writer){.ledger = x->ledger, .t = t, .go = &go};
        pthread_create(&th[t], NULL, write_batches, &w[t]);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    atomic_store(&fl.stop, 1);
    pthread_join(ft, NULL);
    pthread_barrier_destroy(&go);

    int64_t total[5] = {0};
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(w[t].failed, 0);
        for (int k = 0; k < 5; k++)
            total[k] += w[t].outcomes[k];
    }
    const int64_t sent = (int64_t)THREADS * BATCHES * (BATCH + 1);
    const int64_t accepted = (int64_t)THREADS * BATCHES * BATCH + BATCHES;
    assert_int_equal(total[FOLD_OPENED], KEYS + 1);
    assert_int_equal(total[FOLD_DUPLICATE], sent - accepted);
    assert_int_equal(total[FOLD_FOLDED], accepted - (KEYS + 1));
    assert_int_equal(total[FOLD_REOPENED] + total[FOLD_RESOLVED], 0);
    /* every thread's copy of a shared id points at the one incident */
    for (int b = 0; b < BATCHES; b++)
        for (int t = 1; t < THREADS; t++)
            assert_int_equal(w[t].shared_incident[b], w[0].shared_incident[b]);

    /* the incidents hold exactly what was accepted */
    struct incident_filter f = {.limit = 500};
    json_t *page = NULL;
    assert_int_equal(ledger_incident_list(x->ledger, &f, &page), SVC_OK);
    json_t *items = json_object_get(page, "items");
    assert_int_equal(json_array_size(items), KEYS + 1);
    int64_t findings = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        int64_t n = json_integer_value(json_object_get(it, "finding_count"));
        const char *key = json_string_value(json_object_get(it, "correlation_key"));
        assert_int_equal(n, strcmp(key, "shared") == 0 ? BATCHES
                                                        : (int64_t)THREADS * BATCHES * BATCH / KEYS);
        findings += n;
    }
    assert_int_equal(findings, accepted);
    json_decref(page);
    json_t *counts = NULL;
    assert_int_equal(ledger_incident_counts(x->ledger, &counts), SVC_OK);
    assert_int_equal(json_integer_value(json_object_get(counts, "total")), KEYS + 1);
    json_decref(counts);

    /* the follower saw every event once, in order, though it read while writers
     * committed: one sre.finding.observed per accepted finding, one opening each */
    assert_int_equal(fl.failed, 0);
    assert_int_equal(fl.seen.bad_order, 0);
    assert_int_equal(fl.seen.by_type[0], accepted);
    assert_int_equal(fl.seen.by_type[1], KEYS + 1);
    assert_int_equal(fl.seen.last, ledger_outbox_head(x->ledger));
}

/* ------------------------------------------------ bounded text search */

static int collect_id(const struct incident *inc, void *ud)
{
    json_array_append_new(ud, json_integer(inc->id));
    return 0;
}

/* One store-level page of a search for "needle" examining at most 5 incidents. */
static json_t *search_page(struct lfx *x, struct incident_scan *scan, int64_t after_value,
                           int64_t after_id)
{
    struct incident_filter f = {.limit = 50, .q = "needle", .max_scan = 5};
    if (after_id) {
        f.has_cursor = 1;
        f.cursor_value = after_value;
        f.cursor_id = after_id;
    }
    struct store_conn *c;
    assert_int_equal(store_read_acquire(x->store, &c), STORE_OK);
    json_t *ids = json_array();
    assert_int_equal(store_incident_list(c, &f, collect_id, ids, scan), STORE_OK);
    store_read_release(x->store, c);
    return ids;
}

static void bounded_text_search_continues(void **state)
{
    struct lfx *x = *state;
    /* 12 incidents (ids 1..12, one commit, so newest first is 12..1); the keys
     * of ids 4 and 10 hold the text, in another case */
    char doc[8192];
    int off = snprintf(doc, sizeof doc, "[");
    for (int i = 0; i < 12; i++)
        off += snprintf(doc + off, sizeof doc - (size_t)off,
                        "%s{\"id\":\"s%d\",\"source\":\"probe\","
                        "\"class\":\"infrastructure.node_disk_pressure\","
                        "\"correlation_key\":\"%s-%d\",\"severity\":\"high\","
                        "\"status\":\"firing\",\"summary\":\"disk\"}",
                        i ? "," : "", i, i == 3 || i == 9 ? "NeedLe" : "k", i);
    snprintf(doc + off, sizeof doc - (size_t)off, "]");
    json_decref(ingest(x, doc));

    /* examines 12..8: finds 10, stops with the position of 8 */
    struct incident_scan scan;
    json_t *ids = search_page(x, &scan, 0, 0);
    assert_int_equal(json_array_size(ids), 1);
    assert_int_equal(json_integer_value(json_array_get(ids, 0)), 10);
    assert_int_equal(scan.examined, 5);
    assert_true(scan.stopped);
    assert_int_equal(scan.last_id, 8);
    json_decref(ids);
    /* 7..3: finds 4, stops again */
    ids = search_page(x, &scan, scan.last_value, scan.last_id);
    assert_int_equal(json_array_size(ids), 1);
    assert_int_equal(json_integer_value(json_array_get(ids, 0)), 4);
    assert_true(scan.stopped);
    assert_int_equal(scan.last_id, 3);
    json_decref(ids);
    /* 2..1: the end */
    ids = search_page(x, &scan, scan.last_value, scan.last_id);
    assert_int_equal(json_array_size(ids), 0);
    assert_int_equal(scan.examined, 2);
    assert_false(scan.stopped);
    json_decref(ids);

    /* the service's page says how far it searched */
    struct incident_filter f = {.limit = 50, .q = "needle"};
    json_t *page = NULL;
    assert_int_equal(ledger_incident_list(x->ledger, &f, &page), SVC_OK);
    assert_int_equal(json_array_size(json_object_get(page, "items")), 2);
    assert_int_equal(json_integer_value(json_object_get(page, "searched")), 12);
    assert_true(json_is_true(json_object_get(page, "search_complete")));
    assert_true(json_is_null(json_object_get(page, "next_cursor")));
    json_decref(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ingest_folds_and_ids_are_idempotent, setup, teardown),
        cmocka_unit_test_setup_teardown(resolve_then_reopen_or_start_anew, setup, teardown),
        cmocka_unit_test_setup_teardown(transitions_evidence_and_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_in_commit_order_and_resumable, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_ingest_counts_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(bounded_text_search_continues, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
