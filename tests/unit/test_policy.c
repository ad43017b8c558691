/* The policy document: every posture's defaults validate; a table of invalid
 * documents (each one edit away from a valid default) is rejected with the
 * expected JSON Pointer path and code; posture rules, seeding, action modes,
 * redaction and determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/builtin_rules.h"
#include "core/fileroots.h"
#include "core/policy.h"
#include "core/policy_internal.h" /* policy_builtin_rule_json */

static json_t *defaults_for(enum environment e)
{
    struct policy_seed seed = {.posture = e};
    return policy_defaults(&seed);
}

/* ---- a tiny JSON Pointer editor (no escapes needed by the table) ---- */
static json_t *parent_of(json_t *doc, const char *ptr, char *last, size_t lastlen)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ptr);
    char *slash = strrchr(buf, '/');
    assert_non_null(slash);
    snprintf(last, lastlen, "%s", slash + 1);
    *slash = '\0';
    json_t *cur = doc;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok))
                                 : json_object_get(cur, tok);
        assert_non_null(cur);
    }
    return cur;
}

static void edit_set(json_t *doc, const char *ptr, const char *value_json)
{
    char last[256];
    json_t *parent = parent_of(doc, ptr, last, sizeof last);
    json_error_t err;
    json_t *v = json_loads(value_json, JSON_DECODE_ANY, &err);
    if (!v)
        fail_msg("bad test value %s: %s", value_json, err.text);
    if (json_is_array(parent)) {
        if (strcmp(last, "-") == 0)
            json_array_append_new(parent, v);
        else
            json_array_set_new(parent, (size_t)atoi(last), v);
    } else {
        json_object_set_new(parent, last, v);
    }
}

static void edit_remove(json_t *doc, const char *ptr)
{
    char last[256];
    json_t *parent = parent_of(doc, ptr, last, sizeof last);
    if (json_is_array(parent))
        assert_int_equal(json_array_remove(parent, (size_t)atoi(last)), 0);
    else
        assert_int_equal(json_object_del(parent, last), 0);
}

static int has_problem(const struct problems *p, const char *path, const char *code)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->items[i].path, path) == 0 && strcmp(p->items[i].code, code) == 0)
            return 1;
    return 0;
}

static void dump(const struct problems *p)
{
    for (size_t i = 0; i < p->count; i++)
        print_message("  %s %s %s\n", p->items[i].path, p->items[i].code, p->items[i].message);
}

/* ---- defaults ---- */
static void defaults_validate(void **state)
{
    (void)state;
    for (int e = ENV_DEMO; e <= ENV_PRODUCTION; e++) {
        json_t *doc = defaults_for((enum environment)e);
        struct problems p;
        problems_init(&p);
        int rc = policy_validate(doc, &p);
        if (rc)
            dump(&p);
        assert_int_equal(rc, 0);
        assert_string_equal(json_string_value(json_object_get(doc, "environment")),
                            policy_posture_name((enum environment)e));
        /* every built-in rule is present, in full */
        json_t *rules = json_object_get(doc, "detector_rules");
        size_t n = 0;
        for (const struct builtin_rule *r = builtin_rules; r->id; r++)
            n++;
        assert_int_equal(json_array_size(rules), n);
        json_decref(doc);
    }
}

/* Validation skips compiling built-in patterns (they are the table's own); prove
 * here that every one compiles, by validating each as an operator rule. */
static void builtin_patterns_compile(void **state)
{
    (void)state;
    json_t *doc = defaults_for(ENV_DEMO);
    json_t *rules = json_object_get(doc, "detector_rules");
    int n = 0;
    for (const struct builtin_rule *r = builtin_rules; r->id; r++) {
        if (strcmp(r->kind, "log_signature") != 0)
            continue;
        json_t *copy = policy_builtin_rule_json(r);
        char id[64];
        snprintf(id, sizeof id, "op.copy-%d", n++);
        json_object_set_new(copy, "id", json_string(id));
        json_object_set_new(copy, "builtin", json_false());
        json_array_append_new(rules, copy);
    }
    struct problems p;
    problems_init(&p);
    int rc = policy_validate(doc, &p);
    if (rc)
        dump(&p);
    assert_int_equal(rc, 0);
    assert_true(n > 0);
#ifdef SREBOT_WITH_VECTORSCAN /* only a build with the log detector checks patterns */
    /* and a broken pattern in the same position is caught */
    json_object_set_new(json_array_get(rules, json_array_size(rules) - 1), "pattern",
                        json_string("(x"));
    problems_init(&p);
    assert_int_equal(policy_validate(doc, &p), -1);
#endif
    json_decref(doc);
}

static void posture_modes(void **state)
{
    (void)state;
    json_t *demo = defaults_for(ENV_DEMO), *stg = defaults_for(ENV_STAGING),
           *prod = defaults_for(ENV_PRODUCTION);
    /* production: nothing disruptive without approval; only notify automatic */
    for (const struct action_def *a = action_catalogue; a->name; a++) {
        enum policy_action_mode m = policy_action_mode(prod, a->name);
        if (a->kind == ACTION_NOTIFY)
            assert_int_equal(m, MODE_AUTO);
        else if (a->kind == ACTION_RECOMMEND_ONLY)
            assert_int_equal(m, MODE_RECOMMEND);
        else
            assert_int_equal(m, MODE_APPROVAL);
        if (a->kind == ACTION_APPROVAL_ONLY) {
            assert_int_equal(policy_action_mode(demo, a->name), MODE_APPROVAL);
            assert_int_equal(policy_action_mode(stg, a->name), MODE_APPROVAL);
        }
    }
    assert_int_equal(policy_action_mode(demo, "scale_to_zero"), MODE_AUTO);
    assert_int_equal(policy_action_mode(stg, "scale_to_zero"), MODE_APPROVAL);
    assert_int_equal(policy_action_mode(stg, "delete_completed_pods"), MODE_AUTO);
    assert_int_equal(policy_action_mode(prod, "delete_completed_pods"), MODE_APPROVAL);
    assert_int_equal(policy_action_mode(demo, "no_such_action"), MODE_DENY);
    /* stricter limits as the posture hardens */
    long long d = json_integer_value(json_object_get(json_object_get(demo, "automation"),
                                                     "max_actions_per_hour"));
    long long s = json_integer_value(json_object_get(json_object_get(stg, "automation"),
                                                     "max_actions_per_hour"));
    long long p = json_integer_value(json_object_get(json_object_get(prod, "automation"),
                                                     "max_actions_per_hour"));
    assert_true(d > s && s > p);
    /* automation off: only notify still runs */
    json_object_set_new(json_object_get(demo, "automation"), "enabled", json_false());
    assert_int_equal(policy_action_mode(demo, "scale_to_zero"), MODE_DENY);
    assert_int_equal(policy_action_mode(demo, "notify"), MODE_AUTO);
    json_decref(demo);
    json_decref(stg);
    json_decref(prod);
}

