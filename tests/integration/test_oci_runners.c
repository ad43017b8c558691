/* oci_reboot_node and oci_replace_node against a local OCI endpoint that verifies the request
 * signature the way OCI documents it (reference/protocols.md 9.1): it rebuilds
 * the signing string from the headers named in the Authorization header,
 * checks the keyId and the RSA-SHA256 signature with the API user's public
 * key, and the date skew. The node comes from the fake Kubernetes API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "actions/runner.h"
#include "kube/client.h"
#include "util/timeutil.h"

#include "kube_fake.h"

#define KEY_ID "ocid1.tenancy.oc1..t/ocid1.user.oc1..u/aa:bb:cc"
#define INSTANCE "ocid1.instance.oc1.phx.abc123"
#define POOL "ocid1.nodepool.oc1.phx.pool1"

struct oci_fake {
    struct MHD_Daemon *d;
    EVP_PKEY *pub;
    pthread_mutex_t mu;
    int resets, gets, refused, replaced;
    char retry_token[128];
    char last_error[256];
};
static struct oci_fake oci;

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    return v ? v : "";
}

/* Pulls name="value" out of the Authorization header. */
static int auth_param(const char *auth, const char *name, char *out, size_t outlen)
{
    char key[64];
    snprintf(key, sizeof key, "%s=\"", name);
    const char *p = strstr(auth, key);
    if (!p)
        return -1;
    p += strlen(key);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= outlen)
        return -1;
    memcpy(out, p, (size_t)(e - p));
    out[e - p] = '\0';
    return 0;
}

/* Rebuilds the query as sent (the arguments here need no escaping). */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    char *q = cls;
    size_t n = strlen(q);
    snprintf(q + n, 300 - n, "%s%s=%s", n ? "&" : "", key, value ? value : "");
    return MHD_YES;
}

/* The check OCI makes; NULL when the signature is good, else why not. */
static const char *verify(struct MHD_Connection *c, const char *method, const char *url)
{
    const char *auth = hdr(c, "Authorization");
    char version[8], key_id[300], alg[32], headers[300], sig64[800];
    if (strncmp(auth, "Signature ", 10) != 0 || auth_param(auth, "version", version, sizeof version) ||
        auth_param(auth, "keyId", key_id, sizeof key_id) ||
        auth_param(auth, "algorithm", alg, sizeof alg) ||
        auth_param(auth, "headers", headers, sizeof headers) ||
        auth_param(auth, "signature", sig64, sizeof sig64))
        return "malformed Authorization";
    if (strcmp(version, "1") != 0 || strcmp(alg, "rsa-sha256") != 0)
        return "unsupported signature version or algorithm";
    if (strcmp(key_id, KEY_ID) != 0)
        return "unknown keyId";
    int body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
    const char *need = body ? "date (request-target) host content-length content-type "
                              "x-content-sha256"
                            : "date (request-target) host";
    if (strcmp(headers, need) != 0)
        return "the signed headers are not the required ones";
    char ss[2048] = "";
    char list[300];
    snprintf(list, sizeof list, "%s", headers);
    for (char *s = list, *save = NULL, *h; (h = strtok_r(s, " ", &save)); s = NULL) {
        char line[700];
        if (strcmp(h, "(request-target)") == 0) {
            char m[16];
            size_t i = 0;
            for (; method[i] && i < sizeof m - 1; i++)
                m[i] = (char)(method[i] | 0x20);
            m[i] = '\0';
            char query[300] = "";
            MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, query);
            snprintf(line, sizeof line, "(request-target): %s %s%s%s", m, url,
                     query[0] ? "?" : "", query);
        } else {
            snprintf(line, sizeof line, "%s: %s", h, hdr(c, h));
        }
        if (ss[0])
            strncat(ss, "\n", sizeof ss - strlen(ss) - 1);
        strncat(ss, line, sizeof ss - strlen(ss) - 1);
    }
    time_t t = curl_getdate(hdr(c, "Date"), NULL);
    if (t < 0 || llabs((long long)(time(NULL) - t)) > 300)
        return "date skew over 5 minutes";
    unsigned char sig[600];
    int n = EVP_DecodeBlock(sig, (const unsigned char *)sig64, (int)strlen(sig64));
    if (n <= 0)
        return "signature is not base64";
    size_t siglen = (size_t)n; /* EVP_DecodeBlock counts the '=' padding as bytes */
    if (sig64[strlen(sig64) - 1] == '=')
        siglen--;
    if (strlen(sig64) > 1 && sig64[strlen(sig64) - 2] == '=')
        siglen--;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, oci.pub) == 1 &&
             EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)ss, strlen(ss)) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? NULL : "signature does not verify";
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **ptr)
{
    if (!*ptr) {
        *ptr = (void *)1;
        return MHD_YES;
    }
    *size = 0;
    const char *why = verify(c, method, url);
    char body[300];
    unsigned code = 200;
    pthread_mutex_lock(&oci.mu);
    if (why) {
        oci.refused++;
        snprintf(oci.last_error, sizeof oci.last_error, "%s", why);
        code = 401;
        snprintf(body, sizeof body, "{\"code\":\"NotAuthenticated\",\"message\":\"%s\"}", why);
    } else if (strcmp(url, "/20180222/nodePools/" POOL) == 0 && strcmp(method, "GET") == 0) {
        oci.gets++;
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"name\":\"pool1\"}", POOL);
    } else if (strcmp(url, "/20180222/nodePools/" POOL "/node/" INSTANCE) == 0 &&
               strcmp(method, "DELETE") == 0) {
        const char *dec = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "isDecrementSize");
        if (oci.replaced) {
            code = 409;
            snprintf(body, sizeof body, "{\"code\":\"IncorrectState\",\"message\":\"node "
                                        "is being deleted\"}");
        } else if (!dec || strcmp(dec, "false") != 0) {
            code = 400;
            snprintf(body, sizeof body, "{\"code\":\"InvalidParameter\",\"message\":\"x\"}");
        } else {
            oci.replaced++;
            code = 202;
            snprintf(body, sizeof body, "{}");
        }
    } else if (strcmp(url, "/20160918/instances/" INSTANCE) != 0) {
        code = 404;
        snprintf(body, sizeof body, "{\"code\":\"NotAuthorizedOrNotFound\",\"message\":\"no\"}");
    } else if (strcmp(method, "GET") == 0) {
        oci.gets++;
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"lifecycleState\":\"RUNNING\"}", INSTANCE);
    } else {
        oci.resets++;
        snprintf(oci.retry_token, sizeof oci.retry_token, "%s", hdr(c, "opc-retry-token"));
        snprintf(body, sizeof body, "{\"id\":\"%s\",\"lifecycleState\":\"STOPPING\"}", INSTANCE);
    }
    pthread_mutex_unlock(&oci.mu);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static struct kube_fake kf;
