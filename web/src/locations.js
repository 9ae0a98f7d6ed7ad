// Locations of concern: their outlines on the map for every role, the
// list and the overdue actions, a chair's or analyst's new location made
// from a hotspot cell and its ring, and a location's panel: its actions
// (those the caller's agency owns, or every one for chairs and analysts)
// and whether harm fell, moved next door, or stayed.
import L from 'leaflet';
import { api } from './api.js';
import { $, can, el, focusBack } from './dom.js';
import { plainError } from './errors.js';
import { addCellExtra } from './panel.js';

const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric' });
const dayOf = (iso) => day.format(new Date(`${iso}T12:00:00Z`));

// The outline colours by what the actions of a location need, with the
// words the legend and the list say.
const statusStyle = {
  overdue: { color: '#b00020', words: 'an action is overdue' },
  in_progress: { color: '#0b4f8a', words: 'actions in progress' },
  planned: { color: '#6a3d9a', words: 'actions planned' },
  done: { color: '#1b7837', words: 'every action done' },
  none: { color: '#3a3a3a', words: 'no action yet' },
};

const statusWords = { planned: 'planned', in_progress: 'in progress', done: 'done', cancelled: 'cancelled' };

let map; let me; let taxonomy; let agencies; let layer;
let pendingArea = null;

export function startLocations(theMap, caller, tax, agencyList) {
  map = theMap; me = caller; taxonomy = tax; agencies = agencyList;
  map.createPane('locations').style.zIndex = 450;
  layer = L.geoJSON(null, {
    pane: 'locations',
    style: (f) => ({ color: statusStyle[f.properties.action_status].color, weight: 3, dashArray: f.properties.status === 'closed' ? '2 6' : '8 4', fill: false, className: 'location-outline' }),
    onEachFeature: (f, l) => {
      // An element, not a string: Leaflet would read a string as HTML.
      l.bindTooltip(el('span', f.properties.name), { permanent: true, direction: 'top', className: 'location-label' });
      l.on('click', () => openLocation(f.id));
    },
  }).addTo(map);
  $('locations-open').hidden = false;
  $('locations-open').addEventListener('click', () => {
    for (const id of ['panel', 'report', 'snapshots', 'location']) $(id).hidden = true;
    $('locations').hidden = false;
    $('locations').focus();
    list();
  });
  $('locations-close').addEventListener('click', () => { $('locations').hidden = true; focusBack($('locations-open')); });
  $('location-close').addEventListener('click', () => { $('location').hidden = true; focusBack($('locations-open')); });
  $('lf-cancel').addEventListener('click', () => { $('location-form').hidden = true; pendingArea = null; });
  $('location-form').addEventListener('submit', create);
  const owner = $('lf-owner');
  for (const a of agencies) {
    const o = el('option', a.name);
    o.value = a.id;
    o.selected = a.id === me.agency_id;
    owner.append(o);
  }
  if (can(me, 'locations:manage')) {
    addCellExtra(cellButton);
    $('location-new').hidden = false;
    $('location-new').addEventListener('click', () => newLocation({ cells: [] }, 'Area: click hexagons on the map to add them (all of one resolution).'));
    $('lf-pick').addEventListener('change', () => {
      if (!$('lf-pick').checked) return;
      pendingArea = { cells: [] };
      $('lf-area').textContent = 'Area: click hexagons on the map to add them (all of one resolution).';
    });
  }
  refresh();
}

// refresh draws the locations again.
async function refresh() {
  const fc = await api('GET', '/api/v1/locations');
  layer.clearLayers();
  layer.addData(fc);
  document.body.dataset.locations = String(fc.features.length);
  return fc;
}

// pickCell adds the hexagon clicked to the area being picked, or takes it
// out; it is false (the click opens the cell) when no area is being picked.
export function pickCell(cell) {
  if ($('location-form').hidden || !$('lf-pick').checked) return false;
  const cells = new Set(pendingArea?.cells || []);
  if (cells.has(cell)) cells.delete(cell); else cells.add(cell);
  pendingArea = { cells: [...cells] };
  $('lf-area').textContent = `Area: ${cells.size} hexagon${cells.size === 1 ? '' : 's'} picked on the map.`;
  return true;
}

