/* Integration-test harness: runs the real build/srebot ($SREBOT_BIN) on a free
 * loopback port with its own temporary data dir, talks HTTP to it with libcurl,
 * and fails the test when the daemon's stderr holds a sanitizer report.
 *
 *   struct it_daemon d;
 *   it_start(&d, NULL, NULL);                        // waits for /healthz
 *   struct it_resp r;
 *   it_request(&d, "GET", "/api/v1/whoami", IT_ADMIN, NULL, NULL, &r);
 *   assert_int_equal(r.status, 200);
 *   it_resp_free(&r);
 *   assert_int_equal(it_stop(&d), 0);                // SIGTERM, exit code
 *   it_cleanup(&d);                                  // removes the data dir
 */
#ifndef SREBOT_TESTS_HARNESS_H
#define SREBOT_TESTS_HARNESS_H

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

/* The admin token every harness daemon accepts (IF_SRE_ADMIN_TOKEN). */
#define IT_ADMIN "it-admin-token-0123456789abcdef"

struct it_daemon {
    pid_t pid;
    unsigned port;
    char data_dir[256];
    char stderr_path[320];
    char base_url[64];
    const char *const *env;  /* extra "NAME=value" entries, kept for restarts */
    const char *const *args; /* extra serve arguments, kept for restarts */
};

struct it_resp {
    long status;
    char *body;
    size_t len;
    json_t *json;        /* parsed body when it is JSON, else NULL */
    char headers[4096];  /* raw response headers */
};

/* Starts a daemon with a new data dir. env/args: NULL-terminated, may be NULL. */
int it_start(struct it_daemon *d, const char *const *env, const char *const *args);
/* Starts again on the same data dir (after it_stop or it_kill9). */
int it_restart(struct it_daemon *d);
/* SIGTERM and wait; returns the exit code (or 128+signal). Fails the test on a
 * sanitizer report in stderr. */
int it_stop(struct it_daemon *d);
/* SIGKILL and wait (crash tests). */
void it_kill9(struct it_daemon *d);
/* Removes the data dir (and logs). */
void it_cleanup(struct it_daemon *d);
/* mkdtemp() whose dir is removed (rm -rf) when the test process exits, so a
 * test that fails half-way leaves nothing behind. 0 on success. */
int it_mkdtemp(char *templ);

/* One request. token: bearer token or NULL; body: JSON text or NULL; headers:
 * NULL-terminated "Name: value" list or NULL. Returns the status (-1 when no answer). */
long it_request(struct it_daemon *d, const char *method, const char *path, const char *token,
                const char *body, const char *const *headers, struct it_resp *out);
void it_resp_free(struct it_resp *r);
/* Value of a response header (case-insensitive name) copied into out; 0 when found. */
int it_resp_header(const struct it_resp *r, const char *name, char *out, size_t outlen);

/* 1 when the daemon's stderr so far contains needle. */
int it_stderr_contains(struct it_daemon *d, const char *needle);
/* Runs `srebot ARGS...` to completion with extra env; captures stdout and stderr into out (may be NULL).
 * Returns the exit code. */
int it_run_cli(struct it_daemon *d, const char *const *env, const char *const *args, char *out,
               size_t outlen);

#endif
