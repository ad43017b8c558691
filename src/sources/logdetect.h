/* The log detector half of the line sources (logfile.c follows files,
 * journal.c reads the systemd journal): runs the log signatures over chunks
 * of whole lines, counts matches per (rule, correlation key) in their windows,
 * and emits a finding with a log_excerpt when a window reaches its rule's
 * threshold, and a resolved finding when it has emptied.
 *
 *   logdetect_begin(d, now_ms, sink);                 // once per cycle
 *   logdetect_scan(d, "/var/log/app.log", buf, len, offset);  // per chunk
 *   logdetect_end(d);                                 // expiry, counters
 */
#ifndef SREBOT_SOURCES_LOGDETECT_H
#define SREBOT_SOURCES_LOGDETECT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"

struct logdetect;

/* From the instance's config: "context_lines"? (0-10, 2), "max_keys"?
 * (1-1000000, 4096), "rules"? or "detector_rules"? (own rules; default: the
 * rules in force in deps->rules). id labels the findings and the metrics. */
int logdetect_create(const char *id, const json_t *config, const struct source_deps *deps,
                     struct logdetect **out, char *err, size_t errlen);
void logdetect_destroy(struct logdetect *d); /* accepts NULL */

void logdetect_begin(struct logdetect *d, int64_t now_ms, const struct finding_sink *sink);
/* origin: what the lines come from (a file path, "journal:unit.service"): it
 * is in the summary, the evidence and {file} of key templates. base: the
 * offset of buf in that origin (evidence only). */
void logdetect_scan(struct logdetect *d, const char *origin, const char *buf, size_t len,
                    uint64_t base);
void logdetect_end(struct logdetect *d);

/* Reads an optional integer of config into *out (def when absent); -1 with
 * "/key: must be an integer between min and max" in err. */
int logdetect_config_uint(const json_t *config, const char *key, long long min, long long max,
                          long long def, long long *out, char *err, size_t errlen);

#endif
