/* libFuzzer target: the Alertmanager webhook parser. Every finding it produces
 * must satisfy the rules of a finding posted directly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alertmanager.h"
#include "core/classes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {"alertname", "namespace"};
    struct am_options opt = {.key_labels = keys, .nkey_labels = (size & 1) ? 2 : 0};
    struct finding_batch b;
    struct problems p;
    problems_init(&p);
    if (alertmanager_parse((const char *)data, size, 1 << 20, &opt, 1790000000000LL, &b, &p) ==
        0) {
        for (size_t i = 0; i < b.count; i++) {
            const struct finding *f = &b.items[i];
            if (!finding_id_valid(f->id) || !class_well_formed(f->class_) ||
                !finding_text_valid(f->correlation_key) || !f->correlation_key[0] ||
                !finding_text_valid(f->summary))
                abort();
        }
        finding_batch_clear(&b);
    } else if (p.count == 0) {
        abort();
    }
    return 0;
}
