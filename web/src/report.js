// The "Report intelligence" form for partners: a click on the map sets the
// location; the API's errors are shown beside their fields.
import L from 'leaflet';
import { api } from './api.js';

const $ = (id) => document.getElementById(id);

export function startReportForm(map, taxonomy, onStored) {
  $('report-open').hidden = false;
  for (const c of taxonomy.categories) {
    const o = document.createElement('option');
    o.value = c.code;
    o.textContent = c.label;
    $('r-category').append(o);
  }
  // The grading's codes and what they mean, as the server states them.
  const options = (id, entries, selected) => {
    for (const [value, text] of entries) {
      const o = new Option(text, value, false, value === selected);
      $(id).append(o);
    }
  };
  const graded = (m) => Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([code, label]) => [code, `${code}: ${label}`]);
  options('r-source', graded(taxonomy.grading.source), '2');
  options('r-assessment', graded(taxonomy.grading.assessment), 'B');
  options('r-handling', graded(taxonomy.grading.handling).reverse(), 'P');
  options('r-classification', taxonomy.classifications.map((c) => [c, c]), taxonomy.classifications[0]);
  for (const ind of taxonomy.indicators) {
    const label = document.createElement('label');
    label.className = 'cat-row';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = ind.code;
    label.append(box, document.createTextNode(ind.label));
    $('r-indicators').insertBefore(label, $('r-indicators').querySelector('.error'));
  }
  let pin = null;
  const open = () => {
    $('panel').hidden = true;
    $('report').hidden = false;
    $('r-observed').value = localNow();
    $('r-lat').focus();
  };
  $('report-open').addEventListener('click', open);
  $('report-close').addEventListener('click', () => { $('report').hidden = true; });
  map.on('click', (ev) => {
    if ($('report').hidden) return;
    $('r-lat').value = ev.latlng.lat.toFixed(6);
    $('r-lon').value = ev.latlng.lng.toFixed(6);
    $('r-easting').value = '';
    $('r-northing').value = '';
    if (pin) pin.remove();
    pin = L.marker(ev.latlng, { icon: L.divIcon({ className: 'report-pin', iconSize: [14, 14] }), keyboard: false }).addTo(map);
  });
  $('report-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const p of document.querySelectorAll('#report-form .error')) p.textContent = '';
    $('report-result').textContent = '';
    try {
      await api('POST', '/api/v1/reports', submission());
      $('report-result').textContent = 'Report stored. Thank you.';
      $('r-narrative').value = '';
      onStored();
    } catch (err) {
      showErrors(err);
    }
  });
}

function number(id) {
  const v = $(id).value.trim();
  return v === '' ? null : Number(v);
}

function submission() {
  const lat = number('r-lat');
  const lon = number('r-lon');
  const location = $('r-easting').value.trim() !== ''
    ? { easting: number('r-easting'), northing: number('r-northing') }
    : (lat === null && lon === null ? null : { lat, lon });
  const grading = { source: Number($('r-source').value), assessment: $('r-assessment').value, handling: $('r-handling').value };
  if ($('r-conditions').value.trim()) grading.conditions = $('r-conditions').value.trim();
  const observed = $('r-observed').value ? new Date($('r-observed').value) : null;
  return {
    external_ref: 'web-' + crypto.randomUUID(),
    category: $('r-category').value,
    indicators: [...document.querySelectorAll('#r-indicators input:checked')].map((b) => b.value),
    observed_at: observed && !Number.isNaN(observed.getTime()) ? observed.toISOString() : '',
    location,
    grading,
    classification: $('r-classification').value,
    narrative: $('r-narrative').value,
  };
}

function localNow() {
  const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function showErrors(err) {
  const fields = err.fields || [];
  if (fields.length === 0) {
    $('report-result').textContent = 'Not stored: ' + err.message;
    return;
  }
  for (const fe of fields) {
    const top = fe.field.split(/[.[]/)[0];
    const box = document.querySelector(`#report-form [data-field="${CSS.escape(top)}"] .error`);
    const target = box || $('report-result');
    target.textContent = (target.textContent ? target.textContent + ' ' : '') + fe.message;
  }
}
