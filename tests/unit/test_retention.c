/* Retention (docs/policy.md#retention): the policy section's validation and
 * defaults, the nightly schedule, and the prune itself through the ledger and
 * the store writer on a real SQLite store, with the clock injected (the run is
 * given a "now" days ahead): old findings, events and resolved incidents with
 * their evidence and timeline go; open incidents, recent rows and the events
 * a consumer has not handled stay; every batch that deleted something is
 * audited and the chain still verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/policy.h"
#include "core/problems.h"
#include "core/retention.h"
#include "ledger/consumers.h"
#include "ledger/ledger.h"
#include "ledger/policy_service.h"
#include "ledger/views.h"
#include "ledger_fixture.h"
#include "store/ledger_repo.h"
#include "util/metrics.h"
#include "util/timeutil.h"

#define DAY_MS (86400LL * 1000)

static void parse_time_and_schedule(void **state)
{
    (void)state;
    assert_int_equal(retention_parse_time("03:30"), 210);
    assert_int_equal(retention_parse_time("00:00"), 0);
    assert_int_equal(retention_parse_time("23:59"), 1439);
    assert_int_equal(retention_parse_time("24:00"), -1);
    assert_int_equal(retention_parse_time("3:30"), -1);
    assert_int_equal(retention_parse_time("03:60"), -1);
    assert_int_equal(retention_parse_time(NULL), -1);
    int64_t day = 1767225600LL * 1000; /* 2026-01-01T00:00:00Z */
    assert_int_equal(retention_next_run_ms(day, 210), day + 210 * 60000);
    assert_int_equal(retention_next_run_ms(day + 210 * 60000 - 1, 210), day + 210 * 60000);
    /* exactly at the time, or after it: tomorrow */
    assert_int_equal(retention_next_run_ms(day + 210 * 60000, 210), day + DAY_MS + 210 * 60000);
    assert_int_equal(retention_next_run_ms(day + 23 * 3600000LL, 210), day + DAY_MS + 210 * 60000);
}

static json_t *defaults(enum environment env)
{
    struct policy_seed seed = {.posture = env};
    return policy_defaults(&seed);
}

/* The first problem's path (code into code), or NULL when the document is valid. */
static const char *first_problem(json_t *doc, char *code, size_t codelen)
{
    static char path[300];
    struct problems *p = problems_create();
    int rc = policy_validate(doc, p);
    path[0] = code[0] = '\0';
    if (rc != 0 && p->count) {
        snprintf(path, sizeof path, "%s", p->items[0].path);
        snprintf(code, codelen, "%s", p->items[0].code);
    }
    problems_destroy(p);
    return rc == 0 ? NULL : path;
}

static void policy_section(void **state)
{
    (void)state;
    char code[32];
    static const int days[][2] = {{7, 30}, {30, 90}, {90, 365}};
    for (int e = ENV_DEMO; e <= ENV_PRODUCTION; e++) {
        json_t *doc = defaults((enum environment)e);
        json_t *r = json_object_get(doc, "retention");
        assert_int_equal(json_integer_value(json_object_get(r, "findings_days")), days[e][0]);
        assert_int_equal(json_integer_value(json_object_get(r, "resolved_incidents_days")),
                         days[e][1]);
        assert_null(first_problem(doc, code, sizeof code));
        struct retention_policy rp;
        retention_from_policy(doc, &rp);
        assert_int_equal(rp.enabled, 1);
        assert_int_equal(rp.prune_minute, 210);
        json_decref(doc);
    }
    json_t *doc = defaults(ENV_DEMO);
    json_t *r = json_object_get(doc, "retention");
    json_object_set_new(r, "findings_days", json_integer(0));
    assert_string_equal(first_problem(doc, code, sizeof code), "/retention/findings_days");
    assert_string_equal(code, "range");
    json_object_set_new(r, "findings_days", json_integer(7));
    json_object_set_new(r, "prune_at", json_string("25:00"));
    assert_string_equal(first_problem(doc, code, sizeof code), "/retention/prune_at");
    assert_string_equal(code, "format");
    json_object_set_new(r, "prune_at", json_string("02:15"));
    json_object_set_new(r, "batch_size", json_integer(10));
    assert_string_equal(first_problem(doc, code, sizeof code), "/retention/batch_size");
    json_object_set_new(r, "batch_size", json_integer(500));
    json_object_set_new(r, "keep_forever", json_true());
    assert_string_equal(first_problem(doc, code, sizeof code), "/retention/keep_forever");
    assert_string_equal(code, "unknown_field");
    json_object_del(r, "keep_forever");
    /* shorter than the re-open window */
    json_object_set_new(json_object_get(doc, "incidents"), "reopen_window_seconds",
                        json_integer(2 * 86400));
    json_object_set_new(r, "resolved_incidents_days", json_integer(1));
    assert_string_equal(first_problem(doc, code, sizeof code),
                        "/retention/resolved_incidents_days");
    assert_string_equal(code, "forbidden");
    json_object_set_new(r, "resolved_incidents_days", json_integer(2));
    assert_null(first_problem(doc, code, sizeof code));
    /* optional: a policy without it is valid and prunes nothing */
    json_object_del(doc, "retention");
    assert_null(first_problem(doc, code, sizeof code));
    struct retention_policy rp;
    retention_from_policy(doc, &rp);
    assert_int_equal(rp.enabled, 0);
    json_decref(doc);
}

