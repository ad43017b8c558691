/* `srebot approvals list|approve|reject`: the approval inbox from the command
 * line, against a running server (--server / IF_SRE_SERVER, token IF_SRE_TOKEN:
 * the approver is that token's name; operator or admin). Exit codes: 0 done,
 * 1 refused (expired, already decided, self-approval), 2 usage, 3 unreachable. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void approvals_help(FILE *out)
{
    fprintf(out,
            "usage: srebot approvals [--server URL] COMMAND\n\n"
            "commands:\n"
            "  list [--state S] [--incident ID] [--json]\n"
            "                          approval requests, newest first (default: pending)\n"
            "  approve ID [--reason TEXT]\n"
            "                          approve as the token's operator\n"
            "  reject ID --reason TEXT reject (a reason is required)\n\n"
            "States: pending approved rejected expired cancelled (or 'all').\n"
            "Rules: docs/actions.md (approvals).\n");
}

static int fail(int status, json_t *answer)
{
    if (status < 0)
        return 3;
    cli_print_error(status, answer);
    json_decref(answer);
    return 1;
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int do_list(const char *server, const char *state, const char *incident, int as_json)
{
    char path[256];
    int all = state && strcmp(state, "all") == 0;
    snprintf(path, sizeof path, "/api/v1/approvals?limit=200%s%s%s%s", all ? "" : "&state=",
             all ? "" : (state ? state : "pending"), incident ? "&incident=" : "",
             incident ? incident : "");
    if (strpbrk(path + strlen("/api/v1/approvals?"), " #%")) {
        fprintf(stderr, "srebot: bad --state or --incident\n");
        return 2;
    }
    json_t *ans = NULL;
    int st = cli_http(server, "GET", path, NULL, NULL, &ans, NULL, 0);
    if (st != 200)
        return fail(st, ans);
    if (as_json) {
        char *s = json_dumps(ans, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(ans, "items"), i, it) {
            json_t *a = json_object_get(it, "attempt");
            printf("%-6lld %-9s incident %-6lld %-24s %-32s votes %zu/%lld  expires %s\n",
                   (long long)json_integer_value(json_object_get(it, "id")), str(it, "state"),
                   (long long)json_integer_value(json_object_get(it, "incident_id")),
                   str(a, "action"), str(a, "target"),
                   json_array_size(json_object_get(it, "votes")),
                   (long long)json_integer_value(json_object_get(it, "approvers_required")),
                   str(it, "expires_at"));
        }
    }
    json_decref(ans);
    return 0;
}

static int do_decide(const char *server, const char *id, const char *verb, const char *reason)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/approvals/%s/%s", id, verb);
    json_t *body = reason ? json_pack("{s:s}", "reason", reason) : json_object();
    json_t *ans = NULL;
    int st = cli_http(server, "POST", path, body, "X-Srebot-Channel: cli", &ans, NULL, 0);
    json_decref(body);
    if (st != 200)
        return fail(st, ans);
    json_t *a = json_object_get(ans, "attempt");
    printf("approval %s is now %s (%s on %s, %zu of %lld approver(s))\n", id, str(ans, "state"),
           str(a, "action"), str(a, "target"), json_array_size(json_object_get(ans, "votes")),
           (long long)json_integer_value(json_object_get(ans, "approvers_required")));
    json_decref(ans);
    return 0;
}

int cmd_approvals(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 'S'}, {"state", required_argument, NULL, 's'},
        {"incident", required_argument, NULL, 'i'}, {"reason", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *server_flag = NULL, *state = NULL, *incident = NULL, *reason = NULL;
    int as_json = 0, opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'S': server_flag = optarg; break;
        case 's': state = optarg; break;
        case 'i': incident = optarg; break;
        case 'r': reason = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': approvals_help(stdout); return 0;
        default: approvals_help(stderr); return 2;
        }
    }
    int nargs = argc - optind;
    const char *cmd = nargs > 0 ? argv[optind] : NULL;
    const char *server = cli_server(server_flag);
    if (incident && !cli_is_id(incident)) {
        approvals_help(stderr);
        return 2;
    }
    if (cmd && strcmp(cmd, "list") == 0 && nargs == 1)
        return do_list(server, state, incident, as_json);
    if (cmd && strcmp(cmd, "approve") == 0 && nargs == 2 && cli_is_id(argv[optind + 1]))
        return do_decide(server, argv[optind + 1], "approve", reason);
    if (cmd && strcmp(cmd, "reject") == 0 && nargs == 2 && cli_is_id(argv[optind + 1]) && reason)
        return do_decide(server, argv[optind + 1], "reject", reason);
    approvals_help(stderr);
    return 2;
}
