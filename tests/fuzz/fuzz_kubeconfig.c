/* libFuzzer target: the kubeconfig reader (YAML through util/yaml_json.c, then
 * the current context's cluster and user). Input: any bytes. Checks: it never
 * crashes or leaks; on success the server is an http(s) URL without a
 * trailing '/', every string is NUL-terminated within its buffer, and a client
 * certificate always comes with its key; on failure the reason is non-empty. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kube/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kube_config c;
    char err[400] = "";
    if (kube_kubeconfig_parse((const char *)data, size, "/tmp", &c, err, sizeof err) == 0) {
        assert(memchr(c.server, '\0', sizeof c.server));
        assert(strncmp(c.server, "http://", 7) == 0 || strncmp(c.server, "https://", 8) == 0);
        size_t n = strlen(c.server);
        assert(n > 0 && c.server[n - 1] != '/');
        assert(memchr(c.token, '\0', sizeof c.token));
        assert(memchr(c.namespace_, '\0', sizeof c.namespace_));
        assert(!!(c.cert_pem || c.cert_file[0]) == !!(c.key_pem || c.key_file[0]));
        kube_config_clear(&c);
    } else {
        assert(err[0]);
    }
    return 0;
}
