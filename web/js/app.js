// Console entry: sign-in, the frame (header, navigation, theme), the hash
// router. Pages live in their own modules and register in registry.js.
//
// Routes are in the hash (#/incidents/12?state=observed) so that every view is
// a deep link and the server only has to serve index.html at "/".

import { h, mount, toast, clearToasts } from './dom.js';
import * as api from './api.js';
import { pages, can } from './registry.js';
import { initTheme, themeToggle } from './theme.js';
import './incidents.js';
import './actions.js';
import './policy.js';
import './rules.js';
import './sources.js';
import './admin.js';
import './channels.js';

const root = document.getElementById('app');
let who = null;
let current = null; // {id, page}
let stopEvents = null;
const liveListeners = new Set();
let liveState = 'off';

export function parseRoute() {
  const raw = location.hash.replace(/^#/, '') || '/incidents';
  const [path, qs] = raw.split('?');
  const parts = path.split('/').filter(Boolean);
  return { path, parts, page: parts[0] || 'incidents', params: new URLSearchParams(qs || '') };
}

export function navigate(path, params, replace = false) {
  const qs = params ? params.toString() : '';
  const hash = '#' + path + (qs ? '?' + qs : '');
  if (hash === location.hash) return;
  if (replace) history.replaceState(null, '', hash);
  else history.pushState(null, '', hash);
  onRoute();
}

function signIn(message) {
  stopLive();
  if (current) current.page.destroy?.();
  current = null;
  who = null;
  const input = h('input#token', {
    type: 'password', name: 'token', autocomplete: 'off', required: true,
    placeholder: 'API token', 'aria-describedby': 'signin-help',
  });
  const err = h('p.field-error#signin-error', { role: 'alert' }, message || '');
  const btn = h('button.btn.primary', { type: 'submit' }, 'Sign in');
  const form = h('form.signin-card', {
    onsubmit: async (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      btn.disabled = true;
      err.textContent = '';
      try {
        const r = await api.request('GET', '/whoami', { token });
        if (!can(r.data, 'viewer')) {
          err.textContent = `A token with the ${r.data.role} role can only post findings; the console needs viewer or above.`;
          btn.disabled = false;
          return;
        }
        api.setToken(token);
        who = r.data;
        await api.loadMeta();
        start();
      } catch (e2) {
        err.textContent = e2.status === 401 ? 'That token is not valid.' : e2.message;
        btn.disabled = false;
        input.select();
      }
    },
  },
  h('div.brand.big', logo(), h('span', 'SRE Smart Bot')),
  h('h1', 'Sign in'),
  h('label', { for: 'token' }, 'API token'),
  input,
  h('p.help#signin-help', 'The token is kept for this browser tab only and is sent to this server alone.'),
  err,
  btn);
  mount(root, h('main.signin', form, h('div.signin-theme', themeToggle())));
  input.focus();
}

function logo() {
  return h('svg.logo', { viewBox: '0 0 32 32', 'aria-hidden': 'true' },
    h('rect', { width: 32, height: 32, rx: 7, class: 'logo-bg' }),
    h('path', { d: 'M7 17h5l3-7 4 13 3-6h3', class: 'logo-line' }));
}

function signOut() {
  api.clearToken();
  signIn('Signed out.');
}

function liveBadge() {
  const el = h('span.live', { title: 'Live updates from /api/v1/events', role: 'status' });
  const paint = (s) => {
    el.className = 'live live-' + s;
    el.textContent = s === 'live' ? 'Live' : s === 'reconnecting' ? 'Reconnecting…' : 'Offline';
  };
  paint(liveState);
  liveListeners.add(paint);
  return el;
}

// Pages subscribe with onLive(fn) to hear every event envelope.
const eventSubscribers = new Set();
export function onLive(fn) {
  eventSubscribers.add(fn);
  return () => eventSubscribers.delete(fn);
}

function startLive() {
  stopLive();
  stopEvents = api.openEvents(
    (type, env) => {
      for (const fn of eventSubscribers) {
        try {
          fn(type, env);
        } catch (e) {
          console.error(e);
        }
      }
    },
    (s) => {
      // After a reconnect the browser resumes with Last-Event-ID, but a server
      // restart may have dropped events: pages refresh once to be sure.
      if (s === 'live' && (liveState === 'reconnecting' || liveState === 'closed'))
        for (const fn of eventSubscribers) fn('sre.incident.resync', null);
      liveState = s;
      for (const fn of liveListeners) fn(s);
    });
}

function stopLive() {
  if (stopEvents) stopEvents();
  stopEvents = null;
}

function start() {
  const nav = h('nav.nav', { 'aria-label': 'Main' },
    pages.filter((p) => can(who, p.minRole || 'viewer')).map((p) =>
      h('a', { href: '#/' + p.id, dataset: { page: p.id } }, p.title,
        p.navBadge ? p.navBadge({ who, onLive }) : null)));
  const header = h('header.top',
    h('a.brand', { href: '#/incidents', title: 'SRE Smart Bot' }, logo(), h('span', 'SRE Smart Bot')),
    nav,
    h('div.top-right',
      liveBadge(),
      themeToggle(),
      h('span.who', { title: 'Signed in as' }, h('span.who-name', who.name),
        h('span', { class: 'role role-' + who.role }, who.role)),
      h('button.btn.ghost#signout', { type: 'button', onclick: signOut }, 'Sign out')));
  const main = h('main#page', { tabindex: '-1' });
  mount(root, h('div.shell', header, main));
  startLive();
  onRoute();
}

function onRoute() {
  if (!who) return;
  const route = parseRoute();
  for (const a of document.querySelectorAll('.nav a'))
    a.classList.toggle('active', a.dataset.page === route.page);
  const def = pages.find((p) => p.id === route.page && can(who, p.minRole || 'viewer'));
  const main = document.getElementById('page');
  if (!def) {
    if (current) current.page.destroy?.();
    current = null;
    mount(main, h('div.state.empty', h('strong', 'Page not found'),
      h('p', h('a', { href: '#/incidents' }, 'Go to incidents'))));
    return;
  }
  if (!current || current.id !== def.id) {
    if (current) current.page.destroy?.();
    clearToasts(); // messages belong to the page they came from
    const page = def.create({ who, navigate, onLive, parseRoute });
    current = { id: def.id, page };
    mount(main, page.el);
    document.title = def.title + ' · SRE Smart Bot';
  }
  current.page.route?.(route);
}

// Global keys: "/" focuses the page's search box, "g i|p|r|s" switches page.
let lastG = 0;
document.addEventListener('keydown', (e) => {
  if (!who || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
  if (e.key === '/') {
    const s = document.querySelector('[data-search]');
    if (s) {
      e.preventDefault();
      s.focus();
    }
  } else if (e.key === 'g') {
    lastG = Date.now();
  } else if (Date.now() - lastG < 1000 && 'iprs'.includes(e.key)) {
    const id = { i: 'incidents', p: 'policy', r: 'rules', s: 'sources' }[e.key];
    lastG = 0;
    navigate('/' + id);
  }
});

window.addEventListener('popstate', onRoute);
window.addEventListener('hashchange', onRoute);
api.setUnauthorizedHandler(() => {
  api.clearToken();
  signIn('Your session has ended. Sign in again.');
});

async function boot() {
  initTheme();
  const token = api.getToken();
  if (!token) return signIn();
  try {
    who = await api.get('/whoami');
    await api.loadMeta();
    start();
  } catch (e) {
    if (e.status === 401) return; // the handler already shows sign-in
    signIn(e.message);
  }
}

window.addEventListener('unhandledrejection', (e) => {
  toast(e.reason && e.reason.message ? e.reason.message : String(e.reason), 'error');
});

boot();
