/* The policy service on a real store: first-run seeding is idempotent and never
 * overwrites, optimistic concurrency (two writers, one wins), invalid documents
 * save nothing, every version is audited in the chain, history reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/policy.h"
#include "ledger/policy_service.h"
#include "store_fixture.h"

struct svc_fixture {
    struct fixture f;
    struct store *s;
    struct config cfg;
};

static int setup(void **state)
{
    struct svc_fixture *sf = calloc(1, sizeof *sf);
    fixture_init(&sf->f);
    sf->s = fixture_open(&sf->f, 0, 0);
    assert_non_null(sf->s);
    sf->cfg.environment = ENV_STAGING;
    snprintf(sf->cfg.agent_base_url, sizeof sf->cfg.agent_base_url, "http://gpu:11434");
    snprintf(sf->cfg.agent_model, sizeof sf->cfg.agent_model, "llama3.2:3b");
    snprintf(sf->cfg.logs_glob, sizeof sf->cfg.logs_glob, "./logs/*.log");
    unsetenv("IF_SRE_DISK_USED_PERCENT");
    *state = sf;
    return 0;
}

static int teardown(void **state)
{
    struct svc_fixture *sf = *state;
    store_close(sf->s);
    fixture_cleanup(&sf->f);
    free(sf);
    return 0;
}

static int64_t current_version(struct store *s)
{
    int64_t v = -1;
    json_t *doc = policy_service_current_doc(s, &v);
    json_decref(doc);
    return v;
}

static void seeding_is_idempotent_and_never_overwrites(void **state)
{
    struct svc_fixture *sf = *state;
    char err[256] = "";
    assert_int_equal(current_version(sf->s), 0);
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), 1);
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), 0);
    assert_int_equal(current_version(sf->s), 1);
    int64_t cv = -1;
    assert_int_equal(policy_service_current_version(sf->s, &cv), SVC_OK);
    assert_int_equal(cv, 1);

    struct policy_version_rec r;
    assert_int_equal(policy_service_get(sf->s, 0, &r), SVC_OK);
    assert_int_equal(r.version, 1);
    assert_string_equal(r.author, "bootstrap");
    json_t *doc = json_loads(r.document, 0, NULL);
    policy_version_rec_clear(&r);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "environment")), "staging");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "agent_runtime"), "base_url")),
        "http://gpu:11434");

    /* an operator edits; a restart (seeding again, even with another posture) keeps it */
    json_object_set_new(json_object_get(doc, "automation"), "max_actions_per_hour",
                        json_integer(3));
    struct problems p;
    problems_init(&p);
    int64_t v = 0;
    assert_int_equal(policy_service_put(sf->s, doc, 1, "alice", &p, &v, err, sizeof err),
                     SVC_OK);
    assert_int_equal(v, 2);
    sf->cfg.environment = ENV_DEMO;
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), 0);
    json_t *now = policy_service_current_doc(sf->s, &v);
    assert_int_equal(v, 2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(now, "automation"),
                                                        "max_actions_per_hour")),
                     3);
    json_decref(now);
    json_decref(doc);
}

static void bad_env_threshold_stops_seeding(void **state)
{
    struct svc_fixture *sf = *state;
    char err[256] = "";
    setenv("IF_SRE_DISK_USED_PERCENT", "lots", 1);
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), -1);
    unsetenv("IF_SRE_DISK_USED_PERCENT");
    assert_non_null(strstr(err, "IF_SRE_DISK_USED_PERCENT"));
    assert_int_equal(current_version(sf->s), 0);
    setenv("IF_SRE_DISK_USED_PERCENT", "97", 1);
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), 1);
    unsetenv("IF_SRE_DISK_USED_PERCENT");
    int64_t v;
    json_t *doc = policy_service_current_doc(sf->s, &v);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "thresholds"), "disk_used_percent")),
        97);
    json_decref(doc);
}

