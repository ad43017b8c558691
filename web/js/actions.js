// Remediation in the console: the incident drawer's Actions tab (decisions
// with their reasons, denials included; attempts with their states; approve /
// reject where the signed-in role allows) and the Approvals inbox page with a
// live count in the navigation. Both follow the event stream (sre.action.*).
// API: docs/api.md#remediation.

import { h, mount, timeEl, badge, spinner, emptyState, errorState, toast, throttle } from './dom.js';
import * as api from './api.js';
import { registerPage, registerIncidentTab, can } from './registry.js';

const decide = (id, verb, reason) => api.request('POST', `/approvals/${id}/${verb}`, {
  body: reason ? { reason } : {},
  headers: { 'X-Srebot-Channel': 'console' },
}).then((r) => r.data);

// Approve / reject controls for one pending request. A rejection asks for its
// reason inline (the server requires one).
function decisionControls(req, onDone) {
  const box = h('div.approval-controls', { dataset: { approval: req.id } });
  const run = async (verb, reason) => {
    for (const b of box.querySelectorAll('button')) b.disabled = true;
    try {
      const r = await decide(req.id, verb, reason);
      toast(r.state === 'pending'
        ? `Vote recorded: ${r.votes.length} of ${r.approvers_required} approvers`
        : `Request #${req.id} ${r.state}`, 'success');
      onDone();
    } catch (e) {
      toast(e.message, 'error');
      for (const b of box.querySelectorAll('button')) b.disabled = false;
    }
  };
  const showReject = () => {
    const input = h('input.reject-reason', { type: 'text', maxlength: 512, placeholder: 'Why not? (required)', 'aria-label': 'Reason for rejecting' });
    const send = h('button.btn.danger', { type: 'submit' }, 'Reject');
    mount(box, h('form.reject-form', {
      onsubmit: (e) => {
        e.preventDefault();
        if (!input.value.trim()) return input.focus();
        run('reject', input.value.trim());
      },
    }, input, send, h('button.btn.ghost', { type: 'button', onclick: () => mount(box, ...buttons()) }, 'Cancel')));
    input.focus();
  };
  const buttons = () => [
    h('button.btn.primary.approve', { type: 'button', onclick: () => run('approve') }, 'Approve'),
    h('button.btn.danger.reject', { type: 'button', onclick: showReject }, 'Reject…'),
  ];
  mount(box, ...buttons());
  return box;
}

function votesLine(req) {
  const v = req.votes || [];
  return h('span.votes', `${v.filter((x) => x.decision === 'approve').length}/${req.approvers_required}`,
    v.length ? h('span.muted', ' (' + v.map((x) => `${x.decision} by ${x.by}`).join(', ') + ')') : null);
}

function resultLine(a) {
  const r = a.result;
  if (!r || typeof r !== 'object') return null;
  return h('div.result', { class: r.outcome === 'ok' ? 'ok' : 'bad' }, r.changed || r.error || r.outcome);
}

// ---- the drawer tab

function actionsTab(inc, ctx) {
  const box = h('div.actions-tab', spinner('Loading actions…'));
  const operator = can(ctx.who, 'operator');
  Promise.all([
    api.get(`/incidents/${inc.id}/decisions`),
    api.get(`/incidents/${inc.id}/attempts`, { limit: 100 }),
    operator ? api.get('/approvals', { incident: inc.id, state: 'pending' }) : Promise.resolve({ items: [] }),
  ]).then(([ds, as, ps]) => {
    const pending = new Map((ps.items || []).map((p) => [p.attempt_id, p]));
    const decisions = ds.items || [];
    const attempts = as.items || [];
    mount(box,
      h('h3', 'Attempts'),
      attempts.length ? h('div.table-wrap', h('table.grid.compact.attempts',
        h('thead', h('tr', ['#', 'Action', 'Target', 'Mode', 'State', 'Result', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', attempts.map((a) => h('tr', { dataset: { attempt: a.id, state: a.state } },
          h('td.num', String(a.id)),
          h('td', h('code', a.action)),
          h('td', a.target),
          h('td', badge('mode', a.mode)),
          h('td', badge('attempt', a.state), a.verification ? h('span.muted', ' verify: ' + a.verification) : null),
          h('td', resultLine(a), a.dry_run ? h('span.muted', 'dry run') : null),
          h('td', pending.has(a.id) ? decisionControls(pending.get(a.id), ctx.refresh) : null))))))
        : emptyState('No attempts', 'Nothing was proposed for this incident yet.'),
      h('h3', 'Decisions', h('span.muted', ` (${decisions.length})`)),
      decisions.length ? h('ol.decisions', decisions.map((d) => h('li.decision', { dataset: { mode: d.mode } },
        h('div.tl-head', badge('mode', d.mode), h('code', d.action), h('span', d.target || ''),
          h('span.reason-code', d.reason_code), timeEl(d.at)),
        h('div.tl-reason', d.reason))))
        : emptyState('No decisions', 'The evaluator decides when a finding folds into this incident.'));
  }).catch((e) => mount(box, errorState(e)));
  return box;
}

