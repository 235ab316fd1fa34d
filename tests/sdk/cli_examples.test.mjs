// Every `hoody db …` / `hoody kv …` example of the published CLI help
// (../shared/spec/official/CLI-HELP-db-kv.md) that talks to the server, replayed as the HTTP
// request the CLI sends, against the real binary; the answer is checked against the published
// contract (../shared/spec/API.md decides where sources disagree).
//
// The CLI itself needs the Hoody cloud, so this replays what it sends. It calls the official SDK,
// so every request carries `Content-Type: application/json`; the query string is built with
// URLSearchParams in the SDK's parameter order; a path key is percent-encoded with
// encodeURIComponent (written `{key}` below); `--body` is the raw body (verbatim), a `--transaction`
// array is sent as `{"transaction": [...]}`; `--no-history` is `history=false`; `-o`, `-q`, `-y`,
// `-c`, `--realm` and `HOODY_CONTAINER*` only shape the CLI's output, prompts and routing.
//
// Paths: the examples run inside a Hoody container, where the server's data directory is
// /hoody/databases and `--allow-any-absolute-db-path` is on. The replay starts the binary the same
// way inside a temporary "container root" ROOT: data directory ROOT/hoody/databases, and an
// absolute `db`/`path` value `/x/y.db` in the table is sent as ROOT/x/y.db (bare and `./` names are
// sent unchanged). Timestamps are sent verbatim (they are in 2024: before every write here).
//
// Each row: cmd (verbatim from the help) → req (method, path, query) + body → expected answer.
// `given` requests create the state the example assumes (not part of the replay); `after`
// requests check the effect. The last test checks that the table covers every example.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPEC_DIR, startServer, call } from './support.mjs';

const HELP = join(SPEC_DIR, 'official', 'CLI-HELP-db-kv.md');
const b64 = (s) => Buffer.from(s).toString('base64');   // what `base64 | tr -d '\n'` prints
const sqlTx = (...sql) => JSON.stringify({ transaction: sql.map((s) => ({ statement: s })) });
/** `n` given requests that each leave one entry in the query history of `db`. */
const historyOf = (db, n) => Array.from({ length: n }, (_, i) => [`POST /db?db=${db}&create_db_if_missing=true`, JSON.stringify({ transaction: [{ query: `SELECT ${i}` }] })]);
const put = (key, db, value, extra = '') => [`PUT /kv/{${key}}?db=${db}${extra}`, value];
const incrs = (key, db, n, extra = '') => Array.from({ length: n }, () => `POST /kv/{${key}}/incr?db=${db}${extra}`);
/** A given step: the database exists (created when missing; an existing one is fine). */
const ensure = (db) => ({ ensure: db });
const HTML = { status: 200, type: /^text\/html/ };
const ZERO_DIFF = { json: { stats: { created: 0, modified: 0, deleted: 0 }, changes: [] } };
const EMPTY_SNAPSHOT = { json: { items: [], count: 0, success: true } };

/** Asserts the history entry ids of `db` before and after deleting `id`. */
function deletesEntry(db, id) {
  return async (r, ctx) => {
    const beforeIds = ctx.state[`ids:${db}`];
    assert.ok(beforeIds.includes(id), `precondition: entry id ${id} exists in ${db} (${beforeIds})`);
    assert.ok(r.status >= 200 && r.status < 300, `${r.status} ${r.text}`);
    const now = (await ctx.req(`GET /history?db=${db}&limit=1000`)).json.entries.map((e) => e.id);
    assert.deepEqual(now, beforeIds.filter((x) => x !== id), `only entry ${id} is gone`);
  };
}
const rememberIds = (db) => async (ctx) => {
  ctx.state[`ids:${db}`] = (await ctx.req(`GET /history?db=${db}&limit=1000`)).json.entries.map((e) => e.id);
};
const historyList = (limit) => (r) => {
  assert.equal(r.status, 200, r.text);
  const ids = r.json.entries.map((e) => e.id);
  for (const id of ids) assert.ok(Number.isInteger(id), 'each entry carries an integer id');
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
  if (limit !== undefined) assert.equal(ids.length, limit);
};
const cleared = (db) => [[`GET /history?db=${db}`, { json: { entries: [] } }]];
const listRows = (r) => {
  assert.equal(r.status, 200, r.text);
  assert.ok(Array.isArray(r.json.items), `rows under items: ${r.text.slice(0, 200)}`);
  for (const row of r.json.items) {
    for (const f of ['key', 'value', 'content_type', 'size', 'updated_at', 'expires_at']) assert.ok(f in row, `row has ${f}`);
  }
  assert.equal(typeof r.json.count, 'number');
  assert.equal(typeof r.json.has_more, 'boolean');
};

// Examples that send nothing to the server: `open --url` prints a URL the CLI resolves through
// the Hoody cloud API. (Directory mode, `--db <directory>`, has its own issue: 22.)
const NOT_SERVER = {
  'hoody db open --url': 'prints the UI URL (resolved through the cloud API); no request to the server',
  'hoody db open --url 2': 'prints the UI URL; no request to the server',
  'hoody db open --url -c my-box': 'prints the UI URL; no request to the server',
  'hoody db open --url 2 -c my-box': 'prints the UI URL; no request to the server',
  'HOODY_CONTAINER=my-box hoody db open --url': 'prints the UI URL; no request to the server',
  'hoody kv open --url': 'prints the UI URL; no request to the server',
  'hoody kv open 2 --url': 'prints the UI URL; no request to the server',
  'hoody kv open --url -c my-container': 'prints the UI URL; no request to the server',
  'hoody kv open --url -t "$HOODY_TOKEN"': 'prints the UI URL; no request to the server',
  'hoody kv open --url --realm 1a2b3c': 'prints the UI URL; no request to the server',
  'hoody kv delete session:42 --db /data/kv-cache -c <containerId>': 'directory mode (issue 22)',
  'hoody kv exists user:1001 --db /data/store --table sessions -c my-box': 'directory mode (issue 22)',
  'hoody kv get mykey --db /data/kvdir --rebuild -c <id> -o json': 'directory mode (issue 22)',
  'hoody kv list --db /srv/kvdir --table sessions -c <containerId>': 'directory mode (issue 22)',
};

