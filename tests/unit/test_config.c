/* The config table: defaults, precedence (flag > env > default), validation errors
 * naming the setting, and docs/configuration.md in step with the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"

static const char *fake_env[16][2];
static size_t fake_env_n;

static const char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < fake_env_n; i++)
        if (strcmp(fake_env[i][0], name) == 0)
            return fake_env[i][1];
    return NULL;
}

static void set_env(const char *name, const char *value)
{
    fake_env[fake_env_n][0] = name;
    fake_env[fake_env_n][1] = value;
    fake_env_n++;
}

static int setup(void **state)
{
    (void)state;
    fake_env_n = 0;
    return 0;
}

static void defaults(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    assert_int_equal(config_load(&c, NULL, NULL, 0, fake_getenv, err, sizeof err), 0);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 8080);
    assert_string_equal(c.data_dir, "./var");
    assert_string_equal(c.store_url, "sqlite:./var/srebot.db");
    assert_int_equal(c.environment, ENV_DEMO);
    assert_string_equal(c.admin_token, "");
    assert_int_equal(c.seed_policy_defaults, 1);
    assert_string_equal(c.agent_base_url, "http://127.0.0.1:11434");
    assert_string_equal(c.agent_model, "llama3.2:3b");
}

static void precedence(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    set_env("IF_SRE_LISTEN", "0.0.0.0:9000");
    set_env("IF_SRE_DATA_DIR", "/tmp/x");
    set_env("IF_SRE_ENVIRONMENT", "production");
    const char *names[] = {"listen"};
    const char *values[] = {"127.0.0.1:7000"};
    assert_int_equal(config_load(&c, names, values, 1, fake_getenv, err, sizeof err), 0);
    assert_int_equal(c.listen_port, 7000);            /* flag beats env */
    assert_string_equal(c.data_dir, "/tmp/x");        /* env beats default */
    assert_string_equal(c.store_url, "sqlite:/tmp/x/srebot.db"); /* default follows data dir */
    assert_int_equal(c.environment, ENV_PRODUCTION);
}

struct bad_case {
    const char *env, *value, *expect;
};

static void bad_values_name_the_setting(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"IF_SRE_LISTEN", "8080", "--listen / IF_SRE_LISTEN"},
        {"IF_SRE_LISTEN", "127.0.0.1:99999", "--listen / IF_SRE_LISTEN"},
        {"IF_SRE_ENVIRONMENT", "prod", "IF_SRE_ENVIRONMENT: must be one of"},
        {"IF_SRE_LOG_LEVEL", "loud", "--log-level / IF_SRE_LOG_LEVEL"},
        {"IF_SRE_STORE_URL", "mysql://x", "IF_SRE_STORE_URL"},
        {"IF_SRE_BUS_URL", "nats", "--bus / IF_SRE_BUS_URL: must be a URL"},
        {"IF_SRE_ADMIN_TOKEN", "short", "IF_SRE_ADMIN_TOKEN: must be at least 16"},
        {"IF_SRE_MAX_BODY_BYTES", "12abc", "IF_SRE_MAX_BODY_BYTES"},
        {"IF_SRE_MAX_BODY_BYTES", "-5", "IF_SRE_MAX_BODY_BYTES"},
        {"IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS", "yes", "IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS"},
        {"IF_SRE_AGENT_RUNTIME_BASE_URL", "ftp://x", "IF_SRE_AGENT_RUNTIME_BASE_URL"},
        {"IF_SRE_DATA_DIR", "", "IF_SRE_DATA_DIR: must not be empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_env_n = 0;
        set_env(cases[i].env, cases[i].value);
        struct config c;
        char err[256] = "";
        assert_int_equal(config_load(&c, NULL, NULL, 0, fake_getenv, err, sizeof err), -1);
        if (!strstr(err, cases[i].expect))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].expect);
        assert_null(strchr(err, '\n')); /* one line */
    }
}

static void unknown_flag(void **state)
{
    (void)state;
    struct config c;
    char err[256];
    const char *names[] = {"colour"};
    const char *values[] = {"blue"};
    assert_int_equal(config_load(&c, names, values, 1, fake_getenv, err, sizeof err), -1);
    assert_non_null(strstr(err, "--colour"));
}

/* docs/configuration.md must list every setting of the table with its default. */
static void docs_in_step(void **state)
{
    (void)state;
    const char *root = getenv("SREBOT_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/configuration.md", root ? root : SREBOT_SOURCE_DIR_DEFAULT);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char doc[65536];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    doc[n] = '\0';
    fclose(f);
    for (const struct config_setting *s = config_settings; s->env; s++) {
        char row[256];
        snprintf(row, sizeof row, "`%s`", s->env);
        if (!strstr(doc, row))
            fail_msg("docs/configuration.md does not mention %s", s->env);
        if (s->flag) {
            snprintf(row, sizeof row, "`--%s`", s->flag);
            if (!strstr(doc, row))
                fail_msg("docs/configuration.md does not mention --%s", s->flag);
        }
        if (!s->secret && *s->def) {
            snprintf(row, sizeof row, "`%s`", s->def);
            if (!strstr(doc, row))
                fail_msg("docs/configuration.md does not give the default of %s (%s)", s->env,
                         s->def);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(defaults, setup),
        cmocka_unit_test_setup(precedence, setup),
        cmocka_unit_test_setup(bad_values_name_the_setting, setup),
        cmocka_unit_test_setup(unknown_flag, setup),
        cmocka_unit_test_setup(docs_in_step, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
