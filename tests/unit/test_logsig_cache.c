/* Compiled rule sets from a cache (core/logsig.h, util/blobcache.h) and the
 * parallel scan of one buffer in line-aligned pieces (cli/scanpar.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/scanpar.h"
#include "core/logsig.h"
#include "sources/logrules.h"
#include "util/blobcache.h"

/* An in-memory cache that counts its calls. */
struct memcache {
    char key[LOGSIG_CACHE_KEY_LEN];
    char *bytes;
    size_t len;
    int loads, hits, stores;
};

static char *mem_load(void *ctx, const char *key, size_t *len)
{
    struct memcache *m = ctx;
    m->loads++;
    if (!m->bytes || strcmp(key, m->key) != 0)
        return NULL;
    m->hits++;
    char *b = malloc(m->len);
    memcpy(b, m->bytes, m->len);
    *len = m->len;
    return b;
}

static int mem_store(void *ctx, const char *key, const char *bytes, size_t len)
{
    struct memcache *m = ctx;
    m->stores++;
    free(m->bytes);
    m->bytes = malloc(len);
    memcpy(m->bytes, bytes, len);
    m->len = len;
    snprintf(m->key, sizeof m->key, "%s", key);
    return 0;
}

static json_t *rules_with(const char *pattern)
{
    json_t *r = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "t.a", "pattern", pattern,
                          "class", "application_services.application_service_degraded", "id", "t.b",
                          "pattern", "timeout after [0-9]+ms", "class",
                          "application_services.application_service_degraded");
    assert_non_null(r);
    return r;
}

static int count_one(void *ctx, const struct logsig_match *m)
{
    (void)m;
    ++*(int *)ctx;
    return 0;
}

static int count_matches(const struct logsig_set *set, const char *text)
{
    struct logsig_scanner *sc = NULL;
    assert_int_equal(logsig_scanner_create(&sc), 0);
    int n = 0;
    assert_true(logsig_scan(set, sc, text, strlen(text), count_one, &n) >= 0);
    logsig_scanner_destroy(sc);
    return n;
}

static void cache_hits_the_same_rules_and_misses_changed_ones(void **state)
{
    (void)state;
    struct memcache m = {0};
    const struct logsig_cache lc = {&m, mem_load, mem_store};
    static struct problems p;
    const char *log = "db: ERR 42 here\nclient: timeout after 30ms\nquiet\nERR x\n";
    json_t *a = rules_with("ERR [0-9]+");
    struct logsig_set *s1 = NULL, *s2 = NULL, *s3 = NULL;
    problems_init(&p);
    assert_int_equal(logsig_compile_cached(a, "/r", 0, &lc, &s1, &p), 0);
    assert_int_equal(m.stores, 1); /* compiled, then kept */
    assert_int_equal(m.hits, 0);
    assert_int_equal(count_matches(s1, log), 2);
    assert_int_equal(logsig_compile_cached(a, "/r", 0, &lc, &s2, &p), 0);
    assert_int_equal(m.hits, 1); /* the same rules: from the cache */
    assert_int_equal(m.stores, 1);
    assert_int_equal(count_matches(s2, log), 2);
    char first_key[LOGSIG_CACHE_KEY_LEN];
    snprintf(first_key, sizeof first_key, "%s", m.key);

    /* One pattern changed: another key, compiled again, and it matches the new way. */
    json_t *b = rules_with("ERR [0-9a-z]+");
    assert_int_equal(logsig_compile_cached(b, "/r", 0, &lc, &s3, &p), 0);
    assert_int_equal(m.hits, 1);
    assert_int_equal(m.stores, 2);
    assert_string_not_equal(m.key, first_key);
    assert_int_equal(count_matches(s3, log), 3);
    assert_int_equal(p.count, 0);

    /* Damaged bytes under the right key read as a miss and are replaced. */
    struct logsig_set *s4 = NULL;
    m.bytes[m.len / 2] ^= 0x5a;
    m.len /= 2;
    assert_int_equal(logsig_compile_cached(b, "/r", 0, &lc, &s4, &p), 0);
    assert_int_equal(m.stores, 3);
    assert_int_equal(count_matches(s4, log), 3);
    logsig_set_destroy(s1);
    logsig_set_destroy(s2);
    logsig_set_destroy(s3);
    logsig_set_destroy(s4);
    json_decref(a);
    json_decref(b);
    free(m.bytes);
}

