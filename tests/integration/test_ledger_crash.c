/* Crash safety: several clients ingest concurrently while the daemon is killed
 * with SIGKILL. After a restart every acknowledged finding is present (posting
 * it again answers "duplicate") and no incident identity exists twice. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define CLIENTS 4
#define REQUESTS 200
#define PER_REQUEST 25
#define KEYS 40

struct client {
    struct it_daemon *d;
    int n;
    int acked[REQUESTS]; /* 1 when the daemon answered 200 */
    long last_status;
};

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
            i ? "," : "", client, req, i, (client * 7 + req * 3 + i) % KEYS);
    snprintf(b + n, cap - n, "]");
    return b;
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

static long post(struct it_daemon *d, const char *body)
{
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/findings", d->base_url);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " IT_ADMIN);
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static void *client_main(void *arg)
{
    struct client *cl = arg;
    for (int r = 0; r < REQUESTS; r++) {
        char *b = body_for(cl->n, r);
        long st = post(cl->d, b);
        free(b);
        cl->last_status = st;
        if (st == 200)
            cl->acked[r] = 1;
        else if (st < 0)
            break; /* the daemon is gone */
    }
    return NULL;
}

static void acknowledged_findings_survive_kill9(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    static struct client cl[CLIENTS];
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        memset(&cl[i], 0, sizeof cl[i]);
        cl[i].d = &d;
        cl[i].n = i;
        pthread_create(&th[i], NULL, client_main, &cl[i]);
    }
    /* kill once some requests are acknowledged, in the middle of the load */
    int acked = 0;
    for (int t = 0; t < 3000 && acked < 40; t++) { /* up to 30 s on a loaded machine */
        usleep(10000);
        acked = 0;
        for (int i = 0; i < CLIENTS; i++)
            for (int r = 0; r < REQUESTS; r++)
                acked += cl[i].acked[r];
    }
    it_kill9(&d);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    acked = 0;
    int finished_all = 1;
    for (int i = 0; i < CLIENTS; i++) {
        for (int r = 0; r < REQUESTS; r++)
            acked += cl[i].acked[r];
        finished_all &= cl[i].acked[REQUESTS - 1];
    }
    print_message("acknowledged %d requests (%d findings) before SIGKILL\n", acked,
                  acked * PER_REQUEST);
    assert_true(acked > 0);
    assert_false(finished_all); /* the kill really interrupted the load */

    assert_int_equal(it_restart(&d), 0);
    /* every acknowledged finding is stored: the same request is all duplicates */
    for (int i = 0; i < CLIENTS; i++)
        for (int r = 0; r < REQUESTS; r++) {
            if (!cl[i].acked[r])
                continue;
            char *b = body_for(i, r);
            struct it_resp resp;
            assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN, b, NULL, &resp),
                             200);
            json_t *items = json_object_get(resp.json, "items");
            for (size_t k = 0; k < json_array_size(items); k++) {
                const char *o =
                    json_string_value(json_object_get(json_array_get(items, k), "outcome"));
                if (strcmp(o, "duplicate") != 0)
                    fail_msg("client %d request %d item %zu: %s after restart", i, r, k, o);
            }
            it_resp_free(&resp);
            free(b);
        }
    /* no identity twice: at most one incident per key */
    struct it_resp resp;
    assert_int_equal(
        it_request(&d, "GET", "/api/v1/incidents?limit=500", IT_ADMIN, NULL, NULL, &resp), 200);
    json_t *items = json_object_get(resp.json, "items");
    assert_true(json_array_size(items) <= KEYS);
    int seen[KEYS] = {0};
    for (size_t k = 0; k < json_array_size(items); k++) {
        const char *key =
            json_string_value(json_object_get(json_array_get(items, k), "correlation_key"));
        int n = atoi(key + 4);
        assert_true(n >= 0 && n < KEYS);
        assert_int_equal(seen[n]++, 0);
    }
    it_resp_free(&resp);
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
