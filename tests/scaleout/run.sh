#!/usr/bin/env bash
# tests/scaleout/run.sh — the scale-out tier: deploy/haproxy, deploy/litestream and deploy/etcd end to end.
#
# Contract: installs what is missing, then runs scaleout_test.py (loopback only, ephemeral ports,
# temp dirs). HAProxy comes from Debian (apt-get install haproxy), Litestream v0.3.13 from npm
# (@flydotio/litestream-linux-x64@1.0.1) into a cache dir (SCALEOUT_CACHE, default
# ~/.cache/hoody-scaleout), never at build time. A tool that cannot be installed (no network)
# skips its part with one line "scaleout: ... SKIPPED: ..." and never fails the tier.
# etcd-server, etcd-client and socat (part C, failover) also come from Debian.
# Env: HOODY_BIN (server binary; default <repo>/build/hoody-sqlite).
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
CACHE="${SCALEOUT_CACHE:-$HOME/.cache/hoody-scaleout}"
LS_VERSION=1.0.1 # ships litestream v0.3.13

if ! command -v haproxy >/dev/null 2>&1; then
  echo "Installing haproxy (apt-get)"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq haproxy; } \
    >/dev/null 2>&1 || true
fi
if command -v haproxy >/dev/null 2>&1; then
  export SCALEOUT_HAPROXY="$(command -v haproxy)"
else
  export SCALEOUT_HAPROXY_SKIP="haproxy could not be installed (apt-get failed: no network?)"
fi

ls_bin="$CACHE/litestream/node_modules/@flydotio/litestream-linux-x64/litestream"
if [ ! -x "$ls_bin" ] && command -v npm >/dev/null 2>&1; then
  echo "Installing litestream (npm @flydotio/litestream-linux-x64@$LS_VERSION into $CACHE)"
  mkdir -p "$CACHE/litestream"
  timeout 180 npm install --prefix "$CACHE/litestream" --no-audit --no-fund --silent \
    "@flydotio/litestream-linux-x64@$LS_VERSION" >/dev/null 2>&1 || true
fi
if [ -x "$ls_bin" ]; then
  export SCALEOUT_LITESTREAM="$ls_bin"
else
  export SCALEOUT_LITESTREAM_SKIP="litestream could not be installed (npm missing or no network)"
fi

if ! command -v etcd >/dev/null 2>&1 || ! command -v etcdctl >/dev/null 2>&1 || ! command -v socat >/dev/null 2>&1; then
  echo "Installing etcd-server etcd-client socat (apt-get)"
  { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq etcd-server etcd-client socat; } \
    >/dev/null 2>&1 || true
fi
if command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 && command -v socat >/dev/null 2>&1; then
  export SCALEOUT_ETCD="$(command -v etcd)" SCALEOUT_ETCDCTL="$(command -v etcdctl)" SCALEOUT_SOCAT="$(command -v socat)"
else
  export SCALEOUT_ETCD_SKIP="etcd-server, etcd-client or socat could not be installed (apt-get failed: no network?)"
fi

export HOODY_BIN="${HOODY_BIN:-$(cd ../.. && pwd)/build/hoody-sqlite}"
exec python3 scaleout_test.py "$@"
