/* Evidence: a typed, bounded, hashed piece of support for an incident.
 *
 *   {"type": "probe_result|log_excerpt|metric_snapshot|k8s_object|investigation|
 *             operator_note", "summary": "<= 512 bytes", "data": any JSON <= 16 KiB}
 *
 * The data is kept as compact JSON text with sorted keys, so equal content has
 * equal bytes and the same hash: sha256(type "\n" summary "\n" data), hex.
 */
#ifndef SREBOT_CORE_EVIDENCE_H
#define SREBOT_CORE_EVIDENCE_H

#include <jansson.h>
#include <stddef.h>

#include "core/problems.h"
#include "util/crypto.h"

#define EVIDENCE_SUMMARY_MAX 512
#define EVIDENCE_DATA_MAX 16384 /* bytes of compact JSON */

enum evidence_type {
    EV_PROBE_RESULT = 0,
    EV_LOG_EXCERPT,
    EV_METRIC_SNAPSHOT,
    EV_K8S_OBJECT,
    EV_INVESTIGATION,
    EV_OPERATOR_NOTE,
    EV__COUNT
};
const char *evidence_type_name(enum evidence_type t);
int evidence_type_parse(const char *s, enum evidence_type *out); /* 0 when known */

struct evidence {
    enum evidence_type type;
    char summary[EVIDENCE_SUMMARY_MAX + 1];
    char *data;      /* compact JSON text, owned; "null" when absent */
    size_t data_len;
    char hash[SHA256_HEX_LEN];
};

/* Validates one evidence object at `base`; 0 on success (out owns data), -1 with
 * problems otherwise. */
int evidence_from_json(json_t *obj, const char *base, struct evidence *out, struct problems *p);
/* Fills the hash from type, summary and data. */
void evidence_hash(struct evidence *e);
json_t *evidence_to_json(const struct evidence *e); /* {"type","summary","data","hash"} */
void evidence_clear(struct evidence *e);

#endif
