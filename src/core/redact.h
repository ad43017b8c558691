/* Redaction of secret-looking values in text taken from outside (log lines that
 * become finding summaries and log_excerpt evidence, which viewers read):
 *   - the value after a secret-named key: password=..., "api_key": "...",
 *     db_password: ..., token=... (key names as the policy's secret scan reads them,
 *     plus authorization, pwd, access_key)
 *   - the credential after "Bearer " / "Basic " (an Authorization header)
 *   - the password in a URL's user-info (scheme://user:PASS@host)
 *   - PEM private key blocks (-----BEGIN ... PRIVATE KEY----- to its END line)
 *   - AWS access key ids (AKIA/ASIA + 16 capitals or digits)
 * Each becomes REDACT_MARK. Pure text in, text out; no allocation. */
#ifndef SREBOT_CORE_REDACT_H
#define SREBOT_CORE_REDACT_H

#include <stddef.h>

#define REDACT_MARK "[redacted]"

/* Copies src[0..len) into dst (capacity cap >= 1, NUL-terminated) with the
 * values above replaced; stops early when dst is full. Returns the length. */
size_t redact_secrets(char *dst, size_t cap, const char *src, size_t len);

#endif
