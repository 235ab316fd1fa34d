// The API client: every request of the console goes through api() (JSON in and out, the access
// token, the sign-in dialog on a 401; runTx runs the user's SQL, consoleTx the console's own
// queries, kept out of the query history). It reads the server's documented shapes (docs/api.md,
// docs/sql.md) and nothing else: an error body is {error, code?, reqIdx?}.
import { $, toast } from './dom.mjs';
import { errMessage, stringifyJsonExact, tryParseJson } from './util.mjs';

export const API = '/api/v1/sqlite';

export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.reqIdx = body && typeof body.reqIdx === 'number' ? body.reqIdx : undefined;
    this.code = body && body.code ? String(body.code) : undefined;
  }
}

let busyCount = 0;

function setBusy(delta) {
  busyCount = Math.max(0, busyCount + delta);
  const el = $('#busy');
  el.textContent = busyCount ? 'Working…' : '';
  el.classList.toggle('on', busyCount > 0);
}

// Server flags --auth-token / --read-only-token / --jwt-key-file: the token is sent as
// `Authorization: Bearer`. It is kept in localStorage ("Remember on this device", the default
// and what earlier versions did) or sessionStorage (until the tab closes), under one key. The
// sign-in dialog (a password field, never window.prompt) opens on the first 401 and from the
// "Sign in" button; a token is accepted only once the server answered GET /databases with it.
const TOKEN_KEY = 'hoody-sqlite.token';

/** What the rest of the console does on a sign-in / sign-out (set by main.mjs). */
export const authHooks = { signedIn() {}, signedOut() {} };
export const auth = { required: false, pending: null, memory: '' };

export function authToken() {
  try {
    const t = sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY);
    if (t) return t;
  } catch (e) { /* storage disabled: the token lives in memory only */ }
  return auth.memory;
}

function storeToken(token, remember) {
  auth.memory = token;
  try {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    if (token) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
  } catch (e) { /* storage disabled */ }
}

export function renderAuth() {
  const token = authToken();
  $('#auth-state').hidden = !token;
  $('#signout-button').hidden = !token;
  $('#signin-button').hidden = !!token || !auth.required;
}

/** Asks the server whether `token` is accepted: 'ok', 'rejected' or an error message. */
async function checkToken(token) {
  try {
    const res = await fetch(API + '/databases?limit=1', { headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token } });
    return res.status === 401 ? 'rejected' : 'ok';
  } catch (e) {
    return 'Could not reach the server (' + errMessage(e) + ')';
  }
}

/** Opens the sign-in dialog; resolves true once a token was accepted, false when cancelled. */
export function signIn(reason) {
  if (auth.pending) return auth.pending;
  auth.required = true;
  renderAuth();
  const dlg = $('#signin');
  const input = $('#signin-token');
  const error = $('#signin-error');
  $('#signin-why').textContent = reason || 'This server needs an access token.';
  input.value = '';
  error.textContent = '';
  auth.pending = new Promise((resolve) => {
    const form = $('#signin-form');
    const finish = (ok) => {
      form.removeEventListener('submit', submit);
      $('#signin-cancel').removeEventListener('click', cancel);
      dlg.removeEventListener('cancel', cancel);
      if (dlg.open) dlg.close();
      auth.pending = null;
      renderAuth();
      resolve(ok);
    };
    const cancel = (e) => { if (e) e.preventDefault(); finish(false); };
    const submit = async (e) => {
      e.preventDefault();
      const token = input.value.trim();
      if (!token) { error.textContent = 'Enter the access token.'; input.focus(); return; }
      const ok = $('#signin-ok');
      ok.disabled = true;
      error.textContent = '';
      const verdict = await checkToken(token);
      ok.disabled = false;
      if (verdict === 'rejected') {
        error.textContent = 'The server did not accept this token. Check it and try again.';
        input.select();
        return;
      }
      if (verdict !== 'ok') { error.textContent = verdict; return; }
      storeToken(token, $('#signin-remember').checked);
      finish(true);
      toast('Signed in', 'ok');
      authHooks.signedIn();
    };
    form.addEventListener('submit', submit);
    $('#signin-cancel').addEventListener('click', cancel);
    dlg.addEventListener('cancel', cancel);
    dlg.showModal();
    input.focus();
  });
  return auth.pending;
}

