/* Reading the audit log (the write side is store_audit_append, next to each
 * change): pages of records for the console's audit viewer and the API, and
 * the chain's verification. */
#ifndef SREBOT_LEDGER_AUDIT_VIEW_H
#define SREBOT_LEDGER_AUDIT_VIEW_H

#include <jansson.h>
#include <stdint.h>

#include "ledger/status.h"
#include "store/store.h"

/* Up to limit (1..500) records matching f, newest first, as a JSON array of
 * {"seq","at","actor","action","subject","detail"} (detail parsed back into
 * JSON). *next_before: the seq to continue below (0 when this was the end). */
enum svc_status audit_page(struct store *s, const struct audit_filter *f, unsigned limit,
                           json_t **items, int64_t *next_before);

/* Walks the whole chain: {"intact","checked","broken_seq","reason"}. */
enum svc_status audit_check(struct store *s, json_t **out);

#endif
