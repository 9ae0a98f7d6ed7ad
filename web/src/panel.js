// The side panel that explains a hexagon, and for analysts lists the
// reports behind it.
import { api } from './api.js';
import { categoryLabel, count, score, words } from './format.js';
import { $, can, el } from './dom.js';


// The panel takes focus when it opens, and gives it back when it closes.
let returnFocus = null;
// A top-list item drawn again since is the same item: focus goes to the
// one of the same cell.
$('panel-close').addEventListener('click', () => {
  $('panel').hidden = true;
  let back = returnFocus;
  if (back && !document.contains(back) && back.dataset.cell) back = document.querySelector(`#top-list button[data-cell="${CSS.escape(back.dataset.cell)}"]`);
  if (back && document.contains(back)) back.focus();
});

function openPanel() {
  if ($('panel').hidden) returnFocus = document.activeElement;
  $('report').hidden = true;
  document.body.classList.remove('report-mode');
  $('panel').hidden = false;
  $('panel').focus();
}

// cellExtras add to a cell's panel what other modules offer of it (a
// chair's "make a location of concern" button).
const cellExtras = [];
export function addCellExtra(fn) { cellExtras.push(fn); }

export async function showCell(cell, query, me, label) {
  const body = $('panel-body');
  body.replaceChildren(el('p', 'Loading…', 'muted'));
  openPanel();
  const q = new URLSearchParams(query);
  q.delete('bbox');
  let ex;
  try {
    ex = await api('GET', `/api/v1/hotspots/${encodeURIComponent(cell)}?${q}`);
  } catch (err) {
    body.replaceChildren(el('p', 'Could not explain this cell: ' + err.message, 'error'));
    return;
  }
  const h = ex.hotspot;
  if (ex.view === 'published') {
    body.replaceChildren(...publishedCell(cell, ex, label));
    $('panel').dataset.cell = cell;
    for (const extra of cellExtras) extra(cell, body, label);
    return;
  }
  body.replaceChildren(
    el('h2', label || `Near ${h.place}`),
    el('p', `Hexagon ${cell}`, 'muted'),
    el('p', `Rank ${h.rank} · score ${h.score.toFixed(2)} · ${count(h.reports, 'report')} from ${count(h.agencies, 'agency', 'agencies')}`),
    el('p', `Gi* z = ${h.gi_z.toFixed(2)} (p = ${h.gi_p.toPrecision(2)})` + (h.confidence ? `: hot spot at ${h.confidence} % confidence` : ': not a significant hot spot')),
    el('p', 'Trend: ' + ex.trend_in_words),
    el('p', (h.single_source ? 'Single source: every report is from one agency. ' : '') +
      `${h.corroborated ?? 0} of ${count(h.reports, 'report')} corroborated by another agency (within 150 m and 7 days).`),
    el('h3', 'Score by category'), bars(ex.by_category, h.score, categoryLabel),
    el('h3', 'Score by agency kind'), bars(ex.by_agency_kind, h.score, words),
    el('h3', 'Score by grading'), bars(ex.by_grading, h.score, (g) => g),
    el('h3', 'Reports per week'), sparkline(ex.weeks.map((w) => w.reports)),
    el('h3', 'Agencies'), agencyList(ex.agencies || []),
  );
  $('panel').dataset.cell = cell;
  for (const extra of cellExtras) extra(cell, body, label);
  if (can(me, 'reports:all') && ex.links.reports) {
    body.append(el('h3', 'Reports'), reportList(ex.links.reports, h.reports));
  }
}

// reportList pages through the reports behind a cell, newest or oldest
// first, and offers them as CSV (an export the audit log records with
// its purpose).
function reportList(link, expected) {
  const box = el('div', undefined, 'report-list');
  const head = el('div', undefined, 'report-list-head');
  const summary = el('p', undefined, 'muted');
  summary.setAttribute('aria-live', 'polite');
  const order = el('select');
  order.setAttribute('aria-label', 'Order of the reports');
  order.append(new Option('Newest first', '-observed_at'), new Option('Oldest first', 'observed_at'));
  const csv = el('a', 'Download all as CSV');
  const table = el('table', undefined, 'reports');
  const pager = el('div', undefined, 'pager');
  const prev = el('button', 'Previous');
  const next = el('button', 'Next');
  for (const b of [prev, next]) { b.type = 'button'; b.className = 'secondary'; }
  pager.append(prev, next);
  head.append(summary, order, csv);
  box.append(head, table, pager);
  const size = 50;
  let offset = 0;
  const show = async () => {
    const q = `${link}&sort=${order.value}&limit=${size}&offset=${offset}`;
    // Every report of the cell, however many (the server refuses past its
    // export limit, and says so).
    csv.href = `${link}&sort=${order.value}&format=csv&purpose=${encodeURIComponent('analysis of a hotspot cell')}`;
    csv.setAttribute('download', '');
    let fc;
    try {
      fc = await api('GET', q);
    } catch (err) {
      summary.textContent = 'Could not list the reports: ' + err.message;
      return;
    }
    const total = fc.number_matched ?? fc.features.length;
    csv.textContent = `Download all ${count(total, 'report')} as CSV`;
    summary.textContent = total === 0 ? 'No report.'
      : `Reports ${offset + 1}–${offset + fc.features.length} of ${total}` +
        (total !== expected ? ` (the cell counts ${expected} in its window)` : '');
    table.replaceChildren(reportRows(fc.features));
    prev.disabled = offset === 0;
    next.disabled = offset + size >= total;
  };
  order.addEventListener('change', () => { offset = 0; show(); });
  prev.addEventListener('click', () => { offset = Math.max(0, offset - size); show(); });
  next.addEventListener('click', () => { offset += size; show(); });
  show();
  return box;
}

