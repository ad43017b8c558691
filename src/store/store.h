/* The store: the one way the rest of the system reads and writes durable state.
 *
 * Backends (sqlite now, postgres later) implement `struct store_backend_ops`
 * (src/store/backend.h, private to src/store/), chosen by the URL scheme; nothing
 * outside src/store/ sees a backend type. Callers use the store_* functions below.
 *
 * Writes: every write is a `struct store_write` handed to the single writer
 * thread, which drains a bounded queue, runs many writes in one transaction
 * (group commit) and wakes each caller once its transaction is durable.
 * Consecutive writes with the same `apply` function are given to it together, so
 * a service can fold a whole batch in memory first (see src/ledger/). Each group
 * runs under a savepoint: when a group fails, it is rolled back and its writes are
 * retried one by one, so one bad write never fails its neighbours.
 *
 * Reads: store_read_acquire() lends a pooled read connection (WAL readers never
 * block the writer); give it back with store_read_release().
 *
 * Status codes: every function returns enum store_status; out-parameters are
 * written only on STORE_OK.
 */
#ifndef SREBOT_STORE_STORE_H
#define SREBOT_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_status {
    STORE_OK = 0,
    STORE_BUSY,      /* write queue full or shutting down: retry later (HTTP 503) */
    STORE_NOT_FOUND,
    STORE_CONFLICT,  /* optimistic-concurrency or uniqueness conflict */
    STORE_INVALID,   /* the write was refused by a domain rule */
    STORE_ERROR,     /* backend failure; see the error text */
};
const char *store_status_name(enum store_status st);

struct store;      /* the store: backend + writer thread + read pool */
struct store_conn; /* a backend connection: in a write transaction or a pooled reader */

struct store_config {
    const char *url;           /* "sqlite:/path/to/file.db" (postgres:// later) */
    unsigned queue_capacity;   /* max queued writes; beyond it submit returns STORE_BUSY */
    unsigned max_batch;        /* max writes per transaction */
    unsigned read_pool_size;   /* pooled read connections */
    unsigned busy_timeout_ms;  /* backend lock wait */
    unsigned read_wait_ms;     /* how long store_read_acquire waits for a free read
                                  connection before STORE_BUSY: short, so that a
                                  request never sits on a server thread for seconds
                                  (the API answers 503 + Retry-After instead) */
    unsigned ready_timeout_ms; /* store_ready: deadline for the probe write to commit */
};
void store_config_defaults(struct store_config *cfg);

struct store_write;
/* Runs `n` writes inside the writer's open transaction, on connection `c`.
 * Sets each write's status (and err) and returns STORE_OK, or returns an error
 * status to roll the whole group back (the writer then retries each write alone). */
typedef enum store_status (*store_apply_fn)(struct store_conn *c, struct store_write **writes,
                                            size_t n);

/* Completion of a submitted write (store_write_submit): called exactly once, on
 * the writer thread, after w's transaction is durable (w->status STORE_OK) or
 * failed. It must not block (the next batch waits for it): hand the result on
 * and return. From the moment it is called, the writer never touches w again. */
typedef void (*store_done_fn)(struct store_write *w);

struct store_write {
    store_apply_fn apply;
    void *arg;                  /* the operation's input/output, owned by the caller */
    enum store_status status;   /* set by apply; final once the write is done */
    char err[160];
    store_done_fn done;         /* store_write_submit only */
    /* private to the writer */
    struct store_write *next_;
    void *wake_; /* the waiting caller's semaphore */
    int done_;
};

/* Opens the store named by cfg->url, applies migrations, starts the writer. */
enum store_status store_open(const struct store_config *cfg, struct store **out, char *err,
                             size_t errlen);
/* Drains the queue (every queued write is committed), stops the writer, closes.
 * Writes submitted meanwhile get STORE_BUSY. Call it after every thread that
 * uses the store has stopped submitting and has released its read connections
 * (the HTTP server first, then the store). Accepts NULL. */
void store_close(struct store *s);

/* Applies pending migrations without starting the writer (`srebot migrate`).
 * *applied gets the number of migrations run; *version the schema version after. */
