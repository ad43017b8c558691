/* The ledger service against a real SQLite store in a temporary directory:
 * idempotent ingest, folding, re-open, flap damping through the tick, operator
 * transitions, evidence, the audit chain (and its verification on a tampered
 * file), and outbox delivery over the bus after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus/bus.h"
#include "ledger/ledger.h"
#include "ledger_fixture.h"
#include "store/ledger_repo.h"
#include "util/timeutil.h"

struct fx {
    char dir[64];
    char url[128];
    struct store *store;
    struct ledger *ledger;
};

static void open_all(struct fx *f, struct bus *bus)
{
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = f->url;
    char err[256];
    if (store_open(&sc, &f->store, err, sizeof err) != STORE_OK)
        fail_msg("store_open: %s", err);
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = f->store;
    lc.bus = bus;
    lc.tick_ms = 3600 * 1000; /* the tests drive the tick themselves */
    lc.relay_ms = 20;
    assert_int_equal(ledger_create(&lc, &f->ledger), SVC_OK);
}

static void close_all(struct fx *f)
{
    ledger_destroy(f->ledger);
    f->ledger = NULL;
    store_close(f->store);
    f->store = NULL;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/srebot-ledger-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/ledger.db", f->dir);
    open_all(f, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->store)
        close_all(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "%s/ledger.db", f->dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/ledger.db-wal", f->dir);
    unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/ledger.db-shm", f->dir);
    unlink(cmd);
    rmdir(f->dir);
    free(f);
    return 0;
}

static json_t *ingest(struct fx *f, const char *doc)
{
    return ledger_ingest_items(f->ledger, doc, "test");
}

#define FINDING(id, key, status)                                                                   \
    "{\"id\":\"" id "\",\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","    \
    "\"correlation_key\":\"" key "\",\"severity\":\"high\",\"status\":\"" status "\","            \
    "\"summary\":\"disk\",\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\","        \
    "\"data\":{\"used\":95}}]}"

static struct incident get_incident(struct fx *f, int64_t id)
{
    struct store_conn *c;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    struct incident inc;
    assert_int_equal(store_incident_get(c, id, &inc), STORE_OK);
    store_read_release(f->store, c);
    return inc;
}

static int count_one(const struct evidence_row *r, void *ud)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

static int count_evidence(struct fx *f, int64_t id)
{
    struct store_conn *c;
    int n = 0;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_evidence_of(c, id, 50, count_one, &n), STORE_OK);
    store_read_release(f->store, c);
    return n;
}

struct kinds {
    const char **out;
    size_t n, max;
    char buf[16][32];
};

static int add_kind(const struct timeline_row *r, void *ud)
{
    struct kinds *k = ud;
    if (k->n < k->max) {
        snprintf(k->buf[k->n], sizeof k->buf[0], "%s", r->kind);
        k->out[k->n] = k->buf[k->n];
        k->n++;
    }
    return 0;
}

static size_t timeline_kinds(struct fx *f, int64_t id, const char **out, size_t max)
{
    static struct kinds k;
    memset(&k, 0, sizeof k);
    k.out = out;
    k.max = max < 16 ? max : 16;
    struct store_conn *c;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_timeline_of(c, id, 0, 100, add_kind, &k), STORE_OK);
    store_read_release(f->store, c);
    return k.n;
}

static void idempotent_ingest_and_folding(void **state)
{
    struct fx *f = *state;
    json_t *a = ingest(f, "[" FINDING("a1", "n1", "firing") "," FINDING("a2", "n1", "firing") ","
                          FINDING("a3", "n2", "firing") "," FINDING("a1", "n1", "firing") "]");
    assert_string_equal(outcome(a, 0), "opened");
    assert_string_equal(outcome(a, 1), "folded");
    assert_string_equal(outcome(a, 2), "opened");
    assert_string_equal(outcome(a, 3), "duplicate"); /* same id within one batch */
    assert_int_equal(incident_of(a, 0), incident_of(a, 1));
    assert_int_equal(incident_of(a, 3), incident_of(a, 0));
    assert_true(incident_of(a, 2) != incident_of(a, 0));

    /* the same ids again, in a later request: duplicates, nothing counted twice */
    json_t *b = ingest(f, "[" FINDING("a2", "n1", "firing") "," FINDING("a3", "n2", "firing") "]");
    assert_string_equal(outcome(b, 0), "duplicate");
    assert_string_equal(outcome(b, 1), "duplicate");
    assert_int_equal(incident_of(b, 0), incident_of(a, 0));
    assert_int_equal(incident_of(b, 1), incident_of(a, 2));

    struct incident inc = get_incident(f, incident_of(a, 0));
    assert_int_equal(inc.finding_count, 2);
    assert_int_equal(inc.state, ST_OBSERVED);

    /* evidence with the same content was attached once */
    assert_int_equal(count_evidence(f, inc.id), 1);
    json_decref(a);
    json_decref(b);
}

