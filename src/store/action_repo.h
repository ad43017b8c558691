/* The remediation repository: action attempts, approval requests with their
 * votes, and the notification outbox. Backend-neutral prototypes; each backend
 * implements struct store_action_ops (src/store/backend.h).
 *
 * States are stored as the text names the core gives them (core/attempt.h for
 * attempts; approval requests: pending | approved | rejected | expired |
 * cancelled); the schema's CHECK constraints refuse anything else.
 *
 * Writes run inside the writer's transaction (from an apply function); reads on
 * any connection. Every function returns a store_status and writes
 * out-parameters only on STORE_OK.
 */
#ifndef SREBOT_STORE_ACTION_REPO_H
#define SREBOT_STORE_ACTION_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "store/ledger_repo.h"
#include "store/store.h"

#define ATTEMPT_PARAMS_MAX 1024  /* JSON text of the runner's parameters */
#define ATTEMPT_RESULT_MAX 2048  /* JSON text: what the runner changed, or why it failed */

struct attempt_rec {
    int64_t id, incident_id;
    char action[48];
    char target[256];
    char mode[16];             /* auto | approval | recommend */
    char state[24];            /* core/attempt.h names */
    char idempotency_key[96];  /* unique: a runner is handed it, so a retry is recognisable */
    char reason_code[48], reason[256];
    char requested_by[64];     /* "system" for the worker, else the operator */
    char params[ATTEMPT_PARAMS_MAX];  /* "" = none */
    char result[ATTEMPT_RESULT_MAX];  /* "" = none yet */
    char verification[16];     /* "" | pending | held | failed | skipped */
    int dry_run;
    int step;                  /* playbook step this attempt is (0-based) */
    int64_t created_at_ms, updated_at_ms;
    int64_t started_at_ms, finished_at_ms; /* 0 until executing / done */
    int64_t verify_at_ms;      /* when verification is due; 0 = none pending */
};

/* Inserts a and sets a->id. STORE_CONFLICT when the idempotency key exists. */
enum store_status store_attempt_insert(struct store_conn *c, struct attempt_rec *a);
/* Writes every mutable column (state, result, times, verification) of a->id. */
enum store_status store_attempt_update(struct store_conn *c, const struct attempt_rec *a);
enum store_status store_attempt_get(struct store_conn *c, int64_t id, struct attempt_rec *out);

struct attempt_filter {
    int64_t incident_id; /* 0 = every incident */
    const char *state;   /* NULL = every state */
    int64_t since_ms;    /* created at or after (0 = any) */
    int64_t before_id;   /* keyset paging: ids below this (0 = from the newest) */
    unsigned limit;      /* 1..1000 */
    int oldest_first;    /* 1: ascending id (worker scans), else newest first */
};
enum store_status store_attempt_list(struct store_conn *c, const struct attempt_filter *f,
                                     int (*fn)(const struct attempt_rec *a, void *ud), void *ud);
/* Succeeded attempts whose verification is due at now_ms, oldest first. */
enum store_status store_attempt_verify_due(struct store_conn *c, int64_t now_ms, unsigned limit,
                                           int (*fn)(const struct attempt_rec *a, void *ud),
                                           void *ud);

struct approval_rec {
    int64_t id, incident_id, attempt_id;
    char state[16];            /* pending | approved | rejected | expired | cancelled */
    char requested_by[64];
    int approvers_required;    /* distinct approvers needed (from the policy at request time) */
    int allow_self_approval;   /* may requested_by approve? (policy at request time) */
    int64_t requested_at_ms, expires_at_ms;
    int64_t decided_at_ms;     /* 0 while pending */
};
enum store_status store_approval_insert(struct store_conn *c, struct approval_rec *r);
enum store_status store_approval_update(struct store_conn *c, const struct approval_rec *r);
enum store_status store_approval_get(struct store_conn *c, int64_t id, struct approval_rec *out);
/* The request of an attempt (at most one); STORE_NOT_FOUND when none. */
enum store_status store_approval_of_attempt(struct store_conn *c, int64_t attempt_id,
                                            struct approval_rec *out);

