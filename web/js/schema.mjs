// The schema view: tables (with their row counts), views, indexes and triggers (sqlite_master),
// columns (pragma_table_info); for an opened table its foreign keys, indexes, CHECKs and the
// tables that reference it, and its rows 50 at a time in the result grid, filtered by the URL's
// `where` (a row permalink or a foreign-key link). Every query here goes through consoleTx.
import { exportTable } from './export.mjs';
import { consoleTx, queryObjects, resultRows } from './api.mjs';
import { errorState } from './dbs.mjs';
import { $, clear, confirmDialog, emptyState, h, loading, toast } from './dom.mjs';
import { focusEditor, setSchemaHints, setText } from './editor.mjs';
import { rowEditor } from './edit.mjs';
import { showImport } from './import.mjs';
import { resultTable } from './grid.mjs';
import { hashFor, navigate, registerView, state } from './router.mjs';
import { checkConstraints } from './sqlsplit.mjs';
import { parseJsonExact, plural, quoteIdent, stringifyJsonExact } from './util.mjs';

const BROWSE_ROWS = 50; // rows per page of the row browser

/**
 * The view's state: the loaded schema objects (of database `db`; `dirty` after a write), and the
 * row browser's table, offset and race token.
 */
const schema = { objects: null, db: null, dirty: true, browsing: null, offset: 0, token: 0, counts: {}, counting: new Set(), countToken: 0, info: {}, showToken: 0, editor: null };

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
  schema.info = {};
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
        dataset: { table: o.name }, onclick: () => navigate({ view: 'schema', table: o.name, where: null }),
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

/** The rows of `name` changed (the row editor applied its changes): count them again. */
function recount(name) {
  delete schema.counts[name];
  schema.counting.delete(name);
  for (const span of document.querySelectorAll('#schema-list .obj-count')) if (span.dataset.table === name) paintCount(span, name);
  loadCounts();
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

/** The referenced table's primary-key columns, for a foreign key that names no columns. */
function pkColumns(table) {
  const o = (schema.objects || []).find((x) => x.type === 'table' && x.name.toLowerCase() === String(table).toLowerCase());
  if (!o) return null;
  const pk = o.columns.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk)).map((c) => c.name);
  return pk.length ? pk : null;
}

/** pragma_foreign_key_list rows (one per column) → one entry per key: {table, from[], to[] or null}. */
function groupFks(rows, tableOf) {
  const byKey = new Map();
  for (const r of rows) {
    const k = (tableOf ? tableOf(r) : '') + '\u0000' + r.id;
    if (!byKey.has(k)) byKey.set(k, { owner: tableOf ? tableOf(r) : null, table: r.table, from: [], to: [], onUpdate: r.on_update, onDelete: r.on_delete });
    const fk = byKey.get(k);
    fk.from.push(r.from);
    fk.to.push(r.to);
  }
  const out = [...byKey.values()];
  for (const fk of out) if (fk.to.some((c) => c === null || c === undefined)) fk.to = pkColumns(fk.table);
  return out;
}

/**
 * A table's keys and constraints, one console transaction: its foreign keys, its indexes with
 * their columns (pragma_index_list × pragma_index_xinfo, UNIQUE and primary-key autoindexes
 * included), the foreign keys of other tables that point at it; CHECKs from its CREATE TABLE.
 */
async function loadTableInfo(obj) {
  const r = await consoleTx(state.db, [
    { query: 'SELECT id, seq, "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq', values: [obj.name] },
    { query: 'SELECT il.name AS name, il."unique" AS "unique", il.origin AS origin, il.partial AS partial, ix.name AS col, ix."desc" AS "desc" FROM pragma_index_list(?) AS il JOIN pragma_index_xinfo(il.name) AS ix WHERE ix.key = 1 ORDER BY il.name, ix.seqno', values: [obj.name] },
    { query: "SELECT m.name AS owner, f.id AS id, f.seq AS seq, f.\"table\" AS \"table\", f.\"from\" AS \"from\", f.\"to\" AS \"to\", f.on_update AS on_update, f.on_delete AS on_delete FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table' AND f.\"table\" = ? COLLATE NOCASE ORDER BY m.name, f.id, f.seq", values: [obj.name] },
  ]);
  const indexes = new Map();
  for (const row of queryObjects(r.results[1])) {
    if (!indexes.has(row.name)) indexes.set(row.name, { name: row.name, unique: Number(row.unique) === 1, origin: row.origin, partial: Number(row.partial) === 1, columns: [] });
    indexes.get(row.name).columns.push({ name: row.col, desc: Number(row.desc) === 1 });
  }
  const position = (col) => obj.columns.findIndex((c) => c.name === col);
  return {
    fks: groupFks(queryObjects(r.results[0])).sort((a, b) => position(a.from[0]) - position(b.from[0])),
    indexes: [...indexes.values()],
    refs: groupFks(queryObjects(r.results[2]), (row) => row.owner),
    checks: obj.type === 'table' ? checkConstraints(obj.sql) : [],
  };
}

