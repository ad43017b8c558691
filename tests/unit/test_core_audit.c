/* The audit hash and the chain verifier (src/core/audit.c), by table:
 * which field changes alter the hash, and which chain defects are reported
 * at which seq. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/audit.h"
#include "util/crypto.h"

static struct audit_record base(void)
{
    struct audit_record r;
    memset(&r, 0, sizeof r);
    r.seq = 7;
    r.at_ms = 1764200000123;
    r.actor = "admin";
    r.action = "policy.update";
    r.subject = "policy/3";
    r.detail = "{\"version\":3}";
    return r;
}

/* The encoding is fixed: a known record hashes to a known value, computed here
 * independently from the documented layout. */
static void hash_matches_documented_encoding(void **state)
{
    (void)state;
    struct audit_record r = base();
    uint8_t buf[512], *p = buf;
    memcpy(p, "srebot-audit-v1", 15);
    p += 15;
    memset(p, 0, 32);
    p += 32;
    uint64_t ints[2] = {7, 1764200000123};
    for (int k = 0; k < 2; k++)
        for (int i = 7; i >= 0; i--)
            *p++ = (uint8_t)(ints[k] >> (8 * i));
    const char *f[4] = {"admin", "policy.update", "policy/3", "{\"version\":3}"};
    for (int k = 0; k < 4; k++) {
        uint32_t n = (uint32_t)strlen(f[k]);
        *p++ = 0;
        *p++ = 0;
        *p++ = 0;
        *p++ = (uint8_t)n;
        memcpy(p, f[k], n);
        p += n;
    }
    uint8_t want[32], got[32];
    crypto_sha256(buf, (size_t)(p - buf), want);
    assert_int_equal(audit_hash(&r, got), 0);
    assert_memory_equal(got, want, 32);
}

static void mutate_actor(struct audit_record *r) { r->actor = "admin2"; }
static void mutate_action(struct audit_record *r) { r->action = "policy.delete"; }
static void mutate_subject(struct audit_record *r) { r->subject = "policy/4"; }
static void mutate_detail(struct audit_record *r) { r->detail = "{\"version\":4}"; }
static void mutate_detail_null(struct audit_record *r) { r->detail = NULL; }
static void mutate_seq(struct audit_record *r) { r->seq = 8; }
static void mutate_at(struct audit_record *r) { r->at_ms += 1; }
static void mutate_prev(struct audit_record *r) { r->prev_hash[31] = 1; }
/* Moving a byte between adjacent fields must change the hash. */
static void mutate_boundary(struct audit_record *r)
{
    r->actor = "adminp";
    r->action = "olicy.update";
}

static void every_field_is_covered(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        void (*mutate)(struct audit_record *);
    } table[] = {
        {"actor", mutate_actor},   {"action", mutate_action},
        {"subject", mutate_subject}, {"detail", mutate_detail},
        {"detail null", mutate_detail_null}, {"seq", mutate_seq},
        {"at", mutate_at},         {"prev_hash", mutate_prev},
        {"field boundary", mutate_boundary},
    };
    struct audit_record r0 = base();
    uint8_t h0[32];
    assert_int_equal(audit_hash(&r0, h0), 0);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct audit_record r = base();
        table[i].mutate(&r);
        uint8_t h[32];
        assert_int_equal(audit_hash(&r, h), 0);
        if (memcmp(h, h0, 32) == 0)
            fail_msg("changing %s does not change the hash", table[i].name);
    }
    /* NULL and "" are the same text */
    struct audit_record a = base(), b = base();
    a.detail = NULL;
    b.detail = "";
    uint8_t ha[32], hb[32];
    audit_hash(&a, ha);
    audit_hash(&b, hb);
    assert_memory_equal(ha, hb, 32);
}

static void bounds_are_enforced(void **state)
{
    (void)state;
    char *big = malloc(AUDIT_DETAIL_MAX + 2);
    memset(big, 'x', AUDIT_DETAIL_MAX + 1);
    big[AUDIT_DETAIL_MAX + 1] = '\0';
    struct audit_record r = base();
    uint8_t h[32];
    r.detail = big;
    assert_int_equal(audit_hash(&r, h), -1);
    big[AUDIT_DETAIL_MAX] = '\0';
    assert_int_equal(audit_hash(&r, h), 0);
    r = base();
    big[AUDIT_FIELD_MAX + 1] = '\0';
    r.subject = big;
    assert_int_equal(audit_hash(&r, h), -1);
    free(big);
}

