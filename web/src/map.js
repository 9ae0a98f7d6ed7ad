// The map and its controls: the service area, the time slider, the
// parameters (view.js keeps their state in the URL, so that a view can be
// shared and restored), snapshots and the top ten; hexes.js draws the
// hexagons.
import L from 'leaflet';
import { api, ApiError } from './api.js';
import { categoryLabel, centroid, count, score, setTaxonomy } from './format.js';
import { setAgencies, showCell, showFrozenCell } from './panel.js';
import { startReportForm } from './report.js';
import { startQueue } from './evaluate.js';
import { settings, startSnapshots } from './snapshots.js';
import { pickCell, startLocations } from './locations.js';
import { startCoverage } from './coverage.js';
import { $, can, el } from './dom.js';
import { placeLabels } from './places.js';
import {
  changeColours, choose, drawHexes, hexBounds, hexLabel, markBoxes, startHexes,
} from './hexes.js';
import {
  applyDefaults, readURL, resetToDefault, state, viewQuery, writeURL,
} from './view.js';

const DAY = 86400000;

// minHexPx is how wide, in pixels, a hexagon drawn at the resolution
// that follows the zoom is at least: wide enough to see and to click.
const minHexPx = 18;

// resForZoom is the finest resolution (up to maxRes) whose hexagons are at
// least minHexPx wide at zoom z and latitude lat: a hexagon of area A
// is √(2A/√3) across its flats, and a pixel is 156,543 m × cos(lat) / 2^z.
export function resForZoom(z, lat, maxRes) {
  const { min_res: minRes, cell_areas_km2: areas } = config.query.limits;
  const metresPerPx = (156543.03 * Math.cos((lat * Math.PI) / 180)) / 2 ** z;
  let res = minRes;
  for (let r = minRes; r <= maxRes; r++) {
    if ((1000 * Math.sqrt((2 * areas[r - minRes]) / Math.sqrt(3))) / metresPerPx >= minHexPx) res = r;
  }
  return res;
}

// zoomKeeping is the closest zoom at which resForZoom still gives res.
function zoomKeeping(res) {
  let z = 18;
  while (z > 0 && resForZoom(z, map.getCenter().lat, maxResolution()) !== res) z--;
  return z;
}

// maxResolution is the finest resolution the caller's view answers.
function maxResolution() { return config.published ? config.published.max_res : config.query.limits.max_res; }

// lastRes is the resolution of the hexagons drawn.
function lastRes() { return Number(hotspotQuery().get('res')); }

// resOptions offers the resolutions the server answers, with their cells' areas.
function resOptions(limits) {
  for (let r = limits.min_res; r <= limits.max_res; r++) {
    const km2 = limits.cell_areas_km2[r - limits.min_res];
    $('res').append(new Option(`${r} (${Number(km2.toPrecision(km2 < 1 ? 1 : 2))} km²)`, String(r)));
  }
}

let map, me, config, inflight, first, last;
let places = new Map();
// comparison is a comparison's classes by cell, while one is drawn, and
// comparisonNames its labels by cell (the server's, as its table, CSV and
// briefing name the cells).
let comparison = null;
let comparisonNames = null;

