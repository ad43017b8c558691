#include "core/builtin_rules.h"

#include <string.h>

/* The log scanner's owner keeps this table; patterns are vectorscan regexes. */
const struct builtin_rule builtin_rules[] = {
    {"builtin.go_panic", "log_signature", "panic: |goroutine \\d+ \\[running\\]",
     "application_services.panic_detected", "high", "{source}:{rule}", 300, 1},
    {"builtin.segfault", "log_signature", "segfault at|Segmentation fault|SIGSEGV",
     "application_services.panic_detected", "high", "{source}:{rule}", 300, 1},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

const struct builtin_rule *builtin_rule_find(const char *id)
{
    for (const struct builtin_rule *r = builtin_rules; r->id; r++)
        if (strcmp(r->id, id) == 0)
            return r;
    return NULL;
}
