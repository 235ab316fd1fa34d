// DOM helpers: query, element builder, loading/empty states, toasts, the modal dialog.
export const $ = (sel, root = document) => root.querySelector(sel);

export function h(tag, attrs, ...children) {
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

export function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function emptyState(title, text, ...extra) {
  return h('div', { class: 'empty-state' }, h('p', { class: 'empty-title' }, title), text ? h('p', { class: 'muted' }, text) : null, ...extra);
}

export function toast(msg, kind = 'info') {
  const box = $('#toasts');
  const t = h('div', { class: 'toast ' + kind, role: kind === 'error' ? 'alert' : 'status' }, msg);
  box.append(t);
  setTimeout(() => { t.classList.add('hide'); setTimeout(() => t.remove(), 300); }, kind === 'error' ? 6000 : 3000);
}

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

export const confirmDialog = (opts) => modal(opts);

export const infoDialog = (title, body) => modal({ title, body, okLabel: 'Close', noCancel: true });

export function setMsg(el, text, kind) { el.textContent = text; el.className = 'form-msg' + (kind ? ' ' + kind : ''); }
