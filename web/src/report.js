// The "Report intelligence" form. While it is open the map is in report
// mode: a click only sets the location (hexagons open nothing), and a pin
// that can be dragged follows the typed coordinates. Each opened form
// carries its own idempotency reference (external_ref), so a second press
// of Submit, or a retry after a lost answer, returns the same report.
import L from 'leaflet';
import { api } from './api.js';
import { $, focusBack } from './dom.js';
import { plainError } from './errors.js';


// Where the error summary's links take the reader, by the API's field.
const fieldInputs = {
  location: 'r-lat', category: 'r-category', indicators: 'r-indicators', observed_at: 'r-observed',
  grading: 'r-source', 'grading.source': 'r-source', 'grading.assessment': 'r-assessment', 'grading.handling': 'r-handling',
  'grading.conditions': 'r-conditions', classification: 'r-classification', narrative: 'r-narrative', external_ref: 'r-category',
};

export function startReportForm(map, taxonomy, onStored, selfGrading) {
  $('report-open').hidden = false;
  // An agency that does not grade its own reports leaves the grading to the
  // police evaluator; it may suggest one.
  $('r-suggest-row').hidden = selfGrading;
  $('r-grading-fields').hidden = !selfGrading;
  $('r-suggest').addEventListener('change', () => { $('r-grading-fields').hidden = !$('r-suggest').checked; });
  $('r-category').append(new Option('Choose what you saw', '', true, true));
  $('r-category').options[0].disabled = true;
  for (const c of taxonomy.categories) $('r-category').append(new Option(c.label, c.code));
  // The grading's codes and what they mean, as the server states them.
  // None is chosen at first: a grading that counts at once must be a
  // conscious choice.
  const options = (id, entries, selected) => {
    for (const [value, text] of entries) $(id).append(new Option(text, value, false, value === selected));
  };
  const choose = (id, prompt) => {
    $(id).append(new Option(prompt, '', true, true));
    $(id).options[0].disabled = true;
  };
  const graded = (m) => Object.entries(m).sort(([a], [b]) => a.localeCompare(b)).map(([code, label]) => [code, `${code}: ${label}`]);
  choose('r-source', 'Choose how far the source can be trusted');
  options('r-source', graded(taxonomy.grading.source));
  choose('r-assessment', 'Choose how the information was known');
  options('r-assessment', graded(taxonomy.grading.assessment));
  choose('r-handling', 'Choose who may see it');
  options('r-handling', graded(taxonomy.grading.handling).reverse());
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
  const defaults = new Map([...$('report-form').querySelectorAll('select')].map((s) => [s.id, s.value]));

  let ref = null;
  let pin = null;
  const place = (latlng, pan) => {
    if (!pin) {
      pin = L.marker(latlng, {
        draggable: true, keyboard: false, title: 'Report location: drag to move',
        icon: L.divIcon({ className: 'report-pin', iconSize: [18, 18] }),
      }).addTo(map);
      pin.on('dragend', () => setFields(pin.getLatLng()));
    } else pin.setLatLng(latlng);
    if (pan) map.panInside(latlng);
  };
  const setFields = (latlng) => {
    $('r-lat').value = latlng.lat.toFixed(6);
    $('r-lon').value = latlng.lng.toFixed(6);
    $('r-easting').value = '';
    $('r-northing').value = '';
  };
  const open = () => {
    for (const id of ['panel', 'snapshots']) $(id).hidden = true;
    $('report').hidden = false;
    document.body.classList.add('report-mode');
    ref ??= 'web-' + crypto.randomUUID();
    if (!$('r-observed').value) $('r-observed').value = localNow();
    $('report-form').querySelector('h2').focus();
  };
  const close = () => {
    $('report').hidden = true;
    document.body.classList.remove('report-mode');
    focusBack($('report-open'));
  };
  $('report-open').addEventListener('click', open);
  $('report-close').addEventListener('click', close);
  map.on('click', (ev) => {
    if ($('report').hidden) return;
    setFields(ev.latlng);
    place(ev.latlng, false);
  });
  for (const id of ['r-lat', 'r-lon']) {
    $(id).addEventListener('change', () => {
      const lat = number('r-lat');
      const lon = number('r-lon');
      if (Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) place(L.latLng(lat, lon), true);
    });
  }
  $('r-here').addEventListener('click', () => {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const latlng = L.latLng(pos.coords.latitude, pos.coords.longitude);
        setFields(latlng);
        place(latlng, true);
      },
      () => { $('report-result').textContent = 'Your location is not available: click the map or type it.'; },
    );
  });

  let sending = false;
  $('report-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (sending) return;
    clearErrors();
    sending = true;
    $('report-submit').disabled = true;
    try {
      const stored = await api('POST', '/api/v1/reports', submission(ref, selfGrading || $('r-suggest').checked));
      $('report-form').reset();
      for (const [id, value] of defaults) $(id).value = value;
      $('r-grading-fields').hidden = !selfGrading;
      if (pin) { pin.remove(); pin = null; }
      ref = 'web-' + crypto.randomUUID();
      $('r-observed').value = localNow();
      const result = $('report-result');
      result.textContent = `Report stored. Your reference: ${stored.properties.reference}.` +
        (stored.properties.status === 'pending_evaluation' ? ' A police evaluator will grade it; its outcome will show under "My submissions".' : ' Thank you.');
      result.dataset.id = stored.id;
      onStored();
    } catch (err) {
      showErrors(err);
    } finally {
      sending = false;
      $('report-submit').disabled = false;
    }
  });
}

