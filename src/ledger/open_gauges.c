/* Open incidents on /metrics, for alerting and dashboards:
 *
 *   srebot_incidents_open{state, severity}    every open state x every severity
 *   srebot_incidents_open_by_class{class}     every known class, and "other"
 *
 * The label sets are fixed (closed sets: the lifecycle's states, four
 * severities, the class catalogue of src/core/classes.c), registered up front
 * and set to 0 when nothing matches, so a series never disappears and the
 * cardinality is bounded whatever the incidents say. Refreshed when /metrics
 * is rendered: one grouped read of the open incidents (the partial index on
 * open incidents keeps it proportional to what is open, not to history). */
#include <stdlib.h>
#include <string.h>

#include "core/classes.h"
#include "core/finding.h"
#include "core/lifecycle.h"
#include "ledger/ledger_int.h"

#define OPEN_MAX_CLASSES 64
#define NSEV 4

struct open_gauges {
    pthread_mutex_t mu; /* one refresh at a time */
    struct metric_series *by_state_sev[ST__COUNT][NSEV];
    struct metric_series *by_class[OPEN_MAX_CLASSES + 1]; /* [nclasses] = "other" */
    size_t nclasses;
    /* the refresh's tallies (under mu) */
    int64_t n_state_sev[ST__COUNT][NSEV];
    int64_t n_class[OPEN_MAX_CLASSES + 1];
};

void ledger_open_gauges_create(struct ledger *l)
{
    struct metrics *reg = l->cfg.metrics;
    if (!reg)
        return;
    struct open_gauges *g = calloc(1, sizeof *g);
    if (!g)
        return;
    pthread_mutex_init(&g->mu, NULL);
    struct metric *m = metrics_gauge(reg, "srebot_incidents_open",
                                     "Open (not resolved) incidents by state and severity",
                                     (const char *[]){"state", "severity", NULL});
    for (int s = 0; s < ST__COUNT; s++) {
        if (s == ST_RESOLVED)
            continue;
        for (int v = 0; v < NSEV; v++)
            g->by_state_sev[s][v] = metric_series_get(
                m, (const char *[]){incident_state_name((enum incident_state)s),
                                    severity_name((enum severity)v)});
    }
    struct metric *c = metrics_gauge(reg, "srebot_incidents_open_by_class",
                                     "Open incidents by class (\"other\": a class outside the "
                                     "catalogue)",
                                     (const char *[]){"class", NULL});
    for (const struct incident_class *k = incident_classes; k->name; k++) {
        if (g->nclasses == OPEN_MAX_CLASSES)
            break;
        g->by_class[g->nclasses++] = metric_series_get(c, (const char *[]){k->name});
    }
    g->by_class[g->nclasses] = metric_series_get(c, (const char *[]){"other"});
    l->open_gauges = g;
}

void ledger_open_gauges_destroy(struct ledger *l)
{
    struct open_gauges *g = l->open_gauges;
    if (!g)
        return;
    pthread_mutex_destroy(&g->mu);
    free(g);
    l->open_gauges = NULL;
}

static void tally(const char *cls, const char *state, int severity, int64_t n, void *ud)
{
    struct open_gauges *g = ud;
    enum incident_state s;
    if (incident_state_parse(state, &s) == 0 && s != ST_RESOLVED && severity >= 0 &&
        severity < NSEV)
        g->n_state_sev[s][severity] += n;
    size_t i = 0;
    while (i < g->nclasses && strcmp(incident_classes[i].name, cls) != 0)
        i++;
    g->n_class[i] += n; /* i == nclasses: "other" */
}

void ledger_refresh_gauges(struct ledger *l)
{
    struct open_gauges *g = l ? l->open_gauges : NULL;
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    memset(g->n_state_sev, 0, sizeof g->n_state_sev);
    memset(g->n_class, 0, sizeof g->n_class);
    struct store_conn *c;
    enum store_status st = store_read_acquire(l->store, &c);
    if (st == STORE_OK) {
        st = store_incident_open_counts(c, tally, g);
        store_read_release(l->store, c);
    }
    /* A failed read leaves the last values: a gauge dropping to 0 would look
     * like every incident resolved. */
    if (st == STORE_OK) {
        for (int s = 0; s < ST__COUNT; s++)
            for (int v = 0; v < NSEV; v++)
                metric_set(g->by_state_sev[s][v], (double)g->n_state_sev[s][v]);
        for (size_t i = 0; i <= g->nclasses; i++)
            metric_set(g->by_class[i], (double)g->n_class[i]);
    }
    pthread_mutex_unlock(&g->mu);
}
