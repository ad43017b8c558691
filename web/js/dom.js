// Small DOM helpers. The console builds real elements (never innerHTML with
// data), so server text can never become markup, and nothing needs an inline
// script or style attribute that the Content-Security-Policy would block.

// h('div.card#id', {onclick, class, dataset, ...}, child, [children], 'text')
export function h(tag, attrs, ...children) {
  let name = tag;
  const classes = [];
  let id = null;
  const m = tag.match(/^([a-z0-9-]+)?((?:[.#][\w-]+)*)$/i);
  if (m) {
    name = m[1] || 'div';
    for (const part of (m[2] || '').match(/[.#][\w-]+/g) || []) {
      if (part[0] === '.') classes.push(part.slice(1));
      else id = part.slice(1);
    }
  }
  const svg = SVG_TAGS.has(name);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', name)
                 : document.createElement(name);
  if (id) el.id = id;
  for (const c of classes) el.classList.add(c);
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') for (const c of String(v).split(/\s+/).filter(Boolean)) el.classList.add(c);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && !svg) el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

const SVG_TAGS = new Set(['svg', 'path', 'polyline', 'line', 'circle', 'rect', 'g', 'text', 'title']);

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function mount(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// "3 min ago" for recent times, the date for older ones; full time in the title.
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const s = Math.round((now - t) / 1000);
  if (s < 0) return 'in ' + span(-s);
  if (s < 5) return 'just now';
  return span(s) + ' ago';
}

function span(s) {
  if (s < 60) return s + 's';
  if (s < 3600) return Math.floor(s / 60) + 'm';
  if (s < 86400) return Math.floor(s / 3600) + 'h';
  return Math.floor(s / 86400) + 'd';
}

export function timeEl(iso) {
  return h('time', { datetime: iso || '', title: iso || '' }, ago(iso));
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function debounce(fn, ms) {
  let t = null;
  return (...a) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

// At most one call per `ms`, the first after `gather` ms (so a burst becomes
// one call), and always one after the last request. Unlike a debounce, a
// steady stream of requests cannot postpone the call forever.
export function throttle(fn, ms, gather = 150) {
  let timer = null;
  let last = 0;
  return () => {
    if (timer) return;
    const wait = Math.max(gather, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn();
    }, wait);
  };
}

export function humanize(key) {
  const s = String(key).replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Pill for a state or severity; the class carries the color.
export function badge(kind, value) {
  return h('span', { class: `badge ${kind}-${value}` }, value || '—');
}

export function spinner(label = 'Loading…') {
  return h('div.state.loading', { role: 'status' }, h('span.spin', { 'aria-hidden': 'true' }), label);
}

export function emptyState(title, text) {
  return h('div.state.empty', h('strong', title), text ? h('p', text) : null);
}

export function errorState(err, retry) {
  return h('div.state.error', { role: 'alert' },
    h('strong', 'Could not load'),
    h('p', err && err.message ? err.message : String(err)),
    retry ? h('button.btn', { type: 'button', onclick: retry }, 'Retry') : null);
}

// Transient message in the corner.
export function clearToasts() {
  const box = document.getElementById('toasts');
  if (box) clear(box);
}

export function toast(msg, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div#toasts', { role: 'status', 'aria-live': 'polite' });
    document.body.appendChild(box);
  }
  const t = h('div', { class: `toast toast-${kind}`, title: 'Click to dismiss', onclick: () => t.remove() }, msg);
  box.appendChild(t);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}
