// Export: a whole table or view through GET /export (the server streams it in chunks; here it
// becomes a file), and a result already in the page as CSV or JSON (at most 10,000 rows, built
// here in the same formats: RFC 4180 CSV with CRLF, NULL empty, a BLOB its base64; JSON rows
// as objects, a BLOB {"base64": ...}).
import { api } from './api.mjs';
import { toast } from './dom.mjs';
import { errMessage, stringifyJsonExact } from './util.mjs';

/** Saves `blob` as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The file name of a Content-Disposition header, or `fallback`. */
function dispositionName(header, fallback) {
  const m = /filename="([^"]+)"/.exec(header || '');
  return m ? m[1] : fallback;
}

/** Downloads table or view `table` of `db` as `format` ('csv' or 'json'). */
export async function exportTable(db, table, format) {
  toast('Exporting "' + table + '" as ' + format.toUpperCase() + '…', 'info');
  try {
    // With a token the download cannot be a plain link (no header): fetched, then saved.
    const res = await api('GET', '/export', { query: { db, table, format }, expect: 'raw' });
    const name = dispositionName(res.headers.get('content-disposition'), table + '.' + format);
    saveBlob(new Blob([res.buf], { type: res.contentType }), name);
    toast('Exported "' + table + '" (' + name + ')', 'ok');
  } catch (e) {
    // A reset connection (the table changed or the database closed mid-export) lands here too.
    toast('Export failed: ' + errMessage(e), 'error');
  }
}

function csvField(text) {
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

function csvCell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return csvField(v);
  if (v && typeof v === 'object' && typeof v.base64 === 'string') return v.base64;
  return csvField(stringifyJsonExact(v));
}

/** A result (headers, rows as lists) as CSV text. */
export function resultCsv(headers, rows) {
  const lines = [headers.map((name) => csvField(String(name))).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return lines.join('\r\n') + '\r\n';
}

/** A result as a JSON array of row objects (duplicate column names get _2, _3, ...). */
export function resultJson(headers, rows) {
  const seen = new Set();
  const keys = headers.map((name) => {
    let key = String(name);
    for (let n = 2; seen.has(key); n++) key = name + '_' + n;
    seen.add(key);
    return key;
  });
  return stringifyJsonExact(rows.map((row) => Object.fromEntries(keys.map((k, c) => [k, row[c] === undefined ? null : row[c]]))), null, 0)
    .replace(/^\[\{/, '[\n{').replace(/\},\{/g, '},\n{').replace(/\}\]$/, '}\n]') + '\n';
}

/** Saves a result shown in the page. */
export function saveResult(headers, rows, format, baseName) {
  const text = format === 'csv' ? resultCsv(headers, rows) : resultJson(headers, rows);
  saveBlob(new Blob([text], { type: format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json' }), baseName + '.' + format);
}
