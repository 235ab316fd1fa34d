// SQL text: splitting into statements, the first keyword, query or statement. Pure functions.
const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'PRAGMA', 'EXPLAIN', 'VALUES']);

/**
 * Splits SQL text into statements on `;`, ignoring semicolons inside string literals,
 * quoted identifiers, comments and CREATE TRIGGER ... BEGIN ... END bodies.
 */
export function splitSql(text) {
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

export function firstKeyword(sql) {
  const m = /^[\s(]*([A-Za-z]+)/.exec(stripComments(sql));
  return m ? m[1].toUpperCase() : '';
}

export function isQuery(sql) { return READ_KEYWORDS.has(firstKeyword(sql)); }