/* With or without a cache, the same problems in the same order; a disabled
 * rule's bad pattern is reported even when the enabled ones are cached. */
static void cache_reports_the_same_problems(void **state)
{
    (void)state;
    struct memcache m = {0};
    const struct logsig_cache lc = {&m, mem_load, mem_store};
    static struct problems p1, p2;
    json_t *bad = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]", "id", "t.a",
                            "pattern", "(", "class", "nope.nope", "id", "t.b", "pattern", "x*",
                            "class", "application_services.application_service_degraded", "id",
                            "t.c", "pattern", "ok", "class", "nope", "severity", "loud");
    struct logsig_set *s = NULL;
    problems_init(&p1);
    problems_init(&p2);
    assert_int_equal(logsig_compile(bad, "/r", LOGSIG_STRICT, &s, &p1), -1);
    assert_int_equal(logsig_compile_cached(bad, "/r", LOGSIG_STRICT, &lc, &s, &p2), -1);
    assert_true(p1.count >= 4);
    assert_int_equal(p1.count, p2.count);
    for (size_t i = 0; i < p1.count; i++) {
        assert_string_equal(p1.items[i].path, p2.items[i].path);
        assert_string_equal(p1.items[i].message, p2.items[i].message);
    }
    assert_int_equal(m.stores, 0);
    json_decref(bad);

    json_t *good = rules_with("ERR [0-9]+");
    problems_init(&p1);
    assert_int_equal(logsig_compile_cached(good, "/r", 0, &lc, &s, &p1), 0);
    logsig_set_destroy(s);
    json_array_append_new(good, json_pack("{s:s, s:b, s:s, s:s}", "id", "t.off", "enabled", 0,
                                          "pattern", "[", "class",
                                          "application_services.application_service_degraded"));
    assert_int_equal(logsig_compile_cached(good, "/r", 0, &lc, &s, &p1), -1);
    assert_int_equal(p1.count, 1);
    assert_string_equal(p1.items[0].path, "/r/2/pattern");
    json_decref(good);
    free(m.bytes);
}

static char dir[64];

static void blobcache_round_trip_damage_and_bounds(void **state)
{
    (void)state;
    char cdir[128];
    snprintf(cdir, sizeof cdir, "%s/cache", dir);
    struct blobcache *c = blobcache_open(cdir, 2);
    assert_non_null(c);
    size_t len = 0;
    assert_null(blobcache_load(c, "k1", &len));
    assert_int_equal(blobcache_store(c, "k1", "hello", 5), 0);
    char *b = blobcache_load(c, "k1", &len);
    assert_non_null(b);
    assert_int_equal(len, 5);
    assert_memory_equal(b, "hello", 5);
    free(b);
    assert_int_equal(blobcache_store(c, "../k", "x", 1), -1); /* keys are names, not paths */
    assert_null(blobcache_load(c, "../k", &len));

    /* A flipped byte is caught by the stored digest. */
    char path[512];
    snprintf(path, sizeof path, "%s/k1.blob", cdir);
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "J", 1, 33), 1);
    close(fd);
    assert_null(blobcache_load(c, "k1", &len));

    /* At most 2 entries: storing a third removes one of the older. */
    assert_int_equal(blobcache_store(c, "k2", "two", 3), 0);
    assert_int_equal(blobcache_store(c, "k3", "three", 5), 0);
    assert_int_equal(blobcache_store(c, "k4", "four", 4), 0);
    int n = 0;
    DIR *d = opendir(cdir);
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".blob") != NULL;
    closedir(d);
    assert_int_equal(n, 2);
    b = blobcache_load(c, "k4", &len);
    assert_non_null(b);
    free(b);
    blobcache_close(c);
    assert_null(blobcache_open("/proc/no/such/dir", 2));
    assert_null(blobcache_load(NULL, "k1", &len));
    d = opendir(cdir);
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof path, "%s/%s", cdir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(cdir);
}

