// Regenerates the README screenshots of the web UI from the real server binary:
//   docs/screenshots/sql-editor.png   SQL editor with results
//   docs/screenshots/schema.png       schema browser with a table open (keys, indexes, CHECKs, rows)
//   docs/screenshots/kv-history.png   KV browser with a key's history timeline
//   docs/screenshots/share-page.png   a GET /query link opened in the browser (the share page)
//   docs/screenshots/sign-in.png      the sign-in dialog of a server with --auth-token
//
//   cd tests/browser && npm ci && node screenshots.mjs [output-dir]
// Env: HOODY_BIN (default <repo>/build/hoody-sqlite), CHROMIUM_PATH (default /usr/bin/chromium),
//      SCREENSHOT_PHONE=1 also writes phone-width variants (*-phone.png).
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const BIN = process.env.HOODY_BIN || join(repo, 'build', 'hoody-sqlite');
const OUT = resolve(process.argv[2] || join(repo, 'docs', 'screenshots'));
// HOODY_UI_DIR=../../web serves the UI from disk instead of the binary's embedded copy (dev aid).
const UI_DIR = process.env.HOODY_UI_DIR ? resolve(process.env.HOODY_UI_DIR) : '';
const MIME = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(args = []) {
  if (!existsSync(BIN)) throw new Error(`server binary not found at ${BIN} (build it, or set HOODY_BIN)`);
  const dir = await mkdtemp(join(tmpdir(), 'hoody-shots-'));
  const portFile = join(dir, 'port');
  const proc = spawn(BIN, ['--port', '0', '--port-file', portFile, '--data-dir', dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const deadline = Date.now() + 30_000;
  let port = 0;
  while (!port) {
    if (proc.exitCode !== null) throw new Error(`server exited early:\n${log}`);
    if (Date.now() > deadline) throw new Error(`no port file after 30s:\n${log}`);
    try { const t = (await readFile(portFile, 'utf8')).trim(); if (/^\d+$/.test(t) && Number(t) > 0) port = Number(t); } catch { /* wait */ }
    if (!port) await sleep(50);
  }
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    try { if ((await fetch(`${base}/api/v1/sqlite/health`, { headers: { 'Content-Type': 'application/json' } })).ok) break; } catch { /* wait */ }
    if (Date.now() > deadline) throw new Error(`health check failed:\n${log}`);
    await sleep(50);
  }
  return {
    base,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function call(base, method, path, query, { body, raw, contentType } = {}) {
  const url = new URL(`/api/v1/sqlite${path}`, base);
  for (const [k, v] of Object.entries(query || {})) url.searchParams.set(k, String(v));
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': contentType || 'application/json' },
    body: raw !== undefined ? raw : body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text;
}

async function seed(base) {
  const db = 'shop';
  await call(base, 'POST', '/db/create', { path: db, init_kv: 'true' });
  await call(base, 'POST', '/db', { db }, { body: { transaction: [
    { statement: 'CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE, country TEXT, created_at TEXT DEFAULT CURRENT_TIMESTAMP)' },
    { statement: 'CREATE TABLE products (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, title TEXT NOT NULL, price REAL NOT NULL, stock INTEGER DEFAULT 0, image BLOB)' },
    { statement: 'CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), product_id INTEGER NOT NULL REFERENCES products(id), qty INTEGER NOT NULL CHECK (qty > 0), note TEXT)' },
    { statement: 'CREATE INDEX orders_by_customer ON orders(customer_id)' },
    { statement: 'CREATE VIEW order_totals AS SELECT o.id, c.name AS customer, p.title, o.qty * p.price AS total FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id' },
    { statement: 'INSERT INTO customers (id, name, email, country) VALUES (?, ?, ?, ?)', valuesBatch: [
      [1, 'Ada Lovelace', 'ada@example.com', 'UK'], [2, 'Grace Hopper', 'grace@example.com', 'US'],
      [3, 'Linus Torvalds', 'linus@example.com', 'FI'], [4, 'Margaret Hamilton', 'margaret@example.com', 'US'],
      [5, 'Katherine Johnson', null, 'US'], [6, 'Alan Turing', 'alan@example.com', 'UK']] },
    { statement: 'INSERT INTO products (id, sku, title, price, stock) VALUES (?, ?, ?, ?, ?)', valuesBatch: [
      [1, 'KB-01', 'Mechanical keyboard', 129.0, 14], [2, 'MS-02', 'Wireless mouse', 39.5, 52],
      [3, 'MN-27', '27" monitor', 329.99, 6], [4, 'HD-01', 'Noise-cancelling headphones', 199.0, 0],
      [5, 'CB-10', 'USB-C cable (2 m)', 12.9, 230]] },
    { statement: "UPDATE products SET image = X'89504E470D0A1A0A0000000D49484452' WHERE id IN (1, 3)" },
    { statement: 'INSERT INTO orders (customer_id, product_id, qty, note) VALUES (?, ?, ?, ?)', valuesBatch: [
      [1, 1, 1, 'Gift wrap, please'], [2, 3, 2, null], [3, 2, 1, null], [1, 5, 4, null], [4, 4, 1, 'Leave at the door if nobody answers; the side entrance is fine too. Call before delivery between 9:00 and 17:00 on weekdays.'],
      [5, 2, 2, null], [6, 1, 1, null], [2, 5, 10, 'Office order']] },
  ] } });
  const put = (key, value, query = {}, ct = 'application/json') => call(base, 'PUT', `/kv/${encodeURIComponent(key)}`, { db, ...query }, { raw: value, contentType: ct });
  await put('settings:theme', '{"mode":"light","accent":"blue","fontSize":14}');
  await sleep(1100);
  await put('settings:theme', '{"mode":"dark","accent":"blue","fontSize":14}');
  await sleep(1100);
  await put('settings:theme', '{"mode":"dark","accent":"violet","fontSize":15,"compact":true}');
  await put('feature:checkout-v2', 'true');
  await put('session:8f2c', '{"user":"ada","cart":[1,5]}', { ttl: 1800 });
  await put('banner', 'Free shipping this week!', {}, 'text/plain');
  return db;
}

async function main() {
  await mkdir(OUT, { recursive: true });
  const server = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
      '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const db = await seed(server.base);
    const sizes = [['', { width: 1280, height: 800 }]];
    if (process.env.SCREENSHOT_PHONE) sizes.push(['-phone', { width: 390, height: 844 }]);
    for (const [suffix, viewport] of sizes) {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1, colorScheme: 'light' });
      if (UI_DIR) {
        await context.route((url) => url.origin === server.base && !url.pathname.startsWith('/api/'), async (route) => {
          const path = new URL(route.request().url()).pathname;
          const file = path === '/' ? 'index.html' : path.slice(1);
          let body;
          try { body = await readFile(join(UI_DIR, file)); } catch { body = null; }
          // Not in web/ (CodeMirror, embedded from libjs-codemirror): the binary answers.
          if (body === null) await route.continue();
          else await route.fulfill({ status: 200, contentType: MIME[file.split('.').pop()], body });
        });
      }
      const page = await context.newPage();
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));

      await page.goto(`${server.base}/#db=${db}&view=sql`);
      await page.waitForFunction(() => window.hoody !== undefined);
      await page.evaluate((t) => window.hoody.editor.setText(t), [
        '-- Revenue per customer',
        'SELECT c.name, c.email, count(o.id) AS orders, sum(o.qty * p.price) AS revenue, max(o.note) AS note',
        'FROM customers c',
        'LEFT JOIN orders o ON o.customer_id = c.id',
        'LEFT JOIN products p ON p.id = o.product_id',
        'GROUP BY c.id',
        'ORDER BY revenue DESC;',
      ].join('\n'));
      await page.click('#run-btn');
      await page.locator('#sql-results table').waitFor();
      await sleep(300);
      await page.screenshot({ path: join(OUT, `sql-editor${suffix}.png`), fullPage: false });

      await page.goto(`${server.base}/#db=${db}&view=schema&table=orders`);
      await page.locator('#browse-rows table').waitFor();
      await page.waitForFunction(() => !document.querySelector('#schema-list .obj-count.pending'));
      await sleep(300);
      await page.screenshot({ path: join(OUT, `schema${suffix}.png`), fullPage: false });

      await page.goto(`${server.base}/#db=${db}&view=kv&key=${encodeURIComponent('settings:theme')}`);
      await page.locator('#kv-timeline .tl-item').first().waitFor();
      await sleep(300);
      if (!suffix) {
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        await page.setViewportSize({ width: viewport.width, height: Math.max(viewport.height, height) });
        await sleep(200);
      } else {
        await page.evaluate(() => document.querySelector('.kv-history').scrollIntoView({ block: 'start' }));
        await sleep(200);
      }
      await page.screenshot({ path: join(OUT, `kv-history${suffix}.png`), fullPage: false });

      // The KV list as a tree by ':', the query history, the whole-store time travel panel.
      await page.setViewportSize(viewport);
      await page.goto(`${server.base}/#db=${db}&view=kv`);
      await page.locator('#kv-list .kv-row').first().waitFor();
      if (!(await page.isChecked('#kv-tree'))) await page.click('#kv-tree');
      await page.locator('#kv-list .kv-group').first().waitFor();
      await sleep(300);
      await page.screenshot({ path: join(OUT, `kv-browser${suffix}.png`), fullPage: false });
      await page.click('#kv-tree');  // flat again: the setting is kept in localStorage
      await page.goto(`${server.base}/#db=${db}&view=history`);
      await page.locator('#history-body .history-list').waitFor();
      await sleep(300);
      await page.screenshot({ path: join(OUT, `history${suffix}.png`), fullPage: false });
      await page.goto(`${server.base}/#db=${db}&view=travel`);
      await page.locator('#tt-slider').waitFor();
      await sleep(500);
      await page.screenshot({ path: join(OUT, `time-travel${suffix}.png`), fullPage: false });

      // The query plan of a statement (Explain), the import panel, the welcome screen.
      await page.goto(`${server.base}/#db=${db}&view=sql`);
      await page.waitForFunction(() => window.hoody !== undefined);
      await page.evaluate((t) => window.hoody.editor.setText(t), 'SELECT c.name, count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.customer_id = 2 GROUP BY c.name;');
      await page.click('#explain-btn');
      await page.locator('#sql-results .plan-tree').waitFor();
      await sleep(300);
      await page.screenshot({ path: join(OUT, `explain${suffix}.png`), fullPage: false });
      await page.goto(`${server.base}/#db=${db}&view=schema&table=customers`);
      await page.locator('#browse-rows table').waitFor();
      await page.click('#schema-import');
      await page.locator('#import-panel').waitFor();
      await sleep(300);
      await page.screenshot({ path: join(OUT, `import${suffix}.png`), fullPage: false });
      await page.goto(`${server.base}/#`);
      await page.waitForFunction(() => !document.querySelector('#view-welcome')?.hidden);
      await sleep(500);
      await page.screenshot({ path: join(OUT, `welcome${suffix}.png`), fullPage: false });

      if (!suffix) {
        await page.setViewportSize(viewport);
        const sql = 'SELECT o.id, c.name AS customer, p.title, o.qty, o.qty * p.price AS total, o.note FROM orders o JOIN customers c ON c.id = o.customer_id JOIN products p ON p.id = o.product_id ORDER BY o.id';
        await page.goto(`${server.base}/api/v1/sqlite/query?db=${db}&sql=${Buffer.from(sql).toString('base64url')}`);
        await page.locator('#row-count').waitFor();
        await page.screenshot({ path: join(OUT, 'share-page.png'), fullPage: false });
      }
      await context.close();
    }
    // The sign-in dialog, on a second server that needs a token (a wrong one was tried).
    const locked = await startServer(['--auth-token', 'screenshot-token']);
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, colorScheme: 'light' });
      const page = await context.newPage();
      page.on('console', (m) => { if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text()); });
      await page.goto(`${locked.base}/#db=${db}&view=sql`);
      await page.locator('#signin').waitFor({ state: 'visible' });
      await page.fill('#signin-token', 'not-the-token');
      await page.click('#signin-ok');
      await page.waitForFunction(() => document.querySelector('#signin-error').textContent !== '');
      await sleep(200);
      await page.screenshot({ path: join(OUT, 'sign-in.png'), fullPage: false });
      await context.close();
    } finally {
      await locked.stop();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  if (errors.length) {
    console.error('console errors while taking screenshots:\n' + errors.join('\n'));
    process.exitCode = 1;
  }
  console.log(`screenshots written to ${OUT}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
