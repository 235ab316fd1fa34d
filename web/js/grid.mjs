// The result grid: a virtual table of any size (only the rows in view are in the DOM), one line
// per cell, sticky header, click-to-sort, resizable columns, per-column filters and "Go to row"
// (for a whole result), and the cell viewer for long text, JSON and BLOBs.
import { clear, h, infoDialog } from './dom.mjs';
import { b64ByteLength, bytesOfBase64, decodeBase64Text, hexDump, plural, prettyJson, stringifyJsonExact, tryParseJson } from './util.mjs';

const TRUNC = 120;            // characters of a cell shown in the grid (the viewer shows all)

// One line per cell; only the rows in view are in the DOM (a spacer row above and below);
// sticky header; click a header to sort; long text, JSON and BLOB cells open in a viewer.
function cellText(v) {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'object' && typeof v.base64 === 'string') return '<blob ' + b64ByteLength(v.base64) + ' bytes>';
  if (typeof v === 'string') return v;
  return typeof v === 'object' ? stringifyJsonExact(v) : String(v);
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
      h('pre', { class: 'code cell-value' }, json ? prettyJson(s) : s));  // numbers beyond 2^53 kept as written
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
 * Enter, remove(r) on Delete; its cells take focus, and a click opens the viewer only for a BLOB),
 * filters (a grid holding a whole result: a filter box per column, case-insensitive substring of
 * the cell as shown, and "Go to row"). Every grid's columns can be resized by dragging the right
 * edge of their header.
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
  let numW = Math.max(40, String(startIndex + n).length * 8 + 22);
  const colgroup = h('colgroup', null, h('col', { style: 'width:' + numW + 'px' }), widths.map((w) => h('col', { style: 'width:' + w + 'px' })));
  const table = h('table', { class: 'grid vgrid', 'aria-rowcount': String(n + 1) });
  table.style.width = (numW + widths.reduce((a, b) => a + b, 0)) + 'px';
  const thr = h('tr', null, h('th', { class: 'rownum', scope: 'col' }, h('span', { class: 'sr-only' }, 'Row')));
  // order: the row indices shown (filtered, then sorted), or null for all rows as they came.
  let order = null, sortCol = -1, sortDir = 0;
  const ths = headers.map((name, c) => h('th', { scope: 'col', class: (numericCol[c] ? 'num ' : '') + 'sortable', tabindex: '0', title: 'Sort by ' + name, dataset: { col: String(c) } },
    String(name), h('span', { class: 'col-resize', 'aria-hidden': 'true', title: 'Drag to resize', dataset: { resize: String(c) } })));
  thr.append(...ths);
  const thead = h('thead', null, thr);
  const filterInputs = opts.filters && n > 1 ? headers.map((name, c) => h('input', { type: 'search', class: 'col-filter', dataset: { filter: String(c) }, placeholder: 'filter', 'aria-label': 'Filter ' + name, spellcheck: 'false', autocapitalize: 'off' })) : null;
  const filterRow = filterInputs ? h('tr', { class: 'filter-row' }, h('th', { class: 'rownum' }), filterInputs.map((input) => h('th', null, input))) : null;
  if (filterRow) thead.append(filterRow);
  const tbody = h('tbody');
  table.append(colgroup, thead, tbody);
  const scroller = h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': opts.label || 'Result rows' }, table);
  const matchInfo = h('span', { class: 'muted small grid-match', 'aria-live': 'polite' });
  const jumpInput = opts.filters && n > 1 ? h('input', { type: 'number', class: 'grid-jump', min: '1', max: String(n), step: '1', inputmode: 'numeric', placeholder: 'row', 'aria-label': 'Go to row' }) : null;
  if (jumpInput) wrap.append(h('div', { class: 'grid-tools' }, matchInfo, h('label', { class: 'muted small' }, 'Go to row ', jumpInput)));
  wrap.append(scroller);
  if (!n) {
    tbody.append(h('tr', { class: 'empty-row' }, h('td', { colspan: String(headers.length + 1) }, 'No rows')));
    return wrap;
  }

  let rowH = GRID_ROW_H, measured = false, first = -1, last = -1;
  const topPad = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: String(headers.length + 1) }));
  const bottomPad = h('tr', { class: 'spacer', 'aria-hidden': 'true' }, h('td', { colspan: String(headers.length + 1) }));
  scroller.style.maxHeight = GRID_HEIGHT + 'px';
  const shownCount = () => (order ? order.length : n);
  const paint = (force) => {
    const view = scroller.clientHeight || GRID_HEIGHT;
    const total = shownCount();
    const from = Math.max(0, Math.floor(scroller.scrollTop / rowH) - 10);
    const to = Math.min(total, Math.ceil((scroller.scrollTop + view) / rowH) + 10);
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
    bottomPad.firstChild.style.height = (total - to) * rowH + 'px';
    topPad.hidden = from === 0;
    bottomPad.hidden = to === total;
    clear(tbody).append(frag);
    if (!measured && topPad.nextSibling && topPad.nextSibling.offsetHeight) {
      measured = true;
      const hgt = topPad.nextSibling.offsetHeight;
      if (Math.abs(hgt - rowH) > 0.5) { rowH = hgt; paint(true); }
    }
  };
  let queued = false;
  scroller.addEventListener('scroll', () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; paint(); }); } }, { passive: true });
  // The rows shown: those matching every column filter, in the sort order.
  let filters = [];  // [column, lower-case text]
  const refresh = () => {
    let shown = null;
    if (filters.length) {
      shown = [];
      for (let r = 0; r < n; r++) {
        if (filters.every(([c, text]) => cellText(rows[r][c]).toLowerCase().includes(text))) shown.push(r);
      }
    }
    if (sortDir) {
      const c = sortCol;
      shown = shown || Array.from({ length: n }, (_, i) => i);
      shown.sort((a, b) => compareValues(rows[a][c], rows[b][c]) * sortDir || a - b);
    }
    order = shown;
    matchInfo.textContent = filters.length ? fmtN(shownCount()) + ' of ' + fmtN(n) + ' rows match the column filters' : '';
    table.setAttribute('aria-rowcount', String(shownCount() + 1));
    if (scroller.scrollTop > shownCount() * rowH) scroller.scrollTop = 0;
    paint(true);
  };
  const sortBy = (c) => {
    sortDir = sortCol === c ? (sortDir === 1 ? -1 : sortDir === -1 ? 0 : 1) : 1;
    sortCol = sortDir ? c : -1;
    ths.forEach((th, i) => { if (i === sortCol) th.setAttribute('aria-sort', sortDir === 1 ? 'ascending' : 'descending'); else th.removeAttribute('aria-sort'); });
    refresh();
  };
  if (filterInputs) {
    let timer = 0;
    const apply = () => {
      filters = filterInputs.map((input, c) => [c, input.value.trim().toLowerCase()]).filter(([, text]) => text !== '');
      refresh();
    };
    filterRow.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(apply, 120); });
    filterRow.addEventListener('keydown', (e) => { if (e.key === 'Enter') { clearTimeout(timer); apply(); } });
  }
  if (jumpInput) {
    // Row numbers are the result's (as in the first column): the row is scrolled to and marked.
    jumpInput.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      const want = Number(jumpInput.value) - 1 - startIndex;
      if (!Number.isInteger(want) || want < 0 || want >= n) { matchInfo.textContent = 'No row ' + jumpInput.value + ' in this result'; return; }
      const at = order ? order.indexOf(want) : want;
      if (at < 0) { matchInfo.textContent = 'Row ' + (want + 1 + startIndex) + ' is hidden by the column filters'; return; }
      scroller.scrollTop = Math.max(0, at * rowH - rowH * 2);
      paint(true);
      const tr = tbody.querySelector('tr[data-row="' + want + '"]');
      if (tr) { tr.classList.add('jumped'); setTimeout(() => tr.classList.remove('jumped'), 1500); }
    });
  }
  // Column resizing: drag a header's right edge (pointer events; the click that ends it sorts nothing).
  let resizedAt = 0;
  thr.addEventListener('pointerdown', (e) => {
    const handle = e.target.closest('[data-resize]');
    if (!handle) return;
    e.preventDefault();
    const c = Number(handle.dataset.resize);
    const col = colgroup.children[c + 1];
    // From the widths as rendered (a table narrower than its box was stretched to fill it), so
    // the edge follows the pointer.
    ths.forEach((cell, i) => { widths[i] = cell.getBoundingClientRect().width; colgroup.children[i + 1].style.width = widths[i] + 'px'; });
    numW = thr.firstChild.getBoundingClientRect().width;
    colgroup.firstChild.style.width = numW + 'px';
    const startX = e.clientX, startW = widths[c];
    handle.setPointerCapture(e.pointerId);
    const move = (ev) => {
      widths[c] = Math.max(40, Math.round(startW + ev.clientX - startX));
      col.style.width = widths[c] + 'px';
      table.style.width = (numW + widths.reduce((a, b) => a + b, 0)) + 'px';
    };
    const up = () => { handle.removeEventListener('pointermove', move); resizedAt = Date.now(); };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up, { once: true });
    handle.addEventListener('pointercancel', up, { once: true });
  });
  thr.addEventListener('click', (e) => {
    if (e.target.closest('[data-resize]') || Date.now() - resizedAt < 300) return;
    const th = e.target.closest('th[data-col]');
    if (th) sortBy(Number(th.dataset.col));
  });
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
  // Attached later (the caller appends it): paint again once the real height is known; the
  // filter row sticks below the header row.
  requestAnimationFrame(() => {
    if (filterRow) for (const th of filterRow.children) th.style.top = thr.offsetHeight + 'px';
    paint(true);
  });
  return wrap;
}
