// The SQL editor's text: per database, in tabs (add, close, rename; each tab's text kept in
// localStorage by sqltabs.mjs). Views put SQL into the current tab (setText) and read it
// (getText) through this module only; openTab puts SQL into a new tab.
//
// The editor is CodeMirror 5 (embedded in the binary from Debian's libjs-codemirror, loaded by
// index.html as classic scripts before the modules): SQLite highlighting (text/x-sqlite), and
// autocomplete of keywords, table and column names (sql-hint, fed by setSchemaHints with what
// the schema view loads) while typing or on Ctrl+Space. Without CodeMirror (its scripts did not
// load) the plain textarea #sql-editor is the editor; either way the textarea holds the text.
import { $, clear, h } from './dom.mjs';
import { loadTabs, nextTabName, storeTabs } from './sqltabs.mjs';

/** saveTimer: the pending save; cm: the CodeMirror instance (null: the textarea is the editor). */
const ed = { saveTimer: 0, cm: null, tables: {}, db: '', tabs: null };  // tables: setSchemaHints; tabs: sqltabs.mjs's model of database db
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
  saveEditor();  // the previous database's edits not saved yet
  ed.db = db;
  ed.tabs = loadTabs(db);
  putText(ed.tabs.tabs[ed.tabs.active].text);
  renderTabs();
}

/** Keeps the editor's text as the current tab's (in localStorage). */
export function saveEditor() {
  clearTimeout(ed.saveTimer);
  if (!ed.db || !ed.tabs) return;
  ed.tabs.tabs[ed.tabs.active].text = getText();
  storeTabs(ed.db, ed.tabs);
}

function switchTab(i) {
  if (!ed.tabs || i === ed.tabs.active) return;
  saveEditor();
  ed.tabs.active = i;
  putText(ed.tabs.tabs[i].text);
  storeTabs(ed.db, ed.tabs);
  renderTabs();
  focusEditor();
}

/** The current tab's name. */
export function tabName() { return ed.tabs ? ed.tabs.tabs[ed.tabs.active].name : ''; }

/** Opens a new tab (named `name`, or "Query N") holding `text`, and makes it current. */
export function openTab(text = '', name) {
  if (!ed.tabs) return;
  saveEditor();
  ed.tabs.tabs.push({ name: name || nextTabName(ed.tabs.tabs), text });
  ed.tabs.active = ed.tabs.tabs.length - 1;
  putText(text);
  storeTabs(ed.db, ed.tabs);
  renderTabs();
  focusEditor();
}

function closeTab(i) {
  if (!ed.tabs || ed.tabs.tabs.length < 2) return;
  saveEditor();
  ed.tabs.tabs.splice(i, 1);
  if (ed.tabs.active > i || ed.tabs.active === ed.tabs.tabs.length) ed.tabs.active--;
  putText(ed.tabs.tabs[ed.tabs.active].text);
  storeTabs(ed.db, ed.tabs);
  renderTabs();
}

/** Rename: the tab's label becomes a text field; Enter or leaving it keeps the name, Esc does not. */
function renameTab(i) {
  const tab = $('#sql-tabs').querySelectorAll('.sql-tab')[i];
  if (!tab) return;
  const input = h('input', { class: 'sql-tab-name', value: ed.tabs.tabs[i].name, 'aria-label': 'Tab name', maxlength: 60 });
  let done = false;
  const finish = (keep) => {
    if (done) return;
    done = true;
    const name = input.value.trim();
    if (keep && name) { ed.tabs.tabs[i].name = name; storeTabs(ed.db, ed.tabs); }
    renderTabs();
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { e.preventDefault(); finish(true); } else if (e.key === 'Escape') { e.preventDefault(); finish(false); }
  });
  input.addEventListener('blur', () => finish(true));
  tab.querySelector('.sql-tab-btn').replaceWith(input);
  input.focus();
  input.select();
}

/** The tab bar (#sql-tabs): a button per tab (double-click renames), rename and close, "+". */
function renderTabs() {
  const bar = clear($('#sql-tabs'));
  const { tabs, active } = ed.tabs;
  tabs.forEach((t, i) => {
    const on = i === active;
    bar.append(h('div', { class: 'sql-tab' + (on ? ' active' : ''), dataset: { index: String(i) } },
      h('button', { type: 'button', class: 'sql-tab-btn', role: 'tab', 'aria-selected': on ? 'true' : 'false', title: t.name,
        onclick: () => switchTab(i), ondblclick: () => renameTab(i) }, t.name),
      on ? h('button', { type: 'button', class: 'sql-tab-rename', 'aria-label': 'Rename tab ' + t.name, title: 'Rename', onclick: () => renameTab(i) }, '\u270E') : null,
      tabs.length > 1 ? h('button', { type: 'button', class: 'sql-tab-close', 'aria-label': 'Close tab ' + t.name, title: 'Close', onclick: () => closeTab(i) }, '\u00D7') : null));
  });
  bar.append(h('button', { type: 'button', class: 'sql-tab-add', 'aria-label': 'New tab', title: 'New tab', onclick: () => openTab('') }, '+'));
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
