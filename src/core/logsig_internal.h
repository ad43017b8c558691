/* Shared between logsig.c (compile) and logsig_scan.c (scan); not an API. */
#ifndef SREBOT_CORE_LOGSIG_INTERNAL_H
#define SREBOT_CORE_LOGSIG_INTERNAL_H

#include <hs/hs.h>

#include "core/logsig.h"

/* MULTILINE: ^ and $ anchor at line boundaries, since we scan many lines at
 * once. No SINGLEMATCH: a whole-buffer scan must see every matching line, not
 * only a rule's first; the scanner drops repeats within a line instead. */
#define LOGSIG_HS_FLAGS (HS_FLAG_MULTILINE)

struct logsig_set {
    struct logsig_rule *rules;
    size_t count;
    hs_database_t *db; /* NULL when count == 0 */
    unsigned long long serial;
};

#endif
