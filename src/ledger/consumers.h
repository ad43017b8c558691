/* Outbox consumers: every reader of the outbox that must not miss an event
 * (the bus relay, the remediation worker, the channel delivery) keeps a named
 * cursor in the store (table outbox_cursors): the seq of the last event it has
 * handled. The outbox is pruned only behind the slowest registered cursor, so a
 * consumer that is slow, stopped or restarting finds its events when it comes
 * back; cursors survive restarts with the store.
 *
 * Retention is bounded all the same: once a consumer is more than
 * ledger_config.outbox_max_backlog events behind the head, the oldest events go
 * anyway; its cursor is moved past them, the loss is counted in
 * srebot_ledger_outbox_dropped_total{consumer} and a log line names the
 * consumer. srebot_ledger_outbox_backlog{consumer} shows how far each one is
 * behind. The newest ledger_config.outbox_retain events are kept regardless
 * (SSE resume), consumers or not.
 *
 * A new consumer, in three calls (its thread owns the object):
 *
 *     struct outbox_consumer *oc;
 *     ledger_consumer_open(ledger, "remediation", OUTBOX_FROM_HEAD, &oc);
 *     while (running) {
 *         n = ledger_consumer_next(oc, 256, handle_event, ctx);  // events after its cursor
 *         ... after handling them: ledger_consumer_advance(oc, last_seq);  // durable
 *         if (n == 0) ledger_consumer_wait(oc, 1000);              // until new events
 *     }
 *     ledger_consumer_close(oc);
 *
 * Delivery is at least once: a crash between handling and advancing hands the
 * same events (same seq, event id "evt_<seq>") over again, so handlers dedupe
 * by seq or make their effect idempotent. A consumer that is retired for good
 * keeps holding events back until the bound drops them; the log says which.
 */
#ifndef SREBOT_LEDGER_CONSUMERS_H
#define SREBOT_LEDGER_CONSUMERS_H

#include <stdint.h>

#include "ledger/ledger.h"
#include "store/ledger_repo.h"

#define OUTBOX_CONSUMER_NAME_MAX 63 /* [A-Za-z0-9._-], 1..63 characters */

enum outbox_start {
    OUTBOX_FROM_START = 0, /* a new consumer gets every event still in the outbox */
    OUTBOX_FROM_HEAD,      /* a new consumer starts after the newest event */
};

struct outbox_consumer;

/* Registers `name` (durably) unless it is registered already, and loads its
 * cursor. `from` matters only the first time a name is seen. SVC_INVALID for
 * a bad name; SVC_BUSY / SVC_INTERNAL when the store cannot take it now. */
enum svc_status ledger_consumer_open(struct ledger *l, const char *name, enum outbox_start from,
                                     struct outbox_consumer **out);
/* Calls fn for up to limit events after the cursor, in seq order (fn returns
 * nonzero to stop early). Does not move the cursor. Returns the number of events
 * handed to fn, or -1 when the store could not be read. */
int ledger_consumer_next(struct outbox_consumer *oc, unsigned limit,
                         int (*fn)(const struct outbox_row *r, void *ud), void *ud);
/* Records that every event up to seq is handled (durable when this returns;
 * never moves the cursor back). */
enum svc_status ledger_consumer_advance(struct outbox_consumer *oc, int64_t seq);
/* The cursor: the last handled seq. */
int64_t ledger_consumer_cursor(const struct outbox_consumer *oc);
/* Waits until an event newer than the cursor is committed, the ledger stops, or
 * timeout_ms pass. */
void ledger_consumer_wait(struct outbox_consumer *oc, unsigned timeout_ms);
/* Frees the handle; the registration and cursor stay in the store. Accepts NULL. */
void ledger_consumer_close(struct outbox_consumer *oc);

#endif
