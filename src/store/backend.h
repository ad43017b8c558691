/* The private backend contract: what a store backend (sqlite now, postgres
 * later) provides. Nothing outside src/store/ includes this file.
 *
 * A backend hands out connections that embed `struct store_conn` as their first
 * member; the backend-neutral code (store.c: queue, writer, read pool; the
 * repository dispatch files) only ever calls through `ops`. Repositories come in
 * per-area tables (tokens, audit, ...): adding an area means one table struct
 * here, one pointer in store_backend_ops, one file per backend implementing it.
 *
 * Transactions on the writer connection, as the writer drives them:
 *   begin (exclusive write transaction) { savepoint ... release | rollback_to } commit
 * Savepoints are not nested: there is at most one open at a time.
 * Every op returns a store_status and, on failure, leaves a message in c->err.
 *
 * Serialization — the ledger's fold is correct only because of it:
 *   Ledger writes are applied by one writer at a time. The ledger's apply
 *   functions (src/ledger/ingest.c, ledger.c) read rows (incident_latest,
 *   finding_lookup, incident_get), fold findings into them in memory and write
 *   the result back: a read-modify-write of an incident's count, severity, state
 *   and times, and an "is this finding id new?" check. Two writers interleaving
 *   would lose counts, open two incidents for one identity, or accept one
 *   finding id twice. store.c runs every write through its single writer
 *   thread; a backend must also keep every other process from writing ledger
 *   rows while a write transaction is open. SQLite does so by construction
 *   (begin takes the database's write lock). A backend shared by several
 *   processes (PostgreSQL behind several replicas) must do it explicitly, e.g.
 *   begin takes a transaction-scoped lock that every writer takes
 *   (pg_advisory_xact_lock), or only the leader writes the ledger. SERIALIZABLE
 *   isolation alone is not enough: the writer does not retry a group on a
 *   serialization failure.
 *   The outbox follows from it: event sequence numbers become visible in
 *   order, so a reader that has seen seq n never later sees a new event with a
 *   smaller seq (the relay and the SSE stream follow a cursor). Sequences
 *   handed out by concurrent transactions would break this.
 *   Readers see only committed data.
 * tests/unit/test_ledger_contract.c checks all of this through the ledger
 * service, against the backend named by SREBOT_STORE_TEST_URL (SQLite in make
 * test), including concurrent ingest from several threads with exact counts.
 */
#ifndef SREBOT_STORE_BACKEND_H
#define SREBOT_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "core/audit.h"
#include "store/action_repo.h"
#include "store/channel_repo.h"
#include "store/ledger_repo.h"
#include "store/store.h"

struct store_backend_ops;

struct store_conn {
    const struct store_backend_ops *ops;
    int readonly;
    char err[256]; /* last error on this connection */
};

struct store_token_ops {
    enum store_status (*insert)(struct store_conn *c, const struct token_rec *t);
    enum store_status (*by_hash)(struct store_conn *c, const uint8_t hash[32],
                                 struct token_rec *out);
    enum store_status (*list)(struct store_conn *c, int (*fn)(const struct token_rec *, void *),
                              void *ud);
    enum store_status (*revoke)(struct store_conn *c, const char *name, int64_t now_ms,
                                struct token_rec *out);
    enum store_status (*touch)(struct store_conn *c, int64_t id, int64_t now_ms);
};

/* The chain logic is backend-neutral (store_audit.c + core/audit.c); a backend
 * only stores rows and the head (last seq and hash, kept in the same
 * transaction as the row so that removing trailing rows is detectable). */
struct store_audit_ops {
    /* Head of the chain: 0 and zeros when empty. */
    enum store_status (*head)(struct store_conn *c, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN]);
    /* Inserts r and moves the head to (r->seq, r->hash). */
    enum store_status (*append)(struct store_conn *c, const struct audit_record *r);
    /* Calls fn for every row in seq order (row fields valid during the call only);
     * fn returns nonzero to stop. */
    enum store_status (*scan)(struct store_conn *c,
                              int (*fn)(const struct audit_record *r, void *ud), void *ud);
    enum store_status (*query)(struct store_conn *c, const struct audit_filter *f, unsigned limit,
                               int (*fn)(const struct audit_record *r, void *ud), void *ud);
};

