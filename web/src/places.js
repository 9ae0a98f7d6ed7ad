// Place names on a map without a basemap.
import L from 'leaflet';

// placeLabels names the gazetteer's places on map, so that it stays
// legible with no tile server (and no third party) at all.
export function placeLabels(map, places) {
  const layer = L.layerGroup().addTo(map);
  for (const p of places) {
    const name = document.createElement('span');
    name.textContent = p.name;
    L.marker([p.lat, p.lon], {
      interactive: false, keyboard: false,
      icon: L.divIcon({ className: 'place-label', html: name, iconSize: null }),
    }).addTo(layer);
  }
  return layer;
}

// nearest is the place of places nearest to (lat, lon).
export function nearest(places, lat, lon) {
  let best = null;
  let bestD = Infinity;
  const k = Math.cos((lat * Math.PI) / 180);
  for (const p of places) {
    const d = ((p.lon - lon) * k) ** 2 + (p.lat - lat) ** 2;
    if (d < bestD) [best, bestD] = [p, d];
  }
  return best;
}
