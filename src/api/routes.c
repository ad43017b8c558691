#include "api/routes.h"

#include "api/actions_api.h"
#include "api/admin.h"
#include "api/channels_api.h"
#include "api/chat_api.h"
#include "api/ledger_api.h"
#include "api/meta.h"
#include "api/ops.h"
#include "api/policy.h"
#include "api/sources.h"

/* Rows name their flags only when they have some (flags is the last field). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* HTTP_ROUTE_BLOCKING runs a handler that waits for a commit, or reads for
 * more than a moment (a text search, the counts, a replay), on the offload
 * workers (http.h); the findings and Alertmanager receivers need no mark: they
 * defer their answer to the writer's completion.
 *
 * Roles: ROLES_PUBLIC (no token), ROLES_VIEWER (viewer, operator, admin),
 * ROLES_OPERATOR, ROLES_ADMIN, ROLES_INGEST (ingest, operator, admin),
 * ROLES_ANY (every authenticated role), ROLES_SIGNED (no token: the handler
 * checks a chat provider's signature). Everything else under /api/v1 needs a
 * token whatever its row says (the server refuses before routing). */
const struct http_route ops_routes[] = {
    {"GET", "/healthz", ROLES_PUBLIC, ops_healthz, "Liveness: the process answers"},
    {"GET", "/readyz", ROLES_PUBLIC, ops_readyz, "Readiness: the store commits writes", HTTP_ROUTE_BLOCKING},
    {"GET", "/metrics", ROLES_PUBLIC, ops_metrics, "Prometheus metrics"},
    {NULL, NULL, 0, NULL, NULL},
};