const NO_INFO = { fks: [], indexes: [], refs: [], checks: [] };

function tableLink(name, where, text) {
  return h('a', { class: 'obj-link', href: hashFor({ db: state.db, view: 'schema', table: name, where: where || null }) }, text || name);
}

function columnsTable(cols, info) {
  const uniqueCols = new Set(info.indexes.filter((ix) => ix.unique && ix.origin !== 'pk' && !ix.partial && ix.columns.length === 1 && ix.columns[0].name).map((ix) => ix.columns[0].name));
  const tbody = h('tbody');
  for (const c of cols) {
    const fk = info.fks.find((k) => k.from.length === 1 && k.from[0] === c.name);
    tbody.append(h('tr', null,
      h('td', { class: 'col-name' }, c.name),
      h('td', { class: 'col-type' }, c.type || h('span', { class: 'muted' }, 'ANY')),
      h('td', { class: 'col-constraints' }, c.pk ? h('span', { class: 'badge key' }, 'PK' + (Number(c.pk) > 1 ? ' ' + c.pk : '')) : null,
        c.notnull ? h('span', { class: 'badge' }, 'NOT NULL') : null,
        uniqueCols.has(c.name) ? h('span', { class: 'badge' }, 'UNIQUE') : null,
        fk ? h('span', { class: 'badge fk' }, '→ ', tableLink(fk.table, null, fk.table + (fk.to ? '.' + fk.to[0] : ''))) : null),
      h('td', { class: 'col-default' }, c.dflt_value === null || c.dflt_value === undefined ? '' : String(c.dflt_value))));
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid columns' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Constraints'), h('th', { scope: 'col' }, 'Default'))),
    tbody));
}

const parenList = (list) => '(' + list.join(', ') + ')';

/** The sections of a table's keys and constraints (only those it has, "Referenced by" always for a table). */
function infoSections(obj, info) {
  const section = (id, title, items) => h('section', { id, class: 'schema-facts' }, h('h4', { class: 'section-title' }, title + ' (' + items.length + ')'), h('ul', null, items));
  const actions = (fk) => [['ON DELETE', fk.onDelete], ['ON UPDATE', fk.onUpdate]].filter(([, a]) => a && a !== 'NO ACTION').map(([w, a]) => h('span', { class: 'badge' }, w + ' ' + a));
  const out = [];
  if (info.fks.length) {
    out.push(section('table-fks', 'Foreign keys', info.fks.map((fk) => h('li', { class: 'fact' },
      h('code', null, parenList(fk.from)), ' → ', tableLink(fk.table), fk.to ? h('code', null, parenList(fk.to)) : null, ' ', actions(fk)))));
  }
  if (info.indexes.length) {
    const origin = { pk: 'primary key', u: 'UNIQUE constraint', c: 'CREATE INDEX' };
    out.push(section('table-indexes', 'Indexes', info.indexes.map((ix) => h('li', { class: 'fact', dataset: { index: ix.name } },
      h('span', { class: 'col-name' }, ix.name), ' ',
      h('code', null, parenList(ix.columns.map((c) => (c.name === null || c.name === undefined ? '<expression>' : c.name) + (c.desc ? ' DESC' : '')))), ' ',
      ix.unique ? h('span', { class: 'badge key' }, 'UNIQUE') : null, ix.partial ? h('span', { class: 'badge' }, 'partial') : null,
      h('span', { class: 'muted small' }, ' ' + (origin[ix.origin] || ix.origin))))));
  }
  if (info.checks.length) {
    out.push(section('table-checks', 'CHECK constraints', info.checks.map((c) => h('li', { class: 'fact' },
      c.name ? h('span', { class: 'col-name' }, c.name + ' ') : null,
      h('span', { class: 'muted small' }, c.column ? 'column ' + c.column + ': ' : 'table: '),
      h('code', null, 'CHECK (' + c.expr + ')')))));
  }
  if (obj.type === 'table') {
    out.push(info.refs.length
      ? section('table-refs', 'Referenced by', info.refs.map((fk) => h('li', { class: 'fact' },
        tableLink(fk.owner), h('code', null, parenList(fk.from)), ' → ', h('code', null, fk.to ? parenList(fk.to) : '(?)'), ' ', actions(fk))))
      : h('section', { id: 'table-refs', class: 'schema-facts' }, h('h4', { class: 'section-title' }, 'Referenced by'), h('p', { class: 'muted small' }, 'No foreign key of another table points at this one.')));
  }
  return out;
}

