// The key-value view: the key list (one GET /kv, filtered in the page by glob or substring,
// flat or as a tree by ":", virtual), bulk delete and TTL of the filtered keys, a key's value and expiry
// (Save never rewrites what was not edited, docs/ui.md), binary values, new/delete. The change
// feed (kv-watch.mjs) keeps the list live; the timeline is kv-timeline.mjs; incr/decr/push/pop
// are kv-atomic.mjs.
import { api } from './api.mjs';
import { errorState } from './dbs.mjs';
import { $, clear, confirmDialog, emptyState, h, loading, setMsg, toast } from './dom.mjs';
import { atomicPanel } from './kv-atomic.mjs';
import { loadKvHistory } from './kv-timeline.mjs';
import { feedHead, watchKv } from './kv-watch.mjs';
import { navigate, registerView, state } from './router.mjs';
import { baseType, errMessage, fmtBytes, fmtDuration, globRegExp, hexDump, isGlob, isJsonType, plural, prettyJson, preview, tryParseJson } from './util.mjs';

// The list holds up to KV_LIMIT keys (GET /kv?limit=10000, one request) and is filtered in the
// page: by glob over the whole key when the filter has `*`, `?` or `[`, else by substring; only the rows in view are in the DOM. `kv.current` is the opened key: its
// stored bytes (`buf`), content type and expiry, so that Save can tell what was edited.
// `tree`: the list shows the keys under `prefix` grouped by their next ":" segment (the toggle
// is remembered in localStorage; the prefix is per page and database).
export const kv = { items: [], loadedFor: null, filter: '', tree: false, prefix: '', bulkBusy: false, total: 0, more: false, listToken: 0, keyToken: 0, watchToken: 0, current: null, blobUrl: '', ops: [], picks: [] };

const KV_LIMIT = 10000;

const KV_ROW_H = 52; // px, one key row of the virtual list (see .kv-row in style.css)

export function kvPath(key, suffix) { return '/kv/' + encodeURIComponent(key) + (suffix || ''); }

/** The tree prefix a key is a leaf of: up to and including its last ":" ('' for none). */
function parentPrefix(key) { return key.slice(0, key.lastIndexOf(':') + 1); }

async function enterKv(reload, keyChanged) {
  $('#kv-prefix').value = kv.filter;
  // A key opened by a link (or from elsewhere) shows in the tree among its siblings.
  if (kv.tree && keyChanged && state.key !== null && state.key !== undefined && parentPrefix(state.key) !== kv.prefix) kv.prefix = parentPrefix(state.key);
  if (reload || kv.loadedFor !== state.db) await loadKvList();
  else renderKvList();
  if (reload || keyChanged || !$('#kv-detail').firstChild) {
    if (state.key !== null && state.key !== undefined) loadKey(state.key);
    else renderKvPlaceholder();
  }
}

function renderKvPlaceholder() {
  kv.current = null;
  clear($('#kv-detail')).append(emptyState('No key selected', 'Pick a key on the left to view, edit and time-travel it, or create a new one.',
    h('button', { type: 'button', class: 'btn small', onclick: newKeyForm }, 'New key')));
}

// GET /kv answers {"items": [{key, value, truncated, content_type, size, updated_at, expires_at}], "total", "has_more"}.
export async function loadKvList() {
  const list = $('#kv-list');
  const token = ++kv.listToken;
  const db = state.db;
  clear(list).append(loading('Loading keys…'));
  let data;
  let head = null;
  try {
    // The feed's position first, then the list: a change in between is applied twice, none lost.
    head = await feedHead(db);
    data = await api('GET', '/kv', { query: { db, limit: KV_LIMIT } });
  } catch (e) {
    if (token !== kv.listToken) return;
    kv.loadedFor = null;
    clear(list).append(errorState(e, () => loadKvList()));
    return;
  }
  if (token !== kv.listToken || db !== state.db) return;
  kv.items = data.items;
  kv.total = data.total;
  kv.more = data.has_more === true;
  kv.loadedFor = db;
  renderKvList();
  if (head !== null) watchKv(db, head);
}

/** Seconds left before `expires_at` (Unix ms), or null when the key has no expiry. */
function secondsLeft(expiresAt) {
  if (expiresAt === null || expiresAt === undefined) return null;
  return (expiresAt - Date.now()) / 1000;
}

function ttlText(expiresAt) {
  const s = secondsLeft(expiresAt);
  if (s === null) return '';
  return s <= 0 ? 'expired' : 'expires in ' + fmtDuration(s);
}

/** The opened key's TTL badge (expiresAt undefined: the list row giving it was not found). */
function ttlBadge(expiresAt) {
  return expiresAt === undefined ? 'expiry unknown' : ttlText(expiresAt) || 'no expiry';
}

