// Incidents workspace: counts, filters, the table (sorting, paging), live
// updates from the event stream, and the drawer at #/incidents/<id>.
// Every filter lives in the URL, so a view can be bookmarked or shared.

import { h, mount, clear, timeEl, badge, spinner, emptyState, errorState, debounce, throttle } from './dom.js';
import * as api from './api.js';
import { registerPage } from './registry.js';
import { openDrawer } from './drawer.js';

// From the server (GET /api/v1/meta, loaded at sign-in): lifecycle order, highest severity first.
const STATES = () => api.meta().incident_states;
const SEVERITIES = () => api.meta().severities;
const RANGES = { '': 'Any time', '1h': 'Last hour', '6h': 'Last 6 hours', '24h': 'Last 24 hours', '7d': 'Last 7 days', '30d': 'Last 30 days', custom: 'Custom…' };
const FILTER_KEYS = ['state', 'severity', 'domain', 'class', 'source', 'q', 'range', 'since', 'until', 'sort'];
const PAGE_SIZE = 50;

function rangeMs(r) {
  const m = /^(\d+)([hd])$/.exec(r || '');
  return m ? Number(m[1]) * (m[2] === 'h' ? 3600e3 : 86400e3) : 0;
}

// datetime-local <-> RFC 3339 (UTC).
function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}
function fromLocalInput(v) {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

function createWorkspace(ctx) {
  const { who, navigate, onLive } = ctx;
  let filters = new URLSearchParams();
  let searchStopped = 0; // incidents a stopped search looked at (0: complete)
  let cursors = [null]; // cursor of each visited page; last = current page
  let nextCursor = null;
  let rows = [];
  let known = new Map(); // id -> updated_at, to flash rows that changed live
  let selected = -1;
  let drawerId = null;
  let drawer = null;
  let loadSeq = 0;
  let loadedKey = null; // the filters the table was last loaded with

  const countsEl = h('section.counts', { 'aria-label': 'Incident counts' }, spinner('Loading counts…'));
  const tableWrap = h('div.table-wrap');
  const pager = h('div.pager');
  const liveNote = h('div.live-note', { hidden: true });
  const drawerHost = h('div.drawer-host');

  // ---- filters
  const sel = (name, label, options) => h('label.filter', h('span', label),
    h('select', { name, dataset: { filter: name }, onchange: (e) => setFilter(name, e.target.value) },
      options.map(([v, t]) => h('option', { value: v }, t))));
  const text = (name, label, ph, extra = {}) => h('label.filter', h('span', label),
    h('input', { type: 'search', name, placeholder: ph, dataset: { filter: name }, ...extra,
      oninput: debounce((e) => setFilter(name, e.target.value.trim()), 300) }));
  const sinceIn = h('input', { type: 'datetime-local', name: 'since', 'aria-label': 'Since',
    onchange: (e) => setFilter('since', fromLocalInput(e.target.value)) });
  const untilIn = h('input', { type: 'datetime-local', name: 'until', 'aria-label': 'Until',
    onchange: (e) => setFilter('until', fromLocalInput(e.target.value)) });
  const custom = h('span.custom-range', sinceIn, '–', untilIn);
  const domainSel = h('select', { name: 'domain', dataset: { filter: 'domain' },
    onchange: (e) => setFilter('domain', e.target.value) }, h('option', { value: '' }, 'All domains'));
  const classList = h('datalist#class-options');
  const filterBar = h('form.filters', { role: 'search', onsubmit: (e) => e.preventDefault() },
    text('q', 'Search', 'Summary or key  ( / )', { 'data-search': '' }),
    sel('state', 'State', [['', 'All states'], ...STATES().map((s) => [s, s])]),
    sel('severity', 'Severity', [['', 'All severities'], ...SEVERITIES().map((s) => [s, s])]),
    h('label.filter', h('span', 'Domain'), domainSel),
    text('class', 'Class', 'domain.name', { list: 'class-options' }),
    text('source', 'Source', 'e.g. alertmanager'),
    h('label.filter', h('span', 'Time'), h('select', { name: 'range', dataset: { filter: 'range' },
      onchange: (e) => setRange(e.target.value) },
    Object.entries(RANGES).map(([v, t]) => h('option', { value: v }, t)))),
    custom,
    h('button.btn.ghost.clear-filters', { type: 'button', onclick: clearFilters }, 'Clear'),
    classList);

  const el = h('div.workspace',
    h('div.page-head', h('h1', 'Incidents'),
      h('p.hint', 'Keys: / search · j/k move · Enter open · Esc close')),
    countsEl, filterBar, liveNote, tableWrap, pager, drawerHost);

  function paramsWith(name, value) {
    const p = new URLSearchParams(filters);
    if (value) p.set(name, value);
    else p.delete(name);
    return p;
  }

  function setFilter(name, value) {
    cursors = [null];
    navigate(drawerId ? `/incidents/${drawerId}` : '/incidents', paramsWith(name, value), true);
  }

  function setRange(v) {
    const p = paramsWith('range', v);
    if (v !== 'custom') {
      p.delete('since');
      p.delete('until');
    }
    cursors = [null];
    navigate('/incidents', p, true);
  }

  function clearFilters() {
    cursors = [null];
    navigate('/incidents', new URLSearchParams(), true);
  }

  function syncInputs() {
    for (const input of filterBar.querySelectorAll('[data-filter]')) {
      const v = filters.get(input.dataset.filter) || '';
      if (document.activeElement !== input && input.value !== v) input.value = v;
      if (input.tagName === 'SELECT' && v && input.value !== v) {
        input.appendChild(h('option', { value: v }, v));
        input.value = v;
      }
    }
    const r = filters.get('range') || '';
    custom.hidden = r !== 'custom';
    sinceIn.value = filters.get('since') ? toLocalInput(filters.get('since')) : '';
    untilIn.value = filters.get('until') ? toLocalInput(filters.get('until')) : '';
  }

  function query() {
    const q = { limit: PAGE_SIZE, sort: filters.get('sort') || '-last_seen' };
    for (const k of ['state', 'severity', 'domain', 'class', 'source', 'q']) if (filters.get(k)) q[k] = filters.get(k);
    const r = filters.get('range');
    if (r === 'custom') {
      if (filters.get('since')) q.since = filters.get('since');
      if (filters.get('until')) q.until = filters.get('until');
    } else if (rangeMs(r)) {
      q.since = new Date(Date.now() - rangeMs(r)).toISOString();
    }
    const c = cursors[cursors.length - 1];
    if (c) q.cursor = c;
    return q;
  }

  // ---- counts
  async function loadCounts() {
    try {
      const c = await api.get('/incidents/counts');
      renderCounts(c);
    } catch (e) {
      if (countsEl.querySelector('.loading')) mount(countsEl, h('p.muted', 'Counts unavailable: ' + e.message));
    }
  }

  function renderCounts(c) {
    const chip = (kind, key, n) => h('button', {
      type: 'button', class: `chip ${kind}-${key}` + (filters.get(kind) === key ? ' on' : ''),
      'aria-pressed': filters.get(kind) === key ? 'true' : 'false',
      onclick: () => setFilter(kind, filters.get(kind) === key ? '' : key),
    }, h('span.chip-n', String(n)), h('span.chip-k', key));
    // The server may list zero counts; only non-zero ones become chips.
    const nonZero = (o) => Object.fromEntries(Object.entries(o || {}).filter(([, n]) => n > 0));
    const byState = nonZero(c.by_state);
    const bySev = nonZero(c.by_severity);
    const byClass = Object.entries(nonZero(c.by_class)).sort((a, b) => b[1] - a[1]);
    const domains = new Map();
    for (const [cls, n] of byClass) {
      const d = cls.split('.')[0];
      domains.set(d, (domains.get(d) || 0) + n);
    }
    const current = filters.get('domain') || '';
    mount(domainSel, h('option', { value: '' }, 'All domains'),
      [...domains.keys()].sort().map((d) => h('option', { value: d }, d)),
      current && !domains.has(current) ? h('option', { value: current }, current) : null);
    domainSel.value = current;
    mount(classList, byClass.map(([cls]) => h('option', { value: cls })));
    mount(countsEl,
      h('div.count-total', h('span.big-n', String(c.total ?? 0)), h('span', 'incidents')),
      h('div.count-group', h('h2', 'State'),
        h('div.chips', STATES().filter((s) => byState[s]).map((s) => chip('state', s, byState[s])),
          !Object.keys(byState).length ? h('span.muted', 'none yet') : null)),
      h('div.count-group', h('h2', 'Severity'),
        h('div.chips', SEVERITIES().filter((s) => bySev[s]).map((s) => chip('severity', s, bySev[s])),
          !Object.keys(bySev).length ? h('span.muted', 'none yet') : null)),
      h('div.count-group.classes', h('h2', 'Class'),
        h('div.chips', byClass.slice(0, 6).map(([cls, n]) => h('button', {
          type: 'button', class: 'chip class' + (filters.get('class') === cls ? ' on' : ''),
          title: cls, onclick: () => setFilter('class', filters.get('class') === cls ? '' : cls),
        }, h('span.chip-n', String(n)), h('span.chip-k', cls.split('.')[1] || cls))),
        !byClass.length ? h('span.muted', 'none yet') : null)));
  }

  // ---- table
  async function loadList(opts = {}) {
    const seq = ++loadSeq;
    if (!opts.quiet) mount(tableWrap, spinner('Loading incidents…'));
    let data;
    try {
      data = await api.get('/incidents', query());
    } catch (e) {
      if (seq !== loadSeq) return;
      mount(tableWrap, errorState(e, () => loadList()));
      mount(pager);
      return;
    }
    if (seq !== loadSeq) return;
    const prev = known;
    rows = data.items || [];
    nextCursor = data.next_cursor || null;
    // a text search looks at a bounded number of incidents per page (docs/api.md)
    searchStopped = data.search_complete === false ? data.searched : 0;
    known = new Map(rows.map((r) => [r.id, r.updated_at || r.last_seen]));
    renderTable(opts.quiet ? prev : null);
    renderPager();
  }

  function sortHeader(label, key) {
    const s = filters.get('sort') || '-last_seen';
    const on = s === key || s === '-' + key;
    const desc = s === '-' + key;
    const next = on && desc ? key : '-' + key;
    return h('th', { scope: 'col', 'aria-sort': on ? (desc ? 'descending' : 'ascending') : 'none' },
      h('button.sort', { type: 'button', onclick: () => setFilter('sort', next) },
        label, h('span.sort-arrow', on ? (desc ? '▼' : '▲') : '↕')));
  }

  function renderTable(prev) {
    if (!rows.length && searchStopped) {
      mount(tableWrap, emptyState(`No match among the ${searchStopped} incidents searched`,
        'The search stops after a bounded number of incidents per page; Next → searches further.'));
      return;
    }
    if (!rows.length) {
      const filtered = FILTER_KEYS.some((k) => k !== 'sort' && filters.get(k));
      mount(tableWrap, filtered
        ? emptyState('No incidents match these filters', 'Clear a filter or widen the time range.')
        : emptyState('No incidents yet', 'Findings posted to /api/v1/findings, Alertmanager alerts and the built-in sources open incidents here. This table updates live.'));
      return;
    }
    const body = h('tbody', rows.map((r, i) => {
      const changed = prev && prev.get(r.id) !== (r.updated_at || r.last_seen);
      return h('tr', {
        class: (changed ? 'flash ' : '') + (r.id === drawerId ? 'open' : '') + (i === selected ? ' sel' : ''),
        dataset: { id: r.id }, tabindex: '-1',
        onclick: () => open(r.id),
      },
      h('td.num', h('a', { href: `#/incidents/${r.id}?${filters}`, onclick: (e) => e.stopPropagation() }, '#' + r.id)),
      h('td', badge('sev', r.severity)),
      h('td', badge('state', r.state)),
      h('td.summary', h('div.sum', r.summary || '(no summary)'),
        h('div.sub', h('span.cls', r.class), ' · ', h('span.key', r.correlation_key))),
      h('td', r.source || '—'),
      h('td.num', String(r.finding_count ?? '')),
      h('td', timeEl(r.first_seen)),
      h('td', timeEl(r.last_seen)));
    }));
    mount(tableWrap, h('table.grid.incidents',
      h('caption.sr-only', 'Incidents'),
      h('thead', h('tr',
        h('th', { scope: 'col' }, 'Id'),
        sortHeader('Severity', 'severity'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Summary'),
        h('th', { scope: 'col' }, 'Source'),
        h('th.num', { scope: 'col' }, 'Findings'),
        sortHeader('First seen', 'first_seen'),
        sortHeader('Last seen', 'last_seen'))),
      body));
  }

  function renderPager() {
    const page = cursors.length;
    mount(pager,
      h('button.btn', { type: 'button', disabled: page <= 1, onclick: () => { cursors.pop(); loadList(); } }, '← Previous'),
      h('span.muted', `Page ${page}` + (rows.length ? ` · ${rows.length} shown` : '') +
        (searchStopped ? ` · searched ${searchStopped} incidents, Next searches further` : '')),
      h('button.btn', { type: 'button', disabled: !nextCursor, onclick: () => { cursors.push(nextCursor); loadList(); } }, 'Next →'));
  }

  function open(id) {
    navigate(`/incidents/${id}`, filters);
  }

  function moveSelection(d) {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, selected + d));
    const trs = tableWrap.querySelectorAll('tbody tr');
    trs.forEach((tr, i) => tr.classList.toggle('sel', i === selected));
    trs[selected]?.focus();
    trs[selected]?.scrollIntoView({ block: 'nearest' });
  }

  function onKey(e) {
    const t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape' && drawerId) {
      e.preventDefault();
      closeDrawer();
      return;
    }
    if (t && /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    if (drawerId && drawerHost.contains(t)) return;
    if (e.key === 'j' || e.key === 'ArrowDown') { e.preventDefault(); moveSelection(1); }
    else if (e.key === 'k' || e.key === 'ArrowUp') { e.preventDefault(); moveSelection(-1); }
    else if (e.key === 'Enter' && selected >= 0 && rows[selected]) { e.preventDefault(); open(rows[selected].id); }
  }

  function closeDrawer() {
    navigate('/incidents', filters);
  }

  // Live: bursts become one refresh, at most one a second however busy the stream.
  const liveRefresh = throttle(() => {
    loadCounts();
    if (cursors.length === 1) loadList({ quiet: true });
    else {
      liveNote.hidden = false;
      mount(liveNote, 'New activity. ',
        h('button.btn.link', { type: 'button', onclick: () => { cursors = [null]; liveNote.hidden = true; loadList(); } }, 'Show newest'));
    }
  }, 1000);
  const offLive = onLive((type, env) => {
    if (!/^sre\.(incident|finding|evidence|action|approval)/.test(type || '')) return;
    liveRefresh();
    const m = /^incident\/(\d+)$/.exec(env && env.subject || '');
    if (drawer && m && Number(m[1]) === drawerId) drawer.refresh();
  });

  document.addEventListener('keydown', onKey);

  return {
    el,
    route(route) {
      filters = new URLSearchParams(route.params);
      syncInputs();
      const id = route.parts[1] ? Number(route.parts[1]) : null;
      if (filters.toString() !== loadedKey) {
        loadedKey = filters.toString();
        loadCounts();
        loadList();
      }
      if (id !== drawerId) {
        drawerId = id;
        if (drawer) drawer.destroy();
        drawer = null;
        clear(drawerHost);
        if (id) {
          drawer = openDrawer(id, { who, onClose: closeDrawer, onChanged: () => { loadCounts(); loadList({ quiet: true }); } });
          drawerHost.appendChild(drawer.el);
        }
        for (const tr of tableWrap.querySelectorAll('tbody tr'))
          tr.classList.toggle('open', Number(tr.dataset.id) === id);
      }
    },
    destroy() {
      offLive();
      document.removeEventListener('keydown', onKey);
      if (drawer) drawer.destroy();
    },
  };
}

registerPage({ id: 'incidents', title: 'Incidents', order: 10, create: createWorkspace });