async function showTable(name) {
  const detail = clear($('#schema-detail'));
  const obj = (schema.objects || []).find((o) => o.name === name && (o.type === 'table' || o.type === 'view'));
  if (!obj) {
    detail.append(emptyState('Not found', 'There is no table or view named "' + name + '".',
      h('button', { type: 'button', class: 'btn small', onclick: () => navigate({ view: 'schema', table: null }) }, 'Show all tables')));
    return;
  }
  const token = ++schema.showToken;
  const db = state.db;
  let info = obj.type === 'table' ? schema.info[name] : NO_INFO;
  if (!info) {
    detail.append(loading('Loading table…'));
    try {
      info = await loadTableInfo(obj);
    } catch (e) {
      if (token !== schema.showToken || db !== state.db) return;
      clear(detail).append(errorState(e, () => showTable(name)));
      return;
    }
    if (token !== schema.showToken || db !== state.db) return;
    schema.info[name] = info;
    clear(detail);
  }
  const triggers = (schema.objects || []).filter((o) => o.type === 'trigger' && o.tbl_name === name);
  detail.append(...[
    h('div', { class: 'detail-head' },
      h('h3', { class: 'detail-title' }, obj.name, ' ', h('span', { class: 'badge' }, obj.type)),
      h('div', { class: 'btn-row' },
        h('button', { type: 'button', class: 'btn small', onclick: () => { setText('SELECT * FROM ' + quoteIdent(obj.name) + ' LIMIT 100;'); navigate({ view: 'sql' }); focusEditor(); } }, 'Query in editor'),
        h('button', { type: 'button', class: 'btn small', id: 'export-csv', title: 'Every row, streamed by the server (GET /export)', onclick: () => exportTable(state.db, obj.name, 'csv') }, 'Export CSV'),
        h('button', { type: 'button', class: 'btn small', id: 'export-json', title: 'Every row, streamed by the server (GET /export)', onclick: () => exportTable(state.db, obj.name, 'json') }, 'Export JSON'),
        h('button', { type: 'button', class: 'btn small ghost', onclick: () => navigate({ view: 'schema', table: null }) }, 'All tables'))),
    h('h4', { class: 'section-title' }, 'Columns'),
    columnsTable(obj.columns, info),
    ...infoSections(obj, info),
    triggers.length ? h('p', { class: 'muted small' }, 'Triggers: ', triggers.map((o) => o.name).join(', ')) : null,
    obj.sql ? h('details', { class: 'sql-details' }, h('summary', null, 'CREATE statement'), h('pre', { class: 'code' }, obj.sql)) : null,
    h('h4', { class: 'section-title' }, 'Rows'),
    h('div', { id: 'browse-rows' })].filter(Boolean));
  schema.browsing = name;
  schema.offset = 0;
  loadBrowsePage();
}

/**
 * The row filter of the URL (`where`, a JSON object {column: value}, from a permalink or a
 * foreign-key link) → {cols, vals}; {error} when it is not such an object.
 */
function parseWhere(text) {
  let v;
  try { v = parseJsonExact(text); } catch (_) { return { error: 'The row filter of this link is not JSON.' }; }
  if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.keys(v).length) return { error: 'The row filter of this link is not a {column: value} object.' };
  const cols = Object.keys(v);
  const vals = cols.map((c) => v[c]);
  if (vals.some((x) => x !== null && typeof x === 'object')) return { error: 'The row filter of this link has a value that is not a number, text or null.' };
  return { cols, vals };
}

/**
 * What names a row of a table in a permalink: its primary-key columns, or (no primary key) the
 * rowid under the first of rowid/_rowid_/oid that no column shadows. null for a view.
 */
