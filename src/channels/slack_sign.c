/* Slack's request signing, version v0 (docs/channels.md "Signing"):
 *
 *   base      = "v0:" + X-Slack-Request-Timestamp + ":" + raw body
 *   signature = "v0=" + hex(HMAC-SHA256(signing secret, base))
 *
 * The timestamp is checked first (5 minutes either side of now) so that a
 * captured request cannot be replayed later; the signature is compared in
 * constant time. The caller checks before it parses a byte of the body. */
#include <stdlib.h>
#include <string.h>

#include "channels/slack.h"
#include "util/crypto.h"
#include "util/parse.h"

void slack_signature(const char *secret, const char *timestamp, const char *body, size_t len,
                     char out[SLACK_SIGNATURE_LEN + 1])
{
    /* HMAC over the three parts without building the base string: the body
     * may be large and the prefix is short, so one bounded copy is simplest. */
    size_t tlen = strlen(timestamp);
    size_t n = 3 + tlen + 1 + len;
    char stackbuf[4096];
    char *base = n <= sizeof stackbuf ? stackbuf : malloc(n);
    uint8_t mac[SHA256_LEN];
    if (!base) {
        memset(out, 0, SLACK_SIGNATURE_LEN + 1); /* matches no header */
        return;
    }
    memcpy(base, "v0:", 3);
    memcpy(base + 3, timestamp, tlen);
    base[3 + tlen] = ':';
    if (len)
        memcpy(base + 4 + tlen, body, len);
    crypto_hmac_sha256(secret, strlen(secret), base, n, mac);
    if (base != stackbuf)
        free(base);
    memcpy(out, "v0=", 3);
    hex_encode(mac, sizeof mac, out + 3);
}

enum slack_sig slack_signature_check(const char *secret, const char *timestamp_hdr,
                                     const char *signature_hdr, const char *body, size_t len,
                                     int64_t now_s)
{
    int64_t ts;
    if (!secret || !*secret || !timestamp_hdr || !signature_hdr)
        return SLACK_SIG_MISSING;
    if (parse_int64_str(timestamp_hdr, 0, INT64_MAX / 2, &ts) != 0)
        return SLACK_SIG_MISSING;
    if (strlen(signature_hdr) != SLACK_SIGNATURE_LEN || strncmp(signature_hdr, "v0=", 3) != 0)
        return SLACK_SIG_MISSING;
    if (ts > now_s + SLACK_REPLAY_WINDOW_S || ts < now_s - SLACK_REPLAY_WINDOW_S)
        return SLACK_SIG_STALE;
    char want[SLACK_SIGNATURE_LEN + 1];
    slack_signature(secret, timestamp_hdr, body ? body : "", body ? len : 0, want);
    int same = crypto_equal(want, signature_hdr, SLACK_SIGNATURE_LEN);
    return same ? SLACK_SIG_OK : SLACK_SIG_BAD;
}

const char *slack_sig_reason(enum slack_sig s)
{
    switch (s) {
    case SLACK_SIG_OK:
        return "ok";
    case SLACK_SIG_MISSING:
        return "X-Slack-Request-Timestamp and X-Slack-Signature (v0) are required";
    case SLACK_SIG_STALE:
        return "the request timestamp is outside the 5-minute replay window";
    case SLACK_SIG_BAD:
        return "the signature does not match";
    }
    return "?";
}