registerIncidentTab({ id: 'actions', title: 'Actions', order: 25, render: actionsTab });

// ---- the approvals inbox

function createApprovalsPage({ onLive, navigate }) {
  let state = 'pending';
  let alive = true;
  const body = h('div.approvals-body', spinner('Loading approvals…'));
  const filter = h('div.subnav', ['pending', 'approved', 'rejected', 'expired', 'all'].map((s) =>
    h('a', { href: '#/approvals?state=' + s, dataset: { state: s } }, s[0].toUpperCase() + s.slice(1))));
  const el = h('div.approvals-page',
    h('div.page-head', h('h1', 'Approvals'),
      h('p.hint', 'Actions that wait for an operator. An expired request never runs.')),
    filter, body);

  async function load() {
    let items;
    try {
      items = (await api.get('/approvals', { state: state === 'all' ? '' : state, limit: 100 })).items || [];
    } catch (e) {
      if (alive) mount(body, errorState(e, load));
      return;
    }
    if (!alive) return;
    if (!items.length) {
      mount(body, emptyState(state === 'pending' ? 'Nothing waits for you' : 'No requests',
        state === 'pending' ? 'Approval requests appear here as soon as a decision needs one.' : ''));
      return;
    }
    mount(body, h('div.table-wrap.rounded', h('table.grid.approvals',
      h('thead', h('tr', ['#', 'Incident', 'Action', 'Target', 'State', 'Approvers', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', items.map((r) => h('tr', { dataset: { approval: r.id, state: r.state } },
        h('td.num', String(r.id)),
        h('td', h('a', { href: `#/incidents/${r.incident_id}` }, '#' + r.incident_id)),
        h('td', h('code', r.attempt?.action || '')),
        h('td', r.attempt?.target || ''),
        h('td', badge('approval', r.state)),
        h('td', votesLine(r)),
        h('td', timeEl(r.expires_at)),
        h('td', r.state === 'pending' ? decisionControls(r, load) : null)))))));
  }

  const live = throttle(load, 1000);
  const offLive = onLive((type) => { if (/^sre\.action\./.test(type || '')) live(); });
  return {
    el,
    route(route) {
      state = route.params.get('state') || 'pending';
      for (const a of filter.querySelectorAll('a')) a.classList.toggle('active', a.dataset.state === state);
      load();
    },
    destroy() {
      alive = false;
      offLive();
    },
  };
}

// The live count of pending requests, in the navigation link.
function pendingCount({ onLive }) {
  const el = h('span.nav-count', { 'aria-label': 'pending approvals', hidden: true });
  const load = async () => {
    try {
      const { pending } = await api.get('/approvals/count');
      el.textContent = String(pending);
      el.hidden = !pending;
    } catch {
      el.hidden = true;
    }
  };
  load();
  const live = throttle(load, 1000);
  onLive((type) => { if (/^sre\.action\./.test(type || '') || type === 'sre.incident.resync') live(); });
  return el;
}

registerPage({ id: 'approvals', title: 'Approvals', order: 15, minRole: 'operator', create: createApprovalsPage, navBadge: pendingCount });
