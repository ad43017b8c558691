/* The pure decisions of the delivery worker (channels/delivery_plan.h):
 * routing by severity and class, the failover order, the retry schedule with
 * Retry-After, give-up bounds, and the per-channel token bucket. Also the
 * message template and the webhook signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "channels/delivery_plan.h"
#include "channels/template.h"
#include "channels/webhook.h"

static json_t *policy(void)
{
    return json_loads(
        "{\"channels\":[{\"id\":\"inbox\",\"provider\":\"inapp\"},"
        "{\"id\":\"slack\",\"provider\":\"slack\"},{\"id\":\"tg\",\"provider\":\"telegram\"},"
        "{\"id\":\"mail\",\"provider\":\"email\"}],"
        "\"routing\":{\"fallback\":\"mail\",\"rules\":["
        "{\"severities\":[\"critical\",\"high\"],\"channels\":[\"slack\",\"tg\"]},"
        "{\"classes\":[\"kubernetes.pod_crashloop\"],\"channels\":[\"tg\"]},"
        "{\"severities\":[\"critical\"],\"classes\":[\"host.disk_pressure\"],"
        "\"channels\":[\"mail\"]}]}}",
        0, NULL);
}

static void routes_by_severity_and_class(void **state)
{
    json_t *p = policy();
    struct route r[8];
    /* high, some class: the first rule only */
    size_t n = delivery_routes(p, 2, "runtime_services.x", r, 8);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].n, 2);
    assert_string_equal(r[0].ids[0], "slack");
    assert_string_equal(r[0].ids[1], "tg");
    /* critical disk pressure: rules 1 and 3 */
    n = delivery_routes(p, 3, "host.disk_pressure", r, 8);
    assert_int_equal(n, 2);
    assert_string_equal(r[1].ids[0], "mail");
    /* warning crashloop: rule 2 (class only) */
    n = delivery_routes(p, 1, "kubernetes.pod_crashloop", r, 8);
    assert_int_equal(n, 1);
    assert_string_equal(r[0].ids[0], "tg");
    /* warning, other class: the fallback */
    n = delivery_routes(p, 1, "host.memory_pressure", r, 8);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].n, 1);
    assert_string_equal(r[0].ids[0], "mail");
    /* no class (a test message): class rules do not match */
    n = delivery_routes(p, 1, NULL, r, 8);
    assert_string_equal(r[0].ids[0], "mail");
    /* the in-app channel is found by provider */
    assert_string_equal(delivery_inapp_id(p), "inbox");
    json_t *none = json_object();
    assert_string_equal(delivery_inapp_id(none), "inapp");
    assert_int_equal(delivery_routes(none, 2, "a.b", r, 8), 0);
    json_decref(none);
    json_decref(p);
}

static void failover_order(void **state)
{
    struct route r;
    assert_int_equal(route_from_text("[\"slack\",\"tg\"]", &r), 0);
    int hop = -1;
    assert_string_equal(route_next(&r, 0, "inbox", &hop), "tg");
    assert_int_equal(hop, 1);
    assert_string_equal(route_next(&r, 1, "inbox", &hop), "inbox");
    assert_int_equal(hop, 2);
    assert_null(route_next(&r, 2, "inbox", &hop)); /* in-app is the end */
    /* a chain that ends on the in-app channel does not add it twice */
    assert_int_equal(route_from_text("[\"slack\",\"inbox\"]", &r), 0);
    assert_null(route_next(&r, 1, "inbox", &hop));
    char text[64];
    assert_int_equal(route_to_text(&r, text, sizeof text), 0);
    assert_string_equal(text, "[\"slack\",\"inbox\"]");
    assert_int_equal(route_to_text(&r, text, 8), -1);
    /* bounded parsing */
    assert_int_equal(route_from_text("{\"a\":1}", &r), -1);
    assert_int_equal(route_from_text("[1]", &r), -1);
    assert_int_equal(route_from_text("[\"\"]", &r), -1);
    assert_int_equal(route_from_text(NULL, &r), -1);
    char big[1024] = "[";
    for (int i = 0; i < 20; i++)
        strcat(big, i ? ",\"x\"" : "\"x\"");
    strcat(big, "]");
    assert_int_equal(route_from_text(big, &r), -1); /* more than 16 hops */
}

