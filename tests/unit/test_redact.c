/* Redaction of secret-looking values in log text before it becomes a finding
 * summary or log_excerpt evidence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/redact.h"

static const char *red(const char *in)
{
    static char out[1024];
    redact_secrets(out, sizeof out, in, strlen(in));
    return out;
}

static void secrets_are_replaced(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"connect failed db_password=hunter2 host=db", "connect failed db_password=[redacted] host=db"},
        {"PASSWORD: s3cr3t!", "PASSWORD: [redacted]"},
        {"{\"api_key\":\"sk-live-123\",\"user\":\"bob\"}", "{\"api_key\":\"[redacted]\",\"user\":\"bob\"}"},
        {"token='abc.def.ghi' ok", "token='[redacted]' ok"},
        {"GET /x Authorization: Bearer eyJhbGciOi.x.y 200", "GET /x Authorization: Bearer [redacted] 200"},
        {"header authorization=Basic dXNlcjpwYXNz", "header authorization=Basic [redacted]"},
        {"sent bearer srb_0123abcd to upstream", "sent bearer [redacted] to upstream"},
        {"dsn postgres://app:pa55w0rd@db:5432/x", "dsn postgres://app:[redacted]@db:5432/x"},
        {"key AKIAIOSFODNN7EXAMPLE used", "key [redacted] used"},
        {"a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAAAA\n-----END RSA PRIVATE KEY-----\nb",
         "a\n[redacted]\nb"},
        {"-----BEGIN PRIVATE KEY-----\nMIIEow (cut)", "[redacted]"},
        /* left alone */
        {"at 12:30:45 level=error msg=timeout user=bob", "at 12:30:45 level=error msg=timeout user=bob"},
        {"-----BEGIN CERTIFICATE-----", "-----BEGIN CERTIFICATE-----"},
        {"AKIA short", "AKIA short"},
        {"see https://example.com:8443/path", "see https://example.com:8443/path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(red(cases[i].in), cases[i].want) != 0)
            fail_msg("case %zu: \"%s\" -> \"%s\", want \"%s\"", i, cases[i].in, red(cases[i].in),
                     cases[i].want);
}

static void output_is_bounded(void **state)
{
    (void)state;
    char out[16];
    const char *in = "password=averyveryverylongsecret and more";
    size_t n = redact_secrets(out, sizeof out, in, strlen(in));
    assert_true(n < sizeof out);
    assert_int_equal(strlen(out), n);
    assert_null(strstr(out, "avery"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(secrets_are_replaced),
        cmocka_unit_test(output_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
