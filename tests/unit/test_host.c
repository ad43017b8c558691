/* The host source driven by injected readers: thresholds, hysteresis, resolved
 * findings, evidence numbers, env defaults, and one failing mount not hiding
 * the others. Also one cycle on the real machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "sources/host.h"
#include "support/srcfix.h"

struct fake {
    double root_used, data_used, inode_used, cpu_busy, mem_used;
    int data_broken;
    struct cpu_times cpu;
};

static int fake_fs(void *ctx, const char *mount, struct fs_usage *u, char *err, size_t errlen)
{
    struct fake *f = ctx;
    int is_data = strcmp(mount, "/data") == 0;
    if (is_data && f->data_broken) {
        snprintf(err, errlen, "statvfs /data: No such file or directory");
        return -1;
    }
    double used = is_data ? f->data_used : f->root_used;
    u->total_bytes = 1000000;
    u->avail_bytes = (unsigned long long)(1000000 * (100.0 - used) / 100.0);
    u->files = 10000;
    u->files_free = (unsigned long long)(10000 * (100.0 - f->inode_used) / 100.0);
    u->fsid = is_data ? 2 : 1;
    return 0;
}
static int fake_cpu(void *ctx, struct cpu_times *t, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct fake *f = ctx;
    /* each call advances 1000 ticks, busy share as configured */
    f->cpu.total += 1000;
    f->cpu.busy += (unsigned long long)(f->cpu_busy * 10);
    *t = f->cpu;
    return 0;
}
static int fake_mem(void *ctx, struct mem_info *m, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    struct fake *f = ctx;
    m->total_kb = 1000000;
    m->available_kb = (unsigned long long)(1000000 * (100.0 - f->mem_used) / 100.0);
    return 0;
}

static void *make_host(struct fake *f, json_t *cfg)
{
    struct host_readers r = {fake_fs, fake_cpu, fake_mem, f};
    void *h = NULL;
    char err[200];
    assert_int_equal(host_instance_create(cfg, &r, &h, err, sizeof err), 0);
    json_decref(cfg);
    return h;
}

static json_t *cycle(void *h, int64_t now, struct capture *cap, struct finding_sink *sink,
                     int expect_rc)
{
    char err[200] = "";
    assert_int_equal(source_find("host")->run(h, now, sink, err, sizeof err), expect_rc);
    return capture_take(cap);
}

static json_t *find_class(json_t *arr, const char *cls)
{
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f) if (strcmp(json_string_value(json_object_get(f, "class")),
                                             cls) == 0) return f;
    return NULL;
}

static void test_disk_hysteresis(void **state)
{
    (void)state;
    struct fake f = {.root_used = 50, .data_used = 50, .inode_used = 10, .cpu_busy = 10,
                     .mem_used = 20};
    void *h = make_host(&f, json_pack("{s:s,s:s,s:[ss],s:b,s:b,s:{s:i,s:i,s:i}}", "id", "host",
                                      "node", "n1", "mounts", "/", "/data", "check_cpu", 0,
                                      "check_memory", 0, "thresholds", "disk_used_percent", 90,
                                      "host_clear_gap_percent", 5, "host_samples", 2));
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    int64_t t = 1700000000000;
    /* a new instance announces each healthy mount once (an incident left open
     * from before a restart resolves), then stays quiet */
    json_t *got = cycle(h, t, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "status")),
                        "resolved");
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 1),
                                                          "correlation_key")),
                        "node/n1:/data");
    json_decref(got);
    got = cycle(h, t + 15000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);

    f.data_used = 91; /* one sample over: nothing yet */
    got = cycle(h, t + 15000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);
    f.data_used = 92; /* second sample: raise */
    got = cycle(h, t + 30000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 1);
    json_t *x = json_array_get(got, 0);
    assert_string_equal(json_string_value(json_object_get(x, "class")),
                        "infrastructure.node_disk_pressure");
    assert_string_equal(json_string_value(json_object_get(x, "status")), "firing");
    assert_string_equal(json_string_value(json_object_get(x, "correlation_key")), "node/n1:/data");
    json_t *ev = json_array_get(json_object_get(x, "evidence"), 0);
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "metric_snapshot");
    json_t *d = json_object_get(ev, "data");
    double used = json_number_value(json_object_get(d, "used_percent"));
    assert_true(used > 91.9 && used < 92.1);
    assert_string_equal(json_string_value(json_object_get(d, "mount")), "/data");
    assert_int_equal(json_integer_value(json_object_get(d, "free_inodes")), 9000);
    json_decref(got);

    /* in the dead band (85..90): still firing, no new finding within refire time */
    f.data_used = 88;
    for (int i = 0; i < 3; i++) {
        got = cycle(h, t + 45000 + i * 15000, &cap, &sink, 0);
        assert_int_equal(json_array_size(got), 0);
        json_decref(got);
    }
    /* under the clear level twice: resolved once */
    f.data_used = 80;
    got = cycle(h, t + 100000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);
    got = cycle(h, t + 115000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "status")),
                        "resolved");
    json_decref(got);
    got = cycle(h, t + 130000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 0);
    json_decref(got);
    source_find("host")->destroy(h);
    capture_free(&cap);
}

