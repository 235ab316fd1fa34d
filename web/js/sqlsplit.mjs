// SQL text: splitting into statements, the first keyword, query or statement, the CHECK constraints
// of a CREATE TABLE. Pure functions.
const READ_KEYWORDS = new Set(['SELECT', 'WITH', 'PRAGMA', 'EXPLAIN', 'VALUES']);

/**
 * Splits SQL text into statements on `;`, ignoring semicolons inside string literals,
 * quoted identifiers, comments and CREATE TRIGGER ... BEGIN ... END bodies.
 */
export function splitSql(text) { return sqlRanges(text).map((r) => r.sql); }

/**
 * The statement the cursor (a character offset into `text`) is in: the statement whose text,
 * with its terminating `;`, the offset falls in or right after; past the last statement, the
 * last one ('' when the text has none). Boundaries as splitSql.
 */
export function statementAt(text, offset) {
  const ranges = sqlRanges(text);
  if (!ranges.length) return '';
  const hit = ranges.find((r) => offset <= r.end);
  return (hit || ranges[ranges.length - 1]).sql;
}

/**
 * The statements of `text` as {sql, start, end}: sql as splitSql gives it, start its offset,
 * end the offset just past its `;` (or the end of the text for the last one).
 */
function sqlRanges(text) {
  const out = [];
  const n = text.length;
  let start = 0, i = 0;
  let words = [], beginDepth = 0, caseDepth = 0;
  const isTrigger = () => words[0] === 'CREATE' && (words[1] === 'TRIGGER' || ((words[1] === 'TEMP' || words[1] === 'TEMPORARY') && words[2] === 'TRIGGER'));
  const push = (from, to, end) => {
    const raw = text.slice(from, to);
    const t = raw.trim();
    if (stripComments(t).trim()) out.push({ sql: t, start: from + (raw.length - raw.trimStart().length), end });
  };
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
      push(start, i, i + 1);
      start = i + 1; words = []; caseDepth = 0;
    }
    i++;
  }
  push(start, n, n);
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

/**
 * The tokens of SQL text: {k: 'word'|'ident'|'str'|'other', v, start, end}, whitespace and
 * comments left out. `v` is a word upper-cased, a quoted identifier unquoted.
 */
function tokens(sql) {
  const out = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') { const e = sql.indexOf('\n', i); i = e < 0 ? n : e + 1; continue; }
    if (c === '/' && sql[i + 1] === '*') { const e = sql.indexOf('*/', i + 2); i = e < 0 ? n : e + 2; continue; }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < n) { if (sql[j] === c) { if (sql[j + 1] === c) { j += 2; continue; } break; } j++; }
      const body = sql.slice(i + 1, j).split(c + c).join(c);
      out.push({ k: c === "'" ? 'str' : 'ident', v: body, start: i, end: Math.min(n, j + 1) });
      i = j + 1; continue;
    }
    if (c === '[') {
      const e = sql.indexOf(']', i + 1);
      const j = e < 0 ? n : e;
      out.push({ k: 'ident', v: sql.slice(i + 1, j), start: i, end: Math.min(n, j + 1) });
      i = j + 1; continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$]/.test(sql[j])) j++;
      out.push({ k: 'word', v: sql.slice(i, j).toUpperCase(), raw: sql.slice(i, j), start: i, end: j });
      i = j; continue;
    }
    out.push({ k: 'other', v: c, start: i, end: i + 1 });
    i++;
  }
  return out;
}

const TABLE_CONSTRAINT = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);

/**
 * The CHECK constraints of a CREATE TABLE statement, in order: {column (null for a table
 * constraint), name (CONSTRAINT name, or null), expr (the text between the parentheses)}.
 * A real tokenizer: 'CHECK' inside a string, a quoted name or a comment is not a constraint.
 */
export function checkConstraints(sql) {
  const t = tokens(String(sql || ''));
  const out = [];
  let i = t.findIndex((x) => x.k === 'other' && x.v === '(');
  if (i < 0) return out;
  let depth = 1, defStart = i + 1;
  for (i = i + 1; i < t.length && depth > 0; i++) {
    const x = t[i];
    if (x.k === 'other' && x.v === '(') { depth++; continue; }
    if (x.k === 'other' && x.v === ')') { depth--; continue; }
    if (depth !== 1) continue;
    if (x.k === 'other' && x.v === ',') { defStart = i + 1; continue; }
    if (!(x.k === 'word' && x.v === 'CHECK') || !(t[i + 1] && t[i + 1].k === 'other' && t[i + 1].v === '(')) continue;
    // the balanced parentheses after CHECK
    let d = 0, j = i + 1;
    for (; j < t.length; j++) {
      if (t[j].k === 'other' && t[j].v === '(') d++;
      else if (t[j].k === 'other' && t[j].v === ')' && --d === 0) break;
    }
    if (j >= t.length) break;
    const first = t[defStart];
    const column = first && !(first.k === 'word' && TABLE_CONSTRAINT.has(first.v)) ? (first.k === 'word' ? first.raw : first.v) : null;
    const named = i >= 2 && t[i - 2].k === 'word' && t[i - 2].v === 'CONSTRAINT' && i - 2 >= defStart;
    const nameTok = named ? t[i - 1] : null;
    out.push({ column, name: nameTok ? (nameTok.k === 'word' ? nameTok.raw : nameTok.v) : null, expr: sql.slice(t[i + 1].end, t[j].start).trim() });
    i = j;
  }
  return out;
}
