/* Helpers shared by the remediation integration tests (test_actions*.c):
 * the test daemon with its runner directory, policy edits, tokens, findings,
 * and waiting for a condition with a bound. Header-only (static functions). */
#ifndef SREBOT_TESTS_REMED_HELPERS_H
#define SREBOT_TESTS_REMED_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

struct remed_env {
    struct it_daemon d;
    char runner_dir[256];
    char runner_env[300];
    const char *env[3];
};

/* Starts the test daemon (with the tests' runners) on a new data dir. */
static inline void remed_start(struct remed_env *e)
{
    const char *it_bin = getenv("SREBOT_IT_BIN");
    assert_non_null(it_bin);
    setenv("SREBOT_BIN", it_bin, 1);
    snprintf(e->runner_dir, sizeof e->runner_dir, "/tmp/srebot-it-runner-XXXXXX");
    assert_int_equal(it_mkdtemp(e->runner_dir), 0);
    snprintf(e->runner_env, sizeof e->runner_env, "SREBOT_IT_RUNNER_DIR=%s", e->runner_dir);
    e->env[0] = e->runner_env;
    e->env[1] = "IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true"; /* the demo posture's policy */
    e->env[2] = NULL;
    assert_int_equal(it_start(&e->d, e->env, NULL), 0);
}

static inline void runner_file(const struct remed_env *e, const char *name, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s", e->runner_dir, name);
}

/* Lines in a runner file (0 when it does not exist). */
static inline int runner_lines(const struct remed_env *e, const char *name)
{
    char path[320];
    runner_file(e, name, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0, ch;
    while ((ch = fgetc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

static inline void remed_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static inline void create_operator(struct it_daemon *d, const char *name, const char *role, char *out,
                            size_t outlen)
{
    const char *args[] = {"token", "create", "--name", name, "--role", role, NULL};
    char text[512];
    assert_int_equal(it_run_cli(d, NULL, args, text, sizeof text), 0);
    const char *t = strstr(text, "srb_");
    assert_non_null(t);
    snprintf(out, outlen, "%.68s", t);
}

/* GET the policy, let edit() change the document, PUT it back (If-Match). */
static inline void edit_policy(struct it_daemon *d, void (*edit)(json_t *doc, void *ud), void *ud)
{
    struct it_resp r;
    assert_int_equal(it_request(d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    char etag[64], header[96];
    assert_int_equal(it_resp_header(&r, "ETag", etag, sizeof etag), 0);
    json_t *doc = json_incref(json_object_get(r.json, "document"));
    it_resp_free(&r);
    edit(doc, ud);
    char *body = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    snprintf(header, sizeof header, "If-Match: %s", etag);
    const char *headers[] = {"Content-Type: application/json", header, NULL};
    long st = it_request(d, "PUT", "/api/v1/policy", IT_ADMIN, body, headers, &r);
    if (st != 200 && st != 201)
        fprintf(stderr, "policy PUT %ld: %s\n", st, r.body ? r.body : "");
    assert_true(st == 200 || st == 201);
    it_resp_free(&r);
    free(body);
}

static inline int64_t post_finding(struct it_daemon *d, const char *cls, const char *key,
                            const char *status, const char *attributes)
{
    char body[1024];
    snprintf(body, sizeof body,
             "{\"source\":\"it\",\"class\":\"%s\",\"correlation_key\":\"%s\",\"severity\":\"high\","
             "\"status\":\"%s\",\"summary\":\"%s %s\"%s%s}",
             cls, key, status, key, status, attributes ? ",\"attributes\":" : "",
             attributes ? attributes : "");
    const char *headers[] = {"Content-Type: application/json", NULL};
    struct it_resp r;
    long st = it_request(d, "POST", "/api/v1/findings", IT_ADMIN, body, headers, &r);
    if (st != 200 && st != 201)
        fprintf(stderr, "findings POST %ld: %s\n", st, r.body ? r.body : "");
    assert_true(st == 200 || st == 201);
    json_t *item = json_array_get(json_object_get(r.json, "items"), 0);
    int64_t id = json_integer_value(json_object_get(item, "incident_id"));
    it_resp_free(&r);
    return id;
}

/* GET path as admin; the parsed body (new reference) or NULL. */
static inline json_t *get_json(struct it_daemon *d, const char *path)
{
    struct it_resp r;
    if (it_request(d, "GET", path, IT_ADMIN, NULL, NULL, &r) != 200) {
        it_resp_free(&r);
        return NULL;
    }
    json_t *j = json_incref(r.json);
    it_resp_free(&r);
    return j;
}

/* The incident's attempt of `action` (a new reference), or NULL. */
static inline json_t *attempt_of(struct it_daemon *d, int64_t incident, const char *action)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/attempts", (long long)incident);
    json_t *list = get_json(d, path);
    json_t *found = NULL, *it;
    size_t i;
    json_array_foreach(json_object_get(list, "items"), i, it) {
        if (strcmp(json_string_value(json_object_get(it, "action")), action) == 0) {
            found = json_incref(it);
            break;
        }
    }
    json_decref(list);
    return found;
}

static inline int attempt_in_state(struct it_daemon *d, int64_t incident, const char *action,
                            const char *state)
{
    json_t *a = attempt_of(d, incident, action);
    int yes = a && strcmp(json_string_value(json_object_get(a, "state")), state) == 0;
    json_decref(a);
    return yes;
}

static inline const char *incident_state_of(struct it_daemon *d, int64_t incident, char *buf,
                                     size_t buflen)
{
    char path[64];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", (long long)incident);
    json_t *j = get_json(d, path);
    const char *s = json_string_value(json_object_get(j, "state"));
    snprintf(buf, buflen, "%s", s ? s : "?");
    json_decref(j);
    return buf;
}

/* Polls cond every 100 ms for up to seconds; 1 when it became true. */
#define WAIT_FOR(seconds, cond)                                                                    \
    ({                                                                                             \
        int ok_ = 0;                                                                               \
        for (int i_ = 0; i_ < (seconds) * 10; i_++) {                                              \
            if (cond) {                                                                            \
                ok_ = 1;                                                                           \
                break;                                                                             \
            }                                                                                      \
            remed_sleep_ms(100);                                                                   \
        }                                                                                          \
        ok_;                                                                                       \
    })

/* The first pending approval request of an incident (its id), or 0. */
static inline int64_t pending_approval(struct it_daemon *d, int64_t incident)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/approvals?state=pending&incident=%lld",
             (long long)incident);
    json_t *j = get_json(d, path);
    int64_t id = json_integer_value(json_object_get(json_array_get(json_object_get(j, "items"), 0),
                                                    "id"));
    json_decref(j);
    return id;
}

static inline long decide_as(struct it_daemon *d, const char *token, int64_t request, const char *verb,
                      const char *body, struct it_resp *r)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/approvals/%lld/%s", (long long)request, verb);
    const char *headers[] = {"Content-Type: application/json", NULL};
    return it_request(d, "POST", path, token, body, body ? headers : NULL, r);
}

#define WORKLOAD_ATTRS "{\"namespace\":\"shop\",\"workload_kind\":\"Deployment\",\"workload\":\"api\"}"
#define OUTAGE_CLASS "runtime_services.runtime_dependency_outage"

#endif
