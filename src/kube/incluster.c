/* The in-cluster service account and the selection between it and a kubeconfig. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube/config.h"

int kube_incluster_load(const char *host, const char *port, const char *sa_dir,
                        struct kube_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!host || !host[0] || !port || !port[0]) {
        snprintf(err, errlen, "KUBERNETES_SERVICE_HOST/PORT are not set");
        return -1;
    }
    int v6 = strchr(host, ':') != NULL;
    int n = snprintf(out->server, sizeof out->server, "https://%s%s%s:%s", v6 ? "[" : "", host,
                     v6 ? "]" : "", port);
    if (n < 0 || (size_t)n >= sizeof out->server) {
        snprintf(err, errlen, "KUBERNETES_SERVICE_HOST is too long");
        return -1;
    }
    snprintf(out->token_file, sizeof out->token_file, "%.490s/token", sa_dir);
    if (access(out->token_file, R_OK) != 0) {
        snprintf(err, errlen, "in-cluster: the service account token %.400s is not readable",
                 out->token_file);
        return -1;
    }
    char ca[600];
    snprintf(ca, sizeof ca, "%.490s/ca.crt", sa_dir);
    if (access(ca, R_OK) == 0)
        snprintf(out->ca_file, sizeof out->ca_file, "%.500s", ca);
    char nsf[600];
    snprintf(nsf, sizeof nsf, "%.490s/namespace", sa_dir);
    FILE *f = fopen(nsf, "r");
    if (f) {
        if (fgets(out->namespace_, sizeof out->namespace_, f))
            out->namespace_[strcspn(out->namespace_, "\r\n")] = '\0';
        fclose(f);
    }
    snprintf(out->origin, sizeof out->origin, "in-cluster service account, server %.500s",
             out->server);
    return 0;
}

static const char *env_get(const char *(*getenv_fn)(const char *), const char *name)
{
    const char *v = getenv_fn ? getenv_fn(name) : getenv(name);
    return v && v[0] ? v : NULL;
}

int kube_config_from_env(const char *(*getenv_fn)(const char *), const char *sa_dir,
                         struct kube_config *out, char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    const char *path = env_get(getenv_fn, "IF_SRE_KUBECONFIG");
    const char *var = "IF_SRE_KUBECONFIG";
    char first[512];
    if (!path && (path = env_get(getenv_fn, "KUBECONFIG"))) {
        /* KUBECONFIG may list several files; the first one that exists is read
         * (srebot does not merge kubeconfigs). */
        var = "KUBECONFIG";
        const char *s = path;
        first[0] = '\0';
        while (*s) {
            size_t n = strcspn(s, ":");
            if (n > 0 && n < sizeof first) {
                memcpy(first, s, n);
                first[n] = '\0';
                if (access(first, F_OK) == 0)
                    break;
                first[0] = '\0';
            }
            s += n + (s[n] == ':');
        }
        if (!first[0]) {
            snprintf(msg, msglen, "KUBECONFIG names no file that exists");
            return -1;
        }
        path = first;
    }
    char err[600];
    if (path) {
        if (kube_kubeconfig_load(path, out, err, sizeof err) != 0) {
            snprintf(msg, msglen, "%s: %s", var, err);
            return -1;
        }
        return 1;
    }
    const char *host = env_get(getenv_fn, "KUBERNETES_SERVICE_HOST");
    if (host) {
        if (kube_incluster_load(host, env_get(getenv_fn, "KUBERNETES_SERVICE_PORT"),
                                sa_dir ? sa_dir : KUBE_SA_DIR, out, err, sizeof err) != 0) {
            snprintf(msg, msglen, "in-cluster: %s", err);
            return -1;
        }
        return 1;
    }
    snprintf(msg, msglen,
             "Kubernetes is off: no IF_SRE_KUBECONFIG, no KUBECONFIG and not in a cluster "
             "(KUBERNETES_SERVICE_HOST unset)");
    return 0;
}