static void reopen_and_flap_damping(void **state)
{
    struct fx *f = *state;
    struct fold_params fpv;
    ledger_fold_params(f->ledger, &fpv);
    const struct fold_params *fp = &fpv;
    json_t *a = ingest(f, "[" FINDING("b1", "k", "firing") "]");
    int64_t id = incident_of(a, 0);
    json_t *r = ingest(f, "[" FINDING("b2", "k", "resolved") "]");
    assert_string_equal(outcome(r, 0), "resolved");
    assert_int_equal(incident_of(r, 0), id);
    assert_int_equal(get_incident(f, id).state, ST_RECOVERING);

    unsigned changed = 99;
    int64_t now = time_now_ms();
    assert_int_equal(ledger_tick(f->ledger, now + 1000, &changed), SVC_OK);
    assert_int_equal(changed, 0); /* quiet period not over */
    assert_int_equal(ledger_tick(f->ledger, now + fp->quiet_period_ms + 1000, &changed), SVC_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(get_incident(f, id).state, ST_RESOLVED);

    /* fires again within the re-open window: the same record */
    json_t *again = ingest(f, "[" FINDING("b3", "k", "firing") "]");
    assert_string_equal(outcome(again, 0), "reopened");
    assert_int_equal(incident_of(again, 0), id);
    struct incident inc = get_incident(f, id);
    assert_int_equal(inc.state, ST_OBSERVED);
    assert_int_equal(inc.finding_count, 3);

    /* the timeline tells the story, oldest first */
    const char *kinds[16];
    size_t nk = timeline_kinds(f, id, kinds, 16);
    assert_true(nk >= 4);
    assert_string_equal(kinds[0], "opened"); /* before the evidence that came with it */
    assert_string_equal(kinds[1], "evidence_added");
    int opened = 0, changed_state = 0;
    for (size_t i = 0; i < nk; i++) {
        opened += strcmp(kinds[i], "opened") == 0;
        changed_state += strcmp(kinds[i], "state_changed") == 0;
    }
    assert_int_equal(opened, 1);
    assert_int_equal(changed_state, 3); /* -> recovering -> resolved -> observed */
    json_decref(a);
    json_decref(r);
    json_decref(again);
}

static void operator_transitions(void **state)
{
    struct fx *f = *state;
    json_t *a = ingest(f, "[" FINDING("c1", "t", "firing") "]");
    int64_t id = incident_of(a, 0);
    struct problems *p = problems_create();
    struct incident out;
    assert_int_equal(ledger_transition(f->ledger, id, ST_RECOVERING, "x", 0, 0, "alice", &out, p),
                     SVC_OK);
    problems_init(p);
    assert_int_equal(ledger_transition(f->ledger, id, ST_SUPPRESSED, "x", 0, 0, "alice", &out, p),
                     SVC_CONFLICT);
    assert_string_equal(p->items[0].path, "/to");
    assert_string_equal(p->items[0].message, "allowed: resolved, triaged, escalated");
    problems_init(p);
    assert_int_equal(ledger_transition(f->ledger, id, ST_TRIAGED, "looking", 0, 0, "alice", &out, p),
                     SVC_OK);
    assert_int_equal(out.state, ST_TRIAGED);
    problems_init(p);
    assert_int_equal(ledger_transition(f->ledger, id, ST_SUPPRESSED, "noise", 0, 0, "alice", &out, p),
                     SVC_INVALID);
    assert_string_equal(p->items[0].path, "/suppress_until");
    int64_t until = time_now_ms() + 60000;
    problems_init(p);
    assert_int_equal(
        ledger_transition(f->ledger, id, ST_SUPPRESSED, "noise", 1, until, "alice", &out, p),
        SVC_OK);
    assert_int_equal(out.suppressed_until_ms, until);
    problems_init(p);
    assert_int_equal(ledger_transition(f->ledger, 999999, ST_TRIAGED, "x", 0, 0, "alice", &out, p),
                     SVC_NOT_FOUND);
    /* suppression expires through the tick */
    unsigned changed = 0;
    assert_int_equal(ledger_tick(f->ledger, until, &changed), SVC_OK);
    assert_int_equal(changed, 1);
    assert_int_equal(get_incident(f, id).state, ST_OBSERVED);

    /* evidence by hand, twice the same: one row */
    json_error_t jerr;
    json_t *ej = json_loads("{\"type\":\"operator_note\",\"summary\":\"restarted\",\"data\":null}",
                            0, &jerr);
    struct evidence e;
    problems_init(p);
    assert_int_equal(evidence_from_json(ej, "", &e, p), 0);
    int64_t eid = 0;
    assert_int_equal(ledger_add_evidence(f->ledger, id, &e, "alice", &eid), SVC_OK);
    assert_true(eid > 0);
    assert_int_equal(ledger_add_evidence(f->ledger, id, &e, "alice", &eid), SVC_OK);
    assert_int_equal(eid, 0);
    assert_int_equal(ledger_add_evidence(f->ledger, 424242, &e, "alice", &eid), SVC_NOT_FOUND);
    assert_int_equal(count_evidence(f, id), 2);
    evidence_clear(&e);
    json_decref(ej);
    problems_destroy(p);
    json_decref(a);
}

static void audit_chain_detects_tampering(void **state)
{
    struct fx *f = *state;
    json_t *a = ingest(f, "[" FINDING("d1", "x", "firing") "," FINDING("d2", "y", "firing") "]");
    json_t *r = ingest(f, "[" FINDING("d3", "x", "resolved") "]");
    struct store_conn *c;
    int64_t broken = -1, checked = 0;
    char reason[200];
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, sizeof reason), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(broken, 0);
    assert_int_equal(checked, 2); /* the openings of one commit, one state change */
    close_all(f);

    /* alter record 2 behind the ledger's back */
    char path[128];
    snprintf(path, sizeof path, "%s/ledger.db", f->dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* the openings of one commit: one record whose subject names the ids */
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT subject FROM audit_log WHERE action = "
                                        "'incidents.opened'",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    char want[64];
    snprintf(want, sizeof want, "incidents/%lld-%lld", (long long)incident_of(a, 0),
             (long long)incident_of(a, 1));
    assert_string_equal((const char *)sqlite3_column_text(q, 0), want);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TRIGGER audit_log_no_update;"
                                  "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    open_all(f, NULL);
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, sizeof reason), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(broken, 2);
    json_decref(a);
    json_decref(r);
}

