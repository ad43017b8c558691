/* OCI API request signing: HTTP Signatures (draft-cavage-http-signatures-08)
 * "version 1" with RSA-SHA256, as Oracle Cloud Infrastructure documents it
 * (reference/protocols.md 9.1; docs/oci.md).
 *
 * Signed headers, in this order: `date (request-target) host` for GET,
 * DELETE and HEAD; POST, PUT and PATCH add `content-length content-type
 * x-content-sha256` (also for an empty body). The signing string is the
 * `name: value` lines joined by "\n"; the signature is base64 of the RSA
 * PKCS#1 v1.5 signature over its SHA-256. Checked against the documented
 * test vector (tests/unit/test_oci_sign.c). Pure: no I/O, no clock.
 */
#ifndef SREBOT_NET_OCI_SIGN_H
#define SREBOT_NET_OCI_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>

struct oci_request {
    const char *method;        /* "GET", "POST", ... */
    const char *target;        /* path and query exactly as sent, percent-encoded */
    const char *host;          /* "iaas.us-phoenix-1.oraclecloud.com" */
    const char *date;          /* RFC 1123 GMT: "Thu, 05 Jan 2014 21:31:40 GMT" */
    const char *body;          /* may be NULL */
    size_t body_len;
    const char *content_type;  /* default application/json (body methods) */
};

struct oci_signature {
    char content_sha256[64];   /* base64 SHA-256 of the body (body methods), else "" */
    char content_length[24];   /* the body's length (body methods), else "" */
    char signing_string[2048];
    char authorization[1024];  /* the Authorization header's value */
};

/* 1 when the method carries the body headers (POST, PUT, PATCH). */
int oci_method_has_body(const char *method);
/* Builds the signing string and, with key, the Authorization value
 * `Signature version="1",keyId="<key_id>",algorithm="rsa-sha256",headers="...",signature="..."`.
 * key may be NULL (only the signing string). 0, or -1 with err. */
int oci_sign(const struct oci_request *rq, EVP_PKEY *key, const char *key_id,
             struct oci_signature *out, char *err, size_t errlen);
/* Loads a PEM private key (PKCS#1 or PKCS#8, unencrypted) from text. NULL with err. */
EVP_PKEY *oci_key_from_pem(const char *pem, char *err, size_t errlen);

#endif
