#include "ledger/audit_view.h"

#include <string.h>

#include "core/audit.h"
#include "util/timeutil.h"

struct page {
    json_t *items;
    int64_t last_seq;
};

static int add_record(const struct audit_record *r, void *ud)
{
    struct page *pg = ud;
    char at[32];
    time_format_rfc3339(r->at_ms, at, sizeof at);
    json_error_t jerr;
    json_t *detail = r->detail && *r->detail ? json_loads(r->detail, 0, &jerr) : NULL;
    json_array_append_new(pg->items,
                          json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "seq", (json_int_t)r->seq,
                                    "at", at, "actor", r->actor ? r->actor : "", "action",
                                    r->action ? r->action : "", "subject",
                                    r->subject ? r->subject : "", "detail",
                                    detail ? detail : json_null()));
    pg->last_seq = r->seq;
    return 0;
}

enum svc_status audit_page(struct store *s, const struct audit_filter *f, unsigned limit,
                           json_t **items, int64_t *next_before)
{
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    struct page pg = {json_array(), 0};
    st = store_audit_query(c, f, limit, add_record, &pg);
    store_read_release(s, c);
    if (st != STORE_OK) {
        json_decref(pg.items);
        return svc_from_store(st);
    }
    *next_before = json_array_size(pg.items) == limit && pg.last_seq > 1 ? pg.last_seq : 0;
    *items = pg.items;
    return SVC_OK;
}

enum svc_status audit_check(struct store *s, json_t **out)
{
    struct store_conn *c = NULL;
    enum store_status st = store_read_acquire(s, &c);
    if (st != STORE_OK)
        return svc_from_store(st);
    int64_t broken = 0, checked = 0;
    char reason[256] = "";
    st = store_audit_verify(c, &broken, &checked, reason, sizeof reason);
    store_read_release(s, c);
    if (st != STORE_OK)
        return svc_from_store(st);
    *out = json_pack("{s:b, s:I, s:o, s:s}", "intact", broken == 0, "checked",
                     (json_int_t)checked, "broken_seq",
                     broken ? json_integer(broken) : json_null(), "reason", reason);
    return SVC_OK;
}
