// The URL is the state: `#db=NAME&view=sql|schema|history|kv|travel[&table=T[&where=JSON]][&key=K]`
// (`where`: a JSON object {column: value} the schema's row browser filters on, `=` each). route() reads
// it and shows one view; each view module registers what it does when entered and when the
// database changes (registerView), so the router knows no view's insides. Also the chrome: the
// top bar's database pill, the nav links and the phone menu.
import { $ } from './dom.mjs';

const VIEWS = ['sql', 'schema', 'history', 'kv', 'travel'];

/** Where the console is: the database, the view, the schema's table and row filter, the KV key. */
export const state = { db: '', view: 'sql', table: null, where: null, key: null };

/**
 * name → { enter({ changed, forced, dbChanged, viewChanged, tableChanged, whereChanged, keyChanged }),
 *          dbChanged(db), invalidate(), linkedSql(text) } (each optional).
 */
const views = {};
/** Callbacks run with the new database name whenever it changes (e.g. the recent list). */
const dbListeners = [];

export function registerView(name, hooks) { views[name] = hooks; }
export function onDbChange(fn) { dbListeners.push(fn); }

/** The current database's cached data (schema, key list) is stale: reload it on the next visit. */
export function invalidateViews() {
  for (const v of Object.values(views)) if (v.invalidate) v.invalidate();
}

function readHash() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  const view = p.get('view');
  return {
    db: (p.get('db') || '').trim(),
    view: VIEWS.includes(view) ? view : 'sql',
    table: p.get('table'),
    where: p.get('table') === null ? null : p.get('where'),
    key: p.get('key'),
  };
}

export function hashFor(s) {
  const p = new URLSearchParams();
  if (s.db) p.set('db', s.db);
  p.set('view', s.view || 'sql');
  if (s.view === 'schema' && s.table) p.set('table', s.table);
  if (s.view === 'schema' && s.table && s.where) p.set('where', s.where);
  if (s.view === 'kv' && s.key !== null && s.key !== undefined) p.set('key', s.key);
  return '#' + p.toString();
}

export function navigate(partial, replace) {
  const next = Object.assign({}, state, partial);
  if ('db' in partial && partial.db !== state.db) {
    if (!('table' in partial)) next.table = null;
    if (!('key' in partial)) next.key = null;
  }
  if (!('where' in partial) && next.table !== state.table) next.where = null;
  const hash = hashFor(next);
  if (hash === location.hash) { route(); return; }
  if (replace) { history.replaceState(null, '', hash); route(); }
  else location.hash = hash;
}

export function route(force) {
  // "Open in console" links of the GET /query page carry the query: `#db=…&view=sql&sql=…`.
  // It goes into the editor once, and leaves the URL.
  const hashParams = new URLSearchParams(location.hash.replace(/^#/, ''));
  const linkedSql = hashParams.has('sql') ? hashParams.get('sql') : null;
  if (linkedSql !== null) {
    hashParams.delete('sql');
    history.replaceState(null, '', '#' + hashParams.toString());
  }
  const next = readHash();
  const forced = force === true;
  const dbChanged = next.db !== state.db;
  const viewChanged = next.view !== state.view;
  const tableChanged = next.table !== state.table;
  const whereChanged = next.where !== state.where;
  const keyChanged = next.key !== state.key;
  Object.assign(state, next);
  if (dbChanged) {
    for (const v of Object.values(views)) if (v.dbChanged) v.dbChanged(state.db);
    for (const fn of dbListeners) fn(state.db);
  }
  if (linkedSql !== null && state.db && views.sql && views.sql.linkedSql) views.sql.linkedSql(linkedSql);
  renderChrome();
  closeMenu();
  for (const v of ['welcome', ...VIEWS]) $('#view-' + v).hidden = true;
  if (!state.db) {
    $('#view-welcome').hidden = false;
    document.title = 'hoody-sqlite';
    return;
  }
  $('#view-' + state.view).hidden = false;
  const titles = { sql: 'SQL', schema: 'Schema', history: 'History', kv: 'Key-value', travel: 'Time travel' };
  document.title = titles[state.view] + ' · ' + state.db + ' · hoody-sqlite';
  const view = views[state.view];
  if (view && view.enter) view.enter({ forced, dbChanged, viewChanged, tableChanged, whereChanged, keyChanged });
}

function renderChrome() {
  const pill = $('#current-db');
  pill.hidden = !state.db;
  pill.textContent = state.db ? state.db : '';
  pill.title = state.db ? 'Current database: ' + state.db : '';
  if (document.activeElement !== $('#db-input')) $('#db-input').value = state.db;
  for (const a of document.querySelectorAll('.nav-link')) {
    const v = a.dataset.view;
    a.href = hashFor({ db: state.db, view: v });
    if (v === state.view && state.db) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    a.classList.toggle('disabled', !state.db);
  }
  $('#brand-link').href = hashFor({ db: state.db, view: 'sql' });
  for (const a of document.querySelectorAll('#server-dbs a')) {
    a.classList.toggle('active', a.dataset.db === state.db);
    a.href = hashFor({ db: a.dataset.db, view: state.view || 'sql' });
  }
}

export function openMenu() {
  document.body.classList.add('menu-open');
  $('#menu-toggle').setAttribute('aria-expanded', 'true');
  $('#backdrop').hidden = false;
  $('#db-input').focus();
}
export function closeMenu() {
  if (!document.body.classList.contains('menu-open')) return;
  document.body.classList.remove('menu-open');
  $('#menu-toggle').setAttribute('aria-expanded', 'false');
  $('#backdrop').hidden = true;
}
