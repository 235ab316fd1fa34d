// The opened key's atomic operations (docs/kv.md, "Atomic operations"): Increment / Decrement by
// a step for an integer value, Push / Pop for a JSON array. Each is one POST /kv/{key}/<op>; the
// answer ({value} or {length}) is shown, then the list and the key are read again, which shows
// the new value and refreshes the timeline.
import { api } from './api.mjs';
import { confirmDialog, h, setMsg } from './dom.mjs';
import { kvPath, loadKey, loadKvList } from './kv.mjs';
import { state } from './router.mjs';
import { errMessage, isJsonType, preview, stringifyJsonExact, tryParseJson } from './util.mjs';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Whether the server reads `text` as an integer (decimal, spaces around allowed, signed 64-bit). */
export function isIntegerText(text) {
  const m = /^\s*\+?(-?\d+)\s*$/.exec(text);
  if (!m) return false;
  const n = BigInt(m[1]);
  return n >= INT64_MIN && n <= INT64_MAX;
}

/** Whether a JSON value (by its type) is an array the array operations work on. */
function isJsonArray(ct, text) {
  if (!isJsonType(ct)) return false;
  const p = tryParseJson(text);
  return p.ok && Array.isArray(p.value);
}

/**
 * The panel for `cur` (the opened key, kv.current), or null when its value is neither an integer
 * nor a JSON array. `note` is the previous operation's result, shown again after the reload;
 * `edited()` tells whether the value field has unsaved edits (the reload would drop them).
 */
export function atomicPanel(cur, note, edited) {
  if (cur.value.binary) return null;
  const counter = isIntegerText(cur.value.text);
  const array = !counter && isJsonArray(cur.contentType, cur.value.text);
  if (!counter && !array) return null;
  const msg = h('p', { class: 'form-msg', id: 'kv-atomic-msg', role: 'status', 'aria-live': 'polite' });
  if (note) setMsg(msg, note, 'ok');
  const run = async (op, query, body, done) => {
    if (edited() && !(await confirmDialog({ title: 'Unsaved edits', okLabel: 'Discard and ' + op, danger: true,
      body: h('p', null, 'The value field has edits that are not saved. The ' + op + ' reloads the key and drops them.') }))) return;
    for (const b of panel.querySelectorAll('button')) b.disabled = true;
    setMsg(msg, 'Working…');
    const key = cur.key;
    let res;
    try {
      res = await api('POST', kvPath(key, '/' + op), { query: Object.assign({ db: state.db }, query), raw: body });
    } catch (e) {
      setMsg(msg, op[0].toUpperCase() + op.slice(1) + ' failed: ' + errMessage(e), 'err');
      for (const b of panel.querySelectorAll('button')) b.disabled = false;
      return;
    }
    const text = done(res);
    // The result is shown by the key's new panel (loadKey's note), once the new value is there.
    // The list again first (it restarts the change feed after this write, so the key's own
    // change is not reported as someone else's), then the key, unless another one was opened.
    await loadKvList();
    if (state.view === 'kv' && state.key === key) loadKey(key, text);
    else setMsg(msg, text, 'ok');
  };
  let panel;
  if (counter) {
    const step = h('input', { id: 'kv-step', type: 'number', min: '1', step: '1', value: '1', inputmode: 'numeric', 'aria-label': 'Step' });
    const go = (op) => {
      const s = step.value.trim();
      if (!/^\d+$/.test(s) || /^0+$/.test(s)) { setMsg(msg, 'The step must be a whole number of at least 1.', 'err'); step.focus(); return; }
      run(op, { delta: s }, undefined, (r) => (op === 'incr' ? 'Incremented by ' : 'Decremented by ') + s + ': now ' + r.value + '.');
    };
    panel = h('div', { class: 'kv-atomic', id: 'kv-atomic' },
      h('span', { class: 'field-label' }, 'Counter'),
      h('div', { class: 'inline-fields' },
        h('button', { type: 'button', class: 'btn small', id: 'kv-decr', onclick: () => go('decr') }, '\u2212 Decrement'),
        h('button', { type: 'button', class: 'btn small', id: 'kv-incr', onclick: () => go('incr') }, '+ Increment'),
        h('label', { for: 'kv-step', class: 'field-label' }, 'by'), step),
      msg);
  } else {
    const elem = h('input', { id: 'kv-push-value', class: 'code-input', spellcheck: 'false', autocapitalize: 'off', placeholder: '"urgent" or {"id": 1}', 'aria-describedby': 'kv-push-help' });
    const push = () => {
      const t = elem.value;
      if (!t.trim()) { setMsg(msg, 'Enter the element to push.', 'err'); elem.focus(); return; }
      // JSON as typed (numbers keep their digits), else the text as a JSON string. Sent wrapped
      // in {"value": …}, which the server unwraps once, so {"value": 1} typed pushes that object.
      const json = tryParseJson(t).ok ? t.trim() : stringifyJsonExact(t);
      run('push', {}, '{"value":' + json + '}', (r) => 'Pushed ' + preview(json, 60) + ': ' + r.length + ' element' + (r.length === 1 ? '' : 's') + '.');
    };
    elem.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); push(); } });
    panel = h('div', { class: 'kv-atomic', id: 'kv-atomic' },
      h('label', { for: 'kv-push-value', class: 'field-label' }, 'Array'),
      h('div', { class: 'kv-atomic-row' }, elem,
        h('button', { type: 'button', class: 'btn small', id: 'kv-push', onclick: push }, 'Push'),
        h('button', { type: 'button', class: 'btn small', id: 'kv-pop', onclick: () => run('pop', {}, undefined, (r) => 'Popped ' + preview(stringifyJsonExact(r.value), 60) + ': ' + r.length + ' left.') }, 'Pop')),
      h('p', { class: 'muted small', id: 'kv-push-help' }, 'Push appends the element (JSON, or else the text as a string); Pop removes the last one.'),
      msg);
  }
  return panel;
}
