/* The policy service (see policy_service.h). */
#include "ledger/policy_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/timeutil.h"

struct policy_put_op {
    struct store_write w; /* first: the writer hands us struct store_write * */
    int64_t expected;
    const char *author;
    const char *action; /* audit action: policy.updated | policy.seeded */
    int64_t now_ms;
    const char *text;
    int64_t new_version;
};

static enum store_status put_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct policy_put_op *op = (struct policy_put_op *)w[i];
        int64_t version = 0;
        enum store_status st = store_policy_insert(c, op->expected, op->author, op->now_ms,
                                                   op->text, &version);
        if (st != STORE_OK)
            return st;
        /* The audit record carries the document's hash, not the document: the
         * version row is the content, the chain proves it was not swapped. */
        char hex[SHA256_HEX_LEN], subject[48], detail[192];
        crypto_sha256_hex(op->text, strlen(op->text), hex);
        snprintf(subject, sizeof subject, "policy/%lld", (long long)version);
        snprintf(detail, sizeof detail,
                 "{\"version\":%lld,\"previous_version\":%lld,\"sha256\":\"%s\"}",
                 (long long)version, (long long)op->expected, hex);
        st = store_audit_append(c, op->author, op->action, subject, detail);
        if (st != STORE_OK)
            return st;
        op->new_version = version;
    }
    return STORE_OK;
}

static enum svc_status put_text(struct store *s, const char *text, int64_t expected,
                                const char *author, const char *action, int64_t *out_version,
                                char *err, size_t errlen)
{
    struct policy_put_op op;
    memset(&op, 0, sizeof op);
    op.w.apply = put_apply;
    op.expected = expected;
    op.author = author;
    op.action = action;
    op.now_ms = time_now_ms();
    op.text = text;
    enum store_status st = store_write_wait(s, &op.w);
    if (st == STORE_OK)
        *out_version = op.new_version;
    else
        snprintf(err, errlen, "%s", op.w.err[0] ? op.w.err : store_status_name(st));
    return svc_from_store(st);
}

/* 1 when version `expected` is the current one and holds doc already: saving
 * it again would add a version that changes nothing. */
static int same_as_current(struct store *s, const json_t *doc, int64_t expected)
{
    struct policy_version_rec r;
    if (policy_service_get(s, 0, &r) != SVC_OK)
        return 0;
    int same = 0;
    if (r.version == expected && r.document) {
        json_error_t jerr;
        json_t *saved = json_loads(r.document, 0, &jerr);
        same = saved && json_equal(saved, doc);
        json_decref(saved);
    }
    policy_version_rec_clear(&r);
    return same;
}

enum svc_status policy_service_put(struct store *s, const json_t *doc, int64_t expected_version,
                                   const char *author, struct problems *p, int64_t *out_version,
                                   char *err, size_t errlen)
{
    if (policy_validate(doc, p) != 0) {
        snprintf(err, errlen, "the policy has %zu problem(s)", p->count);
        return SVC_INVALID;
    }
    if (expected_version > 0 && same_as_current(s, doc, expected_version)) {
        *out_version = expected_version;
        return SVC_OK;
    }
    char *text = json_dumps(doc, JSON_COMPACT);
    if (!text) {
        snprintf(err, errlen, "out of memory");
        return SVC_INTERNAL;
    }
    enum svc_status st =
        put_text(s, text, expected_version, author, "policy.updated", out_version, err, errlen);
    free(text);
    if (st == SVC_OK)
        log_info("policy", "version %lld saved by %s", (long long)*out_version, author);
    return st;
}

enum svc_status policy_service_get(struct store *s, int64_t version,
                                   struct policy_version_rec *out)
{
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    st = version == 0 ? store_policy_current(c, out) : store_policy_get(c, version, out);
    store_read_release(s, c);
    return svc_from_store(st);
}

json_t *policy_version_to_json(const struct policy_version_rec *r, int with_document)
{
    char at[32];
    time_format_rfc3339(r->created_at_ms, at, sizeof at);
    json_t *o = json_pack("{s:I, s:s, s:s}", "version", (json_int_t)r->version, "author",
                          r->author, "created_at", at);
    if (!o || !with_document)
        return o;
    json_error_t jerr;
    json_t *doc = r->document ? json_loads(r->document, 0, &jerr) : NULL;
    if (!doc) {
        json_decref(o);
        return NULL;
    }
    json_object_set_new(o, "document", policy_redact(doc));
    json_decref(doc);
    return o;
}

