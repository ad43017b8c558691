/* HTTP handlers of the ledger: findings ingest, the Alertmanager receiver,
 * incidents (list, counts, detail, timeline, transitions, evidence) and the
 * Server-Sent Events stream. Shapes: docs/api.md, docs/findings.md, docs/events.md. */
#ifndef SREBOT_API_LEDGER_API_H
#define SREBOT_API_LEDGER_API_H

#include "api/app.h"
#include "http/http.h"

/* The running ledger, or NULL after answering 503 + Retry-After (not started,
 * or the HTTP layer tested alone). */
struct ledger *api_ledger(struct app *a, struct http_resp *resp);

void api_findings_post(struct http_req *req, struct http_resp *resp, void *app);
void api_alertmanager_post(struct http_req *req, struct http_resp *resp, void *app);

void api_incidents_list(struct http_req *req, struct http_resp *resp, void *app);
void api_incidents_counts(struct http_req *req, struct http_resp *resp, void *app);
void api_incident_get(struct http_req *req, struct http_resp *resp, void *app);
void api_incident_timeline(struct http_req *req, struct http_resp *resp, void *app);
void api_incident_transition(struct http_req *req, struct http_resp *resp, void *app);
void api_incident_evidence_post(struct http_req *req, struct http_resp *resp, void *app);

void api_events(struct http_req *req, struct http_resp *resp, void *app);

#endif
