/* The ledger through the real daemon: idempotent ingest and folding over HTTP,
 * validation with paths, the Alertmanager receiver (valid and malformed),
 * incident reads and transitions (409 with the allowed states), events over SSE
 * with Last-Event-ID resume across a restart, and `srebot audit verify` on a
 * tampered database. */
#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util/timeutil.h"

#define F(id, key, status, sev)                                                                    \
    "{\"id\":\"" id "\",\"source\":\"probe\",\"class\":\"runtime_services.runtime_dependency_outage\"," \
    "\"correlation_key\":\"" key "\",\"severity\":\"" sev "\",\"status\":\"" status "\","         \
    "\"summary\":\"db down\"}"

/* The daemon's log gets line within 10 s (the outbox relay writes it). */
static int wait_log(struct it_daemon *d, const char *line)
{
    for (int i = 0; i < 200; i++) {
        if (it_stderr_contains(d, line))
            return 1;
        usleep(50 * 1000);
    }
    return 0;
}

static json_t *item(struct it_resp *r, size_t i)
{
    return json_array_get(json_object_get(r->json, "items"), i);
}

static const char *s_of(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long i_of(json_t *o, const char *k) { return json_integer_value(json_object_get(o, k)); }

static void ingest_fold_read_transition(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    const char *body = "[" F("f1", "db-1", "firing", "warning") "," F("f2", "db-1", "firing",
                       "critical") "," F("f3", "db-2", "firing", "info") "]";
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN, body, NULL, &r), 200);
    assert_string_equal(s_of(item(&r, 0), "outcome"), "opened");
    assert_string_equal(s_of(item(&r, 1), "outcome"), "folded");
    assert_string_equal(s_of(item(&r, 2), "outcome"), "opened");
    long long inc1 = i_of(item(&r, 0), "incident_id");
    assert_int_equal(i_of(item(&r, 1), "incident_id"), inc1);
    it_resp_free(&r);

    /* the same request again: every item a duplicate of the same incident */
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN, body, NULL, &r), 200);
    for (size_t i = 0; i < 3; i++)
        assert_string_equal(s_of(item(&r, i), "outcome"), "duplicate");
    assert_int_equal(i_of(item(&r, 1), "incident_id"), inc1);
    it_resp_free(&r);

    /* invalid: 422, nothing stored, the path of the problem */
    const char *bad = "[" F("f4", "db-3", "firing", "warning") ",{\"source\":\"p\"}]";
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN, bad, NULL, &r), 422);
    json_t *det = json_object_get(json_object_get(r.json, "error"), "details");
    assert_string_equal(s_of(json_array_get(det, 0), "path"), "/1/class");
    it_resp_free(&r);

    char path[128];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", inc1);
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    assert_string_equal(s_of(r.json, "severity"), "critical");
    assert_int_equal(i_of(r.json, "finding_count"), 2);
    assert_string_equal(s_of(r.json, "state"), "observed");
    assert_string_equal(s_of(r.json, "domain"), "runtime_services");
    assert_int_equal(json_array_size(json_object_get(r.json, "findings")), 2);
    assert_true(json_array_size(json_object_get(r.json, "allowed_transitions")) > 0);
    it_resp_free(&r);

    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents?sort=-severity&limit=1", IT_ADMIN,
                                NULL, NULL, &r),
                     200);
    assert_int_equal(i_of(item(&r, 0), "id"), inc1);
    const char *cursor = s_of(r.json, "next_cursor");
    assert_non_null(cursor);
    char next[256];
    snprintf(next, sizeof next, "/api/v1/incidents?sort=-severity&limit=1&cursor=%s", cursor);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", next, IT_ADMIN, NULL, NULL, &r), 200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    assert_true(i_of(item(&r, 0), "id") != inc1);
    it_resp_free(&r);
    assert_int_equal(
        it_request(&d, "GET", "/api/v1/incidents?state=bogus", IT_ADMIN, NULL, NULL, &r), 400);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents?q=DB%20DOWN&severity=info",
                                IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_int_equal(json_array_size(json_object_get(r.json, "items")), 1);
    it_resp_free(&r);

    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents/counts", IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_int_equal(i_of(r.json, "total"), 2);
    assert_int_equal(i_of(json_object_get(r.json, "by_state"), "observed"), 2);
    it_resp_free(&r);

    /* transitions: a forbidden one is 409 with the allowed states */
    snprintf(path, sizeof path, "/api/v1/incidents/%lld/transitions", inc1);
    assert_int_equal(it_request(&d, "POST", path, IT_ADMIN, "{\"to\":\"triaged\",\"reason\":\"mine\"}",
                                NULL, &r),
                     200);
    assert_string_equal(s_of(r.json, "state"), "triaged");
    it_resp_free(&r);
    /* one log line per opening and per change (written as the events leave
     * the outbox, so shortly after the answer) */
    char line[96];
    snprintf(line, sizeof line, "incident %lld opened: ", inc1);
    assert_true(wait_log(&d, line));
    snprintf(line, sizeof line, "incident %lld observed -> triaged (", inc1);
    assert_true(wait_log(&d, line));
    /* counts right after a change see it (a console refetches on the change's
     * event; a reused older answer would stay on its screen) */
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents/counts", IT_ADMIN, NULL, NULL, &r),
                     200);
    assert_int_equal(i_of(json_object_get(r.json, "by_state"), "triaged"), 1);
    assert_int_equal(i_of(json_object_get(r.json, "by_state"), "observed"), 1);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "POST", path, IT_ADMIN, "{\"to\":\"observed\"}", NULL, &r), 409);
    det = json_object_get(json_object_get(r.json, "error"), "details");
    assert_string_equal(s_of(json_array_get(det, 0), "path"), "/to");
    assert_string_equal(s_of(json_array_get(det, 0), "reason"),
                        "allowed: contained, recovering, resolved, suppressed, escalated");
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "POST", path, IT_ADMIN, "{\"to\":\"suppressed\"}", NULL, &r),
                     422);
    it_resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/incidents/%lld/evidence", inc1);
    const char *ev = "{\"type\":\"operator_note\",\"summary\":\"failover done\",\"data\":{\"by\":\"x\"}}";
    assert_int_equal(it_request(&d, "POST", path, IT_ADMIN, ev, NULL, &r), 201);
    assert_int_equal(strlen(s_of(r.json, "hash")), 64);
    it_resp_free(&r);

    snprintf(path, sizeof path, "/api/v1/incidents/%lld/timeline", inc1);
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    json_t *items = json_object_get(r.json, "items");
    int kinds = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        const char *k = s_of(json_array_get(items, i), "kind");
        kinds |= (strcmp(k, "opened") == 0) | ((strcmp(k, "finding_folded") == 0) << 1) |
                 ((strcmp(k, "state_changed") == 0) << 2) | ((strcmp(k, "evidence_added") == 0) << 3);
    }
    assert_int_equal(kinds, 15);
    it_resp_free(&r);

    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents/999999", IT_ADMIN, NULL, NULL, &r),
                     404);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

