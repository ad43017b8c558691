// The incident drawer: a side panel over the workspace with tabs from the
// registry (Summary, Signals, Timeline here; Actions and AI workspace come from
// later modules through registerIncidentTab).

import { h, mount, timeEl, fmtTime, badge, spinner, errorState, emptyState, toast, humanize } from './dom.js';
import * as api from './api.js';
import { incidentTabs, registerIncidentTab, can } from './registry.js';
import { renderEvidence, snapshotTrends } from './signals.js';

export function openDrawer(id, { who, onClose, onChanged }) {
  let incident = null;
  let tab = incidentTabs[0]?.id || 'summary';
  let alive = true;
  const titleEl = h('h2#drawer-title', 'Incident #' + id);
  const metaEl = h('div.drawer-meta');
  const tabsEl = h('div.tabs', { role: 'tablist', 'aria-label': 'Incident sections' });
  const panel = h('div.tab-panel', { role: 'tabpanel', tabindex: '0' });
  const closeBtn = h('button.btn.ghost.close', { type: 'button', 'aria-label': 'Close (Esc)', title: 'Close (Esc)', onclick: onClose }, '✕');
  const el = h('aside.drawer', { role: 'dialog', 'aria-labelledby': 'drawer-title', dataset: { incident: id } },
    h('div.drawer-head', h('div', titleEl, metaEl), closeBtn),
    tabsEl, panel);

  const ctx = {
    who,
    api,
    refresh: () => load(),
    changed: () => { load(); onChanged(); },
  };

  function visibleTabs() {
    return incidentTabs.filter((t) => can(who, t.minRole || 'viewer'));
  }

  function renderTabs() {
    const tabs = visibleTabs();
    mount(tabsEl, tabs.map((t, i) => h('button', {
      type: 'button', role: 'tab', id: 'tab-' + t.id, dataset: { tab: t.id },
      'aria-selected': t.id === tab ? 'true' : 'false', tabindex: t.id === tab ? '0' : '-1',
      onclick: () => selectTab(t.id),
      onkeydown: (e) => {
        const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
        if (!d) return;
        e.preventDefault();
        const next = tabs[(i + d + tabs.length) % tabs.length];
        selectTab(next.id);
        tabsEl.querySelector(`[data-tab="${next.id}"]`)?.focus();
      },
    }, t.title)));
  }

  function selectTab(t) {
    tab = t;
    renderTabs();
    renderPanel();
  }

  function renderPanel() {
    const def = visibleTabs().find((t) => t.id === tab);
    if (!def || !incident) return;
    panel.setAttribute('aria-labelledby', 'tab-' + def.id);
    let content;
    try {
      content = def.render(incident, ctx);
    } catch (e) {
      content = errorState(e);
    }
    mount(panel, content);
  }

  // A live update must not wipe what the operator is typing (a transition
  // reason): then only the header changes and the tab offers a reload.
  function busyTyping() {
    const a = document.activeElement;
    if (a && panel.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    return [...panel.querySelectorAll('textarea, input[type=text]')].some((x) => x.value.trim() !== '');
  }

  async function load(opts = {}) {
    if (!incident) mount(panel, spinner('Loading incident…'));
    try {
      const inc = await api.get('/incidents/' + id);
      if (!alive) return;
      incident = inc;
      mount(titleEl, h('span.muted', '#' + id + ' '), inc.summary || inc.class);
      mount(metaEl, badge('sev', inc.severity), badge('state', inc.state), h('span.cls', inc.class));
      if (opts.live && busyTyping()) {
        if (!metaEl.querySelector('.stale'))
          metaEl.appendChild(h('button.btn.link.stale', { type: 'button', onclick: () => load() }, 'Updated · reload tab'));
        return;
      }
      renderTabs();
      renderPanel();
    } catch (e) {
      if (!alive) return;
      mount(panel, e.status === 404
        ? emptyState('No such incident', `Incident #${id} does not exist.`)
        : errorState(e, load));
    }
  }

  load();
  setTimeout(() => closeBtn.focus(), 0);
  return {
    el,
    refresh: () => load({ live: true }),
    destroy() {
      alive = false;
    },
  };
}

// ---- Summary

function summaryTab(inc, ctx) {
  const row = (k, v) => [h('dt', k), h('dd', v)];
  const facts = h('dl.facts',
    row('State', badge('state', inc.state)),
    row('Severity', badge('sev', inc.severity)),
    row('Class', h('code', inc.class)),
    row('Domain', inc.domain || (inc.class || '').split('.')[0]),
    row('Correlation key', h('code.wrap', inc.correlation_key)),
    row('Source', inc.source || '—'),
    row('Findings', String(inc.finding_count ?? 0)),
    row('Evidence', String((inc.evidence || []).length)),
    row('First seen', h('span', fmtTime(inc.first_seen), ' (', timeEl(inc.first_seen), ')')),
    row('Last seen', h('span', fmtTime(inc.last_seen), ' (', timeEl(inc.last_seen), ')')),
    row('Updated', fmtTime(inc.updated_at)),
    inc.suppressed_until ? row('Suppressed until', fmtTime(inc.suppressed_until)) : null);
  return h('div.summary-tab', facts, transitions(inc, ctx));
}

function transitions(inc, ctx) {
  const allowed = inc.allowed_transitions || [];
  if (!can(ctx.who, 'operator'))
    return h('section.transitions', h('h3', 'Transitions'),
      h('p.muted', 'Your role (' + ctx.who.role + ') can view incidents; changing their state needs operator.'));
  if (!allowed.length)
    return h('section.transitions', h('h3', 'Transitions'), h('p.muted', 'No transition is allowed from ' + inc.state + '.'));
  let chosen = null;
  const reason = h('textarea#transition-reason', { rows: 2, maxlength: 1000, placeholder: 'Why? (kept in the timeline)' });
  const until = h('input#suppress-until', { type: 'datetime-local' });
  const untilRow = h('label.field', { hidden: true }, h('span', 'Suppress until'), until);
  const err = h('p.field-error', { role: 'alert' });
  const confirm = h('button.btn.primary#transition-confirm', { type: 'submit', disabled: true }, 'Apply');
  const buttons = allowed.map((to) => h('button', {
    type: 'button', class: 'btn transition state-btn-' + to, dataset: { to }, 'aria-pressed': 'false',
    onclick: () => {
      chosen = to;
      for (const b of buttons) b.setAttribute('aria-pressed', b.dataset.to === to ? 'true' : 'false');
      untilRow.hidden = to !== 'suppressed';
      until.setAttribute('aria-required', String(to === 'suppressed')); // a suppression always ends
      confirm.disabled = false;
      confirm.textContent = 'Move to ' + to;
      reason.focus();
    },
  }, humanize(to)));
  const form = h('form.transition-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      if (!chosen) return;
      if (chosen === 'suppressed' && !(until.value && new Date(until.value) > new Date())) {
        err.textContent = 'Choose when the suppression ends (a time in the future).';
        until.focus();
        return;
      }
      const body = { to: chosen, reason: reason.value.trim() };
      if (chosen === 'suppressed' && until.value) body.suppress_until = new Date(until.value).toISOString();
      confirm.disabled = true;
      err.textContent = '';
      try {
        await api.post(`/incidents/${inc.id}/transitions`, body);
        toast(`Incident #${inc.id} moved to ${chosen}.`, 'ok');
        ctx.changed();
      } catch (e2) {
        const d = e2.details.map((x) => x.reason).filter(Boolean).join('; ');
        err.textContent = e2.message + (d ? ' — ' + d : '');
        confirm.disabled = false;
      }
    },
  },
  h('div.btn-row', buttons),
  h('label.field', h('span', 'Reason'), reason),
  untilRow, err, confirm);
  return h('section.transitions', h('h3', 'Transitions'), form);
}

