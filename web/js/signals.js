// Evidence views: metric snapshots as numbers plus a small inline SVG chart,
// log excerpts with the matching part marked, everything else as JSON.
// The accepted data shapes are documented in docs/console.md; unknown shapes
// fall back to the raw JSON, so a new source never breaks the drawer.

import { h, fmtTime, humanize } from './dom.js';

export function renderEvidence(ev) {
  const view = VIEWS[ev.type] || rawView;
  let body;
  try {
    body = view(ev.data ?? null);
  } catch {
    body = rawView(ev.data);
  }
  return h('article', { class: 'evidence ev-' + ev.type, dataset: { type: ev.type } },
    h('header',
      h('span.ev-type', humanize(ev.type || 'evidence')),
      h('span.ev-summary', ev.summary || ''),
      h('span.ev-meta', ev.source ? ev.source + ' · ' : '', fmtTime(ev.created_at))),
    body,
    ev.hash ? h('footer.ev-hash', { title: 'SHA-256 of the evidence' }, 'sha256 ' + String(ev.hash).slice(0, 16) + '…') : null);
}

function rawView(d) {
  return h('pre.json.small', JSON.stringify(d, null, 2));
}

// ---- metric snapshots

const SERIES_KEYS = ['samples', 'values', 'series', 'points', 'window'];

// Turns [1,2], [[t,v]], [{t,v}], [{ts,value}] into [{t, v}] (t may be null).
export function toPoints(arr) {
  if (!Array.isArray(arr)) return [];
  const pts = [];
  arr.forEach((p, i) => {
    let t = i;
    let v = null;
    if (typeof p === 'number') v = p;
    else if (Array.isArray(p) && p.length >= 2) [t, v] = [p[0], Number(p[1])];
    else if (p && typeof p === 'object') {
      v = Number(p.v ?? p.value ?? p.y);
      t = p.t ?? p.ts ?? p.time ?? p.at ?? p.x ?? i;
    }
    if (typeof t === 'string') t = Date.parse(t);
    if (Number.isFinite(v)) pts.push({ t: Number(t), v });
  });
  return pts;
}

