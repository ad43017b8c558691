/* Outbox consumers and retention against a real SQLite store: a slow consumer
 * keeps its events; the max backlog bounds what it can hold back (counted,
 * cursor moved); cursors survive a restart; the relay is one consumer among
 * others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"
#include "ledger/consumers.h"
#include "ledger/ledger.h"
#include "store_fixture.h"
#include "util/metrics.h"

struct fx {
    struct fixture db;
    struct store *store;
    struct ledger *ledger;
    struct metrics *metrics;
};

static void open_all(struct fx *f, int64_t retain, int64_t max_backlog, struct bus *bus)
{
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = f->db.url;
    char err[256];
    if (store_open(&sc, &f->store, err, sizeof err) != STORE_OK)
        fail_msg("store_open: %s", err);
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = f->store;
    lc.bus = bus;
    lc.metrics = f->metrics;
    lc.tick_ms = 3600 * 1000; /* the tests drive the tick */
    lc.relay_ms = 20;
    lc.outbox_retain = retain;
    lc.outbox_max_backlog = max_backlog;
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
    fixture_init(&f->db);
    f->metrics = metrics_create();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->ledger)
        close_all(f);
    fixture_cleanup(&f->db);
    metrics_destroy(f->metrics);
    free(f);
    return 0;
}

/* Three new incidents: nine events (finding.observed, incident.opened, evidence.added each). */
static void ingest_three(struct fx *f)
{
    const char *doc =
        "[{\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","
        "\"correlation_key\":\"a\",\"severity\":\"high\",\"status\":\"firing\",\"summary\":\"x\","
        "\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\",\"data\":{}}]},"
        "{\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","
        "\"correlation_key\":\"b\",\"severity\":\"high\",\"status\":\"firing\",\"summary\":\"x\","
        "\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\",\"data\":{}}]},"
        "{\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","
        "\"correlation_key\":\"c\",\"severity\":\"high\",\"status\":\"firing\",\"summary\":\"x\","
        "\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\",\"data\":{}}]}]";
    struct problems *p = problems_create();
    json_t *answer = NULL;
    assert_int_equal(ledger_ingest_json(f->ledger, doc, strlen(doc), "test", &answer, p), SVC_OK);
    json_decref(answer);
    problems_destroy(p);
}

static int first_seq(const struct outbox_row *r, void *ud)
{
    *(int64_t *)ud = r->seq;
    return 1;
}

static int64_t oldest(struct fx *f)
{
    struct store_conn *c;
    int64_t seq = 0;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_outbox_after(c, 0, 1, first_seq, &seq), STORE_OK);
    store_read_release(f->store, c);
    return seq;
}

static int64_t stored_cursor(struct fx *f, const char *name)
{
    struct store_conn *c;
    int64_t seq = -1;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_outbox_cursor_get(c, name, &seq), STORE_OK);
    store_read_release(f->store, c);
    return seq;
}

static void tick(struct fx *f)
{
    unsigned changed;
    assert_int_equal(ledger_tick(f->ledger, time_now_ms(), &changed), SVC_OK);
}

static double metric_of(struct fx *f, const char *family, const char *consumer)
{
    const char *labels[] = {"consumer", NULL};
    struct metric *m = strstr(family, "_total")
                           ? metrics_counter(f->metrics, family, "", labels)
                           : metrics_gauge(f->metrics, family, "", labels);
    return metric_value(metric_series_get(m, (const char *[]){consumer}));
}

struct collect {
    int64_t seqs[64];
    int n;
};

static int collect(const struct outbox_row *r, void *ud)
{
    struct collect *c = ud;
    c->seqs[c->n++] = r->seq;
    return 0;
}

