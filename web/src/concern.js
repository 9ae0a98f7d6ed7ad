// The public "Report a concern" page: no login, no cookie, no storage, no
// other host. Quick exit and Esc replace the page, so Back does not return.
import 'leaflet/dist/leaflet.css';
import './concern.css';
import L from 'leaflet';
import { sha256 } from '@noble/hashes/sha2.js';
import { placeLabels, nearest } from './places.js';

const $ = (id) => document.getElementById(id);
const exitURL = document.body.dataset.exit;

// exit leaves at once, replacing this page in the tab's history.
function exit(ev) {
  if (ev) ev.preventDefault();
  document.body.hidden = true;
  window.location.replace(exitURL);
}
$('quick-exit').addEventListener('click', exit);
document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') exit(ev); });

async function call(path, init = {}) {
  const res = await fetch(path, { ...init, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body, retryAfter: res.headers.get('Retry-After') };
}

// The proof of work: a number whose hash with the server's nonce begins
// with the zero bits the server asks, found while the person writes.
function zeroBits(h) {
  let n = 0;
  for (const b of h) {
    if (b === 0) { n += 8; continue; }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

async function solve(nonce, difficulty) {
  const enc = new TextEncoder();
  const start = performance.now();
  for (let s = 0; ; s++) {
    if (zeroBits(sha256(enc.encode(`${nonce}:${s}`))) >= difficulty) {
      document.body.dataset.powMs = String(Math.round(performance.now() - start));
      document.body.dataset.powHashes = String(s + 1);
      return String(s);
    }
    if (s % 4000 === 3999) await new Promise((r) => setTimeout(r, 0));
  }
}

async function puzzle() {
  const { status, body } = await call('/api/v1/concerns/nonce');
  if (status !== 200) throw new Error('no nonce');
  return { nonce: body.nonce, solution: await solve(body.nonce, body.difficulty) };
}

// newProof starts a puzzle; a failure shows when the page sends.
function newProof() {
  const p = puzzle();
  p.catch(() => {});
  return p;
}

let proof = newProof();
let where = null;

// The words the page shows for each field the server names.
const fieldInput = {
  where: 'place', 'where.place': 'place', 'where.zoom': 'place',
  'when.day': 'day-today', when: 'day-today', 'when.date': 'date', 'when.time': 'time',
  seen: 'seen', details: 'details', 'contact.name': 'contact-name', 'contact.way': 'contact-way',
};
const fieldError = { place: 'place-error', 'day-today': 'day-error', date: 'date-error', time: 'time-error', seen: 'seen-error',
  details: 'details-error', 'contact-name': 'contact-name-error', 'contact-way': 'contact-way-error' };

// described is the element whose aria-describedby names a field's error:
// the input, or the group of radios or tick boxes.
const described = { seen: 'seen-group', 'day-today': 'when-group' };

function clearErrors() {
  $('error-summary').hidden = true;
  $('error-list').replaceChildren();
  for (const [input, id] of Object.entries(fieldError)) {
    $(id).hidden = true;
    $(id).textContent = '';
    const el = $(described[input] || input);
    const rest = (el.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && x !== id).join(' ');
    if (rest) el.setAttribute('aria-describedby', rest);
    else el.removeAttribute('aria-describedby');
  }
  for (const el of document.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

function showErrors(errors) {
  clearErrors();
  const list = $('error-list');
  const done = new Set();
  for (const e of errors) {
    const input = fieldInput[e.field] || fieldInput[e.field.replace(/\[\d+\]$/, '')] || 'seen';
    if (done.has(input)) continue;
    done.add(input);
    const target = input === 'seen' ? document.querySelector('#seen input') : $(input);
    const msg = e.message.charAt(0).toUpperCase() + e.message.slice(1);
    const a = document.createElement('a');
    a.href = `#${target.id}`;
    a.textContent = msg;
    a.addEventListener('click', (ev) => { ev.preventDefault(); target.focus(); });
    const li = document.createElement('li');
    li.append(a);
    list.append(li);
    const p = $(fieldError[input]);
    p.textContent = `Error: ${msg}`;
    p.hidden = false;
    const holder = $(described[input] || input);
    holder.setAttribute('aria-describedby', `${fieldError[input]} ${holder.getAttribute('aria-describedby') || ''}`.trim());
    if (!described[input]) target.setAttribute('aria-invalid', 'true');
  }
  $('error-summary').hidden = false;
  $('error-summary').focus();
}

function request(form) {
  const day = document.querySelector('input[name="day"]:checked');
  return {
    where: where || {},
    when: { day: day ? day.value : '', date: day && day.value === 'date' ? $('date').value : '', time: $('time').value },
    seen: [...document.querySelectorAll('#seen input:checked')].map((i) => i.value),
    details: $('details').value,
    contact: { name: $('contact-name').value, way: $('contact-way').value },
    website: $('website').value,
    ...form,
  };
}

// check says, before sending, what is missing of questions 1 to 3.
function check() {
  const errs = [];
  if (!where) errs.push({ field: 'where', message: 'tap the map, or type the name of the town or area' });
  const day = document.querySelector('input[name="day"]:checked');
  if (!day) errs.push({ field: 'when.day', message: 'say when: today, yesterday or another day' });
  else if (day.value === 'date' && !$('date').value) errs.push({ field: 'when.date', message: 'give the date' });
  if (!$('time').value) errs.push({ field: 'when.time', message: 'choose a time of day, or "I\'m not sure"' });
  if (!document.querySelector('#seen input:checked')) errs.push({ field: 'seen', message: 'tick at least one box' });
  return errs;
}

async function send(ev) {
  ev.preventDefault();
  const missing = check();
  if (missing.length) { showErrors(missing); return; }
  clearErrors();
  $('send').disabled = true;
  $('status').textContent = 'Sending…';
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const p = await proof;
      const res = await call('/api/v1/concerns', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request(p)),
      });
      proof = newProof(); // every nonce is used once
      if (res.status === 201) { thanks(res.body.reference); return; }
      const errors = res.body.errors || [];
      if (res.status === 400 && errors.some((e) => e.field === 'nonce' || e.field === 'solution')) continue;
      if (res.status === 400 && errors.length) { $('status').textContent = ''; showErrors(errors); return; }
      if (res.status === 429) {
        $('status').textContent = 'Too many concerns have come from this connection. Please try again later, or call Crimestoppers on 0800 555 111.';
        return;
      }
      break;
    }
    $('status').textContent = 'Sorry, that did not work. Please try again, or call Crimestoppers on 0800 555 111.';
  } catch {
    proof = newProof();
    $('status').textContent = 'Sorry, that did not work. Check your connection and try again, or call Crimestoppers on 0800 555 111.';
  } finally {
    $('send').disabled = false;
  }
}

function thanks(reference) {
  $('concern-form').reset();
  $('concern-form').hidden = true;
  $('reference').textContent = reference;
  $('done').hidden = false;
  $('done').focus();
}

function startMap(cfg) {
  const map = L.map('map', { zoomSnap: 1, attributionControl: Boolean(cfg.tile_url) });
  if (cfg.tile_url) L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution, maxZoom: 18 }).addTo(map);
  const area = L.geoJSON(cfg.service_area, { style: { color: '#12263a', weight: 2, fill: false }, interactive: false }).addTo(map);
  map.fitBounds(area.getBounds());
  if (!cfg.tile_url) placeLabels(map, cfg.places);
  let marker = null;
  const show = (lat, lon, text) => {
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.circleMarker([lat, lon], { radius: 9, color: '#d4351c', weight: 3, fillOpacity: 0.4, interactive: false }).addTo(map);
    $('where-shown').textContent = text;
  };
  map.on('click', (e) => {
    const { lat, lng } = e.latlng;
    where = { lat, lon: lng, zoom: map.getZoom() };
    $('place').value = '';
    const p = nearest(cfg.places, lat, lng);
    show(lat, lng, `You chose a place near ${p ? p.name : 'the place you tapped'}.`);
  });
  $('place').addEventListener('change', () => {
    const name = $('place').value.trim().toLowerCase();
    const p = cfg.places.find((q) => q.name.toLowerCase() === name);
    if (!p) {
      if (name) where = { place: $('place').value };
      return;
    }
    where = { place: p.name };
    show(p.lat, p.lon, `You chose near ${p.name}.`);
    map.setView([p.lat, p.lon], Math.max(map.getZoom(), 12));
  });
}

