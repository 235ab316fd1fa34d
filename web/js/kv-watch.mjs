// Live KV list: the list follows the table's change feed (GET /kv/watch, docs/watch.md) while the KV view of
// this database is open: long polls (fetch, so the access token goes along as a header, which an
// EventSource cannot send), each resuming at the previous answer's last_seq. A change updates
// or removes its row; a gap (history=false write) or a dropped cursor reloads the list. The
// opened key is not reloaded under the user's edits: its detail says that it changed.
import { API, api, authToken } from './api.mjs';
import { $, clear, h } from './dom.mjs';
import { kv, loadKey, loadKvList, renderKvList } from './kv.mjs';
import { state } from './router.mjs';

/** The change feed's newest seq (a long poll that does not wait), or null without a feed. */
export async function feedHead(db) {
  try {
    return (await api('GET', '/kv/watch', { query: { db, wait: 0 } })).last_seq;
  } catch (e) {
    if (e.status === 401) throw e;
    return null;  // e.g. an older server: the list works, without live updates
  }
}

export async function watchKv(db, head) {
  const token = ++kv.watchToken;
  let since = head;
  let failures = 0;
  const alive = () => token === kv.watchToken && state.view === 'kv' && state.db === db;
  while (alive()) {
    const url = new URL(API + '/kv/watch', location.origin);
    url.searchParams.set('db', db);
    url.searchParams.set('wait', '25');
    url.searchParams.set('since', since);
    const headers = {};
    const bearer = authToken();
    if (bearer) headers.Authorization = 'Bearer ' + bearer;
    let data = null;
    try {
      const res = await fetch(url, { headers });
      if (res.ok) data = await res.json();
      else if (res.status === 409) { if (alive()) loadKvList(); return; }  // below the retention horizon
      else if (res.status === 401 || res.status === 404) return;
    } catch (e) { /* the server is away: retry below */ }
    if (!alive()) return;
    if (!data) {
      failures = Math.min(failures + 1, 6);
      await new Promise((r) => setTimeout(r, 500 * 2 ** failures));
      continue;
    }
    failures = 0;
    applyKvEvents(data.events);
    since = data.last_seq;
  }
}

function applyKvEvents(events) {
  if (!events.length) return;
  let reload = false;
  for (const e of events) {
    if (e.gap) { reload = true; continue; }
    const at = kv.items.findIndex((it) => it.key === e.key);
    if (!e.exists) {
      if (at >= 0) { kv.items.splice(at, 1); kv.total = Math.max(0, kv.total - 1); }
    } else {
      const size = e.encoding === 'base64' ? Math.floor(e.value.length * 3 / 4) - (e.value.endsWith('==') ? 2 : e.value.endsWith('=') ? 1 : 0) : new TextEncoder().encode(e.value).length;
      const row = { key: e.key, content_type: e.content_type, size, expires_at: e.expires_at, updated_at: e.timestamp_ms };
      if (at >= 0) kv.items[at] = Object.assign({}, kv.items[at], row);
      else {
        const pos = kv.items.findIndex((it) => it.key > e.key);
        kv.items.splice(pos < 0 ? kv.items.length : pos, 0, Object.assign({ created_at: e.timestamp_ms }, row));
        kv.total += 1;
      }
    }
    if (kv.current && kv.current.key === e.key) noteKeyChanged(e);
  }
  if (reload) { loadKvList(); return; }
  const scroller = $('#kv-list .vlist');
  const top = scroller ? scroller.scrollTop : 0;
  renderKvList();
  const again = $('#kv-list .vlist');
  if (again) again.scrollTop = top;
}

/** The opened key changed on the server: say so (and offer a reload) instead of replacing the form. */
function noteKeyChanged(e) {
  const detail = $('#kv-detail');
  let note = $('#kv-changed');
  if (!note) {
    note = h('p', { class: 'notice kv-changed', id: 'kv-changed', role: 'status' });
    detail.prepend(note);
  }
  clear(note).append(e.exists ? 'This key changed on the server (operation ' + e.op_number + ', ' + e.op + '). ' : 'This key was deleted on the server. ',
    h('button', { type: 'button', class: 'btn small', onclick: () => loadKey(kv.current.key) }, 'Reload'));
}
