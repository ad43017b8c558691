/* The in-process bus ("local:"): a fixed table of subscriptions; publish runs
 * the matching handlers in the publisher's thread. Handlers run without the
 * lock held (a snapshot of the table is taken), so a handler may publish in
 * turn. A handler's NAK makes the publish answer RETRY: the publisher (the
 * outbox relay) publishes the message again after its back-off, and the
 * handlers that took it already see it twice (they dedupe by msg_id, as with
 * JetStream). TERM and ACK are final. Always connected. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

#define LOCAL_MAX_SUBS 64

struct local_sub {
    int id;
    char subject[128];
    bus_handler fn;
    void *ud;
};

struct local_bus {
    pthread_mutex_t mu;
    struct local_sub subs[LOCAL_MAX_SUBS];
    int next_id;
};

static int local_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen)
{
    (void)cfg;
    (void)deps;
    struct local_bus *lb = calloc(1, sizeof *lb);
    if (!lb) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&lb->mu, NULL);
    *instance = lb;
    return 0;
}

static enum adapter_result local_publish(void *instance, const char *subject, const char *msg_id,
                                         const char *data, size_t len)
{
    struct local_bus *lb = instance;
    struct local_sub snap[LOCAL_MAX_SUBS];
    size_t n = 0;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS; i++)
        if (lb->subs[i].id && bus_subject_match(lb->subs[i].subject, subject))
            snap[n++] = lb->subs[i];
    pthread_mutex_unlock(&lb->mu);
    struct bus_msg m = {subject, msg_id, data, len};
    enum adapter_result r = ADAPTER_OK;
    for (size_t i = 0; i < n; i++)
        if (snap[i].fn(&m, snap[i].ud) == BUS_NAK)
            r = ADAPTER_RETRY;
    return r;
}

static int local_interested(void *instance, const char *subject)
{
    struct local_bus *lb = instance;
    int any = 0;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS && !any; i++)
        any = lb->subs[i].id && bus_subject_match(lb->subs[i].subject, subject);
    pthread_mutex_unlock(&lb->mu);
    return any;
}

static int local_subscribe(void *instance, const char *subject, bus_handler fn, void *ud)
{
    struct local_bus *lb = instance;
    if (!subject || strlen(subject) >= sizeof lb->subs[0].subject || !fn)
        return -1;
    int id = -1;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS; i++)
        if (!lb->subs[i].id) {
            id = ++lb->next_id;
            lb->subs[i].id = id;
            snprintf(lb->subs[i].subject, sizeof lb->subs[i].subject, "%s", subject);
            lb->subs[i].fn = fn;
            lb->subs[i].ud = ud;
            break;
        }
    pthread_mutex_unlock(&lb->mu);
    return id;
}

static void local_unsubscribe(void *instance, int sub_id)
{
    struct local_bus *lb = instance;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS; i++)
        if (lb->subs[i].id == sub_id)
            memset(&lb->subs[i], 0, sizeof lb->subs[i]);
    pthread_mutex_unlock(&lb->mu);
}

static void local_destroy(void *instance)
{
    struct local_bus *lb = instance;
    if (!lb)
        return;
    pthread_mutex_destroy(&lb->mu);
    free(lb);
}

const struct bus_ops bus_local = {
    .name = "local",
    .description = "in-process bus: handlers run in the publisher's thread",
    .init = local_init,
    .publish = local_publish,
    .subscribe = local_subscribe,
    .unsubscribe = local_unsubscribe,
    .interested = local_interested,
    .destroy = local_destroy,
};
