// The hexagon layer: the hotspot cells drawn with their score classes,
// confidence outlines, ranks and trend letters (or a comparison's
// classes), their tooltips, the chosen one, and the legend.
import L from 'leaflet';
import { centroid, count, labelCells, score, scoreClass, scoreClassLabel, scorePalette } from './format.js';
import { $, can } from './dom.js';
import { state, writeURL } from './view.js';

// Trend letters, drawn on hexagons large enough to carry them.
const trendLetters = { new: 'N', consecutive: 'C', intensifying: 'I', persistent: 'P', diminishing: 'D', sporadic: 'S', historical: 'H' };

// The colours of a comparison's classes: not the score ramp.
export const changeColours = { new: '#5e3c99', rising: '#d01c8b', falling: '#0571b0', gone: '#999999', steady: '#e0e0e0' };

let map, hexLayer, markLayer, me, open, marked;
// The answer drawn, its hexagons by cell id, their labels, the one chosen,
// and a comparison's classes by cell (null when none is drawn).
let lastResult = null;
let hexById = new Map();
let labels = new Map();
let chosen = null;
let comparing = null;

// startHexes puts the layer and its legend on m for caller; onOpen is
// called with the feature of a hexagon clicked, onMarks after the rank
// badges are drawn (again).
export function startHexes(m, caller, onOpen, onMarks) {
  map = m;
  me = caller;
  open = onOpen;
  marked = onMarks;
  hexLayer = L.geoJSON(null, { style: hexStyle, onEachFeature: bindHex }).addTo(map);
  markLayer = L.layerGroup().addTo(map);
  legendControl().addTo(map);
  map.on('zoomend', drawMarks);
}

// drawHexes draws the cells of fc, named after places (or by named, cell
// to label, as a comparison names them), by their comparison classes when
// status (cell to class) is given.
export function drawHexes(fc, places, status = null, named = null) {
  comparing = status;
  $('change-legend').hidden = !status;
  lastResult = fc;
  labels = named || labelCells(fc.features, places);
  hexById = new Map();
  hexLayer.clearLayers();
  hexLayer.addData(fc);
  if (chosen) choose(chosen);
  drawMarks();
}

// hexLabel is the place name a drawn cell goes by.
export function hexLabel(id) { return labels.get(id); }

// hexBounds are the bounds of a drawn cell, or null.
export function hexBounds(id) {
  const layer = hexById.get(id);
  return layer ? layer.getBounds() : null;
}

// hexPixels is how wide a drawn hexagon is on screen, in pixels.
function hexPixels(fc) {
  if (!fc || fc.features.length === 0) return 0;
  const ring = fc.features[0].geometry.coordinates[0];
  const a = map.latLngToContainerPoint([ring[0][1], ring[0][0]]);
  const b = map.latLngToContainerPoint([ring[3][1], ring[3][0]]);
  return a.distanceTo(b);
}

// drawMarks puts the top ten's rank badges on the map beside their
// hexagons, each on a short leader line (never on a top-ten hexagon,
// another badge or a map control: a badge that finds no room is left
// out), and trend letters on hexagons large enough to hold them, when
// trends are switched on.
function drawMarks() {
  markLayer.clearLayers();
  if (lastResult) {
    const top = lastResult.features.slice(0, 10);
    const taken = [...top.map(ringBox), ...controlBoxes()];
    const px = hexPixels(lastResult);
    for (const f of top) {
      const spot = besideCell(map.latLngToContainerPoint(centroid(f)), px, taken);
      if (!spot) continue;
      taken.push(spot.box);
      const at = map.containerPointToLatLng([spot.x, spot.y]);
      L.polyline([centroid(f), at], { className: 'rank-leader', interactive: false, weight: 1.5, color: '#12263a' }).addTo(markLayer);
      L.marker(at, {
        interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'rank-mark', html: String(f.properties.rank), iconSize: [22, 18] }),
      }).addTo(markLayer);
    }
    drawTrends(px);
  }
  if (marked) marked();
}

