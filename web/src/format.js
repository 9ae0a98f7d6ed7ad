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
