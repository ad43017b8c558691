/* Crash safety: several clients ingest concurrently while the daemon is killed
 * with SIGKILL. Each acknowledged batch answered for every one of its items;
 * after a restart every acknowledged finding is present (posting it again
 * answers "duplicate"), a batch in flight at the kill is stored whole or not at
 * all, no incident identity exists twice, and each incident's finding_count is
 * exactly the findings stored for its key. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define CLIENTS 4
#define REQUESTS 200
#define PER_REQUEST 25
#define KEYS 40

/* Request states, written by the client thread and read by the main thread
 * while the load runs (hence atomic). */
enum { NOT_SENT = 0, ACKED, IN_FLIGHT };

struct client {
    struct it_daemon *d;
    int n;
    atomic_int state[REQUESTS];
    char error[256]; /* an acknowledged answer that did not account for its batch */
};

static int key_of(int client, int req, int item)
{
    return (client * 7 + req * 3 + item) % KEYS;
}

static char *body_for(int client, int req)
{
    size_t cap = PER_REQUEST * 320 + 16, n = 0;
    char *b = malloc(cap);
    n += (size_t)snprintf(b + n, cap - n, "[");
    for (int i = 0; i < PER_REQUEST; i++)
        n += (size_t)snprintf(
            b + n, cap - n,
            "%s{\"id\":\"c%d-r%d-i%d\",\"source\":\"crash\",\"class\":"
            "\"application_services.http_5xx_burst\",\"correlation_key\":\"svc-%d\","
            "\"severity\":\"high\",\"status\":\"firing\",\"summary\":\"5xx\"}",
            i ? "," : "", client, req, i, key_of(client, req, i));
    snprintf(b + n, cap - n, "]");
    return b;
}

struct answer {
    char buf[16384];
    size_t len;
};

static size_t keep(char *p, size_t s, size_t n, void *ud)
{
    struct answer *a = ud;
    size_t k = s * n;
    size_t room = sizeof a->buf - 1 - a->len;
    memcpy(a->buf + a->len, p, k < room ? k : room);
    a->len += k < room ? k : room;
    a->buf[a->len] = '\0';
    return k;
}

static long post(struct it_daemon *d, const char *body, struct answer *a)
{
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/findings", d->base_url);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " IT_ADMIN);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    a->len = 0;
    a->buf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* An acknowledgement must account for every item of its batch. */
static void check_answer(struct client *cl, int r, const struct answer *a)
{
    json_t *doc = json_loads(a->buf, 0, NULL);
    json_t *items = json_object_get(doc, "items");
    if (json_array_size(items) != PER_REQUEST && !cl->error[0])
        snprintf(cl->error, sizeof cl->error, "request %d acknowledged %zu of %d items", r,
                 json_array_size(items), PER_REQUEST);
    for (size_t k = 0; k < json_array_size(items) && !cl->error[0]; k++) {
        json_t *it = json_array_get(items, k);
        const char *o = json_string_value(json_object_get(it, "outcome"));
        if (json_integer_value(json_object_get(it, "incident_id")) <= 0 || !o ||
            (strcmp(o, "opened") != 0 && strcmp(o, "folded") != 0))
            snprintf(cl->error, sizeof cl->error, "request %d item %zu: %.200s", r, k, a->buf);
    }
    json_decref(doc);
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    static _Thread_local struct answer a;
    for (int r = 0; r < REQUESTS; r++) {
        char *b = body_for(cl->n, r);
        atomic_store(&cl->state[r], IN_FLIGHT);
        long st = post(cl->d, b, &a);
        free(b);
        if (st == 200) {
            check_answer(cl, r, &a);
            atomic_store(&cl->state[r], ACKED);
        } else if (st < 0) {
            break; /* the daemon is gone; this request stays IN_FLIGHT */
        }
    }
    return NULL;
}

static int count_acked(struct client *cl)
{
    int n = 0;
    for (int i = 0; i < CLIENTS; i++)
        for (int r = 0; r < REQUESTS; r++)
            n += atomic_load(&cl[i].state[r]) == ACKED;
    return n;
}

/* Posts request r of client i again; returns how many of its items were
 * already stored ("duplicate"). */
