// Browser tests for the admin console: playwright-core driving Debian's
// chromium against a running srebot (started by tests/scripts/test_e2e.sh).
//   SREBOT_URL=http://127.0.0.1:PORT SREBOT_TOKEN=... E2E_ARTIFACTS=dir node run.mjs
// Tests run in order and share one browser tab, as an operator would. Each
// saves screenshots under E2E_ARTIFACTS. The last line is "N passed, N failed".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BASE = process.env.SREBOT_URL;
const TOKEN = process.env.SREBOT_TOKEN;
const ART = process.env.E2E_ARTIFACTS || path.join(os.tmpdir(), 'srebot-e2e-artifacts');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const T = 15000; // per-step timeout (ms)
if (!BASE || !TOKEN) {
  console.error('SREBOT_URL and SREBOT_TOKEN are required');
  process.exit(2);
}
fs.mkdirSync(ART, { recursive: true });

const run = Date.now().toString(36); // unique keys per run
async function api(method, p, body, headers = {}) {
  const res = await fetch(BASE + '/api/v1' + p, {
    method,
    headers: { Authorization: 'Bearer ' + TOKEN, 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  return { status: res.status, data, etag: res.headers.get('etag') };
}
function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'srebot-e2e-profile-'));
const context = await chromium.launchPersistentContext(userDir, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1440, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(T);
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push('pageerror: ' + e.message));
page.on('console', (m) => {
  // CSP violations and uncaught errors land here; 4xx answers the tests provoke
  // on purpose (401 on a bad token, 422 on an invalid policy) are expected.
  const t = m.text();
  if (m.type() === 'error' && !/status of (401|403|409|412|422)/.test(t)) pageErrors.push('console: ' + t);
});
const shot = (name) => page.screenshot({ path: path.join(ART, name + '.png'), fullPage: false });

const state = {};
const tests = [];
const test = (name, fn) => tests.push({ name, fn });

// ---------------------------------------------------------------- pure functions
// The console's pure helpers, imported straight from web/js (no browser needed).
const js = (f) => import(new URL(`../../web/js/${f}`, import.meta.url));
const { diffLines } = await js('diff.js');
const { toPoints, jsRegExp } = await js('signals.js');
const { pointer, pointerParts, stableStringify } = await js('policy-api.js');
const { throttle } = await js('dom.js');

test('live refresh throttle: a steady stream cannot starve it', async () => {
  // On a virtual clock: throttle() reads Date.now() and setTimeout when called,
  // so swapping them makes this exact on any machine (real timers on a loaded
  // one fire late and blur the count). Synchronous from swap to restore, so no
  // other code ever sees the fake clock.
  const realNow = Date.now;
  const realSetTimeout = globalThis.setTimeout;
  let now = Date.now();
  const t0 = now;
  const timers = [];
  const advance = (to) => { // runs due timers in order, then sets the clock
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      if (!timers.length || timers[0].at > to) break;
      const t = timers.shift();
      now = t.at;
      t.fn();
    }
    now = to;
  };
  const calls = [];
  try {
    Date.now = () => now;
    globalThis.setTimeout = (fn, ms) => { timers.push({ at: now + Math.max(0, ms || 0), fn }); return timers.length; };
    const f = throttle(() => { calls.push(now - t0); }, 200, 20);
    for (let t = 0; t < 700; t += 10) { advance(t0 + t); f(); } // a request every 10 ms for 0.7 s
    advance(t0 + 950);
  } finally {
    Date.now = realNow;
    globalThis.setTimeout = realSetTimeout;
  }
  // a debounce would give exactly 1 (at the end); spacing holds throughout
  check(calls.length >= 3 && calls.length <= 5, `${calls.length} calls (at ${calls} ms) for 0.7 s of requests at 200 ms spacing`);
  check(calls[0] <= 20, `first call at ${calls[0]} ms, not within the 20 ms gather`);
  for (let i = 1; i < calls.length; i++) check(calls[i] - calls[i - 1] >= 200, `calls ${calls} closer than 200 ms`);
});