static struct kube_client *kc;
static char keyfile[300];

static int setup(void **state)
{
    (void)state;
    pthread_mutex_init(&oci.mu, NULL);
    EVP_PKEY *key = EVP_RSA_gen(2048);
    if (!key)
        return -1;
    /* the public half for the endpoint, the private half in a file for srebot */
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key, &der);
    const unsigned char *p = der;
    oci.pub = d2i_PUBKEY(NULL, &p, n);
    OPENSSL_free(der);
    snprintf(keyfile, sizeof keyfile, "/tmp/srebot-oci-key-%d.pem", (int)getpid());
    FILE *f = fopen(keyfile, "w");
    if (!f || !PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL))
        return -1;
    fclose(f);
    EVP_PKEY_free(key);
    oci.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, NULL,
                             MHD_OPTION_END);
    if (!oci.d)
        return -1;
    unsigned port = MHD_get_daemon_info(oci.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    setenv("IF_SRE_OCI_IAAS_URL", url, 1);
    setenv("IF_SRE_OCI_CONTAINERENGINE_URL", url, 1);
    setenv("IF_SRE_OCI_TENANCY", "ocid1.tenancy.oc1..t", 1);
    setenv("IF_SRE_OCI_USER", "ocid1.user.oc1..u", 1);
    setenv("IF_SRE_OCI_FINGERPRINT", "aa:bb:cc", 1);
    setenv("IF_SRE_OCI_KEY_FILE", keyfile, 1);
    setenv("IF_SRE_OCI_REGION", "us-phoenix-1", 1);
    if (kube_fake_start(&kf, NULL, NULL) != 0)
        return -1;
    kube_fake_put(&kf, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"labels\":{"
                       "\"oci.oraclecloud.com/node-pool-id\":\"" POOL "\"}},\"spec\":{"
                       "\"providerID\":\"oci://" INSTANCE "\"}}");
    kube_fake_put(&kf, "{\"kind\":\"Node\",\"metadata\":{\"name\":\"bare\"},\"spec\":{}}");
    struct kube_config cfg;
    char err[300];
    if (kube_kubeconfig_load(kf.kubeconfig, &cfg, err, sizeof err) != 0)
        return -1;
    int rc = kube_client_create(&cfg, NULL, &kc, err, sizeof err);
    kube_config_clear(&cfg);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(oci.d);
    EVP_PKEY_free(oci.pub);
    kube_client_destroy(kc);
    kube_fake_stop(&kf);
    unlink(keyfile);
    return 0;
}