// cellButton offers, in a hotspot cell's panel, to make a location of it
// and its ring.
function cellButton(cell, body, label) {
  const b = el('button', 'Make a location of concern of this hexagon and its ring', 'secondary');
  b.type = 'button';
  b.id = 'make-location';
  b.addEventListener('click', () => newLocation({ cell, rings: 1 }, `Area: the hexagon ${label || cell} and the six around it.`));
  body.append(b);
}

// newLocation opens the form of a new location with its area, or with
// none to pick on the map.
function newLocation(area, words) {
  pendingArea = area;
  for (const id of ['panel', 'location']) $(id).hidden = true;
  $('locations').hidden = false;
  $('location-form').hidden = false;
  $('location-form').reset();
  for (const p of document.querySelectorAll('#location-form .error')) p.textContent = '';
  $('lf-result').textContent = '';
  $('lf-area').textContent = words;
  $('lf-pick').checked = area.cells !== undefined;
  for (const o of $('lf-owner').options) o.selected = o.value === me.agency_id;
  $('lf-name').focus();
  list();
}

async function create(ev) {
  ev.preventDefault();
  for (const p of document.querySelectorAll('#location-form .error')) p.textContent = '';
  const body = { name: $('lf-name').value, meeting_ref: $('lf-ref').value, owner_agency: $('lf-owner').value, ...(pendingArea || {}) };
  if ($('lf-review').value) body.review_date = $('lf-review').value;
  try {
    const loc = await api('POST', '/api/v1/locations', body);
    $('location-form').hidden = true;
    pendingArea = null;
    await refresh();
    await list();
    openLocation(loc.id);
  } catch (err) {
    $('lf-result').textContent = 'Not recorded: ' + err.message;
    for (const fe of err.fields) {
      const box = document.querySelector(`#location-form [data-field="${CSS.escape(fe.field)}"] .error`);
      if (box) box.textContent = plainError(fe);
    }
  }
}

// list lists the locations and, for those who see every action, the overdue ones.
async function list() {
  const ul = $('location-list');
  // Busy until the new list is drawn: the old one's buttons are gone by then.
  ul.setAttribute('aria-busy', 'true');
  const fc = await refresh();
  ul.replaceChildren();
  for (const f of fc.features) {
    const p = f.properties;
    const li = el('li');
    const open = el('button', p.name, 'link');
    open.type = 'button';
    open.addEventListener('click', () => openLocation(f.id));
    li.append(open, el('div', `${p.status === 'closed' ? 'Closed · ' : ''}${p.owner_agency} · ${statusStyle[p.action_status].words}` +
      (p.review_date ? ` · review ${dayOf(p.review_date)}` : ''), 'muted'));
    ul.append(li);
  }
  if (fc.features.length === 0) ul.append(el('li', 'No location of concern is recorded.'));
  ul.removeAttribute('aria-busy');
  $('overdue-section').hidden = !can(me, 'locations:manage');
  if (!can(me, 'locations:manage')) return;
  const overdue = await api('GET', '/api/v1/actions?overdue=true');
  const ol = $('overdue-list');
  ol.replaceChildren();
  for (const a of overdue.items) ol.append(el('li', `${a.location}: ${a.tactic_label}, ${a.owner_agency}, due ${dayOf(a.due_date)}`));
  if (overdue.items.length === 0) ol.append(el('li', 'None overdue.'));
}

// openLocation shows a location, its actions and its evaluation.
export async function openLocation(id) {
  for (const p of ['panel', 'locations', 'report', 'snapshots']) $(p).hidden = true;
  const body = $('location-body');
  body.replaceChildren(el('p', 'Loading…', 'muted'));
  $('location').hidden = false;
  $('location').focus();
  const loc = await api('GET', `/api/v1/locations/${id}`);
  const p = loc.properties;
  $('location').dataset.id = id;
  body.replaceChildren(
    el('h2', p.name),
    el('p', `${p.status === 'closed' ? `Closed: ${p.closed_reason}. ` : ''}Owner: ${p.owner_agency}` +
      (p.meeting_ref ? ` · meeting ${p.meeting_ref}` : '') + (p.review_date ? ` · review ${dayOf(p.review_date)}` : '')),
    el('p', `${p.cells.length} hexagons at resolution ${p.res}; on the map: ${statusStyle[p.action_status].words}.`, 'muted'),
  );
  const bounds = layer.getLayers().find((l) => l.feature.id === id)?.getBounds();
  if (bounds) map.fitBounds(bounds, { maxZoom: 15, paddingBottomRight: [400, 0] });
  if (loc.actions) body.append(actionsSection(loc));
  body.append(evaluationSection(loc));
  if (can(me, 'locations:manage')) body.append(statusForm(loc));
}