test('line diff, evidence points, patterns, JSON pointers (tables)', async () => {
  const ops = (a, b) => diffLines(a, b).map((l) => l.op + l.text).join('|');
  const cases = [
    ['a\nb\nc', 'a\nb\nc', ' a| b| c'],
    ['a\nb\nc', 'a\nx\nc', ' a|-b|+x| c'],
    ['a\nb', 'a\nb\nc', ' a| b|+c'],
    ['a\nb\nc', 'b\nc', '-a| b| c'],
    ['', 'x', '-|+x'],
    ['k: 1\nk: 2', 'k: 2\nk: 1', '-k: 1| k: 2|+k: 1'],
  ];
  for (const [a, b, want] of cases) check(ops(a, b) === want, `diff ${JSON.stringify([a, b])} = ${ops(a, b)}, want ${want}`);
  const big = Array.from({ length: 3000 }, (_, i) => 'line ' + i).join('\n');
  const d = diffLines(big, big.replace('line 1500', 'changed'));
  check(d.filter((l) => l.op !== ' ').length === 2, 'large diff not minimal');
  const pts = [
    [[1, 2, 3], [[0, 1], [1, 2], [2, 3]]],
    [[[10, '5'], [20, 6]], [[10, 5], [20, 6]]],
    [[{ t: '2026-01-01T00:00:00Z', v: 1 }], [[Date.parse('2026-01-01T00:00:00Z'), 1]]],
    [[{ ts: 5, value: 7 }, { x: 1 }, 'junk'], [[5, 7]]],
    ['not a list', []],
  ];
  for (const [inp, want] of pts) {
    const got = toPoints(inp).map((p) => [p.t, p.v]);
    check(JSON.stringify(got) === JSON.stringify(want), `toPoints ${JSON.stringify(inp)} = ${JSON.stringify(got)}`);
  }
  check(jsRegExp('(?i)panic').test('PANIC: x'), '(?i) flag not honoured');
  check(jsRegExp('a(') === null, 'bad pattern compiled');
  check(jsRegExp('') === null, 'empty pattern compiled');
  const ptrs = [['/a/b', ['a', 'b']], ['/a~1b/c~0d', ['a/b', 'c~d']], ['', []], ['/x/0', ['x', '0']]];
  for (const [p, parts] of ptrs) {
    check(JSON.stringify(pointerParts(p)) === JSON.stringify(parts), `pointerParts ${p}`);
    check(pointer(parts) === p, `pointer ${JSON.stringify(parts)} = ${pointer(parts)}`);
  }
  check(stableStringify({ b: 1, a: { d: 1, c: 2 } }, 0) === '{"a":{"c":2,"d":1},"b":1}', 'keys not sorted');
});

// ---------------------------------------------------------------- browser tests

test('sign in with an API token', async () => {
  await page.goto(BASE + '/');
  await page.waitForSelector('form.signin-card');
  await shot('01-sign-in');
  await page.fill('#token', 'not-a-valid-token');
  await page.click('form.signin-card button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#signin-error')?.textContent.includes('not valid'));
  if (process.env.SREBOT_INGEST_TOKEN) { // an ingest token can post findings, not use the console
    await page.fill('#token', process.env.SREBOT_INGEST_TOKEN);
    await page.click('form.signin-card button[type=submit]');
    await page.waitForFunction(() => document.querySelector('#signin-error')?.textContent.includes('only post findings'));
    check(await page.evaluate(() => !sessionStorage.getItem('srebot.token')), 'ingest token kept');
  }
  await page.fill('#token', TOKEN);
  await page.click('form.signin-card button[type=submit]');
  await page.waitForSelector('.top .who');
  const role = await page.textContent('.top .role');
  check(role === 'admin', `role shown is ${role}`);
  check(await page.evaluate(() => !!sessionStorage.getItem('srebot.token')), 'token not in sessionStorage');
  check(await page.evaluate(() => !localStorage.getItem('srebot.token')), 'token leaked to localStorage');
  await page.waitForSelector('.workspace .table-wrap > *');
  await page.waitForSelector('.live-live');
  await shot('02-incidents-initial');
});

test('a posted finding appears live, without reload', async () => {
  await page.evaluate(() => { window.__noReload = true; });
  const summary = `Checkout API error rate above 5% (${run})`;
  const r = await api('POST', '/findings', {
    source: 'e2e', class: 'application_services.http_5xx_burst', correlation_key: `checkout:${run}`,
    severity: 'warning', status: 'firing', summary,
    attributes: { service: 'checkout', namespace: 'shop' },
    evidence: [
      { type: 'metric_snapshot', summary: '5xx ratio over 5 minutes',
        data: { metric: 'http_5xx_ratio', value: 0.083, unit: 'ratio', threshold: 0.05,
          samples: [0.01, 0.012, 0.02, 0.031, 0.05, 0.061, 0.074, 0.083] } },
      { type: 'log_excerpt', summary: 'panic in checkout',
        data: { file: '/var/log/checkout.log', pattern: 'panic: [a-z ]+',
          lines: ['2026-11-27T02:00:01Z GET /cart 200', '2026-11-27T02:00:02Z panic: runtime error in handler', '2026-11-27T02:00:02Z goroutine 7 [running]:'] } },
      // The log scanner's shape: snippets of a match with its context.
      { type: 'log_excerpt', summary: 'last 1 matching lines with context',
        data: { rule: 'builtin.segfault', pattern: 'segfault at|Segmentation fault|SIGSEGV', file: '/var/log/syslog',
          window_seconds: 300, matches: 1,
          lines: [{ offset: 4096, text: 'kernel: worker started\nkernel: checkout[311]: segfault at 0 ip 00007f\nkernel: worker exited\n' }] } },
    ],
  });
  check(r.status === 200, `POST /findings answered ${r.status} ${JSON.stringify(r.data)}`);
  state.incA = r.data.items[0].incident_id;
  state.summaryA = summary;
  const t0 = Date.now();
  await page.waitForSelector(`tr[data-id="${state.incA}"]`);
  console.log(`     (row visible ${Date.now() - t0} ms after the POST was answered)`);
  check(await page.evaluate(() => window.__noReload === true), 'page was reloaded');
  const text = await page.textContent(`tr[data-id="${state.incA}"]`);
  check(text.includes(summary), 'row does not show the summary');
  await page.waitForFunction(() => Number(document.querySelector('.count-total .big-n')?.textContent) >= 1);
  await shot('03-incident-live');
});

