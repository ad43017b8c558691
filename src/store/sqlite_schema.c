/* The SQLite schema, as numbered forward-only migrations. Append new entries at
 * the end with the next version; never edit one that has shipped. Each entry
 * runs in its own transaction and is recorded in schema_migrations.
 * Times are INTEGER milliseconds since the Unix epoch (UTC). */
#include "store/sqlite_int.h"

const struct sqlite_migration sqlite_migrations[] = {
    {1, "tokens, audit log, heartbeat",
     "CREATE TABLE tokens ("
     "  id INTEGER PRIMARY KEY,"
     "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),"
     "  role TEXT NOT NULL CHECK (role IN ('ingest','viewer','operator','admin')),"
     "  hash BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),"
     "  created_at INTEGER NOT NULL"
     ");"
     /* Append-only, hash-chained (src/core/audit.h). audit_head is written in
      * the same transaction as each row, so removing the last rows is caught. */
     "CREATE TABLE audit_log ("
     "  seq INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  detail TEXT,"
     "  prev_hash BLOB NOT NULL,"
     "  hash BLOB NOT NULL"
     ");"
     "CREATE TABLE audit_head ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  seq INTEGER NOT NULL,"
     "  hash BLOB NOT NULL"
     ");"
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
     "  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
     /* store_ready's probe write */
     "CREATE TABLE store_heartbeat ("
     "  id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  at INTEGER NOT NULL"
     ");"},
    {2, "policy versions",
     /* robot_sre_policy: one row per accepted document (docs/policy.md). */
     "CREATE TABLE policy_versions ("
     "  version INTEGER PRIMARY KEY CHECK (version >= 1),"
     "  author TEXT NOT NULL CHECK (length(author) BETWEEN 1 AND 63),"
     "  created_at INTEGER NOT NULL,"
     "  document TEXT NOT NULL"
     ");"},
    {3, "ledger: incidents, findings, evidence, timeline, outbox, actions, approvals",
     /* States and severities as the core names them (src/core/lifecycle.h,
      * finding.h); severity is 0 info .. 3 critical so it sorts. */
     "CREATE TABLE incidents ("
     "  id INTEGER PRIMARY KEY,"
     "  class TEXT NOT NULL,"
     "  correlation_key TEXT NOT NULL,"
     "  state TEXT NOT NULL CHECK (state IN ('observed','triaged','contained','recovering',"
     "    'resolved','suppressed','escalated')),"
     "  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),"
     "  summary TEXT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  finding_count INTEGER NOT NULL,"
     "  first_seen INTEGER NOT NULL,"
     "  last_seen INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  state_since INTEGER NOT NULL,"
     "  resolved_at INTEGER,"
     "  suppressed_until INTEGER,"
     "  last_status INTEGER NOT NULL"
     ");"
     /* The identity rule: at most one open incident per (class, key). */
     "CREATE UNIQUE INDEX incidents_open_identity ON incidents(class, correlation_key)"
     "  WHERE state <> 'resolved';"
     "CREATE INDEX incidents_identity ON incidents(class, correlation_key, id);"
     "CREATE INDEX incidents_last_seen ON incidents(last_seen, id);"
     "CREATE INDEX incidents_state ON incidents(state, last_seen);"
     /* Findings: small, append-only. fid is the sender's id (NULL when none):
      * its uniqueness makes ingest idempotent. */
     "CREATE TABLE findings ("
     "  seq INTEGER PRIMARY KEY,"
     "  fid TEXT UNIQUE,"
     "  incident_id INTEGER,"
     "  source TEXT NOT NULL,"
     "  class TEXT NOT NULL,"
     "  correlation_key TEXT NOT NULL,"
     "  severity INTEGER NOT NULL,"
     "  status INTEGER NOT NULL,"
     "  summary TEXT NOT NULL,"
     "  observed_at INTEGER NOT NULL,"
     "  received_at INTEGER NOT NULL,"
     "  attributes TEXT"
     ");"
     "CREATE INDEX findings_incident ON findings(incident_id, seq);"
     "CREATE TRIGGER findings_no_update BEFORE UPDATE ON findings"
     "  BEGIN SELECT RAISE(ABORT, 'findings are append-only'); END;"
     "CREATE TABLE evidence ("
     "  id INTEGER PRIMARY KEY,"
     "  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
     "  type TEXT NOT NULL,"
     "  summary TEXT NOT NULL,"
     "  data TEXT NOT NULL CHECK (length(data) <= 16384),"
     "  hash TEXT NOT NULL,"
     "  source TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  UNIQUE (incident_id, hash)"
     ");"
     "CREATE TABLE timeline ("
     "  id INTEGER PRIMARY KEY,"
     "  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
     "  at INTEGER NOT NULL,"
     "  actor TEXT NOT NULL,"
     "  kind TEXT NOT NULL CHECK (kind IN ('opened','reopened','finding_folded','state_changed',"
     "    'evidence_added','decision','action','approval')),"
     "  reason TEXT NOT NULL,"
     "  data TEXT"
     ");"
     "CREATE INDEX timeline_incident ON timeline(incident_id, id);"
     /* Transactional outbox: events written with the change, relayed later. */
     "CREATE TABLE outbox ("
     "  seq INTEGER PRIMARY KEY,"
     "  type TEXT NOT NULL,"
     "  subject TEXT NOT NULL,"
     "  at INTEGER NOT NULL,"
     "  data TEXT NOT NULL"
     ");"
     "CREATE TABLE outbox_cursors ("
     "  consumer TEXT PRIMARY KEY,"
     "  seq INTEGER NOT NULL"
     ");"
     /* Remediation (filled by the remediation worker): intent before action. */
     "CREATE TABLE action_attempts ("
     "  id INTEGER PRIMARY KEY,"
     "  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
     "  action TEXT NOT NULL,"
     "  target TEXT NOT NULL,"
     "  params TEXT,"
     "  mode TEXT NOT NULL CHECK (mode IN ('auto','approval','recommend','deny')),"
     "  state TEXT NOT NULL CHECK (state IN ('proposed','awaiting_approval','approved',"
     "    'rejected','expired','executing','succeeded','failed','unknown','cancelled')),"
     "  idempotency_key TEXT NOT NULL UNIQUE,"
     "  dry_run INTEGER NOT NULL DEFAULT 0,"
     "  result TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX action_attempts_incident ON action_attempts(incident_id, id);"
     "CREATE INDEX action_attempts_state ON action_attempts(state);"
     "CREATE TABLE approval_requests ("
     "  id INTEGER PRIMARY KEY,"
     "  incident_id INTEGER NOT NULL REFERENCES incidents(id),"
     "  attempt_id INTEGER NOT NULL REFERENCES action_attempts(id),"
     "  state TEXT NOT NULL CHECK (state IN ('pending','approved','rejected','expired','cancelled')),"
     "  requested_by TEXT NOT NULL,"
     "  requested_at INTEGER NOT NULL,"
     "  expires_at INTEGER NOT NULL"
     ");"
     "CREATE INDEX approval_requests_state ON approval_requests(state, expires_at);"
     "CREATE TABLE approval_decisions ("
     "  id INTEGER PRIMARY KEY,"
     "  request_id INTEGER NOT NULL REFERENCES approval_requests(id),"
     "  decision TEXT NOT NULL CHECK (decision IN ('approve','reject')),"
     "  decided_by TEXT NOT NULL,"
     "  channel TEXT NOT NULL,"
     "  reason TEXT NOT NULL,"
     "  at INTEGER NOT NULL"
     ");"},
    {4, "ledger: lazy finding events (outbox.ref), finding outcome, fewer incident indexes",
     /* sre.finding.observed events carry only a reference to their finding row;
      * readers build the event data from it (sqlite_ledger_read.c). Halves the
      * bytes written per finding. */
     "ALTER TABLE findings ADD COLUMN outcome INTEGER;"
     "ALTER TABLE outbox ADD COLUMN ref INTEGER;"
     /* every fold moves last_seen, so each index holding it is rewritten per
      * fold; the state filter walks incidents_last_seen instead */
     "DROP INDEX incidents_state;"},
    {5, "ledger: identity lookups by open / resolved partial indexes",
     /* A new incident was entered in two identity indexes (the partial unique
      * one for open incidents and incidents_identity for "the latest record").
      * The open one comes first, and only resolved records need the second:
      * a partial index of resolved ones, entered when an incident resolves
      * (rare) instead of when it opens (half the findings of a busy feed). */
     "CREATE INDEX incidents_resolved_identity ON incidents(class, correlation_key, id)"
     "  WHERE state = 'resolved';"
     "DROP INDEX incidents_identity;"},
    {6, "ledger: partial indexes for the tick's due incidents",
     /* The tick looks for recovering incidents past their quiet period and
      * suppressions that expired, every tick_ms; without an index that is a
      * scan of every incident, each second. Only incidents in those two states
      * are entered, so folds of observed incidents never touch these. */
     "CREATE INDEX incidents_recovering ON incidents(state_since) WHERE state = 'recovering';"
     "CREATE INDEX incidents_suppressed ON incidents(suppressed_until)"
     "  WHERE state = 'suppressed';"},
    {7, "remediation: attempt decisions and verification, approval rules, notification outbox",
     /* What the evaluator decided (reason), who asked, which playbook step,
      * and when the closed-loop check of a succeeded attempt is due. */
     "ALTER TABLE action_attempts ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE action_attempts ADD COLUMN reason TEXT NOT NULL DEFAULT '';"
     "ALTER TABLE action_attempts ADD COLUMN requested_by TEXT NOT NULL DEFAULT 'system';"
     "ALTER TABLE action_attempts ADD COLUMN step INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE action_attempts ADD COLUMN started_at INTEGER;"
     "ALTER TABLE action_attempts ADD COLUMN finished_at INTEGER;"
     "ALTER TABLE action_attempts ADD COLUMN verify_at INTEGER;"
     "ALTER TABLE action_attempts ADD COLUMN verification TEXT NOT NULL DEFAULT ''"
     "  CHECK (verification IN ('','pending','held','failed','skipped'));"
     "CREATE INDEX action_attempts_verify ON action_attempts(verify_at)"
     "  WHERE verify_at IS NOT NULL;"
     "CREATE INDEX action_attempts_created ON action_attempts(created_at);"
     /* The approval rules in force when the request was made travel with it,
      * so a later policy change does not alter a pending request's bar. */
     "ALTER TABLE approval_requests ADD COLUMN approvers_required INTEGER NOT NULL DEFAULT 1"
     "  CHECK (approvers_required BETWEEN 1 AND 2);"
     "ALTER TABLE approval_requests ADD COLUMN allow_self_approval INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE approval_requests ADD COLUMN decided_at INTEGER;"
     "CREATE UNIQUE INDEX approval_requests_attempt ON approval_requests(attempt_id);"
     "CREATE INDEX approval_requests_incident ON approval_requests(incident_id, id);"
     "ALTER TABLE approval_decisions ADD COLUMN role TEXT NOT NULL DEFAULT '';"
     /* one vote per approver and request: distinct approvers by construction */
     "CREATE UNIQUE INDEX approval_decisions_once ON approval_decisions(request_id, decided_by);"
     /* The notification outbox: the notify runner writes, the in-app inbox
      * reads, channel providers drain with their own cursors. */
     "CREATE TABLE notifications ("
     "  id INTEGER PRIMARY KEY,"
     "  incident_id INTEGER,"
     "  attempt_id INTEGER,"
     "  severity INTEGER NOT NULL CHECK (severity BETWEEN 0 AND 3),"
     "  title TEXT NOT NULL,"
     "  body TEXT NOT NULL,"
     "  dedupe_key TEXT NOT NULL UNIQUE,"
     "  created_at INTEGER NOT NULL"
     ");"
     "CREATE TABLE notification_cursors ("
     "  consumer TEXT PRIMARY KEY,"
     "  id INTEGER NOT NULL"
     ");"},
    {8, "channels: notification kinds, delivery records, threads per incident and channel",
     /* What a notification reports (the template and the buttons depend on
      * it), the approval request it carries, and for a console test message
      * the one channel it is meant for. */
     "ALTER TABLE notifications ADD COLUMN kind TEXT NOT NULL DEFAULT 'incident'"
     "  CHECK (kind IN ('incident','resolved','approval_request','approval_result','test'));"
     "ALTER TABLE notifications ADD COLUMN approval_id INTEGER;"
     "ALTER TABLE notifications ADD COLUMN channel TEXT;"
     "CREATE INDEX notifications_incident ON notifications(incident_id, kind)"
     "  WHERE incident_id IS NOT NULL;"
     /* One row per (notification, channel): the message goes out once per
      * channel, restarts included. `sending` is the intent recorded before the
      * provider is called; one left by a crash becomes `unknown` (not resent).
      * route/hop: the failover chain it belongs to and its place in it. */
     "CREATE TABLE channel_deliveries ("
     "  id INTEGER PRIMARY KEY,"
     "  notification_id INTEGER NOT NULL REFERENCES notifications(id),"
     "  channel TEXT NOT NULL,"
     "  state TEXT NOT NULL"
     "    CHECK (state IN ('pending','sending','sent','failed','skipped','unknown')),"
     "  route TEXT NOT NULL,"
     "  hop INTEGER NOT NULL,"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  failed_over INTEGER NOT NULL DEFAULT 0,"
     "  next_at INTEGER NOT NULL,"
     "  last_error TEXT NOT NULL DEFAULT '',"
     "  message_ref TEXT NOT NULL DEFAULT '',"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  sent_at INTEGER,"
     "  UNIQUE (notification_id, channel)"
     ");"
     "CREATE INDEX channel_deliveries_due ON channel_deliveries(next_at)"
     "  WHERE state = 'pending';"
     "CREATE INDEX channel_deliveries_channel ON channel_deliveries(channel, updated_at);"
     /* The provider's handle of an incident's first message on a channel
      * (Slack's ts, Telegram's message_id): later messages reply to it. */
     "CREATE TABLE channel_threads ("
     "  incident_id INTEGER NOT NULL,"
     "  channel TEXT NOT NULL,"
     "  thread_ref TEXT NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  PRIMARY KEY (incident_id, channel)"
     ");"},
    {9, "tokens: expiry, revocation, last use",
     "ALTER TABLE tokens ADD COLUMN expires_at INTEGER;"
     "ALTER TABLE tokens ADD COLUMN revoked_at INTEGER;"
     "ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;"},
};

const size_t sqlite_migrations_count = sizeof sqlite_migrations / sizeof sqlite_migrations[0];
