/* GET /api/v1/meta's document comes from the tables that define the names,
 * and docs/events.md lists exactly the event types of the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/meta.h"
#include "core/event_types.h"

static void document_from_tables(void **state)
{
    (void)state;
    json_t *doc = api_meta_document();
    assert_non_null(doc);
    json_t *states = json_object_get(doc, "incident_states");
    assert_int_equal(json_array_size(states), 7);
    assert_string_equal(json_string_value(json_array_get(states, 0)), "observed");
    assert_string_equal(json_string_value(json_array_get(states, 6)), "escalated");
    json_t *sevs = json_object_get(doc, "severities");
    assert_int_equal(json_array_size(sevs), 4);
    assert_string_equal(json_string_value(json_array_get(sevs, 0)), "critical");
    assert_string_equal(json_string_value(json_array_get(sevs, 3)), "info");
    json_t *events = json_object_get(doc, "event_types");
    size_t n = 0;
    while (event_types[n].type)
        n++;
    assert_int_equal(json_array_size(events), n);
    for (size_t i = 0; i < n; i++)
        assert_true(event_type_known(json_string_value(json_array_get(events, i))));
    assert_true(event_type_known("sre.incident.opened"));
    assert_false(event_type_known("sre.incident.nope"));
    assert_false(event_type_known(NULL));
    json_decref(doc);
}

/* Every `sre.*` row of the Types table is in event_types[], and back. */
static void docs_in_step(void **state)
{
    (void)state;
    const char *root = getenv("SREBOT_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/events.md", root ? root : SREBOT_SOURCE_DIR_DEFAULT);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    size_t rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "| `sre.", 7) != 0)
            continue;
        char *end = strchr(line + 3, '`');
        assert_non_null(end);
        *end = '\0';
        if (!event_type_known(line + 3))
            fail_msg("docs/events.md lists %s, which core/event_types.c does not", line + 3);
        rows++;
    }
    fclose(f);
    size_t n = 0;
    while (event_types[n].type)
        n++;
    if (rows != n)
        fail_msg("docs/events.md lists %zu event types, core/event_types.c %zu", rows, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(document_from_tables),
        cmocka_unit_test(docs_in_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
