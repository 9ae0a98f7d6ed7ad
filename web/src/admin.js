// The admin console: users, API keys, agencies, the audit log, the
// retention review, snapshots and the information each agency sends,
// each through the API the CLI also uses.
// Admins land here; they hold no permission to see hotspots.
import { api } from './api.js';
import { categoryLabel } from './format.js';
import { $, el } from './dom.js';
import { plainError } from './errors.js';

const when = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const at = (t) => (t ? when.format(new Date(t)) : '–');

// field is a labelled input (or select, given options) with an id.
function field(id, label, options) {
  const wrap = el('div', undefined, 'field');
  wrap.dataset.field = id.replace(/^a-[a-z]+-/, '');
  const l = el('label', label);
  l.htmlFor = id;
  let input;
  if (options) {
    input = el('select');
    for (const [value, text] of options) input.append(new Option(text, value));
  } else input = el('input');
  input.id = id;
  wrap.append(l, input, el('p', undefined, 'error'));
  return wrap;
}

function button(text, onClick, cls) {
  const b = el('button', text, cls);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

// table builds a table of rows under headers; cells are text or nodes.
function table(caption, headers, rows) {
  const t = el('table', undefined, 'reports admin-table');
  t.append(el('caption', caption));
  const head = el('tr');
  for (const h of headers) {
    const th = el('th', h);
    th.scope = 'col';
    head.append(th);
  }
  t.append(head);
  for (const row of rows) {
    const tr = el('tr');
    for (const c of row) {
      const td = el('td');
      if (c instanceof Node) td.append(c);
      else td.textContent = c;
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

// submitForm posts a form's values, showing field errors beside their fields.
async function submitForm(form, call, done) {
  for (const p of form.querySelectorAll('.error')) p.textContent = '';
  const result = form.querySelector('[role=status]');
  result.textContent = '';
  try {
    const out = await call();
    done(out, result);
  } catch (err) {
    result.textContent = 'Not done: ' + err.message;
    for (const fe of err.fields) {
      const box = form.querySelector(`[data-field="${CSS.escape(fe.field)}"] .error`);
      if (box) box.textContent = plainError(fe);
    }
  }
}

function form(title, fields, label) {
  const f = el('form', undefined, 'admin-form');
  f.noValidate = true;
  f.append(el('h3', title), ...fields);
  const status = el('p', undefined, 'result');
  status.setAttribute('role', 'status');
  const submit = el('button', label);
  submit.type = 'submit';
  f.append(status, submit);
  return f;
}

const sections = {
  async users(box, ctx) {
    const [users, agencies, roles] = await Promise.all([api('GET', '/api/v1/users'), ctx.agencies(), ctx.roles()]);
    const f = form('Add a user', [field('a-user-username', 'Username'), field('a-user-password', 'First password (at least 12 characters)'),
      field('a-user-role', 'Role', roleOptions(roles)), field('a-user-agency', 'Agency', agencies.map((a) => [a.name, a.name]))], 'Add user');
    f.querySelector('#a-user-password').type = 'password';
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitForm(f, () => api('POST', '/api/v1/users', {
        username: f.querySelector('#a-user-username').value, password: f.querySelector('#a-user-password').value,
        role: f.querySelector('#a-user-role').value, agency: f.querySelector('#a-user-agency').value,
      }), (u) => ctx.show('users', `User ${u.username} added.`));
    });
    const rows = users.items.map((u) => {
      const role = el('select');
      role.setAttribute('aria-label', `Role of ${u.username}`);
      for (const r of roles) role.append(new Option(r.role, r.role, false, r.role === u.role));
      role.addEventListener('change', () => ctx.act(() => api('PATCH', `/api/v1/users/${u.id}`, { role: role.value }), `${u.username} is now ${role.value}.`, 'users'));
      const actions = el('span', undefined, 'actions');
      actions.append(button(u.disabled ? 'Enable' : 'Disable', () => ctx.act(() => api('PATCH', `/api/v1/users/${u.id}`, { disabled: !u.disabled }),
        `${u.username} ${u.disabled ? 'enabled' : 'disabled'}.`, 'users'), 'secondary'),
      button('Reset password', () => {
        const pw = prompt(`A new password for ${u.username} (at least 12 characters):`);
        if (pw) ctx.act(() => api('PATCH', `/api/v1/users/${u.id}`, { password: pw }), `${u.username}'s password reset; their sessions ended.`, 'users');
      }, 'secondary'));
      return [u.username, role, u.agency, u.disabled ? 'disabled' : 'active', at(u.created_at), actions];
    });
    box.append(f, table('Users', ['Username', 'Role', 'Agency', 'State', 'Added', 'Actions'], rows));
  },

  async keys(box, ctx) {
    const [keys, agencies, roles] = await Promise.all([api('GET', '/api/v1/keys'), ctx.agencies(), ctx.roles()]);
    const f = form('Create an API key', [field('a-key-label', 'Label (the partner system)'),
      field('a-key-agency', 'Agency', agencies.map((a) => [a.name, a.name])), field('a-key-role', 'Role', roleOptions(roles))], 'Create key');
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitForm(f, () => api('POST', '/api/v1/keys', {
        label: f.querySelector('#a-key-label').value, agency: f.querySelector('#a-key-agency').value, role: f.querySelector('#a-key-role').value,
      }), async (k) => {
        await ctx.show('keys', '');
        const secret = el('div', undefined, 'secret');
        secret.setAttribute('role', 'alert');
        secret.append(el('strong', 'Copy the key now: it is shown this once.'), el('code', k.key));
        secret.id = 'key-secret';
        $('admin-body').prepend(secret);
      });
    });
    const rows = keys.items.map((k) => [k.prefix, k.label, k.agency, k.role, at(k.created_at), at(k.last_used_at),
      k.revoked_at ? `revoked ${at(k.revoked_at)}` : button('Revoke', () => {
        if (confirm(`Revoke the key ${k.prefix} (${k.label})? Systems using it stop at once.`)) {
          ctx.act(() => api('DELETE', `/api/v1/keys/${k.id}`), `Key ${k.prefix} revoked.`, 'keys');
        }
      }, 'secondary')]);
    box.append(f, table('API keys', ['Key', 'Label', 'Agency', 'Role', 'Created', 'Last used', 'State'], rows));
  },

  async agencies(box, ctx) {
    const agencies = await ctx.agencies(true);
    const kinds = ['police', 'local_authority', 'education', 'health', 'social_care', 'youth_justice', 'housing', 'voluntary', 'community'];
    const f = form('Add an agency', [field('a-agency-name', 'Name'), field('a-agency-kind', 'Kind', kinds.map((k) => [k, k.replaceAll('_', ' ')]))], 'Add agency');
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      submitForm(f, () => api('POST', '/api/v1/agencies', { name: f.querySelector('#a-agency-name').value, kind: f.querySelector('#a-agency-kind').value }),
        (a) => ctx.show('agencies', `Agency ${a.name} added.`));
    });
    const rows = agencies.map((a) => {
      const own = el('input');
      own.type = 'checkbox';
      own.checked = a.self_grading;
      own.setAttribute('aria-label', `${a.name} grades its own reports`);
      own.addEventListener('change', () => ctx.act(() => api('PATCH', `/api/v1/agencies/${a.id}`, { self_grading: own.checked }),
        own.checked ? `${a.name}'s reports now count at once, graded by ${a.name}.` : `${a.name}'s reports now wait for a police evaluator.`, 'agencies'));
      return [a.name, a.kind.replaceAll('_', ' '), own];
    });
    box.append(f, el('p', 'An agency that grades its own reports has them count at once; any other agency\'s reports wait for a police evaluator, who grades them and tells the agency the outcome.', 'muted'),
      table('Agencies', ['Name', 'Kind', 'Grades its own reports'], rows));
  },

  async audit(box, ctx) {
    const actions = ['', 'collect', 'alter', 'consult', 'disclose', 'combine', 'erase', 'login', 'login_failed', 'logout',
      'key_created', 'key_revoked', 'access_denied', 'admin'];
    const f = form('Filter the audit log', [field('a-audit-action', 'Action', actions.map((a) => [a, a || 'any'])),
      field('a-audit-actor', 'Actor (username or key)'), field('a-audit-from', 'From (date)')], 'Show');
    f.querySelector('#a-audit-from').type = 'date';
    const list = el('div');
    const load = async () => {
      const q = new URLSearchParams({ limit: '100' });
      if (f.querySelector('#a-audit-action').value) q.set('action', f.querySelector('#a-audit-action').value);
      if (f.querySelector('#a-audit-actor').value.trim()) q.set('actor', f.querySelector('#a-audit-actor').value.trim());
      if (f.querySelector('#a-audit-from').value) q.set('from', f.querySelector('#a-audit-from').value + 'T00:00:00Z');
      await submitForm(f, () => api('GET', '/api/v1/audit?' + q), (out) => {
        list.replaceChildren(table(`The newest ${out.items.length} events`, ['When', 'Action', 'Actor', 'Object', 'Why'],
          out.items.map((e) => [at(e.at), e.action, e.actor, [e.object_type, e.object_id].filter(Boolean).join(' '), e.justification || ''])));
      });
    };
    f.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
    box.append(f, list);
    await load();
  },

  async review(box, ctx) {
    const due = await api('GET', '/api/v1/review?limit=200');
    box.append(el('p', 'Reports past their review date: keep each for a stated reason to a new date, or erase it for good. Every decision is audited with its reason.', 'muted'));
    const rows = due.items.map((r) => {
      const reason = el('input');
      reason.setAttribute('aria-label', `Reason for report ${r.external_ref || r.id.slice(0, 8)}`);
      reason.placeholder = 'reason';
      const until = el('input');
      until.type = 'date';
      until.setAttribute('aria-label', `Keep report ${r.external_ref || r.id.slice(0, 8)} until`);
      const actions = el('span', undefined, 'actions');
      actions.append(button('Retain', () => ctx.act(() => api('POST', `/api/v1/reports/${r.id}/retain`, { reason: reason.value, review_at: until.value }),
        'Retained.', 'review'), 'secondary'),
      button('Erase', () => {
        if (confirm('Erase this report for good? This cannot be undone.')) {
          ctx.act(() => api('POST', `/api/v1/reports/${r.id}/erase`, { reason: reason.value }), 'Erased.', 'review');
        }
      }, 'secondary'));
      return [r.external_ref || r.id.slice(0, 8), categoryLabel(r.category), at(r.observed_at), at(r.review_at), r.status, reason, until, actions];
    });
    box.append(rows.length ? table('Due for review', ['Reference', 'Category', 'Observed', 'Review due', 'Status', 'Reason', 'Keep until', 'Decision'], rows)
      : el('p', 'Nothing is due for review.'));
  },

  async activity(box) {
    const act = await api('GET', '/api/v1/agencies/activity');
    box.append(el('p', `Reports received from each agency, week by week, for the last ${act.weeks.length} whole weeks. ` +
      `An agency is flagged as fallen silent when ${act.rule}: ask why it stopped sharing.`, 'muted'));
    const day = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'short' });
    const rows = act.agencies.map((a) => {
      const last = a.flags.length ? a.flags[a.flags.length - 1] : null;
      const state = a.silent
        ? `Fell silent: ${last.received} received in the ${last.test === 'week' ? 'week' : 'four weeks'} to ${day.format(new Date(last.week))}, about ${Math.round(last.expected)} usual`
        : (last ? `Flagged in the week of ${day.format(new Date(last.week))}` : 'Ordinary');
      const latest = a.counts.slice(-4).join(', ');
      return [a.name, a.kind.replace(/_/g, ' '), sparkline(a.counts, a.name, act.weeks), latest,
        a.usual === null ? '–' : a.usual.toFixed(1), String(a.this_week), state];
    });
    box.append(table('Information received, by agency', ['Agency', 'Kind', `Weekly, ${act.weeks.length} weeks`, 'Last 4 weeks',
      'Usual a week', 'This week so far', 'State'], rows));
  },

  async snapshots(box) {
    // An admin may delete a snapshot but not read them (no snapshots:export):
    // their ids are in the audit log, as the combine events that made them.
    box.append(el('p', 'A snapshot that should not have been made is deleted by its id, which the audit log gives (action combine). The deletion is audited.', 'muted'));
    const f = form('Delete a snapshot', [field('a-snap-id', 'Snapshot id')], 'Delete');
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (confirm('Delete this snapshot for good?')) {
        submitForm(f, () => api('DELETE', `/api/v1/snapshots/${encodeURIComponent(f.querySelector('#a-snap-id').value.trim())}`),
          (_, result) => { result.textContent = 'Deleted.'; });
      }
    });
    box.append(f);
  },
};

