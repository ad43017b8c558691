/* srebot backup FILE / srebot restore FILE: whole-store copies (docs/operations.md#backups). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "store/store.h"

struct file_opts {
    int force;
};

static int file_extra(int opt, const char *arg, void *ctx)
{
    (void)arg;
    struct file_opts *o = ctx;
    if (opt != 'f')
        return -1;
    o->force = 1;
    return 0;
}

static void backup_help(FILE *out)
{
    fprintf(out, "usage: srebot backup FILE [--force] [SETTINGS]\n\n"
                 "Writes a consistent copy of the store to FILE, also while the server\n"
                 "runs (SQLite's online backup API: one snapshot), then checks the copy:\n"
                 "its schema version and its audit chain. An existing FILE is only\n"
                 "replaced with --force. Exit 0 when written and checked.\n\n");
    cli_settings_help(out, cli_store_settings);
}

static void restore_help(FILE *out)
{
    fprintf(out, "usage: srebot restore FILE [--force] [SETTINGS]\n\n"
                 "Replaces the store with the backup FILE. Only while the store is not in\n"
                 "use (stop the service first); only from an intact srebot store of a\n"
                 "schema version this build knows whose audit chain verifies; over an\n"
                 "existing store only with --force. An older schema is migrated forward by\n"
                 "the next start.\n\n");
    cli_settings_help(out, cli_store_settings);
}

/* Shared by both: FILE is the first argument after the command. */
static int run_file_cmd(int argc, char **argv, int restore)
{
    static const struct option extra[] = {{"force", no_argument, NULL, 'f'}};
    void (*help)(FILE *) = restore ? restore_help : backup_help;
    if (argc < 2 || argv[1][0] == '-') {
        int asked = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        help(asked ? stdout : stderr);
        return asked ? 0 : 2;
    }
    const char *file = argv[1];
    struct file_opts o = {0};
    struct config cfg;
    int rc = cli_parse_settings(argc - 1, argv + 1, &cfg, extra, 1, file_extra, &o, help);
    if (rc)
        return rc > 0 ? 0 : 2;
    char err[600] = "";
    struct store_file_info info = {0};
    enum store_status st;
    if (restore) {
        if (cli_ensure_data_dir(&cfg))
            return 1;
        st = store_restore(cfg.store_url, file, o.force, &info, err, sizeof err);
    } else {
        st = store_backup(cfg.store_url, file, o.force, &info, err, sizeof err);
    }
    if (st != STORE_OK) {
        fprintf(stderr, "srebot %s: %s\n", restore ? "restore" : "backup", err);
        return st == STORE_BUSY || st == STORE_CONFLICT ? 3 : 1;
    }
    printf("%s %s: schema version %d, audit chain intact (%lld records)\n",
           restore ? "restored from" : "backup written to", file, info.schema_version,
           (long long)info.audit_records);
    return 0;
}

int cmd_backup(int argc, char **argv) { return run_file_cmd(argc, argv, 0); }
int cmd_restore(int argc, char **argv) { return run_file_cmd(argc, argv, 1); }
