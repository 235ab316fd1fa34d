// Real-browser tests of the hoody-sqlite web UI.
// Starts the real server binary (HOODY_BIN, default <repo>/build/hoody-sqlite) on a free port
// with a temporary data directory, drives Debian's chromium through playwright-core, and
// checks each view against the live API.
//
//   cd tests/browser && npm ci && node --test ui.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const BIN = process.env.HOODY_BIN || join(repo, 'build', 'hoody-sqlite');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };
const TABLET = { width: 820, height: 1100 };

// Development aid: HOODY_UI_DIR=../../web serves the UI files from disk instead of the copy
// embedded in the binary (so UI edits can be tested without rebuilding). Unset in CI.
const UI_DIR = process.env.HOODY_UI_DIR ? resolve(process.env.HOODY_UI_DIR) : '';
const MIME = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server;      // child process
let serverLog = '';
let dataDir;
let base;        // http://127.0.0.1:PORT
let browser;

// ------------------------------------------------------------------ server & API helpers
async function startServer() {
  if (!existsSync(BIN)) throw new Error(`server binary not found at ${BIN} (build it, or set HOODY_BIN)`);
  dataDir = await mkdtemp(join(tmpdir(), 'hoody-ui-'));
  const portFile = join(dataDir, 'port');
  server = spawn(BIN, ['--port', '0', '--port-file', portFile, '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (d) => { serverLog += d; });
  server.stderr.on('data', (d) => { serverLog += d; });
  let exited = null;
  server.on('exit', (code, signal) => { exited = { code, signal }; });
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (!port) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}):\n${serverLog}`);
    if (Date.now() > deadline) throw new Error(`server did not write ${portFile} within 30s:\n${serverLog}`);
    try {
      const text = (await readFile(portFile, 'utf8')).trim();
      if (/^\d+$/.test(text) && Number(text) > 0) port = Number(text);
    } catch { /* not yet */ }
    if (!port) await sleep(50);
  }
  base = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      const r = await fetch(`${base}/api/v1/sqlite/health`, { headers: { 'Content-Type': 'application/json' } });
      if (r.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`server health check failed:\n${serverLog}`);
    await sleep(50);
  }
}

async function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    const done = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    const timer = setTimeout(() => { try { server.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
    await done;
    clearTimeout(timer);
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}

/** Calls the API from node. Returns { status, headers, text, json }. */
async function call(method, path, { query, body, raw, contentType } = {}) {
  const url = new URL(`/api/v1/sqlite${path}`, base);
  for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': contentType || 'application/json' },
    body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

async function createDb(name, { kv = true } = {}) {
  const query = { path: name };
  if (kv) query.init_kv = 'true';
  const r = await call('POST', '/db/create', { query });
  assert.ok(r.status >= 200 && r.status < 300, `create ${name}: ${r.status} ${r.text}`);
}

async function sql(db, items) {
  const r = await call('POST', '/db', { query: { db }, body: { transaction: items } });
  assert.equal(r.status, 200, `POST /db failed: ${r.text}`);
  return r.json;
}

async function kvPut(db, key, value, { contentType = 'application/json', ttl } = {}) {
  const query = { db };
  if (ttl !== undefined) query.ttl = ttl;
  const r = await call('PUT', `/kv/${encodeURIComponent(key)}`, { query, raw: value, contentType });
  assert.ok(r.status >= 200 && r.status < 300, `PUT kv ${key}: ${r.status} ${r.text}`);
}

async function kvGet(db, key) {
  return call('GET', `/kv/${encodeURIComponent(key)}`, { query: { db } });
}

// ------------------------------------------------------------------ browser helpers
/** Opens a page, collecting console errors and uncaught exceptions. */
async function openPage(t, { viewport = LAPTOP, hash = '', block = null } = {}) {
  const context = await browser.newContext({ viewport });
  if (UI_DIR) {
    await context.route((url) => url.origin === base && !url.pathname.startsWith('/api/'), async (route) => {
      const path = new URL(route.request().url()).pathname;
      const file = path === '/' ? 'index.html' : path.slice(1);
      let body;
      try { body = await readFile(join(UI_DIR, file)); } catch { body = null; }
      // Not in web/ (CodeMirror, embedded from libjs-codemirror; unknown files): the binary answers.
      if (body === null) await route.continue();
      else await route.fulfill({ status: 200, contentType: MIME[file.split('.').pop()] || 'application/octet-stream', body });
    });
  }
  // `block`: a RegExp of the console's own paths to fail as a network error (e.g. CodeMirror).
  if (block) await context.route((url) => url.origin === base && block.test(url.pathname), (route) => route.abort());
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => { errors.push(`uncaught: ${e.message}`); });
  t.after(() => context.close());
  await page.goto(`${base}/${hash}`);
  await page.waitForFunction(() => window.hoody !== undefined);
  return { page, errors };
}

/** Fails on console errors; `allow` lists patterns of errors that the test provokes on purpose. */
function assertNoConsoleErrors(errors, allow = []) {
  const unexpected = errors.filter((e) => !allow.some((re) => re.test(e)));
  assert.deepEqual(unexpected, [], `console errors:\n${unexpected.join('\n')}`);
}

/** Retries an assertion until it passes or the timeout expires. */
async function eventually(fn, timeout = 10_000, interval = 100) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(interval);
    }
  }
}

/**
 * The SQL editor's text, set and read through the console's own editor seam (editor.mjs: CodeMirror,
 * or the plain textarea #sql-editor when CodeMirror is not there), never by filling the textarea.
 */
function setEditor(page, text) {
  return page.evaluate((t) => window.hoody.editor.setText(t), text);
}
function editorText(page) {
  return page.evaluate(() => window.hoody.editor.getText());
}
function focusEditor(page) {
  return page.evaluate(() => window.hoody.editor.focus());
}

async function runInEditor(page, text, { params, useKeyboard = false } = {}) {
  await setEditor(page, text);
  await page.fill('#sql-params', params || '');
  const before = await page.evaluate(() => document.querySelector('#sql-results').dataset.runs || '0');
  if (useKeyboard) {
    await focusEditor(page);
    await page.keyboard.press('Control+Enter');
  } else {
    await page.click('#run-btn');
  }
  // Wait until this run finished (the UI counts completed runs in data-runs).
  await page.waitForFunction((prev) => (document.querySelector('#sql-results').dataset.runs || '0') !== prev, before);
}

/** Reads a rendered result table: headers (without the row-number column) and cell texts. */
function readTable(page, selector) {
  return page.$eval(selector, (table) => ({
    headers: [...table.querySelectorAll('thead tr:first-child th')].slice(1).map((th) => th.textContent),
    rows: [...table.querySelectorAll('tbody tr:not(.spacer)')].map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)),
  }));
}

async function noHorizontalOverflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    return { scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth), innerWidth: window.innerWidth };
  });
}

const NETWORK_400 = /Failed to load resource: the server responded with a status of 4\d\d/;

// ------------------------------------------------------------------ setup
before(async () => {
  await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });

  await createDb('people');
  await sql('people', [
    { statement: 'CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, note TEXT, avatar BLOB)' },
    { statement: 'INSERT INTO people (id, name, score, note, avatar) VALUES (?, ?, ?, ?, ?)', valuesBatch: [
      [1, 'Ada', 98.5, null, null],
      [2, 'Grace', 87, 'x'.repeat(300), null],
      [3, 'Linus', null, 'short note', null],
    ] },
    { statement: "UPDATE people SET avatar = X'00010203' WHERE id = 1" },
  ]);

  await createDb('library', { kv: false });
  await sql('library', [
    { statement: 'CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL)' },
    { statement: 'CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors(id), title TEXT, price REAL)' },
    { statement: 'CREATE INDEX books_by_author ON books(author_id)' },
    { statement: 'CREATE VIEW cheap_books AS SELECT id, title FROM books WHERE price < 10' },
    { statement: "INSERT INTO authors (id, name) VALUES (1, 'Le Guin'), (2, 'Pratchett')" },
    { statement: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 120) INSERT INTO books (id, author_id, title, price) SELECT x, 1 + x % 2, 'Book ' || x, x * 0.5 FROM c" },
  ]);
});

after(async () => {
  if (browser) await browser.close();
  await stopServer();
});

// ------------------------------------------------------------------ tests
test('web console: index.html loads its ES modules (web/js/*.mjs) from the binary as text/javascript', async (t) => {
  // Follows the import graph from index.html's module script; every file is embedded and served
  // with a JavaScript type (a module served as anything else is refused by the browser).
  const index = await fetch(`${base}/`);
  const html = await index.text();
  const entry = /<script type="module" src="([^"]+)"><\/script>/.exec(html);
  assert.ok(entry, 'index.html has a module script');
  const seen = new Set();
  const queue = ['/' + entry[1]];
  while (queue.length) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    const r = await fetch(base + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), 'text/javascript; charset=utf-8', path);
    const text = await r.text();
    for (const m of text.matchAll(/^import [^;]* from '\.\/([\w-]+\.mjs)';$/gm)) queue.push('/js/' + m[1]);
  }
  assert.ok(seen.size >= 10, `modules: ${[...seen].join(' ')}`);
  assert.ok(seen.has('/js/api.mjs') && seen.has('/js/grid.mjs') && seen.has('/js/kv.mjs'), [...seen].join(' '));
  assert.equal((await fetch(`${base}/js/no-such.mjs`)).status, 404);
  // The page runs them: the console is up, with no console error.
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  assert.equal(await page.textContent('#current-db'), 'people');
  assertNoConsoleErrors(errors);
});

test('SQL editor: runs a query and renders NULLs, numbers, long text and BLOBs', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  assert.equal(await page.textContent('#current-db'), 'people');
  await runInEditor(page, 'SELECT id, name, score, note, avatar FROM people ORDER BY id', { useKeyboard: true });
  const table = '#sql-results .result table';
  const { headers, rows } = await readTable(page, table);
  assert.deepEqual(headers, ['id', 'name', 'score', 'note', 'avatar']);
  assert.equal(rows.length, 3);
  assert.deepEqual(rows[0], ['1', 'Ada', '98.5', 'NULL', '<blob 4 bytes>']);
  assert.equal(rows[2][2], 'NULL');
  // NULL is rendered distinctly, numbers are right-aligned.
  const nullCell = page.locator(`${table} tbody tr[data-row="0"] td:nth-child(5)`);
  assert.equal(await nullCell.getAttribute('class'), 'null');
  const align = await page.$eval(`${table} tbody tr[data-row="0"] td:nth-child(4)`, (td) => getComputedStyle(td).textAlign);
  assert.equal(align, 'right');
  // Long text is cut to one line; a click opens the cell viewer with the whole value.
  const longCell = page.locator(`${table} tbody tr[data-row="1"] td:nth-child(5)`);
  assert.ok((await longCell.textContent()).length < 200, 'long text is truncated');
  assert.equal(await longCell.evaluate((td) => getComputedStyle(td).whiteSpace), 'nowrap');
  await longCell.click();
  await page.locator('#modal .cell-value').waitFor();
  assert.equal(await page.textContent('#modal .cell-value'), 'x'.repeat(300));
  await page.click('#modal-ok');
  await page.locator('#modal').waitFor({ state: 'hidden' });
  // A BLOB opens as size and hex.
  await page.locator(`${table} tbody tr[data-row="0"] td.blob`).click();
  await page.locator('#modal .cell-value').waitFor();
  assert.match(await page.textContent('#modal'), /BLOB, 4 bytes/);
  assert.match(await page.textContent('#modal .cell-value'), /^00000000 {2}00 01 02 03/);
  await page.click('#modal-ok');
  assert.match(await page.textContent('#sql-results .row-count'), /3 rows/);
  assertNoConsoleErrors(errors);
});

test('SQL editor: several statements (quotes, comments, parameters) run as one transaction', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  await runInEditor(page, [
    "INSERT INTO people (id, name, note) VALUES (10, 'semi;colon', 'it''s; fine'); -- a comment; with a semicolon",
    '/* block; comment */ UPDATE people SET score = 1.5 WHERE id = 10;',
    'SELECT name, note, score FROM people WHERE id = ?',
  ].join('\n'), { params: '[10]' });
  const cards = page.locator('#sql-results .result');
  assert.equal(await cards.count(), 3);
  assert.match(await cards.nth(0).textContent(), /1 row updated/);
  assert.match(await cards.nth(1).textContent(), /1 row updated/);
  const { rows } = await readTable(page, '#sql-results .result:nth-child(3) table');
  assert.deepEqual(rows, [['semi;colon', "it's; fine", '1.5']]);
  assert.match(await page.textContent('#run-status'), /3 statements/);
  // the splitter is exposed for debugging; check the trigger case too
  const parts = await page.evaluate(() => window.hoody.splitSql(
    "CREATE TRIGGER tr AFTER INSERT ON people BEGIN UPDATE people SET note = CASE WHEN 1 THEN 'a;' ELSE 'b' END; SELECT 1; END; SELECT 2;"));
  assert.equal(parts.length, 2);
  assertNoConsoleErrors(errors);
});

/** Starts collecting main-thread long tasks (PerformanceObserver 'longtask') in the page. */
async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration)); })
      .observe({ type: 'longtask' });
  });
}

/** Scrolls a grid's scroller and waits two frames for the rows to be painted. */
async function scrollGrid(page, selector, top) {
  await page.$eval(selector, (el, y) => { el.scrollTop = y; }, top);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

test('data grid: 10,000 rows render virtualized, scroll, sort, with no main-thread task over 200 ms', async (t) => {
  // A long task is measured in wall time: one seen while another process hogs the 2 cores is
  // not the grid's. A grid that really blocks does so on every run, so a run with a long task is
  // repeated once on a fresh page, and the test fails if the second run has one too.
  for (let attempt = 1; ; attempt++) {
    const longTasks = await gridRun(t);
    t.diagnostic(`long tasks (ms), run ${attempt}: ${JSON.stringify(longTasks)}`);
    if (longTasks.every((ms) => ms <= 200)) return;
    assert.ok(attempt < 2, `main-thread tasks over 200 ms in two runs: ${JSON.stringify(longTasks)}`);
  }
});

/** One run of the 10,000-row grid test; returns the main-thread long tasks seen (ms). */
async function gridRun(t) {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  await watchLongTasks(page);
  await runInEditor(page, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) SELECT x, 'row ' || x AS label, x * 1.5 AS half FROM c");
  const grid = '#sql-results table.grid';
  const scroller = '#sql-results .table-wrap';
  assert.match(await page.textContent('#sql-results .row-count'), /^10,000 rows$/);
  assert.equal(await page.getAttribute(grid, 'aria-rowcount'), '10001');
  const domRows = () => page.locator(`${grid} tbody tr:not(.spacer)`).count();
  assert.ok(await domRows() < 100, `only visible rows are in the DOM (${await domRows()})`);
  let { rows } = await readTable(page, grid);
  assert.deepEqual(rows[0], ['1', 'row 1', '1.5']);
  // The header stays put, each cell is one line.
  assert.equal(await page.$eval(`${grid} thead th:nth-child(2)`, (th) => getComputedStyle(th).position), 'sticky');
  const rowHeight = await page.$eval(`${grid} tbody tr[data-row="0"]`, (tr) => tr.getBoundingClientRect().height);
  const tallest = await page.$$eval(`${grid} tbody tr:not(.spacer)`, (trs) => Math.max(...trs.map((tr) => tr.getBoundingClientRect().height)));
  assert.ok(Math.abs(tallest - rowHeight) < 1, `rows are one line (${rowHeight} / ${tallest})`);
  // Scrolling to the middle and the end paints those rows (and still few of them).
  for (const [target, first] of [[5000, 5001], [9999, 10000]]) {
    await scrollGrid(page, scroller, target * rowHeight);
    const labels = await page.$$eval(`${grid} tbody tr:not(.spacer) td:nth-child(3)`, (tds) => tds.map((td) => td.textContent));
    assert.ok(labels.includes(`row ${first}`), `row ${first} painted after scrolling`);
    assert.ok(labels.length < 100);
  }
  const box = await page.$eval(scroller, (el) => ({ scrollHeight: el.scrollHeight, rows: 10000 }));
  assert.ok(box.scrollHeight >= 10000 * rowHeight, 'the scroll area spans every row');
  // Click a header to sort: ascending, then descending.
  await scrollGrid(page, scroller, 0);
  await page.click(`${grid} thead th[data-col="1"]`);
  assert.equal(await page.getAttribute(`${grid} thead th[data-col="1"]`, 'aria-sort'), 'ascending');
  ({ rows } = await readTable(page, grid));
  assert.deepEqual(rows.slice(0, 3).map((r) => r[1]), ['row 1', 'row 10', 'row 100']);
  await page.click(`${grid} thead th[data-col="0"]`);
  await page.click(`${grid} thead th[data-col="0"]`);
  assert.equal(await page.getAttribute(`${grid} thead th[data-col="0"]`, 'aria-sort'), 'descending');
  ({ rows } = await readTable(page, grid));
  assert.deepEqual(rows[0], ['10000', 'row 10000', '15000']);
  for (let i = 1; i <= 20; i++) await scrollGrid(page, scroller, i * 500 * rowHeight);
  const longTasks = await page.evaluate(() => window.__longTasks);
  assertNoConsoleErrors(errors);
  return longTasks;
}

test('data grid: per-column filters, Go to row and resizable columns on 10,000 rows', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  await runInEditor(page, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000) SELECT x, 'row ' || x AS label, CASE WHEN x % 3 = 0 THEN NULL ELSE x % 7 END AS seven FROM c");
  const grid = '#sql-results table.grid';
  const labels = () => page.$$eval(`${grid} tbody tr:not(.spacer) td:nth-child(3)`, (tds) => tds.map((td) => td.textContent));
  // A filter on label: "row 77" is in rows 77, 770-779 and 7700-7799 (case-insensitive).
  await page.fill(`${grid} input[data-filter="1"]`, 'ROW 77');
  await page.waitForFunction(() => /^111 of 10,000 rows match the column filters$/.test(document.querySelector('#sql-results .grid-match').textContent));
  let shown = await labels();
  assert.equal(shown[0], 'row 77');
  assert.ok(shown.every((l) => l.includes('row 77')), JSON.stringify(shown.slice(0, 5)));
  assert.equal(await page.getAttribute(grid, 'aria-rowcount'), '112');
  // A second filter narrows it to the 36 multiples of 3 among them (NULL cells match "null");
  // sorting applies to what is shown.
  await page.fill(`${grid} input[data-filter="2"]`, 'null');
  await page.waitForFunction(() => /^36 of 10,000 rows match/.test(document.querySelector('#sql-results .grid-match').textContent));
  await page.click(`${grid} thead th[data-col="0"]`);
  await page.click(`${grid} thead th[data-col="0"]`);
  assert.equal((await readTable(page, grid)).rows[0][0], '7797');
  // Cleared: every row again.
  await page.fill(`${grid} input[data-filter="1"]`, '');
  await page.fill(`${grid} input[data-filter="2"]`, '');
  await page.waitForFunction(() => document.querySelector('#sql-results .grid-match').textContent === '');
  assert.equal(await page.getAttribute(grid, 'aria-rowcount'), '10001');
  // Go to row 6,543 (in the current descending order it is far down): painted and marked.
  await page.fill('#sql-results .grid-jump', '6543');
  await page.press('#sql-results .grid-jump', 'Enter');
  await page.locator(`${grid} tbody tr.jumped[data-row="6542"]`).waitFor();
  assert.ok((await labels()).includes('row 6543'));
  await page.fill('#sql-results .grid-jump', '10001');
  await page.press('#sql-results .grid-jump', 'Enter');
  assert.match(await page.textContent('#sql-results .grid-match'), /No row 10001/);
  // Resize the label column by dragging its header's right edge: wider by the drag, no sort.
  const th = page.locator(`${grid} thead th[data-col="1"]`);
  const before = (await th.boundingBox()).width;
  const handle = (await page.locator(`${grid} thead th[data-col="1"] .col-resize`).boundingBox());
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2 + 120, handle.y + handle.height / 2, { steps: 6 });
  await page.mouse.up();
  const after = (await th.boundingBox()).width;
  // Wider by about the drag (fixed table layout shares a few pixels with the other columns).
  assert.ok(after - before > 90 && after - before < 125, `${before} → ${after}`);
  assert.equal(await th.getAttribute('aria-sort'), null);
  assertNoConsoleErrors(errors);
});

test('data grid: a truncated result says "10,000 of 200,000 rows" at the top; JSON cells open pretty-printed', async (t) => {
  await createDb('big', { kv: false });
  await sql('big', [
    { statement: 'CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, payload TEXT)' },
    { statement: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) INSERT INTO events SELECT x, 'k' || (x % 7), json_object('n', x, 'tags', json_array('a', 'b')) FROM c" },
  ]);
  const { page, errors } = await openPage(t, { hash: '#db=big&view=sql' });
  await watchLongTasks(page);
  await runInEditor(page, 'SELECT * FROM events');
  const count = page.locator('#sql-results .row-count');
  await eventually(async () => assert.match(await count.textContent(), /^10,000 of 200,000 rows/));
  // The notice comes before the grid.
  assert.equal(await page.$eval('#sql-results .table-block', (b) => b.firstElementChild.classList.contains('row-count')), true);
  await page.locator('#sql-results tbody tr[data-row="0"] td.openable').click();
  await page.locator('#modal .cell-value').waitFor();
  assert.match(await page.textContent('#modal'), /JSON, /);
  assert.equal(await page.textContent('#modal .cell-value'), JSON.stringify({ n: 1, tags: ['a', 'b'] }, null, 2));
  await page.click('#modal-ok');
  const longTasks = await page.evaluate(() => window.__longTasks);
  assert.ok(longTasks.every((ms) => ms <= 200), `main-thread tasks over 200 ms: ${JSON.stringify(longTasks)}`);
  assertNoConsoleErrors(errors);
});

test('SQL editor: an error shows the message and the failing statement index', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  await runInEditor(page, "INSERT INTO people (id, name) VALUES (500, 'rolled back');\nSELECT * FROM no_such_table;\nSELECT 2");
  const box = page.locator('#sql-error');
  await box.waitFor({ state: 'visible' });
  const text = await box.textContent();
  assert.match(text, /no such table: no_such_table/);
  assert.match(text, /Statement 2 of 3 failed/);
  assert.match(text, /reqIdx 1/);
  assert.match(await box.locator('.failing-sql').textContent(), /SELECT \* FROM no_such_table/);
  assert.equal(await page.locator('#sql-results .result').count(), 0);
  // The whole transaction rolled back.
  const check = await sql('people', [{ query: 'SELECT count(*) AS n FROM people WHERE id = 500' }]);
  assert.equal(check.results[0].resultSet[0].n, 0);
  // The next successful run clears the error.
  await runInEditor(page, 'SELECT 1 AS one');
  assert.equal(await box.isVisible(), false);
  assertNoConsoleErrors(errors, [NETWORK_400]);
});

test('SQL editor: CodeMirror highlights SQLite, completes table and column names from the schema, Ctrl+Enter runs', async (t) => {
  await createDb('cmdb', { kv: false });
  await sql('cmdb', [
    { statement: 'CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, price REAL)' },
    { statement: 'CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)' },
    { statement: "INSERT INTO books (title, price) VALUES ('A', 5), ('B', 12), ('C', 20), ('D', 7)" },
  ]);
  const { page, errors } = await openPage(t, { hash: '#db=cmdb&view=sql' });
  // CodeMirror replaced the textarea (which still holds the text).
  await page.locator('#view-sql .CodeMirror').waitFor();
  assert.equal(await page.evaluate(() => window.hoody.editor.rich()), true);
  assert.equal(await page.isVisible('#sql-editor'), false);
  for (const file of ['/js/codemirror.js', '/js/codemirror-sql.js', '/js/codemirror-show-hint.js', '/js/codemirror-sql-hint.js', '/codemirror.css', '/codemirror-show-hint.css']) {
    const r = await fetch(base + file);
    assert.equal(r.status, 200, file);
    assert.match(r.headers.get('content-type'), file.endsWith('.css') ? /^text\/css/ : /^text\/javascript/, file);
  }

  // Highlighting (mode text/x-sqlite).
  await setEditor(page, "SELECT title, 'x' FROM books WHERE price < 10 -- cheap ones");
  const tokens = await page.$$eval('#view-sql .CodeMirror-code span[class^="cm-"]', (spans) => spans.map((s) => [s.className, s.textContent]));
  const of = (cls) => tokens.filter(([c]) => c.split(' ').includes(cls)).map(([, text]) => text);
  assert.deepEqual(of('cm-keyword').map((k) => k.toUpperCase()), ['SELECT', 'FROM', 'WHERE'], JSON.stringify(tokens));
  assert.deepEqual(of('cm-string'), ["'x'"]);
  assert.deepEqual(of('cm-number'), ['10']);
  assert.deepEqual(of('cm-comment'), ['-- cheap ones']);
  assert.equal(await page.inputValue('#sql-editor'), "SELECT title, 'x' FROM books WHERE price < 10 -- cheap ones");

  // Autocomplete while typing: a table name, then a column of it.
  const hints = page.locator('.CodeMirror-hints li');
  const hintTexts = () => hints.allTextContents();
  await setEditor(page, '');
  await page.waitForFunction(() => !document.querySelector('#busy.on'));  // the schema (the names) loaded
  await focusEditor(page);
  await page.keyboard.type('SELECT * FROM bo');
  await eventually(async () => assert.ok((await hintTexts()).includes('books'), JSON.stringify(await hintTexts())));
  await hints.filter({ hasText: /^books$/ }).click();
  assert.equal(await editorText(page), 'SELECT * FROM books');
  await focusEditor(page);
  await page.keyboard.type(' WHERE books.ti');
  await sleep(250);
  await eventually(async () => assert.ok((await hintTexts()).some((h) => /title$/.test(h)), JSON.stringify(await hintTexts())));
  // The list is refreshed as the hints for the typed text arrive: press Enter once the active
  // entry is the column (a busy machine can still be showing the list for an earlier prefix).
  await page.locator('.CodeMirror-hint-active', { hasText: /title$/ }).waitFor();
  await page.keyboard.press('Enter');  // picks the active hint
  await eventually(async () => assert.equal(await editorText(page), 'SELECT * FROM books WHERE books.title'));
  await page.keyboard.type(' IS NOT NULL ORDER BY price LIMIT 3');
  await page.keyboard.press('Escape');
  // Ctrl+Enter runs the editor's text.
  await page.keyboard.press('Control+Enter');
  await page.locator('#sql-results table').waitFor();
  assert.deepEqual((await readTable(page, '#sql-results table')).rows.map((r) => r[1]), ['A', 'D', 'B']);

  // Ctrl+Space lists every table; a table created in the editor is offered next.
  await runInEditor(page, 'CREATE TABLE zebras (stripes INTEGER)');
  await page.waitForFunction(() => !document.querySelector('#busy.on'));
  await setEditor(page, 'SELECT * FROM ');
  await focusEditor(page);
  await page.keyboard.press('Control+End');
  await eventually(async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Space');
    const list = await hintTexts();
    for (const name of ['authors', 'books', 'zebras']) assert.ok(list.includes(name), `${name} in ${JSON.stringify(list)}`);
  });
  await page.keyboard.press('Escape');
  assert.equal(await page.locator('.CodeMirror-hints').count(), 0);
  // After an alias and a dot: that table's columns.
  await setEditor(page, 'SELECT  FROM books AS b');
  await page.evaluate(() => { const cm = document.querySelector('#view-sql .CodeMirror').CodeMirror; cm.focus(); cm.setCursor(0, 7); });
  await page.keyboard.type('b.pr');
  await sleep(250);  // the hints of the last keystroke, not of an earlier one still showing
  await eventually(async () => assert.deepEqual(await hintTexts(), ['price']));
  // As for Enter above: Tab picks the hint once the list for the typed text is the active one.
  await page.locator('.CodeMirror-hint-active', { hasText: /^price$/ }).waitFor();
  await page.keyboard.press('Tab');
  await eventually(async () => assert.equal(await editorText(page), 'SELECT b.price FROM books AS b'));
  // None of this went into the query history but what the user ran.
  const hist = await call('GET', '/history', { query: { db: 'cmdb', limit: 100 } });
  assert.deepEqual(hist.json.entries.map((e) => e.sql).filter((q) => !/^(CREATE TABLE (books|authors)|INSERT)/.test(q)).reverse(),
    ['SELECT * FROM books WHERE books.title IS NOT NULL ORDER BY price LIMIT 3', 'CREATE TABLE zebras (stripes INTEGER)']);
  assertNoConsoleErrors(errors);
});

test('SQL editor: without CodeMirror the textarea #sql-editor is the editor (Ctrl+Enter runs)', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql', block: /^\/js\/codemirror/ });
  await page.locator('#sql-editor').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => window.hoody.editor.rich()), false);
  assert.equal(await page.locator('.CodeMirror').count(), 0);
  await page.fill('#sql-editor', 'SELECT 41 + 1 AS answer');
  await page.focus('#sql-editor');
  await page.keyboard.press('Control+Enter');
  await page.locator('#sql-results table').waitFor();
  assert.deepEqual((await readTable(page, '#sql-results table')).rows, [['42']]);
  assert.equal(await editorText(page), 'SELECT 41 + 1 AS answer');
  assertNoConsoleErrors(errors, [/Failed to load resource: net::ERR_FAILED/]);
});

test('SQL editor: Run statement (Ctrl+Shift+Enter) runs the selection, or the one statement at the cursor', async (t) => {
  await createDb('stmtdb', { kv: false });
  await sql('stmtdb', [{ statement: 'CREATE TABLE t (x INTEGER)' }]);
  for (const block of [null, /^\/js\/codemirror/]) {
    const { page, errors } = await openPage(t, { hash: '#db=stmtdb&view=sql', block });
    await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
    const text = "INSERT INTO t VALUES (1);\n-- the count; not 'this;'\nSELECT count(*) AS n, 'a;b' AS s FROM t;\n\nSELECT 7 AS seven";
    const cards = page.locator('#sql-results section.result');
    const runStatement = async (from, to, how) => {
      await setEditor(page, text);
      await focusEditor(page);
      await page.evaluate(([a, b]) => window.hoody.editor.select(a, b), [from, to]);
      const before = await page.evaluate(() => document.querySelector('#sql-results').dataset.runs || '0');
      if (how === 'key') await page.keyboard.press('Control+Shift+Enter');
      else await page.click('#run-stmt-btn');
      await page.waitForFunction((prev) => (document.querySelector('#sql-results').dataset.runs || '0') !== prev, before);
    };
    // The cursor in the SELECT count(*) (inside its string): that statement alone, the INSERT not run.
    const inCount = text.indexOf("'a;b'") + 2;
    await runStatement(inCount, inCount, 'key');
    assert.equal(await cards.count(), 1);
    assert.match(await cards.first().locator('.result-sql').textContent(), /SELECT count\(\*\) AS n/);
    assert.deepEqual((await readTable(page, '#sql-results table')).rows, [[block ? '2' : '0', 'a;b']]);  // each pass inserts 2 rows
    // Right after a statement's `;`: still that statement; the button does the same as the keys.
    await runStatement(text.indexOf(';') + 1, text.indexOf(';') + 1, 'button');
    assert.equal(await cards.count(), 1);
    assert.match(await cards.first().locator('.result-sql').textContent(), /^INSERT INTO t VALUES \(1\)$/);
    // The cursor at the end: the last statement.
    await runStatement(text.length, text.length, 'key');
    assert.deepEqual((await readTable(page, '#sql-results table')).rows, [['7']]);
    // A selection runs what is selected (here two statements, as one transaction).
    await runStatement(text.indexOf('SELECT count'), text.length, 'button');
    assert.equal(await cards.count(), 2);
    assert.deepEqual((await readTable(page, '#sql-results section.result:nth-child(1) table')).rows, [[block ? '3' : '1', 'a;b']]);
    assert.deepEqual((await readTable(page, '#sql-results section.result:nth-child(2) table')).rows, [['7']]);
    // Run still runs everything.
    await setEditor(page, text);
    await page.click('#run-btn');
    await eventually(async () => assert.equal(await cards.count(), 3));
    assert.equal(await editorText(page), text);
    assertNoConsoleErrors(errors, block ? [/Failed to load resource: net::ERR_FAILED/] : []);
  }
});

test('SQL editor: Explain shows EXPLAIN QUERY PLAN of the statement at the cursor as a tree (SCAN vs SEARCH), outside the history', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=library&view=sql' });
  await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
  const text = 'SELECT title FROM books WHERE author_id = 1;\nSELECT title FROM books WHERE price < 1 UNION ALL SELECT name FROM authors;\nDELETE FROM books';
  const plan = page.locator('#sql-results section.plan');
  const explainAt = async (offset) => {
    await setEditor(page, text);
    await page.evaluate((o) => window.hoody.editor.select(o, o), offset);
    const before = await page.evaluate(() => document.querySelector('#sql-results').dataset.runs || '0');
    await page.click('#explain-btn');
    await page.waitForFunction((prev) => (document.querySelector('#sql-results').dataset.runs || '0') !== prev, before);
    await plan.waitFor();
  };
  const nodes = () => plan.locator('li.plan-node').evaluateAll((lis) => lis.map((li) => {
    let depth = 0;
    for (let p = li.parentElement; p && !p.classList.contains('plan-tree'); p = p.parentElement) if (p.tagName === 'UL') depth++;
    return [depth, [...li.querySelector('.plan-line').children].map((c) => c.textContent).join(' '), li.className.replace('plan-node', '').trim()];
  }));
  // The first statement: an index search.
  await explainAt(5);
  assert.equal(await plan.locator('.result-sql').textContent(), 'SELECT title FROM books WHERE author_id = 1');
  const first = await nodes();
  assert.equal(first.length, 1, JSON.stringify(first));
  assert.match(first[0][1], /^SEARCH books USING (COVERING )?INDEX books_by_author \(author_id=\?\)$/);
  assert.equal(first[0][2], 'plan-search');
  // The compound: nested under its parents, each table a SCAN.
  await explainAt(text.indexOf('UNION'));
  const tree = await nodes();
  assert.deepEqual(tree.map(([d, line]) => [d, line]), [
    [0, 'COMPOUND QUERY'], [1, 'LEFT-MOST SUBQUERY'], [2, 'SCAN books'], [1, 'UNION ALL'], [2, 'SCAN authors'],
  ], JSON.stringify(tree));
  assert.deepEqual(tree.filter(([, , c]) => c === 'plan-scan').length, 2);
  assert.equal(await plan.locator('.plan-scan .badge').first().textContent(), 'SCAN');
  // A DELETE is explained, not run.
  await explainAt(text.length);
  assert.match((await nodes())[0][1], /^SCAN books$/);
  const count = await sql('library', [{ query: 'SELECT count(*) AS n FROM books' }]);
  assert.equal(count.results[0].resultSet[0].n, 120);
  // An error names the statement; the query history has none of it.
  await explainAt(0);
  await setEditor(page, 'SELECT * FROM no_such_table');
  await page.click('#explain-btn');
  await page.locator('#sql-error').waitFor();
  assert.match(await page.textContent('#sql-error'), /no such table/);
  const hist = await call('GET', '/history', { query: { db: 'library', limit: 100 } });
  assert.deepEqual(hist.json.entries.filter((e) => /EXPLAIN/i.test(e.sql)), []);
  for (const viewport of [PHONE, TABLET]) {
    await page.setViewportSize(viewport);
    await explainAt(text.indexOf('UNION'));
    const { scrollWidth, innerWidth } = await noHorizontalOverflow(page);
    assert.ok(scrollWidth <= innerWidth, `${viewport.width}px: ${scrollWidth} > ${innerWidth}`);
  }
  assertNoConsoleErrors(errors, [NETWORK_400]);
});

test('SQL editor: Cancel aborts a running query and returns to idle', async (t) => {
  await createDb('slowdb', { kv: false });
  const { page, errors } = await openPage(t, { hash: '#db=slowdb&view=sql' });
  await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
  assert.equal(await page.isVisible('#cancel-btn'), false);
  const failed = [];
  page.on('requestfailed', (r) => { if (r.url().includes('/api/v1/sqlite/db')) failed.push(r.failure().errorText); });
  // About 3 s of SQL (more on a busy machine).
  await setEditor(page, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 15000000) SELECT count(*) AS n FROM c');
  const before = await page.evaluate(() => document.querySelector('#sql-results').dataset.runs || '0');
  await page.click('#run-btn');
  await page.locator('#cancel-btn').waitFor({ state: 'visible' });
  assert.equal(await page.isDisabled('#run-btn'), true);
  assert.match(await page.textContent('#run-status'), /^Running 1 statement/);
  await sleep(300);
  await page.click('#cancel-btn');
  await page.waitForFunction((prev) => (document.querySelector('#sql-results').dataset.runs || '0') !== prev, before);
  // Idle again, saying so; the request itself was aborted (not answered).
  assert.match(await page.textContent('#run-status'), /^Cancelled after \d+ ms$/);
  assert.match(await page.textContent('#sql-results'), /Cancelled.*server stopped the statements/s);
  assert.equal(await page.isVisible('#cancel-btn'), false);
  assert.equal(await page.isDisabled('#run-btn'), false);
  assert.equal(await page.isVisible('#sql-error'), false);
  assert.deepEqual(failed, ['net::ERR_ABORTED']);
  assert.equal(await page.locator('#busy.on').count(), 0);
  // The next query runs normally.
  await runInEditor(page, 'SELECT 6 * 7 AS answer');
  assert.deepEqual((await readTable(page, '#sql-results table')).rows, [['42']]);
  assert.equal(await page.isVisible('#cancel-btn'), false);
  assertNoConsoleErrors(errors);
});

test('SQL editor: Cancel stops the server: a cancelled write commits nothing and frees the writer', async (t) => {
  await createDb('cancelwrite', { kv: false });
  await sql('cancelwrite', [{ statement: 'CREATE TABLE t (x INTEGER)' }]);
  const { page, errors } = await openPage(t, { hash: '#db=cancelwrite&view=sql' });
  await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
  // Endless: without the cancel reaching the server it would hold the writer for the whole
  // --query-timeout-ms (30 s).
  await setEditor(page, 'INSERT INTO t WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c');
  const before = await page.evaluate(() => document.querySelector('#sql-results').dataset.runs || '0');
  await page.click('#run-btn');
  await page.locator('#cancel-btn').waitFor({ state: 'visible' });
  await sleep(500);
  await page.click('#cancel-btn');
  await page.waitForFunction((prev) => (document.querySelector('#sql-results').dataset.runs || '0') !== prev, before);
  assert.match(await page.textContent('#run-status'), /^Cancelled after \d+ ms$/);
  // The writer is free at once and the cancelled insert left no row behind.
  const t0 = Date.now();
  await runInEditor(page, 'INSERT INTO t VALUES (42)');
  assert.ok(Date.now() - t0 < 5000, `the next write waited ${Date.now() - t0} ms for the writer`);
  assert.match(await page.textContent('#run-status'), /^1 statement · \d+ ms$/);
  const r = await sql('cancelwrite', [{ query: 'SELECT count(*) AS n, max(x) AS m FROM t' }]);
  assert.deepEqual(r.results[0].resultSet, [{ n: 1, m: 42 }]);
  assertNoConsoleErrors(errors);
});

test('SQL editor: tabs per database (add, switch, rename, close) and saved queries, kept in localStorage', async (t) => {
  await createDb('tabsdb', { kv: false });
  const { page, errors } = await openPage(t, { hash: '#db=tabsdb&view=sql' });
  await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
  const tabNames = () => page.locator('#sql-tabs .sql-tab-btn').allTextContents();
  const activeTab = () => page.locator('#sql-tabs .sql-tab.active .sql-tab-btn').textContent();
  await eventually(async () => assert.deepEqual(await tabNames(), ['Query 1']));
  assert.equal(await page.locator('#sql-tabs .sql-tab-close').count(), 0);  // the last tab stays
  await setEditor(page, 'SELECT 1 AS one');
  await page.click('#sql-tabs .sql-tab-add');
  assert.deepEqual(await tabNames(), ['Query 1', 'Query 2']);
  assert.equal(await activeTab(), 'Query 2');
  assert.equal(await editorText(page), '');
  await setEditor(page, 'SELECT 2 AS two');
  await page.click('#sql-tabs .sql-tab-btn >> text=Query 1');
  assert.equal(await editorText(page), 'SELECT 1 AS one');
  // Each tab runs its own text.
  await runInEditor(page, 'SELECT 1 AS one');
  assert.deepEqual((await readTable(page, '#sql-results table')).rows, [['1']]);
  // Rename (double-click): Enter keeps the name, Esc drops the edit.
  await page.dblclick('#sql-tabs .sql-tab-btn >> text=Query 2');
  await page.fill('#sql-tabs .sql-tab-name', 'Totals');
  await page.keyboard.press('Enter');
  assert.deepEqual(await tabNames(), ['Query 1', 'Totals']);
  await page.click('#sql-tabs .sql-tab-btn >> text=Totals');
  await page.click('#sql-tabs .sql-tab.active .sql-tab-rename');
  await page.fill('#sql-tabs .sql-tab-name', 'dropped');
  await page.keyboard.press('Escape');
  assert.deepEqual(await tabNames(), ['Query 1', 'Totals']);
  assert.equal(await editorText(page), 'SELECT 2 AS two');

  // Saved queries: save with a name, replace by name, open in a new tab, delete.
  await page.click('#saved-queries summary');
  assert.equal(await page.textContent('#saved-count'), '0');
  await page.fill('#save-name', 'the answer');
  await setEditor(page, 'SELECT 41 AS wrong');
  await page.click('#save-btn');
  await setEditor(page, 'SELECT 42 AS answer');
  await page.fill('#save-name', 'the answer');
  await page.click('#save-btn');
  await page.fill('#save-name', '');
  await page.click('#save-btn');  // without a name: the tab's
  assert.deepEqual(await page.locator('#saved-list .saved-open').allTextContents(), ['the answer', 'Totals']);  // by name, ignoring case
  assert.equal(await page.textContent('#saved-count'), '2');

  // All of it survives a reload; another database has its own tabs and saved queries.
  await page.reload();
  await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
  await eventually(async () => assert.deepEqual(await tabNames(), ['Query 1', 'Totals']));
  assert.equal(await activeTab(), 'Totals');
  assert.equal(await editorText(page), 'SELECT 42 AS answer');
  await page.click('#sql-tabs .sql-tab-btn >> text=Query 1');
  assert.equal(await editorText(page), 'SELECT 1 AS one');
  await page.click('#saved-queries summary');
  await page.click('#saved-list .saved-open >> text=the answer');
  assert.deepEqual(await tabNames(), ['Query 1', 'Totals', 'the answer']);
  assert.equal(await editorText(page), 'SELECT 42 AS answer');
  await page.click('#run-btn');
  await eventually(async () => assert.deepEqual((await readTable(page, '#sql-results table')).rows, [['42']]));
  await page.click('#saved-list .saved-item[data-name="Totals"] .saved-delete');
  assert.deepEqual(await page.locator('#saved-list .saved-open').allTextContents(), ['the answer']);
  const other = await openPage(t, { hash: '#db=people&view=sql' });
  await eventually(async () => assert.deepEqual(await other.page.locator('#sql-tabs .sql-tab-btn').allTextContents(), ['Query 1']));
  assert.equal(await other.page.textContent('#saved-count'), '0');

  // Close: the current tab goes, its neighbour is shown.
  await page.click('#sql-tabs .sql-tab.active .sql-tab-close');
  assert.deepEqual(await tabNames(), ['Query 1', 'Totals']);
  assert.equal(await activeTab(), 'Totals');
  assert.equal(await editorText(page), 'SELECT 42 AS answer');
  // Many tabs on a phone and a tablet: the bar wraps, the page does not scroll sideways.
  for (let i = 0; i < 6; i++) await page.click('#sql-tabs .sql-tab-add');
  for (const viewport of [PHONE, TABLET]) {
    await page.setViewportSize(viewport);
    const { scrollWidth, innerWidth } = await noHorizontalOverflow(page);
    assert.ok(scrollWidth <= innerWidth, `${viewport.width}px: ${scrollWidth} > ${innerWidth}`);
  }
  assertNoConsoleErrors(errors);
  assertNoConsoleErrors(other.errors);
});

test('schema browser: tables, views, indexes, columns and paged rows', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=library&view=schema' });
  const list = page.locator('#schema-list');
  await list.locator('.obj-btn[data-table="books"]').waitFor();
  const listText = await list.textContent();
  for (const name of ['authors', 'books', 'cheap_books', 'books_by_author']) assert.ok(listText.includes(name), `${name} listed`);
  assert.match(listText, /Tables \(2\)/);
  assert.match(listText, /Views \(1\)/);
  assert.match(listText, /Indexes \(1\)/);
  // Overview shows columns with types.
  const overview = await page.textContent('#schema-detail');
  assert.match(overview, /title\s*TEXT/);
  assert.match(overview, /price\s*REAL/);

  await list.locator('.obj-btn[data-table="books"]').click();
  await page.waitForFunction(() => location.hash.includes('table=books'));
  assert.match(page.url(), /#db=library&view=schema&table=books$/);
  // The table's detail renders once its schema loaded (after the hash changed).
  await eventually(async () => {
    const cols = await page.$$eval('#schema-detail table.columns tbody tr', (trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
    assert.deepEqual(cols, [['id', 'INTEGER'], ['author_id', 'INTEGER'], ['title', 'TEXT'], ['price', 'REAL']]);
  });

  const info = page.locator('#browse-info');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–50 of 120'));
  assert.equal(await page.isDisabled('#browse-prev'), true);
  let rows = (await readTable(page, '#browse-rows table')).rows;
  assert.equal(await page.getAttribute('#browse-rows table', 'aria-rowcount'), '51');
  assert.ok(rows.length > 10 && rows.length <= 50);
  assert.deepEqual(rows[0], ['1', '2', 'Book 1', '0.5']);
  await page.click('#browse-next');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 51–100 of 120'));
  rows = (await readTable(page, '#browse-rows table')).rows;
  assert.equal(rows[0][2], 'Book 51');
  await page.click('#browse-next');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 101–120 of 120'));
  assert.equal(await page.isDisabled('#browse-next'), true);
  await page.click('#browse-prev');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 51–100 of 120'));

  // A view browses too; the link reopens the same table.
  await list.locator('.obj-btn[data-table="cheap_books"]').click();
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–19 of 19'));
  const { page: page2 } = await openPage(t, { hash: '#db=library&view=schema&table=authors' });
  await eventually(async () => assert.equal(await page2.textContent('#browse-info'), 'Rows 1–2 of 2'));
  assertNoConsoleErrors(errors);
});

test('query history: browsing the schema and a table\'s rows adds no entry; the user\'s query does', async (t) => {
  await createDb('quiet', { kv: false });
  await sql('quiet', [
    { statement: 'CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT)' },
    { statement: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60) INSERT INTO items SELECT x, 'item ' || x FROM c" },
  ]);
  const historyOf = async () => {
    const r = await call('GET', '/history', { query: { db: 'quiet', limit: 100 } });
    assert.equal(r.status, 200, r.text);
    return r.json.entries.map((e) => e.sql);
  };
  assert.equal((await call('DELETE', '/history', { query: { db: 'quiet' } })).status, 200);
  assert.deepEqual(await historyOf(), []);

  // The schema list, a table's columns and two pages of its rows (with their counts).
  const { page, errors } = await openPage(t, { hash: '#db=quiet&view=schema' });
  await page.locator('#schema-list .obj-btn[data-table="items"]').click();
  const info = page.locator('#browse-info');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–50 of 60'));
  await page.click('#browse-next');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 51–60 of 60'));
  // A truncated result's "N of M rows" count is the console's query too.
  await page.click('.nav-link[data-view="sql"]');
  await runInEditor(page, 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10001) SELECT x FROM c');
  await eventually(async () => assert.match(await page.textContent('#sql-results .row-count'), /^10,000 of 10,001 rows/));
  const typed = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10001) SELECT x FROM c';
  await eventually(async () => assert.deepEqual(await historyOf(), [typed]));

  // The history view lists that query alone, and re-running it works.
  await page.click('.nav-link[data-view="history"]');
  await page.locator('.history-item').first().waitFor();
  assert.equal(await page.locator('.history-item').count(), 1);
  await page.locator('.history-item button.rerun').click();
  await page.waitForFunction(() => location.hash.includes('view=sql'));
  await eventually(async () => assert.match(await page.textContent('#sql-results .row-count'), /^10,000 of 10,001 rows/));
  await eventually(async () => assert.deepEqual(await historyOf(), [typed, typed]));
  assertNoConsoleErrors(errors);
});

test('table browsing: row counts, keys, indexes, CHECKs, referenced by, FK links and row permalinks, none in the history', async (t) => {
  await createDb('shop', { kv: false });
  await sql('shop', [
    // The default text holds 'CHECK (…)': it is not a constraint.
    { statement: "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT CHECK (length(name) > 0), note TEXT DEFAULT 'no CHECK (here)')" },
    { statement: 'CREATE UNIQUE INDEX customers_lower_email ON customers(lower(email))' },
    { statement: "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE, status TEXT NOT NULL DEFAULT 'new', total REAL, CONSTRAINT positive_total CHECK (total >= 0))" },
    { statement: 'CREATE INDEX orders_by_status ON orders(status, total DESC)' },
    { statement: 'CREATE TABLE order_items (order_id INTEGER REFERENCES orders, sku TEXT, qty INTEGER CHECK (qty > 0), PRIMARY KEY (order_id, sku))' },
    { statement: 'CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100' },
    { statement: 'CREATE TABLE events (at INTEGER, kind TEXT)' },
    { statement: "INSERT INTO customers (id, email, name) VALUES (1, 'ada@example.com', 'Ada'), (2, 'bob@example.com', 'Bob'), (3, 'cy@example.com', 'Cy')" },
    { statement: "INSERT INTO orders (id, customer_id, total) VALUES (1, 2, 50), (2, 3, 150), (3, 1, 10), (4, 2, 200), (5, 1, 5)" },
    { statement: "INSERT INTO order_items (order_id, sku, qty) VALUES (1, 'A', 2), (1, 'B', 1), (4, 'A', 3)" },
    { statement: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) INSERT INTO events SELECT x, 'k' || (x % 7) FROM c" },
  ]);
  assert.equal((await call('DELETE', '/history', { query: { db: 'shop' } })).status, 200);

  // Row counts arrive in the list, one per table; a view has none.
  const { page, errors } = await openPage(t, { hash: '#db=shop&view=schema' });
  const list = page.locator('#schema-list');
  await list.locator('.obj-btn[data-table="events"]').waitFor();
  const countOf = (name) => page.textContent(`#schema-list .obj-count[data-table="${name}"]`);
  await eventually(async () => {
    assert.equal(await countOf('events'), '200,000 rows');
    assert.equal(await countOf('customers'), '3 rows');
    assert.equal(await countOf('orders'), '5 rows');
    assert.equal(await countOf('order_items'), '3 rows');
  });
  assert.equal(await list.locator('.obj-btn[data-table="big_orders"] .obj-count').count(), 0);

  // customers: UNIQUE (constraint and expression index), one CHECK (not the default's text), referenced by orders.
  await list.locator('.obj-btn[data-table="customers"]').click();
  await page.locator('#table-indexes').waitFor();
  const facts = (id) => page.$$eval(`#${id} li`, (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
  const colConstraints = () => page.$$eval('#schema-detail table.columns tbody tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[2].textContent])));
  assert.equal((await colConstraints()).email, 'NOT NULLUNIQUE');
  const custIndexes = await facts('table-indexes');
  assert.equal(custIndexes.length, 2, custIndexes.join(' | '));
  assert.ok(custIndexes.includes('customers_lower_email (<expression>) UNIQUE CREATE INDEX'), custIndexes.join(' | '));
  assert.ok(custIndexes.includes('sqlite_autoindex_customers_1 (email) UNIQUE UNIQUE constraint'), custIndexes.join(' | '));
  assert.deepEqual(await facts('table-checks'), ['column name: CHECK (length(name) > 0)']);
  assert.deepEqual(await facts('table-refs'), ['orders(customer_id) → (id) ON DELETE CASCADE']);
  assert.equal(await page.locator('#table-fks').count(), 0);

  // orders: its foreign key (also in the columns), a composite index, a named table CHECK, referenced by order_items.
  await page.click('#table-refs a.obj-link');
  await page.waitForFunction(() => location.hash === '#db=shop&view=schema&table=orders');
  await page.locator('#table-fks').waitFor();
  assert.deepEqual(await facts('table-fks'), ['(customer_id) → customers(id) ON DELETE CASCADE']);
  assert.match((await colConstraints()).customer_id, /^NOT NULL→ customers\.id$/);
  assert.deepEqual(await facts('table-indexes'), ['orders_by_status (status, total DESC) CREATE INDEX']);
  assert.deepEqual(await facts('table-checks'), ['positive_total table: CHECK (total >= 0)']);
  assert.deepEqual(await facts('table-refs'), ['order_items(order_id) → (id)']);

  // A foreign-key value links to the referenced row: order 1's customer 2 opens customers filtered to Bob.
  const info = page.locator('#browse-info');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–5 of 5'));
  const fkLink = page.locator('#browse-rows tbody tr[data-row="0"] a.fk-link');
  assert.equal(await fkLink.textContent(), '2');
  await fkLink.click();
  await page.waitForFunction(() => location.hash.includes('table=customers'));
  assert.equal(decodeURIComponent(new URL(page.url()).hash), '#db=shop&view=schema&table=customers&where={"id":2}');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–1 of 1'));
  assert.match(await page.textContent('#browse-filter'), /The row where id = 2/);
  assert.deepEqual((await readTable(page, '#browse-rows table')).rows, [['2', 'bob@example.com', 'Bob', 'no CHECK (here)']]);
  // The opened row links to the rows that reference it: Bob's orders.
  assert.deepEqual(await facts('row-refs'), ['orders customer_id = 2']);
  await page.click('#row-refs a');
  await page.waitForFunction(() => location.hash.includes('table=orders'));
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–2 of 2'));
  assert.deepEqual((await readTable(page, '#browse-rows table')).rows.map((r) => r[0]), ['1', '4']);
  assert.equal(await page.locator('#row-refs').count(), 0);
  await page.goBack();
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–1 of 1'));
  await page.click('#browse-all');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–3 of 3'));
  assert.equal(await page.locator('#browse-filter').count(), 0);

  // A foreign key that names no column references the primary key: order_items.order_id → orders.id.
  await list.locator('.obj-btn[data-table="order_items"]').click();
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–3 of 3'));
  await eventually(async () => assert.deepEqual(await facts('table-fks'), ['(order_id) → orders(id)']));
  // Its permalink names the composite primary key.
  const itemHref = await page.getAttribute('#browse-rows tbody tr[data-row="2"] a.row-link', 'href');
  assert.equal(decodeURIComponent(itemHref.replace(/\+/g, ' ')), '#db=shop&view=schema&table=order_items&where={"order_id":4,"sku":"A"}');
  await page.click('#browse-rows tbody tr[data-row="2"] a.fk-link');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–1 of 1'));
  assert.deepEqual((await readTable(page, '#browse-rows table')).rows[0].slice(0, 2), ['4', '2']);

  // A table without a primary key: the permalink names the rowid; opened by link it shows that row.
  await page.evaluate(() => { location.hash = '#db=shop&view=schema&table=events'; });
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–50 of 200,000'));
  const eventHref = await page.getAttribute('#browse-rows tbody tr[data-row="2"] a.row-link', 'href');
  assert.equal(decodeURIComponent(eventHref), '#db=shop&view=schema&table=events&where={"rowid":3}');
  const { page: page2, errors: errors2 } = await openPage(t, { hash: eventHref });
  await eventually(async () => assert.equal(await page2.textContent('#browse-info'), 'Rows 1–1 of 1'));
  assert.deepEqual((await readTable(page2, '#browse-rows table')).rows, [['3', 'k3']]);
  const { page: page3, errors: errors3 } = await openPage(t, { hash: itemHref });
  await eventually(async () => assert.equal(await page3.textContent('#browse-info'), 'Rows 1–1 of 1'));
  assert.deepEqual((await readTable(page3, '#browse-rows table')).rows, [['4', 'A', '3']]);
  // A link to a row that is gone says so.
  const { page: page4, errors: errors4 } = await openPage(t, { hash: '#db=shop&view=schema&table=customers&where=' + encodeURIComponent('{"id":99}') });
  await eventually(async () => assert.equal(await page4.textContent('#browse-info'), 'No row matches'));

  // None of these browse queries is in the query history.
  const hist = await call('GET', '/history', { query: { db: 'shop', limit: 100 } });
  assert.equal(hist.status, 200, hist.text);
  assert.deepEqual(hist.json.entries.map((e) => e.sql), []);
  for (const e of [errors, errors2, errors3, errors4]) assertNoConsoleErrors(e);
});

test('row editing: inline edits, insert and delete rows staged, reviewed as SQL, confirmed as one transaction; a failure applies nothing', async (t) => {
  await createDb('edits', { kv: false });
  await sql('edits', [
    { statement: 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, note TEXT, data BLOB)' },
    { statement: "INSERT INTO items VALUES (1, 'a', 1, 'x', X'00'), (2, 'b', 2, NULL, NULL), (3, 'c', 3, '', NULL), (4, 'e', 5, 'z', NULL)" },
    { statement: 'CREATE VIEW small_items AS SELECT id, name FROM items WHERE qty < 3' },
  ]);
  assert.equal((await call('DELETE', '/history', { query: { db: 'edits' } })).status, 200);
  const rowsOf = async () => (await sql('edits', [{ query: 'SELECT id, name, qty, typeof(qty) AS t, note, typeof(note) AS nt FROM items ORDER BY id' }])).results[0].resultSet;
  const { page, errors } = await openPage(t, { hash: '#db=edits&view=schema&table=items' });
  const info = page.locator('#browse-info');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–4 of 4'));
  const cell = (r, c) => page.locator(`#browse-rows tbody tr[data-row="${r}"] td:nth-child(${c + 2})`);
  const editCell = async (r, c, text) => {
    await cell(r, c).dblclick();
    const input = cell(r, c).locator('textarea.cell-input');
    await input.fill(text);
    await input.press('Enter');
    await cell(r, c).locator('textarea').waitFor({ state: 'detached' });
  };
  // An edit is staged and marked; NULL and the empty string stay distinct.
  await editCell(0, 1, 'A2');
  assert.equal(await cell(0, 1).textContent(), 'A2');
  assert.match(await cell(0, 1).getAttribute('class'), /staged-edit/);
  await editCell(1, 3, '');                       // NULL → ''
  assert.equal(await cell(1, 3).textContent(), '');
  assert.doesNotMatch(await cell(1, 3).getAttribute('class'), /\bnull\b/);
  await cell(2, 3).dblclick();                    // '' → NULL (the NULL button)
  await cell(2, 3).locator('.cell-null').click();
  assert.equal(await cell(2, 3).textContent(), 'NULL');
  assert.match(await cell(2, 3).getAttribute('class'), /\bnull\b.*staged-edit|staged-edit.*\bnull\b/);
  // A BLOB cell is not editable inline (Enter on the selected cell, as a double-click).
  await cell(0, 4).focus();
  await page.keyboard.press('Enter');
  await page.locator('.toast', { hasText: 'BLOB cells are not editable inline' }).waitFor();
  assert.equal(await cell(0, 4).locator('textarea').count(), 0);
  // A new row (its untouched cells are DEFAULT; it takes the rowid the deleted row 4 frees) and a
  // deleted row (Delete in a selected cell).
  await page.click('#edit-insert');
  await cell(4, 1).waitFor();
  assert.equal(await cell(4, 0).textContent(), 'DEFAULT');
  await editCell(4, 1, 'd, "quoted"');
  await editCell(4, 2, '7');
  await cell(3, 2).click();
  await page.keyboard.press('Delete');
  await page.locator('#browse-rows tbody tr[data-row="3"].staged-del').waitFor();
  assert.equal(await page.textContent('#edit-count'), '5 changes staged');
  // A row link would leave the page: with changes staged it asks first (Cancel stays).
  const hashBefore = await page.evaluate(() => location.hash);
  await page.click('#browse-rows tbody tr[data-row="0"] a.row-link');
  await page.locator('#modal', { hasText: 'Discard staged changes?' }).waitFor();
  await page.click('#modal-cancel');
  await page.locator('#modal').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => location.hash), hashBefore);
  assert.equal(await page.textContent('#edit-count'), '5 changes staged');
  // Nothing ran yet.
  assert.equal((await rowsOf()).length, 4);
  // Review shows the exact SQL and values, in the order they run.
  await page.click('#edit-review');
  await page.locator('#review-sql').waitFor();
  const review = await page.$$eval('#review-sql li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
  assert.deepEqual(review, [
    'DELETE FROM "items" WHERE "id" = ?values: [4]',
    'UPDATE "items" SET "name" = ? WHERE "id" = ?values: ["A2", 1]',
    'UPDATE "items" SET "note" = ? WHERE "id" = ?values: ["", 2]',
    'UPDATE "items" SET "note" = ? WHERE "id" = ?values: [NULL, 3]',
    'INSERT INTO "items" ("name", "qty") VALUES (?, ?)values: ["d, \\"quoted\\"", "7"]',
  ]);
  await page.click('#modal-ok');
  await page.locator('.toast', { hasText: '5 statements applied' }).waitFor();
  await eventually(async () => assert.equal(await page.textContent('#edit-count'), 'No changes staged'));
  assert.deepEqual(await rowsOf(), [
    { id: 1, name: 'A2', qty: 1, t: 'integer', note: 'x', nt: 'text' },
    { id: 2, name: 'b', qty: 2, t: 'integer', note: '', nt: 'text' },
    { id: 3, name: 'c', qty: 3, t: 'integer', note: null, nt: 'null' },
    { id: 4, name: 'd, "quoted"', qty: 7, t: 'integer', note: null, nt: 'null' },
  ]);
  assert.equal(await page.textContent('#edit-count'), 'No changes staged');
  // It was the user's SQL: one transaction in the query history.
  const hist = await call('GET', '/history', { query: { db: 'edits', limit: 100 } });
  assert.equal(hist.status, 200, hist.text);
  const ran = hist.json.entries.filter((e) => !e.sql.includes('typeof(qty)')); // not the test's own checks
  assert.equal(ran.length, 1, JSON.stringify(ran));
  assert.equal(ran[0].statements, 5);
  assert.match(ran[0].sql, /^DELETE FROM "items" WHERE "id" = \?;\nUPDATE "items" SET "name" = \?/);

  // A failing statement: the server's error names it, and nothing is applied (the DELETE before it rolled back).
  await cell(2, 2).click();
  await page.keyboard.press('Delete');
  await cell(1, 1).dblclick();
  await cell(1, 1).locator('.cell-null').click();
  await page.click('#edit-review');
  await page.locator('#review-sql').waitFor();
  await page.click('#modal-ok');
  await page.locator('#edit-error').waitFor();
  const err = await page.textContent('#edit-error');
  assert.match(err, /Statement 2 failed: .*NOT NULL/);
  assert.match(err, /Nothing was applied: the transaction rolled back/);
  assert.equal((await rowsOf()).length, 4);
  assert.equal((await rowsOf())[1].name, 'b');
  await page.click('#edit-discard');
  assert.equal(await page.textContent('#edit-count'), 'No changes staged');
  assert.equal(await cell(1, 1).textContent(), 'b');

  // A view is not editable.
  await page.evaluate(() => { location.hash = '#db=edits&view=schema&table=small_items'; });
  await page.locator('#edit-none').waitFor();
  assert.equal(await page.locator('#edit-bar').count(), 0);
  assertNoConsoleErrors(errors);
});

test('64-bit integers: ids beyond 2^53 read, link, filter and edit exactly, never as their rounded neighbour', async (t) => {
  await createDb('bigints', { kv: false });
  // 2^53 and 2^53 + 1 are the same JS number: a console that rounds shows both as ...992 and
  // edits the wrong one.
  await sql('bigints', [
    { statement: 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, manager INTEGER REFERENCES users(id))' },
    { statement: "INSERT INTO users VALUES (9007199254740992, 'dee', NULL), (9007199254740993, 'cy', 1234567890123456790), (1234567890123456789, 'ann', NULL), (1234567890123456790, 'ben', 1234567890123456789)" },
  ]);
  const nameOf = async (id) => (await sql('bigints', [{ query: `SELECT name FROM users WHERE id = ${id}` }])).results[0].resultSet[0].name;
  const { page, errors } = await openPage(t, { hash: '#db=bigints&view=schema&table=users' });
  const info = page.locator('#browse-info');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–4 of 4'));
  assert.deepEqual((await readTable(page, '#browse-rows table')).rows, [
    ['9007199254740992', 'dee', 'NULL'],
    ['9007199254740993', 'cy', '1234567890123456790'],
    ['1234567890123456789', 'ann', 'NULL'],
    ['1234567890123456790', 'ben', '1234567890123456789'],
  ]);
  const rowHref = await page.getAttribute('#browse-rows tbody tr[data-row="1"] a.row-link', 'href');
  assert.equal(decodeURIComponent(rowHref), '#db=bigints&view=schema&table=users&where={"id":9007199254740993}');
  // An edit of cy's row updates cy's row.
  const cell = (r, c) => page.locator(`#browse-rows tbody tr[data-row="${r}"] td:nth-child(${c + 2})`);
  await cell(1, 1).dblclick();
  await cell(1, 1).locator('textarea.cell-input').fill('cy2');
  await cell(1, 1).locator('textarea.cell-input').press('Enter');
  await page.click('#edit-review');
  await page.locator('#review-sql').waitFor();
  const review = await page.$$eval('#review-sql li', (lis) => lis.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
  assert.deepEqual(review, ['UPDATE "users" SET "name" = ? WHERE "id" = ?values: ["cy2", 9007199254740993]']);
  await page.click('#modal-ok');
  await page.locator('.toast', { hasText: '1 statement applied' }).waitFor();
  assert.equal(await nameOf('9007199254740993'), 'cy2');
  assert.equal(await nameOf('9007199254740992'), 'dee');
  // The foreign-key value links to exactly the referenced row.
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–4 of 4'));
  const fkLink = page.locator('#browse-rows tbody tr[data-row="1"] a.fk-link');
  assert.equal(await fkLink.textContent(), '1234567890123456790');
  await fkLink.click();
  await page.waitForFunction(() => location.hash.includes('where='));
  assert.equal(decodeURIComponent(new URL(page.url()).hash), '#db=bigints&view=schema&table=users&where={"id":1234567890123456790}');
  await eventually(async () => assert.equal(await info.textContent(), 'Rows 1–1 of 1'));
  assert.deepEqual((await readTable(page, '#browse-rows table')).rows, [['1234567890123456790', 'ben', '1234567890123456789']]);
  // Parameters typed in the SQL editor are sent exactly too.
  await page.evaluate(() => { location.hash = '#db=bigints&view=sql'; });
  await page.waitForFunction(() => window.hoody.editor.rich() !== undefined);
  await runInEditor(page, 'SELECT id, name FROM users WHERE id = ?', { params: '[9007199254740993]' });
  assert.deepEqual((await readTable(page, '#sql-results table')).rows, [['9007199254740993', 'cy2']]);
  assertNoConsoleErrors(errors);
});

test('import: 5,000 CSV rows (quotes, commas, line breaks, empty fields) into a new table in one transaction; JSON into an existing one', async (t) => {
  await createDb('imports', { kv: false });
  const q = (s) => '"' + s.replace(/"/g, '""') + '"';
  const lines = ['id,name,note,score'];
  for (let i = 1; i <= 5000; i++) {
    const note = i % 3 === 0 ? '' : i % 3 === 1 ? q(`line 1, of ${i}\nline 2`) : '""';
    lines.push([i, q(`Name ${i}, "the ${i}th"`), note, i % 5 === 0 ? '' : String(i * 0.25)].join(','));
  }
  const csv = lines.join('\r\n') + '\r\n';
  const { page, errors } = await openPage(t, { hash: '#db=imports&view=schema' });
  await page.locator('#schema-list .empty-state').waitFor();
  await page.click('#schema-import');
  await page.setInputFiles('#import-file', { name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.locator('#import-sql').waitFor();
  assert.equal(await page.inputValue('#import-name'), 'people');
  assert.equal(await page.textContent('#import-sql'),
    'CREATE TABLE "people" ("id" INTEGER, "name" TEXT, "note" TEXT, "score" REAL);\n' +
    'INSERT INTO "people" ("id", "name", "note", "score") VALUES (?, ?, ?, ?);  -- 5,000 rows (valuesBatch)');
  const preview = await readTable(page, '#import-preview table');
  assert.deepEqual(preview.headers, ['id', 'name', 'note', 'score']);
  assert.equal(preview.rows.length, 5);
  assert.deepEqual(preview.rows[0], ['1', 'Name 1, "the 1th"', 'line 1, of 1\nline 2', '0.25']);
  assert.deepEqual(preview.rows[2], ['3', 'Name 3, "the 3th"', 'NULL', '0.75']);
  // Nothing ran before Import.
  assert.equal((await sql('imports', [{ query: "SELECT count(*) AS n FROM sqlite_master WHERE name = 'people'" }])).results[0].resultSet[0].n, 0);
  await page.click('#import-run');
  await page.waitForFunction(() => location.hash.includes('table=people'));
  await eventually(async () => assert.equal(await page.textContent('#browse-info'), 'Rows 1–50 of 5,000'));
  const check = await sql('imports', [
    { query: 'SELECT count(*) AS n, sum(note IS NULL) AS nulls, sum(note = \'\') AS empties, sum(score IS NULL) AS noscore FROM people' },
    { query: 'SELECT id, name, note, score, typeof(id) AS ti, typeof(score) AS ts FROM people WHERE id IN (1, 2, 3, 5, 5000) ORDER BY id' },
  ]);
  assert.deepEqual(check.results[0].resultSet, [{ n: 5000, nulls: 1666, empties: 1667, noscore: 1000 }]);
  assert.deepEqual(check.results[1].resultSet, [
    { id: 1, name: 'Name 1, "the 1th"', note: 'line 1, of 1\nline 2', score: 0.25, ti: 'integer', ts: 'real' },
    { id: 2, name: 'Name 2, "the 2th"', note: '', score: 0.5, ti: 'integer', ts: 'real' },
    { id: 3, name: 'Name 3, "the 3th"', note: null, score: 0.75, ti: 'integer', ts: 'real' },
    { id: 5, name: 'Name 5, "the 5th"', note: '', score: null, ti: 'integer', ts: 'null' },
    { id: 5000, name: 'Name 5000, "the 5000th"', note: '', score: null, ti: 'integer', ts: 'null' },
  ]);
  const count = async () => (await sql('imports', [{ query: 'SELECT count(*) AS n FROM people' }])).results[0].resultSet[0].n;

  // Into the existing table (preselected): a column it lacks is an error before anything runs.
  await page.click('#schema-import');
  assert.equal(await page.inputValue('#import-target'), 'people');
  await page.setInputFiles('#import-file', { name: 'more.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify([{ id: 6001, NAME: 'J', bogus: 1 }])) });
  await page.locator('#import-error').waitFor();
  assert.match(await page.textContent('#import-error'), /The table "people" has no column "bogus": nothing was imported/);
  assert.equal(await page.isDisabled('#import-run'), true);
  // A row the table refuses (a duplicate id) fails the whole import: nothing of it stays.
  await sql('imports', [{ statement: 'CREATE UNIQUE INDEX people_id ON people(id)' }]);
  await page.setInputFiles('#import-file', { name: 'more.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify([{ id: 6001, NAME: 'J' }, { id: 1, NAME: 'dup' }])) });
  await page.locator('#import-sql').waitFor();
  assert.equal(await page.textContent('#import-sql'), 'INSERT INTO "people" ("id", "name") VALUES (?, ?);  -- 2 rows (valuesBatch)');
  await page.click('#import-run');
  await page.locator('#import-error').waitFor();
  assert.match(await page.textContent('#import-error'), /Statement 1, row 2 failed: .*UNIQUE.*Nothing was imported: the transaction rolled back/);
  assert.equal(await count(), 5000);
  // Columns matched by name (any case), keys in any order, missing keys NULL.
  await page.setInputFiles('#import-file', { name: 'more.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify([{ NAME: 'J', id: 6001, score: 1.5 }, { id: 6002, NAME: 'K', note: 'n' }])) });
  await page.locator('#import-sql').waitFor();
  await page.click('#import-run');
  await eventually(async () => assert.equal(await page.textContent('#browse-info'), 'Rows 1–50 of 5,002'));
  assert.deepEqual((await sql('imports', [{ query: 'SELECT id, name, note, score FROM people WHERE id > 6000 ORDER BY id' }])).results[0].resultSet,
    [{ id: 6001, name: 'J', note: null, score: 1.5 }, { id: 6002, name: 'K', note: 'n', score: null }]);
  // The import was the user's SQL: in the query history.
  const hist = await call('GET', '/history', { query: { db: 'imports', limit: 100 } });
  assert.ok(hist.json.entries.some((e) => e.sql.startsWith('CREATE TABLE "people"')), JSON.stringify(hist.json.entries.map((e) => e.sql)));
  assertNoConsoleErrors(errors);

  // Phone and tablet widths: the import panel with its preview and the row editor stay inside the screen.
  for (const viewport of [PHONE, TABLET]) {
    const { page: small, errors: smallErrors } = await openPage(t, { viewport, hash: '#db=imports&view=schema&table=people' });
    await small.locator('#edit-bar').waitFor();
    await small.locator('#browse-rows tbody tr[data-row="0"] td:nth-child(3)').dblclick();
    await small.locator('textarea.cell-input').waitFor();
    let o = await noHorizontalOverflow(small);
    assert.ok(o.scrollWidth <= o.innerWidth, `row editor overflows at ${viewport.width}px: ${JSON.stringify(o)}`);
    await small.keyboard.press('Escape');
    await small.click('#schema-import');
    await small.setInputFiles('#import-file', { name: 'wide.csv', mimeType: 'text/csv', buffer: Buffer.from(csv.split('\r\n').slice(0, 20).join('\r\n')) });
    await small.locator('#import-sql').waitFor();
    o = await noHorizontalOverflow(small);
    assert.ok(o.scrollWidth <= o.innerWidth, `import panel overflows at ${viewport.width}px: ${JSON.stringify(o)}`);
    assertNoConsoleErrors(smallErrors);
  }
});

test('export: a 200,000-row table downloads as CSV (streamed by GET /export) that matches the table; JSON; a result as CSV/JSON', async (t) => {
  await createDb('exportdb', { kv: false });
  await sql('exportdb', [
    { statement: 'CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, price REAL, data BLOB)' },
    { statement: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) INSERT INTO big SELECT i, CASE WHEN i % 5 = 0 THEN 'a \"quoted\", name ' || i ELSE 'n' || i END, i + 0.5, CASE WHEN i % 3 = 0 THEN NULL ELSE x'0102ff' END FROM n" },
  ]);
  const expected = ['id,name,price,data'];
  for (let i = 1; i <= 200000; i++) {
    const name = i % 5 === 0 ? '"a ""quoted"", name ' + i + '"' : 'n' + i;
    expected.push(i + ',' + name + ',' + (i + 0.5) + ',' + (i % 3 === 0 ? '' : 'AQL/'));
  }
  const want = expected.join('\r\n') + '\r\n';
  const { page, errors } = await openPage(t, { hash: '#db=exportdb&view=schema&table=big' });
  await page.locator('#export-csv').waitFor();
  const started = Date.now();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  assert.equal(csv.suggestedFilename(), 'big.csv');
  const got = await readFile(await csv.path(), 'utf8');
  const took = Date.now() - started;
  assert.equal(got.length, want.length, 'CSV size');
  assert.ok(got === want, 'the exported CSV is the table, row for row: ' + got.slice(0, 120));
  console.log(`# export of 200,000 rows (${(got.length / 1e6).toFixed(1)} MB CSV) downloaded in ${took} ms`);

  // JSON: the same rows as objects (checked against the API's rows for a slice).
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#export-json')]);
  assert.equal(json.suggestedFilename(), 'big.json');
  const rows = JSON.parse(await readFile(await json.path(), 'utf8'));
  assert.equal(rows.length, 200000);
  assert.deepEqual(rows[4], { id: 5, name: 'a "quoted", name 5', price: 5.5, data: { base64: 'AQL/' } });
  assert.deepEqual(rows[199999], { id: 200000, name: 'a "quoted", name 200000', price: 200000.5, data: { base64: 'AQL/' } });
  assert.equal(rows[2].data, null);

  // A result in the SQL view: the rows shown, as CSV and as JSON.
  await page.goto(`${base}/#db=exportdb&view=sql`);
  await runInEditor(page, 'SELECT id, name, data FROM big WHERE id IN (3, 5) ORDER BY id');
  await page.locator('#sql-results table').waitFor();
  const [rcsv] = await Promise.all([page.waitForEvent('download'), page.click('#sql-results [data-export="csv"]')]);
  assert.equal(await readFile(await rcsv.path(), 'utf8'), 'id,name,data\r\n3,n3,\r\n5,"a ""quoted"", name 5",AQL/\r\n');
  const [rjson] = await Promise.all([page.waitForEvent('download'), page.click('#sql-results [data-export="json"]')]);
  assert.deepEqual(JSON.parse(await readFile(await rjson.path(), 'utf8')),
    [{ id: 3, name: 'n3', data: null }, { id: 5, name: 'a "quoted", name 5', data: { base64: 'AQL/' } }]);

  // A table that is gone: the export says so (404), no file.
  await page.goto(`${base}/#db=exportdb&view=schema&table=big`);
  await page.locator('#export-csv').waitFor();
  await sql('exportdb', [{ statement: 'DROP TABLE big' }]);
  await page.click('#export-csv');
  await page.locator('.toast', { hasText: /Export failed/ }).waitFor();
  assertNoConsoleErrors(errors, [/404/]);
});

test('share link: a single SELECT becomes a working GET /query link', async (t) => {
  const { page, errors } = await openPage(t, { hash: '#db=people&view=sql' });
  const query = 'SELECT id, name FROM people WHERE id <= 2 ORDER BY id';
  await setEditor(page, query + ';');
  await page.click('#share-btn');
  await page.locator('#share-box').waitFor({ state: 'visible' });
  const link = await page.inputValue('#share-url');
  const m = /^(http:\/\/127\.0\.0\.1:\d+)\/api\/v1\/sqlite\/query\?db=people&sql=([A-Za-z0-9_-]+)$/.exec(link);
  assert.ok(m, `unexpected link ${link}`);
  assert.equal(m[1], base);
  assert.equal(Buffer.from(m[2], 'base64url').toString('utf8'), query);
  assert.equal(await page.getAttribute('#share-open', 'href'), link);
  const res = await fetch(link, { headers: { 'Content-Type': 'application/json' } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.columns, ['id', 'name']);
  assert.deepEqual(body.resultSet, [{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }]);
  assert.equal(body.rowCount, 2);
  // Several statements or a write cannot be shared.
  await setEditor(page, 'SELECT 1; SELECT 2');
  await page.click('#share-btn');
  await page.locator('#sql-error').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#sql-error'), /single SELECT/);
  assert.equal(await page.isVisible('#share-box'), false);
  assertNoConsoleErrors(errors);
});

test('query history: lists runs, re-runs one, deletes one, clears all', async (t) => {
  await createDb('hist');
  const { page, errors } = await openPage(t, { hash: '#db=hist&view=sql' });
  await runInEditor(page, "SELECT 'history-marker' AS marker, 42 AS answer");
  await runInEditor(page, "SELECT 'second-entry' AS other");
  await page.click('.nav-link[data-view="history"]');
  await page.waitForFunction(() => location.hash.includes('view=history'));
  const marker = page.locator('.history-item', { hasText: 'history-marker' }).first();
  await marker.waitFor();
  assert.match(await marker.textContent(), /OK/);
  assert.ok(await page.locator('.history-item', { hasText: 'second-entry' }).count() >= 1);

  // Re-run: goes to the editor, fills it and shows the result.
  await setEditor(page, '');
  await marker.locator('button.rerun').click();
  await page.waitForFunction(() => location.hash.includes('view=sql'));
  assert.match(await editorText(page), /history-marker/);
  await page.locator('#sql-results table').waitFor();
  const { rows } = await readTable(page, '#sql-results table');
  assert.deepEqual(rows, [['history-marker', '42']]);

  // Delete one entry.
  await page.click('.nav-link[data-view="history"]');
  const second = page.locator('.history-item', { hasText: 'second-entry' });
  await second.first().waitFor();
  const before = await second.count();
  await second.first().locator('button.delete').click();
  await eventually(async () => assert.equal(await page.locator('.history-item', { hasText: 'second-entry' }).count(), before - 1));
  const api = await call('GET', '/history', { query: { db: 'hist', limit: 100 } });
  const entries = api.json.entries || api.json.history;
  assert.equal(entries.filter((e) => /second-entry/.test(e.sql)).length, before - 1);

  // Clear all (with confirmation).
  await page.click('#history-clear');
  await page.locator('#modal').waitFor({ state: 'visible' });
  await page.click('#modal-ok');
  await page.locator('#history-body .empty-state').waitFor();
  assert.match(await page.textContent('#history-body'), /No queries yet/);
  assertNoConsoleErrors(errors);
});

test('KV browser: list, view, edit, TTL, history timeline, snapshot and rollback', async (t) => {
  await createDb('kvdb');
  await kvPut('kvdb', 'settings:ui', '{"theme":"light","size":12}');
  await kvPut('kvdb', 'greeting', 'hello world', { contentType: 'text/plain' });
  await kvPut('kvdb', 'session:1', '{"user":"ada"}', { ttl: 3600 });
  const { page, errors } = await openPage(t, { hash: '#db=kvdb&view=kv' });
  const key = (k) => page.locator(`.kv-key[data-key="${k}"]`);
  await key('settings:ui').waitFor();
  assert.equal(await page.locator('.kv-key').count(), 3);
  assert.match(await key('session:1').textContent(), /expires in (59m|1h)/);

  // Prefix filter.
  await page.fill('#kv-prefix', 'sett');
  await page.press('#kv-prefix', 'Enter');
  await eventually(async () => assert.equal(await page.locator('.kv-key').count(), 1));
  await page.fill('#kv-prefix', '');
  await page.press('#kv-prefix', 'Enter');
  await eventually(async () => assert.equal(await page.locator('.kv-key').count(), 3));

  // View: JSON is pretty-printed; the URL names the key.
  await key('settings:ui').click();
  await page.waitForFunction(() => location.hash.includes('key=settings%3Aui'));
  await eventually(async () => assert.equal(await page.inputValue('#kv-value'), '{\n  "theme": "light",\n  "size": 12\n}'));
  assert.match(await page.textContent('#kv-detail .kv-meta'), /application\/json/);
  assert.match(await page.textContent('#kv-ttl-display'), /no expiry/);

  // Edit and save.
  await page.fill('#kv-value', '{"theme": "dark", "size": 14}');
  await page.click('#kv-save');
  await eventually(async () => {
    const r = await kvGet('kvdb', 'settings:ui');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { theme: 'dark', size: 14 });
    assert.match(r.headers.get('content-type'), /application\/json/);
  });

  // Timeline: newest first.
  const items = page.locator('#kv-timeline .tl-item');
  await eventually(async () => assert.equal(await items.count(), 2));
  assert.match(await items.nth(0).textContent(), /dark/);
  assert.match(await items.nth(0).textContent(), /current/);
  assert.match(await items.nth(1).textContent(), /light/);

  // Snapshot of the older operation.
  await items.nth(1).locator('.snapshot-btn').click();
  await page.locator('#modal').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#modal .snapshot-value'), /"theme": "light"/);
  await page.click('#modal-ok');
  await page.locator('#modal').waitFor({ state: 'hidden' });

  // Roll back: cancel first (nothing changes), then confirm.
  await items.nth(1).locator('.rollback-btn').click();
  await page.locator('#modal').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#modal'), /Undo the last 1 operation/);
  await page.click('#modal-cancel');
  assert.deepEqual((await kvGet('kvdb', 'settings:ui')).json, { theme: 'dark', size: 14 });
  await items.nth(1).locator('.rollback-btn').click();
  await page.locator('#modal').waitFor({ state: 'visible' });
  await page.click('#modal-ok');
  await eventually(async () => assert.deepEqual((await kvGet('kvdb', 'settings:ui')).json, { theme: 'light', size: 12 }));
  await page.locator('.toast', { hasText: /Rolled back 1 step \(to op #\d+\)/ }).waitFor();
  await eventually(async () => assert.match(await page.inputValue('#kv-value'), /"theme": "light"/));
  // The rollback is itself recorded: newest entry first, showing the restored value.
  await eventually(async () => assert.equal(await items.count(), 3));
  assert.match(await items.nth(0).textContent(), /light/);

  // Text values and saving with a TTL.
  await key('greeting').click();
  await eventually(async () => assert.equal(await page.inputValue('#kv-value'), 'hello world'));
  await page.fill('#kv-value', 'hello again');
  await page.fill('#kv-ttl', '600');
  await page.click('#kv-save');
  await eventually(async () => {
    const r = await kvGet('kvdb', 'greeting');
    assert.equal(r.text, 'hello again');
    assert.match(r.headers.get('content-type'), /text\/plain/);
  });
  await eventually(async () => assert.match(await key('greeting').textContent(), /expires in (9|10)m/));
  assertNoConsoleErrors(errors);
});

test('KV browser: create and delete a key', async (t) => {
  await createDb('kvdb2');
  const { page, errors } = await openPage(t, { hash: '#db=kvdb2&view=kv' });
  await page.locator('#kv-list .empty-state, #kv-list .kv-key').first().waitFor();
  await page.click('#kv-new');
  await page.fill('#kv-new-key', 'todo/1');
  await page.fill('#kv-value', '["milk", "eggs"]');
  await page.click('#kv-detail button[type="submit"]');
  await page.waitForFunction(() => location.hash.includes('key=todo%2F1'));
  await eventually(async () => assert.deepEqual((await kvGet('kvdb2', 'todo/1')).json, ['milk', 'eggs']));
  await page.locator('#kv-delete').click();
  await page.click('#modal-ok');
  await eventually(async () => assert.equal((await kvGet('kvdb2', 'todo/1')).status, 404));
  await eventually(async () => assert.equal(await page.locator('.kv-key[data-key="todo/1"]').count(), 0));
  assertNoConsoleErrors(errors);

  // A link to the deleted key shows "not found" with its history; rolling back restores it.
  const { page: p2, errors: errors2 } = await openPage(t, { hash: '#db=kvdb2&view=kv&key=todo%2F1' });
  await p2.locator('#kv-timeline .tl-item').first().waitFor();
  assert.match(await p2.textContent('#kv-detail'), /Key not found/);
  const ops = p2.locator('#kv-timeline .tl-item');
  assert.match(await ops.nth(0).textContent(), /delete/i);
  await ops.nth(1).locator('.rollback-btn').click();
  await p2.locator('#modal').waitFor({ state: 'visible' });
  await p2.click('#modal-ok');
  await eventually(async () => assert.deepEqual((await kvGet('kvdb2', 'todo/1')).json, ['milk', 'eggs']));
  await eventually(async () => assert.match(await p2.inputValue('#kv-value'), /"milk"/));
  await p2.locator('.kv-key[data-key="todo/1"]').waitFor();
  assertNoConsoleErrors(errors2, [NETWORK_400]);
});

async function kvMeta(db, key) {
  const r = await call('GET', '/kv', { query: { db, prefix: key, limit: 1 } });
  const it = r.json.items[0];
  return it && it.key === key ? it : null;
}

async function kvRaw(db, key) {
  const res = await fetch(`${base}/api/v1/sqlite/kv/${encodeURIComponent(key)}?db=${db}`);
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

test('KV TTL: an untouched TTL survives Save, the TTL changes alone, the badge counts down on a link', async (t) => {
  await createDb('kvttl');
  await kvPut('kvttl', 'session:42', '{"user":"ada"}', { ttl: 3000 });
  const before = await kvMeta('kvttl', 'session:42');
  assert.ok(before.expires_at > Date.now() + 2990_000);
  // Opened by link (the key is not clicked in the list).
  const { page, errors } = await openPage(t, { hash: '#db=kvttl&view=kv&key=session%3A42' });
  const badge = page.locator('#kv-ttl-display');
  await eventually(async () => assert.match(await badge.textContent(), /^expires in (49m|50m)/));
  const first = await badge.textContent();
  await eventually(async () => assert.notEqual(await badge.textContent(), first), 3000);
  assert.match(await page.getAttribute('#kv-ttl', 'placeholder'), /keep \(\d+ s left\)/);

  // Untouched Save writes nothing.
  await page.click('#kv-save');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Nothing changed/));
  const hist = await call('GET', '/kv/session%3A42/history', { query: { db: 'kvttl' } });
  assert.equal(hist.json.operations.length, 1);

  // The value edited, the TTL field untouched: the expiry stays (to the second).
  await page.fill('#kv-value', '{"user":"grace"}');
  await page.click('#kv-save');
  await eventually(async () => assert.deepEqual((await kvGet('kvttl', 'session:42')).json, { user: 'grace' }));
  const after = await kvMeta('kvttl', 'session:42');
  assert.ok(after.expires_at !== null, 'the TTL was kept');
  assert.ok(Math.abs(after.expires_at - before.expires_at) <= 1000, `expiry moved by ${after.expires_at - before.expires_at} ms`);

  // The TTL alone: same bytes and type, new expiry.
  await eventually(async () => assert.equal(await page.inputValue('#kv-value'), '{\n  "user": "grace"\n}'));
  const raw = await kvRaw('kvttl', 'session:42');
  await page.fill('#kv-ttl', '120');
  await page.click('#kv-save');
  await eventually(async () => {
    const m = await kvMeta('kvttl', 'session:42');
    assert.ok(Math.abs(m.expires_at - (Date.now() + 120_000)) < 5000, `expires_at ${m.expires_at}`);
  });
  const raw2 = await kvRaw('kvttl', 'session:42');
  assert.deepEqual(raw2.bytes, raw.bytes, 'the value bytes are unchanged (not re-pretty-printed)');
  assert.equal(raw2.type, raw.type);
  await eventually(async () => assert.match(await badge.textContent(), /^expires in (1m|2m)/));
  // 0 removes the expiry.
  await page.fill('#kv-ttl', '0');
  await page.click('#kv-save');
  await eventually(async () => assert.equal((await kvMeta('kvttl', 'session:42')).expires_at, null));
  await eventually(async () => assert.equal(await badge.textContent(), 'no expiry'));
  assertNoConsoleErrors(errors);
});

const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

test('KV history: pages through 120 operations (Load older) and rolls back to one on the last page by op_number', async (t) => {
  await createDb('kvhist');
  for (let i = 1; i <= 120; i++) await kvPut('kvhist', 'counter', JSON.stringify({ n: i }));
  const { page, errors } = await openPage(t, { hash: '#db=kvhist&view=kv&key=counter' });
  const items = page.locator('#kv-timeline .tl-item');
  await eventually(async () => assert.equal(await items.count(), 50));
  await page.click('#kv-older');
  await eventually(async () => assert.equal(await items.count(), 100));
  await page.click('#kv-older');
  await eventually(async () => assert.equal(await items.count(), 120));
  assert.equal(await page.locator('#kv-older').count(), 0, 'no older page after the first operation');
  // Newest first, one entry per op, none twice.
  const nums = await page.$$eval('#kv-timeline .tl-item', (lis) => lis.map((li) => Number(li.dataset.op)));
  assert.equal(new Set(nums).size, 120);
  assert.deepEqual(nums, [...nums].sort((a, b) => b - a));
  // Roll back to the fifth write (on the third page).
  const fifth = items.nth(115);
  assert.match(await fifth.textContent(), /"n":5\b/);
  await fifth.locator('.rollback-btn').click();
  await page.locator('#modal').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#modal'), /Undo the last 115 operations/);
  await page.click('#modal-ok');
  await eventually(async () => assert.deepEqual((await kvGet('kvhist', 'counter')).json, { n: 5 }));
  await page.locator('.toast', { hasText: `to op #${nums[115]})` }).waitFor();
  assertNoConsoleErrors(errors);
});

test('KV history: picks two versions and diffs them (pretty-printed JSON lines marked added/removed; binary: sizes and hex)', async (t) => {
  await createDb('kvvdiff');
  await kvPut('kvvdiff', 'cfg', JSON.stringify({ theme: 'light', size: 12, tags: ['a'] }));
  await kvPut('kvvdiff', 'cfg', JSON.stringify({ theme: 'dark', size: 12, tags: ['a', 'b'] }));
  await kvPut('kvvdiff', 'cfg', 'plain text now', { contentType: 'text/plain' });
  await kvPut('kvvdiff', 'blob', Buffer.from([0x00, 0xff, 0x10]), { contentType: 'application/octet-stream' });
  await kvPut('kvvdiff', 'blob', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]), { contentType: 'application/octet-stream' });
  const { page, errors } = await openPage(t, { hash: '#db=kvvdiff&view=kv&key=cfg' });
  const items = page.locator('#kv-timeline .tl-item');
  await eventually(async () => assert.equal(await items.count(), 3));
  const nums = await page.$$eval('#kv-timeline .tl-item', (lis) => lis.map((li) => Number(li.dataset.op)));
  assert.ok(await page.locator('#kv-compare').isDisabled(), 'Compare needs two picks');
  await items.nth(2).locator('.tl-pick').check();
  assert.ok(await page.locator('#kv-compare').isDisabled());
  await items.nth(1).locator('.tl-pick').check();
  assert.match(await page.textContent('#kv-compare-hint'), new RegExp(`op #${nums[2]} with op #${nums[1]}`));
  await page.click('#kv-compare');
  const diff = page.locator('#kv-diff .version-diff');
  await diff.waitFor();
  assert.equal(await diff.getAttribute('data-from'), String(nums[2]));
  assert.equal(await diff.getAttribute('data-to'), String(nums[1]));
  const lines = await page.$$eval('#kv-diff .diff-line', (els) => els.map((e) => [e.className.replace('diff-line ', ''), e.textContent.replace(/\n$/, '')]));
  // (The history's values are JSON values: the object's keys come back in sorted order.)
  assert.deepEqual(lines, [
    ['diff-same', '  {'],
    ['diff-same', '    "size": 12,'],
    ['diff-same', '    "tags": ['],
    ['diff-del', '-     "a"'],
    ['diff-add', '+     "a",'],
    ['diff-add', '+     "b"'],
    ['diff-same', '    ],'],
    ['diff-del', '-   "theme": "light"'],
    ['diff-add', '+   "theme": "dark"'],
    ['diff-same', '  }'],
  ]);
  assert.equal(await page.textContent('#kv-diff-summary'), '+3 −2 lines');
  // A third pick replaces the older one: JSON → text.
  await items.nth(0).locator('.tl-pick').check();
  assert.equal(await items.nth(2).locator('.tl-pick').isChecked(), false);
  await page.click('#kv-compare');
  await eventually(async () => assert.equal(await diff.getAttribute('data-to'), String(nums[0])));
  assert.equal(await page.locator('#kv-diff .diff-add').count(), 1);
  assert.equal(await page.textContent('#kv-diff .diff-add'), '+ plain text now\n');
  assert.equal(await page.locator('#kv-diff .diff-same').count(), 0);

  // Binary versions: sizes and the first bytes in hex.
  await page.evaluate(() => { location.hash = '#db=kvvdiff&view=kv&key=blob'; });
  await eventually(async () => assert.equal(await items.count(), 2));
  await items.nth(0).locator('.tl-pick').check();
  await items.nth(1).locator('.tl-pick').check();
  await page.click('#kv-compare');
  await page.locator('#kv-diff-sizes').waitFor();
  assert.match(await page.textContent('#kv-diff-sizes'), /^Binary: 3 bytes → 5 bytes/);
  assert.match(await page.textContent('#kv-diff .diff-hex-old'), /^00000000 {2}00 ff 10/);
  assert.match(await page.textContent('#kv-diff .diff-hex-new'), /^00000000 {2}de ad be ef 01/);
  assertNoConsoleErrors(errors);

  // The diff fits a phone.
  const { page: phone, errors: phoneErrors } = await openPage(t, { viewport: PHONE, hash: '#db=kvvdiff&view=kv&key=cfg' });
  const pitems = phone.locator('#kv-timeline .tl-item');
  await eventually(async () => assert.equal(await pitems.count(), 3));
  await pitems.nth(2).locator('.tl-pick').check();
  await pitems.nth(1).locator('.tl-pick').check();
  await phone.click('#kv-compare');
  await phone.locator('#kv-diff .version-diff').waitFor();
  const o = await noHorizontalOverflow(phone);
  assert.ok(o.scrollWidth <= o.innerWidth, `version diff overflows on a phone: ${JSON.stringify(o)}`);
  assertNoConsoleErrors(phoneErrors);
});

/** The whole store at a time, as the API gives it: [key, value, content_type] in key order. */
async function storeAt(db, ms) {
  const r = await call('GET', '/kv/snapshot', { query: { db, timestamp: ((ms + 0.5) / 1000).toFixed(4), limit: 1000 } });
  assert.equal(r.status, 200, r.text);
  return r.json.items.map((i) => [i.key, i.value, i.content_type]);
}

test('KV time travel: a slider over the store\'s history, the snapshot at a time (a link), the diff of two times, the table rollback (preview, confirm)', async (t) => {
  await createDb('kvtravel');
  await kvPut('kvtravel', 'a', '1');
  await kvPut('kvtravel', 'b', JSON.stringify({ v: 2 }));
  await sleep(40);
  const mid = Date.now();
  await sleep(40);
  await kvPut('kvtravel', 'a', '10');
  assert.equal((await call('DELETE', '/kv/b', { query: { db: 'kvtravel' } })).status, 200);
  await kvPut('kvtravel', 'c', 'three', { contentType: 'text/plain' });
  const hist = async (key, query) => (await call('GET', `/kv/${key}/history`, { query: { db: 'kvtravel', ...query } })).json.operations;
  const first = (await hist('a', { before: 2 }))[0].timestamp_ms;
  const last = (await hist('c', { limit: 1 }))[0].timestamp_ms;
  const midState = await storeAt('kvtravel', mid);
  assert.deepEqual(midState, [['a', 1, 'application/json'], ['b', { v: 2 }, 'application/json']]);

  const { page, errors } = await openPage(t, { hash: '#db=kvtravel&view=kv' });
  await page.click('#kv-travel');
  await page.locator('#tt-slider').waitFor();
  assert.match(await page.evaluate(() => location.hash), /view=travel/);
  assert.equal(Number(await page.getAttribute('#tt-slider', 'min')), first);
  assert.equal(Number(await page.getAttribute('#tt-slider', 'max')), last);
  // At the end: the store now.
  await eventually(async () => assert.match(await page.textContent('#tt-snapshot-count'), /^2 keys at /));
  assert.deepEqual(await page.$$eval('#tt-snapshot tbody tr', (trs) => trs.map((tr) => tr.dataset.key)), ['a', 'c']);
  // The datetime input moves the slider and the snapshot; the hash carries the time.
  // As Chromium serializes a datetime-local value (no trailing zeros of the fraction, no ":00"
  // seconds when both are zero): Playwright's fill refuses a value the input would rewrite.
  const local = (await page.evaluate((ms) => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().replace('Z', ''), mid))
    .replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '').replace(/:00$/, '');
  await page.fill('#tt-at', local);
  await eventually(async () => assert.equal(await page.getAttribute('#tt-snapshot-count', 'data-at'), String(mid)));
  assert.equal(Number(await page.inputValue('#tt-slider')), mid);
  assert.deepEqual(await page.$$eval('#tt-snapshot tbody tr', (trs) => trs.map((tr) => tr.dataset.key)), ['a', 'b']);
  assert.match(await page.textContent('#tt-snapshot tbody'), /\{"v":2\}/);
  const link = await page.evaluate(() => location.hash);
  assert.match(link, new RegExp(`[#&]at=${mid}(&|$)`));
  // The slider itself: to the first op, one key.
  await page.$eval('#tt-slider', (el) => { el.value = el.min; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await eventually(async () => assert.equal(await page.getAttribute('#tt-snapshot-count', 'data-at'), String(first)));
  assert.deepEqual(await page.$$eval('#tt-snapshot tbody tr', (trs) => trs.map((tr) => tr.dataset.key)), ['a']);

  // The link opens the same time; the diff from it to the end.
  const { page: p2, errors: errors2 } = await openPage(t, { hash: link });
  await eventually(async () => assert.equal(await p2.getAttribute('#tt-snapshot-count', 'data-at'), String(mid)));
  await p2.click('#tt-diff-btn');
  await p2.locator('#tt-diff-stats').waitFor();
  assert.match(await p2.textContent('#tt-diff-stats'), /^1 created, 1 modified, 1 deleted/);
  assert.deepEqual(await p2.$$eval('#tt-diff tbody tr', (trs) => trs.map((tr) => [tr.dataset.key, tr.dataset.change])),
    [['a', 'modified'], ['b', 'deleted'], ['c', 'created']]);

  // Rollback to that time: the preview changes nothing; Cancel changes nothing; confirm applies.
  await p2.click('#tt-rollback');
  await p2.locator('#tt-preview-stats').waitFor();
  assert.match(await p2.textContent('#tt-preview-stats'), /^3 keys would change: 1 restored, 1 modified, 1 deleted/);
  assert.deepEqual(await p2.$$eval('#tt-preview tbody tr', (trs) => trs.map((tr) => [tr.dataset.key, tr.dataset.change])),
    [['a', 'modified'], ['b', 'created'], ['c', 'deleted']]);
  assert.equal((await kvGet('kvtravel', 'a')).json, 10, 'the preview changes nothing');
  await p2.click('#tt-apply');
  await p2.locator('#modal').waitFor({ state: 'visible' });
  assert.match(await p2.textContent('#modal'), /3 keys/);
  await p2.click('#modal-cancel');
  assert.deepEqual((await storeAt('kvtravel', Date.now() + 1000)).map((r) => r[0]), ['a', 'c']);
  await p2.click('#tt-apply');
  await p2.locator('#modal').waitFor({ state: 'visible' });
  await p2.click('#modal-ok');
  await p2.locator('.toast', { hasText: 'Rolled back 3 keys' }).waitFor();
  await eventually(async () => assert.deepEqual(await storeAt('kvtravel', Date.now() + 1000), midState));
  // The list reloads: the KV view shows the restored keys.
  await p2.click('#travel-back');
  await eventually(async () => assert.deepEqual(await p2.$$eval('#kv-list .kv-row', (els) => els.map((e) => e.dataset.key)), ['a', 'b']));
  assertNoConsoleErrors(errors);
  assertNoConsoleErrors(errors2);

  // Phone and tablet widths: the panel fits.
  for (const viewport of [PHONE, TABLET]) {
    const { page: small, errors: smallErrors } = await openPage(t, { viewport, hash: link });
    await small.locator('#tt-snapshot tbody tr').first().waitFor();
    await small.click('#tt-diff-btn');
    await small.locator('#tt-diff-stats').waitFor();
    const o = await noHorizontalOverflow(small);
    assert.ok(o.scrollWidth <= o.innerWidth, `time travel overflows at ${viewport.width} px: ${JSON.stringify(o)}`);
    assertNoConsoleErrors(smallErrors);
  }
});

test('KV binary values: size, type, hex and image preview, download, replace from a file; Save keeps the bytes', async (t) => {
  await createDb('kvbin');
  await kvPut('kvbin', 'img:logo', PNG_1x1, { contentType: 'image/png', ttl: 3000 });
  const blob = Buffer.from([0x00, 0xff, 0xfe, 0x10, 0x80, 0x41]);
  await kvPut('kvbin', 'raw:bytes', blob, { contentType: 'application/octet-stream' });
  const { page, errors } = await openPage(t, { hash: '#db=kvbin&view=kv&key=img%3Alogo' });
  await page.locator('#kv-binary').waitFor();
  assert.equal(await page.locator('#kv-value').count(), 0, 'no text editor for binary values');
  assert.match(await page.textContent('#kv-binary'), new RegExp(`${PNG_1x1.length} bytes\\), image/png`));
  assert.match(await page.textContent('#kv-hex'), /^00000000 {2}89 50 4e 47 0d 0a 1a 0a/);
  await eventually(async () => assert.equal(await page.$eval('#kv-image', (img) => img.naturalWidth), 1));
  assert.equal(await page.getAttribute('#kv-download', 'download'), 'logo.png');
  const downloaded = await page.$eval('#kv-download', async (a) => Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer())));
  assert.deepEqual(Buffer.from(downloaded), PNG_1x1);

  // Untouched Save: nothing written. TTL alone: same bytes, same type.
  await page.click('#kv-save');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Nothing changed/));
  await page.fill('#kv-ttl', '60');
  await page.click('#kv-save');
  await eventually(async () => assert.ok(Math.abs((await kvMeta('kvbin', 'img:logo')).expires_at - (Date.now() + 60_000)) < 5000));
  let raw = await kvRaw('kvbin', 'img:logo');
  assert.deepEqual(raw.bytes, PNG_1x1);
  assert.equal(raw.type, 'image/png');

  // Non-UTF-8 bytes without a type are binary too; replace them from a file (TTL none stays none).
  await page.evaluate(() => { location.hash = '#db=kvbin&view=kv&key=raw%3Abytes'; });
  await eventually(async () => assert.match(await page.textContent('#kv-hex'), /^00000000 {2}00 ff fe 10 80 41/));
  const replacement = Buffer.from([1, 2, 3, 250, 251]);
  await page.setInputFiles('#kv-file', { name: 'new.bin', mimeType: 'application/x-custom', buffer: replacement });
  await eventually(async () => assert.match(await page.textContent('#kv-file-info'), /new\.bin \(5 B, application\/x-custom\)/));
  await page.click('#kv-save');
  await eventually(async () => assert.deepEqual((await kvRaw('kvbin', 'raw:bytes')).bytes, replacement));
  raw = await kvRaw('kvbin', 'raw:bytes');
  assert.equal(raw.type, 'application/x-custom');
  assert.equal((await kvMeta('kvbin', 'raw:bytes')).expires_at, null);
  assertNoConsoleErrors(errors);

  // The binary panel fits a phone.
  const { page: phone, errors: phoneErrors } = await openPage(t, { viewport: PHONE, hash: '#db=kvbin&view=kv&key=img%3Alogo' });
  await phone.locator('#kv-hex').waitFor();
  const o = await noHorizontalOverflow(phone);
  assert.ok(o.scrollWidth <= o.innerWidth, `binary value overflows on a phone: ${JSON.stringify(o)}`);
  assertNoConsoleErrors(phoneErrors);
});

test('KV Save keeps what was not edited: exact bytes and type (CRLF, BOM, charset, big JSON numbers), the expiry kept by an edit', async (t) => {
  await createDb('kvexact');
  const note = Buffer.from('\ufeffline one\r\nline two\r\n', 'utf8');
  await kvPut('kvexact', 'note:crlf', note, { contentType: 'text/plain; charset=utf-8', ttl: 3000 });
  const { page, errors } = await openPage(t, { hash: '#db=kvexact&view=kv&key=note%3Acrlf' });
  // The JSON re-indenter agrees with JSON.stringify(v, null, 2) where that is lossless.
  const samples = ['{"a":"x\\"}{[,:","b":[1,{},[],{"c":null}],"d":{ }}', ' [ true , false ,"\\u00e9" ] ', '"s"', '-1.5', '{}', '[[[]]]'];
  for (const text of samples) {
    assert.equal(await page.evaluate((x) => window.hoody.prettyJson(x), text), JSON.stringify(JSON.parse(text), null, 2).replace('é', '\\u00e9'), text);
  }
  assert.equal(await page.evaluate(() => window.hoody.prettyJson('{"a":1,')), '{"a":1,', 'not JSON: as is');
  const badge = page.locator('#kv-ttl-display');
  await eventually(async () => assert.match(await badge.textContent(), /^expires in (49m|50m)/));
  await page.locator('#kv-detail .badge', { hasText: 'text/plain; charset=utf-8' }).waitFor();

  // Untouched (the textarea turns CRLF into LF: that is not an edit): Save writes nothing.
  await page.click('#kv-save');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Nothing changed/));
  const hist = await call('GET', '/kv/note%3Acrlf/history', { query: { db: 'kvexact' } });
  assert.equal(hist.json.operations.length, 1, 'an untouched Save wrote nothing');

  // The TTL alone: the same bytes and the same content type, parameters included.
  await page.fill('#kv-ttl', '1200');
  await page.click('#kv-save');
  await eventually(async () => assert.ok(Math.abs((await kvMeta('kvexact', 'note:crlf')).expires_at - (Date.now() + 1200_000)) < 5000));
  let raw = await kvRaw('kvexact', 'note:crlf');
  assert.deepEqual(raw.bytes, note, 'a TTL change alone re-sends the stored bytes');
  assert.equal(raw.type, 'text/plain; charset=utf-8', 'a TTL change alone keeps the stored content type');
  await eventually(async () => assert.match(await page.getAttribute('#kv-ttl', 'placeholder'), /keep \(1(19\d|200) s left\)/));

  // Edited with the TTL field empty: the expiry stays, and so do the CRLF line endings, the BOM and the charset.
  const expiry = (await kvMeta('kvexact', 'note:crlf')).expires_at;
  await page.focus('#kv-value');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('line three');
  await page.click('#kv-save');
  const edited = Buffer.from('\ufeffline one\r\nline two\r\nline three', 'utf8');
  await eventually(async () => assert.deepEqual((await kvRaw('kvexact', 'note:crlf')).bytes, edited));
  raw = await kvRaw('kvexact', 'note:crlf');
  assert.equal(raw.type, 'text/plain; charset=utf-8');
  const kept = (await kvMeta('kvexact', 'note:crlf')).expires_at;
  assert.ok(kept !== null && Math.abs(kept - expiry) <= 1000, `the expiry moved by ${kept - expiry} ms`);

  // JSON with a number beyond 2^53 and a decimal written as 1.50: editing another member keeps them,
  // and a 3,000 s TTL survives the Save.
  await kvPut('kvexact', 'order:9', '{"id":12345678901234567890,"total":1.50,"tags":[],"name":"ada"}', { contentType: 'application/json', ttl: 3000 });
  const before = await kvMeta('kvexact', 'order:9');
  await page.evaluate(() => { location.hash = '#db=kvexact&view=kv&key=order%3A9'; });
  await eventually(async () => assert.equal(await page.inputValue('#kv-value'),
    '{\n  "id": 12345678901234567890,\n  "total": 1.50,\n  "tags": [],\n  "name": "ada"\n}'));
  await eventually(async () => assert.match(await badge.textContent(), /^expires in (49m|50m)/));
  await page.fill('#kv-value', (await page.inputValue('#kv-value')).replace('"ada"', '"grace"'));
  await page.click('#kv-save');
  await eventually(async () => assert.match((await kvRaw('kvexact', 'order:9')).bytes.toString(), /"grace"/));
  raw = await kvRaw('kvexact', 'order:9');
  assert.match(raw.bytes.toString(), /"id": 12345678901234567890,/);
  assert.match(raw.bytes.toString(), /"total": 1\.50,/);
  assert.equal(raw.type, 'application/json');
  const after = await kvMeta('kvexact', 'order:9');
  assert.ok(after.expires_at !== null, 'the TTL was kept');
  assert.ok(Math.abs(after.expires_at - before.expires_at) <= 1000, `expiry moved by ${after.expires_at - before.expires_at} ms`);
  assert.ok(after.expires_at - Date.now() > 2900_000, 'about 3,000 s are still left');

  // Invalid JSON for a JSON key is not turned into text/plain without asking.
  await eventually(async () => assert.match(await page.inputValue('#kv-value'), /"grace"/));
  await page.fill('#kv-value', '{"id": 1,');
  await page.click('#kv-save');
  await page.locator('#modal', { hasText: 'Not valid JSON' }).waitFor({ state: 'visible' });
  await page.click('#modal-cancel');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Not saved/));
  assert.equal((await kvRaw('kvexact', 'order:9')).type, 'application/json');

  // Another writer since the key was opened: a TTL change alone would re-send the old bytes, so it asks.
  await page.click('#kv-detail button:has-text("Reload")');
  await eventually(async () => assert.match(await page.inputValue('#kv-value'), /"grace"/));
  await kvPut('kvexact', 'order:9', '{"by":"another writer"}', { ttl: 3000 });
  await page.fill('#kv-ttl', '100');
  await page.click('#kv-save');
  await page.locator('#modal', { hasText: 'Changed since you opened it' }).waitFor({ state: 'visible' });
  await page.click('#modal-cancel');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Not saved/));
  assert.deepEqual((await kvGet('kvexact', 'order:9')).json, { by: 'another writer' });

  // "New key" with the name of an existing key asks before replacing it (and its expiry).
  await page.click('#kv-new');
  await page.fill('#kv-new-key', 'order:9');
  await page.fill('#kv-value', '1');
  await page.click('#kv-detail button[type="submit"]');
  await page.locator('#modal', { hasText: 'already exists' }).waitFor({ state: 'visible' });
  await page.click('#modal-cancel');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Not created/));
  assert.deepEqual((await kvGet('kvexact', 'order:9')).json, { by: 'another writer' });
  assert.ok((await kvMeta('kvexact', 'order:9')).expires_at !== null);
  assertNoConsoleErrors(errors);
});

