// The whole store's time travel (docs/time-travel.md): a time slider over the store's history,
// the snapshot at the chosen time (GET /kv/snapshot?timestamp=T), the diff between two times
// (GET /kv/diff?from=&to=) and the table rollback to the chosen time (POST /kv/rollback: the
// preview first, then a confirm dialog, then confirm=yes). Its state is in the hash, after the
// router's own: `#db=D&view=travel&at=MS[&to=MS]` (Unix milliseconds), so a time is a link.
// The span: the first and last op of each key the routes name (the snapshot now and the diff
// from 0 to now), from each key's history (its op #1, its newest op).
import { api } from './api.mjs';
import { errorState } from './dbs.mjs';
import { $, clear, confirmDialog, emptyState, h, loading, toast } from './dom.mjs';
import { kvPath } from './kv.mjs';
import { hashFor, invalidateViews, registerView, state } from './router.mjs';
import { errMessage, fmtTime, plural, preview } from './util.mjs';

const SPAN_KEYS = 200;      // keys whose history bounds the slider
const SNAPSHOT_LIMIT = 1000;

const tt = { span: null, spanFor: '', token: 0 };

/** A time parameter exact to the millisecond: never a whole number (that would mean the end of the second). */
export function tParam(ms) { return ((ms + 0.5) / 1000).toFixed(4); }

/** `<input type=datetime-local>` value (local time, with milliseconds) of a Unix ms time, and back. */
function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().replace('Z', '');
}
function fromLocalInput(v) { const ms = new Date(v).getTime(); return Number.isFinite(ms) ? ms : null; }

