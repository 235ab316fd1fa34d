// The SQL editor's tabs and saved queries, per database, in localStorage: the tabs under
// `hoody.sqltabs.<db>` as {active, tabs: [{name, text}]} (at least one tab; a database that only
// has the older single text `hoody.sql.<db>` gets it as its first tab), the saved queries under
// `hoody.saved.<db>` as [{name, sql}] sorted by name (localeCompare), names unique. Pure storage: no DOM.

function read(key) {
  try { const v = localStorage.getItem(key); return v === null ? null : JSON.parse(v); } catch (_) { return null; }
}

function write(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch (_) { /* storage full or disabled */ }
}

/** The name a new tab gets: "Query N", N one more than the highest in use. */
export function nextTabName(tabs) {
  let n = 0;
  for (const t of tabs) { const m = /^Query (\d+)$/.exec(t.name); if (m) n = Math.max(n, Number(m[1])); }
  return 'Query ' + (n + 1);
}

export function loadTabs(db) {
  const v = read('hoody.sqltabs.' + db);
  if (v && Array.isArray(v.tabs) && v.tabs.length) {
    const tabs = v.tabs.filter((t) => t && typeof t.name === 'string' && typeof t.text === 'string');
    if (tabs.length) {
      const active = Number.isInteger(v.active) && v.active >= 0 && v.active < tabs.length ? v.active : 0;
      return { active, tabs };
    }
  }
  let text = '';
  try { text = localStorage.getItem('hoody.sql.' + db) || ''; } catch (_) { /* ignore */ }
  return { active: 0, tabs: [{ name: 'Query 1', text }] };
}

export function storeTabs(db, model) { write('hoody.sqltabs.' + db, { active: model.active, tabs: model.tabs }); }

export function loadSaved(db) {
  const v = read('hoody.saved.' + db);
  return Array.isArray(v) ? v.filter((q) => q && typeof q.name === 'string' && typeof q.sql === 'string') : [];
}

/** Saves `sql` as `name` (replacing a saved query of that name); returns the new list. */
export function saveQuery(db, name, sql) {
  const list = loadSaved(db).filter((q) => q.name !== name);
  list.push({ name, sql });
  list.sort((a, b) => a.name.localeCompare(b.name));
  write('hoody.saved.' + db, list);
  return list;
}

export function deleteSaved(db, name) {
  const list = loadSaved(db).filter((q) => q.name !== name);
  write('hoody.saved.' + db, list);
  return list;
}
