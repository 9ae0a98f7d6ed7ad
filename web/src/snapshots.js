// Snapshots for tasking meetings: freeze the current view (the form says
// exactly what it will freeze), list the snapshots with their settings and
// exports, open one on the map, frozen, or compare it with the one before.
import { api } from './api.js';
import { score } from './format.js';
import { $, can, el, focusBack } from './dom.js';
import { plainError } from './errors.js';


const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric' });
const moment = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});

// durationWords writes "182d" as "26 weeks" and "28d" as "4 weeks".
function durationWords(d) {
  const days = parseInt(d, 10);
  if (!d || Number.isNaN(days)) return d || '';
  return days % 7 === 0 ? `${days / 7} weeks` : `${days} days`;
}

// settings says what a snapshot froze, in words.
export function settings(p) {
  if (!p) return '';
  const parts = [`as of ${day.format(new Date(p.as_of))}`, `resolution ${p.res}`];
  if (p.from) parts.push(`reports from ${day.format(new Date(p.from))}`);
  if (p.half_life) parts.push(`half-life ${durationWords(p.half_life)}`);
  parts.push(p.categories && p.categories.length ? `${p.categories.length} categories` : 'all categories');
  return parts.join(' · ');
}

export function startSnapshots(me, { query, showFrozen, showComparison, describe, empty }) {
  $('snapshots-open').hidden = false;
  $('freeze-form').hidden = !can(me, 'snapshots:create');
  const exact = can(me, 'reports:all');
  $('f-view-field').hidden = !exact;
  const state = () => {
    $('freeze-what').textContent = describe(exact ? $('f-view').value : 'published');
  };
  $('snapshots-open').addEventListener('click', () => {
    $('panel').hidden = true;
    $('report').hidden = true;
    $('snapshots').hidden = false;
    $('snapshots').focus();
    state();
    list();
  });
  $('f-view').addEventListener('change', state);
  $('snapshots-close').addEventListener('click', () => { $('snapshots').hidden = true; focusBack($('snapshots-open')); });
  $('s-purpose').addEventListener('change', list);

  $('freeze-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const p of document.querySelectorAll('#freeze-form .error')) p.textContent = '';
    // A view of nothing ticked shows nothing: there is nothing to freeze.
    if (empty()) {
      $('freeze-result').textContent = 'Not frozen: ' + empty();
      return;
    }
    const params = Object.fromEntries(query());
    delete params.bbox;
    const view = exact ? $('f-view').value : 'published';
    if (view === 'published') {
      // The published view's menu has no grading or agency filter.
      if (params.min_source === '3') delete params.min_source;
      if (params.min_assessment === 'D') delete params.min_assessment;
    }
    try {
      const snap = await api('POST', '/api/v1/snapshots', {
        title: $('f-title').value, meeting_date: $('f-date').value, notes: $('f-notes').value, parameters: params, view,
      });
      $('freeze-result').textContent = `Frozen: ${snap.cells} hexagons, ${snap.classification}.`;
      list();
    } catch (err) {
      $('freeze-result').textContent = 'Not frozen: ' + err.message;
      for (const fe of err.fields) {
        const box = document.querySelector(`#freeze-form [data-field="${CSS.escape(fe.field)}"] .error`);
        if (box) box.textContent = plainError(fe);
      }
    }
  });

  const purpose = () => encodeURIComponent($('s-purpose').value || 'Multi-agency tasking meeting');

  async function list() {
    const ul = $('snapshot-list');
    const out = await api('GET', '/api/v1/snapshots?limit=50');
    ul.replaceChildren();
    for (const s of out.items) {
      const li = el('li');
      li.dataset.id = s.id;
      li.append(el('strong', s.title),
        el('div', `Meeting ${day.format(new Date(s.meeting_date))} · ${s.cells} hexagons · ${s.published ? 'published view' : 'exact figures'} · ${s.classification}`),
        el('div', settings(s.parameters), 'muted'),
        el('div', `Frozen ${moment.format(new Date(s.created_at))} by ${s.created_by}`, 'muted'));
      const links = el('div', undefined, 'snapshot-actions');
      for (const [label, href] of [['GeoJSON', s.links.geojson], ['CSV', s.links.csv], ['PDF briefing', s.links.pdf], ['Locations CSV', s.links.locations_csv]]) {
        const a = el('a', label);
        a.href = `${href}?purpose=${purpose()}`;
        a.setAttribute('download', '');
        links.append(a);
      }
      const open = el('button', 'Open on the map', 'secondary');
      open.type = 'button';
      open.addEventListener('click', async () => {
        const fc = await api('GET', `${s.links.geojson}?purpose=${encodeURIComponent('viewed on the map')}`);
        $('snapshots').hidden = true;
        showFrozen(fc, s);
      });
      const compare = el('button', 'Compare with the one before', 'secondary');
      compare.type = 'button';
      compare.addEventListener('click', () => comparison(s, li));
      links.append(open, compare);
      li.append(links);
      ul.append(li);
    }
    if (out.items.length === 0) ul.append(el('li', 'No snapshot yet.'));
  }

  // comparison shows how a snapshot differs from the one before it: the
  // cells on the map by their change, and a table sorted by its size.
  async function comparison(s, li) {
    const box = el('div', undefined, 'comparison');
    li.querySelector('.comparison')?.remove();
    li.append(box);
    let ch;
    try {
      ch = await api('GET', `${s.links.changes}`);
    } catch (err) {
      const why = { 404: 'There is no earlier snapshot of the same kind to compare with.', 409: 'Not compared: ' + (err.fields[0] || err).message + '.' };
      box.append(el('p', why[err.status] || 'Could not compare: ' + err.message, 'error'));
      return;
    }
    const now = await api('GET', `${s.links.geojson}?purpose=${encodeURIComponent('compared on the map')}`);
    const counts = {};
    for (const c of ch.changes) counts[c.status] = (counts[c.status] || 0) + 1;
    const sides = el('dl', undefined, 'sides');
    sides.append(el('dt', `This snapshot, "${s.title}"`), el('dd', ch.settings),
      el('dt', `Compared with "${ch.against_title}"`), el('dd', ch.against_settings +
        (ch.recomputed ? ' (recomputed from its weekly release under this snapshot\'s settings, so that like compares with like)' : '')));
    box.append(el('h3', `Against "${ch.against_title}"`), sides,
      el('p', ['new', 'rising', 'falling', 'gone', 'steady'].map((k) => `${counts[k] || 0} ${k}`).join(' · ')));
    const table = el('table', undefined, 'reports changes');
    const head = el('tr');
    for (const h of ['Place', 'Change', 'Score then', 'Score now']) head.append(el('th', h));
    table.append(head);
    const sorted = [...ch.changes].sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta));
    for (const c of sorted.filter((x) => x.status !== 'steady').slice(0, 30)) {
      const tr = el('tr');
      tr.dataset.status = c.status;
      tr.append(el('td', c.label), el('td', c.status), el('td', c.status === 'new' ? '–' : score(c.previous)),
        el('td', c.status === 'gone' ? '–' : score(c.score)));
      table.append(tr);
    }
    box.append(table);
    showComparison(ch, now, s);
  }
}