export async function startMap(caller) {
  me = caller;
  readURL();
  const [cfg, taxonomy, agencies] = await Promise.all([
    api('GET', '/api/v1/map-config'), api('GET', '/api/v1/taxonomy'), api('GET', '/api/v1/agencies'),
  ]);
  config = cfg;
  applyDefaults(cfg.query.defaults);
  resOptions(cfg.query.limits);
  setTaxonomy(taxonomy);
  if (cfg.published) applyMenu(cfg.published);
  places = new Map((cfg.places || []).map((p) => [p.name, p]));
  map = L.map('map', { zoomSnap: 1, preferCanvas: false });
  if (cfg.tile_url) {
    L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution, maxZoom: 18 }).addTo(map);
  }
  const outline = L.geoJSON(cfg.service_area, { style: { color: '#12263a', weight: 2, fill: false, className: 'service-area' }, interactive: false }).addTo(map);
  if (!cfg.tile_url) placeLabels(map, cfg.places || []);
  placeSearch(cfg.places || []);
  if (state.zoom !== null) map.setView([state.lat, state.lon], state.zoom);
  else map.fitBounds(outline.getBounds());
  startHexes(map, me, openCell, thinLabels);

  setupTime(cfg);
  setAgencies(agencies.items);
  setupControls(taxonomy, agencies.items);
  // Partners see what they need: time, categories and their own reports.
  const partner = can(me, 'reports:submit') && !can(me, 'reports:all');
  if (partner) {
    for (const id of ['half-life-field', 'res-field']) $(id).hidden = true;
    $('own-reports').hidden = false;
    ownReports();
  }
  map.on('moveend', () => {
    const c = map.getCenter();
    Object.assign(state, { lat: c.lat, lon: c.lng, zoom: map.getZoom() });
    writeURL();
    load();
  });
  const own = agencies.items.find((a) => a.id === me.agency_id);
  if (can(me, 'reports:submit')) {
    startReportForm(map, taxonomy, () => { load(); if (partner) ownReports(); }, Boolean(own && own.self_grading));
  }
  if (can(me, 'reports:evaluate')) startQueue(map, taxonomy, () => load());
  if (can(me, 'snapshots:export')) {
    startSnapshots(me, { query: hotspotQuery, showFrozen, showComparison, describe: describeFreeze, empty: () => noneTicked()?.[1] });
  }
  startLocations(map, me, taxonomy, agencies.items);
  redrawCoverage = startCoverage(map, hotspotQuery, () => Boolean(config.published));
  $('frozen-close').addEventListener('click', () => {
    setFrozen(false);
    load();
  });
  writeURL();
  load();
}

// outcomeWords says what became of a report, as its agency hears it.
export const outcomeWords = {
  intelligence: 'recorded as intelligence', safeguarding_referral: 'safeguarding referral made', crime_report: 'crime report made',
  no_further_action: 'no further action', duplicate_of: 'already reported (counted with the earlier report)',
};

function statusWords(p) {
  if (p.status === 'pending_evaluation') return 'waiting for evaluation';
  if (p.status === 'withdrawn') return 'withdrawn';
  if (p.evaluation) return 'evaluated: ' + (outcomeWords[p.evaluation.outcome] || p.evaluation.outcome);
  return 'counted';
}

const moment = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });

// ownReports lists the caller's agency's latest submissions, the latest
// submitted first, each by its reference; each opens to its history.
async function ownReports() {
  const fc = await api('GET', '/api/v1/reports?sort=-created_at&limit=8');
  $('own-list').replaceChildren(...fc.features.map((f) => {
    const p = f.properties;
    const li = el('li');
    li.dataset.id = f.id;
    li.dataset.status = p.status;
    const item = el('details');
    item.append(el('summary', `${p.reference}: ${categoryLabel(p.category)} (${statusWords(p)})`), history(p));
    li.append(item);
    return li;
  }));
  if (fc.features.length === 0) $('own-list').append(el('li', 'None yet.'));
}

// history is what happened to a submission, step by step.
function history(p) {
  const steps = [`Submitted ${moment.format(new Date(p.created_at))} (seen ${moment.format(new Date(p.observed_at))})`];
  if (p.evaluation) steps.push(`Evaluated ${moment.format(new Date(p.evaluation.evaluated_at))}: ${outcomeWords[p.evaluation.outcome] || p.evaluation.outcome}`);
  else if (p.status === 'pending_evaluation') steps.push('Waiting for a police evaluator to grade it');
  else if (p.status === 'live') steps.push('Counted at once: your agency grades its own reports');
  if (p.status === 'withdrawn') steps.push(`Withdrawn ${moment.format(new Date(p.updated_at))}`);
  const ol = el('ol', undefined, 'history');
  for (const s of steps) ol.append(el('li', s));
  return ol;
}

// thinLabels hides the place names that would overlap a rank badge or a
// name shown before them (the gazetteer's order: its main places first).
function thinLabels() {
  const taken = markBoxes();
  for (const label of document.querySelectorAll('.place-label')) {
    label.style.visibility = '';
    const r = label.getBoundingClientRect();
    const clash = taken.some((t) => r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom);
    if (clash) label.style.visibility = 'hidden';
    else taken.push(r);
  }
}

