/* `srebot finding emit`: sends one finding to a running server (POST
 * /api/v1/findings), built from flags or read as JSON from a file. The finding
 * is validated here first with the server's own rules, so a typo is reported
 * with its field before anything is sent. Exit codes: 0 stored, 1 refused,
 * 2 usage or invalid, 3 server unreachable. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/finding.h"
#include "core/jsonin.h"
#include "util/timeutil.h"

static void finding_help(FILE *out)
{
    fprintf(out,
            "usage: srebot finding emit [--server URL] --source S --class DOMAIN.NAME --key K\n"
            "                           --severity critical|high|warning|info --summary TEXT\n"
            "                           [--status firing|resolved] [--id ID]\n"
            "                           [--observed-at RFC3339] [--attr NAME=VALUE]...\n"
            "       srebot finding emit [--server URL] --file FILE   (a finding or an array; - = stdin)\n\n"
            "Prints one line per finding: its outcome (opened, folded, reopened, duplicate,\n"
            "resolved) and incident. The token comes from IF_SRE_TOKEN (operator or ingest).\n"
            "Fields: docs/findings.md.\n");
}

static json_t *read_file_json(const char *file)
{
    const size_t max = (size_t)8 << 20;
    size_t len = 0;
    char *buf = cli_read_file(file, max, &len);
    if (!buf)
        return NULL;
    struct problems *p = problems_create();
    json_t *doc = NULL;
    if (p) {
        doc = jsonin_parse(buf, len, max, JSONIN_DEFAULT_DEPTH, p);
        if (!doc)
            fprintf(stderr, "srebot: %s: %s %s\n", file, p->items[0].code, p->items[0].message);
    }
    problems_destroy(p);
    free(buf);
    return doc;
}

static int add_attr(json_t *attrs, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        fprintf(stderr, "srebot: --attr takes NAME=VALUE\n");
        return -1;
    }
    char name[FINDING_ATTR_KEY_MAX + 1];
    snprintf(name, sizeof name, "%.*s", (int)(eq - kv), kv);
    json_object_set_new(attrs, name, json_string(eq + 1));
    return 0;
}

/* The flag that set a field of the finding, for errors about a finding built
 * from flags ("/correlation_key" -> "--key"); other paths stay as they are. */
static const char *flag_of(const char *path)
{
    static const char *const map[][2] = {
        {"/source", "--source"},        {"/class", "--class"},
        {"/correlation_key", "--key"},  {"/severity", "--severity"},
        {"/summary", "--summary"},      {"/status", "--status"},
        {"/id", "--id"},                {"/observed_at", "--observed-at"},
        {"/attributes", "--attr"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i][0]);
        if (strncmp(path, map[i][0], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return map[i][1];
    }
    return path;
}

int cmd_finding(int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 'S'},  {"source", required_argument, NULL, 's'},
        {"class", required_argument, NULL, 'c'},   {"key", required_argument, NULL, 'k'},
        {"severity", required_argument, NULL, 'v'}, {"summary", required_argument, NULL, 'm'},
        {"status", required_argument, NULL, 't'},  {"id", required_argument, NULL, 'i'},
        {"observed-at", required_argument, NULL, 'o'}, {"attr", required_argument, NULL, 'a'},
        {"file", required_argument, NULL, 'f'},    {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *server_flag = NULL, *file = NULL;
    json_t *f = json_object(), *attrs = json_object();
    json_t *doc = NULL;
    int rc = 2, opt;
    json_object_set_new(f, "status", json_string("firing"));
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'S': server_flag = optarg; break;
        case 's': json_object_set_new(f, "source", json_string(optarg)); break;
        case 'c': json_object_set_new(f, "class", json_string(optarg)); break;
        case 'k': json_object_set_new(f, "correlation_key", json_string(optarg)); break;
        case 'v': json_object_set_new(f, "severity", json_string(optarg)); break;
        case 'm': json_object_set_new(f, "summary", json_string(optarg)); break;
        case 't': json_object_set_new(f, "status", json_string(optarg)); break;
        case 'i': json_object_set_new(f, "id", json_string(optarg)); break;
        case 'o': json_object_set_new(f, "observed_at", json_string(optarg)); break;
        case 'a':
            if (add_attr(attrs, optarg))
                goto out;
            break;
        case 'f': file = optarg; break;
        case 'h': finding_help(stdout); rc = 0; goto out;
        default: finding_help(stderr); goto out;
        }
    }
    if (optind >= argc || strcmp(argv[optind], "emit") != 0 || optind + 1 != argc) {
        finding_help(stderr);
        goto out;
    }
    if (file) {
        doc = read_file_json(file);
        if (!doc)
            goto out;
    } else {
        if (json_object_size(attrs))
            json_object_set(f, "attributes", attrs);
        doc = json_incref(f);
    }
    struct finding_batch b;
    struct problems *p = problems_create();
    if (!p)
        goto out;
    int bad = findings_from_json(doc, time_now_ms(), &b, p);
    for (size_t i = 0; bad && i < p->count; i++) {
        const char *where = p->items[i].path[0] ? p->items[i].path : "/";
        if (!file) /* the finding was built from flags: name the flag */
            where = flag_of(where);
        fprintf(stderr, "srebot: %s %s: %s\n", where, p->items[i].code, p->items[i].message);
    }
    problems_destroy(p);
    if (bad)
        goto out;
    finding_batch_clear(&b);

    json_t *ans = NULL;
    int st = cli_http(cli_server(server_flag), "POST", "/api/v1/findings", doc, NULL, &ans, NULL,
                      0);
    if (st != 200) {
        rc = st < 0 ? 3 : 1;
        if (st >= 0)
            cli_print_error(st, ans);
        json_decref(ans);
        goto out;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(ans, "items"), i, it) {
        json_t *inc = json_object_get(it, "incident_id");
        printf("%s: %s", json_string_value(json_object_get(it, "finding_id")),
               json_string_value(json_object_get(it, "outcome")));
        if (json_is_integer(inc))
            printf(" incident %lld", (long long)json_integer_value(inc));
        printf("\n");
    }
    json_decref(ans);
    rc = 0;
out:
    json_decref(doc);
    json_decref(f);
    json_decref(attrs);
    return rc;
}