/* ---- the prune through the ledger ---- */

struct fx {
    char dir[64], url[128];
    struct store *store;
    struct ledger *ledger;
    struct metrics *metrics;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/srebot-retention-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/r.db", f->dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = f->url;
    char err[256];
    if (store_open(&sc, &f->store, err, sizeof err) != STORE_OK)
        return -1;
    f->metrics = metrics_create();
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = f->store;
    lc.metrics = f->metrics;
    lc.tick_ms = 3600 * 1000; /* the test drives everything itself */
    if (ledger_create(&lc, &f->ledger) != SVC_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ledger_destroy(f->ledger);
    store_close(f->store);
    metrics_destroy(f->metrics);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void save_policy(struct fx *f, int findings_days, int resolved_days, int batch)
{
    json_t *doc = defaults(ENV_DEMO);
    json_t *r = json_object_get(doc, "retention");
    json_object_set_new(r, "findings_days", json_integer(findings_days));
    json_object_set_new(r, "resolved_incidents_days", json_integer(resolved_days));
    json_object_set_new(r, "batch_size", json_integer(batch));
    json_object_set_new(json_object_get(doc, "incidents"), "reopen_window_seconds",
                        json_integer(3600));
    struct problems *p = problems_create();
    int64_t current = 0, v = 0;
    policy_service_current_version(f->store, &current);
    char err[256];
    assert_int_equal(policy_service_put(f->store, doc, current, "test", p, &v, err, sizeof err),
                     SVC_OK);
    problems_destroy(p);
    json_decref(doc);
}

/* Verifies the audit chain; returns its length. */
static int64_t audit_records(struct fx *f)
{
    struct store_conn *c;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    int64_t broken = 1, checked = 0;
    char reason[128];
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, sizeof reason), STORE_OK);
    store_read_release(f->store, c);
    assert_int_equal(broken, 0);
    return checked;
}

static int exists(struct fx *f, int64_t id)
{
    struct incident inc;
    return ledger_incident_get(f->ledger, id, &inc) == SVC_OK;
}

#define FND(id, key, sev)                                                                          \
    "{\"id\":\"" id "\",\"source\":\"probe\",\"class\":\"runtime_services.runtime_dependency_outage\"," \
    "\"correlation_key\":\"" key "\",\"severity\":\"" sev "\",\"status\":\"firing\","             \
    "\"summary\":\"down\"}"