// markBoxes are the rank badges' boxes on the page.
export function markBoxes() {
  return [...document.querySelectorAll('.rank-mark')].map((e) => e.getBoundingClientRect());
}

// A rank badge's size in pixels, with the margin kept round it.
const badge = { w: 22, h: 18, margin: 2 };

// besideCell is where the badge of a hexagon px wide centred at the
// container point at goes: the first spot, on rings from just outside the
// hexagon outwards, that lies on the map and clear of every box taken.
function besideCell(at, px, taken) {
  const size = map.getSize();
  const hw = badge.w / 2 + badge.margin;
  const hh = badge.h / 2 + badge.margin;
  for (let r = px / 2 + hw + 4; r <= px / 2 + 120; r += 8) {
    for (let k = 0; k < 8; k++) {
      const a = (k * Math.PI) / 4 - Math.PI / 4;
      const x = at.x + r * Math.cos(a);
      const y = at.y + r * Math.sin(a);
      const box = { left: x - hw, right: x + hw, top: y - hh, bottom: y + hh };
      if (box.left < 0 || box.top < 0 || box.right > size.x || box.bottom > size.y) continue;
      if (!taken.some((t) => box.left < t.right && t.left < box.right && box.top < t.bottom && t.top < box.bottom)) return { x, y, box };
    }
  }
  return null;
}

// ringBox is the box of a hexagon on the map's container.
function ringBox(f) {
  const pts = f.geometry.coordinates[0].map(([lon, lat]) => map.latLngToContainerPoint([lat, lon]));
  const xs = pts.map((p) => p.x);
  const ys = pts.map((p) => p.y);
  return { left: Math.min(...xs), right: Math.max(...xs), top: Math.min(...ys), bottom: Math.max(...ys) };
}

// controlBoxes are the boxes of the map's controls (the legend, the zoom
// buttons) on its container.
function controlBoxes() {
  const origin = map.getContainer().getBoundingClientRect();
  return [...map.getContainer().querySelectorAll('.leaflet-control')].map((e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left - origin.left, right: r.right - origin.left, top: r.top - origin.top, bottom: r.bottom - origin.top };
  });
}

// drawTrends letters the hexagons, when trends are on and they are large
// enough (px wide) to hold a letter.
function drawTrends(px) {
  if (!state.trends || px < 40) return;
  for (const f of lastResult.features.slice(0, 400)) {
    const letter = trendLetters[f.properties.trend];
    if (!letter || f.properties.rank <= 10) continue;
    L.marker(centroid(f), {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'trend-mark', html: letter, iconSize: [16, 16] }),
    }).addTo(markLayer);
  }
}

function hexStyle(f) {
  const p = f.properties;
  const outline = { 99: [3, '#000000', null], 95: [2, '#222222', null], 90: [1.5, '#222222', '4 3'] }[p.confidence] || [0.5, '#777777', null];
  if (comparing) {
    const st = comparing.get(f.id) || 'steady';
    return { className: 'hex', fillColor: changeColours[st], fillOpacity: 0.75, weight: 1, color: '#333333', dashArray: st === 'gone' ? '4 3' : null };
  }
  // Every report from one agency: paler, with a dotted outline.
  if (p.single_source) return { className: 'hex single-source', fillColor: scorePalette[scoreClass(p.score)], fillOpacity: 0.4, weight: Math.max(outline[0], 1.5), color: outline[1], dashArray: '1 4' };
  return {
    className: 'hex', fillColor: scorePalette[scoreClass(p.score)], fillOpacity: 0.7,
    weight: outline[0], color: outline[1], dashArray: outline[2],
  };
}

// choose outlines the chosen hexagon (and restores the one before).
export function choose(id) {
  if (chosen && hexById.has(chosen)) hexLayer.resetStyle(hexById.get(chosen));
  chosen = id;
  const layer = hexById.get(id);
  if (layer) {
    layer.setStyle({ weight: 4, color: '#1d70b8', dashArray: null });
    layer.bringToFront();
  }
}

