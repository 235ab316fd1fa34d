// Shared helpers of the client-contract tier (tests/sdk/): where the binary, the official SDK
// and the published spec are, a real server on an ephemeral port, and a raw HTTP call.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, realpath } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, '..', '..');
export const BIN = process.env.HOODY_BIN || join(REPO, 'build', 'hoody-sqlite');
// The official SDK and the published material live beside the repository, never inside it:
// <repo>/../shared/hoody-sdk and <repo>/../shared/spec (CI copies shared/ beside its clone).
export const SDK_DIR = resolve(process.env.HOODY_SDK_DIR || join(REPO, '..', 'shared', 'hoody-sdk'));
export const SPEC_DIR = resolve(process.env.HOODY_SPEC_DIR || join(REPO, '..', 'shared', 'spec'));
export const API = '/api/v1/sqlite';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Sleeps until the wall clock is at least 50 ms into a later second than `sec`. */
export async function nextSecond(sec = Math.floor(Date.now() / 1000)) {
  const target = (sec + 1) * 1000 + 50;
  const wait = target - Date.now();
  if (wait > 0) await sleep(wait);
}

/**
 * Starts the real binary on a free port with a fresh data directory (or `dataDir`).
 * Returns { base, dataDir, pid, log(), stop({ keepData }), restart() }.
 */
export async function startServer({ args = [], dataDir } = {}) {
  if (!existsSync(BIN)) throw new Error(`server binary not found at ${BIN} (run make build, or set HOODY_BIN)`);
  const dir = dataDir || (await realpath(await mkdtemp(join(tmpdir(), 'hoody-sdk-'))));
  const portFile = join(dir, `.port-${process.pid}-${Date.now()}`);
  const child = spawn(BIN, ['--port', '0', '--port-file', portFile, '--data-dir', dir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const deadline = Date.now() + 20_000;
  let port = 0;
  while (!port) {
    if (exited) throw new Error(`server exited early (${JSON.stringify(exited)}):\n${log}`);
    if (Date.now() > deadline) throw new Error(`server did not write ${portFile} within 20 s:\n${log}`);
    try {
      const text = (await readFile(portFile, 'utf8')).trim();
      if (/^\d+$/.test(text) && Number(text) > 0) port = Number(text);
    } catch { /* not yet */ }
    if (!port) await sleep(20);
  }
  await rm(portFile, { force: true });
  const server = {
    base: `http://127.0.0.1:${port}`,
    dataDir: dir,
    pid: child.pid,
    log: () => log,
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const done = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, 5000);
        await done;
        clearTimeout(timer);
      }
      if (!keepData) await rm(dir, { recursive: true, force: true });
    },
    /** Stops this process and starts a new one on the same data directory. */
    async restart() {
      await server.stop({ keepData: true });
      return startServer({ args, dataDir: dir });
    },
  };
  return server;
}

/**
 * One raw HTTP request. `path` is relative to /api/v1/sqlite unless it starts with `//`
 * (then the site root). `query` is an object or an array of [k, v] pairs (encoded with
 * URLSearchParams, as the SDK and the CLI do). `body` is sent verbatim when a string.
 * Returns { status, headers, text, json }.
 */
export async function call(base, method, path, { query, headers, body } = {}) {
  const url = new URL(path.startsWith('//') ? path.slice(1) : `${API}${path}`, base);
  const pairs = Array.isArray(query) ? query : Object.entries(query || {});
  const search = new URLSearchParams();
  for (const [k, v] of pairs) search.append(k, String(v));
  const qs = search.toString();
  const full = qs ? `${url.href}${url.search ? '&' : '?'}${qs}` : url.href;
  const res = await fetch(full, {
    method,
    headers: headers || { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = method === 'HEAD' ? '' : await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}