function fmtBytes(v) {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toFixed(i ? 1 : 0))} ${u[i]}`;
}

// Unit from the field name where the sources follow a convention.
function fmtField(k, v, unit) {
  if (typeof v !== 'number') return String(v);
  if (/_bytes$/.test(k)) return fmtBytes(v);
  if (/_percent$/.test(k)) return `${Number(v.toFixed(1))}%`;
  if (/_ms$/.test(k)) return v >= 10000 ? `${Number((v / 1000).toFixed(1))} s` : `${v} ms`;
  if (/_seconds$/.test(k)) return `${v} s`;
  return fmtNum(v, k === 'value' || k === 'threshold' ? unit : '');
}

function fmtNum(v, unit) {
  if (typeof v !== 'number') return String(v);
  const abs = Math.abs(v);
  const s = abs >= 1e6 || (abs > 0 && abs < 0.01) ? v.toExponential(2) : Number(v.toFixed(abs >= 100 ? 0 : 2)).toString();
  return unit ? `${s} ${unit}` : s;
}

function metricView(d) {
  if (!d || typeof d !== 'object') return rawView(d);
  const unit = typeof d.unit === 'string' ? d.unit : '';
  // The server stores data with sorted keys; show the value and threshold first.
  const rank = (k) => (k === 'value' ? 0 : k === 'threshold' ? 1 : 2);
  const nums = Object.entries(d).filter(([, v]) => typeof v === 'number').sort((a, b) => rank(a[0]) - rank(b[0]));
  let series = null;
  for (const k of SERIES_KEYS) {
    if (Array.isArray(d[k])) {
      // series may be [{name, points}] (several lines) or a flat list.
      if (d[k].length && d[k][0] && typeof d[k][0] === 'object' && Array.isArray(d[k][0].points))
        series = d[k].map((s) => ({ name: s.name || '', pts: toPoints(s.points) }));
      else series = [{ name: d.metric || d.name || '', pts: toPoints(d[k]) }];
      break;
    }
  }
  const label = d.metric || d.name || d.query || '';
  return h('div.metric',
    label ? h('div.metric-name', h('code', label)) : null,
    nums.length ? h('dl.metric-nums', nums.map(([k, v]) => [h('dt', humanize(k)),
      h('dd', { class: k === 'value' ? 'metric-value' : '' }, fmtField(k, v, unit))])) : null,
    series && series.some((s) => s.pts.length > 1) ? sparkline(series, Number(d.threshold)) : null,
    labelsView(d.labels));
}

function labelsView(l) {
  if (!l || typeof l !== 'object') return null;
  return h('div.attrs', Object.entries(l).map(([k, v]) => h('span.attr', h('span.k', k), '=', h('span.v', String(v)))));
}

// A small chart: one polyline per series, a dashed threshold line, min/max labels.
export function sparkline(series, threshold, W = 320, H = 72) {
  const all = series.flatMap((s) => s.pts);
  let lo = Math.min(...all.map((p) => p.v));
  let hi = Math.max(...all.map((p) => p.v));
  if (Number.isFinite(threshold)) {
    lo = Math.min(lo, threshold);
    hi = Math.max(hi, threshold);
  }
  if (hi === lo) {
    hi += 1;
    lo -= 1;
  }
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t));
  const pad = 4;
  const x = (t) => pad + (t1 === t0 ? 0 : ((t - t0) / (t1 - t0)) * (W - 2 * pad));
  const y = (v) => H - pad - ((v - lo) / (hi - lo)) * (H - 2 * pad);
  const svg = h('svg.spark', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': `Chart from ${fmtNum(lo)} to ${fmtNum(hi)}` },
  h('title', series.map((s) => s.name).filter(Boolean).join(', ') || 'metric'),
  Number.isFinite(threshold) ? h('line.spark-threshold', { x1: pad, x2: W - pad, y1: y(threshold), y2: y(threshold) }) : null,
  series.map((s, i) => h('polyline', { class: 'spark-line spark-' + (i % 4),
    points: s.pts.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ') })),
  series.map((s, i) => {
    const last = s.pts[s.pts.length - 1];
    return last ? h('circle', { class: 'spark-dot spark-' + (i % 4), cx: x(last.t), cy: y(last.v), r: 2.5 }) : null;
  }));
  return h('div.spark-wrap', svg,
    h('div.spark-scale', h('span', 'max ' + fmtNum(hi)), h('span', 'min ' + fmtNum(lo))));
}

// ---- log excerpts

// Splits text into text nodes and <mark>s for every match of re (a RegExp
// with the g flag) or of a plain substring.
export function markMatches(text, matcher) {
  const out = [];
  const s = String(text);
  if (!matcher) return [s];
  let last = 0;
  if (typeof matcher === 'string') {
    if (!matcher) return [s];
    let i = s.indexOf(matcher);
    while (i >= 0) {
      out.push(s.slice(last, i), h('mark', matcher));
      last = i + matcher.length;
      i = s.indexOf(matcher, last);
    }
  } else {
    matcher.lastIndex = 0;
    let m;
    let guard = 0;
    while ((m = matcher.exec(s)) && guard++ < 1000) {
      if (m[0] === '') {
        matcher.lastIndex++;
        continue;
      }
      out.push(s.slice(last, m.index), h('mark', m[0]));
      last = m.index + m[0].length;
    }
  }
  out.push(s.slice(last));
  return out.filter((x) => x !== '');
}

// A pattern from the server (vectorscan syntax) as a JS RegExp, or null when
// JS cannot compile it. Inline flags like (?i) at the start are honoured.
export function jsRegExp(pattern) {
  if (typeof pattern !== 'string' || !pattern) return null;
  let flags = 'g';
  let p = pattern;
  const m = /^\(\?([ims]+)\)/.exec(p);
  if (m) {
    p = p.slice(m[0].length);
    for (const f of m[1]) if (!flags.includes(f)) flags += f;
  }
  try {
    return new RegExp(p, flags);
  } catch {
    return null;
  }
}

function spansMark(text, spans) {
  const out = [];
  let last = 0;
  for (const [a, b] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (a < last || b <= a) continue;
    out.push(text.slice(last, a), h('mark', text.slice(a, b)));
    last = b;
  }
  out.push(text.slice(last));
  return out.filter((x) => x !== '');
}

function logView(d) {
  if (typeof d === 'string') d = { text: d };
  if (!d || typeof d !== 'object') return rawView(d);
  let lines = d.lines;
  if (!Array.isArray(lines)) {
    const t = d.text ?? d.excerpt ?? d.line ?? d.message;
    if (typeof t !== 'string') return rawView(d);
    lines = t.split('\n');
  }
  const re = jsRegExp(d.pattern);
  const literal = typeof d.match === 'string' ? d.match : null;
  const first = Number(d.first_line ?? d.start_line ?? NaN);
  const meta = [
    d.rule ? ['rule', d.rule] : null,
    typeof d.matches === 'number' ? ['matches', d.window_seconds ? `${d.matches} in ${d.window_seconds}s` : String(d.matches)] : null,
  ].filter(Boolean);
  return h('div.logx',
    d.file || d.path ? h('div.logx-file', h('code', d.file || d.path)) : null,
    meta.length ? h('div.attrs', meta.map(([k, v]) => h('span.attr', h('span.k', k), '=', h('span.v', v)))) : null,
    d.pattern ? h('div.logx-pattern', 'pattern ', h('code', d.pattern)) : null,
    h('pre.log', lines.map((ln, i) => {
      const o = typeof ln === 'object' && ln !== null ? ln : { text: String(ln) };
      const text = String(o.text ?? o.line ?? o.message ?? '').replace(/\n$/, '');
      const n = o.n ?? o.line_no ?? o.number ?? (Number.isFinite(first) ? first + i : null);
      let parts;
      if (Array.isArray(o.spans) && o.spans.length) parts = spansMark(text, o.spans);
      else if (literal) parts = markMatches(text, literal);
      else if (re) parts = markMatches(text, re);
      else parts = [text];
      const hit = o.match === true || o.matched === true || parts.some((p) => p instanceof Node);
      // The log scanner sends snippets (a match with its context lines) rather than single lines.
      const snippet = text.includes('\n');
      return h('span', { class: 'logline' + (hit && !snippet ? ' hit' : '') + (snippet ? ' snippet' : ''),
        title: o.file && o.file !== (d.file || d.path) ? o.file : null },
        n !== null && n !== undefined ? h('span.ln', String(n)) : null, parts, '\n');
    })));
}

function kvView(d) {
  if (!d || typeof d !== 'object' || Array.isArray(d)) return rawView(d);
  const scalars = Object.entries(d).filter(([, v]) => v === null || typeof v !== 'object');
  const rest = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== null && typeof v === 'object'));
  return h('div.kv',
    h('dl.metric-nums', scalars.map(([k, v]) => [h('dt', humanize(k)), h('dd', String(v))])),
    Object.keys(rest).length ? rawView(rest) : null);
}

const VIEWS = {
  metric_snapshot: metricView,
  log_excerpt: logView,
  probe_result: kvView,
  operator_note: (d) => (typeof d === 'string' ? h('p.note', d) : d && typeof d.text === 'string' ? h('p.note', d.text) : kvView(d)),
};

// Trends across an incident's metric snapshots: each numeric field that
// changes between snapshots becomes a small chart over the snapshot times
// (sources such as the host checks send one snapshot per report, not series).
// A "<x>_percent" field uses "level_percent" as its threshold line.
export function snapshotTrends(evidence, maxCharts = 4) {
  const snaps = evidence.filter((e) => e.type === 'metric_snapshot' && e.data && typeof e.data === 'object' && !Array.isArray(e.data))
    .map((e) => ({ t: Date.parse(e.created_at), d: e.data }))
    .filter((x) => Number.isFinite(x.t))
    .sort((a, b) => a.t - b.t);
  if (snaps.length < 2) return null;
  const keys = Object.keys(snaps[0].d).filter((k) => !/level|gap|samples|threshold|window/.test(k) &&
    snaps.every((x) => typeof x.d[k] === 'number') && new Set(snaps.map((x) => x.d[k])).size > 1);
  if (!keys.length) return null;
  return h('section.trends', h('h3', 'Trend over ', String(snaps.length), ' snapshots'),
    h('div.trend-grid', keys.slice(0, maxCharts).map((k) => {
      const last = snaps[snaps.length - 1].d;
      const thr = /_percent$/.test(k) && typeof last.level_percent === 'number' && k !== 'level_percent' ? last.level_percent : NaN;
      return h('div.trend', { dataset: { key: k } },
        h('div.trend-head', h('span', humanize(k)), h('strong', fmtField(k, last[k], ''))),
        sparkline([{ name: k, pts: snaps.map((x) => ({ t: x.t, v: x.d[k] })) }], thr, 260, 56));
    })));
}