function number(id) {
  const v = $(id).value.trim();
  return v === '' ? null : Number(v);
}

function submission(ref, graded = true) {
  const lat = number('r-lat');
  const lon = number('r-lon');
  const location = $('r-easting').value.trim() !== ''
    ? { easting: number('r-easting'), northing: number('r-northing') }
    : (lat === null && lon === null ? null : { lat, lon });
  const grading = { source: Number($('r-source').value || 0), assessment: $('r-assessment').value, handling: $('r-handling').value };
  if ($('r-conditions').value.trim()) grading.conditions = $('r-conditions').value.trim();
  const observed = $('r-observed').value ? new Date($('r-observed').value) : null;
  return {
    external_ref: ref,
    category: $('r-category').value,
    indicators: [...document.querySelectorAll('#r-indicators input:checked')].map((b) => b.value),
    observed_at: observed && !Number.isNaN(observed.getTime()) ? observed.toISOString() : '',
    location,
    grading: graded ? grading : undefined,
    classification: $('r-classification').value,
    narrative: $('r-narrative').value,
  };
}

function localNow() {
  const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function clearErrors() {
  for (const p of document.querySelectorAll('#report-form .error')) p.textContent = '';
  $('report-summary').hidden = true;
  $('report-summary-list').replaceChildren();
  $('report-result').textContent = '';
  delete $('report-result').dataset.id;
}

// showErrors writes each error beside its field and in a summary next to
// the Submit button whose links lead to the fields (the GOV.UK Design
// System's error summary).
function showErrors(err) {
  const fields = err.fields || [];
  if (fields.length === 0) {
    $('report-result').textContent = 'Not stored: ' + err.message;
    return;
  }
  const list = $('report-summary-list');
  for (const fe of fields) {
    const top = fe.field.split(/[.[]/)[0];
    const message = plainError(fe);
    const box = document.querySelector(`#report-form [data-field="${CSS.escape(top)}"] .error`);
    if (box) box.textContent = (box.textContent ? box.textContent + ' ' : '') + message;
    const li = document.createElement('li');
    const a = document.createElement('a');
    const input = fieldInputs[fe.field] || fieldInputs[top] || 'r-narrative';
    a.href = '#' + input;
    a.textContent = message;
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      $(input).focus();
    });
    li.append(a);
    list.append(li);
  }
  $('report-summary').hidden = false;
  $('report-summary').focus();
}
