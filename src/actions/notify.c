/* The notify runner: one message per attempt into the notification outbox
 * (store/action_repo.h), which the in-app inbox shows and channel providers
 * (src/channels/) drain with their own cursors. Idempotent: the outbox row is
 * keyed by the attempt's idempotency key, so a retry never sends twice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "actions/runner.h"
#include "core/jsonin.h"
#include "ledger/actions.h"

#define NOTIFY_MESSAGE_MAX 1024

struct notify_instance {
    struct ledger *ledger;
};

static int notify_init(const json_t *cfg, void *deps, void **instance, char *err, size_t errlen)
{
    const struct runner_deps *d = deps;
    if (!d || !d->ledger) {
        snprintf(err, errlen, "notify: needs the ledger (notification outbox)");
        return -1;
    }
    struct notify_instance *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(err, errlen, "notify: out of memory");
        return -1;
    }
    n->ledger = d->ledger;
    *instance = n;
    return 0;
}

static int notify_validate(void *instance, const char *target, const json_t *params,
                           struct problems *p)
{
    static const char *const known[] = {"message", NULL};
    if (!params || json_is_null(params))
        return 0;
    if (!json_is_object(params)) {
        problems_add(p, "/params", "type", "must be an object");
        return -1;
    }
    jsonin_no_unknown((json_t *)params, "/params", known, p);
    jsonin_string((json_t *)params, "/params", "message", 0, NOTIFY_MESSAGE_MAX, p);
    return problems_any(p) ? -1 : 0;
}

static void compose(const struct runner_request *rq, struct notification_rec *r)
{
    memset(r, 0, sizeof *r);
    const struct incident *inc = rq->incident;
    r->incident_id = rq->incident_id;
    r->attempt_id = rq->attempt_id;
    r->severity = inc ? (int)inc->severity : 1;
    snprintf(r->dedupe_key, sizeof r->dedupe_key, "%s", rq->idempotency_key);
    if (inc)
        snprintf(r->title, sizeof r->title, "[%s] %.200s (incident %lld)",
                 severity_name(inc->severity), inc->class_, (long long)inc->id);
    else
        snprintf(r->title, sizeof r->title, "incident %lld", (long long)rq->incident_id);
    const char *msg = json_string_value(json_object_get(rq->params, "message"));
    snprintf(r->body, sizeof r->body, "%.1024s%s%.512s (state %s, key %.300s)", msg ? msg : "",
             msg ? " - " : "", inc ? inc->summary : "",
             inc ? incident_state_name(inc->state) : "?", inc ? inc->correlation_key : "?");
}

static enum adapter_result notify_preflight(void *instance, const struct runner_request *rq,
                                            struct runner_outcome *out)
{
    struct notification_rec *r = malloc(sizeof *r);
    if (!r)
        return ADAPTER_RETRY;
    compose(rq, r);
    snprintf(out->changed, sizeof out->changed, "would notify: %.400s", r->title);
    free(r);
    return ADAPTER_OK;
}

static enum adapter_result notify_execute(void *instance, const struct runner_request *rq,
                                          struct runner_outcome *out)
{
    struct notify_instance *n = instance;
    struct notification_rec *r = malloc(sizeof *r);
    if (!r)
        return ADAPTER_RETRY;
    compose(rq, r);
    int created = 0;
    enum svc_status st = actions_notification_post(n->ledger, r, &created);
    enum adapter_result res = ADAPTER_OK;
    if (st == SVC_OK) {
        snprintf(out->changed, sizeof out->changed, "notification %lld %s: %.400s", (long long)r->id,
                 created ? "queued" : "already queued", r->title);
        out->detail = json_pack("{s:I}", "notification_id", (json_int_t)r->id);
    } else {
        snprintf(out->error, sizeof out->error, "notification outbox: %s", svc_status_text(st));
        res = st == SVC_BUSY || st == SVC_UNAVAILABLE ? ADAPTER_RETRY : ADAPTER_ERROR;
    }
    free(r);
    return res;
}

static void notify_destroy(void *instance) { free(instance); }

const struct runner_ops runner_notify = {
    .name = "notify",
    .description = "Queue a notification (in-app inbox; channel providers drain the outbox)",
    .verify = RUNNER_VERIFY_NONE,
    .init = notify_init,
    .validate = notify_validate,
    .preflight = notify_preflight,
    .execute = notify_execute,
    .destroy = notify_destroy,
};
