// Policy settings: the current version as a form (common fields) and a JSON
// editor (everything), both editing one draft; server validation problems at
// the field their path points at; version history with diff and restore.
// Routes: #/policy and #/policy/history?a=<n>&b=<m>.

import { h, mount, fmtTime, timeEl, spinner, emptyState, errorState, toast, debounce } from './dom.js';
import * as api from './api.js';
import { registerPage, can } from './registry.js';
import { loadPolicy, savePolicy, validatePolicy, pointerParts, pointer, setAt, stableStringify } from './policy-api.js';
import { renderValue, placeProblems, FORM_SECTIONS } from './policy-form.js';
import { diffLines, renderDiff } from './diff.js';
import { simulateControls } from './policy-simulate.js';

function createPolicyPage(ctx) {
  const { who, navigate } = ctx;
  const admin = can(who, 'admin');
  let current = null; // {version, author, created_at, document, etag}
  let draft = null;
  let problems = [];
  const numberPaths = new Set();

  const tabs = h('nav.subnav', { 'aria-label': 'Policy views' },
    h('a', { href: '#/policy', dataset: { view: 'settings' } }, 'Settings'),
    h('a', { href: '#/policy/history', dataset: { view: 'history' } }, 'Version history'));
  const head = h('div.page-head', h('h1', 'Policy'), h('div.version-line'));
  const body = h('div.policy-body');
  const el = h('div.policy-page', head, tabs, body);

  // ---- settings view
  const formEl = h('form.policy-form', { onsubmit: (e) => e.preventDefault(), novalidate: true });
  const editor = h('textarea#policy-json.json-editor', {
    spellcheck: 'false', autocapitalize: 'off', autocomplete: 'off', 'aria-label': 'Policy document (JSON)',
    readonly: !admin,
  });
  const parseErr = h('p.field-error#json-error', { role: 'alert' });
  const problemsEl = h('div.problems', { role: 'alert', 'aria-live': 'assertive' });
  const status = h('span.save-status', { role: 'status' });
  const saveBtn = h('button.btn.primary#policy-save', { type: 'button', onclick: save }, 'Save new version');
  const validateBtn = h('button.btn#policy-validate', { type: 'button', onclick: validate }, 'Validate');
  const revertBtn = h('button.btn.ghost#policy-revert', { type: 'button', onclick: revert }, 'Discard changes');
  const defaultsBtn = h('button.btn#policy-defaults', { type: 'button', onclick: loadDefaults,
    title: 'Replace the draft with the defaults of its environment (nothing is saved until you save)' }, 'Load defaults');
  // What-if replay of the draft over the last day, before saving (policy-simulate.js).
  const sim = simulateControls(() => draft, (list) => showProblems(list,
    `${list.length} problem${list.length === 1 ? '' : 's'} in the draft; nothing was simulated.`));
  const actions = admin ? h('div.actionbar', saveBtn, validateBtn, sim.button, defaultsBtn, revertBtn, status)
    : h('div.actionbar', h('p.muted', `Read-only: changing the policy needs the admin role (you are ${who.role}).`));

  function dirty() {
    return !current || stableStringify(draft) !== stableStringify(current.document);
  }

  function paintDirty() {
    const d = dirty();
    saveBtn.disabled = !d;
    revertBtn.disabled = !d || !current;
    status.textContent = !current ? 'No policy saved yet: load the defaults, review, then save.'
      : d ? 'Unsaved changes' : `Version ${current.version} is current`;
    status.classList.toggle('dirty', !!d);
  }

  const formOpts = {
    readOnly: !admin,
    wasNumber: (p) => numberPaths.has(p),
    onChange: (parts, value) => {
      setAt(draft, parts, value);
      syncEditor();
      paintDirty();
    },
    onStructure: () => {
      renderForm();
      syncEditor();
      paintDirty();
    },
  };

  function collectNumbers(v, parts) {
    if (typeof v === 'number') numberPaths.add(pointer(parts));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collectNumbers(x, [...parts, k]);
  }

  // An object section shows its fields directly under the section title.
  function sectionBody(k) {
    const v = draft[k];
    if (v && typeof v === 'object' && !Array.isArray(v))
      return h('div.group-fields', { dataset: { path: '/' + k } },
        Object.entries(v).map(([key, x]) => renderValue(key, x, [k, key], formOpts)));
    // A list of objects (channels): one box per item, without a repeated title.
    if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object' && !Array.isArray(x) &&
        Object.values(x).some((y) => y && typeof y === 'object')))
      return h('div.items', { dataset: { path: '/' + k } },
        v.map((x, i) => renderValue(x.id || x.name || `#${i + 1}`, x, [k, i], formOpts)));
    return renderValue(k, v, [k], formOpts);
  }

  function renderForm() {
    const sections = FORM_SECTIONS.filter(([k]) => draft && k in draft);
    mount(formEl, sections.length ? sections.map(([k, title, help]) => h('section.form-section', { dataset: { section: k } },
      h('h2', title), h('p.help', help),
      sectionBody(k)))
      : h('p.muted', 'This document has none of the common sections; edit it as JSON.'));
    placeProblems(formEl, problems);
  }

  const syncEditor = debounce(() => {
    if (document.activeElement !== editor) editor.value = JSON.stringify(draft, null, 2);
  }, 150);

  editor.addEventListener('input', debounce(() => {
    try {
      draft = JSON.parse(editor.value);
      parseErr.textContent = '';
      editor.removeAttribute('aria-invalid');
      renderForm();
    } catch (e) {
      parseErr.textContent = 'Not valid JSON: ' + e.message;
      editor.setAttribute('aria-invalid', 'true');
    }
    paintDirty();
  }, 250));

  function showProblems(list, title) {
    problems = list;
    const unplaced = placeProblems(formEl, list);
    if (!list.length) {
      mount(problemsEl);
      return;
    }
    mount(problemsEl, h('div.problem-box',
      h('strong', title || `${list.length} problem${list.length > 1 ? 's' : ''}; nothing was saved.`),
      h('ul', list.map((p) => h('li', { dataset: { path: p.path } },
        h('button.btn.link', { type: 'button', onclick: () => focusPath(p.path) }, h('code', p.path || '/')),
        ' ', p.reason, p.code ? h('span.muted', ` (${p.code})`) : null,
        unplaced.includes(p) ? h('span.muted', ' — in the JSON editor') : null)))));
  }

  function focusPath(path) {
    const parts = pointerParts(path);
    for (let n = parts.length; n >= 0; n--) {
      const input = formEl.querySelector(`[data-path="${CSS.escape(pointer(parts.slice(0, n)))}"]`);
      const target = input && (input.matches('input,select,textarea') ? input : input.querySelector('input,select,textarea'));
      if (target) {
        target.focus();
        target.scrollIntoView({ block: 'center' });
        return;
      }
    }
    // Not in the form: find the key in the JSON editor.
    const key = parts[parts.length - 1];
    const i = key !== undefined ? editor.value.indexOf(`"${key}"`) : -1;
    editor.focus();
    if (i >= 0) editor.setSelectionRange(i, i + key.length + 2);
  }

  async function validate() {
    if (parseErr.textContent) return;
    validateBtn.disabled = true;
    try {
      const r = await validatePolicy(draft);
      const n = r.problems.length;
      showProblems(r.problems, `Validation found ${n} problem${n === 1 ? '' : 's'} (nothing is saved by Validate).`);
      if (r.valid) toast('The document is valid.', 'ok');
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      validateBtn.disabled = false;
    }
  }

  async function save() {
    if (parseErr.textContent) {
      editor.focus();
      return;
    }
    saveBtn.disabled = true;
    status.textContent = 'Saving…';
    try {
      const saved = await savePolicy(draft, current && current.etag);
      current = saved;
      draft = structuredClone(saved.document);
      showProblems([]);
      renderForm();
      editor.value = JSON.stringify(draft, null, 2);
      paintHead();
      toast(`Saved as version ${saved.version}.`, 'ok');
    } catch (e) {
      if (e.problems && e.problems.length) showProblems(e.problems);
      else {
        showProblems([]);
        toast(e.message, 'error');
      }
    }
    paintDirty();
  }

  // The defaults of the draft's environment (GET /policy/defaults): a starting
  // point that validates; the operator reviews it and saves a version.
  async function loadDefaults() {
    const env = (draft && draft.environment) || '';
    defaultsBtn.disabled = true;
    try {
      const r = await api.get('/policy/defaults', env ? { environment: env } : undefined);
      draft = r.document;
      numberPaths.clear();
      collectNumbers(draft, []);
      showProblems([]);
      renderForm();
      editor.value = JSON.stringify(draft, null, 2);
      parseErr.textContent = '';
      toast(`Loaded the ${r.environment} defaults into the draft; save to apply them.`, 'ok');
    } catch (e) {
      toast(e.message, 'error');
    } finally {
      defaultsBtn.disabled = false;
    }
    paintDirty();
  }

  function revert() {
    draft = structuredClone(current.document);
    showProblems([]);
    renderForm();
    editor.value = JSON.stringify(draft, null, 2);
    parseErr.textContent = '';
    paintDirty();
  }

  function paintHead() {
    const line = head.querySelector('.version-line');
    if (!current) return mount(line, h('span.muted', 'No policy saved yet'));
    mount(line, h('span.pill', 'version ' + current.version), ' saved by ', h('strong', current.author || '—'), ' ',
      timeEl(current.created_at));
  }

  function settingsView() {
    if (!current && !admin)
      return emptyState('No policy yet', 'No policy version has been saved. An admin can load the defaults here and save them, or run srebot policy init. (The server saves the defaults of its environment at first start unless IF_SRE_BOOTSTRAP_SEED_POLICY_DEFAULTS=false.)');
    if (!draft) draft = current ? structuredClone(current.document) : { environment: 'demo' };
    numberPaths.clear();
    collectNumbers(draft, []);
    renderForm();
    editor.value = JSON.stringify(draft, null, 2);
    paintDirty();
    return h('div.settings',
      actions, problemsEl, admin ? sim.panel : null,
      h('div.split',
        h('div.split-main', formEl),
        h('div.split-side', h('h2', 'JSON editor'),
          h('p.help', 'The whole document, including probes, thresholds, detector rules, MCP servers and the agent runtime. Edits here update the form.'),
          editor, parseErr)));
  }

  // ---- history view
  async function historyView(params) {
    const box = h('div.history', spinner('Loading versions…'));
    let versions;
    try {
      versions = (await api.get('/policy/versions')).items || [];
    } catch (e) {
      mount(box, errorState(e, () => route(ctx.parseRoute())));
      return box;
    }
    if (!versions.length) return mount(box, emptyState('No versions yet', 'Saved versions appear here, newest first.'));
    const newest = versions[0].version;
    const a = Number(params.get('a')) || (versions[1] ? versions[1].version : newest);
    const b = Number(params.get('b')) || newest;
    const diffBox = h('div.diff-box');
    const pick = (side, other) => h('select', {
      'aria-label': side === 'a' ? 'Older version' : 'Newer version', dataset: { side },
      onchange: (e) => {
        const p = new URLSearchParams(params);
        p.set(side, e.target.value);
        if (!p.get(other)) p.set(other, String(side === 'a' ? b : a));
        navigate('/policy/history', p, true);
      },
    }, versions.map((v) => h('option', { value: v.version, selected: v.version === (side === 'a' ? a : b) }, `v${v.version}`)));
    mount(box,
      h('div.history-grid',
        h('div.table-wrap', h('table.grid.versions',
          h('thead', h('tr', ['Version', 'Author', 'Saved', ''].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', versions.map((v) => h('tr', { dataset: { version: v.version }, class: current && v.version === current.version ? 'current' : '' },
            h('td', h('strong', 'v' + v.version), current && v.version === current.version ? h('span.pill.small', 'current') : null),
            h('td', v.author || '—'),
            h('td.nowrap', h('span', { title: v.created_at }, fmtTime(v.created_at))),
            h('td.row-actions',
              h('a.btn.small.ghost', { href: `#/policy/history?a=${versions[versions.indexOf(v) + 1]?.version || v.version}&b=${v.version}` }, 'Changes'),
              admin && current && v.version !== current.version
                ? h('button.btn.small', { type: 'button', onclick: () => restore(v.version) }, 'Restore') : null)))))),
        h('div.diff-pane',
          h('div.diff-pick', h('h2', 'Compare'), pick('a', 'b'), h('span', '→'), pick('b', 'a')),
          diffBox)));
    mount(diffBox, spinner('Computing diff…'));
    try {
      const [va, vb] = await Promise.all([api.get('/policy/versions/' + a), api.get('/policy/versions/' + b)]);
      mount(diffBox, renderDiff(diffLines(stableStringify(va.document), stableStringify(vb.document))));
    } catch (e) {
      mount(diffBox, errorState(e));
    }
    return box;
  }

  async function restore(version) {
    if (!confirm(`Restore version ${version}? It is saved as a new version; history is kept.`)) return;
    try {
      const v = await api.get('/policy/versions/' + version);
      const saved = await savePolicy(v.document, current.etag);
      current = saved;
      draft = structuredClone(saved.document);
      paintHead();
      toast(`Version ${version} restored as version ${saved.version}.`, 'ok');
      navigate('/policy/history', new URLSearchParams(`a=${version}&b=${saved.version}`), true);
    } catch (e) {
      toast(e.problems && e.problems.length ? `Version ${version} is not valid under the current rules: ${e.problems[0].path} ${e.problems[0].reason}` : e.message, 'error');
    }
  }

  let seq = 0;
  async function route(r) {
    const view = r.parts[1] === 'history' ? 'history' : 'settings';
    for (const a of tabs.querySelectorAll('a')) a.classList.toggle('active', a.dataset.view === view);
    const my = ++seq;
    if (!current || view === 'history') {
      if (!current) mount(body, spinner('Loading policy…'));
      try {
        const latest = await loadPolicy();
        if (my !== seq) return;
        // Keep unsaved edits (and the ETag they were based on, so a save
        // over a newer version gets 412 instead of overwriting it).
        const edited = current && draft && dirty();
        if (!edited) {
          current = latest;
          draft = null;
        }
      } catch (e) {
        if (my !== seq) return;
        mount(body, errorState(e, () => route(r)));
        return;
      }
    }
    paintHead();
    if (view === 'history') {
      const v = await historyView(r.params);
      if (my === seq) mount(body, v);
    } else {
      mount(body, settingsView());
    }
  }

  return {
    el,
    route,
    destroy() {
      seq++;
    },
  };
}

registerPage({ id: 'policy', title: 'Policy', order: 20, create: createPolicyPage });