export function signOut() {
  storeToken('', false);
  renderAuth();
  authHooks.signedOut();
  toast('Signed out', 'info');
}

export async function api(method, path, opts = {}) {
  const url = new URL(API + path, location.origin);
  for (const [k, v] of Object.entries(opts.query || {})) {
    if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
  }
  const headers = { 'Content-Type': opts.contentType || 'application/json' };
  const token = authToken();
  if (token) headers.Authorization = 'Bearer ' + token;
  let payload;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (opts.body !== undefined) payload = stringifyJsonExact(opts.body);
  let res;
  setBusy(1);
  try {
    res = await fetch(url, { method, headers, body: payload, signal: opts.signal });
  } catch (e) {
    setBusy(-1);
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError('Could not reach the server (' + errMessage(e) + ')', 0, null);
  }
  if (res.status === 401) auth.required = true;
  if (res.status === 401 && !opts.tokenRetry) {
    setBusy(-1);
    const had = token && token === authToken();
    if (had) storeToken('', false);  // the server no longer accepts it
    if (await signIn(had ? 'The server did not accept the saved token. Sign in again.' : 'This server needs an access token.')) {
      return api(method, path, Object.assign({}, opts, { tokenRetry: true }));
    }
    setBusy(1);
  }
  try {
    if (opts.expect === 'raw') {
      const buf = await res.arrayBuffer();
      if (!res.ok) {
        const text = new TextDecoder().decode(buf);
        const parsed = tryParseJson(text);
        const body = parsed.ok && parsed.value && typeof parsed.value === 'object' ? parsed.value : null;
        throw new ApiError((body && body.error) || text || (res.status + ' ' + res.statusText), res.status, body);
      }
      return { buf, contentType: res.headers.get('content-type') || '', status: res.status, headers: res.headers };
    }
    const text = await res.text();
    const parsed = text ? tryParseJson(text) : { ok: true, value: {} };
    if (!res.ok) {
      const body = parsed.ok && parsed.value && typeof parsed.value === 'object' ? parsed.value : null;
      const msg = (body && body.error) || text || (res.status + ' ' + res.statusText);
      throw new ApiError(String(msg), res.status, body);
    }
    if (!parsed.ok) throw new ApiError('The server sent a response that is not JSON', res.status, null);
    const v = parsed.value;
    // POST /db answers a failed statement with 200 {reqIdx, error, code}: it rolled back.
    if (v && typeof v === 'object' && typeof v.error === 'string' && typeof v.reqIdx === 'number') {
      throw new ApiError(v.error, res.status, v);
    }
    return v;
  } finally {
    setBusy(-1);
  }
}

/**
 * One POST /db transaction on database `db` (rows as lists): SQL the user ran, recorded in the
 * query history. `signal` (an AbortSignal) cancels the request: the promise rejects with an
 * AbortError, and the server, seeing the connection close, interrupts the SQL and commits
 * nothing of it (docs/api.md, "Cancelling a request").
 */
export function runTx(db, items, { signal } = {}) {
  return api('POST', '/db', { query: { db }, body: { transaction: items, resultFormat: 'list' }, signal });
}

/**
 * The console's own queries (schema, row browser, counts): like runTx, but sent with
 * `history=false` (docs/api.md) so the query history lists only what the user ran.
 */
export function consoleTx(db, items) {
  return api('POST', '/db', { query: { db, history: 'false' }, body: { transaction: items, resultFormat: 'list' } });
}

/** A query item's result as {headers, rows}: `resultHeaders` and `resultSetList` (resultFormat list). */
export function resultRows(r) {
  return { headers: r.resultHeaders, rows: r.resultSetList };
}

export function queryObjects(r) {
  const { headers, rows } = resultRows(r);
  return rows.map((row) => { const o = {}; headers.forEach((k, i) => { o[k] = row[i]; }); return o; });
}