test('filter by severity, kept in the URL', async () => {
  const summary = `Registry pull failures on node-3 (${run})`;
  const r = await api('POST', '/findings', {
    source: 'e2e', class: 'release_configuration.registry_auth_or_mirror_failure', correlation_key: `registry:${run}`,
    severity: 'critical', status: 'firing', summary,
  });
  check(r.status === 200, `POST /findings answered ${r.status}`);
  state.incB = r.data.items[0].incident_id;
  await page.waitForSelector(`tr[data-id="${state.incB}"]`);
  await page.selectOption('select[name=severity]', 'critical');
  await page.waitForFunction((a) => !document.querySelector(`tr[data-id="${a}"]`), state.incA);
  await page.waitForSelector(`tr[data-id="${state.incB}"]`);
  check(page.url().includes('severity=critical'), `filter not in URL: ${page.url()}`);
  // Every shown row is critical.
  const sevs = await page.$$eval('table.incidents tbody tr td:nth-child(2)', (tds) => tds.map((t) => t.textContent));
  check(sevs.length > 0 && sevs.every((s) => s === 'critical'), `rows not filtered: ${sevs}`);
  // Text filter narrows further; a reload keeps both.
  await page.fill('input[name=q]', run);
  await page.waitForFunction(() => location.hash.includes('q='));
  await page.reload();
  await page.waitForSelector(`tr[data-id="${state.incB}"]`);
  check(await page.inputValue('select[name=severity]') === 'critical', 'severity filter lost on reload');
  check(await page.inputValue('input[name=q]') === run, 'text filter lost on reload');
  check(!(await page.$(`tr[data-id="${state.incA}"]`)), 'filtered-out incident shown after reload');
  await shot('04-filtered');
  await page.click('.clear-filters');
  await page.waitForSelector(`tr[data-id="${state.incA}"]`);
});

