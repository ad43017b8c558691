/* Private to the SQLite backend (src/store/sqlite*.c): the connection type and
 * the helpers every sqlite_<area>.c repository file uses.
 *
 * Statements are prepared once per connection and cached, keyed by the address
 * of the SQL text: pass string literals (static storage), never a built string.
 * A statement from sq_stmt() is reset and unbound; call sq_done() when finished
 * with it so a read statement does not pin its snapshot (which would hold back
 * WAL checkpoints).
 */
#ifndef SREBOT_STORE_SQLITE_INT_H
#define SREBOT_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdio.h>

#include "store/backend.h"

struct sq_slot {
    const char *sql;
    sqlite3_stmt *st;
};

struct sq_conn {
    struct store_conn base; /* first: a struct store_conn * is a struct sq_conn * */
    sqlite3 *db;
    struct sq_slot *slots; /* open-addressing table keyed by SQL text address */
    size_t cap, used;
    int lock_fd; /* writing connections: a shared flock on "<db>.lock" (-1: none) */
};

static inline struct sq_conn *sq_of(struct store_conn *c)
{
    return (struct sq_conn *)c;
}

/* The cached statement for sql, reset and with no bindings; NULL on error
 * (the message is in c->base.err). */
sqlite3_stmt *sq_stmt(struct sq_conn *c, const char *sql);
static inline void sq_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
}
/* Column text into a fixed buffer ("" for NULL), and text bound without copy. */
static inline void sq_col_text(sqlite3_stmt *st, int col, char *out, size_t outlen)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    snprintf(out, outlen, "%s", s ? s : "");
}
static inline void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}
/* Maps an SQLite result code to a store status and records the message:
 * BUSY/LOCKED -> STORE_BUSY, UNIQUE/PRIMARY KEY -> STORE_CONFLICT, other
 * constraints -> STORE_INVALID, the rest -> STORE_ERROR. */
enum store_status sq_fail(struct sq_conn *c, int rc, const char *what);
/* Steps a statement that returns no rows, then resets it. */
enum store_status sq_exec_stmt(struct sq_conn *c, sqlite3_stmt *st, const char *what);
/* Ends a row loop: rc is the last sqlite3_step result (ROW when the caller
 * stopped early, DONE at the end, else an error); resets the statement. */
enum store_status sq_rows_done(struct sq_conn *c, sqlite3_stmt *st, int rc, const char *what);
/* Steps a bound timeline statement (id, at, actor, kind, reason, data) into fn. */
enum store_status sq_timeline_rows(struct sq_conn *q, sqlite3_stmt *st,
                                   int (*fn)(const struct timeline_row *, void *), void *ud,
                                   const char *what);
/* Runs a query answering one integer (e.g. "SELECT coalesce(max(x), 0) ..."). */
enum store_status sq_scalar_int64(struct sq_conn *c, const char *sql, const char *what,
                                  int64_t *out);

/* The migration list (sqlite_schema.c): versions 1, 2, 3, ... in order. */
struct sqlite_migration {
    int version;
    const char *name;
    const char *sql; /* one or more statements, run in one transaction */
};
extern const struct sqlite_migration sqlite_migrations[];
extern const size_t sqlite_migrations_count;

enum store_status sq_migrate(struct store_conn *c, int *applied, int *version);

extern const struct store_backend_ops store_sqlite_backend;
/* The file path of a "sqlite:PATH" URL ("" when it names none). */
const char *sq_url_path(const char *url);
/* flock on "<db_path>.lock" without waiting: shared for every writing
 * connection, exclusive for a restore. The fd, -2 when someone holds it the
 * other way (message in err), -1 on another error. */
int sq_lock_open(const char *db_path, int exclusive, char *err, size_t errlen);
/* Backup and restore (sqlite_backup.c; see backend.h). */
enum store_status sq_backup(const char *url, const char *dest, int force, char *err,
                            size_t errlen);
enum store_status sq_restore(const char *url, const char *src, int force, char *err,
                             size_t errlen);
enum store_status sq_open_file(const char *file, struct store_conn **out, char *err,
                               size_t errlen);
enum store_status sq_file_check(struct store_conn *c, int *version, int *known);

extern const struct store_token_ops sq_token_ops;
extern const struct store_audit_ops sq_audit_ops;
extern const struct store_ledger_ops sq_ledger_ops;

/* Ledger rows shared by sqlite_ledger.c (writes) and sqlite_ledger_read.c. */
#define SQ_INCIDENT_COLS                                                                           \
    "id, class, correlation_key, state, severity, summary, source, finding_count, first_seen,"    \
    " last_seen, updated_at, state_since, resolved_at, suppressed_until, last_status"
void sq_incident_from_row(sqlite3_stmt *st, struct incident *out);
/* The read half of the ledger repository (sqlite_ledger_read.c). */
enum store_status sq_inc_get(struct store_conn *c, int64_t id, struct incident *out);
enum store_status sq_inc_list(struct store_conn *c, const struct incident_filter *f,
                              int (*fn)(const struct incident *, void *), void *ud,
                              struct incident_scan *scan);
enum store_status sq_inc_open_counts(struct store_conn *c,
                                     void (*fn)(const char *, const char *, int, int64_t, void *),
                                     void *ud);
enum store_status sq_ledger_prune(struct store_conn *c, int64_t findings_before_ms,
                                  int64_t incidents_before_ms, unsigned batch,
                                  struct prune_counts *out);
enum store_status sq_inc_counts(struct store_conn *c,
                                void (*fn)(const char *, const char *, int64_t, void *),
                                void *ud);
enum store_status sq_inc_due(struct store_conn *c, int64_t now_ms, int64_t quiet_ms,
                             unsigned limit, int (*fn)(const struct incident *, void *),
                             void *ud);
enum store_status sq_findings_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                 int (*fn)(const struct finding_row *, void *), void *ud);
enum store_status sq_evidence_of(struct store_conn *c, int64_t incident_id, unsigned limit,
                                 int (*fn)(const struct evidence_row *, void *), void *ud);
enum store_status sq_timeline_of(struct store_conn *c, int64_t incident_id, int64_t after,
                                 unsigned limit, int (*fn)(const struct timeline_row *, void *),
                                 void *ud);
enum store_status sq_outbox_after(struct store_conn *c, int64_t after, unsigned limit,
                                  int (*fn)(const struct outbox_row *, void *), void *ud);
enum store_status sq_cursor_get(struct store_conn *c, const char *consumer, int64_t *seq);
enum store_status sq_outbox_head(struct store_conn *c, int64_t *seq);
enum store_status sq_cursors(struct store_conn *c, int (*fn)(const char *, int64_t, void *),
                             void *ud);
extern const struct store_policy_ops sq_policy_ops;
extern const struct store_action_ops sq_action_ops;
extern const struct store_channel_ops sq_channel_ops;

#endif