/* ---- chains ---- */

#define CHAIN 6
static struct audit_record chain[CHAIN];
static char details[CHAIN][32];

static void build_chain(void)
{
    uint8_t prev[32] = {0};
    for (int i = 0; i < CHAIN; i++) {
        struct audit_record *r = &chain[i];
        memset(r, 0, sizeof *r);
        r->seq = i + 1;
        r->at_ms = 1000 + i;
        r->actor = "ledger";
        r->action = "incident.transition";
        r->subject = "incident/1";
        snprintf(details[i], sizeof details[i], "{\"step\":%d}", i);
        r->detail = details[i];
        memcpy(r->prev_hash, prev, 32);
        audit_hash(r, r->hash);
        memcpy(prev, r->hash, 32);
    }
}

enum defect { NONE, ALTER, DROP, DROP_LAST, SWAP, HEAD_AHEAD, HEAD_HASH };

static int64_t run_chain(enum defect d, int at, char *reason, size_t rlen)
{
    build_chain();
    struct audit_verifier v;
    audit_verify_init(&v);
    int n = CHAIN;
    int64_t head_seq = CHAIN;
    uint8_t head_hash[32];
    memcpy(head_hash, chain[CHAIN - 1].hash, 32);
    if (d == ALTER)
        chain[at].detail = "{\"step\":99}";
    for (int i = 0; i < n; i++) {
        if ((d == DROP || d == DROP_LAST) && i == at)
            continue;
        if (d == SWAP && i == at) {
            audit_verify_step(&v, &chain[at + 1]);
            audit_verify_step(&v, &chain[at]);
            i++;
            continue;
        }
        audit_verify_step(&v, &chain[i]);
    }
    if (d == HEAD_AHEAD)
        head_seq = CHAIN + 1;
    if (d == HEAD_HASH)
        head_hash[0] ^= 1;
    audit_verify_finish(&v, head_seq, head_hash);
    snprintf(reason, rlen, "%s", v.reason);
    return v.first_broken_seq;
}

static void verifier_table(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum defect d;
        int at;
        int64_t want_seq;
        const char *want_reason;
    } table[] = {
        {"intact", NONE, 0, 0, ""},
        {"altered first", ALTER, 0, 1, "hash does not match"},
        {"altered middle", ALTER, 3, 4, "hash does not match"},
        {"altered last", ALTER, CHAIN - 1, CHAIN, "hash does not match"},
        {"first removed", DROP, 0, 1, "record missing"},
        {"middle removed", DROP, 2, 3, "record missing"},
        {"last removed", DROP_LAST, CHAIN - 1, CHAIN, "record missing"},
        {"out of order", SWAP, 2, 3, "record missing"},
        {"head beyond rows", HEAD_AHEAD, 0, CHAIN + 1, "record missing"},
        {"head hash differs", HEAD_HASH, 0, CHAIN, "head hash"},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char reason[160];
        int64_t got = run_chain(table[i].d, table[i].at, reason, sizeof reason);
        if (got != table[i].want_seq)
            fail_msg("%s: first broken seq %lld, want %lld", table[i].name, (long long)got,
                     (long long)table[i].want_seq);
        if (!strstr(reason, table[i].want_reason))
            fail_msg("%s: reason '%s' lacks '%s'", table[i].name, reason, table[i].want_reason);
    }
}

/* A whole forged chain (every hash recomputed after an edit) is consistent by
 * itself: only the recorded head catches it. */
static void recomputed_chain_is_caught_by_head(void **state)
{
    (void)state;
    build_chain();
    uint8_t head[32];
    memcpy(head, chain[CHAIN - 1].hash, 32);
    chain[2].detail = "{\"forged\":true}";
    for (int i = 2; i < CHAIN; i++) {
        memcpy(chain[i].prev_hash, chain[i - 1].hash, 32);
        audit_hash(&chain[i], chain[i].hash);
    }
    struct audit_verifier v;
    audit_verify_init(&v);
    for (int i = 0; i < CHAIN; i++)
        assert_int_equal(audit_verify_step(&v, &chain[i]), 1);
    assert_int_equal(audit_verify_finish(&v, CHAIN, head), 0);
    assert_int_equal(v.first_broken_seq, CHAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_matches_documented_encoding),
        cmocka_unit_test(every_field_is_covered),
        cmocka_unit_test(bounds_are_enforced),
        cmocka_unit_test(verifier_table),
        cmocka_unit_test(recomputed_chain_is_caught_by_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
