/* Commands that work on the store directly (no server needed): audit; the
 * store opener they share with token (cmd_token.c). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

int cli_open_store(const struct config *cfg, struct store **s)
{
    if (cli_ensure_data_dir(cfg))
        return -1;
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = cfg->store_url;
    char err[256];
    if (store_open(&sc, s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "srebot: store: %s\n", err);
        return -1;
    }
    return 0;
}

static void audit_help(FILE *out)
{
    fprintf(out, "usage: srebot audit verify [SETTINGS]\n\n"
                 "Walks the hash-chained audit log and reports the first broken link\n"
                 "(a record altered or removed). Exit 0 when intact, 1 when broken.\n\n");
    cli_settings_help(out, cli_store_settings);
}

int cmd_audit(int argc, char **argv)
{
    struct config cfg;
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            audit_help(stdout);
            return 0;
        }
        audit_help(stderr);
        return 2;
    }
    int rc = cli_parse_settings(argc - 1, argv + 1, &cfg, NULL, 0, NULL, NULL, audit_help);
    if (rc)
        return rc > 0 ? 0 : 2;
    struct store *s;
    if (cli_open_store(&cfg, &s))
        return 1;
    struct store_conn *c;
    int64_t broken = 0, checked = 0;
    char reason[256] = "";
    enum store_status st = store_read_acquire(s, &c);
    if (st == STORE_OK) {
        st = store_audit_verify(c, &broken, &checked, reason, sizeof reason);
        store_read_release(s, c);
    }
    store_close(s);
    if (st != STORE_OK) {
        fprintf(stderr, "srebot: audit verify: %s\n", store_status_name(st));
        return 2;
    }
    if (broken) {
        printf("audit chain BROKEN at seq %lld: %s (%lld records checked)\n", (long long)broken,
               reason, (long long)checked);
        return 1;
    }
    printf("audit chain intact: %lld records\n", (long long)checked);
    return 0;
}