/* The ledger repository (store/ledger_repo.h): same signatures as the public
 * functions, which check arguments and dispatch here. */
struct store_ledger_ops {
    enum store_status (*incident_latest)(struct store_conn *c, const char *class_,
                                         const char *key, struct incident *out);
    enum store_status (*incident_insert)(struct store_conn *c, struct incident *inc);
    enum store_status (*incident_update)(struct store_conn *c, const struct incident *inc);
    enum store_status (*finding_lookup)(struct store_conn *c, const char *id,
                                        int64_t *incident_id, int64_t *seq);
    enum store_status (*finding_insert)(struct store_conn *c, const struct finding *f,
                                        int64_t incident_id, int outcome,
                                        int64_t received_at_ms, int64_t *seq);
    enum store_status (*evidence_insert)(struct store_conn *c, int64_t incident_id,
                                         const struct evidence *e, const char *source,
                                         int64_t at_ms, int64_t *id);
    enum store_status (*timeline_append)(struct store_conn *c, int64_t incident_id,
                                         int64_t at_ms, const char *actor, const char *kind,
                                         const char *reason, const char *data_json);
    enum store_status (*outbox_append)(struct store_conn *c, const char *type,
                                       const char *subject, int64_t at_ms,
                                       const char *data_json, int64_t finding_seq,
                                       int64_t *seq);
    enum store_status (*outbox_cursor_set)(struct store_conn *c, const char *consumer,
                                           int64_t seq);
    enum store_status (*outbox_cursor_add)(struct store_conn *c, const char *consumer,
                                           int64_t seq);
    enum store_status (*incident_get)(struct store_conn *c, int64_t id, struct incident *out);
    enum store_status (*incident_list)(struct store_conn *c, const struct incident_filter *f,
                                       int (*fn)(const struct incident *, void *), void *ud,
                                       struct incident_scan *scan);
    enum store_status (*incident_counts)(struct store_conn *c,
                                         void (*fn)(const char *, const char *, int64_t, void *),
                                         void *ud);
    enum store_status (*incident_open_counts)(struct store_conn *c,
                                              void (*fn)(const char *, const char *, int,
                                                         int64_t, void *),
                                              void *ud);
    enum store_status (*prune)(struct store_conn *c, int64_t findings_before_ms,
                               int64_t incidents_before_ms, unsigned batch,
                               struct prune_counts *out);
    enum store_status (*incident_due)(struct store_conn *c, int64_t now_ms, int64_t quiet_ms,
                                      unsigned limit,
                                      int (*fn)(const struct incident *, void *), void *ud);
    enum store_status (*findings_of)(struct store_conn *c, int64_t incident_id, unsigned limit,
                                     int (*fn)(const struct finding_row *, void *), void *ud);
    enum store_status (*evidence_of)(struct store_conn *c, int64_t incident_id, unsigned limit,
                                     int (*fn)(const struct evidence_row *, void *), void *ud);
    enum store_status (*timeline_of)(struct store_conn *c, int64_t incident_id, int64_t after,
                                     unsigned limit,
                                     int (*fn)(const struct timeline_row *, void *), void *ud);
    enum store_status (*outbox_after)(struct store_conn *c, int64_t after, unsigned limit,
                                      int (*fn)(const struct outbox_row *, void *), void *ud);
    enum store_status (*outbox_cursor_get)(struct store_conn *c, const char *consumer,
                                           int64_t *seq);
    enum store_status (*outbox_cursors)(struct store_conn *c,
                                        int (*fn)(const char *, int64_t, void *), void *ud);
    enum store_status (*outbox_head)(struct store_conn *c, int64_t *seq);
    enum store_status (*outbox_prune)(struct store_conn *c, int64_t before, unsigned limit,
                                      int64_t *removed);
};

struct store_policy_ops {
    enum store_status (*current_version)(struct store_conn *c, int64_t *version);
    /* Inserts the row (version already decided by store_policy.c). */
    enum store_status (*insert)(struct store_conn *c, const struct policy_version_rec *r);
    /* version 0 = the newest. */
    enum store_status (*get)(struct store_conn *c, int64_t version, struct policy_version_rec *out);
    enum store_status (*list)(struct store_conn *c, int64_t before, unsigned limit,
                              int (*fn)(const struct policy_version_rec *, void *), void *ud);
};

