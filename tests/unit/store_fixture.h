/* Shared helpers for the store tests: a fresh database URL per test, token
 * writes through the writer, and a "gate" write that holds the writer thread
 * inside a transaction until released (to line writes up deterministically).
 *
 * The contract tests (test_store_contract.c, test_store_writer.c) run against
 * SREBOT_STORE_TEST_URL when it is set, else against a new SQLite file in a
 * temporary directory per test. Every test expects an empty database: a server
 * backend (postgres://) must extend fixture_init/fixture_cleanup to give each
 * test a fresh one (e.g. a new schema), the way the SQLite case gets a new file. */
#ifndef SREBOT_TESTS_STORE_FIXTURE_H
#define SREBOT_TESTS_STORE_FIXTURE_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "util/crypto.h"
#include "util/timeutil.h"

struct fixture {
    char dir[64];
    char url[700];
    char path[600]; /* the SQLite file, "" for other backends */
};

static inline void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    const char *env = getenv("SREBOT_STORE_TEST_URL");
    if (env && env[0]) {
        snprintf(f->url, sizeof f->url, "%s", env);
        return;
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/srebot-store-XXXXXX");
    if (!mkdtemp(f->dir))
        abort();
    snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
    snprintf(f->url, sizeof f->url, "sqlite:%s", f->path);
}

static inline void fixture_cleanup(struct fixture *f)
{
    if (!f->path[0])
        return;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[700];
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
}

static inline struct store *fixture_open(struct fixture *f, unsigned queue, unsigned batch)
{
    struct store_config cfg;
    store_config_defaults(&cfg);
    cfg.url = f->url;
    if (queue)
        cfg.queue_capacity = queue;
    if (batch)
        cfg.max_batch = batch;
    cfg.read_pool_size = 2;
    cfg.busy_timeout_ms = 2000;
    struct store *s = NULL;
    char err[256] = "";
    if (store_open(&cfg, &s, err, sizeof err) != STORE_OK) {
        fprintf(stderr, "store_open(%s): %s\n", f->url, err);
        return NULL;
    }
    return s;
}

/* ---- token writes ---- */

struct token_op {
    struct store_write w; /* first, so a write pointer is a token_op pointer */
    struct token_rec rec;
};

static inline void token_make(struct token_rec *t, const char *name, enum role role)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->role = role;
    crypto_sha256(name, strlen(name), t->hash);
    t->created_at_ms = 1700000000000;
}

/* Inserts each write's token; a failing insert fails the group (the writer then
 * retries each write alone). */
static inline enum store_status token_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct token_op *op = (struct token_op *)w[i];
        enum store_status st = store_token_insert(c, &op->rec);
        if (st != STORE_OK)
            return st;
    }
    return STORE_OK;
}

static inline enum store_status token_write(struct store *s, const char *name, enum role role)
{
    struct token_op op;
    memset(&op, 0, sizeof op);
    op.w.apply = token_apply;
    token_make(&op.rec, name, role);
    return store_write_wait(s, &op.w);
}

static inline int count_cb(const struct token_rec *t, void *ud)
{
    (void)t;
    (*(size_t *)ud)++;
    return 0;
}

static inline size_t token_count(struct store *s)
{
    struct store_conn *c = NULL;
    size_t n = 0;
    if (store_read_acquire(s, &c) != STORE_OK)
        return (size_t)-1;
    if (store_token_list(c, count_cb, &n) != STORE_OK)
        n = (size_t)-1;
    store_read_release(s, c);
    return n;
}

/* ---- the gate: a write that parks the writer thread until opened ---- */

struct gate {
    struct store_write w;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
    struct store *s;
    pthread_t th;
    enum store_status result;
};

static inline enum store_status gate_apply(struct store_conn *c, struct store_write **w, size_t n)
{
    (void)c;
    for (size_t i = 0; i < n; i++) {
        struct gate *g = (struct gate *)w[i];
        pthread_mutex_lock(&g->mu);
        g->entered = 1;
        pthread_cond_broadcast(&g->cv);
        while (!g->open)
            pthread_cond_wait(&g->cv, &g->mu);
        pthread_mutex_unlock(&g->mu);
    }
    return STORE_OK;
}

static inline void *gate_thread(void *arg)
{
    struct gate *g = arg;
    g->result = store_write_wait(g->s, &g->w);
    return NULL;
}

/* Starts the gate write and returns once the writer is parked inside it. */
static inline void gate_close(struct gate *g, struct store *s)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->w.apply = gate_apply;
    g->s = s;
    pthread_create(&g->th, NULL, gate_thread, g);
    pthread_mutex_lock(&g->mu);
    while (!g->entered)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static inline void gate_open(struct gate *g)
{
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->th, NULL);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

/* Waits (bounded) until the queue holds `depth` writes; 0 on success. */
static inline int wait_queue_depth(struct store *s, unsigned depth)
{
    int64_t until = time_mono_ms() + 10000;
    struct store_stats st;
    do {
        store_stats(s, &st);
        if (st.queue_depth == depth)
            return 0;
        usleep(1000);
    } while (time_mono_ms() < until);
    return -1;
}

#endif
