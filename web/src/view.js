// The view's parameters, in one table: from it the page reads and writes
// its URL, builds its hotspot query and takes its defaults (those of the
// server's map-config). A parameter added here is in all three.

// Each parameter: its field of the state, its name in the URL and the
// query, whether it is a comma-separated list, whether only the full view
// takes it (fullOnly), its default from map-config's query defaults
// (fromServer; none: null), and whether the URL names it even at its
// default (inURL), so that a shared link keeps its window and half-life.
export const viewParams = [
  { key: 'day', name: 'as_of' },
  { key: 'window', name: 'window', fromServer: (d) => d.window, inURL: true },
  { key: 'halfLife', name: 'half_life', fromServer: (d) => d.half_life, inURL: true },
  { key: 'categories', name: 'categories', list: true },
  { key: 'agencies', name: 'agencies', list: true, fullOnly: true },
  { key: 'minSource', name: 'min_source', fullOnly: true, fromServer: (d) => String(d.min_source) },
  { key: 'minAssessment', name: 'min_assessment', fullOnly: true, fromServer: (d) => d.min_assessment },
];

// The state of the view; every field is mirrored in the URL. res is
// 'auto' (from the zoom) or a resolution; at is the map's centre and zoom.
export const state = {
  day: null, window: null, halfLife: null, categories: null, agencies: null,
  minSource: null, minAssessment: null, res: 'auto', lat: null, lon: null, zoom: null, trends: true,
};

// defaults are the server's, once applyDefaults has read them.
const defaults = {};

// applyDefaults fills what the URL did not set with the server's defaults.
export function applyDefaults(serverDefaults) {
  for (const p of viewParams) {
    if (!p.fromServer) continue;
    defaults[p.key] = p.fromServer(serverDefaults);
    state[p.key] ??= defaults[p.key];
  }
}

// resetToDefault sets the parameters keys back to the server's defaults
// (or none), as the published view, which offers no choice of them, needs.
export function resetToDefault(...keys) {
  for (const p of viewParams) if (keys.includes(p.key)) state[p.key] = defaults[p.key] ?? null;
}

function read(p, s) { return p.list ? s.split(',').filter(Boolean) : s; }
function written(p, v) { return p.list ? v.join(',') : String(v); }

// readURL sets the state from the page's URL.
export function readURL() {
  const q = new URLSearchParams(location.search);
  // An empty value is no value, except for a list (none ticked).
  for (const p of viewParams) if (q.has(p.name) && (p.list || q.get(p.name) !== '')) state[p.key] = read(p, q.get(p.name));
  if (q.has('res')) state.res = q.get('res');
  if (q.get('trends') === 'off') state.trends = false;
  if (q.has('at')) {
    const [lat, lon, zoom] = q.get('at').split(',').map(Number);
    if ([lat, lon, zoom].every(Number.isFinite)) Object.assign(state, { lat, lon, zoom });
  }
}

// writeURL mirrors the state in the URL, leaving out what is the default
// unless the parameter is always named.
export function writeURL() {
  const q = new URLSearchParams();
  for (const p of viewParams) {
    const v = state[p.key];
    const def = defaults[p.key];
    if (v !== null && v !== undefined && (p.inURL || def === undefined || written(p, v) !== written(p, def))) q.set(p.name, written(p, v));
  }
  if (state.res !== 'auto') q.set('res', state.res);
  if (!state.trends) q.set('trends', 'off');
  if (state.zoom !== null) q.set('at', `${state.lat.toFixed(5)},${state.lon.toFixed(5)},${state.zoom}`);
  history.replaceState(null, '', '?' + q.toString());
}

// viewQuery is the hotspot query of the state's parameters (res and bbox
// aside, which the map decides): every parameter set, those the
// published view does not take left out of it.
export function viewQuery(published) {
  const q = new URLSearchParams();
  for (const p of viewParams) {
    const v = state[p.key];
    if (v === null || v === undefined || (published && p.fullOnly)) continue;
    q.set(p.name, written(p, v));
  }
  return q;
}