// A single click explains a hexagon, unless it turns out to be half of a
// double click, which only zooms; in report mode a click only sets the
// report's location (report.js listens to the map).
function bindHex(f, layer) {
  hexById.set(f.id, layer);
  let timer = null;
  layer.on('click', () => {
    if (reportMode()) return;
    clearTimeout(timer);
    timer = setTimeout(() => open(f), 250);
  });
  layer.on('dblclick', () => clearTimeout(timer));
  layer.on('add', () => {
    const path = layer.getElement();
    if (path) {
      path.setAttribute('tabindex', '-1');
      path.dataset.cell = f.id;
    }
  });
  const p = f.properties;
  layer.bindTooltip(() => (comparing && comparing.get(f.id) === 'gone'
    ? `${labels.get(f.id) || p.place} · gone (score before ${score(p.score)})`
    : `${labels.get(f.id) || p.place} · rank ${p.rank} · score ${score(p.score)} · ${count(p.reports, 'report')}`), { sticky: true });
}

function reportMode() { return !$('report').hidden; }

// legendControl is the legend, on the map: the fixed score classes with
// the fills the hexagons use, what the outlines and marks mean, and the
// switch for trend letters.
function legendControl() {
  const control = L.control({ position: 'bottomright' });
  control.onAdd = () => {
    const box = L.DomUtil.create('div', 'legend');
    box.id = 'legend';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', 'Legend');
    L.DomEvent.disableClickPropagation(box);
    // The legend folds away (folded at first on a phone, where it would
    // cover much of the map).
    const fold = document.createElement('button');
    fold.type = 'button';
    fold.id = 'legend-toggle';
    fold.className = 'legend-toggle';
    fold.textContent = 'Legend';
    fold.setAttribute('aria-controls', 'legend-body');
    const body = document.createElement('div');
    body.id = 'legend-body';
    const show = (open) => {
      body.hidden = !open;
      // Opened, it scrolls within the map rather than run off its top.
      body.style.maxHeight = `${Math.max(120, map.getSize().y - 90)}px`;
      fold.setAttribute('aria-expanded', String(open));
      if (markLayer) drawMarks();
    };
    fold.addEventListener('click', () => show(body.hidden));
    box.append(fold, body);
    show(!matchMedia('(max-width: 700px)').matches);
    const title = document.createElement('strong');
    title.textContent = 'Score (fixed classes)';
    body.append(title);
    for (let i = scorePalette.length - 1; i >= 0; i--) {
      const row = document.createElement('div');
      row.className = 'row';
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.background = scorePalette[i];
      const text = document.createElement('span');
      text.textContent = scoreClassLabel(i);
      row.append(fill, text);
      body.append(row);
    }
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'Outline: hot spot at 99 % (thick), 95 %, 90 % (dashed). Numbers: rank.' +
      (can(me, 'reports:all') ? ' Paler with a dotted outline: every report from one agency (single source).' : '');
    body.append(note);
    const changes = document.createElement('div');
    changes.id = 'change-legend';
    changes.hidden = true;
    const head = document.createElement('strong');
    head.textContent = 'Change since the snapshot before';
    changes.append(head);
    for (const [name, colour] of Object.entries(changeColours)) {
      const row = document.createElement('div');
      row.className = 'row';
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.background = colour;
      const text = document.createElement('span');
      text.textContent = name + (name === 'gone' ? ' (dashed)' : '');
      row.append(fill, text);
      changes.append(row);
    }
    body.append(changes);
    const toggle = document.createElement('label');
    toggle.className = 'cat-row';
    const box2 = document.createElement('input');
    box2.type = 'checkbox';
    box2.id = 'show-trends';
    box2.checked = state.trends;
    box2.addEventListener('change', () => { state.trends = box2.checked; writeURL(); drawMarks(); });
    toggle.append(box2, document.createTextNode('Trend letters when zoomed in (New, Consecutive, Intensifying, Persistent, Diminishing, Sporadic, Historical)'));
    body.append(toggle);
    return box;
  };
  return control;
}

