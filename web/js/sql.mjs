// The SQL editor view: runs the editor's statements as one POST /db transaction, shows a grid per
// query (grid.mjs) or the failing statement, and builds share links (GET /query, POST /share).
import { saveResult } from './export.mjs';
import { API, ApiError, api, auth, authToken, consoleTx, queryObjects, resultRows, runTx } from './api.mjs';
import { createDb, isDbMissing } from './dbs.mjs';
import { $, clear, emptyState, h, toast } from './dom.mjs';
import { cursorOffset, focusEditor, getSelectedText, getText, initEditor, loadEditorFor, openTab, refreshEditor, saveEditor, setText, tabName } from './editor.mjs';
import { resultTable } from './grid.mjs';
import { registerView, state } from './router.mjs';
import { markSchemaDirty, refreshSchemaHints } from './schema.mjs';
import { firstKeyword, isQuery, splitSql, statementAt } from './sqlsplit.mjs';
import { deleteSaved, loadSaved, saveQuery } from './sqltabs.mjs';
import { base64url, errMessage, plural, preview, tryParseJson } from './util.mjs';

function hideSqlError() { const e = $('#sql-error'); e.hidden = true; clear(e); }

function showSqlError(err, statements) {
  const box = clear($('#sql-error'));
  const idx = err && typeof err.reqIdx === 'number' ? err.reqIdx : undefined;
  let heading;
  if (idx !== undefined && idx >= 0 && statements && statements.length) {
    heading = 'Statement ' + (idx + 1) + ' of ' + statements.length + ' failed';
  } else if (idx === -1) heading = 'Request rejected';
  else heading = 'Error';
  box.append(h('p', { class: 'alert-title' }, heading, idx !== undefined && idx >= 0 ? h('span', { class: 'badge' }, 'reqIdx ' + idx) : null,
    err && err.code ? h('span', { class: 'badge' }, err.code) : null));
  box.append(h('p', { class: 'error-message' }, errMessage(err)));
  if (idx !== undefined && idx >= 0 && statements && statements[idx]) {
    box.append(h('pre', { class: 'failing-sql' }, statements[idx]));
    if (statements.length > 1) box.append(h('p', { class: 'muted small' }, 'The whole transaction was rolled back.'));
  }
  if (isDbMissing(err) && state.db) {
    box.append(h('button', { type: 'button', class: 'btn small create-missing', onclick: () => createDb(state.db) }, 'Create database "' + state.db + '"'));
  }
  box.hidden = false;
}

function parseParams() {
  const raw = $('#sql-params').value.trim();
  if (!raw) return { ok: true, value: undefined };
  const p = tryParseJson(raw);
  if (!p.ok || p.value === null || typeof p.value !== 'object') return { ok: false, error: 'Parameters must be a JSON array (e.g. [1, "a"]) or object (e.g. {":name": "x"}).' };
  return { ok: true, value: p.value };
}

/** The view's state: a run in flight, and completed runs (exposed as data-runs on #sql-results). */
const sql = { running: false, runs: 0, abort: null };  // abort: the running request's AbortController

/** "Run": every statement of the editor, as one transaction. */
export function runSql() { return runStatements(splitSql(getText()), 'Type some SQL above, then press Run.'); }

/**
 * "Run statement" (Ctrl/⌘+Shift+Enter): the statements of the selection, or without one the
 * statement at the cursor (sqlsplit.mjs statementAt).
 */
export function runStatementAtCursor() {
  const selected = getSelectedText();
  const statements = selected.trim() ? splitSql(selected) : [statementAt(getText(), cursorOffset())].filter(Boolean);
  return runStatements(statements, 'Put the cursor in a statement (or select some SQL), then press Run statement.');
}

