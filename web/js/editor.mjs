// The SQL editor's text: one per database, kept in localStorage (`hoody.sql.<db>`). Views put SQL
// into it (setText) and read it (getText) through this module only.
import { $ } from './dom.mjs';
import { state } from './router.mjs';

const ed = { saveTimer: 0 };
const area = () => $('#sql-editor');

export function getText() { return area().value; }

/** Replaces the editor's text (and saves it for the current database). */
export function setText(text) {
  area().value = text;
  saveEditor();
}

export function focusEditor() { area().focus(); }

export function loadEditorFor(db) {
  let saved = '';
  try { saved = localStorage.getItem('hoody.sql.' + db) || ''; } catch (_) { /* ignore */ }
  area().value = saved;
}

export function saveEditor() {
  if (!state.db) return;
  try { localStorage.setItem('hoody.sql.' + state.db, area().value); } catch (_) { /* ignore */ }
}

function saveEditorSoon() { clearTimeout(ed.saveTimer); ed.saveTimer = setTimeout(saveEditor, 400); }

/** Wires the editor: Ctrl/⌘+Enter calls onRun; edits are saved shortly after typing stops. */
export function initEditor({ onRun }) {
  const el = area();
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); onRun(); }
  });
  el.addEventListener('input', saveEditorSoon);
}
