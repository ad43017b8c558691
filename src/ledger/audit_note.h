/* An audit record on its own, for refusals that change nothing else: a chat
 * user who is not mapped to an operator pressed a button, a callback failed
 * its signature check. Everything that changes state writes its audit record
 * in its own transaction (ledger.h, actions.h); this is only for the "someone
 * tried and was turned away" trail. */
#ifndef SREBOT_LEDGER_AUDIT_NOTE_H
#define SREBOT_LEDGER_AUDIT_NOTE_H

#include "ledger/status.h"

struct ledger;

/* Appends one record (actor, action, subject: at most 256 bytes each;
 * detail_json: JSON text or NULL). Waits until it is durable. */
enum svc_status ledger_audit_note(struct ledger *l, const char *actor, const char *action,
                                  const char *subject, const char *detail_json);

#endif
