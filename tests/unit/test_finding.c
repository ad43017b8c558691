/* Finding and evidence parsing: valid documents round-trip; every invalid one
 * is rejected with the exact JSON Pointer path and code of each problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/finding.h"

static const int64_t NOW = 1790000000000LL;

#define VALID                                                                                      \
    "\"source\":\"probe\",\"class\":\"infrastructure.node_disk_pressure\","                       \
    "\"correlation_key\":\"node-1:/var\",\"severity\":\"high\",\"status\":\"firing\","            \
    "\"summary\":\"disk full\""

static void one_valid_finding(void **state)
{
    (void)state;
    const char *doc = "{" VALID ",\"id\":\"f-1\",\"observed_at\":\"2026-11-27T02:09:35.123Z\","
                      "\"attributes\":{\"z\":1,\"a\":\"x\",\"b\":true},"
                      "\"evidence\":[{\"type\":\"metric_snapshot\",\"summary\":\"df\","
                      "\"data\":{\"used\":95,\"b\":[1,2]}}]}";
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(findings_parse(doc, strlen(doc), 1 << 20, NOW, &b, &p), 0);
    assert_int_equal(p.count, 0);
    assert_int_equal(b.count, 1);
    struct finding *f = &b.items[0];
    assert_string_equal(f->id, "f-1");
    assert_string_equal(f->source, "probe");
    assert_string_equal(f->class_, "infrastructure.node_disk_pressure");
    assert_int_equal(f->severity, SEV_HIGH);
    assert_int_equal(f->status, FINDING_FIRING);
    assert_int_equal(f->observed_at_ms % 1000, 123);
    assert_string_equal(f->attributes, "{\"a\":\"x\",\"b\":true,\"z\":1}");
    assert_int_equal(f->nevidence, 1);
    assert_int_equal(f->evidence[0].type, EV_METRIC_SNAPSHOT);
    assert_string_equal(f->evidence[0].data, "{\"b\":[1,2],\"used\":95}");
    assert_int_equal(strlen(f->evidence[0].hash), 64);

    json_t *back = finding_to_json(f);
    assert_string_equal(json_string_value(json_object_get(back, "observed_at")),
                        "2026-11-27T02:09:35.123Z");
    assert_string_equal(json_string_value(json_object_get(back, "severity")), "high");
    json_decref(back);
    finding_batch_clear(&b);
}

static void defaults_and_arrays(void **state)
{
    (void)state;
    const char *doc = "[{" VALID "},{" VALID ",\"status\":\"resolved\"}]";
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    /* duplicate key "status" in the second item: rejected by the strict parser */
    assert_int_equal(findings_parse(doc, strlen(doc), 1 << 20, NOW, &b, &p), -1);
    assert_string_equal(p.items[0].code, "invalid_json");

    const char *doc2 = "[{" VALID "},{\"source\":\"s\",\"class\":\"a.b\",\"correlation_key\":\"k\","
                       "\"severity\":\"info\",\"status\":\"resolved\",\"summary\":\"\"}]";
    problems_init(&p);
    assert_int_equal(findings_parse(doc2, strlen(doc2), 1 << 20, NOW, &b, &p), 0);
    assert_int_equal(b.count, 2);
    assert_int_equal(b.items[0].observed_at_ms, NOW);
    assert_string_equal(b.items[0].id, "");
    assert_null(b.items[0].attributes);
    assert_int_equal(b.items[1].status, FINDING_RESOLVED);
    finding_batch_clear(&b);
}

struct bad_case {
    const char *doc;
    const char *path, *code;
};

static const struct bad_case bad[] = {
    {"{\"class\":\"a.b\",\"correlation_key\":\"k\",\"severity\":\"info\",\"status\":\"firing\","
     "\"summary\":\"s\"}",
     "/source", "required"},
    {"{" VALID ",\"extra\":1}", "/extra", "unknown_field"},
    {"[{" VALID "},{" VALID ",\"id\":\"has space\"}]", "/1/id", "pattern"},
    {"{" VALID ",\"observed_at\":\"yesterday\"}", "/observed_at", "format"},
    {"{" VALID ",\"attributes\":{\"k\":[1]}}", "/attributes/k", "type"},
    {"{" VALID ",\"attributes\":[]}", "/attributes", "type"},
    {"{" VALID ",\"evidence\":[{\"type\":\"photo\",\"summary\":\"s\"}]}", "/evidence/0/type",
     "enum"},
    {"{" VALID ",\"evidence\":[{\"type\":\"log_excerpt\"}]}", "/evidence/0/summary", "required"},
    {"{" VALID ",\"evidence\":{}}", "/evidence", "type"},
    {"{" VALID ",\"attributes\":{\"a/b\":{}}}", "/attributes/a~1b", "type"},
    {"[]", "", "length"},
    {"42", "", "invalid_json"}, /* top-level scalars are not JSON documents to jansson */
    {"[1]", "/0", "type"},
    {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
     "]]]]]]]]]]]]]]]]]]]",
     "", "too_deep"},
    {"{\"source\":", "", "invalid_json"},
};

static void rejections_name_the_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct finding_batch b = {0};
        struct problems p;
        problems_init(&p);
        int rc = findings_parse(bad[i].doc, strlen(bad[i].doc), 1 << 20, NOW, &b, &p);
        if (rc != -1 || p.count < 1)
            fail_msg("case %zu accepted", i);
        int found = 0;
        for (size_t k = 0; k < p.count; k++)
            if (!strcmp(p.items[k].path, bad[i].path) && !strcmp(p.items[k].code, bad[i].code))
                found = 1;
        if (!found)
            fail_msg("case %zu: got %s %s", i, p.items[0].path, p.items[0].code);
        assert_null(b.items);
    }
}

