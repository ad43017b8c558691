/* Building findings in the wire format of docs/findings.md, for source adapters.
 *
 *   json_t *f = finding_new("probe:db", "runtime_services.runtime_dependency_outage",
 *                           "db:5432", "critical", 1, "db:5432 refuses connections", now_ms);
 *   finding_evidence(f, "probe_result", "tcp connect failed", data);   // data stolen
 *   sink->emit(sink->ctx, f);
 *
 * The id is derived from (source, class, key, status, observed_at), so a finding
 * delivered twice (a retry after a lost answer) is one finding to the ledger.
 */
#ifndef SREBOT_SOURCES_FINDING_H
#define SREBOT_SOURCES_FINDING_H

#include <jansson.h>
#include <stdint.h>

/* Strings longer than the wire limits are cut (source 64, key 256, summary 512).
 * Returns NULL only when out of memory. */
json_t *finding_new(const char *source, const char *cls, const char *key, const char *severity,
                    int firing, const char *summary, int64_t observed_ms);
/* Appends an evidence item; data is stolen (may be NULL for {}). */
void finding_evidence(json_t *finding, const char *type, const char *summary, json_t *data);
/* Sets attributes[name]; value is stolen (string, number or bool). */
void finding_attr(json_t *finding, const char *name, json_t *value);

#endif