/** The filter's kind ('glob' or 'substring') and test, or null without a filter. */
function kvFilterTest() {
  const f = kv.filter;
  if (!f) return null;
  if (isGlob(f)) { const re = globRegExp(f); return { kind: 'glob', test: (k) => re.test(k) }; }
  return { kind: 'substring', test: (k) => k.includes(f) };
}

function kvMatches() {
  const m = kvFilterTest();
  return m ? kv.items.filter((it) => m.test(it.key)) : kv.items;
}

function kvRow(it, label) {
  const ttl = ttlText(it.expires_at);
  return h('button', {
    type: 'button', class: 'obj-btn kv-key kv-row' + (state.key === it.key ? ' active' : ''), 'aria-current': state.key === it.key ? 'true' : null,
    dataset: { key: it.key }, title: it.key, onclick: () => navigate({ view: 'kv', key: it.key }),
  }, h('span', { class: 'obj-name kv-name' }, label === undefined ? it.key : label),
    h('span', { class: 'obj-meta kv-cols' },
      h('span', { class: 'kv-type' }, it.content_type),
      h('span', { class: 'kv-size' }, fmtBytes(it.size)),
      h('span', { class: 'kv-ttl ttl-badge', dataset: { expires: it.expires_at === null ? '' : String(it.expires_at) } }, ttl)));
}

/** A tree group: the keys under `prefix` (which ends in ":"), `count` of them; a click goes in. */
function kvGroupRow(g) {
  return h('button', { type: 'button', class: 'obj-btn kv-group kv-row', dataset: { prefix: g.prefix }, title: g.prefix + '…',
    onclick: () => setTreePrefix(g.prefix) },
  h('span', { class: 'obj-name kv-name' }, h('span', { class: 'kv-folder', 'aria-hidden': 'true' }, '\u25B8 '), g.label),
  h('span', { class: 'obj-meta kv-cols' }, h('span', { class: 'kv-group-count' }, plural(g.count, 'key').replace(String(g.count), g.count.toLocaleString()))));
}

/**
 * The tree's rows under `prefix`: keys whose rest (after the prefix) has no ":" as leaves, the
 * others grouped by their next segment up to and including its ":", with a key count; in key
 * order (a group where its first key sorts). `under` is the number of keys under the prefix.
 */
export function kvTreeRows(items, prefix) {
  const rows = [];
  const groups = new Map();
  let under = 0;
  for (const it of items) {
    if (!it.key.startsWith(prefix)) continue;
    under++;
    const rest = it.key.slice(prefix.length);
    const cut = rest.indexOf(':');
    if (cut < 0) { rows.push({ item: it, label: rest }); continue; }
    const label = rest.slice(0, cut + 1);
    let g = groups.get(label);
    if (!g) { g = { prefix: prefix + label, label, count: 0 }; groups.set(label, g); rows.push(g); }
    g.count++;
  }
  return { rows, under };
}

const TREE_PREF = 'hoody-sqlite.kv-tree';

function readTreePref() {
  try { return localStorage.getItem(TREE_PREF) === '1'; } catch (e) { return false; }
}

function setTree(on) {
  kv.tree = on;
  try { localStorage.setItem(TREE_PREF, on ? '1' : '0'); } catch (e) { /* storage disabled: this tab only */ }
  renderKvList();
}

function setTreePrefix(prefix) {
  kv.prefix = prefix;
  renderKvList();
  const first = $('#kv-list .kv-row');
  if (first) first.focus();
}

/** The tree's breadcrumb: "All keys", then one link per ":"-segment of the prefix. */
function kvCrumbs(under) {
  const parts = kv.prefix.split(':').slice(0, -1);
  const nav = h('nav', { class: 'kv-crumbs', id: 'kv-crumbs', 'aria-label': 'Key prefix' });
  const crumb = (label, prefix, last) => h('button', { type: 'button', class: 'btn small ghost kv-crumb', dataset: { prefix }, 'aria-current': last ? 'location' : null, onclick: () => setTreePrefix(prefix) }, label);
  nav.append(crumb('All keys', '', !parts.length));
  let acc = '';
  parts.forEach((p, i) => { acc += p + ':'; nav.append(h('span', { class: 'muted', 'aria-hidden': 'true' }, '\u203A'), crumb(p + ':', acc, i === parts.length - 1)); });
  nav.append(h('span', { class: 'muted small kv-under', id: 'kv-under' }, plural(under, 'key').replace(String(under), under.toLocaleString()) + (kv.prefix ? ' here' : '')));
  return nav;
}