// statusForm closes a location with a reason, or opens it again; closed
// ones stay for the record.
function statusForm(loc) {
  const closed = loc.properties.status === 'closed';
  const form = el('form', undefined, 'location-status');
  form.noValidate = true;
  form.append(el('h3', closed ? 'Open it again' : 'Close this location'));
  const reason = el('input'); reason.id = 'ls-reason'; reason.maxLength = 500;
  const rl = el('label', 'Why it is closed (no personal data)'); rl.htmlFor = 'ls-reason';
  const err = el('p', '', 'error'); err.setAttribute('role', 'alert');
  const go = el('button', closed ? 'Open again' : 'Close location', 'secondary'); go.type = 'submit';
  if (!closed) form.append(rl, reason);
  form.append(err, go);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      await api('PATCH', `/api/v1/locations/${loc.id}`, closed ? { status: 'open' } : { status: 'closed', closed_reason: reason.value });
      await refresh();
      openLocation(loc.id);
    } catch (e) {
      err.textContent = e.fields.length ? e.fields.map((fe) => plainError(fe) + '.').join(' ') : e.message;
    }
  });
  return form;
}

// mayUpdate is whether the caller may update action a: its own agency's,
// or any for those who manage locations.
const mayUpdate = (a) => can(me, 'locations:manage') || (can(me, 'actions:work') && a.owner_agency_id === me.agency_id);

function actionsSection(loc) {
  const box = el('section');
  box.setAttribute('aria-labelledby', 'actions-title');
  const h = el('h3', can(me, 'locations:manage') ? 'Actions' : 'Your agency\'s actions');
  h.id = 'actions-title';
  box.append(h);
  const ul = el('ul', undefined, 'snapshots actions-list');
  for (const a of loc.actions) ul.append(actionItem(a, loc));
  if (loc.actions.length === 0) ul.append(el('li', can(me, 'locations:manage') ? 'No action yet.' : 'Your agency owns no action here.'));
  box.append(ul);
  if (can(me, 'locations:manage')) box.append(actionForm(loc));
  return box;
}

function actionItem(a, loc) {
  const li = el('li');
  li.dataset.action = a.id;
  li.append(el('strong', a.tactic_label), el('div', `${a.owner_agency} · ${dayOf(a.start_date)} to ${dayOf(a.due_date)} · ${statusWords[a.status]}` +
    (a.overdue ? ' · OVERDUE' : '') + (a.done_at ? ` on ${dayOf(a.done_at)}` : '')));
  if (a.note) li.append(el('div', a.note, 'muted'));
  if (!mayUpdate(a)) return li;
  const form = el('form', undefined, 'action-update');
  const sid = `as-${a.id}`; const nid = `an-${a.id}`;
  const sl = el('label', 'Status'); sl.htmlFor = sid;
  const select = el('select'); select.id = sid;
  for (const s of taxonomy.action_statuses) {
    const o = el('option', statusWords[s]);
    o.value = s;
    o.selected = s === a.status;
    select.append(o);
  }
  const nl = el('label', 'Note (no names or other personal data)'); nl.htmlFor = nid;
  const note = el('textarea'); note.id = nid; note.rows = 2; note.maxLength = 500; note.value = a.note;
  const err = el('p', '', 'error'); err.setAttribute('role', 'alert');
  const save = el('button', 'Save', 'secondary'); save.type = 'submit';
  form.append(sl, select, nl, note, err, save);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    try {
      await api('PATCH', `/api/v1/actions/${a.id}`, { status: select.value, note: note.value });
      await refresh();
      openLocation(loc.id);
    } catch (e) {
      err.textContent = e.fields.length ? e.fields.map((fe) => plainError(fe) + '.').join(' ') : e.message;
    }
  });
  li.append(form);
  return li;
}