static const char *am_payload =
    "{\"version\":\"4\",\"status\":\"firing\",\"receiver\":\"sre-bot\",\"groupLabels\":{},"
    "\"commonLabels\":{},\"commonAnnotations\":{},\"externalURL\":\"http://am:9093\","
    "\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"KubePodCrashLooping\","
    "\"namespace\":\"prod\",\"severity\":\"critical\"},\"annotations\":{\"summary\":\"crash loop\"},"
    "\"startsAt\":\"2025-01-02T03:04:05.123Z\",\"endsAt\":\"0001-01-01T00:00:00Z\","
    "\"generatorURL\":\"http://prom\",\"fingerprint\":\"1a30ba71cca2921f\"},"
    "{\"status\":\"resolved\",\"labels\":{\"alertname\":\"Disk\",\"sre_class\":"
    "\"infrastructure.node_disk_pressure\"},\"startsAt\":\"2025-01-02T03:00:00Z\","
    "\"endsAt\":\"2025-01-02T03:10:00Z\",\"fingerprint\":\"ab12\"}]}";

static void alertmanager_receiver(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "POST", "/api/v1/integrations/alertmanager", IT_ADMIN,
                                am_payload, NULL, &r),
                     200);
    assert_string_equal(s_of(item(&r, 0), "outcome"), "opened");
    assert_string_equal(s_of(item(&r, 0), "finding_id"), "am:1a30ba71cca2921f:1735787045123:f");
    assert_string_equal(s_of(item(&r, 1), "outcome"), "resolved");
    assert_true(json_is_null(json_object_get(item(&r, 1), "incident_id")));
    long long id = i_of(item(&r, 0), "incident_id");
    it_resp_free(&r);
    /* Alertmanager re-sends the group every repeat_interval: duplicates */
    assert_int_equal(it_request(&d, "POST", "/api/v1/integrations/alertmanager", IT_ADMIN,
                                am_payload, NULL, &r),
                     200);
    assert_string_equal(s_of(item(&r, 0), "outcome"), "duplicate");
    assert_int_equal(i_of(item(&r, 0), "incident_id"), id);
    it_resp_free(&r);

    char path[64];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", id);
    assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
    assert_string_equal(s_of(r.json, "class"), "application_services.pod_restart_pressure");
    assert_string_equal(s_of(r.json, "correlation_key"),
                        "alertname=KubePodCrashLooping,namespace=prod");
    assert_string_equal(s_of(r.json, "source"), "alertmanager");
    assert_string_equal(s_of(r.json, "severity"), "critical");
    it_resp_free(&r);

    /* malformed: 422 with the path; not JSON: 400 */
    assert_int_equal(it_request(&d, "POST", "/api/v1/integrations/alertmanager", IT_ADMIN,
                                "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\"}]}", NULL,
                                &r),
                     422);
    json_t *det = json_object_get(json_object_get(r.json, "error"), "details");
    assert_string_equal(s_of(json_array_get(det, 0), "path"), "/alerts/0/labels");
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "POST", "/api/v1/integrations/alertmanager", IT_ADMIN,
                                "{\"alerts\":[", NULL, &r),
                     400);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