struct seen {
    pthread_mutex_t mu;
    int n;
    char last_id[32];
    char types[64][40];
    char ids[64][32];
};

static struct bus *local_bus(void)
{
    struct bus *b = NULL;
    char err[200];
    assert_int_equal(bus_open("local:", NULL, &b, err, sizeof err), 0);
    return b;
}

static enum bus_ack on_event(const struct bus_msg *m, void *ud)
{
    struct seen *s = ud;
    pthread_mutex_lock(&s->mu);
    if (s->n < 64) {
        snprintf(s->types[s->n], sizeof s->types[0], "%s", m->subject);
        snprintf(s->ids[s->n], sizeof s->ids[0], "%s", m->msg_id);
    }
    s->n++;
    snprintf(s->last_id, sizeof s->last_id, "%s", m->msg_id);
    pthread_mutex_unlock(&s->mu);
    return BUS_ACK;
}

static int wait_events(struct seen *s, int n)
{
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s->mu);
        int got = s->n;
        pthread_mutex_unlock(&s->mu);
        if (got >= n)
            return got;
        usleep(10000);
    }
    return s->n;
}

/* Waits until the event with sequence `seq` ("evt_<seq>") was delivered; the
 * relay delivers in order, so whatever it would deliver before it (a
 * redelivery included) has been counted by then. */
