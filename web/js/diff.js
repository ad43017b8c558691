// Line diff for policy versions: longest common subsequence over lines, shown
// as unified hunks with context. Policy documents are bounded by the server,
// so the O(n*m) table stays small; past the cap the diff degrades to "all
// removed, all added" instead of freezing the tab.

import { h } from './dom.js';

const MAX_CELLS = 6e6;

// -> [{op: ' '|'-'|'+', text, a, b}] (a/b: 1-based line numbers or null)
export function diffLines(aText, bText) {
  const a = aText.split('\n');
  const b = bText.split('\n');
  // Strip the common prefix and suffix first: versions usually differ in a few lines.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const out = [];
  for (let i = 0; i < pre; i++) out.push({ op: ' ', text: a[i], a: i + 1, b: i + 1 });
  const n = am.length;
  const m = bm.length;
  if (n * m > MAX_CELLS) {
    am.forEach((t, i) => out.push({ op: '-', text: t, a: pre + i + 1, b: null }));
    bm.forEach((t, j) => out.push({ op: '+', text: t, a: null, b: pre + j + 1 }));
  } else {
    // L[i][j] = LCS length of am[i..] and bm[j..]
    const W = m + 1;
    const L = new Uint32Array((n + 1) * W);
    for (let i = n - 1; i >= 0; i--)
      for (let j = m - 1; j >= 0; j--)
        L[i * W + j] = am[i] === bm[j] ? L[(i + 1) * W + j + 1] + 1 : Math.max(L[(i + 1) * W + j], L[i * W + j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        out.push({ op: ' ', text: am[i], a: pre + i + 1, b: pre + j + 1 });
        i++;
        j++;
      } else if (i < n && (j >= m || L[(i + 1) * W + j] >= L[i * W + j + 1])) {
        // Removals before additions, as in a unified diff.
        out.push({ op: '-', text: am[i], a: pre + i + 1, b: null });
        i++;
      } else {
        out.push({ op: '+', text: bm[j], a: null, b: pre + j + 1 });
        j++;
      }
    }
  }
  for (let k = 0; k < suf; k++) {
    const ai = a.length - suf + k;
    const bi = b.length - suf + k;
    out.push({ op: ' ', text: a[ai], a: ai + 1, b: bi + 1 });
  }
  return out;
}

// Unified view: changed lines with `context` lines around them, gaps folded.
export function renderDiff(lines, context = 3) {
  const changed = lines.map((l) => l.op !== ' ');
  if (!changed.some(Boolean)) return h('p.muted.diff-same', 'The two versions are identical.');
  const keep = lines.map((_, i) => {
    for (let k = Math.max(0, i - context); k <= Math.min(lines.length - 1, i + context); k++)
      if (changed[k]) return true;
    return false;
  });
  const rows = [];
  let skipped = 0;
  const flush = () => {
    if (skipped) rows.push(h('tr.diff-gap', h('td', { colspan: 3 }, `⋯ ${skipped} unchanged line${skipped > 1 ? 's' : ''}`)));
    skipped = 0;
  };
  lines.forEach((l, i) => {
    if (!keep[i]) {
      skipped++;
      return;
    }
    flush();
    const cls = l.op === '+' ? 'diff-add' : l.op === '-' ? 'diff-del' : 'diff-ctx';
    rows.push(h('tr', { class: cls },
      h('td.ln', l.a ?? ''), h('td.ln', l.b ?? ''),
      h('td.diff-text', h('span.diff-op', l.op), l.text)));
  });
  flush();
  const adds = lines.filter((l) => l.op === '+').length;
  const dels = lines.filter((l) => l.op === '-').length;
  return h('div.diff',
    h('p.diff-stat', h('span.diff-add-n', `+${adds}`), ' ', h('span.diff-del-n', `−${dels}`), ' lines'),
    h('div.table-wrap', h('table.diff-table', h('tbody', rows))));
}