function rowKey(obj) {
  if (obj.type !== 'table') return null;
  const pk = obj.columns.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk)).map((c) => c.name);
  if (pk.length) return { cols: pk, rowid: null };
  const names = new Set(obj.columns.map((c) => c.name.toLowerCase()));
  const alias = ['rowid', '_rowid_', 'oid'].find((a) => !names.has(a));
  return alias ? { cols: [alias], rowid: alias } : null;
}

/** A value that can name a row in a link (not NULL, not a BLOB). */
const linkable = (v) => v !== null && v !== undefined && typeof v !== 'object';

async function loadBrowsePage() {
  const box = $('#browse-rows');
  if (!box) return;
  const token = ++schema.token;
  const name = schema.browsing;
  const offset = schema.offset;
  const db = state.db;
  const obj = (schema.objects || []).find((o) => o.name === name) || { type: 'view', columns: [] };
  const info = schema.info[name] || NO_INFO;
  const filter = state.where ? parseWhere(state.where) : null;
  const allRows = () => h('a', { class: 'btn small', id: 'browse-all', href: hashFor({ db, view: 'schema', table: name, where: null }) }, 'All rows');
  if (filter && filter.error) { clear(box).append(emptyState('Not a row link', filter.error, allRows())); return; }
  const where = filter ? ' WHERE ' + filter.cols.map((c, i) => quoteIdent(c) + (filter.vals[i] === null ? ' IS NULL' : ' = ?')).join(' AND ') : '';
  const params = filter ? filter.vals.filter((v) => v !== null) : [];
  const key = rowKey(obj);
  const from = ' FROM ' + quoteIdent(name) + where;
  clear(box).append(loading('Loading rows…'));
  try {
    const r = await consoleTx(db, [
      { query: 'SELECT ' + (key && key.rowid ? quoteIdent(key.rowid) + ', ' : '') + '*' + from + ' LIMIT ? OFFSET ?', values: [...params, BROWSE_ROWS, offset] },
      { query: 'SELECT count(*) AS n' + from, values: params },
    ]);
    if (token !== schema.token) return;
    let { headers, rows } = resultRows(r.results[0]);
    let rowids = null;
    if (key && key.rowid) {
      rowids = rows.map((row) => row[0]);
      rows = rows.map((row) => row.slice(1));
      headers = headers.slice(1);
    }
    const totalRow = resultRows(r.results[1]).rows[0];
    const total = totalRow ? Number(totalRow[0]) : rows.length;
    clear(box);
    if (filter) {
      box.append(h('div', { class: 'row-filter', id: 'browse-filter' },
        h('span', null, (total === 1 ? 'The row where ' : 'Rows where '), h('code', null, filter.cols.map((c, i) => c + (filter.vals[i] === null ? ' IS NULL' : ' = ' + stringifyJsonExact(filter.vals[i]))).join(' AND '))),
        allRows()));
    }
    const first = rows.length ? offset + 1 : 0;
    const to = offset + rows.length;
    // Leaving the page drops the editor's staged changes: ask first.
    const turn = async (to) => {
      const p = schema.editor ? schema.editor.pending() : 0;
      if (p && !await confirmDialog({ title: 'Discard staged changes?', body: p + (p === 1 ? ' change is' : ' changes are') + ' staged on this page and not applied.', okLabel: 'Discard', danger: true })) return;
      schema.offset = to;
      loadBrowsePage();
    };
    const pager = h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Row pages' },
      h('button', { type: 'button', class: 'btn small', id: 'browse-prev', disabled: offset <= 0, onclick: () => turn(Math.max(0, offset - BROWSE_ROWS)) }, '‹ Prev'),
      h('span', { class: 'pager-info', id: 'browse-info' }, total ? ('Rows ' + first.toLocaleString() + '–' + to.toLocaleString() + ' of ' + total.toLocaleString()) : filter ? 'No row matches' : 'No rows'),
      h('button', { type: 'button', class: 'btn small', id: 'browse-next', disabled: to >= total, onclick: () => turn(offset + BROWSE_ROWS) }, 'Next ›'));
    box.append(pager);
    const cols = headers.length ? headers : obj.columns.map((c) => c.name);
    const link = (table, whereObj) => hashFor({ db, view: 'schema', table, where: stringifyJsonExact(whereObj) });
    // A row's permalink: its key values (primary key or rowid) as the filter of its own table.
    const rowHref = key ? (i) => {
      const vals = key.rowid ? [rowids[i]] : key.cols.map((c) => rows[i][cols.indexOf(c)]);
      if (!vals.every(linkable)) return null;
      const w = {};
      key.cols.forEach((c, j) => { w[c] = vals[j]; });
      return link(name, w);
    } : null;
    // A foreign-key cell links to the referenced row: the key's columns there = this row's values.
    const fkOfCol = cols.map((c) => info.fks.find((fk) => fk.to && fk.from.includes(c)) || null);
    const cellHref = fkOfCol.some(Boolean) ? (i, c) => {
      const fk = fkOfCol[c];
      if (!fk) return null;
      const w = {};
      for (let j = 0; j < fk.from.length; j++) {
        const v = rows[i][cols.indexOf(fk.from[j])];
        if (!linkable(v)) return null;
        w[fk.to[j]] = v;
      }
      return link(fk.table, w);
    } : null;
    const gridOpts = { startIndex: offset, noCount: true, label: 'Rows of ' + name, rowHref, cellHref };
    schema.editor = null;
    if (key && headers.length) {
      // A table's rows are editable (edit.mjs): each row is named by its key values.
      const keyOf = (i) => {
        const vals = key.rowid ? [rowids[i]] : key.cols.map((c) => rows[i][cols.indexOf(c)]);
        return vals.every((v) => v !== null && v !== undefined) ? vals : null;
      };
      schema.editor = rowEditor({ db, table: name, cols, rows, keyCols: key.cols, keyOf, startIndex: offset, gridOpts,
        onApplied: () => { recount(name); loadBrowsePage(); } });
      box.append(schema.editor.node);
    } else {
      if (obj.type === 'view') box.append(h('p', { class: 'muted small', id: 'edit-none' }, 'A view is read-only here: edit the rows of its tables.'));
      box.append(resultTable(cols, rows, gridOpts));
    }
    // One row opened: the rows of other tables that reference it, each a link.
    if (filter && rows.length === 1 && total === 1 && info.refs.length) {
      const refs = [];
      for (const fk of info.refs) {
        if (!fk.to) continue;
        const vals = fk.to.map((c) => rows[0][cols.indexOf(c)]);
        if (!vals.every(linkable)) continue;
        const w = {};
        fk.from.forEach((c, j) => { w[c] = vals[j]; });
        refs.push(h('li', null, h('a', { class: 'obj-link', href: link(fk.owner, w) }, fk.owner), ' ',
          h('code', null, fk.from.map((c, j) => c + ' = ' + stringifyJsonExact(vals[j])).join(' AND '))));
      }
      if (refs.length) box.append(h('div', { class: 'row-refs schema-facts', id: 'row-refs' }, h('span', { class: 'muted small' }, 'Rows that reference this one:'), h('ul', null, refs)));
    }
  } catch (e) {
    if (token !== schema.token) return;
    clear(box).append(errorState(e, loadBrowsePage));
  }
}

