/* The one table of subcommands. */
#include "cli/cli.h"

int cmd_version(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_finding(int argc, char **argv);
int cmd_incidents(int argc, char **argv);
#ifdef SREBOT_WITH_VECTORSCAN
int cmd_scan(int argc, char **argv);
#else
#include <stdio.h>
/* Left out with the log detector: say how to get it. */
static int cmd_scan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "srebot scan: the log detector is not in this build "
                    "(configure with -DSREBOT_WITH_VECTORSCAN=ON)\n");
    return 2;
}
#endif

const struct cli_command cli_commands[] = {
    {"serve", "run the service (HTTP API, console, ledger, sources)", serve_main},
    {"migrate", "apply store schema migrations and exit", cmd_migrate},
    {"token", "create an API token (printed once)", cmd_token},
    {"audit", "verify the hash-chained audit log", cmd_audit},
    {"config", "print the effective configuration or the settings table", cmd_config},
    {"policy", "read, validate and change the policy (get|validate|set|versions)", cmd_policy},
    {"finding", "send a finding to a running server (emit)", cmd_finding},
    {"incidents", "list, show and transition incidents (list|show|transition)", cmd_incidents},
    {"detect", "run the sources and deliver findings to a running server", cmd_detect},
    {"scan", "match the log signatures against log files once", cmd_scan},
    {"version", "print the version", cmd_version},
    {NULL, NULL, NULL},
};