test('keyboard: / searches, j/k select, Enter opens, Esc closes', async () => {
  await page.click('.page-head h1');
  await page.keyboard.press('/');
  check(await page.evaluate(() => document.activeElement?.name === 'q'), '/ did not focus the search box');
  await page.click('.page-head h1');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  const id = await page.getAttribute('table.incidents tbody tr.sel', 'data-id');
  check(id, 'no row selected');
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.drawer[data-incident="${id}"] .facts`);
  await page.keyboard.press('ArrowRight'); // focus is on the close button; tabs need focus first
  await page.focus('[role=tab][data-tab=summary]');
  await page.keyboard.press('ArrowRight');
  await page.waitForSelector('[role=tab][data-tab=signals][aria-selected=true]');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.drawer'));
});

test('open the drawer and transition the incident', async () => {
  // A second finding on the same key folds into the incident, live.
  const r = await api('POST', '/findings', {
    source: 'e2e', class: 'application_services.http_5xx_burst', correlation_key: `checkout:${run}`,
    severity: 'warning', status: 'firing', summary: state.summaryA,
    evidence: [{ type: 'metric_snapshot', summary: '5xx ratio over 5 minutes',
      data: { metric: 'http_5xx_ratio', value: 0.091, unit: 'ratio', threshold: 0.05, error_percent: 9.1, level_percent: 5 } }],
  });
  check(r.status === 200 && r.data.items[0].incident_id === state.incA, `fold answered ${r.status} ${JSON.stringify(r.data)}`);
  await page.waitForFunction((id) => document.querySelector(`tr[data-id="${id}"] td:nth-child(6)`)?.textContent === '2', state.incA);
  await page.click(`tr[data-id="${state.incA}"] td.summary`);
  await page.waitForSelector(`.drawer[data-incident="${state.incA}"] .facts`);
  check(page.url().includes(`/incidents/${state.incA}`), 'drawer is not in the URL');
  await shot('05-drawer-summary');
  // Signals: the metric as a number and a chart, the log match marked.
  await page.click('[role=tab][data-tab=signals]');
  await page.waitForSelector('.evidence.ev-metric_snapshot svg.spark polyline');
  const vals = await page.$$eval('.evidence.ev-metric_snapshot .metric-value', (e) => e.map((x) => x.textContent));
  check(vals.some((v) => v.includes('0.08')) && vals.some((v) => v.includes('0.09')), `metric values shown as ${vals}`);
  await page.waitForSelector('.trends .trend[data-key="value"] svg.spark polyline');
  const marked = await page.$$eval('.evidence.ev-log_excerpt mark', (ms) => ms.map((m) => m.textContent));
  check(marked.some((m) => m.startsWith('panic: ')), `log match not marked: ${marked}`);
  check(marked.includes('segfault at'), `scanner snippet match not marked: ${marked}`);
  await shot('06-drawer-signals');
  // Transition observed -> triaged with a reason.
  await page.click('[role=tab][data-tab=summary]');
  await page.click('.transition[data-to=triaged]');
  await page.fill('#transition-reason', 'e2e: looking into it');
  // A live update while typing keeps the text and offers a reload instead.
  const fold = await api('POST', '/findings', {
    source: 'e2e', class: 'application_services.http_5xx_burst', correlation_key: `checkout:${run}`,
    severity: 'warning', status: 'firing', summary: state.summaryA });
  check(fold.status === 200, `fold answered ${fold.status}`);
  await page.waitForSelector(`.drawer[data-incident="${state.incA}"] .stale`);
  check(await page.inputValue('#transition-reason') === 'e2e: looking into it', 'live update wiped the reason');
  await page.click('#transition-confirm');
  await page.waitForSelector(`.drawer[data-incident="${state.incA}"] .drawer-meta .state-triaged`);
  const got = await api('GET', `/incidents/${state.incA}`);
  check(got.data.state === 'triaged', `server says ${got.data.state}`);
  await page.click('[role=tab][data-tab=timeline]');
  await page.waitForSelector('.timeline .tl-state_changed');
  const tl = await page.textContent('.timeline');
  check(tl.includes('e2e: looking into it'), 'reason not in the timeline');
  await shot('07-drawer-timeline');
  // The table row follows (live or after the change callback).
  await page.waitForSelector(`tr[data-id="${state.incA}"] .state-triaged`);
  // Deep link: a fresh load opens the same drawer.
  await page.reload();
  await page.waitForSelector(`.drawer[data-incident="${state.incA}"] .facts`);
  // Suppressing needs an end: without one the form says so and sends nothing.
  await page.click('.transition[data-to=suppressed]');
  await page.click('#transition-confirm');
  await page.waitForFunction(() => document.querySelector('.transition-form .field-error')?.textContent.includes('suppression ends'));
  check((await api('GET', `/incidents/${state.incA}`)).data.state === 'triaged', 'suppressed without an end');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => !document.querySelector('.drawer'));
});

test('policy: invalid value shown at its field, then a valid save adds a version', async () => {
  await page.goto(BASE + '/#/policy');
  const sel = '.field[data-path="/automation/max_actions_per_hour"]';
  await page.waitForSelector(sel + ' input');
  const before = await api('GET', '/policy');
  check(before.status === 200, `GET /policy answered ${before.status}`);
  const v0 = before.data.version;
  await page.fill(sel + ' input', '-5');
  // Validate first (nothing saved), then try to save (422): both put the problem at the field.
  await page.click('#policy-validate');
  await page.waitForSelector(sel + '.invalid .field-error:not(:empty)');
  await page.fill(sel + ' input', '-6');
  await page.click('#policy-save');
  await page.waitForFunction((s) => document.querySelector(s + ' .field-error')?.textContent && document.querySelector('.problem-box'), sel);
  const msg = await page.textContent(sel + ' .field-error');
  check(msg.length > 0, 'no message at the field');
  check(await page.getAttribute(sel + ' input', 'aria-invalid') === 'true', 'input not marked invalid');
  check((await api('GET', '/policy')).data.version === v0, 'an invalid policy was saved');
  await shot('08-policy-invalid');
  const valid = before.data.document.automation.max_actions_per_hour === 7 ? '8' : '7';
  await page.fill(sel + ' input', valid);
  await page.click('#policy-save');
  await page.waitForFunction((v) => document.querySelector('.version-line')?.textContent.includes('version ' + v), v0 + 1);
  check(!(await page.$(sel + '.invalid')), 'error still shown after a valid save');
  const after = await api('GET', '/policy');
  check(after.data.version === v0 + 1 && after.data.document.automation.max_actions_per_hour === Number(valid),
    `server has version ${after.data.version}`);
  await shot('09-policy-saved');
  await page.click('.subnav a[data-view=history]');
  await page.waitForSelector(`tr[data-version="${v0 + 1}"]`);
  await page.waitForSelector('.diff-table .diff-add');
  const diff = await page.textContent('.diff-table');
  check(diff.includes('max_actions_per_hour'), 'diff does not show the changed field');
  await shot('10-policy-history');
  // Restore the first version: saved as a new version with the old document.
  page.once('dialog', (d) => d.accept());
  await page.click(`tr[data-version="${v0}"] .row-actions button`);
  await page.waitForSelector(`tr[data-version="${v0 + 2}"]`);
  const restored = await api('GET', '/policy');
  check(restored.data.version === v0 + 2 &&
    restored.data.document.automation.max_actions_per_hour === before.data.document.automation.max_actions_per_hour,
    `restore gave version ${restored.data.version}`);
  // Load defaults replaces the draft with the environment's defaults and saves nothing.
  await page.click('.subnav a[data-view=settings]');
  await page.waitForSelector(sel + ' input');
  await page.fill(sel + ' input', '9');
  const defaults = await api('GET', '/policy/defaults?environment=' + restored.data.document.environment);
  check(defaults.status === 200, `GET /policy/defaults answered ${defaults.status}`);
  await page.click('#policy-defaults');
  await page.waitForFunction(([s, v]) => document.querySelector(s + ' input')?.value === String(v),
    [sel, defaults.data.document.automation.max_actions_per_hour]);
  check((await api('GET', '/policy')).data.version === v0 + 2, 'loading the defaults saved a version');
  if (!(await page.$eval('#policy-revert', (b) => b.disabled))) await page.click('#policy-revert');
});

test('add an operator detector rule', async () => {
  await page.goto(BASE + '/#/rules');
  await page.waitForSelector('#rule-add');
  await shot('11-rules');
  await page.click('#rule-add');
  const id = `ops.checkout_timeout_${run}`.replace(/[^a-z0-9_.]/g, '_');
  const f = (k) => `.rule-editor .field[data-path$="/${k}"] input, .rule-editor .field[data-path$="/${k}"] select`;
  await page.fill(f('id'), id);
  await page.fill(f('pattern'), 'checkout: upstream timeout after \\d+ms');
  await page.fill(f('class'), 'application_services.application_service_degraded');
  if (await page.$(f('severity'))) await page.selectOption(f('severity'), 'warning');
  await page.fill('#rule-test-line', '2026-11-27 ERROR checkout: upstream timeout after 3000ms (cart)');
  await page.waitForSelector('.test-result .good');
  check((await page.textContent('.test-result mark')).includes('3000ms'), 'test did not mark the match');
  await shot('12-rule-editor');
  await page.click('#rule-save');
  await page.waitForSelector(`tr[data-rule="${id}"]`);
  const pol = await api('GET', '/policy');
  check(pol.data.document.detector_rules.some((r) => r.id === id), 'rule not in the saved policy');
  await shot('13-rules-added');
  // A built-in rule: only `enabled` may change (demo posture allows disabling).
  const builtin = pol.data.document.detector_rules.find((r) => r.builtin);
  check(builtin, 'the policy has no built-in rule');
  const toggle = `tr[data-rule="${builtin.id}"] input[type=checkbox]`;
  check(!(await page.$(`tr[data-rule="${builtin.id}"] .danger`)), 'a built-in rule offers Delete');
  await page.click(toggle);
  await page.waitForSelector(`tr[data-rule="${builtin.id}"].disabled`); // drawn again after the save
  const off = await api('GET', '/policy');
  check(off.data.version === pol.data.version + 1 && off.data.document.detector_rules.find((r) => r.id === builtin.id).enabled === false,
    'disabling the built-in rule was not saved');
  await page.click(toggle);
  await page.waitForSelector(`tr[data-rule="${builtin.id}"]:not(.disabled) input:checked`);
  // enabled again on the server, as one more version (not only on the screen)
  const on = await api('GET', '/policy');
  check(on.data.version === off.data.version + 1 &&
    on.data.document.detector_rules.find((r) => r.id === builtin.id).enabled === true,
    `re-enabling the built-in rule was not saved (version ${on.data.version})`);
});

test('sources page lists the running sources', async () => {
  await page.goto(BASE + '/#/sources');
  await page.waitForSelector('.sources-body > *:not(.loading)');
  // the daemon runs its sources (the host checks at least): the page lists
  // every one the API lists, with its state, and shows no error
  // (a source may change state while the page loads: the page must show the
  // state the API gave just before or just after it)
  const r = await api('GET', '/sources');
  check(r.status === 200 && r.data.items.length > 0, `GET /sources: ${r.status}, ${JSON.stringify(r.data)}`);
  await page.reload();
  for (const s of r.data.items)
    await page.waitForSelector(`.sources-body tr[data-source="${s.id}"]`);
  const r2 = await api('GET', '/sources');
  for (const s of r.data.items) {
    const later = r2.data.items.find((x) => x.id === s.id);
    const state = await page.textContent(`.sources-body tr[data-source="${s.id}"] td:nth-child(3)`);
    check(state.includes(s.state) || (later && state.includes(later.state)),
      `source ${s.id}: the page shows "${state}", the API "${s.state}"`);
  }
  check(!(await page.$('.sources-body .error')), 'the sources page shows an error');
  await shot('16-sources');
});

test('channels page: health, last delivery, and a test message in both themes', async () => {
  await page.goto(BASE + '/#/channels');
  await page.waitForSelector('.channels-body > *:not(.loading)');
  const r = await api('GET', '/channels');
  check(r.status === 200 && r.data.items.length > 0, `GET /channels: ${r.status}, ${JSON.stringify(r.data)}`);
  for (const c of r.data.items)
    await page.waitForSelector(`.channels-body tr[data-channel="${c.id}"]`);
  const inapp = r.data.items.find((c) => c.provider === 'inapp');
  check(inapp, 'no in-app channel listed');
  const row = `.channels-body tr[data-channel="${inapp.id}"]`;
  const before = inapp.sent;
  await page.click(`${row} button.test-send`);
  await page.waitForSelector('.toast-success');
  // the worker delivers it: the API and then the page show one more sent, health ok
  let after = null;
  for (let i = 0; i < 100 && !(after && after.sent > before); i++) {
    await page.waitForTimeout(100);
    after = (await api('GET', '/channels')).data.items.find((c) => c.id === inapp.id);
  }
  check(after.sent === before + 1 && after.health === 'ok' && after.last_delivery_at,
    `after the test: ${JSON.stringify(after)}`);
  await page.reload();
  await page.waitForSelector(`${row} td:nth-child(3)`);
  check((await page.textContent(`${row} td:nth-child(3)`)).includes('ok'), 'health not shown as ok');
  check(Number(await page.textContent(`${row} td:nth-child(5)`)) === after.sent, 'sent count not shown');
  const inbox = await api('GET', '/notifications', undefined);
  check(inbox.data.items.some((n) => n.kind === 'test' && n.channel === inapp.id), 'the test message is not in the inbox');
  check(!(await page.$('.channels-body .error')), 'the channels page shows an error');
  await shot('24-channels');
  await page.click('.top .theme-toggle');
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'theme did not switch');
  await page.waitForSelector(`${row} button.test-send`);
  await shot('25-channels-dark');
  await page.click('.top .theme-toggle');
  check(await page.evaluate(() => document.documentElement.dataset.theme) !== 'dark', 'theme did not switch back');
  // an unknown channel is 404 for the API, a viewer may not send (403)
  check((await api('POST', '/channels/no-such-channel/test', {})).status === 404, 'unknown channel not 404');
});

test('sorting, paging with next_cursor, and the time range', async () => {
  // 55 incidents from one source: a full page of 50 and a second of 5.
  const src = `bulk-${run}`;
  const batch = Array.from({ length: 55 }, (_, i) => ({
    source: src, class: 'async_workloads.queue_backlog', correlation_key: `queue-${i}:${run}`,
    severity: ['info', 'warning', 'high', 'critical'][i % 4], status: 'firing', summary: `Queue ${i} backlog (${run})`,
  }));
  const r = await api('POST', '/findings', batch);
  check(r.status === 200 && r.data.items.length === 55, `bulk POST answered ${r.status}`);
  await page.goto(BASE + `/#/incidents?source=${src}&sort=-severity`);
  await page.waitForSelector('table.incidents tbody tr');
  check(await page.$$eval('table.incidents tbody tr', (t) => t.length) === 50, 'first page is not 50 rows');
  const first = await page.textContent('table.incidents tbody tr td:nth-child(2)');
  check(first === 'critical', `-severity starts with ${first}`);
  await page.click('th[aria-sort] button:has-text("Severity")');
  await page.waitForFunction(() => location.hash.includes('sort=severity'));
  await page.waitForFunction(() => document.querySelector('table.incidents tbody tr td:nth-child(2)')?.textContent === 'info');
  await page.click('.pager button:has-text("Next")');
  await page.waitForFunction(() => document.querySelectorAll('table.incidents tbody tr').length === 5);
  const ids1 = await page.$$eval('table.incidents tbody tr', (t) => t.map((x) => x.dataset.id));
  await shot('17-paged');
  await page.click('.pager button:has-text("Previous")');
  await page.waitForFunction(() => document.querySelectorAll('table.incidents tbody tr').length === 50);
  const ids0 = await page.$$eval('table.incidents tbody tr', (t) => t.map((x) => x.dataset.id));
  check(!ids1.some((id) => ids0.includes(id)), 'pages overlap');
  // A custom range in the future matches nothing: the empty state says so.
  const future = new Date(Date.now() + 86400e3).toISOString();
  await page.goto(BASE + `/#/incidents?source=${src}&range=custom&since=${encodeURIComponent(future)}`);
  await page.waitForSelector('.workspace .state.empty');
  check((await page.textContent('.workspace .state.empty')).includes('match'), 'no "no match" empty state');
});