struct sink {
    char buf[65536];
    size_t len;
    const char *until; /* the stream is read until this text arrives */
};

static size_t sink_write(char *p, size_t sz, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t k = sz * n;
    if (s->len + k >= sizeof s->buf)
        k = sizeof s->buf - 1 - s->len;
    memcpy(s->buf + s->len, p, k);
    s->len += k;
    s->buf[s->len] = '\0';
    return strstr(s->buf, s->until) ? 0 : sz * n; /* 0 ends the transfer */
}

/* Reads the event stream until `until` arrives (events come in order, so all
 * before it are in out too); fails the test when it does not within 20 s. */
static void read_events(struct it_daemon *d, const char *query, const char *last_id,
                        const char *until, struct sink *out)
{
    const long ms = 20000;
    char url[256], hdr[64];
    snprintf(url, sizeof url, "%s/api/v1/events%s", d->base_url, query);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " IT_ADMIN);
    if (last_id) {
        snprintf(hdr, sizeof hdr, "Last-Event-ID: %s", last_id);
        h = curl_slist_append(h, hdr);
    }
    out->len = 0;
    out->buf[0] = '\0';
    out->until = until;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_perform(c); /* ends when `until` arrived (or by the timeout) */
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!strstr(out->buf, until))
        fail_msg("no \"%s\" in the event stream within %ld ms: %s", until, ms, out->buf);
}

static void events_resume_and_audit(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN,
                                "[" F("e1", "q-1", "firing", "high") "]", NULL, &r),
                     200);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN,
                                "[" F("e2", "q-1", "resolved", "high") "]", NULL, &r),
                     200);
    it_resp_free(&r);
    struct sink *s = malloc(sizeof *s);
    read_events(&d, "?last_event_id=0", NULL, "event: sre.incident.state_changed", s);
    assert_non_null(strstr(s->buf, "id: 1\nevent: sre.finding.observed\ndata: {\"id\":\"evt_1\""));
    assert_non_null(strstr(s->buf, "event: sre.incident.opened"));
    assert_non_null(strstr(s->buf, "event: sre.incident.state_changed"));
    assert_non_null(strstr(s->buf, "\"subject\":\"incident/1\""));

    /* after a restart, resume after event 2: the rest, nothing before */
    assert_int_equal(it_stop(&d), 0);
    assert_int_equal(it_restart(&d), 0);
    read_events(&d, "", "2", "event: sre.incident.state_changed", s);
    assert_null(strstr(s->buf, "id: 1\n"));
    assert_null(strstr(s->buf, "id: 2\n"));
    assert_non_null(strstr(s->buf, "id: 3\n"));
    assert_non_null(strstr(s->buf, "event: sre.incident.state_changed"));
    free(s);
    assert_int_equal(it_stop(&d), 0);

    /* the audit chain: intact, then broken at the altered record */
    char out[1024];
    const char *verify[] = {"audit", "verify", NULL};
    assert_int_equal(it_run_cli(&d, NULL, verify, out, sizeof out), 0);
    assert_non_null(strstr(out, "intact"));
    char db_path[320];
    snprintf(db_path, sizeof db_path, "%s/srebot.db", d.data_dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TRIGGER audit_log_no_update;"
                                  "UPDATE audit_log SET detail = '{\"to\":\"resolved\"}' "
                                  "WHERE action = 'incident.state_changed';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(it_run_cli(&d, NULL, verify, out, sizeof out), 1);
    assert_non_null(strstr(out, "BROKEN at seq"));
    it_cleanup(&d);
}

