/* Findings: the normalized unit every signal becomes (docs/findings.md).
 *
 *   {"id"?, "source", "class", "correlation_key", "severity", "status",
 *    "summary", "observed_at"?, "attributes"?, "evidence"?}
 *
 * Parsing is total and bounded: every problem of a document is reported with
 * its JSON Pointer path; nothing is accepted partially. A parsed finding owns
 * its attributes text and evidence array (finding_clear releases them).
 */
#ifndef SREBOT_CORE_FINDING_H
#define SREBOT_CORE_FINDING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evidence.h"
#include "core/problems.h"

#define FINDING_ID_MAX 128
#define FINDING_SOURCE_MAX 64
#define FINDING_CLASS_MAX 96
#define FINDING_KEY_MAX 256
#define FINDING_SUMMARY_MAX 512
#define FINDING_ATTRS_MAX 64          /* keys per attributes object */
#define FINDING_ATTR_KEY_MAX 64
#define FINDING_ATTR_VALUE_MAX 1024   /* string values */
#define FINDING_EVIDENCE_MAX 16       /* evidence items per finding */
#define FINDINGS_BATCH_MAX 1000       /* findings per request */

enum severity { SEV_INFO = 0, SEV_WARNING = 1, SEV_HIGH = 2, SEV_CRITICAL = 3 };
const char *severity_name(enum severity s);
int severity_parse(const char *s, enum severity *out); /* 0 when known */

enum finding_status { FINDING_FIRING = 0, FINDING_RESOLVED = 1 };
const char *finding_status_name(enum finding_status s);

struct finding {
    char id[FINDING_ID_MAX + 1];      /* "" when the sender gave none (the ledger assigns one) */
    char source[FINDING_SOURCE_MAX + 1];
    char class_[FINDING_CLASS_MAX + 1];
    char correlation_key[FINDING_KEY_MAX + 1];
    enum severity severity;
    enum finding_status status;
    char summary[FINDING_SUMMARY_MAX + 1];
    int64_t observed_at_ms;           /* the sender's time, or now when absent */
    char *attributes;                 /* compact JSON object text (sorted keys), or NULL */
    struct evidence *evidence;        /* nevidence items, owned */
    size_t nevidence;
};

struct finding_batch {
    struct finding *items;
    size_t count;
};

/* Validates one finding object at JSON Pointer `base` ("" or "/3"). On success
 * fills *out (which the caller later passes to finding_clear) and returns 0;
 * otherwise adds problems and returns -1 leaving *out cleared. */
int finding_from_json(json_t *obj, const char *base, int64_t now_ms, struct finding *out,
                      struct problems *p);

/* A document that is one finding object or an array of 1..FINDINGS_BATCH_MAX of them.
 * On success *out owns the findings (finding_batch_clear); on failure nothing is kept
 * and every problem is in p (paths "/2/severity" for arrays, "/severity" for one). */
int findings_from_json(json_t *doc, int64_t now_ms, struct finding_batch *out,
                       struct problems *p);
/* The same from raw bytes (bounded by max_bytes and nesting depth). */
int findings_parse(const char *buf, size_t len, size_t max_bytes, int64_t now_ms,
                   struct finding_batch *out, struct problems *p);

/* The wire form of a finding (as accepted, with observed_at filled in). */
json_t *finding_to_json(const struct finding *f);

void finding_clear(struct finding *f);
void finding_batch_clear(struct finding_batch *b);

/* Character rules shared with other producers of findings (alertmanager.c). */
int finding_id_valid(const char *s);     /* [A-Za-z0-9._:@/+=-], 1..128 */
int finding_source_valid(const char *s); /* [A-Za-z0-9._:/-], 1..64 */
int finding_text_valid(const char *s);   /* no control characters */

#endif
