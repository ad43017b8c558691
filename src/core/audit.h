/* The audit chain: an append-only list of records, each carrying the hash of
 * the one before it, so that altering or removing any record is detectable.
 *
 *   hash(n) = SHA-256( "srebot-audit-v1" || prev_hash(n) || seq || at_ms ||
 *                      len(actor) actor || len(action) action ||
 *                      len(subject) subject || len(detail) detail )
 *
 * Integers are 8-byte big-endian, lengths 4-byte big-endian; length prefixes
 * make the encoding unambiguous ("ab"+"c" never hashes like "a"+"bc"). The
 * first record's prev_hash is 32 zero bytes. Pure: no I/O, no clock.
 */
#ifndef SREBOT_CORE_AUDIT_H
#define SREBOT_CORE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_FIELD_MAX 256        /* actor, action, subject */
#define AUDIT_DETAIL_MAX (64 * 1024) /* detail JSON text */

struct audit_record {
    int64_t seq; /* 1, 2, 3, ... without gaps */
    int64_t at_ms;
    const char *actor, *action, *subject; /* NULL is hashed as "" */
    const char *detail;                   /* JSON text; NULL is hashed as "" */
    uint8_t prev_hash[AUDIT_HASH_LEN];
    uint8_t hash[AUDIT_HASH_LEN];
};

/* Computes the hash of r (from r->prev_hash and the fields; r->hash is not read).
 * Returns 0, or -1 when a field exceeds its bound or memory runs out. */
int audit_hash(const struct audit_record *r, uint8_t out[AUDIT_HASH_LEN]);

/* Walks a chain in seq order, one record at a time, and remembers the first
 * broken link. Feed every record to audit_verify_step, then call
 * audit_verify_finish with the recorded head (last seq and hash; 0 and zeros
 * when the chain is empty) to catch removal of trailing records. */
struct audit_verifier {
    int64_t checked;
    int64_t expect_seq;
    uint8_t prev[AUDIT_HASH_LEN];
    int64_t first_broken_seq; /* 0 while intact */
    char reason[160];
};
void audit_verify_init(struct audit_verifier *v);
/* Returns 1 while the chain is intact, 0 once broken (further steps are ignored). */
int audit_verify_step(struct audit_verifier *v, const struct audit_record *r);
int audit_verify_finish(struct audit_verifier *v, int64_t head_seq,
                        const uint8_t head_hash[AUDIT_HASH_LEN]);

#endif
