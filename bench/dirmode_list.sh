#!/usr/bin/env bash
# Directory mode: GET /kv of 10,000 keys (limit=10000) once the index is warm (docs/kv.md).
#   HOODY_BIN        server binary (default build/hoody-sqlite)
#   DIRMODE_FILES    files in the tree (default 10000: 10 × 10 folders of 100)
#   DIRMODE_RUNS     timed requests after the warm-up (default 20)
# Builds a temporary tree in a fresh data directory, starts the server on an ephemeral port,
# warms the index with one list, then times DIRMODE_RUNS lists with curl and prints the
# minimum, median and maximum `time_total`. Removes everything it created on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin="${HOODY_BIN:-$root/build/hoody-sqlite}"
files="${DIRMODE_FILES:-10000}"
runs="${DIRMODE_RUNS:-20}"
[ -x "$bin" ] || { echo "dirmode bench: no server binary at $bin (make build)"; exit 1; }

work="$(mktemp -d /tmp/hoody-dirmode-bench.XXXXXX)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/data/tree"
python3 - "$work/data/tree" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, "d%d" % (i // 1000), "s%d" % (i // 100 % 10))
    os.makedirs(d, exist_ok=True)
    ext = ".json" if i % 2 else ".txt"
    with open(os.path.join(d, "f%d%s" % (i % 100, ext)), "w") as f:
        f.write('{"n":%d}' % i if i % 2 else "value %d" % i)
PY
"$bin" --port 0 --port-file "$work/port" --data-dir "$work/data" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(cat "$work/port")"
tree="$(cd "$work/data/tree" && pwd -P)"
url="http://127.0.0.1:$port/api/v1/sqlite/kv?db=$tree&limit=10000"

cold="$(curl -s -o "$work/out.json" -w '%{time_total}' "$url")"
total="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["total"])' "$work/out.json")"
[ "$total" = "$files" ] || { echo "dirmode bench: listed $total keys, expected $files"; exit 1; }
sleep 2.1  # out of the racy window of the freshly created folders (docs/kv.md)
curl -s -o /dev/null "$url"  # the folders' racy entries are re-read once here
times=()
for _ in $(seq "$runs"); do
  times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url")")
done
printf '%s\n' "${times[@]}" | python3 -c '
import sys, statistics
t = sorted(float(x) * 1000 for x in sys.stdin.read().split())
print("dirmode list of %s keys (limit=10000), warm index, %d runs: min %.1f ms, median %.1f ms, max %.1f ms"
      % (sys.argv[1], len(t), t[0], statistics.median(t), t[-1]))
print("first (cold) list incl. the full scan: %.1f ms" % (float(sys.argv[2]) * 1000))
print("load average: " + open("/proc/loadavg").read().strip())
' "$files" "$cold"
