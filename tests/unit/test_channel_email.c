/* The e-mail provider against a real SMTP server: Debian's Exim (exim4), run
 * by this test on a free loopback port with its own configuration, spool and
 * certificate (generated here), requiring STARTTLS and AUTH PLAIN, delivering
 * to an mbox file. Checks what arrived: subject, recipients, the
 * multipart/alternative text and HTML parts, the thread headers; a wrong
 * password and a server without TLS are refused and deliver nothing; and the
 * delivery worker sends a notification through an email channel end to end.
 * Needs root (Exim's delivery user) and exim4 (scripts/deps.sh test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channels/channel.h"
#include "channels/delivery.h"
#include "core/policy.h"
#include "ledger/actions.h"
#include "ledger/ledger.h"
#include "ledger/policy_service.h"
#include "support/srcfix.h"
#include "util/timeutil.h"

#define EXIM "/usr/sbin/exim4"
#define PASSWORD "pa55-w0rd"

extern char **environ;

/* Every server started, stopped by the teardown even when a test failed. */
#define MAX_SERVERS 16
static pid_t started[MAX_SERVERS];
static size_t nstarted;

struct smtp {
    char dir[64];
    unsigned port;
    pid_t pid;
    char inbox[128];
};

/* Runs argv (no shell), its output to /dev/null; 0 when it exits 0. */
static int run(char *const argv[])
{
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 1 << 20);
    size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void own(const char *path, uid_t u, gid_t g)
{
    assert_int_equal(chown(path, u, g), 0);
}