static void prune_with_an_injected_clock(void **state)
{
    struct fx *f = *state;
    struct retention_report rep;
    /* No retention section: nothing happens. */
    assert_int_equal(ledger_retention_run(f->ledger, time_now_ms(), "test", &rep), SVC_OK);
    assert_int_equal(rep.enabled, 0);

    save_policy(f, 7, 30, 100);
    json_t *items = ledger_ingest_items(
        f->ledger, "[" FND("a1", "k-1", "warning") "," FND("a2", "k-1", "critical") ","
                   FND("a3", "k-2", "warning") "]", "test");
    int64_t resolved_id = incident_of(items, 0), open_id = incident_of(items, 2);
    json_decref(items);
    struct problems *p = problems_create();
    struct incident inc;
    assert_int_equal(ledger_transition(f->ledger, resolved_id, ST_RESOLVED, "fixed", 0, 0, "op",
                                       &inc, p),
                     SVC_OK);
    problems_destroy(p);
    int64_t now = time_now_ms();

    /* Today: nothing is old enough. */
    assert_int_equal(ledger_retention_run(f->ledger, now, "test", &rep), SVC_OK);
    assert_int_equal(rep.enabled, 1);
    assert_int_equal(rep.findings + rep.incidents + rep.events, 0);

    /* Eight days on, findings and events are past 7 days, but a consumer that
     * has not handled the events keeps them (and the findings they reference). */
    struct outbox_consumer *oc = NULL;
    assert_int_equal(ledger_consumer_open(f->ledger, "slow-reader", OUTBOX_FROM_START, &oc),
                     SVC_OK);
    assert_int_equal(ledger_retention_run(f->ledger, now + 8 * DAY_MS, "test", &rep), SVC_OK);
    assert_int_equal(rep.findings, 0);
    assert_int_equal(rep.events, 0);
    assert_int_equal(ledger_consumer_advance(oc, ledger_outbox_head(f->ledger)), SVC_OK);
    assert_int_equal(ledger_retention_run(f->ledger, now + 8 * DAY_MS, "test", &rep), SVC_OK);
    assert_true(rep.events > 0);
    assert_int_equal(rep.findings, 3);
    assert_int_equal(rep.incidents, 0); /* resolved, but not 30 days ago */
    assert_true(exists(f, resolved_id));

    /* Thirty-one days on: the resolved incident goes with its timeline; the
     * open one stays. */
    int64_t audit_before = audit_records(f);
    assert_int_equal(ledger_retention_run(f->ledger, now + 31 * DAY_MS, "test", &rep), SVC_OK);
    assert_int_equal(rep.incidents, 1);
    assert_true(rep.timeline >= 2);
    assert_false(exists(f, resolved_id));
    assert_true(exists(f, open_id));
    /* one audit record for the batch that deleted something; the chain verifies */
    assert_int_equal(audit_records(f), audit_before + 1);

    /* counted on the registry /metrics renders */
    size_t len;
    char *text = metrics_render(f->metrics, &len);
    assert_non_null(strstr(text, "srebot_retention_pruned_total{kind=\"incidents\"} 1\n"));
    assert_non_null(strstr(text, "srebot_retention_pruned_total{kind=\"findings\"} 3\n"));
    assert_non_null(strstr(text, "srebot_retention_runs_total 4\n"));
    free(text);
    ledger_consumer_close(oc);
}

static void batches_are_bounded(void **state)
{
    struct fx *f = *state;
    save_policy(f, 1, 1, 100);
    /* 250 findings on 250 keys: at least three batches of at most 100 */
    char *doc = malloc(250 * 300 + 16);
    size_t n = 0;
    doc[n++] = '[';
    for (int i = 0; i < 250; i++)
        n += (size_t)sprintf(doc + n,
                             "%s{\"id\":\"b%d\",\"source\":\"probe\",\"class\":\"runtime_services."
                             "runtime_dependency_outage\",\"correlation_key\":\"k%d\",\"severity\":"
                             "\"info\",\"status\":\"firing\",\"summary\":\"s\"}",
                             i ? "," : "", i, i);
    doc[n++] = ']';
    doc[n] = '\0';
    json_t *items = ledger_ingest_items(f->ledger, doc, "test");
    json_decref(items);
    free(doc);
    struct retention_report rep;
    assert_int_equal(ledger_retention_run(f->ledger, time_now_ms() + 2 * DAY_MS, "test", &rep),
                     SVC_OK);
    assert_int_equal(rep.findings, 250);
    assert_true(rep.events >= 250);
    assert_true(rep.batches >= 3);
    audit_records(f); /* verifies */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_time_and_schedule),
        cmocka_unit_test(policy_section),
        cmocka_unit_test_setup_teardown(prune_with_an_injected_clock, setup, teardown),
        cmocka_unit_test_setup_teardown(batches_are_bounded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
