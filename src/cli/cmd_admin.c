/* Commands that work on the store directly (no server needed): token, audit. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ledger/tokens.h"
#include "store/store.h"

struct token_opts {
    const char *name;
    const char *role;
};

static void token_help(FILE *out)
{
    fprintf(out, "usage: srebot token create --name NAME --role viewer|operator|admin|ingest "
                 "[SETTINGS]\n\n"
                 "Creates an API token and prints it once on stdout. Only its SHA-256 is\n"
                 "stored; a lost token cannot be recovered, create another.\n\n");
    cli_settings_help(out, cli_store_settings);
}

static int token_extra(int opt, const char *arg, void *ctx)
{
    struct token_opts *o = ctx;
    if (opt == 'n')
        o->name = arg;
    else if (opt == 'r')
        o->role = arg;
    else
        return -1;
    return 0;
}

static int open_store(const struct config *cfg, struct store **s)
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

int cmd_token(int argc, char **argv)
{
    static const struct option extra[] = {{"name", required_argument, NULL, 'n'},
                                          {"role", required_argument, NULL, 'r'}};
    struct token_opts o = {0};
    struct config cfg;
    if (argc < 2 || strcmp(argv[1], "create") != 0) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            token_help(stdout);
            return 0;
        }
        token_help(stderr);
        return 2;
    }
    int rc = cli_parse_settings(argc - 1, argv + 1, &cfg, extra, 2, token_extra, &o, token_help);
    if (rc)
        return rc > 0 ? 0 : 2;
    enum role role = o.role ? role_parse(o.role) : ROLE_NONE;
    if (!o.name || role == ROLE_NONE) {
        fprintf(stderr, "srebot: token create needs --name and --role "
                        "(viewer, operator, admin or ingest)\n");
        return 2;
    }
    struct store *s;
    if (open_store(&cfg, &s))
        return 1;
    char token[AUTH_TOKEN_BUF], err[256];
    rc = auth_token_create(s, o.name, role, token, err, sizeof err);
    store_close(s);
    if (rc) {
        fprintf(stderr, "srebot: token create: %s\n", err);
        return 1;
    }
    printf("%s\n", token);
    memset(token, 0, sizeof token);
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
    if (open_store(&cfg, &s))
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
