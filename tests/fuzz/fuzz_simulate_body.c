/* libFuzzer target: the policy simulation request body (api/action_input.h):
 * bounded size and depth, never crashes; a success has an object policy and
 * times, a refusal always says why. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/action_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct problems *p = problems_create();
    if (!p)
        return 0;
    struct simulate_body b;
    json_t *doc = NULL;
    int rc = simulate_body_parse((const char *)data, size, 1700000000000LL, &b, &doc, p);
    if (rc == 0) {
        if (!doc || !json_is_object(b.policy) || problems_any(p))
            abort();
    } else if (doc || !problems_any(p)) {
        abort();
    }
    json_decref(doc);
    problems_destroy(p);
    return 0;
}