static int repost_duplicates(struct it_daemon *d, int i, int r)
{
    char *b = body_for(i, r);
    struct it_resp resp;
    assert_int_equal(it_request(d, "POST", "/api/v1/findings", IT_ADMIN, b, NULL, &resp), 200);
    json_t *items = json_object_get(resp.json, "items");
    assert_int_equal(json_array_size(items), PER_REQUEST);
    int dup = 0;
    for (size_t k = 0; k < json_array_size(items); k++)
        dup += strcmp(json_string_value(json_object_get(json_array_get(items, k), "outcome")),
                      "duplicate") == 0;
    it_resp_free(&resp);
    free(b);
    return dup;
}

static void acknowledged_findings_survive_kill9(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    static struct client cl[CLIENTS];
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cl[i].d = &d;
        cl[i].error[0] = '\0';
        for (int r = 0; r < REQUESTS; r++)
            atomic_init(&cl[i].state[r], NOT_SENT);
        cl[i].n = i;
        pthread_create(&th[i], NULL, client_main, &cl[i]);
    }
    /* kill once some requests are acknowledged, in the middle of the load */
    int acked = 0;
    for (int t = 0; t < 3000 && acked < 40; t++) { /* up to 30 s on a loaded machine */
        usleep(10000);
        acked = count_acked(cl);
    }
    it_kill9(&d);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    acked = count_acked(cl);
    int finished_all = 1;
    for (int i = 0; i < CLIENTS; i++) {
        if (cl[i].error[0])
            fail_msg("client %d: %s", i, cl[i].error);
        finished_all &= atomic_load(&cl[i].state[REQUESTS - 1]) == ACKED;
    }
    print_message("acknowledged %d requests (%d findings) before SIGKILL\n", acked,
                  acked * PER_REQUEST);
    assert_true(acked > 0);
    assert_false(finished_all); /* the kill really interrupted the load */

    assert_int_equal(it_restart(&d), 0);
    /* the incidents as the restart found them, before anything is posted again */
    struct it_resp resp;
    assert_int_equal(
        it_request(&d, "GET", "/api/v1/incidents?limit=500", IT_ADMIN, NULL, NULL, &resp), 200);
    json_t *items = json_incref(json_object_get(resp.json, "items"));
    it_resp_free(&resp);

    /* a batch in flight at the kill is all stored or not at all */
    long long stored_per_key[KEYS] = {0};
    int in_flight = 0, in_flight_stored = 0;
    for (int i = 0; i < CLIENTS; i++)
        for (int r = 0; r < REQUESTS; r++) {
            int st = atomic_load(&cl[i].state[r]);
            int whole = st == ACKED;
            if (st == IN_FLIGHT) {
                in_flight++;
                int dup = repost_duplicates(&d, i, r);
                if (dup != 0 && dup != PER_REQUEST)
                    fail_msg("client %d request %d (in flight at the kill): %d of %d items "
                             "stored", i, r, dup, PER_REQUEST);
                whole = dup == PER_REQUEST;
                in_flight_stored += whole;
            }
            for (int k = 0; whole && k < PER_REQUEST; k++)
                stored_per_key[key_of(i, r, k)]++;
        }
    print_message("%d batches in flight at the kill, %d of them stored whole\n", in_flight,
                  in_flight_stored);

    /* no identity twice, and each incident counts exactly the findings of its key */
    assert_true(json_array_size(items) <= KEYS);
    int seen[KEYS] = {0};
    for (size_t k = 0; k < json_array_size(items); k++) {
        json_t *inc = json_array_get(items, k);
        const char *key = json_string_value(json_object_get(inc, "correlation_key"));
        int n = atoi(key + 4);
        assert_true(n >= 0 && n < KEYS);
        assert_int_equal(seen[n]++, 0);
        long long count = json_integer_value(json_object_get(inc, "finding_count"));
        if (count != stored_per_key[n])
            fail_msg("incident for %s counts %lld findings; %lld were stored", key, count,
                     stored_per_key[n]);
    }
    for (int n = 0; n < KEYS; n++)
        if (stored_per_key[n] && !seen[n])
            fail_msg("no incident for svc-%d although %lld findings were stored", n,
                     stored_per_key[n]);
    json_decref(items);

    /* every acknowledged finding is stored: the same request is all duplicates */
    for (int i = 0; i < CLIENTS; i++)
        for (int r = 0; r < REQUESTS; r++)
            if (atomic_load(&cl[i].state[r]) == ACKED &&
                repost_duplicates(&d, i, r) != PER_REQUEST)
                fail_msg("client %d request %d: acknowledged but not all stored", i, r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acknowledged_findings_survive_kill9),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
