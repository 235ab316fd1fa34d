// The query history view: GET /history (newest first, docs/sql.md), re-run, edit, delete by id,
// clear.
import { api } from './api.mjs';
import { errorState } from './dbs.mjs';
import { $, clear, confirmDialog, emptyState, h, loading, toast } from './dom.mjs';
import { focusEditor, setText } from './editor.mjs';
import { hashFor, navigate, registerView, state } from './router.mjs';
import { runSql } from './sql.mjs';
import { errMessage, fmtTime, plural, relTime } from './util.mjs';

/** The view's state: the race token of the newest load. */
const hist = { token: 0 };

async function loadHistory() {
  const body = $('#history-body');
  const token = ++hist.token;
  const db = state.db;
  clear(body).append(loading('Loading history…'));
  $('#history-clear').disabled = true;
  let data;
  try {
    data = await api('GET', '/history', { query: { db, limit: 100 } });
  } catch (e) {
    if (token !== hist.token) return;
    clear(body).append(errorState(e, loadHistory));
    return;
  }
  if (token !== hist.token || db !== state.db) return;
  const entries = data.entries;
  clear(body);
  if (!entries.length) {
    body.append(emptyState('No queries yet', 'SQL you run against this database shows up here.',
      h('a', { class: 'btn small', href: hashFor({ db: state.db, view: 'sql' }) }, 'Open SQL editor')));
    return;
  }
  $('#history-clear').disabled = false;
  const total = data.total;
  body.append(h('p', { class: 'muted small' }, total > entries.length ? 'Newest ' + entries.length + ' of ' + total + ' entries' : plural(entries.length, 'entry').replace(/entrys$/, 'entries')));
  const ol = h('ol', { class: 'history-list' });
  entries.forEach((e, pos) => {
    const ok = e.success;
    const sql = e.sql;
    const meta = h('div', { class: 'history-meta' },
      h('span', { class: 'badge ' + (ok ? 'ok' : 'err') }, ok ? 'OK' : 'Error'),
      e.source ? h('span', { class: 'badge' }, e.source) : null,
      h('time', { datetime: new Date(e.timestamp).toISOString(), title: fmtTime(e.timestamp) }, relTime(e.timestamp)),
      e.duration_ms !== null ? h('span', { class: 'muted' }, Number(e.duration_ms).toFixed(Number(e.duration_ms) < 10 ? 2 : 0) + ' ms') : null,
      e.rows !== null ? h('span', { class: 'muted' }, plural(Number(e.rows), 'row')) : null,
      Number(e.statements) > 1 ? h('span', { class: 'muted' }, e.statements + ' statements') : null);
    const li = h('li', { class: 'card history-item', dataset: { id: String(e.id), index: String(pos) } },
      meta,
      h('pre', { class: 'code history-sql' }, sql),
      !ok && e.error ? h('p', { class: 'error-text small' }, String(e.error)) : null,
      h('div', { class: 'btn-row' },
        h('button', { type: 'button', class: 'btn small primary rerun', onclick: () => rerun(sql) }, 'Re-run'),
        h('button', { type: 'button', class: 'btn small edit', onclick: () => { setText(sql); navigate({ view: 'sql' }); focusEditor(); } }, 'Edit'),
        h('button', { type: 'button', class: 'btn small danger delete', onclick: () => deleteHistory(e.id) }, 'Delete')));
    ol.append(li);
  });
  body.append(ol);
}

function rerun(sql) {
  setText(sql);
  $('#sql-params').value = '';
  navigate({ view: 'sql' });
  runSql();
}

/** Deletes one entry by its id (DELETE /history/{id}); an entry already gone answers 404. */
async function deleteHistory(id) {
  try {
    await api('DELETE', '/history/' + encodeURIComponent(id), { query: { db: state.db } });
    toast('History entry deleted', 'ok');
  } catch (e) {
    toast(e && e.status === 404 ? 'That entry is already gone' : 'Could not delete: ' + errMessage(e), e && e.status === 404 ? 'info' : 'error');
  }
  loadHistory();
}

async function clearHistory() {
  const ok = await confirmDialog({ title: 'Clear query history?', body: 'This removes every history entry of "' + state.db + '". It cannot be undone.', okLabel: 'Clear history', danger: true });
  if (!ok) return;
  try {
    await api('DELETE', '/history', { query: { db: state.db } });
    toast('History cleared', 'ok');
  } catch (e) {
    toast('Could not clear history: ' + errMessage(e), 'error');
  }
  loadHistory();
}

/** Wires the view's controls and registers it with the router. */
export function initHistory() {
  $('#history-refresh').addEventListener('click', loadHistory);
  $('#history-clear').addEventListener('click', clearHistory);
  registerView('history', { enter: loadHistory });
}
