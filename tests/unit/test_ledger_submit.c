/* ledger_ingest_submit, the ingest that does not wait (HTTP handlers use it so
 * that no thread is held while a batch commits):
 * - the completion comes once per batch, only after its commit, with the
 *   results filled; while the writer is held inside another transaction
 *   nothing completes (nothing is acknowledged before it is durable);
 * - ledger_destroy waits for batches still queued, so their completions never
 *   touch a freed ledger (ASan would see it);
 * - a full write queue is SVC_BUSY at once, and that batch never completes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/finding.h"
#include "ledger/ledger.h"
#include "store_fixture.h"

#define NBATCH 3

struct call {
    struct finding_batch b;
    struct ledger_result res[2];
    enum svc_status st;
    int done;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int completed;

static void on_done(void *ctx, enum svc_status st, const char *err)
{
    (void)err;
    struct call *c = ctx;
    pthread_mutex_lock(&mu);
    c->st = st;
    c->done++;
    completed++;
    pthread_mutex_unlock(&mu);
}

static void make_batch(struct call *c, int n)
{
    char doc[1024];
    snprintf(doc, sizeof doc,
             "[{\"id\":\"a%d\",\"source\":\"t\",\"class\":\"infrastructure.node_disk_pressure\","
             "\"correlation_key\":\"k%d\",\"severity\":\"high\",\"status\":\"firing\","
             "\"summary\":\"s\"},"
             "{\"id\":\"b%d\",\"source\":\"t\",\"class\":\"infrastructure.node_disk_pressure\","
             "\"correlation_key\":\"k%d\",\"severity\":\"high\",\"status\":\"firing\","
             "\"summary\":\"s\"}]",
             n, n, n, n);
    struct problems *p = problems_create();
    assert_int_equal(findings_parse(doc, strlen(doc), 1 << 20, time_now_ms(), &c->b, p), 0);
    problems_destroy(p);
}

static struct ledger *open_ledger(struct store *s)
{
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = s;
    struct ledger *l = NULL;
    assert_int_equal(ledger_create(&lc, &l), SVC_OK);
    return l;
}

static void completes_after_commit_and_destroy_waits(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct store *s = fixture_open(&f, 0, 0);
    assert_non_null(s);
    struct ledger *l = open_ledger(s);
    completed = 0;
    struct call calls[NBATCH];
    memset(calls, 0, sizeof calls);

    struct gate g;
    gate_close(&g, s); /* the writer is parked inside a transaction */
    for (int i = 0; i < NBATCH; i++) {
        make_batch(&calls[i], i);
        assert_int_equal(
            ledger_ingest_submit(l, &calls[i].b, "test", calls[i].res, on_done, &calls[i]),
            SVC_OK);
    }
    assert_int_equal(wait_queue_depth(s, NBATCH), 0);
    pthread_mutex_lock(&mu);
    assert_int_equal(completed, 0); /* nothing before its commit */
    pthread_mutex_unlock(&mu);

    gate_open(&g);
    ledger_destroy(l); /* at once: it must wait for the queued batches */
    assert_int_equal(completed, NBATCH);
    for (int i = 0; i < NBATCH; i++) {
        assert_int_equal(calls[i].done, 1);
        assert_int_equal(calls[i].st, SVC_OK);
        assert_int_equal(calls[i].res[0].outcome, FOLD_OPENED);
        assert_int_equal(calls[i].res[1].outcome, FOLD_FOLDED);
        assert_true(calls[i].res[0].incident_id > 0);
        assert_int_equal(calls[i].res[1].incident_id, calls[i].res[0].incident_id);
        finding_batch_clear(&calls[i].b);
    }
    store_close(s);
    fixture_cleanup(&f);
}

static void full_queue_is_busy_at_once(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f);
    struct store *s = fixture_open(&f, 1, 0); /* room for one queued write */
    assert_non_null(s);
    struct ledger *l = open_ledger(s);
    completed = 0;
    struct call calls[2];
    memset(calls, 0, sizeof calls);
    struct gate g;
    gate_close(&g, s);
    make_batch(&calls[0], 0);
    make_batch(&calls[1], 1);
    assert_int_equal(ledger_ingest_submit(l, &calls[0].b, "t", calls[0].res, on_done, &calls[0]),
                     SVC_OK);
    assert_int_equal(ledger_ingest_submit(l, &calls[1].b, "t", calls[1].res, on_done, &calls[1]),
                     SVC_BUSY);
    gate_open(&g);
    ledger_destroy(l);
    assert_int_equal(calls[0].done, 1);
    assert_int_equal(calls[0].st, SVC_OK);
    assert_int_equal(calls[1].done, 0); /* refused batches never complete */
    assert_int_equal(completed, 1);
    finding_batch_clear(&calls[0].b);
    finding_batch_clear(&calls[1].b);
    store_close(s);
    fixture_cleanup(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(completes_after_commit_and_destroy_waits),
        cmocka_unit_test(full_queue_is_busy_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
