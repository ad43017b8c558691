/* `srebot incidents list|show|transition`: the incident API from the command
 * line, against a running server (--server / IF_SRE_SERVER, token IF_SRE_TOKEN).
 * Exit codes: 0 done, 1 refused (e.g. a transition the lifecycle forbids),
 * 2 usage, 3 server unreachable. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void incidents_help(FILE *out)
{
    fprintf(out,
            "usage: srebot incidents [--server URL] COMMAND\n\n"
            "commands:\n"
            "  list [--state S] [--class C] [--domain D] [--severity SEV] [--source S]\n"
            "       [--q TEXT] [--since RFC3339] [--until RFC3339] [--sort FIELD]\n"
            "       [--limit N] [--cursor C] [--json]\n"
            "                             one line per incident, newest activity first;\n"
            "                             --since/--until bound the last activity, --cursor\n"
            "                             continues where a listing said \"(more: ...)\"\n"
            "  show ID [--json]           one incident: fields, allowed transitions,\n"
            "                             evidence and the timeline\n"
            "  transition ID STATE [--reason TEXT] [--suppress-until RFC3339]\n"
            "                             move it (operator); refused moves list the allowed ones\n\n"
            "States: observed triaged contained recovering resolved suppressed escalated.\n"
            "Fields: docs/api.md (incidents).\n");
}

static int fail(int status, json_t *answer)
{
    if (status < 0)
        return 3;
    cli_print_error(status, answer);
    json_decref(answer);
    return 1;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    if (s)
        printf("%s\n", s);
    free(s);
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

#define LIST_ARGS_MAX 16 /* every list option at once fits */
struct list_args {
    const char *names[LIST_ARGS_MAX];
    const char *values[LIST_ARGS_MAX];
    size_t n;
};

static int do_list(const char *server, const struct list_args *a, int as_json)
{
    char path[2048];
    size_t used = (size_t)snprintf(path, sizeof path, "/api/v1/incidents");
    for (size_t i = 0; i < a->n; i++) {
        char *esc = curl_easy_escape(NULL, a->values[i], 0);
        if (!esc)
            return 2;
        int w = snprintf(path + used, sizeof path - used, "%c%s=%s", i ? '&' : '?', a->names[i],
                         esc);
        curl_free(esc);
        if (w < 0 || (size_t)w >= sizeof path - used) {
            fprintf(stderr, "srebot: query too long\n");
            return 2;
        }
        used += (size_t)w;
    }
    json_t *ans = NULL;
    int st = cli_http(server, "GET", path, NULL, NULL, &ans, NULL, 0);
    if (st != 200)
        return fail(st, ans);
    if (as_json) {
        print_json(ans);
    } else {
        /* the class column as wide as the widest class shown (a long class
         * name pushes the key, never into it) */
        int w = (int)strlen("CLASS");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(ans, "items"), i, it) {
            int n = (int)strlen(str(it, "class"));
            w = n > w ? n : w;
        }
        printf("%-7s %-11s %-8s %-6s %-24s %-*s %s\n", "ID", "STATE", "SEVERITY", "COUNT",
               "LAST SEEN", w, "CLASS", "KEY");
        json_array_foreach(json_object_get(ans, "items"), i, it) {
            printf("%-7lld %-11s %-8s %-6lld %-24s %-*s %s\n",
                   (long long)json_integer_value(json_object_get(it, "id")), str(it, "state"),
                   str(it, "severity"),
                   (long long)json_integer_value(json_object_get(it, "finding_count")),
                   str(it, "last_seen"), w, str(it, "class"), str(it, "correlation_key"));
        }
        if (json_is_string(json_object_get(ans, "next_cursor")))
            printf("(more: --cursor %s)\n", str(ans, "next_cursor"));
    }
    json_decref(ans);
    return 0;
}