test('KV binary: bytes 0..255 survive Save and a TTL change; the exact type is kept; download; replace from a file', async (t) => {
  await createDb('kvbytes');
  const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  await kvPut('kvbytes', 'blob:all', all, { contentType: 'application/octet-stream', ttl: 3000 });
  const proto = Buffer.from([0x08, 0x96, 0x01, 0x12, 0x04, 0xff, 0xfe, 0x00, 0x01]);
  const protoType = 'application/x-protobuf; messageType=demo.Order';
  await kvPut('kvbytes', 'msg:1', proto, { contentType: protoType });
  const { page, errors } = await openPage(t, { hash: '#db=kvbytes&view=kv&key=blob%3Aall' });
  await page.locator('#kv-binary').waitFor();
  assert.equal(await page.locator('#kv-value').count(), 0, 'no text editor for a binary value');
  assert.match(await page.textContent('#kv-binary'), /256 bytes\), application\/octet-stream/);
  const hex = (await page.textContent('#kv-hex')).split('\n');
  assert.equal(hex[0], '00000000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f  ................');
  assert.match(hex[15], /^000000f0 {2}f0 f1 f2 .* fe ff {2}/);
  assert.equal(await page.getAttribute('#kv-download', 'download'), 'all.bin');
  const downloaded = await page.$eval('#kv-download', async (a) => Array.from(new Uint8Array(await (await fetch(a.href)).arrayBuffer())));
  assert.deepEqual(Buffer.from(downloaded), all);
  await eventually(async () => assert.match(await page.textContent('#kv-ttl-display'), /^expires in (49m|50m)/));

  // Save untouched: nothing written. The TTL alone: the same 256 bytes.
  await page.click('#kv-save');
  await eventually(async () => assert.match(await page.textContent('#kv-detail .form-msg'), /Nothing changed/));
  assert.equal((await call('GET', '/kv/blob%3Aall/history', { query: { db: 'kvbytes' } })).json.operations.length, 1);
  await page.fill('#kv-ttl', '600');
  await page.click('#kv-save');
  await eventually(async () => assert.ok(Math.abs((await kvMeta('kvbytes', 'blob:all')).expires_at - (Date.now() + 600_000)) < 5000));
  let raw = await kvRaw('kvbytes', 'blob:all');
  assert.deepEqual(raw.bytes, all);
  assert.equal(raw.type, 'application/octet-stream');

  // A type with parameters is kept as stored by a TTL change.
  await page.evaluate(() => { location.hash = '#db=kvbytes&view=kv&key=msg%3A1'; });
  await eventually(async () => assert.match(await page.textContent('#kv-hex'), /^00000000 {2}08 96 01 12 04 ff fe 00 01/));
  await page.locator('#kv-detail .badge', { hasText: protoType }).waitFor();
  await page.fill('#kv-ttl', '900');
  await page.click('#kv-save');
  await eventually(async () => assert.ok((await kvMeta('kvbytes', 'msg:1')).expires_at !== null));
  raw = await kvRaw('kvbytes', 'msg:1');
  assert.deepEqual(raw.bytes, proto);
  assert.equal(raw.type, protoType);

  // Replace from a file: its bytes and type; the expiry is kept; the image preview appears.
  await eventually(async () => assert.match(await page.getAttribute('#kv-ttl', 'placeholder'), /keep \(\d+ s left\)/));
  const expiry = (await kvMeta('kvbytes', 'msg:1')).expires_at;
  await page.setInputFiles('#kv-file', { name: 'logo.png', mimeType: 'image/png', buffer: PNG_1x1 });
  await eventually(async () => assert.match(await page.textContent('#kv-file-info'), /logo\.png \(\d+ B, image\/png\)/));
  await page.click('#kv-save');
  await eventually(async () => assert.deepEqual((await kvRaw('kvbytes', 'msg:1')).bytes, PNG_1x1));
  raw = await kvRaw('kvbytes', 'msg:1');
  assert.equal(raw.type, 'image/png');
  const kept = (await kvMeta('kvbytes', 'msg:1')).expires_at;
  assert.ok(kept !== null && Math.abs(kept - expiry) <= 1000, 'replacing the bytes kept the expiry');
  await eventually(async () => assert.equal(await page.$eval('#kv-image', (img) => img.naturalWidth), 1));
  assertNoConsoleErrors(errors);
});

