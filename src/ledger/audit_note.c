#include "ledger/audit_note.h"

#include <string.h>

#include "ledger/ledger_int.h"
#include "store/store.h"

struct note_op {
    struct store_write w;
    const char *actor, *action, *subject, *detail;
};

static enum store_status note_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct note_op *op = (struct note_op *)w[i];
        enum store_status st =
            store_audit_append(c, op->actor, op->action, op->subject, op->detail);
        if (st != STORE_OK)
            return st;
        op->w.status = STORE_OK;
    }
    return STORE_OK;
}

enum svc_status ledger_audit_note(struct ledger *l, const char *actor, const char *action,
                                  const char *subject, const char *detail_json)
{
    struct note_op op;
    memset(&op, 0, sizeof op);
    op.w.apply = note_apply;
    op.actor = actor;
    op.action = action;
    op.subject = subject;
    op.detail = detail_json;
    return svc_from_store(store_write_wait(l->store, &op.w));
}
