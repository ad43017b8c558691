/* Routing, retry schedule, failover and rate limits (delivery_plan.h). */
#include "channels/delivery_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/finding.h"

static int list_has(const json_t *arr, const char *s)
{
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && s && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

static int rule_matches(const json_t *rule, int severity, const char *class_)
{
    const json_t *sev = json_object_get(rule, "severities");
    const json_t *cls = json_object_get(rule, "classes");
    if (json_is_array(sev) && !list_has(sev, severity_name((enum severity)severity)))
        return 0;
    if (json_is_array(cls) && !list_has(cls, class_))
        return 0;
    return 1;
}

static void route_add(struct route *r, const char *id)
{
    if (r->n < ROUTE_MAX_HOPS && id && strlen(id) < CHANNEL_ID_MAX)
        snprintf(r->ids[r->n++], CHANNEL_ID_MAX, "%s", id);
}

size_t delivery_routes(const json_t *policy, int severity, const char *class_,
                       struct route *out, size_t max)
{
    const json_t *routing = json_object_get(policy, "routing");
    const json_t *rules = json_object_get(routing, "rules");
    size_t n = 0, i;
    const json_t *rule;
    json_array_foreach(rules, i, rule) {
        if (n == max)
            break;
        if (!rule_matches(rule, severity, class_))
            continue;
        struct route *r = &out[n];
        memset(r, 0, sizeof *r);
        size_t k;
        const json_t *id;
        json_array_foreach(json_object_get(rule, "channels"), k, id) {
            route_add(r, json_string_value(id));
        }
        if (r->n)
            n++;
    }
    const char *fallback = json_string_value(json_object_get(routing, "fallback"));
    if (n == 0 && max > 0 && fallback) {
        memset(&out[0], 0, sizeof out[0]);
        route_add(&out[0], fallback);
        n = out[0].n;
    }
    return n;
}

const char *delivery_inapp_id(const json_t *policy)
{
    size_t i;
    const json_t *ch;
    json_array_foreach(json_object_get(policy, "channels"), i, ch) {
        const char *prov = json_string_value(json_object_get(ch, "provider"));
        const char *id = json_string_value(json_object_get(ch, "id"));
        if (prov && id && strcmp(prov, "inapp") == 0 && strlen(id) < CHANNEL_ID_MAX)
            return id;
    }
    return "inapp";
}

int route_to_text(const struct route *r, char *out, size_t outlen)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n; i++)
        json_array_append_new(a, json_string(r->ids[i]));
    char *s = a ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    int ok = s && strlen(s) < outlen;
    if (ok)
        snprintf(out, outlen, "%s", s);
    free(s);
    return ok ? 0 : -1;
}

int route_from_text(const char *text, struct route *r)
{
    memset(r, 0, sizeof *r);
    json_error_t e;
    json_t *a = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &e);
    if (!json_is_array(a) || json_array_size(a) > ROUTE_MAX_HOPS) {
        json_decref(a);
        return -1;
    }
    size_t i;
    json_t *v;
    int bad = 0;
    json_array_foreach(a, i, v) {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) >= CHANNEL_ID_MAX)
            bad = 1;
        else
            route_add(r, s);
    }
    json_decref(a);
    return bad ? -1 : 0;
}

const char *route_next(const struct route *r, int hop, const char *inapp_id, int *next_hop)
{
    if (hop < 0 || (size_t)hop >= r->n)
        return NULL; /* in-app already: the end */
    for (size_t k = (size_t)hop + 1; k < r->n; k++)
        if (strcmp(r->ids[k], r->ids[hop]) != 0) {
            *next_hop = (int)k;
            return r->ids[k];
        }
    if (strcmp(r->ids[hop], inapp_id) == 0)
        return NULL; /* the chain ended on the in-app channel itself */
    *next_hop = (int)r->n;
    return inapp_id;
}

void retry_policy_defaults(struct retry_policy *p)
{
    p->base_ms = 2000;
    p->max_ms = 5 * 60 * 1000;
    p->failover_after = 3;
    p->max_attempts = 30;
    p->max_age_ms = 6LL * 3600 * 1000;
    p->max_retry_after_ms = 3600 * 1000;
}

int64_t delivery_backoff_ms(const struct retry_policy *p, unsigned attempts,
                            int64_t retry_after_ms, uint64_t rnd)
{
    int64_t w = p->base_ms ? p->base_ms : 1;
    for (unsigned i = 1; i < attempts && w < (int64_t)p->max_ms; i++)
        w *= 2;
    if (w > (int64_t)p->max_ms)
        w = p->max_ms;
    int64_t half = w / 2;
    w = half + (half > 0 ? (int64_t)(rnd % (uint64_t)(w - half + 1)) : 0); /* equal jitter */
    if (retry_after_ms > p->max_retry_after_ms)
        retry_after_ms = p->max_retry_after_ms;
    return retry_after_ms > w ? retry_after_ms : w;
}

void delivery_decide(const struct retry_policy *p, enum adapter_result res, unsigned attempts,
                     int64_t created_at_ms, int64_t now_ms, int64_t retry_after_ms,
                     uint64_t rnd, int failed_over, struct delivery_decision *out)
{
    memset(out, 0, sizeof *out);
    if (res == ADAPTER_OK) {
        out->verdict = DELIVERY_SENT;
        return;
    }
    int give_up = res == ADAPTER_ERROR || attempts >= p->max_attempts ||
                  now_ms - created_at_ms >= p->max_age_ms;
    out->verdict = give_up ? DELIVERY_GIVE_UP : DELIVERY_RETRY;
    if (!give_up)
        out->next_at_ms = now_ms + delivery_backoff_ms(p, attempts, retry_after_ms, rnd);
    out->failover = !failed_over && (give_up || attempts >= p->failover_after);
}

int rate_take(struct rate_bucket *b, unsigned per_minute, int64_t now_ms, int64_t *wait_ms)
{
    if (per_minute == 0)
        return 1;
    if (!b->primed) {
        b->tokens = per_minute;
        b->at_ms = now_ms;
        b->primed = 1;
    }
    if (now_ms > b->at_ms) {
        b->tokens += (double)(now_ms - b->at_ms) * per_minute / 60000.0;
        if (b->tokens > per_minute)
            b->tokens = per_minute;
        b->at_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 1;
    }
    if (wait_ms)
        *wait_ms = (int64_t)((1.0 - b->tokens) * 60000.0 / per_minute) + 1;
    return 0;
}