/* The inode of the only .blob file in d (0 when there is none), and how many there are. */
static ino_t only_blob(const char *d, int *count)
{
    DIR *dd = opendir(d);
    ino_t ino = 0;
    *count = 0;
    struct dirent *e;
    while (dd && (e = readdir(dd)))
        if (strstr(e->d_name, ".blob")) {
            char path[512];
            struct stat st;
            snprintf(path, sizeof path, "%s/%s", d, e->d_name);
            assert_int_equal(stat(path, &st), 0);
            ino = st.st_ino;
            ++*count;
        }
    if (dd)
        closedir(dd);
    return ino;
}

/* The daemon's rule slot: a restart loads the built-in set it compiled
 * before (the cache file is read, not rewritten); a published policy set is
 * compiled and kept beside it. */
static void rule_slot_uses_the_cache_across_restarts(void **state)
{
    (void)state;
    char cdir[128];
    snprintf(cdir, sizeof cdir, "%s/slotcache", dir);
    struct logrules_slot *slot = logrules_slot_create();
    logrules_slot_use_cache(slot, cdir);
    struct logrules *r = logrules_acquire(slot);
    assert_non_null(r);
    size_t builtins = logsig_set_count(r->set);
    assert_true(builtins > 0);
    logrules_release(slot, r);
    logrules_slot_destroy(slot);
    int n = 0;
    ino_t first = only_blob(cdir, &n);
    assert_int_equal(n, 1);

    slot = logrules_slot_create(); /* a restart */
    logrules_slot_use_cache(slot, cdir);
    r = logrules_acquire(slot);
    assert_int_equal(logsig_set_count(r->set), builtins);
    assert_int_equal(count_matches(r->set, "panic: runtime error\nok\n"), 1);
    logrules_release(slot, r);
    assert_int_equal(only_blob(cdir, &n), first); /* loaded, not written again */
    assert_int_equal(n, 1);

    static struct problems p;
    problems_init(&p);
    json_t *rules = rules_with("ERR [0-9]+");
    assert_int_equal(logrules_publish(slot, rules, &p), 0);
    r = logrules_acquire(slot);
    assert_int_equal(logsig_set_count(r->set), 2);
    logrules_release(slot, r);
    (void)only_blob(cdir, &n);
    assert_int_equal(n, 2);
    logrules_slot_destroy(slot);
    json_decref(rules);
    DIR *d = opendir(cdir);
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", cdir, e->d_name);
            unlink(path);
        }
    closedir(d);
    rmdir(cdir);
}

/* What the parallel scan saw: (offset, rule) per match, in delivery order. */
struct seen {
    uint64_t off[4096];
    unsigned rule[4096];
    size_t n;
};

struct par {
    const struct logsig_set *set;
    struct logsig_scanner *sc[4];
    struct seen part[4]; /* per worker, for the round */
    struct seen all;
    uint64_t base[4];
};

static int par_match(void *ctx, const struct logsig_match *m)
{
    struct seen *s = ctx;
    assert_true(s->n < 4096);
    s->off[s->n] = m->line_start; /* relative; made absolute below */
    s->rule[s->n++] = (unsigned)m->rule_index;
    return 0;
}

static int par_scan(void *ctx, unsigned w, const char *buf, size_t len, uint64_t base)
{
    struct par *p = ctx;
    p->part[w].n = 0;
    p->base[w] = base;
    /* Pieces are whole lines: they start at a line start and end after a newline or at the end. */
    return logsig_scan(p->set, p->sc[w], buf, len, par_match, &p->part[w]) < 0;
}

