#include "sources/logrules.h"

#include <pthread.h>
#include <stdlib.h>

#include "util/log.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct logrules *current;
static unsigned long long last_version;

static struct logrules *wrap(struct logsig_set *set)
{
    struct logrules *r = calloc(1, sizeof *r);
    if (!r) {
        logsig_set_destroy(set);
        return NULL;
    }
    r->set = set;
    r->refs = 1; /* the module's own reference, dropped when replaced */
    return r;
}

/* Called with lock held. */
static void put_locked(struct logrules *r)
{
    if (r && --r->refs == 0) {
        logsig_set_destroy(r->set);
        free(r);
    }
}

int logrules_publish(const json_t *detector_rules, struct problems *p)
{
    struct logsig_set *set = NULL;
    /* Compile outside the lock: it takes milliseconds, scans go on meanwhile. */
    if (logsig_compile(detector_rules, "/detector_rules", 0, &set, p) != 0)
        return -1;
    struct logrules *r = wrap(set);
    if (!r)
        return -1;
    pthread_mutex_lock(&lock);
    struct logrules *old = current;
    r->version = ++last_version;
    current = r;
    put_locked(old);
    pthread_mutex_unlock(&lock);
    log_info("logrules", "log rules version %llu in force: %zu enabled log signatures",
             r->version, logsig_set_count(set));
    return 0;
}

struct logrules *logrules_acquire(void)
{
    pthread_mutex_lock(&lock);
    if (!current) {
        struct problems p;
        problems_init(&p);
        struct logsig_set *set = NULL;
        if (logsig_compile(NULL, "", 0, &set, &p) == 0 && (current = wrap(set)))
            current->version = ++last_version;
    }
    struct logrules *r = current;
    if (r)
        r->refs++;
    pthread_mutex_unlock(&lock);
    return r;
}

void logrules_release(struct logrules *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&lock);
    put_locked(r);
    pthread_mutex_unlock(&lock);
}

void logrules_shutdown(void)
{
    pthread_mutex_lock(&lock);
    put_locked(current);
    current = NULL;
    pthread_mutex_unlock(&lock);
}