static void test_refire_and_inodes(void **state)
{
    (void)state;
    struct fake f = {.root_used = 10, .inode_used = 97, .cpu_busy = 5, .mem_used = 5};
    void *h = make_host(&f, json_pack("{s:s,s:[s],s:i,s:{s:i,s:i}}", "node", "n2", "mounts", "/",
                                      "refire_seconds", 60, "thresholds", "inode_used_percent",
                                      95, "host_samples", 1));
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    int64_t t = 1700000000000;
    json_t *got = cycle(h, t, &cap, &sink, 0);
    json_t *x = find_class(got, "infrastructure.node_disk_pressure");
    assert_non_null(x);
    assert_string_equal(json_string_value(json_object_get(x, "severity")), "high");
    json_decref(got);
    got = cycle(h, t + 30000, &cap, &sink, 0); /* inside refire */
    assert_null(find_class(got, "infrastructure.node_disk_pressure"));
    json_decref(got);
    got = cycle(h, t + 61000, &cap, &sink, 0); /* repeated while it lasts */
    assert_non_null(find_class(got, "infrastructure.node_disk_pressure"));
    json_decref(got);
    source_find("host")->destroy(h);
    capture_free(&cap);
}

static void test_cpu_and_memory(void **state)
{
    (void)state;
    struct fake f = {.root_used = 10, .cpu_busy = 97, .mem_used = 99};
    void *h = make_host(&f, json_pack("{s:s,s:[s],s:{s:i,s:i,s:i}}", "node", "n3", "mounts", "/",
                                      "thresholds", "cpu_busy_percent", 90, "memory_used_percent",
                                      90, "host_samples", 1));
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    int64_t t = 1700000000000;
    json_t *got = cycle(h, t, &cap, &sink, 0);
    /* the first CPU sample has no window yet; memory fires at once */
    assert_null(find_class(got, "infrastructure.node_cpu_saturation"));
    json_t *m = find_class(got, "infrastructure.node_memory_saturation");
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "severity")), "critical");
    json_decref(got);
    got = cycle(h, t + 10000, &cap, &sink, 0);
    json_t *c = find_class(got, "infrastructure.node_cpu_saturation");
    assert_non_null(c);
    json_t *d = json_object_get(json_array_get(json_object_get(c, "evidence"), 0), "data");
    double busy = json_number_value(json_object_get(d, "busy_percent"));
    assert_true(busy > 96.9 && busy < 97.1);
    assert_int_equal(json_integer_value(json_object_get(d, "window_ms")), 10000);
    json_decref(got);
    f.cpu_busy = 20;
    f.mem_used = 30;
    got = cycle(h, t + 20000, &cap, &sink, 0);
    assert_int_equal(json_array_size(got), 2); /* both resolved */
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "status")),
                        "resolved");
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 1), "status")),
                        "resolved");
    json_decref(got);
    source_find("host")->destroy(h);
    capture_free(&cap);
}

static void test_env_defaults_and_broken_mount(void **state)
{
    (void)state;
    setenv("IF_SRE_DISK_USED_PERCENT", "50", 1);
    setenv("IF_SRE_HOST_SAMPLES", "1", 1);
    struct fake f = {.root_used = 60, .data_used = 10, .data_broken = 1, .cpu_busy = 5,
                     .mem_used = 5};
    void *h = make_host(&f, json_pack("{s:s,s:[ss]}", "node", "n4", "mounts", "/", "/data"));
    unsetenv("IF_SRE_DISK_USED_PERCENT");
    unsetenv("IF_SRE_HOST_SAMPLES");
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    /* /data cannot be read: the cycle fails (retried with backoff), / is still checked */
    json_t *got = cycle(h, 1700000000000, &cap, &sink, -1);
    json_t *x = find_class(got, "infrastructure.node_disk_pressure");
    assert_non_null(x);
    assert_string_equal(json_string_value(json_object_get(x, "correlation_key")), "node/n4:/");
    json_decref(got);
    source_find("host")->destroy(h);
    capture_free(&cap);
}

static void test_real_machine_cycle(void **state)
{
    (void)state;
    const struct source_ops *ops = source_find("host");
    struct source_deps deps = {0}; /* the host source needs none of them */
    void *h = NULL;
    char err[200] = "";
    json_t *cfg = json_pack("{s:[s],s:{s:i}}", "mounts", "/", "thresholds", "disk_used_percent",
                            100);
    assert_int_equal(ops->init(cfg, &deps, &h, err, sizeof err), 0);
    json_decref(cfg);
    struct capture cap;
    struct finding_sink sink;
    capture_init(&cap, &sink);
    assert_int_equal(ops->run(h, 1700000000000, &sink, err, sizeof err), 0);
    assert_int_equal(ops->run(h, 1700000001000, &sink, err, sizeof err), 0);
    ops->destroy(h);
    capture_free(&cap);
    /* bad configuration is refused at init */
    cfg = json_pack("{s:[s]}", "mounts", "relative/path");
    assert_int_not_equal(ops->init(cfg, &deps, &h, err, sizeof err), 0);
    json_decref(cfg);
    cfg = json_pack("{s:{s:i,s:i}}", "thresholds", "disk_used_percent", 10,
                    "host_clear_gap_percent", 20);
    assert_int_not_equal(ops->init(cfg, &deps, &h, err, sizeof err), 0);
    assert_non_null(strstr(err, "gap"));
    json_decref(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_hysteresis),
        cmocka_unit_test(test_refire_and_inodes),
        cmocka_unit_test(test_cpu_and_memory),
        cmocka_unit_test(test_env_defaults_and_broken_mount),
        cmocka_unit_test(test_real_machine_cycle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
