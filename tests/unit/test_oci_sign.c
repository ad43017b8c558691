/* OCI request signing against the documented test vector (Oracle's SDK tests,
 * key from draft-cavage Appendix C; reference/protocols.md 9.1): the signing
 * strings and the exact signatures of a GET and a POST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "net/oci_sign.h"

static const char KEY[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF\n"
    "NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F\n"
    "UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB\n"
    "AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA\n"
    "QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK\n"
    "kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg\n"
    "f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u\n"
    "412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc\n"
    "mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7\n"
    "kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA\n"
    "gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW\n"
    "G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI\n"
    "7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==\n"
    "-----END RSA PRIVATE KEY-----\n";

static const char KEY_ID[] =
    "ocid1.tenancy.oc1..aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq/"
    "ocid1.user.oc1..aaaaaaaat5nvwcna5j6aqzjcaty5eqbb6qt2jvpkanghtgdaqedqw3rynjq/"
    "20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34";
static const char DATE[] = "Thu, 05 Jan 2014 21:31:40 GMT";
static const char HOST[] = "iaas.us-phoenix-1.oraclecloud.com";

static void get_vector(void **state)
{
    (void)state;
    char err[200];
    EVP_PKEY *key = oci_key_from_pem(KEY, err, sizeof err);
    assert_non_null(key);
    struct oci_request rq = {
        .method = "GET",
        .target = "/20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1&compartmentId="
                  "ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa"
                  "&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx."
                  "abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q",
        .host = HOST,
        .date = DATE};
    struct oci_signature s;
    assert_int_equal(oci_sign(&rq, key, KEY_ID, &s, err, sizeof err), 0);
    assert_string_equal(s.signing_string,
                        "date: Thu, 05 Jan 2014 21:31:40 GMT\n"
                        "(request-target): get /20160918/instances?availabilityDomain=Pjwf%3A%20PHX-AD-1"
                        "&compartmentId=ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa"
                        "&displayName=TeamXInstances&volumeId=ocid1.volume.oc1.phx."
                        "abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\n"
                        "host: iaas.us-phoenix-1.oraclecloud.com");
    assert_non_null(strstr(s.authorization, "headers=\"date (request-target) host\""));
    assert_non_null(strstr(
        s.authorization,
        "signature=\"GBas7grhyrhSKHP6AVIj/h5/Vp8bd/peM79H9Wv8kjoaCivujVXlpbKLjMPeDUhxkFIWtTtLBj3sUzaFj34XE6YZ"
        "AHc9r2DmE4pMwOAy/kiITcZxa1oHPOeRheC0jP2dqbTll8fmTZVwKZOKHYPtrLJIJQHJjNvxFWeHQjMaR7M=\""));
    assert_true(strncmp(s.authorization, "Signature version=\"1\",keyId=\"ocid1.tenancy", 42) == 0);
    assert_non_null(strstr(s.authorization, "algorithm=\"rsa-sha256\""));
    EVP_PKEY_free(key);
}

static void post_vector(void **state)
{
    (void)state;
    char err[200];
    EVP_PKEY *key = oci_key_from_pem(KEY, err, sizeof err);
    assert_non_null(key);
    const char *body =
        "{\n"
        "    \"compartmentId\": \"ocid1.compartment.oc1..aaaaaaaam3we6vgnherjq5q2idnccdflvjsnog7mlr6rtdb25gilchfeyjxa\",\n"
        "    \"instanceId\": \"ocid1.instance.oc1.phx.abuw4ljrlsfiqw6vzzxb43vyypt4pkodawglp3wqxjqofakrwvou52gb6s5a\",\n"
        "    \"volumeId\": \"ocid1.volume.oc1.phx.abyhqljrgvttnlx73nmrwfaux7kcvzfs3s66izvxf2h4lgvyndsdsnoiwr5q\"\n"
        "}";
    assert_int_equal(strlen(body), 316);
    struct oci_request rq = {.method = "POST", .target = "/20160918/volumeAttachments",
                             .host = HOST, .date = DATE, .body = body, .body_len = strlen(body),
                             .content_type = "application/json"};
    struct oci_signature s;
    assert_int_equal(oci_sign(&rq, key, KEY_ID, &s, err, sizeof err), 0);
    assert_string_equal(s.content_sha256, "V9Z20UJTvkvpJ50flBzKE32+6m2zJjweHpDMX/U4Uy0=");
    assert_string_equal(s.content_length, "316");
    assert_non_null(strstr(s.authorization, "headers=\"date (request-target) host content-length "
                                            "content-type x-content-sha256\""));
    assert_non_null(strstr(
        s.authorization,
        "signature=\"Mje8vIDPlwIHmD/cTDwRxE7HaAvBg16JnVcsuqaNRim23fFPgQfLoOOxae6WqKb1uPjYEl0qIdazWaBy/Ml8DRhq"
        "locMwoSXv0fbukP8J5N80LCmzT/FFBvIvTB91XuXI3hYfP9Zt1l7S6ieVadHUfqBedWH0itrtPJBgKmrWso=\""));
    /* an empty body is signed too */
    struct oci_request empty = {.method = "POST", .target = "/x", .host = HOST, .date = DATE};
    assert_int_equal(oci_sign(&empty, NULL, KEY_ID, &s, err, sizeof err), 0);
    assert_string_equal(s.content_sha256, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    assert_string_equal(s.content_length, "0");
    EVP_PKEY_free(key);
}

static void bad_keys(void **state)
{
    (void)state;
    char err[200];
    assert_null(oci_key_from_pem("not a key", err, sizeof err));
    assert_non_null(strstr(err, "PEM private key"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(get_vector),
        cmocka_unit_test(post_vector),
        cmocka_unit_test(bad_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