static const char *env_tab[][2] = {
    {"IF_SRE_CPU_BUSY_PERCENT", "95"},
    {"IF_SRE_QUEUE_BACKLOG", "lots"},
    {NULL, NULL},
};
static const char *tab_getenv(const char *name)
{
    for (size_t i = 0; env_tab[i][0]; i++)
        if (strcmp(env_tab[i][0], name) == 0)
            return env_tab[i][1];
    return NULL;
}

static void seeding_inputs(void **state)
{
    (void)state;
    struct policy_seed seed = {.posture = ENV_STAGING,
                               .agent_base_url = "http://gpu-box:11434",
                               .agent_model = "qwen2.5:7b",
                               .getenv_fn = tab_getenv};
    json_t *doc = policy_defaults(&seed);
    json_t *agent = json_object_get(doc, "agent_runtime");
    assert_string_equal(json_string_value(json_object_get(agent, "base_url")),
                        "http://gpu-box:11434");
    assert_string_equal(json_string_value(json_object_get(agent, "model")), "qwen2.5:7b");
    json_t *th = json_object_get(doc, "thresholds");
    assert_int_equal(json_integer_value(json_object_get(th, "cpu_busy_percent")), 95);
    assert_int_equal(json_integer_value(json_object_get(th, "memory_used_percent")), 90);
    /* the bad env value is reported at its field */
    struct problems p;
    problems_init(&p);
    assert_int_equal(policy_validate(doc, &p), -1);
    assert_int_equal(p.count, 1);
    assert_true(has_problem(&p, "/thresholds/queue_backlog", "type"));
    json_decref(doc);

    struct policy_seed plain = {.posture = ENV_DEMO};
    doc = policy_defaults(&plain);
    agent = json_object_get(doc, "agent_runtime");
    assert_string_equal(json_string_value(json_object_get(agent, "base_url")),
                        POLICY_DEFAULT_AGENT_BASE_URL);
    assert_string_equal(json_string_value(json_object_get(agent, "model")),
                        POLICY_DEFAULT_AGENT_MODEL);
    assert_int_equal(json_array_size(json_object_get(doc, "log_sources")), 0);
    json_decref(doc);
}

/* A probe needs only id, kind and target: interval, timeout and threshold
 * have defaults (30 s, 5000 ms, 3). */
static void minimal_probe_is_valid(void **state)
{
    (void)state;
    struct policy_seed seed = {.posture = ENV_DEMO};
    json_t *doc = policy_defaults(&seed);
    json_array_append_new(json_object_get(doc, "probes"),
                          json_pack("{s:s, s:s, s:s}", "id", "db", "kind", "tcp", "target",
                                    "db.local:5432"));
    struct problems p;
    problems_init(&p);
    assert_int_equal(policy_validate(doc, &p), 0);
    json_decref(doc);
}

/* ---- the table of invalid documents ---- */
struct bad_case {
    const char *env;   /* posture of the starting default, NULL = demo */
    const char *op;    /* "set" or "del" */
    const char *ptr;
    const char *value; /* JSON for set */
    const char *path;  /* expected problem */
    const char *code;
};

#define OPRULE(extra)                                                                            \
    "{\"id\":\"op.rule\",\"builtin\":false,\"enabled\":true,\"kind\":\"log_signature\","        \
    "\"pattern\":\"boom\",\"class\":\"application_services.panic_detected\","                    \
    "\"severity\":\"high\",\"key_template\":\"{source}:{rule}\",\"window_seconds\":60,"         \
    "\"threshold\":1" extra "}"
#define PROBE(extra)                                                                             \
    "{\"id\":\"db\",\"kind\":\"tcp\",\"target\":\"db.local:5432\",\"interval_seconds\":30,"       \
    "\"timeout_ms\":2000,\"failure_threshold\":3" extra "}"
#define MCP(extra) "{\"name\":\"k8s\",\"enabled\":true,\"allowed_tools\":[\"logs.recent\"]" extra "}"
#define CHAN(prov, settings)                                                                     \
    "{\"id\":\"c2\",\"provider\":\"" prov "\",\"enabled\":true,\"settings\":" settings "}"

