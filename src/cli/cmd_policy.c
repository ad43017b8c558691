/* `srebot policy init|get|validate FILE|set FILE|versions`: the policy API from the
 * command line, against a running server (--server / IF_SRE_SERVER, token from
 * IF_SRE_TOKEN). Documents are read and printed as JSON; problems are printed
 * one per line as "path code: reason". Exit codes: 0 done (valid), 1 refused or
 * invalid, 2 usage, 3 server unreachable. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/policy.h"

static void policy_help(FILE *out)
{
    fprintf(out,
            "usage: srebot policy [--server URL] COMMAND\n\n"
            "commands:\n"
            "  init [--environment E]   save the defaults of environment E (demo, staging,\n"
            "                           production; default: the server's) as the first\n"
            "                           version; refused when a policy is saved already\n"
            "  get [--version N]        print the current policy document (or version N);\n"
            "                           its version goes to stderr\n"
            "  validate FILE            check a document without saving it (exit 1 if invalid)\n"
            "  set FILE [--if-match N]  save FILE as the next version. Without --if-match the\n"
            "                           current version is read first (last writer wins);\n"
            "                           pass the version you edited to refuse a lost update\n"
            "  versions                 list the versions, newest first\n\n"
            "FILE may be - for stdin. The server is --server, else IF_SRE_SERVER, else\n"
            "http://127.0.0.1:8080; the token comes from IF_SRE_TOKEN (viewer reads,\n"
            "admin writes). Fields: docs/policy.md.\n");
}

/* Reads a document (bounded like the server does) and parses it. */
static json_t *read_document(const char *file)
{
    size_t len = 0;
    char *buf = cli_read_file(file, POLICY_MAX_BYTES, &len);
    if (!buf)
        return NULL;
    struct problems *p = problems_create();
    json_t *doc = p ? policy_parse(buf, len, p) : NULL;
    free(buf);
    if (!doc)
        fprintf(stderr, "srebot: %s: %s %s\n", file, p ? p->items[0].code : "internal",
                p ? p->items[0].message : "out of memory");
    problems_destroy(p);
    return doc;
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    if (s)
        printf("%s\n", s);
    free(s);
}

static int fail(int status, json_t *answer)
{
    if (status < 0)
        return 3;
    cli_print_error(status, answer);
    json_decref(answer);
    return 1;
}

static int do_get(const char *server, const char *version)
{
    char path[96];
    if (version)
        snprintf(path, sizeof path, "/api/v1/policy/versions/%s", version);
    else
        snprintf(path, sizeof path, "/api/v1/policy");
    json_t *ans = NULL;
    int st = cli_http(server, "GET", path, NULL, NULL, &ans, NULL, 0);
    if (st != 200)
        return fail(st, ans);
    fprintf(stderr, "# version %lld by %s at %s\n",
            (long long)json_integer_value(json_object_get(ans, "version")),
            json_string_value(json_object_get(ans, "author")) ?: "?",
            json_string_value(json_object_get(ans, "created_at")) ?: "?");
    print_json(json_object_get(ans, "document"));
    json_decref(ans);
    return 0;
}

static int do_validate(const char *server, const char *file)
{
    json_t *doc = read_document(file);
    if (!doc)
        return 1;
    json_t *ans = NULL;
    int st = cli_http(server, "POST", "/api/v1/policy/validate", doc, NULL, &ans, NULL, 0);
    json_decref(doc);
    if (st != 200)
        return fail(st, ans);
    int valid = json_is_true(json_object_get(ans, "valid"));
    size_t i;
    json_t *pr;
    json_array_foreach(json_object_get(ans, "problems"), i, pr) {
        printf("%s %s: %s\n", json_string_value(json_object_get(pr, "path")) ?: "",
               json_string_value(json_object_get(pr, "code")) ?: "",
               json_string_value(json_object_get(pr, "reason")) ?: "");
    }
    if (valid)
        printf("valid\n");
    json_decref(ans);
    return valid ? 0 : 1;
}

