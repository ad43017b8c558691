/* libFuzzer target: detector rules from outside (`srebot scan --rules FILE`,
 * the policy's detector_rules): bounded JSON in, a compiled set or problems
 * with paths out, never both, never neither. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/jsonin.h"
#include "core/logsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct problems p;
    problems_init(&p);
    json_t *doc = jsonin_parse((const char *)data, size, 64 * 1024, JSONIN_DEFAULT_DEPTH, &p);
    if (!doc)
        return 0;
    for (int flags = 0; flags <= LOGSIG_STRICT; flags += LOGSIG_STRICT) {
        struct logsig_set *set = NULL;
        problems_init(&p);
        int rc = logsig_compile(doc, "/detector_rules", flags, &set, &p);
        if (rc == 0) {
            if (!set || p.count)
                abort();
            json_t *back = logsig_set_to_json(set);
            if (json_array_size(back) != logsig_set_count(set))
                abort();
            json_decref(back);
            logsig_set_destroy(set);
        } else if (set || p.count == 0) {
            abort(); /* a refusal always says why, and leaves *out alone */
        }
    }
    json_decref(doc);
    return 0;
}
