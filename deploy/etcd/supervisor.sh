#!/usr/bin/env bash
# deploy/etcd/supervisor.sh — one shard's lease supervisor and fencing watchdog, one per machine.
#
# Usage: supervisor.sh NODE_NAME [hoody-sqlite args…]     e.g. supervisor.sh a --host 0.0.0.0 --port 8080
#
# Contract (tested by tests/scaleout/scaleout_test.py, part C; docs/scale-out.md, "Failover"):
# - Waits until it creates the shard's key SHARD_KEY in etcd, bound to a lease of its own
#   (`lease grant LEASE_TTL` + a txn that puts the key only if it does not exist). While another
#   node holds the key it only polls; it runs no server.
# - Holding the lease: moves the previous data dir aside (HOODY_DATA_DIR → HOODY_DATA_DIR.previous),
#   runs deploy/litestream/run.sh in a process group of its own (it restores HOODY_DB from the
#   replica into the empty dir, then `litestream replicate -exec "hoody-sqlite
#   --checkpoint-mode external --primary-file PRIMARY_FILE …"`), renews the lease once a second
#   (`lease keep-alive --once`, each bounded by KEEPALIVE_TIMEOUT_S) and creates PRIMARY_FILE.
# - Fencing. "Last ack" is the time a renewal that etcd acknowledged was *sent*, so etcd keeps
#   the lease at least until last ack + LEASE_TTL. No ack for DOUBT_AFTER_S (default 2.5 s):
#   PRIMARY_FILE is removed (the server answers writes 503 NOT_PRIMARY within ~100 ms; it is
#   recreated if a later renewal is acknowledged). No ack for FENCE_AFTER_S (default 4 s), or
#   etcd says the lease is gone: SIGKILL to the primary's whole process group (Litestream and
#   the server). The lease cannot expire before last ack + LEASE_TTL, so the old primary is dead
#   LEASE_TTL − FENCE_AFTER_S (4 s) before another node can take the key: never two primaries
#   that answer writes. (Assumes etcd answers a renewal within LEASE_TTL − FENCE_AFTER_S of its
#   sending, which the KEEPALIVE_TIMEOUT_S bound guarantees.)
# - The primary exits on its own (crash): PRIMARY_FILE removed, group killed, lease revoked,
#   then back to waiting (after 1 s, so that the other node gets a fair chance).
# - SIGTERM/SIGINT (planned stop, switchover): PRIMARY_FILE removed at once (HAProxy's /readyz
#   check drains the node), SIGTERM to Litestream (it stops the server, then ships the rest of
#   the WAL: nothing acknowledged is lost), the lease kept alive until it has exited (at most
#   STOP_TIMEOUT_S, then SIGKILL), then revoked: the standby takes over at once. Exit 0.
# - A supervisor killed alone: its renewal loop notices within a second, removes PRIMARY_FILE,
#   kills the primary's group and stops renewing. Run it under systemd (KillMode=control-group,
#   the default) so that stopping the unit kills everything it started.
# Env: ETCD_ENDPOINTS (required, e.g. 10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379),
#      SHARD_KEY (default /hoody/shards/$HOODY_DB/primary; the value is NODE_NAME),
#      HOODY_DATA_DIR, HOODY_REPLICA_DIR, HOODY_DB (required; as deploy/litestream/run.sh),
#      PRIMARY_FILE (default $HOODY_DATA_DIR.primary: outside the data dir, never restored),
#      LEASE_TTL (8), DOUBT_AFTER_S (2.5), FENCE_AFTER_S (4), KEEPALIVE_TIMEOUT_S (2),
#      STOP_TIMEOUT_S (30), ETCDCTL (etcdctl), and run.sh's LITESTREAM, HOODY_BIN,
#      LITESTREAM_CONFIG, HOODY_SQLITE_* (reach the server).
# Logs one line per state change to stderr ("supervisor a: …").
# Needs: bash ≥ 4, etcdctl (Debian etcd-client, API v3), Linux /proc/uptime (a monotonic clock).
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 NODE_NAME [hoody-sqlite args…]" >&2; exit 2; }
NAME="$1"
shift
: "${ETCD_ENDPOINTS:?}" "${HOODY_DATA_DIR:?}" "${HOODY_REPLICA_DIR:?}" "${HOODY_DB:?}"
SHARD_KEY="${SHARD_KEY:-/hoody/shards/$HOODY_DB/primary}"
PRIMARY_FILE="${PRIMARY_FILE:-${HOODY_DATA_DIR%/}.primary}"
LEASE_TTL="${LEASE_TTL:-8}"
DOUBT_AFTER_S="${DOUBT_AFTER_S:-2.5}"
FENCE_AFTER_S="${FENCE_AFTER_S:-4}"
KEEPALIVE_TIMEOUT_S="${KEEPALIVE_TIMEOUT_S:-2}"
STOP_TIMEOUT_S="${STOP_TIMEOUT_S:-30}"
RUN_SH="$(cd "$(dirname "$0")/../litestream" && pwd)/run.sh"
export ETCDCTL_API=3
E=("${ETCDCTL:-etcdctl}" "--endpoints=$ETCD_ENDPOINTS" --dial-timeout=1s --command-timeout=1s)

