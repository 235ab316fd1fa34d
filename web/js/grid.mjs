// The result grid: a virtual table of any size (only the rows in view are in the DOM), one line
// per cell, sticky header, click-to-sort, and the cell viewer for long text, JSON and BLOBs.
import { clear, h, infoDialog } from './dom.mjs';
import { b64ByteLength, bytesOfBase64, decodeBase64Text, hexDump, plural, tryParseJson } from './util.mjs';

const TRUNC = 120;            // characters of a cell shown in the grid (the viewer shows all)

// One line per cell; only the rows in view are in the DOM (a spacer row above and below);
// sticky header; click a header to sort; long text, JSON and BLOB cells open in a viewer.
function cellText(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object' && typeof v.base64 === 'string') return '<blob ' + b64ByteLength(v.base64) + ' bytes>';
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function looksLikeJson(s) { return /^\s*[[{]/.test(s) && tryParseJson(s).ok; }

function renderCell(v) {
  const td = document.createElement('td');
  if (v === null || v === undefined) {
    td.className = 'null';
    td.textContent = 'NULL';
  } else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') {
    td.className = 'num';
    td.textContent = String(v);
  } else if (typeof v === 'object' && typeof v.base64 === 'string') {
    td.className = 'blob openable';
    td.textContent = cellText(v);
  } else {
    const s = cellText(v);
    const long = s.length > TRUNC || s.includes('\n');
    if (long || (s.length > 1 && (s[0] === '{' || s[0] === '['))) td.className = 'openable' + (long ? ' long' : '');
    td.textContent = s.length > TRUNC ? s.slice(0, TRUNC) + '…' : s;
    if (long) td.title = 'Click to see the whole value (' + s.length.toLocaleString() + ' characters)';
  }
  return td;
}

/** The cell viewer: the whole value; JSON pretty-printed; a BLOB as size and hex. */
function openCellViewer(column, rowNumber, v) {
  let body;
  if (v !== null && typeof v === 'object' && typeof v.base64 === 'string') {
    const bytes = bytesOfBase64(v.base64);
    const text = decodeBase64Text(v.base64);
    body = h('div', null, h('p', { class: 'muted small' }, 'BLOB, ' + bytes.length.toLocaleString() + ' bytes'),
      h('pre', { class: 'code cell-value kv-hex' }, hexDump(bytes, 4096)),
      text !== null && text !== '' && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text) ? h('details', null, h('summary', null, 'As UTF-8 text'), h('pre', { class: 'code cell-value' }, text)) : null);
  } else {
    const s = cellText(v);
    const json = looksLikeJson(s);
    body = h('div', null, h('p', { class: 'muted small' }, (json ? 'JSON, ' : 'Text, ') + s.length.toLocaleString() + ' characters'),
      h('pre', { class: 'code cell-value' }, json ? JSON.stringify(JSON.parse(s), null, 2) : s));
  }
  return infoDialog(column + ' · row ' + rowNumber, body);
}

function compareValues(a, b) {
  const rank = (v) => (v === null || v === undefined ? 0 : typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? 1 : typeof v === 'string' ? 2 : 3);
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return 0;
  if (ra === 3) { a = cellText(a); b = cellText(b); }
  return a < b ? -1 : a > b ? 1 : 0;
}

const GRID_ROW_H = 29;    // px, first guess of a row's height (measured after the first paint)

const GRID_HEIGHT = 480;  // px, at most, of the scrolling area

/**
 * A result grid of any size. opts: label, startIndex (row number offset), noCount (no row-count
 * line), truncated + countTotal (async () => total rows, for the "N of M rows" notice),
 * rowHref (row index → a URL or null: the row number becomes a link), cellHref (row index,
 * column index → a URL or null: the cell's value becomes a link), edit (the row editor's hooks,
 * edit.mjs: decorateRow(tr, r), decorateCell(td, r, c), activate(r, c, td) on a double-click or
 * Enter, remove(r) on Delete; its cells take focus, and a click opens the viewer only for a BLOB).
 */
export function resultTable(headers, rows, opts = {}) {
  const wrap = h('div', { class: 'table-block' });
  const startIndex = opts.startIndex || 0;
  const count = h('p', { class: 'muted small row-count' });
  const n = rows.length;
  const fmtN = (x) => Number(x).toLocaleString();
  const setCount = (total) => {
    if (!n) count.textContent = 'No rows';
    else if (opts.truncated) {
      count.textContent = fmtN(n) + ' of ' + (total === undefined ? 'more rows (counting…)' : total === null ? 'more rows' : fmtN(total) + ' rows');
      count.classList.add('truncated');
      count.append(h('span', { class: 'trunc-note' }, ' · the server returns at most 10,000 rows per query; add a WHERE or LIMIT to see others'));
    } else count.textContent = plural(n, 'row').replace(String(n), fmtN(n));
  };
  setCount(undefined);
  if (opts.truncated && opts.countTotal) opts.countTotal().then((t) => { clear(count); setCount(t); }, () => { clear(count); setCount(null); });
  if (!opts.noCount) wrap.append(count);

  const numericCol = headers.map((_, c) => {
    for (let r = 0; r < n && r < 50; r++) {
      const v = rows[r][c];
      if (v !== null && v !== undefined) return typeof v === 'number';
    }
    return false;
  });
  // Column widths from the header and the first rows (table-layout: fixed keeps them stable while scrolling).
  const widths = headers.map((name, c) => {
    let len = String(name).length + 2;
    for (let r = 0; r < n && r < 200; r++) len = Math.max(len, Math.min(48, cellText(rows[r][c]).length));
    return Math.max(64, Math.min(380, Math.round(len * 7.6) + 26));
  });
  const numW = Math.max(40, String(startIndex + n).length * 8 + 22);
  const colgroup = h('colgroup', null, h('col', { style: 'width:' + numW + 'px' }), widths.map((w) => h('col', { style: 'width:' + w + 'px' })));
  const table = h('table', { class: 'grid vgrid', 'aria-rowcount': String(n + 1) });
  table.style.width = (numW + widths.reduce((a, b) => a + b, 0)) + 'px';
  const thr = h('tr', null, h('th', { class: 'rownum', scope: 'col' }, h('span', { class: 'sr-only' }, 'Row')));
  let order = null, sortCol = -1, sortDir = 0; // order: row indices when sorted
  const ths = headers.map((name, c) => h('th', { scope: 'col', class: (numericCol[c] ? 'num ' : '') + 'sortable', tabindex: '0', title: 'Sort by ' + name, dataset: { col: String(c) } }, String(name)));
  thr.append(...ths);
  const tbody = h('tbody');
  table.append(colgroup, h('thead', null, thr), tbody);
  const scroller = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.label || 'Result rows' }, table);
  wrap.append(scroller);
  if (!n) {
    tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: String(headers.length + 1) }, 'No rows')));
    return wrap;
  }

  let rowH = GRID_ROW_H, measured = false, first = -1, last = -1;
  const topPad = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: String(headers.length + 1) }));
  const bottomPad = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: String(headers.length + 1) }));
  scroller.style.maxHeight = GRID_HEIGHT + 'px';
  const paint = (force) => {
    const view = scroller.clientHeight || GRID_HEIGHT;
    const from = Math.max(0, Math.floor(scroller.scrollTop / rowH) - 10);
    const to = Math.min(n, Math.ceil((scroller.scrollTop + view) / rowH) + 10);
    if (!force && from === first && to === last) return;
    first = from; last = to;
    const frag = document.createDocumentFragment();
    frag.append(topPad);
    for (let i = from; i < to; i++) {
      const r = order ? order[i] : i;
      const row = rows[r];
      const tr = document.createElement('tr');
      tr.dataset.row = String(r);
      const num = document.createElement('td');
      num.className = 'rownum';
      const href = opts.rowHref ? opts.rowHref(r) : null;
      if (href) num.append(h('a', { class: 'row-link', href, title: 'Link to this row' }, String(startIndex + r + 1)));
      else num.textContent = String(startIndex + r + 1);
      tr.append(num);
      if (opts.edit) opts.edit.decorateRow(tr, r);
      for (let c = 0; c < headers.length; c++) {
        const td = renderCell(row[c]);
        const cellHref = opts.cellHref ? opts.cellHref(r, c) : null;
        if (cellHref) {
          const a = h('a', { class: 'fk-link', href: cellHref, title: 'Open the referenced row' }, td.textContent);
          td.classList.remove('openable');
          clear(td).append(a);
        }
        if (opts.edit) { td.tabIndex = -1; opts.edit.decorateCell(td, r, c); }
        tr.append(td);
      }
      frag.append(tr);
    }
    frag.append(bottomPad);
    topPad.firstChild.style.height = from * rowH + 'px';
    bottomPad.firstChild.style.height = (n - to) * rowH + 'px';
    topPad.hidden = from === 0;
    bottomPad.hidden = to === n;
    clear(tbody).append(frag);
    if (!measured && topPad.nextSibling && topPad.nextSibling.offsetHeight) {
      measured = true;
      const hgt = topPad.nextSibling.offsetHeight;
      if (Math.abs(hgt - rowH) > 0.5) { rowH = hgt; paint(true); }
    }
  };
  let queued = false;
  scroller.addEventListener('scroll', () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; paint(); }); } }, { passive: true });
  const sortBy = (c) => {
    sortDir = sortCol === c ? (sortDir === 1 ? -1 : sortDir === -1 ? 0 : 1) : 1;
    sortCol = sortDir ? c : -1;
    if (!sortDir) order = null;
    else {
      order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) => compareValues(rows[a][c], rows[b][c]) * sortDir || a - b);
    }
    ths.forEach((th, i) => { if (i === sortCol) th.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending'); else th.removeAttribute('aria-sort'); });
    paint(true);
  };
  thr.addEventListener('click', (e) => { const th = e.target.closest('th[data-col]'); if (th) sortBy(Number(th.dataset.col)); });
  thr.addEventListener('keydown', (e) => {
    const th = e.target.closest('th[data-col]');
    if (th && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); sortBy(Number(th.dataset.col)); }
  });
  tbody.addEventListener('click', (e) => {
    const td = e.target.closest('td.openable');
    if (!td || e.target.closest('a')) return;
    if (opts.edit && !td.classList.contains('blob')) return;
    const tr = td.parentElement;
    const c = Array.prototype.indexOf.call(tr.children, td) - 1;
    const r = Number(tr.dataset.row);
    openCellViewer(String(headers[c]), startIndex + r + 1, rows[r][c]);
  });
  if (opts.edit) {
    const cellOf = (td) => {
      const tr = td.parentElement;
      return { r: Number(tr.dataset.row), c: Array.prototype.indexOf.call(tr.children, td) - 1 };
    };
    tbody.addEventListener('dblclick', (e) => {
      const td = e.target.closest('td');
      if (!td || td.classList.contains('rownum') || !td.parentElement.dataset.row || e.target.closest('.cell-editor')) return;
      const { r, c } = cellOf(td);
      opts.edit.activate(r, c, td);
    });
    tbody.addEventListener('keydown', (e) => {
      const td = e.target;
      if (!(td instanceof HTMLTableCellElement) || td.classList.contains('rownum') || !td.parentElement.dataset.row) return;
      const { r, c } = cellOf(td);
      if (e.key === 'Enter') { e.preventDefault(); opts.edit.activate(r, c, td); }
      else if (e.key === 'Delete') { e.preventDefault(); opts.edit.remove(r); }
    });
  }
  paint(true);
  // Attached later (the caller appends it): paint again once the real height is known.
  requestAnimationFrame(() => paint(true));
  return wrap;
}