// ---------------------------------------------------------------------------------------------
// The table: example → request → documented answer. In md order.
// ---------------------------------------------------------------------------------------------
const D = '/data/app.db';
const T = '/tmp/app.db';
const H = '/hoody/databases/app.db';
const EXAMPLES = [
  // ---- hoody db create
  { cmd: 'hoody db create --path app.db -c <id>', req: 'POST /db/create?path=app.db',
    expect: { status: 201, json: { success: true } } },
  { cmd: 'hoody db create --path app -c <id>', req: 'POST /db/create?path=app',
    note: 'app resolves to the app.db just created: the same file, so 409',
    expect: { status: 409 } },
  { cmd: 'hoody db create --path notes.db --init-kv -c <id>', req: 'POST /db/create?path=notes.db&init_kv=true',
    expect: { status: 201, json: { success: true, kv_table: 'kv_store' } },
    after: [['GET /kv?db=notes.db', { status: 200 }]] },
  { cmd: 'hoody db create --path settings.db --init-kv --kv-table app_settings -c <id> -o json',
    req: 'POST /db/create?path=settings.db&init_kv=true&kv_table=app_settings',
    expect: { status: 201, json: { success: true, kv_table: 'app_settings' } },
    after: [['GET /kv?db=settings.db&table=app_settings', { status: 200 }]] },
  { cmd: 'hoody db create --path /hoody/databases/reports.db -c <id>', req: 'POST /db/create?path=/hoody/databases/reports.db',
    expect: { status: 201, json: { success: true } },
    after: [['POST /db/create?path=reports', { status: 409 }]] },
  { cmd: 'HOODY_CONTAINER=<id> hoody db new --path ./scratch', req: 'POST /db/create?path=./scratch',
    expect: { status: 201, json: { success: true } },
    after: [['POST /db/create?path=scratch.db', { status: 409 }]] },

  // ---- hoody db exec-shareable
  { cmd: "hoody db exec-shareable -c <id> --db app.db --sql \"$(printf %s $'SELECT name FROM sqlite_master WHERE type=\\'table\\'' | base64 | tr -d '\\n')\" -o json",
    given: [['POST /db?db=app.db', sqlTx('CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, age INT)')]],
    req: `GET /query?db=app.db&sql=${b64("SELECT name FROM sqlite_master WHERE type='table'")}`,
    expect: { json: { success: true, columns: ['name'] }, check: (r) => assert.ok(r.json.resultSet.some((x) => x.name === 'users')) } },
  { cmd: "hoody db exec-shareable -c <id> --db ./app --sql \"$(printf %s 'SELECT * FROM users LIMIT 10' | base64 | tr -d '\\n')\" -o json",
    req: `GET /query?db=./app&sql=${b64('SELECT * FROM users LIMIT 10')}`,
    expect: { json: { success: true, columns: ['id', 'name', 'age'], resultSet: [], rowCount: 0, truncated: false } } },
  { cmd: "hoody db exec-shareable -c <id> --db reports --sql \"$(printf %s 'SELECT id, name FROM users WHERE id = 1' | base64 | tr -d '\\n')\" -o json",
    given: [['POST /db?db=reports', sqlTx('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)', "INSERT INTO users (name) VALUES ('q1'), ('q2')")]],
    req: `GET /query?db=reports&sql=${b64('SELECT id, name FROM users WHERE id = 1')}`,
    expect: { json: { success: true, columns: ['id', 'name'], resultSet: [{ id: 1, name: 'q1' }], rowCount: 1 } } },
  { cmd: 'hoody db exec-shareable -c <id> --db /hoody/databases/app.db --sql U0VMRUNUIENPVU5UKCopIEZST00gdXNlcnM= -o json',
    req: 'GET /query?db=/hoody/databases/app.db&sql=U0VMRUNUIENPVU5UKCopIEZST00gdXNlcnM=',
    expect: { json: { success: true, columns: ['COUNT(*)'], resultSet: [{ 'COUNT(*)': 0 }] } } },
  { cmd: "hoody db exec-shareable -c <id> --db app.db --sql \"$(printf %s 'WITH t AS (SELECT 1 AS n) SELECT n FROM t' | base64 | tr -d '\\n')\" -o json",
    req: `GET /query?db=app.db&sql=${b64('WITH t AS (SELECT 1 AS n) SELECT n FROM t')}`,
    expect: { json: { success: true, columns: ['n'], resultSet: [{ n: 1 }] } } },

  // ---- hoody db exec-transaction (./app is app.db)
  { cmd: 'hoody db exec-transaction -c my-box --db ./app --create-db-if-missing --transaction \'[{"statement":"CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, age INT)"}]\'',
    req: 'POST /db?db=./app&create_db_if_missing=true',
    body: '{"transaction":[{"statement":"CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, age INT)"}]}',
    expect: { json: { results: [{ success: true, rowsUpdated: 0 }] } } },
  { cmd: 'hoody db exec-transaction -c my-box --db ./app --transaction \'[{"statement":"INSERT INTO users (name, age) VALUES (?, ?)", "values":["alice", 30]}]\'',
    req: 'POST /db?db=./app',
    body: '{"transaction":[{"statement":"INSERT INTO users (name, age) VALUES (?, ?)","values":["alice",30]}]}',
    expect: { json: { results: [{ success: true, rowsUpdated: 1 }] } } },
  { cmd: 'hoody db exec-transaction -c my-box --db ./app --transaction \'[{"sql":"INSERT INTO users (name) VALUES (?)", "values":["bob"], "noFail":true}, {"sql":"INSERT INTO users (name) VALUES (?)", "values":["carol"]}]\'',
    req: 'POST /db?db=./app',
    body: '{"transaction":[{"sql":"INSERT INTO users (name) VALUES (?)","values":["bob"],"noFail":true},{"sql":"INSERT INTO users (name) VALUES (?)","values":["carol"]}]}',
    expect: { json: { results: [{ success: true, rowsUpdated: 1 }, { success: true, rowsUpdated: 1 }] } } },
  { cmd: 'hoody db exec-transaction -c my-box --db ./app --transaction \'[{"statement":"UPDATE users SET age = age + 1"}, {"query":"SELECT id, name, age FROM users ORDER BY id"}]\'',
    req: 'POST /db?db=./app',
    body: '{"transaction":[{"statement":"UPDATE users SET age = age + 1"},{"query":"SELECT id, name, age FROM users ORDER BY id"}]}',
    expect: { json: { results: [{ success: true, rowsUpdated: 3 }, { success: true, resultHeaders: ['id', 'name', 'age'],
      resultSet: [{ id: 1, name: 'alice', age: 31 }, { id: 2, name: 'bob', age: null }, { id: 3, name: 'carol', age: null }] }] } } },
  { cmd: 'hoody db exec-transaction -c my-box --db ./app -o json --transaction \'[{"query":"SELECT id, name FROM users WHERE age > ?", "values":[18]}]\'',
    req: 'POST /db?db=./app',
    body: '{"transaction":[{"query":"SELECT id, name FROM users WHERE age > ?","values":[18]}]}',
    expect: { json: { results: [{ success: true, resultHeaders: ['id', 'name'], resultSet: [{ id: 1, name: 'alice' }] }] } } },
  { cmd: 'hoody db exec-transaction -c my-box --db ./app -o json --result-format list --transaction \'[{"query":"SELECT id, name FROM users"}]\'',
    req: 'POST /db?db=./app',
    body: '{"resultFormat":"list","transaction":[{"query":"SELECT id, name FROM users"}]}',
    expect: { json: { results: [{ success: true, resultHeaders: ['id', 'name'], resultSetList: [[1, 'alice'], [2, 'bob'], [3, 'carol']] }] },
      check: (r) => assert.equal(r.json.results[0].resultSet, undefined) } },

  // ---- hoody db history
  { cmd: 'hoody db history list --db mydb', given: historyOf('mydb', 4), req: 'GET /history?db=mydb', expect: { check: historyList(4) } },
  { cmd: 'hoody db history list --db app --limit 20 -o json', given: historyOf('app', 20), req: 'GET /history?db=app&limit=20', expect: { check: historyList(20) } },
  { cmd: 'hoody db history stats --db mydb', req: 'GET /history/stats?db=mydb', expect: { json: { count: 4 } } },
  { cmd: 'hoody db history delete 3 --db mydb -y', setup: rememberIds('mydb'), req: 'DELETE /history/3?db=mydb', expect: { check: deletesEntry('mydb', 3) } },
  { cmd: 'hoody db history rm 0 --db /hoody/databases/mydb.db -c my-container -y', req: 'DELETE /history/0?db=/hoody/databases/mydb.db',
    note: 'history ids are SQLite rowids, starting at 1: there is no entry 0',
    expect: { status: 404, error: 'History entry not found' } },
  { cmd: 'hoody db history clear --db mydb', req: 'DELETE /history?db=mydb', expect: { status: 200 }, after: cleared('mydb') },

  // ---- hoody db history clear
  { cmd: 'hoody db history clear --db ./mydb', given: historyOf('mydb', 1), req: 'DELETE /history?db=./mydb', expect: { status: 200 }, after: cleared('mydb') },
  { cmd: 'hoody db history clear --db /hoody/databases/mydb.db', given: historyOf('mydb', 1), req: 'DELETE /history?db=/hoody/databases/mydb.db', expect: { status: 200 }, after: cleared('mydb') },
  { cmd: 'hoody db history clear --db mydb -c my-container', given: historyOf('mydb', 1), req: 'DELETE /history?db=mydb', expect: { status: 200 }, after: cleared('mydb') },
  { cmd: 'hoody db history clear --db mydb -c my-container --realm my-realm', given: historyOf('mydb', 1), req: 'DELETE /history?db=mydb', expect: { status: 200 }, after: cleared('mydb') },
  { cmd: 'hoody db history clear --db mydb -o json', given: historyOf('mydb', 1), req: 'DELETE /history?db=mydb', expect: { status: 200 }, after: cleared('mydb') },

  // ---- hoody db history delete
  { cmd: 'hoody db history list --db app.db -c web-1 --limit 20 -o json', given: historyOf('app.db', 30), req: 'GET /history?db=app.db&limit=20', expect: { check: historyList(20) } },
  { cmd: 'hoody db history delete 42 --db app.db -c web-1 -y', setup: rememberIds('app.db'), req: 'DELETE /history/42?db=app.db', expect: { check: deletesEntry('app.db', 42) } },
  { cmd: 'hoody db history delete 42 --db /hoody/databases/app.db -c web-1 -y -o json', req: 'DELETE /history/42?db=/hoody/databases/app.db',
    note: 'the same file as app.db, whose entry 42 the example above deleted',
    expect: { status: 404, error: 'History entry not found' } },
  { cmd: 'hoody db history delete 7 --db ./reports.db -c web-1 -y', given: historyOf('reports', 8), setup: rememberIds('reports.db'),
    req: 'DELETE /history/7?db=./reports.db', expect: { check: deletesEntry('reports.db', 7) } },
  { cmd: 'hoody db history delete 42 --db app.db -c web-1', req: 'DELETE /history/42?db=app.db',
    note: 'after the prompt the CLI sends the same request; entry 42 is already gone',
    expect: { status: 404, error: 'History entry not found' } },

  // ---- hoody db history list
  { cmd: 'hoody db history list --db mydata', given: historyOf('mydata', 25), req: 'GET /history?db=mydata', expect: { check: historyList(25) } },
  { cmd: 'hoody db history list --db ./mydata --limit 20', req: 'GET /history?db=./mydata&limit=20', expect: { check: historyList(20) } },
  { cmd: 'hoody db history list --db /hoody/databases/app.db -o json', given: historyOf('app', 60), req: 'GET /history?db=/hoody/databases/app.db',
    expect: { check: historyList(100) }, note: 'app.db has more than 100 entries: the default limit is 100' },
  { cmd: 'hoody db history list --db mydata -c my-container --realm my-realm -o json', req: 'GET /history?db=mydata', expect: { check: historyList(25) } },
  { cmd: 'hoody db history list --db /hoody/databases/app.db -c my-container --limit 50', req: 'GET /history?db=/hoody/databases/app.db&limit=50', expect: { check: historyList(50) } },

  // ---- hoody db history stats
  { cmd: 'hoody db history stats --db /tmp/cli-e2e-test.db -c <container-id>', given: historyOf('/tmp/cli-e2e-test.db', 2),
    req: 'GET /history/stats?db=/tmp/cli-e2e-test.db', expect: { json: { count: 2 } } },
  { cmd: 'hoody db history stats --db app.db -c <container-id>', req: 'GET /history/stats?db=app.db', expect: { check: (r) => assert.ok(r.json.count > 100) } },
  { cmd: 'hoody db history stats --db ./app.db -c <container-id> -o json', req: 'GET /history/stats?db=./app.db', expect: { check: (r) => assert.ok(r.json.count > 100) } },
  { cmd: 'hoody db history stats --db /hoody/databases/app.db --realm <realm-id> -c <container-id>', req: 'GET /history/stats?db=/hoody/databases/app.db', expect: { check: (r) => assert.ok(r.json.count > 100) } },
  { cmd: 'hoody db history stats --db /hoody/databases/app.db -c <container-id> -o yaml', req: 'GET /history/stats?db=/hoody/databases/app.db', expect: { check: (r) => assert.ok(r.json.count > 100) } },

  // ---- hoody db open: the browser loads the web UI at the kit's root
  { cmd: 'hoody db open 2 -c my-box', req: 'GET //', note: 'the browser opens the kit URL: the web UI', expect: HTML },

  // ---- hoody kv arrays (db /data/app.db)
  { cmd: 'hoody kv arrays push mykey --db /data/app.db --body \'"d"\' -c <id>', req: 'POST /kv/{mykey}/push?db=/data/app.db', body: '"d"',
    expect: { status: 200 }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['d'] }]] },
  { cmd: 'hoody kv arrays push mykey --db /data/app.db --body \'{"id":7,"name":"x"}\' -c <id>', req: 'POST /kv/{mykey}/push?db=/data/app.db', body: '{"id":7,"name":"x"}',
    expect: { status: 200 }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['d', { id: 7, name: 'x' }] }]] },
  { cmd: "hoody kv arrays push mykey --db /data/app.db --path addr.items --body '5' -c <id>", given: [put('mykey', D, '{"addr":{"items":[1]}}')],
    req: 'POST /kv/{mykey}/push?db=/data/app.db&path=addr.items', body: '5',
    expect: { status: 200 }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: { addr: { items: [1, 5] } } }]] },
  { cmd: 'hoody kv arrays push mykey --db /data/app.db --table sessions --body \'"s1"\' -c <id>', req: 'POST /kv/{mykey}/push?db=/data/app.db&table=sessions', body: '"s1"',
    expect: { status: 200 }, after: [['GET /kv/{mykey}?db=/data/app.db&table=sessions', { json: ['s1'] }]] },
  { cmd: 'hoody kv arrays pop mykey --db /data/app.db -c <id> -o json', given: [put('mykey', D, '["a","b"]')], req: 'POST /kv/{mykey}/pop?db=/data/app.db',
    expect: { json: { success: true, value: 'b' } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['a'] }]] },
  { cmd: "hoody kv arrays delete mykey --db /data/app.db --index 0 --body 'null' -c <id> -y", given: [put('mykey', D, '["a","b"]')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&index=0', body: 'null',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['b'] }]] },

  // ---- hoody kv arrays delete
  { cmd: "hoody kv arrays delete mykey --db /data/app.db --index 0 --body '{}' -c <id> -y", given: [put('mykey', D, '["a","b","c"]')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&index=0', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['b', 'c'] }]] },
  { cmd: "hoody kv arrays delete mykey --db /data/app.db --index 2 --body '{}' -c <id> -y -o json", given: [put('mykey', D, '["a","b","c"]')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&index=2', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['a', 'b'] }]] },
  { cmd: "hoody kv arrays delete mykey --db /data/app.db --path addr.items --index 0 --body '{}' -c <id> -y", given: [put('mykey', D, '{"addr":{"items":[1,2]}}')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&path=addr.items&index=0', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: { addr: { items: [2] } } }]] },
  { cmd: "hoody kv arrays delete mykey --db /data/app.db --table sessions --index 1 --body '{}' -c <id> -y", given: [put('mykey', D, '["s1","s2"]', '&table=sessions')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&table=sessions&index=1', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db&table=sessions', { json: ['s1'] }]] },
  { cmd: "hoody kv arrays delete mykey --db /data/app.db --index 0 --body '{}' --no-history -c <id> -y", given: [put('mykey', D, '["a","b"]')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&index=0&history=false', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['b'] }]] },
  { cmd: "HOODY_CONTAINER_ID=<id> hoody kv arrays delete mykey --db /data/app.db --index 0 --body '{}' -y", given: [put('mykey', D, '["a","b"]')],
    req: 'POST /kv/{mykey}/remove?db=/data/app.db&index=0', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{mykey}?db=/data/app.db', { json: ['b'] }]] },

  // ---- hoody kv arrays pop
  { cmd: 'hoody kv arrays pop tasks --db /data/app.db', given: [put('tasks', D, '["t1","t2"]')], req: 'POST /kv/{tasks}/pop?db=/data/app.db',
    expect: { json: { success: true, value: 't2' } }, after: [['GET /kv/{tasks}?db=/data/app.db', { json: ['t1'] }]] },
  { cmd: 'hoody kv arrays pop tasks --db /data/app.db --table jobs', given: [put('tasks', D, '["j1","j2"]', '&table=jobs')], req: 'POST /kv/{tasks}/pop?db=/data/app.db&table=jobs',
    expect: { json: { success: true, value: 'j2' } }, after: [['GET /kv/{tasks}?db=/data/app.db&table=jobs', { json: ['j1'] }]] },
  { cmd: 'hoody kv arrays pop config --db /data/app.db --path features', given: [put('config', D, '{"features":["a","b"]}')], req: 'POST /kv/{config}/pop?db=/data/app.db&path=features',
    expect: { json: { success: true, value: 'b' } }, after: [['GET /kv/{config}?db=/data/app.db', { json: { features: ['a'] } }]] },
  { cmd: 'hoody kv arrays pop queue --db /data/app.db --no-history', given: [put('queue', D, '[1,2]')], req: 'POST /kv/{queue}/pop?db=/data/app.db&history=false',
    expect: { json: { success: true, value: 2 } }, after: [['GET /kv/{queue}?db=/data/app.db', { json: [1] }]] },
  { cmd: 'hoody kv arrays pop tasks --db /data/app.db -c my-box -o json', req: 'POST /kv/{tasks}/pop?db=/data/app.db',
    expect: { json: { success: true, value: 't1' } }, after: [['GET /kv/{tasks}?db=/data/app.db', { json: [] }]] },

  // ---- hoody kv arrays push
  { cmd: 'hoody kv arrays push tags --db /data/app.db --body \'"urgent"\' -c <id>', req: 'POST /kv/{tags}/push?db=/data/app.db', body: '"urgent"',
    expect: { status: 200 }, after: [['GET /kv/{tags}?db=/data/app.db', { json: ['urgent'] }]] },
  { cmd: 'hoody kv arrays push events --db /data/app.db --body \'{"type":"login","ts":1}\' -c <id>', req: 'POST /kv/{events}/push?db=/data/app.db', body: '{"type":"login","ts":1}',
    expect: { status: 200 }, after: [['GET /kv/{events}?db=/data/app.db', { json: [{ type: 'login', ts: 1 }] }]] },
  { cmd: "hoody kv arrays push profile --db /data/app.db --path addr.items --body '42' -c <id>", given: [put('profile', D, '{"name":"ada"}')],
    req: 'POST /kv/{profile}/push?db=/data/app.db&path=addr.items', body: '42', note: 'a missing nested node starts as an empty array',
    expect: { status: 200 }, after: [['GET /kv/{profile}?db=/data/app.db', { json: { name: 'ada', addr: { items: [42] } } }]] },
  { cmd: "hoody kv arrays push queue --db /data/app.db --body '[1,2]' -c <id>", given: [put('queue', D, '[]')], req: 'POST /kv/{queue}/push?db=/data/app.db', body: '[1,2]',
    expect: { status: 200 }, after: [['GET /kv/{queue}?db=/data/app.db', { json: [[1, 2]] }]] },
  { cmd: 'hoody kv arrays push session:1 --db /data/app.db --table sessions --body \'"s1"\' -c <id>', req: 'POST /kv/{session:1}/push?db=/data/app.db&table=sessions', body: '"s1"',
    expect: { status: 200 }, after: [['GET /kv/{session:1}?db=/data/app.db&table=sessions', { json: ['s1'] }]] },
  { cmd: 'hoody kv arrays push audit --db /data/app.db --no-history --body \'"ev"\' -c <id>', req: 'POST /kv/{audit}/push?db=/data/app.db&history=false', body: '"ev"',
    expect: { status: 200 }, after: [['GET /kv/{audit}?db=/data/app.db', { json: ['ev'] }]] },

  // ---- hoody kv batch (db /tmp/app.db does not exist yet: batch/set creates it)
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --body \'{"items":[{"key":"b1","value":"v1"},{"key":"b2","value":"v2"}]}\'',
    req: 'POST /kv/batch/set?db=/tmp/app.db', body: '{"items":[{"key":"b1","value":"v1"},{"key":"b2","value":"v2"}]}',
    expect: { json: { success: true, count: 2 } } },
  { cmd: 'hoody kv batch get -c my-box --db /tmp/app.db --body \'{"keys":["b1","b2","missing"]}\'',
    given: [ensure(T), ['POST /kv/batch/set?db=/tmp/app.db', '{"items":[{"key":"b1","value":"v1"},{"key":"b2","value":"v2"}]}']],
    req: 'POST /kv/batch/get?db=/tmp/app.db', body: '{"keys":["b1","b2","missing"]}',
    note: 'API.md: a missing key is null (the group help says "absent"; API.md decides)',
    expect: { json: { results: { b1: { value: 'v1', content_type: 'application/octet-stream' }, b2: { value: 'v2' }, missing: null } } } },
  { cmd: 'hoody kv batch delete -c my-box --db /tmp/app.db --body \'{"keys":["b1","b2"]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/delete?db=/tmp/app.db', body: '{"keys":["b1","b2"]}',
    expect: { json: { deleted: 2, success: true } } },
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --body \'{"items":[{"key":"user:1","value":"{\\"name\\":\\"alice\\"}","content_type":"application/json"}]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/set?db=/tmp/app.db', body: '{"items":[{"key":"user:1","value":"{\\"name\\":\\"alice\\"}","content_type":"application/json"}]}',
    expect: { json: { success: true, count: 1 } },
    after: [['GET /kv/{user:1}?db=/tmp/app.db', { json: { name: 'alice' }, type: /^application\/json/ }]] },
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --table users --body \'{"items":[{"key":"u1","value":"alice","ttl":3600}]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/set?db=/tmp/app.db&table=users', body: '{"items":[{"key":"u1","value":"alice","ttl":3600}]}',
    expect: { json: { success: true, count: 1 } },
    after: [['POST /kv/batch/get?db=/tmp/app.db&table=users', { check: (r) => {
      const exp = r.json.results.u1.expires_at;
      assert.ok(Math.abs(exp - (Date.now() + 3600_000)) < 60_000, `expires in 3600 s (${exp})`);
    } }, '{"keys":["u1"]}']] },
  { cmd: 'hoody kv batch get -c my-box --db /tmp/app.db --table users --body \'{"keys":["u1","u2"]}\' -o json', given: [ensure(T)],
    req: 'POST /kv/batch/get?db=/tmp/app.db&table=users', body: '{"keys":["u1","u2"]}',
    expect: { json: { results: { u1: { value: 'alice' }, u2: null } } } },

  // ---- hoody kv batch delete
  { cmd: 'hoody kv batch delete -c my-box --db /data/app.db --body \'{"keys":["session:1","session:2","session:3"]}\'',
    given: [put('session:1', D, '1'), put('session:3', D, '3')],
    req: 'POST /kv/batch/delete?db=/data/app.db', body: '{"keys":["session:1","session:2","session:3"]}',
    expect: { json: { deleted: 2, success: true } }, after: [['HEAD /kv/{session:1}?db=/data/app.db', { status: 404 }]] },
  { cmd: 'hoody kv batch delete --db /data/app.db --body \'{"keys":["stale:a","stale:b"]}\' -o json',
    req: 'POST /kv/batch/delete?db=/data/app.db', body: '{"keys":["stale:a","stale:b"]}',
    expect: { json: { deleted: 0, success: true } } },
  { cmd: 'hoody kv batch delete --db /data/app.db --table sessions --body \'{"keys":["a","b"]}\'',
    given: [put('a', D, '1', '&table=sessions')],
    req: 'POST /kv/batch/delete?db=/data/app.db&table=sessions', body: '{"keys":["a","b"]}',
    expect: { json: { deleted: 1, success: true } } },
  { cmd: 'hoody kv batch delete --db /data/app.db --body \'{"keys":["only:one"]}\'',
    given: [put('only:one', D, '1')],
    req: 'POST /kv/batch/delete?db=/data/app.db', body: '{"keys":["only:one"]}',
    expect: { json: { deleted: 1, success: true } } },

  // ---- hoody kv batch get
  { cmd: 'hoody kv batch get -c my-box --db /tmp/app.db --body \'{"keys":["user:1","user:2","user:3"]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/get?db=/tmp/app.db', body: '{"keys":["user:1","user:2","user:3"]}',
    expect: { json: { results: { 'user:1': { content_type: 'application/json' }, 'user:2': null, 'user:3': null } } } },
  { cmd: 'hoody kv batch get -c my-box --db /tmp/app.db --table sessions --body \'{"keys":["sess:abc","sess:def"]}\'', 
    given: [ensure(T), ['POST /kv/batch/set?db=/tmp/app.db&table=sessions', '{"items":[{"key":"sess:abc","value":"tok"}]}']],
    req: 'POST /kv/batch/get?db=/tmp/app.db&table=sessions', body: '{"keys":["sess:abc","sess:def"]}',
    expect: { json: { results: { 'sess:abc': { value: 'tok' }, 'sess:def': null } } } },
  { cmd: 'hoody kv batch get -c my-box --db /tmp/app.db --body \'{"keys":["a","b","missing"]}\' -o json', 
    given: [ensure(T), ['POST /kv/batch/set?db=/tmp/app.db', '{"items":[{"key":"a","value":"A"},{"key":"b","value":"B"}]}']],
    req: 'POST /kv/batch/get?db=/tmp/app.db', body: '{"keys":["a","b","missing"]}',
    expect: { json: { results: { a: { value: 'A' }, b: { value: 'B' }, missing: null } } } },
  { cmd: 'hoody config set container my-box && hoody kv batch get --db /tmp/app.db --body \'{"keys":["k1","k2"]}\'', 
    given: [ensure(T), ['POST /kv/batch/set?db=/tmp/app.db', '{"items":[{"key":"k1","value":"one"}]}']],
    req: 'POST /kv/batch/get?db=/tmp/app.db', body: '{"keys":["k1","k2"]}',
    expect: { json: { results: { k1: { value: 'one' }, k2: null } } } },
  { cmd: 'hoody kv batch get -c my-box --db /tmp/app.db --body "$(jq -nc --argjson k \'["k1","k2","k3"]\' \'{keys:$k}\')"', given: [ensure(T)],
    req: 'POST /kv/batch/get?db=/tmp/app.db', body: '{"keys":["k1","k2","k3"]}',
    expect: { json: { results: { k1: { value: 'one' }, k2: null, k3: null } } } },

  // ---- hoody kv batch set
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --body \'{"items":[{"key":"user:1","value":"Alice","content_type":"text/plain"},{"key":"user:2","value":"Bob","content_type":"text/plain"}]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/set?db=/tmp/app.db', body: '{"items":[{"key":"user:1","value":"Alice","content_type":"text/plain"},{"key":"user:2","value":"Bob","content_type":"text/plain"}]}',
    expect: { json: { success: true, count: 2 } },
    after: [['GET /kv/{user:1}?db=/tmp/app.db', { text: 'Alice', type: /^text\/plain/ }]] },
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --body \'{"items":[{"key":"sess:abc","value":"tok","ttl":3600}]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/set?db=/tmp/app.db', body: '{"items":[{"key":"sess:abc","value":"tok","ttl":3600}]}',
    expect: { json: { success: true, count: 1 } },
    after: [['POST /kv/batch/get?db=/tmp/app.db', { check: (r) => assert.equal(typeof r.json.results['sess:abc'].expires_at, 'number') }, '{"keys":["sess:abc"]}']] },
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --body \'{"items":[{"key":"feature:beta"},{"key":"feature:dark"}]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/set?db=/tmp/app.db', body: '{"items":[{"key":"feature:beta"},{"key":"feature:dark"}]}',
    expect: { json: { success: true, count: 2 } },
    after: [['POST /kv/batch/get?db=/tmp/app.db', { json: { results: { 'feature:beta': { value: '' }, 'feature:dark': { value: '' } } } }, '{"keys":["feature:beta","feature:dark"]}']] },
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --table sessions --body \'{"items":[{"key":"s1","value":"v1"}]}\'', given: [ensure(T)],
    req: 'POST /kv/batch/set?db=/tmp/app.db&table=sessions', body: '{"items":[{"key":"s1","value":"v1"}]}',
    expect: { json: { success: true, count: 1 } } },
  { cmd: 'hoody kv batch set -c my-box --db app.db --body \'{"items":[{"key":"k1","value":"v1"}]}\' -o json',
    req: 'POST /kv/batch/set?db=app.db', body: '{"items":[{"key":"k1","value":"v1"}]}',
    expect: { json: { success: true, count: 1 } } },
  { cmd: 'hoody kv batch set -c my-box --db /tmp/app.db --body "$(cat payload.json)"', given: [ensure(T)],
    note: 'payload.json is the user\'s file; here {"items":[{"key":"p1","value":"from file"}]}',
    req: 'POST /kv/batch/set?db=/tmp/app.db', body: '{"items":[{"key":"p1","value":"from file"}]}',
    expect: { json: { success: true, count: 1 } } },

  // ---- hoody kv decr (db /data/app.db)
  { cmd: 'hoody kv decr counter:hits --db /data/app.db -c <containerId>', given: ['POST /kv/{counter:hits}/incr?db=/data/app.db&delta=10'],
    req: 'POST /kv/{counter:hits}/decr?db=/data/app.db', expect: { json: { success: true, value: 9 } } },
  { cmd: 'hoody kv decr counter:hits --db /data/app.db --delta 5 -c <containerId> -o json',
    req: 'POST /kv/{counter:hits}/decr?db=/data/app.db&delta=5', expect: { json: { success: true, value: 4 } } },
  { cmd: "hoody kv decr stock --db /data/app.db --path '$.available' -c <containerId>", given: [put('stock', D, '{"available":10}')],
    req: 'POST /kv/{stock}/decr?db=/data/app.db&path=$.available', expect: { json: { success: true, value: 9 } },
    after: [['GET /kv/{stock}?db=/data/app.db', { json: { available: 9 } }]] },
  { cmd: "hoody kv decr stock --db /data/app.db --path '$.available' --delta 3 -c <containerId>",
    req: 'POST /kv/{stock}/decr?db=/data/app.db&delta=3&path=$.available', expect: { json: { success: true, value: 6 } } },
  { cmd: 'hoody kv decr counter:hits --db /data/app.db --no-history -c <containerId>',
    req: 'POST /kv/{counter:hits}/decr?db=/data/app.db&history=false', expect: { json: { success: true, value: 3 } } },
  { cmd: 'hoody kv get counter:hits --db /data/app.db -c <containerId> -o json',
    req: 'GET /kv/{counter:hits}?db=/data/app.db', expect: { text: '3', type: /^text\/plain/ } },

  // ---- hoody kv delete
  { cmd: 'hoody kv delete session:42 --db /data/app.db -c <containerId>', given: [put('session:42', D, '"s"')],
    req: 'DELETE /kv/{session:42}?db=/data/app.db', expect: { json: { success: true, deleted: true } } },
  { cmd: 'hoody kv delete session:42 --db /data/app.db -c <containerId> -o json', given: [put('session:42', D, '"s"')],
    req: 'DELETE /kv/{session:42}?db=/data/app.db', expect: { json: { success: true, deleted: true } } },
  { cmd: 'hoody kv delete cache:home --db /data/app.db --table sessions -c <containerId>', given: [put('cache:home', D, '"h"', '&table=sessions')],
    req: 'DELETE /kv/{cache:home}?db=/data/app.db&table=sessions', expect: { json: { success: true, deleted: true } } },
  { cmd: 'hoody kv delete session:42 --db /data/app.db --no-history -c <containerId>', given: [put('session:42', D, '"s"')],
    req: 'DELETE /kv/{session:42}?db=/data/app.db&history=false', expect: { json: { success: true, deleted: true } } },
  { cmd: 'hoody kv exists session:42 --db /data/app.db -c <containerId> -o json', req: 'HEAD /kv/{session:42}?db=/data/app.db', expect: { status: 404 } },

  // ---- hoody kv exists (db app.db)
  { cmd: 'hoody kv exists session:42 --db app.db -c my-box', given: [put('session:42', 'app.db', '{"u":1}')],
    req: 'HEAD /kv/{session:42}?db=app.db', expect: { status: 200, text: '' } },
  { cmd: 'hoody kv exists feature:flag --db app.db --table app_config -c my-box', given: [put('feature:flag', 'app.db', 'true', '&table=app_config')],
    req: 'HEAD /kv/{feature:flag}?db=app.db&table=app_config', expect: { status: 200 } },
  { cmd: "hoody kv exists session:42 --db app.db -c my-box && echo present || echo 'absent or error'",
    req: 'HEAD /kv/{session:42}?db=app.db', expect: { status: 200 } },
  { cmd: 'hoody kv exists missing:key --db app.db -c my-box -q', req: 'HEAD /kv/{missing:key}?db=app.db', expect: { status: 404 } },
  { cmd: 'hoody kv get session:42 --db app.db -c my-box', req: 'GET /kv/{session:42}?db=app.db', expect: { json: { u: 1 }, type: /^application\/json/ } },

  // ---- hoody kv get (db /data/app.db)
  { cmd: 'hoody kv get mykey --db /data/app.db -c <id> -o json', given: [put('mykey', D, '{"b": [1, 2]}')],
    req: 'GET /kv/{mykey}?db=/data/app.db', expect: { json: { b: [1, 2] } } },
  { cmd: 'hoody kv get mykey --db /data/app.db -c <id> -o raw', req: 'GET /kv/{mykey}?db=/data/app.db',
    note: 'the raw stored bytes, byte-exact (CAS compares them)', expect: { text: '{"b": [1, 2]}' } },
  { cmd: "hoody kv get user:42 --db /data/app.db --path '$.profile.email' -c <id> -o json", given: [put('user:42', D, '{"profile":{"email":"ada@example.com"}}')],
    req: 'GET /kv/{user:42}?db=/data/app.db&path=$.profile.email', expect: { json: 'ada@example.com' } },
  { cmd: 'hoody kv get config --db /data/app.db --at-timestamp 1719000000 -c <id> -o json',
    req: 'GET /kv/{config}?db=/data/app.db&at_timestamp=1719000000', note: 'config did not exist in 2024',
    expect: { status: 404, error: 'Key not found' } },
  { cmd: 'hoody kv get session:abc --db /data/app.db --table sessions -c <id> -o json', given: [put('session:abc', D, '"tok"', '&table=sessions')],
    req: 'GET /kv/{session:abc}?db=/data/app.db&table=sessions', expect: { json: 'tok' } },

  // ---- hoody kv history (<key> is `busy`, a key with 55 operations; db is app.db)
  { cmd: 'hoody kv history <key> -c <id> --db /hoody/databases/app.db -o json', given: incrs('busy', H, 55),
    req: 'GET /kv/{busy}/history?db=/hoody/databases/app.db',
    expect: { json: { has_gaps: false, gap_keys: [] }, check: (r) => {
      assert.deepEqual(r.json.operations.map((o) => o.op_number), Array.from({ length: 50 }, (_, i) => 55 - i), 'newest first, default 50');
    } } },
  { cmd: 'hoody kv history <key> -c <id> --db /hoody/databases/app.db --limit 10 -o json',
    req: 'GET /kv/{busy}/history?db=/hoody/databases/app.db&limit=10', expect: { check: (r) => assert.equal(r.json.operations.length, 10) } },
  { cmd: 'hoody kv history <key> -c <id> --db /hoody/databases/app.db --limit 0 -o json',
    req: 'GET /kv/{busy}/history?db=/hoody/databases/app.db&limit=0', expect: { check: (r) => assert.equal(r.json.operations.length, 50) } },
  { cmd: 'hoody kv history <key> -c <id> --db /hoody/databases/app.db --table my_kv -o json', given: [put('busy', H, '1', '&table=my_kv'), put('busy', H, '2', '&table=my_kv')],
    req: 'GET /kv/{busy}/history?db=/hoody/databases/app.db&table=my_kv', expect: { check: (r) => assert.deepEqual(r.json.operations.map((o) => o.op_number), [2, 1]) } },
  { cmd: 'hoody kv snapshots get-key <key> -c <id> --db /hoody/databases/app.db --op-number 1 -o json',
    req: 'GET /kv/{busy}/snapshot?db=/hoody/databases/app.db&op_number=1', expect: { json: { value: '1', op_number: 1, content_type: 'text/plain', success: true } } },
  { cmd: 'hoody kv rollback <key> -c <id> --db /hoody/databases/app.db --steps 1',
    req: 'POST /kv/{busy}/rollback?db=/hoody/databases/app.db&steps=1', expect: { json: { success: true } },
    after: [['GET /kv/{busy}?db=/hoody/databases/app.db', { text: '54' }]] },

  // ---- hoody kv incr (db /data/app.db; counter:hits is 3 after the decr examples)
  { cmd: 'hoody kv incr counter:hits --db /data/app.db -c <containerId>', req: 'POST /kv/{counter:hits}/incr?db=/data/app.db', expect: { json: { success: true, value: 4 } } },
  { cmd: 'hoody kv incr counter:hits --db /data/app.db --delta 5 -c <containerId> -o json', req: 'POST /kv/{counter:hits}/incr?db=/data/app.db&delta=5', expect: { json: { success: true, value: 9 } } },
  { cmd: "hoody kv incr stock --db /data/app.db --path '$.available' -c <containerId>", req: 'POST /kv/{stock}/incr?db=/data/app.db&path=$.available', expect: { json: { success: true, value: 7 } } },
  { cmd: "hoody kv incr stock --db /data/app.db --path '$.available' --delta 3 -c <containerId>", req: 'POST /kv/{stock}/incr?db=/data/app.db&delta=3&path=$.available',
    expect: { json: { success: true, value: 10 } }, after: [['GET /kv/{stock}?db=/data/app.db', { json: { available: 10 } }]] },
  { cmd: 'hoody kv incr counter:hits --db /data/app.db --table custom_kv -c <containerId>', req: 'POST /kv/{counter:hits}/incr?db=/data/app.db&table=custom_kv', expect: { json: { success: true, value: 1 } } },
  { cmd: 'hoody kv incr counter:hits --db /data/app.db --no-history -c <containerId>', req: 'POST /kv/{counter:hits}/incr?db=/data/app.db&history=false', expect: { json: { success: true, value: 10 } } },

  // ---- hoody kv list
  { cmd: 'hoody kv list --db /data/app.db -c <containerId>', req: 'GET /kv?db=/data/app.db', expect: { check: listRows } },
  { cmd: 'hoody kv list --db /data/app.db --prefix session: -c <containerId> -o json', given: [put('session:x', D, '1'), put('sessionless', D, '1')],
    req: 'GET /kv?db=/data/app.db&prefix=session:', expect: { check: (r) => {
      listRows(r);
      assert.ok(r.json.items.length >= 1);
      for (const row of r.json.items) assert.ok(row.key.startsWith('session:'), row.key);
    } } },
  { cmd: 'hoody kv list --db /data/app.db --limit 50 --offset 100 -c <containerId>',
    given: [['POST /kv/batch/set?db=/data/app.db', JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ key: `page:${String(i).padStart(3, '0')}`, value: 'x' })) })],
      ['POST /kv/batch/set?db=/data/app.db', JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => ({ key: `page:${String(100 + i).padStart(3, '0')}`, value: 'x' })) })]],
    req: 'GET /kv?db=/data/app.db&limit=50&offset=100', note: 'offset is rows to skip: rows 101–150 of the full listing',
    expect: { check: async (r, ctx) => {
      listRows(r);
      const all = (await ctx.req('GET /kv?db=/data/app.db&limit=1000')).json.items.map((i) => i.key);
      assert.ok(all.length > 150);
      assert.deepEqual(r.json.items.map((i) => i.key), all.slice(100, 150));
      assert.equal(r.json.has_more, true);
    } } },
  { cmd: 'hoody kv list --db /data/app.db --at-timestamp 1719000000 -c <containerId> -o json', req: 'GET /kv?db=/data/app.db&at_timestamp=1719000000',
    // `audit` exists only through a history=false push above: its state at that time is unknown.
    expect: { json: { success: true, count: 0, has_gaps: true }, check: (r) => assert.ok(r.json.gap_keys.includes('audit'), JSON.stringify(r.json.gap_keys)) } },
  { cmd: 'hoody config set container my-box && hoody kv ls --db /data/app.db', req: 'GET /kv?db=/data/app.db', expect: { check: listRows } },

  // ---- hoody kv open (the browser loads the web UI)
  { cmd: 'hoody kv open', req: 'GET //', note: 'the browser opens the kit URL: the web UI', expect: HTML },

  // ---- hoody kv rollback (db /data/app.db)
  { cmd: 'hoody kv rollback session:42 --db /data/app.db -c my-box', given: [put('session:42', D, '"v1"'), put('session:42', D, '"v2"')],
    req: 'POST /kv/{session:42}/rollback?db=/data/app.db', expect: { json: { success: true } }, after: [['GET /kv/{session:42}?db=/data/app.db', { json: 'v1' }]] },
  { cmd: 'hoody kv rollback session:42 --db /data/app.db --steps 3 -c my-box', given: [put('session:42', D, '"x1"'), put('session:42', D, '"x2"'), put('session:42', D, '"x3"'), put('session:42', D, '"x4"')],
    req: 'POST /kv/{session:42}/rollback?db=/data/app.db&steps=3', expect: { json: { success: true } }, after: [['GET /kv/{session:42}?db=/data/app.db', { json: 'x1' }]] },
  { cmd: 'hoody kv history session:42 --db /data/app.db -c my-box', req: 'GET /kv/{session:42}/history?db=/data/app.db',
    expect: { check: (r) => {
      const ops = r.json.operations;
      assert.ok(ops.length >= 10);
      assert.deepEqual(ops.map((o) => o.op_number), [...ops.map((o) => o.op_number)].sort((a, b) => b - a), 'newest first');
      assert.equal(ops[0].operation.op, 'rollback');
      assert.equal(r.json.has_gaps, true, 'session:42 was deleted with history=false above');
      assert.deepEqual(r.json.gap_keys, ['session:42']);
    } } },
  { cmd: 'hoody kv rollback counter --db /data/app.db --table metrics --steps 2 -c my-box', given: incrs('counter', D, 3, '&table=metrics'),
    req: 'POST /kv/{counter}/rollback?db=/data/app.db&table=metrics&steps=2', expect: { json: { success: true } },
    after: [['GET /kv/{counter}?db=/data/app.db&table=metrics', { text: '1' }]] },
  { cmd: 'hoody kv history counter --db /data/app.db --table metrics --limit 20 -c my-box', req: 'GET /kv/{counter}/history?db=/data/app.db&table=metrics&limit=20',
    expect: { check: (r) => assert.deepEqual(r.json.operations.map((o) => o.operation.op), ['rollback', 'incr', 'incr', 'incr']) } },
  { cmd: 'hoody kv rollback session:42 --db /data/app.db -o json -c my-box', given: [put('session:42', D, '"y1"'), put('session:42', D, '"y2"')],
    req: 'POST /kv/{session:42}/rollback?db=/data/app.db', expect: { json: { success: true } }, after: [['GET /kv/{session:42}?db=/data/app.db', { json: 'y1' }]] },

  // ---- hoody kv rollback-table (db app.db; every key there was written after 1718900000)
  { cmd: "hoody kv rollback-table --db /hoody/databases/app.db --to-timestamp 1718900000 --dry-run --body '{}' -c my-box -o json",
    given: [put('rt:1', H, '1')],
    req: 'POST /kv/rollback?db=/hoody/databases/app.db&to_timestamp=1718900000&dry_run=true', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{rt:1}?db=/hoody/databases/app.db', { json: 1 }]] },
  { cmd: 'hoody kv snapshots compare-table --db /hoody/databases/app.db --from 1718900000 --to 1718986400 -c my-box -o json',
    req: 'GET /kv/diff?db=/hoody/databases/app.db&from=1718900000&to=1718986400', expect: ZERO_DIFF },
  { cmd: "hoody kv rollback-table --db /hoody/databases/app.db --to-timestamp 1718900000 --confirm yes --body '{}' -c my-box",
    req: 'POST /kv/rollback?db=/hoody/databases/app.db&to_timestamp=1718900000&confirm=yes', body: '{}',
    expect: { json: { success: true } },
    after: [['GET /kv/{rt:1}?db=/hoody/databases/app.db', { status: 404 }], ['HEAD /kv/{busy}?db=/hoody/databases/app.db', { status: 404 }],
      ['HEAD /kv/{session:42}?db=/hoody/databases/app.db', { status: 404 }],
      ['HEAD /kv/{feature:flag}?db=/hoody/databases/app.db&table=app_config', { status: 200 }]] },
  { cmd: "hoody kv rollback-table --db /hoody/databases/app.db --table metrics --to-timestamp 1718900000 --confirm yes --body '{}' -c my-box",
    given: incrs('m', H, 2, '&table=metrics'),
    req: 'POST /kv/rollback?db=/hoody/databases/app.db&to_timestamp=1718900000&table=metrics&confirm=yes', body: '{}',
    expect: { json: { success: true } }, after: [['HEAD /kv/{m}?db=/hoody/databases/app.db&table=metrics', { status: 404 }]] },
  { cmd: "hoody kv rollback-table --db /hoody/databases/app.db --to-timestamp 1718900000 --confirm yes --body '{}' -c my-box -o json",
    given: [put('rt:2', H, '2')],
    req: 'POST /kv/rollback?db=/hoody/databases/app.db&to_timestamp=1718900000&confirm=yes', body: '{}',
    expect: { json: { success: true } }, after: [['HEAD /kv/{rt:2}?db=/hoody/databases/app.db', { status: 404 }]] },
  { cmd: "hoody kv rollback-table --db /hoody/databases/app.db --to-timestamp 1718900000 --body '{}' -c my-box -o json",
    given: [put('rt:3', H, '3')], note: 'without --confirm yes nothing is applied',
    req: 'POST /kv/rollback?db=/hoody/databases/app.db&to_timestamp=1718900000', body: '{}',
    expect: { json: { success: true } }, after: [['GET /kv/{rt:3}?db=/hoody/databases/app.db', { json: 3 }]] },

  // ---- hoody kv set (db /data/app.db)
  { cmd: "hoody kv set counter --db /data/app.db --body '42' -c my-container", req: 'PUT /kv/{counter}?db=/data/app.db', body: '42',
    expect: { json: { success: true } }, after: [['GET /kv/{counter}?db=/data/app.db', { json: 42 }]] },
  { cmd: 'hoody kv set greeting --db /data/app.db --body \'"hello"\' -c my-container', req: 'PUT /kv/{greeting}?db=/data/app.db', body: '"hello"',
    expect: { json: { success: true } }, after: [['GET /kv/{greeting}?db=/data/app.db', { json: 'hello' }]] },
  { cmd: 'hoody kv set user:1 --db /data/app.db --body \'{"name":"ada","roles":["admin"]}\' -c my-container', req: 'PUT /kv/{user:1}?db=/data/app.db', body: '{"name":"ada","roles":["admin"]}',
    expect: { json: { success: true } }, after: [['GET /kv/{user:1}?db=/data/app.db', { json: { name: 'ada', roles: ['admin'] } }]] },
  { cmd: 'hoody kv set user:1 --db /data/app.db --path \'$.name\' --body \'"grace"\' -c my-container', req: 'PUT /kv/{user:1}?db=/data/app.db&path=$.name', body: '"grace"',
    expect: { json: { success: true } }, after: [['GET /kv/{user:1}?db=/data/app.db', { json: { name: 'grace', roles: ['admin'] } }]] },
  { cmd: 'hoody kv set config --db /data/app.db --if-match \'{"v":1}\' --body \'{"v":2}\' -c my-container', given: [put('config', D, '{"v":1}')],
    req: 'PUT /kv/{config}?db=/data/app.db&if_match={"v":1}', body: '{"v":2}',
    expect: { json: { success: true } }, after: [['GET /kv/{config}?db=/data/app.db', { json: { v: 2 } }],
      ['PUT /kv/{config}?db=/data/app.db&if_match={"v":1}', { status: 412, error: 'Value mismatch for CAS' }, '{"v":3}']] },
  { cmd: 'hoody kv set session:abc --db /data/new.db --create-db-if-missing --ttl 3600 --no-history --body \'{"ok":true}\' -c my-container',
    req: 'PUT /kv/{session:abc}?db=/data/new.db&ttl=3600&history=false&create_db_if_missing=true', body: '{"ok":true}',
    expect: { json: { success: true } },
    after: [['GET /kv/{session:abc}?db=/data/new.db', { json: { ok: true } }],
      ['POST /kv/batch/get?db=/data/new.db', { check: (r) => assert.ok(Math.abs(r.json.results['session:abc'].expires_at - (Date.now() + 3600_000)) < 60_000) }, '{"keys":["session:abc"]}']] },

  // ---- hoody kv snapshots (db ./data.db is data.db)
  { cmd: 'hoody kv snapshots get-key mykey --db ./data.db --op-number 42 -c <containerId> -o json', given: ['POST /db/create?path=data.db&init_kv=true', ...incrs('mykey', 'data.db', 45)],
    req: 'GET /kv/{mykey}/snapshot?db=./data.db&op_number=42', note: 'a counter is text/plain: its value is the text',
    expect: { json: { value: '42', op_number: 42, content_type: 'text/plain', success: true } } },
  { cmd: 'hoody kv snapshots get-key mykey --db ./data.db --table metrics --op-number 42 -c <containerId> -o raw', given: incrs('mykey', 'data.db', 43, '&table=metrics'),
    req: 'GET /kv/{mykey}/snapshot?db=./data.db&op_number=42&table=metrics', expect: { json: { value: '42', op_number: 42, success: true } } },
  { cmd: 'hoody kv snapshots get-table --db ./data.db --timestamp 1718000000 -c <containerId> -o json', req: 'GET /kv/snapshot?db=./data.db&timestamp=1718000000', expect: EMPTY_SNAPSHOT },
  { cmd: 'hoody kv snapshots get-table --db ./data.db --timestamp 1718000000 --prefix user: --limit 500 -c <containerId> -o json',
    req: 'GET /kv/snapshot?db=./data.db&timestamp=1718000000&limit=500&prefix=user:', expect: EMPTY_SNAPSHOT },
  { cmd: 'hoody kv snapshots compare-table --db ./data.db --from 1718000000 --to 1718600000 -c <containerId> -o json', req: 'GET /kv/diff?db=./data.db&from=1718000000&to=1718600000', expect: ZERO_DIFF },
  { cmd: 'hoody kv snapshots compare-table --db ./data.db --from 1718000000 --to 1718600000 --keys session,token -c <containerId> -o json',
    req: 'GET /kv/diff?db=./data.db&from=1718000000&to=1718600000&keys=session,token', expect: ZERO_DIFF },

  // ---- hoody kv snapshots compare-table (db /data/app.db)
  { cmd: 'hoody kv snapshots compare-table --db /data/app.db --from 1718000000 --to 1718600000', req: 'GET /kv/diff?db=/data/app.db&from=1718000000&to=1718600000', expect: ZERO_DIFF },
  { cmd: 'hoody kv snapshots compare-table --db /data/app.db --from 1718000000 --to 1718600000 -o json', req: 'GET /kv/diff?db=/data/app.db&from=1718000000&to=1718600000', expect: ZERO_DIFF },
  { cmd: 'hoody kv snapshots compare-table --db /data/app.db --table sessions --from 1718000000 --to 1718600000', req: 'GET /kv/diff?db=/data/app.db&from=1718000000&to=1718600000&table=sessions', expect: ZERO_DIFF },
  { cmd: 'hoody kv snapshots compare-table --db /data/app.db --from 1718000000 --to 1718600000 --keys user:1,user:2,flags', req: 'GET /kv/diff?db=/data/app.db&from=1718000000&to=1718600000&keys=user:1,user:2,flags', expect: ZERO_DIFF },
  { cmd: 'hoody kv snapshots compare-table -c my-box --db /data/app.db --from 1718000000 --to 1718600000 --keys user:1 -o json', req: 'GET /kv/diff?db=/data/app.db&from=1718000000&to=1718600000&keys=user:1', expect: ZERO_DIFF },

  // ---- hoody kv snapshots get-key (db /data/app.db; session:42 has had more than 17 operations)
  { cmd: 'hoody kv snapshots get-key session:42 --db /data/app.db --op-number 17 -c my-container',
    given: [put('session:42', D, '"z1"'), put('session:42', D, '"z2"'), put('session:42', D, '"z3"')], req: 'GET /kv/{session:42}/snapshot?db=/data/app.db&op_number=17',
    note: 'op 17 is found in the key\'s history', expect: { check: snapshotMatchesHistory('session:42', 17) } },
  { cmd: 'hoody kv snapshots get-key session:42 --db /data/app.db --op-number 17 -c my-container -o json', req: 'GET /kv/{session:42}/snapshot?db=/data/app.db&op_number=17',
    expect: { check: snapshotMatchesHistory('session:42', 17) } },
  { cmd: 'hoody kv history session:42 --db /data/app.db -c my-container -o json', req: 'GET /kv/{session:42}/history?db=/data/app.db',
    expect: { check: (r) => assert.ok(r.json.operations.some((o) => o.op_number === 17)) } },
  { cmd: 'hoody kv snapshots get-key counter --db /data/app.db --op-number 5 --table audit_kv -c my-container', given: incrs('counter', D, 6, '&table=audit_kv'),
    req: 'GET /kv/{counter}/snapshot?db=/data/app.db&op_number=5&table=audit_kv', expect: { json: { value: '5', op_number: 5, success: true } } },
  { cmd: 'hoody kv snapshots get-key session:42 --db /data/app.db --op-number 17', req: 'GET /kv/{session:42}/snapshot?db=/data/app.db&op_number=17',
    expect: { check: snapshotMatchesHistory('session:42', 17) } },

  // ---- hoody kv snapshots get-table (db app.db)
  { cmd: 'hoody kv snapshots get-table --db /hoody/databases/app.db --timestamp 1719000000 -c <id> -o json', req: 'GET /kv/snapshot?db=/hoody/databases/app.db&timestamp=1719000000', expect: EMPTY_SNAPSHOT },
  { cmd: 'hoody kv snapshots get-table --db /hoody/databases/app.db --timestamp 1719000000 --prefix session: --limit 500 -c <id> -o json',
    req: 'GET /kv/snapshot?db=/hoody/databases/app.db&timestamp=1719000000&limit=500&prefix=session:', expect: EMPTY_SNAPSHOT },
  { cmd: 'hoody kv snapshots get-table --db /hoody/databases/app.db --timestamp 1719000000 --table sessions -c <id> -o json',
    given: [put('s', H, '1', '&table=sessions')],
    req: 'GET /kv/snapshot?db=/hoody/databases/app.db&timestamp=1719000000&table=sessions', expect: EMPTY_SNAPSHOT },
  { cmd: 'hoody kv snapshots compare-table --db /hoody/databases/app.db --from 1718900000 --to 1719000000 -c <id> -o json', req: 'GET /kv/diff?db=/hoody/databases/app.db&from=1718900000&to=1719000000', expect: ZERO_DIFF },
  { cmd: 'hoody kv snapshots get-key mykey --db /hoody/databases/app.db --op-number 1 -c <id> -o json', given: [put('mykey', H, '{"first":true}'), put('mykey', H, '{"first":false}')],
    req: 'GET /kv/{mykey}/snapshot?db=/hoody/databases/app.db&op_number=1', expect: { json: { value: { first: true }, op_number: 1, content_type: 'application/json', success: true } } },
  { cmd: 'hoody kv list --db /hoody/databases/app.db --at-timestamp 1719000000 --limit 100 --offset 100 -c <id> -o json',
    req: 'GET /kv?db=/hoody/databases/app.db&limit=100&offset=100&at_timestamp=1719000000', note: 'the time-travel envelope; offset is ignored',
    expect: { json: { success: true, count: 0 } } },
];

