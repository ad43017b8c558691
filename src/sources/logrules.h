/* The log rules in force: one compiled set per slot (the sources worker owns
 * one and hands it to its log sources in struct source_deps), replaced as a
 * whole when the policy's detector_rules change, without a restart.
 *
 *   // policy apply path (any thread):
 *   logrules_publish(slot, json_object_get(doc, "detector_rules"), problems);
 *   // each log source cycle:
 *   struct logrules *r = logrules_acquire(slot);
 *   logsig_scan(r->set, scanner, ...);
 *   logrules_release(slot, r);
 *
 * A reader holds its set until it releases it, so a swap never frees a set
 * under a running scan; the old set goes away with its last reader. Until the
 * first publish the built-in rules are in force.
 */
#ifndef SREBOT_SOURCES_LOGRULES_H
#define SREBOT_SOURCES_LOGRULES_H

#include <jansson.h>

#include "core/logsig.h"

struct logrules {
    struct logsig_set *set;
    unsigned long long version; /* 1 = built-ins at start, +1 per publish */
    unsigned refs;              /* under the slot's lock */
};

struct logrules_slot;
struct logrules_slot *logrules_slot_create(void);
/* Keeps compiled sets in dir (created when missing; util/blobcache.h), so a
 * restart loads the set in force instead of compiling it (~2 ms instead of
 * 30-300 ms of CPU). Without it, or when dir is unusable, every set is
 * compiled. Call before the first acquire or publish. */
void logrules_slot_use_cache(struct logrules_slot *slot, const char *dir);
/* Drops the set in force; after every reader released its set. NULL ok. */
void logrules_slot_destroy(struct logrules_slot *slot);

/* Compiles detector_rules (NULL: the built-ins) and makes it the set in force.
 * On error returns -1 with problems in p and keeps the previous set. */
int logrules_publish(struct logrules_slot *slot, const json_t *detector_rules,
                     struct problems *p);
/* The set in force, held until logrules_release. NULL only when even the
 * built-in set cannot be built (out of memory) or slot is NULL. */
struct logrules *logrules_acquire(struct logrules_slot *slot);
void logrules_release(struct logrules_slot *slot, struct logrules *r);

#endif
