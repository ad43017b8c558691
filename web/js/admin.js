// Administration (admins only): API tokens (create, shown once; revoke; last
// use) and the audit log (filters, paging, chain verification).
// Routes: #/admin (tokens) and #/admin/audit?actor=&action=&subject=&since=&until=.

import { h, mount, timeEl, spinner, emptyState, errorState, toast } from './dom.js';
import * as api from './api.js';
import { registerPage } from './registry.js';

const ROLES = ['viewer', 'operator', 'admin', 'ingest'];

function createAdminPage(ctx) {
  const { navigate } = ctx;
  const tabs = h('nav.subnav', { 'aria-label': 'Administration views' },
    h('a', { href: '#/admin', dataset: { view: 'tokens' } }, 'Tokens'),
    h('a', { href: '#/admin/audit', dataset: { view: 'audit' } }, 'Audit log'));
  const body = h('div.admin-body');
  const el = h('div.admin-page', h('div.page-head', h('h1', 'Administration')), tabs, body);
  let seq = 0;
  let created = null; // the token just created: shown once, until the page is left

  // ---- tokens
  async function tokensView() {
    const box = h('div.tokens', spinner('Loading tokens…'));
    let items;
    try {
      items = (await api.get('/tokens')).items || [];
    } catch (e) {
      return mount(box, errorState(e, () => route({ parts: ['admin'] })));
    }
    const name = h('input#token-name', { name: 'name', required: true, maxlength: 63, placeholder: 'ci-deployer', 'aria-label': 'Token name' });
    const role = h('select#token-role', { name: 'role', 'aria-label': 'Role' }, ROLES.map((r) => h('option', { value: r }, r)));
    const expires = h('input#token-expires', { type: 'datetime-local', name: 'expires', 'aria-label': 'Expires (optional)' });
    const shown = h('div.token-once', { role: 'status' }, created ? h('div.problem-box.ok',
      h('p', h('strong', `Token ${created.name} (${created.role}) created.`), ' Copy it now: it is shown only once.'),
      h('code#new-token.token-value', created.token)) : null);
    const form = h('form.filters.token-form', {
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { name: name.value.trim(), role: role.value };
        if (expires.value) body.expires_at = new Date(expires.value).toISOString();
        try {
          created = await api.post('/tokens', body);
          refresh();
        } catch (err) {
          toast(err.details?.length ? `${err.details[0].path} ${err.details[0].reason}` : err.message, 'error');
        }
      },
    },
    h('label.filter', 'Name', name), h('label.filter', 'Role', role),
    h('label.filter', 'Expires (optional)', expires),
    h('button.btn.primary#token-create', { type: 'submit' }, 'Create token'));
    const table = items.length ? h('div.table-wrap.rounded', h('table.grid.tokens',
      h('thead', h('tr', ['Name', 'Role', 'State', 'Created', 'Expires', 'Last used', '']
        .map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', items.map((t) => h('tr', { dataset: { token: t.name, state: t.state } },
        h('td', h('code', t.name)), h('td', t.role), h('td', h('span', { class: 'pill small state-' + t.state }, t.state)),
        h('td', timeEl(t.created_at)), h('td', t.expires_at ? timeEl(t.expires_at) : 'never'),
        h('td', t.last_used_at ? timeEl(t.last_used_at) : 'never'),
        h('td.row-actions', t.state === 'active' ? h('button.btn.small.danger', {
          type: 'button',
          onclick: () => revoke(t.name),
        }, 'Revoke') : null))))))
      : emptyState('No tokens yet', 'Create one for each person, script or sender (an ingest token for Alertmanager, say).');
    const refresh = () => route({ parts: ['admin'] });
    async function revoke(n) {
      if (!confirm(`Revoke the token ${n}? Requests with it are refused from now on.`)) return;
      try {
        await api.post(`/tokens/${encodeURIComponent(n)}/revoke`, {});
        toast(`Token ${n} revoked.`, 'ok');
        refresh();
      } catch (err) {
        toast(err.message, 'error');
      }
    }
    return mount(box, form, shown, table);
  }

  // ---- audit log
  const FILTERS = [['actor', 'Actor', 'alice'], ['action', 'Action', 'policy.updated'], ['subject', 'Subject starts with', 'incident/']];
  function auditView(params) {
    const box = h('div.audit');
    const inputs = {};
    const form = h('form.filters.audit-filters', {
      onsubmit: (e) => {
        e.preventDefault();
        const p = new URLSearchParams();
        for (const [k, el2] of Object.entries(inputs))
          if (el2.value) p.set(k, el2.type === 'datetime-local' ? new Date(el2.value).toISOString() : el2.value.trim());
        navigate('/admin/audit', p, true);
      },
    },
    FILTERS.map(([k, label, ph]) => h('label.filter', label,
      inputs[k] = h('input', { name: k, placeholder: ph, value: params.get(k) || '' }))),
    ['since', 'until'].map((k) => h('label.filter', k === 'since' ? 'Since' : 'Until',
      inputs[k] = h('input', { type: 'datetime-local', name: k, value: params.get(k) ? toLocal(params.get(k)) : '' }))),
    h('button.btn.primary', { type: 'submit' }, 'Filter'),
    h('button.btn#audit-verify', { type: 'button', onclick: verify }, 'Verify chain'));
    const verdict = h('div.audit-verdict', { role: 'status' });
    const tbody = h('tbody');
    const more = h('button.btn#audit-more', { type: 'button', hidden: true }, 'Load more');
    let cursor = null;
    async function page() {
      const q = Object.fromEntries(params);
      if (cursor) q.cursor = cursor;
      more.disabled = true;
      try {
        const r = await api.get('/audit', q);
        for (const a of r.items || [])
          tbody.append(h('tr', { dataset: { seq: a.seq } },
            h('td.num', String(a.seq)), h('td.nowrap', timeEl(a.at)), h('td', a.actor), h('td', h('code', a.action)),
            h('td', h('code', a.subject)), h('td.detail', a.detail ? JSON.stringify(a.detail) : '')));
        cursor = r.next_cursor;
        more.hidden = !cursor;
        if (!tbody.childNodes.length) mount(table, emptyState('No records', 'Nothing matches these filters.'));
      } catch (e) {
        mount(table, errorState(e, page));
      } finally {
        more.disabled = false;
      }
    }
    async function verify() {
      try {
        const v = await api.get('/audit/verify');
        mount(verdict, h(v.intact ? 'p.ok' : 'p.field-error', v.intact
          ? `The chain is intact: ${v.checked} records verified.`
          : `The chain is BROKEN at record ${v.broken_seq}: ${v.reason} (${v.checked} records read).`));
      } catch (e) {
        toast(e.message, 'error');
      }
    }
    more.onclick = page;
    const table = h('div.table-wrap.rounded', h('table.grid.audit-log',
      h('thead', h('tr', ['#', 'At', 'Actor', 'Action', 'Subject', 'Detail'].map((t) => h('th', { scope: 'col' }, t)))),
      tbody));
    page();
    return mount(box, form, verdict, table, more);
  }

  function toLocal(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return '';
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  }

  async function route(r) {
    const view = r.parts[1] === 'audit' ? 'audit' : 'tokens';
    for (const a of tabs.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === view);
    const my = ++seq;
    const v = view === 'audit' ? auditView(r.params || new URLSearchParams()) : await tokensView();
    if (my === seq) mount(body, v);
  }

  return { el, route, destroy() { seq++; created = null; } };
}

registerPage({ id: 'admin', title: 'Admin', order: 90, minRole: 'admin', create: createAdminPage });
