/* Alertmanager webhook v4 -> findings: class, key, severity, status, dedupe id,
 * and rejection of malformed payloads with paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/alertmanager.h"
#include "core/classes.h"

static const int64_t NOW = 1790000000000LL;

/* The example of protocols.md section 7, plus a resolved alert and one with sre_class. */
static const char *payload =
    "{\"version\":\"4\",\"groupKey\":\"{}/{severity=\\\"critical\\\"}:{alertname=\\\"KubePodCrashLooping\\\"}\","
    "\"truncatedAlerts\":0,\"status\":\"firing\",\"receiver\":\"sre-bot\","
    "\"groupLabels\":{\"alertname\":\"KubePodCrashLooping\"},"
    "\"commonLabels\":{\"alertname\":\"KubePodCrashLooping\",\"severity\":\"critical\"},"
    "\"commonAnnotations\":{\"summary\":\"..\"},\"externalURL\":\"http://alertmanager:9093\","
    "\"alerts\":["
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"KubePodCrashLooping\",\"namespace\":\"prod\","
    "\"pod\":\"api-7f9\",\"severity\":\"critical\"},\"annotations\":{\"runbook_url\":\"..\"},"
    "\"startsAt\":\"2025-01-02T03:04:05.123Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"http://prometheus:9090/graph?g0.expr=..\",\"fingerprint\":\"1a30ba71cca2921f\"},"
    "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"NodeDiskFull\",\"severity\":\"warning\","
    "\"sre_class\":\"infrastructure.node_disk_pressure\",\"node\":\"n1\"},"
    "\"annotations\":{\"summary\":\"disk full on n1\"},"
    "\"startsAt\":\"2025-01-02T03:00:00Z\",\"endsAt\":\"2025-01-02T03:10:00Z\",\"fingerprint\":\"ab12\"},"
    "{\"status\":\"firing\",\"labels\":{\"alertname\":\"Weird\",\"severity\":\"page\"},"
    "\"startsAt\":\"2025-01-02T03:00:00+01:00\"}"
    "]}";

static void maps_alerts_to_findings(void **state)
{
    (void)state;
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(alertmanager_parse(payload, strlen(payload), 1 << 20, NULL, NOW, &b, &p), 0);
    assert_int_equal(b.count, 3);

    struct finding *f = &b.items[0];
    assert_string_equal(f->source, "alertmanager");
    /* a well-known kube-prometheus alert, keyed by what it is about (not by
     * its fingerprint, which changes with the severity label) */
    assert_string_equal(f->class_, "application_services.pod_restart_pressure");
    assert_string_equal(f->correlation_key, "alertname=KubePodCrashLooping,namespace=prod,pod=api-7f9");
    assert_int_equal(f->severity, SEV_CRITICAL);
    assert_int_equal(f->status, FINDING_FIRING);
    assert_string_equal(f->summary, "KubePodCrashLooping"); /* no summary annotation */
    assert_string_equal(f->id, "am:1a30ba71cca2921f:1735787045123:f");
    assert_int_equal(f->observed_at_ms, 1735787045123LL);
    assert_non_null(strstr(f->attributes, "\"namespace\":\"prod\""));
    assert_non_null(strstr(f->attributes, "\"generator_url\":\"http://prometheus:9090"));
    assert_true(finding_id_valid(f->id));

    f = &b.items[1];
    assert_string_equal(f->class_, "infrastructure.node_disk_pressure");
    assert_int_equal(f->status, FINDING_RESOLVED);
    assert_int_equal(f->severity, SEV_WARNING);
    assert_string_equal(f->summary, "disk full on n1");
    assert_int_equal(f->observed_at_ms, 1735787400000LL); /* endsAt */
    assert_string_equal(f->id, "am:ab12:1735786800000:r");

    f = &b.items[2];
    assert_int_equal(f->severity, SEV_CRITICAL);
    assert_string_equal(f->class_, CLASS_FALLBACK);
    assert_string_equal(f->correlation_key, "alertname=Weird");
    assert_int_equal(strlen(strchr(f->id, ':') + 1) > 16, 1); /* derived fingerprint in the id */
    assert_int_equal(f->observed_at_ms, 1735783200000LL);
    finding_batch_clear(&b);
}

/* Without alertname there is no identity to key on: the fingerprint. */
static void key_without_alertname_is_the_fingerprint(void **state)
{
    (void)state;
    const char *doc = "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"job\":\"x\"},"
                      "\"startsAt\":\"2025-01-02T03:00:00Z\",\"fingerprint\":\"feed01\"}]}";
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(alertmanager_parse(doc, strlen(doc), 1 << 20, NULL, NOW, &b, &p), 0);
    assert_string_equal(b.items[0].correlation_key, "feed01");
    finding_batch_clear(&b);
}

static void mapping_and_key_labels(void **state)
{
    (void)state;
    static const struct am_class_map map[] = {
        {"alertname", "KubePodCrashLooping", "application_services.pod_restart_pressure"},
    };
    static const char *const keys[] = {"namespace", "pod"};
    struct am_options opt = {.map = map, .nmap = 1, .key_labels = keys, .nkey_labels = 2};
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(alertmanager_parse(payload, strlen(payload), 1 << 20, &opt, NOW, &b, &p), 0);
    assert_string_equal(b.items[0].class_, "application_services.pod_restart_pressure");
    assert_string_equal(b.items[0].correlation_key, "namespace=prod,pod=api-7f9");
    /* sre_class wins over the mapping */
    assert_string_equal(b.items[1].class_, "infrastructure.node_disk_pressure");
    assert_string_equal(b.items[1].correlation_key, "namespace=,pod=");
    finding_batch_clear(&b);
}

