/* The command line: one binary, subcommands. Each subcommand lives in its own
 * file (src/cli/cmd_*.c) and is listed once in cli_commands[] (src/cli/commands.c).
 * A command gets argc/argv with argv[0] = its own name, parses with getopt_long,
 * answers --help, and returns the process exit code. */
#ifndef SREBOT_CLI_CLI_H
#define SREBOT_CLI_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

#include "core/config.h"

struct cli_command {
    const char *name;    /* "serve", "token", "policy" ... */
    const char *summary; /* one line for `srebot --help` */
    int (*run)(int argc, char **argv);
};
extern const struct cli_command cli_commands[]; /* NULL-name terminated */

int cli_main(int argc, char **argv);

/* Client side of commands that talk to a running server: --server / IF_SRE_SERVER
 * (default http://127.0.0.1:8080), token from IF_SRE_TOKEN. Sends body (may be NULL),
 * returns the HTTP status (or -1 with a message on stderr when unreachable) and the
 * parsed JSON answer in *out (may be NULL). extra_header: "If-Match: ..." or NULL. */
int cli_http(const char *server, const char *method, const char *path, json_t *body,
             const char *extra_header, json_t **out, char *etag, size_t etaglen);
/* Resolves --server: flag value, else IF_SRE_SERVER, else the default. */
const char *cli_server(const char *flag_value);
/* Prints an API error answer ({"error":...}) readably to stderr. */
void cli_print_error(int status, json_t *answer);

/* Parses the config table's flags (and the command's extra options) from argv,
 * then loads the configuration (flag > env > default). Returns 0 to go on, 1 when
 * --help was printed, -1 on error (message printed). on_extra gets each extra
 * option; it returns non-zero to reject. */
int cli_parse_settings(int argc, char **argv, struct config *cfg, const struct option *extra,
                       size_t nextra, int (*on_extra)(int opt, const char *arg, void *ctx),
                       void *ctx, void (*help)(FILE *out));
/* The same, also handing back the setting flags given (for `srebot config`). */
#define CLI_SEEN_MAX 64
struct cli_seen {
    const char *names[CLI_SEEN_MAX], *values[CLI_SEEN_MAX];
    size_t n;
};
int cli_parse_settings_seen(int argc, char **argv, struct config *cfg, const struct option *extra,
                            size_t nextra, int (*on_extra)(int opt, const char *arg, void *ctx),
                            void *ctx, void (*help)(FILE *out), struct cli_seen *seen);
/* The value given for --flag (the last one), or NULL. */
const char *cli_seen_flag(const struct cli_seen *seen, const char *flag);

/* Prints the settings table (flags, env vars, defaults) for a command's --help:
 * every setting, or only the flags named in `only` (NULL-terminated). */
void cli_settings_help(FILE *out, const char *const *only);
/* Opens the store of cfg (the data dir made if needed) for a command that
 * works on it directly; 0, or -1 with the reason printed. */
struct store;
int cli_open_store(const struct config *cfg, struct store **s);
/* The settings of commands that only open the store (token, audit, migrate). */
extern const char *const cli_store_settings[];

/* Reads FILE ("-" = stdin): at most max_bytes + 1 bytes, so a parser bounded by
 * max_bytes reports a larger file as too large. NULL (message printed) when it
 * cannot be opened. The caller frees the buffer. */
char *cli_read_file(const char *file, size_t max_bytes, size_t *len);
/* 1 when s is a decimal id (1..18 digits). */
int cli_is_id(const char *s);

/* Creates the data directory (and parents) if missing; prints and returns -1 on error. */
int cli_ensure_data_dir(const struct config *cfg);

/* `serve` is the composition root and lives in src/main.c. */
int serve_main(int argc, char **argv);

/* The subcommands, one per src/cli/cmd_*.c, listed in cli_commands[]. */
int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_finding(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
int cmd_approvals(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);

#endif
