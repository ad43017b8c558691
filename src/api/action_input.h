/* Parsers of the remediation API's request bodies (outside input: bounded in
 * size and depth, every problem with its JSON path; fuzzed in tests/fuzz). */
#ifndef SREBOT_API_ACTION_INPUT_H
#define SREBOT_API_ACTION_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/problems.h"

#define DECISION_BODY_MAX 8192
#define DECISION_REASON_MAX 512

/* POST /approvals/{id}/approve | reject: {"reason": "..."}; the reason is
 * required for a rejection. An empty body is an approve without reason. */
struct decision_body {
    char reason[DECISION_REASON_MAX + 1];
};
/* From a parsed document (the handler's http_req_json). 0, or -1 with problems. */
int decision_body_from_json(json_t *doc, int reason_required, struct decision_body *out,
                            struct problems *p);
/* From raw bytes (bounded). 0 on success; -1 with every problem in p. */
int decision_body_parse(const char *buf, size_t len, int reason_required,
                        struct decision_body *out, struct problems *p);

/* POST /policy/simulate: {"policy": {...}, "since": RFC 3339, "until"?: RFC 3339}.
 * until defaults to now_ms. policy is borrowed from doc. */
#define SIMULATE_BODY_MAX (600u * 1024u)
struct simulate_body {
    const json_t *policy;
    int64_t since_ms, until_ms;
};
int simulate_body_from_json(json_t *doc, int64_t now_ms, struct simulate_body *out,
                            struct problems *p);
/* From raw bytes (bounded; the fuzz target's entry). *doc_out keeps the parsed
 * document alive for out->policy (json_decref it); NULL on failure. */
int simulate_body_parse(const char *buf, size_t len, int64_t now_ms, struct simulate_body *out,
                        json_t **doc_out, struct problems *p);

#endif
