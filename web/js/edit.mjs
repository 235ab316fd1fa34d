// The row editor of an opened table (schema.mjs): cell edits, new rows and deletions are staged
// in the page (marked in the grid), "Review changes" shows the exact SQL, and Confirm runs it as
// ONE POST /db transaction through runTx (it is the user's SQL: it goes into the query history).
// A failure rolls the whole transaction back on the server; the staged changes stay for a retry.
// Rows are named by their key (primary-key columns, or the rowid): a row whose key is NULL cannot
// be edited. A BLOB cell is not editable inline. NULL and the empty string stay distinct.
import { runTx } from './api.mjs';
import { clear, confirmDialog, h, toast } from './dom.mjs';
import { resultTable } from './grid.mjs';
import { errMessage, quoteIdent, stringifyJsonExact } from './util.mjs';

const isBlob = (v) => v !== null && typeof v === 'object' && typeof v.base64 === 'string';
const DEFAULT = Symbol('default'); // a new row's cell the user did not fill: the column's DEFAULT

/** A value as the SQL review shows it (the parameters are sent as JSON, docs/sql.md). */
const showValue = (v) => (v === null ? 'NULL' : stringifyJsonExact(v));

/**
 * The typed text → the value sent: a number when the cell held a number and the text is one
 * (columns without a numeric type keep numbers as numbers), else the text as is.
 */
function parseInput(text, old) {
  if ((typeof old === 'number' || typeof old === 'bigint') && /^\s*-?\d+\s*$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
    const big = BigInt(text.trim());  // exact beyond 2^53, as SQLite's 64-bit INTEGER
    if (big >= -(2n ** 63n) && big < 2n ** 63n) return big;
  }
  if (typeof old === 'number' && /^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(text)) {
    const n = Number(text);
    if (Number.isFinite(n) && (!Number.isInteger(n) || Number.isSafeInteger(n))) return n;
  }
  return text;
}

/**
 * The staged changes → the transaction's items, in the order they run: deletions, then updates,
 * then inserts (so a new row may take a key or UNIQUE value a deleted row had).
 */
export function changeItems(table, cols, keyCols, st) {
  const t = quoteIdent(table);
  const where = ' WHERE ' + keyCols.map((c) => quoteIdent(c) + ' = ?').join(' AND ');
  const items = [];
  for (const r of [...st.deleted].sort((a, b) => a - b)) items.push({ statement: 'DELETE FROM ' + t + where, values: st.keyOf(r) });
  const byRow = new Map();
  for (const [k, v] of st.edits) {
    const [r, c] = k.split(':').map(Number);
    if (st.deleted.has(r)) continue;
    if (!byRow.has(r)) byRow.set(r, []);
    byRow.get(r).push([c, v]);
  }
  for (const r of [...byRow.keys()].sort((a, b) => a - b)) {
    const sets = byRow.get(r).sort((a, b) => a[0] - b[0]);
    items.push({ statement: 'UPDATE ' + t + ' SET ' + sets.map(([c]) => quoteIdent(cols[c]) + ' = ?').join(', ') + where, values: [...sets.map(([, v]) => v), ...st.keyOf(r)] });
  }
  for (const row of st.inserted) {
    const filled = row.map((v, c) => [c, v]).filter(([, v]) => v !== DEFAULT);
    items.push(filled.length
      ? { statement: 'INSERT INTO ' + t + ' (' + filled.map(([c]) => quoteIdent(cols[c])).join(', ') + ') VALUES (' + filled.map(() => '?').join(', ') + ')', values: filled.map(([, v]) => v) }
      : { statement: 'INSERT INTO ' + t + ' DEFAULT VALUES' });
  }
  return items;
}

/**
 * The rows of `table` with the editor around them. o: db, table, cols, rows (lists), keyCols,
 * keyOf(r) (the key values of page row r, or null when a row cannot be named), startIndex,
 * gridOpts (passed on to resultTable), onApplied() (after a confirmed transaction).
 * Returns {node, pending() (the number of staged changes), discard()}.
 */
