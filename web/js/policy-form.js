// The policy form: built from the document itself, so it follows the
// server's schema instead of a copy of it. Each input knows its JSON Pointer
// (data-path), which is how server problems find the field they belong to.
//
// Scalars become inputs (bool: checkbox, number: numeric text that keeps what
// was typed when it is not a number, so the server can say why), lists of
// strings become one-per-line text areas, lists of flat objects become small
// editable tables, secret references are shown but never editable here.

import { h, humanize } from './dom.js';
import { pointer } from './policy-api.js';
import { meta } from './api.js';

// Choices for well-known enumerations, by key name.
const ENUMS = {
  environment: ['demo', 'staging', 'production'],
  detector_learning_mode: ['disabled', 'suggest', 'training_auto_create'],
  transport: ['stdio', 'http'],
  kind: ['log_signature', 'metric_threshold', 'probe'],
};
// Enumerations that depend on where the key is.
function enumFor(key, parts) {
  if (key === 'severity') return meta().severities; // the server's list (GET /api/v1/meta)
  if (key === 'provider' && parts[0] === 'channels') return ['inapp', 'webhook', 'slack', 'teams', 'telegram', 'email'];
  if (key === 'provider' && parts[0] === 'agent_runtime') return ['ollama', 'openai_compatible'];
  if (key === 'kind' && parts[0] === 'allowlists') return ['Deployment', 'StatefulSet'];
  return ENUMS[key] || null;
}
// Columns for lists of objects that may start empty.
const COLUMN_HINTS = {
  cronjobs: ['namespace', 'name'],
  workloads: ['namespace', 'kind', 'name'],
};

// Sections shown in the form, in order; the rest is edited as JSON.
export const FORM_SECTIONS = [
  ['environment', 'Posture', 'How cautious the bot is. production: nothing disruptive runs without approval.'],
  ['automation', 'Automation', 'Global switches, rate limits, cooldowns and approvals.'],
  ['allowlists', 'Allowlists', 'What automatic actions may touch, and the namespaces nothing disruptive ever touches.'],
  ['channels', 'Channels', 'Where notifications go. Secrets are references to environment variables or files, never values.'],
  ['routing', 'Routing', 'Which channels receive which severities and classes.'],
];

function isSecretRef(v) {
  return v && typeof v === 'object' && !Array.isArray(v) && ('secret_ref' in v || ('env' in v && Object.keys(v).length === 1) || ('file' in v && Object.keys(v).length === 1));
}

function secretText(v) {
  const r = v.secret_ref || v;
  if (r.env) return `from environment variable ${r.env}`;
  if (r.file) return `from file ${r.file}`;
  return 'secret reference';
}

function parseNumberish(s) {
  const t = s.trim();
  return /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t) ? Number(t) : t;
}

// render(doc, parts, {readOnly, onChange(parts, value), onStructure()})
export function renderValue(key, value, parts, opts) {
  const path = pointer(parts);
  // List items are titled by their id, which is shown as written.
  const label = typeof parts[parts.length - 1] === 'number' ? String(key) : humanize(key);
  const choices0 = enumFor(key, parts);
  const field = (control, extra) => h('div.field', { dataset: { path } },
    h('label', { for: 'f' + path }, label), control, extra || null,
    h('p.field-error', { id: 'e' + path, role: 'alert' }));
  const common = { id: 'f' + path, name: path, disabled: opts.readOnly, dataset: { path } };

  if (isSecretRef(value))
    return h('div.field', { dataset: { path } }, h('span.label', label),
      h('span.secret', { title: 'Secrets are never shown or stored in clear' }, h('span.secret-tag', 'secret'), ' ', secretText(value)),
      h('p.field-error', { id: 'e' + path, role: 'alert' }));
  if (typeof value === 'boolean')
    return h('div.field.check', { dataset: { path } },
      h('label', { for: 'f' + path },
        h('input', { ...common, type: 'checkbox', checked: value, onchange: (e) => opts.onChange(parts, e.target.checked) }),
        ' ', label),
      h('p.field-error', { id: 'e' + path, role: 'alert' }));
  if (typeof value === 'number' || (typeof value === 'string' && typeof opts.wasNumber === 'function' && opts.wasNumber(path)))
    return field(h('input.num', { ...common, type: 'text', inputmode: 'numeric', value: String(value),
      oninput: (e) => opts.onChange(parts, parseNumberish(e.target.value)) }));
  if (typeof value === 'string' && choices0) {
    const choices = choices0.includes(value) ? choices0 : [value, ...choices0];
    return field(h('select', { ...common, value, onchange: (e) => opts.onChange(parts, e.target.value) },
      choices.map((c) => h('option', { value: c, selected: c === value }, c))));
  }
  if (typeof value === 'string' || value === null)
    return field(h('input', { ...common, type: 'text', value: value ?? '',
      oninput: (e) => opts.onChange(parts, e.target.value) }));
  if (Array.isArray(value)) {
    if (!value.length && COLUMN_HINTS[key]) return tableField(key, value, parts, opts, COLUMN_HINTS[key]);
    if (value.every((x) => typeof x === 'string' || typeof x === 'number'))
      return listField(key, value, parts, opts, field, common);
    const cols = flatColumns(key, value);
    if (cols) return tableField(key, value, parts, opts, cols);
    return h('fieldset.group', { dataset: { path } }, h('legend', label),
      h('p.field-error', { id: 'e' + path, role: 'alert' }),
      value.length ? value.map((item, i) => renderValue(itemTitle(item, i), item, [...parts, i], opts))
        : h('p.muted', 'None. Add entries in the JSON editor.'));
  }
  if (typeof value === 'object')
    return h('fieldset.group', { dataset: { path } }, h('legend', label),
      h('p.field-error', { id: 'e' + path, role: 'alert' }),
      Object.keys(value).length
        ? h('div.group-fields', Object.entries(value).map(([k, v]) => renderValue(k, v, [...parts, k], opts)))
        : h('p.muted.none', 'None.'));
  return field(h('code', JSON.stringify(value)));
}

