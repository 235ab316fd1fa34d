// The SQL editor's text: one per database, kept in localStorage (`hoody.sql.<db>`). Views put SQL
// into it (setText) and read it (getText) through this module only.
//
// The editor is CodeMirror 5 (embedded in the binary from Debian's libjs-codemirror, loaded by
// index.html as classic scripts before the modules): SQLite highlighting (text/x-sqlite), and
// autocomplete of keywords, table and column names (sql-hint, fed by setSchemaHints with what
// the schema view loads) while typing or on Ctrl+Space. Without CodeMirror (its scripts did not
// load) the plain textarea #sql-editor is the editor; either way the textarea holds the text.
import { $ } from './dom.mjs';
import { state } from './router.mjs';

/** saveTimer: the pending save; cm: the CodeMirror instance (null: the textarea is the editor). */
const ed = { saveTimer: 0, cm: null, tables: {} };  // tables: setSchemaHints
const area = () => $('#sql-editor');

export function getText() { return ed.cm ? ed.cm.getValue() : area().value; }

function putText(text) {
  if (ed.cm) {
    ed.cm.setValue(text);
    ed.cm.clearHistory();
  } else {
    area().value = text;
  }
}

/** Replaces the editor's text (and saves it for the current database). */
export function setText(text) {
  putText(text);
  saveEditor();
}

/** The selected text ('' when nothing is selected). */
export function getSelectedText() {
  if (ed.cm) return ed.cm.getSelection();
  const el = area();
  return el.value.slice(el.selectionStart, el.selectionEnd);
}

/** The cursor as a character offset into getText() (the head of the selection). */
export function cursorOffset() {
  if (ed.cm) return ed.cm.indexFromPos(ed.cm.getCursor('head'));
  const el = area();
  return el.selectionDirection === 'backward' ? el.selectionStart : el.selectionEnd;
}

/** Selects the characters [from, to) of getText() (from === to: puts the cursor there). */
export function selectRange(from, to) {
  if (ed.cm) { ed.cm.setSelection(ed.cm.posFromIndex(from), ed.cm.posFromIndex(to)); return; }
  area().setSelectionRange(from, to);
}

export function focusEditor() {
  if (ed.cm) ed.cm.focus(); else area().focus();
}

/** The editor was shown: CodeMirror measures its layout again (nothing to do for the textarea). */
export function refreshEditor() {
  if (ed.cm) ed.cm.refresh();
}

/** True when CodeMirror drives the editor (false: the plain textarea). */
export function richEditor() { return ed.cm !== null; }

export function loadEditorFor(db) {
  let saved = '';
  try { saved = localStorage.getItem('hoody.sql.' + db) || ''; } catch (_) { /* ignore */ }
  putText(saved);
}

export function saveEditor() {
  if (!state.db) return;
  try { localStorage.setItem('hoody.sql.' + state.db, getText()); } catch (_) { /* ignore */ }
}

function saveEditorSoon() { clearTimeout(ed.saveTimer); ed.saveTimer = setTimeout(saveEditor, 400); }

/**
 * The names autocomplete offers: `tables` maps each table or view of the current database to
 * its column names (schema.mjs calls it whenever it loaded the schema; {} clears them).
 */
export function setSchemaHints(tables) {
  ed.tables = tables || {};
  if (ed.cm) ed.cm.setOption('hintOptions', hintOptions());
}

function hintOptions() {
  return { tables: ed.tables, completeSingle: false, hint: sqlHint };
}

/** The columns of `name`: a table or view (any case), or an alias of one in the editor's text. */
function columnsOf(name, text) {
  const lower = name.toLowerCase();
  const find = (n) => Object.keys(ed.tables).find((t) => t.toLowerCase() === n);
  let table = find(lower);
  if (!table) {
    const alias = new RegExp('([\\w$]+)\\s+(?:as\\s+)?' + lower.replace(/[$]/g, '\\$&') + '\\b', 'gi');
    for (const m of text.matchAll(alias)) { table = find(m[1].toLowerCase()); if (table) break; }
  }
  return table ? ed.tables[table] : null;
}

/**
 * Completions at the cursor: after `name.` the columns of that table or alias (sql-hint offers
 * them only right after the dot in SQLite mode); otherwise sql-hint's keywords and names, less
 * the one that only repeats the word already typed.
 */
function sqlHint(cm, options) {
  const CM = window.CodeMirror;
  const cur = cm.getCursor();
  const before = cm.getLine(cur.line).slice(0, cur.ch);
  const dotted = /([A-Za-z_][\w$]*)\.([\w$]*)$/.exec(before);
  if (dotted) {
    const cols = columnsOf(dotted[1], cm.getValue()) || [];
    const prefix = dotted[2].toLowerCase();
    const list = cols.filter((c) => c.toLowerCase().startsWith(prefix) && c.toLowerCase() !== prefix);
    return list.length ? { list, from: CM.Pos(cur.line, cur.ch - dotted[2].length), to: cur } : null;
  }
  const found = CM.hint.sql(cm, options);
  if (!found) return found;
  const word = cm.getRange(found.from, found.to).toLowerCase();
  found.list = found.list.filter((c) => (typeof c === 'string' ? c : c.text).toLowerCase() !== word);
  return found.list.length ? found : null;
}

/**
 * Wires the editor: Ctrl/⌘+Enter calls onRun, Ctrl/⌘+Shift+Enter onRunStatement; edits are
 * saved shortly after typing stops.
 */
export function initEditor({ onRun, onRunStatement }) {
  const el = area();
  const CM = window.CodeMirror;
  if (CM && CM.hint && CM.hint.sql && typeof CM.fromTextArea === 'function') {
    const run = () => { onRun(); };
    const runStatement = () => { onRunStatement(); };
    ed.cm = CM.fromTextArea(el, {
      mode: 'text/x-sqlite',
      lineNumbers: true,
      lineWrapping: true,  // no horizontal scrolling on a phone
      viewportMargin: Infinity,  // the editor grows with its text (up to the CSS max-height)
      screenReaderLabel: 'SQL',
      extraKeys: {
        'Ctrl-Enter': run,
        'Cmd-Enter': run,
        'Shift-Ctrl-Enter': runStatement,
        'Shift-Cmd-Enter': runStatement,
        'Ctrl-Space': 'autocomplete',
      },
      hintOptions: hintOptions(),
    });
    ed.cm.on('change', () => { ed.cm.save(); saveEditorSoon(); });
    // Suggest names while typing a word (or after "table."), not on other keys.
    ed.cm.on('inputRead', (cm, change) => {
      if (cm.state.completionActive || change.origin !== '+input') return;
      if (/^[\w.]$/.test(change.text.join(''))) cm.showHint(hintOptions());
    });
    document.body.classList.add('rich-editor');
    return;
  }
  el.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); if (e.shiftKey) onRunStatement(); else onRun(); }
  });
  el.addEventListener('input', saveEditorSoon);
}