static const struct bad_case bad_cases[] = {
    /* top level and posture */
    {0, "del", "/environment", 0, "/environment", "required"},
    {0, "set", "/environment", "\"prod\"", "/environment", "enum"},
    {0, "set", "/extra", "1", "/extra", "unknown_field"},
    {0, "set", "/automation", "[]", "/automation", "type"},
    /* automation */
    {0, "set", "/automation/max_actions_per_hour", "-1", "/automation/max_actions_per_hour",
     "range"},
    {0, "set", "/automation/max_actions_per_hour", "\"5\"", "/automation/max_actions_per_hour",
     "type"},
    {0, "set", "/automation/attempt_budget", "0", "/automation/attempt_budget", "range"},
    {0, "set", "/automation/enabled", "\"yes\"", "/automation/enabled", "type"},
    {0, "del", "/automation/dry_run", 0, "/automation/dry_run", "required"},
    {0, "set", "/automation/cooldown_seconds/reboot", "10", "/automation/cooldown_seconds/reboot",
     "unknown_field"},
    {0, "set", "/automation/cooldown_seconds/notify", "9999999",
     "/automation/cooldown_seconds/notify", "range"},
    {0, "del", "/automation/cooldown_seconds/default", 0, "/automation/cooldown_seconds/default",
     "required"},
    {0, "set", "/automation/approval/approvers_required", "3",
     "/automation/approval/approvers_required", "range"},
    {0, "set", "/automation/approval/expiry_seconds", "10", "/automation/approval/expiry_seconds",
     "range"},
    {0, "set", "/automation/approval/required_for/-", "\"notify\"",
     "/automation/approval/required_for/6", "forbidden"},
    {0, "set", "/automation/approval/required_for/-", "\"review_cluster_capacity\"",
     "/automation/approval/required_for/6", "forbidden"},
    {0, "set", "/automation/approval/required_for/-", "\"explode\"",
     "/automation/approval/required_for/6", "enum"},
    {0, "set", "/automation/approval/required_for/-", "\"rollout_restart\"",
     "/automation/approval/required_for/6", "duplicate"},
    {0, "del", "/automation/approval/required_for/0", 0, "/automation/approval/required_for",
     "required"},
    {"production", "del", "/automation/approval/required_for/0", 0,
     "/automation/approval/required_for", "forbidden"},
    {"production", "set", "/automation/approval/allow_self_approval", "true",
     "/automation/approval/allow_self_approval", "forbidden"},
    {0, "set", "/environment", "\"production\"", "/automation/approval/required_for", "forbidden"},
    /* allowlists */
    {0, "set", "/allowlists/cronjobs/-", "{\"namespace\":\"kube-system\",\"name\":\"backup\"}",
     "/allowlists/cronjobs/0/namespace", "forbidden"},
    {0, "set", "/allowlists/cronjobs/-", "{\"namespace\":\"Bad_NS\",\"name\":\"backup\"}",
     "/allowlists/cronjobs/0/namespace", "format"},
    {0, "set", "/allowlists/cronjobs",
     "[{\"namespace\":\"ops\",\"name\":\"a\"},{\"namespace\":\"ops\",\"name\":\"a\"}]",
     "/allowlists/cronjobs/1", "duplicate"},
    {0, "set", "/allowlists/workloads/-", "{\"namespace\":\"apps\",\"kind\":\"Pod\",\"name\":\"x\"}",
     "/allowlists/workloads/0/kind", "enum"},
    {0, "set", "/allowlists/workloads/-", "{\"namespace\":\"apps\",\"name\":\"x\"}",
     "/allowlists/workloads/0/kind", "required"},
    {0, "set", "/allowlists/workloads/-",
     "{\"namespace\":\"apps\",\"kind\":\"Deployment\",\"name\":\"-x\"}",
     "/allowlists/workloads/0/name", "format"},
    {0, "set", "/allowlists/protected_namespaces/-", "\"kube-system\"",
     "/allowlists/protected_namespaces/3", "duplicate"},
    /* channels */
    {0, "set", "/channels/-", "{\"id\":\"inapp\",\"provider\":\"inapp\",\"enabled\":true,\"settings\":{}}",
     "/channels/1/id", "duplicate"},
    {0, "set", "/channels/-", CHAN("slack", "{\"token\":\"xoxb-123\",\"channel\":\"#ops\"}"),
     "/channels/1/settings/token", "secret_in_clear"},
    {0, "set", "/channels/-", CHAN("pager", "{}"), "/channels/1/provider", "enum"},
    {0, "set", "/channels/-", CHAN("webhook", "{}"), "/channels/1/settings/url", "required"},
    {0, "set", "/channels/-", CHAN("webhook", "{\"url\":\"ftp://hooks.local/x\"}"),
     "/channels/1/settings/url", "format"},
    {0, "set", "/channels/-",
     CHAN("email", "{\"smtp_url\":\"smtps://bot:hunter2@mail.local\",\"from\":\"bot@x.io\","
                   "\"to\":[\"ops@x.io\"]}"),
     "/channels/1/settings/smtp_url", "secret_in_clear"},
    {0, "set", "/channels/-", CHAN("email", "{\"smtp_url\":\"smtps://mail.local\",\"from\":\"bot\",\"to\":[]}"),
     "/channels/1/settings/from", "format"},
    {0, "set", "/channels/-",
     CHAN("teams", "{\"webhook_url\":{\"secret_ref\":{\"env\":\"A\",\"file\":\"/run/x\"}}}"),
     "/channels/1/settings/webhook_url/secret_ref", "required"},
    {0, "set", "/channels/-", CHAN("teams", "{\"webhook_url\":{\"secret_ref\":{\"env\":\"HOME\"}}}"),
     "/channels/1/settings/webhook_url/secret_ref/env", "forbidden"},
    {0, "set", "/channels/-", CHAN("teams", "{\"webhook_url\":{\"secret_ref\":{\"env\":\"lower\"}}}"),
     "/channels/1/settings/webhook_url/secret_ref/env", "pattern"},
    {0, "set", "/channels/-", CHAN("telegram", "{\"bot_token\":{\"secret_ref\":{\"file\":\"rel/path\"}},\"chat_id\":\"1\"}"),
     "/channels/1/settings/bot_token/secret_ref/file", "format"},
    {0, "set", "/channels/-", CHAN("slack", "{\"channel\":\"#ops\"}"), "/channels/1/settings",
     "required"},
    /* chat users: who a Slack / Telegram user is (docs/policy.md "Chat users") */
#define TG_SETTINGS "{\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG\"}},\"chat_id\":\"-1\"}"
#define CHAN_OPS(prov, settings, ops)                                                            \
    "{\"id\":\"c2\",\"provider\":\"" prov "\",\"enabled\":true,\"settings\":" settings        \
    ",\"operators\":" ops "}"
    {0, "set", "/channels/-", CHAN_OPS("telegram", TG_SETTINGS, "[{\"user_id\":\"5\",\"operator\":\"alice\"}]"),
     "/channels/1/operators/0/role", "required"},
    {0, "set", "/channels/-", CHAN_OPS("telegram", TG_SETTINGS, "[{\"user_id\":\"5\",\"operator\":\"alice\",\"role\":\"root\"}]"),
     "/channels/1/operators/0/role", "enum"},
    {0, "set", "/channels/-", CHAN_OPS("telegram", TG_SETTINGS, "[{\"user_id\":\"5\",\"operator\":\"al ice\",\"role\":\"operator\"}]"),
     "/channels/1/operators/0/operator", "pattern"},
    {0, "set", "/channels/-", CHAN_OPS("telegram", TG_SETTINGS,
                                       "[{\"user_id\":\"5\",\"operator\":\"a\",\"role\":\"operator\"},"
                                       "{\"user_id\":\"5\",\"operator\":\"b\",\"role\":\"viewer\"}]"),
     "/channels/1/operators/1/user_id", "duplicate"},
    {0, "set", "/channels/-", CHAN_OPS("telegram", TG_SETTINGS, "[{\"user_id\":\"5\",\"operator\":\"a\",\"role\":\"operator\",\"x\":1}]"),
     "/channels/1/operators/0/x", "unknown_field"},
    {0, "set", "/channels/-", CHAN_OPS("teams", "{\"webhook_url\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_T\"}}}", "[]"),
     "/channels/1/operators", "forbidden"},
    {0, "set", "/channels/-", CHAN_OPS("telegram", TG_SETTINGS, "{}"), "/channels/1/operators", "type"},
    {0, "set", "/channels/-", CHAN("telegram", "{\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG\"}},\"chat_id\":\"-1\",\"updates\":\"push\"}"),
     "/channels/1/settings/updates", "enum"},
    {0, "set", "/channels/-", CHAN("telegram", "{\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG\"}},\"chat_id\":\"-1\",\"webhook_secret\":\"abc\"}"),
     "/channels/1/settings/webhook_secret", "secret_in_clear"},
    {0, "set", "/channels/-", CHAN("telegram", "{\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG\"}},\"chat_id\":\"-1\",\"poll_timeout_seconds\":51}"),
     "/channels/1/settings/poll_timeout_seconds", "range"},
    {0, "set", "/channels/0/settings/password", "\"x\"", "/channels/0/settings/password",
     "secret_in_clear"},
    {0, "set", "/channels/0/settings/password", "\"x\"", "/channels/0/settings/password",
     "unknown_field"},
    {0, "set", "/channels/0/id", "\"In App\"", "/channels/0/id", "pattern"},
    /* the secret scan: objects nested under a secret name, names of any length */
    {0, "set", "/channels/0/settings/password", "{\"value\":{\"inner\":[\"x\"]}}",
     "/channels/0/settings/password/value/inner/0", "secret_in_clear"},
    {0, "set", "/channels/0/settings/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_Password", "\"x\"", "/channels/0/settings/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_Password",
     "secret_in_clear"},
    /* routing */
    {0, "set", "/routing/fallback", "\"pager\"", "/routing/fallback", "reference"},
    {0, "set", "/routing/rules/-", "{\"channels\":[\"nope\"]}", "/routing/rules/0/channels/0",
     "reference"},
    {0, "set", "/routing/rules/-", "{\"channels\":[]}", "/routing/rules/0/channels", "length"},
    {0, "set", "/routing/rules/-", "{\"severities\":[\"fatal\"],\"channels\":[\"inapp\"]}",
     "/routing/rules/0/severities/0", "enum"},
    {0, "set", "/routing/rules/-",
     "{\"classes\":[\"infrastructure.nope\"],\"channels\":[\"inapp\"]}",
     "/routing/rules/0/classes/0", "reference"},
    {0, "set", "/routing/rules/-", "{\"classes\":[\"NotAClass\"],\"channels\":[\"inapp\"]}",
     "/routing/rules/0/classes/0", "format"},
    {0, "set", "/routing/rules/-", "{\"channels\":[\"inapp\"],\"when\":1}",
     "/routing/rules/0/when", "unknown_field"},
    /* detector rules */
    {0, "set", "/detector_learning_mode", "\"auto\"", "/detector_learning_mode", "enum"},
    {"production", "set", "/detector_learning_mode", "\"training_auto_create\"",
     "/detector_learning_mode", "forbidden"},
    {0, "del", "/detector_rules/0", 0, "/detector_rules", "forbidden"},
    {0, "set", "/detector_rules/0/pattern", "\"x\"", "/detector_rules/0/pattern", "forbidden"},
    {0, "set", "/detector_rules/0/severity", "\"info\"", "/detector_rules/0/severity", "forbidden"},
    {0, "set", "/detector_rules/0/window_seconds", "1", "/detector_rules/0/window_seconds",
     "forbidden"},
    {"production", "set", "/detector_rules/0/enabled", "false", "/detector_rules/0/enabled",
     "forbidden"},
    {0, "set", "/detector_rules/0/builtin", "false", "/detector_rules/0/id", "forbidden"},
    {0, "set", "/detector_rules/-", OPRULE(), "", ""}, /* sanity: a valid operator rule */
    {0, "set", "/detector_rules/-", OPRULE(",\"extra\":1"), "/detector_rules/$/extra",
     "unknown_field"},
#ifdef SREBOT_WITH_VECTORSCAN /* patterns are checked by the engine that runs them */
    {0, "set", "/detector_rules/-",
     "{\"id\":\"op.bad\",\"builtin\":false,\"enabled\":true,\"kind\":\"log_signature\","
     "\"pattern\":\"(unclosed\",\"class\":\"application_services.panic_detected\","
     "\"severity\":\"high\",\"key_template\":\"{source}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/pattern", "pattern"},
    {0, "set", "/detector_rules/-",
     "{\"id\":\"op.empty\",\"builtin\":false,\"enabled\":true,\"kind\":\"log_signature\","
     "\"pattern\":\"a*\",\"class\":\"application_services.panic_detected\","
     "\"severity\":\"high\",\"key_template\":\"{source}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/pattern", "pattern"},
#endif
    {0, "set", "/detector_rules/-",
     "{\"id\":\"builtin.mine\",\"builtin\":false,\"enabled\":true,\"kind\":\"log_signature\","
     "\"pattern\":\"x\",\"class\":\"application_services.panic_detected\","
     "\"severity\":\"high\",\"key_template\":\"{source}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/id", "forbidden"},
    {0, "set", "/detector_rules/-",
     "{\"id\":\"builtin.fake\",\"builtin\":true,\"enabled\":true,\"kind\":\"log_signature\","
     "\"pattern\":\"x\",\"class\":\"application_services.panic_detected\","
     "\"severity\":\"high\",\"key_template\":\"{source}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/id", "reference"},
    {0, "set", "/detector_rules/-",
     "{\"id\":\"op.cls\",\"builtin\":false,\"enabled\":true,\"kind\":\"log_signature\","
     "\"pattern\":\"x\",\"class\":\"infrastructure.unknown_thing\","
     "\"severity\":\"high\",\"key_template\":\"{source}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/class", "reference"},
    {0, "set", "/detector_rules/-", OPRULE(",\"expression\":\"x > 1\""),
     "/detector_rules/$/expression", "forbidden"},
    {0, "set", "/detector_rules/-",
     "{\"id\":\"op.metric\",\"builtin\":false,\"enabled\":true,\"kind\":\"metric_threshold\","
     "\"expression\":\"cpu is high\",\"class\":\"infrastructure.node_cpu_saturation\","
     "\"severity\":\"warning\",\"key_template\":\"{host}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/expression", "format"},
    {0, "set", "/detector_rules/-",
     "{\"id\":\"op.probe\",\"builtin\":false,\"enabled\":true,\"kind\":\"probe\","
     "\"probe\":\"nope\",\"class\":\"runtime_services.runtime_dependency_outage\","
     "\"severity\":\"high\",\"key_template\":\"{probe}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/probe", "reference"},
    {0, "set", "/detector_rules/-",
     "{\"id\":\"builtin.go_panic\",\"builtin\":false,\"enabled\":true,\"kind\":\"log_signature\","
     "\"pattern\":\"x\",\"class\":\"application_services.panic_detected\","
     "\"severity\":\"high\",\"key_template\":\"{source}\",\"window_seconds\":60,\"threshold\":1}",
     "/detector_rules/$/id", "duplicate"},
    {0, "set", "/detector_rules/-", OPRULE(",\"key_template\":\"{source\""),
     "/detector_rules/$/key_template", "format"},
    /* thresholds */
    {0, "set", "/thresholds/host_clear_gap_percent", "40", "", ""},
    {0, "set", "/thresholds/disk_used_percent", "30", "", ""},
    {0, "set", "/thresholds/host_clear_gap_percent", "51", "/thresholds/host_clear_gap_percent",
     "range"},
    {0, "set", "/thresholds/inode_used_percent", "5", "/thresholds/host_clear_gap_percent",
     "range"},
    {0, "set", "/thresholds/gpu_percent", "95", "/thresholds/gpu_percent", "unknown_field"},
    {0, "set", "/thresholds/disk_used_percent", "101", "/thresholds/disk_used_percent", "range"},
    {0, "del", "/thresholds/latency_ms", 0, "/thresholds/latency_ms", "required"},
    /* probes */
    {0, "set", "/probes/-", PROBE(",\"target\":\"nohost\""), "/probes/0/target", "format"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"http\",\"target\":\"example.com\""),
     "/probes/0/target", "format"},
    {0, "set", "/probes/-",
     PROBE(",\"kind\":\"oidc\",\"target\":\"https://idp.local/realms/x\",\"class\":"
           "\"runtime_services.runtime_dependency_outage\""),
     "/probes/0/class", "forbidden"},
    {0, "set", "/probes/-", PROBE(",\"expect_status\":200"), "/probes/0/expect_status",
     "forbidden"},
    {0, "set", "/probes/-", PROBE(",\"interval_seconds\":5,\"timeout_ms\":9000"),
     "/probes/0/timeout_ms", "range"},
    /* left out, interval_seconds is 30: the timeout must still be below it */
    {0, "set", "/probes/-", "{\"id\":\"m\",\"kind\":\"tcp\",\"target\":\"db:5432\",\"timeout_ms\":40000}",
     "/probes/0/timeout_ms", "range"},
    {0, "set", "/probes/-",
     PROBE(",\"kind\":\"registry\",\"target\":\"https://registry.local\",\"credential\":\"u:p\""),
     "/probes/0/credential", "secret_in_clear"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"icmp\""), "/probes/0/kind", "enum"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"http\",\"target\":\"https://u:p@svc.local/health\""),
     "/probes/0/target", "secret_in_clear"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"http\",\"target\":\"https://u@x:p@svc.local/\""),
     "/probes/0/target", "secret_in_clear"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"http\",\"target\":\"https://u@/\""),
     "/probes/0/target", "format"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"http\",\"target\":\"https://svc.local/\",\"expect_status\":700"),
     "/probes/0/expect_status", "range"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"tls\",\"min_cert_days\":-1"),
     "/probes/0/min_cert_days", "range"},
    {0, "set", "/probes/-", PROBE(",\"class\":\"infrastructure.nope\""), "/probes/0/class",
     "reference"},
    {0, "set", "/probes/-", PROBE(",\"failure_threshold\":0"), "/probes/0/failure_threshold",
     "range"},
    {0, "set", "/probes/-", PROBE(",\"kind\":\"dns\",\"target\":\"db.local\",\"family\":\"ipv5\""),
     "/probes/0/family", "enum"},
    {0, "set", "/probes/-", PROBE(",\"server_name\":\"x\""), "/probes/0/server_name", "forbidden"},
    {0, "set", "/probes/-", PROBE(",\"severity\":\"urgent\""), "/probes/0/severity", "enum"},
    {0, "set", "/probes/-",
     PROBE(",\"kind\":\"registry\",\"target\":\"https://registry.local\",\"credential\":"
           "{\"username\":\"robot\",\"password\":\"x\"}"),
     "/probes/0/credential/password", "secret_in_clear"},
    {0, "set", "/probes/-",
     PROBE(",\"kind\":\"registry\",\"target\":\"https://registry.local\",\"credential\":"
           "{\"username\":\"robot\"}"),
     "/probes/0/credential/secret_ref", "required"},
    {0, "set", "/probes/-",
     PROBE(",\"kind\":\"oidc\",\"target\":\"https://idp.local\",\"ca_file\":\"ca.pem\""),
     "/probes/0/ca_file", "format"},
    /* log sources */
    {0, "set", "/log_sources/-", "{\"id\":\"app\",\"paths\":[]}", "/log_sources/0/paths", "length"},
    {0, "set", "/log_sources/-", "{\"id\":\"app\",\"interval_seconds\":0,\"paths\":[\"/x\"]}",
     "/log_sources/0/interval_seconds", "range"},
    {0, "set", "/log_sources/-", "{\"id\":\"app\",\"paths\":[\"/var/log/[a.log\"]}",
     "/log_sources/0/paths/0", "pattern"},
    {0, "set", "/log_sources/-", "{\"id\":\"app\",\"paths\":\"/var/log/*.log\"}",
     "/log_sources/0/paths", "type"},
    /* incidents, alertmanager */
    {0, "set", "/incidents/reopen_window_seconds", "-1", "/incidents/reopen_window_seconds",
     "range"},
    {0, "del", "/incidents/flap_quiet_seconds", 0, "/incidents/flap_quiet_seconds", "required"},
    {0, "set", "/alertmanager/class_label", "\"bad-label\"", "/alertmanager/class_label",
     "pattern"},
    {0, "set", "/alertmanager/class_map/-",
     "{\"label\":\"alertname\",\"value\":\"X\",\"class\":\"infra.nope\"}",
     "/alertmanager/class_map/0/class", "reference"},
    {0, "set", "/alertmanager/key_labels", "[\"pod\",\"pod\"]", "/alertmanager/key_labels/1",
     "duplicate"},
    /* MCP and agent runtime */
    {0, "set", "/mcp_servers/-", MCP(",\"transport\":\"stdio\""), "/mcp_servers/0/command",
     "required"},
    {0, "set", "/mcp_servers/-", MCP(",\"transport\":\"http\",\"url\":\"http://mcp.local/mcp\","
                                     "\"command\":[\"x\"]"),
     "/mcp_servers/0/command", "forbidden"},
    {0, "set", "/mcp_servers/-", MCP(",\"transport\":\"http\",\"url\":\"http://mcp.local/mcp\","
                                     "\"name\":\"Bad Name\""),
     "/mcp_servers/0/name", "pattern"},
    {0, "set", "/mcp_servers/-", MCP(",\"transport\":\"http\",\"url\":\"http://mcp.local/mcp\","
                                     "\"auth_token\":\"abc\""),
     "/mcp_servers/0/auth_token", "secret_in_clear"},
    {0, "set", "/agent_runtime/provider", "\"llamafile\"", "/agent_runtime/provider", "enum"},
    {0, "set", "/agent_runtime/max_tool_calls", "1000", "/agent_runtime/max_tool_calls", "range"},
    {0, "set", "/agent_runtime/api_key", "\"sk-123\"", "/agent_runtime/api_key",
     "secret_in_clear"},
    {0, "set", "/agent_runtime/base_url", "\"localhost:11434\"", "/agent_runtime/base_url",
     "format"},
    {0, "set", "/agent_runtime/model",
     "\"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"
     "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm\"",
     "/agent_runtime/model", "length"},
    {0, "set", "/agent_runtime/model", "\"\"", "/agent_runtime/model", "length"},
};