test('dark theme and narrow layout render', async () => {
  await page.goto(BASE + '/#/incidents');
  await page.waitForSelector('table.incidents');
  await page.click('.top .theme-toggle');
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark', 'theme did not switch');
  await shot('14-incidents-dark');
  await page.goto(BASE + `/#/incidents/${state.incA}`);
  await page.waitForSelector(`.drawer[data-incident="${state.incA}"] .facts`);
  await page.click('[role=tab][data-tab=signals]');
  await page.waitForSelector('.evidence svg.spark');
  await shot('15-drawer-dark');
  await page.keyboard.press('Escape');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `page overflows horizontally by ${overflow}px`);
  await shot('18-narrow');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.click('#signout');
  await page.waitForSelector('form.signin-card');
  check(await page.evaluate(() => !sessionStorage.getItem('srebot.token')), 'token kept after sign-out');
});

// ---------------------------------------------------------------- remediation
const OUTAGE = 'runtime_services.runtime_dependency_outage';
async function outageFinding(key) {
  const r = await api('POST', '/findings', {
    source: 'e2e', class: OUTAGE, correlation_key: key, severity: 'high', status: 'firing',
    summary: 'dependency down ' + key,
    attributes: { namespace: 'shop', workload_kind: 'Deployment', workload: key },
  });
  check(r.status === 200 || r.status === 201, `finding answered ${r.status}`);
  return r.data.items[0].incident_id;
}
async function pendingFor(incident) {
  for (let i = 0; i < 150; i++) {
    const r = await api('GET', `/approvals?state=pending&incident=${incident}`);
    if (r.status === 200 && r.data.items.length) return r.data.items[0];
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no pending approval for incident ${incident}`);
}
const navCount = async () => Number((await page.textContent('.nav a[data-page="approvals"] .nav-count')) || 0);

test('actions tab: decisions with reasons and an attempt awaiting approval', async () => {
  const inc = await outageFinding('e2e-db-' + run);
  const req = await pendingFor(inc);
  state.remedInc = inc;
  state.remedReq = req.id;
  await page.goto(BASE + '/');
  await page.waitForSelector('form.signin-card');
  await page.fill('#token', TOKEN);
  await page.click('form.signin-card button[type=submit]');
  await page.waitForSelector('.top .who');
  await page.goto(BASE + `/#/incidents/${inc}`);
  await page.click('.drawer [data-tab="actions"]');
  await page.waitForSelector(`.actions-tab tr[data-attempt="${req.attempt_id}"][data-state="awaiting_approval"]`);
  await page.waitForSelector('.actions-tab li.decision[data-mode="auto"]');
  await page.waitForSelector('.actions-tab li.decision[data-mode="approval"]');
  const text = await page.textContent('.actions-tab ol.decisions');
  check(text.includes('approval_required') && text.includes('rollout_restart'), 'decision reason not shown');
  check(!!(await page.$(`.actions-tab [data-approval="${req.id}"] .approve`)), 'no approve button for an admin');
  await shot('19-actions-tab');
});

