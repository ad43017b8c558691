/* The channel delivery worker (channels/delivery.h) against a real SQLite
 * ledger and real HTTP receivers on loopback ports (libmicrohttpd): a signed
 * webhook verified by the receiver, a receiver taken away and brought back
 * (delayed, none lost, exactly once), 429 + Retry-After, failover along the
 * route and then to in-app, a restart mid-delivery that resends nothing, the
 * thread reference kept per incident and channel, and the delivery-failure
 * finding. The worker's clock is driven (channel_worker_run_once(now)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channels/delivery.h"
#include "channels/webhook.h"
#include "core/policy.h"
#include "ledger/actions.h"
#include "ledger/channels.h"
#include "ledger/ledger.h"
#include "ledger/policy_service.h"
#include "net/client.h"
#include "store/channel_repo.h"
#include "support/srcfix.h"
#include "util/crypto.h"
#include "util/timeutil.h"

#define SECRET "s3cret-for-hmac"
#define MAX_IDS 64

/* A webhook receiver: checks the signature, counts each delivery id. */
struct receiver {
    struct mini_http http;
    pthread_mutex_t mu;
    int counts[MAX_IDS];
    atomic_int bad_sig, fail, status_429;
    char retry_after[16];
    char last_kind[32];
};

static void receive(void *ctx, const struct mini_req *rq, struct mini_reply *rep)
{
    struct receiver *r = ctx;
    if (atomic_load(&r->fail)) {
        rep->status = 503;
        return;
    }
    if (atomic_load(&r->status_429) > 0) {
        atomic_fetch_sub(&r->status_429, 1);
        rep->status = 429;
        snprintf(rep->header_name, sizeof rep->header_name, "Retry-After");
        snprintf(rep->header_value, sizeof rep->header_value, "%s", r->retry_after);
        return;
    }
    const char *ts = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Srebot-Timestamp");
    const char *sig = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Srebot-Signature");
    const char *id = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Srebot-Delivery");
    const char *kind = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Srebot-Kind");
    char want[68];
    if (!ts || !sig || !id || !rq->body) {
        atomic_fetch_add(&r->bad_sig, 1);
        rep->status = 400;
        return;
    }
    webhook_signature(SECRET, ts, rq->body, rq->body_len, want);
    long long age = time_now_ms() / 1000 - atoll(ts);
    if (strlen(sig) != strlen(want) || !crypto_equal(sig, want, strlen(want)) || age > 300 ||
        age < -300) {
        atomic_fetch_add(&r->bad_sig, 1);
        rep->status = 401;
        return;
    }
    json_t *env = json_loadb(rq->body, rq->body_len, 0, NULL);
    long long nid = json_integer_value(json_object_get(env, "id"));
    assert_int_equal(nid, atoll(id));
    pthread_mutex_lock(&r->mu);
    if (nid > 0 && nid < MAX_IDS)
        r->counts[nid]++;
    snprintf(r->last_kind, sizeof r->last_kind, "%s", kind ? kind : "");
    pthread_mutex_unlock(&r->mu);
    json_decref(env);
    rep->status = 200;
    snprintf(rep->body, sizeof rep->body, "ok");
}

static int count_of(struct receiver *r, int64_t id)
{
    pthread_mutex_lock(&r->mu);
    int n = r->counts[id];
    pthread_mutex_unlock(&r->mu);
    return n;
}

struct fx {
    char dir[64], url[128];
    struct store *store;
    struct ledger *ledger;
    struct net_client *net;
    struct receiver a, b;
    int64_t incident;
    int64_t version;
};

