/* libFuzzer target: the approve / reject body parser (api/action_input.h):
 * bounded, never crashes, and a success always carries a bounded reason
 * (non-empty when a reason is required). The first byte picks approve/reject. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/action_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int reject = data[0] & 1;
    struct problems *p = problems_create();
    if (!p)
        return 0;
    struct decision_body b;
    int rc = decision_body_parse((const char *)data + 1, size - 1, reject, &b, p);
    if (rc == 0) {
        if (problems_any(p) || strlen(b.reason) > DECISION_REASON_MAX || (reject && !b.reason[0]))
            abort();
    } else if (!problems_any(p)) {
        abort(); /* a refusal always says why */
    }
    problems_destroy(p);
    return 0;
}