// ---- Signals

function signalsTab(inc) {
  const ev = inc.evidence || [];
  const fs = inc.findings || [];
  return h('div.signals-tab',
    snapshotTrends(ev),
    h('h3', 'Evidence'),
    ev.length ? h('div.evidence-list', ev.map(renderEvidence))
      : emptyState('No evidence yet', 'Sources attach probe results, log excerpts and metric snapshots as they fire.'),
    h('h3', 'Findings', h('span.muted', ` (last ${fs.length})`)),
    fs.length ? h('div.table-wrap', h('table.grid.compact',
      h('thead', h('tr', ['Observed', 'Status', 'Severity', 'Source', 'Summary'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', fs.map((f) => h('tr',
        h('td', timeEl(f.observed_at)),
        h('td', badge('status', f.status)),
        h('td', badge('sev', f.severity)),
        h('td', f.source),
        h('td', f.summary, attrs(f.attributes))))))) : emptyState('No findings', ''));
}

function attrs(a) {
  const e = Object.entries(a || {});
  if (!e.length) return null;
  // generator_url (Alertmanager's generatorURL): a link back to the graph, for http(s) only.
  const value = (k, v) => k === 'generator_url' && /^https?:\/\//.test(String(v))
    ? h('a.v', { href: String(v), target: '_blank', rel: 'noopener noreferrer' }, 'source graph')
    : h('span.v', String(v));
  return h('div.attrs', e.map(([k, v]) => h('span.attr', h('span.k', k), '=', value(k, v))));
}

// ---- Timeline

function timelineTab(inc) {
  const box = h('div.timeline-tab', spinner('Loading timeline…'));
  api.get(`/incidents/${inc.id}/timeline`).then((t) => {
    const items = t.items || [];
    if (!items.length) return mount(box, emptyState('No timeline entries', ''));
    mount(box, h('ol.timeline', items.map((it) => h('li', { class: 'tl tl-' + it.kind },
      h('div.tl-head',
        h('span.tl-kind', humanize(it.kind || 'entry')),
        h('span.tl-actor', it.actor || 'system'),
        h('time', { datetime: it.at, title: it.at }, fmtTime(it.at))),
      it.reason ? h('div.tl-reason', it.reason) : null,
      dataLine(it.data)))));
  }).catch((e) => mount(box, errorState(e)));
  return box;
}

function dataLine(d) {
  if (!d || typeof d !== 'object' || !Object.keys(d).length) return null;
  const parts = Object.entries(d).filter(([, v]) => v !== null && typeof v !== 'object')
    .map(([k, v]) => h('span.attr', h('span.k', k), '=', h('span.v', String(v))));
  return parts.length ? h('div.attrs', parts) : h('pre.json.small', JSON.stringify(d, null, 2));
}

registerIncidentTab({ id: 'summary', title: 'Summary', order: 10, render: summaryTab });
registerIncidentTab({ id: 'signals', title: 'Signals', order: 20, render: signalsTab });
registerIncidentTab({ id: 'timeline', title: 'Timeline', order: 30, render: timelineTab });