cs() { awk "BEGIN { printf \"%d\", $1 * 100 }"; } # seconds → centiseconds
now() {                                         # monotonic clock, centiseconds (Linux)
  local up _
  read -r up _ </proc/uptime
  echo $((10#${up/./}))
}
log() { echo "supervisor $NAME: $*" >&2; }
DOUBT_CS=$(cs "$DOUBT_AFTER_S")
FENCE_CS=$(cs "$FENCE_AFTER_S")
if [ "$FENCE_CS" -le "$DOUBT_CS" ] || [ $((LEASE_TTL * 100 - FENCE_CS)) -lt "$(cs "$KEEPALIVE_TIMEOUT_S")" ]; then
  echo "need DOUBT_AFTER_S < FENCE_AFTER_S and FENCE_AFTER_S + KEEPALIVE_TIMEOUT_S <= LEASE_TTL" >&2
  exit 2
fi
export HOODY_SQLITE_PRIMARY_FILE="$PRIMARY_FILE" # the server reads its flags' env twins
export HOODY_SQLITE_CHECKPOINT_MODE="${HOODY_SQLITE_CHECKPOINT_MODE:-external}"
rm -f -- "$PRIMARY_FILE" # a file left by an earlier run (machine crash) must not make us primary

LEASE="" GRANT_AT=0 PRIM="" RENEW_PID="" RENEW_FD="" STOPPING=0 STOP_AT=0
trap 'STOPPING=1' TERM INT

# Acquire: a lease of our own, then the key if nobody has it. Returns 1 when asked to stop.
acquire() {
  local l res
  while [ "$STOPPING" = 0 ]; do
    GRANT_AT=$(now) # the lease lives at least until GRANT_AT + LEASE_TTL
    l=$("${E[@]}" lease grant "$LEASE_TTL" 2>/dev/null | awk '/granted/ { print $2 }')
    if [ -n "$l" ]; then
      res=$(printf 'create("%s") = "0"\n\nput --lease=%s %s %s\n\n\n' "$SHARD_KEY" "$l" \
        "$SHARD_KEY" "$NAME" | "${E[@]}" txn 2>/dev/null | head -1)
      if [ "$res" = SUCCESS ]; then
        LEASE=$l
        return 0
      fi
      "${E[@]}" lease revoke "$l" >/dev/null 2>&1
    fi
    sleep 0.2
  done
  return 1
}

# Renewal loop (a coprocess): one `keep-alive --once` a second; prints the send time of every
# acknowledged renewal, or "gone" when etcd says the lease no longer exists. If the supervisor
# disappears it fences the primary itself and stops renewing.
renew() {
  local sup=$1 t out
  trap '' TERM INT # a stop signal to the whole group must not end the renewals early
  while :; do
    if ! kill -0 "$sup" 2>/dev/null; then
      rm -f -- "$PRIMARY_FILE"
      kill -KILL -- "-$PRIM" 2>/dev/null
      exit 0
    fi
    t=$(now)
    out=$(timeout "$KEEPALIVE_TIMEOUT_S" "${E[@]}" lease keep-alive --once "$LEASE" 2>&1)
    case $out in
    *"keepalived with TTL("[1-9]*) echo "$t" ;;
    *"lease not found"* | *"expired or revoked"*) echo gone ;;
    esac
    while [ $(($(now) - t)) -lt 100 ]; do sleep 0.1; done
  done
}

