/* The audit chain, backend-neutral: append computes the next link from the
 * head inside the caller's write transaction; verify walks every row in one
 * read snapshot (so a concurrent append cannot look like tampering). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "store/backend.h"
#include "util/timeutil.h"

static int field_ok(struct store_conn *c, const char *name, const char *v)
{
    if (v && strnlen(v, AUDIT_FIELD_MAX + 1) <= AUDIT_FIELD_MAX)
        return 1;
    snprintf(c->err, sizeof c->err, "audit %s must be present and at most %d bytes", name,
             AUDIT_FIELD_MAX);
    return 0;
}

enum store_status store_audit_append(struct store_conn *c, const char *actor, const char *action,
                                     const char *subject, const char *detail_json)
{
    if (c->readonly) {
        snprintf(c->err, sizeof c->err, "write on a read connection");
        return STORE_INVALID;
    }
    if (!field_ok(c, "actor", actor) || !field_ok(c, "action", action) ||
        !field_ok(c, "subject", subject))
        return STORE_INVALID;
    if (detail_json) {
        size_t n = strnlen(detail_json, AUDIT_DETAIL_MAX + 1);
        json_error_t jerr;
        json_t *j = n <= AUDIT_DETAIL_MAX
                        ? json_loadb(detail_json, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr)
                        : NULL;
        if (!j) {
            snprintf(c->err, sizeof c->err, "audit detail must be JSON text of at most %d bytes",
                     AUDIT_DETAIL_MAX);
            return STORE_INVALID;
        }
        json_decref(j);
    }
    struct audit_record r;
    memset(&r, 0, sizeof r);
    int64_t head = 0;
    enum store_status st = c->ops->audit->head(c, &head, r.prev_hash);
    if (st != STORE_OK)
        return st;
    r.seq = head + 1;
    r.at_ms = time_now_ms();
    r.actor = actor;
    r.action = action;
    r.subject = subject;
    r.detail = detail_json;
    if (audit_hash(&r, r.hash) != 0) {
        snprintf(c->err, sizeof c->err, "audit record could not be hashed");
        return STORE_ERROR;
    }
    return c->ops->audit->append(c, &r);
}

static int verify_row(const struct audit_record *r, void *ud)
{
    return !audit_verify_step(ud, r); /* stop at the first broken link */
}

enum store_status store_audit_verify(struct store_conn *c, int64_t *first_broken_seq,
                                     int64_t *checked, char *reason, size_t reasonlen)
{
    struct audit_verifier v;
    audit_verify_init(&v);
    enum store_status st = c->ops->snapshot_begin(c);
    if (st != STORE_OK)
        return st;
    int64_t head = 0;
    uint8_t head_hash[AUDIT_HASH_LEN];
    st = c->ops->audit->head(c, &head, head_hash);
    if (st == STORE_OK)
        st = c->ops->audit->scan(c, verify_row, &v);
    c->ops->snapshot_end(c);
    if (st != STORE_OK)
        return st;
    audit_verify_finish(&v, head, head_hash);
    *first_broken_seq = v.first_broken_seq;
    if (checked)
        *checked = v.checked;
    if (reason && reasonlen)
        snprintf(reason, reasonlen, "%s", v.first_broken_seq ? v.reason : "intact");
    return STORE_OK;
}

enum store_status store_audit_query(struct store_conn *c, const struct audit_filter *f,
                                    unsigned limit,
                                    int (*fn)(const struct audit_record *r, void *ud), void *ud)
{
    if (limit < 1 || limit > 500) {
        snprintf(c->err, sizeof c->err, "limit must be 1 to 500");
        return STORE_INVALID;
    }
    return c->ops->audit->query(c, f, limit, fn, ud);
}