const london = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});

function reportRows(features) {
  const frag = document.createDocumentFragment();
  const head = el('tr');
  for (const h of ['Observed', 'What', 'Agency', 'Grading', 'Reference']) head.append(el('th', h));
  frag.append(head);
  for (const f of features) {
    const p = f.properties;
    const tr = el('tr');
    const what = el('td', categoryLabel(p.category));
    if (p.indicators.length) what.append(el('div', p.indicators.map(words).join(', '), 'muted'));
    tr.append(el('td', london.format(new Date(p.observed_at))), what, el('td', agencyName(p.agency_id)),
      el('td', `${p.grading.source}${p.grading.assessment}${p.grading.handling}`), el('td', p.external_ref || f.id.slice(0, 8)));
    frag.append(tr);
    if (p.narrative) {
      const row = el('tr', undefined, 'narrative');
      const td = el('td', p.narrative);
      td.colSpan = 5;
      row.append(td);
      frag.append(row);
    }
  }
  return frag;
}

let agencyNames = new Map();

// setAgencies learns the agencies' names, to name them in report lists.
export function setAgencies(list) { agencyNames = new Map(list.map((a) => [a.id, a.name])); }

const agencyName = (id) => agencyNames.get(id) || 'another agency';

// publishedCell explains a cell of the published view: perturbed counts of
// the splits that hold enough reports, never scores.
function publishedCell(cell, ex, label) {
  const h = ex.hotspot;
  const named = (f) => (name) => (name === 'other' ? 'other (small groups merged)' : f(name));
  const periods = ex.periods.map((p) => p.reports || 0);
  return [
    el('h2', label || `Near ${h.place}`),
    el('p', `Hexagon ${cell}`, 'muted'),
    el('p', `Rank ${h.rank} · score band ${score(h.score)} and over · about ${count(h.reports, 'report')}`),
    el('p', h.confidence ? `Hot spot at ${h.confidence} % confidence` : 'Not a significant hot spot'),
    el('p', 'Trend: ' + ex.trend_in_words),
    el('h3', 'Reports by category'), bars(ex.by_category, h.reports, named(categoryLabel), 0),
    el('h3', 'Reports by agency kind'), bars(ex.by_agency_kind, h.reports, named(words), 0),
    el('h3', 'Reports by grading'), bars(ex.by_grading, h.reports, named((g) => g), 0),
    el('h3', 'Reports per 4 weeks'), sparkline(periods),
    el('p', `Published view: counts are perturbed by up to ±2, groups of fewer than ${ex.parameters.min_reports} reports are merged or left out, and time is counted in whole weeks.`, 'muted'),
  ];
}

function bars(split, total, label, digits = 1) {
  const box = el('div', undefined, 'bars');
  for (const [name, value] of Object.entries(split).sort((a, b) => b[1] - a[1])) {
    const row = el('div', undefined, 'bar-row');
    const track = el('div');
    const fill = el('div', undefined, 'bar-fill');
    fill.style.width = `${total > 0 ? (100 * value) / total : 0}%`;
    track.append(fill);
    row.append(el('span', label(name)), track, el('span', value.toFixed(digits)));
    box.append(row);
  }
  return box;
}

function sparkline(values) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${Math.max(values.length - 1, 1)} 10`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `reports per period, most recent last: ${values.join(', ')}`);
  const top = Math.max(...values, 1);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', values.map((v, i) => `${i},${10 - (10 * v) / top}`).join(' '));
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(line);
  return svg;
}

function agencyList(agencies) {
  const ul = el('ul');
  for (const a of agencies) ul.append(el('li', `${a.agency} (${words(a.kind)}): ${count(a.reports, 'report')}`));
  return ul;
}

// showFrozenCell shows what a snapshot froze of a hexagon.
export function showFrozenCell(f, label) {
  const p = f.properties;
  openPanel();
  $('panel-body').replaceChildren(
    el('h2', `${label || p.place} (frozen)`),
    el('p', `Hexagon ${f.id}`, 'muted'),
    el('p', `Rank ${p.rank} · score ${p.score.toFixed(2)} · ${count(p.reports, 'report')}` + (p.agencies ? ` from ${count(p.agencies, 'agency', 'agencies')}` : '')),
    el('p', (p.gi_z === undefined ? '' : `Gi* z = ${p.gi_z.toFixed(2)}: `) + (p.confidence ? `hot spot at ${p.confidence} % confidence` : 'not a significant hot spot')),
    el('p', `Trend: ${p.trend || 'none'} · top categories: ${p.top_categories.split('; ').filter(Boolean).map(categoryLabel).join(', ')}`),
  );
}
