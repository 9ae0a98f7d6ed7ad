// The map: hexagon hotspots over the service area, with controls whose
// state lives in the URL, so a view can be shared and restored.
import L from 'leaflet';
import { api } from './api.js';
import { score, setTaxonomy } from './format.js';
import { showCell, showFrozenCell } from './panel.js';
import { startReportForm } from './report.js';
import { startSnapshots } from './snapshots.js';

const $ = (id) => document.getElementById(id);
const DAY = 86400000;

// Colours of the categories (Okabe-Ito and Tol's muted palettes: colour-blind safe).
export const categoryColours = {
  child_exploitation: '#882255', violence: '#CC6677', cuckooing: '#AA4499', weapons: '#332288',
  missing_found: '#88CCEE', grooming_association: '#44AA99', stash_location: '#117733', drug_supply: '#999933',
  transport_hub: '#DDCC77', deal_line_activity: '#E69F00', suspicious_vehicle: '#56B4E9', community_concern: '#BBBBBB',
};

// Score classes are filled with ColorBrewer's YlOrRd, which colour-blind readers can tell apart.
const palette = ['#ffffb2', '#fecc5c', '#fd8d3c', '#f03b20', '#bd0026'];
const trendLetters = { new: 'N', consecutive: 'C', intensifying: 'I', persistent: 'P', diminishing: 'D', sporadic: 'S', historical: 'H' };

// resForZoom is the documented mapping of zoom to H3 resolution.
export function resForZoom(z, maxRes = 10) {
  if (z <= 8) return 6;
  if (z <= 9) return 7;
  if (z <= 11) return Math.min(8, maxRes);
  if (z <= 13) return Math.min(9, maxRes);
  return maxRes;
}

// The state of the view; every field is mirrored in the URL. The
// parameters' defaults come from the server (map-config's query).
const state = {
  day: null, window: null, halfLife: null, categories: null, agencies: null,
  minSource: null, minAssessment: null, res: 'auto', lat: null, lon: null, zoom: null,
};

// resOptions offers the resolutions the server answers, with their cells' areas.
function resOptions(limits) {
  for (let r = limits.min_res; r <= limits.max_res; r++) {
    const km2 = limits.cell_areas_km2[r - limits.min_res];
    $('res').append(new Option(`${r} (${Number(km2.toPrecision(km2 < 1 ? 1 : 2))} km²)`, String(r)));
  }
}

// applyDefaults fills what the URL did not set with the server's defaults.
function applyDefaults(defaults) {
  state.window ??= defaults.window;
  state.halfLife ??= defaults.half_life;
  state.minSource ??= String(defaults.min_source);
  state.minAssessment ??= defaults.min_assessment;
}

function readURL() {
  const q = new URLSearchParams(location.search);
  if (q.has('as_of')) state.day = q.get('as_of');
  for (const [k, key] of [['window', 'window'], ['half_life', 'halfLife'], ['min_source', 'minSource'],
    ['min_assessment', 'minAssessment'], ['res', 'res']]) {
    if (q.has(k)) state[key] = q.get(k);
  }
  if (q.has('categories')) state.categories = q.get('categories').split(',').filter(Boolean);
  if (q.has('agencies')) state.agencies = q.get('agencies').split(',').filter(Boolean);
  if (q.has('at')) {
    const [lat, lon, zoom] = q.get('at').split(',').map(Number);
    if ([lat, lon, zoom].every(Number.isFinite)) Object.assign(state, { lat, lon, zoom });
  }
}

function writeURL() {
  const q = new URLSearchParams();
  if (state.day) q.set('as_of', state.day);
  q.set('window', state.window);
  q.set('half_life', state.halfLife);
  if (state.categories) q.set('categories', state.categories.join(','));
  if (state.agencies) q.set('agencies', state.agencies.join(','));
  if (state.minSource !== '3') q.set('min_source', state.minSource);
  if (state.minAssessment !== 'D') q.set('min_assessment', state.minAssessment);
  if (state.res !== 'auto') q.set('res', state.res);
  if (state.zoom !== null) q.set('at', `${state.lat.toFixed(5)},${state.lon.toFixed(5)},${state.zoom}`);
  history.replaceState(null, '', '?' + q.toString());
}

