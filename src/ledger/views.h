/* JSON views of ledger rows, shared by the API handlers, events and the CLI. */
#ifndef SREBOT_LEDGER_VIEWS_H
#define SREBOT_LEDGER_VIEWS_H

#include <jansson.h>

#include "core/incident.h"
#include "store/ledger_repo.h"

/* {"id","class","domain","correlation_key","state","severity","summary","source",
 *  "finding_count","first_seen","last_seen","updated_at","suppressed_until"} */
json_t *incident_json(const struct incident *inc);
json_t *finding_row_json(const struct finding_row *r);
json_t *evidence_row_json(const struct evidence_row *r);
json_t *timeline_row_json(const struct timeline_row *r);
/* The event envelope {"id":"evt_<seq>","type","time","subject","data"}. */
json_t *event_envelope_json(const struct outbox_row *r);
/* "2026-...Z" into a new json string. */
json_t *json_time(int64_t ms);

#endif
