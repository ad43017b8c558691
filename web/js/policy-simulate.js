// What-if replay on the policy page: before saving, replay the last day's
// findings under the draft and under the current policy and show, per
// incident, what the draft would decide differently (POST /policy/simulate;
// read-only, nothing is saved). Operators and admins.

import { h, mount, spinner, errorState, badge, fmtTime } from './dom.js';
import * as api from './api.js';

const DAY_MS = 24 * 3600 * 1000;

function decisionList(items) {
  if (!items.length) return h('span.muted', 'no decisions');
  return h('ul.sim-decisions', items.map((d) => h('li',
    badge('mode', d.mode), ' ', h('code', d.action), ' ', d.target || '',
    h('span.muted', ` ${d.reason_code} · ${fmtTime(new Date(d.at).toISOString())}`))));
}

// getDraft() -> the document being edited; onProblems(list) shows problems at
// their fields (paths relative to the document).
export function simulateControls(getDraft, onProblems) {
  const panel = h('div.simulation#policy-simulation', { 'aria-live': 'polite' });
  const button = h('button.btn#policy-simulate', { type: 'button', onclick: run }, 'Simulate last 24 h');

  async function run() {
    button.disabled = true;
    mount(panel, spinner('Replaying the last day…'));
    try {
      const r = await api.post('/policy/simulate', {
        policy: getDraft(),
        since: new Date(Date.now() - DAY_MS).toISOString(),
      });
      const differing = (r.incidents || []).filter((i) => i.differs);
      mount(panel, h('div.sim-result', { dataset: { differing: String(r.differing) } },
        h('strong', r.differing
          ? `${r.differing} of ${r.incidents.length} incident${r.incidents.length === 1 ? '' : 's'} would be decided differently`
          : `No difference over ${r.findings} finding${r.findings === 1 ? '' : 's'} of the last day`),
        r.truncated ? h('p.muted', 'The replay hit its bounds; the answer covers the first part of the range.') : null,
        differing.length ? h('div.table-wrap', h('table.grid.compact.sim',
          h('thead', h('tr', ['Incident', 'Current policy', 'This draft'].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', differing.map((i) => h('tr', { dataset: { key: i.correlation_key } },
            h('td', h('code', i.class), h('div.muted', i.correlation_key)),
            h('td', decisionList(i.current || [])),
            h('td', decisionList(i.candidate || []))))))) : null));
    } catch (e) {
      const ps = (e.details || e.problems || []).filter((p) => (p.path || '').startsWith('/policy'));
      if (ps.length) {
        onProblems(ps.map((p) => ({ path: p.path.slice('/policy'.length), code: p.code, reason: p.reason })));
        mount(panel, h('p.field-error', 'The draft is not a valid policy; fix the problems above to simulate it.'));
      } else {
        mount(panel, errorState(e, run));
      }
    } finally {
      button.disabled = false;
    }
  }
  return { button, panel };
}