static void receiver_start(struct receiver *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    assert_int_equal(mini_http_start(&r->http, receive, r), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/srebot-chan-XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->url, sizeof f->url, "sqlite:%s/ledger.db", f->dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = f->url;
    char err[256];
    if (store_open(&sc, &f->store, err, sizeof err) != STORE_OK)
        return -1;
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = f->store;
    lc.tick_ms = 3600 * 1000;
    if (ledger_create(&lc, &f->ledger) != SVC_OK)
        return -1;
    if (net_client_create(NULL, &f->net, err, sizeof err) != 0)
        return -1;
    receiver_start(&f->a);
    receiver_start(&f->b);
    setenv("IF_SRE_SECRET_CHAN_HOOK", SECRET, 1);
    const char *doc = "{\"source\":\"t\",\"class\":\"runtime_services.runtime_dependency_outage\","
                      "\"correlation_key\":\"db\",\"severity\":\"high\",\"status\":\"firing\","
                      "\"summary\":\"db down\"}";
    struct problems *p = problems_create();
    json_t *ans = NULL;
    if (ledger_ingest_json(f->ledger, doc, strlen(doc), "test", &ans, p) != SVC_OK)
        return -1;
    f->incident = json_integer_value(
        json_object_get(json_array_get(json_object_get(ans, "items"), 0), "incident_id"));
    json_decref(ans);
    problems_destroy(p);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    mini_http_stop(&f->a.http);
    mini_http_stop(&f->b.http);
    ledger_destroy(f->ledger);
    store_close(f->store);
    net_client_destroy(f->net);
    char path[128];
    static const char *const sfx[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/ledger.db%s", f->dir, sfx[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static json_t *hook(const char *id, unsigned port)
{
    char url[96];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/hook", port);
    return json_pack("{s:s, s:s, s:b, s:{s:s, s:{s:{s:s}}, s:i}}", "id", id, "provider",
                     "webhook", "enabled", 1, "settings", "url", url, "secret", "secret_ref",
                     "env", "IF_SRE_SECRET_CHAN_HOOK", "timeout_ms", 2000);
}

/* Saves a policy whose channels are inapp + the given ones and whose one rule
 * routes every high incident along `route` (NULL: only the fallback). */
static void save_policy(struct fx *f, json_t *channels, const char *const *route,
                        const char *fallback)
{
    struct policy_seed seed = {.posture = ENV_DEMO};
    json_t *doc = policy_defaults(&seed);
    json_t *chs = json_object_get(doc, "channels");
    json_array_extend(chs, channels);
    json_decref(channels);
    json_t *rules = json_array();
    if (route) {
        json_t *ids = json_array();
        for (size_t i = 0; route[i]; i++)
            json_array_append_new(ids, json_string(route[i]));
        json_array_append_new(rules, json_pack("{s:[s], s:o}", "severities", "high", "channels",
                                               ids));
    }
    json_object_set_new(doc, "routing",
                        json_pack("{s:o, s:s}", "rules", rules, "fallback", fallback));
    struct problems *p = problems_create();
    char err[256] = "";
    int64_t v = 0;
    enum svc_status st = policy_service_put(f->store, doc, f->version, "test", p, &v, err,
                                            sizeof err);
    if (st != SVC_OK)
        fail_msg("policy: %s %s %s", svc_status_text(st), p->count ? p->items[0].path : "",
                 p->count ? p->items[0].message : err);
    f->version = v;
    problems_destroy(p);
    json_decref(doc);
}

static int64_t notify(struct fx *f, const char *key)
{
    struct notification_rec r;
    memset(&r, 0, sizeof r);
    r.incident_id = f->incident;
    r.severity = 2;
    snprintf(r.dedupe_key, sizeof r.dedupe_key, "%s", key);
    snprintf(r.title, sizeof r.title, "[high] db down");
    snprintf(r.body, sizeof r.body, "the database is down");
    int created = 0;
    assert_int_equal(actions_notification_post(f->ledger, &r, &created), SVC_OK);
    assert_true(created);
    return r.id;
}

static struct channel_worker *worker(struct fx *f)
{
    struct channel_worker_config cfg;
    channel_worker_config_defaults(&cfg);
    cfg.ledger = f->ledger;
    cfg.store = f->store;
    cfg.net = f->net;
    cfg.file_roots = NULL;
    cfg.console_base_url = "https://srebot.example/";
    cfg.send_timeout_ms = 3000;
    cfg.retry.base_ms = 1000;
    cfg.retry.max_ms = 60000;
    cfg.retry.failover_after = 3;
    cfg.retry.max_attempts = 50;
    struct channel_worker *w = NULL;
    char err[200];
    assert_int_equal(channel_worker_create(&cfg, &w, err, sizeof err), 0);
    return w;
}

/* The records of a notification: state of `channel` ("" when none). */
struct rec_find {
    const char *channel;
    struct delivery_rec rec;
    int found, total;
};

static int find_rec(const struct delivery_rec *r, void *ud)
{
    struct rec_find *x = ud;
    x->total++;
    if (strcmp(r->channel, x->channel) == 0) {
        x->rec = *r;
        x->found = 1;
    }
    return 0;
}

static struct rec_find record(struct fx *f, int64_t nid, const char *channel)
{
    struct rec_find x = {.channel = channel};
    struct store_conn *c;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    assert_int_equal(store_delivery_of(c, nid, find_rec, &x), STORE_OK);
    store_read_release(f->store, c);
    return x;
}

static const char *state_of(struct fx *f, int64_t nid, const char *channel)
{
    static char st[16];
    struct rec_find x = record(f, nid, channel);
    snprintf(st, sizeof st, "%s", x.found ? x.rec.state : "");
    return st;
}

/* ---- signed webhook, once per message ---- */

static void webhook_signed_delivered_once(void **state)
{
    struct fx *f = *state;
    save_policy(f, json_pack("[o]", hook("ops-hook", f->a.http.port)), NULL, "ops-hook");
    struct channel_worker *w = worker(f);
    int64_t ids[3];
    for (int i = 0; i < 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "n-%d", i);
        ids[i] = notify(f, key);
    }
    int64_t now = time_now_ms();
    channel_worker_run_once(w, now);
    channel_worker_run_once(w, now + 10); /* nothing due: nothing again */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(count_of(&f->a, ids[i]), 1);
        assert_string_equal(state_of(f, ids[i], "ops-hook"), "sent");
        assert_int_equal(record(f, ids[i], "ops-hook").total, 1); /* no failover */
    }
    assert_int_equal(atomic_load(&f->a.bad_sig), 0);
    assert_string_equal(f->a.last_kind, "incident");
    channel_worker_destroy(w);
}

/* ---- outage: delayed, none lost, exactly once ---- */

static void outage_delays_and_loses_nothing(void **state)
{
    struct fx *f = *state;
    save_policy(f, json_pack("[o]", hook("ops-hook", f->a.http.port)), NULL, "ops-hook");
    struct channel_worker *w = worker(f);
    atomic_store(&f->a.fail, 1); /* the receiver is down: 503 */
    int64_t ids[5];
    for (int i = 0; i < 5; i++) {
        char key[32];
        snprintf(key, sizeof key, "out-%d", i);
        ids[i] = notify(f, key);
    }
    int64_t now = time_now_ms();
    for (int pass = 0; pass < 6; pass++, now += 61000) /* six failed attempts each */
        channel_worker_run_once(w, now);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(count_of(&f->a, ids[i]), 0);
        struct rec_find x = record(f, ids[i], "ops-hook");
        assert_string_equal(x.rec.state, "pending");
        assert_int_equal(x.rec.attempts, 6);
        assert_true(x.rec.failed_over); /* after 3 failures the inbox got it meanwhile */
        assert_string_equal(state_of(f, ids[i], "inapp"), "sent");
        assert_non_null(strstr(x.rec.last_error, "503"));
    }
    /* back: every message goes out once, none twice */
    atomic_store(&f->a.fail, 0);
    for (int pass = 0; pass < 3; pass++, now += 61000)
        channel_worker_run_once(w, now);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(count_of(&f->a, ids[i]), 1);
        assert_string_equal(state_of(f, ids[i], "ops-hook"), "sent");
    }
    /* the failure became a finding (and its recovery resolved it) */
    channel_worker_destroy(w);
    struct store_conn *c;
    assert_int_equal(store_read_acquire(f->store, &c), STORE_OK);
    struct incident inc;
    int found = 0;
    for (int64_t id = 1; id < 10; id++)
        if (store_incident_get(c, id, &inc) == STORE_OK &&
            strcmp(inc.class_, "async_workloads.notification_delivery_failure") == 0 &&
            strcmp(inc.correlation_key, "channel/ops-hook") == 0)
            found = 1;
    store_read_release(f->store, c);
    assert_true(found);
}