test('approvals inbox: approve from the inbox and see the state change live', async () => {
  await page.goto(BASE + '/#/approvals');
  const row = `.approvals-page tr[data-approval="${state.remedReq}"]`;
  await page.waitForSelector(row);
  await page.waitForFunction(() => Number(document.querySelector('.nav a[data-page="approvals"] .nav-count')?.textContent || 0) >= 1);
  const before = await navCount();
  await shot('20-approvals-inbox');
  await page.click(row + ' .approve');
  // the pending list and the count follow without a reload
  await page.waitForSelector(row, { state: 'detached' });
  await page.waitForFunction((n) => Number(document.querySelector('.nav a[data-page="approvals"] .nav-count')?.textContent || 0) === n - 1
    || (n === 1 && document.querySelector('.nav a[data-page="approvals"] .nav-count')?.hidden), before);
  const done = await api('GET', `/approvals/${state.remedReq}`);
  check(done.data.state === 'approved', `request is ${done.data.state}`);
  check(done.data.votes[0].channel === 'console', `vote channel ${done.data.votes[0].channel}`);
  // a new request made elsewhere appears live; a rejection elsewhere removes it live
  const inc2 = await outageFinding('e2e-cache-' + run);
  const req2 = await pendingFor(inc2);
  await page.waitForSelector(`.approvals-page tr[data-approval="${req2.id}"]`);
  await shot('21-approvals-live');
  const rej = await api('POST', `/approvals/${req2.id}/reject`, { reason: 'e2e: not now' });
  check(rej.status === 200, `reject answered ${rej.status}`);
  await page.waitForSelector(`.approvals-page tr[data-approval="${req2.id}"]`, { state: 'detached' });
  // the rejected tab lists it with its state
  await page.click('.approvals-page .subnav a[data-state="rejected"]');
  await page.waitForSelector(`.approvals-page tr[data-approval="${req2.id}"][data-state="rejected"]`);
  // the drawer's Actions tab shows the approved request's attempt moved on
  await page.goto(BASE + `/#/incidents/${state.remedInc}`);
  await page.click('.drawer [data-tab="actions"]');
  await page.waitForSelector(`.actions-tab tr[data-attempt="${done.data.attempt_id}"]:not([data-state="awaiting_approval"])`);
  await shot('22-actions-after-approval');
  await page.keyboard.press('Escape');
  await page.waitForSelector('.drawer', { state: 'detached' });
  await page.click('#signout');
  await page.waitForSelector('form.signin-card');
});