test('KV list: 5,000 keys load and filter (substring) in under 500 ms, with type, size and TTL columns', async (t) => {
  await createDb('kvmany');
  for (let chunk = 0; chunk < 50; chunk++) { // batch/set takes 100 items per request
    const items = [];
    for (let i = chunk * 100; i < (chunk + 1) * 100; i++) {
      const key = `user:${String(i).padStart(4, '0')}:${i % 3 === 0 ? 'profile' : 'prefs'}`;
      items.push({ key, value: JSON.stringify({ id: i, name: 'user ' + i, bio: 'b'.repeat(i % 200) }), content_type: 'application/json', ...(i % 10 === 0 ? { ttl: 3600 } : {}) });
    }
    const r = await call('POST', '/kv/batch/set', { query: { db: 'kvmany' }, body: { items } });
    assert.equal(r.status, 200, r.text);
  }
  const { page, errors } = await openPage(t, { hash: '#db=kvmany&view=sql' });
  const waitFor = (re) => page.evaluate((src) => new Promise((resolve) => {
    const t0 = performance.now();
    const check = () => {
      const el = document.querySelector('#kv-count');
      if (el && new RegExp(src).test(el.textContent)) resolve(performance.now() - t0); else requestAnimationFrame(check);
    };
    check();
  }), re.source);
  // Load: from the click on "Key-value" to the painted list (each visit fetches the list again).
  // The machine running the tests may be shared: the best of three visits is held to 500 ms.
  const visit = () => page.evaluate(() => new Promise((resolve) => {
    const stale = document.querySelector('#kv-count'); // the list painted by the previous visit
    const t0 = performance.now();
    document.querySelector('.nav-link[data-view="kv"]').click();
    const check = () => {
      const el = document.querySelector('#kv-count');
      if (el && el !== stale && /^5,000 keys/.test(el.textContent) && document.querySelector('#kv-list .kv-key')) resolve(performance.now() - t0); else requestAnimationFrame(check);
    };
    check();
  }));
  const visits = [];
  for (let i = 0; i < 3; i++) {
    if (i) {
      await page.click('.nav-link[data-view="sql"]');
      await page.waitForFunction(() => location.hash.includes('view=sql'));
    }
    visits.push(Math.round(await visit()));
  }
  const loadMs = Math.min(...visits);
  t.diagnostic(`5,000 keys listed in ${JSON.stringify(visits)} ms`);
  assert.ok(loadMs < 500, `5,000 keys loaded in ${Math.round(loadMs)} ms`);
  const domKeys = await page.locator('#kv-list .kv-key').count();
  assert.ok(domKeys > 5 && domKeys < 100, `only visible keys in the DOM (${domKeys})`);
  const row = page.locator('.kv-key[data-key="user:0000:profile"]');
  assert.equal(await row.locator('.kv-type').textContent(), 'application/json');
  assert.match(await row.locator('.kv-size').textContent(), /^\d+ B$/);
  assert.match(await row.locator('.kv-ttl').textContent(), /expires in (59m|1h)/);
  assert.equal(await page.locator('.kv-key[data-key="user:0001:prefs"] .kv-ttl').textContent(), '');
  // Substring filter (not a prefix): "0:prof" matches keys ending in 0 that are profiles.
  const filterMs = await page.evaluate(() => new Promise((resolve) => {
    const input = document.querySelector('#kv-prefix');
    const t0 = performance.now();
    input.value = '0:prof';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const check = () => {
      const el = document.querySelector('#kv-count');
      if (el && /keys match/.test(el.textContent)) resolve(performance.now() - t0); else requestAnimationFrame(check);
    };
    check();
  }));
  t.diagnostic(`filtered in ${Math.round(filterMs)} ms`);
  assert.ok(filterMs < 500, `filtered in ${Math.round(filterMs)} ms`);
  const expected = [...Array(5000).keys()].filter((i) => i % 3 === 0 && i % 10 === 0).length;
  assert.match(await page.textContent('#kv-count'), new RegExp(`^${expected} of 5,000 keys match`));
  const keys = await page.$$eval('#kv-list .kv-key', (bs) => bs.map((b) => b.dataset.key));
  assert.ok(keys.length > 0 && keys.every((k) => k.includes('0:prof')));
  // Scrolling the list paints later keys.
  await page.fill('#kv-prefix', '');
  await waitFor(/^5,000 keys/);
  await page.$eval('#kv-list .vlist', (el) => { el.scrollTop = el.scrollHeight; });
  await page.locator('.kv-key[data-key="user:4999:prefs"]').waitFor();
  assertNoConsoleErrors(errors);
});