function readParams() {
  const p = new URLSearchParams(location.hash.replace(/^#/, ''));
  const num = (k) => (p.has(k) && /^\d+$/.test(p.get(k)) ? Number(p.get(k)) : null);
  return { at: num('at'), to: num('to') };
}

function writeParams(at, to) {
  const p = new URLSearchParams(hashFor({ db: state.db, view: 'travel' }).slice(1));
  if (at !== null) p.set('at', String(at));
  if (to !== null) p.set('to', String(to));
  history.replaceState(null, '', '#' + p.toString());
}

/** The store's history span { first, last } in ms, or null when no key has history. */
async function loadSpan() {
  const now = tParam(Date.now() + 1000);
  const [snap, diff] = await Promise.all([
    api('GET', '/kv/snapshot', { query: { db: state.db, timestamp: now, limit: SNAPSHOT_LIMIT } }),
    api('GET', '/kv/diff', { query: { db: state.db, from: 0, to: now } }),
  ]);
  const keys = [...new Set([...snap.items.map((i) => i.key), ...diff.changes.map((c) => c.key)])].slice(0, SPAN_KEYS);
  let first = Infinity;
  let last = -Infinity;
  for (const i of snap.items) last = Math.max(last, i.updated_at);
  await Promise.all(keys.map(async (key) => {
    const [newest, oldest] = await Promise.all([
      api('GET', kvPath(key, '/history'), { query: { db: state.db, limit: 1 } }),
      api('GET', kvPath(key, '/history'), { query: { db: state.db, limit: 1, before: 2 } }),
    ]);
    for (const e of newest.operations.concat(oldest.operations)) {
      first = Math.min(first, e.timestamp_ms);
      last = Math.max(last, e.timestamp_ms);
    }
  }));
  return Number.isFinite(first) ? { first, last, keys: keys.length } : null;
}

async function enterTravel() {
  const body = $('#travel-body');
  $('#travel-back').href = hashFor({ db: state.db, view: 'kv' });
  const token = ++tt.token;
  if (tt.spanFor !== state.db || !tt.span) {
    clear(body).append(loading('Reading the store\'s history…'));
    try {
      tt.span = await loadSpan();
      tt.spanFor = state.db;
    } catch (e) {
      if (token === tt.token) clear(body).append(errorState(e, () => { tt.spanFor = ''; enterTravel(); }));
      return;
    }
    if (token !== tt.token) return;
  }
  const span = tt.span;
  if (!span) { clear(body).append(emptyState('No history', 'Key-value writes are recorded here; this store has none yet.')); return; }
  const p = readParams();
  const clamp = (ms) => Math.min(span.last, Math.max(span.first, ms));
  const at = clamp(p.at === null ? span.last : p.at);
  const to = p.to === null ? span.last : clamp(p.to);
  render(body, span, at, to);
}

function render(body, span, at, to) {
  const slider = h('input', { type: 'range', id: 'tt-slider', min: String(span.first), max: String(span.last), step: '1', value: String(at), 'aria-label': 'Time' });
  const atInput = h('input', { type: 'datetime-local', id: 'tt-at', step: '0.001', value: toLocalInput(at) });
  const toInput = h('input', { type: 'datetime-local', id: 'tt-to', step: '0.001', value: toLocalInput(to) });
  const cur = () => ({ at: Number(slider.value), to: fromLocalInput(toInput.value) });
  const snapBox = h('div', { id: 'tt-snapshot' });
  const diffBox = h('div', { id: 'tt-diff' });
  const previewBox = h('div', { id: 'tt-preview' });
  let timer = 0;
  const changed = (ms) => {
    writeParams(ms, cur().to);
    clearTimeout(timer);
    timer = setTimeout(() => loadSnapshot(snapBox, ms), 150);
    clear(previewBox);
  };
  slider.addEventListener('input', () => { atInput.value = toLocalInput(Number(slider.value)); changed(Number(slider.value)); });
  atInput.addEventListener('change', () => {
    const ms = fromLocalInput(atInput.value);
    if (ms === null) return;
    slider.value = String(ms);
    changed(ms);
  });
  toInput.addEventListener('change', () => writeParams(cur().at, cur().to));
  clear(body).append(
    h('p', { class: 'muted small', id: 'tt-span' }, 'History from ', h('time', null, fmtTime(span.first)), ' to ', h('time', null, fmtTime(span.last)),
      ' (' + plural(span.keys, 'key') + ')'),
    h('div', { class: 'tt-controls' },
      h('label', { for: 'tt-slider', class: 'sr-only' }, 'Time'), slider,
      h('label', { class: 'tt-field' }, 'At ', atInput)),
    h('section', null, h('h4', { class: 'section-title' }, 'Snapshot at this time'), snapBox),
    h('section', null, h('h4', { class: 'section-title' }, 'Changes from this time to'),
      h('div', { class: 'btn-row tt-controls' }, h('label', { class: 'tt-field' }, 'To ', toInput),
        h('button', { type: 'button', class: 'btn', id: 'tt-diff-btn', onclick: () => { const c = cur(); if (c.to !== null) loadDiff(diffBox, c.at, c.to); } }, 'Show changes')),
      diffBox),
    h('section', null, h('h4', { class: 'section-title' }, 'Roll back'),
      h('p', { class: 'muted small' }, 'Set every key to its state at the chosen time. You see the changes first.'),
      h('button', { type: 'button', class: 'btn danger', id: 'tt-rollback', onclick: () => previewRollback(previewBox, snapBox, Number(slider.value)) }, 'Preview rollback to this time…'),
      previewBox));
  loadSnapshot(snapBox, at);
}

function valueCell(v, ct) {
  return h('td', { class: 'tt-value' }, h('code', null, v === null || v === undefined ? 'null' : preview(v, 80)), ct ? h('span', { class: 'muted small' }, ' ' + ct) : null);
}

async function loadSnapshot(box, ms) {
  const token = ++tt.token;
  clear(box).append(loading('Loading snapshot…'));
  let data;
  try {
    data = await api('GET', '/kv/snapshot', { query: { db: state.db, timestamp: tParam(ms), limit: SNAPSHOT_LIMIT } });
  } catch (e) {
    if (token === tt.token) clear(box).append(errorState(e, () => loadSnapshot(box, ms)));
    return;
  }
  if (token !== tt.token) return;
  clear(box).append(h('p', { class: 'small', id: 'tt-snapshot-count', dataset: { at: String(ms) } }, plural(data.count, 'key') + ' at ' + fmtTime(ms)
    + (data.has_gaps ? ' — unknown (history=false writes): ' + data.gap_keys.join(', ') : '') + (data.candidate_truncated ? ' (first ' + SNAPSHOT_LIMIT + ')' : '')));
  if (!data.items.length) { box.append(emptyState('Empty', 'No key existed at this time.')); return; }
  box.append(h('div', { class: 'table-wrap' }, h('table', { class: 'grid tt-table' },
    h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'), h('th', null, 'Op'))),
    h('tbody', null, ...data.items.map((i) => h('tr', { dataset: { key: i.key } },
      h('td', null, h('code', null, i.key)), valueCell(i.value, i.content_type), h('td', { class: 'num' }, '#' + i.op_number)))))));
}

async function loadDiff(box, a, b) {
  const [from, to] = a <= b ? [a, b] : [b, a];
  clear(box).append(loading('Comparing…'));
  let data;
  try {
    data = await api('GET', '/kv/diff', { query: { db: state.db, from: tParam(from), to: tParam(to) } });
  } catch (e) {
    clear(box).append(errorState(e, () => loadDiff(box, a, b)));
    return;
  }
  const s = data.stats;
  clear(box).append(h('p', { class: 'small', id: 'tt-diff-stats' }, s.created + ' created, ' + s.modified + ' modified, ' + s.deleted + ' deleted'
    + ' (' + fmtTime(from) + ' → ' + fmtTime(to) + ')' + (data.has_gaps ? '; unknown: ' + data.gap_keys.join(', ') : '')));
  if (!data.changes.length) return;
  box.append(h('div', { class: 'table-wrap' }, h('table', { class: 'grid tt-table' },
    h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Change'), h('th', null, 'Before'), h('th', null, 'After'))),
    h('tbody', null, ...data.changes.map((c) => h('tr', { class: 'change-' + c.change, dataset: { key: c.key, change: c.change } },
      h('td', null, h('code', null, c.key)), h('td', null, h('span', { class: 'badge' }, c.change)),
      c.old_content_type === null ? h('td', { class: 'muted' }, '—') : valueCell(c.old_value, c.old_content_type),
      c.new_content_type === null ? h('td', { class: 'muted' }, '—') : valueCell(c.new_value, c.new_content_type)))))));
}

async function previewRollback(box, snapBox, ms) {
  clear(box).append(loading('Preview…'));
  let data;
  try {
    data = await api('POST', '/kv/rollback', { query: { db: state.db, to_timestamp: tParam(ms), dry_run: 'true' }, body: {} });
  } catch (e) {
    clear(box).append(errorState(e, () => previewRollback(box, snapBox, ms)));
    return;
  }
  const s = data.stats;
  clear(box).append(h('p', { class: 'small', id: 'tt-preview-stats' }, plural(data.affected, 'key') + ' would change: ' + s.created + ' restored, ' + s.modified + ' modified, ' + s.deleted + ' deleted'
    + (data.has_gaps ? '; unknown (cannot be rolled back): ' + data.gap_keys.join(', ') : '')));
  if (!data.changes.length) return;
  box.append(h('div', { class: 'table-wrap' }, h('table', { class: 'grid tt-table' },
    h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Does'), h('th', null, 'Now'), h('th', null, 'Becomes'))),
    h('tbody', null, ...data.changes.map((c) => h('tr', { class: 'change-' + c.change, dataset: { key: c.key, change: c.change } },
      h('td', null, h('code', null, c.key)), h('td', null, h('span', { class: 'badge' }, c.change)),
      c.current_content_type === null ? h('td', { class: 'muted' }, '—') : valueCell(c.current_value, c.current_content_type),
      c.target_content_type === null ? h('td', { class: 'muted' }, '—') : valueCell(c.target_value, c.target_content_type)))))),
  h('button', { type: 'button', class: 'btn danger', id: 'tt-apply', onclick: () => applyRollback(box, snapBox, ms, data.affected) }, 'Roll back ' + plural(data.affected, 'key') + '…'));
}

async function applyRollback(box, snapBox, ms, affected) {
  const ok = await confirmDialog({ title: 'Roll back the store?',
    body: h('p', null, 'Set ', h('strong', null, plural(affected, 'key')), ' to their state at ', h('strong', null, fmtTime(ms)), '? Each change is recorded as a rollback operation.'),
    okLabel: 'Roll back', danger: true });
  if (!ok) return;
  try {
    const r = await api('POST', '/kv/rollback', { query: { db: state.db, to_timestamp: tParam(ms), confirm: 'yes' }, body: {} });
    toast('Rolled back ' + plural(r.applied_count, 'key') + ' to ' + fmtTime(ms), 'ok');
  } catch (e) {
    toast('Rollback failed: ' + errMessage(e), 'error');
    return;
  }
  invalidateViews();
  tt.spanFor = '';
  await enterTravel();
}

export function initTravel() {
  $('#kv-travel').addEventListener('click', () => { location.hash = hashFor({ db: state.db, view: 'travel' }); });
  registerView('travel', {
    enter: enterTravel,
    dbChanged() { tt.span = null; tt.spanFor = ''; },
    invalidate() { tt.spanFor = ''; },
  });
}
