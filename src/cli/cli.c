#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "util/log.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: srebot COMMAND [OPTIONS]\n\nSRE Smart Bot " SREBOT_VERSION
                 ": keeps small clusters and hosts healthy.\n\ncommands:\n");
    for (const struct cli_command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\nRun 'srebot COMMAND --help' for a command's options.\n");
}

/* `--token T` / `--token=T`, for every command that calls a server: taken
 * out of argv and put where cli_http reads the token (IF_SRE_TOKEN), so each
 * command's options stay its own. 0, or -1 (printed) without a value. */
static int take_token_flag(int *argc, char **argv)
{
    for (int i = 2; i < *argc; i++) {
        const char *v = NULL;
        int used = 0;
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--token") == 0) {
            if (i + 1 >= *argc) {
                fprintf(stderr, "srebot: --token needs a value\n");
                return -1;
            }
            v = argv[i + 1];
            used = 2;
        } else if (strncmp(argv[i], "--token=", 8) == 0) {
            v = argv[i] + 8;
            used = 1;
        }
        if (!v)
            continue;
        setenv("IF_SRE_TOKEN", v, 1); /* the CLI's own process, before any thread */
        memmove(&argv[i], &argv[i + used], (size_t)(*argc - i - used + 1) * sizeof *argv);
        *argc -= used;
        i--;
    }
    return 0;
}

int cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        argv[1] = "version";
    for (const struct cli_command *c = cli_commands; c->name; c++)
        if (strcmp(c->name, argv[1]) == 0) {
            if (take_token_flag(&argc, argv) != 0)
                return 2;
            optind = 1; /* each command runs its own getopt_long from the start */
            return c->run(argc - 1, argv + 1);
        }
    fprintf(stderr, "srebot: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}

/* ---- settings from the config table, shared by every command that opens the store ---- */

#define MAX_SETTINGS 64

static const char *env_lookup(const char *name) { return getenv(name); }

const char *const cli_store_settings[] = {"data-dir", "store", "log-level", NULL};

static int listed(const char *flag, const char *const *only)
{
    if (!only)
        return 1;
    for (; flag && *only; only++)
        if (strcmp(*only, flag) == 0)
            return 1;
    return 0;
}

void cli_settings_help(FILE *out, const char *const *only)
{
    fprintf(out, "settings (flag / environment, default):\n");
    for (const struct config_setting *s = config_settings; s->env; s++) {
        if (!listed(s->flag, only))
            continue;
        char flag[40] = "";
        if (s->flag)
            snprintf(flag, sizeof flag, "--%s", s->flag);
        fprintf(out, "  %-18s %-40s %s\n%23s(default: %s)\n", flag, s->env, s->help, "",
                s->secret ? "unset" : (*s->def ? s->def : "empty"));
    }
    if (only)
        fprintf(out, "(srebot serve --help lists every setting)\n");
}

int cli_parse_settings(int argc, char **argv, struct config *cfg, const struct option *extra,
                       size_t nextra, int (*on_extra)(int opt, const char *arg, void *ctx),
                       void *ctx, void (*help)(FILE *out))
{
    return cli_parse_settings_seen(argc, argv, cfg, extra, nextra, on_extra, ctx, help, NULL);
}

int cli_parse_settings_seen(int argc, char **argv, struct config *cfg, const struct option *extra,
                            size_t nextra, int (*on_extra)(int opt, const char *arg, void *ctx),
                            void *ctx, void (*help)(FILE *out), struct cli_seen *seen)
{
    struct option opts[MAX_SETTINGS + 16];
    size_t n = 0;
    for (const struct config_setting *s = config_settings; s->env; s++)
        if (s->flag) {
            opts[n] = (struct option){s->flag, required_argument, NULL, 1000 + (int)n};
            n++;
        }
    size_t nsettings = n;
    for (size_t i = 0; i < nextra && n < MAX_SETTINGS + 14; i++)
        opts[n++] = extra[i];
    opts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[n] = (struct option){0, 0, 0, 0};

    const char *names[MAX_SETTINGS], *values[MAX_SETTINGS];
    size_t nflags = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            help(stdout);
            return 1;
        }
        if (opt >= 1000 && opt < 1000 + (int)nsettings) {
            if (nflags < MAX_SETTINGS) {
                names[nflags] = opts[opt - 1000].name;
                values[nflags++] = optarg;
            }
            continue;
        }
        if (opt == '?' || !on_extra || on_extra(opt, optarg, ctx)) {
            help(stderr);
            return -1;
        }
    }
    char err[512];
    if (config_load(cfg, names, values, nflags, env_lookup, err, sizeof err)) {
        fprintf(stderr, "srebot: %s\n", err);
        return -1;
    }
    /* Commands other than serve and detect (which set their own) log only
     * warnings unless a level is asked for: an admin command prints its answer,
     * not the store's start-up lines. */
    int level_asked = getenv("IF_SRE_LOG_LEVEL") != NULL;
    for (size_t i = 0; i < nflags; i++) {
        level_asked |= strcmp(names[i], "log-level") == 0;
        if (seen && seen->n < CLI_SEEN_MAX) {
            seen->names[seen->n] = names[i];
            seen->values[seen->n++] = values[i];
        }
    }
    log_set_level(level_asked ? (enum log_level)cfg->log_level : LOG_WARN);
    return 0;
}

const char *cli_seen_flag(const struct cli_seen *seen, const char *flag)
{
    const char *v = NULL; /* the last one wins, as in config_load */
    for (size_t i = 0; flag && i < seen->n; i++)
        if (strcmp(seen->names[i], flag) == 0)
            v = seen->values[i];
    return v;
}