static void cli_and_ingest_role(void **state)
{
    (void)state;
    struct it_daemon d;
    assert_int_equal(it_start(&d, NULL, NULL), 0);
    char out[8192];
    const char *env[] = {"IF_SRE_TOKEN=" IT_ADMIN, NULL};
    const char *emit[] = {"finding", "emit", "--source", "cli", "--class",
                          "infrastructure.node_disk_pressure", "--key", "node-7:/", "--severity",
                          "high", "--summary", "disk 97%", "--id", "cli-1", "--attr", "node=node-7",
                          NULL};
    assert_int_equal(it_run_cli(&d, env, emit, out, sizeof out), 0);
    assert_non_null(strstr(out, "cli-1: opened incident 1"));
    assert_int_equal(it_run_cli(&d, env, emit, out, sizeof out), 0);
    assert_non_null(strstr(out, "cli-1: duplicate incident 1"));
    const char *bad[] = {"finding", "emit", "--source", "cli", "--class", "nodot", "--key", "k",
                         "--severity", "high", "--summary", "s", NULL};
    assert_int_equal(it_run_cli(&d, env, bad, out, sizeof out), 2);
    assert_non_null(strstr(out, "--class pattern")); /* the flag, not a JSON path */
    const char *nokey[] = {"finding", "emit", "--source", "cli", "--class", "a.b", "--severity",
                           "high", "--summary", "s", NULL};
    assert_int_equal(it_run_cli(&d, env, nokey, out, sizeof out), 2);
    assert_non_null(strstr(out, "--key required"));

    const char *list[] = {"incidents", "list", "--severity", "high", NULL};
    assert_int_equal(it_run_cli(&d, env, list, out, sizeof out), 0);
    assert_non_null(strstr(out, "node-7:/"));
    const char *since[] = {"incidents", "list", "--since", "2000-01-01T00:00:00Z", NULL};
    assert_int_equal(it_run_cli(&d, env, since, out, sizeof out), 0);
    assert_non_null(strstr(out, "node-7:/"));
    const char *until[] = {"incidents", "list", "--until", "2000-01-01T00:00:00Z", NULL};
    assert_int_equal(it_run_cli(&d, env, until, out, sizeof out), 0);
    assert_null(strstr(out, "node-7:/"));
    const char *show[] = {"incidents", "show", "1", NULL};
    assert_int_equal(it_run_cli(&d, env, show, out, sizeof out), 0);
    assert_non_null(strstr(out, "can go to:  triaged"));
    const char *tr_bad[] = {"incidents", "transition", "1", "observed", NULL};
    assert_int_equal(it_run_cli(&d, env, tr_bad, out, sizeof out), 1);
    const char *tr[] = {"incidents", "transition", "1", "triaged", "--reason", "on it", NULL};
    assert_int_equal(it_run_cli(&d, env, tr, out, sizeof out), 0);
    assert_non_null(strstr(out, "is now triaged"));

    /* an ingest token posts findings and nothing else */
    const char *mk[] = {"token", "create", "--name", "shipper", "--role", "ingest", NULL};
    assert_int_equal(it_run_cli(&d, NULL, mk, out, sizeof out), 0);
    /* stdout and stderr share the capture: the token is the line that is not a log line */
    char tok[256] = "";
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
        if (line[0] != '{')
            snprintf(tok, sizeof tok, "%.200s", line);
    assert_true(strlen(tok) > 16);
    struct it_resp r;
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", tok,
                                F("ing-1", "db-9", "firing", "info"), NULL, &r),
                     200);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "GET", "/api/v1/incidents", tok, NULL, NULL, &r), 403);
    it_resp_free(&r);
    assert_int_equal(it_request(&d, "POST", "/api/v1/incidents/1/transitions", tok,
                                "{\"to\":\"resolved\"}", NULL, &r),
                     403);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