/* The remediation repository (store/action_repo.h): same signatures as the
 * public functions, which check arguments and dispatch here. */
struct store_action_ops {
    enum store_status (*attempt_insert)(struct store_conn *c, struct attempt_rec *a);
    enum store_status (*attempt_update)(struct store_conn *c, const struct attempt_rec *a);
    enum store_status (*attempt_get)(struct store_conn *c, int64_t id, struct attempt_rec *out);
    enum store_status (*attempt_list)(struct store_conn *c, const struct attempt_filter *f,
                                      int (*fn)(const struct attempt_rec *, void *), void *ud);
    enum store_status (*attempt_verify_due)(struct store_conn *c, int64_t now_ms, unsigned limit,
                                            int (*fn)(const struct attempt_rec *, void *),
                                            void *ud);
    enum store_status (*approval_insert)(struct store_conn *c, struct approval_rec *r);
    enum store_status (*approval_update)(struct store_conn *c, const struct approval_rec *r);
    enum store_status (*approval_get)(struct store_conn *c, int64_t id, struct approval_rec *out);
    enum store_status (*approval_of_attempt)(struct store_conn *c, int64_t attempt_id,
                                             struct approval_rec *out);
    enum store_status (*approval_list)(struct store_conn *c, const struct approval_filter *f,
                                       int (*fn)(const struct approval_rec *, void *), void *ud);
    enum store_status (*approval_expired)(struct store_conn *c, int64_t now_ms, unsigned limit,
                                          int (*fn)(const struct approval_rec *, void *),
                                          void *ud);
    enum store_status (*approval_count)(struct store_conn *c, const char *state, int64_t *n);
    enum store_status (*vote_insert)(struct store_conn *c, struct approval_vote *v);
    enum store_status (*votes_of)(struct store_conn *c, int64_t request_id,
                                  int (*fn)(const struct approval_vote *, void *), void *ud);
    enum store_status (*decision_list)(struct store_conn *c, int64_t incident_id, unsigned limit,
                                       int (*fn)(const struct timeline_row *, void *), void *ud);
    enum store_status (*findings_range)(struct store_conn *c, int64_t since_ms, int64_t until_ms,
                                        unsigned limit,
                                        int (*fn)(const struct finding *, void *), void *ud);
    enum store_status (*notification_insert)(struct store_conn *c, struct notification_rec *r,
                                             int *created);
    enum store_status (*notification_list)(struct store_conn *c, int64_t before_id,
                                           int64_t after_id, unsigned limit,
                                           int (*fn)(const struct notification_rec *, void *),
                                           void *ud);
    enum store_status (*notification_after)(struct store_conn *c, int64_t after_id,
                                            unsigned limit,
                                            int (*fn)(const struct notification_rec *, void *),
                                            void *ud);
    enum store_status (*notification_get)(struct store_conn *c, int64_t id,
                                          struct notification_rec *out);
    enum store_status (*notification_count)(struct store_conn *c, int64_t incident_id,
                                            const char *kind, int64_t *n);
    enum store_status (*notification_cursor_get)(struct store_conn *c, const char *consumer,
                                                 int64_t *id);
    enum store_status (*notification_cursor_set)(struct store_conn *c, const char *consumer,
                                                 int64_t id);
};

/* store/channel_repo.h */
struct store_channel_ops {
    enum store_status (*delivery_insert)(struct store_conn *c, struct delivery_rec *r,
                                         int *created);
    enum store_status (*delivery_update)(struct store_conn *c, const struct delivery_rec *r);
    enum store_status (*delivery_get)(struct store_conn *c, int64_t id, struct delivery_rec *out);
    enum store_status (*delivery_due)(struct store_conn *c, int64_t now_ms, unsigned limit,
                                      int (*fn)(const struct delivery_rec *, void *), void *ud);
    enum store_status (*delivery_in_state)(struct store_conn *c, const char *state,
                                           unsigned limit,
                                           int (*fn)(const struct delivery_rec *, void *),
                                           void *ud);
    enum store_status (*delivery_of)(struct store_conn *c, int64_t notification_id,
                                     int (*fn)(const struct delivery_rec *, void *), void *ud);
    enum store_status (*request_ref)(struct store_conn *c, int64_t approval_id,
                                     const char *channel, char *out, size_t outlen);
    enum store_status (*stats)(struct store_conn *c,
                               int (*fn)(const struct channel_stats *, void *), void *ud);
    enum store_status (*thread_get)(struct store_conn *c, int64_t incident_id, const char *channel,
                                    char *out, size_t outlen);
    enum store_status (*thread_set)(struct store_conn *c, int64_t incident_id, const char *channel,
                                    const char *ref, int64_t now_ms);
};

