// Detector rules: the policy's `detector_rules` and `detector_learning_mode`.
// Built-in rules are read-only except `enabled`; operator rules can be added,
// edited and deleted. Every change is a new policy version (PUT with If-Match),
// so problems come back with paths like /detector_rules/3/pattern and land at
// that field of the rule editor.

import { h, mount, spinner, emptyState, errorState, toast, badge } from './dom.js';
import { registerPage, can } from './registry.js';
import { loadPolicy, savePolicy } from './policy-api.js';
import { renderValue, placeProblems } from './policy-form.js';
import { jsRegExp, markMatches } from './signals.js';

export const KNOWN_CLASSES = [
  'infrastructure.node_disk_pressure', 'infrastructure.node_cpu_saturation',
  'infrastructure.node_memory_saturation', 'runtime_services.runtime_dependency_outage',
  'release_configuration.registry_auth_or_mirror_failure', 'identity_security.identity_provider_unreachable',
  'identity_security.tls_certificate_expiry', 'application_services.application_service_degraded',
  'application_services.pod_restart_pressure', 'application_services.pod_eviction_pressure',
  'application_services.http_5xx_burst', 'application_services.panic_detected',
  'application_services.oom_killed', 'async_workloads.queue_backlog',
  'async_workloads.notification_delivery_failure',
];
const LEARNING = {
  disabled: 'Rules change only when an operator edits them.',
  suggest: 'Repeated unknown log signatures are proposed as rules for an operator to accept.',
  training_auto_create: 'Repeated unknown log signatures become operator rules automatically (for training environments).',
};
// Each kind has its own field (docs/policy.md); the others must be absent.
const KIND_FIELD = { log_signature: 'pattern', metric_threshold: 'expression', probe: 'probe' };
const KIND_FIELDS = Object.values(KIND_FIELD);
const DEFAULT_RULE = {
  id: '', builtin: false, enabled: true, kind: 'log_signature', pattern: '',
  class: 'application_services.application_service_degraded', severity: 'warning',
  key_template: '{source}:{rule}', window_seconds: 300, threshold: 1,
};

