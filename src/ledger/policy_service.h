/* The policy service: validate -> store a new version through the group-commit
 * writer -> audit in the same transaction. Handlers (src/api/policy.c), the CLI
 * path and start-up seeding all go through here; nothing else writes policy
 * versions. Readers that need the policy (sources, evaluator, alertmanager
 * receiver) call policy_service_current_doc() and compare versions to notice a
 * change without a restart.
 *
 * Stateless: every call takes the store; safe from any thread. */
#ifndef SREBOT_LEDGER_POLICY_SERVICE_H
#define SREBOT_LEDGER_POLICY_SERVICE_H

#include <jansson.h>
#include <stdint.h>

#include "core/config.h"
#include "core/problems.h"
#include "ledger/status.h"
#include "store/store.h"

/* Validates doc and stores it as version expected_version + 1 (expected 0 = the
 * first version), with an audit record "policy.updated" by author. A document
 * equal to the current version expected_version is not saved again: SVC_OK
 * with *out_version = expected_version.
 *   SVC_OK          *out_version set
 *   SVC_INVALID     the document has problems (all of them in p); nothing saved
 *   SVC_CONFLICT    the current version is not expected_version (stale If-Match)
 *   SVC_BUSY / SVC_INTERNAL from the store (message in err) */
enum svc_status policy_service_put(struct store *s, const json_t *doc, int64_t expected_version,
                                   const char *author, struct problems *p, int64_t *out_version,
                                   char *err, size_t errlen);

/* Version n (0 = the current one) with its document: SVC_NOT_FOUND when absent.
 * Clear out with policy_version_rec_clear(). */
enum svc_status policy_service_get(struct store *s, int64_t version,
                                   struct policy_version_rec *out);

/* {"version","author","created_at","document"} of a stored version; the document
 * passes through policy_redact(). NULL when the stored text is not JSON. */
json_t *policy_version_to_json(const struct policy_version_rec *r, int with_document);

/* Versions newest first, as a JSON array of {"version","author","created_at"}:
 * at most limit, below `before` (0 = from the newest). */
enum svc_status policy_service_list(struct store *s, int64_t before, unsigned limit,
                                    json_t **out);

/* The current version number only (0 = none): a cheap poll for readers that
 * reload the document when it changes. */
enum svc_status policy_service_current_version(struct store *s, int64_t *version);

/* The current document (new reference) and its version; NULL with *version = 0
 * when there is none or the store failed. */
json_t *policy_service_current_doc(struct store *s, int64_t *version);
/* The same, but only when the current version is not `known`: NULL when it is
 * unchanged (or none is saved, or the store failed). One version lookup otherwise. */
json_t *policy_service_doc_if_newer(struct store *s, int64_t known, int64_t *version);

/* The default document of a posture, as seeding saves it (agent runtime from
 * cfg, thresholds from their IF_SRE_* variables): a new reference, NULL only
 * when out of memory. */
json_t *policy_service_defaults(const struct config *cfg, enum environment posture);

/* First-run seeding (IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS): when no version
 * exists, saves the defaults of cfg's posture (agent runtime from cfg, thresholds
 * from their IF_SRE_* variables in the environment) as version 1 by author
 * "bootstrap". Never overwrites: with any version present it does nothing, so a
 * restart keeps an operator's edits and seeding twice yields one version.
 * Returns 1 when it saved version 1, 0 when a policy already existed, -1 on
 * failure (a bad threshold value in the environment, the store) with the reason in err. */
int policy_seed_defaults(struct store *s, const struct config *cfg, char *err, size_t errlen);

#endif