enum store_status store_migrate(const char *url, int *applied, int *version, char *err,
                                size_t errlen);

/* Queues w and waits until its transaction is durable (or it failed). Returns
 * STORE_BUSY at once when the queue is full or the store is stopping; else w->status. */
enum store_status store_write_wait(struct store *s, struct store_write *w);
/* Queues w without waiting: w->done is called once its transaction is durable
 * or failed (see store_done_fn). Returns STORE_OK when queued; STORE_BUSY at once
 * when the queue is full or the store is stopping (w->err says which; done is
 * then not called). w and everything w->arg points to must stay valid until
 * done is called. This is how a caller keeps many writes in flight without a
 * thread per write: they form the writer's next batch together. */
enum store_status store_write_submit(struct store *s, struct store_write *w);

/* STORE_BUSY when no read connection frees up within cfg->read_wait_ms. */
enum store_status store_read_acquire(struct store *s, struct store_conn **out);
void store_read_release(struct store *s, struct store_conn *c);

/* Readiness: the writer thread is alive and a trivial write (a heartbeat row)
 * commits within cfg->ready_timeout_ms. 1 when ready, 0 otherwise. Safe to call
 * from many threads at once: concurrent callers share one probe write, and no
 * probe is written while some write committed within the last second (and the
 * writer is not stuck in a batch for longer than ready_timeout_ms). */
int store_ready(struct store *s);

struct store_stats {
    unsigned queue_depth, queue_capacity;
    uint64_t commits, writes_committed, busy_rejections;
    uint64_t last_batch_size;
    uint64_t commit_latency_us_sum; /* for averages */
    uint64_t writes_failed;         /* writes whose final status was not STORE_OK */
    int stopping;                   /* store_close has begun: new writes get STORE_BUSY */
};
void store_stats(struct store *s, struct store_stats *out);
/* Called after every commit (from the writer thread) with batch size and latency. */
void store_set_commit_observer(struct store *s,
                               void (*fn)(void *ctx, size_t batch, uint64_t latency_us),
                               void *ctx);

struct metrics;
/* The store observes itself: registers srebot_store_* (queue depth and capacity,
 * busy rejections, commits, writes, commit batch size and duration histograms)
 * in reg (NULL: records nothing). The gauges read s
 * when rendered: register once per store, and stop rendering before store_close. */
void store_metrics_register(struct store *s, struct metrics *reg);

/* ---- backup and restore (srebot backup / restore; docs/operations.md#backups) ---- */
struct store_file_info {
    int schema_version;
    int64_t audit_records; /* records of the chain, all verified */
};
/* Writes a consistent copy of the store named by url into the file dest while
 * the store may be in use (it is written aside, then renamed into place), then
 * checks the copy as a restore would. STORE_CONFLICT when dest exists and
 * !force. */
enum store_status store_backup(const char *url, const char *dest, int force,
                               struct store_file_info *info, char *err, size_t errlen);
/* Replaces the store with the file src: only when nobody has the store open
 * (else STORE_BUSY), only from an intact srebot store of a schema version this
 * build knows whose audit chain verifies (else STORE_INVALID), and over an
 * existing store only with force (else STORE_CONFLICT). */
enum store_status store_restore(const char *url, const char *src, int force,
                                struct store_file_info *info, char *err, size_t errlen);

/* ---- repositories: typed operations; each backend implements all of them ---- */

enum role { ROLE_NONE = 0, ROLE_INGEST = 1, ROLE_VIEWER = 2, ROLE_OPERATOR = 4, ROLE_ADMIN = 8 };
const char *role_name(enum role r);
enum role role_parse(const char *s); /* ROLE_NONE when unknown */

struct token_rec {
    int64_t id;
    char name[64];
    enum role role;
    uint8_t hash[32]; /* SHA-256 of the token; the token itself is never stored */
    int64_t created_at_ms;
    int64_t expires_at_ms;   /* 0 = never */
    int64_t revoked_at_ms;   /* 0 = not revoked */
    int64_t last_used_at_ms; /* 0 = never used (kept to the minute: ledger/tokens.c) */
};
/* In a write transaction (from an apply function). */
enum store_status store_token_insert(struct store_conn *c, const struct token_rec *t);
/* On a read connection. */
enum store_status store_token_by_hash(struct store_conn *c, const uint8_t hash[32],
                                      struct token_rec *out);