static void invalid_documents(void **state)
{
    (void)state;
    size_t n = sizeof bad_cases / sizeof bad_cases[0];
    size_t checked = 0, n_builtin = 0;
    for (const struct builtin_rule *r = builtin_rules; r->id; r++)
        n_builtin++;
    for (size_t i = 0; i < n; i++) {
        const struct bad_case *bc = &bad_cases[i];
        enum environment e = ENV_DEMO;
        if (bc->env)
            assert_int_equal(policy_posture_parse(bc->env, &e), 0);
        json_t *doc = defaults_for(e);
        if (strcmp(bc->op, "set") == 0)
            edit_set(doc, bc->ptr, bc->value);
        else
            edit_remove(doc, bc->ptr);
        struct problems p;
        problems_init(&p);
        int rc = policy_validate(doc, &p);
        if (!*bc->code) { /* a valid control case */
            if (rc)
                dump(&p);
            assert_int_equal(rc, 0);
        } else {
            /* "$" stands for the index of the first rule after the built-in ones */
            char want[PROBLEM_PATH_MAX];
            const char *dollar = strchr(bc->path, '$');
            if (dollar)
                snprintf(want, sizeof want, "%.*s%zu%s", (int)(dollar - bc->path), bc->path,
                         n_builtin, dollar + 1);
            else
                snprintf(want, sizeof want, "%s", bc->path);
            if (rc != -1 || !has_problem(&p, want, bc->code)) {
                print_message("case %zu: %s %s: want %s %s, got:\n", i, bc->op, bc->ptr, want,
                              bc->code);
                dump(&p);
                fail();
            }
            checked++;
        }
        json_decref(doc);
    }
    assert_true(checked >= 40);
}

