// The side panel that explains a hexagon, and for analysts lists the
// reports behind it.
import { api } from './api.js';
import { categoryLabel, score, words } from './format.js';

const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

$('panel-close').addEventListener('click', () => { $('panel').hidden = true; });

export async function showCell(cell, query, me) {
  const body = $('panel-body');
  body.replaceChildren(el('p', 'Loading…', 'muted'));
  $('report').hidden = true;
  $('panel').hidden = false;
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
    body.replaceChildren(...publishedCell(cell, ex));
    $('panel').dataset.cell = cell;
    return;
  }
  body.replaceChildren(
    el('h2', `Near ${h.place}`),
    el('p', `Hexagon ${cell}`, 'muted'),
    el('p', `Rank ${h.rank} · score ${h.score.toFixed(2)} · ${h.reports} reports from ${h.agencies} agencies`),
    el('p', `Gi* z = ${h.gi_z.toFixed(2)} (p = ${h.gi_p.toPrecision(2)})` + (h.confidence ? `: hot spot at ${h.confidence} % confidence` : ': not a significant hot spot')),
    el('p', 'Trend: ' + ex.trend_in_words),
    el('h3', 'Score by category'), bars(ex.by_category, h.score, categoryLabel),
    el('h3', 'Score by agency kind'), bars(ex.by_agency_kind, h.score, words),
    el('h3', 'Score by grading'), bars(ex.by_grading, h.score, (g) => g),
    el('h3', 'Reports per week'), sparkline(ex.weeks.map((w) => w.reports)),
    el('h3', 'Agencies'), agencyList(ex.agencies || []),
  );
  $('panel').dataset.cell = cell;
  if (me.permissions.includes('reports:all') && ex.links.reports) {
    body.append(el('h3', 'Reports'));
    const list = el('ul', undefined, 'reports');
    body.append(list);
    const fc = await api('GET', ex.links.reports + '&limit=200');
    for (const f of fc.features) {
      const p = f.properties;
      const li = el('li');
      li.append(el('strong', `${categoryLabel(p.category)} · ${p.observed_at.slice(0, 16).replace('T', ' ')} · ${p.grading.source}${p.grading.assessment}${p.grading.handling}`));
      if (p.narrative) li.append(el('div', p.narrative));
      list.append(li);
    }
  }
}

// publishedCell explains a cell of the published view: perturbed counts of
// the splits that hold enough reports, never scores.
function publishedCell(cell, ex) {
  const h = ex.hotspot;
  const label = (f) => (name) => (name === 'other' ? 'other (small groups merged)' : f(name));
  const periods = ex.periods.map((p) => p.reports || 0);
  return [
    el('h2', `Near ${h.place}`),
    el('p', `Hexagon ${cell}`, 'muted'),
    el('p', `Rank ${h.rank} · score band ${score(h.score)} and over · about ${h.reports} reports`),
    el('p', h.confidence ? `Hot spot at ${h.confidence} % confidence` : 'Not a significant hot spot'),
    el('p', 'Trend: ' + ex.trend_in_words),
    el('h3', 'Reports by category'), bars(ex.by_category, h.reports, label(categoryLabel), 0),
    el('h3', 'Reports by agency kind'), bars(ex.by_agency_kind, h.reports, label(words), 0),
    el('h3', 'Reports by grading'), bars(ex.by_grading, h.reports, label((g) => g), 0),
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
  for (const a of agencies) ul.append(el('li', `${a.agency} (${words(a.kind)}): ${a.reports} reports`));
  return ul;
}

// showFrozenCell shows what a snapshot froze of a hexagon.
export function showFrozenCell(f) {
  const p = f.properties;
  $('report').hidden = true;
  $('panel').hidden = false;
  $('panel-body').replaceChildren(
    el('h2', `Near ${p.place} (frozen)`),
    el('p', `Hexagon ${f.id}`, 'muted'),
    el('p', `Rank ${p.rank} · score ${p.score.toFixed(2)} · ${p.reports} reports` + (p.agencies ? ` from ${p.agencies} agencies` : '')),
    el('p', (p.gi_z === undefined ? '' : `Gi* z = ${p.gi_z.toFixed(2)}: `) + (p.confidence ? `hot spot at ${p.confidence} % confidence` : 'not a significant hot spot')),
    el('p', `Trend: ${p.trend || 'none'} · top categories: ${p.top_categories.split('; ').filter(Boolean).map(categoryLabel).join(', ')}`),
  );
}
