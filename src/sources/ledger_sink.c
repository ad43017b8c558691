#include "sources/ledger_sink.h"

#include <time.h>

#include "ledger/ledger.h"
#include "util/log.h"

void sources_ledger_emit(void *ctx, json_t *finding)
{
    struct ledger *l = ctx;
    const char *src = json_string_value(json_object_get(finding, "source"));
    char actor[96];
    snprintf(actor, sizeof actor, "source:%s", src ? src : "?");
    enum svc_status st = SVC_INTERNAL;
    struct problems *p = problems_create();
    for (int attempt = 0; p && attempt < 4; attempt++) {
        if (attempt > 0) {
            struct timespec ts = {0, 100000000L << (attempt - 1)};
            nanosleep(&ts, NULL);
        }
        problems_init(p);
        json_t *answer = NULL;
        st = ledger_ingest_doc(l, finding, actor, &answer, p);
        json_decref(answer);
        if (st != SVC_BUSY)
            break;
    }
    if (st == SVC_INVALID)
        log_error("sources", "the ledger refused a finding of %s: %s %s", actor,
                  p->count ? p->items[0].path : "", p->count ? p->items[0].message : "");
    else if (st != SVC_OK)
        log_error("sources", "a finding of %s was not ingested: %s", actor, svc_status_text(st));
    problems_destroy(p);
    json_decref(finding);
}
