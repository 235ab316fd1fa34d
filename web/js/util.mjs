// Pure helpers: formatting, encodings, JSON text. No DOM, no state.

export function errMessage(err) {
  if (!err) return 'Unknown error';
  return err.message || String(err);
}

/** A Date of a Unix-ms time (every time the API sends is Unix ms), or null. */
function toDate(ms) {
  if (typeof ms !== 'number' || !isFinite(ms)) return null;
  return new Date(ms);
}

export function fmtTime(t) {
  const d = toDate(t);
  if (!d) return '—';
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function relTime(t) {
  const d = toDate(t);
  if (!d) return '';
  const s = Math.round((d.getTime() - Date.now()) / 1000);
  const abs = Math.abs(s);
  let v, unit;
  if (abs < 45) { v = s; unit = 'second'; }
  else if (abs < 2700) { v = Math.round(s / 60); unit = 'minute'; }
  else if (abs < 79200) { v = Math.round(s / 3600); unit = 'hour'; }
  else { v = Math.round(s / 86400); unit = 'day'; }
  try { return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(v, unit); }
  catch (_) { return d.toLocaleString(); }
}

export function fmtDuration(secs) {
  secs = Math.max(0, Math.round(secs));
  if (secs < 60) return secs + 's';
  const m = Math.floor(secs / 60), s = secs % 60;
  if (m < 60) return m + 'm ' + s + 's';
  const hh = Math.floor(m / 60);
  if (hh < 48) return hh + 'h ' + (m % 60) + 'm';
  return Math.floor(hh / 24) + 'd ' + (hh % 24) + 'h';
}

export function fmtBytes(n) {
  if (n === null || n === undefined || isNaN(n)) return '';
  n = Number(n);
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
  return (n / 1048576).toFixed(1) + ' MB';
}

export function plural(n, word) { return n + ' ' + word + (n === 1 ? '' : 's'); }

export function b64ByteLength(s) {
  const clean = String(s).replace(/[\s=]/g, '');
  return Math.floor(clean.length * 3 / 4);
}

export function base64url(str) {
  const bytes = new TextEncoder().encode(str);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function decodeBase64Text(b64) {
  try {
    const bin = atob(String(b64).replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (_) { return null; }
}

export function bytesOfBase64(b64) {
  try { return Uint8Array.from(atob(String(b64).replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)); } catch (_) { return new Uint8Array(0); }
}

export function quoteIdent(name) { return '"' + String(name).replace(/"/g, '""') + '"'; }

/** The media type without parameters: 'text/plain; charset=utf-8' → 'text/plain'. */
export function baseType(ct) { return String(ct || '').split(';')[0].trim(); }

export function isJsonType(ct) { return /\bjson\b/i.test(baseType(ct)); }

// SQLite INTEGERs are 64-bit; a JS number is exact only up to 2^53. Every JSON the console reads
// (API answers, typed parameters, imported files) goes through parseJsonExact, which keeps an
// integer beyond 2^53 as a BigInt (JSON.parse source text access), and everything it sends or
// shows through stringifyJsonExact, which writes a BigInt back as a plain JSON number
// (JSON.rawJSON). So a snowflake id reads, displays, filters, links and edits exactly.
const BIG_DIGITS = /\d{16}/;  // an integer beyond 2^53 has at least 16 digits

export function parseJsonExact(text) {
  if (!BIG_DIGITS.test(text)) return JSON.parse(text);  // nothing to keep: the fast path
  return JSON.parse(text, (key, value, context) =>
    (typeof value === 'number' && !Number.isSafeInteger(value) && context && /^-?\d+$/.test(context.source)
      ? BigInt(context.source) : value));
}

export function stringifyJsonExact(value, space) {
  return JSON.stringify(value, (key, v) => (typeof v === 'bigint'
    ? (typeof JSON.rawJSON === 'function' ? JSON.rawJSON(v.toString()) : Number(v)) : v), space);
}

export function tryParseJson(text) {
  try { return { ok: true, value: parseJsonExact(text) }; } catch (_) { return { ok: false }; }
}

/**
 * JSON text re-indented by 2 like JSON.stringify(v, null, 2), changing only the whitespace
 * between tokens: numbers (beyond 2^53, `1.50`), escapes and duplicate members stay as written.
 * Text that is not JSON is returned as is.
 */
export function prettyJson(text) {
  if (!tryParseJson(text).ok) return text;
  let out = '', depth = 0, i = 0;
  const newline = () => '\n' + '  '.repeat(depth);
  const isSpace = (ch) => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
  while (i < text.length) {
    const c = text[i];
    if (c === '"') { // a string token, copied verbatim
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    i++;
    if (isSpace(c)) continue;
    if (c === '{' || c === '[') {
      let j = i;
      while (isSpace(text[j])) j++;
      if (text[j] === (c === '{' ? '}' : ']')) { out += c + text[j]; i = j + 1; continue; } // {} or []
      depth++;
      out += c + newline();
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') out += ',' + newline();
    else if (c === ':') out += ': ';
    else out += c;
  }
  return out;
}

export function preview(v, max = 80) {
  let s;
  if (v === undefined) return '';
  if (typeof v === 'string') s = v; else s = stringifyJsonExact(v);
  if (s === undefined) s = String(v);
  return s.length > max ? s.slice(0, max) + '…' : s;
}

export function hexDump(bytes, max = 256) {
  const lines = [];
  const n = Math.min(bytes.length, max);
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(off.toString(16).padStart(8, '0') + '  ' + hex.padEnd(47, ' ') + '  ' + ascii);
  }
  if (bytes.length > max) lines.push('… ' + (bytes.length - max).toLocaleString() + ' more bytes');
  return lines.join('\n');
}

/** Whether a KV filter is a glob (it has `*`, `?` or `[`) rather than a substring. */
export function isGlob(pattern) { return /[*?[]/.test(pattern); }

/**
 * A glob as an anchored RegExp over the whole key (Redis KEYS style): `*` any run of characters,
 * `?` one character, `[abc]` / `[a-z]` one of a set, `[!a]` or `[^a]` one not in it; `\` makes
 * the next character literal; a `[` without its `]` is literal. Characters, not UTF-16 units.
 */
export function globRegExp(glob) {
  const esc = (c) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const chars = Array.from(glob);
  let re = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === '*') re += '[^]*';
    else if (c === '?') re += '[^]';
    else if (c === '\\' && i + 1 < chars.length) re += esc(chars[++i]);
    else if (c === '[') {
      let j = i + 1;
      const negate = chars[j] === '!' || chars[j] === '^';
      if (negate) j++;
      const start = j;
      if (chars[j] === ']') j++; // a "]" first in the set is literal
      while (j < chars.length && chars[j] !== ']') j++;
      if (j >= chars.length) { re += esc(c); continue; }
      const set = chars.slice(start, j).map((s) => (s === '-' ? '-' : esc(s))).join('');
      re += '[' + (negate ? '^' : '') + set + ']';
      i = j;
    } else re += esc(c);
  }
  return new RegExp('^' + re + '$', 'u');
}

/**
 * A line diff of two texts: [{ kind: 'same' | 'add' | 'del', line }], in order (old lines before
 * the new ones that replace them). Common prefix and suffix are matched first; the middle by a
 * longest common subsequence, or, past 4 million cells, as all removed then all added.
 */
export function lineDiff(a, b) {
  const x = String(a).split('\n');
  const y = String(b).split('\n');
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const out = x.slice(0, pre).map((line) => ({ kind: 'same', line }));
  const xm = x.slice(pre, x.length - suf);
  const ym = y.slice(pre, y.length - suf);
  const n = xm.length;
  const m = ym.length;
  if (n * m > 4_000_000) {
    for (const line of xm) out.push({ kind: 'del', line });
    for (const line of ym) out.push({ kind: 'add', line });
  } else {
    // lcs[i][j]: the LCS length of xm[i..] and ym[j..], one flat array of (n+1)*(m+1).
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = xm[i] === ym[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xm[i] === ym[j]) { out.push({ kind: 'same', line: xm[i] }); i++; j++; }
      else if (j >= m || (i < n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) out.push({ kind: 'del', line: xm[i++] });
      else out.push({ kind: 'add', line: ym[j++] });
    }
  }
  for (const line of x.slice(x.length - suf)) out.push({ kind: 'same', line });
  return out;
}