/** Renders the (filtered) key list, flat or as a tree by ":"; only the rows in view are in the DOM. */
export function renderKvList() {
  const list = clear($('#kv-list'));
  const items = kvMatches();
  const shown = items.length.toLocaleString();
  const glob = kv.filter && isGlob(kv.filter);
  const of = kv.filter ? shown + ' of ' + kv.items.length.toLocaleString() + ' keys match' + (glob ? ' (glob, whole key)' : ' (substring)') : plural(items.length, 'key').replace(String(items.length), shown);
  list.append(h('p', { class: 'muted small kv-count', id: 'kv-count' }, of,
    kv.more ? ' (the first ' + kv.items.length.toLocaleString() + ' of ' + Number(kv.total).toLocaleString() + ' keys are loaded and filtered)' : ''));
  $('#kv-tree').checked = kv.tree;
  // Bulk delete: the keys the list shows (the filter's matches, under the tree's prefix).
  const scope = kv.tree && kv.prefix ? items.filter((it) => it.key.startsWith(kv.prefix)) : items;
  if ((kv.filter || (kv.tree && kv.prefix)) && scope.length) {
    const count = plural(scope.length, 'key').replace(String(scope.length), scope.length.toLocaleString());
    list.append(h('div', { class: 'kv-bulk btn-row' },
      h('button', { type: 'button', class: 'btn small danger', id: 'kv-bulk-delete', disabled: kv.bulkBusy,
        onclick: () => bulkDelete(scope.map((it) => it.key)) }, 'Delete ' + count + '…'),
      h('button', { type: 'button', class: 'btn small', id: 'kv-bulk-ttl', disabled: kv.bulkBusy,
        onclick: () => bulkTtl(scope.map((it) => it.key)) }, 'Set TTL of ' + count + '…')));
  }
  let rows;
  if (kv.tree) {
    const t = kvTreeRows(items, kv.prefix);
    rows = t.rows;
    list.append(kvCrumbs(t.under));
    if (!rows.length && items.length) {
      list.append(emptyState('No keys here', 'No ' + (kv.filter ? 'matching ' : '') + 'key starts with "' + kv.prefix + '".'));
      return;
    }
  } else rows = items.map((item) => ({ item }));
  if (!items.length) {
    list.append(emptyState(kv.filter ? 'No matching keys' : 'No keys yet', kv.filter ? (glob ? 'No key matches the glob "' + kv.filter + '".' : 'No key contains "' + kv.filter + '".') : 'Create a key with "New key".'));
    return;
  }
  const inner = h('div', { class: 'vlist-inner' });
  inner.style.height = rows.length * KV_ROW_H + 'px';
  const scroller = h('div', { class: 'vlist', role: 'list', 'aria-label': kv.tree ? 'Keys under ' + (kv.prefix || 'the root') : 'Keys' }, inner);
  scroller.style.height = Math.min(rows.length * KV_ROW_H, 560) + 'px';
  list.append(scroller);
  let first = -1, last = -1;
  const paint = () => {
    const top = scroller.scrollTop;
    const height = scroller.clientHeight || 560;
    const from = Math.max(0, Math.floor(top / KV_ROW_H) - 8);
    const to = Math.min(rows.length, Math.ceil((top + height) / KV_ROW_H) + 8);
    if (from === first && to === last) return;
    first = from; last = to;
    const frag = document.createDocumentFragment();
    for (let i = from; i < to; i++) {
      const r = rows[i];
      const row = h('div', { class: 'vlist-row', role: 'listitem' }, r.item ? kvRow(r.item, r.label) : kvGroupRow(r));
      row.style.top = i * KV_ROW_H + 'px';
      frag.append(row);
    }
    clear(inner).append(frag);
  };
  let queued = false;
  scroller.addEventListener('scroll', () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; paint(); }); } }, { passive: true });
  paint();
  const active = rows.findIndex((r) => r.item && r.item.key === state.key);
  if (active >= 0 && active * KV_ROW_H > scroller.clientHeight) { scroller.scrollTop = active * KV_ROW_H - KV_ROW_H * 2; paint(); }
}

/** Live TTLs: the list's visible TTL cells and the opened key's badge, once a second. */
function tickTtls() {
  if (state.view !== 'kv') return;
  for (const el of document.querySelectorAll('#kv-list .kv-ttl[data-expires]')) {
    if (el.dataset.expires) el.textContent = ttlText(Number(el.dataset.expires));
  }
  const badge = $('#kv-ttl-display');
  if (badge && kv.current && badge.dataset.key === kv.current.key) badge.textContent = ttlBadge(kv.current.expiresAt);
}

