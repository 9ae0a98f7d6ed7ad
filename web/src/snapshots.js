// Snapshots for tasking meetings: freeze the current view, list the
// snapshots with their exports, and open one on the map, frozen.
import { api } from './api.js';

const $ = (id) => document.getElementById(id);
const el = (tag, text) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  return e;
};

export function startSnapshots(me, { query, showFrozen }) {
  $('snapshots-open').hidden = false;
  $('freeze-form').hidden = !me.permissions.includes('snapshots:create');
  const exact = me.permissions.includes('reports:all');
  $('f-view-field').hidden = !exact;
  $('snapshots-open').addEventListener('click', () => {
    $('panel').hidden = true;
    $('report').hidden = true;
    $('snapshots').hidden = false;
    list();
  });
  $('snapshots-close').addEventListener('click', () => { $('snapshots').hidden = true; });
  $('s-purpose').addEventListener('change', list);

  $('freeze-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const p of document.querySelectorAll('#freeze-form .error')) p.textContent = '';
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
        if (box) box.textContent = fe.message;
      }
    }
  });

  async function list() {
    const ul = $('snapshot-list');
    const out = await api('GET', '/api/v1/snapshots?limit=50');
    ul.replaceChildren();
    const purpose = encodeURIComponent($('s-purpose').value || 'Multi-agency tasking meeting');
    for (const s of out.items) {
      const li = el('li');
      li.append(el('strong', s.title), el('div', `Meeting ${s.meeting_date} · ${s.cells} hexagons · ${s.classification} · by ${s.created_by}`));
      const links = el('div');
      for (const [label, href] of [['GeoJSON', s.links.geojson], ['CSV', s.links.csv], ['PDF briefing', s.links.pdf]]) {
        const a = el('a', label);
        a.href = `${href}?purpose=${purpose}`;
        a.setAttribute('download', '');
        links.append(a);
      }
      const open = el('button', 'Open on the map');
      open.type = 'button';
      open.addEventListener('click', async () => {
        const fc = await api('GET', `${s.links.geojson}?purpose=${encodeURIComponent('viewed on the map')}`);
        $('snapshots').hidden = true;
        showFrozen(fc, s);
      });
      links.append(open);
      li.append(links);
      ul.append(li);
    }
    if (out.items.length === 0) ul.append(el('li', 'No snapshot yet.'));
  }
}