const struct http_route api_routes[] = {
    /* operations */
    {"GET", "/healthz", ROLES_PUBLIC, ops_healthz, "Liveness: the process answers"},
    {"GET", "/readyz", ROLES_PUBLIC, ops_readyz, "Readiness: the store commits writes", HTTP_ROUTE_BLOCKING},
    {"GET", "/metrics", ROLES_PUBLIC, ops_metrics, "Prometheus metrics"},
    {"GET", "/api/v1/whoami", ROLES_ANY, ops_whoami, "The caller's token name and role"},
    {"GET", "/api/v1/openapi.json", ROLES_VIEWER, ops_openapi,
     "This API's OpenAPI 3.0 description, generated from the route table"},
    {"GET", "/api/v1/meta", ROLES_VIEWER, api_meta,
     "The names the API uses: event types, incident states, severities"},

    /* ledger: findings in, incidents, events (docs/api.md, docs/findings.md, docs/events.md) */
    {"POST", "/api/v1/findings", ROLES_INGEST, api_findings_post,
     "Ingest one finding or an array (answers when durable)"},
    {"POST", "/api/v1/integrations/alertmanager", ROLES_INGEST, api_alertmanager_post,
     "Alertmanager webhook (version 4) receiver"},
    {"GET", "/api/v1/incidents", ROLES_VIEWER, api_incidents_list,
     "List incidents (filters, sort, cursor)", HTTP_ROUTE_BLOCKING},
    {"GET", "/api/v1/incidents/counts", ROLES_VIEWER, api_incidents_counts,
     "Incident counts by state, class and severity", HTTP_ROUTE_BLOCKING},
    {"GET", "/api/v1/incidents/{id}", ROLES_VIEWER, api_incident_get,
     "One incident with evidence, recent findings and allowed transitions"},
    {"GET", "/api/v1/incidents/{id}/timeline", ROLES_VIEWER, api_incident_timeline,
     "An incident's timeline"},
    {"POST", "/api/v1/incidents/{id}/transitions", ROLES_OPERATOR, api_incident_transition,
     "Move an incident to another state", HTTP_ROUTE_BLOCKING},
    {"POST", "/api/v1/incidents/{id}/evidence", ROLES_OPERATOR, api_incident_evidence_post,
     "Attach evidence to an incident", HTTP_ROUTE_BLOCKING},
    {"GET", "/api/v1/events", ROLES_VIEWER, api_events, "Server-Sent Events (Last-Event-ID resume)"},

    /* remediation: approvals, attempts, decisions, notifications (docs/actions.md) */
    {"GET", "/api/v1/approvals", ROLES_OPERATOR, api_approvals_list,
     "Approval requests, newest first (filters: state, incident)"},
    {"GET", "/api/v1/approvals/count", ROLES_OPERATOR, api_approvals_count,
     "How many approval requests are pending"},
    {"GET", "/api/v1/approvals/{id}", ROLES_OPERATOR, api_approval_get,
     "One approval request with its votes and attempt"},
    {"POST", "/api/v1/approvals/{id}/approve", ROLES_OPERATOR, api_approval_approve,
     "Approve (as the calling operator; optional reason)", HTTP_ROUTE_BLOCKING},
    {"POST", "/api/v1/approvals/{id}/reject", ROLES_OPERATOR, api_approval_reject,
     "Reject with a reason (as the calling operator)", HTTP_ROUTE_BLOCKING},
    {"GET", "/api/v1/incidents/{id}/attempts", ROLES_VIEWER, api_incident_attempts,
     "An incident's action attempts, newest first"},
    {"GET", "/api/v1/incidents/{id}/decisions", ROLES_VIEWER, api_incident_decisions,
     "An incident's decisions (denials included), oldest first"},
    {"GET", "/api/v1/notifications", ROLES_VIEWER, api_notifications_list,
     "The in-app notification inbox, newest first"},

    /* operator channels (docs/channels.md) */
    {"GET", "/api/v1/channels", ROLES_VIEWER, api_channels_list,
     "The policy's channels: provider, enabled, health, last delivery, failures"},
    {"POST", "/api/v1/channels/{id}/test", ROLES_OPERATOR, api_channel_test,
     "Send a test message through one channel (202; the channel worker delivers it)"},

    /* chat provider callbacks (docs/channels.md): signed by the provider */
    {"POST", "/api/v1/channels/{id}/slack/interactions", ROLES_SIGNED, api_slack_interactions,
     "Slack interactivity (Approve / Reject buttons), verified by X-Slack-Signature",
     HTTP_ROUTE_BLOCKING},
    {"POST", "/api/v1/channels/{id}/slack/commands", ROLES_SIGNED, api_slack_commands,
     "Slack slash command /srebot (incidents, ack ID), verified by X-Slack-Signature",
     HTTP_ROUTE_BLOCKING},
    {"POST", "/api/v1/channels/{id}/telegram/updates", ROLES_SIGNED, api_telegram_updates,
     "Telegram webhook (button presses), verified by X-Telegram-Bot-Api-Secret-Token",
     HTTP_ROUTE_BLOCKING},

    /* administration: tokens and the audit log (docs/api.md) */
    {"GET", "/api/v1/tokens", ROLES_ADMIN, api_tokens_list,
     "API tokens: name, role, state, created, expiry, last use (never the token)"},
    {"POST", "/api/v1/tokens", ROLES_ADMIN, api_tokens_create,
     "Create a token (shown once in the answer)"},
    {"POST", "/api/v1/tokens/{name}/revoke", ROLES_ADMIN, api_token_revoke,
     "Revoke a token from its next request on"},
    {"GET", "/api/v1/audit", ROLES_ADMIN, api_audit_list,
     "The audit log, newest first (actor, action, subject prefix, since, until, cursor)"},
    {"GET", "/api/v1/audit/verify", ROLES_ADMIN, api_audit_verify,
     "Walk the hash chain of the audit log"},

    /* policy (docs/policy.md) */
    {"GET", "/api/v1/policy", ROLES_VIEWER, api_policy_get, "The current policy, with its ETag"},
    {"PUT", "/api/v1/policy", ROLES_ADMIN, api_policy_put,
     "Save a new policy version (If-Match required)", HTTP_ROUTE_BLOCKING},
    {"POST", "/api/v1/policy/validate", ROLES_ADMIN, api_policy_validate,
     "Validate a policy document without saving it"},
    {"POST", "/api/v1/policy/simulate", ROLES_OPERATOR, api_policy_simulate,
     "What-if replay: the decisions a candidate policy would have made over a time range", HTTP_ROUTE_BLOCKING},
    {"GET", "/api/v1/policy/defaults", ROLES_VIEWER, api_policy_defaults,
     "The default policy of an environment (?environment=demo|staging|production)"},
    {"GET", "/api/v1/policy/versions", ROLES_VIEWER, api_policy_versions,
     "Policy versions, newest first"},
    {"GET", "/api/v1/policy/versions/{n}", ROLES_VIEWER, api_policy_version_get,
     "One policy version with its document"},

    /* retention (docs/policy.md#retention) */
    {"POST", "/api/v1/retention/run", ROLES_ADMIN, ops_retention_run,
     "Run the retention prune now (it also runs nightly at the policy's prune_at)"},

    /* sources (docs/sources.md) */
    {"GET", "/api/v1/sources", ROLES_VIEWER, api_sources_list,
     "Source instances: state, last run, last error, counters"},

    /* console (the catch-all row loses to every more specific pattern) */
    {"GET", "/", ROLES_PUBLIC, console_asset, "Console: index.html"},
    {"GET", "/{file*}", ROLES_PUBLIC, console_asset, "Console: static files"},
    {NULL, NULL, 0, NULL, NULL},
};