static int par_emit(void *ctx, unsigned w)
{
    struct par *p = ctx;
    for (size_t i = 0; i < p->part[w].n; i++) {
        p->all.off[p->all.n] = p->base[w] + p->part[w].off[i];
        p->all.rule[p->all.n++] = p->part[w].rule[i];
    }
    return 0;
}

static void parallel_pieces_find_what_one_scan_finds(void **state)
{
    (void)state;
    static struct problems pr;
    problems_init(&pr);
    json_t *rules =
        json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "t.err", "pattern",
                  "ERR [0-9]+ end", "class", "application_services.application_service_degraded",
                  "id", "t.start", "pattern", "^begin [a-z]+", "class",
                  "application_services.application_service_degraded", "id", "t.long", "pattern",
                  "y{200}z", "class", "application_services.application_service_degraded");
    struct logsig_set *set = NULL;
    assert_int_equal(logsig_compile(rules, "", 0, &set, &pr), 0);
    /* Lines of every length around the piece sizes below, matches at line
     * starts and ends, a line far longer than a piece, no final newline. */
    static char buf[40000];
    size_t len = 0;
    for (int i = 0; len < sizeof buf - 600; i++) {
        int n;
        if (i % 37 == 5) {
            n = snprintf(buf + len, sizeof buf - len, "x");
            memset(buf + len + n, 'y', 300);
            n += 300;
            n += snprintf(buf + len + n, sizeof buf - len - n, "z ERR %d end\n", i);
        } else if (i % 3 == 0) {
            n = snprintf(buf + len, sizeof buf - len, "begin abc %.*s ERR %d end\n", i % 50,
                         "................................................................", i);
        } else {
            n = snprintf(buf + len, sizeof buf - len, "%.*sline %d\n", i % 90,
                         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                         "aaaaaaaaaaaaaaaaa",
                         i);
        }
        len += (size_t)n;
    }
    len += (size_t)snprintf(buf + len, sizeof buf - len, "begin tail ERR 7 end");

    static struct par serial, par;
    serial.set = par.set = set;
    for (int w = 0; w < 4; w++) {
        assert_int_equal(logsig_scanner_create(&par.sc[w]), 0);
    }
    assert_int_equal(logsig_scanner_create(&serial.sc[0]), 0);
    assert_int_equal(logsig_scan(set, serial.sc[0], buf, len, par_match, &serial.all), 0);
    assert_true(serial.all.n > 300);

    const struct scanpar_ops ops = {&par, par_scan, par_emit};
    const size_t pieces[] = {1, 7, 64, 100, 333, 4096, 1 << 20};
    for (unsigned threads = 1; threads <= 4; threads++)
        for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
            par.all.n = 0;
            assert_int_equal(scanpar_run(buf, len, 0, threads, pieces[k], &ops), 0);
            assert_int_equal(par.all.n, serial.all.n);
            assert_memory_equal(par.all.off, serial.all.off, serial.all.n * sizeof(uint64_t));
            assert_memory_equal(par.all.rule, serial.all.rule, serial.all.n * sizeof(unsigned));
        }
    for (int w = 0; w < 4; w++)
        logsig_scanner_destroy(par.sc[w]);
    logsig_scanner_destroy(serial.sc[0]);
    logsig_set_destroy(set);
    json_decref(rules);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/srebot-lscache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rmdir(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cache_hits_the_same_rules_and_misses_changed_ones),
        cmocka_unit_test(cache_reports_the_same_problems),
        cmocka_unit_test(blobcache_round_trip_damage_and_bounds),
        cmocka_unit_test(parallel_pieces_find_what_one_scan_finds),
        cmocka_unit_test(rule_slot_uses_the_cache_across_restarts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
