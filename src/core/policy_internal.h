/* Shared by the policy_*.c files only: small checked getters that add a problem
 * and return NULL / -1 when a field is missing or wrong, so each section's
 * validator reads as a list of fields. Paths are JSON Pointers. */
#ifndef SREBOT_CORE_POLICY_INTERNAL_H
#define SREBOT_CORE_POLICY_INTERNAL_H

#include <jansson.h>

#include "core/builtin_rules.h"
#include "core/classes.h"
#include "core/jsonin.h"
#include "core/policy.h"

/* Bounds of lists and strings (docs/policy.md, "Limits"). */
#define PV_MAX_ID 64
#define PV_MAX_NAME 253
#define PV_MAX_TEXT 512
#define PV_MAX_URL 512
#define PV_MAX_PATTERN 1024
#define PV_MAX_CHANNELS 32
#define PV_MAX_ROUTES 64
#define PV_MAX_RULES 512
#define PV_MAX_PROBES 256
#define PV_MAX_LOG_SOURCES 64
#define PV_MAX_LOG_PATHS 32
#define PV_MAX_ALLOW 256
#define PV_MAX_MCP 16
#define PV_MAX_TOOLS 64
#define PV_MAX_LABELS 16
#define PV_MAX_PLAYBOOKS POLICY_MAX_PLAYBOOKS
#define PV_MAX_STEPS POLICY_MAX_PLAYBOOK_STEPS
#define PV_MAX_LIST 64 /* generic small lists: severities, classes, recipients, argv */

/* Facts gathered on the way that later sections check against. */
struct pv_ctx {
    struct problems *p;
    enum environment posture;
    int posture_known;
    const json_t *channels;  /* the channels array when it is one, else NULL */
    const json_t *probes;    /* the probes array when it is one, else NULL */
};

void pv_path(char *out, const char *base, const char *key);
void pv_index(char *out, const char *base, size_t i);

/* Child object (checked against known, NULL-terminated; known == NULL skips). */
const json_t *pv_object(const json_t *parent, const char *base, const char *key, int required,
                        const char *const *known, char *path, struct problems *p);
/* Child array with at most max items. */
const json_t *pv_array(const json_t *parent, const char *base, const char *key, int required,
                       size_t max, char *path, struct problems *p);
/* Element i of arr as an object checked against known; path set to base/i. */
const json_t *pv_item_object(const json_t *arr, size_t i, const char *base,
                             const char *const *known, char *path, struct problems *p);
const char *pv_string(const json_t *obj, const char *base, const char *key, int required,
                      size_t max_len, struct problems *p);
/* Non-empty string from values; returns its index or -1. */
int pv_enum(const json_t *obj, const char *base, const char *key, int required,
            const char *const *values, struct problems *p);
int pv_int(const json_t *obj, const char *base, const char *key, int required, long long min,
           long long max, long long *out, struct problems *p);
int pv_bool(const json_t *obj, const char *base, const char *key, int required, int *out,
            struct problems *p);
/* An id: [a-z0-9][a-z0-9_.-]* up to PV_MAX_ID bytes. */
const char *pv_id(const json_t *obj, const char *base, const char *key, struct problems *p);
/* http(s) URL with a host and no spaces; a password in the user-info is
 * secret_in_clear. schemes: NULL-terminated allowed schemes. */
const char *pv_url(const json_t *obj, const char *base, const char *key, int required,
                   const char *const *schemes, struct problems *p);
/* {"secret_ref":{"env":NAME}} or {"secret_ref":{"file":"/abs/path"}}. A string
 * here is reported by the clear-secret scan, not again here. */
void pv_secret_ref(const json_t *obj, const char *base, const char *key, int required,
                   struct problems *p);
/* The {"secret_ref":{...}} member of holder (holder's other fields are the caller's). */
void pv_secret_source(const json_t *holder, const char *path, struct problems *p);
/* A known incident class: "format" when malformed, "reference" when unknown. */
const char *pv_class(const json_t *obj, const char *base, const char *key, int required,
                     struct problems *p);
/* Array of distinct strings, each checked by check (NULL = any non-empty). */
typedef int (*pv_string_check)(const char *s, const char *path, struct problems *p);
const json_t *pv_string_list(const json_t *parent, const char *base, const char *key,
                             int required, size_t max_items, size_t max_len,
                             pv_string_check check, struct problems *p);
/* Kubernetes names: DNS-1123 label (namespaces) and subdomain (object names). */
int pv_dns_label(const char *s);
int pv_dns_subdomain(const char *s);
int pv_well_formed_id(const char *s);

extern const char *const pv_severities[]; /* critical high warning info */

/* Sections, one validator each (policy_validate.c calls them in document order). */
void pv_automation(const json_t *doc, struct pv_ctx *c);
void pv_allowlists(const json_t *doc, struct pv_ctx *c);
void pv_channels(const json_t *doc, struct pv_ctx *c);
void pv_routing(const json_t *doc, struct pv_ctx *c);
void pv_detector_rules(const json_t *doc, struct pv_ctx *c);
void pv_probes(const json_t *doc, struct pv_ctx *c);
void pv_retention(const json_t *doc, struct pv_ctx *c); /* policy_retention.c */
void pv_log_sources(const json_t *doc, struct pv_ctx *c);
void pv_mcp_servers(const json_t *doc, struct pv_ctx *c);
void pv_agent_runtime(const json_t *doc, struct pv_ctx *c);
void pv_playbooks(const json_t *doc, struct pv_ctx *c);
void pv_verify_seconds(const json_t *automation, const char *base, struct pv_ctx *c);
/* The default document's `playbooks` and `automation.verify_seconds`. */
json_t *policy_playbooks_json(void);
json_t *policy_verify_seconds_json(void);
/* Walks the whole document for string values under secret-like names. */
void pv_clear_secrets(const json_t *node, const char *path, struct problems *p);

json_t *policy_builtin_rule_json(const struct builtin_rule *r);


/* The kubernetes section (policy_kube.c). */
void pv_kubernetes(const json_t *doc, struct pv_ctx *c);

#endif
