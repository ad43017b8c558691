/* libFuzzer target: the findings parser (POST /api/v1/findings bodies). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/finding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    if (findings_parse((const char *)data, size, 1 << 20, 1790000000000LL, &b, &p) == 0) {
        for (size_t i = 0; i < b.count; i++) {
            json_t *j = finding_to_json(&b.items[i]);
            if (!j)
                abort();
            json_decref(j);
        }
        finding_batch_clear(&b);
    } else if (p.count == 0) {
        abort(); /* a rejection always says why */
    }
    return 0;
}