while [ "$STOPPING" = 0 ]; do
  log "waiting for $SHARD_KEY"
  acquire || break
  log "holds $SHARD_KEY (lease $LEASE, TTL $LEASE_TTL s): restoring $HOODY_DB and starting"
  if [ -e "$HOODY_DATA_DIR" ]; then # always restore into an empty dir: local files may be stale
    rm -rf -- "${HOODY_DATA_DIR%/}.previous"
    mv -- "$HOODY_DATA_DIR" "${HOODY_DATA_DIR%/}.previous"
  fi
  set -m # the primary gets a process group of its own: the fence kills all of it
  bash "$RUN_SH" "$@" &
  PRIM=$!
  set +m
  coproc KA { renew $$; }
  # bash unsets KA and KA_PID when the coprocess ends: keep our own copies of its pid and pipe
  RENEW_PID=$KA_PID
  exec {RENEW_FD}<&"${KA[0]}"
  last=$GRANT_AT held=0 reason=""
  : >"$PRIMARY_FILE" && held=1
  log "primary (pid $PRIM); $PRIMARY_FILE created"
  while :; do
    if read -r -t 0.2 line <&"$RENEW_FD"; then
      case $line in
      gone)
        reason="etcd says lease $LEASE is gone"
        break
        ;;
      *) [ "$line" -gt "$last" ] && last=$line ;;
      esac
    fi
    age=$(($(now) - last))
    if [ "$age" -ge "$FENCE_CS" ]; then
      reason="no renewal acknowledged for $((age / 100)).$((age % 100 / 10)) s"
      break
    elif [ "$age" -ge "$DOUBT_CS" ]; then
      [ "$held" = 1 ] && rm -f -- "$PRIMARY_FILE" && held=0 &&
        log "lease in doubt (no ack for $((age / 100)).$((age % 100 / 10)) s): $PRIMARY_FILE removed"
    elif [ "$held" = 0 ] && [ "$STOPPING" = 0 ]; then
      : >"$PRIMARY_FILE" && held=1 && log "renewal acknowledged again: $PRIMARY_FILE created"
    fi
    if [ "$STOPPING" = 1 ] && [ "$STOP_AT" = 0 ]; then
      rm -f -- "$PRIMARY_FILE"
      held=0 STOP_AT=$(now)
      log "stopping: $PRIMARY_FILE removed, SIGTERM to Litestream (final sync)"
      kill -TERM "$PRIM" 2>/dev/null
    fi
    if ! kill -0 "$PRIM" 2>/dev/null; then
      reason="primary exited"
      break
    fi
    if [ "$STOP_AT" != 0 ] && [ $(($(now) - STOP_AT)) -ge $((STOP_TIMEOUT_S * 100)) ]; then
      reason="primary still running $STOP_TIMEOUT_S s after SIGTERM"
      break
    fi
  done
  rm -f -- "$PRIMARY_FILE"
  kill -KILL -- "-$PRIM" 2>/dev/null # fenced: dead before the lease can expire
  log "fenced ($reason): process group $PRIM killed"
  kill -KILL "$RENEW_PID" 2>/dev/null
  wait "$PRIM" 2>/dev/null
  wait "$RENEW_PID" 2>/dev/null
  exec {RENEW_FD}<&-
  "${E[@]}" lease revoke "$LEASE" >/dev/null 2>&1 && log "lease $LEASE revoked"
  LEASE="" GRANT_AT=0 PRIM="" STOP_AT=0
  [ "$STOPPING" = 0 ] && sleep 1
done
log "stopped"
exit 0
