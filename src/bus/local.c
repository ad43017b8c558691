/* The in-process bus: a fixed table of subscriptions; publish runs the matching
 * handlers in the publisher's thread. Handlers run without the lock held (a
 * snapshot of the table is taken), so a handler may publish in turn. */
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
    struct bus base; /* first */
    pthread_mutex_t mu;
    struct local_sub subs[LOCAL_MAX_SUBS];
    int next_id;
};

int bus_subject_match(const char *pattern, const char *subject)
{
    size_t n = strlen(pattern);
    if (n >= 1 && pattern[n - 1] == '>')
        return strncmp(pattern, subject, n - 1) == 0 && subject[n - 1] != '\0';
    return strcmp(pattern, subject) == 0;
}

static int local_publish(struct bus *b, const char *subject, const char *msg_id, const char *data,
                         size_t len)
{
    struct local_bus *lb = (struct local_bus *)b;
    struct local_sub snap[LOCAL_MAX_SUBS];
    size_t n = 0;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS; i++)
        if (lb->subs[i].id && bus_subject_match(lb->subs[i].subject, subject))
            snap[n++] = lb->subs[i];
    pthread_mutex_unlock(&lb->mu);
    struct bus_msg m = {subject, msg_id, data, len};
    for (size_t i = 0; i < n; i++)
        snap[i].fn(&m, snap[i].ud);
    return 0;
}

static int local_interested(struct bus *b, const char *subject)
{
    struct local_bus *lb = (struct local_bus *)b;
    int any = 0;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS && !any; i++)
        any = lb->subs[i].id && bus_subject_match(lb->subs[i].subject, subject);
    pthread_mutex_unlock(&lb->mu);
    return any;
}

static int local_subscribe(struct bus *b, const char *subject, bus_handler fn, void *ud)
{
    struct local_bus *lb = (struct local_bus *)b;
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

static void local_unsubscribe(struct bus *b, int sub_id)
{
    struct local_bus *lb = (struct local_bus *)b;
    pthread_mutex_lock(&lb->mu);
    for (size_t i = 0; i < LOCAL_MAX_SUBS; i++)
        if (lb->subs[i].id == sub_id)
            memset(&lb->subs[i], 0, sizeof lb->subs[i]);
    pthread_mutex_unlock(&lb->mu);
}

static void local_destroy(struct bus *b)
{
    struct local_bus *lb = (struct local_bus *)b;
    pthread_mutex_destroy(&lb->mu);
    free(lb);
}

static const struct bus_ops local_ops = {
    .name = "local",
    .publish = local_publish,
    .subscribe = local_subscribe,
    .unsubscribe = local_unsubscribe,
    .destroy = local_destroy,
    .interested = local_interested,
};

struct bus *bus_local_create(void)
{
    struct local_bus *lb = calloc(1, sizeof *lb);
    if (!lb)
        return NULL;
    lb->base.ops = &local_ops;
    pthread_mutex_init(&lb->mu, NULL);
    return &lb->base;
}
