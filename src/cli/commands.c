/* The one table of subcommands. */
#include "cli/cli.h"

#ifdef SREBOT_WITH_VECTORSCAN
#define CMD_SCAN cmd_scan
#else
#include <stdio.h>
#include <string.h>
#define CMD_SCAN scan_not_built
/* Left out with the log detector: say how to get it (--help too, exit 0). */
static int scan_not_built(int argc, char **argv)
{
    int help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
    fprintf(help ? stdout : stderr,
            "srebot scan: the log detector is not in this build "
            "(configure with -DSREBOT_WITH_VECTORSCAN=ON)\n");
    return help ? 0 : 2;
}
#endif

const struct cli_command cli_commands[] = {
    {"serve", "run the service (HTTP API, console, ledger, sources)", serve_main},
    {"migrate", "apply store schema migrations and exit", cmd_migrate},
    {"token", "API tokens: create (printed once), list, revoke", cmd_token},
    {"audit", "verify the hash-chained audit log", cmd_audit},
    {"config", "print the effective configuration or the settings table", cmd_config},
    {"policy", "read, validate and change the policy (get|validate|set|versions)", cmd_policy},
    {"finding", "send a finding to a running server (emit)", cmd_finding},
    {"incidents", "list, show and transition incidents (list|show|transition)", cmd_incidents},
    {"approvals", "list, approve and reject action approval requests (list|approve|reject)",
     cmd_approvals},
    {"backup", "write a consistent copy of the store to a file (while it runs)", cmd_backup},
    {"restore", "replace the stopped store with a backup file", cmd_restore},
    {"detect", "run the sources and deliver findings to a running server", cmd_detect},
    {"scan", "match the log signatures against log files once", CMD_SCAN},
    {"version", "print the version", cmd_version},
    {NULL, NULL, NULL},
};