struct approval_filter {
    int64_t incident_id; /* 0 = any */
    const char *state;   /* NULL = any */
    int64_t before_id;   /* keyset paging (0 = newest) */
    unsigned limit;      /* 1..500 */
};
enum store_status store_approval_list(struct store_conn *c, const struct approval_filter *f,
                                      int (*fn)(const struct approval_rec *r, void *ud),
                                      void *ud);
/* Pending requests with expires_at <= now_ms, oldest first. */
enum store_status store_approval_expired(struct store_conn *c, int64_t now_ms, unsigned limit,
                                         int (*fn)(const struct approval_rec *r, void *ud),
                                         void *ud);
/* How many requests are in `state` (the console's live count). */
enum store_status store_approval_count(struct store_conn *c, const char *state, int64_t *n);

/* One approver's vote on a request. */
struct approval_vote {
    int64_t id, request_id;
    char decision[8];   /* approve | reject */
    char decided_by[64];
    char role[16];
    char channel[32];   /* api | cli | console | slack ... */
    char reason[512];
    int64_t at_ms;
};
/* STORE_CONFLICT when this approver already voted on the request. */
enum store_status store_approval_vote_insert(struct store_conn *c, struct approval_vote *v);
/* Votes of a request, oldest first. */
enum store_status store_approval_votes(struct store_conn *c, int64_t request_id,
                                       int (*fn)(const struct approval_vote *v, void *ud),
                                       void *ud);

/* The decisions recorded for an incident: its timeline entries of kind
 * "decision", oldest first, at most limit (1..1000). */
enum store_status store_decision_list(struct store_conn *c, int64_t incident_id, unsigned limit,
                                      int (*fn)(const struct timeline_row *r, void *ud), void *ud);

/* Findings received in [since_ms, until_ms], in ingest order (seq), at most
 * limit (1..100000), as struct finding (no evidence; attributes valid during
 * the call only) for the what-if replay. fn returns nonzero to stop. */
enum store_status store_findings_range(struct store_conn *c, int64_t since_ms, int64_t until_ms,
                                       unsigned limit,
                                       int (*fn)(const struct finding *f, void *ud), void *ud);

/* ---- the notification outbox ----
 * Written by the notify runner in the attempt's transaction; the in-app inbox
 * reads it directly, channel providers (src/channels/) drain it each with a
 * named cursor (store_notification_cursor_*). */
struct notification_rec {
    int64_t id, incident_id, attempt_id; /* 0 = none */
    int64_t approval_id;                 /* approval_request / approval_result: the request */
    char kind[20];                       /* incident | resolved | approval_request |
                                          * approval_result | test ("" = incident) */
    char channel[64];                    /* test: the one channel meant; "" = by routing */
    int severity;                        /* enum severity: 0 info .. 3 critical */
    char title[256];
    char body[2048];
    char dedupe_key[96];                 /* the attempt's idempotency key: one per attempt */
    int64_t created_at_ms;
};
/* Inserts r and sets r->id; a repeated dedupe_key is not an error: *created
 * gets 0 and r->id the existing row. */
enum store_status store_notification_insert(struct store_conn *c, struct notification_rec *r,
                                            int *created);
/* Newest first below before_id (0 = newest), at most limit (1..500); or, with
 * after_id > 0, oldest first above it (a channel's drain). */
enum store_status store_notification_list(struct store_conn *c, int64_t before_id,
                                           int64_t after_id, unsigned limit,
                                           int (*fn)(const struct notification_rec *r, void *ud),
                                           void *ud);
/* Notifications with id > after_id, oldest first, at most limit (1..500): a
 * channel worker's drain from its cursor (0 = from the first). */
enum store_status store_notification_after(struct store_conn *c, int64_t after_id, unsigned limit,
                                           int (*fn)(const struct notification_rec *r, void *ud),
                                           void *ud);
/* One notification by id; STORE_NOT_FOUND when none. */
enum store_status store_notification_get(struct store_conn *c, int64_t id,
                                         struct notification_rec *out);
/* *n: how many notifications of `kind` an incident has. */
enum store_status store_notification_count(struct store_conn *c, int64_t incident_id,
                                           const char *kind, int64_t *n);
enum store_status store_notification_cursor_get(struct store_conn *c, const char *consumer,
                                                int64_t *id);
enum store_status store_notification_cursor_set(struct store_conn *c, const char *consumer,
                                                int64_t id);

#endif