static void reap(pid_t pid)
{
    for (size_t i = 0; i < MAX_SERVERS; i++)
        if (started[i] == pid)
            started[i] = 0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static int stop_all(void **state)
{
    for (size_t i = 0; i < MAX_SERVERS; i++)
        if (started[i] > 0)
            reap(started[i]);
    return 0;
}

/* Starts Exim on a free port; tls: offer STARTTLS (and require it for MAIL). */
static int smtp_start(struct smtp *s, int tls)
{
    struct passwd *pw = getpwnam("Debian-exim");
    if (!pw)
        return -1;
    char path[256], conf[4096];
    snprintf(s->dir, sizeof s->dir, "/tmp/srebot-smtp-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    chmod(s->dir, 0755);
    static const char *const sub[] = {"spool", "log", "mail"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", s->dir, sub[i]);
        assert_int_equal(mkdir(path, 0755), 0);
        own(path, pw->pw_uid, pw->pw_gid);
    }
    char key[128], cert[128];
    snprintf(key, sizeof key, "%s/key.pem", s->dir);
    snprintf(cert, sizeof cert, "%s/cert.pem", s->dir);
    char *gen[] = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                   "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1", NULL};
    assert_int_equal(run(gen), 0);
    own(key, pw->pw_uid, pw->pw_gid);
    own(cert, pw->pw_uid, pw->pw_gid);
    snprintf(s->inbox, sizeof s->inbox, "%s/mail/inbox", s->dir);
    for (int attempt = 0; attempt < 5; attempt++) {
        int held = -1;
        s->port = tcp_refusing_port(&held); /* a free port, released just before Exim binds it */
        close(held);
        snprintf(conf, sizeof conf,
                 "keep_environment =\n"
                 "primary_hostname = smtp.srebot-test.localhost\n"
                 "domainlist local_domains = *\n"
                 "spool_directory = %s/spool\n"
                 "log_file_path = %s/log/%%slog\n"
                 "pid_file_path = %s/exim.pid\n"
                 "local_interfaces = 127.0.0.1\n"
                 "daemon_smtp_ports = %u\n"
                 "host_lookup =\n"
                 "%s"
                 "acl_smtp_mail = acl_mail\n"
                 "acl_smtp_rcpt = acl_rcpt\n"
                 "begin acl\n"
                 "acl_mail:\n"
                 "  deny condition = ${if !def:tls_in_cipher}\n"
                 "       message = STARTTLS required\n"
                 "  accept\n"
                 "acl_rcpt:\n"
                 "  deny !authenticated = *\n"
                 "       message = authentication required\n"
                 "  accept\n"
                 "begin routers\n"
                 "all:\n"
                 "  driver = accept\n"
                 "  transport = to_file\n"
                 "begin transports\n"
                 "to_file:\n"
                 "  driver = appendfile\n"
                 "  file = %s\n"
                 "  user = Debian-exim\n"
                 "  envelope_to_add\n"
                 "begin authenticators\n"
                 "plain_server:\n"
                 "  driver = plaintext\n"
                 "  public_name = PLAIN\n"
                 "  server_prompts = :\n"
                 "  server_condition = ${if and {{eq{$auth2}{srebot}}{eq{$auth3}{" PASSWORD
                 "}}}}\n"
                 "  server_advertise_condition = ${if def:tls_in_cipher}\n",
                 s->dir, s->dir, s->dir, s->port,
                 tls ? "tls_advertise_hosts = *\n" : "tls_advertise_hosts =\n", s->inbox);
        if (tls) {
            char extra[512];
            snprintf(extra, sizeof extra, "tls_certificate = %s\ntls_privatekey = %s\n", cert,
                     key);
            char *at = strstr(conf, "acl_smtp_mail");
            memmove(at + strlen(extra), at, strlen(at) + 1);
            memcpy(at, extra, strlen(extra));
        }
        snprintf(path, sizeof path, "%s/exim.conf", s->dir);
        write_file(path, conf);
        char *argv[] = {EXIM, "-C", path, "-bdf", NULL};
        /* its output to /dev/null: a server left running must not hold the
         * test runner's pipes open (its log is mainlog) */
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        int rc = posix_spawn(&s->pid, EXIM, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0)
            return -1;
        started[nstarted++ % MAX_SERVERS] = s->pid;
        char log[256];
        snprintf(log, sizeof log, "%s/log/mainlog", s->dir);
        for (int i = 0; i < 200; i++) { /* up to 10 s on a loaded machine */
            usleep(50000);
            char *text = slurp(log);
            int up = text && strstr(text, "listening for SMTP");
            int busy = text && strstr(text, "bind()");
            free(text);
            if (up)
                return 0;
            if (busy)
                break;
        }
        reap(s->pid);
    }
    return -1;
}

static void smtp_stop(struct smtp *s)
{
    if (s->pid > 0)
        reap(s->pid);
    char *argv[] = {"rm", "-rf", s->dir, NULL};
    run(argv);
}

/* The mbox, once it holds `n` messages (Exim delivers right after the
 * transaction), or what is there after 10 s. */
static char *wait_mail(struct smtp *s, int n)
{
    char *text = NULL;
    for (int i = 0; i < 200; i++) {
        free(text);
        text = slurp(s->inbox);
        int count = 0;
        for (const char *p = text; p && (p = strstr(p, "\nMessage-ID: ")); p++)
            count++;
        if (count >= n)
            return text;
        usleep(50000);
    }
    return text;
}

/* Decodes the base64 body of the part with content type `type`. */
static char *part(const char *mail, const char *type)
{
    char want[96];
    snprintf(want, sizeof want, "Content-Type: %s; charset=UTF-8", type);
    const char *p = strstr(mail, want);
    /* the body starts after the part's first empty line (LF or CRLF) */
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        if (!nl)
            return NULL;
        p = nl + 1;
        if (*p == '\n' || (p[0] == '\r' && p[1] == '\n')) {
            p += *p == '\n' ? 1 : 2;
            break;
        }
    }
    if (!p || !*p)
        return NULL;
    const char *end = strstr(p, "\n--");
    if (!end)
        return NULL;
    char *b64 = calloc(1, (size_t)(end - p) + 1);
    size_t n = 0;
    for (const char *q = p; q < end; q++)
        if (*q != '\r' && *q != '\n')
            b64[n++] = *q;
    unsigned char *out = calloc(1, n + 1);
    int len = EVP_DecodeBlock(out, (unsigned char *)b64, (int)n);
    free(b64);
    if (len < 0) {
        free(out);
        return NULL;
    }
    return (char *)out;
}

static json_t *settings(struct smtp *s, const char *password_env)
{
    char url[64], ca[128];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%u", s->port);
    snprintf(ca, sizeof ca, "%s/cert.pem", s->dir);
    return json_pack("{s:s, s:s, s:[s,s], s:s, s:{s:{s:s}}, s:b, s:s}", "smtp_url", url, "from",
                     "srebot@srebot.example", "to", "ops@example.org", "oncall@example.org",
                     "username", "srebot", "password", "secret_ref", "env", password_env,
                     "starttls", 1, "ca_file", ca);
}