/* Flap damping in the running daemon, with the quiet period taken from the policy. */
static void flap_damping_follows_the_policy(void **state)
{
    (void)state;
    struct it_daemon d;
    const char *env[] = {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=true", NULL};
    assert_int_equal(it_start(&d, env, NULL), 0);
    struct it_resp r;
    assert_int_equal(it_request(&d, "GET", "/api/v1/policy", IT_ADMIN, NULL, NULL, &r), 200);
    json_t *doc = json_incref(json_object_get(r.json, "document"));
    long long version = i_of(r.json, "version");
    it_resp_free(&r);
    json_object_set_new(json_object_get(doc, "incidents"), "flap_quiet_seconds", json_integer(1));
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    char match[64];
    snprintf(match, sizeof match, "If-Match: \"%lld\"", version);
    const char *hdrs[] = {match, NULL};
    assert_int_equal(it_request(&d, "PUT", "/api/v1/policy", IT_ADMIN, text, hdrs, &r), 200);
    it_resp_free(&r);
    free(text);
    /* the ledger picks the new version up on its next tick, and says so */
    char picked[96];
    snprintf(picked, sizeof picked, "policy version %lld: ", version + 1);
    for (int i = 0; i < 600 && !it_stderr_contains(&d, picked); i++)
        usleep(50000);
    assert_true(it_stderr_contains(&d, picked));
    assert_true(it_stderr_contains(&d, "flap quiet period 1 s"));

    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN,
                                "[" F("p1", "flap", "firing", "high") "," F("p2", "flap", "resolved",
                                "high") "]", NULL, &r),
                     200);
    long long id = i_of(item(&r, 0), "incident_id");
    it_resp_free(&r);
    char path[64];
    snprintf(path, sizeof path, "/api/v1/incidents/%lld", id);
    const char *state_now = "";
    for (int i = 0; i < 300 && strcmp(state_now, "resolved") != 0; i++) { /* 30 s */
        assert_int_equal(it_request(&d, "GET", path, IT_ADMIN, NULL, NULL, &r), 200);
        state_now = strcmp(s_of(r.json, "state"), "resolved") == 0 ? "resolved" : "recovering";
        it_resp_free(&r);
        if (strcmp(state_now, "resolved") != 0)
            usleep(100000);
    }
    assert_string_equal(state_now, "resolved");
    /* exactly: recovering at the resolved finding, then resolved by the tick no
     * sooner than the quiet period (1 s) later, both on the server's clock
     * (however slow this machine, the timeline keeps the step and its time) */
    char tpath[96];
    snprintf(tpath, sizeof tpath, "/api/v1/incidents/%lld/timeline", id);
    assert_int_equal(it_request(&d, "GET", tpath, IT_ADMIN, NULL, NULL, &r), 200);
    char steps[128] = "";
    int64_t at_recovering = 0, at_resolved = 0;
    size_t ti;
    json_t *te;
    json_array_foreach(json_object_get(r.json, "items"), ti, te) {
        if (strcmp(s_of(te, "kind"), "state_changed") != 0)
            continue;
        const char *to = s_of(json_object_get(te, "data"), "to");
        size_t used = strlen(steps);
        snprintf(steps + used, sizeof steps - used, "%s ", to ? to : "?");
        int64_t at = 0;
        assert_int_equal(time_parse_rfc3339(s_of(te, "at"), &at), 0);
        if (to && strcmp(to, "recovering") == 0)
            at_recovering = at;
        if (to && strcmp(to, "resolved") == 0)
            at_resolved = at;
    }
    it_resp_free(&r);
    if (strcmp(steps, "recovering resolved ") != 0)
        fail_msg("state changes: %s, want recovering then resolved", steps);
    if (at_resolved - at_recovering < 1000)
        fail_msg("resolved %lld ms after recovering, before the 1 s quiet period",
                 (long long)(at_resolved - at_recovering));
    /* fires again inside the re-open window: the same incident re-opens */
    assert_int_equal(it_request(&d, "POST", "/api/v1/findings", IT_ADMIN,
                                F("p3", "flap", "firing", "high"), NULL, &r),
                     200);
    assert_string_equal(s_of(item(&r, 0), "outcome"), "reopened");
    assert_int_equal(i_of(item(&r, 0), "incident_id"), id);
    it_resp_free(&r);
    assert_int_equal(it_stop(&d), 0);
    it_cleanup(&d);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ingest_fold_read_transition),
        cmocka_unit_test(alertmanager_receiver),
        cmocka_unit_test(events_resume_and_audit),
        cmocka_unit_test(cli_and_ingest_role),
        cmocka_unit_test(flap_damping_follows_the_policy),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