// actionForm tasks an agency with a new action.
function actionForm(loc) {
  const form = el('form', undefined, 'action-new');
  form.noValidate = true;
  form.append(el('h3', 'New action'));
  const field = (name, label, input) => {
    const box = el('div', undefined, 'field');
    box.dataset.field = name;
    input.id = `na-${name}`;
    const l = el('label', label); l.htmlFor = input.id;
    const e = el('p', '', 'error'); e.setAttribute('role', 'alert');
    box.append(l, input, e);
    form.append(box);
    return input;
  };
  const tactic = field('tactic', 'Tactic', el('select'));
  for (const t of taxonomy.tactics) { const o = el('option', t.label); o.value = t.code; tactic.append(o); }
  const owner = field('owner_agency', 'Agency that owns it', el('select'));
  for (const a of agencies) { const o = el('option', a.name); o.value = a.id; owner.append(o); }
  const start = field('start_date', 'Start', el('input')); start.type = 'date'; start.value = new Date().toISOString().slice(0, 10);
  const due = field('due_date', 'Due', el('input')); due.type = 'date';
  const note = field('note', 'Note (no names or other personal data)', el('textarea')); note.rows = 2; note.maxLength = 500;
  const result = el('p', '', ''); result.setAttribute('role', 'status');
  const add = el('button', 'Add action'); add.type = 'submit';
  form.append(result, add);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const p of form.querySelectorAll('.error')) p.textContent = '';
    const body = { tactic: tactic.value, owner_agency: owner.value, note: note.value };
    if (start.value) body.start_date = start.value;
    if (due.value) body.due_date = due.value;
    try {
      await api('POST', `/api/v1/locations/${loc.id}/actions`, body);
      await refresh();
      openLocation(loc.id);
    } catch (err) {
      result.textContent = 'Not added: ' + err.message;
      for (const fe of err.fields) {
        const box = form.querySelector(`[data-field="${CSS.escape(fe.field)}"] .error`);
        if (box) box.textContent = plainError(fe);
      }
    }
  });
  return form;
}

// evaluationSection asks whether harm fell, moved next door or stayed,
// from a date (by default the first action's start) over some weeks.
function evaluationSection(loc) {
  const box = el('section', undefined, 'evaluation');
  box.setAttribute('aria-labelledby', 'eval-title');
  const h = el('h3', 'Did harm fall, move next door, or stay?'); h.id = 'eval-title';
  const starts = (loc.actions || []).filter((a) => a.status !== 'cancelled').map((a) => a.start_date).sort();
  const lastWeek = new Date(Date.now() - 7 * 86400000).toISOString().slice(0, 10);
  const at = el('input'); at.type = 'date'; at.id = 'ev-at';
  at.value = starts[0] && starts[0] <= lastWeek ? starts[0] : lastWeek;
  const al = el('label', 'From the week of'); al.htmlFor = 'ev-at';
  const weeks = el('select'); weeks.id = 'ev-weeks';
  for (const n of [4, 8, 13, 26]) { const o = el('option', `${n} weeks before and after`); o.value = String(n); o.selected = n === 8; weeks.append(o); }
  const wl = el('label', 'Weeks compared'); wl.htmlFor = 'ev-weeks';
  const go = el('button', 'Evaluate', 'secondary'); go.type = 'button'; go.id = 'ev-go';
  const out = el('div'); out.id = 'ev-out'; out.setAttribute('aria-live', 'polite');
  go.addEventListener('click', () => evaluate(loc, at.value, weeks.value, out));
  box.append(h, al, at, wl, weeks, go, out);
  evaluate(loc, at.value, weeks.value, out);
  return box;
}

async function evaluate(loc, at, weeks, out) {
  out.replaceChildren(el('p', 'Evaluating…', 'muted'));
  let ev;
  try {
    ev = await api('GET', `/api/v1/locations/${loc.id}/evaluation?at=${encodeURIComponent(at)}&weeks=${weeks}`);
  } catch (err) {
    out.replaceChildren(el('p', 'Could not evaluate: ' + (err.fields[0]?.message || err.message), 'error'));
    return;
  }
  if (ev.view === 'published' && !ev.release) {
    const p = el('p', ev.reading, 'reading');
    p.id = 'ev-reading';
    out.replaceChildren(p);
    return;
  }
  const reading = el('p', ev.reading, 'reading');
  reading.id = 'ev-reading';
  const source = ev.view === 'published'
    ? `Published figures of the weekly release of ${dayOf(ev.release)}: perturbed by up to ±2, shown only with enough reports, in whole weeks.`
    : 'Exact figures of every counted report.';
  out.replaceChildren(reading, figuresTable(ev), el('p', source + ` Buffer: the hexagons within ${ev.buffer_rings} rings around the area; control: the rest of the service area.`, 'muted'));
  if (ev.measures) {
    const m = ev.measures.harm;
    const wdq = m.wdq === null ? 'not computed (no success to weigh)' : m.wdq.toFixed(2);
    out.append(el('p', `Weighted displacement quotient ${wdq} · success measure ${m.success_measure.toFixed(4)} · net effect ${m.net_effect.toFixed(1)} harm` +
      (ev.test ? ` · odds ratio ${ev.test.odds_ratio.toFixed(2)} (95 % ${ev.test.low.toFixed(2)} to ${ev.test.high.toFixed(2)}), p = ${ev.test.p.toFixed(3)}` : ''), 'muted'));
  }
  if (ev.trend && ev.trend.before) {
    const t = (m) => Object.entries(m || {}).map(([k, v]) => `${v} ${k.replace('_', ' ')}`).join(', ') || 'none';
    out.append(el('p', `Trend of its hexagons: at the date ${t(ev.trend.before)}; now ${t(ev.trend.after)}.`, 'muted'));
  }
  out.append(timeline(ev, loc.actions || []));
}

