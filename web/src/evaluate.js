// The evaluation queue, for police evaluators: the reports partners sent
// for evaluation, oldest first; one at a time on the map beside the counted
// reports near it (to judge corroboration), with the form that grades it
// and decides its outcome, then on to the next.
//
// Keys, outside text fields: 1–3 source, A–E assessment, H handling,
// I intelligence, G safeguarding referral, K crime report, N no further
// action, U duplicate; J the next report; Ctrl+Enter records.
import L from 'leaflet';
import { api } from './api.js';
import { $, el, focusBack } from './dom.js';
import { categoryLabel, count, words } from './format.js';
import { plainError } from './errors.js';

const outcomes = [
  ['intelligence', 'Intelligence (counts)', 'i'],
  ['safeguarding_referral', 'Safeguarding referral (counts; give its reference)', 'g'],
  ['crime_report', 'Crime report (counts; give its reference)', 'k'],
  ['no_further_action', 'No further action (never counts)', 'n'],
  ['duplicate_of', 'Duplicate of a counted report (corroborates it)', 'u'],
];

export function startQueue(map, taxonomy, onEvaluated) {
  $('queue-open').hidden = false;
  const layer = L.layerGroup().addTo(map);
  let items = [];
  let current = null;

  const gradings = (id, m, selected) => {
    $(id).replaceChildren(...Object.entries(m).sort(([a], [b]) => a.localeCompare(b))
      .map(([code, label]) => new Option(`${code}: ${label}`, code, code === selected, code === selected)));
  };
  gradings('e-source', taxonomy.grading.source, '2');
  gradings('e-assessment', taxonomy.grading.assessment, 'B');
  gradings('e-handling', taxonomy.grading.handling, 'P');
  const radios = $('e-outcomes');
  for (const [value, label, key] of outcomes) {
    const row = el('label', undefined, 'cat-row');
    const r = el('input');
    r.type = 'radio';
    r.name = 'outcome';
    r.value = value;
    r.dataset.key = key;
    row.append(r, document.createTextNode(`${label} [${key.toUpperCase()}]`));
    radios.insertBefore(row, radios.querySelector('.error'));
  }

  const open = async () => {
    for (const id of ['panel', 'snapshots', 'report']) $(id).hidden = true;
    $('queue').hidden = false;
    $('queue').focus();
    await refresh();
  };
  $('queue-open').addEventListener('click', open);
  $('queue-close').addEventListener('click', () => {
    $('queue').hidden = true;
    layer.clearLayers();
    focusBack($('queue-open'));
  });

  async function refresh() {
    const fc = await api('GET', '/api/v1/evaluations?limit=200');
    items = fc.features;
    const ul = $('queue-list');
    ul.replaceChildren(...items.map((f, i) => {
      const li = el('li');
      const b = el('button', `${f.properties.agency}: ${categoryLabel(f.properties.category)}, waiting ${age(f.properties.age_hours)}`);
      b.type = 'button';
      b.className = 'link';
      b.dataset.id = f.id;
      b.addEventListener('click', () => show(i));
      li.append(b);
      return li;
    }));
    const total = fc.number_matched ?? items.length;
    $('queue-count').textContent = total === 0 ? 'Nothing is waiting for evaluation.'
      : `${count(total, 'report')} waiting, oldest first.` + (total > items.length ? ` The oldest ${items.length} are listed; evaluate them to see the rest.` : '');
    document.body.dataset.queue = String(items.length) + ':' + Date.now();
    if (items.length > 0) show(0);
    else $('evaluation-form').hidden = true;
  }

  // show puts report i on the map with the counted reports around it.
  async function show(i) {
    current = items[i];
    const p = current.properties;
    const [lon, lat] = current.geometry.coordinates;
    $('evaluation-form').hidden = false;
    $('evaluation-form').reset();
    for (const e of document.querySelectorAll('#evaluation-form .error')) e.textContent = '';
    $('e-result').textContent = '';
    $('e-what').replaceChildren(
      el('strong', `${categoryLabel(p.category)} · ${p.agency}`),
      el('div', `Observed ${new Date(p.observed_at).toLocaleString('en-GB', { timeZone: 'Europe/London' })} · indicators: ${p.indicators.map(words).join(', ') || 'none'}`, 'muted'),
      el('div', p.suggested_grading ? `Suggested grading: ${p.suggested_grading.source}${p.suggested_grading.assessment}${p.suggested_grading.handling}` : 'No grading suggested', 'muted'),
      el('p', p.narrative || '(no narrative)'),
      ...(p.public ? [el('div', p.contact
        ? `A concern from the public. They left contact details: ${p.contact}`
        : 'A concern from the public. They left no contact details.', 'muted')] : []),
    );
    $('e-narrative').value = p.narrative || '';
    if (p.suggested_grading) {
      $('e-source').value = String(p.suggested_grading.source);
      $('e-assessment').value = p.suggested_grading.assessment;
      $('e-handling').value = p.suggested_grading.handling;
    }
    layer.clearLayers();
    L.circleMarker([lat, lon], { radius: 9, color: '#d01c8b', weight: 3, fillOpacity: 0.2, className: 'queue-report' }).addTo(layer);
    map.setView([lat, lon], Math.max(map.getZoom(), 14));
    const d = 0.004;
    const near = await api('GET', `/api/v1/reports?status=live&limit=50&sort=-observed_at&bbox=${[lon - d * 1.6, lat - d, lon + d * 1.6, lat + d].map((v) => v.toFixed(5)).join(',')}`);
    const dup = $('e-duplicate');
    dup.replaceChildren(new Option('(choose the report it repeats)', ''));
    for (const f of near.features) {
      const [x, y] = f.geometry.coordinates;
      L.circleMarker([y, x], { radius: 5, color: '#0571b0', weight: 2, fillOpacity: 0.6, className: 'queue-near' })
        .bindTooltip(`${categoryLabel(f.properties.category)}, ${f.properties.observed_at.slice(0, 10)}`).addTo(layer);
      dup.append(new Option(`${categoryLabel(f.properties.category)}, ${f.properties.observed_at.slice(0, 10)} (${f.properties.external_ref})`, f.id));
    }
    const around = near.number_matched ?? near.features.length;
    $('e-near').textContent = around > near.features.length
      ? `${count(around, 'counted report')} within about 400 m; the newest ${near.features.length} are shown (blue on the map) and offered as duplicates.`
      : `${count(around, 'counted report')} within about 400 m (blue on the map).`;
  }

  $('evaluation-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!current) return;
    for (const e of document.querySelectorAll('#evaluation-form .error')) e.textContent = '';
    const outcome = (document.querySelector('#e-outcomes input:checked') || {}).value || '';
    const narrative = $('e-narrative').value.trim();
    const body = {
      source: Number($('e-source').value), assessment: $('e-assessment').value, handling: $('e-handling').value,
      conditions: $('e-conditions').value.trim(), outcome, reference: $('e-reference').value.trim(),
    };
    if (outcome === 'duplicate_of') body.duplicate_of = $('e-duplicate').value;
    if (narrative !== (current.properties.narrative || '')) body.narrative = narrative;
    let recorded = false;
    try {
      await api('POST', `/api/v1/reports/${current.id}/evaluation`, body);
      recorded = true;
      onEvaluated();
      // The next report replaces the form; the confirmation stays with it.
      await refresh();
      $('e-result').textContent = 'Recorded.';
    } catch (err) {
      if (recorded) {
        $('e-result').textContent = 'Recorded. The queue could not be reloaded: ' + err.message;
        return;
      }
      $('e-result').textContent = err.fields.length ? 'Not recorded: see the errors above.' : 'Not recorded: ' + err.message;
      for (const fe of err.fields) {
        const box = document.querySelector(`#evaluation-form [data-field="${CSS.escape(fe.field)}"] .error`);
        if (box) box.textContent = plainError(fe);
        else $('e-result').textContent += ` ${plainError(fe)}.`;
      }
    }
  });

  // Keyboard shortcuts, outside text fields.
  $('queue').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.ctrlKey) {
      ev.preventDefault();
      $('evaluation-form').requestSubmit();
      return;
    }
    if (ev.target.matches('input[type=text], input:not([type]), textarea') || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const k = ev.key.toLowerCase();
    const radio = k.length === 1 && document.querySelector(`#e-outcomes input[data-key="${CSS.escape(k)}"]`);
    if (k.length !== 1) return;
    if ('123'.includes(k)) $('e-source').value = k;
    else if ('abcde'.includes(k)) $('e-assessment').value = k.toUpperCase();
    else if (k === 'h') $('e-handling').value = $('e-handling').value === 'P' ? 'C' : 'P';
    else if (radio) radio.checked = true;
    else if (k === 'j') {
      const i = items.indexOf(current);
      if (i + 1 < items.length) show(i + 1);
    } else return;
    ev.preventDefault();
  });
}

function age(hours) {
  if (hours < 1) return 'under an hour';
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}