export function rowEditor(o) {
  const n = o.rows.length;
  const st = { edits: new Map(), deleted: new Set(), inserted: [], keyOf: o.keyOf, focus: null };
  // Staged changes: edited cells (of rows not to be deleted), deleted rows and new rows.
  const pending = () => [...st.edits.keys()].filter((k) => !st.deleted.has(Number(k.split(':')[0]))).length + st.deleted.size + st.inserted.length;
  const count = h('span', { class: 'muted small', id: 'edit-count', 'aria-live': 'polite' });
  const msg = h('div', { id: 'edit-msg' });
  const review = h('button', { type: 'button', class: 'btn small primary', id: 'edit-review', onclick: () => reviewChanges() }, 'Review changes');
  const discardBtn = h('button', { type: 'button', class: 'btn small ghost', id: 'edit-discard', onclick: () => discard() }, 'Discard');
  const bar = h('div', { class: 'edit-bar btn-row', id: 'edit-bar' },
    h('button', { type: 'button', class: 'btn small', id: 'edit-insert', onclick: () => { st.inserted.push(o.cols.map(() => DEFAULT)); render(n + st.inserted.length - 1); } }, 'Insert row'),
    h('button', { type: 'button', class: 'btn small', id: 'edit-delete', title: 'Marks the row of the selected cell for deletion (or press Delete in a cell)', onclick: () => { if (st.focus !== null) remove(st.focus); else toast('Select a cell of the row to delete first', 'info'); } }, 'Delete row'),
    review, discardBtn, count);
  const hint = h('p', { class: 'muted small edit-hint' }, 'Double-click a cell (or select it and press Enter) to edit it; Enter keeps the edit, Shift+Enter adds a line, Esc cancels, "NULL" sets NULL. BLOB cells are not editable inline. Changes are staged until you review and confirm them.');
  const gridBox = h('div', { class: 'edit-grid' });
  const node = h('div', { class: 'row-editor' }, bar, hint, msg, gridBox);
  // A row permalink or foreign-key link leaves the page: with changes staged, ask first.
  gridBox.addEventListener('click', async (e) => {
    const a = e.target.closest('a[href]');
    const p = pending();
    if (!a || !p) return;
    e.preventDefault();
    if (await confirmDialog({ title: 'Discard staged changes?', body: p + (p === 1 ? ' change is' : ' changes are') + ' staged on this page and not applied.', okLabel: 'Discard', danger: true })) location.hash = new URL(a.href).hash;
  });

  const valueAt = (r, c) => {
    if (r >= n) return st.inserted[r - n][c];
    const k = r + ':' + c;
    return st.edits.has(k) ? st.edits.get(k) : o.rows[r][c];
  };
  const remove = (r) => {
    if (r >= n) st.inserted.splice(r - n, 1);
    else if (st.deleted.has(r)) st.deleted.delete(r);
    else if (!o.keyOf(r)) { toast('This row has a NULL key: it cannot be deleted here', 'error'); return; }
    else st.deleted.add(r);
    st.focus = null;
    render(r);
  };
  const edit = {
    decorateRow(tr, r) {
      if (r >= n) { tr.classList.add('staged-new'); tr.firstChild.textContent = '+'; tr.firstChild.title = 'New row (staged)'; }
      else if (st.deleted.has(r)) { tr.classList.add('staged-del'); tr.title = 'Staged for deletion'; }
    },
    decorateCell(td, r, c) {
      if (r >= n && st.inserted[r - n][c] === DEFAULT) { td.className = 'null default'; td.textContent = 'DEFAULT'; }
      else if (r < n && st.edits.has(r + ':' + c)) { td.classList.add('staged-edit'); td.title = 'Edited (staged); was ' + showValue(o.rows[r][c]); }
      td.addEventListener('focus', () => { st.focus = r; });
    },
    activate(r, c, td) {
      const old = valueAt(r, c);
      if (isBlob(old)) { toast('BLOB cells are not editable inline (use SQL with a {"base64": …} value)', 'info'); return; }
      if (r < n && st.deleted.has(r)) { toast('This row is staged for deletion; press Delete again to keep it', 'info'); return; }
      if (r < n && !o.keyOf(r)) { toast('This row has a NULL key: it cannot be edited here', 'error'); return; }
      const orig = r < n ? o.rows[r][c] : null;
      const input = h('textarea', { class: 'cell-input', rows: '1', 'aria-label': 'New value of ' + o.cols[c] });
      input.value = old === null || old === undefined || old === DEFAULT ? '' : typeof old === 'string' ? old : String(old);
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        if (value !== undefined) {
          if (r >= n) st.inserted[r - n][c] = value;
          else if (value === orig) st.edits.delete(r + ':' + c);
          else st.edits.set(r + ':' + c, value);
        }
        render(r, c);
      };
      const nullBtn = h('button', { type: 'button', class: 'btn small cell-null', title: 'Set this cell to NULL', onmousedown: (e) => e.preventDefault(), onclick: () => finish(null) }, 'NULL');
      input.addEventListener('keydown', (e) => {
        e.stopPropagation();
        if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); finish(parseInput(input.value, orig)); }
        else if (e.key === 'Escape') { e.preventDefault(); finish(undefined); }
      });
      input.addEventListener('blur', () => finish(parseInput(input.value, orig)));
      clear(td).append(h('div', { class: 'cell-editor' }, input, nullBtn));
      td.classList.add('editing');
      input.focus();
      input.select();
    },
    remove,
  };

  function render(focusRow, focusCol) {
    const rows = [];
    for (let r = 0; r < n + st.inserted.length; r++) rows.push(o.cols.map((_, c) => { const v = valueAt(r, c); return v === DEFAULT ? null : v; }));
    const p = pending();
    count.textContent = p ? p + (p === 1 ? ' change' : ' changes') + ' staged' : 'No changes staged';
    review.disabled = !p;
    discardBtn.disabled = !p;
    const old = gridBox.querySelector('.table-wrap');
    const top = old ? old.scrollTop : 0;
    // The page's links (row permalinks, foreign keys) name stored rows: none for a new row.
    const g = o.gridOpts;
    const rowHref = g.rowHref ? (r) => (r < n ? g.rowHref(r) : null) : null;
    const cellHref = g.cellHref ? (r, c) => (r < n ? g.cellHref(r, c) : null) : null;
    clear(gridBox).append(resultTable(o.cols, rows, Object.assign({}, g, { edit, rowHref, cellHref, startIndex: o.startIndex, noCount: true })));
    const wrap = gridBox.querySelector('.table-wrap');
    if (wrap) wrap.scrollTop = top;
    if (focusRow !== undefined) {
      const td = gridBox.querySelector('tbody tr[data-row="' + focusRow + '"] td:nth-child(' + ((focusCol === undefined ? 0 : focusCol) + 2) + ')');
      if (td) { td.focus({ preventScroll: focusCol === undefined }); st.focus = focusRow; }
    }
  }

  function discard() {
    st.edits.clear();
    st.deleted.clear();
    st.inserted = [];
    clear(msg);
    render();
  }

  async function reviewChanges() {
    const items = changeItems(o.table, o.cols, o.keyCols, st);
    if (!items.length) return;
    const list = h('ol', { class: 'review-list', id: 'review-sql' }, items.map((it) => h('li', null,
      h('pre', { class: 'code' }, it.statement), it.values ? h('p', { class: 'muted small' }, 'values: ', h('code', null, '[' + it.values.map(showValue).join(', ') + ']')) : null)));
    const body = h('div', null, h('p', null, items.length + (items.length === 1 ? ' statement runs' : ' statements run') + ' as one transaction: all of them or none.'), list);
    if (!await confirmDialog({ title: 'Review changes to ' + o.table, body, okLabel: 'Confirm' })) return;
    clear(msg);
    try {
      await runTx(o.db, items);
    } catch (e) {
      const idx = typeof e.reqIdx === 'number' && e.reqIdx >= 0 ? e.reqIdx : null;
      msg.append(h('div', { class: 'alert error', role: 'alert', id: 'edit-error' },
        h('strong', null, idx !== null ? 'Statement ' + (idx + 1) + ' failed: ' : 'Error: '), errMessage(e),
        e.code ? h('span', { class: 'badge' }, e.code) : null,
        idx !== null && items[idx] ? h('pre', { class: 'code' }, items[idx].statement) : null,
        h('p', { class: 'small' }, 'Nothing was applied: the transaction rolled back. The changes are still staged.')));
      return;
    }
    toast(items.length + (items.length === 1 ? ' statement' : ' statements') + ' applied', 'ok');
    st.edits.clear(); st.deleted.clear(); st.inserted = [];
    o.onApplied();
  }

  render();
  return { node, pending, discard };
}
