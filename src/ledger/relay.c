/* The outbox relay: publishes committed events on the bus in seq order and
 * records its progress (outbox consumer "bus", ledger/consumers.h) in the
 * store, so events committed before a crash or restart are delivered after it. At least once: a crash
 * between publish and the cursor write re-publishes those events with the same
 * ids (evt_<seq>), and consumers dedupe by id. Also subscribes the detector
 * subject into the ingest path. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus/bus.h"
#include "ledger/consumers.h"
#include "ledger/ledger_int.h"
#include "ledger/views.h"
#include "util/log.h"

#define RELAY_BATCH 256
#define RELAY_CONSUMER "bus"

struct relay_batch {
    struct bus *bus;
    int64_t last;   /* highest seq published */
    int failed;
};

/* One log line per incident that opens or changes state (a resolution is the
 * change to resolved), so an operator reading the log sees the incidents and
 * not only access lines. Written as the events leave the outbox, after their
 * commit; a relay that re-sends after a crash may repeat a line. */
static void log_lifecycle(const struct outbox_row *r)
{
    int opened = strcmp(r->type, "sre.incident.opened") == 0;
    if (!opened && strcmp(r->type, "sre.incident.state_changed") != 0)
        return;
    json_error_t jerr;
    json_t *d = r->data ? json_loads(r->data, 0, &jerr) : NULL;
    const char *cls = json_string_value(json_object_get(d, "class"));
    const char *state = json_string_value(json_object_get(d, "state"));
    long long id = json_integer_value(json_object_get(d, "id"));
    /* Not the summary: it is text from outside (a log line, an alert), and
     * the incident holds it for whoever may read it. */
    if (opened)
        log_info("incident", "incident %lld opened: %s %s, key %s", id, cls ? cls : "?",
                 json_string_value(json_object_get(d, "severity")) ?: "?",
                 json_string_value(json_object_get(d, "correlation_key")) ?: "?");
    else
        log_info("incident", "incident %lld %s -> %s (%s)", id,
                 json_string_value(json_object_get(d, "from")) ?: "?", state ? state : "?",
                 cls ? cls : "?");
    json_decref(d);
}

static int publish_one(const struct outbox_row *r, void *ud)
{
    struct relay_batch *rb = ud;
    log_lifecycle(r);
    /* In-process, an event nobody subscribes to goes nowhere: skip building it
     * (the encoding is most of the relay's cost at high ingest rates). The
     * outbox keeps it for the events API either way. */
    if (!bus_interested(rb->bus, r->type)) {
        rb->last = r->seq;
        return 0;
    }
    json_t *env = event_envelope_json(r);
    char *text = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    char id[32];
    snprintf(id, sizeof id, "evt_%lld", (long long)r->seq);
    enum adapter_result rc =
        text ? bus_publish(rb->bus, r->type, id, text, strlen(text)) : ADAPTER_RETRY;
    free(text);
    if (rc != ADAPTER_OK) {
        rb->failed = 1;
        return 1; /* stop; retried from here next round */
    }
    rb->last = r->seq;
    return 0;
}

/* One round: returns the number of events published (or -1 on error). */
static int relay_round(struct ledger *l, struct outbox_consumer *oc)
{
    int64_t cursor = ledger_consumer_cursor(oc);
    struct relay_batch rb = {.bus = l->cfg.bus, .last = cursor};
    if (ledger_consumer_next(oc, RELAY_BATCH, publish_one, &rb) < 0)
        return -1;
    if (rb.last == cursor)
        return rb.failed ? -1 : 0;
    if (ledger_consumer_advance(oc, rb.last) == SVC_OK)
        atomic_store(&l->relay_cursor, rb.last);
    return (int)(rb.last - cursor);
}

static int stopping(struct ledger *l)
{
    pthread_mutex_lock(&l->mu);
    int stop = l->stopping;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

static void *relay_main(void *arg)
{
    struct ledger *l = arg;
    /* The relay is the outbox consumer "bus"; a first start relays every event
     * still in the outbox. */
    struct outbox_consumer *oc = NULL;
    while (ledger_consumer_open(l, RELAY_CONSUMER, OUTBOX_FROM_START, &oc) != SVC_OK) {
        if (stopping(l))
            return NULL;
        log_warn("ledger", "outbox relay: cannot read its cursor; retrying");
        ledger_outbox_wait(l, INT64_MAX, 1000);
    }
    atomic_store(&l->relay_cursor, ledger_consumer_cursor(oc));
    for (;;) {
        int stop = stopping(l);
        int n = relay_round(l, oc);
        if (stop && n <= 0)
            break; /* drained what was committed before the stop */
        if (n < RELAY_BATCH)
            ledger_consumer_wait(oc, n < 0 ? 1000 : l->cfg.relay_ms);
    }
    ledger_consumer_close(oc);
    return NULL;
}

/* An invalid finding is never redelivered (term); one the store could not take
 * now (busy, stopping) is (nak). */
static enum bus_ack on_detector_finding(const struct bus_msg *m, void *ud)
{
    struct ledger *l = ud;
    struct problems *p = problems_create();
    if (!p)
        return BUS_NAK;
    json_t *answer = NULL;
    enum svc_status st = ledger_ingest_json(l, m->data, m->len, "bus:detector", &answer, p);
    if (st == SVC_INVALID)
        log_warn("ledger", "detector finding %s rejected: %s %s", m->msg_id ? m->msg_id : "-",
                 p->count ? p->items[0].path : "", p->count ? p->items[0].message : "");
    else if (st != SVC_OK)
        log_warn("ledger", "detector finding %s not stored: %s", m->msg_id ? m->msg_id : "-",
                 svc_status_text(st));
    json_decref(answer);
    problems_destroy(p);
    return st == SVC_OK ? BUS_ACK : st == SVC_INVALID ? BUS_TERM : BUS_NAK;
}

void ledger_relay_start(struct ledger *l)
{
    if (!l->cfg.bus)
        return;
    if (bus_subscribe(l->cfg.bus, "sre.detector.finding.observed", on_detector_finding, l) < 0)
        log_warn("ledger", "cannot subscribe to sre.detector.finding.observed");
    if (pthread_create(&l->relay_thread, NULL, relay_main, l) != 0) {
        log_error("ledger", "cannot start the outbox relay");
        return;
    }
    l->relay_running = 1;
}

void ledger_relay_join(struct ledger *l)
{
    if (l->relay_running) {
        pthread_join(l->relay_thread, NULL);
        l->relay_running = 0;
    }
}