function newKeyForm() {
  if (state.key !== null && state.key !== undefined) {
    // Leave the open key first; the form is drawn after route() has handled that hash change
    // (listeners run in the order added), else route() would replace it with the placeholder.
    window.addEventListener('hashchange', newKeyForm, { once: true });
    navigate({ view: 'kv', key: null });
    return;
  }
  kv.current = null;
  const detail = clear($('#kv-detail'));
  const keyInput = h('input', { id: 'kv-new-key', class: 'code-input', spellcheck: 'false', autocapitalize: 'off', placeholder: 'e.g. user:42:settings', required: true });
  const valueInput = h('textarea', { id: 'kv-value', class: 'code-input', rows: '10', spellcheck: 'false', placeholder: '{"theme": "dark"}' });
  const ttlInput = h('input', { id: 'kv-ttl', type: 'number', min: '0', step: '1', inputmode: 'numeric', placeholder: 'none' });
  const msg = h('p', { class: 'form-msg', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'kv-form', autocomplete: 'off' },
    h('h3', { class: 'detail-title' }, 'New key'),
    h('label', { for: 'kv-new-key', class: 'field-label' }, 'Key'), keyInput,
    h('label', { for: 'kv-value', class: 'field-label' }, 'Value ', h('span', { class: 'muted' }, '(valid JSON is stored as application/json, anything else as text)')), valueInput,
    h('div', { class: 'inline-fields' }, h('label', { for: 'kv-ttl', class: 'field-label' }, 'TTL (seconds)'), ttlInput),
    h('div', { class: 'btn-row' }, h('button', { type: 'submit', class: 'btn primary' }, 'Create key'), h('button', { type: 'button', class: 'btn ghost', onclick: renderKvPlaceholder }, 'Cancel')),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = keyInput.value;
    if (!key.trim()) { setMsg(msg, 'Enter a key.', 'err'); keyInput.focus(); return; }
    const ttl = parseTtl(ttlInput.value);
    if (ttl === undefined) { setMsg(msg, 'TTL must be a whole number of seconds.', 'err'); return; }
    const text = valueInput.value;
    const ct = tryParseJson(text).ok && text.trim() !== '' ? 'application/json' : 'text/plain';
    // A PUT replaces an existing key (value and expiry): ask first.
    let existing;
    try { existing = await fetchKeyRow(state.db, key); } catch (err) { setMsg(msg, 'Create failed: ' + errMessage(err), 'err'); return; }
    if (existing && !(await confirmDialog({ title: 'Key exists', danger: true, okLabel: 'Replace',
      body: h('p', null, h('code', null, key), ' already exists (' + [existing.content_type, fmtBytes(existing.size), ttlText(existing.expires_at)].filter(Boolean).join(', ') + '). Replace its value' + (existing.expires_at !== null ? ' and expiry' : '') + '?') }))) {
      setMsg(msg, 'Not created: the key exists. Open it from the list to edit it.', 'err');
      return;
    }
    const ok = await putValue(key, text, ct, ttl, msg);
    if (ok) { await loadKvList(); navigate({ view: 'kv', key }); }
  });
  detail.append(form);
  keyInput.focus();
}

/** The TTL field: '' → null (not given), a whole number ≥ 0 → that number, else undefined (invalid). */
function parseTtl(raw) {
  const s = String(raw === undefined || raw === null ? '' : raw).trim();
  if (s === '') return null;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** PUT /kv/{key}: `body` is a string or bytes, stored with content type `ct` (as is, parameters
 *  included); ttl null = no expiry. */
async function putValue(key, body, ct, ttl, msgEl) {
  const query = { db: state.db, content_type: ct };
  if (ttl !== null) query.ttl = ttl;
  setMsg(msgEl, 'Saving…');
  try {
    await api('PUT', kvPath(key), { query, raw: body, contentType: ct });
    setMsg(msgEl, 'Saved.', 'ok');
    toast('Saved "' + key + '"', 'ok');
    return true;
  } catch (e) {
    setMsg(msgEl, 'Save failed: ' + errMessage(e), 'err');
    return false;
  }
}

/** Types whose bytes are text the editor can show (anything else is handled as binary). */
export function isTextType(ct) {
  const t = baseType(ct);
  return /^text\//i.test(t) || /json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|toml|csv/i.test(t);
}

function decodeValue(buf, contentType) {
  const bytes = new Uint8Array(buf);
  let text = null;
  // ignoreBOM: a leading byte-order mark is part of the value and stays in the text.
  try { text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes); } catch (_) { text = null; }
  // Untyped bytes (octet-stream or none) are text when they decode and hold no control characters.
  const untyped = !contentType || /octet-stream/i.test(baseType(contentType));
  const binary = text === null || (!isTextType(contentType) && !(untyped && !/[\x00-\x08\x0e-\x1f\x7f]/.test(text)));
  if (binary) return { binary: true, size: bytes.length, bytes };
  return { binary: false, size: bytes.length, text, display: isJsonType(contentType) ? prettyJson(text) : text };
}

/** Edited textarea text (its newlines are always LF) with the stored text's CRLF line endings
 *  back, when the stored text used CRLF throughout. */
function withLineEndings(edited, stored) {
  const crlf = /\r\n/.test(stored) && !/(^|[^\r])\n/.test(stored);
  return crlf ? edited.replace(/\r?\n/g, '\r\n') : edited;
}

