// The hexwatch page: login, then the map.
import 'leaflet/dist/leaflet.css';
import './style.css';
import { api, setCSRF, ApiError } from './api.js';
import { startMap } from './map.js';

const $ = (id) => document.getElementById(id);

// A tab that has logged in remembers it, so that the first visit shows
// the login form without asking the API (and logging a 401).
const sessionFlag = 'hexwatch:logged-in';

async function boot() {
  if (!sessionStorage.getItem(sessionFlag)) {
    showLogin();
    return;
  }
  try {
    const me = await api('GET', '/api/v1/me');
    setCSRF(me.csrf_token);
    showApp(me);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin();
    else $('login-error').textContent = 'hexwatch is unreachable: ' + err.message;
  }
}

function showLogin() {
  sessionStorage.removeItem(sessionFlag);
  $('app-view').hidden = true;
  $('logout').hidden = true;
  $('report-open').hidden = true;
  $('who').textContent = '';
  $('login-view').hidden = false;
  $('login-username').focus();
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('login-error').textContent = '';
  try {
    const me = await api('POST', '/api/v1/session', {
      username: $('login-username').value, password: $('login-password').value,
    });
    setCSRF(me.csrf_token);
    $('login-password').value = '';
    showApp(me);
  } catch (err) {
    $('login-error').textContent = err.status === 429
      ? 'Too many failed logins: try again later.' : 'Wrong username or password.';
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('DELETE', '/api/v1/session'); } finally {
    sessionStorage.removeItem(sessionFlag);
    location.reload();
  }
});

function showApp(me) {
  sessionStorage.setItem(sessionFlag, '1');
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  $('logout').hidden = false;
  $('who').textContent = `${me.username || me.key} · ${me.role} · ${me.agency}`;
  startMap(me);
}

boot();
