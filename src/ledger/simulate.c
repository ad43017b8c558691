/* POST /api/v1/policy/simulate's service: read the range's findings (bounded),
 * replay them under the current and the candidate policy, diff (simulate.h). */
#include "ledger/simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "core/replay.h"
#include "ledger/ledger_int.h"
#include "ledger/views.h"
#include "store/action_repo.h"
#include "util/log.h"
#include "util/timeutil.h"

struct finding_acc {
    struct finding *items;
    size_t n, cap;
    int more; /* a finding past the bound exists */
    int oom;
};

static int take(const struct finding *f, void *ud)
{
    struct finding_acc *acc = ud;
    if (acc->n == SIMULATE_MAX_FINDINGS) {
        acc->more = 1;
        return 1;
    }
    if (acc->n == acc->cap) {
        size_t cap = acc->cap ? acc->cap * 2 : 256;
        struct finding *g = realloc(acc->items, cap * sizeof *g);
        if (!g) {
            acc->oom = 1;
            return 1;
        }
        acc->items = g;
        acc->cap = cap;
    }
    struct finding *dst = &acc->items[acc->n];
    *dst = *f;
    dst->evidence = NULL; /* rows keep none; corroboration then counts as given */
    dst->nevidence = 0;
    dst->attributes = f->attributes ? strdup(f->attributes) : NULL;
    if (f->attributes && !dst->attributes) {
        acc->oom = 1;
        return 1;
    }
    acc->n++;
    return 0;
}

static void acc_clear(struct finding_acc *acc)
{
    for (size_t i = 0; i < acc->n; i++)
        free(acc->items[i].attributes);
    free(acc->items);
}

/* Copies the candidate's problems under /policy. */
static void prefix_problems(const struct problems *from, struct problems *to)
{
    for (size_t i = 0; i < from->count; i++) {
        char path[PROBLEM_PATH_MAX];
        snprintf(path, sizeof path, "/policy%.*s", PROBLEM_PATH_MAX - 8, from->items[i].path);
        problems_add(to, path, from->items[i].code, "%s", from->items[i].message);
    }
}

static int run_one(const json_t *doc, const struct finding_acc *acc, int64_t end_ms,
                   struct replay_result *out)
{
    struct eval_policy *ep = eval_policy_create(doc);
    if (!ep)
        return -1;
    struct replay_params rp = {.policy = ep, .tick_ms = SIMULATE_TICK_MS, .end_ms = end_ms};
    policy_fold_params(doc, &rp.fold);
    int rc = replay_run(acc->items, acc->n, &rp, out);
    eval_policy_destroy(ep);
    return rc;
}

enum svc_status policy_simulate(struct ledger *l, const json_t *candidate, int64_t since_ms,
                                int64_t until_ms, json_t **answer, struct problems *p)
{
    if (until_ms < since_ms) {
        problems_add(p, "/until", "range", "must not be before since");
        return SVC_INVALID;
    }
    if (until_ms - since_ms > SIMULATE_MAX_RANGE_MS) {
        problems_add(p, "/until", "range", "the range may span at most 7 days");
        return SVC_INVALID;
    }
    struct problems *pp = problems_create();
    if (!pp)
        return SVC_INTERNAL;
    int invalid = policy_validate(candidate, pp) != 0;
    if (invalid)
        prefix_problems(pp, p);
    problems_destroy(pp);
    if (invalid)
        return SVC_INVALID;

    uint64_t t0 = time_mono_ns();
    struct finding_acc acc = {0};
    struct store *s = l->store;
    struct store_conn *c;
    enum store_status rs = store_read_acquire(s, &c);
    if (rs == STORE_OK) {
        rs = store_findings_range(c, since_ms, until_ms, SIMULATE_MAX_FINDINGS + 1, take, &acc);
        store_read_release(s, c);
    }
    if (rs != STORE_OK || acc.oom) {
        acc_clear(&acc);
        return rs != STORE_OK ? svc_from_store(rs) : SVC_INTERNAL;
    }
    json_t *current = ledger_policy(l); /* NULL: the safety floor's view */
    struct replay_result a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    enum svc_status st = SVC_OK;
    int64_t end = until_ms + SIMULATE_TAIL_MS;
    if (run_one(current, &acc, end, &a) != 0 || run_one(candidate, &acc, end, &b) != 0)
        st = SVC_INTERNAL;
    json_t *diff = st == SVC_OK ? replay_diff_json(&a, &b) : NULL;
    if (st == SVC_OK && !diff)
        st = SVC_INTERNAL;
    if (st == SVC_OK) {
        json_object_set_new(diff, "since", json_time(since_ms));
        json_object_set_new(diff, "until", json_time(until_ms));
        json_object_set_new(diff, "findings", json_integer((json_int_t)acc.n));
        json_object_set_new(diff, "findings_truncated", json_boolean(acc.more));
        if (acc.more)
            json_object_set_new(diff, "truncated", json_true());
        json_object_set_new(diff, "current_policy", json_boolean(current != NULL));
        json_object_set_new(diff, "elapsed_ms",
                            json_integer((json_int_t)((time_mono_ns() - t0) / 1000000)));
        *answer = diff;
    }
    replay_result_clear(&a);
    replay_result_clear(&b);
    json_decref(current);
    acc_clear(&acc);
    return st;
}