static int setup(void **state)
{
    if (geteuid() != 0 || access(EXIM, X_OK) != 0 || !getpwnam("Debian-exim")) {
        fprintf(stderr, "skipped: needs root and exim4 (scripts/deps.sh test)\n");
        exit(77);
    }
    setenv("IF_SRE_SECRET_SMTP_PASS", PASSWORD, 1);
    setenv("IF_SRE_SECRET_SMTP_WRONG", "not-the-password", 1);
    return 0;
}

static void mail_arrives_with_text_and_html(void **state)
{
    struct smtp s = {0};
    assert_int_equal(smtp_start(&s, 1), 0);
    const struct channel_ops *ops = channel_find("email");
    assert_non_null(ops);
    json_t *cfg = settings(&s, "IF_SRE_SECRET_SMTP_PASS");
    struct channel_deps deps = {0};
    void *inst = NULL;
    char err[200];
    assert_int_equal(ops->init(cfg, &deps, &inst, err, sizeof err), 0);
    struct channel_message m = {.notification_id = 41,
                                .incident_id = 7,
                                .kind = CHANNEL_MSG_INCIDENT,
                                .severity = 3,
                                .title = "[critical] db down (incident 7) — äö",
                                .text = "The database is down.\nClass: x.y | Severity: critical",
                                .link = "https://srebot.example/#/incidents/7",
                                .deadline_ns = time_mono_ns() + 20000000000ULL};
    struct channel_outcome out = {0};
    enum adapter_result r = ops->send(inst, &m, &out);
    if (r != ADAPTER_OK)
        fail_msg("send: %s", out.error);
    assert_true(strncmp(out.message_ref, "<srebot.41.", 11) == 0);
    assert_string_equal(out.thread_ref, out.message_ref); /* the first: starts the thread */
    /* a second message of the incident replies in its thread */
    char thread[128];
    snprintf(thread, sizeof thread, "%s", out.thread_ref);
    m.notification_id = 42;
    m.kind = CHANNEL_MSG_RESOLVED;
    m.title = "Resolved: db (incident 7)";
    m.text = "db is resolved.";
    m.thread_ref = thread;
    memset(&out, 0, sizeof out);
    assert_int_equal(ops->send(inst, &m, &out), ADAPTER_OK);

    char *mail = wait_mail(&s, 4); /* two messages, two recipients each */
    assert_non_null(mail);
    /* both recipients (Exim delivers a copy per recipient into the mbox) */
    assert_non_null(strstr(mail, "Envelope-to: ops@example.org\n"));
    assert_non_null(strstr(mail, "Envelope-to: oncall@example.org\n"));
    assert_non_null(strstr(mail, "To: ops@example.org, oncall@example.org"));
    assert_non_null(strstr(mail, "Subject: =?UTF-8?B?")); /* non-ASCII: RFC 2047 */
    assert_non_null(strstr(mail, "Subject: [srebot] Resolved: db (incident 7)"));
    assert_non_null(strstr(mail, "Content-Type: multipart/alternative; boundary="));
    assert_non_null(strstr(mail, "X-Srebot-Kind: incident"));
    char irt[200];
    snprintf(irt, sizeof irt, "In-Reply-To: %s", thread);
    assert_non_null(strstr(mail, irt));
    assert_non_null(strstr(mail, "with esmtpsa")); /* TLS and authenticated */
    char *text = part(mail, "text/plain");
    char *html = part(mail, "text/html");
    assert_non_null(text);
    assert_non_null(html);
    assert_non_null(strstr(text, "[critical] db down (incident 7) — äö"));
    assert_non_null(strstr(text, "The database is down.\nClass: x.y | Severity: critical"));
    assert_non_null(strstr(html, "<a href=\"https://srebot.example/#/incidents/7\">"));
    assert_non_null(strstr(html, "The database is down.<br>"));
    free(text);
    free(html);
    free(mail);
    ops->destroy(inst);
    json_decref(cfg);
    smtp_stop(&s);
}