/* Total: independent mistakes are all reported at once, in a stable order. */
static void every_problem_reported(void **state)
{
    (void)state;
    json_t *doc = defaults_for(ENV_DEMO);
    edit_set(doc, "/automation/max_actions_per_hour", "-5");
    edit_set(doc, "/routing/fallback", "\"nope\"");
    edit_set(doc, "/agent_runtime/timeout_seconds", "0");
    edit_set(doc, "/thresholds/bogus", "1");
    struct problems a, b;
    problems_init(&a);
    problems_init(&b);
    assert_int_equal(policy_validate(doc, &a), -1);
    assert_int_equal(policy_validate(doc, &b), -1);
    assert_int_equal(a.count, 4);
    for (size_t i = 0; i < a.count; i++) {
        assert_string_equal(a.items[i].path, b.items[i].path);
        assert_string_equal(a.items[i].code, b.items[i].code);
        assert_string_equal(a.items[i].message, b.items[i].message);
    }
    json_decref(doc);
}

static void parse_bounds(void **state)
{
    (void)state;
    struct problems p;
    problems_init(&p);
    assert_null(policy_parse("{\"environment\":", 15, &p));
    assert_true(has_problem(&p, "", "invalid_json"));
    problems_init(&p);
    char deep[64];
    memset(deep, '[', sizeof deep);
    assert_null(policy_parse(deep, sizeof deep, &p));
    assert_true(has_problem(&p, "", "too_deep"));
    problems_init(&p);
    assert_null(policy_parse("{\"a\":1,\"a\":2}", 13, &p));
    assert_true(has_problem(&p, "", "invalid_json"));
    problems_init(&p);
    json_t *arr = policy_parse("[]", 2, &p);
    assert_non_null(arr);
    assert_int_equal(policy_validate(arr, &p), -1);
    assert_true(has_problem(&p, "", "type"));
    json_decref(arr);
}

