/* The ledger read service and its JSON views.
 *
 * Every reader of the ledger — HTTP handlers, the SSE stream, MCP tools, chat
 * callbacks — asks here, never the store: one query path, one error mapping
 * (enum svc_status; store results mapped by svc_from_store). Each read takes
 * one pooled read connection for its duration and sees committed data only.
 * Out-parameters are written only on SVC_OK; JSON results are new references
 * owned by the caller.
 *
 * The JSON shapes are documented in docs/api.md and docs/events.md. */
#ifndef SREBOT_LEDGER_VIEWS_H
#define SREBOT_LEDGER_VIEWS_H

#include <jansson.h>
#include <stddef.h>

#include "core/incident.h"
#include "ledger/status.h"
#include "store/ledger_repo.h"

struct ledger;

/* ---- reads ---- */

/* A listing cursor ("<sort>.<value>.<id>", opaque to clients) into f's keyset
 * position; -1 when it is not one this listing (with f->sort) gave out. */
int ledger_incident_cursor_parse(const char *text, struct incident_filter *f);

/* One page: {"items":[incident...],"next_cursor":text|null}; next_cursor is set
 * when the page is full (f->limit items). A text search (f->q) examines at most
 * LEDGER_SEARCH_SCAN incidents (those passing the other filters, in sort order)
 * per page and adds "searched" (how many it examined) and "search_complete";
 * when that is false, next_cursor continues after the last one examined, so a
 * page may hold fewer than f->limit items (even none) and still have a next. */
#define LEDGER_SEARCH_SCAN 10000
enum svc_status ledger_incident_list(struct ledger *l, const struct incident_filter *f,
                                     json_t **out);

/* {"by_state":{every state: n},"by_class":{..},"by_severity":{..},"total":n}.
 * Counting scans every incident (tens of ms at 100k), so the answer is reused
 * while nothing changed (the outbox head did not move); never longer. */
enum svc_status ledger_incident_counts(struct ledger *l, json_t **out);

enum svc_status ledger_incident_get(struct ledger *l, int64_t id, struct incident *out);

/* The incident with "allowed_transitions" (by an operator), "evidence" (the
 * newest 100) and "findings" (the newest 50). */
enum svc_status ledger_incident_detail(struct ledger *l, int64_t id, json_t **out);

/* Arrays of evidence_row_json / finding_row_json, newest first, at most limit. */
enum svc_status ledger_incident_evidence(struct ledger *l, int64_t id, unsigned limit,
                                         json_t **items);
enum svc_status ledger_incident_findings(struct ledger *l, int64_t id, unsigned limit,
                                         json_t **items);

/* Timeline entries with id > after, oldest first, at most limit. */
enum svc_status ledger_incident_timeline(struct ledger *l, int64_t id, int64_t after,
                                         unsigned limit, json_t **items);

/* Outbox events with seq > after, in order, at most limit: fn for each (nonzero
 * stops early, which is not an error). */
enum svc_status ledger_events_after(struct ledger *l, int64_t after, unsigned limit,
                                    int (*fn)(const struct outbox_row *r, void *ud), void *ud);

/* ---- JSON views ---- */

/* {"id","class","domain","correlation_key","state","severity","summary","source",
 *  "finding_count","first_seen","last_seen","updated_at","suppressed_until"} */
json_t *incident_json(const struct incident *inc);
/* incident_json plus "allowed_transitions": the states an operator may move it to. */
json_t *incident_detail_json(const struct incident *inc);
json_t *finding_row_json(const struct finding_row *r);
json_t *evidence_row_json(const struct evidence_row *r);
json_t *timeline_row_json(const struct timeline_row *r);
/* The event envelope {"id":"evt_<seq>","type","time","subject","data"}. */
json_t *event_envelope_json(const struct outbox_row *r);
/* "2026-...Z" into a new json string. */
json_t *json_time(int64_t ms);

#endif
