// The hexwatch API, as the page uses it: JSON in and out, the CSRF token
// on state-changing requests, problem+json turned into ApiError.

let csrf = '';

export function setCSRF(token) { csrf = token || ''; }

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
  get fields() { return this.problem.errors || []; }
}

// expired, when set, is called when the session has ended (401): it logs
// in again and resolves, and the request is sent once more.
let expired = null;
let relogin = null;

export function onExpired(fn) { expired = fn; }

export async function api(method, path, body, signal) {
  try {
    return await send(method, path, body, signal);
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !expired || path.startsWith('/api/v1/session')) throw err;
    relogin ??= expired().finally(() => { relogin = null; });
    await relogin;
    return send(method, path, body, signal);
  }
}

async function send(method, path, body, signal) {
  const headers = { Accept: 'application/json, application/geo+json, application/problem+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const resp = await fetch(path, {
    method, headers, signal, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 204) return null;
  const type = resp.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await resp.json() : await resp.text();
  if (!resp.ok) throw new ApiError(resp.status, typeof data === 'object' ? data : null);
  return data;
}
