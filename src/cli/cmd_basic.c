/* Small commands: version, config, migrate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("srebot %s\n", SREBOT_VERSION);
    return 0;
}

static void config_help(FILE *out)
{
    fprintf(out, "usage: srebot config [--markdown] [SETTINGS]\n\n"
                 "Prints the effective configuration (secrets shown only as set/unset),\n"
                 "or with --markdown the settings table for docs/configuration.md.\n\n");
    cli_settings_help(out, NULL);
}

static int config_extra(int opt, const char *arg, void *ctx)
{
    (void)arg;
    if (opt != 'm')
        return -1;
    *(int *)ctx = 1;
    return 0;
}

static void print_markdown(void)
{
    printf("| flag | environment | default | meaning |\n|---|---|---|---|\n");
    for (const struct config_setting *s = config_settings; s->env; s++) {
        char flag[48] = "";
        if (s->flag)
            snprintf(flag, sizeof flag, "`--%s`", s->flag);
        char def[160];
        snprintf(def, sizeof def, s->secret ? "unset" : (*s->def ? "`%s`" : "empty"), s->def);
        printf("| %s | `%s` | %s | %s |\n", flag, s->env, def, s->help);
    }
}

/* Every setting with its value and where the value came from (flag > env >
 * default, as config_load applies them); secrets only as set / unset. */
static void print_effective(const struct config *cfg, const struct cli_seen *seen)
{
    printf("%-38s %-8s %s\n", "SETTING", "SOURCE", "VALUE");
    for (const struct config_setting *s = config_settings; s->env; s++) {
        const char *value = cli_seen_flag(seen, s->flag), *source = "flag";
        if (!value && (value = getenv(s->env)))
            source = "env";
        char def[600];
        if (!value) {
            const char *dd = strstr(s->def, "{data_dir}");
            if (dd)
                snprintf(def, sizeof def, "%.*s%s%s", (int)(dd - s->def), s->def, cfg->data_dir,
                         dd + strlen("{data_dir}"));
            else
                snprintf(def, sizeof def, "%s", s->def);
            value = def;
            source = "default";
        }
        printf("%-38s %-8s %s\n", s->env, source, s->secret ? (*value ? "set" : "unset") : value);
    }
}

int cmd_config(int argc, char **argv)
{
    static const struct option extra[] = {{"markdown", no_argument, NULL, 'm'}};
    int markdown = 0;
    struct config cfg;
    struct cli_seen seen = {0};
    int rc = cli_parse_settings_seen(argc, argv, &cfg, extra, 1, config_extra, &markdown,
                                     config_help, &seen);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (markdown) {
        print_markdown();
        return 0;
    }
    print_effective(&cfg, &seen);
    return 0;
}

static void migrate_help(FILE *out)
{
    fprintf(out, "usage: srebot migrate [SETTINGS]\n\n"
                 "Applies pending schema migrations to the store and exits.\n\n");
    cli_settings_help(out, cli_store_settings);
}

int cmd_migrate(int argc, char **argv)
{
    struct config cfg;
    int rc = cli_parse_settings(argc, argv, &cfg, NULL, 0, NULL, NULL, migrate_help);
    if (rc)
        return rc > 0 ? 0 : 2;
    if (cli_ensure_data_dir(&cfg))
        return 1;
    int applied = 0, version = 0;
    char err[256];
    enum store_status st = store_migrate(cfg.store_url, &applied, &version, err, sizeof err);
    if (st != STORE_OK) {
        fprintf(stderr, "srebot: migrate: %s\n", err);
        return 1;
    }
    printf("migrations applied: %d; schema version: %d\n", applied, version);
    return 0;
}
