/* The event types (`sre.*`): the one list the ledger's outbox, the bus, the SSE
 * stream and the console agree on. The console learns it from GET
 * /api/v1/meta (it needs a listener per named SSE event); docs/events.md lists
 * the same (a unit test checks). A module that emits a new type adds its row. */
#ifndef SREBOT_CORE_EVENT_TYPES_H
#define SREBOT_CORE_EVENT_TYPES_H

struct event_type {
    const char *type; /* also the bus subject */
    const char *when;
};
extern const struct event_type event_types[]; /* NULL-type terminated */

/* 1 when type is in the list. */
int event_type_known(const char *type);

#endif
