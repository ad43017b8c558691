/* Small wrappers over OpenSSL: randomness, SHA-256, HMAC, constant-time compare. */
#ifndef SREBOT_UTIL_CRYPTO_H
#define SREBOT_UTIL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 65 /* 64 hex digits + NUL */

int crypto_random(void *buf, size_t len); /* 0 on success */
void crypto_sha256(const void *data, size_t len, uint8_t out[SHA256_LEN]);
void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        uint8_t out[SHA256_LEN]);
/* 1 when equal; time depends only on len. */
int crypto_equal(const void *a, const void *b, size_t len);
/* Overwrites a secret in memory (not optimised away). */
void crypto_wipe(void *p, size_t len);
void hex_encode(const uint8_t *in, size_t len, char *out); /* out: 2*len+1 */

#endif
