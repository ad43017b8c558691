#include "sources/logrules.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>

#include "util/blobcache.h"
#include "util/log.h"

/* Compiled sets kept in the cache directory: the built-ins, and a few policy versions. */
#define RULE_CACHE_ENTRIES 8

struct logrules_slot {
    pthread_mutex_t lock;
    struct logrules *current;
    unsigned long long last_version;
    struct blobcache *cache; /* NULL: compile every time */
    struct logsig_cache ops;
};

struct logrules_slot *logrules_slot_create(void)
{
    struct logrules_slot *slot = calloc(1, sizeof *slot);
    if (slot)
        pthread_mutex_init(&slot->lock, NULL);
    return slot;
}

static struct logrules *wrap(struct logsig_set *set)
{
    struct logrules *r = calloc(1, sizeof *r);
    if (!r) {
        logsig_set_destroy(set);
        return NULL;
    }
    r->set = set;
    r->refs = 1; /* the slot's own reference, dropped when replaced */
    return r;
}

/* Called with the slot's lock held. */
static void put_locked(struct logrules *r)
{
    if (r && --r->refs == 0) {
        logsig_set_destroy(r->set);
        free(r);
    }
}

void logrules_slot_use_cache(struct logrules_slot *slot, const char *dir)
{
    if (!slot || slot->cache)
        return;
    slot->cache = blobcache_open(dir, RULE_CACHE_ENTRIES);
    if (!slot->cache)
        log_warn("logrules", "no rule cache in %s: log rules are compiled at each start", dir);
    slot->ops = (struct logsig_cache){slot->cache, blobcache_load, blobcache_store};
}

void logrules_slot_destroy(struct logrules_slot *slot)
{
    if (!slot)
        return;
    /* Readers are gone (the instances that held sets are destroyed first). */
    put_locked(slot->current);
    pthread_mutex_destroy(&slot->lock);
    blobcache_close(slot->cache);
    free(slot);
}

/* A compile through the slot's cache. A compile allocates megabytes that it
 * frees at once; give them back, or they stay in the (thread's) malloc arena
 * and count in the idle RSS. */
static int compile(struct logrules_slot *slot, const json_t *rules, const char *base,
                   struct logsig_set **set, struct problems *p)
{
    int rc = logsig_compile_cached(rules, base, 0, slot->cache ? &slot->ops : NULL, set, p);
    malloc_trim(0);
    return rc;
}

int logrules_publish(struct logrules_slot *slot, const json_t *detector_rules,
                     struct problems *p)
{
    struct logsig_set *set = NULL;
    /* Compile outside the lock: it takes milliseconds, scans go on meanwhile. */
    if (compile(slot, detector_rules, "/detector_rules", &set, p) != 0)
        return -1;
    struct logrules *r = wrap(set);
    if (!r)
        return -1;
    pthread_mutex_lock(&slot->lock);
    struct logrules *old = slot->current;
    r->version = ++slot->last_version;
    slot->current = r;
    put_locked(old);
    pthread_mutex_unlock(&slot->lock);
    log_info("logrules", "log rules version %llu in force: %zu enabled log signatures",
             r->version, logsig_set_count(set));
    return 0;
}

struct logrules *logrules_acquire(struct logrules_slot *slot)
{
    if (!slot)
        return NULL;
    pthread_mutex_lock(&slot->lock);
    if (!slot->current) {
        struct problems *p = problems_create();
        struct logsig_set *set = NULL;
        if (p && compile(slot, NULL, "", &set, p) == 0 && (slot->current = wrap(set)))
            slot->current->version = ++slot->last_version;
        problems_destroy(p);
    }
    struct logrules *r = slot->current;
    if (r)
        r->refs++;
    pthread_mutex_unlock(&slot->lock);
    return r;
}

void logrules_release(struct logrules_slot *slot, struct logrules *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&slot->lock);
    put_locked(r);
    pthread_mutex_unlock(&slot->lock);
}
