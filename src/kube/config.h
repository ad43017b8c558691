/* Where the Kubernetes API is and how to authenticate to it
 * (reference/protocols.md 8.1; docs/kubernetes.md "Connecting").
 *
 * Selection (kube_config_from_env): IF_SRE_KUBECONFIG, else KUBECONFIG (the
 * first file of a ':'-separated list), else the in-cluster service account
 * (KUBERNETES_SERVICE_HOST/PORT and the mounted token, CA and namespace),
 * else off. A kubeconfig gives the current context's cluster and user: server,
 * bearer token (inline or tokenFile), client certificate and key (inline data
 * or files), CA (data or file), insecure-skip-tls-verify, the context's
 * namespace. An exec credential plugin is refused with a message that says so
 * (srebot runs no helper program to get a token); so is an auth-provider.
 */
#ifndef SREBOT_KUBE_CONFIG_H
#define SREBOT_KUBE_CONFIG_H

#include <jansson.h>
#include <stddef.h>

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_MAX_CONFIG_BYTES (1024u * 1024u)

struct kube_config {
    char server[512];      /* scheme://host[:port][/prefix], no trailing '/' */
    char origin[640];      /* where it came from, for the log: never a secret */
    char token[8192];      /* bearer token, "" when none (wiped by kube_config_clear) */
    char token_file[512];  /* re-read periodically (rotated service account tokens) */
    char ca_file[512];     /* CA bundle file, or "" */
    char cert_file[512];   /* client certificate file, or "" */
    char key_file[512];    /* client key file, or "" */
    char *ca_pem;          /* inline CA / client certificate / key (PEM), malloc'd or NULL */
    char *cert_pem;
    char *key_pem;
    int insecure;          /* insecure-skip-tls-verify: true */
    char namespace_[64];   /* the context's (or the service account's) namespace; "" */
};

/* Parses a kubeconfig document (YAML). dir resolves relative file names (the
 * kubeconfig's directory). 0, or -1 with "<path>: <reason>" in err (a JSON
 * Pointer into the document). Bounded: KUBE_MAX_CONFIG_BYTES, yaml_json.h. */
int kube_kubeconfig_parse(const char *buf, size_t len, const char *dir, struct kube_config *out,
                          char *err, size_t errlen);
/* Reads and parses the kubeconfig file at path. */
int kube_kubeconfig_load(const char *path, struct kube_config *out, char *err, size_t errlen);
/* The in-cluster service account: server from host/port (an IPv6 host is
 * bracketed), token file and CA under sa_dir. 0, or -1 with why. */
int kube_incluster_load(const char *host, const char *port, const char *sa_dir,
                        struct kube_config *out, char *err, size_t errlen);

/* The selection above. getenv_fn NULL = getenv; sa_dir NULL = KUBE_SA_DIR.
 * Returns 1 when configured (out filled), 0 when off (msg: the one line to
 * log), -1 when the chosen configuration is broken (msg says why). */
int kube_config_from_env(const char *(*getenv_fn)(const char *), const char *sa_dir,
                         struct kube_config *out, char *msg, size_t msglen);

/* Frees the inline PEMs and wipes the token. Accepts a zeroed struct. */
void kube_config_clear(struct kube_config *c);

#endif
