// Operator channels: each channel of the policy with its provider, health and
// last delivery (GET /api/v1/channels), and a "Send test message" button per
// channel for operators (POST /api/v1/channels/{id}/test). Refreshes every
// 10 s while shown, and a few seconds after a test so its delivery shows.

import { h, mount, timeEl, spinner, emptyState, errorState, badge, toast } from './dom.js';
import * as api from './api.js';
import { registerPage, can } from './registry.js';

function createChannelsPage(ctx) {
  const body = h('div.channels-body', spinner('Loading channels…'));
  const el = h('div.channels-page',
    h('div.page-head', h('h1', 'Channels'),
      h('p.hint', 'Where operators hear about incidents: health and last delivery per channel. Routing and settings are in the policy.')),
    body);
  const operator = can(ctx.who, 'operator');
  let timer = null;
  let alive = true;

  async function sendTest(id, btn) {
    btn.disabled = true;
    try {
      const r = await api.post('/channels/' + encodeURIComponent(id) + '/test', {});
      toast(`Test message ${r.notification_id} queued for ${id}`, 'success');
      setTimeout(() => alive && load(), 2500);
    } catch (e) {
      toast(`Test for ${id} failed: ${e.message}`, 'error');
    } finally {
      btn.disabled = false;
    }
  }

  function row(c) {
    const test = h('button.btn.small.test-send', { type: 'button', title: `Send a test message through ${c.id}` },
      'Send test message');
    test.onclick = () => sendTest(c.id, test);
    return h('tr', { dataset: { channel: c.id } },
      h('td', h('code', c.id)),
      h('td', c.provider, c.two_way ? h('span.hint', ' · two-way') : null),
      h('td', badge('chan', c.health)),
      h('td', timeEl(c.last_delivery_at)),
      h('td.num', String(c.sent ?? 0)),
      h('td.num', String(c.failed ?? 0)),
      h('td.num', String(c.pending ?? 0)),
      h('td.err', c.last_error || ''),
      operator ? h('td', c.enabled && c.in_build ? test : null) : null);
  }

  async function load() {
    let items;
    try {
      items = (await api.get('/channels')).items || [];
    } catch (e) {
      if (alive) mount(body, errorState(e, load));
      return;
    }
    if (!alive) return;
    if (!items.length) {
      mount(body, emptyState('No channels', 'Channels come from the policy; in-app is always there.'));
      return;
    }
    const heads = ['Channel', 'Provider', 'Health', 'Last delivery', 'Sent', 'Failed', 'Pending', 'Last error'];
    if (operator) heads.push('');
    mount(body, h('div.table-wrap.rounded', h('table.grid.channels',
      h('thead', h('tr', heads.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', items.map(row)))));
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

registerPage({ id: 'channels', title: 'Channels', order: 45, create: createChannelsPage });