function startForm(cfg) {
  const names = $('place-list');
  for (const p of cfg.places) names.append(new Option(p.name));
  const time = $('time');
  time.append(new Option('Choose a time', ''));
  for (const t of cfg.times) time.append(new Option(t.label, t.code));
  const seen = $('seen');
  for (const b of cfg.boxes) {
    const label = document.createElement('label');
    label.className = 'choice';
    const input = document.createElement('input');
    Object.assign(input, { type: 'checkbox', value: b.code, id: `seen-${b.code}` });
    input.setAttribute('aria-describedby', 'seen-hint');
    label.append(input, ` ${b.label}`);
    seen.append(label);
  }
  const now = new Date();
  const today = new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  $('date').max = today;
  for (const r of document.querySelectorAll('input[name="day"]')) {
    r.addEventListener('change', () => { $('date-box').hidden = $('day-date').checked === false; });
  }
  const details = $('details');
  details.maxLength = cfg.max_details;
  $('contact-name').maxLength = cfg.max_contact_name;
  $('contact-way').maxLength = cfg.max_contact_way;
  const count = () => { $('details-count').textContent = `You can use ${cfg.max_details - details.value.length} more characters.`; };
  details.addEventListener('input', count);
  count();
  $('concern-form').addEventListener('submit', send);
}

async function boot() {
  const { status, body } = await call('/api/v1/concerns/form');
  if (status !== 200) {
    $('status').textContent = 'Sorry, this page is not working now. Please call Crimestoppers on 0800 555 111, or 999 in an emergency.';
    return;
  }
  startForm(body);
  startMap(body);
  document.body.dataset.ready = 'true';
}
boot();
