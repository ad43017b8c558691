/* The sink of `serve`: findings from the sources go straight into the ledger's
 * in-process ingest (the same path as POST /api/v1/findings), one durable
 * group-committed write per finding, on the source's worker thread. */
#ifndef SREBOT_SOURCES_LEDGER_SINK_H
#define SREBOT_SOURCES_LEDGER_SINK_H

#include <jansson.h>

#include "sources/source.h"

struct ledger;

/* emit for struct finding_sink with ctx = the struct ledger. When the store is
 * busy it retries three times (0.1, 0.2, 0.4 s), then drops and logs; a finding
 * the ledger refuses as invalid is logged with the first problem. */
void sources_ledger_emit(void *ctx, json_t *finding);

static inline struct finding_sink sources_ledger_sink(struct ledger *l)
{
    struct finding_sink s = {sources_ledger_emit, l};
    return s;
}

#endif
