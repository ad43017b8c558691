// Development only (never shipped, never used by the committed tests): a tiny
// in-memory imitation of the agreed /api/v1 shapes (prompts/api.md) serving
// ../../web, so the console can be worked on before the real API lands.
//   node tests/e2e/fake-server.mjs [port]   token: "admin-token" (admin), "view-token" (viewer)
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');
const port = Number(process.argv[2] || 8099);
const TOKENS = { 'admin-token': { name: 'env:IF_SRE_ADMIN_TOKEN', role: 'admin' }, 'view-token': { name: 'viewer-1', role: 'viewer' } };
const TRANS = {
  observed: ['triaged', 'contained', 'escalated', 'suppressed', 'resolved'],
  triaged: ['contained', 'escalated', 'suppressed', 'resolved'],
  contained: ['recovering', 'escalated', 'resolved'],
  recovering: ['resolved', 'observed'], escalated: ['triaged', 'contained', 'resolved'],
  suppressed: ['observed', 'resolved'], resolved: ['observed'],
};
const SEV = { info: 0, warning: 1, high: 2, critical: 3 };
const now = () => new Date().toISOString();
const incidents = [];
const timeline = new Map();
let seq = 0;
const clients = new Set();
const versions = [{
  version: 1, author: 'bootstrap', created_at: now(), document: {
    environment: 'demo',
    automation: { enabled: true, dry_run: false, max_actions_per_hour: 20, attempt_budget: 3,
      cooldown_seconds: { default: 600, notify: 300 },
      approval: { required_for: ['rollout_restart', 'cordon_node'], expiry_seconds: 3600, approvers_required: 1, allow_self_approval: true } },
    allowlists: { cronjobs: [{ namespace: 'batch', name: 'report' }], workloads: [], protected_namespaces: ['kube-system', 'kube-public', 'kube-node-lease'] },
    channels: [{ id: 'inapp', provider: 'inapp', enabled: true, settings: {} },
      { id: 'ops-slack', provider: 'slack', enabled: false, settings: { channel: '#ops', token: { secret_ref: { env: 'IF_SRE_SECRET_SLACK_TOKEN' } } } }],
    routing: { rules: [{ severities: ['critical'], channels: ['ops-slack'] }], fallback: 'inapp' },
    detector_learning_mode: 'suggest',
    detector_rules: [{ id: 'builtin.go_panic', builtin: true, enabled: true, kind: 'log_signature', pattern: 'panic: |goroutine \\d+ \\[running\\]',
      class: 'application_services.panic_detected', severity: 'high', key_template: '{source}:{rule}', window_seconds: 300, threshold: 1 }],
    thresholds: { cpu_percent: 90, memory_percent: 90, disk_percent: 85 },
  },
}];

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const err = (res, status, code, message, details = []) => send(res, status, { error: { code, message, details } });
function emit(type, inc) {
  seq++;
  const env = { id: 'evt_' + seq, type, time: now(), subject: 'incident/' + inc.id, data: inc };
  for (const c of clients) c.write(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(env)}\n\n`);
}
function tl(id, kind, actor, reason, data = {}) {
  if (!timeline.has(id)) timeline.set(id, []);
  timeline.get(id).push({ id: timeline.get(id).length + 1, at: now(), actor, kind, reason, data });
}
function validate(doc) {
  const p = [];
  const mph = doc?.automation?.max_actions_per_hour;
  if (typeof mph !== 'number' || mph < 0 || mph > 1000) p.push({ path: '/automation/max_actions_per_hour', code: 'range', reason: 'must be between 0 and 1000' });
  if (!['demo', 'staging', 'production'].includes(doc.environment)) p.push({ path: '/environment', code: 'enum', reason: 'must be demo, staging or production' });
  (doc.detector_rules || []).forEach((r, i) => {
    if (!/^[a-z0-9_.-]{1,64}$/.test(r.id || '')) p.push({ path: `/detector_rules/${i}/id`, code: 'format', reason: 'must be 1-64 of a-z 0-9 _ . -' });
    try { new RegExp(r.pattern); } catch { p.push({ path: `/detector_rules/${i}/pattern`, code: 'pattern', reason: 'does not compile' }); }
  });
  return p;
}
function body(req) {
  return new Promise((resolve) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => { try { resolve(b ? JSON.parse(b) : null); } catch { resolve(undefined); } }); });
}

http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  if (!p.startsWith('/api/')) {
    const f = path.join(webRoot, p === '/' ? 'index.html' : path.normalize(p));
    if (!f.startsWith(webRoot) || !fs.existsSync(f) || fs.statSync(f).isDirectory()) return err(res, 404, 'not_found', 'no such file');
    const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
    res.writeHead(200, { 'Content-Type': types[path.extname(f)] || 'application/octet-stream', 'Content-Security-Policy': "default-src 'self'" });
    return res.end(fs.readFileSync(f));
  }
  const tok = (req.headers.authorization || '').replace(/^Bearer /, '') || (p === '/api/v1/events' ? url.searchParams.get('access_token') : '');
  const who = TOKENS[tok];
  if (!who) return err(res, 401, 'unauthorized', 'missing or invalid token');
  const m = (re) => re.exec(p);
  let r;
  if (p === '/api/v1/whoami') return send(res, 200, who);
  if (p === '/api/v1/meta') return send(res, 200, { event_types: ['sre.finding.observed', 'sre.incident.opened', 'sre.incident.state_changed', 'sre.incident.resolved', 'sre.evidence.added'], incident_states: Object.keys(TRANS), severities: Object.keys(SEV).reverse() });
  if (p === '/api/v1/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write(': hello\n\n');
    clients.add(res);
    req.on('close', () => clients.delete(res));
    return;
  }
  if (p === '/api/v1/findings' && req.method === 'POST') {
    const b = await body(req);
    const items = (Array.isArray(b) ? b : [b]).map((f, index) => {
      let inc = incidents.find((i) => i.class === f.class && i.correlation_key === f.correlation_key && i.state !== 'resolved');
      let outcome = 'folded';
      if (!inc) {
        inc = { id: incidents.length + 1, class: f.class, domain: f.class.split('.')[0], correlation_key: f.correlation_key, state: 'observed',
          severity: f.severity, summary: f.summary, source: f.source, finding_count: 0, first_seen: now(), last_seen: now(), updated_at: now(),
          suppressed_until: null, evidence: [], findings: [] };
        incidents.push(inc);
        outcome = 'opened';
        tl(inc.id, 'opened', f.source, f.summary);
      } else tl(inc.id, 'finding_folded', f.source, f.summary);
      inc.finding_count++;
      inc.last_seen = inc.updated_at = now();
      if (SEV[f.severity] > SEV[inc.severity]) inc.severity = f.severity;
      inc.findings.unshift({ id: f.id || 'f' + Math.random().toString(36).slice(2), source: f.source, severity: f.severity, status: f.status, summary: f.summary, observed_at: now(), attributes: f.attributes || {} });
      for (const e of f.evidence || []) inc.evidence.push({ id: inc.evidence.length + 1, ...e, hash: 'ab12cd34ef56ab12cd34ef56', created_at: now(), source: f.source });
      emit(outcome === 'opened' ? 'sre.incident.opened' : 'sre.finding.observed', inc);
      return { index, finding_id: 'f', incident_id: inc.id, outcome };
    });
    return send(res, 200, { items });
  }
  if (p === '/api/v1/sources') return send(res, 200, { items: [
    { id: 'host', kind: 'host', state: 'ok', last_run: now(), last_error: null, runs: 42, failures: 0, findings: 1 },
    { id: 'registry-probe', kind: 'probe', state: 'failing', last_run: now(), last_error: 'connect 10.0.0.5:5000: connection refused', runs: 12, failures: 3, findings: 3 }] });
  if (p === '/api/v1/incidents/counts') {
    const c = { by_state: {}, by_class: {}, by_severity: {}, total: incidents.length };
    for (const i of incidents) { c.by_state[i.state] = (c.by_state[i.state] || 0) + 1; c.by_class[i.class] = (c.by_class[i.class] || 0) + 1; c.by_severity[i.severity] = (c.by_severity[i.severity] || 0) + 1; }
    return send(res, 200, c);
  }
  if (p === '/api/v1/incidents') {
    const q = Object.fromEntries(url.searchParams);
    let items = incidents.filter((i) => (!q.state || i.state === q.state) && (!q.severity || i.severity === q.severity) && (!q.class || i.class === q.class)
      && (!q.domain || i.domain === q.domain) && (!q.source || i.source === q.source) && (!q.q || (i.summary + i.correlation_key).includes(q.q))
      && (!q.since || i.last_seen >= q.since) && (!q.until || i.last_seen <= q.until));
    const s = (q.sort || '-last_seen');
    const k = s.replace('-', '');
    items.sort((a, b) => (k === 'severity' ? SEV[a.severity] - SEV[b.severity] : a[k] < b[k] ? -1 : a[k] > b[k] ? 1 : a.id - b.id) * (s[0] === '-' ? -1 : 1));
    const off = Number(q.cursor || 0);
    const lim = Number(q.limit || 50);
    const page = items.slice(off, off + lim).map(({ evidence, findings, ...x }) => x);
    return send(res, 200, { items: page, next_cursor: off + lim < items.length ? String(off + lim) : null });
  }
  if ((r = m(/^\/api\/v1\/incidents\/(\d+)$/))) {
    const inc = incidents[Number(r[1]) - 1];
    if (!inc) return err(res, 404, 'not_found', 'no such incident');
    return send(res, 200, { ...inc, allowed_transitions: TRANS[inc.state] });
  }
  if ((r = m(/^\/api\/v1\/incidents\/(\d+)\/timeline$/))) return send(res, 200, { items: timeline.get(Number(r[1])) || [] });
  if ((r = m(/^\/api\/v1\/incidents\/(\d+)\/transitions$/))) {
    const inc = incidents[Number(r[1]) - 1];
    const b = await body(req);
    if (who.role === 'viewer') return err(res, 403, 'forbidden', 'operator only');
    if (!TRANS[inc.state].includes(b.to)) return err(res, 409, 'conflict', `cannot go from ${inc.state} to ${b.to}`, [{ path: '/to', reason: 'allowed: ' + TRANS[inc.state].join(', ') }]);
    tl(inc.id, 'state_changed', who.name, b.reason, { from: inc.state, to: b.to });
    inc.state = b.to;
    inc.updated_at = now();
    emit('sre.incident.state_changed', inc);
    return send(res, 200, { ...inc, allowed_transitions: TRANS[inc.state] });
  }
  const cur = versions[versions.length - 1];
  if (p === '/api/v1/policy' && req.method === 'GET') return send(res, 200, cur, { ETag: `"${cur.version}"` });
  if (p === '/api/v1/policy' && req.method === 'PUT') {
    if (who.role !== 'admin') return err(res, 403, 'forbidden', 'admin only');
    if (!req.headers['if-match']) return err(res, 428, 'precondition_required', 'If-Match required');
    if (req.headers['if-match'] !== `"${cur.version}"`) return err(res, 412, 'precondition_failed', 'stale');
    const doc = await body(req);
    const probs = validate(doc);
    if (probs.length) return err(res, 422, 'validation_failed', 'policy is invalid', probs);
    const v = { version: cur.version + 1, author: who.name, created_at: now(), document: doc };
    versions.push(v);
    return send(res, 200, v, { ETag: `"${v.version}"` });
  }
  if (p === '/api/v1/policy/validate') {
    const probs = validate(await body(req));
    return send(res, 200, { valid: !probs.length, problems: probs });
  }
  if (p === '/api/v1/policy/versions') return send(res, 200, { items: versions.map(({ document, ...v }) => v).reverse() });
  if ((r = m(/^\/api\/v1\/policy\/versions\/(\d+)$/))) {
    const v = versions[Number(r[1]) - 1];
    return v ? send(res, 200, v) : err(res, 404, 'not_found', 'no such version');
  }
  return err(res, 404, 'not_found', 'no route');
}).listen(port, '127.0.0.1', () => console.log(`fake srebot on http://127.0.0.1:${port}`));
