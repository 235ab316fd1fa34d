// The schema view: tables, views, indexes and triggers (sqlite_master), columns
// (pragma_table_info), a table's rows 50 at a time in the result grid.
import { consoleTx, queryObjects, resultRows } from './api.mjs';
import { errorState } from './dbs.mjs';
import { $, clear, emptyState, h, loading } from './dom.mjs';
import { focusEditor, setSchemaHints, setText } from './editor.mjs';
import { resultTable } from './grid.mjs';
import { hashFor, navigate, registerView, state } from './router.mjs';
import { plural, quoteIdent } from './util.mjs';

const BROWSE_ROWS = 50; // rows per page of the row browser

/**
 * The view's state: the loaded schema objects (of database `db`; `dirty` after a write), and the
 * row browser's table, offset and race token.
 */
const schema = { objects: null, db: null, dirty: true, browsing: null, offset: 0, token: 0, counts: {}, counting: new Set(), countToken: 0 };

const COUNT_WORKERS = 2; // row counts asked at once (each is one request of its own)

/** A statement ran: the schema may have changed, reload it on the next visit. */
export function markSchemaDirty() { schema.dirty = true; }

async function loadSchema() {
  const db = state.db;
  const r = await consoleTx(db, [{ query: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> '_query_history' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 WHEN 'index' THEN 2 ELSE 3 END, name" }]);
  const objects = queryObjects(r.results[0]);
  const withCols = objects.filter((o) => o.type === 'table' || o.type === 'view');
  const colsByName = {};
  if (withCols.length) {
    const cr = await consoleTx(db, withCols.map((o) => ({ query: 'SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', values: [o.name] })));
    withCols.forEach((o, i) => { colsByName[o.name] = queryObjects(cr.results[i]); });
  }
  for (const o of objects) o.columns = colsByName[o.name] || [];
  schema.objects = objects;
  schema.counts = {};
  schema.counting = new Set();
  schema.countToken++;
  schema.db = db;
  schema.dirty = false;
  if (db === state.db) setSchemaHints(hintTables(objects));
  return objects;
}

/** Tables and views → their column names: what the SQL editor's autocomplete offers. */
function hintTables(objects) {
  const tables = {};
  for (const o of objects) if (o.type === 'table' || o.type === 'view') tables[o.name] = o.columns.map((c) => c.name);
  return tables;
}

/**
 * Gives the SQL editor's autocomplete the current database's tables and columns, loading the
 * schema when it is not loaded yet or stale (a failure leaves the hints without names).
 */
export async function refreshSchemaHints() {
  if (!state.db) return;
  if (!schema.dirty && schema.objects && schema.db === state.db) { setSchemaHints(hintTables(schema.objects)); return; }
  try { await loadSchema(); } catch (_) { /* the SQL view reports errors when the user runs SQL */ }
}

async function enterSchema(reload, tableChanged) {
  const list = $('#schema-list');
  const detail = $('#schema-detail');
  const db = state.db;
  if (reload || schema.dirty || !schema.objects || schema.db !== db) {
    clear(list).append(loading('Loading schema…'));
    clear(detail);
    try {
      await loadSchema();
    } catch (e) {
      if (db !== state.db) return;
      clear(list).append(errorState(e, () => enterSchema(true)));
      return;
    }
    if (db !== state.db || state.view !== 'schema') return;
    renderSchemaList();
    tableChanged = true;
  } else {
    renderSchemaList();
  }
  if (tableChanged || !detail.firstChild) {
    if (state.table) showTable(state.table); else renderSchemaOverview();
  }
}

/** Marks the KV store's own tables (T with T__history, and their indexes) as internal. */
function markKvInternals(objs) {
  const tables = new Set(objs.filter((o) => o.type === 'table').map((o) => o.name));
  const kvTables = [...tables].filter((t) => tables.has(t + '__history'));
  for (const o of objs) {
    o.kvInternal = kvTables.some((t) => o.name === t || o.name.startsWith(t + '__') || o.tbl_name === t || (o.tbl_name || '').startsWith(t + '__'));
  }
}

function schemaGroup(type, label, items) {
  const ul = h('ul', { class: 'obj-list' });
  for (const o of items) {
    if (o.type === 'table' || o.type === 'view') {
      ul.append(h('li', null, h('button', {
        type: 'button', class: 'obj-btn' + (state.table === o.name ? ' active' : ''), 'aria-current': state.table === o.name ? 'true' : null,
        dataset: { table: o.name }, onclick: () => navigate({ view: 'schema', table: o.name }),
      }, h('span', { class: 'obj-name' }, o.name), h('span', { class: 'obj-meta' }, h('span', null, plural(o.columns.length, 'col')),
        o.type === 'table' ? countBadge(o.name) : null))));
    } else {
      ul.append(h('li', { class: 'obj-static' }, h('span', { class: 'obj-name' }, o.name), h('span', { class: 'obj-meta' }, (type === 'index' ? 'on ' : 'trigger on ') + o.tbl_name)));
    }
  }
  return h('div', { class: 'obj-group' }, h('h3', { class: 'side-title' }, label + ' (' + items.length + ')'), ul);
}

/** A table's row count in the list: "…" until its count(*) arrives (loadCounts). */
function countBadge(name) {
  const span = h('span', { class: 'obj-count', dataset: { table: name } });
  paintCount(span, name);
  return span;
}

function paintCount(span, name) {
  const c = schema.counts[name];
  span.classList.toggle('pending', c === undefined);
  span.textContent = c === undefined ? '… rows' : c.error ? '? rows' : plural(c.n, 'row').replace(String(c.n), c.n.toLocaleString());
  span.title = c === undefined ? 'Counting rows…' : c.error ? 'The rows could not be counted: ' + c.error : '';
}

/**
 * Counts the rows of each table of the list, one `count(*)` request per table (COUNT_WORKERS at
 * a time, the user's tables first), painting each count as it arrives: the list never waits
 * for a big table. Counts are kept until the schema is reloaded.
 */
function loadCounts() {
  const db = state.db;
  const token = schema.countToken;
  const counting = schema.counting;
  const tables = (schema.objects || []).filter((o) => o.type === 'table' && !(o.name in schema.counts) && !counting.has(o.name));
  tables.sort((a, b) => Number(a.kvInternal) - Number(b.kvInternal));
  const queue = tables.map((o) => o.name);
  for (const name of queue) counting.add(name);
  const current = () => token === schema.countToken && db === state.db;
  const worker = async () => {
    while (queue.length && current()) {
      const name = queue.shift();
      let c;
      try {
        const r = await consoleTx(db, [{ query: 'SELECT count(*) FROM ' + quoteIdent(name) }]);
        c = { n: Number(resultRows(r.results[0]).rows[0][0]) };
      } catch (e) {
        c = { error: e.message || String(e) };
      }
      if (!current()) return;
      schema.counts[name] = c;
      for (const span of document.querySelectorAll('#schema-list .obj-count')) if (span.dataset.table === name) paintCount(span, name);
    }
  };
  for (let i = 0; i < COUNT_WORKERS; i++) worker();
}

function renderSchemaList() {
  const list = clear($('#schema-list'));
  const objs = schema.objects || [];
  markKvInternals(objs);
  const user = objs.filter((o) => !o.kvInternal);
  const internal = objs.filter((o) => o.kvInternal);
  if (!user.length) {
    list.append(emptyState('No tables yet', 'Create one in the SQL editor, e.g. CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT).',
      h('a', { class: 'btn small', href: hashFor({ db: state.db, view: 'sql' }) }, 'Open SQL editor')));
  }
  const groups = [['table', 'Tables'], ['view', 'Views'], ['index', 'Indexes'], ['trigger', 'Triggers']];
  for (const [type, label] of groups) {
    const items = user.filter((o) => o.type === type);
    if (items.length) list.append(schemaGroup(type, label, items));
  }
  if (internal.length) {
    const details = h('details', { class: 'kv-internal' }, h('summary', null, 'Key-value store tables (' + internal.length + ')'));
    for (const [type, label] of groups) {
      const items = internal.filter((o) => o.type === type);
      if (items.length) details.append(schemaGroup(type, label, items));
    }
    if (internal.some((o) => o.name === state.table)) details.open = true;
    list.append(details);
  }
  loadCounts();
}

function columnsTable(cols) {
  const tbody = h('tbody');
  for (const c of cols) {
    tbody.append(h('tr', null,
      h('td', { class: 'col-name' }, c.name),
      h('td', { class: 'col-type' }, c.type || h('span', { class: 'muted' }, 'ANY')),
      h('td', null, c.pk ? h('span', { class: 'badge key' }, 'PK' + (Number(c.pk) > 1 ? ' ' + c.pk : '')) : null,
        c.notnull ? h('span', { class: 'badge' }, 'NOT NULL') : null),
      h('td', { class: 'col-default' }, c.dflt_value === null || c.dflt_value === undefined ? '' : String(c.dflt_value))));
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid columns' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Constraints'), h('th', { scope: 'col' }, 'Default'))),
    tbody));
}