/* Every token in id order; fn returns nonzero to stop early. */
enum store_status store_token_list(struct store_conn *c,
                                   int (*fn)(const struct token_rec *t, void *ud), void *ud);
/* In a write transaction. Revokes the token called name: STORE_NOT_FOUND when
 * there is none or it is revoked already; out gets the row as it was. */
enum store_status store_token_revoke(struct store_conn *c, const char *name, int64_t now_ms,
                                     struct token_rec *out);
/* In a write transaction: records a use of token id at now_ms. */
enum store_status store_token_touch(struct store_conn *c, int64_t id, int64_t now_ms);

/* ---- audit chain (see src/core/audit.h for the hash) ----
 * Appends one record, stamped with the wall clock, in the current write
 * transaction (call it from an apply function, next to the change it records).
 * actor/action/subject: at most 256 bytes each; detail_json: JSON text (or NULL),
 * at most 64 KiB. STORE_INVALID when a bound is exceeded. */
enum store_status store_audit_append(struct store_conn *c, const char *actor, const char *action,
                                     const char *subject, const char *detail_json);
/* Walks the whole chain (on a read connection, in bounded memory). Returns
 * STORE_OK when the walk completed: *first_broken_seq is 0 when every record is
 * intact, else the seq of the first altered or missing record, and `reason`
 * says what is wrong. *checked gets the number of records read. */
enum store_status store_audit_verify(struct store_conn *c, int64_t *first_broken_seq,
                                     int64_t *checked, char *reason, size_t reasonlen);
/* Records newest first, matching every filter that is set (0 / NULL: any):
 * below seq `before`, by `actor`, of `action`, whose subject starts with
 * `subject_prefix`, at or after since_ms and before until_ms. At most limit
 * (1..500); fn gets each (fields valid during the call) and returns nonzero
 * to stop. */
struct audit_filter {
    int64_t before;
    const char *actor, *action, *subject_prefix;
    int64_t since_ms, until_ms;
};
struct audit_record;
enum store_status store_audit_query(struct store_conn *c, const struct audit_filter *f,
                                    unsigned limit,
                                    int (*fn)(const struct audit_record *r, void *ud), void *ud);


/* ---- policy versions (the robot_sre_policy document, docs/policy.md) ----
 * Every accepted document is a new row; versions count 1, 2, 3... with no gaps.
 * The document is stored as the JSON text it was validated as. */
struct policy_version_rec {
    int64_t version;
    char author[64];
    int64_t created_at_ms;
    char *document; /* malloc'd JSON text; NULL from list; free with policy_version_rec_clear */
};
void policy_version_rec_clear(struct policy_version_rec *r);
/* In a write transaction. Inserts version expected_current + 1 when the current
 * version is expected_current (0 = none yet), else STORE_CONFLICT (the caller's
 * If-Match is stale). *new_version gets the inserted version. */
enum store_status store_policy_insert(struct store_conn *c, int64_t expected_current,
                                      const char *author, int64_t created_at_ms,
                                      const char *document_json, int64_t *new_version);
/* The newest version's number; 0 when there is none (either connection). */
enum store_status store_policy_current_version(struct store_conn *c, int64_t *version);
/* The newest version with its document; STORE_NOT_FOUND when there is none. */
enum store_status store_policy_current(struct store_conn *c, struct policy_version_rec *out);
/* Version n with its document; STORE_NOT_FOUND when there is no such version. */
enum store_status store_policy_get(struct store_conn *c, int64_t version,
                                   struct policy_version_rec *out);
/* Versions newest first, without documents, at most limit of them, starting below
 * before (0 = from the newest); fn returns nonzero to stop. */
enum store_status store_policy_list(struct store_conn *c, int64_t before, unsigned limit,
                                    int (*fn)(const struct policy_version_rec *r, void *ud),
                                    void *ud);

#endif