async function runStatements(statements, emptyHint) {
  if (sql.running) return;
  if (!state.db) { toast('Open a database first', 'error'); return; }
  saveEditor();
  $('#share-box').hidden = true;
  const results = $('#sql-results');
  hideSqlError();
  if (!statements.length) {
    clear(results).append(emptyState('Nothing to run', emptyHint));
    results.dataset.runs = String(++sql.runs);
    return;
  }
  const params = parseParams();
  if (!params.ok) { showSqlError(new ApiError(params.error, 0, null)); return; }
  const items = statements.map((sql) => (isQuery(sql) ? { query: sql } : { statement: sql }));
  if (params.value !== undefined) items[items.length - 1].values = params.value;
  sql.running = true;
  const btns = ['#run-btn', '#run-stmt-btn'].map((sel) => $(sel));
  btns.forEach((b) => { b.disabled = true; });
  const status = $('#run-status');
  status.textContent = 'Running ' + plural(statements.length, 'statement') + '…';
  results.setAttribute('aria-busy', 'true');
  const t0 = performance.now();
  sql.abort = new AbortController();
  const cancel = $('#cancel-btn');
  cancel.hidden = false;
  try {
    const data = await runTx(state.db, items, { signal: sql.abort.signal });
    const ms = Math.round(performance.now() - t0);
    status.textContent = plural(statements.length, 'statement') + ' · ' + ms + ' ms';
    renderResults(data, statements, items);
    if (items.some((it) => it.statement)) { markSchemaDirty(); refreshSchemaHints(); }
  } catch (e) {
    if (e && e.name === 'AbortError') {
      status.textContent = 'Cancelled after ' + Math.round(performance.now() - t0) + ' ms';
      clear(results).append(emptyState('Cancelled', 'The server stopped the statements and committed nothing of them'
        + ' (unless they had already finished when you cancelled).'));
    } else {
      status.textContent = 'Failed after ' + Math.round(performance.now() - t0) + ' ms';
      showSqlError(e, statements);
      clear(results);
    }
  } finally {
    sql.running = false;
    sql.abort = null;
    cancel.hidden = true;
    btns.forEach((b) => { b.disabled = false; });
    results.removeAttribute('aria-busy');
    results.dataset.runs = String(++sql.runs);
  }
}

/** The statement "Run statement" and "Explain" use: the selection's first, or the one at the cursor. */
function cursorStatement() {
  const selected = getSelectedText();
  return selected.trim() ? (splitSql(selected)[0] || '') : statementAt(getText(), cursorOffset());
}

/**
 * "Explain": EXPLAIN QUERY PLAN of the statement at the cursor (or the selection's first), as
 * a console query (consoleTx: not in the query history; nothing is executed), shown as a tree.
 */
export async function explainSql() {
  if (sql.running) return;
  if (!state.db) { toast('Open a database first', 'error'); return; }
  saveEditor();
  $('#share-box').hidden = true;
  hideSqlError();
  const results = $('#sql-results');
  const stmt = cursorStatement();
  if (!stmt) {
    clear(results).append(emptyState('Nothing to explain', 'Put the cursor in a statement, then press Explain.'));
    results.dataset.runs = String(++sql.runs);
    return;
  }
  const params = parseParams();
  if (!params.ok) { showSqlError(new ApiError(params.error, 0, null)); return; }
  const plan = /^\s*EXPLAIN\s+QUERY\s+PLAN\b/i.test(stmt) ? stmt : 'EXPLAIN QUERY PLAN ' + stmt;
  const item = { query: plan };
  if (params.value !== undefined) item.values = params.value;
  const status = $('#run-status');
  status.textContent = 'Explaining…';
  try {
    const data = await consoleTx(state.db, [item]);
    status.textContent = 'Query plan';
    clear(results).append(planCard(stmt, queryObjects(data.results[0])));
  } catch (e) {
    status.textContent = 'Explain failed';
    showSqlError(e, [plan]);
    clear(results);
  } finally {
    results.dataset.runs = String(++sql.runs);
  }
}

/**
 * The rows of EXPLAIN QUERY PLAN ({id, parent, detail}) as a nested list: each row under the
 * row its `parent` names (0: the top). SCAN (reads every row) and SEARCH (uses an index or the
 * rowid) are marked.
 */