function renderSchemaOverview() {
  const detail = clear($('#schema-detail'));
  const objs = (schema.objects || []).filter((o) => (o.type === 'table' || o.type === 'view') && !o.kvInternal);
  if (!objs.length) { detail.append(emptyState('Nothing to show', 'This database has no tables or views of its own yet.')); return; }
  detail.append(h('p', { class: 'muted small' }, 'Select a table or view to browse its rows.'));
  for (const o of objs) {
    detail.append(h('section', { class: 'card schema-card' },
      h('div', { class: 'card-head' },
        h('h3', null, h('button', { type: 'button', class: 'link-btn obj-link', onclick: () => navigate({ view: 'schema', table: o.name }) }, o.name)),
        h('span', { class: 'badge' }, o.type)),
      h('ul', { class: 'col-chips' }, o.columns.map((c) => h('li', null, h('span', { class: 'col-name' }, c.name), ' ', h('span', { class: 'col-type' }, c.type || 'ANY'))))));
  }
}

function showTable(name) {
  const detail = clear($('#schema-detail'));
  const obj = (schema.objects || []).find((o) => o.name === name && (o.type === 'table' || o.type === 'view'));
  if (!obj) {
    detail.append(emptyState('Not found', 'There is no table or view named "' + name + '".',
      h('button', { type: 'button', class: 'btn small', onclick: () => navigate({ view: 'schema', table: null }) }, 'Show all tables')));
    return;
  }
  const related = (schema.objects || []).filter((o) => (o.type === 'index' || o.type === 'trigger') && o.tbl_name === name);
  detail.append(...[
    h('div', { class: 'detail-head' },
      h('h3', { class: 'detail-title' }, obj.name, ' ', h('span', { class: 'badge' }, obj.type)),
      h('div', { class: 'btn-row' },
        h('button', { type: 'button', class: 'btn small', onclick: () => { setText('SELECT * FROM ' + quoteIdent(obj.name) + ' LIMIT 100;'); navigate({ view: 'sql' }); focusEditor(); } }, 'Query in editor'),
        h('button', { type: 'button', class: 'btn small ghost', onclick: () => navigate({ view: 'schema', table: null }) }, 'All tables'))),
    h('h4', { class: 'section-title' }, 'Columns'),
    columnsTable(obj.columns),
    related.length ? h('p', { class: 'muted small' }, 'Indexes & triggers: ', related.map((o) => o.name).join(', ')) : null,
    obj.sql ? h('details', { class: 'sql-details' }, h('summary', null, 'CREATE statement'), h('pre', { class: 'code' }, obj.sql)) : null,
    h('h4', { class: 'section-title' }, 'Rows'),
    h('div', { id: 'browse-rows' })].filter(Boolean));
  schema.browsing = name;
  schema.offset = 0;
  loadBrowsePage();
}