/** The key's GET /kv row (type, size, expires_at, updated_at) or null: a key sorts first under its own prefix. */
async function fetchKeyRow(db, key) {
  const d = await api('GET', '/kv', { query: { db, prefix: key, limit: 1 } });
  return d.items[0] && d.items[0].key === key ? d.items[0] : null;
}

/** Opens `key`; `note` (optional) is the result of an atomic operation on it, shown again. */
export async function loadKey(key, note) {
  const detail = clear($('#kv-detail'));
  const token = ++kv.keyToken;
  const db = state.db;
  kv.current = null;
  detail.append(loading('Loading "' + key + '"…'));
  let res, meta;
  try {
    // The expiry is read from the list row, fresh (a cached row may predate a save elsewhere).
    [res, meta] = await Promise.all([api('GET', kvPath(key), { query: { db }, expect: 'raw' }), fetchKeyRow(db, key)]);
  } catch (e) {
    if (token !== kv.keyToken) return;
    clear(detail);
    if (e.status === 404) {
      detail.append(emptyState('Key not found', '"' + key + '" does not exist or has expired. Its history, if any, is below: roll back to bring it back.'));
      showKvHistoryOnly(key);
    } else detail.append(errorState(e, () => loadKey(key)));
    return;
  }
  if (token !== kv.keyToken || db !== state.db) return;
  // The stored content type, exactly (parameters included): a rewrite of the same bytes keeps it.
  const ct = (meta && meta.content_type) || res.contentType || '';
  const val = decodeValue(res.buf, ct);
  // expiresAt: Unix ms, null = no expiry, undefined = unknown (the list row was not found).
  kv.current = { key, contentType: ct, buf: res.buf, value: val, expiresAt: meta ? meta.expires_at : undefined, updatedAt: meta ? meta.updated_at : undefined };
  renderKeyDetail(kv.current, note);
  loadKvHistory(key);
}

/** The binary value panel: size, type, hex (and image) preview, download, replace from a file. */
function binaryPanel(cur, onFile) {
  const { key, contentType: ct, value: val } = cur;
  const blob = new Blob([cur.buf], { type: ct || 'application/octet-stream' });
  if (kv.blobUrl) URL.revokeObjectURL(kv.blobUrl); // the previous key's preview/download
  const url = kv.blobUrl = URL.createObjectURL(blob);
  const type = baseType(ct);
  const fileName = (key.split(/[\/:]/).pop() || 'value') + (/^image\/png$/i.test(type) ? '.png' : /^image\/jpe?g$/i.test(type) ? '.jpg' : /^image\/gif$/i.test(type) ? '.gif' : /^image\/webp$/i.test(type) ? '.webp' : '.bin');
  const file = h('input', { type: 'file', id: 'kv-file', class: 'sr-only' });
  const staged = h('p', { class: 'muted small', id: 'kv-file-info' }, 'Save keeps these bytes unless you pick a file.');
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    const bytes = await f.arrayBuffer();
    onFile({ bytes, type: f.type || 'application/octet-stream', name: f.name });
    staged.textContent = 'On Save, the value becomes ' + f.name + ' (' + fmtBytes(bytes.byteLength) + ', ' + (f.type || 'application/octet-stream') + ').';
  });
  return h('div', { class: 'kv-binary', id: 'kv-binary' },
    h('p', { class: 'kv-binary-info' }, 'Binary value: ', h('strong', null, fmtBytes(val.size)), ' (' + val.size.toLocaleString() + ' bytes), ', h('code', null, ct || 'no type')),
    /^image\//i.test(ct) ? h('img', { class: 'kv-image', id: 'kv-image', src: url, alt: 'Preview of ' + key }) : null,
    h('pre', { class: 'code kv-hex', id: 'kv-hex', 'aria-label': 'Hex preview' }, hexDump(val.bytes)),
    h('div', { class: 'btn-row' },
      h('a', { class: 'btn small', id: 'kv-download', href: url, download: fileName }, 'Download'),
      h('label', { class: 'btn small', for: 'kv-file' }, 'Replace from file…'), file),
    staged);
}