static void invalid_and_stale_save_nothing(void **state)
{
    struct svc_fixture *sf = *state;
    char err[256] = "";
    struct policy_seed seed = {.posture = ENV_DEMO};
    json_t *doc = policy_defaults(&seed);
    struct problems p;
    problems_init(&p);
    int64_t v = 0;
    /* the first version needs expected 0 */
    assert_int_equal(policy_service_put(sf->s, doc, 1, "alice", &p, &v, err, sizeof err),
                     SVC_CONFLICT);
    assert_int_equal(policy_service_put(sf->s, doc, 0, "alice", &p, &v, err, sizeof err),
                     SVC_OK);
    assert_int_equal(v, 1);
    json_object_set_new(doc, "environment", json_string("prod"));
    json_object_set_new(doc, "surprise", json_true());
    assert_int_equal(policy_service_put(sf->s, doc, 1, "alice", &p, &v, err, sizeof err),
                     SVC_INVALID);
    assert_int_equal(p.count, 2);
    assert_int_equal(current_version(sf->s), 1);
    json_decref(doc);
}

struct racer {
    struct store *s;
    json_t *doc;
    const char *who;
    enum svc_status st;
    pthread_barrier_t *go;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct problems p;
    problems_init(&p);
    char err[256];
    int64_t v;
    pthread_barrier_wait(r->go);
    r->st = policy_service_put(r->s, r->doc, 1, r->who, &p, &v, err, sizeof err);
    return NULL;
}

static void two_writers_one_wins(void **state)
{
    struct svc_fixture *sf = *state;
    char err[256] = "";
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), 1);
    /* Both read version 1 and write against it at the same moment. */
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 2);
    struct policy_seed seed = {.posture = ENV_DEMO};
    struct racer a = {sf->s, policy_defaults(&seed), "alice", SVC_INTERNAL, &go};
    struct racer b = {sf->s, policy_defaults(&seed), "bob", SVC_INTERNAL, &go};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, race, &a);
    pthread_create(&tb, NULL, race, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&go);
    json_decref(a.doc);
    json_decref(b.doc);
    assert_true((a.st == SVC_OK && b.st == SVC_CONFLICT) ||
                (a.st == SVC_CONFLICT && b.st == SVC_OK));
    assert_int_equal(current_version(sf->s), 2);
}

static int count_items(const struct policy_version_rec *r, void *ud)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

static void history_and_audit(void **state)
{
    struct svc_fixture *sf = *state;
    char err[256] = "";
    assert_int_equal(policy_seed_defaults(sf->s, &sf->cfg, err, sizeof err), 1);
    int64_t v = 1;
    for (int i = 0; i < 3; i++) {
        json_t *doc = policy_service_current_doc(sf->s, &v);
        json_object_set_new(json_object_get(doc, "automation"), "attempt_budget",
                            json_integer(i + 1));
        struct problems p;
        problems_init(&p);
        int64_t nv;
        assert_int_equal(policy_service_put(sf->s, doc, v, "carol", &p, &nv, err, sizeof err),
                         SVC_OK);
        assert_int_equal(nv, v + 1);
        json_decref(doc);
    }
    json_t *items = NULL;
    assert_int_equal(policy_service_list(sf->s, 0, 100, &items), SVC_OK);
    assert_int_equal(json_array_size(items), 4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "version")), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(items, 3), "author")),
                        "bootstrap");
    assert_null(json_object_get(json_array_get(items, 0), "document"));
    json_decref(items);
    assert_int_equal(policy_service_list(sf->s, 3, 1, &items), SVC_OK);
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "version")), 2);
    json_decref(items);

    struct policy_version_rec r;
    assert_int_equal(policy_service_get(sf->s, 2, &r), SVC_OK);
    json_t *j = policy_version_to_json(&r, 1);
    policy_version_rec_clear(&r);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(j, "document"), "automation"),
                         "attempt_budget")),
                     1);
    json_decref(j);
    assert_int_equal(policy_service_get(sf->s, 99, &r), SVC_NOT_FOUND);

    /* one audit record per version, chain intact */
    struct store_conn *c;
    assert_int_equal(store_read_acquire(sf->s, &c), STORE_OK);
    int64_t broken = -1, checked = 0;
    char reason[128];
    assert_int_equal(store_audit_verify(c, &broken, &checked, reason, sizeof reason), STORE_OK);
    assert_int_equal(broken, 0);
    assert_int_equal(checked, 4);
    int n = 0;
    assert_int_equal(store_policy_list(c, 0, 2, count_items, &n), STORE_OK);
    assert_int_equal(n, 2);
    store_read_release(sf->s, c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(seeding_is_idempotent_and_never_overwrites, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bad_env_threshold_stops_seeding, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_and_stale_save_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(two_writers_one_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(history_and_audit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
