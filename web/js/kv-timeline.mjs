// A key's timeline (GET /kv/{key}/history, newest first, paged with `before`), its snapshots and
// "Roll back to here" (POST /kv/{key}/rollback?steps=N, N counted from op_numbers, not positions),
// and the diff of two picked versions (the values each op wrote, from the history itself: a line
// diff of text, JSON pretty-printed first; binary: sizes and the first bytes in hex).
import { api } from './api.mjs';
import { errorState } from './dbs.mjs';
import { $, clear, confirmDialog, emptyState, h, infoDialog, loading, toast } from './dom.mjs';
import { isTextType, kv, kvPath, loadKey, loadKvList } from './kv.mjs';
import { state } from './router.mjs';
import { b64ByteLength, bytesOfBase64, errMessage, fmtBytes, fmtTime, hexDump, isJsonType, lineDiff, plural, preview, relTime, stringifyJsonExact, tryParseJson } from './util.mjs';

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
export async function loadKvHistory(key, older) {
  const box = $('#kv-timeline');
  if (!box) return;
  const token = kv.keyToken;
  if (!older) { kv.ops = []; kv.picks = []; clear(box).append(loading('Loading history…')); }
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
          i === 0 ? h('span', { class: 'badge ok' }, 'current') : null,
          h('label', { class: 'tl-pick-label small' },
            h('input', { type: 'checkbox', class: 'tl-pick', value: String(opNum), checked: kv.picks.includes(opNum) || undefined,
              'aria-label': 'Compare op #' + opNum, onchange: (e) => pickVersion(opNum, e.target.checked) }), ' compare')),
        kind === 'delete' ? h('p', { class: 'tl-note muted small' }, 'Key deleted')
          : nv !== undefined ? h('code', { class: 'tl-value' }, nv === null ? 'null' : preview(nv, 120)) : null,
        op.new_expires_at ? h('p', { class: 'tl-note muted small' }, 'expires ' + fmtTime(op.new_expires_at)) : null,
        h('div', { class: 'btn-row' },
          h('button', { type: 'button', class: 'btn small snapshot-btn', onclick: () => viewSnapshot(key, opNum) }, 'View snapshot'),
          i > 0 ? h('button', { type: 'button', class: 'btn small rollback-btn', onclick: () => rollback(key, opNum) }, 'Roll back to here') : null)));
    ol.append(li);
  });
  box.append(compareBar(key), h('div', { id: 'kv-diff' }), ol);
  updateCompareBar();
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
    text = p.ok ? stringifyJsonExact(p.value, 2) : v;
  } else text = stringifyJsonExact(v, 2);
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

// ------------------------------------------------------------------ the diff of two versions
function compareBar(key) {
  return h('div', { class: 'tl-compare btn-row' },
    h('span', { id: 'kv-compare-hint', class: 'muted small' }),
    h('button', { type: 'button', class: 'btn small', id: 'kv-compare', onclick: () => showVersionDiff(key) }, 'Compare'));
}

/** Keeps at most two picked op numbers: a third pick replaces the older pick. */
function pickVersion(opNum, on) {
  kv.picks = kv.picks.filter((n) => n !== opNum);
  if (on) kv.picks.push(opNum);
  if (kv.picks.length > 2) kv.picks.shift();
  for (const cb of document.querySelectorAll('#kv-timeline .tl-pick')) cb.checked = kv.picks.includes(Number(cb.value));
  updateCompareBar();
}

function updateCompareBar() {
  const btn = $('#kv-compare');
  const hint = $('#kv-compare-hint');
  if (!btn || !hint) return;
  const [a, b] = [...kv.picks].sort((x, y) => x - y);
  btn.disabled = kv.picks.length !== 2;
  hint.textContent = kv.picks.length === 2 ? 'Compare op #' + a + ' with op #' + b
    : kv.picks.length === 1 ? 'Pick one more version (op #' + kv.picks[0] + ' picked)' : 'Pick two versions to compare';
}

/** The value an op left, for the diff: { missing } (deleted), { bytes, ct } (binary) or { text, ct }. */
function versionOf(op) {
  const ct = op.new_content_type;
  if (op.op === 'delete' || ct === null || ct === undefined) return { missing: true };
  const raw = op.raw_new_value;
  if (raw !== undefined && !isTextType(ct)) return { bytes: bytesOfBase64(raw), ct };
  const v = op.new_value;
  if (typeof v === 'string') {
    const p = isJsonType(ct) ? tryParseJson(v) : { ok: false };
    return { text: p.ok ? stringifyJsonExact(p.value, 2) : v, ct };
  }
  return { text: v === undefined ? '' : stringifyJsonExact(v, 2), ct };
}

function showVersionDiff(key) {
  const out = $('#kv-diff');
  if (!out || kv.picks.length !== 2) return;
  const [a, b] = [...kv.picks].sort((x, y) => x - y);
  const ea = kv.ops.find((o) => o.op_number === a);
  const eb = kv.ops.find((o) => o.op_number === b);
  if (!ea || !eb) return;
  const va = versionOf(ea.operation);
  const vb = versionOf(eb.operation);
  const head = h('div', { class: 'diff-head' },
    h('strong', null, 'op #' + a + ' → op #' + b),
    h('button', { type: 'button', class: 'btn small', id: 'kv-diff-close', onclick: () => clear(out) }, 'Close'));
  clear(out).append(h('div', { class: 'version-diff', dataset: { from: String(a), to: String(b) } }, head, diffBody(va, vb, a, b)));
}

function diffBody(va, vb, a, b) {
  const side = (v, n) => (v.missing ? 'op #' + n + ': the key was deleted' : 'op #' + n + ': ' + (v.ct || ''));
  if (va.bytes || vb.bytes) {
    const bytes = (v) => (v.missing ? new Uint8Array(0) : v.bytes || new TextEncoder().encode(v.text));
    const ba = bytes(va);
    const bb = bytes(vb);
    const same = ba.length === bb.length && ba.every((x, i) => x === bb[i]);
    return h('div', { class: 'diff-binary' },
      h('p', { class: 'small', id: 'kv-diff-sizes' }, 'Binary: ' + ba.length.toLocaleString('en') + ' bytes → ' + bb.length.toLocaleString('en') + ' bytes (' + fmtBytes(ba.length) + ' → ' + fmtBytes(bb.length) + ')' + (same ? ', identical' : '')),
      h('p', { class: 'muted small' }, side(va, a)), h('pre', { class: 'code hex diff-hex-old' }, hexDump(ba, 64)),
      h('p', { class: 'muted small' }, side(vb, b)), h('pre', { class: 'code hex diff-hex-new' }, hexDump(bb, 64)));
  }
  const lines = lineDiff(va.missing ? '' : va.text, vb.missing ? '' : vb.text);
  const added = lines.filter((l) => l.kind === 'add').length;
  const removed = lines.filter((l) => l.kind === 'del').length;
  const mark = { same: '  ', add: '+ ', del: '- ' };
  return h('div', null,
    h('p', { class: 'small', id: 'kv-diff-summary' }, added || removed ? '+' + added + ' −' + removed + ' lines' : 'identical values'),
    va.missing || vb.missing ? h('p', { class: 'muted small' }, side(va, a) + '; ' + side(vb, b)) : null,
    h('pre', { class: 'code line-diff' }, ...lines.map((l) => h('span', { class: 'diff-line diff-' + l.kind }, mark[l.kind] + l.line + '\n'))));
}