static int do_show(const char *server, const char *id, int as_json)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/incidents/%s", id);
    json_t *inc = NULL, *tl = NULL;
    int st = cli_http(server, "GET", path, NULL, NULL, &inc, NULL, 0);
    if (st != 200)
        return fail(st, inc);
    snprintf(path, sizeof path, "/api/v1/incidents/%s/timeline", id);
    st = cli_http(server, "GET", path, NULL, NULL, &tl, NULL, 0);
    if (st != 200) {
        json_decref(inc);
        return fail(st, tl);
    }
    if (as_json) {
        json_object_set(inc, "timeline", json_object_get(tl, "items"));
        print_json(inc);
    } else {
        printf("incident %lld  %s  %s  %s\n", (long long)json_integer_value(json_object_get(inc, "id")),
               str(inc, "state"), str(inc, "severity"), str(inc, "class"));
        printf("  key:        %s\n  summary:    %s\n  source:     %s\n", str(inc, "correlation_key"),
               str(inc, "summary"), str(inc, "source"));
        printf("  findings:   %lld (first %s, last %s)\n",
               (long long)json_integer_value(json_object_get(inc, "finding_count")),
               str(inc, "first_seen"), str(inc, "last_seen"));
        printf("  can go to: ");
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(inc, "allowed_transitions"), i, it) {
            printf(" %s", json_string_value(it));
        }
        printf("\n  evidence:\n");
        json_array_foreach(json_object_get(inc, "evidence"), i, it) {
            printf("    %-16s %s (%s)\n", str(it, "type"), str(it, "summary"), str(it, "source"));
        }
        printf("  timeline:\n");
        json_array_foreach(json_object_get(tl, "items"), i, it) {
            printf("    %s %-15s %-20s %s\n", str(it, "at"), str(it, "kind"), str(it, "actor"),
                   str(it, "reason"));
        }
    }
    json_decref(inc);
    json_decref(tl);
    return 0;
}

static int do_transition(const char *server, const char *id, const char *to, const char *reason,
                         const char *until)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/incidents/%s/transitions", id);
    json_t *body = json_pack("{s:s, s:s}", "to", to, "reason", reason ? reason : "");
    if (until)
        json_object_set_new(body, "suppress_until", json_string(until));
    json_t *ans = NULL;
    int st = cli_http(server, "POST", path, body, NULL, &ans, NULL, 0);
    json_decref(body);
    if (st != 200)
        return fail(st, ans);
    printf("incident %s is now %s\n", id, str(ans, "state"));
    json_decref(ans);
    return 0;
}

int cmd_incidents(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 'S'},  {"state", required_argument, NULL, 's'},
        {"class", required_argument, NULL, 'c'},   {"domain", required_argument, NULL, 'd'},
        {"severity", required_argument, NULL, 'v'}, {"source", required_argument, NULL, 'o'},
        {"q", required_argument, NULL, 'q'},       {"sort", required_argument, NULL, 'x'},
        {"limit", required_argument, NULL, 'l'},   {"cursor", required_argument, NULL, 'C'},
        {"since", required_argument, NULL, 'b'},   {"until", required_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'j'},          {"reason", required_argument, NULL, 'r'},
        {"suppress-until", required_argument, NULL, 'u'}, {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *server_flag = NULL, *reason = NULL, *until = NULL;
    struct list_args la = {.n = 0};
    int as_json = 0, opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const char *name = NULL;
        switch (opt) {
        case 'S': server_flag = optarg; break;
        case 's': name = "state"; break;
        case 'c': name = "class"; break;
        case 'd': name = "domain"; break;
        case 'v': name = "severity"; break;
        case 'o': name = "source"; break;
        case 'q': name = "q"; break;
        case 'x': name = "sort"; break;
        case 'l': name = "limit"; break;
        case 'C': name = "cursor"; break;
        case 'b': name = "since"; break;
        case 'e': name = "until"; break;
        case 'j': as_json = 1; break;
        case 'r': reason = optarg; break;
        case 'u': until = optarg; break;
        case 'h': incidents_help(stdout); return 0;
        default: incidents_help(stderr); return 2;
        }
        if (name && la.n < LIST_ARGS_MAX) {
            la.names[la.n] = name;
            la.values[la.n++] = optarg;
        }
    }
    int nargs = argc - optind;
    const char *cmd = nargs > 0 ? argv[optind] : NULL;
    const char *server = cli_server(server_flag);
    if (cmd && strcmp(cmd, "list") == 0 && nargs == 1)
        return do_list(server, &la, as_json);
    if (cmd && strcmp(cmd, "show") == 0 && nargs == 2 && cli_is_id(argv[optind + 1]))
        return do_show(server, argv[optind + 1], as_json);
    if (cmd && strcmp(cmd, "transition") == 0 && nargs == 3 && cli_is_id(argv[optind + 1]))
        return do_transition(server, argv[optind + 1], argv[optind + 2], reason, until);
    incidents_help(stderr);
    return 2;
}
