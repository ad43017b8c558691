#include "util/json_cache.h"

#include <pthread.h>
#include <stdlib.h>

struct json_cache {
    pthread_mutex_t mu;
    json_t *doc;
    int64_t version;
};

struct json_cache *json_cache_create(void)
{
    struct json_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    c->version = -1;
    return c;
}

void json_cache_destroy(struct json_cache *c)
{
    if (!c)
        return;
    json_decref(c->doc);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

json_t *json_cache_get(struct json_cache *c, int64_t version)
{
    if (!c || version < 0)
        return NULL;
    json_t *hit = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->doc && c->version == version)
        hit = json_deep_copy(c->doc);
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void json_cache_put(struct json_cache *c, int64_t version, const json_t *doc)
{
    if (!c || version < 0 || !doc)
        return;
    json_t *copy = json_deep_copy(doc); /* outside the lock */
    pthread_mutex_lock(&c->mu);
    json_t *old = c->doc;
    c->doc = copy;
    c->version = version;
    pthread_mutex_unlock(&c->mu);
    json_decref(old);
}