static void probe_classes(void **state)
{
    (void)state;
    assert_string_equal(policy_probe_class("tcp", NULL), "runtime_services.runtime_dependency_outage");
    assert_string_equal(policy_probe_class("http", "application_services.application_service_degraded"),
                        "application_services.application_service_degraded");
    assert_string_equal(policy_probe_class("oidc", NULL),
                        "identity_security.identity_provider_unreachable");
    assert_string_equal(policy_probe_class("registry", NULL),
                        "release_configuration.registry_auth_or_mirror_failure");
    assert_null(policy_probe_class("icmp", NULL));
}

static void valid_full_document(void **state)
{
    (void)state;
    /* Every optional feature used once, correctly: must be accepted. */
    json_t *doc = defaults_for(ENV_STAGING);
    edit_set(doc, "/channels/-",
             "{\"id\":\"ops-slack\",\"provider\":\"slack\",\"enabled\":true,\"settings\":{"
             "\"token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_SLACK_TOKEN\"}},\"channel\":\"#ops\","
             "\"signing_secret\":{\"secret_ref\":{\"file\":\"/run/secrets/slack\"}}},"
             "\"operators\":[{\"user_id\":\"U123\",\"operator\":\"alice\",\"role\":\"operator\"},"
             "{\"user_id\":\"U456\",\"operator\":\"vera@example.com\",\"role\":\"viewer\"}]}");
    edit_set(doc, "/channels/-",
             "{\"id\":\"ops-tg\",\"provider\":\"telegram\",\"enabled\":true,\"settings\":{"
             "\"bot_token\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG_TOKEN\"}},\"chat_id\":\"-100123\","
             "\"webhook_secret\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_TG_HOOK\"}},"
             "\"updates\":\"poll\",\"poll_timeout_seconds\":20},"
             "\"operators\":[{\"user_id\":\"5551234\",\"operator\":\"alice\",\"role\":\"admin\"}]}");
    edit_set(doc, "/channels/-",
             "{\"id\":\"mail\",\"provider\":\"email\",\"enabled\":false,\"settings\":{"
             "\"smtp_url\":\"smtps://mail.local:465\",\"from\":\"bot@x.io\",\"to\":[\"ops@x.io\"],"
             "\"username\":\"bot\",\"password\":{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_SMTP_PASSWORD\"}}}}");
    edit_set(doc, "/routing/rules/-",
             "{\"severities\":[\"critical\",\"high\"],\"classes\":"
             "[\"infrastructure.node_disk_pressure\"],\"channels\":[\"ops-slack\",\"inapp\"]}");
    edit_set(doc, "/allowlists/cronjobs/-", "{\"namespace\":\"batch\",\"name\":\"nightly-report\"}");
    edit_set(doc, "/allowlists/workloads/-",
             "{\"namespace\":\"apps\",\"kind\":\"Deployment\",\"name\":\"demo-worker\"}");
    edit_set(doc, "/probes/-",
             "{\"id\":\"idp\",\"kind\":\"oidc\",\"target\":\"https://idp.local/realms/main\","
             "\"interval_seconds\":60,\"timeout_ms\":3000,\"failure_threshold\":2}");
    edit_set(doc, "/probes/-",
             "{\"id\":\"api\",\"kind\":\"http\",\"target\":\"https://api.local/healthz\","
             "\"interval_seconds\":30,\"timeout_ms\":2000,\"failure_threshold\":3,"
             "\"expect_status\":204,\"body_match\":\"ok\",\"enabled\":true}");
    edit_set(doc, "/probes/-",
             "{\"id\":\"reg\",\"kind\":\"registry\",\"target\":\"https://registry.local\","
             "\"interval_seconds\":60,\"timeout_ms\":5000,\"failure_threshold\":2,"
             "\"credential\":{\"username\":\"robot\",\"secret_ref\":{\"env\":\"IF_SRE_SECRET_REG_PASSWORD\"}},"
             "\"scope\":\"repository:x/y:pull\",\"insecure\":false}");
    edit_set(doc, "/probes/-",
             "{\"id\":\"dns\",\"kind\":\"dns\",\"target\":\"db.cluster.local\","
             "\"interval_seconds\":30,\"timeout_ms\":1000,\"failure_threshold\":3,"
             "\"family\":\"ipv4\",\"expect_address\":\"10.0.0.5\",\"severity\":\"critical\","
             "\"recovery_threshold\":2,\"refire_seconds\":600}");
    edit_set(doc, "/probes/-",
             "{\"id\":\"v6\",\"kind\":\"tls\",\"target\":\"[::1]:8443\",\"interval_seconds\":300,"
             "\"timeout_ms\":3000,\"failure_threshold\":1,\"min_cert_days\":21,"
             "\"server_name\":\"api.local\"}");
    edit_set(doc, "/detector_rules/-",
             "{\"id\":\"op.api-down\",\"builtin\":false,\"enabled\":true,\"kind\":\"probe\","
             "\"probe\":\"api\",\"class\":\"runtime_services.runtime_dependency_outage\","
             "\"severity\":\"high\",\"key_template\":\"{probe}\",\"window_seconds\":60,"
             "\"threshold\":1}");
    edit_set(doc, "/detector_rules/-",
             "{\"id\":\"op.disk\",\"builtin\":false,\"enabled\":true,\"kind\":\"metric_threshold\","
             "\"expression\":\"disk_used_percent >= 92.5\",\"class\":"
             "\"infrastructure.node_disk_pressure\",\"severity\":\"warning\","
             "\"key_template\":\"{host}:{path}\",\"window_seconds\":300,\"threshold\":3}");
    edit_set(doc, "/detector_rules/0/enabled", "false"); /* staging allows it */
    edit_set(doc, "/log_sources/-",
             "{\"id\":\"app\",\"interval_seconds\":5,\"paths\":[\"/var/log/app/*.log\"]}");
    edit_set(doc, "/alertmanager/class_map/-",
             "{\"label\":\"alertname\",\"value\":\"KubePodCrashLooping\",\"class\":"
             "\"application_services.pod_restart_pressure\"}");
    edit_set(doc, "/alertmanager/key_labels", "[\"alertname\",\"namespace\",\"pod\"]");
    edit_set(doc, "/mcp_servers/-",
             "{\"name\":\"everything\",\"transport\":\"stdio\",\"command\":[\"npx\","
             "\"@modelcontextprotocol/server-everything\"],\"enabled\":false,"
             "\"allowed_tools\":[\"echo\"]}");
    edit_set(doc, "/mcp_servers/-",
             "{\"name\":\"remote\",\"transport\":\"http\",\"url\":\"https://mcp.local/mcp\","
             "\"enabled\":true,\"allowed_tools\":[\"logs.recent\"],\"auth_token\":"
             "{\"secret_ref\":{\"env\":\"IF_SRE_SECRET_MCP_TOKEN\"}}}");
    struct problems p;
    problems_init(&p);
    int rc = policy_validate(doc, &p);
    if (rc)
        dump(&p);
    assert_int_equal(rc, 0);
    json_decref(doc);
}