/** The import panel (import.mjs) in the detail pane, into `table` (a table's name) or a new table. */
async function openImport(table) {
  const db = state.db;
  if (!db) { toast('Choose a database first', 'info'); return; }
  if (!schema.objects || schema.db !== db) {
    try { await loadSchema(); } catch (e) { toast(e.message || String(e), 'error'); return; }
  }
  markKvInternals(schema.objects);
  schema.showToken++;
  schema.browsing = null;
  schema.editor = null;
  const tables = {};
  for (const o of schema.objects) if (o.type === 'table' && !o.kvInternal) tables[o.name] = o.columns.map((c) => c.name);
  showImport($('#schema-detail'), { db, tables, table: table && tables[table] ? table : null, done(name) {
    toast('Imported into ' + name, 'ok');
    schema.dirty = true;
    if (state.table === name) enterSchema(true, true); else navigate({ view: 'schema', table: name, where: null });
  } });
}

/** Wires the view's controls and registers it with the router. */
export function initSchema() {
  $('#schema-refresh').addEventListener('click', () => enterSchema(true, true));
  $('#schema-import').addEventListener('click', () => openImport(state.table));
  registerView('schema', {
    enter(c) { enterSchema(c.dbChanged || c.viewChanged || c.forced, c.tableChanged || c.whereChanged || c.forced); },
    dbChanged() { schema.objects = null; schema.dirty = true; schema.counts = {}; schema.counting = new Set(); schema.countToken++; schema.info = {}; setSchemaHints({}); },
    invalidate() { schema.dirty = true; },
  });
}
