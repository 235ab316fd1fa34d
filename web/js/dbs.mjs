// The database selector (sidebar): open or create a database, the recent ones (localStorage),
// the data directory's databases (GET /databases), and the "database does not exist" state
// every view shows.
import { api } from './api.mjs';
import { $, clear, h, toast } from './dom.mjs';
import { hashFor, invalidateViews, navigate, route, state } from './router.mjs';
import { errMessage, fmtBytes } from './util.mjs';

export function isDbMissing(err) {
  return !!err && err.code === 'DATABASE_NOT_FOUND';
}

export function errorState(err, retry) {
  const missing = isDbMissing(err) && state.db;
  return h('div', { class: 'alert error', role: 'alert' },
    h('strong', null, missing ? 'Database "' + state.db + '" does not exist. ' : 'Error: '), missing ? null : errMessage(err),
    err && err.code && !missing ? h('span', { class: 'badge' }, err.code) : null,
    missing ? h('button', { type: 'button', class: 'btn small create-missing', onclick: () => createDb(state.db) }, 'Create it')
      : retry ? h('button', { type: 'button', class: 'btn small', onclick: retry }, 'Retry') : null);
}

function recentDbs() {
  try { const v = JSON.parse(localStorage.getItem('hoody.recentDbs') || '[]'); return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []; }
  catch (_) { return []; }
}

export function rememberDb(name) {
  const list = [name, ...recentDbs().filter((x) => x !== name)].slice(0, 12);
  try { localStorage.setItem('hoody.recentDbs', JSON.stringify(list)); } catch (_) { /* private mode */ }
  renderRecent();
}

export function renderRecent() {
  const list = recentDbs();
  const ul = clear($('#recent-dbs'));
  for (const name of list) {
    ul.append(h('li', null, h('a', { href: hashFor({ db: name, view: state.view || 'sql' }), class: name === state.db ? 'active' : '' }, name)));
  }
  $('#recent-empty').hidden = list.length > 0;
  renderDbOptions();
}

// The name suggestions of the database inputs: recent databases, then the server's list.
function renderDbOptions() {
  const dl = clear($('#db-list'));
  const seen = new Set();
  for (const name of [...recentDbs(), ...serverDbs.items.map((d) => d.name)]) {
    if (seen.has(name)) continue;
    seen.add(name);
    dl.append(h('option', { value: name }));
  }
}

// The databases of the data directory (GET /databases: name as db= takes it, file, size,
// modified; at most 1,000, `truncated` when more exist).
export const serverDbs = { items: [], truncated: false, loaded: false, token: 0 };

export async function loadServerDbs() {
  const token = ++serverDbs.token;
  $('#server-dbs-msg').textContent = 'Loading…';
  try {
    const r = await api('GET', '/databases');
    if (token !== serverDbs.token) return;
    serverDbs.items = r.databases;
    serverDbs.truncated = r.truncated === true;
    serverDbs.loaded = true;
    renderServerDbs();
  } catch (e) {
    if (token !== serverDbs.token) return;
    serverDbs.items = [];
    renderServerDbs(e.status === 401 ? 'Sign in to see the databases.' : 'Could not list the databases: ' + errMessage(e));
  }
}

export function renderServerDbs(message) {
  const ul = clear($('#server-dbs'));
  for (const d of serverDbs.items) {
    const label = d.name.startsWith('/') && d.file ? d.file : d.name;  // a subdirectory's file: its path
    ul.append(h('li', null, h('a', {
      href: hashFor({ db: d.name, view: state.view || 'sql' }),
      class: d.name === state.db ? 'active' : '',
      title: d.name + ' · ' + fmtBytes(d.size) + ' · modified ' + new Date(d.modified_ms).toLocaleString(),
      dataset: { db: d.name },
    }, h('span', { class: 'db-name' }, label), h('span', { class: 'db-size' }, fmtBytes(d.size)))));
  }
  // The welcome view offers the first of them too (on a phone the sidebar is folded away).
  const welcome = clear($('#welcome-dbs'));
  for (const d of serverDbs.items.slice(0, 24)) {
    welcome.append(h('li', null, h('a', { href: hashFor({ db: d.name, view: 'sql' }), title: d.name + ' · ' + fmtBytes(d.size) }, d.name.startsWith('/') && d.file ? d.file : d.name)));
  }
  $('#welcome-dbs-box').hidden = serverDbs.items.length === 0;
  let msg = message || '';
  if (!msg && !serverDbs.items.length) msg = 'No databases in the data directory yet.';
  if (!msg && serverDbs.truncated) msg = 'Showing the first ' + serverDbs.items.length + '; more exist (type a name above).';
  $('#server-dbs-msg').textContent = msg;
  renderDbOptions();
}

function validDbName(name) {
  if (!name) return 'Enter a database name.';
  if (/[\/\\]/.test(name) && !name.startsWith('/')) return 'Use a bare name such as "notes" (no folders).';
  return '';
}

export function openDb(name) {
  name = name.trim();
  const msg = validDbName(name);
  $('#db-form-msg').textContent = msg;
  if (msg) { $('#db-input').focus(); return; }
  navigate({ db: name, view: state.db ? state.view : 'sql' });
}

export async function createDb(name) {
  name = name.trim();
  const msg = validDbName(name);
  const out = $('#db-form-msg');
  out.textContent = msg;
  out.className = 'form-msg';
  if (msg) { $('#db-input').focus(); return; }
  const btn = $('#db-create');
  btn.disabled = true;
  try {
    const query = { path: name };
    if ($('#db-create-kv').checked) query.init_kv = 'true';
    await api('POST', '/db/create', { query });
    out.textContent = 'Created ' + name + '.';
    out.className = 'form-msg ok';
    toast('Database "' + name + '" created', 'ok');
    loadServerDbs();
    invalidateViews();
    if (name === state.db) route(true);
    else navigate({ db: name, view: state.db ? state.view : 'sql' });
  } catch (e) {
    if (e.status === 409) {
      out.textContent = '"' + name + '" already exists; opened it.';
      out.className = 'form-msg';
      navigate({ db: name, view: state.db ? state.view : 'sql' });
    } else {
      out.textContent = errMessage(e);
      out.className = 'form-msg err';
    }
  } finally {
    btn.disabled = false;
  }
}