/* ---- 429 + Retry-After ---- */

static void retry_after_is_honoured(void **state)
{
    struct fx *f = *state;
    save_policy(f, json_pack("[o]", hook("ops-hook", f->a.http.port)), NULL, "ops-hook");
    struct channel_worker *w = worker(f);
    atomic_store(&f->a.status_429, 1);
    snprintf(f->a.retry_after, sizeof f->a.retry_after, "120");
    int64_t id = notify(f, "rl-1");
    int64_t now = time_now_ms();
    channel_worker_run_once(w, now);
    struct rec_find x = record(f, id, "ops-hook");
    assert_string_equal(x.rec.state, "pending");
    assert_true(x.rec.next_at_ms >= now + 120000); /* not the 1 s backoff */
    channel_worker_run_once(w, now + 60000);       /* still waiting */
    assert_int_equal(count_of(&f->a, id), 0);
    assert_int_equal(atomic_load(&f->a.http.requests), 1);
    channel_worker_run_once(w, now + 121000);
    assert_int_equal(count_of(&f->a, id), 1);
    assert_string_equal(state_of(f, id, "ops-hook"), "sent");
    channel_worker_destroy(w);
}

/* ---- failover along the route, then in-app ---- */

static void failover_route_then_inapp(void **state)
{
    struct fx *f = *state;
    int held = -1;
    unsigned dead = tcp_refusing_port(&held);
    static const char *const route[] = {"primary", "secondary", NULL};
    save_policy(f, json_pack("[o,o]", hook("primary", dead), hook("secondary", f->b.http.port)),
                route, "inapp");
    struct channel_worker *w = worker(f);
    int64_t first = notify(f, "fo-1");
    int64_t now = time_now_ms();
    for (int pass = 0; pass < 4; pass++, now += 61000)
        channel_worker_run_once(w, now);
    /* three refusals on primary: secondary took it over (and delivered) */
    assert_true(record(f, first, "primary").rec.failed_over);
    assert_string_equal(state_of(f, first, "secondary"), "sent");
    assert_int_equal(count_of(&f->b, first), 1);
    assert_string_equal(state_of(f, first, "inapp"), "");

    /* both down: primary -> secondary -> in-app */
    atomic_store(&f->b.fail, 1);
    int64_t second = notify(f, "fo-2");
    for (int pass = 0; pass < 8; pass++, now += 61000)
        channel_worker_run_once(w, now);
    assert_true(record(f, second, "primary").rec.failed_over);
    assert_true(record(f, second, "secondary").rec.failed_over);
    assert_int_equal(record(f, second, "secondary").rec.hop, 1);
    struct rec_find in = record(f, second, "inapp");
    assert_string_equal(in.rec.state, "sent");
    assert_int_equal(in.rec.hop, 2);
    assert_int_equal(count_of(&f->b, second), 0);
    channel_worker_destroy(w);
    close(held);
}

