/* Shared by the ledger tests (test_ledger.c, test_ledger_contract.c): ingest a
 * findings document through the service and read its answer. */
#ifndef SREBOT_TESTS_LEDGER_FIXTURE_H
#define SREBOT_TESTS_LEDGER_FIXTURE_H

#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "ledger/ledger.h"

/* Ingests a JSON document as `actor`; returns the answer's items (new
 * reference). Fails the running test when the ledger refuses it. */
static inline json_t *ledger_ingest_items(struct ledger *l, const char *doc, const char *actor)
{
    struct problems *p = problems_create();
    json_t *answer = NULL;
    enum svc_status st = ledger_ingest_json(l, doc, strlen(doc), actor, &answer, p);
    if (st != SVC_OK)
        fail_msg("ingest: %s (%s %s)", svc_status_text(st), p->count ? p->items[0].path : "",
                 p->count ? p->items[0].message : "");
    problems_destroy(p);
    json_t *items = json_incref(json_object_get(answer, "items"));
    json_decref(answer);
    return items;
}

/* items[i].outcome ("opened", "folded", "duplicate", ...). */
static inline const char *outcome(json_t *items, size_t i)
{
    return json_string_value(json_object_get(json_array_get(items, i), "outcome"));
}

/* items[i].incident_id (0 when null). */
static inline int64_t incident_of(json_t *items, size_t i)
{
    return json_integer_value(json_object_get(json_array_get(items, i), "incident_id"));
}

#endif
