/* Fuzz target: the policy parser, validator and redaction, on any bytes.
 * Invariants checked: parse + validate never crash or leak; a document that
 * validates also survives redaction and a second validation with the same answer. */
#include <stdint.h>
#include <stdlib.h>

#include "core/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct problems p;
    problems_init(&p);
    json_t *doc = policy_parse((const char *)data, size, &p);
    if (!doc)
        return 0;
    int rc = policy_validate(doc, &p);
    size_t first = p.count;
    problems_init(&p);
    if (policy_validate(doc, &p) != rc || p.count != first)
        abort(); /* validation must be deterministic */
    json_t *red = policy_redact(doc);
    if (!red)
        abort();
    json_t *out = problems_to_json(&p);
    json_decref(out);
    json_decref(red);
    json_decref(doc);
    return 0;
}