static void class_label_and_default_from_options(void **state)
{
    (void)state;
    struct am_options opt = {.class_label = "team_class",
                             .default_class = "async_workloads.queue_backlog"};
    const char *doc = "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"team_class\":"
                      "\"identity_security.identity_provider_unreachable\",\"sre_class\":\"a.b\"},"
                      "\"startsAt\":\"2025-01-02T03:00:00Z\"},{\"status\":\"firing\","
                      "\"labels\":{\"sre_class\":\"a.b\"},\"startsAt\":\"2025-01-02T03:00:00Z\"}]}";
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(alertmanager_parse(doc, strlen(doc), 1 << 20, &opt, NOW, &b, &p), 0);
    assert_string_equal(b.items[0].class_, "identity_security.identity_provider_unreachable");
    assert_string_equal(b.items[1].class_, "async_workloads.queue_backlog"); /* sre_class ignored */
    finding_batch_clear(&b);
}

static void severity_words(void **state)
{
    (void)state;
    struct {
        const char *in;
        enum severity out;
    } rows[] = {{"critical", SEV_CRITICAL}, {"CRITICAL", SEV_CRITICAL}, {"page", SEV_CRITICAL},
                {"error", SEV_HIGH},        {"high", SEV_HIGH},         {"major", SEV_HIGH},
                {"warning", SEV_WARNING},   {"warn", SEV_WARNING},      {"whatever", SEV_WARNING},
                {NULL, SEV_WARNING},        {"info", SEV_INFO},         {"none", SEV_INFO}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(am_severity(rows[i].in), rows[i].out);
}

static void resends_are_the_same_finding(void **state)
{
    (void)state;
    struct finding_batch a, b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(alertmanager_parse(payload, strlen(payload), 1 << 20, NULL, NOW, &a, &p), 0);
    assert_int_equal(
        alertmanager_parse(payload, strlen(payload), 1 << 20, NULL, NOW + 3600000, &b, &p), 0);
    for (size_t i = 0; i < a.count; i++)
        assert_string_equal(a.items[i].id, b.items[i].id);
    finding_batch_clear(&a);
    finding_batch_clear(&b);
}

static void long_text_is_cut_not_refused(void **state)
{
    (void)state;
    char doc[8192];
    char big[3000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    snprintf(doc, sizeof doc,
             "{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"%s\"},"
             "\"annotations\":{\"summary\":\"%s\"},\"startsAt\":\"2025-01-02T03:00:00Z\"}]}",
             big, big);
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(alertmanager_parse(doc, strlen(doc), 1 << 20, NULL, NOW, &b, &p), 0);
    assert_int_equal(strlen(b.items[0].summary), FINDING_SUMMARY_MAX);
    finding_batch_clear(&b);
}

static void malformed_payloads(void **state)
{
    (void)state;
    struct {
        const char *doc, *path, *code;
    } rows[] = {
        {"{\"version\":\"3\",\"alerts\":[]}", "/version", "enum"},
        {"{\"version\":\"4\"}", "/alerts", "required"},
        {"{\"alerts\":{}}", "/alerts", "type"},
        {"[]", "", "type"},
        {"{\"alerts\":[{\"status\":\"firing\",\"startsAt\":\"2025-01-02T03:00:00Z\"}]}",
         "/alerts/0/labels", "required"},
        {"{\"alerts\":[{\"status\":\"firing\",\"labels\":{\"a\":1},"
         "\"startsAt\":\"2025-01-02T03:00:00Z\"}]}",
         "/alerts/0/labels/a", "type"},
        {"{\"alerts\":[{\"status\":\"pending\",\"labels\":{},\"startsAt\":\"2025-01-02T03:00:00Z\"}]}",
         "/alerts/0/status", "enum"},
        {"{\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"soon\"}]}",
         "/alerts/0/startsAt", "format"},
        {"{\"alerts\":[{\"status\":\"firing\",\"labels\":{}}]}", "/alerts/0/startsAt", "required"},
        {"{\"alerts\":[{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"2025-01-02T03:00:00Z\","
         "\"fingerprint\":\"../x\"}]}",
         "/alerts/0/fingerprint", "pattern"},
        {"{\"alerts\":[7]}", "/alerts/0", "type"},
        {"{\"alerts\":[", "", "invalid_json"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct finding_batch b = {0};
        struct problems p;
        problems_init(&p);
        if (alertmanager_parse(rows[i].doc, strlen(rows[i].doc), 1 << 20, NULL, NOW, &b, &p) !=
            -1)
            fail_msg("row %zu accepted", i);
        if (p.count < 1 || strcmp(p.items[0].path, rows[i].path) ||
            strcmp(p.items[0].code, rows[i].code))
            fail_msg("row %zu: %s %s", i, p.count ? p.items[0].path : "-",
                     p.count ? p.items[0].code : "-");
        assert_null(b.items);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(maps_alerts_to_findings),
        cmocka_unit_test(mapping_and_key_labels),
        cmocka_unit_test(key_without_alertname_is_the_fingerprint),
        cmocka_unit_test(class_label_and_default_from_options),
        cmocka_unit_test(severity_words),
        cmocka_unit_test(resends_are_the_same_finding),
        cmocka_unit_test(long_text_is_cut_not_refused),
        cmocka_unit_test(malformed_payloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