static enum adapter_result run_action(const char *action, const char *target, int dry,
                                      const char *key, struct runner_outcome *out)
{
    const struct runner_ops *ops = runner_find(action);
    assert_non_null(ops);
    struct runner_deps deps = {.kube = kc};
    void *inst = NULL;
    char err[100];
    assert_int_equal(ops->init(NULL, &deps, &inst, err, sizeof err), 0);
    struct runner_request rq = {.attempt_id = 1, .action = action, .target = target,
                                .idempotency_key = key, .dry_run = dry,
                                .deadline_ns = time_mono_ns() + 10000000000ULL};
    memset(out, 0, sizeof *out);
    enum adapter_result r = dry ? ops->preflight(inst, &rq, out) : ops->execute(inst, &rq, out);
    json_decref(out->detail);
    out->detail = NULL;
    ops->destroy(inst);
    return r;
}

static enum adapter_result run(const char *target, int dry, const char *key,
                               struct runner_outcome *out)
{
    return run_action("oci_reboot_node", target, dry, key, out);
}

static void node_replacement(void **state)
{
    (void)state;
    struct runner_outcome out;
    int gets = oci.gets, refused = oci.refused;
    assert_int_equal(run_action("oci_replace_node", "n1", 1, "r-1", &out), ADAPTER_OK);
    assert_non_null(strstr(out.changed, "would replace node n1"));
    assert_int_equal(oci.gets, gets + 1);
    assert_int_equal(oci.replaced, 0);
    assert_int_equal(run_action("oci_replace_node", "n1", 0, "r-1", &out), ADAPTER_OK);
    assert_int_equal(oci.refused, refused); /* the signature with a query verifies */
    assert_int_equal(oci.replaced, 1);
    assert_non_null(strstr(out.changed, "replacement started for node n1"));
    /* again: OKE refuses (already being replaced), never a second replacement */
    assert_int_equal(run_action("oci_replace_node", "n1", 0, "r-1", &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "409 IncorrectState"));
    assert_int_equal(oci.replaced, 1);
    assert_int_equal(run_action("oci_replace_node", "bare", 0, "r-2", &out), ADAPTER_ERROR);
}

static void signed_soft_reset(void **state)
{
    (void)state;
    struct runner_outcome out;
    assert_int_equal(run("n1", 1, "att-1", &out), ADAPTER_OK);
    assert_non_null(strstr(out.changed, "would soft-reset node n1"));
    assert_int_equal(oci.gets, 1);
    assert_int_equal(oci.resets, 0);
    assert_int_equal(run("n1", 0, "att-1", &out), ADAPTER_OK);
    assert_int_equal(oci.refused, 0);
    assert_int_equal(oci.resets, 1);
    assert_string_equal(oci.retry_token, "att-1");
    assert_non_null(strstr(out.changed, "soft reset sent to node n1 (instance " INSTANCE
                                        "): STOPPING"));
}

static void refusals(void **state)
{
    (void)state;
    struct runner_outcome out;
    /* a key OCI does not know: 401, an error (not retried) */
    setenv("IF_SRE_OCI_FINGERPRINT", "dd:ee:ff", 1);
    assert_int_equal(run("n1", 0, "att-2", &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "401 NotAuthenticated"));
    assert_string_equal(oci.last_error, "unknown keyId");
    setenv("IF_SRE_OCI_FINGERPRINT", "aa:bb:cc", 1);
    assert_int_equal(oci.resets, 1);

    /* the right keyId with another key: the signature does not verify */
    char other[320];
    snprintf(other, sizeof other, "%s.other", keyfile);
    EVP_PKEY *k2 = EVP_RSA_gen(2048);
    FILE *f = fopen(other, "w");
    assert_non_null(f);
    assert_true(PEM_write_PrivateKey(f, k2, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    EVP_PKEY_free(k2);
    setenv("IF_SRE_OCI_KEY_FILE", other, 1);
    assert_int_equal(run("n1", 0, "att-2b", &out), ADAPTER_ERROR);
    assert_string_equal(oci.last_error, "signature does not verify");
    setenv("IF_SRE_OCI_KEY_FILE", keyfile, 1);
    unlink(other);
    assert_int_equal(oci.resets, 1);

    assert_int_equal(run("bare", 0, "att-3", &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "no OCI instance in spec.providerID"));
    unsetenv("IF_SRE_OCI_USER");
    assert_int_equal(run("n1", 0, "att-4", &out), ADAPTER_ERROR);
    assert_non_null(strstr(out.error, "OCI is not configured"));
    setenv("IF_SRE_OCI_USER", "ocid1.user.oc1..u", 1);
    assert_int_equal(oci.resets, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(signed_soft_reset),
        cmocka_unit_test(refusals),
        cmocka_unit_test(node_replacement),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