// The KV browser's tree, glob filter and bulk actions share one store of 5,000 keys:
// user:NNNN:profile and user:NNNN:prefs for 2,000 users, and order:NNNN for 1,000 orders.
let kvTreeSeeded = null;
function seedKvTree() {
  kvTreeSeeded ??= (async () => {
    await createDb('kvtree');
    const keys = [];
    for (let i = 0; i < 2000; i++) { const n = String(i).padStart(4, '0'); keys.push(`user:${n}:profile`, `user:${n}:prefs`); }
    for (let i = 0; i < 1000; i++) keys.push(`order:${String(i).padStart(4, '0')}`);
    for (let at = 0; at < keys.length; at += 100) {
      const items = keys.slice(at, at + 100).map((key) => ({ key, value: JSON.stringify({ key }), content_type: 'application/json' }));
      const r = await call('POST', '/kv/batch/set', { query: { db: 'kvtree' }, body: { items } });
      assert.equal(r.status, 200, r.text);
    }
  })();
  return kvTreeSeeded;
}

/** Types `text` into the KV filter and resolves with the ms until the count line matches `re`. */
function kvFilterTimed(page, text, re) {
  return page.evaluate(([value, src]) => new Promise((resolve) => {
    const input = document.querySelector('#kv-prefix');
    const t0 = performance.now();
    input.value = value;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const check = () => {
      const el = document.querySelector('#kv-count');
      if (el && new RegExp(src).test(el.textContent)) resolve(performance.now() - t0); else requestAnimationFrame(check);
    };
    check();
  }), [text, re.source]);
}