function planCard(stmt, rows) {
  const card = h('section', { class: 'card result plan', 'aria-label': 'Query plan' },
    h('div', { class: 'result-head' }, h('span', { class: 'badge' }, 'Plan'), h('code', { class: 'result-sql', title: stmt }, preview(stmt, 160))));
  const kids = new Map();
  const ids = new Set(rows.map((r) => Number(r.id)));
  for (const r of rows) {
    const parent = ids.has(Number(r.parent)) ? Number(r.parent) : 0;
    if (!kids.has(parent)) kids.set(parent, []);
    kids.get(parent).push(r);
  }
  const list = (parent, depth) => {
    const ul = h('ul', { class: depth ? 'plan-children' : 'plan-tree' });
    for (const r of kids.get(parent) || []) {
      const detail = String(r.detail);
      const op = /^(SCAN|SEARCH)\b/.exec(detail);
      const li = h('li', { class: 'plan-node' + (op ? ' plan-' + op[1].toLowerCase() : ''), dataset: { id: String(r.id), parent: String(r.parent) } },
        h('span', { class: 'plan-line' },
          op ? h('span', { class: 'badge ' + (op[1] === 'SCAN' ? 'warn' : 'ok'), title: op[1] === 'SCAN' ? 'Reads every row' : 'Uses an index or the rowid' }, op[1]) : null,
          h('span', { class: 'plan-detail' }, op ? detail.slice(op[1].length).trim() : detail)));
      if (kids.has(Number(r.id)) && Number(r.id) !== parent) li.append(list(Number(r.id), depth + 1));
      ul.append(li);
    }
    return ul;
  };
  card.append(rows.length ? list(0, 0) : h('p', { class: 'updated' }, 'No plan rows'));
  return card;
}

function renderResults(data, statements, items) {
  const results = clear($('#sql-results'));
  const list = data.results;
  if (!list.length) { results.append(emptyState('No results', 'The server returned no results.')); return; }
  list.forEach((r, i) => {
    const card = h('section', { class: 'card result', 'aria-label': 'Result of statement ' + (i + 1) });
    const head = h('div', { class: 'result-head' },
      h('span', { class: 'badge' }, '#' + (i + 1)),
      h('code', { class: 'result-sql', title: statements[i] || '' }, preview(statements[i] || '', 160)));
    card.append(head);
    if (r.success === false) {
      card.append(h('div', { class: 'alert error' }, r.error || 'Failed'));
    } else if (Array.isArray(r.resultSetList)) {
      const { headers, rows } = resultRows(r);
      const item = items[i] || {};
      // Past the server's 10,000-row cap the notice says how many rows the query has in all.
      const countTotal = item.query ? () => consoleTx(state.db, [{ query: 'SELECT count(*) AS n FROM (' + item.query + '\n)', values: item.values }])
        .then((c) => Number(resultRows(c.results[0]).rows[0][0])) : null;
      head.append(h('span', { class: 'result-export' },
        h('button', { type: 'button', class: 'btn small ghost', dataset: { export: 'csv' }, title: 'The rows shown, as a CSV file', onclick: () => saveResult(headers, rows, 'csv', 'result-' + (i + 1)) }, 'CSV'),
        h('button', { type: 'button', class: 'btn small ghost', dataset: { export: 'json' }, title: 'The rows shown, as a JSON file', onclick: () => saveResult(headers, rows, 'json', 'result-' + (i + 1)) }, 'JSON')));
      card.append(resultTable(headers, rows, { label: 'Rows of statement ' + (i + 1), truncated: r.truncated === true, countTotal, filters: true }));
    } else if (Array.isArray(r.rowsUpdatedBatch)) {
      const total = r.rowsUpdatedBatch.reduce((a, b) => a + (Number(b) || 0), 0);
      card.append(h('p', { class: 'updated' }, plural(total, 'row') + ' updated (' + plural(r.rowsUpdatedBatch.length, 'batch item') + ')'));
    } else if (typeof r.rowsUpdated === 'number') {
      card.append(h('p', { class: 'updated' }, plural(r.rowsUpdated, 'row') + ' updated'));
    } else {
      card.append(h('p', { class: 'updated' }, 'Done'));
    }
    results.append(card);
  });
}

async function share() {
  const statements = splitSql(getText());
  const box = $('#share-box');
  if (statements.length !== 1 || !['SELECT', 'WITH'].includes(firstKeyword(statements[0]))) {
    box.hidden = true;
    showSqlError(new ApiError('Share works for a single SELECT (or WITH … SELECT) query. Shared links are read-only.', 0, null));
    return;
  }
  hideSqlError();
  let url = location.origin + API + '/query?db=' + encodeURIComponent(state.db) + '&sql=' + base64url(statements[0]);
  const formats = ' In a browser it opens as a result page; curl and scripts get JSON (add &format=csv for CSV).';
  let note = 'Anyone who can reach this server can open this link; it only reads.' + formats;
  let needsToken = auth.required || !!authToken();
  if (needsToken) {
    note = 'This link needs the access token: without one it answers 401 (send Authorization: Bearer <token>).' + formats;
  }
  // With a token, ask the server for a signed link (POST /share, docs/security.md): it opens
  // without a token until it expires. Without a share secret (or an admin token) keep the plain link.
  if (authToken()) {
    try {
      const signed = await api('POST', '/share', { query: { db: state.db }, body: { sql: statements[0], ttl: 7 * 86400 }, tokenRetry: true });
      url = location.origin + signed.url;
      needsToken = false;
      note = 'Signed link: opens without a token until ' + new Date(signed.exp * 1000).toLocaleString() + ', for this one query.' + formats;
    } catch (e) {
      note = 'This link needs the access token to open: the server could not sign it (' + errMessage(e) + ').' + formats;
    }
  }
  box.classList.toggle('needs-token', needsToken);
  box.dataset.needsToken = needsToken ? 'true' : 'false';
  $('#share-url').value = url;
  $('#share-open').href = url;
  $('#share-note').textContent = $('#sql-params').value.trim() ? 'Note: parameters are not part of a shared link.' : note;
  box.hidden = false;
  $('#share-url').select();
  copyText(url, true);
}

