#!/usr/bin/env bash
# A/B of two hoody-sqlite binaries in one run: the same workloads (bench/workloads.lua) against
# both servers, interleaved round by round so that machine noise hits both alike; prints the
# median req/s of each and the ratio new/base. Used to show that a change costs a path nothing.
#   HOODY_BIN           the binary under test (default build/hoody-sqlite)
#   HOODY_BASELINE_BIN  the reference binary (required), e.g. a build of the previous commit
#   BENCH_ONLY          workloads (default "kv_get sql_select query_get")
#   BENCH_CONNECTIONS   one connection count (default 64); BENCH_DURATION seconds (default 5)
#   BENCH_ROUNDS        rounds (default 5); BENCH_THREADS wrk threads (default 2)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
new_bin="${HOODY_BIN:-$root/build/hoody-sqlite}"
base_bin="${HOODY_BASELINE_BIN:?set HOODY_BASELINE_BIN to the reference binary}"
only="${BENCH_ONLY:-kv_get sql_select query_get}"
conns="${BENCH_CONNECTIONS:-64}"
duration="${BENCH_DURATION:-5}"
rounds="${BENCH_ROUNDS:-5}"
threads="${BENCH_THREADS:-2}"
rows=10000
command -v wrk >/dev/null || { echo "ab: wrk is not installed (make bench installs it)"; exit 1; }
ulimit -n 8192 2>/dev/null || true
work="$(mktemp -d /tmp/hoody-ab.XXXXXX)"
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

start() {  # label binary → prints port
  local label="$1" bin="$2" port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$work/$label"
  "$bin" --host 127.0.0.1 --port "$port" --data-dir "$work/$label" >"$work/$label.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 250); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.02; done
  local H="http://127.0.0.1:$port/api/v1/sqlite" J='Content-Type: application/json'
  local seed="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $rows) INSERT INTO items (id, name, n) SELECT x, 'name-' || x, x FROM c"
  curl -sf -X POST -H "$J" "$H/db/create?path=sqlbench" >/dev/null
  curl -sf -X POST -H "$J" "$H/db?db=sqlbench" -d "{\"transaction\":[{\"statement\":\"CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)\"},{\"statement\":\"$seed\"}]}" >/dev/null
  curl -sf -X PUT -H "$J" "$H/kv/bench%3Aget?db=bench&create_db_if_missing=true" -d '{"name":"alice","n":1}' >/dev/null
  echo "$port"
}
new_port="$(start new "$new_bin")"
base_port="$(start base "$base_bin")"
echo "ab: new $new_bin on :$new_port, base $base_bin on :$base_port; $conns connections, ${duration}s x $rounds rounds" >&2

results="$work/results.txt"
: >"$results"
for round in $(seq 1 "$rounds"); do
  for name in $only; do
    # Alternate which server goes first, so that neither always runs on a warmer machine.
    order="new base"
    [ $((round % 2)) = 0 ] && order="base new"
    for side in $order; do
      port="$new_port"
      [ "$side" = base ] && port="$base_port"
      line="$(BENCH_WORKLOAD="$name" BENCH_ROWS="$rows" wrk -t "$threads" -c "$conns" -d "${duration}s" \
        -s "$here/workloads.lua" "http://127.0.0.1:$port" 2>&1 | grep '^BENCHJSON' | sed 's/^BENCHJSON //')"
      rps="$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["requests"]/(d["duration_us"]/1e6))' "$line")"
      echo "$name $side $rps" >>"$results"
      echo "ab: round $round $name $side $(printf '%.0f' "$rps") req/s" >&2
    done
  done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
names = list(dict.fromkeys(r[0] for r in rows))
print(f"{'workload':<12} {'base req/s':>11} {'new req/s':>11} {'new/base':>9}")
for n in names:
    b = statistics.median(float(r[2]) for r in rows if r[0] == n and r[1] == "base")
    v = statistics.median(float(r[2]) for r in rows if r[0] == n and r[1] == "new")
    print(f"{n:<12} {b:>11.0f} {v:>11.0f} {v / b:>9.3f}")
PY
