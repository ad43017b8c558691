/* The bus family: selection by URL scheme, a clear error for an unknown or
 * left-out adapter, handler answers (ack / nak / term) and the state /readyz shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bus/bus.h"

struct got {
    int n;
    enum bus_ack answer;
    char last[64];
};

static enum bus_ack handler(const struct bus_msg *m, void *ud)
{
    struct got *g = ud;
    g->n++;
    snprintf(g->last, sizeof g->last, "%s:%.*s", m->msg_id, (int)m->len, m->data);
    return g->answer;
}

static void selects_by_scheme(void **state)
{
    (void)state;
    assert_ptr_equal(bus_find("local:"), bus_find("local"));
    assert_non_null(bus_find("local:"));
    assert_null(bus_find("localx:"));
    assert_null(bus_find(NULL));

    char err[256];
    struct bus *b = NULL;
    assert_int_not_equal(bus_open("nats://127.0.0.1:4222", NULL, &b, err, sizeof err), 0);
    assert_null(b);
    assert_non_null(strstr(err, "nats is not in this build"));
    assert_non_null(strstr(err, "SREBOT_WITH_NATS"));
    assert_int_not_equal(bus_open("kafka://x", NULL, &b, err, sizeof err), 0);
    assert_non_null(strstr(err, "no such adapter (built in: local)"));
}

static void answers_and_state(void **state)
{
    (void)state;
    char err[256];
    struct bus *b = NULL;
    assert_int_equal(bus_open("local:", NULL, &b, err, sizeof err), 0);
    assert_string_equal(bus_name(b), "local");
    char detail[64];
    assert_int_equal(bus_state(b, detail, sizeof detail), BUS_CONNECTED);
    assert_string_equal(bus_state_name(BUS_CONNECTED), "connected");

    struct got a = {.answer = BUS_ACK}, z = {.answer = BUS_ACK};
    int sa = bus_subscribe(b, "sre.>", handler, &a);
    int sz = bus_subscribe(b, "sre.incident.opened", handler, &z);
    assert_true(sa > 0 && sz > 0 && sa != sz);
    assert_int_equal(bus_interested(b, "sre.finding.observed"), 1);
    assert_int_equal(bus_interested(b, "other"), 0);

    assert_int_equal(bus_publish(b, "sre.finding.observed", "evt_1", "{}", 2), ADAPTER_OK);
    assert_int_equal(a.n, 1);
    assert_int_equal(z.n, 0);
    assert_string_equal(a.last, "evt_1:{}");

    /* a nak asks for the message again: the publisher retries it */
    z.answer = BUS_NAK;
    assert_int_equal(bus_publish(b, "sre.incident.opened", "evt_2", "{}", 2), ADAPTER_RETRY);
    assert_int_equal(a.n, 2);
    assert_int_equal(z.n, 1);
    /* term is final: the publish is done */
    z.answer = BUS_TERM;
    assert_int_equal(bus_publish(b, "sre.incident.opened", "evt_2", "{}", 2), ADAPTER_OK);
    assert_int_equal(z.n, 2);

    bus_unsubscribe(b, sz);
    assert_int_equal(bus_publish(b, "sre.incident.opened", "evt_3", "{}", 2), ADAPTER_OK);
    assert_int_equal(z.n, 2);
    assert_int_equal(a.n, 4);
    bus_destroy(b);
    bus_destroy(NULL);
}

/* Two buses in one process share nothing. */
static void two_buses_are_independent(void **state)
{
    (void)state;
    char err[256];
    struct bus *b1 = NULL, *b2 = NULL;
    assert_int_equal(bus_open("local:", NULL, &b1, err, sizeof err), 0);
    assert_int_equal(bus_open("local", NULL, &b2, err, sizeof err), 0);
    struct got g1 = {0}, g2 = {0};
    bus_subscribe(b1, "sre.>", handler, &g1);
    bus_subscribe(b2, "sre.>", handler, &g2);
    bus_publish(b1, "sre.x", "1", "a", 1);
    assert_int_equal(g1.n, 1);
    assert_int_equal(g2.n, 0);
    bus_destroy(b1);
    bus_destroy(b2);
}

static void adapter_helpers(void **state)
{
    (void)state;
    assert_true(adapter_selects("sqlite", "sqlite:/tmp/x.db"));
    assert_true(adapter_selects("nats", "nats://h:4222"));
    assert_true(adapter_selects("local", "local"));
    assert_false(adapter_selects("local", "locale:"));
    assert_false(adapter_selects("nats", "nat:"));
    assert_string_equal(adapter_result_name(ADAPTER_RETRY), "retry");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(selects_by_scheme),
        cmocka_unit_test(answers_and_state),
        cmocka_unit_test(two_buses_are_independent),
        cmocka_unit_test(adapter_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
