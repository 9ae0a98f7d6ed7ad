// The hexwatch page: login, then the map.
import 'leaflet/dist/leaflet.css';
import './style.css';
import { api, setCSRF, ApiError, onExpired } from './api.js';
import { startMap } from './map.js';
import { startAdmin } from './admin.js';
import { $, can } from './dom.js';
import { plainError } from './errors.js';


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
  $('admin-view').hidden = true;
  $('password-open').hidden = true;
  $('logout').hidden = true;
  $('report-open').hidden = true;
  $('who').textContent = '';
  $('menu-toggle').hidden = true;
  document.querySelector('header.bar').classList.remove('open');
  $('login-view').hidden = false;
  $('login-username').focus();
}

// loginFailed says why a login failed: what is missing (the server names
// the fields), too many tries, or a wrong username or password.
function loginFailed(err) {
  if (err.status === 429) return 'Too many failed logins: try again later.';
  if (err.fields?.length) return err.fields.map((fe) => plainError(fe) + '.').join(' ');
  return err.status === 401 ? 'Wrong username or password.' : 'Could not log in: ' + err.message;
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
    $('login-error').textContent = loginFailed(err);
  }
});

$('logout').addEventListener('click', async () => {
  try { await api('DELETE', '/api/v1/session'); } finally {
    sessionStorage.removeItem(sessionFlag);
    location.reload();
  }
});

// When the session ends, a dialog logs in again over the page, so that
// the view and anything typed stay as they are.
onExpired(() => new Promise((resolve) => {
  const dialog = $('relogin');
  const form = $('relogin-form');
  $('relogin-error').textContent = '';
  $('relogin-username').value = sessionStorage.getItem('hexwatch:username') || '';
  dialog.addEventListener('cancel', (ev) => ev.preventDefault()); // no way round logging in
  dialog.showModal();
  (sessionStorage.getItem('hexwatch:username') ? $('relogin-password') : $('relogin-username')).focus();
  const submit = async (ev) => {
    ev.preventDefault();
    try {
      const me = await api('POST', '/api/v1/session', {
        username: $('relogin-username').value, password: $('relogin-password').value,
      });
      setCSRF(me.csrf_token);
      $('relogin-password').value = '';
      form.removeEventListener('submit', submit);
      dialog.close();
      resolve();
    } catch (err) {
      $('relogin-error').textContent = loginFailed(err);
    }
  };
  form.addEventListener('submit', submit);
}));

function showApp(me) {
  sessionStorage.setItem(sessionFlag, '1');
  if (me.username) sessionStorage.setItem('hexwatch:username', me.username);
  // Roles that read every report read sensitive narratives.
  $('banner').hidden = !can(me, 'reports:all');
  $('login-view').hidden = true;
  $('logout').hidden = false;
  $('who').textContent = `${me.username || me.key} · ${me.role} · ${me.agency}`;
  $('password-open').hidden = false;
  $('menu-toggle').hidden = false;
  // Admins manage; they see no hotspots, so the map is not asked for them.
  if (can(me, 'hotspots:view')) {
    $('app-view').hidden = false;
    startMap(me);
  } else {
    $('app-view').hidden = true;
    startAdmin(me);
  }
}

// Every user may change their own password; the change ends their
// sessions, so the page then asks them to log in with the new one.
$('password-open').addEventListener('click', () => {
  $('password-form').reset();
  $('password-error').textContent = '';
  $('password-dialog').showModal();
});
$('password-cancel').addEventListener('click', () => $('password-dialog').close());
$('password-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('password-error').textContent = '';
  try {
    await api('PUT', '/api/v1/me/password', { current_password: $('password-current').value, new_password: $('password-new').value });
    $('password-dialog').close();
    sessionStorage.removeItem(sessionFlag);
    showLogin();
    $('login-error').textContent = 'Password changed: log in with the new one.';
  } catch (err) {
    $('password-error').textContent = err.fields.length ? err.fields.map((fe) => plainError(fe) + '.').join(' ') : err.message;
  }
});

// On a phone the header's actions fold into a menu, which closes once
// one of them is chosen.
$('menu-toggle').addEventListener('click', () => {
  const open = document.querySelector('header.bar').classList.toggle('open');
  $('menu-toggle').setAttribute('aria-expanded', String(open));
});
$('actions').addEventListener('click', (ev) => {
  if (!ev.target.closest('button')) return;
  document.querySelector('header.bar').classList.remove('open');
  $('menu-toggle').setAttribute('aria-expanded', 'false');
});

// Escape closes the panel on top (by its close button, so that each panel
// tidies up after itself).
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape' || document.querySelector('dialog[open]')) return;
  const open = [...document.querySelectorAll('aside.panel:not([hidden])')];
  if (open.length > 0) open[open.length - 1].querySelector('button.close').click();
});

boot();
