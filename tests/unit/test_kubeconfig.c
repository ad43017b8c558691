/* The kubeconfig reader and the selection between IF_SRE_KUBECONFIG,
 * KUBECONFIG, the in-cluster service account and off: what is read, and the
 * exact path and reason of every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube/config.h"
#include "util/yaml_json.h"

static int parse(const char *yaml, struct kube_config *c, char *err, size_t errlen)
{
    return kube_kubeconfig_parse(yaml, strlen(yaml), "/etc/kube", c, err, errlen);
}

#define HEAD                                                                                       \
    "apiVersion: v1\nkind: Config\ncurrent-context: prod\n"                                        \
    "contexts:\n- name: other\n  context: {cluster: nope, user: nope}\n"                           \
    "- name: prod\n  context: {cluster: oke, user: bot, namespace: shop}\n"

static void token_and_ca_data(void **state)
{
    (void)state;
    /* base64 of "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" */
    const char *y = HEAD "clusters:\n- name: oke\n  cluster:\n    server: https://10.0.0.1:6443//\n"
                         "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=\n"
                         "users:\n- name: bot\n  user:\n    token: abc.def\n";
    struct kube_config c;
    char err[300] = "";
    assert_int_equal(parse(y, &c, err, sizeof err), 0);
    assert_string_equal(c.server, "https://10.0.0.1:6443");
    assert_string_equal(c.token, "abc.def");
    assert_string_equal(c.namespace_, "shop");
    assert_non_null(c.ca_pem);
    assert_string_equal(c.ca_pem,
                        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
    assert_null(strstr(c.origin, "abc.def")); /* never the secret */
    assert_non_null(strstr(c.origin, "prod"));
    kube_config_clear(&c);
    assert_string_equal(c.token, "");
}

static void files_are_relative_to_the_kubeconfig(void **state)
{
    (void)state;
    const char *y = HEAD "clusters:\n- name: oke\n  cluster: {server: 'https://k', "
                         "certificate-authority: ca.crt, insecure-skip-tls-verify: true}\n"
                         "users:\n- name: bot\n  user: {client-certificate: certs/u.crt, "
                         "client-key: /abs/u.key, tokenFile: t}\n";
    struct kube_config c;
    char err[300] = "";
    assert_int_equal(parse(y, &c, err, sizeof err), 0);
    assert_string_equal(c.ca_file, "/etc/kube/ca.crt");
    assert_string_equal(c.cert_file, "/etc/kube/certs/u.crt");
    assert_string_equal(c.key_file, "/abs/u.key");
    assert_string_equal(c.token_file, "/etc/kube/t");
    assert_int_equal(c.insecure, 1);
    kube_config_clear(&c);
}

struct refusal {
    const char *yaml, *err;
};

static void refusals_name_path_and_reason(void **state)
{
    (void)state;
    const struct refusal cases[] = {
        {HEAD "clusters:\n- name: oke\n  cluster: {server: 'https://k'}\nusers:\n- name: bot\n"
              "  user:\n    exec: {command: oci, args: [ce, cluster, generate-token]}\n",
         "/users/0/user/exec: exec credential plugins are not supported"},
        {HEAD "clusters:\n- name: oke\n  cluster: {server: 'https://k'}\nusers:\n- name: bot\n"
              "  user: {auth-provider: {name: gcp}}\n",
         "/users/0/user/auth-provider: auth provider plugins are not supported"},
        {"kind: Config\n", "/current-context: required"},
        {HEAD "clusters: []\n", "/contexts/1/context/cluster: no cluster named \"oke\""},
        {HEAD "clusters:\n- name: oke\n  cluster: {server: 'ftp://k'}\n",
         "/clusters/0/cluster/server: required, an http(s) URL"},
        {HEAD "clusters:\n- name: oke\n  cluster: {server: 'https://k'}\nusers: []\n",
         "/contexts/1/context/user: no user named \"bot\""},
        {HEAD "clusters:\n- name: oke\n  cluster: {server: 'https://k', "
              "certificate-authority-data: '!!notbase64'}\n",
         "/clusters/0/cluster/certificate-authority-data: not base64-encoded PEM text"},
        {HEAD "clusters:\n- name: oke\n  cluster: {server: 'https://k'}\nusers:\n- name: bot\n"
              "  user: {client-certificate: a.crt}\n",
         "/users/0/user: a client certificate needs its key"},
        {"current-context: a\ncurrent-context: b\n", "/current-context: duplicate key"},
        {"a: [b\n", "line "},
        {"current-context: x\ncontexts:\n- &r {name: x, context: {cluster: *r}}\n",
         "nested too deeply"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kube_config c;
        char err[400] = "";
        assert_int_equal(parse(cases[i].yaml, &c, err, sizeof err), -1);
        if (!strstr(err, cases[i].err))
            fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, err, cases[i].err);
        assert_null(c.ca_pem);
    }
}