// placeSearch flies to a gazetteer place chosen by name.
function placeSearch(list) {
  const names = $('place-names');
  for (const p of list) names.append(new Option(p.name));
  $('place-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const want = $('place-search').value.trim().toLowerCase();
    const p = list.find((x) => x.name.toLowerCase() === want) || list.find((x) => x.name.toLowerCase().startsWith(want));
    $('place-result').textContent = p ? '' : `No place called "${$('place-search').value}" in the gazetteer.`;
    if (p) map.setView([p.lat, p.lon], Math.max(map.getZoom(), 12));
  });
}

// setupTime wires the time slider and Play to a timeline: days of data for
// the full view, weekly releases for the published one (which is read from
// releases only, so a day in between would show nothing new).
function setupTime(cfg) {
  const slider = $('as-of');
  const steps = cfg.published ? releaseSteps(cfg.published.releases || []) : daySteps(cfg);
  if (!steps) {
    slider.disabled = true;
    $('as-of-label').textContent = cfg.published ? 'no release yet' : 'no data yet';
    return;
  }
  const { max } = steps;
  slider.max = String(max);
  slider.value = String(Math.min(Math.max(steps.at(state.day), 0), max));
  const label = () => { $('as-of-label').textContent = steps.label(Number(slider.value)); };
  label();
  slider.addEventListener('input', label);
  slider.addEventListener('change', () => {
    state.day = steps.day(Number(slider.value));
    writeURL();
    load();
  });
  let timer = null;
  $('play').addEventListener('click', () => {
    const button = $('play');
    if (timer) {
      clearInterval(timer);
      timer = null;
      button.textContent = 'Play';
      button.setAttribute('aria-pressed', 'false');
      return;
    }
    if (Number(slider.value) >= max) slider.value = '0';
    button.textContent = 'Pause';
    button.setAttribute('aria-pressed', 'true');
    timer = setInterval(() => {
      const next = Math.min(Number(slider.value) + steps.stride, max);
      slider.value = String(next);
      slider.dispatchEvent(new Event('input'));
      slider.dispatchEvent(new Event('change'));
      if (next >= max) $('play').click();
    }, 1200);
  });
}

// daySteps is the full view's timeline: one step a day from the first
// report to the last, the last meaning "now" (no as_of); Play moves a week.
function daySteps(cfg) {
  if (!cfg.data_first) return null;
  first = new Date(cfg.data_first.slice(0, 10) + 'T00:00:00Z');
  last = new Date(cfg.data_last.slice(0, 10) + 'T00:00:00Z');
  const days = Math.round((last - first) / DAY);
  return {
    max: days, stride: 7, label: dayOf,
    at: (day) => (day ? Math.round((new Date(day + 'T00:00:00Z') - first) / DAY) : days),
    day: (n) => (n === days ? null : dayOf(n)),
  };
}

// releaseSteps is the published view's timeline: one step per weekly
// release (cut-off dates, oldest first), the last meaning the latest (no
// as_of, so that a shared link keeps following new releases).
function releaseSteps(releases) {
  if (releases.length === 0) return null;
  const max = releases.length - 1;
  return {
    max, stride: 1, label: (n) => `Release of ${releases[n]}`,
    // A day from the URL lies in the week of the last release not after it.
    at: (day) => (day ? releases.filter((r) => r <= day).length - 1 : max),
    day: (n) => (n === max ? null : releases[n]),
  };
}

function dayOf(n) { return new Date(first.getTime() + n * DAY).toISOString().slice(0, 10); }

// applyMenu offers only what the published view answers: its windows,
// half-lives and resolutions, one category or all, and no filter by
// agency or grading.
function applyMenu(menu) {
  const keep = (id, values) => {
    for (const o of [...$(id).options]) if (!values.includes(o.value)) o.remove();
  };
  $('window').replaceChildren(...menu.windows.map((w) => new Option(`${parseInt(w, 10) / 7} weeks`, w)));
  keep('half-life', menu.half_lives);
  keep('res', ['auto', ...Array.from({ length: menu.max_res - 5 }, (_, i) => String(6 + i))]);
  if (!menu.windows.includes(state.window)) state.window = menu.windows[menu.windows.length - 1];
  if (!menu.half_lives.includes(state.halfLife)) state.halfLife = menu.half_lives.includes('28d') ? '28d' : menu.half_lives[0];
  if (state.res !== 'auto' && Number(state.res) > menu.max_res) state.res = 'auto';
  resetToDefault('agencies', 'minSource', 'minAssessment');
  if (state.categories && state.categories.length > 1) state.categories = null;
  $('agencies').hidden = true;
  $('grading').hidden = true;
  $('controls-form').prepend(publishedNote(menu));
}