/* The store's adapter family, in the shape of util/adapter.h with one
 * difference: a backend's instance is a connection (open / close), because the
 * store itself (store.c) owns the writer connection and the read pool. */
struct store_backend_ops {
    const char *name;        /* "sqlite": selects it, as the URL scheme "sqlite:" */
    const char *description;

    /* Whole-store copies (src/store/store_backup.c; NULL: not offered, the
     * backend's own tools apply). backup: a consistent copy of the live store
     * into the file dest (STORE_CONFLICT when it exists and !force). restore:
     * replaces the store with the file src, STORE_BUSY while anyone has the
     * store open, STORE_CONFLICT when it already holds one and !force.
     * open_file: a read-only connection to such a file; file_check: it is an
     * intact srebot store of schema *version (*known: this build's newest). */
    enum store_status (*backup)(const char *url, const char *dest, int force, char *err,
                                size_t errlen);
    enum store_status (*restore)(const char *url, const char *src, int force, char *err,
                                 size_t errlen);
    enum store_status (*open_file)(const char *file, struct store_conn **out, char *err,
                                   size_t errlen);
    enum store_status (*file_check)(struct store_conn *c, int *version, int *known);

    /* Opens one connection. readonly connections serve the read pool. */
    enum store_status (*open)(const char *url, int readonly, const struct store_config *cfg,
                              struct store_conn **out, char *err, size_t errlen);
    void (*close)(struct store_conn *c); /* accepts NULL */
    /* Applies pending migrations, each in its own transaction. */
    enum store_status (*migrate)(struct store_conn *c, int *applied, int *version);

    enum store_status (*begin)(struct store_conn *c);
    enum store_status (*savepoint)(struct store_conn *c);
    enum store_status (*release)(struct store_conn *c);
    enum store_status (*rollback_to)(struct store_conn *c); /* and release */
    enum store_status (*commit)(struct store_conn *c);
    enum store_status (*rollback)(struct store_conn *c);
    /* 1 while the write transaction is open; 0 once the backend has rolled it
     * back by itself (I/O error, disk full), so that the writer stops the batch. */
    int (*in_transaction)(struct store_conn *c);
    /* A consistent read snapshot over several statements (read connections). */
    enum store_status (*snapshot_begin)(struct store_conn *c);
    enum store_status (*snapshot_end)(struct store_conn *c);
    /* Called when a read connection goes back to the pool: ends anything a
     * caller left open (an unfinished statement, a snapshot) so that it cannot
     * pin old data (in SQLite that would hold back WAL checkpoints). */
    void (*reader_reset)(struct store_conn *c);
    /* A trivial durable write (one heartbeat row), for store_ready. */
    enum store_status (*heartbeat)(struct store_conn *c, int64_t now_ms);

    const struct store_token_ops *tokens;
    const struct store_audit_ops *audit;
    const struct store_ledger_ops *ledger;
    const struct store_policy_ops *policy;
    const struct store_action_ops *actions;
    const struct store_channel_ops *channels;
};

/* The table of backends (registry.c), NULL-terminated. */
extern const struct store_backend_ops *const store_backend_registry[];
/* The backend a name or URL selects ("sqlite:/var/srebot.db"); NULL when none. */
const struct store_backend_ops *store_backend_find(const char *name_or_url);
/* store_backend_find, or NULL with the reason in err (unknown, or left out of this build). */
const struct store_backend_ops *store_backend_select(const char *name_or_url, char *err,
                                                     size_t errlen);

#endif
