/* Retention: how long findings and resolved incidents are kept (the policy's
 * `retention` section, docs/policy.md#retention), and when the nightly prune
 * runs. Pure: the ledger's prune job (src/ledger/retention.c) acts on it. */
#ifndef SREBOT_CORE_RETENTION_H
#define SREBOT_CORE_RETENTION_H

#include <jansson.h>
#include <stdint.h>

#include "core/config.h"

#define RETENTION_MAX_DAYS 3650
#define RETENTION_MIN_BATCH 100
#define RETENTION_MAX_BATCH 50000

struct retention_policy {
    int enabled;                 /* 0: the policy has no retention section (keep everything) */
    int findings_days;           /* findings received longer ago are deleted */
    int resolved_incidents_days; /* incidents resolved longer ago go, with their records */
    int prune_minute;            /* minute of the UTC day the prune runs (0..1439) */
    int batch_size;              /* rows of each kind per transaction */
};

/* The posture's defaults as the policy section (seeded with the policy). */
json_t *retention_defaults_json(enum environment env);
/* Reads the policy document's section; enabled = 0 when it has none. The
 * document is assumed valid (policy_validate checked it). */
void retention_from_policy(const json_t *doc, struct retention_policy *out);
/* Parses "HH:MM" (24 h) into minutes of the day; -1 when malformed. */
int retention_parse_time(const char *s);
/* The first time strictly after after_ms at which the UTC clock reads
 * prune_minute (ms since the epoch). */
int64_t retention_next_run_ms(int64_t after_ms, int prune_minute);

#endif