static void refused_without_tls_or_password(void **state)
{
    struct smtp s = {0};
    assert_int_equal(smtp_start(&s, 1), 0);
    const struct channel_ops *ops = channel_find("email");
    json_t *cfg = settings(&s, "IF_SRE_SECRET_SMTP_WRONG");
    void *inst = NULL;
    char err[200];
    struct channel_deps deps = {0};
    assert_int_equal(ops->init(cfg, &deps, &inst, err, sizeof err), 0);
    struct channel_message m = {.notification_id = 5, .title = "t", .text = "x",
                                .deadline_ns = time_mono_ns() + 20000000000ULL};
    struct channel_outcome out = {0};
    assert_int_equal(ops->send(inst, &m, &out), ADAPTER_ERROR); /* login refused */
    assert_non_null(strstr(out.error, "smtp: "));
    assert_null(strstr(out.error, "not-the-password"));
    ops->destroy(inst);
    json_decref(cfg);
    smtp_stop(&s);

    /* a server that offers no STARTTLS: the mail is not sent in clear */
    struct smtp plain = {0};
    assert_int_equal(smtp_start(&plain, 0), 0);
    cfg = settings(&plain, "IF_SRE_SECRET_SMTP_PASS");
    assert_int_equal(ops->init(cfg, &deps, &inst, err, sizeof err), 0);
    memset(&out, 0, sizeof out);
    assert_int_equal(ops->send(inst, &m, &out), ADAPTER_ERROR);
    usleep(300000);
    char *mail = slurp(plain.inbox);
    assert_null(mail); /* nothing delivered */
    ops->destroy(inst);
    json_decref(cfg);
    smtp_stop(&plain);
}

/* The worker: a notification routed to an email channel reaches the mailbox. */
static void worker_delivers_by_email(void **state)
{
    struct smtp s = {0};
    assert_int_equal(smtp_start(&s, 1), 0);
    char dir[64], url[128], err[256] = "";
    snprintf(dir, sizeof dir, "/tmp/srebot-chmail-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(url, sizeof url, "sqlite:%s/ledger.db", dir);
    struct store_config sc;
    store_config_defaults(&sc);
    sc.url = url;
    struct store *store;
    assert_int_equal(store_open(&sc, &store, err, sizeof err), STORE_OK);
    struct ledger_config lc;
    ledger_config_defaults(&lc);
    lc.store = store;
    lc.tick_ms = 3600 * 1000;
    struct ledger *ledger;
    assert_int_equal(ledger_create(&lc, &ledger), SVC_OK);
    struct policy_seed seed = {.posture = ENV_DEMO};
    json_t *doc = policy_defaults(&seed);
    json_array_append_new(json_object_get(doc, "channels"),
                          json_pack("{s:s, s:s, s:b, s:o}", "id", "mail", "provider", "email",
                                    "enabled", 1, "settings",
                                    settings(&s, "IF_SRE_SECRET_SMTP_PASS")));
    json_object_set_new(doc, "routing", json_pack("{s:[], s:s}", "rules", "fallback", "mail"));
    struct problems *p = problems_create();
    int64_t v = 0;
    enum svc_status st = policy_service_put(store, doc, 0, "test", p, &v, err, sizeof err);
    if (st != SVC_OK)
        fail_msg("policy: %s %s", p->count ? p->items[0].path : "",
                 p->count ? p->items[0].message : err);
    problems_destroy(p);
    json_decref(doc);
    struct notification_rec n = {.severity = 2};
    snprintf(n.dedupe_key, sizeof n.dedupe_key, "mail-1");
    snprintf(n.title, sizeof n.title, "Disk almost full on web-1");
    snprintf(n.body, sizeof n.body, "disk_used_percent >= 92.5 on web-1");
    int created;
    assert_int_equal(actions_notification_post(ledger, &n, &created), SVC_OK);
    struct channel_worker_config cfg;
    channel_worker_config_defaults(&cfg);
    cfg.ledger = ledger;
    cfg.store = store;
    struct channel_worker *w;
    assert_int_equal(channel_worker_create(&cfg, &w, err, sizeof err), 0);
    channel_worker_run_once(w, time_now_ms());
    char *mail = wait_mail(&s, 1);
    assert_non_null(mail);
    assert_non_null(strstr(mail, "Subject: [srebot] Disk almost full on web-1"));
    char *text = part(mail, "text/plain");
    assert_non_null(text);
    assert_non_null(strstr(text, "disk_used_percent >= 92.5 on web-1"));
    free(text);
    free(mail);
    channel_worker_destroy(w);
    ledger_destroy(ledger);
    store_close(store);
    char *rm[] = {"rm", "-rf", dir, NULL};
    run(rm);
    smtp_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(mail_arrives_with_text_and_html, stop_all),
        cmocka_unit_test_teardown(refused_without_tls_or_password, stop_all),
        cmocka_unit_test_teardown(worker_delivers_by_email, stop_all),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
