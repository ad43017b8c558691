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
    enum store_status st = STORE_ERROR;
    struct problems p;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (attempt > 0) {
            struct timespec ts = {0, 100000000L << (attempt - 1)};
            nanosleep(&ts, NULL);
        }
        problems_init(&p);
        json_t *answer = NULL;
        st = ledger_ingest_doc(l, finding, actor, &answer, &p);
        json_decref(answer);
        if (st != STORE_BUSY)
            break;
    }
    if (st == STORE_INVALID)
        log_error("sources", "the ledger refused a finding of %s: %s %s", actor,
                  p.count ? p.items[0].path : "", p.count ? p.items[0].message : "");
    else if (st != STORE_OK)
        log_error("sources", "a finding of %s was not ingested (store status %d)", actor,
                  (int)st);
    json_decref(finding);
}
