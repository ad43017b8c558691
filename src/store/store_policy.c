/* Policy versions, backend-neutral: bounds and the optimistic-concurrency rule.
 * The check and the insert run in the writer's transaction, so two writers with
 * the same expected version can never both succeed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"

#define POLICY_DOC_MAX (1u << 20)

void policy_version_rec_clear(struct policy_version_rec *r)
{
    if (!r)
        return;
    free(r->document);
    r->document = NULL;
}

enum store_status store_policy_insert(struct store_conn *c, int64_t expected_current,
                                      const char *author, int64_t created_at_ms,
                                      const char *document_json, int64_t *new_version)
{
    if (c->readonly) {
        snprintf(c->err, sizeof c->err, "write on a read connection");
        return STORE_INVALID;
    }
    struct policy_version_rec r;
    memset(&r, 0, sizeof r);
    size_t alen = author ? strnlen(author, sizeof r.author) : 0;
    if (alen == 0 || alen >= sizeof r.author) {
        snprintf(c->err, sizeof c->err, "policy author must be 1 to %zu bytes",
                 sizeof r.author - 1);
        return STORE_INVALID;
    }
    if (!document_json || strnlen(document_json, POLICY_DOC_MAX + 1) > POLICY_DOC_MAX) {
        snprintf(c->err, sizeof c->err, "policy document must be at most %u bytes",
                 POLICY_DOC_MAX);
        return STORE_INVALID;
    }
    int64_t current = 0;
    enum store_status st = c->ops->policy->current_version(c, &current);
    if (st != STORE_OK)
        return st;
    if (current != expected_current) {
        snprintf(c->err, sizeof c->err, "policy is at version %lld, not %lld",
                 (long long)current, (long long)expected_current);
        return STORE_CONFLICT;
    }
    r.version = current + 1;
    memcpy(r.author, author, alen);
    r.created_at_ms = created_at_ms;
    r.document = (char *)document_json;
    st = c->ops->policy->insert(c, &r);
    if (st == STORE_OK)
        *new_version = r.version;
    return st;
}

enum store_status store_policy_current_version(struct store_conn *c, int64_t *version)
{
    return c->ops->policy->current_version(c, version);
}

enum store_status store_policy_current(struct store_conn *c, struct policy_version_rec *out)
{
    return c->ops->policy->get(c, 0, out);
}

enum store_status store_policy_get(struct store_conn *c, int64_t version,
                                   struct policy_version_rec *out)
{
    if (version < 1)
        return STORE_NOT_FOUND;
    return c->ops->policy->get(c, version, out);
}

enum store_status store_policy_list(struct store_conn *c, int64_t before, unsigned limit,
                                    int (*fn)(const struct policy_version_rec *r, void *ud),
                                    void *ud)
{
    return c->ops->policy->list(c, before, limit, fn, ud);
}