function itemTitle(item, i) {
  return item && typeof item === 'object' ? (item.id || item.name || `#${i + 1}`) : `#${i + 1}`;
}

function listField(key, value, parts, opts, field, common) {
  const numeric = value.length > 0 && value.every((x) => typeof x === 'number');
  return field(h('textarea', { ...common, rows: Math.min(6, Math.max(2, value.length + 1)),
    oninput: (e) => {
      const items = e.target.value.split('\n').map((s) => s.trim()).filter(Boolean);
      opts.onChange(parts, numeric ? items.map(parseNumberish) : items);
    } }, value.join('\n')), h('p.help', 'One per line.'));
}

// A list of objects whose values are all scalars gets a table; null otherwise.
function flatColumns(key, arr) {
  if (!arr.every((o) => o && typeof o === 'object' && !Array.isArray(o) &&
      Object.values(o).every((v) => v === null || typeof v !== 'object'))) return null;
  const cols = [];
  for (const o of arr) for (const k of Object.keys(o)) if (!cols.includes(k)) cols.push(k);
  if (!cols.length && COLUMN_HINTS[key]) return COLUMN_HINTS[key];
  return cols.length ? cols : null;
}

function tableField(key, value, parts, opts, cols) {
  const path = pointer(parts);
  const body = h('tbody', value.map((row, i) => h('tr', { dataset: { path: pointer([...parts, i]) } },
    cols.map((c) => {
      const p = [...parts, i, c];
      const v = row[c];
      const cp = pointer(p);
      return h('td', { dataset: { path: cp } },
        typeof v === 'boolean'
          ? h('input', { type: 'checkbox', checked: v, disabled: opts.readOnly, 'aria-label': `${c} of row ${i + 1}`, dataset: { path: cp },
            onchange: (e) => opts.onChange(p, e.target.checked) })
          : h('input', { type: 'text', value: v ?? '', disabled: opts.readOnly, 'aria-label': `${c} of row ${i + 1}`, dataset: { path: cp },
            oninput: (e) => opts.onChange(p, typeof v === 'number' ? parseNumberish(e.target.value) : e.target.value) }),
        h('p.field-error', { id: 'e' + cp, role: 'alert' }));
    }),
    opts.readOnly ? null : h('td.row-actions', h('button.btn.ghost.small', {
      type: 'button', 'aria-label': `Remove row ${i + 1}`,
      onclick: () => { value.splice(i, 1); opts.onStructure(); },
    }, 'Remove')))));
  return h('div.field.table-field', { dataset: { path } },
    h('span.label', humanize(key)),
    value.length ? h('table.grid.compact.edit', h('thead', h('tr', cols.map((c) => h('th', humanize(c))), opts.readOnly ? null : h('th'))), body)
      : h('p.muted', 'Empty.'),
    opts.readOnly ? null : h('button.btn.small', {
      type: 'button',
      onclick: () => { value.push(Object.fromEntries(cols.map((c) => [c, '']))); opts.onStructure(); },
    }, '+ Add'),
    h('p.field-error', { id: 'e' + path, role: 'alert' }));
}

// Puts each problem at the deepest element whose data-path is the problem's
// path or a prefix of it. Returns the problems that found no place.
export function placeProblems(container, problems) {
  for (const el of container.querySelectorAll('.invalid')) el.classList.remove('invalid');
  for (const el of container.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of container.querySelectorAll('.field-error')) el.textContent = '';
  const holders = [...container.querySelectorAll('.field[data-path], fieldset[data-path], td[data-path]')];
  const unplaced = [];
  for (const p of problems) {
    let best = null;
    for (const el of holders) {
      const fp = el.dataset.path;
      if ((p.path === fp || p.path.startsWith(fp + '/')) && (!best || fp.length > best.dataset.path.length)) best = el;
    }
    if (!best) {
      unplaced.push(p);
      continue;
    }
    best.classList.add('invalid');
    const err = best.querySelector(':scope > .field-error');
    if (err) err.textContent = (err.textContent ? err.textContent + ' ' : '') +
      p.reason + (p.path !== best.dataset.path ? ` (${p.path})` : '');
    const input = best.querySelector(':scope input, :scope select, :scope textarea');
    if (input) {
      input.setAttribute('aria-invalid', 'true');
      if (err) input.setAttribute('aria-describedby', err.id);
    }
  }
  return unplaced;
}