/* ---- restart mid-delivery ---- */

static void restart_does_not_resend(void **state)
{
    struct fx *f = *state;
    save_policy(f, json_pack("[o]", hook("ops-hook", f->a.http.port)), NULL, "ops-hook");
    struct channel_worker *w = worker(f);
    int64_t ids[4];
    for (int i = 0; i < 4; i++) {
        char key[32];
        snprintf(key, sizeof key, "rs-%d", i);
        ids[i] = notify(f, key);
    }
    int64_t now = time_now_ms();
    channel_worker_run_once(w, now);
    channel_worker_destroy(w); /* "restart" */
    for (int i = 0; i < 4; i++)
        assert_int_equal(count_of(&f->a, ids[i]), 1);

    /* a crash between the intent and the outcome: left `sending` */
    int64_t torn = notify(f, "rs-torn");
    w = worker(f);
    /* plan only: the record is pending, then the intent is written and the
     * process "dies" before the provider is called */
    atomic_store(&f->a.fail, 1);
    channel_worker_run_once(w, now + 2);
    channel_worker_destroy(w);
    struct rec_find x = record(f, torn, "ops-hook");
    assert_string_equal(x.rec.state, "pending");
    assert_int_equal(channels_begin(f->ledger, x.rec.id, now + 3, NULL), SVC_OK);
    atomic_store(&f->a.fail, 0);

    w = worker(f);
    assert_int_equal(channel_worker_recover(w, now + 4), 1);
    for (int pass = 0; pass < 3; pass++)
        channel_worker_run_once(w, now + 5 + pass * 61000);
    assert_string_equal(state_of(f, torn, "ops-hook"), "unknown");
    assert_int_equal(count_of(&f->a, torn), 0);         /* never resent */
    assert_string_equal(state_of(f, torn, "inapp"), "sent"); /* the inbox has it */
    for (int i = 0; i < 4; i++)
        assert_int_equal(count_of(&f->a, ids[i]), 1);
    channel_worker_destroy(w);
}

/* ---- thread references and approval messages ---- */

static enum adapter_result echo_send(void *inst, const struct channel_message *m,
                                     struct channel_outcome *out)
{
    json_t *log = inst;
    json_array_append_new(log, json_pack("{s:s, s:s?, s:s?, s:I}", "kind",
                                         m->kind == CHANNEL_MSG_APPROVAL_REQUEST  ? "request"
                                         : m->kind == CHANNEL_MSG_APPROVAL_RESULT ? "result"
                                         : m->kind == CHANNEL_MSG_RESOLVED        ? "resolved"
                                                                                 : "other",
                                         "thread", m->thread_ref, "reply", m->reply_ref,
                                         "approval", (json_int_t)m->approval_id));
    snprintf(out->thread_ref, sizeof out->thread_ref, "ts-%lld", (long long)m->notification_id);
    snprintf(out->message_ref, sizeof out->message_ref, "msg-%lld",
             (long long)m->notification_id);
    assert_non_null(strstr(m->text, "https://srebot.example/#/incidents/"));
    return ADAPTER_OK;
}

