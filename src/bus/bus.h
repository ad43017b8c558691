/* The event bus: subjects in the `sre.*` namespace, messages with a stable id.
 *
 * One small interface so the in-process bus (local.c, the default) and NATS
 * JetStream (later) are interchangeable: publish(subject, msg_id, data) maps to
 * a JetStream publish with the Nats-Msg-Id header (the server dedupes by it);
 * subscribe(subject) to a consumer. Delivery is at least once: consumers dedupe
 * by msg_id. Subjects match exactly, or by a trailing ">" ("sre.>").
 */
#ifndef SREBOT_BUS_BUS_H
#define SREBOT_BUS_BUS_H

#include <stddef.h>

struct bus_msg {
    const char *subject;
    const char *msg_id; /* "evt_42" */
    const char *data;   /* JSON text */
    size_t len;
};
/* Called for each message of a subscription; must not block for long. */
typedef void (*bus_handler)(const struct bus_msg *m, void *ud);

struct bus;
struct bus_ops {
    const char *name;
    /* 0 on success; -1 when the bus cannot take it now (the relay retries). */
    int (*publish)(struct bus *b, const char *subject, const char *msg_id, const char *data,
                   size_t len);
    /* Returns a subscription id > 0, or -1. */
    int (*subscribe)(struct bus *b, const char *subject, bus_handler fn, void *ud);
    void (*unsubscribe)(struct bus *b, int sub_id);
    void (*destroy)(struct bus *b);
    /* Optional: 0 when a publish on subject would reach no one now, so the
     * publisher may skip encoding the message. NULL: always 1. */
    int (*interested)(struct bus *b, const char *subject);
};

struct bus {
    const struct bus_ops *ops;
};

static inline int bus_publish(struct bus *b, const char *subject, const char *msg_id,
                              const char *data, size_t len)
{
    return b->ops->publish(b, subject, msg_id, data, len);
}
static inline int bus_subscribe(struct bus *b, const char *subject, bus_handler fn, void *ud)
{
    return b->ops->subscribe(b, subject, fn, ud);
}
static inline int bus_interested(struct bus *b, const char *subject)
{
    return b->ops->interested ? b->ops->interested(b, subject) : 1;
}
static inline void bus_unsubscribe(struct bus *b, int sub_id) { b->ops->unsubscribe(b, sub_id); }
static inline void bus_destroy(struct bus *b)
{
    if (b)
        b->ops->destroy(b);
}

/* 1 when subject matches pattern ("a.b" exactly, or "a.>" for anything under a.). */
int bus_subject_match(const char *pattern, const char *subject);

/* The in-process bus: publish calls matching handlers synchronously. */
struct bus *bus_local_create(void);

#endif