// localTime writes an instant in the reader's own time zone.
const localTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

// publishedNote says what the published view shows: which weekly release
// (in #release-label, which draw keeps to the release of the last answer),
// how figures are protected, and when the next release comes.
function publishedNote(menu) {
  const note = el('p', undefined, 'muted');
  note.id = 'published-note';
  const next = menu.next_release ? localTime.format(new Date(menu.next_release)) : 'the next Monday';
  const releases = menu.releases || [];
  if (releases.length === 0) {
    note.textContent = `Published view: no release is published yet; the first comes at ${next}.`;
    return note;
  }
  const date = el('span', releases[releases.length - 1]);
  date.id = 'release-label';
  note.append('Published view: the weekly release of ', date,
    ' (reports counted before that Monday), figures rounded and perturbed; a hexagon is shown only with at least ' +
    `${menu.min_reports} reports outside its largest agency, decided on a perturbed count. Next release: ${next}.`);
  return note;
}

// showRelease names the release an answer of the published view came from.
function showRelease(parameters) {
  const label = $('release-label');
  if (label && parameters && parameters.release) label.textContent = parameters.release;
}

function setupControls(taxonomy, agencies) {
  const bind = (id, key) => {
    const el = $(id);
    el.value = state[key];
    el.addEventListener('change', () => { state[key] = el.value; writeURL(); load(); });
  };
  bind('window', 'window');
  bind('half-life', 'halfLife');
  bind('min-source', 'minSource');
  bind('min-assessment', 'minAssessment');
  bind('res', 'res');

  checkboxes($('categories'), taxonomy.categories.map((c) => ({ id: c.code, label: c.label })), 'categories',
    Boolean(config.published));
  checkboxes($('agencies'), agencies.map((a) => ({ id: a.id, label: a.name })), 'agencies');
}

// checkboxes builds a list of checkboxes whose ticked values are state[key]
// (null meaning all); with one, radio buttons for all or one item.
function checkboxes(fieldset, items, key, one = false) {
  if (one) items = [{ id: '', label: 'All' }, ...items];
  for (const item of items) {
    const row = document.createElement('label');
    row.className = 'cat-row';
    const box = document.createElement('input');
    box.type = one ? 'radio' : 'checkbox';
    box.value = item.id;
    box.name = key;
    box.checked = one ? (state[key] === null ? item.id === '' : state[key].includes(item.id))
      : state[key] === null || state[key].includes(item.id);
    row.append(box);
    row.append(document.createTextNode(item.label));
    const count = document.createElement('span');
    count.className = 'count';
    count.dataset.count = item.id;
    row.append(count);
    fieldset.append(row);
    box.addEventListener('change', () => {
      const ticked = [...fieldset.querySelectorAll('input:checked')].map((b) => b.value);
      if (one) state[key] = ticked[0] ? ticked : null;
      else state[key] = ticked.length === items.length ? null : ticked;
      writeURL();
      load();
    });
  }
}

// hotspotQuery is the query string of the current view.
export function hotspotQuery() {
  const q = viewQuery(Boolean(config.published));
  const res = state.res === 'auto' ? resForZoom(map.getZoom(), map.getCenter().lat, maxResolution()) : Number(state.res);
  q.set('res', String(res));
  if (map.getZoom() >= 11) {
    const b = map.getBounds();
    q.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(','));
  }
  return q;
}

// frozen is true while a snapshot is on the map: live data waits.
let frozen = false;

// setFrozen puts a snapshot on the map (or takes it off): while one is,
// the live controls are disabled, since they would change nothing.
function setFrozen(on, text = '') {
  frozen = on;
  if (on && inflight) inflight.abort();
  mapState(null);
  for (const e of $('controls-form').elements) e.disabled = on;
  $('frozen-text').textContent = text;
  $('frozen').hidden = !on;
  comparison = null;
  comparisonNames = null;
  $('change-legend').hidden = true;
}

