// Import a CSV or JSON file (schema view): into a new table (its columns from the CSV header or
// the JSON objects' keys, created with CREATE TABLE) or an existing one (columns matched by name;
// a column the table lacks is an error before anything runs). The page previews the first rows
// and the SQL, then sends ONE POST /db transaction through runTx (the user's action): the CREATE
// TABLE and INSERT items with `valuesBatch` (docs/sql.md), one item per 100,000 rows, so an
// import is all or nothing; above the request's 1,000,000 value sets it is refused.
import { runTx } from './api.mjs';
import { clear, h } from './dom.mjs';
import { resultTable } from './grid.mjs';
import { errMessage, parseJsonExact, quoteIdent, stringifyJsonExact } from './util.mjs';

// The server's caps of one POST /db request (include/hoody/ops/sql.hpp sql_limits, docs/sql.md
// "Caps"; a non-batch item such as the CREATE TABLE counts as one value set).
const BATCH_ROWS = 100000;     // rows per valuesBatch item
const REQUEST_ROWS = 1000000;  // value sets per request
const PREVIEW_ROWS = 5;

/**
 * RFC 4180 CSV text → rows of fields: quoted fields may hold commas, quotes ("") and line
 * breaks; lines end in CRLF or LF. An unquoted empty field is null (as Export writes NULL), a
 * quoted empty one ("") the empty string. A UTF-8 BOM is dropped. Throws on a stray quote.
 */
export function parseCsv(text) {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [], i = 0, line = 1;
  const n = text.length;
  if (!n) return rows;
  for (;;) {
    let value;
    if (text[i] === '"') {
      let j = i + 1, out = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new Error('CSV line ' + line + ': a quoted field is not closed');
        out += text.slice(j, q);
        if (text[q + 1] === '"') { out += '"'; j = q + 2; continue; }
        i = q + 1;
        break;
      }
      for (const ch of out) if (ch === '\n') line++;
      value = out;
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') throw new Error('CSV line ' + line + ': text after a closing quote');
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      const raw = text.slice(i, j);
      if (raw.includes('"')) throw new Error('CSV line ' + line + ': a quote inside an unquoted field');
      value = raw === '' ? null : raw;
      i = j;
    }
    row.push(value);
    if (i >= n) { rows.push(row); break; }
    if (text[i] === ',') { i++; continue; }
    // End of line: CRLF or LF (or a lone CR).
    if (text[i] === '\r' && text[i + 1] === '\n') i += 2; else i++;
    line++;
    rows.push(row);
    row = [];
    if (i >= n) break;
  }
  return rows;
}

/** A JSON value of an imported object → a SQL parameter (booleans 1/0, arrays and objects as JSON text). */
function jsonParam(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'object') return stringifyJsonExact(v);
  return v;
}

/** A file's text → {columns, rows} (rows as lists in the columns' order). Throws a message. */
export function parseFile(name, text) {
  const trimmed = text.replace(/^\ufeff/, '').trimStart();
  if (/\.json$/i.test(name) || trimmed[0] === '[') {
    let v;
    try { v = parseJsonExact(trimmed); } catch (e) { throw new Error('The file is not valid JSON: ' + errMessage(e)); }
    if (!Array.isArray(v) || v.some((o) => !o || typeof o !== 'object' || Array.isArray(o))) throw new Error('A JSON import is an array of objects, one per row');
    const columns = [];
    const seen = new Set();
    for (const o of v) for (const k of Object.keys(o)) if (!seen.has(k)) { seen.add(k); columns.push(k); }
    return { columns, rows: v.map((o) => columns.map((k) => jsonParam(o[k]))) };
  }
  const all = parseCsv(text);
  if (!all.length) throw new Error('The file is empty');
  const columns = all[0].map((c) => (c === null ? '' : c));
  if (columns.some((c) => c.trim() === '')) throw new Error('Every column of the CSV header needs a name');
  const rows = all.slice(1);
  // A last empty line (a trailing line break) is not a row.
  if (rows.length && rows[rows.length - 1].length === 1 && rows[rows.length - 1][0] === null && columns.length > 1) rows.pop();
  rows.forEach((r, i) => { if (r.length !== columns.length) throw new Error('CSV row ' + (i + 1) + ' has ' + r.length + ' fields, the header ' + columns.length); });
  return { columns, rows };
}

/** A new table's column type from its values: INTEGER, REAL when all are numbers, else TEXT. */
function columnType(rows, c) {
  let type = 'INTEGER', any = false;
  for (const r of rows) {
    const v = r[c];
    if (v === null) continue;
    any = true;
    const s = typeof v === 'number' ? String(v) : v;
    if (typeof v !== 'number' && typeof v !== 'string') return 'TEXT';
    if (/^-?\d{1,15}$/.test(s)) continue;
    if (/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) type = 'REAL';
    else return 'TEXT';
  }
  return any ? type : 'TEXT';
}

/**
 * The transaction of an import: items to send, or {error}. target: {table, existing (the
 * table's column names) or null for a new table}.
 */