static void slow_consumer_keeps_events(void **state)
{
    struct fx *f = *state;
    open_all(f, 2, 1000, NULL);
    struct outbox_consumer *oc;
    assert_int_equal(ledger_consumer_open(f->ledger, "slow-1", OUTBOX_FROM_START, &oc), SVC_OK);
    ingest_three(f);
    assert_int_equal(ledger_outbox_head(f->ledger), 9);

    tick(f);
    assert_int_equal(oldest(f), 1); /* retain 2 alone would keep only 8 and 9 */
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_backlog", "slow-1"), 9);

    struct collect got = {0};
    assert_int_equal(ledger_consumer_next(oc, 5, collect, &got), 5);
    assert_int_equal(got.seqs[0], 1);
    assert_int_equal(got.seqs[4], 5);
    assert_int_equal(ledger_consumer_cursor(oc), 0); /* next does not advance */
    assert_int_equal(ledger_consumer_advance(oc, 5), SVC_OK);
    assert_int_equal(ledger_consumer_advance(oc, 3), SVC_OK); /* never backwards */
    assert_int_equal(ledger_consumer_cursor(oc), 5);
    assert_int_equal(stored_cursor(f, "slow-1"), 5);

    tick(f);
    assert_int_equal(oldest(f), 6); /* everything it handled may go */
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_backlog", "slow-1"), 4);
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_dropped_total", "slow-1"), 0);

    got.n = 0;
    assert_int_equal(ledger_consumer_next(oc, 100, collect, &got), 4);
    assert_int_equal(got.seqs[0], 6);
    assert_int_equal(ledger_consumer_advance(oc, 9), SVC_OK);
    tick(f);
    assert_int_equal(oldest(f), 8); /* now only the SSE window holds events */

    /* a bad name is refused */
    struct outbox_consumer *bad = NULL;
    assert_int_equal(ledger_consumer_open(f->ledger, "no spaces", OUTBOX_FROM_START, &bad),
                     SVC_INVALID);
    assert_null(bad);
    ledger_consumer_close(oc);
}

static void backlog_is_bounded(void **state)
{
    struct fx *f = *state;
    open_all(f, 2, 4, NULL);
    struct outbox_consumer *oc, *fast;
    assert_int_equal(ledger_consumer_open(f->ledger, "stuck-1", OUTBOX_FROM_START, &oc), SVC_OK);
    assert_int_equal(ledger_consumer_open(f->ledger, "fast-1", OUTBOX_FROM_START, &fast),
                     SVC_OK);
    ingest_three(f);
    assert_int_equal(ledger_consumer_advance(fast, 9), SVC_OK);

    tick(f);
    /* head 9, max backlog 4: events 1..5 go although "stuck-1" never saw them */
    assert_int_equal(oldest(f), 6);
    assert_int_equal(stored_cursor(f, "stuck-1"), 5);
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_dropped_total", "stuck-1"), 5);
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_dropped_total", "fast-1"), 0);
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_backlog", "stuck-1"), 4);

    /* it carries on from what is left */
    struct collect got = {0};
    assert_int_equal(ledger_consumer_next(oc, 100, collect, &got), 4);
    assert_int_equal(got.seqs[0], 6);

    /* a second tick loses nothing more */
    tick(f);
    assert_int_equal(oldest(f), 6);
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_dropped_total", "stuck-1"), 5);
    ledger_consumer_close(oc);
    ledger_consumer_close(fast);
}

static void cursors_survive_restart(void **state)
{
    struct fx *f = *state;
    open_all(f, 2, 1000, NULL);
    struct outbox_consumer *oc;
    assert_int_equal(ledger_consumer_open(f->ledger, "keeper-1", OUTBOX_FROM_START, &oc),
                     SVC_OK);
    ingest_three(f);
    assert_int_equal(ledger_consumer_advance(oc, 4), SVC_OK);
    ledger_consumer_close(oc);
    close_all(f);

    open_all(f, 2, 1000, NULL);
    /* the cursor holds events back before the consumer is back */
    tick(f);
    assert_int_equal(oldest(f), 5);
    assert_int_equal(ledger_consumer_open(f->ledger, "keeper-1", OUTBOX_FROM_HEAD, &oc),
                     SVC_OK);
    assert_int_equal(ledger_consumer_cursor(oc), 4); /* `from` only counts the first time */
    struct outbox_consumer *late;
    assert_int_equal(ledger_consumer_open(f->ledger, "late-1", OUTBOX_FROM_HEAD, &late),
                     SVC_OK);
    assert_int_equal(ledger_consumer_cursor(late), 9);
    ledger_consumer_close(late);
    ledger_consumer_close(oc);
}

/* The bus relay is the consumer "bus": it too holds back and advances. */
static void relay_is_a_consumer(void **state)
{
    struct fx *f = *state;
    struct bus *bus = NULL;
    char err[200];
    assert_int_equal(bus_open("local:", NULL, &bus, err, sizeof err), 0);
    open_all(f, 2, 1000, bus);
    ingest_three(f);
    assert_int_equal(ledger_start(f->ledger), 0);
    for (int i = 0; i < 500 && stored_cursor(f, "bus") < 9; i++)
        usleep(10 * 1000);
    assert_int_equal(stored_cursor(f, "bus"), 9);
    tick(f);
    assert_int_equal(oldest(f), 8);
    assert_int_equal(metric_of(f, "srebot_ledger_outbox_backlog", "bus"), 0);
    close_all(f);
    bus_destroy(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(slow_consumer_keeps_events, setup, teardown),
        cmocka_unit_test_setup_teardown(backlog_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(cursors_survive_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(relay_is_a_consumer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