function figuresTable(ev) {
  const table = el('table', undefined, 'reports changes');
  const cap = el('caption', `Harm (reports) in the ${ev.weeks} weeks before and the ${ev.weeks_after} after ${dayOf(ev.at)}`);
  const head = el('tr');
  for (const h of ['', 'Before', 'After', 'Change']) head.append(el('th', h));
  table.append(cap, head);
  const fig = (f) => (f.reports === null ? 'too few reports' : `${f.harm.toFixed(0)} (${f.reports})`);
  for (const [name, r] of [['Area', ev.regions.area], ['Buffer', ev.regions.buffer], ['Control', ev.regions.control]]) {
    const tr = el('tr');
    const c = r.change.harm;
    tr.append(el('th', `${name} (${r.cells} hexagons)`), el('td', fig(r.before)), el('td', fig(r.after)),
      el('td', c === null || c === undefined ? '–' : `${c > 0 ? '+' : ''}${Math.round(100 * c)} %`));
    table.append(tr);
  }
  return table;
}

// timeline draws the area's harm by period with the actions' start dates
// marked, and says the same in words for a screen reader.
function timeline(ev, actions) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const w = 340; const hgt = 90; const n = ev.timeline.length || 1;
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('class', 'timeline');
  svg.setAttribute('role', 'img');
  const top = Math.max(1, ...ev.timeline.map((p) => p.harm || 0));
  const starts = ev.timeline.map((p) => Date.parse(p.start));
  const end = starts.length ? starts[starts.length - 1] + ev.timeline[ev.timeline.length - 1].weeks * 7 * 86400000 : 0;
  const x = (t) => (starts.length ? ((t - starts[0]) / Math.max(1, end - starts[0])) * w : 0);
  ev.timeline.forEach((p, i) => {
    const r = document.createElementNS(ns, 'rect');
    const bh = p.harm === null ? 4 : Math.max(1, (70 * p.harm) / top);
    r.setAttribute('x', String((i * w) / n + 1)); r.setAttribute('width', String(w / n - 2));
    r.setAttribute('y', String(80 - bh)); r.setAttribute('height', String(bh));
    r.setAttribute('class', p.harm === null ? 'too-few' : 'harm');
    svg.append(r);
  });
  const marks = [];
  for (const a of actions.filter((x) => x.status !== 'cancelled')) {
    const t = Date.parse(a.start_date);
    if (!starts.length || t < starts[0] || t > end) continue;
    const line = document.createElementNS(ns, 'line');
    line.setAttribute('x1', String(x(t))); line.setAttribute('x2', String(x(t)));
    line.setAttribute('y1', '0'); line.setAttribute('y2', '82');
    line.setAttribute('class', 'action-mark');
    svg.append(line);
    marks.push(`${a.tactic_label} from ${dayOf(a.start_date)}`);
  }
  const said = ev.timeline.map((p) => `${dayOf(p.start)}: ${p.harm === null ? 'too few reports' : p.harm.toFixed(0)}`).join('; ');
  svg.setAttribute('aria-label', `Harm in the area by ${ev.timeline[0]?.weeks === 1 ? 'week' : `${ev.timeline[0]?.weeks} weeks`}: ${said}.` +
    (marks.length ? ` Actions: ${marks.join('; ')}.` : ''));
  const fig = el('figure', undefined, 'timeline-box');
  fig.append(svg, el('figcaption', `Harm in the area over time; lines mark when actions started${marks.length ? '' : ' (none in this span)'}.`, 'muted'));
  return fig;
}