function snapshotMatchesHistory(key, op) {
  return async (r, ctx) => {
    assert.equal(r.status, 200, r.text);
    const h = (await ctx.req(`GET /kv/{${key}}/history?db=${D}&limit=1000`)).json.operations.find((o) => o.op_number === op);
    assert.ok(h, `op ${op} in the history`);
    assert.equal(r.json.op_number, op);
    assert.deepEqual(r.json.value, h.operation.new_value);
    assert.equal(r.json.success, true);
  };
}

// ---------------------------------------------------------------------------------------------
// The runner
// ---------------------------------------------------------------------------------------------
let server;
let root;  // the fake container root

/** Parses 'METHOD /path?k=v&k2=v2' into { method, path, query: [[k, v]] }; `{key}` is encoded. */
function parseReq(line) {
  const m = /^(GET|HEAD|PUT|POST|DELETE) (\S+)$/.exec(line);
  if (!m) throw new Error(`bad request line: ${line}`);
  const [pathPart, qs = ''] = m[2].split(/\?(.*)/s);
  const path = pathPart.replace(/\{([^}]*)\}/g, (_, k) => encodeURIComponent(k));
  const query = qs ? qs.split('&').map((p) => { const i = p.indexOf('='); return [p.slice(0, i), p.slice(i + 1)]; }) : [];
  return { method: m[1], path, query };
}