static void wait_delivered(struct seen *s, int64_t seq)
{
    char want[32];
    snprintf(want, sizeof want, "evt_%lld", (long long)seq);
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&s->mu);
        int done = strcmp(s->last_id, want) == 0;
        pthread_mutex_unlock(&s->mu);
        if (done)
            return;
        usleep(10000);
    }
    fail_msg("event %s was not delivered within 10 s", want);
}

/* Events from index `from` on are exactly evt_<first>, evt_<first+1>, ... */
static void assert_delivered_from(struct seen *s, int from, int64_t first, int64_t last)
{
    pthread_mutex_lock(&s->mu);
    int n = s->n;
    pthread_mutex_unlock(&s->mu);
    assert_int_equal(n - from, last - first + 1);
    for (int i = from; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "evt_%lld", (long long)(first + i - from));
        assert_string_equal(s->ids[i], want);
    }
}

static int first_seq(const struct outbox_row *r, void *ud)
{
    *(int64_t *)ud = r->seq;
    return 1;
}

static void outbox_retention(void **state)
{
    struct fx *f = *state;
    close_all(f);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = f->url;
    char err[256];
    assert_int_equal(store_open(&sc, &f->store, err, sizeof err), STORE_OK);
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = f->store;
    lc.outbox_retain = 2;
    assert_int_equal(ledger_create(&lc, &f->ledger), SVC_OK);
    json_t *a = ingest(f, "[" FINDING("r1", "ret", "firing") "]"); /* 3 events */
    assert_int_equal(ledger_outbox_head(f->ledger), 3);
    unsigned changed;
    assert_int_equal(ledger_tick(f->ledger, time_now_ms(), &changed), SVC_OK);
    struct store_conn *c;
    int64_t seq = 0;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_outbox_after(c, 0, 10, first_seq, &seq), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(seq, 2); /* the newest two are kept */
    json_decref(a);
}

static void outbox_delivers_after_restart(void **state)
{
    struct fx *f = *state;
    /* no bus: events are committed to the outbox only */
    json_t *a = ingest(f, "[" FINDING("e1", "z", "firing") "]");
    close_all(f);

    struct bus *bus = local_bus();
    struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    assert_true(bus_subscribe(bus, "sre.>", on_event, &s) > 0);
    open_all(f, bus);
    assert_int_equal(ledger_start(f->ledger), 0);
    /* finding.observed, evidence.added, incident.opened from before the restart */
    assert_int_equal(wait_events(&s, 3), 3);
    int types = 0;
    for (int i = 0; i < 3; i++)
        types |= (!strcmp(s.types[i], "sre.finding.observed") ? 1 : 0) |
                 (!strcmp(s.types[i], "sre.incident.opened") ? 2 : 0) |
                 (!strcmp(s.types[i], "sre.evidence.added") ? 4 : 0);
    assert_int_equal(types, 7);
    assert_string_equal(s.last_id, "evt_3");

    /* the detector subject takes the ingest path */
    const char *det = FINDING("det-1", "z", "firing");
    assert_int_equal(bus_publish(bus, "sre.detector.finding.observed", "m1", det, strlen(det)),
                     ADAPTER_OK);
    /* "sre.>" also sees the detector message itself, then its finding event */
    assert_int_equal(wait_events(&s, 5), 5);
    assert_string_equal(s.types[3], "sre.detector.finding.observed");
    assert_string_equal(s.types[4], "sre.finding.observed");
    assert_string_equal(s.last_id, "evt_4");
    close_all(f);

    /* delivered events are not delivered again: after a restart, the next
     * event delivered is the first new one */
    int before = s.n;
    int64_t old_head = 4;
    open_all(f, bus);
    assert_int_equal(ledger_outbox_head(f->ledger), old_head);
    assert_int_equal(ledger_start(f->ledger), 0);
    json_t *c = ingest(f, "[" FINDING("e-after", "z", "firing") "]");
    int64_t head = ledger_outbox_head(f->ledger);
    assert_true(head > old_head);
    wait_delivered(&s, head);
    assert_delivered_from(&s, before, old_head + 1, head);
    json_decref(c);
    close_all(f);
    bus_destroy(bus);
    json_decref(a);
}

/* The relay skips encoding events nobody subscribes to, and still moves its
 * cursor past them: after a restart they are not delivered late. */
