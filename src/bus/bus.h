/* The event bus: subjects in the `sre.*` namespace, messages with a stable id.
 *
 * An adapter family in the shape of util/adapter.h: struct bus_ops, one file per
 * adapter (local.c, the in-process default; NATS JetStream later), the table in
 * bus/registry.c, selection by URL scheme ("local:", "nats://host:4222").
 * publish(subject, msg_id, data) maps to a JetStream publish with the
 * Nats-Msg-Id header (the server dedupes by it); subscribe(subject) to a
 * consumer whose handler answers ack / nak (redeliver later) / term (never
 * redeliver). Delivery is at least once: consumers dedupe by msg_id. Subjects
 * match exactly, or by a trailing ">" ("sre.>").
 */
#ifndef SREBOT_BUS_BUS_H
#define SREBOT_BUS_BUS_H

#include <jansson.h>
#include <stddef.h>

#include "util/adapter.h"

struct bus_msg {
    const char *subject;
    const char *msg_id; /* "evt_42" */
    const char *data;   /* JSON text */
    size_t len;
};

/* What a handler answers for a message (JetStream's AckAck / AckNak / AckTerm). */
enum bus_ack {
    BUS_ACK = 0, /* handled (or a duplicate): done */
    BUS_NAK,     /* not now: deliver again later */
    BUS_TERM,    /* never (malformed, refused): do not deliver again */
};
/* Called for each message of a subscription; must not block for long. */
typedef enum bus_ack (*bus_handler)(const struct bus_msg *m, void *ud);

enum bus_state {
    BUS_CONNECTED = 0,
    BUS_CONNECTING,   /* not yet, or reconnecting: publishes answer RETRY */
    BUS_DISCONNECTED, /* given up until reconfigured */
};
const char *bus_state_name(enum bus_state s);

struct bus_ops {
    const char *name;        /* "local": selects it, as "local:" */
    const char *description;
    /* cfg: {"url": "..."} (may grow adapter options); deps: unused yet (NULL). */
    int (*init)(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen);
    /* OK; RETRY when the bus cannot take it now (the relay retries from there);
     * ERROR when it never will (e.g. a subject the server refuses). */
    enum adapter_result (*publish)(void *instance, const char *subject, const char *msg_id,
                                   const char *data, size_t len);
    /* Returns a subscription id > 0, or -1. */
    int (*subscribe)(void *instance, const char *subject, bus_handler fn, void *ud);
    void (*unsubscribe)(void *instance, int sub_id);
    /* Optional: 0 when a publish on subject would reach no one now, so the
     * publisher may skip encoding the message. NULL: always 1. */
    int (*interested)(void *instance, const char *subject);
    /* Optional: the connection state, with a short reason when not connected.
     * NULL: always connected (in-process). */
    enum bus_state (*state)(void *instance, char *detail, size_t detail_len);
    void (*destroy)(void *instance);
};

extern const struct bus_ops *const bus_registry[]; /* NULL-terminated, bus/registry.c */
const struct bus_ops *bus_find(const char *name_or_url);
/* bus_find, or NULL with the reason in err (unknown, or left out of this build). */
const struct bus_ops *bus_select(const char *name_or_url, char *err, size_t errlen);

/* A bus: an adapter and its instance. */
struct bus;

/* Opens the adapter url selects ("local:" is the in-process bus). On failure
 * returns -1 with the reason in err (an unknown or left-out adapter is named). */
int bus_open(const char *url, void *deps, struct bus **out, char *err, size_t errlen);
void bus_destroy(struct bus *b); /* accepts NULL */

const char *bus_name(const struct bus *b);
enum adapter_result bus_publish(struct bus *b, const char *subject, const char *msg_id,
                                const char *data, size_t len);
int bus_subscribe(struct bus *b, const char *subject, bus_handler fn, void *ud);
void bus_unsubscribe(struct bus *b, int sub_id);
int bus_interested(struct bus *b, const char *subject);
enum bus_state bus_state(struct bus *b, char *detail, size_t detail_len);

/* 1 when subject matches pattern ("a.b" exactly, or "a.>" for anything under a.). */
int bus_subject_match(const char *pattern, const char *subject);

#endif
