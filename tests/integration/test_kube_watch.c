/* The Kubernetes client and the list + watch loop against the fake API server
 * (tests/fakes/fake_kube_api.py): authentication, the Status of an error, a
 * list then events, a watch the server cuts resumed from the last
 * resourceVersion without losing an event, 410 Gone after a compaction
 * relisted, bookmarks, and a 403 reported with the API's words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "kube/client.h"
#include "kube/watch.h"
#include "net/client.h"

#include "kube_fake.h"

static struct kube_client *client_for(struct kube_fake *f, struct net_client *net)
{
    struct kube_config cfg;
    char err[400];
    if (kube_kubeconfig_load(f->kubeconfig, &cfg, err, sizeof err) != 0)
        fail_msg("kubeconfig: %s", err);
    struct kube_client *kc = NULL;
    assert_int_equal(kube_client_create(&cfg, net, &kc, err, sizeof err), 0);
    kube_config_clear(&cfg);
    return kc;
}

/* Waits until pred holds for the watcher (10 s). */
static int wait_for(struct kube_watch *w, int (*pred)(struct kube_watch *, const void *),
                    const void *arg)
{
    for (int i = 0; i < 200; i++) {
        if (pred(w, arg))
            return 1;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int has_key(struct kube_watch *w, const void *key)
{
    json_t *s = kube_watch_snapshot(w);
    int ok = json_object_get(s, key) != NULL;
    json_decref(s);
    return ok;
}

static int lacks_key(struct kube_watch *w, const void *key)
{
    return !has_key(w, key);
}

static int phase_is(struct kube_watch *w, const void *want)
{
    json_t *s = kube_watch_snapshot(w);
    const char *ph = json_string_value(
        json_object_get(json_object_get(json_object_get(s, "shop/a"), "status"), "phase"));
    int ok = ph && strcmp(ph, want) == 0;
    json_decref(s);
    return ok;
}

static int stat_at_least(struct kube_watch *w, const void *arg)
{
    const uint64_t *want = arg; /* {which, value}: 0 lists, 1 bookmarks, 2 gone */
    struct kube_watch_stats st;
    kube_watch_get_stats(w, &st);
    uint64_t v = want[0] == 0 ? st.lists : want[0] == 1 ? st.bookmarks : st.gone;
    return v >= want[1];
}

static json_t *keep_phase(const json_t *obj)
{
    const json_t *md = json_object_get(obj, "metadata");
    return json_pack("{s:{s:O,s:O*},s:{s:O*}}", "metadata", "name", json_object_get(md, "name"),
                     "namespace", json_object_get(md, "namespace"), "status", "phase",
                     json_object_get(json_object_get(obj, "status"), "phase"));
}

static void auth_and_status(void **state)
{
    (void)state;
    struct kube_fake f;
    const char *opts[] = {"--token", "s3cret", NULL};
    assert_int_equal(kube_fake_start(&f, opts, "s3cret"), 0);
    struct kube_client *kc = client_for(&f, NULL);
    json_t *out = NULL;
    char err[400];
    struct kube_call get = {.path = "/api/v1/nodes"};
    assert_int_equal(kube_json(kc, &get, &out, err, sizeof err), 200);
    assert_string_equal(json_string_value(json_object_get(out, "kind")), "NodeList");
    json_decref(out);
    struct kube_call missing = {.path = "/api/v1/namespaces/x/pods/nope"};
    assert_int_equal(kube_json(kc, &missing, &out, err, sizeof err), 404);
    assert_non_null(strstr(err, "404 NotFound: pods \"nope\" not found"));
    kube_client_destroy(kc);

    /* a wrong token: 401 */
    struct kube_config cfg;
    assert_int_equal(kube_kubeconfig_load(f.kubeconfig, &cfg, err, sizeof err), 0);
    snprintf(cfg.token, sizeof cfg.token, "wrong");
    assert_int_equal(kube_client_create(&cfg, NULL, &kc, err, sizeof err), 0);
    kube_config_clear(&cfg);
    assert_int_equal(kube_json(kc, &get, &out, err, sizeof err), 401);
    kube_client_destroy(kc);
    kube_fake_stop(&f);
}

static void list_watch_resume_and_relist(void **state)
{
    (void)state;
    struct kube_fake f;
    const char *opts[] = {"--bookmark-seconds", "0.3", NULL};
    assert_int_equal(kube_fake_start(&f, opts, NULL), 0);
    /* more than a page: the list follows `continue` */
    for (int i = 0; i < 7; i++) {
        char obj[200];
        snprintf(obj, sizeof obj,
                 "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p%d\",\"namespace\":\"shop\"},"
                 "\"status\":{\"phase\":\"Running\"}}",
                 i);
        kube_fake_put(&f, obj);
    }
    char err[300];
    struct net_client *net = NULL;
    assert_int_equal(net_client_create(NULL, &net, err, sizeof err), 0);
    struct kube_client *kc = client_for(&f, net);
    struct kube_watch_config wc = {.name = "pods", .path = "/api/v1/pods", .trim = keep_phase,
                                   .page_size = 3, .watch_timeout_s = 30,
                                   .backoff_base_ms = 100};
    struct kube_watch *w = NULL;
    assert_int_equal(kube_watch_create(kc, &wc, &w, err, sizeof err), 0);
    assert_int_equal(kube_watch_start(w), 0);
    assert_true(wait_for(w, has_key, "shop/p6"));
    json_t *snap = kube_watch_snapshot(w);
    assert_int_equal(json_object_size(snap), 7);
    /* only the kept fields */
    assert_null(json_object_get(json_object_get(snap, "shop/p0"), "kind"));
    json_decref(snap);

    /* events */
    kube_fake_put(&f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"},"
                      "\"status\":{\"phase\":\"Pending\"}}");
    assert_true(wait_for(w, phase_is, "Pending"));
    kube_fake_put(&f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"},"
                      "\"status\":{\"phase\":\"Running\"}}");
    assert_true(wait_for(w, phase_is, "Running"));
    json_decref(kube_fake_call(&f, "POST", "/_fake/delete",
                               "{\"kind\":\"Pod\",\"namespace\":\"shop\",\"name\":\"p0\"}", NULL));
    assert_true(wait_for(w, lacks_key, "shop/p0"));
    const uint64_t bookmark[2] = {1, 1};
    assert_true(wait_for(w, stat_at_least, bookmark));

    /* the server cuts the stream; changes made meanwhile arrive after the resume */
    json_decref(kube_fake_call(&f, "POST", "/_fake/break", NULL, NULL));
    kube_fake_put(&f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"namespace\":\"shop\"},"
                      "\"status\":{\"phase\":\"Failed\"}}");
    kube_fake_put(&f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"during\",\"namespace\":\"shop\"}}");
    assert_true(wait_for(w, has_key, "shop/during"));
    assert_true(wait_for(w, phase_is, "Failed"));
    struct kube_watch_stats st;
    kube_watch_get_stats(w, &st);
    assert_int_equal(st.lists, 1); /* resumed, not relisted */
    assert_int_equal(st.gone, 0);
    assert_true(st.watches >= 2);

    /* history compacted, stream cut: the resume gets 410 and lists again */
    json_decref(kube_fake_call(&f, "POST", "/_fake/compact", NULL, NULL));
    json_decref(kube_fake_call(&f, "POST", "/_fake/break", NULL, NULL));
    kube_fake_put(&f, "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"after\",\"namespace\":\"shop\"}}");
    const uint64_t gone[2] = {2, 1}, lists[2] = {0, 2};
    assert_true(wait_for(w, stat_at_least, gone));
    assert_true(wait_for(w, stat_at_least, lists));
    assert_true(wait_for(w, has_key, "shop/after"));
    snap = kube_watch_snapshot(w);
    assert_int_equal(json_object_size(snap), 9); /* p1..p6, a, during, after */
    json_decref(snap);

    /* RBAC: a refused list is an error with the API's words, retried with backoff */
    json_decref(kube_fake_call(&f, "POST", "/_fake/forbid",
                               "{\"verb\":\"list\",\"resource\":\"nodes\"}", NULL));
    struct kube_watch_config nc = {.name = "nodes", .path = "/api/v1/nodes",
                                   .backoff_base_ms = 50};
    struct kube_watch *nw = NULL;
    assert_int_equal(kube_watch_create(kc, &nc, &nw, err, sizeof err), 0);
    assert_int_equal(kube_watch_start(nw), 0);
    for (int i = 0; i < 100; i++) {
        kube_watch_get_stats(nw, &st);
        if (st.errors >= 2)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kube_watch_get_stats(nw, &st);
    assert_true(st.errors >= 2);
    assert_int_equal(st.synced, 0);
    assert_non_null(strstr(st.last_error, "403 Forbidden"));
    kube_watch_destroy(nw);

    kube_watch_destroy(w);
    kube_client_destroy(kc);
    net_client_destroy(net);
    kube_fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(auth_and_status),
        cmocka_unit_test(list_watch_resume_and_relist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
