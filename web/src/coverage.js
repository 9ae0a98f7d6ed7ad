// The layer "Where our information comes from": who reported from each
// hexagon in the map's window (exact for analysts; for everyone else read
// from the weekly release, at resolution 7 at most and by agency kind
// only), drawn over the hotspots with a legend in words.
import L from 'leaflet';
import { api } from './api.js';
import { $, el } from './dom.js';

const colours = { police: '#1d4e89', partners: '#b35900', both: '#2a7f3b', none: '#6b6b6b', mixed: '#7a4fa8' };
const order = ['both', 'police', 'partners', 'mixed', 'none'];
let layer = null;
let inflight = null;

// startCoverage wires the layer's tick box; the function it returns draws
// the layer again for the map's current query (published: whether the
// caller gets the published view).
export function startCoverage(map, query, published) {
  const redraw = () => refresh(map, query(), published());
  $('coverage-on').addEventListener('change', redraw);
  return () => { if ($('coverage-on').checked) redraw(); };
}

async function refresh(map, q, published) {
  const legend = $('coverage-legend');
  if (inflight) inflight.abort();
  if (layer) {
    layer.remove();
    layer = null;
  }
  if (!$('coverage-on').checked) {
    legend.hidden = true;
    legend.replaceChildren();
    delete document.body.dataset.coverage;
    return;
  }
  if (published && Number(q.get('res')) > 7) q.set('res', '7');
  inflight = new AbortController();
  let fc;
  try {
    fc = await api('GET', '/api/v1/coverage?' + q.toString(), undefined, inflight.signal);
  } catch (err) {
    if (err.name === 'AbortError') return;
    legend.hidden = false;
    legend.replaceChildren(el('p', 'Could not load where the information comes from: ' + err.message, 'error'));
    return;
  }
  const silent = (f) => Boolean(f.properties.silent_kinds && f.properties.silent_kinds.length);
  layer = L.geoJSON(fc, {
    interactive: false,
    style: (f) => ({
      color: silent(f) ? '#000000' : colours[f.properties.coverage], weight: silent(f) ? 2.5 : 1,
      dashArray: silent(f) ? '4 3' : null, fillColor: colours[f.properties.coverage], fillOpacity: 0.35, className: 'coverage-cell',
    }),
  }).addTo(map);
  const counts = {};
  for (const f of fc.features) counts[f.properties.coverage] = (counts[f.properties.coverage] || 0) + 1;
  const list = el('ul', undefined, 'coverage-list');
  for (const k of order) {
    if (!fc.legend[k]) continue;
    const li = el('li');
    const swatch = el('span', undefined, 'swatch');
    swatch.style.background = colours[k];
    swatch.setAttribute('aria-hidden', 'true');
    li.append(swatch, el('span', `${fc.legend[k]}: ${counts[k] || 0} hexagons`));
    list.append(li);
  }
  const quiet = fc.features.filter(silent).length;
  const notes = [
    el('p', `At resolution ${fc.parameters.res}, ${fc.view === 'published' ? 'from the weekly release' : 'exact'}. ` +
      'Hexagons without colour: nobody reported from there.', 'muted'),
    el('p', fc.view === 'published'
      ? `Dashed black outline: a kind of agency named there in the release of the window before is no longer named (fewer reports, or from one agency only) (${quiet} hexagons).`
      : `Dashed black outline: a kind of agency that reported there in the window before reported nothing in this one (${quiet} hexagons).`, 'muted'),
  ];
  legend.replaceChildren(el('h3', 'Where our information comes from', 'small'), list, ...notes);
  legend.hidden = false;
  document.body.dataset.coverage = String(fc.features.length);
}
