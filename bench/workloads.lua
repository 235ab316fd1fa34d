-- wrk script for every workload of bench/run.sh. BENCH_WORKLOAD picks the request; done() prints
-- one machine-readable line ("BENCHJSON {...}") that bench/report.py collects.
local workload = os.getenv("BENCH_WORKLOAD") or "nginx"
-- Rows that send the same requests as another one, to a differently set-up server:
-- kv_get_log → a server with the access log on; incr_watch → while idle change-feed streams
-- are open on the database (bench/run.sh sets both up).
local same_requests_as = { kv_get_log = "kv_get", incr_watch = "incr" }
workload = same_requests_as[workload] or workload
local db = os.getenv("BENCH_DB") or "bench"
local sqldb = os.getenv("BENCH_SQL_DB") or "sqlbench"
local rows = tonumber(os.getenv("BENCH_ROWS") or "10000")
local api = "/api/v1/sqlite"

-- URL-safe base64 without padding. It runs in wrk's own threads, on the same cores as the server:
-- an earlier bit-string version cost 26 us per call (luajit, this machine), more than the
-- server spends on a GET /query, so query_get measured the client. This one costs ~1.7 us, and
-- query_get encodes each of its `rows` texts once, in init(), before wrk starts its clock.
local bit = require("bit")
local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function b64char(v)
  return b64chars:sub(v + 1, v + 1)
end
local function base64url(data)
  local out, n = {}, #data
  for i = 1, n, 3 do
    local a, b, c = data:byte(i, i + 2)
    local v = bit.bor(bit.lshift(a, 16), bit.lshift(b or 0, 8), c or 0)
    out[#out + 1] = b64char(bit.rshift(v, 18)) .. b64char(bit.band(bit.rshift(v, 12), 63))
    if n - i >= 1 then out[#out + 1] = b64char(bit.band(bit.rshift(v, 6), 63)) end
    if n - i >= 2 then out[#out + 1] = b64char(bit.band(v, 63)) end
  end
  return table.concat(out)
end

local threads_started = 0
function setup(thread)
  threads_started = threads_started + 1
  thread:set("thread_id", threads_started)
end

local counter = 0
local query_paths -- query_get: the GET /query path of each row id, built in init()
function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  counter = (thread_id or 0) * 100000
  if workload == "query_get" then
    query_paths = {}
    for id = 1, rows do
      query_paths[id] = api .. "/query?db=" .. sqldb .. "&sql=" ..
                        base64url("SELECT id, name, n FROM items WHERE id = " .. id)
    end
  end
end

local json_headers = { ["Content-Type"] = "application/json" }
wrk.headers["Content-Type"] = "application/json"

local select_sql = "SELECT id, name, n FROM items WHERE id = ?"
local upsert_sql = "INSERT INTO items (id, name, n) VALUES (?, ?, ?) " ..
                   "ON CONFLICT(id) DO UPDATE SET name = excluded.name, n = excluded.n"

local dynamic = {
  kv_put = function()
    counter = counter + 1
    local k = counter % 1000
    return wrk.format("PUT", api .. "/kv/bench%3Aput%3A" .. k .. "?db=" .. db, json_headers,
                      '{"name":"alice","n":' .. counter .. '}')
  end,
  webdis_set = function()
    counter = counter + 1
    local k = counter % 1000
    return wrk.format("GET", "/SET/bench:put:" .. k .. "/%7B%22name%22%3A%22alice%22%2C%22n%22%3A" ..
                      counter .. "%7D")
  end,
  sql_select = function()
    local id = math.random(1, rows)
    return wrk.format("POST", api .. "/db?db=" .. sqldb, json_headers,
                      '{"transaction":[{"query":"' .. select_sql .. '","values":[' .. id .. ']}]}')
  end,
  sql_upsert = function()
    local id = math.random(1, rows)
    return wrk.format("POST", api .. "/db?db=" .. sqldb, json_headers,
                      '{"transaction":[{"statement":"' .. upsert_sql .. '","values":[' .. id ..
                      ',"name-' .. id .. '",' .. math.random(1, 1000000) .. ']}]}')
  end,
  query_get = function()
    return wrk.format("GET", query_paths[math.random(1, rows)])
  end,
  sqld_select = function()
    local id = math.random(1, rows)
    return wrk.format("POST", "/v2/pipeline", json_headers,
                      '{"requests":[{"type":"execute","stmt":{"sql":"' .. select_sql ..
                      '","args":[{"type":"integer","value":"' .. id .. '"}]}},{"type":"close"}]}')
  end,
  sqld_upsert = function()
    local id = math.random(1, rows)
    return wrk.format("POST", "/v2/pipeline", json_headers,
                      '{"requests":[{"type":"execute","stmt":{"sql":"' .. upsert_sql ..
                      '","args":[{"type":"integer","value":"' .. id .. '"},' ..
                      '{"type":"text","value":"name-' .. id .. '"},' ..
                      '{"type":"integer","value":"' .. math.random(1, 1000000) ..
                      '"}]}},{"type":"close"}]}')
  end,
}

if dynamic[workload] then
  local make = dynamic[workload]
  function request() return make() end
elseif workload == "kv_get" then
  wrk.method = "GET"
  wrk.path = api .. "/kv/bench%3Aget?db=" .. db
elseif workload == "incr" then
  wrk.method = "POST"
  wrk.path = api .. "/kv/bench%3Acounter/incr?db=" .. db
elseif workload == "batch_set" then
  local items = {}
  for i = 1, 100 do
    items[i] = '{"key":"bench:batch:' .. i .. '","value":"{\\"n\\":' .. i .. '}"}'
  end
  wrk.method = "POST"
  wrk.path = api .. "/kv/batch/set?db=" .. db
  wrk.body = '{"items":[' .. table.concat(items, ",") .. ']}'
elseif workload == "webdis_get" then
  wrk.method = "GET"
  wrk.path = "/GET/bench:get"
elseif workload == "webdis_incr" then
  wrk.method = "GET"
  wrk.path = "/INCR/bench:counter"
else -- nginx: a fixed small JSON body
  wrk.method = "GET"
  wrk.path = "/"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"socket_errors":%d,"http_errors":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