function renderKeyDetail(cur, note) {
  const { key, contentType: ct, value: val } = cur;
  const detail = clear($('#kv-detail'));
  let valueInput = null;
  let replacement = null; // a file picked to replace a binary value
  const msg = h('p', { class: 'form-msg', role: 'status', 'aria-live': 'polite' });
  let shown = null; // the text as the textarea holds it (CRLF read back as LF): "edited" means different from this
  if (!val.binary) {
    valueInput = h('textarea', { id: 'kv-value', class: 'code-input', rows: String(Math.min(18, Math.max(6, val.display.split('\n').length + 1))), spellcheck: 'false' });
    valueInput.value = val.display;
    shown = valueInput.value;
  }
  const left = secondsLeft(cur.expiresAt);
  const ttlInput = h('input', { id: 'kv-ttl', type: 'number', min: '0', step: '1', inputmode: 'numeric',
    placeholder: cur.expiresAt === undefined ? 'expiry unknown' : left === null ? 'no expiry' : 'keep (' + Math.max(0, Math.ceil(left)) + ' s left)', 'aria-describedby': 'kv-ttl-help' });
  const form = h('form', { class: 'kv-form', autocomplete: 'off' },
    h('div', { class: 'detail-head' },
      h('h3', { class: 'detail-title kv-title' }, h('span', { class: 'mono' }, key)),
      h('div', { class: 'kv-meta' },
        ct ? h('span', { class: 'badge' }, ct) : null,
        h('span', { class: 'badge' }, fmtBytes(val.size)),
        h('span', { class: 'badge ttl', id: 'kv-ttl-display', dataset: { key } }, ttlBadge(cur.expiresAt)))),
    val.binary ? binaryPanel(cur, (f) => { replacement = f; })
      : [h('label', { for: 'kv-value', class: 'field-label' }, 'Value', isJsonType(ct) ? h('span', { class: 'muted' }, ' (JSON, pretty-printed)') : null), valueInput],
    h('div', { class: 'inline-fields' },
      h('label', { for: 'kv-ttl', class: 'field-label' }, 'New TTL (seconds)'), ttlInput,
      h('span', { class: 'muted small', id: 'kv-ttl-help' }, 'empty keeps the current expiry; 0 removes it')),
    h('div', { class: 'btn-row' },
      h('button', { type: 'submit', class: 'btn primary', id: 'kv-save' }, 'Save'),
      valueInput ? h('button', { type: 'button', class: 'btn', id: 'kv-format', onclick: () => {
        if (tryParseJson(valueInput.value).ok) valueInput.value = prettyJson(valueInput.value); else setMsg(msg, 'Not valid JSON.', 'err');
      } }, 'Format JSON') : null,
      h('button', { type: 'button', class: 'btn ghost', onclick: () => loadKey(key) }, 'Reload'),
      h('button', { type: 'button', class: 'btn danger', id: 'kv-delete', onclick: () => deleteKey(key) }, 'Delete')),
    msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let ttl = parseTtl(ttlInput.value);
    if (ttl === undefined) { setMsg(msg, 'TTL must be a whole number of seconds.', 'err'); return; }
    const ttlGiven = ttl !== null;
    // What is sent: the edited text, the picked file, or else the stored bytes and type untouched.
    let body = cur.buf, type = ct || 'application/octet-stream';
    const edited = valueInput ? valueInput.value !== shown : replacement !== null;
    if (!edited && !ttlGiven) { setMsg(msg, 'Nothing changed: the value and its expiry are as stored.'); return; }
    if (valueInput && edited) {
      body = withLineEndings(valueInput.value, val.text);
      // A textual type is kept (charset too); JSON stays JSON while it parses; untyped text becomes JSON or text/plain.
      const json = tryParseJson(body).ok && body.trim() !== '';
      if (isJsonType(ct) && !json && !(await confirmDialog({ title: 'Not valid JSON',
        body: h('p', null, 'The value is not valid JSON. Save it as ', h('code', null, 'text/plain'), ' instead of ', h('code', null, ct), '?'), okLabel: 'Save as text' }))) {
        setMsg(msg, 'Not saved: the value is not valid JSON.', 'err');
        return;
      }
      if (isJsonType(ct)) type = json ? ct : 'text/plain';
      else if (!isTextType(ct)) type = json ? 'application/json' : 'text/plain';
    } else if (replacement) {
      body = replacement.bytes; type = replacement.type;
    }
    if (!(await unchangedSinceOpened(cur, msg))) return;
    if (!ttlGiven && cur.expiresAt === undefined) { setMsg(msg, 'The current expiry could not be read: enter a TTL (0 = none) to save.', 'err'); return; }
    if (!ttlGiven && cur.expiresAt !== null) {
      // PUT without ttl removes the expiry (docs/kv.md): keep it by sending the seconds left,
      // to the nearest second (the expiry moves by at most half a second; never 0 = no expiry).
      const s = secondsLeft(cur.expiresAt);
      if (s <= 0) { setMsg(msg, 'The key has expired; set a TTL (0 = none) to save it again.', 'err'); return; }
      ttl = Math.max(1, Math.round(s));
    }
    const ok = await putValue(key, body, type, ttl, msg);
    // Reload it unless another key was opened meanwhile.
    if (ok) { await loadKvList(); if (state.view === 'kv' && state.key === key) loadKey(key); }
  });
  if (valueInput) {
    valueInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
    });
  }
  detail.append(form, ...[atomicPanel(cur, note, () => (valueInput ? valueInput.value !== shown : replacement !== null))].filter(Boolean), h('section', { class: 'kv-history', 'aria-labelledby': 'kv-history-title' },
    h('div', { class: 'section-head' }, h('h4', { id: 'kv-history-title', class: 'section-title' }, 'History'),
      h('button', { type: 'button', class: 'btn small ghost', onclick: () => loadKvHistory(key) }, 'Refresh')),
    h('div', { id: 'kv-timeline' })));
}

