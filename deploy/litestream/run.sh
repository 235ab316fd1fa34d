#!/usr/bin/env bash
# deploy/litestream/run.sh — run one hoody-sqlite node under Litestream.
#
# Contract: restores ${HOODY_DB}.db from the replica first when the data directory has no such
# file (so a fresh machine picks up the replicated data), then execs
#   litestream replicate -config litestream.yml -exec "hoody-sqlite --data-dir DIR ARGS…"
# with the server in --checkpoint-mode external (HOODY_SQLITE_CHECKPOINT_MODE overrides it).
# Litestream supervises the server: a SIGTERM to this process (it becomes Litestream) is
# forwarded to the server, and after the server exits Litestream does a final sync, so a planned
# stop loses no acknowledged write. A kill -9 loses at most the last sync interval (1 s).
# Env: LITESTREAM (binary; default `litestream` on PATH), HOODY_BIN (default `hoody-sqlite`),
#      HOODY_DATA_DIR, HOODY_REPLICA_DIR, HOODY_DB (database name without .db; required),
#      LITESTREAM_CONFIG (default: litestream.yml next to this script).
# Needs: sqlite3 (Debian `sqlite3`) to create a new database; without it the server creates it.
# Arguments: passed to hoody-sqlite (e.g. --host 127.0.0.1 --port 8080). Paths must not contain
# spaces (Litestream splits the -exec string on whitespace).
set -euo pipefail
: "${HOODY_DATA_DIR:?}" "${HOODY_REPLICA_DIR:?}" "${HOODY_DB:?}"
LITESTREAM="${LITESTREAM:-litestream}"
HOODY_BIN="${HOODY_BIN:-hoody-sqlite}"
LITESTREAM_CONFIG="${LITESTREAM_CONFIG:-$(cd "$(dirname "$0")" && pwd)/litestream.yml}"
export HOODY_DATA_DIR HOODY_REPLICA_DIR HOODY_DB
# Litestream owns the WAL: the server runs no checkpoint of its own (docs/operations.md,
# "Checkpoints"). The server reads its flags' env twins, so HOODY_SQLITE_* set here or by the
# caller (e.g. HOODY_SQLITE_DRAIN_DELAY_MS=1500 behind HAProxy) reach it through Litestream.
export HOODY_SQLITE_CHECKPOINT_MODE="${HOODY_SQLITE_CHECKPOINT_MODE:-external}"

db="$HOODY_DATA_DIR/$HOODY_DB.db"
mkdir -p "$HOODY_DATA_DIR"
if [ ! -e "$db" ]; then
  "$LITESTREAM" restore -config "$LITESTREAM_CONFIG" -if-replica-exists -o "$db" "$db"
fi
# A new database: create it (WAL mode) now, so Litestream tracks it from its first write rather
# than from its next monitor tick after the server created it.
if [ ! -e "$db" ] && command -v sqlite3 >/dev/null 2>&1; then
  sqlite3 "$db" 'PRAGMA journal_mode=WAL;' >/dev/null
fi
exec "$LITESTREAM" replicate -config "$LITESTREAM_CONFIG" \
  -exec "$HOODY_BIN --data-dir $HOODY_DATA_DIR $*"