/** Sends a table request: absolute db/path values move into the container root. */
async function send(line, body) {
  const { method, path, query } = parseReq(line);
  const q = query.map(([k, v]) => [k, (k === 'db' || k === 'path') && v.startsWith('/') ? `${root}${v}` : v]);
  return call(server.base, method, path, { query: q, headers: { 'Content-Type': 'application/json' }, body });
}

function partial(actual, expected, where) {
  if (expected === null || typeof expected !== 'object') {
    assert.deepEqual(actual, expected, where);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length of ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => partial(actual[i], e, `${where}[${i}]`));
    return;
  }
  assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${where}: expected an object, got ${JSON.stringify(actual)}`);
  for (const [k, v] of Object.entries(expected)) partial(actual[k], v, `${where}.${k}`);
}

async function verify(r, exp, ctx, where) {
  const status = exp.status;
  if (status !== undefined) assert.equal(r.status, status, `${where}: status (${r.text.slice(0, 300)})`);
  else assert.ok(r.status >= 200 && r.status < 300, `${where}: ${r.status} ${r.text.slice(0, 300)}`);
  if (exp.error !== undefined) assert.equal(r.json?.error, exp.error, `${where}: error text`);
  if (exp.type !== undefined) assert.match(r.headers.get('content-type') || '', exp.type, `${where}: content type`);
  if (exp.text !== undefined) assert.equal(r.text, exp.text, `${where}: body`);
  if (exp.json !== undefined) {
    assert.ok(r.json !== undefined, `${where}: not JSON: ${r.text.slice(0, 200)}`);
    partial(r.json, exp.json, `${where}: body`);
  }
  if (exp.check) await exp.check(r, ctx);
}

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'hoody-cli-')));
  for (const d of ['hoody/databases', 'data', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  server = await startServer({ dataDir: join(root, 'hoody', 'databases'), args: ['--allow-any-absolute-db-path'] });
  // The container already has /data/app.db (no example creates it; its examples only use it).
  const r = await send('POST /db/create?path=/data/app.db&init_kv=true');
  assert.equal(r.status, 201, r.text);
});
after(async () => {
  if (server) await server.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

const ctx = { state: {}, req: (line, body) => send(line, body) };
for (const ex of EXAMPLES) {
  test(ex.cmd, async () => {
    for (const g of ex.given || []) {
      if (g.ensure) {
        const r = await send(`POST /db/create?path=${g.ensure}`);
        assert.ok(r.status === 201 || r.status === 409, `given ${g.ensure} exists: ${r.status} ${r.text}`);
        continue;
      }
      const [line, body] = Array.isArray(g) ? g : [g, undefined];
      const r = await send(line, body);
      assert.ok(r.status >= 200 && r.status < 300, `given ${line}: ${r.status} ${r.text}`);
    }
    if (ex.setup) await ex.setup(ctx);
    const r = await send(ex.req, ex.body);
    await verify(r, ex.expect, ctx, `${ex.req}`);
    for (const [line, exp, body] of ex.after || []) await verify(await send(line, body), exp, ctx, `then ${line}`);
  });
}

test('the table replays every example of CLI-HELP-db-kv.md that talks to the server', { skip: existsSync(HELP) ? false : `${HELP} not found (set HOODY_SPEC_DIR)` }, () => {
  const published = [];
  for (const m of readFileSync(HELP, 'utf8').matchAll(/^\s*- (\{"cmd":.*\})\s*$/gm)) published.push(JSON.parse(m[1]).cmd);
  assert.ok(published.length > 150, `parsed ${published.length} examples`);
  const inTable = new Set(EXAMPLES.map((e) => e.cmd));
  const missing = [...new Set(published)].filter((c) => !inTable.has(c) && !(c in NOT_SERVER));
  assert.deepEqual(missing, [], 'examples with no row in the table');
  const unknown = [...inTable, ...Object.keys(NOT_SERVER)].filter((c) => !published.includes(c));
  assert.deepEqual(unknown, [], 'rows whose cmd is not in the help text');
});
