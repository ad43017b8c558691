// Signal sources: each configured adapter instance with its state, last run
// and counters (GET /api/v1/sources). Refreshes every 10 s while shown.

import { h, mount, timeEl, spinner, emptyState, errorState, badge } from './dom.js';
import * as api from './api.js';
import { registerPage } from './registry.js';

function createSourcesPage() {
  const body = h('div.sources-body', spinner('Loading sources…'));
  const el = h('div.sources-page',
    h('div.page-head', h('h1', 'Sources'),
      h('p.hint', 'Probes, host checks, log files and receivers that turn signals into findings.')),
    body);
  let timer = null;
  let alive = true;

  async function load() {
    let items;
    try {
      items = (await api.get('/sources')).items || [];
    } catch (e) {
      if (alive) mount(body, errorState(e, load));
      return;
    }
    if (!alive) return;
    if (!items.length) {
      mount(body, emptyState('No sources configured', 'Probes and log sources come from the policy; host checks run by default.'));
      return;
    }
    mount(body, h('div.table-wrap.rounded', h('table.grid.sources',
      h('thead', h('tr', ['Source', 'Kind', 'State', 'Last run', 'Runs', 'Failures', 'Findings', 'Last error']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', items.map((s) => h('tr', { dataset: { source: s.id } },
        h('td', h('code', s.id)),
        h('td', s.kind),
        h('td', badge('src', s.state)),
        h('td', timeEl(s.last_run)),
        h('td.num', String(s.runs ?? 0)),
        h('td.num', String(s.failures ?? 0)),
        h('td.num', String(s.findings ?? 0)),
        h('td.err', s.last_error || '')))))));
  }

  return {
    el,
    route() {
      load();
      clearInterval(timer);
      timer = setInterval(load, 10000);
    },
    destroy() {
      alive = false;
      clearInterval(timer);
    },
  };
}

registerPage({ id: 'sources', title: 'Sources', order: 40, create: createSourcesPage });