test('KV filter: a filter with * ? or [...] is a glob over the whole key, else a substring; the count says which', async (t) => {
  await seedKvTree();
  const { page, errors } = await openPage(t, { hash: '#db=kvtree&view=kv' });
  await page.waitForFunction(() => /^5,000 keys/.test(document.querySelector('#kv-count')?.textContent || ''));
  // user:*1:pro* — users whose number ends in 1, profiles only (200 keys); the glob is anchored.
  const ms = await kvFilterTimed(page, 'user:*1:pro*', /^200 of 5,000 keys match \(glob/);
  t.diagnostic(`glob-filtered in ${Math.round(ms)} ms`);
  assert.ok(ms < 500, `glob-filtered in ${Math.round(ms)} ms`);
  let keys = await page.$$eval('#kv-list .kv-key', (bs) => bs.map((b) => b.dataset.key));
  assert.ok(keys.length > 0 && keys.every((k) => /^user:\d{3}1:profile$/.test(k)), keys.join());
  // ? is one character, [..] a set, [!..] its complement.
  await kvFilterTimed(page, 'order:00?5', /^10 of 5,000 keys match \(glob/);
  keys = await page.$$eval('#kv-list .kv-key', (bs) => bs.map((b) => b.dataset.key));
  assert.deepEqual(keys, [...Array(10).keys()].map((i) => `order:00${i}5`));
  await kvFilterTimed(page, 'order:000[1-3]', /^3 of 5,000 keys match \(glob/);
  await kvFilterTimed(page, 'order:000[!0-8]', /^1 of 5,000 keys match \(glob/);
  assert.deepEqual(await page.$$eval('#kv-list .kv-key', (bs) => bs.map((b) => b.dataset.key)), ['order:0009']);
  // No glob character: a substring, anywhere in the key; with one, the glob must match from the start.
  await kvFilterTimed(page, 'rder:', /^1,000 of 5,000 keys match \(substring\)/);
  await kvFilterTimed(page, 'rder:*', /^0 of 5,000 keys match \(glob/);
  assert.match(await page.textContent('#kv-list'), /No key matches the glob "rder:\*"/);
  assertNoConsoleErrors(errors);
});

/** The tree's rows in the DOM: groups as "prefix=count", leaves as "key". */
function kvTreeDom(page) {
  return page.$$eval('#kv-list .kv-row', (bs) => bs.map((b) => (b.dataset.prefix !== undefined ? `${b.dataset.prefix}=${b.querySelector('.kv-group-count').textContent}` : b.dataset.key)));
}

test('KV tree: keys grouped by ":" with counts, into a group and back by the breadcrumb, virtual for 5,000 keys, remembered', async (t) => {
  await seedKvTree();
  const { page, errors } = await openPage(t, { hash: '#db=kvtree&view=kv' });
  await page.waitForFunction(() => /^5,000 keys/.test(document.querySelector('#kv-count')?.textContent || ''));
  assert.equal(await page.isChecked('#kv-tree'), false);
  const timed = (action) => page.evaluate((what) => new Promise((resolve) => {
    const stale = document.querySelector('#kv-crumbs');
    const t0 = performance.now();
    if (what === 'toggle') document.querySelector('#kv-tree').click();
    else document.querySelector(`#kv-list .kv-group[data-prefix="${what}"]`).click();
    const check = () => {
      const el = document.querySelector('#kv-crumbs');
      if (el && el !== stale && document.querySelector('#kv-list .kv-row')) resolve(performance.now() - t0); else requestAnimationFrame(check);
    };
    check();
  }), action);
  const toggleMs = await timed('toggle');
  assert.deepEqual(await kvTreeDom(page), ['order:=1,000 keys', 'user:=4,000 keys']);
  assert.match(await page.textContent('#kv-crumbs'), /All keys\s*5,000 keys/);
  // Into "user:": 2,000 groups (one per user) of 2 keys, only those in view in the DOM.
  const intoMs = await timed('user:');
  t.diagnostic(`tree shown in ${Math.round(toggleMs)} ms, "user:" (2,000 groups) in ${Math.round(intoMs)} ms`);
  assert.ok(toggleMs < 500 && intoMs < 500, `tree ${Math.round(toggleMs)} ms, into a group ${Math.round(intoMs)} ms`);
  let rows = await kvTreeDom(page);
  assert.ok(rows.length > 5 && rows.length < 100, `only visible rows in the DOM (${rows.length})`);
  assert.deepEqual(rows.slice(0, 2), ['user:0000:=2 keys', 'user:0001:=2 keys']);
  assert.match(await page.textContent('#kv-crumbs'), /All keys\s*›\s*user:\s*4,000 keys here/);
  await page.$eval('#kv-list .vlist', (el) => { el.scrollTop = el.scrollHeight; });
  await page.locator('#kv-list .kv-group[data-prefix="user:1999:"]').waitFor();
  await page.$eval('#kv-list .vlist', (el) => { el.scrollTop = 0; });
  await page.click('#kv-list .kv-group[data-prefix="user:0001:"]');
  await page.waitForFunction(() => /user:\s*›\s*0001:/.test(document.querySelector('#kv-crumbs').textContent));
  assert.deepEqual(await kvTreeDom(page), ['user:0001:prefs', 'user:0001:profile']);
  assert.equal(await page.textContent('.kv-key[data-key="user:0001:prefs"] .kv-name'), 'prefs');
  assert.equal(await page.textContent('.kv-key[data-key="user:0001:prefs"] .kv-type'), 'application/json');
  // A leaf opens as in the flat list; the tree stays where it was.
  await page.click('.kv-key[data-key="user:0001:profile"]');
  await page.waitForFunction(() => new URLSearchParams(location.hash.slice(1)).get('key') === 'user:0001:profile');
  await page.waitForFunction(() => document.querySelector('#kv-value')?.value.includes('user:0001:profile'));
  assert.deepEqual(await kvTreeDom(page), ['user:0001:prefs', 'user:0001:profile']);
  // Back up by the breadcrumb.
  await page.click('#kv-crumbs .kv-crumb[data-prefix="user:"]');
  await page.locator('#kv-list .kv-group[data-prefix="user:0000:"]').waitFor();
  await page.click('#kv-crumbs .kv-crumb[data-prefix=""]');
  await page.locator('#kv-list .kv-group[data-prefix="order:"]').waitFor();
  // The filter applies in the tree: the groups count the matching keys only.
  await kvFilterTimed(page, '*:profile', /^2,000 of 5,000 keys match \(glob/);
  assert.deepEqual(await kvTreeDom(page), ['user:=2,000 keys']);
  await kvFilterTimed(page, '', /^5,000 keys/);
  // Remembered: a new visit opens in tree view, among the siblings of the key the link opens.
  await page.reload();
  await page.waitForFunction(() => window.hoody !== undefined);
  await page.locator('#kv-list .kv-key[data-key="user:0001:prefs"]').waitFor();
  assert.equal(await page.isChecked('#kv-tree'), true);
  assert.deepEqual(await kvTreeDom(page), ['user:0001:prefs', 'user:0001:profile']);
  assert.equal(await page.getAttribute('#kv-crumbs .kv-crumb[data-prefix="user:0001:"]', 'aria-current'), 'location');
  // Phone width: the tree, two levels down, has no horizontal overflow.
  await page.setViewportSize(PHONE);
  await page.click('#kv-crumbs .kv-crumb[data-prefix=""]');
  await page.click('#kv-list .kv-group[data-prefix="user:"]');
  await page.click('#kv-list .kv-group[data-prefix="user:0002:"]');
  await page.locator('.kv-key[data-key="user:0002:prefs"]').waitFor();
  const o = await noHorizontalOverflow(page);
  assert.ok(o.scrollWidth <= o.innerWidth, `KV tree overflows on a phone: ${JSON.stringify(o)}`);
  // Off again: the flat list, scrolled to the opened key.
  await page.click('#kv-tree');
  await page.locator('#kv-list .kv-key[data-key="user:0001:profile"]').waitFor();
  assert.equal(await page.textContent('.kv-key[data-key="user:0001:profile"] .kv-name'), 'user:0001:profile');
  assert.equal(await page.$('#kv-crumbs'), null);
  assertNoConsoleErrors(errors);
});

test('KV bulk delete: "Delete N keys…" deletes what the filter matches, 100 keys per batch/delete, the others survive', async (t) => {
  await createDb('kvbulk');
  const keys = [...Array(250).keys()].map((i) => `sess:${String(i).padStart(3, '0')}`);
  const others = [...[...Array(150).keys()].map((i) => `keep:${String(i).padStart(3, '0')}`), 'xsess:1', 'sess'];
  const all = [...keys, ...others];
  for (let at = 0; at < all.length; at += 100) {
    const items = all.slice(at, at + 100).map((key) => ({ key, value: 'v', content_type: 'text/plain' }));
    const r = await call('POST', '/kv/batch/set', { query: { db: 'kvbulk' }, body: { items } });
    assert.equal(r.status, 200, r.text);
  }
  const { page, errors } = await openPage(t, { hash: '#db=kvbulk&view=kv' });
  await page.waitForFunction(() => /^402 keys/.test(document.querySelector('#kv-count')?.textContent || ''));
  assert.equal(await page.$('#kv-bulk-delete'), null, 'no bulk action without a filter');
  const batches = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname.endsWith('/kv/batch/delete')) batches.push(JSON.parse(req.postData()).keys);
  });
  await kvFilterTimed(page, 'sess:*', /^250 of 402 keys match \(glob/);
  assert.equal(await page.textContent('#kv-bulk-delete'), 'Delete 250 keys…');
  // Cancel deletes nothing.
  await page.click('#kv-bulk-delete');
  await page.locator('#kv-bulk-confirm').waitFor();
  const body = await page.textContent('#kv-bulk-confirm');
  assert.match(body, /Delete 250 keys matching the glob "sess:\*" from "kvbulk"/);
  assert.match(body, /sess:000.*sess:004/s);
  assert.match(body, /… and 245 more/);
  await page.click('#modal-cancel');
  await sleep(200);
  assert.equal(batches.length, 0);
  assert.equal((await call('GET', '/kv', { query: { db: 'kvbulk', limit: 1 } })).json.total, 402);
  // Confirm: three requests of at most 100 keys, exactly the matched keys.
  await page.click('#kv-bulk-delete');
  await page.click('#modal-ok');
  await page.waitForFunction(() => /^Deleted 250 keys\./.test(document.querySelector('#kv-bulk-msg').textContent));
  await page.waitForFunction(() => /^0 of 152 keys match \(glob/.test(document.querySelector('#kv-count')?.textContent || ''));
  assert.deepEqual(batches.map((b) => b.length), [100, 100, 50]);
  assert.deepEqual(batches.flat().sort(), [...keys].sort());
  const left = await call('GET', '/kv', { query: { db: 'kvbulk', limit: 1000 } });
  assert.deepEqual(left.json.items.map((it) => it.key).sort(), [...others].sort());
  assert.equal((await call('GET', '/kv', { query: { db: 'kvbulk', prefix: 'sess:' } })).json.total, 0);
  // In the tree, the action covers the keys under the prefix.
  await kvFilterTimed(page, '', /^152 keys/);
  if (!(await page.isChecked('#kv-tree'))) await page.click('#kv-tree');
  await page.click('#kv-list .kv-group[data-prefix="keep:"]');
  assert.equal(await page.textContent('#kv-bulk-delete'), 'Delete 150 keys…');
  await page.click('#kv-tree');
  assertNoConsoleErrors(errors);
});

test('KV bulk TTL: "Set TTL of N keys…" sets the expiry of what the filter matches (batch/expire), bytes and types untouched, 0 removes it', async (t) => {
  await createDb('kvbulkttl');
  const keys = [...Array(130).keys()].map((i) => `cache:${String(i).padStart(3, '0')}`);
  const items = keys.map((key, i) => ({ key, value: i % 2 ? '{"n":' + i + '}' : 'v' + i, content_type: i % 2 ? 'application/json' : 'text/plain; charset=utf-8' }));
  for (let at = 0; at < items.length; at += 100) {
    assert.equal((await call('POST', '/kv/batch/set', { query: { db: 'kvbulkttl' }, body: { items: items.slice(at, at + 100) } })).status, 200);
  }
  await kvPut('kvbulkttl', 'keep', 'forever', { contentType: 'text/plain' });
  const { page, errors } = await openPage(t, { hash: '#db=kvbulkttl&view=kv' });
  await page.waitForFunction(() => /^131 keys/.test(document.querySelector('#kv-count')?.textContent || ''));
  const batches = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && new URL(req.url()).pathname.endsWith('/kv/batch/expire')) batches.push(JSON.parse(req.postData()));
  });
  await kvFilterTimed(page, 'cache:', /^130 of 131 keys match \(substring/);
  assert.equal(await page.textContent('#kv-bulk-ttl'), 'Set TTL of 130 keys…');
  await page.click('#kv-bulk-ttl');
  await page.locator('#kv-bulk-ttl-confirm').waitFor();
  assert.match(await page.textContent('#kv-bulk-ttl-confirm'), /130 keys containing "cache:" in "kvbulkttl"/);
  await page.fill('#kv-bulk-ttl-input', '600');
  const before = Date.now();
  await page.click('#modal-ok');
  await page.waitForFunction(() => /^Set a TTL of .* on 130 keys\./.test(document.querySelector('#kv-bulk-msg').textContent));
  assert.deepEqual(batches.map((b) => [b.keys.length, b.ttl]), [[100, 600], [30, 600]]);
  const list = (await call('GET', '/kv', { query: { db: 'kvbulkttl', limit: 1000 } })).json.items;
  for (const it of list) {
    if (it.key === 'keep') { assert.equal(it.expires_at, null); continue; }
    assert.ok(it.expires_at >= before + 599_000 && it.expires_at <= Date.now() + 601_000, it.key + ' ' + it.expires_at);
  }
  // The bytes and content types are as stored.
  for (const i of [0, 1, 128, 129]) {
    const r = await kvGet('kvbulkttl', keys[i]);
    assert.equal(r.text, items[i].value);
    assert.equal(r.headers.get('content-type'), items[i].content_type);
  }
  // The list shows the live TTLs; 0 removes them again.
  await page.waitForFunction(() => /expires in/.test(document.querySelector('#kv-list .kv-ttl')?.textContent || ''));
  await page.click('#kv-bulk-ttl');
  await page.fill('#kv-bulk-ttl-input', '0');
  await page.click('#modal-ok');
  await page.waitForFunction(() => /^Removed the expiry of 130 keys\./.test(document.querySelector('#kv-bulk-msg').textContent));
  const after = (await call('GET', '/kv', { query: { db: 'kvbulkttl', limit: 1000 } })).json.items;
  assert.ok(after.every((it) => it.expires_at === null));
  // Recorded in each key's history as op expire.
  const hist = (await call('GET', '/kv/' + encodeURIComponent(keys[5]) + '/history', { query: { db: 'kvbulkttl' } })).json;
  assert.deepEqual(hist.operations.slice(0, 2).map((o) => o.operation.op), ['expire', 'expire']);
  assertNoConsoleErrors(errors);
});

test('KV atomic: Increment / Decrement by a step on an integer, Push / Pop on a JSON array; the value and timeline follow', async (t) => {
  await createDb('kvatomic');
  await kvPut('kvatomic', 'hits', '5', { contentType: 'text/plain' });
  await kvPut('kvatomic', 'queue', '[1,"two"]');
  await kvPut('kvatomic', 'note', 'hello', { contentType: 'text/plain' });
  const { page, errors } = await openPage(t, { hash: '#db=kvatomic&view=kv&key=note' });
  await page.waitForFunction(() => document.querySelector('#kv-value')?.value === 'hello');
  assert.equal(await page.$('#kv-atomic'), null, 'no atomic operations on plain text');
  const timelineOps = () => page.$$eval('#kv-timeline .tl-item .badge.op', (bs) => bs.map((b) => b.textContent));
  const apiValue = async (key) => (await kvGet('kvatomic', key)).text;
  // The counter.
  await page.evaluate(() => { location.hash = '#db=kvatomic&view=kv&key=hits'; });
  await page.locator('#kv-incr').waitFor();
  await page.fill('#kv-step', '3');
  await page.click('#kv-incr');
  await page.waitForFunction(() => document.querySelector('#kv-atomic-msg')?.textContent === 'Incremented by 3: now 8.' && document.querySelector('#kv-value')?.value === '8');
  assert.equal(await apiValue('hits'), '8');
  await eventually(async () => assert.deepEqual(await timelineOps(), ['incr', 'set']));
  await page.fill('#kv-step', '10');
  await page.click('#kv-decr');
  await page.waitForFunction(() => document.querySelector('#kv-atomic-msg')?.textContent === 'Decremented by 10: now -2.' && document.querySelector('#kv-value')?.value === '-2');
  assert.equal(await apiValue('hits'), '-2');
  await eventually(async () => assert.deepEqual(await timelineOps(), ['decr', 'incr', 'set']));
  // A step that is not a whole number ≥ 1 sends nothing.
  await page.fill('#kv-step', '0');
  await page.click('#kv-incr');
  assert.match(await page.textContent('#kv-atomic-msg'), /at least 1/);
  assert.equal(await apiValue('hits'), '-2');
  // The list row follows (type and size of the new value).
  assert.equal(await page.textContent('.kv-key[data-key="hits"] .kv-size'), '2 B');
  // The array.
  await page.click('.kv-key[data-key="queue"]');
  await page.locator('#kv-push').waitFor();
  assert.equal(await page.$('#kv-incr'), null);
  await page.fill('#kv-push-value', '{"id": 1}');
  await page.click('#kv-push');
  await page.waitForFunction(() => document.querySelector('#kv-atomic-msg')?.textContent === 'Pushed {"id": 1}: 3 elements.');
  assert.deepEqual(JSON.parse(await apiValue('queue')), [1, 'two', { id: 1 }]);
  // Not JSON: pushed as a string; an object with only "value" is pushed as itself.
  await page.fill('#kv-push-value', 'plain text');
  await page.press('#kv-push-value', 'Enter');
  await page.waitForFunction(() => /^Pushed "plain text": 4 elements\.$/.test(document.querySelector('#kv-atomic-msg')?.textContent || ''));
  await page.fill('#kv-push-value', '{"value": 7}');
  await page.click('#kv-push');
  await page.waitForFunction(() => /: 5 elements\.$/.test(document.querySelector('#kv-atomic-msg')?.textContent || ''));
  assert.deepEqual(JSON.parse(await apiValue('queue')), [1, 'two', { id: 1 }, 'plain text', { value: 7 }]);
  assert.deepEqual(JSON.parse(await page.inputValue('#kv-value')), [1, 'two', { id: 1 }, 'plain text', { value: 7 }]);
  await page.click('#kv-pop');
  await page.waitForFunction(() => document.querySelector('#kv-atomic-msg')?.textContent === 'Popped {"value":7}: 4 left.');
  assert.deepEqual(JSON.parse(await apiValue('queue')), [1, 'two', { id: 1 }, 'plain text']);
  await eventually(async () => assert.deepEqual(await timelineOps(), ['pop', 'push', 'push', 'push', 'set']));
  // The console's own writes are not reported as a change by someone else.
  await sleep(500);
  assert.equal(await page.$('#kv-changed'), null);
  // Unsaved edits in the value field: the operation asks first; Cancel changes nothing.
  await page.fill('#kv-value', '[1]');
  await page.click('#kv-pop');
  await page.locator('#modal-title', { hasText: 'Unsaved edits' }).waitFor();
  await page.click('#modal-cancel');
  await sleep(200);
  assert.deepEqual(JSON.parse(await apiValue('queue')), [1, 'two', { id: 1 }, 'plain text']);
  assert.equal(await page.inputValue('#kv-value'), '[1]');
  // Phone and tablet widths: the panel fits.
  for (const viewport of [PHONE, TABLET]) {
    await page.setViewportSize(viewport);
    await sleep(100);
    const o = await noHorizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.innerWidth, `atomic panel overflows at ${viewport.width} px: ${JSON.stringify(o)}`);
  }
  assertNoConsoleErrors(errors);
});

test('database selector: create a database, remember it in the URL, keyboard only', async (t) => {
  const { page, errors } = await openPage(t);
  assert.equal(await page.isVisible('#view-welcome'), true);
  await page.fill('#db-input', 'fresh');
  await page.click('#db-create');
  await page.waitForFunction(() => location.hash === '#db=fresh&view=sql');
  await runInEditor(page, 'CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (7)');
  assert.match(await page.textContent('#sql-results'), /1 row updated/);
  // A link to a view reopens it.
  await page.goto(`${base}/#db=fresh&view=schema`);
  await page.locator('.obj-btn[data-table="t"]').waitFor();
  // Keyboard: type a name, press Enter, then run with Ctrl+Enter.
  await page.focus('#db-input');
  await page.fill('#db-input', 'people');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash.startsWith('#db=people&view=schema'));
  await page.locator('.nav-link[data-view="sql"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => location.hash === '#db=people&view=sql');
  await focusEditor(page);
  await page.keyboard.press('Control+a');
  await page.keyboard.type('SELECT count(*) AS n FROM people');
  await page.keyboard.press('Control+Enter');
  await page.locator('#sql-results table').waitFor();
  assert.match(await page.textContent('#recent-dbs'), /fresh/);
  assertNoConsoleErrors(errors);

  // A link to a database that does not exist offers to create it.
  const { page: p2, errors: errors2 } = await openPage(t, { hash: '#db=ghost&view=schema' });
  await p2.locator('#schema-list .create-missing').waitFor();
  assert.match(await p2.textContent('#schema-list'), /"ghost" does not exist/);
  await p2.click('#schema-list .create-missing');
  await eventually(async () => assert.match(await p2.textContent('#schema-list'), /No tables yet/));
  assert.equal((await call('POST', '/db', { query: { db: 'ghost' }, body: { transaction: [{ query: 'SELECT 1 AS one' }] } })).status, 200);
  assertNoConsoleErrors(errors2, [NETWORK_400]);
});

for (const [label, viewport] of [['phone', PHONE], ['tablet', TABLET]]) {
  test(`responsive: ${label} width renders every view without horizontal overflow`, async (t) => {
    const { page, errors } = await openPage(t, { viewport, hash: '#db=library&view=sql' });
    await runInEditor(page, 'SELECT b.id, b.title, a.name AS author, b.price, b.title || b.title || b.title || b.title AS long_title FROM books b JOIN authors a ON a.id = b.author_id');
    await page.locator('#sql-results table').waitFor();
    let o = await noHorizontalOverflow(page);
    assert.ok(o.scrollWidth <= o.innerWidth, `sql view overflows: ${JSON.stringify(o)}`);
    for (const hash of ['#db=library&view=schema&table=books', '#db=library&view=schema&table=authors&where=%7B%22id%22%3A1%7D', '#db=library&view=history', '#db=library&view=kv', '#db=library&view=travel']) {
      await page.evaluate((h) => { location.hash = h; }, hash);
      await page.waitForFunction(() => !document.querySelector('.loading'));
      await sleep(100);
      o = await noHorizontalOverflow(page);
      assert.ok(o.scrollWidth <= o.innerWidth, `${hash} overflows: ${JSON.stringify(o)}`);
    }
    if (label === 'phone') {
      // The sidebar is collapsed behind the menu button.
      assert.equal(await page.isVisible('#sidebar'), false);
      await page.click('#menu-toggle');
      await page.locator('#sidebar').waitFor({ state: 'visible' });
      assert.equal(await page.getAttribute('#menu-toggle', 'aria-expanded'), 'true');
      await page.click('.nav-link[data-view="sql"]');
      await page.waitForFunction(() => location.hash.includes('view=sql'));
      await page.locator('#sidebar').waitFor({ state: 'hidden' });
    } else {
      assert.equal(await page.isVisible('#sidebar'), true);
    }
    assertNoConsoleErrors(errors);
  });
}

test('share link with a token: the console asks POST /share for a signed link that needs no token', async (t) => {
  // A second server with --auth-token and a key file (docs/security.md, share links).
  const dir = await mkdtemp(join(tmpdir(), 'hoody-ui-auth-'));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'keys'), 'hs256 browser-test-secret-0123456789abcdef012345\n');
  const portFile = join(dir, 'port');
  const srv = spawn(BIN, ['--port', '0', '--port-file', portFile, '--data-dir', dir, '--auth-token', 'full',
    '--jwt-key-file', join(dir, 'keys')], { stdio: 'ignore' });
  t.after(async () => {
    const done = new Promise((r) => srv.once('exit', r));
    srv.kill('SIGTERM');
    await done;
    await rm(dir, { recursive: true, force: true });
  });
  let port = 0;
  for (let i = 0; i < 600 && !port; i++) {
    try { port = Number((await readFile(portFile, 'utf8')).trim()) || 0; } catch { await sleep(50); }
  }
  assert.ok(port, 'second server did not start');
  const origin = `http://127.0.0.1:${port}`;
  const auth = { 'Content-Type': 'application/json', Authorization: 'Bearer full' };
  const created = await fetch(`${origin}/api/v1/sqlite/db?db=s&create_db_if_missing=true`, { method: 'POST', headers: auth,
    body: JSON.stringify({ transaction: [{ statement: 'CREATE TABLE t(x)' }, { statement: 'INSERT INTO t VALUES (5)' }] }) });
  assert.equal(created.status, 200);
  const context = await browser.newContext({ viewport: LAPTOP });
  t.after(() => context.close());
  await context.addInitScript(() => localStorage.setItem('hoody-sqlite.token', 'full'));
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${origin}/#db=s&view=sql`);
  await page.waitForFunction(() => window.hoody !== undefined);
  await setEditor(page, 'SELECT x FROM t');
  await page.click('#share-btn');
  await page.locator('#share-box').waitFor({ state: 'visible' });
  const link = await page.inputValue('#share-url');
  assert.match(link, new RegExp(`^${origin}/api/v1/sqlite/query\\?db=s&sql=[A-Za-z0-9_-]+&exp=\\d+&sig=[A-Za-z0-9_-]+$`));
  assert.match(await page.textContent('#share-note'), /Signed link/);
  const open = await fetch(link);  // no Authorization header
  assert.equal(open.status, 200);
  assert.deepEqual((await open.json()).resultSet, [{ x: 5 }]);
  const tampered = await fetch(link.replace(/exp=(\d+)/, (m, e) => `exp=${Number(e) + 1}`));
  assert.equal(tampered.status, 401);
});