static int do_set(const char *server, const char *file, const char *if_match)
{
    char etag[64] = "", header[96];
    json_t *doc = read_document(file);
    if (!doc)
        return 1;
    if (if_match) {
        snprintf(etag, sizeof etag, "\"%s\"", if_match);
    } else {
        json_t *cur = NULL;
        int st = cli_http(server, "GET", "/api/v1/policy", NULL, NULL, &cur, etag, sizeof etag);
        json_decref(cur);
        if (st == 404) {
            snprintf(etag, sizeof etag, "\"0\"");
        } else if (st != 200 || !etag[0]) {
            json_decref(doc);
            return st < 0 ? 3 : 1;
        }
    }
    snprintf(header, sizeof header, "If-Match: %s", etag);
    json_t *ans = NULL;
    int st = cli_http(server, "PUT", "/api/v1/policy", doc, header, &ans, NULL, 0);
    json_decref(doc);
    if (st != 200)
        return fail(st, ans);
    printf("saved version %lld\n", (long long)json_integer_value(json_object_get(ans, "version")));
    json_decref(ans);
    return 0;
}

static int do_init(const char *server, const char *environment)
{
    char path[96];
    snprintf(path, sizeof path, "/api/v1/policy/defaults%s%s", environment ? "?environment=" : "",
             environment ? environment : "");
    json_t *ans = NULL;
    int st = cli_http(server, "GET", path, NULL, NULL, &ans, NULL, 0);
    if (st != 200)
        return fail(st, ans);
    char env[32];
    snprintf(env, sizeof env, "%s", json_string_value(json_object_get(ans, "environment")) ?: "?");
    json_t *doc = json_incref(json_object_get(ans, "document"));
    json_decref(ans);
    ans = NULL;
    st = cli_http(server, "PUT", "/api/v1/policy", doc, "If-Match: \"0\"", &ans, NULL, 0);
    json_decref(doc);
    if (st == 412) {
        fprintf(stderr, "srebot: a policy is saved already; `srebot policy get` prints it and "
                        "`srebot policy set FILE` replaces it\n");
        json_decref(ans);
        return 1;
    }
    if (st != 200)
        return fail(st, ans);
    printf("saved the %s defaults as version %lld\n", env,
           (long long)json_integer_value(json_object_get(ans, "version")));
    json_decref(ans);
    return 0;
}

static int do_versions(const char *server)
{
    json_t *ans = NULL;
    int st = cli_http(server, "GET", "/api/v1/policy/versions", NULL, NULL, &ans, NULL, 0);
    if (st != 200)
        return fail(st, ans);
    printf("%-8s %-26s %s\n", "VERSION", "CREATED", "AUTHOR");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(ans, "items"), i, it) {
        printf("%-8lld %-26s %s\n", (long long)json_integer_value(json_object_get(it, "version")),
               json_string_value(json_object_get(it, "created_at")) ?: "",
               json_string_value(json_object_get(it, "author")) ?: "");
    }
    json_decref(ans);
    return 0;
}

int cmd_policy(int argc, char **argv)
{
    static const struct option opts[] = {{"server", required_argument, NULL, 's'},
                                         {"version", required_argument, NULL, 'v'},
                                         {"if-match", required_argument, NULL, 'm'},
                                         {"environment", required_argument, NULL, 'e'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *server_flag = NULL, *version = NULL, *if_match = NULL, *environment = NULL;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 's': server_flag = optarg; break;
        case 'v': version = optarg; break;
        case 'm': if_match = optarg; break;
        case 'e': environment = optarg; break;
        case 'h': policy_help(stdout); return 0;
        default: policy_help(stderr); return 2;
        }
    }
    const char *cmd = optind < argc ? argv[optind] : NULL;
    const char *file = optind + 1 < argc ? argv[optind + 1] : NULL;
    const char *server = cli_server(server_flag);
    if ((version && !cli_is_id(version)) || (if_match && !cli_is_id(if_match))) {
        fprintf(stderr, "srebot: --version and --if-match take a version number\n");
        return 2;
    }
    enum environment posture;
    if (environment && (!(cmd && strcmp(cmd, "init") == 0) ||
                        policy_posture_parse(environment, &posture) != 0)) {
        fprintf(stderr, "srebot: --environment (policy init only) is demo, staging or production\n");
        return 2;
    }
    if (cmd && strcmp(cmd, "init") == 0 && !file)
        return do_init(server, environment);
    if (cmd && strcmp(cmd, "get") == 0 && !file)
        return do_get(server, version);
    if (cmd && strcmp(cmd, "validate") == 0 && file)
        return do_validate(server, file);
    if (cmd && strcmp(cmd, "set") == 0 && file)
        return do_set(server, file, if_match);
    if (cmd && strcmp(cmd, "versions") == 0 && !file)
        return do_versions(server);
    policy_help(stderr);
    return 2;
}
