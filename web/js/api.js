// The REST client: bearer token from sessionStorage (never localStorage: the
// token dies with the tab), the project's error shape turned into ApiError.

const TOKEN_KEY = 'srebot.token';
const BASE = '/api/v1';

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}
export function setToken(t) {
  sessionStorage.setItem(TOKEN_KEY, t);
}
export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    // [{path, reason, code?}]; policy validation answers use the same array.
    this.details = Array.isArray(e.details) ? e.details : [];
  }
}

// Called on any 401 so the app can return to the sign-in screen.
let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

// request('GET', '/incidents', {query, body, headers, token}) -> {status, data, etag}
export async function request(method, path, opts = {}) {
  const url = new URL(BASE + path, location.origin);
  for (const [k, v] of Object.entries(opts.query || {}))
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const token = opts.token || getToken();
  if (token) headers.Authorization = 'Bearer ' + token;
  let body;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(url, { method, headers, body, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: 'The server cannot be reached.' } });
  }
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.token) onUnauthorized();
    throw new ApiError(res.status, data);
  }
  return { status: res.status, data, etag: res.headers.get('ETag') };
}

export const get = (path, query) => request('GET', path, { query }).then((r) => r.data);
export const post = (path, body) => request('POST', path, { body }).then((r) => r.data);

// The names the server defines (GET /api/v1/meta): event types, incident
// states (lifecycle order), severities (highest first). Loaded once after
// sign-in, before any page renders or the event stream opens; no copy is kept here.
let vocabulary = null;
export async function loadMeta() {
  vocabulary = await get('/meta');
  return vocabulary;
}
export function meta() {
  return vocabulary || { event_types: [], incident_states: [], severities: [] };
}

// Live events. EventSource cannot send headers, so the token goes in the query
// string on this one route (the server accepts access_token only there).
// The browser reconnects by itself and sends Last-Event-ID; onState reports it.
// When the server answers with an error status (a restart, 503 under load),
// EventSource gives up for good; we reopen it with a capped backoff.
export function openEvents(onEvent, onState) {
  const token = getToken();
  if (!token || typeof EventSource === 'undefined') return () => {};
  let es = null;
  let timer = null;
  let delay = 1000;
  let closed = false;
  const open = () => {
    es = connect(token, onEvent, (s) => {
      if (s === 'live') delay = 1000;
      if (s === 'closed' && !closed) {
        clearTimeout(timer);
        timer = setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      }
      onState(s);
    });
  };
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (es) es.close();
  };
}

function connect(token, onEvent, onState) {
  const url = `${BASE}/events?access_token=${encodeURIComponent(token)}`;
  const es = new EventSource(url);
  const handle = (ev) => {
    let env = null;
    try {
      env = JSON.parse(ev.data);
    } catch {
      return;
    }
    onEvent(ev.type === 'message' ? env.type : ev.type, env);
  };
  es.onmessage = handle;
  // Named SSE events need a listener per name; the server lists them.
  for (const t of meta().event_types) es.addEventListener(t, handle);
  es.onopen = () => onState('live');
  es.onerror = () => onState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  return es;
}