let map, hexLayer, trendLayer, me, config, lastResult, inflight, first, last;

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
  map = L.map('map', { zoomSnap: 1, preferCanvas: false });
  if (cfg.tile_url) {
    L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution, maxZoom: 18 }).addTo(map);
  }
  const outline = L.geoJSON(cfg.service_area, { style: { color: '#12263a', weight: 2, fill: false, className: 'service-area' }, interactive: false }).addTo(map);
  if (!cfg.tile_url) placeLabels(cfg.places || []);
  if (state.zoom !== null) map.setView([state.lat, state.lon], state.zoom);
  else map.fitBounds(outline.getBounds());
  hexLayer = L.geoJSON(null, { style: hexStyle, onEachFeature: bindHex }).addTo(map);
  trendLayer = L.layerGroup().addTo(map);

  setupTime(cfg);
  setupControls(taxonomy, agencies.items);
  map.on('moveend', () => {
    const c = map.getCenter();
    Object.assign(state, { lat: c.lat, lon: c.lng, zoom: map.getZoom() });
    writeURL();
    load();
  });
  if (me.permissions.includes('reports:submit')) startReportForm(map, taxonomy, () => load(true));
  if (me.permissions.includes('snapshots:export')) startSnapshots(me, { query: hotspotQuery, showFrozen });
  $('frozen-close').addEventListener('click', () => {
    frozen = false;
    $('frozen').hidden = true;
    load();
  });
  writeURL();
  load();
}

// placeLabels names the gazetteer's places on a map without a basemap, so
// that it stays legible with no tile server (and no third party) at all.
function placeLabels(places) {
  const layer = L.layerGroup().addTo(map);
  for (const p of places) {
    const name = document.createElement('span');
    name.textContent = p.name;
    L.marker([p.lat, p.lon], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'place-label', html: name, iconSize: null }),
    }).addTo(layer);
  }
}

function setupTime(cfg) {
  const slider = $('as-of');
  if (!cfg.data_first) {
    slider.disabled = true;
    $('as-of-label').textContent = 'no data yet';
    return;
  }
  first = new Date(cfg.data_first.slice(0, 10) + 'T00:00:00Z');
  last = new Date(cfg.data_last.slice(0, 10) + 'T00:00:00Z');
  const days = Math.round((last - first) / DAY);
  slider.max = String(days);
  const current = state.day ? Math.round((new Date(state.day + 'T00:00:00Z') - first) / DAY) : days;
  slider.value = String(Math.min(Math.max(current, 0), days));
  const label = () => { $('as-of-label').textContent = dayOf(Number(slider.value)); };
  label();
  slider.addEventListener('input', label);
  slider.addEventListener('change', () => {
    const n = Number(slider.value);
    state.day = n === days ? null : dayOf(n);
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
    if (Number(slider.value) >= days) slider.value = '0';
    button.textContent = 'Pause';
    button.setAttribute('aria-pressed', 'true');
    timer = setInterval(() => {
      const next = Math.min(Number(slider.value) + 7, days);
      slider.value = String(next);
      slider.dispatchEvent(new Event('input'));
      slider.dispatchEvent(new Event('change'));
      if (next >= days) $('play').click();
    }, 1200);
  });
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
  Object.assign(state, { agencies: null, minSource: '3', minAssessment: 'D' });
  if (state.categories && state.categories.length > 1) state.categories = null;
  $('agencies').hidden = true;
  $('grading').hidden = true;
  const note = document.createElement('p');
  note.className = 'muted';
  note.id = 'published-note';
  note.textContent = 'Published view: weekly figures, rounded and perturbed; hexagons of fewer than ' +
    `${menu.min_reports} reports` + (menu.excludes_own ? ' of other agencies (your own are left out)' : ' outside their largest agency') + ' are not shown.';
  $('controls-form').prepend(note);
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

  checkboxes($('categories'), taxonomy.categories.map((c) => ({ id: c.code, label: c.label, colour: categoryColours[c.code] })), 'categories',
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
    if (item.colour) {
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = item.colour;
      row.append(sw);
    }
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
  const q = new URLSearchParams();
  const maxRes = config.published ? config.published.max_res : config.query.limits.max_res;
  const res = state.res === 'auto' ? resForZoom(map.getZoom(), maxRes) : Number(state.res);
  q.set('res', String(res));
  if (state.day) q.set('as_of', state.day);
  q.set('window', state.window);
  q.set('half_life', state.halfLife);
  if (state.categories) q.set('categories', state.categories.join(','));
  if (!config.published) {
    if (state.agencies) q.set('agencies', state.agencies.join(','));
    q.set('min_source', state.minSource);
    q.set('min_assessment', state.minAssessment);
  }
  if (map.getZoom() >= 11) {
    const b = map.getBounds();
    q.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(','));
  }
  return q;
}

// frozen is true while a snapshot is on the map: live data waits.
let frozen = false;