static void redaction(void **state)
{
    (void)state;
    json_t *doc = json_pack(
        "{s:{s:s, s:{s:{s:s}}, s:s, s:[s], s:s}}", "x", "token", "abc", "api_key", "secret_ref",
        "env", "OPENAI_KEY", "url", "https://user:pw@h.local/p", "passwords", "p1", "note",
        "https://h.local/@x:y");
    json_t *r = policy_redact(doc);
    json_t *x = json_object_get(r, "x");
    assert_string_equal(json_string_value(json_object_get(x, "token")), POLICY_REDACTED);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(x, "api_key"), "secret_ref"), "env")),
                        "OPENAI_KEY");
    assert_string_equal(json_string_value(json_object_get(x, "url")),
                        "https://user:[redacted]@h.local/p");
    assert_string_equal(json_string_value(json_array_get(json_object_get(x, "passwords"), 0)),
                        POLICY_REDACTED);
    assert_string_equal(json_string_value(json_object_get(x, "note")), "https://h.local/@x:y");
    /* the input is untouched */
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "x"), "token")),
                        "abc");
    char *dumped = json_dumps(r, 0);
    assert_null(strstr(dumped, "abc"));
    assert_null(strstr(dumped, "pw@"));
    free(dumped);
    json_decref(r);
    json_decref(doc);
    assert_true(policy_secret_field_name("Slack_Webhook_URL"));
    assert_true(policy_secret_field_name("bot_token"));
    assert_false(policy_secret_field_name("secret_ref"));
    assert_false(policy_secret_field_name("channel"));
    assert_false(policy_secret_field_name("Secret_Ref"));
    /* the whole name is read, however long (a 127-byte copy once hid the tail) */
    char longname[400];
    memset(longname, 'a', sizeof longname);
    snprintf(longname + 380, 20, "_api_key");
    assert_true(policy_secret_field_name(longname));
}