export function importItems(data, target) {
  const { columns, rows } = data;
  if (!columns.length) return { error: 'The file has no columns' };
  if (rows.length + (target.existing ? 0 : 1) > REQUEST_ROWS) return { error: rows.length.toLocaleString() + ' rows are more than one transaction takes (' + REQUEST_ROWS.toLocaleString() + ' value sets per request): split the file' };
  const lower = new Set();
  for (const c of columns) {
    if (lower.has(c.toLowerCase())) return { error: 'The column "' + c + '" appears twice in the file' };
    lower.add(c.toLowerCase());
  }
  const items = [];
  let names = columns;
  if (target.existing) {
    const byLower = new Map(target.existing.map((c) => [c.toLowerCase(), c]));
    const unknown = columns.filter((c) => !byLower.has(c.toLowerCase()));
    if (unknown.length) return { error: 'The table "' + target.table + '" has no column ' + unknown.map((c) => '"' + c + '"').join(', ') + ': nothing was imported' };
    names = columns.map((c) => byLower.get(c.toLowerCase()));
  } else {
    if (!target.table.trim()) return { error: 'Name the new table' };
    items.push({ statement: 'CREATE TABLE ' + quoteIdent(target.table) + ' (' + columns.map((c, i) => quoteIdent(c) + ' ' + columnType(rows, i)).join(', ') + ')' });
  }
  const insert = 'INSERT INTO ' + quoteIdent(target.table) + ' (' + names.map(quoteIdent).join(', ') + ') VALUES (' + names.map(() => '?').join(', ') + ')';
  for (let i = 0; i < rows.length; i += BATCH_ROWS) items.push({ statement: insert, valuesBatch: rows.slice(i, i + BATCH_ROWS) });
  return { items };
}

/**
 * The import panel, shown in `box`. o: db, tables (name → column names), table (the preselected
 * target or null for a new table), done(table) after a successful import.
 */
export function showImport(box, o) {
  let data = null;
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,.json,text/csv,application/json' });
  const target = h('select', { id: 'import-target', 'aria-label': 'Import into' },
    h('option', { value: '' }, 'A new table'),
    Object.keys(o.tables).map((t) => h('option', { value: t, selected: t === o.table }, t)));
  const name = h('input', { type: 'text', id: 'import-name', placeholder: 'new_table', 'aria-label': 'New table name', spellcheck: 'false' });
  const preview = h('div', { id: 'import-preview' });
  const msg = h('div', { id: 'import-msg', 'aria-live': 'polite' });
  const run = h('button', { type: 'button', class: 'btn primary', id: 'import-run', disabled: true }, 'Import');
  const current = () => {
    const t = target.value;
    return t ? { table: t, existing: o.tables[t] } : { table: name.value.trim(), existing: null };
  };
  const fail = (text) => { clear(msg).append(h('div', { class: 'alert error', role: 'alert', id: 'import-error' }, text)); run.disabled = true; };
  const update = () => {
    name.hidden = !!target.value;
    clear(preview); clear(msg);
    run.disabled = true;
    if (!data) return;
    const plan = importItems(data, current());
    preview.append(h('p', { class: 'muted small' }, data.rows.length.toLocaleString() + ' rows, ' + data.columns.length + ' columns; the first ' + Math.min(PREVIEW_ROWS, data.rows.length) + ':'),
      resultTable(data.columns, data.rows.slice(0, PREVIEW_ROWS), { noCount: true, label: 'Rows to import' }));
    if (plan.error) { fail(plan.error); return; }
    preview.append(h('p', { class: 'muted small' }, 'Runs as one transaction (all rows or none):'),
      h('pre', { class: 'code', id: 'import-sql' }, plan.items.map((it) => it.statement + (it.valuesBatch ? ';  -- ' + it.valuesBatch.length.toLocaleString() + ' rows (valuesBatch)' : ';')).join('\n')));
    run.disabled = false;
  };
  file.addEventListener('change', async () => {
    data = null;
    const f = file.files && file.files[0];
    if (!f) { update(); return; }
    if (!target.value && !name.value) name.value = f.name.replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]+/g, '_');
    try {
      data = parseFile(f.name, await f.text());
    } catch (e) {
      update();
      fail(errMessage(e));
      return;
    }
    update();
  });
  target.addEventListener('change', update);
  name.addEventListener('input', update);
  run.addEventListener('click', async () => {
    const t = current();
    const plan = importItems(data, t);
    if (plan.error) { fail(plan.error); return; }
    run.disabled = true;
    clear(msg);
    try {
      await runTx(o.db, plan.items);
    } catch (e) {
      const idx = typeof e.reqIdx === 'number' && e.reqIdx >= 0 ? e.reqIdx : null;
      const rowIdx = e.body && typeof e.body.rowIdx === 'number' ? e.body.rowIdx : null;
      fail((idx !== null ? 'Statement ' + (idx + 1) + (rowIdx !== null ? ', row ' + (rowIdx + 1) : '') + ' failed: ' : 'Error: ') + errMessage(e) + '. Nothing was imported: the transaction rolled back.');
      run.disabled = false;
      return;
    }
    clear(msg).append(h('div', { class: 'alert ok', role: 'status', id: 'import-done' }, data.rows.length.toLocaleString() + ' rows imported into "' + t.table + '"'));
    o.done(t.table);
  });
  clear(box).append(h('div', { class: 'import-panel', id: 'import-panel' },
    h('h3', { class: 'detail-title' }, 'Import CSV or JSON'),
    h('p', { class: 'muted small' }, 'CSV with a header line (an empty field is NULL, "" the empty string), or JSON: an array of objects. Into a new table, or an existing one whose columns match the file\'s by name.'),
    h('div', { class: 'import-form' },
      h('label', null, 'File ', file),
      h('label', null, 'Into ', target), name),
    preview, msg, h('div', { class: 'btn-row' }, run)));
  update();
}