test('policy: simulate a stricter draft before saving', async () => {
  await page.goto(BASE + '/');
  await page.waitForSelector('form.signin-card');
  await page.fill('#token', TOKEN);
  await page.click('form.signin-card button[type=submit]');
  await page.waitForSelector('.top .who');
  await page.goto(BASE + '/#/policy');
  await page.waitForSelector('#policy-json');
  const cur = await api('GET', '/policy');
  const stricter = structuredClone(cur.data.document);
  stricter.automation.enabled = false; // the kill switch: only notify would run
  await page.fill('#policy-json', JSON.stringify(stricter, null, 2));
  await page.waitForFunction(() => !document.querySelector('#policy-save').disabled);
  await page.click('#policy-simulate');
  await page.waitForSelector('.sim-result');
  const differing = Number(await page.getAttribute('.sim-result', 'data-differing'));
  check(differing >= 1, `simulation shows ${differing} differing incidents`);
  const table = await page.textContent('.sim-result table');
  check(table.includes('automation_disabled'), 'the draft\'s denials are not shown');
  await shot('23-policy-simulate');
  check((await api('GET', '/policy')).data.version === cur.data.version, 'simulating saved a version');
  await page.click('#policy-revert');
  await page.click('#signout');
  await page.waitForSelector('form.signin-card');
});