static void field_rules(void **state)
{
    (void)state;
    struct {
        const char *field, *value, *code;
    } rows[] = {
        {"class", "\"Infra.disk\"", "pattern"},
        {"class", "\"nodot\"", "pattern"},
        {"class", "7", "type"},
        {"severity", "\"urgent\"", "enum"},
        {"status", "\"open\"", "enum"},
        {"correlation_key", "\"\"", "format"},
        {"correlation_key", "\"a\\nb\"", "format"},
        {"source", "\"has space\"", "pattern"},
        {"summary", NULL, "length"}, /* 513 bytes */
    };
    char big[600];
    memset(big, 'x', 515);
    big[0] = '"';
    big[514] = '"';
    big[515] = '\0';
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *fields[] = {"source", "class", "correlation_key", "severity", "status",
                                "summary"};
        const char *vals[] = {"\"p\"", "\"a.b\"", "\"k\"", "\"info\"", "\"firing\"", "\"s\""};
        char doc[2048];
        size_t n = (size_t)snprintf(doc, sizeof doc, "{");
        for (size_t k = 0; k < 6; k++) {
            const char *v = vals[k];
            if (!strcmp(fields[k], rows[i].field))
                v = rows[i].value ? rows[i].value : big;
            n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"%s\":%s", k ? "," : "",
                                  fields[k], v);
        }
        snprintf(doc + n, sizeof doc - n, "}");
        struct finding_batch b;
        struct problems p;
        problems_init(&p);
        assert_int_equal(findings_parse(doc, strlen(doc), 1 << 20, NOW, &b, &p), -1);
        char path[64];
        snprintf(path, sizeof path, "/%s", rows[i].field);
        assert_int_equal(p.count, 1);
        assert_string_equal(p.items[0].path, path);
        assert_string_equal(p.items[0].code, rows[i].code);
    }
}

static void bounds(void **state)
{
    (void)state;
    /* 1001 findings */
    size_t cap = 1001 * 200 + 16, n = 0;
    char *doc = malloc(cap);
    n += (size_t)snprintf(doc + n, cap - n, "[");
    for (int i = 0; i < 1001; i++)
        n += (size_t)snprintf(doc + n, cap - n, "%s{" VALID "}", i ? "," : "");
    snprintf(doc + n, cap - n, "]");
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    assert_int_equal(findings_parse(doc, strlen(doc), 1 << 24, NOW, &b, &p), -1);
    assert_string_equal(p.items[0].code, "length");
    problems_init(&p);
    assert_int_equal(findings_parse(doc, strlen(doc), 1000, NOW, &b, &p), -1);
    assert_string_equal(p.items[0].code, "too_large");
    free(doc);

    /* evidence data over 16 KiB */
    cap = 20000;
    doc = malloc(cap);
    n = (size_t)snprintf(doc, cap, "{" VALID ",\"evidence\":[{\"type\":\"log_excerpt\","
                                   "\"summary\":\"s\",\"data\":\"");
    memset(doc + n, 'a', 16400);
    n += 16400;
    snprintf(doc + n, cap - n, "\"}]}");
    problems_init(&p);
    assert_int_equal(findings_parse(doc, strlen(doc), 1 << 20, NOW, &b, &p), -1);
    assert_string_equal(p.items[0].path, "/evidence/0/data");
    assert_string_equal(p.items[0].code, "too_large");
    free(doc);

    /* every problem of a batch is reported, not just the first */
    const char *many = "[{\"source\":\"p\"},{\"source\":\"p\"}]";
    problems_init(&p);
    assert_int_equal(findings_parse(many, strlen(many), 1 << 20, NOW, &b, &p), -1);
    assert_int_equal(p.count, 10);
    assert_string_equal(p.items[5].path, "/1/class");
}

static void evidence_hash_is_content_addressed(void **state)
{
    (void)state;
    json_error_t err;
    json_t *a = json_loads("{\"type\":\"k8s_object\",\"summary\":\"pod\",\"data\":{\"b\":1,\"a\":2}}",
                           0, &err);
    json_t *b = json_loads("{\"data\":{\"a\":2,\"b\":1},\"summary\":\"pod\",\"type\":\"k8s_object\"}",
                           0, &err);
    json_t *c = json_loads("{\"type\":\"k8s_object\",\"summary\":\"pod\",\"data\":{\"a\":3,\"b\":1}}",
                           0, &err);
    struct evidence ea, eb, ec;
    struct problems p;
    problems_init(&p);
    assert_int_equal(evidence_from_json(a, "", &ea, &p), 0);
    assert_int_equal(evidence_from_json(b, "", &eb, &p), 0);
    assert_int_equal(evidence_from_json(c, "", &ec, &p), 0);
    assert_string_equal(ea.hash, eb.hash);
    assert_string_not_equal(ea.hash, ec.hash);
    /* the hash is sha256("k8s_object\npod\n{"a":2,"b":1}") */
    assert_string_equal(ea.hash, "312ad44f46f6bedfbfed4905d2313bb65d9418eb301aba6f59c547105a821726");
    evidence_clear(&ea);
    evidence_clear(&eb);
    evidence_clear(&ec);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_valid_finding),
        cmocka_unit_test(defaults_and_arrays),
        cmocka_unit_test(rejections_name_the_path),
        cmocka_unit_test(field_rules),
        cmocka_unit_test(bounds),
        cmocka_unit_test(evidence_hash_is_content_addressed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
