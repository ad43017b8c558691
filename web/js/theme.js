// Light and dark themes. Follows the system setting until the operator picks
// one; the choice (not a secret) is kept in localStorage.
import { h } from './dom.js';

const KEY = 'srebot.theme';

function system() {
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function currentTheme() {
  return document.documentElement.dataset.theme || system();
}

export function setTheme(t) {
  document.documentElement.dataset.theme = t;
  localStorage.setItem(KEY, t);
  for (const b of document.querySelectorAll('.theme-toggle')) paint(b);
}

export function initTheme() {
  const saved = localStorage.getItem(KEY);
  document.documentElement.dataset.theme = saved === 'dark' || saved === 'light' ? saved : system();
}

function paint(b) {
  const dark = currentTheme() === 'dark';
  b.textContent = dark ? '☀' : '☾';
  b.setAttribute('aria-label', dark ? 'Switch to light theme' : 'Switch to dark theme');
  b.title = b.getAttribute('aria-label');
}

export function themeToggle() {
  const b = h('button.btn.ghost.theme-toggle', {
    type: 'button',
    onclick: () => setTheme(currentTheme() === 'dark' ? 'light' : 'dark'),
  });
  paint(b);
  return b;
}