function createRulesPage(ctx) {
  const { who } = ctx;
  const admin = can(who, 'admin');
  let policy = null;
  let editing = null; // {index, rule, isNew}
  let busy = false;

  const body = h('div.rules-body');
  const el = h('div.rules-page',
    h('div.page-head', h('h1', 'Detector rules'),
      h('p.hint', 'Log signatures, metric thresholds and probes that turn signals into findings. Stored in the policy; every change is a new version.')),
    body);

  const rulesOf = () => (policy && Array.isArray(policy.document.detector_rules) ? policy.document.detector_rules : []);

  async function commit(mutate, what) {
    if (busy) return null;
    busy = true;
    const doc = structuredClone(policy.document);
    mutate(doc);
    try {
      policy = await savePolicy(doc, policy.etag);
      toast(`${what} Saved as policy version ${policy.version}.`, 'ok');
      return { ok: true };
    } catch (e) {
      if (e.status === 412) {
        toast(e.message, 'error');
        await reload();
      } else if (!(e.problems && e.problems.length)) toast(e.message, 'error');
      return { ok: false, error: e };
    } finally {
      busy = false;
    }
  }

  async function reload() {
    mount(body, spinner('Loading rules…'));
    try {
      policy = await loadPolicy();
    } catch (e) {
      mount(body, errorState(e, reload));
      return;
    }
    render();
  }

  function learningBox() {
    const mode = policy.document.detector_learning_mode;
    const sel = h('select#learning-mode', { disabled: !admin || mode === undefined,
      onchange: async (e) => {
        const v = e.target.value;
        const r = await commit((d) => { d.detector_learning_mode = v; }, `Learning mode set to ${v}.`);
        if (r && !r.ok) e.target.value = mode;
        render();
      } },
    Object.keys(LEARNING).map((m) => h('option', { value: m, selected: m === mode }, m)));
    return h('section.card.learning',
      h('h2', 'Learning mode'),
      h('div.learning-row', h('label', { for: 'learning-mode' }, 'Mode'), sel,
        h('p.help', LEARNING[mode] || 'Not set in this policy.')));
  }

  function ruleRow(r, i) {
    const builtin = !!r.builtin || String(r.id || '').startsWith('builtin.');
    const pattern = r.pattern ?? r.expression ?? r.target ?? '';
    return h('tr', { dataset: { rule: r.id }, class: r.enabled === false ? 'disabled' : '' },
      h('td', h('code', r.id)),
      h('td', r.kind || '—'),
      h('td.pattern', h('code.wrap', pattern)),
      h('td', h('span.cls', r.class)),
      h('td', badge('sev', r.severity)),
      h('td.num', r.threshold !== undefined ? `${r.threshold} / ${r.window_seconds ?? '?'}s` : '—'),
      h('td', h('label.switch', h('input', {
        type: 'checkbox', checked: r.enabled !== false, disabled: !admin, 'aria-label': `Enable ${r.id}`,
        onchange: async (e) => {
          const on = e.target.checked;
          const res = await commit((d) => { d.detector_rules[i].enabled = on; }, `${r.id} ${on ? 'enabled' : 'disabled'}.`);
          if (res && !res.ok) {
            e.target.checked = !on;
            const p = res.error.problems && res.error.problems[0];
            if (p) toast(`${p.path}: ${p.reason}`, 'error');
          }
          render();
        },
      }), h('span', r.enabled !== false ? 'on' : 'off'))),
      h('td.row-actions',
        h('button.btn.small.ghost', { type: 'button', onclick: () => openEditor(i, false) }, builtin || !admin ? 'View / test' : 'Edit'),
        admin && !builtin ? h('button.btn.small.ghost.danger', { type: 'button', onclick: () => remove(i) }, 'Delete') : null));
  }

  function table(rows, empty) {
    if (!rows.length) return empty;
    return h('div.table-wrap', h('table.grid.rules',
      h('thead', h('tr', ['Id', 'Kind', 'Pattern / expression', 'Class', 'Severity', 'Threshold', 'Enabled', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', rows.map(([r, i]) => ruleRow(r, i)))));
  }

  async function remove(i) {
    const r = rulesOf()[i];
    if (!confirm(`Delete rule ${r.id}?`)) return;
    await commit((d) => { d.detector_rules.splice(i, 1); }, `Rule ${r.id} deleted.`);
    editing = null;
    render();
  }

  function openEditor(index, isNew) {
    const rules = rulesOf();
    let rule;
    if (isNew) {
      // Start from the shape of an existing rule so the form follows the server's schema.
      const template = rules.find((r) => !r.builtin) || rules[0];
      rule = structuredClone(DEFAULT_RULE);
      if (template)
        for (const k of Object.keys(template))
          if (!(k in rule) && !KIND_FIELDS.includes(k))
            rule[k] = typeof template[k] === 'number' ? 0 : typeof template[k] === 'boolean' ? false : '';
      rule.builtin = false;
      index = rules.length;
    } else rule = structuredClone(rules[index]);
    editing = { index, rule, isNew, problems: [] };
    render();
    document.querySelector('.rule-editor input:not([disabled])')?.focus();
  }

  function editor() {
    const { rule, index, isNew } = editing;
    const builtin = !!rule.builtin || String(rule.id || '').startsWith('builtin.');
    const readOnly = !admin || builtin;
    const fields = h('div.group-fields', Object.keys(rule).filter((k) => k !== 'builtin').map((k) =>
      renderValue(k, rule[k], ['detector_rules', index, k], {
        readOnly: readOnly || (!isNew && k === 'id'),
        onChange: (parts, v) => {
          rule[parts[2]] = v;
          if (parts[2] === 'kind' && KIND_FIELD[v]) {
            // Swap the kind-specific field, keeping the order of the form.
            const next = {};
            for (const [k, x] of Object.entries(rule)) {
              if (KIND_FIELDS.includes(k)) continue;
              next[k] = x;
              if (k === 'kind') next[KIND_FIELD[v]] = '';
            }
            editing.rule = next;
            render();
            return;
          }
          if (parts[2] === 'pattern') runTest();
        },
        onStructure: () => {},
      })));
    const classInput = fields.querySelector('[data-path="/detector_rules/' + index + '/class"] input');
    if (classInput) classInput.setAttribute('list', 'rule-classes');
    const err = h('div.problems');
    const line = h('textarea#rule-test-line', { rows: 3, placeholder: 'Paste a log line to test the pattern…', oninput: () => runTest() });
    const result = h('div.test-result', { role: 'status' });
    function runTest() {
      const pat = rule.pattern ?? '';
      if (!line.value) return mount(result, h('span.muted', 'Paste a line to see what the pattern matches.'));
      const re = jsRegExp(pat);
      if (!re) return mount(result, h('span.bad', 'The pattern does not compile as a JavaScript regular expression.'));
      const parts = markMatches(line.value, re);
      const n = parts.filter((p) => p instanceof Node).length;
      mount(result, h('div', { class: n ? 'good' : 'bad' }, n ? `Matches (${n}×)` : 'No match'),
        h('pre.log', h('span.logline' + (n ? '.hit' : ''), parts)));
    }
    runTest();
    const form = h('form.rule-editor.card', {
      'aria-label': isNew ? 'New operator rule' : `Rule ${rule.id}`,
      onsubmit: async (e) => {
        e.preventDefault();
        if (readOnly) return;
        const res = await commit((d) => {
          if (!Array.isArray(d.detector_rules)) d.detector_rules = [];
          if (isNew) d.detector_rules.push(rule);
          else d.detector_rules[index] = rule;
        }, isNew ? `Rule ${rule.id} added.` : `Rule ${rule.id} updated.`);
        if (res && res.ok) {
          editing = null;
          render();
        } else if (res && res.error && res.error.problems) {
          const un = placeProblems(form, res.error.problems);
          mount(err, un.length ? h('div.problem-box', h('strong', 'Not saved:'),
            h('ul', un.map((p) => h('li', h('code', p.path), ' ', p.reason)))) : null);
        }
      },
    },
    h('h2', isNew ? 'New operator rule' : builtin ? `Built-in rule ${rule.id}` : `Edit ${rule.id}`),
    builtin ? h('p.help', 'Built-in rules ship with srebot and cannot be changed here, only enabled or disabled.') : null,
    fields,
    h('datalist#rule-classes', KNOWN_CLASSES.map((c) => h('option', { value: c }))),
    rule.kind !== 'log_signature' ? null : h('section.tester', h('h3', 'Test the pattern'),
      h('p.help', 'Approximate: this runs in your browser with JavaScript regular expressions. The server compiles patterns with vectorscan, whose syntax is PCRE-like; most patterns behave the same.'),
      line, result),
    err,
    h('div.actionbar',
      readOnly ? null : h('button.btn.primary#rule-save', { type: 'submit' }, isNew ? 'Add rule' : 'Save rule'),
      h('button.btn.ghost', { type: 'button', onclick: () => { editing = null; render(); } }, readOnly ? 'Close' : 'Cancel')));
    return form;
  }

  function render() {
    if (!policy)
      return mount(body, emptyState('No policy yet', 'Detector rules live in the policy. Save a policy first (Policy page, CLI, or seeded defaults).'));
    const rules = rulesOf().map((r, i) => [r, i]);
    const builtins = rules.filter(([r]) => r.builtin || String(r.id || '').startsWith('builtin.'));
    const ops = rules.filter(([r]) => !(r.builtin || String(r.id || '').startsWith('builtin.')));
    mount(body,
      learningBox(),
      editing ? editor() : null,
      h('section.rules-section',
        h('div.section-head', h('h2', 'Operator rules'),
          admin && !editing ? h('button.btn.primary#rule-add', { type: 'button', onclick: () => openEditor(-1, true) }, '+ Add rule') : null),
        table(ops, emptyState('No operator rules', admin ? 'Add a rule to detect a log signature specific to your services.' : 'Admins can add rules for signatures specific to your services.'))),
      h('section.rules-section',
        h('div.section-head', h('h2', 'Built-in rules'), h('span.muted', 'read-only, except enabled')),
        table(builtins, emptyState('No built-in rules in this policy', ''))));
  }

  return {
    el,
    route() {
      if (!policy) reload();
    },
    destroy() {},
  };
}

registerPage({ id: 'rules', title: 'Detector rules', order: 30, create: createRulesPage });
