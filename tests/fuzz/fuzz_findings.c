/* libFuzzer target: the findings parser (POST /api/v1/findings bodies).
 * Invariants: a rejection always says why; an accepted batch written back as
 * JSON (finding_to_json) parses again into the same findings (the round trip
 * the ledger relies on when it stores and re-reads them). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "core/finding.h"

#define NOW_MS 1790000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct finding_batch b;
    static struct problems p;
    problems_init(&p);
    if (findings_parse((const char *)data, size, 1 << 20, NOW_MS, &b, &p) != 0) {
        if (p.count == 0)
            abort(); /* a rejection always says why */
        return 0;
    }
    json_t *first = json_array();
    for (size_t i = 0; i < b.count; i++) {
        json_t *j = finding_to_json(&b.items[i]);
        if (!j)
            abort();
        json_array_append_new(first, j);
    }
    finding_batch_clear(&b);
    /* the wire form: evidence hashes are the server's, computed again on parse */
    json_t *wire = json_deep_copy(first);
    size_t i;
    json_t *f;
    json_array_foreach(wire, i, f) {
        size_t k;
        json_t *e;
        json_array_foreach(json_object_get(f, "evidence"), k, e) json_object_del(e, "hash");
    }
    char *text = json_dumps(wire, JSON_COMPACT);
    json_decref(wire);
    if (!text)
        abort();
    problems_init(&p);
    struct finding_batch again;
    if (findings_parse(text, strlen(text), 1 << 21, NOW_MS, &again, &p) != 0)
    {
        fprintf(stderr, "%s: %s %s\n", text, p.count ? p.items[0].path : "",
                p.count ? p.items[0].message : "");
        abort(); /* what we wrote must read back */
    }
    json_t *second = json_array();
    for (size_t n = 0; n < again.count; n++)
        json_array_append_new(second, finding_to_json(&again.items[n]));
    finding_batch_clear(&again);
    if (!json_equal(first, second)) {
        char *a = json_dumps(first, JSON_COMPACT), *b2 = json_dumps(second, JSON_COMPACT);
        fprintf(stderr, "round trip differs:\n%s\n%s\n", a, b2);
        abort(); /* and read back the same, evidence hashes included */
    }
    json_decref(first);
    json_decref(second);
    free(text);
    return 0;
}
