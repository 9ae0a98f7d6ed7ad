// How the page writes scores and names the categories and agency kinds.

let categoryLabels = {};

// setTaxonomy learns the categories' labels from /api/v1/taxonomy.
export function setTaxonomy(taxonomy) {
  categoryLabels = Object.fromEntries(taxonomy.categories.map((c) => [c.code, c.label]));
}

export const categoryLabel = (code) => categoryLabels[code] || words(code);

// words turns a code such as local_authority into "Local authority".
export function words(code) {
  const s = String(code).replaceAll('_', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// score writes a score with two significant figures below 10, so that the
// small scores of faded reports do not all read 0.0.
export function score(v) {
  if (v === 0) return '0';
  if (v >= 10) return v.toFixed(0);
  return v >= 1 ? v.toFixed(1) : v.toPrecision(2);
}

// Score classes are fixed, on a log scale, so that a cell keeps its colour
// across filters, play frames, resolutions and roles: class i holds scores
// from scoreBreaks[i-1] (inclusive) up to scoreBreaks[i]. Filled with
// ColorBrewer's YlOrRd, which colour-blind readers can tell apart.
export const scoreBreaks = [1, 3, 10, 30, 100, 300];
export const scorePalette = ['#ffffb2', '#fed976', '#feb24c', '#fd8d3c', '#fc4e2a', '#e31a1c', '#b10026'];

export function scoreClass(v) {
  let i = 0;
  while (i < scoreBreaks.length && v >= scoreBreaks[i]) i++;
  return i;
}

// scoreClassLabel names class i as the legend writes it.
export function scoreClassLabel(i) {
  if (i === 0) return `under ${scoreBreaks[0]}`;
  if (i === scoreBreaks.length) return `${scoreBreaks[i - 1]} and over`;
  return `${scoreBreaks[i - 1]} to ${scoreBreaks[i]}`;
}

const compass = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'];

// offsetFrom says where (lat, lon) lies from a place, e.g. "1.2 km NE".
export function offsetFrom(place, lat, lon) {
  const dy = (lat - place.lat) * 111.2;
  const dx = (lon - place.lon) * 111.2 * Math.cos((place.lat * Math.PI) / 180);
  const km = Math.hypot(dx, dy);
  if (km < 0.3) return 'centre';
  const bearing = (Math.atan2(dx, dy) * 180) / Math.PI;
  return `${km.toFixed(1)} km ${compass[Math.round(((bearing + 360) % 360) / 45) % 8]}`;
}

// centroid is the mean of a hexagon's vertices, [lat, lon].
export function centroid(feature) {
  const ring = feature.geometry.coordinates[0].slice(0, -1);
  return [ring.reduce((s, p) => s + p[1], 0) / ring.length, ring.reduce((s, p) => s + p[0], 0) / ring.length];
}

// labelCells gives every hexagon of an answer a human label that no other
// hexagon of it shares: its place, then where it lies from the place's
// centre, then its rank. places are the gazetteer's, by name.
export function labelCells(features, places) {
  const byPlace = new Map();
  for (const f of features) {
    const name = f.properties.place || 'Unnamed area';
    if (!byPlace.has(name)) byPlace.set(name, []);
    byPlace.get(name).push(f);
  }
  const labels = new Map();
  for (const [name, fs] of byPlace) {
    if (fs.length === 1) {
      labels.set(fs[0].id, name);
      continue;
    }
    const place = places.get(name);
    const seen = new Map();
    for (const f of fs) {
      const [lat, lon] = centroid(f);
      const label = place ? `${name}, ${offsetFrom(place, lat, lon)}` : name;
      seen.set(label, (seen.get(label) || 0) + 1);
      labels.set(f.id, label);
    }
    for (const f of fs) {
      if (seen.get(labels.get(f.id)) > 1) labels.set(f.id, `${labels.get(f.id)} (rank ${f.properties.rank})`);
    }
  }
  return labels;
}

// count writes n with its noun, singular or plural: "1 report", "3 reports".
export function count(n, noun, plural = noun + 's') {
  return `${n.toLocaleString('en-GB')} ${n === 1 ? noun : plural}`;
}