test('admin: a token is created (shown once), revoked, and both are in the audit log', async () => {
  await page.goto(BASE + '/');
  await page.waitForSelector('form.signin-card');
  await page.fill('#token', TOKEN);
  await page.click('form.signin-card button[type=submit]');
  await page.waitForSelector('.top .who');
  await page.goto(BASE + '/#/admin');
  await page.waitForSelector('#token-create');
  await page.fill('#token-name', 'e2e-robot');
  await page.selectOption('#token-role', 'operator');
  await page.click('#token-create');
  await page.waitForSelector('#new-token');
  const tok = (await page.textContent('#new-token')).trim();
  check(/^srb_[0-9a-f]{64}$/.test(tok), `shown token ${tok.slice(0, 8)}… has the wrong form`);
  await page.waitForSelector('tr[data-token="e2e-robot"][data-state="active"]');
  // the shown token works against the API
  const who = await fetch(BASE + '/api/v1/whoami', { headers: { Authorization: 'Bearer ' + tok } });
  check(who.status === 200, `the new token answered ${who.status}`);
  await shot('27-admin-tokens');
  page.once('dialog', (d) => d.accept());
  await page.click('tr[data-token="e2e-robot"] button');
  await page.waitForSelector('tr[data-token="e2e-robot"][data-state="revoked"]');
  const after = await fetch(BASE + '/api/v1/whoami', { headers: { Authorization: 'Bearer ' + tok } });
  check(after.status === 401, `a revoked token answered ${after.status}`);
  await page.click('.subnav a[data-view=audit]');
  await page.fill('.audit-filters input[name=subject]', 'token/e2e-robot');
  await page.click('.audit-filters button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('table.audit-log tbody tr').length === 2);
  const actions = await page.$$eval('table.audit-log tbody tr td:nth-child(4)', (tds) => tds.map((t) => t.textContent));
  check(actions[0] === 'token.revoked' && actions[1] === 'token.created', `audit shows ${actions}`);
  await page.click('#audit-verify');
  await page.waitForSelector('.audit-verdict p.ok');
  await page.click('.top .theme-toggle');
  await shot('28-admin-audit');
  await page.click('.top .theme-toggle');
  await page.click('#signout');
  await page.waitForSelector('form.signin-card');
});

test('a viewer sees no write controls, and the server refuses its writes', async () => {
  const viewer = process.env.SREBOT_VIEWER_TOKEN;
  check(viewer, 'SREBOT_VIEWER_TOKEN not given');
  await page.goto(BASE + '/');
  await page.waitForSelector('form.signin-card');
  await page.fill('#token', viewer);
  await page.click('form.signin-card button[type=submit]');
  await page.waitForSelector('.top .role-viewer');
  await page.goto(BASE + `/#/incidents/${state.incA}`);
  await page.waitForSelector(`.drawer[data-incident="${state.incA}"] .transitions`);
  check(!(await page.$('.transition-form')), 'viewer sees transition buttons');
  await shot('17-viewer-drawer');
  await page.goto(BASE + '/#/policy');
  await page.waitForSelector('.field[data-path="/automation/max_actions_per_hour"] input');
  check(!(await page.$('#policy-save')), 'viewer sees Save');
  check(await page.isDisabled('.field[data-path="/automation/max_actions_per_hour"] input'), 'policy input editable for a viewer');
  await page.goto(BASE + '/#/rules');
  await page.waitForSelector('.rules-section');
  check(!(await page.$('#rule-add')), 'viewer sees Add rule');
  const r = await fetch(BASE + `/api/v1/incidents/${state.incA}/transitions`, {
    method: 'POST', headers: { Authorization: 'Bearer ' + viewer, 'Content-Type': 'application/json' },
    body: JSON.stringify({ to: 'resolved', reason: 'viewer attempt' }),
  });
  check(r.status === 403, `viewer transition answered ${r.status}`);
  await page.goto(BASE + '/#/channels');
  await page.waitForSelector('.channels-body tr[data-channel]');
  check(!(await page.$('.channels-body button.test-send')), 'viewer sees Send test message');
  const t = await fetch(BASE + '/api/v1/channels/inapp/test', {
    method: 'POST', headers: { Authorization: 'Bearer ' + viewer, 'Content-Type': 'application/json' }, body: '{}',
  });
  check(t.status === 403, `viewer test message answered ${t.status}`);
  await page.click('#signout');
  await page.waitForSelector('form.signin-card');
});

test('no script errors or CSP violations', async () => {
  check(pageErrors.length === 0, pageErrors.join('\n'));
});

// ---------------------------------------------------------------- runner

let passed = 0;
let failed = 0;
for (const t of tests) {
  const t0 = Date.now();
  try {
    await t.fn();
    passed++;
    console.log(`ok   ${t.name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${t.name}: ${e.message.split('\n').slice(0, 6).join('\n     ')}`);
    await shot('fail-' + t.name.replace(/\W+/g, '-')).catch(() => {});
  }
}
await context.close();
fs.rmSync(userDir, { recursive: true, force: true });
console.log(`screenshots: ${ART}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