function showFrozen(fc, snap) {
  frozen = true;
  if (inflight) inflight.abort();
  $('frozen-text').textContent = `Frozen snapshot "${snap.title}" for the meeting of ${snap.meeting_date} (${snap.classification}): not live data.`;
  $('frozen').hidden = false;
  lastQuery = 'snapshot=' + snap.id;
  draw(fc);
}

async function load() {
  if (frozen) return;
  if (state.categories && state.categories.length === 0) {
    draw({ features: [] });
    return;
  }
  if (inflight) inflight.abort();
  inflight = new AbortController();
  const q = hotspotQuery();
  lastQuery = q.toString();
  $('status').textContent = 'Loading…';
  try {
    const fc = await api('GET', '/api/v1/hotspots?' + q.toString(), undefined, inflight.signal);
    draw(fc);
  } catch (err) {
    if (err.name !== 'AbortError') $('status').textContent = 'Could not load hotspots: ' + err.message;
  }
}

let bounds = [];
let lastQuery = '';

function draw(fc) {
  lastResult = fc;
  const scores = fc.features.map((f) => f.properties.score).sort((a, b) => a - b);
  bounds = [1, 2, 3, 4].map((i) => scores.length ? scores[Math.floor((i * scores.length) / 5)] : 0);
  hexLayer.clearLayers();
  trendLayer.clearLayers();
  hexLayer.addData(fc);
  for (const f of fc.features.slice(0, 400)) {
    const letter = trendLetters[f.properties.trend];
    if (!letter) continue;
    const ring = f.geometry.coordinates[0];
    const lon = ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1);
    const lat = ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1);
    L.marker([lat, lon], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'trend-mark', html: letter, iconSize: [16, 16] }),
      title: f.properties.trend,
    }).addTo(trendLayer);
  }
  drawLegend();
  drawTopList(fc);
  countCategories(fc);
  const shown = fc.parameters ? ` at resolution ${fc.parameters.res}` : '';
  $('status').textContent = `${fc.features.length} hexagons${shown}` +
    (fc.parameters && fc.parameters.view === 'published' ? ' (published view)' : '');
  // For people who automate the page (and its tests): what is drawn, from what.
  document.body.dataset.features = String(fc.features.length);
  document.body.dataset.version = String(fc.data_version || 0);
  document.body.dataset.query = lastQuery;
  document.body.dataset.asOf = (fc.parameters && fc.parameters.as_of) || '';
  document.body.dataset.loaded = String(Date.now());
}

function classOf(score) {
  let i = 0;
  while (i < bounds.length && score > bounds[i]) i++;
  return i;
}

function hexStyle(f) {
  const p = f.properties;
  const outline = { 99: [3, '#000000', null], 95: [2, '#222222', null], 90: [1.5, '#222222', '4 3'] }[p.confidence] || [0.5, '#777777', null];
  return {
    className: 'hex', fillColor: palette[classOf(p.score)], fillOpacity: 0.7,
    weight: outline[0], color: outline[1], dashArray: outline[2],
  };
}

function bindHex(f, layer) {
  layer.on('click', () => (frozen ? showFrozenCell(f) : showCell(f.id, hotspotQuery(), me)));
  layer.bindTooltip(`${f.properties.place} · rank ${f.properties.rank} · score ${score(f.properties.score)} · ${f.properties.reports} reports`, { sticky: true });
}

function drawLegend() {
  const legend = $('legend');
  legend.replaceChildren();
  const title = document.createElement('strong');
  title.textContent = 'Score';
  legend.append(title);
  const edges = [0, ...bounds];
  palette.forEach((colour, i) => {
    const row = document.createElement('div');
    row.className = 'row';
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.background = colour;
    const text = document.createElement('span');
    text.textContent = i < 4 ? `${score(edges[i])} – ${score(edges[i + 1])}` : `over ${score(edges[4])}`;
    row.append(fill, text);
    legend.append(row);
  });
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = 'Outline: Gi* hot spot at 99 % (thick), 95 %, 90 % (dashed). Letters: trend (New, Consecutive, Intensifying, Persistent, Diminishing, Sporadic, Historical).';
  legend.append(note);
}

// drawTopList lists the ten highest cells as buttons, so that the
// explanations can be reached from the keyboard and by screen readers.
function drawTopList(fc) {
  const ol = $('top-list');
  ol.replaceChildren();
  for (const f of fc.features.slice(0, 10)) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    const p = f.properties;
    b.textContent = `${p.place}: score ${score(p.score)}, ${p.reports} reports` + (p.confidence ? `, ${p.confidence} %` : '') + (p.trend ? `, ${p.trend}` : '');
    b.addEventListener('click', () => (frozen ? showFrozenCell(f) : showCell(f.id, hotspotQuery(), me)));
    li.append(b);
    ol.append(li);
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
