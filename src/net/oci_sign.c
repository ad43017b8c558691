#include "net/oci_sign.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

int oci_method_has_body(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "PATCH") == 0;
}

static void b64(const unsigned char *in, size_t len, char *out, size_t outlen)
{
    if (outlen < 4 * ((len + 2) / 3) + 1) {
        out[0] = '\0';
        return;
    }
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

EVP_PKEY *oci_key_from_pem(const char *pem, char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key)
        snprintf(err, errlen, "not a PEM private key (PKCS#1 or PKCS#8, unencrypted)");
    else if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        snprintf(err, errlen, "the key is not an RSA key");
        EVP_PKEY_free(key);
        key = NULL;
    }
    ERR_clear_error();
    return key;
}

int oci_sign(const struct oci_request *rq, EVP_PKEY *key, const char *key_id,
             struct oci_signature *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char method[16];
    size_t m = strlen(rq->method);
    if (m == 0 || m >= sizeof method) {
        snprintf(err, errlen, "bad method");
        return -1;
    }
    for (size_t i = 0; i <= m; i++)
        method[i] = (char)tolower((unsigned char)rq->method[i]);
    int body = oci_method_has_body(rq->method);
    const char *headers = body ? "date (request-target) host content-length content-type "
                                 "x-content-sha256"
                               : "date (request-target) host";
    int n;
    if (body) {
        unsigned char sha[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)(rq->body ? rq->body : ""), rq->body_len, sha);
        b64(sha, sizeof sha, out->content_sha256, sizeof out->content_sha256);
        snprintf(out->content_length, sizeof out->content_length, "%zu", rq->body_len);
        n = snprintf(out->signing_string, sizeof out->signing_string,
                     "date: %s\n(request-target): %s %s\nhost: %s\ncontent-length: %s\n"
                     "content-type: %s\nx-content-sha256: %s",
                     rq->date, method, rq->target, rq->host, out->content_length,
                     rq->content_type ? rq->content_type : "application/json",
                     out->content_sha256);
    } else {
        n = snprintf(out->signing_string, sizeof out->signing_string,
                     "date: %s\n(request-target): %s %s\nhost: %s", rq->date, method, rq->target,
                     rq->host);
    }
    if (n < 0 || (size_t)n >= sizeof out->signing_string) {
        snprintf(err, errlen, "request target too long to sign");
        return -1;
    }
    if (!key)
        return 0;
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)out->signing_string,
                            (size_t)n) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok || siglen > 512) {
        snprintf(err, errlen, "signing failed");
        return -1;
    }
    char sig64[700];
    b64(sig, siglen, sig64, sizeof sig64);
    n = snprintf(out->authorization, sizeof out->authorization,
                 "Signature version=\"1\",keyId=\"%s\",algorithm=\"rsa-sha256\",headers=\"%s\","
                 "signature=\"%s\"",
                 key_id, headers, sig64);
    if (n < 0 || (size_t)n >= sizeof out->authorization) {
        snprintf(err, errlen, "keyId too long");
        return -1;
    }
    return 0;
}