/**
 * Whether the key is still as it was when opened (same `updated_at`), so that a Save does not
 * undo another writer's change with the value and expiry shown here; if it changed, the user
 * decides. Not atomic (there is no compare-and-swap on a version), but it narrows the window
 * from the whole edit to one round trip.
 */
async function unchangedSinceOpened(cur, msgEl) {
  if (cur.updatedAt === undefined) return true;
  let row;
  try { row = await fetchKeyRow(state.db, cur.key); } catch (e) { setMsg(msgEl, 'Save failed: ' + errMessage(e), 'err'); return false; }
  if (row && row.updated_at === cur.updatedAt) return true;
  const ok = await confirmDialog({ title: row ? 'Changed since you opened it' : 'Deleted since you opened it', danger: true, okLabel: row ? 'Overwrite' : 'Save anyway',
    body: h('p', null, h('code', null, cur.key), row ? ' was written by someone else after you opened it. Saving replaces that change with what is shown here.'
      : ' was deleted or expired after you opened it. Saving creates it again.') });
  if (!ok) setMsg(msgEl, 'Not saved. Reload to see the current value.', 'err');
  return ok;
}

function showKvHistoryOnly(key) {
  const detail = $('#kv-detail');
  detail.append(h('section', { class: 'kv-history' }, h('h4', { class: 'section-title' }, 'History'), h('div', { id: 'kv-timeline' })));
  loadKvHistory(key);
}

async function deleteKey(key) {
  const ok = await confirmDialog({ title: 'Delete key?', body: h('p', null, 'Delete ', h('code', null, key), ' from "' + state.db + '"? Its history is kept, so you can still roll it back.'), okLabel: 'Delete', danger: true });
  if (!ok) return;
  try {
    await api('DELETE', kvPath(key), { query: { db: state.db } });
    toast('Deleted "' + key + '"', 'ok');
    await loadKvList();
    navigate({ view: 'kv', key: null });
  } catch (e) {
    toast('Delete failed: ' + errMessage(e), 'error');
  }
}

const BATCH_MAX = 100; // keys per POST /kv/batch/delete and /kv/batch/expire (docs/kv.md)

/** What the list's filter (and tree prefix) select, in words, for the bulk dialog. */
function scopeWords() {
  const parts = [];
  if (kv.filter) parts.push(isGlob(kv.filter) ? 'matching the glob "' + kv.filter + '"' : 'containing "' + kv.filter + '"');
  if (kv.tree && kv.prefix) parts.push('under "' + kv.prefix + '"');
  return parts.join(' and ');
}

/**
 * Sends `keys` to a batch route (`path`, body `{keys, ...extra}`) BATCH_MAX at a time, one
 * request after another, with progress in #kv-bulk-msg; the list is disabled meanwhile.
 * Returns the keys sent, the sum of each answer's `field`, and whether a request failed (then
 * the message says after how many keys it stopped).
 */
async function inBatches(db, path, keys, extra, field, progress) {
  const n = keys.length;
  const msg = $('#kv-bulk-msg');
  kv.bulkBusy = true;
  renderKvList();
  let done = 0, count = 0, failed = false;
  try {
    for (let at = 0; at < n; at += BATCH_MAX) {
      setMsg(msg, progress + ' ' + done.toLocaleString() + ' of ' + n.toLocaleString());
      const chunk = keys.slice(at, at + BATCH_MAX);
      const r = await api('POST', path, { query: { db }, body: { keys: chunk, ...extra } });
      done += chunk.length;
      count += r[field];
    }
  } catch (e) {
    failed = true;
    setMsg(msg, 'Stopped after ' + done.toLocaleString() + ' of ' + n.toLocaleString() + ' keys: ' + errMessage(e), 'err');
  } finally {
    kv.bulkBusy = false;
  }
  return { done, count, failed };
}