// ------------------------------------------------------------------ databases, sign-in, share page
/** Starts another server (own data directory) with `args`; stopped when the test ends. */
async function startExtraServer(t, args) {
  const dir = await mkdtemp(join(tmpdir(), 'hoody-ui-extra-'));
  const portFile = join(dir, 'port');
  const srv = spawn(BIN, ['--port', '0', '--port-file', portFile, '--data-dir', dir, ...args], { stdio: 'ignore' });
  t.after(async () => {
    const done = new Promise((r) => srv.once('exit', r));
    srv.kill('SIGTERM');
    await done;
    await rm(dir, { recursive: true, force: true });
  });
  let port = 0;
  for (let i = 0; i < 600 && !port; i++) {
    try { port = Number((await readFile(portFile, 'utf8')).trim()) || 0; } catch { /* not yet */ }
    if (!port) await sleep(50);
  }
  assert.ok(port, 'extra server did not start');
  return { origin: `http://127.0.0.1:${port}`, dir };
}

test('databases: the sidebar lists the data directory (GET /databases) and opens one', async (t) => {
  const { page, errors } = await openPage(t);
  const names = () => page.$$eval('#server-dbs a', (as) => as.map((a) => a.dataset.db));
  await eventually(async () => {
    const list = await names();
    assert.ok(list.includes('people') && list.includes('library'), `listed: ${list}`);
  });
  const api = (await call('GET', '/databases')).json;
  assert.deepEqual(await names(), api.databases.map((d) => d.name));
  const people = api.databases.find((d) => d.name === 'people');
  assert.match(await page.textContent('#server-dbs a[data-db="people"] .db-size'), /KB|B$/);
  assert.match(await page.getAttribute('#server-dbs a[data-db="people"]', 'title'), new RegExp(`people · .*${people.size < 1024 ? 'B' : 'KB'}`));
  // The welcome view offers the first 24 of them as well (the sidebar is folded away on phones).
  assert.equal(await page.isVisible('#view-welcome'), true);
  const welcome = () => page.$$eval('#welcome-dbs a', (as) => as.map((a) => a.textContent));
  await eventually(async () => assert.deepEqual(await welcome(), api.databases.slice(0, 24).map((d) => (d.name.startsWith('/') && d.file ? d.file : d.name))));
  // The names are suggestions of the database input too.
  const options = await page.$$eval('#db-list option', (os) => os.map((o) => o.value));
  assert.ok(options.includes('library'), `options: ${options}`);
  // A click opens the database; it is then marked as the current one.
  await page.click('#server-dbs a[data-db="library"]');
  await page.waitForFunction(() => location.hash.startsWith('#db=library'));
  assert.equal(await page.getAttribute('#server-dbs a[data-db="library"]', 'class'), 'active');
  // A database created elsewhere shows up on reload of the list; one created here at once.
  await createDb('listed_later', { kv: false });
  await page.click('#server-dbs-refresh');
  await eventually(async () => assert.ok((await names()).includes('listed_later')));
  await page.fill('#db-input', 'made_in_ui');
  await page.click('#db-create');
  await eventually(async () => assert.ok((await names()).includes('made_in_ui')));
  assertNoConsoleErrors(errors);
});

