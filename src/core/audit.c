#include "core/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/crypto.h"

static const char audit_domain[] = "srebot-audit-v1";

static uint8_t *put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--)
        *p++ = (uint8_t)(v >> (i * 8));
    return p;
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
    uint32_t len = (uint32_t)n;
    *p++ = (uint8_t)(len >> 24);
    *p++ = (uint8_t)(len >> 16);
    *p++ = (uint8_t)(len >> 8);
    *p++ = (uint8_t)len;
    if (n)
        memcpy(p, s, n);
    return p + n;
}

int audit_hash(const struct audit_record *r, uint8_t out[AUDIT_HASH_LEN])
{
    const char *f[4] = {r->actor ? r->actor : "", r->action ? r->action : "",
                        r->subject ? r->subject : "", r->detail ? r->detail : ""};
    size_t len[4];
    size_t total = sizeof audit_domain - 1 + AUDIT_HASH_LEN + 16;
    for (int i = 0; i < 4; i++) {
        len[i] = strlen(f[i]);
        if (len[i] > (i == 3 ? (size_t)AUDIT_DETAIL_MAX : (size_t)AUDIT_FIELD_MAX))
            return -1;
        total += 4 + len[i];
    }
    uint8_t *buf = malloc(total);
    if (!buf)
        return -1;
    uint8_t *p = buf;
    memcpy(p, audit_domain, sizeof audit_domain - 1);
    p += sizeof audit_domain - 1;
    memcpy(p, r->prev_hash, AUDIT_HASH_LEN);
    p += AUDIT_HASH_LEN;
    p = put_u64(p, (uint64_t)r->seq);
    p = put_u64(p, (uint64_t)r->at_ms);
    for (int i = 0; i < 4; i++)
        p = put_str(p, f[i], len[i]);
    crypto_sha256(buf, (size_t)(p - buf), out);
    free(buf);
    return 0;
}

void audit_verify_init(struct audit_verifier *v)
{
    memset(v, 0, sizeof *v);
    v->expect_seq = 1;
}

static int broken(struct audit_verifier *v, int64_t seq, const char *why)
{
    v->first_broken_seq = seq;
    snprintf(v->reason, sizeof v->reason, "%s", why);
    return 0;
}

int audit_verify_step(struct audit_verifier *v, const struct audit_record *r)
{
    if (v->first_broken_seq)
        return 0;
    v->checked++;
    if (r->seq != v->expect_seq) /* a record before this one was removed */
        return broken(v, v->expect_seq, r->seq > v->expect_seq ? "record missing"
                                                                : "sequence out of order");
    if (memcmp(r->prev_hash, v->prev, AUDIT_HASH_LEN) != 0)
        return broken(v, r->seq, "prev_hash does not match the previous record");
    uint8_t h[AUDIT_HASH_LEN];
    if (audit_hash(r, h) != 0)
        return broken(v, r->seq, "record fields exceed their bounds");
    if (memcmp(h, r->hash, AUDIT_HASH_LEN) != 0)
        return broken(v, r->seq, "hash does not match the record's fields");
    memcpy(v->prev, r->hash, AUDIT_HASH_LEN);
    v->expect_seq++;
    return 1;
}

int audit_verify_finish(struct audit_verifier *v, int64_t head_seq,
                        const uint8_t head_hash[AUDIT_HASH_LEN])
{
    if (v->first_broken_seq)
        return 0;
    int64_t last = v->expect_seq - 1;
    if (head_seq > last) /* trailing records were removed */
        return broken(v, last + 1, "record missing");
    if (head_seq < last)
        return broken(v, head_seq + 1, "records beyond the recorded head");
    if (memcmp(head_hash, v->prev, AUDIT_HASH_LEN) != 0)
        return broken(v, last ? last : 1, "head hash does not match the last record");
    return 1;
}