static void alias_bomb_is_refused(void **state)
{
    (void)state;
    const char *y = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    char err[300] = "";
    assert_null(yaml_to_json(y, strlen(y), err, sizeof err));
    assert_non_null(strstr(err, "too many nodes"));
    /* and a normal alias is read */
    const char *ok = "a: &x {k: v}\nb: *x\n";
    json_t *j = yaml_to_json(ok, strlen(ok), err, sizeof err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "b"), "k")), "v");
    json_decref(j);
}

/* ---- selection ---- */
static const char *env_names[8], *env_values[8];
static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; env_names[i]; i++)
        if (strcmp(env_names[i], name) == 0)
            return env_values[i];
    return NULL;
}
static void set_env(size_t i, const char *name, const char *value)
{
    env_names[i] = name;
    env_values[i] = value;
    env_names[i + 1] = NULL;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void selection_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/srebot-kubecfg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[300], b[300], sa[300], p[400];
    snprintf(a, sizeof a, "%s/a.yaml", dir);
    snprintf(b, sizeof b, "%s/b.yaml", dir);
    write_file(a, "current-context: a\ncontexts: [{name: a, context: {cluster: a}}]\n"
                  "clusters: [{name: a, cluster: {server: 'https://a'}}]\n");
    write_file(b, "current-context: b\ncontexts: [{name: b, context: {cluster: b}}]\n"
                  "clusters: [{name: b, cluster: {server: 'https://b'}}]\n");
    snprintf(sa, sizeof sa, "%s/sa", dir);
    assert_int_equal(mkdir(sa, 0700), 0);
    snprintf(p, sizeof p, "%s/token", sa);
    write_file(p, "sa-token\n");
    snprintf(p, sizeof p, "%s/namespace", sa);
    write_file(p, "srebot\n");

    struct kube_config c;
    char msg[600];
    set_env(0, "IF_SRE_KUBECONFIG", a);
    set_env(1, "KUBECONFIG", b);
    set_env(2, "KUBERNETES_SERVICE_HOST", "fd00::1");
    set_env(3, "KUBERNETES_SERVICE_PORT", "443");
    assert_int_equal(kube_config_from_env(fake_getenv, sa, &c, msg, sizeof msg), 1);
    assert_string_equal(c.server, "https://a");
    kube_config_clear(&c);

    char list[700];
    snprintf(list, sizeof list, "/nonexistent.yaml:%s", b);
    set_env(0, "KUBECONFIG", list); /* the first file that exists */
    set_env(1, "KUBERNETES_SERVICE_HOST", "fd00::1");
    set_env(2, "KUBERNETES_SERVICE_PORT", "443");
    assert_int_equal(kube_config_from_env(fake_getenv, sa, &c, msg, sizeof msg), 1);
    assert_string_equal(c.server, "https://b");
    kube_config_clear(&c);

    set_env(0, "KUBERNETES_SERVICE_HOST", "fd00::1");
    set_env(1, "KUBERNETES_SERVICE_PORT", "443");
    assert_int_equal(kube_config_from_env(fake_getenv, sa, &c, msg, sizeof msg), 1);
    assert_string_equal(c.server, "https://[fd00::1]:443");
    assert_string_equal(c.namespace_, "srebot");
    assert_non_null(strstr(c.token_file, "/sa/token"));
    kube_config_clear(&c);

    env_names[0] = NULL;
    assert_int_equal(kube_config_from_env(fake_getenv, sa, &c, msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "Kubernetes is off"));

    set_env(0, "IF_SRE_KUBECONFIG", "/nonexistent/kubeconfig");
    assert_int_equal(kube_config_from_env(fake_getenv, sa, &c, msg, sizeof msg), -1);
    assert_non_null(strstr(msg, "IF_SRE_KUBECONFIG"));

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(token_and_ca_data),
        cmocka_unit_test(files_are_relative_to_the_kubeconfig),
        cmocka_unit_test(refusals_name_path_and_reason),
        cmocka_unit_test(alias_bomb_is_refused),
        cmocka_unit_test(selection_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