async function loadBrowsePage() {
  const box = $('#browse-rows');
  if (!box) return;
  const token = ++schema.token;
  const name = schema.browsing;
  const offset = schema.offset;
  clear(box).append(loading('Loading rows…'));
  try {
    const r = await consoleTx(state.db, [
      { query: 'SELECT * FROM ' + quoteIdent(name) + ' LIMIT ? OFFSET ?', values: [BROWSE_ROWS, offset] },
      { query: 'SELECT count(*) AS n FROM ' + quoteIdent(name) },
    ]);
    if (token !== schema.token) return;
    const { headers, rows } = resultRows(r.results[0]);
    const totalRow = resultRows(r.results[1]).rows[0];
    const total = totalRow ? Number(totalRow[0]) : rows.length;
    clear(box);
    const from = rows.length ? offset + 1 : 0;
    const to = offset + rows.length;
    const pager = h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Row pages' },
      h('button', { type: 'button', class: 'btn small', id: 'browse-prev', disabled: offset <= 0, onclick: () => { schema.offset = Math.max(0, offset - BROWSE_ROWS); loadBrowsePage(); } }, '‹ Prev'),
      h('span', { class: 'pager-info', id: 'browse-info' }, total ? ('Rows ' + from.toLocaleString() + '–' + to.toLocaleString() + ' of ' + total.toLocaleString()) : 'No rows'),
      h('button', { type: 'button', class: 'btn small', id: 'browse-next', disabled: to >= total, onclick: () => { schema.offset = offset + BROWSE_ROWS; loadBrowsePage(); } }, 'Next ›'));
    box.append(pager);
    const cols = headers.length ? headers : ((schema.objects || []).find((o) => o.name === name) || { columns: [] }).columns.map((c) => c.name);
    box.append(resultTable(cols, rows, { startIndex: offset, noCount: true, label: 'Rows of ' + name }));
  } catch (e) {
    if (token !== schema.token) return;
    clear(box).append(errorState(e, loadBrowsePage));
  }
}

/** Wires the view's controls and registers it with the router. */
export function initSchema() {
  $('#schema-refresh').addEventListener('click', () => enterSchema(true, true));
  registerView('schema', {
    enter(c) { enterSchema(c.dbChanged || c.viewChanged || c.forced, c.tableChanged || c.forced); },
    dbChanged() { schema.objects = null; schema.dirty = true; schema.counts = {}; schema.counting = new Set(); schema.countToken++; setSchemaHints({}); },
    invalidate() { schema.dirty = true; },
  });
}