// sparkline draws weekly counts as a small line, its numbers in its label.
function sparkline(counts, name, weeks) {
  const ns = 'http://www.w3.org/2000/svg';
  const w = 104, h = 24, top = Math.max(1, ...counts);
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('width', String(w));
  svg.setAttribute('height', String(h));
  svg.setAttribute('role', 'img');
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('aria-label', `${name}: reports a week from the week of ${weeks[0].slice(0, 10)}, oldest first: ${counts.join(', ')}`);
  const line = document.createElementNS(ns, 'polyline');
  const step = (w - 4) / Math.max(1, counts.length - 1);
  line.setAttribute('points', counts.map((c, i) => `${(2 + i * step).toFixed(1)},${(h - 2 - (c / top) * (h - 4)).toFixed(1)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  return svg;
}

// roleOptions are the roles as a select offers them, each with what it is
// for (from the permission matrix, by GET /api/v1/roles).
function roleOptions(roles) {
  return roles.map((r) => [r.role, `${r.role}: ${r.about}`]);
}

const titles = { users: 'Users', keys: 'API keys', agencies: 'Agencies', audit: 'Audit log', review: 'Retention review', snapshots: 'Snapshots',
  activity: 'Information received' };

export function startAdmin() {
  $('admin-view').hidden = false;
  const nav = $('admin-nav');
  let agencyCache = null;
  let roleCache = null;
  const ctx = {
    roles: async () => {
      roleCache ??= (await api('GET', '/api/v1/roles')).items;
      return roleCache;
    },
    agencies: async (fresh) => {
      if (fresh || !agencyCache) agencyCache = (await api('GET', '/api/v1/agencies')).items;
      return agencyCache;
    },
    show,
    // act runs a change, then shows the section again with what happened.
    act: async (call, message, section) => {
      try {
        await call();
        await show(section, message);
      } catch (err) {
        $('admin-status').textContent = 'Not done: ' + (err.fields.length ? err.fields.map((fe) => plainError(fe)).join('; ') : err.message);
      }
    },
  };
  for (const [name, title] of Object.entries(titles)) {
    const b = button(title, () => show(name, ''));
    b.dataset.section = name;
    nav.append(b);
  }
  async function show(name, message) {
    for (const b of nav.querySelectorAll('button')) b.setAttribute('aria-current', String(b.dataset.section === name));
    const body = $('admin-body');
    body.replaceChildren(el('h2', titles[name]));
    body.dataset.section = name;
    $('admin-status').textContent = message;
    try {
      await sections[name](body, ctx);
    } catch (err) {
      body.append(el('p', 'Could not load: ' + err.message, 'error'));
    }
    document.body.dataset.admin = name + ':' + Date.now();
  }
  show('users', '');
}
