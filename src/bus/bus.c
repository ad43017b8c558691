/* The bus handle: an adapter (bus_ops) and its instance; calls dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus.h"

struct bus {
    const struct bus_ops *ops;
    void *instance;
};

const char *bus_state_name(enum bus_state s)
{
    switch (s) {
    case BUS_CONNECTED:
        return "connected";
    case BUS_CONNECTING:
        return "connecting";
    case BUS_DISCONNECTED:
        return "disconnected";
    }
    return "?";
}

int bus_open(const char *url, void *deps, struct bus **out, char *err, size_t errlen)
{
    *out = NULL;
    const struct bus_ops *ops = bus_select(url, err, errlen);
    if (!ops)
        return -1;
    struct bus *b = calloc(1, sizeof *b);
    json_t *cfg = json_pack("{s:s}", "url", url);
    if (!b || !cfg) {
        free(b);
        json_decref(cfg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->ops = ops;
    int rc = ops->init(cfg, deps, &b->instance, err, errlen);
    json_decref(cfg);
    if (rc != 0) {
        free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void bus_destroy(struct bus *b)
{
    if (!b)
        return;
    b->ops->destroy(b->instance);
    free(b);
}

const char *bus_name(const struct bus *b) { return b->ops->name; }

enum adapter_result bus_publish(struct bus *b, const char *subject, const char *msg_id,
                                const char *data, size_t len)
{
    return b->ops->publish(b->instance, subject, msg_id, data, len);
}

int bus_subscribe(struct bus *b, const char *subject, bus_handler fn, void *ud)
{
    return b->ops->subscribe(b->instance, subject, fn, ud);
}

void bus_unsubscribe(struct bus *b, int sub_id) { b->ops->unsubscribe(b->instance, sub_id); }

int bus_interested(struct bus *b, const char *subject)
{
    return b->ops->interested ? b->ops->interested(b->instance, subject) : 1;
}

enum bus_state bus_state(struct bus *b, char *detail, size_t detail_len)
{
    if (detail_len)
        detail[0] = '\0';
    return b->ops->state ? b->ops->state(b->instance, detail, detail_len) : BUS_CONNECTED;
}

int bus_subject_match(const char *pattern, const char *subject)
{
    size_t n = strlen(pattern);
    if (n >= 1 && pattern[n - 1] == '>')
        return strncmp(pattern, subject, n - 1) == 0 && subject[n - 1] != '\0';
    return strcmp(pattern, subject) == 0;
}
