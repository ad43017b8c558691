/* The `robot_sre_policy` document: the single source of what the bot may do.
 *
 * The document is JSON and stays JSON: it is stored, versioned and returned as
 * the operator wrote it. This module gives
 *   - the default document of each posture (demo, staging, production), built
 *     from seeding inputs (posture, agent runtime, thresholds from IF_SRE_*),
 *   - total, deterministic validation: one call reports every problem (JSON
 *     Pointer path + stable code + message, see core/problems.h),
 *   - redaction for output, and small typed helpers that later modules share
 *     (action modes, probe classes).
 * Every field, its bounds and its default per posture: docs/policy.md.
 *
 * Pure: no I/O, no threads, no clock. Validation compiles log_signature
 * patterns with vectorscan (CPU only) to prove them valid; nothing else.
 * A document that passed policy_validate() has every required field with the
 * documented type, so readers may use json_object_get() without re-checking.
 */
#ifndef SREBOT_CORE_POLICY_H
#define SREBOT_CORE_POLICY_H

#include <jansson.h>
#include <stddef.h>

#include "core/actions.h"
#include "core/alertmanager.h"
#include "core/config.h"
#include "core/fold.h"
#include "core/problems.h"

#define POLICY_NAME "robot_sre_policy"

/* Input bounds (the parser refuses larger or deeper documents outright). */
#define POLICY_MAX_BYTES (512u * 1024u)
#define POLICY_MAX_DEPTH 12

/* ---- postures ---- */
/* "demo" | "staging" | "production"; NULL for an out-of-range value. */
const char *policy_posture_name(enum environment e);
/* Returns 0 and sets *out, or -1 when s is not a posture name. */
int policy_posture_parse(const char *s, enum environment *out);

/* ---- actions: the catalogue is core/actions.h (action_catalogue, action_find) ---- */

/* How the policy lets an action run. For a validated document. */
enum policy_action_mode { MODE_DENY = 0, MODE_AUTO, MODE_APPROVAL, MODE_RECOMMEND };
enum policy_action_mode policy_action_mode(const json_t *doc, const char *action);
const char *policy_action_mode_name(enum policy_action_mode m);
/* 1 when the JSON array holds the string s. */
int policy_string_listed(const json_t *arr, const char *s);

/* ---- playbooks: class -> ordered actions (policy_playbooks.c, docs/actions.md) ---- */
#define POLICY_MAX_PLAYBOOKS 64
#define POLICY_MAX_PLAYBOOK_STEPS 16
struct policy_playbook {
    const char *class_; /* "default" for classes without their own */
    const char *steps[POLICY_MAX_PLAYBOOK_STEPS + 1]; /* NULL-terminated action names */
};
/* The built-in playbooks (the default document's `playbooks`); NULL-class terminated. */
extern const struct policy_playbook policy_builtin_playbooks[];

/* ---- probes ---- */
/* The class a probe reports: its `class` when given (tcp/http/dns/tls), else the
 * one its kind implies. kind must be a valid probe kind; NULL otherwise. */
const char *policy_probe_class(const char *kind, const char *cls);

/* ---- views for the modules that act on the policy (policy_view.c) ---- */
/* incidents.reopen_window_seconds / flap_quiet_seconds as fold parameters; the
 * ledger's defaults when doc is NULL or lacks them. */
void policy_fold_params(const json_t *doc, struct fold_params *out);
/* The alertmanager section as receiver options. map/labels are caller storage
 * (PV limits: 256 rows, 16 labels); strings point into doc. Returns how many
 * entries did not fit (0 with storage of the validation limits). */
size_t policy_am_options(const json_t *doc, struct am_options *out, struct am_class_map *map,
                         size_t map_cap, const char **labels, size_t labels_cap);

/* ---- thresholds: one table drives defaults, env overrides, validation, docs ---- */
struct policy_threshold {
    const char *name;   /* field under /thresholds */
    long long def, min, max;
    const char *env;    /* IF_SRE_<NAME> */
    const char *help;
};
extern const struct policy_threshold policy_thresholds[]; /* NULL-name terminated */

/* ---- defaults and seeding ---- */
struct policy_seed {
    enum environment posture;    /* IF_SRE_ENVIRONMENT */
    const char *agent_base_url;  /* IF_SRE_AGENT_RUNTIME_BASE_URL, NULL/"" = default */
    const char *agent_model;     /* IF_SRE_AGENT_RUNTIME_MODEL, NULL/"" = default */
    /* Looks up the thresholds' IF_SRE_* overrides (NULL = none). Values that are not
     * integers are kept as strings so validation names the bad setting. */
    const char *(*getenv_fn)(const char *name);
};
#define POLICY_DEFAULT_AGENT_BASE_URL "http://127.0.0.1:11434"
#define POLICY_DEFAULT_AGENT_MODEL "llama3.2:3b"

/* The default document for the seed's posture (new reference; NULL only when out
 * of memory). Not validated here: callers validate before saving, which is how a
 * bad threshold value from the environment is reported. */
json_t *policy_defaults(const struct policy_seed *seed);

/* ---- validation ---- */
/* Parses a document from outside (bounded size and depth, duplicate keys
 * refused). New reference, or NULL with a problem added. */
json_t *policy_parse(const char *buf, size_t len, struct problems *p);
/* Validates doc; adds every problem to p. Returns 0 when valid, -1 otherwise.
 * Deterministic: the same document always yields the same list, in document order. */
int policy_validate(const json_t *doc, struct problems *p);

/* ---- secrets ---- */
/* 1 when a field name reads like it holds a secret (token, secret, password,
 * webhook_url, api_key, credential, private_key; case-insensitive substring). */
int policy_secret_field_name(const char *key);
/* A deep copy for output: string values under secret-like names become
 * "[redacted]" and passwords in URL user-info become "[redacted]". Secret
 * references ({"secret_ref":{...}}) are kept: they name a source, not a value. */
json_t *policy_redact(const json_t *doc);
#define POLICY_REDACTED "[redacted]"

#endif
