/* `srebot token create|list|revoke`: API tokens, on the store directly (no
 * server needed; whoever can read the data dir is the admin here). Every
 * creation and revocation is audited with actor "cli". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ledger/tokens.h"
#include "util/timeutil.h"

struct token_opts {
    const char *name, *role, *expires, *expires_in;
};

static void token_help(FILE *out)
{
    fprintf(out,
            "usage: srebot token COMMAND [SETTINGS]\n\n"
            "commands:\n"
            "  create --name NAME --role viewer|operator|admin|ingest\n"
            "         [--expires-in 30d|12h|90m | --expires RFC3339]\n"
            "                      create a token and print it once on stdout. Only its\n"
            "                      SHA-256 is stored: a lost token cannot be recovered\n"
            "  list                every token: name, role, state, created, expires, last use\n"
            "                      (to the minute)\n"
            "  revoke NAME         refuse the token from its next request on\n\n"
            "Creation and revocation are audited (actor \"cli\").\n\n");
    cli_settings_help(out, cli_store_settings);
}

static int token_extra(int opt, const char *arg, void *ctx)
{
    struct token_opts *o = ctx;
    switch (opt) {
    case 'n': o->name = arg; break;
    case 'r': o->role = arg; break;
    case 'e': o->expires = arg; break;
    case 'i': o->expires_in = arg; break;
    default: return -1;
    }
    return 0;
}

/* "30d", "12h", "90m" -> milliseconds; -1 when malformed or beyond 10 years. */
static int64_t parse_duration(const char *s)
{
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || n <= 0 || end[0] == '\0' || end[1] != '\0')
        return -1;
    int64_t unit = end[0] == 'd' ? 86400000 : end[0] == 'h' ? 3600000 : end[0] == 'm' ? 60000 : 0;
    if (!unit || n > 3650LL * 86400000 / unit)
        return -1;
    return n * unit;
}

static int do_create(struct store *s, const struct token_opts *o)
{
    enum role role = o->role ? role_parse(o->role) : ROLE_NONE;
    if (!o->name || role == ROLE_NONE) {
        fprintf(stderr, "srebot: token create needs --name and --role "
                        "(viewer, operator, admin or ingest)\n");
        return 2;
    }
    int64_t expires = 0;
    if (o->expires && o->expires_in) {
        fprintf(stderr, "srebot: give --expires or --expires-in, not both\n");
        return 2;
    }
    if (o->expires_in) {
        int64_t d = parse_duration(o->expires_in);
        if (d < 0) {
            fprintf(stderr, "srebot: --expires-in: want a number and d, h or m (30d, 12h)\n");
            return 2;
        }
        expires = time_now_ms() + d;
    } else if (o->expires && time_parse_rfc3339(o->expires, &expires) != 0) {
        fprintf(stderr, "srebot: --expires: want an RFC 3339 time (2027-01-31T00:00:00Z)\n");
        return 2;
    }
    char token[AUTH_TOKEN_BUF], err[256];
    if (auth_token_create(s, "cli", o->name, role, expires, token, err, sizeof err)) {
        fprintf(stderr, "srebot: token create: %s\n", err);
        return 1;
    }
    printf("%s\n", token);
    memset(token, 0, sizeof token);
    return 0;
}

static const char *str(json_t *o, const char *k, const char *none)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : none;
}

static int do_list(struct store *s)
{
    json_t *items = NULL;
    enum svc_status st = auth_token_list(s, &items);
    if (st != SVC_OK) {
        fprintf(stderr, "srebot: token list: %s\n", svc_status_text(st));
        return 1;
    }
    printf("%-24s %-9s %-8s %-20s %-20s %s\n", "NAME", "ROLE", "STATE", "CREATED", "EXPIRES",
           "LAST USED");
    size_t i;
    json_t *t;
    json_array_foreach(items, i, t) {
        printf("%-24s %-9s %-8s %-20s %-20s %s\n", str(t, "name", ""), str(t, "role", ""),
               str(t, "state", ""), str(t, "created_at", ""), str(t, "expires_at", "never"),
               str(t, "last_used_at", "never"));
    }
    json_decref(items);
    return 0;
}

static int do_revoke(struct store *s, const char *name)
{
    char err[200];
    enum svc_status st = auth_token_revoke(s, "cli", name, err, sizeof err);
    if (st != SVC_OK) {
        fprintf(stderr, "srebot: token revoke: %s\n", err);
        return 1;
    }
    printf("revoked %s\n", name);
    return 0;
}

int cmd_token(int argc, char **argv)
{
    static const struct option extra[] = {{"name", required_argument, NULL, 'n'},
                                          {"role", required_argument, NULL, 'r'},
                                          {"expires", required_argument, NULL, 'e'},
                                          {"expires-in", required_argument, NULL, 'i'}};
    const char *cmd = argc >= 2 ? argv[1] : NULL;
    if (!cmd || cmd[0] == '-') {
        int help = cmd && (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0);
        token_help(help ? stdout : stderr);
        return help ? 0 : 2;
    }
    struct token_opts o = {0};
    struct config cfg;
    int rc = cli_parse_settings(argc - 1, argv + 1, &cfg, extra, 4, token_extra, &o, token_help);
    if (rc)
        return rc > 0 ? 0 : 2;
    const char *arg = optind < argc - 1 ? argv[optind + 1] : NULL;
    int is_create = strcmp(cmd, "create") == 0, is_list = strcmp(cmd, "list") == 0,
        is_revoke = strcmp(cmd, "revoke") == 0;
    if (!(is_create && !arg) && !(is_list && !arg) && !(is_revoke && arg)) {
        token_help(stderr);
        return 2;
    }
    struct store *s;
    if (cli_open_store(&cfg, &s))
        return 1;
    rc = is_create ? do_create(s, &o) : is_list ? do_list(s) : do_revoke(s, arg);
    store_close(s);
    return rc;
}