async function copyText(text, quiet) {
  try {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); if (!quiet) toast('Copied to clipboard', 'ok'); else toast('Link copied', 'ok'); return; }
  } catch (_) { /* fall back */ }
  const input = $('#share-url');
  input.focus(); input.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
  if (!quiet) toast(ok ? 'Copied to clipboard' : 'Select the link and copy it', ok ? 'ok' : 'info');
}

/** The saved queries of the current database (sqltabs.mjs): open one in a new tab, or delete it. */
function renderSaved(list = loadSaved(state.db)) {
  $('#saved-count').textContent = String(list.length);
  const ul = clear($('#saved-list'));
  if (!list.length) { ul.append(h('li', { class: 'muted small' }, 'None yet: name the editor\'s text above and press Save query.')); return; }
  for (const q of list) {
    ul.append(h('li', { class: 'saved-item', dataset: { name: q.name } },
      h('button', { type: 'button', class: 'btn small ghost saved-open', title: 'Open in a new tab', onclick: () => openTab(q.sql, q.name) }, q.name),
      h('code', { class: 'saved-sql', title: q.sql }, preview(q.sql, 80)),
      h('button', { type: 'button', class: 'btn small danger saved-delete', 'aria-label': 'Delete saved query ' + q.name,
        onclick: () => { renderSaved(deleteSaved(state.db, q.name)); toast('Deleted "' + q.name + '"', 'info'); } }, 'Delete')));
  }
}

function saveCurrent(e) {
  e.preventDefault();
  if (!state.db) { toast('Open a database first', 'error'); return; }
  const input = $('#save-name');
  const name = input.value.trim() || tabName();
  const text = getText();
  if (!text.trim()) { toast('Nothing to save: the editor is empty', 'error'); return; }
  const replaced = loadSaved(state.db).some((q) => q.name === name);
  renderSaved(saveQuery(state.db, name, text));
  input.value = '';
  toast((replaced ? 'Replaced "' : 'Saved "') + name + '"', 'ok');
}

/** Wires the view's controls and registers it with the router. */
export function initSql() {
  initEditor({ onRun: runSql, onRunStatement: runStatementAtCursor });
  $('#sql-params').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); runSql(); }
  });
  $('#run-btn').addEventListener('click', runSql);
  $('#run-stmt-btn').addEventListener('click', runStatementAtCursor);
  $('#explain-btn').addEventListener('click', explainSql);
  $('#cancel-btn').addEventListener('click', () => { if (sql.abort) sql.abort.abort(); });
  $('#save-form').addEventListener('submit', saveCurrent);
  $('#share-btn').addEventListener('click', share);
  $('#share-copy').addEventListener('click', () => copyText($('#share-url').value));
  $('#format-clear').addEventListener('click', () => {
    setText(''); clear($('#sql-results')); hideSqlError(); $('#share-box').hidden = true; $('#run-status').textContent = ''; focusEditor();
  });
  registerView('sql', {
    // The editor was hidden (CodeMirror measures on show); autocomplete learns this database.
    enter() { refreshEditor(); refreshSchemaHints(); },
    dbChanged(db) {
      clear($('#sql-results')); hideSqlError(); $('#share-box').hidden = true;
      loadEditorFor(db);
      renderSaved();
    },
    invalidate() { hideSqlError(); },
    // "Open in console" links of the GET /query page: the query goes into the editor.
    linkedSql(text) { setText(text); },
  });
}