function showFrozen(fc, snap) {
  setFrozen(true, `Frozen snapshot "${snap.title}" for the meeting of ${snap.meeting_date} (${snap.classification}): ` +
    `${settings(fc.parameters || snap.parameters)}. Not live data; the controls on the left wait until you go back.`);
  lastQuery = 'snapshot=' + snap.id;
  draw(fc);
}

// showComparison draws a snapshot's cells by how they changed since the
// one before, the gone ones from the comparison's outlines of them.
function showComparison(ch, now, snap) {
  setFrozen(true, `Comparing "${snap.title}" (${ch.settings}) with "${ch.against_title}" (${ch.against_settings}` +
    (ch.recomputed ? ', recomputed from its weekly release under the same settings' : '') + '): ' +
    Object.keys(changeColours).join(', ') + ' (see the legend).');
  const status = new Map(ch.changes.map((c) => [c.cell, c.status]));
  const gone = ch.changes.filter((c) => c.status === 'gone').map((c) => ({
    type: 'Feature', id: c.cell, geometry: { type: 'Polygon', coordinates: [c.ring] },
    properties: { place: c.place, rank: 0, score: c.previous, reports: 0 },
  }));
  comparison = status;
  comparisonNames = new Map(ch.changes.map((c) => [c.cell, c.label]));
  lastQuery = 'compare=' + snap.id;
  draw({ ...now, features: [...now.features, ...gone] });
}

// describeFreeze says exactly what a snapshot of the current view holds.
function describeFreeze(view) {
  const q = hotspotQuery();
  const windowText = $('window').selectedOptions[0]?.textContent || q.get('window');
  const asOf = q.get('as_of') || 'today';
  const cats = q.get('categories') ? `${q.get('categories').split(',').length} categories` : 'all categories';
  const km2 = config.query.limits.cell_areas_km2[Number(q.get('res')) - config.query.limits.min_res];
  return `Will freeze: the whole service area (not only what the map shows), hexagons of resolution ${q.get('res')} ` +
    `(about ${Number(km2.toPrecision(2))} km² each), the ${windowText} to ${asOf}, half-life ${$('half-life').selectedOptions[0]?.textContent}, ` +
    `${cats}, as a ${view === 'full' ? 'snapshot of exact figures' : 'published view'}.`;
}

// noneTicked names the first list of the view with nothing ticked: an
// empty choice shows nothing, as it says.
function noneTicked() {
  if (state.categories && state.categories.length === 0) return ['categories', 'No category is ticked: tick one or more to see hotspots.'];
  if (!config.published && state.agencies && state.agencies.length === 0) return ['agencies', 'No agency is ticked: tick one or more to see hotspots.'];
  return null;
}

async function load() {
  if (frozen) return;
  if (inflight) inflight.abort();
  const none = noneTicked();
  if (none) {
    draw({ features: [] });
    mapState('empty', none[1], ['Tick them all', () => tickAll(none[0])]);
    return;
  }
  inflight = new AbortController();
  const q = hotspotQuery();
  lastQuery = q.toString();
  // What is drawn stays, dimmed, until the answer for the new settings comes.
  mapState('loading', 'Loading the hotspots…');
  let fc;
  try {
    fc = await api('GET', '/api/v1/hotspots?' + q.toString(), undefined, inflight.signal);
  } catch (err) {
    if (err.name === 'AbortError') return;
    // Never a map under settings it was not computed with.
    draw({ features: [] });
    const why = err instanceof ApiError ? err.message : 'hexwatch cannot be reached (are you offline?)';
    mapState('error', `Could not load the hotspots for these settings: ${why}. No hotspots are shown.`, ['Try again', load]);
    return;
  }
  mapState(null);
  draw(fc);
  redrawCoverage();
}

// redrawCoverage draws the coverage layer again, when it is on.
let redrawCoverage = () => {};

