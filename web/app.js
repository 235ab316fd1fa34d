/* hoody-sqlite web console. Plain JS, no dependencies, no build step. */
'use strict';

(function () {
  const API = '/api/v1/sqlite';
  const BROWSE_ROWS = 50;       // schema row browser page size
  const TRUNC = 120;            // characters of a cell shown in the grid (the viewer shows all)
  const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'PRAGMA', 'EXPLAIN', 'VALUES']);
  const VIEWS = ['sql', 'schema', 'history', 'kv'];

  // ---------------------------------------------------------------- helpers
  const $ = (sel, root = document) => root.querySelector(sel);

  function h(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
        else if (k === 'dataset') Object.assign(node.dataset, v);
        else if (v === true) node.setAttribute(k, '');
        else node.setAttribute(k, String(v));
      }
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : String(c));
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

  function loading(text = 'Loading…') {
    return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
  }

  function emptyState(title, text, ...extra) {
    return h('div', { class: 'empty-state' }, h('p', { class: 'empty-title' }, title), text ? h('p', { class: 'muted' }, text) : null, ...extra);
  }

  function isDbMissing(err) {
    return !!err && (err.code === 'DATABASE_NOT_FOUND' || (err.status === 404 && /database/i.test(errMessage(err))));
  }

  function errorState(err, retry) {
    const missing = isDbMissing(err) && state.db;
    return h('div', { class: 'alert error', role: 'alert' },
      h('strong', null, missing ? 'Database "' + state.db + '" does not exist. ' : 'Error: '), missing ? null : errMessage(err),
      err && err.code && !missing ? h('span', { class: 'badge' }, err.code) : null,
      missing ? h('button', { type: 'button', class: 'btn small create-missing', onclick: () => createDb(state.db) }, 'Create it')
        : retry ? h('button', { type: 'button', class: 'btn small', onclick: retry }, 'Retry') : null);
  }

  function errMessage(err) {
    if (!err) return 'Unknown error';
    return err.message || String(err);
  }

  function toDate(t) {
    if (t === null || t === undefined || t === '') return null;
    if (typeof t === 'string' && !/^\d+(\.\d+)?$/.test(t)) {
      const d = new Date(t);
      return isNaN(d) ? null : d;
    }
    let n = Number(t);
    if (!isFinite(n)) return null;
    if (n < 1e11) n *= 1000;            // seconds
    else if (n > 1e17) n /= 1e6;        // nanoseconds
    else if (n > 1e14) n /= 1e3;        // microseconds
    return new Date(n);
  }

  function fmtTime(t) {
    const d = toDate(t);
    if (!d) return '—';
    return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function relTime(t) {
    const d = toDate(t);
    if (!d) return '';
    const s = Math.round((d.getTime() - Date.now()) / 1000);
    const abs = Math.abs(s);
    let v, unit;
    if (abs < 45) { v = s; unit = 'second'; }
    else if (abs < 2700) { v = Math.round(s / 60); unit = 'minute'; }
    else if (abs < 79200) { v = Math.round(s / 3600); unit = 'hour'; }
    else { v = Math.round(s / 86400); unit = 'day'; }
    try { return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(v, unit); }
    catch (_) { return d.toLocaleString(); }
  }

  function fmtDuration(secs) {
    secs = Math.max(0, Math.round(secs));
    if (secs < 60) return secs + 's';
    const m = Math.floor(secs / 60), s = secs % 60;
    if (m < 60) return m + 'm ' + s + 's';
    const hh = Math.floor(m / 60);
    if (hh < 48) return hh + 'h ' + (m % 60) + 'm';
    return Math.floor(hh / 24) + 'd ' + (hh % 24) + 'h';
  }

  function fmtBytes(n) {
    if (n === null || n === undefined || isNaN(n)) return '';
    n = Number(n);
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
    return (n / 1048576).toFixed(1) + ' MB';
  }

  function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

  function b64ByteLength(s) {
    const clean = String(s).replace(/[\s=]/g, '');
    return Math.floor(clean.length * 3 / 4);
  }

  function base64url(str) {
    const bytes = new TextEncoder().encode(str);
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeBase64Text(b64) {
    try {
      const bin = atob(String(b64).replace(/-/g, '+').replace(/_/g, '/'));
      const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (_) { return null; }
  }

  function quoteIdent(name) { return '"' + String(name).replace(/"/g, '""') + '"'; }

  /** The media type without parameters: 'text/plain; charset=utf-8' → 'text/plain'. */
  function baseType(ct) { return String(ct || '').split(';')[0].trim(); }

  function isJsonType(ct) { return /\bjson\b/i.test(baseType(ct)); }

  function tryParseJson(text) {
    try { return { ok: true, value: JSON.parse(text) }; } catch (_) { return { ok: false }; }
  }

  /**
   * JSON text re-indented by 2 like JSON.stringify(v, null, 2), changing only the whitespace
   * between tokens: numbers (beyond 2^53, `1.50`), escapes and duplicate members stay as written.
   * Text that is not JSON is returned as is.
   */
  function prettyJson(text) {
    if (!tryParseJson(text).ok) return text;
    let out = '', depth = 0, i = 0;
    const newline = () => '\n' + '  '.repeat(depth);
    const isSpace = (ch) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
    while (i < text.length) {
      const c = text[i];
      if (c === '"') { // a string token, copied verbatim
        let j = i + 1;
        while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j + 1;
        continue;
      }
      i++;
      if (isSpace(c)) continue;
      if (c === '{' || c === '[') {
        let j = i;
        while (isSpace(text[j])) j++;
        if (text[j] === (c === '{' ? '}' : ']')) { out += c + text[j]; i = j + 1; continue; } // {} or []
        depth++;
        out += c + newline();
      } else if (c === '}' || c === ']') {
        depth--;
        out += newline() + c;
      } else if (c === ',') out += ',' + newline();
      else if (c === ':') out += ': ';
      else out += c;
    }
    return out;
  }

  function preview(v, max = 80) {
    let s;
    if (v === undefined) return '';
    if (typeof v === 'string') s = v; else s = JSON.stringify(v);
    if (s === undefined) s = String(v);
    return s.length > max ? s.slice(0, max) + '…' : s;
  }

  // ---------------------------------------------------------------- toasts
  function toast(msg, kind = 'info') {
    const box = $('#toasts');
    const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, msg);
    box.append(t);
    setTimeout(() => { t.classList.add('hide'); setTimeout(() => t.remove(), 300); }, kind === 'error' ? 6000 : 3000);
  }

  // ---------------------------------------------------------------- modal
  function modal({ title, body, okLabel = 'OK', cancelLabel = 'Cancel', danger = false, noCancel = false }) {
    const dlg = $('#modal');
    $('#modal-title').textContent = title;
    const b = clear($('#modal-body'));
    if (typeof body === 'string') b.append(h('p', null, body)); else if (body) b.append(body);
    const ok = $('#modal-ok');
    ok.textContent = okLabel;
    ok.className = 'btn ' + (danger ? 'danger-solid' : 'primary');
    const cancel = $('#modal-cancel');
    cancel.textContent = cancelLabel;
    cancel.hidden = noCancel;
    dlg.returnValue = '';
    return new Promise((resolve) => {
      dlg.addEventListener('close', () => resolve(dlg.returnValue === 'ok'), { once: true });
      dlg.showModal();
      (noCancel ? ok : cancel).focus();
    });
  }
  const confirmDialog = (opts) => modal(opts);
  const infoDialog = (title, body) => modal({ title, body, okLabel: 'Close', noCancel: true });

  // ---------------------------------------------------------------- API
  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.name = 'ApiError';
      this.status = status;
      this.body = body;
      this.reqIdx = body && typeof body.reqIdx === 'number' ? body.reqIdx : undefined;
      this.code = body && body.code ? String(body.code) : undefined;
    }
  }

  let busyCount = 0;
  function setBusy(delta) {
    busyCount = Math.max(0, busyCount + delta);
    const el = $('#busy');
    el.textContent = busyCount ? 'Working…' : '';
    el.classList.toggle('on', busyCount > 0);
  }

  // ---------------------------------------------------------------- access token & sign-in
  // Server flags --auth-token / --read-only-token / --jwt-key-file: the token is sent as
  // `Authorization: Bearer`. It is kept in localStorage ("Remember on this device", the default
  // and what earlier versions did) or sessionStorage (until the tab closes), under one key. The
  // sign-in dialog (a password field, never window.prompt) opens on the first 401 and from the
  // "Sign in" button; a token is accepted only once the server answered GET /databases with it.
  const TOKEN_KEY = 'hoody-sqlite.token';
  const auth = { required: false, pending: null, memory: '' };
  function authToken() {
    try {
      const t = sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY);
      if (t) return t;
    } catch (e) { /* storage disabled: the token lives in memory only */ }
    return auth.memory;
  }
  function storeToken(token, remember) {
    auth.memory = token;
    try {
      sessionStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(TOKEN_KEY);
      if (token) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
    } catch (e) { /* storage disabled */ }
  }
  function renderAuth() {
    const token = authToken();
    $('#auth-state').hidden = !token;
    $('#signout-button').hidden = !token;
    $('#signin-button').hidden = !!token || !auth.required;
  }
  /** Asks the server whether `token` is accepted: 'ok', 'rejected' or an error message. */
  async function checkToken(token) {
    try {
      const res = await fetch(API + '/databases?limit=1', { headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + token } });
      return res.status === 401 ? 'rejected' : 'ok';
    } catch (e) {
      return 'Could not reach the server (' + errMessage(e) + ')';
    }
  }
  /** Opens the sign-in dialog; resolves true once a token was accepted, false when cancelled. */
  function signIn(reason) {
    if (auth.pending) return auth.pending;
    auth.required = true;
    renderAuth();
    const dlg = $('#signin');
    const input = $('#signin-token');
    const error = $('#signin-error');
    $('#signin-why').textContent = reason || 'This server needs an access token.';
    input.value = '';
    error.textContent = '';
    auth.pending = new Promise((resolve) => {
      const form = $('#signin-form');
      const finish = (ok) => {
        form.removeEventListener('submit', submit);
        $('#signin-cancel').removeEventListener('click', cancel);
        dlg.removeEventListener('cancel', cancel);
        if (dlg.open) dlg.close();
        auth.pending = null;
        renderAuth();
        resolve(ok);
      };
      const cancel = (e) => { if (e) e.preventDefault(); finish(false); };
      const submit = async (e) => {
        e.preventDefault();
        const token = input.value.trim();
        if (!token) { error.textContent = 'Enter the access token.'; input.focus(); return; }
        const ok = $('#signin-ok');
        ok.disabled = true;
        error.textContent = '';
        const verdict = await checkToken(token);
        ok.disabled = false;
        if (verdict === 'rejected') {
          error.textContent = 'The server did not accept this token. Check it and try again.';
          input.select();
          return;
        }
        if (verdict !== 'ok') { error.textContent = verdict; return; }
        storeToken(token, $('#signin-remember').checked);
        finish(true);
        toast('Signed in', 'ok');
        loadServerDbs();
      };
      form.addEventListener('submit', submit);
      $('#signin-cancel').addEventListener('click', cancel);
      dlg.addEventListener('cancel', cancel);
      dlg.showModal();
      input.focus();
    });
    return auth.pending;
  }
  function signOut() {
    storeToken('', false);
    renderAuth();
    serverDbs.items = [];
    renderServerDbs('Sign in to see the databases.');
    toast('Signed out', 'info');
  }

  async function api(method, path, opts = {}) {
    const url = new URL(API + path, location.origin);
    for (const [k, v] of Object.entries(opts.query || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    }
    const headers = { 'Content-Type': opts.contentType || 'application/json' };
    const token = authToken();
    if (token) headers.Authorization = 'Bearer ' + token;
    let payload;
    if (opts.raw !== undefined) payload = opts.raw;
    else if (opts.body !== undefined) payload = JSON.stringify(opts.body);
    let res;
    setBusy(1);
    try {
      res = await fetch(url, { method, headers, body: payload, signal: opts.signal });
    } catch (e) {
      setBusy(-1);
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError('Could not reach the server (' + errMessage(e) + ')', 0, null);
    }
    if (res.status === 401) auth.required = true;
    if (res.status === 401 && !opts.tokenRetry) {
      setBusy(-1);
      const had = token && token === authToken();
      if (had) storeToken('', false);  // the server no longer accepts it
      if (await signIn(had ? 'The server did not accept the saved token. Sign in again.' : 'This server needs an access token.')) {
        return api(method, path, Object.assign({}, opts, { tokenRetry: true }));
      }
      setBusy(1);
    }
    try {
      if (opts.expect === 'raw') {
        const buf = await res.arrayBuffer();
        if (!res.ok) {
          const text = new TextDecoder().decode(buf);
          const parsed = tryParseJson(text);
          const body = parsed.ok && parsed.value && typeof parsed.value === 'object' ? parsed.value : null;
          throw new ApiError((body && (body.error || body.message)) || text || (res.status + ' ' + res.statusText), res.status, body);
        }
        return { buf, contentType: res.headers.get('content-type') || '', status: res.status, headers: res.headers };
      }
      const text = await res.text();
      const parsed = text ? tryParseJson(text) : { ok: true, value: {} };
      if (!res.ok) {
        const body = parsed.ok && parsed.value && typeof parsed.value === 'object' ? parsed.value : null;
        const msg = (body && (body.error || body.message)) || text || (res.status + ' ' + res.statusText);
        throw new ApiError(String(msg), res.status, body);
      }
      if (!parsed.ok) throw new ApiError('The server sent a response that is not JSON', res.status, null);
      const v = parsed.value;
      // POST /db answers a failed statement with 200 {reqIdx, error, code}: it rolled back.
      if (v && typeof v === 'object' && typeof v.error === 'string' && typeof v.reqIdx === 'number') {
        throw new ApiError(v.error, res.status, v);
      }
      return v;
    } finally {
      setBusy(-1);
    }
  }

  function runTx(items, extra) {
    return api('POST', '/db', { query: { db: state.db }, body: Object.assign({ transaction: items, resultFormat: 'list' }, extra || {}) });
  }

  /** Normalises a query result to {headers, rows (arrays)}. */
  function resultRows(r) {
    const headers = Array.isArray(r.resultHeaders) ? r.resultHeaders
      : Array.isArray(r.columns) ? r.columns
        : (r.resultSet && r.resultSet[0] ? Object.keys(r.resultSet[0]) : []);
    let rows;
    if (Array.isArray(r.resultSetList)) rows = r.resultSetList;
    else if (Array.isArray(r.resultSet)) rows = r.resultSet.map((o) => (Array.isArray(o) ? o : headers.map((k) => o[k])));
    else rows = [];
    return { headers, rows };
  }

  function queryObjects(r) {
    const { headers, rows } = resultRows(r);
    return rows.map((row) => { const o = {}; headers.forEach((k, i) => { o[k] = row[i]; }); return o; });
  }

  // ---------------------------------------------------------------- SQL splitting
  /**
   * Splits SQL text into statements on `;`, ignoring semicolons inside string literals,
   * quoted identifiers, comments and CREATE TRIGGER ... BEGIN ... END bodies.
   */
  function splitSql(text) {
    const out = [];
    const n = text.length;
    let start = 0, i = 0;
    let words = [], beginDepth = 0, caseDepth = 0;
    const isTrigger = () => words[0] === 'CREATE' && (words[1] === 'TRIGGER' || ((words[1] === 'TEMP' || words[1] === 'TEMPORARY') && words[2] === 'TRIGGER'));
    const push = (s) => { const t = s.trim(); if (stripComments(t).trim()) out.push(t); };
    while (i < n) {
      const c = text[i];
      if (c === '-' && text[i + 1] === '-') { const e = text.indexOf('\n', i); i = e < 0 ? n : e + 1; continue; }
      if (c === '/' && text[i + 1] === '*') { const e = text.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
      if (c === "'" || c === '"' || c === '`') {
        let j = i + 1;
        while (j < n) {
          if (text[j] === c) { if (text[j + 1] === c) { j += 2; continue; } break; }
          j++;
        }
        i = j + 1; continue;
      }
      if (c === '[') { const e = text.indexOf(']', i + 1); i = e < 0 ? n : e + 1; continue; }
      if (/[A-Za-z_]/.test(c)) {
        let j = i + 1;
        while (j < n && /[A-Za-z0-9_$]/.test(text[j])) j++;
        const w = text.slice(i, j).toUpperCase();
        if (words.length < 4) words.push(w);
        if (isTrigger()) {
          if (w === 'BEGIN') beginDepth++;
          else if (w === 'CASE') caseDepth++;
          else if (w === 'END') { if (caseDepth > 0) caseDepth--; else if (beginDepth > 0) beginDepth--; }
        }
        i = j; continue;
      }
      if (c === ';' && beginDepth === 0) {
        push(text.slice(start, i));
        start = i + 1; words = []; caseDepth = 0;
      }
      i++;
    }
    push(text.slice(start));
    return out;
  }

  /** Removes comments (outside of literals). */
  function stripComments(sql) {
    let out = '', i = 0;
    const n = sql.length;
    while (i < n) {
      const c = sql[i];
      if (c === '-' && sql[i + 1] === '-') { const e = sql.indexOf('\n', i); i = e < 0 ? n : e + 1; out += ' '; continue; }
      if (c === '/' && sql[i + 1] === '*') { const e = sql.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; out += ' '; continue; }
      if (c === "'" || c === '"' || c === '`') {
        let j = i + 1;
        while (j < n) { if (sql[j] === c) { if (sql[j + 1] === c) { j += 2; continue; } break; } j++; }
        out += sql.slice(i, j + 1); i = j + 1; continue;
      }
      out += c; i++;
    }
    return out;
  }

  function firstKeyword(sql) {
    const m = /^[\s(]*([A-Za-z]+)/.exec(stripComments(sql));
    return m ? m[1].toUpperCase() : '';
  }

  function isQuery(sql) { return READ_KEYWORDS.has(firstKeyword(sql)); }

  // ---------------------------------------------------------------- state & routing
  const state = { db: '', view: 'sql', table: null, key: null };
  const cache = { schema: null, schemaDb: null, schemaDirty: true, historyDb: null };

  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    const view = p.get('view');
    return {
      db: (p.get('db') || '').trim(),
      view: VIEWS.includes(view) ? view : 'sql',
      table: p.get('table'),
      key: p.get('key'),
    };
  }

  function hashFor(s) {
    const p = new URLSearchParams();
    if (s.db) p.set('db', s.db);
    p.set('view', s.view || 'sql');
    if (s.view === 'schema' && s.table) p.set('table', s.table);
    if (s.view === 'kv' && s.key !== null && s.key !== undefined) p.set('key', s.key);
    return '#' + p.toString();
  }

  function navigate(partial, replace) {
    const next = Object.assign({}, state, partial);
    if ('db' in partial && partial.db !== state.db) {
      if (!('table' in partial)) next.table = null;
      if (!('key' in partial)) next.key = null;
    }
    const hash = hashFor(next);
    if (hash === location.hash) { route(); return; }
    if (replace) { history.replaceState(null, '', hash); route(); }
    else location.hash = hash;
  }

  function route(force) {
    // "Open in console" links of the GET /query page carry the query: `#db=…&view=sql&sql=…`.
    // It goes into the editor once, and leaves the URL.
    const hashParams = new URLSearchParams(location.hash.replace(/^#/, ''));
    const linkedSql = hashParams.has('sql') ? hashParams.get('sql') : null;
    if (linkedSql !== null) {
      hashParams.delete('sql');
      history.replaceState(null, '', '#' + hashParams.toString());
    }
    const next = readHash();
    const forced = force === true;
    const dbChanged = next.db !== state.db;
    const viewChanged = next.view !== state.view;
    const tableChanged = next.table !== state.table;
    const keyChanged = next.key !== state.key;
    Object.assign(state, next);
    if (dbChanged) {
      cache.schema = null; cache.schemaDirty = true;
      kv.items = []; kv.loadedFor = null;
      clear($('#sql-results')); hideSqlError(); $('#share-box').hidden = true;
      loadEditorFor(state.db);
      if (state.db) rememberDb(state.db);
    }
    if (linkedSql !== null && state.db) {
      editor().value = linkedSql;
      saveEditor();
    }
    renderChrome();
    closeMenu();
    for (const v of ['welcome', ...VIEWS]) $('#view-' + v).hidden = true;
    if (!state.db) {
      $('#view-welcome').hidden = false;
      document.title = 'hoody-sqlite';
      return;
    }
    $('#view-' + state.view).hidden = false;
    const titles = { sql: 'SQL', schema: 'Schema', history: 'History', kv: 'Key-value' };
    document.title = titles[state.view] + ' · ' + state.db + ' · hoody-sqlite';
    if (state.view === 'schema') enterSchema(dbChanged || viewChanged || forced, tableChanged || forced);
    else if (state.view === 'history') loadHistory();
    else if (state.view === 'kv') enterKv(dbChanged || viewChanged || forced, keyChanged || forced);
    else if (state.view === 'sql' && viewChanged) { /* keep results */ }
  }

  function renderChrome() {
    const pill = $('#current-db');
    pill.hidden = !state.db;
    pill.textContent = state.db ? state.db : '';
    pill.title = state.db ? 'Current database: ' + state.db : '';
    if (document.activeElement !== $('#db-input')) $('#db-input').value = state.db;
    for (const a of document.querySelectorAll('.nav-link')) {
      const v = a.dataset.view;
      a.href = hashFor({ db: state.db, view: v });
      if (v === state.view && state.db) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
      a.classList.toggle('disabled', !state.db);
    }
    $('#brand-link').href = hashFor({ db: state.db, view: 'sql' });
    for (const a of document.querySelectorAll('#server-dbs a')) {
      a.classList.toggle('active', a.dataset.db === state.db);
      a.href = hashFor({ db: a.dataset.db, view: state.view || 'sql' });
    }
  }

  // ---------------------------------------------------------------- db selector
  function recentDbs() {
    try { const v = JSON.parse(localStorage.getItem('hoody.recentDbs') || '[]'); return Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []; }
    catch (_) { return []; }
  }

  function rememberDb(name) {
    const list = [name, ...recentDbs().filter((x) => x !== name)].slice(0, 12);
    try { localStorage.setItem('hoody.recentDbs', JSON.stringify(list)); } catch (_) { /* private mode */ }
    renderRecent();
  }

  function renderRecent() {
    const list = recentDbs();
    const ul = clear($('#recent-dbs'));
    for (const name of list) {
      ul.append(h('li', null, h('a', { href: hashFor({ db: name, view: state.view || 'sql' }), class: name === state.db ? 'active' : '' }, name)));
    }
    $('#recent-empty').hidden = list.length > 0;
    renderDbOptions();
  }

  // The name suggestions of the database inputs: recent databases, then the server's list.
  function renderDbOptions() {
    const dl = clear($('#db-list'));
    const seen = new Set();
    for (const name of [...recentDbs(), ...serverDbs.items.map((d) => d.name)]) {
      if (seen.has(name)) continue;
      seen.add(name);
      dl.append(h('option', { value: name }));
    }
  }

  // The databases of the data directory (GET /databases: name as db= takes it, file, size,
  // modified; at most 1,000, `truncated` when more exist).
  const serverDbs = { items: [], truncated: false, loaded: false, token: 0 };
  async function loadServerDbs() {
    const token = ++serverDbs.token;
    $('#server-dbs-msg').textContent = 'Loading…';
    try {
      const r = await api('GET', '/databases');
      if (token !== serverDbs.token) return;
      serverDbs.items = Array.isArray(r.databases) ? r.databases : [];
      serverDbs.truncated = r.truncated === true;
      serverDbs.loaded = true;
      renderServerDbs();
    } catch (e) {
      if (token !== serverDbs.token) return;
      serverDbs.items = [];
      renderServerDbs(e.status === 401 ? 'Sign in to see the databases.' : 'Could not list the databases: ' + errMessage(e));
    }
  }
  function renderServerDbs(message) {
    const ul = clear($('#server-dbs'));
    for (const d of serverDbs.items) {
      const label = d.name.startsWith('/') && d.file ? d.file : d.name;  // a subdirectory's file: its path
      ul.append(h('li', null, h('a', {
        href: hashFor({ db: d.name, view: state.view || 'sql' }),
        class: d.name === state.db ? 'active' : '',
        title: d.name + ' · ' + fmtBytes(d.size) + ' · modified ' + new Date(d.modified_ms).toLocaleString(),
        dataset: { db: d.name },
      }, h('span', { class: 'db-name' }, label), h('span', { class: 'db-size' }, fmtBytes(d.size)))));
    }
    // The welcome view offers the first of them too (on a phone the sidebar is folded away).
    const welcome = clear($('#welcome-dbs'));
    for (const d of serverDbs.items.slice(0, 24)) {
      welcome.append(h('li', null, h('a', { href: hashFor({ db: d.name, view: 'sql' }), title: d.name + ' · ' + fmtBytes(d.size) }, d.name.startsWith('/') && d.file ? d.file : d.name)));
    }
    $('#welcome-dbs-box').hidden = serverDbs.items.length === 0;
    let msg = message || '';
    if (!msg && !serverDbs.items.length) msg = 'No databases in the data directory yet.';
    if (!msg && serverDbs.truncated) msg = 'Showing the first ' + serverDbs.items.length + '; more exist (type a name above).';
    $('#server-dbs-msg').textContent = msg;
    renderDbOptions();
  }

  function validDbName(name) {
    if (!name) return 'Enter a database name.';
    if (/[\/\\]/.test(name) && !name.startsWith('/')) return 'Use a bare name such as "notes" (no folders).';
    return '';
  }

  function openDb(name) {
    name = name.trim();
    const msg = validDbName(name);
    $('#db-form-msg').textContent = msg;
    if (msg) { $('#db-input').focus(); return; }
    navigate({ db: name, view: state.db ? state.view : 'sql' });
  }

  async function createDb(name) {
    name = name.trim();
    const msg = validDbName(name);
    const out = $('#db-form-msg');
    out.textContent = msg;
    out.className = 'form-msg';
    if (msg) { $('#db-input').focus(); return; }
    const btn = $('#db-create');
    btn.disabled = true;
    try {
      const query = { path: name };
      if ($('#db-create-kv').checked) query.init_kv = 'true';
      await api('POST', '/db/create', { query });
      out.textContent = 'Created ' + name + '.';
      out.className = 'form-msg ok';
      toast('Database "' + name + '" created', 'ok');
      loadServerDbs();
      cache.schemaDirty = true;
      kv.loadedFor = null;
      if (name === state.db) { hideSqlError(); route(true); }
      else navigate({ db: name, view: state.db ? state.view : 'sql' });
    } catch (e) {
      if (e.status === 409) {
        out.textContent = '"' + name + '" already exists; opened it.';
        out.className = 'form-msg';
        navigate({ db: name, view: state.db ? state.view : 'sql' });
      } else {
        out.textContent = errMessage(e);
        out.className = 'form-msg err';
      }
    } finally {
      btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- mobile menu
  function openMenu() {
    document.body.classList.add('menu-open');
    $('#menu-toggle').setAttribute('aria-expanded', 'true');
    $('#backdrop').hidden = false;
    $('#db-input').focus();
  }
  function closeMenu() {
    if (!document.body.classList.contains('menu-open')) return;
    document.body.classList.remove('menu-open');
    $('#menu-toggle').setAttribute('aria-expanded', 'false');
    $('#backdrop').hidden = true;
  }

  // ---------------------------------------------------------------- result grid
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

  function bytesOfBase64(b64) {
    try { return Uint8Array.from(atob(String(b64).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)); } catch (_) { return new Uint8Array(0); }
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
   * line), truncated + countTotal (async () => total rows, for the "N of M rows" notice).
   */
  function resultTable(headers, rows, opts = {}) {
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
        num.textContent = String(startIndex + r + 1);
        tr.append(num);
        for (let c = 0; c < headers.length; c++) tr.append(renderCell(row[c]));
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
      if (!td) return;
      const tr = td.parentElement;
      const c = Array.prototype.indexOf.call(tr.children, td) - 1;
      const r = Number(tr.dataset.row);
      openCellViewer(String(headers[c]), startIndex + r + 1, rows[r][c]);
    });
    paint(true);
    // Attached later (the caller appends it): paint again once the real height is known.
    requestAnimationFrame(() => paint(true));
    return wrap;
  }

  // ---------------------------------------------------------------- SQL editor
  const editor = () => $('#sql-editor');

  function loadEditorFor(db) {
    let saved = '';
    try { saved = localStorage.getItem('hoody.sql.' + db) || ''; } catch (_) { /* ignore */ }
    editor().value = saved;
  }
  function saveEditor() {
    if (!state.db) return;
    try { localStorage.setItem('hoody.sql.' + state.db, editor().value); } catch (_) { /* ignore */ }
  }

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

  let running = false;
  let runCount = 0; // completed runs (exposed as data-runs on #sql-results)
  async function runSql() {
    if (running) return;
    if (!state.db) { toast('Open a database first', 'error'); return; }
    const text = editor().value;
    saveEditor();
    $('#share-box').hidden = true;
    const statements = splitSql(text);
    const results = $('#sql-results');
    hideSqlError();
    if (!statements.length) {
      clear(results).append(emptyState('Nothing to run', 'Type some SQL above, then press Run.'));
      return;
    }
    const params = parseParams();
    if (!params.ok) { showSqlError(new ApiError(params.error, 0, null)); return; }
    const items = statements.map((sql) => (isQuery(sql) ? { query: sql } : { statement: sql }));
    if (params.value !== undefined) items[items.length - 1].values = params.value;
    running = true;
    const btn = $('#run-btn');
    btn.disabled = true;
    const status = $('#run-status');
    status.textContent = 'Running ' + plural(statements.length, 'statement') + '…';
    results.setAttribute('aria-busy', 'true');
    const t0 = performance.now();
    try {
      const data = await runTx(items);
      const ms = Math.round(performance.now() - t0);
      status.textContent = plural(statements.length, 'statement') + ' · ' + ms + ' ms';
      renderResults(data, statements, items);
      if (items.some((it) => it.statement)) cache.schemaDirty = true;
    } catch (e) {
      status.textContent = 'Failed after ' + Math.round(performance.now() - t0) + ' ms';
      showSqlError(e, statements);
      clear(results);
    } finally {
      running = false;
      btn.disabled = false;
      results.removeAttribute('aria-busy');
      results.dataset.runs = String(++runCount);
    }
  }

  function renderResults(data, statements, items) {
    const results = clear($('#sql-results'));
    const list = Array.isArray(data.results) ? data.results : [];
    if (!list.length) { results.append(emptyState('No results', 'The server returned no results.')); return; }
    list.forEach((r, i) => {
      const card = h('section', { class: 'card result', 'aria-label': 'Result of statement ' + (i + 1) });
      const head = h('div', { class: 'result-head' },
        h('span', { class: 'badge' }, '#' + (i + 1)),
        h('code', { class: 'result-sql', title: statements[i] || '' }, preview(statements[i] || '', 160)));
      card.append(head);
      if (r && r.success === false) {
        card.append(h('div', { class: 'alert error' }, r.error || 'Failed'));
      } else if (r && (Array.isArray(r.resultSetList) || Array.isArray(r.resultSet) || Array.isArray(r.resultHeaders))) {
        const { headers, rows } = resultRows(r);
        const item = items[i] || {};
        // Past the server's 10,000-row cap the notice says how many rows the query has in all.
        const countTotal = item.query ? () => runTx([{ query: 'SELECT count(*) AS n FROM (' + item.query + '\n)', values: item.values }])
          .then((c) => Number(resultRows(c.results[0]).rows[0][0])) : null;
        card.append(resultTable(headers, rows, { label: 'Rows of statement ' + (i + 1), truncated: r.truncated === true, countTotal }));
      } else if (r && Array.isArray(r.rowsUpdatedBatch)) {
        const total = r.rowsUpdatedBatch.reduce((a, b) => a + (Number(b) || 0), 0);
        card.append(h('p', { class: 'updated' }, plural(total, 'row') + ' updated (' + plural(r.rowsUpdatedBatch.length, 'batch item') + ')'));
      } else if (r && typeof r.rowsUpdated === 'number') {
        card.append(h('p', { class: 'updated' }, plural(r.rowsUpdated, 'row') + ' updated'));
      } else {
        card.append(h('p', { class: 'updated' }, 'Done'));
      }
      results.append(card);
    });
  }

  async function share() {
    const statements = splitSql(editor().value);
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

  // ---------------------------------------------------------------- schema browser
  const browse = { table: null, offset: 0, token: 0 };

  async function loadSchema() {
    const r = await runTx([{ query: "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> '_query_history' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'view' THEN 1 WHEN 'index' THEN 2 ELSE 3 END, name" }]);
    const objects = queryObjects(r.results[0]);
    const withCols = objects.filter((o) => o.type === 'table' || o.type === 'view');
    const colsByName = {};
    if (withCols.length) {
      const cr = await runTx(withCols.map((o) => ({ query: 'SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)', values: [o.name] })));
      withCols.forEach((o, i) => { colsByName[o.name] = queryObjects(cr.results[i] || {}); });
    }
    for (const o of objects) o.columns = colsByName[o.name] || [];
    cache.schema = objects;
    cache.schemaDb = state.db;
    cache.schemaDirty = false;
    return objects;
  }

  async function enterSchema(reload, tableChanged) {
    const list = $('#schema-list');
    const detail = $('#schema-detail');
    const db = state.db;
    if (reload || cache.schemaDirty || !cache.schema || cache.schemaDb !== db) {
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
        }, h('span', { class: 'obj-name' }, o.name), h('span', { class: 'obj-meta' }, plural(o.columns.length, 'col')))));
      } else {
        ul.append(h('li', { class: 'obj-static' }, h('span', { class: 'obj-name' }, o.name), h('span', { class: 'obj-meta' }, (type === 'index' ? 'on ' : 'trigger on ') + o.tbl_name)));
      }
    }
    return h('div', { class: 'obj-group' }, h('h3', { class: 'side-title' }, label + ' (' + items.length + ')'), ul);
  }

  function renderSchemaList() {
    const list = clear($('#schema-list'));
    const objs = cache.schema || [];
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
    const objs = (cache.schema || []).filter((o) => (o.type === 'table' || o.type === 'view') && !o.kvInternal);
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
    const obj = (cache.schema || []).find((o) => o.name === name && (o.type === 'table' || o.type === 'view'));
    if (!obj) {
      detail.append(emptyState('Not found', 'There is no table or view named "' + name + '".',
        h('button', { type: 'button', class: 'btn small', onclick: () => navigate({ view: 'schema', table: null }) }, 'Show all tables')));
      return;
    }
    const related = (cache.schema || []).filter((o) => (o.type === 'index' || o.type === 'trigger') && o.tbl_name === name);
    detail.append(...[
      h('div', { class: 'detail-head' },
        h('h3', { class: 'detail-title' }, obj.name, ' ', h('span', { class: 'badge' }, obj.type)),
        h('div', { class: 'btn-row' },
          h('button', { type: 'button', class: 'btn small', onclick: () => { editor().value = 'SELECT * FROM ' + quoteIdent(obj.name) + ' LIMIT 100;'; navigate({ view: 'sql' }); editor().focus(); } }, 'Query in editor'),
          h('button', { type: 'button', class: 'btn small ghost', onclick: () => navigate({ view: 'schema', table: null }) }, 'All tables'))),
      h('h4', { class: 'section-title' }, 'Columns'),
      columnsTable(obj.columns),
      related.length ? h('p', { class: 'muted small' }, 'Indexes & triggers: ', related.map((o) => o.name).join(', ')) : null,
      obj.sql ? h('details', { class: 'sql-details' }, h('summary', null, 'CREATE statement'), h('pre', { class: 'code' }, obj.sql)) : null,
      h('h4', { class: 'section-title' }, 'Rows'),
      h('div', { id: 'browse-rows' })].filter(Boolean));
    browse.table = name;
    browse.offset = 0;
    loadBrowsePage();
  }

  async function loadBrowsePage() {
    const box = $('#browse-rows');
    if (!box) return;
    const token = ++browse.token;
    const name = browse.table;
    const offset = browse.offset;
    clear(box).append(loading('Loading rows…'));
    try {
      const r = await runTx([
        { query: 'SELECT * FROM ' + quoteIdent(name) + ' LIMIT ? OFFSET ?', values: [BROWSE_ROWS, offset] },
        { query: 'SELECT count(*) AS n FROM ' + quoteIdent(name) },
      ]);
      if (token !== browse.token) return;
      const { headers, rows } = resultRows(r.results[0]);
      const totalRow = resultRows(r.results[1]).rows[0];
      const total = totalRow ? Number(totalRow[0]) : rows.length;
      clear(box);
      const from = rows.length ? offset + 1 : 0;
      const to = offset + rows.length;
      const pager = h('div', { class: 'pager', role: 'navigation', 'aria-label': 'Row pages' },
        h('button', { type: 'button', class: 'btn small', id: 'browse-prev', disabled: offset <= 0, onclick: () => { browse.offset = Math.max(0, offset - BROWSE_ROWS); loadBrowsePage(); } }, '‹ Prev'),
        h('span', { class: 'pager-info', id: 'browse-info' }, total ? ('Rows ' + from.toLocaleString() + '–' + to.toLocaleString() + ' of ' + total.toLocaleString()) : 'No rows'),
        h('button', { type: 'button', class: 'btn small', id: 'browse-next', disabled: to >= total, onclick: () => { browse.offset = offset + BROWSE_ROWS; loadBrowsePage(); } }, 'Next ›'));
      box.append(pager);
      const cols = headers.length ? headers : ((cache.schema || []).find((o) => o.name === name) || { columns: [] }).columns.map((c) => c.name);
      box.append(resultTable(cols, rows, { startIndex: offset, noCount: true, label: 'Rows of ' + name }));
    } catch (e) {
      if (token !== browse.token) return;
      clear(box).append(errorState(e, loadBrowsePage));
    }
  }

  // ---------------------------------------------------------------- history
  let historyToken = 0;
  async function loadHistory() {
    const body = $('#history-body');
    const token = ++historyToken;
    const db = state.db;
    clear(body).append(loading('Loading history…'));
    $('#history-clear').disabled = true;
    let data;
    try {
      data = await api('GET', '/history', { query: { db, limit: 100 } });
    } catch (e) {
      if (token !== historyToken) return;
      clear(body).append(errorState(e, loadHistory));
      return;
    }
    if (token !== historyToken || db !== state.db) return;
    const entries = Array.isArray(data.entries) ? data.entries : Array.isArray(data.history) ? data.history : Array.isArray(data) ? data : [];
    clear(body);
    if (!entries.length) {
      body.append(emptyState('No queries yet', 'SQL you run against this database shows up here.',
        h('a', { class: 'btn small', href: hashFor({ db: state.db, view: 'sql' }) }, 'Open SQL editor')));
      return;
    }
    $('#history-clear').disabled = false;
    const total = typeof data.total === 'number' ? data.total : (typeof data.count === 'number' ? data.count : null);
    body.append(h('p', { class: 'muted small' }, total !== null && total > entries.length ? 'Newest ' + entries.length + ' of ' + total + ' entries' : plural(entries.length, 'entry').replace(/entrys$/, 'entries')));
    const ol = h('ol', { class: 'history-list' });
    entries.forEach((e, pos) => {
      const ok = e.success !== false && !e.error;
      const sql = typeof e.sql === 'string' ? e.sql : (e.query || e.statement || '');
      const meta = h('div', { class: 'history-meta' },
        h('span', { class: 'badge ' + (ok ? 'ok' : 'err') }, ok ? 'OK' : 'Error'),
        e.source ? h('span', { class: 'badge' }, e.source) : null,
        h('time', { datetime: (toDate(e.timestamp) || new Date(0)).toISOString(), title: fmtTime(e.timestamp) }, relTime(e.timestamp) || fmtTime(e.timestamp)),
        e.duration_ms !== undefined && e.duration_ms !== null ? h('span', { class: 'muted' }, Number(e.duration_ms).toFixed(Number(e.duration_ms) < 10 ? 2 : 0) + ' ms') : null,
        e.rows !== undefined && e.rows !== null ? h('span', { class: 'muted' }, plural(Number(e.rows), 'row')) : null,
        Number(e.statements) > 1 ? h('span', { class: 'muted' }, e.statements + ' statements') : null);
      const li = h('li', { class: 'card history-item', dataset: { id: String(e.id), index: String(pos) } },
        meta,
        h('pre', { class: 'code history-sql' }, sql),
        !ok && e.error ? h('p', { class: 'error-text small' }, String(e.error)) : null,
        h('div', { class: 'btn-row' },
          h('button', { type: 'button', class: 'btn small primary rerun', onclick: () => rerun(sql) }, 'Re-run'),
          h('button', { type: 'button', class: 'btn small edit', onclick: () => { editor().value = sql; saveEditor(); navigate({ view: 'sql' }); editor().focus(); } }, 'Edit'),
          h('button', { type: 'button', class: 'btn small danger delete', onclick: () => deleteHistory(e.id) }, 'Delete')));
      ol.append(li);
    });
    body.append(ol);
  }

  function rerun(sql) {
    editor().value = sql;
    $('#sql-params').value = '';
    saveEditor();
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

  // ---------------------------------------------------------------- KV browser
  // The list holds up to KV_LIMIT keys (GET /kv?limit=10000, one request) and is filtered in the
  // page by substring; only the rows in view are in the DOM. `kv.current` is the opened key: its
  // stored bytes (`buf`), content type and expiry, so that Save can tell what was edited.
  const kv = { items: [], loadedFor: null, filter: '', total: 0, more: false, listToken: 0, keyToken: 0, current: null, blobUrl: '', ops: [] };
  const KV_LIMIT = 10000;
  const KV_ROW_H = 52; // px, one key row of the virtual list (see .kv-row in style.css)

  function kvPath(key, suffix) { return '/kv/' + encodeURIComponent(key) + (suffix || ''); }

  async function enterKv(reload, keyChanged) {
    $('#kv-prefix').value = kv.filter;
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
  async function loadKvList() {
    const list = $('#kv-list');
    const token = ++kv.listToken;
    const db = state.db;
    clear(list).append(loading('Loading keys…'));
    let data;
    try {
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

  function kvMatches() {
    const f = kv.filter;
    return f ? kv.items.filter((it) => it.key.includes(f)) : kv.items;
  }

  function kvRow(it) {
    const ttl = ttlText(it.expires_at);
    return h('button', {
      type: 'button', class: 'obj-btn kv-key kv-row' + (state.key === it.key ? ' active' : ''), 'aria-current': state.key === it.key ? 'true' : null,
      dataset: { key: it.key }, title: it.key, onclick: () => navigate({ view: 'kv', key: it.key }),
    }, h('span', { class: 'obj-name kv-name' }, it.key),
      h('span', { class: 'obj-meta kv-cols' },
        h('span', { class: 'kv-type' }, it.content_type),
        h('span', { class: 'kv-size' }, fmtBytes(it.size)),
        h('span', { class: 'kv-ttl ttl-badge', dataset: { expires: it.expires_at === null ? '' : String(it.expires_at) } }, ttl)));
  }

  /** Renders the (filtered) key list; only the rows in view are in the DOM. */
  function renderKvList() {
    const list = clear($('#kv-list'));
    const items = kvMatches();
    const shown = items.length.toLocaleString();
    const of = kv.filter ? shown + ' of ' + kv.items.length.toLocaleString() + ' keys match' : plural(items.length, 'key').replace(String(items.length), shown);
    list.append(h('p', { class: 'muted small kv-count', id: 'kv-count' }, of,
      kv.more ? ' (the first ' + kv.items.length.toLocaleString() + ' of ' + Number(kv.total).toLocaleString() + ' keys are loaded and filtered)' : ''));
    if (!items.length) {
      list.append(emptyState(kv.filter ? 'No matching keys' : 'No keys yet', kv.filter ? 'No key contains "' + kv.filter + '".' : 'Create a key with "New key".'));
      return;
    }
    const inner = h('div', { class: 'vlist-inner' });
    inner.style.height = items.length * KV_ROW_H + 'px';
    const scroller = h('div', { class: 'vlist', role: 'list', 'aria-label': 'Keys' }, inner);
    scroller.style.height = Math.min(items.length * KV_ROW_H, 560) + 'px';
    list.append(scroller);
    let first = -1, last = -1;
    const paint = () => {
      const top = scroller.scrollTop;
      const height = scroller.clientHeight || 560;
      const from = Math.max(0, Math.floor(top / KV_ROW_H) - 8);
      const to = Math.min(items.length, Math.ceil((top + height) / KV_ROW_H) + 8);
      if (from === first && to === last) return;
      first = from; last = to;
      const frag = document.createDocumentFragment();
      for (let i = from; i < to; i++) {
        const row = h('div', { class: 'vlist-row', role: 'listitem' }, kvRow(items[i]));
        row.style.top = i * KV_ROW_H + 'px';
        frag.append(row);
      }
      clear(inner).append(frag);
    };
    let queued = false;
    scroller.addEventListener('scroll', () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; paint(); }); } }, { passive: true });
    paint();
    const active = items.findIndex((it) => it.key === state.key);
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

  function setMsg(el, text, kind) { el.textContent = text; el.className = 'form-msg' + (kind ? ' ' + kind : ''); }

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
  function isTextType(ct) {
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

  async function loadKey(key) {
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
    renderKeyDetail(kv.current);
    loadKvHistory(key);
  }

  function hexDump(bytes, max = 256) {
    const lines = [];
    const n = Math.min(bytes.length, max);
    for (let off = 0; off < n; off += 16) {
      const row = bytes.subarray(off, Math.min(off + 16, n));
      const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
      const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
      lines.push(off.toString(16).padStart(8, '0') + '  ' + hex.padEnd(47, ' ') + '  ' + ascii);
    }
    if (bytes.length > max) lines.push('… ' + (bytes.length - max).toLocaleString() + ' more bytes');
    return lines.join('\n');
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

  function renderKeyDetail(cur) {
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
    detail.append(form, h('section', { class: 'kv-history', 'aria-labelledby': 'kv-history-title' },
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

  /** A history operation's new/old value for the timeline (the server's one shape, docs/time-travel.md). */
  function opValue(op, which) {
    const ct = op[which + '_content_type'];
    if (ct === null || ct === undefined) return undefined; // no value on that side (created / deleted)
    const raw = op['raw_' + which + '_value'];              // sent for every type that is not JSON
    if (raw === undefined || isTextType(ct)) return op[which + '_value'];
    return '<binary ' + b64ByteLength(raw).toLocaleString() + ' bytes, ' + ct + '>';
  }

  const KV_HISTORY_PAGE = 50;

  /**
   * The key's timeline, newest first, KV_HISTORY_PAGE operations at a time ("Load older" asks for
   * the ones before the oldest shown: `before`). Rollback targets an op_number.
   */
  async function loadKvHistory(key, older) {
    const box = $('#kv-timeline');
    if (!box) return;
    const token = kv.keyToken;
    if (!older) { kv.ops = []; clear(box).append(loading('Loading history…')); }
    const query = { db: state.db, limit: KV_HISTORY_PAGE };
    if (older && kv.ops.length) query.before = kv.ops[kv.ops.length - 1].op_number;
    let data;
    try {
      data = await api('GET', kvPath(key, '/history'), { query });
    } catch (e) {
      if (token !== kv.keyToken) return;
      clear(box).append(errorState(e, () => loadKvHistory(key)));
      return;
    }
    if (token !== kv.keyToken || !box.isConnected) return;
    kv.ops = kv.ops.concat(data.operations);
    const ops = kv.ops;
    clear(box);
    if (!ops.length) { box.append(emptyState('No history', 'Changes to this key are recorded here (unless written with history=false).')); return; }
    const ol = h('ol', { class: 'timeline' });
    ops.forEach((entry, i) => {
      const op = entry.operation;
      const kind = op.op;
      const nv = opValue(op, 'new');
      const opNum = entry.op_number;
      const ts = entry.timestamp_ms;
      const li = h('li', { class: 'tl-item' + (i === 0 ? ' current' : ''), dataset: { op: String(opNum) } },
        h('span', { class: 'tl-dot', 'aria-hidden': 'true' }),
        h('div', { class: 'tl-body' },
          h('div', { class: 'tl-head' },
            h('span', { class: 'badge op op-' + kind.replace(/[^a-z]/gi, '') }, kind),
            h('span', { class: 'tl-num' }, '#' + opNum),
            h('time', { title: fmtTime(ts), datetime: new Date(ts).toISOString() }, relTime(ts)),
            i === 0 ? h('span', { class: 'badge ok' }, 'current') : null),
          kind === 'delete' ? h('p', { class: 'tl-note muted small' }, 'Key deleted')
            : nv !== undefined ? h('code', { class: 'tl-value' }, nv === null ? 'null' : preview(nv, 120)) : null,
          op.new_expires_at ? h('p', { class: 'tl-note muted small' }, 'expires ' + fmtTime(op.new_expires_at)) : null,
          h('div', { class: 'btn-row' },
            h('button', { type: 'button', class: 'btn small snapshot-btn', onclick: () => viewSnapshot(key, opNum) }, 'View snapshot'),
            i > 0 ? h('button', { type: 'button', class: 'btn small rollback-btn', onclick: () => rollback(key, opNum) }, 'Roll back to here') : null)));
      ol.append(li);
    });
    box.append(ol);
    if (data.operations.length === KV_HISTORY_PAGE) {
      box.append(h('button', { type: 'button', class: 'btn small kv-older', id: 'kv-older', onclick: () => loadKvHistory(key, true) },
        'Load older operations (' + ops.length + ' shown)'));
    }
  }

  function snapshotBody(data) {
    let v = data.value;
    const ct = data.content_type || '';
    let text;
    if (data.exists === false) return { text: '(the key did not exist at this point)', ct, missing: true };
    if (v === null || v === undefined) text = 'null';
    else if (typeof v === 'string') {
      const p = isJsonType(ct) ? tryParseJson(v) : { ok: false };
      text = p.ok ? JSON.stringify(p.value, null, 2) : v;
    } else text = JSON.stringify(v, null, 2);
    return { text, ct };
  }

  async function viewSnapshot(key, opNum) {
    try {
      const data = await api('GET', kvPath(key, '/snapshot'), { query: { db: state.db, op_number: opNum } });
      const { text, ct } = snapshotBody(data);
      await infoDialog('Snapshot of "' + key + '" at op #' + opNum,
        h('div', null, h('p', { class: 'muted small' }, ct ? 'Content type: ' + ct : ''), h('pre', { class: 'code snapshot-value' }, text)));
    } catch (e) {
      toast('Could not load snapshot: ' + errMessage(e), 'error');
    }
  }

  async function rollback(key, opNum) {
    // POST /kv/{key}/rollback counts steps back from the newest operation: the operations newer than
    // the target, all of them loaded (the timeline is contiguous from the newest).
    const steps = kv.ops.filter((o) => o.op_number > opNum).length;
    let snap = null;
    try {
      snap = snapshotBody(await api('GET', kvPath(key, '/snapshot'), { query: { db: state.db, op_number: opNum } }));
    } catch (_) { snap = null; }
    const body = h('div', null,
      h('p', null, 'Undo the last ', h('strong', null, plural(steps, 'operation')), ' on ', h('code', null, key), '?'),
      snap && snap.missing ? h('p', { class: 'muted small' }, 'The key did not exist at op #' + opNum + ', so it will be deleted.')
        : snap ? h('div', null, h('p', { class: 'muted small' }, 'The value becomes (as of op #' + opNum + '):'), h('pre', { class: 'code snapshot-value' }, snap.text)) : null);
    const ok = await confirmDialog({ title: 'Roll back "' + key + '"?', body, okLabel: 'Roll back', danger: true });
    if (!ok) return;
    try {
      const r = await api('POST', kvPath(key, '/rollback'), { query: { db: state.db, steps } });
      if (r.restored_op_number === opNum) toast('Rolled back ' + plural(steps, 'step') + ' (to op #' + opNum + ')', 'ok');
      else toast('Rolled back to op #' + r.restored_op_number + ', not #' + opNum + ': the key changed meanwhile', 'error');
      await loadKvList();
      if (state.view === 'kv' && state.key === key) await loadKey(key);
    } catch (e) {
      toast('Rollback failed: ' + errMessage(e), 'error');
    }
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    $('#db-form').addEventListener('submit', (e) => { e.preventDefault(); openDb($('#db-input').value); });
    $('#db-create').addEventListener('click', () => createDb($('#db-input').value));
    $('#welcome-form').addEventListener('submit', (e) => { e.preventDefault(); openDb($('#welcome-db').value); });
    $('#menu-toggle').addEventListener('click', () => (document.body.classList.contains('menu-open') ? closeMenu() : openMenu()));
    $('#backdrop').addEventListener('click', closeMenu);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && document.body.classList.contains('menu-open')) { closeMenu(); $('#menu-toggle').focus(); }
    });
    for (const a of document.querySelectorAll('.nav-link')) {
      a.addEventListener('click', (e) => {
        if (!state.db) { e.preventDefault(); $('#db-form-msg').textContent = 'Open a database first.'; $('#db-input').focus(); }
      });
    }

    const ed = editor();
    ed.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runSql(); }
    });
    ed.addEventListener('input', () => { saveEditorSoon(); });
    $('#sql-params').addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); runSql(); }
    });
    $('#run-btn').addEventListener('click', runSql);
    $('#share-btn').addEventListener('click', share);
    $('#share-copy').addEventListener('click', () => copyText($('#share-url').value));
    $('#format-clear').addEventListener('click', () => {
      ed.value = ''; saveEditor(); clear($('#sql-results')); hideSqlError(); $('#share-box').hidden = true; $('#run-status').textContent = ''; ed.focus();
    });

    $('#schema-refresh').addEventListener('click', () => enterSchema(true, true));
    $('#history-refresh').addEventListener('click', loadHistory);
    $('#history-clear').addEventListener('click', clearHistory);
    const kvFilter = () => { if (kv.filter !== $('#kv-prefix').value) { kv.filter = $('#kv-prefix').value; renderKvList(); } };
    $('#kv-filter').addEventListener('submit', (e) => { e.preventDefault(); kvFilter(); });
    $('#kv-prefix').addEventListener('input', kvFilter);
    setInterval(tickTtls, 1000);
    $('#kv-new').addEventListener('click', newKeyForm);

    $('#signin-button').addEventListener('click', () => signIn('Sign in with the access token of this server.').then((ok) => { if (ok) route(true); }));
    $('#signout-button').addEventListener('click', signOut);
    $('#server-dbs-refresh').addEventListener('click', loadServerDbs);

    window.addEventListener('hashchange', route);
    renderRecent();
    renderAuth();
    route();
    loadServerDbs();
  }

  let saveTimer = 0;
  function saveEditorSoon() { clearTimeout(saveTimer); saveTimer = setTimeout(saveEditor, 400); }

  // exposed for debugging and tests
  window.hoody = { splitSql, firstKeyword, isQuery, base64url, prettyJson };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
