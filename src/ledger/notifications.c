/* The notification outbox rows the ledger writes in the same transaction as
 * the change they report (channels/channel.h "Flow"): an approval request, its
 * decision, an incident that resolves after it was notified. The notify
 * runner's rows (kind incident) go through actions_notification_post. */
#include <stdio.h>
#include <string.h>

#include "ledger/actions_int.h"

enum store_status ledger_notification_write(struct store_conn *c, struct notification_rec *r,
                                            int64_t now_ms, int64_t *max_seq, int *created)
{
    int made = 0;
    r->created_at_ms = now_ms;
    if (!r->kind[0])
        snprintf(r->kind, sizeof r->kind, "incident");
    enum store_status st = store_notification_insert(c, r, &made);
    if (st == STORE_OK && made) {
        json_t *d = json_pack("{s:I, s:s, s:I, s:I, s:s, s:i}", "id", (json_int_t)r->id, "kind",
                              r->kind, "incident_id", (json_int_t)r->incident_id, "attempt_id",
                              (json_int_t)r->attempt_id, "title", r->title, "severity",
                              r->severity);
        if (r->approval_id)
            json_object_set_new(d, "approval_id", json_integer(r->approval_id));
        if (r->channel[0])
            json_object_set_new(d, "channel", json_string(r->channel));
        st = ledger_emit(c, "sre.notification.created", r->incident_id, now_ms, d, max_seq);
    }
    if (created)
        *created = made;
    return st;
}

enum store_status ledger_notify_approval(struct store_conn *c, const struct approval_rec *r,
                                         const struct attempt_rec *a, const char *line,
                                         int64_t now_ms, int64_t *max_seq)
{
    struct incident inc;
    enum store_status st = store_incident_get(c, r->incident_id, &inc);
    if (st != STORE_OK)
        return st;
    int request = strcmp(r->state, "pending") == 0;
    struct notification_rec n;
    memset(&n, 0, sizeof n);
    n.incident_id = r->incident_id;
    n.attempt_id = r->attempt_id;
    n.approval_id = r->id;
    n.severity = (int)inc.severity;
    snprintf(n.kind, sizeof n.kind, "%s", request ? "approval_request" : "approval_result");
    /* one request message and one result message per approval request */
    snprintf(n.dedupe_key, sizeof n.dedupe_key, "approval-%lld-%s", (long long)r->id,
             request ? "request" : "result");
    char what[320];
    snprintf(what, sizeof what, "%.47s%s%.255s", a->action, a->target[0] ? " on " : "",
             a->target);
    if (request) {
        snprintf(n.title, sizeof n.title, "Approval needed: %.200s (incident %lld)", what,
                 (long long)r->incident_id);
        snprintf(n.body, sizeof n.body,
                 "%s wants to run %s for incident %lld (%.120s): %.255s. "
                 "%d approver(s) needed; request %lld expires in %lld min.",
                 r->requested_by, what, (long long)r->incident_id, inc.class_, a->reason,
                 r->approvers_required, (long long)r->id,
                 (long long)((r->expires_at_ms - now_ms + 59999) / 60000));
    } else {
        snprintf(n.title, sizeof n.title, "%s %s: %.200s (incident %lld)",
                 r->state[0] == 'a' ? "Approved" : r->state[0] == 'r' ? "Rejected" : "Expired",
                 r->state[0] == 'e' ? "undecided" : "", what, (long long)r->incident_id);
        snprintf(n.body, sizeof n.body, "Approval request %lld %s: %.700s", (long long)r->id,
                 r->state, line ? line : "");
    }
    return ledger_notification_write(c, &n, now_ms, max_seq, NULL);
}

enum store_status ledger_notify_resolved(struct store_conn *c, const struct incident *inc,
                                         int64_t now_ms, int64_t *max_seq)
{
    /* only an incident operators heard about is worth a "resolved" message */
    int64_t told = 0;
    enum store_status st = store_notification_count(c, inc->id, "incident", &told);
    if (st != STORE_OK || told == 0)
        return st;
    struct notification_rec n;
    memset(&n, 0, sizeof n);
    n.incident_id = inc->id;
    n.severity = (int)inc->severity;
    snprintf(n.kind, sizeof n.kind, "resolved");
    snprintf(n.dedupe_key, sizeof n.dedupe_key, "resolved-%lld-%lld", (long long)inc->id,
             (long long)now_ms);
    snprintf(n.title, sizeof n.title, "Resolved: %.200s (incident %lld)", inc->class_,
             (long long)inc->id);
    snprintf(n.body, sizeof n.body, "%.512s (key %.300s) is resolved.", inc->summary,
             inc->correlation_key);
    return ledger_notification_write(c, &n, now_ms, max_seq, NULL);
}