/** Deletes `keys` after a confirmation naming their number and a few of them, 100 per request. */
async function bulkDelete(keys) {
  const n = keys.length;
  const db = state.db;
  const few = keys.slice(0, 5);
  const ok = await confirmDialog({ title: 'Delete ' + plural(n, 'key').replace(String(n), n.toLocaleString()) + '?', danger: true, okLabel: 'Delete ' + n.toLocaleString(),
    body: h('div', { id: 'kv-bulk-confirm' },
      h('p', null, 'Delete ', h('strong', null, n.toLocaleString()), ' key' + (n === 1 ? '' : 's') + ' ' + scopeWords() + ' from "' + db + '"? Each key\'s history is kept, so a key can still be rolled back.'),
      h('ul', { class: 'kv-bulk-keys' }, few.map((k) => h('li', null, h('code', null, k)))),
      n > few.length ? h('p', { class: 'muted small' }, '… and ' + (n - few.length).toLocaleString() + ' more.') : null,
      kv.more ? h('p', { class: 'muted small' }, 'Only the first ' + kv.items.length.toLocaleString() + ' keys of the store are loaded: keys beyond them are not deleted.') : null) });
  if (!ok) return;
  const { done, count: deleted, failed } = await inBatches(db, '/kv/batch/delete', keys, {}, 'deleted', 'Deleting…');
  if (!failed) {
    // `deleted` counts the keys that existed: one deleted or expired meanwhile is not an error.
    const words = 'Deleted ' + plural(deleted, 'key').replace(String(deleted), deleted.toLocaleString());
    setMsg($('#kv-bulk-msg'), words + (deleted < n ? ' (' + (n - deleted).toLocaleString() + ' no longer existed).' : '.'), 'ok');
    toast(words, 'ok');
  }
  if (state.db !== db) return;
  await loadKvList();
  if (state.view === 'kv' && state.key !== null && keys.slice(0, done).includes(state.key)) navigate({ view: 'kv', key: null });
}

/** Sets the TTL of `keys` (POST /kv/batch/expire, 100 per request: values untouched) after a
 *  dialog asking for the seconds (0 = no expiry) and naming their number and a few of them. */
async function bulkTtl(keys) {
  const n = keys.length;
  const db = state.db;
  const few = keys.slice(0, 5);
  const input = h('input', { id: 'kv-bulk-ttl-input', type: 'number', min: '0', step: '1', inputmode: 'numeric', required: true, value: '3600', 'aria-label': 'TTL in seconds' });
  const ok = await confirmDialog({ title: 'Set the TTL of ' + plural(n, 'key').replace(String(n), n.toLocaleString()) + '?', okLabel: 'Set TTL',
    body: h('div', { id: 'kv-bulk-ttl-confirm' },
      h('p', null, 'Give ', h('strong', null, n.toLocaleString()), ' key' + (n === 1 ? '' : 's') + ' ' + scopeWords() + ' in "' + db + '" a new expiry. Their values stay as they are; each change is recorded in the key\'s history.'),
      h('label', { class: 'inline-fields' }, 'TTL (seconds, 0 = no expiry) ', input),
      h('ul', { class: 'kv-bulk-keys' }, few.map((k) => h('li', null, h('code', null, k)))),
      n > few.length ? h('p', { class: 'muted small' }, '… and ' + (n - few.length).toLocaleString() + ' more.') : null,
      kv.more ? h('p', { class: 'muted small' }, 'Only the first ' + kv.items.length.toLocaleString() + ' keys of the store are loaded: keys beyond them keep their expiry.') : null) });
  if (!ok) return;
  const msg = $('#kv-bulk-msg');
  const ttl = parseTtl(input.value);
  if (ttl === null || ttl === undefined) { setMsg(msg, 'Not changed: the TTL must be a whole number of seconds (0 = no expiry).', 'err'); return; }
  const { done, count: updated, failed } = await inBatches(db, '/kv/batch/expire', keys, { ttl }, 'updated', 'Setting TTLs…');
  if (!failed) {
    const words = (ttl === 0 ? 'Removed the expiry of ' : 'Set a TTL of ' + fmtDuration(ttl) + ' on ') + plural(updated, 'key').replace(String(updated), updated.toLocaleString());
    setMsg(msg, words + (updated < n ? ' (' + (n - updated).toLocaleString() + ' no longer existed).' : '.'), 'ok');
    toast(words, 'ok');
  }
  if (state.db !== db) return;
  await loadKvList();
  if (state.view === 'kv' && state.key !== null && keys.slice(0, done).includes(state.key)) loadKey(state.key);
}

/** Wires the view's controls and registers it with the router. */
export function initKv() {
  const kvFilter = () => { if (kv.filter !== $('#kv-prefix').value) { kv.filter = $('#kv-prefix').value; renderKvList(); } };
  $('#kv-filter').addEventListener('submit', (e) => { e.preventDefault(); kvFilter(); });
  $('#kv-prefix').addEventListener('input', kvFilter);
  setInterval(tickTtls, 1000);
  $('#kv-new').addEventListener('click', newKeyForm);
  kv.tree = readTreePref();
  $('#kv-tree').checked = kv.tree;
  $('#kv-tree').addEventListener('change', () => setTree($('#kv-tree').checked));
  registerView('kv', {
    enter(c) { enterKv(c.dbChanged || c.viewChanged || c.forced, c.keyChanged || c.forced); },
    dbChanged() { kv.items = []; kv.loadedFor = null; kv.prefix = ''; },
    invalidate() { kv.loadedFor = null; },
  });
}