test('sign-in: under --auth-token a masked dialog signs in (wrong token refused), shows the state, signs out', async (t) => {
  const { origin } = await startExtraServer(t, ['--auth-token', 'right-token-123']);
  const auth = { 'Content-Type': 'application/json', Authorization: 'Bearer right-token-123' };
  const made = await fetch(`${origin}/api/v1/sqlite/db?db=locked&create_db_if_missing=true`, { method: 'POST', headers: auth,
    body: JSON.stringify({ transaction: [{ statement: 'CREATE TABLE t(x)' }, { statement: 'INSERT INTO t VALUES (41), (42)' }] }) });
  assert.equal(made.status, 200);
  const context = await browser.newContext({ viewport: LAPTOP });
  t.after(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => { errors.push(`uncaught: ${e.message}`); });
  let prompted = false;
  page.on('dialog', async (d) => { prompted = true; await d.dismiss(); });  // window.prompt/alert
  await page.goto(`${origin}/#db=locked&view=sql`);
  // The dialog opens by itself (the first request answered 401), with a password field.
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await page.getAttribute('#signin-token', 'type'), 'password');
  assert.equal(await page.isVisible('#auth-state'), false);
  // A wrong token: an error, the dialog stays, nothing is stored.
  await page.fill('#signin-token', 'wrong-token');
  await page.click('#signin-ok');
  await eventually(async () => assert.match(await page.textContent('#signin-error'), /did not accept/));
  assert.equal(await page.isVisible('#signin'), true);
  assert.equal(await page.evaluate(() => localStorage.getItem('hoody-sqlite.token')), null);
  // The right one: signed in, remembered (localStorage, the default), the UI works.
  await page.fill('#signin-token', 'right-token-123');
  await page.click('#signin-ok');
  await page.locator('#signin').waitFor({ state: 'hidden' });
  await page.locator('#auth-state').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#auth-state'), /Signed in/);
  assert.equal(await page.isVisible('#signout-button'), true);
  assert.equal(await page.isVisible('#signin-button'), false);
  assert.equal(await page.evaluate(() => localStorage.getItem('hoody-sqlite.token')), 'right-token-123');
  await page.locator('#server-dbs a[data-db="locked"]').waitFor();
  // At phone width the signed-in top bar still fits.
  await page.setViewportSize(PHONE);
  const o = await noHorizontalOverflow(page);
  assert.ok(o.scrollWidth <= o.innerWidth, `phone top bar overflows: ${JSON.stringify(o)}`);
  assert.equal(await page.isVisible('#signout-button'), true);
  await page.setViewportSize(LAPTOP);
  await runInEditor(page, 'SELECT x FROM t ORDER BY x');
  assert.deepEqual((await readTable(page, '#sql-results .result table')).rows, [['41'], ['42']]);
  // Share: without a share secret the link needs the token, and says so.
  await page.click('#share-btn');
  await page.locator('#share-box').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#share-note'), /needs the access token/);
  assert.equal(await page.getAttribute('#share-box', 'data-needs-token'), 'true');
  assert.equal((await fetch(await page.inputValue('#share-url'))).status, 401);
  // Sign out: the token is gone, the button offers to sign in again.
  await page.click('#signout-button');
  await page.locator('#signin-button').waitFor({ state: 'visible' });
  assert.equal(await page.isVisible('#auth-state'), false);
  assert.equal(await page.evaluate(() => localStorage.getItem('hoody-sqlite.token') || sessionStorage.getItem('hoody-sqlite.token')), null);
  assert.match(await page.textContent('#server-dbs-msg'), /Sign in/);
  // Signing in for this tab only keeps the token in sessionStorage.
  await page.click('#signin-button');
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.fill('#signin-token', 'right-token-123');
  await page.uncheck('#signin-remember');
  await page.press('#signin-token', 'Enter');
  await page.locator('#auth-state').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('hoody-sqlite.token')), 'right-token-123');
  assert.equal(await page.evaluate(() => localStorage.getItem('hoody-sqlite.token')), null);
  // Cancel closes the dialog; the list then asks to sign in.
  await page.click('#signout-button');
  await page.reload();
  await page.locator('#signin').waitFor({ state: 'visible' });
  await page.click('#signin-cancel');
  await page.locator('#signin').waitFor({ state: 'hidden' });
  await eventually(async () => assert.match(await page.textContent('#server-dbs-msg'), /Sign in/));
  assert.equal(prompted, false, 'no window.prompt');
  assertNoConsoleErrors(errors, [/status of 401/, /status of 403/]);  // 403: POST /share without a share secret
});