// mapState shows, on the map itself, that hotspots are loading (what is
// drawn dims), that they could not be loaded, or that the choice is
// empty, with an action (label and function) when one helps; null clears it.
function mapState(kind, text = '', action = null) {
  const box = $('map-state');
  $('map').classList.toggle('stale', kind === 'loading');
  document.body.dataset.mapState = kind || '';
  box.hidden = !kind;
  box.className = 'map-state ' + (kind || '');
  box.replaceChildren(el('span', text));
  if (action) {
    const b = el('button', action[0], 'secondary');
    b.type = 'button';
    b.addEventListener('click', action[1]);
    box.append(b);
  }
  if (kind) $('status').textContent = text;
}

// tickAll ticks every box of a list of the controls (or its "All"
// radio button), and shows the map.
function tickAll(key) {
  for (const box of $(key).querySelectorAll('input[type=checkbox], input[type=radio][value=""]')) box.checked = true;
  state[key] = null;
  writeURL();
  load();
}

let lastQuery = '';

function draw(fc) {
  drawHexes(fc, places, comparison, comparisonNames);
  drawTopList(fc);
  countCategories(fc);
  const shown = fc.parameters ? ` at resolution ${fc.parameters.res}` : '';
  $('status').textContent = `${fc.features.length} hexagons${shown}` +
    (fc.parameters && fc.parameters.view === 'published' ? ' (published view)' : '');
  showRelease(fc.parameters);
  // For people who automate the page (and its tests): what is drawn, from what.
  document.body.dataset.features = String(fc.features.length);
  document.body.dataset.version = String(fc.data_version || 0);
  document.body.dataset.query = lastQuery;
  document.body.dataset.asOf = (fc.parameters && fc.parameters.as_of) || '';
  document.body.dataset.loaded = String(Date.now());
}

// openCell explains a hexagon: live or frozen.
function openCell(f) {
  // While a new location's area is being picked, a click adds or removes a hexagon.
  if (!frozen && pickCell(f.id)) return;
  choose(f.id);
  if (frozen) showFrozenCell(f, hexLabel(f.id));
  else showCell(f.id, hotspotQuery(), me, hexLabel(f.id));
  keepInView(f);
}

// keepInView pans the map so that the hexagon stays clear of the panel.
function keepInView(f) {
  const panel = $('panel');
  const width = panel.hidden ? 0 : panel.offsetWidth;
  map.panInside(centroid(f), { paddingTopLeft: [20, 20], paddingBottomRight: [width + 20, 20] });
}

// drawTopList lists the ten highest cells as buttons, so that the
// explanations can be reached from the keyboard and by screen readers.
// Each is numbered by its rank, the number on the map: a list of what is
// in view (the map asks for its bounds from zoom 11) says so. Focus on an
// item stays on the same cell's item when the list is drawn again.
function drawTopList(fc) {
  const ol = $('top-list');
  const focused = ol.contains(document.activeElement) ? document.activeElement.dataset.cell : null;
  ol.replaceChildren();
  const inView = Boolean(fc.parameters && fc.parameters.bbox);
  $('top-title').textContent = inView ? 'Top hotspots in view (numbered by rank in the whole area)' : 'Top hotspots';
  for (const f of fc.features.slice(0, 10)) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    const p = f.properties;
    li.value = p.rank;
    b.textContent = `${hexLabel(f.id) || p.place}: score ${score(p.score)}, ${count(p.reports, 'report')}` + (p.confidence ? `, ${p.confidence} %` : '') + (p.trend ? `, ${p.trend}` : '');
    b.dataset.cell = f.id;
    b.addEventListener('click', () => {
      const bounds = hexBounds(f.id);
      // Fly no closer than the zoom that keeps this resolution, so that the hexagon stays drawn.
      if (bounds) map.flyToBounds(bounds, { maxZoom: state.res === 'auto' ? zoomKeeping(lastRes()) : 13, duration: 0.5 });
      openCell(f);
    });
    li.append(b);
    ol.append(li);
    if (f.id === focused) b.focus();
  }
}

function countCategories(fc) {
  const counts = {};
  for (const f of fc.features) {
    for (const [cat, n] of Object.entries(f.properties.categories || {})) counts[cat] = (counts[cat] || 0) + n;
  }
  for (const el of document.querySelectorAll('#categories [data-count]')) {
    el.textContent = String(counts[el.dataset.count] || 0);
  }
}

export function reloadHotspots() { load(); }
