/* The pure decisions of the delivery worker (unit-tested, no I/O):
 *   - routes: which channels a notification goes to, from the policy's
 *     `routing`. Each matching rule is one route: its `channels` in order are
 *     a failover chain (the message goes to the first; the next takes it when
 *     the one before keeps failing); in-app ends every chain. No rule
 *     matching: the route is [fallback]. Several matching rules: several
 *     routes, a channel present in two of them gets the message once.
 *   - the retry schedule: exponential backoff with jitter, never sooner than
 *     the provider's retry_after, bounded in attempts and age;
 *   - failover: after failover_after failed attempts, or at once when the
 *     provider refuses the message (ERROR), is disabled or is missing;
 *   - per-channel rate limits: a token bucket per channel.
 */
#ifndef SREBOT_CHANNELS_DELIVERY_PLAN_H
#define SREBOT_CHANNELS_DELIVERY_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/channel_repo.h"
#include "util/adapter.h"

#define ROUTE_MAX_HOPS 16 /* core/policy_channels.c: 1-16 channels per rule */
#define ROUTES_MAX 64     /* PV_MAX_ROUTES */

struct route {
    char ids[ROUTE_MAX_HOPS][CHANNEL_ID_MAX];
    size_t n;
};

/* The routes for a message of severity (enum severity) and class (may be
 * NULL: only rules without `classes` match) under policy's routing. Returns
 * how many were written to out (at most max); 0 when the policy has neither a
 * matching rule nor a fallback. */
size_t delivery_routes(const json_t *policy, int severity, const char *class_,
                       struct route *out, size_t max);
/* The channel id of the policy's in-app channel (the first channel whose
 * provider is inapp), else "inapp" (the worker then adds an implicit one). */
const char *delivery_inapp_id(const json_t *policy);

/* A route as JSON text (["a","b"]) and back. 0, or -1 when it does not fit /
 * does not parse (bounded: ROUTE_MAX_HOPS ids of CHANNEL_ID_MAX). */
int route_to_text(const struct route *r, char *out, size_t outlen);
int route_from_text(const char *text, struct route *r);
/* The channel that takes over from hop: route[hop + 1], or inapp_id after the
 * last one; NULL when hop already is the end (in-app itself). *next_hop gets
 * its place (route->n for in-app). */
const char *route_next(const struct route *r, int hop, const char *inapp_id, int *next_hop);

struct retry_policy {
    unsigned base_ms;        /* first retry wait (before jitter) */
    unsigned max_ms;         /* cap of one wait */
    unsigned failover_after; /* failed attempts before the next channel takes over */
    unsigned max_attempts;   /* attempts before this channel gives up */
    int64_t max_age_ms;      /* and the age after which it gives up */
    int64_t max_retry_after_ms; /* the longest provider-requested wait honoured */
};
void retry_policy_defaults(struct retry_policy *p);

/* The wait before the next attempt after `attempts` failed ones: base *
 * 2^(attempts-1) capped at max, equal jitter from rnd, and never less than
 * retry_after_ms (capped at max_retry_after_ms). */
int64_t delivery_backoff_ms(const struct retry_policy *p, unsigned attempts,
                            int64_t retry_after_ms, uint64_t rnd);

enum delivery_verdict {
    DELIVERY_SENT,    /* done on this channel */
    DELIVERY_RETRY,   /* pending again at next_at_ms */
    DELIVERY_GIVE_UP, /* failed on this channel for good */
};
struct delivery_decision {
    enum delivery_verdict verdict;
    int failover;       /* hand the message to the route's next channel now */
    int64_t next_at_ms; /* DELIVERY_RETRY */
};
/* What to do after an attempt that returned res: attempts counts it,
 * created_at_ms is the record's, failed_over says whether the next channel
 * already has the message (then failover stays 0). */
void delivery_decide(const struct retry_policy *p, enum adapter_result res, unsigned attempts,
                     int64_t created_at_ms, int64_t now_ms, int64_t retry_after_ms,
                     uint64_t rnd, int failed_over, struct delivery_decision *out);

/* A token bucket: per_minute messages a minute, bursts up to per_minute. */
struct rate_bucket {
    double tokens;
    int64_t at_ms;
    int primed;
};
/* 1 and one token taken when a message may go now; 0 when the channel must
 * wait (then *wait_ms, may be NULL, says how long). per_minute 0 = no limit. */
int rate_take(struct rate_bucket *b, unsigned per_minute, int64_t now_ms, int64_t *wait_ms);

#endif