static void file_roots(void **state)
{
    (void)state;
    const char *roots = "/var/log, /run/secrets/ ,relative,/";
    assert_true(fileroots_allows(roots, "/var/log/app.log"));
    assert_true(fileroots_allows(roots, "/var/log/nginx/*.log"));
    assert_true(fileroots_allows(roots, "/run/secrets/slack"));
    static const char *const refused[] = {"/var/logs/x", "/var/log", "/var/log/../../etc/passwd",
                                          "/var/log/./x", "/var/log//x", "var/log/x",
                                          "/etc/passwd", "relative/x", "/relative/x", ""};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (fileroots_allows(roots, refused[i]))
            fail_msg("allowed %s", refused[i]);
    assert_false(fileroots_allows("", "/var/log/x"));
    json_t *doc = json_pack("{s:[{s:[s,s]}], s:{s:{s:{s:s}}}}", "log_sources", "paths",
                            "/var/log/a.log", "/etc/*.conf", "x", "token", "secret_ref", "file",
                            "/home/u/.ssh/id_rsa");
    struct problems p;
    problems_init(&p);
    fileroots_check_policy(doc, roots, &p);
    assert_int_equal(p.count, 2);
    assert_true(has_problem(&p, "/log_sources/0/paths/1", "forbidden"));
    assert_true(has_problem(&p, "/x/token/secret_ref/file", "forbidden"));
    json_decref(doc);
}

static void views_for_ledger(void **state)
{
    (void)state;
    json_t *doc = defaults_for(ENV_PRODUCTION);
    struct fold_params fp;
    policy_fold_params(doc, &fp);
    assert_int_equal(fp.reopen_window_ms, 1800 * 1000LL);
    assert_int_equal(fp.quiet_period_ms, 900 * 1000LL);
    policy_fold_params(NULL, &fp);
    assert_int_equal(fp.reopen_window_ms, FOLD_DEFAULT_REOPEN_WINDOW_MS);

    edit_set(doc, "/alertmanager/class_map/-",
             "{\"label\":\"alertname\",\"value\":\"KubePodCrashLooping\",\"class\":"
             "\"application_services.pod_restart_pressure\"}");
    edit_set(doc, "/alertmanager/class_map/-",
             "{\"label\":\"alertname\",\"value\":\"NodeFilesystemAlmostFull\",\"class\":"
             "\"infrastructure.node_disk_pressure\"}");
    edit_set(doc, "/alertmanager/key_labels", "[\"alertname\",\"namespace\"]");
    struct am_options opt;
    struct am_class_map map[1];
    const char *labels[4];
    assert_int_equal(policy_am_options(doc, &opt, map, 1, labels, 4), 1); /* one row did not fit */
    assert_int_equal(opt.nmap, 1);
    assert_string_equal(opt.map[0].value, "KubePodCrashLooping");
    assert_string_equal(opt.map[0].class_, "application_services.pod_restart_pressure");
    assert_int_equal(opt.nkey_labels, 2);
    assert_string_equal(opt.key_labels[1], "namespace");
    json_decref(doc);
    doc = defaults_for(ENV_DEMO);
    assert_int_equal(policy_am_options(doc, &opt, map, 1, labels, 4), 0);
    assert_null(opt.map);
    assert_null(opt.key_labels);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_validate),   cmocka_unit_test(builtin_patterns_compile),
        cmocka_unit_test(posture_modes),
        cmocka_unit_test(seeding_inputs),      cmocka_unit_test(minimal_probe_is_valid),
        cmocka_unit_test(invalid_documents),
        cmocka_unit_test(every_problem_reported), cmocka_unit_test(parse_bounds),
        cmocka_unit_test(probe_classes),       cmocka_unit_test(valid_full_document),
        cmocka_unit_test(redaction),           cmocka_unit_test(views_for_ledger),
        cmocka_unit_test(file_roots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
