/* The remediation repository: backend-neutral entry points (checks, then dispatch). */
#include <stdio.h>
#include <string.h>

#include "store/store_checks.h"

enum store_status store_attempt_insert(struct store_conn *c, struct attempt_rec *a)
{
    WRITER_ONLY(c);
    if (!a->incident_id || !a->action[0] || !a->idempotency_key[0])
        return store_refuse(c, "attempt: incident, action and idempotency key are required");
    return c->ops->actions->attempt_insert(c, a);
}

enum store_status store_attempt_update(struct store_conn *c, const struct attempt_rec *a)
{
    WRITER_ONLY(c);
    return c->ops->actions->attempt_update(c, a);
}

enum store_status store_attempt_get(struct store_conn *c, int64_t id, struct attempt_rec *out)
{
    return c->ops->actions->attempt_get(c, id, out);
}

enum store_status store_attempt_list(struct store_conn *c, const struct attempt_filter *f,
                                     int (*fn)(const struct attempt_rec *a, void *ud), void *ud)
{
    struct attempt_filter g = *f;
    g.limit = clamp_limit(f->limit, 1000);
    return c->ops->actions->attempt_list(c, &g, fn, ud);
}

enum store_status store_attempt_verify_due(struct store_conn *c, int64_t now_ms, unsigned limit,
                                           int (*fn)(const struct attempt_rec *a, void *ud),
                                           void *ud)
{
    return c->ops->actions->attempt_verify_due(c, now_ms, clamp_limit(limit, 1000), fn, ud);
}

enum store_status store_approval_insert(struct store_conn *c, struct approval_rec *r)
{
    WRITER_ONLY(c);
    return c->ops->actions->approval_insert(c, r);
}

enum store_status store_approval_update(struct store_conn *c, const struct approval_rec *r)
{
    WRITER_ONLY(c);
    return c->ops->actions->approval_update(c, r);
}

enum store_status store_approval_get(struct store_conn *c, int64_t id, struct approval_rec *out)
{
    return c->ops->actions->approval_get(c, id, out);
}

enum store_status store_approval_of_attempt(struct store_conn *c, int64_t attempt_id,
                                            struct approval_rec *out)
{
    return c->ops->actions->approval_of_attempt(c, attempt_id, out);
}

enum store_status store_approval_list(struct store_conn *c, const struct approval_filter *f,
                                      int (*fn)(const struct approval_rec *r, void *ud), void *ud)
{
    struct approval_filter g = *f;
    g.limit = clamp_limit(f->limit, 500);
    return c->ops->actions->approval_list(c, &g, fn, ud);
}

enum store_status store_approval_expired(struct store_conn *c, int64_t now_ms, unsigned limit,
                                         int (*fn)(const struct approval_rec *r, void *ud),
                                         void *ud)
{
    return c->ops->actions->approval_expired(c, now_ms, clamp_limit(limit, 1000), fn, ud);
}

enum store_status store_approval_count(struct store_conn *c, const char *state, int64_t *n)
{
    return c->ops->actions->approval_count(c, state, n);
}

enum store_status store_approval_vote_insert(struct store_conn *c, struct approval_vote *v)
{
    WRITER_ONLY(c);
    if (!v->request_id || !v->decided_by[0])
        return store_refuse(c, "approval vote: request and approver are required");
    return c->ops->actions->vote_insert(c, v);
}

enum store_status store_approval_votes(struct store_conn *c, int64_t request_id,
                                       int (*fn)(const struct approval_vote *v, void *ud),
                                       void *ud)
{
    return c->ops->actions->votes_of(c, request_id, fn, ud);
}

enum store_status store_notification_insert(struct store_conn *c, struct notification_rec *r,
                                            int *created)
{
    WRITER_ONLY(c);
    if (!r->dedupe_key[0] || r->severity < 0 || r->severity > 3)
        return store_refuse(c, "notification: dedupe key and a severity 0..3 are required");
    return c->ops->actions->notification_insert(c, r, created);
}

enum store_status store_notification_list(struct store_conn *c, int64_t before_id,
                                          int64_t after_id, unsigned limit,
                                          int (*fn)(const struct notification_rec *r, void *ud),
                                          void *ud)
{
    return c->ops->actions->notification_list(c, before_id, after_id, clamp_limit(limit, 500), fn,
                                              ud);
}

enum store_status store_notification_after(struct store_conn *c, int64_t after_id, unsigned limit,
                                           int (*fn)(const struct notification_rec *r, void *ud),
                                           void *ud)
{
    return c->ops->actions->notification_after(c, after_id, clamp_limit(limit, 500), fn, ud);
}

enum store_status store_notification_get(struct store_conn *c, int64_t id,
                                         struct notification_rec *out)
{
    return c->ops->actions->notification_get(c, id, out);
}

enum store_status store_notification_count(struct store_conn *c, int64_t incident_id,
                                           const char *kind, int64_t *n)
{
    return c->ops->actions->notification_count(c, incident_id, kind, n);
}

enum store_status store_notification_cursor_get(struct store_conn *c, const char *consumer,
                                                int64_t *id)
{
    return c->ops->actions->notification_cursor_get(c, consumer, id);
}

enum store_status store_notification_cursor_set(struct store_conn *c, const char *consumer,
                                                int64_t id)
{
    WRITER_ONLY(c);
    return c->ops->actions->notification_cursor_set(c, consumer, id);
}

enum store_status store_decision_list(struct store_conn *c, int64_t incident_id, unsigned limit,
                                      int (*fn)(const struct timeline_row *r, void *ud), void *ud)
{
    return c->ops->actions->decision_list(c, incident_id, clamp_limit(limit, 1000), fn, ud);
}

enum store_status store_findings_range(struct store_conn *c, int64_t since_ms, int64_t until_ms,
                                       unsigned limit,
                                       int (*fn)(const struct finding *f, void *ud), void *ud)
{
    return c->ops->actions->findings_range(c, since_ms, until_ms, clamp_limit(limit, 100000), fn,
                                           ud);
}