static void retry_schedule(void **state)
{
    struct retry_policy p;
    retry_policy_defaults(&p);
    p.base_ms = 1000;
    p.max_ms = 60000;
    /* equal jitter: within [w/2, w] of base * 2^(n-1), capped */
    for (uint64_t rnd = 0; rnd < 2000; rnd += 97) {
        int64_t w1 = delivery_backoff_ms(&p, 1, 0, rnd);
        assert_true(w1 >= 500 && w1 <= 1000);
        int64_t w3 = delivery_backoff_ms(&p, 3, 0, rnd);
        assert_true(w3 >= 2000 && w3 <= 4000);
        int64_t w20 = delivery_backoff_ms(&p, 20, 0, rnd);
        assert_true(w20 >= 30000 && w20 <= 60000);
    }
    /* Retry-After wins when longer, and is capped */
    assert_int_equal(delivery_backoff_ms(&p, 1, 120000, 0), 120000);
    assert_int_equal(delivery_backoff_ms(&p, 1, 10LL * 3600 * 1000, 0), p.max_retry_after_ms);

    struct delivery_decision d;
    int64_t t0 = 1000000;
    delivery_decide(&p, ADAPTER_OK, 1, t0, t0, 0, 0, 0, &d);
    assert_int_equal(d.verdict, DELIVERY_SENT);
    assert_int_equal(d.failover, 0);
    delivery_decide(&p, ADAPTER_RETRY, 1, t0, t0, 0, 0, 0, &d);
    assert_int_equal(d.verdict, DELIVERY_RETRY);
    assert_int_equal(d.failover, 0);
    assert_true(d.next_at_ms >= t0 + 500 && d.next_at_ms <= t0 + 1000);
    delivery_decide(&p, ADAPTER_RETRY, p.failover_after, t0, t0, 0, 0, 0, &d);
    assert_int_equal(d.verdict, DELIVERY_RETRY); /* keeps trying ... */
    assert_int_equal(d.failover, 1);             /* ... while the next channel takes over */
    delivery_decide(&p, ADAPTER_RETRY, p.failover_after + 1, t0, t0, 0, 0, 1, &d);
    assert_int_equal(d.failover, 0); /* once */
    delivery_decide(&p, ADAPTER_ERROR, 1, t0, t0, 0, 0, 0, &d);
    assert_int_equal(d.verdict, DELIVERY_GIVE_UP); /* refused: at once */
    assert_int_equal(d.failover, 1);
    delivery_decide(&p, ADAPTER_RETRY, p.max_attempts, t0, t0, 0, 0, 1, &d);
    assert_int_equal(d.verdict, DELIVERY_GIVE_UP);
    delivery_decide(&p, ADAPTER_RETRY, 2, t0, t0 + p.max_age_ms, 0, 0, 1, &d);
    assert_int_equal(d.verdict, DELIVERY_GIVE_UP);
}

static void rate_limit(void **state)
{
    struct rate_bucket b = {0};
    int64_t now = 5000, wait = 0;
    int sent = 0;
    for (int i = 0; i < 100; i++)
        sent += rate_take(&b, 10, now, &wait);
    assert_int_equal(sent, 10); /* a burst of one minute's worth */
    assert_true(wait > 0 && wait <= 6001);
    assert_int_equal(rate_take(&b, 10, now + 3000, NULL), 0);
    assert_int_equal(rate_take(&b, 10, now + 6001, NULL), 1); /* one token per 6 s */
    assert_int_equal(rate_take(&b, 10, now + 6002, NULL), 0);
    struct rate_bucket u = {0};
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rate_take(&u, 0, now, NULL), 1); /* 0 = no limit */
}

static void template_and_signature(void **state)
{
    struct notification_rec n;
    memset(&n, 0, sizeof n);
    n.id = 7;
    n.incident_id = 42;
    n.severity = 3;
    snprintf(n.kind, sizeof n.kind, "approval_request");
    snprintf(n.title, sizeof n.title, "Approval needed");
    snprintf(n.body, sizeof n.body, "restart api?");
    struct incident inc;
    memset(&inc, 0, sizeof inc);
    snprintf(inc.class_, sizeof inc.class_, "kubernetes.pod_crashloop");
    inc.severity = SEV_CRITICAL;
    inc.state = ST_OBSERVED;
    snprintf(inc.summary, sizeof inc.summary, "api restarts");
    struct channel_text t;
    channel_render(&n, &inc, "https://bot.example//", &t);
    assert_string_equal(t.link, "https://bot.example/#/incidents/42");
    assert_non_null(strstr(t.text, "restart api?"));
    assert_non_null(strstr(t.text, "Class: kubernetes.pod_crashloop | Severity: critical"));
    assert_non_null(strstr(t.text, "Summary: api restarts"));
    assert_non_null(strstr(t.text, "Approve or reject in the console: https://bot.example/#/"));
    struct channel_message m;
    channel_message_from(&n, &t, &m);
    assert_int_equal(m.kind, CHANNEL_MSG_APPROVAL_REQUEST);
    assert_string_equal(m.class_, "kubernetes.pod_crashloop");
    channel_render(&n, NULL, NULL, &t);
    assert_string_equal(t.link, "");
    enum channel_msg_kind k;
    assert_int_equal(channel_kind_parse("resolved", &k), 0);
    assert_int_equal(k, CHANNEL_MSG_RESOLVED);
    assert_int_equal(channel_kind_parse("bogus", &k), -1);
    assert_string_equal(channel_kind_name(CHANNEL_MSG_TEST), "test");

    /* HMAC-SHA256("key", "1700000000.{}") computed with openssl dgst */
    char sig[68];
    webhook_signature("key", "1700000000", "{}", 2, sig);
    assert_string_equal(sig, "v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae");
    char again[68];
    webhook_signature("key", "1700000000", "{} ", 2, again);
    assert_string_equal(sig, again); /* body_len bounds what is signed */
    webhook_signature("key", "1700000001", "{}", 2, again);
    assert_string_not_equal(sig, again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_by_severity_and_class),
        cmocka_unit_test(failover_order),
        cmocka_unit_test(retry_schedule),
        cmocka_unit_test(rate_limit),
        cmocka_unit_test(template_and_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