struct list_ctx {
    json_t *items;
};

static int list_one(const struct policy_version_rec *r, void *ud)
{
    struct list_ctx *lc = ud;
    json_array_append_new(lc->items, policy_version_to_json(r, 0));
    return 0;
}

enum svc_status policy_service_list(struct store *s, int64_t before, unsigned limit,
                                    json_t **out)
{
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    struct list_ctx lc = {json_array()};
    st = store_policy_list(c, before, limit, list_one, &lc);
    store_read_release(s, c);
    if (st == STORE_OK)
        *out = lc.items;
    else
        json_decref(lc.items);
    return svc_from_store(st);
}

enum svc_status policy_service_current_version(struct store *s, int64_t *version)
{
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    int64_t v = 0;
    st = store_policy_current_version(c, &v);
    store_read_release(s, c);
    if (st == STORE_OK)
        *version = v;
    return svc_from_store(st);
}

json_t *policy_service_current_doc(struct store *s, int64_t *version)
{
    struct policy_version_rec r;
    *version = 0;
    if (policy_service_get(s, 0, &r) != SVC_OK)
        return NULL;
    json_error_t jerr;
    json_t *doc = json_loads(r.document, 0, &jerr);
    if (doc)
        *version = r.version;
    policy_version_rec_clear(&r);
    return doc;
}

json_t *policy_service_doc_if_newer(struct store *s, int64_t known, int64_t *version)
{
    int64_t current = 0;
    if (policy_service_current_version(s, &current) != SVC_OK || current == 0 ||
        current == known)
        return NULL;
    return policy_service_current_doc(s, version);
}

static const char *process_getenv(const char *name)
{
    return getenv(name);
}

json_t *policy_service_defaults(const struct config *cfg, enum environment posture)
{
    struct policy_seed seed = {.posture = posture,
                               .agent_base_url = cfg->agent_base_url,
                               .agent_model = cfg->agent_model,
                               .getenv_fn = process_getenv};
    return policy_defaults(&seed);
}

int policy_seed_defaults(struct store *s, const struct config *cfg, char *err, size_t errlen)
{
    int64_t current = 0;
    enum svc_status st = policy_service_current_version(s, &current);
    if (st != SVC_OK) {
        snprintf(err, errlen, "policy seeding: %s", svc_status_text(st));
        return -1;
    }
    if (current > 0)
        return 0;

    json_t *doc = policy_service_defaults(cfg, cfg->environment);
    struct problems *p = problems_create();
    int rc = -1;
    char *text = NULL;
    if (!doc || !p) {
        snprintf(err, errlen, "policy seeding: out of memory");
        goto out;
    }
    if (policy_validate(doc, p) != 0) {
        /* Name the setting when the bad value came from the environment. */
        const char *setting = "";
        for (const struct policy_threshold *t = policy_thresholds; t->name; t++) {
            char tp[PROBLEM_PATH_MAX];
            snprintf(tp, sizeof tp, "/thresholds/%s", t->name);
            if (strcmp(tp, p->items[0].path) == 0)
                setting = t->env;
        }
        snprintf(err, errlen, "policy seeding: %s%s%s: %s", setting, *setting ? " " : "",
                 p->items[0].path, p->items[0].message);
        goto out;
    }
    text = json_dumps(doc, JSON_COMPACT);
    if (!text) {
        snprintf(err, errlen, "policy seeding: out of memory");
        goto out;
    }
    int64_t version = 0;
    char why[200];
    /* expected 0: if anyone saved a version since the check above, this
     * conflicts and the existing policy wins. */
    st = put_text(s, text, 0, "bootstrap", "policy.seeded", &version, why, sizeof why);
    if (st == SVC_CONFLICT) {
        rc = 0;
    } else if (st != SVC_OK) {
        snprintf(err, errlen, "policy seeding: %s", why);
    } else {
        log_info("policy", "seeded %s defaults as version %lld",
                 policy_posture_name(cfg->environment), (long long)version);
        rc = 1;
    }
out:
    free(text);
    problems_destroy(p);
    json_decref(doc);
    return rc;
}