static json_t *echo_log;
static int echo_init(const json_t *s, void *deps, void **inst, char *err, size_t errlen)
{
    *inst = echo_log;
    return 0;
}
static void echo_destroy(void *inst) { (void)inst; }
static const struct channel_ops echo_ops = {"webhook", "test echo", 1, echo_init, echo_send,
                                            echo_destroy};
static const struct channel_ops *const echo_table[] = {&echo_ops, NULL};

static void threads_and_approvals(void **state)
{
    struct fx *f = *state;
    echo_log = json_array();
    save_policy(f, json_pack("[o]", hook("chat", f->a.http.port)), NULL, "chat");
    struct channel_worker_config cfg;
    channel_worker_config_defaults(&cfg);
    cfg.ledger = f->ledger;
    cfg.store = f->store;
    cfg.console_base_url = "https://srebot.example";
    cfg.extra_providers = echo_table; /* "webhook" is the echo here */
    struct channel_worker *w = NULL;
    char err[200];
    assert_int_equal(channel_worker_create(&cfg, &w, err, sizeof err), 0);
    int64_t first = notify(f, "th-1");
    channel_worker_run_once(w, time_now_ms());
    /* an approval request, then its decision */
    struct action_decision d = {.action = "rollout_restart", .target = "shop/Deployment/api",
                                .mode = "approval", .reason_code = "approval_required",
                                .reason = "needs an approver", .step = 1};
    struct approval_rules rules = {3600 * 1000, 1, 0};
    struct attempt_rec a;
    assert_int_equal(actions_record_decision(f->ledger, f->incident, &d, &rules, "system",
                                             time_now_ms(), &a),
                     SVC_OK);
    channel_worker_run_once(w, time_now_ms());
    json_t *req = json_array_get(echo_log, 1);
    assert_string_equal(json_string_value(json_object_get(req, "kind")), "request");
    int64_t approval = json_integer_value(json_object_get(req, "approval"));
    assert_true(approval > 0);
    char want[32];
    snprintf(want, sizeof want, "ts-%lld", (long long)first);
    assert_string_equal(json_string_value(json_object_get(req, "thread")), want);
    struct identity who = {.role = ROLE_OPERATOR};
    snprintf(who.name, sizeof who.name, "alice");
    struct problems *p = problems_create();
    json_t *ans = NULL;
    assert_int_equal(approvals_decide(f->ledger, approval, &who, 1, "", "api", time_now_ms(),
                                      &ans, p),
                     SVC_OK);
    json_decref(ans);
    problems_destroy(p);
    channel_worker_run_once(w, time_now_ms());
    json_t *res = json_array_get(echo_log, 2);
    assert_string_equal(json_string_value(json_object_get(res, "kind")), "result");
    assert_string_equal(json_string_value(json_object_get(res, "thread")), want);
    assert_non_null(json_string_value(json_object_get(res, "reply"))); /* the request's message */
    assert_int_equal(strncmp(json_string_value(json_object_get(res, "reply")), "msg-", 4), 0);
    assert_int_equal(json_array_size(echo_log), 3);
    /* the notified incident resolves: a "resolved" message in its thread */
    struct incident inc;
    p = problems_create();
    assert_int_equal(ledger_transition(f->ledger, f->incident, ST_RESOLVED, "fixed", 0, 0, "alice",
                                       &inc, p),
                     SVC_OK);
    problems_destroy(p);
    channel_worker_run_once(w, time_now_ms());
    assert_int_equal(json_array_size(echo_log), 4);
    json_t *resolved = json_array_get(echo_log, 3);
    assert_string_equal(json_string_value(json_object_get(resolved, "kind")), "resolved");
    assert_string_equal(json_string_value(json_object_get(resolved, "thread")), want);
    channel_worker_destroy(w);
    json_decref(echo_log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(webhook_signed_delivered_once, setup, teardown),
        cmocka_unit_test_setup_teardown(outage_delays_and_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(retry_after_is_honoured, setup, teardown),
        cmocka_unit_test_setup_teardown(failover_route_then_inapp, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_does_not_resend, setup, teardown),
        cmocka_unit_test_setup_teardown(threads_and_approvals, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
