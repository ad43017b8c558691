// Policy reads and writes shared by the settings and detector-rules pages:
// the current version with its ETag, optimistic-concurrency saves, and the
// problem list of a rejected document.

import * as api from './api.js';

// -> {version, author, created_at, document, etag} or null when none is saved.
export async function loadPolicy() {
  try {
    const r = await api.request('GET', '/policy');
    const p = r.data || {};
    return { ...p, etag: r.etag || `"${p.version}"` };
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}

// PUT with If-Match. Resolves to the new version; rejects with an ApiError
// whose .problems holds [{path, code, reason}] for 422 answers.
export async function savePolicy(doc, etag) {
  try {
    const r = await api.request('PUT', '/policy', { body: doc, headers: { 'If-Match': etag || '"0"' } });
    const p = r.data || {};
    return { ...p, etag: r.etag || `"${p.version}"` };
  } catch (e) {
    e.problems = e.details.map(normProblem);
    if (e.status === 412) e.message = 'Someone saved a newer version meanwhile. Reload to see it, then apply your change again.';
    throw e;
  }
}

export async function validatePolicy(doc) {
  const r = await api.post('/policy/validate', doc);
  return { valid: !!r.valid, problems: (r.problems || []).map(normProblem) };
}

function normProblem(p) {
  return { path: p.path || '', code: p.code || '', reason: p.reason || p.message || p.code || 'invalid' };
}

// JSON Pointer (RFC 6901) helpers.
export function pointerParts(ptr) {
  if (!ptr || ptr === '/') return ptr === '/' ? [''] : [];
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}
export function pointer(parts) {
  return parts.length ? '/' + parts.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/') : '';
}
export function getAt(doc, parts) {
  let v = doc;
  for (const p of parts) {
    if (v === null || typeof v !== 'object') return undefined;
    v = v[p];
  }
  return v;
}
export function setAt(doc, parts, value) {
  let v = doc;
  for (const p of parts.slice(0, -1)) v = v[p];
  v[parts[parts.length - 1]] = value;
}

// JSON with sorted keys, so that two versions diff by content, not key order.
export function stableStringify(v, indent = 2) {
  const sort = (x) => {
    if (Array.isArray(x)) return x.map(sort);
    if (x && typeof x === 'object')
      return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort(x[k])]));
    return x;
  };
  return JSON.stringify(sort(v), null, indent);
}