test('share page: a GET /query link opened by the browser is an escaped table that opens in the console', async (t) => {
  await createDb('sharepage', { kv: false });
  await sql('sharepage', [
    { statement: 'CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT, n REAL)' },
    { statement: 'INSERT INTO s (id, v, n) VALUES (?, ?, ?)', valuesBatch: [[1, '<script>alert(1)</script>', 1.5], [2, '<img src=x onerror=alert(2)>', null]] },
  ]);
  const { page, errors } = await openPage(t, { hash: '#db=sharepage&view=sql' });
  let alerted = false;
  page.on('dialog', async (d) => { alerted = true; await d.dismiss(); });
  const query = 'SELECT id, v, n FROM s ORDER BY id';
  await setEditor(page, query);
  await page.click('#share-btn');
  await page.locator('#share-box').waitFor({ state: 'visible' });
  assert.match(await page.textContent('#share-note'), /Anyone who can reach this server.*result page/);
  assert.equal(await page.getAttribute('#share-box', 'data-needs-token'), 'false');
  const link = await page.inputValue('#share-url');
  // The browser gets the page; fetch (no Accept: text/html) still gets the JSON.
  assert.equal((await (await fetch(link)).json()).rowCount, 2);
  const view = await page.context().newPage();
  const viewErrors = [];
  view.on('console', (m) => { if (m.type() === 'error') viewErrors.push(m.text()); });
  view.on('dialog', async (d) => { alerted = true; await d.dismiss(); });
  const res = await view.goto(link);
  assert.match(res.headers()['content-type'], /^text\/html/);
  assert.equal(await view.textContent('#row-count'), '2 rows · 3 columns');
  const cells = await view.$$eval('tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(cells, [['1', '<script>alert(1)</script>', '1.5'], ['2', '<img src=x onerror=alert(2)>', 'NULL']]);
  assert.equal(await view.$$eval('tbody script, tbody img', (n) => n.length), 0);
  assert.deepEqual(await view.$$eval('thead th', (ths) => ths.map((th) => th.firstChild.textContent)), ['id', 'v', 'n']);
  assert.equal(await view.isVisible('#truncated'), false);
  const wide = await view.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  assert.ok(wide, 'the page itself does not overflow');
  // "Open in console" puts the query into the editor of that database.
  await view.click('#open-console');
  await view.waitForFunction(() => window.hoody !== undefined);
  await view.waitForFunction(() => location.hash === '#db=sharepage&view=sql');
  assert.equal(await editorText(view), query);
  assert.equal(alerted, false, 'no script ran');
  assertNoConsoleErrors(errors);
  assertNoConsoleErrors(viewErrors);
});

test('change feed: a browser EventSource reads GET /kv/watch; the KV list updates live', async (t) => {
  await createDb('livedb');
  await kvPut('livedb', 'first', '"one"');
  const { page, errors } = await openPage(t, { hash: '#db=livedb&view=kv' });
  // EventSource: replays from since=0, then follows a write made after it opened.
  const got = page.evaluate(() => new Promise((resolve, reject) => {
    const es = new EventSource('/api/v1/sqlite/kv/watch?db=livedb&since=0');
    const seen = [];
    es.addEventListener('change', (e) => {
      seen.push({ id: e.lastEventId, data: JSON.parse(e.data) });
      if (seen.length === 2) { es.close(); resolve(seen); }
    });
    es.onerror = () => reject(new Error('EventSource error'));
    setTimeout(() => reject(new Error('timeout: ' + JSON.stringify(seen))), 10_000);
  }));
  await sleep(300);
  await kvPut('livedb', 'second', '"two"');
  const seen = await got;
  assert.deepEqual(seen.map((e) => e.data.key), ['first', 'second']);
  assert.equal(seen[0].id, String(seen[0].data.seq));
  assert.equal(seen[1].data.value, '"two"');

  // The KV list follows the feed: a key written elsewhere appears, a deleted one goes.
  await page.locator('.kv-key[data-key="first"]').waitFor();
  await page.locator('.kv-key[data-key="second"]').waitFor();
  await kvPut('livedb', 'third', '"three"');
  await page.locator('.kv-key[data-key="third"]').waitFor({ timeout: 10_000 });
  await call('DELETE', '/kv/first', { query: { db: 'livedb' } });
  await eventually(async () => assert.equal(await page.locator('.kv-key[data-key="first"]').count(), 0));
  // The opened key says that it changed on the server, and reloads on request.
  await page.locator('.kv-key[data-key="second"]').click();
  await eventually(async () => assert.match(await page.inputValue('#kv-value'), /two/));
  await kvPut('livedb', 'second', '"changed"');
  await page.locator('#kv-changed').waitFor({ timeout: 10_000 });
  await page.click('#kv-changed button');
  await eventually(async () => assert.match(await page.inputValue('#kv-value'), /changed/));
  assertNoConsoleErrors(errors);
});