static void relay_skips_unwanted_subjects(void **state)
{
    struct fx *f = *state;
    close_all(f);
    struct bus *bus = local_bus();
    struct seen s = {.mu = PTHREAD_MUTEX_INITIALIZER};
    assert_true(bus_subscribe(bus, "sre.incident.>", on_event, &s) > 0);
    assert_int_equal(bus_interested(bus, "sre.incident.opened"), 1);
    assert_int_equal(bus_interested(bus, "sre.finding.observed"), 0);
    open_all(f, bus);
    assert_int_equal(ledger_start(f->ledger), 0);
    json_t *a = ingest(f, "[" FINDING("u1", "u", "firing") "]"); /* 3 events */
    assert_int_equal(wait_events(&s, 1), 1);
    assert_string_equal(s.types[0], "sre.incident.opened");
    close_all(f);

    struct seen all = {.mu = PTHREAD_MUTEX_INITIALIZER};
    assert_true(bus_subscribe(bus, "sre.>", on_event, &all) > 0);
    open_all(f, bus);
    assert_int_equal(ledger_start(f->ledger), 0);
    json_t *b = ingest(f, "[" FINDING("u2", "u", "firing") "]");
    /* the first event the new subscriber sees is the first new one: the three
     * skipped before the restart are not delivered late */
    wait_delivered(&all, ledger_outbox_head(f->ledger));
    assert_string_equal(all.types[0], "sre.finding.observed");
    assert_delivered_from(&all, 0, 4, ledger_outbox_head(f->ledger));
    close_all(f);
    bus_destroy(bus);
    json_decref(a);
    json_decref(b);
}

struct class_counts {
    size_t classes;
    int64_t total_by_class, total_by_state, total_by_sev, biggest;
};

static void on_count(const char *dim, const char *value, int64_t n, void *ud)
{
    struct class_counts *cc = ud;
    if (strcmp(dim, "class") == 0) {
        cc->classes++;
        cc->total_by_class += n;
        if (strcmp(value, "zzz_domain.the_big_one") == 0)
            cc->biggest = n;
    } else if (strcmp(dim, "state") == 0) {
        cc->total_by_state += n;
    } else {
        cc->total_by_sev += n;
    }
}

/* Counts are exact past any fixed table size: 300 small classes plus one
 * class, sorting last, that holds most incidents. */
static void counts_are_exact_for_many_classes(void **state)
{
    struct fx *f = *state;
    enum { SMALL = 300, BIG = 40 };
    size_t cap = (SMALL + BIG) * 200 + 16, len = 0;
    char *doc = malloc(cap);
    len += (size_t)snprintf(doc + len, cap - len, "[");
    for (int i = 0; i < SMALL + BIG; i++) {
        char cls[64], key[32];
        if (i < SMALL)
            snprintf(cls, sizeof cls, "aaa_domain.c%03d", i);
        else
            snprintf(cls, sizeof cls, "zzz_domain.the_big_one");
        snprintf(key, sizeof key, "k%d", i);
        len += (size_t)snprintf(doc + len, cap - len,
                                "%s{\"source\":\"probe\",\"class\":\"%s\","
                                "\"correlation_key\":\"%s\",\"severity\":\"info\","
                                "\"status\":\"firing\",\"summary\":\"s\"}",
                                i ? "," : "", cls, key);
    }
    snprintf(doc + len, cap - len, "]");
    json_decref(ingest(f, doc));
    free(doc);
    struct store_conn *c;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    struct class_counts cc = {0};
    assert_int_equal(store_incident_counts(c, on_count, &cc), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(cc.classes, SMALL + 1);
    assert_int_equal(cc.biggest, BIG);
    assert_int_equal(cc.total_by_class, SMALL + BIG);
    assert_int_equal(cc.total_by_state, SMALL + BIG);
    assert_int_equal(cc.total_by_sev, SMALL + BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(idempotent_ingest_and_folding, setup, teardown),
        cmocka_unit_test_setup_teardown(reopen_and_flap_damping, setup, teardown),
        cmocka_unit_test_setup_teardown(operator_transitions, setup, teardown),
        cmocka_unit_test_setup_teardown(audit_chain_detects_tampering, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_delivers_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_skips_unwanted_subjects, setup, teardown),
        cmocka_unit_test_setup_teardown(counts_are_exact_for_many_classes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
