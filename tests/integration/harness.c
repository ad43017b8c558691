#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin(void)
{
    const char *b = getenv("SREBOT_BIN");
    return b ? b : "build/srebot";
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void remove_tree(const char *path);

/* What a test that fails half-way leaves behind: cmocka jumps out of the test
 * function, past its it_stop/it_cleanup. At exit every daemon still running is
 * killed (its log tail printed first: it tells why the test failed) and every
 * data dir removed. Daemons also die with this process (PR_SET_PDEATHSIG), so a
 * test killed by ctest's timeout leaves none either. */
#define IT_MAX_LEFT 32
static struct {
    pid_t pid;
    char dir[256];
    char log[320];
} left[IT_MAX_LEFT];
static int exit_hook_set;

static void print_log_tail(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size > 8192 ? size - 8192 : 0, SEEK_SET);
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

static void cleanup_at_exit(void)
{
    for (int i = 0; i < IT_MAX_LEFT; i++) {
        if (left[i].pid > 0) {
            fprintf(stderr, "harness: daemon %d still running at exit (a test failed half-way); "
                            "the end of its log %s:\n", (int)left[i].pid, left[i].log);
            print_log_tail(left[i].log);
            kill(left[i].pid, SIGKILL);
            waitpid(left[i].pid, NULL, 0);
            left[i].pid = 0;
        }
        if (left[i].dir[0] && !getenv("SREBOT_KEEP_TEST_DATA"))
            remove_tree(left[i].dir);
        left[i].dir[0] = '\0';
    }
}

static void track(pid_t pid, const char *dir, const char *log)
{
    if (!exit_hook_set) {
        atexit(cleanup_at_exit);
        exit_hook_set = 1;
    }
    for (int i = 0; i < IT_MAX_LEFT; i++)
        if (left[i].pid == 0 && !left[i].dir[0]) {
            left[i].pid = pid;
            snprintf(left[i].dir, sizeof left[i].dir, "%s", dir ? dir : "");
            snprintf(left[i].log, sizeof left[i].log, "%s", log ? log : "");
            return;
        }
}

static void untrack_pid(pid_t pid)
{
    for (int i = 0; i < IT_MAX_LEFT; i++)
        if (left[i].pid == pid)
            left[i].pid = 0;
}

static void untrack_dir(const char *dir)
{
    for (int i = 0; i < IT_MAX_LEFT; i++)
        if (left[i].dir[0] && strcmp(left[i].dir, dir) == 0)
            left[i].dir[0] = '\0';
}

int it_mkdtemp(char *templ)
{
    if (!mkdtemp(templ))
        return -1;
    track(0, templ, NULL);
    return 0;
}

/* The port the daemon bound: it listens on port 0 (the kernel picks a free one,
 * nobody can take it between picking and binding, and no other test's daemon
 * can answer our /healthz) and logs "listening on http://HOST:PORT/" to the
 * stderr log; only what this start appended (from `from` on) counts. */
static unsigned bound_port(const char *log, long from)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    fseek(f, from, SEEK_SET);
    char line[8192];
    unsigned port = 0;
    while (!port && fgets(line, sizeof line, f)) {
        const char *m = strstr(line, "listening on http://");
        const char *colon = m ? strchr(m + strlen("listening on http://"), ':') : NULL;
        if (colon && sscanf(colon + 1, "%u", &port) != 1)
            port = 0;
    }
    fclose(f);
    return port;
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static int spawn(struct it_daemon *d)
{
    d->port = 0;
    d->base_url[0] = '\0';
    long log_from = file_size(d->stderr_path);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* dies with the test, however the test ends */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(d->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
        dup2(2, 1); /* the start banner (stdout) next to the log */
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0)
            dup2(devnull, 0);
        char listen[64], data[300];
        snprintf(listen, sizeof listen, "IF_SRE_LISTEN=127.0.0.1:0");
        snprintf(data, sizeof data, "IF_SRE_DATA_DIR=%s", d->data_dir);
        putenv(listen);
        putenv(data);
        putenv("IF_SRE_ADMIN_TOKEN=" IT_ADMIN);
        putenv("IF_SRE_LOG_LEVEL=info");
        /* Tests start from an empty policy unless they ask for the seeded one. */
        putenv("IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=false");
        for (const char *const *e = d->env; e && *e; e++)
            putenv((char *)*e);
        const char *argv[32] = {bin(), "serve"};
        int n = 2;
        for (const char *const *a = d->args; a && *a && n < 31; a++)
            argv[n++] = *a;
        argv[n] = NULL;
        execv(bin(), (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    track(pid, NULL, d->stderr_path);
    /* Wait until it logs its port and /healthz answers (or it dies). A loaded
     * machine running ASan builds can take seconds: 60 s. */
    for (int i = 0; i < 1200; i++) {
        if (!d->port && (d->port = bound_port(d->stderr_path, log_from)) != 0)
            snprintf(d->base_url, sizeof d->base_url, "http://127.0.0.1:%u", d->port);
        struct it_resp r;
        if (d->port && it_request(d, "GET", "/healthz", NULL, NULL, NULL, &r) == 200) {
            it_resp_free(&r);
            return 0;
        }
        if (d->port)
            it_resp_free(&r);
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            untrack_pid(pid);
            d->pid = 0;
            fprintf(stderr, "harness: daemon exited during start-up; its log %s:\n",
                    d->stderr_path);
            print_log_tail(d->stderr_path);
            return -1;
        }
        sleep_ms(50);
    }
    fprintf(stderr, "harness: daemon did not become healthy; its log %s:\n", d->stderr_path);
    print_log_tail(d->stderr_path);
    return -1;
}

int it_start(struct it_daemon *d, const char *const *env, const char *const *args)
{
    memset(d, 0, sizeof *d);
    d->env = env;
    d->args = args;
    snprintf(d->data_dir, sizeof d->data_dir, "/tmp/srebot-it-XXXXXX");
    if (it_mkdtemp(d->data_dir) != 0)
        return -1;
    snprintf(d->stderr_path, sizeof d->stderr_path, "%s/daemon.log", d->data_dir);
    return spawn(d);
}

int it_restart(struct it_daemon *d) { return spawn(d); }

static void check_sanitizers(struct it_daemon *d)
{
    static const char *const reports[] = {"AddressSanitizer", "LeakSanitizer",
                                          "runtime error:", "ThreadSanitizer", NULL};
    for (const char *const *r = reports; *r; r++)
        if (it_stderr_contains(d, *r)) {
            FILE *f = fopen(d->stderr_path, "r");
            char line[1024];
            while (f && fgets(line, sizeof line, f))
                fputs(line, stderr);
            if (f)
                fclose(f);
            fail_msg("sanitizer report (%s) in daemon stderr %s", *r, d->stderr_path);
        }
}

int it_stop(struct it_daemon *d)
{
    if (!d->pid)
        return -1;
    kill(d->pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600; i++) {
        if (waitpid(d->pid, &status, WNOHANG) == d->pid)
            break;
        if (i == 599) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
        }
        sleep_ms(50);
    }
    untrack_pid(d->pid);
    d->pid = 0;
    check_sanitizers(d);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

void it_kill9(struct it_daemon *d)
{
    if (!d->pid)
        return;
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    untrack_pid(d->pid);
    d->pid = 0;
}

static void remove_tree(const char *path)
{
    pid_t pid = fork();
    if (pid == 0) {
        execlp("rm", "rm", "-rf", "--", path, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
}

void it_cleanup(struct it_daemon *d)
{
    if (d->pid)
        it_kill9(d);
    if (d->data_dir[0] && !getenv("SREBOT_KEEP_TEST_DATA"))
        remove_tree(d->data_dir);
    untrack_dir(d->data_dir);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct it_resp *r = ud;
    size_t len = size * n;
    char *grown = realloc(r->body, r->len + len + 1);
    if (!grown)
        return 0;
    memcpy(grown + r->len, p, len);
    r->body = grown;
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct it_resp *r = ud;
    size_t len = size * n, used = strlen(r->headers);
    if (used + len + 1 < sizeof r->headers) {
        memcpy(r->headers + used, p, len);
        r->headers[used + len] = '\0';
    }
    return len;
}

long it_request(struct it_daemon *d, const char *method, const char *path, const char *token,
                const char *body, const char *const *headers, struct it_resp *out)
{
    memset(out, 0, sizeof *out);
    out->status = -1;
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    char url[2048], auth[256];
    snprintf(url, sizeof url, "%s%s", d->base_url, path);
    struct curl_slist *h = NULL;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    int has_ct = 0;
    for (const char *const *x = headers; x && *x; x++) {
        h = curl_slist_append(h, *x);
        if (strncasecmp(*x, "Content-Type:", 13) == 0)
            has_ct = 1;
    }
    if (body && !has_ct)
        h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
        if (out->body) {
            json_error_t err;
            out->json = json_loadb(out->body, out->len, 0, &err);
        }
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return out->status;
}

void it_resp_free(struct it_resp *r)
{
    free(r->body);
    json_decref(r->json);
    r->body = NULL;
    r->json = NULL;
}

int it_resp_header(const struct it_resp *r, const char *name, char *out, size_t outlen)
{
    size_t nlen = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            eol = line + strlen(line);
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ')
                v++;
            snprintf(out, outlen, "%.*s", (int)(eol - v), v);
            return 0;
        }
        line = *eol ? eol + 2 : eol;
    }
    return -1;
}

int it_stderr_contains(struct it_daemon *d, const char *needle)
{
    FILE *f = fopen(d->stderr_path, "r");
    if (!f)
        return 0;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    fclose(f);
    return found;
}

int it_run_cli(struct it_daemon *d, const char *const *env, const char *const *args, char *out,
               size_t outlen)
{
    int pipefd[2];
    if (pipe(pipefd))
        return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the test */
        if (getppid() != parent)
            _exit(127);
        dup2(pipefd[1], 1);
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        close(pipefd[1]);
        static char data[300], server[128];
        snprintf(data, sizeof data, "IF_SRE_DATA_DIR=%s", d->data_dir);
        snprintf(server, sizeof server, "IF_SRE_SERVER=%s", d->base_url);
        putenv(data);
        putenv(server);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        const char *argv[32] = {bin()};
        int n = 1;
        for (const char *const *a = args; a && *a && n < 31; a++)
            argv[n++] = *a;
        argv[n] = NULL;
        execv(bin(), (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t used = 0;
    char buf[4096];
    ssize_t got;
    while ((got = read(pipefd[0], buf, sizeof buf)) > 0) {
        if (out && used + (size_t)got < outlen) {
            memcpy(out + used, buf, (size_t)got);
            used += (size_t)got;
        }
    }
    if (out && outlen)
        out[used < outlen ? used : outlen - 1] = '\0';
    close(pipefd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
